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
  return keyFromSecret(createHash('sha256').update(label).digest());
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

/** The recipient whose copy leaks for content number `index`, and the second recipient (collusion). */
export function recipientsFor(index) {
  return { id: ISSUED_IDS[index % ISSUED_IDS.length], second: ISSUED_IDS[(index + 7) % ISSUED_IDS.length] };
}

/** Delivery encode: H.264 CRF 16 (the library's default for H.264 masters), preset veryfast to keep the bench short. */
export const DELIVERY_ENCODE = { codec: 'libx264', crf: 16, preset: 'veryfast' };

/**
 * Worker task: marks `input` for `id` into `output` (video: H.264 CRF 16 unless `encode` says otherwise; still: the
 * output's format). Returns what was written and the library's own PSNR figures.
 */
export async function makeDelivery({ input, output, kind, id, strength, encode }) {
  await mkdir(path.dirname(output), { recursive: true });
  const key = benchKey();
  const options = { input, output, key, id: BigInt(id), strength, overwrite: true };
  const t = await timed(() => (kind === 'image' ? embedImage(options) : embedVideo({ ...options, ...(encode ?? DELIVERY_ENCODE) })));
  const r = t.value;
  return { output, frames: r.frames, psnr: r.psnr, psnrWorstFrame: r.psnrWorstFrame, strength: r.strength, wall: t.wall, cpu: t.cpu };
}

/** Row header fields shared by every part. */
export function rowBase(part, ctx) {
  return { bench: part, mode: ctx.mode, runId: ctx.runId, date: new Date().toISOString() };
}
