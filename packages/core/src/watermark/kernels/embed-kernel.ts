/**
 * The WebAssembly SIMD embedding kernel: eight 8-bit pixels per instruction step, bit-exact with the TypeScript
 * row loop in embedder.ts (which remains the fallback where WebAssembly SIMD is unavailable, and the path for
 * deeper planes). One instance per embedder, owning a memory that holds a frame, the pattern rows and a mask row.
 */
import { embedWasm } from './embed-wasm.js';
import { compiledModule, instantiate, type WasmMemory, type WasmModule } from './wasm-runtime.js';

interface EmbedExports {
  memory: WasmMemory;
  addRow8(plane: number, pattern: number, upper: number, lower: number, weight: number, count: number): void;
}

const align16 = (n: number) => (n + 15) & ~15;

export class EmbedKernel {
  /** [height, width] u8: the frame being marked, inside the kernel's memory. */
  readonly plane: Uint8Array;
  /** [width] i16: the mask (Q10) at the block-row centres above and below the current row. */
  readonly upper: Int16Array;
  readonly lower: Int16Array;
  private readonly exports: EmbedExports;
  private readonly patternOffset: number;
  private readonly upperOffset: number;
  private readonly lowerOffset: number;

  /** A kernel for `width` x `height` frames and the tile rows `pattern` ([period, width] i16, Q6); null without SIMD. */
  static create(width: number, height: number, period: number, pattern: Int16Array): EmbedKernel | null {
    const module = compiledModule(embedWasm);
    if (!module) return null;
    return new EmbedKernel(module, width, height, period, pattern);
  }

  private constructor(module: WasmModule, readonly width: number, height: number, period: number, pattern: Int16Array) {
    this.exports = instantiate<EmbedExports>(module);
    this.patternOffset = align16(width * height);
    this.upperOffset = align16(this.patternOffset + period * width * 2);
    this.lowerOffset = this.upperOffset + align16(width * 2);
    const bytes = this.lowerOffset + align16(width * 2);
    const { memory } = this.exports;
    const pages = Math.ceil(bytes / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    this.plane = new Uint8Array(memory.buffer, 0, width * height);
    new Int16Array(memory.buffer, this.patternOffset, period * width).set(pattern);
    this.upper = new Int16Array(memory.buffer, this.upperOffset, width);
    this.lower = new Int16Array(memory.buffer, this.lowerOffset, width);
  }

  /**
   * Adds pattern row `patternRow` times the mask to frame row `row` of `plane`, the mask interpolated between
   * `upper` and `lower` with `weight` / 256 towards `lower`.
   */
  addRow(row: number, patternRow: number, weight: number): void {
    const { width } = this;
    this.exports.addRow8(row * width, this.patternOffset + patternRow * width * 2, this.upperOffset, this.lowerOffset, weight, width);
  }
}
