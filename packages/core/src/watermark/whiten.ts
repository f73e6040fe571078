/**
 * Pre-detection whitening of one frame.
 *
 * The mark hides in texture with an amplitude roughly proportional to local activity, and content is the noise the
 * detector fights. Subtracting the local mean removes the picture's low frequencies (and any brightness change);
 * dividing by the local standard deviation weights every region by its signal-to-noise ratio (mark / content both
 * scale with activity, so the optimal per-pixel weight is 1 / sigma) and makes contrast and gamma changes
 * irrelevant; clipping stops edges and titles from dominating.
 */
import type { LumaPlane } from './plane.js';

/** Residuals are clipped to this many local standard deviations. */
export const WHITEN_CLIP = 2.5;
/** Added to the local standard deviation (8-bit units) so that flat, noise-free areas are not amplified. */
export const WHITEN_SIGMA_FLOOR = 1.0;

export class Whitener {
  /** [height, width] f32: the whitened frame, overwritten by each call. */
  readonly output: Float32Array;
  private readonly values: Float32Array;
  private readonly rowSum: Float64Array;
  private readonly rowSum2: Float64Array;
  private readonly colSum: Float64Array;
  private readonly colSum2: Float64Array;
  private readonly hSum: Float32Array;
  private readonly hSum2: Float32Array;

  constructor(readonly width: number, readonly height: number, readonly radius: number) {
    const n = width * height;
    this.output = new Float32Array(n);
    this.values = new Float32Array(n);
    this.hSum = new Float32Array(n);
    this.hSum2 = new Float32Array(n);
    this.rowSum = new Float64Array(width + 1);
    this.rowSum2 = new Float64Array(width + 1);
    this.colSum = new Float64Array(width);
    this.colSum2 = new Float64Array(width);
  }

  /** Whitens `plane` (which must be width x height) into `output`. */
  process(plane: LumaPlane): Float32Array {
    const { width: w, height: h, radius: r, values, hSum, hSum2, rowSum, rowSum2, colSum, colSum2, output } = this;
    const { data, stride } = plane;
    const toEight = 1 / (1 << (plane.bitDepth - 8));
    // Horizontal box sums (window clipped at the borders; counts are applied after the vertical pass).
    for (let y = 0; y < h; y++) {
      const src = y * stride;
      const dst = y * w;
      let s = 0;
      let s2 = 0;
      rowSum[0] = 0;
      rowSum2[0] = 0;
      for (let x = 0; x < w; x++) {
        const v = data[src + x] * toEight;
        values[dst + x] = v;
        s += v;
        s2 += v * v;
        rowSum[x + 1] = s;
        rowSum2[x + 1] = s2;
      }
      for (let x = 0; x < w; x++) {
        const lo = x - r < 0 ? 0 : x - r;
        const hi = x + r + 1 > w ? w : x + r + 1;
        hSum[dst + x] = rowSum[hi] - rowSum[lo];
        hSum2[dst + x] = rowSum2[hi] - rowSum2[lo];
      }
    }
    // Vertical running sums, row by row (cache friendly), then normalise.
    colSum.fill(0);
    colSum2.fill(0);
    for (let y = 0; y < r && y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        colSum[x] += hSum[row + x];
        colSum2[x] += hSum2[row + x];
      }
    }
    for (let y = 0; y < h; y++) {
      const add = y + r;
      if (add < h) {
        const row = add * w;
        for (let x = 0; x < w; x++) {
          colSum[x] += hSum[row + x];
          colSum2[x] += hSum2[row + x];
        }
      }
      const drop = y - r - 1;
      if (drop >= 0) {
        const row = drop * w;
        for (let x = 0; x < w; x++) {
          colSum[x] -= hSum[row + x];
          colSum2[x] -= hSum2[row + x];
        }
      }
      const rows = (add < h ? add : h - 1) - (y - r > 0 ? y - r : 0) + 1;
      const line = y * w;
      for (let x = 0; x < w; x++) {
        const cols = (x + r < w ? x + r : w - 1) - (x - r > 0 ? x - r : 0) + 1;
        const inv = 1 / (rows * cols);
        const mean = colSum[x] * inv;
        const variance = colSum2[x] * inv - mean * mean;
        const sigma = variance > 0 ? Math.sqrt(variance) : 0;
        let e = (values[line + x] - mean) / (sigma + WHITEN_SIGMA_FLOOR);
        e = e > WHITEN_CLIP ? WHITEN_CLIP : e < -WHITEN_CLIP ? -WHITEN_CLIP : e;
        output[line + x] = e;
      }
    }
    return output;
  }
}
