/**
 * The media layer: ffmpeg binaries, probing, frames in and out, and streaming transforms.
 * It knows nothing about watermarks.
 */
export { resolveFfmpeg, clearFfmpegCache, parseVersionOutput, releaseFromLibavcodec } from './ffmpeg-binaries.js';
export type { BinaryInfo, BinarySource, EncoderTable, FfmpegSetup, FilterTable, ResolveOptions } from './ffmpeg-binaries.js';
export { liveChildPids } from './ffmpeg-process.js';
export { probe, rationalValue } from './probe.js';
export type { AudioStreamInfo, ColorInfo, MediaInfo, ProbeOptions, StreamInfo, VideoStreamInfo } from './probe.js';
export { cloneFrame, copyFrameInto, FrameLayout, makePlane } from './frame.js';
export type { Frame, Plane, PlaneData } from './frame.js';
export { FRAME_PIXEL_FORMATS, framePixelFormat, frameFormatFor } from './pixel-format.js';
export type { PixelFormatInfo } from './pixel-format.js';
export { displaySize, turnForDisplay } from './display-turn.js';
export type { SamplePlane } from './display-turn.js';
export { readFrames } from './read-frames.js';
export type { ReadFramesOptions } from './read-frames.js';
export { writeFrames } from './write-frames.js';
export type { Progress, WriteOptions, WriteResult } from './write-frames.js';
export type { EncodeOptions } from './encode-plan.js';
export { transformVideo, transformVideoToMany } from './transform.js';
export type { FrameFn, TransformManyOptions, TransformOptions, TransformResult, TransformTarget } from './transform.js';
