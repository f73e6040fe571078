/**
 * The one module that decides which ffmpeg and ffprobe binaries reelmark runs.
 *
 * Precedence, for each binary: the explicit option, then the `FFMPEG_PATH` / `FFPROBE_PATH` environment
 * variables, then `ffmpeg-static` (ffmpeg only, and only when its download actually happened), then the binaries
 * shipped inside the registry packages `@ffmpeg-installer/ffmpeg` / `@ffprobe-installer/ffprobe`, then `PATH`.
 * An explicit option or environment variable that does not work is an error, never silently skipped.
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import { FfmpegNotFoundError } from '../errors.js';
import { runProcess } from './ffmpeg-process.js';

/** Where a binary was found. */
export type BinarySource =
  | 'option'
  | 'env'
  | 'ffmpeg-static'
  | '@ffmpeg-installer/ffmpeg'
  | '@ffprobe-installer/ffprobe'
  | 'PATH';

/** One resolved binary. */
export interface BinaryInfo {
  /** Absolute path of the executable. */
  path: string;
  /** Where it was found. */
  source: BinarySource;
  /** Version as the binary prints it, e.g. `6.1.1` or `N-47683-g0e8eb07980-static` for git snapshots. */
  version: string;
  /** ffmpeg release the build corresponds to, e.g. `4.1` (derived from libavcodec for git snapshots). */
  release?: string;
  /** libavcodec version, e.g. `58.42.100`. */
  libavcodec?: string;
}

/** The encoders reelmark cares about, plus every other encoder the binary lists. */
export type EncoderTable = Record<'libx264' | 'libx265' | 'prores_ks' | 'ffv1' | 'png' | 'mjpeg' | 'tiff', boolean> &
  Record<string, boolean>;

/** The filters reelmark cares about (quality metrics for evaluation, scaling), plus every other one listed. */
export type FilterTable = Record<'libvmaf' | 'psnr' | 'ssim' | 'scale' | 'extractplanes', boolean> &
  Record<string, boolean>;

/** The binaries in use and what they can do. */
export interface FfmpegSetup {
  ffmpeg: BinaryInfo;
  ffprobe: BinaryInfo;
  encoders: EncoderTable;
  filters: FilterTable;
  /** Things a user should know, e.g. that the ffmpeg in use is older than 5.0. */
  warnings: string[];
}

/** Options of {@link resolveFfmpeg}. */
export interface ResolveOptions {
  /** Use this ffmpeg executable (overrides everything else). */
  ffmpegPath?: string;
  /** Use this ffprobe executable (overrides everything else). */
  ffprobePath?: string;
}

const KEY_ENCODERS = ['libx264', 'libx265', 'prores_ks', 'ffv1', 'png', 'mjpeg', 'tiff'] as const;
const KEY_FILTERS = ['libvmaf', 'psnr', 'ssim', 'scale', 'extractplanes'] as const;

/** libavcodec major.minor of each ffmpeg release (x.y.100), oldest first. */
const RELEASES: ReadonlyArray<[major: number, minor: number, release: string]> = [
  [57, 24, '3.0'],
  [57, 48, '3.1'],
  [57, 64, '3.2'],
  [57, 89, '3.3'],
  [57, 107, '3.4'],
  [58, 18, '4.0'],
  [58, 35, '4.1'],
  [58, 54, '4.2'],
  [58, 91, '4.3'],
  [58, 134, '4.4'],
  [59, 18, '5.0'],
  [59, 37, '5.1'],
  [60, 3, '6.0'],
  [60, 31, '6.1'],
  [61, 3, '7.0'],
  [61, 19, '7.1'],
  [62, 11, '8.0'],
];

/** The newest release whose libavcodec is not newer than `major.minor`, e.g. 58.42 -> '4.1'. */
export function releaseFromLibavcodec(major: number, minor: number): string | undefined {
  let found: string | undefined;
  for (const [ma, mi, rel] of RELEASES) {
    if (ma < major || (ma === major && mi <= minor)) found = rel;
  }
  if (found === undefined) return undefined;
  // A major newer than the table knows: say at least the newest known series.
  const newestMajor = RELEASES[RELEASES.length - 1][0];
  return major > newestMajor ? `${Number(found.split('.')[0]) + (major - newestMajor)}.0` : found;
}

/** Parses `ffmpeg -version` output into a version, release and libavcodec version. */
export function parseVersionOutput(text: string): { version: string; release?: string; libavcodec?: string } {
  const first = /(?:ffmpeg|ffprobe) version (\S+)/.exec(text);
  const version = first ? first[1] : 'unknown';
  const lavc = /libavcodec\s+(\d+)\.\s*(\d+)\.\s*(\d+)/.exec(text);
  const libavcodec = lavc ? `${lavc[1]}.${lavc[2]}.${lavc[3]}` : undefined;
  const numeric = /^n?(\d+)\.(\d+)/.exec(version);
  let release: string | undefined;
  if (numeric) release = `${numeric[1]}.${numeric[2]}`;
  else if (lavc) release = releaseFromLibavcodec(Number(lavc[1]), Number(lavc[2]));
  return { version, release, libavcodec };
}

/** True when `release` (e.g. '4.1') is older than `major.minor`. */
function olderThan(release: string, major: number, minor: number): boolean {
  const [a, b] = release.split('.').map(Number);
  return a < major || (a === major && (b ?? 0) < minor);
}

interface Candidate {
  source: BinarySource;
  path: string | undefined;
  /** Why there is no path (e.g. package not installed). */
  note?: string;
}

const requireFromHere = createRequire(import.meta.url);

function fromPackage(name: string): { path?: string; note?: string } {
  try {
    const mod: unknown = requireFromHere(name);
    if (typeof mod === 'string') return { path: mod };
    if (mod && typeof mod === 'object' && typeof (mod as { path?: unknown }).path === 'string') {
      return { path: (mod as { path: string }).path };
    }
    if (mod === null) return { note: `${name} has no binary for this platform` };
    return { note: `${name} exported no path` };
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (/Cannot find (module|package)/.test(text)) return { note: `${name} is not installed` };
    return { note: `${name}: ${text.split('\n')[0]}` };
  }
}

function pathCandidates(binary: string): Candidate[] {
  const exe = process.platform === 'win32' ? `${binary}.exe` : binary;
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => d !== '')
    .map((dir) => ({ source: 'PATH' as const, path: path.join(dir, exe) }));
}

function candidatesFor(kind: 'ffmpeg' | 'ffprobe', explicit: string | undefined): Candidate[] {
  const envName = kind === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  if (explicit !== undefined) return [{ source: 'option', path: explicit }];
  const env = process.env[envName];
  if (env) return [{ source: 'env', path: env }];
  const list: Candidate[] = [];
  if (kind === 'ffmpeg') {
    const st = fromPackage('ffmpeg-static');
    list.push({ source: 'ffmpeg-static', path: st.path, note: st.note });
    const inst = fromPackage('@ffmpeg-installer/ffmpeg');
    list.push({ source: '@ffmpeg-installer/ffmpeg', path: inst.path, note: inst.note });
  } else {
    const inst = fromPackage('@ffprobe-installer/ffprobe');
    list.push({ source: '@ffprobe-installer/ffprobe', path: inst.path, note: inst.note });
  }
  return list.concat(pathCandidates(kind));
}

/** Why `file` cannot be run, or undefined when it can. */
async function unusable(file: string): Promise<{ reason: string; fix?: string } | undefined> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return { reason: 'is not a file' };
  } catch {
    return { reason: 'does not exist' };
  }
  try {
    await access(file, fsConstants.X_OK);
  } catch {
    return { reason: 'exists but is not executable', fix: `chmod u+x '${file}'` };
  }
  return undefined;
}

async function pick(kind: 'ffmpeg' | 'ffprobe', explicit: string | undefined): Promise<{ path: string; source: BinarySource }> {
  const candidates = candidatesFor(kind, explicit);
  const tried: string[] = [];
  const fixes: string[] = [];
  for (const c of candidates) {
    if (c.path === undefined) {
      tried.push(`  - ${c.source}: ${c.note ?? 'no path'}`);
      continue;
    }
    const abs = path.resolve(c.path);
    const problem = await unusable(abs);
    if (!problem) return { path: abs, source: c.source };
    if (c.source === 'PATH' && problem.reason === 'does not exist') continue; // PATH dirs without it are noise
    // An explicit choice is never silently replaced, and the search below it is not what went wrong.
    if (c.source === 'option' || c.source === 'env') throw explicitUnusable(kind, c.source, abs, problem.reason, problem.fix);
    tried.push(`  - ${abs} (${c.source}): ${problem.reason}`);
    if (problem.fix) fixes.push(`  ${problem.fix}`);
  }
  if (!tried.some((t) => t.includes('(PATH)'))) tried.push(`  - PATH: no '${kind}' found`);
  const envName = kind === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  const pkg = kind === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe';
  fixes.push(
    `  npm install ${pkg}          (ships the binary inside the npm package; works on closed networks)`,
    `  export ${envName}=/path/to/${kind}   (use a ${kind} you installed yourself, ffmpeg >= 5.0 recommended)`,
  );
  throw new FfmpegNotFoundError(
    `Could not find a usable ${kind} binary.\nTried, in order of precedence:\n${tried.join('\n')}\n` +
      `Possible fixes:\n${fixes.join('\n')}`,
  );
}

/**
 * The error for an explicit path (the `ffmpegPath`/`ffprobePath` option, or FFMPEG_PATH/FFPROBE_PATH) that cannot
 * be used: it names the setting and says to fix it or drop it, rather than listing a search that never ran.
 */
function explicitUnusable(kind: 'ffmpeg' | 'ffprobe', source: 'option' | 'env', file: string, reason: string, fix?: string): FfmpegNotFoundError {
  const option = `${kind}Path`;
  const envName = kind === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  const setting = source === 'env' ? envName : `The ${option} option`;
  const fixes = fix ? [`  ${fix}`] : [];
  fixes.push(
    source === 'env'
      ? `  set ${envName} to the path of an ${kind} executable, or unset it (unset ${envName}) to let reelmark find ${kind} itself`
      : `  pass the path of an ${kind} executable as ${option}, or leave ${option} out to let reelmark find ${kind} itself`,
  );
  return new FfmpegNotFoundError(`${setting} points at ${file}, which ${reason}.\nPossible fixes:\n${fixes.join('\n')}`);
}

async function describe(kind: 'ffmpeg' | 'ffprobe', picked: { path: string; source: BinarySource }): Promise<BinaryInfo> {
  const explicit = picked.source === 'option' || picked.source === 'env' ? picked.source : undefined;
  let text: string;
  try {
    const { stdout } = await runProcess(picked.path, ['-hide_banner', '-version'], {
      label: `${kind} (${picked.path} -version)`,
    }).catch(async () => runProcess(picked.path, ['-version'], { label: `${kind} (${picked.path} -version)` }));
    text = stdout.toString('utf8');
  } catch (err) {
    if (!explicit) throw err;
    throw explicitUnusable(kind, explicit, picked.path, `does not run as ${kind} (${(err as Error).message.split('\n')[0]})`);
  }
  if (!new RegExp(`${kind} version`).test(text)) {
    const said = `does not look like ${kind}: '${text.split('\n')[0]}'`;
    if (explicit) throw explicitUnusable(kind, explicit, picked.path, said);
    throw new FfmpegNotFoundError(`${picked.path} (${picked.source}) ${said}`);
  }
  return { path: picked.path, source: picked.source, ...parseVersionOutput(text) };
}

/** Names listed by `ffmpeg -encoders` / `-filters` (the second column of each table row). */
export function parseListing(text: string, kind: 'encoders' | 'filters'): Set<string> {
  const names = new Set<string>();
  const row = kind === 'encoders' ? /^\s*[VAS][F.][S.][X.][B.][D.]\s+(\S+)/ : /^\s*[T.][S.][C.]?\s+(\S+)\s+\S+->\S+/;
  for (const line of text.split('\n')) {
    const m = row.exec(line);
    if (m && m[1] !== '=') names.add(m[1]);
  }
  return names;
}

async function capabilities(ffmpeg: string): Promise<{ encoders: EncoderTable; filters: FilterTable }> {
  const [enc, fil] = await Promise.all([
    runProcess(ffmpeg, ['-hide_banner', '-encoders'], { label: `ffmpeg (${ffmpeg} -encoders)` }),
    runProcess(ffmpeg, ['-hide_banner', '-filters'], { label: `ffmpeg (${ffmpeg} -filters)` }),
  ]);
  const encoderNames = parseListing(enc.stdout.toString('utf8'), 'encoders');
  const filterNames = parseListing(fil.stdout.toString('utf8'), 'filters');
  const encoders = Object.fromEntries(KEY_ENCODERS.map((n) => [n, false])) as EncoderTable;
  for (const n of encoderNames) encoders[n] = true;
  const filters = Object.fromEntries(KEY_FILTERS.map((n) => [n, false])) as FilterTable;
  for (const n of filterNames) filters[n] = true;
  return { encoders, filters };
}

const cache = new Map<string, Promise<FfmpegSetup>>();

/**
 * Finds the ffmpeg and ffprobe to use, checks that they run, and lists what they can do. The result is cached per
 * combination of options and environment variables; a failed resolution is not cached.
 *
 * @example
 * const setup = await resolveFfmpeg();
 * console.log(setup.ffmpeg.path, setup.ffmpeg.source, setup.ffmpeg.release, setup.encoders.libx264);
 */
export function resolveFfmpeg(options: ResolveOptions = {}): Promise<FfmpegSetup> {
  const key = [options.ffmpegPath ?? '', options.ffprobePath ?? '', process.env.FFMPEG_PATH ?? '', process.env.FFPROBE_PATH ?? ''].join('\0');
  let entry = cache.get(key);
  if (!entry) {
    entry = resolveUncached(options);
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
  }
  return entry;
}

async function resolveUncached(options: ResolveOptions): Promise<FfmpegSetup> {
  const [ffmpegPick, ffprobePick] = await Promise.all([pick('ffmpeg', options.ffmpegPath), pick('ffprobe', options.ffprobePath)]);
  const [ffmpeg, ffprobe, caps] = await Promise.all([
    describe('ffmpeg', ffmpegPick),
    describe('ffprobe', ffprobePick),
    capabilities(ffmpegPick.path),
  ]);
  const warnings: string[] = [];
  for (const info of [ffmpeg, ffprobe]) {
    const name = info === ffmpeg ? 'ffmpeg' : 'ffprobe';
    if (info.release && olderThan(info.release, 5, 0)) {
      warnings.push(
        `${name} at ${info.path} (${info.source}) is version ${info.version}` +
          `${info.release !== info.version ? ` (ffmpeg ${info.release} era, libavcodec ${info.libavcodec})` : ''}, ` +
          `older than 5.0: leaked files are untrusted input and old demuxers carry known vulnerabilities. ` +
          `Set ${name === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'} to a current build.`,
      );
    } else if (!info.release) {
      warnings.push(`${name} at ${info.path}: could not tell its release from '${info.version}'.`);
    }
  }
  for (const enc of ['libx264', 'ffv1'] as const) {
    if (!caps.encoders[enc]) warnings.push(`ffmpeg at ${ffmpeg.path} has no ${enc} encoder.`);
  }
  return { ffmpeg, ffprobe, encoders: caps.encoders, filters: caps.filters, warnings };
}

/** Forgets cached resolutions (for tests and long-running processes whose environment changed). */
export function clearFfmpegCache(): void {
  cache.clear();
}
