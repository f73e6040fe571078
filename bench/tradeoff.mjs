/**
 * The strength/robustness trade-off: for several strengths, the mark's PSNR (worst frame, ffmpeg's psnr filter on a
 * lossless marked file) against the weakest attack that still identifies the exact ID blind from a 2 s clip, on two
 * ladders: downscale (aspect kept) at CRF 28, and CRF at 1280x720. Each ladder is searched by bisection (a leak
 * that survives a rung is assumed to survive every milder rung). Writes tradeoff.svg.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { DEFAULT_STRENGTH, extractVideo } from '@reelmark/core';

import { resizeAttack } from './lib/attacks.mjs';
import { benchKey, makeDelivery, recipientsFor, rowBase } from './lib/common.mjs';
import { sourceFor } from './lib/footage.mjs';
import { ffmpeg, machine, round, timed } from './lib/proc.mjs';
import { fmt, table, writeRows } from './lib/rows.mjs';
import { plotPanels } from './lib/svg.mjs';
import { ffmpegPsnrSsim } from './quality.mjs';

/** Ladders from the mildest to the harshest rung. */
export const HEIGHT_LADDER = [1080, 720, 540, 480, 360, 288, 240, 180];
export const HEIGHT_LADDER_CRF = 28;
export const CRF_LADDER = [23, 28, 32, 35, 38, 41, 44, 47];
export const CRF_LADDER_HEIGHT = 720;
/** The leak: the first 2 s of the marked excerpt. */
const CLIP = { start: 0, length: 2 };

/** Index of the harshest rung that passes, by bisection (-1: not even the mildest). */
async function harshestPassing(count, passes) {
  let lo = -1;
  let hi = count;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await passes(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Worker task: one content at one strength: quality, then both ladders. */
export async function curve({ content, source, strength, factor, outDir, id }) {
  await mkdir(outDir, { recursive: true });
  const marked = path.join(outDir, `${content.name}.s${strength.toFixed(2)}.mkv`);
  await makeDelivery({ input: source, output: marked, kind: 'video', id, strength, encode: { codec: 'ffv1' } });
  const key = benchKey();
  const probes = [];
  try {
    const q = await ffmpegPsnrSsim(marked, source, outDir);
    const tryAttack = async (attack, ladder, rung) => {
      const leak = path.join(outDir, `${content.name}.s${strength.toFixed(2)}.${attack.name}.mp4`);
      await ffmpeg(attack.args(marked, leak, { width: content.width, height: content.height, clip: CLIP }));
      const t = await timed(() => extractVideo({ input: leak, key }));
      await rm(leak, { force: true });
      const d = t.value;
      const identified = d.found && d.id === BigInt(id);
      probes.push({ ladder, rung, attack: attack.name, identified, score: d.score, syncZ: d.sync?.z ?? null, log10p: d.log10FalseAlarmProbability, detectWallSeconds: round(t.wall) });
      return identified;
    };
    const h = await harshestPassing(HEIGHT_LADDER.length, (i) => tryAttack(resizeAttack(HEIGHT_LADDER[i], HEIGHT_LADDER_CRF), 'height', HEIGHT_LADDER[i]));
    const c = await harshestPassing(CRF_LADDER.length, (i) => tryAttack(resizeAttack(CRF_LADDER_HEIGHT, CRF_LADDER[i]), 'crf', CRF_LADDER[i]));
    return {
      content: content.name,
      strength: round(strength, 3),
      strengthFactor: factor,
      psnr: round(q.psnr, 2),
      psnrWorstFrame: round(q.psnrWorst, 2),
      ssim: round(q.ssim, 5),
      ssimWorstFrame: round(q.ssimWorst, 5),
      lowestHeightIdentified: h >= 0 ? HEIGHT_LADDER[h] : null,
      highestCrfIdentified: c >= 0 ? CRF_LADDER[c] : null,
      probes,
      ...machine(),
    };
  } finally {
    await rm(marked, { force: true });
  }
}

export async function runTradeoff(ctx) {
  const factors = ctx.mode === 'full' ? [0.35, 0.5, 0.7, 1, 1.5, 2] : [0.5, 1, 1.5];
  const outDir = path.join(ctx.runDir, 'tradeoff');
  const tasks = [];
  for (const [index, content] of ctx.contents.entries()) {
    const source = await sourceFor(content, 2, ctx.work);
    for (const factor of factors) {
      tasks.push({
        content: { name: content.name, width: content.width, height: content.height }, source, factor, strength: DEFAULT_STRENGTH * factor, outDir,
        id: recipientsFor(index + 11).id.toString(),
      });
    }
  }
  ctx.log(`tradeoff: ${tasks.length} strengths x 2 ladders (bisection), blind, 2 s clips`);
  const results = await Promise.all(
    tasks.map(async (t) => {
      const r = await ctx.pool.run('tradeoff.mjs', 'curve', t);
      ctx.log(`tradeoff: ${r.content} strength ${r.strength}: worst-frame PSNR ${fmt(r.psnrWorstFrame)} dB; lowest height ${r.lowestHeightIdentified ?? 'none'}; highest CRF at 720p ${r.highestCrfIdentified ?? 'none'}`);
      return r;
    }),
  );
  const base = rowBase('tradeoff', ctx);
  const rows = results.map((r) => ({ ...base, ...r }));
  await writeRows(ctx.resultsDir, 'tradeoff', rows);
  const svg = plot(rows);
  await writeFile(path.join(ctx.resultsDir, 'tradeoff.svg'), svg);
  const markdown = render(rows, ctx);
  await writeFile(path.join(ctx.resultsDir, 'tradeoff.md'), markdown.full);
  return { rows, markdown };
}

function plot(rows) {
  const contents = [...new Set(rows.map((r) => r.content))];
  const series = (field) => contents.map((c) => ({
    name: c,
    points: rows.filter((r) => r.content === c).map((r) => ({ x: r.psnrWorstFrame, y: r[field], label: `s ${r.strength}` })),
  }));
  const vlines = [{ x: 46, label: 'target 46 dB' }, { x: 48, label: 'aim 48' }];
  return plotPanels(
    [
      { title: 'Lowest height still identified (CRF 28)', xLabel: 'luma PSNR, worst frame (dB)', yLabel: 'leak height (lines)', series: series('lowestHeightIdentified'),
        yRange: [1080, 180], yTicks: HEIGHT_LADDER, vlines },
      { title: `Highest CRF still identified (${CRF_LADDER_HEIGHT}p)`, xLabel: 'luma PSNR, worst frame (dB)', yLabel: 'x264 CRF', series: series('highestCrfIdentified'),
        yRange: [CRF_LADDER[0], CRF_LADDER.at(-1)], yTicks: CRF_LADDER, vlines },
    ],
    { caption: 'reelmark bench: blind identification of the exact ID from a 2 s clip; higher/right is stronger, right is more invisible. Hollow: not identified at the mildest rung.' },
  );
}

function render(rows, ctx) {
  const t = table(
    ['content', 'strength', 'PSNR mean / worst frame', 'SSIM worst frame', `lowest height identified (CRF ${HEIGHT_LADDER_CRF})`, `highest CRF identified (${CRF_LADDER_HEIGHT}p)`, 'rungs tried (height; CRF)'],
    rows.map((r) => [
      r.content, `${fmt(r.strength, 2)} (${r.strengthFactor}x)`, `${fmt(r.psnr)} / ${fmt(r.psnrWorstFrame)}`, fmt(r.ssimWorstFrame, 4), r.lowestHeightIdentified ?? 'none',
      r.highestCrfIdentified ?? 'none',
      `${r.probes.filter((p) => p.ladder === 'height').map((p) => `${p.rung}${p.identified ? '+' : '-'}`).join(' ')}; ${r.probes.filter((p) => p.ladder === 'crf').map((p) => `${p.rung}${p.identified ? '+' : '-'}`).join(' ')}`,
    ]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'l'],
  );
  const note = `Ladders: height ${HEIGHT_LADDER.join('/')} at CRF ${HEIGHT_LADDER_CRF}; CRF ${CRF_LADDER.join('/')} at ${CRF_LADDER_HEIGHT}p; 2 s clips, blind. + identified, - not.`;
  const link = `![trade-off](results/${path.basename(ctx.resultsDir)}/tradeoff.svg)`;
  const readme = `${link}\n\n${t}\n\n${note}`;
  const full = `# Strength / robustness trade-off (${ctx.mode})\n\n![trade-off](tradeoff.svg)\n\n${t}\n\n${note}\n`;
  return { readme, full };
}
