/**
 * A small JPEG of the analysed picture for the report, decoded, scaled and encoded by the media layer (ffmpeg), and
 * embedded in the page as a `data:` URI so that the report stays one self-contained file.
 * @internal
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFrames, writeFrames } from '../media/index.js';
import type { Frame } from '../media/index.js';

/** A picture embedded in the report. */
export interface Thumbnail {
  /** `data:image/jpeg;base64,…` */
  readonly dataUri: string;
  readonly width: number;
  readonly height: number;
  /** Time of the frame in the input, seconds from its first frame (0 for a still). */
  readonly time: number;
}

/** Options of {@link makeThumbnail}. */
export interface ThumbnailOptions {
  /** Size of the input's picture. */
  width: number;
  height: number;
  /** Read as displayed (turned by the file's display rotation), as the analysis did unless it read it as stored. Default true. */
  displayed?: boolean;
  /** Seconds from the start of the input (videos): the frame shown. */
  time?: number;
  /** Bounding box of the thumbnail, pixels (default 480 x 360); never enlarged. */
  maxWidth?: number;
  maxHeight?: number;
  signal?: AbortSignal;
}

/** Even size within the box, aspect kept, never larger than the source. */
export function thumbnailSize(width: number, height: number, maxWidth: number, maxHeight: number): { width: number; height: number } {
  const factor = Math.min(1, maxWidth / width, maxHeight / height);
  const even = (v: number) => Math.max(2, 2 * Math.round((v * factor) / 2));
  return { width: even(width), height: even(height) };
}

/** Decode one frame of `input` at `time`, scaled into the box, and return it as an embedded JPEG. */
export async function makeThumbnail(input: string, options: ThumbnailOptions): Promise<Thumbnail> {
  const size = thumbnailSize(options.width, options.height, options.maxWidth ?? 480, options.maxHeight ?? 360);
  const time = options.time !== undefined && options.time > 0 ? options.time : 0;
  const dir = await mkdtemp(join(tmpdir(), 'reelmark-thumbnail-'));
  try {
    const output = join(dir, 'thumbnail.jpg');
    // As displayed, as the analysis read it (its geometry is drawn over this picture).
    const frames = readFrames(input, { ...size, displayed: options.displayed ?? true, start: time > 0 ? time : undefined, maxFrames: 1, signal: options.signal });
    async function* first(): AsyncGenerator<Frame> {
      for await (const frame of frames) {
        yield frame;
        return;
      }
    }
    const written = await writeFrames(first(), output, { codec: 'mjpeg', signal: options.signal });
    if (written.frames !== 1) throw new Error(`${input}: no frame could be decoded at ${time.toFixed(2)} s for the report's picture`);
    const bytes = await readFile(output);
    return { dataUri: `data:image/jpeg;base64,${bytes.toString('base64')}`, width: size.width, height: size.height, time };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
