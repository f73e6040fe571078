/**
 * Adds the mark that carries one recipient's ID to luma planes, in place.
 *
 * Everything that does not depend on the frame (the keyed tile for this ID, rendered at this resolution's tile
 * period and laid out as full-width rows) is computed once in the constructor; per frame there is one pass to
 * measure the perceptual mask and one pass to add `pattern * mask * gain`.
 */
import { UsageError } from '../errors.js';
import type { WatermarkKey } from './key.js';
import { BlockMask } from './mask.js';
import { encodeId, MAX_ID } from './payload.js';
import { keySpectra, markSpectrum, renderTile, tilePeriodFor } from './pattern.js';
import { checkPlane, type LumaPlane } from './plane.js';

/**
 * Default strength: the mark's RMS amplitude, in 8-bit code values, where the mask is 1. Each frame's total is
 * also capped at this RMS, so that luma PSNR stays near or above 48 dB whatever the content.
 */
export const DEFAULT_STRENGTH = 1.0;

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
}

export class WatermarkEmbedder {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly strength: number;
  /** Tile period in pixels. */
  readonly period: number;
  /** [period, width] f32: the tile repeated along each row, so a frame row reads one contiguous slice. */
  private readonly rows: Float32Array;
  private readonly mask: BlockMask;

  constructor(options: EmbedderOptions) {
    const { key, id, width, height, bitDepth } = options;
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
    if (!(typeof strength === 'number' && strength > 0 && strength <= 16)) {
      throw new UsageError(`Expected strength to be a number in (0, 16] but received ${String(options.strength)}`);
    }
    this.width = width;
    this.height = height;
    this.bitDepth = bitDepth;
    this.strength = strength;
    this.period = tilePeriodFor(height);
    const tile = renderTile(markSpectrum(keySpectra(key), encodeId(key, id)), this.period);
    const p = this.period;
    this.rows = new Float32Array(p * width);
    for (let ty = 0; ty < p; ty++) {
      const src = ty * p;
      const dst = ty * width;
      for (let x = 0; x < width; x++) this.rows[dst + x] = tile[src + (x % p)];
    }
    this.mask = new BlockMask(width, height);
  }

  /** Marks one luma plane in place. The plane must have the embedder's size and bit depth. */
  embed(plane: LumaPlane): void {
    checkPlane(plane);
    const { width, height, bitDepth, period, rows, mask } = this;
    if (plane.width !== width || plane.height !== height || plane.bitDepth !== bitDepth) {
      throw new UsageError(
        `Expected a ${width}x${height} ${bitDepth}-bit plane but received ${plane.width}x${plane.height} ${plane.bitDepth}-bit`,
      );
    }
    const { data, stride } = plane;
    const power = mask.compute(data, stride, bitDepth);
    const norm = power > 1 ? 1 / Math.sqrt(power) : 1;
    const gain = this.strength * (1 << (bitDepth - 8)) * norm;
    const { block, cols, values } = mask;
    const maxValue = (1 << bitDepth) - 1;
    const clamped = data instanceof Uint8Array ? new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) : null;
    const rowMask = new Float32Array(cols); // per-row interpolated block values
    const half = block / 2;
    for (let y = 0; y < height; y++) {
      // Vertical interpolation between block-row centres.
      let fy = (y - half + 0.5) / block;
      if (fy < 0) fy = 0;
      let by0 = Math.floor(fy);
      if (by0 >= mask.rows - 1) {
        by0 = mask.rows - 1;
        fy = by0;
      }
      const wy = fy - by0;
      const r0 = by0 * cols;
      const r1 = (by0 < mask.rows - 1 ? by0 + 1 : by0) * cols;
      for (let bx = 0; bx < cols; bx++) rowMask[bx] = (values[r0 + bx] * (1 - wy) + values[r1 + bx] * wy) * gain;
      const pat = ((y % period) * width) | 0;
      const line = y * stride;
      // Horizontal interpolation, one linear segment between neighbouring block centres at a time.
      let x = 0;
      for (let seg = -1; seg < cols && x < width; seg++) {
        const xEnd = seg + 1 < cols ? Math.min(width, Math.floor((seg + 1) * block + half)) : width;
        const m0 = rowMask[seg < 0 ? 0 : seg];
        const m1 = rowMask[seg + 1 < cols ? seg + 1 : cols - 1];
        const slope = seg < 0 || seg + 1 >= cols ? 0 : (m1 - m0) / block;
        let m = m0 + slope * (x - (seg * block + half));
        if (clamped) {
          for (; x < xEnd; x++) {
            clamped[line + x] = data[line + x] + rows[pat + x] * m;
            m += slope;
          }
        } else {
          for (; x < xEnd; x++) {
            let v = data[line + x] + rows[pat + x] * m + 0.5;
            v = v < 0 ? 0 : v > maxValue ? maxValue : v;
            data[line + x] = v;
            m += slope;
          }
        }
      }
    }
  }
}
