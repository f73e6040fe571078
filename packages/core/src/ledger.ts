/**
 * The delivery ledger: an append-only JSON Lines file with one record per marked output (`deliveries.jsonl` beside
 * the partner registry by default), so that an ID found in a leak leads to the delivery it came from: who received
 * which file, made from which master, when, by whom, with which key and strength.
 *
 * ```json
 * {"format":"reelmark-delivery","version":1,"time":"2025-01-31T10:00:00.000Z","id":"1","partner":"acme-vfx",
 *  "title":"master","master":{"path":"/deliveries/master.mov","sha256":"…","size":123},
 *  "output":{"path":"/deliveries/master.acme-vfx.mov","sha256":"…","size":124},"kind":"video","frames":240,
 *  "width":1920,"height":1080,"keyId":"3bed37ad7c87cb4d","strength":2.4,"reelmark":"reelmark 0.1.0",
 *  "ffmpeg":"6.1.1","operator":"alice"}
 * ```
 *
 * Durability. Each append is one `write(2)` of complete lines to a descriptor opened with `O_APPEND`, followed by
 * `fsync`: the kernel places the whole buffer at the end of the file in one step, so appends from concurrent
 * processes never interleave, and a crash leaves at worst an incomplete last line (never a half record in the
 * middle). A writer that finds the file not ending in a newline (such a crash) starts its record on a new line, so
 * the damage stays confined to that one line. (A reader may see another process's large append while it is still
 * landing page by page; the writer's check then adds an empty line, which readers ignore.) Readers report a line
 * they cannot read, with its line number, and skip it; they never drop one silently. (`O_APPEND` is atomic on local
 * file systems; NFS does not promise it.)
 */
import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ReelmarkError } from './errors.js';
import { sameFileAmong } from './same-file.js';
import { DEFAULT_REGISTRY_PATH } from './registry.js';
import { assertNonEmptyString, assertObject, invalid } from './validate.js';
import { MAX_ID } from './watermark/payload.js';

/** The `format` field of every ledger record. */
export const LEDGER_FORMAT = 'reelmark-delivery';
/** The record version this release reads and writes. */
export const LEDGER_VERSION = 1;
/** File name of the default ledger, in the registry's folder. */
export const DEFAULT_LEDGER_NAME = 'deliveries.jsonl';

/** A ledger cannot be read or written, or a record given to it is not valid. */
export class LedgerError extends ReelmarkError {
  readonly path: string;
  constructor(message: string, path: string, code = 'ERR_LEDGER', options?: { cause?: unknown }) {
    super(message, code, options);
    this.path = path;
  }
}

/** A file as the ledger identifies it. */
export interface LedgerFile {
  /** Absolute path at the time of the delivery. */
  readonly path: string;
  /** SHA-256 of the file's bytes, hex. */
  readonly sha256: string;
  /** Size in bytes. */
  readonly size: number;
}

/** One delivery: a marked output and everything needed to stand behind it. */
export interface DeliveryRecord {
  /** When the output was completed, ISO 8601 in UTC (`…Z`). */
  readonly time: string;
  /** The watermark ID embedded in the output. */
  readonly id: bigint;
  /** The partner the output was made for, when known by name. */
  readonly partner: string | null;
  /** Title of the work (default: the master's file name without its extension). */
  readonly title: string | null;
  readonly master: LedgerFile;
  readonly output: LedgerFile;
  readonly kind: 'video' | 'image';
  /** Frames written (1 for a still). */
  readonly frames: number;
  readonly width: number;
  readonly height: number;
  /** Public id of the key the output was marked with (never the key itself). */
  readonly keyId: string;
  readonly strength: number;
  /** `reelmark x.y.z`. */
  readonly reelmark: string;
  /** Version of the ffmpeg that decoded and encoded the output. */
  readonly ffmpeg: string;
  /** Who made the delivery (see {@link currentOperator}). */
  readonly operator: string;
}

/** The JSON form of a {@link DeliveryRecord} (one ledger line): the ID as a decimal string. */
export interface DeliveryRecordJSON {
  format: typeof LEDGER_FORMAT;
  version: typeof LEDGER_VERSION;
  time: string;
  id: string;
  partner: string | null;
  title: string | null;
  master: { path: string; sha256: string; size: number };
  output: { path: string; sha256: string; size: number };
  kind: 'video' | 'image';
  frames: number;
  width: number;
  height: number;
  keyId: string;
  strength: number;
  reelmark: string;
  ffmpeg: string;
  operator: string;
}

/** A line of the ledger that could not be read; it is skipped, and reported. */
export interface LedgerWarning {
  /** 1-based line number in the file. */
  readonly line: number;
  /** What is wrong with the line. */
  readonly message: string;
}

/**
 * The default ledger: `deliveries.jsonl` in the folder of the partner registry.
 * @example
 * defaultLedgerPath('studio/partners.json'); // 'studio/deliveries.jsonl'
 */
export function defaultLedgerPath(registryPath: string = DEFAULT_REGISTRY_PATH): string {
  assertNonEmptyString(registryPath, 'registryPath');
  return join(dirname(registryPath), DEFAULT_LEDGER_NAME);
}

/**
 * Who is making deliveries: `REELMARK_OPERATOR` when set, otherwise the operating-system user (falling back to
 * `USER`/`LOGNAME`/`USERNAME`, then `uid N`, where the account has no name, as in some containers).
 */
export function currentOperator(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.REELMARK_OPERATOR?.trim();
  if (named) return named;
  try {
    const user = userInfo().username;
    if (user) return user;
  } catch {
    // No passwd entry for this uid: fall through to the environment.
  }
  const fromEnv = (env.USER ?? env.LOGNAME ?? env.USERNAME)?.trim();
  if (fromEnv) return fromEnv;
  return typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'unknown';
}

const SHA256 = /^[0-9a-f]{64}$/;

function checkFile(value: unknown, name: string): LedgerFile {
  assertObject(value, name);
  const f = value as Record<string, unknown>;
  assertNonEmptyString(f.path, `${name}.path`);
  if (typeof f.sha256 !== 'string' || !SHA256.test(f.sha256)) invalid(`${name}.sha256`, 'a SHA-256 in lowercase hex', f.sha256);
  if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0) invalid(`${name}.size`, 'a size in bytes', f.size);
  return { path: f.path, sha256: f.sha256, size: f.size };
}

/** Check a record given by a caller (names say which field is wrong). @internal */
export function checkDeliveryRecord(value: unknown, name = 'record'): DeliveryRecord {
  assertObject(value, name);
  const r = value as Record<string, unknown>;
  if (typeof r.time !== 'string' || Number.isNaN(Date.parse(r.time)) || !r.time.endsWith('Z')) invalid(`${name}.time`, 'an ISO 8601 UTC time', r.time);
  if (typeof r.id !== 'bigint' || r.id < 0n || r.id > MAX_ID) invalid(`${name}.id`, `a bigint ID from 0 to ${MAX_ID}`, r.id);
  if (r.partner !== null && (typeof r.partner !== 'string' || r.partner === '')) invalid(`${name}.partner`, 'a partner name or null', r.partner);
  if (r.title !== null && typeof r.title !== 'string') invalid(`${name}.title`, 'a title or null', r.title);
  const master = checkFile(r.master, `${name}.master`);
  const output = checkFile(r.output, `${name}.output`);
  if (r.kind !== 'video' && r.kind !== 'image') invalid(`${name}.kind`, "'video' or 'image'", r.kind);
  for (const field of ['frames', 'width', 'height'] as const) {
    if (typeof r[field] !== 'number' || !Number.isSafeInteger(r[field]) || (r[field] as number) < 0) invalid(`${name}.${field}`, 'a non-negative integer', r[field]);
  }
  assertNonEmptyString(r.keyId, `${name}.keyId`);
  if (typeof r.strength !== 'number' || !(r.strength > 0) || !Number.isFinite(r.strength)) invalid(`${name}.strength`, 'a positive number', r.strength);
  assertNonEmptyString(r.reelmark, `${name}.reelmark`);
  assertNonEmptyString(r.ffmpeg, `${name}.ffmpeg`);
  assertNonEmptyString(r.operator, `${name}.operator`);
  return Object.freeze({
    time: r.time,
    id: r.id,
    partner: r.partner as string | null,
    title: r.title as string | null,
    master,
    output,
    kind: r.kind,
    frames: r.frames as number,
    width: r.width as number,
    height: r.height as number,
    keyId: r.keyId,
    strength: r.strength,
    reelmark: r.reelmark,
    ffmpeg: r.ffmpeg,
    operator: r.operator,
  });
}

/** The JSON form of a record: what one ledger line holds. */
export function deliveryRecordToJSON(record: DeliveryRecord): DeliveryRecordJSON {
  return {
    format: LEDGER_FORMAT,
    version: LEDGER_VERSION,
    time: record.time,
    id: record.id.toString(),
    partner: record.partner,
    title: record.title,
    master: { path: record.master.path, sha256: record.master.sha256, size: record.master.size },
    output: { path: record.output.path, sha256: record.output.sha256, size: record.output.size },
    kind: record.kind,
    frames: record.frames,
    width: record.width,
    height: record.height,
    keyId: record.keyId,
    strength: record.strength,
    reelmark: record.reelmark,
    ffmpeg: record.ffmpeg,
    operator: record.operator,
  };
}

/**
 * Parse one ledger line. Throws an Error whose message says what is wrong (the reader turns it into a warning).
 * @internal
 */
export function parseDeliveryLine(line: string): DeliveryRecord {
  let body: unknown;
  try {
    body = JSON.parse(line);
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message})`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not a JSON object');
  const r = body as Record<string, unknown>;
  if (r.format !== LEDGER_FORMAT) throw new Error(`not a reelmark delivery record (format ${JSON.stringify(r.format) ?? 'missing'})`);
  if (r.version !== LEDGER_VERSION) {
    throw new Error(
      typeof r.version === 'number' && r.version > LEDGER_VERSION
        ? `record version ${r.version} is newer than this reelmark reads (${LEDGER_VERSION}); upgrade reelmark`
        : `unknown record version ${JSON.stringify(r.version) ?? 'missing'}`,
    );
  }
  if (typeof r.id !== 'string' || !/^(0|[1-9][0-9]*)$/.test(r.id)) throw new Error(`invalid ID ${JSON.stringify(r.id)}`);
  try {
    return checkDeliveryRecord({ ...r, id: BigInt(r.id) });
  } catch (error) {
    throw new Error(`invalid record: ${(error as Error).message}`);
  }
}

/** A ledger as read: its readable records in file order, and a warning for every line that was skipped. */
export class Ledger {
  readonly path: string;
  readonly records: readonly DeliveryRecord[];
  /** Lines that could not be read (skipped), with their line numbers. */
  readonly warnings: readonly LedgerWarning[];

  constructor(path: string, records: readonly DeliveryRecord[], warnings: readonly LedgerWarning[] = []) {
    this.path = path;
    this.records = Object.freeze([...records]);
    this.warnings = Object.freeze([...warnings]);
  }

  /** Deliveries of `id`, optionally only those marked with the key `keyId`, in the order they were made. */
  find(id: bigint, keyId?: string): DeliveryRecord[] {
    return this.records.filter((r) => r.id === id && (keyId === undefined || r.keyId === keyId));
  }

  /** Deliveries to the partner `name` (case-insensitive), in the order they were made. */
  forPartner(name: string): DeliveryRecord[] {
    const wanted = name.toLowerCase();
    return this.records.filter((r) => r.partner !== null && r.partner.toLowerCase() === wanted);
  }

  /** Each warning as `path:line: message`, for printing. */
  warningLines(): string[] {
    return this.warnings.map((w) => `${this.path}:${w.line}: ${w.message}`);
  }
}

/** Options of {@link loadLedger}. */
export interface LoadLedgerOptions {
  /** Return an empty ledger when the file does not exist instead of throwing (default false). */
  allowMissing?: boolean;
}

/**
 * Read a ledger, streaming it line by line. A line that is not a valid record (cut short by a crash, edited by
 * hand, of a newer version) is skipped and reported in `warnings` with its line number; blank lines are ignored.
 * @throws LedgerError when the file is missing (unless `allowMissing`), not a regular file, unreadable, or not a
 *   ledger at all (it has lines, and none of them names the ledger format: a registry or key file given by mistake).
 * @example
 * const ledger = await loadLedger('deliveries.jsonl');
 * for (const w of ledger.warningLines()) console.warn(w);
 * ledger.find(1234n); // every delivery of ID 1234
 */
export async function loadLedger(path: string, options: LoadLedgerOptions = {}): Promise<Ledger> {
  assertNonEmptyString(path, 'path');
  assertObject(options, 'options');
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new LedgerError(`${path}: delivery ledger is not a regular file`, path, 'ERR_LEDGER_UNREADABLE');
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (options.allowMissing) return new Ledger(path, []);
      throw new LedgerError(`${path}: delivery ledger not found (embed and batch record deliveries in it)`, path, 'ERR_LEDGER_MISSING');
    }
    throw new LedgerError(`${path}: cannot read delivery ledger (${code ?? (error as Error).message})`, path, 'ERR_LEDGER_UNREADABLE', { cause: error });
  }
  const records: DeliveryRecord[] = [];
  const warnings: LedgerWarning[] = [];
  let lineNumber = 0;
  // Lines that name the ledger's format, readable or not (a newer version's records still make a ledger).
  let ledgerLines = 0;
  const take = (bytes: Buffer, complete: boolean) => {
    lineNumber++;
    const text = bytes.toString('utf8').replace(/\r$/, '');
    if (text.trim() === '') return;
    if (text.includes(`"${LEDGER_FORMAT}"`)) ledgerLines++;
    try {
      records.push(parseDeliveryLine(text));
      if (!complete) warnings.push({ line: lineNumber, message: 'last record has no end of line (the file was cut or edited); record read' });
    } catch (error) {
      const problem = (error as Error).message;
      warnings.push({
        line: lineNumber,
        message: complete
          ? `unreadable record skipped: ${problem}`
          : `incomplete last record skipped (no end of line: an interrupted write?): ${problem}`,
      });
    }
  };
  try {
    let pending: Buffer[] = [];
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 16 }) as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        pending.push(chunk.subarray(start, nl));
        take(Buffer.concat(pending), true);
        pending = [];
        start = nl + 1;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
    }
    if (pending.length > 0) take(Buffer.concat(pending), false);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LedgerError(`${path}: cannot read delivery ledger (${code ?? (error as Error).message})`, path, 'ERR_LEDGER_UNREADABLE', { cause: error });
  }
  if (ledgerLines === 0 && warnings.length > 0) {
    throw new LedgerError(
      `${path}: not a delivery ledger: no line of it is a ${LEDGER_FORMAT} record (line ${warnings[0].line}: ${warnings[0].message})`,
      path,
      'ERR_LEDGER_NOT_LEDGER',
    );
  }
  return new Ledger(path, records, warnings);
}

/**
 * Check, before any work, that records could be appended to `path`: its folder exists; if the file exists, it is
 * a writable regular file that is empty or begins with a delivery record (so that a mistyped `--ledger` never
 * appends to a key file, a registry or a master); and it is none of `files` (the call's master and outputs).
 * Creates nothing.
 * @throws LedgerError naming the problem.
 */
export async function assertLedgerWritable(path: string, files: ReadonlyArray<string> = []): Promise<void> {
  assertNonEmptyString(path, 'path');
  const folder = dirname(path);
  try {
    const info = await stat(folder);
    if (!info.isDirectory()) throw new LedgerError(`${path}: cannot record deliveries: ${folder} is not a folder`, path, 'ERR_LEDGER_UNWRITABLE');
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    throw new LedgerError(`${path}: cannot record deliveries: folder ${folder} does not exist`, path, 'ERR_LEDGER_UNWRITABLE');
  }
  const clash = await sameFileAmong(path, files);
  if (clash !== undefined) {
    throw new LedgerError(`${path}: cannot record deliveries in ${clash}, a file this delivery reads or writes; the ledger must be a file of its own`, path, 'ERR_LEDGER_UNWRITABLE');
  }
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new LedgerError(`${path}: delivery ledger is not a regular file`, path, 'ERR_LEDGER_UNWRITABLE');
    // Appending reads the last byte first (a line cut short by a crash is ended before the next record).
    await access(path, constants.R_OK | constants.W_OK).catch((error: NodeJS.ErrnoException) => {
      throw new LedgerError(`${path}: cannot record deliveries: the ledger must be readable and writable by this user (${error.code ?? error.message})`, path, 'ERR_LEDGER_UNWRITABLE');
    });
    if (info.size > 0 && !(await beginsWithRecord(path))) {
      throw new LedgerError(`${path}: not a delivery ledger (its first line is not a ${LEDGER_FORMAT} record); refusing to append to it`, path, 'ERR_LEDGER_NOT_LEDGER');
    }
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      await access(folder, constants.W_OK).catch(() => {
        throw new LedgerError(`${path}: cannot record deliveries: folder ${folder} is not writable`, path, 'ERR_LEDGER_UNWRITABLE');
      });
      return;
    }
    throw new LedgerError(`${path}: cannot record deliveries (${code ?? (error as Error).message})`, path, 'ERR_LEDGER_UNWRITABLE');
  }
}

/** How much of a file is read to find its first line (a record is well under 2 KiB). */
const FIRST_LINE_BYTES = 1 << 16;

/**
 * Whether the file's first non-blank line is a delivery record. A first line cut short (a crash during the very
 * first append) still counts when it begins as every record this library writes begins.
 */
async function beginsWithRecord(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  let text: string;
  try {
    const buffer = Buffer.alloc(FIRST_LINE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, FIRST_LINE_BYTES, 0);
    text = buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
  const line = text.split('\n').find((l) => l.trim() !== '');
  if (line === undefined) return true;
  const trimmed = line.trim();
  if (trimmed.startsWith(`{"format":"${LEDGER_FORMAT}"`)) return true;
  try {
    const value = JSON.parse(trimmed) as unknown;
    return value !== null && typeof value === 'object' && (value as { format?: unknown }).format === LEDGER_FORMAT;
  } catch {
    return false;
  }
}

/**
 * Append records to the ledger at `path` (created if missing, mode 0644) in one `write` with `fsync`: all of them
 * or none is ever seen by a reader, and concurrent writers never interleave (see the module notes). Records of one
 * batch stay together.
 * @throws UsageError for an invalid record; LedgerError when the file cannot be written (nothing was appended, or
 *   at worst an incomplete line that readers report and skip).
 * @example
 * await appendDeliveries('deliveries.jsonl', [record]);
 */
export async function appendDeliveries(path: string, records: readonly DeliveryRecord[]): Promise<void> {
  assertNonEmptyString(path, 'path');
  if (!Array.isArray(records) || records.length === 0) invalid('records', 'a non-empty array of delivery records', records);
  const lines = records.map((r, i) => `${JSON.stringify(deliveryRecordToJSON(checkDeliveryRecord(r, `records[${i}]`)))}\n`).join('');
  let created = false;
  let handle;
  try {
    created = await stat(path).then(
      () => false,
      () => true,
    );
    // 'a+': O_APPEND | O_CREAT | O_RDWR. Every write lands at the end of the file; reading the last byte is allowed.
    handle = await open(path, 'a+', 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LedgerError(`${path}: cannot open delivery ledger for appending (${code ?? (error as Error).message})`, path, 'ERR_LEDGER_UNWRITABLE', { cause: error });
  }
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      // The previous writer died mid-line: keep that damage on its own line.
      if (last[0] !== 0x0a) prefix = '\n';
    }
    const bytes = Buffer.from(prefix + lines, 'utf8');
    // One buffer, one write(2). A local file system writes a regular file short only when it runs out of space,
    // and then the rest fails too: a write that does not complete is reported.
    const { bytesWritten } = await handle.write(bytes, 0, bytes.length, null);
    if (bytesWritten !== bytes.length) {
      throw new LedgerError(`${path}: short write to the delivery ledger (${bytesWritten} of ${bytes.length} bytes; disk full?)`, path, 'ERR_LEDGER_UNWRITABLE');
    }
    await handle.sync();
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new LedgerError(`${path}: cannot append to delivery ledger (${code ?? (error as Error).message})`, path, 'ERR_LEDGER_UNWRITABLE', { cause: error });
  } finally {
    await handle.close();
  }
  if (created) await syncFolder(dirname(path));
}

/** fsync a folder so that a newly created file's name survives a crash (best effort: not every system allows it). */
async function syncFolder(folder: string): Promise<void> {
  try {
    const dir = await open(folder, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Windows and some file systems refuse to open or sync a directory; the record itself is already on disk.
  }
}

/** The default title of a delivery: the master's file name without its extension. @internal */
export function titleOf(masterPath: string): string {
  const name = basename(masterPath);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}
