/**
 * The watermark key: a 256-bit secret from which every pattern and the payload scrambling are derived with keyed
 * cryptographic functions, and its public fingerprint (key id).
 */
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { KeyError } from '../errors.js';

/** A reelmark watermark key. The secret never leaves the process; reports show only `id`. */
export interface WatermarkKey {
  /** 32 secret bytes. */
  readonly secret: Uint8Array;
  /** Public fingerprint: 16 hex digits of SHA-256 over a domain label and the secret. */
  readonly id: string;
}

/** Number of secret bytes in a key. */
export const KEY_BYTES = 32;

/** A fresh random 256-bit key from the operating system's CSPRNG. */
export function createKey(): WatermarkKey {
  return keyFromSecret(randomBytes(KEY_BYTES));
}

/** Wraps 32 secret bytes as a key. Throws `KeyError` for any other length. */
export function keyFromSecret(secret: Uint8Array): WatermarkKey {
  if (!(secret instanceof Uint8Array) || secret.length !== KEY_BYTES) {
    const got = secret instanceof Uint8Array ? `${secret.length} bytes` : typeof secret;
    throw new KeyError(`Expected a ${KEY_BYTES}-byte key secret but received ${got}`);
  }
  const copy = Uint8Array.from(secret);
  return Object.freeze({ secret: copy, id: keyIdOf(copy) });
}

/** Whether `value` is a key as createKey, keyFromSecret and loadKey make it: 32 secret bytes and a key id string. */
export function isWatermarkKey(value: unknown): value is WatermarkKey {
  const key = value as WatermarkKey | null;
  return key !== null && typeof key === 'object' && key.secret instanceof Uint8Array && key.secret.length === KEY_BYTES && typeof key.id === 'string';
}

function keyIdOf(secret: Uint8Array): string {
  return createHash('sha256').update('reelmark/key-id/v1\0').update(secret).digest('hex').slice(0, 16);
}

/** HMAC-SHA-256 of `label` (and optional extra bytes) under the key: a 32-byte sub-key for one purpose. */
export function deriveSubkey(key: WatermarkKey, label: string, extra?: Uint8Array): Buffer {
  const mac = createHmac('sha256', key.secret).update(`reelmark/v1/${label}\0`);
  if (extra) mac.update(extra);
  return mac.digest();
}

/**
 * `byteLength` pseudo-random bytes for `label`: AES-256-CTR keyed by an HMAC-derived sub-key, so that without the
 * key the stream can be neither predicted nor recognised, and different labels give independent streams.
 */
export function keyStream(key: WatermarkKey, label: string, byteLength: number): Buffer {
  const subkey = deriveSubkey(key, `stream/${label}`);
  const cipher = createCipheriv('aes-256-ctr', subkey, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(byteLength)), cipher.final()]);
}
