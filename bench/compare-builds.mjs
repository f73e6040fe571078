#!/usr/bin/env node
// Detection cost of two or more builds of the library, measured in one process with the builds alternating, so that
// the load of a shared machine weighs on each alike (separate quick speed runs on a 2-core machine differ by up to
// 1.7x on code no change touched). Each build is a `packages/core/dist` directory, e.g. of a `git worktree` at another
// commit (build it there with `npx tsc -p packages/core`). Also checks that the builds give the same verdict, to the
// bit (the verdict's whole JSON). Standalone (not a part of run.mjs):
//   node bench/compare-builds.mjs --input LEAK [--size 640x360] [--frames 96] [--candidates 20] [--runs 7] [--key marked|other] DIST...
// --key other (default) reads with a key that did not mark the input (every look a reading can end with is made);
// --key marked reads with the bench key. Prints the median CPU ms per frame of each build, with every run's figure.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { benchSecret, ISSUED_IDS } from './lib/common.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    input: { type: 'string' }, size: { type: 'string', default: '640x360' }, frames: { type: 'string', default: '96' },
    candidates: { type: 'string', default: '20' }, runs: { type: 'string', default: '7' }, key: { type: 'string', default: 'other' },
  },
});
if (!values.input || positionals.length < 2) {
  console.error('usage: node bench/compare-builds.mjs --input LEAK [--size WxH] [--frames N] [--candidates K] [--runs N] [--key marked|other] DIST DIST...');
  process.exit(2);
}
const [width, height] = values.size.split('x').map(Number);
const frameCount = Number(values.frames);
const candidates = ISSUED_IDS.slice(0, Number(values.candidates));
const builds = await Promise.all(positionals.map(async (dir) => ({ dir, lib: await import(pathToFileURL(path.resolve(dir, 'index.js')).href), cpu: [] })));
const frames = [];
for await (const f of builds[0].lib.readFrames(values.input, { lumaOnly: true, width, height, maxFrames: frameCount })) {
  const y = f.planes[0];
  frames.push({ plane: { data: y.data.slice(), width: y.width, height: y.height, stride: y.stride, bitDepth: f.bitDepth }, pts: f.pts });
}
const verdicts = new Set();
for (let run = 0; run < Number(values.runs); run++) {
  for (const build of run % 2 ? builds : builds.slice().reverse()) {
    const { WatermarkDetector, keyFromSecret } = build.lib;
    // Each build derives the key from the same secret: the bench key's or one that marked nothing.
    const key = keyFromSecret(values.key === 'marked' ? benchSecret() : new Uint8Array(32).fill(11));
    const detector = new WatermarkDetector({ key, inputWidth: width, inputHeight: height, ...(candidates.length ? { candidates } : {}) });
    const c0 = process.cpuUsage();
    for (let i = 0; i < frameCount; i++) detector.addFrame(frames[i % frames.length].plane, i / 24);
    const verdict = detector.result();
    const c = process.cpuUsage(c0);
    build.cpu.push((c.user + c.system) / 1000 / frameCount);
    verdicts.add(JSON.stringify(verdict, (_, x) => (typeof x === 'bigint' ? String(x) : x)));
  }
}
const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
for (const b of builds) console.log(`${b.dir}: ${median(b.cpu).toFixed(2)} ms CPU per frame over ${frameCount} frames (median of ${b.cpu.length}: ${b.cpu.map((x) => x.toFixed(2)).join(' ')})`);
console.log(verdicts.size === 1 ? 'verdicts: identical' : `verdicts: ${verdicts.size} different`);
