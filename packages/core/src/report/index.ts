/**
 * The investigator's report on a detection: a self-contained HTML page (verdict in one sentence, the probability in
 * plain words, the accused delivery from the ledger, the leaked file, the evidence over time, every candidate
 * against the threshold, the correlation peak, the geometry, the parameters and the command that reproduces the
 * analysis), or the same facts as JSON: the `extract --json` fields plus `report`.
 */
import { stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { Detection } from '../api/detection.js';
import { OutputError, UsageError } from '../errors.js';
import { sameFileAmong } from '../same-file.js';
import { assertNonEmptyString, assertObject, invalid, optionalBoolean, optionalSignal } from '../validate.js';
import { renderReportHtml } from './html.js';
import { buildReportJSON } from './model.js';
import type { ReportContentOptions, ReportJSON } from './model.js';
import { makeThumbnail } from './thumbnail.js';
import type { Thumbnail } from './thumbnail.js';

export { REPORT_FORMAT, REPORT_VERSION, buildReportJSON } from './model.js';
export type { ReportContentOptions, ReportFields, ReportJSON } from './model.js';
export { renderReportHtml } from './html.js';
export type { Thumbnail } from './thumbnail.js';

/** Report formats, chosen by the output's extension. */
export type ReportFormat = 'html' | 'json';

/** Options of {@link writeReport}. */
export interface ReportOptions extends ReportContentOptions {
  /** The detection to report on (from `extract`). */
  detection: Detection;
  /** The report file: `.html`/`.htm` or `.json`. Written atomically; never equal to the analysed file. */
  output: string;
  /** Replace `output` if it exists (default false: an existing file is an error and is left untouched). */
  overwrite?: boolean;
  /** Embed a picture of the analysed image (stills) or of a frame of the leak (videos) in an HTML report (default true). */
  thumbnail?: boolean;
  signal?: AbortSignal;
}

/** What {@link writeReport} wrote. */
export interface ReportResult {
  /** Absolute path of the report. */
  readonly path: string;
  readonly format: ReportFormat;
  readonly bytes: number;
  /** The report's data (what the JSON report holds). */
  readonly report: ReportJSON;
}

/** The format of a report file, from its extension. @throws UsageError for any other extension. */
export function reportFormatOf(output: string): ReportFormat {
  const ext = extname(output).toLowerCase();
  if (ext === '.html' || ext === '.htm') return 'html';
  if (ext === '.json') return 'json';
  throw new UsageError(`Expected a report file ending in .html, .htm or .json but received '${output}'`);
}

/**
 * Check a report destination before any analysis: a known extension, an existing folder, none of the files the
 * analysis `reads` (the leak, key, registry, ledger: never replaced, even with `overwrite`), and no file there unless
 * `overwrite`. Call it first so that an hour of analysis does not end on "file exists".
 * @throws UsageError (extension), OutputError (folder missing, one of `reads`, file exists, not a file).
 */
export async function checkReportOutput(options: { output: string; overwrite?: boolean; reads?: ReadonlyArray<string | undefined> }): Promise<ReportFormat> {
  assertObject(options, 'options');
  assertNonEmptyString(options.output, 'options.output');
  const overwrite = optionalBoolean(options.overwrite, 'options.overwrite') ?? false;
  if (options.reads !== undefined && !Array.isArray(options.reads)) invalid('options.reads', 'an array of paths', options.reads);
  const format = reportFormatOf(options.output);
  const folder = dirname(resolve(options.output));
  const folderInfo = await stat(folder).catch(() => null);
  if (!folderInfo?.isDirectory()) throw new OutputError(`${options.output}: folder ${folder} does not exist`, options.output, 'ERR_OUTPUT_DIR');
  const clash = await sameFileAmong(options.output, options.reads ?? []);
  if (clash !== undefined) {
    throw new OutputError(`${options.output}: is ${clash}, which this analysis reads; refusing to write the report over it`, options.output, 'ERR_OUTPUT_IS_INPUT');
  }
  const existing = await stat(options.output).catch(() => null);
  if (existing) {
    if (!existing.isFile()) throw new OutputError(`${options.output}: exists and is not a file`, options.output);
    if (!overwrite) throw new OutputError(`${options.output}: file exists (pass overwrite: true to replace it)`, options.output, 'ERR_OUTPUT_EXISTS');
  }
  return format;
}

/**
 * Write a report on `detection`: HTML or JSON by the output's extension. The file appears whole (temporary file
 * and rename) and never replaces an existing file unless `overwrite`.
 * @throws UsageError (bad options or extension), OutputError (exists, folder missing, equals the input), AbortError,
 *   FfmpegError (the picture of the leak could not be made).
 * @example
 * const detection = await extract({ input: 'leak.mp4', key, partners: registry, ledger: 'deliveries.jsonl' });
 * await writeReport({ detection, output: 'leak-report.html', command: process.argv.slice(1) });
 */
export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  assertObject(options, 'options');
  if (!(options.detection instanceof Detection)) invalid('options.detection', 'a Detection (from extract)', options.detection);
  const thumbnailWanted = optionalBoolean(options.thumbnail, 'options.thumbnail') ?? true;
  const signal = optionalSignal(options.signal, 'options.signal');
  if (options.command !== undefined && (!Array.isArray(options.command) || options.command.some((a) => typeof a !== 'string'))) {
    invalid('options.command', 'an array of strings (argv)', options.command);
  }
  const format = await checkReportOutput({ output: options.output, overwrite: options.overwrite });
  const { detection } = options;
  if (resolve(options.output) === resolve(detection.input.path)) {
    throw new OutputError(`${options.output}: the report would replace the file analysed`, options.output, 'ERR_OUTPUT_IS_INPUT');
  }
  const report = await buildReportJSON(detection, options);
  let text: string;
  if (format === 'json') {
    text = `${JSON.stringify(report, null, 2)}\n`;
  } else {
    let thumbnail: Thumbnail | null = null;
    if (thumbnailWanted) {
      const i = detection.input;
      const time = i.kind === 'video' ? Math.min(detection.secondsAnalyzed, i.duration ?? detection.secondsAnalyzed) / 2 : 0;
      thumbnail = await makeThumbnail(i.path, { width: i.width, height: i.height, time, displayed: (i.rotationApplied ?? 0) !== 0, signal });
    }
    text = renderReportHtml(report, thumbnail);
  }
  try {
    await writeFileAtomic(options.output, text, 0o644, options.overwrite ? 'replace' : 'create');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new OutputError(`${options.output}: file exists (pass overwrite: true to replace it)`, options.output, 'ERR_OUTPUT_EXISTS');
    throw new OutputError(`${options.output}: cannot write report (${code ?? (error as Error).message})`, options.output);
  }
  return { path: resolve(options.output), format, bytes: Buffer.byteLength(text), report };
}
