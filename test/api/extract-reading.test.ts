/**
 * How extraction reads a video: every frame of the first ALL_FRAMES_SECONDS, then keyframes only (not even decoded
 * otherwise), or every frame with `allFrames`; and the media layer's keyframesOnly switch underneath.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_FRAMES_SECONDS, buildReportJSON, createKey, extractVideo, readFrames, renderReportHtml } from '@reelmark/core';
import { ffmpeg, tempDir } from '../helpers/ffmpeg.js';

let dir: string;
let cleanup: () => Promise<void>;
let clip: string;
const key = createKey();

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('reelmark-reading-'));
  clip = join(dir, 'thirteen-seconds.mp4');
  // 13 s at 24 fps, a keyframe every second (x264 keyint 24, no scene-cut keyframes).
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=640x360:r=24', '-t', '13', '-c:v', 'libx264', '-preset', 'ultrafast', '-x264-params', 'keyint=24:min-keyint=24:scenecut=0', '-pix_fmt', 'yuv420p', '-y', clip]);
});
afterAll(async () => {
  await cleanup?.();
});

describe('reading for extraction', () => {
  it('readFrames with keyframesOnly decodes the keyframes alone, with their own timestamps', async () => {
    const times: number[] = [];
    for await (const frame of readFrames(clip, { lumaOnly: true, keyframesOnly: true })) times.push(Math.round(frame.pts * 1000) / 1000);
    expect(times).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('analyses every frame of the first seconds, then keyframes only; allFrames reads everything', async () => {
    expect(ALL_FRAMES_SECONDS).toBe(10);
    const sampled = await extractVideo({ input: clip, key, fullScan: true });
    // 10 s x 24 frames, then the keyframes at 10, 11 and 12 s.
    expect(sampled.framesAnalyzed).toBe(10 * 24 + 3);
    expect(sampled.secondsAnalyzed).toBeGreaterThan(12);
    const everything = await extractVideo({ input: clip, key, fullScan: true, allFrames: true });
    expect(everything.framesAnalyzed).toBe(13 * 24);
    // The detection (and its report) says how the input was read.
    expect(sampled.parameters.allFramesSeconds).toBe(10);
    expect(sampled.toJSON().parameters).toMatchObject({ allFrames: false, allFramesSeconds: 10 });
    expect(everything.toJSON().parameters).toMatchObject({ allFrames: true, allFramesSeconds: null });
    // The investigator's report says so.
    expect(renderReportHtml(await buildReportJSON(sampled))).toContain('full scan (no early stop); every frame of the first 10 s decoded, then keyframes only');
    expect(renderReportHtml(await buildReportJSON(everything))).toContain('full scan (no early stop); every frame decoded');
    // The keyframes (one a second) are named by the media layer, in the dense window and after it, and in a blind
    // reading each counts as KEYFRAME_WEIGHT frames; the report says so.
    expect(sampled.parameters).toMatchObject({ keyframeWeight: 24, keyframesAnalyzed: 13 });
    expect(everything.parameters).toMatchObject({ keyframeWeight: 24, keyframesAnalyzed: 13 });
    expect(renderReportHtml(await buildReportJSON(sampled))).toContain('then keyframes only; 13 keyframes analysed, each counted as 24 frames');
    // A clip no longer than the dense window is read whole either way.
    const short = await extractVideo({ input: clip, key, fullScan: true, maxSeconds: 4 });
    expect(short.framesAnalyzed).toBe(4 * 24);
    expect(short.parameters.allFramesSeconds).toBeNull();
    expect(sampled.found).toBe(false);
    expect(everything.found).toBe(false);
  });
});
