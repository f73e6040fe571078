/**
 * The progress bar on stderr (cli-progress), drawn only when stderr is a terminal; when it is not, nothing is
 * printed until the final line, so logs of delivery pipelines stay clean.
 */
import { SingleBar } from 'cli-progress';
import type { CliContext } from './context.js';

/** Frames done out of an expected total (null when the total is unknown). */
export interface ProgressUpdate {
  readonly done: number;
  readonly total: number | null;
}

/** A progress sink: `update` on every report, `stop` once (also after a failure). */
export interface ProgressReporter {
  update(progress: ProgressUpdate): void;
  stop(): void;
}

const silent: ProgressReporter = { update() {}, stop() {} };

/**
 * A bar labelled `label` (e.g. 'embed') counting `unit`s, or a silent reporter when stderr is not a TTY or `quiet`.
 * Seconds are shown to 0.1 s.
 */
export function createProgress(context: CliContext, label: string, quiet = false, unit: 'frames' | 'seconds' = 'frames'): ProgressReporter {
  if (!context.stderrIsTTY || quiet) return silent;
  const bar = new SingleBar({
    stream: context.stderr,
    format:
      unit === 'frames'
        ? `${label} [{bar}] {percentage}% | {value}/{total} frames | {fps} fps | ETA {eta_formatted}`
        : `${label} [{bar}] {percentage}% | {value}/{total} s analysed | {fps} fps`,
    barCompleteChar: '=',
    barIncompleteChar: '-',
    hideCursor: true,
    clearOnComplete: true,
    fps: 10,
    etaBuffer: 30,
  });
  let started = false;
  let startedAt = 0;
  let frames = 0; // updates come once per frame
  return {
    update(progress) {
      const scale = unit === 'seconds' ? 10 : 1;
      const done = Math.round(progress.done * scale) / scale;
      const expected = progress.total === null ? Math.max(done, 1) : Math.round(progress.total * scale) / scale;
      if (!started) {
        started = true;
        startedAt = performance.now();
        bar.start(expected, 0, { fps: '-' });
      }
      if (bar.getTotal() !== expected) bar.setTotal(expected);
      const seconds = (performance.now() - startedAt) / 1000;
      frames++;
      bar.update(done, { fps: seconds > 0 ? (frames / seconds).toFixed(1) : '-' });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
