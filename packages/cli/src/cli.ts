#!/usr/bin/env node
/**
 * The `reelmark` executable: the only place that touches the process. It wires Ctrl-C / SIGTERM to an AbortSignal
 * (so that embed and batch remove their partial output and stop ffmpeg before exiting), runs the CLI, and sets the
 * exit code. A second Ctrl-C exits at once (partial outputs are still removed, on the way out), unless it comes
 * within REPEAT_GRACE_MS of the first: GNU `timeout` and process supervisors signal the process and then its group,
 * and that one interruption must still get its orderly stop.
 */
import { runCli } from './main.js';

const REPEAT_GRACE_MS = 1000;
const controller = new AbortController();
let firstSignalAt: number | null = null;
const onSignal = (signal: NodeJS.Signals) => {
  if (firstSignalAt === null) {
    firstSignalAt = Date.now();
    controller.abort(new Error(`received ${signal}`));
    return;
  }
  if (Date.now() - firstSignalAt >= REPEAT_GRACE_MS) process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// `reelmark extract leak.mp4 | head -1`: a reader that goes away is not an error of ours; the exit code still says
// what was found.
const ignoreClosedPipe = (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
};
process.stdout.on('error', ignoreClosedPipe);
process.stderr.on('error', ignoreClosedPipe);

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stderrIsTTY: process.stderr.isTTY === true,
  signal: controller.signal,
  env: process.env,
});
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
