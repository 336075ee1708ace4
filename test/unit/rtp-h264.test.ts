/**
 * H.264 over RTP (src/protocol/rtp-h264.ts, RFC 6184): single NAL unit packets, STAP-A, FU-A with
 * a lost fragment, access units by timestamp and marker, sprop-parameter-sets, and the collector
 * that starts at the first IDR picture with SPS and PPS in front. Packets are built here by hand
 * (not with packetizeH264) so that the depacketiser is checked against the RFC, not against itself.
 */
import { strict as assert } from 'node:assert';

import {
  H264Depacketizer,
  IdrCollector,
  packetizeH264,
  parseSpropParameterSets,
  splitAnnexB,
  toAnnexB,
} from '../../src/protocol/rtp-h264';
import type { AccessUnit } from '../../src/protocol/rtp-h264';
import { parseRtp } from '../../src/protocol/rtp-jpeg';
import type { RtpPacket } from '../../src/protocol/rtp-jpeg';

/** An RTP packet with this payload (PT 96). */
function rtp(payload: Buffer, sequence: number, timestamp: number, marker = false): RtpPacket {
  const head = Buffer.from([0x80, (marker ? 0x80 : 0) | 96, sequence >> 8, sequence & 0xff, 0, 0, 0, 0, 0, 0, 0, 7]);
  head.writeUInt32BE(timestamp, 4);
  const packet = parseRtp(Buffer.concat([head, payload]));
  assert.ok(packet);
  return packet;
}

const nal = (header: number, size: number, seed = 1): Buffer => Buffer.from([header, ...Array.from({ length: size - 1 }, (_, i) => (i * seed + 3) & 0xff)]);
const SPS = nal(0x67, 12);
const PPS = nal(0x68, 5);
const IDR = nal(0x65, 40, 7);
const SLICE = nal(0x41, 30, 5);
const SEI = nal(0x06, 6);

/** FU-A packets of `unit` in pieces of `piece` bytes (RFC 6184 §5.8), as payloads. */
function fuA(unit: Buffer, piece: number): Buffer[] {
  const out: Buffer[] = [];
  const body = unit.subarray(1);
  for (let offset = 0; offset < body.length; offset += piece) {
    const start = offset === 0 ? 0x80 : 0;
    const end = offset + piece >= body.length ? 0x40 : 0;
    out.push(Buffer.concat([Buffer.from([((unit[0] as number) & 0xe0) | 28, start | end | ((unit[0] as number) & 0x1f)]), body.subarray(offset, offset + piece)]));
  }
  return out;
}

function stapA(units: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([0x78]), ...units.flatMap((u) => [Buffer.from([u.length >> 8, u.length & 0xff]), u])]);
}

describe('RTP/H.264 (RFC 6184)', () => {
  it('single NAL unit packets: one access unit per marker', () => {
    const d = new H264Depacketizer();
    assert.deepEqual(d.push(rtp(SLICE, 1, 3000)), []);
    const [unit, ...rest] = d.push(rtp(SEI, 2, 3000, true));
    assert.deepEqual(rest, []);
    assert.deepEqual(unit, { timestamp: 3000, nalus: [SLICE, SEI] });
  });

  it('STAP-A: the aggregated NAL units in order', () => {
    const d = new H264Depacketizer();
    d.push(rtp(stapA([SPS, PPS]), 1, 0));
    const units = d.push(rtp(IDR, 2, 0, true));
    assert.deepEqual(units, [{ timestamp: 0, nalus: [SPS, PPS, IDR] }]);
  });

  it('FU-A: fragments reassembled with the NAL header rebuilt from indicator and FU header', () => {
    const d = new H264Depacketizer();
    const parts = fuA(IDR, 9);
    assert.equal(parts.length, 5);
    const units: AccessUnit[] = [];
    parts.forEach((p, i) => units.push(...d.push(rtp(p, 10 + i, 90, i === parts.length - 1))));
    assert.deepEqual(units, [{ timestamp: 90, nalus: [IDR] }]);
    assert.equal(d.dropped, 0);
  });

  it('FU-A with a fragment lost in the middle drops that NAL unit only; the next one comes through', () => {
    const d = new H264Depacketizer();
    const parts = fuA(IDR, 9);
    const units: AccessUnit[] = [];
    let seq = 100;
    parts.forEach((p, i) => {
      if (i === 2) {
        seq++; // lost
        return;
      }
      units.push(...d.push(rtp(p, seq++, 90, false)));
    });
    units.push(...d.push(rtp(SLICE, seq++, 90, true)));
    assert.deepEqual(units, [{ timestamp: 90, nalus: [SLICE] }]);
    assert.equal(d.dropped, 1);
    // A later fragmented NAL unit is whole again.
    const later = fuA(IDR, 9).flatMap((p, i, all) => d.push(rtp(p, seq++, 180, i === all.length - 1)));
    assert.deepEqual(later, [{ timestamp: 180, nalus: [IDR] }]);
  });

  it('a stream joined mid-FU-A ignores the tail; unknown types (STAP-B, FU-B) are skipped', () => {
    const d = new H264Depacketizer();
    const parts = fuA(IDR, 9);
    const units = [...d.push(rtp(parts[3] as Buffer, 1, 0)), ...d.push(rtp(parts[4] as Buffer, 2, 0)), ...d.push(rtp(Buffer.from([0x79, 1, 2]), 3, 0))];
    units.push(...d.push(rtp(Buffer.from([0x7d, 0x85, 1]), 4, 0, true)));
    assert.deepEqual(units, []);
  });

  it('groups by timestamp when a marker is lost', () => {
    const d = new H264Depacketizer();
    d.push(rtp(SLICE, 1, 0));
    const units = d.push(rtp(SEI, 2, 3600));
    assert.deepEqual(units, [{ timestamp: 0, nalus: [SLICE] }]);
    assert.deepEqual(d.flush(), { timestamp: 3600, nalus: [SEI] });
    assert.equal(d.flush(), undefined);
  });

  it('reads sprop-parameter-sets from fmtp text or parameters; bad entries left out', () => {
    const sps = SPS.toString('base64');
    const pps = PPS.toString('base64');
    const text = `packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=${sps},${pps}`;
    assert.deepEqual(parseSpropParameterSets(text), [SPS, PPS]);
    assert.deepEqual(parseSpropParameterSets({ 'sprop-parameter-sets': ` ${sps} , !!, ${pps}` }), [SPS, PPS]);
    assert.deepEqual(parseSpropParameterSets('packetization-mode=1'), []);
    assert.deepEqual(parseSpropParameterSets({}), []);
  });

  it('Annex B: a 4-byte start code before each NAL unit, split back with 3- and 4-byte codes', () => {
    const stream = toAnnexB([SPS, PPS]);
    assert.equal(stream.subarray(0, 5).toString('hex'), `00000001${SPS.subarray(0, 1).toString('hex')}`);
    assert.deepEqual(splitAnnexB(stream), [SPS, PPS]);
    assert.deepEqual(splitAnnexB(Buffer.concat([Buffer.from([0, 0, 1]), SEI, Buffer.from([0, 0, 0, 0, 1]), SLICE])), [SEI, SLICE]);
  });
});

describe('IdrCollector: from the first IDR picture, with SPS and PPS in front', () => {
  const unit = (timestamp: number, ...nalus: Buffer[]): AccessUnit => ({ timestamp, nalus });

  it('waits for the IDR picture and prepends the SDP parameter sets when the stream has none', () => {
    const c = new IdrCollector([SPS, PPS]);
    assert.equal(c.push(unit(0, SLICE)), undefined);
    assert.equal(c.isStarted, false);
    assert.deepEqual(c.push(unit(1, SEI, IDR)), toAnnexB([SPS, PPS, SEI, IDR]));
    assert.deepEqual(c.push(unit(2, SLICE)), toAnnexB([SLICE]));
  });

  it('in-band parameter sets seen before the IDR picture are used (and win over the SDP)', () => {
    const sdpSps = nal(0x67, 12, 9);
    const c = new IdrCollector([sdpSps, PPS]);
    assert.equal(c.push(unit(0, SPS, SLICE)), undefined);
    assert.deepEqual(c.push(unit(1, IDR)), toAnnexB([SPS, PPS, IDR]));
  });

  it('an IDR access unit with its own SPS and PPS passes as it is; an AUD stays first', () => {
    const aud = Buffer.from([0x09, 0xf0]);
    assert.deepEqual(new IdrCollector().push(unit(0, SPS, PPS, IDR)), toAnnexB([SPS, PPS, IDR]));
    assert.deepEqual(new IdrCollector([SPS, PPS]).push(unit(0, aud, IDR)), toAnnexB([aud, SPS, PPS, IDR]));
  });

  it('an IDR picture without any PPS to be had is skipped, the next one with them starts', () => {
    const c = new IdrCollector();
    assert.equal(c.push(unit(0, SPS, IDR)), undefined);
    assert.deepEqual(c.push(unit(1, PPS, IDR)), toAnnexB([SPS, PPS, IDR]));
  });

  it('packetizeH264 (for tests and simulators) round-trips through the depacketiser: single NALs and FU-A', () => {
    const packets = packetizeH264({ nalus: [SPS, PPS, IDR], mtu: 16, sequence: 65534, timestamp: 5, ssrc: 9 }).map((b) => parseRtp(b));
    const d = new H264Depacketizer();
    const units = packets.flatMap((p) => (p ? d.push(p) : []));
    assert.deepEqual(units, [{ timestamp: 5, nalus: [SPS, PPS, IDR] }]);
    assert.equal(packets.filter((p) => p?.marker).length, 1);
  });
});
