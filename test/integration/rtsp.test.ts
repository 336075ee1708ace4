/**
 * The simulated camera's RTSP server over 127.0.0.1, spoken by hand on a raw TCP socket (not the
 * client): OPTIONS, the Digest (and Basic) round of media.md §2.3, DESCRIBE/SETUP/PLAY/TEARDOWN
 * of `stream8` (§3.1), interleaved RTP/JPEG packets reassembled as Tapo sends them (§3.3), the
 * counter that makes frames differ, privacy mode, and the RTSP faults.
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import * as net from 'node:net';

import { JPEG_HEIGHT, JPEG_WIDTH, ManualClock, RTSP_PUBLIC, RTSP_REALM, startDevice } from '../../src/simulator';
import type { SimulatedDevice, StartDeviceOptions } from '../../src/simulator';
import { ACCOUNT, RawRtsp, header, md5 } from './rtsp-raw';

const CAMERA = 'C101(US)_5.0_1.4.3';
/** Captured with the lens mask on. */
const PRIVATE_CAMERA = 'C210(EU)_2.0_1.4.3';

/** The text of a JPEG's COM segment. */
function comment(jpeg: Buffer): string | undefined {
  let i = 2;
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1] as number;
    const length = jpeg.readUInt16BE(i + 2);
    if (marker === 0xfe) return jpeg.subarray(i + 4, i + 2 + length).toString('latin1');
    if (marker === 0xda) return undefined;
    i += 2 + length;
  }
  return undefined;
}

/** The entropy-coded data of a JPEG (between SOS and EOI). */
function scan(jpeg: Buffer): Buffer {
  let i = 2;
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1] as number;
    const length = jpeg.readUInt16BE(i + 2);
    if (marker === 0xda) return jpeg.subarray(i + 2 + length, jpeg.length - 2);
    i += 2 + length;
  }
  throw new Error('no SOS');
}

function assertJpeg(frame: Buffer): void {
  assert.deepEqual([...frame.subarray(0, 2)], [0xff, 0xd8], 'starts with FFD8');
  assert.deepEqual([...frame.subarray(-2)], [0xff, 0xd9], 'ends with FFD9');
}

describe('simulated camera: RTSP stream8 (media.md §2, §3)', function () {
  this.timeout(10_000);
  const devices: SimulatedDevice[] = [];
  const clients: RawRtsp[] = [];

  async function camera(options: Partial<StartDeviceOptions> = {}): Promise<SimulatedDevice> {
    const device = await startDevice({ fixture: CAMERA, rtspPort: 0, cameraAccount: ACCOUNT, ...options });
    devices.push(device);
    return device;
  }

  async function client(device: SimulatedDevice, account = ACCOUNT): Promise<RawRtsp> {
    const c = await RawRtsp.connect(device.rtspPort!, account);
    clients.push(c);
    return c;
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(devices.splice(0).map((d) => d.stop()));
  });

  it('listens on its own port, named rtspPort in describe(); no RTSP without the option; plugs refuse it', async () => {
    const device = await camera();
    assert.equal(typeof device.rtspPort, 'number');
    assert.notEqual(device.rtspPort, device.port);
    assert.equal(device.describe().rtspPort, device.rtspPort);
    const plain = await startDevice({ fixture: CAMERA });
    devices.push(plain);
    assert.equal(plain.describe().rtspPort, undefined);
    await assert.rejects(async () => devices.push(await startDevice({ fixture: 'P110(EU)_1.0_1.2.3', rtspPort: 0 })), /RTSP is a camera service/);
  });

  it('OPTIONS without credentials; DESCRIBE challenged with Basic and Digest, then answered an SDP with payload type 26', async () => {
    const c = await client(await camera());
    const options = await c.request('OPTIONS', c.base, {}, 'none');
    assert.equal(options.status, 200);
    assert.equal(header(options, 'Public'), RTSP_PUBLIC);
    const challenge = await c.request('DESCRIBE', c.base, { Accept: 'application/sdp' }, 'none');
    assert.equal(challenge.status, 401);
    const auth = challenge.headers.filter(([n]) => n === 'WWW-Authenticate').map(([, v]) => v);
    assert.equal(auth.length, 2);
    assert.equal(auth[0], `Basic realm="${RTSP_REALM}"`);
    assert.match(auth[1] as string, /^Digest realm="TP-Link IP-Camera", nonce="[0-9a-f]{32}"$/);
    const describe = await c.request('DESCRIBE', c.base, { Accept: 'application/sdp' });
    assert.equal(describe.status, 200);
    assert.equal(header(describe, 'Content-Type'), 'application/sdp');
    assert.equal(header(describe, 'Content-Base'), `${c.base}/`);
    assert.match(describe.body, /^m=video 0 RTP\/AVP 26$/m);
    assert.match(describe.body, /^a=rtpmap:26 JPEG\/90000$/m);
    assert.match(describe.body, /^a=control:track1$/m);
  });

  it('Basic auth is accepted too', async () => {
    const c = await client(await camera());
    assert.equal((await c.request('DESCRIBE', c.base, {}, 'basic')).status, 200);
  });

  it('DESCRIBE/SETUP/PLAY: interleaved RTP/JPEG packets, frames are whole JFIFs that differ by their counter, TEARDOWN stops them', async () => {
    const device = await camera();
    const c = await client(device);
    await c.play();
    await c.until(() => c.frames().length >= 2, 3000, 'two frames');
    const [first, second] = c.frames() as [Buffer, Buffer];
    assertJpeg(first);
    assertJpeg(second);
    assert.notDeepEqual(first, second);
    assert.match(comment(first) ?? '', /^tapo-sim frame \d+$/);
    assert.notEqual(comment(first), comment(second), 'the COM counter differs');
    assert.notDeepEqual(scan(first), scan(second), 'the picture differs (drawn counter)');
    // RTP headers: PT 26, channel 0, marker only on the last packet of each frame, one
    // timestamp per frame, sequence numbers +1, one SSRC, RFC 2435 main header.
    const packets = c.packets;
    assert.ok(packets.length > 2);
    const firstFrame = packets.slice(0, packets.findIndex((p) => p.marker) + 1);
    assert.ok(firstFrame.length > 1, 'a frame spans several packets');
    for (const p of firstFrame) assert.equal(p.timestamp, firstFrame[0]!.timestamp);
    assert.deepEqual(firstFrame.map((p) => p.marker), [...firstFrame.slice(1).map(() => false), true]);
    for (let i = 1; i < packets.length; i++) assert.equal(packets[i]!.seq, (packets[i - 1]!.seq + 1) & 0xffff);
    for (const p of packets) {
      assert.equal(p.channel, 0);
      assert.equal(p.payloadType, 26);
      assert.equal(p.ssrc, packets[0]!.ssrc);
      assert.equal(p.width, JPEG_WIDTH);
      assert.equal(p.height, JPEG_HEIGHT);
      assert.ok(p.q < 128, 'no quantization-table header');
    }
    const secondStart = packets[firstFrame.length]!;
    assert.equal(secondStart.offset, 0);
    assert.equal((secondStart.timestamp - firstFrame[0]!.timestamp) >>> 0, 18_000, '90 kHz at 5 fps');
    const teardown = await c.request('TEARDOWN', c.base);
    assert.equal(teardown.status, 200);
    const count = c.packets.length;
    await new Promise((r) => setTimeout(r, 450));
    assert.equal(c.packets.length, count, 'nothing after TEARDOWN');
  });

  it('a wrong camera account gets 401 twice and no stream', async () => {
    const device = await camera();
    const c = await client(device, { username: ACCOUNT.username, password: 'wrong' });
    assert.equal((await c.request('DESCRIBE', c.base, {}, 'none')).status, 401);
    assert.equal((await c.request('DESCRIBE', c.base)).status, 401);
    assert.equal((await c.request('DESCRIBE', c.base, {}, 'basic')).status, 401);
    assert.equal((await c.request('SETUP', `${c.base}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' })).status, 401);
    assert.equal((await c.request('PLAY', c.base)).status, 401);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(c.packets.length, 0);
  });

  it('Digest with qop=auth (RFC 2617 §3.2.2) is accepted; a nonce from another connection is not', async () => {
    const device = await camera();
    const c = await client(device);
    const challenge = await c.request('DESCRIBE', c.base, {}, 'none');
    const nonce = /nonce="([0-9a-f]+)"/.exec(challenge.headers.map(([, v]) => v).join(' '))![1]!;
    const ha1 = md5(`${ACCOUNT.username}:${RTSP_REALM}:${ACCOUNT.password}`);
    const ha2 = md5(`DESCRIBE:${c.base}`);
    const response = md5(`${ha1}:${nonce}:00000001:abcdef:auth:${ha2}`);
    const authorization = `Digest username="${ACCOUNT.username}", realm="${RTSP_REALM}", nonce="${nonce}", uri="${c.base}", qop=auth, nc=00000001, cnonce="abcdef", response="${response}"`;
    assert.equal((await c.request('DESCRIBE', c.base, { Authorization: authorization }, 'none')).status, 200);
    const other = await client(device);
    assert.equal((await other.request('DESCRIBE', other.base, { Authorization: authorization }, 'none')).status, 401);
  });

  it('a reboot closes the RTSP connections; the port refuses until the camera is up, then plays again', async () => {
    const clock = new ManualClock(Date.UTC(2024, 10, 3, 18, 40, 0));
    const device = await camera({ clock });
    const port = device.rtspPort!;
    const c = await client(device);
    await c.play();
    const down = once(device, 'down');
    void device.reboot(5);
    await down;
    await c.until(() => c.closed, 3000, 'close');
    const refused = net.connect({ host: '127.0.0.1', port });
    assert.equal(((await once(refused, 'error')) as [NodeJS.ErrnoException])[0].code, 'ECONNREFUSED');
    clock.advance(5000);
    await device.whenUp();
    assert.equal(device.rtspPort, port);
    const again = await client(device);
    await again.play();
    await again.until(() => again.frames().length >= 1, 3000, 'a frame');
  });

  it('PLAY without SETUP answers 454; UDP transport 461; stream1 and stream2 404 without ffmpeg', async () => {
    const c = await client(await camera({ rtspFfmpeg: false }));
    await c.request('DESCRIBE', c.base, {}, 'none');
    assert.equal((await c.request('PLAY', c.base, { Session: 'nope' })).status, 454);
    assert.equal((await c.request('SETUP', `${c.base}/track1`, { Transport: 'RTP/AVP;unicast;client_port=5000-5001' })).status, 461);
    const root = c.base.replace('/stream8', '');
    assert.equal((await c.request('DESCRIBE', `${root}/stream1`)).status, 404);
    assert.equal((await c.request('DESCRIBE', `${root}/stream2`)).status, 404);
  });

  it('privacy mode: stream8 sends black frames (every block level 0, counter only in COM)', async () => {
    const device = await camera({ fixture: PRIVATE_CAMERA });
    const c = await client(device);
    await c.play();
    await c.until(() => c.frames().length >= 2, 3000, 'two frames');
    const [first, second] = c.frames() as [Buffer, Buffer];
    assertJpeg(first);
    assert.deepEqual(scan(first), scan(second), 'the same black picture');
    assert.notEqual(comment(first), comment(second));
    const normal = await camera();
    const n = await client(normal);
    await n.play();
    await n.until(() => n.frames().length >= 1, 3000, 'a frame');
    assert.ok(scan(first).length < scan(n.frames()[0]!).length, 'a flat black picture codes shorter than the counter picture');
  });

  describe('faults', () => {
    it('rtspNoStream8: DESCRIBE and SETUP of stream8 answer 404', async () => {
      const device = await camera();
      await device.setFaults({ rtspNoStream8: true });
      const c = await client(device);
      await c.request('DESCRIBE', c.base, {}, 'none');
      assert.equal((await c.request('DESCRIBE', c.base)).status, 404);
      assert.equal((await c.request('SETUP', `${c.base}/track1`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' })).status, 404);
    });

    it('rtspCloseMidFrame: the connection closes after part of a frame, no frame is complete', async () => {
      const device = await camera();
      await device.setFaults({ rtspCloseMidFrame: true });
      const c = await client(device);
      await c.play();
      await c.until(() => c.closed, 3000, 'close');
      assert.ok(c.packets.length >= 1);
      assert.equal(c.packets[0]!.offset, 0);
      assert.equal(c.frames().length, 0);
    });

    it('rtspSlowMs: packets of one frame come that far apart', async () => {
      const device = await camera();
      await device.setFaults({ rtspSlowMs: 150 });
      const c = await client(device);
      const times: number[] = [];
      c.socket.on('data', () => times.push(Date.now()));
      await c.play();
      const start = Date.now();
      await c.until(() => c.frames().length >= 1, 5000, 'a frame');
      const packetsInFrame = c.packets.findIndex((p) => p.marker) + 1;
      assert.ok(packetsInFrame >= 2);
      assert.ok(Date.now() - start >= (packetsInFrame - 1) * 150 - 30, `a ${packetsInFrame}-packet frame took ${Date.now() - start} ms`);
    });

    it('rtspDown: the port refuses connections, and listens again when cleared', async () => {
      const device = await camera();
      const port = device.rtspPort!;
      await device.setFaults({ rtspDown: true });
      const refused = net.connect({ host: '127.0.0.1', port });
      const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
      assert.equal(err.code, 'ECONNREFUSED');
      await device.setFaults({ rtspDown: false });
      const c = await client(device);
      assert.equal((await c.request('OPTIONS', c.base, {}, 'none')).status, 200);
      assert.equal(device.rtspPort, port);
    });

    it('rejects a bad rtspSlowMs', async () => {
      const device = await camera();
      await assert.rejects(device.setFaults({ rtspSlowMs: -1 }), /rtspSlowMs/);
    });
  });
});
