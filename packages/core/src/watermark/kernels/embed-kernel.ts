/**
 * The WebAssembly SIMD embedding kernel: eight 8-bit pixels per instruction step, bit-exact with the TypeScript
 * row loop in embedder.ts (which remains the fallback where WebAssembly SIMD is unavailable, and the path for
 * deeper planes). One instance per embedder, owning a memory that holds a frame, the pattern rows, the mask
 * expanded to pixels, and the perceptual mask's sums: the frame is copied in once and both per-frame passes over
 * its pixels (the mask's sums, then adding the mark) run here.
 */
import type { BlockMask } from '../mask.js';
import { embedWasm } from './embed-wasm.js';

// The few WebAssembly JS API members used here (the Node type definitions in use do not declare the global).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmModule {
  readonly kind?: 'module';
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule) => { exports: unknown };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface EmbedExports {
  memory: WasmMemory;
  addRow8(plane: number, pattern: number, upper: number, lower: number, weight: number, count: number): void;
  maskSums8(plane: number, stride: number, cols: number, rows: number, columnSpans: number, rowSpans: number, out: number): void;
}

let compiled: WasmModule | null | undefined;

function compiledModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      compiled = wasmApi ? new wasmApi.Module(Buffer.from(embedWasm, 'base64')) : null;
    } catch {
      compiled = null; // no WebAssembly SIMD in this runtime
    }
  }
  return compiled;
}

const align16 = (n: number) => (n + 15) & ~15;

export class EmbedKernel {
  /** [height, width] u8: the frame being marked, inside the kernel's memory. */
  readonly plane: Uint8Array;
  /**
   * [mask rows, width] i16: the mask (Q10, gain included) expanded to pixels along each block row's centre line;
   * a frame row blends the two block rows around it.
   */
  readonly maskRows: Int16Array;
  /** [mask rows, mask cols, 4, 3] f64: the mask's quadrant sums for the frame in `plane` (see BlockMask). */
  readonly quadrantSums: Float64Array;
  private readonly exports: EmbedExports;
  private readonly patternOffset: number;
  private readonly maskRowsOffset: number;
  private readonly columnSpansOffset: number;
  private readonly rowSpansOffset: number;
  private readonly sumsOffset: number;
  private readonly maskCols: number;
  private readonly maskRowCount: number;

  /**
   * A kernel for `width` x `height` frames, the tile rows `pattern` ([period, width] i16, Q6) and the geometry of
   * `mask`; null without SIMD.
   */
  static create(width: number, height: number, period: number, pattern: Int16Array, mask: BlockMask): EmbedKernel | null {
    const module = compiledModule();
    if (!module) return null;
    return new EmbedKernel(module, width, height, period, pattern, mask);
  }

  private constructor(module: WasmModule, readonly width: number, height: number, period: number, pattern: Int16Array, mask: BlockMask) {
    this.exports = new (wasmApi as WasmApi).Instance(module).exports as EmbedExports;
    this.maskCols = mask.cols;
    this.maskRowCount = mask.rows;
    this.patternOffset = align16(width * height);
    this.maskRowsOffset = align16(this.patternOffset + period * width * 2);
    this.columnSpansOffset = align16(this.maskRowsOffset + mask.rows * width * 2);
    this.rowSpansOffset = align16(this.columnSpansOffset + mask.columnSpans.byteLength);
    this.sumsOffset = align16(this.rowSpansOffset + mask.rowSpans.byteLength);
    const bytes = this.sumsOffset + mask.quadrantSums.byteLength;
    const { memory } = this.exports;
    const pages = Math.ceil(bytes / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    // Views only after growing: growing detaches the old buffer.
    this.plane = new Uint8Array(memory.buffer, 0, width * height);
    new Int16Array(memory.buffer, this.patternOffset, period * width).set(pattern);
    this.maskRows = new Int16Array(memory.buffer, this.maskRowsOffset, mask.rows * width);
    new Int32Array(memory.buffer, this.columnSpansOffset, mask.columnSpans.length).set(mask.columnSpans);
    new Int32Array(memory.buffer, this.rowSpansOffset, mask.rowSpans.length).set(mask.rowSpans);
    this.quadrantSums = new Float64Array(memory.buffer, this.sumsOffset, mask.quadrantSums.length);
  }

  /** Fills `quadrantSums` from the frame in `plane`. */
  sumMask(): void {
    const { width } = this;
    this.exports.maskSums8(0, width, this.maskCols, this.maskRowCount, this.columnSpansOffset, this.rowSpansOffset, this.sumsOffset);
  }

  /**
   * Adds pattern row `patternRow` times the mask to frame row `row` of `plane`, the mask interpolated between rows
   * `upper` and `lower` of `maskRows` with `weight` / 256 towards `lower`.
   */
  addRow(row: number, patternRow: number, upper: number, lower: number, weight: number): void {
    const { width } = this;
    const rowBytes = width * 2;
    this.exports.addRow8(row * width, this.patternOffset + patternRow * rowBytes, this.maskRowsOffset + upper * rowBytes, this.maskRowsOffset + lower * rowBytes, weight, width);
  }
}
