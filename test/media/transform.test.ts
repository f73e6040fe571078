import path from 'node:path';
import { existsSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { probe, readFrames, transformVideo, transformVideoToMany, writeFrames } from '../../packages/core/src/media/index.js';
import type { Frame } from '../../packages/core/src/media/index.js';
import { audioPacketHashes, ffprobe, frameHashes, framePts, makeClip, streams, tempDir } from '../helpers/ffmpeg.js';

let dir: string;
let cleanup: () => Promise<void>;
const clips: Record<string, string> = {};

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('reelmark-transform-'));
  const made = await Promise.all([
    makeClip(dir, 'ffv1-8.mkv', { pattern: 'noise', video: ['-c:v', 'ffv1', '-pix_fmt', 'yuv420p'], audio: ['-c:a', 'aac'] }),
    makeClip(dir, 'ffv1-10.mkv', {
      pattern: 'mandelbrot',
      duration: 0.6,
      video: ['-c:v', 'ffv1', '-pix_fmt', 'yuv422p10le'],
      audio: ['-c:a', 'pcm_s24le'],
    }),
    makeClip(dir, 'prores.mov', {
      duration: 0.6,
      // Tagged on the frames too (-vf: a lavfi input's own graph does not carry them): ffmpeg >= 5 takes the encoder's
      // colour description from the frames.
      video: ['-vf', 'setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv', '-c:v', 'prores_ks', '-profile:v', '3', '-pix_fmt', 'yuv422p10le'],
      audio: ['-c:a', 'pcm_s16le'],
      extra: ['-timecode', '01:02:03:04', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv', '-movflags', '+write_colr'],
    }),
    makeClip(dir, 'h264.mp4', {
      pattern: 'noise',
      rate: '24000/1001',
      video: ['-vf', 'setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'],
      audio: ['-c:a', 'aac'],
      extra: ['-metadata', 'title=reelmark test', '-metadata:s:a:0', 'language=fra'],
    }),
    // Variable frame rate: irregular gaps between frames (1/25 s plus 13 ms every fifth frame, a 0.3 s hole at 12).
    makeClip(dir, 'vfr.mp4', {
      filters: ['settb=1/1000', "setpts='(N/25+floor(N/5)*0.013+gte(N,12)*0.3)/TB'"],
      video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-vsync', 'vfr', '-video_track_timescale', '1000'],
      audio: false,
    }),
    // Interlaced, top field first, coded as fields.
    makeClip(dir, 'interlaced.mp4', {
      filters: ['setfield=tff'],
      video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-flags', '+ildct+ilme', '-x264opts', 'tff=1'],
      audio: false,
    }),
  ]);
  ['ffv1-8', 'ffv1-10', 'prores', 'h264', 'vfr', 'interlaced'].forEach((k, i) => (clips[k] = made[i]));
});

afterAll(async () => {
  await cleanup?.();
});

const noop = (): void => {};

describe('transformVideo', () => {
  it('is bit-exact through FFV1 for 8-bit video, with frame count, timestamps and audio kept', async () => {
    const out = path.join(dir, 'ffv1-8.out.mkv');
    const progress: number[] = [];
    const result = await transformVideo(clips['ffv1-8'], out, noop, { onProgress: (p) => progress.push(p.framesDone) });
    expect(result.codec).toBe('ffv1');
    expect(result.pixelFormat).toBe('yuv420p');
    expect(result.frames).toBe(25);
    expect(progress.at(-1)).toBe(25);
    expect(await frameHashes(out)).toEqual(await frameHashes(clips['ffv1-8']));
    expect(await framePts(out)).toEqual(await framePts(clips['ffv1-8']));
    const audio = await audioPacketHashes(out);
    expect(audio.length).toBeGreaterThan(40);
    expect(audio).toEqual(await audioPacketHashes(clips['ffv1-8']));
  });

  it('is bit-exact through FFV1 for 10-bit 4:2:2 video and hands the hook Uint16Array planes', async () => {
    const out = path.join(dir, 'ffv1-10.out.mkv');
    let seen: Frame | undefined;
    const result = await transformVideo(clips['ffv1-10'], out, (f) => {
      seen ??= { ...f };
    });
    expect(seen?.pixelFormat).toBe('yuv422p10le');
    expect(seen?.bitDepth).toBe(10);
    expect(seen?.planes[0].data).toBeInstanceOf(Uint16Array);
    expect(seen?.planes[1].width).toBe(160);
    expect(result.pixelFormat).toBe('yuv422p10le');
    expect(await frameHashes(out)).toEqual(await frameHashes(clips['ffv1-10']));
    expect(await framePts(out)).toEqual(await framePts(clips['ffv1-10']));
    expect(await audioPacketHashes(out)).toEqual(await audioPacketHashes(clips['ffv1-10']));
  });

  it('encodes exactly what the hook wrote into the frame', async () => {
    const out = path.join(dir, 'ffv1-marked.mkv');
    await transformVideo(clips['ffv1-10'], out, (f) => {
      const y = f.planes[0];
      for (let row = 0; row < 8; row++) for (let x = 0; x < 8; x++) y.data[row * y.stride + x] = 1000 - f.index; // [8, 8] u16
    });
    const original: Frame[] = [];
    for await (const f of readFrames(clips['ffv1-10'])) original.push(f);
    let i = 0;
    for await (const f of readFrames(out)) {
      const y = f.planes[0].data;
      expect(y[0]).toBe(1000 - i);
      expect(y[7 * 320 + 7]).toBe(1000 - i);
      expect(y[8]).toBe(original[i].planes[0].data[8]); // untouched sample
      expect(Buffer.from(f.planes[1].data.buffer, f.planes[1].data.byteOffset, f.planes[1].data.byteLength).equals(
        Buffer.from(original[i].planes[1].data.buffer, original[i].planes[1].data.byteOffset, original[i].planes[1].data.byteLength),
      )).toBe(true);
      i++;
    }
    expect(i).toBe(original.length);
  });

  it('gives ProRes 422 HQ 10-bit out for ProRes in, with timecode and colour tags kept', async () => {
    const out = path.join(dir, 'prores.out.mov');
    const result = await transformVideo(clips.prores, out, noop);
    expect(result.codec).toBe('prores_ks');
    const [src, dst] = await Promise.all([streams(clips.prores), streams(out)]);
    const v = dst.find((s) => s.codec_type === 'video')!;
    expect(v.codec_name).toBe('prores');
    expect(v.profile).toBe('HQ');
    expect(v.pix_fmt).toBe('yuv422p10le');
    expect(v.color_primaries).toBe('bt709');
    expect(v.color_transfer).toBe('bt709');
    expect(v.color_space).toBe('bt709');
    expect(v.color_range).toBe(src.find((s) => s.codec_type === 'video')!.color_range); // ProRes in mov: none stated
    expect(v.tags?.timecode).toBe('01:02:03:04');
    expect(dst.some((s) => s.codec_tag_string === 'tmcd' && s.tags?.timecode === '01:02:03:04')).toBe(true);
    expect(dst.filter((s) => s.codec_type === 'video')).toHaveLength(1);
    expect(src.filter((s) => s.codec_type === 'audio')).toHaveLength(1);
    expect(await framePts(out)).toEqual(await framePts(clips.prores));
    expect(await audioPacketHashes(out)).toEqual(await audioPacketHashes(clips.prores));
    const info = await probe(out);
    expect(info.timecode).toBe('01:02:03:04');
    expect(info.frameCount).toBe(15);
  });

  it('re-encodes H.264 with libx264 in the same pixel format, keeping rate, timestamps, metadata and audio', async () => {
    const out = path.join(dir, 'h264.out.mp4');
    const result = await transformVideo(clips.h264, out, noop, { preset: 'ultrafast' });
    expect(result.codec).toBe('libx264');
    expect(result.ffmpegArgs).toEqual(expect.arrayContaining(['-crf', '16']));
    const info = await probe(out);
    expect(info.video.codec).toBe('h264');
    expect(info.pixelFormat).toBe('yuv420p');
    expect(info.frameRate).toBe('24000/1001');
    expect(info.frameCount).toBe(24);
    expect(info.color).toMatchObject({ primaries: 'bt709', transfer: 'bt709', matrix: 'bt709' });
    expect([undefined, 'tv']).toContain(info.color.range); // unspecified in the source; x264 may state 'tv'
    expect(info.tags.title).toBe('reelmark test');
    expect(info.audio[0].language).toBe('fra');
    expect(await framePts(out)).toEqual(await framePts(clips.h264));
    expect(await audioPacketHashes(out)).toEqual(await audioPacketHashes(clips.h264));
  });

  it('copies subtitle streams packet for packet and handles 1920x1080 frames', async () => {
    const { ffmpeg, writeFile } = { ...(await import('../helpers/ffmpeg.js')), ...(await import('node:fs/promises')) };
    const srt = path.join(dir, 'subs.srt');
    await writeFile(srt, '1\n00:00:00,000 --> 00:00:00,100\nreelmark\n\n2\n00:00:00,120 --> 00:00:00,200\nsecond line\n');
    const big = await makeClip(dir, 'big.mkv', { size: '1920x1080', duration: 0.2, video: ['-c:v', 'ffv1', '-pix_fmt', 'yuv420p10le'], audio: ['-c:a', 'flac'] });
    const withSubs = path.join(dir, 'big-subs.mkv');
    await ffmpeg(['-i', big, '-i', srt, '-map', '0', '-map', '1', '-c', 'copy', '-metadata:s:s:0', 'language=eng', '-y', withSubs]);
    const out = path.join(dir, 'big-subs.out.mkv');
    const result = await transformVideo(withSubs, out, noop);
    expect(result.frames).toBe(5);
    const packets = async (file: string): Promise<string> =>
      (await ffmpeg(['-i', file, '-map', '0:s', '-c', 'copy', '-f', 'framemd5', '-'])).toString().split('\n').filter((l) => l && !l.startsWith('#')).join('\n');
    const subs = await packets(out);
    expect(subs.split('\n')).toHaveLength(2);
    expect(subs).toBe(await packets(withSubs));
    expect((await probe(out)).subtitles[0].language).toBe('eng');
    expect(await frameHashes(out)).toEqual(await frameHashes(withSubs));
    expect(await audioPacketHashes(out)).toEqual(await audioPacketHashes(withSubs));
  });

  it('keeps HDR10 metadata (mastering display, content light levels) through libx265, and says where it cannot', async () => {
    const md = 'G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)';
    const hdr10 = await makeClip(dir, 'hdr10.mp4', {
      duration: 0.2,
      video: ['-vf', 'setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc', '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le',
        '-x265-params', `log-level=error:master-display=${md}:max-cll=1000,400`, '-color_primaries', 'bt2020', '-color_trc', 'smpte2084', '-colorspace', 'bt2020nc'],
      audio: false,
    });
    const src = await probe(hdr10);
    expect(src.hdr).toEqual({
      masteringDisplay: { red: { x: 0.68, y: 0.32 }, green: { x: 0.265, y: 0.69 }, blue: { x: 0.15, y: 0.06 }, whitePoint: { x: 0.3127, y: 0.329 }, minLuminance: 0.0001, maxLuminance: 1000 },
      contentLightLevel: { maxContent: 1000, maxAverage: 400 },
    });
    const out = path.join(dir, 'hdr10.out.mp4');
    const result = await transformVideo(hdr10, out, noop, { preset: 'ultrafast' });
    expect(result.codec).toBe('libx265');
    expect(result.warnings).toEqual([]);
    expect((await probe(out)).hdr).toEqual(src.hdr);
    // ProRes has no way to take it from the ffmpeg command line: written without, and said so.
    const prores = path.join(dir, 'hdr10.out.mov');
    const asProres = await transformVideo(hdr10, prores, noop, { codec: 'prores_ks' });
    expect(asProres.warnings).toEqual([expect.stringMatching(/hdr10\.out\.mov: the source's HDR10 metadata .* is not written: .* not to prores_ks/)]);
    // An SDR source reads none (and costs no second probe).
    expect((await probe(clips.h264)).hdr).toBeUndefined();
    const { rm } = await import('node:fs/promises');
    await Promise.all([hdr10, out, prores].map((f) => rm(f)));
  });

  it('writes 10-bit 4:2:2 H.264 into .mov that decodes (QuickTime tagged it AVC-Intra, without the box to decode it)', async () => {
    const src = await makeClip(dir, 'xavc.mp4', { size: '1920x1080', rate: '25', duration: 0.2, video: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv422p10le'], audio: false });
    const out = path.join(dir, 'xavc.out.mov');
    await transformVideo(src, out, noop, { preset: 'ultrafast' });
    const tag = (await ffprobe(['-select_streams', 'v:0', '-show_entries', 'stream=codec_tag_string', '-of', 'csv=p=0', out])).toString().trim();
    expect(tag).toBe('avc1'); // 'ai12' before
    expect(await frameHashes(out)).toHaveLength(5); // 1 or 2 of 5 decoded before
    // With a display rotation, the remux that writes it keeps the tag too.
    const { rotatedCopy } = await import('../helpers/ffmpeg.js');
    const rotated = path.join(dir, 'xavc-rot.mp4');
    await rotatedCopy(src, rotated, 90);
    const rotatedOut = path.join(dir, 'xavc-rot.out.mov');
    await transformVideo(rotated, rotatedOut, noop, { preset: 'ultrafast' });
    expect((await probe(rotatedOut)).rotation).toBe(90);
    expect((await ffprobe(['-select_streams', 'v:0', '-show_entries', 'stream=codec_tag_string', '-of', 'csv=p=0', rotatedOut])).toString().trim().split(',')[0]).toBe('avc1');
    expect(await frameHashes(rotatedOut)).toHaveLength(5);
    const { rm } = await import('node:fs/promises');
    await Promise.all([src, out, rotated, rotatedOut].map((f) => rm(f)));
  });

  it('keeps a DNxHD or DNxHR master in its family and profile, and encodes DNxHR when asked for dnxhd', async () => {
    // 1080p25 DNxHD 120 measures 121.2 Mbps, which the encoder refuses: snapped to 120. In Matroska no rate is recorded.
    const dnxhd = await makeClip(dir, 'dnxhd.mov', {
      size: '1920x1080',
      rate: '25',
      duration: 0.12,
      video: ['-c:v', 'dnxhd', '-b:v', '120M', '-pix_fmt', 'yuv422p'],
      audio: false,
    });
    const dnxhdMkv = path.join(dir, 'dnxhd-in.mkv');
    const { ffmpeg } = await import('../helpers/ffmpeg.js');
    await ffmpeg(['-i', dnxhd, '-c', 'copy', '-y', dnxhdMkv]);
    const dnxhr = await makeClip(dir, 'dnxhr.mov', { duration: 0.2, video: ['-c:v', 'dnxhd', '-profile:v', 'dnxhr_hqx', '-pix_fmt', 'yuv422p10le'], audio: false });
    // Interlaced DNxHR: coded as pictures (ffmpeg refuses field coding for DNxHR profiles), field order kept.
    const dnxhrInterlaced = await makeClip(dir, 'dnxhr-i.mkv', { duration: 0.2, video: ['-c:v', 'dnxhd', '-profile:v', 'dnxhr_hq', '-pix_fmt', 'yuv422p', '-field_order', 'tt'], audio: false });
    const interlacedOut = path.join(dir, 'dnxhr-i.out.mkv');
    await transformVideo(dnxhrInterlaced, interlacedOut, noop);
    expect((await probe(interlacedOut)).video).toMatchObject({ codec: 'dnxhd', profile: 'DNXHR HQ', fieldOrder: 'tt' });
    const outs: string[] = [];
    for (const [src, profile, pixelFormat] of [[dnxhd, 'DNXHD', 'yuv422p'], [dnxhdMkv, 'DNXHD', 'yuv422p'], [dnxhr, 'DNXHR HQX', 'yuv422p10le']] as const) {
      const out = src.replace(/\.(mov|mkv)$/, '.out.$1');
      outs.push(out);
      const result = await transformVideo(src, out, noop);
      expect(result.codec).toBe('dnxhd'); // libx264 before: a DNx master quietly became H.264
      expect((await probe(out)).video).toMatchObject({ codec: 'dnxhd', profile, pixelFormat });
      if (profile === 'DNXHD') expect(result.ffmpegArgs.join(' ')).toContain('-b:v 120M');
    }
    // Asked for dnxhd from H.264 (which always failed: DNxHD takes only its own bitrates): DNxHR HQ, any size.
    const asked = path.join(dir, 'asked.mov');
    outs.push(asked);
    await transformVideo(clips.h264, asked, noop, { codec: 'dnxhd' });
    expect((await probe(asked)).video).toMatchObject({ codec: 'dnxhd', profile: 'DNXHR HQ', pixelFormat: 'yuv422p' });
    const { rm } = await import('node:fs/promises');
    await Promise.all([dnxhd, dnxhdMkv, dnxhr, dnxhrInterlaced, interlacedOut, ...outs].map((f) => rm(f)));
  });

  it("names the encoder it used, not the source's, and keeps the video's default flag in Matroska", async () => {
    const out = path.join(dir, 'from-prores.mkv');
    await transformVideo(clips.prores, out, noop, { codec: 'libx264', preset: 'ultrafast' });
    const raw = JSON.parse(
      (await ffprobe(['-show_entries', 'stream=index,codec_name:stream_disposition=default:stream_tags', '-of', 'json', out])).toString(),
    ) as { streams: Array<{ codec_name: string; disposition: { default: number }; tags?: Record<string, string> }> };
    const video = raw.streams[0];
    expect(video.codec_name).toBe('h264');
    expect(video.disposition.default).toBe(1); // 0 before, whenever the source had other streams
    const encoder = video.tags?.ENCODER ?? video.tags?.encoder ?? '';
    expect(encoder).toMatch(/libx264/); // 'Lavc... prores_ks' before
    await import('node:fs/promises').then(({ rm }) => rm(out));
  });

  it('keeps the display rotation of the source', async () => {
    const rotated = path.join(dir, 'rotated.mp4');
    // ffmpeg 4.1 stores a rotation only when stream copying: make the rotated source that way.
    const { rotatedCopy } = await import('../helpers/ffmpeg.js');
    await rotatedCopy(clips.h264, rotated, 90);
    const src = await probe(rotated);
    expect(src.rotation).toBe(90);
    const out = path.join(dir, 'rotated.out.mp4');
    await transformVideo(rotated, out, noop, { preset: 'ultrafast' });
    const info = await probe(out);
    expect(info.rotation).toBe(90);
    expect(info.frameCount).toBe(24);
    expect(await framePts(out)).toEqual(await framePts(rotated));
    expect(await audioPacketHashes(out)).toEqual(await audioPacketHashes(rotated));
  });

  it('keeps the timestamps of a variable frame rate input', async () => {
    const srcPts = await framePts(clips.vfr);
    const gaps = new Set(srcPts.slice(1).map((t, i) => Math.round((Number(t) - Number(srcPts[i])) * 1000)));
    expect(gaps.size).toBeGreaterThanOrEqual(3); // really variable: 40, 53 and 340 ms steps
    const out = path.join(dir, 'vfr.out.mp4');
    const result = await transformVideo(clips.vfr, out, noop);
    expect(result.frames).toBe(srcPts.length);
    expect(await framePts(out)).toEqual(srcPts);

    const prores = path.join(dir, 'vfr.out.mov');
    await transformVideo(clips.vfr, prores, noop, { codec: 'prores_ks' });
    expect(await framePts(prores)).toEqual(srcPts);

    const lossless = path.join(dir, 'vfr.out.mkv');
    await transformVideo(clips.vfr, lossless, noop, { codec: 'ffv1' });
    expect(await framePts(lossless)).toEqual(srcPts);
  });

  it('a Matroska source off its nominal grid keeps its frames\' times; one on it keeps its grid', async () => {
    const { ffmpeg } = await import('../helpers/ffmpeg.js');
    // From frame 5 on, every frame 13 ms late: Matroska still reports one rate (its default duration) as both.
    const off = path.join(dir, 'off-grid.mkv');
    await ffmpeg(['-i', clips.h264, '-map', '0:v', '-vf', "settb=1/1000,setpts='PTS+gte(N,5)*13'", '-enc_time_base', '-1', '-vsync', 'vfr', '-c:v', 'ffv1', '-y', off]);
    const offInfo = await probe(off);
    expect(offInfo.video.avgFrameRate).toBe(offInfo.video.frameRate);
    const offPts = await framePts(off);
    expect(Math.round((Number(offPts[5]) - Number(offPts[4])) * 1000)).toBeGreaterThan(50); // 42 + 13 ms
    for (const [name, codec] of [['off-grid.out.mkv', 'ffv1'], ['off-grid.out.mp4', 'libx264']] as const) {
      const out = path.join(dir, name);
      await transformVideo(off, out, noop, { codec, ...(codec === 'libx264' ? { preset: 'ultrafast' } : {}) });
      expect(await framePts(out)).toEqual(offPts);
    }
    // On its grid (times rounded to Matroska's milliseconds): the frames travel on it, as the .mp4's rates show
    // (times kept exactly would give an average rate of whole milliseconds).
    const onGrid = path.join(dir, 'on-grid.mkv');
    await ffmpeg(['-i', clips.h264, '-map', '0:v', '-c:v', 'ffv1', '-y', onGrid]);
    const on = path.join(dir, 'on-grid.out.mp4');
    await transformVideo(onGrid, on, noop, { codec: 'libx264', preset: 'veryfast' });
    const rates = (await ffprobe(['-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate,avg_frame_rate', '-of', 'csv=p=0', on])).toString().trim();
    expect(rates).toBe('24000/1001,24000/1001');
  });

  it('tells a grid from times off it as the encoder does: from t = 0, within half a tick', async () => {
    const { frameGrid, onGrid } = await import('../../packages/core/src/media/frame-grid.js');
    const ms = (t: number) => Math.round(t * 1000) / 1000; // Matroska's millisecond times
    const grid = frameGrid({ num: 24000, den: 1001 }, { num: 1, den: 1000 });
    // A video starting at frame 37 (1.543 s, itself rounded): every frame on the grid counted from 0.
    expect(Array.from({ length: 72 }, (_, k) => ms((37 + k) * 1001 / 24000)).every((t) => onGrid(t, grid))).toBe(true);
    expect([0.063, 0.104].some((t) => onGrid(t, frameGrid({ num: 24, den: 1 }, { num: 1, den: 1000 })))).toBe(false); // B-frame skew
  });

  it('reads a 59.94 Matroska source at 60000/1001 (ffprobe says 19001/317) and keeps its grid', async () => {
    const { ffmpeg } = await import('../helpers/ffmpeg.js');
    const mkv = path.join(dir, 'rate5994.mkv');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=60000/1001:d=2', '-c:v', 'ffv1', '-y', mkv]);
    expect((await probe(mkv)).video.frameRate).toBe('60000/1001');
    const out = path.join(dir, 'rate5994.out.mp4');
    const result = await transformVideo(mkv, out, noop, { codec: 'libx264', preset: 'veryfast' });
    expect(result.frames).toBe(120);
    const rates = (await ffprobe(['-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate,avg_frame_rate', '-of', 'csv=p=0', out])).toString().trim();
    expect(rates).toBe('60000/1001,60000/1001');
    // 23.976 starting at frame 37 (1.543 s, a time Matroska rounds): still on its grid, counted from 0.
    const late = path.join(dir, 'late23976.mkv');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=160x90:r=24000/1001:d=4', '-vf', 'trim=start_frame=37', '-c:v', 'ffv1', '-y', late]);
    const lateOut = path.join(dir, 'late23976.out.mp4');
    await transformVideo(late, lateOut, noop, { codec: 'libx264', preset: 'veryfast' });
    const lateRates = (await ffprobe(['-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate,avg_frame_rate', '-of', 'csv=p=0', lateOut])).toString().trim();
    expect(lateRates).toBe('24000/1001,24000/1001');
    expect(Number((await framePts(lateOut))[0])).toBeCloseTo(37 * 1001 / 24000, 3);
  });
});

describe('Matroska statistics tags', () => {
  it('a stale NUMBER_OF_FRAMES (carried by -c copy from a longer source) is not trusted, nor written again', async () => {
    const { ffmpeg } = await import('../helpers/ffmpeg.js');
    const stale = path.join(dir, 'stale-stats.mkv');
    // 25 frames, tagged as mkvmerge tags a 250-frame source.
    await ffmpeg(['-i', clips.h264, '-map', '0:v', '-c', 'copy', '-metadata:s:v:0', 'NUMBER_OF_FRAMES=250', '-metadata:s:v:0', 'BPS=123', '-y', stale]);
    const info = await probe(stale);
    expect(info.video.tags.NUMBER_OF_FRAMES).toBe('250');
    expect(info.video.frameCount).toBeUndefined();
    const out = path.join(dir, 'stale-stats.out.mkv');
    const result = await transformVideo(stale, out, noop, { codec: 'ffv1' });
    expect(result.frames).toBeGreaterThan(0);
    const written = await probe(out);
    expect(written.video.tags.NUMBER_OF_FRAMES).toBeUndefined();
    expect(written.video.tags.BPS).toBeUndefined();
  });
});

describe('interlaced video', () => {
  const fieldInfo = async (file: string) => {
    const stream = (await ffprobe(['-select_streams', 'v:0', '-show_entries', 'stream=field_order', '-of', 'csv=p=0', file])).toString().trim();
    const frame = (await ffprobe(['-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_entries', 'frame=interlaced_frame,top_field_first', '-of', 'csv=p=0', file]))
      .toString()
      .trim()
      .replace(/,$/, '');
    return { stream, frame };
  };

  it('stays interlaced with its field order, as fields, in H.264 and in ProRes', async () => {
    const source = await fieldInfo(clips.interlaced);
    expect(source.stream).toBe('tt');
    expect(source.frame).toMatch(/^1,/); // interlaced_frame
    const out = path.join(dir, 'interlaced.out.mp4');
    await transformVideo(clips.interlaced, out, noop);
    const h264 = await fieldInfo(out);
    expect(h264.stream).toBe('tt');
    expect(h264.frame).toMatch(/^1,/);
    const prores = path.join(dir, 'interlaced.out.mov');
    await transformVideo(clips.interlaced, prores, noop, { codec: 'prores_ks' });
    const fields = await fieldInfo(prores);
    expect(fields.frame).toMatch(/^1,/);
    expect(['tt', 'tb']).toContain(fields.stream);
  });
});

describe('transformVideoToMany', () => {
  it('decodes once and gives each target its own copy of every frame', async () => {
    const outs = [0, 1, 2].map((i) => path.join(dir, `many-${i}.mkv`));
    const seenBuffers: Array<Set<ArrayBufferLike>> = [new Set(), new Set(), new Set()];
    const results = await transformVideoToMany(
      clips['ffv1-8'],
      outs.map((output, t) => ({
        output,
        fn: (f: Frame) => {
          seenBuffers[t].add(f.planes[0].data.buffer);
          const y = f.planes[0].data;
          for (let x = 0; x < 16; x++) y[x] = 50 + 60 * t; // row 0, first 16 pixels
        },
      })),
    );
    expect(results.map((r) => r.frames)).toEqual([25, 25, 25]);
    expect(results.map((r) => r.output)).toEqual(outs);
    // No buffer is shared between two targets.
    for (const b of seenBuffers[0]) expect(seenBuffers[1].has(b) || seenBuffers[2].has(b)).toBe(false);
    const srcPts = await framePts(clips['ffv1-8']);
    const srcAudio = await audioPacketHashes(clips['ffv1-8']);
    for (const [t, out] of outs.entries()) {
      let n = 0;
      for await (const f of readFrames(out)) {
        expect(Array.from(f.planes[0].data.subarray(0, 16))).toEqual(new Array(16).fill(50 + 60 * t));
        n++;
      }
      expect(n).toBe(25);
      expect(await framePts(out)).toEqual(srcPts);
      expect(await audioPacketHashes(out)).toEqual(srcAudio);
    }
  });

  it('refuses two targets with the same output before doing any work', async () => {
    const out = path.join(dir, 'dup.mkv');
    await expect(
      transformVideoToMany(clips['ffv1-8'], [
        { output: out, fn: noop },
        { output: out, fn: noop },
      ]),
    ).rejects.toMatchObject({ name: 'OutputError', code: 'ERR_OUTPUT_DUPLICATE' });
    expect(existsSync(out)).toBe(false);
  });
});

describe('writeFrames', () => {
  it('encodes frames from any iterable, copying streams from the source', async () => {
    const out = path.join(dir, 'written.mkv');
    const frames: Frame[] = [];
    for await (const f of readFrames(clips['ffv1-8'], { maxFrames: 10 })) frames.push(f);
    const result = await writeFrames(frames, out, { source: clips['ffv1-8'], codec: 'ffv1' });
    expect(result.frames).toBe(10);
    expect(await frameHashes(out)).toEqual((await frameHashes(clips['ffv1-8'])).slice(0, 10));
    expect(await audioPacketHashes(out)).toEqual(await audioPacketHashes(clips['ffv1-8']));
  });

  it('writes frames without a source, timed by their pts', async () => {
    const out = path.join(dir, 'nosource.mkv');
    const frames: Frame[] = [];
    for await (const f of readFrames(clips.vfr)) frames.push(f);
    await writeFrames(frames, out, { codec: 'ffv1', timeBase: '1/1000' });
    expect(await framePts(out)).toEqual(await framePts(clips.vfr));
  });
});
