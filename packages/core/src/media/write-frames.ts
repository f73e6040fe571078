/**
 * `writeFrames(frames, output)`: encodes a frame stream with ffmpeg, copying everything else from a source file.
 *
 * Frames travel to ffmpeg as raw video in NUT, which carries each frame's pts: the encoder keeps every frame with
 * its timestamp (`-vsync passthrough`, encoder time base = the source's), so frame count and timestamps match the
 * source, variable frame rate included. The source is opened as a second input: audio, subtitle, data and
 * attachment streams are copied packet for packet (`-c copy`), with global and per-stream metadata, chapters,
 * dispositions, colour tags and timecode. The output is written to a temporary file and renamed on success.
 */
import { rename, unlink } from 'node:fs/promises';
import path from 'node:path';

import { AbortError, FfmpegError, UsageError } from '../errors.js';
import { prepareOutput, removeIfExiting } from './atomic-output.js';
import type { PendingOutput } from './atomic-output.js';
import { checkEncodeOptions, checkOutputFormat, copiedStreams, planEncode, streamsDroppedBy } from './encode-plan.js';
import { frameGrid, framesOffNominalGrid, onGrid, parseRational } from './frame-grid.js';
import type { EncodeOptions, EncodePlan } from './encode-plan.js';
import { commonArgs, fileUrl, inputTimeBaseArgs, passthroughTimingArgs, rotationArgs } from './ffmpeg-args.js';
import { resolveFfmpeg } from './ffmpeg-binaries.js';
import type { FfmpegSetup } from './ffmpeg-binaries.js';
import { startProcess } from './ffmpeg-process.js';
import type { MediaProcess } from './ffmpeg-process.js';
import { FrameLayout, frameBytes } from './frame.js';
import type { Frame } from './frame.js';
import { NutMuxer, rawFourcc } from './nut.js';
import { probe, rationalValue } from './probe.js';
import type { ColorInfo, MediaInfo } from './probe.js';

/** ffprobe's field orders of interlaced video (top/bottom coded first, then displayed first). @internal */
export const INTERLACED_ORDERS = new Set(['tt', 'bb', 'tb', 'bt']);

/** Progress of an encode, reported after each frame. */
export interface Progress {
  /** Frames encoded so far. */
  framesDone: number;
  /** Same as `framesDone`. */
  frames: number;
  /** Frames expected in total, when known. */
  totalFrames?: number;
  /** Frames per second since the start. */
  fps: number;
  /** Estimated seconds left, when `totalFrames` is known. */
  etaSeconds?: number;
}

/** Options of {@link writeFrames}. */
export interface WriteOptions extends EncodeOptions {
  /**
   * The file the frames came from: its audio, subtitle, data and attachment streams, metadata, chapters, colour
   * tags, rotation and timecode are copied into the output, and its codec family picks the default encoder.
   */
  source?: string;
  /** Replace an existing output file. Default false. The output may never be the source. */
  overwrite?: boolean;
  /** Time base in which frame pts are written, e.g. '1/24000'. Default: the source video's, else 1/90000. */
  timeBase?: string;
  /** Nominal frame rate of the output, e.g. '24000/1001'. Default: the source's. */
  frameRate?: string;
  /** Expected number of frames, for progress. Default: the source's frame count. */
  totalFrames?: number;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  ffmpegPath?: string;
  ffprobePath?: string;
  /** A probe of `source` that the caller already has. */
  sourceInfo?: MediaInfo;
}

/** What was written. */
export interface WriteResult {
  /** Absolute path of the output. */
  output: string;
  /** Frames encoded. */
  frames: number;
  /** Wall time in seconds. */
  seconds: number;
  /** Encoder used. */
  codec: string;
  /** Output pixel format. */
  pixelFormat: string;
  /** The ffmpeg arguments of the encode, for the record. */
  ffmpegArgs: string[];
  /** What the output lacks that the source has (e.g. HDR10 metadata the encoder cannot write), in words. */
  warnings: string[];
}

/** Validates writer options; shared with the transforms. @internal */
export function checkWriteOptions(o: WriteOptions, name = 'options'): void {
  if (o === null || typeof o !== 'object') throw new UsageError(`Expected an options object for ${name} but received ${String(o)}`);
  checkEncodeOptions(o, name);
  if (o.source !== undefined && (typeof o.source !== 'string' || o.source === '')) {
    throw new UsageError(`Expected a file path for ${name}.source but received ${String(o.source)}`);
  }
  if (o.timeBase !== undefined && !/^\d+\/\d+$/.test(String(o.timeBase))) {
    throw new UsageError(`Expected a rational like '1/24000' for ${name}.timeBase but received ${String(o.timeBase)}`);
  }
  if (o.frameRate !== undefined && !/^\d+(\/\d+)?$/.test(String(o.frameRate))) {
    throw new UsageError(`Expected a rational like '24000/1001' for ${name}.frameRate but received ${String(o.frameRate)}`);
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new UsageError(`Expected a function for ${name}.onProgress but received ${typeof o.onProgress}`);
  }
}

/** Everything needed to start one encoder, decided before the first frame is written. @internal */
export interface EncoderJob {
  pending: PendingOutput;
  plan: EncodePlan;
  args: string[];
  layout: FrameLayout;
  muxer: NutMuxer;
  /** How frame times are written. */
  timing: PipeTiming;
  /**
   * Arguments of a stream-copy pass that sets the display rotation (ffmpeg 4.x drops rotation on encoded streams
   * and takes it only when copying), or undefined when not needed. `{in}`/`{out}` stand for the two files.
   */
  rotationRemux: string[] | undefined;
}

/** Frame times on the pipe: ticks = pts * ticksPerSecond; in 'cfr' mode ticks are frame numbers. */
export interface PipeTiming {
  mode: 'cfr' | 'exact';
  /** Ticks per second as a fraction num/den. */
  num: number;
  den: number;
  /** Largest accepted distance from the grid, in ticks ('cfr'). */
  tolerance: number;
}

function sameRational(a: string, b: string): boolean {
  const x = parseRational(a);
  const y = parseRational(b);
  return x.num * y.den === y.num * x.den;
}

/** Whether these options leave the frames' timing to the source's rate ('auto', no frameRate given). */
export function gridDecidedBySource(options: WriteOptions | undefined): boolean {
  return (options?.timing === undefined || options.timing === 'auto') && options?.frameRate === undefined;
}

/** Matroska statistics tags (mkvmerge) that describe one encoding of a stream. */
const STATISTICS_TAGS = ['NUMBER_OF_FRAMES', 'NUMBER_OF_BYTES', 'BPS', '_STATISTICS_WRITING_APP', '_STATISTICS_WRITING_DATE_UTC', '_STATISTICS_TAGS'];
/** Tags of the source's video that name how it was encoded (ffmpeg matches tag names regardless of case, so Matroska's `ENCODER` too): the encoded video's own are written instead. */
const ENCODING_TAGS = ['encoder'];

/** Decides how frame times travel (see WriteOptions.timing). */
function chooseTiming(first: Frame, source: MediaInfo | undefined, options: WriteOptions): PipeTiming {
  const exactTb = parseRational(options.timeBase ?? (source && source.kind === 'video' ? source.video.timeBase : '1/90000'));
  const exact: PipeTiming = { mode: 'exact', num: exactTb.den, den: exactTb.num, tolerance: 0 };
  if (options.timing === 'exact') return exact;
  const sourceIsCfr = source !== undefined && source.kind === 'video' && sameRational(source.video.frameRate, source.video.avgFrameRate);
  const rateText = options.frameRate ?? (sourceIsCfr ? source.frameRate : undefined);
  if (!rateText) {
    if (options.timing === 'cfr') throw new UsageError(`options.timing 'cfr' needs options.frameRate (the source has no constant rate)`);
    return exact;
  }
  // Source timestamps are rounded to the source time base: allow half a source tick (in frames) of jitter.
  const srcTb = source && source.kind === 'video' ? parseRational(source.video.timeBase) : { num: 0, den: 1 };
  const grid = frameGrid(parseRational(rateText), srcTb);
  const cfr: PipeTiming = { mode: 'cfr', ...grid };
  if (options.timing !== 'cfr' && !onGrid(first.pts, grid)) return exact;
  return cfr;
}

/** Builds the encoder command for frames shaped like `first`. @internal */
export function buildEncoderJob(args: {
  pending: PendingOutput;
  first: Frame;
  source: MediaInfo | undefined;
  options: WriteOptions;
  setup: FfmpegSetup;
}): EncoderJob {
  const { pending, first, source, options, setup } = args;
  const layout = new FrameLayout(first.pixelFormat, first.width, first.height);
  const plan = planEncode({ output: pending.path, framePixelFormat: first.pixelFormat, source, options, setup });
  const timing = plan.image ? ({ mode: 'exact', num: 90000, den: 1, tolerance: 0 } as const) : chooseTiming(first, source, options);
  const frameRate = timing.mode === 'cfr' ? `${timing.num}/${timing.den}` : (options.frameRate ?? (source && source.kind === 'video' ? source.frameRate : undefined));
  const sar = source?.video.sampleAspectRatio?.split(':').map(Number);
  const fourcc = rawFourcc(first.pixelFormat);
  if (!fourcc) throw new UsageError(`Cannot pipe frames in pixel format '${first.pixelFormat}'`);
  const muxer = new NutMuxer({
    fourcc,
    width: first.width,
    height: first.height,
    timeBase: { num: timing.den, den: timing.num },
    sampleAspectRatio: sar && sar.length === 2 ? { num: sar[0], den: sar[1] } : undefined,
    frameRate,
  });

  const a: string[] = [...commonArgs(), '-f', 'nut', '-thread_queue_size', '64', '-i', 'pipe:0'];
  const copy = source && !plan.image;
  if (copy) a.push('-noautorotate', '-i', fileUrl(source.path));
  a.push('-map', '0:v:0');

  const mapped: number[] = copy ? copiedStreams(source, streamsDroppedBy(options.extraOutputArgs)).map((s) => s.index) : [];
  for (const index of mapped) a.push('-map', `1:${index}`);
  const ext = path.extname(pending.path).toLowerCase();
  const filters: string[] = [];
  if (/^yuvj/.test(first.pixelFormat)) filters.push('scale=in_range=pc'); // the pipe can only say "yuv420p"
  // Interlaced sources stay interlaced: raw frames through the pipe lose their field flags, so they are set again
  // and the encoder is asked for field (interlaced) coding where it has it.
  const fieldOrder = source && !plan.image ? source.video.fieldOrder : undefined;
  const interlaced = fieldOrder !== undefined && INTERLACED_ORDERS.has(fieldOrder);
  // The first letter is the field coded first (ffmpeg's ProRes and MOV writers tag a top-field-first source 'tb',
  // and reading that back as top first gives the same tag again).
  if (interlaced) filters.push(`setfield=${fieldOrder.startsWith('t') ? 'tff' : 'bff'}`);
  // ffmpeg >= 5 takes an encoder's colour description from the frames, not from the -color_* options below (which
  // ffmpeg 4.x uses): ProRes out of 5.1 and 7.1 lost its primaries and transfer without this.
  const tags = source && !plan.image ? colourParams(source.color) : '';
  if (tags) filters.push(`setparams=${tags}`);
  if (filters.length) a.push('-vf', filters.join(','));
  a.push(...plan.codecArgs);
  if (interlaced) {
    if (plan.fieldCoding) a.push('-flags', '+ildct+ilme');
    a.push('-field_order', fieldOrder);
  }
  mapped.forEach((_, i) => a.push(`-c:${i + 1}`, 'copy'));

  if (source && !plan.image) {
    const c = source.color;
    if (c.primaries) a.push('-color_primaries', c.primaries);
    if (c.transfer) a.push('-color_trc', c.transfer);
    if (c.matrix) a.push('-colorspace', c.matrix === 'gbr' ? 'rgb' : c.matrix); // ffprobe >= 5 says 'gbr'
    if (c.range) a.push('-color_range', c.range);
  }
  if (copy) {
    a.push('-map_metadata', '1', '-map_chapters', '1');
    a.push('-map_metadata:s:0', `1:s:${source.video.index}`);
    // mkvmerge's statistics of the source's video (frames, bytes, bit rate) do not describe the encoded one.
    for (const tag of [...STATISTICS_TAGS, ...ENCODING_TAGS]) a.push('-metadata:s:v:0', `${tag}=`);
    // The picture arrives through a pipe, without the source's dispositions: the default flag is the source video's
    // (Matroska players pick the default track).
    if (source.video.disposition.default === 1) a.push('-disposition:v:0', 'default');
    mapped.forEach((idx, i) => a.push(`-map_metadata:s:${i + 1}`, `1:s:${idx}`));
    if (source.timecode) a.push('-metadata:s:v:0', `timecode=${source.timecode}`);
    // Muxing starts only when every stream has a packet; the encoder's lookahead holds video back meanwhile.
    a.push('-max_muxing_queue_size', '9999');
  }
  if (/^\.(mov|mp4|m4v)$/.test(ext) && source && (source.color.primaries || source.color.transfer || source.color.matrix)) {
    a.push('-movflags', '+write_colr');
  }
  if (plan.image) a.push(...passthroughTimingArgs(setup));
  else if (timing.mode === 'cfr') {
    // Encoder time base = one frame (from the pipe's r_frame_rate): exact for frames on the grid, and the muxer
    // then knows every frame's duration, the last one included.
    a.push('-copyts', ...passthroughTimingArgs(setup));
  } else {
    a.push('-copyts', ...passthroughTimingArgs(setup), ...inputTimeBaseArgs(setup));
    if (/^\.(mov|mp4|m4v)$/.test(ext)) {
      // ffmpeg 4.x cannot tell the muxer the last frame's duration at a fine time base, and an edit list would
      // then end at the last frame's start and hide it. Without an edit list every frame stays, at its time,
      // which requires no reordering delay (no B-frames).
      a.push('-use_editlist', '0');
      if (plan.codec === 'libx264') a.push('-bf', '0');
      const x265 = a.indexOf('-x265-params');
      if (plan.codec === 'libx265' && x265 >= 0) a[x265 + 1] += ':bframes=0';
    }
  }
  if (options.extraOutputArgs) a.push(...options.extraOutputArgs);
  a.push('-y', fileUrl(pending.tempPath));
  let rotationRemux: string[] | undefined;
  if (copy && source.rotation !== 0 && /^\.(mov|mp4|m4v)$/.test(ext)) {
    const rotation = rotationArgs(setup, source.rotation);
    rotationRemux = [...commonArgs(), '-copyts', ...rotation.input, '-i', '{in}', '-map', '0:v:0', '-map', '0:a?', '-map', '0:s?', '-c', 'copy'];
    rotationRemux.push('-map_metadata', '0', ...rotation.output);
    if (source.timecode) rotationRemux.push('-metadata:s:v:0', `timecode=${source.timecode}`);
    if (timing.mode === 'exact') rotationRemux.push('-use_editlist', '0');
    // The encode's own tag, and what QuickTime's writer needs to keep it (10-bit H.264 would become 'ai12' again).
    rotationRemux.push(...plan.tagArgs);
    rotationRemux.push('-y', '{out}');
  }
  return { pending, plan, args: a, layout, muxer, timing, rotationRemux };
}

/**
 * One running encoder: frames in, a finished output file (or nothing) out. Frames are written in order; each
 * `write` resolves once ffmpeg has taken the frame, so the frame's buffers may be reused afterwards. @internal
 */
export class Encoder {
  private proc: MediaProcess | undefined;
  private remux: MediaProcess | undefined;
  frames = 0;
  private lastTicks = -Infinity;

  constructor(
    readonly job: EncoderJob,
    private readonly setup: FfmpegSetup,
    private readonly signal: AbortSignal | undefined,
  ) {}

  start(): void {
    this.proc = startProcess(this.setup.ffmpeg.path, this.job.args, {
      label: `ffmpeg (encoding ${this.job.pending.path})`,
      stdin: true,
      signal: this.signal,
    });
    void this.proc.write(this.job.muxer.header()).catch(() => {});
  }

  async write(frame: Frame): Promise<void> {
    const proc = this.proc!;
    const { num, den, mode } = this.job.timing;
    const ticks = Math.round((frame.pts * num) / den);
    if (!Number.isFinite(ticks)) throw new UsageError(`Frame ${frame.index} has no valid pts (${String(frame.pts)})`);
    if (mode === 'cfr' && !onGrid(frame.pts, this.job.timing)) {
      throw new UsageError(
        `Frame ${frame.index} at ${frame.pts}s is off the ${num}/${den} fps grid: the timing is variable; ` +
          `pass timing: 'exact' to keep every timestamp`,
      );
    }
    if (ticks <= this.lastTicks) {
      throw new UsageError(`Frame ${frame.index}: pts ${frame.pts}s is not after the previous frame's; frames must be in presentation order`);
    }
    if (this.job.plan.image && this.frames >= 1) {
      throw new UsageError(`${this.job.pending.path}: an image output takes exactly one frame`);
    }
    this.lastTicks = ticks;
    const parts = frameBytes(frame, this.job.layout);
    const writes = [proc.write(this.job.muxer.frameHeader(ticks, this.job.layout.byteSize))];
    for (const p of parts) writes.push(proc.write(p));
    await Promise.all(writes);
    this.frames++;
  }

  /** Ends the input and waits until ffmpeg has written the whole (temporary) output. */
  async end(): Promise<void> {
    const proc = this.proc!;
    proc.endInput();
    await proc.done;
    if (this.frames === 0) throw new UsageError(`${this.job.pending.path}: no frames were written`);
    if (this.job.rotationRemux) await this.remuxRotation(this.job.rotationRemux);
    await this.verify();
  }

  private async remuxRotation(template: string[]): Promise<void> {
    const temp = this.job.pending.tempPath;
    const ext = path.extname(temp);
    const rotated = `${temp.slice(0, -ext.length)}.rotated${ext}`;
    const args = template.map((a) => (a === '{in}' ? fileUrl(temp) : a === '{out}' ? fileUrl(rotated) : a));
    const release = removeIfExiting(rotated);
    try {
      const proc = startProcess(this.setup.ffmpeg.path, args, { label: `ffmpeg (setting the rotation of ${this.job.pending.path})`, signal: this.signal });
      this.remux = proc;
      await proc.done;
      await rename(rotated, temp);
    } finally {
      await unlink(rotated).catch(() => {});
      release();
    }
  }

  /**
   * ffmpeg can exit 0 after dropping a stream it could not read; never hand out a file without all its frames.
   */
  private async verify(): Promise<void> {
    const temp = this.job.pending.tempPath;
    const fail = (why: string): never => {
      throw new FfmpegError(`ffmpeg (encoding ${this.job.pending.path}) exited normally but ${why}`, 0, null, this.proc?.stderrTail() ?? '');
    };
    let written: MediaInfo;
    try {
      written = await probe(temp, { ffmpegPath: this.setup.ffmpeg.path, ffprobePath: this.setup.ffprobe.path, signal: this.signal });
    } catch (err) {
      if (err instanceof AbortError) throw err;
      return fail(`the output is not readable: ${(err as Error).message}`);
    }
    if (written.frameCount !== undefined && !this.job.plan.image && written.frameCount !== this.frames) {
      fail(`the output holds ${written.frameCount} frames instead of ${this.frames}`);
    }
  }

  /** Moves the finished output into place. */
  async commit(): Promise<void> {
    await this.job.pending.commit();
  }

  /** {@link Encoder.end} then {@link Encoder.commit}. */
  async finish(): Promise<void> {
    await this.end();
    await this.commit();
  }

  /** Kills ffmpeg and removes the temporary output. Never throws. */
  async cancel(): Promise<void> {
    await this.proc?.kill();
    await this.remux?.kill();
    await this.job.pending.discard();
  }
}

/** Wraps a failure: an aborted signal wins over the errors it caused (killed processes, broken pipes). */
export function settleError(err: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted && !(err instanceof AbortError)) return new AbortError('The operation was aborted');
  return err;
}

/** Reports progress with fps and ETA. @internal */
export function progressReporter(onProgress: ((p: Progress) => void) | undefined, totalFrames: number | undefined): (done: number) => void {
  const started = performance.now();
  return (done) => {
    if (!onProgress) return;
    const seconds = (performance.now() - started) / 1000;
    const fps = seconds > 0 ? done / seconds : 0;
    const p: Progress = { framesDone: done, frames: done, fps };
    if (totalFrames !== undefined && totalFrames > 0) {
      p.totalFrames = totalFrames;
      p.etaSeconds = fps > 0 ? Math.max(0, totalFrames - done) / fps : undefined;
    }
    onProgress(p);
  };
}

/** Expected frame count of a probed source (stated by the container, or estimated from duration and rate). */
export function expectedFrameCount(info: MediaInfo | undefined): number | undefined {
  if (!info) return undefined;
  if (info.kind === 'image') return 1;
  if (info.frameCount !== undefined) return info.frameCount;
  const duration = info.video.duration ?? info.duration;
  if (duration !== undefined && info.fps > 0) return Math.round(duration * rationalValue(info.video.avgFrameRate));
  return undefined;
}

/**
 * Encodes `frames` into `output`. With `source`, everything but the video is copied from it untouched and the
 * default encoder mirrors its codec family (see the codec rule in encode-plan). Frames must share one size and
 * pixel format and come in presentation order; their `pts` become the output timestamps.
 *
 * The output appears only when complete; on failure or abort no file is left and ffmpeg is stopped.
 *
 * @throws {OutputError} the output exists (without `overwrite`), is the source, or its folder is missing; its
 *   extension is not a format reelmark writes, or its container cannot hold the video or a stream of the source.
 * @throws {FfmpegError} ffmpeg failed (with its last stderr lines).
 * @throws {AbortError} `signal` was aborted.
 * @example
 * await writeFrames(readFrames('in.mov'), 'out.mov', { source: 'in.mov' });
 */
export async function writeFrames(frames: AsyncIterable<Frame> | Iterable<Frame>, output: string, options: WriteOptions = {}): Promise<WriteResult> {
  checkWriteOptions(options);
  if (!frames || (typeof (frames as AsyncIterable<Frame>)[Symbol.asyncIterator] !== 'function' && typeof (frames as Iterable<Frame>)[Symbol.iterator] !== 'function')) {
    throw new UsageError(`Expected an iterable of frames for frames but received ${typeof frames}`);
  }
  const started = performance.now();
  const { signal } = options;
  if (signal?.aborted) throw new AbortError();
  const setup = await resolveFfmpeg({ ffmpegPath: options.ffmpegPath, ffprobePath: options.ffprobePath });
  const source = options.sourceInfo ?? (options.source ? await probe(options.source, { signal, ...pathsOf(options) }) : undefined);
  checkOutputFormat({ output, source, options, setup });
  const pending = await prepareOutput(output, { inputs: source ? [source.path] : [], overwrite: options.overwrite === true });
  const report = progressReporter(options.onProgress, options.totalFrames ?? expectedFrameCount(source));

  let encoder: Encoder | undefined;
  const iterator = toAsyncIterator(frames);
  try {
    // A Matroska source's rate is only nominal: frames go on its grid only where its packets keep to it.
    const timed = source && gridDecidedBySource(options) && (await framesOffNominalGrid(source, setup, signal)) ? { ...options, timing: 'exact' as const } : options;
    for (;;) {
      if (signal?.aborted) throw new AbortError();
      const next = await iterator.next();
      if (next.done) break;
      const frame = next.value;
      if (!encoder) {
        encoder = new Encoder(buildEncoderJob({ pending, first: frame, source, options: timed, setup }), setup, signal);
        encoder.start();
      }
      await encoder.write(frame);
      report(encoder.frames);
    }
    if (!encoder) throw new UsageError(`${pending.path}: no frames to write`);
    await encoder.finish();
    return {
      output: pending.path,
      frames: encoder.frames,
      seconds: (performance.now() - started) / 1000,
      codec: encoder.job.plan.codec,
      pixelFormat: encoder.job.plan.pixelFormat,
      ffmpegArgs: encoder.job.args,
      warnings: encoder.job.plan.warnings,
    };
  } catch (err) {
    await iterator.return?.().catch(() => {});
    if (encoder) await encoder.cancel();
    else await pending.discard();
    throw settleError(err, signal);
  }
}

function pathsOf(o: { ffmpegPath?: string; ffprobePath?: string }): { ffmpegPath?: string; ffprobePath?: string } {
  return { ffmpegPath: o.ffmpegPath, ffprobePath: o.ffprobePath };
}

function toAsyncIterator<T>(items: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> {
  if (typeof (items as AsyncIterable<T>)[Symbol.asyncIterator] === 'function') return (items as AsyncIterable<T>)[Symbol.asyncIterator]();
  const it = (items as Iterable<T>)[Symbol.iterator]();
  return {
    next: async () => it.next(),
    return: async (v?: unknown) => (it.return ? it.return(v as T) : { done: true as const, value: v as T }),
  };
}

/** The names of ffmpeg's setparams filter that every ffmpeg since 4.1 accepts (ffprobe's newer spellings mapped). */
const SETPARAMS_NAMES = {
  color_primaries: new Set(['bt709', 'bt470m', 'bt470bg', 'smpte170m', 'smpte240m', 'film', 'bt2020', 'smpte428', 'smpte431', 'smpte432', 'jedec-p22']),
  color_trc: new Set([
    'bt709', 'bt470m', 'bt470bg', 'smpte170m', 'smpte240m', 'linear', 'log100', 'log316', 'iec61966-2-4', 'bt1361e',
    'iec61966-2-1', 'bt2020-10', 'bt2020-12', 'smpte2084', 'smpte428', 'arib-std-b67',
  ]),
  colorspace: new Set(['gbr', 'bt709', 'fcc', 'bt470bg', 'smpte170m', 'smpte240m', 'ycgco', 'bt2020nc', 'bt2020c', 'smpte2085', 'chroma-derived-nc', 'chroma-derived-c', 'ictcp']),
  range: new Set(['tv', 'pc']),
};

/** setparams options that tag frames with the source's colour description ('' when it states none ffmpeg 4.1 knows). */
function colourParams(color: ColorInfo): string {
  const wanted: Array<[keyof typeof SETPARAMS_NAMES, string | undefined]> = [
    ['color_primaries', color.primaries === 'ebu3213' ? 'jedec-p22' : color.primaries],
    ['color_trc', color.transfer],
    ['colorspace', color.matrix === 'rgb' ? 'gbr' : color.matrix],
    ['range', color.range],
  ];
  return wanted
    .filter(([name, value]) => value !== undefined && SETPARAMS_NAMES[name].has(value))
    .map(([name, value]) => `${name}=${value}`)
    .join(':');
}
