/**
 * Deterministic synthetic luma content for watermark unit tests: textured regions, flat areas, a smooth gradient
 * and sharp edges, with optional motion, all without ffmpeg.
 */
import type { LumaPlane } from '../../packages/core/src/watermark/index.js';

/** mulberry32: a small seeded PRNG, enough for test content. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal sample from two uniforms of `random` (Box-Muller). */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A value-noise field of `size` x `size` cells, bilinearly interpolated. */
function valueNoise(random: () => number, size: number): (u: number, v: number) => number {
  const grid = new Float32Array((size + 1) * (size + 1)).map(() => random());
  return (u, v) => {
    const x = Math.min(size - 1e-6, Math.max(0, u * size));
    const y = Math.min(size - 1e-6, Math.max(0, v * size));
    const ix = Math.floor(x);
    const iy = Math.floor(y);
    const fx = x - ix;
    const fy = y - iy;
    const g = (a: number, b: number) => grid[b * (size + 1) + a];
    return (g(ix, iy) * (1 - fx) + g(ix + 1, iy) * fx) * (1 - fy) + (g(ix, iy + 1) * (1 - fx) + g(ix + 1, iy + 1) * fx) * fy;
  };
}

/**
 * A `width` x `height` 8-bit scene, twice the frame in each direction, so frames can pan across it: left half
 * texture (multi-octave noise and edges), top right a flat grey area, bottom right a smooth gradient.
 */
export function makeScene(width: number, height: number, seed = 1): { data: Uint8Array; width: number; height: number } {
  const random = prng(seed);
  const sw = width * 2;
  const sh = height * 2;
  const octaves = [valueNoise(random, 8), valueNoise(random, 32), valueNoise(random, 128), valueNoise(random, 512)];
  const data = new Uint8Array(sw * sh);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const u = x / sw;
      const v = y / sh;
      let value: number;
      if ((x % width) < width * 0.55) {
        value = 128 + 70 * (octaves[0](u, v) - 0.5) + 50 * (octaves[1](u, v) - 0.5) + 40 * (octaves[2](u, v) - 0.5) + 30 * (octaves[3](u, v) - 0.5);
        if (((x >> 5) + (y >> 5)) % 7 === 0) value += 40;
      } else if ((y % height) < height * 0.5) {
        value = 118 + (random() - 0.5) * 1.5;
      } else {
        value = 40 + (150 * (x % width)) / width + (random() - 0.5) * 1.5;
      }
      data[y * sw + x] = Math.max(0, Math.min(255, Math.round(value)));
    }
  }
  return { data, width: sw, height: sh };
}

/** Frame `index` of a slow pan across `scene`: a copy, as a fresh plane. */
export function frameOf(scene: { data: Uint8Array; width: number }, width: number, height: number, index: number, pan = 2): LumaPlane {
  const data = new Uint8Array(width * height);
  const ox = (index * pan) % width;
  const oy = (index * pan) >> 1;
  for (let y = 0; y < height; y++) data.set(scene.data.subarray((y + oy) * scene.width + ox, (y + oy) * scene.width + ox + width), y * width);
  return { data, width, height, stride: width, bitDepth: 8 };
}

/** Adds zero-mean uniform noise of +-amplitude and returns a new plane. */
export function addNoise(plane: LumaPlane, amplitude: number, seed: number): LumaPlane {
  const random = prng(seed);
  const data = new Uint8Array(plane.width * plane.height);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(plane.data[i] + (random() * 2 - 1) * amplitude)));
  return { ...plane, data, stride: plane.width };
}

/** Area-average downscale by an integer factor. */
export function downscale(plane: LumaPlane, factor: number): LumaPlane {
  const w = Math.floor(plane.width / factor);
  const h = Math.floor(plane.height / factor);
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) s += plane.data[(y * factor + dy) * plane.stride + x * factor + dx];
      data[y * w + x] = Math.round(s / (factor * factor));
    }
  }
  return { data, width: w, height: h, stride: w, bitDepth: 8 };
}

/** Luma PSNR in dB between two 8-bit planes of the same size. */
export function psnr(a: LumaPlane, b: LumaPlane): number {
  let sum = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const d = a.data[y * a.stride + x] - b.data[y * b.stride + x];
      sum += d * d;
    }
  }
  return 10 * Math.log10((255 * 255) / (sum / (a.width * a.height)));
}
