/**
 * Attacks as small named objects with their parameters (after videoseal's augmentation list), each applied by
 * ffmpeg exactly as a pirate would: one ffmpeg command from the marked delivery to the leak.
 *
 * Every attack that writes video re-encodes with libx264 (preset `veryfast`, 8-bit 4:2:0) at the attack's CRF,
 * or at ffmpeg's default CRF 23 when the attack is not about compression. Clips are trimmed as they are cut out of
 * the delivery: `-ss start -t length` before the input (start 1 s into the delivery when there is room, so the
 * leak does not begin on the delivery's first frame).
 *
 * JPEG screenshots use the IJG quality-75 quantisation tables (libjpeg, browsers and image editors at "75"):
 * ffmpeg's mjpeg encoder writes its `-intra_matrix` scaled by qscale/8, so `-q:v 8` with the IJG tables gives
 * exactly the quality-75 file (checked by reading the DQT marker back).
 */
import path from 'node:path';

import { filterPath, findFont } from './footage.mjs';

const PIRATE_PRESET = 'veryfast';
const DEFAULT_CRF = 23;

/** IJG (libjpeg) quantisation tables at `quality`, raster order, as ffmpeg's -intra_matrix takes them. */
export function ijgTables(quality) {
  const luma = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99];
  const chroma = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
    ...new Array(32).fill(99)];
  const s = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  const scale = (t) => t.map((v) => Math.min(255, Math.max(1, Math.floor((v * s + 50) / 100))));
  return { luma: scale(luma), chroma: scale(chroma) };
}

function x264(crf) {
  return ['-c:v', 'libx264', '-preset', PIRATE_PRESET, '-crf', String(crf), '-pix_fmt', 'yuv420p', '-an'];
}

function even(v) {
  return Math.max(2, Math.round(v / 2) * 2);
}

/** Input arguments for a trimmed clip of the delivery (a still image is taken whole). */
function trimmed(input, clip) {
  if (!clip) return ['-i', input];
  return ['-ss', String(clip.start), '-t', String(clip.length), '-i', input];
}

/**
 * An attack that filters the picture and re-encodes it.
 * @param {string} name
 * @param {string} family
 * @param {object} params shown in rows
 * @param {(ctx: {width: number, height: number}) => string} filter ffmpeg -vf chain
 */
function filtered(name, family, params, filter, { crf = DEFAULT_CRF, codec = 'libx264', gop = null, target = null } = {}) {
  return {
    name,
    family,
    params: { ...params, crf, codec, ...(gop ? { gop } : {}) },
    output: 'video',
    target,
    args(input, output, ctx) {
      const vf = filter(ctx);
      const enc = codec === 'libx265'
        ? ['-c:v', 'libx265', '-preset', PIRATE_PRESET, '-crf', String(crf), '-pix_fmt', 'yuv420p', '-x265-params', 'log-level=error', '-an']
        : x264(crf);
      // A keyframe every `gop` frames at most (x264's default is 250: one in a 10 s clip at 24 fps).
      return [...trimmed(input, ctx.clip), ...(vf ? ['-vf', vf] : []), ...enc, ...(gop ? ['-g', String(gop)] : []), '-y', output];
    },
    extension: '.mp4',
  };
}

/** One frame saved as a JPEG at IJG quality `quality`, scaled to `height` lines (a screenshot). */
export function screenshot(height, { quality = 75, crop = 0, brightness = 0, rotate = 0, name } = {}) {
  const { luma, chroma } = ijgTables(quality);
  return {
    name: name ?? `jpeg-${height}p-q${quality}`,
    family: 'screenshot',
    params: { height, quality, crop, brightness, ...(rotate ? { rotate } : {}) },
    output: 'image',
    target: null,
    args(input, output, ctx) {
      const vf = [];
      // Turned `rotate` degrees clockwise first (a tilted phone or editor screenshot), then cropped and scaled.
      if (rotate) vf.push(`rotate=${rotate}*PI/180`);
      if (crop > 0) vf.push(`crop=trunc(iw*${1 - 2 * crop}/2)*2:trunc(ih*${1 - 2 * crop}/2)*2`);
      vf.push(`scale=-2:${height}`);
      if (brightness) vf.push(`eq=brightness=${brightness}`);
      // One frame, 1 s into the trimmed clip (or the still itself).
      const seek = ctx.clip ? ['-ss', String(ctx.clip.start + Math.min(1, ctx.clip.length / 2))] : [];
      return [...seek, '-i', input, '-frames:v', '1', '-vf', vf.join(','), '-pix_fmt', 'yuvj420p', '-q:v', '8',
        '-intra_matrix', luma.join(','), '-chroma_intra_matrix', chroma.join(','), '-y', output];
    },
    extension: '.jpg',
  };
}

/** Subtitle cues covering the leak, burnt in with libass (ffmpeg's `subtitles` filter), as fan-subbed rips are. */
export const SUBTITLES_SRT = [
  '1', '00:00:00,000 --> 00:00:04,000', 'I never said I would keep it secret.', '',
  '2', '00:00:04,000 --> 00:00:08,000', 'Nobody will ever know it was us.', '',
  '3', '00:00:08,000 --> 00:00:12,000', '- Are you sure about that?', '- Positive.', '',
].join('\n');

/**
 * Every attack of the core issue's target list. `lengths` are the clip lengths of the quick matrix (the full
 * matrix runs every video attack at 2, 5 and 10 s); `target` says what the core issue asks of it.
 */
export function attackList(work) {
  const font = findFont();
  const logo = (ctx) => {
    const box = 'drawbox=x=iw*0.74:y=ih*0.05:w=iw*0.21:h=ih*0.11:color=white@0.55:t=fill';
    if (!font) return `${box},drawbox=x=iw*0.76:y=ih*0.07:w=iw*0.17:h=ih*0.07:color=black@0.7:t=fill`;
    return `${box},drawtext=fontfile='${filterPath(font)}':text='PIRATE HD':fontsize=${Math.round(ctx.height * 0.065)}:fontcolor=black@0.85:x=w*0.755:y=h*0.072`;
  };
  const subs = () => `subtitles='${filterPath(path.join(work, 'subtitles.srt'))}':force_style='Fontsize=26,Outline=2,Shadow=1'`;
  return [
    filtered('h264-crf23', 'codec', {}, () => null, { crf: 23, target: 'blind, 2 s' }),
    filtered('h264-crf28', 'codec', {}, () => null, { crf: 28, target: 'blind, 2 s' }),
    filtered('h264-crf35', 'codec', {}, () => null, { crf: 35, target: 'blind, 2 s' }),
    filtered('h265-crf28', 'codec', {}, () => null, { crf: 28, codec: 'libx265', target: 'blind, 2 s' }),
    filtered('scale-720p-crf28', 'resize', { height: 720 }, () => 'scale=-2:720', { crf: 28, target: 'blind, 2 s' }),
    filtered('scale-480p-crf28', 'resize', { height: 480 }, () => 'scale=-2:480', { crf: 28, target: 'blind, 2 s' }),
    filtered('scale-360p-crf28', 'resize', { height: 360 }, () => 'scale=-2:360', { crf: 28, target: 'blind, 2 s' }),
    { ...filtered('scale-360p-crf35', 'resize', { height: 360 }, () => 'scale=-2:360', { crf: 35, target: 'blind, 10 s' }), lengths: [10] },
    // Beyond the list: the same with a keyframe every 2 s (48 frames), as streaming platforms encode (more
    // keyframes, each carrying the mark afresh: the detector weighs them more, docs/WATERMARK.md).
    { ...filtered('scale-360p-crf35-gop48', 'resize', { height: 360 }, () => 'scale=-2:360', { crf: 35, gop: 48 }), lengths: [10] },
    // Beyond the list: a scope film's letterbox bars cut away (the middle 2.40:1 of the picture kept), then 640 px
    // wide (640x266 from 1080p) at CRF 35, as re-encodes of scope films are made: not a plain rescale of the master.
    { ...filtered('crop-bars-360p-crf35', 'crop', { frame: '2.40:1', width: 640 }, () => 'crop=iw:trunc(iw/2.4/2)*2,scale=640:-2', { crf: 35 }), lengths: [10] },
    filtered('crop5-kept', 'crop', { perSide: 0.05, rescale: false }, () => 'crop=trunc(iw*0.9/2)*2:trunc(ih*0.9/2)*2', { target: 'blind, 2 s' }),
    filtered('crop5-rescaled', 'crop', { perSide: 0.05, rescale: true }, (c) => `crop=trunc(iw*0.9/2)*2:trunc(ih*0.9/2)*2,scale=${c.width}:${c.height}`, { target: 'blind, 2 s' }),
    filtered('crop10-kept', 'crop', { perSide: 0.1, rescale: false }, () => 'crop=trunc(iw*0.8/2)*2:trunc(ih*0.8/2)*2', { target: 'blind, 2 s' }),
    filtered('crop10-rescaled', 'crop', { perSide: 0.1, rescale: true }, (c) => `crop=trunc(iw*0.8/2)*2:trunc(ih*0.8/2)*2,scale=${c.width}:${c.height}`, { target: 'blind, 2 s' }),
    filtered('letterbox-4x3', 'pad', { frame: '4:3' }, (c) => {
      const w = even((c.height * 4) / 3);
      return `scale=${w}:-2,pad=${w}:${c.height}:0:(oh-ih)/2`;
    }, { target: 'blind, 2 s' }),
    filtered('pillarbox', 'pad', { frame: '64:27' }, (c) => `pad=${even((c.height * 64) / 27)}:${c.height}:(ow-iw)/2:0`, { target: 'blind, 2 s' }),
    filtered('brightness+10', 'colour', { brightness: 0.1 }, () => 'eq=brightness=0.1', { target: 'blind, 2 s' }),
    filtered('brightness-10', 'colour', { brightness: -0.1 }, () => 'eq=brightness=-0.1', { target: 'blind, 2 s' }),
    filtered('contrast-0.8', 'colour', { contrast: 0.8 }, () => 'eq=contrast=0.8', { target: 'blind, 2 s' }),
    filtered('contrast-1.2', 'colour', { contrast: 1.2 }, () => 'eq=contrast=1.2', { target: 'blind, 2 s' }),
    filtered('gamma-0.8', 'colour', { gamma: 0.8 }, () => 'eq=gamma=0.8', { target: 'blind, 2 s' }),
    filtered('gamma-1.2', 'colour', { gamma: 1.2 }, () => 'eq=gamma=1.2', { target: 'blind, 2 s' }),
    filtered('fps-24to30', 'time', { fps: 30 }, () => 'fps=30', { target: 'blind, 2 s' }),
    filtered('logo', 'overlay', { area: 'top right, 21% x 11%', font: font ? path.basename(font) : 'none (boxes)' }, logo, { target: 'blind, 2 s' }),
    filtered('subtitles', 'overlay', { lines: 'two, lower third (libass)' }, subs, { target: 'blind, 2 s' }),
    filtered('chain-480p-crop5-bright-crf30', 'chain', { height: 480, perSide: 0.05, brightness: 0.1 },
      () => 'scale=-2:480,crop=trunc(iw*0.9/2)*2:trunc(ih*0.9/2)*2,eq=brightness=0.1', { crf: 30, target: 'blind, 2 s' }),
    // Beyond the core issue's list: a phone-format repost, 9:16 cut from the middle of the 16:9 picture at full
    // height (narrower than one tile period of the master).
    filtered('crop-9x16', 'crop', { frame: '9:16', rescale: false }, (c) => `crop=${even((c.height * 9) / 16)}:${c.height}`, { crf: 28 }),
    // A vertical re-upload (phone format): the whole 16:9 picture scaled to the width of a 9:16 frame (1080x1920
    // from 1920x1080), between black bars, or over a blurred copy of itself zoomed to fill the frame.
    filtered('portrait-bars', 'pad', { frame: '9:16', fill: 'black' }, (c) => `scale=${c.height}:-2,pad=${c.height}:${even((c.height * 16) / 9)}:0:(oh-ih)/2`, { crf: 28 }),
    filtered('portrait-blur', 'pad', { frame: '9:16', fill: 'blurred copy' }, (c) => {
      const w = c.height;
      const h = even((c.height * 16) / 9);
      return `split[a][b];[a]scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h},boxblur=20[bg];[b]scale=${w}:-2[fg];[bg][fg]overlay=0:(H-h)/2`;
    }, { crf: 28 }),
    // The core issue's "downscaling (aspect kept or not)": the 16:9 picture squeezed to fill a 4:3 frame at full
    // height (1440x1080 from 1920x1080), so that each axis has its own scale.
    filtered('squeeze-4x3', 'resize', { frame: '4:3', aspectKept: false }, (c) => `scale=${even((c.height * 4) / 3)}:${c.height}`, { crf: 28 }),
    // Also beyond the list: a mirrored re-upload (flipped left to right to evade matching), cropped 5% on each side.
    filtered('mirror-crop5', 'flip', { horizontal: true, perSide: 0.05 }, () => 'hflip,crop=trunc(iw*0.9/2)*2:trunc(ih*0.9/2)*2', { crf: 28 }),
    // A tilted re-upload: turned 2 degrees clockwise, zoomed 8% to hide the black corners, at 720p; and turned 4.5
    // degrees the other way with its corners left black (both found at the final look, docs/WATERMARK.md).
    filtered('rotate2-zoom-720p', 'rotate', { degrees: 2, perSide: 0.04, height: 720 },
      () => 'rotate=2*PI/180,crop=trunc(iw*0.92/2)*2:trunc(ih*0.92/2)*2,scale=-2:720', { crf: 28 }),
    filtered('rotate-4.5-corners', 'rotate', { degrees: -4.5, corners: 'black' }, () => 'rotate=-4.5*PI/180', { crf: 28 }),
    // Flipped top to bottom (a mirror image upside down).
    filtered('vflip', 'flip', { vertical: true }, () => 'vflip', { crf: 28 }),
    { ...screenshot(720), target: 'blind, one frame' },
    { ...screenshot(480), target: 'blind, one frame' },
    // Beyond the list: a screenshot turned 2 degrees, cropped 4% per side to hide the corners.
    screenshot(720, { rotate: 2, crop: 0.04, name: 'rotate2-jpeg-720p-q75' }),
    collusion('average-2-copies', { blend: 'average' }, () => '[0:v][1:v]blend=all_mode=average'),
    // Beyond the list: three recipients' copies averaged frame by frame (each mark at a third of its amplitude).
    collusion('average-3-copies', { blend: 'average', copies: 3 }, () => '[0:v][1:v][2:v]mix=inputs=3', null, 3),
    // Two recipients' copies spliced in time: the clip's first half from one, its second half from the other (a
    // leak assembled from two deliveries). Reading among candidates reads the whole leak, so both are named.
    collusion('splice-2-copies', { splice: 'time', parts: 'first half A, second half B' }, (ctx) => {
      const half = ctx.clip.length / 2;
      return `[0:v]trim=end=${half},setpts=PTS-STARTPTS[a];[1:v]trim=start=${half},setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0`;
    }),
    // A short part at the end of a longer one: the clip's first 80% from one copy, its last 20% from the other (8 s
    // then 2 s of a 10 s clip). Read as one whole, the longer part's mark outweighs the shorter; the detector also
    // scores windows of the reading on their own (docs/WATERMARK.md, Splices). From 2 s clips the later part is 0.4 s,
    // under the shortest window (48 frames): the target is from 10 s.
    collusion('splice-end-2-copies', { splice: 'time', parts: 'first 80% A, last 20% B' }, (ctx) => {
      const cut = ctx.clip.length * 0.8;
      return `[0:v]trim=end=${cut},setpts=PTS-STARTPTS[a];[1:v]trim=start=${cut},setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0`;
    }, 'both accused among candidates from 10 s, no one else'),
    // A short part in the middle of a longer one, its cuts off the windows' 24-frame grid: the clip's 43% to 63% from
    // the second copy (4.3 s to 6.3 s of a 10 s clip), the rest from the first. Read whole, B's part may or may not
    // pass; its own windows hold three quarters of it at least (docs/WATERMARK.md, Splices). Target from 10 s, as above.
    collusion('splice-mid-2-copies', { splice: 'time', parts: 'A, 43% to 63% B, A' }, (ctx) => {
      const [from, to] = [ctx.clip.length * 0.43, ctx.clip.length * 0.63].map((t) => Number(t.toFixed(3)));
      return `[0:v]split[a0][a1];[a0]trim=end=${from},setpts=PTS-STARTPTS[x];[1:v]trim=start=${from}:end=${to},setpts=PTS-STARTPTS[b];` +
        `[a1]trim=start=${to},setpts=PTS-STARTPTS[y];[x][b][y]concat=n=3:v=1:a=0`;
    }, 'both accused among candidates from 10 s, no one else'),
    // Spliced in space: the left half of the picture from one copy, the right half from the other.
    collusion('side-by-side-2-copies', { splice: 'space', parts: 'left half A, right half B' },
      () => '[0:v]crop=trunc(iw/4)*2:ih:0:0[a];[1:v]crop=iw-trunc(iw/4)*2:ih:trunc(iw/4)*2:0[b];[a][b]hstack'),
  ];
}

/**
 * Two (or `copies`: three) recipients' copies of the same clip combined by one filter graph ([0:v], [1:v] and
 * [2:v]), re-encoded at CRF 23. Identified when every one of them is accused among candidates, and no one else.
 */
function collusion(name, params, graph, target = 'both accused among candidates, no one else', copies = 2) {
  return {
    name,
    family: 'collusion',
    params: { ...params, crf: DEFAULT_CRF },
    output: 'video',
    collusion: true,
    copies,
    target,
    args(input, output, ctx) {
      const others = copies === 3 ? [ctx.second, ctx.third] : [ctx.second];
      return [...trimmed(input, ctx.clip), ...others.flatMap((o) => trimmed(o, ctx.clip)), '-filter_complex', graph(ctx), ...x264(DEFAULT_CRF), '-y', output];
    },
    extension: '.mp4',
  };
}

/** Attacks on a still master (a poster, key art): screenshots of it at several sizes, cropped, brightened. */
export function stillAttackList() {
  return [
    { ...screenshot(1080, { name: 'jpeg-1080p-q75' }), target: 'blind' },
    { ...screenshot(720), target: 'blind' },
    { ...screenshot(480), target: 'blind' },
    { ...screenshot(360, { name: 'jpeg-360p-q75' }), target: null },
    { ...screenshot(720, { crop: 0.05, name: 'crop5-jpeg-720p-q75' }), target: null },
    screenshot(720, { rotate: 2, crop: 0.04, name: 'rotate2-jpeg-720p-q75' }),
    { ...screenshot(720, { brightness: 0.1, name: 'brightness+10-jpeg-720p-q75' }), target: null },
  ];
}

/** Attack lists by name, for `--attacks a,b,c` and the smoke test. */
export function pickAttacks(list, names) {
  if (!names) return list;
  const wanted = names.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((n) => !list.some((a) => a.name === n));
  if (unknown.length) throw new Error(`unknown attack(s) ${unknown.join(', ')}; known: ${list.map((a) => a.name).join(', ')}`);
  return list.filter((a) => wanted.includes(a.name));
}

/** JSON-able description of an attack (for rows and for workers, which rebuild the object by name). */
export function describe(attack) {
  return { name: attack.name, family: attack.family, params: attack.params, output: attack.output, target: attack.target };
}

/** Downscale to `height` lines (aspect kept) and re-encode at `crf`: the rungs of the trade-off ladders. */
export function resizeAttack(height, crf) {
  return filtered(`scale-${height}p-crf${crf}`, 'resize', { height }, (c) => (height === c.height ? null : `scale=-2:${height}`), { crf });
}

/** Finds an attack by name among every list (workers rebuild attacks from their names). */
export function attackByName(name, work) {
  const found = [...attackList(work), ...stillAttackList()].find((a) => a.name === name);
  if (found) return found;
  const m = /^scale-(\d+)p-crf(\d+)$/.exec(name);
  if (m) return resizeAttack(Number(m[1]), Number(m[2]));
  throw new Error(`unknown attack ${name}`);
}

/** A markdown table of every attack with the exact ffmpeg arguments it runs on a 1920x1080 delivery. */
export function attackTable(work, table) {
  const quote = (a) => (/[\s'()[\];*$|&<>]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a);
  const show = (argv) => argv.map((a) => quote(a.split(work).join('bench/work'))).join(' ')
    .replace(/-intra_matrix \S+ -chroma_intra_matrix \S+/, '-intra_matrix <IJG q75 luma table> -chroma_intra_matrix <IJG q75 chroma table>');
  const rows = [...attackList(work), ...stillAttackList()].map((a) => {
    const length = a.lengths?.[0] ?? 2;
    const ctx = { width: 1920, height: 1080, clip: { start: Math.min(1, 10 - length), length }, second: 'delivery-B.mp4', third: 'delivery-C.mp4' };
    return [a.name, a.family, a.target ?? '-', `\`ffmpeg ${show(a.args('delivery.mp4', `leak${a.extension}`, ctx))}\``];
  });
  return table(['attack', 'family', 'core issue target', 'ffmpeg command (1920x1080 delivery; quick-mode clip)'], rows);
}
