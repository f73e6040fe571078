/**
 * The delivery ledger as a file: records round-trip; two processes appending at once lose nothing and never
 * interleave; a line cut short by a crash (or any unreadable line) is reported with its line number and skipped while
 * every other record is read; a writer after such a crash starts on a new line; bad records are refused up front.
 */
import { spawn } from 'node:child_process';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerError, UsageError, appendDeliveries, assertLedgerWritable, currentOperator, defaultLedgerPath, loadLedger } from '@reelmark/core';
import type { DeliveryRecord } from '@reelmark/core';
import { ROOT, tempDir } from '../cli/helpers.js';

const CORE = pathToFileURL(join(ROOT, 'packages/core/dist/index.js')).href;

let dir: string;
beforeAll(async () => {
  dir = await tempDir('reelmark-ledger-');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function record(id: bigint, overrides: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    time: '2025-03-01T09:30:00.000Z',
    id,
    partner: 'acme-vfx',
    title: 'The Long Night, ep. 3',
    master: { path: '/masters/ep3.mov', sha256: 'a'.repeat(64), size: 123_456_789 },
    output: { path: `/deliveries/ep3.id${id}.mov`, sha256: 'b'.repeat(64), size: 123_456_790 },
    kind: 'video',
    frames: 240,
    width: 1920,
    height: 1080,
    keyId: '3bed37ad7c87cb4d',
    strength: 2.4,
    reelmark: 'reelmark 0.1.0',
    ffmpeg: '6.1.1',
    operator: 'alice',
    ...overrides,
  };
}

describe('ledger file', () => {
  it('round-trips records, IDs beyond 2^53 exact, one JSON line each', async () => {
    const path = join(dir, 'roundtrip.jsonl');
    const big = 2n ** 48n - 1n;
    await appendDeliveries(path, [record(1n), record(big, { partner: null, title: null, kind: 'image', frames: 1 })]);
    await appendDeliveries(path, [record(7n, { operator: 'bob' })]);
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(JSON.parse(lines[1])).toMatchObject({ format: 'reelmark-delivery', version: 1, id: big.toString(), partner: null, kind: 'image' });
    const ledger = await loadLedger(path);
    expect(ledger.warnings).toEqual([]);
    expect(ledger.records.map((r) => r.id)).toEqual([1n, big, 7n]);
    expect(ledger.records[0]).toEqual(record(1n));
    expect(ledger.find(7n).map((r) => r.operator)).toEqual(['bob']);
    expect(ledger.find(7n, 'ffffffffffffffff')).toEqual([]);
    expect(ledger.forPartner('ACME-VFX').map((r) => r.id)).toEqual([1n, 7n]);
  });

  it('loses nothing when two processes append at the same time, and never interleaves their lines', async () => {
    const path = join(dir, 'concurrent.jsonl');
    const perProcess = 150;
    // Records of about 5 kB, above the 4 kB that pipes guarantee atomic: the file's O_APPEND must do it alone.
    // Each writer loads the library, says it is ready, and waits for "go" on stdin, so that both start appending
    // at the same moment.
    const script = (first: number) => `
      import { appendDeliveries } from ${JSON.stringify(CORE)};
      const pad = 'x'.repeat(5000);
      process.stdout.write('ready\\n');
      await new Promise((resolve) => process.stdin.once('data', resolve));
      process.stdin.pause();
      for (let i = 0; i < ${perProcess}; i++) {
        const id = BigInt(${first} + i);
        await appendDeliveries(${JSON.stringify(path)}, [{
          time: new Date().toISOString(), id, partner: 'p' + ${first}, title: pad,
          master: { path: '/m.mov', sha256: 'a'.repeat(64), size: 1 },
          output: { path: '/o' + id + '.mov', sha256: 'b'.repeat(64), size: 2 },
          kind: 'video', frames: 1, width: 16, height: 16, keyId: 'k', strength: 2.4,
          reelmark: 'reelmark test', ffmpeg: 'test', operator: 'writer-${first}',
        }]);
      }`;
    const writers = [1000, 5000].map((first) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script(first)], { stdio: ['pipe', 'pipe', 'inherit'] });
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('error', reject);
      });
      const done = new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', resolve);
      });
      return { child, ready, done };
    });
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.child.stdin.end('go\n');
    const codes = await Promise.all(writers.map((w) => w.done));
    expect(codes).toEqual([0, 0]);
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    // Every non-blank line is one whole record. (A writer that checks the last byte while the other's 5 kB write is
    // still landing page by page may add an empty line before its record: readers ignore blank lines.)
    const lines = text.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(2 * perProcess);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ format: 'reelmark-delivery', title: 'x'.repeat(5000) });
    const ledger = await loadLedger(path);
    expect(ledger.warnings).toEqual([]);
    expect(ledger.records).toHaveLength(2 * perProcess);
    const ids = ledger.records.map((r) => Number(r.id));
    const expected = [...Array.from({ length: perProcess }, (_, i) => 1000 + i), ...Array.from({ length: perProcess }, (_, i) => 5000 + i)];
    expect([...ids].sort((a, b) => a - b)).toEqual(expected);
    // Each writer's records keep their own order.
    expect(ids.filter((id) => id < 5000)).toEqual(expected.slice(0, perProcess));
    // Both writers really ran at the same time (their lines alternate somewhere), or the test proves nothing.
    const switches = ids.slice(1).filter((id, i) => id >= 5000 !== ids[i] >= 5000).length;
    expect(switches).toBeGreaterThan(1);
  });

  it('reports a truncated last line with its line number, reads the rest, and appends after it on a new line', async () => {
    const path = join(dir, 'truncated.jsonl');
    await appendDeliveries(path, [record(1n), record(2n), record(3n)]);
    const fourth = `${JSON.stringify({ ...JSON.parse((await readFile(path, 'utf8')).split('\n')[0]), id: '4' })}`;
    // A crash in the middle of writing record 4: half a line, no end of line.
    await appendFile(path, fourth.slice(0, Math.floor(fourth.length / 2)));
    let ledger = await loadLedger(path);
    expect(ledger.records.map((r) => r.id)).toEqual([1n, 2n, 3n]);
    expect(ledger.warnings).toHaveLength(1);
    expect(ledger.warnings[0].line).toBe(4);
    expect(ledger.warnings[0].message).toMatch(/incomplete last record skipped/);
    expect(ledger.warningLines()[0]).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: `));

    // The next writer keeps the damage on its own line: its record is whole and readable.
    await appendDeliveries(path, [record(5n)]);
    ledger = await loadLedger(path);
    expect(ledger.records.map((r) => r.id)).toEqual([1n, 2n, 3n, 5n]);
    expect(ledger.warnings.map((w) => w.line)).toEqual([4]);
    expect(ledger.warnings[0].message).toMatch(/unreadable record skipped: not valid JSON/);
  });

  it('reports every unreadable line in the middle with its number, and skips blank lines silently', async () => {
    const path = join(dir, 'corrupt.jsonl');
    await appendDeliveries(path, [record(1n)]);
    await appendFile(path, 'this is not json\n\n{"format":"reelmark-delivery","version":9}\n{"format":"something-else"}\n');
    await appendDeliveries(path, [record(2n)]);
    const ledger = await loadLedger(path);
    expect(ledger.records.map((r) => r.id)).toEqual([1n, 2n]);
    expect(ledger.warnings.map((w) => w.line)).toEqual([2, 4, 5]);
    expect(ledger.warnings[1].message).toMatch(/version 9 is newer than this reelmark reads/);
    expect(ledger.warnings[2].message).toMatch(/not a reelmark delivery record/);
  });

  it('tells a ledger from another file: by its first line for appending, by any line for reading', async () => {
    const newer = join(dir, 'newer.jsonl');
    await writeFile(newer, '{"format":"reelmark-delivery","version":9}\n');
    await expect(assertLedgerWritable(newer)).resolves.toBeUndefined();
    expect((await loadLedger(newer)).warnings.map((w) => w.line)).toEqual([1]);
    // A crash during the very first append leaves a first line cut short: still a ledger.
    const cut = join(dir, 'cut-first.jsonl');
    await writeFile(cut, '{"format":"reelmark-delivery","version":1,"ti');
    await expect(assertLedgerWritable(cut)).resolves.toBeUndefined();
    await writeFile(join(dir, 'empty.jsonl'), '');
    await expect(assertLedgerWritable(join(dir, 'empty.jsonl'))).resolves.toBeUndefined();
    const other = join(dir, 'partners.json');
    await writeFile(other, '{\n  "format": "reelmark-partners",\n  "partners": []\n}\n');
    await expect(assertLedgerWritable(other)).rejects.toThrow(/partners\.json: not a delivery ledger/);
    await expect(loadLedger(other)).rejects.toMatchObject({ code: 'ERR_LEDGER_NOT_LEDGER' });
    // A ledger with records and a foreign line appended by hand is still read, the line reported.
    const mixed = join(dir, 'mixed.jsonl');
    await appendDeliveries(mixed, [record(1n)]);
    await appendFile(mixed, 'ssh-rsa AAAA\n');
    expect((await loadLedger(mixed)).warnings.map((w) => w.line)).toEqual([2]);
    await expect(assertLedgerWritable(mixed, [join(dir, 'master.mov'), join(dir, '.', 'mixed.jsonl')])).rejects.toThrow(/a file this delivery reads or writes/);
  });

  it('refuses an invalid record up front and writes nothing; a missing ledger is a LedgerError', async () => {
    const path = join(dir, 'refused.jsonl');
    await expect(appendDeliveries(path, [record(1n), { ...record(2n), id: 5 as unknown as bigint }])).rejects.toThrow(
      /Expected a bigint ID from 0 to 281474976710655 for records\[1\]\.id but received number 5/,
    );
    await expect(appendDeliveries(path, [record(1n, { output: { path: '/o', sha256: 'nothex', size: 1 } })])).rejects.toThrow(UsageError);
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(loadLedger(path)).rejects.toThrow(LedgerError);
    await expect(loadLedger(path)).rejects.toThrow(/delivery ledger not found/);
    expect((await loadLedger(path, { allowMissing: true })).records).toEqual([]);
    await expect(appendDeliveries(join(dir, 'no-such-folder', 'd.jsonl'), [record(1n)])).rejects.toThrow(LedgerError);
  });

  it('lives beside the registry by default and names the operator from the environment', async () => {
    expect(defaultLedgerPath('studio/partners.json')).toBe(join('studio', 'deliveries.jsonl'));
    expect(defaultLedgerPath()).toBe('deliveries.jsonl');
    expect(currentOperator({ REELMARK_OPERATOR: ' carol ' })).toBe('carol');
    expect(currentOperator({})).toMatch(/\S/);
  });

  it('accepts a file that was written by hand without a final end of line, with a warning', async () => {
    const path = join(dir, 'no-eol.jsonl');
    await appendDeliveries(path, [record(1n)]);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.trimEnd());
    const ledger = await loadLedger(path);
    expect(ledger.records.map((r) => r.id)).toEqual([1n]);
    expect(ledger.warnings).toEqual([{ line: 1, message: expect.stringMatching(/no end of line/) }]);
  });
});
