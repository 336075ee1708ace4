/**
 * snapshotH264 (src/protocol/ffmpeg.ts) end to end: a small RTSP server written here (127.0.0.1)
 * streams a real H.264 clip made by ffmpeg (libx264, 320×240, a key frame every 5 frames),
 * packetised per RFC 6184 with FU-A, behind a Digest challenge, looped as a camera would stream.
 * The stream is joined mid-GOP and carries no SPS/PPS in band: the client must wait for the IDR
 * picture and take the parameter sets from the SDP. Checks: a whole 320×240 JPEG; a wrong
 * password refused after one try with credentials; a silent stream ends in Timeout; an ffmpeg that
 * fails gives its stderr line; ffmpeg missing is Unsupported; after each test the ffmpeg child is
 * gone and the RTSP connection closed. Skipped when no ffmpeg is installed.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { findFfmpeg, snapshotH264 } from '../../src/protocol/ffmpeg';
import { NAL_PPS, NAL_SPS, nalType, packetizeH264, splitAnnexB } from '../../src/protocol/rtp-h264';
import { encodeInterleaved } from '../../src/protocol/rtp-jpeg';
import { rejection } from '../helpers';

const USER = 'tapo-cam';
const PASSWORD = 'right-password';
const REALM = 'TP-Link IP-Camera';
const NONCE = 'feedfacefeedfacefeedfacefeedface';
const hex = (text: string): string => createHash('md5').update(text).digest('hex');

/** The clip's access units (NAL units up to and including each picture's slice). */
function accessUnits(stream: Buffer): Buffer[][] {
  const units: Buffer[][] = [];
  let current: Buffer[] = [];
  for (const nal of splitAnnexB(stream)) {
    current.push(nal);
    const type = nalType(nal);
    if (type === 1 || type === 5) {
      units.push(current);
      current = [];
    }
  }
  return units;
}

interface Camera {
  url: string;
  /** Each request: its method and whether it carried credentials. */
  requests: { method: string; credentials: boolean }[];
  /** Connections still open on the server side. */
  open(): number;
  close(): Promise<void>;
}

/** A one-stream RTSP camera: Digest only, an H.264 track, frames every 10 ms after PLAY (or none: `silent`). */
async function camera(units: Buffer[][], options: { silent?: boolean } = {}): Promise<Camera> {
  const all = units.flat();
  const sps = all.find((n) => nalType(n) === NAL_SPS);
  const pps = all.find((n) => nalType(n) === NAL_PPS);
  assert.ok(sps && pps, 'the clip has SPS and PPS');
  const video = units.map((u) => u.filter((n) => nalType(n) !== NAL_SPS && nalType(n) !== NAL_PPS));
  const requests: Camera['requests'] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let timer: NodeJS.Timeout | undefined;
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const [first = '', ...rest] = pending.slice(0, end).split('\r\n');
        pending = pending.slice(end + 4);
        const [method = '', uri = ''] = first.split(' ');
        const headers = new Map(rest.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const authorization = headers.get('authorization');
        requests.push({ method, credentials: authorization !== undefined });
        const answer = (status: string, lines: string[] = [], body = ''): boolean =>
          socket.write(`RTSP/1.0 ${status}\r\nCSeq: ${headers.get('cseq') ?? ''}\r\n${lines.map((l) => `${l}\r\n`).join('')}${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`);
        if (method === 'OPTIONS' || method === 'TEARDOWN') {
          answer('200 OK');
          continue;
        }
        const fields = Object.fromEntries([...(authorization ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
        const expected = hex(`${hex(`${USER}:${REALM}:${PASSWORD}`)}:${NONCE}:${hex(`${method}:${fields.uri ?? ''}`)}`);
        if (!authorization?.startsWith('Digest ') || fields.username !== USER || fields.response !== expected) {
          answer('401 Unauthorized', [`WWW-Authenticate: Basic realm="${REALM}"`, `WWW-Authenticate: Digest realm="${REALM}", nonce="${NONCE}"`]);
        } else if (method === 'DESCRIBE') {
          const sprop = `${sps.toString('base64')},${pps.toString('base64')}`;
          const sdp = ['v=0', 's=test camera', 'a=control:*', 'm=audio 0 RTP/AVP 8', 'a=control:track2', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000'];
          sdp.push(`a=fmtp:96 packetization-mode=1;profile-level-id=640016;sprop-parameter-sets=${sprop}`, 'a=control:track1', '');
          answer('200 OK', ['Content-Type: application/sdp', `Content-Base: ${uri}/`], sdp.join('\r\n'));
        } else if (method === 'SETUP') {
          answer('200 OK', ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1', 'Session: 77;timeout=60']);
        } else if (method === 'PLAY') {
          answer('200 OK');
          if (options.silent) continue;
          // Joined mid-GOP: from the third picture, looped, 10 ms apart.
          let frame = 2;
          let sequence = 1000;
          timer = setInterval(() => {
            const nalus = video[frame % video.length] as Buffer[];
            const packets = packetizeH264({ nalus, mtu: 1000, sequence, timestamp: frame * 18000, ssrc: 0x5eed, payloadType: 96 });
            sequence += packets.length;
            frame++;
            socket.write(Buffer.concat(packets.map((p) => encodeInterleaved(0, p))));
          }, 10);
        } else {
          answer('405 Method Not Allowed');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `rtsp://127.0.0.1:${port}/stream2`,
    requests,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}


/** Waits (up to 2 s) for the server to see every connection closed. */
async function closed(cam: Camera): Promise<void> {
  for (let i = 0; i < 200 && cam.open() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(cam.open(), 0, 'the RTSP connection is closed');
}

describe('snapshotH264: RTSP H.264 track decoded by ffmpeg (media.md §4)', function () {
  this.timeout(20_000);
  let ffmpeg: string;
  let units: Buffer[][];
  let cam: Camera | undefined;
  let tmp: string;
  let pids: number[] = [];
  const onSpawn = (pid: number): void => {
    pids.push(pid);
  };

  before(function () {
    const found = findFfmpeg();
    if (found === undefined) this.skip();
    ffmpeg = found;
    const made = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=5', '-frames:v', '10', '-c:v', 'libx264', '-g', '5', '-bf', '0', '-f', 'h264', 'pipe:1'], { maxBuffer: 16 * 1024 * 1024 });
    assert.equal(made.status, 0, `ffmpeg made no clip: ${made.stderr?.toString() ?? ''}`);
    units = accessUnits(made.stdout);
    assert.equal(units.length, 10);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snapshot-h264-'));
  });
  afterEach(async () => {
    await cam?.close();
    cam = undefined;
    // No ffmpeg child outlives a snapshot.
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), (e: NodeJS.ErrnoException) => e.code === 'ESRCH', `ffmpeg ${pid} still alive`);
    pids = [];
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('one whole 320×240 JPEG from the first IDR picture on, TEARDOWN sent, connection closed', async () => {
    cam = await camera(units);
    const shot = await snapshotH264(cam.url, { username: USER, password: PASSWORD, timeoutMs: 10_000, ffmpegPath: ffmpeg, onSpawn });
    assert.equal(shot.jpeg.subarray(0, 2).toString('hex'), 'ffd8');
    assert.equal(shot.jpeg.subarray(-2).toString('hex'), 'ffd9');
    assert.deepEqual([shot.width, shot.height], [320, 240]);
    assert.equal(pids.length, 1);
    await closed(cam);
    assert.deepEqual(cam.requests.map((r) => r.method), ['OPTIONS', 'DESCRIBE', 'DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN']);
  });

  it('a wrong password → Authentication after one try with credentials; ffmpeg never started', async () => {
    cam = await camera(units);
    const e = await rejection(snapshotH264(cam.url, { username: USER, password: 'wrong', timeoutMs: 10_000, ffmpegPath: ffmpeg, onSpawn }));
    assert.equal(e.kind, 'Authentication');
    assert.equal(e.reason, 'rtspRefused');
    assert.equal(cam.requests.filter((r) => r.method === 'DESCRIBE' && r.credentials).length, 1);
    assert.deepEqual(pids, []);
    await closed(cam);
  });

  it('a camera that sends nothing after PLAY → Timeout; ffmpeg killed, connection closed', async () => {
    cam = await camera(units, { silent: true });
    const e = await rejection(snapshotH264(cam.url, { username: USER, password: PASSWORD, timeoutMs: 800, ffmpegPath: ffmpeg, onSpawn }));
    assert.equal(e.kind, 'Timeout');
    assert.equal(pids.length, 1);
    await closed(cam);
  });

  it("the caller's signal aborts while ffmpeg is fed → Timeout (aborted); ffmpeg killed", async () => {
    cam = await camera(units, { silent: true });
    const controller = new AbortController();
    const spawned = (pid: number): void => {
      onSpawn(pid);
      setTimeout(() => controller.abort(), 50);
    };
    const e = await rejection(snapshotH264(cam.url, { username: USER, password: PASSWORD, timeoutMs: 10_000, signal: controller.signal, ffmpegPath: ffmpeg, onSpawn: spawned }));
    assert.equal(e.kind, 'Timeout');
    assert.equal(e.reason, 'requestAborted');
    assert.equal(pids.length, 1);
    await closed(cam);
  });

  const brokenFfmpegs = [
    {
      what: 'exits 1 → Device ffmpegNoPicture with its last stderr line',
      script: '#!/bin/sh\necho "first line" >&2\necho "pipe:0: Invalid data found when processing input" >&2\nexit 1\n',
      detail: 'pipe:0: Invalid data found when processing input',
    },
    {
      what: 'closes its input and exits 0 without output → Device ffmpegNoPicture (EPIPE on its stdin handled)',
      script: '#!/bin/sh\nexec 0<&-\nsleep 0.5\nexit 0\n',
      detail: 'exit code 0, 0 bytes',
    },
  ];
  brokenFfmpegs.forEach(({ what, script: text, detail }, i) => {
    it(`an ffmpeg that ${what}; connection closed`, async () => {
      const script = path.join(tmp, `broken-ffmpeg-${i}`);
      fs.writeFileSync(script, text, { mode: 0o755 });
      cam = await camera(units);
      const e = await rejection(snapshotH264(cam.url, { username: USER, password: PASSWORD, timeoutMs: 10_000, ffmpegPath: script, onSpawn }));
      assert.equal(e.kind, 'Device');
      assert.equal(e.reason, 'ffmpegNoPicture');
      assert.equal(e.params.detail, detail);
      assert.ok(!e.message.includes(PASSWORD));
      assert.equal(pids.length, 1);
      await closed(cam);
    });
  });

  it('an ffmpeg path that does not exist → Unsupported ffmpegNotStarted; connection closed', async () => {
    cam = await camera(units);
    const e = await rejection(snapshotH264(cam.url, { username: USER, password: PASSWORD, timeoutMs: 10_000, ffmpegPath: path.join(tmp, 'no-such-ffmpeg') }));
    assert.equal(e.kind, 'Unsupported');
    assert.equal(e.reason, 'ffmpegNotStarted');
    assert.equal(e.hintKey, 'installFfmpeg');
    await closed(cam);
  });
});
