/**
 * Orientations of a leak relative to the master that the detector undoes before it searches the tile period: a
 * mirror image (flipped left to right), a picture upside down (rotated 180 degrees), flipped top to bottom (a
 * mirror image rotated 180 degrees), and small rotations (re-uploads tilted a few degrees, zoomed to hide the
 * corners, to evade content matching). Knows nothing of the mark: it resamples a plane.
 */
import type { TurnKernel } from './kernels/turn-kernel.js';

/** How a leak was turned: flipped left to right first (`mirrored`), then rotated `rotation` degrees clockwise. */
export interface Orientation {
  mirrored: boolean;
  /** Degrees clockwise as seen on screen (ffmpeg's `rotate` filter's sense): 0, 180, or a small angle. */
  rotation: number;
}

/** The small rotations swept at the final look, in degrees clockwise (each then refined by ROTATION_REFINE). */
export const SMALL_ROTATIONS: readonly number[] = [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5];
/**
 * The refinement around the best small rotations, in degrees: a counter-rotation 0.5 degrees off keeps about 95%
 * of the evidence and 0.25 degrees off about 99% (measured on a 720p CRF 23 leak rotated 2 degrees, re-rotated
 * by 0 to 1 degree less: scores 24.7, 24.6, 24.1, 23.0, 19.8 and 14.8 at 0, 0.2, 0.4, 0.6, 0.8 and 1 degree off).
 */
export const ROTATION_REFINE = 0.5;
/**
 * Every angle the small-rotation search can land on (the grid and its refinement: -5.5 to 5.5 degrees in steps of
 * 0.5, without 0): the synchronisation's multiplicity counts all of them.
 */
export const SMALL_ROTATIONS_COUNTED = 22;

/** The orientations searched after the upright picture and its mirror image: upside down and flipped top to bottom. */
export const HALF_TURNS: readonly Orientation[] = [
  { mirrored: false, rotation: 180 },
  { mirrored: true, rotation: 180 },
];

/** A short string naming an orientation (cache keys, hypothesis tags); '' for the picture as it is. */
export function orientationTag(o: Orientation): string {
  return `${o.mirrored ? 'm' : ''}${o.rotation === 0 ? '' : `r${o.rotation}`}`;
}

/** Whether `o` is the picture as it is. */
export function isUpright(o: Orientation): boolean {
  return !o.mirrored && o.rotation === 0;
}

/** Whether `o` is a small rotation (neither upright, mirrored only, nor a half turn). */
export function isSmallRotation(o: Orientation): boolean {
  return o.rotation !== 0 && o.rotation !== 180;
}

/**
 * Writes into `out` the `width` x `height` plane `src` turned back from orientation `o`: the picture the master's
 * mark would be upright in. Flips and half turns move samples exactly; a small rotation is undone about the
 * picture's centre by bilinear interpolation, with zero (no evidence, in a whitened plane) where the turned-back
 * picture reaches outside `src`; with a `kernel`, its inner loop runs in WebAssembly (the same samples).
 */
export function turnBack(src: Float32Array, width: number, height: number, o: Orientation, out: Float32Array, kernel: TurnKernel | null = null): void {
  if (out.length < width * height || src.length < width * height) throw new RangeError('turnBack: plane too small');
  if (!isSmallRotation(o)) {
    const flipX = o.mirrored !== (o.rotation === 180);
    const flipY = o.rotation === 180;
    for (let y = 0; y < height; y++) {
      const from = (flipY ? height - 1 - y : y) * width;
      const to = y * width;
      if (flipX) {
        const last = from + width - 1;
        for (let x = 0; x < width; x++) out[to + x] = src[last - x];
      } else {
        out.set(src.subarray(from, from + width), to);
      }
    }
    return;
  }
  // The leak's pixel at q = c + R (p - c) holds the master's (mirrored) pixel p, where R turns clockwise on screen
  // (y down). Output pixel p samples q; mirrored: p is first flipped left to right.
  const angle = (o.rotation * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  // Output x = 0 is the (mirrored) master's column dx0 from the centre, and each output pixel steps q by (sx, sy)
  // (mirrored: x runs right to left in the source).
  const dx0 = o.mirrored ? cx : -cx;
  const sx = o.mirrored ? -cos : cos;
  const sy = o.mirrored ? -sin : sin;
  const lastX = width - 1;
  const lastY = height - 1;
  kernel?.load(src, width * height);
  const target = kernel ? kernel.output : out;
  for (let y = 0; y < height; y++) {
    const dy = y - cy;
    const qx0 = cx + cos * dx0 - sin * dy;
    const qy0 = cy + sin * dx0 + cos * dy;
    const row = y * width;
    // The output pixels whose sample q lies inside the source (0 <= q < last on both axes, so that its 2 x 2
    // neighbourhood does) form one run [from, to): q moves along a line. Bracketed from the line, then checked
    // pixel by pixel at its ends (rounding); everything outside it is zero.
    let from = Math.min(width, Math.max(0, runStart(qx0, sx, lastX), runStart(qy0, sy, lastY)));
    let to = Math.max(from, Math.min(width, runEnd(qx0, sx, lastX), runEnd(qy0, sy, lastY)));
    while (from < to && !sampleInside(qx0 + sx * from, qy0 + sy * from, lastX, lastY)) from++;
    while (to > from && !sampleInside(qx0 + sx * (to - 1), qy0 + sy * (to - 1), lastX, lastY)) to--;
    target.fill(0, row, row + from);
    target.fill(0, row + to, row + width);
    if (kernel) {
      kernel.row(width, row, qx0, qy0, sx, sy, from, to);
      continue;
    }
    for (let x = from; x < to; x++) {
      // The same arithmetic as the checks of the run's ends, so that they hold.
      const qx = qx0 + sx * x;
      const qy = qy0 + sy * x;
      const x0 = qx | 0;
      const y0 = qy | 0;
      const fx = qx - x0;
      const fy = qy - y0;
      const i = y0 * width + x0;
      const top = src[i] + fx * (src[i + 1] - src[i]);
      const bottom = src[i + width] + fx * (src[i + width + 1] - src[i + width]);
      out[row + x] = top + fy * (bottom - top);
    }
  }
  if (kernel) out.set(target.subarray(0, width * height));
}

/**
 * Where the samples q0 + step * x (x = 0, 1, ...) enter [0, last): a bracket one pixel early, or +Infinity when a
 * constant q lies outside (turnBack checks the bracket's ends exactly).
 */
function runStart(q0: number, step: number, last: number): number {
  if (step === 0) return q0 >= 0 && q0 < last ? 0 : Infinity;
  return Math.floor(Math.min(-q0 / step, (last - q0) / step)) - 1;
}

/** Where the same samples leave [0, last): a bracket one pixel late, or -Infinity when a constant q lies outside. */
function runEnd(q0: number, step: number, last: number): number {
  if (step === 0) return q0 >= 0 && q0 < last ? Infinity : -Infinity;
  return Math.ceil(Math.max(-q0 / step, (last - q0) / step)) + 1;
}

/** Whether the sample at (qx, qy) has its 2 x 2 neighbourhood inside a picture whose last pixel is (lastX, lastY). */
function sampleInside(qx: number, qy: number, lastX: number, lastY: number): boolean {
  return qx >= 0 && qy >= 0 && qx < lastX && qy < lastY;
}

/**
 * What a leak in orientation `o` is, in words that follow "the leak is" ("a mirror image of the master (flipped
 * left to right)", "the master turned 2.5 degrees clockwise", ...), or null for the picture as it is.
 */
export function describeOrientation(o: Orientation): string | null {
  if (isUpright(o)) return null;
  if (o.rotation === 180) return o.mirrored ? 'the master flipped top to bottom' : 'the master upside down (turned 180 degrees)';
  const mirror = 'a mirror image of the master (flipped left to right)';
  if (o.rotation === 0) return mirror;
  const degrees = Math.abs(o.rotation);
  const turn = `turned ${degrees} degree${degrees === 1 ? '' : 's'} ${o.rotation > 0 ? 'clockwise' : 'counter-clockwise'}`;
  return o.mirrored ? `${mirror}, ${turn}` : `the master ${turn}`;
}
