#!/usr/bin/env node
/**
 * Helper of media-bench.mjs: runs one media operation in a fresh process and prints its peak RSS as JSON.
 *   node bench/media-rss-child.mjs read|transform <input>
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';

import { readFrames, transformVideo } from '../packages/core/dist/index.js';

const [mode, input] = process.argv.slice(2);
let frames = 0;
if (mode === 'read') {
  for await (const f of readFrames(input, { reuseBuffers: true })) {
    frames++;
    void f;
  }
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
// maxRSS is in kilobytes.
process.stdout.write(JSON.stringify({ frames, peakRssMB: process.resourceUsage().maxRSS / 1024 }));
