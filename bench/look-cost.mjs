#!/usr/bin/env node
// CPU cost of one full detector look (the synchronisation sweep, refinement and payload reading that the 12th frame
// triggers) at the 960x540 working size of a 1080p input, on unmarked and on marked textured frames, and of the final
// look `result()` then runs (on unmarked input: also the mirror image, half turns and small rotations); the smallest
// of N runs (process.cpuUsage, so other load on the machine matters little), with a short hash of the verdict so
// that two builds can be compared. Standalone (not a part of run.mjs):
//   npm run build && node bench/look-cost.mjs [N=3]
// Set DUMP=1 to print the start of each verdict's JSON, SIMD=0 to force the portable TypeScript correlation path.
import { keyFromSecret, WatermarkDetector, WatermarkEmbedder } from '../packages/core/dist/index.js';
import { createHash } from 'node:crypto';
function prng(seed) { let a = seed >>> 0; return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; }
const key = keyFromSecret(new Uint8Array(32).fill(7));
const W = 960, H = 540;
function textured(seed, w, h) {
  const r = prng(seed); const d = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[y * w + x] = Math.max(0, Math.min(255, Math.round(128 + 40 * Math.sin(x / 37 + seed) * Math.cos(y / 23) + 30 * (r() - 0.5) + 20 * (((x >> 4) + (y >> 4)) & 1))));
  return d;
}
function frames(marked) {
  const out = [];
  const emb = marked ? new WatermarkEmbedder({ key, id: 123456789n, width: 1920, height: 1080, bitDepth: 8 }) : null;
  for (let f = 0; f < 12; f++) {
    if (!marked) { out.push(textured(f + 1, W, H)); continue; }
    const big = textured(100 + f, 1920, 1080);
    emb.embed({ data: big, width: 1920, height: 1080, stride: 1920, bitDepth: 8 });
    const d = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) { const i = 2 * y * 1920 + 2 * x; d[y * W + x] = (big[i] + big[i + 1] + big[i + 1920] + big[i + 1921] + 2) >> 2; }
    out.push(d);
  }
  return out;
}
const reps = Number(process.argv[2] ?? 3);
for (const marked of [false, true]) {
  const fr = frames(marked);
  let best = Infinity, bestFinal = Infinity, verdict, decodes = 0;
  for (let r = 0; r < reps; r++) {
    const d = new WatermarkDetector({ key, inputWidth: 1920, inputHeight: 1080, candidates: marked ? [123456789n, 42n] : [42n], simd: process.env.SIMD !== '0' });
    for (let i = 0; i < 11; i++) d.addFrame({ data: fr[i], width: W, height: H, stride: W, bitDepth: 8 });
    // The 12th frame triggers the first look (a full sweep); its cost is the look plus one frame's whitening.
    const c1 = process.cpuUsage();
    d.addFrame({ data: fr[11], width: W, height: H, stride: W, bitDepth: 8 });
    const c2 = process.cpuUsage(c1);
    // Codewords run through the Feistel decoder in that look (the detector's private memo of them; a diagnostic).
    decodes = d.decoded?.size ?? NaN;
    best = Math.min(best, (c2.user + c2.system) / 1e6);
    // The final look: one more frame, then result() (a marked input stopped searching once locked).
    d.addFrame({ data: fr[0], width: W, height: H, stride: W, bitDepth: 8 });
    const c3 = process.cpuUsage();
    verdict = d.result();
    const c4 = process.cpuUsage(c3);
    bestFinal = Math.min(bestFinal, (c4.user + c4.system) / 1e6);
  }
  const json = JSON.stringify(verdict, (k, v) => (typeof v === 'bigint' ? v.toString() : v));
  console.log(`${marked ? 'marked  ' : 'unmarked'} look CPU min of ${reps}: ${best.toFixed(3)} s, final look ${bestFinal.toFixed(3)} s  found=${verdict.found} syncZ=${verdict.timeline.at(-1).syncZ} score=${verdict.score} decodes=${decodes} sha=${createHash('sha256').update(json).digest('hex').slice(0, 12)}`);
  if (process.env.DUMP) console.log(json.slice(0, 600));
}
