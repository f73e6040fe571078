/**
 * The WebAssembly SIMD correlation kernel (f32) against the portable TypeScript path (f64): same surfaces to a few
 * 1e-6 of their spread, same peaks, z within 1e-4 relative; on random planes (odd sizes exercise the scalar tails)
 * and on a whitened marked frame, where the peak is real; and the same verdict from a whole detector.
 */
import { describe, expect, test } from 'vitest';
import { surfaceStats, TileCorrelator } from '../../packages/core/src/watermark/correlator.js';
import { keyFromSecret, WatermarkDetector, WatermarkEmbedder, type LumaPlane } from '../../packages/core/src/watermark/index.js';
import { COARSE_CELLS } from '../../packages/core/src/watermark/coarse-tile.js';
import { CELLS, keySpectra, TILE_PERIOD_PER_HEIGHT } from '../../packages/core/src/watermark/pattern.js';
import { Whitener } from '../../packages/core/src/watermark/whiten.js';
import { frameOf, makeScene, prng } from './synthetic.js';

const key = keyFromSecret(new Uint8Array(32).fill(5));
const N2 = CELLS * CELLS;

function randomPlane(width: number, height: number, seed: number): Float32Array {
  const random = prng(seed);
  return new Float32Array(width * height).map(() => random() * 2 - 1);
}

/** Largest absolute difference between two surfaces, in units of the reference surface's RMS. */
function maxDifference(simd: Float64Array, portable: Float64Array): number {
  let max = 0;
  let energy = 0;
  for (let i = 0; i < N2; i++) {
    max = Math.max(max, Math.abs(simd[i] - portable[i]));
    energy += portable[i] * portable[i];
  }
  return max / Math.sqrt(energy / N2);
}

function expectAgreement(simd: Float64Array, portable: Float64Array): number {
  const a = surfaceStats(simd);
  const b = surfaceStats(portable);
  expect(b.std).toBeGreaterThan(0);
  expect(maxDifference(simd, portable)).toBeLessThan(2e-5);
  expect(a.peakIndex).toBe(b.peakIndex);
  expect(Math.abs(a.peakZ - b.peakZ) / b.peakZ).toBeLessThan(1e-4);
  return b.peakZ;
}

/** A random plane per case (seeds from `seed`) and the case's two period hypotheses: A square, B stretched by `ratio`. */
function pairCases<C extends { width: number; height: number; a: number; b: number; ratio: number }>(cases: C[], seed: number) {
  return cases.map((c, n) => ({
    c,
    plane: randomPlane(c.width, c.height, seed + n),
    a: { periodX: c.a, periodY: c.a },
    b: { periodX: c.b, periodY: c.b * c.ratio },
  }));
}

/** One 480 x 270 frame of a generated scene marked for `id` at strength 4, whitened: its accumulator and tile period. */
function markedFrame(id: bigint): { accumulator: Float32Array; width: number; height: number; period: number } {
  const width = 480;
  const height = 270;
  const frame = frameOf(makeScene(width, height, 2), width, height, 0);
  new WatermarkEmbedder({ key, id, width, height, bitDepth: 8, strength: 4 }).embed(frame);
  const whitener = new Whitener(width, height, 2);
  whitener.accumulate(frame);
  return { accumulator: whitener.accumulator, width, height, period: TILE_PERIOD_PER_HEIGHT * height };
}

describe('correlation kernel', () => {
  const spectra = keySpectra(key);
  const simd = new TileCorrelator(spectra);
  const portable = new TileCorrelator(spectra, { simd: false });
  const surfaces = Array.from({ length: 4 }, () => new Float64Array(N2));

  test('is used where WebAssembly SIMD exists, and can be turned off', () => {
    expect(simd.usesSimd).toBe(true);
    expect(portable.usesSimd).toBe(false);
  });

  test('reference pairs agree with the portable path on random planes', () => {
    const cases = [
      { width: 480, height: 270, a: 128, b: 131.7, ratio: 1 },
      { width: 333, height: 201, a: 48, b: 97.3, ratio: 1.12 },
      { width: 962, height: 541, a: 255, b: 600, ratio: 0.9 },
    ];
    for (const { c, plane, a, b } of pairCases(cases, 10)) {
      const [sa, sb, pa, pb] = surfaces;
      simd.referencePair(plane, c.width, c.height, a, b, c.width >> 1, c.height >> 1, sa, sb);
      portable.referencePair(plane, c.width, c.height, a, b, c.width >> 1, c.height >> 1, pa, pb);
      const za = expectAgreement(sa, pa);
      const zb = expectAgreement(sb, pb);
      // The statistics the coarse sweep takes (scanned inside the kernel on the SIMD path).
      const [statsA, statsB] = simd.referencePairStats(plane, c.width, c.height, a, b, c.width >> 1, c.height >> 1);
      expect(statsA.peakIndex).toBe(surfaceStats(pa).peakIndex);
      expect(statsB.peakIndex).toBe(surfaceStats(pb).peakIndex);
      expect(Math.abs(statsA.peakZ - za) / za).toBeLessThan(1e-4);
      expect(Math.abs(statsB.peakZ - zb) / zb).toBeLessThan(1e-4);
      // The two surfaces of a pair are different hypotheses: agreement is not a trivially shared result.
      expect(maxDifference(sa, sb)).toBeGreaterThan(0.5);
    }
  });

  test('a versioned plane is copied into the kernel once per version, and again when its version changes', () => {
    const [w, h] = [301, 177];
    const plane = randomPlane(w, h, 11);
    const period = 0.8 * h;
    const statsOf = (correlator: TileCorrelator) => {
      correlator.foldAndTransform(plane, w, h, period, period, w >> 1, h >> 1);
      return correlator.correlationStats(0);
    };
    const versioned = new TileCorrelator(spectra);
    versioned.setVersion(plane, 1);
    const before = statsOf(versioned);
    plane.set(randomPlane(w, h, 12));
    // Same version: the caller promised no change, so the kernel still folds the copy it has.
    expect(statsOf(versioned)).toEqual(before);
    versioned.setVersion(plane, 2);
    const after = statsOf(versioned);
    expect(after).not.toEqual(before);
    expect(after).toEqual(statsOf(new TileCorrelator(spectra)));
  });

  test('every key tile agrees, with and without a sub-cell shift', () => {
    const plane = randomPlane(475, 266, 3);
    const [s, p] = surfaces;
    simd.foldAndTransform(plane, 475, 266, 151.5, 149, 237, 133);
    portable.foldAndTransform(plane, 475, 266, 151.5, 149, 237, 133);
    for (let tile = 0; tile < spectra.re.length; tile++) {
      portable.correlate(tile, p);
      const expected = surfaceStats(p);
      const stats = simd.correlationStats(tile);
      expect(stats.peakIndex).toBe(expected.peakIndex);
      expect(Math.abs(stats.peakZ - expected.peakZ) / expected.peakZ).toBeLessThan(1e-4);
      expect(Math.abs(stats.std - expected.std) / expected.std).toBeLessThan(1e-4);
    }
    for (const [subX, subY] of [[0, 0], [0.31, -0.22], [-0.5, 0.5]]) {
      for (let tile = 0; tile < spectra.re.length; tile++) {
        simd.correlate(tile, s, subX, subY);
        portable.correlate(tile, p, subX, subY);
        expectAgreement(s, p);
      }
    }
  });

  test('finds the same strong peak in a whitened marked frame', () => {
    const { accumulator, width, height, period } = markedFrame(5n);
    const right = { periodX: period, periodY: period };
    const wrong = { periodX: period * 1.3, periodY: period * 1.3 };
    const [sa, sb, pa, pb] = surfaces;
    simd.referencePair(accumulator, width, height, right, wrong, width >> 1, height >> 1, sa, sb);
    portable.referencePair(accumulator, width, height, right, wrong, width >> 1, height >> 1, pa, pb);
    expect(expectAgreement(sa, pa)).toBeGreaterThan(8);
    expect(expectAgreement(sb, pb)).toBeLessThan(6);
    simd.foldAndTransform(accumulator, width, height, period, period, width >> 1, height >> 1);
    portable.foldAndTransform(accumulator, width, height, period, period, width >> 1, height >> 1);
    simd.correlate(0, sa);
    portable.correlate(0, pa);
    expect(expectAgreement(sa, pa)).toBeGreaterThan(8);
  });

  test('coarse tiles (decimated 2:1) agree with the portable path on random planes', () => {
    const cases = [
      { width: 480, height: 270, a: 192, b: 197.3, ratio: 1 },
      { width: 333, height: 201, a: 140, b: 150, ratio: 1.1 },
      { width: 481, height: 271, a: 300, b: 260.5, ratio: 0.9 },
    ];
    for (const { c, plane, a, b } of pairCases(cases, 20)) {
      const fromSimd = simd.coarsePairStats(plane, c.width, c.height, a, b, c.width >> 1, c.height >> 1);
      const fromPortable = portable.coarsePairStats(plane, c.width, c.height, a, b, c.width >> 1, c.height >> 1);
      for (const i of [0, 1]) {
        expect(fromSimd[i].peakIndex).toBe(fromPortable[i].peakIndex);
        expect(Math.abs(fromSimd[i].peakZ - fromPortable[i].peakZ) / fromPortable[i].peakZ).toBeLessThan(1e-4);
        expect(fromSimd[i].peakIndex).toBeLessThan(COARSE_CELLS * COARSE_CELLS);
      }
      expect(fromSimd[0].peakIndex).not.toBe(fromSimd[1].peakIndex);
    }
  });

  test('a coarse tile keeps a marked frame\'s evidence, its peak where the full tile\'s is', () => {
    const { accumulator, width, height, period } = markedFrame(9n);
    const right = { periodX: period, periodY: period };
    const wrong = { periodX: period * 0.8, periodY: period * 0.8 };
    const [full] = simd.referencePairStats(accumulator, width, height, right, wrong, width >> 1, height >> 1);
    for (const correlator of [simd, portable]) {
      const [coarse, other] = correlator.coarsePairStats(accumulator, width, height, right, wrong, width >> 1, height >> 1);
      expect(full.peakZ).toBeGreaterThan(8);
      expect(coarse.peakZ).toBeGreaterThan(0.9 * full.peakZ);
      expect(other.peakZ).toBeLessThan(6);
      // Coarse cell (x, y) covers full cells 2x and 2x + 1: the peaks agree within a coarse cell.
      const at = (index: number, cells: number) => ({ x: index % cells, y: Math.floor(index / cells) });
      const f = at(full.peakIndex, CELLS);
      const g = at(coarse.peakIndex, COARSE_CELLS);
      const cyclic = (d: number) => Math.min(Math.abs(d), COARSE_CELLS - Math.abs(d));
      expect(cyclic(g.x - Math.floor(f.x / 2))).toBeLessThanOrEqual(1);
      expect(cyclic(g.y - Math.floor(f.y / 2))).toBeLessThanOrEqual(1);
    }
  });

  test('a detector gives the same verdict on either path', () => {
    const width = 960;
    const height = 540;
    const scene = makeScene(width, height, 6);
    const embedder = new WatermarkEmbedder({ key, id: 1234n, width, height, bitDepth: 8 });
    const frames: LumaPlane[] = [];
    for (let i = 0; i < 12; i++) {
      const frame = frameOf(scene, width, height, i);
      embedder.embed(frame);
      frames.push(frame);
    }
    const verdicts = [true, false].map((useSimd) => {
      const detector = new WatermarkDetector({ key, inputWidth: width, inputHeight: height, candidates: [1234n, 99n], simd: useSimd });
      expect(detector.usesSimd).toBe(useSimd);
      frames.forEach((frame, i) => detector.addFrame(frame, i / 24));
      return detector.result();
    });
    const [a, b] = verdicts;
    expect(a.found).toBe(true);
    expect(a.id).toBe(1234n);
    expect({ ...a.sync, z: 0, falseAlarmProbability: 0 }).toEqual({ ...b.sync, z: 0, falseAlarmProbability: 0 });
    expect(Math.abs(a.sync!.z - b.sync!.z)).toBeLessThan(1e-3 * b.sync!.z);
    expect(Math.abs(a.score - b.score)).toBeLessThan(1e-3 * b.score);
    expect(a.accused).toEqual(b.accused);
    expect(a.decoded.map((d) => d.id)).toEqual(b.decoded.map((d) => d.id));
  });
});
