/**
 * Luma PSNR of marked frames against their source frames, measured on the fly: the source rows are copied into one
 * reusable buffer before the embedder writes, and the squared error is summed after. Cost: one copy and one pass over
 * the luma plane per frame.
 * @internal
 */
import type { LumaPlane } from '../watermark/index.js';

export class LumaDistortion {
  #before: Uint8Array | Uint16Array | null = null;
  #sumSquared = 0; // sum over all frames of (marked - source)^2, in code values of each frame's bit depth, normalised to peak^2 = 1
  #samples = 0;
  #worstFrameMse = 0; // normalised as above
  /** Frames measured. */
  frames = 0;

  /** Keep a copy of the plane before it is marked. */
  before(luma: LumaPlane): void {
    const { data, width, height, stride } = luma;
    const size = width * height;
    if (!this.#before || this.#before.length !== size || this.#before.constructor !== data.constructor) {
      this.#before = data instanceof Uint16Array ? new Uint16Array(size) : new Uint8Array(size);
    }
    const copy = this.#before;
    if (stride === width) copy.set(data.subarray(0, size));
    else for (let y = 0; y < height; y++) copy.set(data.subarray(y * stride, y * stride + width), y * width);
  }

  /** Compare the marked plane with the copy taken by `before`. */
  after(luma: LumaPlane): void {
    const copy = this.#before;
    if (!copy) return;
    const { data, width, height, stride, bitDepth } = luma;
    let sum = 0;
    if (stride === width) {
      const size = width * height;
      for (let i = 0; i < size; i++) {
        const d = data[i] - copy[i];
        sum += d * d;
      }
    } else {
      for (let y = 0; y < height; y++) {
        const row = y * stride;
        const copyRow = y * width;
        for (let x = 0; x < width; x++) {
          const d = data[row + x] - copy[copyRow + x];
          sum += d * d;
        }
      }
    }
    const peak = (1 << bitDepth) - 1;
    const mse = sum / (width * height) / (peak * peak);
    this.#sumSquared += mse * width * height;
    this.#samples += width * height;
    if (mse > this.#worstFrameMse) this.#worstFrameMse = mse;
    this.frames++;
  }

  /** PSNR in dB over all frames measured (Infinity when nothing changed, null when no frame was measured). */
  get psnr(): number | null {
    if (this.#samples === 0) return null;
    return toPsnr(this.#sumSquared / this.#samples);
  }

  /** PSNR of the most changed frame, in dB. */
  get psnrWorstFrame(): number | null {
    if (this.frames === 0) return null;
    return toPsnr(this.#worstFrameMse);
  }
}

function toPsnr(normalisedMse: number): number {
  return normalisedMse === 0 ? Number.POSITIVE_INFINITY : -10 * Math.log10(normalisedMse);
}
