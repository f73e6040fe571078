/**
 * Which frames of a reading are keyframes. ffmpeg's raw output marks every frame as a keyframe, so the decoder's own
 * flag does not come through the pipe; the timestamps do (readings keep the source's, `-copyts`). So a keyframes-only
 * decode of the same span (`-skip_frame nokey`: the other frames are not decoded at all, many times faster than the
 * reading) runs beside it, and its timestamps name the keyframes.
 *
 * That holds only where the container gives every frame its own timestamp (MP4 and QuickTime, Matroska and WebM,
 * MPEG-TS, FLV, MXF, NUT). In AVI, MPEG program streams and raw elementary streams with B frames ffmpeg makes the
 * timestamps up at the decoder's output, and a decoder that skips frames makes them up differently: there the
 * scan's timestamps fall on other frames (measured on AVI, Xvid AVI and raw H.264), so no scan is made and no frame
 * is marked.
 */
import type { Frame } from './frame.js';
import type { MediaInfo } from './probe.js';
import type { ReadFramesOptions } from './read-frames.js';

/**
 * Codecs that code every frame on its own (ffmpeg's intra-only property): every frame is a keyframe, and a scan would
 * decode the whole span a second time for nothing.
 */
export const INTRA_ONLY_CODECS: ReadonlySet<string> = new Set([
  'prores', 'dnxhd', 'mjpeg', 'ljpeg', 'jpeg2000', 'jpegls', 'ffv1', 'ffvhuff', 'huffyuv', 'utvideo', 'magicyuv', 'cfhd',
  'hap', 'v210', 'v410', 'r210', 'rawvideo', 'png', 'tiff', 'dpx', 'exr', 'bmp',
]);

/** Containers (ffprobe's format names) that store every frame's presentation time. */
const TIMESTAMPED_CONTAINERS = /(^|,)(mov|mp4|matroska|webm|mpegts|flv|mxf|nut)(,|$)/;

/** Whether a scan can name `info`'s keyframes: its container times every frame. */
export function scannable(info: MediaInfo): boolean {
  return TIMESTAMPED_CONTAINERS.test(info.container);
}

/** Timestamps are compared to the microsecond (both readings compute them the same way; this only absorbs rounding). */
function stamp(pts: number): number {
  return Math.round(pts * 1e6);
}

export class KeyframeScan {
  private readonly keys = new Set<number>();
  /** The latest keyframe timestamp seen so far. */
  private scannedTo = -Infinity;
  private done = false;
  /** The scan failed (or was stopped): frames it has not passed are not marked. */
  private failed = false;
  private wake: (() => void) | undefined;
  /** Stops the scan's ffmpeg at once (`close`), or when the reading's own signal is aborted. */
  private readonly stop = new AbortController();
  private readonly running: Promise<void>;
  private readonly outer: AbortSignal | undefined;
  private readonly onAbort = (): void => this.stop.abort();

  /**
   * Starts the scan of the span `options` reads (`start`, `duration`), through `decode` (the reader's frame
   * generator), at a tiny size: only the timestamps are wanted.
   */
  constructor(path: string, options: ReadFramesOptions, decode: (path: string, options: ReadFramesOptions) => AsyncGenerator<Frame>) {
    this.outer = options.signal;
    if (this.outer?.aborted) this.stop.abort();
    else this.outer?.addEventListener('abort', this.onAbort, { once: true });
    const frames = decode(path, {
      start: options.start,
      duration: options.duration,
      keyframesOnly: true,
      lumaOnly: true,
      width: 16,
      height: 16,
      reuseBuffers: true,
      readAhead: 16,
      signal: this.stop.signal,
      ffmpegPath: options.ffmpegPath,
      ffprobePath: options.ffprobePath,
      info: options.info,
    });
    this.running = this.run(frames);
  }

  private async run(frames: AsyncGenerator<Frame>): Promise<void> {
    try {
      for await (const frame of frames) {
        this.keys.add(stamp(frame.pts));
        this.scannedTo = Math.max(this.scannedTo, frame.pts);
        this.notify();
      }
    } catch {
      // The flag only refines a reading: a scan that fails (or is stopped) leaves the frames after it unmarked, and
      // the reading itself reports any trouble with the file.
      this.failed = true;
    } finally {
      this.done = true;
      this.notify();
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** True when the frame at `pts` is a keyframe; waits until the scan has passed `pts` (or ended). */
  async isKey(pts: number): Promise<boolean> {
    while (!this.done && this.scannedTo < pts) await new Promise<void>((r) => (this.wake = r));
    if (this.failed && this.scannedTo < pts) return false;
    return this.keys.has(stamp(pts));
  }

  /** Stops the scan (its ffmpeg is killed if still running) and waits for it. */
  async close(): Promise<void> {
    this.outer?.removeEventListener('abort', this.onAbort);
    this.stop.abort();
    await this.running;
  }
}
