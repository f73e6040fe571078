/**
 * Keyed watermark patterns.
 *
 * Every pattern is a periodic tile of CELLS x CELLS cells with a flat-magnitude, random-phase spectrum restricted to
 * a mid-frequency band (between BAND_LOW and BAND_HIGH of the cell Nyquist frequency). Flat-magnitude spectra make
 * the detector's correlation a sharp, white-noise-like peak; the band keeps the mark away from the DC and
 * low frequencies that brightness, contrast and content dominate, and away from the fine detail that downscaling
 * and compression remove.
 *
 * One reference tile gives synchronisation (scale and translation); PAYLOAD_TILES payload tiles, each cyclically
 * shifted by a 14-bit symbol, carry the coded ID.
 */
import { keyStream, type WatermarkKey } from './key.js';

/** Cells per tile side: a cyclic shift within the tile carries log2(CELLS^2) = 14 bits. */
export const CELLS = 128;
/** log2(CELLS): bits per shift axis. */
export const AXIS_BITS = 7;
/** Payload tiles carried beside the reference tile. */
export const PAYLOAD_TILES = 5;
/**
 * Pass band, as fractions of the cell Nyquist frequency (radial). The top was 0.5 until the bench's small leaks showed
 * that a 640x360 CRF 35 re-encode keeps several times more of the mark per coefficient below 0.3 than above 0.4: at
 * the same RMS (the same PSNR), a lower top puts the mark's power where it survives. Measured on the full 640x360
 * and 480p-chain rows (docs/WATERMARK.md, "The mark"): 0.35, 0.3 and 0.25 gained as much or more at CRF 35 but
 * broadened the correlation peak enough to blur the geometry (offsets off by more than a cell) and to lose marginal
 * synthetic leaks that 0.4 and 0.5 read.
 */
export const BAND_LOW = 0.05;
export const BAND_HIGH = 0.4;
/**
 * Amplitude share of the reference tile and of each payload tile; REF_WEIGHT^2 + PAYLOAD_TILES * PAYLOAD_WEIGHT^2 = 1.
 * The reference only has to synchronise; a blind decode needs the five payload tiles' sum, whose score goes as the
 * payload's share of the power. 0.45 (20% of the power, was 0.55 and 30%) gives each payload tile 7% more amplitude
 * and the reference 18% less. Over five bench keys, the 2 s leaks nearest the line (the 480p chain and 640x360
 * CRF 28) were identified blind 47 times of 50 against 39 at 0.55, 44 at 0.5 and 41 at 0.4, where the reference
 * began to lose synchronisation (docs/WATERMARK.md, "The mark"). The detector reads copies made with any share.
 */
export const REF_WEIGHT = 0.45;
export const PAYLOAD_WEIGHT = Math.sqrt((1 - REF_WEIGHT * REF_WEIGHT) / PAYLOAD_TILES);
/**
 * Tile period in master pixels per master pixel of picture height: 768 px at 1080p (cells of 6 px), 512 px at 720p,
 * 1536 px at 2160p. Small leaks decide it: a 480p or 360p re-encode keeps only the mark's lower frequencies, and
 * larger cells put more of the mark there (against 512 px: the true ID's payload evidence after 480p CRF 28 rose
 * from 19-24 to 35-37, 1080p CRF 35 unchanged; measurements in docs/WATERMARK.md, "Size"). Much larger, and a 10%
 * crop kept at its size (0.8 of the height) would hold barely one period to fold; 1024 px was measured (more of
 * 640x360 CRF 35, less of a 9:16 crop and of lightly attacked copies: docs/WATERMARK.md, "Not reached").
 */
export const TILE_PERIOD_PER_HEIGHT = 768 / 1080;

/** Spectra of the key's tiles, in FFT order (index fy * CELLS + fx), unit magnitude inside the band, 0 outside. */
export interface KeySpectra {
  /** [PAYLOAD_TILES + 1][CELLS * CELLS] real parts; tile 0 is the reference. */
  readonly re: Float64Array[];
  readonly im: Float64Array[];
  /** [CELLS * CELLS] 1 inside the band, 0 outside. */
  readonly band: Uint8Array;
  /** Number of in-band coefficients. */
  readonly bandCount: number;
}

/** Signed frequency of FFT index k for size n: 0..n/2-1, then -n/2..-1. */
export function signedFrequency(k: number, n: number): number {
  return k < n / 2 ? k : k - n;
}

/** The largest |signed frequency|, along either axis, of an in-band coefficient of `band` ([CELLS^2]). */
export function bandReach(band: Uint8Array): number {
  let reach = 0;
  for (let i = 0; i < CELLS * CELLS; i++) {
    if (!band[i]) continue;
    const fx = i % CELLS;
    reach = Math.max(reach, Math.abs(signedFrequency(fx, CELLS)), Math.abs(signedFrequency((i - fx) / CELLS, CELLS)));
  }
  return reach;
}

let bandCache: { band: Uint8Array; count: number } | undefined;

/** The in-band mask over the CELLS x CELLS spectrum (Nyquist row and column excluded). */
export function bandMask(): { band: Uint8Array; count: number } {
  if (bandCache) return bandCache;
  const band = new Uint8Array(CELLS * CELLS);
  let count = 0;
  const half = CELLS / 2;
  for (let fy = 0; fy < CELLS; fy++) {
    for (let fx = 0; fx < CELLS; fx++) {
      const sx = signedFrequency(fx, CELLS);
      const sy = signedFrequency(fy, CELLS);
      if (sx === -half || sy === -half) continue;
      const rho = Math.hypot(sx, sy) / half;
      if (rho >= BAND_LOW && rho <= BAND_HIGH) {
        band[fy * CELLS + fx] = 1;
        count++;
      }
    }
  }
  bandCache = { band, count };
  return bandCache;
}

const spectraCache = new WeakMap<WatermarkKey, KeySpectra>();

/**
 * The key's tile spectra. Phases come from AES-CTR keyed by HMAC(secret, label): without the key they can be
 * neither predicted nor recognised, and different keys give independent patterns.
 */
export function keySpectra(key: WatermarkKey): KeySpectra {
  const cached = spectraCache.get(key);
  if (cached) return cached;
  const { band, count } = bandMask();
  const tiles = PAYLOAD_TILES + 1;
  const re: Float64Array[] = [];
  const im: Float64Array[] = [];
  for (let t = 0; t < tiles; t++) {
    const bytes = keyStream(key, `tile/${t}`, CELLS * CELLS * 4);
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, CELLS * CELLS);
    const tr = new Float64Array(CELLS * CELLS);
    const ti = new Float64Array(CELLS * CELLS);
    for (let fy = 0; fy < CELLS; fy++) {
      for (let fx = 0; fx < CELLS; fx++) {
        const i = fy * CELLS + fx;
        if (!band[i]) continue;
        // Hermitian symmetry: the coefficient at -f is the conjugate of the one at f, so the tile is real.
        const mirror = ((CELLS - fy) % CELLS) * CELLS + ((CELLS - fx) % CELLS);
        if (mirror < i) {
          tr[i] = tr[mirror];
          ti[i] = -ti[mirror];
          continue;
        }
        const phase = (words[i] / 4294967296) * 2 * Math.PI;
        tr[i] = Math.cos(phase);
        ti[i] = Math.sin(phase);
      }
    }
    re.push(tr);
    im.push(ti);
  }
  const spectra = { re, im, band, bandCount: count };
  spectraCache.set(key, spectra);
  return spectra;
}

/** A shift of a payload tile, in cells. */
export interface Shift {
  readonly dx: number;
  readonly dy: number;
}

/**
 * The embedded tile's spectrum: REF_WEIGHT * reference + PAYLOAD_WEIGHT * each payload tile cyclically shifted by
 * its symbol, scaled so that the tile sampled at cell centres has unit RMS. `refWeight` is for tests that make the
 * copies of builds with another reference share (0.55 before 2026-11-23); the payload tiles share the rest.
 */
export function markSpectrum(spectra: KeySpectra, shifts: readonly Shift[], refWeight = REF_WEIGHT): { re: Float64Array; im: Float64Array } {
  if (shifts.length !== PAYLOAD_TILES) throw new RangeError(`Expected ${PAYLOAD_TILES} shifts, received ${shifts.length}`);
  if (!(refWeight > 0 && refWeight < 1)) throw new RangeError(`Expected a reference share in (0, 1), received ${refWeight}`);
  const payloadWeight = Math.sqrt((1 - refWeight * refWeight) / PAYLOAD_TILES); // PAYLOAD_WEIGHT at REF_WEIGHT
  const n = CELLS * CELLS;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  // A unit-magnitude spectrum over `count` coefficients has spatial RMS sqrt(count) / n after the inverse DFT.
  const norm = n / Math.sqrt(spectra.bandCount);
  for (let i = 0; i < n; i++) {
    if (!spectra.band[i]) continue;
    re[i] = refWeight * spectra.re[0][i];
    im[i] = refWeight * spectra.im[0][i];
  }
  for (let t = 0; t < PAYLOAD_TILES; t++) {
    const { dx, dy } = shifts[t];
    const tr = spectra.re[t + 1];
    const ti = spectra.im[t + 1];
    for (let fy = 0; fy < CELLS; fy++) {
      for (let fx = 0; fx < CELLS; fx++) {
        const i = fy * CELLS + fx;
        if (!spectra.band[i]) continue;
        // Shift theorem: t(x - d) has spectrum T(f) * exp(-2 pi i f.d / CELLS).
        const angle = (-2 * Math.PI * (fx * dx + fy * dy)) / CELLS;
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        re[i] += payloadWeight * (tr[i] * c - ti[i] * s);
        im[i] += payloadWeight * (tr[i] * s + ti[i] * c);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    re[i] *= norm / n;
    im[i] *= norm / n;
  }
  return { re, im };
}

/**
 * Evaluates a band-limited periodic tile, given by its CELLS x CELLS spectrum (already scaled for the inverse DFT),
 * on a `period` x `period` pixel grid: exact periodic interpolation (spectral zero padding done as a direct
 * separable DFT, so any period works, not only multiples of CELLS). Returns [period, period] f32, row-major.
 */
export function renderTile(spectrum: { re: Float64Array; im: Float64Array }, period: number): Float32Array {
  const half = CELLS / 2;
  // Rows and columns of the spectrum that hold any in-band coefficient.
  const reach = Math.ceil(BAND_HIGH * half);
  const cosTable = new Float64Array(period);
  const sinTable = new Float64Array(period);
  for (let k = 0; k < period; k++) {
    cosTable[k] = Math.cos((2 * Math.PI * k) / period);
    sinTable[k] = Math.sin((2 * Math.PI * k) / period);
  }
  // The tile is real, so its spectrum is Hermitian (S[-f] = conj S[f]) and so is each column sum below:
  // partial[-fx][y] = conj partial[fx][y]. Only fx >= 0 is computed; the negative half doubles the real part.
  // Stage 1, along y: partial[fx][y] = sum_fy S[fy, fx] e^{2 pi i fy y / period}, fx = 0..reach
  const nx = reach + 1;
  const partRe = new Float64Array(nx * period);
  const partIm = new Float64Array(nx * period);
  for (let fx = 0; fx < nx; fx++) {
    for (let fySigned = -reach; fySigned <= reach; fySigned++) {
      const fy = (fySigned + CELLS) % CELLS;
      const sr = spectrum.re[fy * CELLS + fx];
      const si = spectrum.im[fy * CELLS + fx];
      if (sr === 0 && si === 0) continue;
      const base = fx * period;
      const stepK = ((fySigned % period) + period) % period;
      let k = 0;
      for (let y = 0; y < period; y++) {
        const c = cosTable[k];
        const s = sinTable[k];
        partRe[base + y] += sr * c - si * s;
        partIm[base + y] += sr * s + si * c;
        k += stepK;
        if (k >= period) k -= period;
      }
    }
  }
  // Stage 2, along x: tile[y][x] = partial[0][y] + 2 Re sum_{fx > 0} partial[fx][y] e^{2 pi i fx x / period}
  const tile = new Float32Array(period * period);
  const row = new Float64Array(period);
  for (let y = 0; y < period; y++) {
    row.fill(0);
    for (let fx = 1; fx < nx; fx++) {
      const pr = 2 * partRe[fx * period + y];
      const pi = 2 * partIm[fx * period + y];
      if (pr === 0 && pi === 0) continue;
      const stepK = fx % period;
      let k = 0;
      for (let x = 0; x < period; x++) {
        row[x] += pr * cosTable[k] - pi * sinTable[k];
        k += stepK;
        if (k >= period) k -= period;
      }
    }
    const dc = partRe[y];
    for (let x = 0; x < period; x++) tile[y * period + x] = row[x] + dc;
  }
  return tile;
}

/** The tile period in pixels for a master of the given picture height. */
export function tilePeriodFor(height: number): number {
  return Math.max(CELLS, Math.round(height * TILE_PERIOD_PER_HEIGHT));
}
