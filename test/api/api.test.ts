/**
 * The video/still API called directly: options validated up front with "Expected X for name but received Y",
 * kind checks, AbortSignal (before and during), progress callbacks, and the Detection JSON contract.
 */
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortError,
  Detection,
  InputError,
  KEYFRAME_WEIGHT,
  UsageError,
  createKey,
  embedBatch,
  embedImage,
  embedVideo,
  extractImage,
  extractVideo,
  readFrames,
} from '@reelmark/core';
import type { EmbedProgress, ExtractProgress } from '@reelmark/core';
import { ffmpeg, makeClip, makeStill, removeDir, tempDir } from '../cli/helpers.js';

let dir: string;
let clip: string;
let still: string;
const key = createKey();

beforeAll(async () => {
  dir = await tempDir('reelmark-api-');
  clip = join(dir, 'clip.mp4');
  still = join(dir, 'still.png');
  await Promise.all([makeClip(clip, { width: 640, height: 360, seconds: 2 }), makeStill(still, { width: 640, height: 360 })]);
});
afterAll(async () => {
  await removeDir(dir);
});

describe('option validation', () => {
  const base = () => ({ input: clip, output: join(dir, 'o.mp4'), key, id: 1n });
  const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
    ['no options', () => embedVideo(undefined as never), /Expected an options object for options but received undefined/],
    ['no input', () => embedVideo({ ...base(), input: undefined as never }), /Expected a non-empty string for options.input but received undefined/],
    ['a number ID', () => embedVideo({ ...base(), id: 5 as never }), /Expected a bigint ID from 0 to 281474976710655 for options.id but received number 5/],
    ['an ID out of range', () => embedVideo({ ...base(), id: 1n << 48n }), /for options.id but received bigint 281474976710656n/],
    ['a fake key', () => embedVideo({ ...base(), key: { secret: new Uint8Array(3), id: 'x' } }), /Expected a WatermarkKey .* for options.key but received object/],
    ['a negative strength', () => embedVideo({ ...base(), strength: -1 }), /Expected a number > 0 and <= 14 for options.strength but received number -1/],
    ['a strength beyond the embedder range', () => embedVideo({ ...base(), strength: 1000 }), /Expected a number > 0 and <= 14 for options.strength but received number 1000/],
    ['a strength beyond the range, before a missing input', () => embedVideo({ ...base(), input: join(dir, 'none.mp4'), strength: 20 }), /for options.strength but received number 20/],
    ['a misspelt option', () => embedVideo({ ...base(), strenght: 3 } as never), /Unknown option options.strenght \(did you mean options.strength\?\); known: input, output, key/],
    ['an option of another call', () => embedVideo({ ...base(), maxSeconds: 3 } as never), /Unknown option options.maxSeconds; known:/],
    ['a misspelt extract option', () => extractVideo({ input: clip, key, fullscan: true } as never), /Unknown option options.fullscan \(did you mean options.fullScan\?\)/],
    ['a misspelt recipient field', () => embedBatch({ input: clip, key, outDir: dir, recipients: [{ id: 1n, nmae: 'a' } as never] }), /Unknown option options.recipients\[0\].nmae \(did you mean options.recipients\[0\].name\?\)/],
    ['an embed-only option in a batch', () => embedBatch({ input: clip, key, outDir: dir, recipients: [{ id: 1n }], id: 2n } as never), /Unknown option options.id/],
    ['a crf out of range', () => embedVideo({ ...base(), crf: 63.5 }), /Expected a number between 0 and 63 for options.crf but received number 63.5/],
    ['a fractional crf for an encoder that takes whole ones', () => embedVideo({ ...base(), output: join(dir, 'o.mkv'), codec: 'libvpx-vp9', crf: 20.5 }), /options.crf of 'libvpx-vp9' is a whole number \(only libx264 and libx265 take fractions\) but received 20.5/],
    ['a bad signal', () => embedVideo({ ...base(), signal: 'stop' as never }), /Expected an AbortSignal for options.signal but received string 'stop'/],
    ['empty candidates', () => extractVideo({ input: clip, key, candidates: [] }), /Expected a non-empty array of bigint IDs for options.candidates but received array of length 0/],
    ['duplicate candidates', () => extractVideo({ input: clip, key, candidates: [3n, 3n] }), /distinct IDs .* 3 twice/],
    ['zero maxSeconds', () => extractVideo({ input: clip, key, maxSeconds: 0 }), /for options.maxSeconds but received number 0/],
    ['no recipients', () => embedBatch({ input: clip, key, recipients: [], outDir: dir }), /Expected a non-empty array of recipients for options.recipients/],
    ['duplicate recipient IDs', () => embedBatch({ input: clip, key, outDir: dir, recipients: [{ id: 1n }, { id: 1n, name: 'b' }] }), /distinct IDs/],
    ['no outDir', () => embedBatch({ input: clip, key, recipients: [{ id: 1n }] }), /Expected options.outDir or options.recipients\[0\].output/],
  ];
  it.each(cases)('rejects %s with a UsageError before touching a file', async (_label, call, message) => {
    const before = await readdir(dir);
    const error = await call().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
    expect(await readdir(dir)).toEqual(before);
  });

  it('refuses a still in embedVideo/extractVideo and a video in embedImage/extractImage', async () => {
    await expect(embedVideo({ input: still, output: join(dir, 'x.png'), key, id: 1n })).rejects.toThrow(InputError);
    await expect(embedImage({ input: clip, output: join(dir, 'x.mp4'), key, id: 1n })).rejects.toThrow(/is a video; use embedVideo/);
    await expect(extractImage({ input: clip, key })).rejects.toThrow(/is a video; use extractVideo/);
    await expect(extractVideo({ input: still, key })).rejects.toThrow(/is a still image; use extractImage/);
  });
});

describe('a master cut short', () => {
  it('a faststart MP4 whose data stops at 85% (short by a sixth: more than the earlier slack of 0.5 s allowed) is refused, not delivered short', async () => {
    // The header (moov in front) promises 48 frames; about 40 decode before the data stops, ffmpeg exits 0.
    const faststart = join(dir, 'faststart.mp4');
    await ffmpeg(['-i', clip, '-c', 'copy', '-movflags', '+faststart', faststart]);
    const cut = join(dir, 'cut85.mp4');
    await writeFile(cut, (await readFile(faststart)).subarray(0, Math.floor((await stat(faststart)).size * 0.85)));
    const before = await readdir(dir);
    const error = await embedVideo({ input: cut, output: join(dir, 'cut85.marked.mp4'), key, id: 1n, preset: 'ultrafast' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/cut85\.mp4: truncated or damaged: only \d+ of the 48 frames its header promises could be decoded; nothing written/);
    expect(await readdir(dir)).toEqual(before);
  });

  it('a master whose middle is damaged (its timeline whole) is refused too', async () => {
    const source = join(dir, 'gop10.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=2', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-movflags', '+faststart', source]);
    const bytes = await readFile(source);
    bytes.fill(0, Math.floor(bytes.length * 0.35), Math.floor(bytes.length * 0.65));
    const holed = join(dir, 'holed.mp4');
    await writeFile(holed, bytes);
    const error = await embedVideo({ input: holed, output: join(dir, 'holed.marked.mp4'), key, id: 1n, preset: 'ultrafast' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/holed\.mp4: truncated or damaged: only \d+ of the 50 frames its header promises could be decoded/);
  });
});

describe('a whole master is not called truncated', () => {
  it('a cut made with -c copy (an edit list hides half the samples the header counts) is marked', async () => {
    const long = join(dir, 'long4.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=4', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '100', long]);
    const cut = join(dir, 'cut-copy.mp4');
    await ffmpeg(['-ss', '2', '-i', long, '-c', 'copy', cut]);
    const result = await embedVideo({ input: cut, output: join(dir, 'cut-copy.marked.mp4'), key, id: 1n, preset: 'ultrafast' });
    expect(result.frames).toBe(50);
  });

  it("an MKV whose audio runs past its picture is whole (the video stream's DURATION tag is read)", async () => {
    const mkv = join(dir, 'long-audio.mkv');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=2', '-f', 'lavfi', '-i', 'sine=duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', mkv]);
    const result = await embedVideo({ input: mkv, output: join(dir, 'long-audio.marked.mkv'), key, id: 1n, preset: 'ultrafast' });
    expect(result.frames).toBe(50);
  });

  it('holds the frames against the header by what each kind of header can promise', async () => {
    const { assertWholeInput } = await import('../../packages/core/src/api/embed.js');
    const info = (o: { duration?: number; frameCount?: number; container?: number; avg?: string }) =>
      ({
        kind: 'video',
        path: 'm.mp4',
        fps: 25,
        duration: o.container ?? o.duration,
        video: { duration: o.duration, frameCount: o.frameCount, frameRate: '25/1', avgFrameRate: o.avg ?? '25/1' },
      }) as never;
    const marker = (lastPts: number) => ({ firstPts: 0, lastPts }) as never;
    // Constant rate: an edit list's count includes 50 hidden samples, the duration does not.
    await expect(assertWholeInput(info({ duration: 2, frameCount: 100 }), marker(1.96), 50, [])).resolves.toBeUndefined();
    // Constant rate, cut short or frames lost in the middle (the timeline whole): refused.
    await expect(assertWholeInput(info({ duration: 2, frameCount: 48 }), marker(1.63), 40, [])).rejects.toThrow(
      /m\.mp4: truncated or damaged: only 40 of the 48 frames its header promises could be decoded; nothing written/,
    );
    await expect(assertWholeInput(info({ duration: 2, frameCount: 50 }), marker(1.96), 31, [])).rejects.toThrow(/only 31 of the 50 frames/);
    // Variable rate: a held last frame (the timeline short, every frame there), and a -c copy cut of a long GOP (the
    // count includes hidden frames, the timeline whole) pass; short both ways is refused.
    await expect(assertWholeInput(info({ duration: 1.45, frameCount: 25, avg: '500/29' }), marker(0.96), 25, [])).resolves.toBeUndefined();
    await expect(assertWholeInput(info({ duration: 3.93, frameCount: 100, avg: '1500/89' }), marker(3.9), 40, [])).resolves.toBeUndefined();
    await expect(assertWholeInput(info({ duration: 3.93, frameCount: 66, avg: '1500/89' }), marker(2.0), 30, [])).rejects.toThrow(
      /only 2\.04 s of its 3\.93 s of video \(30 of 66 frames\) could be decoded/,
    );
    // No count (Matroska as ffmpeg writes it): the timeline against the video's own duration.
    await expect(assertWholeInput(info({ duration: 2.97, avg: '30/1' }), marker(2.93), 60, [])).resolves.toBeUndefined();
    await expect(assertWholeInput(info({ duration: 1.45 }), marker(0.98), 25, [])).resolves.toBeUndefined(); // held last frame
    await expect(assertWholeInput(info({ duration: 2 }), marker(1.08), 28, [])).rejects.toThrow(/only 1\.12 s of its 2\.00 s of video could be decoded/);
    // Neither count nor stream duration: the timeline against the container's duration, with room for audio.
    await expect(assertWholeInput(info({ container: 2 }), marker(1.63), 40, [])).resolves.toBeUndefined();
    await expect(assertWholeInput(info({ container: 2 }), marker(1.23), 30, [])).rejects.toThrow(/only 1\.27 s of its 2\.00 s could be decoded/);
  });
});

describe('abort and progress', () => {
  it('an aborted signal stops before any work', async () => {
    const output = join(dir, 'never.mp4');
    await expect(embedVideo({ input: clip, output, key, id: 1n, signal: AbortSignal.abort() })).rejects.toThrow(AbortError);
    expect(await readdir(dir)).not.toContain('never.mp4');
  });

  it('aborting mid-way removes the partial output; progress counts frames', async () => {
    const controller = new AbortController();
    const seen: EmbedProgress[] = [];
    const output = join(dir, 'partial.mp4');
    const run = embedVideo({
      input: clip,
      output,
      key,
      id: 1n,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.framesDone >= 10) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(AbortError);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0].framesTotal).toBe(48);
    expect((await readdir(dir)).filter((n) => n.includes('partial'))).toEqual([]);
  });

  it('reports progress to the end and returns the summary', async () => {
    const seen: number[] = [];
    const output = join(dir, 'done.mp4');
    const result = await embedVideo({ input: clip, output, key, id: 99n, preset: 'veryfast', onProgress: (p) => seen.push(p.framesDone) });
    expect(result.frames).toBe(48);
    expect(seen.at(-1)).toBe(48);
    expect(result.toJSON()).toMatchObject({ output, id: '99', keyId: key.id, frames: 48, kind: 'video' });
    expect(result.psnr).toBeGreaterThan(40);
    expect(result.psnrWorstFrame).toBeLessThanOrEqual(result.psnr + 1e-9);
  });
});

describe('PSNR summary', () => {
  it('equals the luma PSNR of the written frames against the source, measured independently (lossless FFV1)', async () => {
    const output = join(dir, 'lossless.mkv');
    const result = await embedVideo({ input: clip, output, key, id: 5n, codec: 'ffv1' });
    let sum = 0;
    let count = 0;
    const source = readFrames(clip, { lumaOnly: true })[Symbol.asyncIterator]();
    for await (const marked of readFrames(output, { lumaOnly: true })) {
      const next = await source.next();
      if (next.done) throw new Error('the source has fewer frames than the output');
      const a = marked.planes[0].data;
      const b = next.value.planes[0].data;
      for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
      count += a.length;
    }
    await source.return?.();
    expect(count).toBe(640 * 360 * 48);
    const psnr = 10 * Math.log10((255 * 255) / (sum / count));
    expect(result.psnr).toBeCloseTo(psnr, 2);
    expect(result.psnr).toBeLessThan(70); // a mark was added
  });
});

describe('Detection', () => {
  it('serialises to the extract --json contract', async () => {
    const marked = join(dir, 'done.mp4');
    const progress: ExtractProgress[] = [];
    const detection = await extractVideo({
      input: marked,
      key,
      partners: [{ name: 'acme', id: 99n, added: '' }, { name: 'zeta', id: 7n, added: '' }],
      onProgress: (p) => progress.push(p),
    });
    expect(detection).toBeInstanceOf(Detection);
    expect(progress.map((p) => p.framesAnalyzed)).toEqual(Array.from({ length: detection.framesAnalyzed }, (_, i) => i + 1));
    expect(progress[0]).toMatchObject({ secondsAnalyzed: 0, secondsTotal: 2 });
    // Among candidates the whole input is read, also once the verdict is certain (a later part could be spliced in
    // from another recipient's copy); blind, reading stops at the first certain look.
    expect(progress.at(-1)?.certain).toBe(true);
    expect(detection).toMatchObject({ stoppedEarly: false, framesAnalyzed: 48, parameters: { fullScan: true } });
    const blindProgress: ExtractProgress[] = [];
    const blind = await extractVideo({ input: marked, key, onProgress: (p) => blindProgress.push(p) });
    expect(blind).toMatchObject({ found: true, id: 99n, stoppedEarly: true, parameters: { fullScan: false } });
    expect(blindProgress.at(-1)).toMatchObject({ certain: true, framesAnalyzed: blind.framesAnalyzed });
    expect(blind.framesAnalyzed).toBeLessThan(48);
    // The H.264 copy's keyframes, named by the media layer: blind each counts as KEYFRAME_WEIGHT frames, among
    // candidates as one (the weighted sum is read once more only when no one is accused).
    expect(blind.parameters).toMatchObject({ keyframeWeight: KEYFRAME_WEIGHT, keyframesAnalyzed: 1 });
    expect(detection.parameters).toMatchObject({ keyframeWeight: 1, keyframesAnalyzed: 1 });
    expect(JSON.parse(JSON.stringify(blind)).parameters).toMatchObject({ keyframeWeight: 24, keyframesAnalyzed: 1 });
    expect(detection.found).toBe(true);
    expect(detection.id).toBe(99n);
    const json = JSON.parse(JSON.stringify(detection));
    for (const field of ['found', 'id', 'partner', 'falseAlarmProbability', 'framesAnalyzed', 'secondsAnalyzed', 'sync', 'candidates', 'input', 'keyId', 'version']) {
      expect(json, field).toHaveProperty(field);
    }
    expect(json).toMatchObject({ found: true, id: '99', partner: 'acme', keyId: key.id, method: 'candidates' });
    expect(json.candidates.map((c: { id: string; partner: string }) => [c.id, c.partner])).toEqual([
      ['99', 'acme'],
      ['7', 'zeta'],
    ]);
    for (const field of ['path', 'sha256', 'width', 'height', 'frameRate']) expect(json.input, field).toHaveProperty(field);
    for (const field of ['scale', 'offsetX', 'offsetY']) expect(typeof json.sync[field]).toBe('number');
  });
});
