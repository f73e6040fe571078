/**
 * A tiny SVG line-plot writer (no dependencies, no network): panels of series of (x, y) points with labels,
 * optional log y axis and reference lines. Enough for the trade-off curve.
 */

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(min, max, count = 5) {
  const span = max - min || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) ticks.push(+v.toFixed(6));
  return ticks;
}

/**
 * One panel, drawn at (ox, oy) with size w x h.
 * @param {{ title: string, xLabel: string, yLabel: string, series: Array<{ name: string, points: Array<{ x: number, y: number | null, label?: string }> }>,
 *   xRange?: [number, number], yRange?: [number, number], yTicks?: number[], yInvert?: boolean, vlines?: Array<{ x: number, label: string }> }} p
 */
function panel(p, ox, oy, w, h) {
  const m = { l: 62, r: 16, t: 34, b: 48 };
  const pw = w - m.l - m.r;
  const ph = h - m.t - m.b;
  const pts = p.series.flatMap((s) => s.points).filter((q) => q.y !== null && Number.isFinite(q.y));
  const xs = pts.map((q) => q.x).concat((p.vlines ?? []).map((v) => v.x));
  const [x0, x1] = p.xRange ?? [Math.floor(Math.min(...xs) - 0.5), Math.ceil(Math.max(...xs) + 0.5)];
  const [y0, y1] = p.yRange ?? [Math.min(...pts.map((q) => q.y)), Math.max(...pts.map((q) => q.y))];
  const sx = (x) => ox + m.l + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y) => {
    const f = (y - y0) / (y1 - y0 || 1);
    return oy + m.t + (p.yInvert ? f : 1 - f) * ph;
  };
  const out = [];
  out.push(`<text x="${ox + m.l + pw / 2}" y="${oy + 20}" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<rect x="${ox + m.l}" y="${oy + m.t}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  for (const t of niceTicks(x0, x1, 6)) {
    out.push(`<line x1="${sx(t)}" y1="${oy + m.t}" x2="${sx(t)}" y2="${oy + m.t + ph}" stroke="#ddd"/>`);
    out.push(`<text x="${sx(t)}" y="${oy + m.t + ph + 16}" text-anchor="middle" font-size="11">${t}</text>`);
  }
  for (const t of p.yTicks ?? niceTicks(y0, y1, 5)) {
    out.push(`<line x1="${ox + m.l}" y1="${sy(t)}" x2="${ox + m.l + pw}" y2="${sy(t)}" stroke="#ddd"/>`);
    out.push(`<text x="${ox + m.l - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${t}</text>`);
  }
  out.push(`<text x="${ox + m.l + pw / 2}" y="${oy + h - 10}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(${ox + 16},${oy + m.t + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`);
  for (const v of p.vlines ?? []) {
    out.push(`<line x1="${sx(v.x)}" y1="${oy + m.t}" x2="${sx(v.x)}" y2="${oy + m.t + ph}" stroke="#888" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${sx(v.x) + 4}" y="${oy + m.t + 12}" font-size="10" fill="#555">${esc(v.label)}</text>`);
  }
  p.series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const ok = s.points.filter((q) => q.y !== null && Number.isFinite(q.y)).sort((a, b) => a.x - b.x);
    if (ok.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${ok.map((q) => `${sx(q.x).toFixed(1)},${sy(q.y).toFixed(1)}`).join(' ')}"/>`);
    for (const q of s.points) {
      if (q.y === null || !Number.isFinite(q.y)) {
        // Not identified even at the weakest rung: a hollow marker on the axis.
        out.push(`<circle cx="${sx(q.x).toFixed(1)}" cy="${(p.yInvert ? oy + m.t + ph : oy + m.t + ph).toFixed(1)}" r="4" fill="white" stroke="${colour}"/>`);
        continue;
      }
      out.push(`<circle cx="${sx(q.x).toFixed(1)}" cy="${sy(q.y).toFixed(1)}" r="4" fill="${colour}"/>`);
      if (q.label) out.push(`<text x="${(sx(q.x) + 6).toFixed(1)}" y="${(sy(q.y) - 6).toFixed(1)}" font-size="10" fill="${colour}">${esc(q.label)}</text>`);
    }
    out.push(`<rect x="${ox + m.l + 8}" y="${oy + m.t + ph - 18 - 16 * i}" width="10" height="10" fill="${colour}"/>`);
    out.push(`<text x="${ox + m.l + 22}" y="${oy + m.t + ph - 9 - 16 * i}" font-size="11">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** Panels side by side in one SVG document. */
export function plotPanels(panels, { width = 460, height = 360, caption } = {}) {
  const total = width * panels.length;
  const extra = caption ? 22 : 0;
  const body = panels.map((p, i) => panel(p, i * width, 0, width, height)).join('\n');
  const cap = caption ? `<text x="8" y="${height + 15}" font-size="11" fill="#444">${esc(caption)}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="${height + extra}" viewBox="0 0 ${total} ${height + extra}" font-family="sans-serif">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${body}\n${cap}\n</svg>\n`;
}
