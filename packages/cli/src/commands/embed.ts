import { defineCommand } from 'citty';
import { DEFAULT_REGISTRY_PATH, DEFAULT_STRENGTH, currentOperator, embed, loadKey, loadRegistry } from '@reelmark/core';
import { CliUsageError } from '../argv.js';
import { EXIT, writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { createProgress } from '../progress.js';
import { ledgerPathFor, recordArgs } from './ledger.js';
import { idFlag, numberFlag } from './shared.js';

/** Flags shared by `embed` and `batch`: the encoder and the mark's strength. */
export const encodeArgs = {
  strength: {
    type: 'string',
    valueHint: 'S',
    description: `Mark amplitude (RMS, 8-bit code values, before masking; default ${DEFAULT_STRENGTH}). Higher survives more, shows more`,
  },
  codec: { type: 'string', valueHint: 'NAME', description: 'Encoder, e.g. libx264, libx265, prores_ks, ffv1 (default: same family as the source)' },
  crf: { type: 'string', valueHint: 'N', description: 'Encoder constant rate factor (x264/x265)' },
  preset: { type: 'string', valueHint: 'NAME', description: 'Encoder preset, e.g. medium' },
  overwrite: { type: 'boolean', description: 'Replace outputs that exist (never the input)' },
  json: { type: 'boolean', description: 'Print a JSON summary instead of a line of text' },
} as const;

/** Parse the shared encoder flags. */
export function encodeOptions(args: { strength?: string; codec?: string; crf?: string; preset?: string; overwrite?: boolean }) {
  return {
    strength: numberFlag(args.strength, '--strength', Number.MIN_VALUE, Number.MAX_VALUE),
    codec: args.codec,
    crf: numberFlag(args.crf, '--crf', 0, 63),
    preset: args.preset,
    overwrite: args.overwrite === true,
  };
}

/** Format a PSNR for people. */
export const formatPsnr = (db: number) => (Number.isFinite(db) ? `${db.toFixed(1)} dB` : db > 0 ? 'unchanged' : 'n/a');

/** `reelmark embed IN -o OUT --key K --id N | --partner NAME`: mark a video or a still for one recipient. */
export const embedCommand = defineCommand({
  meta: { name: 'embed', description: 'Mark a video or still image with a recipient ID' },
  args: {
    input: { type: 'positional', required: true, description: 'Master video or still image (png, jpg, tiff)' },
    output: { type: 'string', alias: 'o', required: true, valueHint: 'FILE', description: 'Marked output (format from its extension)' },
    key: { type: 'string', alias: 'k', required: true, valueHint: 'FILE', description: 'Key file (from reelmark keygen)' },
    id: { type: 'string', valueHint: 'N', description: 'Recipient ID, decimal, 0 .. 281474976710655 (48 bits)' },
    partner: { type: 'string', alias: 'p', valueHint: 'NAME', description: 'Take the ID of this partner from the registry' },
    registry: { type: 'string', alias: 'r', valueHint: 'FILE', description: 'Partner registry for --partner (default partners.json)' },
    ...encodeArgs,
    ...recordArgs,
  },
  async run({ args, data }) {
    const context = data as CliContext;
    if ((args.id === undefined) === (args.partner === undefined)) {
      throw new CliUsageError(args.id === undefined ? 'give the recipient as --id N or --partner NAME' : 'give either --id or --partner, not both');
    }
    if (args.registry !== undefined && args.partner === undefined) throw new CliUsageError('--registry is only used with --partner');
    const encode = encodeOptions(args);
    const key = await loadKey(args.key);
    const partner = args.partner === undefined ? undefined : (await loadRegistry(args.registry ?? DEFAULT_REGISTRY_PATH)).require(args.partner);
    const id = partner ? partner.id : idFlag(args.id!, '--id');
    const progress = createProgress(context, 'embed', args.json);
    let result;
    try {
      result = await embed({
        input: args.input,
        output: args.output,
        key,
        id,
        ...encode,
        partner: partner?.name,
        ledger: ledgerPathFor(args.ledger, args.registry, context.env),
        operator: args.operator ?? currentOperator(context.env),
        title: args.title,
        signal: context.signal,
        onProgress: (p) => progress.update({ done: p.framesDone, total: p.framesTotal }),
      });
    } finally {
      progress.stop();
    }
    for (const warning of result.warnings) writeLine(context.stderr, `reelmark: warning: ${warning}`);
    if (args.json) {
      // The registry's spelling of the name, as the ledger records it (--partner matches regardless of case).
      writeLine(context.stdout, JSON.stringify({ ...result.toJSON(), partner: partner?.name ?? null }));
    } else {
      writeLine(
        context.stdout,
        `wrote ${result.output}: ${result.frames} ${result.kind === 'image' ? 'image' : 'frames'}, ID ${result.id}` +
          `${partner ? ` (${partner.name})` : ''}, key ${result.keyId}, PSNR ${formatPsnr(result.psnr)}, ${result.seconds.toFixed(1)} s; ` +
          `recorded in ${result.ledger}`,
      );
    }
    return EXIT.OK;
  },
});
