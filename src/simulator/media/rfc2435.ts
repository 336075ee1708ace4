/**
 * The RFC 2435 ("RTP Payload Format for JPEG-compressed Video") form of the simulated `stream8`
 * (media.md §3.3 last note, §8 profile "RFC"): instead of Tapo's whole JFIF, each RTP packet
 * carries a slice of a bare entropy-coded scan, and the receiver rebuilds the JPEG headers from
 * the RTP/JPEG main header (type, Q, width, height) with RFC 2435 Appendix A `MakeTables` and
 * Appendix B `MakeHeaders`.
 *
 * The scan is made here, as tiny and exact as media/jpeg.ts: type 0 (YUV 4:2:2, RFC 2435 §4.1:
 * three components, Y sampled 2×1, Cb and Cr 1×1, so a 640×360 picture is 40×45 MCUs of 16×8
 * pixels, each MCU `Y0 Y1 Cb Cr`), every 8×8 block flat (DC only, every AC coefficient zero so
 * each block is its DC difference plus an end-of-block), luma from `counterBlocks` (the frame
 * counter drawn in the picture), chroma flat at 128 (DC 0, difference 0). Huffman codes are the
 * standard ones of JPEG Annex K (K.3–K.6), the tables `MakeHeaders` writes; quantisation is by the
 * tables the receiver will use: for 'rfc', Q = {@link RFC_Q} and the tables of `MakeTables(Q)`;
 * for 'rfc-tables', Q = 255 and the tables travel in-band (RFC 2435 §3.1.8: MBZ 0, precision 0,
 * length 128, luma table then chroma table) in the first packet of every frame. The in-band tables
 * are `MakeTables(50)`, i.e. Annex K tables K.1/K.2 unscaled, deliberately different from the
 * Q-80 ones so a receiver that ignores the in-band tables rebuilds a different JPEG.
 *
 * Table order: a DQT segment holds its 64 entries in zig-zag order (JPEG T.81 B.2.4.1), and
 * `MakeHeaders` copies the `MakeTables` output into DQT as it is, so the tables are made in
 * zig-zag order, as receivers in the field expect (ffmpeg's RTP/JPEG depacketiser,
 * libavformat/rtpdec_jpeg.c `default_quantizers`, lists K.1/K.2 in zig-zag order: 16, 11, 12, 14,
 * 12, 10 …). The RFC's appendix prints K.1 in natural (row) order; copied as printed, every AC
 * quantiser would land on the wrong coefficient. A first version here did that, and the client's
 * independent rebuild (src/protocol/rtp-jpeg.ts, zig-zag) told the difference byte for byte.
 */
import { BitWriter, JPEG_HEIGHT, JPEG_WIDTH, counterBlocks, counterJpeg } from './jpeg';

/** How the simulated `stream8` packs a frame: Tapo's whole JFIF, or an RFC 2435 scan (Q-derived or in-band tables). */
export type Stream8Form = 'tapo' | 'rfc' | 'rfc-tables';

/** Every form, for option checks. */
export const STREAM8_FORMS: readonly Stream8Form[] = ['tapo', 'rfc', 'rfc-tables'];

/** Q of the 'rfc' form (< 128: tables from `MakeTables(Q)`). */
export const RFC_Q = 80;
/** Q of the 'rfc-tables' form (≥ 128: tables in-band; 255 = they may change every frame). */
export const RFC_TABLES_Q = 255;
/** RTP/JPEG type of both RFC forms: 0 = YUV 4:2:2 (RFC 2435 §4.1). */
export const RFC_TYPE = 0;
/** Quality whose `MakeTables` output travels in-band in the 'rfc-tables' form. */
const IN_BAND_QUALITY = 50;

/** JPEG Annex K table K.1 (luminance), as RFC 2435 Appendix A prints it. */
const LUMA_QUANTIZER = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109,
  103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
/** JPEG Annex K table K.2 (chrominance): 17 18 24 47 / 18 21 26 66 / 24 26 56 / 47 66 in the top-left corner, 99 elsewhere. */
const CHROMA_QUANTIZER = Array.from({ length: 64 }, (_, i) => {
  const corner: Record<number, number> = { 0: 17, 1: 18, 2: 24, 3: 47, 8: 18, 9: 21, 10: 26, 11: 66, 16: 24, 17: 26, 18: 56, 24: 47, 25: 66 };
  return corner[i] ?? 99;
});

/**
 * Position in natural (row-major) order of each zig-zag index: walks the anti-diagonals of the
 * 8×8 block, up-right on even ones and down-left on odd ones (T.81 Figure 5).
 */
const ZIGZAG: readonly number[] = (() => {
  const order: number[] = [];
  for (let d = 0; d < 15; d++) {
    const cells: number[] = [];
    for (let row = 0; row < 8; row++) {
      const col = d - row;
      if (col >= 0 && col < 8) cells.push(row * 8 + col);
    }
    order.push(...(d % 2 === 0 ? cells.reverse() : cells));
  }
  return order;
})();

/** RFC 2435 Appendix A `MakeTables`: the luma and chroma tables (64 bytes each, zig-zag order) for quality `q`. */
export function makeTables(q: number): { luma: Buffer; chroma: Buffer } {
  const factor = Math.min(99, Math.max(1, q));
  const scale = q < 50 ? Math.trunc(5000 / factor) : 200 - factor * 2;
  const make = (base: readonly number[]): Buffer =>
    Buffer.from(ZIGZAG.map((at) => Math.min(255, Math.max(1, Math.trunc(((base[at] as number) * scale + 50) / 100)))));
  return { luma: make(LUMA_QUANTIZER), chroma: make(CHROMA_QUANTIZER) };
}

/** One Huffman table: the 16 code-length counts (BITS) and the symbols (HUFFVAL), Annex K. */
interface HuffmanSpec {
  bits: readonly number[];
  values: readonly number[];
}

const LUMA_DC: HuffmanSpec = { bits: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const CHROMA_DC: HuffmanSpec = { bits: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const LUMA_AC: HuffmanSpec = {
  bits: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  values: hex(
    '01020300041105122131410613516107227114328191a1082342b1c11552d1f0243362728209' +
      '0a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566' +
      '6768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2' +
      'b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3' +
      'f4f5f6f7f8f9fa',
  ),
};
const CHROMA_AC: HuffmanSpec = {
  bits: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  values: hex(
    '000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a1624' +
      '34e125f11718191a262728292a35363738393a434445464748494a535455565758595a6364656667' +
      '68696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3' +
      'b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7' +
      'f8f9fa',
  ),
};

function hex(text: string): number[] {
  return [...Buffer.from(text.replace(/\s+/g, ''), 'hex')];
}

/** The code of each symbol (ITU T.81 Annex C: canonical codes in order of length). */
function huffmanCodes(spec: HuffmanSpec): Map<number, { code: number; length: number }> {
  const codes = new Map<number, { code: number; length: number }>();
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < (spec.bits[length - 1] ?? 0); i++) codes.set(spec.values[k++] as number, { code: code++, length });
    code <<= 1;
  }
  return codes;
}

/** Codes one flat block: its DC difference (category + bits) and an end-of-block. */
function writeBlock(out: BitWriter, diff: number, dc: Map<number, { code: number; length: number }>, eob: { code: number; length: number }): void {
  const magnitude = Math.abs(diff);
  const category = magnitude === 0 ? 0 : 32 - Math.clz32(magnitude);
  const symbol = dc.get(category) as { code: number; length: number };
  out.write(symbol.code, symbol.length);
  if (category > 0) out.write(diff >= 0 ? diff : diff + (1 << category) - 1, category);
  out.write(eob.code, eob.length);
}

const CODES = {
  lumaDc: huffmanCodes(LUMA_DC),
  chromaDc: huffmanCodes(CHROMA_DC),
  lumaEob: huffmanCodes(LUMA_AC).get(0x00) as { code: number; length: number },
  chromaEob: huffmanCodes(CHROMA_AC).get(0x00) as { code: number; length: number },
};

/** The quantisation tables of an RFC form: Q-derived for 'rfc', the in-band ones for 'rfc-tables'. */
export function rfcTables(form: 'rfc' | 'rfc-tables'): { luma: Buffer; chroma: Buffer } {
  return makeTables(form === 'rfc' ? RFC_Q : IN_BAND_QUALITY);
}

/**
 * The bare entropy-coded scan (no marker, no EOI) of the counter picture, type 0, quantised with
 * `lumaDcQuant` (entry 0 of the luma table); chroma is flat at 128 so its quantiser does not matter.
 */
export function rfcScan(counter: number, black: boolean, lumaDcQuant: number): Buffer {
  const levels = counterBlocks(counter, black);
  const blocksX = JPEG_WIDTH / 8;
  const out = new BitWriter();
  let previous = 0;
  for (let my = 0; my < JPEG_HEIGHT / 8; my++) {
    for (let mx = 0; mx < JPEG_WIDTH / 16; mx++) {
      for (let b = 0; b < 2; b++) {
        const level = levels[my * blocksX + mx * 2 + b] as number;
        const dc = Math.round((8 * (level - 128)) / lumaDcQuant);
        writeBlock(out, dc - previous, CODES.lumaDc, CODES.lumaEob);
        previous = dc;
      }
      writeBlock(out, 0, CODES.chromaDc, CODES.chromaEob); // Cb
      writeBlock(out, 0, CODES.chromaDc, CODES.chromaEob); // Cr
    }
  }
  return out.finish();
}

function huffmanSegment(spec: HuffmanSpec, tableClass: number, tableNo: number): Buffer {
  return Buffer.from([0xff, 0xc4, 0, 3 + spec.bits.length + spec.values.length, (tableClass << 4) | tableNo, ...spec.bits, ...spec.values]);
}

/**
 * RFC 2435 Appendix B `MakeHeaders` for type 0 or 1 without restart markers: SOI, DQT 0, DQT 1,
 * SOF0 (3 components, ids 0 1 2, sampling 0x21 for type 0 else 0x22, then 0x11 0x11, tables 0 1 1),
 * DHT luma DC, luma AC, chroma DC, chroma AC (one segment each), SOS (ids 0 1 2, tables 0x00 0x11
 * 0x11, Ss 0, Se 63, Ah/Al 0).
 */
export function makeHeaders(type: number, width: number, height: number, luma: Buffer, chroma: Buffer): Buffer {
  const quant = (table: Buffer, no: number): Buffer => Buffer.concat([Buffer.from([0xff, 0xdb, 0, 67, no]), table]);
  const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 0, type === 0 ? 0x21 : 0x22, 0, 1, 0x11, 1, 2, 0x11, 1]);
  const sos = Buffer.from([0xff, 0xda, 0, 12, 3, 0, 0x00, 1, 0x11, 2, 0x11, 0, 63, 0]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    quant(luma, 0),
    quant(chroma, 1),
    sof,
    huffmanSegment(LUMA_DC, 0, 0),
    huffmanSegment(LUMA_AC, 1, 0),
    huffmanSegment(CHROMA_DC, 0, 1),
    huffmanSegment(CHROMA_AC, 1, 1),
    sos,
  ]);
}

/** What one `stream8` frame puts on the wire: the data bytes and the RTP/JPEG header fields. */
export interface Stream8Payload {
  /** Bytes the fragment offsets count: the JFIF ('tapo') or the bare scan (RFC forms). */
  data: Buffer;
  type: number;
  q: number;
  /** The quantisation-table header and tables of the first packet (Q ≥ 128), else undefined. */
  tables: Buffer | undefined;
}

/** What the server sends for frame `counter` in `form` (`black`: privacy mode). */
export function stream8Payload(counter: number, form: Stream8Form, black = false): Stream8Payload {
  if (form === 'tapo') return { data: counterJpeg(counter, black), type: 1, q: 50, tables: undefined };
  const { luma, chroma } = rfcTables(form);
  const data = rfcScan(counter, black, luma[0] as number);
  if (form === 'rfc') return { data, type: RFC_TYPE, q: RFC_Q, tables: undefined };
  return { data, type: RFC_TYPE, q: RFC_TABLES_Q, tables: Buffer.concat([Buffer.from([0, 0, 0, 128]), luma, chroma]) };
}

/**
 * The whole JPEG a conforming receiver rebuilds from frame `counter` sent in `form`: for 'tapo'
 * the JFIF as sent (media.md §3.3); for the RFC forms `MakeHeaders(type 0, 640, 360, tables)` +
 * the scan + EOI (`FF D9`).
 */
export function stream8Jpeg(counter: number, form: Stream8Form, black = false): Buffer {
  const payload = stream8Payload(counter, form, black);
  if (form === 'tapo') return payload.data;
  const { luma, chroma } = rfcTables(form);
  return Buffer.concat([makeHeaders(RFC_TYPE, JPEG_WIDTH, JPEG_HEIGHT, luma, chroma), payload.data, Buffer.from([0xff, 0xd9])]);
}
