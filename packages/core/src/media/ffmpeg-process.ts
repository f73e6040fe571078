/**
 * The one adapter that starts ffmpeg and ffprobe processes.
 *
 * Arguments are arrays (never a shell string); stderr is always drained into a bounded ring buffer; exit codes are
 * always checked; writes to stdin respect `drain`; every child is killed on abort, on error, and when the Node
 * process exits.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

import { AbortError, FfmpegError, FfmpegNotFoundError } from '../errors.js';
import { childEnvironment } from './static-binary.js';

/** Keeps the last `capacity` bytes written to it; used for stderr so that a chatty child never grows memory. */
export class RingBuffer {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly capacity = 64 * 1024) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.capacity) {
      this.size -= this.chunks[0].length;
      this.chunks.shift();
    }
  }

  /** Everything held, decoded as UTF-8 (the first line may be cut). */
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.capacity)).toString('utf8');
  }

  /** The last `lines` non-empty lines. */
  tail(lines = 20): string {
    const all = this.text().split(/\r?\n|\r/).filter((l) => l.trim() !== '');
    return all.slice(-lines).join('\n');
  }
}

/** Children still running; killed when Node exits so that none outlives us. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

/** Process ids of ffmpeg/ffprobe children started by this module that have not exited yet. */
export function liveChildPids(): number[] {
  return [...live].map((c) => c.pid).filter((p): p is number => p !== undefined);
}

/** Options of {@link startProcess}. */
export interface StartOptions {
  /** What this process is doing, for messages, e.g. `ffmpeg (decoding /media/in.mov)`. */
  label: string;
  /** Give the child a writable stdin pipe (otherwise stdin is ignored). */
  stdin?: boolean;
  /** Give the child a readable stdout pipe (otherwise stdout is ignored). */
  stdout?: boolean;
  /** Kills the child when aborted. */
  signal?: AbortSignal;
}

/** A running ffmpeg or ffprobe child. */
export interface MediaProcess {
  readonly pid: number | undefined;
  readonly label: string;
  /** stdin pipe, when requested. Prefer {@link MediaProcess.write}. */
  readonly stdin: Writable | null;
  /** stdout pipe, when requested. */
  readonly stdout: Readable | null;
  /**
   * Settles when the child has exited and its pipes are closed: resolves on exit code 0, rejects with
   * {@link FfmpegError} (non-zero exit or killed), {@link FfmpegNotFoundError} (could not start) or
   * {@link AbortError} (killed through the signal).
   */
  readonly done: Promise<void>;
  /** True once the child has exited. */
  readonly exited: boolean;
  /**
   * Writes to stdin and resolves once the data has been handed to the OS, waiting for `drain` when the pipe is
   * full. The bytes of `data` must not change until the promise resolves. Rejects with the child's error when it
   * died.
   */
  write(data: Uint8Array): Promise<void>;
  /** Closes stdin (end of input). */
  endInput(): void;
  /** Kills the child (SIGKILL) and waits until it has exited. Never rejects. */
  kill(): Promise<void>;
  /** The last lines the child wrote to stderr. */
  stderrTail(lines?: number): string;
}

/** Starts `binary` with `args`. The child is tracked until it exits. */
export function startProcess(binary: string, args: readonly string[], options: StartOptions): MediaProcess {
  const { label, signal } = options;
  if (signal?.aborted) throw new AbortError();
  const stderr = new RingBuffer();
  const child = spawn(binary, args, {
    stdio: [options.stdin ? 'pipe' : 'ignore', options.stdout ? 'pipe' : 'ignore', 'pipe'],
    env: childEnvironment(binary),
    windowsHide: true,
  });
  track(child);

  let exited = false;
  let aborted = false;
  let spawnError: Error | undefined;
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  // EPIPE when the child exits before reading all of its input is reported through `done`, not here.
  child.stdin?.on('error', () => {});
  child.stdout?.on('error', () => {});

  const onAbort = (): void => {
    aborted = true;
    child.kill('SIGKILL');
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
      if (child.pid === undefined) {
        // Never started: no 'close' will follow.
        exited = true;
        live.delete(child);
        signal?.removeEventListener('abort', onAbort);
        reject(notFound(binary, label, err));
      }
    });
    child.once('close', (code, sig) => {
      exited = true;
      live.delete(child);
      signal?.removeEventListener('abort', onAbort);
      if (aborted) reject(new AbortError(`${label}: aborted`));
      else if (code === 0) resolve();
      else if (spawnError && code === null && sig === null) reject(notFound(binary, label, spawnError));
      else {
        const how = code !== null ? `exit code ${code}` : `killed by ${sig}`;
        reject(new FfmpegError(`${label} failed (${how})`, code, sig, stderr.tail()));
      }
    });
  });
  done.catch(() => {}); // callers observe `done` when they need to; never an unhandled rejection

  const stdin = child.stdin;
  const write = (data: Uint8Array): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (!stdin || exited || stdin.destroyed) {
        failedWrite().then(resolve, reject);
        return;
      }
      let needDrain = false;
      let flushed = false;
      let finished = false;
      const finish = (failed: boolean): void => {
        if (finished) return;
        finished = true;
        stdin.off('drain', onDrain);
        child.off('close', onClose);
        if (failed) failedWrite().then(resolve, reject);
        else resolve();
      };
      const onDrain = (): void => {
        needDrain = false;
        if (flushed) finish(false);
      };
      const onClose = (): void => finish(true);
      child.once('close', onClose);
      needDrain = !stdin.write(data, (err) => {
        if (err) finish(true);
        else {
          flushed = true;
          if (!needDrain) finish(false);
        }
      });
      if (needDrain) stdin.once('drain', onDrain);
    });

  /** The child stopped accepting input: report why (its exit error), or that it closed its input early. */
  async function failedWrite(): Promise<void> {
    await done;
    throw new FfmpegError(`${label} closed its input before all frames were written`, 0, null, stderr.tail());
  }

  return {
    pid: child.pid,
    label,
    stdin: child.stdin,
    stdout: child.stdout,
    done,
    get exited() {
      return exited;
    },
    write,
    endInput: () => {
      if (stdin && !stdin.destroyed) stdin.end();
    },
    kill: async () => {
      if (!exited) {
        child.kill('SIGKILL');
        await done.catch(() => {});
      }
    },
    stderrTail: (lines?: number) => stderr.tail(lines),
  };
}

function notFound(binary: string, label: string, err: NodeJS.ErrnoException): FfmpegNotFoundError {
  const why =
    err.code === 'ENOENT'
      ? 'the file does not exist'
      : err.code === 'EACCES'
        ? `it is not executable (fix: chmod u+x '${binary}')`
        : err.message;
  return new FfmpegNotFoundError(`${label}: cannot start '${binary}': ${why}`);
}

/** Result of {@link runProcess}. */
export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs a short-lived child to completion and returns what it printed. stdout is limited to `maxStdoutBytes`
 * (the child is killed beyond that) so that a misbehaving binary cannot exhaust memory.
 */
export async function runProcess(
  binary: string,
  args: readonly string[],
  options: { label: string; signal?: AbortSignal; maxStdoutBytes?: number },
): Promise<RunResult> {
  const proc = startProcess(binary, args, { label: options.label, stdout: true, signal: options.signal });
  const max = options.maxStdoutBytes ?? 64 * 1024 * 1024;
  const chunks: Buffer[] = [];
  let size = 0;
  proc.stdout!.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > max) {
      void proc.kill();
      return;
    }
    chunks.push(chunk);
  });
  await proc.done;
  return { stdout: Buffer.concat(chunks), stderr: proc.stderrTail(200) };
}
