/**
 * The nominal syncs (`nominalSyncs`): where a plain rescale of the whole master puts the tile, or for a picture of
 * another aspect the master fitted to its width or height and centred, read at every look whatever the search found.
 * To test that reading alone, the search can be kept from the periods near the nominal one (`hide`): the leaks below
 * are then read only where the geometry says.
 */
import { describe, expect, test, vi } from 'vitest';

const hide = vi.hoisted(() => ({ on: false, dx: 0, dy: 0, period: 0 }));
vi.mock('../../packages/core/src/watermark/period-hypotheses.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../packages/core/src/watermark/period-hypotheses.js')>();
  const { TILE_PERIOD_PER_HEIGHT } = await import('../../packages/core/src/watermark/pattern.js');
  return {
    ...original,
    periodHypotheses: (w: number, h: number, factor: number) => {
      const fit = hide.period || TILE_PERIOD_PER_HEIGHT * h;
      const near = (p: number) => Math.abs(Math.log(p / fit)) < 0.05;
      return original.periodHypotheses(w, h, factor).filter((p) => !hide.on || !(near(p.periodX) || near(p.periodY)));
    },
    // Moved by (hide.dx, hide.dy) cells: a stand-in for a payload that sits off the nominal position.
    nominalSyncs: (...args: Parameters<typeof original.nominalSyncs>) =>
      original.nominalSyncs(...args).map((nominal) => ({ ...nominal, sub: { dx: nominal.sub.dx + hide.dx, dy: nominal.sub.dy + hide.dy } })),
  };
});

import { keyFromSecret, WatermarkDetector, WatermarkEmbedder, type LumaPlane } from '../../packages/core/src/watermark/index.js';
import { CELLS } from '../../packages/core/src/watermark/pattern.js';
import { nominalSyncs } from '../../packages/core/src/watermark/period-hypotheses.js';
import { log10Bonferroni } from '../../packages/core/src/watermark/statistics.js';
import { addNoise, downscale, frameOf, makeScene } from './synthetic.js';

const key = keyFromSecret(new Uint8Array(32).fill(21));
const id = 987654321n;
const innocents = [11n, 22n, 33n, 44n, 55n];

/** 12 frames of a 1280 x 720 master, marked for `id` (or not), halved to 640 x 360 (area average), under noise. */
function leak(marked: boolean, noise = 30): LumaPlane[] {
  const scene = makeScene(1280, 720, 6);
  const embedder = new WatermarkEmbedder({ key, id, width: 1280, height: 720, bitDepth: 8 });
  return Array.from({ length: 12 }, (_, i) => {
    const master = frameOf(scene, 1280, 720, i);
    if (marked) embedder.embed(master);
    return addNoise(downscale(master, 2), noise, 100 + i);
  });
}

/** The same, its letterbox-like rows cut away first (rows 94-625 of the master: 1280 x 532, centred), so 640 x 266. */
function barsCut(): LumaPlane[] {
  const scene = makeScene(1280, 720, 6);
  const embedder = new WatermarkEmbedder({ key, id, width: 1280, height: 720, bitDepth: 8 });
  return Array.from({ length: 12 }, (_, i) => {
    const master = frameOf(scene, 1280, 720, i);
    embedder.embed(master);
    const cut = { ...master, data: master.data.slice(94 * 1280, 626 * 1280), height: 532 };
    return addNoise(downscale(cut, 2), 30, 100 + i);
  });
}

function read(frames: LumaPlane[], candidates?: bigint[]) {
  const detector = new WatermarkDetector({ key, inputWidth: frames[0].width, inputHeight: frames[0].height, masterHeight: 720, ...(candidates ? { candidates } : {}) });
  frames.forEach((frame, i) => detector.addFrame(frame, i / 24));
  return { verdict: detector.result(), looks: detector.lookCount };
}

function withSearchHidden<T>(fn: () => T): T {
  hide.on = true;
  try {
    return fn();
  } finally {
    hide.on = false;
  }
}

describe('nominal sync', () => {
  test('is where a plain rescale puts the tile, from the sizes alone', () => {
    // 1080p master read at 640 x 360: period 256, the master's tile origin at -1/3 pixel (pixel centres onto pixel
    // centres), the fold's origin at (320, 180): -160.17 and -90.17 cells, so cell (96, 38), a sixth of a cell back.
    const [small, ...more] = nominalSyncs(640, 360, 640, 360, 1080);
    expect(more).toEqual([]);
    expect(small.fit).toBe('rescale');
    expect(small.sync.periodX).toBeCloseTo(256, 9);
    expect(small.sync.periodY).toBeCloseTo(256, 9);
    expect(small.sync.peakIndex).toBe(38 * CELLS + 96);
    expect(small.sub.dx).toBeCloseTo(-1 / 6, 9);
    expect(small.sub.dy).toBeCloseTo(-1 / 6, 9);
    // The same master read at full size, halved to the working 960 x 540: period 384, origin at -1/4 working pixel.
    const [full] = nominalSyncs(1920, 1080, 960, 540, 1080);
    expect(full.sync.periodY).toBeCloseTo(384, 9);
    expect(full.sync.peakIndex).toBe(38 * CELLS + 96);
    expect(full.sub.dx).toBeCloseTo(-1 / 12, 9);
    // 854 x 480 (ffmpeg's scale=-2:480) is within the aspect's tolerance: a plain rescale too.
    expect(nominalSyncs(854, 480, 854, 480, 1080).map((n) => n.fit)).toEqual(['rescale']);
    // Too small a picture for the tile: none.
    expect(nominalSyncs(100, 60, 100, 60, 1080)).toEqual([]);
  });

  test('of a picture of another aspect, is where the master fitted to its width or height and centred puts it', () => {
    // A scope film's bars cut away (1920 x 800 of the 1080p master, rows 140-939) and scaled to 640 x 266: fitted to
    // the width, s = 1/3, period 256 on both axes; the master's row 0 at (0.5 - 141) / 3 - 0.5 = -47.33 (centred:
    // the crop is taken as 141 rows, (1080 - 266 x 3) / 2), its column 0 at -1/3 as in a plain rescale.
    // (First the plain rescale, kept for a master of the picture's own aspect: 0.246 of it, anchored at the corner.)
    const [rescale, width, height, ...more] = nominalSyncs(640, 266, 640, 266, 1080);
    expect(more).toEqual([]);
    expect(rescale.fit).toBe('rescale');
    expect(rescale.sync.periodY).toBeCloseTo((768 * 266) / 1080, 9);
    const s = 266 / 1080;
    const rescaleCellX = (((((0.5 * s - 0.5 - 320) * CELLS) / (768 * s)) % CELLS) + CELLS) % CELLS;
    expect((rescale.sync.peakIndex % CELLS) + rescale.sub.dx).toBeCloseTo(rescaleCellX, 9);
    expect(width.fit).toBe('width');
    expect(width.sync.periodX).toBeCloseTo(256, 9);
    expect(width.sync.periodY).toBeCloseTo(256, 9);
    const cellY = (((((-47 - 1 / 3 - 133) * CELLS) / 256) % CELLS) + CELLS) % CELLS;
    expect(Math.floor(width.sync.peakIndex / CELLS) + width.sub.dy).toBeCloseTo(cellY, 9);
    expect((width.sync.peakIndex % CELLS) + width.sub.dx).toBeCloseTo(96 - 1 / 6, 9);
    // Fitted to the height instead (a pillarbox of that picture): s = 266 / 1080, the master centred across.
    expect(height.fit).toBe('height');
    expect(height.sync.periodY).toBeCloseTo((768 * 266) / 1080, 9);
    // A 4:3 picture: the rescale and both fits as well, each its own period.
    expect(nominalSyncs(640, 480, 640, 480, 1080).map((n) => [n.fit, Math.round(n.sync.periodX)])).toEqual([
      ['rescale', Math.round((768 * 480) / 1080)],
      ['width', 256],
      ['height', Math.round((768 * 480) / 1080)],
    ]);
  });

  test('reads a plain rescale the search does not synchronise, blind and among candidates, counted as one sync more', () => {
    const frames = leak(true);
    const blind = withSearchHidden(() => read(frames));
    expect(blind.verdict.id).toBe(id);
    expect(blind.verdict.method).toBe('decoded');
    // One look, three searched syncs and the nominal one decoded freely, every ID; 1 / 0.9: the offsets' share.
    expect(blind.verdict.log10FalseAlarmProbability).toBeCloseTo(log10Bonferroni(blind.verdict.score, (blind.looks * 4 * 2 ** 48) / 0.9), 2);
    // The geometry reported is the nominal sync's: half the 720p master, its tile origin a quarter pixel back.
    expect(blind.verdict.sync?.scale).toBeCloseTo(0.5, 3);
    expect(blind.verdict.sync?.offsetX).toBeCloseTo(255.8, 1);
    expect(blind.verdict.sync?.offsetY).toBeCloseTo(255.8, 1);
    expect(blind.verdict.sync?.nominal).toBe(true);
    // The reference's correlation shown is centred there too (the middle of the 15 x 15 cells: the sync's z).
    expect(blind.verdict.peak?.values[7 * 15 + 7]).toBeCloseTo(blind.verdict.sync?.z ?? NaN, 2);

    const among = withSearchHidden(() => read(frames, [...innocents, id]));
    expect(among.verdict.accused).toEqual([id]);
    expect(among.verdict.sync?.offsetX).toBeCloseTo(255.8, 1);
    expect(among.verdict.sync?.nominal).toBe(true);

    // Searched as usual, the leak is read at the same geometry.
    const searched = read(frames);
    expect(searched.verdict.id).toBe(id);
    expect(Math.abs((searched.verdict.sync?.offsetX ?? 0) - 255.8)).toBeLessThan(1);
  });

  test('reads a picture whose bars were cut away at the master fitted to its width, counted as two syncs more than a 16:9 one', () => {
    const frames = barsCut();
    hide.period = 256;
    try {
      const blind = withSearchHidden(() => read(frames));
      expect(blind.verdict.id).toBe(id);
      // Not 16:9: the rescale and the two fits are read (the width's and the height's), each one sync more.
      expect(blind.verdict.log10FalseAlarmProbability).toBeCloseTo(log10Bonferroni(blind.verdict.score, (blind.looks * 6 * 2 ** 48) / 0.9), 2);
      expect(blind.verdict.sync?.nominal).toBe(true);
      expect(blind.verdict.sync?.nominalFit).toBe('width');
      // Half the master; its tile's origin at row (0.5 - 94) / 2 - 0.5 = -47.25, so 256 - 47.25 modulo the period.
      expect(blind.verdict.sync?.scale).toBeCloseTo(0.5, 3);
      expect(blind.verdict.sync?.offsetX).toBeCloseTo(255.8, 1);
      expect(blind.verdict.sync?.offsetY).toBeCloseTo(208.8, 1);
      const among = withSearchHidden(() => read(frames, [...innocents, id]));
      expect(among.verdict.accused).toEqual([id]);
      expect(among.verdict.sync?.nominalFit).toBe('width');
    } finally {
      hide.period = 0;
    }
  });

  test('reads a 4:3 centre cut at the master fitted to its height', () => {
    // Columns 160-1119 of the 720p master (960 x 720), halved: 480 x 360. A plain rescale's geometry has the same
    // period but is 40 cells off across; the height fit, centred, is exact.
    const scene = makeScene(1280, 720, 6);
    const embedder = new WatermarkEmbedder({ key, id, width: 1280, height: 720, bitDepth: 8 });
    const frames = Array.from({ length: 12 }, (_, i) => {
      const master = frameOf(scene, 1280, 720, i);
      embedder.embed(master);
      const data = new Uint8Array(960 * 720);
      for (let y = 0; y < 720; y++) data.set(master.data.subarray(y * 1280 + 160, y * 1280 + 1120), y * 960);
      return addNoise(downscale({ data, width: 960, height: 720, stride: 960, bitDepth: 8 }, 2), 30, 100 + i);
    });
    hide.period = 256;
    try {
      for (const candidates of [undefined, [...innocents, id]]) {
        const { verdict } = withSearchHidden(() => read(frames, candidates));
        expect(verdict.accused).toEqual([id]);
        expect(verdict.sync?.nominalFit).toBe('height');
        // The master's column 0 at (0.5 - 160) / 2 - 0.5 = -80.25, so 256 - 80.25 modulo the period.
        expect(verdict.sync?.offsetX).toBeCloseTo(175.8, 1);
        expect(verdict.sync?.offsetY).toBeCloseTo(255.8, 1);
      }
    } finally {
      hide.period = 0;
    }
  });

  test('an accusation read there that stands from an earlier look keeps that geometry\'s own probability', () => {
    // 12 marked frames, then 36 unmarked: accused at the look at 12 frames, where the evidence stands.
    const frames = [...leak(true), ...leak(false), ...leak(false), ...leak(false)];
    const detector = withSearchHidden(() => {
      const d = new WatermarkDetector({ key, inputWidth: 640, inputHeight: 360, masterHeight: 720 });
      frames.forEach((frame, i) => d.addFrame(frame, i / 24));
      d.result();
      return d;
    });
    const verdict = detector.result();
    expect(verdict.id).toBe(id);
    expect(verdict.decoded.find((d) => d.id === id)?.atFrames).toBe(12);
    expect(verdict.framesAnalyzed).toBe(48);
    expect(verdict.sync?.offsetX).toBeCloseTo(255.8, 1);
    expect(verdict.sync?.nominal).toBe(true);
    // The reference's z at the nominal sync then, with every hypothesis searched since counted (not the searched
    // best sync's probability, which is noise here).
    const hypothesisLooks = (detector as unknown as { hypothesisLooks: number }).hypothesisLooks;
    const log10p = Math.log10(verdict.sync?.falseAlarmProbability ?? NaN);
    expect(log10p).toBeCloseTo(log10Bonferroni(verdict.sync?.z ?? NaN, hypothesisLooks * CELLS * CELLS), 1);
    // The reference's correlation shown is the one of that look, centred there (not the diluted one of the last).
    expect(verdict.peak?.values[7 * 15 + 7]).toBeCloseTo(verdict.sync?.z ?? NaN, 2);
  });

  test("a payload half a cell from the nominal position is read at the nominal sync's other offsets, counted so", () => {
    // Heavier noise: read where the geometry says, the payload is only just decoded.
    const frames = leak(true, 75);
    const usual = withSearchHidden(() => read(frames));
    expect(usual.verdict.id).toBe(id);
    expect(usual.verdict.log10FalseAlarmProbability).toBeCloseTo(log10Bonferroni(usual.verdict.score, (usual.looks * 4 * 2 ** 48) / 0.9), 2);
    // The nominal position moved half a cell back on both axes: not decoded there, but half a cell on (the same
    // surfaces, the same score), at the final look, with the offsets' trials: one final look x (three searched syncs
    // + the nominal one) x eight offsets x 2^48, over their tenth of the budget.
    hide.dx = -0.5;
    hide.dy = -0.5;
    try {
      const moved = withSearchHidden(() => read(frames));
      expect(moved.verdict.id).toBe(id);
      expect(moved.verdict.score).toBe(usual.verdict.score);
      expect(moved.verdict.log10FalseAlarmProbability).toBeCloseTo(log10Bonferroni(moved.verdict.score, (4 * 8 * 2 ** 48) / 0.1), 2);
      expect(moved.verdict.sync?.nominal).toBe(true);
    } finally {
      hide.dx = 0;
      hide.dy = 0;
    }
  });

  test('accuses no one on unmarked frames read only there', () => {
    const frames = leak(false);
    const blind = withSearchHidden(() => read(frames));
    expect(blind.verdict.found).toBe(false);
    const among = withSearchHidden(() => read(frames, [...innocents, id]));
    expect(among.verdict.accused).toEqual([]);
  });
});
