/**
 * Pixel formats that frames are delivered in, and how any ffmpeg pixel format maps onto one of them.
 *
 * Frames are always planar, little-endian, with samples in the low bits of each element (the layout of ffmpeg's
 * `*p`, `*p10le`, `gray*le` formats). Everything else is converted by ffmpeg before it reaches JavaScript.
 */

/** Layout of a planar pixel format that frames can carry. */
export interface PixelFormatInfo {
  /** ffmpeg name, e.g. `yuv420p10le`. */
  readonly name: string;
  /** 1 for gray, 3 for Y/U/V. */
  readonly planes: 1 | 3;
  /** log2 of the horizontal chroma subsampling (1 for 4:2:0 and 4:2:2). */
  readonly log2ChromaW: number;
  /** log2 of the vertical chroma subsampling (1 for 4:2:0). */
  readonly log2ChromaH: number;
  /** Significant bits per sample (8, 10, 12 or 16). */
  readonly bitDepth: number;
  /** Bytes per stored sample: 1 (Uint8Array planes) or 2 (Uint16Array planes). */
  readonly bytesPerSample: 1 | 2;
  /** Chroma subsampling as written by video people: '4:2:0', '4:2:2', '4:4:4', '4:4:0' or '4:0:0'. */
  readonly chroma: string;
  /** The gray format holding just this format's luma plane, bit for bit. */
  readonly lumaFormat: string;
  /** True for the JPEG-range aliases (`yuvj*`), whose layout equals the matching `yuv*` format. */
  readonly fullRangeAlias: boolean;
}

function yuv(name: string, wShift: number, hShift: number, depth: number, fullRangeAlias = false): PixelFormatInfo {
  const chroma = wShift === 1 ? (hShift === 1 ? '4:2:0' : '4:2:2') : hShift === 1 ? '4:4:0' : '4:4:4';
  return {
    name,
    planes: 3,
    log2ChromaW: wShift,
    log2ChromaH: hShift,
    bitDepth: depth,
    bytesPerSample: depth > 8 ? 2 : 1,
    chroma,
    lumaFormat: grayName(depth),
    fullRangeAlias,
  };
}

function gray(name: string, depth: number): PixelFormatInfo {
  return {
    name,
    planes: 1,
    log2ChromaW: 0,
    log2ChromaH: 0,
    bitDepth: depth,
    bytesPerSample: depth > 8 ? 2 : 1,
    chroma: '4:0:0',
    lumaFormat: name,
    fullRangeAlias: false,
  };
}

function grayName(depth: number): string {
  return depth === 8 ? 'gray' : `gray${depth}le`;
}

const FRAME_FORMATS: ReadonlyMap<string, PixelFormatInfo> = new Map(
  [
    gray('gray', 8),
    gray('gray10le', 10),
    gray('gray12le', 12),
    gray('gray16le', 16),
    yuv('yuv420p', 1, 1, 8),
    yuv('yuv422p', 1, 0, 8),
    yuv('yuv444p', 0, 0, 8),
    yuv('yuv440p', 0, 1, 8),
    yuv('yuvj420p', 1, 1, 8, true),
    yuv('yuvj422p', 1, 0, 8, true),
    yuv('yuvj444p', 0, 0, 8, true),
    yuv('yuvj440p', 0, 1, 8, true),
    yuv('yuv420p10le', 1, 1, 10),
    yuv('yuv422p10le', 1, 0, 10),
    yuv('yuv444p10le', 0, 0, 10),
    yuv('yuv420p12le', 1, 1, 12),
    yuv('yuv422p12le', 1, 0, 12),
    yuv('yuv444p12le', 0, 0, 12),
    yuv('yuv420p16le', 1, 1, 16),
    yuv('yuv422p16le', 1, 0, 16),
    yuv('yuv444p16le', 0, 0, 16),
  ].map((f) => [f.name, f]),
);

/** Names of every pixel format a {@link Frame} can carry. */
export const FRAME_PIXEL_FORMATS: readonly string[] = [...FRAME_FORMATS.keys()];

/** Layout of a frame pixel format, or `undefined` when frames cannot carry it. */
export function framePixelFormat(name: string): PixelFormatInfo | undefined {
  return FRAME_FORMATS.get(name);
}

/** Raw sensor mosaics and hardware surfaces: not something a frame can stand for. */
const REFUSED = /^(bayer_|vaapi|vdpau|cuda|qsv|videotoolbox|d3d11|dxva2|drm_prime|opencl|vulkan|mediacodec|mmal)/;

/**
 * The same pixel format without its alpha channel (`yuva420p` -> `yuv420p`, `bgra` -> `rgb24`, `ya16le` ->
 * `gray16le`), or `undefined` for a format without alpha. For reading luma only: the picture's luma does not depend on
 * what covers it.
 */
export function withoutAlpha(format: string): string | undefined {
  const yuva = /^yuva(\d{3}p)(.*)$/.exec(format);
  if (yuva) return `yuv${yuva[1]}${yuva[2]}`;
  const gbrap = /^gbrap(.*)$/.exec(format);
  if (gbrap) return `gbrp${gbrap[1]}`;
  if (/^(rgba|bgra|argb|abgr)$/.test(format)) return 'rgb24';
  if (/^(rgba64|bgra64)(le|be)$/.test(format)) return 'rgb48le';
  if (format === 'ya8') return 'gray';
  if (/^ya16(le|be)$/.test(format)) return 'gray16le';
  return undefined;
}

/** Why a source pixel format cannot be delivered as frames, or `undefined` when it can. */
export function refusalReason(sourceFormat: string): string | undefined {
  if (!sourceFormat || sourceFormat === 'none' || sourceFormat === 'unknown') return 'the pixel format is unknown';
  if (/^(yuva|gbrap|ya8|ya16|rgba|bgra|argb|abgr|rgba64|bgra64)/.test(sourceFormat)) {
    return 'it has an alpha channel, which frames do not carry (flatten or drop alpha first)';
  }
  if (REFUSED.test(sourceFormat)) return 'it is a raw sensor or hardware surface format';
  return undefined;
}

/**
 * The frame pixel format that a source pixel format is delivered in: the same format when frames can carry it,
 * otherwise the planar format of the same bit depth and chroma layout (packed and semi-planar layouts are
 * re-laid by ffmpeg without changing a sample; RGB becomes 4:4:4 YUV so that plane 0 is luma).
 *
 * Returns `undefined` for formats that are refused (see {@link refusalReason}).
 */
export function frameFormatFor(sourceFormat: string): string | undefined {
  if (refusalReason(sourceFormat) !== undefined) return undefined;
  if (FRAME_FORMATS.has(sourceFormat)) return sourceFormat;
  const le = sourceFormat.replace(/be$/, 'le');
  if (FRAME_FORMATS.has(le)) return le;
  const known = RELAYOUT[sourceFormat];
  if (known) return known;

  const depth = depthOf(sourceFormat);
  if (/^(gray|mono)/.test(sourceFormat)) return grayName(depth);
  if (/^(rgb|bgr|gbr|0rgb|0bgr|rgb0|bgr0|pal8|xyz)/.test(sourceFormat)) return yuvName('444', depth);
  const m = /^yuvj?(\d{3})p/.exec(sourceFormat);
  if (m) {
    const layout = m[1] === '422' || m[1] === '444' || m[1] === '440' ? m[1] : '420';
    return yuvName(layout, depth);
  }
  return undefined;
}

/** Packed and semi-planar layouts, re-laid as planar without touching a sample. */
const RELAYOUT: Record<string, string> = {
  nv12: 'yuv420p',
  nv21: 'yuv420p',
  nv16: 'yuv422p',
  nv24: 'yuv444p',
  nv42: 'yuv444p',
  yuyv422: 'yuv422p',
  uyvy422: 'yuv422p',
  yvyu422: 'yuv422p',
  p010le: 'yuv420p10le',
  p010be: 'yuv420p10le',
  p016le: 'yuv420p16le',
  p016be: 'yuv420p16le',
  p210le: 'yuv422p10le',
  p210be: 'yuv422p10le',
  p410le: 'yuv444p10le',
  p410be: 'yuv444p10le',
  y210le: 'yuv422p10le',
  nv20le: 'yuv422p10le',
  nv20be: 'yuv422p10le',
  yuv411p: 'yuv420p',
  yuv410p: 'yuv420p',
  monob: 'gray',
  monow: 'gray',
};

function depthOf(name: string): number {
  // Packed RGB names count bits per pixel, not per sample.
  if (/^(rgb|bgr|0rgb|0bgr|pal8|xyz)/.test(name)) return /^(rgb48|bgr48|rgb64|bgr64|xyz12)/.test(name) ? 16 : 8;
  const m = /p?(\d{1,2})(le|be)?$/.exec(name.replace(/^(yuvj?\d{3}|gbr|gray|mono)/, ''));
  const bits = m ? Number(m[1]) : 8;
  if (!Number.isFinite(bits) || bits <= 8) return 8;
  if (bits <= 10) return 10;
  if (bits <= 12) return 12;
  return 16;
}

function yuvName(layout: string, depth: number): string {
  return depth === 8 ? `yuv${layout}p` : `yuv${layout}p${depth}le`;
}

/** Width and height of plane `index` of a `width` x `height` image in format `info` (chroma sizes round up). */
export function planeSize(info: PixelFormatInfo, index: number, width: number, height: number): [number, number] {
  if (index === 0) return [width, height];
  return [-(-width >> info.log2ChromaW), -(-height >> info.log2ChromaH)];
}

/** Bytes of one tightly packed image (what ffmpeg's rawvideo uses, alignment 1). */
export function imageByteSize(info: PixelFormatInfo, width: number, height: number): number {
  let total = 0;
  for (let p = 0; p < info.planes; p++) {
    const [w, h] = planeSize(info, p, width, height);
    total += w * h * info.bytesPerSample;
  }
  return total;
}

/** Bit depth and chroma layout of any ffmpeg pixel format name (best effort for formats frames cannot carry). */
export function describeSourceFormat(name: string): { bitDepth: number; chroma: string } {
  const frameFormat = frameFormatFor(name);
  const info = frameFormat ? FRAME_FORMATS.get(frameFormat) : undefined;
  if (info) return { bitDepth: info.bitDepth, chroma: info.chroma };
  const m = /^yuva?j?(\d)(\d)(\d)p/.exec(name);
  const chroma = m ? `${m[1]}:${m[2]}:${m[3]}` : /^(gray|ya)/.test(name) ? '4:0:0' : '4:4:4';
  return { bitDepth: depthOf(name.replace(/^yuva/, 'yuv').replace(/^gbrap/, 'gbrp').replace(/^ya/, 'gray')), chroma };
}
