import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  cloneFrame,
  liveChildPids,
  parseVersionOutput,
  probe,
  readFrames,
  releaseFromLibavcodec,
  resolveFfmpeg,
  clearFfmpegCache,
  transformVideo,
} from '../../packages/core/src/media/index.js';
import type { Frame } from '../../packages/core/src/media/index.js';
import { ffmpeg, ffprobe, framePts, makeClip, rotatedCopy, tempDir } from '../helpers/ffmpeg.js';

let dir: string;
let cleanup: () => Promise<void>;
const c: Record<string, string> = {};

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('reelmark-read-'));
  const [h264, p10, norot] = await Promise.all([
    makeClip(dir, 'h264.mp4', { rate: '30000/1001', video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: ['-c:a', 'aac'] }),
    makeClip(dir, 'p10.mkv', { pattern: 'mandelbrot', duration: 0.4, video: ['-c:v', 'ffv1', '-pix_fmt', 'yuv420p10le'], audio: false }),
    makeClip(dir, 'norot.mp4', { duration: 0.2, video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: false }),
  ]);
  // ffmpeg 4.1 writes a rotation only when stream copying.
  const rotated = path.join(dir, 'rot.mp4');
  await rotatedCopy(norot, rotated, 90);
  Object.assign(c, { h264, p10, rotated });
  c.png8 = path.join(dir, 'still8.png');
  c.png16 = path.join(dir, 'still16.png');
  c.jpg = path.join(dir, 'still.jpg');
  c.tiff16 = path.join(dir, 'still16.tiff');
  await Promise.all([
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x180', '-frames:v', '1', '-pix_fmt', 'rgb24', '-y', c.png8]),
    ffmpeg(['-f', 'lavfi', '-i', 'mandelbrot=s=320x180', '-frames:v', '1', '-pix_fmt', 'rgb48be', '-y', c.png16]),
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x180', '-frames:v', '1', '-q:v', '2', '-y', c.jpg]),
    ffmpeg(['-f', 'lavfi', '-i', 'mandelbrot=s=320x180', '-frames:v', '1', '-pix_fmt', 'rgb48le', '-y', c.tiff16]),
  ]);
});

afterAll(async () => {
  await cleanup?.();
});

describe('resolveFfmpeg', () => {
  // The suite can run against another ffmpeg (FFMPEG_PATH / FFPROBE_PATH, e.g. a facility's own build); these tests
  // are about the packaged binaries, so they set the variables aside and put them back.
  const outside = { ffmpeg: process.env.FFMPEG_PATH, ffprobe: process.env.FFPROBE_PATH };
  beforeEach(() => {
    delete process.env.FFMPEG_PATH;
    delete process.env.FFPROBE_PATH;
    clearFfmpegCache();
  });
  afterEach(() => {
    for (const [name, value] of [['FFMPEG_PATH', outside.ffmpeg], ['FFPROBE_PATH', outside.ffprobe]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    clearFfmpegCache();
  });

  it('finds the registry-shipped binaries, their release and encoders, and warns about ffmpeg < 5.0', async () => {
    const setup = await resolveFfmpeg();
    expect(setup.ffmpeg.source).toBe('@ffmpeg-installer/ffmpeg');
    expect(setup.ffprobe.source).toBe('@ffprobe-installer/ffprobe');
    expect(setup.ffmpeg.release).toBe('4.1');
    expect(setup.encoders).toMatchObject({ libx264: true, libx265: true, prores_ks: true, ffv1: true });
    expect(setup.filters.libvmaf).toBe(true);
    expect(setup.warnings.join('\n')).toMatch(/older than 5\.0/);
    expect(await resolveFfmpeg()).toBe(setup); // cached
  });

  it('honours FFMPEG_PATH over the packages, and reports a broken explicit path without falling back', async () => {
    const setup = await resolveFfmpeg();
    const copy = path.join(dir, 'bin', 'ffmpeg');
    await mkdir(path.dirname(copy), { recursive: true });
    await copyFile(setup.ffmpeg.path, copy);
    const { chmod } = await import('node:fs/promises');
    await chmod(copy, 0o755);
    process.env.FFMPEG_PATH = copy;
    try {
      const viaEnv = await resolveFfmpeg();
      expect(viaEnv.ffmpeg).toMatchObject({ path: copy, source: 'env', release: '4.1' });
    } finally {
      delete process.env.FFMPEG_PATH;
      clearFfmpegCache();
    }
  });

  it('names a FFMPEG_PATH or FFPROBE_PATH that points at nothing usable, and says to fix or unset it', async () => {
    const missing = path.join(dir, 'bin', 'missing-ffmpeg');
    process.env.FFMPEG_PATH = missing;
    const err = (await resolveFfmpeg().catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('FfmpegNotFoundError');
    expect(err.message).toBe(
      `FFMPEG_PATH points at ${missing}, which does not exist.\nPossible fixes:\n` +
        '  set FFMPEG_PATH to the path of an ffmpeg executable, or unset it (unset FFMPEG_PATH) to let reelmark find ffmpeg itself',
    );
    delete process.env.FFMPEG_PATH;
    // Not ffprobe at all: a program that prints nothing.
    process.env.FFPROBE_PATH = '/bin/true';
    clearFfmpegCache();
    const probeErr = (await resolveFfmpeg().catch((e: unknown) => e)) as Error;
    expect(probeErr.message).toMatch(/^FFPROBE_PATH points at \/bin\/true, which does not look like ffprobe: ''\.\nPossible fixes:\n  set FFPROBE_PATH to the path of an ffprobe executable, or unset it/);
    expect(probeErr.message).not.toMatch(/installer|PATH: no/);
  });

  it('derives releases from version strings', () => {
    expect(parseVersionOutput('ffmpeg version 6.1.1-static Copyright\nlibavcodec     60. 31.102 / 60. 31.102')).toMatchObject({ version: '6.1.1-static', release: '6.1' });
    expect(parseVersionOutput('ffmpeg version N-47683-g0e8eb07980-static\nlibavcodec     58. 42.100 / 58. 42.100')).toMatchObject({ release: '4.1', libavcodec: '58.42.100' });
    expect(releaseFromLibavcodec(61, 19)).toBe('7.1');
    expect(releaseFromLibavcodec(59, 20)).toBe('5.0');
  });
});

describe('probe', () => {
  it('reports rate, count, format and streams of a video', async () => {
    const info = await probe(c.h264);
    expect(info).toMatchObject({
      kind: 'video',
      width: 320,
      height: 180,
      pixelFormat: 'yuv420p',
      bitDepth: 8,
      chromaSubsampling: '4:2:0',
      frameRate: '30000/1001',
      frameCount: 30,
      rotation: 0,
    });
    expect(info.fps).toBeCloseTo(29.97, 2);
    expect(info.container).toContain('mp4');
    expect(info.audio).toHaveLength(1);
    expect(info.audio[0]).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 1 });
    expect(info.duration).toBeGreaterThan(0.9);
  });

  it('reports 10-bit, rotation, and stills as images', async () => {
    expect(await probe(c.p10)).toMatchObject({ bitDepth: 10, pixelFormat: 'yuv420p10le' });
    expect((await probe(c.p10, { countFrames: true })).frameCount).toBe(10);
    expect((await probe(c.rotated)).rotation).toBe(90);
    expect(await probe(c.png16)).toMatchObject({ kind: 'image', frameCount: 1, bitDepth: 16, pixelFormat: 'rgb48be' });
    expect(await probe(c.jpg)).toMatchObject({ kind: 'image', pixelFormat: 'yuvj420p' });
  });

  it('takes the largest video stream for the picture, not a thumbnail track stored before it', async () => {
    const both = path.join(dir, 'thumb-first.mkv');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=96x54:d=0.2', '-i', c.h264, '-map', '0:v', '-map', '1:v', '-c:v', 'ffv1', '-t', '0.2', '-y', both]);
    const info = await probe(both);
    expect(info.video).toMatchObject({ index: 1, width: 320, height: 180 });
  });

  it("reports a Matroska file's duration, not its end time, when its timestamps start late", async () => {
    const late = await makeClip(dir, 'late.mkv', { duration: 1, video: ['-c:v', 'ffv1'], audio: false, extra: ['-output_ts_offset', '10'] });
    const info = await probe(late);
    expect(info.startTime).toBeCloseTo(10, 1);
    expect(info.duration).toBeCloseTo(1, 1);
  });
});

describe('readFrames', () => {
  it('delivers the decoded samples exactly, with source timestamps, as ndarray views', async () => {
    const raw = await ffmpeg(['-i', c.h264, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-']);
    const pts = await framePts(c.h264);
    const frameBytes = 320 * 180 * 1.5;
    let i = 0;
    for await (const f of readFrames(c.h264)) {
      expect(f.index).toBe(i);
      expect(f.pts).toBeCloseTo(Number(pts[i]), 6);
      const bytes = Buffer.concat(f.planes.map((p) => Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength)));
      expect(bytes.equals(raw.subarray(i * frameBytes, (i + 1) * frameBytes))).toBe(true);
      expect(f.planes[0].view.shape).toEqual([180, 320]);
      expect(f.planes[0].view.get(5, 7)).toBe(f.planes[0].data[5 * 320 + 7]);
      expect(f.planes[0].view.data).toBe(f.planes[0].data); // a view, not a copy
      i++;
    }
    expect(i).toBe(30);
  });

  it('gives 10-bit frames as Uint16Array and luma-only frames bit for bit', async () => {
    const raw = await ffmpeg(['-i', c.p10, '-f', 'rawvideo', '-pix_fmt', 'yuv420p10le', '-']);
    const luma: Frame[] = [];
    for await (const f of readFrames(c.p10, { lumaOnly: true })) luma.push(f);
    expect(luma).toHaveLength(10);
    expect(luma[0].pixelFormat).toBe('gray10le');
    expect(luma[0].planes).toHaveLength(1);
    const y = luma[3].planes[0].data;
    expect(y).toBeInstanceOf(Uint16Array);
    const frameBytes = 320 * 180 * 2 * 1.5;
    const expected = raw.subarray(3 * frameBytes, 3 * frameBytes + 320 * 180 * 2);
    expect(Buffer.from(y.buffer, y.byteOffset, y.byteLength).equals(expected)).toBe(true);
  });

  it('scales, limits and seeks inside ffmpeg', async () => {
    const pts = await framePts(c.h264);
    const frames: Frame[] = [];
    for await (const f of readFrames(c.h264, { width: 160, start: 0.5, maxFrames: 4 })) frames.push(f);
    expect(frames.map((f) => [f.width, f.height])).toEqual(new Array(4).fill([160, 90]));
    expect(frames[0].pts).toBeCloseTo(Number(pts[15]), 6); // 0.5 s at 29.97 fps: frame 15 (0.5005 s)
    let n = 0;
    for await (const f of readFrames(c.h264, { duration: 0.5, frameRate: 10, lumaOnly: true, height: 90 })) {
      expect(f.planes).toHaveLength(1);
      expect(f.width).toBe(160);
      n++;
    }
    expect(n).toBe(5);
  });

  it('says which frames are keyframes, from a keyframes-only scan of the same span', async () => {
    // A keyframe every 7 frames, B frames between: frames come out of the decoder in another order than they were coded.
    const gop = await makeClip(dir, 'gop.mp4', {
      pattern: 'mandelbrot',
      audio: false,
      video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '7', '-keyint_min', '7', '-sc_threshold', '0', '-bf', '2'],
    });
    const truth = (await ffprobe(['-select_streams', 'v:0', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', gop]))
      .toString()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().startsWith('1'));
    expect(truth.filter(Boolean).length).toBe(4); // 25 frames: 0, 7, 14, 21
    const read = async (o: Parameters<typeof readFrames>[1], at: number[] = [], file = gop): Promise<Array<boolean | undefined>> => {
      const flags: Array<boolean | undefined> = [];
      for await (const f of readFrames(file, { lumaOnly: true, reuseBuffers: true, ...o })) flags.push(f.keyFrame), at.push(Math.round(f.pts * 25));
      return flags;
    };
    expect(await read({ markKeyframes: true })).toEqual(truth);
    const at: number[] = [];
    const part = await read({ markKeyframes: true, start: 0.3, duration: 0.4 }, at);
    expect(at[0]).toBe(8); // the first frame at or after 0.3 s (0.32 s)
    expect(part).toEqual(at.map((n) => truth[n]));
    expect(part.filter(Boolean)).toHaveLength(1); // frame 14
    expect(await read({ markKeyframes: true, keyframesOnly: true })).toEqual([true, true, true, true]);
    expect((await read({})).every((k) => k === undefined)).toBe(true);
    // Stopping early stops the scan's ffmpeg too.
    for await (const f of readFrames(gop, { markKeyframes: true })) if (f.index === 2) break;
    expect(liveChildPids()).toEqual([]);
    expect(() => readFrames(gop, { markKeyframes: true, frameRate: 10 })).toThrow(/markKeyframes cannot be used with options.frameRate/);
    for await (const f of readFrames(c.png8, { markKeyframes: true })) expect(f.keyFrame).toBe(true);
    // In AVI (and raw streams) with B frames ffmpeg makes timestamps up at the decoder's output, differently when it
    // skips frames: a scan would name other frames, so none is marked.
    const avi = path.join(dir, 'gop.avi');
    await ffmpeg(['-i', gop, '-c', 'copy', '-y', avi]);
    const inAvi = await read({ markKeyframes: true }, [], avi);
    expect(inAvi).toHaveLength(25);
    expect(inAvi.every((k) => k === false)).toBe(true);
    // An intra-only codec's frames are all keyframes, without a scan.
    let intra = 0;
    for await (const f of readFrames(c.p10, { markKeyframes: true, lumaOnly: true })) expect(f.keyFrame).toBe(true), intra++;
    expect(intra).toBe(10);
  });

  it('reuses a small pool of buffers only when asked', async () => {
    const owned = new Set<ArrayBufferLike>();
    for await (const f of readFrames(c.h264, { maxFrames: 8 })) owned.add(f.planes[0].data.buffer);
    expect(owned.size).toBe(8);
    const pooled = new Set<ArrayBufferLike>();
    const kept: Frame[] = [];
    for await (const f of readFrames(c.h264, { maxFrames: 8, reuseBuffers: true })) {
      pooled.add(f.planes[0].data.buffer);
      kept.push(cloneFrame(f));
    }
    expect(pooled.size).toBeGreaterThanOrEqual(2);
    expect(pooled.size).toBeLessThanOrEqual(3); // readAhead 2 + the frame being looked at
    expect(new Set(kept.map((f) => f.planes[0].data.buffer)).size).toBe(8);
  });

  it('reads stills as one frame: 8-bit png, 16-bit png and tiff, jpeg', async () => {
    const expectations: Array<[string, string, number]> = [
      [c.png8, 'yuvj444p', 8],
      [c.png16, 'yuv444p16le', 16],
      [c.tiff16, 'yuv444p16le', 16],
      [c.jpg, 'yuvj420p', 8],
    ];
    for (const [file, format, depth] of expectations) {
      const frames: Frame[] = [];
      for await (const f of readFrames(file)) frames.push(f);
      expect(frames).toHaveLength(1);
      expect(frames[0]).toMatchObject({ pixelFormat: format, bitDepth: depth, width: 320, height: 180, index: 0 });
    }
  });

  it('writes stills back through the same path', async () => {
    for (const [input, output, pixFmt] of [
      [c.png8, 'out8.png', 'rgb24'],
      [c.png16, 'out16.png', 'rgb48be'],
      [c.tiff16, 'out16.tiff', 'rgb48le'],
      [c.jpg, 'out.jpg', 'yuvj420p'],
    ]) {
      const out = path.join(dir, output);
      const result = await transformVideo(input, out, (f) => {
        f.planes[0].data[0] = f.bitDepth === 16 ? 65535 : 255;
      });
      expect(result.frames).toBe(1);
      const info = await probe(out);
      expect(info).toMatchObject({ kind: 'image', pixelFormat: pixFmt, width: 320, height: 180 });
    }
    // Round trip of an 8-bit RGB still through full-range YUV 4:4:4 stays within one level.
    const out = path.join(dir, 'identity.png');
    await transformVideo(c.png8, out, () => {});
    const [a, b] = await Promise.all([
      ffmpeg(['-i', c.png8, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']),
      ffmpeg(['-i', out, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']),
    ]);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('refuses a bad file before starting ffmpeg', async () => {
    const bogus = path.join(dir, 'bogus.mov');
    await writeFile(bogus, Buffer.alloc(4096, 7));
    await expect(async () => {
      for await (const _ of readFrames(bogus)) break;
    }).rejects.toThrow(`${bogus}: not a media file`);
  });
});

describe('transport streams and static ffmpeg builds', () => {
  it('probes and reads an MPEG-TS file (the static builds crashed on every .ts: iconv in a static glibc)', async () => {
    const ts = await makeClip(dir, 'clip.ts', { duration: 0.4, video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: ['-c:a', 'mp2'] });
    const info = await probe(ts);
    expect(info.container).toMatch(/mpegts/);
    expect(info.video.codec).toBe('h264');
    let frames = 0;
    for await (const _ of readFrames(ts)) frames++;
    expect(frames).toBe(10);
  });

  it('tells a static executable from a dynamic one, a script and a text file', async () => {
    const { isStaticElf, childEnvironment, NO_GCONV_MODULES } = await import('../../packages/core/src/media/static-binary.js');
    const script = path.join(dir, 'script.sh');
    await writeFile(script, '#!/bin/sh\nexit 0\n');
    expect(isStaticElf(script)).toBe(false);
    expect(isStaticElf(path.join(dir, 'no-such-binary'))).toBe(false);
    // Node itself is linked dynamically on Linux.
    if (process.platform === 'linux') expect(isStaticElf(process.execPath)).toBe(false);
    expect(childEnvironment(script)).toBeUndefined();
    // The registry's ffprobe (a static build, where it is installed) gets no gconv modules.
    const { createRequire } = await import('node:module');
    let packaged: string | undefined;
    try {
      packaged = (createRequire(import.meta.url)('@ffprobe-installer/ffprobe') as { path: string }).path;
    } catch {
      packaged = undefined;
    }
    if (packaged && process.platform === 'linux' && process.arch === 'x64') {
      expect(isStaticElf(packaged)).toBe(true);
      if (process.env.GCONV_PATH === undefined) expect(childEnvironment(packaged)?.GCONV_PATH).toBe(NO_GCONV_MODULES);
    }
  });

  it('reports an ffprobe that crashes as a fault of that ffprobe (exit 1), not as a file that is not media', async () => {
    const fake = path.join(dir, 'crashing-ffprobe');
    await writeFile(
      fake,
      '#!/bin/sh\ncase "$1" in -version) echo "ffprobe version 6.1 Copyright (c) 2007-2023 the FFmpeg developers"; echo "libavcodec     60. 31.102 / 60. 31.102";; *) kill -SEGV $$;; esac\n',
      { mode: 0o755 },
    );
    clearFfmpegCache();
    const err = await probe(c.h264, { ffprobePath: fake }).catch((e: unknown) => e);
    clearFfmpegCache();
    expect((err as Error).name).toBe('FfmpegError');
    expect((err as Error).message).toMatch(new RegExp(`^ffprobe \\(${fake}\\) crashed \\(SIGSEGV\\) reading ${c.h264}: .*set FFPROBE_PATH`));
  });

  it('says why ffprobe refused a file: an MP4 cut before its index', async () => {
    const cut = path.join(dir, 'cut-before-moov.mp4');
    const { readFile } = await import('node:fs/promises');
    const whole = await readFile(c.h264);
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    // makeClip writes the index (moov) first only with +faststart; without it a cut file has none.
    const err = await probe(cut).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/not a media file that ffmpeg can read \(.*moov atom not found/);
  });
});

describe('luma through an alpha channel', () => {
  it('reads the luma of a yuva420p video bit for bit, without its alpha plane; full frames are still refused', async () => {
    const yuva = await makeClip(dir, 'alpha.mkv', { duration: 0.2, video: ['-c:v', 'ffv1', '-pix_fmt', 'yuva420p'], audio: false });
    const opaque = path.join(dir, 'opaque.mkv');
    await ffmpeg(['-i', yuva, '-vf', 'format=yuv420p', '-c:v', 'ffv1', '-y', opaque]);
    const lumas = async (file: string) => {
      const out: Uint8Array[] = [];
      for await (const f of readFrames(file, { lumaOnly: true })) out.push(Uint8Array.from(f.planes[0].data as Uint8Array));
      return out;
    };
    const [a, b] = await Promise.all([lumas(yuva), lumas(opaque)]);
    expect(a.length).toBe(5);
    expect(a).toEqual(b);
    await expect(async () => {
      for await (const _ of readFrames(yuva)) break;
    }).rejects.toThrow(/alpha channel/);
  });
});
