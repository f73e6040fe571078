import { describe, expect, test } from 'vitest';
import { KeyError, UsageError } from '../../packages/core/src/errors.js';
import { fft2d } from '../../packages/core/src/watermark/fft.js';
import { createKey, keyFromSecret, MAX_ID, parseId } from '../../packages/core/src/watermark/index.js';
import { keyStream } from '../../packages/core/src/watermark/key.js';
import { BlockMask, NEAR_BLACK_SHARE } from '../../packages/core/src/watermark/mask.js';
import { decodeShifts, encodeId } from '../../packages/core/src/watermark/payload.js';
import { bandMask, CELLS, keySpectra, markSpectrum, PAYLOAD_TILES, renderTile, TILE_PERIOD_PER_HEIGHT } from '../../packages/core/src/watermark/pattern.js';
import { erasureDecode, explainAwayDecoded, readRecalled, spillVariant, topPeaks, type DecodedEntry } from '../../packages/core/src/watermark/free-decoding.js';
import { nearSymbol } from '../../packages/core/src/watermark/symbols.js';
import { log10Bonferroni, logNormalTail } from '../../packages/core/src/watermark/statistics.js';
import { AccusationRecord, recount, type Accusation } from '../../packages/core/src/watermark/accusations.js';
import { Whitener, whitenRadius } from '../../packages/core/src/watermark/whiten.js';
import { jointPeak, JointPeaks } from '../../packages/core/src/watermark/joint-peak.js';
import { PAYLOAD_WEIGHT, REF_WEIGHT } from '../../packages/core/src/watermark/pattern.js';
import { gaussian, prng } from './synthetic.js';

const keyA = keyFromSecret(new Uint8Array(32).fill(1));
const keyB = keyFromSecret(new Uint8Array(32).fill(2));

describe('key', () => {
  test('a key id is a stable public fingerprint that differs between keys', () => {
    expect(keyA.id).toMatch(/^[0-9a-f]{16}$/);
    expect(keyFromSecret(new Uint8Array(32).fill(1)).id).toBe(keyA.id);
    expect(keyB.id).not.toBe(keyA.id);
    const fresh = createKey();
    expect(fresh.secret).toHaveLength(32);
    expect(createKey().id).not.toBe(fresh.id);
  });

  test('secrets of the wrong length are refused', () => {
    expect(() => keyFromSecret(new Uint8Array(31))).toThrow(KeyError);
    expect(() => keyFromSecret(new Uint8Array(31))).toThrow(/32-byte key secret but received 31 bytes/);
  });

  test('key streams are deterministic, label-separated and key-separated', () => {
    const a1 = keyStream(keyA, 'x', 64);
    expect(keyStream(keyA, 'x', 64).equals(a1)).toBe(true);
    expect(keyStream(keyA, 'y', 64).equals(a1)).toBe(false);
    expect(keyStream(keyB, 'x', 64).equals(a1)).toBe(false);
  });
});

describe('patterns', () => {
  test('tile spectra are keyed and deterministic; different keys are uncorrelated', () => {
    const a = keySpectra(keyA);
    const again = keySpectra(keyFromSecret(new Uint8Array(32).fill(1)));
    expect(Array.from(again.re[0].slice(0, 500))).toEqual(Array.from(a.re[0].slice(0, 500)));
    const b = keySpectra(keyB);
    // Normalised correlation of the reference spectra: about 1/sqrt(bandCount) for independent phases.
    let dot = 0;
    for (let i = 0; i < CELLS * CELLS; i++) dot += a.re[0][i] * b.re[0][i] + a.im[0][i] * b.im[0][i];
    expect(Math.abs(dot / a.bandCount)).toBeLessThan(5 / Math.sqrt(a.bandCount));
    // The tiles of one key are also mutually uncorrelated.
    let self = 0;
    for (let i = 0; i < CELLS * CELLS; i++) self += a.re[0][i] * a.re[1][i] + a.im[0][i] * a.im[1][i];
    expect(Math.abs(self / a.bandCount)).toBeLessThan(5 / Math.sqrt(a.bandCount));
  });

  test('a rendered tile equals the direct inverse DFT of its spectrum at any period', () => {
    const spectrum = markSpectrum(keySpectra(keyA), encodeId(keyA, 7n));
    const period = 203; // not a multiple of CELLS
    const tile = renderTile(spectrum, period);
    for (const [x, y] of [[0, 0], [1, 0], [0, 1], [57, 130], [202, 202], [100, 3], [11, 199]]) {
      let direct = 0;
      for (let fy = 0; fy < CELLS; fy++) {
        for (let fx = 0; fx < CELLS; fx++) {
          const i = fy * CELLS + fx;
          if (spectrum.re[i] === 0 && spectrum.im[i] === 0) continue;
          const sx = fx < CELLS / 2 ? fx : fx - CELLS;
          const sy = fy < CELLS / 2 ? fy : fy - CELLS;
          const angle = (2 * Math.PI * (sx * x + sy * y)) / period;
          direct += spectrum.re[i] * Math.cos(angle) - spectrum.im[i] * Math.sin(angle);
        }
      }
      expect(tile[y * period + x]).toBeCloseTo(direct, 5);
    }
  });

  test('a rendered tile is real, periodic, unit RMS and band-limited', () => {
    const spectrum = markSpectrum(keySpectra(keyA), encodeId(keyA, 42n));
    const period = 256;
    const tile = renderTile(spectrum, period);
    let sum = 0;
    let sum2 = 0;
    for (const v of tile) {
      sum += v;
      sum2 += v * v;
    }
    expect(Math.abs(sum / tile.length)).toBeLessThan(1e-6);
    expect(Math.sqrt(sum2 / tile.length)).toBeCloseTo(1, 1);
    // Sampled at cell centres (period 128 = one pixel per cell) the tile's spectrum lies inside the band.
    const cells = renderTile(spectrum, CELLS);
    const re = Float64Array.from(cells);
    const im = new Float64Array(CELLS * CELLS);
    fft2d(re, im, CELLS);
    const { band } = bandMask();
    let inside = 0;
    let outside = 0;
    for (let i = 0; i < CELLS * CELLS; i++) {
      const p = re[i] * re[i] + im[i] * im[i];
      if (band[i]) inside += p;
      else outside += p;
    }
    expect(outside / inside).toBeLessThan(1e-9);
  });
});

describe('payload', () => {
  test('IDs round-trip through the shift symbols, across the whole range', () => {
    const random = prng(7);
    const ids = [0n, 1n, 2n, MAX_ID, MAX_ID - 1n];
    for (let i = 0; i < 50; i++) ids.push(BigInt(Math.floor(random() * 2 ** 24)) * BigInt(Math.floor(random() * 2 ** 24)));
    for (const id of ids) {
      const shifts = encodeId(keyA, id);
      expect(shifts).toHaveLength(PAYLOAD_TILES);
      expect(decodeShifts(keyA, shifts)).toBe(id);
    }
  });

  test('neighbouring IDs share no symbols, and the key changes every symbol', () => {
    const a = encodeId(keyA, 1000n);
    const b = encodeId(keyA, 1001n);
    const c = encodeId(keyB, 1000n);
    for (let t = 0; t < PAYLOAD_TILES; t++) {
      expect(a[t]).not.toEqual(b[t]);
      expect(a[t]).not.toEqual(c[t]);
    }
  });

  test('random symbols (noise) never decode to a valid ID; another key does not decode', () => {
    const random = prng(11);
    let valid = 0;
    for (let trial = 0; trial < 20000; trial++) {
      const shifts = Array.from({ length: PAYLOAD_TILES }, () => ({ dx: Math.floor(random() * CELLS), dy: Math.floor(random() * CELLS) }));
      if (decodeShifts(keyA, shifts) !== null) valid++;
    }
    // 22 check bits: 20,000 tries expect 0.005 false decodes.
    expect(valid).toBe(0);
    expect(decodeShifts(keyB, encodeId(keyA, 123n))).toBeNull();
  });

  test('parseId accepts 0..2^48-1 and says what it received otherwise', () => {
    expect(parseId('281474976710655')).toBe(MAX_ID);
    expect(parseId(7)).toBe(7n);
    expect(() => parseId('281474976710656')).toThrow(UsageError);
    expect(() => parseId('-1')).toThrow(/Expected an ID: an integer from 0 to 281474976710655 \(48 bits\) but received "-1"/);
    expect(() => parseId('12abc')).toThrow(UsageError);
    expect(() => parseId(1.5)).toThrow(UsageError);
  });
});

describe('perceptual mask', () => {
  function plane(fill: (x: number, y: number) => number, w = 256, h = 256): Uint8Array {
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = Math.max(0, Math.min(255, Math.round(fill(x, y))));
    return data;
  }

  test('is low on flat areas and gradients, high on texture, and lower near black', () => {
    const random = prng(3);
    const mask = new BlockMask(256, 256);
    const mean = () => mask.values.reduce((a, b) => a + b, 0) / mask.values.length;
    mask.compute(plane(() => 120), 256, 8);
    const flat = mean();
    mask.compute(plane((x) => 30 + x * 0.7), 256, 8);
    const gradient = mean();
    mask.compute(plane(() => 120 + (random() - 0.5) * 60), 256, 8);
    const texture = mean();
    expect(flat).toBeLessThan(0.25);
    expect(gradient).toBeLessThan(0.25);
    expect(texture).toBeGreaterThan(1.5);
    // The same texture (same activity) around luma 120 and around luma 24, a sixth of the way from black (16) to
    // where the reduction ends (64): the mask there is NEAR_BLACK_SHARE + (1 - NEAR_BLACK_SHARE) / 6 of it.
    const pattern = Array.from({ length: 256 * 256 }, () => (random() - 0.5) * 36);
    mask.compute(plane((x, y) => 120 + pattern[y * 256 + x]), 256, 8);
    const mid = mean();
    mask.compute(plane((x, y) => 24 + pattern[y * 256 + x]), 256, 8);
    const dark = mean();
    expect(dark / mid).toBeCloseTo(NEAR_BLACK_SHARE + (1 - NEAR_BLACK_SHARE) / 6, 2);
  });

  test('gives a 10-bit plane the same mask as the same picture in 8 bits', () => {
    const random = prng(5);
    const eight = plane(() => 100 + (random() - 0.5) * 40);
    const ten = Uint16Array.from(eight, (v) => v * 4);
    const a = new BlockMask(256, 256);
    const b = new BlockMask(256, 256);
    a.compute(eight, 256, 8);
    b.compute(ten, 256, 10);
    for (let i = 0; i < a.values.length; i++) expect(b.values[i]).toBeCloseTo(a.values[i], 5);
  });
});

describe('free decoding', () => {
  const entry = (symbols: number[], z: number[]): DecodedEntry => ({ sum: z.reduce((a, b) => a + b, 0), tiles: Float64Array.from(z), symbols });
  const trials = 3 * 2 ** 48; // one look, three syncs, every ID
  const threshold = -9;

  test('a codeword sharing four tiles with the leaked ID is not accused on borrowed evidence', () => {
    const found = new Map<bigint, DecodedEntry>([
      [1n, entry([1, 2, 3, 4, 5], [6, 6, 6, 6, 6])],
      // The neighbour: the leaked ID's first four symbols and a noise peak as its fifth.
      [2n, entry([1, 2, 3, 4, 99], [6, 6, 6, 6, 4])],
    ]);
    const verdicts = explainAwayDecoded(found, [], threshold, trials);
    // On their whole scores both would pass: the neighbour's 28 / sqrt 5 = 12.5 is far past the threshold.
    expect(verdicts.map((v) => v.log10p < threshold)).toEqual([false, false]);
    expect(verdicts.find((v) => v.id === 2n)!.score).toBeCloseTo(4, 6);
  });

  test("a codeword made of the leaked ID's peaks one cell off (their spill) is not accused", () => {
    // Four tiles on cells beside the leaked ID's peaks (x + 1; y - 1; x - 1, y + 1; y + 1), one on its own.
    const spillSymbols = [1001, 2000 - 128, 3000 + 127, 4000 + 128, 9000];
    const leaked = entry([1000, 2000, 3000, 4000, 5000], [9, 9, 9, 9, 9]);
    // Weak spill (not significant on its whole score): the leaked ID keeps its tiles, the spill codeword only its own.
    let verdicts = explainAwayDecoded(new Map([[1n, leaked], [2n, entry(spillSymbols, [3, 3, 3, 3, 9])]]), [], threshold, trials);
    expect(verdicts.map((v) => [v.id, v.log10p < threshold])).toEqual([[1n, true], [2n, false]]);
    expect(verdicts[1].score).toBeCloseTo(9, 6);
    // Strong spill (significant on its whole score too): each holds the other's tiles, neither is accused (a miss,
    // never a false accusation; the list decoder leaves such variants undecoded when far below the leaked ID).
    verdicts = explainAwayDecoded(new Map([[1n, leaked], [2n, entry(spillSymbols, [8, 8, 8, 8, 9])]]), [], threshold, trials);
    expect(verdicts.every((v) => v.log10p >= threshold)).toBe(true);
  });

  test('two colluders keep their whole scores; a tile held by an accused candidate is left out', () => {
    const found = new Map<bigint, DecodedEntry>([
      [10n, entry([10, 11, 12, 13, 14], [6, 6, 6, 6, 6])],
      [20n, entry([20, 21, 22, 23, 24], [6, 6, 6, 6, 5.5])],
    ]);
    const verdicts = explainAwayDecoded(found, [{ id: 30n, symbols: [0, 0, 0, 0, 24] }], threshold, trials);
    expect(verdicts.map((v) => v.id)).toEqual([10n, 20n]);
    expect(verdicts[0].score).toBeCloseTo(30 / Math.sqrt(5), 3);
    expect(verdicts[1].score).toBeCloseTo(24 / 2, 3);
    expect(verdicts.every((v) => v.log10p < threshold)).toBe(true);
  });
});

describe('payload offsets', () => {
  const entry = (symbols: number[], z: number[], trialsFactor?: number): DecodedEntry => ({ sum: z.reduce((a, b) => a + b, 0), tiles: Float64Array.from(z), symbols, trialsFactor });
  const trials = 3 * 2 ** 48;

  test('an ID read at another payload offset is counted with that offset\'s larger trials', () => {
    const z = [5, 5, 5, 4, 4];
    const [usual] = explainAwayDecoded(new Map([[1n, entry([1, 2, 3, 4, 5], z)]]), [], -9, trials);
    const [offset] = explainAwayDecoded(new Map([[1n, entry([1, 2, 3, 4, 5], z, 24)]]), [], -9, trials);
    expect(usual.score).toBe(offset.score);
    expect(offset.log10p).toBeCloseTo(log10Bonferroni(23 / Math.sqrt(5), 24 * trials), 9);
    expect(offset.log10p - usual.log10p).toBeCloseTo(Math.log10(24), 9);
    // Here the difference decides: p 1e-9.5 at the reference's offset, 1e-8.1 at another.
    expect(usual.log10p).toBeLessThan(-9);
    expect(offset.log10p).toBeGreaterThan(-9);
  });

  test("an ID significant only at another offset's trials does not explain away a tile", () => {
    // Read at the reference's offset, ID 1 is significant on its whole score and takes the tile it shares with ID 2;
    // read at another offset (factor 24) it is not, and ID 2 keeps it.
    const other = entry([1, 20, 30, 40, 50], [5, 6, 6, 6, 6]);
    const scoreOf2 = (factor?: number) =>
      explainAwayDecoded(new Map([[1n, entry([1, 2, 3, 4, 5], [5, 5, 5, 4, 4], factor)], [2n, other]]), [], -9, trials).find((v) => v.id === 2n)!.score;
    expect(scoreOf2()).toBeCloseTo(24 / 2, 3);
    expect(scoreOf2(24)).toBeCloseTo(29 / Math.sqrt(5), 3);
  });

  test("an accusation made at another payload offset is counted again with the offsets' trials", () => {
    const sync = { scale: 1, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0, periodX: 768, periodY: 768, mirrored: false, z: 9, falseAlarmProbability: 1e-12 };
    // Made at the first final look, where the offsets' trials were 24 times the usual ones.
    const a: Accusation = { id: 7n, method: 'decoded', score: 11.5, atScore: 11.5, jointScore: -Infinity, symbols: [1, 2, 3, 4, 5], trialsFactor: 24, sync, log10Sync: -12, hypothesisLooks: 1, look: 3, atFrames: 48 };
    // The offsets' trials grow with the final looks (a second one: the mirror image, or a part read after), the
    // usual ones with every look.
    const at = (looks: number, finalLooks: number) => ({ decoded: looks * trials, offset: finalLooks * 3 * 24 * trials, atSync: looks * 200, joint: looks * 10 * 128 * 128 * 20, part: 1 });
    expect(recount(a, at(3, 1))).toBeCloseTo(log10Bonferroni(11.5, 3 * 24 * trials), 9);
    expect(recount(a, at(4, 2))).toBeCloseTo(log10Bonferroni(11.5, 2 * 3 * 24 * trials), 9);
    expect(recount({ ...a, trialsFactor: undefined }, at(4, 2))).toBeCloseTo(log10Bonferroni(11.5, 4 * trials), 9);
  });
});

describe('topPeaks', () => {
  // The full scan topPeaks made before its block-maxima first pass: the reference it must match, ties included.
  function fullScan(surface: Float64Array, count: number): Array<{ index: number; z: number }> {
    const keep = count * 9;
    const values = new Float64Array(keep).fill(-Infinity);
    const indices = new Int32Array(keep).fill(-1);
    for (let i = 0; i < surface.length; i++) {
      const v = surface[i];
      if (!(v > values[keep - 1])) continue;
      let j = keep - 1;
      while (j > 0 && values[j - 1] < v) {
        values[j] = values[j - 1];
        indices[j] = indices[j - 1];
        j--;
      }
      values[j] = v;
      indices[j] = i;
    }
    const found: Array<{ index: number; z: number }> = [];
    for (let k = 0; k < keep && found.length < count; k++) {
      if (indices[k] < 0) break;
      if (!found.some((f) => nearSymbol(f.index, indices[k]))) found.push({ index: indices[k], z: values[k] });
    }
    return found;
  }

  test('picks the same peaks as a full scan: noise, smooth surfaces, ties and a lone peak', () => {
    const random = prng(11);
    const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    const surfaces: Float64Array[] = [];
    for (let k = 0; k < 6; k++) surfaces.push(Float64Array.from({ length: CELLS * CELLS }, gauss));
    // Smooth (neighbouring cells alike, as after a downscale), coarsely quantised (many ties), and flat but one peak.
    const smooth = Float64Array.from({ length: CELLS * CELLS }, (_, i) => Math.sin((i % CELLS) / 5) + Math.cos(Math.floor(i / CELLS) / 7) + 0.1 * gauss());
    surfaces.push(smooth, smooth.map((v) => Math.round(v * 4) / 4), new Float64Array(CELLS * CELLS).fill(0.5).fill(3, 9000, 9001));
    for (const surface of surfaces) {
      for (const count of [1, 2, 4]) {
        const got = topPeaks(surface, 7, 3, count);
        const want = fullScan(surface, count);
        expect(got.map((p) => p.z)).toEqual(want.map((p) => p.z));
        expect(got.map((p) => p.shift)).toEqual(want.map((p) => ({ dx: ((p.index % CELLS) - 7 + CELLS) % CELLS, dy: ((p.index >> 7) - 3 + CELLS) % CELLS })));
      }
    }
  });
});

describe('list decoding', () => {
  const sym = (dx: number, dy: number) => ((dy + CELLS) % CELLS) * CELLS + ((dx + CELLS) % CELLS);
  const leaked = [sym(5, 9), sym(0, 0), sym(127, 64), sym(40, 127), sym(100, 3)];
  const shifts = (moves: Array<[number, number]>) =>
    leaked.map((s, t) => ({ dx: ((s % CELLS) + moves[t][0] + CELLS) % CELLS, dy: ((s >> 7) + moves[t][1] + CELLS) % CELLS }));

  test("a combination of the leaked ID's peaks and their neighbour cells is a spill variant (not decoded)", () => {
    // One cell off on both axes, across the tile's edges (cell 127 is beside cell 0).
    expect(spillVariant(shifts([[1, 1], [-1, -1], [1, 0], [0, 1], [-1, 1]]), leaked)).toBe(true);
    expect(spillVariant(shifts([[0, 0], [0, 0], [0, 0], [0, 0], [1, 0]]), leaked)).toBe(true);
  });

  test('neighbour cells are near across the tile edges, two cells are not', () => {
    expect(nearSymbol(sym(0, 0), sym(127, 127))).toBe(true);
    expect(nearSymbol(sym(5, 9), sym(6, 8))).toBe(true);
    expect(nearSymbol(sym(5, 9), sym(7, 9))).toBe(false);
    expect(nearSymbol(sym(5, 9), sym(5, 11))).toBe(false);
  });

  test('the ID itself, and any combination with a tile of its own, are decoded', () => {
    expect(spillVariant(shifts([[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]]), leaked)).toBe(false);
    // Two cells off in one tile: a peak of its own there (a neighbour codeword, a second colluder).
    expect(spillVariant(shifts([[1, 1], [0, 0], [0, 0], [0, 0], [2, 0]]), leaked)).toBe(false);
    expect(spillVariant(shifts([[0, 0], [0, -2], [0, 0], [0, 0], [0, 0]]), leaked)).toBe(false);
    expect(spillVariant(shifts([[0, 0], [0, 0], [0, 0], [0, 0], [64, 64]]), leaked)).toBe(false);
  });
});

describe('erasure decoding', () => {
  // Standardised surfaces of a marginal leak: noise, the reference peak at (rx, ry), the ID's five payload peaks at
  // z 5.8, 3.0, 4.6, 5.5, 5.8 (the 360p credits leak's), and in the second tile four stronger noise peaks, so that
  // its true peak is not among the four best that the list decoder tries.
  const key = keyFromSecret(new Uint8Array(32).fill(5));
  const id = 123456789n;
  const [rx, ry] = [40, 100];
  const surfacesWith = (values: number[], seed: number) => {
    const random = prng(seed);
    const gauss = () => gaussian(random);
    const surfaces = Array.from({ length: PAYLOAD_TILES + 1 }, () => Float64Array.from({ length: CELLS * CELLS }, () => 0.8 * gauss()));
    surfaces[0][ry * CELLS + rx] = 7.5;
    encodeId(key, id).forEach((shift, t) => {
      surfaces[t + 1][((ry + shift.dy) & (CELLS - 1)) * CELLS + ((rx + shift.dx) & (CELLS - 1))] = values[t];
    });
    for (let k = 0; k < 4; k++) surfaces[2][(20 + 9 * k) * CELLS + 3 + 17 * k] = 3.5 + 0.2 * k;
    return surfaces;
  };
  const decode = (shifts: readonly { dx: number; dy: number }[]) => decodeShifts(key, shifts);
  const erase = (surfaces: Float64Array[], neededSum: number, found: Map<bigint, DecodedEntry>) => {
    const best = surfaces.slice(1).map((surface) => topPeaks(surface, rx, ry, 1)[0]);
    erasureDecode(surfaces, best, rx, ry, neededSum, decode, found);
  };

  test('finds the ID whose fifth tile is real but outranked, with its five-tile sum', () => {
    const found = new Map<bigint, DecodedEntry>();
    erase(surfacesWith([5.8, 3.0, 4.6, 5.5, 5.8], 1), 23, found);
    expect([...found.keys()]).toEqual([id]);
    expect(found.get(id)!.sum).toBeCloseTo(24.7, 6);
    expect(Array.from(found.get(id)!.tiles)).toEqual([5.8, 3.0, 4.6, 5.5, 5.8]);
    expect(found.get(id)!.symbols).toEqual(encodeId(key, id).map((s) => s.dy * CELLS + s.dx));
  });

  test('leaves a fifth tile below 2.5, and sums that cannot reach the threshold, undecoded', () => {
    const weak = new Map<bigint, DecodedEntry>();
    erase(surfacesWith([5.8, 2.2, 4.6, 5.5, 5.8], 2), 23, weak);
    expect(weak.size).toBe(0);
    const short = new Map<bigint, DecodedEntry>();
    erase(surfacesWith([5.8, 3.0, 4.6, 5.5, 5.8], 3), 26, short);
    expect(short.size).toBe(0);
  });
});

describe('recalled IDs', () => {
  // An ID decoded at an earlier look is read again at the same positions of a later look's surfaces: its tiles at
  // z 4.7, 5.4, 6.3, 3.3, 4.3 (sum 24.0; the 360p credits leak at its final look, where the list decoder met no
  // valid codeword: the fourth tile's peak was 13th of its surface, the fifth tile's second).
  const key = keyFromSecret(new Uint8Array(32).fill(6));
  const id = 987654321n;
  const shifts = encodeId(key, id);
  const symbols = shifts.map((s) => s.dy * CELLS + s.dx);
  const [rx, ry] = [90, 17];
  const surfaces = Array.from({ length: PAYLOAD_TILES + 1 }, () => new Float64Array(CELLS * CELLS));
  const values = [4.7, 5.4, 6.3, 3.3, 4.3];
  encodeId(key, id).forEach((shift, t) => {
    surfaces[t + 1][((ry + shift.dy) & (CELLS - 1)) * CELLS + ((rx + shift.dx) & (CELLS - 1))] = values[t];
  });
  for (let k = 0; k < 12; k++) surfaces[4][(3 + 10 * k) * CELLS + 5 + 9 * k] = 3.4 + 0.05 * k;

  test('reads each recalled ID at its own positions, whatever the peaks around it', () => {
    expect(topPeaks(surfaces[4], rx, ry, 4).every((p) => p.z > 3.3)).toBe(true);
    const found = new Map<bigint, DecodedEntry>();
    readRecalled(surfaces, rx, ry, new Map([[id, { symbols, shifts }]]), found);
    expect(found.get(id)!.sum).toBeCloseTo(24.0, 9);
    expect(Array.from(found.get(id)!.tiles)).toEqual(values);
    expect(found.get(id)!.symbols).toEqual(symbols);
  });

  test('keeps a better reading of the same ID from another sync', () => {
    const better: DecodedEntry = { sum: 30, tiles: Float64Array.of(6, 6, 6, 6, 6), symbols };
    const found = new Map<bigint, DecodedEntry>([[id, better]]);
    readRecalled(surfaces, rx, ry, new Map([[id, { symbols, shifts }]]), found);
    expect(found.get(id)).toBe(better);
    // Read one cell off the reference peak, the ID's positions hold nothing.
    const moved = new Map<bigint, DecodedEntry>();
    readRecalled(surfaces, rx + 1, ry, new Map([[id, { symbols, shifts }]]), moved);
    expect(moved.get(id)!.sum).toBe(0);
  });
});

describe("candidates' joint peak", () => {
  const random = prng(41);
  const surfaces = () => Array.from({ length: PAYLOAD_TILES + 1 }, () => Float64Array.from({ length: CELLS * CELLS }, () => 2 * random() - 1));
  const shiftsOf = () => Array.from({ length: PAYLOAD_TILES }, () => ({ dx: Math.floor(random() * CELLS), dy: Math.floor(random() * CELLS) }));

  test('finds a planted mark: the reference peak plus each tile at its shift, across the wrap', () => {
    const z = surfaces();
    const shifts = shiftsOf();
    const at = { x: 125, y: 3 }; // near the edge, so that most shifted positions wrap
    z[0][at.y * CELLS + at.x] += 6;
    shifts.forEach(({ dx, dy }, t) => (z[t + 1][((at.y + dy) % CELLS) * CELLS + ((at.x + dx) % CELLS)] += 6));
    const kernel = new JointPeaks();
    kernel.load(z);
    expect(jointPeak(z, shifts)).toBe(at.y * CELLS + at.x);
    expect(kernel.peak(shifts)).toBe(at.y * CELLS + at.x);
  });

  test('on ties the kernel and the loop both give the first maximum in row order', () => {
    const kernel = new JointPeaks();
    const portable = new JointPeaks(false);
    for (let sync = 0; sync < 3; sync++) {
      // Three levels per surface: the largest joint value is reached at many positions, in either lane of the kernel.
      const z = Array.from({ length: PAYLOAD_TILES + 1 }, () => Float64Array.from({ length: CELLS * CELLS }, () => Math.floor(3 * random())));
      kernel.load(z);
      portable.load(z);
      for (let c = 0; c < 20; c++) {
        const shifts = shiftsOf();
        expect(kernel.peak(shifts)).toBe(portable.peak(shifts));
      }
    }
    // A flat surface: every position ties, and both give position 0.
    const flat = Array.from({ length: PAYLOAD_TILES + 1 }, () => new Float64Array(CELLS * CELLS).fill(1));
    kernel.load(flat);
    expect(kernel.peak(shiftsOf())).toBe(0);
  });

  test('the WebAssembly kernel and the TypeScript loop give the same peak, to the bit, with the mark\'s weights', () => {
    const kernel = new JointPeaks();
    const portable = new JointPeaks(false);
    expect(kernel.wasm).toBe(true); // Node has WebAssembly SIMD
    expect(portable.wasm).toBe(false);
    for (let sync = 0; sync < 3; sync++) {
      const z = surfaces();
      kernel.load(z);
      portable.load(z);
      for (let c = 0; c < 20; c++) {
        const shifts = shiftsOf();
        const i = kernel.peak(shifts);
        expect(portable.peak(shifts)).toBe(i);
        // The peak's value, summed as both do, is the largest (ties: the first).
        const value = (j: number) => {
          const x = j % CELLS;
          const y = (j - x) / CELLS;
          let v = REF_WEIGHT * z[0][j];
          for (let t = 0; t < PAYLOAD_TILES; t++) v += PAYLOAD_WEIGHT * z[t + 1][((y + shifts[t].dy) % CELLS) * CELLS + ((x + shifts[t].dx) % CELLS)];
          return v;
        };
        let first = 0;
        for (let j = 1; j < CELLS * CELLS; j++) if (value(j) > value(first)) first = j;
        expect(i).toBe(first);
      }
    }
  });
});

describe('whitening', () => {
  test('the box radius is five working pixels, kept between 1.5 and 2.5 tile cells', () => {
    // 540 working lines (every leak of 594 lines or more): cells of 3 px, 1.5 cells as before.
    expect(whitenRadius((TILE_PERIOD_PER_HEIGHT * 540) / CELLS)).toBe(5);
    // 480 and 360 lines: five pixels (it was 4 and 3).
    expect(whitenRadius((TILE_PERIOD_PER_HEIGHT * 480) / CELLS)).toBe(5);
    expect(whitenRadius((TILE_PERIOD_PER_HEIGHT * 360) / CELLS)).toBe(5);
    // Tiny pictures: at most 2.5 cells, at least 2 px.
    expect(whitenRadius(1)).toBe(3);
    expect(whitenRadius(0.5)).toBe(2);
    // Wider cells (a detector at a larger working size): 1.5 cells.
    expect(whitenRadius(6)).toBe(9);
  });

  test('the SIMD kernel and the portable loop agree, on odd widths and padded strides, frame after frame', () => {
    const random = prng(11);
    // Widths: a multiple of 8, one of 4 but not 8, one of 2 but not 4; strides equal and larger.
    for (const [w, h, stride] of [
      [96, 54, 96],
      [100, 61, 100],
      [138, 40, 141],
      // The stride is the width rounded up to 4: whole rows are copied in, the source's padding must be zeroed.
      [98, 40, 100],
    ]) {
      // Radius 3 and 5: the portable loop's and the kernel's clipped windows at the borders must match for both.
      const radius = w === 100 ? 5 : 3;
      const simd = new Whitener(w, h, radius);
      const portable = new Whitener(w, h, radius, false);
      expect(simd.usesSimd).toBe(true);
      expect(portable.usesSimd).toBe(false);
      for (let frame = 0; frame < 2; frame++) {
        // Row padding holds garbage (as real frames may): it must not leak into the result.
        const data = new Uint8Array(stride * h).fill(251);
        // Busy texture at the top, a near-flat area at the bottom (the deviation floor matters there).
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * stride + x] = y < h / 2 ? random() * 255 : 120 + random() * 2;
        const plane = { data, width: w, height: h, stride, bitDepth: 8 };
        simd.accumulate(plane);
        portable.accumulate(plane);
      }
      let largest = 0;
      for (let i = 0; i < w * h; i++) {
        expect(Math.abs(simd.accumulator[i] - portable.accumulator[i])).toBeLessThan(1e-4);
        largest = Math.max(largest, Math.abs(portable.accumulator[i]));
      }
      // Two frames of clipped (2.5), weighted values: the comparison is not between two empty accumulators.
      expect(largest).toBeGreaterThan(1);
    }
  });

  test('the evenly weighted accumulator: the same whitened values without the extra weight, in both paths', () => {
    const random = prng(12);
    const [w, h, radius] = [100, 64, 5];
    const plain = new Whitener(w, h, radius);
    const simd = new Whitener(w, h, radius, true, true);
    const portable = new Whitener(w, h, radius, false, true);
    expect(plain.evenAccumulator).toBeNull();
    expect(simd.usesSimd).toBe(true);
    // Left: busy texture (deviation about 70); right: faint grain (about 1): weights far apart.
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = x < 48 ? random() * 255 : 120 + random() * 4;
    const plane = { data, width: w, height: h, stride: w, bitDepth: 8 };
    for (const whitener of [plain, simd, portable]) whitener.accumulate(plane);
    const even = simd.evenAccumulator!;
    for (let i = 0; i < w * h; i++) {
      // The usual accumulator is unchanged by keeping the other.
      expect(simd.accumulator[i]).toBe(plain.accumulator[i]);
      expect(Math.abs(even[i] - portable.evenAccumulator![i])).toBeLessThan(1e-4);
    }
    // Within one 8 x 8 block the two differ by that block's weight alone, sigma^-0.5: about 1/8 on the texture,
    // about 0.8 on the grain (its deviation plus the floor, 1.6). Interior blocks, away from the box's borders.
    const ratio = (x0: number, y0: number) => {
      let a = 0;
      let b = 0;
      for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 8; x++) (a += Math.abs(simd.accumulator[y * w + x])), (b += Math.abs(even[y * w + x]));
      return a / b;
    };
    expect(ratio(16, 24)).toBeGreaterThan(0.09);
    expect(ratio(16, 24)).toBeLessThan(0.16);
    expect(ratio(72, 24)).toBeGreaterThan(0.65);
    expect(ratio(72, 24)).toBeLessThan(0.95);
  });

  test("a frame's weight scales what it adds to both sums, in both paths; weight 1 is the default to the bit", () => {
    const random = prng(13);
    const [w, h, radius] = [100, 64, 5];
    const data = new Uint8Array(w * h);
    for (let i = 0; i < w * h; i++) data[i] = i % w < 48 ? random() * 255 : 120 + random() * 4;
    const plane = { data, width: w, height: h, stride: w, bitDepth: 8 };
    const other = { ...plane, data: data.map((v, i) => (v + i * 7) & 255) };
    for (const simdPath of [true, false]) {
      const once = new Whitener(w, h, radius, simdPath, true);
      const unit = new Whitener(w, h, radius, simdPath, true);
      const weighted = new Whitener(w, h, radius, simdPath, true);
      once.accumulate(other);
      once.accumulate(plane);
      unit.accumulate(other, 1);
      unit.accumulate(plane, 1);
      weighted.accumulate(other);
      weighted.accumulate(plane, 24);
      const alone = new Whitener(w, h, radius, simdPath, true);
      alone.accumulate(other);
      for (let i = 0; i < w * h; i++) {
        expect(unit.accumulator[i]).toBe(once.accumulator[i]);
        expect(unit.evenAccumulator![i]).toBe(once.evenAccumulator![i]);
        // weighted = other + 24 * plane's part, where plane's part = once - other.
        const part = once.accumulator[i] - alone.accumulator[i];
        expect(Math.abs(weighted.accumulator[i] - (alone.accumulator[i] + 24 * part))).toBeLessThan(1e-3);
        const evenPart = once.evenAccumulator![i] - alone.evenAccumulator![i];
        expect(Math.abs(weighted.evenAccumulator![i] - (alone.evenAccumulator![i] + 24 * evenPart))).toBeLessThan(1e-3);
      }
      expect(() => once.accumulate(plane, 0)).toThrow(/positive frame weight/);
      expect(() => once.accumulate(plane, Number.NaN)).toThrow(/positive frame weight/);
    }
  });
});

describe('statistics', () => {
  test('the normal tail is accurate in the log domain far into the tail', () => {
    const cases: Array<[number, number]> = [
      [0, 0.5],
      [1.959963985, 0.025],
      [3, 1.349898e-3],
      [6, 9.865876e-10],
      [10, 7.619853e-24],
      [20, 2.753624e-89],
    ];
    for (const [z, q] of cases) expect(logNormalTail(z) / Math.log(q)).toBeCloseTo(1, 5);
    expect(Math.exp(logNormalTail(-3))).toBeCloseTo(1 - 1.349898e-3, 6);
  });
});

describe('accusations across looks', () => {
  const sync = { scale: 1, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0, periodX: 768, periodY: 768, mirrored: false, z: 9, falseAlarmProbability: 1e-12 };
  const made = (id: bigint, method: Accusation['method'], score: number, symbols: number[], look: number): Accusation => ({
    id, method, score, atScore: score, jointScore: -Infinity, symbols, sync, log10Sync: -12, hypothesisLooks: look, look, atFrames: 12 * look,
  });
  const trialsAt = (looks: number, parts = 0) => ({ decoded: looks * 3 * 2 ** 48, offset: 3 * 8 * 2 ** 48 / 0.1, atSync: looks * 10 * 20, joint: looks * 10 * 128 * 128 * 20, part: Math.max(1, parts) * 3 * 20 / 0.2 });

  test('an accusation is counted again with the trials of every look made, and stands until it no longer passes', () => {
    const record = new AccusationRecord();
    const a = made(7n, 'decoded', 10.6, [1, 2, 3, 4, 5], 1);
    record.keep(a, recount(a, trialsAt(1)), trialsAt(1));
    // Made at look 1 (p about 1e-10.4 with one look's trials); at look 3 the same score counts three looks' trials.
    expect(recount(a, trialsAt(3))).toBeCloseTo(log10Bonferroni(10.6, 3 * 3 * 2 ** 48), 9);
    expect(recount(a, trialsAt(3)) - recount(a, trialsAt(1))).toBeCloseTo(Math.log10(3), 9);
    const standing = record.standing(3, [], trialsAt(3), -9);
    expect([...standing.keys()]).toEqual([7n]);
    expect(standing.get(7n)!.log10p).toBeCloseTo(recount(a, trialsAt(3)), 9);
    // Not at its own look (that look reports it itself), and not once enough looks push it past the threshold.
    expect(record.standing(1, [], trialsAt(1), -9).size).toBe(0);
    expect(record.standing(200, [], trialsAt(200), -9).size).toBe(0);
  });

  test('an ID accused later that holds one of its tiles, or a neighbour cell, withdraws it', () => {
    const record = new AccusationRecord();
    const a = made(7n, 'decoded', 12, [100, 2000, 3000, 4000, 5000], 1);
    record.keep(a, recount(a, trialsAt(1)), trialsAt(1));
    const neighbour = 2000 + 128 + 1; // one cell right and down of tile 2's symbol
    expect(record.standing(2, [{ id: 8n, symbols: [9, neighbour, 9, 9, 9] }], trialsAt(2), -9).size).toBe(0);
    expect(record.standing(2, [{ id: 8n, symbols: [9, 2000 + 2, 9, 9, 9] }], trialsAt(2), -9).size).toBe(1);
    // The ID itself accused again does not withdraw its own earlier accusation.
    expect(record.standing(2, [{ id: 7n, symbols: a.symbols.slice() }], trialsAt(2), -9).size).toBe(1);
  });

  test('an accusation on a part of the reading is counted with the parts read, kept beside the whole reading\'s, and the stronger of the two given', () => {
    const record = new AccusationRecord();
    const range = { startFrame: 192, endFrame: 240, start: 8, end: 10 };
    const inPart: Accusation = { ...made(7n, 'candidates', 9, [1, 2, 3, 4, 5], 2), part: range };
    // One test (at the reference's position), counted with the parts' trials: not doubled.
    expect(recount(inPart, trialsAt(2, 10))).toBeCloseTo(log10Bonferroni(9, 10 * 3 * 20 / 0.2), 9);
    expect(record.keep(inPart, recount(inPart, trialsAt(2, 10)), trialsAt(2, 10))).toBe(true);
    expect(record.get(7n, true)).toBe(inPart);
    expect(record.get(7n)).toBeUndefined();
    // It stands at later looks, its probability growing with the parts read, not with the looks.
    const later = record.standing(3, [], trialsAt(3, 40), -9).get(7n)!;
    expect(later.accusation).toBe(inPart);
    expect(later.onWhole).toBe(false);
    expect(later.log10p).toBeCloseTo(recount(inPart, trialsAt(9, 40)), 9);
    // A weaker accusation on the whole reading is kept beside it; the part's, stronger, is given, and the ID is
    // known to be accused on the whole too.
    const whole = made(7n, 'candidates', 7.2, [1, 2, 3, 4, 5], 3);
    expect(record.keep(whole, recount(whole, trialsAt(3, 40)), trialsAt(3, 40))).toBe(true);
    expect(record.get(7n, true)).toBe(inPart);
    expect(recount(whole, trialsAt(4, 40))).toBeGreaterThan(recount(inPart, trialsAt(4, 40)));
    expect(recount(whole, trialsAt(4, 40))).toBeLessThan(-9);
    const both = record.standing(4, [], trialsAt(4, 40), -9).get(7n)!;
    expect(both.accusation).toBe(inPart);
    expect(both.onWhole).toBe(true);
    // At the whole accusation's own look (which gives it itself), the part is given for the look to compare.
    expect(record.standing(3, [], trialsAt(3, 40), -9).get(7n)).toMatchObject({ accusation: inPart, onWhole: true });
    // Once the whole one no longer passes, the part's alone.
    expect(record.standing(50, [], trialsAt(50, 40), -9).get(7n)).toMatchObject({ accusation: inPart, onWhole: false });
    // A stronger whole-reading accusation is given over the part's.
    const strong = made(7n, 'candidates', 12, [1, 2, 3, 4, 5], 5);
    expect(record.keep(strong, recount(strong, trialsAt(5, 40)), trialsAt(5, 40))).toBe(true);
    expect(record.standing(6, [], trialsAt(6, 40), -9).get(7n)).toMatchObject({ accusation: strong, onWhole: true });
    // A weaker part does not replace the stronger one.
    const weaker: Accusation = { ...made(7n, 'candidates', 8, [1, 2, 3, 4, 5], 4), part: range };
    expect(record.keep(weaker, recount(weaker, trialsAt(4, 50)), trialsAt(4, 50))).toBe(false);
  });

  test('a decoded accusation on the whole reading is given beside the ID\'s candidate accusation on a part while that stands', () => {
    const record = new AccusationRecord();
    const range = { startFrame: 0, endFrame: 48, start: 0, end: 2 };
    const decoded = made(7n, 'decoded', 30, [1, 2, 3, 4, 5], 1);
    record.keep(decoded, recount(decoded, trialsAt(1)), trialsAt(1));
    const inPart: Accusation = { ...made(7n, 'candidates', 9, [1, 2, 3, 4, 5], 2), part: range };
    record.keep(inPart, recount(inPart, trialsAt(2, 10)), trialsAt(2, 10));
    const both = record.standing(3, [], trialsAt(3, 10), -9).get(7n)!;
    expect(both).toMatchObject({ accusation: inPart, onWhole: true, decoded: { accusation: decoded } });
    expect(both.decoded!.log10p).toBeCloseTo(recount(decoded, trialsAt(3, 10)), 9);
    const alone = record.standing(3, [], trialsAt(3, 10 ** 12), -9).get(7n)!;
    expect(alone).toMatchObject({ accusation: decoded, onWhole: true });
    expect(alone.decoded).toBeUndefined();
  });

  test('keeps the strongest accusation of an ID, and a candidate-mode one over a decoded one', () => {
    const record = new AccusationRecord();
    const weak = made(7n, 'candidates', 7, [1, 2, 3, 4, 5], 1);
    const strong = made(7n, 'candidates', 9, [1, 2, 3, 4, 5], 2);
    record.keep(strong, recount(strong, trialsAt(2)), trialsAt(2));
    record.keep(weak, recount(weak, trialsAt(3)), trialsAt(3));
    expect(record.get(7n)).toBe(strong);
    const decoded = made(7n, 'decoded', 30, [1, 2, 3, 4, 5], 4);
    record.keep(decoded, recount(decoded, trialsAt(4)), trialsAt(4));
    expect(record.get(7n)).toBe(strong);
    const stronger = made(7n, 'candidates', 11, [1, 2, 3, 4, 5], 5);
    record.keep(stronger, recount(stronger, trialsAt(5)), trialsAt(5));
    expect(record.get(7n)).toBe(stronger);
  });
});

describe('argument checks of the frame-level classes', () => {
  const key = createKey();
  const plane = (over: Record<string, unknown> = {}) => ({ data: new Uint8Array(64 * 48), width: 64, height: 48, stride: 64, bitDepth: 8, ...over });
  test('an inconsistent plane is a UsageError naming the problem', async () => {
    const { WatermarkEmbedder } = await import('../../packages/core/src/watermark/index.js');
    const embedder = new WatermarkEmbedder({ key, id: 1n, width: 64, height: 48, bitDepth: 8 });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ stride: 32 }, /Expected a stride of at least 64/],
      [{ data: new Uint8Array(100) }, /holds 100 samples, fewer than 64x48/],
      [{ data: new Uint16Array(64 * 48) }, /Expected Uint8Array data for a 8-bit/],
    ];
    for (const [over, message] of cases) {
      expect(() => embedder.embed(plane(over) as never)).toThrow(UsageError);
      expect(() => embedder.embed(plane(over) as never)).toThrow(message);
    }
  });
  test('keys, candidates and the master height are checked when a detector or embedder is made', async () => {
    const { WatermarkDetector, WatermarkEmbedder } = await import('../../packages/core/src/watermark/index.js');
    const base = { key, inputWidth: 640, inputHeight: 360 };
    const detectorCases: Array<[Record<string, unknown>, RegExp]> = [
      [{ key: { secret: new Uint8Array(5), id: 'x' } }, /Expected key to be a WatermarkKey/],
      [{ key: {} }, /Expected key to be a WatermarkKey/],
      [{ candidates: [1, 2] }, /Expected candidates to be an array of bigint IDs/],
      [{ candidates: [MAX_ID + 1n] }, /Expected candidates to be an array of bigint IDs/],
      [{ masterHeight: 0 }, /Expected masterHeight to be an integer from 16 to 65536 but received 0/],
      [{ masterHeight: 'abc' }, /Expected masterHeight .* but received abc/],
    ];
    for (const [over, message] of detectorCases) {
      expect(() => new WatermarkDetector({ ...base, ...over } as never)).toThrow(UsageError);
      expect(() => new WatermarkDetector({ ...base, ...over } as never)).toThrow(message);
    }
    expect(() => new WatermarkEmbedder({ key: {} as never, id: 1n, width: 64, height: 48, bitDepth: 8 })).toThrow(/Expected key to be a WatermarkKey/);
  });
});
