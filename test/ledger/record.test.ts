/**
 * Deliveries recorded by embed and batch, through the built CLI (which records by default, beside the registry) and
 * through the API (which records only when given a ledger); `reelmark ledger find|list`; a corrupt ledger line is
 * reported on stderr with its line number.
 */
import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerError, createKey, embedImage, extractImage, keyFromSecret, loadLedger } from '@reelmark/core';
import { defaultCommand } from '../../packages/core/src/report/model.js';
import { ffmpeg, listDir, makeStill, reelmark, tempDir } from '../cli/helpers.js';

let dir: string;
let still: string;
const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');
// The default ledger is found from the working folder: these runs must not see one named by the environment.
const env = { REELMARK_LEDGER: undefined, REELMARK_OPERATOR: 'dana' };

beforeAll(async () => {
  dir = await tempDir('reelmark-record-');
  still = join(dir, 'poster.png');
  await makeStill(still, { width: 320, height: 180 });
  const key = await reelmark(['keygen', '-o', join(dir, 'studio.key')], { cwd: dir });
  expect(key.code, key.stderr).toBe(0);
  for (const name of ['acme-vfx', 'zeta-post']) expect((await reelmark(['partner', 'add', name], { cwd: dir })).code).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('delivery records through the CLI', () => {
  it('embed and batch append one record per output to deliveries.jsonl beside the registry', async () => {
    const embedded = await reelmark(['embed', 'poster.png', '-o', 'poster.acme.png', '--key', 'studio.key', '--partner', 'acme-vfx', '--json'], { cwd: dir, env });
    expect(embedded.code, embedded.stderr).toBe(0);
    const summary = JSON.parse(embedded.stdout);
    expect(summary.ledger).toBe('deliveries.jsonl');
    expect(summary.sha256).toBe(await sha256(join(dir, 'poster.acme.png')));

    await mkdir(join(dir, 'out'));
    const batch = await reelmark(['batch', 'poster.png', '--key', 'studio.key', '--registry', 'partners.json', '--out-dir', 'out', '--title', 'Poster A'], {
      cwd: dir,
      env,
    });
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.stdout).toMatch(/2 outputs, 1 frames decoded once, [\d.]+ s; recorded in deliveries\.jsonl/);

    const ledger = await loadLedger(join(dir, 'deliveries.jsonl'));
    expect(ledger.warnings).toEqual([]);
    expect(ledger.records.map((r) => [r.id, r.partner, r.title, basename(r.output.path)])).toEqual([
      [1n, 'acme-vfx', 'poster', 'poster.acme.png'],
      [1n, 'acme-vfx', 'Poster A', 'poster.acme-vfx.png'],
      [2n, 'zeta-post', 'Poster A', 'poster.zeta-post.png'],
    ]);
    const keyId = JSON.parse(await readFile(join(dir, 'studio.key'), 'utf8')).keyId;
    const masterSha = await sha256(still);
    for (const r of ledger.records) {
      expect(r.master).toEqual({ path: still, sha256: masterSha, size: (await stat(still)).size });
      expect(r.output.sha256).toBe(await sha256(r.output.path));
      expect(r.output.size).toBe((await stat(r.output.path)).size);
      expect(r).toMatchObject({ kind: 'image', frames: 1, width: 320, height: 180, keyId, strength: 2.4, operator: 'dana' });
      expect(r.reelmark).toMatch(/^reelmark \d+\.\d+\.\d+/);
      expect(r.ffmpeg).toMatch(/\S/);
      expect(r.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    // One batch, one append: its records carry the same time.
    expect(ledger.records[1].time).toBe(ledger.records[2].time);
  });

  it('--ledger and --operator override the defaults', async () => {
    const result = await reelmark(
      ['embed', 'poster.png', '-o', 'poster.77.png', '--key', 'studio.key', '--id', '77', '--ledger', 'other.jsonl', '--operator', 'erin'],
      { cwd: dir, env },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/recorded in other\.jsonl$/m);
    const ledger = await loadLedger(join(dir, 'other.jsonl'));
    expect(ledger.records.map((r) => [r.id, r.partner, r.operator])).toEqual([[77n, null, 'erin']]);
  });

  it('ledger find shows the deliveries of an ID (exit 0), or says there is none (exit 3)', async () => {
    const found = await reelmark(['ledger', 'find', '--id', '1'], { cwd: dir, env });
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toContain('delivery 1 of 2 of ID 1:');
    expect(found.stdout).toContain('delivery 2 of 2 of ID 1:');
    expect(found.stdout).toMatch(/partner +acme-vfx, ID 1/);
    expect(found.stdout).toContain(join(dir, 'out', 'poster.acme-vfx.png'));

    const json = await reelmark(['ledger', 'find', '--id', '2', '--json'], { cwd: dir, env });
    expect(json.code).toBe(0);
    const body = JSON.parse(json.stdout);
    expect(body).toMatchObject({ ledger: 'deliveries.jsonl', id: '2', warnings: [] });
    expect(body.deliveries).toHaveLength(1);
    expect(body.deliveries[0]).toMatchObject({ format: 'reelmark-delivery', id: '2', partner: 'zeta-post', operator: 'dana' });

    const none = await reelmark(['ledger', 'find', '--id', '999'], { cwd: dir, env });
    expect(none.code).toBe(3);
    expect(none.stdout).toContain('no delivery of ID 999');
    const wrongKey = await reelmark(['ledger', 'find', '--id', '1', '--key-id', 'ffffffffffffffff'], { cwd: dir, env });
    expect(wrongKey.code).toBe(3);
  });

  it('ledger list prints a table, filters by partner, and prints JSON', async () => {
    const table = await reelmark(['ledger', 'list'], { cwd: dir, env });
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME +ID +PARTNER +TITLE +OUTPUT +SHA-256 +OPERATOR +KEY ID$/);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/ 2 +zeta-post +Poster A +poster\.zeta-post\.png /);

    const acme = await reelmark(['ledger', 'list', '--partner', 'ACME-VFX', '--json'], { cwd: dir, env });
    expect(acme.code).toBe(0);
    expect(JSON.parse(acme.stdout).deliveries.map((d: { output: { path: string } }) => basename(d.output.path))).toEqual(['poster.acme.png', 'poster.acme-vfx.png']);
  });

  it('reports a truncated last line on stderr with its line number and lists the rest', async () => {
    const copy = join(dir, 'damaged.jsonl');
    const text = await readFile(join(dir, 'deliveries.jsonl'), 'utf8');
    await appendFile(copy, `${text}${text.split('\n')[0].slice(0, 100)}`);
    const list = await reelmark(['ledger', 'list', '--ledger', 'damaged.jsonl'], { cwd: dir, env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toMatch(/^reelmark: warning: damaged\.jsonl:4: incomplete last record skipped/m);
    expect(list.stdout.trimEnd().split('\n')).toHaveLength(4);
    const json = await reelmark(['ledger', 'list', '--ledger', 'damaged.jsonl', '--json'], { cwd: dir, env });
    expect(JSON.parse(json.stdout).warnings).toEqual([{ line: 4, message: expect.stringMatching(/incomplete last record/) }]);
  });

  it('fails before any work when the ledger cannot be written, leaving nothing behind (exit 2)', async () => {
    const before = await listDir(dir);
    const result = await reelmark(['embed', 'poster.png', '-o', 'never.png', '--key', 'studio.key', '--id', '5', '--ledger', 'missing/deliveries.jsonl'], { cwd: dir, env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^reelmark: missing\/deliveries\.jsonl: cannot record deliveries: folder missing does not exist$/m);
    expect(await listDir(dir)).toEqual(before);
    const list = await reelmark(['ledger', 'list', '--ledger', 'nowhere.jsonl'], { cwd: dir, env });
    expect(list.code).toBe(2);
    expect(list.stderr).toMatch(/nowhere\.jsonl: delivery ledger not found/);
  });
});

describe('a ledger path that names another file', () => {
  it('never appends to a key file, a registry, the master or the output (exit 2, nothing changed or written)', async () => {
    const keyBefore = await readFile(join(dir, 'studio.key'));
    const registryBefore = await readFile(join(dir, 'partners.json'));
    const masterBefore = await sha256(still);
    const cases: Array<[string[], RegExp]> = [
      [['-o', 'l1.png', '--ledger', 'studio.key'], /studio\.key: not a delivery ledger \(its first line is not a reelmark-delivery record\); refusing to append to it/],
      [['-o', 'l2.png', '--ledger', 'partners.json'], /partners\.json: not a delivery ledger/],
      [['-o', 'l3.png', '--ledger', 'poster.png'], /poster\.png: cannot record deliveries in poster\.png, a file this delivery reads or writes/],
      [['-o', 'l4.png', '--ledger', './l4.png'], /l4\.png: cannot record deliveries in .*l4\.png, a file this delivery reads or writes/],
    ];
    for (const [args, message] of cases) {
      const before = await listDir(dir);
      const result = await reelmark(['embed', 'poster.png', '--key', 'studio.key', '--id', '5', ...args], { cwd: dir, env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(await listDir(dir)).toEqual(before);
    }
    const batch = await reelmark(['batch', 'poster.png', '--key', 'studio.key', '--ids', '7,8', '--out-dir', '.', '--ledger', 'poster.id8.png'], { cwd: dir, env });
    expect(batch.code, batch.stderr).toBe(2);
    expect(batch.stderr).toMatch(/poster\.id8\.png: cannot record deliveries in/);
    expect(await readFile(join(dir, 'studio.key'))).toEqual(keyBefore);
    expect(await readFile(join(dir, 'partners.json'))).toEqual(registryBefore);
    expect(await sha256(still)).toBe(masterBefore);
  });

  it('extract refuses a file that is not a ledger, and a report over a file it reads, even with --overwrite', async () => {
    const notLedger = await reelmark(['extract', 'poster.png', '--key', 'studio.key', '--ledger', 'partners.json'], { cwd: dir, env });
    expect(notLedger.code).toBe(2);
    expect(notLedger.stderr).toMatch(/partners\.json: not a delivery ledger: no line of it is a reelmark-delivery record \(line 1: /);
    // A report must end in .json or .html, so what it could replace is a registry, or a key or ledger so named.
    await copyFile(join(dir, 'studio.key'), join(dir, 'studio-key.json'));
    for (const [flag, file] of [['--registry', 'partners.json'], ['--key', 'studio-key.json']]) {
      const args = ['extract', 'poster.png', '--report', file, '--overwrite', ...(flag === '--key' ? [flag, file] : ['--key', 'studio.key', flag, file])];
      const before = await readFile(join(dir, file));
      const result = await reelmark(args, { cwd: dir, env });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`${file.replace('.', '\\.')}: is ${file.replace('.', '\\.')}, which this analysis reads; refusing to write the report over it`));
      expect(await readFile(join(dir, file))).toEqual(before);
    }
  });
});

describe('delivery records through the API', () => {
  it('records only when given a ledger, with the hashes of the files written', async () => {
    const key = createKey();
    const plain = join(dir, 'api-plain.png');
    const result = await embedImage({ input: still, output: plain, key, id: 9n });
    expect(result.delivery).toBeNull();
    expect(result.ledger).toBeNull();
    expect(result.toJSON()).toMatchObject({ sha256: null, ledger: null });

    const ledgerPath = join(dir, 'api.jsonl');
    const recorded = await embedImage({ input: still, output: join(dir, 'api-rec.png'), key, id: 10n, ledger: ledgerPath, operator: 'api-user', partner: 'acme-vfx' });
    expect(recorded.ledger).toBe(ledgerPath);
    expect(recorded.delivery).toMatchObject({ id: 10n, partner: 'acme-vfx', operator: 'api-user', title: 'poster', keyId: key.id });
    expect(recorded.delivery?.output.sha256).toBe(await sha256(join(dir, 'api-rec.png')));
    expect((await loadLedger(ledgerPath)).records).toEqual([recorded.delivery]);
  });

  it('refuses a ledger it cannot write before marking anything', async () => {
    const output = join(dir, 'api-never.png');
    await expect(embedImage({ input: still, output, key: createKey(), id: 1n, ledger: join(dir, 'no', 'where.jsonl') })).rejects.toThrow(LedgerError);
    await expect(stat(output)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(embedImage({ input: still, output, key: createKey(), id: 1n, ledger: 42 as unknown as string })).rejects.toThrow(
      'Expected a non-empty string for options.ledger but received number 42',
    );
  });

  it("extract with a ledger scores the IDs it records under the key as candidates, named by their partners", async () => {
    // Fixed keys, so that the run is the same every time.
    const [key, other, unused] = [1, 2, 3].map((n) => keyFromSecret(new Uint8Array(32).fill(n)));
    const poster = join(dir, 'poster-960.png');
    await makeStill(poster, { width: 960, height: 540 });
    const ledger = join(dir, 'issued.jsonl');
    const mark = (id: bigint, partner: string, k = key) => embedImage({ input: poster, output: join(dir, `issued.${id}.png`), key: k, id, ledger, partner });
    await mark(10n, 'acme-vfx');
    await mark(11n, 'zeta-post');
    await mark(12n, 'nova-dub', other); // issued under another key: not a candidate under `key`
    // ID 11 recorded again under the key with another partner: a ledger inconsistency, so neither name is used.
    await embedImage({ input: poster, output: join(dir, 'issued.11b.png'), key, id: 11n, ledger, partner: 'nova-dub' });
    // The screenshot that leaked: acme-vfx's copy downscaled, as a JPEG.
    const leak = join(dir, 'issued-leak.jpg');
    await ffmpeg(['-i', join(dir, 'issued.10.png'), '-vf', 'scale=640:360', '-q:v', '4', leak]);

    const d = await extractImage({ input: leak, key, ledger });
    expect(d.mode).toBe('candidates');
    expect(d.parameters.candidates).toEqual([10n, 11n]);
    expect(d.parameters.candidatesFromLedger).toBe(true);
    expect([d.found, d.id, d.partner]).toEqual([true, 10n, 'acme-vfx']);
    expect(d.candidates.map((c) => [c.id, c.partner, c.accused])).toEqual([[10n, 'acme-vfx', true], [11n, null, false]]);
    expect(d.deliveries?.map((r) => r.id)).toEqual([10n]);
    expect(d.toJSON().parameters).toMatchObject({ candidates: ['10', '11'], candidatesFromLedger: true });
    expect(d.toJSON().sync?.falseAlarmProbability).toBeLessThan(1e-3);
    // The command that reproduces it lists the candidates the ledger gave (the ledger grows), and keeps the ledger.
    expect(defaultCommand(d)).toEqual(['reelmark', 'extract', leak, '--key', `<key file of key id ${key.id}>`, '--candidates', '10,11', '--ledger', ledger]);
    // Only settings away from the default reading are written: among candidates, stopping early; blind, reading whole.
    const early = await extractImage({ input: leak, key, ledger, fullScan: false });
    expect(defaultCommand(early)).toEqual([...defaultCommand(d).slice(0, -2), '--stop-early', '--ledger', ledger]);
    const whole = await extractImage({ input: leak, key, fullScan: true });
    expect(defaultCommand(whole)).toEqual(['reelmark', 'extract', leak, '--key', `<key file of key id ${key.id}>`, '--full-scan']);

    // Partners given win over the ledger, for the candidates and the names.
    const named = await extractImage({ input: leak, key, ledger, partners: [{ name: 'acme-registry', id: 10n }] });
    expect([named.parameters.candidates, named.parameters.candidatesFromLedger, named.id, named.partner]).toEqual([[10n], false, 10n, 'acme-registry']);

    // Explicit candidates win over the ledger's (the copy's own ID, not among them, is still decoded freely); a key
    // the ledger has nothing under reads the ID blind.
    const given = await extractImage({ input: leak, key, ledger, candidates: [11n] });
    expect([given.parameters.candidates, given.parameters.candidatesFromLedger]).toEqual([[11n], false]);
    expect([given.candidates[0].id, given.candidates[0].accused, given.method, given.id]).toEqual([11n, false, 'decoded', 10n]);
    const blind = await extractImage({ input: leak, key: unused, ledger });
    expect([blind.mode, blind.parameters.candidates, blind.found]).toEqual(['decoded', null, false]);
  }, 60_000);
});
