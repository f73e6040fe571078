/**
 * Batch embedding: one decode of the master, one marked output per recipient. Decoding (and probing) is paid once;
 * each recipient costs its embed and its encode.
 */
import { basename, extname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { probe, transformVideoToMany } from '../media/index.js';
import type { Frame } from '../media/index.js';
import { PARTNER_NAME_PATTERN } from '../registry.js';
import { assertKnownOptions, assertNonEmptyString, assertObject, invalid, optionalString } from '../validate.js';
import { assertId, assertReadableSize, throwIfAborted } from './common.js';
import { DeliveryRecorder } from './deliveries.js';
import { EMBED_OPTIONS, FrameMarker, assertWholeInput, checkEmbedOptions, embedResult, expectedFrames, progressReporter } from './embed.js';
import type { EmbedOptions, EmbedProgress, EmbedResult } from './embed.js';

/** One recipient of a batch. */
export interface BatchRecipient {
  /** The recipient's ID. */
  id: bigint;
  /** Name used in the output file name (`<input stem>.<name><ext>` in `outDir`); default `id<ID>`. */
  name?: string;
  /** Explicit output path (overrides `outDir` naming). */
  output?: string;
  /** The partner this output is for, recorded in the ledger (default null: known by ID only). */
  partner?: string;
}

/**
 * Options of {@link embedBatch}: those of an embed, without `output`, `id` and `partner`, plus the recipients.
 * With `ledger`, every output is recorded, all in one append once every output is complete.
 */
export interface BatchOptions extends Omit<EmbedOptions, 'output' | 'id' | 'onProgress' | 'partner'> {
  /** At least one recipient; IDs and output paths must be distinct. */
  recipients: readonly BatchRecipient[];
  /** Folder for outputs named after the recipients (must exist). Required unless every recipient has `output`. */
  outDir?: string;
  /** Called as frames are encoded (frames of the master, each marked for every recipient). */
  onProgress?: (progress: EmbedProgress) => void;
}

/** What a batch wrote. */
export interface BatchResult {
  readonly input: string;
  /** One result per recipient, in the order given. */
  readonly outputs: ReadonlyArray<EmbedResult & { readonly name: string }>;
  /** Frames of the master decoded (once). */
  readonly frames: number;
  /** Wall time of the whole batch, seconds. */
  readonly seconds: number;
  toJSON(): { input: string; frames: number; seconds: number; outputs: Array<ReturnType<EmbedResult['toJSON']> & { name: string }> };
}

/** The output path for a recipient named `name`: `<outDir>/<input stem>.<name><input ext>`. */
export function batchOutputPath(input: string, outDir: string, name: string): string {
  const ext = extname(input);
  return join(outDir, `${basename(input, ext)}.${name}${ext}`);
}

/** The options embedBatch takes (`BatchOptions`). */
const BATCH_OPTIONS: readonly string[] = [...EMBED_OPTIONS.filter((k) => k !== 'output' && k !== 'id' && k !== 'partner'), 'recipients', 'outDir'];

/**
 * Mark one master for many recipients with a single decode.
 * All outputs are checked before anything is decoded; if any output fails (or the work is aborted) every output of
 * the batch is removed, so a batch is delivered whole or not at all.
 * @throws UsageError (bad options, duplicate IDs, names or outputs), InputError, OutputError, AbortError, FfmpegError.
 * @example
 * const result = await embedBatch({
 *   input: 'master.mov', key, outDir: 'out',
 *   recipients: [{ id: 1n, name: 'acme-vfx' }, { id: 2n, name: 'zeta-post' }],
 * }); // out/master.acme-vfx.mov, out/master.zeta-post.mov
 */
export async function embedBatch(options: BatchOptions): Promise<BatchResult> {
  const started = performance.now();
  assertObject(options, 'options');
  const o = options as unknown as Record<string, unknown>;
  assertKnownOptions(o, BATCH_OPTIONS, 'options');
  const outDir = optionalString(o.outDir, 'options.outDir');
  if (!Array.isArray(o.recipients) || o.recipients.length === 0) invalid('options.recipients', 'a non-empty array of recipients', o.recipients);
  const ids = new Set<bigint>();
  const names = new Set<string>();
  const outputs = new Set<string>();
  const recipients = (o.recipients as unknown[]).map((entry, i) => {
    const where = `options.recipients[${i}]`;
    assertObject(entry, where);
    const r = entry as Record<string, unknown>;
    assertKnownOptions(r, ['id', 'name', 'output', 'partner'], where);
    assertId(r.id, `${where}.id`);
    const name = r.name === undefined ? `id${r.id}` : r.name;
    if (typeof name !== 'string' || !PARTNER_NAME_PATTERN.test(name)) invalid(`${where}.name`, 'a name of letters, digits, ".", "_" or "-"', r.name);
    let output: string;
    if (r.output !== undefined) {
      assertNonEmptyString(r.output, `${where}.output`);
      output = r.output;
    } else if (outDir !== undefined) {
      output = batchOutputPath(String(o.input), outDir, name);
    } else {
      throw new UsageError(`Expected options.outDir or ${where}.output but received neither`);
    }
    if (ids.has(r.id)) throw new UsageError(`Expected distinct IDs in options.recipients but received ${r.id} twice`);
    if (names.has(name.toLowerCase())) throw new UsageError(`Expected distinct names in options.recipients but received '${name}' twice`);
    const resolved = resolve(output);
    if (outputs.has(resolved)) throw new UsageError(`Expected distinct outputs in options.recipients but received ${output} twice`);
    const partner = optionalString(r.partner, `${where}.partner`);
    ids.add(r.id);
    names.add(name.toLowerCase());
    outputs.add(resolved);
    return { id: r.id, name, output, partner };
  });
  // Every recipient's options go through the single-embed checks, so messages match embedVideo's.
  const checked = recipients.map((r) => ({
    ...checkEmbedOptions({ ...options, recipients: undefined, outDir: undefined, output: r.output, id: r.id, partner: r.partner }),
    name: r.name,
  }));
  const common = checked[0];
  throwIfAborted(common.signal);

  const info = await probe(common.input);
  assertReadableSize(info, 'mark');
  const markers = checked.map((c) => new FrameMarker(c.key, c.id, c.strength, info));
  const report = progressReporter(common.onProgress, info.kind === 'image' ? 1 : expectedFrames(info));
  const encodeOptions = { codec: common.codec, crf: common.crf, preset: common.preset, overwrite: common.overwrite };
  const recorder = await DeliveryRecorder.start(common, common.input, checked.map((c) => c.output), common.signal);
  let written;
  let records;
  try {
    written = await transformVideoToMany(
      common.input,
      checked.map((c, i) => ({ output: c.output, fn: (frame: Frame) => markers[i].mark(frame), options: encodeOptions })),
      { signal: common.signal, onProgress: report ? (progress) => report(progress.framesDone) : undefined },
    );
    await assertWholeInput(info, markers[0], written[0].frames, written.map((w) => w.output));
    const frameCount = written[0].frames;
    records = recorder
      ? await recorder.record(
          info,
          checked.map((c) => ({ output: c.output, id: c.id, partner: c.partner ?? null, keyId: c.key.id, strength: c.strength, frames: frameCount, width: info.width, height: info.height })),
        )
      : null;
  } finally {
    recorder?.stop();
  }
  const frames = written[0].frames;
  const seconds = (performance.now() - started) / 1000;
  const results = checked.map((c, i) => {
    const delivery = recorder && records ? { ledger: recorder.ledger, record: records[i] } : null;
    const single = embedResult(c, info.kind, markers[i], frames, info, seconds, delivery, written[i].warnings);
    return { ...single, name: c.name, toJSON: () => ({ ...single.toJSON(), name: c.name }) };
  });
  return {
    input: common.input,
    outputs: results,
    frames,
    seconds,
    toJSON: () => ({ input: common.input, frames, seconds: Math.round(seconds * 1000) / 1000, outputs: results.map((r) => r.toJSON()) }),
  };
}
