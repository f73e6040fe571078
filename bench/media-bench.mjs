#!/usr/bin/env node
/**
 * Media layer benchmarks (not tests). Run after `npm run build`:
 *
 *   node bench/media-bench.mjs [transform|read|rss|many|all] [--preset medium] [--runs 2]
 *
 * Each measurement is compared with plain ffmpeg measured in the same run, and quoted as a ratio.
 * Clips are generated with ffmpeg into bench/work/ (git-ignored). Rows go to bench/work/media-results.jsonl.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { readFrames, resolveFfmpeg, transformVideo, transformVideoToMany } from '../packages/core/dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const work = path.join(here, 'work');
const results = path.join(work, 'media-results.jsonl');
/** True when run as a script (`node bench/media-bench.mjs`), false when bench/speed.mjs imports it. */
const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
const args = isMain ? process.argv.slice(2) : [];
const what = args.find((a) => !a.startsWith('--')) ?? 'all';
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
let preset = opt('preset', 'medium');
let runs = Number(opt('runs', '2'));

const setup = await resolveFfmpeg();
const FF = setup.ffmpeg.path;

function run(bin, argv, { quiet = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(bin)} ${argv.join(' ')}\n${err}`))));
  });
}

/** CPU seconds used so far by this process and by its reaped children (Linux /proc, 100 ticks/s). */
async function cpuSeconds() {
  const { readFile } = await import('node:fs/promises');
  const fields = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1].split(' ');
  // utime, stime, cutime, cstime are fields 14-17 of stat; [1] starts at field 3.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return (utime + stime + cutime + cstime) / 100;
}

/** Wall time and CPU time (this process + children) of `fn`. The CPU figure is robust to other load on the machine. */
async function timed(fn) {
  const c0 = await cpuSeconds();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, cpu: (await cpuSeconds()) - c0, value };
}

async function exists(p) {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** testsrc2 with light temporal noise (so the encoder has real work, about 10 Mb/s at 1080p) and a sine track. */
export async function clip(name, size, seconds) {
  const out = path.join(work, name);
  if (await exists(out)) return out;
  console.error(`generating ${name} ...`);
  await run(FF, [
    '-hide_banner', '-loglevel', 'error',
    '-f', 'lavfi', '-i', `testsrc2=s=${size}:r=25,noise=alls=2:allf=t`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-y', out,
  ]);
  return out;
}

/** Every row recorded in this process (bench/speed.mjs reads them back). */
export const recorded = [];

async function record(row) {
  const full = { bench: 'media', date: new Date().toISOString(), cpus: os.cpus().length, ffmpeg: setup.ffmpeg.version, ...row };
  await appendFile(results, JSON.stringify(full) + '\n');
  recorded.push(full);
  return full;
}

export const table = [];

/** Settings when called from bench/speed.mjs (the script's flags otherwise). */
export function configure(options) {
  if (options.preset) preset = options.preset;
  if (options.runs) runs = options.runs;
}

export async function benchTransform() {
  const input = await clip('h264-1080p-10s-v2.mp4', '1920x1080', 10);
  const frames = 250;
  const outA = path.join(work, 'out-ffmpeg.mp4');
  const outB = path.join(work, 'out-reelmark.mp4');
  for (let r = 0; r < runs; r++) {
    // Same encoder settings as reelmark's default for H.264 input: libx264, CRF 16, same pixel format.
    const base = await timed(() =>
      run(FF, ['-hide_banner', '-loglevel', 'error', '-i', input, '-map', '0', '-c:v', 'libx264', '-preset', preset, '-crf', '16', '-pix_fmt', 'yuv420p', '-c:a', 'copy', '-y', outA]),
    );
    const ours = await timed(() => transformVideo(input, outB, () => {}, { preset, overwrite: true }));
    const row = await record({
      case: 'identity transform 1080p H.264 10 s',
      preset,
      run: r,
      frames,
      ffmpegSeconds: base.seconds,
      reelmarkSeconds: ours.seconds,
      ratio: ours.seconds / base.seconds,
      ffmpegCpuSeconds: base.cpu,
      reelmarkCpuSeconds: ours.cpu,
      cpuRatio: ours.cpu / base.cpu,
    });
    table.push([
      row.case + ` (${preset})`,
      `${base.seconds.toFixed(2)} s wall, ${base.cpu.toFixed(1)} s cpu`,
      `${ours.seconds.toFixed(2)} s wall, ${ours.cpu.toFixed(1)} s cpu`,
      `wall ${row.ratio.toFixed(3)}, cpu ${row.cpuRatio.toFixed(3)} (target <= 1.10)`,
    ]);
  }
  await rm(outA, { force: true });
  await rm(outB, { force: true });
}

export async function benchRead() {
  const input = await clip('h264-1080p-10s-v2.mp4', '1920x1080', 10);
  for (let r = 0; r < runs; r++) {
    const baseAll = await timed(() => run(FF, ['-hide_banner', '-loglevel', 'error', '-i', input, '-f', 'null', '-']));
    const baseVideo = await timed(() => run(FF, ['-hide_banner', '-loglevel', 'error', '-i', input, '-map', '0:v:0', '-f', 'null', '-']));
    const ours = await timed(async () => {
      let n = 0;
      let sum = 0;
      for await (const f of readFrames(input, { reuseBuffers: true })) {
        sum += f.planes[0].data[n % 1000]; // touch the frame
        n++;
      }
      return { n, sum };
    });
    // What any reader of ffmpeg's raw output through a pipe can reach on this machine: the same frames written by
    // ffmpeg into a pipe and thrown away by dd (no Node at all), and by a Node reader that only counts the bytes.
    const raw = ['-hide_banner', '-loglevel', 'error', '-i', input, '-map', '0:v:0', '-f', 'rawvideo', '-'];
    const pipeDd = await timed(() => run('sh', ['-c', `"$0" "$@" | dd bs=4M of=/dev/null status=none`, FF, ...raw]));
    const pipeNode = await timed(() => countPipedBytes(FF, raw));
    const fps = ours.value.n / ours.seconds;
    const row = await record({
      case: 'readFrames 1080p H.264 10 s',
      run: r,
      frames: ours.value.n,
      ffmpegNullSeconds: baseAll.seconds,
      ffmpegNullVideoOnlySeconds: baseVideo.seconds,
      readFramesSeconds: ours.seconds,
      readFramesFps: fps,
      throughputVsNull: baseAll.seconds / ours.seconds,
      throughputVsNullVideoOnly: baseVideo.seconds / ours.seconds,
      ffmpegNullCpuSeconds: baseAll.cpu,
      readFramesCpuSeconds: ours.cpu,
      cpuThroughputVsNull: baseAll.cpu / ours.cpu,
      pipeToDdSeconds: pipeDd.seconds,
      pipeToNodeSeconds: pipeNode.seconds,
      pipeToDdVsNullVideoOnly: baseVideo.seconds / pipeDd.seconds,
      pipeToNodeVsNullVideoOnly: baseVideo.seconds / pipeNode.seconds,
    });
    table.push([
      row.case,
      `${baseAll.seconds.toFixed(2)} s wall, ${baseAll.cpu.toFixed(1)} s cpu (video only ${baseVideo.seconds.toFixed(2)} s)`,
      `${ours.seconds.toFixed(2)} s wall, ${ours.cpu.toFixed(1)} s cpu, ${fps.toFixed(0)} fps`,
      `wall ${row.throughputVsNull.toFixed(3)}x (video only ${row.throughputVsNullVideoOnly.toFixed(3)}x), cpu ${row.cpuThroughputVsNull.toFixed(3)}x (target >= 0.9x); ` +
        `pipe ceiling: ffmpeg | dd ${row.pipeToDdVsNullVideoOnly.toFixed(3)}x, ffmpeg | Node byte count ${row.pipeToNodeVsNullVideoOnly.toFixed(3)}x`,
    ]);
  }
}

/** Runs ffmpeg with `argv` writing to its stdout and counts the bytes (the cheapest possible reader in Node). */
function countPipedBytes(bin, argv) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
    let bytes = 0;
    child.stdout.on('data', (d) => (bytes += d.length));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`${path.basename(bin)} exited with ${code}`))));
  });
}

/** Peak RSS of a fresh Node process running one operation (ffmpeg children are separate processes). */
export async function childPeakRss(mode, input, extra = []) {
  const script = path.join(here, 'media-rss-child.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, mode, input, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`rss child failed (${code})`))));
  });
}

export async function benchRss() {
  const short = await clip('h264-2160p-3s.mp4', '3840x2160', 3);
  const long = await clip('h264-2160p-12s.mp4', '3840x2160', 12);
  for (const [mode, label] of [['read', 'readFrames'], ['transform', 'transformVideo (ultrafast)']]) {
    const a = await childPeakRss(mode, short);
    const b = await childPeakRss(mode, long);
    const row = await record({ case: `peak RSS 4K ${label}`, shortSeconds: 3, longSeconds: 12, shortFrames: a.frames, longFrames: b.frames, shortPeakRssMB: a.peakRssMB, longPeakRssMB: b.peakRssMB });
    table.push([`peak RSS, 4K ${label}`, `3 s: ${a.peakRssMB.toFixed(0)} MB`, `12 s: ${b.peakRssMB.toFixed(0)} MB`, `target < 300 MB, flat`]);
  }
}

export async function benchMany() {
  const input = await clip('h264-1080p-10s-v2.mp4', '1920x1080', 10);
  const n = 3;
  const outs = Array.from({ length: n }, (_, i) => path.join(work, `many-${i}.mp4`));
  const separate = await timed(async () => {
    for (const o of outs) await transformVideo(input, o, () => {}, { preset, overwrite: true });
  });
  const together = await timed(() => transformVideoToMany(input, outs.map((output) => ({ output, fn: () => {}, options: { preset, overwrite: true } }))));
  const row = await record({
    case: `transformVideoToMany x${n} vs ${n} transformVideo`,
    preset,
    separateSeconds: separate.seconds,
    manySeconds: together.seconds,
    ratio: together.seconds / separate.seconds,
    separateCpuSeconds: separate.cpu,
    manyCpuSeconds: together.cpu,
    cpuRatio: together.cpu / separate.cpu,
  });
  table.push([
    `${n} outputs (${preset}): ${n} x transformVideo (A) vs transformVideoToMany (B)`,
    `${separate.seconds.toFixed(2)} s wall, ${separate.cpu.toFixed(1)} s cpu`,
    `${together.seconds.toFixed(2)} s wall, ${together.cpu.toFixed(1)} s cpu`,
    `wall ${row.ratio.toFixed(3)}, cpu ${row.cpuRatio.toFixed(3)}`,
  ]);
  for (const o of outs) await rm(o, { force: true });
}

await mkdir(work, { recursive: true });
if (isMain) {
  console.error(`ffmpeg ${setup.ffmpeg.version} (${setup.ffmpeg.source}), ${os.cpus().length} CPUs, preset ${preset}, ${runs} run(s)`);
  if (what === 'transform' || what === 'all') await benchTransform();
  if (what === 'read' || what === 'all') await benchRead();
  if (what === 'rss' || what === 'all') await benchRss();
  if (what === 'many' || what === 'all') await benchMany();

  const widths = [0, 1, 2, 3].map((c) => Math.max(...table.map((r) => r[c].length), 8));
  console.log(['case', 'plain ffmpeg / A', 'reelmark / B', 'ratio'].map((h, i) => h.padEnd(widths[i])).join(' | '));
  for (const r of table) console.log(r.map((v, i) => v.padEnd(widths[i])).join(' | '));
}
