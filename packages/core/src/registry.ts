/**
 * The partner registry: a small JSON file (`partners.json` by default) that maps partner names to watermark IDs, so
 * that deliveries are marked by name and a leak is reported by name.
 *
 * ```json
 * { "format": "reelmark-partners", "version": 1,
 *   "partners": [ { "name": "acme-vfx", "id": "1", "added": "2025-01-31T10:00:00.000Z" } ] }
 * ```
 * IDs are decimal strings (they go up to 2^48 - 1, beyond what every JSON reader keeps exact as a number).
 * Every change is written atomically (temporary file + rename) under a lock file, so two concurrent `addPartner`
 * calls cannot hand out the same ID or lose each other's entry.
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from './atomic-write.js';
import { RegistryError } from './errors.js';
import { assertNonEmptyString, assertObject, invalid } from './validate.js';
import { MAX_ID } from './watermark/payload.js';

/** The `format` field of a registry file. */
export const REGISTRY_FORMAT = 'reelmark-partners';
/** The registry file version this release reads and writes. */
export const REGISTRY_VERSION = 1;
/** Where the CLI looks for the registry unless told otherwise. */
export const DEFAULT_REGISTRY_PATH = 'partners.json';

/**
 * Partner names: 1 to 64 characters, letters, digits, `.`, `_` and `-`, starting with a letter or digit. They name
 * batch output files, so they must be safe in a file name on every system. Compared without regard to case.
 */
export const PARTNER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** One recipient of marked deliveries. */
export interface Partner {
  /** Unique (case-insensitively) name, e.g. `acme-vfx`. */
  readonly name: string;
  /** The watermark ID embedded in this partner's deliveries (0 .. MAX_ID). */
  readonly id: bigint;
  /** When the partner was added (ISO 8601). */
  readonly added: string;
}

/** A registry as read from disk. Immutable: changes go through {@link addPartner}. */
export class PartnerRegistry {
  /** The file the registry was read from (it may not exist yet when read with `allowMissing`). */
  readonly path: string;
  /** Partners in the order they were added. */
  readonly partners: readonly Partner[];
  readonly #byName: Map<string, Partner>;
  readonly #byId: Map<bigint, Partner>;

  constructor(path: string, partners: readonly Partner[]) {
    this.path = path;
    this.partners = Object.freeze([...partners]);
    this.#byName = new Map();
    this.#byId = new Map();
    for (const partner of this.partners) {
      const key = partner.name.toLowerCase();
      if (this.#byName.has(key)) {
        throw new RegistryError(`${path}: corrupt registry: partner name '${partner.name}' appears twice`, path, 'ERR_REGISTRY_CORRUPT');
      }
      const other = this.#byId.get(partner.id);
      if (other) {
        throw new RegistryError(
          `${path}: corrupt registry: ID ${partner.id} is given to both '${other.name}' and '${partner.name}'`,
          path,
          'ERR_REGISTRY_CORRUPT',
        );
      }
      this.#byName.set(key, partner);
      this.#byId.set(partner.id, partner);
    }
  }

  /** The partner with this name (case-insensitive), if any. */
  get(name: string): Partner | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  /** The partner that holds this ID, if any. */
  byId(id: bigint): Partner | undefined {
    return this.#byId.get(id);
  }

  /** The partner with this name, or a RegistryError naming the file and the unknown partner. */
  require(name: string): Partner {
    const partner = this.get(name);
    if (!partner) {
      throw new RegistryError(`${this.path}: no partner named '${name}' (see 'reelmark partner list')`, this.path, 'ERR_PARTNER_UNKNOWN');
    }
    return partner;
  }

  /**
   * The ID the next partner gets: one more than the highest in use, starting at 1 (0 is never assigned
   * automatically), or the lowest free ID when the top of the range is taken. IDs are never reused while taken.
   */
  nextId(): bigint {
    let highest = 0n;
    for (const partner of this.partners) if (partner.id > highest) highest = partner.id;
    if (highest < MAX_ID) return highest + 1n;
    for (let id = 1n; id <= MAX_ID; id++) if (!this.#byId.has(id)) return id;
    throw new RegistryError(`${this.path}: every ID is in use`, this.path, 'ERR_REGISTRY_FULL');
  }

  /** The JSON text this registry is stored as. */
  serialize(): string {
    const body = {
      format: REGISTRY_FORMAT,
      version: REGISTRY_VERSION,
      partners: this.partners.map((p) => ({ name: p.name, id: p.id.toString(), added: p.added })),
    };
    return `${JSON.stringify(body, null, 2)}\n`;
  }
}

/** Options of {@link loadRegistry}. */
export interface LoadRegistryOptions {
  /** Return an empty registry when the file does not exist instead of throwing (default false). */
  allowMissing?: boolean;
}

const MAX_REGISTRY_BYTES = 16 * 1024 * 1024;

/**
 * Read and validate a registry file.
 * @throws RegistryError when the file is missing (unless `allowMissing`), unreadable, not JSON, of another format or
 *   version, or holds a bad name, a bad ID, or a duplicate name or ID. The message names the file and the problem.
 * @example
 * const registry = await loadRegistry('partners.json');
 * registry.require('acme-vfx').id; // 1n
 */
export async function loadRegistry(path: string, options: LoadRegistryOptions = {}): Promise<PartnerRegistry> {
  assertNonEmptyString(path, 'path');
  assertObject(options, 'options');
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new RegistryError(`${path}: registry is not a regular file`, path, 'ERR_REGISTRY_CORRUPT');
    if (info.size > MAX_REGISTRY_BYTES) {
      throw new RegistryError(`${path}: not a reelmark partner registry (${info.size} bytes is far too large)`, path, 'ERR_REGISTRY_CORRUPT');
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof RegistryError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (options.allowMissing) return new PartnerRegistry(path, []);
      throw new RegistryError(`${path}: partner registry not found (create it with 'reelmark partner add NAME')`, path, 'ERR_REGISTRY_MISSING');
    }
    if (code === 'ENOTDIR') {
      throw new RegistryError(`${path}: partner registry not found: ${await fileOnPath(path)} is a file, not a folder`, path, 'ERR_REGISTRY_MISSING');
    }
    throw new RegistryError(`${path}: cannot read partner registry (${code ?? (error as Error).message})`, path, 'ERR_REGISTRY_UNREADABLE');
  }
  return parseRegistry(text, path);
}

/** Parse registry text; `path` is only used in messages. */
export function parseRegistry(text: string, path: string): PartnerRegistry {
  const corrupt = (problem: string): never => {
    throw new RegistryError(`${path}: corrupt partner registry: ${problem}`, path, 'ERR_REGISTRY_CORRUPT');
  };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RegistryError(`${path}: not a reelmark partner registry (not valid JSON)`, path, 'ERR_REGISTRY_CORRUPT');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) corrupt('expected a JSON object at the top');
  const record = body as Record<string, unknown>;
  if (record.format !== REGISTRY_FORMAT) {
    throw new RegistryError(
      `${path}: not a reelmark partner registry (format is ${JSON.stringify(record.format) ?? 'missing'}, expected "${REGISTRY_FORMAT}")`,
      path,
      'ERR_REGISTRY_CORRUPT',
    );
  }
  if (record.version !== REGISTRY_VERSION) {
    const newer = typeof record.version === 'number' && record.version > REGISTRY_VERSION;
    throw new RegistryError(
      newer
        ? `${path}: partner registry version ${record.version} is newer than this reelmark reads (${REGISTRY_VERSION}); upgrade reelmark`
        : `${path}: corrupt partner registry: unknown version ${JSON.stringify(record.version) ?? 'missing'}`,
      path,
      'ERR_REGISTRY_VERSION',
    );
  }
  if (!Array.isArray(record.partners)) corrupt('"partners" must be an array');
  const partners: Partner[] = [];
  (record.partners as unknown[]).forEach((entry, index) => {
    if (entry === null || typeof entry !== 'object') corrupt(`entry ${index} is not an object`);
    const { name, id, added } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || !PARTNER_NAME_PATTERN.test(name)) corrupt(`entry ${index} has an invalid name ${JSON.stringify(name)}`);
    const parsedId = typeof id === 'string' && /^(0|[1-9][0-9]*)$/.test(id) ? BigInt(id) : -1n;
    if (parsedId < 0n || parsedId > MAX_ID) corrupt(`partner '${String(name)}' has an invalid ID ${JSON.stringify(id)} (expected a decimal string 0..${MAX_ID})`);
    if (typeof added !== 'string') corrupt(`partner '${String(name)}' has no "added" date`);
    partners.push(Object.freeze({ name: name as string, id: parsedId, added: added as string }));
  });
  return new PartnerRegistry(path, partners);
}

/** Options of {@link addPartner}. */
export interface AddPartnerOptions {
  /** The partner's name; see {@link PARTNER_NAME_PATTERN}. */
  name: string;
  /** A chosen ID; when omitted the registry assigns the next free one. */
  id?: bigint;
  /** Give up waiting for another writer's lock after this many milliseconds (default 10000). */
  lockTimeoutMs?: number;
}

/**
 * Add a partner to the registry at `path` (created if missing) and return it. The name must be new; an explicit ID
 * must be free. Safe against concurrent writers: the read-modify-write runs under `path + '.lock'` and the file is
 * replaced atomically.
 * @throws UsageError for a bad name or ID; RegistryError when the name or ID is taken, the file is corrupt, or
 *   the lock cannot be taken.
 * @example
 * const acme = await addPartner('partners.json', { name: 'acme-vfx' }); // { name: 'acme-vfx', id: 1n, ... }
 */
export async function addPartner(path: string, options: AddPartnerOptions): Promise<Partner> {
  assertNonEmptyString(path, 'path');
  assertObject(options, 'options');
  const { name, id, lockTimeoutMs = 10_000 } = options;
  if (typeof name !== 'string' || !PARTNER_NAME_PATTERN.test(name)) {
    invalid('name', 'a partner name of 1-64 letters, digits, ".", "_" or "-" starting with a letter or digit', name);
  }
  if (id !== undefined && (typeof id !== 'bigint' || id < 0n || id > MAX_ID)) invalid('id', `a bigint ID from 0 to ${MAX_ID}`, id);
  if (typeof lockTimeoutMs !== 'number' || !(lockTimeoutMs >= 0)) invalid('lockTimeoutMs', 'a non-negative number', lockTimeoutMs);

  const release = await acquireLock(`${path}.lock`, path, lockTimeoutMs);
  try {
    const registry = await loadRegistry(path, { allowMissing: true });
    const clash = registry.get(name);
    if (clash) {
      throw new RegistryError(`${path}: partner '${clash.name}' already exists (ID ${clash.id})`, path, 'ERR_PARTNER_EXISTS');
    }
    if (id !== undefined) {
      const holder = registry.byId(id);
      if (holder) throw new RegistryError(`${path}: ID ${id} already belongs to partner '${holder.name}'`, path, 'ERR_PARTNER_EXISTS');
    }
    const partner: Partner = Object.freeze({ name, id: id ?? registry.nextId(), added: new Date().toISOString() });
    const updated = new PartnerRegistry(path, [...registry.partners, partner]);
    await writeFileAtomic(path, updated.serialize(), 0o644, 'replace');
    return partner;
  } finally {
    await release();
  }
}

/**
 * What ENOTDIR on `path` means, for a message: the nearest existing entry along it (the path itself first, as in
 * `partners.json/`) is a file where a folder is needed.
 */
async function fileOnPath(path: string): Promise<string> {
  for (let entry = resolve(path); ; entry = dirname(entry)) {
    const info = await stat(entry).catch(() => null);
    if (info !== null) return info.isDirectory() ? `part of ${path}` : entry;
    if (dirname(entry) === entry) return `part of ${path}`;
  }
}

/** Take an exclusive lock file; resolves to the function that releases it. */
async function acquireLock(lockPath: string, registryPath: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => unlink(lockPath).catch(() => undefined);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        const folder = dirname(resolve(registryPath));
        const problem = code === 'ENOTDIR' ? `${await fileOnPath(registryPath)} is a file, not a folder` : `folder ${folder} does not exist`;
        throw new RegistryError(`${registryPath}: cannot write partner registry: ${problem}`, registryPath, 'ERR_REGISTRY_UNWRITABLE');
      }
      if (code !== 'EEXIST') {
        throw new RegistryError(`${registryPath}: cannot write partner registry (${code ?? (error as Error).message})`, registryPath, 'ERR_REGISTRY_UNWRITABLE');
      }
      if (Date.now() >= deadline) {
        throw new RegistryError(
          `${registryPath}: registry is locked by another writer; if none is running, delete ${lockPath}`,
          registryPath,
          'ERR_REGISTRY_LOCKED',
        );
      }
      await sleep(25);
    }
  }
}
