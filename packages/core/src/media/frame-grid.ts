/**
 * Whether a Matroska source's frames keep to its nominal rate. Matroska stores no average rate: ffprobe reports the
 * track's default frame duration as both its rates, so a variable-rate MKV (a screen recording, frames dropped by a
 * `select`, an ffmpeg 4.x remux whose B-frame times are rounded to the millisecond off the grid) looks
 * constant-rate. Frames sent to the encoder on a grid they do not keep would stop the encode ("off the grid"). The
 * packets' times settle it: listing them demuxes the file without decoding it (a read of the whole file: a fraction
 * of a second per half hour of video from the page cache), and every one must pass the very test the encoder
 * applies to each frame (`onGrid`: from t = 0, within half a time-base tick).
 */
import { runProcess } from './ffmpeg-process.js';
import type { FfmpegSetup } from './ffmpeg-binaries.js';
import type { MediaInfo } from './probe.js';

/** Containers whose reported frame rate is a default duration, not a measure of the frames. */
const NOMINAL_RATE_CONTAINERS = /(^|,)(matroska|webm)(,|$)/;

/** A rational such as `24000/1001` (or a whole number) as num/den. */
export function parseRational(text: string): { num: number; den: number } {
  const [a, b] = text.split('/').map(Number);
  return { num: a, den: b === undefined ? 1 : b };
}

/** A frame grid: `rate` frames per second as num/den, and how far (in frames) a time rounded to its time base may be. */
export interface FrameGrid {
  num: number;
  den: number;
  /** Half a source time-base tick, in frames, plus a hair for floating point. */
  tolerance: number;
}

/** The grid of `rate` (num/den) for times rounded to `timeBase` (num/den). */
export function frameGrid(rate: { num: number; den: number }, timeBase: { num: number; den: number }): FrameGrid {
  const tolerance = timeBase.den > 0 ? (0.5 * timeBase.num * rate.num) / (timeBase.den * rate.den) + 1e-6 : 1e-6;
  return { num: rate.num, den: rate.den, tolerance };
}

/** Whether `seconds` lies on `grid` (counted from t = 0): the encoder's test of every frame it is sent. */
export function onGrid(seconds: number, grid: FrameGrid): boolean {
  const ticks = (seconds * grid.num) / grid.den;
  return Math.abs(ticks - Math.round(ticks)) <= grid.tolerance;
}

/**
 * Whether `info` is a Matroska source whose video packets do not keep to its nominal frame rate (see the module
 * notes), so that its frames must keep their own times. Packets without times are left out; a source with none, or
 * whose listing fails, is taken as off the grid (exact times are always right, only less compact in .mp4/.mov).
 */
export async function framesOffNominalGrid(info: MediaInfo, setup: FfmpegSetup, signal?: AbortSignal): Promise<boolean> {
  if (!(info.kind === 'video' && NOMINAL_RATE_CONTAINERS.test(info.container))) return false;
  return !(await packetsKeepToGrid(info, setup, signal));
}

async function packetsKeepToGrid(info: MediaInfo, setup: FfmpegSetup, signal?: AbortSignal): Promise<boolean> {
  const grid = frameGrid(parseRational(info.video.frameRate), parseRational(info.video.timeBase));
  if (!(grid.num > 0 && grid.den > 0)) return false;
  let stdout: Buffer;
  try {
    ({ stdout } = await runProcess(
      setup.ffprobe.path,
      ['-v', 'error', '-select_streams', `${info.video.index}`, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', info.path],
      { label: `ffprobe (reading ${info.path}'s frame times)`, signal },
    ));
  } catch (error) {
    if (signal?.aborted) throw error;
    return false;
  }
  let seen = 0;
  for (const line of stdout.toString('utf8').split('\n')) {
    const text = line.trim().replace(/,$/, '');
    if (text === '' || text === 'N/A') continue;
    const t = Number(text);
    if (!Number.isFinite(t)) continue;
    if (!onGrid(t, grid)) return false;
    seen++;
  }
  return seen > 0;
}
