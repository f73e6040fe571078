import { defineCommand } from 'citty';
import { DEFAULT_LEDGER_NAME, DEFAULT_REGISTRY_PATH, defaultLedgerPath, deliveryRecordToJSON, loadLedger } from '@reelmark/core';
import type { DeliveryRecord, Ledger } from '@reelmark/core';
import { CliUsageError } from '../argv.js';
import { EXIT, writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { idFlag } from './shared.js';

/** Where deliveries are recorded unless `--ledger` says otherwise: `$REELMARK_LEDGER`, else beside the registry. */
export function ledgerPathFor(flag: string | undefined, registry: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined) return flag;
  const fromEnv = env.REELMARK_LEDGER?.trim();
  if (fromEnv) return fromEnv;
  return defaultLedgerPath(registry ?? DEFAULT_REGISTRY_PATH);
}

/** `--ledger`, `--operator`, `--title`: how `embed` and `batch` record their deliveries. */
export const recordArgs = {
  ledger: {
    type: 'string',
    valueHint: 'FILE',
    description: `Delivery ledger to record every output in (default: $REELMARK_LEDGER, else ${DEFAULT_LEDGER_NAME} beside the registry)`,
  },
  operator: { type: 'string', valueHint: 'NAME', description: 'Who makes the delivery, for the ledger (default: $REELMARK_OPERATOR, else your user name)' },
  title: { type: 'string', valueHint: 'TEXT', description: "Title of the work, for the ledger (default: the master's file name without extension)" },
} as const;

/** Print a ledger's unreadable lines on stderr: they are skipped, never silently. */
export function warnLedger(context: CliContext, path: string, warnings: ReadonlyArray<{ line: number; message: string }>): void {
  for (const w of warnings) writeLine(context.stderr, `reelmark: warning: ${path}:${w.line}: ${w.message}`);
}

const shortHash = (sha256: string) => `${sha256.slice(0, 16)}…`;
const fileName = (path: string) => path.split(/[\\/]/).pop() || path;
const utc = (iso: string) => `${iso.slice(0, 19).replace('T', ' ')} UTC`;

/** A delivery in a few lines, for people. */
export function describeDelivery(d: DeliveryRecord, indent = '  '): string[] {
  return [
    `${indent}partner   ${d.partner ?? '(none recorded)'}, ID ${d.id}`,
    `${indent}time      ${utc(d.time)}, operator ${d.operator}`,
    `${indent}title     ${d.title ?? '(none)'}`,
    `${indent}output    ${d.output.path}  sha256 ${d.output.sha256}  ${d.output.size} bytes`,
    `${indent}master    ${d.master.path}  sha256 ${d.master.sha256}`,
    `${indent}mark      key ${d.keyId}, strength ${d.strength}, ${d.kind === 'image' ? 'still image' : `${d.frames} frames`} ${d.width}x${d.height}`,
    `${indent}made with ${d.reelmark}, ffmpeg ${d.ffmpeg}`,
  ];
}

function table(rows: DeliveryRecord[]): string[] {
  const cells = rows.map((d) => [utc(d.time), d.id.toString(), d.partner ?? '-', d.title ?? '-', fileName(d.output.path), shortHash(d.output.sha256), d.operator, d.keyId]);
  const head = ['TIME', 'ID', 'PARTNER', 'TITLE', 'OUTPUT', 'SHA-256', 'OPERATOR', 'KEY ID'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i === 1 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), ...cells.map(line)];
}

const ledgerFlag = {
  type: 'string',
  valueHint: 'FILE',
  description: `Delivery ledger (default: $REELMARK_LEDGER, else ${DEFAULT_LEDGER_NAME} beside ${DEFAULT_REGISTRY_PATH})`,
} as const;

function summaryJSON(ledger: Ledger, records: DeliveryRecord[], extra: Record<string, unknown>) {
  return { ledger: ledger.path, ...extra, deliveries: records.map(deliveryRecordToJSON), warnings: ledger.warnings.map((w) => ({ line: w.line, message: w.message })) };
}

const findCommand = defineCommand({
  meta: { name: 'find', description: 'Show the deliveries of a watermark ID: exit 0 if any, 3 if none' },
  args: {
    id: { type: 'string', required: true, valueHint: 'N', description: 'Watermark ID, decimal (as extract reports it)' },
    'key-id': { type: 'string', valueHint: 'HEX', description: 'Only deliveries marked with this key id' },
    ledger: ledgerFlag,
    json: { type: 'boolean', description: 'Print {"ledger","id","deliveries":[…],"warnings":[…]} as JSON' },
  },
  async run({ args, data }) {
    const context = data as CliContext;
    const id = idFlag(args.id, '--id');
    const keyId = args['key-id'];
    if (keyId !== undefined && !/^[0-9a-f]+$/i.test(keyId)) throw new CliUsageError(`expected a hexadecimal key id for --key-id but received '${keyId}'`);
    const ledger = await loadLedger(ledgerPathFor(args.ledger, undefined, context.env));
    warnLedger(context, ledger.path, ledger.warnings);
    const found = ledger.find(id, keyId?.toLowerCase());
    if (args.json) {
      writeLine(context.stdout, JSON.stringify(summaryJSON(ledger, found, { id: id.toString(), keyId: keyId ?? null }), null, 2));
    } else if (found.length === 0) {
      writeLine(context.stdout, `no delivery of ID ${id}${keyId ? ` under key ${keyId}` : ''} in ${ledger.path} (${ledger.records.length} recorded)`);
    } else {
      found.forEach((d, i) => {
        writeLine(context.stdout, `delivery ${i + 1} of ${found.length} of ID ${id}:`);
        for (const line of describeDelivery(d)) writeLine(context.stdout, line);
      });
    }
    return found.length > 0 ? EXIT.OK : EXIT.NOT_FOUND;
  },
});

const listCommand = defineCommand({
  meta: { name: 'list', description: 'List recorded deliveries, oldest first' },
  args: {
    partner: { type: 'string', alias: 'p', valueHint: 'NAME', description: 'Only the deliveries to this partner' },
    ledger: ledgerFlag,
    json: { type: 'boolean', description: 'Print {"ledger","partner","deliveries":[…],"warnings":[…]} as JSON' },
  },
  async run({ args, data }) {
    const context = data as CliContext;
    const ledger = await loadLedger(ledgerPathFor(args.ledger, undefined, context.env));
    warnLedger(context, ledger.path, ledger.warnings);
    const rows = args.partner === undefined ? [...ledger.records] : ledger.forPartner(args.partner);
    if (args.json) {
      writeLine(context.stdout, JSON.stringify(summaryJSON(ledger, rows, { partner: args.partner ?? null }), null, 2));
      return EXIT.OK;
    }
    if (rows.length === 0) {
      writeLine(context.stdout, `no deliveries${args.partner ? ` to ${args.partner}` : ''} in ${ledger.path}`);
      return EXIT.OK;
    }
    for (const line of table(rows)) writeLine(context.stdout, line);
    return EXIT.OK;
  },
});

/** `reelmark ledger find|list`: the deliveries recorded by embed and batch. */
export const ledgerCommand = defineCommand({
  meta: { name: 'ledger', description: 'Look up deliveries in the ledger that embed and batch append to' },
  subCommands: { find: findCommand, list: listCommand },
});
