/**
 * Our client, unchanged, against small device implementations written here from the protocol
 * facts alone (../shared/protocol) — not the simulator, and sharing no cipher code with
 * src/protocol. Each server answers just enough of one scheme (login, a read, a set) and varies
 * one detail that real devices and other emulators legitimately vary in: cookie shapes, header
 * casing, content types, chunked or close-delimited bodies, connections closed after every
 * reply, JSON layout, field order, seq signs, stok shapes, unencrypted replies, expiry answers
 * and TLS parameters. Where each variation comes from is noted in its table entry.
 *
 * Every test goes through DeviceConnection and the devices layer (Plug, Camera) with a forced
 * scheme, and asserts on what the server saw: the set reached the device state, the session
 * cookie came back exactly, the sequence numbers and tags were right, request bodies carried a
 * Content-Length. Everything listens on 127.0.0.1 only.
 */
import { strict as assert } from 'node:assert';
import {
  constants as cryptoConstants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { DeviceConnection } from '../../src/connection/connection';
import { Camera } from '../../src/devices/camera';
import { Plug } from '../../src/devices/plug';
import type { JsonObject, JsonValue, SchemeName } from '../../src/protocol/types';
import { getSimCertificate } from '../../src/simulator/cert';

// ---------------------------------------------------------------------------------------------
// Wire: one request as the device saw it, one reply, and how the reply is framed.
// ---------------------------------------------------------------------------------------------

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-case names (repeated headers joined by ", "). */
  headers: Record<string, string>;
  /** Header names exactly as they came over the wire. */
  rawNames: string[];
  body: Buffer;
  /** Which TCP connection (1-based) carried the request. */
  connection: number;
}

interface Reply {
  status: number;
  /** Name/value pairs; repeated names make repeated headers (several Set-Cookie). */
  headers?: [string, string][];
  body?: Buffer | string;
}

type Handler = (req: Seen) => Reply;

interface Framing {
  /** `Transfer-Encoding: chunked` replies (no Content-Length), body in two chunks. */
  chunked?: boolean;
  /** `header`: `Connection: close` on every reply; `silent`: close the socket after every reply without saying so (P100). */
  close?: 'header' | 'silent';
  /** Answer `HTTP/1.0` with no Content-Length, the body ending when the connection closes (plain HTTP only). */
  http10?: boolean;
  /** Send every header name upper-case (`SET-COOKIE`, `CONTENT-LENGTH`). */
  upperCaseNames?: boolean;
  /** Close connections idle for this long (ms), announcing nothing but HTTP/1.1 keep-alive. */
  idleTimeoutMs?: number;
}

interface TlsProfile {
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string;
}

interface DeviceServer {
  port: number;
  seen: Seen[];
  /** Protocol violations by the client that the server noticed (must stay empty). */
  problems: string[];
  connections: number;
  close(): Promise<void>;
}

function replyBuffer(reply: Reply): Buffer {
  const body = reply.body ?? '';
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** Starts one device server on 127.0.0.1 (HTTPS when `tlsProfile` is given). */
async function startServer(handler: Handler, framing: Framing = {}, tlsProfile?: TlsProfile): Promise<DeviceServer> {
  const seen: Seen[] = [];
  const problems: string[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const socketIds = new WeakMap<net.Socket, number>();

  const track = (socket: net.Socket): void => {
    connections++;
    socketIds.set(socket, connections);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  /** Runs the handler, turning a thrown error into a 500 and a recorded problem. */
  const answer = (req: Seen): Reply => {
    seen.push(req);
    if (req.method === 'POST' && (req.headers['content-length'] === undefined || req.headers['transfer-encoding'] !== undefined)) {
      // Real plugs answer 500 to a chunked handshake (plug-passthrough.md §1).
      problems.push(`${req.path}: request body without Content-Length`);
      return { status: 500, body: '' };
    }
    try {
      return handler(req);
    } catch (e) {
      problems.push(`${req.path}: ${e instanceof Error ? e.message : String(e)}`);
      return { status: 500, body: '' };
    }
  };

  const name = (n: string): string => (framing.upperCaseNames ? n.toUpperCase() : n);

  let server: net.Server;
  if (framing.http10) {
    server = net.createServer((socket) => {
      track(socket);
      let buf = Buffer.alloc(0);
      let done = false;
      socket.on('data', (data: Buffer) => {
        if (done) return;
        buf = Buffer.concat([buf, data]);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        const [method = '', target = ''] = (lines[0] ?? '').split(' ');
        const headers: Record<string, string> = {};
        const rawNames: string[] = [];
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          if (colon <= 0) continue;
          const n = line.slice(0, colon);
          rawNames.push(n);
          headers[n.toLowerCase()] = line.slice(colon + 1).trim();
        }
        const length = Number(headers['content-length'] ?? '0');
        if (buf.length < end + 4 + length) return;
        done = true;
        const url = new URL(target, 'http://device');
        const reply = answer({
          method,
          path: url.pathname,
          query: url.searchParams,
          headers,
          rawNames,
          body: buf.subarray(end + 4, end + 4 + length),
          connection: socketIds.get(socket) ?? 0,
        });
        const body = replyBuffer(reply);
        const head = [`HTTP/1.0 ${reply.status} ${http.STATUS_CODES[reply.status] ?? 'Status'}`];
        for (const [n, v] of reply.headers ?? []) head.push(`${name(n)}: ${v}`);
        socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
      });
    });
  } else {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://device');
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        const reply = answer({
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          headers,
          rawNames: req.rawHeaders.filter((_, i) => i % 2 === 0),
          body: Buffer.concat(chunks),
          connection: socketIds.get(req.socket) ?? 0,
        });
        const body = replyBuffer(reply);
        const flat: string[] = [];
        for (const [n, v] of reply.headers ?? []) flat.push(name(n), v);
        if (framing.close === 'header') flat.push(name('Connection'), 'close');
        if (!framing.chunked) flat.push(name('Content-Length'), String(body.length));
        // A full close, as embedded servers do: a request written to this socket later is never read.
        if (framing.close === 'silent') res.on('finish', () => req.socket.destroy());
        res.writeHead(reply.status, flat);
        if (framing.chunked) {
          const mid = body.length >> 1;
          if (mid > 0) res.write(body.subarray(0, mid));
          res.end(body.subarray(mid));
        } else {
          res.end(body);
        }
      });
    };
    if (tlsProfile) {
      const cert = getSimCertificate();
      server = https.createServer({ key: cert.key, cert: cert.cert, ...tlsProfile }, listener);
    } else {
      server = http.createServer(listener);
    }
    server.on('connection', track);
    if (framing.idleTimeoutMs !== undefined) (server as http.Server).keepAliveTimeout = framing.idleTimeoutMs;
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    seen,
    problems,
    get connections() {
      return connections;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Small crypto and JSON helpers (server side, written from the protocol docs).
// ---------------------------------------------------------------------------------------------

function hash(algorithm: 'md5' | 'sha1' | 'sha256', ...parts: (Buffer | string)[]): Buffer {
  const h = createHash(algorithm);
  for (const p of parts) h.update(typeof p === 'string' ? Buffer.from(p, 'utf8') : p);
  return h.digest();
}

function hexUpper(algorithm: 'md5' | 'sha256', text: string): string {
  return hash(algorithm, text).toString('hex').toUpperCase();
}

function aesCbc(encrypt: boolean, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = encrypt ? createCipheriv('aes-128-cbc', key, iv) : createDecipheriv('aes-128-cbc', key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0);
  return b;
}

/** Reply JSON: compact, or pretty-printed with spaces and a trailing newline (pytapo-style dumps, curl-friendly servers). */
function toJson(value: JsonValue, pretty = false): string {
  return pretty ? `${JSON.stringify(value, null, 1).replace(/":/g, '" :')}\n` : JSON.stringify(value);
}

function parseObject(text: Buffer | string): JsonObject {
  const v: unknown = JSON.parse(typeof text === 'string' ? text : text.toString('utf8'));
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), 'expected a JSON object');
  return v as JsonObject;
}

function objectIn(v: JsonValue | undefined): JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && v !== undefined ? v : {};
}

/** Reads a `Cookie:` request header into name → value. */
function requestCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

/** Base64 broken into 76-character lines with CRLF, as MIME encoders (and some firmware) write it. */
function mimeBase64(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

// ---------------------------------------------------------------------------------------------
// The SMART plug state shared by the KLAP and passthrough devices.
// ---------------------------------------------------------------------------------------------

class PlugState {
  on = false;
  /** Every `set_device_info` the device carried out. */
  readonly sets: boolean[] = [];

  /** Dispatches one decrypted SMART request and returns the reply envelope. */
  handle(request: JsonObject): JsonObject {
    const method = request['method'];
    if (method === 'get_device_info') {
      return {
        error_code: 0,
        result: {
          device_id: '8022A1B2C3D4E5F60718293A4B5C6D7E8F901234',
          fw_ver: '1.3.0 Build 230905 Rel.152200',
          hw_ver: '1.0',
          type: 'SMART.TAPOPLUG',
          model: 'P110',
          mac: '3C-52-A1-00-00-01',
          nickname: Buffer.from('Desk lamp', 'utf8').toString('base64'),
          device_on: this.on,
          on_time: this.on ? 5 : 0,
          rssi: -48,
          signal_level: 3,
          overheated: false,
        },
      };
    }
    if (method === 'set_device_info') {
      const on = objectIn(request['params'])['device_on'];
      if (typeof on !== 'boolean') return { error_code: -1008 };
      this.on = on;
      this.sets.push(on);
      return { error_code: 0 };
    }
    if (method === 'component_nego') {
      return {
        error_code: 0,
        result: { component_list: [{ id: 'device', ver_code: 2 }, { id: 'energy_monitoring', ver_code: 2 }] },
      };
    }
    return { error_code: -1002 };
  }
}

const PLUG_EMAIL = 'owner@example.com';
const PLUG_PASSWORD = 'Correct-Horse-9';

// ---------------------------------------------------------------------------------------------
// KLAP device (plug-klap.md §1-§8), v2 or v1.
// ---------------------------------------------------------------------------------------------

interface KlapProfile {
  version?: 1 | 2;
  /** The account the device is bound to (default: PLUG_EMAIL / PLUG_PASSWORD). */
  account?: { username: string; password: string };
  /** Set-Cookie header values for a new session id. */
  cookies?: (id: string) => string[];
  /** Content-Type of binary replies (undefined: none). */
  contentType?: string;
  /** Also send the Set-Cookie headers on every later reply. */
  cookiesOnEveryReply?: boolean;
  /** Pick seeds so that every sequence number of the session is negative. */
  negativeSeq?: boolean;
  /** Put 32 zero bytes where the reply signature goes (clients skip it unchecked). */
  zeroReplySignature?: boolean;
  /** Pretty-print the decrypted reply JSON with a trailing newline. */
  prettyJson?: boolean;
  /** Body of the handshake2 answer. */
  handshake2Body?: string;
  /** A session answers 403 after this many requests. */
  expireAfterRequests?: number;
}

interface KlapSession {
  local: Buffer;
  remote: Buffer;
  auth: Buffer;
  confirmed: boolean;
  key: Buffer;
  ivPrefix: Buffer;
  sigPrefix: Buffer;
  lastSeq: number;
  requests: number;
}

class KlapDevice {
  readonly state = new PlugState();
  readonly sessions = new Map<string, KlapSession>();
  /** Every Cookie header the device received after handshake 1. */
  readonly cookieHeaders: string[] = [];
  readonly seqs: number[] = [];
  handshakes = 0;
  private lastCookies: string[] = [];

  constructor(private readonly profile: KlapProfile = {}) {}

  private get version(): 1 | 2 {
    return this.profile.version ?? 2;
  }

  private authHash(): Buffer {
    const { username, password } = this.profile.account ?? { username: PLUG_EMAIL, password: PLUG_PASSWORD };
    return this.version === 2
      ? hash('sha256', hash('sha1', username), hash('sha1', password))
      : hash('md5', hash('md5', username), hash('md5', password));
  }

  private binary(status: number, body: Buffer | string, extra: [string, string][] = []): Reply {
    const headers: [string, string][] = [...extra];
    if (this.profile.contentType !== undefined) headers.push(['Content-Type', this.profile.contentType]);
    if (this.profile.cookiesOnEveryReply && extra.length === 0) {
      for (const c of this.lastCookies) headers.push(['Set-Cookie', c]);
    }
    return { status, headers, body };
  }

  readonly handle: Handler = (req) => {
    if (req.path === '/app/handshake1') return this.handshake1(req);
    if (req.path === '/app/handshake2') return this.handshake2(req);
    if (req.path === '/app/request') return this.request(req);
    return { status: 404, headers: [['Content-Type', 'text/html']], body: '<html><body>404 Not Found</body></html>' };
  };

  private sessionOf(req: Seen): KlapSession | undefined {
    this.cookieHeaders.push(req.headers['cookie'] ?? '');
    const id = requestCookies(req.headers['cookie']).get('TP_SESSIONID');
    return id !== undefined ? this.sessions.get(id) : undefined;
  }

  private handshake1(req: Seen): Reply {
    if (req.body.length !== 16) return this.binary(400, '');
    this.handshakes++;
    const local = Buffer.from(req.body);
    const auth = this.authHash();
    let remote = randomBytes(16);
    let derived = this.derive(local, remote, auth);
    // The client pre-increments, so a negative start below -1000 keeps every seq of the test negative.
    while (this.profile.negativeSeq && derived.seq > -1000) {
      remote = randomBytes(16);
      derived = this.derive(local, remote, auth);
    }
    const serverHash = this.version === 2 ? hash('sha256', local, remote, auth) : hash('sha256', local, auth);
    const id = randomBytes(16).toString('hex').toUpperCase();
    this.sessions.set(id, {
      local,
      remote,
      auth,
      confirmed: false,
      key: derived.key,
      ivPrefix: derived.ivPrefix,
      sigPrefix: derived.sigPrefix,
      lastSeq: derived.seq,
      requests: 0,
    });
    const cookies = (this.profile.cookies ?? ((sid: string) => [`TP_SESSIONID=${sid};TIMEOUT=86400`]))(id);
    this.lastCookies = cookies;
    return this.binary(
      200,
      Buffer.concat([remote, serverHash]),
      cookies.map((c): [string, string] => ['Set-Cookie', c]),
    );
  }

  private derive(local: Buffer, remote: Buffer, auth: Buffer): { key: Buffer; ivPrefix: Buffer; sigPrefix: Buffer; seq: number } {
    const iv = hash('sha256', 'iv', local, remote, auth);
    return {
      key: hash('sha256', 'lsk', local, remote, auth).subarray(0, 16),
      ivPrefix: iv.subarray(0, 12),
      sigPrefix: hash('sha256', 'ldk', local, remote, auth).subarray(0, 28),
      seq: iv.readInt32BE(28),
    };
  }

  private handshake2(req: Seen): Reply {
    const session = this.sessionOf(req);
    if (!session) return this.binary(403, '');
    const expected =
      this.version === 2
        ? hash('sha256', session.remote, session.local, session.auth)
        : hash('sha256', session.remote, session.auth);
    if (!expected.equals(req.body)) return this.binary(403, '');
    session.confirmed = true;
    return this.binary(200, this.profile.handshake2Body ?? '');
  }

  private request(req: Seen): Reply {
    const session = this.sessionOf(req);
    if (!session || !session.confirmed) return this.binary(403, '');
    const seq = Number(req.query.get('seq'));
    const expectedSeq = (session.lastSeq + 1) | 0;
    if (!Number.isInteger(seq) || seq !== expectedSeq) throw new Error(`seq ${req.query.get('seq')} but expected ${expectedSeq}`);
    session.requests++;
    if (this.profile.expireAfterRequests !== undefined && session.requests > this.profile.expireAfterRequests) {
      return this.binary(403, '');
    }
    const signature = req.body.subarray(0, 32);
    const ciphertext = req.body.subarray(32);
    if (!hash('sha256', session.sigPrefix, int32(seq), ciphertext).equals(signature)) throw new Error('bad request signature');
    session.lastSeq = seq;
    this.seqs.push(seq);
    const iv = Buffer.concat([session.ivPrefix, int32(seq)]);
    const reply = this.state.handle(parseObject(aesCbc(false, session.key, iv, ciphertext)));
    const out = aesCbc(true, session.key, iv, Buffer.from(toJson(reply, this.profile.prettyJson), 'utf8'));
    const sig = this.profile.zeroReplySignature ? Buffer.alloc(32) : hash('sha256', session.sigPrefix, int32(seq), out);
    return this.binary(200, Buffer.concat([sig, out]));
  }
}

// ---------------------------------------------------------------------------------------------
// SMART-AES passthrough device (plug-passthrough.md §1-§5).
// ---------------------------------------------------------------------------------------------

interface PassthroughProfile {
  /** Set-Cookie values for a new session id; `[]` sets no cookie at all. */
  cookies?: (id: string) => string[];
  /** Cookie name the device reads back (undefined: the single session, for devices that set none). */
  cookieName?: 'TP_SESSIONID' | 'SESSIONID';
  contentType?: string;
  /** Write `result.key` and `result.response` as MIME base64 with CRLF line breaks. */
  mimeBase64?: boolean;
  /** Answer with `result.response` holding the inner reply as plain JSON text (python-kasa's fake). */
  plainInnerResponse?: boolean;
  /** Outer envelope with `result` first, then `error_code` (python-kasa's fake). */
  resultFirst?: boolean;
  prettyJson?: boolean;
  /** Accept only this login_device version (v2 sends `password2`). */
  loginVersion?: 1 | 2;
  /** A session answers 9999 after this many commands. */
  expireAfterRequests?: number;
}

interface PassthroughSession {
  key: Buffer;
  iv: Buffer;
  token?: string;
  dead: boolean;
  requests: number;
}

class PassthroughDevice {
  readonly state = new PlugState();
  readonly sessions = new Map<string, PassthroughSession>();
  readonly cookieHeaders: string[] = [];
  readonly loginVersionsSeen: (1 | 2)[] = [];
  handshakes = 0;
  private latest: PassthroughSession | undefined;

  constructor(private readonly profile: PassthroughProfile = {}) {}

  private json(value: JsonObject, cookies: string[] = []): Reply {
    const headers: [string, string][] = cookies.map((c): [string, string] => ['Set-Cookie', c]);
    if (this.profile.contentType !== undefined) headers.push(['Content-Type', this.profile.contentType]);
    return { status: 200, headers, body: toJson(value, this.profile.prettyJson) };
  }

  private outer(errorCode: number, result?: JsonObject): JsonObject {
    if (result === undefined) return { error_code: errorCode };
    return this.profile.resultFirst ? { result, error_code: errorCode } : { error_code: errorCode, result };
  }

  private b64(data: Buffer): string {
    return this.profile.mimeBase64 ? mimeBase64(data) : data.toString('base64');
  }

  readonly handle: Handler = (req) => {
    if (req.path !== '/app') return { status: 404, body: '' };
    const body = parseObject(req.body);
    if (body['method'] === 'handshake') return this.handshake(body);
    if (body['method'] === 'securePassthrough') return this.passthrough(req, body);
    return this.json({ error_code: -1003 });
  };

  private handshake(body: JsonObject): Reply {
    this.handshakes++;
    const pem = objectIn(body['params'])['key'];
    if (typeof pem !== 'string') return this.json({ error_code: -1010 });
    const key = randomBytes(16);
    const iv = randomBytes(16);
    const encrypted = publicEncrypt(
      { key: createPublicKey(pem), padding: cryptoConstants.RSA_PKCS1_PADDING },
      Buffer.concat([key, iv]),
    );
    const id = randomBytes(16).toString('hex').toUpperCase();
    const session: PassthroughSession = { key, iv, dead: false, requests: 0 };
    this.sessions.set(id, session);
    this.latest = session;
    const cookies = (this.profile.cookies ?? ((sid: string) => [`TP_SESSIONID=${sid};TIMEOUT=1440`]))(id);
    return this.json(this.outer(0, { key: this.b64(encrypted) }), cookies);
  }

  private sessionOf(req: Seen): PassthroughSession | undefined {
    this.cookieHeaders.push(req.headers['cookie'] ?? '');
    if (this.profile.cookieName === undefined) return this.latest;
    const id = requestCookies(req.headers['cookie']).get(this.profile.cookieName);
    return id !== undefined ? this.sessions.get(id) : undefined;
  }

  private passthrough(req: Seen, body: JsonObject): Reply {
    const session = this.sessionOf(req);
    if (!session || session.dead) return this.json({ error_code: 9999 });
    const request = objectIn(body['params'])['request'];
    if (typeof request !== 'string') return this.json({ error_code: -1003 });
    const inner = parseObject(aesCbc(false, session.key, session.iv, Buffer.from(request, 'base64')));
    let reply: JsonObject;
    if (inner['method'] === 'login_device') {
      if (req.query.has('token')) throw new Error('login_device sent with a token');
      reply = this.login(session, objectIn(inner['params']));
    } else {
      if (session.token === undefined || req.query.get('token') !== session.token) {
        throw new Error(`command with token ${String(req.query.get('token'))}, expected ${String(session.token)}`);
      }
      session.requests++;
      if (this.profile.expireAfterRequests !== undefined && session.requests > this.profile.expireAfterRequests) {
        session.dead = true;
        return this.json({ error_code: 9999 });
      }
      if (inner['terminalUUID'] === undefined && inner['terminal_uuid'] === undefined) throw new Error('no terminal UUID');
      reply = this.state.handle(inner);
    }
    const text = toJson(reply, this.profile.prettyJson);
    const response = this.profile.plainInnerResponse
      ? text
      : this.b64(aesCbc(true, session.key, session.iv, Buffer.from(text, 'utf8')));
    return this.json(this.outer(0, { response }));
  }

  private login(session: PassthroughSession, params: JsonObject): JsonObject {
    const sha1Hex = (s: string): string => hash('sha1', s).toString('hex');
    const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
    const version: 1 | 2 = params['password2'] !== undefined ? 2 : 1;
    this.loginVersionsSeen.push(version);
    const userOk = params['username'] === b64(sha1Hex(PLUG_EMAIL));
    const passOk =
      version === 2 ? params['password2'] === b64(sha1Hex(PLUG_PASSWORD)) : params['password'] === b64(PLUG_PASSWORD);
    const versionOk = this.profile.loginVersion === undefined || this.profile.loginVersion === version;
    if (!userOk || !passOk || !versionOk) {
      session.dead = true; // the device answers 9999 on this session after a failed login
      return { error_code: -1501 };
    }
    session.token = randomBytes(16).toString('hex').toUpperCase();
    return { error_code: 0, result: { token: session.token } };
  }
}

// ---------------------------------------------------------------------------------------------
// Cameras: shared command handling, the secure login device and the legacy login device.
// ---------------------------------------------------------------------------------------------

const CAMERA_PASSWORD = 'Cloud-Pass-42';

interface CameraReplyShape {
  /** Numbers in module data written as strings (`"features":"3"`), as camera firmware does. */
  numbersAsStrings?: boolean;
  /** Sub-responses without the `method` key (connectAp-style replies). */
  omitMethod?: boolean;
  /** Extra keys in every sub-response and envelope. */
  extraFields?: boolean;
  prettyJson?: boolean;
}

class CameraState {
  lensMask = false;
  readonly sets: boolean[] = [];

  constructor(private readonly shape: CameraReplyShape = {}) {}

  private n(v: number): JsonValue {
    return this.shape.numbersAsStrings ? String(v) : v;
  }

  private one(method: string, params: JsonObject): JsonObject {
    if (method === 'getDeviceInfo') {
      return {
        device_info: {
          basic_info: {
            device_type: 'SMART.IPCAMERA',
            device_model: 'C210',
            device_name: 'C210 2.0',
            device_info: 'C210 2.0 IPC',
            hw_version: '2.0',
            sw_version: '1.4.3 Build 241010 Rel.33858n',
            device_alias: 'Porch',
            mac: '40-AE-30-00-00-01',
            dev_id: '8022FFEEDDCCBBAA99887766554433221100AABB',
            features: this.n(3),
            latitude: this.n(0),
            longitude: this.n(0),
            has_set_location_info: this.n(1),
          },
        },
      };
    }
    if (method === 'getLensMaskConfig') return { lens_mask: { lens_mask_info: { enabled: this.lensMask ? 'on' : 'off' } } };
    if (method === 'setLensMaskConfig') {
      const enabled = objectIn(objectIn(objectIn(params['lens_mask'])['lens_mask_info']))['enabled'];
      if (enabled !== 'on' && enabled !== 'off') throw new Error(`bad lens mask value ${String(enabled)}`);
      this.lensMask = enabled === 'on';
      this.sets.push(this.lensMask);
      return {};
    }
    throw new Error(`unknown camera method ${method}`);
  }

  /** Dispatches a decrypted command (`multipleRequest` only, as our client sends). */
  handle(request: JsonObject): JsonObject {
    if (request['method'] !== 'multipleRequest') return { error_code: -40210 };
    const requests = objectIn(request['params'])['requests'];
    const responses: JsonValue[] = [];
    for (const r of Array.isArray(requests) ? requests : []) {
      const method = String(objectIn(r)['method']);
      const result = this.one(method, objectIn(objectIn(r)['params']));
      const entry: JsonObject = this.shape.omitMethod ? {} : { method };
      entry['result'] = result;
      entry['error_code'] = 0;
      if (this.shape.extraFields) entry['msg'] = 'ok';
      responses.push(entry);
    }
    const envelope: JsonObject = { result: { responses }, error_code: 0 };
    if (this.shape.extraFields) envelope['msg'] = 'ok';
    return envelope;
  }
}

interface CameraSecureProfile {
  /** Which hash of the password the camera stored. */
  storedHash?: 'sha256' | 'md5';
  /** Builds the -40413 step-1 reply around the login facts. */
  step1?: (f: { nonce: string; deviceConfirm: string; key: string }) => JsonObject;
  /** Reply to a user name other than admin. */
  unknownUser?: JsonObject;
  stok?: () => string;
  startSeq?: number;
  /** How command replies travel: encrypted in result.response, plain JSON text in result.response, or plain at the top level. */
  replyMode?: 'encrypted' | 'plain-in-response' | 'plain-top-level';
  /** The session ends after this many commands. */
  expireAfterRequests?: number;
  /** What an ended session answers (default HTTP 200 `{"error_code":-40401}`). */
  expiredReply?: Reply;
  shape?: CameraReplyShape;
  contentType?: string;
}

interface CameraSession {
  lsk: Buffer;
  ivb: Buffer;
  tagPrefix: string;
  nextSeq: number;
  requests: number;
}

const CAMERA_PUBLIC_KEY_B64 = getSimCertificate().publicKeyB64;

class CameraSecureDevice {
  readonly state: CameraState;
  readonly sessions = new Map<string, CameraSession>();
  readonly usernames: string[] = [];
  readonly seqHeaders: string[] = [];
  readonly rawHeaderNames: string[] = [];
  logins = 0;
  private pending = new Map<string, string>();

  constructor(private readonly profile: CameraSecureProfile = {}) {
    this.state = new CameraState(profile.shape);
  }

  private pwdHash(): string {
    return hexUpper(this.profile.storedHash ?? 'sha256', CAMERA_PASSWORD);
  }

  private json(value: JsonObject, status = 200): Reply {
    const contentType = this.profile.contentType ?? 'application/json; charset=UTF-8';
    return {
      status,
      headers: contentType === '' ? [] : [['Content-Type', contentType]],
      body: toJson(value, this.profile.shape?.prettyJson),
    };
  }

  readonly handle: Handler = (req) => {
    if (req.path === '/') return this.login(parseObject(req.body));
    const match = /^\/stok=([^/]+)\/ds$/.exec(req.path);
    if (!match?.[1]) return this.json({ error_code: -40210 });
    return this.command(req, decodeURIComponent(match[1]));
  };

  private login(body: JsonObject): Reply {
    const params = objectIn(body['params']);
    const username = String(params['username']);
    this.usernames.push(username);
    if (params['encrypt_type'] !== '3') throw new Error('expected a secure login');
    if (username !== 'admin') {
      return this.json(this.profile.unknownUser ?? { error_code: -40401, result: { data: { code: -40411 } } });
    }
    const cnonce = String(params['cnonce']);
    if (!/^[0-9A-F]{16}$/.test(cnonce)) throw new Error(`cnonce ${cnonce} is not 16 upper-case hex characters`);
    const pwdHash = this.pwdHash();
    const digest = params['digest_passwd'];
    if (digest === undefined) {
      const nonce = randomBytes(8).toString('hex').toUpperCase();
      this.pending.set(cnonce, nonce);
      const deviceConfirm = hexUpper('sha256', cnonce + pwdHash + nonce) + nonce + cnonce;
      const build =
        this.profile.step1 ??
        ((f: { nonce: string; deviceConfirm: string; key: string }): JsonObject => ({
          error_code: -40413,
          result: {
            data: { code: -40413, encrypt_type: ['3'], key: f.key, nonce: f.nonce, device_confirm: f.deviceConfirm },
          },
        }));
      return this.json(build({ nonce, deviceConfirm, key: CAMERA_PUBLIC_KEY_B64 }));
    }
    const nonce = this.pending.get(cnonce);
    if (nonce === undefined || digest !== hexUpper('sha256', pwdHash + cnonce + nonce) + cnonce + nonce) {
      return this.json({ error_code: -40413, result: { data: { code: -40413 } } });
    }
    this.pending.delete(cnonce);
    this.logins++;
    const hashedKey = hexUpper('sha256', cnonce + pwdHash + nonce);
    const derive = (label: string): Buffer => hash('sha256', label + cnonce + nonce + hashedKey).subarray(0, 16);
    const stok = this.profile.stok ? this.profile.stok() : randomBytes(16).toString('hex');
    const startSeq = this.profile.startSeq ?? 100 + Math.floor(Math.random() * 1000);
    this.sessions.set(stok, {
      lsk: derive('lsk'),
      ivb: derive('ivb'),
      tagPrefix: hexUpper('sha256', pwdHash + cnonce),
      nextSeq: startSeq,
      requests: 0,
    });
    return this.json({ error_code: 0, result: { stok, user_group: 'root', start_seq: startSeq } });
  }

  private command(req: Seen, stok: string): Reply {
    const session = this.sessions.get(stok);
    if (!session) return this.json({ error_code: -40401 });
    session.requests++;
    if (this.profile.expireAfterRequests !== undefined && session.requests > this.profile.expireAfterRequests) {
      this.sessions.delete(stok);
      return this.profile.expiredReply ?? this.json({ error_code: -40401 });
    }
    const seq = req.headers['seq'];
    const tag = req.headers['tapo_tag'];
    this.seqHeaders.push(seq ?? '');
    this.rawHeaderNames.push(...req.rawNames);
    if (seq !== String(session.nextSeq)) throw new Error(`Seq ${String(seq)} but expected ${session.nextSeq}`);
    // The tag covers the body bytes exactly as received.
    if (tag !== hexUpper('sha256', session.tagPrefix + req.body.toString('utf8') + seq)) {
      return this.json({ result: { responses: [{ msg: 'Check tapo tag failed', error_code: -1 }] }, error_code: -1 });
    }
    session.nextSeq++;
    const outer = parseObject(req.body);
    if (outer['method'] !== 'securePassthrough') throw new Error('expected securePassthrough');
    const encrypted = String(objectIn(outer['params'])['request']);
    const inner = parseObject(aesCbc(false, session.lsk, session.ivb, Buffer.from(encrypted, 'base64')));
    const reply = this.state.handle(inner);
    const mode = this.profile.replyMode ?? 'encrypted';
    if (mode === 'plain-top-level') return this.json(reply);
    const text = toJson(reply, this.profile.shape?.prettyJson);
    const response = mode === 'plain-in-response' ? text : aesCbc(true, session.lsk, session.ivb, Buffer.from(text, 'utf8')).toString('base64');
    return this.json({ result: { response }, error_code: 0 });
  }
}

interface CameraLegacyProfile {
  stok?: () => string;
  expireAfterRequests?: number;
  shape?: CameraReplyShape;
  /** The login success reply (default `{"error_code":0,"result":{"stok":…,"user_group":"root"}}`). */
  loginReply?: (stok: string) => JsonObject;
}

class CameraLegacyDevice {
  readonly state: CameraState;
  readonly sessions = new Map<string, number>();
  logins = 0;

  constructor(private readonly profile: CameraLegacyProfile = {}) {
    this.state = new CameraState(profile.shape);
  }

  private json(value: JsonObject): Reply {
    return { status: 200, headers: [['Content-Type', 'application/json']], body: toJson(value, this.profile.shape?.prettyJson) };
  }

  readonly handle: Handler = (req) => {
    if (req.path === '/') {
      const params = objectIn(parseObject(req.body)['params']);
      if (params['username'] !== 'admin') return this.json({ error_code: -40401, result: { data: { code: -40411 } } });
      if (params['hashed'] !== true || params['password'] !== hexUpper('md5', CAMERA_PASSWORD)) {
        return this.json({ error_code: -40401, result: { data: { code: -40401, time: 9, max_time: 10, sec_left: 0 } } });
      }
      this.logins++;
      const stok = this.profile.stok ? this.profile.stok() : randomBytes(16).toString('hex');
      this.sessions.set(stok, 0);
      return this.json(this.profile.loginReply ? this.profile.loginReply(stok) : { error_code: 0, result: { stok, user_group: 'root' } });
    }
    const match = /^\/stok=([^/]+)\/ds$/.exec(req.path);
    const stok = match?.[1] !== undefined ? decodeURIComponent(match[1]) : '';
    const count = this.sessions.get(stok);
    if (count === undefined) return this.json({ error_code: -40401 });
    if (this.profile.expireAfterRequests !== undefined && count >= this.profile.expireAfterRequests) {
      this.sessions.delete(stok);
      return this.json({ error_code: -40401 });
    }
    this.sessions.set(stok, count + 1);
    if (req.headers['tapo_tag'] !== undefined) throw new Error('legacy commands carry no Tapo_tag');
    return this.json(this.state.handle(parseObject(req.body)));
  };
}

// ---------------------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------------------

/** Common Framing variations (each also noted with where it is seen). */
const FRAMINGS: { name: string; framing: Framing }[] = [
  { name: 'chunked replies (Transfer-Encoding: chunked, no Content-Length)', framing: { chunked: true } },
  { name: 'Connection: close after every reply (P100, python-kasa httpclient.py)', framing: { close: 'header' } },
  {
    name: 'socket closed after every reply without Connection: close (P100 behaviour behind python-kasa httpclient.py WAIT_BETWEEN_REQUESTS_ON_OSERROR)',
    framing: { close: 'silent' },
  },
  { name: 'upper-case header names (SET-COOKIE, CONTENT-LENGTH): HTTP names are case-insensitive', framing: { upperCaseNames: true } },
];

const PLAIN_FRAMINGS: { name: string; framing: Framing }[] = [
  ...FRAMINGS,
  { name: 'HTTP/1.0 replies, body delimited by closing the connection (embedded HTTP servers)', framing: { http10: true } },
];

describe('client against independent device implementations (variations real devices show)', function () {
  this.timeout(5_000);
  const servers: DeviceServer[] = [];
  const connections: DeviceConnection[] = [];

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function serve(handler: Handler, framing: Framing = {}, tlsProfile?: TlsProfile): Promise<DeviceServer> {
    const s = await startServer(handler, framing, tlsProfile);
    servers.push(s);
    return s;
  }

  function connect(server: DeviceServer, kind: 'plug' | 'camera', scheme: SchemeName, username?: string): DeviceConnection {
    const c = new DeviceConnection({
      host: `127.0.0.1:${server.port}`,
      kind,
      scheme,
      credentials:
        kind === 'plug'
          ? { username: username ?? PLUG_EMAIL, password: PLUG_PASSWORD }
          : { username: username ?? 'admin', password: CAMERA_PASSWORD },
      timeoutMs: 3_000,
    });
    connections.push(c);
    return c;
  }

  /**
   * One handshake for the whole exchange; a device that closes its socket after every reply
   * without saying so may cut the first login short once, and the login restarts on new connections.
   */
  function assertHandshakes(handshakes: number, framing: Framing | undefined, expected = 1): void {
    if (framing?.close === 'silent') assert.ok(handshakes >= expected && handshakes <= expected + 1, `handshakes: ${handshakes}`);
    else assert.equal(handshakes, expected, 'one handshake for the whole exchange');
  }

  /** Reads, switches on, reads back; asserts the device state changed and the client saw it. */
  async function plugRoundTrip(conn: DeviceConnection, state: PlugState): Promise<void> {
    const plug = new Plug(conn);
    const before = await plug.getInfo();
    assert.equal(before.model, 'P110');
    assert.equal(before.nickname, 'Desk lamp');
    assert.equal(before.on, false);
    assert.equal(before.hasEnergy, true);
    await plug.setOn(true);
    assert.deepEqual(state.sets, [true], 'the device carried out the set');
    assert.equal(state.on, true);
    assert.equal((await plug.getInfo()).on, true);
  }

  /** Reads device info and privacy mode, sets privacy mode, reads back. */
  async function cameraRoundTrip(conn: DeviceConnection, state: CameraState): Promise<void> {
    const camera = new Camera(conn);
    const before = await camera.read(['deviceInfo', 'privacyMode']);
    assert.equal(before.deviceInfo.model, 'C210');
    assert.equal(before.deviceInfo.nickname, 'Porch');
    assert.equal(before.privacyMode, false);
    await camera.setPrivacyMode(true);
    assert.deepEqual(state.sets, [true], 'the camera carried out the set');
    assert.equal((await camera.read(['privacyMode'])).privacyMode, true);
  }

  // ------------------------------------------------------------------------------ KLAP -------

  describe('KLAP v2', () => {
    const cases: { name: string; profile: KlapProfile; framing?: Framing }[] = [
      { name: 'Set-Cookie TP_SESSIONID=…;TIMEOUT=86400 (plug-klap.md §1, §10)', profile: {} },
      {
        name: 'Set-Cookie without TIMEOUT (python-kasa klaptransport.py falls back to 86400)',
        profile: { cookies: (id) => [`TP_SESSIONID=${id}`] },
      },
      {
        name: 'Set-Cookie with attributes: TP_SESSIONID=…; Path=/; HttpOnly',
        profile: { cookies: (id) => [`TP_SESSIONID=${id}; Path=/; HttpOnly`] },
      },
      {
        name: 'TP_SESSIONID and TIMEOUT as two Set-Cookie headers (cookie-jar clients: Rust tapo, aiohttp)',
        profile: { cookies: (id) => [`TP_SESSIONID=${id}`, 'TIMEOUT=86400'] },
      },
      {
        name: 'another cookie before TP_SESSIONID (tp-link-tapo-connect reads only the first Set-Cookie)',
        profile: { cookies: (id) => ['SERVER_ID=7; Path=/', `TP_SESSIONID=${id};TIMEOUT=86400`] },
      },
      {
        name: 'Set-Cookie repeated on every reply',
        profile: { cookiesOnEveryReply: true },
      },
      { name: 'no Content-Type on binary replies', profile: {} },
      { name: 'Content-Type application/octet-stream', profile: { contentType: 'application/octet-stream' } },
      { name: 'Content-Type text/html (SHIP 2.0 firmware pages, plug-klap.md §9)', profile: { contentType: 'text/html' } },
      {
        name: 'Content-Type application/json;charset=UTF-8 on binary bodies',
        profile: { contentType: 'application/json;charset=UTF-8' },
      },
      {
        name: 'negative sequence numbers (int32 seq, vectors.json first seq −1 214 602 356)',
        profile: { negativeSeq: true },
      },
      {
        name: 'reply signature not filled in (clients skip it unchecked, plug-klap.md §7)',
        profile: { zeroReplySignature: true },
      },
      {
        name: 'decrypted reply JSON pretty-printed with a trailing newline',
        profile: { prettyJson: true },
      },
      { name: 'handshake2 answered 200 with a small body', profile: { handshake2Body: '<html>200 OK</html>' } },
      {
        name: 'device bound to no account: blank credentials (plug-klap.md §3 fallbacks)',
        profile: { account: { username: '', password: '' } },
      },
      ...PLAIN_FRAMINGS.map((f) => ({ name: f.name, profile: {}, framing: f.framing })),
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const device = new KlapDevice(c.profile);
        const server = await serve(device.handle, c.framing);
        await plugRoundTrip(connect(server, 'plug', 'klap'), device.state);
        assert.deepEqual(server.problems, []);
        assertHandshakes(device.handshakes, c.framing);
        // Only the session cookie goes back: never TIMEOUT (devices dislike it, plug-klap.md §4), no attributes.
        const ids = [...device.sessions.keys()];
        assert.ok(device.cookieHeaders.length >= 4);
        for (const cookie of device.cookieHeaders) assert.ok(ids.some((id) => cookie === `TP_SESSIONID=${id}`), cookie);
        assert.equal(device.cookieHeaders[device.cookieHeaders.length - 1], `TP_SESSIONID=${ids[ids.length - 1] ?? ''}`);
        if (c.profile.negativeSeq) assert.ok(device.seqs.every((s) => s < 0), `seqs ${device.seqs.join(',')}`);
      });
    }

    it('idle connections closed by the device between requests (short keep-alive timeout)', async () => {
      const device = new KlapDevice();
      const server = await serve(device.handle, { idleTimeoutMs: 20 });
      const plug = new Plug(connect(server, 'plug', 'klap'));
      const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal((await plug.getInfo()).on, false);
      await pause();
      await plug.setOn(true);
      await pause();
      assert.equal((await plug.getInfo()).on, true);
      assert.deepEqual(device.state.sets, [true]);
      assert.deepEqual(server.problems, []);
      assert.equal(device.handshakes, 1);
      assert.ok(server.connections >= 3, `connections: ${server.connections}`);
    });

    it('HTTP 403 on a request after the session ended: one new handshake, then the set goes through (plug-klap.md §8)', async () => {
      const device = new KlapDevice({ expireAfterRequests: 2 });
      const server = await serve(device.handle);
      await plugRoundTrip(connect(server, 'plug', 'klap'), device.state);
      assert.deepEqual(server.problems, []);
      assert.ok(device.handshakes >= 2, `handshakes: ${device.handshakes}`);
      assert.deepEqual(device.state.sets, [true]);
    });
  });

  describe('KLAP v1 (MD5 auth hash)', () => {
    const cases: { name: string; framing?: Framing }[] = [
      { name: 'plain (plug-klap.md §2-§4 v1 formulas)' },
      { name: 'Connection: close after every reply', framing: { close: 'header' } },
      { name: 'socket closed after every reply without Connection: close', framing: { close: 'silent' } },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const device = new KlapDevice({ version: 1 });
        const server = await serve(device.handle, c.framing);
        await plugRoundTrip(connect(server, 'plug', 'klap-v1'), device.state);
        assert.deepEqual(server.problems, []);
        assertHandshakes(device.handshakes, c.framing);
      });
    }
  });

  // ------------------------------------------------------------------------------ passthrough -

  describe('passthrough (SMART-AES)', () => {
    const cases: { name: string; profile: PassthroughProfile; framing?: Framing; versions?: (1 | 2)[]; handshakes?: number }[] = [
      {
        name: 'result.key with Set-Cookie TP_SESSIONID=…;TIMEOUT=1440 (plug-passthrough.md §2)',
        profile: { cookieName: 'TP_SESSIONID' },
      },
      {
        name: 'session cookie named SESSIONID (plug-passthrough.md §1, python-kasa aestransport.py)',
        profile: { cookieName: 'SESSIONID', cookies: (id) => [`SESSIONID=${id};TIMEOUT=86400`] },
      },
      {
        name: 'no cookie at all (python-kasa test fake MockAesDevice)',
        profile: { cookies: () => [] },
      },
      {
        name: 'cookie with attributes and a second Set-Cookie header',
        profile: { cookieName: 'TP_SESSIONID', cookies: (id) => [`TP_SESSIONID=${id}; Path=/; HttpOnly`, 'TIMEOUT=1440'] },
      },
      {
        name: 'result.key and result.response as MIME base64 with CRLF line breaks (TapoP100 strips \\r\\n)',
        profile: { cookieName: 'TP_SESSIONID', mimeBase64: true },
      },
      {
        name: 'result.response carrying plain JSON instead of ciphertext (python-kasa aestransport.py, do_not_encrypt_response)',
        profile: { cookieName: 'TP_SESSIONID', plainInnerResponse: true },
      },
      {
        name: 'envelope {"result":…,"error_code":0} with Content-Type application/json;charset=UTF-8, pretty JSON + newline',
        profile: { cookieName: 'TP_SESSIONID', resultFirst: true, contentType: 'application/json;charset=UTF-8', prettyJson: true },
      },
      {
        name: 'Content-Type text/html on JSON replies',
        profile: { cookieName: 'TP_SESSIONID', contentType: 'text/html' },
      },
      {
        name: 'Content-Type application/json (python-kasa COMMON_HEADERS)',
        profile: { cookieName: 'TP_SESSIONID', contentType: 'application/json' },
      },
      {
        name: 'login_device v2 only: -1501 to password, new handshake, password2 (python-kasa lv 2, plugp100)',
        profile: { cookieName: 'TP_SESSIONID', loginVersion: 2 },
        versions: [1, 2],
        handshakes: 2,
      },
      ...PLAIN_FRAMINGS.map((f) => ({ name: f.name, profile: { cookieName: 'TP_SESSIONID' as const }, framing: f.framing })),
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const device = new PassthroughDevice(c.profile);
        const server = await serve(device.handle, c.framing);
        await plugRoundTrip(connect(server, 'plug', 'passthrough'), device.state);
        assert.deepEqual(server.problems, []);
        assertHandshakes(device.handshakes, c.framing, c.handshakes ?? 1);
        assert.deepEqual(device.loginVersionsSeen, c.versions ?? [1]);
        const ids = [...device.sessions.keys()];
        const id = ids[ids.length - 1];
        assert.ok(id !== undefined);
        // The cookie comes back under the device's own name, without attributes.
        const expected = c.profile.cookieName === undefined ? '' : `${c.profile.cookieName}=${id}`;
        const lastSession = device.cookieHeaders.slice(-3);
        for (const cookie of lastSession) assert.equal(cookie, expected);
      });
    }

    it('outer error 9999 after the session timed out: new handshake and login, then the set goes through (plug-passthrough.md §5)', async () => {
      const device = new PassthroughDevice({ cookieName: 'TP_SESSIONID', expireAfterRequests: 2 });
      const server = await serve(device.handle);
      await plugRoundTrip(connect(server, 'plug', 'passthrough'), device.state);
      assert.deepEqual(server.problems, []);
      assert.ok(device.handshakes >= 2, `handshakes: ${device.handshakes}`);
    });

    it('login_device v2 only: once v2 has worked, a session renewal sends only v2 (no refused v1 login each time)', async () => {
      const device = new PassthroughDevice({ cookieName: 'TP_SESSIONID', loginVersion: 2, expireAfterRequests: 2 });
      const server = await serve(device.handle);
      await plugRoundTrip(connect(server, 'plug', 'passthrough'), device.state);
      assert.deepEqual(server.problems, []);
      // First login: v1 refused, then v2; every renewal after a session timed out: v2 alone.
      const [first, second, ...renewals] = device.loginVersionsSeen;
      assert.deepEqual([first, second], [1, 2]);
      assert.ok(renewals.length >= 1, 'the session was renewed');
      assert.ok(renewals.every((v) => v === 2), JSON.stringify(device.loginVersionsSeen));
      assert.equal(device.handshakes, device.loginVersionsSeen.length);
    });
  });

  // ------------------------------------------------------------------------------ cameras ----

  const RSA_1024_TLS12: TlsProfile = { maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256:@SECLEVEL=0' };

  describe('camera secure login (encrypt_type 3)', () => {
    const cases: { name: string; profile: CameraSecureProfile; framing?: Framing; tls?: TlsProfile; username?: string }[] = [
      { name: 'TLS 1.2 only, RSA-1024 self-signed, static-RSA AES128-GCM-SHA256 (camera.md §1)', profile: {}, tls: RSA_1024_TLS12 },
      {
        name: 'TLS 1.2 only, static-RSA AES256-SHA (python-kasa sslaestransport.py CIPHERS)',
        profile: {},
        tls: { maxVersion: 'TLSv1.2', ciphers: 'AES256-SHA:@SECLEVEL=0' },
      },
      {
        name: 'TLS 1.2 ECDHE-only cipher list (C120 1.9.2, C225 v2: python-kasa #1724, #1727)',
        profile: {},
        tls: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384' },
      },
      { name: 'TLS 1.3 only', profile: {}, tls: { minVersion: 'TLSv1.3' } },
      {
        name: 'step-1 reply with result first, data.code -40401, time/max_time, encrypt_type ["3"] (python-kasa #1628 TC40 capture)',
        profile: {
          step1: (f) => ({
            result: {
              data: {
                code: -40401,
                time: 9,
                max_time: 10,
                encrypt_type: ['3'],
                key: f.key,
                nonce: f.nonce,
                device_confirm: f.deviceConfirm,
              },
            },
            error_code: -40413,
          }),
        },
      },
      {
        name: 'step-1 reply with encrypt_type "3" as a string and sec_left 0 (pytapo tests "3" in encrypt_type)',
        profile: {
          step1: (f) => ({
            error_code: -40413,
            result: { data: { device_confirm: f.deviceConfirm, nonce: f.nonce, encrypt_type: '3', code: -40413, sec_left: 0, key: f.key } },
          }),
        },
      },
      { name: 'password stored as MD5 (HomeAssistant-Tapo-Control PR #452)', profile: { storedHash: 'md5' } },
      {
        name: 'e-mail user name refused with -40401 / data.code -60502, retried as admin (python-kasa MockSslAesDevice)',
        profile: { unknownUser: { error_code: -40401, result: { data: { code: -60502 } } } },
        username: PLUG_EMAIL,
      },
      {
        name: 'stok with punctuation, 32 characters (python-kasa MOCK_STOCK, #1628 TC40 log)',
        profile: { stok: () => 'abcdefghijklmnopqrstuvwxyz1234)(' },
      },
      { name: 'stok of 64 hex characters and start_seq 1', profile: { stok: () => randomBytes(32).toString('hex'), startSeq: 1 } },
      { name: 'large start_seq (2 000 000 000)', profile: { startSeq: 2_000_000_000 } },
      {
        name: 'result.response carrying plain JSON text (python-kasa sslaestransport.py "unencrypted response over secure passthrough")',
        profile: { replyMode: 'plain-in-response' },
      },
      {
        name: 'plain replies without result.response (camera.md §8: cameras answer some requests unencrypted)',
        profile: { replyMode: 'plain-top-level' },
      },
      {
        name: 'error_code inside result.responses, extra msg fields, numbers as strings, pretty JSON (HomeAssistant-Tapo-Control #436 log)',
        profile: { shape: { extraFields: true, numbersAsStrings: true, prettyJson: true } },
      },
      {
        name: 'sub-responses without the method key (camera.md §9, connectAp-style replies)',
        profile: { shape: { omitMethod: true } },
      },
      { name: 'Content-Type application/json without charset', profile: { contentType: 'application/json' } },
      { name: 'no Content-Type on replies', profile: { contentType: '' } },
      ...FRAMINGS.map((f) => ({ name: f.name, profile: {}, framing: f.framing })),
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const device = new CameraSecureDevice(c.profile);
        const server = await serve(device.handle, c.framing, c.tls ?? RSA_1024_TLS12);
        await cameraRoundTrip(connect(server, 'camera', 'camera-secure', c.username), device.state);
        assert.deepEqual(server.problems, []);
        assert.equal(device.logins, 1, 'one login for the whole exchange');
        assert.equal(device.seqHeaders.length, 3);
        // The signing headers go out with the casing python-kasa and pytapo use.
        assert.ok(device.rawHeaderNames.includes('Seq') && device.rawHeaderNames.includes('Tapo_tag'));
        if (c.username !== undefined) assert.deepEqual(device.usernames, [c.username, 'admin', 'admin']);
      });
    }

    const expiries: { name: string; expiredReply?: Reply }[] = [
      { name: 'HTTP 200 with {"error_code":-40401} once the stok expired (camera.md §8)' },
      {
        name: 'HTTP 200 with {"data":{"code":-40406},"error_code":-40401} (camera.md §8)',
        expiredReply: { status: 200, headers: [['Content-Type', 'application/json']], body: '{"data":{"code":-40406},"error_code":-40401}' },
      },
      {
        name: 'HTTP 500 after the session was replaced (python-kasa sslaestransport.py)',
        expiredReply: { status: 500, body: '{"error_code":-40401}' },
      },
    ];
    for (const e of expiries) {
      it(`${e.name}: one new login, then the set goes through`, async () => {
        const profile: CameraSecureProfile = { expireAfterRequests: 1 };
        if (e.expiredReply) profile.expiredReply = e.expiredReply;
        const device = new CameraSecureDevice(profile);
        const server = await serve(device.handle, {}, RSA_1024_TLS12);
        await cameraRoundTrip(connect(server, 'camera', 'camera-secure'), device.state);
        assert.deepEqual(server.problems, []);
        assert.equal(device.logins, 3, 'each expired session is replaced by one login');
      });
    }
  });

  describe('camera legacy login (MD5, clear JSON)', () => {
    const cases: { name: string; profile: CameraLegacyProfile; framing?: Framing; tls?: TlsProfile }[] = [
      { name: 'TLS 1.2 static-RSA, RSA-1024 (camera.md §1, §7)', profile: {} },
      {
        name: 'login reply with spaces and extra fields (HomeAssistant-Tapo-Control #436: {"error_code": 0, "result" : {…}})',
        profile: {
          shape: { prettyJson: true, extraFields: true, numbersAsStrings: true },
          loginReply: (stok) => ({ error_code: 0, result: { stok, user_group: 'root', extra: 'x' } }),
        },
      },
      { name: 'stok with punctuation', profile: { stok: () => 'Ab.Cd(Ef)Gh-Ij_Kl~Mn0123456789xy' } },
      { name: 'TLS 1.0 only, AES128-SHA (pre-2023 firmware)', profile: {}, tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'AES128-SHA:@SECLEVEL=0' } },
      ...FRAMINGS.map((f) => ({ name: f.name, profile: {}, framing: f.framing })),
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const device = new CameraLegacyDevice(c.profile);
        const server = await serve(device.handle, c.framing, c.tls ?? RSA_1024_TLS12);
        await cameraRoundTrip(connect(server, 'camera', 'camera-legacy'), device.state);
        assert.deepEqual(server.problems, []);
        assert.equal(device.logins, 1);
      });
    }

    it('HTTP 200 with -40401 once the stok expired: one new login, then the set goes through', async () => {
      const device = new CameraLegacyDevice({ expireAfterRequests: 1 });
      const server = await serve(device.handle, {}, RSA_1024_TLS12);
      await cameraRoundTrip(connect(server, 'camera', 'camera-legacy'), device.state);
      assert.deepEqual(server.problems, []);
      assert.equal(device.logins, 3);
    });
  });
});
