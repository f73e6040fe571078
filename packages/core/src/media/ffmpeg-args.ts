/**
 * Argument spellings that differ between ffmpeg releases. Everything that depends on the version of the binary
 * is decided here.
 */
import type { FfmpegSetup } from './ffmpeg-binaries.js';

/** Whether the ffmpeg in use is release `major.minor` or later (false when its release is unknown). */
export function releaseAtLeast(setup: FfmpegSetup, major: number, minor: number): boolean {
  const release = setup.ffmpeg.release;
  if (!release) return false;
  const [a, b] = release.split('.').map(Number);
  return a > major || (a === major && (b ?? 0) >= minor);
}

/** Keep every frame with its own timestamp (no duplication or dropping to a constant rate). */
export function passthroughTimingArgs(setup: FfmpegSetup): string[] {
  // -fps_mode replaced -vsync in 5.1; older builds only know -vsync.
  return releaseAtLeast(setup, 5, 1) ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
}

/** Encode in the time base of the input stream, so timestamps are not rounded to 1/frame rate. */
export function inputTimeBaseArgs(setup: FfmpegSetup): string[] {
  // 7.0 names the value 'demux'; earlier releases use -1 for the same meaning.
  return ['-enc_time_base', releaseAtLeast(setup, 7, 0) ? 'demux' : '-1'];
}

/**
 * Where the display rotation goes in a stream-copy pass (counter-clockwise degrees): ffmpeg 6.1 and later take it as
 * the input option `-display_rotation` (7.x ignores the old `rotate` tag); earlier releases as the `rotate` tag.
 */
export function rotationArgs(setup: FfmpegSetup, degrees: number): { input: string[]; output: string[] } {
  return releaseAtLeast(setup, 6, 1)
    ? { input: ['-display_rotation:v:0', String(degrees)], output: [] }
    : { input: [], output: ['-metadata:s:v:0', `rotate=${degrees}`] };
}

/** Options every ffmpeg run starts with: no banner, no keyboard interaction, errors only on stderr. */
export function commonArgs(): string[] {
  return ['-hide_banner', '-nostdin', '-loglevel', 'error'];
}

/** A path as an ffmpeg URL that is never mistaken for a protocol (`a:b.mp4`) or an option. */
export function fileUrl(absPath: string): string {
  return `file:${absPath}`;
}
