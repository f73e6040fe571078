import { resolve } from 'node:path';
import { defineCommand } from 'citty';
import { checkReportOutput, describeNominalFit, describeOrientation, describePart, extract, loadKey, loadRegistry, writeReport } from '@reelmark/core';
import type { Detection } from '@reelmark/core';
import { CliUsageError } from '../argv.js';
import { EXIT, writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { createProgress } from '../progress.js';
import { describeDelivery, warnLedger } from './ledger.js';
import { formatProbability, idListFlag, numberFlag } from './shared.js';

/** Below this, an unaccused ID's evidence is worth following up among the issued IDs (the report says so too). */
const SUGGESTIVE_PROBABILITY = 1e-2;

/** The human verdict: found or not, ID and partner, false-accusation probability, how much was analysed. */
export function describeDetection(d: Detection, masterHeight = 1080): string[] {
  const lines: string[] = [];
  const p = formatProbability(d.falseAlarmProbability);
  const threshold = formatProbability(d.accusationThreshold);
  if (d.found) {
    lines.push(`FOUND: ID ${d.id}${d.partner ? ` (partner ${d.partner})` : ''}`);
    lines.push(`  false-accusation probability ${p} (accusation threshold ${threshold})`);
  } else if (d.sync) {
    // The key's reference pattern alone is significant (the detector reports `sync` without an ID only then): a
    // copy marked with this key may be there, but no recipient's ID reached the threshold.
    lines.push(`NOT FOUND: no ID of key ${d.keyId} could be read from ${d.input.path}`);
    lines.push(`  best ID evidence: false-alarm probability ${p}, above the accusation threshold ${threshold}`);
    lines.push(
      `  the key's synchronisation pattern is indicated (false-alarm probability at most ${formatProbability(d.sync.falseAlarmProbability)}, ` +
        `z ${d.sync.z.toFixed(2)}): a copy marked with this key may be the source; the pattern is the same in every delivery, so it cannot say whose`,
    );
  } else {
    lines.push(`NOT FOUND: no mark of key ${d.keyId} in ${d.input.path}`);
    lines.push(`  best evidence: false-alarm probability ${p}, above the accusation threshold ${threshold}`);
  }
  const accused = d.candidates.filter((c) => c.accused);
  if (accused.length > 1) {
    lines.push(`  ${accused.length} candidates accused (copies combined?): ${accused.map((c) => `${c.id}${c.partner ? ` (${c.partner})` : ''} p=${formatProbability(c.falseAlarmProbability)}`).join(', ')}`);
  }
  // Evidence from a part of the leak read on its own (a splice): where; only there, or strongest there.
  for (const c of accused) {
    if (!c.part) continue;
    if (c.accusedOnWhole) lines.push(`  ID ${c.id} is named reading the leak from its start, and most strongly in a part read on its own: ${describePart(c.part)}`);
    else lines.push(`  ID ${c.id} was found in a part read on its own: ${describePart(c.part)}`);
  }
  const total = d.input.kind === 'image' ? 'a still image' : d.input.duration !== null ? `${d.input.duration.toFixed(2)} s` : 'unknown length';
  lines.push(
    `  analysed ${d.framesAnalyzed} frame${d.framesAnalyzed === 1 ? '' : 's'}` +
      (d.input.kind === 'image' ? ` of ${total}` : `, ${d.secondsAnalyzed.toFixed(2)} s of ${total}`) +
      (d.stoppedEarly ? ' (stopped early: verdict certain; the rest was not read)' : ''),
  );
  if (d.sync) {
    const turned = describeOrientation(d.sync);
    lines.push(
      `  geometry: scale ${d.sync.scale.toFixed(3)} of a ${masterHeight}-line master, ` +
        `tile offset (${d.sync.offsetX.toFixed(1)}, ${d.sync.offsetY.toFixed(1)}) px` +
        (turned ? `; the leak is ${turned} (offset of the leak ${d.sync.rotation ? 'turned' : 'flipped'} back)` : '') +
        (d.sync.nominal ? `; ${describeNominalFit(d.sync.nominalFit)} (a nominal sync)` : ''),
    );
  }
  if (!d.found && d.mode === 'decoded') {
    // A ledger gives the candidates unless it records nothing under the key.
    if (d.ledger) lines.push(`  ledger: no delivery under key ${d.keyId} is recorded in ${d.ledger.path}, so IDs were read blind`);
    if (d.sync || d.falseAlarmProbability < SUGGESTIVE_PROBABILITY) {
      lines.push(`  hint: scoring only the IDs actually issued (${d.ledger ? '--registry or --candidates' : '--ledger, --registry or --candidates'}) identifies weaker marks than reading the ID blind`);
    }
  }
  if (d.found && d.ledger && d.deliveries) {
    if (d.deliveries.length === 0) lines.push(`  ledger: no delivery of ID ${d.id} under key ${d.keyId} is recorded in ${d.ledger.path}`);
    d.deliveries.forEach((delivery, i) => {
      lines.push(`  delivery ${i + 1} of ${d.deliveries!.length} (from ${d.ledger!.path}):`);
      lines.push(...describeDelivery(delivery, '    '));
      if (delivery.output.sha256 === d.input.sha256) lines.push('    the leaked file is byte for byte this delivered file (same SHA-256)');
    });
  }
  return lines;
}

/**
 * The argv that reproduces an analysis: the same input, key and settings, paths made absolute; candidates the ledger
 * gave are listed (the ledger grows, and the same list gives the same result).
 */
function reproduceArgv(detection: Detection, args: {
  input: string;
  key: string;
  candidates?: string;
  registry?: string;
  'max-seconds'?: string;
  'master-height'?: string;
  'full-scan'?: boolean;
  'stop-early'?: boolean;
  'all-frames'?: boolean;
  ledger?: string;
}): string[] {
  const argv = ['reelmark', 'extract', resolve(args.input), '--key', resolve(args.key)];
  const fromLedger = detection.parameters.candidatesFromLedger === true ? detection.parameters.candidates : null;
  if (args.candidates !== undefined) argv.push('--candidates', args.candidates);
  else if (fromLedger) argv.push('--candidates', fromLedger.join(','));
  if (args.registry !== undefined) argv.push('--registry', resolve(args.registry));
  if (args['max-seconds'] !== undefined) argv.push('--max-seconds', args['max-seconds']);
  if (args['master-height'] !== undefined) argv.push('--master-height', args['master-height']);
  if (args['full-scan'] === true) argv.push('--full-scan');
  if (args['stop-early'] === true) argv.push('--stop-early');
  if (args['all-frames'] === true) argv.push('--all-frames');
  if (args.ledger !== undefined) argv.push('--ledger', resolve(args.ledger));
  return argv;
}

/** `reelmark extract IN --key K`: find the mark in a leaked video or screenshot. Exit 0 found, 3 not found. */
export const extractCommand = defineCommand({
  meta: {
    name: 'extract',
    description: 'Find the mark in a suspect video or still image, blindly: exit 0 if found, 3 if not',
  },
  args: {
    input: { type: 'positional', required: true, description: 'Suspect video or still image' },
    key: { type: 'string', alias: 'k', required: true, valueHint: 'FILE', description: 'Key file the deliveries were marked with' },
    candidates: { type: 'string', valueHint: 'N,N,...', description: 'Score only these issued IDs (stronger than free decoding; names every colluder)' },
    registry: { type: 'string', alias: 'r', valueHint: 'FILE', description: "The registry's partners are the candidates, and name the result" },
    'max-seconds': { type: 'string', valueHint: 'S', description: 'Analyse at most the first S seconds' },
    'master-height': { type: 'string', valueHint: 'N', description: 'Height of the marked master, to report the scale against it (default 1080)' },
    'full-scan': { type: 'boolean', description: 'Keep reading after the verdict is certain (to the end or --max-seconds); the default among candidates' },
    'stop-early': {
      type: 'boolean',
      description: 'Stop reading as soon as the verdict is certain, also among candidates (the default when blind); a copy spliced in later is then not read',
    },
    'all-frames': { type: 'boolean', description: 'Decode every frame (default: every frame of the first 10 s, then keyframes only, for speed)' },
    ledger: {
      type: 'string',
      valueHint: 'FILE',
      description: 'Delivery ledger: its IDs under the key are the candidates (unless --candidates or --registry), and the accused ID\'s delivery is named (JSON: "deliveries")',
    },
    report: { type: 'string', valueHint: 'FILE', description: "Write the investigator's report: .html (self-contained page) or .json" },
    overwrite: { type: 'boolean', description: 'Replace an existing --report file' },
    json: { type: 'boolean', description: 'Print the detection as JSON (stable field names; see README)' },
  },
  async run({ args, data }) {
    const context = data as CliContext;
    if (args.candidates !== undefined && args.registry !== undefined) throw new CliUsageError('give either --candidates or --registry, not both');
    if (args['full-scan'] === true && args['stop-early'] === true) throw new CliUsageError('give either --full-scan or --stop-early, not both');
    const candidates = idListFlag(args.candidates, '--candidates');
    const maxSeconds = numberFlag(args['max-seconds'], '--max-seconds', Number.MIN_VALUE, Number.MAX_VALUE);
    const masterHeight = numberFlag(args['master-height'], '--master-height', 16, 65536, true);
    if (args.overwrite === true && args.report === undefined) throw new CliUsageError('--overwrite is only used with --report');
    // Before the analysis, so that it does not end on "file exists".
    if (args.report !== undefined) {
      const reads = [args.input, args.key, args.registry, args.ledger];
      await checkReportOutput({ output: args.report, overwrite: args.overwrite === true, reads });
    }
    const key = await loadKey(args.key);
    const registry = args.registry === undefined ? undefined : await loadRegistry(args.registry);
    const progress = createProgress(context, 'extract', args.json, 'seconds');
    let detection: Detection;
    try {
      detection = await extract({
        input: args.input,
        key,
        candidates,
        partners: registry,
        maxSeconds,
        fullScan: args['full-scan'] === true ? true : args['stop-early'] === true ? false : undefined,
        allFrames: args['all-frames'] === true,
        masterHeight,
        ledger: args.ledger,
        signal: context.signal,
        onProgress: (p) => progress.update({ done: p.secondsAnalyzed, total: p.secondsTotal }),
      });
    } finally {
      progress.stop();
    }
    if (detection.ledger) warnLedger(context, detection.ledger.path, detection.ledger.warnings);
    let reportPath: string | undefined;
    if (args.report !== undefined) {
      const written = await writeReport({
        detection,
        output: args.report,
        overwrite: args.overwrite === true,
        command: reproduceArgv(detection, args),
        signal: context.signal,
      });
      reportPath = written.path;
    }
    if (args.json) writeLine(context.stdout, JSON.stringify(detection, null, 2));
    else for (const line of describeDetection(detection, masterHeight)) writeLine(context.stdout, line);
    if (reportPath !== undefined) writeLine(args.json ? context.stderr : context.stdout, `${args.json ? 'reelmark: ' : ''}report written to ${reportPath}`);
    return detection.found ? EXIT.OK : EXIT.NOT_FOUND;
  },
});
