/**
 * The candidates' joint peak (`WatermarkDetector` test (ii)): where a candidate's whole mark correlates best, i.e. the
 * index of the maximum over the 128 x 128 positions of its joint surface, the reference tile's z surface plus each
 * payload tile's shifted by the candidate's symbol, with the mark's weights. Per sync the detector loads the six
 * standardised surfaces once, then asks for every candidate's peak: in a WebAssembly kernel (joint.wat, two positions
 * per step, each payload row stored twice so that shifted rows are read without wrapping) where the runtime has it,
 * otherwise in the TypeScript loop below. Both sum each position in the same order (reference, then tiles 1 to 5), so
 * they give the same sums to the bit and the same peak (the first, on a tie).
 */
import { CELLS, PAYLOAD_TILES, PAYLOAD_WEIGHT, REF_WEIGHT, type Shift } from './pattern.js';
import { jointWasm } from './kernels/joint-wasm.js';
import { compiledModule, instantiate, type WasmMemory } from './kernels/wasm-runtime.js';

interface JointExports {
  memory: WasmMemory;
  peak(shifts: number, referenceWeight: number, payloadWeight: number): number;
}

const N2 = CELLS * CELLS;
/**
 * The kernel's memory (joint.wat), in f64 elements: the reference surface at 0; payload tile t (1 to 5) at
 * TILE_BASE + (t - 1) * TILE_SIZE, each row written twice over (2 * CELLS values) so that a shifted row needs no wrap.
 */
const TILE_BASE = N2;
const TILE_SIZE = 2 * N2;
/** Byte offset of the ten shift values, after the surfaces. */
const SHIFTS = (TILE_BASE + PAYLOAD_TILES * TILE_SIZE) * 8;

/**
 * The joint peak in TypeScript: one pass, each position summed in the order of the weights, without storing the
 * surface. (It replaced six passes over a stored surface and a seventh for its maximum: about half the cost.)
 */
export function jointPeak(z: readonly Float64Array[], shifts: readonly Shift[]): number {
  const M = CELLS - 1;
  const [reference, a, b, c, d, e] = z;
  const [sa, sb, sc, sd, se] = shifts;
  let best = -Infinity;
  let bestI = 0;
  for (let y = 0; y < CELLS; y++) {
    const row = y * CELLS;
    const ra = ((y + sa.dy) & M) * CELLS;
    const rb = ((y + sb.dy) & M) * CELLS;
    const rc = ((y + sc.dy) & M) * CELLS;
    const rd = ((y + sd.dy) & M) * CELLS;
    const re = ((y + se.dy) & M) * CELLS;
    for (let x = 0; x < CELLS; x++) {
      let v = REF_WEIGHT * reference[row + x];
      v += PAYLOAD_WEIGHT * a[ra + ((x + sa.dx) & M)];
      v += PAYLOAD_WEIGHT * b[rb + ((x + sb.dx) & M)];
      v += PAYLOAD_WEIGHT * c[rc + ((x + sc.dx) & M)];
      v += PAYLOAD_WEIGHT * d[rd + ((x + sd.dx) & M)];
      v += PAYLOAD_WEIGHT * e[re + ((x + se.dx) & M)];
      if (v > best) {
        best = v;
        bestI = row + x;
      }
    }
  }
  return bestI;
}

/** Joint peaks of many candidates over the same six surfaces: load them once, then ask for each candidate's peak. */
export class JointPeaks {
  /** The kernel's exports and views on its memory (the surfaces, a candidate's shifts); null: the TypeScript loop. */
  private readonly kernel: { exports: JointExports; surfaces: Float64Array; shifts: Int32Array } | null;
  private loaded: readonly Float64Array[] = [];

  /** `simd: false` forces the TypeScript loop. */
  constructor(simd = true) {
    if (PAYLOAD_TILES !== 5) throw new Error('joint-peak.ts is written out for five payload tiles');
    const module = simd ? compiledModule(jointWasm) : null;
    if (!module) {
      this.kernel = null;
      return;
    }
    const exports = instantiate<JointExports>(module);
    // The module declares the memory it needs (23 pages), so these views are never detached.
    const { buffer } = exports.memory;
    this.kernel = { exports, surfaces: new Float64Array(buffer, 0, SHIFTS / 8), shifts: new Int32Array(buffer, SHIFTS, 2 * PAYLOAD_TILES) };
  }

  /** Whether the WebAssembly kernel is in use. */
  get wasm(): boolean {
    return this.kernel !== null;
  }

  /** The six standardised surfaces (index 0 the reference) of the sync whose peaks are asked for next. */
  load(z: readonly Float64Array[]): void {
    this.loaded = z;
    if (!this.kernel) return;
    const { surfaces } = this.kernel;
    surfaces.set(z[0], 0);
    for (let t = 1; t <= PAYLOAD_TILES; t++) {
      const base = TILE_BASE + (t - 1) * TILE_SIZE;
      for (let y = 0; y < CELLS; y++) {
        const row = z[t].subarray(y * CELLS, (y + 1) * CELLS);
        surfaces.set(row, base + 2 * y * CELLS);
        surfaces.set(row, base + (2 * y + 1) * CELLS);
      }
    }
  }

  /** The index of the maximum of the joint surface of the candidate whose payload tiles have `shifts`. */
  peak(shifts: readonly Shift[]): number {
    const { kernel } = this;
    if (!kernel) return jointPeak(this.loaded, shifts);
    for (let t = 0; t < PAYLOAD_TILES; t++) {
      kernel.shifts[2 * t] = shifts[t].dx;
      kernel.shifts[2 * t + 1] = shifts[t].dy;
    }
    return kernel.exports.peak(SHIFTS, REF_WEIGHT, PAYLOAD_WEIGHT);
  }
}
