/**
 * Robustness: every content is marked for one recipient (a delivery), every attack is applied to it by ffmpeg, and
 * the leak is searched blind and among the 20 issued IDs (candidate mode). One row per
 * content x attack x clip length x detection mode (x bench key, with `--keys N`): identified (the exact ID), found,
 * false-alarm probability, score, seconds analysed, wall and CPU time of the detection.
 *
 * One key and one recipient per content make each row a single draw: a leak near the line can go either way with
 * another key, ID or x264 decision. `--keys N` marks every content N times, each with its own key and recipient, so
 * that marginal attacks get a rate.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { extractImage, extractVideo } from '@reelmark/core';

import { attackByName, attackList, attackTable, stillAttackList, SUBTITLES_SRT } from './lib/attacks.mjs';
import { benchKeyAt, ISSUED_IDS, makeDelivery, recipientsFor, rowBase } from './lib/common.mjs';
import { sourceFor } from './lib/footage.mjs';
import { ffmpeg, machine, median, round, timed } from './lib/proc.mjs';
import { fmt, table, writeRows } from './lib/rows.mjs';

const FULL_LENGTHS = [2, 5, 10];

/**
 * A wrong verdict: someone other than the leak's recipients accused, or another ID decoded. Naming only one of two
 * colluders is a miss, not a wrong verdict.
 */
function wrongIn(row) {
  return row.wrongAccusations > 0 || (row.found && row.id !== null && !row.truth.includes(row.id));
}

/**
 * Clip lengths of an attack (null: a single frame or a still, where length does not apply): `ctx.lengths` when
 * given (`--lengths`), else the mode's.
 */
function lengthsOf(attack, content, ctx) {
  if (content.kind === 'image' || attack.output === 'image') return [null];
  const wanted = ctx.lengths ?? (ctx.mode === 'quick' ? (attack.lengths ?? [2]) : FULL_LENGTHS);
  const duration = content.seconds ?? 10;
  const ok = wanted.filter((l) => l <= duration + 1e-6);
  return ok.length ? ok : [Math.floor(duration)];
}

function clipFor(length, content) {
  if (length === null) return content.kind === 'image' ? null : { start: Math.min(1, Math.max(0, (content.seconds ?? 10) - 2)), length: 2 };
  const duration = content.seconds ?? 10;
  return { start: round(Math.min(1, Math.max(0, duration - length)), 3), length };
}

/** Worker task: apply one attack to a delivery, then detect blind and among candidates. Returns two rows. */
export async function attackAndDetect(task) {
  const { content, attackName, length, delivery, second, third = null, work, truth, leakDir, keyIndex = 0 } = task;
  const attack = attackByName(attackName, work);
  const key = benchKeyAt(keyIndex);
  const clip = length === null && content.kind === 'image' ? null : clipFor(length, content);
  await mkdir(leakDir, { recursive: true });
  const leak = path.join(leakDir, `${content.name}.k${keyIndex}.${attack.name}.${length ?? 'still'}${attack.extension}`);
  const made = await timed(() => ffmpeg(attack.args(delivery, leak, { width: content.width, height: content.height, clip, second, third })));
  const leakBytes = (await stat(leak)).size;
  const truthIds = truth.map(BigInt);
  const candidates = ISSUED_IDS;
  const rows = [];
  for (const detectMode of ['blind', 'candidates']) {
    const options = { input: leak, key, ...(detectMode === 'candidates' ? { candidates } : {}) };
    const t = await timed(() => (attack.output === 'image' || content.kind === 'image' ? extractImage(options) : extractVideo(options)));
    const d = t.value;
    const accused = d.candidates.filter((c) => c.accused).map((c) => c.id);
    const innocent = accused.filter((id) => !truthIds.includes(id));
    let identified;
    if (attack.collusion) {
      identified = detectMode === 'candidates'
        ? truthIds.every((id) => accused.includes(id)) && innocent.length === 0
        : d.found && truthIds.includes(d.id) && innocent.length === 0;
    } else {
      identified = d.found && d.id === truthIds[0] && innocent.length === 0;
    }
    rows.push({
      content: content.name,
      contentKind: content.kind,
      attack: attack.name,
      family: attack.family,
      params: attack.params,
      target: attack.target,
      lengthSeconds: length,
      clipStart: clip?.start ?? null,
      detectMode,
      keyIndex,
      candidates: detectMode === 'candidates' ? candidates.length : 0,
      truth: truth,
      identified,
      found: d.found,
      id: d.id === null ? null : d.id.toString(),
      accused: accused.map(String),
      wrongAccusations: innocent.length,
      // IDs accused only on a part of the reading read on its own (a splice's shorter part), with the part; and IDs
      // accused on the whole reading whose stronger evidence is a part's (given with it).
      accusedInParts: d.candidates.filter((c) => c.accused && c.part && !c.accusedOnWhole).map((c) => ({ id: c.id.toString(), ...c.part })),
      strongestInParts: d.candidates.filter((c) => c.accused && c.part && c.accusedOnWhole).map((c) => ({ id: c.id.toString(), ...c.part })),
      falseAlarmProbability: d.falseAlarmProbability,
      log10FalseAlarmProbability: d.log10FalseAlarmProbability,
      method: d.method,
      score: d.score,
      syncZ: d.sync?.z ?? null,
      syncScale: d.sync?.scale ?? null,
      syncMirrored: d.sync?.mirrored ?? null,
      syncRotation: d.sync?.rotation ?? null,
      framesAnalyzed: d.framesAnalyzed,
      secondsAnalyzed: d.secondsAnalyzed,
      stoppedEarly: d.stoppedEarly,
      detectWallSeconds: round(t.wall),
      detectCpuSeconds: round(t.cpu, 2),
      attackWallSeconds: round(made.wall),
      leakBytes,
      leakSize: `${d.input.width}x${d.input.height}`,
      ...machine(),
    });
  }
  await rm(leak, { force: true });
  return rows;
}

/**
 * Quick mode runs every attack on the first content, and on the others only the harshest ones (where a miss is
 * likeliest); the full mode runs every attack everywhere.
 */
const QUICK_SUBSET = ['h264-crf35', 'scale-360p-crf28', 'crop10-rescaled', 'chain-480p-crop5-bright-crf30', 'jpeg-480p-q75', 'average-2-copies', 'jpeg-720p-q75', 'jpeg-360p-q75'];

/** The attacks run on a content in this mode. */
export function attacksFor(content, ctx, index = 0) {
  const list = content.kind === 'image' ? stillAttackList() : attackList(ctx.work);
  // Named attacks: any of the lists, or a ladder rung such as scale-540p-crf18 (a plain re-encode at that height).
  if (ctx.attacks) return ctx.attacks.map((n) => attackByName(n, ctx.work)).filter((a) => content.kind === 'video' || a.output === 'image');
  if (ctx.mode === 'quick' && (index > 0 || content.kind === 'image')) return list.filter((a) => QUICK_SUBSET.includes(a.name));
  return list;
}

/**
 * Runs the robustness matrix. `ctx`: { mode, runId, work, runDir, resultsDir, pool, contents, attacks?, lengths?, keys?, log }.
 * Returns { rows, markdown, summary }.
 */
export async function runRobustness(ctx) {
  const { pool, log } = ctx;
  const contents = ctx.contents;
  await writeFile(path.join(ctx.work, 'subtitles.srt'), SUBTITLES_SRT);
  for (const name of ctx.attacks ?? []) attackByName(name, ctx.work); // unknown names fail before any work
  const deliveriesDir = path.join(ctx.runDir, 'deliveries');
  // Deliveries: every content marked for its recipient under each bench key; video contents also for a second
  // recipient (collusion), and a third where an attack combines three copies.
  const keys = ctx.keys ?? 1;
  const plans = contents.flatMap((content, index) => Array.from({ length: keys }, (_, k) => {
    const { id, second, third } = recipientsFor(index, k);
    const attacks = attacksFor(content, ctx, index);
    const lengths = attacks.flatMap((a) => lengthsOf(a, content, ctx)).map((l) => l ?? 2);
    const needed = Math.min(content.seconds ?? 10, Math.ceil((Math.max(...lengths) + 1) / 2) * 2);
    const copies = Math.max(1, ...attacks.map((a) => a.copies ?? 1));
    return { content, index, k, id, second, third, attacks, needed, collusion: attacks.some((a) => a.collusion), copies };
  }));
  // One excerpt per content and length, however many keys mark it (excerpts are cut on first use).
  const sources = new Map();
  const sourceOf = (content, seconds) => {
    const k = `${content.name}\u0000${seconds}`;
    if (!sources.has(k)) sources.set(k, sourceFor(content, seconds, ctx.work));
    return sources.get(k);
  };
  const deliveries = await Promise.all(
    plans.map(async (p) => {
      const ext = p.content.kind === 'image' ? '.png' : '.mp4';
      const source = await sourceOf(p.content, p.needed);
      const first = pool.run('lib/common.mjs', 'makeDelivery', {
        input: source, output: path.join(deliveriesDir, `${p.content.name}.k${p.k}.id${p.id}${ext}`), kind: p.content.kind, id: p.id.toString(), keyIndex: p.k, strength: ctx.strength,
      });
      const second = p.collusion
        ? pool.run('lib/common.mjs', 'makeDelivery', {
            input: source, output: path.join(deliveriesDir, `${p.content.name}.k${p.k}.id${p.second}${ext}`), kind: p.content.kind, id: p.second.toString(), keyIndex: p.k, strength: ctx.strength,
          })
        : null;
      const third = p.copies >= 3
        ? pool.run('lib/common.mjs', 'makeDelivery', {
            input: source, output: path.join(deliveriesDir, `${p.content.name}.k${p.k}.id${p.third}${ext}`), kind: p.content.kind, id: p.third.toString(), keyIndex: p.k, strength: ctx.strength,
          })
        : null;
      const [a, b, c] = await Promise.all([first, second, third]);
      if (p.content.kind === 'video' && p.k === 0) {
        ctx.shared ??= {};
        ctx.shared.deliveries ??= {};
        ctx.shared.deliveries[p.content.name] = { path: a.output, id: p.id, seconds: p.needed };
      }
      log(`robustness: delivery ${p.content.name}${keys > 1 ? ` key ${p.k}` : ''} id ${p.id} (${a.frames} frames, PSNR ${fmt(a.psnr)} dB, ${fmt(a.wall, 1)} s)`);
      return { first: a, second: b, third: c };
    }),
  );
  const tasks = [];
  plans.forEach((p, i) => {
    for (const attack of p.attacks) {
      for (const length of lengthsOf(attack, p.content, ctx)) {
        tasks.push({
          content: { name: p.content.name, kind: p.content.kind, width: p.content.width, height: p.content.height, seconds: Math.min(p.content.seconds ?? 10, p.needed) },
          attackName: attack.name,
          length,
          delivery: deliveries[i].first.output,
          second: deliveries[i].second?.output ?? null,
          third: deliveries[i].third?.output ?? null,
          work: ctx.work,
          leakDir: path.join(ctx.runDir, 'leaks'),
          truth: [p.id, p.second, p.third].slice(0, attack.collusion ? attack.copies : 1).map(String),
          keyIndex: p.k,
        });
      }
    }
  });
  log(`robustness: ${tasks.length} leaks x 2 detection modes on ${pool.size} worker(s)`);
  let done = 0;
  const results = await Promise.all(
    tasks.map(async (task) => {
      const rows = await pool.run('robustness.mjs', 'attackAndDetect', task);
      done++;
      const [b, c] = rows;
      const mark = (r) => (r.identified ? 'ok' : wrongIn(r) ? `WRONG(${r.id})` : 'miss');
      log(`robustness ${done}/${tasks.length}: ${task.content.name}${keys > 1 ? ` (key ${task.keyIndex})` : ''} x ${task.attackName} x ${task.length ?? 'frame'}: blind ${mark(b)} z ${fmt(b.score, 1)} ${fmt(b.detectWallSeconds, 1)} s; candidates ${mark(c)} z ${fmt(c.score, 1)}`);
      return rows;
    }),
  );
  const base = rowBase('robustness', ctx);
  const rows = results.flat().map((r) => ({ ...base, ...r }));
  await writeRows(ctx.resultsDir, 'robustness', rows);
  const deliveryRows = plans.map((p, i) => ({
    ...rowBase('robustness-delivery', ctx), content: p.content.name, keyIndex: p.k, id: p.id.toString(), frames: deliveries[i].first.frames,
    psnr: round(deliveries[i].first.psnr, 2), psnrWorstFrame: round(deliveries[i].first.psnrWorstFrame, 2), embedWallSeconds: round(deliveries[i].first.wall),
  }));
  const summary = summarise(rows);
  const markdown = renderMarkdown(rows, summary, deliveryRows, ctx);
  await writeFile(path.join(ctx.resultsDir, 'robustness.md'), markdown.full);
  return { rows, summary, markdown, blocks: { attacks: attackTable(ctx.work, table) } };
}

/** Identification rate per attack and clip length, over contents. */
export function summarise(rows) {
  const groups = new Map();
  for (const r of rows) {
    const k = `${r.attack}\u0000${r.lengthSeconds}`;
    if (!groups.has(k)) groups.set(k, { attack: r.attack, family: r.family, target: r.target, length: r.lengthSeconds, blind: [], candidates: [] });
    groups.get(k)[r.detectMode].push(r);
  }
  return [...groups.values()].map((g) => {
    const rate = (list) => ({ ok: list.filter((r) => r.identified).length, n: list.length });
    const blindScores = g.blind.map((r) => r.score);
    const targetLength = /10 s/.test(g.target ?? '') ? 10 : /2 s/.test(g.target ?? '') ? 2 : null;
    const atTarget = g.target && (targetLength === null || g.length === targetLength);
    const collusion = g.family === 'collusion';
    const judged = collusion ? rate(g.candidates) : rate(g.blind);
    return {
      ...g,
      blindRate: rate(g.blind),
      candidateRate: rate(g.candidates),
      minBlindScore: blindScores.length ? Math.min(...blindScores) : null,
      worstLog10p: g.blind.length ? Math.max(...g.blind.map((r) => r.log10FalseAlarmProbability)) : null,
      medianDetectSeconds: median(g.blind.map((r) => r.detectWallSeconds)),
      wrongAccusations: [...g.blind, ...g.candidates].reduce((s, r) => s + r.wrongAccusations, 0),
      targetMet: atTarget ? judged.ok === judged.n : null,
    };
  });
}

function renderMarkdown(rows, summary, deliveryRows, ctx) {
  const contents = [...new Set(rows.map((r) => r.content))];
  const lengths = [...new Set(rows.map((r) => r.lengthSeconds))];
  const keys = ctx.keys ?? 1;
  const keyNote = keys > 1 ? `${keys} bench keys, each content marked once per key for its own recipient (rates count every key)` : 'key: the bench key';
  const header = `Mode \`${ctx.mode}\`, run ${ctx.runId}; contents: ${contents.join(', ')}; ${keyNote}; candidate mode scores the ${ISSUED_IDS.length} issued IDs${ctx.strength !== undefined ? `; marked at strength ${ctx.strength} (not the default)` : ''}.`;
  const rate = (x) => `${x.ok}/${x.n}`;
  const summaryTable = table(
    ['attack', 'clip', 'target (core issue)', 'blind identified', 'candidates identified', 'min blind z', 'worst blind log10 p', 'median detect s', 'wrong accusations', 'target'],
    summary.map((s) => [
      s.attack, s.length === null ? 'one frame' : `${s.length} s`, s.target ?? '-', rate(s.blindRate), rate(s.candidateRate), fmt(s.minBlindScore, 1),
      fmt(s.worstLog10p, 1), fmt(s.medianDetectSeconds, 1), s.wrongAccusations, s.targetMet === null ? '-' : s.targetMet ? 'met' : '**missed**',
    ]),
    ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
  // One key: the verdict and z. Several: how many keys identified it, and the range of z.
  const cellOf = (list) => {
    if (list.length === 1) {
      const [r] = list;
      return `${r.identified ? 'ok' : wrongIn(r) ? 'WRONG' : 'miss'} ${fmt(r.score, 1)}`;
    }
    const scores = list.map((r) => r.score ?? 0);
    const wrong = list.filter((r) => !r.identified && wrongIn(r)).length;
    return `${list.filter((r) => r.identified).length}/${list.length}${wrong ? ` WRONG ${wrong}` : ''} z ${fmt(Math.min(...scores), 1)}-${fmt(Math.max(...scores), 1)}`;
  };
  const details = lengths.map((len) => {
    const attacks = [...new Set(rows.filter((r) => r.lengthSeconds === len).map((r) => r.attack))];
    return `#### Clip ${len === null ? 'one frame / still' : `${len} s`}: blind result and z per content (candidate mode in brackets)\n\n` +
      table(
        ['attack', ...contents],
        attacks.map((a) => [a, ...contents.map((c) => {
          const b = rows.filter((r) => r.attack === a && r.content === c && r.lengthSeconds === len && r.detectMode === 'blind');
          const k = rows.filter((r) => r.attack === a && r.content === c && r.lengthSeconds === len && r.detectMode === 'candidates');
          return b.length ? `${cellOf(b)} (${k.length ? cellOf(k) : ''})` : '';
        })]),
      );
  });
  const deliveries = table(['content', 'key', 'ID', 'frames', 'PSNR (library)', 'worst frame', 'embed s'],
    deliveryRows.map((d) => [d.content, d.keyIndex, d.id, d.frames, fmt(d.psnr), fmt(d.psnrWorstFrame), fmt(d.embedWallSeconds, 1)]));
  // Candidate readings that accused someone only on a part of the leak read on its own (a splice's shorter part).
  // (Rows written before `accusedInParts` have none.)
  const inParts = summary
    .map((s) => ({ s, named: s.candidates.filter((r) => (r.accusedInParts ?? []).length > 0) }))
    .filter(({ named }) => named.length > 0)
    .map(({ s, named }) => `${s.attack} (${s.length} s): ${named.length} of ${s.candidates.length} candidate readings named someone from a part of the leak alone (${named.map((r) => r.accusedInParts.map((p) => `frames ${p.startFrame}-${p.endFrame}`).join(', ')).slice(0, 5).join('; ')}${named.length > 5 ? '; ...' : ''})`);
  const partsNote = inParts.length ? `\n\n${inParts.join('. ')}.` : '';
  const readme = `${header}\n\n${summaryTable}${partsNote}`;
  const full = `# Robustness (${ctx.mode})\n\n${header}\n\nRows: \`robustness.jsonl\` (one per content x attack x clip length x detection mode).\n\n` +
    `## Identification per attack\n\n${summaryTable}${partsNote}\n\n## Per content\n\n${details.join('\n\n')}\n\n## Deliveries\n\n${deliveries}\n`;
  return { readme, full };
}
