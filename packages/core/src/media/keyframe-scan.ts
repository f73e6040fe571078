/**
 * Which frames of a reading are keyframes. ffmpeg's raw output marks every frame as a keyframe, so the decoder's own
 * flag does not come through the pipe; the timestamps do, exactly (readings keep the source's, `-copyts`). So a
 * keyframes-only decode of the same span (`-skip_frame nokey`: the other frames are not decoded at all, many times
 * faster than the reading) runs beside it, and its timestamps name the keyframes.
 */
import type { Frame } from './frame.js';
import type { ReadFramesOptions } from './read-frames.js';

/** Timestamps are compared to the microsecond (both readings compute them the same way; this only absorbs rounding). */
function stamp(pts: number): number {
  return Math.round(pts * 1e6);
}

export class KeyframeScan {
  private readonly keys = new Set<number>();
  /** The last keyframe's timestamp seen so far. */
  private scannedTo = -Infinity;
  private done = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private readonly iterator: AsyncIterator<Frame>;
  private readonly running: Promise<void>;

  /**
   * Starts the scan of the span `options` reads (`start`, `duration`), through `decode` (the reader's frame
   * generator), at a tiny size: only the timestamps are wanted.
   */
  constructor(path: string, options: ReadFramesOptions, decode: (path: string, options: ReadFramesOptions) => AsyncGenerator<Frame>) {
    this.iterator = decode(path, {
      start: options.start,
      duration: options.duration,
      keyframesOnly: true,
      lumaOnly: true,
      width: 16,
      height: 16,
      reuseBuffers: true,
      readAhead: 16,
      signal: options.signal,
      ffmpegPath: options.ffmpegPath,
      ffprobePath: options.ffprobePath,
      info: options.info,
    })[Symbol.asyncIterator]();
    this.running = this.run();
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        const next = await this.iterator.next();
        if (next.done) break;
        this.keys.add(stamp(next.value.pts));
        this.scannedTo = next.value.pts;
        this.notify();
      }
    } catch (err) {
      this.failure = err;
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
    if (this.failure) throw this.failure;
    return this.keys.has(stamp(pts));
  }

  /** Stops the scan (its ffmpeg is killed if still running) and waits for it. */
  async close(): Promise<void> {
    await this.iterator.return?.(undefined);
    await this.running;
  }
}
