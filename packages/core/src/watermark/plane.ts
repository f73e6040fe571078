/** The one image type the watermark math sees: a luma plane, nothing about files or codecs. */
import { UsageError } from '../errors.js';

/** A luma plane. `data` holds `height` rows of `stride` elements each; only the first `width` of a row are pixels. */
export interface LumaPlane {
  /** 8-bit samples as Uint8Array; 9- to 16-bit samples as Uint16Array, value in the low `bitDepth` bits. */
  readonly data: Uint8Array | Uint16Array;
  readonly width: number;
  readonly height: number;
  /** Row pitch in elements (not bytes). */
  readonly stride: number;
  /** Bits per sample: 8, 10, 12 or 16. */
  readonly bitDepth: number;
}

/** Throws a UsageError naming the problem when `plane` is not a consistent luma plane. */
export function checkPlane(plane: LumaPlane, name = 'luma'): void {
  const { data, width, height, stride, bitDepth } = plane;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new UsageError(`Expected positive integer width and height for ${name} but received ${width}x${height}`);
  }
  if (!Number.isInteger(stride) || stride < width) {
    throw new UsageError(`Expected a stride of at least ${width} for ${name} but received ${stride}`);
  }
  if (bitDepth === 8 ? !(data instanceof Uint8Array) : !(data instanceof Uint16Array)) {
    throw new UsageError(`Expected ${bitDepth === 8 ? 'Uint8Array' : 'Uint16Array'} data for a ${bitDepth}-bit ${name} plane`);
  }
  if (bitDepth !== 8 && (bitDepth < 9 || bitDepth > 16)) {
    throw new UsageError(`Expected a bit depth of 8 to 16 for ${name} but received ${bitDepth}`);
  }
  if (data.length < stride * (height - 1) + width) {
    throw new UsageError(`The ${name} plane holds ${data.length} samples, fewer than ${width}x${height} with stride ${stride}`);
  }
}
