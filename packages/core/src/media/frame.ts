/**
 * The frame type shared by every part of reelmark: raw planar pixels with an ndarray view per plane.
 */
import ndarray from 'ndarray';

import { UnsupportedPixelFormatError, UsageError } from '../errors.js';
import { framePixelFormat, imageByteSize, planeSize } from './pixel-format.js';
import type { PixelFormatInfo } from './pixel-format.js';

/** Samples of one plane: 8-bit formats use Uint8Array, 10/12/16-bit formats Uint16Array (value in the low bits). */
export type PlaneData = Uint8Array | Uint16Array;

/** One image plane (Y, U or V). */
export interface Plane {
  /** The samples, row after row; row `y` starts at element `y * stride`. */
  data: PlaneData;
  /** Width in samples. */
  width: number;
  /** Height in rows. */
  height: number;
  /** Distance between the starts of two rows, in elements (not bytes). */
  stride: number;
  /** Shape [height, width] view over `data` (no copy): `view.get(y, x)`. Use `data` with offsets in hot loops. */
  view: ndarray.NdArray<PlaneData>;
}

/** One decoded picture. */
export interface Frame {
  /** 0-based position in the stream that produced it. */
  index: number;
  /** Presentation time in seconds (in the source's timeline). */
  pts: number;
  /** Width of the luma plane in pixels. */
  width: number;
  /** Height of the luma plane in pixels. */
  height: number;
  /** ffmpeg pixel format of the planes, e.g. `yuv420p`, `yuv422p10le`, `gray`. */
  pixelFormat: string;
  /** Significant bits per sample (8, 10, 12 or 16). */
  bitDepth: number;
  /** [Y, U, V], or [Y] for gray formats (and when read with `lumaOnly`). */
  planes: Plane[];
  /** True when the source's codec coded this frame on its own (a keyframe); set only when read with `markKeyframes`. */
  keyFrame?: boolean;
}

/** Makes a plane over `data` (no copy). */
export function makePlane(data: PlaneData, width: number, height: number, stride = width): Plane {
  return { data, width, height, stride, view: ndarray(data, [height, width], [stride, 1], 0) };
}

/** An {@link UnsupportedPixelFormatError} for `file`, with the reason appended to its message. */
export function pixelFormatError(file: string, pixelFormat: string, reason?: string): UnsupportedPixelFormatError {
  const err = new UnsupportedPixelFormatError(file, pixelFormat);
  if (reason) err.message += `: ${reason}`;
  return err;
}

/** Layout of a frame pixel format, or a typed error naming the format. */
export function requireFrameFormat(pixelFormat: string, context: string): PixelFormatInfo {
  const info = framePixelFormat(pixelFormat);
  if (!info) throw new UnsupportedPixelFormatError(context, pixelFormat);
  return info;
}

/**
 * Storage for frames of one size and format: one contiguous buffer per frame, planes packed without padding
 * (the layout ffmpeg's rawvideo uses), so a frame travels through a pipe as a single write.
 */
export class FrameLayout {
  readonly info: PixelFormatInfo;
  /** Bytes of one packed frame. */
  readonly byteSize: number;
  /** [width, height] of each plane. */
  readonly planeSizes: ReadonlyArray<readonly [number, number]>;

  constructor(
    readonly pixelFormat: string,
    readonly width: number,
    readonly height: number,
  ) {
    this.info = requireFrameFormat(pixelFormat, `${width}x${height} frame`);
    this.byteSize = imageByteSize(this.info, width, height);
    const sizes: Array<readonly [number, number]> = [];
    for (let p = 0; p < this.info.planes; p++) sizes.push(planeSize(this.info, p, width, height));
    this.planeSizes = sizes;
  }

  /** A new zeroed packed frame buffer. */
  allocate(): Uint8Array {
    return new Uint8Array(this.byteSize);
  }

  /** A frame whose planes are views into `bytes` (a packed buffer of this layout; 2-byte aligned for >8-bit). */
  frameOver(bytes: Uint8Array, index: number, pts: number): Frame {
    const planes: Plane[] = [];
    let offset = bytes.byteOffset;
    for (const [w, h] of this.planeSizes) {
      const data: PlaneData =
        this.info.bytesPerSample === 2 ? new Uint16Array(bytes.buffer, offset, w * h) : new Uint8Array(bytes.buffer, offset, w * h);
      planes.push(makePlane(data, w, h));
      offset += w * h * this.info.bytesPerSample;
    }
    return { index, pts, width: this.width, height: this.height, pixelFormat: this.pixelFormat, bitDepth: this.info.bitDepth, planes };
  }

  /** True when `frame` has exactly this format and size. */
  matches(frame: Frame): boolean {
    return frame.pixelFormat === this.pixelFormat && frame.width === this.width && frame.height === this.height;
  }
}

/**
 * The packed bytes of `frame`, as one or more byte views in plane order. When the planes are already packed
 * back to back in one buffer (frames from readFrames are), that single view is returned without a copy.
 */
export function frameBytes(frame: Frame, layout: FrameLayout): Uint8Array[] {
  if (!layout.matches(frame) || frame.planes.length !== layout.info.planes) {
    throw new UsageError(
      `Expected frames of ${layout.width}x${layout.height} ${layout.pixelFormat} with ${layout.info.planes} planes ` +
        `but received frame ${frame.index}: ${frame.width}x${frame.height} ${frame.pixelFormat} with ${frame.planes.length} planes`,
    );
  }
  const bps = layout.info.bytesPerSample;
  const first = frame.planes[0].data;
  let contiguous = true;
  let expected = first.byteOffset;
  for (let p = 0; p < frame.planes.length; p++) {
    const plane = frame.planes[p];
    const [w, h] = layout.planeSizes[p];
    if (plane.width !== w || plane.height !== h || plane.data.BYTES_PER_ELEMENT !== bps || plane.data.length < plane.stride * (h - 1) + w) {
      throw new UsageError(`Frame ${frame.index}, plane ${p}: expected ${w}x${h} samples of ${bps} byte(s), received ${plane.width}x${plane.height}`);
    }
    if (plane.data.buffer !== first.buffer || plane.data.byteOffset !== expected || plane.stride !== w) contiguous = false;
    expected += w * h * bps;
  }
  if (contiguous) return [new Uint8Array(first.buffer, first.byteOffset, layout.byteSize)];
  const out: Uint8Array[] = [];
  for (let p = 0; p < frame.planes.length; p++) {
    const plane = frame.planes[p];
    const [w, h] = layout.planeSizes[p];
    if (plane.stride === w) {
      out.push(new Uint8Array(plane.data.buffer, plane.data.byteOffset, w * h * bps));
    } else {
      const packed = new Uint8Array(w * h * bps);
      const rowBytes = w * bps;
      for (let y = 0; y < h; y++) {
        packed.set(new Uint8Array(plane.data.buffer, plane.data.byteOffset + y * plane.stride * bps, rowBytes), y * rowBytes);
      }
      out.push(packed);
    }
  }
  return out;
}

/** Copies the samples of `src` into `dst` (same format and size), honouring both strides. */
export function copyFrameInto(src: Frame, dst: Frame): void {
  if (src.pixelFormat !== dst.pixelFormat || src.width !== dst.width || src.height !== dst.height || src.planes.length !== dst.planes.length) {
    throw new UsageError(`Cannot copy a ${src.width}x${src.height} ${src.pixelFormat} frame into a ${dst.width}x${dst.height} ${dst.pixelFormat} frame`);
  }
  for (let p = 0; p < src.planes.length; p++) {
    const s = src.planes[p];
    const d = dst.planes[p];
    if (s.stride === s.width && d.stride === d.width) {
      d.data.set(s.data.subarray(0, s.width * s.height));
    } else {
      for (let y = 0; y < s.height; y++) d.data.set(s.data.subarray(y * s.stride, y * s.stride + s.width), y * d.stride);
    }
  }
  dst.index = src.index;
  dst.pts = src.pts;
  if (src.keyFrame !== undefined) dst.keyFrame = src.keyFrame;
  else delete dst.keyFrame;
}

/** A deep copy of `frame` that owns its own packed buffer. */
export function cloneFrame(frame: Frame): Frame {
  const layout = new FrameLayout(frame.pixelFormat, frame.width, frame.height);
  const copy = layout.frameOver(layout.allocate(), frame.index, frame.pts);
  copyFrameInto(frame, copy);
  return copy;
}
