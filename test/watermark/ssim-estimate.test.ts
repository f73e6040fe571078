import { describe, expect, test } from 'vitest';
import { keyFromSecret, WatermarkEmbedder, type LumaPlane } from '../../packages/core/src/watermark/index.js';
import { FRAME_RMS_PER_STRENGTH, FRAME_SSIM_LOSS_WHOLE_MARK } from '../../packages/core/src/watermark/embedder.js';
import { BlockMask } from '../../packages/core/src/watermark/mask.js';
import { tilePeriodFor } from '../../packages/core/src/watermark/pattern.js';
import { blockRoundingLoss, SSIM_C1, SSIM_C2, windowShare } from '../../packages/core/src/watermark/ssim-estimate.js';
import { addNoise, prng } from './synthetic.js';

const key = keyFromSecret(new Uint8Array(32).fill(5));

/**
 * Mean SSIM of two 8-bit planes over 8 x 8 windows every 4 pixels, with the constants as ffmpeg's ssim filter (after
 * x264) applies them (`SSIM_C1`, `SSIM_C2`).
 */
function ssim(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  let total = 0;
  let windows = 0;
  for (let y = 0; y + 8 <= height; y += 4) {
    for (let x = 0; x + 8 <= width; x += 4) {
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let dy = 0; dy < 8; dy++) {
        for (let dx = 0; dx < 8; dx++) {
          const i = (y + dy) * width + x + dx;
          sa += a[i];
          sb += b[i];
          saa += a[i] * a[i];
          sbb += b[i] * b[i];
          sab += a[i] * b[i];
        }
      }
      const ma = sa / 64;
      const mb = sb / 64;
      const va = saa / 64 - ma * ma;
      const vb = sbb / 64 - mb * mb;
      const cov = sab / 64 - ma * mb;
      total += ((2 * ma * mb + SSIM_C1) * (2 * cov + SSIM_C2)) / ((ma * ma + mb * mb + SSIM_C1) * (va + vb + SSIM_C2));
      windows++;
    }
  }
  return total / windows;
}

function flat(width: number, height: number, value: number): LumaPlane {
  return { data: new Uint8Array(width * height).fill(value), width, height, stride: width, bitDepth: 8 };
}

/** The estimated SSIM loss of rounding an 8-bit marked frame to whole code values, mean over the mask's sampled blocks. */
function roundingLoss(mask: BlockMask): number {
  let sum = 0;
  let blocks = 0;
  for (let b = 0; b < mask.mean.length; b++) {
    if (mask.mean[b] < 0) continue;
    sum += blockRoundingLoss(mask.variance[b]);
    blocks++;
  }
  return sum / blocks;
}

/** Marks a copy of `plane` at the default strength; returns the measured SSIM loss and the embedder's estimate of it. */
function markAndEstimate(plane: LumaPlane): { measured: number; estimated: number; rms: number; gain: number; mask: BlockMask; power: number } {
  const { width, height } = plane;
  const marked: LumaPlane = { ...plane, data: plane.data.slice() };
  new WatermarkEmbedder({ key, id: 77n, width, height, bitDepth: 8 }).embed(marked);
  // The gain the embedder applied, from the mark's RMS and the mask's mean square (the caps' own quantities).
  const mask = new BlockMask(width, height);
  const power = mask.compute(plane.data, width, 8);
  let sum = 0;
  for (let i = 0; i < plane.data.length; i++) sum += (marked.data[i] - plane.data[i]) ** 2;
  const rms = Math.sqrt(sum / plane.data.length);
  const gain2 = (rms * rms - 1 / 12) / power; // the rounding's own variance taken out
  return {
    measured: 1 - ssim(plane.data, marked.data, width, height),
    estimated: Math.max(0, gain2) * mask.ssimLossPerGain2 + roundingLoss(mask),
    rms,
    gain: Math.sqrt(Math.max(0, gain2)),
    mask,
    power,
  };
}

describe('SSIM estimate', () => {
  test('the share of the mark inside an SSIM window falls as the tile grows', () => {
    const at = (height: number) => windowShare(tilePeriodFor(height));
    expect(at(1080)).toBeGreaterThan(0.1);
    expect(at(1080)).toBeLessThan(0.13);
    expect(at(540)).toBeGreaterThan(at(720));
    expect(at(720)).toBeGreaterThan(at(1080));
    expect(at(2160)).toBeLessThan(at(1080));
  });

  test('is a little above the measured loss, and the marked frame keeps SSIM >= 0.995, on flat, dark and grainy 1080p frames', () => {
    const width = 1920;
    const height = 1080;
    const grain = (base: number, amplitude: number, seed: number) => addNoise(flat(width, height, base), amplitude, seed);
    const cases: Array<[string, LumaPlane]> = [
      ['flat grey', flat(width, height, 128)],
      ['flat black', flat(width, height, 16)],
      ['flat super-black (luma 4)', flat(width, height, 4)],
      ['flat full-range black (luma 0)', flat(width, height, 0)],
      ['fine grain on grey', grain(128, 4, 1)],
      ['dark grain', grain(32, 6, 2)],
    ];
    for (const [name, plane] of cases) {
      const { measured, estimated } = markAndEstimate(plane);
      expect(1 - measured, name).toBeGreaterThanOrEqual(0.995);
      if (measured === 0) continue; // luma 0: no mark at all (the mask fades to nothing under video black)
      expect(estimated / measured, name).toBeGreaterThan(1);
      expect(estimated / measured, name).toBeLessThan(2);
    }
  });

  test('lets dark grain reach the RMS cap at 1080p, where the whole-mark estimate held it to a fraction of it', () => {
    // Dark grain (luma 32 +- 6): the mask licenses more than the RMS cap. The whole-mark estimate (all of the
    // mark's variance against the quietest quadrant's deviation) would cap it far below; the windowed estimate
    // leaves the PSNR cap (1.13 code values RMS, plus rounding) to decide.
    const random = prng(3);
    const plane = flat(1920, 1080, 32);
    for (let i = 0; i < plane.data.length; i++) plane.data[i] = Math.round(32 + (random() * 2 - 1) * 6);
    const { rms } = markAndEstimate(plane);
    expect(rms).toBeGreaterThan(1.1);
    expect(rms).toBeLessThan(1.2);
  });

  test('on fine grain at 360p the earlier, looser cap decides, so small pictures are marked as before', () => {
    // At 360p more of the mark's finer cells varies inside a window: the windowed estimate is the stricter one there,
    // and the embedder keeps the earlier cap (the whole mark against the quietest quadrant) as a floor.
    const plane = addNoise(flat(640, 360, 128), 4, 4);
    const { gain, mask, power, measured } = markAndEstimate(plane);
    const strength = 2.4;
    const earlier = Math.sqrt(FRAME_SSIM_LOSS_WHOLE_MARK / mask.ssimWholeMarkPerGain2);
    const windowed = Math.sqrt(0.0026 / mask.ssimLossPerGain2);
    const rmsCap = strength * Math.sqrt((FRAME_RMS_PER_STRENGTH * FRAME_RMS_PER_STRENGTH) / power);
    expect(windowed / earlier).toBeLessThan(0.85);
    expect(earlier).toBeLessThan(Math.min(strength, rmsCap));
    expect(gain / earlier).toBeGreaterThan(0.95);
    expect(gain / earlier).toBeLessThan(1.05);
    // As before the windowed estimate existed, such a small grainy picture is marked below SSIM 0.995 (0.9946 here):
    // the quality targets are for 1080p masters, and small ones keep their readability.
    expect(1 - measured).toBeGreaterThan(0.99);
  });
});
