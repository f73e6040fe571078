/** The statistic every correlation surface is judged by: the peak's height over the spread of the rest. */
import { CELLS } from './pattern.js';

/** Statistics of one correlation surface. */
export interface SurfaceStats {
  /** Index of the maximum, fy * cells + fx (cells: CELLS, or the coarse tile's COARSE_CELLS). */
  peakIndex: number;
  /** (peak - mean) / std, std taken away from the peak's neighbourhood. */
  peakZ: number;
  mean: number;
  std: number;
}

/**
 * Peak and spread of a `cells` x `cells` correlation surface (row-major); the spread excludes a 5 x 5 neighbourhood
 * of the peak.
 */
export function surfaceStats(surface: Float64Array, cells = CELLS): SurfaceStats {
  let peakIndex = 0;
  let peak = -Infinity;
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < cells * cells; i++) {
    const v = surface[i];
    sum += v;
    sum2 += v * v;
    if (v > peak) {
      peak = v;
      peakIndex = i;
    }
  }
  return statsFromSums(surface, sum, sum2, peak, peakIndex, cells);
}

/**
 * Finishes `surfaceStats` from the surface's sum, sum of squares, maximum and the index of the maximum's first
 * occurrence (the scan the SIMD kernel does itself): takes the peak's 5 x 5 neighbourhood out of the spread. The
 * surface is `cells` x `cells`, its rows `pitch` samples apart.
 */
export function statsFromSums(
  surface: Float32Array | Float64Array,
  sum: number,
  sum2: number,
  peak: number,
  peakIndex: number,
  cells = CELLS,
  pitch = cells,
): SurfaceStats {
  const px = peakIndex % cells;
  const py = (peakIndex - px) / cells;
  let exSum = 0;
  let exSum2 = 0;
  let exCount = 0;
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const v = surface[((py + dy + cells) % cells) * pitch + ((px + dx + cells) % cells)];
      exSum += v;
      exSum2 += v * v;
      exCount++;
    }
  }
  const n = cells * cells - exCount;
  const mean = (sum - exSum) / n;
  const variance = (sum2 - exSum2) / n - mean * mean;
  const std = variance > 0 ? Math.sqrt(variance) : 1e-30;
  return { peakIndex, peakZ: (peak - mean) / std, mean, std };
}

