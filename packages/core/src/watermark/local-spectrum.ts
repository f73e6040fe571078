/**
 * The folded tile's spectrum divided by its local noise level: what the correlation multiplies with each key tile.
 *
 * In a leak the mark is far below the picture and the codec's noise, so each in-band coefficient of the fold is
 * mostly noise, whose level varies over the spectrum (a picture's residual is stronger at some frequencies and
 * orientations than others). Dividing each coefficient by that level before correlating is the matched filter's
 * whitening. Phase-only correlation divides each coefficient by its own magnitude instead: robust, but the
 * magnitude of one noisy coefficient is a poor estimate of its level, and where the mark is weak it loses about
 * 11% of the evidence (the efficiency of a phase against its amplitude for a weak signal in Gaussian noise,
 * sqrt(pi) / 2). Here the level is the RMS magnitude of the in-band coefficients in a (2r + 1)^2 window around each
 * one (r = `LOCAL_SPECTRUM_RADIUS`), and the ratio is clipped at `LOCAL_SPECTRUM_CLIP`, so that one frequency the
 * picture holds strongly (a stripe, a grid) still counts no more than a few (docs/WATERMARK.md, Detection step 2,
 * "The fold's spectrum over its local level").
 *
 * The band is symmetric in fx and fy, so the same code serves a spectrum held [fy][fx] (the portable path) or
 * transposed [fx][fy] (the SIMD kernel).
 */
import { bandReach, CELLS, signedFrequency } from './pattern.js';

/** Half-width of the window the local level is measured over, in spectrum cells (a 5 x 5 window). */
export const LOCAL_SPECTRUM_RADIUS = 2;

/** Largest normalised magnitude a coefficient keeps. */
export const LOCAL_SPECTRUM_CLIP = 2.5;

const N2 = CELLS * CELLS;
const MASK = CELLS - 1;

export class LocalSpectrum {
  /** [CELLS^2] each in-band coefficient's power, 0 elsewhere. */
  private readonly power = new Float64Array(N2);
  /** [CELLS^2] the power summed along the second axis over the window. */
  private readonly rowSums = new Float64Array(N2);
  /** [CELLS^2] 1 / (in-band coefficients in each in-band coefficient's window), 0 outside the band. */
  private readonly invCount = new Float64Array(N2);
  /** Indices (along either axis) within the band's reach, and within it plus the window's radius. */
  private readonly inner: Int32Array;
  private readonly outer: Int32Array;
  /** One row of window sums (over both axes), per `inner` index. */
  private readonly level: Float64Array;
  /** Indices along the second axis beyond `inner` that a reader of `columnGroup`-wide groups also reads: zeroed. */
  private readonly padding: Int32Array;

  /**
   * `columnGroup`: the reader of the output takes the second axis in groups of this many (the SIMD kernel's
   * products, four columns per vector); the columns those groups hold beyond the band's reach are written as zero
   * in every row within it, so that nothing stale is multiplied.
   */
  constructor(private readonly band: Uint8Array, columnGroup = 1) {
    const r = LOCAL_SPECTRUM_RADIUS;
    const reach = bandReach(band);
    this.inner = indicesWithin(reach);
    this.outer = indicesWithin(reach + r);
    this.level = new Float64Array(this.inner.length);
    const inGroup = new Set<number>();
    for (const b of this.inner) {
      const start = b - (b % columnGroup);
      for (let c = start; c < start + columnGroup; c++) inGroup.add(c);
    }
    this.padding = Int32Array.from([...inGroup].filter((c) => !this.inner.includes(c)).sort((a, b) => a - b));
    for (const a of this.inner) {
      for (const b of this.inner) {
        if (!band[a * CELLS + b]) continue;
        let n = 0;
        for (let da = -r; da <= r; da++) {
          for (let db = -r; db <= r; db++) n += band[((a + da) & MASK) * CELLS + ((b + db) & MASK)];
        }
        this.invCount[a * CELLS + b] = 1 / n;
      }
    }
  }

  /**
   * Writes the spectrum (re, im) divided by its local RMS magnitude into (outRe, outIm) over the band, clipped at
   * `LOCAL_SPECTRUM_CLIP`; zero at the other coefficients within the band's reach along both axes, and in the
   * column groups' padding (further out nothing is written). Only in-band coefficients of the input are read. The
   * output may not alias the input.
   */
  normalise(re: ArrayLike<number>, im: ArrayLike<number>, outRe: Float32Array | Float64Array, outIm: Float32Array | Float64Array): void {
    const { band, power, rowSums, invCount, inner, outer, padding } = this;
    const r = LOCAL_SPECTRUM_RADIUS;
    const nInner = inner.length;
    const nOuter = outer.length;
    for (let j = 0; j < nOuter; j++) {
      const row = outer[j] * CELLS;
      for (let k = 0; k < nOuter; k++) {
        const i = row + outer[k];
        power[i] = band[i] ? re[i] * re[i] + im[i] * im[i] : 0;
      }
    }
    // Window sums along the second axis for every row a window can reach, then along the first for the band.
    for (let j = 0; j < nOuter; j++) {
      const row = outer[j] * CELLS;
      for (let k = 0; k < nInner; k++) {
        const b = inner[k];
        let s = 0;
        for (let d = -r; d <= r; d++) s += power[row + ((b + d) & MASK)];
        rowSums[row + b] = s;
      }
    }
    const clip = LOCAL_SPECTRUM_CLIP;
    const clip2 = clip * clip;
    const level = this.level;
    for (let j = 0; j < nInner; j++) {
      const a = inner[j];
      const row = a * CELLS;
      level.fill(0);
      for (let d = -r; d <= r; d++) {
        const other = ((a + d) & MASK) * CELLS;
        for (let k = 0; k < nInner; k++) level[k] += rowSums[other + inner[k]];
      }
      for (let k = 0; k < padding.length; k++) {
        outRe[row + padding[k]] = 0;
        outIm[row + padding[k]] = 0;
      }
      for (let k = 0; k < nInner; k++) {
        const i = row + inner[k];
        if (!band[i]) {
          outRe[i] = 0;
          outIm[i] = 0;
          continue;
        }
        const level2 = level[k] * invCount[i];
        const p = power[i];
        // 1 / level, or clip / |X| where |X| / level would pass the clip; 0 for a coefficient of no power.
        const scale = p > clip2 * level2 ? clip / Math.sqrt(p) : level2 > 1e-24 ? 1 / Math.sqrt(level2) : 0;
        outRe[i] = re[i] * scale;
        outIm[i] = im[i] * scale;
      }
    }
  }
}

function indicesWithin(reach: number): Int32Array {
  const out: number[] = [];
  for (let k = 0; k < CELLS; k++) if (Math.abs(signedFrequency(k, CELLS)) <= reach) out.push(k);
  return Int32Array.from(out);
}
