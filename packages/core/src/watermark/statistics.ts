/**
 * Tail probabilities for the detector's decisions, in the log domain so that very small false-alarm probabilities
 * (1e-40 and beyond) are neither rounded to zero nor to one.
 */

/**
 * Natural log of erfc(x), from the Chebyshev-fitted approximation of Numerical Recipes (erfcc; relative error below
 * 1.2e-7 for every x), written in log form so that it never underflows.
 */
export function logErfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z -
    1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const logValue = Math.log(t) + poly;
  return x >= 0 ? logValue : Math.log(2 - Math.exp(logValue));
}

/** Natural log of the standard normal upper tail Q(z) = P(N(0,1) >= z). */
export function logNormalTail(z: number): number {
  return Math.log(0.5) + logErfc(z / Math.SQRT2);
}

/**
 * log10 of a Bonferroni-corrected probability: min(1, trials * Q(z)). `trials` counts every hypothesis the
 * detector searched (positions, scales, looks, candidates or codewords).
 */
export function log10Bonferroni(z: number, trials: number): number {
  const value = (Math.log(trials) + logNormalTail(z)) / Math.LN10;
  return value > 0 ? 0 : value;
}

/** Converts a log10 probability to a number, keeping it above the smallest normal double. */
export function fromLog10(log10p: number): number {
  return log10p < -300 ? 1e-300 : 10 ** log10p;
}

/** The smallest score whose Bonferroni-corrected probability over `trials` is below 10^log10p (bisection). */
export function scoreForProbability(log10p: number, trials: number): number {
  let lo = 0;
  let hi = 60;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (log10Bonferroni(mid, trials) < log10p) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** A number rounded to three decimals, as reports show it. */
export function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
