/**
 * Whether a Matroska source's frames keep to its nominal rate. Matroska stores no average rate: ffprobe reports the
 * track's default frame duration as both its rates, so a variable-rate MKV (a screen recording, frames dropped by a
 * `select`, an ffmpeg 4.x remux whose B-frame times are rounded to the millisecond off the grid) looks
 * constant-rate. Frames sent to the encoder on a grid they do not keep would stop the encode ("off the grid") or
 * lose their times. The packets' times settle it: listing them demuxes the file without decoding it (a few seconds
 * for a feature film), and every one must lie within half a time-base tick of `first + k / rate`.
 */
import { runProcess } from './ffmpeg-process.js';
import type { FfmpegSetup } from './ffmpeg-binaries.js';
import type { MediaInfo } from './probe.js';

/** Containers whose reported frame rate is a default duration, not a measure of the frames. */
const NOMINAL_RATE_CONTAINERS = /(^|,)(matroska|webm)(,|$)/;

/** Whether `info`'s rate has to be checked against its packets before frames are sent on its grid. */
export function rateIsNominal(info: MediaInfo): boolean {
  return info.kind === 'video' && NOMINAL_RATE_CONTAINERS.test(info.container);
}

/** Whether every time in `times` (seconds, any order) lies on `first + k / rate`, within `tolerance` seconds. */
export function keepsToGrid(times: readonly number[], rate: number, tolerance: number): boolean {
  if (!(rate > 0) || times.length === 0) return false;
  let first = Infinity;
  for (const t of times) if (t < first) first = t;
  for (const t of times) {
    const k = (t - first) * rate;
    if (Math.abs(k - Math.round(k)) / rate > tolerance) return false;
  }
  return true;
}

/**
 * Whether the video packets of `info` keep to its frame rate (see the module notes). A source whose packets carry
 * no times cannot be checked, and is taken as off the grid (its frames then keep their own times).
 */
export async function packetsKeepToGrid(info: MediaInfo, setup: FfmpegSetup, signal?: AbortSignal): Promise<boolean> {
  const [num, den] = info.video.frameRate.split('/').map(Number);
  const rate = den ? num / den : num;
  const [tbNum, tbDen] = info.video.timeBase.split('/').map(Number);
  const tolerance = (tbDen ? (0.5 * tbNum) / tbDen : 0) + 1e-6;
  const { stdout } = await runProcess(
    setup.ffprobe.path,
    ['-v', 'error', '-select_streams', `${info.video.index}`, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', info.path],
    { label: `ffprobe (reading ${info.path}'s frame times)`, signal },
  );
  const times = stdout
    .toString('utf8')
    .split('\n')
    .map((line) => line.trim().replace(/,$/, ''))
    .filter((line) => line !== '' && line !== 'N/A')
    .map(Number)
    .filter(Number.isFinite);
  return keepsToGrid(times, rate, tolerance);
}
