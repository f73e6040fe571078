/**
 * Other recipients' copies, many of them: does the detector ever name someone else when it reads a marked copy?
 *
 * The false-alarms part reads other recipients' copies too, but from five deliveries (one key, one ID each): about 60
 * distinct 12-frame windows, read with 2,500 lists of innocent candidates. An innocent candidate's test is a null
 * on any window, but free decoding sees the same window the same way whatever the list, so a wrong ID decoded there
 * (a valid codeword that borrows tiles from the copy's own ID's peaks: a neighbour of an ID that is present, which
 * the union bound over codewords does not cover) would be met once or 42 times, never as a rate. Here every copy is
 * a fresh (key, ID) pair, so every window is a new draw of the mark against the content and the codec.
 *
 * Each copy: 2 s (48 frames) of a generated clip, luma marked in memory with the public `WatermarkEmbedder` for a
 * random ID under a random key, then piped to ffmpeg for a small-leak attack (where the copy's own ID is weakest
 * and neighbours could outscore it): 640x360 H.264 CRF 28 or CRF 35, or 854x480 + 5% crop + brightness + CRF 30.
 * The leak is read as the false-alarms part reads (four 12-frame windows of its first 48 frames, one look each) and
 * whole (as an investigator would: 48 frames, or 240 with `--lengths 10`, where more looks and recalled IDs come in),
 * blind and among 20 innocent IDs (`--innocents N`: N of them, as a delivery ledger can list thousands), with the
 * copy's key. Accusing anyone but the copy's own
 * recipient is a false accusation. The copy's own ID read back (blind) shows how close to the line the windows are.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';

import { keyFromSecret, MAX_ID, readFrames, WatermarkDetector, WatermarkEmbedder, workingSizeFor } from '@reelmark/core';

import { rowBase } from './lib/common.mjs';
import { sourceFor } from './lib/footage.mjs';
import { lumaFrameCopies } from './lib/frames.mjs';
import { ffmpegSetup, machine, round } from './lib/proc.mjs';
import { fmt, table, writeRows } from './lib/rows.mjs';

const FPS = 24;
const WINDOWS = 4;
const WINDOW = 12;
/** Innocent candidate IDs per copy, unless `--innocents` says otherwise. */
const CANDIDATES = 20;
const BATCH = 4; // copies per worker task
/** The small-leak attacks, as ffmpeg filters and H.264 CRF on the marked 1920x1080 luma. */
export const COPY_ATTACKS = {
  'scale-360p-crf28': { filter: 'scale=640:360', crf: 28 },
  'scale-360p-crf35': { filter: 'scale=640:360', crf: 35 },
  'chain-480p-crop5-bright-crf30': { filter: 'scale=854:480,crop=iw*0.9:ih*0.9,eq=brightness=0.1', crf: 30 },
};

const hash = (label) => createHash('sha256').update(label).digest();

/**
 * Copy number `i` of `seconds`: its key and its recipient's ID, from a hash (deterministic, independent of the bench
 * key; copies of other lengths get their own, since their first 48 frames are the 2 s copies' frames).
 */
export function copyOf(i, seconds = 2) {
  const label = seconds === 2 ? `${i}` : `${i}/${seconds}s`;
  return { key: keyFromSecret(hash(`reelmark bench other copy/key/${label}`)), id: hash(`reelmark bench other copy/id/${label}`).readBigUInt64BE(0) & MAX_ID };
}

/** `count` innocent IDs for copy `i`, never its own (the first 20 are the same whatever the count). */
function innocents(i, own, count = CANDIDATES) {
  const out = new Set();
  for (let k = 0; out.size < count; k++) {
    const id = hash(`reelmark bench other copy/innocent/${i}/${k}`).readBigUInt64BE(0) & MAX_ID;
    if (id !== own) out.add(id);
  }
  return [...out];
}

let cachedSource = null; // { path, frames: Uint8Array[], width, height }

async function lumaOf(source, count) {
  if (cachedSource?.path === source && cachedSource.frames.length >= count) return cachedSource;
  const frames = [];
  let width = 0;
  let height = 0;
  for await (const f of readFrames(source, { lumaOnly: true, maxFrames: count })) {
    const y = f.planes[0];
    width = y.width;
    height = y.height;
    const packed = new Uint8Array(width * height);
    for (let r = 0; r < height; r++) packed.set(y.data.subarray(r * y.stride, r * y.stride + width), r * width);
    frames.push(packed);
  }
  cachedSource = { path: source, frames, width, height };
  return cachedSource;
}

/**
 * Pipes 8-bit luma frames through ffmpeg as YUV 4:2:0 with neutral chroma (the luma code values exactly as marked: no
 * range conversion, which piping them as full-range gray would bring, a contrast of 219/255), then `filter`, then
 * H.264 at `crf`, into `output`.
 */
async function encodeLeak(frames, width, height, { filter, crf }, output) {
  const { ffmpeg } = await ffmpegSetup();
  const args = ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', String(FPS), '-i', 'pipe:0',
    '-vf', `${filter},format=yuv420p`, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(crf), '-an', '-y', output];
  const chroma = new Uint8Array(2 * ((width + 1) >> 1) * ((height + 1) >> 1)).fill(128);
  await new Promise((resolve, reject) => {
    const child = spawn(ffmpeg.path, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg ${args.join(' ')} exited ${code}\n${stderr}`))));
    child.stdin.on('error', () => {}); // a failed ffmpeg reports through its exit code
    (async () => {
      for (const f of frames) {
        for (const part of [f, chroma]) if (!child.stdin.write(part)) await new Promise((r) => child.stdin.once('drain', r));
      }
      child.stdin.end();
    })();
  });
}

/**
 * Worker task: copies `first`..`first + count - 1` of `content` under `attack` (a COPY_ATTACKS name, or any name with
 * its own `encode`: { filter, crf }); one row per reading.
 */
export async function copyTrials({ content, source, attack, encode = COPY_ATTACKS[attack], first, count, dir, seconds = 2, innocentCount = CANDIDATES }) {
  const { frames: all, width, height } = await lumaOf(source, seconds * FPS);
  const frames = all.slice(0, seconds * FPS);
  const rows = [];
  for (let i = first; i < first + count; i++) {
    const { key, id } = copyOf(i, seconds);
    const embedder = new WatermarkEmbedder({ key, id, width, height, bitDepth: 8 });
    const marked = frames.map((f) => {
      const data = f.slice();
      embedder.embed({ data, width, height, stride: width, bitDepth: 8 });
      return data;
    });
    const leak = path.join(dir, `copy${i}.${seconds}s.${attack}.mp4`);
    await encodeLeak(marked, width, height, encode, leak);
    const leaked = await lumaFrameCopies(leak); // at the leak's own size (a small leak is read at its own size)
    await rm(leak, { force: true });
    const innocent = innocents(i, id, innocentCount);
    const inputWidth = leaked[0].plane.width;
    const inputHeight = leaked[0].plane.height;
    if (workingSizeFor(inputWidth, inputHeight).height !== inputHeight) throw new Error(`copy ${i}: expected a leak read at its own size`);
    const readings = [...Array.from({ length: WINDOWS }, (_, w) => ({ window: w, frames: leaked.slice(w * WINDOW, (w + 1) * WINDOW) })), { window: 'all', frames: leaked }];
    for (const { window, frames: part } of readings) {
      for (const detectMode of ['blind', 'candidates']) {
        const c0 = process.cpuUsage();
        const detector = new WatermarkDetector({ key, inputWidth, inputHeight, ...(detectMode === 'candidates' ? { candidates: innocent } : {}) });
        for (const f of part) detector.addFrame(f.plane, f.pts, f.keyFrame);
        const v = detector.result();
        const cpu = process.cpuUsage(c0);
        const accused = v.candidates.filter((c) => c.accused).map((c) => c.id);
        if (v.found && v.id !== null && !accused.includes(v.id)) accused.push(v.id);
        const wrong = accused.filter((a) => a !== id);
        // The strongest innocent's probability (every candidate here is innocent): the null's tail, which a bound
        // keeps at or under its value (a reading's probability p is reached by at most a share p of readings).
        const innocentBest = v.candidates.reduce((best, c) => (best && best.falseAlarmProbability <= c.falseAlarmProbability ? best : c), null);
        rows.push({
          content,
          attack,
          lengthSeconds: seconds,
          copy: i,
          id: id.toString(),
          window,
          frames: part.length,
          detectMode,
          innocents: detectMode === 'candidates' ? innocent.length : 0,
          ownIdentified: v.found && v.id === id,
          accused: accused.map(String),
          falseAccusations: wrong.length,
          method: v.method,
          score: v.score,
          log10p: v.found ? round(v.log10FalseAlarmProbability ?? Math.log10(v.falseAlarmProbability), 2) : 0,
          syncZ: v.sync?.z ?? null,
          innocentLog10p: innocentBest ? round(Math.log10(Math.max(innocentBest.falseAlarmProbability, 1e-300)), 2) : null,
          cpuMs: round((cpu.user + cpu.system) / 1000, 1),
        });
      }
    }
  }
  return rows;
}

export async function runOtherCopies(ctx) {
  const { pool, log } = ctx;
  const total = ctx.trials ?? (ctx.mode === 'full' ? 600 : 12);
  const videos = ctx.contents.filter((c) => c.kind === 'video');
  // --attacks names the robustness part's attacks too: this part takes the small-leak ones among them. Run alone, it
  // refuses a list with none (a typo); in a run of several parts it is then skipped.
  const known = Object.keys(COPY_ATTACKS);
  const attacks = ctx.attacks ? ctx.attacks.filter((a) => COPY_ATTACKS[a]) : known;
  if (attacks.length === 0) {
    const message = `other-copies: none of --attacks ${ctx.attacks.join(',')} is one of its attacks (${known.join(', ')})`;
    if ((ctx.parts?.length ?? 1) === 1) throw new Error(message);
    log(`${message}: skipped`);
    return { rows: [], markdown: null };
  }
  const dir = path.join(ctx.runDir, 'other-copies');
  await mkdir(dir, { recursive: true });
  // --lengths: copies of these lengths in seconds (default 2); each copy is read in four 12-frame windows and whole.
  const lengths = ctx.lengths ?? [2];
  const sources = [];
  for (const seconds of lengths) for (const c of videos) sources.push({ name: c.name, seconds, path: await sourceFor(c, seconds, ctx.work) });
  // Copies spread over (content, length, attack), each copy a fresh key and ID; batches of one source.
  const pairs = sources.flatMap((s) => attacks.map((a) => ({ s, a })));
  const tasks = [];
  const next = new Map(lengths.map((l) => [l, 0])); // copy numbers run per length (copyOf)
  pairs.forEach(({ s, a }, p) => {
    const share = Math.floor(total / pairs.length) + (p < total % pairs.length ? 1 : 0);
    const first = next.get(s.seconds);
    for (let k = 0; k < share; k += BATCH) {
      tasks.push({ content: s.name, source: s.path, seconds: s.seconds, attack: a, first: first + k, count: Math.min(BATCH, share - k), dir, innocentCount: ctx.innocents ?? CANDIDATES });
    }
    next.set(s.seconds, first + share);
  });
  log(`other-copies: ${total} copies (${videos.length} contents x ${attacks.length} attacks x ${lengths.join(', ')} s), ${(WINDOWS + 1) * 2} readings each, in ${tasks.length} batches`);
  let done = 0;
  const results = await Promise.all(
    tasks.map(async (t) => {
      const r = await pool.run('other-copies.mjs', 'copyTrials', t);
      done += t.count;
      const wrong = r.reduce((s, x) => s + x.falseAccusations, 0);
      log(`other-copies: ${done}/${total} copies (${t.content}, ${t.attack}${wrong ? `: ${wrong} FALSE ACCUSATIONS` : ''})`);
      return r;
    }),
  );
  const base = { ...rowBase('other-copies', ctx), ...machine() };
  const rows = results.flat().map((r) => ({ ...base, ...r }));
  await writeRows(ctx.resultsDir, 'other-copies', rows);
  const markdown = render(rows, ctx);
  await writeFile(path.join(ctx.resultsDir, 'other-copies.md'), markdown.full);
  return { rows, markdown };
}

export function render(rows, ctx) {
  const copies = new Set(rows.map((r) => `${r.lengthSeconds ?? 2}/${r.copy}`)).size;
  const wrong = rows.reduce((s, r) => s + r.falseAccusations, 0);
  const lengthOf = (r) => r.lengthSeconds ?? 2; // rows written before --lengths: 2 s copies
  const groups = [...new Set(rows.map((r) => `${r.attack}\u0000${lengthOf(r)}\u0000${r.window === 'all' ? 'all' : 'window'}`))].sort();
  const byGroup = table(
    ['attack', 'reading', 'copies', 'readings (blind / candidates)', 'false accusations', 'own ID read blind', 'own ID score, median', 'mean CPU ms / reading'],
    groups.map((g) => {
      const [attack, seconds, kind] = g.split('\u0000');
      const rs = rows.filter((r) => r.attack === attack && String(lengthOf(r)) === seconds && (r.window === 'all') === (kind === 'all'));
      const blind = rs.filter((r) => r.detectMode === 'blind');
      const own = blind.filter((r) => r.ownIdentified).map((r) => r.score).sort((a, b) => a - b);
      return [
        attack, kind === 'all' ? `whole (${rs[0].frames} frames)` : `${WINDOW}-frame windows of ${seconds} s copies`, new Set(rs.map((r) => r.copy)).size,
        `${blind.length} / ${rs.length - blind.length}`, rs.reduce((s, r) => s + r.falseAccusations, 0),
        `${own.length} of ${blind.length}`, own.length ? fmt(own[own.length >> 1], 2) : '-', fmt(rs.reduce((s, r) => s + r.cpuMs, 0) / rs.length, 0),
      ];
    }),
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const accusedRows = rows.filter((r) => r.falseAccusations > 0);
  const list = accusedRows.length
    ? `\n\nFalse accusations: ${accusedRows.slice(0, 20).map((r) => `copy ${r.copy} (${r.content}, ${r.attack}, window ${r.window}, ${r.detectMode}; own ID ${r.id}): accused ${r.accused.join(', ')} by ${r.method}, score ${fmt(r.score, 2)}, log10 p ${fmt(r.log10p, 1)}`).join('; ')}${accusedRows.length > 20 ? '; ...' : ''}.`
    : '';
  // Rows written before --innocents: 20 innocents per candidate reading.
  const listed = [...new Set(rows.filter((r) => r.detectMode === 'candidates').map((r) => r.innocents ?? CANDIDATES))];
  const verdict = `**${wrong} false accusation${wrong === 1 ? '' : 's'} in ${rows.length} readings of ${copies} other recipients' copies** (each a fresh key and ID; ${rows.filter((r) => r.window !== 'all').length / 2} distinct 12-frame windows; half the readings blind, half among ${listed.join(' or ')} innocent IDs).`;
  // The strongest innocent's probability, read among candidates (rows written before it was recorded have none): a
  // bound keeps the share of readings at or under p to at most p.
  const tails = rows.filter((r) => r.detectMode === 'candidates' && typeof r.innocentLog10p === 'number');
  const tail = tails.length
    ? `\n\nThe strongest innocent of each of the ${tails.length} readings among candidates, against the bound (a share of at most p of them at p or under): ${[-1, -2, -3]
        .map((e) => `${tails.filter((r) => r.innocentLog10p <= e).length} at 1e${e} or under (at most ${fmt(tails.length * 10 ** e, 1)} expected)`)
        .join(', ')}; the lowest, 1e${fmt(Math.min(...tails.map((r) => r.innocentLog10p)), 2)}.`
    : '';
  const readme = `${verdict}${list}${tail}\n\n${byGroup}`;
  const full = `# Other recipients' copies (${ctx.mode})\n\n${verdict}${list}${tail}\n\nRows: \`other-copies.jsonl\` (one per reading).\n\n${byGroup}\n`;
  return { readme, full };
}
