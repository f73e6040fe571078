/**
 * The fold's spectrum over its local level (local-spectrum.ts): what it computes, and that it carries more of a weak
 * mark's evidence than the phase-only spectrum it replaced.
 */
import { describe, expect, test } from 'vitest';
import { LOCAL_SPECTRUM_CLIP, LOCAL_SPECTRUM_RADIUS, LocalSpectrum } from '../../packages/core/src/watermark/local-spectrum.js';
import { bandMask, bandReach, CELLS, signedFrequency } from '../../packages/core/src/watermark/pattern.js';
import { gaussian, prng } from './synthetic.js';

const N2 = CELLS * CELLS;
const { band } = bandMask();

/** Radial frequency of coefficient i, in cells. */
function radius(i: number): number {
  return Math.hypot(signedFrequency(i % CELLS, CELLS), signedFrequency(Math.floor(i / CELLS), CELLS));
}

describe('local spectral level', () => {
  test('divides each in-band coefficient by the RMS magnitude around it, keeps its phase, and zeroes the rest', () => {
    const random = prng(3);
    const re = new Float64Array(N2);
    const im = new Float64Array(N2);
    // Magnitude 3 below radius 15 and 0.5 above it, random phases; garbage outside the band, which must not be read.
    for (let i = 0; i < N2; i++) {
      const angle = 2 * Math.PI * random();
      const m = band[i] ? (radius(i) < 15 ? 3 : 0.5) : 1e6;
      re[i] = m * Math.cos(angle);
      im[i] = m * Math.sin(angle);
    }
    const outRe = new Float64Array(N2).fill(NaN);
    const outIm = new Float64Array(N2).fill(NaN);
    new LocalSpectrum(band).normalise(re, im, outRe, outIm);
    let inside = 0;
    for (let i = 0; i < N2; i++) {
      if (!band[i]) {
        // Written as zero where the band reaches along both axes, else untouched.
        if (!Number.isNaN(outRe[i])) expect([outRe[i], outIm[i]]).toEqual([0, 0]);
        continue;
      }
      // Away from the step at radius 15 every coefficient of a window has the same magnitude: the output is unit.
      const r = radius(i);
      if (Math.abs(r - 15) > 3) {
        expect(Math.hypot(outRe[i], outIm[i])).toBeCloseTo(1, 10);
        inside++;
      }
      // The phase is kept.
      expect(Math.atan2(outIm[i], outRe[i])).toBeCloseTo(Math.atan2(im[i], re[i]), 10);
    }
    expect(inside).toBeGreaterThan(1000);
  });

  test('is the RMS magnitude of the in-band coefficients in the 5 x 5 window, itself included, clipped at 2.5', () => {
    // Against a direct computation on a spectrum whose level varies strongly from one coefficient to the next.
    expect(LOCAL_SPECTRUM_RADIUS).toBe(2);
    expect(LOCAL_SPECTRUM_CLIP).toBe(2.5);
    const random = prng(7);
    const re = new Float64Array(N2);
    const im = new Float64Array(N2);
    for (let i = 0; i < N2; i++) {
      const level = band[i] ? Math.exp(3 * random()) : 1e6;
      re[i] = level * gaussian(random);
      im[i] = level * gaussian(random);
    }
    const outRe = new Float64Array(N2);
    const outIm = new Float64Array(N2);
    new LocalSpectrum(band).normalise(re, im, outRe, outIm);
    let clipped = 0;
    for (let i = 0; i < N2; i++) {
      if (!band[i]) continue;
      const y = Math.floor(i / CELLS);
      const x = i % CELLS;
      let power = 0;
      let n = 0;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const j = ((y + dy + CELLS) % CELLS) * CELLS + ((x + dx + CELLS) % CELLS);
          if (!band[j]) continue;
          power += re[j] * re[j] + im[j] * im[j];
          n++;
        }
      }
      const magnitude = Math.hypot(re[i], im[i]);
      const scale = Math.min(1 / Math.sqrt(power / n), 2.5 / magnitude);
      if (2.5 / magnitude < 1 / Math.sqrt(power / n)) clipped++;
      expect(outRe[i]).toBeCloseTo(re[i] * scale, 9);
      expect(outIm[i]).toBeCloseTo(im[i] * scale, 9);
    }
    expect(clipped).toBeGreaterThan(10);
  });

  test('zeroes the columns a reader of four-column groups also reads (the SIMD kernel), in every row the band reaches', () => {
    const re = new Float64Array(N2).fill(1);
    const im = new Float64Array(N2);
    const outRe = new Float64Array(N2).fill(NaN);
    const outIm = new Float64Array(N2).fill(NaN);
    new LocalSpectrum(band, 4).normalise(re, im, outRe, outIm);
    const reach = bandReach(band);
    const groupEnd = 4 * Math.ceil((reach + 1) / 4);
    const groupStart = 4 * Math.floor((CELLS - reach) / 4);
    for (let row = 0; row < CELLS; row++) {
      if (Math.min(row, CELLS - row) > reach) continue;
      for (let column = 0; column < CELLS; column++) {
        if (column >= groupEnd && column < groupStart) continue;
        expect(Number.isFinite(outRe[row * CELLS + column]) && Number.isFinite(outIm[row * CELLS + column])).toBe(true);
      }
    }
    expect(groupEnd - 1).toBeGreaterThan(reach); // the groups do reach past the band here
  });

  test('clips a coefficient far above its neighbours', () => {
    const re = new Float64Array(N2);
    const im = new Float64Array(N2);
    for (let i = 0; i < N2; i++) re[i] = band[i] ? 1 : 0;
    const spike = 20 * CELLS + 5; // fy 20, fx 5: in the band
    expect(band[spike]).toBe(1);
    re[spike] = -1000;
    const outRe = new Float64Array(N2);
    const outIm = new Float64Array(N2);
    new LocalSpectrum(band).normalise(re, im, outRe, outIm);
    expect(outRe[spike]).toBeCloseTo(-LOCAL_SPECTRUM_CLIP, 10);
    // Its neighbours' level is raised by it: they fall far below 1.
    expect(Math.abs(outRe[spike + 1])).toBeLessThan(0.1);
  });

  test('reads a spectrum held transposed the same way (the SIMD kernel holds them [fx][fy])', () => {
    const random = prng(5);
    const re = new Float64Array(N2).map(() => gaussian(random));
    const im = new Float64Array(N2).map(() => gaussian(random));
    const transpose = (a: Float64Array) => {
      const t = new Float64Array(N2);
      for (let y = 0; y < CELLS; y++) for (let x = 0; x < CELLS; x++) t[x * CELLS + y] = a[y * CELLS + x];
      return t;
    };
    const local = new LocalSpectrum(band);
    const [aRe, aIm, bRe, bIm] = [0, 1, 2, 3].map(() => new Float64Array(N2));
    local.normalise(re, im, aRe, aIm);
    local.normalise(transpose(re), transpose(im), bRe, bIm);
    // The same sums in another order: equal to rounding.
    const [tRe, tIm] = [transpose(bRe), transpose(bIm)];
    for (let i = 0; i < N2; i++) {
      expect(tRe[i]).toBeCloseTo(aRe[i], 12);
      expect(tIm[i]).toBeCloseTo(aIm[i], 12);
    }
  });

  test('carries about 11% more of a weak mark\'s evidence than the phase-only spectrum, in noise whose level varies', () => {
    // A unit-magnitude keyed spectrum at 0.6 of the lowest noise level, the level rising 5x from the band's low
    // edge to its top and 3x from one side to the other, so that every coefficient is mostly noise. The correlation
    // with the key, over its spread for a random key (sum |Y|^2 / 2), summed over 200 noise draws (z about 4.8 each
    // for the phase-only spectrum). Theory for a weak signal in Gaussian noise with a known level: 1 / (sqrt(pi) / 2)
    // = 1.128; measured here 1.111 (the level is estimated from 5 x 5 coefficients).
    const random = prng(11);
    const key = { re: new Float64Array(N2), im: new Float64Array(N2) };
    for (let i = 0; i < N2; i++) {
      if (!band[i]) continue;
      const angle = 2 * Math.PI * random();
      key.re[i] = Math.cos(angle);
      key.im[i] = Math.sin(angle);
    }
    const local = new LocalSpectrum(band);
    const z = (sRe: Float64Array, sIm: Float64Array) => {
      let t = 0;
      let spread = 0;
      for (let i = 0; i < N2; i++) {
        if (!band[i]) continue;
        t += sRe[i] * key.re[i] + sIm[i] * key.im[i];
        spread += (sRe[i] * sRe[i] + sIm[i] * sIm[i]) / 2;
      }
      return t / Math.sqrt(spread);
    };
    let phaseSum = 0;
    let localSum = 0;
    for (let draw = 0; draw < 200; draw++) {
      const re = new Float64Array(N2);
      const im = new Float64Array(N2);
      for (let i = 0; i < N2; i++) {
        if (!band[i]) continue;
        const fx = signedFrequency(i % CELLS, CELLS);
        const level = (1 + (4 * radius(i)) / 26) * (1.5 + fx / 52);
        re[i] = 0.6 * key.re[i] + level * gaussian(random);
        im[i] = 0.6 * key.im[i] + level * gaussian(random);
      }
      const pRe = new Float64Array(N2);
      const pIm = new Float64Array(N2);
      for (let i = 0; i < N2; i++) {
        const m = Math.hypot(re[i], im[i]);
        if (m > 0) [pRe[i], pIm[i]] = [re[i] / m, im[i] / m];
      }
      const lRe = new Float64Array(N2);
      const lIm = new Float64Array(N2);
      local.normalise(re, im, lRe, lIm);
      phaseSum += z(pRe, pIm);
      localSum += z(lRe, lIm);
    }
    const gain = localSum / phaseSum;
    expect(gain).toBeGreaterThan(1.07);
    expect(gain).toBeLessThan(1.2);
  });
});
