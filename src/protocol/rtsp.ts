/**
 * A small RTSP/1.0 client (RFC 2326) for cameras (../shared/protocol/media.md §2–§4): OPTIONS,
 * DESCRIBE (the SDP's JPEG or H.264 track), SETUP with RTP over the RTSP connection
 * (`RTP/AVP/TCP;unicast;interleaved=0-1`), PLAY, RTP packets of that track to a consumer until it
 * is done, TEARDOWN. {@link snapshot} is the JPEG consumer: one JPEG from the MJPEG stream
 * (src/protocol/rtp-jpeg.ts); src/protocol/ffmpeg.ts plays the H.264 track with {@link playRtsp}.
 *
 * Authentication as the server asks in `WWW-Authenticate` (media.md §2.3): Digest (MD5, `qop=auth`
 * or none) preferred over Basic. The first 401 is answered once with credentials; a 401 after
 * credentials were sent is an `Authentication` error at once (no retry loop: a camera locks its
 * account after repeated failures). One deadline covers the whole session, the consumer included;
 * the caller's signal aborts it. The socket is destroyed on every path.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

import { TapoError } from './errors';
import { JpegAssembler, parseRtp, readInterleaved } from './rtp-jpeg';
import type { RtpPacket } from './rtp-jpeg';

/** Options of {@link snapshot}. */
export interface RtspSnapshotOptions {
  /** The camera account; the URL's user info is used when these are not given. */
  username?: string;
  password?: string;
  /** Deadline for the whole snapshot, connection included (default 10 000 ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** One JPEG from a stream. */
export interface RtspSnapshot {
  jpeg: Buffer;
  width?: number;
  height?: number;
}

/** Default deadline of a snapshot. */
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 10_000;

/** The longest RTSP head this client reads (a reply without an end of head beyond it is garbled). */
const MAX_HEAD = 64 * 1024;

/** Takes one JPEG from the MJPEG stream at `url` (`rtsp://[user:password@]host[:port]/path`). */
export async function snapshot(url: string, options: RtspSnapshotOptions = {}): Promise<RtspSnapshot> {
  return playRtsp<RtspSnapshot>(url, { ...options, track: 'jpeg' }, (_track, control) => {
    const assembler = new JpegAssembler();
    return (packet) => {
      const frame = assembler.push(packet);
      if (frame === undefined) return;
      control.done({ jpeg: frame.jpeg, ...(frame.width !== undefined ? { width: frame.width } : {}), ...(frame.height !== undefined ? { height: frame.height } : {}) });
    };
  });
}

/** An RTSP URL split into what the client needs; the request URL carries no credentials. */
export interface RtspTarget {
  host: string;
  port: number;
  /** The URL without user info: what requests name and errors show. */
  url: string;
  username?: string;
  password?: string;
}

/** Splits an RTSP URL; an `Input` error when it is not one. */
export function parseRtspUrl(url: string): RtspTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TapoError('Input', 'rtspBadUrl', { params: { value: redact(url) }, sent: false });
  }
  if (parsed.protocol !== 'rtsp:' || parsed.hostname === '') {
    throw new TapoError('Input', 'rtspBadUrl', { params: { value: redact(url) }, sent: false });
  }
  const username = parsed.username !== '' ? decodeURIComponent(parsed.username) : undefined;
  const password = parsed.password !== '' ? decodeURIComponent(parsed.password) : undefined;
  parsed.username = '';
  parsed.password = '';
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return {
    host,
    port: parsed.port === '' ? 554 : Number(parsed.port),
    url: parsed.toString(),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//');
}

/** One challenge of a `WWW-Authenticate` header: the scheme (lower case) and its parameters. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses `WWW-Authenticate` values (one or more headers, each with one or more challenges) into
 * challenges; parameter names in lower case.
 */
export function parseChallenges(values: readonly string[]): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    const re = /\s*(?:,\s*)?([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?/gy;
    let current: AuthChallenge | undefined;
    let m: RegExpExecArray | null;
    while (re.lastIndex < value.length && (m = re.exec(value)) !== null) {
      if (m[0] === '') break;
      const name = m[1] as string;
      const quoted = m[2];
      const bare = m[3];
      if (quoted === undefined && bare === undefined) {
        current = { scheme: name.toLowerCase(), params: {} };
        challenges.push(current);
      } else if (current !== undefined) {
        current.params[name.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare as string);
      }
    }
  }
  return challenges;
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** The Digest `Authorization` value (RFC 2617) for one request. */
export function digestAuthorization(
  challenge: AuthChallenge,
  username: string,
  password: string,
  method: string,
  uri: string,
  nc: number,
  cnonce: string,
): string {
  const { realm = '', nonce = '', opaque, algorithm } = challenge.params;
  const ha1 = md5(`${username}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const qop = digestQop(challenge);
  const ncText = nc.toString(16).padStart(8, '0');
  const response = qop ? md5(`${ha1}:${nonce}:${ncText}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const parts = [
    `username="${quote(username)}"`,
    `realm="${quote(realm)}"`,
    `nonce="${quote(nonce)}"`,
    `uri="${quote(uri)}"`,
    `response="${response}"`,
  ];
  if (algorithm !== undefined) parts.push(`algorithm=${algorithm}`);
  if (opaque !== undefined) parts.push(`opaque="${quote(opaque)}"`);
  if (qop) parts.push(`qop=${qop}`, `nc=${ncText}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}

function quote(text: string): string {
  return text.replace(/(["\\])/g, '\\$1');
}

/** `auth` when the challenge offers it, '' when it has no qop, undefined when only others. */
function digestQop(challenge: AuthChallenge): string | undefined {
  const qop = challenge.params.qop;
  if (qop === undefined) return '';
  return qop.split(',').some((q) => q.trim().toLowerCase() === 'auth') ? 'auth' : undefined;
}

/** The challenge this client answers: Digest with MD5 first (media.md §2.3), then Basic. */
export function pickChallenge(challenges: readonly AuthChallenge[]): AuthChallenge | undefined {
  const digest = challenges.find(
    (c) => c.scheme === 'digest' && (c.params.algorithm === undefined || c.params.algorithm.toUpperCase() === 'MD5') && digestQop(c) !== undefined,
  );
  return digest ?? challenges.find((c) => c.scheme === 'basic');
}

/** One media section of an SDP. */
export interface SdpMedia {
  media: string;
  formats: number[];
  /** Encoding name (upper case) per payload type, from `a=rtpmap`. */
  rtpmap: Record<number, string>;
  /** Format parameters per payload type, from `a=fmtp` (names in lower case). */
  fmtp: Record<number, Record<string, string>>;
  control?: string;
}

/** The parts of an SDP this client reads. */
export interface Sdp {
  control?: string;
  media: SdpMedia[];
}

/** Parses the session control and the media sections of an SDP. */
export function parseSdp(text: string): Sdp {
  const sdp: Sdp = { media: [] };
  let current: SdpMedia | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      const [media = '', , , ...formats] = line.slice(2).split(/\s+/);
      current = { media: media.toLowerCase(), formats: formats.map(Number).filter(Number.isInteger), rtpmap: {}, fmtp: {} };
      sdp.media.push(current);
    } else if (line.startsWith('a=control:')) {
      const control = line.slice('a=control:'.length).trim();
      if (current) current.control = control;
      else sdp.control = control;
    } else if (line.startsWith('a=rtpmap:') && current) {
      const m = /^a=rtpmap:(\d+)\s+([^/\s]+)/.exec(line);
      if (m) current.rtpmap[Number(m[1])] = (m[2] as string).toUpperCase();
    } else if (line.startsWith('a=fmtp:') && current) {
      const m = /^a=fmtp:(\d+)\s+(.*)$/.exec(line);
      if (m) current.fmtp[Number(m[1])] = parseFmtp(m[2] as string);
    }
  }
  return sdp;
}

/** The parameters of an `a=fmtp` value (`name=value; name=value`), names in lower case; values kept as written. */
export function parseFmtp(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name !== '') params[name] = eq === -1 ? '' : part.slice(eq + 1).trim();
  }
  return params;
}

/** The JPEG track of an SDP (media.md §3.1): video or image, `JPEG/90000` or static type 26. */
export function findJpegTrack(sdp: Sdp): { payloadType: number; control?: string } | undefined {
  const found = findMedia(sdp, (m, f) => (m.media === 'video' || m.media === 'image') && (m.rtpmap[f] === 'JPEG' || (f === 26 && m.rtpmap[f] === undefined)));
  return found && { payloadType: found.payloadType, ...(found.control !== undefined ? { control: found.control } : {}) };
}

/** The H.264 track of an SDP (RFC 6184 §8.2): video, `H264/90000`, with its format parameters. */
export function findH264Track(sdp: Sdp): { payloadType: number; control?: string; fmtp: Record<string, string> } | undefined {
  return findMedia(sdp, (m, f) => m.media === 'video' && m.rtpmap[f] === 'H264');
}

function findMedia(sdp: Sdp, match: (m: SdpMedia, format: number) => boolean): { payloadType: number; control?: string; fmtp: Record<string, string> } | undefined {
  for (const m of sdp.media) {
    const pt = m.formats.find((f) => match(m, f));
    if (pt !== undefined) return { payloadType: pt, fmtp: m.fmtp[pt] ?? {}, ...(m.control !== undefined ? { control: m.control } : {}) };
  }
  return undefined;
}

/** Resolves a control attribute against the base URL (RFC 2326 C.1.1). */
export function resolveControl(base: string, control: string | undefined): string {
  if (control === undefined || control === '' || control === '*') return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  return base.endsWith('/') ? `${base}${control}` : `${base}/${control}`;
}

/** The kinds of track a session can play. */
export type RtspTrackKind = 'jpeg' | 'h264';

/** The track a session plays, as the SDP describes it. */
export interface RtspTrack {
  readonly kind: RtspTrackKind;
  readonly payloadType: number;
  readonly control?: string;
  /** The `a=fmtp` parameters of the payload type (names in lower case), `{}` when none. */
  readonly fmtp: Readonly<Record<string, string>>;
}

/** How a consumer ends a session: with its result (TEARDOWN follows) or with an error (the socket is destroyed). */
export interface PlayControl<T> {
  done(result: T): void;
  fail(error: TapoError): void;
}

/**
 * What a session delivers packets to: called once with the chosen track (before SETUP), returns
 * the function that takes each RTP packet of that track in arrival order. It must not throw; it
 * ends the session through `control`, at once or later (from its own events).
 */
export type RtpConsumer<T> = (track: RtspTrack, control: PlayControl<T>) => (packet: RtpPacket) => void;

/** Options of {@link playRtsp}: those of a snapshot and the kind of track to play. */
export interface RtspPlayOptions extends RtspSnapshotOptions {
  track: RtspTrackKind;
}

/**
 * Plays one track of the stream at `url` and delivers its RTP packets to `consumer` until it says
 * it is done (the result) or failed. One deadline (`timeoutMs`) covers connection, RTSP and the
 * consumer; the signal aborts it; the socket is destroyed on every path, after a TEARDOWN on success.
 */
export function playRtsp<T>(url: string, options: RtspPlayOptions, consumer: RtpConsumer<T>): Promise<T> {
  const target = parseRtspUrl(url);
  const username = options.username ?? target.username;
  const password = options.password ?? target.password;
  return new RtspSession<T>(target, username, password, options.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS, options.signal).run(options.track, consumer);
}

/** One RTSP reply. */
interface RtspReply {
  status: number;
  reason: string;
  /** Header values by lower-case name, repeated headers kept in order. */
  headers: Map<string, string[]>;
  body: Buffer;
}

const header = (reply: RtspReply, name: string): string | undefined => reply.headers.get(name)?.[0];

/** What a session waits for: an RTSP reply, or the consumer's result. */
type Waiter<T> = { kind: 'reply'; resolve: (reply: RtspReply) => void } | { kind: 'result'; resolve: (result: T) => void };

class RtspSession<T> {
  private socket: net.Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private cseq = 0;
  private waiter: Waiter<T> | undefined;
  private rejectWaiter: ((e: TapoError) => void) | undefined;
  private failure: TapoError | undefined;
  private readonly replies: RtspReply[] = [];
  private result: { value: T } | undefined;
  private challenge: AuthChallenge | undefined;
  private credentialsSent = false;
  private nc = 0;
  private readonly cnonce = randomBytes(8).toString('hex');
  private rtpChannel = 0;
  private payloadType: number | undefined;
  private consume: ((packet: RtpPacket) => void) | undefined;
  private playing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.fail(new TapoError('Timeout', 'requestAborted', { sent: this.cseq > 0 }));

  constructor(
    private readonly target: RtspTarget,
    private readonly username: string | undefined,
    private readonly password: string | undefined,
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async run(kind: RtspTrackKind, consumer: RtpConsumer<T>): Promise<T> {
    if (this.signal?.aborted) throw new TapoError('Timeout', 'requestAborted', { sent: false });
    this.timer = setTimeout(() => this.fail(new TapoError('Timeout', 'rtspNoFrameInTime', { params: { where: this.target.url, ms: this.timeoutMs }, hint: 'checkPoweredOrTimeout', sent: this.cseq > 0 })), this.timeoutMs);
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    try {
      await this.connect();
      const url = this.target.url;
      await this.request('OPTIONS', url, {}, false);
      const described = await this.request('DESCRIBE', url, { Accept: 'application/sdp' });
      const base = header(described, 'content-base') ?? header(described, 'content-location') ?? url;
      const sdp = parseSdp(described.body.toString('utf8'));
      const track = this.pickTrack(sdp, kind);
      this.payloadType = track.payloadType;
      this.consume = consumer(track, { done: (result) => this.finish(result), fail: (error) => this.fail(error) });
      const setup = await this.request('SETUP', resolveControl(base, track.control), { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' });
      const channel = /interleaved=(\d+)/i.exec(header(setup, 'transport') ?? '');
      if (channel) this.rtpChannel = Number(channel[1]);
      const sessionId = (header(setup, 'session') ?? '').split(';')[0]?.trim() ?? '';
      const sessionHeader: Record<string, string> = sessionId !== '' ? { Session: sessionId } : {};
      const playUrl = resolveControl(base, sdp.control);
      this.playing = true;
      await this.request('PLAY', playUrl, { ...sessionHeader, Range: 'npt=0.000-' });
      const result = await this.wait<T>('result');
      this.teardown(playUrl, sessionHeader);
      return result;
    } catch (e) {
      this.socket?.destroy();
      throw this.failure ?? e;
    } finally {
      clearTimeout(this.timer);
      this.signal?.removeEventListener('abort', this.onAbort);
    }
  }

  private pickTrack(sdp: Sdp, kind: RtspTrackKind): RtspTrack {
    const where = { params: { where: this.target.url } };
    if (kind === 'jpeg') {
      const track = findJpegTrack(sdp);
      if (track === undefined) throw new TapoError('Unsupported', 'rtspNoJpegTrack', where);
      return { kind, fmtp: {}, ...track };
    }
    const track = findH264Track(sdp);
    if (track === undefined) throw new TapoError('Unsupported', 'rtspNoH264Track', where);
    return { kind, ...track };
  }

  /** Ends the session politely, then the socket (destroyed once the TEARDOWN is flushed). */
  private teardown(url: string, sessionHeader: Record<string, string>): void {
    const socket = this.socket;
    if (socket === undefined) return;
    this.failure ??= new TapoError('Transport', 'rtspClosed', { params: { where: this.target.url, detail: 'done' } });
    socket.removeAllListeners('data');
    socket.on('error', () => socket.destroy());
    socket.end(this.format('TEARDOWN', url, sessionHeader), () => socket.destroy());
    // A peer that never reads must not keep the socket: destroy it regardless after a moment.
    setTimeout(() => socket.destroy(), 1000).unref();
  }

  private connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: this.target.host, port: this.target.port });
      this.socket = socket;
      this.rejectWaiter = reject;
      let connected = false;
      socket.once('connect', () => {
        connected = true;
        this.rejectWaiter = undefined;
        resolve();
      });
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (e: NodeJS.ErrnoException) => {
        const detail = e.code ?? e.message;
        if (!connected) {
          this.fail(new TapoError('Transport', 'cannotReach', { params: { where: this.target.url, detail }, sent: false, hint: 'checkHostPortOnNetwork', cause: e }));
        } else {
          this.fail(new TapoError('Transport', 'rtspClosed', { params: { where: this.target.url, detail }, cause: e }));
        }
      });
      socket.on('close', () => {
        const detail = this.playing ? 'closed before a whole frame' : 'closed by the camera';
        this.fail(new TapoError('Transport', 'rtspClosed', { params: { where: this.target.url, detail } }));
      });
    });
  }

  /** Records the first failure, rejects what is waited for and destroys the socket. */
  private fail(error: TapoError): void {
    if (this.failure !== undefined || this.result !== undefined) return;
    this.failure = error;
    this.socket?.destroy();
    const reject = this.rejectWaiter;
    this.waiter = undefined;
    this.rejectWaiter = undefined;
    reject?.(error);
  }

  /** The consumer's result: the first one counts, and only before a failure. */
  private finish(value: T): void {
    if (this.failure !== undefined || this.result !== undefined) return;
    this.result = { value };
    if (this.waiter?.kind === 'result') {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      this.rejectWaiter = undefined;
      resolve(value);
    }
  }

  private wait<R extends RtspReply | T>(kind: Waiter<T>['kind']): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    if (kind === 'reply' && this.replies.length > 0) return Promise.resolve(this.replies.shift() as R);
    if (kind === 'result' && this.result !== undefined) return Promise.resolve(this.result.value as R);
    return new Promise<R>((resolve, reject) => {
      this.waiter = { kind, resolve: resolve as (value: unknown) => void } as Waiter<T>;
      this.rejectWaiter = reject;
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length > 0 && this.failure === undefined) {
      if (this.buffer[0] === 0x24) {
        const frame = readInterleaved(this.buffer);
        if (frame === undefined) return;
        this.buffer = this.buffer.subarray(frame.next);
        if (frame.channel === this.rtpChannel) this.onRtp(frame.data);
        continue;
      }
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end === -1) {
        if (this.buffer.length > MAX_HEAD) this.fail(new TapoError('Transport', 'rtspGarbled', { params: { where: this.target.url } }));
        return;
      }
      const lines = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map<string, string[]>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const list = headers.get(name) ?? [];
        list.push(line.slice(colon + 1).trim());
        headers.set(name, list);
      }
      const length = Number(headers.get('content-length')?.[0] ?? '0');
      if (!Number.isInteger(length) || length < 0) {
        this.fail(new TapoError('Transport', 'rtspGarbled', { params: { where: this.target.url } }));
        return;
      }
      if (this.buffer.length < end + 4 + length) return;
      const body = this.buffer.subarray(end + 4, end + 4 + length);
      this.buffer = this.buffer.subarray(end + 4 + length);
      const status = /^RTSP\/1\.\d (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
      if (status === null) {
        // A request from the server (or noise before a reply): RTSP lets a server send requests; not ours to answer.
        if (!/^[A-Z_]+ \S+ RTSP\/1\.\d$/.test(lines[0] ?? '')) this.fail(new TapoError('Transport', 'rtspGarbled', { params: { where: this.target.url } }));
        continue;
      }
      this.onReply({ status: Number(status[1]), reason: status[2] ?? '', headers, body });
    }
  }

  private onReply(reply: RtspReply): void {
    if (this.waiter?.kind === 'reply') {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      this.rejectWaiter = undefined;
      resolve(reply);
    } else {
      this.replies.push(reply);
    }
  }

  private onRtp(data: Buffer): void {
    if (this.consume === undefined || this.result !== undefined) return;
    const packet = parseRtp(data);
    if (packet === undefined || packet.payloadType !== this.payloadType) return;
    this.consume(packet);
  }

  private format(method: string, uri: string, headers: Record<string, string>): string {
    this.cseq++;
    const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${this.cseq}`, 'User-Agent: node-red-tapo'];
    const authorization = this.authorization(method, uri);
    if (authorization !== undefined) lines.push(`Authorization: ${authorization}`);
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  private authorization(method: string, uri: string): string | undefined {
    const challenge = this.challenge;
    if (challenge === undefined || this.username === undefined) return undefined;
    this.credentialsSent = true;
    const password = this.password ?? '';
    if (challenge.scheme === 'basic') return `Basic ${Buffer.from(`${this.username}:${password}`, 'utf8').toString('base64')}`;
    this.nc++;
    return digestAuthorization(challenge, this.username, password, method, uri, this.nc, this.cnonce);
  }

  private async send(method: string, uri: string, headers: Record<string, string>): Promise<RtspReply> {
    if (this.failure) throw this.failure;
    this.socket?.write(this.format(method, uri, headers));
    return this.wait<RtspReply>('reply');
  }

  /**
   * Sends a request; a first 401 is answered once with credentials, a 401 after credentials is
   * an Authentication error. `required` false lets a failure status through (OPTIONS).
   */
  private async request(method: string, uri: string, headers: Record<string, string>, required = true): Promise<RtspReply> {
    let reply = await this.send(method, uri, headers);
    if (reply.status === 401) {
      if (this.credentialsSent || this.username === undefined) throw this.refused();
      const challenges = parseChallenges(reply.headers.get('www-authenticate') ?? []);
      const challenge = pickChallenge(challenges);
      if (challenge === undefined) {
        const scheme = challenges.map((c) => c.scheme).join(', ') || 'none';
        throw new TapoError('Unsupported', 'rtspAuthUnsupported', { params: { scheme } });
      }
      this.challenge = challenge;
      reply = await this.send(method, uri, headers);
      if (reply.status === 401) throw this.refused();
    }
    if (required && (reply.status < 200 || reply.status > 299)) {
      const status = `${reply.status}${reply.reason ? ` ${reply.reason}` : ''}`;
      // 453 Not Enough Bandwidth: the camera already serves its two streams (media.md §2.2).
      if (reply.status === 453) throw new TapoError('Device', 'rtspBusy', { params: { method, status, where: this.target.url }, hint: 'closeOtherViewers' });
      throw new TapoError(reply.status === 404 ? 'Unsupported' : 'Device', 'rtspStatus', { params: { method, status, where: this.target.url } });
    }
    return reply;
  }

  private refused(): TapoError {
    return new TapoError('Authentication', 'rtspRefused', { params: { where: this.target.url }, hint: 'checkCameraAccount' });
  }
}
