#!/usr/bin/env node
// Detection cost against the length of the candidate list (a delivery ledger's IDs under one key can be thousands:
// `extract --ledger`), on one leak read whole, as a ratio to a blind reading measured in the same process. The leak is
// read with a key that did not mark it, so that every look a reading can end with is made and the candidates' joint
// test runs at each (it runs while the reference tile is not significant). Candidates: the bench's 20 issued IDs,
// then made-up ones. Each list is read `--runs` times, alternating with the blind reading; medians of CPU time.
// Standalone (not a part of run.mjs):
//   npm run build && node bench/candidates-cost.mjs --input LEAK [--size 640x360] [--frames 240] [--counts 20,1000,5000,20000] [--runs 3]
import { parseArgs } from 'node:util';
import { keyFromSecret, readFrames, WatermarkDetector } from '../packages/core/dist/index.js';
import { ISSUED_IDS } from './lib/common.mjs';

const { values } = parseArgs({
  options: {
    input: { type: 'string' }, size: { type: 'string', default: '640x360' }, frames: { type: 'string', default: '240' },
    counts: { type: 'string', default: '20,1000,5000,20000' }, runs: { type: 'string', default: '3' },
  },
});
if (!values.input) {
  console.error('usage: node bench/candidates-cost.mjs --input LEAK [--size WxH] [--frames N] [--counts K,K,...] [--runs N]');
  process.exit(2);
}
const [width, height] = values.size.split('x').map(Number);
const frames = [];
for await (const f of readFrames(values.input, { lumaOnly: true, width, height, maxFrames: Number(values.frames) })) {
  const y = f.planes[0];
  frames.push({ plane: { data: y.data.slice(), width: y.width, height: y.height, stride: y.stride, bitDepth: f.bitDepth }, pts: f.pts });
}
const key = keyFromSecret(new Uint8Array(32).fill(11)); // marked nothing
const listOf = (count) => [...ISSUED_IDS, ...Array.from({ length: Math.max(0, count - ISSUED_IDS.length) }, (_, i) => 5_000_000n + 7919n * BigInt(i))].slice(0, count);

/** CPU ms per frame of one whole reading (the final looks included). */
function reading(candidates) {
  const detector = new WatermarkDetector({ key, inputWidth: width, inputHeight: height, ...(candidates ? { candidates } : {}) });
  const c0 = process.cpuUsage();
  for (const f of frames) detector.addFrame(f.plane, f.pts);
  detector.result();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / frames.length;
}
const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
reading(null); // warm-up
console.log(`${values.input}: ${frames.length} frames at ${width}x${height}, read with a key that did not mark it`);
for (const count of values.counts.split(',').map(Number)) {
  const candidates = listOf(count);
  const blind = [];
  const listed = [];
  for (let run = 0; run < Number(values.runs); run++) {
    blind.push(reading(null));
    listed.push(reading(candidates));
  }
  const [b, l] = [median(blind), median(listed)];
  console.log(`${String(count).padStart(6)} candidates: ${l.toFixed(2)} ms CPU per frame, blind ${b.toFixed(2)}: ${(l / b).toFixed(2)}x`);
}
