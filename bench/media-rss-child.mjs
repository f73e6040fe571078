#!/usr/bin/env node
/**
 * Helper of media-bench.mjs and speed.mjs: runs one operation in a fresh process and prints its peak RSS as JSON.
 *   node bench/media-rss-child.mjs read|transform|embed|extract <input>
 * `read` and `transform` exercise the media layer alone (transform with a stand-in that touches every luma sample);
 * `embed` marks the input with the public embedVideo (x264 ultrafast), `extract` reads all of it with extractVideo.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';

import { embedVideo, extractVideo, keyFromSecret, readFrames, transformVideo } from '../packages/core/dist/index.js';

const [mode, input] = process.argv.slice(2);
let frames = 0;
const key = keyFromSecret(new Uint8Array(32).fill(7));
if (mode === 'read') {
  for await (const f of readFrames(input, { reuseBuffers: true })) {
    frames++;
    void f;
  }
} else if (mode === 'embed') {
  const out = path.join(path.dirname(input), `rss-embed-${process.pid}.mp4`);
  const r = await embedVideo({ input, output: out, key, id: 12345n, preset: 'ultrafast', overwrite: true });
  frames = r.frames;
  await rm(out, { force: true });
} else if (mode === 'extract') {
  const d = await extractVideo({ input, key, fullScan: true });
  frames = d.framesAnalyzed;
} else {
  const out = path.join(path.dirname(input), `rss-${process.pid}.mp4`);
  const r = await transformVideo(
    input,
    out,
    (f) => {
      // A stand-in for the embedder: touch every luma sample.
      const y = f.planes[0].data;
      for (let i = 0; i < y.length; i += 64) y[i] ^= 1;
    },
    { preset: 'ultrafast', overwrite: true },
  );
  frames = r.frames;
  await rm(out, { force: true });
}
// Peak RSS of this process: VmHWM from /proc (kB). getrusage's maxRSS is not used: Linux carries it over exec from
// the parent at fork time, so a child of a big process (the bench runner) would report the parent's peak.
let peakKb = process.resourceUsage().maxRSS;
try {
  const status = readFileSync('/proc/self/status', 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  if (m) peakKb = Number(m[1]);
} catch {
  // not Linux: maxRSS
}
process.stdout.write(JSON.stringify({ frames, peakRssMB: peakKb / 1024 }));
