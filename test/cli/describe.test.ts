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
