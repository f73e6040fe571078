import { defineCommand } from 'citty';
import { currentOperator, embedBatch, loadKey, loadRegistry } from '@reelmark/core';
import type { BatchRecipient } from '@reelmark/core';
import { CliUsageError } from '../argv.js';
import { EXIT, writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { createProgress } from '../progress.js';
import { encodeArgs, encodeOptions, formatPsnr } from './embed.js';
import { ledgerPathFor, recordArgs } from './ledger.js';
import { idListFlag } from './shared.js';

/** `reelmark batch IN --key K --ids 1,2,3 | --registry FILE --out-dir DIR`: one decode, one output per recipient. */
export const batchCommand = defineCommand({
  meta: {
    name: 'batch',
    description: 'Mark one master for many recipients with a single decode: one output per recipient, named after it',
  },
  args: {
    input: { type: 'positional', required: true, description: 'Master video or still image' },
    key: { type: 'string', alias: 'k', required: true, valueHint: 'FILE', description: 'Key file (from reelmark keygen)' },
    ids: { type: 'string', valueHint: 'N,N,...', description: 'Recipient IDs; outputs are named <stem>.id<N><ext>' },
    registry: { type: 'string', alias: 'r', valueHint: 'FILE', description: 'Mark for the partners in this registry; outputs are named <stem>.<partner><ext>' },
    partners: { type: 'string', valueHint: 'NAME,NAME,...', description: 'With --registry: only these partners (default: all)' },
    'out-dir': { type: 'string', alias: 'd', required: true, valueHint: 'DIR', description: 'Existing folder for the outputs' },
    ...encodeArgs,
    ...recordArgs,
  },
  async run({ args, data }) {
    const context = data as CliContext;
    if ((args.ids === undefined) === (args.registry === undefined)) {
      throw new CliUsageError(args.ids === undefined ? 'give the recipients as --ids N,N,... or --registry FILE' : 'give either --ids or --registry, not both');
    }
    if (args.partners !== undefined && args.registry === undefined) throw new CliUsageError('--partners is only used with --registry');
    const encode = encodeOptions(args);
    const ids = idListFlag(args.ids, '--ids');
    const key = await loadKey(args.key);
    let recipients: BatchRecipient[];
    if (ids) {
      recipients = ids.map((id) => ({ id }));
    } else {
      const registry = await loadRegistry(args.registry!);
      const chosen = args.partners === undefined ? registry.partners : args.partners.split(',').map((name) => registry.require(name.trim()));
      if (chosen.length === 0) throw new CliUsageError(`${args.registry} has no partners (add some with 'reelmark partner add NAME')`);
      recipients = chosen.map((p) => ({ id: p.id, name: p.name, partner: p.name }));
    }
    const progress = createProgress(context, `batch x${recipients.length}`, args.json);
    let result;
    try {
      result = await embedBatch({
        input: args.input,
        key,
        recipients,
        outDir: args['out-dir'],
        ...encode,
        ledger: ledgerPathFor(args.ledger, args.registry, context.env),
        operator: args.operator ?? currentOperator(context.env),
        title: args.title,
        signal: context.signal,
        onProgress: (p) => progress.update({ done: p.framesDone, total: p.framesTotal }),
      });
    } finally {
      progress.stop();
    }
    if (args.json) {
      writeLine(context.stdout, JSON.stringify(result.toJSON()));
      return EXIT.OK;
    }
    for (const out of result.outputs) {
      writeLine(context.stdout, `wrote ${out.output}: ID ${out.id} (${out.name}), PSNR ${formatPsnr(out.psnr)}`);
    }
    writeLine(
      context.stdout,
      `${result.outputs.length} outputs, ${result.frames} frames decoded once, ${result.seconds.toFixed(1)} s; recorded in ${result.outputs[0].ledger}`,
    );
    return EXIT.OK;
  },
});
