/**
 * Pictures with a display rotation (a phone's portrait video, a file tagged upside down) are marked and read as they
 * are displayed: a leak turned for display by a re-encode, or stored sideways with a tag that turns it upright, is
 * identified; a rotated master's delivery keeps its rotation, and a container that cannot carry it is refused.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutputError, createKey, embedVideo, extractVideo, probe, readFrames, resolveFfmpeg } from '@reelmark/core';
import { displaySize, turnForDisplay } from '../../packages/core/src/media/display-turn.js';
import { rotationArgs } from '../../packages/core/src/media/ffmpeg-args.js';
import { ffmpeg, makeClip, removeDir, tempDir } from '../cli/helpers.js';

let dir: string;
let master: string;
const key = createKey();

/** A copy of `input` whose stored pixels are unchanged and whose display matrix turns them by `degrees`. */
async function tagged(input: string, output: string, degrees: number): Promise<string> {
  const rotation = rotationArgs(await resolveFfmpeg(), degrees);
  await ffmpeg([...rotation.input, '-i', input, '-c', 'copy', ...rotation.output, '-y', output]);
  return output;
}

beforeAll(async () => {
  dir = await tempDir('reelmark-rotation-');
  master = join(dir, 'master.mp4');
  await makeClip(master, { width: 640, height: 360, seconds: 1 });
});
afterAll(async () => {
  await removeDir(dir);
});

describe('display rotation', () => {
  it('reads a picture as displayed with the same turns as turnForDisplay, for each quarter turn', async () => {
    const luma = async (file: string, displayed: boolean) => {
      for await (const f of readFrames(file, { lumaOnly: true, displayed, maxFrames: 1 })) {
        const p = f.planes[0];
        return { data: Uint8Array.from(p.data as Uint8Array), width: p.width, height: p.height, stride: p.width };
      }
      throw new Error('no frame');
    };
    const stored = await luma(master, false);
    for (const degrees of [90, 180, 270]) {
      const file = await tagged(master, join(dir, `tag${degrees}.mp4`), degrees);
      expect((await probe(file)).rotation).toBe(degrees);
      const shown = await luma(file, true);
      expect({ width: shown.width, height: shown.height }).toEqual(displaySize(640, 360, degrees));
      const turned = new Uint8Array(shown.width * shown.height);
      turnForDisplay(stored, turned, degrees);
      expect(Buffer.from(turned).equals(Buffer.from(shown.data))).toBe(true);
      // And back.
      const back = { ...stored, data: new Uint8Array(stored.data.length) };
      turnForDisplay(back, turned, degrees, true);
      expect(Buffer.from(back.data).equals(Buffer.from(stored.data))).toBe(true);
    }
  });

  it('identifies a leak stored sideways with a tag that turns it upright (as a phone records)', async () => {
    const marked = join(dir, 'marked.mp4');
    await embedVideo({ input: master, output: marked, key, id: 77n, preset: 'ultrafast' });
    const sideways = join(dir, 'sideways.mp4');
    await ffmpeg(['-i', marked, '-vf', 'transpose=clock', '-c:v', 'libx264', '-crf', '18', '-preset', 'veryfast', '-an', '-y', sideways]);
    const leak = await tagged(sideways, join(dir, 'phone.mp4'), 90); // turned back counter-clockwise for display
    const detection = await extractVideo({ input: leak, key });
    expect(detection.found).toBe(true);
    expect(detection.id).toBe(77n);
    expect(detection.toJSON()).toMatchObject({ input: { width: 640, height: 360, rotationApplied: 90 } });
  });

  it('reads a quarter-turned file as stored too when nothing is accused as displayed, each reading with half the threshold', async () => {
    // A delivery whose mark is in its stored pixels under a quarter-turn tag: a rotated master marked before
    // 2026-11-25, or a remux that tagged a sideways copy.
    const marked = join(dir, 'marked-80.mp4');
    await embedVideo({ input: master, output: marked, key, id: 80n, preset: 'ultrafast' });
    const old = await tagged(marked, join(dir, 'old-style.mp4'), 270);
    const detection = await extractVideo({ input: old, key });
    expect(detection.id).toBe(80n);
    const json = detection.toJSON() as { input: { width: number; height: number }; accusationThreshold: number };
    expect(json.input).toMatchObject({ width: 640, height: 360, rotationApplied: 0 }); // the stored picture, where it was read
    expect(json.accusationThreshold).toBe(1e-9);
    // The same reading of the untagged copy (one hypothesis) gives half the probability.
    const plain = await extractVideo({ input: marked, key, fullScan: true });
    const turned = await extractVideo({ input: old, key, fullScan: true });
    expect(turned.log10FalseAlarmProbability).toBeCloseTo(plain.log10FalseAlarmProbability + Math.log10(2), 2);
  });

  it("marks a rotated master as displayed: its delivery keeps the rotation, and a re-encode turned for display is identified", async () => {
    const portrait = await tagged(master, join(dir, 'portrait-master.mp4'), 90); // displayed 360x640
    const delivery = join(dir, 'portrait-delivery.mp4');
    await embedVideo({ input: portrait, output: delivery, key, id: 78n, preset: 'ultrafast' });
    expect((await probe(delivery)).rotation).toBe(90);
    // The delivery itself (read as displayed), and a re-encode that applies the rotation (ffmpeg's default).
    const upright = join(dir, 'upright-leak.mp4');
    await ffmpeg(['-i', delivery, '-c:v', 'libx264', '-crf', '23', '-preset', 'veryfast', '-an', '-y', upright]);
    const leakInfo = await probe(upright);
    expect([leakInfo.rotation, leakInfo.width, leakInfo.height]).toEqual([0, 360, 640]);
    for (const file of [delivery, upright]) {
      const detection = await extractVideo({ input: file, key });
      expect(detection.id, file).toBe(78n);
    }
    // A container that cannot carry the rotation would show the delivery turned: refused before any work.
    const err = await embedVideo({ input: portrait, output: join(dir, 'portrait.mkv'), key, id: 79n }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as Error).message).toMatch(/\.mkv files cannot carry the source's display rotation \(90 degrees\); write \.mov, \.mp4 or \.m4v instead/);
  });
});
