import { chmod, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AbortError,
  FfmpegError,
  InputError,
  OutputError,
  UnsupportedPixelFormatError,
  UsageError,
} from '../../packages/core/src/errors.js';
import { liveChildPids, probe, readFrames, transformVideo, transformVideoToMany } from '../../packages/core/src/media/index.js';
import { makeClip, processesMatching, tempDir } from '../helpers/ffmpeg.js';

let dir: string;
let cleanup: () => Promise<void>;
let clip: string;
let audioOnly: string;
let alpha: string;
let longClip: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('reelmark-errors-'));
  [clip, alpha, longClip] = await Promise.all([
    makeClip(dir, 'in.mkv', { duration: 0.4, video: ['-c:v', 'ffv1'] }),
    makeClip(dir, 'alpha.mkv', { duration: 0.2, filters: ['format=yuva420p'], video: ['-c:v', 'ffv1'], audio: false }),
    makeClip(dir, 'long.mkv', { size: '640x360', duration: 20, video: ['-c:v', 'libx264', '-preset', 'ultrafast'], audio: false }),
  ]);
  audioOnly = path.join(dir, 'audio.m4a');
  const { ffmpeg } = await import('../helpers/ffmpeg.js');
  await ffmpeg(['-f', 'lavfi', '-i', 'sine=d=0.5', '-c:a', 'aac', '-y', audioOnly]);
});

afterAll(async () => {
  await cleanup?.();
});

/** Files in the test folder that are not inputs: outputs or leftover temporaries. */
async function strayFiles(): Promise<string[]> {
  const inputs = new Set([
    'in.mkv', 'alpha.mkv', 'long.mkv', 'audio.m4a', 'notmedia.mp4', 'empty.mp4', 'exists.mkv', 'link.mkv',
    'prores.mov', 'subrip.mkv', 'movtext.mov', 'subs.srt', 'fake.png', 'a-file',
  ]);
  return (await readdir(dir)).filter((f) => !inputs.has(f));
}

const noop = (): void => {};

describe('input errors name the file', () => {
  it('missing input', async () => {
    const missing = path.join(dir, 'nope.mp4');
    const err = await transformVideo(missing, path.join(dir, 'o1.mkv'), noop).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`${missing}: no such file`);
    expect((err as InputError).path).toBe(missing);
    expect(await strayFiles()).toEqual([]);
  });

  it('not a media file', async () => {
    const text = path.join(dir, 'notmedia.mp4');
    await writeFile(text, 'this is not a video\n'.repeat(100));
    const err = await probe(text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(new RegExp(`^${text}: not a media file that ffmpeg can read \\(.*Invalid data`));
    expect((err as Error).cause).toBeInstanceOf(FfmpegError);
    await expect(transformVideo(text, path.join(dir, 'o2.mkv'), noop)).rejects.toBeInstanceOf(InputError);
    expect(await strayFiles()).toEqual([]);
  });

  it('empty file and directory', async () => {
    const empty = path.join(dir, 'empty.mp4');
    await writeFile(empty, '');
    await expect(probe(empty)).rejects.toThrow(`${empty}: the file is empty`);
    await expect(probe(dir)).rejects.toThrow(`${dir}: is a directory, not a media file`);
  });

  it('no video stream', async () => {
    const err = await readFramesError(audioOnly);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`${audioOnly}: no video stream (the file has only audio streams)`);
    await expect(transformVideo(audioOnly, path.join(dir, 'o3.mkv'), noop)).rejects.toThrow('no video stream');
    expect(await strayFiles()).toEqual([]);
  });

  it('a text file named .png: not a media file (ffprobe says png of 0x0)', async () => {
    const fake = path.join(dir, 'fake.png');
    await writeFile(fake, 'this is not an image\n');
    const err = await probe(fake).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toBe(`${fake}: not a media file that ffmpeg can read (no png picture found in it)`);
    expect((err as InputError).path).toBe(fake);
    await expect(transformVideo(fake, path.join(dir, 'o5.png'), noop)).rejects.toBeInstanceOf(InputError);
    expect(await strayFiles()).toEqual([]);
  });

  it('unsupported pixel format', async () => {
    const err = await transformVideo(alpha, path.join(dir, 'o4.mkv'), noop).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedPixelFormatError);
    expect((err as UnsupportedPixelFormatError).pixelFormat).toBe('yuva420p');
    expect((err as Error).message).toMatch(new RegExp(`^${alpha}: unsupported pixel format 'yuva420p': it has an alpha channel`));
    expect(await strayFiles()).toEqual([]);
  });
});

async function readFramesError(file: string): Promise<unknown> {
  try {
    for await (const _ of readFrames(file)) break;
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('output errors', () => {
  it('refuses an existing output without overwrite, and replaces it with overwrite', async () => {
    const out = path.join(dir, 'exists.mkv');
    await writeFile(out, 'precious');
    const err = await transformVideo(clip, out, noop).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as OutputError).code).toBe('ERR_OUTPUT_EXISTS');
    expect((err as Error).message).toBe(`${out}: already exists (pass overwrite: true to replace it)`);
    expect(await readFile(out, 'utf8')).toBe('precious');
    const result = await transformVideo(clip, out, noop, { overwrite: true });
    expect(result.frames).toBe(10);
    expect((await stat(out)).size).toBeGreaterThan(1000);
    expect(await strayFiles()).toEqual([]);
  });

  it('always refuses to write over the input, also through a symlink or another spelling', async () => {
    const link = path.join(dir, 'link.mkv');
    await symlink(clip, link);
    const before = await readFile(clip);
    for (const out of [clip, link, path.join(dir, '.', 'sub', '..', 'in.mkv')]) {
      const err = await transformVideo(clip, out, noop, { overwrite: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutputError);
      expect((err as OutputError).code).toBe('ERR_OUTPUT_IS_INPUT');
      expect((err as Error).message).toContain('refusing to write over the input');
    }
    const viaLink = await transformVideo(link, clip, noop, { overwrite: true }).catch((e: unknown) => e);
    expect((viaLink as OutputError).code).toBe('ERR_OUTPUT_IS_INPUT');
    expect((await readFile(clip)).equals(before)).toBe(true);
    expect(await strayFiles()).toEqual([]);
  });

  it('refuses an output in a missing folder', async () => {
    const out = path.join(dir, 'missing', 'o.mkv');
    await expect(transformVideo(clip, out, noop)).rejects.toMatchObject({ code: 'ERR_OUTPUT_DIR', message: `${out}: the folder ${path.dirname(out)} does not exist` });
  });

  it('says a file in the place of the folder is not a folder', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'not a folder');
    const out = path.join(file, 'o.mkv');
    await expect(transformVideo(clip, out, noop)).rejects.toMatchObject({ code: 'ERR_OUTPUT_DIR', message: `${out}: ${file} is not a folder` });
    expect(await strayFiles()).toEqual([]);
  });
});

describe('output formats are checked before anything is decoded', () => {
  let prores: string;
  let subrip: string;
  let movText: string;
  beforeAll(async () => {
    const { ffmpeg } = await import('../helpers/ffmpeg.js');
    const srt = path.join(dir, 'subs.srt');
    await writeFile(srt, '1\n00:00:00,000 --> 00:00:00,300\nhello\n');
    prores = await makeClip(dir, 'prores.mov', { duration: 0.2, video: ['-c:v', 'prores_ks', '-profile:v', '3', '-pix_fmt', 'yuv422p10le'], audio: ['-c:a', 'pcm_s24le'] });
    subrip = path.join(dir, 'subrip.mkv');
    movText = path.join(dir, 'movtext.mov');
    await Promise.all([
      ffmpeg(['-i', clip, '-i', srt, '-map', '0', '-map', '1', '-c', 'copy', '-c:s', 'srt', '-y', subrip]),
      ffmpeg(['-i', clip, '-i', srt, '-map', '0', '-map', '1', '-c', 'copy', '-c:s', 'mov_text', '-y', movText]),
    ]);
  });

  /** The error of a transform whose hook counts its calls: a refusal up front never calls it. */
  async function refusal(input: string, output: string, options: Parameters<typeof transformVideo>[3] = {}): Promise<Error> {
    let calls = 0;
    const err = await transformVideo(input, output, () => void calls++, options).catch((e: unknown) => e);
    expect(calls).toBe(0);
    expect(await strayFiles()).toEqual([]);
    expect(liveChildPids()).toEqual([]);
    return err as Error;
  }

  it('refuses a ProRes master with PCM audio in .mp4, naming the file, both streams and what holds them', async () => {
    const out = path.join(dir, 'acme.mp4');
    const err = await refusal(prores, out);
    expect(err).toBeInstanceOf(OutputError);
    expect((err as OutputError).code).toBe('ERR_OUTPUT_FORMAT');
    expect((err as OutputError).path).toBe(out);
    expect(err.message).toBe(
      `${out}: .mp4 files cannot hold prores video (encoder prores_ks, the default for a prores source) and the source's ` +
        `pcm_s24le audio (stream 1, copied unchanged); write .mov or .mkv instead`,
    );
    // With an encoder .mp4 holds, the copied PCM audio is still in the way.
    const x264 = await refusal(prores, path.join(dir, 'x264.mp4'), { codec: 'libx264' });
    expect(x264.message).toBe(`${path.join(dir, 'x264.mp4')}: .mp4 files cannot hold the source's pcm_s24le audio (stream 1, copied unchanged); write .mov or .mkv instead`);
    // Only the video in the way: another encoder is suggested too.
    const ffv1 = await refusal(clip, path.join(dir, 'ffv1.mp4'));
    expect(ffv1.message).toMatch(/\.mp4 files cannot hold ffv1 video \(encoder ffv1, the default for a ffv1 source\); write \.mov or \.mkv instead, or choose an encoder that \.mp4 holds with options\.codec \(e\.g\. libx264\)$/);
  });

  it('refuses subtitles a container cannot carry', async () => {
    const toMp4 = await refusal(subrip, path.join(dir, 'subs.mp4'), { codec: 'libx264' });
    expect(toMp4.message).toBe(`${path.join(dir, 'subs.mp4')}: .mp4 files cannot hold the source's subrip subtitle (stream 2, copied unchanged); write .mkv instead`);
    const toMkv = await refusal(movText, path.join(dir, 'subs.mkv'));
    expect(toMkv.message).toBe(`${path.join(dir, 'subs.mkv')}: .mkv files cannot hold the source's mov_text subtitle (stream 2, copied unchanged); write .mov instead`);
  });

  it('refuses an extension it does not write, listing those it does', async () => {
    const listing = 'use .mov, .mkv, .mp4 or .m4v for video, .png, .jpg, .jpeg, .tif, .tiff or .bmp for a still image';
    for (const name of ['x.mxf', 'u.xyz', 'noext']) {
      const out = path.join(dir, name);
      const err = await refusal(prores, out);
      expect(err).toBeInstanceOf(OutputError);
      expect((err as OutputError).code).toBe('ERR_OUTPUT_FORMAT');
      expect(err.message).toBe(`${out}: ${name === 'noext' ? 'has no extension to tell its format' : `reelmark does not write ${path.extname(name)} files`}; ${listing}`);
    }
  });

  it('refuses a video into a still image, and a still with another encoder than its extension', async () => {
    const still = path.join(dir, 'still.png');
    expect((await refusal(clip, still)).message).toBe(`${still}: a still image takes one frame, and ${clip} is a video; use .mov, .mkv, .mp4 or .m4v`);
    const jpg = path.join(dir, 'still.jpg');
    expect((await refusal(clip, jpg, { codec: 'png' })).message).toBe(`${jpg}: a .jpg image is written with the 'mjpeg' encoder, not 'png'`);
  });

  it('refuses preset and crf for encoders that would ignore them', async () => {
    const out = path.join(dir, 'p.mov');
    const preset = await refusal(prores, out, { preset: 'slow' });
    expect(preset).toBeInstanceOf(UsageError);
    expect(preset.message).toBe(`options.preset applies to libx264, libx265, not to 'prores_ks' (the default for a prores source; choose another with options.codec)`);
    expect((await refusal(clip, path.join(dir, 'p.mkv'), { codec: 'ffv1', preset: 'fast' })).message).toBe(`options.preset applies to libx264, libx265, not to 'ffv1'`);
    expect((await refusal(prores, out, { crf: 20 })).message).toMatch(/^options\.crf applies to libx264, .* not to 'prores_ks'/);
  });

  it('checks every target of transformVideoToMany, naming it, before any output is started', async () => {
    const outs = [path.join(dir, 'many-a.mov'), path.join(dir, 'many-b.mp4')];
    let calls = 0;
    const err = await transformVideoToMany(prores, outs.map((output) => ({ output, fn: () => void calls++ })), {}).catch((e: unknown) => e);
    expect(calls).toBe(0);
    expect((err as OutputError).code).toBe('ERR_OUTPUT_FORMAT');
    expect((err as Error).message).toMatch(/many-b\.mp4: \.mp4 files cannot hold prores video/);
    const preset = await transformVideoToMany(prores, [{ output: outs[0], fn: noop, options: { preset: 'slow' } }]).catch((e: unknown) => e);
    expect((preset as Error).message).toMatch(/^targets\[0\]\.options\.preset applies to/);
    expect(await strayFiles()).toEqual([]);
  });

  it('passes what fits though the table has no rule for it: chapters, cover art, CEA-608 captions in .mov', async () => {
    const { ffmpeg } = await import('../helpers/ffmpeg.js');
    // Chapters: an MP4 carries them as a data track tagged `text`, which the muxer writes again from the chapters.
    const meta = path.join(dir, 'chapters.txt');
    await writeFile(meta, ';FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=100\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=100\nEND=200\ntitle=Two\n');
    const chaptered = path.join(dir, 'chaptered.mp4');
    await ffmpeg(['-i', clip, '-i', meta, '-map', '0:v', '-map_chapters', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-y', chaptered]);
    expect((await probe(chaptered)).streams.some((st) => st.type === 'data' && st.codecTag === 'text')).toBe(true);
    const out = path.join(dir, 'chaptered.out.mp4');
    await transformVideo(chaptered, out, noop, { preset: 'ultrafast' });
    const { ffprobe } = await import('../helpers/ffmpeg.js');
    const chapters = JSON.parse((await ffprobe(['-v', 'error', '-show_chapters', '-of', 'json', out])).toString()).chapters;
    expect(chapters.map((c: { tags: { title: string } }) => c.tags.title)).toEqual(['One', 'Two']);
    // Cover art in .m4v (checked against the table: the picture is not re-encoded).
    const { checkOutputFormat } = await import('../../packages/core/src/media/encode-plan.js');
    const { resolveFfmpeg } = await import('../../packages/core/src/media/index.js');
    const setup = await resolveFfmpeg();
    const base = await probe(chaptered);
    const withStream = (extra: object) => ({ ...base, streams: [...base.streams.filter((st) => st.type !== 'data'), { ...base.streams[0], ...extra }] }) as never;
    const cover = withStream({ index: 7, type: 'video', codec: 'mjpeg', codecTag: '', attachedPicture: true });
    expect(checkOutputFormat({ output: path.join(dir, 'c.m4v'), source: cover, options: {}, setup })).toBe('libx264');
    // .mov would drop it without a word: refused, .mp4 suggested, even when extra arguments choose codecs.
    expect(() => checkOutputFormat({ output: path.join(dir, 'c.mov'), source: cover, options: { extraOutputArgs: ['-c:a', 'aac', '-c:v:0', 'libx264'] }, setup })).toThrow(/cover art/);
    expect(() => checkOutputFormat({ output: path.join(dir, 'c.mov'), source: cover, options: {}, setup })).toThrow(/\.mov files cannot hold the source's mjpeg cover art \(stream 7, copied unchanged\); write \.mkv, \.mp4 or \.m4v instead/);
    // DTS audio, which .mp4 holds.
    expect(checkOutputFormat({ output: path.join(dir, 'c.mp4'), source: withStream({ index: 7, type: 'audio', codec: 'dts', codecTag: '' }), options: {}, setup })).toBe('libx264');
    // Opus in .mp4: ffmpeg 4.1 refuses it (experimental), 5.1 writes it.
    const opus = withStream({ index: 7, type: 'audio', codec: 'opus', codecTag: '' });
    const at = (release: string) => ({ ...setup, ffmpeg: { ...setup.ffmpeg, release } });
    expect(() => checkOutputFormat({ output: path.join(dir, 'c.mp4'), source: opus, options: {}, setup: at('4.1') })).toThrow(/cannot hold the source's opus audio \(stream 7, copied unchanged\); write \.mkv instead/);
    expect(checkOutputFormat({ output: path.join(dir, 'c.mp4'), source: opus, options: {}, setup: at('5.1') })).toBe('libx264');
    // CEA-608 captions: a QuickTime c608 track, which .mov holds and .mkv does not.
    const captions = withStream({ index: 7, type: 'subtitle', codec: 'eia_608', codecTag: 'c608' });
    expect(checkOutputFormat({ output: path.join(dir, 'c.mov'), source: captions, options: {}, setup })).toBe('libx264');
    expect(() => checkOutputFormat({ output: path.join(dir, 'c.mkv'), source: captions, options: {}, setup })).toThrow(/\.mkv files cannot hold the source's eia_608 subtitle \(stream 7, copied unchanged\); write \.mov instead/);
    const { rm } = await import('node:fs/promises');
    await Promise.all([meta, chaptered, out].map((f) => rm(f)));
  });

  it('neither maps nor judges the streams extraOutputArgs drop, and keeps the others\' metadata on them', async () => {
    const { ffmpeg } = await import('../helpers/ffmpeg.js');
    const tagged = path.join(dir, 'tagged.mkv');
    await ffmpeg(['-i', subrip, '-map', '0', '-c', 'copy', '-metadata:s:a:0', 'language=fra', '-metadata:s:s:0', 'language=eng', '-metadata:s:s:0', 'title=English subtitles', '-y', tagged]);
    const out = path.join(dir, 'no-audio.mkv');
    await transformVideo(tagged, out, noop, { extraOutputArgs: ['-an'] });
    const written = await probe(out);
    expect(written.audio).toEqual([]);
    const subtitles = written.streams.filter((st) => st.type === 'subtitle');
    expect(subtitles.map((st) => [st.tags.language, st.tags.title])).toEqual([['eng', 'English subtitles']]);
    // Dropped, PCM audio no longer keeps a ProRes master from .mp4 (with the video encoded to H.264).
    const mp4 = path.join(dir, 'an.mp4');
    await transformVideo(prores, mp4, noop, { codec: 'libx264', preset: 'ultrafast', extraOutputArgs: ['-an'] });
    expect((await probe(mp4)).audio).toEqual([]);
    const { rm } = await import('node:fs/promises');
    await Promise.all([tagged, out, mp4].map((f) => rm(f)));
  });

  it('leaves the copied streams to ffmpeg when extraOutputArgs choose their codecs, and judges them otherwise', async () => {
    const faststart = await refusal(prores, path.join(dir, 'fs.mp4'), { codec: 'libx264', extraOutputArgs: ['-movflags', '+faststart'] });
    expect(faststart.message).toMatch(/fs\.mp4: \.mp4 files cannot hold the source's pcm_s24le audio/);
    // Choosing the subtitles' codec leaves the audio judged.
    const subs = await refusal(prores, path.join(dir, 'subs-only.mp4'), { codec: 'libx264', extraOutputArgs: ['-c:s', 'mov_text'] });
    expect(subs.message).toMatch(/cannot hold the source's pcm_s24le audio/);
    // -map and -vn are refused: reelmark maps the streams itself.
    for (const args of [['-map', '-1:a'], ['-vn']]) {
      const err = await refusal(prores, path.join(dir, 'map.mov'), { extraOutputArgs: args });
      expect(err).toBeInstanceOf(UsageError);
      expect(err.message).toMatch(new RegExp(`^options\\.extraOutputArgs may not contain '${args[0]}'.*-an, -sn or -dn`));
    }
    // A codec for every stream would replace the video encoder (-c copy wrote raw video): refused.
    for (const bare of [['-c', 'copy'], ['-codec', 'copy'], ['-c:0', 'copy']]) {
      const err = await refusal(prores, path.join(dir, 'bare.mov'), { extraOutputArgs: bare });
      expect(err).toBeInstanceOf(UsageError);
      expect(err.message).toMatch(/^options\.extraOutputArgs may not set a codec for every stream or by index/);
    }
    const out = path.join(dir, 'pcm-to-aac.mp4');
    await transformVideo(prores, out, noop, { codec: 'libx264', preset: 'ultrafast', extraOutputArgs: ['-c:a', 'aac'] });
    expect((await probe(out)).audio.map((a) => a.codec)).toEqual(['aac']);
    const { rm } = await import('node:fs/promises');
    await rm(out);
  });

  it('still writes what fits: the ProRes master with its PCM audio into .mov', async () => {
    const out = path.join(dir, 'fits.mov');
    const result = await transformVideo(prores, out, noop);
    expect(result).toMatchObject({ codec: 'prores_ks', frames: 5 });
    expect((await probe(out)).audio.map((a) => a.codec)).toEqual(['pcm_s24le']);
    const { rm } = await import('node:fs/promises');
    await rm(out);
  });
});

describe('ffmpeg failures, exceptions and aborts leave nothing behind', () => {
  it('ffmpeg failing: FfmpegError with its stderr, no file', async () => {
    const out = path.join(dir, 'bad.mkv');
    const err = await transformVideo(clip, out, noop, { extraOutputArgs: ['-no_such_option', '1'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegError);
    expect((err as FfmpegError).exitCode).not.toBe(0);
    expect((err as FfmpegError).stderrTail).toContain('no_such_option');
    expect((err as Error).message).toContain(`ffmpeg (encoding ${out}) failed`);
    expect(await strayFiles()).toEqual([]);
    expect(liveChildPids()).toEqual([]);
  });

  it('an exception in the hook stops both ffmpeg processes and removes the partial output', async () => {
    const out = path.join(dir, 'thrown.mp4');
    const err = await transformVideo(longClip, out, (f) => {
      if (f.index === 30) throw new Error('hook failed');
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('hook failed');
    expect(await strayFiles()).toEqual([]);
    expect(liveChildPids()).toEqual([]);
    expect(await processesMatching(longClip)).toEqual([]);
  });

  it('an abort mid-way: AbortError, no file, no ffmpeg process', async () => {
    const out = path.join(dir, 'aborted.mp4');
    const controller = new AbortController();
    let pidsDuring: number[] = [];
    const err = await transformVideo(
      longClip,
      out,
      (f) => {
        if (f.index === 40) {
          pidsDuring = liveChildPids();
          controller.abort();
        }
      },
      { signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(pidsDuring).toHaveLength(2); // the decoder and the encoder were running
    expect(await strayFiles()).toEqual([]);
    expect(liveChildPids()).toEqual([]);
    for (const pid of pidsDuring) expect(() => process.kill(pid, 0)).toThrow(); // gone
    expect(await processesMatching(longClip)).toEqual([]);
  });

  it('an abort in transformVideoToMany removes every output', async () => {
    const controller = new AbortController();
    const outs = [0, 1, 2].map((i) => path.join(dir, `many-abort-${i}.mkv`));
    const err = await transformVideoToMany(
      longClip,
      outs.map((output) => ({ output, fn: (f) => void (f.index === 25 && controller.abort()), options: { codec: 'ffv1' } })),
      { signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(await strayFiles()).toEqual([]);
    expect(liveChildPids()).toEqual([]);
  });

  it('breaking out of readFrames stops its ffmpeg', async () => {
    let n = 0;
    for await (const _ of readFrames(longClip)) if (++n === 3) break;
    expect(liveChildPids()).toEqual([]);
    expect(await processesMatching(longClip)).toEqual([]);
  });

  it('an already aborted signal starts nothing', async () => {
    const out = path.join(dir, 'pre-aborted.mkv');
    await expect(transformVideo(clip, out, noop, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    expect(await strayFiles()).toEqual([]);
  });
});

describe('usage errors say what was expected', () => {
  it('rejects bad options up front', async () => {
    await expect(transformVideo(clip, path.join(dir, 'u.mkv'), noop, { crf: 99 })).rejects.toThrow(
      new UsageError('Expected a number from 0 to 63 for options.crf but received 99'),
    );
    expect(() => readFrames(clip, { maxFrames: 1.5 })).toThrow('Expected an integer > 0 for options.maxFrames but received 1.5');
    await expect(transformVideo(clip, path.join(dir, 'u.mkv'), 'nope' as never)).rejects.toThrow('Expected a function for fn but received string');
    await expect(transformVideo(clip, path.join(dir, 'u.mkv'), noop, { codec: 'ffv1', crf: 10 })).rejects.toThrow("options.crf applies to");
    expect(await strayFiles()).toEqual([]);
  });

  it('a non-executable ffmpeg is reported with the fix', async () => {
    const fake = path.join(dir, 'fake-ffmpeg');
    await writeFile(fake, '#!/bin/sh\necho hi\n');
    await chmod(fake, 0o644);
    const { resolveFfmpeg } = await import('../../packages/core/src/media/index.js');
    const err = await resolveFfmpeg({ ffmpegPath: fake }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('FfmpegNotFoundError');
    expect((err as Error).message).toContain(`The ffmpegPath option points at ${fake}, which exists but is not executable.`);
    expect((err as Error).message).toContain(`chmod u+x '${fake}'`);
  });
});
