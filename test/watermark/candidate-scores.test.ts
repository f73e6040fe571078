import { describe, expect, test } from 'vitest';
import { judgeCandidates, type CandidateReadings } from '../../packages/core/src/watermark/candidate-scores.js';
import { log10Bonferroni } from '../../packages/core/src/watermark/statistics.js';
import type { Shift } from '../../packages/core/src/watermark/pattern.js';

const trials = { decoded: 3 * 2 ** 48, offset: 3 * 8 * 2 ** 48 / 0.1, atSync: 3 * 10 * 3, joint: 10 * 128 * 128 * 3, part: 3 * 3 / 0.2 };
const shift = (dx: number, dy: number): Shift => ({ dx, dy });

/** Three candidates read at the reference's position only (no joint test). */
function readings(tiles: number[][], shifts: Shift[][]): CandidateReadings {
  return { shifts, atSync: tiles.map((t) => Float64Array.from(t)), joint: tiles.map(() => new Float64Array(5)), jointMade: tiles.map(() => false) };
}

describe("candidates' judgement", () => {
  const own = [shift(1, 1), shift(2, 2), shift(3, 3), shift(4, 4), shift(5, 5)];
  // Shares tile 0's symbol with `own` (two IDs meet so with probability 2^-14 per tile), the rest its own.
  const sharing = [shift(1, 1), shift(20, 2), shift(30, 3), shift(40, 4), shift(50, 5)];
  // Beside `own` in tiles 1 and 2 (a peak's spill: one cell off), its own elsewhere.
  const beside = [shift(60, 1), shift(3, 2), shift(4, 3), shift(80, 4), shift(90, 5)];

  test("each score leaves out the candidate's strongest tile, and the probability is the at-sync test's, doubled", () => {
    const [a] = judgeCandidates(readings([[6, 5, 4, 3, 2]], [own]), trials, Math.log10(1e-9));
    expect(a.atScore).toBeCloseTo((5 + 4 + 3 + 2) / 2, 12);
    expect(a.jointScore).toBe(-Infinity);
    expect(a.viaJoint).toBe(false);
    expect(a.log10p).toBeCloseTo(Math.log10(2) + log10Bonferroni(7, trials.atSync), 12);
    expect(a.accused).toBe(true);
  });

  test("an accused candidate's tiles and their neighbour cells are left out of the next ones' scores", () => {
    const byIndex = (tiles: number[][]) => {
      const judged = judgeCandidates(readings(tiles, [own, sharing, beside]), trials, Math.log10(1e-9));
      return [0, 1, 2].map((c) => judged.find((j) => j.index === c)!);
    };
    const [first, second, third] = byIndex([[6, 6, 6, 6, 6], [6, 5, 5, 5, 5], [4.5, 6, 6, 4.5, 4.5]]);
    expect(first).toMatchObject({ accused: true, score: 12 });
    // Its tile 0 is the first's: four tiles left, (5 + 5 + 5 + 5 - 5) / sqrt 3, still accused.
    expect(second).toMatchObject({ accused: true, score: Number((15 / Math.sqrt(3)).toFixed(3)) });
    // Two tiles beside the first's: three left, (4.5 + 4.5 + 4.5 - 4.5) / sqrt 2 = 6.36, p about 1e-7.7: not accused,
    // where all five tiles, (25.5 - 6) / 2 = 9.75, would have been.
    expect(third).toMatchObject({ accused: false, score: Number((9 / Math.SQRT2).toFixed(3)) });
    expect(third.log10p).toBeGreaterThan(-9);
    // Without the first accused (its tiles weak), the third keeps its five tiles and is accused.
    expect(byIndex([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [4.5, 6, 6, 4.5, 4.5]])[2]).toMatchObject({ accused: true, score: 9.75 });
  });
});
