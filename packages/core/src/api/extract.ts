/**
 * Extraction: blind detection of the mark in a suspect video or still, streaming decoded luma at the detector's
 * working size into the watermark detector until the verdict is certain, the input ends, or `maxSeconds` is reached.
 */
import { InputError, UsageError } from '../errors.js';
import { displaySize, probe, readFrames } from '../media/index.js';
import type { MediaInfo } from '../media/index.js';
import { PartnerRegistry } from '../registry.js';
import type { Partner } from '../registry.js';
import { assertKnownOptions, assertNonEmptyString, assertObject, invalid, optionalBoolean, optionalFunction, optionalNumber, optionalSignal } from '../validate.js';
import { ACCUSATION_THRESHOLD, EARLY_STOP_MARGIN, SUSPECT_PROBABILITY, WatermarkDetector } from '../watermark/index.js';
import type { WatermarkVerdict } from '../watermark/index.js';
import { DEFAULT_MASTER_HEIGHT } from '../watermark/detector.js';
import { Ledger, loadLedger } from '../ledger.js';
import type { WatermarkKey } from '../watermark/index.js';
import { VERSION_STRING, assertId, assertKey, assertReadableSize, sha256File, throwIfAborted } from './common.js';
import { Detection } from './detection.js';
import { lumaOf } from './embed.js';

/**
 * Seconds from the start of a video in which every frame is decoded; after them, keyframes only (unless `allFrames`).
 * Ten: a short leak (a clip posted online) is analysed whole, where a weak mark needs every frame (after 640x360
 * CRF 35 the evidence still grows from the fifth to the tenth second: docs/WATERMARK.md), while a long leak read to
 * its end still goes many times faster than real time (a long film's keyframes sample its scenes cheaply). Early
 * stop ends the reading sooner once the verdict is certain.
 */
export const ALL_FRAMES_SECONDS = 10;

/** Options of {@link extractVideo}, {@link extractImage} and {@link extract}. */
export interface ExtractOptions {
  /** The suspect file: a video, or a still image (screenshot) for {@link extractImage}. */
  input: string;
  /** The studio key the deliveries were marked with. */
  key: WatermarkKey;
  /**
   * The IDs actually issued. Scoring only these detects from weaker evidence than free decoding, and accuses every
   * candidate that passes the threshold (two recipients' copies averaged: both are named). Default: the partners' IDs
   * when `partners` is given, otherwise free decoding of any ID.
   */
  candidates?: readonly bigint[];
  /** Names for the IDs in the result (and the default candidates): a registry or a list of partners. */
  partners?: PartnerRegistry | readonly Partner[];
  /** Analyse at most this many seconds from the start of the input (default: all, or until certain). */
  maxSeconds?: number;
  /**
   * Read the whole input (or `maxSeconds`) even once the verdict is certain. Default: true when candidates are scored
   * (given, a registry's or a ledger's), so that a part spliced in from another recipient's copy after the first
   * certain verdict is read and its recipient named too; false for blind readings, which stop as soon as the verdict
   * is certain. `false` with candidates stops early too (the rest of the input is then not read).
   */
  fullScan?: boolean;
  /**
   * Decode every frame of the whole input. Default false: every frame of the first {@link ALL_FRAMES_SECONDS}
   * seconds (where an early verdict comes from), then keyframes only, which reads a long leak many times faster
   * than real time (full decoding of 1080p H.264 alone runs at about 7x real time on two cores).
   */
  allFrames?: boolean;
  /** Height of the marked master, to express `sync.scale` against it (default 1080). Detection does not need it. */
  masterHeight?: number;
  /** Accuse only below this false-alarm probability; default {@link ACCUSATION_THRESHOLD}. */
  accusationThreshold?: number;
  /** Cancels the work and stops ffmpeg. */
  signal?: AbortSignal;
  /** Called after each analysed frame. */
  onProgress?: (progress: ExtractProgress) => void;
  /**
   * A delivery ledger (path or loaded {@link Ledger}): the result's `deliveries` then holds the recorded deliveries
   * of the accused IDs under this key, and the partners recorded with its IDs under this key name them (where
   * `partners` does not). Unless `candidates` or `partners` is given, the IDs it records under this key (the IDs
   * actually issued) are the candidates; with none recorded under the key, IDs are decoded freely. A path is read
   * before the analysis starts (a missing ledger fails at once).
   */
  ledger?: string | Ledger;
}

/** Progress of an extraction. */
export interface ExtractProgress {
  readonly framesAnalyzed: number;
  /** Seconds of the input analysed so far. */
  readonly secondsAnalyzed: number;
  /** Seconds that will be analysed at most (input duration or `maxSeconds`), when known (null for a still). */
  readonly secondsTotal: number | null;
  /** Whether the verdict is already certain (reading stops unless `fullScan`). */
  readonly certain: boolean;
}

interface CheckedExtractOptions {
  input: string;
  key: WatermarkKey;
  candidates: bigint[] | undefined;
  names: Map<bigint, string>;
  maxSeconds: number | undefined;
  /** Undefined until the candidates are known (`detect` resolves the default). */
  fullScan: boolean | undefined;
  allFrames: boolean;
  masterHeight: number | undefined;
  accusationThreshold: number;
  signal: AbortSignal | undefined;
  onProgress: ((progress: ExtractProgress) => void) | undefined;
  registry: string | null;
  ledger: string | Ledger | undefined;
  /** The candidates are the ledger's IDs under the key (`useLedger`). */
  candidatesFromLedger: boolean;
}

/** The options extractVideo, extractImage and extract take (`ExtractOptions`). */
const EXTRACT_OPTIONS: readonly string[] = [
  'input', 'key', 'candidates', 'partners', 'maxSeconds', 'fullScan', 'allFrames', 'masterHeight', 'accusationThreshold', 'signal', 'onProgress', 'ledger',
];

function checkExtractOptions(options: unknown): CheckedExtractOptions {
  assertObject(options, 'options');
  const o = options as Record<string, unknown>;
  assertKnownOptions(o, EXTRACT_OPTIONS, 'options');
  assertNonEmptyString(o.input, 'options.input');
  assertKey(o.key, 'options.key');
  let partners: readonly Partner[] | undefined;
  if (o.partners instanceof PartnerRegistry) partners = o.partners.partners;
  else if (Array.isArray(o.partners)) {
    partners = o.partners as Partner[];
    partners.forEach((p, i) => {
      if (p === null || typeof p !== 'object' || typeof p.name !== 'string') invalid(`options.partners[${i}]`, 'a partner { name, id }', p);
      assertId(p.id, `options.partners[${i}].id`);
    });
  } else if (o.partners !== undefined) invalid('options.partners', 'a PartnerRegistry or an array of partners', o.partners);
  let candidates: bigint[] | undefined;
  if (o.candidates !== undefined) {
    if (!Array.isArray(o.candidates) || o.candidates.length === 0) invalid('options.candidates', 'a non-empty array of bigint IDs', o.candidates);
    candidates = [];
    const seen = new Set<bigint>();
    (o.candidates as unknown[]).forEach((id, i) => {
      assertId(id, `options.candidates[${i}]`);
      if (seen.has(id)) throw new UsageError(`Expected distinct IDs for options.candidates but received ${id} twice`);
      seen.add(id);
      candidates!.push(id);
    });
  } else if (partners !== undefined) {
    if (partners.length === 0) throw new UsageError('Expected at least one partner for options.partners but received none');
    candidates = partners.map((p) => p.id);
  }
  const names = new Map<bigint, string>();
  for (const partner of partners ?? []) names.set(partner.id, partner.name);
  if (o.ledger !== undefined && !(o.ledger instanceof Ledger)) assertNonEmptyString(o.ledger, 'options.ledger');
  return {
    input: o.input,
    key: o.key,
    candidates,
    names,
    maxSeconds: optionalNumber(o.maxSeconds, 'options.maxSeconds', Number.MIN_VALUE, Number.MAX_VALUE),
    fullScan: optionalBoolean(o.fullScan, 'options.fullScan'),
    allFrames: optionalBoolean(o.allFrames, 'options.allFrames') ?? false,
    masterHeight: optionalNumber(o.masterHeight, 'options.masterHeight', 16, 65536, true),
    accusationThreshold: optionalNumber(o.accusationThreshold, 'options.accusationThreshold', Number.MIN_VALUE, 0.5) ?? ACCUSATION_THRESHOLD,
    signal: optionalSignal(o.signal, 'options.signal'),
    onProgress: optionalFunction(o.onProgress, 'options.onProgress'),
    registry: o.partners instanceof PartnerRegistry ? o.partners.path : null,
    ledger: o.ledger as string | Ledger | undefined,
    candidatesFromLedger: false,
  };
}

async function extractKind(options: ExtractOptions, want: 'video' | 'image' | 'any'): Promise<Detection> {
  const checked = checkExtractOptions(options);
  throwIfAborted(checked.signal);
  const ledger = typeof checked.ledger === 'string' ? await loadLedger(checked.ledger) : (checked.ledger ?? null);
  if (ledger) useLedger(checked, ledger);
  const info = await probe(checked.input);
  if (want !== 'any' && info.kind !== want) {
    throw new InputError(
      `${checked.input}: is a ${info.kind === 'image' ? 'still image' : 'video'}; use ${info.kind === 'image' ? 'extractImage' : 'extractVideo'} (or extract)`,
      checked.input,
    );
  }
  // Hash while decoding. If detection fails first, the hash is stopped so that a long file is not read to its end
  // for nothing (and does not keep the process alive).
  const stopHashing = new AbortController();
  const hashing = sha256File(checked.input, checked.signal ? AbortSignal.any([checked.signal, stopHashing.signal]) : stopHashing.signal);
  hashing.catch(() => undefined);
  try {
    return await detect(checked, info, hashing, ledger);
  } finally {
    stopHashing.abort();
  }
}

/**
 * What the ledger gives an extraction: the partners recorded with its IDs under the key name those IDs (where no
 * partner given already does; an ID recorded with two different partners is named by neither), and, when no
 * candidates or partners were given, those IDs (in ledger order, each once) are the candidates. With none recorded
 * under the key, IDs are decoded freely, as without a ledger.
 */
function useLedger(checked: CheckedExtractOptions, ledger: Ledger): void {
  const issued = new Map<bigint, string | null | undefined>(); // undefined: recorded with different partners
  for (const record of ledger.records) {
    if (record.keyId !== checked.key.id) continue;
    const known = issued.get(record.id);
    if (!issued.has(record.id) || known === null) issued.set(record.id, record.partner);
    else if (known !== undefined && record.partner !== null && record.partner.toLowerCase() !== known.toLowerCase()) issued.set(record.id, undefined);
  }
  for (const [id, partner] of issued) if (partner && !checked.names.has(id)) checked.names.set(id, partner);
  if (checked.candidates !== undefined || issued.size === 0) return;
  checked.candidates = [...issued.keys()];
  checked.candidatesFromLedger = true;
}

/** One reading of the leak by one detector: frames in the picture's orientation as displayed, or as stored. */
interface Reading {
  detector: WatermarkDetector;
  frames: number;
  keyframesRead: number;
  stoppedEarly: boolean;
}

async function readLeak(checked: CheckedExtractOptions, info: MediaInfo, displayed: boolean, threshold: number, fullScan: boolean): Promise<Reading> {
  const shown = displayed ? displaySize(info.width, info.height, info.rotation) : { width: info.width, height: info.height };
  const detector = new WatermarkDetector({
    key: checked.key,
    candidates: checked.candidates,
    inputWidth: shown.width,
    inputHeight: shown.height,
    accusationThreshold: threshold,
    masterHeight: checked.masterHeight,
  });
  const duration = typeof info.duration === 'number' && info.duration > 0 ? info.duration : null;
  let secondsTotal: number | null = null;
  if (info.kind === 'video') secondsTotal = duration !== null && checked.maxSeconds !== undefined ? Math.min(duration, checked.maxSeconds) : (checked.maxSeconds ?? duration);
  let stoppedEarly = false;
  let frames = 0;
  // What to read: every frame, or every frame of the first ALL_FRAMES_SECONDS and keyframes only after that.
  const limit = info.kind === 'image' ? undefined : checked.maxSeconds;
  const split = info.kind === 'video' && !checked.allFrames && (limit === undefined || limit > ALL_FRAMES_SECONDS) && (duration === null || duration > ALL_FRAMES_SECONDS);
  const passes = split
    ? [
        { duration: ALL_FRAMES_SECONDS, keyframesOnly: false },
        { start: ALL_FRAMES_SECONDS, duration: limit === undefined ? undefined : limit - ALL_FRAMES_SECONDS, keyframesOnly: true },
      ]
    : [{ duration: limit, keyframesOnly: false }];
  let firstPts = Number.NaN; // containers may start their timeline anywhere (MPEG-TS often at 1.4 s or more)
  let keyframesRead = 0; // frames of the keyframes-only pass (none when the reading ended within the dense window)
  reading: for (const pass of passes) {
    const frameStream = readFrames(checked.input, {
      lumaOnly: true,
      // The picture as a viewer sees it (turned by its display rotation), as the mark was made; or as stored.
      displayed,
      width: detector.workingWidth,
      height: detector.workingHeight,
      ...pass,
      // The detector folds each frame into its accumulator at once, so the reader may recycle its buffers.
      reuseBuffers: true,
      // Keyframes carry the mark afresh and weigh more in the detector's sum (KEYFRAME_WEIGHT).
      markKeyframes: true,
      info,
      signal: checked.signal,
    });
    for await (const frame of frameStream) {
      detector.addFrame(lumaOf(frame), frame.pts, frame.keyFrame === true);
      frames++;
      if (pass.keyframesOnly) keyframesRead++;
      if (Number.isNaN(firstPts)) firstPts = frame.pts;
      const certain = detector.certain;
      checked.onProgress?.({ framesAnalyzed: frames, secondsAnalyzed: frame.pts - firstPts, secondsTotal, certain });
      if (certain && !fullScan) {
        stoppedEarly = true;
        break reading; // ends the iterator: the media layer stops its ffmpeg
      }
    }
  }
  return { detector, frames, keyframesRead, stoppedEarly };
}

/**
 * The verdict of one of `readings` hypotheses read with the threshold divided among them: every probability it
 * reports multiplied by `readings` (the Bonferroni bound over the readings made or that could have been), and the
 * threshold given back whole.
 */
function overReadings(verdict: WatermarkVerdict, readings: number, threshold: number): WatermarkVerdict {
  if (readings === 1) return verdict;
  const times = (p: number) => Math.min(1, p * readings);
  const log10 = Math.log10(readings);
  return {
    ...verdict,
    falseAlarmProbability: times(verdict.falseAlarmProbability),
    log10FalseAlarmProbability: Math.min(0, Math.round((verdict.log10FalseAlarmProbability + log10) * 1000) / 1000),
    sync: verdict.sync && verdict.sync.falseAlarmProbability !== undefined ? { ...verdict.sync, falseAlarmProbability: times(verdict.sync.falseAlarmProbability) } : verdict.sync,
    candidates: verdict.candidates.map((c) => ({ ...c, falseAlarmProbability: times(c.falseAlarmProbability) })),
    decoded: verdict.decoded.map((d) => ({ ...d, falseAlarmProbability: times(d.falseAlarmProbability) })),
    timeline: verdict.timeline.map((t) => ({ ...t, falseAlarmProbability: times(t.falseAlarmProbability) })),
    accusationThreshold: threshold,
  };
}

async function detect(checked: CheckedExtractOptions, info: MediaInfo, hashing: Promise<string>, ledger: Ledger | null): Promise<Detection> {
  assertReadableSize(info, 'read');
  const shown = displaySize(info.width, info.height, info.rotation); // read as displayed
  const fullScan = checked.fullScan ?? checked.candidates !== undefined;
  const duration = typeof info.duration === 'number' && info.duration > 0 ? info.duration : null;
  // A picture turned a quarter for display is read as displayed and, if no one is accused, as stored (a rotated
  // master's delivery marked before 2026-11-25, or remuxed without its rotation into a leak that keeps the tag):
  // two hypotheses, each given half the threshold.
  const quarter = info.rotation === 90 || info.rotation === 270;
  const readings = quarter ? 2 : 1;
  let read = await readLeak(checked, info, true, checked.accusationThreshold / readings, fullScan);
  let verdict = read.detector.result();
  let asStored = false;
  if (quarter && !verdict.found && read.frames > 0) {
    throwIfAborted(checked.signal);
    const stored = await readLeak(checked, info, false, checked.accusationThreshold / readings, fullScan);
    const storedVerdict = stored.detector.result();
    if (storedVerdict.found) {
      read = stored;
      verdict = storedVerdict;
      asStored = true;
    }
  }
  verdict = overReadings(verdict, readings, checked.accusationThreshold);
  const { detector, frames, keyframesRead, stoppedEarly } = read;
  const seen = asStored ? { width: info.width, height: info.height } : shown;
  throwIfAborted(checked.signal);
  if (frames === 0) throw new InputError(`${checked.input}: no frame could be decoded (empty or truncated?)`, checked.input);
  const sha256 = await hashing;
  return new Detection({
    verdict,
    accusationThreshold: checked.accusationThreshold,
    stoppedEarly,
    input: {
      path: checked.input,
      sha256,
      kind: info.kind,
      width: seen.width,
      height: seen.height,
      frameRate: info.kind === 'image' ? null : (info.frameRate ?? null),
      duration: info.kind === 'image' ? null : duration,
      size: info.size,
      container: info.container,
      containerLongName: info.containerLongName ?? null,
      rotationApplied: asStored ? 0 : info.rotation,
    },
    keyId: checked.key.id,
    version: VERSION_STRING,
    nameOf: (id) => checked.names.get(id) ?? null,
    parameters: {
      candidates: checked.candidates ?? null,
      registry: checked.registry,
      candidatesFromLedger: checked.candidatesFromLedger,
      maxSeconds: checked.maxSeconds ?? null,
      fullScan,
      allFrames: checked.allFrames,
      allFramesSeconds: keyframesRead > 0 ? ALL_FRAMES_SECONDS : null,
      masterHeight: checked.masterHeight ?? DEFAULT_MASTER_HEIGHT,
      earlyStopMargin: EARLY_STOP_MARGIN,
      suspectProbability: SUSPECT_PROBABILITY,
      keyframeWeight: detector.keyframeWeight,
      keyframesAnalyzed: detector.keyframeCount,
    },
    ledger,
  });
}

/**
 * Look for the mark in a video, blindly (no original needed): any downscale, crop, pad, brightness, re-encode or trim.
 * Blind, stops as soon as the verdict is certain; among candidates, reads the whole input (`fullScan`).
 * @throws UsageError (bad options), InputError (missing, empty, truncated or non-media input; a still), AbortError,
 *   FfmpegError.
 * @example
 * const detection = await extractVideo({ input: 'leak.mp4', key: await loadKey('studio.key') });
 * if (detection.found) console.log(detection.id, detection.falseAlarmProbability);
 * console.log(JSON.stringify(detection)); // the CLI's --json contract
 */
export function extractVideo(options: ExtractOptions): Promise<Detection> {
  return extractKind(options, 'video');
}

/** Look for the mark in a single still image (a screenshot of one frame). @throws as {@link extractVideo}. */
export function extractImage(options: ExtractOptions): Promise<Detection> {
  return extractKind(options, 'image');
}

/** Look for the mark in a video or a still, whichever `input` is (what `reelmark extract` does). */
export function extract(options: ExtractOptions): Promise<Detection> {
  return extractKind(options, 'any');
}
