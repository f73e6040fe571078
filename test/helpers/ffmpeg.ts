/**
 * Test helpers: generate small media with ffmpeg's own sources and read facts back with ffprobe/ffmpeg.
 * Uses the same binaries the library resolves (no system ffmpeg needed). Reusable by other test suites.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { rotationArgs } from '../../packages/core/src/media/ffmpeg-args.js';
import { resolveFfmpeg } from '../../packages/core/src/media/index.js';

/** Runs a binary, resolving with stdout (binary-safe as latin1 string is avoided: returns Buffer). */
export function run(binary: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(binary)} ${args.join(' ')} failed: ${err.message}\n${stderr.toString()}`));
      else resolve(stdout);
    });
  });
}

export async function binaries(): Promise<{ ffmpeg: string; ffprobe: string }> {
  const setup = await resolveFfmpeg();
  return { ffmpeg: setup.ffmpeg.path, ffprobe: setup.ffprobe.path };
}

export async function ffmpeg(args: string[]): Promise<Buffer> {
  const { ffmpeg: bin } = await binaries();
  return run(bin, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args]);
}

export async function ffprobe(args: string[]): Promise<Buffer> {
  const { ffprobe: bin } = await binaries();
  return run(bin, ['-v', 'error', ...args]);
}

/** A stream copy of `input` with a display rotation (the way the ffmpeg in use stores one). */
export async function rotatedCopy(input: string, output: string, degrees: number): Promise<void> {
  const rotation = rotationArgs(await resolveFfmpeg(), degrees);
  await ffmpeg([...rotation.input, '-i', input, '-c', 'copy', ...rotation.output, '-y', output]);
}

/** A fresh temporary folder; remove it with `cleanup`. */
export async function tempDir(prefix = 'reelmark-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** How to generate a clip. */
export interface ClipSpec {
  /** Picture source: ffmpeg's testsrc2, mandelbrot, or testsrc2 with temporal noise. Default testsrc2. */
  pattern?: 'testsrc2' | 'mandelbrot' | 'noise';
  /** WxH, default 320x180. */
  size?: string;
  /** Frame rate, default 25. */
  rate?: string;
  /** Seconds, default 1. */
  duration?: number;
  /** Extra video filters after the source (e.g. setpts for variable frame rate). */
  filters?: string[];
  /** Encoder and its options, e.g. ['-c:v', 'ffv1', '-pix_fmt', 'yuv422p10le']. */
  video: string[];
  /** Audio encoder options (a 440 Hz sine track), or false for no audio. Default ['-c:a', 'aac']. */
  audio?: string[] | false;
  /** More output options (metadata, timecode, colour tags, -vsync ...). */
  extra?: string[];
}

/** Generates a clip into `dir/name` and returns its path. */
export async function makeClip(dir: string, name: string, spec: ClipSpec): Promise<string> {
  const size = spec.size ?? '320x180';
  const rate = spec.rate ?? '25';
  const duration = spec.duration ?? 1;
  const base = spec.pattern === 'mandelbrot' ? `mandelbrot=s=${size}:r=${rate}` : `testsrc2=s=${size}:r=${rate}`;
  const chain = [base];
  if (spec.pattern === 'noise') chain.push('noise=alls=30:allf=t+u');
  chain.push(...(spec.filters ?? []));
  const out = path.join(dir, name);
  const args = ['-f', 'lavfi', '-i', chain.join(',')];
  if (spec.audio !== false) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${duration}`);
  args.push('-t', String(duration), ...spec.video);
  if (spec.audio !== false) args.push(...(spec.audio ?? ['-c:a', 'aac']));
  args.push(...(spec.extra ?? []), '-y', out);
  await ffmpeg(args);
  return out;
}

/** Presentation times of the decoded video frames, as ffprobe prints them. */
export async function framePts(file: string): Promise<string[]> {
  const out = await ffprobe(['-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file]);
  return out
    .toString()
    .split('\n')
    .map((l) => l.trim().replace(/,$/, ''))
    .filter((l) => l !== '');
}

/** MD5 of every decoded video frame (in the given pixel format), in order. */
export async function frameHashes(file: string, pixelFormat?: string): Promise<string[]> {
  const args = ['-i', file, '-map', '0:v:0', '-vsync', 'passthrough'];
  if (pixelFormat) args.push('-pix_fmt', pixelFormat);
  args.push('-f', 'framemd5', '-');
  const out = await ffmpeg(args);
  return out
    .toString()
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').pop()!.trim());
}

/** MD5 of every packet of every audio stream, copied without decoding (proves a bit-exact copy). */
export async function audioPacketHashes(file: string): Promise<string[]> {
  const out = await ffmpeg(['-i', file, '-map', '0:a', '-c', 'copy', '-f', 'framemd5', '-']);
  return out
    .toString()
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',').map((x) => x.trim()).join(','));
}

/** ffprobe's stream list as JSON objects. */
export async function streams(file: string): Promise<Array<Record<string, unknown> & { tags?: Record<string, string> }>> {
  const out = await ffprobe(['-print_format', 'json', '-show_streams', file]);
  return (JSON.parse(out.toString()) as { streams: Array<Record<string, unknown>> }).streams;
}

/** Process ids of running processes whose command line contains `needle` (from /proc; Linux only). */
export async function processesMatching(needle: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = (await readFile(`/proc/${entry}/cmdline`)).toString().replace(/\0/g, ' ');
      if (cmd.includes(needle)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}
