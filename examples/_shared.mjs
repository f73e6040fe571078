// Helpers shared by the examples: a work folder and a textured test master made with the ffmpeg reelmark uses.
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFfmpeg } from '@reelmark/core';

/** A fresh folder for this run's files. */
export async function workDir(name) {
  return mkdtemp(join(tmpdir(), `reelmark-${name}-`));
}

/** Run the ffmpeg that reelmark resolved (bundled from npm unless FFMPEG_PATH says otherwise). */
export async function ffmpeg(args) {
  const { ffmpeg: bin } = await resolveFfmpeg();
  await new Promise((resolve, reject) => {
    const child = spawn(bin.path, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg failed (${code}): ${stderr}`))));
  });
}

/** A master to mark: `seconds` of 1280x720 24 fps texture (testsrc2 over a mandelbrot zoom, film grain), with sound. */
export async function makeMaster(path, seconds = 4) {
  await ffmpeg([
    '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=24:duration=${seconds}`,
    '-f', 'lavfi', '-i', 'mandelbrot=size=1280x720:rate=24',
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    '-filter_complex', '[0:v][1:v]blend=all_mode=average,noise=alls=10:allf=t,format=yuv420p[v]',
    '-map', '[v]', '-map', '2:a', '-t', String(seconds),
    '-c:v', 'libx264', '-crf', '14', '-preset', 'veryfast', '-c:a', 'aac', path,
  ]);
}

/** Print a verdict the way an investigator reads it. */
export function printVerdict(label, detection) {
  const p = detection.falseAlarmProbability.toExponential(1);
  if (detection.found) {
    console.log(`${label}: FOUND ID ${detection.id} (${detection.partner ?? 'no partner name'}), false-accusation probability ${p}`);
  } else {
    console.log(`${label}: NOT FOUND (best false-alarm probability ${p})`);
  }
  const seconds = detection.input.kind === 'image' ? ' (a still)' : `, ${detection.secondsAnalyzed.toFixed(2)} s of the input`;
  console.log(`  analysed ${detection.framesAnalyzed} frame(s)${seconds}${detection.stoppedEarly ? ', stopped early: verdict certain' : ''}`);
}
