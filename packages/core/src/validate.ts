/**
 * Up-front validation of API options, with messages of the form "Expected X for name but received Y".
 * @internal
 */
import { UsageError } from './errors.js';

/** A short, safe description of a received value for an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `string '${shown}'`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (typeof value === 'bigint') return `bigint ${value}n`;
  if (typeof value === 'function') return 'function';
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (value instanceof Uint8Array) return `Uint8Array of length ${value.length}`;
  const ctor = (value as object).constructor?.name;
  return ctor && ctor !== 'Object' ? `${ctor} object` : 'object';
}

/** Throw a UsageError "Expected {expected} for {name} but received {value}". */
export function invalid(name: string, expected: string, value: unknown): never {
  throw new UsageError(`Expected ${expected} for ${name} but received ${describeValue(value)}`);
}

export function assertObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid(name, 'an options object', value);
}

/**
 * Refuse an option the call does not know (a misspelt `strenght` would otherwise be dropped in silence and its
 * default used). Keys whose value is undefined are ignored.
 */
export function assertKnownOptions(value: Record<string, unknown>, known: readonly string[], name: string): void {
  for (const key of Object.keys(value)) {
    if (value[key] === undefined || known.includes(key)) continue;
    const near = known.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
    throw new UsageError(`Unknown option ${name}.${key}${near ? ` (did you mean ${name}.${near}?)` : ''}; known: ${known.join(', ')}`);
  }
}

/** Levenshtein distance of two short strings (option names). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length];
}

export function assertNonEmptyString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) invalid(name, 'a non-empty string', value);
}

export function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  assertNonEmptyString(value, name);
  return value;
}

export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') invalid(name, 'a boolean', value);
  return value;
}

/** A finite number in [min, max] (inclusive), or undefined. */
export function optionalNumber(
  value: unknown,
  name: string,
  min: number,
  max: number,
  integer = false,
): number | undefined {
  if (value === undefined) return undefined;
  const kind = integer ? 'an integer' : 'a number';
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = min === Number.MIN_VALUE ? (max === Number.MAX_VALUE ? 'a positive number' : `${kind} > 0 and <= ${max}`) : `${kind} between ${min} and ${max}`;
    invalid(name, range, value);
  }
  return value;
}

export function optionalFunction<T extends (...args: never[]) => unknown>(value: unknown, name: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') invalid(name, 'a function', value);
  return value as T;
}

export function optionalSignal(value: unknown, name: string): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) invalid(name, 'an AbortSignal', value);
  return value;
}
