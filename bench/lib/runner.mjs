/**
 * The bench runner: resolves footage, starts the worker pool, runs the parts asked for, writes their rows and
 * tables, and refreshes bench/README.md. Speed runs last and alone (no other bench work competes with it).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { probe } from '@reelmark/core';

import { ensureContent, GENERATED, STILLS, userContents } from './footage.mjs';
import { InlinePool, Pool } from './pool.mjs';
import { ffmpegSetup, machine, round } from './proc.mjs';
import { refreshBlock } from './rows.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.dirname(here);

/** Which generated contents each part uses, per mode (the full matrix uses every one). */
const CONTENT_PLAN = {
  quick: {
    robustness: ['texture', 'dark', 'still-texture'],
    'false-alarms': ['texture', 'gradient', 'dark', 'motion', 'text', 'still-texture', 'still-gradient'],
    'other-copies': ['texture', 'text'],
    quality: ['texture', 'gradient', 'dark', 'motion', 'text'],
    tradeoff: ['texture'],
    speed: ['texture', 'gradient', 'dark', 'motion', 'text'],
  },
  full: {
    robustness: [...GENERATED, ...STILLS].map((c) => c.name),
    'false-alarms': [...GENERATED, ...STILLS].map((c) => c.name),
    'other-copies': GENERATED.map((c) => c.name),
    quality: [...GENERATED, ...STILLS].map((c) => c.name),
    tradeoff: ['texture', 'dark'],
    speed: GENERATED.map((c) => c.name),
  },
};

const PART_MODULES = {
  robustness: ['../robustness.mjs', 'runRobustness'],
  'false-alarms': ['../false-alarms.mjs', 'runFalseAlarms'],
  'other-copies': ['../other-copies.mjs', 'runOtherCopies'],
  quality: ['../quality.mjs', 'runQuality'],
  tradeoff: ['../tradeoff.mjs', 'runTradeoff'],
  speed: ['../speed.mjs', 'runSpeed'],
};

export async function runBench(opts) {
  const started = performance.now();
  const log = (msg) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);
  const work = path.join(benchDir, 'work');
  const label = opts.content ? `content-${path.basename(opts.content).replace(/[^A-Za-z0-9._-]+/g, '_')}-${opts.mode}` : opts.mode;
  const resultsDir = opts.resultsDir ?? path.join(benchDir, 'results', label);
  const runDir = path.join(work, `run-${label}`);
  await mkdir(resultsDir, { recursive: true });
  await mkdir(runDir, { recursive: true });
  const setup = await ffmpegSetup();
  const runId = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const pool = opts.jobs === 1 ? new InlinePool() : new Pool(opts.jobs ?? undefined);
  const parts = opts.part === 'all' ? ['robustness', 'false-alarms', 'other-copies', 'quality', 'tradeoff', 'speed'] : [opts.part];
  log(`bench ${parts.join(', ')} (${opts.mode}${opts.content ? `, content ${opts.content}` : ''}); ffmpeg ${setup.ffmpeg.version} (${setup.ffmpeg.source}); ` +
    `${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; ${pool.size} worker(s); results in ${path.relative(process.cwd(), resultsDir)}`);

  let user = null;
  if (opts.content) user = await userContents(opts.content, probe);
  const resolved = new Map();
  const contentsFor = async (part) => {
    if (user) return part === 'tradeoff' ? user.filter((c) => c.kind === 'video').slice(0, 1) : user;
    let names = CONTENT_PLAN[opts.mode][part];
    if (opts.contents) names = names.filter((n) => opts.contents.includes(n));
    const all = [...GENERATED, ...STILLS];
    // Generate what is missing, two at a time (the clips are cached across runs in bench/work/footage/).
    const todo = names.filter((n) => !resolved.has(n)).map((n) => all.find((c) => c.name === n));
    const videos = todo.filter((c) => c.kind === 'video');
    const make = (list) => Promise.all(list.map((c) => pool.run('lib/footage.mjs', 'ensureContentTask', { name: c.name, work }).then((r) => resolved.set(c.name, r))));
    // Montages (`cuts`) after the clips they are cut from, so that no two workers write the same clip.
    await make(videos.filter((c) => !c.shots));
    await make(videos.filter((c) => c.shots));
    for (const c of todo.filter((x) => x.kind === 'image')) resolved.set(c.name, await ensureContent(c, work, log));
    return names.map((n) => resolved.get(n));
  };

  const shared = {}; // what one part leaves for the next (e.g. robustness deliveries reused by speed)
  const summary = { runId, mode: opts.mode, content: opts.content, parts: {}, ffmpeg: setup.ffmpeg.version, node: process.version, ...machine() };
  try {
    for (const part of parts) {
      const t0 = performance.now();
      const load0 = os.loadavg()[0];
      const contents = await contentsFor(part);
      log(`${part}: ${contents.map((c) => c.name).join(', ')}`);
      const [file, fn] = PART_MODULES[part];
      const mod = await import(new URL(file, import.meta.url).href);
      const ctx = {
        mode: opts.mode, runId, work, runDir, resultsDir, pool, contents, log, parts, attacks: opts.attacks, lengths: opts.lengths, keys: opts.keys ?? 1, strength: opts.strength ?? undefined, trials: opts.trials, innocents: opts.innocents,
        vmafModel: opts.vmafModel, user: Boolean(user), setup, shared,
      };
      const result = await mod[fn](ctx);
      const seconds = (performance.now() - t0) / 1000;
      summary.parts[part] = { seconds: round(seconds, 1), loadAtStart: round(load0, 2), loadAtEnd: round(os.loadavg()[0], 2) };
      log(`${part}: done in ${seconds.toFixed(0)} s`);
      if (opts.readme && !user && !opts.resultsDir && result.markdown) {
        const command = `npm run bench -- ${(opts.argv ?? [part, `--${opts.mode}`]).join(' ')}`.trim();
        const note = `_Measured ${runId} in \`${opts.mode}\` mode (\`${command}\`) on a shared ${os.cpus().length}-core machine ` +
          `(load average ${load0.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end, this run's own workers included), ` +
          `in ${seconds.toFixed(0)} s. Rows and full tables: [results/${label}/](results/${label}/)._`;
        await refreshBlock(path.join(benchDir, 'README.md'), part, `${note}\n\n${result.markdown.readme}`);
        for (const [name, body] of Object.entries(result.blocks ?? {})) await refreshBlock(path.join(benchDir, 'README.md'), name, body);
      }
    }
  } finally {
    await pool.close();
  }
  summary.totalSeconds = round((performance.now() - started) / 1000, 1);
  await writeFile(path.join(resultsDir, parts.length > 1 ? 'run-summary.json' : `run-summary.${parts[0]}.json`), JSON.stringify(summary, null, 2) + '\n');
  log(`bench done in ${summary.totalSeconds} s`);
  return summary;
}
