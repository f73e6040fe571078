/**
 * Every bad input of the issue: one clear line on stderr naming the problem, exit 2, no stack trace, nothing written.
 */
import { copyFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, hasStackTrace, listDir, makeClip, reelmark, removeDir, tempDir } from './helpers.js';

let dir: string;
let clip: string;
let key: string;
beforeAll(async () => {
  dir = await tempDir();
  clip = join(dir, 'clip.mp4');
  key = join(dir, 'studio.key');
  await Promise.all([makeClip(clip, { width: 320, height: 180, seconds: 2 }), reelmark(['keygen', '-o', key])]);
  await writeFile(join(dir, 'empty.mp4'), '');
  await writeFile(join(dir, 'notes.mp4'), 'this is not a video\n');
  await copyFile(clip, join(dir, 'truncated.mp4'));
  await truncate(join(dir, 'truncated.mp4'), Math.floor((await stat(clip)).size / 3));
  // moov atom in front: the file probes fine and the first half decodes, then the data stops.
  await ffmpeg(['-i', clip, '-c', 'copy', '-movflags', '+faststart', join(dir, 'cut.mp4')]);
  await truncate(join(dir, 'cut.mp4'), Math.floor((await stat(join(dir, 'cut.mp4'))).size * 0.4));
  await writeFile(join(dir, 'corrupt.key'), '{"format":"reelmark-key","version":1,"keyId":"00","secret":"AAAA"}');
  await writeFile(join(dir, 'not-a-key.key'), 'ssh-ed25519 AAAAC3Nz');
  await writeFile(join(dir, 'exists.mp4'), 'keep me');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=64x48', '-frames:v', '1', join(dir, 'tiny.png')]);
  // A ProRes master with PCM audio, as masters come: MP4 holds neither.
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=25', '-f', 'lavfi', '-i', 'sine=d=1:sample_rate=48000', '-t', '1',
    '-c:v', 'prores_ks', '-profile:v', '3', '-pix_fmt', 'yuv422p10le', '-c:a', 'pcm_s24le', join(dir, 'master.mov'),
  ]);
  await writeFile(join(dir, 'fake.png'), 'this is not an image\n');
});
afterAll(async () => {
  await removeDir(dir);
});

type Case = [label: string, args: () => string[], message: RegExp];
const out = () => join(dir, 'out.mp4');
const cases: Case[] = [
  ['missing input', () => ['embed', join(dir, 'nope.mp4'), '-o', out(), '--key', key, '--id', '1'], /nope\.mp4.*(not found|does not exist|no such file)/i],
  ['empty input', () => ['embed', join(dir, 'empty.mp4'), '-o', out(), '--key', key, '--id', '1'], /empty\.mp4.*empty/i],
  ['truncated input', () => ['embed', join(dir, 'truncated.mp4'), '-o', out(), '--key', key, '--id', '1'], /truncated\.mp4/],
  ['input cut short after its header', () => ['embed', join(dir, 'cut.mp4'), '-o', out(), '--key', key, '--id', '1', '--preset', 'ultrafast'], /cut\.mp4: truncated or damaged/],
  ['batch: input cut short', () => ['batch', join(dir, 'cut.mp4'), '--key', key, '--ids', '5,6', '--out-dir', dir, '--preset', 'ultrafast'], /cut\.mp4: truncated or damaged/],
  ['non-media input', () => ['embed', join(dir, 'notes.mp4'), '-o', out(), '--key', key, '--id', '1'], /notes\.mp4.*not a media file/i],
  ['missing key file', () => ['embed', clip, '-o', out(), '--key', join(dir, 'none.key'), '--id', '1'], /none\.key: key file not found/],
  ['corrupt key file', () => ['embed', clip, '-o', out(), '--key', join(dir, 'corrupt.key'), '--id', '1'], /corrupt\.key: corrupt key file/],
  ['not a key file', () => ['embed', clip, '-o', out(), '--key', join(dir, 'not-a-key.key'), '--id', '1'], /not-a-key\.key: not a reelmark key file/],
  ['ID out of range', () => ['embed', clip, '-o', out(), '--key', key, '--id', '281474976710656'], /Expected an ID .* for --id but received '281474976710656'\n$/],
  ['ID not a number', () => ['embed', clip, '-o', out(), '--key', key, '--id', '12abc'], /Expected an ID .* for --id but received '12abc'\n$/],
  ['extract: an ID of --candidates not a number', () => ['extract', clip, '--key', key, '--candidates', '1,x'], /Expected an ID .* for --candidates but received 'x'\n$/],
  ['unknown partner', () => ['embed', clip, '-o', out(), '--key', key, '--partner', 'ghost', '-r', join(dir, 'none.json')], /none\.json: partner registry not found/],
  ['output exists', () => ['embed', clip, '-o', join(dir, 'exists.mp4'), '--key', key, '--id', '1'], /exists\.mp4: already exists \(pass --overwrite to replace it\)\n$/],
  ['output equals input', () => ['embed', clip, '-o', clip, '--key', key, '--id', '1', '--overwrite'], /clip\.mp4.*(same|equal|input)/i],
  ['output equals input, other spelling', () => ['embed', clip, '-o', join(dir, '.', 'clip.mp4'), '--key', key, '--id', '1'], /clip\.mp4/],
  ['unknown encoder preset', () => ['embed', clip, '-o', out(), '--key', key, '--id', '1', '--preset', 'bogus'], /Expected one of ultrafast, .* for --preset but received bogus/],
  ['a preset for an encoder without presets', () => ['embed', join(dir, 'master.mov'), '-o', join(dir, 'p.mov'), '--key', key, '--id', '1', '--preset', 'slow'],
    /reelmark: --preset applies to libx264, libx265, not to 'prores_ks' \(the default for a prores source; choose another with --codec\)\n$/],
  ['a crf for an encoder without one', () => ['embed', clip, '-o', join(dir, 'c.mkv'), '--key', key, '--id', '1', '--codec', 'ffv1', '--crf', '10'], /reelmark: --crf applies to libx264, .* not to 'ffv1'\n$/],
  ['ProRes master into .mp4', () => ['embed', join(dir, 'master.mov'), '-o', join(dir, 'acme.mp4'), '--key', key, '--id', '1'],
    /acme\.mp4: \.mp4 files cannot hold prores video \(encoder prores_ks, the default for a prores source\) and the source's pcm_s24le audio \(stream 1, copied unchanged\); write \.mov or \.mkv instead\n$/],
  ['x264 into .mp4 from a master with PCM audio', () => ['embed', join(dir, 'master.mov'), '-o', join(dir, 'x.mp4'), '--key', key, '--id', '1', '--codec', 'libx264'],
    /x\.mp4: \.mp4 files cannot hold the source's pcm_s24le audio \(stream 1, copied unchanged\); write \.mov or \.mkv instead\n$/],
  ['batch: ProRes master, output format checked per recipient', () => ['batch', join(dir, 'master.mov'), '--key', key, '--ids', '1,2', '--out-dir', dir, '--crf', '18'],
    /reelmark: --crf applies to .* not to 'prores_ks'/],
  ['.mxf output', () => ['embed', join(dir, 'master.mov'), '-o', join(dir, 'x.mxf'), '--key', key, '--id', '1'],
    /x\.mxf: reelmark does not write \.mxf files; use \.mov, \.mkv, \.mp4 or \.m4v for video, \.png, \.jpg, \.jpeg, \.tif, \.tiff or \.bmp for a still image\n$/],
  ['unknown output extension', () => ['embed', clip, '-o', join(dir, 'u.xyz'), '--key', key, '--id', '1'], /u\.xyz: reelmark does not write \.xyz files; use \.mov/],
  ['a video into a still image', () => ['embed', clip, '-o', join(dir, 'frame.png'), '--key', key, '--id', '1'], /frame\.png: a still image takes one frame, and .*clip\.mp4 is a video/],
  ['output folder missing', () => ['embed', clip, '-o', join(dir, 'no-dir', 'o.mp4'), '--key', key, '--id', '1'], /no-dir/],
  ['extract: missing input', () => ['extract', join(dir, 'nope.mp4'), '--key', key], /nope\.mp4/],
  ['extract: non-media input', () => ['extract', join(dir, 'notes.mp4'), '--key', key], /notes\.mp4.*not a media file/i],
  ['extract: corrupt key', () => ['extract', clip, '--key', join(dir, 'corrupt.key')], /corrupt\.key/],
  ['extract: a text file named .png', () => ['extract', join(dir, 'fake.png'), '--key', key], /fake\.png: not a media file that ffmpeg can read/],
  ['extract: a picture too small to hold the mark', () => ['extract', join(dir, 'tiny.png'), '--key', key], /tiny\.png: 64x48 is too small to read a mark from/],
  // Named as typed (relative to the working folder), reported by its full path, as every input error is.
  ['extract: a picture too small, named relative', () => ['extract', 'tiny.png', '--key', key], /^reelmark: \/\S+\/tiny\.png: 64x48 is too small/],
  ['embed: a picture too small to carry a readable mark', () => ['embed', join(dir, 'tiny.png'), '-o', join(dir, 'tiny.out.png'), '--key', key, '--id', '1'], /tiny\.png: 64x48 is too small to carry a mark that can be read back/],
  ['batch: a picture too small to carry a readable mark', () => ['batch', join(dir, 'tiny.png'), '--key', key, '--ids', '1,2', '--out-dir', dir], /tiny\.png: 64x48 is too small to carry a mark/],
  ['batch: output exists', () => ['batch', clip, '--key', key, '--ids', '1,2', '--out-dir', dir], /exists/],
  ['batch: out dir in a missing folder', () => ['batch', clip, '--key', key, '--ids', '1,2', '--out-dir', join(dir, 'no-parent', 'no-dir')], /the folder .*no-parent\/no-dir does not exist\n$/],
  ['batch: out dir is a file', () => ['batch', clip, '--key', key, '--ids', '1,2', '--out-dir', clip], /clip\.mp4\/clip\.id1\.mp4: .*\/clip\.mp4 is not a folder\n$/],
  ['batch: out dir created for a batch that fails', () => ['batch', join(dir, 'notes.mp4'), '--key', key, '--ids', '1,2', '--out-dir', join(dir, 'fresh')], /notes\.mp4.*not a media file/i],
];

describe('bad input', () => {
  it.each(cases)('%s: exit 2, one line naming the problem, nothing written', async (_label, args, message) => {
    // `batch: output exists` needs an output in the way: clip.id1.mp4.
    await writeFile(join(dir, 'clip.id1.mp4'), 'in the way');
    const before = await listDir(dir);
    const clipBytes = await readFile(clip);
    const result = await reelmark(args(), { cwd: dir });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trimEnd().split('\n'), result.stderr).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(await listDir(dir)).toEqual(before);
    expect((await readFile(clip)).equals(clipBytes)).toBe(true);
    expect(await readFile(join(dir, 'exists.mp4'), 'utf8')).toBe('keep me');
  });
});
