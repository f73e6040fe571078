/**
 * The WebAssembly SIMD embedding kernel, bit-exact with the TypeScript in embedder.ts and mask.ts (which remains
 * the fallback where WebAssembly SIMD is unavailable). One instance per embedder, owning a memory that holds a
 * frame, the pattern rows, the mask's tables and the mask expanded to pixels: the frame is copied in once and the
 * per-frame passes over its pixels run here: for 8-bit planes the mask's quadrant sums (integers) and adding the
 * mark in fixed point, for deeper planes adding the mark in f64 (their mask sums, which need more than 32 bits,
 * stay in TypeScript). The mask's per-block arithmetic (BlockMask.fromSums) is TypeScript, shared by all paths.
 */
import type { BlockMask } from '../mask.js';
import type { MaskLayout } from '../mask-layout.js';
import { embedWasm } from './embed-wasm.js';
import { align16, compiledModule, ensureMemory, instantiate, type WasmMemory, type WasmModule } from './wasm-runtime.js';

interface EmbedExports {
  memory: WasmMemory;
  addRows8(plane: number, rowTable: number, height: number, width: number): void;
  addRowsDeep(plane: number, rowTable: number, height: number, width: number, depthScale: number, maxValue: number): void;
  expandMask(values: number, segments: number, segmentCount: number, weights: number, cols: number, rows: number, width: number, scale: number, out: number): void;
  maskSums8(plane: number, stride: number, cols: number, rows: number, columnTable: number, rowSpans: number, out: number): void;
}


export class EmbedKernel {
  /** [height, width]: the frame being marked, inside the kernel's memory; u8, or u16 for deeper planes. */
  readonly plane: Uint8Array | Uint16Array;
  /** [mask rows, mask cols, 3, 4] f64: the mask's quadrant sums for the frame in `plane` (see BlockMask). */
  readonly quadrantSums: Float64Array;
  private readonly exports: EmbedExports;
  private readonly width: number;
  private readonly height: number;
  private readonly maskCols: number;
  private readonly maskRowCount: number;
  /** Number of pixel segments in the `segments` table (see expandMask in embed.wat). */
  private readonly segmentCount: number;
  /** [mask rows, mask cols] f32: the frame's block mask, copied in from BlockMask.values. */
  private readonly maskValues: Float32Array;
  /** Byte offsets of the kernel's arrays; see the constructor. */
  private readonly offsets: Readonly<Record<'pattern' | 'maskRows' | 'segments' | 'columnWeights' | 'rowTable' | 'maskColumns' | 'rowSpans' | 'sums' | 'values', number>>;

  /**
   * A kernel for the frames of `mask` (its size and sampling geometry), the tile rows `pattern` ([period, width]:
   * i16 in Q6 for 8-bit planes, f32 for deeper ones) and the mask's interpolation `layout`; null without
   * WebAssembly SIMD.
   */
  static create(bitDepth: number, pattern: Int16Array | Float32Array, period: number, mask: BlockMask, layout: MaskLayout): EmbedKernel | null {
    const module = compiledModule(embedWasm);
    if (!module) return null;
    return new EmbedKernel(module, bitDepth, pattern, period, mask, layout);
  }

  private constructor(module: WasmModule, readonly bitDepth: number, pattern: Int16Array | Float32Array, period: number, mask: BlockMask, layout: MaskLayout) {
    if ((bitDepth === 8) !== pattern instanceof Int16Array) throw new Error('Internal: 8-bit planes take i16 pattern rows, deeper ones f32');
    this.exports = instantiate<EmbedExports>(module);
    const { width, height, cols, rows } = mask;
    this.width = width;
    this.height = height;
    const sampleBytes = bitDepth === 8 ? 1 : 2;
    this.maskCols = cols;
    this.maskRowCount = rows;
    // Memory layout, each array 16-byte aligned: the frame at 0 (width pitch), then
    let at = align16(width * height * sampleBytes);
    const place = (bytes: number) => {
      const offset = at;
      at = align16(at + bytes);
      return offset;
    };
    this.offsets = {
      pattern: place(period * width * pattern.BYTES_PER_ELEMENT), // [period][width], i16 Q6 or f32
      maskRows: place(rows * width * 2), // i16 [mask rows][width], Q10: the mask expanded to pixels, per frame
      segments: place(cols * 16), // i32 [segments][first x, end x, a, b]: pixels between the same block columns
      columnWeights: place(width * 4), // f32 [width], MaskLayout.columnWeight
      rowTable: place(height * 16), // i32 [height][pattern row, upper mask row, lower mask row, weight]
      maskColumns: place(cols * 48), // the mask's sampling geometry: see maskSums8 in embed.wat
      rowSpans: place(mask.rowSpans.byteLength), // i32 [mask rows][y0, ym, y1], BlockMask.rowSpans
      sums: place(mask.quadrantSums.byteLength), // f64, BlockMask.quadrantSums
      values: place(mask.values.byteLength), // f32, BlockMask.values
    };
    const { memory } = this.exports;
    ensureMemory(memory, at);
    // Views only after growing: growing detaches the old buffer.
    const { buffer } = memory;
    const o = this.offsets;
    this.plane = bitDepth === 8 ? new Uint8Array(buffer, 0, width * height) : new Uint16Array(buffer, 0, width * height);
    if (pattern instanceof Int16Array) new Int16Array(buffer, o.pattern, period * width).set(pattern);
    else new Float32Array(buffer, o.pattern, period * width).set(pattern);
    // Runs of pixels with the same left block column (columnBlock never decreases), at most one per block column.
    const segments = new Int32Array(buffer, o.segments, cols * 4);
    let segmentCount = 0;
    for (let x = 0; x < width; x++) {
      const bx = layout.columnBlock[x];
      if (x === 0 || bx !== layout.columnBlock[x - 1]) {
        segments.set([x, x + 1, bx * 4, (bx < cols - 1 ? bx + 1 : bx) * 4], segmentCount * 4);
        segmentCount++;
      } else {
        segments[(segmentCount - 1) * 4 + 1] = x + 1;
      }
    }
    this.segmentCount = segmentCount;
    new Float32Array(buffer, o.columnWeights, width).set(layout.columnWeight);
    const rowTable = new Int32Array(buffer, o.rowTable, height * 4);
    for (let y = 0; y < height; y++) {
      const upper = layout.rowBlock[y];
      const lower = upper < rows - 1 ? upper + 1 : upper;
      const weight = layout.rowWeight[y];
      // The SIMD blend needs weight * 128 to fit in i16 (see addRow8 in embed.wat).
      if (!(weight >= 0 && weight < 256)) throw new Error(`Internal: row weight ${weight} outside 0..255`);
      rowTable.set([o.pattern + (y % period) * width * pattern.BYTES_PER_ELEMENT, o.maskRows + upper * width * 2, o.maskRows + lower * width * 2, weight], y * 4);
    }
    const maskColumns = new Int32Array(buffer, o.maskColumns, cols * 12);
    for (let bx = 0; bx < cols; bx++) {
      const [x0, xm, x1] = mask.columnSpans.subarray(bx * 3, bx * 3 + 3);
      const left = Math.ceil((xm - x0) / 4);
      const right = Math.ceil((x1 - xm) / 4);
      // One v128 of four samples per quadrant row (blocks are at most 32 pixels, so quadrants at most 16).
      if (left > 4 || right > 4) throw new Error(`Internal: mask block column ${bx} has more than 4 samples per quadrant row`);
      maskColumns[bx * 12] = x0 - 1;
      maskColumns[bx * 12 + 1] = xm - 1;
      for (let lane = 0; lane < 4; lane++) {
        maskColumns[bx * 12 + 4 + lane] = lane < left ? -1 : 0;
        maskColumns[bx * 12 + 8 + lane] = lane < right ? -1 : 0;
      }
    }
    new Int32Array(buffer, o.rowSpans, mask.rowSpans.length).set(mask.rowSpans);
    this.quadrantSums = new Float64Array(buffer, o.sums, mask.quadrantSums.length);
    this.maskValues = new Float32Array(buffer, o.values, mask.values.length);
  }

  /** Fills `quadrantSums` from the frame in `plane` (8-bit only: deeper planes' sums are made in TypeScript). */
  sumMask(): void {
    if (this.bitDepth !== 8) throw new Error('Internal: the kernel sums the mask of 8-bit planes only');
    const o = this.offsets;
    this.exports.maskSums8(0, this.width, this.maskCols, this.maskRowCount, o.maskColumns, o.rowSpans, o.sums);
  }

  /**
   * Adds the mark to the frame in `plane`: the block mask `values` ([mask rows, mask cols] f32) expanded to pixels
   * times `scale` (the frame's gain in Q10), blended between block rows per frame row, times the pattern. Deeper
   * planes then scale the mask by `depthScale` (2^(bitDepth - 8) / 2^10) and clip at `maxValue`.
   */
  addMark(values: Float32Array, scale: number, depthScale = 0, maxValue = 0): void {
    const o = this.offsets;
    this.maskValues.set(values);
    this.exports.expandMask(o.values, o.segments, this.segmentCount, o.columnWeights, this.maskCols, this.maskRowCount, this.width, scale, o.maskRows);
    if (this.bitDepth === 8) this.exports.addRows8(0, o.rowTable, this.height, this.width);
    else this.exports.addRowsDeep(0, o.rowTable, this.height, this.width, depthScale, maxValue);
  }
}
