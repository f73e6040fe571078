/**
 * DNxHD (unlike DNxHR) takes only the bitrates it defines for each frame size, scan, frame rate and bit depth (36, 115,
 * 120, 145, 175, 185, 220 Mbps at 1080p, ...), and a container's measured rate is never exactly one of them (a
 * 1080p25 DNxHD 120 file measures 121.2 Mbps). ffmpeg's encoder lists its profiles when refused; the listed rates of the
 * source's size, scan and depth are tried, nearest the source's first, until the encoder opens.
 */
import { FfmpegError } from '../errors.js';
import type { FfmpegSetup } from './ffmpeg-binaries.js';
import { startProcess } from './ffmpeg-process.js';
import type { MediaInfo } from './probe.js';

/** The encoder's trial command: one blank frame of the source's geometry at `mbps`. */
function trialArgs(source: MediaInfo, pixelFormat: string, interlaced: boolean, mbps: number): string[] {
  const rate = source.video.frameRate && source.video.frameRate !== '0/1' ? source.video.frameRate : '25';
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-f', 'lavfi', '-i', `nullsrc=s=${source.width}x${source.height}:r=${rate}`,
    '-frames:v', '1', '-pix_fmt', pixelFormat, '-c:v', 'dnxhd', '-profile:v', 'dnxhd', '-b:v', `${mbps}M`,
    ...(interlaced ? ['-flags', '+ildct'] : []),
    '-f', 'null', '-',
  ];
}

/** Whether the encoder opens for this trial, and all it said (its list of profiles runs to about 60 lines). */
async function opens(setup: FfmpegSetup, args: string[], signal?: AbortSignal): Promise<{ ok: boolean; stderr: string }> {
  const proc = startProcess(setup.ffmpeg.path, args, { label: 'ffmpeg (DNxHD bitrate trial)', signal });
  try {
    await proc.done;
    return { ok: true, stderr: '' };
  } catch (err) {
    if (err instanceof FfmpegError && err.signal === null) return { ok: false, stderr: proc.stderrTail(1000) };
    throw err;
  }
}

/**
 * The DNxHD bitrate (Mbps) for an encode of `source` in `pixelFormat`: of those DNxHD defines for its size, scan and
 * depth that the encoder accepts at its frame rate, the nearest to the source's measured rate (the video stream's, or
 * the file's); the highest when neither is known. Undefined when none is accepted.
 */
export async function dnxhdBitrate(source: MediaInfo, pixelFormat: string, interlaced: boolean, setup: FfmpegSetup, signal?: AbortSignal): Promise<number | undefined> {
  // A bitrate no profile has: the encoder refuses it and lists its profiles.
  const listing = await opens(setup, trialArgs(source, pixelFormat, interlaced, 1), signal);
  if (listing.ok) return undefined;
  const depth = /10/.test(pixelFormat) ? 'yuv422p10' : pixelFormat;
  const scan = interlaced ? 'i' : 'p';
  const listed = new Set<number>();
  for (const m of listing.stderr.matchAll(/Frame size: (\d+)x(\d+)([pi]); bitrate: (\d+)Mbps; pixel format: (\w+)/g)) {
    if (Number(m[1]) === source.width && Number(m[2]) === source.height && m[3] === scan && m[5] === depth) listed.add(Number(m[4]));
  }
  const measured = source.video.bitRate ?? source.bitRate;
  const order = [...listed].sort((a, b) => (measured ? Math.abs(Math.log(a / (measured / 1e6))) - Math.abs(Math.log(b / (measured / 1e6))) : b - a));
  for (const mbps of order) {
    if ((await opens(setup, trialArgs(source, pixelFormat, interlaced, mbps), signal)).ok) return mbps;
  }
  return undefined;
}
