// Mark one master for three partners, leak one copy (re-encode, downscale, crop, trim), and find who leaked it.
//
//   npm run example        (builds the packages, then runs this file)
//   node examples/mark-and-trace.mjs
import { join } from 'node:path';
import { addPartner, createKey, embedBatch, extractVideo, loadKey, loadRegistry, saveKey } from '@reelmark/core';
import { ffmpeg, makeMaster, printVerdict, workDir } from './_shared.mjs';

const dir = await workDir('example');
console.log(`working in ${dir}`);

// 1. A studio key (kept secret: mode 0600, never overwritten) and a registry of partners.
const keyFile = join(dir, 'studio.key');
await saveKey(createKey(), keyFile);
const key = await loadKey(keyFile);
const registryFile = join(dir, 'partners.json');
for (const name of ['acme-vfx', 'zeta-post', 'northern-dub']) await addPartner(registryFile, { name });
const registry = await loadRegistry(registryFile);
console.log(`key ${key.id}; partners: ${registry.partners.map((p) => `${p.name}=${p.id}`).join(', ')}`);

// 2. The master, marked for every partner with one decode.
const master = join(dir, 'master.mp4');
await makeMaster(master, 3);
const batch = await embedBatch({
  input: master,
  key,
  outDir: dir,
  recipients: registry.partners.map((p) => ({ id: p.id, name: p.name })),
  crf: 16,
  preset: 'veryfast', // a quick demo; deliveries would keep the default (the source's codec at CRF 16, preset medium)
});
for (const out of batch.outputs) console.log(`marked ${out.output}: ID ${out.id}, luma PSNR ${out.psnr.toFixed(1)} dB`);
console.log(`batch of ${batch.outputs.length}: ${batch.frames} frames decoded once, ${batch.seconds.toFixed(1)} s`);

// 3. zeta-post's copy leaks: 1 s trimmed off the start, 5% cropped per side, downscaled to 854x480, H.264 CRF 28.
const leaked = batch.outputs.find((o) => o.name === 'zeta-post').output;
const leak = join(dir, 'leak.mp4');
await ffmpeg(['-ss', '1', '-i', leaked, '-t', '2', '-vf', 'crop=iw*0.9:ih*0.9,scale=854:480', '-c:v', 'libx264', '-crf', '28', '-preset', 'veryfast', '-c:a', 'aac', leak]);

// 4. The investigation: blind (no master needed), scored against the partners actually issued.
const detection = await extractVideo({ input: leak, key, partners: registry });
printVerdict('leak.mp4', detection);
console.log(JSON.stringify(detection, null, 2).split('\n').slice(0, 12).join('\n') + '\n  ...');

// 5. The unmarked master is not accused.
printVerdict('master.mp4 (unmarked)', await extractVideo({ input: master, key, partners: registry, maxSeconds: 2 }));
process.exitCode = detection.found && detection.partner === 'zeta-post' ? 0 : 1;
