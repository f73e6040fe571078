/**
 * Adds the mark that carries one recipient's ID to luma planes, in place.
 *
 * Everything that does not depend on the frame (the keyed tile for this ID, rendered at this resolution's tile
 * period and laid out as full-width rows; the mask's sampling geometry; which block rows and weights each frame row
 * blends) is computed once in the constructor. Per frame there is one pass to measure the perceptual mask, one
 * expansion of the block mask to pixels per block row, and one pass to add `pattern * mask * gain`. Where the runtime
 * has WebAssembly SIMD these run in a kernel that holds a copy of the frame (deeper planes: all but the mask's sums).
 */
import { UsageError } from '../errors.js';
import { isWatermarkKey, type WatermarkKey } from './key.js';
import { EmbedKernel } from './kernels/embed-kernel.js';
import { BlockMask } from './mask.js';
import { MaskLayout } from './mask-layout.js';
import { encodeId, MAX_ID } from './payload.js';
import { keySpectra, markSpectrum, renderTile, tilePeriodFor } from './pattern.js';
import { checkPlane, type LumaPlane } from './plane.js';

/**
 * Default strength: the mark's RMS amplitude, in 8-bit code values, where the perceptual mask is 1 (moderate
 * texture; flat areas and gradients get a fifth of it, busy texture up to 2.2 times), before the two per-frame caps
 * below. Measured on the generated bench clips at this default (2026-11-24): worst-frame luma PSNR 46.6-49.9 dB,
 * SSIM >= 0.9977.
 */
export const DEFAULT_STRENGTH = 2.4;

/**
 * Each frame's mark RMS is capped at this fraction of the strength: 0.47 x 2.4 = 1.13 code values at the default,
 * which keeps luma PSNR at or above about 46.6 dB on the busiest frames (rounding to whole code values adds to the
 * mark's RMS).
 */
export const FRAME_RMS_PER_STRENGTH = 0.47;

/** Largest strength accepted: the mask, 2.2 x strength in Q10 fixed point, must fit 16-bit lanes. */
export const MAX_STRENGTH = 14;

/**
 * Each frame's estimated SSIM loss from the mark (`ssim-estimate.ts`) is capped at this at the default strength,
 * scaled with strength^2. Rounding to 8 bits adds at most 0.0014 more (flat areas), and the estimate runs 1.1-1.5
 * times the loss ffmpeg measures, so at the default strength a frame held by this cap keeps SSIM above about 0.996
 * (the target is 0.995; at higher strengths the budget grows with strength^2). None of the five 1080p bench clips
 * reaches it (docs/WATERMARK.md, "Strength and per-frame caps").
 */
export const FRAME_SSIM_LOSS = 0.0026;

/**
 * The cap before 2026-11-24, kept beside it: the whole mark counted in SSIM's contrast term (`ssimWholeMarkPerGain2`)
 * at this budget. That estimate is 1.5-7 times the measured loss, the most on large frames and dark grain: it held
 * the bench's dark clip to 0.4 of the strength, under the RMS cap (SSIM 0.9986 measured). On small pictures, where
 * the mark's cells are a few pixels and more of it varies inside SSIM's windows, it is the looser of the two (on
 * fine noise at 540p by about 7%), and the detector's tests of small synthetic pictures were tuned with it. A frame
 * gets the looser of the two caps, so no frame is marked more weakly than before. Where this one decides, SSIM is
 * what it was before (0.9964 measured on fine noise at 540p).
 */
export const FRAME_SSIM_LOSS_WHOLE_MARK = 0.0075;

/** Fixed-point scales of the 8-bit path: pattern * 2^6 (|value| < 512), mask gain * 2^10; product >> 16. */
const PATTERN_SHIFT = 6;
const MASK_SHIFT = 10;

/** Options of a {@link WatermarkEmbedder}. */
export interface EmbedderOptions {
  key: WatermarkKey;
  /** Recipient ID, 0..MAX_ID. */
  id: bigint;
  /** Frame size in pixels: the size of the master the mark is made for. */
  width: number;
  height: number;
  /** Bits per luma sample: 8, 10, 12 or 16. */
  bitDepth: number;
  /** RMS amplitude in 8-bit code values at mask 1; default {@link DEFAULT_STRENGTH}. Scaled for deeper planes. */
  strength?: number;
  /**
   * Use the WebAssembly SIMD kernel where the runtime has it (default true). `false` forces the portable
   * TypeScript loops; both give bit-identical output, at every bit depth.
   */
  simd?: boolean;
}

export class WatermarkEmbedder {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly strength: number;
  /** Tile period in pixels. */
  readonly period: number;
  /** [period, width] f32: the tile repeated along each row, so a frame row reads one contiguous slice (portable path). */
  private readonly rows: Float32Array;
  /** [period, width] i16: the same in fixed point (value * 2^PATTERN_SHIFT), for the portable 8-bit path. */
  private readonly rowsFixed: Int16Array;
  private readonly mask: BlockMask;

  constructor(options: EmbedderOptions) {
    const { key, id, width, height, bitDepth } = options;
    if (!isWatermarkKey(key)) throw new UsageError('Expected key to be a WatermarkKey (from createKey, keyFromSecret or loadKey)');
    if (typeof id !== 'bigint' || id < 0n || id > MAX_ID) {
      throw new UsageError(`Expected id to be a bigint from 0 to ${MAX_ID} but received ${String(id)}`);
    }
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16) {
      throw new UsageError(`Expected a frame of at least 16x16 pixels but received ${width}x${height}`);
    }
    if (!(bitDepth === 8 || (Number.isInteger(bitDepth) && bitDepth >= 9 && bitDepth <= 16))) {
      throw new UsageError(`Expected bitDepth 8 to 16 but received ${bitDepth}`);
    }
    const strength = options.strength ?? DEFAULT_STRENGTH;
    if (!(typeof strength === 'number' && strength > 0 && strength <= MAX_STRENGTH)) {
      throw new UsageError(`Expected strength to be a number in (0, ${MAX_STRENGTH}] but received ${String(options.strength)}`);
    }
    this.width = width;
    this.height = height;
    this.bitDepth = bitDepth;
    this.strength = strength;
    this.period = tilePeriodFor(height);
    const tile = renderTile(markSpectrum(keySpectra(key), encodeId(key, id)), this.period);
    const p = this.period;
    const rows = new Float32Array(p * width);
    for (let ty = 0; ty < p; ty++) {
      const src = ty * p;
      const dst = ty * width;
      for (let x = 0; x < width; x++) rows[dst + x] = tile[src + (x % p)];
    }
    let rowsFixed = new Int16Array(0);
    if (bitDepth === 8) {
      rowsFixed = new Int16Array(p * width);
      for (let i = 0; i < rows.length; i++) rowsFixed[i] = Math.round(rows[i] * (1 << PATTERN_SHIFT));
    }
    this.mask = new BlockMask(width, height);
    this.layout = new MaskLayout(this.mask);
    this.kernel = (options.simd ?? true) ? EmbedKernel.create(bitDepth, bitDepth === 8 ? rowsFixed : rows, this.period, this.mask, this.layout) : null;
    // The kernel holds its own copy of the pattern rows; the portable path keeps these (24 MB at 4K).
    this.rows = this.kernel ? new Float32Array(0) : rows;
    this.rowsFixed = this.kernel ? new Int16Array(0) : rowsFixed;
    this.maskRows = this.kernel ? null : new Int16Array(this.mask.rows * width);
  }

  /** Marks one luma plane in place. The plane must have the embedder's size and bit depth. */
  embed(plane: LumaPlane): void {
    checkPlane(plane);
    const { width, height, bitDepth, period, mask } = this;
    if (plane.width !== width || plane.height !== height || plane.bitDepth !== bitDepth) {
      throw new UsageError(
        `Expected a ${width}x${height} ${bitDepth}-bit plane but received ${plane.width}x${plane.height} ${plane.bitDepth}-bit`,
      );
    }
    const { data, stride } = plane;
    const { kernel } = this;
    let power: number;
    if (kernel && bitDepth === 8) {
      copyRows(data, stride, kernel.plane, width, width, height);
      kernel.sumMask();
      power = mask.fromSums(bitDepth, kernel.quadrantSums);
    } else {
      power = mask.compute(data, stride, bitDepth);
    }
    // Cap the frame's mark RMS (strength * sqrt(mean mask^2)) so that busy frames keep their PSNR.
    const cap = FRAME_RMS_PER_STRENGTH * FRAME_RMS_PER_STRENGTH;
    let amplitude = power > cap ? this.strength * Math.sqrt(cap / power) : this.strength;
    // And its estimated SSIM loss, so that frames of fine texture (where SSIM is most sensitive) stay above target.
    const relative = (this.strength / DEFAULT_STRENGTH) ** 2;
    const ssimLimit = Math.max(
      Math.sqrt((FRAME_SSIM_LOSS * relative) / Math.max(1e-12, mask.ssimLossPerGain2)),
      Math.sqrt((FRAME_SSIM_LOSS_WHOLE_MARK * relative) / Math.max(1e-12, mask.ssimWholeMarkPerGain2)),
    );
    if (ssimLimit < amplitude) amplitude = ssimLimit;
    // In 8-bit code values; deeper planes scale it by 2^(bitDepth - 8) in their row loop.
    const gain = amplitude;
    if (kernel) {
      if (bitDepth !== 8) copyRows(data, stride, kernel.plane, width, width, height);
      kernel.addMark(mask.values, gain * (1 << MASK_SHIFT), (1 << (bitDepth - 8)) / (1 << MASK_SHIFT), (1 << bitDepth) - 1);
      copyRows(kernel.plane, width, data, stride, width, height);
      return;
    }
    const { rows: blockRows } = mask;
    const maskRows = this.maskRows as Int16Array;
    const { rowBlock, rowWeight } = this.layout;
    // Each block row once: frame row y blends block rows rowBlock[y] and the one below (the last one with itself).
    for (let by = 0; by < blockRows; by++) this.expandBlockRow(by, gain, maskRows, by * width);
    for (let y = 0; y < height; y++) {
      const upper = rowBlock[y];
      const lower = upper < blockRows - 1 ? upper + 1 : upper;
      const weight = rowWeight[y];
      if (data instanceof Uint8Array) {
        addRow8(this.clampedView(data), y * stride, this.rowsFixed, (y % period) * width, width, maskRows, upper * width, lower * width, weight);
      } else {
        addRowDeep(data, y * stride, this.rows, (y % period) * width, width, maskRows, upper * width, lower * width, weight, 1 << (bitDepth - 8), (1 << bitDepth) - 1);
      }
    }
  }

  private readonly layout: MaskLayout;
  /**
   * [mask rows, width] i16, Q10: the block mask times the frame's gain, expanded to pixels along each block row
   * (TypeScript path; the kernel keeps its own in its memory).
   */
  private readonly maskRows: Int16Array | null;
  /** WebAssembly SIMD kernel, or null (fallback: the TypeScript mask and row loops). */
  private readonly kernel: EmbedKernel | null;

  /** Whether planes go through the WebAssembly SIMD kernel. */
  get usesSimd(): boolean {
    return this.kernel !== null;
  }
  private clamped: Uint8ClampedArray | null = null;

  private clampedView(data: Uint8Array): Uint8ClampedArray {
    const view = this.clamped;
    if (view && view.buffer === data.buffer && view.byteOffset === data.byteOffset && view.length === data.length) return view;
    this.clamped = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
    return this.clamped;
  }

  /**
   * Expands one row of the block mask to pixels (linear between block centres), times `gain`, in Q10 fixed point.
   * The kernel's expandMask (kernels/embed.wat) does the same f64 operations in the same order.
   */
  private expandBlockRow(by: number, gain: number, out: Int16Array, at: number): void {
    const { cols, values } = this.mask;
    const { columnBlock, columnWeight } = this.layout;
    const base = by * cols;
    const scale = gain * (1 << MASK_SHIFT);
    for (let x = 0; x < this.width; x++) {
      const bx = columnBlock[x];
      const a = values[base + bx];
      const b = values[base + (bx < cols - 1 ? bx + 1 : bx)];
      out[at + x] = (a + (b - a) * columnWeight[x]) * scale + 0.5;
    }
  }
}

/** Copies `height` rows of `width` samples between planes of different strides (and the same sample type). */
function copyRows(src: Uint8Array | Uint16Array, srcStride: number, dst: Uint8Array | Uint16Array, dstStride: number, width: number, height: number): void {
  if (srcStride === width && dstStride === width) {
    dst.set(src.subarray(0, width * height));
    return;
  }
  for (let y = 0; y < height; y++) dst.set(src.subarray(y * srcStride, y * srcStride + width), y * dstStride);
}

/**
 * 8-bit row: mask = upper + ((lower - upper) * weight + 128) >> 8 (Q10), plane = clip(plane + round(pattern * mask)),
 * integer only (pattern Q6 x mask Q10 = Q16). The portable twin of the SIMD kernel (kernels/embed.wat), bit-exact
 * with it; kept monomorphic so V8 compiles it to tight integer code.
 */
function addRow8(plane: Uint8ClampedArray, at: number, pattern: Int16Array, patternAt: number, count: number, mask: Int16Array, upperAt: number, lowerAt: number, weight: number): void {
  for (let k = 0; k < count; k++) {
    const u = mask[upperAt + k];
    const m = u + (((mask[lowerAt + k] - u) * weight + 128) >> 8);
    plane[at + k] = plane[at + k] + ((pattern[patternAt + k] * m + 32768) >> 16);
  }
}

/** 9- to 16-bit row, in floating point (the fixed-point product could overflow at 16 bits). */
function addRowDeep(data: Uint16Array, at: number, pattern: Float32Array, patternAt: number, count: number, mask: Int16Array, upperAt: number, lowerAt: number, weight: number, depthScale: number, maxValue: number): void {
  const w = weight / 256;
  const scale = depthScale / (1 << MASK_SHIFT);
  for (let k = 0; k < count; k++) {
    const u = mask[upperAt + k];
    const m = (u + (mask[lowerAt + k] - u) * w) * scale;
    let v = data[at + k] + pattern[patternAt + k] * m + 0.5;
    v = v < 0 ? 0 : v > maxValue ? maxValue : v;
    data[at + k] = v;
  }
}
