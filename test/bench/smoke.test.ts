/**
 * A smoke run of bench/ so that CI keeps it working: one small generated clip, two attacks, blind and candidate
 * detection through the bench's own robustness module (rows written as JSONL, tables as markdown), two null trials,
 * and the README block refresh. The real matrix runs with `npm run bench`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ffmpeg, ffprobe, tempDir } from '../helpers/ffmpeg.js';
// The bench is plain ESM JavaScript (run with node, no build step).
// @ts-ignore -- no type declarations for the bench's .mjs modules
import { runRobustness } from '../../bench/robustness.mjs';
// @ts-ignore
import { trials } from '../../bench/false-alarms.mjs';
// @ts-ignore
import { copyTrials } from '../../bench/other-copies.mjs';
// @ts-ignore
import { InlinePool } from '../../bench/lib/pool.mjs';
// @ts-ignore
import { readRows, refreshBlock } from '../../bench/lib/rows.mjs';
// @ts-ignore
import { attackList, ijgTables } from '../../bench/lib/attacks.mjs';
// @ts-ignore
import { butteraugliBinary, butteraugliMissing, butteraugliOfEach, spreadFrames } from '../../bench/lib/butteraugli.mjs';

let dir: string;
let cleanup: () => Promise<void>;
let clip: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('reelmark-bench-smoke-'));
  clip = join(dir, 'smoke.mp4');
  // As the bench's own footage is made: one fractal still (cheap), panned, with grain.
  const still = join(dir, 'still.png');
  await ffmpeg(['-f', 'lavfi', '-i', 'mandelbrot=s=1100x640:r=1:start_x=-0.743643887037151:start_y=0.13182590420533:start_scale=0.005', '-frames:v', '1', '-y', still]);
  await ffmpeg([
    '-loop', '1', '-framerate', '24', '-i', still, '-vf', "crop=960:540:'30*t':'15*t',noise=alls=3:allf=t,format=yuv420p",
    '-t', '3', '-c:v', 'libx264', '-crf', '12', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '24', '-y', clip,
  ]);
});

afterAll(async () => {
  await cleanup?.();
});

describe('bench smoke', () => {
  test('robustness rows for one content x two attacks are written, parse, and identify the leak', async () => {
    const resultsDir = join(dir, 'results');
    const ctx = {
      mode: 'quick',
      runId: 'smoke',
      work: dir,
      runDir: join(dir, 'run'),
      resultsDir,
      pool: new InlinePool(),
      contents: [{ name: 'smoke', kind: 'video', path: clip, width: 960, height: 540, seconds: 3, user: true }],
      // A near-lossless re-encode (the plumbing must give the exact ID back) and a colour attack.
      attacks: ['scale-540p-crf18', 'brightness+10'],
      log: () => {},
    };
    const { rows, summary } = await runRobustness(ctx);
    expect(rows).toHaveLength(4); // 2 attacks x (blind, candidates)
    const written = await readRows(join(resultsDir, 'robustness.jsonl'));
    expect(written).toHaveLength(4);
    for (const r of written) {
      expect(r).toMatchObject({ bench: 'robustness', content: 'smoke', lengthSeconds: 2 });
      expect(['blind', 'candidates']).toContain(r.detectMode);
      expect(typeof r.falseAlarmProbability).toBe('number');
      expect(r.detectWallSeconds).toBeGreaterThan(0);
      expect(r.wrongAccusations).toBe(0);
    }
    // A CRF 18 re-encode of the marked 540p delivery: the exact ID, blind and among candidates.
    expect(written.filter((r) => r.attack === 'scale-540p-crf18').every((r) => r.identified)).toBe(true);
    expect(summary.map((s: { attack: string }) => s.attack).sort()).toEqual(['brightness+10', 'scale-540p-crf18']);
    const md = await readFile(join(resultsDir, 'robustness.md'), 'utf8');
    expect(md).toContain('| scale-540p-crf18 | 2 s |');
    const readme = join(dir, 'README.md');
    await refreshBlock(readme, 'robustness', 'first');
    await refreshBlock(readme, 'robustness', 'second');
    const text = await readFile(readme, 'utf8');
    expect(text).toContain('<!-- bench:robustness -->\nsecond\n<!-- /bench:robustness -->');
    expect(text).not.toContain('first');
  });

  test('--keys marks the content once per bench key, each for its own recipient, and rates count every key', async () => {
    const resultsDir = join(dir, 'results-keys');
    const ctx = {
      mode: 'quick', runId: 'smoke-keys', work: dir, runDir: join(dir, 'run-keys'), resultsDir, pool: new InlinePool(),
      contents: [{ name: 'smoke', kind: 'video', path: clip, width: 960, height: 540, seconds: 3, user: true }],
      attacks: ['scale-540p-crf18'], keys: 2, log: () => {},
    };
    const { rows, summary } = await runRobustness(ctx);
    expect(rows).toHaveLength(4); // 2 keys x (blind, candidates)
    expect(rows.map((r: { keyIndex: number }) => r.keyIndex).sort()).toEqual([0, 0, 1, 1]);
    const truths = new Set(rows.map((r: { truth: string[] }) => r.truth[0]));
    expect(truths.size).toBe(2);
    expect(rows.every((r: { identified: boolean }) => r.identified)).toBe(true);
    expect(summary[0].blindRate).toEqual({ ok: 2, n: 2 });
    const md = await readFile(join(resultsDir, 'robustness.md'), 'utf8');
    expect(md).toContain('2 bench keys');
    expect(md).toMatch(/\| scale-540p-crf18 \| 2\/2 z [0-9.]+-[0-9.]+ \(2\/2 z /);
  });

  test('null trials on unmarked footage accuse no one', async () => {
    const rows = await trials({ category: 'unmarked', source: { name: 'smoke', path: clip, kind: 'video', id: '0' }, first: 0, count: 2 });
    expect(rows).toHaveLength(2);
    expect(rows.map((r: { detectMode: string }) => r.detectMode)).toEqual(['blind', 'candidates']);
    for (const r of rows) expect(r.falseAccusations).toBe(0);
  });

  test("another recipient's copy, marked in memory and leaked at 640x360: read ten ways, it names its own recipient only", async () => {
    // CRF 18: the whole reading must find the copy's own ID, which shows that each copy is marked for its recipient.
    const encode = { filter: 'scale=640:360', crf: 18 };
    const rows = await copyTrials({ content: 'smoke', source: clip, attack: 'scale-360p-crf18', encode, first: 0, count: 1, dir });
    expect(rows).toHaveLength(10); // (four 12-frame windows + the whole 48 frames) x (blind, candidates)
    const own = rows[0].id;
    for (const r of rows) {
      expect(r).toMatchObject({ content: 'smoke', attack: 'scale-360p-crf18', copy: 0, id: own, falseAccusations: 0 });
      expect(r.accused.every((a: string) => a === own)).toBe(true);
    }
    const whole = rows.find((r: { window: unknown; detectMode: string }) => r.window === 'all' && r.detectMode === 'blind');
    expect(whole).toMatchObject({ frames: 48, ownIdentified: true, accused: [own] });
  });

  test('the keyframe-every-2-s attack gives a keyframe every 48 frames; the plain one leaves x264 its default', async () => {
    const attacks = attackList(dir);
    const keyframesOf = async (name: string): Promise<number[]> => {
      const attack = attacks.find((a: { name: string }) => a.name === name);
      const out = join(dir, `${name}.mp4`);
      await ffmpeg(attack.args(clip, out, { width: 960, height: 540, clip: { start: 0, length: 3 } }));
      const json = (await ffprobe(['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=key_frame', '-of', 'json', out])).toString();
      const frames: { key_frame: number }[] = JSON.parse(json).frames;
      expect(frames).toHaveLength(72);
      return frames.flatMap((f, i) => (f.key_frame === 1 ? [i] : []));
    };
    expect(await keyframesOf('scale-360p-crf35-gop48')).toEqual([0, 48]);
    expect(await keyframesOf('scale-360p-crf35')).toEqual([0]);
  });

  test('JPEG screenshots use the IJG quality-75 tables', () => {
    const { luma } = ijgTables(75);
    expect(luma.slice(0, 8)).toEqual([8, 6, 5, 8, 12, 20, 26, 31]);
  });
});

describe('bench psychovisual distance (butteraugli)', () => {
  test('frames are spread over the clip, first and last included', () => {
    expect(spreadFrames(48, 3)).toEqual([0, 24, 47]);
    expect(spreadFrames(240, 5)).toEqual([0, 60, 120, 179, 239]);
    expect(spreadFrames(2, 5)).toEqual([0, 1]);
    expect(spreadFrames(1, 3)).toEqual([0]);
  });

  test('a missing butteraugli_main is reported, with how to get it', () => {
    const saved = process.env.REELMARK_BUTTERAUGLI;
    process.env.REELMARK_BUTTERAUGLI = join(dir, 'no-such-butteraugli');
    try {
      expect(butteraugliBinary()).toBeNull();
      expect(butteraugliMissing()).toContain('no-such-butteraugli');
    } finally {
      if (saved === undefined) delete process.env.REELMARK_BUTTERAUGLI;
      else process.env.REELMARK_BUTTERAUGLI = saved;
    }
  });

  // Only where libjxl's tool is installed (CI machines have Node and npm only).
  test.skipIf(!butteraugliBinary())('a copy reads 0, a brightened copy more', async () => {
    const bin = butteraugliBinary();
    const brighter = join(dir, 'brighter.mkv');
    await ffmpeg(['-i', clip, '-t', '1', '-vf', 'eq=brightness=0.03', '-c:v', 'ffv1', '-y', brighter]);
    const [same, changed] = await butteraugliOfEach(bin, [clip, brighter], clip, [0, 12], dir);
    expect(same).toMatchObject({ max: 0, pnorm3: 0, frames: 2 });
    expect(changed.max).toBeGreaterThan(0.5);
    expect(changed.pnorm3).toBeGreaterThan(0);
  });
});
