/**
 * Small files (keys, registries) written so that a reader never sees a half-written file: the bytes go to a
 * temporary file beside the destination, are flushed to disk, and only then take the destination's name.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** How {@link writeFileAtomic} treats an existing destination. */
export type AtomicMode =
  /** Fail with `EEXIST` if the destination exists (hard link, so the check and the write are one step). */
  | 'create'
  /** Replace the destination (rename). */
  | 'replace';

/** A temporary name beside `path`, hidden and unique to this process and call. */
export function tempPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Write `data` to `path` atomically with file mode `mode`.
 * In `create` mode the destination is linked to the finished temporary file, which fails with `EEXIST`
 * when it exists (unlike `rename`, which would replace it): the caller never overwrites a file by accident,
 * even when two processes race.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number, how: AtomicMode): Promise<void> {
  const temp = tempPathBeside(path);
  const handle = await open(temp, 'wx', mode);
  let linked = false;
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (how === 'create') {
      await link(temp, path);
      linked = true;
    } else {
      await rename(temp, path);
      linked = true;
    }
  } finally {
    // After `create` the temporary name is a second link to the same file; after a failure it is garbage.
    if (how === 'create' || !linked) await unlink(temp).catch(() => undefined);
  }
}
