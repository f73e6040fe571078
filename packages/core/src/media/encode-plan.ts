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
 *
 * The output's extension picks its container (see {@link CONTAINERS}); {@link checkOutputFormat} refuses, before any
 * work, an extension reelmark does not write and a container that cannot hold the video codec or a copied stream.
 */
import path from 'node:path';

import { OutputError, UsageError } from '../errors.js';
import { releaseAtLeast } from './ffmpeg-args.js';
import type { FfmpegSetup } from './ffmpeg-binaries.js';
import { quarterTurns } from './display-turn.js';
import { x265Params } from './hdr-metadata.js';
import { framePixelFormat } from './pixel-format.js';
import type { MediaInfo, StreamInfo, VideoStreamInfo } from './probe.js';

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
  /**
   * More ffmpeg output options, appended after reelmark's (e.g. `['-tune', 'film']`). `-an`, `-sn` and `-dn` drop the
   * source's audio, subtitles or data streams (the others keep their own metadata); `-c:a`-style options choose a kind's
   * codec. Not allowed: `-map` and `-vn` (reelmark maps the streams), and a codec for every stream (`-c copy`).
   */
  extraOutputArgs?: string[];
  /**
   * How frame times reach the encoder. 'cfr': frames sit on the grid of `frameRate` (the source's rate when it is
   * constant); each pts is checked against the grid. 'exact': every pts is kept in `timeBase` (variable frame rate).
   * Default 'auto': 'cfr' when the source (or `frameRate`) gives a constant rate (for Matroska, whose rate is nominal, when
   * its packets keep to it: `frame-grid.ts`) and the first frame is on its grid,
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
  /** The codec tag options among `codecArgs`, which a remux of the encoded video must repeat. */
  tagArgs: string[];
  /** Whether interlaced frames are coded as fields with `-flags +ildct+ilme`. */
  fieldCoding: boolean;
  /** What the output will lack that the source has, in words (e.g. HDR10 metadata the encoder cannot write). */
  warnings: string[];
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
  dnxhd: ['yuv422p', 'yuv422p10le', 'yuv444p10le'],
  ffv1: [
    'yuv420p', 'yuv422p', 'yuv444p', 'yuv440p', 'yuv420p10le', 'yuv422p10le', 'yuv444p10le', 'yuv420p12le', 'yuv422p12le',
    'yuv444p12le', 'yuv420p16le', 'yuv422p16le', 'yuv444p16le', 'gray', 'gray10le', 'gray12le', 'gray16le', 'gbrp10le', 'gbrp12le', 'gbrp16le',
  ],
  png: ['rgb24', 'rgb48be', 'gray', 'gray16be', 'pal8', 'monob'],
  mjpeg: ['yuvj420p', 'yuvj422p', 'yuvj444p'],
  tiff: ['rgb24', 'rgb48le', 'gray', 'gray16le', 'pal8', 'yuv420p', 'yuv422p', 'yuv444p', 'monob'],
  bmp: ['bgr24', 'gray', 'pal8'],
};

/**
 * Which codecs a container holds: `only` lists those that fit, `not` those that do not; an empty rule takes any.
 * A name ending in `*` is a prefix (`pcm_*`).
 */
interface CodecRule {
  only?: readonly string[];
  not?: readonly string[];
}

/** What one video container holds: the encoded video's codec, and the codecs of the streams copied from the source. */
interface ContainerRule {
  video: CodecRule;
  audio: CodecRule;
  subtitle: CodecRule;
  data: CodecRule;
  attachment: CodecRule;
  /** Cover art (an attached picture), copied as it is. */
  cover: CodecRule;
}

const ANY: CodecRule = {};
const NONE: CodecRule = { only: [] };

/**
 * The video containers reelmark writes, by extension (QuickTime, Matroska, MP4, iPod M4V), in the order they are
 * suggested. Measured with ffmpeg 4.1
 * (the oldest supported, and the bundled one) by stream-copying each codec in; a newer ffmpeg may hold more (PCM,
 * FLAC or Opus in MP4) but is not relied on. .m4v is ffmpeg's iPod muxer, narrower than .mp4. QuickTime timecode
 * (`tmcd`) is not copied but rebuilt from the timecode tag, and chapter tracks are written from the chapters, so
 * neither is a data stream here. Other data streams (GoPro telemetry, KLV, ...) fit none of them with ffmpeg 4.1.
 * Whoever needs what a newer ffmpeg allows passes `extraOutputArgs` that choose the streams' codecs (the copied
 * streams are then not judged).
 */
const CONTAINERS: Record<string, ContainerRule> = {
  '.mov': {
    video: { only: ['h264', 'hevc', 'prores', 'ffv1', 'dnxhd', 'mjpeg', 'png', 'mpeg4', 'mpeg2video', 'rawvideo', 'utvideo', 'huffyuv', 'ffvhuff'] },
    audio: { not: ['flac', 'opus'] },
    // eia_608: CEA-608 captions (QuickTime c608 tracks), which broadcast masters carry.
    subtitle: { only: ['mov_text', 'eia_608'] },
    data: NONE,
    attachment: NONE,
    // The mov muxer drops an attached picture without a word (4.1); .mp4 and .m4v keep it.
    cover: NONE,
  },
  '.mkv': { video: ANY, audio: ANY, subtitle: { not: ['mov_text', 'eia_608'] }, data: NONE, attachment: ANY, cover: ANY },
  '.mp4': {
    video: { only: ['h264', 'hevc', 'mpeg4', 'mpeg2video', 'mjpeg', 'png', 'vp9', 'av1'] },
    audio: { only: ['aac', 'ac3', 'eac3', 'mp3', 'mp2', 'vorbis', 'dts'] },
    subtitle: { only: ['mov_text'] },
    data: NONE,
    attachment: NONE,
    cover: { only: ['mjpeg', 'png'] },
  },
  '.m4v': {
    video: { only: ['h264', 'mpeg4'] },
    audio: { only: ['aac', 'alac', 'ac3'] },
    subtitle: { only: ['mov_text'] },
    data: NONE,
    attachment: NONE,
    cover: { only: ['mjpeg', 'png'] },
  },
};

/**
 * What `ext` holds with the ffmpeg in use: the table, plus Opus audio in .mp4 from ffmpeg 5 on (4.1 calls it
 * experimental and refuses it; 5.1 writes it). Only what was measured is added.
 */
function containerRule(ext: string, setup: FfmpegSetup): ContainerRule | undefined {
  const rule = CONTAINERS[ext];
  if (rule && ext === '.mp4' && releaseAtLeast(setup, 5, 0)) return { ...rule, audio: { only: [...(rule.audio.only ?? []), 'opus'] } };
  return rule;
}

/** The codec each known encoder writes; hardware encoders are named `<codec>_<api>` (h264_nvenc, hevc_vaapi). */
const ENCODER_CODECS: Record<string, string> = {
  libx264: 'h264',
  libx264rgb: 'h264',
  libx265: 'hevc',
  prores_ks: 'prores',
  prores_aw: 'prores',
  prores: 'prores',
  ffv1: 'ffv1',
  dnxhd: 'dnxhd',
  mjpeg: 'mjpeg',
  png: 'png',
  tiff: 'tiff',
  bmp: 'bmp',
  mpeg4: 'mpeg4',
  libxvid: 'mpeg4',
  mpeg2video: 'mpeg2video',
  rawvideo: 'rawvideo',
  utvideo: 'utvideo',
  huffyuv: 'huffyuv',
  ffvhuff: 'ffvhuff',
  libvpx: 'vp8',
  'libvpx-vp9': 'vp9',
  'libaom-av1': 'av1',
  libsvtav1: 'av1',
};

/** The codec `encoder` writes, or undefined for an encoder reelmark does not know (then ffmpeg is left to judge). */
function codecOfEncoder(encoder: string): string | undefined {
  return ENCODER_CODECS[encoder] ?? /^(h264|hevc|av1|vp9|mjpeg|mpeg2)_/.exec(encoder)?.[1]?.replace(/^mpeg2$/, 'mpeg2video');
}

function fits(rule: CodecRule, codec: string): boolean {
  const matches = (names: readonly string[]) => names.some((n) => (n.endsWith('*') ? codec.startsWith(n.slice(0, -1)) : codec === n));
  if (rule.only && !matches(rule.only)) return false;
  if (rule.not && matches(rule.not)) return false;
  return true;
}

/**
 * The kinds of source stream that extra output arguments drop: `-an` audio, `-sn` subtitles, `-dn` data. They are
 * then neither mapped nor judged by the table (mapped, ffmpeg would drop them after their metadata was numbered, and
 * every later stream would take the metadata of the one before it).
 * @throws {UsageError} for `-map` (reelmark maps the streams; its input numbering is not the caller's) and `-vn`.
 */
export function streamsDroppedBy(args: readonly string[] | undefined, name = 'options'): Set<string> {
  const kinds = new Set<string>();
  const byFlag: Record<string, string> = { '-an': 'audio', '-sn': 'subtitle', '-dn': 'data' };
  for (const a of args ?? []) {
    if (a === '-map' || a === '-vn') {
      throw new UsageError(`${name}.extraOutputArgs may not contain '${a}': reelmark maps the source's streams itself; drop a kind of stream with -an, -sn or -dn`);
    }
    if (byFlag[a]) kinds.add(byFlag[a]);
  }
  return kinds;
}

/**
 * The kinds of copied stream whose codec extra output arguments choose, so that ffmpeg judges them instead of the
 * table: `-c:a`/`-acodec` (and `-strict`, which lets 4.1 put Opus or FLAC in .mp4) audio, `-c:s`/`-scodec`
 * subtitles, `-c:d`/`-dcodec` data, `-c:t` attachments (streams dropped with `-an`, `-sn` or `-dn` are not copied:
 * `streamsDroppedBy`). Never cover art (.mov drops it without a word), nor the video, which reelmark encodes.
 * @throws {UsageError} for a codec given to every stream or by stream index (`-c copy`, `-codec`, `-c:0`): it would
 *   replace the video encoder.
 */
function streamsChosenBy(args: readonly string[] | undefined, name: string): Set<string> {
  const kinds = new Set<string>();
  const byLetter: Record<string, string> = { a: 'audio', s: 'subtitle', d: 'data', t: 'attachment' };
  for (const a of args ?? []) {
    const codec = /^-(?:c|codec)(?::(.))?/.exec(a);
    if (codec && /^-(?:c|codec)(?::|$)/.test(a)) {
      const letter = codec[1]?.toLowerCase();
      if (letter === undefined || !/[a-z]/.test(letter)) {
        throw new UsageError(`${name}.extraOutputArgs may not set a codec for every stream or by index ('${a}'): the video is encoded by reelmark (use ${name}.codec); name the kind, as -c:a or -c:s`);
      }
      if (byLetter[letter]) kinds.add(byLetter[letter]);
      continue;
    }
    const named = /^-(a|s|d)codec$/.exec(a);
    if (named) kinds.add(byLetter[named[1]]);
    if (a === '-strict') kinds.add('audio');
  }
  return kinds;
}

/** `a, b or c`. */
function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** The extensions reelmark writes, for messages. */
function supportedExtensions(): string {
  return `${orList(Object.keys(CONTAINERS))} for video, ${orList(Object.keys(IMAGE_ENCODERS))} for a still image`;
}

/**
 * The source's streams that ride along into a video output, copied packet for packet: audio, subtitles, data,
 * attachments (from Matroska sources) and cover art. Not other video (unmarked pictures must not leak), not
 * QuickTime timecode tracks (the muxer rebuilds them from the timecode tag) and not QuickTime chapter tracks (a
 * data stream tagged `text`: the chapters are copied as chapters, `-map_chapters`, and the muxer writes its own).
 */
export function copiedStreams(source: MediaInfo, dropped: ReadonlySet<string> = new Set()): StreamInfo[] {
  return source.streams.filter((s) => {
    if (s.index === source.video.index) return false;
    if (dropped.has(s.type)) return false;
    if (s.type === 'video') return (s as VideoStreamInfo).attachedPicture;
    if (s.codecTag === 'tmcd') return false;
    if (s.type === 'data' && s.codecTag === 'text') return false;
    if (s.type === 'attachment') return /matroska/.test(source.container);
    return ['audio', 'subtitle', 'data'].includes(s.type);
  });
}

const LOSSLESS_SOURCES = new Set(['ffv1', 'rawvideo', 'huffyuv', 'ffvhuff', 'utvideo', 'png', 'v210', 'v410', 'r210', 'qtrle', 'magicyuv', 'tiff']);
const CRF_ENCODERS = new Set(['libx264', 'libx265', 'libvpx-vp9', 'libaom-av1', 'libsvtav1']);
/** The CRF encoders that take a fractional CRF (17.5). */
const FRACTIONAL_CRF_ENCODERS = new Set(['libx264', 'libx265']);
/** The containers into which a source's display rotation is written. */
const ROTATION_CONTAINERS = new Set(['.mov', '.mp4', '.m4v']);
/**
 * Encoders that code fields when given `-flags +ildct+ilme` (the others store interlaced frames as pictures, tagged).
 * Not dnxhd in general: ffmpeg refuses these flags with DNxHR profiles; only the DNxHD profile takes them, at the
 * interlaced bitrates found for it (`dnxhd-rate.ts`). Not prores_aw, which ignores them.
 */
const FIELD_CODING_ENCODERS = new Set(['libx264', 'prores_ks', 'mpeg2video']);
/** The encoders that take `preset` (the others would ignore it silently). */
const PRESET_ENCODERS = new Set(['libx264', 'libx265']);
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
  streamsDroppedBy(o.extraOutputArgs, name);
}

/** The default encoder for `ext` (see the codec rule at the top). */
function defaultEncoder(ext: string, source: MediaInfo | undefined, setup: FfmpegSetup): string {
  if (ext in IMAGE_ENCODERS) return IMAGE_ENCODERS[ext];
  const family = source?.video.codec;
  if (family === 'prores' && setup.encoders.prores_ks) return 'prores_ks';
  if (family === 'dnxhd' && setup.encoders.dnxhd) return 'dnxhd';
  if (family === 'hevc' && setup.encoders.libx265) return 'libx265';
  if (family !== undefined && LOSSLESS_SOURCES.has(family) && setup.encoders.ffv1) return 'ffv1';
  if (setup.encoders.libx264) return 'libx264';
  return 'ffv1';
}

/**
 * Checks, before any work, that `output` can be written, and returns its encoder: the extension names a format
 * reelmark writes, the ffmpeg in use has the encoder, `crf` and `preset` apply to it, and the container holds the
 * encoded video and every stream copied from `source` (a still image output takes one frame and its own encoder).
 * Copied streams whose codec `extraOutputArgs` choose are left to ffmpeg (`streamsChosenBy`).
 * `name` is how messages name the options (`options`, `targets[2].options`).
 *
 * @throws {OutputError} `ERR_OUTPUT_FORMAT`: an unknown extension, or a container that cannot hold the video or a
 *   copied stream (the message says which, and which extensions would).
 * @throws {UsageError} the encoder is missing, or `crf`/`preset` do not apply to it.
 */
export function checkOutputFormat(args: { output: string; source: MediaInfo | undefined; options: EncodeOptions; setup: FfmpegSetup; name?: string }): string {
  const { output, source, options, setup, name = 'options' } = args;
  const abs = path.resolve(output);
  const ext = path.extname(abs).toLowerCase();
  const image = ext in IMAGE_ENCODERS;
  const container = containerRule(ext, setup);
  if (!image && !container) {
    const what = ext === '' ? 'has no extension to tell its format' : `reelmark does not write ${ext} files`;
    throw new OutputError(`${abs}: ${what}; use ${supportedExtensions()}`, abs, 'ERR_OUTPUT_FORMAT');
  }
  const encoder = options.codec ?? defaultEncoder(ext, source, setup);
  const chosen = options.codec === undefined && !image && source ? ` (the default for a ${source.video.codec} source; choose another with ${name}.codec)` : '';
  if (!setup.encoders[encoder]) {
    throw new UsageError(`The ffmpeg in use (${setup.ffmpeg.path}, ${setup.ffmpeg.version}) has no '${encoder}' encoder`);
  }
  if (options.crf !== undefined && !CRF_ENCODERS.has(encoder)) {
    throw new UsageError(`${name}.crf applies to ${[...CRF_ENCODERS].join(', ')}, not to '${encoder}'${chosen}`);
  }
  if (options.crf !== undefined && !Number.isInteger(options.crf) && !FRACTIONAL_CRF_ENCODERS.has(encoder)) {
    throw new UsageError(`${name}.crf of '${encoder}' is a whole number (only ${[...FRACTIONAL_CRF_ENCODERS].join(' and ')} take fractions) but received ${options.crf}`);
  }
  if (options.preset !== undefined && !PRESET_ENCODERS.has(encoder)) {
    throw new UsageError(`${name}.preset applies to ${[...PRESET_ENCODERS].join(', ')}, not to '${encoder}'${chosen}`);
  }

  if (image) {
    if (encoder !== IMAGE_ENCODERS[ext]) {
      throw new OutputError(`${abs}: a ${ext} image is written with the '${IMAGE_ENCODERS[ext]}' encoder, not '${encoder}'`, abs, 'ERR_OUTPUT_FORMAT');
    }
    if (source && source.kind === 'video' && source.frameCount !== 1) {
      throw new OutputError(`${abs}: a still image takes one frame, and ${source.path} is a video; use ${orList(Object.keys(CONTAINERS))}`, abs, 'ERR_OUTPUT_FORMAT');
    }
    return encoder;
  }

  if (container === undefined) throw new Error('unreachable: an extension that is neither an image nor a container was refused above');
  // The display rotation is written only into QuickTime and MP4 (as the source's display matrix): elsewhere the
  // delivery would show the picture turned, and its mark (made as displayed) with it.
  if (source && source.kind === 'video' && quarterTurns(source.rotation) !== 0 && !ROTATION_CONTAINERS.has(ext)) {
    throw new OutputError(`${abs}: ${ext} files cannot carry the source's display rotation (${source.rotation} degrees); write ${orList([...ROTATION_CONTAINERS])} instead`, abs, 'ERR_OUTPUT_FORMAT');
  }
  const videoCodec = codecOfEncoder(encoder);
  // Extra arguments that choose a kind of stream's codec (`-c:a aac`) take those streams out of the table's hands.
  const leftToFfmpeg = streamsChosenBy(options.extraOutputArgs, name);
  const dropped = streamsDroppedBy(options.extraOutputArgs, name);
  const copied = source ? copiedStreams(source, dropped).filter((st) => !leftToFfmpeg.has(st.type)) : [];
  const ruleOf = (rule: ContainerRule, s: StreamInfo) => (s.type === 'video' ? rule.cover : rule[s.type as Exclude<keyof ContainerRule, 'cover'>]);
  const holdsAll = (rule: ContainerRule) =>
    (videoCodec === undefined || fits(rule.video, videoCodec)) && copied.every((s) => fits(ruleOf(rule, s), s.codec || s.codecTag));
  if (holdsAll(container)) return encoder;

  const problems: string[] = [];
  const videoFits = videoCodec === undefined || fits(container.video, videoCodec);
  if (!videoFits) problems.push(`${videoCodec} video (encoder ${encoder}${chosen ? `, the default for a ${source?.video.codec} source` : ''})`);
  for (const s of copied) {
    if (fits(ruleOf(container, s), s.codec || s.codecTag)) continue;
    const kind = s.type === 'video' ? 'cover art' : s.type === 'data' ? 'data stream' : s.type;
    problems.push(`the source's ${s.codec || s.codecTag || 'unknown'} ${kind} (stream ${s.index}, copied unchanged)`);
  }
  const others = Object.keys(CONTAINERS).filter((e) => e !== ext && holdsAll(containerRule(e, setup)!));
  const advice: string[] = [];
  if (others.length > 0) advice.push(`write ${orList(others)} instead`);
  if (!videoFits && problems.length === 1) {
    const fitting = Object.keys(ENCODER_CODECS).find((e) => setup.encoders[e] && fits(container.video, ENCODER_CODECS[e]) && CRF_ENCODERS.has(e));
    if (fitting) advice.push(`choose an encoder that ${ext} holds with ${name}.codec (e.g. ${fitting})`);
  }
  if (advice.length === 0) advice.push(`no format reelmark writes holds ${problems.length === 1 ? 'it' : 'them all'}; remove ${problems.length === 1 ? 'that stream' : 'those streams'} from the source first`);
  const list = problems.length === 1 ? problems[0] : `${problems.slice(0, -1).join(', ')} and ${problems[problems.length - 1]}`;
  throw new OutputError(`${abs}: ${ext} files cannot hold ${list}; ${advice.join(', or ')}`, abs, 'ERR_OUTPUT_FORMAT');
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
  const codec = checkOutputFormat({ output, source, options, setup });

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
  const tagArgs: string[] = [];
  let fieldCoding = FIELD_CODING_ENCODERS.has(codec);
  const rate = options.bitrate !== undefined ? ['-b:v', String(options.bitrate)] : undefined;
  switch (codec) {
    case 'libx264':
    case 'libx265': {
      codecArgs.push('-preset', options.preset ?? 'medium');
      codecArgs.push(...(rate ?? ['-crf', String(options.crf ?? 16)]));
      // QuickTime's writer tags 10-bit H.264 of the broadcast sizes as AVC-Intra ('ai12', 'aivx', ...) without the
      // avcC box its decoders need (7 of 25 frames of a 1080p25 4:2:2 delivery decoded): it keeps the plain tag only
      // when the standard is not enforced.
      if (codec === 'libx264' && ext === '.mov' && (framePixelFormat(pixelFormat)?.bitDepth ?? 8) > 8) tagArgs.push('-tag:v', 'avc1', '-strict', 'unofficial');
      if (codec === 'libx265') {
        // HDR10 metadata travels as the encoder's own SEI (the frames reach it without side data).
        const hdr = source && !image ? x265Params(source.hdr) : '';
        codecArgs.push('-x265-params', hdr ? `log-level=error:${hdr}` : 'log-level=error');
        if (/^\.(mp4|mov|m4v)$/.test(ext)) tagArgs.push('-tag:v', 'hvc1');
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
    case 'dnxhd': {
      // DNxHR profiles take any size; DNxHD only the bitrates it defines for each size and rate (the source's).
      const profile = dnxProfile(source, pixelFormat);
      codecArgs.push('-profile:v', profile);
      fieldCoding = profile === 'dnxhd';
      if (profile === 'dnxhd') {
        // The bitrate DNxHD defines for the source's size, rate and depth (`dnxhd-rate.ts`, found before any work).
        if (!rate) {
          throw new UsageError(`${path.resolve(output)}: a DNxHD encode takes one of the bitrates DNxHD defines for its size and rate: pass options.bitrate (transformVideo finds it from the source)`);
        }
        codecArgs.push(...rate);
      }
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
  codecArgs.push(...tagArgs);
  const warnings: string[] = [];
  if (source?.hdr && !image && codec !== 'libx265') {
    warnings.push(
      `${path.resolve(output)}: the source's HDR10 metadata (mastering display, content light levels) is not written: the ffmpeg command line gives it only to libx265, not to ${codec}; add it when packaging the delivery`,
    );
  }
  return { codec, pixelFormat, image, codecArgs, tagArgs, fieldCoding, warnings };
}

/**
 * The DNx profile of an encode: a DNx source's own (`DNXHR HQX` -> `dnxhr_hqx`, `DNXHD` -> `dnxhd`), otherwise the
 * DNxHR profile of the pixel format (4:4:4 10-bit `dnxhr_444`, 4:2:2 10-bit `dnxhr_hqx`, 8-bit `dnxhr_hq`).
 */
export function dnxProfile(source: MediaInfo | undefined, pixelFormat: string): string {
  if (source?.video.codec === 'dnxhd' && source.video.profile) {
    const p = source.video.profile.trim().toLowerCase();
    if (p === 'dnxhd') return 'dnxhd';
    const hr = /^dnxhr (lb|sq|hq|hqx|444)$/.exec(p);
    if (hr) return `dnxhr_${hr[1]}`;
  }
  return pixelFormat === 'yuv444p10le' ? 'dnxhr_444' : pixelFormat === 'yuv422p10le' ? 'dnxhr_hqx' : 'dnxhr_hq';
}

function nearestFormat(codec: string, planes: number, depth: number, chroma: string, accepted: readonly string[]): string {
  if (codec === 'dnxhd') return depth > 8 ? (chroma === '4:4:4' ? 'yuv444p10le' : 'yuv422p10le') : 'yuv422p';
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
