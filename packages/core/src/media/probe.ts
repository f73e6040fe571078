/**
 * `probe(path)`: what a media file contains, read with ffprobe.
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

import { FfmpegError, InputError, UsageError } from '../errors.js';
import { hdrFromSideData, looksHdr, readFrameHdr } from './hdr-metadata.js';
import type { HdrMetadata } from './hdr-metadata.js';
import { resolveFfmpeg } from './ffmpeg-binaries.js';
import { runProcess } from './ffmpeg-process.js';
import { describeSourceFormat } from './pixel-format.js';

/** Colour description of a video stream, as ffmpeg names it (`bt709`, `smpte2084`, `tv`, ...). */
export interface ColorInfo {
  primaries?: string;
  transfer?: string;
  /** Matrix coefficients (ffprobe's `color_space`). */
  matrix?: string;
  /** `tv` (limited) or `pc` (full). */
  range?: string;
}

/** Common fields of every stream. */
export interface StreamInfo {
  /** Absolute stream index in the file (what `-map 0:<index>` selects). */
  index: number;
  /** `video`, `audio`, `subtitle`, `data` or `attachment`. */
  type: string;
  /** ffmpeg codec name, e.g. `aac`; empty for data streams with no codec (e.g. QuickTime timecode). */
  codec: string;
  /** Four-character code, e.g. `tmcd`. */
  codecTag: string;
  /** Stream time base as a rational string, e.g. `1/48000`. */
  timeBase: string;
  startTime?: number;
  /**
   * Seconds, when known: the stream's own, or from Matroska's per-stream `DURATION` tag (ffmpeg and mkvmerge write
   * it; less the stream's start time).
   */
  duration?: number;
  bitRate?: number;
  language?: string;
  /** Every tag of the stream (title, handler_name, language, ...). */
  tags: Record<string, string>;
  disposition: Record<string, number>;
}

/** An audio stream. */
export interface AudioStreamInfo extends StreamInfo {
  sampleRate: number;
  channels: number;
  channelLayout?: string;
  sampleFormat?: string;
}

/** A video stream. */
export interface VideoStreamInfo extends StreamInfo {
  profile?: string;
  width: number;
  height: number;
  pixelFormat: string;
  bitDepth: number;
  /** '4:2:0', '4:2:2', '4:4:4', '4:0:0'. */
  chromaSubsampling: string;
  /** Exact nominal frame rate as a rational string (ffprobe's `r_frame_rate`), e.g. `24000/1001`. */
  frameRate: string;
  /** `frameRate` as a number, e.g. 23.976023976. */
  fps: number;
  /** Average frame rate over the stream, e.g. `24000/1001` (differs from `frameRate` for variable rate video). */
  avgFrameRate: string;
  /** Number of frames when the container states it (or when counted with `countFrames`). */
  frameCount?: number;
  color: ColorInfo;
  /** Display rotation in degrees from the display matrix, counter-clockwise as ffprobe reports it, in [0, 360). */
  rotation: number;
  sampleAspectRatio?: string;
  fieldOrder?: string;
  /** True for attached cover art (not a video to process). */
  attachedPicture: boolean;
}

/** Everything `probe` reports about a file. The top-level video fields describe the first video stream. */
export interface MediaInfo {
  /** Absolute path of the file. */
  path: string;
  /** `image` for a still (png, jpg, tiff, ...), otherwise `video`. */
  kind: 'video' | 'image';
  /** Container (ffmpeg's demuxer names), e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `png_pipe`. */
  container: string;
  containerLongName?: string;
  /** Size of the file in bytes. */
  size: number;
  /** Duration in seconds, when known. */
  duration?: number;
  startTime?: number;
  bitRate?: number;
  /** Container tags (title, creation_time, encoder, ...). */
  tags: Record<string, string>;

  /** The video stream that readFrames decodes. */
  video: VideoStreamInfo;
  width: number;
  height: number;
  pixelFormat: string;
  bitDepth: number;
  chromaSubsampling: string;
  /** Exact rational frame rate, e.g. `24000/1001`. */
  frameRate: string;
  /** Frame rate as a number. */
  fps: number;
  /** Frames in the video stream when known (always 1 for an image). */
  frameCount?: number;
  color: ColorInfo;
  rotation: number;
  /** HDR10 static metadata (mastering display, content light levels) of a PQ, HLG or BT.2020 video, where it has any. */
  hdr?: HdrMetadata;
  /** SMPTE timecode of the first frame, e.g. `01:00:00:00`, from the container, the video stream or a timecode track. */
  timecode?: string;

  /** Every stream, in file order. */
  streams: StreamInfo[];
  audio: AudioStreamInfo[];
  subtitles: StreamInfo[];
  /** Data streams, including QuickTime timecode (`tmcd`) tracks. */
  data: StreamInfo[];
  attachments: StreamInfo[];
}

/** Options of {@link probe}. */
export interface ProbeOptions {
  /** Count the video packets when the container does not state a frame count (reads the whole file, no decoding). */
  countFrames?: boolean;
  signal?: AbortSignal;
  ffmpegPath?: string;
  ffprobePath?: string;
}

type Json = Record<string, unknown>;

const IMAGE_CODECS = new Set(['png', 'mjpeg', 'tiff', 'bmp', 'webp', 'jpeg2000', 'dpx', 'exr', 'targa', 'sgi', 'pam', 'ppm', 'pgm', 'pgmyuv', 'jpegls']);

/**
 * Describes a media file: container, duration, exact frame rate, frame count, size, pixel format, bit depth,
 * chroma subsampling, colour tags, rotation, timecode and every audio, subtitle and data stream.
 *
 * @throws {InputError} the file is missing, unreadable, empty, not media, or has no video stream.
 * @throws {FfmpegNotFoundError} no usable ffprobe.
 * @example
 * const info = await probe('in.mov');
 * info.frameRate; // '24000/1001'
 */
export async function probe(file: string, options: ProbeOptions = {}): Promise<MediaInfo> {
  if (typeof file !== 'string' || file === '') {
    throw new UsageError(`Expected a file path (non-empty string) for path but received ${describe(file)}`);
  }
  const abs = path.resolve(file);
  const size = await checkReadableFile(abs);
  const setup = await resolveFfmpeg({ ffmpegPath: options.ffmpegPath, ffprobePath: options.ffprobePath });
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams'];
  if (options.countFrames) args.push('-count_packets');
  args.push(`file:${abs}`);
  let json: Json;
  try {
    const { stdout } = await runProcess(setup.ffprobe.path, args, { label: `ffprobe (probing ${abs})`, signal: options.signal });
    json = JSON.parse(stdout.toString('utf8')) as Json;
  } catch (err) {
    if (err instanceof FfmpegError && err.signal !== null) {
      // A crash says nothing of the file: the prober is at fault (exit 1, not "not a media file").
      throw new FfmpegError(
        `ffprobe (${setup.ffprobe.path}) crashed (${err.signal}) reading ${abs}: a fault of that ffprobe build, which does not show that the file is not media; set FFPROBE_PATH to another ffprobe (\`reelmark doctor\` shows the one in use)`,
        err.exitCode,
        err.signal,
        err.stderrTail,
      );
    }
    if (err instanceof FfmpegError) {
      throw new InputError(`${abs}: not a media file that ffmpeg can read (${probeComplaint(err.stderrTail, abs)})`, abs, { cause: err });
    }
    throw err;
  }
  const info = toMediaInfo(abs, size, json, options.countFrames === true);
  if (info.kind === 'video' && looksHdr(info.color)) {
    const raw = (Array.isArray(json.streams) ? (json.streams as Json[]) : []).find((st) => Number(st.index) === info.video.index);
    info.hdr = hdrFromSideData(raw?.side_data_list) ?? (await readFrameHdr(setup.ffprobe.path, abs, info.video.index, options.signal));
  }
  return info;
}

/** Checks that `abs` is a non-empty readable regular file and returns its size. */
export async function checkReadableFile(abs: string): Promise<number> {
  let size: number;
  try {
    const st = await stat(abs);
    if (st.isDirectory()) throw new InputError(`${abs}: is a directory, not a media file`, abs);
    if (!st.isFile()) throw new InputError(`${abs}: is not a regular file`, abs);
    size = st.size;
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputError(`${abs}: no such file`, abs, { cause: err });
    throw new InputError(`${abs}: cannot read the file (${code ?? String(err)})`, abs, { cause: err });
  }
  try {
    await access(abs, fsConstants.R_OK);
  } catch (err) {
    throw new InputError(`${abs}: the file is not readable (permission denied)`, abs, { cause: err });
  }
  if (size === 0) throw new InputError(`${abs}: the file is empty`, abs);
  return size;
}

function toMediaInfo(abs: string, size: number, json: Json, counted: boolean): MediaInfo {
  const format = (json.format ?? {}) as Json;
  const rawStreams = (Array.isArray(json.streams) ? json.streams : []) as Json[];
  if (rawStreams.length === 0 && !format.format_name) {
    throw new InputError(`${abs}: not a media file that ffmpeg can read`, abs);
  }
  const matroska = /matroska|webm/.test(str(format.format_name) ?? '');
  const streams: StreamInfo[] = rawStreams.map((s) => toStream(s, counted, matroska));
  const videos = streams.filter((s): s is VideoStreamInfo => s.type === 'video');
  // The picture: the largest video stream that is not cover art (as ffmpeg picks it; the first of equals), so that a
  // thumbnail track stored first is not taken for the film.
  const video = videos.filter((v) => !v.attachedPicture).reduce<VideoStreamInfo | undefined>((best, v) => (best === undefined || v.width * v.height > best.width * best.height ? v : best), undefined);
  if (!video) {
    const what = streams.length === 0 ? 'no streams' : `only ${[...new Set(streams.map((s) => s.type))].join(', ')} streams`;
    throw new InputError(`${abs}: no video stream (the file has ${what})`, abs);
  }
  const container = str(format.format_name) ?? 'unknown';
  // A text file named .png probes as a png stream of 0x0: ffprobe found the name, not a picture.
  if (!(video.width > 0 && video.height > 0)) {
    throw new InputError(`${abs}: not a media file that ffmpeg can read (no ${video.codec || 'video'} picture found in it)`, abs);
  }
  const isImage =
    /(^|,)image2(,|$)|_pipe$/.test(container) ||
    (IMAGE_CODECS.has(video.codec) && (video.frameCount === undefined || video.frameCount <= 1) && !/mov|matroska|avi|mxf/.test(container));
  const formatTags = tags(format.tags);
  const tmcd = streams.find((s) => s.codecTag === 'tmcd');
  const timecode = formatTags.timecode ?? video.tags.timecode ?? tmcd?.tags.timecode;
  const frameCount = isImage ? 1 : video.frameCount;
  return {
    path: abs,
    kind: isImage ? 'image' : 'video',
    container,
    containerLongName: str(format.format_long_name),
    size,
    duration: containerDuration(format, matroska),
    startTime: num(format.start_time),
    bitRate: num(format.bit_rate),
    tags: formatTags,
    video,
    width: video.width,
    height: video.height,
    pixelFormat: video.pixelFormat,
    bitDepth: video.bitDepth,
    chromaSubsampling: video.chromaSubsampling,
    frameRate: video.frameRate,
    fps: video.fps,
    frameCount,
    color: video.color,
    rotation: video.rotation,
    timecode,
    streams,
    audio: streams.filter((s): s is AudioStreamInfo => s.type === 'audio'),
    subtitles: streams.filter((s) => s.type === 'subtitle'),
    data: streams.filter((s) => s.type === 'data'),
    attachments: streams.filter((s) => s.type === 'attachment'),
  };
}

/**
 * The container's duration. A Matroska segment's, as ffmpeg writes it (its `ENCODER` tag names libavformat), is its
 * end time: a file whose timestamps start at 10 s and hold 4 s says 14 s, and the start is taken off. mkvmerge writes
 * the length, kept as it is.
 */
function containerDuration(format: Json, matroska: boolean): number | undefined {
  const duration = num(format.duration);
  const start = num(format.start_time);
  if (!matroska || duration === undefined || start === undefined || start <= 0 || start >= duration) return duration;
  const t = tags(format.tags);
  return /^Lavf/.test(t.ENCODER ?? t.encoder ?? '') ? duration - start : duration;
}

function toStream(s: Json, counted: boolean, matroska: boolean): StreamInfo {
  const t = tags(s.tags);
  // Matroska's DURATION tag (ffmpeg writes the stream's end time, mkvmerge its length: less its start, it never
  // promises more than the stream holds). Other containers may carry a stale copy of it (a remux to NUT), so only
  // there.
  const start = num(s.start_time);
  const tagged = matroska ? tagDuration(t.DURATION ?? t.duration) : undefined;
  const fromTag = tagged !== undefined ? tagged - Math.max(0, start ?? 0) : undefined;
  const base: StreamInfo = {
    index: Number(s.index),
    type: str(s.codec_type) ?? 'data',
    codec: str(s.codec_name) ?? '',
    codecTag: str(s.codec_tag_string) ?? '',
    timeBase: str(s.time_base) ?? '1/1',
    startTime: start,
    duration: num(s.duration) ?? (fromTag !== undefined && fromTag > 0 ? fromTag : undefined),
    bitRate: num(s.bit_rate),
    language: t.language,
    tags: t,
    disposition: (s.disposition ?? {}) as Record<string, number>,
  };
  if (base.type === 'audio') {
    const audio: AudioStreamInfo = {
      ...base,
      sampleRate: num(s.sample_rate) ?? 0,
      channels: num(s.channels) ?? 0,
      channelLayout: str(s.channel_layout),
      sampleFormat: str(s.sample_fmt),
    };
    return audio;
  }
  if (base.type !== 'video') return base;
  const pixelFormat = str(s.pix_fmt) ?? 'unknown';
  const { bitDepth, chroma } = describeSourceFormat(pixelFormat);
  const rRate = nominalRate(validRational(str(s.r_frame_rate)), matroska);
  const avgRate = nominalRate(validRational(str(s.avg_frame_rate)), matroska);
  const frameRate = rRate ?? avgRate ?? '0/1';
  const nbFrames = counted ? (num(s.nb_read_packets) ?? num(s.nb_frames)) : (num(s.nb_frames) ?? taggedFrameCount(t, base.duration, avgRate ?? frameRate, matroska));
  const disposition = base.disposition;
  const video: VideoStreamInfo = {
    ...base,
    profile: str(s.profile),
    width: num(s.width) ?? 0,
    height: num(s.height) ?? 0,
    pixelFormat,
    bitDepth: num(s.bits_per_raw_sample) ?? bitDepth,
    chromaSubsampling: chroma,
    frameRate,
    fps: rationalValue(frameRate),
    avgFrameRate: avgRate ?? frameRate,
    frameCount: nbFrames !== undefined && nbFrames > 0 ? nbFrames : undefined,
    color: {
      primaries: known(s.color_primaries),
      transfer: known(s.color_transfer),
      matrix: known(s.color_space),
      range: known(s.color_range),
    },
    rotation: rotationOf(s, t),
    sampleAspectRatio: str(s.sample_aspect_ratio),
    fieldOrder: str(s.field_order),
    attachedPicture: disposition.attached_pic === 1,
  };
  return video;
}

function rotationOf(s: Json, t: Record<string, string>): number {
  const side = Array.isArray(s.side_data_list) ? (s.side_data_list as Json[]) : [];
  for (const d of side) {
    if (typeof d.rotation === 'number') return normalizeRotation(d.rotation);
  }
  // The legacy tag counts clockwise; the display matrix (and this field) counter-clockwise.
  const rotate = num(t.rotate);
  return rotate !== undefined ? normalizeRotation(-rotate) : 0;
}

function normalizeRotation(deg: number): number {
  const r = ((Math.round(deg) % 360) + 360) % 360;
  return r;
}

/** Parses 'a/b' into a reduced rational string, or undefined for 0/0, N/A or malformed input. */
function validRational(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(value);
  if (!m || m[1] === '0' || m[2] === '0') return undefined;
  return value;
}

/** Numeric value of a rational string like '24000/1001'. */
export function rationalValue(value: string): number {
  const [a, b] = value.split('/').map(Number);
  return b ? a / b : a;
}

function known(v: unknown): string | undefined {
  const s = str(v);
  return s && s !== 'unknown' && s !== 'reserved' ? s : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && v !== 'N/A' ? v : undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || v === '' || v === 'N/A') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Matroska stores a frame rate as a default duration in nanoseconds, which ffprobe turns back into a rate only
 * approximately (59.94 comes out as 19001/317): there, a rate within a millionth of a broadcast rate (n x 1000/1001)
 * or of a whole number is that rate, so that frames on its grid are seen to be.
 */
function nominalRate(rate: string | undefined, matroska: boolean): string | undefined {
  if (!matroska || rate === undefined) return rate;
  const value = rationalValue(rate);
  if (!(value > 0)) return rate;
  const whole = Math.round(value);
  if (Math.abs(value - whole) <= 1e-6 * value) return `${whole}/1`;
  const ntsc = Math.round(value * 1.001);
  if (Math.abs(value - (ntsc * 1000) / 1001) <= 1e-6 * value) return `${ntsc * 1000}/1001`;
  return rate;
}

/**
 * Matroska's `NUMBER_OF_FRAMES` statistics tag (mkvmerge writes it), trusted only where it agrees with the stream's
 * duration times its rate: `-c copy` carries a source's statistics into a cut or remux, where they no longer hold.
 */
function taggedFrameCount(t: Record<string, string>, duration: number | undefined, rate: string, matroska: boolean): number | undefined {
  const count = matroska ? num(t.NUMBER_OF_FRAMES) : undefined;
  if (count === undefined || duration === undefined) return undefined;
  const expected = duration * rationalValue(rate);
  return Math.abs(count - expected) <= Math.max(1, 0.005 * count) ? count : undefined;
}

/** Seconds from a Matroska `DURATION` tag, `HH:MM:SS.fraction`; undefined for anything else. */
function tagDuration(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)$/.exec(value.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return seconds > 0 ? seconds : undefined;
}

function tags(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, val] of Object.entries(v)) out[k] = String(val);
  return out;
}

/**
 * What ffprobe said of the file: its last two distinct complaints, without the file name they start with (for a cut
 * MP4, `moov atom not found; Invalid data found when processing input`).
 */
export function probeComplaint(text: string, abs: string): string {
  const prefixes = [`file:${abs}: `, `${abs}: `];
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (line === '') continue;
    for (const p of prefixes) if (line.startsWith(p)) line = line.slice(p.length);
    line = line.replace(/^\[[^\]]*@ 0x[0-9a-f]+\] /, '');
    if (line !== '' && line !== lines[lines.length - 1]) lines.push(line);
  }
  return lines.length ? lines.slice(-2).join('; ') : 'ffprobe failed';
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  return v === null ? 'null' : typeof v;
}
