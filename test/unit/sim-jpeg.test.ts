/**
 * The simulator's frame picture (src/simulator/media/jpeg.ts), checked with an independent
 * baseline decoder written from ITU T.81: segments, canonical Huffman codes from DHT (Annex C),
 * byte unstuffing, DC and AC decoding of every block. The picture it yields must be the one drawn.
 */
import { strict as assert } from 'node:assert';

import { JPEG_HEIGHT, JPEG_WIDTH, counterBlocks, counterJpeg, frameComment } from '../../src/simulator';

interface Decoded {
  width: number;
  height: number;
  comment: string | undefined;
  /** Dequantised DC of each block, and whether any AC was non-zero. */
  dc: number[];
  ac: boolean;
}

/** Builds code → symbol maps keyed by `${length}:${code}` (T.81 C.2). */
function huffman(bits: Buffer, values: Buffer): Map<string, number> {
  const table = new Map<string, number>();
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < (bits[length - 1] as number); i++) {
      assert.notEqual(code, (1 << length) - 1, 'no all-ones code (T.81 C.2)');
      table.set(`${length}:${code}`, values[k++] as number);
      code++;
    }
    code <<= 1;
  }
  return table;
}

function decode(jpeg: Buffer): Decoded {
  assert.equal(jpeg.readUInt16BE(0), 0xffd8);
  let i = 2;
  let width = 0;
  let height = 0;
  let comment: string | undefined;
  let quant: Buffer | undefined;
  const tables = new Map<number, Map<string, number>>();
  for (;;) {
    assert.equal(jpeg[i], 0xff, `marker at ${i}`);
    const marker = jpeg[i + 1] as number;
    const length = jpeg.readUInt16BE(i + 2);
    const body = jpeg.subarray(i + 4, i + 2 + length);
    i += 2 + length;
    if (marker === 0xfe) comment = body.toString('latin1');
    if (marker === 0xdb) quant = body.subarray(1, 65);
    if (marker === 0xc0) {
      assert.equal(body[0], 8);
      height = body.readUInt16BE(1);
      width = body.readUInt16BE(3);
      assert.equal(body[5], 1, 'one component');
    }
    if (marker === 0xc4) {
      let j = 0;
      while (j < body.length) {
        const id = body[j] as number;
        const bits = body.subarray(j + 1, j + 17);
        const count = bits.reduce((a, b) => a + b, 0);
        tables.set(id, huffman(bits, body.subarray(j + 17, j + 17 + count)));
        j += 17 + count;
      }
    }
    if (marker === 0xda) break;
  }
  // Unstuff the scan up to EOI.
  assert.equal(jpeg.readUInt16BE(jpeg.length - 2), 0xffd9);
  const raw: number[] = [];
  for (let j = i; j < jpeg.length - 2; j++) {
    raw.push(jpeg[j] as number);
    if (jpeg[j] === 0xff) {
      assert.equal(jpeg[j + 1], 0x00, 'stuffed 0xFF');
      j++;
    }
  }
  let bit = 0;
  const read = (n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++, bit++) v = (v << 1) | (((raw[bit >> 3] as number) >> (7 - (bit & 7))) & 1);
    return v;
  };
  const symbol = (table: Map<string, number>): number => {
    let code = 0;
    for (let length = 1; length <= 16; length++) {
      code = (code << 1) | read(1);
      const s = table.get(`${length}:${code}`);
      if (s !== undefined) return s;
    }
    throw new Error(`bad Huffman code at bit ${bit}`);
  };
  const extend = (v: number, n: number): number => (n === 0 ? 0 : v < 1 << (n - 1) ? v - (1 << n) + 1 : v);
  const dcTable = tables.get(0x00)!;
  const acTable = tables.get(0x10)!;
  const dc: number[] = [];
  let previous = 0;
  let ac = false;
  for (let b = 0; b < (width / 8) * (height / 8); b++) {
    const size = symbol(dcTable);
    previous += extend(read(size), size);
    dc.push(previous * (quant![0] as number));
    for (let k = 1; k < 64; ) {
      const rs = symbol(acTable);
      if (rs === 0x00) break;
      ac = true;
      k += (rs >> 4) + 1;
      read(rs & 15);
    }
  }
  assert.ok(raw.length * 8 - bit < 8, 'only padding is left');
  return { width, height, comment, dc, ac };
}

describe('simulator: stream8 picture (media/jpeg.ts)', () => {
  it('is a baseline JFIF of 640×360 whose decoded blocks are the drawn counter, with the counter in COM', () => {
    for (const counter of [0, 7, 123456, 999999]) {
      const decoded = decode(counterJpeg(counter));
      assert.equal(decoded.width, JPEG_WIDTH);
      assert.equal(decoded.height, JPEG_HEIGHT);
      assert.equal(decoded.comment, frameComment(counter));
      assert.equal(decoded.ac, false);
      const levels = decoded.dc.map((dc) => Math.round(dc / 8 + 128));
      const expected = [...counterBlocks(counter)].map((l) => Math.round((8 * (l - 128)) / 16) * 2 + 128);
      assert.deepEqual(levels, expected);
      assert.ok(levels.every((l) => l >= 0 && l <= 255), 'levels in range');
      assert.ok(levels.some((l) => l >= 200), 'digits are drawn bright');
    }
  });

  it('draws different pictures for different counters, and a black one for privacy mode', () => {
    assert.notDeepEqual(counterBlocks(1), counterBlocks(2));
    assert.ok([...counterBlocks(5, true)].every((l) => l === 0));
    const black = decode(counterJpeg(5, true));
    assert.ok(black.dc.every((dc) => dc === -1024));
  });
});
