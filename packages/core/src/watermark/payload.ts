/**
 * Payload coding: a 48-bit ID becomes five 14-bit shift symbols, one per payload tile.
 *
 * The 70-bit codeword is a keyed pseudo-random permutation (an 8-round Feistel network whose round function is
 * HMAC-SHA-256 under a key-derived sub-key) of the ID followed by CHECK_BITS zero bits. Two consequences:
 * - every symbol depends on every ID bit, so two different IDs agree on a given tile's shift only by chance
 *   (probability 2^-14 per tile): recipients with nearby IDs do not share most of their mark;
 * - decoding noise gives a valid ID only when the 22 check bits all come out zero: probability 2^-22.
 */
import { createHmac } from 'node:crypto';
import { UsageError } from '../errors.js';
import { deriveSubkey, type WatermarkKey } from './key.js';
import { AXIS_BITS, CELLS, PAYLOAD_TILES, type Shift } from './pattern.js';

/** Bits of the recipient ID carried by the mark. */
export const ID_BITS = 48;
/** Largest ID the payload holds: 2^48 - 1. */
export const MAX_ID = (1n << BigInt(ID_BITS)) - 1n;
/** Redundancy bits checked on decoding. */
export const CHECK_BITS = 22;
/** Bits per payload tile symbol (one cyclic 2D shift). */
export const SYMBOL_BITS = 2 * AXIS_BITS;

const CODE_BITS = PAYLOAD_TILES * SYMBOL_BITS; // 70
const HALF_BITS = CODE_BITS / 2; // 35
const HALF_MASK = (1n << BigInt(HALF_BITS)) - 1n;
const ROUNDS = 8;

/**
 * Parses an ID given as a decimal string, a safe integer or a bigint. Throws `UsageError` naming what was received
 * when it is not an integer in 0..MAX_ID.
 */
export function parseId(value: string | number | bigint): bigint {
  let id: bigint | undefined;
  if (typeof value === 'bigint') id = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) id = BigInt(value);
  else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) id = BigInt(value.trim());
  if (id === undefined || id < 0n || id > MAX_ID) {
    throw new UsageError(`Expected an ID: an integer from 0 to ${MAX_ID} (${ID_BITS} bits) but received ${JSON.stringify(String(value))}`);
  }
  return id;
}

class FeistelCipher {
  private readonly subkey: Buffer;
  constructor(key: WatermarkKey) {
    this.subkey = deriveSubkey(key, 'payload/feistel');
  }

  private round(r: number, half: bigint): bigint {
    const msg = Buffer.alloc(9);
    msg[0] = r;
    msg.writeBigUInt64BE(half, 1);
    const digest = createHmac('sha256', this.subkey).update(msg).digest();
    return digest.readBigUInt64BE(0) & HALF_MASK;
  }

  encrypt(block: bigint): bigint {
    let left = block >> BigInt(HALF_BITS);
    let right = block & HALF_MASK;
    for (let r = 0; r < ROUNDS; r++) {
      const next = left ^ this.round(r, right);
      left = right;
      right = next;
    }
    return (left << BigInt(HALF_BITS)) | right;
  }

  /**
   * The block that `encrypt` maps to `block`, or null as soon as its low `checkBits` are known not to be zero: they
   * are the low bits of the right half, fixed one round before the end, so an invalid codeword (nearly every one the
   * list decoder tries) costs one HMAC fewer.
   */
  decryptChecked(block: bigint, checkBits: number): bigint | null {
    const checkMask = (1n << BigInt(checkBits)) - 1n;
    let left = block >> BigInt(HALF_BITS);
    let right = block & HALF_MASK;
    for (let r = ROUNDS - 1; r >= 0; r--) {
      const prev = right ^ this.round(r, left);
      right = left;
      left = prev;
      // After round 1, `left` becomes the final right half.
      if (r === 1 && (left & checkMask) !== 0n) return null;
    }
    return (left << BigInt(HALF_BITS)) | right;
  }
}

const ciphers = new WeakMap<WatermarkKey, FeistelCipher>();
function cipherFor(key: WatermarkKey): FeistelCipher {
  let cipher = ciphers.get(key);
  if (!cipher) {
    cipher = new FeistelCipher(key);
    ciphers.set(key, cipher);
  }
  return cipher;
}

/** The payload tiles' shifts that carry `id` under `key`. */
export function encodeId(key: WatermarkKey, id: bigint): Shift[] {
  if (id < 0n || id > MAX_ID) throw new UsageError(`Expected an ID from 0 to ${MAX_ID} but received ${id}`);
  const codeword = cipherFor(key).encrypt(id << BigInt(CHECK_BITS));
  const shifts: Shift[] = [];
  for (let t = 0; t < PAYLOAD_TILES; t++) {
    const symbol = Number((codeword >> BigInt(t * SYMBOL_BITS)) & BigInt((1 << SYMBOL_BITS) - 1));
    shifts.push({ dx: symbol % CELLS, dy: Math.floor(symbol / CELLS) });
  }
  return shifts;
}

/** The ID carried by `shifts`, or null when the check bits do not verify (noise, wrong key, a wrong symbol). */
export function decodeShifts(key: WatermarkKey, shifts: readonly Shift[]): bigint | null {
  if (shifts.length !== PAYLOAD_TILES) return null;
  let codeword = 0n;
  for (let t = 0; t < PAYLOAD_TILES; t++) {
    const { dx, dy } = shifts[t];
    const symbol = (((dy % CELLS) + CELLS) % CELLS) * CELLS + (((dx % CELLS) + CELLS) % CELLS);
    codeword |= BigInt(symbol) << BigInt(t * SYMBOL_BITS);
  }
  const block = cipherFor(key).decryptChecked(codeword, CHECK_BITS);
  if (block === null || (block & ((1n << BigInt(CHECK_BITS)) - 1n)) !== 0n) return null;
  return block >> BigInt(CHECK_BITS);
}
