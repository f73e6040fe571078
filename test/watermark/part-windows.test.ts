import { describe, expect, test } from 'vitest';
import { describePart, PART_HOP, PART_LENGTHS, PartWindows } from '../../packages/core/src/watermark/part-windows.js';

/** Feeds `frames` frames whose accumulator holds, at every sample, the frame count so far; copies at each boundary. */
function feed(windows: PartWindows, from: number, to: number, accumulator: Float32Array, onBoundary?: (frames: number) => void): void {
  for (let f = from + 1; f <= to; f++) {
    accumulator.fill(f);
    windows.noteFrame(f / 24);
    if (PartWindows.isBoundary(f)) {
      onBoundary?.(f);
      windows.keep(f, accumulator);
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

  test('in words, frames counted from 1', () => {
    expect(describePart({ startFrame: 192, endFrame: 240, start: 8, end: 10 })).toBe('8.00 s to 10.00 s of the leak (analysed frames 193 to 240)');
  });
});
