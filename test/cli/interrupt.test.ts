/**
 * Ctrl-C during embed or batch: exit 130, no partial output, no temporary file, no ffmpeg process left.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, listDir, makeClip, reelmark, removeDir, tempDir } from './helpers.js';

let dir: string;
let master: string;
let key: string;
beforeAll(async () => {
  dir = await tempDir();
  master = join(dir, 'master.mp4');
  key = join(dir, 'studio.key');
  await Promise.all([makeClip(master, { width: 640, height: 360, seconds: 12, cheap: true }), reelmark(['keygen', '-o', key])]);
});
afterAll(async () => {
  await removeDir(dir);
});

/** Processes whose command line mentions `needle` (from /proc, Linux). */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
      if (cmdline.includes(needle) && !cmdline.includes('vitest')) found.push(`${pid}: ${cmdline}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** Start the CLI, wait until it has written output for a while, send SIGINT, and collect the result. */
async function interruptAfterProgress(args: string[], outDir: string, signals: NodeJS.Signals[] = ['SIGINT']): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.resume();
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // Wait until a (temporary) output file exists, i.e. ffmpeg is encoding.
  const deadline = Date.now() + 30_000;
  const entries = () => readdir(outDir).then((names) => names.length, () => 0); // a folder the command makes: 0 until then
  while (Date.now() < deadline && (await entries()) <= 2) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  for (const signal of signals) child.kill(signal); // back to back, as GNU timeout signals a process and then its group
  return { code: await closed, stderr };
}

describe('Ctrl-C', () => {
  it('during embed leaves no output and no ffmpeg process', async () => {
    const before = await listDir(dir);
    const { code, stderr } = await interruptAfterProgress(['embed', master, '-o', join(dir, 'marked.mp4'), '--key', key, '--id', '7'], dir);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('interrupted');
    expect(await listDir(dir)).toEqual(before);
    expect(await processesMentioning(dir)).toEqual([]);
  });

  it('during batch leaves none of the outputs and no ffmpeg process', async () => {
    const out = join(dir, 'out');
    await mkdir(out);
    // The folder starts empty: interruptAfterProgress waits for more than two entries (temporary outputs).
    const { code, stderr } = await interruptAfterProgress(['batch', master, '--key', key, '--ids', '1,2,3', '--out-dir', out], out);
    expect(code, stderr).toBe(130);
    expect(await listDir(out)).toEqual([]);
    expect(await processesMentioning(dir)).toEqual([]);
  });

  it('a signal repeated at once (timeout, a supervisor) still stops in order: nothing left, nor the folder the batch made', async () => {
    const out = join(dir, 'made-by-batch');
    const before = await listDir(dir);
    // Three outputs: interruptAfterProgress waits for more than two entries in the folder (their temporary files).
    const { code, stderr } = await interruptAfterProgress(['batch', master, '--key', key, '--ids', '1,2,3', '--out-dir', out], out, ['SIGINT', 'SIGINT', 'SIGTERM']);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('interrupted');
    expect(await listDir(dir)).toEqual(before);
    expect(await processesMentioning(dir)).toEqual([]);
  });

  it('a process that exits before its outputs settle removes their temporary files on the way out', async () => {
    const script = join(dir, 'exit-early.mjs');
    const target = join(dir, 'never.mp4');
    const { writeFile } = await import('node:fs/promises');
    const core = new URL('../../packages/core/dist/media/atomic-output.js', import.meta.url).href;
    await writeFile(
      script,
      `import { writeFileSync } from 'node:fs';\nimport { prepareOutput } from ${JSON.stringify(core)};\n` +
        `const pending = await prepareOutput(${JSON.stringify(target)}, { inputs: [], overwrite: false });\n` +
        `writeFileSync(pending.tempPath, 'partial');\nconsole.log(pending.tempPath);\nprocess.exit(130);\n`,
    );
    const before = await listDir(dir);
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const c = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      c.on('close', (code) => resolve({ code, stdout }));
    });
    expect(result.code).toBe(130);
    expect(result.stdout).toContain('.never.reelmark-');
    expect(await listDir(dir)).toEqual(before);
  });
});
