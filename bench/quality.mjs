/**
 * Quality: how visible the mark is. Every content is marked at the default strength and two others (0.7x, 1.5x)
 * into a lossless file (FFV1), so that only the mark differs from the master, then compared with ffmpeg's own psnr
 * and ssim filters (and libvmaf where the ffmpeg in use has it and a model), frame by frame: the mean and the worst
 * frame (the core issue's targets hold per clip, not on average: PSNR >= 46 dB, SSIM >= 0.995).
 *
 * The 'dirty window' check: in flat areas of the master (16x16 blocks whose luma deviation is under 3 code values),
 * the per-pixel change (RMS, largest |change|, share of pixels changed) per frame, its frame-to-frame stability
 * (RMS of the change in the change: flicker) and its frame-to-frame correlation (1 means a pattern fixed to the
 * screen, which would show as a dirty window in a pan if its amplitude were visible).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { DEFAULT_STRENGTH, readFrames } from '@reelmark/core';

import { butteraugliBinary, butteraugliMissing, butteraugliOfEach, BUTTERAUGLI_NITS, spreadFrames } from './lib/butteraugli.mjs';
import { DELIVERY_ENCODE, makeDelivery, recipientsFor, rowBase } from './lib/common.mjs';
import { filterPath, sourceFor } from './lib/footage.mjs';
import { ffmpeg, machine, round } from './lib/proc.mjs';
import { fmt, table, writeRows } from './lib/rows.mjs';

export const STRENGTH_FACTORS = [0.7, 1, 1.5];
const PSNR_TARGET = 46;
const SSIM_TARGET = 0.995;
/** Both inputs are put on one timeline by frame order (ffv1 in mkv has millisecond timestamps, mp4 exact ones: ffmpeg's framesync would pair neighbours). */
const ALIGN = 'settb=1/24,setpts=N';
const FLAT_BLOCK = 16;
const FLAT_STD = 3;
/** Where the ffmpeg 4.1 static build's libvmaf looks for its default model. */
const VMAF_DEFAULT_MODEL = '/usr/local/share/model/vmaf_v0.6.1.pkl';
/** Frames per clip compared with butteraugli (about 2 s of CPU per 1080p pair). */
const BUTTERAUGLI_FRAMES = { quick: 3, full: 5 };
/**
 * For scale, the same master frames through encodes a studio already treats as transparent, with no mark: the
 * bench's H.264 delivery encode, and ProRes 422 HQ.
 */
const UNMARKED_ENCODES = [
  { name: 'h264Crf16', label: `H.264 CRF ${DELIVERY_ENCODE.crf}`, ext: '.mp4', args: ['-c:v', DELIVERY_ENCODE.codec, '-crf', String(DELIVERY_ENCODE.crf), '-preset', DELIVERY_ENCODE.preset, '-pix_fmt', 'yuv420p'] },
  { name: 'proresHq', label: 'ProRes 422 HQ', ext: '.mov', args: ['-c:v', 'prores_ks', '-profile:v', '3'] },
];

/** Per-frame luma PSNR and SSIM of `marked` against `reference` with ffmpeg's psnr and ssim filters. */
export async function ffmpegPsnrSsim(marked, reference, statsDir, { rgb = false } = {}) {
  // RGB stills (PNG) are compared on their luma (ffmpeg's RGB to gray); video planes are compared as they are (Y).
  const align = rgb ? `${ALIGN},format=gray` : ALIGN;
  await mkdir(statsDir, { recursive: true });
  const p = path.join(statsDir, `psnr-${process.pid}.log`);
  const s = path.join(statsDir, `ssim-${process.pid}.log`);
  await ffmpeg([
    '-i', marked, '-i', reference, '-filter_complex',
    `[0:v]${align},split[m1][m2];[1:v]${align},split[r1][r2];[m1][r1]psnr=stats_file='${filterPath(p)}'[o1];[m2][r2]ssim=stats_file='${filterPath(s)}'[o2]`,
    '-map', '[o1]', '-f', 'null', '-', '-map', '[o2]', '-f', 'null', '-',
  ]);
  const field = (line, name) => Number((new RegExp(`\\b${name}:(\\S+)`).exec(line) ?? [])[1]);
  const psnrLines = (await readFile(p, 'utf8')).split('\n').filter((l) => l.startsWith('n:'));
  const ssimLines = (await readFile(s, 'utf8')).split('\n').filter((l) => l.startsWith('n:'));
  await rm(p, { force: true });
  await rm(s, { force: true });
  const mse = psnrLines.map((l) => field(l, 'mse_y'));
  const psnrFrames = psnrLines.map((l) => (field(l, 'psnr_y') === Infinity ? 99 : field(l, 'psnr_y'))).map((v) => (Number.isFinite(v) ? v : 99));
  const ssimFrames = ssimLines.map((l) => field(l, 'Y'));
  const meanMse = mse.reduce((a, b) => a + b, 0) / mse.length;
  return {
    frames: psnrLines.length,
    psnr: meanMse > 0 ? 10 * Math.log10((255 * 255) / meanMse) : 99,
    psnrWorst: Math.min(...psnrFrames),
    ssim: ssimFrames.reduce((a, b) => a + b, 0) / ssimFrames.length,
    ssimWorst: Math.min(...ssimFrames),
  };
}

/** VMAF of `marked` against `reference` when libvmaf and a model are there; otherwise why not. */
export async function vmafOf(marked, reference, statsDir, model) {
  const file = model ?? process.env.REELMARK_VMAF_MODEL ?? VMAF_DEFAULT_MODEL;
  if (!existsSync(file)) return { vmaf: null, vmafStatus: `libvmaf present, model ${file} missing (pass --vmaf-model)` };
  const log = path.join(statsDir, `vmaf-${process.pid}.json`);
  try {
    await ffmpeg(['-i', marked, '-i', reference, '-lavfi', `[0:v]${ALIGN}[m];[1:v]${ALIGN}[r];[m][r]libvmaf=model_path='${filterPath(file)}':log_fmt=json:log_path='${filterPath(log)}'`, '-f', 'null', '-']);
    const json = JSON.parse(await readFile(log, 'utf8'));
    const frames = (json.frames ?? []).map((f) => f.metrics?.vmaf).filter(Number.isFinite);
    return { vmaf: json['VMAF score'] ?? json.pooled_metrics?.vmaf?.mean ?? null, vmafWorst: frames.length ? Math.min(...frames) : null, vmafStatus: 'ok' };
  } catch (e) {
    return { vmaf: null, vmafStatus: `libvmaf failed: ${String(e.message).split('\n').slice(-2).join(' ').slice(0, 200)}` };
  } finally {
    await rm(log, { force: true });
  }
}

/** Dirty-window statistics of `marked` against `master` (luma, full resolution). */
export async function flatAreaChange(master, marked) {
  const a = readFrames(master, { lumaOnly: true })[Symbol.asyncIterator]();
  const b = readFrames(marked, { lumaOnly: true })[Symbol.asyncIterator]();
  let prev = null; // Int16Array [h*w] change of the previous frame, or null
  let prevFlat = null; // Uint8Array [h*w] flat mask of the previous frame
  const perFrame = [];
  let corrNum = 0;
  let corrA = 0;
  let corrB = 0;
  let flickerSum = 0;
  let flickerCount = 0;
  let maxAbs = 0;
  let flatShare = 0;
  try {
    for (;;) {
      const [x, y] = await Promise.all([a.next(), b.next()]);
      if (x.done || y.done) break;
      const pm = x.value.planes[0];
      const pk = y.value.planes[0];
      const { width: w, height: h } = pm;
      const delta = new Int16Array(w * h);
      const flat = new Uint8Array(w * h);
      let sum2 = 0;
      let n = 0;
      let changed = 0;
      for (let by = 0; by + FLAT_BLOCK <= h; by += FLAT_BLOCK) {
        for (let bx = 0; bx + FLAT_BLOCK <= w; bx += FLAT_BLOCK) {
          let s = 0;
          let s2 = 0;
          for (let yy = by; yy < by + FLAT_BLOCK; yy++) {
            const row = yy * pm.stride;
            for (let xx = bx; xx < bx + FLAT_BLOCK; xx++) {
              const v = pm.data[row + xx];
              s += v;
              s2 += v * v;
            }
          }
          const count = FLAT_BLOCK * FLAT_BLOCK;
          const variance = s2 / count - (s / count) ** 2;
          if (variance >= FLAT_STD * FLAT_STD) continue;
          for (let yy = by; yy < by + FLAT_BLOCK; yy++) {
            for (let xx = bx; xx < bx + FLAT_BLOCK; xx++) {
              const d = pk.data[yy * pk.stride + xx] - pm.data[yy * pm.stride + xx];
              const i = yy * w + xx;
              delta[i] = d;
              flat[i] = 1;
              sum2 += d * d;
              n++;
              if (d !== 0) changed++;
              if (Math.abs(d) > maxAbs) maxAbs = Math.abs(d);
            }
          }
        }
      }
      flatShare += n / (w * h);
      if (prev) {
        for (let i = 0; i < delta.length; i++) {
          if (!flat[i] || !prevFlat[i]) continue;
          const d0 = prev[i];
          const d1 = delta[i];
          corrNum += d0 * d1;
          corrA += d0 * d0;
          corrB += d1 * d1;
          flickerSum += (d1 - d0) * (d1 - d0);
          flickerCount++;
        }
      }
      perFrame.push({ rms: n ? Math.sqrt(sum2 / n) : 0, changed: n ? changed / n : 0 });
      prev = delta;
      prevFlat = flat;
    }
  } finally {
    await a.return?.();
    await b.return?.();
  }
  const rmsValues = perFrame.map((f) => f.rms);
  const mean = rmsValues.reduce((s, v) => s + v, 0) / Math.max(1, rmsValues.length);
  const sd = Math.sqrt(rmsValues.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, rmsValues.length));
  return {
    flatAreaShare: perFrame.length ? flatShare / perFrame.length : 0,
    flatRms: mean,
    flatRmsMax: rmsValues.length ? Math.max(...rmsValues) : 0,
    flatRmsFrameCv: mean > 0 ? sd / mean : 0,
    flatMaxAbs: maxAbs,
    flatChangedShare: perFrame.reduce((s, f) => s + f.changed, 0) / Math.max(1, perFrame.length),
    flatTemporalCorrelation: corrA > 0 && corrB > 0 ? corrNum / Math.sqrt(corrA * corrB) : null,
    flatFlickerRms: flickerCount ? Math.sqrt(flickerSum / flickerCount) : null,
  };
}

/**
 * Butteraugli of the marked copy against the master at `count` frames, and (`withEncodes`) of the master's own
 * unmarked delivery encodes on the same frames. Null figures and a status when butteraugli_main is not there.
 */
async function psychovisual(marked, source, frames, count, outDir, withEncodes) {
  const bin = butteraugliBinary();
  if (!bin) return { butteraugliStatus: butteraugliMissing() };
  const indices = spreadFrames(frames, count);
  const encodes = withEncodes ? UNMARKED_ENCODES : [];
  const files = encodes.map((e) => path.join(outDir, `${path.basename(marked)}.unmarked-${e.name}${e.ext}`));
  try {
    for (const [i, e] of encodes.entries()) await ffmpeg(['-y', '-i', source, '-map', '0:v:0', ...e.args, files[i]]);
    const [mark, ...unmarked] = await butteraugliOfEach(bin, [marked, ...files], source, indices, outDir);
    const row = { butteraugliStatus: 'ok', butteraugliFrames: mark.frames, butteraugliMax: round(mark.max, 3), butteraugli3Norm: round(mark.pnorm3, 3) };
    for (const [i, e] of encodes.entries()) {
      row[`${e.name}ButteraugliMax`] = round(unmarked[i].max, 3);
      row[`${e.name}Butteraugli3Norm`] = round(unmarked[i].pnorm3, 3);
    }
    return row;
  } finally {
    await Promise.all(files.map((f) => rm(f, { force: true })));
  }
}

/** Worker task: mark one content at one strength losslessly and measure it. */
export async function measure({ content, source, strength, factor, outDir, vmafModel, id, butteraugliCount }) {
  const ext = content.kind === 'image' ? '.png' : '.mkv';
  const marked = path.join(outDir, `${content.name}.s${strength.toFixed(2)}${ext}`);
  const d = await makeDelivery({ input: source, output: marked, kind: content.kind, id, strength, encode: { codec: 'ffv1' } });
  try {
    const q = await ffmpegPsnrSsim(marked, source, outDir, { rgb: content.kind === 'image' });
    const v = await vmafOf(marked, source, outDir, vmafModel);
    const dirty = await flatAreaChange(source, marked);
    const visual = await psychovisual(marked, source, q.frames, butteraugliCount, outDir, content.kind !== 'image' && factor === 1);
    return {
      content: content.name,
      contentKind: content.kind,
      strength: round(strength, 3),
      strengthFactor: factor,
      frames: q.frames,
      psnr: round(q.psnr, 2),
      psnrWorstFrame: round(q.psnrWorst, 2),
      ssim: round(q.ssim, 5),
      ssimWorstFrame: round(q.ssimWorst, 5),
      vmaf: v.vmaf === null ? null : round(v.vmaf, 2),
      vmafWorstFrame: v.vmafWorst === undefined || v.vmafWorst === null ? null : round(v.vmafWorst, 2),
      vmafStatus: v.vmafStatus,
      ...visual,
      libraryPsnr: round(d.psnr, 2),
      libraryPsnrWorstFrame: round(d.psnrWorstFrame, 2),
      ...Object.fromEntries(Object.entries(dirty).map(([k, val]) => [k, round(val, 4)])),
      meetsPsnr: q.psnrWorst >= PSNR_TARGET,
      meetsSsim: q.ssimWorst >= SSIM_TARGET,
      embedWallSeconds: round(d.wall, 2),
      ...machine(),
    };
  } finally {
    await rm(marked, { force: true });
  }
}

export async function runQuality(ctx) {
  const seconds = ctx.mode === 'full' ? 10 : 2;
  const outDir = path.join(ctx.runDir, 'quality');
  await mkdir(outDir, { recursive: true });
  const tasks = [];
  for (const [index, content] of ctx.contents.entries()) {
    const source = await sourceFor(content, seconds, ctx.work);
    // Quick mode: the default strength on every content (the target), the other two on the first two.
    const factors = ctx.mode === 'full' || index < 2 ? STRENGTH_FACTORS : [1];
    for (const factor of factors) {
      tasks.push({
        content: { name: content.name, kind: content.kind }, source, factor, strength: DEFAULT_STRENGTH * factor, outDir,
        vmafModel: ctx.vmafModel, id: recipientsFor(index).id.toString(), butteraugliCount: BUTTERAUGLI_FRAMES[ctx.mode] ?? BUTTERAUGLI_FRAMES.quick,
      });
    }
  }
  ctx.log(`quality: ${tasks.length} marked files (${seconds} s of each clip, lossless), psnr/ssim${ctx.vmafModel ? '/vmaf' : ''} against the master`);
  const results = await Promise.all(
    tasks.map(async (t) => {
      const r = await ctx.pool.run('quality.mjs', 'measure', t);
      ctx.log(`quality: ${r.content} strength ${r.strength}: PSNR ${fmt(r.psnr)} (worst ${fmt(r.psnrWorstFrame)}), SSIM ${fmt(r.ssim, 4)} (worst ${fmt(r.ssimWorstFrame, 4)}), flat RMS ${fmt(r.flatRms, 3)}`);
      return r;
    }),
  );
  const base = rowBase('quality', ctx);
  const rows = results.map((r) => ({ ...base, seconds, ...r }));
  await writeRows(ctx.resultsDir, 'quality', rows);
  const markdown = render(rows, ctx, seconds);
  await writeFile(path.join(ctx.resultsDir, 'quality.md'), markdown.full);
  return { rows, markdown };
}

function render(rows, ctx, seconds) {
  const vmafNote = rows[0]?.vmafStatus === 'ok' ? '' : `VMAF: not measured (${rows[0]?.vmafStatus}).`;
  const main = table(
    ['content', 'strength', 'PSNR mean', 'PSNR worst frame', 'SSIM mean', 'SSIM worst frame', 'VMAF', 'PSNR by the library', 'target (worst frame >= 46 dB, >= 0.995)'],
    rows.map((r) => [
      r.content, `${fmt(r.strength, 2)} (${r.strengthFactor}x)`, fmt(r.psnr), fmt(r.psnrWorstFrame), fmt(r.ssim, 4), fmt(r.ssimWorstFrame, 4), fmt(r.vmaf, 1),
      fmt(r.libraryPsnrWorstFrame), r.strengthFactor === 1 ? (r.meetsPsnr && r.meetsSsim ? 'met' : `**missed** (${[!r.meetsPsnr && 'PSNR', !r.meetsSsim && 'SSIM'].filter(Boolean).join(', ')})`) : '-',
    ]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
  const dirty = table(
    ['content', 'strength', 'flat share of frame', 'flat RMS change (mean / worst frame)', 'frame-to-frame CV of RMS', 'largest abs change', 'pixels changed', 'temporal correlation', 'flicker RMS'],
    rows.map((r) => [
      r.content, fmt(r.strength, 2), fmt(r.flatAreaShare, 3), `${fmt(r.flatRms, 3)} / ${fmt(r.flatRmsMax, 3)}`, fmt(r.flatRmsFrameCv, 3), r.flatMaxAbs,
      `${fmt(100 * r.flatChangedShare, 1)}%`, fmt(r.flatTemporalCorrelation, 3), fmt(r.flatFlickerRms, 3),
    ]),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const visualOk = rows.some((r) => r.butteraugliStatus === 'ok');
  const pair = (max, pnorm) => (max === undefined || max === null ? '-' : `${fmt(max, 2)} / ${fmt(pnorm, 2)}`);
  const visual = visualOk
    ? table(
        ['content', 'strength', 'marked (no other change)', ...UNMARKED_ENCODES.map((e) => `${e.label}, unmarked`)],
        rows.map((r) => [
          r.content, fmt(r.strength, 2), pair(r.butteraugliMax, r.butteraugli3Norm),
          ...UNMARKED_ENCODES.map((e) => pair(r[`${e.name}ButteraugliMax`], r[`${e.name}Butteraugli3Norm`])),
        ]),
        ['l', 'l', 'r', ...UNMARKED_ENCODES.map(() => 'r')],
      )
    : null;
  const visualNote = visualOk
    ? `Butteraugli (libjxl \`butteraugli_main\`, ${BUTTERAUGLI_NITS} nits) against the master at ${rows[0].butteraugliFrames ?? '-'} frames spread over each clip, ` +
      'worst frame\'s max-norm / mean 3-norm. 1.0 is about a just-noticeable difference for a viewer comparing the two frames at 1:1 ' +
      '(JPEG XL\'s "visually lossless"). For scale, the same frames of the master through encodes a studio treats as transparent, with no mark.'
    : `Butteraugli: not measured (${rows[0]?.butteraugliStatus}).`;
  const head = `Luma, marked (lossless FFV1) against the master, first ${seconds} s of each clip, ffmpeg psnr/ssim filters. ${vmafNote}`;
  const dirtyNote = 'Flat areas: 16x16 blocks of the master with luma deviation under 3 code values. Change in 8-bit code values. ' +
    'A temporal correlation near 1 is a pattern fixed to the screen; a flicker RMS near 0 is a pattern that does not flicker.';
  const visualPart = visual ? `\n\n${visualNote}\n\n${visual}` : `\n\n${visualNote}`;
  const readme = `${head}\n\n${main}\n\nDirty window (default strength and the others):\n\n${dirty}\n\n${dirtyNote}\n\nPsychovisual distance:${visualPart}`;
  const full = `# Quality (${ctx.mode})\n\n${head}\n\nRows: \`quality.jsonl\`.\n\n${main}\n\n## Dirty window\n\n${dirtyNote}\n\n${dirty}\n\n## Psychovisual distance${visualPart}\n`;
  return { readme, full };
}
