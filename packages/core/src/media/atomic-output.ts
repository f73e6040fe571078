/**
 * Output files appear complete or not at all: ffmpeg writes a temporary file beside the destination, which is
 * renamed onto it only after ffmpeg succeeded. Failures, aborts and exceptions remove the temporary file.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { unlinkSync } from 'node:fs';
import { access, link, rename, stat, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';

import { OutputError, UsageError } from '../errors.js';
import { sameFileAmong } from '../same-file.js';

/** A destination checked and ready to be written through a temporary file. */
export interface PendingOutput {
  /** Absolute destination path. */
  readonly path: string;
  /** Temporary file beside the destination, with the same extension (ffmpeg picks its muxer from it). */
  readonly tempPath: string;
  /** Moves the finished temporary file onto the destination. */
  commit(): Promise<void>;
  /** Removes the temporary file if it exists. Never throws. */
  discard(): Promise<void>;
}

/** Options of {@link prepareOutput}. */
export interface PrepareOutputOptions {
  /** Files being read; the destination may never be one of them. */
  inputs: readonly string[];
  /** Replace an existing destination. */
  overwrite: boolean;
}

/**
 * Temporary files reserved and not yet committed or discarded. A process that exits before its outputs settle
 * (`process.exit` on a second Ctrl-C, an uncaught error) removes them synchronously on its way out: the atomic
 * promise holds even then.
 */
const unsettled = new Set<string>();
// Installed when the module loads, so that it runs before exit hooks added later (a folder made for the outputs is
// removed by its maker's hook only once it is empty again).
process.once('exit', () => {
  for (const p of unsettled) {
    try {
      unlinkSync(p);
    } catch {
      // never written, or already gone
    }
  }
  unsettled.clear();
});

/**
 * Marks another temporary file (one made beside a reserved output, e.g. a remux of it) for removal should the process
 * exit first; the returned function unmarks it once it is renamed or removed.
 */
export function removeIfExiting(tempPath: string): () => void {
  unsettled.add(tempPath);
  return () => {
    unsettled.delete(tempPath);
  };
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    return undefined;
  }
}

/**
 * Checks a destination and reserves a temporary path beside it.
 *
 * @throws {OutputError} `ERR_OUTPUT_IS_INPUT` when it is one of the inputs (always refused, even with overwrite),
 *   `ERR_OUTPUT_EXISTS` when it exists and `overwrite` is false, `ERR_OUTPUT_DIR` when its folder is missing, not
 *   a folder, or not writable.
 */
export async function prepareOutput(output: string, options: PrepareOutputOptions): Promise<PendingOutput> {
  if (typeof output !== 'string' || output === '') {
    throw new UsageError(`Expected a file path (non-empty string) for output but received ${typeof output === 'string' ? "''" : typeof output}`);
  }
  const abs = path.resolve(output);
  const dir = path.dirname(abs);
  const dirStat = await statOrUndefined(dir);
  if (!dirStat) throw new OutputError(`${abs}: the folder ${dir} does not exist`, abs, 'ERR_OUTPUT_DIR');
  if (!dirStat.isDirectory()) throw new OutputError(`${abs}: ${dir} is not a folder`, abs, 'ERR_OUTPUT_DIR');
  try {
    await access(dir, fsConstants.W_OK);
  } catch {
    throw new OutputError(`${abs}: the folder ${dir} is not writable`, abs, 'ERR_OUTPUT_DIR');
  }

  const outStat = await statOrUndefined(abs);
  const input = await sameFileAmong(abs, options.inputs);
  if (input !== undefined) {
    throw new OutputError(`${abs}: is the input file ${path.resolve(input)}; refusing to write over the input`, abs, 'ERR_OUTPUT_IS_INPUT');
  }
  if (outStat?.isDirectory()) throw new OutputError(`${abs}: is a directory`, abs, 'ERR_OUTPUT_EXISTS');
  if (outStat && !options.overwrite) {
    throw new OutputError(`${abs}: already exists (pass overwrite: true to replace it)`, abs, 'ERR_OUTPUT_EXISTS');
  }

  const ext = path.extname(abs);
  const stem = path.basename(abs, ext);
  const tempPath = path.join(dir, `.${stem}.reelmark-${process.pid}-${randomBytes(4).toString('hex')}.partial${ext}`);
  let settled = false;
  unsettled.add(tempPath);

  return {
    path: abs,
    tempPath,
    async commit() {
      if (settled) throw new Error(`${abs}: output already committed or discarded`);
      settled = true;
      try {
        if (options.overwrite) {
          await rename(tempPath, abs);
          return;
        }
        // link() fails if the destination appeared meanwhile, so a file created by someone else is never replaced.
        try {
          await link(tempPath, abs);
          await unlink(tempPath);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') {
            throw new OutputError(`${abs}: already exists (it appeared while encoding; pass overwrite: true to replace it)`, abs, 'ERR_OUTPUT_EXISTS');
          }
          // Filesystems without hard links: check, then rename.
          if (await statOrUndefined(abs)) {
            throw new OutputError(`${abs}: already exists (it appeared while encoding; pass overwrite: true to replace it)`, abs, 'ERR_OUTPUT_EXISTS');
          }
          await rename(tempPath, abs);
        }
      } catch (err) {
        await unlink(tempPath).catch(() => {});
        throw err;
      } finally {
        unsettled.delete(tempPath);
      }
    },
    async discard() {
      settled = true;
      await unlink(tempPath).catch(() => {});
      unsettled.delete(tempPath);
    },
  };
}
