/**
 * Accusations across the detector's looks.
 *
 * Each look's probabilities already count every look made so far (the looks factor of the null model), so an
 * accusation made at one look, its scores counted again with the trials of every look made since, remains a valid
 * Bonferroni bound. A later look that reads less (x264 at low rates can make the evidence of a short clip fall
 * between looks) therefore does not withdraw it. What does: an ID accused at the current look that holds one of its
 * tiles' symbols or a neighbour; the earlier accusation was then that ID's evidence (a spill variant), or the two
 * meet in a tile (two colluders: 45 x 2^-14), a rare miss, never a false accusation.
 */
import type { Peak, SyncEstimate } from './detector.js';
import type { PartRange } from './part-windows.js';
import { log10Bonferroni } from './statistics.js';
import { nearSymbol } from './symbols.js';

/** The trials the bound counts at the current look, every look made so far included. */
export interface LookTrials {
  /**
   * A freely decoded ID: looks x syncs read x 2^48 valid codewords (below 540 working lines, divided by the share of
   * the budget left by the payload's other offsets; an ID read at one of those has its own `trialsFactor`).
   */
  decoded: number;
  /**
   * A freely decoded ID read at another payload offset: final looks x syncs x offsets x 2^48, over the offsets' share
   * of the budget (it grows with the final looks, not with every look).
   */
  offset: number;
  /** A candidate at the reference's position: looks x syncs x candidates. */
  atSync: number;
  /** A candidate at its joint peak: syncs searched jointly x positions x candidates. */
  joint: number;
  /** A candidate read in a part of the reading (`part-windows.ts`): parts read x syncs x candidates. */
  part: number;
}

/** An accusation made at one look: what its probability is counted again from at every later look. */
export interface Accusation {
  id: bigint;
  method: 'candidates' | 'decoded';
  /** The score reported. */
  score: number;
  /** A candidate's two test scores (its own tiles); a decoded ID: its score, and -Infinity. */
  atScore: number;
  jointScore: number;
  /** Its tiles' symbols (dy * CELLS + dx). */
  symbols: readonly number[];
  /**
   * A decoded ID read at another payload offset: its trials were the look's decoded trials times this; counted again,
   * they are the later look's `offset` trials.
   */
  trialsFactor?: number;
  /** Where it was read, and the synchronisation's log10 probability and multiplicity (hypothesis looks) then. */
  sync: SyncEstimate;
  log10Sync: number;
  /** The reference's correlation around `sync` at that look (the verdict's `peak`), when recorded. */
  peak?: Peak | null;
  hypothesisLooks: number;
  /** The look (1-based) and the frame count it was made at. */
  look: number;
  atFrames: number;
  /** A candidate accused on a part of the reading: which (its trials are then the look's `part` trials). */
  part?: PartRange;
}

/**
 * A candidate's log10 false-alarm probability from its two test scores (-Infinity: not made): the smaller of the
 * two tests' probabilities, doubled (Bonferroni over the two); `viaJoint` when the joint test gave it. `oneTest`: the
 * test at the reference's position is the only one its family makes (a part of the reading), so nothing is doubled.
 */
export function candidateTests(atScore: number, jointScore: number, trials: LookTrials, oneTest = false): { log10p: number; viaJoint: boolean } {
  const pa = atScore > -Infinity ? log10Bonferroni(atScore, trials.atSync) : 0;
  if (oneTest) return { log10p: Math.min(0, pa), viaJoint: false };
  const pb = jointScore > -Infinity ? log10Bonferroni(jointScore, trials.joint) : 0;
  return { log10p: Math.min(0, Math.LOG10E * Math.LN2 + Math.min(pa, pb)), viaJoint: pb < pa };
}

/** An accusation's log10 false-alarm probability, its scores counted with `trials` (as each look counts its own). */
export function recount(a: Accusation, trials: LookTrials): number {
  if (a.method === 'decoded') return log10Bonferroni(a.atScore, a.trialsFactor === undefined ? trials.decoded : trials.offset);
  if (a.part) return candidateTests(a.atScore, -Infinity, { ...trials, atSync: trials.part }, true).log10p;
  return candidateTests(a.atScore, a.jointScore, trials).log10p;
}

/** An accusation made at an earlier look that still stands, with its probability counted again now. */
export interface StandingAccusation {
  accusation: Accusation;
  log10p: number;
  /**
   * Whether the ID's accusation on the whole reading (the reading from its first frame to a look) stands, or was made
   * at this look, whichever of its accusations is given.
   */
  onWhole: boolean;
  /** The ID's decoded accusation on the whole reading when it stands but its candidate one on a part is given. */
  decoded?: { accusation: Accusation; log10p: number };
}

/**
 * The strongest accusation of each ID made so far on the whole reading (a candidate-mode accusation outranks a
 * decoded one), and apart from it the strongest made on a part of the reading (`part-windows.ts`).
 */
export class AccusationRecord {
  private readonly byId = new Map<bigint, { whole?: Accusation; part?: Accusation }>();

  /** The accusation kept for `id` on the whole reading, or (`part`) on a part of it, if any. */
  get(id: bigint, part = false): Accusation | undefined {
    const entry = this.byId.get(id);
    return part ? entry?.part : entry?.whole;
  }

  /**
   * Keeps `a` (made now at probability `log10p`) unless the ID's kept accusation of its kind (whole reading or part)
   * is as strong, counted with `trials`. Returns whether it was kept.
   */
  keep(a: Accusation, log10p: number, trials: LookTrials): boolean {
    const entry = this.byId.get(a.id) ?? {};
    this.byId.set(a.id, entry);
    const slot = a.part ? 'part' : 'whole';
    const kept = entry[slot];
    if (kept?.method === 'candidates' && a.method === 'decoded') return false;
    if (kept && kept.method === a.method && log10p >= recount(kept, trials)) return false;
    entry[slot] = a;
    return true;
  }

  /**
   * The accusations made before look `look` that still stand: not withdrawn by an ID accused at this look
   * (`accusedNow`, with their symbols), and below the threshold with `trials`. With their recounted probability, and
   * whether the ID's accusation on the whole reading stands (`onWhole`).
   * Of an ID's two (on the whole reading, on a part), the stronger is given: each is a Bonferroni bound within its
   * share of the candidates' budget, so the smaller of the two is a bound for the ID over both (P(min <= a) <=
   * share x a + (1 - share) x a). A decoded one is given only when the ID's accusation on a part does not stand (a
   * candidate-mode accusation outranks a decoded one, as within each kind), and is then given beside it (`decoded`).
   * For an ID accused on the whole at this look (the look gives that one itself), only its part, for the look to
   * compare with its own.
   */
  standing(
    look: number,
    accusedNow: ReadonlyArray<{ id: bigint; symbols: readonly number[] }>,
    trials: LookTrials,
    log10Threshold: number,
  ): Map<bigint, StandingAccusation> {
    const out = new Map<bigint, StandingAccusation>();
    for (const entry of this.byId.values()) {
      const stands = (a: Accusation | undefined) => {
        if (!a || accusedNow.some((h) => h.id !== a.id && h.symbols.some((symbol, t) => nearSymbol(symbol, a.symbols[t])))) return null;
        const log10p = recount(a, trials);
        return log10p < log10Threshold ? { accusation: a, log10p } : null;
      };
      const wholeNow = entry.whole?.look === look;
      const whole = wholeNow ? null : stands(entry.whole);
      const part = stands(entry.part);
      let given = part ?? whole;
      if (whole && part && whole.accusation.method === 'candidates' && whole.log10p <= part.log10p) given = whole;
      const onWhole = wholeNow || whole !== null;
      const decoded = whole && whole !== given && whole.accusation.method === 'decoded' ? whole : undefined;
      if (given) out.set(given.accusation.id, { ...given, onWhole, ...(decoded ? { decoded } : {}) });
    }
    return out;
  }
}
