/**
 * The RTSP server of a simulated camera (media.md §2, §3, §8): RTSP 1.0 over TCP, bound to the
 * camera's host on its own port (554 on a real camera), serving `stream8` (MJPEG) as RTP/JPEG
 * interleaved on the RTSP connection (RFC 2326 §10.12).
 *
 * 1. `OPTIONS` is answered without credentials with the `Public` list of media.md §2.4.
 * 2. Every other method must carry the CAMERA ACCOUNT: `Authorization: Digest` (RFC 2617, with or
 *    without `qop=auth`, over the method and the `uri` parameter, against a nonce this connection
 *    was given) or `Basic`. Otherwise `401 Unauthorized` with two challenges, `Basic` then
 *    `Digest realm="TP-Link IP-Camera", nonce="<32 hex>"` (media.md §2.3).
 * 3. `DESCRIBE rtsp://host:port/stream8` answers an SDP with one `m=video 0 RTP/AVP 26` media,
 *    `a=rtpmap:26 JPEG/90000`, `a=control:track1`, and `Content-Base: <url>/`.
 * 4. `SETUP <url>/track1` (or `<url>`) with `Transport: RTP/AVP/TCP;unicast;interleaved=a-b`
 *    answers a session (`Session: <id>;timeout=60`); any other transport gets 461.
 * 5. `PLAY` with that session starts the frames: one JPEG (media/jpeg.ts, the frame counter drawn
 *    in the picture and written in a COM segment) every {@link FRAME_INTERVAL_MS}, sent as Tapo
 *    does (media.md §3.3): the whole JFIF cut into slices of at most {@link MAX_SLICE_BYTES}, each
 *    after the 8-byte RTP/JPEG main header (type 1, Q 50 so no quantisation-table header, width/8,
 *    height/8, the slice's byte offset), the RTP marker on the last slice, one 90 kHz timestamp
 *    per frame, sequence numbers counting every packet. While privacy mode is on the picture is
 *    black (media.md says nothing of what real cameras send then; our choice).
 * 6. `TEARDOWN` stops the frames and forgets the session; `GET_PARAMETER`/`SET_PARAMETER` answer
 *    200 (keep-alive). An unknown method answers 501; a wrong or missing session 454.
 * 7. Only `stream8` is simulated: any other path (`stream1`, `stream2` … need H.264) answers 404
 *    after the account check.
 *
 * Faults (control.ts): `rtspDown` (port closed), `rtspNoStream8` (DESCRIBE/SETUP of `stream8`
 * answer 404), `rtspCloseMidFrame` (the connection is closed after the first slice of the first
 * frame), `rtspSlowMs` (that many ms between two packets).
 *
 * Not simulated: RTSP over UDP, RTCP, the 2-session limit, H.264 streams.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import type { SimClock, SimFaults } from '../types';
import { bindListener } from '../listen';
import { JPEG_HEIGHT, JPEG_WIDTH, counterJpeg } from '../media/jpeg';

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

/** The path of an RTSP URL (`rtsp://h:p/stream8/track1` → `/stream8/track1`), '' when unparsable. */
function pathOf(url: string): string {
  const m = /^rtsps?:\/\/[^/]*(\/[^?#]*)?/i.exec(url);
  if (m === null) return url.startsWith('/') ? url : '';
  return m[1] ?? '/';
}

/** The RTSP server of one simulated camera. */
export class RtspServer {
  /** Bound port (the requested one until the first listen; kept across reboots). */
  port: number;
  private readonly host: string;
  private readonly target: RtspTarget;
  private readonly onRequest: (info: RtspRequestInfo) => void;
  private listener: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  private stopped = false;
  /** Frames sent since the server was made (the counter drawn in each picture). */
  private frameCounter = 0;

  /** Creates the server (not listening yet). */
  constructor(target: RtspTarget, options: { host: string; port: number }, onRequest: (info: RtspRequestInfo) => void = () => undefined) {
    this.target = target;
    this.host = options.host;
    this.port = options.port;
    this.onRequest = onRequest;
  }

  /** True while the port is bound. */
  get listening(): boolean {
    return this.listener !== undefined;
  }

  /** Frames sent so far (all connections). */
  get framesSent(): number {
    return this.frameCounter;
  }

  /** Binds the port (the same one again after a reboot). */
  async listen(): Promise<void> {
    if (this.listener !== undefined || this.stopped) return;
    const listener = net.createServer((socket) => this.accept(socket));
    this.port = await bindListener(listener, this.host, this.port);
    this.listener = listener;
    if (this.stopped) await this.closeListener();
  }

  /** Closes the port and every connection. */
  closeListener(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    for (const conn of this.connections) this.drop(conn);
    if (listener === undefined) return Promise.resolve();
    return new Promise((resolve) => listener.close(() => resolve()));
  }

  /** Stops for good. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.closeListener();
  }

  private accept(socket: net.Socket): void {
    const conn: Connection = {
      socket,
      nonce: randomBytes(16).toString('hex'),
      session: undefined,
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
        if (request === undefined) {
          this.send(conn, { method: '', url: '', headers: new Map() }, 400, {});
          continue;
        }
        this.handle(conn, request);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.drop(conn));
  }

  private drop(conn: Connection): void {
    conn.playing = false;
    if (conn.timer !== undefined) clearTimeout(conn.timer);
    conn.timer = undefined;
    this.connections.delete(conn);
    conn.socket.destroy();
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

  private handle(conn: Connection, req: RtspRequest): void {
    const base = `rtsp://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}/stream8`;
    if (req.method === 'OPTIONS') {
      this.send(conn, req, 200, { Public: RTSP_PUBLIC });
      return;
    }
    if (!KNOWN_METHODS.has(req.method)) {
      this.send(conn, req, 501, {});
      return;
    }
    if (!this.authorized(conn, req)) {
      this.send(conn, req, 401, { 'WWW-Authenticate': [`Basic realm="${RTSP_REALM}"`, `Digest realm="${RTSP_REALM}", nonce="${conn.nonce}"`] });
      return;
    }
    const path = pathOf(req.url).replace(/\/+$/, '');
    const stream8 = path === '/stream8' || path === '/stream8/track1';
    switch (req.method) {
      case 'DESCRIBE': {
        if (path !== '/stream8' || this.target.faults.rtspNoStream8) return this.send(conn, req, 404, {});
        const sdp = [
          'v=0',
          `o=- ${Math.floor(this.target.clock.now() / 1000)} 1 IN IP4 ${this.host}`,
          's=Session streamed by "TP-LINK RTSP Server"',
          't=0 0',
          'a=control:*',
          'm=video 0 RTP/AVP 26',
          'a=rtpmap:26 JPEG/90000',
          `a=framesize:26 ${JPEG_WIDTH}-${JPEG_HEIGHT}`,
          'a=control:track1',
          '',
        ].join('\r\n');
        return this.send(conn, req, 200, { 'Content-Base': `${base}/`, 'Content-Type': 'application/sdp' }, sdp);
      }
      case 'SETUP': {
        if (!stream8 || this.target.faults.rtspNoStream8) return this.send(conn, req, 404, {});
        const transport = req.headers.get('transport') ?? '';
        const m = /interleaved=(\d+)(?:-(\d+))?/.exec(transport);
        if (!/RTP\/AVP\/TCP/i.test(transport) || m === null || Number(m[1]) > 254) return this.send(conn, req, 461, {});
        if (conn.session !== undefined && req.headers.get('session')?.split(';')[0]?.trim() !== conn.session) return this.send(conn, req, 459, {});
        conn.channel = Number(m[1]);
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
          conn.playing = false;
          if (conn.timer !== undefined) clearTimeout(conn.timer);
          conn.timer = undefined;
          conn.session = undefined;
          return this.send(conn, req, 200, {});
        }
        if (req.method !== 'PLAY') return this.send(conn, req, 200, { Session: conn.session });
        this.send(conn, req, 200, {
          Session: conn.session,
          Range: 'npt=0.000-',
          'RTP-Info': `url=${base}/track1;seq=${conn.seq};rtptime=${this.rtpTime(conn)}`,
        });
        if (!conn.playing) {
          conn.playing = true;
          void this.stream(conn);
        }
        return;
      }
      default:
        return this.send(conn, req, 501, {});
    }
  }

  private rtpTime(conn: Connection): number {
    return (conn.ssrc + conn.frames * (90_000 * FRAME_INTERVAL_MS) / 1000) >>> 0;
  }

  /** Sends frames while the connection plays. */
  private async stream(conn: Connection): Promise<void> {
    while (conn.playing && !conn.socket.destroyed) {
      const started = Date.now();
      if (!conn.socket.writableNeedDrain) {
        const counter = ++this.frameCounter;
        await this.sendFrame(conn, counterJpeg(counter, this.target.privacyMode()));
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

  private async sendFrame(conn: Connection, jpeg: Buffer): Promise<void> {
    const timestamp = this.rtpTime(conn);
    for (let offset = 0; offset < jpeg.length; offset += MAX_SLICE_BYTES) {
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
      const slice = jpeg.subarray(offset, offset + MAX_SLICE_BYTES);
      const last = offset + slice.length >= jpeg.length;
      const packet = rtpJpegPacket({ seq: conn.seq, timestamp, ssrc: conn.ssrc, marker: last, offset, data: slice });
      conn.seq = (conn.seq + 1) & 0xffff;
      const frame = Buffer.alloc(4);
      frame[0] = 0x24;
      frame[1] = conn.channel;
      frame.writeUInt16BE(packet.length, 2);
      conn.socket.write(Buffer.concat([frame, packet]));
      if (this.target.faults.rtspCloseMidFrame && !last) {
        // The first slice is out; the camera goes away before the rest of the frame.
        conn.playing = false;
        conn.socket.end(() => conn.socket.destroy());
        return;
      }
    }
  }
}

/** One RTP packet (RFC 3550 §5.1) carrying a slice of a JFIF after the RTP/JPEG main header (RFC 2435 §3.1). */
export function rtpJpegPacket(p: { seq: number; timestamp: number; ssrc: number; marker: boolean; offset: number; data: Buffer }): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x80; // V=2, no padding, no extension, no CSRC
  header[1] = (p.marker ? 0x80 : 0) | JPEG_PAYLOAD_TYPE;
  header.writeUInt16BE(p.seq & 0xffff, 2);
  header.writeUInt32BE(p.timestamp >>> 0, 4);
  header.writeUInt32BE(p.ssrc >>> 0, 8);
  header[12] = 0; // type-specific
  header.writeUIntBE(p.offset, 13, 3); // fragment offset
  header[16] = 1; // type
  header[17] = 50; // Q < 128: no quantization-table header
  header[18] = JPEG_WIDTH / 8;
  header[19] = JPEG_HEIGHT / 8;
  return Buffer.concat([header, p.data]);
}

const KNOWN_METHODS = new Set(['DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN', 'GET_PARAMETER', 'SET_PARAMETER', 'PAUSE', 'ANNOUNCE', 'RECORD']);

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  454: 'Session Not Found',
  459: 'Aggregate Operation Not Allowed',
  461: 'Unsupported Transport',
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
