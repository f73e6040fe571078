import { defineCommand } from 'citty';
import { DEFAULT_REGISTRY_PATH, addPartner, loadRegistry } from '@reelmark/core';
import { EXIT, writeLine } from '../context.js';
import type { CliContext } from '../context.js';
import { idFlag } from './shared.js';

const registryArg = {
  type: 'string',
  alias: 'r',
  default: DEFAULT_REGISTRY_PATH,
  valueHint: 'FILE',
  description: 'Partner registry file',
} as const;

const addCommand = defineCommand({
  meta: {
    name: 'add',
    description: 'Add a partner; unless --id is given, the ID is one more than the highest in use (from 1), or the lowest free one once the highest possible ID is taken',
  },
  args: {
    name: { type: 'positional', required: true, description: 'Partner name: letters, digits, ".", "_", "-" (names batch outputs)' },
    id: { type: 'string', valueHint: 'N', description: 'Use this ID (decimal, 0 .. 2^48-1) instead of the next free one' },
    registry: registryArg,
    json: { type: 'boolean', description: 'Print the new partner as JSON' },
  },
  async run({ args, data }) {
    const context = data as CliContext;
    const id = args.id === undefined ? undefined : idFlag(args.id, '--id');
    const partner = await addPartner(args.registry, { name: args.name, id });
    if (args.json) writeLine(context.stdout, JSON.stringify({ name: partner.name, id: partner.id.toString(), added: partner.added }));
    else writeLine(context.stdout, `added partner ${partner.name} with ID ${partner.id} to ${args.registry}`);
    return EXIT.OK;
  },
});

const listCommand = defineCommand({
  meta: { name: 'list', description: 'List partners and their IDs' },
  args: {
    registry: registryArg,
    json: { type: 'boolean', description: 'Print [{"name","id","added"}] as JSON' },
  },
  async run({ args, data }) {
    const context = data as CliContext;
    const registry = await loadRegistry(args.registry);
    const rows = registry.partners.map((p) => ({ name: p.name, id: p.id.toString(), added: p.added }));
    if (args.json) {
      writeLine(context.stdout, JSON.stringify(rows));
      return EXIT.OK;
    }
    if (rows.length === 0) {
      writeLine(context.stdout, `no partners in ${args.registry}`);
      return EXIT.OK;
    }
    const nameWidth = Math.max(4, ...rows.map((r) => r.name.length));
    const idWidth = Math.max(2, ...rows.map((r) => r.id.length));
    writeLine(context.stdout, `${'NAME'.padEnd(nameWidth)}  ${'ID'.padStart(idWidth)}  ADDED`);
    for (const row of rows) writeLine(context.stdout, `${row.name.padEnd(nameWidth)}  ${row.id.padStart(idWidth)}  ${row.added}`);
    return EXIT.OK;
  },
});

/** `reelmark partner add|list`: the registry of recipients (names to IDs). */
export const partnerCommand = defineCommand({
  meta: { name: 'partner', description: 'Manage the partner registry (names to watermark IDs)' },
  subCommands: { add: addCommand, list: listCommand },
});
