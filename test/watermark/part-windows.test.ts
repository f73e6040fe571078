import { describe, expect, test } from 'vitest';
import { describePart, PART_COPIES_BEFORE_LOCK, PART_HOP, PART_LENGTHS, PartWindows } from '../../packages/core/src/watermark/part-windows.js';

/** Feeds `frames` frames whose accumulator holds, at every sample, the frame count so far; copies at each boundary. */
function feed(windows: PartWindows, from: number, to: number, accumulator: Float32Array, onBoundary?: (frames: number) => void, beforeLock = false): void {
  for (let f = from + 1; f <= to; f++) {
    accumulator.fill(f);
    windows.noteFrame(f / 24);
    if (PartWindows.isBoundary(f)) {
      onBoundary?.(f);
      windows.keep(f, accumulator, beforeLock);
    }
  }
}

describe('windows of the reading', () => {
  test('at each boundary the windows of every length that ends there, never from the reading start', () => {
    expect(PART_HOP).toBe(24);
    expect(PART_LENGTHS).toEqual([48, 96, 192]);
    const windows = new PartWindows(4);
    const accumulator = new Float32Array(4);
    const seen: Array<[number, number]> = [];
    feed(windows, 0, 240, accumulator, (f) => {
      for (const from of windows.due(f, false)) seen.push([from.frames, f]);
    });
    // 48 frames: every 24 from 72 (the one from 0 is the whole reading); 96: every 48 from 144; 192: at 288 only.
    expect(seen).toEqual([
      [24, 72], [48, 96], [72, 120], [96, 144], [48, 144], [120, 168], [144, 192], [96, 192], [168, 216], [192, 240], [144, 240],
    ]);
  });

  test('at the end of the reading, the window of each length not read there yet', () => {
    const windows = new PartWindows(4);
    const accumulator = new Float32Array(4);
    feed(windows, 0, 240, accumulator, (f) => windows.due(f, false));
    // 48 and 96 were read at 240 as a boundary; the 192-frame one was not (240 is not a multiple of 96).
    expect(windows.due(240, true).map((s) => s.frames)).toEqual([48]);
    expect(windows.due(240, true)).toEqual([]);
    // 10 more frames: one of each length ends at 250, from the latest copy at least that length back.
    feed(windows, 240, 250, accumulator);
    expect(windows.due(250, true).map((s) => s.frames)).toEqual([192, 144, 48]);
  });

  test('a window is the accumulator now less the copy at its start, with the time of its first frame', () => {
    const windows = new PartWindows(4);
    const accumulator = new Float32Array(4);
    feed(windows, 0, 240, accumulator);
    const [from] = windows.due(240, true);
    expect(from.frames).toBe(192);
    // The frame after the copy at 192 came at 193 / 24 s.
    expect(from.time).toBeCloseTo(193 / 24, 9);
    expect([...windows.windowFrom(from, accumulator)]).toEqual([48, 48, 48, 48]);
    // Copies older than the longest window are dropped (their buffers reused).
    expect(windows.due(240, true)).toEqual([]);
    feed(windows, 240, 480, accumulator, (f) => windows.due(f, false));
    expect(windows.due(490, true).map((s) => s.frames)).toEqual([432, 384, 288]);
  });

  test('windows that ended before the lock are read from the copies kept until it, the reading\'s start included, once each', () => {
    const windows = new PartWindows(4);
    const accumulator = new Float32Array(4);
    // Not synchronised for 240 frames: no window read, every copy kept.
    feed(windows, 0, 240, accumulator, undefined, true);
    const past = windows.past(240);
    expect(past.map(({ from, to }) => [from.frames, to.frames])).toEqual([
      [0, 48], [24, 72], [48, 96], [0, 96], [72, 120], [96, 144], [48, 144], [120, 168], [144, 192], [96, 192], [0, 192], [168, 216],
    ]);
    // Each window is the copy at its end less the one at its start (the start: nothing), with their times.
    for (const { from, to } of past) expect([...windows.windowFrom(from, to.plane)]).toEqual(new Array(4).fill(to.frames - from.frames));
    expect(past[0].from.time).toBeCloseTo(1 / 24, 9);
    expect(past[0].to.time).toBeCloseTo(49 / 24, 9);
    // Once read, never again; the windows due from now on are not among them.
    expect(windows.past(240)).toEqual([]);
    expect(windows.due(240, false).map((s) => s.frames)).toEqual([192, 144]);
    expect(windows.past(250)).toEqual([]);
  });

  test('before the lock, at most PART_COPIES_BEFORE_LOCK copies are kept, the latest', () => {
    expect(PART_COPIES_BEFORE_LOCK).toBe(16);
    const windows = new PartWindows(4);
    const accumulator = new Float32Array(4);
    feed(windows, 0, 480, accumulator, undefined, true);
    // Copies at 120 to 480 (16 of them): windows between two of them, or from the start to one (192 frames to 192).
    const past = windows.past(480).map(({ from, to }) => [from.frames, to.frames]);
    expect(past.slice(0, 3)).toEqual([[120, 168], [144, 192], [0, 192]]);
    expect(past.every(([from, to]) => to >= 120 && (from >= 120 || from === 0) && to - from <= 192 && to < 480)).toBe(true);
    expect(past.length).toBe(13 + 5 + 2); // 48 frames: ends 168 to 456; 96: 240 to 432; 192: 192 (from the start) and 384
    // Locked at 480 (its windows read there): copies older than the longest window are dropped again.
    expect(windows.due(480, false).map((s) => s.frames)).toEqual([432, 384, 288]);
    feed(windows, 480, 504, accumulator);
    expect(windows.due(504, true).map((s) => s.frames)).toEqual([456, 408, 312]);
    expect(windows.past(504).length).toBe(0);
  });

  test('forgetting what was read gives again the windows whose copies are kept (to read them at other syncs)', () => {
    const windows = new PartWindows(4);
    const accumulator = new Float32Array(4);
    // Locked from the start: every window read as it ended; copies kept back 192 frames.
    feed(windows, 0, 480, accumulator, (f) => windows.due(f, false));
    expect(windows.due(480, true)).toEqual([]);
    expect(windows.past(480)).toEqual([]);
    windows.forget();
    // The windows ending before 480 between kept copies (288 to 456), then those ending at 480.
    expect(windows.past(480).map(({ from, to }) => [from.frames, to.frames])).toEqual([
      [288, 336], [312, 360], [336, 384], [288, 384], [360, 408], [384, 432], [336, 432], [408, 456],
    ]);
    expect(windows.due(480, true).map((s) => s.frames)).toEqual([432, 384, 288]);
    expect(windows.past(480)).toEqual([]);
  });

  test('in words, frames counted from 1', () => {
    expect(describePart({ startFrame: 192, endFrame: 240, start: 8, end: 10 })).toBe('8.00 s to 10.00 s of the leak (analysed frames 193 to 240)');
  });
});
