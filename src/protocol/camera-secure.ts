/**
 * Camera secure-login transport (`encrypt_type` "3": cameras, H200 hub, doorbells on firmware
 * from late 2023), following ../shared/protocol/camera.md §1-§10. The handshake:
 *
 * 1. `POST https://<ip>:443/` `{"method":"login","params":{"cnonce":…,"encrypt_type":"3","username":…}}`
 *    with a fresh 16-hex-character `cnonce` (§5). If the camera does not know the user name
 *    (-40411 in `data.code`, or HTTP 401) and it is not `admin`, step 1 is repeated once with `admin`.
 * 2. Read the reply (§5 table): `nonce` + `device_confirm` ⇒ secure login; `data.code` -40404 ⇒
 *    locked out for `sec_left` s; -40211 ⇒ TPAP-only firmware; -40401 with `encrypt_type` other
 *    than ["3"] ⇒ legacy-only firmware.
 * 3. Verify `device_confirm` with the SHA-256, then the MD5 password hash (§6.1). No match ⇒ wrong
 *    password: stop at once, with no step 2 and no retry, because every attempt counts to the lockout.
 * 4. Step 2: `digest_passwd` (§6.2). Success carries `stok` and `start_seq`; -40413 ⇒ wrong password.
 * 5. Derive `lsk`, `ivb` and the tag prefix (§6.3).
 * 6. Each command (§8): encrypt the compact JSON, wrap it in `securePassthrough`, sign the exact
 *    body bytes with `Tapo_tag` for the current `Seq` (post-increment from `start_seq`), and POST
 *    those same bytes to `/stok=<stok>/ds` (the stok as one path segment, percent-encoded only where
 *    a character could not stand in a segment: `stokPath`). -40401, -1 "Check tapo tag failed",
 *    HTTP 500, and HTTP 403 or 404 (the camera refused the path, e.g. a token it did not hand out)
 *    mean the session is gone and the camera did not act: `SessionExpired`, so the connection logs
 *    in once and replays. A `result.response` that does not decrypt ends the session too, but the
 *    camera may have acted: `Transport` with `sent: true`. One that decrypts to JSON but not to an
 *    envelope (`null`, an array ...) keeps the session: `Device`, "the device sent an unexpected
 *    reply to <method>".
 *    Plain JSON replies without `result.response` are returned as they are.
 */
import { randomBytes } from 'node:crypto';
import { TapoError, errorFromCode, type DeviceFamily } from './errors';
import { unexpectedReply } from './envelope';
import { HttpClient, loginOnNewConnection, stokPath, type HttpResponse } from './http';
import { isObject, parseJson } from './json';
import { parseJsonObject, urlHost } from './klap';
import {
  cameraDecrypt,
  cameraDigestPasswd,
  cameraSignRequest,
  cameraStep1Body,
  cameraStep2Body,
  deriveCameraSession,
  matchCameraPasswordHash,
  type CameraSessionKeys,
} from './camera-secure-cipher';
import type { Transport, TransportOptions } from './transport';
import type { Credentials, JsonObject, JsonValue } from './types';

function objectAt(obj: JsonObject | undefined, key: string): JsonObject | undefined {
  const v: JsonValue | undefined = obj?.[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

function numberAt(obj: JsonObject | undefined, key: string): number | undefined {
  const v = obj?.[key];
  return typeof v === 'number' ? v : undefined;
}

/** The `data` object of a camera login reply: `result.data`, or `data` at the top level (lockout). */
export function cameraLoginData(reply: JsonObject): JsonObject | undefined {
  return objectAt(objectAt(reply, 'result'), 'data') ?? objectAt(reply, 'data');
}

/**
 * A `Locked` error when a camera reply says it is locked out (camera.md §10): `data.code` -40404
 * at the top level or in `result.data`, or a positive `sec_left` there. Undefined otherwise.
 */
export function cameraLockout(reply: JsonObject, context: string): TapoError | undefined {
  for (const data of [objectAt(reply, 'data'), objectAt(objectAt(reply, 'result'), 'data')]) {
    if (data === undefined) continue;
    const secLeft = numberAt(data, 'sec_left');
    if (numberAt(data, 'code') === -40404 || (secLeft !== undefined && secLeft > 0)) {
      return errorFromCode('camera', -40404, context, secLeft);
    }
  }
  return undefined;
}

/** True when a login reply says the user name is unknown (-40411; python-kasa's fake uses -60502). */
export function isUnknownUser(status: number, reply: JsonObject | undefined): boolean {
  if (status === 401) return true;
  const code = reply !== undefined ? numberAt(cameraLoginData(reply), 'code') : undefined;
  return code === -40411 || code === -60502;
}

/**
 * The error for an unknown user name. When even `admin` is refused, the usual cause is
 * Third-Party Compatibility being off (camera.md §4), so the hint says that.
 */
export function unknownUserError(username: string): TapoError {
  if (username !== 'admin') return errorFromCode('camera', -40411, 'login');
  return new TapoError('Authentication', 'cameraAdminRefused', { code: -40411, hint: 'thirdParty' });
}

/** The headers pytapo and python-kasa send to cameras (camera.md §3), minus compression. */
export function cameraHeaders(host: string, port: number): Record<string, string> {
  return {
    referer: `https://${urlHost(host)}:${port}`,
    accept: 'application/json',
    'user-agent': 'Tapo CameraClient Android',
    requestByApp: 'true',
    'content-type': 'application/json; charset=UTF-8',
  };
}

/**
 * The error for a command refused with HTTP 403 or 404: the camera did not take the session path
 * (an unknown or mangled token), so nothing was done. `SessionExpired` with `sent: false`: the
 * connection drops the session, logs in once and replays.
 */
export function refusedPathError(status: number): TapoError {
  return new TapoError('SessionExpired', 'cameraPathRefused', { params: { status }, httpStatus: status, sent: false });
}

/** Which camera reply was garbled: the reason key of each. */
export type GarbledCameraReply =
  | 'cameraGarbledStep1'
  | 'cameraGarbledStep2'
  | 'cameraGarbledStep2NoStok'
  | 'cameraGarbledLogin'
  | 'cameraGarbledLoginNoStok'
  | 'cameraGarbledCommand';

/** The error for a camera reply that is not JSON (login) or that carries no usable fields. */
export function garbledCameraReply(res: HttpResponse, reason: GarbledCameraReply): TapoError {
  return new TapoError('Transport', reason, { params: { status: res.status }, httpStatus: res.status });
}

interface CameraSession {
  keys: CameraSessionKeys;
  stok: string;
  seq: number;
}

interface Nonces {
  username: string;
  nonce: string;
  deviceConfirm: string;
}

/** The camera secure-login client transport (scheme `camera-secure`). */
export class CameraSecureTransport implements Transport {
  /** Always `camera-secure`. */
  readonly scheme = 'camera-secure' as const;
  /** Cameras, camera hubs and doorbells. */
  readonly family: DeviceFamily = 'camera';
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly credentials: Credentials;
  private readonly http: HttpClient;
  private session: CameraSession | undefined;

  constructor(options: TransportOptions) {
    const port = options.port ?? 443;
    this.baseUrl = `https://${urlHost(options.host)}:${port}`;
    this.headers = cameraHeaders(options.host, port);
    this.credentials = options.credentials;
    this.http = new HttpClient(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {});
  }

  /** True after a successful login until the camera ends the session (no lifetime is announced). */
  get hasSession(): boolean {
    return this.session !== undefined;
  }

  /** Steps 1 and 2 of the secure login; stores stok, keys and seq. */
  login(signal?: AbortSignal): Promise<void> {
    return loginOnNewConnection(this.http, () => this.loginOnce(signal));
  }

  private async loginOnce(signal?: AbortSignal): Promise<void> {
    this.session = undefined;
    const cnonce = randomBytes(8).toString('hex').toUpperCase();
    const first = this.credentials.username || 'admin';
    let nonces = await this.step1(cnonce, first, first !== 'admin', signal);
    if (nonces === 'retry-admin') nonces = await this.step1(cnonce, 'admin', false, signal);
    if (nonces === 'retry-admin') throw unknownUserError('admin');

    const pwdHash = matchCameraPasswordHash(this.credentials.password, cnonce, nonces.nonce, nonces.deviceConfirm);
    if (pwdHash === undefined) {
      throw new TapoError('Authentication', 'cameraConfirmMismatch', { hint: 'useAdminCloudPassword' });
    }

    const digest = cameraDigestPasswd(pwdHash, cnonce, nonces.nonce);
    const res = await this.post('/', cameraStep2Body(cnonce, digest, nonces.username), undefined, signal);
    const reply = parseJsonObject(res.body);
    if (reply === undefined) throw garbledCameraReply(res, 'cameraGarbledStep2');
    const locked = cameraLockout(reply, 'login');
    if (locked) throw locked;
    const code = numberAt(reply, 'error_code');
    if (code === -40413) {
      throw new TapoError('Authentication', 'cameraDigestRejected', { code, hint: 'useAdminCloudPassword' });
    }
    if (code !== 0) {
      throw code !== undefined ? errorFromCode('camera', code, 'login') : garbledCameraReply(res, 'cameraGarbledStep2');
    }
    const result = objectAt(reply, 'result');
    const stok = result?.['stok'];
    const startSeq = numberAt(result, 'start_seq');
    if (typeof stok !== 'string' || stok === '' || startSeq === undefined) {
      throw garbledCameraReply(res, 'cameraGarbledStep2NoStok');
    }
    this.session = { keys: deriveCameraSession(pwdHash, cnonce, nonces.nonce), stok, seq: startSeq };
  }

  /** Encrypts, signs and sends one command; returns the decrypted (or plain) reply envelope. */
  async send(request: JsonObject, signal?: AbortSignal): Promise<JsonObject> {
    const session = this.session;
    if (session === undefined) {
      throw new TapoError('SessionExpired', 'cameraNoSession', { sent: false });
    }
    const signed = cameraSignRequest(session.keys, session.seq, JSON.stringify(request));
    session.seq += 1;
    const res = await this.post(stokPath(session.stok), signed.body, { Seq: signed.seq, Tapo_tag: signed.tag }, signal);
    if (res.status === 500) {
      this.dropSession(session);
      throw new TapoError('SessionExpired', 'cameraSessionEnded500', { httpStatus: 500 });
    }
    if (res.status === 403 || res.status === 404) {
      this.dropSession(session);
      throw refusedPathError(res.status);
    }
    if (res.status !== 200) {
      throw new TapoError('Transport', 'cameraRequestHttp', { params: { status: res.status }, httpStatus: res.status });
    }
    const outer = parseJsonObject(res.body);
    if (outer === undefined) throw garbledCameraReply(res, 'cameraGarbledCommand');
    const response = objectAt(outer, 'result')?.['response'];
    if (typeof response === 'string') {
      let inner: JsonValue | undefined;
      try {
        // Some firmware puts the reply in `result.response` as plain JSON text instead of base64
        // ciphertext (python-kasa: kasa/transports/sslaestransport.py); base64 never starts with '{'.
        inner = response.trimStart().startsWith('{')
          ? parseJsonObject(response)
          : parseJson(cameraDecrypt(session.keys, response));
      } catch {
        inner = undefined;
      }
      if (inner === undefined) {
        // The camera took the request and answered, so it may have acted: a lost reply.
        this.dropSession(session);
        throw new TapoError('Transport', 'cameraReplyUndecryptable', { sent: true });
      }
      // JSON that is no envelope (`null`, an array ...) decrypted with the session's key: the
      // session is in step, the camera's answer is what is wrong.
      if (!isObject(inner)) throw unexpectedReply(request);
      // -40401 for the whole envelope, even inside the encrypted reply, means the camera refused
      // the session ("invalid stok", camera.md §10): it did not act, so log in again and replay.
      if (numberAt(inner, 'error_code') === -40401) throw this.sessionRefused(session);
      return inner;
    }
    const code = numberAt(outer, 'error_code');
    if (code === -40401) throw this.sessionRefused(session);
    if (code === -1 && isTagFailure(outer)) {
      // Only this form of -1 means the camera refused the signature (it did not act): re-login.
      this.dropSession(session);
      throw new TapoError('SessionExpired', 'cameraTagRejected', { code: -1 });
    }
    return outer;
  }

  /** Forgets the session. */
  reset(): void {
    this.session = undefined;
  }

  /** Forgets the session and closes the sockets. */
  async close(): Promise<void> {
    this.session = undefined;
    await this.http.close();
  }

  /** -40401 to a command, in clear or encrypted ("invalid stok", camera.md §10): drops the session. */
  private sessionRefused(session: CameraSession): TapoError {
    this.dropSession(session);
    return new TapoError('SessionExpired', 'cameraSessionReplaced', { code: -40401 });
  }

  private dropSession(session: CameraSession): void {
    if (this.session === session) this.session = undefined;
  }

  /** Step 1; returns the nonces, `'retry-admin'` when the user is unknown and a retry is allowed, or throws. */
  private async step1(
    cnonce: string,
    username: string,
    mayRetryAsAdmin: boolean,
    signal?: AbortSignal,
  ): Promise<Nonces | 'retry-admin'> {
    const res = await this.post('/', cameraStep1Body(cnonce, username), undefined, signal);
    const reply = parseJsonObject(res.body);
    if (reply !== undefined) {
      const locked = cameraLockout(reply, 'login');
      if (locked) throw locked;
    }
    if (isUnknownUser(res.status, reply)) {
      if (mayRetryAsAdmin) return 'retry-admin';
      throw unknownUserError(username);
    }
    if (reply === undefined) throw garbledCameraReply(res, 'cameraGarbledStep1');
    const code = numberAt(reply, 'error_code');
    if (code === -40211) {
      throw new TapoError('Unsupported', 'cameraTpapOnly', {
        code,
        suggestedScheme: 'tpap',
        hint: 'useSchemeTpap',
      });
    }
    const data = cameraLoginData(reply);
    const nonce = data?.['nonce'];
    const deviceConfirm = data?.['device_confirm'];
    if (typeof nonce === 'string' && typeof deviceConfirm === 'string') {
      return { username, nonce, deviceConfirm };
    }
    const encryptType = data?.['encrypt_type'];
    const secureOffered = Array.isArray(encryptType) && encryptType.length === 1 && encryptType[0] === '3';
    if (code === -40401 && !secureOffered) {
      throw new TapoError('Unsupported', 'cameraLegacyOnly', {
        code,
        suggestedScheme: 'camera-legacy',
        hint: 'useSchemeCameraLegacy',
      });
    }
    if (code === -40401) {
      // Secure login is offered but no nonce came back: the camera refuses this account.
      throw new TapoError('Authentication', 'cameraLoginRefused', { code, hint: 'checkPasswordThirdParty' });
    }
    throw code !== undefined && code !== 0 ? errorFromCode('camera', code, 'login') : garbledCameraReply(res, 'cameraGarbledStep1');
  }

  private post(
    path: string,
    body: string,
    extra: Record<string, string> | undefined,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    const headers = extra ? { ...this.headers, ...extra } : this.headers;
    return this.http.request(`${this.baseUrl}${path}`, signal ? { body, headers, signal } : { body, headers });
  }
}

/** True for the plain `-1` "Check tapo tag failed" reply (camera.md §8), top level or per response. */
function isTagFailure(outer: JsonObject): boolean {
  if (outer['msg'] === 'Check tapo tag failed') return true;
  const responses = objectAt(outer, 'result')?.['responses'];
  if (!Array.isArray(responses)) return false;
  return responses.some(
    (r) => r !== null && typeof r === 'object' && !Array.isArray(r) && (r as JsonObject)['msg'] === 'Check tapo tag failed',
  );
}
