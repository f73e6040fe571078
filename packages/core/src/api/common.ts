/**
 * Helpers shared by the video/still API: option checks for keys and IDs, the library version string that reports
 * carry, and the input fingerprint (SHA-256) that ties a report to the exact file analysed.
 * @internal
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { AbortError, InputError } from '../errors.js';
import { invalid } from '../validate.js';
import { isWatermarkKey, type WatermarkKey } from '../watermark/key.js';
import { MAX_ID } from '../watermark/payload.js';
import { WatermarkDetector } from '../watermark/detector.js';
import { displaySize } from '../media/index.js';
import type { MediaInfo } from '../media/index.js';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** `reelmark x.y.z`: the library release that produced a report. */
export const VERSION_STRING = `reelmark ${manifest.version}`;

export function assertKey(value: unknown, name: string): asserts value is WatermarkKey {
  if (!isWatermarkKey(value)) invalid(name, 'a WatermarkKey (from createKey or loadKey)', value);
}

export function assertId(value: unknown, name: string): asserts value is bigint {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_ID) invalid(name, `a bigint ID from 0 to ${MAX_ID}`, value);
}

/** SHA-256 of a file, hex. Streams the file, so a feature-length leak costs I/O, not memory. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const onAbort = () => stream.destroy(new AbortError());
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const chunk of stream) hash.update(chunk as Buffer);
  } catch (error) {
    if (error instanceof AbortError) throw error;
    throw new InputError(`${path}: cannot read input (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, path, { cause: error });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return hash.digest('hex');
}

/**
 * Refuses a picture too small for its mark to be found, at its size as displayed (marked and read so): reading one
 * (`WatermarkDetector.canRead`) cannot find anything, and marking one (`WatermarkDetector.canReadBack`: the embedded
 * tile period must be among those the detector searches) would deliver a copy that cannot be traced.
 */
export function assertReadableSize(info: Pick<MediaInfo, 'path' | 'width' | 'height' | 'rotation'>, use: 'mark' | 'read'): void {
  const { path } = info;
  const { width, height } = displaySize(info.width, info.height, info.rotation);
  if (use === 'read' ? WatermarkDetector.canRead(width, height) : WatermarkDetector.canReadBack(width, height)) return;
  const limits = WatermarkDetector.sizeLimits(height);
  const minHeight = use === 'read' ? limits.readHeight : limits.markHeight;
  const minWidth = use === 'read' ? limits.readWidth : limits.markWidth;
  const why = height < minHeight ? `at least ${minHeight} pixels tall` : `at least ${minWidth} pixels wide at this height`;
  const what = use === 'mark' ? 'to carry a mark that can be read back' : 'to read a mark from';
  throw new InputError(`${path}: ${width}x${height} is too small ${what} (${why})`, path);
}

/** Throw AbortError if `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError();
}
