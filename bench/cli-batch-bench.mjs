#!/usr/bin/env node
/**
 * Batch against separate embeds, through the CLI as a delivery pipeline runs it (not a test). After `npm run build`:
 *
 *   node bench/cli-batch-bench.mjs [--size 1280x720] [--seconds 4] [--recipients 4] [--preset veryfast] [--runs 2]
 *
 * Baseline, measured in the same run: N separate `reelmark embed` runs, one after the other. Candidate: one
 * `reelmark batch --ids 1..N` (one decode, N encodes). Quoted as a wall-time ratio and a CPU-time ratio (CPU of the
 * CLI and its ffmpeg children, which other load on the machine does not inflate). Rows go to
 * bench/work/cli-batch-results.jsonl; a table is printed.
 *
 * Measured on the 2-core development machine while two other engineers' jobs ran (load average in the last column),
 * x264 preset veryfast, 4 recipients:
 *
 *   size       frames  4 x embed wall  batch wall  wall ratio  4 x embed CPU  batch CPU  CPU ratio  load
 *   1280x720   96      38.4 s          15.6 s      0.41        39.7 s         29.0 s     0.73       6.9
 *   1920x1080  96      159.1 s         105.8 s     0.67        95.8 s         75.4 s     0.79       15.5
 *
 * Batch saves the three extra probes, decodes and process start-ups, and runs the four encoders concurrently. What it
 * cannot save at present: each recipient's embedder recomputes the perceptual mask of the same source frame.
 */
import { spawn } from 'node:child_process';
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { resolveFfmpeg } from '../packages/core/dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'packages', 'cli', 'dist', 'cli.js');
const results = path.join(here, 'work', 'cli-batch-results.jsonl');

/** Run a program in `cwd` (the CLI writes its delivery ledger beside the registry, in the working folder); resolve when it exits 0. */
function run(bin, argv, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { stdio: ['ignore', 'ignore', 'pipe'], cwd });
    let err = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(bin)} ${argv.join(' ')} exited ${code}\n${err}`))));
  });
}

/** CPU seconds of this process and its reaped children (Linux /proc, 100 ticks per second). */
async function cpuSeconds() {
  const fields = (await readFile('/proc/self/stat', 'utf8')).split(') ')[1].split(' ');
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return (utime + stime + cutime + cstime) / 100;
}

async function timed(fn) {
  const c0 = await cpuSeconds();
  const t0 = performance.now();
  await fn();
  return { wall: (performance.now() - t0) / 1000, cpu: (await cpuSeconds()) - c0 };
}

/**
 * Batch of `recipients` against as many separate embeds, `runs` times. Returns the rows (also appended to
 * bench/work/cli-batch-results.jsonl). Used by this script and by bench/speed.mjs.
 */
export async function batchBench({ size = '1280x720', seconds = 4, recipients = 4, preset = 'veryfast', runs = 2, work = path.join(here, 'work', 'cli-batch') } = {}) {
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const { ffmpeg } = await resolveFfmpeg();
  const master = path.join(work, 'master.mp4');
  const key = path.join(work, 'studio.key');
  await run(ffmpeg.path, [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=24:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    '-vf', 'noise=alls=12:allf=t,format=yuv420p', '-c:v', 'libx264', '-crf', '14', '-preset', 'veryfast', '-c:a', 'aac', master,
  ]);
  await run(process.execPath, [cli, 'keygen', '-o', key], work);
  const ids = Array.from({ length: recipients }, (_, i) => String(i + 1));

  const rows = [];
  for (let r = 0; r < runs; r++) {
    const separateDir = path.join(work, `separate-${r}`);
    const batchDir = path.join(work, `batch-${r}`);
    await mkdir(separateDir);
    await mkdir(batchDir);
    const separate = await timed(async () => {
      for (const id of ids) {
        await run(process.execPath, [cli, 'embed', master, '-o', path.join(separateDir, `id${id}.mp4`), '--key', key, '--id', id, '--preset', preset], work);
      }
    });
    const batch = await timed(() => run(process.execPath, [cli, 'batch', master, '--key', key, '--ids', ids.join(','), '--out-dir', batchDir, '--preset', preset], work));
    const row = {
      bench: 'cli-batch-vs-embed',
      date: new Date().toISOString(),
      size,
      seconds,
      frames: seconds * 24,
      recipients,
      preset,
      run: r,
      separateWall: +separate.wall.toFixed(2),
      batchWall: +batch.wall.toFixed(2),
      wallRatio: +(batch.wall / separate.wall).toFixed(3),
      separateCpu: +separate.cpu.toFixed(2),
      batchCpu: +batch.cpu.toFixed(2),
      cpuRatio: +(batch.cpu / separate.cpu).toFixed(3),
      cores: os.cpus().length,
      loadavg: +os.loadavg()[0].toFixed(2),
    };
    rows.push(row);
    await appendFile(results, `${JSON.stringify(row)}\n`);
  }
  await rm(work, { recursive: true, force: true });
  return rows;
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const size = opt('size', '1280x720');
  const seconds = Number(opt('seconds', '4'));
  const recipients = Number(opt('recipients', '4'));
  const preset = opt('preset', 'veryfast');
  const rows = await batchBench({ size, seconds, recipients, preset, runs: Number(opt('runs', '2')) });
  console.log(`\nbatch of ${recipients} vs ${recipients} separate embeds, ${size} ${seconds} s (${seconds * 24} frames), x264 preset ${preset}`);
  console.log('run  separate wall  batch wall  ratio   separate CPU  batch CPU  ratio   load');
  for (const r of rows) {
    console.log(
      `${String(r.run).padEnd(4)} ${`${r.separateWall} s`.padStart(13)} ${`${r.batchWall} s`.padStart(11)} ${r.wallRatio.toFixed(2).padStart(6)} ` +
        `${`${r.separateCpu} s`.padStart(14)} ${`${r.batchCpu} s`.padStart(10)} ${r.cpuRatio.toFixed(2).padStart(6)} ${String(r.loadavg).padStart(6)}`,
    );
  }
  console.log(`rows appended to ${path.relative(process.cwd(), results)}`);
}
