/**
 * Results: one JSON row per measurement (JSONL), readable markdown tables, and the tables in bench/README.md
 * refreshed between marker comments (`<!-- bench:NAME -->` ... `<!-- /bench:NAME -->`).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** JSON with bigint IDs as decimal strings and non-finite numbers as null. */
export function toJsonLine(row) {
  return JSON.stringify(row, (_, v) => (typeof v === 'bigint' ? v.toString() : typeof v === 'number' && !Number.isFinite(v) ? null : v));
}

/** Writes rows to `dir/name.jsonl` (replacing the previous run's file of the same part and mode). */
export async function writeRows(dir, name, rows) {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.jsonl`);
  await writeFile(file, rows.map(toJsonLine).join('\n') + (rows.length ? '\n' : ''));
  return file;
}

/** Reads a JSONL file back. */
export async function readRows(file) {
  const text = await readFile(file, 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

/** A markdown table. `align` per column: 'l' or 'r'. */
export function table(headers, rows, align = []) {
  const cell = (v) => String(v ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const sep = headers.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [`| ${headers.map(cell).join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** Formats a number with `digits` decimals, or '-' when absent. */
export function fmt(v, digits = 2) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '-';
}

/** Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in `file`; appends the block if absent. */
export async function refreshBlock(file, name, body) {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    // a new README
  }
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${begin}\n${body.trim()}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(file, text);
}
