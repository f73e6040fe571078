/**
 * Key files: the 256-bit watermark secret in a small, versioned JSON file.
 *
 * ```json
 * { "format": "reelmark-key", "version": 1, "keyId": "<public key id, hex>",
 *   "secret": "<32 bytes, base64>", "created": "2025-01-31T10:00:00.000Z" }
 * ```
 * The key id is derived from the secret by the watermark core; a file whose key id does not match its secret is
 * reported as corrupt rather than silently used (a wrong key would never find a mark and never say why).
 * Files are created with mode 0600, atomically, and never replace an existing file.
 */
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';
import { KeyError, OutputError } from './errors.js';
import { assertNonEmptyString, invalid } from './validate.js';
import { keyFromSecret } from './watermark/key.js';
import type { WatermarkKey } from './watermark/key.js';

/** The `format` field of a key file. */
export const KEY_FILE_FORMAT = 'reelmark-key';
/** The key file version this release reads and writes. */
export const KEY_FILE_VERSION = 1;
/** Secret length in bytes. */
const SECRET_BYTES = 32;
/** A key file is a few hundred bytes; anything much larger is not one (and is not worth reading into memory). */
const MAX_KEY_FILE_BYTES = 64 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Write `key` to a new key file at `path` (mode 0600). The file appears whole or not at all.
 * @throws OutputError: code `ERR_OUTPUT_EXISTS` if `path` exists (a key file is never overwritten, since losing a
 *   secret makes every delivery marked with it unattributable), `ERR_OUTPUT_DIR` if its folder does not exist, and
 *   the plain `ERR_OUTPUT` code when it cannot be written (the system's reason in the message).
 * @example
 * const key = createKey();
 * await saveKey(key, 'studio.key');
 */
export async function saveKey(key: WatermarkKey, path: string): Promise<void> {
  if (key === null || typeof key !== 'object' || !(key.secret instanceof Uint8Array) || typeof key.id !== 'string') {
    invalid('key', 'a WatermarkKey (from createKey or loadKey)', key);
  }
  assertNonEmptyString(path, 'path');
  // Re-derive so that a hand-built object with a mismatched id cannot produce a file that loadKey would reject.
  const checked = keyFromSecret(key.secret);
  if (checked.id !== key.id) invalid('key', 'a WatermarkKey whose id matches its secret', key);
  const body = {
    format: KEY_FILE_FORMAT,
    version: KEY_FILE_VERSION,
    keyId: checked.id,
    secret: Buffer.from(checked.secret).toString('base64'),
    created: new Date().toISOString(),
  };
  try {
    await writeFileAtomic(path, `${JSON.stringify(body, null, 2)}\n`, 0o600, 'create');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutputError(`${path}: file exists; a key file is never overwritten`, path, 'ERR_OUTPUT_EXISTS');
    if (code === 'ENOENT') throw new OutputError(`${path}: folder does not exist`, path, 'ERR_OUTPUT_DIR');
    throw new OutputError(`${path}: cannot write key file (${code ?? (error as Error).message})`, path);
  }
}

/**
 * Read and check a key file.
 * @throws KeyError naming the file and the problem: missing, unreadable, not JSON, not a reelmark key, a version this
 *   release does not read, a secret that is not 32 bytes of base64, or a key id that does not match the secret.
 * @example
 * const key = await loadKey('studio.key');
 * console.log(key.id); // the public key id; the secret is never printed
 */
export async function loadKey(path: string): Promise<WatermarkKey> {
  assertNonEmptyString(path, 'path');
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new KeyError(`${path}: key file is not a regular file`, path);
    if (info.size === 0) throw new KeyError(`${path}: key file is empty`, path);
    if (info.size > MAX_KEY_FILE_BYTES) throw new KeyError(`${path}: not a reelmark key file (${info.size} bytes is far too large)`, path);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof KeyError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyError(`${path}: key file not found`, path);
    throw new KeyError(`${path}: cannot read key file (${code ?? (error as Error).message})`, path);
  }
  return parseKeyFile(text, path);
}

/** Parse the text of a key file; `path` is only used in messages. */
export function parseKeyFile(text: string, path: string): WatermarkKey {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new KeyError(`${path}: not a reelmark key file (not valid JSON; truncated or corrupt?)`, path);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new KeyError(`${path}: not a reelmark key file (expected a JSON object)`, path);
  }
  const { format, version, keyId, secret } = body as Record<string, unknown>;
  if (format !== KEY_FILE_FORMAT) {
    throw new KeyError(`${path}: not a reelmark key file (format is ${JSON.stringify(format) ?? 'missing'}, expected "${KEY_FILE_FORMAT}")`, path);
  }
  if (version !== KEY_FILE_VERSION) {
    const newer = typeof version === 'number' && version > KEY_FILE_VERSION;
    throw new KeyError(
      newer
        ? `${path}: key file version ${version} is newer than this reelmark reads (${KEY_FILE_VERSION}); upgrade reelmark`
        : `${path}: unsupported key file version ${JSON.stringify(version) ?? '(missing)'}`,
      path,
    );
  }
  if (typeof secret !== 'string' || !BASE64.test(secret)) {
    throw new KeyError(`${path}: corrupt key file: "secret" is not base64`, path);
  }
  const bytes = new Uint8Array(Buffer.from(secret, 'base64'));
  if (bytes.length !== SECRET_BYTES) {
    throw new KeyError(`${path}: corrupt key file: secret is ${bytes.length} bytes, expected ${SECRET_BYTES}`, path);
  }
  const key = keyFromSecret(bytes);
  if (keyId !== key.id) {
    throw new KeyError(`${path}: corrupt key file: key id ${JSON.stringify(keyId) ?? '(missing)'} does not match the secret`, path);
  }
  return key;
}
