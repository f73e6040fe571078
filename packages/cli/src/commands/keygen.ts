import { defineCommand } from 'citty';
import { createKey, saveKey } from '@reelmark/core';
import { EXIT, writeLine } from '../context.js';
import type { CliContext } from '../context.js';

/** `reelmark keygen -o studio.key`: a new 256-bit secret in a new key file (mode 0600, never overwritten). */
export const keygenCommand = defineCommand({
  meta: {
    name: 'keygen',
    description: 'Create a new 256-bit watermark key file (mode 0600; an existing file is never overwritten)',
  },
  args: {
    output: { type: 'string', alias: 'o', required: true, valueHint: 'FILE', description: 'Key file to create, e.g. studio.key' },
    json: { type: 'boolean', description: 'Print {"path","keyId"} as JSON' },
  },
  async run({ args, data }) {
    const context = data as CliContext;
    const key = createKey();
    await saveKey(key, args.output);
    if (args.json) writeLine(context.stdout, JSON.stringify({ path: args.output, keyId: key.id }));
    else writeLine(context.stdout, `wrote ${args.output} (key id ${key.id}); keep it secret and back it up`);
    return EXIT.OK;
  },
});
