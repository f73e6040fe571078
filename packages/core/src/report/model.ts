/**
 * What the investigator's report says, as data: the detection's `extract --json` fields plus the report-only fields
 * (the verdict in one sentence, the probability in plain words, the tools, the command that reproduces the
 * analysis). The JSON report is this object; the HTML report typesets it.
 * @internal
 */
import type { Detection, DetectionJSON } from '../api/detection.js';
import type { DeliveryRecord } from '../ledger.js';
import { resolveFfmpeg } from '../media/index.js';
import { describeOrientation } from '../watermark/orientation.js';
import { describeNominalFit } from '../watermark/period-hypotheses.js';
import { CELLS } from '../watermark/pattern.js';
import { formatLog10Probability, formatUtc, powerBelow, shellCommand } from './text.js';

/** The `report.format` field of a JSON report. */
export const REPORT_FORMAT = 'reelmark-report';
/** The report version this release writes. */
export const REPORT_VERSION = 1;

/** The fields only a report has, under `report` in the JSON report. */
export interface ReportFields {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  /** When the report was written, ISO 8601 UTC. */
  generatedAt: string;
  /** The verdict in one sentence. */
  verdict: string;
  /** What the false-alarm probability means, in plain words. */
  probabilityInWords: string;
  /** What the accusation threshold means and why the probability is conservative. */
  thresholdInWords: string;
  /** The geometry the detector found, in words (null when nothing was synchronised). */
  geometryInWords: string | null;
  /** Where the evidence grew fastest: the interval between two looks, seconds of the leak. */
  strongestInterval: { from: number; to: number; gainPerSecond: number } | null;
  /** The first look at which the best ID passed the threshold, if any. */
  thresholdCrossed: { time: number; frames: number } | null;
  /** Whether the leaked file is byte for byte a delivered file (same SHA-256 as a ledger record's output). */
  identicalToDelivery: boolean;
  tools: { reelmark: string; ffmpeg: string; ffprobe: string; node: string };
  /** argv of the command that reproduces the analysis, and the same as one shell line. */
  command: string[];
  commandLine: string;
  /** Folder the command is meant to run from (relative paths in it are relative to this). */
  workingDirectory: string;
}

/** The JSON report: exactly the `extract --json` fields, plus `report`. */
export interface ReportJSON extends DetectionJSON {
  report: ReportFields;
}

/** Options that shape a report's content. */
export interface ReportContentOptions {
  /** argv that reproduces the analysis (default: the equivalent `reelmark extract` command). */
  command?: readonly string[];
  /** Working directory the command runs from (default `process.cwd()`). */
  workingDirectory?: string;
  /** Time the report is dated (default now). */
  now?: Date;
}

/** `acme-vfx (ID 1)` or `ID 1`. */
export function nameOfId(id: bigint | string, partner: string | null): string {
  return partner ? `${partner} (ID ${id})` : `ID ${id}`;
}

/** -log10 of a probability given as a number (floored at 1e-300 by the detector), never negative. */
export function evidenceOf(p: number): number {
  return p >= 1 ? 0 : p <= 0 ? 300 : -Math.log10(p);
}

/**
 * The command that reproduces a detection: `reelmark extract INPUT --key KEYFILE` with the same candidates,
 * limits and ledger. The key file's path is not known to a detection, only the key's id.
 */
export function defaultCommand(detection: Detection): string[] {
  const argv = ['reelmark', 'extract', detection.input.path, '--key', `<key file of key id ${detection.keyId}>`];
  const p = detection.parameters;
  if (p.registry !== null) argv.push('--registry', p.registry);
  // Candidates the ledger gave are listed too: the ledger grows, and the same list gives the same result.
  else if (p.candidates !== null) argv.push('--candidates', p.candidates.join(','));
  if (p.maxSeconds !== null) argv.push('--max-seconds', String(p.maxSeconds));
  // The default reading: whole among candidates, stopping once certain when blind.
  if (p.fullScan && p.candidates === null) argv.push('--full-scan');
  if (!p.fullScan && p.candidates !== null) argv.push('--stop-early');
  if (p.allFrames) argv.push('--all-frames');
  if (p.masterHeight !== 1080) argv.push('--master-height', String(p.masterHeight));
  if (detection.ledger) argv.push('--ledger', detection.ledger.path);
  return argv;
}

function accusedNames(detection: Detection): string[] {
  const accused = detection.candidates.filter((c) => c.accused);
  if (accused.length === 0 && detection.id !== null) return [nameOfId(detection.id, detection.partner)];
  return accused.map((c) => nameOfId(c.id, c.partner));
}

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/**
 * log10 of the synchronisation's false-alarm probability when the key's reference pattern was found but no ID was
 * accused (`sync` is then reported only below 1e-3), else null. Reports saved before the field existed have none.
 */
export function markWithoutId(detection: { found: boolean; sync: { falseAlarmProbability?: number } | null }): number | null {
  const p = detection.sync?.falseAlarmProbability;
  if (detection.found || p === undefined) return null;
  return Math.log10(Math.max(p, 1e-300));
}

/** The verdict in one sentence. */
export function verdictSentence(detection: Detection): string {
  const file = fileName(detection.input.path);
  const log10p = detection.log10FalseAlarmProbability;
  const syncLog10p = markWithoutId(detection);
  if (syncLog10p !== null) {
    return (
      `No recipient's ID could be read from ${file}. The synchronisation pattern that every copy marked with key ${detection.keyId} carries ` +
      `is indicated there (false-alarm probability at most ${formatLog10Probability(syncLog10p)}), but the evidence for any one ID (false-alarm probability ` +
      `${formatLog10Probability(log10p)}) does not reach the accusation threshold of 1 in 10^${powerBelow(Math.log10(detection.accusationThreshold))}, so no one is accused.`
    );
  }
  if (!detection.found) {
    return (
      `No watermark of key ${detection.keyId} was found in ${file}: the strongest evidence ` +
      `(false-alarm probability ${formatLog10Probability(log10p)}) does not reach the accusation threshold of 1 in 10^${powerBelow(Math.log10(detection.accusationThreshold))}, so no one is accused.`
    );
  }
  const chance = `the probability of a result this strong by chance is below 1 in 10^${powerBelow(log10p)}`;
  const names = accusedNames(detection);
  if (names.length > 1) {
    return `${file} carries the watermarks of ${names.length} deliveries, ${joinWords(names)}, so their copies were probably combined; for the strongest, ${chance}.`;
  }
  const deliveries = (detection.deliveries ?? []).filter((d) => d.id === detection.id);
  if (deliveries.length === 1) {
    const d = deliveries[0];
    const to = d.partner ?? detection.partner;
    return (
      `${file} carries the watermark of the delivery of ${d.title ? `“${d.title}” ` : ''}${to ? `to ${to} ` : ''}(ID ${d.id}, ` +
      `${fileName(d.output.path)}, ${formatUtc(d.time)}); ${chance}.`
    );
  }
  return `${file} carries the watermark of ${names[0]}, under key ${detection.keyId}; ${chance}.`;
}

function joinWords(items: readonly string[]): string {
  return items.length <= 2 ? items.join(' and ') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** What the probability means, in plain words. */
export function probabilityInWords(detection: Detection): string {
  const log10p = detection.log10FalseAlarmProbability;
  const n = powerBelow(log10p);
  const threshold = powerBelow(Math.log10(detection.accusationThreshold));
  const p = formatLog10Probability(log10p);
  if (detection.found) {
    return (
      `The false-alarm probability is ${p}. If this file carried no mark of this key, a result this strong would occur ` +
      `by chance less than once in 10^${n} analyses.`
    );
  }
  if (n >= 2) {
    return (
      `The false-alarm probability is ${p}: a file without this key's mark would show evidence this strong less than once ` +
      `in 10^${n} analyses. That is suggestive but it is not below the accusation threshold (1 in 10^${threshold}); ` +
      (detection.mode === 'decoded'
        ? 'analysing more of the leak, or only the IDs actually issued (--ledger, --registry or --candidates), may settle it.'
        : 'analysing more of the leak may settle it.')
    );
  }
  const percent = Math.min(100, Math.max(1, Math.round(100 * 10 ** log10p)));
  const chance = `The false-alarm probability is ${p}: chance alone produces evidence at least this strong in up to ${percent} of every 100 analyses of files that carry no mark.`;
  const syncLog10p = markWithoutId(detection);
  if (syncLog10p === null) return `${chance} This is no evidence of a mark of this key.`;
  // The reference pattern is the same in every delivery under the key: it says a marked copy is there, not whose.
  return (
    `${chance} So no recipient's ID was read. The key's synchronisation pattern, which is the same in every delivery ` +
    `under the key and so cannot say whose copy this is, would show this strongly in a file without it less than once in ` +
    `10^${powerBelow(syncLog10p)} analyses (a bound over every period, position and moment of reading searched): a copy ` +
    `marked with this key may be the source, short of proof. ` +
    (detection.mode === 'decoded'
      ? 'Scoring only the IDs actually issued (--ledger, --registry or --candidates) identifies weaker marks than reading the ID blind, and may settle it.'
      : 'Analysing more of the leak may settle it.')
  );
}

/** What the threshold means. */
export function thresholdInWords(detection: Detection): string {
  const threshold = powerBelow(Math.log10(detection.accusationThreshold));
  return (
    `reelmark accuses an ID only when this probability is below 1 in 10^${threshold} (the accusation threshold). ` +
    `The probability is an upper bound: it already counts every position, scale, moment of reading and ID that ` +
    `the detector tried (a Bonferroni correction), so that searching many places cannot manufacture a coincidence.`
  );
}

/** The geometry found, in words. */
export function geometryInWords(detection: Detection): string | null {
  const s = detection.sync;
  if (!s) return null;
  const master = detection.parameters.masterHeight;
  const stretched = Math.abs(s.scaleX - s.scaleY) > 0.01 * Math.max(s.scaleX, s.scaleY);
  const scale = stretched
    ? `The picture was stretched: ${pct(s.scaleX)} of the master's width scale and ${pct(s.scaleY)} of its height scale (aspect ratio not kept).`
    : `The picture is ${pct(s.scale)} of the size of a ${master}-line master (as if scaled to about ${Math.round(s.scale * master)} lines), with its aspect ratio kept.` +
      (master === 1080 ? ' (The detector cannot know the master\'s height; 1080 lines is assumed unless --master-height gives it.)' : '');
  // The offset is known to about one cell of the tile (period / CELLS: the period itself is estimated to about
  // 0.4%, and the offset is carried from the frame's centre to its corner with it): a grid within a cell of the
  // corner reads as no crop or pad.
  const near = (offset: number, period: number) => {
    const cell = Math.max(1.5, period / CELLS);
    return offset < cell || period - offset < cell;
  };
  const offset =
    near(s.offsetX, s.periodX) && near(s.offsetY, s.periodY)
      ? `The watermark grid starts at the picture's corner: no crop or pad (other than by whole tiles of ${round1(s.periodX)} × ${round1(s.periodY)} px).`
      : `The master's watermark grid starts at (${round1(s.offsetX)}, ${round1(s.offsetY)}) px in the leak, which the tile period of ` +
        `${round1(s.periodX)} × ${round1(s.periodY)} px leaves open between a pad of that size and a crop of ` +
        `(${round1(s.periodX - s.offsetX)}, ${round1(s.periodY - s.offsetY)}) px at the left and top (each give or take whole tiles).`;
  // `rotation` is absent from reports saved before it was found.
  const turned = describeOrientation({ mirrored: s.mirrored, rotation: s.rotation ?? 0 });
  const back = s.rotation ? 'turned back about its centre' : 'flipped back';
  const orientation = turned ? ` The leak is ${turned}; the offsets above are those of the leak ${back}.` : '';
  const nominal = s.nominal
    ? ` This is the geometry of ${describeNominalFit(s.nominalFit)}, where the ID was read at every look; the synchronisation search did not find it by itself.`
    : '';
  return `${scale} ${offset}${orientation}${nominal}`;
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const round1 = (v: number) => String(Number(v.toFixed(1)));

/** The interval between two looks where the evidence grew fastest (where the mark read strongest), if any. */
export function strongestInterval(detection: Detection): ReportFields['strongestInterval'] {
  const points = detection.timeline;
  let best: ReportFields['strongestInterval'] = null;
  let previous = { time: 0, evidence: 0 };
  for (const point of points) {
    const evidence = evidenceOf(point.falseAlarmProbability);
    const span = point.time - previous.time;
    if (span > 1e-6) {
      const gain = (evidence - previous.evidence) / span;
      if (gain > 0 && (best === null || gain > best.gainPerSecond)) best = { from: previous.time, to: point.time, gainPerSecond: Number(gain.toFixed(3)) };
    }
    previous = { time: point.time, evidence };
  }
  return points.length > 1 ? best : null;
}

/** Whether the leak's bytes are those of a recorded delivery. */
export function identicalDelivery(detection: Detection): DeliveryRecord | null {
  return (detection.deliveries ?? []).find((d) => d.output.sha256 === detection.input.sha256) ?? null;
}

/** Build the JSON report (and the data of the HTML report). */
export async function buildReportJSON(detection: Detection, options: ReportContentOptions = {}): Promise<ReportJSON> {
  const setup = await resolveFfmpeg();
  const command = [...(options.command ?? defaultCommand(detection))];
  const crossed = detection.timeline.find((t) => t.falseAlarmProbability < detection.accusationThreshold);
  const report: ReportFields = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    generatedAt: (options.now ?? new Date()).toISOString(),
    verdict: verdictSentence(detection),
    probabilityInWords: probabilityInWords(detection),
    thresholdInWords: thresholdInWords(detection),
    geometryInWords: geometryInWords(detection),
    strongestInterval: strongestInterval(detection),
    thresholdCrossed: detection.found && crossed ? { time: crossed.time, frames: crossed.frames } : null,
    identicalToDelivery: identicalDelivery(detection) !== null,
    tools: {
      reelmark: detection.version,
      ffmpeg: describeBinary(setup.ffmpeg),
      ffprobe: describeBinary(setup.ffprobe),
      node: process.version,
    },
    command,
    commandLine: shellCommand(command),
    workingDirectory: options.workingDirectory ?? process.cwd(),
  };
  return { ...detection.toJSON(), report };
}

function describeBinary(info: { version: string; release?: string }): string {
  return info.release && info.release !== info.version ? `${info.version} (ffmpeg ${info.release} era)` : info.version;
}
