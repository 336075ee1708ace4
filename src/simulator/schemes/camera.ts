/**
 * Camera HTTPS control API, device side: secure login (`encrypt_type` "3") and legacy MD5 login
 * (camera.md §5–§10 and §14 "Simulator notes"; vectors.json `camera_secure_login`,
 * `camera_legacy_login`; error codes from errors.md §3).
 *
 * Secure login as the camera sees it (all hashes upper-case hex over ASCII strings):
 * 1. `POST /` `{"method":"login","params":{"cnonce":C,"encrypt_type":"3","username":"admin"}}`:
 *    the camera picks a 16-hex `nonce` N and answers `-40413` with `nonce`, `key`,
 *    `encrypt_type:["3"]` and `device_confirm = SHA256(C ‖ pwd_hash ‖ N) ‖ N ‖ C`, where
 *    `pwd_hash` is the stored SHA-256 (default) or MD5 of the admin password.
 * 2. `POST /` with `digest_passwd = SHA256(pwd_hash ‖ C ‖ N) ‖ C ‖ N`: a match gives
 *    `{"error_code":0,"result":{"stok":…,"user_group":"root","start_seq":S}}`, a mismatch `-40413`
 *    and one failure on the lockout counter.
 * 3. Keys: `hashed_key = SHA256(C ‖ pwd_hash ‖ N)`, `lsk = SHA256("lsk"‖C‖N‖hashed_key)[0:16]`,
 *    `ivb = SHA256("ivb"‖C‖N‖hashed_key)[0:16]`, `tag_prefix = SHA256(pwd_hash ‖ C)`.
 * 4. `POST /stok=<stok>/ds` with headers `Seq` (≥ the expected counter, which starts at S) and
 *    `Tapo_tag = SHA256(tag_prefix ‖ raw body ‖ Seq)`, body
 *    `{"method":"securePassthrough","params":{"request":base64(AES-CBC(lsk, ivb, inner))}}`;
 *    the reply is `{"result":{"response":base64(…)},"error_code":0}`. A bad tag or seq gets the
 *    plain "Check tapo tag failed" reply.
 *
 * Legacy login: `{"method":"login","params":{"hashed":true,"password":MD5(password),"username":"admin"}}`
 * ⇒ `stok`, then plain JSON commands on `/stok=<stok>/ds`.
 *
 * Shared by both: unknown user (or Third-Party Compatibility off) ⇒ HTTP 200
 * `{"error_code":-40401,"result":{"data":{"code":-40411}}}` (camera.md §14; python-kasa gives up
 * on any other status and only retries as `admin` after a 200 without a nonce); while locked
 * every login gets `{"error_code":-40401,"data":{"code":-40404,"sec_left":N}}`; an unknown stok
 * ⇒ `{"error_code":-40401}`; a session older than the device's `sessionTtlSeconds` ⇒ -40401; a
 * new login from the same remote address replaces the previous session, whose stok is then
 * answered with HTTP 500. A code forced for the method `login` (fault `methodErrors`) answers
 * every login request with `{"error_code":code}` before the account is looked at (uncounted).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomInt } from 'node:crypto';
import { getSimCertificate } from '../cert';
import { forcedErrorCode } from '../control';
import { parseFirstJsonValue } from '../logic/json';
import { stokFromSegment } from './session-path';
import type { SchemeContext, SchemeServer, SimJsonObject, SimRequest, SimResponse, SimScheme } from '../types';

/** Which hash of the admin password the camera stores (camera.md §6.1). */
export type CameraPasswordHash = 'sha256' | 'md5';

/** Sources of the values a camera picks at random (tests fix them to replay the vectors). */
export interface CameraRandom {
  /** 16 upper-case hex characters. */
  nonce(): string;
  /** The session token (32 characters, may contain `(` or `.`). */
  stok(): string;
  /** A positive start sequence number. */
  startSeq(): number;
}

/** Options of {@link CameraSecureSchemeServer} and {@link CameraLegacySchemeServer}. */
export interface CameraSchemeOptions {
  /** Stored password hash for secure login (default `'sha256'`). */
  passwordHash?: CameraPasswordHash;
  /** Random sources (default: node:crypto). */
  random?: Partial<CameraRandom>;
}

/** Secure-session keys (camera.md §6.3). */
export interface CameraSessionKeys {
  /** AES-128 key. */
  lsk: Buffer;
  /** AES-CBC IV, fixed for the session. */
  ivb: Buffer;
  /** Prefix of every `Tapo_tag` input. */
  tagPrefix: string;
}

/** Upper-case hex SHA-256 of an ASCII/UTF-8 string. */
export const sha256Upper = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex').toUpperCase();
/** Upper-case hex MD5 of an ASCII/UTF-8 string. */
export const md5Upper = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex').toUpperCase();

/** The stored `pwd_hash` for a password. */
export function cameraPwdHash(password: string, kind: CameraPasswordHash): string {
  return kind === 'md5' ? md5Upper(password) : sha256Upper(password);
}

/** `device_confirm` of step 1 (96 characters). */
export function cameraDeviceConfirm(cnonce: string, pwdHash: string, nonce: string): string {
  return sha256Upper(cnonce + pwdHash + nonce) + nonce + cnonce;
}

/** `digest_passwd` the client must send in step 2. */
export function cameraDigestPasswd(pwdHash: string, cnonce: string, nonce: string): string {
  return sha256Upper(pwdHash + cnonce + nonce) + cnonce + nonce;
}

/** Session keys from the login values (camera.md §6.3). */
export function cameraSessionKeys(cnonce: string, nonce: string, pwdHash: string): CameraSessionKeys {
  const hashedKey = sha256Upper(cnonce + pwdHash + nonce);
  const derive = (label: string): Buffer =>
    createHash('sha256').update(label + cnonce + nonce + hashedKey, 'utf8').digest().subarray(0, 16);
  return { lsk: derive('lsk'), ivb: derive('ivb'), tagPrefix: sha256Upper(pwdHash + cnonce) };
}

/** `Tapo_tag` over the exact body bytes and the `Seq` header text (camera.md §8 step 4). */
export function cameraTag(tagPrefix: string, body: Buffer, seq: string): string {
  return createHash('sha256').update(tagPrefix, 'utf8').update(body).update(seq, 'utf8').digest('hex').toUpperCase();
}

/** AES-128-CBC + base64 with the session key and IV. */
export function cameraEncrypt(keys: CameraSessionKeys, plaintext: string): string {
  const cipher = createCipheriv('aes-128-cbc', keys.lsk, keys.ivb);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** Reverses {@link cameraEncrypt}; throws on bad padding. */
export function cameraDecrypt(keys: CameraSessionKeys, b64: string): string {
  const decipher = createDecipheriv('aes-128-cbc', keys.lsk, keys.ivb);
  return Buffer.concat([decipher.update(Buffer.from(b64, 'base64')), decipher.final()]).toString('utf8');
}

/** 64 symbols, so one random byte masked to 6 bits picks one uniformly; `(` and `.` are real. */
const STOK_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ(.';

const DEFAULT_RANDOM: CameraRandom = {
  nonce: () => randomBytes(8).toString('hex').toUpperCase(),
  stok: () => Array.from(randomBytes(32), (b) => STOK_ALPHABET[b & 63]).join(''),
  startSeq: () => randomInt(1, 1_000_000_000),
};

/** The plain reply to a bad `Tapo_tag` or `Seq`. */
const TAG_FAILED: SimJsonObject = {
  error_code: -1,
  result: { responses: [{ msg: 'Check tapo tag failed', error_code: -1 }] },
};

/** Replaced stoks remembered for the HTTP 500 answer. */
const MAX_REPLACED = 64;

interface CameraSession {
  stok: string;
  remoteAddress: string;
  keys?: CameraSessionKeys;
  expectedSeq: number;
  requests: number;
  /** Device clock when the login succeeded (the session lives `sessionTtlSeconds` from then). */
  openedAt: number;
}

function json(value: SimJsonObject, status = 200): SimResponse {
  return { status, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: JSON.stringify(value) };
}

function isObject(value: unknown): value is SimJsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The body's first JSON value when it is an object (what follows it is ignored, as cJSON does). */
function parseObject(body: Buffer | string): SimJsonObject | undefined {
  try {
    const value: unknown = parseFirstJsonValue(body.toString());
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function lockedReply(seconds: number): SimResponse {
  return json({ error_code: -40401, data: { code: -40404, sec_left: seconds } });
}

/** Unknown user name (or Third-Party Compatibility off): HTTP 200, as camera.md §14 asks. */
function unknownUserReply(): SimResponse {
  return json({ error_code: -40401, result: { data: { code: -40411 } } });
}

/** Stok sessions of one camera: one live session per remote address, replaced ones remembered. */
class CameraSessions {
  loginCount = 0;
  failedLoginCount = 0;
  private readonly live = new Map<string, CameraSession>();
  private readonly replaced = new Set<string>();

  constructor(private readonly random: CameraRandom) {}

  /**
   * Opens a session for `remoteAddress` at `now`, replacing that address's previous one. The token
   * is `stok` when given (fault `loginStok`), else a random one.
   */
  open(remoteAddress: string, now: number, keys?: CameraSessionKeys, stok?: string): CameraSession {
    for (const [stok, session] of this.live) {
      if (session.remoteAddress !== remoteAddress) continue;
      this.live.delete(stok);
      this.replaced.add(stok);
      if (this.replaced.size > MAX_REPLACED) this.replaced.delete(this.replaced.values().next().value as string);
    }
    const session: CameraSession = {
      stok: stok !== undefined && stok !== '' ? stok : this.random.stok(),
      remoteAddress,
      ...(keys !== undefined ? { keys } : {}),
      expectedSeq: keys === undefined ? 0 : this.random.startSeq(),
      requests: 0,
      openedAt: now,
    };
    // A fixed token handed out again is live, not one of the replaced ones.
    this.replaced.delete(session.stok);
    this.live.set(session.stok, session);
    this.loginCount += 1;
    return session;
  }

  /**
   * Resolves `/stok=<stok>/ds`: the session, or the reply for a dead one (replaced ⇒ HTTP 500,
   * unknown, older than `sessionTtlSeconds` or worn out by `expireAfterRequests` ⇒ -40401). Any
   * other path, such as the one a URL parser makes of an unencoded `../` token, is HTTP 404.
   */
  resolve(req: SimRequest, ctx: SchemeContext): CameraSession | SimResponse {
    const match = /^\/stok=([^/]+)\/ds$/.exec(req.path);
    if (match === null) return { status: 404 };
    const stok = stokFromSegment(match[1] ?? '');
    if (stok === undefined) return json({ error_code: -40401 });
    if (this.replaced.has(stok)) return json({ error_code: -40401 }, 500);
    const session = this.live.get(stok);
    if (session === undefined) return json({ error_code: -40401 });
    if (ctx.clock.now() - session.openedAt >= ctx.sessionTtlSeconds * 1000) {
      this.live.delete(stok);
      return json({ error_code: -40401 });
    }
    const limit = ctx.faults.expireAfterRequests;
    if (limit > 0 && session.requests >= limit) {
      this.live.delete(stok);
      return json({ error_code: -40401 });
    }
    return session;
  }

  clear(): void {
    this.live.clear();
    this.replaced.clear();
  }

  get size(): number {
    return this.live.size;
  }
}

function pickRandom(options: CameraSchemeOptions): CameraRandom {
  return { ...DEFAULT_RANDOM, ...options.random };
}

/** The username check both servers share; Third-Party Compatibility off refuses admin the same way. */
function accountAccepted(params: SimJsonObject, ctx: SchemeContext): boolean {
  return !ctx.faults.thirdPartyOff && params.username === ctx.credentials.username;
}

/**
 * A code forced for `login` (fault `methodErrors`): answered to every login request as
 * `{"error_code":code}`, before the lockout and the account are looked at, and not counted.
 */
function forcedLoginReply(ctx: SchemeContext): SimResponse | undefined {
  const code = forcedErrorCode(ctx.faults, 'login');
  return code === undefined ? undefined : json({ error_code: code });
}

/** Runs a decoded command through the device logic. */
function runCommand(session: CameraSession, command: SimJsonObject, ctx: SchemeContext): SimJsonObject {
  session.requests += 1;
  return ctx.logic.handle(command);
}

/** Camera secure login (`encrypt_type` "3") with AES-CBC payloads, `Seq` and `Tapo_tag`. */
export class CameraSecureSchemeServer implements SchemeServer {
  /** Always `'camera-secure'`. */
  readonly scheme: SimScheme = 'camera-secure';
  /** Stored password hash variant. */
  readonly passwordHash: CameraPasswordHash;
  private readonly random: CameraRandom;
  private readonly sessions: CameraSessions;
  /** Nonces handed out in step 1 and not yet used, by client nonce. */
  private readonly pending = new Map<string, string>();

  /** Creates the server; `passwordHash` picks SHA-256 (default) or MD5 storage. */
  constructor(options: CameraSchemeOptions = {}) {
    this.passwordHash = options.passwordHash ?? 'sha256';
    this.random = pickRandom(options);
    this.sessions = new CameraSessions(this.random);
  }

  /** Successful logins since start. */
  get loginCount(): number {
    return this.sessions.loginCount;
  }

  /** Step-2 digests that did not match since start (each one counts towards the lockout). */
  get failedLoginCount(): number {
    return this.sessions.failedLoginCount;
  }

  /** Routes one HTTP request. */
  handle(req: SimRequest, ctx: SchemeContext): SimResponse {
    if (req.method !== 'POST') return { status: 404 };
    if (req.path === '/') return this.login(req, ctx);
    const found = this.sessions.resolve(req, ctx);
    if (!('stok' in found)) return found;
    return this.command(found, req, ctx);
  }

  /** Drops every session and pending nonce. */
  expireSessions(): void {
    this.sessions.clear();
    this.pending.clear();
  }

  /** Live sessions. */
  sessionCount(): number {
    return this.sessions.size;
  }

  private login(req: SimRequest, ctx: SchemeContext): SimResponse {
    const envelope = parseObject(req.body);
    if (envelope === undefined) return json({ error_code: -40210 });
    const params = envelope.params;
    if (envelope.method !== 'login' || !isObject(params)) return json({ error_code: -40401 });
    const forced = forcedLoginReply(ctx);
    if (forced !== undefined) return forced;
    const locked = ctx.guard.lockedSecondsLeft();
    if (locked > 0) return lockedReply(locked);
    if (!accountAccepted(params, ctx)) return unknownUserReply();
    const key = getSimCertificate().publicKeyB64;
    if (params.hashed === true) {
      // A legacy MD5 login: this firmware only offers "3"; same answer as step 1 minus the nonce.
      return json({ error_code: -40401, result: { data: { code: -40401, encrypt_type: ['3'], key } } });
    }
    const cnonce = params.cnonce;
    if (params.encrypt_type !== '3' || typeof cnonce !== 'string' || cnonce === '') return json({ error_code: -40209 });
    const pwdHash = cameraPwdHash(ctx.credentials.password, this.passwordHash);

    if (typeof params.digest_passwd !== 'string') {
      const nonce = this.random.nonce();
      this.pending.delete(cnonce);
      if (this.pending.size >= MAX_REPLACED) this.pending.delete(this.pending.keys().next().value as string);
      this.pending.set(cnonce, nonce);
      return json({
        error_code: -40413,
        result: {
          data: {
            code: -40413,
            encrypt_type: ['3'],
            key,
            nonce,
            device_confirm: cameraDeviceConfirm(cnonce, pwdHash, nonce),
          },
        },
      });
    }

    const nonce = this.pending.get(cnonce);
    if (nonce === undefined) return json({ error_code: -40409 });
    this.pending.delete(cnonce);
    if (params.digest_passwd !== cameraDigestPasswd(pwdHash, cnonce, nonce)) {
      ctx.guard.recordFailure();
      this.sessions.failedLoginCount += 1;
      return json({ error_code: -40413, result: { data: { code: -40413, encrypt_type: ['3'] } } });
    }
    ctx.guard.recordSuccess();
    const session = this.sessions.open(req.remoteAddress, ctx.clock.now(), cameraSessionKeys(cnonce, nonce, pwdHash), ctx.faults.loginStok);
    return json({ error_code: 0, result: { stok: session.stok, user_group: 'root', start_seq: session.expectedSeq } });
  }

  private command(session: CameraSession, req: SimRequest, ctx: SchemeContext): SimResponse {
    const keys = session.keys;
    const seqText = req.headers['seq'];
    const tag = req.headers['tapo_tag'];
    if (keys === undefined || seqText === undefined || tag === undefined || !/^-?\d+$/.test(seqText)) return json(TAG_FAILED);
    const seq = Number(seqText);
    if (seq < session.expectedSeq || tag.toUpperCase() !== cameraTag(keys.tagPrefix, req.body, seqText)) return json(TAG_FAILED);
    session.expectedSeq = seq + 1;

    const envelope = parseObject(req.body);
    const params = envelope?.params;
    if (envelope?.method !== 'securePassthrough' || !isObject(params) || typeof params.request !== 'string') {
      return json({ error_code: -40210 });
    }
    let inner: SimJsonObject | undefined;
    try {
      inner = parseObject(cameraDecrypt(keys, params.request));
    } catch {
      return json({ error_code: -40401 });
    }
    if (inner === undefined) return json({ error_code: -40210 });
    const reply = runCommand(session, inner, ctx);
    return json({ result: { response: cameraEncrypt(keys, JSON.stringify(reply)) }, error_code: 0 });
  }
}

/** Camera legacy login (MD5, clear JSON commands) for firmware before late 2023. */
export class CameraLegacySchemeServer implements SchemeServer {
  /** Always `'camera-legacy'`. */
  readonly scheme: SimScheme = 'camera-legacy';
  private readonly random: CameraRandom;
  private readonly sessions: CameraSessions;

  /** Creates the server. */
  constructor(options: CameraSchemeOptions = {}) {
    this.random = pickRandom(options);
    this.sessions = new CameraSessions(this.random);
  }

  /** Successful logins since start. */
  get loginCount(): number {
    return this.sessions.loginCount;
  }

  /** MD5 logins with the wrong password since start (each one counts towards the lockout). */
  get failedLoginCount(): number {
    return this.sessions.failedLoginCount;
  }

  /** Routes one HTTP request. */
  handle(req: SimRequest, ctx: SchemeContext): SimResponse {
    if (req.method !== 'POST') return { status: 404 };
    if (req.path === '/') return this.login(req, ctx);
    const found = this.sessions.resolve(req, ctx);
    if (!('stok' in found)) return found;
    const command = parseObject(req.body);
    if (command === undefined || command.method === 'securePassthrough') return json({ error_code: -40210 });
    return json(runCommand(found, command, ctx));
  }

  /** Drops every session. */
  expireSessions(): void {
    this.sessions.clear();
  }

  /** Live sessions. */
  sessionCount(): number {
    return this.sessions.size;
  }

  private login(req: SimRequest, ctx: SchemeContext): SimResponse {
    const envelope = parseObject(req.body);
    if (envelope === undefined) return json({ error_code: -40210 });
    const params = envelope.params;
    if (envelope.method !== 'login' || !isObject(params)) return json({ error_code: -40401 });
    const forced = forcedLoginReply(ctx);
    if (forced !== undefined) return forced;
    const locked = ctx.guard.lockedSecondsLeft();
    if (locked > 0) return lockedReply(locked);
    if (!accountAccepted(params, ctx)) return unknownUserReply();
    if (params.hashed !== true) {
      // A secure-login probe: this firmware only offers the MD5 login ("1"/"2").
      return json({
        error_code: -40401,
        result: { data: { code: -40401, encrypt_type: ['1', '2'], key: getSimCertificate().publicKeyB64, nonce: this.random.nonce() } },
      });
    }
    if (params.password !== md5Upper(ctx.credentials.password)) {
      ctx.guard.recordFailure();
      this.sessions.failedLoginCount += 1;
      return json({ error_code: -40401, result: { data: { code: -40401, encrypt_type: ['1', '2'] } } });
    }
    ctx.guard.recordSuccess();
    const session = this.sessions.open(req.remoteAddress, ctx.clock.now(), undefined, ctx.faults.loginStok);
    return json({ error_code: 0, result: { stok: session.stok, user_group: 'root' } });
  }
}
