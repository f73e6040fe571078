/**
 * How the block mask is interpolated to pixels: for every pixel column and every frame row, the block (column or
 * row) whose centre lies before it and the weight towards the next one. It depends only on the frame size, so the
 * embedder computes it once and every frame (TypeScript rows or the WebAssembly kernel) reads the same tables,
 * which keeps the two paths bit-identical.
 */
import type { BlockMask } from './mask.js';

export class MaskLayout {
  /** [width] the block column left of each pixel's centre (clamped at the edges). */
  readonly columnBlock: Int32Array;
  /** [width] f32: the pixel's weight towards block column columnBlock + 1 (0 at the clamped edges). */
  readonly columnWeight: Float32Array;
  /** [height] the block row above each frame row's centre (clamped at the edges). */
  readonly rowBlock: Int32Array;
  /** [height] the frame row's weight towards the block row below, in 1/256: 0..252 (block sizes are <= 32), always below 256. */
  readonly rowWeight: Int32Array;

  constructor(mask: BlockMask) {
    const { width, height, block, cols, rows } = mask;
    this.columnBlock = new Int32Array(width);
    this.columnWeight = new Float32Array(width);
    for (let x = 0; x < width; x++) {
      const fx = blockCoordinate(x, block, cols);
      this.columnBlock[x] = Math.floor(fx);
      this.columnWeight[x] = fx - Math.floor(fx);
    }
    this.rowBlock = new Int32Array(height);
    this.rowWeight = new Int32Array(height);
    for (let y = 0; y < height; y++) {
      const fy = blockCoordinate(y, block, rows);
      this.rowBlock[y] = Math.floor(fy);
      this.rowWeight[y] = Math.round((fy - Math.floor(fy)) * 256);
    }
  }
}

/**
 * Pixel `i`'s centre in block units measured from the first block's centre, clamped to [0, count - 1]: its integer
 * part is the block before it, its fraction the weight towards the next.
 */
function blockCoordinate(i: number, block: number, count: number): number {
  const f = (i + 0.5 - block / 2) / block;
  if (f < 0) return 0;
  return Math.floor(f) >= count - 1 ? count - 1 : f;
}
