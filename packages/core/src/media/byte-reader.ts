/**
 * Exact-size reads from a Readable (an ffmpeg stdout pipe) with bounded buffering.
 *
 * Chunks are queued as they arrive and copied once, straight into the caller's frame buffer. The stream is paused
 * while more than `highWaterBytes` are queued, so a fast decoder never fills memory ahead of a slow consumer.
 */
import type { Readable } from 'node:stream';

export class ByteReader {
  private readonly chunks: Buffer[] = [];
  /** Read position inside chunks[0]. */
  private head = 0;
  private queued = 0;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private paused = false;
  /** The waiting reader is woken only once this many bytes are available (one wake per frame, not per chunk). */
  private wanted = 0;
  /** Total bytes consumed so far. */
  position = 0;

  constructor(
    private readonly stream: Readable,
    private highWaterBytes: number,
  ) {
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.queued += chunk.length;
      const available = this.available;
      if (available >= this.highWaterBytes && !this.paused) {
        this.paused = true;
        stream.pause();
      }
      if (available >= this.wanted) this.notify();
    });
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('close', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('error', (err: Error) => {
      this.failure = err;
      this.notify();
    });
  }

  /** Raises the read-ahead limit (e.g. to two frames once the frame size is known). */
  setHighWater(bytes: number): void {
    this.highWaterBytes = Math.max(this.highWaterBytes, bytes);
    this.maybeResume();
  }

  /** Bytes queued and not yet consumed. */
  get available(): number {
    return this.queued - this.head;
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private maybeResume(): void {
    if (this.paused && this.available < this.highWaterBytes) {
      this.paused = false;
      this.stream.resume();
    }
  }

  /** Waits until at least `n` bytes are available; false when the stream ended first. */
  async ensure(n: number): Promise<boolean> {
    while (this.available < n) {
      if (this.failure) throw this.failure;
      if (this.ended) return false;
      this.wanted = Math.min(n, this.highWaterBytes);
      this.maybeResume();
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.wanted = 0;
    return true;
  }

  /** Next byte, or -1 at end of stream. */
  async u8(): Promise<number> {
    if (this.available < 1 && !(await this.ensure(1))) return -1;
    return this.takeByte();
  }

  private takeByte(): number {
    const chunk = this.chunks[0];
    const b = chunk[this.head++];
    this.position++;
    if (this.head === chunk.length) this.dropHead();
    return b;
  }

  private dropHead(): void {
    this.queued -= this.chunks[0].length;
    this.chunks.shift();
    this.head = 0;
    this.maybeResume();
  }

  /** Reads exactly `n` bytes into `target` at `offset`; false if the stream ended first (target partly filled). */
  async readInto(target: Uint8Array, n: number, offset = 0): Promise<boolean> {
    let done = 0;
    while (done < n) {
      // Wait for the whole remainder at once (bounded by the read-ahead limit), not chunk by chunk.
      if (this.available === 0 && !(await this.ensure(Math.min(n - done, this.highWaterBytes)))) {
        if (this.available === 0) return false;
      }
      const chunk = this.chunks[0];
      const take = Math.min(n - done, chunk.length - this.head);
      target.set(chunk.subarray(this.head, this.head + take), offset + done);
      this.head += take;
      this.position += take;
      done += take;
      if (this.head === chunk.length) this.dropHead();
    }
    return true;
  }

  /** Reads exactly `n` bytes into a new Buffer; throws if the stream ends first. */
  async read(n: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(n);
    if (!(await this.readInto(out, n))) throw new Error(`unexpected end of stream (wanted ${n} bytes)`);
    return out;
  }

  /** Discards `n` bytes; false if the stream ended first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.available === 0 && !(await this.ensure(1))) return false;
      const chunk = this.chunks[0];
      const take = Math.min(left, chunk.length - this.head);
      this.head += take;
      this.position += take;
      left -= take;
      if (this.head === chunk.length) this.dropHead();
    }
    return true;
  }

  /** Stops reading and lets the stream go (the producer is being killed). */
  release(): void {
    this.chunks.length = 0;
    this.head = 0;
    this.queued = 0;
    this.stream.resume();
    this.ended = true;
    this.notify();
  }
}
