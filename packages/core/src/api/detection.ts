/**
 * The result of an extraction, and its JSON form, which is the CLI's `extract --json` contract: field names here are
 * stable; fields may be added.
 */
import type { WatermarkVerdict } from '../watermark/index.js';

/** The geometry the detector found, in input pixels. */
export interface DetectionSync {
  /**
   * Mean scale of the leak relative to the marked master (0.667 for a 1080p master leaked at 720p). The master's
   * height is not known to a blind detector: the scale is relative to `masterHeight` (default 1080 lines).
   */
  readonly scale: number;
  readonly scaleX: number;
  readonly scaleY: number;
  /** Offset of the master's origin in the leak (crop, pad), input pixels. */
  readonly offsetX: number;
  readonly offsetY: number;
}

/** One scored candidate (candidate mode) or the decoded ID (free decoding). */
export interface DetectionCandidate {
  readonly id: bigint;
  /** The partner holding this ID, when a registry was given. */
  readonly partner: string | null;
  readonly score: number;
  readonly falseAlarmProbability: number;
  /** Whether this candidate passes the accusation threshold. */
  readonly accused: boolean;
}

/** What was analysed. */
export interface DetectionInput {
  readonly path: string;
  /** SHA-256 of the file's bytes, hex: ties the report to the exact file. */
  readonly sha256: string;
  readonly kind: 'video' | 'image';
  readonly width: number;
  readonly height: number;
  /** Exact rational frame rate, e.g. `24000/1001`; null for a still. */
  readonly frameRate: string | null;
  /** Duration in seconds, when known (null for a still). */
  readonly duration: number | null;
}

/** The JSON form of a {@link Detection}: IDs are decimal strings (they exceed 2^53 in general). */
export interface DetectionJSON {
  found: boolean;
  id: string | null;
  partner: string | null;
  falseAlarmProbability: number;
  log10FalseAlarmProbability: number;
  accusationThreshold: number;
  method: 'candidates' | 'decoded' | null;
  score: number;
  framesAnalyzed: number;
  secondsAnalyzed: number;
  stoppedEarly: boolean;
  sync: { scale: number; scaleX: number; scaleY: number; offsetX: number; offsetY: number } | null;
  candidates: Array<{ id: string; partner: string | null; score: number; falseAlarmProbability: number; accused: boolean }>;
  input: { path: string; sha256: string; kind: 'video' | 'image'; width: number; height: number; frameRate: string | null; duration: number | null };
  keyId: string;
  version: string;
  timeline: Array<{ time: number; score: number }>;
}

/** Fields a {@link Detection} is built from. @internal */
export interface DetectionFields {
  verdict: WatermarkVerdict;
  accusationThreshold: number;
  stoppedEarly: boolean;
  input: DetectionInput;
  keyId: string;
  version: string;
  nameOf: (id: bigint) => string | null;
}

/**
 * The verdict on one input. `found` is true only when `falseAlarmProbability` is below `accusationThreshold`;
 * otherwise `id` is null. `JSON.stringify(detection)` gives {@link DetectionJSON}.
 */
export class Detection {
  /** A mark was found: the false-alarm probability is below the accusation threshold. */
  readonly found: boolean;
  /** The ID found, or null. */
  readonly id: bigint | null;
  /** The partner that holds `id`, when a registry was given and names it. */
  readonly partner: string | null;
  /** Probability that an unmarked input (or one marked under another key) scores this high, under the detector's null model. */
  readonly falseAlarmProbability: number;
  /** log10 of `falseAlarmProbability`, exact where the probability itself underflows to 0. */
  readonly log10FalseAlarmProbability: number;
  /** The threshold below which an ID is accused. */
  readonly accusationThreshold: number;
  /** How the ID was obtained: scored against the candidates, or decoded freely (null when nothing was found). */
  readonly method: 'candidates' | 'decoded' | null;
  /** The detector's score for the best hypothesis. */
  readonly score: number;
  readonly framesAnalyzed: number;
  /** Seconds of the input's timeline analysed. */
  readonly secondsAnalyzed: number;
  /** Whether reading stopped as soon as the verdict was certain (rather than at the end or at `maxSeconds`). */
  readonly stoppedEarly: boolean;
  readonly sync: DetectionSync | null;
  /**
   * Candidates by decreasing score; every accused one is named (collusion). Without a candidate list, the IDs
   * decoded freely (those that passed the payload's check bits).
   */
  readonly candidates: readonly DetectionCandidate[];
  readonly input: DetectionInput;
  /** Public id of the key the input was searched with. */
  readonly keyId: string;
  /** `reelmark x.y.z`. */
  readonly version: string;
  /** Score as evidence accumulated, against input time in seconds. */
  readonly timeline: ReadonlyArray<{ readonly time: number; readonly score: number }>;

  constructor(fields: DetectionFields) {
    const { verdict, nameOf } = fields;
    this.found = verdict.found && verdict.id !== null && verdict.falseAlarmProbability < fields.accusationThreshold;
    this.id = this.found ? verdict.id : null;
    this.partner = this.id === null ? null : nameOf(this.id);
    this.falseAlarmProbability = verdict.falseAlarmProbability;
    this.log10FalseAlarmProbability = verdict.log10FalseAlarmProbability;
    this.accusationThreshold = fields.accusationThreshold;
    this.method = this.found ? verdict.method : null;
    this.score = verdict.score;
    this.framesAnalyzed = verdict.framesAnalyzed;
    this.secondsAnalyzed = verdict.secondsAnalyzed;
    this.stoppedEarly = fields.stoppedEarly;
    this.sync = verdict.sync ? { ...verdict.sync } : null;
    const accused = new Set(verdict.accused);
    const scored =
      verdict.candidates.length > 0
        ? verdict.candidates
        : verdict.decoded.map((d) => ({ ...d, accused: accused.has(d.id) && d.falseAlarmProbability < fields.accusationThreshold }));
    this.candidates = [...scored]
      .sort((a, b) => b.score - a.score)
      .map((c) => ({ id: c.id, partner: nameOf(c.id), score: c.score, falseAlarmProbability: c.falseAlarmProbability, accused: c.accused }));
    this.input = fields.input;
    this.keyId = fields.keyId;
    this.version = fields.version;
    this.timeline = verdict.timeline.map((t) => ({ time: t.time, score: t.score }));
  }

  /** The `extract --json` contract. */
  toJSON(): DetectionJSON {
    const r3 = (v: number) => Math.round(v * 1000) / 1000;
    return {
      found: this.found,
      id: this.id === null ? null : this.id.toString(),
      partner: this.partner,
      falseAlarmProbability: this.falseAlarmProbability,
      log10FalseAlarmProbability: r3(this.log10FalseAlarmProbability),
      accusationThreshold: this.accusationThreshold,
      method: this.method,
      score: r3(this.score),
      framesAnalyzed: this.framesAnalyzed,
      secondsAnalyzed: r3(this.secondsAnalyzed),
      stoppedEarly: this.stoppedEarly,
      sync: this.sync
        ? {
            scale: r3(this.sync.scale),
            scaleX: r3(this.sync.scaleX),
            scaleY: r3(this.sync.scaleY),
            offsetX: r3(this.sync.offsetX),
            offsetY: r3(this.sync.offsetY),
          }
        : null,
      candidates: this.candidates.map((c) => ({
        id: c.id.toString(),
        partner: c.partner,
        score: r3(c.score),
        falseAlarmProbability: c.falseAlarmProbability,
        accused: c.accused,
      })),
      input: { ...this.input },
      keyId: this.keyId,
      version: this.version,
      timeline: this.timeline.map((t) => ({ time: r3(t.time), score: r3(t.score) })),
    };
  }
}
