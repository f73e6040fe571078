/**
 * Recording deliveries in the ledger from embed and batch: the master is hashed while it is being decoded, the
 * outputs once they are complete, and one ledger append carries every output of the call. An output that cannot be
 * recorded is removed: a delivery is made and recorded, or not made at all.
 * @internal
 */
import { stat, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AbortError } from '../errors.js';
import { LedgerError, appendDeliveries, assertLedgerWritable, currentOperator, titleOf } from '../ledger.js';
import type { DeliveryRecord } from '../ledger.js';
import { resolveFfmpeg } from '../media/index.js';
import type { MediaInfo } from '../media/index.js';
import { VERSION_STRING, sha256File } from './common.js';

/** The ledger options of an embed or batch, checked. */
export interface LedgerSettings {
  /** Ledger to append to; undefined: record nothing. */
  ledger: string | undefined;
  operator: string | undefined;
  title: string | undefined;
}

/** One finished output to record. */
export interface FinishedOutput {
  output: string;
  id: bigint;
  partner: string | null;
  keyId: string;
  strength: number;
  frames: number;
  width: number;
  height: number;
}

/**
 * Records the outputs of one embed or batch call. Made before decoding starts (it checks that the ledger can be
 * written, so that a bad ledger path fails before any work) and starts hashing the master at once.
 */
export class DeliveryRecorder {
  readonly ledger: string;
  readonly #settings: LedgerSettings;
  readonly #input: string;
  readonly #stop = new AbortController();
  readonly #signal: AbortSignal;
  readonly #masterHash: Promise<string>;

  private constructor(ledger: string, settings: LedgerSettings, input: string, signal: AbortSignal | undefined) {
    this.ledger = ledger;
    this.#settings = settings;
    this.#input = input;
    this.#signal = signal ? AbortSignal.any([signal, this.#stop.signal]) : this.#stop.signal;
    this.#masterHash = sha256File(input, this.#signal);
    this.#masterHash.catch(() => undefined);
  }

  /**
   * A recorder when `settings.ledger` is set, else null. @throws LedgerError when the ledger cannot be written, or
   * is the master or one of the `outputs`.
   */
  static async start(settings: LedgerSettings, input: string, outputs: readonly string[], signal: AbortSignal | undefined): Promise<DeliveryRecorder | null> {
    if (settings.ledger === undefined) return null;
    await assertLedgerWritable(settings.ledger, [input, ...outputs]);
    return new DeliveryRecorder(settings.ledger, settings, input, signal);
  }

  /**
   * Hash the outputs and append one record per output, in one write. On any failure the outputs are removed and
   * the error is thrown (a LedgerError, or AbortError when interrupted).
   */
  async record(info: MediaInfo, outputs: readonly FinishedOutput[]): Promise<DeliveryRecord[]> {
    try {
      const [masterSha, ffmpeg, written] = await Promise.all([
        this.#masterHash,
        resolveFfmpeg().then((setup) => setup.ffmpeg.version),
        Promise.all(outputs.map(async (o) => ({ sha256: await sha256File(o.output, this.#signal), size: (await stat(o.output)).size }))),
      ]);
      const time = new Date().toISOString();
      const operator = this.#settings.operator ?? currentOperator();
      const master = { path: resolve(this.#input), sha256: masterSha, size: info.size };
      const records: DeliveryRecord[] = outputs.map((o, i) => ({
        time,
        id: o.id,
        partner: o.partner,
        title: this.#settings.title ?? titleOf(this.#input),
        master,
        output: { path: resolve(o.output), sha256: written[i].sha256, size: written[i].size },
        kind: info.kind,
        frames: o.frames,
        width: o.width,
        height: o.height,
        keyId: o.keyId,
        strength: o.strength,
        reelmark: VERSION_STRING,
        ffmpeg,
        operator,
      }));
      await appendDeliveries(this.ledger, records);
      return records;
    } catch (error) {
      await Promise.all(outputs.map((o) => rm(o.output, { force: true })));
      if (error instanceof AbortError || error instanceof LedgerError) {
        if (error instanceof LedgerError) error.message += `; ${outputs.length === 1 ? 'the output was' : 'the outputs were'} removed, since a delivery must be recorded`;
        throw error;
      }
      throw new LedgerError(
        `${this.ledger}: the delivery could not be recorded (${(error as Error).message}); ${outputs.length === 1 ? 'the output was' : 'the outputs were'} removed`,
        this.ledger,
        'ERR_LEDGER_UNWRITABLE',
        { cause: error },
      );
    }
  }

  /** Stop hashing the master (after the work, or when it failed). */
  stop(): void {
    this.#stop.abort();
  }
}
