export {};

// Shared error classes (every layer throws these; the CLI maps them to exit codes).
export * from './errors.js';

// Key files, the partner registry, and the video/still API.
export { KEY_FILE_FORMAT, KEY_FILE_VERSION, loadKey, parseKeyFile, saveKey } from './keyfile.js';
export {
  DEFAULT_REGISTRY_PATH,
  PARTNER_NAME_PATTERN,
  PartnerRegistry,
  REGISTRY_FORMAT,
  REGISTRY_VERSION,
  addPartner,
  loadRegistry,
  parseRegistry,
} from './registry.js';
export type { AddPartnerOptions, LoadRegistryOptions, Partner } from './registry.js';
export { ALL_FRAMES_SECONDS, Detection, batchOutputPath, embed, embedBatch, embedImage, embedVideo, extract, extractImage, extractVideo } from './api/index.js';
export type {
  BatchOptions,
  BatchRecipient,
  BatchResult,
  DetectionCandidate,
  DetectionInput,
  DetectionJSON,
  DetectionPart,
  DetectionSync,
  EmbedOptions,
  EmbedProgress,
  EmbedResult,
  EmbedResultJSON,
  ExtractOptions,
  ExtractProgress,
} from './api/index.js';
export type { DetectionLedger, DetectionLook, DetectionParameters } from './api/index.js';

// The delivery ledger (JSON Lines, one record per marked output) and the investigator's report.
export {
  DEFAULT_LEDGER_NAME,
  LEDGER_FORMAT,
  LEDGER_VERSION,
  Ledger,
  LedgerError,
  appendDeliveries,
  assertLedgerWritable,
  currentOperator,
  defaultLedgerPath,
  deliveryRecordToJSON,
  loadLedger,
} from './ledger.js';
export type { DeliveryRecord, DeliveryRecordJSON, LedgerFile, LedgerWarning, LoadLedgerOptions } from './ledger.js';
export { REPORT_FORMAT, REPORT_VERSION, buildReportJSON, checkReportOutput, renderReportHtml, reportFormatOf, writeReport } from './report/index.js';
export type { ReportContentOptions, ReportFields, ReportFormat, ReportJSON, ReportOptions, ReportResult, Thumbnail } from './report/index.js';

// Watermark math: keys, payload, embedder and streaming detector (pure TypeScript, no files, no ffmpeg).
export {
  ACCUSATION_THRESHOLD,
  CHECK_BITS,
  DEFAULT_STRENGTH,
  MAX_STRENGTH,
  EARLY_STOP_MARGIN,
  SUSPECT_PROBABILITY,
  ID_BITS,
  KEYFRAME_WEIGHT,
  KEY_BYTES,
  MAX_ID,
  WatermarkDetector,
  WatermarkEmbedder,
  createKey,
  describeNominalFit,
  describeOrientation,
  describePart,
  keyFromSecret,
  parseId,
  workingSizeFor,
} from './watermark/index.js';
export type {
  CandidateScore,
  DetectorOptions,
  EmbedderOptions,
  LumaPlane,
  NominalFit,
  Orientation,
  PartRange,
  Peak,
  SyncEstimate,
  TimelinePoint,
  WatermarkKey,
  WatermarkVerdict,
} from './watermark/index.js';

// Media layer: ffmpeg binaries, probing, frames in and out, streaming transforms (knows nothing about watermarks).
export {
  FRAME_PIXEL_FORMATS,
  FrameLayout,
  clearFfmpegCache,
  cloneFrame,
  copyFrameInto,
  frameFormatFor,
  framePixelFormat,
  liveChildPids,
  makePlane,
  parseVersionOutput,
  probe,
  rationalValue,
  readFrames,
  releaseFromLibavcodec,
  resolveFfmpeg,
  transformVideo,
  transformVideoToMany,
  writeFrames,
} from './media/index.js';
export type {
  AudioStreamInfo,
  BinaryInfo,
  BinarySource,
  ColorInfo,
  EncodeOptions,
  EncoderTable,
  FfmpegSetup,
  FilterTable,
  Frame,
  FrameFn,
  MediaInfo,
  PixelFormatInfo,
  Plane,
  PlaneData,
  ProbeOptions,
  Progress,
  ReadFramesOptions,
  ResolveOptions,
  StreamInfo,
  TransformManyOptions,
  TransformOptions,
  TransformResult,
  TransformTarget,
  VideoStreamInfo,
  WriteOptions,
  WriteResult,
} from './media/index.js';
