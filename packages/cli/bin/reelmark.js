#!/usr/bin/env node
// The `reelmark` executable. It exists before the build (so that `npm ci` links it); the CLI itself is dist/cli.js.
import '../dist/cli.js';
