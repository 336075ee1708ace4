/**
 * The RTSP server of a simulated camera (media.md §2, §3, §8): RTSP 1.0 over TCP, bound to the
 * camera's host on its own port (554 on a real camera), serving `stream8` (MJPEG) as RTP/JPEG and,
 * when ffmpeg is on the simulator host's PATH, `stream1` (1280×720) and `stream2` (640×360) as
 * RTP/H.264, all interleaved on the RTSP connection (RFC 2326 §10.12).
 *
 * 1. `OPTIONS` is answered without credentials with the `Public` list of media.md §2.4.
 * 2. Every other method must carry the CAMERA ACCOUNT: `Authorization: Digest` (RFC 2617, with or
 *    without `qop=auth`, over the method and the `uri` parameter, against a nonce this connection
 *    was given) or `Basic` (refused under `rtspDigestOnly`). Otherwise `401 Unauthorized` with two
 *    challenges, `Basic` then `Digest realm="TP-Link IP-Camera", nonce="<32 hex>"` (media.md §2.3).
 * 3. `DESCRIBE rtsp://host:port/stream8` answers an SDP with one `m=video 0 RTP/AVP 26` media,
 *    `a=rtpmap:26 JPEG/90000`, `a=control:track1`, and `Content-Base: <url>/`. `DESCRIBE` of
 *    `stream1`/`stream2` answers `m=video 0 RTP/AVP 96`, `a=rtpmap:96 H264/90000`,
 *    `a=fmtp:96 packetization-mode=1;profile-level-id=<SPS bytes 1–3>;sprop-parameter-sets=<SPS>,<PPS>`
 *    (base64), `a=control:track1`. The parameter sets come from a one-picture run of the same
 *    ffmpeg command at the first DESCRIBE of that stream (the process ends by itself), kept for
 *    the server's life and refreshed from the live encoder; without ffmpeg both answer 404.
 * 4. `SETUP <url>/track1` (or `<url>`) with `Transport: RTP/AVP/TCP;unicast;interleaved=a-b`
 *    answers a session (`Session: <id>;timeout=60`); any other transport gets 461. At most
 *    {@link MAX_SESSIONS} sessions are set up at once per camera, across all paths (media.md §2.2,
 *    §8): a further SETUP answers `453 Not Enough Bandwidth` until one ends (TEARDOWN or close).
 * 5. `PLAY` of `stream8` starts the frames: one picture (media/jpeg.ts, the frame counter drawn
 *    in it) every {@link FRAME_INTERVAL_MS}, packed as the `rtspJpegForm` fault says at the start of
 *    each frame (media/rfc2435.ts): 'tapo' as Tapo does (media.md §3.3), the whole JFIF (counter
 *    also in a COM segment) cut into slices of at most {@link MAX_SLICE_BYTES}, each after the
 *    8-byte RTP/JPEG main header (type 1, Q 50, width/8, height/8, the slice's byte offset);
 *    'rfc' a bare RFC 2435 scan (type 0, Q 80); 'rfc-tables' the same scan with Q 255 and both
 *    quantisation tables in the first packet. The RTP marker is on the last slice, one 90 kHz
 *    timestamp per frame, sequence numbers count every packet. Each frame started is reported
 *    (`onFrame`: path, counter, form; `stream8Jpeg(counter, form, black)` is the JPEG a receiver
 *    must rebuild from it).
 * 6. `PLAY` of `stream1`/`stream2` joins that stream's live encoder (media/h264.ts), started at the
 *    first PLAY of the path, shared by every session playing it, stopped (input ended, SIGKILL)
 *    when the last one ends and when the server stops or the camera reboots. A session starts at
 *    the next IDR (SPS and PPS in front of it); access units go out as RFC 6184 packets (payload
 *    type 96, 90 kHz, one timestamp per access unit, single NAL unit packets up to
 *    {@link MAX_H264_PAYLOAD} bytes, FU-A beyond, the marker on the last packet of each access unit).
 * 7. While privacy mode is on every picture is black (media.md says nothing of what real cameras
 *    send then; our choice).
 * 8. `TEARDOWN` stops the frames and forgets the session; `GET_PARAMETER`/`SET_PARAMETER` answer
 *    200 (keep-alive). An unknown method answers 501; a wrong or missing session 454; any other path
 *    404 after the account check.
 *
 * Faults (control.ts): `rtspDown` (port closed), `rtspNoStream8` (DESCRIBE/SETUP of `stream8`
 * answer 404), `rtspCloseMidFrame` (the connection is closed after the first slice of the first
 * `stream8` frame), `rtspSlowMs` (that many ms between two packets of a `stream8` frame),
 * `rtspDigestOnly` (Basic refused, the "2025 firmware" profile), `rtspJpegForm` (the `stream8`
 * form, see 5), `rtspPrivacyNoFrames` (in privacy mode no stream sends a frame, the sessions stay
 * open: a C225 2.0 before firmware 1.0.11 stopped streaming then, HomeAssistant-Tapo-Control#517;
 * by default the picture is black, as others show a notice).
 *
 * Not simulated: RTSP over UDP, RTCP, audio, `stream6`/`stream7`.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import type { SimClock, SimFaults } from '../types';
import { bindListener } from '../listen';
import { JPEG_HEIGHT, JPEG_WIDTH, counterJpeg } from '../media/jpeg';
import { H264_FPS, H264_STREAMS, LiveH264Encoder, h264Payloads, probeParameterSets } from '../media/h264';
import type { AccessUnit, H264Stream, ParameterSets } from '../media/h264';
import { stream8Payload } from '../media/rfc2435';
import type { Stream8Form, Stream8Payload } from '../media/rfc2435';

/** Realm of both challenges (media.md §2.3). */
export const RTSP_REALM = 'TP-Link IP-Camera';
/** Methods in the `Public` header (media.md §2.4). */
export const RTSP_PUBLIC = 'OPTIONS, DESCRIBE, SETUP, TEARDOWN, PLAY, GET_PARAMETER, SET_PARAMETER';
/** One `stream8` frame every this many ms (5 fps). */
export const FRAME_INTERVAL_MS = 200;
/** Largest slice of the JFIF in one RTP packet. */
export const MAX_SLICE_BYTES = 1000;
/** RTP payload type of JPEG (RFC 3551). */
export const JPEG_PAYLOAD_TYPE = 26;
/** Dynamic RTP payload type of H.264 in the SDP of `stream1`/`stream2`. */
export const H264_PAYLOAD_TYPE = 96;
/** Largest RTP payload of an H.264 packet: a NAL unit up to this size goes whole, a larger one as FU-A. */
export const MAX_H264_PAYLOAD = 1400;
/** Sessions set up at once per camera, across all paths (media.md §2.2). */
export const MAX_SESSIONS = 2;
/** Largest RTSP request head read, in bytes. */
const MAX_HEAD_BYTES = 16 * 1024;
const SESSION_TIMEOUT_S = 60;

/** What the server reads from its camera. */
export interface RtspTarget {
  readonly clock: SimClock;
  readonly faults: SimFaults;
  /** The account RTSP requests must prove. */
  readonly cameraAccount: { readonly username: string; readonly password: string };
  /** True while the lens is masked. */
  privacyMode(): boolean;
}

/** What the server reports each time a `stream8` frame starts being sent (the `rtspFrame` event of the device). */
export interface RtspFrameInfo {
  /** The stream path, `stream8`. */
  path: string;
  /** The counter drawn in the picture. */
  counter: number;
  /** How it is packed. */
  form: Stream8Form;
}

/** Server options. */
export interface RtspServerOptions {
  host: string;
  port: number;
  /** The ffmpeg that encodes `stream1`/`stream2`; undefined = none (both answer 404). */
  ffmpeg?: string | undefined;
  /** Called for every request answered. */
  onRequest?: (info: RtspRequestInfo) => void;
  /** Called when a `stream8` frame starts being sent. */
  onFrame?: (info: RtspFrameInfo) => void;
}

/** The paths served. */
type StreamPath = 'stream8' | H264Stream;

/** What the server reports on each request it answered (the `rtsp` event of the device). */
export interface RtspRequestInfo {
  method: string;
  url: string;
  status: number;
}

interface RtspRequest {
  method: string;
  url: string;
  headers: Map<string, string>;
}

interface Connection {
  socket: net.Socket;
  nonce: string;
  session: string | undefined;
  /** The path the session was set up for. */
  path: StreamPath | undefined;
  /** H.264: nothing is sent until the next IDR. */
  waitIdr: boolean;
  /** Requests of this connection are answered in order (DESCRIBE may wait for ffmpeg). */
  queue: Promise<void>;
  channel: number;
  ssrc: number;
  seq: number;
  playing: boolean;
  timer: NodeJS.Timeout | undefined;
  frames: number;
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** Parses `key="value", key=value` pairs of an Authorization header. */
export function parseAuthParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) params.set((m[1] as string).toLowerCase(), m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? ''));
  return params;
}

/** The stream an RTSP path names (`/stream2`, `/stream2/track1`), with whether it names the track. */
function streamOf(path: string): { stream: StreamPath; track: boolean } | undefined {
  const m = /^\/(stream[128])(\/track1)?$/.exec(path);
  return m === null ? undefined : { stream: m[1] as StreamPath, track: m[2] !== undefined };
}

/** The path of an RTSP URL (`rtsp://h:p/stream8/track1` → `/stream8/track1`), '' when unparsable. */
function pathOf(url: string): string {
  const m = /^rtsps?:\/\/[^/]*(\/[^?#]*)?/i.exec(url);
  if (m === null) return url.startsWith('/') ? url : '';
  return m[1] ?? '/';
}

/** A live encoder and the connections playing it. */
interface LiveStream {
  encoder: LiveH264Encoder;
  players: Set<Connection>;
}

/** The RTSP server of one simulated camera. */
export class RtspServer {
  /** Bound port (the requested one until the first listen; kept across reboots). */
  port: number;
  private host: string;
  private readonly target: RtspTarget;
  private readonly ffmpeg: string | undefined;
  private readonly onRequest: (info: RtspRequestInfo) => void;
  private readonly onFrame: (info: RtspFrameInfo) => void;
  private listener: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  private stopped = false;
  /** Frames sent since the server was made (the counter drawn in each picture). */
  private frameCounter = 0;
  /** Pictures fed to the H.264 encoders (the counter drawn in them). */
  private pictureCounter = 0;
  /** Live encoders by stream. */
  private readonly live = new Map<H264Stream, LiveStream>();
  /** Every ffmpeg process not yet exited (live encoders and parameter-set runs). */
  private readonly processes = new Set<ChildProcess>();
  /** Parameter sets by stream, known or being found. */
  private readonly parameterSets = new Map<H264Stream, Promise<ParameterSets>>();

  /** Creates the server (not listening yet). */
  constructor(target: RtspTarget, options: RtspServerOptions) {
    this.target = target;
    this.host = options.host;
    this.port = options.port;
    this.ffmpeg = options.ffmpeg;
    this.onRequest = options.onRequest ?? (() => undefined);
    this.onFrame = options.onFrame ?? (() => undefined);
  }

  /** True while the port is bound. */
  get listening(): boolean {
    return this.listener !== undefined;
  }

  /** `stream8` frames sent so far (all connections). */
  get framesSent(): number {
    return this.frameCounter;
  }

  /** ffmpeg processes still running (live encoders and parameter-set runs); 0 once nothing plays H.264. */
  get liveEncoders(): number {
    return this.processes.size;
  }

  /** True when `stream1`/`stream2` are served (an ffmpeg was found). */
  get servesH264(): boolean {
    return this.ffmpeg !== undefined;
  }

  /** Sessions set up now (all paths). */
  get sessions(): number {
    let n = 0;
    for (const conn of this.connections) if (conn.session !== undefined) n++;
    return n;
  }

  /** Binds the port (the same one again after a reboot). */
  async listen(): Promise<void> {
    if (this.listener !== undefined || this.stopped) return;
    const listener = net.createServer((socket) => this.accept(socket));
    this.port = await bindListener(listener, this.host, this.port);
    this.listener = listener;
    if (this.stopped) await this.closeListener();
  }

  /** Closes the port and every connection, and stops every ffmpeg process (resolves once they have exited). */
  async closeListener(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    for (const conn of this.connections) this.drop(conn);
    const closed = listener === undefined ? Promise.resolve() : new Promise<void>((resolve) => listener.close(() => resolve()));
    await Promise.all([closed, this.stopProcesses()]);
  }

  /**
   * The camera got a new address: closes the port (dropping every connection and stopping ffmpeg)
   * and, if it was open, binds the same port on `host`.
   */
  async moveTo(host: string): Promise<void> {
    if (host === this.host) return;
    const wasListening = this.listener !== undefined;
    await this.closeListener();
    this.host = host;
    if (wasListening) await this.listen();
  }

  /** Stops for good. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.closeListener();
  }

  private async stopProcesses(): Promise<void> {
    const stopping = [...this.live.values()].map((stream) => stream.encoder.stop());
    this.live.clear();
    for (const child of this.processes) {
      child.stdin?.end();
      child.kill('SIGKILL');
      stopping.push(new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()))));
    }
    await Promise.all(stopping);
  }

  private track(child: ChildProcess): void {
    this.processes.add(child);
    const gone = (): void => {
      this.processes.delete(child);
    };
    child.once('exit', gone);
    child.once('error', gone);
    // A process spawned while the server stops is killed at once.
    if (this.stopped || this.listener === undefined) child.kill('SIGKILL');
  }

  private accept(socket: net.Socket): void {
    const conn: Connection = {
      socket,
      nonce: randomBytes(16).toString('hex'),
      session: undefined,
      path: undefined,
      waitIdr: true,
      queue: Promise.resolve(),
      channel: 0,
      ssrc: randomBytes(4).readUInt32BE(0),
      seq: randomBytes(2).readUInt16BE(0),
      playing: false,
      timer: undefined,
      frames: 0,
    };
    this.connections.add(conn);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (buffer.length === 0) return;
        if (buffer[0] === 0x24) {
          // Interleaved data from the client (RTCP receiver reports): skipped.
          if (buffer.length < 4) return;
          const length = buffer.readUInt16BE(2);
          if (buffer.length < 4 + length) return;
          buffer = buffer.subarray(4 + length);
          continue;
        }
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buffer.length > MAX_HEAD_BYTES) socket.destroy();
          return;
        }
        const request = parseHead(buffer.subarray(0, end).toString('latin1'));
        const bodyLength = Number(request?.headers.get('content-length') ?? 0);
        if (!Number.isSafeInteger(bodyLength) || bodyLength < 0 || bodyLength > MAX_HEAD_BYTES) {
          socket.destroy();
          return;
        }
        if (buffer.length < end + 4 + bodyLength) return;
        buffer = buffer.subarray(end + 4 + bodyLength);
        const req = request ?? { method: '', url: '', headers: new Map<string, string>() };
        conn.queue = conn.queue.then(() => (request === undefined ? this.send(conn, req, 400, {}) : this.handle(conn, req))).catch(() => this.send(conn, req, 500, {}));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.drop(conn));
  }

  private drop(conn: Connection): void {
    this.endSession(conn);
    this.connections.delete(conn);
    conn.socket.destroy();
  }

  /** Stops what the connection plays and forgets its session. */
  private endSession(conn: Connection): void {
    conn.playing = false;
    if (conn.timer !== undefined) clearTimeout(conn.timer);
    conn.timer = undefined;
    conn.session = undefined;
    const path = conn.path;
    conn.path = undefined;
    if (path === undefined || path === 'stream8') return;
    const stream = this.live.get(path);
    if (stream === undefined || !stream.players.delete(conn) || stream.players.size > 0) return;
    this.live.delete(path);
    void stream.encoder.stop();
  }

  private send(conn: Connection, req: RtspRequest, status: number, headers: Record<string, string | string[]>, body = ''): void {
    const lines = [`RTSP/1.0 ${status} ${REASONS[status] ?? 'Error'}`, `CSeq: ${req.headers.get('cseq') ?? '0'}`, `Date: ${new Date(this.target.clock.now()).toUTCString()}`];
    for (const [name, value] of Object.entries(headers)) for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
    if (body !== '') lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    if (!conn.socket.destroyed) conn.socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    this.onRequest({ method: req.method, url: req.url, status });
  }

  private authorized(conn: Connection, req: RtspRequest): boolean {
    const header = req.headers.get('authorization') ?? '';
    const account = this.target.cameraAccount;
    const space = header.indexOf(' ');
    const kind = header.slice(0, space < 0 ? header.length : space).toLowerCase();
    const rest = space < 0 ? '' : header.slice(space + 1).trim();
    if (kind === 'basic') {
      if (this.target.faults.rtspDigestOnly) return false;
      const decoded = Buffer.from(rest, 'base64').toString('utf8');
      return decoded === `${account.username}:${account.password}`;
    }
    if (kind !== 'digest') return false;
    const p = parseAuthParams(rest);
    if (p.get('username') !== account.username || p.get('realm') !== RTSP_REALM || p.get('nonce') !== conn.nonce) return false;
    const uri = p.get('uri') ?? '';
    const ha1 = md5(`${account.username}:${RTSP_REALM}:${account.password}`);
    const ha2 = md5(`${req.method}:${uri}`);
    const qop = p.get('qop');
    const expected = qop === 'auth' ? md5(`${ha1}:${conn.nonce}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:auth:${ha2}`) : md5(`${ha1}:${conn.nonce}:${ha2}`);
    return (p.get('response') ?? '').toLowerCase() === expected;
  }

  /** False when the path is not served now (a fault, or no ffmpeg). */
  private serves(stream: StreamPath): boolean {
    return stream === 'stream8' ? !this.target.faults.rtspNoStream8 : this.ffmpeg !== undefined;
  }

  private async handle(conn: Connection, req: RtspRequest): Promise<void> {
    if (req.method === 'OPTIONS') return this.send(conn, req, 200, { Public: RTSP_PUBLIC });
    if (!KNOWN_METHODS.has(req.method)) return this.send(conn, req, 501, {});
    if (!this.authorized(conn, req)) {
      return this.send(conn, req, 401, { 'WWW-Authenticate': [`Basic realm="${RTSP_REALM}"`, `Digest realm="${RTSP_REALM}", nonce="${conn.nonce}"`] });
    }
    const named = streamOf(pathOf(req.url).replace(/\/+$/, ''));
    const stream = named?.stream ?? conn.path ?? 'stream8';
    const base = `rtsp://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/${stream}`;
    switch (req.method) {
      case 'DESCRIBE': {
        if (named === undefined || named.track || !this.serves(named.stream)) return this.send(conn, req, 404, {});
        const media = named.stream === 'stream8' ? [`m=video 0 RTP/AVP ${JPEG_PAYLOAD_TYPE}`, `a=rtpmap:${JPEG_PAYLOAD_TYPE} JPEG/90000`, `a=framesize:${JPEG_PAYLOAD_TYPE} ${JPEG_WIDTH}-${JPEG_HEIGHT}`] : await this.h264Media(named.stream);
        const sdp = [
          'v=0',
          `o=- ${Math.floor(this.target.clock.now() / 1000)} 1 IN IP4 ${this.host}`,
          's=Session streamed by "TP-LINK RTSP Server"',
          't=0 0',
          'a=control:*',
          ...media,
          'a=control:track1',
          '',
        ].join('\r\n');
        return this.send(conn, req, 200, { 'Content-Base': `${base}/`, 'Content-Type': 'application/sdp' }, sdp);
      }
      case 'SETUP': {
        if (named === undefined || !this.serves(named.stream)) return this.send(conn, req, 404, {});
        const transport = req.headers.get('transport') ?? '';
        const m = /interleaved=(\d+)(?:-(\d+))?/.exec(transport);
        if (!/RTP\/AVP\/TCP/i.test(transport) || m === null || Number(m[1]) > 254) return this.send(conn, req, 461, {});
        if (conn.session !== undefined && (req.headers.get('session')?.split(';')[0]?.trim() !== conn.session || conn.path !== named.stream)) return this.send(conn, req, 459, {});
        if (conn.session === undefined && this.sessions >= MAX_SESSIONS) return this.send(conn, req, 453, {});
        conn.channel = Number(m[1]);
        conn.path = named.stream;
        conn.session ??= randomBytes(8).toString('hex').toUpperCase();
        const ssrc = conn.ssrc.toString(16).toUpperCase().padStart(8, '0');
        return this.send(conn, req, 200, {
          Transport: `RTP/AVP/TCP;unicast;interleaved=${conn.channel}-${conn.channel + 1};ssrc=${ssrc};mode="play"`,
          Session: `${conn.session};timeout=${SESSION_TIMEOUT_S}`,
        });
      }
      case 'PLAY':
      case 'TEARDOWN':
      case 'GET_PARAMETER':
      case 'SET_PARAMETER': {
        const session = req.headers.get('session')?.split(';')[0]?.trim();
        if (conn.session === undefined || session !== conn.session) {
          if (req.method === 'GET_PARAMETER' && session === undefined) return this.send(conn, req, 200, {});
          return this.send(conn, req, 454, {});
        }
        if (req.method === 'TEARDOWN') {
          this.endSession(conn);
          return this.send(conn, req, 200, {});
        }
        if (req.method !== 'PLAY') return this.send(conn, req, 200, { Session: conn.session });
        const playing = conn.path ?? 'stream8';
        this.send(conn, req, 200, {
          Session: conn.session,
          Range: 'npt=0.000-',
          'RTP-Info': `url=${base}/track1;seq=${conn.seq};rtptime=${this.rtpTime(conn)}`,
        });
        if (!conn.playing) {
          conn.playing = true;
          if (playing === 'stream8') void this.stream(conn);
          else this.join(conn, playing);
        }
        return;
      }
      default:
        return this.send(conn, req, 501, {});
    }
  }

  /** The SDP media lines of an H.264 stream (its parameter sets found first). */
  private async h264Media(stream: H264Stream): Promise<string[]> {
    const { sps, pps } = await this.parameterSetsOf(stream);
    return [
      `m=video 0 RTP/AVP ${H264_PAYLOAD_TYPE}`,
      `a=rtpmap:${H264_PAYLOAD_TYPE} H264/90000`,
      `a=fmtp:${H264_PAYLOAD_TYPE} packetization-mode=1;profile-level-id=${sps.subarray(1, 4).toString('hex').toUpperCase()};sprop-parameter-sets=${sps.toString('base64')},${pps.toString('base64')}`,
      `a=framesize:${H264_PAYLOAD_TYPE} ${H264_STREAMS[stream].width}-${H264_STREAMS[stream].height}`,
    ];
  }

  private parameterSetsOf(stream: H264Stream): Promise<ParameterSets> {
    const known = this.parameterSets.get(stream);
    if (known !== undefined) return known;
    const found = probeParameterSets(this.ffmpeg as string, stream, counterJpeg(0), (child) => this.track(child));
    this.parameterSets.set(stream, found);
    // A failed run is forgotten so the next DESCRIBE tries again.
    found.catch(() => this.parameterSets.delete(stream));
    return found;
  }

  /** Adds a playing connection to the live encoder of `stream`, starting it if needed. */
  private join(conn: Connection, stream: H264Stream): void {
    let live = this.live.get(stream);
    if (live === undefined) {
      const encoder = new LiveH264Encoder(this.ffmpeg as string, stream, () => counterJpeg(++this.pictureCounter, this.target.privacyMode()), (child) => this.track(child));
      const players = new Set<Connection>();
      encoder.on('accessUnit', (au: AccessUnit) => {
        for (const player of players) this.sendAccessUnit(player, au);
      });
      encoder.on('parameterSets', (sets: ParameterSets) => this.parameterSets.set(stream, Promise.resolve(sets)));
      live = { encoder, players };
      this.live.set(stream, live);
    }
    conn.waitIdr = true;
    live.players.add(conn);
  }

  /** True while `rtspPrivacyNoFrames` holds back every frame of a camera in privacy mode. */
  private silencedByPrivacy(): boolean {
    return this.target.faults.rtspPrivacyNoFrames && this.target.privacyMode();
  }

  private sendAccessUnit(conn: Connection, au: AccessUnit): void {
    if (this.silencedByPrivacy()) return;
    if (!conn.playing || conn.socket.destroyed) return;
    if (conn.waitIdr && !au.idr) return;
    if (conn.socket.writableNeedDrain) {
      // A slow reader misses pictures; it starts again at an IDR so what it gets decodes.
      conn.waitIdr = true;
      return;
    }
    conn.waitIdr = false;
    const timestamp = (conn.ssrc + au.index * (90_000 / H264_FPS)) >>> 0;
    const payloads = h264Payloads(au.nals, MAX_H264_PAYLOAD);
    payloads.forEach((payload, i) => this.writePacket(conn, rtpPacket({ payloadType: H264_PAYLOAD_TYPE, seq: conn.seq, timestamp, ssrc: conn.ssrc, marker: i === payloads.length - 1 }, payload)));
    conn.frames++;
  }

  private rtpTime(conn: Connection): number {
    return (conn.ssrc + conn.frames * (90_000 * FRAME_INTERVAL_MS) / 1000) >>> 0;
  }

  /** Writes one RTP packet interleaved on the connection's channel and counts its sequence number. */
  private writePacket(conn: Connection, packet: Buffer): void {
    conn.seq = (conn.seq + 1) & 0xffff;
    const frame = Buffer.alloc(4);
    frame[0] = 0x24;
    frame[1] = conn.channel;
    frame.writeUInt16BE(packet.length, 2);
    conn.socket.write(Buffer.concat([frame, packet]));
  }

  /** Sends `stream8` frames while the connection plays. */
  private async stream(conn: Connection): Promise<void> {
    while (conn.playing && !conn.socket.destroyed) {
      const started = Date.now();
      if (!conn.socket.writableNeedDrain && !this.silencedByPrivacy()) {
        const counter = ++this.frameCounter;
        const form = this.target.faults.rtspJpegForm;
        this.onFrame({ path: 'stream8', counter, form });
        await this.sendFrame(conn, stream8Payload(counter, form, this.target.privacyMode()));
        conn.frames++;
      }
      if (!conn.playing || conn.socket.destroyed) return;
      const wait = Math.max(0, FRAME_INTERVAL_MS - (Date.now() - started));
      await new Promise<void>((resolve) => {
        conn.timer = setTimeout(() => {
          conn.timer = undefined;
          resolve();
        }, wait);
      });
    }
  }

  private async sendFrame(conn: Connection, payload: Stream8Payload): Promise<void> {
    const timestamp = this.rtpTime(conn);
    const { data } = payload;
    for (let offset = 0; offset < data.length; offset += MAX_SLICE_BYTES) {
      if (!conn.playing || conn.socket.destroyed) return;
      const slowMs = this.target.faults.rtspSlowMs;
      if (offset > 0 && slowMs > 0) {
        await new Promise<void>((resolve) => {
          conn.timer = setTimeout(() => {
            conn.timer = undefined;
            resolve();
          }, slowMs);
        });
        if (!conn.playing || conn.socket.destroyed) return;
      }
      const slice = data.subarray(offset, offset + MAX_SLICE_BYTES);
      const last = offset + slice.length >= data.length;
      const tables = offset === 0 ? payload.tables : undefined;
      this.writePacket(conn, rtpJpegPacket({ seq: conn.seq, timestamp, ssrc: conn.ssrc, marker: last, offset, data: slice, type: payload.type, q: payload.q, ...(tables !== undefined ? { tables } : {}) }));
      if (this.target.faults.rtspCloseMidFrame && !last) {
        // The first slice is out; the camera goes away before the rest of the frame.
        conn.playing = false;
        conn.socket.end(() => conn.socket.destroy());
        return;
      }
    }
  }
}

/** An RTP packet (RFC 3550 §5.1: version 2, no padding, extension or CSRC). */
export function rtpPacket(h: { payloadType: number; seq: number; timestamp: number; ssrc: number; marker: boolean }, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (h.marker ? 0x80 : 0) | h.payloadType;
  header.writeUInt16BE(h.seq & 0xffff, 2);
  header.writeUInt32BE(h.timestamp >>> 0, 4);
  header.writeUInt32BE(h.ssrc >>> 0, 8);
  return Buffer.concat([header, payload]);
}

/**
 * One RTP/JPEG packet: the RTP header, the RTP/JPEG main header (RFC 2435 §3.1: type-specific 0,
 * fragment offset, `type` (default 1), `q` (default 50), width/8, height/8), the quantisation-table
 * header and tables when given (first packet, Q ≥ 128), then `data`.
 */
export function rtpJpegPacket(p: { seq: number; timestamp: number; ssrc: number; marker: boolean; offset: number; data: Buffer; type?: number; q?: number; tables?: Buffer }): Buffer {
  const main = Buffer.alloc(8);
  main[0] = 0; // type-specific
  main.writeUIntBE(p.offset, 1, 3); // fragment offset
  main[4] = p.type ?? 1;
  main[5] = p.q ?? 50;
  main[6] = JPEG_WIDTH / 8;
  main[7] = JPEG_HEIGHT / 8;
  return rtpPacket({ payloadType: JPEG_PAYLOAD_TYPE, seq: p.seq, timestamp: p.timestamp, ssrc: p.ssrc, marker: p.marker }, Buffer.concat([main, p.tables ?? Buffer.alloc(0), p.data]));
}

const KNOWN_METHODS = new Set(['DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'PAUSE', 'ANNOUNCE', 'RECORD']);

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  453: 'Not Enough Bandwidth',
  454: 'Session Not Found',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
  500: 'Internal Server Error',
  501: 'Not Implemented',
};

function parseHead(text: string): RtspRequest | undefined {
  const lines = text.split('\r\n');
  const m = /^([A-Z_]+) (\S+) RTSP\/1\.0$/.exec(lines[0] ?? '');
  if (m === null) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { method: m[1] as string, url: m[2] as string, headers };
}
