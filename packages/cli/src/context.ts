/**
 * What a command needs from the outside world, passed in rather than taken from `process`, so that commands can be
 * run (and tested) with argv and streams handed to them, and only the entry point touches the process.
 */
import type { Writable } from 'node:stream';

/** Exit codes: part of the CLI's contract, documented in `--help` and the README. */
export const EXIT = {
  /** Success; for `extract`, a mark was found. */
  OK: 0,
  /** Internal error (a bug, or ffmpeg failing on a valid input). */
  INTERNAL: 1,
  /** Usage or input error: bad flags or arguments, missing/corrupt input, key or registry, output exists. */
  USAGE: 2,
  /** `extract` analysed the input and accused no ID (no mark of this key, or only its synchronisation pattern); `ledger find` found no delivery of the ID. */
  NOT_FOUND: 3,
  /** Interrupted (Ctrl-C / SIGTERM); nothing was left behind. */
  INTERRUPTED: 130,
} as const;

/** The text block printed in `--help` and mirrored in the README. */
export const EXIT_CODES_HELP = [
  'EXIT CODES',
  '',
  '  0    success; for extract: a mark was found',
  '  1    internal error',
  '  2    usage or input error (bad arguments, missing or corrupt input, key or registry, output exists)',
  '  3    extract: no ID accused (no mark, or the key\'s mark without a readable ID); ledger find: no delivery of the ID',
  '  130  interrupted (Ctrl-C or SIGTERM); no partial output is left',
].join('\n');

/** Streams and process facts handed to every command. */
export interface CliContext {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Whether stderr is an interactive terminal (progress bars are drawn only then). */
  readonly stderrIsTTY: boolean;
  /** Aborted on Ctrl-C / SIGTERM. */
  readonly signal: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
}

/** Write one line to a stream. */
export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}
