/**
 * Strict argv checking on top of citty's definitions. citty parses leniently (unknown flags are kept, a string flag
 * with no value becomes ''), which is friendly for scripts that evolve but wrong for a tool in a delivery pipeline:
 * a mistyped `--strenght 2` must fail, not embed at the default strength. So every argv is checked against the
 * command's `args` here first, then handed to citty in a canonical form it cannot misread.
 */
import type { ArgsDef, ArgDef } from 'citty';

/** Bad command-line usage; the CLI prints the message and the command's usage line and exits 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

interface FlagEntry {
  readonly key: string;
  readonly def: ArgDef;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function flagTable(args: ArgsDef): { long: Map<string, FlagEntry>; short: Map<string, FlagEntry> } {
  const long = new Map<string, FlagEntry>();
  const short = new Map<string, FlagEntry>();
  for (const [key, def] of Object.entries(args)) {
    if (def.type === 'positional') continue;
    const entry = { key, def };
    long.set(kebab(key), entry);
    const alias = (def as { alias?: string | string[] }).alias;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const alias of aliases) (alias.length === 1 ? short : long).set(alias, entry);
  }
  return { long, short };
}

/** Whether an argv token asks for help (before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const token of argv) {
    if (token === '--') return false;
    if (token === '--help' || token === '-h') return true;
  }
  return false;
}

/** A token that looks like a flag rather than a value. Negative numbers are values. */
const looksLikeFlag = (token: string) => token.length > 1 && token.startsWith('-') && !/^-\d/.test(token);

/**
 * Check `argv` against `args` and return it in canonical form: `--key=value` / `--key` / `--no-key` tokens, then
 * `--`, then the positionals. Throws CliUsageError for an unknown flag, a flag without its value, a flag given twice,
 * a missing required flag or positional, or a surplus positional.
 */
export function canonicalArgv(argv: readonly string[], args: ArgsDef): string[] {
  const { long, short } = flagTable(args);
  const positionalDefs = Object.entries(args).filter(([, def]) => def.type === 'positional');
  const seen = new Map<string, string>();
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!looksLikeFlag(token)) {
      positionals.push(token);
      continue;
    }
    const isLong = token.startsWith('--');
    const body = token.slice(isLong ? 2 : 1);
    const eq = body.indexOf('=');
    let name = eq >= 0 ? body.slice(0, eq) : body;
    let inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (!isLong && name.length > 1 && inline === undefined) {
      // `-ofile` is ambiguous with grouped booleans; accept only `-o file` and `-o=file`. A file named with a leading
      // dash is written `./-name` or after `--`.
      const entry = short.get(name[0]);
      const hint =
        entry && entry.def.type !== 'boolean'
          ? `write '-${name[0]} ${name.slice(1)}' for a short option with a value, or './${token}' for a file`
          : `write './${token}' or '-- ${token}' for a file of that name`;
      throw new CliUsageError(`unknown option '${token}' (${hint})`);
    }
    let entry = isLong ? long.get(name) : short.get(name);
    let negated = false;
    if (!entry && isLong && name.startsWith('no-')) {
      const positive = long.get(name.slice(3));
      if (positive && positive.def.type === 'boolean') {
        entry = positive;
        negated = true;
        name = name.slice(3);
      }
    }
    if (!entry) throw new CliUsageError(`unknown option '${isLong ? '--' : '-'}${name}'`);
    const display = `--${kebab(entry.key)}`;
    if (seen.has(entry.key)) throw new CliUsageError(`option '${display}' given more than once`);
    if (entry.def.type === 'boolean') {
      if (inline !== undefined && !negated) {
        if (inline !== 'true' && inline !== 'false') throw new CliUsageError(`option '${display}' takes no value`);
        negated = inline === 'false';
      } else if (inline !== undefined) {
        throw new CliUsageError(`option '--no-${kebab(entry.key)}' takes no value`);
      }
      seen.set(entry.key, String(!negated));
      flags.push(negated ? `--no-${entry.key}` : `--${entry.key}`);
      continue;
    }
    if (inline === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next === '--' || looksLikeFlag(next)) throw new CliUsageError(`option '${display}' needs a value`);
      inline = next;
      i++;
    }
    if (inline === '') throw new CliUsageError(`option '${display}' needs a value`);
    if (entry.def.type === 'enum' && entry.def.options && !entry.def.options.includes(inline)) {
      throw new CliUsageError(`option '${display}' must be one of ${entry.def.options.join(', ')} (received '${inline}')`);
    }
    seen.set(entry.key, inline);
    flags.push(`--${entry.key}=${inline}`);
  }
  for (const [key, def] of Object.entries(args)) {
    if (def.type !== 'positional' && def.required && def.default === undefined && !seen.has(key)) {
      throw new CliUsageError(`missing required option '--${kebab(key)}'`);
    }
  }
  positionalDefs.forEach(([key, def], index) => {
    if (index >= positionals.length && def.required !== false && def.default === undefined) {
      throw new CliUsageError(`missing argument ${key.toUpperCase()}`);
    }
  });
  if (positionals.length > positionalDefs.length) {
    throw new CliUsageError(`unexpected argument '${positionals[positionalDefs.length]}'`);
  }
  return [...flags, '--', ...positionals];
}
