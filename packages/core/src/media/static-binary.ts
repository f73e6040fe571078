/**
 * The environment a child process gets, by what kind of binary it is.
 *
 * The static Linux builds of ffmpeg and ffprobe (johnvansickle.com: those in `@ffmpeg-installer`,
 * `@ffprobe-installer` and `ffmpeg-static`) carry a static glibc. Its iconv still loads the machine's character-set
 * modules (gconv) dynamically, and a static binary that loads them crashes. ffmpeg's MPEG-TS demuxer converts the
 * service names of every transport stream through iconv (ISO 6937), so such an ffprobe died with SIGSEGV on every
 * `.ts` and `.m2ts` file. With `GCONV_PATH` naming no modules, iconv fails cleanly and ffmpeg keeps the names' bytes.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** A folder with no gconv modules (it need not exist). */
export const NO_GCONV_MODULES = '/nonexistent/reelmark-no-gconv-modules';

const PT_INTERP = 3;
const known = new Map<string, boolean>();

/**
 * True when `file` is a Linux (ELF) executable with no program interpreter: statically linked. False for dynamic
 * executables, scripts, other formats and files that cannot be read. Remembered per path.
 */
export function isStaticElf(file: string): boolean {
  let answer = known.get(file);
  if (answer === undefined) {
    answer = readStaticElf(file);
    known.set(file, answer);
  }
  return answer;
}

function readStaticElf(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(64);
    if (readSync(fd, head, 0, 64, 0) < 52) return false;
    if (head.readUInt32BE(0) !== 0x7f454c46) return false; // \x7fELF
    const is64 = head[4] === 2;
    const little = head[5] === 1;
    const u16 = (b: Buffer, at: number) => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
    const u32 = (b: Buffer, at: number) => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
    const type = u16(head, 16);
    if (type !== 2 && type !== 3) return false; // ET_EXEC or ET_DYN
    const phoff = is64 ? Number(little ? head.readBigUInt64LE(32) : head.readBigUInt64BE(32)) : u32(head, 28);
    const phentsize = u16(head, is64 ? 54 : 42);
    const phnum = u16(head, is64 ? 56 : 44);
    if (phnum === 0 || phentsize < 4 || phnum > 4096) return false;
    const table = Buffer.alloc(phentsize * phnum);
    if (readSync(fd, table, 0, table.length, phoff) < table.length) return false;
    for (let i = 0; i < phnum; i++) if (u32(table, i * phentsize) === PT_INTERP) return false;
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/**
 * The environment for a child running `binary`: this process's, with `GCONV_PATH` set to a folder without modules
 * for a static Linux executable (unless the caller's environment sets `GCONV_PATH` already); undefined (inherit)
 * otherwise.
 */
export function childEnvironment(binary: string): NodeJS.ProcessEnv | undefined {
  if (process.platform !== 'linux' || process.env.GCONV_PATH !== undefined || !isStaticElf(binary)) return undefined;
  return { ...process.env, GCONV_PATH: NO_GCONV_MODULES };
}
