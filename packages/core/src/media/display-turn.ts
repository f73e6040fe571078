/**
 * A picture as stored and as displayed. A file's display rotation (`MediaInfo.rotation`, counter-clockwise, from its
 * display matrix) tells players to turn the stored pixels: a phone's portrait video is stored sideways. The turns here
 * move samples exactly, as ffmpeg's own autorotation does (measured against it with ffmpeg 4.1 and 5.1: rotation 90
 * is a quarter turn counter-clockwise, 270 clockwise, 180 a half turn).
 */

/** A plane of samples, rows `stride` elements apart. */
export interface SamplePlane {
  readonly data: Uint8Array | Uint16Array;
  readonly width: number;
  readonly height: number;
  readonly stride: number;
}

/** A display rotation in [0, 360), snapped to the quarter turns ffmpeg applies; 0 for any other angle. */
export function quarterTurns(rotation: number): 0 | 90 | 180 | 270 {
  const r = ((Math.round(rotation) % 360) + 360) % 360;
  return r === 90 || r === 180 || r === 270 ? r : 0;
}

/** The displayed size of a `width` x `height` stored picture. */
export function displaySize(width: number, height: number, rotation: number): { width: number; height: number } {
  const r = quarterTurns(rotation);
  return r === 90 || r === 270 ? { width: height, height: width } : { width, height };
}

/**
 * Writes into `displayed` (tightly packed, `displaySize` of `stored`) the picture `stored` as displayed; with
 * `back`, the reverse: `stored` receives `displayed` turned back. The two planes hold samples of the same type.
 */
export function turnForDisplay(stored: SamplePlane, displayed: Uint8Array | Uint16Array, rotation: number, back = false): void {
  const { width: w, height: h, stride, data } = stored;
  const r = quarterTurns(rotation);
  const dw = r === 90 || r === 270 ? h : w;
  const dh = r === 90 || r === 270 ? w : h;
  if (displayed.length < dw * dh) throw new RangeError('turnForDisplay: displayed plane too small');
  // The stored sample shown at (x, y) is at base + x * dx + y * dy.
  const [base, dx, dy] =
    r === 90 ? [w - 1, stride, -1] : r === 270 ? [(h - 1) * stride, -stride, 1] : r === 180 ? [(h - 1) * stride + w - 1, -1, -stride] : [0, 1, stride];
  for (let y = 0; y < dh; y++) {
    const row = y * dw;
    let at = base + y * dy;
    if (back) for (let x = 0; x < dw; x++, at += dx) data[at] = displayed[row + x];
    else for (let x = 0; x < dw; x++, at += dx) displayed[row + x] = data[at];
  }
}
