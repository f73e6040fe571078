import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKey } from '@reelmark/core';
import { CLI, hasStackTrace, listDir, reelmark, removeDir, run, tempDir } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await removeDir(dir);
});

describe('reelmark keygen', () => {
  it('writes a 0600 key file whose id it prints, and never prints the secret', async () => {
    const path = join(dir, 'studio.key');
    const result = await reelmark(['keygen', '-o', path, '--json']);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { path: string; keyId: string };
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const key = await loadKey(path);
    expect(printed.keyId).toBe(key.id);
    expect(printed.keyId).toMatch(/^[0-9a-f]{8,}$/);
    const body = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(body).toMatchObject({ format: 'reelmark-key', version: 1, keyId: key.id });
    expect(Buffer.from(String(body.secret), 'base64')).toHaveLength(32);
    expect(result.stdout + result.stderr).not.toContain(String(body.secret));
    // Two keys are different keys.
    const other = join(dir, 'other.key');
    expect((await reelmark(['keygen', '-o', other])).code).toBe(0);
    expect((await loadKey(other)).id).not.toBe(key.id);
  });

  it('refuses to overwrite an existing file (exit 2, file untouched, no temp file left)', async () => {
    const path = join(dir, 'precious.key');
    await writeFile(path, 'do not touch');
    const before = await listDir(dir);
    const result = await reelmark(['keygen', '--output', path]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(path);
    expect(result.stderr).toContain('exists');
    expect(await readFile(path, 'utf8')).toBe('do not touch');
    expect(await listDir(dir)).toEqual(before);
  });

  it('reports a missing folder in one line, exit 2', async () => {
    const result = await reelmark(['keygen', '-o', join(dir, 'no-such-dir', 'a.key')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('folder does not exist');
    expect(hasStackTrace(result.stderr)).toBe(false);
  });
});

describe('reelmark partner', () => {
  it('assigns distinct IDs in order, honours --id, lists, and writes a valid registry', async () => {
    const registry = join(dir, 'partners.json');
    const a = await reelmark(['partner', 'add', 'acme-vfx', '--registry', registry, '--json']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ name: 'acme-vfx', id: '1' });
    const b = await reelmark(['partner', 'add', 'zeta-post', '--registry', registry]);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('ID 2');
    const c = await reelmark(['partner', 'add', 'omega', '--id', '281474976710655', '-r', registry, '--json']);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout).id).toBe('281474976710655');
    const list = await reelmark(['partner', 'list', '--registry', registry, '--json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ name: string; id: string }>).map((p) => [p.name, p.id])).toEqual([
      ['acme-vfx', '1'],
      ['zeta-post', '2'],
      ['omega', '281474976710655'],
    ]);
    const table = await reelmark(['partner', 'list', '--registry', registry]);
    expect(table.stdout).toMatch(/acme-vfx\s+1\s/);
    // Top of the range taken: the next automatic ID is the lowest free one.
    const d = await reelmark(['partner', 'add', 'delta', '-r', registry, '--json']);
    expect(JSON.parse(d.stdout).id).toBe('3');
    const body = JSON.parse(await readFile(registry, 'utf8'));
    expect(body.format).toBe('reelmark-partners');
    expect(body.partners).toHaveLength(4);
    expect((await listDir(dir)).filter((n) => n.startsWith('.partners') || n.endsWith('.lock'))).toEqual([]);
  });

  it('refuses a duplicate name (any case), a taken ID, a bad name and an ID out of range, leaving the file unchanged', async () => {
    const registry = join(dir, 'dupes.json');
    expect((await reelmark(['partner', 'add', 'acme', '-r', registry])).code).toBe(0);
    const before = await readFile(registry, 'utf8');
    const cases: Array<[string[], RegExp]> = [
      [['partner', 'add', 'ACME', '-r', registry], /already exists/],
      [['partner', 'add', 'other', '--id', '1', '-r', registry], /ID 1 already belongs to partner 'acme'/],
      [['partner', 'add', '../evil', '-r', registry], /Expected a partner name .* for NAME but received string '\.\.\/evil'\n$/],
      [['partner', 'add', 'big', '--id', '281474976710656', '-r', registry], /Expected an ID .* for --id but received '281474976710656'\n$/],
      [['partner', 'add', 'neg', '--id', '-1', '-r', registry], /Expected an ID .* for --id but received '-1'\n$/],
    ];
    for (const [args, message] of cases) {
      const result = await reelmark(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(hasStackTrace(result.stderr)).toBe(false);
    }
    expect(await readFile(registry, 'utf8')).toBe(before);
  });

  it('names a corrupt or missing registry file and its problem (exit 2)', async () => {
    const corrupt = join(dir, 'corrupt.json');
    await writeFile(corrupt, '{"format":"reelmark-partners","version":1,"partners":[{"name":"a","id":"5","added":"x"},{"name":"b","id":"5","added":"x"}]}');
    const dup = await reelmark(['partner', 'list', '-r', corrupt]);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain(`${corrupt}: corrupt registry: ID 5 is given to both 'a' and 'b'`);
    await writeFile(corrupt, '{"format":"reelmark-partn');
    const truncated = await reelmark(['partner', 'add', 'x', '-r', corrupt]);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toContain('not valid JSON');
    expect(await readFile(corrupt, 'utf8')).toBe('{"format":"reelmark-partn');
    const missing = await reelmark(['partner', 'list', '-r', join(dir, 'none.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('partner registry not found');
    const noFolder = join(dir, 'no-dir', 'p.json');
    const add = await reelmark(['partner', 'add', 'foo', '--registry', noFolder]);
    expect(add.code).toBe(2);
    expect(add.stderr).toBe(`reelmark: ${noFolder}: cannot write partner registry: folder ${join(dir, 'no-dir')} does not exist\n`);
    const underFile = join(corrupt, 'sub', 'p.json');
    const add2 = await reelmark(['partner', 'add', 'foo', '--registry', underFile]);
    expect(add2.code).toBe(2);
    expect(add2.stderr).toBe(`reelmark: ${underFile}: cannot write partner registry: ${corrupt} is a file, not a folder\n`);
    const list2 = await reelmark(['partner', 'list', '--registry', underFile]);
    expect(list2.code).toBe(2);
    expect(list2.stderr).toBe(`reelmark: ${underFile}: partner registry not found: ${corrupt} is a file, not a folder\n`);
    const slash = `${corrupt}/`;
    const add3 = await reelmark(['partner', 'add', 'foo', '--registry', slash]);
    expect(add3.stderr).toBe(`reelmark: ${slash}: cannot write partner registry: ${corrupt} is a file, not a folder\n`);
  });

  it('documents how an ID is chosen once the highest possible one is taken', async () => {
    const help = await reelmark(['partner', 'add', '--help']);
    expect(help.stdout).toContain('the lowest free one once the highest possible ID is taken');
  });

  it('gives every concurrent writer its own ID and loses no entry', async () => {
    const registry = join(dir, 'race.json');
    const names = Array.from({ length: 8 }, (_, i) => `p${i}`);
    const results = await Promise.all(names.map((name) => reelmark(['partner', 'add', name, '-r', registry, '--json'])));
    expect(results.map((r) => r.code)).toEqual(names.map(() => 0));
    const ids = results.map((r) => JSON.parse(r.stdout).id as string);
    expect(new Set(ids).size).toBe(names.length);
    const list = JSON.parse((await reelmark(['partner', 'list', '-r', registry, '--json'])).stdout) as Array<{ id: string }>;
    expect(list.map((p) => p.id).sort()).toEqual([...ids].sort());
  });
});

describe('usage errors', () => {
  const usage: Array<[string[], RegExp]> = [
    [[], /missing command/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['keygen'], /missing required option '--output'/],
    [['keygen', '-o'], /option '--output' needs a value/],
    [['keygen', '-o', 'x.key', '--strenght', '2'], /unknown option '--strenght'/],
    [['embed', 'in.mp4', '-o', 'out.mp4', '--key', 'k.key'], /--id N or --partner NAME/],
    [['embed', 'in.mp4', '-o', 'out.mp4', '--key', 'k.key', '--id', '1', '--partner', 'a'], /either --id or --partner/],
    [['embed', '-o', 'out.mp4', '--key', 'k.key', '--id', '1'], /missing argument INPUT/],
    [['embed', 'a.mp4', 'b.mp4', '-o', 'out.mp4', '--key', 'k.key', '--id', '1'], /unexpected argument 'b.mp4'/],
    [['embed', 'a.mp4', '-o', 'out.mp4', '--key', 'k.key', '--id', '1', '--id', '2'], /given more than once/],
    [['embed', 'a.mp4', '-o', 'out.mp4', '--key', 'k.key', '--id', '1', '--crf', 'high'], /expected a number from 0 to 63 for --crf but received 'high'/],
    [['extract', 'a.mp4', '--key', 'k.key', '--max-seconds', '0'], /for --max-seconds but received '0'/],
    [['extract', 'a.mp4', '--key', 'k.key', '--candidates', '1,,2'], /comma-separated IDs/],
    // A file whose name starts with a dash: the way to name it, not a short option extract does not have.
    [['extract', '-leak.mp4', '--key', 'k.key'], /unknown option '-leak\.mp4' \(write '\.\/-leak\.mp4' or '-- -leak\.mp4' for a file of that name\)/],
    [['keygen', '-ox.key'], /unknown option '-ox\.key' \(write '-o x\.key' for a short option with a value, or '\.\/-ox\.key' for a file\)/],
    [['batch', 'a.mp4', '--key', 'k.key', '--out-dir', '.'], /--ids N,N,... or --registry FILE/],
    [['batch', 'a.mp4', '--key', 'k.key', '--ids', '3,3', '--out-dir', '.'], /ID 3 appears twice in --ids/],
    [['batch', 'a.mp4', '--key', 'k.key', '-r', 'p.json', '--partners', 'acme,ACME', '--out-dir', '.'], /'ACME' appears twice in --partners/],
    [['partner'], /missing command/],
    // The group's usage, not the root's.
    [['partner', 'remove', 'x'], /^reelmark partner: unknown command 'remove' \(commands: add, list\)\nusage: reelmark partner <add\|list> /],
  ];
  it.each(usage)('reelmark %j exits 2 with a usage message', async (args, message) => {
    const result = await reelmark(args, { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/usage|USAGE|--help/);
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(result.stdout).toBe('');
  });

  it('--help documents the commands and the exit codes', async () => {
    const root = await reelmark(['--help']);
    expect(root.code).toBe(0);
    for (const command of ['keygen', 'embed', 'batch', 'extract', 'partner', 'doctor']) expect(root.stdout).toContain(command);
    expect(root.stdout).toMatch(/EXIT CODES[\s\S]*0 +success[\s\S]*1 +internal error[\s\S]*2 +usage or input error[\s\S]*3 +extract: no ID accused \(no mark, or the key.s mark without a readable ID\)/);
    const embed = await reelmark(['embed', '--help']);
    expect(embed.code).toBe(0);
    expect(embed.stdout).toContain('--strength');
    expect(embed.stdout).toContain('EXIT CODES');
    const version = await reelmark(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('reelmark doctor', () => {
  it('--json names ffmpeg and ffprobe with path, source and version, the encoders, Node and warnings', async () => {
    const result = await reelmark(['doctor', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    for (const tool of ['ffmpeg', 'ffprobe']) {
      expect(typeof report[tool].path).toBe('string');
      expect(typeof report[tool].source).toBe('string');
      expect(typeof report[tool].version).toBe('string');
      expect((await stat(report[tool].path)).isFile()).toBe(true);
    }
    for (const encoder of ['libx264', 'libx265', 'prores_ks', 'ffv1']) expect(typeof report.encoders[encoder]).toBe('boolean');
    expect(report.encoders.libx264).toBe(true);
    expect(report.node).toBe(process.version);
    expect(Array.isArray(report.warnings)).toBe(true);
    const human = await reelmark(['doctor']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ffmpeg\s+\S+/m);
    expect(human.stdout).toMatch(/libx264 yes/);
  });

  it('names a FFMPEG_PATH that points at nothing and says to fix or unset it (exit 1)', async () => {
    const result = await reelmark(['doctor'], { env: { FFMPEG_PATH: '/nonexistent/ffmpeg' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^reelmark: FFMPEG_PATH points at \/nonexistent\/ffmpeg, which does not exist\.\n/);
    expect(result.stderr).toContain('unset FFMPEG_PATH');
    expect(result.stderr).not.toMatch(/installer|PATH: no/);
  });

  it('stays quiet when its reader goes away (stdout piped into a command that exits at once)', async () => {
    const errors = join(dir, 'doctor.stderr');
    const piped = await run('sh', ['-c', `"${process.execPath}" "${CLI}" doctor 2>"${errors}" | true`]);
    expect(piped.code).toBe(0);
    expect(await readFile(errors, 'utf8')).toBe('');
  });
});
