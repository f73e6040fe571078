/**
 * Bench footage, generated with ffmpeg's own sources so that the bench needs no downloads: 1920x1080, 24 fps,
 * 10 s clips that look like film (texture, flat gradients, a dark scene, fast motion, text, shot cuts), and stills taken from
 * them. Each content is a small named object; generated files are cached in bench/work/footage/ under a hash of
 * the exact ffmpeg arguments, so that a change of recipe regenerates them.
 *
 * `--content DIR` replaces them with a user's own clips and images (any size, any codec ffmpeg reads).
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { exists, ffmpeg, run } from './proc.mjs';

export const WIDTH = 1920;
export const HEIGHT = 1080;
export const FPS = 24;
export const SECONDS = 10;

/** Mezzanine encode of the generated masters: x264 CRF 12 (visually lossless), 8-bit 4:2:0. */
const MASTER_ENCODE = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '12', '-pix_fmt', 'yuv420p', '-g', '48'];

/** A Mandelbrot still, rendered once (its filigree is fine texture beside smooth colour fields). */
function mandelbrot(size, x, y, scale) {
  return { kind: 'mandelbrot', args: ['-f', 'lavfi', '-i', `mandelbrot=s=${size}:r=1:start_x=${x}:start_y=${y}:start_scale=${scale}`, '-frames:v', '1'] };
}

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/System/Library/Fonts/Supplemental/Arial.ttf',
  'C:/Windows/Fonts/arial.ttf',
];

let fontCache;
/** A TrueType font for drawtext (credits, subtitles, logo text), or null when the machine has none. */
export function findFont() {
  if (fontCache !== undefined) return fontCache;
  fontCache = null;
  for (const f of FONT_CANDIDATES) {
    try {
      if (readdirSync(path.dirname(f)).includes(path.basename(f))) return (fontCache = f);
    } catch {
      // folder absent
    }
  }
  return fontCache;
}

/** Escapes a path for an ffmpeg filter argument (':' and '\' and quotes are special there). */
export function filterPath(p) {
  return p.replace(/\\/g, '/').replace(/:/g, '\\:').replace(/'/g, "\\'");
}

const CREDITS = [
  'DIRECTED BY', 'A. Smithee', '', 'PRODUCED BY', 'Reel Mark Films', '', 'DIRECTOR OF PHOTOGRAPHY', 'Lux Aeterna', '',
  'EDITOR', 'Cut Andrew Splice', '', 'COLOURIST', 'Grade Ramp', '', 'SOUND', 'Foley Artistry Ltd', '', 'VISUAL EFFECTS',
  'Pixel & Noise', 'Mandel & Brot', '', 'CAST', 'The Gradient ..... Sky Blue', 'The Shadow ..... Dark Scene',
  'The Runner ..... Fast Pan', 'The Texture ..... Fine Grain', '', 'MUSIC', 'Sine 440', '', 'THANKS TO', 'Everyone who',
  'did not leak this film', '', 'No pirates were harmed', 'in the making of this bench', '', 'COPYRIGHT', 'reelmark',
];

/**
 * The generated contents, as named objects: what they stress, and how ffmpeg makes them.
 * `inputs(work)` returns the ffmpeg input arguments and video filter for the clip (after any still is rendered).
 */
export const GENERATED = [
  {
    name: 'texture',
    kind: 'video',
    description: 'fine texture: deep-zoom Mandelbrot filigree beside smooth colour fields, slow diagonal pan, film grain',
    still: mandelbrot('2400x1400', '-0.743643887037151', '0.13182590420533', '0.005'),
    filters: (s) => `crop=${WIDTH}:${HEIGHT}:'40*t':'25*t',noise=alls=4:allf=t,format=yuv420p`,
  },
  {
    name: 'gradient',
    kind: 'video',
    description: 'large flat gradients: sky-like ramp with a slowly drifting glow (rendered at 384x216, bicubic upscale), light grain',
    filters: null,
    source: () =>
      `nullsrc=s=384x216:r=${FPS},format=yuv444p,` +
      "geq=lum='clip(48+118*(1-Y/H)+45*exp(-(pow(X/W-0.25-0.02*T,2)+pow(Y/H-0.4,2))*10),16,235)'" +
      ":cb='128+22*(1-Y/H)-8':cr='122+18*(Y/H)+4*X/W'," +
      `scale=${WIDTH}:${HEIGHT}:flags=bicubic,noise=alls=2:allf=t,format=yuv420p`,
  },
  {
    name: 'dark',
    kind: 'video',
    description: 'a dark scene: low-key Mandelbrot (luma 16-70), slow pan, grain as in low light',
    still: mandelbrot('2400x1400', '-0.7453', '0.1127', '0.0065'),
    filters: () =>
      `crop=${WIDTH}:${HEIGHT}:'30*t':'12*t',lutyuv=y='16+val*0.21':u='128+(val-128)*0.5':v='128+(val-128)*0.5',noise=alls=3:allf=t,format=yuv420p`,
  },
  {
    name: 'motion',
    kind: 'video',
    description: 'fast motion: fast pan (280 px/s, 12 px per frame) with camera shake across a wide Mandelbrot panorama',
    still: mandelbrot('4800x1240', '-0.7436', '0.1318', '0.02'),
    filters: () => `crop=${WIDTH}:${HEIGHT}:'280*t':'80+70*sin(2.3*t)',noise=alls=3:allf=t,format=yuv420p`,
  },
  {
    name: 'text',
    kind: 'video',
    description: 'text: rolling end credits (white DejaVu Sans on near-black, 80 px/s) over a faint vignette, grain',
    filters: null,
    source: (work) => {
      const font = findFont();
      const bg = `nullsrc=s=480x270:r=${FPS},format=yuv444p,geq=lum='clip(18+14*exp(-(pow(X/W-0.5,2)+pow(Y/H-0.5,2))*5),16,235)':cb=128:cr=128,scale=${WIDTH}:${HEIGHT}:flags=bicubic`;
      if (font === null) {
        // No font on this machine: a burnt-in pattern of bars scrolling like credits stands in for text.
        return `${bg},drawgrid=w=180:h=36:t=6:c=white@0.9:y='-80*t',noise=alls=2:allf=t,format=yuv420p`;
      }
      return (
        `${bg},drawtext=fontfile='${filterPath(font)}':textfile='${filterPath(path.join(work, 'credits.txt'))}'` +
        `:fontsize=46:line_spacing=26:fontcolor=white:x=(w-text_w)/2:y=260-80*t,noise=alls=2:allf=t,format=yuv420p`
      );
    },
  },
  {
    name: 'cuts',
    kind: 'video',
    description: 'shot cuts, as a film has: five 2 s shots cut hard from `texture`, `motion`, `gradient`, `dark` and `texture` again',
    // [content, start in seconds]: each shot is the same 2 s of its own clip, so the montage's time runs on.
    shots: [['texture', 0], ['motion', 2], ['gradient', 4], ['dark', 6], ['texture', 8]],
  },
];

/** Length of a shot of `cuts`, seconds (its own master is encoded with a keyframe every 2 s, MASTER_ENCODE, so each shot starts on one). */
const SHOT_SECONDS = 2;

/** Stills: one frame of a generated clip, as a PNG master (what a poster or a key-art delivery is). */
export const STILLS = [
  { name: 'still-texture', kind: 'image', from: 'texture', at: 5, description: 'one frame of `texture` as a 1920x1080 PNG' },
  { name: 'still-gradient', kind: 'image', from: 'gradient', at: 5, description: 'one frame of `gradient` as a 1920x1080 PNG' },
];

const VIDEO_EXT = new Set(['.mp4', '.mov', '.mkv', '.m4v', '.avi', '.mxf', '.webm', '.ts', '.mts', '.y4m', '.nut']);
const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp']);

function hashOf(value) {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 10);
}

async function atomicFfmpeg(out, argv) {
  const tmp = `${out}.part${path.extname(out)}`;
  await rm(tmp, { force: true });
  try {
    await ffmpeg([...argv, '-y', tmp]);
    await rename(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Makes (or finds in the cache) the master file of a generated content. Returns the content with `path`.
 * @param {object} content one of GENERATED or STILLS
 * @param {string} work bench/work
 */
export async function ensureContent(content, work, log = () => {}) {
  const dir = path.join(work, 'footage');
  await mkdir(dir, { recursive: true });
  if (content.kind === 'image') {
    const clip = await ensureContent(GENERATED.find((c) => c.name === content.from), work, log);
    const out = path.join(dir, `${content.name}-${hashOf([clip.path, content.at])}.png`);
    if (!(await exists(out))) {
      log(`footage: ${content.name}`);
      await atomicFfmpeg(out, ['-ss', String(content.at), '-i', clip.path, '-frames:v', '1', '-update', '1']);
    }
    return { ...content, path: out, width: WIDTH, height: HEIGHT };
  }
  if (content.name === 'text') await writeFile(path.join(work, 'credits.txt'), CREDITS.join('\n') + '\n');
  let input;
  if (content.shots) {
    // A montage of the other clips (made first: `ensureContentTask` callers generate them before it).
    const names = [...new Set(content.shots.map(([name]) => name))];
    const clips = [];
    for (const name of names) clips.push(await ensureContent(GENERATED.find((c) => c.name === name), work, log));
    const graph = content.shots.map(([name, at], i) =>
      `[${names.indexOf(name)}:v]trim=start=${at}:duration=${SHOT_SECONDS},setpts=PTS-STARTPTS[s${i}]`).join(';') +
      `;${content.shots.map((_, i) => `[s${i}]`).join('')}concat=n=${content.shots.length}:v=1[v]`;
    input = [...clips.flatMap((c) => ['-i', c.path]), '-filter_complex', graph, '-map', '[v]'];
  } else if (content.still) {
    const still = path.join(dir, `${content.name}-still-${hashOf(content.still.args)}.png`);
    if (!(await exists(still))) {
      log(`footage: ${content.name} still`);
      await atomicFfmpeg(still, content.still.args);
    }
    input = ['-loop', '1', '-framerate', String(FPS), '-i', still, '-vf', content.filters()];
  } else {
    input = ['-f', 'lavfi', '-i', content.source(work)];
  }
  const argv = [...input, '-t', String(SECONDS), '-r', String(FPS), ...MASTER_ENCODE];
  const out = path.join(dir, `${content.name}-${hashOf([argv, findFont()])}.mp4`);
  if (!(await exists(out))) {
    log(`footage: ${content.name} (${SECONDS} s, ${WIDTH}x${HEIGHT})`);
    await atomicFfmpeg(out, argv);
  }
  return { ...content, path: out, width: WIDTH, height: HEIGHT, seconds: SECONDS, font: content.name === 'text' ? findFont() : undefined };
}

/**
 * The first `seconds` of a clip, stream-copied (the masters have a key frame every 2 s, so cuts at whole multiples
 * of 2 s from the start are exact), cached beside it, or in `dir` (a user's folder is never written to).
 */
export async function excerpt(clip, seconds, dir = path.dirname(clip.path)) {
  if (clip.seconds !== undefined && seconds >= clip.seconds) return clip.path;
  const ext = path.extname(clip.path);
  await mkdir(dir, { recursive: true });
  const out = path.join(dir, `${path.basename(clip.path, ext)}-first${seconds}s${ext}`);
  if (!(await exists(out))) await atomicFfmpeg(out, ['-i', clip.path, '-map', '0:v:0', '-t', String(seconds), '-c', 'copy']);
  return out;
}

/** The master a part works from: a still as it is, the first `seconds` of a clip (user clips cut into bench/work). */
export function sourceFor(content, seconds, work) {
  if (content.kind === 'image') return Promise.resolve(content.path);
  return excerpt(content, seconds, content.user ? path.join(work, 'user-excerpts') : undefined);
}

/**
 * Contents of a user's folder: every video and still in it (not recursive), probed. Names come from the file names.
 * @returns {Promise<object[]>}
 */
export async function userContents(dir, probeFn) {
  const entries = (await readdir(dir)).sort();
  const out = [];
  for (const name of entries) {
    const ext = path.extname(name).toLowerCase();
    if (!VIDEO_EXT.has(ext) && !IMAGE_EXT.has(ext)) continue;
    const file = path.resolve(dir, name);
    const info = await probeFn(file);
    out.push({
      name: name.replace(/[^A-Za-z0-9._-]+/g, '_'),
      kind: info.kind,
      description: `user footage ${info.width}x${info.height}${info.kind === 'video' ? `, ${(info.duration ?? 0).toFixed(1)} s` : ''}`,
      path: file,
      width: info.width,
      height: info.height,
      seconds: info.kind === 'video' ? info.duration ?? undefined : undefined,
      user: true,
    });
  }
  if (out.length === 0) throw new Error(`--content ${dir}: no video (${[...VIDEO_EXT].join(' ')}) or image (${[...IMAGE_EXT].join(' ')}) files found`);
  return out;
}



/** Worker task: make a generated clip by name (footage is generated two at a time). */
export async function ensureContentTask({ name, work }) {
  const content = [...GENERATED, ...STILLS].find((c) => c.name === name);
  if (!content) throw new Error(`unknown content ${name}`);
  // Functions (the recipe) do not cross the process boundary; the rest does.
  return ensureContent(content, work, (m) => console.error(m));
}
