/**
 * A small pool of worker processes (child_process.fork of worker.mjs), so that both cores work and every task's CPU
 * time is its own: process.cpuUsage() and /proc/self/stat of a worker count only that worker and its ffmpeg
 * children, which a thread pool could not give on Node 20.
 *
 * A task names a bench module (relative to bench/) and one of its exported functions; arguments and results are
 * plain JSON-able values.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export class Pool {
  /** @param {number} size worker processes (default: one per core, at most 2 on the reference machine) */
  constructor(size = Math.max(1, Math.min(2, os.cpus().length))) {
    this.size = size;
    this.workers = [];
    this.queue = [];
    this.nextId = 1;
    this.pending = new Map();
    this.closed = false;
  }

  #spawn() {
    const child = fork(path.join(here, 'worker.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker = { child, busy: null };
    child.on('message', (msg) => {
      const job = this.pending.get(msg.id);
      if (!job) return;
      this.pending.delete(msg.id);
      worker.busy = null;
      if (msg.ok) job.resolve(msg.value);
      else job.reject(Object.assign(new Error(msg.error), { stack: msg.stack }));
      this.#drain();
    });
    child.on('exit', (code, signal) => {
      this.workers = this.workers.filter((w) => w !== worker);
      if (worker.busy) {
        const job = this.pending.get(worker.busy);
        this.pending.delete(worker.busy);
        job?.reject(new Error(`bench worker ${child.pid} exited (${code ?? signal}) during ${job.task.module}#${job.task.fn}`));
      }
      if (!this.closed) this.#drain();
    });
    this.workers.push(worker);
    return worker;
  }

  #drain() {
    while (this.queue.length > 0) {
      let worker = this.workers.find((w) => w.busy === null);
      if (!worker && this.workers.length < this.size) worker = this.#spawn();
      if (!worker) return;
      const job = this.queue.shift();
      worker.busy = job.id;
      worker.child.send({ id: job.id, module: job.task.module, fn: job.task.fn, args: job.task.args });
    }
  }

  /**
   * Runs `fn(args)` of bench module `module` in a worker.
   * @param {string} module path relative to bench/, e.g. 'robustness.mjs'
   * @param {string} fn exported function name
   * @param {unknown} args JSON-able
   */
  run(module, fn, args) {
    if (this.closed) return Promise.reject(new Error('pool closed'));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const job = { id, task: { module, fn, args }, resolve, reject };
      this.pending.set(id, job);
      this.queue.push(job);
      this.#drain();
    });
  }

  /** Maps `items` through `fn` in workers, keeping order. */
  map(module, fn, items) {
    return Promise.all(items.map((args) => this.run(module, fn, args)));
  }

  /** Ends the workers (each by its own process id). */
  async close() {
    this.closed = true;
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise((resolve) => {
            w.child.once('exit', resolve);
            w.child.disconnect?.();
            setTimeout(() => w.child.kill(), 2000).unref();
          }),
      ),
    );
  }
}

/** A stand-in with the same interface that runs tasks in this process, one at a time (tests, `--jobs 1`). */
export class InlinePool {
  constructor() {
    this.size = 1;
    this.chain = Promise.resolve();
  }

  run(module, fn, args) {
    const next = this.chain.then(async () => {
      const mod = await import(new URL(`../${module}`, import.meta.url).href);
      return JSON.parse(JSON.stringify(await mod[fn](args)));
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  map(module, fn, items) {
    return Promise.all(items.map((args) => this.run(module, fn, args)));
  }

  async close() {}
}
