import { describe, expect, test } from 'vitest';
import type { Detection } from '@reelmark/core';
import { describeDetection } from '../../packages/cli/src/commands/extract.js';

/** A found detection with the given orientation, as far as describeDetection reads it. */
function found(mirrored: boolean, rotation: number): Detection {
  return {
    found: true,
    id: 42n,
    partner: null,
    falseAlarmProbability: 1e-20,
    accusationThreshold: 1e-9,
    candidates: [],
    framesAnalyzed: 48,
    secondsAnalyzed: 2,
    stoppedEarly: false,
    input: { kind: 'video', duration: 2, path: 'leak.mp4' },
    sync: { scale: 0.667, scaleX: 0.667, scaleY: 0.667, offsetX: 12, offsetY: 3, periodX: 512, periodY: 512, mirrored, rotation, z: 20 },
  } as unknown as Detection;
}

describe('extract: the geometry line', () => {
  test('says how the leak was turned, and only when it was', () => {
    const line = (mirrored: boolean, rotation: number) => describeDetection(found(mirrored, rotation)).find((l) => l.includes('geometry:'))!;
    expect(line(false, 0)).toBe('  geometry: scale 0.667 of a 1080-line master, tile offset (12.0, 3.0) px');
    expect(line(true, 0)).toContain('; the leak is a mirror image of the master (flipped left to right) (offset of the leak flipped back)');
    expect(line(false, 2.5)).toContain('; the leak is the master turned 2.5 degrees clockwise (offset of the leak turned back)');
    expect(line(true, 180)).toContain('; the leak is the master flipped top to bottom');
  });
});

/** An unaccused detection, as far as describeDetection reads it: its best ID's probability, the sync if reported. */
function notFound(options: { p: number; syncP?: number; mode: 'candidates' | 'decoded' }): Detection {
  const { p, syncP, mode } = options;
  return {
    found: false,
    id: null,
    partner: null,
    falseAlarmProbability: p,
    accusationThreshold: 1e-9,
    candidates: [],
    framesAnalyzed: 48,
    secondsAnalyzed: 2,
    stoppedEarly: false,
    keyId: '1c074adb8a88bc0a',
    mode,
    input: { kind: 'video', duration: 2, path: 'leak.mp4' },
    sync:
      syncP === undefined
        ? null
        : { scale: 0.444, scaleX: 0.444, scaleY: 0.444, offsetX: 299.9, offsetY: 316.9, periodX: 341.3, periodY: 341.3, mirrored: false, rotation: 0, z: 6.941, falseAlarmProbability: syncP },
  } as unknown as Detection;
}

describe('extract: a verdict with no one accused', () => {
  const hint = '  hint: scoring only the IDs actually issued (--ledger, --registry or --candidates) identifies weaker marks than reading the ID blind';

  test('no evidence at all: no mark of the key, and no hint', () => {
    const lines = describeDetection(notFound({ p: 1, mode: 'decoded' }));
    expect(lines[0]).toBe('NOT FOUND: no mark of key 1c074adb8a88bc0a in leak.mp4');
    expect(lines).not.toContain(hint);
    expect(lines.some((l) => l.includes('geometry:'))).toBe(false);
  });

  test("the key's synchronisation pattern without an ID (a 480p chain leak of the credits, read blind): says what it shows and what not, then what to try", () => {
    expect(describeDetection(notFound({ p: 1, syncP: 2.69e-4, mode: 'decoded' }))).toEqual([
      'NOT FOUND: no ID of key 1c074adb8a88bc0a could be read from leak.mp4',
      '  best ID evidence: false-alarm probability 1.00, above the accusation threshold 1.0e-9',
      "  the key's synchronisation pattern is indicated (false-alarm probability at most 2.7e-4, z 6.94): a copy marked with this key may be the source; the pattern is the same in every delivery, so it cannot say whose",
      '  analysed 48 frames, 2.00 s of 2.00 s',
      '  geometry: scale 0.444 of a 1080-line master, tile offset (299.9, 316.9) px',
      hint,
    ]);
    // Among candidates already: the pattern is reported, the hint is not.
    const among = describeDetection(notFound({ p: 0.3, syncP: 2.69e-4, mode: 'candidates' }));
    expect(among[2]).toContain("the key's synchronisation pattern is indicated");
    expect(among.some((l) => l.startsWith('  hint:'))).toBe(false);
  });

  test('an ID short of the threshold but beyond chance, read blind: the hint', () => {
    expect(describeDetection(notFound({ p: 1e-4, mode: 'decoded' }))).toContain(hint);
    expect(describeDetection(notFound({ p: 0.2, mode: 'decoded' }))).not.toContain(hint);
  });

  test('a ledger that records nothing under the key: says the IDs were read blind, and hints at the other lists', () => {
    const d = { ...notFound({ p: 1, syncP: 2.69e-4, mode: 'decoded' }), ledger: { path: 'deliveries.jsonl', warnings: [] } } as unknown as Detection;
    const lines = describeDetection(d);
    expect(lines).toContain('  ledger: no delivery under key 1c074adb8a88bc0a is recorded in deliveries.jsonl, so IDs were read blind');
    expect(lines).toContain('  hint: scoring only the IDs actually issued (--registry or --candidates) identifies weaker marks than reading the ID blind');
  });
});
