/**
 * The command tree and the one place where errors become exit codes. `runCli(argv, context)` never exits the
 * process: it resolves to the exit code, and the entry point (`cli.ts`) sets it.
 */
import { runCommand } from 'citty';
import type { ArgDef, ArgsDef, CommandDef, CommandMeta } from 'citty';
import {
  ACCUSATION_THRESHOLD,
  AbortError,
  FfmpegError,
  FfmpegNotFoundError,
  InputError,
  KeyError,
  LedgerError,
  OutputError,
  RegistryError,
  UsageError,
} from '@reelmark/core';
import { CliUsageError, canonicalArgv, wantsHelp } from './argv.js';
import { EXIT, EXIT_CODES_HELP, writeLine } from './context.js';
import type { CliContext } from './context.js';
import { batchCommand } from './commands/batch.js';
import { doctorCommand } from './commands/doctor.js';
import { embedCommand } from './commands/embed.js';
import { extractCommand } from './commands/extract.js';
import { keygenCommand } from './commands/keygen.js';
import { ledgerCommand } from './commands/ledger.js';
import { partnerCommand } from './commands/partner.js';
import { formatProbability } from './commands/shared.js';
import { CLI_VERSION } from './version.js';

/** The root command: its sub-commands are the CLI. */
export const rootCommand = {
  meta: {
    name: 'reelmark',
    version: CLI_VERSION,
    description: 'Forensic video watermarking: embed a keyed, invisible per-recipient ID; find it in a leak',
  },
  subCommands: {
    keygen: keygenCommand,
    embed: embedCommand,
    batch: batchCommand,
    extract: extractCommand,
    partner: partnerCommand,
    ledger: ledgerCommand,
    doctor: doctorCommand,
  },
} satisfies CommandDef;

type AnyCommand = CommandDef<ArgsDef>;

/**
 * Walk sub-commands: the command that will run, its full name, and the argv left for it. An unknown sub-command
 * stops the walk at its group (`reelmark partner`), so that the group's usage is the one shown.
 */
function resolve(argv: readonly string[]): { command: AnyCommand; name: string; rest: string[]; unknown?: string } {
  let command = rootCommand as AnyCommand;
  let name = 'reelmark';
  let rest = [...argv];
  for (;;) {
    const subs = command.subCommands as Record<string, AnyCommand> | undefined;
    if (!subs) return { command, name, rest };
    const next = rest[0];
    if (next === undefined || next.startsWith('-')) return { command, name, rest };
    const sub = subs[next];
    if (!sub) return { command, name, rest, unknown: `unknown command '${next}' (commands: ${Object.keys(subs).join(', ')})` };
    command = sub;
    name = `${name} ${next}`;
    rest = rest.slice(1);
  }
}

const LEDGER_NOTE = [
  'DELIVERY LEDGER',
  '',
  '  Every output is recorded in the delivery ledger (--ledger FILE, else $REELMARK_LEDGER, else deliveries.jsonl',
  '  beside the registry): ID, partner, master and output with their SHA-256, key id, strength, versions, UTC time',
  "  and operator (--operator, else $REELMARK_OPERATOR, else your user name). See 'reelmark ledger --help'.",
].join('\n');

/** Extra paragraphs shown in a command's `--help` after its options. */
const HELP_NOTES: Record<string, string> = {
  reelmark: [
    'QUICK START',
    '',
    '  reelmark keygen -o studio.key',
    '  reelmark partner add acme-vfx',
    '  reelmark embed master.mov -o acme.mov --key studio.key --partner acme-vfx',
    '  reelmark extract leak.mp4 --key studio.key --registry partners.json',
  ].join('\n'),
  'reelmark extract': [
    'VERDICT',
    '',
    `  An ID is accused only when the probability that an unmarked input scores as high (the false-alarm`,
    `  probability) is below ${formatProbability(ACCUSATION_THRESHOLD)}. A blind reading stops as soon as that is certain (unless`,
    '  --full-scan). Among candidates the whole input is read (unless --stop-early), so that when parts of two',
    "  recipients' copies are spliced together, the later part's recipient is named too: windows of the",
    '  reading (48, 96 and 192 frames) are also scored on their own. A recipient named only in one, or',
    "  whose evidence is strongest in one, is reported with it (JSON: candidates[].part, and",
    "  candidates[].accusedOnWhole; the output says which seconds).",
    "  When the key's synchronisation pattern alone stands out (below 1e-3) the verdict says so: a copy marked",
    '  with this key may be the source, but the pattern, the same in every delivery, cannot say whose.',
    '  With --ledger, the IDs it records under the key are the candidates (unless --candidates or --registry).',
    '  --json prints: found, id, partner, falseAlarmProbability, framesAnalyzed, secondsAnalyzed, sync,',
    '  candidates[], input {path, sha256, width, height, frameRate}, keyId, version.',
    '',
    'REPORT',
    '',
    "  --report FILE.html writes the investigator's report as one self-contained page (no network when viewed;",
    '  prints to PDF); --report FILE.json writes the --json fields plus "report". With --ledger, the report names',
    '  the recorded delivery. An existing report is replaced only with --overwrite.',
  ].join('\n'),
  'reelmark embed': LEDGER_NOTE,
  'reelmark batch': [
    'OUTPUTS',
    '',
    '  <out-dir>/<input stem>.<partner><ext> with --registry, <out-dir>/<input stem>.id<N><ext> with --ids.',
    '  A missing <out-dir> is created when its parent folder exists.',
    '  If any output fails or the batch is interrupted, no output of the batch is left (nor a folder it created).',
    '',
    LEDGER_NOTE,
  ].join('\n'),
};

function columns(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd());
}

function flagLabel(key: string, def: ArgDef): string {
  const alias = (def as { alias?: string | string[] }).alias;
  const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
  const short = aliases.filter((a) => a.length === 1).map((a) => `-${a}, `).join('');
  const hint = def.type === 'boolean' ? '' : ` ${def.valueHint ?? 'VALUE'}`;
  return `${short}--${key}${hint}`;
}

/** Full help text of a command: description, usage, arguments, options, sub-commands, notes, exit codes. */
export function helpText(command: AnyCommand, name: string): string {
  const meta = (command.meta ?? {}) as CommandMeta;
  const args = Object.entries((command.args ?? {}) as ArgsDef);
  const positionals = args.filter(([, def]) => def.type === 'positional');
  const flags = args.filter(([, def]) => def.type !== 'positional');
  const subs = Object.entries((command.subCommands ?? {}) as Record<string, AnyCommand>);
  const lines: string[] = [];
  if (meta.description) lines.push(`${meta.description}`, '');
  lines.push(`USAGE  ${usageOf(command, name)}`, '');
  if (positionals.length > 0) {
    lines.push('ARGUMENTS', '', ...columns(positionals.map(([key, def]) => [key.toUpperCase(), def.description ?? ''])), '');
  }
  if (flags.length > 0) {
    const rows = flags.map(([key, def]): [string, string] => {
      const notes = [def.description ?? ''];
      if (def.required) notes.push('(required)');
      if (def.default !== undefined && def.type !== 'boolean') notes.push(`(default: ${def.default})`);
      return [flagLabel(key, def), notes.filter(Boolean).join(' ')];
    });
    rows.push(['-h, --help', 'Show this help']);
    lines.push('OPTIONS', '', ...columns(rows), '');
  }
  if (subs.length > 0) {
    const rows = subs.map(([sub, def]): [string, string] => [sub, ((def.meta ?? {}) as CommandMeta).description ?? '']);
    lines.push('COMMANDS', '', ...columns(rows), '', `Run '${name} <command> --help' for a command's options.`, '');
  }
  if (HELP_NOTES[name]) lines.push(HELP_NOTES[name], '');
  lines.push(EXIT_CODES_HELP);
  return `${lines.join('\n')}\n`;
}

/** One-line synopsis: required flags shown, optional ones summarised. */
function usageOf(command: AnyCommand, name: string): string {
  const args = Object.entries((command.args ?? {}) as ArgsDef);
  const parts = [name];
  const subs = Object.keys((command.subCommands ?? {}) as object);
  if (subs.length > 0) parts.push(`<${subs.join('|')}>`);
  for (const [key, def] of args) if (def.type === 'positional') parts.push(def.required === false ? `[${key.toUpperCase()}]` : key.toUpperCase());
  for (const [key, def] of args) if (def.type !== 'positional' && def.required) parts.push(flagLabel(key, def).replace(/^-., /, ''));
  if (args.some(([, def]) => def.type !== 'positional' && !def.required)) parts.push('[OPTIONS]');
  return parts.join(' ');
}

function usageLine(command: AnyCommand, name: string): string {
  return `usage: ${usageOf(command, name)}`;
}

const ENCODE_FLAGS: Record<string, string> = {
  strength: '--strength',
  codec: '--codec',
  crf: '--crf',
  preset: '--preset',
  overwrite: '--overwrite',
  ledger: '--ledger',
  operator: '--operator',
  title: '--title',
};

/**
 * The library's option names that are a flag (or argument) of a command, as that command spells them. The core's
 * messages name options ("for options.preset", "pass overwrite: true"), which library users pass; CLI users see the
 * flag instead. Names not listed here are left as they are.
 */
const OPTION_FLAGS: Record<string, Record<string, string>> = {
  'reelmark embed': { ...ENCODE_FLAGS, output: '--output', id: '--id', partner: '--partner' },
  'reelmark batch': { ...ENCODE_FLAGS, outDir: '--out-dir' },
  'reelmark extract': {
    candidates: '--candidates',
    partners: '--registry',
    maxSeconds: '--max-seconds',
    masterHeight: '--master-height',
    ledger: '--ledger',
    output: '--report',
    overwrite: '--overwrite',
  },
  'reelmark partner add': { name: 'NAME' },
};

/** A core message in the words of `command`'s flags (see OPTION_FLAGS). */
function inFlagTerms(message: string, command: string): string {
  const flags = OPTION_FLAGS[command];
  if (!flags) return message;
  return message
    .replace(/\b(?:targets\[\d+\]\.)?options\.([A-Za-z]+)\b/g, (text, option: string) => flags[option] ?? text)
    .replace(/\boverwrite: true\b/g, (text) => flags.overwrite ?? text)
    .replace(/\bfor ([a-z][A-Za-z]*) but received\b/g, (text, option: string) => (flags[option] ? `for ${flags[option]} but received` : text));
}

/** Only the first line of a message: one clear line on stderr, details behind REELMARK_DEBUG. */
const firstLine = (message: string) => message.split('\n', 1)[0];

/** Map an error of `command` to its exit code and print it; stacks only with REELMARK_DEBUG=1. */
function report(error: unknown, context: CliContext, command: string): number {
  const debug = context.env.REELMARK_DEBUG === '1';
  if (error instanceof AbortError || (error instanceof Error && error.name === 'AbortError')) {
    writeLine(context.stderr, 'reelmark: interrupted; no output was left behind');
    return EXIT.INTERRUPTED;
  }
  if (
    error instanceof UsageError ||
    error instanceof InputError ||
    error instanceof OutputError ||
    error instanceof KeyError ||
    error instanceof RegistryError ||
    error instanceof LedgerError
  ) {
    const message = inFlagTerms(firstLine(error.message), command);
    writeLine(context.stderr, `reelmark: ${debug ? `${message}\n${error.stack ?? ''}` : message}`);
    return EXIT.USAGE;
  }
  if (error instanceof FfmpegNotFoundError) {
    writeLine(context.stderr, `reelmark: ${error.message}`);
    return EXIT.INTERNAL;
  }
  if (error instanceof FfmpegError) {
    // The stderr tail is what a bug report needs; it follows the one-line summary.
    writeLine(context.stderr, `reelmark: ${debug ? (error.stack ?? error.message) : error.message}`);
    return EXIT.INTERNAL;
  }
  const message = error instanceof Error ? error.message : String(error);
  writeLine(context.stderr, `reelmark: internal error: ${debug && error instanceof Error ? error.stack : firstLine(message)}`);
  if (!debug) writeLine(context.stderr, 'reelmark: run with REELMARK_DEBUG=1 for details, and please report it');
  return EXIT.INTERNAL;
}

/**
 * Run the CLI on `argv` (without the node and script paths) and resolve to the exit code.
 * @example
 * const code = await runCli(['doctor', '--json'], context);
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  let name = 'reelmark';
  let command = rootCommand as AnyCommand;
  try {
    const resolved = resolve(argv);
    ({ command, name } = resolved);
    const { rest } = resolved;
    if (resolved.unknown !== undefined) throw new CliUsageError(resolved.unknown);
    if (wantsHelp(rest)) {
      context.stdout.write(helpText(command, name));
      return EXIT.OK;
    }
    if (command === (rootCommand as AnyCommand) && rest.length === 1 && (rest[0] === '--version' || rest[0] === '-v')) {
      writeLine(context.stdout, CLI_VERSION);
      return EXIT.OK;
    }
    if (!command.run) {
      // A group (the root, or `partner`) without a sub-command.
      throw new CliUsageError(rest.length > 0 ? `unknown option '${rest[0]}'` : 'missing command');
    }
    const canonical = canonicalArgv(rest, (command.args ?? {}) as ArgsDef);
    const { result } = await runCommand(command, { rawArgs: canonical, data: context });
    return typeof result === 'number' ? result : EXIT.OK;
  } catch (error) {
    if (error instanceof CliUsageError) {
      writeLine(context.stderr, `${name}: ${error.message}`);
      writeLine(context.stderr, `${usageLine(command, name)}   (see '${name} --help')`);
      return EXIT.USAGE;
    }
    if (context.signal.aborted) {
      // Whatever failed after Ctrl-C (a killed ffmpeg, a closed pipe) failed because of it.
      writeLine(context.stderr, 'reelmark: interrupted; no output was left behind');
      return EXIT.INTERRUPTED;
    }
    return report(error, context, name);
  }
}
