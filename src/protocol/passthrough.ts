/**
 * SMART-AES ("securePassthrough") transport for plugs, bulbs and hubs on pre-KLAP firmware,
 * following ../shared/protocol/plug-passthrough.md. The handshake:
 *
 * 1. Generate an RSA-1024 key pair (exponent 65537) for this handshake and `POST /app`
 *    `{"method":"handshake","params":{"key":"<PEM SPKI>"}}` with an explicit Content-Length
 *    (devices answer 500 to chunked bodies, §1). KLAP-only firmware answers `error_code` 1003 or a
 *    small HTML page: the device wants KLAP.
 * 2. Decrypt `result.key` (RSA PKCS#1 v1.5, unpadded by hand for Node 20+) into the AES key and IV;
 *    keep the `TP_SESSIONID` (or `SESSIONID`) cookie and the `TIMEOUT` lifetime (§2).
 * 3. `login_device` through `securePassthrough` to `/app` (§4): version 1 sends `password`,
 *    version 2 `password2`. Which one the device takes is announced only in UDP discovery (`lv`),
 *    which this transport does not see, and nothing in the handshake says it. So without a
 *    configured version the first login sends v1, and on -1501 one new handshake (the device
 *    kills the session after a failed login) and v2: with a wrong password that first login costs
 *    two refused `login_device` calls (no lockout is documented for SMART-AES firmware; python-kasa
 *    and plugp100 do the same). Once a version has worked, every later login of this transport
 *    sends only that version, and when the device refuses it, the next login sends only the other
 *    one: one refused `login_device` per login, each spaced out by the connection's hold-off.
 * 4. Commands go to `/app?token=<token>` wrapped in `securePassthrough`, with a stable
 *    `terminalUUID` (§5). Outer 9999 means the session is gone; the decrypted inner envelope is
 *    returned as is (method-level codes are the devices layer's business). A 200 whose inner reply
 *    does not decrypt is a `Transport` failure with `sent: true` (the device may have acted) and
 *    ends the session, so the next request starts with a new handshake. One that decrypts to JSON
 *    but not to an envelope (`null`, an array ...) keeps the session: `Device`, "the device sent an
 *    unexpected reply to <method>".
 */
import { generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { TapoError, errorFromCode, isTapoError, type DeviceFamily } from './errors';
import { HttpClient, loginOnNewConnection, parseCookies, type HttpResponse } from './http';
import { unexpectedReply } from './envelope';
import { isObject, parseJson } from './json';
import { parseJsonObject, urlHost } from './klap';
import { sessionRefreshSeconds } from './klap-cipher';
import {
  decodeHandshakeKey,
  handshakeBody,
  loginDeviceRequest,
  passthroughDecrypt,
  passthroughEncrypt,
  securePassthroughBody,
  type PassthroughSessionKeys,
} from './passthrough-cipher';
import { monotonicNow, type Transport, type TransportOptions } from './transport';
import type { Credentials, JsonObject, JsonValue } from './types';

/** Options of {@link PassthroughTransport}: `loginVersion` forces `login_device` v1 or v2. */
export type PassthroughTransportOptions = TransportOptions & { loginVersion?: 1 | 2 };

/** RSA key generation off the event loop (a 1024-bit key takes milliseconds of CPU each handshake). */
const generateRsaKeyPair = promisify(generateKeyPair);

/** Session timeout error code of the outer envelope (errors.md §1). */
const SESSION_TIMEOUT = 9999;
/** `login_device` wrong credentials (errors.md §2). */
const LOGIN_ERROR = -1501;
/** "Use KLAP" answer of migrated firmware (errors.md §1). */
const USE_KLAP = 1003;

interface Handshake {
  keys: PassthroughSessionKeys;
  cookie: string;
  expiresAt: number;
}

interface PassthroughSession extends Handshake {
  token: string;
}

function codeOf(obj: JsonObject): number | undefined {
  const code = obj['error_code'];
  return typeof code === 'number' ? code : undefined;
}

function objectAt(obj: JsonObject | undefined, key: string): JsonObject | undefined {
  const v: JsonValue | undefined = obj?.[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

/** The SMART-AES client transport (scheme `passthrough`). */
export class PassthroughTransport implements Transport {
  /** Always `passthrough`. */
  readonly scheme = 'passthrough' as const;
  /** SMART devices only. */
  readonly family: DeviceFamily = 'smart';
  private readonly baseUrl: string;
  private readonly credentials: Credentials;
  private readonly loginVersion: 1 | 2 | undefined;
  private readonly now: () => number;
  private readonly http: HttpClient;
  /** Stable per transport: tp-link-tapo-connect maps -1012 to a missing terminal UUID. */
  private readonly terminalUUID = randomUUID();
  private session: PassthroughSession | undefined;
  /** The one version the next login sends, once one has worked (see step 3 above). */
  private learntVersion: 1 | 2 | undefined;

  constructor(options: PassthroughTransportOptions) {
    this.baseUrl = `http://${urlHost(options.host)}:${options.port ?? 80}/app`;
    this.credentials = options.credentials;
    this.loginVersion = options.loginVersion;
    this.now = options.now ?? monotonicNow;
    this.http = new HttpClient(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {});
  }

  /** True while logged in and the `TIMEOUT` lifetime (minus the refresh margin) has not run out. */
  get hasSession(): boolean {
    return this.session !== undefined && this.now() < this.session.expiresAt;
  }

  /** Handshake and `login_device` (v1, then v2 after one new handshake when no version is set). */
  login(signal?: AbortSignal): Promise<void> {
    return loginOnNewConnection(this.http, () => this.loginOnce(signal));
  }

  private async loginOnce(signal?: AbortSignal): Promise<void> {
    this.session = undefined;
    const learnt = this.learntVersion;
    const versions: (1 | 2)[] = this.loginVersion !== undefined ? [this.loginVersion] : learnt !== undefined ? [learnt] : [1, 2];
    for (const version of versions) {
      const handshake = await this.handshake(signal);
      const token = await this.loginDevice(handshake, version, signal);
      if (token !== undefined) {
        this.session = { ...handshake, token };
        if (this.loginVersion === undefined) this.learntVersion = version;
        return;
      }
    }
    // The password changed, or the firmware now wants the other version: the next login tries that one.
    if (learnt !== undefined) this.learntVersion = learnt === 1 ? 2 : 1;
    throw errorFromCode('smart', LOGIN_ERROR, 'login_device');
  }

  /** Sends one request envelope through `securePassthrough` and returns the inner reply. */
  async send(request: JsonObject, signal?: AbortSignal): Promise<JsonObject> {
    const session = this.session;
    if (session === undefined || !this.hasSession) {
      throw new TapoError('SessionExpired', 'passthroughNoSession', { sent: false });
    }
    const inner: JsonObject = { ...request };
    if (inner['terminalUUID'] === undefined && inner['terminal_uuid'] === undefined) {
      inner['terminalUUID'] = this.terminalUUID;
    }
    if (inner['requestTimeMils'] === undefined && inner['request_time_milis'] === undefined) {
      inner['requestTimeMils'] = Date.now();
    }
    let reply: JsonValue | undefined;
    try {
      reply = await this.exchange(session, `?token=${session.token}`, JSON.stringify(inner), signal);
    } catch (e) {
      if (isTapoError(e, 'SessionExpired')) this.dropSession(session);
      throw e;
    }
    if (reply === undefined) {
      // The device took the request and answered 200, so it may have carried it out: this is a
      // lost reply, not an expired session, and only idempotent requests may be replayed.
      this.dropSession(session);
      throw new TapoError('Transport', 'passthroughReplyUndecryptable', { sent: true });
    }
    // JSON that is no envelope (`null`, an array ...) decrypted with the session's key: the
    // session is in step, the device's answer is what is wrong.
    if (!isObject(reply)) throw unexpectedReply(request);
    return reply;
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

  private dropSession(session: PassthroughSession): void {
    if (this.session === session) this.session = undefined;
  }

  private async handshake(signal?: AbortSignal): Promise<Handshake> {
    const { publicKey, privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 1024, publicExponent: 65537 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const startedAt = this.now();
    const res = await this.post('', handshakeBody(pem, Date.now()), undefined, signal);
    const reply = parseJsonObject(res.body);
    if (reply === undefined) {
      if (res.status === 200 || /<\s*html|200 OK/i.test(res.body.toString('utf8'))) {
        throw new TapoError('Unsupported', 'passthroughHtmlReply', {
          httpStatus: res.status,
          suggestedScheme: 'klap',
          hint: 'useSchemeKlap',
        });
      }
      throw new TapoError('Transport', 'passthroughHandshakeHttp', { params: { status: res.status }, httpStatus: res.status });
    }
    const code = codeOf(reply);
    if (code === USE_KLAP) {
      throw new TapoError('Unsupported', 'passthroughUseKlap', {
        code,
        suggestedScheme: 'klap',
        hint: 'useSchemeKlap',
      });
    }
    if (code !== 0) {
      if (code !== undefined) throw errorFromCode('smart', code, 'handshake');
      throw new TapoError('Transport', 'passthroughHandshakeGarbled', { params: { status: res.status }, httpStatus: res.status });
    }
    const keyB64 = objectAt(reply, 'result')?.['key'];
    if (typeof keyB64 !== 'string') {
      throw new TapoError('Transport', 'passthroughHandshakeNoKey');
    }
    let keys: PassthroughSessionKeys;
    try {
      keys = decodeHandshakeKey(privateKey as KeyObject, keyB64);
    } catch (e) {
      throw new TapoError('Transport', 'passthroughKeyUndecryptable', { cause: e });
    }
    const cookies = parseCookies(res.setCookies);
    const cookieName = cookies['TP_SESSIONID'] !== undefined ? 'TP_SESSIONID' : 'SESSIONID';
    const cookieValue = cookies[cookieName];
    const timeout = cookies['TIMEOUT'] !== undefined ? Number(cookies['TIMEOUT']) : undefined;
    return {
      keys,
      cookie: cookieValue !== undefined ? `${cookieName}=${cookieValue}` : '',
      expiresAt: startedAt + sessionRefreshSeconds(timeout) * 1000,
    };
  }

  /** Returns the token, or undefined on -1501 (wrong credentials for this login version). */
  private async loginDevice(handshake: Handshake, version: 1 | 2, signal?: AbortSignal): Promise<string | undefined> {
    const inner = loginDeviceRequest(version, this.credentials.username, this.credentials.password, Date.now());
    const reply = await this.exchange(handshake, '', inner, signal);
    if (reply === undefined) {
      throw new TapoError('Transport', 'loginDeviceUndecryptable');
    }
    if (!isObject(reply)) throw unexpectedReply({ method: 'login_device' });
    const code = codeOf(reply);
    if (code === LOGIN_ERROR) return undefined;
    if (code !== 0) {
      throw code !== undefined
        ? errorFromCode('smart', code, 'login_device')
        : new TapoError('Transport', 'loginDeviceGarbled');
    }
    const token = objectAt(reply, 'result')?.['token'];
    if (typeof token !== 'string' || token === '') {
      throw new TapoError('Transport', 'loginDeviceNoToken');
    }
    return token;
  }

  /**
   * One `securePassthrough` round trip. Throws for HTTP failures and outer error codes; returns
   * the inner reply's JSON value (an envelope, or whatever JSON the device put there), or
   * undefined when the inner reply does not decrypt or is not JSON.
   */
  private async exchange(
    handshake: Handshake,
    query: string,
    innerJson: string,
    signal?: AbortSignal,
  ): Promise<JsonValue | undefined> {
    const body = securePassthroughBody(passthroughEncrypt(handshake.keys, innerJson));
    const res = await this.post(query, body, handshake.cookie, signal);
    if (res.status !== 200) {
      throw new TapoError('Transport', 'passthroughRequestHttp', { params: { status: res.status }, httpStatus: res.status });
    }
    const outer = parseJsonObject(res.body);
    if (outer === undefined) {
      throw new TapoError('Transport', 'passthroughReplyNotJson');
    }
    const code = codeOf(outer);
    if (code === SESSION_TIMEOUT) {
      throw new TapoError('SessionExpired', 'passthroughSessionEnded', { code });
    }
    if (code !== undefined && code !== 0) throw errorFromCode('smart', code);
    const response = objectAt(outer, 'result')?.['response'];
    if (typeof response !== 'string') return outer;
    // python-kasa accepts a `response` that is already plain JSON instead of ciphertext.
    if (response.trimStart().startsWith('{')) return parseJsonObject(response);
    try {
      return parseJson(passthroughDecrypt(handshake.keys, response));
    } catch {
      return undefined;
    }
  }

  private post(query: string, body: string, cookie: string | undefined, signal?: AbortSignal): Promise<HttpResponse> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      requestByApp: 'true',
    };
    if (cookie) headers['cookie'] = cookie;
    return this.http.request(`${this.baseUrl}${query}`, signal ? { body, headers, signal } : { body, headers });
  }
}
