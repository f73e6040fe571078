/**
 * The video/still API: embed, batch and extract, with the key helpers they need.
 */
export { createKey } from '../watermark/key.js';
export { loadKey, saveKey } from '../keyfile.js';
export { embed, embedImage, embedVideo } from './embed.js';
export type { EmbedOptions, EmbedProgress, EmbedResult, EmbedResultJSON } from './embed.js';
export { batchOutputPath, embedBatch } from './batch.js';
export type { BatchOptions, BatchRecipient, BatchResult } from './batch.js';
export { ALL_FRAMES_SECONDS, extract, extractImage, extractVideo } from './extract.js';
export type { ExtractOptions, ExtractProgress } from './extract.js';
export { Detection } from './detection.js';
export type { DetectionCandidate, DetectionInput, DetectionJSON, DetectionPart, DetectionSync } from './detection.js';
export type { DetectionLedger, DetectionLook, DetectionParameters } from './detection.js';
