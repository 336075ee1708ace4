/**
 * H.264 over RTP (RFC 6184), pure (no sockets): RTP packets of a `packetization-mode` 0 or 1
 * stream turned into NAL units (single NAL unit packets, STAP-A, FU-A), grouped into access units
 * (one picture) by RTP timestamp and marker bit, written as Annex B (`00 00 00 01` before each NAL
 * unit, ITU-T H.264 Annex B) for a decoder such as ffmpeg (../shared/protocol/media.md §4).
 *
 * Malformed input is never thrown: a packet that does not parse is skipped, a fragmented NAL unit
 * with a lost fragment is dropped, and the caller goes on with the next packets.
 */
import { encodeRtpHeader } from './rtp-jpeg';
import type { RtpPacket } from './rtp-jpeg';

/** NAL unit types this module names (ITU-T H.264 Table 7-1, RFC 6184 §5.2). */
export const NAL_SLICE = 1;
export const NAL_IDR = 5;
export const NAL_SPS = 7;
export const NAL_PPS = 8;
export const NAL_AUD = 9;
export const NAL_STAP_A = 24;
export const NAL_FU_A = 28;

/** The type of a NAL unit (the low 5 bits of its first byte). */
export function nalType(nal: Buffer): number {
  return (nal[0] ?? 0) & 0x1f;
}

/** One picture's NAL units (without start codes), all with the same RTP timestamp. */
export interface AccessUnit {
  readonly timestamp: number;
  readonly nalus: readonly Buffer[];
}

const START_CODE = Buffer.from([0, 0, 0, 1]);

/** NAL units as an Annex B byte stream: a 4-byte start code before each. */
export function toAnnexB(nalus: readonly Buffer[]): Buffer {
  return Buffer.concat(nalus.flatMap((nal) => [START_CODE, nal]));
}

/**
 * The parameter sets of an `a=fmtp` line (RFC 6184 §8.1 `sprop-parameter-sets`: base64 NAL units,
 * comma-separated), in order. Takes the parsed parameters or the fmtp text itself; empty or
 * undecodable entries are left out.
 */
export function parseSpropParameterSets(fmtp: string | Readonly<Record<string, string>>): Buffer[] {
  let value: string | undefined;
  if (typeof fmtp === 'string') {
    value = /(?:^|;)\s*sprop-parameter-sets\s*=\s*([^;]*)/i.exec(fmtp)?.[1];
  } else {
    value = Object.entries(fmtp).find(([name]) => name.toLowerCase() === 'sprop-parameter-sets')?.[1];
  }
  if (value === undefined) return [];
  const out: Buffer[] = [];
  for (const entry of value.split(',')) {
    const text = entry.trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) continue;
    const nal = Buffer.from(text, 'base64');
    if (nal.length > 0 && ((nal[0] as number) & 0x80) === 0) out.push(nal);
  }
  return out;
}

/**
 * Turns RTP packets into access units. Packets are taken in arrival order (over TCP there is no
 * reordering); a sequence gap inside a FU-A drops that NAL unit. An access unit ends at a packet
 * with the marker bit, or when a packet of another timestamp arrives.
 */
export class H264Depacketizer {
  private nalus: Buffer[] = [];
  private timestamp: number | undefined;
  private fragments: Buffer[] | undefined;
  private nextSequence: number | undefined;
  /** NAL units dropped for a lost fragment so far (diagnostics and tests). */
  dropped = 0;

  /** Feeds one RTP packet; returns the access units it completed (zero, one or two). */
  push(packet: RtpPacket): AccessUnit[] {
    const done: AccessUnit[] = [];
    const gap = this.nextSequence !== undefined && packet.sequence !== this.nextSequence;
    this.nextSequence = (packet.sequence + 1) & 0xffff;
    if (this.timestamp !== undefined && packet.timestamp !== this.timestamp) {
      const unit = this.flush();
      if (unit !== undefined) done.push(unit);
    }
    this.timestamp = packet.timestamp;
    this.read(packet.payload, gap);
    if (packet.marker) {
      const unit = this.flush();
      if (unit !== undefined) done.push(unit);
    }
    return done;
  }

  /** Ends the access unit being collected (a fragment still open is dropped). */
  flush(): AccessUnit | undefined {
    this.dropFragments();
    const timestamp = this.timestamp;
    const nalus = this.nalus;
    this.nalus = [];
    this.timestamp = undefined;
    if (timestamp === undefined || nalus.length === 0) return undefined;
    return { timestamp, nalus };
  }

  private read(payload: Buffer, gap: boolean): void {
    if (payload.length === 0 || ((payload[0] as number) & 0x80) !== 0) return; // forbidden_zero_bit set: skip
    const type = nalType(payload);
    if (type === NAL_FU_A) {
      this.readFragment(payload, gap);
      return;
    }
    this.dropFragments();
    if (type >= 1 && type <= 23) {
      this.nalus.push(payload);
    } else if (type === NAL_STAP_A) {
      // STAP-A (RFC 6184 §5.7.1): header byte, then (16-bit size, NAL unit) repeated.
      let offset = 1;
      while (offset + 2 <= payload.length) {
        const size = payload.readUInt16BE(offset);
        offset += 2;
        if (size === 0 || offset + size > payload.length) break;
        this.nalus.push(payload.subarray(offset, offset + size));
        offset += size;
      }
    }
    // Other types (STAP-B, MTAP, FU-B, reserved) are not used in packetization-mode 0/1: ignored.
  }

  /** FU-A (RFC 6184 §5.8): indicator (F, NRI, 28), header (S, E, R, type), then a piece of the NAL unit. */
  private readFragment(payload: Buffer, gap: boolean): void {
    if (payload.length < 3) return;
    const indicator = payload[0] as number;
    const fu = payload[1] as number;
    const start = (fu & 0x80) !== 0;
    const end = (fu & 0x40) !== 0;
    if (start) {
      this.dropFragments();
      this.fragments = [Buffer.from([(indicator & 0xe0) | (fu & 0x1f)]), payload.subarray(2)];
    } else {
      if (this.fragments === undefined) return; // joined mid-NAL, or already dropped
      if (gap) {
        this.dropFragments();
        return;
      }
      this.fragments.push(payload.subarray(2));
    }
    if (end) {
      this.nalus.push(Buffer.concat(this.fragments));
      this.fragments = undefined;
    }
  }

  private dropFragments(): void {
    if (this.fragments !== undefined) this.dropped++;
    this.fragments = undefined;
  }
}

/**
 * Passes access units on from the first IDR picture (NAL type 5), as Annex B, with SPS (7) and
 * PPS (8) in front of that first one when the access unit does not carry them: the last ones seen
 * in band, else those of the SDP (`sprop-parameter-sets`). An IDR picture with no SPS or PPS to be
 * had is skipped (a decoder could not use it): the next one is waited for.
 */
export class IdrCollector {
  private sps: Buffer | undefined;
  private pps: Buffer | undefined;
  private started = false;

  constructor(parameterSets: readonly Buffer[] = []) {
    this.remember(parameterSets);
  }

  /** True once the first IDR picture has been passed on. */
  get isStarted(): boolean {
    return this.started;
  }

  /** Feeds one access unit; returns its Annex B bytes once the first IDR picture was reached. */
  push(unit: AccessUnit): Buffer | undefined {
    if (this.started) return toAnnexB(unit.nalus);
    this.remember(unit.nalus);
    if (!unit.nalus.some((n) => nalType(n) === NAL_IDR)) return undefined;
    const types = new Set(unit.nalus.map(nalType));
    const missing: Buffer[] = [];
    for (const [type, nal] of [
      [NAL_SPS, this.sps],
      [NAL_PPS, this.pps],
    ] as const) {
      if (types.has(type)) continue;
      if (nal === undefined) return undefined;
      missing.push(nal);
    }
    this.started = true;
    // An access unit delimiter stays first (H.264 §7.4.1.2.3); the parameter sets follow it.
    const lead = unit.nalus[0] !== undefined && nalType(unit.nalus[0]) === NAL_AUD ? 1 : 0;
    return toAnnexB([...unit.nalus.slice(0, lead), ...missing, ...unit.nalus.slice(lead)]);
  }

  private remember(nalus: readonly Buffer[]): void {
    for (const nal of nalus) {
      if (nalType(nal) === NAL_SPS) this.sps = nal;
      else if (nalType(nal) === NAL_PPS) this.pps = nal;
    }
  }
}

/**
 * Splits an Annex B byte stream into its NAL units (3- or 4-byte start codes; trailing zero bytes
 * of a NAL unit belong to the next start code). For tests and simulators.
 */
export function splitAnnexB(stream: Buffer): Buffer[] {
  const starts: { at: number; length: number }[] = [];
  for (let i = 0; i + 3 <= stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      const four = i > 0 && stream[i - 1] === 0;
      starts.push({ at: four ? i - 1 : i, length: four ? 4 : 3 });
      i += 2;
    }
  }
  return starts
    .map((s, k) => {
      let end = starts[k + 1]?.at ?? stream.length;
      while (end > s.at + s.length && stream[end - 1] === 0) end--;
      return stream.subarray(s.at + s.length, end);
    })
    .filter((nal) => nal.length > 0);
}

/**
 * RTP packets (RFC 6184, packetization-mode 1) for one access unit: NAL units up to `mtu` bytes
 * as single NAL unit packets, larger ones as FU-A; the marker bit on the last packet. For tests
 * and simulators.
 */
export function packetizeH264(options: {
  nalus: readonly Buffer[];
  mtu: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payloadType?: number;
}): Buffer[] {
  const payloads: Buffer[] = [];
  for (const nal of options.nalus) {
    if (nal.length <= options.mtu) {
      payloads.push(nal);
      continue;
    }
    const head = nal[0] as number;
    const body = nal.subarray(1);
    const piece = Math.max(1, options.mtu - 2);
    for (let offset = 0; offset < body.length; offset += piece) {
      const s = offset === 0 ? 0x80 : 0;
      const e = offset + piece >= body.length ? 0x40 : 0;
      payloads.push(Buffer.concat([Buffer.from([(head & 0xe0) | NAL_FU_A, s | e | (head & 0x1f)]), body.subarray(offset, offset + piece)]));
    }
  }
  return payloads.map((payload, i) =>
    Buffer.concat([
      encodeRtpHeader({ marker: i === payloads.length - 1, payloadType: options.payloadType ?? 96, sequence: options.sequence + i, timestamp: options.timestamp, ssrc: options.ssrc }),
      payload,
    ]),
  );
}
