/**
 * What every part of the bench shares: the bench's key and issued IDs, and the delivery step (mark a master for a
 * recipient with the public API, as a studio's pipeline does).
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { embedImage, embedVideo, keyFromSecret } from '@reelmark/core';

import { timed } from './proc.mjs';

/** The bench's key: fixed, so that runs are reproducible (it marks nothing but bench footage). */
export function benchKey(label = 'reelmark bench key v1') {
  return keyFromSecret(benchSecret(label));
}

/** The 32 secret bytes behind {@link benchKey} (for another build's `keyFromSecret`: bench/compare-builds.mjs). */
export function benchSecret(label = 'reelmark bench key v1') {
  return createHash('sha256').update(label).digest();
}

/**
 * Bench key number `k` (robustness `--keys N` marks each content with keys 0..N-1): key 0 is {@link benchKey}, so
 * that a run with one key is the run it always was; the others are as fixed, and independent of it.
 */
export function benchKeyAt(k = 0) {
  return k === 0 ? benchKey() : benchKey(`reelmark bench key v1/${k}`);
}

/** A key for null trial `i` of `category`: deterministic, independent of the bench key. */
export function trialKey(category, i) {
  return keyFromSecret(createHash('sha256').update(`reelmark bench null trial/${category}/${i}`).digest());
}

/**
 * The 20 IDs "issued" in the bench: partner number (high bits) and delivery serial (low 16 bits), as a facility
 * numbers its deliveries. Candidate mode scores exactly this list.
 */
export const ISSUED_IDS = Array.from({ length: 20 }, (_, i) => (BigInt(1009 + 37 * i) << 16n) | BigInt(101 + 13 * i));

/**
 * The recipient whose copy leaks for content number `index`, and the second recipient (collusion); under bench key
 * `k`, other recipients (an ID and a key are drawn together in a real leak).
 */
export function recipientsFor(index, k = 0) {
  const n = ISSUED_IDS.length;
  return { id: ISSUED_IDS[(index + 3 * k) % n], second: ISSUED_IDS[(index + 7 + 3 * k) % n], third: ISSUED_IDS[(index + 13 + 3 * k) % n] };
}

/** Delivery encode: H.264 CRF 16 (the library's default for H.264 masters), preset veryfast to keep the bench short. */
export const DELIVERY_ENCODE = { codec: 'libx264', crf: 16, preset: 'veryfast' };

/**
 * Worker task: marks `input` for `id` under bench key `keyIndex` into `output` (video: H.264 CRF 16 unless `encode`
 * says otherwise; still: the output's format). Returns what was written and the library's own PSNR figures.
 */
export async function makeDelivery({ input, output, kind, id, strength, encode, keyIndex = 0 }) {
  await mkdir(path.dirname(output), { recursive: true });
  const key = benchKeyAt(keyIndex);
  const options = { input, output, key, id: BigInt(id), strength, overwrite: true };
  const t = await timed(() => (kind === 'image' ? embedImage(options) : embedVideo({ ...options, ...(encode ?? DELIVERY_ENCODE) })));
  const r = t.value;
  return { output, frames: r.frames, psnr: r.psnr, psnrWorstFrame: r.psnrWorstFrame, strength: r.strength, wall: t.wall, cpu: t.cpu };
}

/** Row header fields shared by every part. */
export function rowBase(part, ctx) {
  return { bench: part, mode: ctx.mode, runId: ctx.runId, date: new Date().toISOString() };
}
