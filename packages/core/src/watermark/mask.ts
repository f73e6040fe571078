/**
 * Perceptual mask: how much mark each part of the frame can hide.
 *
 * The eye sees noise on flat areas, smooth gradients, skin and near black, and misses it in texture. Activity is
 * measured per block as the mean absolute Laplacian (zero on flat areas AND on linear gradients, unlike the local
 * standard deviation), sampled on every other row and every fourth column for speed. Near black the mask is reduced further. The block map
 * is smoothed so the amplitude changes gradually; the embedder interpolates it to pixels.
 */
import { tilePeriodFor } from './pattern.js';
import { blockLossPerGain2, windowShare } from './ssim-estimate.js';

/** SSIM's C2 for 8-bit luma, (0.03 * 255)^2, as the whole-mark estimate (the embedder's earlier cap) has it. */
const SSIM_C2_WHOLE_MARK = 58.5225;

/** Activity (mean |Laplacian|, 8-bit units) at which the mask is 1. */
export const ACTIVITY_REFERENCE = 6;
/** Mask floor (flat areas, gradients) and ceiling (busy texture). */
export const MASK_MIN = 0.2;
export const MASK_MAX = 2.2;
/**
 * Share of the mask kept at black (luma 16 in 8 bits), rising linearly to all of it at luma 64 (and falling to none
 * at luma 0, under video black). Gamma-coded code values near black are about as far apart to the eye as
 * mid-tones, so black flat areas keep most of the floor:
 * their mark stays below a mid-grey flat area's (quality bench: 0.63 code values RMS in the flat areas of white
 * credits on near-black, against 0.68 on the `gradient` sky). Raised from 0.4, which left such content unreadable
 * after a 480p re-encode (payload z sum 14 -> 27-29, blind needs about 23), then from 0.7 (2026-11-24): the credits
 * were still missed blind after the 480p chain from 2 s at some keys and clip starts (17 of 20 over five keys and
 * four starts; 20 of 20 at 0.85, the candidates' median score 10.8 -> 12.9; docs/WATERMARK.md, "Perceptual mask").
 */
export const NEAR_BLACK_SHARE = 0.85;

/** Block size in pixels for a frame of the given height: 16 at 1080p, 8 at 540p and below, 32 at 2160p. */
export function maskBlockSize(height: number): number {
  return Math.min(32, Math.max(8, Math.round(height / 67.5)));
}

/**
 * Reusable block-mask computation for one frame geometry.
 *
 * Split in two stages so that the pixel stage can run where the frame is: `sumQuadrants` (TypeScript, any bit
 * depth) or the WebAssembly kernel (8-bit, kernels/embed.wat) fill `quadrantSums` with integer sums, which both
 * compute exactly; `fromSums` turns them into the mask with the same floating-point steps whichever filled them.
 */
export class BlockMask {
  readonly block: number;
  readonly cols: number;
  readonly rows: number;
  /** [rows, cols] f32: the smoothed mask per block. */
  readonly values: Float32Array;
  private readonly scratch: Float32Array;
  /** [rows, cols] f32: luma variance (8-bit units) of each block's quietest quadrant. */
  readonly variance: Float32Array;
  /**
   * [rows, cols] f32: each block's mean luma (8-bit units, over its samples); -1 for a block with no samples (a
   * last row or column one pixel wide), which the SSIM estimate leaves out.
   */
  readonly mean: Float32Array;
  /**
   * [cols, 3] i32: each block column's sampled span: first column x0, quadrant split xm, end x1 (exclusive). The
   * outermost pixels are left out, so that the Laplacian's neighbours are always inside the frame.
   */
  readonly columnSpans: Int32Array;
  /** [rows, 3] i32: the same for block rows (y0, ym, y1). */
  readonly rowSpans: Int32Array;
  /**
   * [rows, cols, 3, 4] f64: per block, the sum of |Laplacian|, the sum of values and the sum of squares over the
   * samples (every other row from the span's start, every fourth column) of each quadrant (bit 0: right half, bit 1:
   * lower half).
   */
  readonly quadrantSums: Float64Array;
  /** [rows, cols, 4] the number of samples in each quadrant (geometry only). */
  private readonly quadrantCounts: Int32Array;
  /**
   * After `compute`: the mark's estimated SSIM loss per unit of squared gain, averaged over blocks
   * (`ssim-estimate.ts`: the share of the mark inside SSIM's windows against each block's quietest quadrant, the
   * rest against its mean).
   */
  ssimLossPerGain2 = 0;
  /**
   * After `compute`: the earlier, cruder estimate per unit of squared gain, mean over blocks of mask^2 / (2 variance
   * + C2): the whole mark counted against the quietest quadrant's deviation (the embedder's second cap).
   */
  ssimWholeMarkPerGain2 = 0;
  /** Share of the mark's variance inside an SSIM window, for this frame size's tile period (`windowShare`). */
  readonly ssimWindowShare: number;

  constructor(readonly width: number, readonly height: number) {
    this.ssimWindowShare = windowShare(tilePeriodFor(height));
    this.block = maskBlockSize(height);
    this.cols = Math.ceil(width / this.block);
    this.rows = Math.ceil(height / this.block);
    const { block, cols, rows } = this;
    this.values = new Float32Array(cols * rows);
    this.scratch = new Float32Array(cols * rows);
    this.variance = new Float32Array(cols * rows);
    this.mean = new Float32Array(cols * rows);
    this.columnSpans = new Int32Array(cols * 3);
    for (let bx = 0; bx < cols; bx++) {
      const x0 = Math.max(1, bx * block);
      const x1 = Math.min(width - 1, (bx + 1) * block);
      this.columnSpans.set([x0, (x0 + x1) >> 1, x1], bx * 3);
    }
    this.rowSpans = new Int32Array(rows * 3);
    for (let by = 0; by < rows; by++) {
      const y0 = Math.max(1, by * block);
      const y1 = Math.min(height - 1, (by + 1) * block);
      this.rowSpans.set([y0, (y0 + y1) >> 1, y1], by * 3);
    }
    this.quadrantSums = new Float64Array(rows * cols * 12);
    this.quadrantCounts = new Int32Array(rows * cols * 4);
    const samples = (from: number, to: number, step: number) => (to > from ? Math.ceil((to - from) / step) : 0);
    for (let by = 0; by < rows; by++) {
      const [y0, ym, y1] = this.rowSpans.subarray(by * 3, by * 3 + 3);
      for (let bx = 0; bx < cols; bx++) {
        const [x0, xm, x1] = this.columnSpans.subarray(bx * 3, bx * 3 + 3);
        for (let q = 0; q < 4; q++) {
          const across = q & 1 ? samples(xm, x1, 4) : samples(x0, xm, 4);
          const down = q & 2 ? samples(ym, y1, 2) : samples(y0, ym, 2);
          this.quadrantCounts[(by * cols + bx) * 4 + q] = across * down;
        }
      }
    }
  }

  /**
   * Computes the mask of a frame; returns the mean of mask^2 over blocks (the factor by which the mark's power is
   * scaled), which the embedder uses to keep the frame within its PSNR budget.
   */
  compute(data: Uint8Array | Uint16Array, stride: number, bitDepth: number): number {
    sumQuadrants(data, stride, this.columnSpans, this.rowSpans, this.quadrantSums);
    return this.fromSums(bitDepth);
  }

  /**
   * The second stage of `compute`, from quadrant sums laid out as `quadrantSums` (by default that array, as filled
   * by `compute`); same return value.
   */
  fromSums(bitDepth: number, sums: Float64Array = this.quadrantSums): number {
    const { cols, rows, values, scratch, variance, mean: blockMean, quadrantCounts: counts } = this;
    const toEight = 1 / (1 << (bitDepth - 8));
    const blackFloor = 16 * (1 << (bitDepth - 8));
    const blackSpan = 48 * (1 << (bitDepth - 8));
    for (let by = 0; by < rows; by++) {
      for (let bx = 0; bx < cols; bx++) {
        const b = by * cols + bx;
        // Activity per quadrant; the block takes the quietest quadrant, so a lone edge (a title, a horizon) does
        // not license noise on the flat area beside it.
        let best = Infinity;
        let bestVariance = 0;
        let sum = 0;
        let count = 0;
        for (let q = 0; q < 4; q++) {
          const n = counts[b * 4 + q];
          const lap = sums[b * 12 + q];
          const qs = sums[b * 12 + 4 + q];
          const qs2 = sums[b * 12 + 8 + q];
          if (n > 0 && lap / n < best) {
            best = lap / n;
            const mean = qs / n;
            bestVariance = (qs2 / n - mean * mean) * toEight * toEight;
          }
          sum += qs;
          count += n;
        }
        const lap = best;
        let m = MASK_MIN;
        blockMean[b] = -1;
        if (count > 0) {
          m = (lap * toEight) / ACTIVITY_REFERENCE;
          m = m < MASK_MIN ? MASK_MIN : m > MASK_MAX ? MASK_MAX : m;
          // Near black: reduce towards NEAR_BLACK_SHARE of the activity mask at video black (16), and below it
          // (full-range black, super-black) fade to nothing at 0: there the mark's lower half is clipped away, and
          // SSIM as ffmpeg computes it (x264's small C1) reads a shift of a window's mean as a large loss.
          const mean = sum / count;
          blockMean[b] = mean * toEight;
          const dark = (mean - blackFloor) / blackSpan;
          if (dark < 1) m *= dark < 0 ? NEAR_BLACK_SHARE * Math.max(0, mean / blackFloor) : NEAR_BLACK_SHARE + (1 - NEAR_BLACK_SHARE) * dark;
        }
        scratch[b] = m;
        variance[b] = bestVariance;
      }
    }
    // Separable [1 2 1] / 4 smoothing, edges clamped.
    for (let by = 0; by < rows; by++) {
      const r = by * cols;
      for (let bx = 0; bx < cols; bx++) {
        const a = scratch[r + (bx > 0 ? bx - 1 : 0)];
        const b = scratch[r + bx];
        const c = scratch[r + (bx < cols - 1 ? bx + 1 : bx)];
        values[r + bx] = (a + 2 * b + c) * 0.25;
      }
    }
    let power = 0;
    let ssim = 0;
    let wholeMark = 0;
    let sampled = 0;
    const share = this.ssimWindowShare;
    for (let by = 0; by < rows; by++) {
      const up = (by > 0 ? by - 1 : 0) * cols;
      const mid = by * cols;
      const down = (by < rows - 1 ? by + 1 : by) * cols;
      for (let bx = 0; bx < cols; bx++) {
        const v = (values[up + bx] + 2 * values[mid + bx] + values[down + bx]) * 0.25;
        scratch[mid + bx] = v;
        power += v * v;
        wholeMark += (v * v) / (2 * variance[mid + bx] + SSIM_C2_WHOLE_MARK);
        if (blockMean[mid + bx] < 0) continue;
        ssim += blockLossPerGain2(v, variance[mid + bx], blockMean[mid + bx], share);
        sampled++;
      }
    }
    values.set(scratch);
    this.ssimLossPerGain2 = sampled > 0 ? ssim / sampled : 0;
    this.ssimWholeMarkPerGain2 = wholeMark / (cols * rows);
    return power / (cols * rows);
  }
}

/**
 * The pixel stage of the mask, portable: fills `sums` ([rows, cols, 3, 4], see `BlockMask.quadrantSums`). Each
 * quadrant reads every other row and every fourth column: 1/8 of the pixels is plenty for its activity. The sums
 * are integers well below 2^53, so they are exact, and equal to the WebAssembly kernel's.
 */
export function sumQuadrants(data: Uint8Array | Uint16Array, stride: number, columnSpans: Int32Array, rowSpans: Int32Array, sums: Float64Array): void {
  const cols = columnSpans.length / 3;
  const rows = rowSpans.length / 3;
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      for (let q = 0; q < 4; q++) {
        const qx0 = columnSpans[bx * 3 + (q & 1)];
        const qx1 = columnSpans[bx * 3 + (q & 1) + 1];
        const qy0 = rowSpans[by * 3 + (q >> 1)];
        const qy1 = rowSpans[by * 3 + (q >> 1) + 1];
        let lap = 0;
        let qs = 0;
        let qs2 = 0;
        for (let y = qy0; y < qy1; y += 2) {
          const end = y * stride + qx1;
          for (let i = y * stride + qx0; i < end; i += 4) {
            const c = data[i];
            const l = 4 * c - data[i - 1] - data[i + 1] - data[i - stride] - data[i + stride];
            lap += l < 0 ? -l : l;
            qs += c;
            qs2 += c * c;
          }
        }
        const at = (by * cols + bx) * 12 + q;
        sums[at] = lap;
        sums[at + 4] = qs;
        sums[at + 8] = qs2;
      }
    }
  }
}
