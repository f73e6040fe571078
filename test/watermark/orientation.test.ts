import { describe, expect, test } from 'vitest';
import { TurnKernel } from '../../packages/core/src/watermark/kernels/turn-kernel.js';
import { describeOrientation, isSmallRotation, orientationTag, turnBack } from '../../packages/core/src/watermark/orientation.js';
import { prng } from './synthetic.js';

const W = 96;
const H = 64;

/** A plane with one Gaussian blob (sigma 2 px) centred at (x, y). */
function blob(x: number, y: number): Float32Array {
  const out = new Float32Array(W * H);
  for (let j = 0; j < H; j++) for (let i = 0; i < W; i++) out[j * W + i] = Math.exp(-((i - x) ** 2 + (j - y) ** 2) / 8);
  return out;
}

function argmax(plane: Float32Array): { x: number; y: number } {
  let best = 0;
  for (let i = 1; i < plane.length; i++) if (plane[i] > plane[best]) best = i;
  return { x: best % W, y: Math.floor(best / W) };
}

describe('orientation', () => {
  test('flips and half turns move samples exactly', () => {
    const random = prng(7);
    const src = Float32Array.from({ length: W * H }, () => random() - 0.5);
    const out = new Float32Array(W * H);
    const at = (x: number, y: number) => src[y * W + x];
    const cases: Array<[boolean, number, (x: number, y: number) => number]> = [
      [false, 0, (x, y) => at(x, y)],
      [true, 0, (x, y) => at(W - 1 - x, y)],
      [false, 180, (x, y) => at(W - 1 - x, H - 1 - y)],
      [true, 180, (x, y) => at(x, H - 1 - y)],
    ];
    for (const [mirrored, rotation, expected] of cases) {
      turnBack(src, W, H, { mirrored, rotation }, out);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expect(out[y * W + x]).toBe(expected(x, y));
    }
  });

  test('a small rotation is undone about the centre, clockwise as ffmpeg turns (y down)', () => {
    // The master's blob at p; the leak turned 10 degrees clockwise holds it at c + R (p - c).
    const cx = (W - 1) / 2;
    const cy = (H - 1) / 2;
    const p = { x: 70, y: 40 };
    const a = (10 * Math.PI) / 180;
    const q = { x: cx + Math.cos(a) * (p.x - cx) - Math.sin(a) * (p.y - cy), y: cy + Math.sin(a) * (p.x - cx) + Math.cos(a) * (p.y - cy) };
    const leak = blob(q.x, q.y);
    const out = new Float32Array(W * H);
    turnBack(leak, W, H, { mirrored: false, rotation: 10 }, out);
    expect(argmax(out)).toEqual(p);
    // The other sense puts it elsewhere; outside the picture the turned-back plane is zero.
    turnBack(leak, W, H, { mirrored: false, rotation: -10 }, out);
    expect(argmax(out)).not.toEqual(p);
    expect(out[0]).toBe(0);
    // A mirror image turned: flipped first, then turned.
    const mirroredLeak = blob(cx + Math.cos(a) * (W - 1 - p.x - cx) - Math.sin(a) * (p.y - cy), cy + Math.sin(a) * (W - 1 - p.x - cx) + Math.cos(a) * (p.y - cy));
    turnBack(mirroredLeak, W, H, { mirrored: true, rotation: 10 }, out);
    expect(argmax(out)).toEqual(p);
  });

  test('a small rotation samples every pixel bilinearly where its neighbourhood is inside, zero elsewhere', () => {
    // A per-pixel reference of the same sampling: turnBack finds each row's inside run from its line, so its ends
    // (rounding at the picture's edges) are checked against this, at several sizes, angles and both senses.
    const reference = (src: Float32Array, w: number, h: number, mirrored: boolean, rotation: number) => {
      const a = (rotation * Math.PI) / 180;
      const cx = (w - 1) / 2;
      const cy = (h - 1) / 2;
      const out = new Float32Array(w * h);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const dx = (mirrored ? w - 1 - x : x) - cx;
          const dy = y - cy;
          const qx = cx + Math.cos(a) * dx - Math.sin(a) * dy;
          const qy = cy + Math.sin(a) * dx + Math.cos(a) * dy;
          const x0 = Math.floor(qx);
          const y0 = Math.floor(qy);
          if (x0 < 0 || y0 < 0 || x0 >= w - 1 || y0 >= h - 1) continue;
          const i = y0 * w + x0;
          const fx = qx - x0;
          const fy = qy - y0;
          out[y * w + x] = (1 - fy) * ((1 - fx) * src[i] + fx * src[i + 1]) + fy * ((1 - fx) * src[i + w] + fx * src[i + w + 1]);
        }
      }
      return out;
    };
    const random = prng(11);
    for (const [w, h] of [[96, 64], [61, 77], [200, 20]]) {
      const src = Float32Array.from({ length: w * h }, () => random() + 0.5); // never zero inside
      const out = new Float32Array(w * h).fill(Number.NaN);
      for (const rotation of [-5.5, -3, -0.5, 0.5, 1, 4, 5.5, 30]) {
        for (const mirrored of [false, true]) {
          turnBack(src, w, h, { mirrored, rotation }, out);
          const expected = reference(src, w, h, mirrored, rotation);
          for (let i = 0; i < w * h; i++) {
            // Zero exactly where the reference is (the run's ends), and the same sample inside.
            expect(out[i] === 0).toBe(expected[i] === 0);
            expect(Math.abs(out[i] - expected[i])).toBeLessThan(1e-5);
          }
        }
      }
    }
  });

  test('the WebAssembly turning kernel gives the TypeScript loop\'s samples bit for bit', () => {
    const kernel = TurnKernel.create();
    expect(kernel).not.toBeNull();
    const random = prng(13);
    // The larger plane last: the kernel's memory grows, and a smaller one after it still comes out right.
    for (const [w, h] of [[96, 64], [61, 77], [480, 270], [200, 20]]) {
      const src = Float32Array.from({ length: w * h }, () => random() - 0.5);
      const portable = new Float32Array(w * h);
      const wasm = new Float32Array(w * h).fill(Number.NaN);
      for (const rotation of [-5.5, -2, 0.5, 3, 30]) {
        for (const mirrored of [false, true]) {
          turnBack(src, w, h, { mirrored, rotation }, portable);
          turnBack(src, w, h, { mirrored, rotation }, wasm, kernel);
          expect(wasm).toEqual(portable);
        }
      }
    }
  });

  test('tags, kinds and words', () => {
    expect(orientationTag({ mirrored: false, rotation: 0 })).toBe('');
    expect(new Set([[true, 0], [false, 180], [true, 180], [false, 2], [false, -2]].map(([m, r]) => orientationTag({ mirrored: m as boolean, rotation: r as number }))).size).toBe(5);
    expect(isSmallRotation({ mirrored: false, rotation: 180 })).toBe(false);
    expect(isSmallRotation({ mirrored: false, rotation: -0.5 })).toBe(true);
    expect(describeOrientation({ mirrored: false, rotation: 0 })).toBeNull();
    expect(describeOrientation({ mirrored: true, rotation: 0 })).toBe('a mirror image of the master (flipped left to right)');
    expect(describeOrientation({ mirrored: true, rotation: -1.5 })).toBe('a mirror image of the master (flipped left to right), turned 1.5 degrees counter-clockwise');
  });
});
