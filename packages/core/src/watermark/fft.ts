/**
 * In-place radix-2 complex FFT over split real/imaginary Float64Arrays, and a square 2D variant.
 *
 * The detector runs hundreds of 128 x 128 transforms per sync search, so twiddles and the bit-reversal table are
 * computed once per size and every call works in caller-owned buffers.
 */

const plans = new Map<number, FftPlan>();

interface FftPlan {
  readonly n: number;
  readonly cos: Float64Array; // [n/2] cos(2 pi k / n)
  readonly sin: Float64Array; // [n/2] sin(2 pi k / n)
  readonly bitrev: Uint32Array; // [n]
}

function planFor(n: number): FftPlan {
  let plan = plans.get(n);
  if (plan) return plan;
  if (n < 2 || (n & (n - 1)) !== 0) throw new RangeError(`FFT size must be a power of two, received ${n}`);
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  const bits = Math.log2(n);
  const bitrev = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    bitrev[i] = r;
  }
  plan = { n, cos, sin, bitrev };
  plans.set(n, plan);
  return plan;
}

/**
 * 1D FFT of `n` points stored at `offset + k * step` in `re`/`im`. `inverse` uses the conjugate twiddles and does
 * not scale (callers scale once at the end).
 */
export function fft1d(re: Float64Array, im: Float64Array, n: number, offset: number, step: number, inverse: boolean): void {
  const { cos, sin, bitrev } = planFor(n);
  for (let i = 0; i < n; i++) {
    const j = bitrev[i];
    if (j > i) {
      const a = offset + i * step;
      const b = offset + j * step;
      const tr = re[a];
      re[a] = re[b];
      re[b] = tr;
      const ti = im[a];
      im[a] = im[b];
      im[b] = ti;
    }
  }
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const tableStep = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * tableStep];
        const wi = sign * sin[k * tableStep];
        const a = offset + (start + k) * step;
        const b = a + half * step;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

/** 2D FFT of an n x n row-major array, in place. The inverse is scaled by 1/n^2. */
export function fft2d(re: Float64Array, im: Float64Array, n: number, inverse = false): void {
  for (let row = 0; row < n; row++) fft1d(re, im, n, row * n, 1, inverse);
  for (let col = 0; col < n; col++) fft1d(re, im, n, col, n, inverse);
  if (inverse) {
    const scale = 1 / (n * n);
    for (let i = 0; i < n * n; i++) {
      re[i] *= scale;
      im[i] *= scale;
    }
  }
}
