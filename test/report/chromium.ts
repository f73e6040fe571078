/**
 * Headless Chromium for rendering the HTML report in tests: Debian's `chromium` package, installed by the test
 * set-up when missing (as root, with apt-get, time-limited so that it cannot hang CI), or a clear reason to skip.
 */
import { spawn } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where Debian's package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';
/** Time limit of each apt-get step of the install, ms. */
const INSTALL_STEP_MS = 240_000;

export type ChromiumSetup = { path: string; installed: boolean } | { skip: string };

async function exists(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Run a command with a time limit; resolves to its exit code (null when killed) and the tail of its output. */
function runLimited(command: string, args: readonly string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; tail: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, tail: error.message, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, tail, timedOut });
    });
  });
}

/** The browser, installing it first where that is possible; otherwise why the rendering tests are skipped. */
export async function ensureChromium(): Promise<ChromiumSetup> {
  if (await exists(CHROMIUM)) return { path: CHROMIUM, installed: false };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { skip: `${CHROMIUM} is missing and the tests do not run as root to install it (apt-get install -y chromium)` };
  }
  if (!(await exists('/usr/bin/apt-get'))) return { skip: `${CHROMIUM} is missing and there is no apt-get to install it with` };
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const update = await runLimited('apt-get', ['update'], INSTALL_STEP_MS, env);
  if (update.code !== 0) {
    return { skip: `apt-get update failed${update.timedOut ? ` (no answer within ${INSTALL_STEP_MS / 1000} s)` : ''}: ${update.tail.trim().split('\n').slice(-3).join(' | ')}` };
  }
  const install = await runLimited('apt-get', ['install', '-y', 'chromium'], INSTALL_STEP_MS, env);
  if (install.code !== 0 || !(await exists(CHROMIUM))) {
    return {
      skip: `apt-get install chromium failed${install.timedOut ? ` (not done within ${INSTALL_STEP_MS / 1000} s)` : ''}: ${install.tail.trim().split('\n').slice(-3).join(' | ')}`,
    };
  }
  return { path: CHROMIUM, installed: true };
}

/** Flags that keep headless Chromium off the network (its background requests are refused here) and out of $HOME. */
function baseArgs(profile: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
  ];
}

async function withProfile<T>(fn: (profile: string) => Promise<T>): Promise<T> {
  const profile = await mkdtemp(join(tmpdir(), 'reelmark-chromium-'));
  try {
    return await fn(profile);
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** The DOM of `htmlFile` after Chromium has loaded and laid it out. */
export function dumpDom(chromium: string, htmlFile: string): Promise<string> {
  return withProfile(async (profile) => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(chromium, [...baseArgs(profile), '--dump-dom', pathToFileURL(htmlFile).href], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-4000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    if (result.code !== 0) throw new Error(`chromium --dump-dom exited ${result.code}:\n${result.stderr}`);
    return result.stdout;
  });
}

/** A PNG screenshot of `htmlFile` at `width` x `height` CSS pixels. */
export function screenshot(chromium: string, htmlFile: string, png: string, width = 1200, height = 2000): Promise<void> {
  return withProfile(async (profile) => {
    const result = await runLimited(chromium, [...baseArgs(profile), `--screenshot=${png}`, `--window-size=${width},${height}`, pathToFileURL(htmlFile).href], 60_000);
    if (result.code !== 0) throw new Error(`chromium --screenshot exited ${result.code}:\n${result.tail}`);
  });
}
