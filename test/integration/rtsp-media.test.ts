/**
 * The simulated camera's RTSP media beyond Tapo's `stream8` (media.md §2.2, §2.3, §3.3, §8):
 * `stream8` as RFC 2435 scans (Q 80, or Q 255 with in-band tables) rebuilt here by test-local
 * code and compared with `stream8Jpeg`, H.264 `stream1`/`stream2` read by ffmpeg as an
 * independent client and by a raw client (RFC 6184 packets), the 2-session limit, Digest-only
 * firmware, and the ffmpeg encoders the simulator must never leave running.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

import { findFfmpeg, startDevice, stream8Jpeg } from '../../src/simulator';
import type { RtspFrameInfo, SimulatedDevice, StartDeviceOptions } from '../../src/simulator';
import { ACCOUNT, RawRtsp, header } from './rtsp-raw';
import type { RtpPacket } from './rtsp-raw';

const CAMERA = 'C101(US)_5.0_1.4.3';
/** Captured with the lens mask on. */
const PRIVATE_CAMERA = 'C210(EU)_2.0_1.4.3';
const FFMPEG = findFfmpeg();
const TRANSPORT = { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' };

/** Segments of a JPEG up to SOS: marker and body (without the length field). */
function segments(jpeg: Buffer): Array<{ marker: number; body: Buffer }> {
  const out: Array<{ marker: number; body: Buffer }> = [{ marker: 0xd8, body: Buffer.alloc(0) }];
  let i = 2;
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1] as number;
    const length = jpeg.readUInt16BE(i + 2);
    out.push({ marker, body: jpeg.subarray(i + 4, i + 2 + length) });
    if (marker === 0xda) break;
    i += 2 + length;
  }
  return out;
}

/** Width and height from a JPEG's SOF0. */
function jpegSize(jpeg: Buffer): { width: number; height: number } {
  const sof = segments(jpeg).find((s) => s.marker === 0xc0);
  assert.ok(sof, 'a baseline SOF0');
  return { height: sof.body.readUInt16BE(1), width: sof.body.readUInt16BE(3) };
}

/** The length of the headers of an RFC-form JPEG (SOI … SOS). */
function headerLength(jpeg: Buffer): number {
  const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  return sos + 2 + jpeg.readUInt16BE(sos + 2);
}

/** RFC 2435 depacketizer, test-local: complete frames' scan data and the in-band tables of each. */
function rfcFrames(packets: RtpPacket[]): Array<{ q: number; type: number; scan: Buffer; tables: Buffer | undefined }> {
  const frames: Array<{ q: number; type: number; scan: Buffer; tables: Buffer | undefined }> = [];
  let open: { q: number; type: number; parts: Buffer[]; collected: number; tables: Buffer | undefined } | undefined;
  for (const p of packets) {
    const main = p.payload.subarray(0, 8);
    const offset = main.readUIntBE(1, 3);
    const type = main[4] as number;
    const q = main[5] as number;
    let data = p.payload.subarray(8);
    if (type >= 64) data = data.subarray(4);
    let tables: Buffer | undefined;
    if (offset === 0 && q >= 128) {
      assert.equal(data[0], 0, 'MBZ');
      assert.equal(data[1], 0, 'precision 0: 8-bit tables');
      const length = data.readUInt16BE(2);
      tables = Buffer.from(data.subarray(4, 4 + length));
      data = data.subarray(4 + length);
    }
    if (offset === 0) open = { q, type, parts: [], collected: 0, tables };
    if (open === undefined) continue;
    assert.equal(offset, open.collected, 'fragment offset = scan bytes collected so far');
    open.parts.push(data);
    open.collected += data.length;
    if (p.marker) {
      frames.push({ q: open.q, type: open.type, scan: Buffer.concat(open.parts), tables: open.tables });
      open = undefined;
    }
  }
  return frames;
}

/** Runs ffmpeg with `args`; resolves with its exit code and stdout. */
function runFfmpeg(args: string[], children: ChildProcess[], stdin?: Buffer): Promise<{ code: number | null; stdout: Buffer }> {
  return new Promise((resolve) => {
    const child = spawn(FFMPEG as string, ['-hide_banner', '-loglevel', 'error', ...args], { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'ignore'] });
    children.push(child);
    const out: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stdin?.end(stdin);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out) }));
  });
}

/** Resolves when `ready()` holds; rejects after `ms` (a guard, not a timing assertion). */
async function until(ready: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** NAL units of RFC 6184 payloads (single NAL units and FU-A), test-local. */
function nalUnits(payloads: Buffer[]): Buffer[] {
  const units: Buffer[] = [];
  let fu: Buffer[] | undefined;
  for (const p of payloads) {
    const type = (p[0] as number) & 0x1f;
    if (type !== 28) {
      assert.equal(fu, undefined, 'no single NAL unit inside a fragmented one');
      units.push(p);
      continue;
    }
    const fuHeader = p[1] as number;
    if (fuHeader & 0x80) fu = [Buffer.from([((p[0] as number) & 0xe0) | (fuHeader & 0x1f)])];
    assert.ok(fu, 'an FU-A start comes first');
    fu.push(p.subarray(2));
    if (fuHeader & 0x40) {
      units.push(Buffer.concat(fu));
      fu = undefined;
    }
  }
  return units;
}

describe('simulated camera: RTSP media forms, H.264 streams, session limit (media.md §2, §3, §8)', function () {
  this.timeout(30_000);
  const devices: SimulatedDevice[] = [];
  const clients: RawRtsp[] = [];
  const children: ChildProcess[] = [];

  async function camera(options: Partial<StartDeviceOptions> = {}): Promise<SimulatedDevice> {
    const device = await startDevice({ fixture: CAMERA, rtspPort: 0, cameraAccount: ACCOUNT, ...options });
    devices.push(device);
    return device;
  }

  async function client(device: SimulatedDevice, path = 'stream8', account = ACCOUNT): Promise<RawRtsp> {
    const c = await RawRtsp.connect(device.rtspPort!, account, path);
    clients.push(c);
    return c;
  }

  function url(device: SimulatedDevice, path: string): string {
    return `rtsp://${ACCOUNT.username}:${ACCOUNT.password}@127.0.0.1:${device.rtspPort}/${path}`;
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const stopping = devices.splice(0);
    await Promise.all(stopping.map((d) => d.stop()));
    for (const d of stopping) assert.equal(d.rtspServer?.liveEncoders, 0, 'no ffmpeg left running after stop()');
  });

  describe('stream8 in RFC 2435 form', () => {
    it("'rfc': bare scans, type 0, Q 80, no tables in-band; headers rebuilt per MakeHeaders give stream8Jpeg byte for byte", async () => {
      const device = await camera({ rtspJpegForm: 'rfc' });
      const sent: RtspFrameInfo[] = [];
      device.on('rtspFrame', (info: RtspFrameInfo) => sent.push(info));
      const c = await client(device);
      await c.play();
      await c.until(() => rfcFrames(c.packets).length >= 2, 5000, 'two frames');
      const frames = rfcFrames(c.packets);
      for (const [i, frame] of frames.entries()) {
        const info = sent[i]!;
        assert.deepEqual({ path: info.path, form: info.form }, { path: 'stream8', form: 'rfc' });
        assert.equal(frame.type, 0);
        assert.equal(frame.q, 80);
        assert.equal(frame.tables, undefined);
        assert.notDeepEqual([...frame.scan.subarray(0, 2)], [0xff, 0xd8], 'not a JFIF');
        const expected = stream8Jpeg(info.counter, 'rfc');
        assert.deepEqual(Buffer.concat([expected.subarray(0, headerLength(expected)), frame.scan, Buffer.from([0xff, 0xd9])]), expected);
      }
      assert.notEqual(sent[0]!.counter, sent[1]!.counter);
      assert.notDeepEqual(frames[0]!.scan, frames[1]!.scan, 'the drawn counter differs');
      for (const p of c.packets) assert.deepEqual([p.width, p.height], [640, 360]);
    });

    it("'rfc-tables' switched on at run time: Q 255, both 64-byte tables in the first packet of each frame only, equal to the DQTs of stream8Jpeg", async () => {
      const device = await camera();
      const sent: RtspFrameInfo[] = [];
      device.on('rtspFrame', (info: RtspFrameInfo) => sent.push(info));
      const c = await client(device);
      await c.play();
      await c.until(() => c.frames().length >= 1, 5000, 'a Tapo frame');
      await assert.rejects(device.setFaults({ rtspJpegForm: 'rfc-2435' }), /rtspJpegForm/);
      await device.setFaults({ rtspJpegForm: 'rfc-tables' });
      const switched = sent.length;
      await c.until(() => rfcFrames(c.packets).filter((f) => f.q === 255).length >= 2, 5000, 'two rfc-tables frames');
      const rfc = rfcFrames(c.packets).filter((f) => f.q === 255);
      const infos = sent.slice(switched);
      for (const [i, frame] of rfc.slice(0, 2).entries()) {
        const info = infos[i]!;
        assert.equal(info.form, 'rfc-tables');
        const expected = stream8Jpeg(info.counter, 'rfc-tables');
        const dqt = segments(expected).filter((s) => s.marker === 0xdb);
        assert.equal(frame.tables?.length, 128);
        assert.deepEqual(frame.tables, Buffer.concat([dqt[0]!.body.subarray(1), dqt[1]!.body.subarray(1)]));
        assert.deepEqual(Buffer.concat([expected.subarray(0, headerLength(expected)), frame.scan, Buffer.from([0xff, 0xd9])]), expected);
      }
      // Tables only where the fragment offset is 0.
      const q255 = c.packets.filter((p) => p.payload[5] === 255);
      const later = q255.filter((p) => p.payload.readUIntBE(1, 3) !== 0);
      assert.ok(later.length > 0);
      for (const p of later) assert.ok(p.payload.length <= 8 + 1000, 'no table header after the first packet');
    });

    it('stream8Jpeg of the RFC forms follows MakeHeaders: SOI, DQT 0, DQT 1, SOF0 3 components 0x21/0x11/0x11, four DHT segments, SOS 0x00/0x11/0x11', () => {
      for (const form of ['rfc', 'rfc-tables'] as const) {
        const jpeg = stream8Jpeg(42, form);
        const segs = segments(jpeg);
        assert.deepEqual(segs.map((s) => s.marker), [0xd8, 0xdb, 0xdb, 0xc0, 0xc4, 0xc4, 0xc4, 0xc4, 0xda]);
        assert.deepEqual(segs.slice(1, 3).map((s) => [s.body.length, s.body[0]]), [[65, 0], [65, 1]]);
        assert.deepEqual([...segs[3]!.body], [8, 1, 104, 2, 128, 3, 0, 0x21, 0, 1, 0x11, 1, 2, 0x11, 1]);
        assert.deepEqual(segs.slice(4, 8).map((s) => [s.body[0], s.body.length]), [[0x00, 29], [0x10, 179], [0x01, 29], [0x11, 179]]);
        assert.deepEqual([...segs[8]!.body], [3, 0, 0x00, 1, 0x11, 2, 0x11, 0, 63, 0]);
        assert.deepEqual([...jpeg.subarray(-2)], [0xff, 0xd9]);
      }
      // Q 80 by RFC 2435 MakeTables: scale 200 − 2·80 = 40, K.1[0] 16 → 6, K.2[0] 17 → 7; in-band = K.1/K.2 as is.
      const q80 = segments(stream8Jpeg(1, 'rfc')).filter((s) => s.marker === 0xdb);
      assert.deepEqual([q80[0]!.body[1], q80[0]!.body[2], q80[1]!.body[1], q80[1]!.body[64]], [6, 4, 7, 40]);
      const inBand = segments(stream8Jpeg(1, 'rfc-tables')).filter((s) => s.marker === 0xdb);
      assert.deepEqual([inBand[0]!.body[1], inBand[0]!.body[64], inBand[1]!.body[1], inBand[1]!.body[64]], [16, 99, 17, 99]);
      assert.deepEqual(stream8Jpeg(7, 'tapo').subarray(0, 2), Buffer.from([0xff, 0xd8]));
    });

    it('the RFC JPEGs decode (ffmpeg) to the same 640×360 picture as the Tapo JFIF: counter in ink 240 on grey 64', async function () {
      if (FFMPEG === undefined) this.skip();
      const decode = async (jpeg: Buffer): Promise<Buffer> => {
        const { code, stdout } = await runFfmpeg(['-f', 'image2pipe', '-c:v', 'mjpeg', '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], children, jpeg);
        assert.equal(code, 0);
        return stdout;
      };
      const tapo = await decode(stream8Jpeg(123456, 'tapo'));
      assert.equal(tapo.length, 640 * 360);
      assert.deepEqual(new Set(tapo), new Set([64, 240]));
      for (const form of ['rfc', 'rfc-tables'] as const) assert.deepEqual(await decode(stream8Jpeg(123456, form)), tapo, form);
      const black = await decode(stream8Jpeg(5, 'rfc', true));
      assert.deepEqual(new Set(black), new Set([0]));
    });
  });

  describe('stream1 / stream2 (H.264 via ffmpeg)', () => {
    for (const [path, width, height] of [['stream2', 640, 360], ['stream1', 1280, 720]] as const) {
      it(`an independent client (ffmpeg) reads one ${width}×${height} picture from ${path}; the encoder stops when it leaves`, async function () {
        if (FFMPEG === undefined) this.skip();
        const device = await camera({ cameraAccount: { username: 'tapo-cam', password: 'tapo-sim-cam' } });
        const target = `rtsp://tapo-cam:tapo-sim-cam@127.0.0.1:${device.rtspPort}/${path}`;
        const { code, stdout } = await runFfmpeg(['-rtsp_transport', 'tcp', '-i', target, '-frames:v', '1', '-an', '-c:v', 'mjpeg', '-f', 'image2pipe', 'pipe:1'], children);
        assert.equal(code, 0);
        assert.deepEqual([...stdout.subarray(0, 2)], [0xff, 0xd8]);
        assert.deepEqual(jpegSize(stdout), { width, height });
        await until(() => device.rtspServer!.liveEncoders === 0, 5000, 'the encoder to stop after the last session');
      });
    }

    it('privacy mode: stream2 pictures are black; without it they show the counter', async function () {
      if (FFMPEG === undefined) this.skip();
      const grab = async (device: SimulatedDevice): Promise<Buffer> => {
        const { code, stdout } = await runFfmpeg(['-rtsp_transport', 'tcp', '-i', url(device, 'stream2'), '-frames:v', '1', '-an', '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], children);
        assert.equal(code, 0);
        assert.equal(stdout.length, 640 * 360);
        return stdout;
      };
      const [dark, normal] = await Promise.all([grab(await camera({ fixture: PRIVATE_CAMERA })), grab(await camera())]);
      const brightest = (picture: Buffer): number => picture.reduce((max, v) => Math.max(max, v), 0);
      assert.ok(brightest(dark) < 30, `black picture, brightest ${brightest(dark)}`);
      assert.ok(brightest(normal) > 200, `the counter is drawn, brightest ${brightest(normal)}`);
    });

    it('SDP and RFC 6184 packets: PT 96, sprop SPS/PPS = the in-band ones, start at an IDR, FU-A above 1400 bytes, marker on the last packet of each access unit', async function () {
      if (FFMPEG === undefined) this.skip();
      const device = await camera();
      const c = await client(device, 'stream2');
      await c.request('DESCRIBE', c.base, {}, 'none');
      const describe = await c.request('DESCRIBE', c.base, { Accept: 'application/sdp' });
      assert.equal(describe.status, 200);
      assert.equal(header(describe, 'Content-Base'), `${c.base}/`);
      assert.match(describe.body, /^m=video 0 RTP\/AVP 96$/m);
      assert.match(describe.body, /^a=rtpmap:96 H264\/90000$/m);
      assert.match(describe.body, /^a=control:track1$/m);
      const fmtp = /^a=fmtp:96 packetization-mode=1;profile-level-id=([0-9A-F]{6});sprop-parameter-sets=([A-Za-z0-9+/=]+),([A-Za-z0-9+/=]+)$/m.exec(describe.body);
      assert.ok(fmtp, describe.body);
      const sps = Buffer.from(fmtp[2]!, 'base64');
      const pps = Buffer.from(fmtp[3]!, 'base64');
      assert.equal((sps[0] as number) & 0x1f, 7);
      assert.equal((pps[0] as number) & 0x1f, 8);
      assert.equal(fmtp[1], sps.subarray(1, 4).toString('hex').toUpperCase());
      const setup = await c.request('SETUP', `${c.base}/track1`, TRANSPORT);
      assert.equal(setup.status, 200);
      c.session = header(setup, 'Session')?.split(';')[0];
      assert.equal((await c.request('PLAY', c.base, { Range: 'npt=0.000-' })).status, 200);
      // Two access units at least, the second one complete after the first marker.
      await c.until(() => c.packets.filter((p) => p.marker).length >= 3, 10_000, 'three access units');
      const lastMarker = c.packets.map((p) => p.marker).lastIndexOf(true);
      const packets = c.packets.slice(0, lastMarker + 1);
      for (const p of packets) {
        assert.equal(p.payloadType, 96);
        assert.ok(p.payload.length <= 1400);
      }
      for (let i = 1; i < packets.length; i++) assert.equal(packets[i]!.seq, (packets[i - 1]!.seq + 1) & 0xffff);
      const units: Buffer[][] = [];
      let start = 0;
      packets.forEach((p, i) => {
        assert.equal(p.timestamp, packets[start]!.timestamp, 'one timestamp per access unit');
        if (p.marker) {
          units.push(nalUnits(packets.slice(start, i + 1).map((q) => q.payload)));
          start = i + 1;
        }
      });
      const first = units[0]!;
      assert.deepEqual(first.map((n) => (n[0] as number) & 0x1f).filter((t) => t !== 6), [7, 8, 5], 'SPS, PPS, IDR (SEI allowed)');
      assert.deepEqual(first[0], sps);
      assert.deepEqual(first[1], pps);
      assert.ok(c.packets.some((p) => ((p.payload[0] as number) & 0x1f) === 28), 'an IDR of 640×360 takes FU-A fragments');
      for (const au of units) assert.ok([1, 5].includes((au[au.length - 1]![0] as number) & 0x1f), 'each access unit ends with its slice');
      const stamps = [...new Set(packets.map((p) => p.timestamp))];
      for (let i = 1; i < stamps.length; i++) assert.equal(((stamps[i]! - stamps[i - 1]!) >>> 0) % 18_000, 0, '90 kHz at 5 fps');
      assert.equal((await c.request('TEARDOWN', c.base)).status, 200);
      await until(() => device.rtspServer!.liveEncoders === 0, 5000, 'the encoder to stop after TEARDOWN');
    });

    it('two sessions of stream2 share one encoder; it runs until the last one ends; stop() kills a running one', async function () {
      if (FFMPEG === undefined) this.skip();
      const device = await camera();
      const a = await client(device, 'stream2');
      const b = await client(device, 'stream2');
      await a.play();
      await b.play();
      assert.equal(device.rtspServer!.liveEncoders, 1, 'one encoder for both');
      await b.until(() => b.packets.some((p) => p.marker), 10_000, 'an access unit for b');
      assert.equal((await a.request('TEARDOWN', a.base)).status, 200);
      const count = b.packets.length;
      await b.until(() => b.packets.length > count, 10_000, 'b still receives');
      assert.equal(device.rtspServer!.liveEncoders, 1);
      b.close();
      await until(() => device.rtspServer!.liveEncoders === 0, 5000, 'the encoder to stop when the last connection closes');
      const c = await client(device, 'stream1');
      await c.play();
      assert.equal(device.rtspServer!.liveEncoders, 1);
      await device.stop();
      assert.equal(device.rtspServer!.liveEncoders, 0, 'stop() waits for the encoder to exit');
    });

    it('a reboot stops the encoders', async function () {
      if (FFMPEG === undefined) this.skip();
      const device = await camera();
      const c = await client(device, 'stream2');
      await c.play();
      assert.equal(device.rtspServer!.liveEncoders, 1);
      await device.reboot(0);
      assert.equal(device.rtspServer!.liveEncoders, 0);
      await device.whenUp();
    });

    it('without ffmpeg (rtspFfmpeg: false) DESCRIBE and SETUP of stream1/stream2 answer 404 and nothing is spawned', async () => {
      const device = await camera({ rtspFfmpeg: false });
      const c = await client(device, 'stream2');
      await c.request('DESCRIBE', c.base, {}, 'none');
      assert.equal((await c.request('DESCRIBE', c.base)).status, 404);
      assert.equal((await c.request('SETUP', `${c.base}/track1`, TRANSPORT)).status, 404);
      assert.equal((await c.request('DESCRIBE', c.base.replace('stream2', 'stream1'))).status, 404);
      assert.equal(device.rtspServer!.liveEncoders, 0);
    });
  });

  describe('sessions and authentication', () => {
    it('at most 2 sessions per camera: a third SETUP answers 453 Not Enough Bandwidth until one ends', async () => {
      const device = await camera();
      const a = await client(device);
      const b = await client(device);
      const c = await client(device);
      await a.play();
      await b.play();
      await c.request('DESCRIBE', c.base, {}, 'none');
      const refused = await c.request('SETUP', `${c.base}/track1`, TRANSPORT);
      assert.equal(refused.status, 453);
      assert.equal(header(refused, 'Session'), undefined);
      // A session of another path counts too (stream2 is refused the same way, ffmpeg or not: 404 before 453 without it).
      if (device.rtspServer!.servesH264) assert.equal((await c.request('SETUP', `${c.base.replace('stream8', 'stream2')}/track1`, TRANSPORT)).status, 453);
      assert.equal((await a.request('TEARDOWN', a.base)).status, 200);
      assert.equal((await c.request('SETUP', `${c.base}/track1`, TRANSPORT)).status, 200);
      b.close();
      await until(() => device.rtspServer!.sessions === 1, 3000, 'the closed connection to free its session');
      const d = await client(device);
      await d.play();
      await d.until(() => d.frames().length >= 1, 5000, 'a frame on the freed slot');
    });

    it('rtspDigestOnly: Basic with the right account is refused with both challenges; Digest gets in', async () => {
      const device = await camera();
      await device.setFaults({ rtspDigestOnly: true });
      const c = await client(device);
      const basic = await c.request('DESCRIBE', c.base, {}, 'basic');
      assert.equal(basic.status, 401);
      const challenges = basic.headers.filter(([n]) => n === 'WWW-Authenticate').map(([, v]) => v.split(' ')[0]);
      assert.deepEqual(challenges, ['Basic', 'Digest']);
      assert.equal((await c.request('DESCRIBE', c.base)).status, 200);
      await device.setFaults({ rtspDigestOnly: false });
      assert.equal((await c.request('DESCRIBE', c.base, {}, 'basic')).status, 200);
    });
  });
});
