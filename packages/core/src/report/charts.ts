/**
 * The report's figures as inline SVG, drawn from the data alone: no library, no script, no external resource, so
 * the page renders the same in any browser, offline, and in print.
 *
 * Evidence is plotted as -log10 of the false-alarm probability ("1 in 10^N"). On that scale the accusation
 * threshold is one fixed line whatever the number of looks or candidates, which the detector's raw scores (z) are
 * not: the Bonferroni factor that turns a score into a probability depends on both. Scores are printed beside the
 * points and bars.
 * @internal
 */
import { escapeHtml, formatProbability, round } from './text.js';

/** Colours shared by the figures and the page. */
export const COLORS = {
  ink: '#1d2330',
  muted: '#5b6472',
  grid: '#e3e7ee',
  evidence: '#1f5fbf',
  accused: '#b03a2e',
  innocent: '#8d99a8',
  threshold: '#b03a2e',
} as const;

const FONT = 'font-family="inherit" fill="#1d2330"';

/**
 * Round tick values from 0 to at least `max` (the last tick is the axis end, never below `max`): steps of 1, 2,
 * 2.5 or 5 times a power of ten, about `target` of them.
 */
export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0];
  const raw = max / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [0];
  for (let k = 1; ticks[ticks.length - 1] < max - step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/** `10^N` as SVG text content (N as a raised, smaller tspan); `1` for N = 0. */
function powerLabel(n: number): string {
  if (n === 0) return '1';
  return `10<tspan dy="-5" font-size="70%">${round(n, 1)}</tspan>`;
}

/** One look of the detector, as plotted. */
export interface EvidencePoint {
  /** Seconds of the leak analysed. */
  time: number;
  frames: number;
  /** The best ID's score (z). */
  score: number;
  /** -log10 of the false-alarm probability at this look. */
  evidence: number;
}

/** Options of {@link evidenceChart}. */
export interface EvidenceChartOptions {
  points: readonly EvidencePoint[];
  /** -log10 of the accusation threshold. */
  threshold: number;
  /** The interval between two looks where the evidence grew fastest, if any. */
  strongest: { from: number; to: number } | null;
}

/** Evidence against seconds of the leak analysed, with the accusation threshold and the fastest-growing interval. */
export function evidenceChart(options: EvidenceChartOptions): string {
  const { points, threshold, strongest } = options;
  const W = 860;
  const H = 330;
  const m = { left: 78, right: 28, top: 30, bottom: 50 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const maxTime = Math.max(...points.map((p) => p.time), 1e-3);
  const maxEvidence = Math.max(...points.map((p) => p.evidence), 0);
  const xTicks = niceTicks(maxTime, 8);
  const xMax = Math.max(maxTime, xTicks[xTicks.length - 1]);
  const yTicks = niceTicks(Math.max(threshold * 1.25, maxEvidence * 1.08), 5);
  const yMax = yTicks[yTicks.length - 1];
  const x = (t: number) => m.left + (t / xMax) * pw;
  const y = (e: number) => m.top + ph - (Math.min(e, yMax) / yMax) * ph;
  const out: string[] = [];
  out.push(
    `<svg data-chart="evidence" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Evidence against seconds of the leak analysed" xmlns="http://www.w3.org/2000/svg" font-size="13">`,
  );
  if (strongest) {
    const x0 = x(strongest.from);
    const x1 = x(strongest.to);
    out.push(`<rect x="${x0.toFixed(1)}" y="${m.top}" width="${Math.max(2, x1 - x0).toFixed(1)}" height="${ph}" fill="${COLORS.evidence}" fill-opacity="0.09"/>`);
    out.push(`<text x="${((x0 + x1) / 2).toFixed(1)}" y="${m.top - 10}" text-anchor="middle" font-size="11" fill="${COLORS.evidence}">evidence grew fastest</text>`);
  }
  for (const v of yTicks) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${COLORS.grid}"/>`);
    out.push(`<text x="${m.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" ${FONT}>${powerLabel(v)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="${COLORS.muted}"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${m.top + ph + 20}" text-anchor="middle" ${FONT}>${round(t, 2)}</text>`);
  }
  out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="${COLORS.muted}"/>`);
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" stroke="${COLORS.muted}"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 8}" text-anchor="middle" ${FONT}>seconds of the leak analysed</text>`);
  out.push(
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" ${FONT}>strength of evidence: 1 in …</text>`,
  );
  // The threshold: above this line an ID is accused.
  const ty = y(threshold);
  out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="${COLORS.threshold}" stroke-width="1.5" stroke-dasharray="7 5"/>`);
  out.push(
    `<text x="${m.left + pw - 4}" y="${(ty - 7).toFixed(1)}" text-anchor="end" font-size="12" fill="${COLORS.threshold}">accusation threshold: 1 in ${powerLabel(threshold)}</text>`,
  );
  // Before the first frame there is no evidence: the line starts at the origin.
  const line = [`${x(0).toFixed(1)},${y(0).toFixed(1)}`, ...points.map((p) => `${x(p.time).toFixed(1)},${y(p.evidence).toFixed(1)}`)].join(' ');
  out.push(`<polyline data-series="evidence" points="${line}" fill="none" stroke="${COLORS.evidence}" stroke-width="3" stroke-linejoin="round"/>`);
  const labelled = points.length <= 12;
  points.forEach((p, i) => {
    const above = p.evidence >= threshold;
    out.push(
      `<circle cx="${x(p.time).toFixed(1)}" cy="${y(p.evidence).toFixed(1)}" r="4.5" fill="${above ? COLORS.accused : COLORS.evidence}" stroke="#fff" stroke-width="1.5"><title>${escapeHtml(
        `${round(p.time, 2)} s, ${p.frames} frames: score ${round(p.score, 2)}, evidence 1 in 10^${round(p.evidence, 1)}`,
      )}</title></circle>`,
    );
    if (labelled || i === points.length - 1) {
      const ly = y(p.evidence) - 10;
      const anchor = x(p.time) > m.left + pw - 40 ? 'end' : 'middle';
      out.push(`<text x="${x(p.time).toFixed(1)}" y="${Math.max(12, ly).toFixed(1)}" text-anchor="${anchor}" font-size="11" fill="${COLORS.muted}">z ${round(p.score, 1)}</text>`);
    }
  });
  out.push('</svg>');
  return out.join('\n');
}

/** One candidate, as plotted. */
export interface CandidateBar {
  /** `acme-vfx (ID 1)` or `ID 1`. */
  label: string;
  score: number;
  /** -log10 of its false-alarm probability. */
  evidence: number;
  falseAlarmProbability: number;
  accused: boolean;
}

/** Every candidate's evidence as a horizontal bar against the accusation threshold. */
export function candidatesChart(options: { bars: readonly CandidateBar[]; threshold: number; hidden: number }): string {
  const { bars, threshold, hidden } = options;
  const W = 860;
  const row = 28;
  const m = { left: 220, right: 210, top: 40, bottom: hidden > 0 ? 46 : 26 };
  const pw = W - m.left - m.right;
  const H = m.top + bars.length * row + m.bottom;
  const maxEvidence = Math.max(...bars.map((b) => b.evidence), 0);
  const ticks = niceTicks(Math.max(threshold * 1.25, maxEvidence * 1.05), 5);
  const xMax = ticks[ticks.length - 1];
  const x = (e: number) => m.left + (Math.min(e, xMax) / xMax) * pw;
  const out: string[] = [];
  out.push(
    `<svg data-chart="candidates" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Evidence for every candidate against the accusation threshold" xmlns="http://www.w3.org/2000/svg" font-size="13">`,
  );
  for (const v of ticks) {
    out.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${m.top - 6}" y2="${m.top + bars.length * row}" stroke="${COLORS.grid}"/>`);
    out.push(`<text x="${x(v).toFixed(1)}" y="${m.top - 12}" text-anchor="middle" ${FONT}>${powerLabel(v)}</text>`);
  }
  out.push(`<text x="${m.left - 10}" y="${m.top - 12}" text-anchor="end" font-size="12" fill="${COLORS.muted}">evidence: 1 in …</text>`);
  bars.forEach((b, i) => {
    const top = m.top + i * row;
    const color = b.accused ? COLORS.accused : COLORS.innocent;
    out.push(`<text x="${m.left - 10}" y="${top + row / 2 + 4}" text-anchor="end" ${FONT}${b.accused ? ' font-weight="bold"' : ''}>${escapeHtml(b.label)}</text>`);
    out.push(`<rect data-accused="${b.accused}" x="${m.left}" y="${top + 5}" width="${Math.max(1.5, x(b.evidence) - m.left).toFixed(1)}" height="${row - 10}" fill="${color}" rx="2"/>`);
    out.push(
      `<text x="${W - m.right + 12}" y="${top + row / 2 + 4}" font-size="12" fill="${b.accused ? COLORS.accused : COLORS.muted}">score ${round(b.score, 1)} · p ${escapeHtml(formatProbability(b.falseAlarmProbability))}${b.accused ? ' · accused' : ''}</text>`,
    );
  });
  const tx = x(threshold);
  out.push(`<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${m.top - 4}" y2="${m.top + bars.length * row + 4}" stroke="${COLORS.threshold}" stroke-width="1.5" stroke-dasharray="7 5"/>`);
  out.push(
    `<text x="${(tx + 5).toFixed(1)}" y="${m.top + bars.length * row + 16}" font-size="11" fill="${COLORS.threshold}">accusation threshold, 1 in ${powerLabel(threshold)}</text>`,
  );
  out.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top - 4}" y2="${m.top + bars.length * row}" stroke="${COLORS.muted}"/>`);
  if (hidden > 0) {
    out.push(`<text x="${m.left}" y="${H - 6}" font-size="12" fill="${COLORS.muted}">… and ${hidden} more candidate${hidden === 1 ? '' : 's'} with less evidence (listed in the JSON report)</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/** Blues, light to dark: prints well in colour and in grey. */
const PALETTE = ['#f5f8fc', '#d2e1f1', '#9dc1e2', '#5c97cb', '#2f6aab', '#113f7a'];

/** A colour for t in [0, 1]. */
export function paletteColor(t: number): string {
  const c = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (PALETTE.length - 1);
  const i = Math.min(PALETTE.length - 2, Math.floor(c));
  const f = c - i;
  const a = PALETTE[i];
  const b = PALETTE[i + 1];
  const mix = (k: number) => Math.round(parseInt(a.slice(k, k + 2), 16) * (1 - f) + parseInt(b.slice(k, k + 2), 16) * f);
  return `#${[1, 3, 5].map((k) => mix(k).toString(16).padStart(2, '0')).join('')}`;
}

/** Top of the z scale for the peak figures: at least 12, so that noise alone looks like noise, not like a peak. */
export function peakScaleTop(values: readonly number[]): number {
  const top = Math.max(...values, 0);
  return niceTicks(Math.max(12, top), 4).at(-1) as number;
}

/** The correlation peak as a shaded surface (isometric view), z up. */
export function peakSurface(peak: { size: number; values: readonly number[] }): string {
  const n = peak.size;
  const z = (i: number, j: number) => peak.values[j * n + i];
  const zTop = peakScaleTop(peak.values);
  const W = 450;
  const dx = 13;
  const dy = 6.5;
  const height = 150;
  const hz = height / zTop;
  const cx = W / 2 + 20;
  const px = (i: number, j: number) => cx + (i - j) * dx;
  const py = (i: number, j: number, v: number) => (i + j) * dy - v * hz;
  // The picture's vertical extent: the z scale's top (drawn at the left corner) and the surface's lowest point.
  let top = py(0, n - 1, zTop) - 20;
  let bottom = py(0, n - 1, 0);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      top = Math.min(top, py(i, j, z(i, j)) - 20);
      bottom = Math.max(bottom, py(i, j, z(i, j)));
    }
  }
  const H = Math.ceil(bottom - top + 12);
  const out: string[] = [];
  out.push(
    `<svg data-chart="peak" viewBox="0 ${Math.floor(top)} ${W} ${H}" width="100%" role="img" aria-label="Correlation surface around the synchronisation peak" xmlns="http://www.w3.org/2000/svg" font-size="12">`,
  );
  // Back to front: quads further away (smaller i + j) first, so nearer ones cover them.
  const quads: Array<{ i: number; j: number; depth: number }> = [];
  for (let j = 0; j < n - 1; j++) for (let i = 0; i < n - 1; i++) quads.push({ i, j, depth: i + j });
  quads.sort((a, b) => a.depth - b.depth || a.i - b.i);
  for (const { i, j } of quads) {
    const v = [z(i, j), z(i + 1, j), z(i + 1, j + 1), z(i, j + 1)];
    const mean = (v[0] + v[1] + v[2] + v[3]) / 4;
    const pts = [
      [px(i, j), py(i, j, v[0])],
      [px(i + 1, j), py(i + 1, j, v[1])],
      [px(i + 1, j + 1), py(i + 1, j + 1, v[2])],
      [px(i, j + 1), py(i, j + 1, v[3])],
    ]
      .map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`)
      .join(' ');
    out.push(`<polygon points="${pts}" fill="${paletteColor(mean / zTop)}" stroke="#44546a" stroke-width="0.4" stroke-opacity="0.6"/>`);
  }
  // The z scale, standing on the left corner of the grid (drawn last: nothing hides it).
  const ax = px(0, n - 1) - 14;
  const ay = (v: number) => py(0, n - 1, v);
  out.push(`<line x1="${ax}" x2="${ax}" y1="${ay(0).toFixed(1)}" y2="${ay(zTop).toFixed(1)}" stroke="${COLORS.muted}"/>`);
  for (const t of niceTicks(zTop, 4)) {
    out.push(`<line x1="${ax - 4}" x2="${ax}" y1="${ay(t).toFixed(1)}" y2="${ay(t).toFixed(1)}" stroke="${COLORS.muted}"/>`);
    out.push(`<text x="${ax - 7}" y="${(ay(t) + 4).toFixed(1)}" text-anchor="end" fill="${COLORS.muted}">${round(t, 1)}</text>`);
  }
  out.push(`<text x="${ax}" y="${(ay(zTop) - 10).toFixed(1)}" text-anchor="middle" fill="${COLORS.muted}">z</text>`);
  const centre = (n - 1) / 2;
  const peakZ = z(centre, centre);
  out.push(
    `<text x="${(px(centre, centre) + 12).toFixed(1)}" y="${(py(centre, centre, peakZ) - 6).toFixed(1)}" font-size="12" fill="${COLORS.ink}">peak z ${round(peakZ, 1)}</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}

/** The same values as a heat map seen from above, with its colour scale. */
export function peakHeatmap(peak: { size: number; values: readonly number[] }): string {
  const n = peak.size;
  const zTop = peakScaleTop(peak.values);
  const cell = 15;
  const left = 10;
  const top = 10;
  const legendX = left + n * cell + 22;
  const W = legendX + 70;
  const H = top + n * cell + 30;
  const out: string[] = [];
  out.push(`<svg data-chart="peak-map" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Correlation around the peak seen from above" xmlns="http://www.w3.org/2000/svg" font-size="11">`);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      const v = peak.values[j * n + i];
      out.push(`<rect x="${left + i * cell}" y="${top + j * cell}" width="${cell}" height="${cell}" fill="${paletteColor(v / zTop)}"><title>z ${round(v, 2)}</title></rect>`);
    }
  }
  out.push(`<rect x="${left}" y="${top}" width="${n * cell}" height="${n * cell}" fill="none" stroke="${COLORS.muted}" stroke-width="0.8"/>`);
  out.push(`<text x="${left + (n * cell) / 2}" y="${H - 8}" text-anchor="middle" fill="${COLORS.muted}">${n} × ${n} tile cells around the peak</text>`);
  // Colour scale.
  const steps = 24;
  const barH = n * cell;
  for (let k = 0; k < steps; k++) {
    const t = 1 - k / steps;
    out.push(`<rect x="${legendX}" y="${(top + (k * barH) / steps).toFixed(2)}" width="14" height="${(barH / steps + 0.5).toFixed(2)}" fill="${paletteColor(t)}"/>`);
  }
  out.push(`<rect x="${legendX}" y="${top}" width="14" height="${barH}" fill="none" stroke="${COLORS.muted}" stroke-width="0.6"/>`);
  for (const t of niceTicks(zTop, 3)) {
    const ty = top + barH - (t / zTop) * barH;
    out.push(`<text x="${legendX + 19}" y="${(ty + 4).toFixed(1)}" fill="${COLORS.muted}">${t === 0 ? '≤ 0' : `z ${round(t, 1)}`}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
