/**
 * Scores of the candidate IDs (the IDs actually issued) at one look, from their payload tiles' z where each test read
 * them, with explaining away between candidates (docs/WATERMARK.md, Detection step 5).
 */
import { candidateTests, type LookTrials } from './accusations.js';
import { PAYLOAD_TILES, type Shift } from './pattern.js';
import { round3 } from './statistics.js';
import { nearSymbols, symbolOf } from './symbols.js';

/** What the two tests read for each candidate, indexed like the candidate list. */
export interface CandidateReadings {
  /** Each candidate's payload shifts (`encodeId`). */
  shifts: ReadonlyArray<readonly Shift[]>;
  /** [K][PAYLOAD_TILES] each tile's z at the reference's position (test (i)), at the sync where it summed best. */
  atSync: readonly Float64Array[];
  /** [K][PAYLOAD_TILES] each tile's z at the candidate's joint peak (test (ii)); `jointMade[c]` false: not made. */
  joint: readonly Float64Array[];
  jointMade: readonly boolean[];
}

/** One candidate's verdict at a look. */
export interface CandidateJudgement {
  /** Its index in the candidate list. */
  index: number;
  /** The score of the test that gave `log10p`, rounded to three decimals. */
  score: number;
  log10p: number;
  viaJoint: boolean;
  accused: boolean;
  /** Both tests' scores, on the tiles left to it by explaining away (-Infinity: not made). */
  atScore: number;
  jointScore: number;
}

/**
 * Judges every candidate, best first. Two tests per candidate; the reported probability is the smaller one, doubled
 * (Bonferroni over the two). Each scores the candidate's tiles without its single strongest one: an innocent ID can
 * share one tile's symbol with the copy that leaked (probability 2^-14 per tile) and would otherwise inherit that
 * tile's whole evidence, also when the guilty ID is not among the candidates. The sum of the n - 1 smallest of n
 * values never exceeds the sum of the n - 1 values that are noise, so Q(score) remains a valid bound with no extra
 * multiplicity; a true candidate keeps about 89% of its score.
 *
 * `oneTest`: only test (i) is made in the family these trials count (a part of the reading): its probability is not
 * doubled.
 *
 * Explaining away: a tile whose symbol belongs to an already accused candidate, or lies beside it (its peak's
 * spill), is that candidate's evidence, not this one's (two IDs meet so in a tile with probability 9 x 2^-14), so it
 * is left out of the later candidate's score, which is then renormalised over its remaining tiles.
 */
export function judgeCandidates(readings: CandidateReadings, trials: LookTrials, log10Threshold: number, oneTest = false): CandidateJudgement[] {
  const trimmed = (values: Float64Array, tiles: readonly number[]) => {
    if (tiles.length < 2) return -Infinity;
    let sum = 0;
    let max = -Infinity;
    for (const t of tiles) {
      sum += values[t];
      if (values[t] > max) max = values[t];
    }
    return (sum - max) / Math.sqrt(tiles.length - 1);
  };
  const judge = (c: number, tiles: readonly number[]) => {
    const atScore = trimmed(readings.atSync[c], tiles);
    const jointScore = readings.jointMade[c] ? trimmed(readings.joint[c], tiles) : -Infinity;
    const { log10p, viaJoint } = candidateTests(atScore, jointScore, trials, oneTest);
    return { score: viaJoint ? jointScore : atScore, log10p, viaJoint, atScore, jointScore };
  };
  const allTiles = Array.from({ length: PAYLOAD_TILES }, (_, t) => t);
  const ranked = readings.shifts
    .map((_, c) => ({ index: c, ...judge(c, allTiles) }))
    .sort((a, b) => a.log10p - b.log10p || b.score - a.score);
  const taken = Array.from({ length: PAYLOAD_TILES }, () => new Set<number>());
  const judged = ranked.map((entry) => {
    const shifts = readings.shifts[entry.index];
    const own = allTiles.filter((t) => !taken[t].has(symbolOf(shifts[t])));
    const j = own.length === PAYLOAD_TILES ? entry : { ...entry, ...judge(entry.index, own) };
    const accused = j.log10p < log10Threshold;
    // The accused candidate's peaks and their neighbour cells (a peak's spill) are its evidence.
    if (accused) for (const t of allTiles) for (const near of nearSymbols(symbolOf(shifts[t]))) taken[t].add(near);
    return { index: entry.index, score: round3(j.score), log10p: j.log10p, viaJoint: j.viaJoint, accused, atScore: j.atScore, jointScore: j.jointScore };
  });
  return judged.sort((a, b) => a.log10p - b.log10p || b.score - a.score);
}
