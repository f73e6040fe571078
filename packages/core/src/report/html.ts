/**
 * The HTML report: one self-contained page (inline CSS and SVG, the picture as a data: URI; no script, no font, no
 * URL fetched when it is viewed) typeset from the JSON report, so that both always say the same thing. Written for
 * readers who are not engineers, and laid out to print on A4 or Letter.
 * @internal
 */
import { COLORS, candidatesChart, evidenceChart, peakHeatmap, peakSurface } from './charts.js';
import type { CandidateBar, EvidencePoint } from './charts.js';
import { resolve } from 'node:path';
import { describeOrientation } from '../watermark/orientation.js';
import { describePart } from '../watermark/part-windows.js';
import { describeNominalFit } from '../watermark/period-hypotheses.js';
import { evidenceOf, markWithoutId, nameOfId } from './model.js';
import type { ReportJSON } from './model.js';
import type { Thumbnail } from './thumbnail.js';
import {
  escapeHtml,
  formatBytes,
  formatFrameRate,
  formatLog10Probability,
  formatProbability,
  formatSeconds,
  formatUtc,
  powerBelow,
  round,
  shellCommand,
  textToHtml,
} from './text.js';

/** Candidates drawn in the bar chart; the rest are counted under it (all are in the JSON report). */
const MAX_BARS = 20;

const STYLE = `
:root { --ink: ${COLORS.ink}; --muted: ${COLORS.muted}; --line: #d5dbe4; --soft: #f4f6f9; --accused: ${COLORS.accused}; --ok: #2e6b3a; --caution: #8a5a00; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
html { background: #e9edf2; }
body { margin: 0; color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif; }
.page { max-width: 960px; margin: 24px auto; background: #fff; padding: 36px 44px 28px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }
header { border-bottom: 2px solid var(--ink); padding-bottom: 12px; margin-bottom: 22px; }
.kicker { text-transform: uppercase; letter-spacing: .12em; font-size: 12px; color: var(--muted); }
h1 { font-size: 26px; margin: 2px 0 4px; word-break: break-all; }
h2 { font-size: 18px; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 14px 0 6px; }
section { margin: 0 0 26px; }
p { margin: 0 0 10px; }
.meta, .caption, figcaption { color: var(--muted); font-size: 13px; }
.verdict { border-left: 8px solid var(--muted); background: var(--soft); padding: 16px 20px; border-radius: 3px; }
.verdict.found { border-left-color: var(--accused); background: #fbf1f0; }
.verdict.not-found { border-left-color: var(--ok); background: #eff6f0; }
.badge { display: inline-block; font-weight: 700; letter-spacing: .08em; font-size: 13px; color: #fff; background: var(--muted); padding: 2px 10px; border-radius: 3px; }
.found .badge { background: var(--accused); }
.not-found .badge { background: var(--ok); }
.verdict.mark-only { border-left-color: var(--caution); background: #fbf6ea; }
.mark-only .badge { background: var(--caution); }
.sentence { font-size: 19px; line-height: 1.45; margin: 10px 0 14px; font-weight: 600; }
.figures { display: flex; flex-wrap: wrap; gap: 10px 30px; }
.figure .value { font-size: 20px; font-weight: 700; }
.figure .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 5px 10px 5px 0; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; width: 30%; }
table.grid th { width: auto; }
table.grid td.num, table.grid th.num { text-align: right; font-variant-numeric: tabular-nums; }
.mono, code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.mono { word-break: break-all; }
pre { background: var(--soft); border: 1px solid var(--line); padding: 10px 12px; white-space: pre-wrap; word-break: break-all; border-radius: 3px; margin: 6px 0 8px; }
.note { border-left: 4px solid #c98a1b; background: #fdf6e8; padding: 8px 12px; margin: 8px 0 12px; font-size: 14px; }
.strong-note { border-left-color: var(--accused); background: #fbf1f0; }
.pair { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
.pair > figure { margin: 0; }
figure { margin: 0 0 8px; }
figure.chart svg { display: block; }
.thumb img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
.pair.file { flex-wrap: nowrap; }
.pair.file > table { flex: 1 1 auto; }
.pair.file > figure { flex: 0 0 320px; }
.pair.file th { width: 26%; }
footer { border-top: 1px solid var(--line); padding-top: 10px; color: var(--muted); font-size: 12px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  html { background: #fff; }
  body { font-size: 10.5pt; }
  .page { max-width: none; margin: 0; padding: 0; box-shadow: none; }
  section, figure, tr, .verdict, pre { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .pair.file > figure { flex-basis: 220px; }
}
`;

function row(label: string, valueHtml: string): string {
  return `<tr><th scope="row">${escapeHtml(label)}</th><td>${valueHtml}</td></tr>`;
}

const mono = (text: string) => `<span class="mono">${escapeHtml(text)}</span>`;

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

function verdictSection(r: ReportJSON): string {
  const found = r.found;
  const figures: Array<[string, string]> = [];
  if (found) {
    figures.push(['accused', escapeHtml(nameOfId(r.id as string, r.partner))]);
    figures.push(['chance of coincidence', `below 1 in ${textToHtml(`10^${powerBelow(r.log10FalseAlarmProbability)}`)}`]);
  } else {
    figures.push(['accused', 'no one']);
    figures.push(['false-alarm probability', escapeHtml(formatLog10Probability(r.log10FalseAlarmProbability))]);
  }
  figures.push(['accusation threshold', `1 in ${textToHtml(`10^${powerBelow(Math.log10(r.accusationThreshold))}`)}`]);
  figures.push([
    'analysed',
    r.input.kind === 'image' ? 'one still image' : `${r.framesAnalyzed} frames, ${r.secondsAnalyzed.toFixed(2)} s`,
  ]);
  // The key's synchronisation pattern without an accused ID: neither a finding nor a clean result.
  const markOnly = !found && markWithoutId(r) !== null;
  return `<section id="verdict" class="verdict ${found ? 'found' : markOnly ? 'mark-only' : 'not-found'}">
<span class="badge">${found ? 'MARK FOUND' : markOnly ? 'NO ID ACCUSED' : 'NO MARK FOUND'}</span>
<p class="sentence" data-verdict>${textToHtml(r.report.verdict)}</p>
<div class="figures">${figures
    .map(([label, value]) => `<div class="figure"><div class="value">${value}</div><div class="label">${escapeHtml(label)}</div></div>`)
    .join('')}</div>
</section>`;
}

function probabilitySection(r: ReportJSON): string {
  return `<section id="probability">
<h2>What the probability means</h2>
<p>${textToHtml(r.report.probabilityInWords)}</p>
<p>${textToHtml(r.report.thresholdInWords)}</p>
<p class="caption">How it is computed. The key generates its own secret, noise-like pattern: without the key the pattern can be neither
predicted nor imitated, and two keys give unrelated patterns. The detector measures how strongly the leak matches this key's
pattern. In a file that does not carry the pattern, that measure (the score, <i>z</i>) behaves like a standard normal random
number, almost always between −4 and +4; reelmark's test bench checks this on unmarked videos, on other keys and on other
recipients' copies. A score far beyond that range has a known, tiny chance of arising by accident, and the probability above
is that chance multiplied by the number of hypotheses tried. The recipient's ID (48 bits, with 22 check bits) is read from the
part of the mark that differs between recipients, so another recipient's copy gives no evidence against an innocent ID.</p>
</section>`;
}

function deliveryTable(d: NonNullable<ReportJSON['deliveries']>[number], leakSha: string): string {
  const identical = d.output.sha256 === leakSha;
  return `${identical ? '<p class="note strong-note">The leaked file is byte for byte this delivered file: their SHA-256 fingerprints are identical.</p>' : ''}
<table>
${row('Partner', escapeHtml(d.partner ?? '(not named in the ledger)'))}
${row('Watermark ID', escapeHtml(d.id))}
${row('Title', escapeHtml(d.title ?? '—'))}
${row('Delivered', escapeHtml(formatUtc(d.time)))}
${row('Operator', escapeHtml(d.operator))}
${row('Delivered file', `${mono(d.output.path)}<br>SHA-256 ${mono(d.output.sha256)}<br>${escapeHtml(formatBytes(d.output.size))}`)}
${row('Made from master', `${mono(d.master.path)}<br>SHA-256 ${mono(d.master.sha256)}<br>${escapeHtml(formatBytes(d.master.size))}`)}
${row('Content', escapeHtml(`${d.kind === 'image' ? 'still image' : `${d.frames} frames`}, ${d.width} × ${d.height}`))}
${row('Key id, strength', escapeHtml(`${d.keyId}, strength ${d.strength}`))}
${row('Made with', escapeHtml(`${d.reelmark}, ffmpeg ${d.ffmpeg}`))}
</table>`;
}

function deliverySection(r: ReportJSON): string {
  const parts: string[] = ['<section id="delivery">', `<h2>${r.found ? 'The accused delivery' : 'Delivery ledger'}</h2>`];
  if (r.ledger === null) {
    parts.push(
      `<p>No delivery ledger was consulted${r.found ? ', so the delivery is known by its watermark ID only' : ''}. Run the analysis with <code>--ledger FILE</code> to name the delivery${r.mode === 'decoded' ? ' and to score the IDs it records as the candidates' : ''}.</p>`,
    );
  } else {
    parts.push(`<p class="caption">Ledger consulted: ${mono(resolve(r.report.workingDirectory, r.ledger.path))}</p>`);
    if (r.ledger.warnings.length > 0) {
      parts.push(
        `<div class="note">The ledger has ${r.ledger.warnings.length} unreadable line${r.ledger.warnings.length === 1 ? '' : 's'}, skipped:<br>${r.ledger.warnings
          .map((w) => escapeHtml(`line ${w.line}: ${w.message}`))
          .join('<br>')}</div>`,
      );
    }
    const deliveries = r.deliveries ?? [];
    if (!r.found) parts.push('<p>No one is accused, so no delivery is named.</p>');
    else if (deliveries.length === 0) {
      parts.push(`<p class="note">The ledger records no delivery of ${escapeHtml(nameOfId(r.id as string, r.partner))} under key ${escapeHtml(r.keyId)}.</p>`);
    } else {
      if (deliveries.length > 1) parts.push(`<p>The ledger records ${deliveries.length} deliveries of the accused ID${new Set(deliveries.map((d) => d.id)).size > 1 ? 's' : ''} under this key:</p>`);
      deliveries.forEach((d, i) => {
        if (deliveries.length > 1) parts.push(`<h3>Delivery ${i + 1} of ${deliveries.length}</h3>`);
        parts.push(deliveryTable(d, r.input.sha256));
      });
    }
  }
  parts.push('</section>');
  return parts.join('\n');
}

function fileSection(r: ReportJSON, thumbnail: Thumbnail | null): string {
  const i = r.input;
  const container = i.containerLongName ? `${i.containerLongName} (${i.container})` : i.container;
  const table = `<table>
${row('File', mono(resolve(r.report.workingDirectory, i.path)))}
${row('SHA-256', mono(i.sha256))}
${row('Size', escapeHtml(formatBytes(i.size)))}
${row('Container', escapeHtml(container))}
${row('Kind', i.kind === 'image' ? 'still image' : 'video')}
${row('Resolution', escapeHtml(`${i.width} × ${i.height} pixels`))}
${i.kind === 'video' ? row('Frame rate', escapeHtml(formatFrameRate(i.frameRate))) : ''}
${i.kind === 'video' ? row('Duration', escapeHtml(i.duration === null ? 'unknown' : formatSeconds(i.duration))) : ''}
${row(
  'Analysed',
  escapeHtml(
    i.kind === 'image'
      ? 'the whole image'
      : `${r.framesAnalyzed} frames, ${formatSeconds(r.secondsAnalyzed)} from the start${r.stoppedEarly ? ' (reading stopped once the verdict was certain)' : ''}`,
  ),
)}
</table>`;
  const picture = thumbnail
    ? `<figure class="thumb"><img src="${thumbnail.dataUri}" width="${thumbnail.width}" height="${thumbnail.height}" alt="${escapeHtml(
        i.kind === 'image' ? 'The still image analysed' : 'A frame of the leaked video',
      )}"><figcaption>${escapeHtml(
        i.kind === 'image'
          ? `The image analysed, reduced to ${thumbnail.width} × ${thumbnail.height}.`
          : `Frame at ${thumbnail.time.toFixed(2)} s, reduced to ${thumbnail.width} × ${thumbnail.height}.`,
      )}</figcaption></figure>`
    : '';
  return `<section id="file">
<h2>The leaked file</h2>
<p class="caption">The SHA-256 fingerprint ties this report to the exact bytes analysed: any other file, even one differing by a single bit, has a different fingerprint.</p>
<div class="pair file">${table}${picture}</div>
</section>`;
}

function evidenceSection(r: ReportJSON): string {
  const threshold = -Math.log10(r.accusationThreshold);
  if (r.input.kind === 'image' || r.timeline.length < 2) {
    return `<section id="evidence">
<h2>How the evidence accumulated</h2>
<p>${
      r.input.kind === 'image'
        ? 'A still image is a single frame: all the evidence comes from that one picture, read at once.'
        : `The verdict was reached at a single look, after ${r.framesAnalyzed} frames.`
    } Evidence: 1 in ${textToHtml(`10^${round(evidenceOf(r.timeline.at(-1)?.falseAlarmProbability ?? 1), 1)}`)}, score z ${round(r.score, 2)}.</p>
</section>`;
  }
  const points: EvidencePoint[] = r.timeline.map((t) => ({ time: t.time, frames: t.frames, score: t.score, evidence: evidenceOf(t.falseAlarmProbability) }));
  const strongest = r.report.strongestInterval;
  const crossed = r.report.thresholdCrossed;
  const caption = [
    'Each point is a look of the detector at the frames read so far (the mark is at the same place in every frame, so its evidence adds up while the picture content averages out). ',
    'The height is the strength of evidence for the best ID, 1 in 10^N: by construction, a file without the mark reaches 1 in 10^N at most once in 10^N analyses. The dashed line is the accusation threshold. ',
    'Evidence is plotted rather than the raw score because the score needed for a given probability depends on how many looks and IDs were tried; the score (z) is printed by each point.',
  ].join('');
  const findings: string[] = [];
  if (crossed) findings.push(`The threshold was passed after ${crossed.time.toFixed(2)} s (${crossed.frames} frames).`);
  if (strongest) findings.push(`The evidence grew fastest between ${strongest.from.toFixed(2)} s and ${strongest.to.toFixed(2)} s of the leak, where the mark read strongest.`);
  for (const c of r.candidates) {
    // (`accusedOnWhole` is absent from reports written before it was added, when a part was given only so.)
    if (c.accused && c.part && c.accusedOnWhole) {
      findings.push(
        `${nameOfId(c.id, c.partner)} is named reading the leak from its first frame, and its evidence is strongest in a part of the leak read on its own, ${describePart(c.part)} (as when its copy fills that part of a splice of two copies); the probability given is that part's, which counts every part read.`,
      );
      continue;
    }
    if (c.accused && c.part) {
      findings.push(
        `${nameOfId(c.id, c.partner)} was named from a part of the leak read on its own, ${describePart(c.part)}. Read whole, its evidence does not reach the threshold (as when a short part of one copy is spliced after a longer part of another, whose mark outweighs it); its probability counts every part read.`,
      );
      continue;
    }
    // (`atFrames` is absent from reports written before it was added.)
    if (!c.accused || !(c.atFrames < r.framesAnalyzed)) continue;
    findings.push(
      `${nameOfId(c.id, c.partner)} was accused at the look after ${c.atFrames} frames. Later looks read less evidence for it (the last look's point below); that does not withdraw the accusation, whose probability counts every look made.`,
    );
  }
  if (r.stoppedEarly) {
    findings.push(
      'Reading stopped as soon as the verdict was certain (a thousand times below the threshold). The rest of the file was not read, so a part spliced in from another copy after that point would not be named; reading among the issued IDs reads the whole file unless told to stop early.',
    );
  }
  const looks = `<table class="grid">
<tr><th class="num">seconds</th><th class="num">frames</th><th class="num">score z</th><th class="num">sync z</th><th class="num">false-alarm probability</th></tr>
${r.timeline
  .map(
    (t) =>
      `<tr><td class="num">${t.time.toFixed(2)}</td><td class="num">${t.frames}</td><td class="num">${t.score.toFixed(2)}</td><td class="num">${t.syncZ.toFixed(2)}</td><td class="num">${escapeHtml(
        formatProbability(t.falseAlarmProbability),
      )}</td></tr>`,
  )
  .join('\n')}
</table>`;
  return `<section id="evidence">
<h2>How the evidence accumulated</h2>
${findings.length > 0 ? `<p>${escapeHtml(findings.join(' '))}</p>` : ''}
<figure class="chart">${evidenceChart({ points, threshold, strongest: strongest ? { from: strongest.from, to: strongest.to } : null })}
<figcaption>${textToHtml(caption)}</figcaption></figure>
<h3>The detector's looks</h3>
${looks}
</section>`;
}

function candidatesSection(r: ReportJSON): string {
  const threshold = -Math.log10(r.accusationThreshold);
  if (r.mode === 'candidates') {
    const ranked = [...r.candidates].sort((a, b) => evidenceOf(b.falseAlarmProbability) - evidenceOf(a.falseAlarmProbability) || b.score - a.score);
    const bars: CandidateBar[] = ranked.slice(0, MAX_BARS).map((c) => ({
      label: nameOfId(c.id, c.partner),
      score: c.score,
      evidence: evidenceOf(c.falseAlarmProbability),
      falseAlarmProbability: c.falseAlarmProbability,
      accused: c.accused,
    }));
    const source =
      r.parameters.registry !== null
        ? `the partners of the registry ${r.parameters.registry}`
        : r.parameters.candidatesFromLedger === true && r.ledger
          ? `the IDs the ledger ${r.ledger.path} records under this key`
          : 'the IDs given with --candidates';
    return `<section id="candidates">
<h2>Every candidate against the threshold</h2>
<p>Only the IDs actually issued were scored: ${escapeHtml(`${r.candidates.length} candidate${r.candidates.length === 1 ? '' : 's'}, ${source}`)}. A bar that crosses the dashed line is accused; every candidate that does is named (two copies averaged or spliced together accuse both).</p>
<figure class="chart">${candidatesChart({ bars, threshold, hidden: ranked.length - bars.length })}
<figcaption>${textToHtml(
      'Bar length: strength of evidence for each candidate, 1 in 10^N (−log10 of its false-alarm probability), on the same scale as the chart above; the dashed line is the accusation threshold. The score needed to pass it depends on the number of candidates and looks, so evidence rather than score is drawn; scores are printed at the right.',
    )}</figcaption></figure>
</section>`;
  }
  const decoded = r.candidates;
  return `<section id="candidates">
<h2>IDs read from the mark</h2>
<p>No candidate list was given: the detector decoded any 48-bit ID freely and kept those whose 22 check bits verified${
    decoded.length === 0 ? '. None did.' : ':'
  }</p>
${
  decoded.length === 0
    ? ''
    : `<table class="grid"><tr><th>ID</th><th class="num">score z</th><th class="num">false-alarm probability</th><th>accused</th></tr>
${decoded
  .map(
    (c) =>
      `<tr><td>${escapeHtml(nameOfId(c.id, c.partner))}</td><td class="num">${c.score.toFixed(2)}</td><td class="num">${escapeHtml(formatProbability(c.falseAlarmProbability))}</td><td>${c.accused ? 'yes' : 'no'}</td></tr>`,
  )
  .join('\n')}</table>`
}
</section>`;
}

/**
 * Whether the key's reference pattern stands out: an ID was accused, or the pattern alone is significant
 * (`markWithoutId`; reports saved before that was recorded carry `sync` without its probability, and read as before).
 */
function patternStandsOut(r: ReportJSON): boolean {
  return r.found || markWithoutId(r) !== null;
}

function peakSection(r: ReportJSON): string {
  if (!r.peak) return '';
  const n = r.peak.size;
  const centre = (n * n - 1) / 2;
  const peakZ = r.peak.values[centre];
  const c = (n - 1) / 2;
  const floor = r.peak.values.filter((_, k) => Math.abs((k % n) - c) > 1 || Math.abs(Math.floor(k / n) - c) > 1);
  const mean = floor.reduce((a, b) => a + b, 0) / floor.length;
  const spread = Math.sqrt(floor.reduce((a, b) => a + (b - mean) ** 2, 0) / floor.length);
  const text = patternStandsOut(r)
    ? `The synchronisation pattern, which every copy marked with this key carries, correlates with the leak at one position and scale: the peak reaches z ${round(peakZ, 1)}, while the ${floor.length} positions around it average ${round(mean, 2)} with a spread of ${round(spread, 2)}, the noise an unmarked file shows everywhere.`
    : `No position stands out: the centre reaches z ${round(peakZ, 1)}, against a surrounding noise of mean ${round(mean, 2)} and spread ${round(spread, 2)}. A marked file shows a single tall spike here.`;
  return `<section id="peak">
<h2>The correlation peak</h2>
<p>${escapeHtml(text)}</p>
<div class="pair">
<figure class="chart" style="flex: 1 1 420px; max-width: 470px">${peakSurface(r.peak)}<figcaption>Correlation of the key's reference pattern with the leak, around the best position (height: z).</figcaption></figure>
<figure class="chart" style="flex: 0 1 300px">${peakHeatmap(r.peak)}<figcaption>The same values seen from above.</figcaption></figure>
</div>
</section>`;
}

function geometrySection(r: ReportJSON): string {
  const s = r.sync;
  if (!s || !patternStandsOut(r)) return '';
  return `<section id="geometry">
<h2>Geometry found</h2>
<p>${escapeHtml(r.report.geometryInWords ?? '')}</p>
<table>
${row('Scale (mean, x, y)', escapeHtml(`${round(s.scale)} · ${round(s.scaleX)} · ${round(s.scaleY)} of a ${r.parameters.masterHeight}-line master`))}
${row('Grid offset (crop, pad)', escapeHtml(`${round(s.offsetX, 1)} px, ${round(s.offsetY, 1)} px (modulo the tile period)`))}
${row('Tile period in the leak', escapeHtml(`${round(s.periodX, 1)} × ${round(s.periodY, 1)} px`))}
${row('Orientation', escapeHtml(describeOrientation({ mirrored: s.mirrored, rotation: s.rotation ?? 0 }) ?? 'as the master'))}
${row('Synchronisation evidence', escapeHtml(`z ${round(s.z, 2)}${r.found ? '' : `, false-alarm probability at most ${formatProbability(s.falseAlarmProbability as number)}`}`))}
${row('Found by', escapeHtml(s.nominal ? `reading where the picture's size puts the mark (a nominal sync: ${describeNominalFit(s.nominalFit)})` : 'the synchronisation search'))}
</table>
</section>`;
}

/** Which frames were decoded: every one, or every one of the first seconds and then keyframes only. */
function framesRead(p: ReportJSON['parameters']): string {
  // Reports written before the field existed say only whether every frame was decoded.
  const seconds = p.allFramesSeconds as number | null | undefined;
  if (seconds === undefined) return p.allFrames ? 'every frame decoded' : 'every frame of the first seconds decoded, then keyframes only';
  return seconds === null ? 'every frame decoded' : `every frame of the first ${seconds} s decoded, then keyframes only`;
}

/** How keyframes counted in the sum (reports written before the fields existed say nothing). */
function keyframesWeighed(p: ReportJSON['parameters']): string {
  const { keyframeWeight: weight, keyframesAnalyzed: count } = p;
  if (weight === undefined || count === undefined) return '';
  const how = weight === 1 ? 'counted as other frames (their weighted sum read once more when no one was accused)' : `each counted as ${weight} frames`;
  return `; ${count} keyframe${count === 1 ? '' : 's'} analysed, ${how}`;
}

function reproduceSection(r: ReportJSON): string {
  const p = r.parameters;
  const candidates =
    p.candidates === null
      ? 'none: any 48-bit ID decoded freely (check bits verified)'
      : `${p.candidates.length} (${p.registry !== null ? `registry ${p.registry}` : `${p.candidatesFromLedger === true ? 'the IDs the ledger records under the key: ' : ''}${p.candidates.length <= 12 ? p.candidates.join(', ') : `${p.candidates.slice(0, 12).join(', ')}, …`}`})`;
  return `<section id="reproduce">
<h2>Parameters and reproduction</h2>
<table>
${row('Key id', `${mono(r.keyId)} <span class="caption">(a public fingerprint of the key; the key itself is not in this report)</span>`)}
${row('Candidates', escapeHtml(candidates))}
${row('Accusation threshold', escapeHtml(`${formatProbability(r.accusationThreshold)}; early stop ${formatProbability(p.earlyStopMargin)} × threshold, and no unaccused candidate below ${formatProbability(p.suspectProbability)}`))}
${row('Reading', escapeHtml(`${p.maxSeconds === null ? 'no time limit' : `at most ${p.maxSeconds} s`}${p.fullScan ? ', full scan (no early stop)' : ', stops once certain'}; ${framesRead(p)}${keyframesWeighed(p)}`))}
${row('Master height (for the scale)', escapeHtml(`${p.masterHeight} lines`))}
${row('Software', escapeHtml(`${r.report.tools.reelmark}; ffmpeg ${r.report.tools.ffmpeg}; ffprobe ${r.report.tools.ffprobe}; Node.js ${r.report.tools.node}`))}
${row('Report written', escapeHtml(formatUtc(r.report.generatedAt)))}
</table>
<h3>Command that reproduces this analysis</h3>
<p class="caption">Run from ${mono(r.report.workingDirectory)}. The analysis is deterministic: the same file, key and command give the same result.${
    shownCommand(r) === r.report.commandLine ? '' : ` The candidate list is shortened here; the JSON report's <code>report.command</code> holds it whole.`
  }</p>
<pre data-command>${escapeHtml(shownCommand(r))}</pre>
</section>`;
}

/** Candidates the command may list in the page; a longer list (a ledger's) would fill pages when printed. */
const COMMAND_CANDIDATES = 50;

/** The reproducing command as the page shows it: a long `--candidates` list cut to its first IDs and a count. */
function shownCommand(r: ReportJSON): string {
  const argv = r.report.command;
  const at = argv.indexOf('--candidates');
  const ids = at < 0 ? [] : (argv[at + 1] ?? '').split(',');
  if (ids.length <= COMMAND_CANDIDATES) return r.report.commandLine;
  const cut = `${ids.slice(0, COMMAND_CANDIDATES).join(',')},…(${ids.length} IDs in all)`;
  return shellCommand([...argv.slice(0, at + 1), cut, ...argv.slice(at + 2)]);
}

/** The report as one self-contained HTML page. */
export function renderReportHtml(report: ReportJSON, thumbnail: Thumbnail | null = null): string {
  const name = fileName(report.input.path);
  const title = `reelmark report: ${name}: ${report.found ? `mark found, ${nameOfId(report.id as string, report.partner)}` : markWithoutId(report) !== null ? "no ID accused (the key's synchronisation pattern indicated)" : 'no mark found'}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(report.version)}">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main class="page">
<header>
<div class="kicker">Forensic watermark analysis</div>
<h1>${escapeHtml(name)}</h1>
<div class="meta">${escapeHtml(`Report written ${formatUtc(report.report.generatedAt)} by ${report.version} · key id ${report.keyId}`)}</div>
</header>
${verdictSection(report)}
${probabilitySection(report)}
${deliverySection(report)}
${evidenceSection(report)}
${candidatesSection(report)}
${fileSection(report, thumbnail)}
${peakSection(report)}
${geometrySection(report)}
${reproduceSection(report)}
<footer>${escapeHtml(`${report.version} · ${report.report.format} v${report.report.version} · SHA-256 of the file analysed: ${report.input.sha256}`)}</footer>
</main>
</body>
</html>
`;
}
