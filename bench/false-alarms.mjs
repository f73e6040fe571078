/**
 * False alarms: the detector on inputs that must accuse no one, over many trials.
 *
 * - `unmarked`: unmarked footage (12-frame windows of every clip and of a 640x360 CRF 28 re-encode of each video, and
 *   the stills) searched with random keys, blind and among the 20 issued IDs;
 * - `wrong-key`: marked copies (as delivered, and their 720p and 360p CRF 28 leaks) searched with random keys (the
 *   true ID in the candidate list);
 * - `other-recipients`: marked copies searched with the right key among 20 other recipients' IDs (the copy's own ID
 *   not in the list): another recipient's copy is a null for every innocent candidate.
 *
 * Trials are cheap: each worker decodes a source once at the detector's working size and feeds the same frames to
 * fresh detectors (public `WatermarkDetector`) with deterministic per-trial keys. The false-alarm probability must
 * hold for any content, so short windows are fine. Whitening is key-independent, but each detector recomputes it.
 *
 * Calibration: the reported probabilities are Bonferroni-corrected (every position, scale hypothesis, look and
 * candidate searched), so the number of trials reporting p < alpha should be at most about n x alpha; it is shown
 * for the accusation probability (best candidate or decoded ID) and for the reference tile's synchronisation
 * probability (present in every trial, blind or not).
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { MAX_ID, WatermarkDetector, workingSizeFor, probe } from '@reelmark/core';

import { benchKey, ISSUED_IDS, recipientsFor, rowBase, trialKey } from './lib/common.mjs';
import { sourceFor } from './lib/footage.mjs';
import { lumaFrameCopies } from './lib/frames.mjs';
import { ffmpeg, machine, round } from './lib/proc.mjs';
import { fmt, table, writeRows } from './lib/rows.mjs';

const FRAMES_PER_TRIAL = 12; // exactly one look of the detector
const WINDOWS = 4; // 12-frame windows from the first 48 frames of a clip
const BATCH = 10; // trials per worker task
const ALPHAS = [1e-1, 1e-2, 1e-3, 1e-4];
/** The codec of the leaks made from the sources (720p and 360p, CRF 28). */
const leakCodec = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '28', '-an'];

let cached = null; // { path, frames, info } of the last source this worker decoded

async function framesOf(source) {
  if (cached?.path === source.path) return cached;
  const info = await probe(source.path);
  const size = workingSizeFor(info.width, info.height);
  const max = info.kind === 'image' ? 1 : FRAMES_PER_TRIAL * WINDOWS;
  const frames = await lumaFrameCopies(source.path, { width: size.width, height: size.height, maxFrames: max });
  cached = { path: source.path, frames, info };
  return cached;
}

/** `count` innocent IDs for trial `i`: 20 random IDs from a hash, never `exclude`. */
function innocentIds(i, exclude) {
  const out = [];
  for (let k = 0; out.length < ISSUED_IDS.length; k++) {
    const h = createHash('sha256').update(`reelmark bench innocent/${i}/${k}`).digest();
    const id = h.readBigUInt64BE(0) & MAX_ID;
    if (id !== exclude && !out.includes(id)) out.push(id);
  }
  return out;
}

/** Worker task: `count` trials of one category on one source, from trial number `first`. */
export async function trials({ category, source, first, count }) {
  const { frames, info } = await framesOf(source);
  const right = benchKey();
  const out = [];
  for (let i = first; i < first + count; i++) {
    const blind = category === 'other-recipients' ? false : i % 2 === 0;
    const key = category === 'other-recipients' ? right : trialKey(category, i);
    const candidates = blind ? undefined : category === 'other-recipients' ? innocentIds(i, BigInt(source.id)) : ISSUED_IDS;
    const windowIndex = info.kind === 'image' ? 0 : i % Math.max(1, Math.floor(frames.length / FRAMES_PER_TRIAL));
    const window = info.kind === 'image' ? frames.slice(0, 1) : frames.slice(windowIndex * FRAMES_PER_TRIAL, (windowIndex + 1) * FRAMES_PER_TRIAL);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const detector = new WatermarkDetector({ key, inputWidth: info.width, inputHeight: info.height, candidates });
    for (const f of window) detector.addFrame(f.plane, f.pts, f.keyFrame);
    const v = detector.result();
    const cpu = process.cpuUsage(c0);
    // The copy's own recipient (other-recipients) is no false accusation: free decoding rightly finds it.
    const truth = category === 'other-recipients' ? BigInt(source.id) : null;
    const innocent = v.candidates.filter((c) => c.id !== truth);
    const candidateLog10 = innocent.length ? Math.min(...innocent.map((c) => Math.log10(c.falseAlarmProbability))) : 0;
    const falseAccused = v.accused.filter((id) => id !== truth);
    const nullSync = category !== 'other-recipients'; // every recipient's copy carries the shared reference tile
    out.push({
      category,
      source: source.name,
      trial: i,
      detectMode: blind ? 'blind' : 'candidates',
      window: windowIndex,
      frames: window.length,
      found: v.found,
      accused: v.accused.map(String),
      falseAccusations: falseAccused.length,
      // The null statistic of this trial: the best innocent candidate's score and probability; for unmarked and
      // wrong-key trials also the verdict's (decoded IDs).
      score: round(Math.max(innocent.length ? Math.max(...innocent.map((c) => c.score)) : 0, nullSync ? v.score : 0)),
      log10p: round(Math.min(candidateLog10, nullSync ? v.log10FalseAlarmProbability : 0)),
      // The reference tile's z at the last look (the timeline has it even when the verdict reports no geometry), and
      // its probability, which the detector reports only when significant (below 1e-3): null otherwise.
      syncZ: nullSync ? (v.timeline.at(-1)?.syncZ ?? null) : null,
      syncLog10p: nullSync && v.sync ? round(Math.log10(v.sync.falseAlarmProbability)) : null,
      decoded: v.decoded.length,
      ms: round(performance.now() - t0, 1),
      cpuMs: round((cpu.user + cpu.system) / 1000, 1),
    });
  }
  return out;
}

/** Splits `total` trials over the categories: half unmarked, a quarter each wrong key and other recipients. */
function split(total) {
  const unmarked = Math.ceil(total / 2);
  const wrong = Math.ceil((total - unmarked) / 2);
  return { unmarked, 'wrong-key': wrong, 'other-recipients': total - unmarked - wrong };
}

export async function runFalseAlarms(ctx) {
  const { pool, log } = ctx;
  const total = ctx.trials ?? (ctx.mode === 'full' ? 10000 : 200);
  const counts = split(total);
  const unmarkedSources = [];
  const videos = ctx.contents.filter((c) => c.kind === 'video').slice(0, ctx.mode === 'full' ? undefined : 2);
  await mkdir(path.join(ctx.runDir, 'false-alarms'), { recursive: true });
  for (const c of ctx.contents) {
    const input = await sourceFor(c, 2, ctx.work);
    unmarkedSources.push({ name: c.name, path: input, kind: c.kind, id: '0' });
    // Small leaks are analysed at their own size (below the 540-line working height), with the whitening sized
    // for it: their null behaviour is measured too.
    if (videos.includes(c)) {
      const small = path.join(ctx.runDir, 'false-alarms', `${c.name}.360p-crf28.mp4`);
      await ffmpeg(['-i', input, '-vf', 'scale=-2:360', ...leakCodec, '-y', small]);
      unmarkedSources.push({ name: `${c.name} (360p CRF 28)`, path: small, kind: 'video', id: '0' });
    }
  }
  // Marked sources: 2 s of each video content (quick: the first two) marked for a recipient, and its 720p and 360p
  // CRF 28 leaks.
  const markedSources = (
    await Promise.all(
      videos.map(async (c, index) => {
        const { id } = recipientsFor(index + 3);
        const input = await sourceFor(c, 2, ctx.work);
        const marked = path.join(ctx.runDir, 'false-alarms', `${c.name}.id${id}.mp4`);
        await pool.run('lib/common.mjs', 'makeDelivery', { input, output: marked, kind: 'video', id: id.toString() });
        const leak = path.join(ctx.runDir, 'false-alarms', `${c.name}.id${id}.720p-crf28.mp4`);
        await ffmpeg(['-i', marked, '-t', '2', '-vf', 'scale=-2:720', ...leakCodec, '-y', leak]);
        const small = path.join(ctx.runDir, 'false-alarms', `${c.name}.id${id}.360p-crf28.mp4`);
        await ffmpeg(['-i', marked, '-t', '2', '-vf', 'scale=-2:360', ...leakCodec, '-y', small]);
        return [
          { name: `${c.name} (marked)`, path: marked, kind: 'video', id: id.toString() },
          { name: `${c.name} (marked, 720p CRF 28)`, path: leak, kind: 'video', id: id.toString() },
          { name: `${c.name} (marked, 360p CRF 28)`, path: small, kind: 'video', id: id.toString() },
        ];
      }),
    )
  ).flat();
  const sourcesOf = { unmarked: unmarkedSources, 'wrong-key': markedSources, 'other-recipients': markedSources };
  const tasks = [];
  for (const [category, n] of Object.entries(counts)) {
    const sources = sourcesOf[category];
    if (sources.length === 0 || n === 0) continue;
    // Trials spread evenly over the sources; batches of one source keep each worker's decoded frames reusable.
    let next = 0;
    sources.forEach((source, s) => {
      const share = Math.floor(n / sources.length) + (s < n % sources.length ? 1 : 0);
      for (let k = 0; k < share; k += BATCH) tasks.push({ category, source, first: next + k, count: Math.min(BATCH, share - k) });
      next += share;
    });
  }
  log(`false-alarms: ${total} trials (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}) in ${tasks.length} batches`);
  let done = 0;
  const results = await Promise.all(
    tasks.map(async (t) => {
      const r = await pool.run('false-alarms.mjs', 'trials', t);
      done += r.length;
      if (tasks.length < 50 || done % 100 < t.count) log(`false-alarms: ${done}/${total} trials (${t.category}, ${t.source.name}: largest null score ${fmt(Math.max(...r.map((x) => x.score)), 2)})`);
      return r;
    }),
  );
  const base = { ...rowBase('false-alarms', ctx), ...machine() };
  const rows = results.flat().map((r) => ({ ...base, ...r }));
  await writeRows(ctx.resultsDir, 'false-alarms', rows);
  const markdown = render(rows, ctx);
  await writeFile(path.join(ctx.resultsDir, 'false-alarms.md'), markdown.full);
  return { rows, markdown };
}

export function render(rows, ctx) {
  const categories = [...new Set(rows.map((r) => r.category))];
  const groupTable = table(
    ['trials', 'n', 'blind / candidates', 'false accusations', 'largest null score', 'largest null sync z', 'smallest null log10 p', 'smallest null sync log10 p', 'mean CPU ms / trial'],
    [...categories, 'all'].map((cat) => {
      const g = cat === 'all' ? rows : rows.filter((r) => r.category === cat);
      const blind = g.filter((r) => r.detectMode === 'blind').length;
      return [
        cat, g.length, `${blind} / ${g.length - blind}`, g.reduce((s, r) => s + r.falseAccusations, 0), fmt(Math.max(...g.map((r) => r.score)), 2),
        g.some((r) => r.syncZ !== null) ? fmt(Math.max(...g.filter((r) => r.syncZ !== null).map((r) => r.syncZ)), 2) : '- (shared reference tile)', fmt(Math.min(...g.map((r) => r.log10p)), 2),
        (g.some((r) => r.syncLog10p !== null) ? fmt(Math.min(...g.filter((r) => r.syncLog10p !== null).map((r) => r.syncLog10p)), 2) : '> -3'), fmt(g.reduce((s, r) => s + r.cpuMs, 0) / g.length, 0),
      ];
    }),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const n = rows.length;
  const nullSync = rows.filter((r) => r.category !== 'other-recipients');
  // Per category: the innocent IDs' reported probability against the count expected at most (n x p, Bonferroni).
  const calib = table(
    ['reported p below', ...categories.map((c) => `${c}: observed / expected at most (n = ${rows.filter((r) => r.category === c).length})`), 'reference tile, unmarked + wrong key'],
    ALPHAS.map((a) => [
      a.toExponential(0),
      ...categories.map((c) => {
        const g = rows.filter((r) => r.category === c);
        return `${g.filter((r) => r.log10p < Math.log10(a)).length} / ${fmt(g.length * a, 1)}`;
      }),
      // The detector states the reference tile's probability only below 1e-3 (otherwise it reports no geometry).
      a > 1e-3 ? 'not reported' : `${nullSync.filter((r) => r.syncLog10p !== null && r.syncLog10p < Math.log10(a)).length} / ${fmt(nullSync.length * a, 1)}`,
    ]),
    ['l', ...categories.map(() => 'r'), 'r'],
  );
  const sources = [...new Set(rows.map((r) => r.source))];
  const perSource = table(
    ['source', 'trials', 'false accusations', 'largest null sync z', 'largest null score'],
    sources.map((s) => {
      const g = rows.filter((r) => r.source === s);
      const z = g.filter((r) => r.syncZ !== null).map((r) => r.syncZ);
      return [s, g.length, g.reduce((x, r) => x + r.falseAccusations, 0), z.length ? fmt(Math.max(...z), 2) : '-', fmt(Math.max(...g.map((r) => r.score)), 2)];
    }),
    ['l', 'r', 'r', 'r', 'r'],
  );
  const accusations = rows.reduce((s, r) => s + r.falseAccusations, 0);
  const accusedRows = rows.filter((r) => r.falseAccusations > 0);
  const accusedList = accusedRows.length
    ? `\n\nFalse accusations: ${accusedRows.map((r) => `trial ${r.trial} (${r.category}, ${r.source}, ${r.detectMode}): accused ${r.accused.join(', ')}, innocent score ${fmt(r.score, 2)}, log10 p ${fmt(r.log10p, 1)}`).join('; ')}.`
    : '';
  const verdict = `**${accusations} false accusation${accusations === 1 ? "" : "s"} in ${n} trials** (target: 0 in at least 10,000 trials; ${n >= 10000 ? 'trial count met' : `this run has ${n}: the full mode runs 10,000`}).`;
  const readme = `${verdict}${accusedList}\n\n${groupTable}\n\nCalibration (${n} trials, one look of 12 frames or one still each):\n\n${calib}`;
  const full = `# False alarms (${ctx.mode})\n\n${verdict}${accusedList}\n\nRows: \`false-alarms.jsonl\` (one per trial).\n\n## By category\n\n${groupTable}\n\n` +
    `## Reported probability against the empirical rate\n\n${calib}\n\n## By source\n\n${perSource}\n`;
  return { readme, full };
}
