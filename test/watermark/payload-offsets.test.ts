/**
 * Free decoding of small leaks at other payload offsets (`WatermarkDetector.decodeAtOffsets`). The reference peak's
 * sub-cell offset is moved here by `bias` cells: a stand-in for a weak reference peak whose parabola lands half a cell
 * from where the payload's peaks are, as on some small leaks (docs/WATERMARK.md, Detection step 5).
 */
import { describe, expect, test, vi } from 'vitest';

const bias = vi.hoisted(() => ({ dx: 0, dy: 0 }));
vi.mock('../../packages/core/src/watermark/correlator.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../packages/core/src/watermark/correlator.js')>();
  return {
    ...original,
    subCellOffset: (surface: Float64Array, index: number) => {
      const sub = original.subCellOffset(surface, index);
      return { dx: sub.dx + bias.dx, dy: sub.dy + bias.dy };
    },
  };
});

// The nominal sync (a plain rescale's, read at every look at its own sub-cell offset, which the bias does not move)
// would read these leaks where they are: left out here, so that the offsets alone are tested.
vi.mock('../../packages/core/src/watermark/period-hypotheses.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../packages/core/src/watermark/period-hypotheses.js')>();
  return { ...original, nominalSyncs: () => [] };
});

import { keyFromSecret, WatermarkDetector, WatermarkEmbedder, type LumaPlane } from '../../packages/core/src/watermark/index.js';
import { log10Bonferroni } from '../../packages/core/src/watermark/statistics.js';
import { frameOf, makeScene, prng } from './synthetic.js';

const key = keyFromSecret(new Uint8Array(32).fill(9));
const id = 123456789n;

/** 12 marked frames of a `w` x `h` scene under uniform noise of +-`amplitude`. */
function noisyLeak(w: number, h: number, amplitude: number): LumaPlane[] {
  const scene = makeScene(w, h, 4);
  const embedder = new WatermarkEmbedder({ key, id, width: w, height: h, bitDepth: 8 });
  const random = prng(5);
  return Array.from({ length: 12 }, (_, i) => {
    const frame = frameOf(scene, w, h, i);
    embedder.embed(frame);
    for (let j = 0; j < frame.data.length; j++) frame.data[j] = Math.max(0, Math.min(255, Math.round(frame.data[j] + (random() * 2 - 1) * amplitude)));
    return frame;
  });
}

function readWithBias(frames: LumaPlane[], dx: number, dy: number) {
  bias.dx = dx;
  bias.dy = dy;
  try {
    const detector = new WatermarkDetector({ key, inputWidth: frames[0].width, inputHeight: frames[0].height });
    frames.forEach((frame, i) => detector.addFrame(frame, i / 24));
    return { verdict: detector.result(), looks: detector.lookCount };
  } finally {
    bias.dx = 0;
    bias.dy = 0;
  }
}

describe('payload offsets (small leaks, free decoding)', () => {
  test('a payload half a cell from the reference peak\'s offset is decoded there, counted with the offsets\' trials', () => {
    const leak = noisyLeak(640, 360, 65);
    const usual = readWithBias(leak, 0, 0);
    expect(usual.verdict.id).toBe(id);
    expect(usual.verdict.method).toBe('decoded');
    // One look (12 frames), three syncs decoded, every ID; the offsets' share of the budget taken from it (1 / 0.9).
    const trials = (usual.looks * 3 * 2 ** 48) / 0.9;
    expect(usual.verdict.log10FalseAlarmProbability).toBeCloseTo(log10Bonferroni(usual.verdict.score, trials), 2);
    let viaOffset = 0;
    for (const [dx, dy] of [[0.5, 0], [-0.5, 0], [0, 0.5], [0, -0.5], [0.5, 0.5], [-0.5, 0.5], [0.5, -0.5], [-0.5, -0.5]]) {
      const moved = readWithBias(leak, dx, dy);
      expect(moved.verdict.id).toBe(id);
      expect(moved.verdict.framesAnalyzed).toBe(12);
      const p = moved.verdict.log10FalseAlarmProbability;
      if (Math.abs(p - (usual.verdict.log10FalseAlarmProbability + Math.log10(72))) < 0.01) {
        // Read at the offset that undoes the bias, at the final look (nothing was decoded at the look at 12 frames):
        // the same surfaces, the same score, and 72 times the usual reading's trials (eight offsets at one final
        // look over a tenth of the budget, against one offset at that one look over the nine tenths it keeps).
        expect(moved.verdict.score).toBe(usual.verdict.score);
        viaOffset++;
      } else {
        // Or still decoded half a cell off at the reference's offset, which then counts the usual trials (measured
        // with noise of +-45: one of the eight, score 13.56 against 13.61, with the phase-only spectra of before
        // 2026-11-25; since, +-45 leaves six of the eight decodable there, so the noise is +-65: none, score 12.3).
        expect(p).toBeCloseTo(log10Bonferroni(moved.verdict.score, (moved.looks * 3 * 2 ** 48) / 0.9), 2);
      }
    }
    expect(viaOffset).toBeGreaterThanOrEqual(6);
  });

  test("full-size leaks are read at the reference's offset only, with the usual trials", () => {
    const leak = noisyLeak(960, 540, 45);
    const usual = readWithBias(leak, 0, 0);
    expect(usual.verdict.id).toBe(id);
    expect(usual.verdict.log10FalseAlarmProbability).toBeCloseTo(log10Bonferroni(usual.verdict.score, usual.looks * 3 * 2 ** 48), 2);
    // Half a cell off on both axes, this leak's payload is no longer decoded: at 540 lines nothing else is tried.
    expect(readWithBias(leak, 0.5, 0.5).verdict.found).toBe(false);
  });
});
