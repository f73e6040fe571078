/** Flag values shared by several commands, converted from argv strings with messages that name the flag. */
import { DEFAULT_REGISTRY_PATH, MAX_ID, UsageError, parseId } from '@reelmark/core';
import { CliUsageError } from '../argv.js';

/** A decimal number flag in [min, max]; `integer` rejects fractions. */
export function numberFlag(value: string | undefined, flag: string, min: number, max: number, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const number = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || number < min || number > max || (integer && !Number.isInteger(number))) {
    const expected =
      min === Number.MIN_VALUE && max === Number.MAX_VALUE
        ? 'a positive number'
        : `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
    throw new CliUsageError(`expected ${expected} for ${flag} but received '${value}'`);
  }
  return number;
}

/** An ID flag (`--id 42`), parsed by the core's `parseId`, with a message that names the flag. */
export function idFlag(value: string, flag: string): bigint {
  try {
    return parseId(value);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(`Expected an ID (an integer from 0 to ${MAX_ID}, 48 bits) for ${flag} but received '${value}'`);
  }
}

/** A comma-separated list of IDs (`1,2,3`), each parsed by the core's `parseId`; duplicates are refused. */
export function idListFlag(value: string | undefined, flag: string): bigint[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((part) => part.trim());
  if (parts.some((part) => part === '')) throw new CliUsageError(`expected comma-separated IDs for ${flag} but received '${value}'`);
  const ids = parts.map((part) => idFlag(part, flag));
  const seen = new Set<bigint>();
  for (const id of ids) {
    if (seen.has(id)) throw new CliUsageError(`ID ${id} appears twice in ${flag}`);
    seen.add(id);
  }
  return ids;
}

/** A comma-separated list of names (`a,b`); a name given twice (in any case) is refused. */
export function nameListFlag(value: string, flag: string): string[] {
  const names = value.split(',').map((part) => part.trim());
  if (names.some((name) => name === '')) throw new CliUsageError(`expected comma-separated names for ${flag} but received '${value}'`);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name.toLowerCase())) throw new CliUsageError(`'${name}' appears twice in ${flag}`);
    seen.add(name.toLowerCase());
  }
  return names;
}

/** The `--registry` flag as commands that only optionally use a registry define it. */
export const registryFlagDescription = `Partner registry file (default for 'partner' commands: ${DEFAULT_REGISTRY_PATH})`;

/** Format a probability for people: 3 significant digits, scientific below 1e-3. */
export function formatProbability(p: number): string {
  if (p === 0) return '0';
  if (p < 1e-3) return p.toExponential(1);
  return p.toPrecision(3);
}
