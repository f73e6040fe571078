/**
 * The WebAssembly SIMD whitening kernel: the detector's per-frame work on 8-bit planes, four pixels per step. The
 * same computation as the TypeScript `Whitener` loop (which remains the fallback where WebAssembly SIMD is
 * unavailable, and the path for deeper planes), equal up to float rounding: the box sums are exact integers here.
 * One instance per detector, owning a memory that holds the frame, the scratch rows and the accumulator.
 */
import { whitenWasm } from './whiten-wasm.js';
import { align16, compiledModule, ensureMemory, instantiate, type WasmMemory } from './wasm-runtime.js';

interface WhitenExports {
  memory: WasmMemory;
  whiten(layout: number, width: number, height: number, radius: number, floor: number, clip: number, gain: number): void;
}


export class WhitenKernel {
  /** [height, width] f32: the accumulator the kernel adds each whitened frame into (lives in the kernel's memory). */
  readonly accumulator: Float32Array;
  /** [height, width] f32: every block weighted by 1 / sigma only (see `Whitener`), or null when not asked for. */
  readonly evenAccumulator: Float32Array | null;
  private readonly plane: Uint8Array;
  private readonly paddedWidth: number;
  private readonly exports: WhitenExports;

  /**
   * A kernel for `width` x `height` frames and a box radius, with the evenly weighted accumulator too when `even`;
   * null without WebAssembly SIMD.
   */
  static create(width: number, height: number, radius: number, even = false): WhitenKernel | null {
    const module = compiledModule(whitenWasm);
    return module ? new WhitenKernel(instantiate<WhitenExports>(module), width, height, radius, even) : null;
  }

  private constructor(exports: WhitenExports, readonly width: number, readonly height: number, readonly radius: number, even: boolean) {
    this.exports = exports;
    const pw = (width + 3) & ~3;
    this.paddedWidth = pw;
    const blocks = Math.ceil(width / 8);
    // Byte offsets: layout table, plane, col, invx, mean, res, energy, scale, weight, acc, even.
    const planeBytes = width * height * 4;
    const sizes = [64, pw * height, pw * 4, pw * 4, pw * 4, 8 * pw * 4, pw * 4, blocks * 4, blocks * 4, planeBytes, even ? planeBytes : 0];
    const offsets: number[] = [];
    let next = 0;
    for (const size of sizes) {
      offsets.push(next);
      next = align16(next + size);
    }
    const { memory } = exports;
    ensureMemory(memory, next);
    const { buffer } = memory;
    // The table's last entry is 0 (no evenly weighted accumulator) unless one was asked for.
    new Int32Array(buffer, 0, 10).set([...offsets.slice(1, 10), even ? offsets[10] : 0]);
    this.plane = new Uint8Array(buffer, offsets[1], pw * height);
    const invx = new Float32Array(buffer, offsets[3], pw);
    for (let x = 0; x < width; x++) invx[x] = 1 / (Math.min(x + radius, width - 1) - Math.max(x - radius, 0) + 1);
    this.accumulator = new Float32Array(buffer, offsets[9], width * height);
    this.evenAccumulator = even ? new Float32Array(buffer, offsets[10], width * height) : null;
  }

  /**
   * Whitens an 8-bit plane (width x height, any stride) and adds it into `accumulator`: residual from the local box
   * mean, divided by the block's residual deviation plus `floor`, clipped at +-`clip`, weighted by deviation^-0.5
   * (and into `evenAccumulator`, when there is one, without that weight).
   */
  whiten(data: Uint8Array, stride: number, floor: number, clip: number, gain = 1): void {
    const { width, height, paddedWidth, plane } = this;
    if (stride === paddedWidth) plane.set(data.subarray(0, paddedWidth * height));
    else for (let y = 0; y < height; y++) plane.set(data.subarray(y * stride, y * stride + width), y * paddedWidth);
    if (stride === paddedWidth && paddedWidth !== width) {
      // The source's own padding columns came along: the kernel expects zeros there.
      for (let y = 0; y < height; y++) plane.fill(0, y * paddedWidth + width, (y + 1) * paddedWidth);
    }
    this.exports.whiten(0, width, height, this.radius, floor, clip, gain);
  }
}
