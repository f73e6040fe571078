/**
 * `readFrames(path)`: decoded frames as an async iterable, streamed out of ffmpeg.
 *
 * ffmpeg decodes, converts (pixel format, size, rate, luma extraction) and writes raw frames in NUT, which keeps
 * each frame's exact timestamp; frames are read straight into frame-sized buffers.
 */
import { InputError, UsageError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { commonArgs, fileUrl, inputTimeBaseArgs, passthroughTimingArgs } from './ffmpeg-args.js';
import { resolveFfmpeg } from './ffmpeg-binaries.js';
import type { FfmpegSetup } from './ffmpeg-binaries.js';
import { startProcess } from './ffmpeg-process.js';
import type { MediaProcess } from './ffmpeg-process.js';
import { FrameLayout, pixelFormatError } from './frame.js';
import { INTRA_ONLY_CODECS, KeyframeScan, scannable } from './keyframe-scan.js';
import type { Frame } from './frame.js';
import { NutDemuxer, pixelFormatOfFourcc } from './nut.js';
import { quarterTurns } from './display-turn.js';
import { framePixelFormat, frameFormatFor, refusalReason, withoutAlpha } from './pixel-format.js';
import { probe } from './probe.js';
import type { MediaInfo } from './probe.js';

/** Options of {@link readFrames}. */
export interface ReadFramesOptions {
  /** Start this many seconds after the start of the file (decoding is frame accurate). */
  start?: number;
  /** Stop after this many seconds of video. */
  duration?: number;
  /** Stop after this many frames. */
  maxFrames?: number;
  /** Scale to this width (keeps the aspect ratio when `height` is not given). */
  width?: number;
  /** Scale to this height (keeps the aspect ratio when `width` is not given). */
  height?: number;
  /** Resample to this constant frame rate, e.g. 25 or '24000/1001' (frames are duplicated or dropped by ffmpeg). */
  frameRate?: number | string;
  /** Deliver only the luma plane (gray formats), extracted bit-exactly by ffmpeg. A source's alpha channel is then not read. */
  lumaOnly?: boolean;
  /**
   * Decode only keyframes (ffmpeg's `-skip_frame nokey`): the other frames are not decoded at all, so a long file
   * is read many times faster than real time. Frames keep their own timestamps.
   */
  keyframesOnly?: boolean;
  /**
   * Say which frames are keyframes (`frame.keyFrame`): frames the source's codec coded on their own. A keyframes-only
   * decode of the same span runs beside the reading (cheap: nothing else is decoded) and names them by timestamp,
   * where the container times every frame (MP4, QuickTime, Matroska, WebM, MPEG-TS, FLV, MXF, NUT; elsewhere, such
   * as AVI or a raw stream, every frame is marked false). With `keyframesOnly` every frame is one, and so is every
   * frame of a still or of an intra-only codec (ProRes, DNxHD, Motion JPEG, FFV1, ...: no scan is made). A scan that
   * fails leaves the frames after it marked false. Not with `frameRate` (resampled frames
   * are not the source's).
   */
  markKeyframes?: boolean;
  /**
   * Deliver the picture as it is displayed: turned by the source's display rotation (`MediaInfo.rotation`; a phone's
   * portrait video, a file tagged upside down). Frames of a rotation of 90 or 270 degrees are then `height` x `width`
   * of the stored picture (`displaySize`). Default false: the pixels as stored.
   */
  displayed?: boolean;
  /** Deliver frames in this pixel format (one of FRAME_PIXEL_FORMATS) instead of the source's. */
  pixelFormat?: string;
  /**
   * Reuse a small pool of buffers instead of allocating each frame. When true, a frame is valid only until the
   * iterator is advanced (the next loop iteration): copy it with `cloneFrame` to keep it. Default false: every
   * frame owns its buffers and stays valid.
   */
  reuseBuffers?: boolean;
  /** Frames decoded ahead of the consumer (default 2); memory use is about (readAhead + 1) frames. */
  readAhead?: number;
  /** Stops decoding; the iterator then throws AbortError. */
  signal?: AbortSignal;
  ffmpegPath?: string;
  ffprobePath?: string;
  /** A probe of the file that the caller already has (saves running ffprobe again). */
  info?: MediaInfo;
}

/** What a reader decided before starting ffmpeg: useful to writers that mirror the source. */
export interface ReadPlan {
  info: MediaInfo;
  setup: FfmpegSetup;
  /** Pixel format of the delivered frames. */
  pixelFormat: string;
  args: string[];
}

function checkOptions(file: unknown, o: ReadFramesOptions): void {
  if (typeof file !== 'string' || file === '') {
    throw new UsageError(`Expected a file path (non-empty string) for path but received ${typeof file === 'string' ? "''" : typeof file}`);
  }
  const positive = (name: keyof ReadFramesOptions, integer: boolean, allowZero: boolean): void => {
    const v = o[name];
    if (v === undefined) return;
    const ok = typeof v === 'number' && Number.isFinite(v) && (allowZero ? v >= 0 : v > 0) && (!integer || Number.isInteger(v));
    if (!ok) {
      throw new UsageError(
        `Expected ${integer ? 'an integer' : 'a number'} ${allowZero ? '>= 0' : '> 0'} for options.${name} but received ${String(v)}`,
      );
    }
  };
  positive('start', false, true);
  positive('duration', false, false);
  positive('maxFrames', true, false);
  positive('width', true, false);
  positive('height', true, false);
  positive('readAhead', true, false);
  if (o.frameRate !== undefined) {
    const fr = o.frameRate;
    const ok = (typeof fr === 'number' && Number.isFinite(fr) && fr > 0) || (typeof fr === 'string' && /^\d+(\.\d+)?(\/\d+)?$/.test(fr) && parseFloat(fr) > 0);
    if (!ok) throw new UsageError(`Expected a number > 0 or a rational string like '24000/1001' for options.frameRate but received ${String(fr)}`);
  }
  if (o.markKeyframes && o.frameRate !== undefined) {
    throw new UsageError('options.markKeyframes cannot be used with options.frameRate: resampled frames are not the source\'s');
  }
  if (o.pixelFormat !== undefined && !framePixelFormat(o.pixelFormat)) {
    throw new UsageError(`Expected a planar pixel format (yuv420p, yuv422p10le, gray, ...) for options.pixelFormat but received '${String(o.pixelFormat)}'`);
  }
  if (o.lumaOnly && o.pixelFormat && framePixelFormat(o.pixelFormat)!.planes !== 1) {
    throw new UsageError(`options.lumaOnly delivers a gray format; options.pixelFormat '${o.pixelFormat}' has chroma planes`);
  }
}

/** Chooses the delivered pixel format and builds the decoding command. @internal */
export async function planRead(file: string, options: ReadFramesOptions): Promise<ReadPlan> {
  checkOptions(file, options);
  const [info, setup] = await Promise.all([
    options.info ?? probe(file, { ffmpegPath: options.ffmpegPath, ffprobePath: options.ffprobePath, signal: options.signal }),
    resolveFfmpeg({ ffmpegPath: options.ffmpegPath, ffprobePath: options.ffprobePath }),
  ]);
  // Luma alone is read through an alpha channel (a GIF, an RGBA screenshot): the alpha plane is not read.
  const source = (options.lumaOnly ? withoutAlpha(info.pixelFormat) : undefined) ?? info.pixelFormat;
  const refusal = refusalReason(source);
  if (refusal) throw pixelFormatError(info.path, source, refusal);
  let natural = frameFormatFor(source);
  if (!natural) throw pixelFormatError(info.path, source, 'no planar format can carry it');
  const rgb = /^(rgb|bgr|gbr|0rgb|0bgr|pal8)/.test(source);
  // 8-bit RGB goes to full-range YUV so that a round trip back to RGB loses nothing to range compression.
  if (rgb && natural === 'yuv444p') natural = 'yuvj444p';
  let pixelFormat = options.pixelFormat ?? natural;
  if (options.lumaOnly && !options.pixelFormat) pixelFormat = framePixelFormat(natural)!.lumaFormat;

  const filters: string[] = [];
  const naturalInfo = framePixelFormat(natural)!;
  if (options.lumaOnly && !rgb && naturalInfo.planes === 3 && framePixelFormat(pixelFormat)!.bitDepth === naturalInfo.bitDepth) {
    // extractplanes copies Y bit for bit; converting to gray with -pix_fmt would rescale the range.
    if (source !== natural) filters.push(`format=${natural}`);
    filters.push('extractplanes=y');
  }
  // Turned for display by reelmark's own filters (the turns of `display-turn.ts`; after the luma is taken, which they
  // move exactly), not by ffmpeg's autorotation, whose handling differs between versions.
  const turn = options.displayed ? quarterTurns(info.rotation) : 0;
  if (turn !== 0) filters.push(turn === 90 ? 'transpose=cclock' : turn === 270 ? 'transpose=clock' : 'hflip,vflip');
  if (options.frameRate !== undefined) filters.push(`fps=${String(options.frameRate)}`);
  if (options.width !== undefined || options.height !== undefined) {
    const even = framePixelFormat(pixelFormat)!.planes === 3 ? -2 : -1;
    filters.push(`scale=${options.width ?? even}:${options.height ?? even}`);
  }

  const args = [...commonArgs(), '-noautorotate'];
  if (info.kind === 'video') {
    if (options.start !== undefined) args.push('-ss', String(options.start));
    if (options.duration !== undefined) args.push('-t', String(options.duration));
    if (options.keyframesOnly) args.push('-skip_frame', 'nokey');
  }
  args.push('-i', fileUrl(info.path), '-map', `0:${info.video.index}`, '-an', '-sn', '-dn');
  if (info.kind === 'video') args.push(...passthroughTimingArgs(setup), '-copyts', ...inputTimeBaseArgs(setup));
  if (filters.length) args.push('-vf', filters.join(','));
  if (options.maxFrames !== undefined) args.push('-frames:v', String(options.maxFrames));
  args.push('-c:v', 'rawvideo', '-pix_fmt', pixelFormat, '-f', 'nut', '-write_index', '0', 'pipe:1');
  return { info, setup, pixelFormat, args };
}

/** A fixed set of frame buffers handed out and returned; `acquire` waits while all are in use. */
class BufferPool {
  private readonly free: Uint8Array[] = [];
  private waiters: Array<(b: Uint8Array) => void> = [];
  private created = 0;
  constructor(
    private readonly size: number,
    private readonly byteSize: number,
  ) {}
  acquire(): Promise<Uint8Array> {
    const b = this.free.pop();
    if (b) return Promise.resolve(b);
    if (this.created < this.size) {
      this.created++;
      return Promise.resolve(new Uint8Array(this.byteSize));
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(b: Uint8Array): void {
    const w = this.waiters.shift();
    if (w) w(b);
    else this.free.push(b);
  }
}

interface Decoded {
  bytes: Uint8Array;
  pts: number;
}

/**
 * Decodes the video stream of `path` (a video or a still image) into frames, streaming: only `readAhead + 1`
 * frames are in memory at any time, however long the video.
 *
 * Frames carry their index and presentation time (seconds, on the source's timeline). 8-bit planes are Uint8Array,
 * deeper ones Uint16Array. The source's pixel format is kept when frames can carry it (yuv420p, yuv422p10le, ...);
 * packed and semi-planar layouts are re-laid as planar, RGB becomes 4:4:4 YUV (`yuvj444p` for 8-bit), alpha (but with `lumaOnly`) and
 * raw sensor formats are refused. A still image yields one frame.
 *
 * Stopping early (`break`) stops ffmpeg. By default each frame owns its buffers; see `reuseBuffers`.
 *
 * @throws {InputError} missing, unreadable or non-media input, no video stream.
 * @throws {UnsupportedPixelFormatError} the source pixel format cannot be delivered.
 * @throws {FfmpegError} ffmpeg failed (the message ends with its last stderr lines).
 * @throws {AbortError} `signal` was aborted.
 * @example
 * for await (const frame of readFrames('in.mp4', { lumaOnly: true, maxFrames: 10 })) {
 *   const luma = frame.planes[0]; // [h, w] u8
 * }
 */
export function readFrames(path: string, options: ReadFramesOptions = {}): AsyncIterable<Frame> {
  checkOptions(path, options);
  return {
    [Symbol.asyncIterator]: () => decodeFrames(path, options)[Symbol.asyncIterator](),
  };
}

/** The frame generator behind {@link readFrames}, with the plan exposed for writers. @internal */
export async function* decodeFrames(path: string, options: ReadFramesOptions, planned?: ReadPlan): AsyncGenerator<Frame> {
  const plan = planned ?? (await planRead(path, options));
  const { info, setup, args } = plan;
  const proc = startProcess(setup.ffmpeg.path, args, {
    label: `ffmpeg (decoding ${info.path})`,
    stdout: true,
    signal: options.signal,
  });
  const reader = new ByteReader(proc.stdout!, 1 << 20);
  const readAhead = options.readAhead ?? 2;
  const queue: Decoded[] = [];
  let finished = false;
  let failure: unknown;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  let pool: BufferPool | undefined;
  let layout: FrameLayout | undefined;

  const notifyConsumer = (): void => {
    const w = wakeConsumer;
    wakeConsumer = undefined;
    w?.();
  };

  const produce = async (): Promise<void> => {
    try {
      const demuxer = new NutDemuxer(reader);
      let streams;
      try {
        streams = await demuxer.readHeaders();
      } catch (err) {
        await surfaceProcessError(proc);
        if (/ended before the first frame/.test(String((err as Error).message))) return; // no frames at all
        throw err;
      }
      const video = streams.find((s) => s.streamClass === 0);
      if (!video) throw new InputError(`${info.path}: ffmpeg produced no video stream`, info.path);
      const delivered = pixelFormatOfFourcc(video.fourcc);
      if (!delivered || delivered !== plan.pixelFormat.replace(/^yuvj/, 'yuv')) {
        throw pixelFormatError(info.path, plan.pixelFormat, `ffmpeg delivered an unexpected raw format (${video.fourcc.toString('latin1')})`);
      }
      layout = new FrameLayout(plan.pixelFormat, video.width, video.height);
      reader.setHighWater(Math.min(layout.byteSize + (1 << 20), 96 << 20));
      pool = options.reuseBuffers ? new BufferPool(readAhead + 1, layout.byteSize) : undefined;
      const { num, den } = video.timeBase;
      for (;;) {
        if (stopped) return;
        const header = await demuxer.nextFrame();
        if (!header) break;
        if (header.stream !== video.id) {
          await reader.skip(header.size);
          continue;
        }
        if (header.size !== layout.byteSize) {
          throw new InputError(`${info.path}: ffmpeg delivered a frame of ${header.size} bytes, expected ${layout.byteSize}`, info.path);
        }
        while (!stopped && queue.length >= readAhead) await new Promise<void>((r) => (wakeProducer = r));
        if (stopped) return;
        const bytes = pool ? await pool.acquire() : layout.allocate();
        if (!(await reader.readInto(bytes, header.size))) {
          await surfaceProcessError(proc);
          throw new InputError(`${info.path}: ffmpeg's output ended in the middle of a frame`, info.path);
        }
        queue.push({ bytes, pts: (header.pts * num) / den });
        notifyConsumer();
      }
      await proc.done;
    } catch (err) {
      failure = err;
    } finally {
      finished = true;
      notifyConsumer();
    }
  };

  const producing = produce();
  // Which frames are keyframes, when asked: every one of a keyframes-only reading, a still or an intra-only codec's
  // video, else a scan's say where the container times every frame (none is marked elsewhere: keyframe-scan.ts).
  const allKeys = options.keyframesOnly === true || info.kind !== 'video' || INTRA_ONLY_CODECS.has(info.video.codec);
  const scan = options.markKeyframes && !allKeys && scannable(info) ? new KeyframeScan(path, { ...options, info }, decodeFrames) : null;
  let index = 0;
  let held: Uint8Array | undefined;
  try {
    for (;;) {
      while (queue.length === 0 && !finished) await new Promise<void>((r) => (wakeConsumer = r));
      if (held && pool) pool.release(held);
      held = undefined;
      if (queue.length === 0) {
        if (failure) throw failure;
        break;
      }
      const item = queue.shift()!;
      const w = wakeProducer;
      wakeProducer = undefined;
      w?.();
      held = item.bytes;
      const frame = layout!.frameOver(item.bytes, index++, item.pts);
      if (options.markKeyframes) frame.keyFrame = allKeys || (scan !== null && (await scan.isKey(item.pts)));
      yield frame;
    }
  } finally {
    stopped = true;
    const w = wakeProducer;
    wakeProducer = undefined;
    w?.();
    if (!proc.exited) {
      reader.release();
      await proc.kill();
    }
    await producing;
    await scan?.close();
  }
  if (options.signal?.aborted) await proc.done; // throws AbortError
}

/** If the process failed, throw its error (it carries the stderr tail); otherwise return. */
async function surfaceProcessError(proc: MediaProcess): Promise<void> {
  await proc.done;
}
