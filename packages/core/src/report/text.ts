/**
 * Formatting for the report: HTML escaping, numbers and probabilities for people, sizes, shell quoting.
 * @internal
 */

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * Plain text to HTML: escaped, with `10^N` written as a superscript power (the report's sentences are kept as plain
 * text, for the JSON report, and typeset here).
 */
export function textToHtml(text: string): string {
  return escapeHtml(text).replace(/10\^(-?\d+|N)/g, '10<sup>$1</sup>');
}

/** A probability for people: `3.1e-16`, `0.00042`, `0.37`, `1`. */
export function formatProbability(p: number): string {
  if (p === 0) return '0';
  if (p >= 1) return '1';
  if (p <= 1e-300) return '≤ 1e-300';
  if (p < 1e-3) return p.toExponential(1);
  return String(Number(p.toPrecision(2)));
}

/** A probability from its log10 (exact where the number itself underflows): `5.0e-413`. */
export function formatLog10Probability(log10p: number): string {
  if (log10p >= -3) return formatProbability(10 ** log10p);
  let exponent = Math.floor(log10p);
  let mantissa = 10 ** (log10p - exponent);
  if (Number(mantissa.toFixed(1)) >= 10) {
    mantissa /= 10;
    exponent += 1;
  }
  return `${mantissa.toFixed(1)}e${exponent}`;
}

/**
 * "1 in 10^N" for a probability given as log10 (exact, never underflowing): the largest N with p < 10^-N, so that
 * the phrase is never stronger than the number. Returns N.
 */
export function powerBelow(log10p: number): number {
  // Rounded to 1e-9 first so that exactly 1e-9 gives 9 (and not 8 from -8.999999999999998).
  return Math.max(0, Math.floor(-Math.round(log10p * 1e9) / 1e9));
}

/** Bytes for people, with the exact count: `12.3 MB (12 345 678 bytes)`. */
export function formatBytes(bytes: number): string {
  const exact = `${bytes.toLocaleString('en-US')} bytes`;
  if (bytes < 1000) return exact;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]} (${exact})`;
}

/** Seconds for people: `42.04 s (0:42.04)` above a minute, `4.00 s` below. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds - 3600 * h - 60 * m;
  const clock = `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${s.toFixed(2).padStart(5, '0')}`;
  return `${seconds.toFixed(2)} s (${clock})`;
}

/** An exact rational frame rate for people: `23.976 fps (24000/1001)`. */
export function formatFrameRate(rate: string | null): string {
  if (rate === null) return 'n/a';
  const [num, den = '1'] = rate.split('/');
  const value = Number(num) / Number(den);
  if (!Number.isFinite(value) || value <= 0) return rate;
  const shown = Number(value.toFixed(3));
  return den === '1' ? `${shown} fps` : `${shown} fps (${rate})`;
}

/** A UTC time for people: `2025-01-31 10:00:00 UTC`. */
export function formatUtc(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Quote one argument for a POSIX shell, only when needed. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line for a POSIX shell. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** A number with at most `digits` decimals, trailing zeros dropped. */
export function round(value: number, digits = 3): string {
  return String(Number(value.toFixed(digits)));
}
