/**
 * Named error classes shared by every layer of reelmark.
 *
 * Each carries a stable `code` so that callers (and the CLI, which maps them to exit codes) can branch on
 * `instanceof` or on the code without parsing messages. Messages name the file and the problem.
 */

/** Base class of every error reelmark throws on purpose. */
export class ReelmarkError extends Error {
  /** Stable machine-readable code, e.g. `ERR_INPUT`. */
  readonly code: string;
  constructor(message: string, code = 'ERR_REELMARK', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad options or arguments passed to an API call (a programming or usage error). */
export class UsageError extends ReelmarkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_USAGE', options);
  }
}

/** The input file is missing, unreadable, empty, truncated, not media, or has no video stream. */
export class InputError extends ReelmarkError {
  readonly path: string | undefined;
  constructor(message: string, path?: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.code ?? 'ERR_INPUT', options);
    this.path = path;
  }
}

/** The input's pixel format cannot be handled. */
export class UnsupportedPixelFormatError extends InputError {
  readonly pixelFormat: string;
  constructor(path: string, pixelFormat: string) {
    super(`${path}: unsupported pixel format '${pixelFormat}'`, path, { code: 'ERR_PIXEL_FORMAT' });
    this.pixelFormat = pixelFormat;
  }
}

/**
 * The output path is not acceptable: it exists (without `overwrite`), equals the input, its folder is missing, or its
 * extension names a format that reelmark does not write or that cannot hold what would be written
 * (`ERR_OUTPUT_FORMAT`).
 */
export class OutputError extends ReelmarkError {
  readonly path: string;
  constructor(message: string, path: string, code = 'ERR_OUTPUT') {
    super(message, code);
    this.path = path;
  }
}

/** A key file is missing, corrupt, of an unknown version, or the key is otherwise unusable. */
export class KeyError extends ReelmarkError {
  readonly path: string | undefined;
  constructor(message: string, path?: string) {
    super(message, 'ERR_KEY');
    this.path = path;
  }
}

/** ffmpeg or ffprobe could not be found or started. */
export class FfmpegNotFoundError extends ReelmarkError {
  constructor(message: string) {
    super(message, 'ERR_FFMPEG_NOT_FOUND');
  }
}

/** ffmpeg or ffprobe exited with an error; `stderrTail` holds the last lines it printed. */
export class FfmpegError extends ReelmarkError {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;
  constructor(message: string, exitCode: number | null, signal: string | null, stderrTail: string) {
    super(stderrTail ? `${message}\n${stderrTail}` : message, 'ERR_FFMPEG');
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail;
  }
}

/** The operation was cancelled through its `AbortSignal`. */
export class AbortError extends ReelmarkError {
  constructor(message = 'The operation was aborted') {
    super(message, 'ABORT_ERR');
  }
}

/** A partner registry file is missing, corrupt, or the requested change would break it (duplicate name or ID). */
export class RegistryError extends ReelmarkError {
  readonly path: string;
  constructor(message: string, path: string, code = 'ERR_REGISTRY') {
    super(message, code);
    this.path = path;
  }
}
