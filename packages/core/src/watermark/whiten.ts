/**
 * Pre-detection whitening of one frame.
 *
 * The mark hides in texture with an amplitude roughly proportional to local activity, and content is the noise the
 * detector fights. Subtracting the local mean (a box filter about one and a half cells wide) removes the picture's
 * low frequencies and any brightness change; dividing by the local residual deviation, measured per block, weights
 * every region by its signal-to-noise ratio (mark and content both scale with activity, so the optimal weight is
 * 1 / sigma) and makes contrast and gamma changes irrelevant; clipping stops edges and titles from dominating.
 */
import type { LumaPlane } from './plane.js';

/** Residuals are clipped to this many local standard deviations. */
export const WHITEN_CLIP = 2.5;
/** Added to the local deviation (8-bit units) so that flat, noise-free areas are not amplified. */
export const WHITEN_SIGMA_FLOOR = 0.5;
/** Block size (working pixels) over which the residual deviation is measured. */
const SIGMA_BLOCK = 8;

export class Whitener {
  /** [height, width] f32: the whitened frame, overwritten by each call. */
  readonly output: Float32Array;
  private readonly values: Float32Array;
  private readonly hSum: Float32Array;
  private readonly prefix: Float64Array;
  private readonly colSum: Float64Array;
  private readonly blockEnergy: Float64Array;
  private readonly blockScale: Float32Array;
  private readonly blockCols: number;

  constructor(readonly width: number, readonly height: number, readonly radius: number) {
    const n = width * height;
    this.output = new Float32Array(n);
    this.values = new Float32Array(n);
    this.hSum = new Float32Array(n);
    this.prefix = new Float64Array(width + 1);
    this.colSum = new Float64Array(width);
    this.blockCols = Math.ceil(width / SIGMA_BLOCK);
    this.blockEnergy = new Float64Array(this.blockCols * Math.ceil(height / SIGMA_BLOCK));
    this.blockScale = new Float32Array(this.blockEnergy.length);
  }

  /** Whitens `plane` (which must be width x height) into `output`. */
  process(plane: LumaPlane): Float32Array {
    const { width: w, height: h, radius: r, values, hSum, prefix, colSum, output, blockEnergy, blockScale, blockCols } = this;
    const { data, stride } = plane;
    const toEight = 1 / (1 << (plane.bitDepth - 8));
    // Horizontal box sums (window clipped at the borders; normalised after the vertical pass).
    for (let y = 0; y < h; y++) {
      const src = y * stride;
      const dst = y * w;
      let s = 0;
      for (let x = 0; x < w; x++) {
        const v = data[src + x] * toEight;
        values[dst + x] = v;
        s += v;
        prefix[x + 1] = s;
      }
      for (let x = 0; x < w; x++) {
        const lo = x - r < 0 ? 0 : x - r;
        const hi = x + r + 1 > w ? w : x + r + 1;
        hSum[dst + x] = (prefix[hi] - prefix[lo]) / (hi - lo);
      }
    }
    // Vertical running sums, row by row (cache friendly): residual = value - local mean; energy per block.
    colSum.fill(0);
    blockEnergy.fill(0);
    for (let y = 0; y < r && y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) colSum[x] += hSum[row + x];
    }
    for (let y = 0; y < h; y++) {
      const add = y + r;
      if (add < h) {
        const row = add * w;
        for (let x = 0; x < w; x++) colSum[x] += hSum[row + x];
      }
      const drop = y - r - 1;
      if (drop >= 0) {
        const row = drop * w;
        for (let x = 0; x < w; x++) colSum[x] -= hSum[row + x];
      }
      const inv = 1 / ((add < h ? add : h - 1) - (y - r > 0 ? y - r : 0) + 1);
      const line = y * w;
      const blockRow = ((y / SIGMA_BLOCK) | 0) * blockCols;
      for (let x = 0; x < w; x++) {
        const e = values[line + x] - colSum[x] * inv;
        output[line + x] = e;
        blockEnergy[blockRow + ((x / SIGMA_BLOCK) | 0)] += e * e;
      }
    }
    // Per-block 1 / (sigma + floor), then scale and clip.
    const blockRows = blockEnergy.length / blockCols;
    for (let by = 0; by < blockRows; by++) {
      const rows = Math.min(SIGMA_BLOCK, h - by * SIGMA_BLOCK);
      for (let bx = 0; bx < blockCols; bx++) {
        const cols = Math.min(SIGMA_BLOCK, w - bx * SIGMA_BLOCK);
        blockScale[by * blockCols + bx] = 1 / (Math.sqrt(blockEnergy[by * blockCols + bx] / (rows * cols)) + WHITEN_SIGMA_FLOOR);
      }
    }
    for (let y = 0; y < h; y++) {
      const line = y * w;
      const blockRow = ((y / SIGMA_BLOCK) | 0) * blockCols;
      for (let x = 0; x < w; x++) {
        let e = output[line + x] * blockScale[blockRow + ((x / SIGMA_BLOCK) | 0)];
        e = e > WHITEN_CLIP ? WHITEN_CLIP : e < -WHITEN_CLIP ? -WHITEN_CLIP : e;
        output[line + x] = e;
      }
    }
    return output;
  }
}
