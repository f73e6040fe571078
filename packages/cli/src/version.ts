/** The CLI's version, read from its package.json (one source of truth, also when installed from the registry). */
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** e.g. `0.1.0`. */
export const CLI_VERSION: string = manifest.version;
