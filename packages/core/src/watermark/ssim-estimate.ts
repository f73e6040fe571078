/**
 * What the mark costs in SSIM, estimated before it is added, so that the embedder can cap each frame's share.
 *
 * SSIM compares small windows (ffmpeg's filter, after x264: 8 x 8 pixels every 4). Noise n added to a window of
 * mean mu and deviation sigma costs about
 *   (n's variance inside the window) / (2 sigma^2 + C2)   (contrast and structure), and
 *   (the window mean's shift)^2 / (2 mu^2 + C1)           (luminance).
 * The mark lies at wavelengths of a few cells to a tile (30-240 px at 1080p), mostly longer than a window, so most
 * of it moves window means (where SSIM, away from black, hardly sees it) and only the share `windowShare` varies
 * inside a window. Rounding the marked plane to 8 bits adds its own in-window noise, about 1/12 code value^2.
 *
 * Measured against ffmpeg's ssim filter on lossless marked frames (2026-11-24, docs/WATERMARK.md, "Strength and
 * per-frame caps"; with the paper's C1, which changes nothing at luma 16 and above): the estimate, rounding
 * included, is 1.1-1.5 times the measured loss on the five bench clips and on synthetic flat, gradient, near-black,
 * grain and fine-noise frames at 540p, 720p, 1080p and 2160p (2.2 on a flat 2160p grey). The estimate it replaces (the whole mark's variance in the contrast term, no rounding) was 1.5-7
 * times the measured loss, depending on the content and the size.
 */
import { bandMask, CELLS, signedFrequency } from './pattern.js';

/**
 * SSIM's constants for 8-bit luma as ffmpeg's ssim filter applies them (x264's `ssim_end1`, on sums over the 64
 * pixels of a window): C1 = (0.01 * 255)^2 / 64 and C2 = (0.03 * 255)^2 * 63 / 64. The paper's C1 is 64 times larger;
 * the two differ only near luma 0 (full-range black), where this one makes the luminance term far more sensitive.
 */
export const SSIM_C1 = (0.01 * 255) ** 2 / 64;
export const SSIM_C2 = ((0.03 * 255) ** 2 * 63) / 64;
/** Side of the SSIM window, in pixels (ffmpeg's and x264's 8 x 8). */
export const SSIM_WINDOW = 8;
/** Variance of rounding to whole code values, code values^2. */
export const ROUNDING_VARIANCE = 1 / 12;

function sinc(x: number): number {
  if (x === 0) return 1;
  const a = Math.PI * x;
  return Math.sin(a) / a;
}

const shareCache = new Map<number, number>();

/**
 * Share of the mark's variance that varies inside an SSIM window, for a tile of `period` pixels: one minus the mean,
 * over the band's coefficients (all of equal power), of the window mean's squared response. 0.11 at 1080p (768 px
 * tiles), 0.23 at 720p, 0.37 at 540p, 0.03 at 2160p.
 */
export function windowShare(period: number): number {
  const cached = shareCache.get(period);
  if (cached !== undefined) return cached;
  const { band, count } = bandMask();
  let kept = 0;
  for (let fy = 0; fy < CELLS; fy++) {
    const wy = sinc((SSIM_WINDOW * signedFrequency(fy, CELLS)) / period);
    for (let fx = 0; fx < CELLS; fx++) {
      if (!band[fy * CELLS + fx]) continue;
      const w = sinc((SSIM_WINDOW * signedFrequency(fx, CELLS)) / period) * wy;
      kept += w * w;
    }
  }
  const share = 1 - kept / count;
  shareCache.set(period, share);
  return share;
}

/**
 * Per block of the perceptual mask: the mark's SSIM loss per unit of squared gain, for a block of mask value `mask`,
 * deviation^2 `variance` and mean `mean` (8-bit units), where `share` of the mark's variance lies inside a window.
 */
export function blockLossPerGain2(mask: number, variance: number, mean: number, share: number): number {
  const m2 = mask * mask;
  return (share * m2) / (2 * variance + SSIM_C2) + ((1 - share) * m2) / (2 * mean * mean + SSIM_C1);
}

/** Per block: the SSIM loss of rounding the marked plane to 8 bits (independent of the gain). */
export function blockRoundingLoss(variance: number): number {
  return ROUNDING_VARIANCE / (2 * variance + SSIM_C2);
}
