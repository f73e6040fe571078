/**
 * Decode -> per-frame hook -> encode, streaming: the place where a watermark plugs into the pipeline.
 *
 * The decoding ffmpeg, the JavaScript hook and the encoding ffmpeg run concurrently: ffmpeg processes work in
 * parallel with JavaScript, the decoder runs up to two frames ahead, and a frame's buffer is recycled only after
 * the encoder has taken it.
 */
import path from 'node:path';

import { AbortError, InputError, OutputError, UsageError } from '../errors.js';
import { prepareOutput } from './atomic-output.js';
import type { PendingOutput } from './atomic-output.js';
import { dnxhdBitrate } from './dnxhd-rate.js';
import { checkEncodeOptions, checkOutputFormat, dnxProfile } from './encode-plan.js';
import type { EncodeOptions } from './encode-plan.js';
import { resolveFfmpeg } from './ffmpeg-binaries.js';
import type { FfmpegSetup } from './ffmpeg-binaries.js';
import { copyFrameInto, FrameLayout } from './frame.js';
import type { Frame } from './frame.js';
import { probe } from './probe.js';
import type { MediaInfo } from './probe.js';
import { decodeFrames, planRead } from './read-frames.js';
import { buildEncoderJob, Encoder, expectedFrameCount, gridDecidedBySource, INTERLACED_ORDERS, progressReporter, settleError } from './write-frames.js';
import { framesOffNominalGrid } from './frame-grid.js';
import type { Progress } from './write-frames.js';

/** The per-frame hook: mutate `frame` in place (its planes are what gets encoded). */
export type FrameFn = (frame: Frame) => void | Promise<void>;

/** Options shared by {@link transformVideo} and {@link transformVideoToMany}. */
interface TransformCommonOptions {
  /** Replace an existing output. Default false. The output may never be the input. */
  overwrite?: boolean;
  /** Pixel format in which the hook sees frames. Default: the source's (see readFrames). */
  framePixelFormat?: string;
  signal?: AbortSignal;
  ffmpegPath?: string;
  ffprobePath?: string;
}

/** Options of {@link transformVideo}. */
export interface TransformOptions extends EncodeOptions, TransformCommonOptions {
  /** Called after each frame is encoded: `{ framesDone, totalFrames?, fps, etaSeconds? }`. */
  onProgress?: (progress: Progress) => void;
}

/** What a transform produced. */
export interface TransformResult {
  input: string;
  /** Absolute path of the output. */
  output: string;
  /** Frames decoded, transformed and encoded. */
  frames: number;
  /** Wall time in seconds. */
  seconds: number;
  codec: string;
  pixelFormat: string;
  ffmpegArgs: string[];
  /** What the output lacks that the source has (e.g. HDR10 metadata the encoder cannot write), in words. */
  warnings: string[];
}

/** One output of {@link transformVideoToMany}. */
export interface TransformTarget {
  output: string;
  /** Receives this target's own copy of each frame. */
  fn: FrameFn;
  /** Encoder settings and overwrite for this output. */
  options?: EncodeOptions & { overwrite?: boolean };
}

/** Options of {@link transformVideoToMany}; `overwrite` is the default for targets that do not set their own. */
export interface TransformManyOptions extends TransformCommonOptions {
  /** Called after each decoded frame has been handed to every encoder. */
  onProgress?: (progress: Progress) => void;
}

function checkCommon(input: unknown, o: { onProgress?: unknown; signal?: unknown }, name: string): void {
  if (typeof input !== 'string' || input === '') {
    throw new UsageError(`Expected a file path (non-empty string) for input but received ${typeof input === 'string' ? "''" : typeof input}`);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new UsageError(`Expected a function for ${name}.onProgress but received ${typeof o.onProgress}`);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new UsageError(`Expected an AbortSignal for ${name}.signal`);
  }
}

/**
 * Decodes `input`, calls `fn` on every frame (which mutates it in place), and encodes the result to `output` with
 * everything else (audio, subtitles, data, metadata, colour tags, timecode, timestamps) copied from `input`.
 * Still images work the same way (one frame; write to .png/.jpg/.tiff).
 *
 * The frame passed to `fn` is valid only during the call (its buffers are recycled afterwards).
 *
 * @throws {InputError | UnsupportedPixelFormatError | OutputError | FfmpegError | AbortError}
 * @example
 * await transformVideo('in.mov', 'out.mov', (frame) => {
 *   const y = frame.planes[0].data; // [h, w] luma
 *   y[0] = 255;
 * }, { onProgress: (p) => console.log(p.framesDone, p.etaSeconds) });
 */
export async function transformVideo(input: string, output: string, fn: FrameFn, options: TransformOptions = {}): Promise<TransformResult> {
  checkCommon(input, options, 'options');
  if (typeof fn !== 'function') throw new UsageError(`Expected a function for fn but received ${typeof fn}`);
  checkEncodeOptions(options);
  const [result] = await runTransform(
    input,
    [{ output, fn, options }],
    {
      overwrite: options.overwrite,
      framePixelFormat: options.framePixelFormat,
      signal: options.signal,
      onProgress: options.onProgress,
      ffmpegPath: options.ffmpegPath,
      ffprobePath: options.ffprobePath,
    },
    () => 'options',
  );
  return result;
}

/**
 * One decode of `input`, N encodes: each target's `fn` gets its own copy of every frame to mutate, and each
 * target is encoded by its own ffmpeg, all running concurrently. Used for one marked output per recipient; the
 * decode, the probe and the source read happen once instead of N times.
 *
 * All outputs are checked before any work starts; if one target fails, every output is abandoned (no partial
 * files) and the error is thrown.
 *
 * @throws {InputError | UnsupportedPixelFormatError | OutputError | FfmpegError | AbortError}
 */
export async function transformVideoToMany(input: string, targets: TransformTarget[], options: TransformManyOptions = {}): Promise<TransformResult[]> {
  checkCommon(input, options, 'options');
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new UsageError(`Expected a non-empty array of { output, fn, options? } for targets but received ${Array.isArray(targets) ? 'an empty array' : typeof targets}`);
  }
  targets.forEach((t, i) => {
    if (!t || typeof t.output !== 'string' || t.output === '') throw new UsageError(`Expected a file path for targets[${i}].output but received ${String(t?.output)}`);
    if (typeof t.fn !== 'function') throw new UsageError(`Expected a function for targets[${i}].fn but received ${typeof t.fn}`);
    checkEncodeOptions(t.options ?? {}, `targets[${i}].options`);
  });
  return runTransform(input, targets, options);
}

/**
 * `target` with the DNxHD bitrate it needs, when it is a DNxHD encode of a DNxHD source without one.
 * @throws {UsageError} when DNxHD defines no bitrate the encoder takes for the source's geometry.
 */
async function withDnxhdBitrate(
  target: TransformTarget,
  encoder: string,
  info: MediaInfo,
  setup: FfmpegSetup,
  trials: Map<string, Promise<number | undefined>>,
  signal?: AbortSignal,
): Promise<TransformTarget> {
  const options = target.options ?? {};
  if (encoder !== 'dnxhd' || options.bitrate !== undefined) return target;
  const pixelFormat = options.pixelFormat ?? info.pixelFormat;
  if (dnxProfile(info, pixelFormat) !== 'dnxhd') return target;
  const interlaced = info.video.fieldOrder !== undefined && INTERLACED_ORDERS.has(info.video.fieldOrder);
  let trial = trials.get(pixelFormat);
  if (!trial) trials.set(pixelFormat, (trial = dnxhdBitrate(info, pixelFormat, interlaced, setup, signal)));
  const mbps = await trial;
  if (mbps === undefined) {
    throw new UsageError(
      `${path.resolve(target.output)}: DNxHD defines no bitrate for ${info.width}x${info.height}${interlaced ? 'i' : 'p'} at ${info.video.frameRate} fps in ${pixelFormat} that ffmpeg takes; choose another encoder with options.codec`,
    );
  }
  return { ...target, options: { ...options, bitrate: `${mbps}M` } };
}

/** A target's two frame buffers: one being encoded while the next is prepared. */
interface Slot {
  frame: Frame | undefined;
  writing: Promise<void> | undefined;
}

/** `optionsName(i)`: how messages name target i's encoder options. */
async function runTransform(
  input: string,
  targets: TransformTarget[],
  options: TransformManyOptions,
  optionsName: (i: number) => string = (i) => `targets[${i}].options`,
): Promise<TransformResult[]> {
  const started = performance.now();
  const { signal } = options;
  if (signal?.aborted) throw new AbortError();
  const paths = { ffmpegPath: options.ffmpegPath, ffprobePath: options.ffprobePath };
  const [setup, info] = await Promise.all([resolveFfmpeg(paths), probe(input, { ...paths, signal })]);
  // Every output's format, before anything is decoded: a container mismatch must not surface after an hour's work.
  const chosen = targets.map((t, i) => checkOutputFormat({ output: t.output, source: info, options: t.options ?? {}, setup, name: optionsName(i) }));
  // DNxHD takes only the bitrates it defines for the size, rate and depth: the source's measured rate snapped to one.
  const trials = new Map<string, Promise<number | undefined>>(); // one trial per pixel format, shared by the targets
  targets = await Promise.all(targets.map((t, i) => withDnxhdBitrate(t, chosen[i], info, setup, trials, signal)));

  const pendings: PendingOutput[] = [];
  const encoders: Array<Encoder | undefined> = targets.map(() => undefined);
  const seen = new Map<string, number>();
  try {
    for (const [i, t] of targets.entries()) {
      const pending = await prepareOutput(t.output, { inputs: [info.path], overwrite: (t.options?.overwrite ?? options.overwrite) === true });
      const before = seen.get(pending.path);
      if (before !== undefined) throw new OutputError(`${pending.path}: is the output of both targets[${before}] and targets[${i}]`, pending.path, 'ERR_OUTPUT_DUPLICATE');
      seen.set(pending.path, i);
      pendings.push(pending);
    }
  } catch (err) {
    await Promise.all(pendings.map((p) => p.discard()));
    throw err;
  }

  const single = targets.length === 1;
  const readOptions = { reuseBuffers: true, signal, info, pixelFormat: options.framePixelFormat, ...paths };
  const report = progressReporter(options.onProgress, expectedFrameCount(info));
  // A single target transforms the decoded frame itself; several targets each get a copy in their own buffers.
  const slots: Slot[][] = targets.map(() => [
    { frame: undefined, writing: undefined },
    { frame: undefined, writing: undefined },
  ]);
  let next = 0;
  let frames = 0;
  try {
    // A Matroska source's rate is only nominal: frames go on its grid only where its packets keep to it.
    const offGrid = targets.some((t) => gridDecidedBySource(t.options)) && (await framesOffNominalGrid(info, setup, signal));
    const plan = await planRead(input, readOptions);
    for await (const decoded of decodeFrames(input, readOptions, plan)) {
      if (signal?.aborted) throw new AbortError();
      for (let t = 0; t < targets.length; t++) {
        let encoder = encoders[t];
        if (!encoder) {
          const target = targets[t];
          const options = offGrid && gridDecidedBySource(target.options) ? { ...target.options, timing: 'exact' as const } : (target.options ?? {});
          const job = buildEncoderJob({ pending: pendings[t], first: decoded, source: info, options, setup });
          encoder = new Encoder(job, setup, signal);
          encoders[t] = encoder;
          encoder.start();
        }
        if (single) {
          await targets[t].fn(decoded);
          await encoder.write(decoded);
          continue;
        }
        const slot = slots[t][next];
        if (slot.writing) await slot.writing; // this buffer's previous frame has been taken by ffmpeg
        if (!slot.frame) {
          const layout = new FrameLayout(decoded.pixelFormat, decoded.width, decoded.height);
          slot.frame = layout.frameOver(layout.allocate(), decoded.index, decoded.pts);
        }
        copyFrameInto(decoded, slot.frame);
        await targets[t].fn(slot.frame);
        const writing = encoder.write(slot.frame);
        writing.catch(() => {}); // observed when the slot is reused or at the end
        slot.writing = writing;
      }
      next ^= 1;
      frames++;
      report(frames);
    }
    if (frames === 0) throw new InputError(`${info.path}: no frame could be decoded`, info.path);
    for (const row of slots) for (const slot of row) if (slot.writing) await slot.writing;
    // Every encoder must succeed before any output is moved into place.
    await Promise.all(encoders.map((e) => e!.end()));
    for (const e of encoders) await e!.commit();
  } catch (err) {
    await Promise.all(encoders.map((e, i) => (e ? e.cancel() : pendings[i].discard())));
    throw settleError(err, signal);
  }
  const seconds = (performance.now() - started) / 1000;
  return encoders.map((e) => ({
    input: info.path,
    output: e!.job.pending.path,
    frames: e!.frames,
    seconds,
    codec: e!.job.plan.codec,
    pixelFormat: e!.job.plan.pixelFormat,
    ffmpegArgs: e!.job.args,
    warnings: e!.job.plan.warnings,
  }));
}
