/**
 * RTP/JPEG over RTSP interleaved TCP, pure (no sockets): the interleaved frame (RFC 2326 §10.12),
 * the RTP fixed header (RFC 3550 §5.1), the RTP/JPEG headers (RFC 2435 §3.1), one frame assembled
 * from its fragments, and the frame turned into a JPEG file (../shared/protocol/media.md §3).
 *
 * Tapo cameras put a whole JFIF file in the fragments (media.md §3.3): such a frame is returned
 * byte for byte. A frame of bare scan data (what RFC 2435 specifies) gets its JFIF headers rebuilt
 * as in RFC 2435 Appendix A (quantization tables from Q or in-band, the standard Huffman tables,
 * SOF0, DRI for types 64–127, SOS), then the scan and EOI.
 *
 * Malformed input is never thrown: a packet that does not parse is `undefined`, a frame that does
 * not assemble is dropped, and the caller waits for the next one.
 */

/** One interleaved frame: `$`, channel, 16-bit length, then that many bytes. */
export interface InterleavedFrame {
  readonly channel: number;
  readonly data: Buffer;
  /** Offset just after this frame in the buffer it was read from. */
  readonly next: number;
}

/**
 * Reads the interleaved frame at `offset` (which must hold `$`). `undefined` when the buffer does
 * not hold all of it yet.
 */
export function readInterleaved(buffer: Buffer, offset = 0): InterleavedFrame | undefined {
  if (buffer.length - offset < 4) return undefined;
  if (buffer[offset] !== 0x24) throw new RangeError('not an interleaved frame');
  const length = buffer.readUInt16BE(offset + 2);
  const end = offset + 4 + length;
  if (buffer.length < end) return undefined;
  return { channel: buffer[offset + 1] as number, data: buffer.subarray(offset + 4, end), next: end };
}

/** Wraps `data` in an interleaved frame on `channel`. */
export function encodeInterleaved(channel: number, data: Buffer): Buffer {
  if (data.length > 0xffff) throw new RangeError('interleaved frame longer than 65535 bytes');
  const head = Buffer.from([0x24, channel & 0xff, data.length >> 8, data.length & 0xff]);
  return Buffer.concat([head, data]);
}

/** An RTP packet (RFC 3550 §5.1). */
export interface RtpPacket {
  readonly version: number;
  readonly padding: boolean;
  readonly extension: boolean;
  readonly csrcCount: number;
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrc: readonly number[];
  /** The header extension's profile and data, when `extension`. */
  readonly extensionProfile?: number;
  readonly extensionData?: Buffer;
  /** The payload, without padding. */
  readonly payload: Buffer;
}

/** Parses an RTP packet; `undefined` when it is not one (version ≠ 2, too short, bad padding). */
export function parseRtp(packet: Buffer): RtpPacket | undefined {
  if (packet.length < 12) return undefined;
  const b0 = packet[0] as number;
  const b1 = packet[1] as number;
  const version = b0 >> 6;
  if (version !== 2) return undefined;
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let offset = 12;
  if (packet.length < offset + csrcCount * 4) return undefined;
  const csrc: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrc.push(packet.readUInt32BE(12 + i * 4));
  offset += csrcCount * 4;
  let extensionProfile: number | undefined;
  let extensionData: Buffer | undefined;
  if (extension) {
    if (packet.length < offset + 4) return undefined;
    extensionProfile = packet.readUInt16BE(offset);
    const words = packet.readUInt16BE(offset + 2);
    if (packet.length < offset + 4 + words * 4) return undefined;
    extensionData = packet.subarray(offset + 4, offset + 4 + words * 4);
    offset += 4 + words * 4;
  }
  let end = packet.length;
  if (padding) {
    const count = packet[packet.length - 1] as number;
    if (count === 0 || end - count < offset) return undefined;
    end -= count;
  }
  return {
    version,
    padding,
    extension,
    csrcCount,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    ssrc: packet.readUInt32BE(8),
    csrc,
    ...(extensionProfile !== undefined ? { extensionProfile } : {}),
    ...(extensionData !== undefined ? { extensionData } : {}),
    payload: packet.subarray(offset, end),
  };
}

/** A 12-byte RTP fixed header (version 2, no padding, extension or CSRC); sequence taken modulo 2^16. */
export function encodeRtpHeader(fields: { marker: boolean; payloadType: number; sequence: number; timestamp: number; ssrc: number }): Buffer {
  const rtp = Buffer.alloc(12);
  rtp[0] = 0x80;
  rtp[1] = (fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7f);
  rtp.writeUInt16BE(fields.sequence & 0xffff, 2);
  rtp.writeUInt32BE(fields.timestamp >>> 0, 4);
  rtp.writeUInt32BE(fields.ssrc >>> 0, 8);
  return rtp;
}

/** The RTP/JPEG headers of one packet (RFC 2435 §3.1) and the data after them. */
export interface JpegFragment {
  readonly typeSpecific: number;
  readonly fragmentOffset: number;
  readonly type: number;
  readonly q: number;
  /** Width and height in pixels (the header carries them divided by 8). */
  readonly width: number;
  readonly height: number;
  /** Restart interval, for types 64–127. */
  readonly restartInterval?: number;
  /** In-band quantization tables (Q ≥ 128, first fragment, length > 0). */
  readonly quantPrecision?: number;
  readonly quantTables?: Buffer;
  readonly data: Buffer;
}

/** Parses the RTP/JPEG headers of a payload; `undefined` when it is too short. */
export function parseJpegFragment(payload: Buffer): JpegFragment | undefined {
  if (payload.length < 8) return undefined;
  const fragmentOffset = payload.readUIntBE(1, 3);
  const type = payload[4] as number;
  const q = payload[5] as number;
  let offset = 8;
  let restartInterval: number | undefined;
  if (type >= 64 && type <= 127) {
    if (payload.length < offset + 4) return undefined;
    restartInterval = payload.readUInt16BE(offset);
    offset += 4;
  }
  let quantPrecision: number | undefined;
  let quantTables: Buffer | undefined;
  if (q >= 128 && fragmentOffset === 0) {
    if (payload.length < offset + 4) return undefined;
    quantPrecision = payload[offset + 1] as number;
    const length = payload.readUInt16BE(offset + 2);
    if (payload.length < offset + 4 + length) return undefined;
    if (length > 0) quantTables = payload.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
  }
  return {
    typeSpecific: payload[0] as number,
    fragmentOffset,
    type,
    q,
    width: (payload[6] as number) * 8,
    height: (payload[7] as number) * 8,
    ...(restartInterval !== undefined ? { restartInterval } : {}),
    ...(quantPrecision !== undefined ? { quantPrecision } : {}),
    ...(quantTables !== undefined ? { quantTables } : {}),
    data: payload.subarray(offset),
  };
}

/** One JPEG image out of a stream. */
export interface JpegFrame {
  readonly jpeg: Buffer;
  readonly width?: number;
  readonly height?: number;
  /** The RTP timestamp of the frame. */
  readonly timestamp: number;
}

/**
 * Assembles frames from RTP/JPEG packets in arrival order. A frame starts at fragment offset 0,
 * each next fragment must start where the bytes so far end and carry the next sequence number
 * and the same timestamp, and the marker bit ends it. Anything else (a lost, repeated or
 * reordered packet, a fragment of a frame that was not seen starting) drops the frame being
 * assembled; the next offset-0 fragment starts again.
 */
export class JpegAssembler {
  private parts: Buffer[] = [];
  private size = 0;
  private first: JpegFragment | undefined;
  private timestamp = 0;
  private nextSequence = 0;
  /** In-band tables seen per Q (128–254 may be sent once and then left out, RFC 2435 §4.2). */
  private readonly tables = new Map<number, { precision: number; tables: Buffer }>();
  /** Frames dropped so far (diagnostics and tests). */
  dropped = 0;

  /** Feeds one RTP packet; returns the JPEG when this packet completed a frame. */
  push(packet: RtpPacket): JpegFrame | undefined {
    const fragment = parseJpegFragment(packet.payload);
    if (fragment === undefined) {
      this.drop();
      return undefined;
    }
    if (fragment.fragmentOffset === 0) {
      if (this.first !== undefined) this.drop();
      this.first = fragment;
      this.parts = [fragment.data];
      this.size = fragment.data.length;
      this.timestamp = packet.timestamp;
    } else {
      if (this.first === undefined) return undefined; // joined mid-frame
      if (packet.sequence !== this.nextSequence || packet.timestamp !== this.timestamp || fragment.fragmentOffset !== this.size) {
        this.drop();
        return undefined;
      }
      this.parts.push(fragment.data);
      this.size += fragment.data.length;
    }
    this.nextSequence = (packet.sequence + 1) & 0xffff;
    if (!packet.marker) return undefined;
    const first = this.first;
    const data = Buffer.concat(this.parts, this.size);
    this.reset();
    const frame = this.finish(first, data, packet.timestamp);
    if (frame === undefined) this.dropped++;
    return frame;
  }

  private finish(first: JpegFragment, data: Buffer, timestamp: number): JpegFrame | undefined {
    if (isJfif(data)) {
      if (!endsWithEoi(data)) return undefined;
      const size = jfifSize(data);
      return { jpeg: data, timestamp, ...(size ?? {}) };
    }
    let tables: { precision: number; tables: Buffer } | undefined;
    if (first.q >= 128) {
      tables = first.quantTables !== undefined ? { precision: first.quantPrecision ?? 0, tables: first.quantTables } : this.tables.get(first.q);
      if (tables === undefined || first.q === 255 && first.quantTables === undefined) return undefined;
      if (first.q < 255) this.tables.set(first.q, tables);
    }
    const jpeg = rebuildJpeg(first, data, tables);
    if (jpeg === undefined) return undefined;
    return { jpeg, timestamp, width: first.width, height: first.height };
  }

  private drop(): void {
    if (this.first !== undefined) this.dropped++;
    this.reset();
  }

  private reset(): void {
    this.first = undefined;
    this.parts = [];
    this.size = 0;
  }
}

/** True when `data` is a whole JPEG file: SOI (FF D8) first, EOI (FF D9) last. */
export function isWholeJpeg(data: Buffer): boolean {
  return isJfif(data) && endsWithEoi(data);
}

function isJfif(data: Buffer): boolean {
  return data.length >= 2 && data[0] === 0xff && data[1] === 0xd8;
}

function endsWithEoi(data: Buffer): boolean {
  return data.length >= 4 && data[data.length - 2] === 0xff && data[data.length - 1] === 0xd9;
}

/** Width and height from the first SOFn marker of a JFIF file, when it has one. */
export function jfifSize(jpeg: Buffer): { width: number; height: number } | undefined {
  let i = 2;
  while (i + 4 <= jpeg.length) {
    if (jpeg[i] !== 0xff) return undefined;
    const marker = jpeg[i + 1] as number;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    const length = jpeg.readUInt16BE(i + 2);
    const sof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (sof && i + 9 <= jpeg.length) return { height: jpeg.readUInt16BE(i + 5), width: jpeg.readUInt16BE(i + 7) };
    i += 2 + length;
  }
  return undefined;
}

// RFC 2435 Appendix A: the tables of the JPEG standard (Annex K), quantization tables in zig-zag order.
const LUMA_QUANTIZER = [
  16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22, 24, 49, 35, 37, 29, 40, 58, 51, 61, 60, 57, 51,
  56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56, 80, 109, 81, 87, 95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99,
];
const CHROMA_QUANTIZER = [17, 18, 18, 24, 21, 24, 47, 26, 26, 47, 99, 66, 56, 66, 99, 99, ...new Array<number>(48).fill(99)];

const LUM_DC_CODELENS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const LUM_DC_SYMBOLS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const LUM_AC_CODELENS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d];
const LUM_AC_SYMBOLS = [
  0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
  0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
  0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
  0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
  0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
  0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
  0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
];
const CHM_DC_CODELENS = [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0];
const CHM_DC_SYMBOLS = LUM_DC_SYMBOLS;
const CHM_AC_CODELENS = [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77];
const CHM_AC_SYMBOLS = [
  0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91,
  0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
  0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
  0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
  0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
  0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
  0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
];

/** The standard tables scaled for Q 1–99 (RFC 2435 Appendix A `MakeTables`), luma then chroma. */
export function quantTablesForQ(q: number): { luma: Buffer; chroma: Buffer } {
  const factor = Math.min(Math.max(q, 1), 99);
  const scale = q < 50 ? Math.trunc(5000 / factor) : 200 - factor * 2;
  const make = (table: number[]): Buffer => Buffer.from(table.map((v) => Math.min(Math.max(Math.trunc((v * scale + 50) / 100), 1), 255)));
  return { luma: make(LUMA_QUANTIZER), chroma: make(CHROMA_QUANTIZER) };
}

function segment(marker: number, body: Buffer | number[]): Buffer {
  const data = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const head = Buffer.from([0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff]);
  return Buffer.concat([head, data]);
}

function huffman(codelens: number[], symbols: number[], tableNo: number, tableClass: number): Buffer {
  return segment(0xc4, [(tableClass << 4) | tableNo, ...codelens, ...symbols]);
}

/**
 * The JFIF headers RFC 2435 Appendix A `MakeHeaders` writes for a frame, then the scan and EOI.
 * `undefined` for types other than 0, 1 (and 64, 65) or in-band tables of the wrong size.
 */
export function rebuildJpeg(first: JpegFragment, scan: Buffer, inBand?: { precision: number; tables: Buffer }): Buffer | undefined {
  const baseType = first.type >= 64 && first.type <= 127 ? first.type - 64 : first.type;
  if (baseType !== 0 && baseType !== 1) return undefined;
  const dqt: Buffer[] = [];
  if (first.q < 128) {
    const { luma, chroma } = quantTablesForQ(first.q);
    dqt.push(segment(0xdb, Buffer.concat([Buffer.from([0]), luma])), segment(0xdb, Buffer.concat([Buffer.from([1]), chroma])));
  } else {
    if (inBand === undefined) return undefined;
    let offset = 0;
    for (let table = 0; table < 2; table++) {
      const wide = (inBand.precision >> table) & 1;
      const size = wide ? 128 : 64;
      if (inBand.tables.length < offset + size) return undefined;
      dqt.push(segment(0xdb, Buffer.concat([Buffer.from([(wide << 4) | table]), inBand.tables.subarray(offset, offset + size)])));
      offset += size;
    }
  }
  const w = first.width;
  const h = first.height;
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8]), ...dqt];
  if (first.restartInterval !== undefined && first.restartInterval !== 0) {
    parts.push(segment(0xdd, [first.restartInterval >> 8, first.restartInterval & 0xff]));
  }
  parts.push(
    segment(0xc0, [8, h >> 8, h & 0xff, w >> 8, w & 0xff, 3, 0, baseType === 0 ? 0x21 : 0x22, 0, 1, 0x11, 1, 2, 0x11, 1]),
    huffman(LUM_DC_CODELENS, LUM_DC_SYMBOLS, 0, 0),
    huffman(LUM_AC_CODELENS, LUM_AC_SYMBOLS, 0, 1),
    huffman(CHM_DC_CODELENS, CHM_DC_SYMBOLS, 1, 0),
    huffman(CHM_AC_CODELENS, CHM_AC_SYMBOLS, 1, 1),
    segment(0xda, [3, 0, 0, 1, 0x11, 2, 0x11, 0, 63, 0]),
    scan,
  );
  if (!endsWithEoi(scan)) parts.push(Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}

/**
 * Splits a JPEG into RTP/JPEG packets (for tests and the simulator): `data` is what goes after the
 * headers (a whole JFIF, Tapo style, or a bare scan), at most `chunk` bytes per packet; the first
 * packet carries `quantTables` when Q ≥ 128.
 */
export function packetizeJpeg(options: {
  data: Buffer;
  type: number;
  q: number;
  width: number;
  height: number;
  chunk: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payloadType?: number;
  restartInterval?: number;
  quantTables?: Buffer;
  quantPrecision?: number;
}): Buffer[] {
  const packets: Buffer[] = [];
  for (let offset = 0, i = 0; offset < options.data.length || i === 0; offset += options.chunk, i++) {
    const piece = options.data.subarray(offset, offset + options.chunk);
    const last = offset + options.chunk >= options.data.length;
    const rtp = encodeRtpHeader({ marker: last, payloadType: options.payloadType ?? 26, sequence: options.sequence + i, timestamp: options.timestamp, ssrc: options.ssrc });
    const main = Buffer.from([0, offset >> 16, (offset >> 8) & 0xff, offset & 0xff, options.type, options.q, options.width / 8, options.height / 8]);
    const headers: Buffer[] = [rtp, main];
    if (options.type >= 64 && options.type <= 127) {
      const ri = options.restartInterval ?? 0;
      headers.push(Buffer.from([ri >> 8, ri & 0xff, 0xff, 0xff]));
    }
    if (options.q >= 128 && offset === 0) {
      const tables = options.quantTables ?? Buffer.alloc(0);
      headers.push(Buffer.from([0, options.quantPrecision ?? 0, tables.length >> 8, tables.length & 0xff]), tables);
    }
    packets.push(Buffer.concat([...headers, piece]));
  }
  return packets;
}
