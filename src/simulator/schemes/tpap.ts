/**
 * The device side of TPAP (../shared/protocol/tpap.md, errors.md, simulator.md): what a C101 hw5
 * 1.4.3 camera (HTTPS :443) or a P110 1.4.6 plug (HTTP :80) in TPAP mode answers.
 *
 * The exchange, as this server plays it:
 *  1. `POST /` `{"method":"login","params":{"sub_method":"discover"}}` ⇒ the device's MAC and its
 *     `tpap` capabilities (`tls`, `port`, `dac:false`, `pake:[2]`, `user_hash_type:0`) (§2).
 *  2. `POST /` `login`/`pake_register` with the hashed user name "admin" and a 32-byte
 *     `user_random` ⇒ the device picks `y` and a 32-byte `dev_random` and answers `dev_random`,
 *     its constant `dev_salt`, `dev_share` Y = y·G + w0·N, `cipher_suites` 1, `iterations` and
 *     `encryption` "aes_128_ccm" (§3). The device holds only the verifier record: w0 and
 *     L = w1·G, derived once from the configured credential (camera `md5_hex_lower(password)`, or
 *     with `cameraPasscode: 'sha256-crypt'` the C200's `sha256_crypt(SHA256_HEX_UPPER(password))`,
 *     announced as `extra_crypt` password_shadow 5; SMART `"<e-mail>/<password>"`, §4).
 *  3. `POST /` `login`/`pake_share` with the client share X and `user_confirm` ⇒ the device
 *     computes Z = y·(X − w0·M) and V = y·L, the transcript and key schedule of §5, checks
 *     `user_confirm` = HMAC(KcA, Y) and answers `dev_confirm` = HMAC(KcB, X), a random `stok`,
 *     a random positive `start_seq` and `expired` (§6). A wrong confirmation is `-40401` and
 *     counts as a failed login; while locked out the device answers `-40404` with `sec_left`
 *     without looking at the share. With the fault `refuseLoginWhileSession` every share is
 *     refused that way while a session is alive (a C200, tpap.md §9).
 *  4. `POST /stok=<stok>/ds` with `uint32_be(seq) ‖ AES-128-CCM(ct ‖ tag16)` under the session
 *     key and nonce `base_nonce[0:8] ‖ uint32_be(seq)` (§7, §8). `seq` may not go backwards
 *     (32-bit serial arithmetic, so it may wrap). The reply is framed the same way with the
 *     request's seq. Refusals are plain JSON: `-40401` (bad frame or seq; the session dies),
 *     `-40209` (camera: not a `multipleRequest`), `-40421` (a percent-encoded stok, unless it is
 *     the `encodeURIComponent` spelling of a live token that needs it: fault `loginStok`), `-2203`
 *     (SMART: expired or unknown session).
 *
 * Fault `methodErrors`: a code forced for `discover`, `pake_register` or `pake_share` answers that
 * step with `{"error_code":code}`; one forced for `login` answers both pake steps so (discovery is
 * left alone). Forced codes are not counted as failed logins.
 *
 * Foreign endpoints are answered as TPAP-only firmware answers them: cameras refuse v3 and
 * legacy logins with `-40211`; SMART devices answer KLAP's `/app/handshake1` with HTTP 403 and
 * the old `/app` JSON with `1003`.
 */

import { randomBytes, randomInt } from 'node:crypto';
import { forcedErrorCode } from '../control';
import { parseFirstJsonValue } from '../logic/json';
import { stokFromSegment } from './session-path';
import type {
  SchemeContext,
  SchemeServer,
  SimFamily,
  SimJson,
  SimJsonObject,
  SimRequest,
  SimResponse,
  SimScheme,
} from '../types';
import {
  P256_N,
  type Point,
  type SessionKeys,
  type VerifierRecord,
  bytesToBigInt,
  confirmMac,
  confirmationKeys,
  contextHash,
  decodePoint,
  deviceShare,
  encodePoint,
  makeVerifier,
  md5HexLower,
  openFrame,
  sealFrame,
  sessionKeys,
  sha256CryptDefault,
  sha256HexUpper,
  transcript,
  verifierSecrets,
} from './tpap-math';

/** Options for a simulated TPAP device. Everything but `iterations` is for deterministic tests. */
export interface TpapSchemeOptions {
  /** Fixed device scalar y (otherwise random per login). */
  y?: bigint;
  /** Fixed 16-byte `dev_salt` (otherwise random once per device). */
  salt?: Buffer;
  /** PBKDF2 iterations announced in `pake_register` (default 5000, as observed). */
  iterations?: number;
  /** Fixed 32-byte `dev_random` (otherwise random per login). */
  devRandom?: Buffer;
  /** Fixed `stok` (otherwise 16 random bytes as hex). */
  stok?: string;
  /** Fixed `start_seq` (otherwise a random positive int32). */
  startSeq?: number;
  /** What a camera stores as its passcode (default `md5`); SMART devices ignore it. */
  cameraPasscode?: TpapCameraPasscode;
  /** Fixed salt of the `sha256-crypt` passcode (otherwise 16 random crypt characters once per device). */
  shadowSalt?: string;
}

/**
 * The passcode a TPAP camera's verifier is made from (tpap.md §4):
 * - `md5`: `md5_hex_lower(password)`, no `extra_crypt` (C101 1.4.3, C510W 1.3.4);
 * - `sha256-crypt`: `sha256_crypt(SHA256_HEX_UPPER(password))` with the device's salt, announced in
 *   every `pake_register` reply as `extra_crypt` `password_shadow` with `passwd_id` 5 and
 *   `passwd_prefix` `$5$<salt>$` (C200 hw5 1.4.6, §4.2).
 */
export type TpapCameraPasscode = 'md5' | 'sha256-crypt';

const CRYPT_SALT_CHARS = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The accepted `username` fields: md5_hex_lower("admin"), SHA256_HEX_UPPER("admin"), and "admin" (C510W). */
const ACCEPTED_USER_NAMES: ReadonlySet<string> = new Set([md5HexLower('admin'), sha256HexUpper('admin'), 'admin']);

/** A login between `pake_register` and `pake_share`. */
interface PendingLogin {
  userRandom: Buffer;
  devRandom: Buffer;
  y: bigint;
  Y: Point;
  verifier: VerifierRecord;
  startedAt: number;
}

/** One `stok` session. */
interface Session {
  keys: SessionKeys;
  /** The lowest seq the device still accepts. */
  expectedSeq: number;
  expiresAt: number;
  requests: number;
}

/** A `pake_share` must follow its `pake_register` within this time. */
const PENDING_TTL_MS = 120_000;
const DEFAULT_TTL_SECONDS = 3600;

const JSON_HEADERS = { 'content-type': 'application/json;charset=UTF-8' };
const BINARY_HEADERS = { 'content-type': 'application/octet-stream' };

function json(body: SimJsonObject, status = 200): SimResponse {
  return { status, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

function errorReply(code: number): SimResponse {
  return json({ error_code: code });
}

function isObject(v: unknown): v is SimJsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The body's first JSON value when it is an object (what follows it is ignored, as cJSON does). */
function parseJsonObject(body: Buffer): SimJsonObject | undefined {
  try {
    const v: unknown = parseFirstJsonValue(body.toString('utf8'));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Strict base64 decode (Node's decoder silently skips junk, which would hide client bugs). */
function base64(v: SimJson | undefined): Buffer | undefined {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) return undefined;
  return Buffer.from(v, 'base64');
}

function randomScalar(): bigint {
  // 40 bytes reduced mod n−1 is uniform enough for a simulator; +1 keeps it non-zero.
  return (bytesToBigInt(randomBytes(40)) % (P256_N - 1n)) + 1n;
}

/** The device side of TPAP (SPAKE2+ verifier on P-256, AES-128-CCM `/ds` sessions). */
export class TpapSchemeServer implements SchemeServer {
  /** Always `'tpap'`. */
  readonly scheme: SimScheme = 'tpap';

  private logins = 0;
  private refusedShares = 0;
  private readonly salt: Buffer;
  private readonly iterations: number;
  /** `$5$<salt>$` of a `sha256-crypt` camera, undefined for an `md5` one and for SMART devices. */
  private readonly shadowPrefix: string | undefined;
  private verifierCache: { credential: string; record: VerifierRecord } | undefined;
  private readonly pending = new Map<string, PendingLogin>();
  private readonly sessions = new Map<string, Session>();

  /**
   * @param family `camera` (credential `md5_hex_lower(password)`, `multipleRequest` only, `-40401`
   *   on expiry) or `smart` (credential `"<e-mail>/<password>"`, `-2203` on expiry)
   * @param options fixed values for tests; by default everything is random
   */
  constructor(
    readonly family: SimFamily,
    private readonly options: TpapSchemeOptions = {},
  ) {
    this.salt = options.salt ?? randomBytes(16);
    this.iterations = options.iterations ?? 5000;
    if (family === 'camera' && options.cameraPasscode === 'sha256-crypt') {
      const salt = options.shadowSalt ?? Array.from(randomBytes(16), (b) => CRYPT_SALT_CHARS[b & 63]).join('');
      this.shadowPrefix = `$5$${salt.slice(0, 16)}$`;
    }
  }

  /** Logins completed (successful `pake_share`) since start. */
  get loginCount(): number {
    return this.logins;
  }

  /** `pake_share` requests refused with -40401 since start (wrong confirmation, or the fault below). */
  get refusedShareCount(): number {
    return this.refusedShares;
  }

  /** Failed logins since start: every refused `pake_share` (each one counts towards the lockout). */
  get failedLoginCount(): number {
    return this.refusedShares;
  }

  /** Live sessions (expired ones are not counted). */
  sessionCount(): number {
    return this.sessions.size;
  }

  /** Drops every session and every half-finished login. */
  expireSessions(): void {
    this.sessions.clear();
    this.pending.clear();
  }

  /** Handles one HTTP request on any path. */
  handle(req: SimRequest, ctx: SchemeContext): SimResponse {
    this.pruneSessions(ctx.clock.now());
    const stokMatch = /^\/stok=([^/]*)\/ds\/?$/.exec(req.path);
    if (stokMatch && req.method === 'POST') return this.handleDs(stokMatch[1] ?? '', req, ctx);
    if (req.path === '/' && req.method === 'POST') return this.handleRoot(req, ctx);
    if (this.family === 'smart' && req.path.startsWith('/app')) {
      // TPAP mode (Third-Party Compatibility off): KLAP endpoints are forbidden, and the old
      // SMART-AES `/app` JSON gets "unknown transport, use another" (errors.md §1, §4).
      if (req.path === '/app' || req.path === '/app/') return errorReply(1003);
      return { status: 403, body: '' };
    }
    return { status: 404, body: '' };
  }

  // -------------------------------------------------------------------------------------------
  // POST /: discover, pake_register, pake_share, and the foreign logins.

  private handleRoot(req: SimRequest, ctx: SchemeContext): SimResponse {
    const envelope = parseJsonObject(req.body);
    if (!envelope) return errorReply(this.family === 'camera' ? -40210 : -1003);
    const params = isObject(envelope.params) ? envelope.params : {};
    if (envelope.method !== 'login') {
      // An unauthenticated request on `/`: no session.
      return errorReply(this.family === 'camera' ? -40401 : -2203);
    }
    const sub = params.sub_method;
    if (sub === 'discover' || sub === 'pake_register' || sub === 'pake_share') {
      const forced = sub === 'discover' ? forcedErrorCode(ctx.faults, sub) : forcedErrorCode(ctx.faults, sub, 'login');
      if (forced !== undefined) return errorReply(forced);
    }
    switch (sub) {
      case 'discover':
        return this.discover(req, ctx);
      case 'pake_register':
        return this.pakeRegister(req, params, ctx);
      case 'pake_share':
        return this.pakeShare(req, params, ctx);
      default:
        // v3 (`encrypt_type` "3", `cnonce`) and legacy (`hashed`) logins on TPAP-only firmware.
        return errorReply(-40211);
    }
  }

  private discover(req: SimRequest, ctx: SchemeContext): SimResponse {
    const tpap: SimJsonObject = {
      tls: this.family === 'camera' ? 1 : 0,
      port: this.listeningPort(req),
      dac: false,
      pake: [2],
      user_hash_type: 0,
    };
    return json({ error_code: 0, result: { mac: ctx.mac, tpap } });
  }

  /** The port the client reached us on (from `Host`), else the family's default. */
  private listeningPort(req: SimRequest): number {
    const host = req.headers['host'] ?? '';
    const m = /:(\d+)$/.exec(host);
    const port = m ? Number(m[1]) : NaN;
    if (Number.isInteger(port) && port > 0 && port < 65536) return port;
    return this.family === 'camera' ? 443 : 80;
  }

  private lockoutReply(ctx: SchemeContext): SimResponse | undefined {
    const secLeft = ctx.guard.lockedSecondsLeft();
    if (secLeft <= 0) return undefined;
    return json({
      error_code: -40404,
      result: { sec_left: secLeft },
      data: { code: -40404, sec_left: secLeft },
    });
  }

  private pakeRegister(req: SimRequest, params: SimJsonObject, ctx: SchemeContext): SimResponse {
    const locked = this.lockoutReply(ctx);
    if (locked) return locked;
    const userName = params.username;
    if (typeof userName !== 'string' || !ACCEPTED_USER_NAMES.has(userName)) return errorReply(-40209);
    const userRandom = base64(params.user_random);
    if (!userRandom || userRandom.length === 0) return errorReply(-40209);
    const suites = params.cipher_suites;
    if (Array.isArray(suites) && !suites.includes(1)) return errorReply(-40209);
    const encryption = params.encryption;
    if (Array.isArray(encryption) && !encryption.includes('aes_128_ccm')) return errorReply(-40209);

    const verifier = this.verifier(ctx);
    const y = this.options.y ?? randomScalar();
    const Y = deviceShare(y, verifier.w0);
    const devRandom = this.options.devRandom ?? randomBytes(32);
    this.pending.set(req.remoteAddress, {
      userRandom,
      devRandom,
      y,
      Y,
      verifier,
      startedAt: ctx.clock.now(),
    });
    return json({
      error_code: 0,
      result: {
        dev_random: devRandom.toString('base64'),
        dev_salt: this.salt.toString('base64'),
        dev_share: encodePoint(Y).toString('base64'),
        cipher_suites: 1,
        iterations: this.iterations,
        encryption: 'aes_128_ccm',
        ...(this.shadowPrefix !== undefined
          ? { extra_crypt: { type: 'password_shadow', params: { passwd_id: 5, passwd_prefix: this.shadowPrefix } } }
          : {}),
      },
    });
  }

  private pakeShare(req: SimRequest, params: SimJsonObject, ctx: SchemeContext): SimResponse {
    const locked = this.lockoutReply(ctx);
    if (locked) return locked;
    const now = ctx.clock.now();
    const pending = this.pending.get(req.remoteAddress);
    this.pending.delete(req.remoteAddress);
    if (!pending || now - pending.startedAt > PENDING_TTL_MS) return errorReply(-40409);
    if (ctx.faults.refuseLoginWhileSession && this.sessions.size > 0) {
      // C200 1.4.6 (tpap.md §9): a new login while a session lives fails like a wrong password.
      return this.refuseShare(ctx);
    }

    const userShare = base64(params.user_share);
    const userConfirm = base64(params.user_confirm);
    if (!userShare || !userConfirm) return errorReply(-40209);
    let X: Point;
    try {
      X = decodePoint(userShare);
    } catch {
      return errorReply(-40209);
    }

    let keys;
    try {
      const { Z, V } = verifierSecrets(pending.y, pending.verifier, X);
      const tt = transcript({
        context: contextHash(pending.userRandom, pending.devRandom),
        X,
        Y: pending.Y,
        Z,
        V,
        w0: pending.verifier.w0,
      });
      keys = confirmationKeys(tt);
    } catch {
      // X − w0·M was the identity: no key can come out of this share.
      return this.refuseShare(ctx);
    }
    if (!confirmMac(keys.kcA, pending.Y).equals(userConfirm)) return this.refuseShare(ctx);
    ctx.guard.recordSuccess();

    const ttl = ctx.sessionTtlSeconds > 0 ? ctx.sessionTtlSeconds : DEFAULT_TTL_SECONDS;
    const stok = ctx.faults.loginStok !== '' ? ctx.faults.loginStok : (this.options.stok ?? randomBytes(16).toString('hex'));
    const startSeq = this.options.startSeq ?? randomInt(1, 0x7fffffff);
    this.sessions.set(stok, {
      keys: sessionKeys(keys.sharedKey),
      expectedSeq: startSeq | 0,
      expiresAt: now + ttl * 1000,
      requests: 0,
    });
    this.logins++;
    return json({
      error_code: 0,
      result: {
        dev_confirm: confirmMac(keys.kcB, X).toString('base64'),
        stok,
        start_seq: startSeq,
        expired: ttl,
      },
    });
  }

  /** A failed login: counted by the guard (lockout) and in {@link refusedShareCount}. */
  private refuseShare(ctx: SchemeContext): SimResponse {
    ctx.guard.recordFailure();
    this.refusedShares++;
    return errorReply(-40401);
  }

  // -------------------------------------------------------------------------------------------
  // POST /stok=<stok>/ds

  private handleDs(segment: string, req: SimRequest, ctx: SchemeContext): SimResponse {
    const stok = stokFromSegment(segment);
    const found = stok !== undefined ? this.sessions.get(stok) : undefined;
    if (segment.includes('%') && found === undefined) return errorReply(-40421);
    const expiredCode = this.family === 'camera' ? -40401 : -2203;
    if (stok === undefined || found === undefined) return errorReply(expiredCode);
    const session = found;
    const limit = ctx.faults.expireAfterRequests;
    if (limit > 0 && session.requests >= limit) {
      this.sessions.delete(stok);
      return errorReply(expiredCode);
    }

    let seq: number;
    let plaintext: Buffer;
    try {
      ({ seq, plaintext } = openFrame(session.keys, req.body));
    } catch {
      this.sessions.delete(stok);
      return errorReply(-40401);
    }
    // 32-bit serial arithmetic: seq is accepted when it is not behind the expected value.
    if (((seq - session.expectedSeq) | 0) < 0) {
      this.sessions.delete(stok);
      return errorReply(-40401);
    }
    session.expectedSeq = (seq + 1) | 0;
    session.requests++;

    const request = parseJsonObject(plaintext);
    if (this.family === 'camera' && request?.method !== 'multipleRequest') return errorReply(-40209);
    let reply: SimJsonObject;
    if (!request) {
      reply = { error_code: -1003 };
    } else {
      try {
        reply = ctx.logic.handle(request);
      } catch {
        reply = { error_code: -1 };
      }
    }
    return {
      status: 200,
      headers: BINARY_HEADERS,
      body: sealFrame(session.keys, seq, Buffer.from(JSON.stringify(reply), 'utf8')),
    };
  }

  private pruneSessions(now: number): void {
    for (const [stok, s] of this.sessions) if (now >= s.expiresAt) this.sessions.delete(stok);
    for (const [addr, p] of this.pending) if (now - p.startedAt > PENDING_TTL_MS) this.pending.delete(addr);
  }

  /** w0 and L for the configured account, derived once per credential (PBKDF2 is the slow part). */
  private verifier(ctx: SchemeContext): VerifierRecord {
    const { username, password } = ctx.credentials;
    let credential = `${username}/${password}`;
    if (this.family === 'camera') {
      const salt = this.shadowPrefix?.slice(3, -1);
      credential = salt === undefined ? md5HexLower(password) : sha256CryptDefault(sha256HexUpper(password), salt);
    }
    if (this.verifierCache?.credential !== credential) {
      this.verifierCache = { credential, record: makeVerifier(credential, this.salt, this.iterations) };
    }
    return this.verifierCache.record;
  }
}
