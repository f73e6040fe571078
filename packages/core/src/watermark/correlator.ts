/**
 * Folding and correlation: the detector's inner machinery.
 *
 * A frame (or the sum of many whitened frames) carries the tile repeated with an unknown period (scale) and an
 * unknown origin (crop, pad). Under a period hypothesis, every pixel is added into the tile cell it would fall in
 * ("folding"), which stacks all repetitions coherently; the folded CELLS x CELLS tile's spectrum, divided by its
 * local level (local-spectrum.ts), is then correlated with each key tile. The sweep's folds, which only rank
 * period hypotheses, are phase-correlated (each coefficient over its own magnitude: `referencePair`,
 * `coarsePairStats`). The translation becomes the position of the correlation peak, and the peak's height over the
 * surface's spread is the evidence.
 *
 * Where the runtime has WebAssembly SIMD, folding, transforms, per-bin products and the surfaces' statistics run in
 * the kernel (kernels/correlate-kernel.ts; a look's sweep costs about a sixth of the TypeScript path's); the
 * TypeScript code below is the portable path, and the reference the kernel is tested against.
 */
import { coarseReference, COARSE_CELLS, decimateTile } from './coarse-tile.js';
import { fft2d } from './fft.js';
import { CorrelateKernel } from './kernels/correlate-kernel.js';
import { LocalSpectrum } from './local-spectrum.js';
import { CELLS, type KeySpectra } from './pattern.js';
import { surfaceStats, type SurfaceStats } from './surface-stats.js';

export { surfaceStats, type SurfaceStats };

/** A tile-period hypothesis: the tile's period in pixels along x and y. */
export interface TilePeriod {
  readonly periodX: number;
  readonly periodY: number;
}

const N2 = CELLS * CELLS;

export class TileCorrelator {
  /** [CELLS^2] the folded tile (real part and, after the transform, its spectrum); its spectrum over its local level. */
  private readonly foldRe = new Float64Array(N2);
  private readonly foldIm = new Float64Array(N2);
  private readonly specRe = new Float64Array(N2);
  private readonly specIm = new Float64Array(N2);
  private readonly workRe = new Float64Array(N2);
  private readonly workIm = new Float64Array(N2);
  /** [CELLS^2] surfaces for the `...Stats` methods on the portable path. */
  private readonly surfaceA = new Float64Array(N2);
  private readonly surfaceB = new Float64Array(N2);
  /** Coarse tiles on the portable path (`coarsePairStats`): the tile, its transform, and the decimation's rows. */
  private readonly coarseRe = new Float64Array(COARSE_CELLS * COARSE_CELLS);
  private readonly coarseIm = new Float64Array(COARSE_CELLS * COARSE_CELLS);
  private readonly coarseRows = new Float64Array(CELLS * COARSE_CELLS);
  private readonly versions = new WeakMap<Float32Array, number>();
  private colBin = new Int32Array(0);
  private rowBin = new Int32Array(0);

  /** The portable path's spectral normalisation (the kernel has its own); made when first needed. */
  private local: LocalSpectrum | null = null;
  /** The SIMD kernel, or null (the portable path). */
  private readonly kernel: CorrelateKernel | null;

  /** `simd: false` forces the portable TypeScript path (the default uses WebAssembly SIMD where available). */
  constructor(private readonly spectra: KeySpectra, options: { simd?: boolean } = {}) {
    this.kernel = (options.simd ?? true) ? CorrelateKernel.create(spectra) : null;
  }

  /**
   * Declares that `plane` will not change until its version does, so that the kernel copies it into its memory once
   * per version instead of once per fold (a look folds the same accumulator a few hundred times).
   */
  setVersion(plane: Float32Array, version: number): void {
    this.versions.set(plane, version);
  }

  /** Whether the transforms run in the WebAssembly SIMD kernel. */
  get usesSimd(): boolean {
    return this.kernel !== null;
  }

  /**
   * Folds `plane` ([height, width] f32) under the period hypothesis (periodX, periodY) in pixels, with the fold's
   * origin at (originX, originY), then takes the folded tile's spectrum over its local level (local-spectrum.ts).
   */
  foldAndTransform(plane: Float32Array, width: number, height: number, periodX: number, periodY: number, originX: number, originY: number): void {
    const { foldRe, foldIm, kernel } = this;
    if (kernel) {
      kernel.loadPlane(plane, width, height, this.versions.get(plane));
      this.bins(width, height, periodX, periodY, originX, originY);
      kernel.fold(0, this.colBin, this.rowBin);
      kernel.transform();
      return;
    }
    this.fold(plane, width, height, periodX, periodY, originX, originY, foldRe);
    foldIm.fill(0);
    fft2d(foldRe, foldIm, CELLS);
    this.local ??= new LocalSpectrum(this.spectra.band);
    this.local.normalise(foldRe, foldIm, this.specRe, this.specIm);
  }

  /**
   * The reference tile's correlation surfaces for two period hypotheses at once: both folds share one complex FFT
   * (A in the real part, B in the imaginary part, separated by Hermitian symmetry) and both real surfaces share
   * one inverse FFT (A + iB). Half the transform work of two `foldAndTransform` + `correlate` calls.
   */
  referencePair(
    plane: Float32Array,
    width: number,
    height: number,
    a: TilePeriod,
    b: TilePeriod,
    originX: number,
    originY: number,
    outA: Float64Array,
    outB: Float64Array,
  ): void {
    const { foldRe, foldIm, workRe, workIm, kernel } = this;
    if (kernel) {
      this.kernelPair(kernel, plane, width, height, a, b, originX, originY);
      outA.set(kernel.surfaceRe);
      outB.set(kernel.surfaceIm);
      return;
    }
    this.fold(plane, width, height, a.periodX, a.periodY, originX, originY, foldRe);
    this.fold(plane, width, height, b.periodX, b.periodY, originX, originY, foldIm);
    fft2d(foldRe, foldIm, CELLS);
    const { band } = this.spectra;
    const kr = this.spectra.re[0];
    const ki = this.spectra.im[0];
    const mask = CELLS - 1;
    for (let fy = 0; fy < CELLS; fy++) {
      const my = ((CELLS - fy) & mask) * CELLS;
      for (let fx = 0; fx < CELLS; fx++) {
        const i = fy * CELLS + fx;
        if (!band[i]) {
          workRe[i] = 0;
          workIm[i] = 0;
          continue;
        }
        const m = my + ((CELLS - fx) & mask);
        const zr = foldRe[i];
        const zi = foldIm[i];
        const wr = foldRe[m];
        const wi = foldIm[m];
        // X_A = (Z[k] + conj Z[-k]) / 2, X_B = (Z[k] - conj Z[-k]) / 2i
        let ar = 0.5 * (zr + wr);
        let ai = 0.5 * (zi - wi);
        let br = 0.5 * (zi + wi);
        let bi = -0.5 * (zr - wr);
        const am = Math.sqrt(ar * ar + ai * ai);
        const bm = Math.sqrt(br * br + bi * bi);
        if (am > 1e-12) {
          ar /= am;
          ai /= am;
        } else {
          ar = 0;
          ai = 0;
        }
        if (bm > 1e-12) {
          br /= bm;
          bi /= bm;
        } else {
          br = 0;
          bi = 0;
        }
        // P_A = X_A conj(K), P_B = X_B conj(K); transform P_A + i P_B.
        const par = ar * kr[i] + ai * ki[i];
        const pai = ai * kr[i] - ar * ki[i];
        const pbr = br * kr[i] + bi * ki[i];
        const pbi = bi * kr[i] - br * ki[i];
        workRe[i] = par - pbi;
        workIm[i] = pai + pbr;
      }
    }
    fft2d(workRe, workIm, CELLS, true);
    outA.set(workRe);
    outB.set(workIm);
  }

  /**
   * `surfaceStats` of both surfaces of `referencePair`, without handing the surfaces out (the SIMD kernel scans
   * them where they are): what the coarse sweep needs.
   */
  referencePairStats(
    plane: Float32Array,
    width: number,
    height: number,
    a: TilePeriod,
    b: TilePeriod,
    originX: number,
    originY: number,
  ): [SurfaceStats, SurfaceStats] {
    const { kernel } = this;
    if (kernel) {
      this.kernelPair(kernel, plane, width, height, a, b, originX, originY);
      return [kernel.stats(0), kernel.stats(1)];
    }
    const { surfaceA, surfaceB } = this;
    this.referencePair(plane, width, height, a, b, originX, originY, surfaceA, surfaceB);
    return [surfaceStats(surfaceA), surfaceStats(surfaceB)];
  }

  /**
   * `referencePairStats` on coarse tiles (coarse-tile.ts): each fold decimated 2:1 before the phase-only
   * correlation with the reference, statistics of the 64 x 64 surfaces. What the coarse sweeps rank by: the mark's
   * whole band at about a third of the cost.
   */
  coarsePairStats(
    plane: Float32Array,
    width: number,
    height: number,
    a: TilePeriod,
    b: TilePeriod,
    originX: number,
    originY: number,
  ): [SurfaceStats, SurfaceStats] {
    const { kernel } = this;
    if (kernel) {
      this.kernelFolds(kernel, plane, width, height, a, b, originX, originY);
      kernel.coarsePair();
      return [kernel.coarseStats(0), kernel.coarseStats(1)];
    }
    return [this.coarseStats(plane, width, height, a, originX, originY), this.coarseStats(plane, width, height, b, originX, originY)];
  }

  /** The portable path of `coarsePairStats`, one hypothesis at a time. */
  private coarseStats(plane: Float32Array, width: number, height: number, h: TilePeriod, originX: number, originY: number): SurfaceStats {
    const { foldRe, coarseRe: re, coarseIm: im } = this;
    const n = COARSE_CELLS;
    this.fold(plane, width, height, h.periodX, h.periodY, originX, originY, foldRe);
    decimateTile(foldRe, re, this.coarseRows);
    im.fill(0);
    fft2d(re, im, n);
    const reference = coarseReference(this.spectra);
    for (let i = 0; i < n * n; i++) {
      const mag = Math.sqrt(re[i] * re[i] + im[i] * im[i]);
      if (!reference.band[i] || !(mag > 1e-12)) {
        re[i] = 0;
        im[i] = 0;
        continue;
      }
      // Phase-only X times conj(K).
      const xr = re[i] / mag;
      const xi = im[i] / mag;
      re[i] = xr * reference.re[i] + xi * reference.im[i];
      im[i] = xi * reference.re[i] - xr * reference.im[i];
    }
    fft2d(re, im, n, true);
    return surfaceStats(re, n);
  }

  /** `surfaceStats` of `correlate(tile, ...)` with no sub-cell shift, without handing the surface out. */
  correlationStats(tile: number): SurfaceStats {
    const { kernel } = this;
    if (kernel) {
      kernel.correlate(tile, 0, 0);
      return kernel.stats(0);
    }
    this.correlate(tile, this.surfaceA);
    return surfaceStats(this.surfaceA);
  }

  private kernelPair(
    kernel: CorrelateKernel,
    plane: Float32Array,
    width: number,
    height: number,
    a: TilePeriod,
    b: TilePeriod,
    originX: number,
    originY: number,
  ): void {
    this.kernelFolds(kernel, plane, width, height, a, b, originX, originY);
    kernel.referencePair();
  }

  /** Folds `plane` in the kernel under hypothesis `a` into the tile's real plane and `b` into its imaginary one. */
  private kernelFolds(
    kernel: CorrelateKernel,
    plane: Float32Array,
    width: number,
    height: number,
    a: TilePeriod,
    b: TilePeriod,
    originX: number,
    originY: number,
  ): void {
    kernel.loadPlane(plane, width, height, this.versions.get(plane));
    this.bins(width, height, a.periodX, a.periodY, originX, originY);
    kernel.fold(0, this.colBin, this.rowBin);
    this.bins(width, height, b.periodX, b.periodY, originX, originY);
    kernel.fold(1, this.colBin, this.rowBin);
  }

  /** The tile cell (0..CELLS-1) of every column (`colBin`) and row (`rowBin`) under a period hypothesis. */
  private bins(width: number, height: number, periodX: number, periodY: number, originX: number, originY: number): void {
    if (this.colBin.length < width) this.colBin = new Int32Array(width);
    if (this.rowBin.length < height) this.rowBin = new Int32Array(height);
    const { colBin, rowBin } = this;
    const kx = CELLS / periodX;
    const ky = CELLS / periodY;
    // Large positive offset keeps the rounded index non-negative before the power-of-two wrap.
    const wrap = CELLS * 1024;
    for (let x = 0; x < width; x++) colBin[x] = (Math.round((x - originX) * kx) + wrap) & (CELLS - 1);
    for (let y = 0; y < height; y++) rowBin[y] = (Math.round((y - originY) * ky) + wrap) & (CELLS - 1);
  }

  /** Folds `plane` under a period hypothesis into `out` ([CELLS^2], overwritten). */
  private fold(plane: Float32Array, width: number, height: number, periodX: number, periodY: number, originX: number, originY: number, out: Float64Array): void {
    this.bins(width, height, periodX, periodY, originX, originY);
    const { colBin, rowBin } = this;
    out.fill(0);
    for (let y = 0; y < height; y++) {
      const base = rowBin[y] * CELLS;
      const line = y * width;
      for (let x = 0; x < width; x++) out[base + colBin[x]] += plane[line + x];
    }
  }

  /**
   * Correlation of the current folded tile's normalised spectrum with key tile `tile` (0 = reference), writing the real surface
   * into `out` ([CELLS^2] f64). A fractional shift (subX, subY) in cells is removed first (applied as a phase ramp),
   * so that a peak found at a sub-cell position can be read at an integer one.
   */
  correlate(tile: number, out: Float64Array, subX = 0, subY = 0): void {
    if (this.kernel) {
      this.kernel.correlate(tile, subX, subY);
      out.set(this.kernel.surfaceRe);
      return;
    }
    const kr = this.spectra.re[tile];
    const ki = this.spectra.im[tile];
    const { band } = this.spectra;
    const { specRe, specIm, workRe, workIm } = this;
    const ramp = subX !== 0 || subY !== 0;
    for (let fy = 0; fy < CELLS; fy++) {
      const sy = fy < CELLS / 2 ? fy : fy - CELLS;
      for (let fx = 0; fx < CELLS; fx++) {
        const i = fy * CELLS + fx;
        if (!band[i]) {
          workRe[i] = 0;
          workIm[i] = 0;
          continue;
        }
        // X * conj(K)
        let re = specRe[i] * kr[i] + specIm[i] * ki[i];
        let im = specIm[i] * kr[i] - specRe[i] * ki[i];
        if (ramp) {
          const sx = fx < CELLS / 2 ? fx : fx - CELLS;
          const angle = (2 * Math.PI * (sx * subX + sy * subY)) / CELLS;
          const c = Math.cos(angle);
          const s = Math.sin(angle);
          const r2 = re * c - im * s;
          im = re * s + im * c;
          re = r2;
        }
        workRe[i] = re;
        workIm[i] = im;
      }
    }
    fft2d(workRe, workIm, CELLS, true);
    out.set(workRe);
  }
}

/** Parabolic sub-cell offset of the peak at `index` along x and y, each in (-0.5, 0.5). */
export function subCellOffset(surface: Float64Array, index: number): { dx: number; dy: number } {
  const px = index % CELLS;
  const py = (index - px) / CELLS;
  const at = (x: number, y: number) => surface[((y + CELLS) % CELLS) * CELLS + ((x + CELLS) % CELLS)];
  const c = at(px, py);
  const vertex = (l: number, r: number) => {
    const d = l - 2 * c + r;
    if (d >= 0) return 0;
    const v = (0.5 * (l - r)) / d;
    return v > 0.5 ? 0.5 : v < -0.5 ? -0.5 : v;
  };
  return { dx: vertex(at(px - 1, py), at(px + 1, py)), dy: vertex(at(px, py - 1), at(px, py + 1)) };
}
