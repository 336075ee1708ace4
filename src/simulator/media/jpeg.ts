/**
 * The picture a simulated camera's `stream8` sends (media.md §3): a small baseline JPEG made here,
 * without any image package, with the frame counter drawn in it AND written in a COM segment.
 *
 * The encoder is deliberately tiny and exact: a 640×360 grayscale image (the size of a Tapo
 * `jpegStream` profile, media.md §2.1) whose every 8×8 block is one flat grey level. A flat
 * block has only a DC coefficient after the DCT (`8 × (level − 128)`), so each block is coded as
 * its DC difference plus an end-of-block: a real, decodable baseline JFIF (SOI, APP0, COM, DQT,
 * SOF0, DHT, SOS, EOI) with no DCT to get wrong. The counter is drawn with a 3×5 digit font whose
 * pixels are 2×2 blocks (16×16 image pixels), white on dark grey; a black frame (privacy mode) has
 * every block at level 0 and still carries the counter in its COM segment.
 */

/** Width of the picture, in pixels (a multiple of 8). */
export const JPEG_WIDTH = 640;
/** Height of the picture, in pixels (a multiple of 8). */
export const JPEG_HEIGHT = 360;

const BLOCKS_X = JPEG_WIDTH / 8;
const BLOCKS_Y = JPEG_HEIGHT / 8;
/** Quantiser of the DC coefficient (DQT entry 0); the AC entries are never used. */
const DC_QUANT = 16;

/** 3×5 digit glyphs, one string per row, `#` = lit. */
const DIGITS: readonly string[][] = [
  ['###', '#.#', '#.#', '#.#', '###'],
  ['.#.', '##.', '.#.', '.#.', '###'],
  ['###', '..#', '###', '#..', '###'],
  ['###', '..#', '###', '..#', '###'],
  ['#.#', '#.#', '###', '..#', '..#'],
  ['###', '#..', '###', '..#', '###'],
  ['###', '#..', '###', '#.#', '###'],
  ['###', '..#', '.#.', '.#.', '.#.'],
  ['###', '#.#', '###', '#.#', '###'],
  ['###', '#.#', '###', '..#', '###'],
];

/** Digits drawn (the counter modulo 10^6, zero-padded). */
const COUNTER_DIGITS = 6;
/** Font pixel size in blocks. */
const SCALE = 2;
const BACKGROUND = 64;
const INK = 240;

/** The grey level of each 8×8 block (row-major) of the picture showing `counter`. */
export function counterBlocks(counter: number, black = false): Uint8Array {
  const levels = new Uint8Array(BLOCKS_X * BLOCKS_Y).fill(black ? 0 : BACKGROUND);
  if (black) return levels;
  const text = String(Math.abs(Math.trunc(counter)) % 10 ** COUNTER_DIGITS).padStart(COUNTER_DIGITS, '0');
  const glyphWidth = (3 + 1) * SCALE;
  const left = Math.floor((BLOCKS_X - text.length * glyphWidth + SCALE) / 2);
  const top = Math.floor((BLOCKS_Y - 5 * SCALE) / 2);
  for (let i = 0; i < text.length; i++) {
    const glyph = DIGITS[Number(text[i])] as string[];
    for (let row = 0; row < 5; row++) {
      for (let col = 0; col < 3; col++) {
        if ((glyph[row] as string)[col] !== '#') continue;
        for (let dy = 0; dy < SCALE; dy++) {
          for (let dx = 0; dx < SCALE; dx++) {
            levels[(top + row * SCALE + dy) * BLOCKS_X + left + i * glyphWidth + col * SCALE + dx] = INK;
          }
        }
      }
    }
  }
  return levels;
}

/** Appends bits MSB first and stuffs a 0x00 after every 0xFF byte (ITU T.81 F.1.2.3). */
export class BitWriter {
  private readonly bytes: number[] = [];
  private acc = 0;
  private count = 0;

  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.count === 8) this.flushByte();
    }
  }

  /** Pads the last byte with 1 bits and returns the entropy-coded data. */
  finish(): Buffer {
    while (this.count !== 0) this.write(1, 1);
    return Buffer.from(this.bytes);
  }

  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0x00);
    this.acc = 0;
    this.count = 0;
  }
}

function segment(marker: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(0xff00 | marker, 0);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/**
 * Huffman tables of our own (legal for baseline, ITU T.81 Annex C): DC categories 0–11 all coded
 * in 4 bits (`0000`…`1011`, never all ones), and an AC table with the single symbol 0x00
 * (end of block) coded `0`.
 */
const DC_TABLE = Buffer.from([0x00, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
const AC_TABLE = Buffer.from([0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00]);

/** Encodes the picture given as block levels into a baseline grayscale JFIF with `comment` in a COM segment. */
export function encodeBlocks(levels: Uint8Array, comment: string): Buffer {
  const bits = new BitWriter();
  let previous = 0;
  for (const level of levels) {
    const dc = Math.round((8 * (level - 128)) / DC_QUANT);
    const diff = dc - previous;
    previous = dc;
    const magnitude = Math.abs(diff);
    const category = magnitude === 0 ? 0 : 32 - Math.clz32(magnitude);
    bits.write(category, 4);
    if (category > 0) bits.write(diff >= 0 ? diff : diff + (1 << category) - 1, category);
    bits.write(0, 1); // end of block: every AC coefficient is 0
  }
  const jfif = Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const dqt = Buffer.alloc(65, DC_QUANT);
  dqt[0] = 0x00; // 8-bit precision, table 0
  const sof = Buffer.from([8, JPEG_HEIGHT >> 8, JPEG_HEIGHT & 0xff, JPEG_WIDTH >> 8, JPEG_WIDTH & 0xff, 1, 1, 0x11, 0]);
  const sos = Buffer.from([1, 1, 0x00, 0, 63, 0]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    segment(0xe0, jfif),
    segment(0xfe, Buffer.from(comment, 'latin1')),
    segment(0xdb, dqt),
    segment(0xc0, sof),
    segment(0xc4, Buffer.concat([DC_TABLE, AC_TABLE])),
    segment(0xda, sos),
    bits.finish(),
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** The COM text of frame `counter` (`tapo-sim frame <n>`). */
export function frameComment(counter: number): string {
  return `tapo-sim frame ${counter}`;
}

/** One `stream8` frame: the counter in the picture and in the COM segment; `black` for privacy mode. */
export function counterJpeg(counter: number, black = false): Buffer {
  return encodeBlocks(counterBlocks(counter, black), frameComment(counter));
}
