/**
 * Embedding: mark every frame of a video (or a still image) with a recipient's ID, streaming through the media layer.
 */
import { rm } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { displaySize, probe, rationalValue, transformVideo, turnForDisplay } from '../media/index.js';
import type { Frame, MediaInfo } from '../media/index.js';
import {
  assertKnownOptions,
  assertNonEmptyString,
  assertObject,
  optionalBoolean,
  optionalFunction,
  optionalNumber,
  optionalSignal,
  optionalString,
} from '../validate.js';
import { DEFAULT_STRENGTH, MAX_STRENGTH, WatermarkEmbedder } from '../watermark/index.js';
import type { LumaPlane, WatermarkKey } from '../watermark/index.js';
import type { DeliveryRecord } from '../ledger.js';
import { assertId, assertKey, assertReadableSize, throwIfAborted } from './common.js';
import { DeliveryRecorder } from './deliveries.js';
import type { LedgerSettings } from './deliveries.js';
import { LumaDistortion } from './quality.js';

/** Options of {@link embedVideo}, {@link embedImage} and {@link embed}. */
export interface EmbedOptions {
  /** Source master: a video file, or a still image (png, jpg, tiff) for {@link embedImage}. */
  input: string;
  /** Marked output. Written to a temporary file beside it and renamed on success; never equal to `input`. */
  output: string;
  /** The studio key (see `createKey`, `loadKey`). */
  key: WatermarkKey;
  /** The recipient's ID, 0 .. MAX_ID. */
  id: bigint;
  /** Mark amplitude before perceptual masking; default {@link DEFAULT_STRENGTH}. Higher survives more, shows more. */
  strength?: number;
  /** Encoder (e.g. `libx264`, `prores_ks`, `ffv1`); default: the source's family where ffmpeg can encode it. */
  codec?: string;
  /** Encoder constant rate factor, for the encoders that take one. */
  crf?: number;
  /** Encoder preset, e.g. `medium`. */
  preset?: string;
  /** Replace `output` if it exists (default false: an existing output is an error and is left untouched). */
  overwrite?: boolean;
  /** Cancels the work; the partial output is removed and ffmpeg is stopped. */
  signal?: AbortSignal;
  /** Called as frames are encoded. */
  onProgress?: (progress: EmbedProgress) => void;
  /**
   * Delivery ledger (JSON Lines) to record the output in, once it is complete: IDs, partner, master and output
   * paths with their SHA-256, key id, strength, versions, UTC time and operator (see `loadLedger`). Default: none;
   * the API records only when given a ledger (the CLI always gives one). The ledger's folder must exist; if the
   * record cannot be appended, the output is removed and a LedgerError is thrown.
   */
  ledger?: string;
  /** Who makes the delivery, for the ledger; default `currentOperator()` (`REELMARK_OPERATOR`, else the OS user). */
  operator?: string;
  /** Title of the work, for the ledger; default the master's file name without its extension. */
  title?: string;
  /** The partner the output is for, for the ledger (default null: known by ID only). */
  partner?: string;
}

/** Progress of an embed. */
export interface EmbedProgress {
  /** Frames marked and handed to the encoder so far. */
  readonly framesDone: number;
  /** Frames expected in total, when the container says (null otherwise). */
  readonly framesTotal: number | null;
  /** Throughput so far, frames per second of wall time. */
  readonly fps: number;
  /** Estimated seconds left, when the total is known. */
  readonly etaSeconds: number | null;
}

/** What an embed wrote. `toJSON()` is the CLI's `embed --json` summary. */
export interface EmbedResult {
  readonly input: string;
  readonly output: string;
  readonly kind: 'video' | 'image';
  readonly id: bigint;
  readonly keyId: string;
  readonly strength: number;
  /** Frames written (1 for a still). */
  readonly frames: number;
  readonly width: number;
  readonly height: number;
  /** Wall time of the whole call, seconds. */
  readonly seconds: number;
  /** Luma PSNR of the marked frames against the source frames over the whole output, dB (before encoding). */
  readonly psnr: number;
  /** Luma PSNR of the most changed frame, dB. */
  readonly psnrWorstFrame: number;
  /** The ledger record of this output, when a ledger was given (null otherwise). */
  readonly delivery: DeliveryRecord | null;
  /** The ledger the record was appended to, or null. */
  readonly ledger: string | null;
  /** What the output lacks that the source has, in words (e.g. HDR10 metadata the encoder cannot write); usually none. */
  readonly warnings: readonly string[];
  /** JSON form: IDs as decimal strings, PSNR rounded to 0.01 dB. */
  toJSON(): EmbedResultJSON;
}

/** The JSON form of an {@link EmbedResult}. */
export interface EmbedResultJSON {
  input: string;
  output: string;
  kind: 'video' | 'image';
  id: string;
  keyId: string;
  strength: number;
  frames: number;
  width: number;
  height: number;
  seconds: number;
  psnr: number | null;
  psnrWorstFrame: number | null;
  /** SHA-256 of the output, when it was recorded in a ledger (null otherwise). */
  sha256: string | null;
  /** The ledger the delivery was recorded in, or null. */
  ledger: string | null;
  warnings: string[];
}

/** Validated embed options, with defaults applied. @internal */
export interface CheckedEmbedOptions extends Required<Pick<EmbedOptions, 'input' | 'output' | 'key' | 'id' | 'strength' | 'overwrite'>>, LedgerSettings {
  partner: string | undefined;
  codec: string | undefined;
  crf: number | undefined;
  preset: string | undefined;
  signal: AbortSignal | undefined;
  onProgress: ((progress: EmbedProgress) => void) | undefined;
}

/** The options embedVideo, embedImage and embed take (`EmbedOptions`). @internal */
export const EMBED_OPTIONS: readonly string[] = [
  'input', 'output', 'key', 'id', 'partner', 'strength', 'codec', 'crf', 'preset', 'overwrite', 'signal', 'onProgress', 'ledger', 'operator', 'title',
];

/** Check an options object up front: every problem is reported before a file is touched. @internal */
export function checkEmbedOptions(options: unknown, name = 'options', known: readonly string[] = EMBED_OPTIONS): CheckedEmbedOptions {
  assertObject(options, name);
  const o = options as Record<string, unknown>;
  assertKnownOptions(o, known, name);
  assertNonEmptyString(o.input, `${name}.input`);
  assertNonEmptyString(o.output, `${name}.output`);
  assertKey(o.key, `${name}.key`);
  assertId(o.id, `${name}.id`);
  return {
    input: o.input,
    output: o.output,
    key: o.key,
    id: o.id,
    strength: optionalNumber(o.strength, `${name}.strength`, Number.MIN_VALUE, MAX_STRENGTH) ?? DEFAULT_STRENGTH,
    codec: optionalString(o.codec, `${name}.codec`),
    crf: optionalNumber(o.crf, `${name}.crf`, 0, 63),
    preset: optionalString(o.preset, `${name}.preset`),
    overwrite: optionalBoolean(o.overwrite, `${name}.overwrite`) ?? false,
    signal: optionalSignal(o.signal, `${name}.signal`),
    onProgress: optionalFunction(o.onProgress, `${name}.onProgress`),
    ledger: optionalString(o.ledger, `${name}.ledger`),
    operator: optionalString(o.operator, `${name}.operator`),
    title: optionalString(o.title, `${name}.title`),
    partner: optionalString(o.partner, `${name}.partner`),
  };
}

/** The luma plane of a decoded frame, as the watermark core takes it. @internal */
export function lumaOf(frame: Frame): LumaPlane {
  const y = frame.planes[0];
  return { data: y.data, width: y.width, height: y.height, stride: y.stride, bitDepth: frame.bitDepth };
}

/**
 * The per-frame hook: one embedder per output, built for the frame geometry it meets (made up front from the probe
 * so that a bad strength fails before ffmpeg starts, and rebuilt only if the decoded size differs). A source with a
 * display rotation is marked as it is displayed (the luma turned, marked and turned back, sample for sample), so that
 * its mark is upright in what a viewer sees, and in every leak made of that. @internal
 */
export class FrameMarker {
  readonly distortion = new LumaDistortion();
  /** Presentation times of the first and last frames marked, seconds. */
  firstPts = Number.POSITIVE_INFINITY;
  lastPts = Number.NEGATIVE_INFINITY;
  #embedder: WatermarkEmbedder;
  #width: number;
  #height: number;
  #bitDepth: number;
  readonly #key: WatermarkKey;
  readonly #id: bigint;
  readonly #strength: number;
  readonly #rotation: number;
  /** The luma as displayed, when the source is turned for display. */
  #displayed: Uint8Array | Uint16Array | null = null;

  constructor(key: WatermarkKey, id: bigint, strength: number, info: { width: number; height: number; bitDepth: number; rotation?: number }) {
    this.#key = key;
    this.#id = id;
    this.#strength = strength;
    this.#width = info.width;
    this.#height = info.height;
    this.#bitDepth = info.bitDepth;
    this.#rotation = info.rotation ?? 0;
    this.#embedder = this.#embedderFor(info.width, info.height, info.bitDepth);
  }

  #embedderFor(width: number, height: number, bitDepth: number): WatermarkEmbedder {
    const shown = displaySize(width, height, this.#rotation);
    return new WatermarkEmbedder({ key: this.#key, id: this.#id, strength: this.#strength, width: shown.width, height: shown.height, bitDepth });
  }

  /** Mark the frame's luma in place and measure the change. */
  mark(frame: Frame): void {
    const stored = lumaOf(frame);
    if (stored.width !== this.#width || stored.height !== this.#height || stored.bitDepth !== this.#bitDepth) {
      this.#width = stored.width;
      this.#height = stored.height;
      this.#bitDepth = stored.bitDepth;
      this.#embedder = this.#embedderFor(stored.width, stored.height, stored.bitDepth);
      this.#displayed = null;
    }
    let luma = stored;
    if (this.#rotation !== 0) {
      const shown = displaySize(stored.width, stored.height, this.#rotation);
      const size = shown.width * shown.height;
      if (this.#displayed === null || this.#displayed.length !== size || this.#displayed.constructor !== stored.data.constructor) {
        this.#displayed = stored.data instanceof Uint8Array ? new Uint8Array(size) : new Uint16Array(size);
      }
      turnForDisplay(stored, this.#displayed, this.#rotation);
      luma = { data: this.#displayed, width: shown.width, height: shown.height, stride: shown.width, bitDepth: stored.bitDepth };
    }
    this.distortion.before(luma);
    this.#embedder.embed(luma);
    this.distortion.after(luma);
    if (luma !== stored) turnForDisplay(stored, this.#displayed as Uint8Array | Uint16Array, this.#rotation, true);
    if (frame.pts < this.firstPts) this.firstPts = frame.pts;
    if (frame.pts > this.lastPts) this.lastPts = frame.pts;
  }
}

/**
 * A damaged or truncated master can decode only partly while ffmpeg still exits 0; a delivery that silently stops
 * early, or skips a damaged stretch, is worse than none. The outputs are removed and an InputError is thrown when
 * the frames fall short of what the master's header promises. No single figure of the header can be trusted alone:
 * an edit list (a cut made with `-c copy`, a trim in a phone's editor) hides samples its frame count includes, a
 * variable frame rate makes its duration times a rate meaningless, and a held last frame lengthens its duration.
 * - Constant rate and a frame count: fewer frames than the smaller of the count and the video's duration times its
 *   rate, by more than 0.5% and three frames (frames lost in the middle count too).
 * - Otherwise, the frames' timeline against the video stream's own duration, short by more than 0.5%, three frame
 *   intervals and 0.5 s (a held last frame), and, where the header counts frames, their number short as well.
 * - With no stream duration, the timeline against the container's (which may include audio running past the
 *   picture), short by more than 5% and 0.5 s. @internal
 */
export async function assertWholeInput(info: MediaInfo, marker: FrameMarker, frames: number, outputs: readonly string[]): Promise<void> {
  if (info.kind !== 'video' || frames === 0) return;
  const count = info.video.frameCount !== undefined && info.video.frameCount > 0 ? info.video.frameCount : undefined;
  const streamDuration = info.video.duration !== undefined && info.video.duration > 0 ? info.video.duration : undefined;
  const rate = rationalValue(info.video.frameRate);
  const constant = rate > 0 && rate === rationalValue(info.video.avgFrameRate);
  const interval = info.fps > 0 ? 1 / info.fps : 0;
  const covered = marker.lastPts - marker.firstPts + interval;
  const fewer = (expected: number) => frames < expected - Math.max(3, 0.005 * expected);
  let shortfall: string | null = null;
  if (constant && count !== undefined) {
    const expected = streamDuration !== undefined ? Math.min(count, Math.round(streamDuration * rate)) : count;
    if (fewer(expected)) shortfall = `${frames} of the ${expected} frames its header promises`;
  } else if (streamDuration !== undefined) {
    const timelineShort = covered < streamDuration - Math.max(0.5, 3 * interval, 0.005 * streamDuration);
    if (timelineShort && (count === undefined || fewer(count))) {
      shortfall = `${covered.toFixed(2)} s of its ${streamDuration.toFixed(2)} s of video${count !== undefined ? ` (${frames} of ${count} frames)` : ''}`;
    }
  } else if (typeof info.duration === 'number' && info.duration > 0) {
    if (covered < info.duration - Math.max(0.5, 0.05 * info.duration)) shortfall = `${covered.toFixed(2)} s of its ${info.duration.toFixed(2)} s`;
  }
  if (shortfall === null) return;
  await Promise.all(outputs.map((output) => rm(output, { force: true })));
  throw new InputError(`${info.path}: truncated or damaged: only ${shortfall} could be decoded; nothing written`, info.path);
}

/** Progress adapter from the media layer's reports. @internal */
export function progressReporter(
  onProgress: ((progress: EmbedProgress) => void) | undefined,
  framesTotal: number | null,
): ((frames: number) => void) | undefined {
  if (!onProgress) return undefined;
  const started = performance.now();
  return (framesDone: number) => {
    const seconds = (performance.now() - started) / 1000;
    const fps = seconds > 0 ? framesDone / seconds : 0;
    const etaSeconds = framesTotal !== null && fps > 0 ? Math.max(0, (framesTotal - framesDone) / fps) : null;
    onProgress({ framesDone, framesTotal, fps, etaSeconds });
  };
}

/** Expected frame count from a probe, when known. @internal */
export function expectedFrames(info: MediaInfo): number | null {
  const count = (info as { frameCount?: number | null }).frameCount;
  return typeof count === 'number' && count > 0 ? count : null;
}

/** The result of one output. @internal */
export function embedResult(
  checked: CheckedEmbedOptions,
  kind: 'video' | 'image',
  marker: FrameMarker,
  frames: number,
  info: { width: number; height: number },
  seconds: number,
  delivery: { ledger: string; record: DeliveryRecord } | null = null,
  warnings: readonly string[] = [],
): EmbedResult {
  const psnr = marker.distortion.psnr ?? Number.NaN;
  const psnrWorstFrame = marker.distortion.psnrWorstFrame ?? Number.NaN;
  const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : null);
  return {
    input: checked.input,
    output: checked.output,
    kind,
    id: checked.id,
    keyId: checked.key.id,
    strength: checked.strength,
    frames,
    width: info.width,
    height: info.height,
    seconds,
    psnr,
    psnrWorstFrame,
    delivery: delivery?.record ?? null,
    ledger: delivery?.ledger ?? null,
    warnings,
    toJSON: () => ({
      input: checked.input,
      output: checked.output,
      kind,
      id: checked.id.toString(),
      keyId: checked.key.id,
      strength: checked.strength,
      frames,
      width: info.width,
      height: info.height,
      seconds: Math.round(seconds * 1000) / 1000,
      psnr: round(psnr),
      psnrWorstFrame: round(psnrWorstFrame),
      sha256: delivery?.record.output.sha256 ?? null,
      ledger: delivery?.ledger ?? null,
      warnings: [...warnings],
    }),
  };
}

async function embedKind(options: EmbedOptions, want: 'video' | 'image' | 'any'): Promise<EmbedResult> {
  const started = performance.now();
  const checked = checkEmbedOptions(options);
  throwIfAborted(checked.signal);
  const info = await probe(checked.input);
  if (want !== 'any' && info.kind !== want) {
    throw new InputError(
      `${checked.input}: is a ${info.kind === 'image' ? 'still image' : 'video'}; use ${info.kind === 'image' ? 'embedImage' : 'embedVideo'} (or embed)`,
      checked.input,
    );
  }
  assertReadableSize(info, 'mark');
  const marker = new FrameMarker(checked.key, checked.id, checked.strength, info);
  const report = progressReporter(checked.onProgress, info.kind === 'image' ? 1 : expectedFrames(info));
  const recorder = await DeliveryRecorder.start(checked, checked.input, [checked.output], checked.signal);
  try {
    const done = await transformVideo(checked.input, checked.output, (frame: Frame) => marker.mark(frame), {
      codec: checked.codec,
      crf: checked.crf,
      preset: checked.preset,
      overwrite: checked.overwrite,
      signal: checked.signal,
      onProgress: report ? (progress) => report(progress.framesDone) : undefined,
    });
    await assertWholeInput(info, marker, done.frames, [done.output]);
    let delivery: { ledger: string; record: DeliveryRecord } | null = null;
    if (recorder) {
      const [record] = await recorder.record(info, [
        { output: checked.output, id: checked.id, partner: checked.partner ?? null, keyId: checked.key.id, strength: checked.strength, frames: done.frames, width: info.width, height: info.height },
      ]);
      delivery = { ledger: recorder.ledger, record };
    }
    return embedResult(checked, info.kind, marker, done.frames, info, (performance.now() - started) / 1000, delivery, done.warnings);
  } finally {
    recorder?.stop();
  }
}

/**
 * Mark every frame of a video with `id` under `key`. Audio, subtitles, metadata and timing are kept by the media
 * layer; the output appears only when complete.
 * @throws UsageError (bad options), InputError (missing, empty, truncated or non-media input; a still image),
 *   OutputError (exists without `overwrite`, equals the input), AbortError, FfmpegError.
 * @example
 * const key = await loadKey('studio.key');
 * const r = await embedVideo({ input: 'master.mov', output: 'acme.mov', key, id: 1234n });
 * console.log(r.frames, r.psnr.toFixed(1));
 */
export function embedVideo(options: EmbedOptions): Promise<EmbedResult> {
  return embedKind(options, 'video');
}

/**
 * Mark a still image (png, jpg, tiff; 8 or 16-bit) with `id` under `key`; the output format follows its extension.
 * @throws as {@link embedVideo}; InputError for a video input.
 */
export function embedImage(options: EmbedOptions): Promise<EmbedResult> {
  return embedKind(options, 'image');
}

/** Mark a video or a still, whichever `input` is (what `reelmark embed` does). */
export function embed(options: EmbedOptions): Promise<EmbedResult> {
  return embedKind(options, 'any');
}
