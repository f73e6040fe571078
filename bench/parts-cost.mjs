#!/usr/bin/env node
// Detection cost of the windows of the reading that the detector scores among candidates (`part-windows.ts`), as a
// ratio to the same reading without them, both in one process, alternating (a shared machine's load weighs on each
// alike). The leak's luma is decoded once, at the detector's working size for its own size; each reading then adds
// every frame and asks for the verdict. Prints both verdicts' accused IDs (and where a part named one) and the
// median CPU ms per analysed frame of each. Standalone (not a part of run.mjs):
//   npm run build && node bench/parts-cost.mjs --input LEAK [--key K] [--ids ID,ID,...] [--runs 5]
// --key: the bench key number that marked the leak (default 0); --ids: the candidates (default: the bench's 20
// issued IDs, followed by any given).
import { parseArgs } from 'node:util';
import { probe, readFrames, WatermarkDetector } from '../packages/core/dist/index.js';
import { benchKeyAt, ISSUED_IDS } from './lib/common.mjs';

const { values } = parseArgs({
  options: { input: { type: 'string' }, key: { type: 'string', default: '0' }, ids: { type: 'string' }, runs: { type: 'string', default: '5' } },
});
if (!values.input) {
  console.error('usage: node bench/parts-cost.mjs --input LEAK [--key K] [--ids ID,ID,...] [--runs N]');
  process.exit(2);
}
const key = benchKeyAt(Number(values.key));
const candidates = [...(values.ids ? values.ids.split(',').map((s) => BigInt(s.trim())) : []), ...ISSUED_IDS].slice(0, 20);
const info = await probe(values.input);
const size = new WatermarkDetector({ key, candidates, inputWidth: info.width, inputHeight: info.height });
const frames = [];
for await (const f of readFrames(values.input, { lumaOnly: true, width: size.workingWidth, height: size.workingHeight })) {
  const y = f.planes[0];
  frames.push({ plane: { data: y.data.slice(), width: y.width, height: y.height, stride: y.stride, bitDepth: f.bitDepth }, pts: f.pts });
}
const cpu = { on: [], off: [] };
const verdicts = {};
for (let run = 0; run < Number(values.runs); run++) {
  for (const parts of run % 2 ? [true, false] : [false, true]) {
    const c0 = process.cpuUsage();
    const detector = new WatermarkDetector({ key, candidates, inputWidth: info.width, inputHeight: info.height, parts });
    for (const f of frames) detector.addFrame(f.plane, f.pts);
    const v = detector.result();
    const c = process.cpuUsage(c0);
    cpu[parts ? 'on' : 'off'].push((c.user + c.system) / 1000 / frames.length);
    verdicts[parts ? 'on' : 'off'] = v.candidates
      .filter((x) => x.accused)
      .map((x) => `${x.id} (z ${x.score.toFixed(1)}${x.part ? `, frames ${x.part.startFrame}-${x.part.endFrame}` : ''})`)
      .join(', ') || 'none';
  }
}
const median = (list) => list.slice().sort((a, b) => a - b)[list.length >> 1];
const [on, off] = [median(cpu.on), median(cpu.off)];
console.log(`${values.input}: ${frames.length} frames at ${size.workingWidth}x${size.workingHeight}, ${candidates.length} candidates, ${values.runs} runs each`);
console.log(`  without parts: ${off.toFixed(2)} ms per frame (${cpu.off.map((v) => v.toFixed(2)).join(', ')}); accused ${verdicts.off}`);
console.log(`  with parts:    ${on.toFixed(2)} ms per frame (${cpu.on.map((v) => v.toFixed(2)).join(', ')}); accused ${verdicts.on}`);
console.log(`  ratio ${(on / off).toFixed(3)}`);
