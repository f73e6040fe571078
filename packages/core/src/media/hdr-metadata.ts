/**
 * HDR10 static metadata: the mastering display's colour volume (SMPTE ST 2086) and the content light levels
 * (MaxCLL, MaxFALL; CTA-861.3). HEVC carries them in SEI messages of its frames, QuickTime, MP4 and Matroska in the
 * container; a QC system rejects an HDR10 deliverable without them. Frames travel to the encoder without side data,
 * so they are read here and given to the encoder again (`x265Params`).
 */
import { runProcess } from './ffmpeg-process.js';

/** CIE 1931 xy chromaticity. */
export interface Chromaticity {
  x: number;
  y: number;
}

export interface MasteringDisplay {
  red: Chromaticity;
  green: Chromaticity;
  blue: Chromaticity;
  whitePoint: Chromaticity;
  /** cd/m². */
  minLuminance: number;
  /** cd/m². */
  maxLuminance: number;
}

export interface ContentLightLevel {
  /** MaxCLL, cd/m². */
  maxContent: number;
  /** MaxFALL, cd/m². */
  maxAverage: number;
}

export interface HdrMetadata {
  masteringDisplay?: MasteringDisplay;
  contentLightLevel?: ContentLightLevel;
}

type Json = Record<string, unknown>;

/** '34000/50000' or a number: its value, or undefined. */
function ratio(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(-?\d+(?:\.\d+)?)(?:\/(\d+(?:\.\d+)?))?$/.exec(v.trim());
  if (!m) return undefined;
  const den = m[2] === undefined ? 1 : Number(m[2]);
  return den > 0 ? Number(m[1]) / den : undefined;
}

/** The HDR10 metadata in ffprobe's side data entries (a stream's or a frame's), or undefined when there is none. */
export function hdrFromSideData(list: unknown): HdrMetadata | undefined {
  if (!Array.isArray(list)) return undefined;
  const found: HdrMetadata = {};
  for (const d of list as Json[]) {
    const type = String(d.side_data_type ?? '');
    if (/mastering display/i.test(type)) {
      const xy = (p: string): Chromaticity | undefined => {
        const x = ratio(d[`${p}_x`]);
        const y = ratio(d[`${p}_y`]);
        return x !== undefined && y !== undefined ? { x, y } : undefined;
      };
      const [red, green, blue, whitePoint] = [xy('red'), xy('green'), xy('blue'), xy('white_point')];
      const minLuminance = ratio(d.min_luminance);
      const maxLuminance = ratio(d.max_luminance);
      if (red && green && blue && whitePoint && minLuminance !== undefined && maxLuminance !== undefined && maxLuminance > 0) {
        found.masteringDisplay = { red, green, blue, whitePoint, minLuminance, maxLuminance };
      }
    } else if (/content light level/i.test(type)) {
      const maxContent = ratio(d.max_content);
      const maxAverage = ratio(d.max_average);
      if (maxContent !== undefined && maxAverage !== undefined) found.contentLightLevel = { maxContent, maxAverage };
    }
  }
  return found.masteringDisplay || found.contentLightLevel ? found : undefined;
}

/** Whether a video's colour tags say HDR (PQ or HLG transfer), where its first frame is worth reading for metadata. */
export function looksHdr(color: { transfer?: string; primaries?: string }): boolean {
  return color.transfer === 'smpte2084' || color.transfer === 'arib-std-b67' || color.primaries === 'bt2020';
}

/**
 * Reads the HDR10 metadata of the first frame of stream `index` (decoding that one frame). Undefined when it has none
 * or it cannot be read (the metadata is then simply not known).
 */
export async function readFrameHdr(ffprobe: string, file: string, index: number, signal?: AbortSignal): Promise<HdrMetadata | undefined> {
  try {
    const { stdout } = await runProcess(
      ffprobe,
      ['-v', 'error', '-print_format', 'json', '-select_streams', String(index), '-read_intervals', '%+#1', '-show_frames', `file:${file}`],
      { label: `ffprobe (reading the HDR metadata of ${file})`, signal },
    );
    const frames = (JSON.parse(stdout.toString('utf8')) as Json).frames;
    return Array.isArray(frames) && frames.length > 0 ? hdrFromSideData((frames[0] as Json).side_data_list) : undefined;
  } catch (err) {
    if (signal?.aborted) throw err;
    return undefined;
  }
}

/**
 * The metadata as libx265 options (`master-display`, chromaticities in 0.00002 and luminance in 0.0001 cd/m²;
 * `max-cll`), joined with ':' for `-x265-params`; '' when there is none.
 */
export function x265Params(hdr: HdrMetadata | undefined): string {
  if (!hdr) return '';
  const parts: string[] = [];
  const m = hdr.masteringDisplay;
  if (m) {
    const c = (p: Chromaticity) => `(${Math.round(p.x * 50000)},${Math.round(p.y * 50000)})`;
    parts.push(
      `master-display=G${c(m.green)}B${c(m.blue)}R${c(m.red)}WP${c(m.whitePoint)}L(${Math.round(m.maxLuminance * 10000)},${Math.round(m.minLuminance * 10000)})`,
    );
  }
  const l = hdr.contentLightLevel;
  if (l) parts.push(`max-cll=${Math.round(l.maxContent)},${Math.round(l.maxAverage)}`);
  return parts.join(':');
}
