/**
 * Helpers for end-to-end tests of the built `reelmark` binary: spawn it as a user would, generate small media with
 * the ffmpeg the library resolves, and list what is left in a folder.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { resolveFfmpeg } from '@reelmark/core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'packages/cli/dist/cli.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let scratchDir: string | undefined;
// Registered by every test file that imports these helpers; removes that file's scratch ledger, if one was made.
afterAll(() => {
  if (scratchDir !== undefined) rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = undefined;
});

/**
 * embed and batch record every output in a delivery ledger, by default beside the registry in the working folder:
 * a run without `cwd` would append to a ledger in the repository. Those runs get a scratch ledger instead
 * (`REELMARK_LEDGER`, removed after the test file), unless the caller's env names one.
 */
function scratchLedgerEnv(): NodeJS.ProcessEnv {
  scratchDir ??= mkdtempSync(join(tmpdir(), 'reelmark-test-ledger-'));
  return { REELMARK_LEDGER: join(scratchDir, 'deliveries.jsonl') };
}

/** Run `node cli.js ...args` in `cwd` and collect its output. */
export function reelmark(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const env = options.cwd === undefined && !('REELMARK_LEDGER' in (options.env ?? {})) ? { ...scratchLedgerEnv(), ...options.env } : options.env;
  return run(process.execPath, [CLI, ...args], { ...options, env });
}

/** Run a program to completion, collecting stdout and stderr. */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** A fresh temporary folder; remove it with `rm(dir, { recursive: true, force: true })`. */
export function tempDir(prefix = 'reelmark-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Names in a folder, sorted. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** The ffmpeg binary the library uses. */
export async function ffmpegPath(): Promise<string> {
  return (await resolveFfmpeg()).ffmpeg.path;
}

/** Run ffmpeg quietly and throw with its stderr if it fails. */
export async function ffmpeg(args: readonly string[]): Promise<void> {
  const result = await run(await ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args]);
  if (result.code !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed (${result.code}):\n${result.stderr}`);
}

/**
 * A textured test clip: testsrc2 blended with mandelbrot plus temporal noise (so the mark has texture to hide in
 * and a codec has something to remove), H.264 at high quality, with a sine audio track.
 */
export async function makeClip(
  path: string,
  opts: { width?: number; height?: number; seconds?: number; fps?: number; cheap?: boolean } = {},
): Promise<void> {
  const { width = 640, height = 360, seconds = 2, fps = 24, cheap = false } = opts;
  // `cheap` skips the mandelbrot zoom (costly to render) for long clips whose content does not matter.
  const texture = cheap ? ['-f', 'lavfi', '-i', `color=gray:size=${width}x${height}:rate=${fps}`] : ['-f', 'lavfi', '-i', `mandelbrot=size=${width}x${height}:rate=${fps}`];
  await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
    ...texture,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    '-filter_complex', '[0:v][1:v]blend=all_mode=average,noise=alls=12:allf=t,format=yuv420p[v]',
    '-map', '[v]', '-map', '2:a', '-t', String(seconds),
    '-c:v', 'libx264', '-crf', '12', '-preset', 'veryfast', '-c:a', 'aac', '-shortest', path,
  ]);
}

/** A textured still image (png or jpg by extension). */
export async function makeStill(path: string, opts: { width?: number; height?: number } = {}): Promise<void> {
  const { width = 640, height = 360 } = opts;
  await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=1`,
    '-f', 'lavfi', '-i', `mandelbrot=size=${width}x${height}:rate=1`,
    '-filter_complex', '[0:v][1:v]blend=all_mode=average,noise=alls=12:allf=t[v]',
    '-map', '[v]', '-frames:v', '1', path,
  ]);
}

/** True when the stderr of a run shows a JavaScript stack trace. */
export function hasStackTrace(stderr: string): boolean {
  return /\n\s+at .+[(:]\d+/.test(stderr) || /^\s+at /m.test(stderr);
}
