import { rmdirSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import { defineCommand } from 'citty';
import { currentOperator, embedBatch, loadKey, loadRegistry } from '@reelmark/core';
import type { BatchRecipient } from '@reelmark/core';
import { CliUsageError } from '../argv.js';
import { EXIT, writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { createProgress } from '../progress.js';
import { encodeArgs, encodeOptions, formatPsnr } from './embed.js';
import { ledgerPathFor, recordArgs } from './ledger.js';
import { idListFlag, nameListFlag } from './shared.js';

/**
 * Creates the --out-dir folder when it is missing and its parent exists (a pipeline names a fresh folder per run).
 * Resolves to true when it made it. Anything else (it exists, as a folder or not; no parent; no permission) is left
 * for the core to report with the output paths.
 */
async function createOutDir(dir: string): Promise<boolean> {
  try {
    await mkdir(dir);
    return true;
  } catch {
    return false;
  }
}

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
    'out-dir': {
      type: 'string',
      alias: 'd',
      required: true,
      valueHint: 'DIR',
      description: 'Folder for the outputs; created if missing when its parent exists (and removed again if the batch fails)',
    },
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
    const partnerNames = args.partners === undefined ? undefined : nameListFlag(args.partners, '--partners');
    const key = await loadKey(args.key);
    let recipients: BatchRecipient[];
    if (ids) {
      recipients = ids.map((id) => ({ id }));
    } else {
      const registry = await loadRegistry(args.registry!);
      const chosen = partnerNames === undefined ? registry.partners : partnerNames.map((name) => registry.require(name));
      if (chosen.length === 0) throw new CliUsageError(`${args.registry} has no partners (add some with 'reelmark partner add NAME')`);
      recipients = chosen.map((p) => ({ id: p.id, name: p.name, partner: p.name }));
    }
    const outDir = args['out-dir'];
    const created = await createOutDir(outDir);
    // Should the process exit before the batch settles (a second Ctrl-C), the partial outputs are removed on the way
    // out (`@reelmark/core`), and then the folder the batch made, if nothing else is in it.
    const removeCreatedDir = () => {
      try {
        rmdirSync(outDir);
      } catch {
        // not empty, or gone
      }
    };
    if (created) process.once('exit', removeCreatedDir);
    const progress = createProgress(context, `batch x${recipients.length}`, args.json);
    let result;
    try {
      result = await embedBatch({
        input: args.input,
        key,
        recipients,
        outDir,
        ...encode,
        ledger: ledgerPathFor(args.ledger, args.registry, context.env),
        operator: args.operator ?? currentOperator(context.env),
        title: args.title,
        signal: context.signal,
        onProgress: (p) => progress.update({ done: p.framesDone, total: p.framesTotal }),
      });
    } catch (error) {
      // A failed batch leaves no output, so a folder it made is empty again (rmdir removes nothing else).
      if (created) await rmdir(outDir).catch(() => undefined);
      throw error;
    } finally {
      process.off('exit', removeCreatedDir);
      progress.stop();
    }
    for (const out of result.outputs) for (const warning of out.warnings) writeLine(context.stderr, `reelmark: warning: ${warning}`);
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
