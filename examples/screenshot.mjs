// A screenshot leaks: one frame of a marked delivery, downscaled to 960x540 and saved as JPEG quality 75.
// Find the ID from that single image. Then the same for a marked still (a poster frame).
//
//   node examples/screenshot.mjs      (after npm run build)
import { join } from 'node:path';
import { createKey, embedImage, embedVideo, extractImage } from '@reelmark/core';
import { ffmpeg, makeMaster, printVerdict, workDir } from './_shared.mjs';

const dir = await workDir('screenshot');
const key = createKey();
const partners = [
  { name: 'acme-vfx', id: 1n },
  { name: 'zeta-post', id: 2n },
];

// A delivery for acme-vfx, and a screenshot of its frame 30.
const master = join(dir, 'master.mp4');
const delivery = join(dir, 'acme-vfx.mp4');
await makeMaster(master, 2);
await embedVideo({ input: master, output: delivery, key, id: 1n, crf: 16, preset: 'veryfast' });
const shot = join(dir, 'screenshot.jpg');
await ffmpeg(['-i', delivery, '-vf', 'select=eq(n\\,30),scale=960:540', '-frames:v', '1', '-q:v', '5', shot]);
printVerdict('screenshot.jpg', await extractImage({ input: shot, key, partners }));

// A still image marked directly (png in, png out), then leaked as a smaller JPEG.
const poster = join(dir, 'poster.png');
const marked = join(dir, 'poster.zeta-post.png');
await ffmpeg(['-i', master, '-frames:v', '1', poster]);
const result = await embedImage({ input: poster, output: marked, key, id: 2n });
console.log(`marked ${marked}: luma PSNR ${result.psnr.toFixed(1)} dB`);
const posterLeak = join(dir, 'poster-leak.jpg');
await ffmpeg(['-i', marked, '-vf', 'scale=854:480', '-q:v', '5', posterLeak]);
printVerdict('poster-leak.jpg', await extractImage({ input: posterLeak, key, partners }));
console.log(`files in ${dir}`);
