/**
 * The NUT container, reduced to what carries raw video frames with exact timestamps over a pipe.
 *
 * Why NUT: raw video over a pipe carries no timestamps, so variable frame rate and non-zero start times would be
 * lost. NUT stores each frame's pts as an integer in an arbitrary rational time base, ffmpeg reads and writes it
 * on pipes, and its framing is a few varints per frame. ffmpeg writes NUT when decoding for us (demuxed here) and
 * reads the NUT we write when encoding (muxed here).
 *
 * Reference: FFmpeg libavformat/nut.h, nutdec.c, nutenc.c and the NUT specification (doc/nut.texi).
 */
import type { ByteReader } from './byte-reader.js';

const STARTCODE_MAIN = 0x4e4d7a561f5f04adn;
const STARTCODE_STREAM = 0x4e5311405bf2f9dbn;
const STARTCODE_SYNCPOINT = 0x4e4be4adeeca4569n;
const STARTCODE_INDEX = 0x4e58dd672f23e64en;
const STARTCODE_INFO = 0x4e49ab68b596ba78n;
const ID_STRING = 'nut/multimedia container\0';

const FLAG_KEY = 1;
const FLAG_CODED_PTS = 8;
const FLAG_STREAM_ID = 16;
const FLAG_SIZE_MSB = 32;
const FLAG_CHECKSUM = 64;
const FLAG_RESERVED = 128;
const FLAG_SM_DATA = 256;
const FLAG_HEADER_IDX = 1024;
const FLAG_MATCH_TIME = 2048;
const FLAG_CODED = 4096;
const FLAG_INVALID = 8192;

// ---------------------------------------------------------------------------------------------------------------
// CRC-32 with polynomial 0x04C11DB7, MSB first, initial value 0 (ffmpeg's ff_crc04C11DB7_update).

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32nut(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = crc >>> 0;
  for (let i = start; i < end; i++) c = ((c << 8) ^ CRC_TABLE[((c >>> 24) ^ bytes[i]) & 0xff]) >>> 0;
  return c;
}

// ---------------------------------------------------------------------------------------------------------------
// Demuxer

/** A time base as integers: seconds = ticks * num / den. */
export interface TimeBase {
  num: number;
  den: number;
}

/** What a NUT stream header says about a video stream. */
export interface NutStream {
  id: number;
  /** 0 video, 1 audio, 2 subtitle, 3 data. */
  streamClass: number;
  /** Codec tag bytes, e.g. 'I420' for yuv420p rawvideo. */
  fourcc: Buffer;
  timeBase: TimeBase;
  width: number;
  height: number;
  sarNum: number;
  sarDen: number;
}

/** A frame header; its `size` bytes of payload follow in the reader. */
export interface NutFrameHeader {
  stream: number;
  /** Presentation time in ticks of the stream's time base. */
  pts: number;
  key: boolean;
  size: number;
}

interface FrameCode {
  flags: number;
  streamId: number;
  sizeMul: number;
  sizeLsb: number;
  ptsDelta: number;
  reservedCount: number;
  headerIdx: number;
}

interface StreamState {
  info: NutStream;
  msbPtsShift: number;
  lastPts: number;
}

/** Parses varints out of a packet payload held in memory. */
class PacketCursor {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  v(): number {
    let val = 0;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('NUT: truncated packet');
      const b = this.buf[this.pos++];
      val = val * 128 + (b & 0x7f);
      if (!(b & 0x80)) return val;
    }
  }
  s(): number {
    const v = this.v() + 1;
    return v % 2 ? -(v - 1) / 2 : v / 2;
  }
  bytes(n: number): Buffer {
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** Streaming NUT demuxer over a {@link ByteReader}. */
export class NutDemuxer {
  private readonly frameCodes: FrameCode[] = [];
  private timeBases: TimeBase[] = [];
  private readonly streams: StreamState[] = [];
  private streamCount = 0;
  private readonly elisionHeaders: Buffer[] = [Buffer.alloc(0)];

  constructor(private readonly reader: ByteReader) {}

  /** Reads the file id and every header up to the first frame; returns the streams. */
  async readHeaders(): Promise<NutStream[]> {
    const id = await this.reader.read(ID_STRING.length);
    if (id.toString('latin1') !== ID_STRING) throw new Error('NUT: missing file id string');
    // Headers come before the first syncpoint; frames start after it.
    for (;;) {
      const code = await this.readStartcode();
      if (code === undefined) throw new Error('NUT: stream ended before the first frame');
      if (code === STARTCODE_SYNCPOINT) {
        await this.syncpoint();
        break;
      }
      await this.packet(code);
    }
    if (this.streams.length !== this.streamCount) throw new Error('NUT: not every stream header was found');
    return this.streams.map((s) => s.info);
  }

  /**
   * Reads up to the next frame header; returns undefined at the end of the stream. The caller must consume the
   * frame's `size` payload bytes from the reader before calling again.
   */
  async nextFrame(): Promise<NutFrameHeader | undefined> {
    for (;;) {
      const first = await this.reader.u8();
      if (first < 0) return undefined;
      if (first === 0x4e) {
        let code = 0x4en;
        for (let i = 0; i < 7; i++) {
          const b = await this.reader.u8();
          if (b < 0) throw new Error('NUT: truncated startcode');
          code = (code << 8n) | BigInt(b);
        }
        if (code === STARTCODE_SYNCPOINT) await this.syncpoint();
        else await this.packet(code);
        continue;
      }
      return this.frameHeader(first);
    }
  }

  private async readStartcode(): Promise<bigint | undefined> {
    const b = await this.reader.u8();
    if (b < 0) return undefined;
    let code = BigInt(b);
    for (let i = 0; i < 7; i++) {
      const x = await this.reader.u8();
      if (x < 0) throw new Error('NUT: truncated startcode');
      code = (code << 8n) | BigInt(x);
    }
    return code;
  }

  private async v(): Promise<number> {
    let val = 0;
    for (;;) {
      const b = await this.reader.u8();
      if (b < 0) throw new Error('NUT: truncated varint');
      val = val * 128 + (b & 0x7f);
      if (!(b & 0x80)) return val;
    }
  }

  /** Reads a packet's payload (after its startcode), without the trailing checksum. */
  private async payload(): Promise<Buffer> {
    const forwardPtr = await this.v();
    if (forwardPtr > 4096) await this.reader.skip(4); // header checksum
    const body = await this.reader.read(forwardPtr);
    return body.subarray(0, Math.max(0, forwardPtr - 4));
  }

  private async packet(code: bigint): Promise<void> {
    if (code === STARTCODE_MAIN) this.mainHeader(await this.payload());
    else if (code === STARTCODE_STREAM) this.streamHeader(await this.payload());
    else if (code === STARTCODE_INFO || code === STARTCODE_INDEX) await this.payload();
    else throw new Error(`NUT: unknown startcode 0x${code.toString(16)}`);
  }

  private mainHeader(buf: Buffer): void {
    const c = new PacketCursor(buf);
    const version = c.v();
    if (version < 3 || version > 4) throw new Error(`NUT: unsupported version ${version}`);
    if (version > 3) c.v(); // minor version
    this.streamCount = c.v();
    c.v(); // max_distance
    const tbCount = c.v();
    this.timeBases = [];
    for (let i = 0; i < tbCount; i++) this.timeBases.push({ num: c.v(), den: c.v() });
    let pts = 0;
    let mul = 1;
    let stream = 0;
    let headerIdx = 0;
    this.frameCodes.length = 0;
    for (let i = 0; i < 256; ) {
      const flags = c.v();
      const fields = c.v();
      if (fields > 0) pts = c.s();
      if (fields > 1) mul = c.v();
      if (fields > 2) stream = c.v();
      const size = fields > 3 ? c.v() : 0;
      const reserved = fields > 4 ? c.v() : 0;
      let count = fields > 5 ? c.v() : mul - size;
      if (fields > 6) c.s(); // match time delta
      if (fields > 7) headerIdx = c.v();
      for (let f = 8; f < fields; f++) c.v();
      if (count <= 0) throw new Error('NUT: bad frame code table');
      for (let j = 0; j < count && i < 256; j++, i++) {
        if (i === 0x4e) {
          this.frameCodes[i] = { flags: FLAG_INVALID, streamId: 0, sizeMul: 1, sizeLsb: 0, ptsDelta: 0, reservedCount: 0, headerIdx: 0 };
          j--;
          continue;
        }
        this.frameCodes[i] = { flags, streamId: stream, sizeMul: mul, sizeLsb: size + j, ptsDelta: pts, reservedCount: reserved, headerIdx };
      }
      count = 0;
    }
    if (c.pos < buf.length) {
      const headerCount = c.v() + 1;
      for (let i = 1; i < headerCount; i++) this.elisionHeaders[i] = Buffer.from(c.bytes(c.v()));
    }
  }

  private streamHeader(buf: Buffer): void {
    const c = new PacketCursor(buf);
    const id = c.v();
    const streamClass = c.v();
    const fourcc = Buffer.from(c.bytes(c.v()));
    const timeBase = this.timeBases[c.v()];
    const msbPtsShift = c.v();
    c.v(); // max_pts_distance
    c.v(); // decode_delay
    c.v(); // stream_flags
    c.bytes(c.v()); // codec specific data
    let width = 0;
    let height = 0;
    let sarNum = 0;
    let sarDen = 0;
    if (streamClass === 0) {
      width = c.v();
      height = c.v();
      sarNum = c.v();
      sarDen = c.v();
      c.v(); // colorspace type
    }
    if (!timeBase) throw new Error('NUT: stream header refers to a missing time base');
    this.streams[id] = { info: { id, streamClass, fourcc, timeBase, width, height, sarNum, sarDen }, msbPtsShift, lastPts: 0 };
  }

  private async syncpoint(): Promise<void> {
    const c = new PacketCursor(await this.payload());
    const t = c.v();
    const tbCount = this.timeBases.length;
    const tb = this.timeBases[t % tbCount];
    const value = Math.floor(t / tbCount);
    for (const s of this.streams) {
      if (!s) continue;
      // Rescale (rounding down) from the syncpoint's time base to the stream's, as ff_nut_reset_ts does.
      const num = BigInt(value) * BigInt(tb.num) * BigInt(s.info.timeBase.den);
      const den = BigInt(tb.den) * BigInt(s.info.timeBase.num);
      s.lastPts = Number(num >= 0n ? num / den : -((-num + den - 1n) / den));
    }
  }

  private async frameHeader(frameCode: number): Promise<NutFrameHeader> {
    const fc = this.frameCodes[frameCode];
    if (!fc || fc.flags & FLAG_INVALID) throw new Error(`NUT: invalid frame code ${frameCode}`);
    let flags = fc.flags;
    if (flags & FLAG_CODED) flags ^= await this.v();
    const streamId = flags & FLAG_STREAM_ID ? await this.v() : fc.streamId;
    const st = this.streams[streamId];
    if (!st) throw new Error(`NUT: frame for unknown stream ${streamId}`);
    let pts: number;
    if (flags & FLAG_CODED_PTS) {
      const coded = await this.v();
      const shiftSize = 2 ** st.msbPtsShift;
      if (coded < shiftSize) {
        const mask = shiftSize - 1;
        const delta = st.lastPts - Math.floor(mask / 2);
        pts = ((((coded - delta) % shiftSize) + shiftSize) % shiftSize) + delta;
      } else pts = coded - shiftSize;
    } else pts = st.lastPts + fc.ptsDelta;
    let size = fc.sizeLsb;
    if (flags & FLAG_SIZE_MSB) size += fc.sizeMul * (await this.v());
    if (flags & FLAG_MATCH_TIME) await this.v();
    let headerIdx = fc.headerIdx;
    if (flags & FLAG_HEADER_IDX) headerIdx = await this.v();
    let reserved = fc.reservedCount;
    if (flags & FLAG_RESERVED) reserved = await this.v();
    for (let i = 0; i < reserved; i++) await this.v();
    if (flags & FLAG_CHECKSUM) await this.reader.skip(4);
    if (flags & FLAG_SM_DATA) throw new Error('NUT: side data in frames is not supported');
    if (size <= 4096 && headerIdx > 0) throw new Error('NUT: elided frame headers are not supported for raw video');
    st.lastPts = pts;
    return { stream: streamId, pts, key: (flags & FLAG_KEY) !== 0, size };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Muxer (one raw video stream)

/** Appends NUT varints and bytes to a growing buffer. */
class Writer {
  private buf = Buffer.alloc(256);
  length = 0;
  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(b: number): this {
    this.grow(1);
    this.buf[this.length++] = b;
    return this;
  }
  v(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`NUT: cannot code ${value} as a varint`);
    const bytes: number[] = [value % 128];
    let rest = Math.floor(value / 128);
    while (rest > 0) {
      bytes.push(0x80 | rest % 128);
      rest = Math.floor(rest / 128);
    }
    for (let i = bytes.length - 1; i >= 0; i--) this.u8(bytes[i]);
    return this;
  }
  s(value: number): this {
    return this.v(value > 0 ? 2 * value - 1 : -2 * value);
  }
  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  u32be(x: number): this {
    this.grow(4);
    this.buf.writeUInt32BE(x >>> 0, this.length);
    this.length += 4;
    return this;
  }
  u64be(x: bigint): this {
    this.grow(8);
    this.buf.writeBigUInt64BE(x, this.length);
    this.length += 8;
    return this;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** Appends a packet: startcode, forward pointer, payload and its checksum. */
function putPacket(out: Writer, startcode: bigint, payload: Buffer): void {
  const forwardPtr = payload.length + 4;
  const headerStart = out.length;
  out.u64be(startcode).v(forwardPtr);
  if (forwardPtr > 4096) {
    const head = out.done();
    out.u32be(crc32nut(head, headerStart, head.length));
  }
  out.bytes(payload).u32be(crc32nut(payload));
}

/** Parameters of the single raw video stream written by {@link NutMuxer}. */
export interface NutVideoParams {
  /** rawvideo codec tag for the pixel format (see `rawFourcc`). */
  fourcc: Buffer;
  width: number;
  height: number;
  timeBase: TimeBase;
  sampleAspectRatio?: { num: number; den: number };
  /** Nominal frame rate hint, e.g. '24000/1001' (ffmpeg reads it as the stream's r_frame_rate). */
  frameRate?: string;
}

/** pts range coded relative to the syncpoint: pts may be up to 2^14 ticks below zero. */
const MSB_PTS_SHIFT = 15;
const FRAME_CODE = 1;
const FRAME_FLAGS = FLAG_KEY | FLAG_CODED_PTS | FLAG_SIZE_MSB | FLAG_CHECKSUM;

/** Writes a NUT stream of raw video frames, each preceded by a syncpoint carrying its pts. */
export class NutMuxer {
  constructor(private readonly params: NutVideoParams) {
    const g = gcd(params.timeBase.num, params.timeBase.den);
    this.params = { ...params, timeBase: { num: params.timeBase.num / g, den: params.timeBase.den / g } };
  }

  /** File id, main header, stream header and info packet. */
  header(): Buffer {
    const { fourcc, width, height, timeBase, sampleAspectRatio, frameRate } = this.params;
    const out = new Writer();
    out.bytes(Buffer.from(ID_STRING, 'latin1'));

    const main = new Writer();
    main.v(3).v(1).v(32767).v(1).v(timeBase.num).v(timeBase.den);
    // Frame code table: 0 invalid, 1 = our only frame code, 2..255 invalid ('N' is skipped by readers).
    main.v(FLAG_INVALID).v(0);
    main.v(FRAME_FLAGS).v(0);
    main.v(FLAG_INVALID).v(6).s(0).v(1).v(0).v(0).v(0).v(256 - 2 - 1);
    main.v(0); // header_count - 1: no elision headers
    putPacket(out, STARTCODE_MAIN, main.done());

    const stream = new Writer();
    stream.v(0).v(0).v(fourcc.length).bytes(fourcc);
    stream.v(0).v(MSB_PTS_SHIFT).v(2 ** 20).v(0).v(0).v(0);
    stream.v(width).v(height);
    const sar = sampleAspectRatio && sampleAspectRatio.num > 0 && sampleAspectRatio.den > 0 ? sampleAspectRatio : { num: 0, den: 0 };
    stream.v(sar.num).v(sar.den).v(0);
    putPacket(out, STARTCODE_STREAM, stream.done());

    if (frameRate && /^\d+\/\d+$/.test(frameRate)) {
      const info = new Writer();
      const name = Buffer.from('r_frame_rate');
      const value = Buffer.from(frameRate);
      info.v(1).s(0).v(0).v(0).v(1);
      info.v(name.length).bytes(name).s(-1).v(value.length).bytes(value);
      putPacket(out, STARTCODE_INFO, info.done());
    }
    return out.done();
  }

  /** Syncpoint and frame header for a frame of `size` bytes at `pts` ticks; the frame bytes follow it. */
  frameHeader(pts: number, size: number): Buffer {
    if (!Number.isSafeInteger(pts)) throw new RangeError(`NUT: pts ${pts} is not an integer tick count`);
    const out = new Writer();
    const syncPts = Math.max(0, pts);
    putPacket(out, STARTCODE_SYNCPOINT, new Writer().v(syncPts).v(0).done());
    const start = out.length;
    out.u8(FRAME_CODE);
    const shiftSize = 2 ** MSB_PTS_SHIFT;
    if (pts >= 0) out.v(pts + shiftSize);
    else {
      if (pts < -(shiftSize / 2 - 1)) throw new RangeError(`NUT: pts ${pts} is too far below zero`);
      out.v(((pts % shiftSize) + shiftSize) % shiftSize);
    }
    out.v(size);
    const head = out.done();
    out.u32be(crc32nut(head, start, head.length));
    return out.done();
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** rawvideo codec tags that ffmpeg's NUT (de)muxer uses for the frame pixel formats (yuvj* share yuv* tags). */
const RAW_FOURCC: Record<string, number[]> = {
  gray: [0x59, 0x38, 0x30, 0x30], // 'Y800'
  gray10le: [0x59, 0x31, 0, 10],
  gray12le: [0x59, 0x31, 0, 12],
  gray16le: [0x59, 0x31, 0, 16],
  yuv420p: [0x49, 0x34, 0x32, 0x30], // 'I420'
  yuv422p: [0x59, 0x34, 0x32, 0x42], // 'Y42B'
  yuv444p: [0x34, 0x34, 0x34, 0x50], // '444P'
  yuv440p: [0x34, 0x34, 0x30, 0x50], // '440P'
  yuv420p10le: [0x59, 0x33, 11, 10],
  yuv422p10le: [0x59, 0x33, 10, 10],
  yuv444p10le: [0x59, 0x33, 0, 10],
  yuv420p12le: [0x59, 0x33, 11, 12],
  yuv422p12le: [0x59, 0x33, 10, 12],
  yuv444p12le: [0x59, 0x33, 0, 12],
  yuv420p16le: [0x59, 0x33, 11, 16],
  yuv422p16le: [0x59, 0x33, 10, 16],
  yuv444p16le: [0x59, 0x33, 0, 16],
};

/** The rawvideo tag for a frame pixel format, or undefined when NUT has none. */
export function rawFourcc(pixelFormat: string): Buffer | undefined {
  const tag = RAW_FOURCC[pixelFormat.replace(/^yuvj/, 'yuv')];
  return tag ? Buffer.from(tag) : undefined;
}

/** The frame pixel format of a rawvideo tag (the `yuv*` name for tags shared with `yuvj*`). */
export function pixelFormatOfFourcc(fourcc: Uint8Array): string | undefined {
  for (const [name, tag] of Object.entries(RAW_FOURCC)) {
    if (tag.length === fourcc.length && tag.every((b, i) => b === fourcc[i])) return name;
  }
  return undefined;
}
