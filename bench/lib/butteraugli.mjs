/**
 * Butteraugli, the psychovisual difference model behind JPEG XL (libjxl's `butteraugli_main`): how visible the
 * difference between two pictures is to a viewer who compares them at 1:1, in units where 1.0 is about a
 * just-noticeable difference (libjxl calls distance 1 "visually lossless"). The max-norm is the most visible spot
 * of the frame; the 3-norm pools the whole frame.
 *
 * It is not an npm package: Debian and Ubuntu ship it in `libjxl-devtools`. The bench uses it when it is there
 * (`REELMARK_BUTTERAUGLI`, or `butteraugli_main` on PATH) and says how to get it when it is not.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';

import { ffmpeg, run } from './proc.mjs';

/** Display brightness of the model's viewing conditions, in nits (the tool's default, sRGB's reference white). */
export const BUTTERAUGLI_NITS = 80;

/** The `butteraugli_main` to use, or null: `REELMARK_BUTTERAUGLI`, else the first on PATH. */
export function butteraugliBinary() {
  const explicit = process.env.REELMARK_BUTTERAUGLI;
  if (explicit) return existsSync(explicit) ? explicit : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'butteraugli_main');
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

/** Why butteraugli figures are missing, for the tables. */
export function butteraugliMissing() {
  return process.env.REELMARK_BUTTERAUGLI
    ? `REELMARK_BUTTERAUGLI=${process.env.REELMARK_BUTTERAUGLI} does not exist`
    : 'butteraugli_main not found (Debian/Ubuntu: apt install libjxl-devtools; or set REELMARK_BUTTERAUGLI)';
}

/** `count` frame numbers spread evenly over `frames` frames, first and last included. */
export function spreadFrames(frames, count) {
  if (frames <= 1 || count <= 1) return [0];
  const n = Math.min(count, frames);
  return Array.from({ length: n }, (_, i) => Math.round((i * (frames - 1)) / (n - 1)));
}

/**
 * Writes frames `indices` of `input` (video or still) as 16-bit RGB PNGs `${prefix}-1.png`, `-2.png`, ...
 * 16-bit and with swscale's accurate rounding, so that the YUV to RGB conversion adds no error of its own: the same
 * luma change on a flat skin tone reads 3.27 (max-norm) this way, as when converted from 16-bit YUV, but 3.84 with
 * the default rounding and 4.26 in 8-bit RGB.
 */
async function framesAsPng(input, indices, prefix) {
  const select = indices.map((n) => `eq(n\\,${n})`).join('+');
  await ffmpeg(['-y', '-i', input, '-sws_flags', 'accurate_rnd', '-vf', `select='${select}',format=rgb48be`, '-vsync', '0', '-frames:v', String(indices.length), `${prefix}-%d.png`]);
}

/** Butteraugli of one pair of PNGs: { max, pnorm3 }. */
async function comparePngs(bin, reference, distorted) {
  const { stdout } = await run(bin, [reference, distorted, '--intensity_target', String(BUTTERAUGLI_NITS)], { captureStdout: true });
  const [maxLine, pnormLine] = stdout.trim().split('\n');
  const max = Number(maxLine);
  const pnorm3 = Number((/3-norm:\s*(\S+)/.exec(pnormLine ?? '') ?? [])[1]);
  if (!Number.isFinite(max) || !Number.isFinite(pnorm3)) throw new Error(`unexpected butteraugli_main output: ${stdout.slice(0, 200)}`);
  return { max, pnorm3 };
}

/**
 * Butteraugli of each of `distorted` against `reference` (same frames, same order) at frames `indices`: per input,
 * the worst frame's max-norm and the mean 3-norm. Every input is decoded to RGB by the same ffmpeg, so only their
 * difference counts; the reference's frames are decoded once for all of them.
 */
export async function butteraugliOfEach(bin, distorted, reference, indices, workDir) {
  const dir = path.join(workDir, `butteraugli-${process.pid}-${path.basename(distorted[0])}`);
  await mkdir(dir, { recursive: true });
  try {
    await framesAsPng(reference, indices, path.join(dir, 'ref'));
    const results = [];
    for (const [k, input] of distorted.entries()) {
      await framesAsPng(input, indices, path.join(dir, `dist${k}`));
      const per = [];
      for (let i = 1; i <= indices.length; i++) per.push(await comparePngs(bin, path.join(dir, `ref-${i}.png`), path.join(dir, `dist${k}-${i}.png`)));
      results.push({
        max: Math.max(...per.map((p) => p.max)),
        pnorm3: per.reduce((sum, p) => sum + p.pnorm3, 0) / per.length,
        frames: per.length,
      });
    }
    return results;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
