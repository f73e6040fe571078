import { defineCommand } from 'citty';
import { resolveFfmpeg } from '@reelmark/core';
import { EXIT, writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { CLI_VERSION } from '../version.js';

const ENCODERS = ['libx264', 'libx265', 'prores_ks', 'ffv1', 'png', 'mjpeg', 'tiff'] as const;

/** `reelmark doctor`: which ffmpeg/ffprobe are used and from where, the encoders that matter, Node, warnings. */
export const doctorCommand = defineCommand({
  meta: { name: 'doctor', description: 'Show the ffmpeg and ffprobe in use, the encoders available, the Node version, and warnings' },
  args: {
    json: { type: 'boolean', description: 'Print {"ffmpeg","ffprobe","encoders","node","warnings"} as JSON' },
  },
  async run({ args, data }) {
    const context = data as CliContext;
    const found = await resolveFfmpeg();
    // The binary lists hundreds of encoders; these are the ones reelmark writes with.
    const encoders = Object.fromEntries(ENCODERS.map((name) => [name, found.encoders[name] === true]));
    const report = {
      ffmpeg: found.ffmpeg,
      ffprobe: found.ffprobe,
      encoders,
      node: process.version,
      reelmark: CLI_VERSION,
      warnings: found.warnings,
    };
    if (args.json) {
      writeLine(context.stdout, JSON.stringify(report, null, 2));
      return EXIT.OK;
    }
    const out = (label: string, value: string) => writeLine(context.stdout, `${label.padEnd(9)}${value}`);
    out('ffmpeg', `${found.ffmpeg.version}  ${found.ffmpeg.path}  (from ${found.ffmpeg.source})`);
    out('ffprobe', `${found.ffprobe.version}  ${found.ffprobe.path}  (from ${found.ffprobe.source})`);
    out('encoders', Object.entries(encoders).map(([name, ok]) => `${name} ${ok ? 'yes' : 'NO'}`).join(', '));
    out('node', process.version);
    out('reelmark', CLI_VERSION);
    if (found.warnings.length === 0) out('warnings', 'none');
    else for (const warning of found.warnings) out('warning', warning);
    return EXIT.OK;
  },
});
