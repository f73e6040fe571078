/**
 * Luma frames read into memory for benches that feed the detector directly, each plane a copy (the reader may
 * recycle its buffers), keyframes marked as the library's extraction marks them (they weigh more in a blind reading;
 * among candidates the reading ends with one more look at the keyframe-weighted sum when it names no one).
 */
import { readFrames } from '@reelmark/core';

/** `{ plane, pts, keyFrame }` for every frame `readFrames(file, options)` gives (luma only). */
export async function lumaFrameCopies(file, options = {}) {
  const frames = [];
  for await (const f of readFrames(file, { ...options, lumaOnly: true, markKeyframes: true })) {
    const y = f.planes[0];
    frames.push({ plane: { data: y.data.slice(), width: y.width, height: y.height, stride: y.stride, bitDepth: f.bitDepth }, pts: f.pts, keyFrame: f.keyFrame === true });
  }
  return frames;
}
