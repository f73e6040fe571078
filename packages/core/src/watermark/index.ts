export { createKey, keyFromSecret, KEY_BYTES, type WatermarkKey } from './key.js';
export { ID_BITS, MAX_ID, CHECK_BITS, parseId } from './payload.js';
export type { LumaPlane } from './plane.js';
export { describeOrientation, type Orientation } from './orientation.js';
export { describePart, type PartRange } from './part-windows.js';
export { describeNominalFit, type NominalFit } from './period-hypotheses.js';
export { DEFAULT_STRENGTH, MAX_STRENGTH, WatermarkEmbedder, type EmbedderOptions } from './embedder.js';
export {
  ACCUSATION_THRESHOLD,
  EARLY_STOP_MARGIN,
  KEYFRAME_WEIGHT,
  SUSPECT_PROBABILITY,
  WatermarkDetector,
  workingSizeFor,
  type CandidateScore,
  type DetectorOptions,
  type Peak,
  type SyncEstimate,
  type TimelinePoint,
  type WatermarkVerdict,
} from './detector.js';
