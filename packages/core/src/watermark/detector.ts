/**
 * Blind, streaming watermark detection.
 *
 * Frames arrive one by one. Each is whitened and added to an accumulator at the detector's working resolution: the
 * mark sits at the same place in every frame, so it adds up coherently while moving content averages out (frame
 * rate changes and trimming do not matter). In a blind reading a keyframe weighs KEYFRAME_WEIGHT frames (after a
 * heavy re-encode it carries the mark afresh, the frames predicted from it much less); among candidates every frame
 * weighs the same, and the keyframe-weighted sum gets one more look when no one is accused. At scheduled looks (after 12 frames, then every 4x more, 2x once locked)
 * the accumulator is searched for the tile's period (scale, aspect kept or not) and origin (crop, pad) with the
 * reference tile, and the payload tiles are read at the synchronised position: free decoding of the ID (with the
 * two best peaks per tile, so that two averaged copies can both be decoded) and a soft score for every candidate ID.
 *
 * Null model and false-alarm probability. Under "this content carries no mark of this key at this position", a
 * correlation surface value, over the surface's spread, is standard normal (checked on many null trials by the bench). Every
 * probability is Bonferroni-corrected for everything searched: the period hypotheses each look could search (also
 * the mirror image's at the final look, and the half turns' and small rotations' when one of them is taken) x CELLS^2
 * positions for synchronisation;
 * looks x sync hypotheses x 2^48 valid codewords for a freely decoded ID; looks x sync hypotheses x candidates for
 * candidate scores over the whole reading, and parts read x syncs x candidates for those scored on parts of it
 * (windows of the reading read on their own, so that a short part spliced in from another recipient's copy names
 * its recipient: `part-windows.ts`), the two sharing the candidates' budget (PART_BUDGET_SHARE). The payload scores
 * do not use the reference tile, which every recipient's copy shares, so another recipient's copy is a null for
 * every innocent candidate.
 *
 * This module schedules the looks and holds the search's state; the periods it searches are made in
 * `period-hypotheses.ts`, the list decoder and its kin (erasure, recalled IDs, explaining away) are in
 * `free-decoding.ts`, the candidates' joint peaks in `joint-peak.ts`, accusations across looks in `accusations.ts`,
 * and the windows of the reading in `part-windows.ts`.
 */
import { UsageError } from '../errors.js';
import { AccusationRecord, type StandingAccusation, type Accusation, type LookTrials } from './accusations.js';
import { judgeCandidates } from './candidate-scores.js';
import { surfaceStats, subCellOffset, TileCorrelator } from './correlator.js';
import {
  CodewordDecoder,
  erasureDecode,
  explainAwayDecoded,
  LIST_DEPTH,
  listDecode,
  readRecalled,
  readTiles,
  shiftAt,
  topPeaks,
  withNeighbours,
  type DecodedEntry,
  type Recalled,
} from './free-decoding.js';
import { isWatermarkKey, type WatermarkKey } from './key.js';
import { encodeId, ID_BITS, MAX_ID } from './payload.js';
import { CELLS, keySpectra, PAYLOAD_TILES, TILE_PERIOD_PER_HEIGHT, tilePeriodFor, type Shift } from './pattern.js';
import { nominalSyncs, periodFits, periodHypotheses, periodTag, sweepPeriodsEvery, SWEEP_MAX, SWEEP_MIN, SWEEP_STEP, type Hypothesis, type NominalFit, type NominalSync } from './period-hypotheses.js';
import { checkPlane, type LumaPlane } from './plane.js';
import { fromLog10, log10Bonferroni, round3, scoreForProbability } from './statistics.js';
import { TurnKernel } from './kernels/turn-kernel.js';
import { HALF_TURNS, isSmallRotation, isUpright, orientationTag, ROTATION_REFINE, SMALL_ROTATIONS, SMALL_ROTATIONS_COUNTED, turnBack, type Orientation } from './orientation.js';
import { shiftOf, symbolOf } from './symbols.js';
import { Whitener, whitenRadius } from './whiten.js';
import { JointPeaks } from './joint-peak.js';
import { PartWindows, type PartRange, type PartStart } from './part-windows.js';

/** Default accusation threshold: an ID is reported only when its false-alarm probability is below this. */
export const ACCUSATION_THRESHOLD = 1e-9;
/** `certain` (early stop) needs the verdict this many times below the accusation threshold. */
export const EARLY_STOP_MARGIN = 1e-3;
/**
 * Early stop waits while an unaccused candidate's false-alarm probability is below this: evidence that is not noise
 * yet not conclusive (an innocent candidate gets here about once in 10^3 looks; waiting only costs reading time).
 */
export const SUSPECT_PROBABILITY = 1e-3;
/** Frames analysed at the working resolution are at most this tall. */
export const WORKING_HEIGHT = 540;
/**
 * The weight of a keyframe in the accumulator, where every other frame weighs 1: a keyframe counts as a second of
 * 24 fps video. A re-encoder codes a keyframe on its own, with more bits (x264 gives I frames a lower quantiser),
 * so it carries the mark afresh; its P and B frames are mostly predicted from it, and at low bitrates their own
 * residual, where a mark fixed in the frame under moving content would be renewed, is largely quantised away. After
 * 640x360 H.264 CRF 35 of a 10 s `texture` leak, the keyframe alone holds the whole mark's evidence of all 240
 * frames summed evenly (z 10.1 against 11.0), and the other 239 add to it much less than they add noise. Measured
 * over the bench's five contents and five keys (docs/WATERMARK.md, Detection step 3).
 */
export const KEYFRAME_WEIGHT = 24;
/**
 * Working pictures shorter than this (leaks under 540 lines) read among candidates also keep the evenly weighted
 * accumulator (`Whitener.evenAccumulator`), whose candidates are scored when the usual one gives no verdict
 * (`result`). Measured over five bench keys (bench/README.md): the whitening without the extra weight names the
 * recipients of 640x360 CRF 35 leaks of busy pictures that the usual one misses, while the usual one keeps its lead
 * on the rest; full-size leaks, where the usual one missed none of those runs' rows, do not pay its sweep.
 */
const EVEN_WHITENING_BELOW = WORKING_HEIGHT;
/**
 * Free decoding of working pictures shorter than this (leaks under 540 lines) also reads the payload half a cell away
 * from the reference's sub-cell offset (`decodeAtOffsets`), at final looks, when the usual reading decodes nothing
 * significant. Full-size leaks missed none of the bench's rows over five keys, and would pay it on every reading.
 */
const OFFSET_SEARCH_BELOW = WORKING_HEIGHT;
/**
 * The payload offsets tried there, in cells, added to the reference's: a half-cell grid (every sub-cell position is
 * within a quarter cell of one of them or of the reference's own). A surface read half a cell one way is the surface
 * read half a cell the other way moved by one cell, so three sets of surfaces give all eight: each is read with the
 * reference peak where it is, and one cell back along each axis that has a half-cell offset.
 */
const HALF_CELL_SURFACES: ReadonlyArray<readonly [number, number]> = [[0.5, 0], [0, 0.5], [0.5, 0.5]];
const PAYLOAD_OFFSETS = HALF_CELL_SURFACES.reduce((n, [ox, oy]) => n + (ox ? 2 : 1) * (oy ? 2 : 1), 0);
/**
 * The share of the free decoder's false-alarm budget spent on those offsets (a weighted Bonferroni bound): IDs read
 * at the reference's offset count 1 / (1 - share) times the usual trials (looks x syncs x 2^48), IDs read at one of
 * the others (final looks x syncs x 2^48) x PAYLOAD_OFFSETS / share, the syncs there being OFFSET_SEARCH_SYNCS and
 * the nominal ones (each around its own sub-cell offset).
 */
const OFFSET_BUDGET_SHARE = 0.1;
/** The syncs read at the other payload offsets (the best ones). */
const OFFSET_SEARCH_SYNCS = 3;
/**
 * Parts of the reading (`part-windows.ts`) are read at this many of the best syncs of the look before, and their
 * candidates' tests take this share of the false-alarm budget (a weighted Bonferroni bound): a candidate read in a
 * part counts (parts read x syncs x candidates) / share trials, one read over the whole reading its usual trials /
 * (1 - share).
 */
const PART_SYNCS = 3;
const PART_BUDGET_SHARE = 0.2;
/** Reference master height used to express the found scale when the master's height is not given. */
export const DEFAULT_MASTER_HEIGHT = 1080;

/** Sync hypotheses at which payloads are read. */
const SYNC_CANDIDATES = 10;
/** Finer uniform steps (in sweep steps) tried around the three strongest hypotheses. */
const REFINE_STEPS = [-0.75, -0.5, -0.25, 0.25, 0.5, 0.75];
/** Candidate x sync-hypothesis pairs searched jointly per look (bounds the cost with long candidate lists). */
const JOINT_BUDGET = 384;
/** Syncs at which the payload is decoded freely (`listDecode`, `erasureDecode`), the best first. */
const FREE_DECODE_SYNCS = 3;
/**
 * IDs decoded at earlier looks that are read again at every later one (`recalled`): at most this many, the strongest,
 * and only those whose score after explaining away reached this share of the score an accusation needed then.
 */
const RECALL_SIZE = 16;
const RECALL_MIN_SHARE = 0.6;
/** The coarse sweep runs at half resolution when the tile period is at least this many working pixels. */
const COARSE_MIN_PERIOD = 1.6 * CELLS;
/** Coarse hypotheses re-evaluated at full resolution. */
const COARSE_KEEP = 12;
/**
 * The coarse sweep ranks on coarse tiles (`coarsePairStats`) when the working picture is at least this tall (inputs
 * of 540 lines or more: the reduced accumulator then holds 1.5 pixels per cell of the height-fit period), and on
 * full tiles below. The full robustness matrix at 38ab604, which used coarse tiles at every size, gave the same
 * verdict as full tiles on 1,047 of its 1,048 rows; the other was a 640 x 360 CRF 35 leak (one pixel per cell), whose
 * true period the coarse tiles ranked 20th (z 4.24) where full tiles ranked it 4th (4.71), so that it was no longer
 * named among candidates from 10 s (bench/README.md).
 */
const COARSE_TILE_MIN_HEIGHT = 540;
/**
 * The coarse sweeps of the half turns and small rotations (`searchOtherOrientations`) try every third period of the
 * uniform sweep (1.2% apart), the best then re-evaluated a step either side and refined like any other. The angle
 * grid's own error (half a degree moves a 960 x 540 picture's corners 4.8 px, 1.6 cells) is four times what the
 * uniform grid's half step (0.2%) moves them, and the 1.2% grid's worst case (0.6%: 1.1 cells) still ranks the true
 * period among the strongest: on 45 turned leaks of the bench's deliveries (2 s, five contents, 1080p to 360p, CRF
 * 28 to 33, turned 1.5 to 4.5 degrees or flipped top to bottom; ad hoc, 2026-11-23) every verdict, score, sync z
 * and angle was the same as with every period swept: blind from 2 s, blind from 0.5 s (25 of them) and among
 * candidates (the 20 at CRF 30-33). The multiplicity still counts every uniform period (a bound).
 */
const TURNED_STRIDE = 3;
/**
 * Turned copies of the accumulator kept at once (`planeOf`): each is a working-size plane (2 MB at 960 x 540).
 * Eight hold the rotations the best of a search usually spans, so that refining them does not turn them again.
 */
const ORIENTED_PLANES = 8;
/**
 * Looks happen after 12 frames, then each time the frame count has grown LOOK_GROWTH times (12, 48, 192, 768, ...)
 * while synchronisation is still being searched (a full sweep: about 1 s on two loaded cores), or LOCKED_LOOK_GROWTH
 * times once it is locked (a neighbourhood search: cheap, and a finer record of how the evidence grew), and at the
 * end: an early verdict from half a second of a strong leak, and few full sweeps on content that carries no mark.
 */
const LOOK_GROWTH = 4;
const LOCKED_LOOK_GROWTH = 2;
/** log10 of the synchronisation false-alarm probability below which later looks search only near the best sync. */
const LOCK_LOG10 = -6;
/** log10 of the synchronisation false-alarm probability below which the geometry is reported without an ID. */
const SYNC_REPORT_LOG10 = -3;
const Z_NORM = 1 / Math.sqrt(PAYLOAD_TILES);

export interface DetectorOptions {
  key: WatermarkKey;
  /** Size of the frames of the input (the leak), in pixels. */
  inputWidth: number;
  inputHeight: number;
  /** IDs actually issued: each is scored, and every one whose false-alarm probability passes is accused. */
  candidates?: readonly bigint[];
  /** False-alarm probability below which an ID is accused; default {@link ACCUSATION_THRESHOLD}. */
  accusationThreshold?: number;
  /** Master height used to express `sync.scale`; default 1080. */
  masterHeight?: number;
  /**
   * Among candidates, also score them on parts of the reading (windows of 48, 96 and 192 analysed frames), so that
   * a short part spliced in from another recipient's copy names that recipient too (default true; `part-windows.ts`).
   */
  parts?: boolean;
  /**
   * Run the whitening (8-bit planes) and the correlation transforms in their WebAssembly SIMD kernels where the
   * runtime has them (default true). `false` forces the portable TypeScript paths (f64 correlation); the two agree to
   * about 1e-5 in z, with the same peaks.
   */
  simd?: boolean;
}

/** The reference tile's correlation around a position: `size` x `size` z values, row-major, the position in the middle. */
export interface Peak {
  size: number;
  values: number[];
}

export interface SyncEstimate {
  /** Leak size over master size (mean of the two axes); with `scaleX`, `scaleY` per axis. */
  scale: number;
  scaleX: number;
  scaleY: number;
  /** Where the master's tile origin falls in the leak, in leak pixels, modulo the tile period. */
  offsetX: number;
  offsetY: number;
  /** Tile period found, in leak pixels. */
  periodX: number;
  periodY: number;
  /**
   * The leak is a mirror image of the master (flipped left to right, as re-uploads often are to evade matching);
   * the offsets are then those of the leak flipped back. With `rotation` 180: flipped top to bottom.
   */
  mirrored: boolean;
  /**
   * Degrees the leak is turned clockwise (after the flip, when `mirrored`): 0; 180 (upside down); or a small angle,
   * on a half-degree grid, for a tilted re-upload (searched from -5.5 to 5.5). The offsets are then those of the leak
   * turned back about its centre.
   */
  rotation: number;
  /** Reference-tile evidence (z) and its false-alarm probability after every hypothesis searched. */
  z: number;
  /**
   * A nominal sync's geometry (read at every look: `nominalSyncs`), where the evidence reported was read; false: found
   * by the synchronisation search.
   */
  nominal: boolean;
  /**
   * Which, when `nominal`: `rescale`, a plain rescale of the whole master; `width` or `height`, the master (16:9)
   * fitted to the picture's width or height and centred (the other axis cropped or padded).
   */
  nominalFit?: NominalFit;
  falseAlarmProbability: number;
}

export interface CandidateScore {
  id: bigint;
  /** Soft payload correlation, in standard deviations of the null. */
  score: number;
  falseAlarmProbability: number;
  accused: boolean;
  /**
   * Frames analysed at the look this evidence comes from: the last look, or an earlier one whose accusation a later,
   * weaker look did not withdraw (its probability counted with every look made since).
   */
  atFrames: number;
  /** When the evidence is that of a part of the reading, not of the whole (a splice): which part. */
  part: PartRange | null;
  /**
   * Accused, and on the whole reading (from the first frame to this look, or to an earlier one whose accusation
   * stands; among candidates or decoded), whichever evidence is given: false when named only on a part, or not
   * accused. An ID accused both ways is given its stronger evidence, which may be a part's.
   */
  accusedOnWhole: boolean;
}

export interface TimelinePoint {
  /** Seconds of input analysed at this look. */
  time: number;
  frames: number;
  /** Evidence at this look: best candidate or decoded score (z), and the reference tile's z. */
  score: number;
  syncZ: number;
  falseAlarmProbability: number;
}

export interface WatermarkVerdict {
  found: boolean;
  /** The accused ID (strongest), or null. */
  id: bigint | null;
  falseAlarmProbability: number;
  /** log10 of the false-alarm probability, exact where the number would underflow. */
  log10FalseAlarmProbability: number;
  score: number;
  /** How the ID was obtained: scored against the candidate list, or decoded freely. */
  method: 'candidates' | 'decoded' | null;
  /**
   * Every ID accused. Among candidates, two or more when copies were combined; blind, a second ID is decoded only
   * where its own evidence suffices (two averaged copies read blind may name only one of them: give the candidates).
   */
  accused: bigint[];
  /** The geometry found: null unless an ID was accused or the reference tile alone is significant (p < 1e-3). */
  sync: SyncEstimate | null;
  candidates: CandidateScore[];
  /** Freely decoded IDs that passed their check bits, strongest first, with their scores. */
  decoded: Array<{ id: bigint; score: number; falseAlarmProbability: number; atFrames: number }>;
  framesAnalyzed: number;
  secondsAnalyzed: number;
  timeline: TimelinePoint[];
  /**
   * The reference tile's correlation around the geometry reported (`sync`), at the look the verdict's accusation was
   * read at (or around the best sync's peak when no geometry is reported): [size, size] z values, row-major.
   */
  peak: Peak | null;
  accusationThreshold: number;
}

interface Evaluated extends Hypothesis {
  z: number;
  peakIndex: number;
}

/**
 * Working size for an input: the input's own size up to 1.1 x WORKING_HEIGHT lines (594; odd sizes kept), else
 * WORKING_HEIGHT lines tall with the aspect kept and an even width. `addFrame` takes frames of exactly this size.
 */
export function workingSizeFor(width: number, height: number): { width: number; height: number; factor: number } {
  if (height <= WORKING_HEIGHT * 1.1) return { width, height, factor: 1 };
  const factor = WORKING_HEIGHT / height;
  const w = Math.max(2, Math.round((width * factor) / 2) * 2);
  return { width: w, height: WORKING_HEIGHT, factor: WORKING_HEIGHT / height };
}

export class WatermarkDetector {
  readonly workingWidth: number;
  readonly workingHeight: number;
  /** Working size over input size. */
  readonly workingFactor: number;
  readonly accusationThreshold: number;
  private readonly key: WatermarkKey;
  private readonly masterHeight: number;
  private readonly candidateIds: bigint[];
  private readonly candidateShifts: Shift[][];
  private readonly whitener: Whitener;
  /** The accumulator a look searches: the whitener's, or its evenly weighted one during `lookEven`. */
  private accumulator: Float32Array;
  private readonly correlator: TileCorrelator;
  /** Whether the WebAssembly kernels may be used (`DetectorOptions.simd`). */
  private readonly simd: boolean;
  /** The candidates' joint peaks (test (ii) of `readPayload`), over the surfaces of one sync at a time; null without candidates. */
  private readonly jointPeaks: JointPeaks | null;
  /** The turning kernel (`turnBack`'s inner loop), made at the first turn; null where WebAssembly is unavailable. */
  private turnKernel: TurnKernel | null | undefined;
  /** The period hypotheses in the picture as it is, and the same periods in its mirror image. */
  private readonly upright: Hypothesis[];
  private readonly mirrored: Hypothesis[];
  /** The uniform sweep's periods (aspect kept), searched in the half turns and small rotations. */
  private readonly uniform: Hypothesis[];
  /** What the coarse sweeps of the other orientations search: every TURNED_STRIDE-th uniform period (see there). */
  private readonly turnedGrid: Hypothesis[];
  private readonly surfaces: Float64Array[];
  /** The nominal syncs (`NominalSync`): none when their period is not one the detector can read. */
  private readonly nominals: NominalSync[];
  /** Scratch: one ID's payload tiles' z (`readTiles`). */
  private readonly tileValues = new Float64Array(PAYLOAD_TILES);
  private frames = 0;
  private framesAtLastLook = 0;
  private nextLook = 12;
  private looks = 0;
  private firstTime = Infinity;
  private lastTime = -Infinity;
  private minInterval = Infinity;
  /** The frame count when the last frame with a time was added (the end of a part ending now is timed only then). */
  private lastTimedFrame = 0;
  private best: Evaluated[] = [];
  private locked = false;
  private reduced = new Float32Array(0);
  /** The look `reduced` was made at, and its turned copy (`reducedOf`). */
  private reducedAt = -1;
  private reducedTurned = new Float32Array(0);
  /**
   * The accumulator turned back from other orientations (`planeOf`), made at each look that searches them: the most
   * recently used ORIENTED_PLANES, by orientation tag, with the look they were made at.
   */
  private readonly oriented = new Map<string, { plane: Float32Array; look: number }>();
  /** Planes filled so far (the accumulator's turned copies and the coarse sweep's reduced copy): their versions. */
  private fills = 0;
  /** Frame count at the last final look (the mirror image searched unless clearly synchronised; -1: none yet). */
  private orientationsSearchedAt = -1;
  /** Frame count at the last look that searched the half turns and small rotations (-1: none yet). */
  private turnsSearchedAt = -1;
  /** Frame count at the last look at the evenly weighted accumulator (`lookEven`; -1: none yet). */
  private evenSearchedAt = -1;
  /** Frame count at the last look at the keyframe-weighted sum (`lookKeyframes`; -1: none yet). */
  private keyframesSearchedAt = -1;
  /** Keyframes added so far (`addFrame`). */
  private keyframes = 0;
  /** Whether keyframes weigh KEYFRAME_WEIGHT in the accumulator (blind readings) or 1 (among candidates). */
  private readonly keyframesWeighted: boolean;
  /** Whether looks decode IDs freely (false during `lookEven`, which scores the candidates only). */
  private freeDecoding = true;
  /** Period hypotheses counted over every look so far (the synchronisation search's multiplicity, with CELLS^2). */
  private hypothesisLooks = 0;
  /** Syncs at which candidates were searched jointly, over every look so far (the joint test's multiplicity). */
  private jointReads = 0;
  /** Final looks that read small leaks' payload at other offsets, so far (`decodeAtOffsets`: their multiplicity). */
  private offsetLooks = 0;
  private verdict: WatermarkVerdict | null = null;
  /** The copies of the accumulator that parts of the reading are read from; null: parts not read. */
  private readonly parts: PartWindows | null;
  /**
   * Parts read so far (their multiplicity), how many of them the last look counted, and whether one accused someone
   * (kept in the record) since.
   */
  private partsRead = 0;
  /** The orientation (`orientationTag`) of the best sync windows were last read at; null: none read yet. */
  private partsOrientation: string | null = null;
  private partsCounted = 0;
  private partAccused = false;
  /** The synchronisation's log10 probability at the last look (what a part's accusation is read at). */
  private log10SyncNow = 0;
  /** The trials the last look counted (`readPayload`), and the sub-cell offsets of the syncs it read (`best`'s). */
  private lastTrials: LookTrials | null = null;
  private lastSubs: Array<{ dx: number; dy: number }> = [];
  /** The reference's correlation around each of those syncs' peaks (`Peak`), at that look. */
  private lastPeaks: Peak[] = [];
  /** Counts the planes looks and parts search (what turned copies of them are made for: `planeOf`). */
  private generation = 0;
  /** Decodes codewords, remembering them (each decode costs eight HMACs). */
  private readonly codewords: CodewordDecoder;
  /**
   * IDs decoded at earlier looks, with their tiles' symbols and the best five-tile sum they had, read again at every
   * later look (`readPayload`): a marginal leak's ID decoded at one look can be missed by the next one's list decoder
   * (one tile's true peak fell below a noise peak) even as its evidence grows.
   */
  private readonly recalled = new Map<bigint, Recalled>();
  /**
   * Every accusation made at any look, with the scores it was made on (`Accusation`): a later look's weaker evidence
   * does not withdraw it, and its probability is counted again at each look with every look made so far.
   */
  private readonly accusations = new AccusationRecord();
  private readonly timeline: TimelinePoint[] = [];

  constructor(options: DetectorOptions) {
    const { key, inputWidth, inputHeight } = options;
    if (!isWatermarkKey(key)) throw new UsageError('Expected key to be a WatermarkKey (from createKey, keyFromSecret or loadKey)');
    if (!Number.isInteger(inputWidth) || !Number.isInteger(inputHeight) || inputWidth < 16 || inputHeight < 16) {
      throw new UsageError(`Expected an input of at least 16x16 pixels but received ${inputWidth}x${inputHeight}`);
    }
    const threshold = options.accusationThreshold ?? ACCUSATION_THRESHOLD;
    if (!(threshold > 0 && threshold < 1)) {
      throw new UsageError(`Expected accusationThreshold in (0, 1) but received ${String(options.accusationThreshold)}`);
    }
    const masterHeight = options.masterHeight ?? DEFAULT_MASTER_HEIGHT;
    if (!(Number.isInteger(masterHeight) && masterHeight >= 16 && masterHeight <= 65536)) {
      throw new UsageError(`Expected masterHeight to be an integer from 16 to 65536 but received ${String(options.masterHeight)}`);
    }
    const candidates = options.candidates ?? [];
    if (!Array.isArray(candidates) || candidates.some((id) => typeof id !== 'bigint' || id < 0n || id > MAX_ID)) {
      throw new UsageError(`Expected candidates to be an array of bigint IDs from 0 to ${MAX_ID}`);
    }
    this.key = key;
    this.accusationThreshold = threshold;
    this.masterHeight = masterHeight;
    this.candidateIds = [...new Set(candidates)];
    this.candidateShifts = this.candidateIds.map((id) => encodeId(key, id));
    this.codewords = new CodewordDecoder(key);
    const size = workingSizeFor(inputWidth, inputHeight);
    this.workingWidth = size.width;
    this.workingHeight = size.height;
    this.workingFactor = size.factor;
    const fitPeriod = TILE_PERIOD_PER_HEIGHT * this.workingHeight;
    this.simd = options.simd ?? true;
    this.jointPeaks = this.candidateIds.length > 0 ? new JointPeaks(this.simd) : null;
    const even = this.workingHeight < EVEN_WHITENING_BELOW && this.candidateIds.length > 0;
    // Blind, keyframes weigh KEYFRAME_WEIGHT in the sum; among candidates every frame weighs the same (a part
    // spliced in from another copy keeps its share), and the keyframes are summed apart for `lookKeyframes`.
    this.keyframesWeighted = this.candidateIds.length === 0;
    this.whitener = new Whitener(this.workingWidth, this.workingHeight, whitenRadius(fitPeriod / CELLS), this.simd, even, !this.keyframesWeighted);
    this.accumulator = this.whitener.accumulator;
    this.correlator = new TileCorrelator(keySpectra(key), { simd: options.simd });
    this.upright = periodHypotheses(size.width, size.height, size.factor);
    if (this.upright.length === 0) {
      throw new UsageError(`Expected a picture the mark's tile fits in (see WatermarkDetector.canRead) but received ${inputWidth}x${inputHeight}`);
    }
    this.mirrored = this.upright.map((h) => ({ ...h, mirrored: true }));
    this.uniform = this.upright.filter((h) => h.periodX === h.periodY);
    this.turnedGrid = sweepPeriodsEvery(TURNED_STRIDE, this.uniform, fitPeriod);
    this.surfaces = Array.from({ length: PAYLOAD_TILES + 1 }, () => new Float64Array(CELLS * CELLS));
    this.nominals = nominalSyncs(inputWidth, inputHeight, size.width, size.height, this.masterHeight);
    this.parts = this.candidateIds.length > 0 && options.parts !== false ? new PartWindows(this.workingWidth * this.workingHeight) : null;
  }

  /**
   * Whether a picture of this size can be searched at all: no tile period shorter than 96 pixels is searched (its
   * cells would be under a pixel), the sweep reaches 1.6 times the height-fit period (so at least 85 pixels tall),
   * and a period may be at most twice the picture's width (so at least 48 wide, more for tall pictures).
   */
  static canRead(inputWidth: number, inputHeight: number): boolean {
    if (!(inputWidth >= 16 && inputHeight >= 16)) return false;
    const size = workingSizeFor(inputWidth, inputHeight);
    return periodHypotheses(size.width, size.height, size.factor).length > 0;
  }

  /**
   * Whether the mark embedded in a picture of this size can be read back from it, at its own size: the tile period
   * the embedder uses (`tilePeriodFor`: at least 128 pixels) must be among the periods the detector searches. Small
   * pictures fail where `canRead` passes (under 113 lines, 128 pixels is beyond the sweep; and a picture narrower
   * than half the period).
   */
  static canReadBack(inputWidth: number, inputHeight: number): boolean {
    if (!WatermarkDetector.canRead(inputWidth, inputHeight)) return false;
    const size = workingSizeFor(inputWidth, inputHeight);
    const period = tilePeriodFor(inputHeight) * size.factor;
    const fit = TILE_PERIOD_PER_HEIGHT * size.height;
    return period >= SWEEP_MIN * fit && period <= SWEEP_MAX * fit && periodFits(period, period, size.width, size.height);
  }

  /**
   * The least height `canRead` and `canReadBack` accept (with a wide enough picture), and the least width each
   * accepts at `height` (Infinity if none): what an error message can tell the user.
   */
  static sizeLimits(height: number): { readHeight: number; readWidth: number; markHeight: number; markWidth: number } {
    const least = (ok: (v: number) => boolean, from: number, to: number) => {
      for (let v = from; v <= to; v++) if (ok(v)) return v;
      return Infinity;
    };
    const h = Math.max(16, Math.round(height));
    return {
      readHeight: least((v) => WatermarkDetector.canRead(4 * v, v), 16, 1080),
      readWidth: least((v) => WatermarkDetector.canRead(v, h), 16, 4 * h + 16),
      markHeight: least((v) => WatermarkDetector.canReadBack(4 * v, v), 16, 1080),
      markWidth: least((v) => WatermarkDetector.canReadBack(v, h), 16, 4 * h + 16),
    };
  }

  /** Whether the correlation transforms run in the WebAssembly SIMD kernel. */
  get usesSimd(): boolean {
    return this.correlator.usesSimd;
  }

  /** Number of frames added so far. */
  get framesAnalyzed(): number {
    return this.frames;
  }

  /** Number of looks (evaluations of the evidence: synchronisation search and payload reading) run so far. */
  get lookCount(): number {
    return this.looks;
  }

  /**
   * True once the verdict is certain (the caller may stop): an ID accused with a margin below the threshold, and no
   * candidate left in doubt. When two recipients' copies are averaged or spliced, the weaker one's evidence builds
   * beside the stronger's; stopping as soon as the stronger is certain could leave the other unnamed (seen on a 1 s
   * 640x360 average: 6.3 where 6.8 was needed, at 12 frames). So reading goes on while an unaccused candidate's
   * probability is below SUSPECT_PROBABILITY.
   */
  get certain(): boolean {
    const v = this.verdict;
    if (v === null || !v.found || v.falseAlarmProbability >= this.accusationThreshold * EARLY_STOP_MARGIN) return false;
    return !v.candidates.some((c) => !c.accused && c.falseAlarmProbability < SUSPECT_PROBABILITY);
  }

  /** What a keyframe weighs in the accumulator: KEYFRAME_WEIGHT blind, 1 among candidates (`lookKeyframes`). */
  get keyframeWeight(): number {
    return this.keyframesWeighted ? KEYFRAME_WEIGHT : 1;
  }

  /** How many of the frames added so far were keyframes (`addFrame`'s `keyFrame`). */
  get keyframeCount(): number {
    return this.keyframes;
  }

  /**
   * Adds one frame's luma, at the working size (`workingWidth` x `workingHeight`). `timeSeconds` is its
   * presentation time in the input; `keyFrame` says the input's codec coded it on its own (a keyframe, which weighs
   * KEYFRAME_WEIGHT frames in the accumulator; leave it false when the input does not say). Runs a look when one is due; among candidates, every 24 frames (`PART_HOP`), reads the
   * windows of the reading that end there (once synchronised) and keeps a copy of the accumulator for those that
   * start there (`part-windows.ts`).
   */
  addFrame(plane: LumaPlane, timeSeconds = this.frames / 24, keyFrame = false): void {
    checkPlane(plane);
    if (plane.width !== this.workingWidth || plane.height !== this.workingHeight) {
      throw new UsageError(
        `Expected a ${this.workingWidth}x${this.workingHeight} plane (the detector's working size) but received ${plane.width}x${plane.height}`,
      );
    }
    this.whitener.accumulate(plane, keyFrame && this.keyframesWeighted ? KEYFRAME_WEIGHT : 1, keyFrame);
    this.frames++;
    if (keyFrame) this.keyframes++;
    if (Number.isFinite(timeSeconds)) {
      if (this.lastTime > -Infinity && timeSeconds > this.lastTime) this.minInterval = Math.min(this.minInterval, timeSeconds - this.lastTime);
      this.firstTime = Math.min(this.firstTime, timeSeconds);
      this.lastTime = Math.max(this.lastTime, timeSeconds);
      this.lastTimedFrame = this.frames;
      this.parts?.noteFrame(timeSeconds);
    }
    // The parts ending here are read at the syncs found (once locked: a part of an unsynchronised reading would be
    // searched without knowing where), before a look due here, which then counts them and takes their accusations
    // (or after it, when it is the look that locks); then the accumulator is kept for the parts starting here.
    const boundary = this.parts !== null && PartWindows.isBoundary(this.frames);
    if (boundary && this.locked) this.readParts(false);
    if (this.frames >= this.nextLook) {
      this.look(false);
      this.nextLook = this.frames * (this.locked ? LOCKED_LOOK_GROWTH : LOOK_GROWTH);
    }
    if (boundary) {
      if (this.locked) this.readParts(false);
      (this.parts as PartWindows).keep(this.frames, this.accumulator, !this.locked);
    }
  }

  /**
   * The verdict on everything added so far: runs a final look if frames arrived since the last one, or if the
   * other orientations (the picture flipped left to right, a mirrored leak; upside down, flipped top to bottom, or
   * turned a few degrees) have not been searched yet at this frame count (and no sync is locked). The looks due
   * while frames arrive search the picture as it is; the others are searched at the final look, so a turned leak is
   * found when the reading ends (no early stop), at the cost of more sweeps: one for the mirror image, then, unless
   * something is clearly synchronised, two for the half turns and ten for the small rotations. When no ID is
   * accused although the picture is clearly synchronised, one more look searches the half turns and rotations: a
   * leak turned one degree still synchronises upright with about 60% of its evidence, too little for its payload
   * (a 720p JPEG of the `texture` clip turned 1 degree: reference z 10.2 upright, no ID; turned back, identified).
   * Then, still with no one accused, a leak under 540 lines read among candidates gets one more look, at its evenly
   * weighted accumulator (`lookEven`), and then any reading among candidates one more at its keyframe-weighted sum
   * (`lookKeyframes`), when some of its frames were keyframes and some not.
   */
  result(): WatermarkVerdict {
    if (this.frames === 0) throw new UsageError('No frames were analysed: add at least one frame before asking for a result');
    // The parts ending at the last frame not read yet (those ending at earlier boundaries were read as the frames
    // came), before the final look, which counts them and takes their accusations; when it is that look that locks,
    // after it, and a part that accused someone is then merged into the verdict by one more look (its neighbourhood
    // only: the sync is locked). So the verdict's probabilities count every part read.
    if (this.parts && this.locked) this.readParts(true);
    const orientationsPending = !this.locked && this.orientationsSearchedAt !== this.frames;
    // Windows read since the last look change the verdict only through an accusation on a window: one made since
    // (merged by a look), or one the verdict reports (its probability counts every window read). Otherwise the
    // verdict stands as it is, and no look is added (each would count against the whole reading's probabilities).
    const partsMatter = () =>
      this.partsRead !== this.partsCounted && (this.partAccused || (this.verdict?.candidates.some((c) => c.part !== null) ?? false));
    if (this.frames !== this.framesAtLastLook || !this.verdict || orientationsPending || partsMatter()) this.look(true);
    if (this.parts && this.locked) this.readParts(true);
    if (partsMatter()) this.look(true);
    if (!(this.verdict as WatermarkVerdict).found && this.turnsSearchedAt !== this.frames) {
      this.look(true, true);
      // Locked turned: its windows, merged by one more look where one accused someone.
      if (this.parts && this.locked) this.readParts(true);
      if (partsMatter()) this.look(true);
    }
    if (!(this.verdict as WatermarkVerdict).found && this.whitener.evenAccumulator && this.evenSearchedAt !== this.frames) this.lookEven();
    // Among candidates, still no one accused: the keyframes at their weight (when some frames are keyframes and
    // some are not: otherwise the two sums are the same up to a factor).
    const keys = this.keyframes > 0 && this.keyframes < this.frames;
    if (!(this.verdict as WatermarkVerdict).found && this.whitener.keyframeAccumulator && keys && this.keyframesSearchedAt !== this.frames) this.lookKeyframes();
    return this.verdict as WatermarkVerdict;
  }

  /**
   * One more look among candidates, when nothing was accused: at the sum with every keyframe weighing
   * KEYFRAME_WEIGHT frames (what a blind reading sums), made from the even sum and the keyframes' sum. As `lookEven`:
   * counted like every other look, only the candidates scored (a blind reading of the same input decodes freely
   * from this sum at every look), and when it accuses no one the verdict stays the usual accumulator's.
   */
  private lookKeyframes(): void {
    this.keyframesSearchedAt = this.frames;
    const keys = this.whitener.keyframeAccumulator as Float32Array;
    const even = this.whitener.accumulator;
    const weighted = new Float32Array(even.length);
    for (let i = 0; i < even.length; i++) weighted[i] = even[i] + (KEYFRAME_WEIGHT - 1) * keys[i];
    this.lookAt(weighted);
  }

  /**
   * One more look, at the evenly weighted accumulator (small leaks read among candidates, when nothing was accused):
   * the picture as it is, swept whole, or around the syncs found so far when they are locked. Only the candidates
   * are scored; nothing is decoded freely. (Decoding did identify more leaks blind, but on a marked 640x360 CRF 28
   * copy it decoded a wrong, valid ID at p 1e-11.2: three of its tiles within a cell of the true ID's peaks, two on
   * noise, with the true ID itself not decoded to explain them away. The candidates' tests score each listed ID at
   * the reference's position without its strongest tile, which an innocent would need to share two more tiles with
   * the leaked ID to pass.) It is counted like every other look (its hypotheses in the synchronisation's
   * multiplicity, and one more look in the payload's), so an accusation it makes carries the whole reading's
   * probability. When it accuses no one, the verdict stays that of the usual accumulator, and the looks that follow
   * (more frames) go on from that accumulator's syncs.
   */
  private lookEven(): void {
    this.evenSearchedAt = this.frames;
    this.lookAt(this.whitener.evenAccumulator as Float32Array);
  }

  /** One look at another sum than the usual accumulator, candidates only (`lookEven`, `lookKeyframes`). */
  private lookAt(sum: Float32Array): void {
    const kept = { verdict: this.verdict, best: this.best, locked: this.locked, timeline: this.timeline.slice(), subs: this.lastSubs, peaks: this.lastPeaks, log10Sync: this.log10SyncNow };
    this.accumulator = sum;
    this.freeDecoding = false;
    try {
      this.look(false);
    } finally {
      this.freeDecoding = true;
      this.accumulator = this.whitener.accumulator;
      // (Its syncs, and what parts read at them, are the usual accumulator's again.)
      this.best = kept.best;
      this.locked = kept.locked;
      this.lastSubs = kept.subs;
      this.lastPeaks = kept.peaks;
      this.log10SyncNow = kept.log10Sync;
    }
    if (!(this.verdict as WatermarkVerdict).found) {
      this.verdict = kept.verdict;
      this.timeline.splice(0, this.timeline.length, ...kept.timeline);
    }
  }

  private get secondsAnalyzed(): number {
    if (this.lastTime === -Infinity) return 0;
    const interval = Number.isFinite(this.minInterval) ? this.minInterval : 0;
    return this.lastTime - this.firstTime + interval;
  }

  /** The turning kernel for `turnBack`, or null for its TypeScript loop (`simd` false, or no WebAssembly). */
  private turner(): TurnKernel | null {
    if (this.turnKernel === undefined) this.turnKernel = this.simd ? TurnKernel.create() : null;
    return this.turnKernel;
  }

  /**
   * The plane a hypothesis is searched in: the accumulator, or the accumulator turned back from the hypothesis's
   * orientation (made once per look and orientation; the ORIENTED_PLANES most recently used are kept).
   */
  private planeOf(h: Hypothesis): Float32Array {
    if (isUpright(h)) return this.accumulator;
    const tag = orientationTag(h);
    const known = this.oriented.get(tag);
    if (known) {
      this.oriented.delete(tag);
      this.oriented.set(tag, known);
      if (known.look === this.generation) return known.plane;
    }
    const { workingWidth: w, workingHeight: hh } = this;
    let plane = known?.plane;
    if (!plane && this.oriented.size >= ORIENTED_PLANES) {
      const [oldest, entry] = this.oriented.entries().next().value as [string, { plane: Float32Array }];
      this.oriented.delete(oldest);
      plane = entry.plane;
    }
    if (!plane || plane.length !== w * hh) plane = new Float32Array(w * hh);
    turnBack(this.accumulator, w, hh, h, plane, this.turner());
    this.correlator.setVersion(plane, ++this.fills);
    this.oriented.set(tag, { plane, look: this.generation });
    return plane;
  }

  private evaluate(h: Hypothesis): Evaluated {
    const { workingWidth: w, workingHeight: hh } = this;
    this.correlator.foldAndTransform(this.planeOf(h), w, hh, h.periodX, h.periodY, w >> 1, hh >> 1);
    const stats = this.correlator.correlationStats(0);
    return { ...h, z: stats.peakZ, peakIndex: stats.peakIndex };
  }

  /**
   * The accumulator reduced 2:1 (each sample the sum of a 2 x 2 block), turned back from orientation `o`: reduced
   * once per look, then turned at the reduced size (a quarter of the resampling work of turning the full plane; the
   * coarse sweep only ranks). Its buffers are reused; each fill gets a version of its own.
   */
  private reducedOf(o: Orientation): Float32Array {
    const { workingWidth: w, workingHeight: h } = this;
    const hw = w >> 1;
    const hh = h >> 1;
    if (this.reducedAt !== this.looks) {
      if (this.reduced.length !== hw * hh) this.reduced = new Float32Array(hw * hh);
      const acc = this.accumulator;
      const out = this.reduced;
      for (let y = 0; y < hh; y++) {
        const a = 2 * y * w;
        const b = a + w;
        const row = y * hw;
        for (let x = 0; x < hw; x++) out[row + x] = acc[a + 2 * x] + acc[a + 2 * x + 1] + acc[b + 2 * x] + acc[b + 2 * x + 1];
      }
      this.correlator.setVersion(out, ++this.fills);
      this.reducedAt = this.looks;
    }
    if (isUpright(o)) return this.reduced;
    if (this.reducedTurned.length !== hw * hh) this.reducedTurned = new Float32Array(hw * hh);
    turnBack(this.reduced, hw, hh, o, this.reducedTurned, this.turner());
    this.correlator.setVersion(this.reducedTurned, ++this.fills);
    return this.reducedTurned;
  }

  /**
   * The coarse sweep: every hypothesis evaluated on the accumulator reduced 2:1 (a quarter of the folding work),
   * its fold correlated as a coarse tile where the reduced picture is dense enough (`coarsePairStats`: the band at
   * 64 x 64, a third of the transform work; COARSE_TILE_MIN_HEIGHT), when the tile's cells are at least 1.6 working
   * pixels wide, else at full resolution. Returns the hypotheses ranked by that evidence.
   */
  private coarseSweep(pool: Hypothesis[]): Evaluated[] {
    const { workingWidth: w, workingHeight: h } = this;
    const reduce = TILE_PERIOD_PER_HEIGHT * h >= COARSE_MIN_PERIOD;
    const coarseTiles = h >= COARSE_TILE_MIN_HEIGHT;
    if (!reduce || pool.length === 0) return pool.map((p) => this.evaluate(p)).sort((a, b) => b.z - a.z);
    const hw = w >> 1;
    const hh = h >> 1;
    // One orientation per sweep: the plane of its first hypothesis is every one's.
    const out = this.reducedOf(pool[0]);
    const ranked: Evaluated[] = [];
    // Hypotheses in pairs: two folds share each transform. Fold origin at the reduced frame's centre, which is the
    // full frame's centre. The coarse peak index is not used (the best are re-evaluated at full resolution), nor is
    // the z compared with anything but the other coarse z's.
    for (let k = 0; k < pool.length; k += 2) {
      const a = pool[k];
      const b = pool[k + 1] ?? pool[k];
      const half = (p: Hypothesis) => ({ periodX: p.periodX / 2, periodY: p.periodY / 2 });
      const pair = coarseTiles ? this.correlator.coarsePairStats : this.correlator.referencePairStats;
      const [statsA, statsB] = pair.call(this.correlator, out, hw, hh, half(a), half(b), hw >> 1, hh >> 1);
      ranked.push({ ...a, z: statsA.peakZ, peakIndex: -1 });
      if (k + 1 < pool.length) ranked.push({ ...b, z: statsB.peakZ, peakIndex: -1 });
    }
    return ranked.sort((a, b) => b.z - a.z);
  }

  /**
   * A look: the synchronisation search, then the payload. `final`: also the mirror image and the other orientations
   * unless something is clearly synchronised; `turns`: the half turns and small rotations whatever was found (see
   * `result`).
   */
  private look(final: boolean, turns = false): void {
    this.looks++;
    this.generation++;
    this.framesAtLastLook = this.frames;
    // The accumulator changes only between looks (the reduced copy the coarse sweep makes of it, and its turned
    // copies, have versions of their own).
    this.correlator.setVersion(this.accumulator, this.looks);
    // The multiplicity: every hypothesis this look could search, searched or not: both orientations at a final look,
    // or when a lock on a turned sync makes the neighbourhood search a turned picture (then the other orientations
    // too, when it is one of them).
    const turnedLock = this.locked && this.best.some((h) => !isUpright(h));
    this.hypothesisLooks += this.upright.length * (final || turnedLock ? 2 : 1) * (1 + REFINE_STEPS.length);
    if (this.locked && this.best.some((h) => h.rotation !== 0)) this.hypothesisLooks += this.otherOrientationHypotheses;
    let multiplicity = this.hypothesisLooks * CELLS * CELLS;
    let searched: Evaluated[];
    if (this.locked) {
      searched = this.neighbourhood(this.best).map((h) => this.evaluate(h));
    } else {
      // Coarse sweep of the picture as it is, then the strongest few re-evaluated at full resolution.
      searched = this.coarseSweep(this.upright)
        .slice(0, COARSE_KEEP)
        .map((h) => this.evaluate(h));
    }
    if (final) {
      // The picture flipped left to right too, unless what was found is already clearly synchronised (a mirrored
      // leak's mark could not beat it; the multiplicity counts the search as if it had run, which stays a bound).
      this.orientationsSearchedAt = this.frames;
      const clear = () => log10Bonferroni(Math.max(...searched.map((h) => h.z)), multiplicity) < LOCK_LOG10;
      if (!clear()) {
        const done = new Set(searched.map((h) => periodTag(h, 3)));
        const mirrored = this.coarseSweep(this.mirrored.filter((h) => !done.has(periodTag(h, 3))));
        searched = searched.concat(mirrored.slice(0, COARSE_KEEP).map((h) => this.evaluate(h)));
      }
      // Then the half turns and small rotations, still unless something is clearly synchronised, or whatever was
      // found when `result` asks again because nothing was accused (`turns`). Their syncs are kept only when one of
      // them is clearly synchronised itself (p < 1e-6 counting every hypothesis of theirs): otherwise the look goes
      // on as if they had not been searched, so that on a weak upright leak their noise maxima do not push its true
      // sync out of the few the payload is read at. A bound still: under the null, keeping them has probability
      // under 1e-6, and not keeping them leaves the search the multiplicity counts.
      if (turns || !clear()) {
        this.turnsSearchedAt = this.frames;
        const counted = this.hypothesisLooks + this.otherOrientationHypotheses;
        const others = this.searchOtherOrientations();
        if (others.length > 0 && log10Bonferroni(others[0].z, counted * CELLS * CELLS) < LOCK_LOG10) {
          this.hypothesisLooks = counted;
          multiplicity = counted * CELLS * CELLS;
          searched = searched.concat(others);
        }
      }
    }
    // Refine around the strongest hypotheses with finer uniform steps.
    searched.sort((a, b) => b.z - a.z);
    const refined: Evaluated[] = [];
    // Two of the strongest a grid step apart refine onto the same periods: each is evaluated once (a repeat would
    // take a second place among the syncs the payload is read at, and add nothing).
    const tag = (h: Hypothesis) => periodTag(h, 3);
    const seen = new Set(searched.map(tag));
    for (const h of searched.slice(0, 3)) {
      for (const step of REFINE_STEPS) {
        const f = Math.exp(step * SWEEP_STEP);
        const next = { periodX: h.periodX * f, periodY: h.periodY * f, mirrored: h.mirrored, rotation: h.rotation };
        if (seen.has(tag(next))) continue;
        seen.add(tag(next));
        refined.push(this.evaluate(next));
      }
    }
    const all = searched.concat(refined).sort((a, b) => b.z - a.z);
    this.best = all.slice(0, 8);
    // Multiplicity of the synchronisation search: every position of every surface that could have been evaluated,
    // at every look. The refinement's periods depend on which grid hypotheses came out best, so it can land beside
    // any of them: the grid times (1 + the refinement steps). (Counting only the 3 x 6 refined surfaces actually
    // evaluated made the reference tile's probability about 3x too small in the tail: 23 unmarked or wrong-key
    // trials of 7,500 reported p < 1e-3 in the 10,000-trial bench.)
    const log10Sync = log10Bonferroni(all[0].z, multiplicity);
    this.locked = log10Sync < LOCK_LOG10;
    this.log10SyncNow = log10Sync;
    this.verdict = this.readPayload(all.slice(0, SYNC_CANDIDATES), log10Sync, final);
  }

  /**
   * Every hypothesis the search of the other orientations could evaluate (`searchOtherOrientations`), with the
   * refinement's periods: the uniform periods in each half turn and at every angle the small rotations can land on.
   */
  private get otherOrientationHypotheses(): number {
    return this.uniform.length * (HALF_TURNS.length + SMALL_ROTATIONS_COUNTED) * (1 + REFINE_STEPS.length);
  }

  /**
   * The uniform periods in the picture turned back from each half turn and each small rotation: coarse sweeps of
   * every TURNED_STRIDE-th period (`turnedGrid`), the strongest COARSE_KEEP of the half turns and of the rotations
   * re-evaluated at full resolution; then the three best also at the periods a step either side, and the three
   * best rotations ROTATION_REFINE degrees either side. Strongest first.
   */
  private searchOtherOrientations(): Evaluated[] {
    const coarse: Evaluated[] = [];
    for (const turn of HALF_TURNS) coarse.push(...this.coarseSweep(this.turnedGrid.map((h) => ({ ...h, ...turn }))).slice(0, COARSE_KEEP));
    const rotated: Evaluated[] = [];
    for (const rotation of SMALL_ROTATIONS) {
      rotated.push(...this.coarseSweep(this.turnedGrid.map((h) => ({ ...h, mirrored: false, rotation }))).slice(0, COARSE_KEEP));
    }
    rotated.sort((a, b) => b.z - a.z);
    // Evaluated one orientation after another, so that each turned plane is made once (`planeOf`); the half turns
    // (flips, cheap to make again) first, so that the rotations' planes are the ones still kept when the best are
    // refined below.
    const evaluated = coarse
      .sort((a, b) => b.z - a.z)
      .slice(0, COARSE_KEEP)
      .concat(rotated.slice(0, COARSE_KEEP))
      .sort((a, b) => evaluationOrder(a) - evaluationOrder(b) || Number(a.mirrored) - Number(b.mirrored))
      .map((h) => this.evaluate(h));
    // Two of the best can refine onto the same angle and period (2 and 3 degrees onto 2.5): evaluated once.
    const seen = new Set(evaluated.map((h) => periodTag(h, 3)));
    const tryNext = (next: Hypothesis) => {
      if (seen.has(periodTag(next, 3))) return;
      seen.add(periodTag(next, 3));
      evaluated.push(this.evaluate(next));
    };
    for (const h of evaluated.slice().sort((a, b) => b.z - a.z).slice(0, 3)) {
      for (const step of [-1, 1]) {
        const f = Math.exp(step * SWEEP_STEP);
        tryNext({ periodX: h.periodX * f, periodY: h.periodY * f, mirrored: h.mirrored, rotation: h.rotation });
      }
    }
    const best = evaluated.filter(isSmallRotation).sort((a, b) => b.z - a.z);
    for (const h of best.slice(0, 3)) {
      for (const d of [-ROTATION_REFINE, ROTATION_REFINE]) tryNext({ periodX: h.periodX, periodY: h.periodY, mirrored: h.mirrored, rotation: h.rotation + d });
    }
    return evaluated.sort((a, b) => b.z - a.z);
  }

  /** Hypotheses near the best ones found so far (used once synchronisation is locked). */
  private neighbourhood(best: Evaluated[]): Hypothesis[] {
    const out: Hypothesis[] = [];
    for (const h of best.slice(0, 4)) {
      for (const step of [-1, 0, 1]) {
        const f = Math.exp(step * SWEEP_STEP);
        out.push({ periodX: h.periodX * f, periodY: h.periodY * f, mirrored: h.mirrored, rotation: h.rotation });
      }
    }
    return out;
  }

  /** Sync estimate in input pixels from a hypothesis and a reference-tile position (in cells, fractional). */
  private syncEstimate(h: Hypothesis, cellX: number, cellY: number, z: number, log10p: number, nominalFit?: NominalFit): SyncEstimate {
    const half = CELLS / 2;
    const shiftX = ((((cellX + half) % CELLS) + CELLS) % CELLS) - half;
    const shiftY = ((((cellY + half) % CELLS) + CELLS) % CELLS) - half;
    const inv = 1 / this.workingFactor;
    const periodX = h.periodX * inv;
    const periodY = h.periodY * inv;
    // Where the master tile's origin lies: fold origin + peak shift, in working pixels, then input pixels.
    const originX = ((this.workingWidth >> 1) + (shiftX * h.periodX) / CELLS) * inv;
    const originY = ((this.workingHeight >> 1) + (shiftY * h.periodY) / CELLS) * inv;
    const masterPeriod = TILE_PERIOD_PER_HEIGHT * this.masterHeight;
    const scaleX = periodX / masterPeriod;
    const scaleY = periodY / masterPeriod;
    return {
      scale: round3((scaleX + scaleY) / 2),
      scaleX: round3(scaleX),
      scaleY: round3(scaleY),
      offsetX: round1(((originX % periodX) + periodX) % periodX),
      offsetY: round1(((originY % periodY) + periodY) % periodY),
      periodX: round1(periodX),
      periodY: round1(periodY),
      mirrored: h.mirrored,
      rotation: h.rotation,
      z: round3(z),
      nominal: nominalFit !== undefined,
      ...(nominalFit ? { nominalFit } : {}),
      falseAlarmProbability: fromLog10(log10p),
    };
  }

  /**
   * Folds the accumulator at `sync`'s period (in its orientation) and leaves in `surfaces` the standardised
   * correlation surfaces of the reference and the payload tiles, read at the reference peak's sub-cell offset `sub`;
   * (rx, ry) is the reference peak's cell. `given`: read the payload tiles only, at that sub-cell offset (a part of
   * the reading, at the offset the whole reading's stronger reference peak gave); with `withReference`, the reference
   * too, at that offset (the nominal sync, whose position is known: its reference z is then the one at it).
   * `folded`: the correlator already holds this sync's fold (another nominal sync of the same period, just read).
   */
  private correlateSync(sync: Evaluated, given?: { dx: number; dy: number }, withReference = false, folded = false): { sub: { dx: number; dy: number }; rx: number; ry: number } {
    const { workingWidth: w, workingHeight: hh } = this;
    if (!folded) this.correlator.foldAndTransform(this.planeOf(sync), w, hh, sync.periodX, sync.periodY, w >> 1, hh >> 1);
    let sub = given;
    if (!sub) {
      this.correlator.correlate(0, this.surfaces[0]);
      sub = subCellOffset(this.surfaces[0], sync.peakIndex);
    }
    for (let t = given && !withReference ? 1 : 0; t <= PAYLOAD_TILES; t++) this.correlateStandardised(t, sub.dx, sub.dy);
    const rx = sync.peakIndex % CELLS;
    return { sub, rx, ry: (sync.peakIndex - rx) / CELLS };
  }

  /** Tile `t`'s correlation surface of the fold the correlator holds, read at sub-cell offset (dx, dy), as z values. */
  private correlateStandardised(t: number, dx: number, dy: number): void {
    const surface = this.surfaces[t];
    this.correlator.correlate(t, surface, dx, dy);
    const stats = surfaceStats(surface);
    standardise(surface, stats.mean, 1 / stats.std);
  }

  /**
   * Free decoding at one sync (the surfaces `correlateSync` left, reference peak at (rx, ry)), into `found`: a list
   * decoder over the best peaks of every payload tile, combinations tried best first while their total could still
   * pass the accusation threshold (`neededSum`), and always the top two of each, so that two averaged copies both
   * decode; then, while nothing is significant, the one-tile erasure. Costs no false-alarm budget: the bound already
   * covers every valid codeword. `best`: the look's best sync; `significant`: an ID read there is significant.
   * Returns `significant`, or at the best sync whether an ID the list decoder found there is (erasure's do not count).
   */
  private decodeFreely(rx: number, ry: number, best: boolean, significant: boolean, neededSum: number, found: Map<bigint, DecodedEntry>): boolean {
    const z = this.surfaces;
    const distinct: Array<Array<{ shift: Shift; z: number }>> = [];
    const expanded: Array<Array<{ shift: Shift; z: number }>> = [];
    for (let t = 1; t <= PAYLOAD_TILES; t++) {
      const peaks = topPeaks(z[t], rx, ry, LIST_DEPTH);
      distinct.push(peaks.slice(0, 2));
      expanded.push(withNeighbours(z[t], rx, ry, peaks));
    }
    // IDs decoded at earlier looks first (so that the list decoder treats a significant one as an anchor).
    readRecalled(z, rx, ry, this.recalled, found);
    // Every combination of the two distinct best peaks (two averaged copies), then the pruned list; the latter not
    // again at the next syncs once an ID read at the best one is significant (the geometry is then right, and they
    // repeat its peaks at a nearby scale).
    listDecode(distinct, -Infinity, neededSum, this.codewords.decode, found);
    if (best || !significant) listDecode(expanded, neededSum, neededSum, this.codewords.decode, found);
    if (best) for (const entry of found.values()) if (entry.sum >= neededSum) significant = true;
    if (!significant) erasureDecode(z, distinct.map((peaks) => peaks[0]), rx, ry, neededSum, this.codewords.decode, found);
    return significant;
  }

  /**
   * Free decoding at the other payload offsets (PAYLOAD_OFFSETS) of the sync whose fold the correlator holds
   * (reference peak at (rx, ry), its sub-cell offset `sub`), into `found`, with `neededSum` the stricter sum an ID
   * read there needs. The payload is read at the reference peak's sub-cell offset, and a weak reference peak's
   * parabola puts that up to half a cell off on small leaks: 640x360 H.264 CRF 28 of the credits clip (bench key 2),
   * read blind from 2 s, decoded nothing at the reference's offset and is now identified at p 1e-13.9 at another
   * (docs/WATERMARK.md, Detection step 5). At the nominal sync (`sub` its own offset, from the geometry), the
   * payload of a heavily re-encoded leak can sit up to half a cell from where the geometry puts it (640x360 CRF 35,
   * the bench's `gradient` key 1: 10.3 there, 10.9 half a cell on). Made at final looks only; overwrites the payload
   * surfaces.
   */
  private decodeAtOffsets(sub: { dx: number; dy: number }, rx: number, ry: number, neededSum: number, found: Map<bigint, DecodedEntry>): void {
    const z = this.surfaces;
    for (const [ox, oy] of HALF_CELL_SURFACES) {
      for (let t = 1; t <= PAYLOAD_TILES; t++) this.correlateStandardised(t, sub.dx + ox, sub.dy + oy);
      // Each tile's best peaks, where they are on the surface (relative to cell (0, 0)).
      const peaks = z.slice(1).map((surface) => topPeaks(surface, 0, 0, LIST_DEPTH));
      // (sub + o - 1) read at x is (sub + o) read at x - 1: the offset -o is the reference one cell back.
      for (let bx = 0; bx >= (ox ? -1 : 0); bx--) {
        for (let by = 0; by >= (oy ? -1 : 0); by--) {
          const x = (rx + bx) & (CELLS - 1);
          const y = (ry + by) & (CELLS - 1);
          // As at the reference's offset, but only the combinations that could be accused (not every one of the two
          // best peaks': a second colluder is read at the reference's offset).
          const expanded = peaks.map((list, t) => withNeighbours(z[t + 1], x, y, list.map(({ shift, z: v }) => ({ shift: shiftAt(shift.dy * CELLS + shift.dx, x, y), z: v }))));
          readRecalled(z, x, y, this.recalled, found);
          listDecode(expanded, neededSum, neededSum, this.codewords.decode, found);
          erasureDecode(z, expanded.map((options) => options[0]), x, y, neededSum, this.codewords.decode, found);
        }
      }
    }
  }

  /**
   * Keeps the strongest decoded IDs to be read again at later looks (at most RECALL_SIZE): those whose score after
   * explaining away (`decoded`) still reaches RECALL_MIN_SHARE of the score an accusation needs. A codeword that
   * shares four tiles with another significant one (a neighbour of the leaked ID) is left with one tile by explaining
   * away and is not kept, so that a neighbour met once does not stay to take the leaked ID's tiles at every later
   * look. Free of false-alarm budget: a decoded ID's bound covers every valid codeword at the syncs read, however it
   * was found.
   */
  private remember(decoded: ReadonlyArray<{ id: bigint; score: number }>, found: ReadonlyMap<bigint, DecodedEntry>, neededSum: number): void {
    for (const { id, score } of decoded) {
      const entry = found.get(id);
      if (!entry || score < RECALL_MIN_SHARE * neededSum * Z_NORM) continue;
      const known = this.recalled.get(id);
      if (!known || known.sum < entry.sum) this.recalled.set(id, { symbols: entry.symbols, shifts: entry.symbols.map(shiftOf), sum: entry.sum });
    }
    if (this.recalled.size <= RECALL_SIZE) return;
    const kept = [...this.recalled].sort((a, b) => b[1].sum - a[1].sum).slice(0, RECALL_SIZE);
    this.recalled.clear();
    for (const [id, entry] of kept) this.recalled.set(id, entry);
  }

  /** The share of the candidates' false-alarm budget the whole reading's tests have (the rest is the parts'). */
  private get wholeShare(): number {
    return this.parts ? 1 - PART_BUDGET_SHARE : 1;
  }

  /** The trials of a candidate read in a part: every part read so far x syncs x candidates, over the parts' share. */
  private get partTrials(): number {
    return (Math.max(1, this.partsRead) * PART_SYNCS * Math.max(1, this.candidateIds.length)) / PART_BUDGET_SHARE;
  }

  /**
   * Each candidate's payload at the reference's position (rx, ry) on the surfaces `correlateSync` left: where its
   * tiles' sum beats `best[c]` (over the syncs read so far), that sum, its tiles' z in `tiles[c]`, and (with
   * `bestSync`) the index `s` of the sync read.
   */
  private readCandidatesAt(rx: number, ry: number, best: Float64Array, tiles: readonly Float64Array[], bestSync?: Int32Array, s = 0): void {
    const values = this.tileValues;
    for (let c = 0; c < this.candidateIds.length; c++) {
      const sum = readTiles(this.surfaces, rx, ry, this.candidateShifts[c], values);
      if (sum > best[c]) {
        best[c] = sum;
        tiles[c].set(values);
        if (bestSync) bestSync[c] = s;
      }
    }
  }

  /** A sync's own log10 probability from its reference z, with the search's multiplicity so far. */
  private log10SyncOf(z: number): number {
    return log10Bonferroni(z, this.hypothesisLooks * CELLS * CELLS);
  }

  /**
   * Reads the parts that ended before the reading locked and were not read (`PartWindows.past`), then those due
   * (`PartWindows.due`): at a boundary, or at the end of the reading (`final`).
   */
  private readParts(final: boolean): void {
    const parts = this.parts as PartWindows;
    // Synchronised otherwise than when windows were last read (turned, where it had locked upright): those whose
    // copies are kept are read again at the new syncs (each read counted again).
    const orientation = orientationTag(this.best[0]);
    if (this.partsOrientation !== null && orientation !== this.partsOrientation) parts.forget();
    this.partsOrientation = orientation;
    for (const { from, to } of parts.past(this.frames)) this.readPart(this.partRange(from, to), parts.windowFrom(from, to.plane));
    for (const from of parts.due(this.frames, final)) this.readPart(this.partRange(from, null), parts.windowFrom(from, this.accumulator));
  }

  /**
   * The part from the copy `from` to the copy `to` (null: now), in analysed frames and in seconds on the timeline's
   * clock (from the first frame's time; frames at 24 per second where no time was given). A copy's time is that of
   * the frame after it: the start of the part's first frame, or the end of its last.
   */
  private partRange(from: PartStart, to: PartStart | null): PartRange {
    const endFrame = to ? to.frames : this.frames;
    if (!Number.isFinite(this.firstTime)) return { startFrame: from.frames, endFrame, start: round3(from.frames / 24), end: round3(endFrame / 24) };
    // A copy whose following frame had no time, or a part ending now after frames without one (timestamps missing):
    // the part's length at the shortest frame interval seen (1/24 s if none) from its other end, or from 0.
    const interval = Number.isFinite(this.minInterval) ? this.minInterval : 1 / 24;
    const length = (endFrame - from.frames) * interval;
    const now = () => (this.lastTimedFrame === this.frames ? this.secondsAnalyzed : Number.NaN);
    const timed = (copy: PartStart | null) => (copy === null ? now() : Number.isFinite(copy.time) ? copy.time - this.firstTime : Number.NaN);
    let start = timed(from);
    let end = timed(to);
    if (Number.isNaN(end)) end = Number.isNaN(start) ? endFrame * interval : start + length;
    if (Number.isNaN(start)) start = Math.max(0, end - length);
    return { startFrame: from.frames, endFrame, start: round3(start), end: round3(end) };
  }

  /**
   * Scores the candidates on one part of the reading (`part`, its sum `plane`), at the best
   * syncs of the last look and their sub-cell offsets, at the reference's position (test (i) alone: the joint test
   * is not made, the sync being locked, so nothing is doubled), with explaining away between them, counted with
   * every part read (`partTrials`). An accusation is kept in the record apart from the whole reading's, with the
   * part it was read in; the next look's verdict takes it.
   */
  private readPart(part: PartRange, plane: Float32Array): void {
    this.partsRead++;
    this.generation++;
    const K = this.candidateIds.length;
    const syncs = this.best.slice(0, Math.min(PART_SYNCS, this.lastSubs.length));
    const atSyncTiles = Array.from({ length: K }, () => new Float64Array(PAYLOAD_TILES));
    const best = new Float64Array(K).fill(-Infinity);
    const whole = this.accumulator;
    this.accumulator = plane;
    this.correlator.setVersion(plane, ++this.fills);
    // Which sync gave each candidate's best reading (where its accusation, if any, was read).
    const bestSync = new Int32Array(K);
    try {
      for (let s = 0; s < syncs.length; s++) {
        const { rx, ry } = this.correlateSync(syncs[s], this.lastSubs[s]);
        this.readCandidatesAt(rx, ry, best, atSyncTiles, bestSync, s);
      }
    } finally {
      this.accumulator = whole;
      this.generation++; // turned copies made of the part are not the accumulator's
    }
    // The look's trials with the parts' updated (an accusation kept is compared with the record's so), and the same
    // with the part's test counted as the parts' (what `judgeCandidates` reads).
    const trials: LookTrials = { ...(this.lastTrials as LookTrials), part: this.partTrials };
    const log10Threshold = Math.log10(this.accusationThreshold);
    const readings = { shifts: this.candidateShifts, atSync: atSyncTiles, joint: atSyncTiles, jointMade: new Array<boolean>(K).fill(false) };
    const judged = judgeCandidates(readings, { ...trials, atSync: trials.part }, log10Threshold, true);
    // A sync's log10 probability: the best's as the last look gave it; another's from its own z, with the search's
    // multiplicity (as `readPayload` gives a candidate read at its joint peak).
    const syncLog10 = (s: number) => (s === 0 ? this.log10SyncNow : this.log10SyncOf(syncs[s].z));
    const syncAt = (s: number) => {
      const h = syncs[s];
      const sub = this.lastSubs[s];
      return this.syncEstimate(h, (h.peakIndex % CELLS) + sub.dx, Math.floor(h.peakIndex / CELLS) + sub.dy, h.z, syncLog10(s));
    };
    for (const c of judged) {
      if (!c.accused) continue;
      const id = this.candidateIds[c.index];
      const symbols = this.candidateShifts[c.index].map(symbolOf);
      const s = bestSync[c.index];
      const accusation: Accusation = { id, method: 'candidates', score: c.score, atScore: c.atScore, jointScore: -Infinity, symbols, sync: syncAt(s), log10Sync: syncLog10(s), peak: this.lastPeaks[s] ?? null, hypothesisLooks: this.hypothesisLooks, look: this.looks, atFrames: this.frames, part };
      if (this.accusations.keep(accusation, c.log10p, trials)) this.partAccused = true;
    }
  }

  private readPayload(syncs: Evaluated[], log10Sync: number, final: boolean): WatermarkVerdict {
    const { looks } = this;
    const K = this.candidateIds.length;
    const positions = CELLS * CELLS;
    // Small leaks' free decoding also reads at other payload offsets (`decodeAtOffsets`), so the trials of the IDs read
    // at the reference's offset take 1 - OFFSET_BUDGET_SHARE of the budget (whether or not a look reads them).
    const offsetSearch = this.workingHeight < OFFSET_SEARCH_BELOW;
    // The nominal syncs (`NominalSync`) are read at every look: one sync more each in both tests' trials.
    const nominals = this.nominals;
    const nominalSyncs = nominals.length;
    const decodedTrials = (looks * (Math.min(syncs.length, FREE_DECODE_SYNCS) + nominalSyncs) * 2 ** ID_BITS) / (offsetSearch ? 1 - OFFSET_BUDGET_SHARE : 1);
    // ... and those read at one of the other offsets, at final looks only (each of PAYLOAD_OFFSETS at each sync read
    // so, at every final look made, with a share of the budget), as a multiple of those.
    const offsetLook = offsetSearch && final && this.freeDecoding;
    if (offsetLook) this.offsetLooks++;
    // The nominal syncs' offsets are read too (one sync more each).
    const offsetTrials = (Math.max(1, this.offsetLooks) * (Math.min(syncs.length, OFFSET_SEARCH_SYNCS) + nominalSyncs) * 2 ** ID_BITS * PAYLOAD_OFFSETS) / OFFSET_BUDGET_SHARE;
    const offsetFactor = offsetTrials / decodedTrials;
    const atSyncTrials = (looks * (syncs.length + nominalSyncs) * Math.max(1, K)) / this.wholeShare;
    // The joint search is used only while the reference tile alone is not significant. When it is, the payload
    // surfaces hold another recipient's strong peaks, and an innocent candidate could line one of its tiles up with
    // one of them away from the reference's position (measured: innocent joint scores of 6.4-6.6 on a guilty copy
    // at reference z 11); at the reference's position, test (i), an innocent's payload is pure noise.
    const useJoint = K > 0 && log10Sync >= SYNC_REPORT_LOG10;
    const jointSyncs = useJoint ? Math.max(1, Math.min(syncs.length, Math.floor(JOINT_BUDGET / K))) : 0;
    // The joint test's multiplicity: every sync it searched, at this look and the ones before, x positions x
    // candidates. The syncs are chosen by the reference tile's z alone, and under the null the reference surface is
    // independent of the payload surfaces (correlations of one fold with independent keyed tiles), so the choice
    // does not favour payload noise: the hypotheses not searched do not count (they once did: the whole period grid,
    // about 200 times more at 960 x 540).
    this.jointReads += jointSyncs;
    const jointTrials = (Math.max(1, this.jointReads) * positions * Math.max(1, K)) / this.wholeShare;
    const trials: LookTrials = { decoded: decodedTrials, offset: offsetTrials, atSync: atSyncTrials, joint: jointTrials, part: this.partTrials };
    this.lastTrials = trials;
    this.partsCounted = this.partsRead;
    this.partAccused = false;
    const decodedById = new Map<bigint, DecodedEntry>();
    const atSync = new Float64Array(K).fill(-Infinity);
    const joint = new Float64Array(K).fill(-Infinity);
    // [K][PAYLOAD_TILES] per-tile z of each candidate where its two scores were taken (for explaining away).
    const atSyncTiles = Array.from({ length: K }, () => new Float64Array(PAYLOAD_TILES));
    // The sync each candidate's test (i) reading is from (syncs.length + i: nominal sync i).
    const atSyncFrom = new Int32Array(K);
    const jointTiles = Array.from({ length: K }, () => new Float64Array(PAYLOAD_TILES));
    // (`peak` only at the syncs after the first: at the first the reference's own peak is reported, `jointSync`.)
    const jointWhere: Array<{ sync: number; x: number; y: number; z: number; peak: Peak | null } | null> = new Array(K).fill(null);
    const tileValues = this.tileValues;
    // The sum of payload z-values a decoded ID needs to be accused (score = sum / sqrt(PAYLOAD_TILES)).
    const neededSum = scoreForProbability(Math.log10(this.accusationThreshold), decodedTrials) / Z_NORM;
    const neededOffsetSum = scoreForProbability(Math.log10(this.accusationThreshold), decodedTrials * offsetFactor) / Z_NORM;
    const offsetFound = new Map<bigint, DecodedEntry>();
    // The IDs whose strongest reading at another offset is one of a nominal sync's: which.
    const nominalOffsetIds = new Map<bigint, number>();
    const subs: Array<{ dx: number; dy: number }> = [];
    const syncPeaks: Peak[] = [];
    this.lastSubs = subs; // filled below, one per sync read
    this.lastPeaks = syncPeaks;
    let significantDecoded = false;
    for (let s = 0; s < syncs.length; s++) {
      const { sub, rx, ry } = this.correlateSync(syncs[s]);
      subs.push(sub);
      const z = this.surfaces;
      syncPeaks.push(peakAround(z[0], rx, ry));
      if (s < FREE_DECODE_SYNCS && this.freeDecoding) significantDecoded = this.decodeFreely(rx, ry, s === 0, significantDecoded, neededSum, decodedById);
      if (s < jointSyncs) this.jointPeaks?.load(z);
      // (i) The payload read at the reference tile's position.
      this.readCandidatesAt(rx, ry, atSync, atSyncTiles, atSyncFrom, s);
      // (ii) Joint: the position where each candidate's whole mark (reference + its payload) correlates best, scored
      // on the payload alone. Uses all the mark's power for synchronisation when the reference is weak.
      for (let c = 0; s < jointSyncs && c < K; c++) {
        const shifts = this.candidateShifts[c];
        const bestI = (this.jointPeaks as JointPeaks).peak(shifts);
        const bx = bestI % CELLS;
        const by = (bestI - bx) / CELLS;
        const payload = readTiles(z, bx, by, shifts, tileValues);
        if (payload * Z_NORM > joint[c]) {
          joint[c] = payload * Z_NORM;
          jointTiles[c].set(tileValues);
          jointWhere[c] = { sync: s, x: bx, y: by, z: z[0][bestI], peak: s === 0 ? null : peakAround(z[0], bx, by) };
        }
      }
      // Last, as it overwrites the payload surfaces: the other payload offsets, while nothing is significant.
      if (offsetLook && s < OFFSET_SEARCH_SYNCS && !significantDecoded) this.decodeAtOffsets(sub, rx, ry, neededOffsetSum, offsetFound);
    }
    // The nominal syncs, each at its known position and sub-cell offset: the free decoder (not as the best sync: the
    // list decoder's pruned search and the erasure run only while nothing read so far is significant) and test (i).
    // `nominalIds`: the decoded IDs read best at one, which.
    const nominalIds = new Map<bigint, number>();
    const nominalReads: Array<{ estimate: SyncEstimate; peak: Peak; log10Sync: number }> = [];
    for (let i = 0; i < nominals.length; i++) {
      const nominal = nominals[i];
      // The height fit has the plain rescale's period: the fold the correlator holds (the surfaces read since do not
      // change it) is read again at its own sub-cell offset.
      const previous = nominals[i - 1]?.sync;
      const folded = previous !== undefined && previous.periodX === nominal.sync.periodX && previous.periodY === nominal.sync.periodY;
      const { rx, ry } = this.correlateSync(nominal.sync, nominal.sub, true, folded);
      const z0 = this.surfaces[0][ry * CELLS + rx];
      const log10SyncThere = this.log10SyncOf(z0);
      nominalReads.push({
        estimate: this.syncEstimate(nominal.sync, rx + nominal.sub.dx, ry + nominal.sub.dy, z0, log10SyncThere, nominal.fit),
        peak: peakAround(this.surfaces[0], rx, ry),
        log10Sync: log10SyncThere,
      });
      if (this.freeDecoding) {
        for (const id of changedBy(decodedById, () => this.decodeFreely(rx, ry, false, significantDecoded, neededSum, decodedById))) {
          nominalIds.set(id, i);
          if ((decodedById.get(id) as DecodedEntry).sum >= neededSum) significantDecoded = true;
        }
      }
      this.readCandidatesAt(rx, ry, atSync, atSyncTiles, atSyncFrom, syncs.length + i);
      // Last, as it overwrites the payload surfaces: its other payload offsets, as at the searched syncs, unless an ID
      // read so far is significant (one read at a nominal sync too: any ID, the erasure's included, since the
      // offsets are then not needed to name someone).
      if (offsetLook && !significantDecoded) {
        for (const id of changedBy(offsetFound, () => this.decodeAtOffsets(nominal.sub, rx, ry, neededOffsetSum, offsetFound))) nominalOffsetIds.set(id, i);
      }
    }
    // An ID read at another offset (a searched sync's or a nominal one's, the strongest) replaces its reading at the
    // reference's where it is more significant, counted so.
    for (const [id, entry] of offsetFound) {
      const usual = decodedById.get(id);
      if (usual && log10Bonferroni(usual.sum * Z_NORM, decodedTrials) <= log10Bonferroni(entry.sum * Z_NORM, decodedTrials * offsetFactor)) continue;
      decodedById.set(id, { ...entry, trialsFactor: offsetFactor });
      const i = nominalOffsetIds.get(id);
      if (i !== undefined) nominalIds.set(id, i);
      else nominalIds.delete(id);
    }
    const log10Threshold = Math.log10(this.accusationThreshold);
    const candidates = judgeCandidates({ shifts: this.candidateShifts, atSync: atSyncTiles, joint: jointTiles, jointMade: Array.from(joint, (v) => v > -Infinity) }, trials, log10Threshold)
      .map((c) => ({ ...c, id: this.candidateIds[c.index], look: this.looks, atFrames: this.frames, part: null as PartRange | null }));
    const accusedNow = candidates.filter((c) => c.accused).map((c) => ({ ...c, symbols: this.candidateShifts[c.index].map(symbolOf) }));
    const decodedNow = explainAwayDecoded(
      decodedById,
      accusedNow,
      log10Threshold,
      decodedTrials,
    ).map((d) => ({ ...d, look: this.looks, atFrames: this.frames }));
    this.remember(decodedNow, decodedById, neededSum);
    const syncNow = this.syncEstimate(syncs[0], (syncs[0].peakIndex % CELLS) + subs[0].dx, Math.floor(syncs[0].peakIndex / CELLS) + subs[0].dy, syncs[0].z, log10Sync);
    // Where a candidate accused at this look was read: the reference's position, or its joint peak at another sync.
    const jointSync = (c: (typeof candidates)[number]) => {
      const where = jointWhere[c.index];
      return c.viaJoint && where && where.sync !== 0 ? where : null;
    };
    // Test (i) read at a nominal sync (a joint reading is at a searched sync): its reading there, if so.
    const atNominal = (c: (typeof candidates)[number]) => (c.viaJoint || atSyncFrom[c.index] < syncs.length ? undefined : nominalReads[atSyncFrom[c.index] - syncs.length]);
    // Its synchronisation's log10 probability: that position's own evidence, with the search's multiplicity (`look`).
    const syncLog10Of = (c: (typeof candidates)[number]) => {
      const nominal = atNominal(c);
      if (nominal) return nominal.log10Sync;
      const where = jointSync(c);
      return where ? this.log10SyncOf(where.z) : log10Sync;
    };
    const syncOf = (c: (typeof candidates)[number]) => {
      const nominal = atNominal(c);
      if (nominal) return nominal.estimate;
      const where = jointSync(c);
      if (!where) return syncNow;
      return this.syncEstimate(syncs[where.sync], where.x + subs[where.sync].dx, where.y + subs[where.sync].dy, where.z, syncLog10Of(c));
    };
    // The reference's correlation around that geometry.
    const peakOf = (c: (typeof candidates)[number]) => atNominal(c)?.peak ?? jointSync(c)?.peak ?? syncPeaks[0];
    // A decoded ID read best at a nominal sync: that reading.
    const decodedNominal = (id: bigint) => {
      const i = nominalIds.get(id);
      return i === undefined ? undefined : nominalReads[i];
    };
    // Accusations stand across looks (`AccusationRecord`): this look's are kept, and earlier ones stand unless an
    // ID accused now holds one of their tiles.
    const decodedAccused = decodedNow
      .filter((d) => d.log10p < log10Threshold)
      .map((d) => {
        const { symbols, trialsFactor } = decodedById.get(d.id)!;
        return { ...d, symbols, trialsFactor };
      });
    const made = { log10Sync, hypothesisLooks: this.hypothesisLooks, look: this.looks, atFrames: this.frames };
    for (const c of accusedNow) {
      this.accusations.keep({ id: c.id, method: 'candidates', score: c.score, atScore: c.atScore, jointScore: c.jointScore, symbols: c.symbols, sync: syncOf(c), peak: peakOf(c), ...made, log10Sync: syncLog10Of(c) }, c.log10p, trials);
    }
    for (const d of decodedAccused) {
      // Read at a nominal sync: that geometry, with its own probability (what a later look counts again).
      const nominal = decodedNominal(d.id);
      const where = nominal ? { sync: nominal.estimate, log10Sync: nominal.log10Sync, peak: nominal.peak } : { sync: syncNow, log10Sync, peak: syncPeaks[0] };
      this.accusations.keep({ id: d.id, method: 'decoded', score: d.score, atScore: d.score, jointScore: -Infinity, symbols: d.symbols, trialsFactor: d.trialsFactor, ...made, ...where }, d.log10p, trials);
    }
    const earlier = this.accusations.standing(this.looks, [...accusedNow, ...decodedAccused], trials, log10Threshold);
    // An ID's standing accusation of one kind (a decoded one may stand beside the candidate part given), if stronger.
    const fromEarlier = (id: bigint, method: Accusation['method'], log10p: number) => {
      const e = earlier.get(id);
      const kind = e?.accusation.method === method ? e : method === 'decoded' ? e?.decoded : undefined;
      return kind && kind.log10p < log10p ? kind : undefined;
    };
    // Each candidate with its strongest standing accusation, and whether it is accused on the whole reading (what
    // heads the verdict) whichever is given.
    const candidatesMerged = candidates.map((c) => {
      const e = fromEarlier(c.id, 'candidates', c.log10p);
      const onWhole = c.accused || decodedAccused.some((d) => d.id === c.id) || (earlier.get(c.id)?.onWhole ?? false);
      return e
        ? { ...c, score: e.accusation.score, log10p: e.log10p, accused: true, look: e.accusation.look, atFrames: e.accusation.atFrames, part: e.accusation.part ?? null, onWhole }
        : { ...c, onWhole };
    });
    candidatesMerged.sort((a, b) => a.log10p - b.log10p || b.score - a.score);
    const decoded = decodedNow.map((d) => {
      const e = fromEarlier(d.id, 'decoded', d.log10p);
      return e ? { ...d, score: e.accusation.score, log10p: e.log10p, look: e.accusation.look, atFrames: e.accusation.atFrames } : d;
    });
    for (const [id, e] of earlier) {
      const d = e.accusation.method === 'decoded' ? e : e.decoded;
      if (d && !decoded.some((x) => x.id === id)) {
        decoded.push({ id, score: d.accusation.score, log10p: d.log10p, look: d.accusation.look, atFrames: d.accusation.atFrames });
      }
    }
    decoded.sort((a, b) => a.log10p - b.log10p || b.score - a.score);
    const accusedCandidates = candidatesMerged.filter((c) => c.accused);
    const accusedDecoded = decoded.filter((d) => d.log10p < log10Threshold);
    let method: WatermarkVerdict['method'] = null;
    let top: { id: bigint; score: number; log10p: number; look: number } | undefined;
    // The strongest accused on the whole reading (at some look: the reading from its first frame to that look) heads
    // the verdict, given its strongest accusation, which may be on a part (then the verdict's probability is that
    // part's, while the timeline keeps each look's own evidence); a candidate before a decoded ID; one accused only
    // on a part of the reading when no one is on the whole.
    const wholeCandidate = accusedCandidates.find((c) => c.onWhole);
    if (wholeCandidate) {
      method = 'candidates';
      top = wholeCandidate;
    } else if (accusedDecoded.length > 0) {
      method = 'decoded';
      top = accusedDecoded[0];
    } else if (accusedCandidates.length > 0) {
      method = 'candidates';
      top = accusedCandidates[0];
    }
    // The geometry where the top accusation was read (at an earlier look: its probability counted again too), and
    // the reference's correlation around it then.
    let sync: SyncEstimate | null = syncNow;
    let peak: Peak | null = syncPeaks[0] ?? null;
    if (top !== undefined && top.look !== this.looks) {
      const e = earlier.get(top.id) as StandingAccusation;
      const a = method === 'decoded' && e.accusation.method !== 'decoded' && e.decoded ? e.decoded.accusation : e.accusation;
      const log10 = Math.min(0, a.log10Sync + Math.log10(this.hypothesisLooks / a.hypothesisLooks));
      sync = { ...a.sync, falseAlarmProbability: fromLog10(log10) };
      peak = a.peak ?? peak;
    } else if (method === 'candidates') {
      const c = candidates.find((c) => c.id === (top as { id: bigint }).id) as (typeof candidates)[number];
      sync = syncOf(c);
      peak = peakOf(c);
    } else if (method === 'decoded') {
      const nominal = decodedNominal((top as { id: bigint }).id);
      if (nominal) {
        sync = nominal.estimate;
        peak = nominal.peak;
      }
    }
    // Geometry is reported only when it means something: an ID was accused, or the reference tile alone is
    // significant (a mark of this key is present even if no ID could be read). Otherwise it is the best of noise.
    if (top === undefined && log10Sync >= SYNC_REPORT_LOG10) sync = null;
    const accused = [...new Set([...accusedCandidates.map((c) => c.id), ...accusedDecoded.map((d) => d.id)])];
    const shown = top ?? candidatesMerged[0] ?? decoded[0];
    const log10p = shown ? shown.log10p : 0;
    const score = shown ? shown.score : 0;
    // The timeline records this look's own evidence.
    const shownNow = accusedNow[0] ?? decodedAccused[0] ?? candidates[0] ?? decodedNow[0];
    // A final look at the frame count of the look before it (to search the mirror image) replaces that look's point.
    if (this.timeline.length > 0 && this.timeline[this.timeline.length - 1].frames === this.frames) this.timeline.pop();
    this.timeline.push({
      time: round3(this.secondsAnalyzed),
      frames: this.frames,
      score: round3(shownNow ? shownNow.score : 0),
      syncZ: round3(syncs[0]?.z ?? 0),
      falseAlarmProbability: fromLog10(shownNow ? shownNow.log10p : 0),
    });
    return {
      found: top !== undefined,
      id: top ? top.id : null,
      falseAlarmProbability: top ? fromLog10(top.log10p) : shown ? fromLog10(shown.log10p) : 1,
      log10FalseAlarmProbability: round3(log10p),
      score: round3(score),
      method,
      accused,
      sync,
      candidates: candidatesMerged.map((c) => ({ id: c.id, score: c.score, falseAlarmProbability: fromLog10(c.log10p), accused: c.accused, atFrames: c.atFrames, part: c.part, accusedOnWhole: c.accused && c.onWhole })),
      decoded: decoded.map((d) => ({ id: d.id, score: d.score, falseAlarmProbability: fromLog10(d.log10p), atFrames: d.atFrames })),
      framesAnalyzed: this.frames,
      secondsAnalyzed: round3(this.secondsAnalyzed),
      timeline: this.timeline.slice(),
      peak,
      accusationThreshold: this.accusationThreshold,
    };
  }
}

/** Runs `read`, which adds entries to `found` or replaces them, and returns the IDs whose entry it changed. */
function changedBy<V>(found: Map<bigint, V>, read: () => void): bigint[] {
  const before = new Map(found);
  read();
  const changed: bigint[] = [];
  for (const [id, entry] of found) if (before.get(id) !== entry) changed.push(id);
  return changed;
}

/** The reference surface's 15 x 15 z values around its peak at (rx, ry), row-major (the verdict's `peak`). */
function peakAround(reference: Float64Array, rx: number, ry: number): Peak {
  const values: number[] = [];
  for (let dy = -7; dy <= 7; dy++) {
    for (let dx = -7; dx <= 7; dx++) values.push(round3(reference[((ry + dy + CELLS) % CELLS) * CELLS + ((rx + dx + CELLS) % CELLS)]));
  }
  return { size: 15, values };
}

/** `surface` turned into z values: (value - mean) / std, with `inv` = 1 / std. */
function standardise(surface: Float64Array, mean: number, inv: number): void {
  for (let i = 0; i < surface.length; i++) surface[i] = (surface[i] - mean) * inv;
}

/** Where a turned hypothesis comes in `searchOtherOrientations`' evaluation: half turns first, then by angle. */
function evaluationOrder(o: Orientation): number {
  return o.rotation === 180 ? -1000 : o.rotation;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
