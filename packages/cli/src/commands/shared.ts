/** Flag values shared by several commands, converted from argv strings with messages that name the flag. */
import { DEFAULT_REGISTRY_PATH, parseId } from '@reelmark/core';
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

/** A comma-separated list of IDs (`1,2,3`), each parsed by the core's `parseId`; duplicates are refused. */
export function idListFlag(value: string | undefined, flag: string): bigint[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((part) => part.trim());
  if (parts.some((part) => part === '')) throw new CliUsageError(`expected comma-separated IDs for ${flag} but received '${value}'`);
  const ids = parts.map((part) => parseId(part));
  const seen = new Set<bigint>();
  for (const id of ids) {
    if (seen.has(id)) throw new CliUsageError(`ID ${id} appears twice in ${flag}`);
    seen.add(id);
  }
  return ids;
}

/** The `--registry` flag as commands that only optionally use a registry define it. */
export const registryFlagDescription = `Partner registry file (default for 'partner' commands: ${DEFAULT_REGISTRY_PATH})`;

/** Format a probability for people: 3 significant digits, scientific below 1e-3. */
export function formatProbability(p: number): string {
  if (p === 0) return '0';
  if (p < 1e-3) return p.toExponential(1);
  return p.toPrecision(3);
}
