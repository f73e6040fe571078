/**
 * Pre-detection whitening of one frame, added straight into the detector's accumulator.
 *
 * The mark hides in texture with an amplitude roughly proportional to local activity, and content is the noise the
 * detector fights. Subtracting the local mean (a box of radius `whitenRadius`: five working pixels, 1.5 to 2.5 cells)
 * removes the picture's low frequencies and any brightness change; dividing by the local residual deviation, measured
 * per block, weights every region by its signal-to-noise ratio (mark and content both scale with activity, so the
 * optimal weight is 1 / sigma, refined below) and makes contrast and gamma changes irrelevant; clipping stops edges
 * and titles from dominating.
 * (Measured against a 5-point Laplacian high-pass, which is cheaper: the box keeps 10-25% more evidence.)
 */
import { WhitenKernel } from './kernels/whiten-kernel.js';
import type { LumaPlane } from './plane.js';

/** Residuals are clipped to this many local standard deviations. */
export const WHITEN_CLIP = 2.5;
/** Added to the local deviation (8-bit units) so that flat, noise-free areas are not amplified. */
export const WHITEN_SIGMA_FLOOR = 0.5;
/** Block size (working pixels) over which the residual deviation is measured. */
const SIGMA_BLOCK = 8;
/**
 * Beyond 1 / sigma, blocks are weighted by sigma^-0.5 (total sigma^-1.5): the mask's floor and ceiling make the mark
 * relatively stronger in quiet blocks than the 1 / sigma weight assumes. Measured on generated 1080p clips after
 * CRF 28, 720p, 360p and crop attacks: +6 to +23% on fractal texture and a dark scene, -14 to +12% on synthetic
 * test bars, -26% at 360p on a blurred cellular pattern (other cells attacks +-5%).
 */
const EXTRA_WEIGHT_POWER = 0.5;
/** The whitening box's preferred radius in working pixels, and its bounds in tile cells. */
const RADIUS_PIXELS = 5;
const RADIUS_MIN_CELLS = 1.5;
const RADIUS_MAX_CELLS = 2.5;

/**
 * Radius (working pixels; the box is 2r + 1 wide) of the whitening's local mean when a tile cell is `cellPixels`
 * working pixels wide: five pixels, kept between 1.5 and 2.5 cells. At 540 working lines (any leak of 594 lines or
 * more) that is 1.5 cells, as it always was; it matters for small leaks, whose cells are 2-2.7 pixels. There a box of
 * 1.5 cells (3 px at 360p) sits inside one codec block, and the leak's compression noise, not the mark, fills the
 * residual: measured on 640x360 CRF 28 leaks of 2 s clips (the true ID's five-tile payload z sum at the true
 * period, blind decoding needs about 23), radius 2 / 3 / 4 / 5 px gave 17.3 / 19.9 / 21.4 / 22.1 on `texture`,
 * 27.1 / 28.0 / 28.8 / 29.0 on `motion`, `dark` unchanged (28-30); 6 px fell back. In the robustness bench (full
 * mode) 2 s of `texture` at 360p CRF 28 went from missed to identified blind; 854x480 leaks (4 -> 5 px) unchanged.
 */
export function whitenRadius(cellPixels: number): number {
  const pixels = Math.min(RADIUS_MAX_CELLS * cellPixels, Math.max(RADIUS_MIN_CELLS * cellPixels, RADIUS_PIXELS));
  return Math.max(2, Math.round(pixels));
}

export class Whitener {
  /** [height, width] f32: the sum of every whitened frame so far. */
  readonly accumulator: Float32Array;
  /**
   * [height, width] f32, when asked for: the same sum with every block weighted by 1 / sigma only (without the
   * extra sigma^-0.5), or null. The extra weight trusts quiet blocks, where the mask's floor makes the mark
   * relatively strong; after a heavy re-encode of a small leak the codec has flattened those blocks and their mark
   * with them, and the mark that is left lies in the busy blocks this sum does not turn down (the detector scores
   * candidates on it when the usual one gives no verdict: `WatermarkDetector.lookEven`).
   */
  readonly evenAccumulator: Float32Array | null;
  /**
   * [height, width] f32, when asked for: the sum of the keyframes alone (as they went into `accumulator`), or null.
   * Among candidates the detector sums every frame evenly, so that a part spliced in from another copy keeps its
   * share, and reads the keyframes at their weight only when that names no one (`WatermarkDetector.lookKeyframes`).
   */
  readonly keyframeAccumulator: Float32Array | null;
  /** Scratch for `keyframeAccumulator`: the accumulator before a keyframe. */
  private before = new Float32Array(0);
  /** The WebAssembly SIMD kernel for 8-bit planes (null without SIMD, or when asked for the portable loop). */
  private readonly kernel: WhitenKernel | null;
  /** [height, width] f32 scratch: horizontal box means, then residuals. */
  private rowMean = new Float32Array(0);
  private residual = new Float32Array(0);
  private readonly colSum: Float64Array;
  private readonly blockEnergy: Float64Array;
  private readonly blockScale: Float32Array;
  private readonly blockWeight: Float32Array;
  private readonly blockCols: number;

  /**
   * `simd: false` forces the portable loop for 8-bit planes too (the two agree up to float rounding); `even` adds
   * `evenAccumulator`.
   */
  constructor(readonly width: number, readonly height: number, readonly radius: number, simd = true, even = false, keyframes = false) {
    const n = width * height;
    this.keyframeAccumulator = keyframes ? new Float32Array(n) : null;
    this.kernel = simd && EXTRA_WEIGHT_POWER === 0.5 ? WhitenKernel.create(width, height, radius, even) : null;
    this.accumulator = this.kernel ? this.kernel.accumulator : new Float32Array(n);
    this.evenAccumulator = !even ? null : this.kernel ? this.kernel.evenAccumulator : new Float32Array(n);
    this.colSum = new Float64Array(width);
    this.blockCols = Math.ceil(width / SIGMA_BLOCK);
    this.blockEnergy = new Float64Array(this.blockCols * Math.ceil(height / SIGMA_BLOCK));
    this.blockScale = new Float32Array(this.blockEnergy.length);
    this.blockWeight = new Float32Array(this.blockEnergy.length);
  }

  /** True when 8-bit planes go through the WebAssembly SIMD kernel. */
  get usesSimd(): boolean {
    return this.kernel !== null;
  }

  /**
   * Whitens `plane` (width x height) and adds the result into `accumulator` (and `evenAccumulator`) with weight
   * `gain` (the frame's weight: blind, `WatermarkDetector.addFrame`'s keyframes count more); a keyframe is also
   * added into `keyframeAccumulator` when there is one.
   */
  accumulate(plane: LumaPlane, gain = 1, keyFrame = false): void {
    if (!(gain > 0 && Number.isFinite(gain))) throw new RangeError(`Expected a positive frame weight, received ${gain}`);
    const keys = keyFrame ? this.keyframeAccumulator : null;
    if (keys === null) {
      this.add(plane, gain);
      return;
    }
    // The keyframe's own whitened values are what it adds to the accumulator.
    if (this.before.length !== keys.length) this.before = new Float32Array(keys.length);
    const { before, accumulator } = this;
    before.set(accumulator);
    this.add(plane, gain);
    for (let i = 0; i < keys.length; i++) keys[i] += accumulator[i] - before[i];
  }

  private add(plane: LumaPlane, gain: number): void {
    if (this.kernel && plane.bitDepth === 8) {
      this.kernel.whiten(plane.data as Uint8Array, plane.stride, WHITEN_SIGMA_FLOOR, WHITEN_CLIP, gain);
      return;
    }
    // The portable path's [height, width] scratch, made on first use (8-bit planes with the kernel never need it).
    if (this.rowMean.length !== this.width * this.height) {
      this.rowMean = new Float32Array(this.width * this.height);
      this.residual = new Float32Array(this.width * this.height);
    }
    const { accumulator, evenAccumulator: even } = this;
    const { width: w, height: h, radius: r, rowMean, residual, colSum, blockEnergy, blockScale, blockWeight, blockCols } = this;
    const { data, stride } = plane;
    const toEight = 1 / (1 << (plane.bitDepth - 8));
    // Horizontal box means with a running sum (window clipped at the borders).
    for (let y = 0; y < h; y++) {
      const src = y * stride;
      const dst = y * w;
      let s = 0;
      let hi = 0;
      for (; hi < r && hi < w; hi++) s += data[src + hi];
      for (let x = 0; x < w; x++) {
        if (x + r < w) s += data[src + x + r];
        if (x - r - 1 >= 0) s -= data[src + x - r - 1];
        const count = (x + r < w ? x + r : w - 1) - (x - r > 0 ? x - r : 0) + 1;
        rowMean[dst + x] = s / count;
      }
    }
    // Vertical running sums, row by row (cache friendly): residual = value - local mean, energy per block.
    colSum.fill(0);
    blockEnergy.fill(0);
    for (let y = 0; y < r && y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) colSum[x] += rowMean[row + x];
    }
    for (let y = 0; y < h; y++) {
      const add = y + r;
      if (add < h) {
        const row = add * w;
        for (let x = 0; x < w; x++) colSum[x] += rowMean[row + x];
      }
      const drop = y - r - 1;
      if (drop >= 0) {
        const row = drop * w;
        for (let x = 0; x < w; x++) colSum[x] -= rowMean[row + x];
      }
      const inv = 1 / ((add < h ? add : h - 1) - (y - r > 0 ? y - r : 0) + 1);
      const line = y * w;
      const src = y * stride;
      const blockRow = ((y / SIGMA_BLOCK) | 0) * blockCols;
      let bx = 0;
      for (let x0 = 0; x0 < w; x0 += SIGMA_BLOCK, bx++) {
        const x1 = x0 + SIGMA_BLOCK < w ? x0 + SIGMA_BLOCK : w;
        let energy = 0;
        for (let x = x0; x < x1; x++) {
          const e = (data[src + x] - colSum[x] * inv) * toEight;
          residual[line + x] = e;
          energy += e * e;
        }
        blockEnergy[blockRow + bx] += energy;
      }
    }
    // Per-block 1 / (sigma + floor); then scale, clip and accumulate.
    const blockRows = blockEnergy.length / blockCols;
    for (let by = 0; by < blockRows; by++) {
      const rows = Math.min(SIGMA_BLOCK, h - by * SIGMA_BLOCK);
      for (let b = 0; b < blockCols; b++) {
        const cols = Math.min(SIGMA_BLOCK, w - b * SIGMA_BLOCK);
        const sigma = Math.sqrt(blockEnergy[by * blockCols + b] / (rows * cols)) + WHITEN_SIGMA_FLOOR;
        blockScale[by * blockCols + b] = 1 / sigma;
        blockWeight[by * blockCols + b] = Math.pow(sigma, -EXTRA_WEIGHT_POWER);
      }
    }
    for (let y = 0; y < h; y++) {
      const line = y * w;
      const blockRow = ((y / SIGMA_BLOCK) | 0) * blockCols;
      let bx = 0;
      for (let x0 = 0; x0 < w; x0 += SIGMA_BLOCK, bx++) {
        const x1 = x0 + SIGMA_BLOCK < w ? x0 + SIGMA_BLOCK : w;
        const scale = blockScale[blockRow + bx];
        const weight = blockWeight[blockRow + bx];
        for (let x = x0; x < x1; x++) {
          let e = residual[line + x] * scale;
          e = (e > WHITEN_CLIP ? WHITEN_CLIP : e < -WHITEN_CLIP ? -WHITEN_CLIP : e) * gain;
          accumulator[line + x] += e * weight;
          if (even) even[line + x] += e;
        }
      }
    }
  }
}
