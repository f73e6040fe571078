/**
 * Which encoder, pixel format and settings an output gets, and which streams of the source ride along.
 *
 * Default codec rule (no `codec` option):
 * - still image outputs (.png .jpg .jpeg .tif .tiff .bmp): png, mjpeg (`-q:v 2`), tiff, bmp; the source's pixel
 *   format when the encoder takes it, otherwise RGB of the frames' depth (jpeg: 4:2:0/4:2:2/4:4:4 full range);
 * - ProRes in: prores_ks with the source's profile (Proxy 0, LT 1, Standard 2, HQ 3, 4444 4, 4444 XQ 5) and pixel
 *   format (yuv422p10le or yuv444p10le), vendor `apl0`;
 * - H.264 in: libx264 at CRF 16, preset `medium`, same pixel format. CRF 16 is visually transparent for x264 and
 *   sits above the quality of distribution encodes (typically CRF 18-23), so the output is not worse than the source;
 * - HEVC in: libx265 at CRF 16 (tag `hvc1` in mov/mp4), same pixel format;
 * - FFV1 and other lossless sources (rawvideo, huffyuv, utvideo, png, v210, ...): ffv1 level 3 (lossless);
 * - anything else, or no source: libx264 CRF 16 in the frames' chroma layout (8 or 10 bit).
 * `crf`, `bitrate`, `preset` and `pixelFormat` override the defaults; `extraOutputArgs` go last, before the file.
 */
import path from 'node:path';

import { UsageError } from '../errors.js';
import type { FfmpegSetup } from './ffmpeg-binaries.js';
import { framePixelFormat } from './pixel-format.js';
import type { MediaInfo } from './probe.js';

/** Encoder settings accepted by writeFrames, transformVideo and transformVideoToMany targets. */
export interface EncodeOptions {
  /** ffmpeg encoder name, e.g. `libx264`, `libx265`, `prores_ks`, `ffv1`, `png`. Default: see the codec rule. */
  codec?: string;
  /** Constant rate factor (libx264, libx265, libvpx-vp9, libaom-av1). */
  crf?: number;
  /** Encoder preset (libx264/libx265), e.g. `medium`, `slow`. */
  preset?: string;
  /** Target bitrate, e.g. `8M` or 8000000 (instead of `crf`). */
  bitrate?: string | number;
  /** Output pixel format, e.g. `yuv420p`, `yuv422p10le`, `rgb48be`. Default: the source's when the encoder takes it. */
  pixelFormat?: string;
  /** More ffmpeg output options, appended after reelmark's (e.g. `['-tune', 'film']`). */
  extraOutputArgs?: string[];
  /**
   * How frame times reach the encoder. 'cfr': frames sit on the grid of `frameRate` (the source's rate when it is
   * constant); each pts is checked against the grid. 'exact': every pts is kept in `timeBase` (variable frame rate).
   * Default 'auto': 'cfr' when the source (or `frameRate`) gives a constant rate and the first frame is on its grid,
   * else 'exact'. In 'exact' mode, mov/mp4 outputs are written
   * without an edit list and H.264/HEVC without B-frames (ffmpeg 4.x would otherwise hide the last frame).
   */
  timing?: 'auto' | 'cfr' | 'exact';
}

/** What an output will be encoded with. */
export interface EncodePlan {
  codec: string;
  pixelFormat: string;
  /** True for a single image output. */
  image: boolean;
  /** Encoder options (`-c:v ... -pix_fmt ...`), without inputs or stream maps. */
  codecArgs: string[];
}

const IMAGE_ENCODERS: Record<string, string> = {
  '.png': 'png',
  '.jpg': 'mjpeg',
  '.jpeg': 'mjpeg',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.bmp': 'bmp',
};

/** Pixel formats the encoders reelmark picks accept (ffmpeg 4.1 through 7.x). */
const ENCODER_FORMATS: Record<string, readonly string[]> = {
  libx264: ['yuv420p', 'yuvj420p', 'yuv422p', 'yuvj422p', 'yuv444p', 'yuvj444p', 'yuv420p10le', 'yuv422p10le', 'yuv444p10le', 'gray', 'gray10le'],
  libx265: ['yuv420p', 'yuv422p', 'yuv444p', 'yuv420p10le', 'yuv422p10le', 'yuv444p10le', 'yuv420p12le', 'yuv422p12le', 'yuv444p12le', 'gray', 'gray10le', 'gray12le'],
  prores_ks: ['yuv422p10le', 'yuv444p10le'],
  ffv1: [
    'yuv420p', 'yuv422p', 'yuv444p', 'yuv440p', 'yuv420p10le', 'yuv422p10le', 'yuv444p10le', 'yuv420p12le', 'yuv422p12le',
    'yuv444p12le', 'yuv420p16le', 'yuv422p16le', 'yuv444p16le', 'gray', 'gray10le', 'gray12le', 'gray16le', 'gbrp10le', 'gbrp12le', 'gbrp16le',
  ],
  png: ['rgb24', 'rgb48be', 'gray', 'gray16be', 'pal8', 'monob'],
  mjpeg: ['yuvj420p', 'yuvj422p', 'yuvj444p'],
  tiff: ['rgb24', 'rgb48le', 'gray', 'gray16le', 'pal8', 'yuv420p', 'yuv422p', 'yuv444p', 'monob'],
  bmp: ['bgr24', 'gray', 'pal8'],
};

const LOSSLESS_SOURCES = new Set(['ffv1', 'rawvideo', 'huffyuv', 'ffvhuff', 'utvideo', 'png', 'v210', 'v410', 'r210', 'qtrle', 'magicyuv', 'tiff']);
const CRF_ENCODERS = new Set(['libx264', 'libx265', 'libvpx-vp9', 'libaom-av1', 'libsvtav1']);
const PRORES_PROFILES: Record<string, number> = { Proxy: 0, LT: 1, Standard: 2, HQ: 3, '4444': 4, '4444 XQ': 5, '4444XQ': 5 };

/** True when `output` names a still image file. */
export function isImageOutput(output: string): boolean {
  return path.extname(output).toLowerCase() in IMAGE_ENCODERS;
}

/** The presets libx264 and libx265 accept (the only encoders that take one here). */
const X26X_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'placebo'];

/** Checks encode options up front, with messages naming the option. */
export function checkEncodeOptions(o: EncodeOptions, name = 'options'): void {
  if (o.codec !== undefined && (typeof o.codec !== 'string' || !/^[\w.-]+$/.test(o.codec))) {
    throw new UsageError(`Expected an ffmpeg encoder name for ${name}.codec but received ${String(o.codec)}`);
  }
  if (o.crf !== undefined && (typeof o.crf !== 'number' || !Number.isFinite(o.crf) || o.crf < 0 || o.crf > 63)) {
    throw new UsageError(`Expected a number from 0 to 63 for ${name}.crf but received ${String(o.crf)}`);
  }
  if (o.preset !== undefined && (typeof o.preset !== 'string' || !X26X_PRESETS.includes(o.preset))) {
    throw new UsageError(`Expected one of ${X26X_PRESETS.join(', ')} for ${name}.preset but received ${String(o.preset)}`);
  }
  if (o.bitrate !== undefined) {
    const ok = (typeof o.bitrate === 'number' && o.bitrate > 0 && Number.isFinite(o.bitrate)) || (typeof o.bitrate === 'string' && /^\d+(\.\d+)?[kKmMgG]?$/.test(o.bitrate));
    if (!ok) throw new UsageError(`Expected a bitrate like '8M' or 8000000 for ${name}.bitrate but received ${String(o.bitrate)}`);
  }
  if (o.crf !== undefined && o.bitrate !== undefined) throw new UsageError(`${name}.crf and ${name}.bitrate exclude each other; pass one`);
  if (o.pixelFormat !== undefined && (typeof o.pixelFormat !== 'string' || !/^\w+$/.test(o.pixelFormat))) {
    throw new UsageError(`Expected a pixel format name for ${name}.pixelFormat but received ${String(o.pixelFormat)}`);
  }
  if (o.timing !== undefined && !['auto', 'cfr', 'exact'].includes(o.timing)) {
    throw new UsageError(`Expected 'auto', 'cfr' or 'exact' for ${name}.timing but received ${String(o.timing)}`);
  }
  if (o.extraOutputArgs !== undefined && (!Array.isArray(o.extraOutputArgs) || !o.extraOutputArgs.every((a) => typeof a === 'string'))) {
    throw new UsageError(`Expected an array of strings for ${name}.extraOutputArgs`);
  }
}

/** Decides the encoder and its settings for `output`. */
export function planEncode(args: {
  output: string;
  framePixelFormat: string;
  source: MediaInfo | undefined;
  options: EncodeOptions;
  setup: FfmpegSetup;
}): EncodePlan {
  const { output, source, options, setup } = args;
  const frameInfo = framePixelFormat(args.framePixelFormat);
  if (!frameInfo) throw new UsageError(`Cannot encode frames in pixel format '${args.framePixelFormat}'`);
  const ext = path.extname(output).toLowerCase();
  const image = ext in IMAGE_ENCODERS;
  const sourceFormat = source?.pixelFormat;
  const codecArgs: string[] = [];
  let codec = options.codec;

  if (!codec) {
    if (image) codec = IMAGE_ENCODERS[ext];
    else {
      const family = source?.video.codec;
      if (family === 'prores' && setup.encoders.prores_ks) codec = 'prores_ks';
      else if (family === 'hevc' && setup.encoders.libx265) codec = 'libx265';
      else if (family !== undefined && LOSSLESS_SOURCES.has(family) && setup.encoders.ffv1) codec = 'ffv1';
      else if (setup.encoders.libx264) codec = 'libx264';
      else codec = 'ffv1';
    }
  }
  if (!setup.encoders[codec]) {
    throw new UsageError(`The ffmpeg in use (${setup.ffmpeg.path}, ${setup.ffmpeg.version}) has no '${codec}' encoder`);
  }

  const accepted = ENCODER_FORMATS[codec];
  let pixelFormat = options.pixelFormat;
  if (!pixelFormat) {
    const frame = args.framePixelFormat;
    if (accepted === undefined) pixelFormat = sourceFormat && !image ? sourceFormat : frame;
    else if (sourceFormat && accepted.includes(sourceFormat)) pixelFormat = sourceFormat;
    else if (accepted.includes(frame)) pixelFormat = frame;
    else pixelFormat = nearestFormat(codec, frameInfo.planes, frameInfo.bitDepth, frameInfo.chroma, accepted);
  }

  codecArgs.push('-c:v', codec, '-pix_fmt', pixelFormat);
  const rate = options.bitrate !== undefined ? ['-b:v', String(options.bitrate)] : undefined;
  if (options.crf !== undefined && !CRF_ENCODERS.has(codec)) {
    throw new UsageError(`options.crf applies to ${[...CRF_ENCODERS].join(', ')}, not to '${codec}'`);
  }
  switch (codec) {
    case 'libx264':
    case 'libx265': {
      codecArgs.push('-preset', options.preset ?? 'medium');
      codecArgs.push(...(rate ?? ['-crf', String(options.crf ?? 16)]));
      if (codec === 'libx265') {
        codecArgs.push('-x265-params', 'log-level=error');
        if (/^\.(mp4|mov|m4v)$/.test(ext)) codecArgs.push('-tag:v', 'hvc1');
      }
      break;
    }
    case 'prores_ks': {
      const fromSource = source?.video.codec === 'prores' && source.video.profile ? PRORES_PROFILES[source.video.profile] : undefined;
      const profile = fromSource ?? (pixelFormat === 'yuv444p10le' ? 4 : 3);
      codecArgs.push('-profile:v', String(profile), '-vendor', 'apl0');
      if (rate) codecArgs.push(...rate);
      break;
    }
    case 'ffv1':
      codecArgs.push('-level', '3', '-g', '1', '-slicecrc', '1');
      break;
    case 'mjpeg':
      codecArgs.push(...(rate ?? ['-q:v', '2']));
      break;
    default:
      if (options.crf !== undefined) codecArgs.push('-crf', String(options.crf));
      if (rate) codecArgs.push(...rate);
  }
  if (image) codecArgs.push('-frames:v', '1', '-update', '1');
  return { codec, pixelFormat, image, codecArgs };
}

function nearestFormat(codec: string, planes: number, depth: number, chroma: string, accepted: readonly string[]): string {
  if (codec === 'png') return planes === 1 ? (depth > 8 ? 'gray16be' : 'gray') : depth > 8 ? 'rgb48be' : 'rgb24';
  if (codec === 'tiff') return planes === 1 ? (depth > 8 ? 'gray16le' : 'gray') : depth > 8 ? 'rgb48le' : 'rgb24';
  if (codec === 'mjpeg') return chroma === '4:4:4' || planes === 1 ? 'yuvj444p' : chroma === '4:2:2' ? 'yuvj422p' : 'yuvj420p';
  const layout = planes === 1 ? 'gray' : chroma === '4:4:4' ? 'yuv444p' : chroma === '4:2:2' ? 'yuv422p' : 'yuv420p';
  for (const d of [depth, 16, 12, 10, 8].filter((x) => x <= Math.max(depth, 8)).sort((a, b) => Math.abs(a - depth) - Math.abs(b - depth))) {
    const name = d === 8 ? layout : layout === 'gray' ? `gray${d}le` : `${layout}${d}le`;
    if (accepted.includes(name)) return name;
  }
  return accepted[0];
}
