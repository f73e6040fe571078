/**
 * Running ffmpeg (and other programs) from the bench, and measuring time: wall time, and CPU time of this process
 * plus its reaped children (ffmpeg), which other load on a shared machine does not inflate.
 *
 * Arguments are arrays, never shell strings; stderr is drained into a bounded tail; exit codes are always checked.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { resolveFfmpeg } from '@reelmark/core';

let setupPromise;
/** The ffmpeg and ffprobe the library resolves (the bench attacks with the same binary a user has). */
export function ffmpegSetup() {
  setupPromise ??= resolveFfmpeg();
  return setupPromise;
}

/** A failed program run: names the program, its arguments and the tail of its stderr. */
export class RunError extends Error {
  constructor(bin, argv, code, stderrTail) {
    super(`${path.basename(bin)} ${argv.join(' ')} exited ${code}\n${stderrTail}`);
    this.code = code;
    this.stderrTail = stderrTail;
  }
}

/**
 * Runs a program to completion. Resolves with its stdout (when `captureStdout`) and the stderr tail.
 * @param {string} bin
 * @param {string[]} argv
 * @param {{ captureStdout?: boolean, stderrBytes?: number }} [options]
 * @returns {Promise<{ stdout: string, stderr: string }>}
 */
export function run(bin, argv, { captureStdout = false, stderrBytes = 8000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv, { stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'pipe'] });
    let err = '';
    let out = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-stderrBytes)));
    if (captureStdout) child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout: out, stderr: err });
      else reject(new RunError(bin, argv, code ?? signal, err));
    });
  });
}

/** `ffmpeg -hide_banner -nostdin -loglevel error ...argv`, with the library's binary. */
export async function ffmpeg(argv, options) {
  const { ffmpeg: bin } = await ffmpegSetup();
  return run(bin.path, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...argv], options);
}

/** `ffprobe -v error ...argv`, stdout captured. */
export async function ffprobe(argv) {
  const { ffprobe: bin } = await ffmpegSetup();
  return (await run(bin.path, ['-v', 'error', ...argv], { captureStdout: true })).stdout;
}

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds used so far by this process and by its reaped children (utime, stime, cutime, cstime of /proc/self/stat). */
export function cpuSeconds() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
    return (utime + stime + cutime + cstime) / TICKS;
  } catch {
    const u = process.cpuUsage(); // not Linux: this process only
    return (u.user + u.system) / 1e6;
  }
}

/**
 * Wall and CPU seconds (this process and its children) of `fn`.
 * @template T
 * @param {() => Promise<T> | T} fn
 * @returns {Promise<{ wall: number, cpu: number, value: T }>}
 */
export async function timed(fn) {
  const c0 = cpuSeconds();
  const t0 = performance.now();
  const value = await fn();
  return { wall: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0, value };
}

export async function exists(p) {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** What the machine was doing: cores and load, recorded in every row (numbers from a shared machine are noisy). */
export function machine() {
  return { cpus: os.cpus().length, load1: +os.loadavg()[0].toFixed(2) };
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export function round(v, digits = 3) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
