/**
 * Parts of a reading, scored on their own (among candidates).
 *
 * The detector adds every frame into one accumulator. When a leak is spliced from two recipients' copies, one after
 * the other, a short part from B after a long one from A is read at every look against all the frames read: A's
 * frames dilute B's evidence, and A's mark (the same payload patterns at other shifts) raises the level B's is
 * measured against at the frequencies both use. Measured with the phase-only correlation of before 2026-11-25: 2 s
 * of B after 8 s of A at 1080p CRF 23 scored 4.1 where B's part read alone scored 24.4; since, on the unit test's
 * synthetic splice, 7.2 where B's window reads 27 (dilution alone would leave about 12; docs/WATERMARK.md,
 * "Splices"). So the detector also scores the candidates on windows of
 * the reading: the accumulator now minus a copy of it kept PART_LENGTHS frames ago (a difference of running sums is
 * the sum over the window). Windows of each length end every half length, so any part of the input at least 1.5
 * times as long as a window holds one whole, and any part of at least PART_LENGTHS[0] frames holds three quarters of
 * one of that length. Windows are read once the whole reading is synchronised (at its syncs); until then copies are
 * kept back to the reading's start (at most PART_COPIES_BEFORE_LOCK), and the windows that ended before the lock are
 * read from them once it comes (`past`): a short part at the start of a weakly marked leak, which locks only later,
 * or in the last PART_COPIES_BEFORE_LOCK copies of a mirrored or turned one, which locks at the final look. When the
 * reading is later synchronised otherwise (turned, where it had locked upright), the windows whose copies are still
 * kept are read again at the new syncs (`forget`).
 *
 * This module keeps the copies and says which windows are due; the detector reads them.
 */

/** Copies of the accumulator are kept every this many analysed frames (windows start and end there). */
export const PART_HOP = 24;
/** Window lengths, in analysed frames (2, 4 and 8 s at 24 fps): each is read every half its length. */
export const PART_LENGTHS: readonly number[] = [48, 96, 192];
/**
 * Copies kept while the reading is not synchronised (the oldest dropped beyond): windows starting in the last 384
 * analysed frames before the lock (16 s at 24 fps), or at the reading's start when the copy they end at is among
 * those kept, are read once it comes. 33 MB at the 960 x 540 working size.
 */
export const PART_COPIES_BEFORE_LOCK = 16;

/** A part of the reading: frames `startFrame` (0-based, in the order analysed) to `endFrame` (excluded). */
export interface PartRange {
  startFrame: number;
  endFrame: number;
  /** Seconds from the first frame analysed to the part's first frame, and to the end of its last one. */
  start: number;
  end: number;
}

/** A copy of the accumulator after `frames` frames, and the time of the frame that followed (NaN until it came). */
export interface PartStart {
  readonly frames: number;
  readonly plane: Float32Array;
  time: number;
}

export class PartWindows {
  /** The copies kept, oldest first: at most the longest window back from the last one. */
  private readonly starts: PartStart[] = [];
  /** Buffers of copies no longer needed, for the next ones. */
  private readonly spare: Float32Array[] = [];
  private readonly window: Float32Array;
  /** Every window read, as `length:end frame` (so that none is read twice, past or due). */
  private readonly read = new Set<string>();
  /** The reading's start, as a copy of nothing (no plane: the windows from it are the copy they end at). */
  private readonly origin: PartStart = { frames: 0, plane: new Float32Array(0), time: Number.NaN };

  constructor(readonly size: number) {
    this.window = new Float32Array(size);
  }

  /** Called with each frame added (`frames` counts it): the copy made just before it learns its time. */
  noteFrame(time: number): void {
    const last = this.starts[this.starts.length - 1] ?? this.origin;
    if (Number.isNaN(last.time)) last.time = time;
  }

  /** Whether a copy is due after this many frames (then call `keep` once the due windows were read). */
  static isBoundary(frames: number): boolean {
    return frames > 0 && frames % PART_HOP === 0;
  }

  /**
   * Keeps a copy of `accumulator` after `frames` frames, dropping those no window will start from again; while the
   * reading is not synchronised (`beforeLock`), the last PART_COPIES_BEFORE_LOCK instead (for `past`).
   */
  keep(frames: number, accumulator: Float32Array, beforeLock = false): void {
    const oldest = frames - PART_LENGTHS[PART_LENGTHS.length - 1];
    const stale = () => (beforeLock ? this.starts.length >= PART_COPIES_BEFORE_LOCK : this.starts[0].frames < oldest);
    while (this.starts.length > 0 && stale()) this.spare.push(this.starts.shift()!.plane);
    const plane = this.spare.pop() ?? new Float32Array(this.size);
    plane.set(accumulator);
    this.starts.push({ frames, plane, time: Number.NaN });
  }

  /**
   * The windows due after `frames` frames, each as the copy it starts from (never the reading's start: the whole
   * reading is what the detector's own looks read). At a boundary, the windows of every length that ends there
   * (every half length); at the end of the reading (`final`), one of each length ending at the last frame, from the
   * latest copy at least that length back, unless the window of that length ending there was read already.
   */
  due(frames: number, final: boolean): PartStart[] {
    const out: PartStart[] = [];
    for (const length of PART_LENGTHS) {
      const key = `${length}:${frames}`;
      if (this.read.has(key) || (!final && frames % (length / 2) !== 0)) continue;
      this.read.add(key);
      let from: PartStart | undefined;
      for (const s of this.starts) if (s.frames <= frames - length) from = s;
      if (from && !out.includes(from)) out.push(from);
    }
    return out;
  }

  /**
   * The windows that ended before `frames` frames (at the boundaries `due` would have given) and were not read: those
   * that ended before the reading locked. Each as the copies it runs between, the first possibly the reading's start;
   * only those whose copies are still kept. Oldest first.
   */
  past(frames: number): Array<{ from: PartStart; to: PartStart }> {
    const out: Array<{ from: PartStart; to: PartStart }> = [];
    for (const to of this.starts) {
      if (to.frames >= frames) continue;
      for (const length of PART_LENGTHS) {
        const key = `${length}:${to.frames}`;
        if (to.frames % (length / 2) !== 0 || to.frames < length || this.read.has(key)) continue;
        const from = to.frames === length ? this.origin : this.starts.find((s) => s.frames === to.frames - length);
        if (!from) continue;
        this.read.add(key);
        out.push({ from, to });
      }
    }
    return out;
  }

  /**
   * Forgets which windows were read, so that those whose copies are still kept are given again (`past`, `due`): for
   * the detector to read them at syncs of another orientation than they were read at.
   */
  forget(): void {
    this.read.clear();
  }

  /** The sum over the window from `from` to now: `accumulator` minus the copy, in a buffer reused by every call. */
  windowFrom(from: PartStart, accumulator: Float32Array): Float32Array {
    const out = this.window;
    if (from === this.origin) {
      out.set(accumulator);
      return out;
    }
    const start = from.plane;
    for (let i = 0; i < out.length; i++) out[i] = accumulator[i] - start[i];
    return out;
  }
}

/**
 * A part in words, for a reader: `8.00 s to 10.00 s of the leak (analysed frames 193 to 240)`; the frames counted
 * from 1, as a person would.
 */
export function describePart(part: Readonly<PartRange>): string {
  return `${part.start.toFixed(2)} s to ${part.end.toFixed(2)} s of the leak (analysed frames ${part.startFrame + 1} to ${part.endFrame})`;
}
