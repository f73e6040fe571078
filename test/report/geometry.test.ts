import { describe, expect, test } from 'vitest';
import type { Detection } from '../../packages/core/src/api/detection.js';
import { geometryInWords } from '../../packages/core/src/report/model.js';

/** A found detection with the given sync, as far as geometryInWords reads it. */
function found(sync: { scale: number; offsetX: number; offsetY: number; period: number; mirrored?: boolean; rotation?: number; nominal?: boolean; nominalFit?: string }): Detection {
  const { scale, offsetX, offsetY, period, mirrored = false, rotation = 0, nominal = false, nominalFit } = sync;
  return {
    found: true,
    parameters: { masterHeight: 1080 },
    sync: { scale, scaleX: scale, scaleY: scale, offsetX, offsetY, periodX: period, periodY: period, mirrored, rotation, z: 20, nominal, ...(nominalFit ? { nominalFit } : {}), falseAlarmProbability: 1e-20 },
  } as unknown as Detection;
}

describe('geometry in words', () => {
  test('a grid within one cell of the corner (period / 128) reads as no crop or pad', () => {
    // An uncropped 1080p leak: period 768, offsets a few pixels off the corner either way.
    for (const [x, y] of [[0.6, 765.7], [4.9, 2.1], [767.2, 763.5]]) {
      expect(geometryInWords(found({ scale: 1, offsetX: x, offsetY: y, period: 768 }))).toContain('starts at the picture\'s corner');
    }
  });

  test('a grid further off than a cell reads as a crop or pad, with the offsets', () => {
    const words = geometryInWords(found({ scale: 1, offsetX: 37.2, offsetY: 2, period: 768 }))!;
    expect(words).toContain('starts at (37.2, 2) px');
    expect(words).toContain('a crop of (730.8, 766) px');
    // Small tiles: the cell is under 1.5 px, and 1.5 px stays the tolerance.
    expect(geometryInWords(found({ scale: 0.2, offsetX: 1.7, offsetY: 0, period: 153.6 }))).toContain('starts at (1.7, 0) px');
  });

  test('a geometry read at the nominal sync says it is a plain rescale\'s, not one the search found', () => {
    const words = geometryInWords(found({ scale: 1 / 3, offsetX: 255.7, offsetY: 255.7, period: 256, nominal: true }))!;
    expect(words).toContain('starts at the picture\'s corner');
    expect(words).toContain('the geometry of a plain rescale of the whole master');
    expect(geometryInWords(found({ scale: 1 / 3, offsetX: 255.7, offsetY: 255.7, period: 256 }))).not.toContain('plain rescale');
    // A centred fit names itself.
    const fitted = geometryInWords(found({ scale: 1 / 3, offsetX: 255.7, offsetY: 208.7, period: 256, nominal: true, nominalFit: 'width' }))!;
    expect(fitted).toContain("the geometry of the master fitted to the picture's width and centred, its height cropped or padded");
  });

  test('a mirrored leak says so, and that the offsets are of the leak flipped back', () => {
    const words = geometryInWords(found({ scale: 1, offsetX: 37.2, offsetY: 2, period: 768, mirrored: true }))!;
    expect(words).toContain('mirror image of the master (flipped left to right)');
    expect(words).toContain('starts at (37.2, 2) px');
    expect(geometryInWords(found({ scale: 1, offsetX: 37.2, offsetY: 2, period: 768 }))).not.toContain('mirror');
  });

  test('a turned leak says how, and that the offsets are of the leak turned back', () => {
    const at = (mirrored: boolean, rotation: number) => geometryInWords(found({ scale: 0.7, offsetX: 37.2, offsetY: 2, period: 537.6, mirrored, rotation }))!;
    expect(at(false, 2.5)).toContain('The leak is the master turned 2.5 degrees clockwise; the offsets above are those of the leak turned back about its centre.');
    expect(at(false, -1)).toContain('The leak is the master turned 1 degree counter-clockwise;');
    expect(at(false, 180)).toContain('The leak is the master upside down (turned 180 degrees)');
    expect(at(true, 180)).toContain('The leak is the master flipped top to bottom');
    // Reports saved before the rotation was found have no such field: read as not turned.
    const old = found({ scale: 1, offsetX: 37.2, offsetY: 2, period: 768 });
    delete (old.sync as { rotation?: number }).rotation;
    expect(geometryInWords(old)).not.toContain('turned');
  });
});
