/**
 * Whether two paths name the same file: the same real path (symbolic links resolved), or, when both exist, the
 * same device and inode (hard links). A path that does not exist yet is compared by the real path of its folder.
 * @internal
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

async function realPathOf(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    try {
      return join(await realpath(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

export async function isSameFile(a: string, b: string): Promise<boolean> {
  const [realA, realB, statA, statB] = await Promise.all([realPathOf(a), realPathOf(b), stat(a).catch(() => null), stat(b).catch(() => null)]);
  if (realA === realB) return true;
  return statA !== null && statB !== null && statA.dev === statB.dev && statA.ino === statB.ino;
}

/** The first of `others` that names the same file as `path`, if any. */
export async function sameFileAmong(path: string, others: ReadonlyArray<string | undefined | null>): Promise<string | undefined> {
  for (const other of others) if (other && (await isSameFile(path, other))) return other;
  return undefined;
}
