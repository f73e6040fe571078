/**
 * The result of an extraction, and its JSON form, which is the CLI's `extract --json` contract: field names here are
 * stable; fields may be added.
 */
import type { NominalFit, WatermarkVerdict } from '../watermark/index.js';
import { deliveryRecordToJSON } from '../ledger.js';
import type { DeliveryRecord, DeliveryRecordJSON, Ledger, LedgerWarning } from '../ledger.js';

/** The geometry the detector found, in input pixels. */
export interface DetectionSync {
  /**
   * Mean scale of the leak relative to the marked master (0.667 for a 1080p master leaked at 720p). The master's
   * height is not known to a blind detector: the scale is relative to `masterHeight` (default 1080 lines).
   */
  readonly scale: number;
  readonly scaleX: number;
  readonly scaleY: number;
  /**
   * Offset of the master's origin in the leak (crop, pad), input pixels; of the leak flipped and turned back when
   * `mirrored` or `rotation` say it was.
   */
  readonly offsetX: number;
  readonly offsetY: number;
  /** Tile period found in the leak, input pixels (the offsets are known modulo these). */
  readonly periodX: number;
  readonly periodY: number;
  /**
   * The leak is a mirror image of the master (flipped left to right); with `rotation` 180, flipped top to bottom.
   */
  readonly mirrored: boolean;
  /**
   * Degrees the leak is turned clockwise (after the flip, when `mirrored`): 0, 180 (upside down), or a small angle
   * (a tilted re-upload), on a half-degree grid (the evidence changes little within a few tenths of a degree: a leak
   * turned 1.8 degrees read as 1.5). The offsets are those of the leak turned back about its centre.
   */
  readonly rotation: number;
  /** Evidence of the reference (synchronisation) tile, in standard deviations of the null. */
  readonly z: number;
  /**
   * The geometry is one the picture's size gives (a nominal sync, read at every look), where the accused ID's
   * evidence was read; not one the synchronisation search found. Absent from reports saved before it existed.
   */
  readonly nominal?: boolean;
  /**
   * Which nominal geometry, when `nominal`: `rescale` (a plain rescale of the whole master), `width` or `height` (the
   * master, 16:9, fitted to the picture's width or height and centred: the other axis cropped or padded). Absent
   * otherwise, and from reports saved before the fits existed (then a plain rescale).
   */
  readonly nominalFit?: NominalFit;
  /**
   * Probability that an input without this key's mark shows a synchronisation this strong, every period, position
   * and look searched counted (a bound). The reference tile is the same in every delivery under a key, so this says
   * whether a copy marked with this key is there, not whose: `sync` is reported without an accusation only when it
   * is below 1e-3.
   */
  readonly falseAlarmProbability: number;
}

/** The verdict at one look of the detector: how the evidence accumulated as the input was read. */
export interface DetectionLook {
  /** Seconds of the input analysed at this look. */
  readonly time: number;
  /** Frames analysed at this look. */
  readonly frames: number;
  /** Best ID's score (z) at this look. */
  readonly score: number;
  /** Reference (synchronisation) tile's z at this look. */
  readonly syncZ: number;
  /** False-alarm probability of the best ID at this look (floored at 1e-300). */
  readonly falseAlarmProbability: number;
}

/** The analysis settings a detection was made with: what a report needs to reproduce it. */
export interface DetectionParameters {
  /** The candidate IDs scored, or null for free decoding. */
  readonly candidates: readonly bigint[] | null;
  /** The registry the candidates came from, when one was given. */
  readonly registry: string | null;
  /**
   * Whether the candidates are the delivery ledger's IDs under the key (a ledger given without candidates or
   * partners). Absent from reports saved before it existed.
   */
  readonly candidatesFromLedger?: boolean;
  readonly maxSeconds: number | null;
  readonly fullScan: boolean;
  /** Every frame decoded (true), or every frame of the first seconds then keyframes only (false). */
  readonly allFrames: boolean;
  /**
   * Seconds from the start in which every frame was decoded before keyframes only (ALL_FRAMES_SECONDS of the
   * version that made the detection), or null when every frame read was decoded (`allFrames`, a still, or a reading
   * that ended within those seconds).
   */
  readonly allFramesSeconds: number | null;
  /** Height of the master that `sync.scale` is relative to. */
  readonly masterHeight: number;
  /** Early stop needs the probability this many times below the threshold. */
  readonly earlyStopMargin: number;
  /** Early stop also waits while an unaccused candidate's probability is below this (a weaker colluder's evidence). */
  readonly suspectProbability: number;
  /**
   * What a keyframe weighed in the reading's sum, where other frames weigh 1: KEYFRAME_WEIGHT blind; 1 among
   * candidates, whose keyframe-weighted sum is read once more when no one is accused. Absent from reports saved
   * before it existed.
   */
  readonly keyframeWeight?: number;
  /** How many of the frames analysed were keyframes (0 where the container does not say). Absent likewise. */
  readonly keyframesAnalyzed?: number;
}

/** The ledger consulted by an extraction. */
export interface DetectionLedger {
  readonly path: string;
  /** Lines of the ledger that could not be read (skipped). */
  readonly warnings: readonly LedgerWarning[];
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
  /**
   * Frames read at the detector's look this evidence comes from: the last look, or an earlier one whose accusation
   * later, weaker looks did not withdraw (its probability then counts every look made).
   */
  readonly atFrames: number;
  /**
   * When the evidence given is that of a part of the reading rather than the whole (read among candidates): which
   * part. Null otherwise. A short part of a splice names its recipient only so (`accusedOnWhole` false); an ID
   * accused on the whole as well is given whichever of the two is stronger.
   */
  readonly part: DetectionPart | null;
  /**
   * Accused on the whole reading: the leak read from its first frame, at the last look or an earlier one whose
   * accusation stands (false when named only on a part, or not accused).
   */
  readonly accusedOnWhole: boolean;
}

/**
 * A part of the reading: the analysed frames `startFrame` (0-based, in the order read) to `endFrame` (excluded), and
 * the seconds from the first frame analysed to its start and to its end (on the timeline's clock).
 */
export interface DetectionPart {
  readonly startFrame: number;
  readonly endFrame: number;
  readonly start: number;
  readonly end: number;
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
  /** Size of the file in bytes. */
  readonly size: number;
  /** Container format as ffprobe names it (e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `png_pipe`). */
  readonly container: string;
  /** Its long name, e.g. `QuickTime / MOV`, when known. */
  readonly containerLongName: string | null;
  /**
   * The display rotation (degrees counter-clockwise) the picture was read turned by: the file's own, or 0 when it was
   * read as stored (none, or a quarter-turned file in which no one was accused as displayed).
   */
  readonly rotationApplied: number;
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
  /**
   * `falseAlarmProbability`: the synchronisation's (a bound); `nominal`, `nominalFit`: a geometry the picture's size
   * gives, not one the search found (`DetectionSync.nominal`). Absent from reports saved before they were recorded.
   */
  sync: { scale: number; scaleX: number; scaleY: number; offsetX: number; offsetY: number; periodX: number; periodY: number; mirrored: boolean; rotation: number; z: number; nominal?: boolean; nominalFit?: NominalFit; falseAlarmProbability?: number } | null;
  /** `part`, `accusedOnWhole`: absent from reports saved before they were recorded (read `accused && !part`). */
  candidates: Array<{
    id: string;
    partner: string | null;
    score: number;
    falseAlarmProbability: number;
    accused: boolean;
    atFrames: number;
    part?: { startFrame: number; endFrame: number; start: number; end: number } | null;
    accusedOnWhole?: boolean;
  }>;
  input: {
    path: string;
    sha256: string;
    kind: 'video' | 'image';
    width: number;
    height: number;
    frameRate: string | null;
    duration: number | null;
    size: number;
    container: string;
    containerLongName: string | null;
    rotationApplied: number;
  };
  keyId: string;
  version: string;
  timeline: Array<{ time: number; frames: number; score: number; syncZ: number; falseAlarmProbability: number }>;
  /** Whether candidate IDs were scored or IDs decoded freely. */
  mode: 'candidates' | 'decoded';
  /** The reference tile's correlation around the synchronisation peak, `size` x `size` z values, row-major. */
  peak: { size: number; values: number[] } | null;
  parameters: {
    candidates: string[] | null;
    registry: string | null;
    /** Absent from reports saved before it existed. */
    candidatesFromLedger?: boolean;
    maxSeconds: number | null;
    fullScan: boolean;
    allFrames: boolean;
    allFramesSeconds: number | null;
    masterHeight: number;
    earlyStopMargin: number;
    suspectProbability: number;
    /** Absent from reports saved before it existed. */
    keyframeWeight?: number;
    /** Absent from reports saved before it existed. */
    keyframesAnalyzed?: number;
  };
  /** The ledger consulted (`extract --ledger`), or null. */
  ledger: { path: string; warnings: Array<{ line: number; message: string }> } | null;
  /** Deliveries of the accused IDs under this key, from the ledger; null when no ledger was consulted. */
  deliveries: DeliveryRecordJSON[] | null;
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
  parameters: DetectionParameters;
  ledger: Ledger | null;
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
  /** The detector's looks: score and probability as evidence accumulated, against input time in seconds. */
  readonly timeline: readonly DetectionLook[];
  /** Whether candidate IDs were scored (`candidates`, `partners`) or IDs decoded freely. */
  readonly mode: 'candidates' | 'decoded';
  /**
   * The reference tile's correlation surface around the synchronisation peak: `size` x `size` z values, row-major,
   * the peak in the middle. A lone spike far above a noise floor near 0 is what a mark looks like.
   */
  readonly peak: { readonly size: number; readonly values: readonly number[] } | null;
  readonly parameters: DetectionParameters;
  /** The ledger consulted, or null. */
  readonly ledger: DetectionLedger | null;
  /**
   * Deliveries recorded in the ledger for the accused IDs under this key (every accused ID's, in ledger order);
   * null when no ledger was consulted, empty when nothing is accused or nothing was recorded.
   */
  readonly deliveries: readonly DeliveryRecord[] | null;

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
    const sync = verdict.sync;
    this.sync = sync ? { ...sync } : null; // a SyncEstimate has exactly DetectionSync's fields
    const accused = new Set(verdict.accused);
    const scored =
      verdict.candidates.length > 0
        ? verdict.candidates
        : verdict.decoded.map((d) => ({ ...d, accused: accused.has(d.id) && d.falseAlarmProbability < fields.accusationThreshold }));
    this.candidates = [...scored]
      .sort((a, b) => b.score - a.score)
      .map((c) => ({
        id: c.id,
        partner: nameOf(c.id),
        score: c.score,
        falseAlarmProbability: c.falseAlarmProbability,
        accused: c.accused,
        atFrames: c.atFrames,
        part: 'part' in c && c.part ? { ...(c.part as DetectionPart) } : null,
        accusedOnWhole: 'accusedOnWhole' in c ? (c.accusedOnWhole as boolean) : c.accused,
      }));
    this.input = fields.input;
    this.keyId = fields.keyId;
    this.version = fields.version;
    this.timeline = verdict.timeline.map((t) => ({
      time: t.time,
      frames: t.frames,
      score: t.score,
      syncZ: t.syncZ,
      falseAlarmProbability: t.falseAlarmProbability,
    }));
    this.mode = fields.parameters.candidates === null ? 'decoded' : 'candidates';
    this.peak = verdict.peak ? { size: verdict.peak.size, values: Object.freeze([...verdict.peak.values]) } : null;
    this.parameters = fields.parameters;
    const ledger = fields.ledger;
    this.ledger = ledger ? { path: ledger.path, warnings: ledger.warnings } : null;
    if (!ledger) {
      this.deliveries = null;
    } else {
      const accusedIds = new Set(this.candidates.filter((c) => c.accused).map((c) => c.id));
      if (this.id !== null) accusedIds.add(this.id);
      this.deliveries = ledger.records.filter((r) => accusedIds.has(r.id) && r.keyId === this.keyId);
    }
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
            periodX: r3(this.sync.periodX),
            periodY: r3(this.sync.periodY),
            mirrored: this.sync.mirrored,
            rotation: this.sync.rotation,
            z: r3(this.sync.z),
            nominal: this.sync.nominal === true,
            ...(this.sync.nominalFit ? { nominalFit: this.sync.nominalFit } : {}),
            falseAlarmProbability: this.sync.falseAlarmProbability,
          }
        : null,
      candidates: this.candidates.map((c) => ({
        id: c.id.toString(),
        partner: c.partner,
        score: r3(c.score),
        falseAlarmProbability: c.falseAlarmProbability,
        accused: c.accused,
        atFrames: c.atFrames,
        part: c.part ? { ...c.part } : null,
        accusedOnWhole: c.accusedOnWhole,
      })),
      input: { ...this.input },
      keyId: this.keyId,
      version: this.version,
      timeline: this.timeline.map((t) => ({
        time: r3(t.time),
        frames: t.frames,
        score: r3(t.score),
        syncZ: r3(t.syncZ),
        falseAlarmProbability: t.falseAlarmProbability,
      })),
      mode: this.mode,
      peak: this.peak ? { size: this.peak.size, values: [...this.peak.values] } : null,
      parameters: {
        candidates: this.parameters.candidates === null ? null : this.parameters.candidates.map((id) => id.toString()),
        registry: this.parameters.registry,
        candidatesFromLedger: this.parameters.candidatesFromLedger === true,
        maxSeconds: this.parameters.maxSeconds,
        fullScan: this.parameters.fullScan,
        allFrames: this.parameters.allFrames,
        allFramesSeconds: this.parameters.allFramesSeconds,
        masterHeight: this.parameters.masterHeight,
        earlyStopMargin: this.parameters.earlyStopMargin,
        suspectProbability: this.parameters.suspectProbability,
        ...(this.parameters.keyframeWeight !== undefined ? { keyframeWeight: this.parameters.keyframeWeight } : {}),
        ...(this.parameters.keyframesAnalyzed !== undefined ? { keyframesAnalyzed: this.parameters.keyframesAnalyzed } : {}),
      },
      ledger: this.ledger ? { path: this.ledger.path, warnings: this.ledger.warnings.map((w) => ({ line: w.line, message: w.message })) } : null,
      deliveries: this.deliveries === null ? null : this.deliveries.map(deliveryRecordToJSON),
    };
  }
}
