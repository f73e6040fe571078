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
    const half = block / 2;
    this.columnBlock = new Int32Array(width);
    this.columnWeight = new Float32Array(width);
    for (let x = 0; x < width; x++) {
      let fx = (x + 0.5 - half) / block;
      if (fx < 0) fx = 0;
      let bx = Math.floor(fx);
      if (bx >= cols - 1) {
        bx = cols - 1;
        fx = bx;
      }
      this.columnBlock[x] = bx;
      this.columnWeight[x] = fx - bx;
    }
    this.rowBlock = new Int32Array(height);
    this.rowWeight = new Int32Array(height);
    for (let y = 0; y < height; y++) {
      let fy = (y + 0.5 - half) / block;
      if (fy < 0) fy = 0;
      let by = Math.floor(fy);
      if (by >= rows - 1) {
        by = rows - 1;
        fy = by;
      }
      this.rowBlock[y] = by;
      this.rowWeight[y] = Math.round((fy - by) * 256);
    }
  }
}
