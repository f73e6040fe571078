import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KeyError,
  OutputError,
  RegistryError,
  UsageError,
  addPartner,
  createKey,
  loadKey,
  loadRegistry,
  saveKey,
} from '@reelmark/core';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reelmark-keyfile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('key files', () => {
  it('round-trips a key, mode 0600, and refuses to overwrite', async () => {
    const key = createKey();
    const path = join(dir, 'a.key');
    await saveKey(key, path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const loaded = await loadKey(path);
    expect(loaded.id).toBe(key.id);
    expect(Buffer.from(loaded.secret).equals(Buffer.from(key.secret))).toBe(true);
    const other = createKey();
    await expect(saveKey(other, path)).rejects.toThrow(OutputError);
    expect((await loadKey(path)).id).toBe(key.id);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('lets exactly one of two racing writers create the file', async () => {
    const path = join(dir, 'race.key');
    const keys = [createKey(), createKey()];
    const outcomes = await Promise.allSettled(keys.map((k) => saveKey(k, path)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const winner = keys[outcomes.findIndex((o) => o.status === 'fulfilled')];
    expect((await loadKey(path)).id).toBe(winner.id);
  });

  it('rejects a key object whose id does not match its secret', async () => {
    const key = createKey();
    await expect(saveKey({ secret: key.secret, id: '0000000000000000' }, join(dir, 'forged.key'))).rejects.toThrow(UsageError);
    await expect(stat(join(dir, 'forged.key'))).rejects.toThrow();
  });

  const good = () => {
    const key = createKey();
    return { key, body: { format: 'reelmark-key', version: 1, keyId: key.id, secret: Buffer.from(key.secret).toString('base64'), created: new Date().toISOString() } };
  };
  const cases: Array<[string, () => string | null, RegExp]> = [
    ['missing', () => null, /key file not found/],
    ['empty', () => '', /key file is empty/],
    ['not JSON', () => 'hello', /not valid JSON/],
    ['truncated', () => JSON.stringify(good().body).slice(0, 40), /not valid JSON/],
    ['another format', () => JSON.stringify({ ...good().body, format: 'pem' }), /format is "pem", expected "reelmark-key"/],
    ['a newer version', () => JSON.stringify({ ...good().body, version: 2 }), /version 2 is newer than this reelmark reads/],
    ['a short secret', () => JSON.stringify({ ...good().body, secret: Buffer.alloc(16).toString('base64') }), /secret is 16 bytes, expected 32/],
    ['a non-base64 secret', () => JSON.stringify({ ...good().body, secret: 'not base64!' }), /not base64/],
    ['a key id that does not match', () => JSON.stringify({ ...good().body, keyId: good().key.id }), /does not match the secret/],
  ];
  it.each(cases)('names the file and the problem for %s', async (_label, content, message) => {
    const path = join(dir, `case-${_label.replace(/\W+/g, '-')}.key`);
    const text = content();
    if (text !== null) await writeFile(path, text);
    const error = await loadKey(path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KeyError);
    expect((error as KeyError).message).toContain(path);
    expect((error as KeyError).message).toMatch(message);
    expect((error as KeyError).path).toBe(path);
  });
});

describe('partner registry', () => {
  it('adds partners with collision-free IDs and reads them back', async () => {
    const path = join(dir, 'partners.json');
    const a = await addPartner(path, { name: 'acme-vfx' });
    const b = await addPartner(path, { name: 'zeta', id: 10n });
    const c = await addPartner(path, { name: 'omega' });
    expect([a.id, b.id, c.id]).toEqual([1n, 10n, 11n]);
    const registry = await loadRegistry(path);
    expect(registry.require('ACME-VFX').id).toBe(1n);
    expect(registry.byId(10n)?.name).toBe('zeta');
    expect(() => registry.require('nobody')).toThrow(/no partner named 'nobody'/);
    await expect(addPartner(path, { name: 'Zeta' })).rejects.toThrow(RegistryError);
    await expect(addPartner(path, { name: 'new', id: 11n })).rejects.toThrow(/ID 11 already belongs to partner 'omega'/);
    await expect(addPartner(path, { name: 'a/b' })).rejects.toThrow(UsageError);
    await expect(addPartner(path, { name: 'big', id: 1n << 48n })).rejects.toThrow(/Expected a bigint ID from 0 to 281474976710655 for id but received bigint/);
    expect(JSON.parse(await readFile(path, 'utf8')).partners).toHaveLength(3);
  });

  it('reports corrupt registries with the file name', async () => {
    const path = join(dir, 'bad.json');
    const write = (partners: unknown) => writeFile(path, JSON.stringify({ format: 'reelmark-partners', version: 1, partners }));
    await write([{ name: 'a', id: '1', added: 'x' }, { name: 'A', id: '2', added: 'x' }]);
    await expect(loadRegistry(path)).rejects.toThrow(`${path}: corrupt registry: partner name 'A' appears twice`);
    await write([{ name: 'a', id: '0x10', added: 'x' }]);
    await expect(loadRegistry(path)).rejects.toThrow(/invalid ID "0x10"/);
    await write({});
    await expect(loadRegistry(path)).rejects.toThrow(/"partners" must be an array/);
    await expect(loadRegistry(join(dir, 'nope.json'))).rejects.toThrow(/partner registry not found/);
    expect((await loadRegistry(join(dir, 'nope.json'), { allowMissing: true })).partners).toEqual([]);
  });
});
