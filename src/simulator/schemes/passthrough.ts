/**
 * SMART-AES "securePassthrough", device side (plug-passthrough.md, its §7 "Simulator notes";
 * vectors.json `aes_passthrough`).
 *
 * The exchange as the device sees it, all on `POST /app` with JSON bodies:
 * 1. `{"method":"handshake","params":{"key":"<client RSA public key PEM>"}}`: the device picks a
 *    random AES-128 key and IV, encrypts `key ‖ iv` (32 bytes) with RSA PKCS#1 v1.5 under the
 *    client's key and answers `{"error_code":0,"result":{"key":"<base64>"}}` with
 *    `Set-Cookie: TP_SESSIONID=<32 hex>;TIMEOUT=<seconds>`. A chunked handshake (no
 *    Content-Length) gets HTTP 500, as real devices do.
 * 2. Every later message is `{"method":"securePassthrough","params":{"request":"<base64>"}}`,
 *    the inner JSON AES-128-CBC encrypted with that key and the same IV every time; the reply is
 *    `{"error_code":0,"result":{"response":"<base64>"}}`. An unknown cookie, an expired session or
 *    a session spoiled by a failed login is answered with outer `{"error_code":9999}`.
 * 3. Inner `login_device` with `username = base64(sha1_hex(e-mail))` and either
 *    `password = base64(password)` (login v1) or `password2 = base64(sha1_hex(password))` (v2):
 *    success gives `{"error_code":0,"result":{"token":"<32 upper hex>"}}`; a mismatch gives inner
 *    -1501 and spoils the session.
 * 4. Commands go to `POST /app?token=<token>`; without the session's token they get outer 9999.
 * KLAP endpoints do not exist on this firmware: `/app/handshake1` ⇒ 404.
 *
 * Fault `methodErrors`: a code forced for `handshake` answers the handshake with outer
 * `{"error_code":code}` (no session); one forced for `login_device` answers the login with inner
 * `{"error_code":code}` (no token; the session stays usable, as the code is not a password check).
 */
import { constants, createCipheriv, createDecipheriv, createHash, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { forcedErrorCode } from '../control';
import { parseFirstJsonValue } from '../logic/json';
import type { SchemeContext, SchemeServer, SimJson, SimJsonObject, SimRequest, SimResponse, SimScheme } from '../types';

/** Options of a {@link PassthroughSchemeServer}. */
export interface PassthroughSchemeOptions {
  /** Random source (tests fix the AES key/IV, cookie and token with it). */
  random?: (size: number) => Buffer;
}

interface PassthroughSession {
  key: Buffer;
  iv: Buffer;
  createdAt: number;
  usable: boolean;
  token?: string;
  requests: number;
}

/** Sessions kept at most; the oldest goes first. */
const MAX_SESSIONS = 64;

const sha1Hex = (text: string): string => createHash('sha1').update(text, 'utf8').digest('hex');
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** `login_device` user name the device expects: base64 of the lower-case hex SHA-1 of the e-mail. */
export function passthroughUsername(email: string): string {
  return b64(sha1Hex(email));
}

/** Accepted `login_device` secrets: v1 `password` and v2 `password2`. */
export function passthroughPasswords(password: string): { password: string; password2: string } {
  return { password: b64(password), password2: b64(sha1Hex(password)) };
}

/** AES-128-CBC + base64, the payload wrapping of both directions. */
export function passthroughEncrypt(key: Buffer, iv: Buffer, plaintext: string): string {
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** Reverses {@link passthroughEncrypt}; throws on bad padding. */
export function passthroughDecrypt(key: Buffer, iv: Buffer, b64Text: string): string {
  const decipher = createDecipheriv('aes-128-cbc', key, iv);
  return Buffer.concat([decipher.update(Buffer.from(b64Text, 'base64')), decipher.final()]).toString('utf8');
}

/**
 * Reads the client's public key. python-kasa sends the whole base64 on one line, others use
 * 64-column PEM, so the armour is stripped and the DER decoded directly.
 */
function parseClientKey(pem: string): KeyObject | undefined {
  const match = /-----BEGIN (RSA )?PUBLIC KEY-----([\s\S]*?)-----END (RSA )?PUBLIC KEY-----/.exec(pem);
  const body = match?.[2]; // group 2 always takes part in a match
  if (match === null || body === undefined) return undefined;
  const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  try {
    return createPublicKey({ key: der, format: 'der', type: match[1] === undefined ? 'spki' : 'pkcs1' });
  } catch {
    return undefined;
  }
}

function cookieValue(req: SimRequest): string | undefined {
  const header = req.headers['cookie'];
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    const name = eq > 0 ? part.slice(0, eq).trim() : '';
    if (name === 'TP_SESSIONID' || name === 'SESSIONID') return part.slice(eq + 1).trim();
  }
  return undefined;
}

function isObject(value: unknown): value is SimJsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The body's first JSON value when it is an object (what follows it is ignored, as cJSON does). */
function parseObject(text: string): SimJsonObject | undefined {
  try {
    const value: unknown = parseFirstJsonValue(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function json(value: SimJsonObject, headers: Record<string, string> = {}): SimResponse {
  return { status: 200, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** The device side of SMART-AES (securePassthrough). */
export class PassthroughSchemeServer implements SchemeServer {
  /** Always `'passthrough'`. */
  readonly scheme: SimScheme = 'passthrough';
  /** Successful `login_device` calls since start. */
  loginCount = 0;
  /** `login_device` calls refused with -1501 since start (wrong e-mail or password). */
  failedLoginCount = 0;
  private readonly sessions = new Map<string, PassthroughSession>();
  private readonly random: (size: number) => Buffer;

  /** Creates the server. */
  constructor(options: PassthroughSchemeOptions = {}) {
    this.random = options.random ?? randomBytes;
  }

  /** Routes one HTTP request. */
  handle(req: SimRequest, ctx: SchemeContext): SimResponse {
    if (req.method !== 'POST' || req.path !== '/app') return { status: 404 };
    const envelope = parseObject(req.body.toString('utf8'));
    if (envelope === undefined) return json({ error_code: -1003 });
    if (envelope.method === 'handshake') return this.handshake(req, envelope, ctx);
    if (envelope.method === 'securePassthrough') return this.passthrough(req, envelope, ctx);
    return json({ error_code: -1002 });
  }

  /** Drops every session. */
  expireSessions(): void {
    this.sessions.clear();
  }

  /** Live sessions. */
  sessionCount(): number {
    return this.sessions.size;
  }

  private handshake(req: SimRequest, envelope: SimJsonObject, ctx: SchemeContext): SimResponse {
    if (req.headers['content-length'] === undefined) return { status: 500 };
    const forced = forcedErrorCode(ctx.faults, 'handshake');
    if (forced !== undefined) return json({ error_code: forced });
    const params = envelope.params;
    const pem = isObject(params) && typeof params.key === 'string' ? params.key : undefined;
    const clientKey = pem === undefined ? undefined : parseClientKey(pem);
    if (clientKey === undefined) return json({ error_code: -1010 });
    const secret = this.random(32);
    let sealed: Buffer;
    try {
      sealed = publicEncrypt({ key: clientKey, padding: constants.RSA_PKCS1_PADDING }, secret);
    } catch {
      return json({ error_code: -1010 });
    }
    const id = this.random(16).toString('hex').toUpperCase();
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    this.sessions.set(id, {
      key: secret.subarray(0, 16),
      iv: secret.subarray(16, 32),
      createdAt: ctx.clock.now(),
      usable: true,
      requests: 0,
    });
    return json(
      { error_code: 0, result: { key: sealed.toString('base64') } },
      { 'set-cookie': `TP_SESSIONID=${id};TIMEOUT=${ctx.sessionTtlSeconds}` },
    );
  }

  private passthrough(req: SimRequest, envelope: SimJsonObject, ctx: SchemeContext): SimResponse {
    const id = cookieValue(req);
    const session = id === undefined ? undefined : this.sessions.get(id);
    if (id === undefined || session === undefined || !session.usable) return json({ error_code: 9999 });
    if (ctx.clock.now() - session.createdAt >= ctx.sessionTtlSeconds * 1000) {
      this.sessions.delete(id);
      return json({ error_code: 9999 });
    }
    const params = envelope.params;
    const sealed = isObject(params) && typeof params.request === 'string' ? params.request : undefined;
    if (sealed === undefined) return json({ error_code: -1003 });
    let inner: SimJsonObject | undefined;
    try {
      inner = parseObject(passthroughDecrypt(session.key, session.iv, sealed));
    } catch {
      return json({ error_code: -1005 });
    }
    let reply: SimJsonObject;
    if (inner === undefined) {
      reply = { error_code: -1003 };
    } else if (inner.method === 'login_device') {
      reply = this.login(session, inner, ctx);
    } else {
      if (session.token === undefined || req.query.get('token') !== session.token) return json({ error_code: 9999 });
      const limit = ctx.faults.expireAfterRequests;
      if (limit > 0 && session.requests >= limit) {
        this.sessions.delete(id);
        return json({ error_code: 9999 });
      }
      session.requests += 1;
      reply = ctx.logic.handle(inner);
    }
    return json({ error_code: 0, result: { response: passthroughEncrypt(session.key, session.iv, JSON.stringify(reply)) } });
  }

  private login(session: PassthroughSession, inner: SimJsonObject, ctx: SchemeContext): SimJsonObject {
    const forced = forcedErrorCode(ctx.faults, 'login_device');
    if (forced !== undefined) return { error_code: forced };
    const params: SimJson | undefined = inner.params;
    const expected = passthroughPasswords(ctx.credentials.password);
    const ok =
      isObject(params) &&
      params.username === passthroughUsername(ctx.credentials.username) &&
      (params.password === expected.password || params.password2 === expected.password2);
    if (!ok) {
      // The device answers 9999 on this handshake from now on (plug-passthrough.md §4).
      this.failedLoginCount += 1;
      session.usable = false;
      return { error_code: -1501 };
    }
    session.token = this.random(16).toString('hex').toUpperCase();
    session.requests = 0;
    this.loginCount += 1;
    return { error_code: 0, result: { token: session.token } };
  }
}
