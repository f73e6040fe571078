/**
 * The coarse tile: a CELLS x CELLS fold decimated 2:1 along each axis, for the detector's coarse sweeps, which only
 * rank period hypotheses. The mark's band reaches 0.4 of the fold's Nyquist frequency (`BAND_HIGH`), so all of it
 * lies within a COARSE_CELLS x COARSE_CELLS spectrum: the correlation at half the size sees the same coefficients
 * for a quarter of the transform work (about a fifth, with the 64-point FFTs' fewer stages).
 *
 * Decimation filters each axis with [1 3 3 1] (cyclic) and keeps every other sample, coarse cell c centred on fine
 * cells 2c and 2c + 1. A plain 2 x 2 sum lets what lies above the band alias into it: on marked test accumulators
 * (960 x 540, 12 frames) its reference z came out about 15% under the full tile's, while with this filter it matched
 * or passed it (13.3 against 12.9, 14.8 against 14.7, 12.0 against 11.9; ad hoc, 2026-11-23). The half-cell shift
 * the centring leaves is taken out of the key (`coarseReference`), so that the mark's peak falls on a cell.
 */
import type { KeySpectra } from './pattern.js';
import { CELLS } from './pattern.js';

/** Cells per side of the coarse tile. */
export const COARSE_CELLS = CELLS / 2;

/** The reference tile's spectrum for coarse tiles, in FFT order (index fy * COARSE_CELLS + fx). */
export interface CoarseReference {
  readonly re: Float64Array;
  readonly im: Float64Array;
  /** 1 inside the mark's band, 0 outside. */
  readonly band: Uint8Array;
}

const referenceCache = new WeakMap<KeySpectra, CoarseReference>();

/**
 * The reference tile's in-band coefficients at the coarse tile's frequencies, each turned by the phase of the
 * decimation's half-cell shift, exp(i pi (fx + fy) / CELLS): a coarse tile's spectrum is the fine one's times
 * a positive gain times that phase, so the product with this key's conjugate has the fine tile's phases.
 */
export function coarseReference(spectra: KeySpectra): CoarseReference {
  const cached = referenceCache.get(spectra);
  if (cached) return cached;
  const n = COARSE_CELLS;
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  const band = new Uint8Array(n * n);
  const kr = spectra.re[0];
  const ki = spectra.im[0];
  for (let sy = -n / 2; sy < n / 2; sy++) {
    for (let sx = -n / 2; sx < n / 2; sx++) {
      const fine = ((sy + CELLS) % CELLS) * CELLS + ((sx + CELLS) % CELLS);
      if (!spectra.band[fine]) continue;
      const i = ((sy + n) % n) * n + ((sx + n) % n);
      const angle = (Math.PI * (sx + sy)) / CELLS;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      re[i] = kr[fine] * c - ki[fine] * s;
      im[i] = kr[fine] * s + ki[fine] * c;
      band[i] = 1;
    }
  }
  const reference = { re, im, band };
  referenceCache.set(spectra, reference);
  return reference;
}

/**
 * Decimates the CELLS x CELLS tile `fine` into the COARSE_CELLS x COARSE_CELLS tile `coarse` (both row-major),
 * through `rows` ([CELLS * COARSE_CELLS] scratch): the filter along x, then along y, in the SIMD kernel's order.
 */
export function decimateTile(fine: Float64Array, coarse: Float64Array, rows: Float64Array): void {
  const n = COARSE_CELLS;
  const mask = CELLS - 1;
  for (let y = 0; y < CELLS; y++) {
    const line = y * CELLS;
    for (let x = 0; x < n; x++) {
      const c = 2 * x;
      rows[y * n + x] = fine[line + ((c - 1) & mask)] + fine[line + ((c + 2) & mask)] + 3 * (fine[line + c] + fine[line + c + 1]);
    }
  }
  for (let y = 0; y < n; y++) {
    const r0 = ((2 * y - 1) & mask) * n;
    const r1 = 2 * y * n;
    const r2 = r1 + n;
    const r3 = ((2 * y + 2) & mask) * n;
    for (let x = 0; x < n; x++) coarse[y * n + x] = rows[r0 + x] + rows[r3 + x] + 3 * (rows[r1 + x] + rows[r2 + x]);
  }
}
