/**
 * The WebAssembly SIMD correlation kernel (correlate.wat): the FFTs, the sweep's phase-only normalisation and key
 * products of `TileCorrelator`, in f32x4 inside the kernel's own memory (a single fold's spectrum is divided by its
 * local level in TypeScript over that memory, local-spectrum.ts). f32 is ample for these surfaces: they match the f64
 * TypeScript path to about 1e-6 of their spread (z values to about 1e-5), with the same peaks. The TypeScript path
 * remains the fallback where WebAssembly SIMD is unavailable.
 *
 * One instance per correlator: its memory holds the key's six tile spectra (transposed, pre-scaled for the inverse
 * transform) and the coarse reference (coarse-tile.ts), a copy of the plane being folded, and the resulting surfaces,
 * read through `surfaceRe` / `surfaceIm`.
 */
import { bandReach, CELLS, type KeySpectra } from '../pattern.js';
import { statsFromSums, type SurfaceStats } from '../surface-stats.js';
import { coarseReference, COARSE_CELLS } from '../coarse-tile.js';
import { LocalSpectrum } from '../local-spectrum.js';
import { correlateWasm } from './correlate-wasm.js';
import { align16, compiledModule, ensureMemory, instantiate, type WasmMemory, type WasmModule } from './wasm-runtime.js';

interface CorrelateExports {
  memory: WasmMemory;
  setBand(rowEnd: number, rowStart: number, groupEnd: number, groupStart: number): void;
  forward(): void;
  inverse(): void;
  pairSpectrum(key: number): void;
  correlate(key: number): void;
  fold(plane: number, width: number, height: number, rowBin: number, colBin: number, rows: number, dst: number): void;
  stats(src: number, n: number): void;
  setBand64(rowEnd: number, rowStart: number, groupEnd: number, groupStart: number): void;
  decimate(): void;
  forward64(): void;
  pairSpectrum64(key: number): void;
  inverse64(): void;
}

const N2 = CELLS * CELLS;
const PLANE_BYTES = N2 * 4;
/** Byte offsets of the kernel's memory layout (see correlate.wat). */
const TWIDDLES = 0;
const BITREV = 1024;
const RAMP_X = 1536;
const RAMP_Y = 2560;
const STATS = 3712;
const BITREV64 = 4096;
const FOLD = 65536;
const SPEC = 196608;
const PHASE = 327680;
const KEYS = 589824;
const KEY64 = 1441792;
/** Start of the frame-size dependent region: plane to fold, its bins and the fold's row sums. */
const FRAME = 1572864;
const PAGES = FRAME / 65536;


export class CorrelateKernel {
  /** [CELLS^2] f32, natural layout: the last surface (or surface A of a pair) and surface B of a pair. */
  surfaceRe!: Float32Array;
  surfaceIm!: Float32Array;
  private readonly exports: CorrelateExports;
  private rampX!: Float32Array;
  private rampY!: Float32Array;
  /** The normalised spectrum `correlate` reads (PHASE), transposed (`forward` leaves the spectrum in `surfaceRe/Im`). */
  private phaseRe!: Float32Array;
  private phaseIm!: Float32Array;
  private readonly local: LocalSpectrum;
  /** The `stats` export's results: sum, sum of squares (f64); maximum (f32); its index (i32). */
  private statsF64!: Float64Array;
  private statsF32!: Float32Array;
  private statsI32!: Int32Array;
  /** The loaded plane's size and the byte offsets of its copy, bins and row sums. */
  private width = 0;
  private height = 0;
  /** The plane in memory and its version, when the caller gave one (see `loadPlane`). */
  private loaded: { plane: Float32Array; version: number } | null = null;
  private planeOffset = 0;
  private rowBinOffset = 0;
  private colBinOffset = 0;
  private rowsOffset = 0;
  /** The sub-cell shift the ramps currently hold. */
  private rampSub = { x: NaN, y: NaN };

  /** A kernel for the key tiles `spectra`; null where WebAssembly SIMD is unavailable (or CELLS is not 128). */
  static create(spectra: KeySpectra): CorrelateKernel | null {
    if (CELLS !== 128) return null; // the kernel's loops and layout are written for 128 x 128 tiles
    const module = compiledModule(correlateWasm);
    if (!module) return null;
    return new CorrelateKernel(module, spectra);
  }

  private constructor(module: WasmModule, spectra: KeySpectra) {
    this.exports = instantiate<CorrelateExports>(module);
    const { memory } = this.exports;
    ensureMemory(memory, PAGES * 65536);
    const { buffer } = memory;
    const twiddles = new Float32Array(buffer, TWIDDLES, 256);
    for (let k = 0; k < CELLS / 2; k++) {
      const angle = (2 * Math.PI * k) / CELLS;
      twiddles[k] = Math.cos(angle);
      twiddles[64 + k] = -Math.sin(angle);
      twiddles[128 + k] = Math.cos(angle);
      twiddles[192 + k] = Math.sin(angle);
    }
    const bitrev = new Int32Array(buffer, BITREV, CELLS);
    for (let i = 0; i < CELLS; i++) {
      let r = 0;
      for (let b = 0; b < 7; b++) r |= ((i >> b) & 1) << (6 - b);
      bitrev[i] = r;
    }
    new Float32Array(buffer, KEYS, spectra.re.length * 2 * N2).set(kernelKeys(spectra));
    this.setUpCoarse(buffer, spectra);
    // `correlate` reads PHASE's columns (fy, transposed) four at a time.
    this.local = new LocalSpectrum(spectra.band, 4);
    // The band's extent along each axis: rows / columns beyond it hold no in-band coefficient and are skipped.
    const limit = bandReach(spectra.band);
    const rowEnd = limit + 1;
    const rowStart = CELLS - limit;
    if (rowEnd >= rowStart) this.exports.setBand(CELLS, CELLS, CELLS / 4, CELLS / 4);
    else this.exports.setBand(rowEnd, rowStart, Math.ceil(rowEnd / 4), Math.floor(rowStart / 4));
    this.makeViews();
  }

  /** (Re)creates the typed-array views, which growing the memory detaches. */
  private makeViews(): void {
    const { buffer } = this.exports.memory;
    this.surfaceRe = new Float32Array(buffer, SPEC, N2);
    this.surfaceIm = new Float32Array(buffer, SPEC + PLANE_BYTES, N2);
    this.phaseRe = new Float32Array(buffer, PHASE, N2);
    this.phaseIm = new Float32Array(buffer, PHASE + PLANE_BYTES, N2);
    this.rampX = new Float32Array(buffer, RAMP_X, 2 * CELLS);
    this.rampY = new Float32Array(buffer, RAMP_Y, 2 * CELLS);
    this.statsF64 = new Float64Array(buffer, STATS, 2);
    this.statsF32 = new Float32Array(buffer, STATS + 16, 1);
    this.statsI32 = new Int32Array(buffer, STATS + 20, 1);
  }

  /** `surfaceStats` of `surfaceRe` (`part` 0) or `surfaceIm` (1), scanned inside the kernel (sums in f64). */
  stats(part: 0 | 1): SurfaceStats {
    this.exports.stats(SPEC + part * PLANE_BYTES, CELLS);
    const surface = part === 0 ? this.surfaceRe : this.surfaceIm;
    return statsFromSums(surface, this.statsF64[0], this.statsF64[1], this.statsF32[0], this.statsI32[0]);
  }

  /**
   * The coarse tiles' tables: the 64-point bit reversal, the coarse reference (`coarseReference`, laid out as the
   * 128-cell keys are: transposed, rows of 128 floats, im 64 KiB after re, scaled by 1 / 64^2) and its band's extent.
   */
  private setUpCoarse(buffer: ArrayBuffer, spectra: KeySpectra): void {
    const n = COARSE_CELLS;
    const bitrev = new Int32Array(buffer, BITREV64, n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < 6; b++) r |= ((i >> b) & 1) << (5 - b);
      bitrev[i] = r;
    }
    const reference = coarseReference(spectra);
    const re = new Float32Array(buffer, KEY64, n * CELLS);
    const im = new Float32Array(buffer, KEY64 + PLANE_BYTES, n * CELLS);
    const scale = 1 / (n * n);
    let limit = 0;
    for (let fy = 0; fy < n; fy++) {
      for (let fx = 0; fx < n; fx++) {
        const i = fy * n + fx;
        re[fx * CELLS + fy] = reference.re[i] * scale;
        im[fx * CELLS + fy] = reference.im[i] * scale;
        if (reference.band[i]) limit = Math.max(limit, Math.min(fx, n - fx), Math.min(fy, n - fy));
      }
    }
    const rowEnd = limit + 1;
    const rowStart = n - limit;
    if (rowEnd >= rowStart) this.exports.setBand64(n, n, n / 4, n / 4);
    else this.exports.setBand64(rowEnd, rowStart, Math.ceil(rowEnd / 4), Math.floor(rowStart / 4));
  }

  /**
   * The reference tile's correlation surfaces for the two folds in the tile (as `referencePair`), each decimated to
   * a coarse tile first (`decimateTile`): 64 x 64 surfaces, A in `surfaceRe` and B in `surfaceIm`, rows 128 floats
   * apart; read them with `coarseStats`.
   */
  coarsePair(): void {
    this.exports.decimate();
    this.exports.forward64();
    this.exports.pairSpectrum64(KEY64);
    this.exports.inverse64();
  }

  /** `surfaceStats` of coarse surface A (`part` 0) or B (1) after `coarsePair`. */
  coarseStats(part: 0 | 1): SurfaceStats {
    this.exports.stats(SPEC + part * PLANE_BYTES, COARSE_CELLS);
    const surface = part === 0 ? this.surfaceRe : this.surfaceIm;
    return statsFromSums(surface, this.statsF64[0], this.statsF64[1], this.statsF32[0], this.statsI32[0], COARSE_CELLS, CELLS);
  }

  /**
   * Copies `plane` ([height, width] f32) into the kernel's memory, for the following `fold` calls. Without a
   * `version`, a copy per call (about 50 us for a 480 x 270 plane, 0.2 ms for 960 x 540) keeps the caller free to
   * change its plane between calls; with one, the copy is skipped while the same plane comes back with the same
   * version (the caller promises it has not changed).
   */
  loadPlane(plane: Float32Array, width: number, height: number, version?: number): void {
    const loaded = this.loaded;
    if (version !== undefined && loaded && loaded.plane === plane && loaded.version === version && width === this.width && height === this.height) return;
    this.loaded = version === undefined ? null : { plane, version };
    if (width !== this.width || height !== this.height) {
      this.rowBinOffset = FRAME;
      this.colBinOffset = this.rowBinOffset + align16(height * 4);
      this.rowsOffset = this.colBinOffset + align16(width * 4);
      this.planeOffset = this.rowsOffset + CELLS * align16(width * 4);
      const end = this.planeOffset + align16(width * height * 4);
      if (ensureMemory(this.exports.memory, end)) {
        this.makeViews();
        this.rampSub = { x: NaN, y: NaN };
      }
      this.width = width;
      this.height = height;
    }
    new Float32Array(this.exports.memory.buffer, this.planeOffset, width * height).set(plane.subarray(0, width * height));
  }

  /**
   * Folds the loaded plane into the tile's real (`part` 0) or imaginary (`part` 1) plane, pixel (x, y) into cell
   * (colBin[x], rowBin[y]).
   */
  fold(part: 0 | 1, colBin: Int32Array, rowBin: Int32Array): void {
    const { buffer } = this.exports.memory;
    new Int32Array(buffer, this.colBinOffset, this.width).set(colBin.subarray(0, this.width));
    new Int32Array(buffer, this.rowBinOffset, this.height).set(rowBin.subarray(0, this.height));
    this.exports.fold(this.planeOffset, this.width, this.height, this.rowBinOffset, this.colBinOffset, this.rowsOffset, FOLD + part * PLANE_BYTES);
  }

  /**
   * The reference tile's correlation surfaces for the two real folds in the tile (A real, B imaginary) at once,
   * one forward and one inverse transform: surface A into `surfaceRe`, surface B into `surfaceIm`.
   */
  referencePair(): void {
    this.exports.forward();
    this.exports.pairSpectrum(KEYS);
    this.exports.inverse();
  }

  /**
   * Takes the spectrum of the real fold in the tile over its local level (local-spectrum.ts), kept for the
   * following `correlate` calls.
   */
  transform(): void {
    new Float32Array(this.exports.memory.buffer, FOLD + PLANE_BYTES, N2).fill(0);
    this.exports.forward();
    this.local.normalise(this.surfaceRe, this.surfaceIm, this.phaseRe, this.phaseIm);
  }

  /** Correlates the kept spectrum with key tile `tile`, a sub-cell shift (subX, subY) removed; into `surfaceRe`. */
  correlate(tile: number, subX: number, subY: number): void {
    if (subX !== this.rampSub.x || subY !== this.rampSub.y) {
      this.rampSub = { x: subX, y: subY };
      fillRamp(this.rampX, subX);
      fillRamp(this.rampY, subY);
    }
    this.exports.correlate(KEYS + tile * 2 * PLANE_BYTES);
    this.exports.inverse();
  }
}

const keysCache = new WeakMap<KeySpectra, Float32Array>();

/**
 * The key tiles as the kernel holds them: per tile, re then im, transposed to [fx][fy] and scaled by 1 / CELLS^2
 * (the inverse transform's normalisation). Cached per key: detectors come and go (one per trial in the benches).
 */
function kernelKeys(spectra: KeySpectra): Float32Array {
  let keys = keysCache.get(spectra);
  if (keys) return keys;
  keys = new Float32Array(spectra.re.length * 2 * N2);
  const scale = 1 / N2;
  for (let t = 0; t < spectra.re.length; t++) {
    const re = keys.subarray(2 * t * N2, (2 * t + 1) * N2);
    const im = keys.subarray((2 * t + 1) * N2, (2 * t + 2) * N2);
    const sr = spectra.re[t];
    const si = spectra.im[t];
    for (let fy = 0; fy < CELLS; fy++) {
      for (let fx = 0; fx < CELLS; fx++) {
        re[fx * CELLS + fy] = sr[fy * CELLS + fx] * scale;
        im[fx * CELLS + fy] = si[fy * CELLS + fx] * scale;
      }
    }
  }
  keysCache.set(spectra, keys);
  return keys;
}

/** exp(2 pi i s sub / CELLS) for every frequency index (s its signed frequency): re [CELLS], then im [CELLS]. */
function fillRamp(ramp: Float32Array, sub: number): void {
  for (let f = 0; f < CELLS; f++) {
    const s = f < CELLS / 2 ? f : f - CELLS;
    const angle = (2 * Math.PI * s * sub) / CELLS;
    ramp[f] = Math.cos(angle);
    ramp[CELLS + f] = Math.sin(angle);
  }
}
