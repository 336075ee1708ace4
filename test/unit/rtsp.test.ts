/**
 * The RTSP snapshot client (src/protocol/rtsp.ts, media.md §2.3, §3.1) against a tiny RTSP server
 * written here (node:net on 127.0.0.1): Digest and Basic as the server asks, one retry with
 * credentials and no more, deadlines, a stream cut mid-frame, and the socket closed on every path
 * (counted on the server side). Plus the pure parts: challenges, the RFC 2617 Digest vector, SDP.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import net from 'node:net';

import { TapoError } from '../../src/protocol/errors';
import { encodeInterleaved, packetizeJpeg } from '../../src/protocol/rtp-jpeg';
import {
  digestAuthorization,
  findH264Track,
  findJpegTrack,
  parseChallenges,
  parseFmtp,
  parseRtspUrl,
  parseSdp,
  pickChallenge,
  resolveControl,
  snapshot,
} from '../../src/protocol/rtsp';
import { rejection } from '../helpers';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** A Tapo-style frame: a whole JFIF (SOI, SOF0 32×16, filler, EOI), as the camera sends it. */
const FILLER = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37 + 11) % 251));
const JFIF = Buffer.concat([Buffer.from('ffd8ffc00011080010002003012200021101031101', 'hex'), FILLER, Buffer.from('ffd9', 'hex')]);

const SDP = [
  'v=0',
  'o=- 14665860 31787219 1 IN IP4 127.0.0.1',
  's=Session streamed by "TP-LINK RTSP Server"',
  't=0 0',
  'a=control:*',
  'm=audio 0 RTP/AVP 8',
  'a=control:track2',
  'm=video 0 RTP/AVP 26',
  'a=rtpmap:26 JPEG/90000',
  'a=control:track1',
  '',
].join('\r\n');

interface ServerOptions {
  auth?: 'digest' | 'digest-qop' | 'basic' | 'both' | 'none';
  user?: string;
  password?: string;
  /** After PLAY: send frames, nothing, or part of a frame and then close. */
  stream?: 'frames' | 'stall' | 'cut';
  describeStatus?: number;
  sdp?: string;
}

interface Logged {
  method: string;
  uri: string;
  authorization?: string;
}

async function rtspServer(options: ServerOptions = {}) {
  const { auth = 'digest', user = 'cam', password = 'secret', stream = 'frames' } = options;
  const realm = 'TP-Link IP-Camera';
  const nonce = '0123456789abcdef0123456789abcdef';
  const log: Logged[] = [];
  let opened = 0;
  let closed = 0;
  const sockets = new Set<net.Socket>();
  const authorized = (method: string, header: string | undefined): boolean => {
    if (auth === 'none') return true;
    if (header === undefined) return false;
    if (header.startsWith('Basic ')) return auth !== 'digest' && auth !== 'digest-qop' && header === `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const p = Object.fromEntries([...header.matchAll(/(\w+)="?([^",]*)"?/g)].map((m) => [m[1], m[2]]));
    const ha1 = md5(`${user}:${realm}:${password}`);
    const ha2 = md5(`${method}:${p.uri}`);
    const expected = auth === 'digest-qop' ? md5(`${ha1}:${nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
    return p.username === user && p.realm === realm && p.nonce === nonce && p.response === expected && (auth !== 'digest-qop' || p.qop === 'auth');
  };
  const server = net.createServer((socket) => {
    opened++;
    sockets.add(socket);
    socket.on('close', () => {
      closed++;
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let end: number;
      while ((end = buffer.indexOf('\r\n\r\n')) !== -1) {
        const head = buffer.slice(0, end).split('\r\n');
        buffer = buffer.slice(end + 4);
        const [method = '', uri = ''] = (head[0] ?? '').split(' ');
        const headers = Object.fromEntries(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        log.push({ method, uri, ...(headers.authorization !== undefined ? { authorization: headers.authorization } : {}) });
        const cseq = headers.cseq ?? '0';
        const reply = (status: string, extra: string[] = [], body = ''): void => {
          const lines = [`RTSP/1.0 ${status}`, `CSeq: ${cseq}`, ...extra];
          if (body) lines.push('Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(body)}`);
          socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
        };
        if (method === 'OPTIONS') {
          reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, GET_PARAMETER, SET_PARAMETER']);
          continue;
        }
        if (method === 'TEARDOWN') {
          reply('200 OK');
          continue;
        }
        if (!authorized(method, headers.authorization)) {
          const challenges: string[] = [];
          if (auth === 'basic' || auth === 'both') challenges.push(`WWW-Authenticate: Basic realm="${realm}"`);
          if (auth === 'digest' || auth === 'both') challenges.push(`WWW-Authenticate: Digest realm="${realm}", nonce="${nonce}"`);
          if (auth === 'digest-qop') challenges.push(`WWW-Authenticate: Digest realm="${realm}", nonce="${nonce}", qop="auth", algorithm=MD5`);
          reply('401 Unauthorized', challenges);
          continue;
        }
        if (method === 'DESCRIBE') {
          if (options.describeStatus) reply(options.describeStatus === 453 ? '453 Not Enough Bandwidth' : `${options.describeStatus} Not Found`);
          else reply('200 OK', [`Content-Base: ${uri}/`], options.sdp ?? SDP);
        } else if (method === 'SETUP') {
          reply('200 OK', ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1', 'Session: 4242;timeout=60']);
        } else if (method === 'PLAY') {
          reply('200 OK', [`RTP-Info: url=${uri}track1;seq=1;rtptime=0`]);
          if (stream === 'stall') continue;
          const packets = packetizeJpeg({ data: JFIF, type: 1, q: 50, width: 32, height: 16, chunk: 1000, sequence: 7, timestamp: 90000, ssrc: 1 });
          // Join mid-frame: the last packet of a previous frame, then RTCP on channel 1, then a frame.
          const earlier = packetizeJpeg({ data: JFIF, type: 1, q: 50, width: 32, height: 16, chunk: 1000, sequence: 1, timestamp: 0, ssrc: 1 });
          socket.write(encodeInterleaved(0, earlier[earlier.length - 1] as Buffer));
          socket.write(encodeInterleaved(1, Buffer.from('80c80006000000010000000000000000', 'hex')));
          if (stream === 'cut') {
            socket.write(encodeInterleaved(0, packets[0] as Buffer));
            socket.end(encodeInterleaved(0, (packets[1] as Buffer).subarray(0, 100)));
            continue;
          }
          // Split writes at odd places: the client must reassemble interleaved frames.
          const bytes = Buffer.concat(packets.map((p) => encodeInterleaved(0, p)));
          socket.write(bytes.subarray(0, 5));
          socket.write(bytes.subarray(5, 1500));
          socket.write(bytes.subarray(1500));
        } else {
          reply('405 Method Not Allowed');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `rtsp://127.0.0.1:${port}/stream8`,
    log,
    counts: () => ({ opened, closed }),
    /** Resolves once every connection the server saw is closed (or fails after 2 s). */
    async allClosed(): Promise<void> {
      const until = Date.now() + 2000;
      while (closed < opened || sockets.size > 0) {
        if (Date.now() > until) throw new Error(`sockets still open: opened ${opened}, closed ${closed}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}


describe('RTSP: the pure parts (media.md §2.3, §3.1)', () => {
  it('parses the two challenges a Tapo camera sends and prefers Digest', () => {
    const challenges = parseChallenges(['Basic realm="TP-Link IP-Camera"', 'Digest realm="TP-Link IP-Camera", nonce="0123456789abcdef0123456789abcdef"']);
    assert.deepEqual(challenges, [
      { scheme: 'basic', params: { realm: 'TP-Link IP-Camera' } },
      { scheme: 'digest', params: { realm: 'TP-Link IP-Camera', nonce: '0123456789abcdef0123456789abcdef' } },
    ]);
    assert.equal(pickChallenge(challenges)?.scheme, 'digest');
    assert.deepEqual(parseChallenges(['Basic realm="a", Digest realm="b", nonce="n", qop="auth,auth-int"']).map((c) => c.scheme), ['basic', 'digest']);
    assert.equal(pickChallenge(parseChallenges(['Digest realm="r", nonce="n", algorithm=SHA-256', 'Basic realm="r"']))?.scheme, 'basic');
    assert.equal(pickChallenge(parseChallenges(['Negotiate'])), undefined);
  });

  it('computes the RFC 2617 §3.5 Digest example (qop=auth)', () => {
    const [challenge] = parseChallenges([
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    ]);
    assert.ok(challenge);
    const value = digestAuthorization(challenge, 'Mufasa', 'Circle Of Life', 'GET', '/dir/index.html', 1, '0a4f113b');
    assert.match(value, /response="6629fae49393a05397450978507c4ef1"/);
    assert.match(value, /qop=auth, nc=00000001, cnonce="0a4f113b"/);
    assert.match(value, /opaque="5ccc069c403ebaf9f0171e9517f40e41"/);
  });

  it('finds the JPEG track of an SDP and resolves its control URL against Content-Base', () => {
    const sdp = parseSdp(SDP);
    assert.deepEqual(findJpegTrack(sdp), { payloadType: 26, control: 'track1' });
    assert.equal(resolveControl('rtsp://h/stream8/', 'track1'), 'rtsp://h/stream8/track1');
    assert.equal(resolveControl('rtsp://h/stream8', 'track1'), 'rtsp://h/stream8/track1');
    assert.equal(resolveControl('rtsp://h/stream8/', 'rtsp://x/abs'), 'rtsp://x/abs');
    assert.equal(resolveControl('rtsp://h/stream8/', '*'), 'rtsp://h/stream8/');
    assert.deepEqual(findJpegTrack(parseSdp('m=video 0 RTP/AVP 96\r\na=rtpmap:96 jpeg/90000\r\n')), { payloadType: 96 });
    assert.equal(findJpegTrack(parseSdp('m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n')), undefined);
  });

  it('finds the H.264 track with its a=fmtp parameters (RFC 6184 §8.2)', () => {
    const sdp = parseSdp(
      [
        'v=0',
        'm=audio 0 RTP/AVP 8',
        'a=control:track2',
        'm=video 0 RTP/AVP 96',
        'a=rtpmap:96 H264/90000',
        'a=fmtp:96 packetization-mode=1; profile-level-id=640016; sprop-parameter-sets=Z2QAFqzZQUH7ARAAAAMAEAAAAwPI8WLZYA==,aOvjyyLA',
        'a=control:track1',
      ].join('\r\n'),
    );
    assert.deepEqual(findH264Track(sdp), {
      payloadType: 96,
      control: 'track1',
      fmtp: { 'packetization-mode': '1', 'profile-level-id': '640016', 'sprop-parameter-sets': 'Z2QAFqzZQUH7ARAAAAMAEAAAAwPI8WLZYA==,aOvjyyLA' },
    });
    assert.deepEqual(findH264Track(parseSdp('m=video 0 RTP/AVP 96\r\na=rtpmap:96 h264/90000\r\n')), { payloadType: 96, fmtp: {} });
    assert.equal(findH264Track(parseSdp(SDP)), undefined);
    assert.deepEqual(parseFmtp(' a=1;b ; C=x=y'), { a: '1', b: '', c: 'x=y' });
  });

  it('takes credentials out of the URL; anything but rtsp:// is an Input error', () => {
    assert.deepEqual(parseRtspUrl('rtsp://us%40er:p%3Ass@10.0.0.2/stream8'), {
      host: '10.0.0.2',
      port: 554,
      url: 'rtsp://10.0.0.2/stream8',
      username: 'us@er',
      password: 'p:ss',
    });
    assert.equal(parseRtspUrl('rtsp://10.0.0.2:8554/stream8').port, 8554);
    for (const bad of ['http://10.0.0.2/stream8', 'not a url']) {
      assert.throws(() => parseRtspUrl(bad), (e: unknown) => e instanceof TapoError && e.kind === 'Input' && e.reason === 'rtspBadUrl');
    }
    assert.throws(() => parseRtspUrl('http://u:pw@h/'), (e: unknown) => e instanceof TapoError && !e.message.includes('pw'));
  });
});

describe('RTSP snapshot against a small RTSP server on 127.0.0.1', () => {
  let server: Awaited<ReturnType<typeof rtspServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('Digest (the challenge preferred over Basic): OPTIONS, DESCRIBE ×2, SETUP, PLAY, one JPEG, TEARDOWN, socket closed', async () => {
    server = await rtspServer({ auth: 'both' });
    const shot = await snapshot(server.url, { username: 'cam', password: 'secret', timeoutMs: 3000 });
    assert.deepEqual(shot.jpeg, JFIF);
    assert.equal(shot.width, 32);
    assert.equal(shot.height, 16);
    await server.allClosed();
    assert.deepEqual(server.counts(), { opened: 1, closed: 1 });
    assert.deepEqual(server.log.map((l) => l.method), ['OPTIONS', 'DESCRIBE', 'DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN']);
    assert.equal(server.log[1]?.authorization, undefined);
    for (const l of server.log.slice(2)) assert.match(l.authorization ?? '', /^Digest /);
    assert.equal(server.log[3]?.uri, `${server.url}/track1`);
    assert.match(server.log[2]?.authorization ?? '', new RegExp(`uri="${server.url}"`));
  });

  it('Digest with qop=auth, credentials from the URL', async () => {
    server = await rtspServer({ auth: 'digest-qop', user: 'a@b', password: 'p:w' });
    const url = server.url.replace('rtsp://', 'rtsp://a%40b:p%3Aw@');
    const shot = await snapshot(url, { timeoutMs: 3000 });
    assert.deepEqual(shot.jpeg, JFIF);
    assert.match(server.log[4]?.authorization ?? '', /qop=auth, nc=00000003, cnonce="[0-9a-f]{16}"/);
    assert.ok(server.log.every((l) => !l.uri.includes('a%40b')), 'no credentials in request URLs');
    await server.allClosed();
  });

  it('Basic when the server only offers Basic', async () => {
    server = await rtspServer({ auth: 'basic' });
    const shot = await snapshot(server.url, { username: 'cam', password: 'secret', timeoutMs: 3000 });
    assert.deepEqual(shot.jpeg, JFIF);
    assert.match(server.log[2]?.authorization ?? '', /^Basic /);
    await server.allClosed();
  });

  it('no authentication asked: no Authorization sent', async () => {
    server = await rtspServer({ auth: 'none' });
    const shot = await snapshot(server.url, { username: 'cam', password: 'secret', timeoutMs: 3000 });
    assert.deepEqual(shot.jpeg, JFIF);
    assert.ok(server.log.every((l) => l.authorization === undefined));
    await server.allClosed();
  });

  for (const auth of ['digest', 'basic'] as const) {
    it(`wrong credentials (${auth}) → Authentication after exactly one retry with credentials, socket closed`, async () => {
      server = await rtspServer({ auth });
      const e = await rejection(snapshot(server.url, { username: 'cam', password: 'wrong', timeoutMs: 3000 }));
      assert.equal(e.kind, 'Authentication');
      assert.equal(e.reason, 'rtspRefused');
      assert.equal(e.hintKey, 'checkCameraAccount');
      assert.ok(!e.message.includes('wrong'));
      const describes = server.log.filter((l) => l.method === 'DESCRIBE');
      assert.equal(describes.length, 2);
      assert.equal(describes.filter((l) => l.authorization !== undefined).length, 1);
      await server.allClosed();
      assert.deepEqual(server.counts(), { opened: 1, closed: 1 });
    });
  }

  it('no credentials and a 401 → Authentication without sending any', async () => {
    server = await rtspServer();
    const e = await rejection(snapshot(server.url, { timeoutMs: 3000 }));
    assert.equal(e.kind, 'Authentication');
    assert.equal(server.log.filter((l) => l.method === 'DESCRIBE').length, 1);
    await server.allClosed();
  });

  it('a stalled stream → Timeout at the deadline, socket closed', async () => {
    server = await rtspServer({ stream: 'stall' });
    const started = Date.now();
    const e = await rejection(snapshot(server.url, { username: 'cam', password: 'secret', timeoutMs: 300 }));
    assert.equal(e.kind, 'Timeout');
    assert.equal(e.reason, 'rtspNoFrameInTime');
    assert.ok(Date.now() - started >= 250);
    await server.allClosed();
    assert.deepEqual(server.counts(), { opened: 1, closed: 1 });
  });

  it("the caller's signal → Timeout (aborted), socket closed; an aborted signal connects nowhere", async () => {
    server = await rtspServer({ stream: 'stall' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const e = await rejection(snapshot(server.url, { username: 'cam', password: 'secret', timeoutMs: 5000, signal: controller.signal }));
    assert.equal(e.kind, 'Timeout');
    assert.equal(e.reason, 'requestAborted');
    await server.allClosed();
    const before = server.counts().opened;
    const again = await rejection(snapshot(server.url, { signal: controller.signal }));
    assert.equal(again.sent, false);
    assert.equal(server.counts().opened, before);
  });

  it('the stream closed mid-frame → Transport, socket closed', async () => {
    server = await rtspServer({ stream: 'cut' });
    const e = await rejection(snapshot(server.url, { username: 'cam', password: 'secret', timeoutMs: 3000 }));
    assert.equal(e.kind, 'Transport');
    assert.equal(e.reason, 'rtspClosed');
    await server.allClosed();
    assert.deepEqual(server.counts(), { opened: 1, closed: 1 });
  });

  it('DESCRIBE 404 → Unsupported; no JPEG track → Unsupported; sockets closed', async () => {
    server = await rtspServer({ describeStatus: 404 });
    const e = await rejection(snapshot(server.url, { username: 'cam', password: 'secret', timeoutMs: 3000 }));
    assert.equal(e.kind, 'Unsupported');
    assert.equal(e.reason, 'rtspStatus');
    assert.equal(e.params.status, '404 Not Found');
    await server.allClosed();
    await server.close();
    server = await rtspServer({ sdp: 'v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n' });
    const h264 = await rejection(snapshot(server.url, { username: 'cam', password: 'secret', timeoutMs: 3000 }));
    assert.equal(h264.kind, 'Unsupported');
    assert.equal(h264.reason, 'rtspNoJpegTrack');
    await server.allClosed();
  });

  it('DESCRIBE 453 Not Enough Bandwidth → Device rtspBusy with the close-other-viewers hint; socket closed', async () => {
    server = await rtspServer({ describeStatus: 453 });
    const e = await rejection(snapshot(server.url, { username: 'cam', password: 'secret', timeoutMs: 3000 }));
    assert.equal(e.kind, 'Device');
    assert.equal(e.reason, 'rtspBusy');
    assert.equal(e.hintKey, 'closeOtherViewers');
    assert.equal(e.params.status, '453 Not Enough Bandwidth');
    await server.allClosed();
  });

  it('nothing listening → Transport cannotReach, not sent', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const e = await rejection(snapshot(`rtsp://127.0.0.1:${port}/stream8`, { timeoutMs: 3000 }));
    assert.equal(e.kind, 'Transport');
    assert.equal(e.reason, 'cannotReach');
    assert.equal(e.sent, false);
  });
});
