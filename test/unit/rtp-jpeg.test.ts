/**
 * RTP/JPEG depacketizing (src/protocol/rtp-jpeg.ts, media.md §3): interleaved frames, the RTP
 * header, the RTP/JPEG headers, frames from fragments (loss and reordering drop a frame), a whole
 * JFIF returned byte for byte (Tapo, §3.3) and JFIF headers rebuilt per RFC 2435 Appendix A.
 *
 * The expected JPEG headers are written out here from the JPEG standard's tables (Annex K, in the
 * byte layout an encoder writes them), not taken from the code under test.
 */
import { strict as assert } from 'node:assert';

import {
  JpegAssembler,
  encodeInterleaved,
  jfifSize,
  packetizeJpeg,
  parseJpegFragment,
  parseRtp,
  quantTablesForQ,
  readInterleaved,
} from '../../src/protocol/rtp-jpeg';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Annex K.1, zig-zag order (quality 50 = the tables unscaled).
const LUMA_Q50 = '100b0c0e0c0a100e0d0e1211101318281a181616183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c656763';
const CHROMA_Q50 = '1112121815182f1a1a2f634238426363' + '63'.repeat(48);
// Annex K.3 as DHT segments.
const DHT = [
  'ffc4001f00 00010501010101010100000000000000 000102030405060708090a0b',
  'ffc400b510 0002010303020403050504040000017d ' +
    '01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa',
  'ffc4001f01 00030101010101010101010000000000 000102030405060708090a0b',
  'ffc400b511 00020102040403040705040400010277 ' +
    '000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa',
].join('');
// SOF0 16×16, components 0, 1, 2 as RFC 2435 numbers them, type 1 (luma 2×2).
const SOF_16X16_TYPE1 = 'ffc0001108 0010 0010 03 002200 011101 021101';
const SOS = 'ffda000c03 0000 0111 0211 003f00';
/**
 * The scan of a 16×16 mid-grey 4:2:0 image with the Annex K Huffman tables: one MCU of four luma
 * blocks (DC difference 0 = `00`, EOB = `1010`) and two chroma blocks (`00`, EOB `00`): 32 bits.
 */
const GREY_SCAN = hex('28a28a00');

function expectedJpeg(dqt: string, dri = ''): Buffer {
  return hex(`ffd8 ${dqt} ${dri} ${SOF_16X16_TYPE1} ${DHT} ${SOS}` + GREY_SCAN.toString('hex') + 'ffd9');
}
const GREY_Q50 = expectedJpeg(`ffdb004300 ${LUMA_Q50} ffdb004301 ${CHROMA_Q50}`);

function packets(data: Buffer, over: Partial<Parameters<typeof packetizeJpeg>[0]> = {}): Buffer[] {
  return packetizeJpeg({ data, type: 1, q: 50, width: 16, height: 16, chunk: 64, sequence: 65530, timestamp: 1000, ssrc: 0x11223344, ...over });
}

function feed(assembler: JpegAssembler, list: Buffer[]) {
  const frames = [];
  for (const p of list) {
    const rtp = parseRtp(p);
    assert.ok(rtp);
    const frame = assembler.push(rtp);
    if (frame) frames.push(frame);
  }
  return frames;
}

describe('RTP/JPEG (media.md §3, RFC 3550, RFC 2435)', () => {
  it('reads interleaved frames and waits for incomplete ones', () => {
    const a = encodeInterleaved(0, hex('0102'));
    const b = encodeInterleaved(1, hex('03'));
    const both = Buffer.concat([a, b]);
    assert.deepEqual(readInterleaved(both), { channel: 0, data: hex('0102'), next: 6 });
    assert.deepEqual(readInterleaved(both, 6), { channel: 1, data: hex('03'), next: 11 });
    assert.equal(readInterleaved(both.subarray(0, 5)), undefined);
    assert.equal(readInterleaved(both.subarray(0, 3)), undefined);
    assert.throws(() => readInterleaved(hex('52545350')), RangeError);
  });

  it('parses the RTP header: marker, payload type, sequence, timestamp, SSRC, CSRCs, extension, padding', () => {
    const packet = hex('b3 9a 1234 89abcdef 01020304 00000001 00000002 00000003 beef 0001 cafebabe 4142 0000 03');
    const rtp = parseRtp(packet);
    assert.ok(rtp);
    assert.equal(rtp.version, 2);
    assert.equal(rtp.padding, true);
    assert.equal(rtp.extension, true);
    assert.equal(rtp.csrcCount, 3);
    assert.equal(rtp.marker, true);
    assert.equal(rtp.payloadType, 26);
    assert.equal(rtp.sequence, 0x1234);
    assert.equal(rtp.timestamp, 0x89abcdef);
    assert.equal(rtp.ssrc, 0x01020304);
    assert.deepEqual(rtp.csrc, [1, 2, 3]);
    assert.equal(rtp.extensionProfile, 0xbeef);
    assert.deepEqual(rtp.extensionData, hex('cafebabe'));
    assert.deepEqual(rtp.payload, hex('4142'));
    assert.equal(parseRtp(hex('40 1a 0000 00000000 00000000')), undefined, 'version 1');
    assert.equal(parseRtp(hex('80 1a 0000 000000')), undefined, 'short');
    assert.equal(parseRtp(hex('82 1a 0000 00000000 00000000 00000001')), undefined, 'CSRC beyond the end');
  });

  it('parses the RTP/JPEG main header, the restart header (types 64–127) and in-band tables (Q ≥ 128, offset 0)', () => {
    const f = parseJpegFragment(hex('00 000000 41 ff 02 03  0010 ffff  00 00 0004 aabbccdd  eeff'));
    assert.ok(f);
    assert.equal(f.fragmentOffset, 0);
    assert.equal(f.type, 65);
    assert.equal(f.q, 255);
    assert.equal(f.width, 16);
    assert.equal(f.height, 24);
    assert.equal(f.restartInterval, 16);
    assert.deepEqual(f.quantTables, hex('aabbccdd'));
    assert.deepEqual(f.data, hex('eeff'));
    const later = parseJpegFragment(hex('00 012345 01 ff 02 02 eeff'));
    assert.equal(later?.fragmentOffset, 0x012345);
    assert.equal(later?.quantTables, undefined, 'tables only in the first fragment');
    assert.deepEqual(later?.data, hex('eeff'));
  });

  it('scales the standard tables by Q as RFC 2435 MakeTables does', () => {
    assert.deepEqual(quantTablesForQ(50).luma, hex(LUMA_Q50));
    assert.deepEqual(quantTablesForQ(50).chroma, hex(CHROMA_Q50));
    assert.equal(quantTablesForQ(75).luma[0], 8); // 16 × 50 / 100
    assert.equal(quantTablesForQ(10).luma[0], 80); // 16 × 500 / 100
    assert.equal(quantTablesForQ(1).chroma[63], 255); // clamped
    assert.equal(quantTablesForQ(99).luma[0], 1); // 16 × 2 / 100 = 0 → 1
  });

  it('returns a whole JFIF in the fragments (Tapo) byte for byte, with its size from SOF0', () => {
    const assembler = new JpegAssembler();
    const list = packets(GREY_Q50, { type: 1, q: 80 });
    assert.ok(list.length > 5);
    const frames = feed(assembler, list);
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0]?.jpeg, GREY_Q50);
    assert.equal(frames[0]?.width, 16);
    assert.equal(frames[0]?.height, 16);
    assert.equal(frames[0]?.timestamp, 1000);
    assert.deepEqual(jfifSize(GREY_Q50), { width: 16, height: 16 });
  });

  it('rebuilds the JFIF headers of a bare scan, type 1, Q=50 (RFC 2435 Appendix A): byte-exact', () => {
    const frames = feed(new JpegAssembler(), packets(GREY_SCAN, { chunk: 3 }));
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0]?.jpeg, GREY_Q50);
    assert.equal(frames[0]?.width, 16);
    assert.equal(frames[0]?.height, 16);
  });

  it('rebuilds with in-band tables for Q=255 and a DRI segment for type 65', () => {
    const luma = Buffer.alloc(64, 2);
    const chroma = Buffer.alloc(64, 3);
    const frames = feed(
      new JpegAssembler(),
      packets(GREY_SCAN, { type: 65, q: 255, chunk: 2, restartInterval: 1, quantTables: Buffer.concat([luma, chroma]) }),
    );
    assert.equal(frames.length, 1);
    const expected = expectedJpeg(`ffdb004300 ${'02'.repeat(64)} ffdb004301 ${'03'.repeat(64)}`, 'ffdd0004 0001');
    assert.deepEqual(frames[0]?.jpeg, expected);
  });

  it('Q=128–254 reuses the tables of an earlier frame; Q=255 without tables drops the frame', () => {
    const assembler = new JpegAssembler();
    const tables = Buffer.concat([Buffer.alloc(64, 4), Buffer.alloc(64, 5)]);
    const first = feed(assembler, packets(GREY_SCAN, { q: 200, quantTables: tables }));
    const second = feed(assembler, packets(GREY_SCAN, { q: 200, sequence: 10, timestamp: 4000 }));
    assert.equal(second.length, 1);
    assert.deepEqual(second[0]?.jpeg, first[0]?.jpeg);
    assert.deepEqual(feed(assembler, packets(GREY_SCAN, { q: 255, sequence: 20, timestamp: 7000 })), []);
    assert.equal(assembler.dropped, 1);
  });

  it('drops a frame with a lost fragment and takes the next whole one', () => {
    const assembler = new JpegAssembler();
    const lost = packets(GREY_Q50);
    lost.splice(2, 1);
    assert.deepEqual(feed(assembler, lost), []);
    assert.equal(assembler.dropped, 1);
    const next = feed(assembler, packets(GREY_Q50, { sequence: 100, timestamp: 4000 }));
    assert.deepEqual(next.map((f) => f.jpeg), [GREY_Q50]);
  });

  it('drops a frame with reordered fragments', () => {
    const assembler = new JpegAssembler();
    const list = packets(GREY_Q50);
    [list[1], list[2]] = [list[2] as Buffer, list[1] as Buffer];
    assert.deepEqual(feed(assembler, list), []);
    assert.equal(assembler.dropped, 1);
  });

  it('drops a frame whose last packet is lost when the next frame starts, and ignores a stream joined mid-frame', () => {
    const assembler = new JpegAssembler();
    const list = packets(GREY_Q50);
    assert.deepEqual(feed(assembler, list.slice(3)), [], 'joined mid-frame');
    assert.equal(assembler.dropped, 0);
    const cut = packets(GREY_Q50, { sequence: 200, timestamp: 2000 }).slice(0, -1);
    const whole = packets(GREY_Q50, { sequence: 300, timestamp: 5000 });
    const frames = feed(assembler, [...cut, ...whole]);
    assert.deepEqual(frames.map((f) => f.timestamp), [5000]);
    assert.equal(assembler.dropped, 1);
  });

  it('drops a JFIF frame that does not end with EOI', () => {
    const assembler = new JpegAssembler();
    assert.deepEqual(feed(assembler, packets(GREY_Q50.subarray(0, -2))), []);
    assert.equal(assembler.dropped, 1);
  });
});
