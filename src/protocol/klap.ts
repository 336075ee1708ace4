/**
 * KLAP transport (v2 for Tapo plugs, bulbs, strips, hubs; v1 for Kasa IOT), following
 * ../shared/protocol/plug-klap.md. The handshake:
 *
 * 1. `POST /app/handshake1` with 16 random bytes (`local_seed`). The device answers 200 with
 *    `remote_seed`(16) ‖ `server_hash`(32) and sets `TP_SESSIONID` and `TIMEOUT` cookies.
 *    403 here means Third-Party Compatibility is off (or TPAP mode); 404 means no KLAP on this
 *    firmware (use passthrough); any body that is not 48 bytes is garbled.
 * 2. The client finds which account the device is bound to: the user's credentials first, then
 *    python-kasa's defaults, then blank (§3); the first candidate whose `server_hash` matches
 *    fixes the auth hash. When no v2 candidate matches but a v1 one does, the device speaks KLAP v1.
 * 3. `POST /app/handshake2` with the client hash and `Cookie: TP_SESSIONID=…` only (never the
 *    `TIMEOUT` cookie, which devices dislike, §4).
 * 4. Key, IV prefix, initial seq and signature prefix are derived from both seeds and the auth
 *    hash (§5; pure functions in ./klap-cipher).
 * 5. Each request pre-increments the int32 seq, encrypts and signs, and goes to
 *    `POST /app/request?seq=<signed decimal>` (§6). The reply is decrypted with the same IV (§7).
 *    403/401 means the session is gone (the device did not act); an undecryptable 200 means the
 *    keys are out of sync after the device may have acted: `Transport` with `sent: true`, and the
 *    session is dropped so the next request handshakes again. A reply that decrypts to JSON but not
 *    to an envelope (`null`, an array, a number, a string) came with this session's keys, so the
 *    session is kept: `Device`, "the device sent an unexpected reply to <method>".
 *
 * A 403 on handshake1 is either Third-Party Compatibility off or a plug on TPAP firmware
 * (README "How a client should pick the scheme", field-issues.md): the error suggests `tpap`, so
 * auto detection tries TPAP once and reports this 403 if the device does not speak it either.
 *
 * The session is treated as over at TIMEOUT − 1200 s on the injected monotonic clock (§8).
 */
import { randomBytes } from 'node:crypto';
import { TapoError, type DeviceFamily } from './errors';
import { unexpectedReply } from './envelope';
import { HttpClient, loginOnNewConnection, parseCookies, type HttpResponse } from './http';
import { isObject, parseJson } from './json';
import {
  KLAP_FALLBACK_CREDENTIALS,
  deriveKlapSession,
  klapAuthHash,
  klapClientHash,
  klapDecrypt,
  klapEncrypt,
  klapServerHash,
  nextKlapSeq,
  sessionRefreshSeconds,
  type KlapSessionKeys,
  type KlapVersion,
} from './klap-cipher';
import { monotonicNow, type Transport, type TransportOptions } from './transport';
import type { Credentials, JsonObject, JsonValue, SchemeName } from './types';

/** Options of {@link KlapTransport}: the common ones plus the hash version (default 2). */
export type KlapTransportOptions = TransportOptions & { version?: KlapVersion };

interface KlapSession {
  keys: KlapSessionKeys;
  seq: number;
  cookie: string;
  expiresAt: number;
}

/** Formats a host for a URL (brackets around a bare IPv6 address). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Parses a reply body as a JSON object; undefined when it is not one. */
export function parseJsonObject(body: Buffer | string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

/** The KLAP client transport (scheme `klap` for v2, `klap-v1` for v1). */
export class KlapTransport implements Transport {
  /** `klap` (v2) or `klap-v1`. */
  readonly scheme: SchemeName;
  /** KLAP devices are SMART devices. */
  readonly family: DeviceFamily = 'smart';
  private readonly version: KlapVersion;
  private readonly baseUrl: string;
  private readonly credentials: Credentials;
  private readonly now: () => number;
  private readonly http: HttpClient;
  private session: KlapSession | undefined;

  constructor(options: KlapTransportOptions) {
    this.version = options.version ?? 2;
    this.scheme = this.version === 2 ? 'klap' : 'klap-v1';
    this.baseUrl = `http://${urlHost(options.host)}:${options.port ?? 80}/app`;
    this.credentials = options.credentials;
    this.now = options.now ?? monotonicNow;
    this.http = new HttpClient(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {});
  }

  /** True while a handshake is done and its lifetime (TIMEOUT − 1200 s) has not run out. */
  get hasSession(): boolean {
    return this.session !== undefined && this.now() < this.session.expiresAt;
  }

  /** Performs handshake 1 and 2 and stores the session keys. */
  login(signal?: AbortSignal): Promise<void> {
    return loginOnNewConnection(this.http, () => this.handshake(signal));
  }

  private async handshake(signal?: AbortSignal): Promise<void> {
    this.session = undefined;
    const localSeed = randomBytes(16);
    const startedAt = this.now();
    const h1 = await this.post('/handshake1', localSeed, undefined, signal);
    if (h1.status === 403) {
      throw new TapoError('Authentication', 'klapHandshakeForbidden', {
        httpStatus: 403,
        hint: 'thirdParty',
        suggestedScheme: 'tpap',
      });
    }
    if (h1.status === 404) {
      throw new TapoError('Unsupported', 'klapNoEndpoint', {
        httpStatus: 404,
        suggestedScheme: 'passthrough',
        hint: 'useSchemePassthrough',
      });
    }
    if (h1.status !== 200) {
      throw new TapoError('Transport', 'klapHandshake1Http', { params: { status: h1.status }, httpStatus: h1.status });
    }
    if (h1.body.length !== 48) {
      throw new TapoError('Transport', 'klapHandshake1Garbled', { params: { bytes: h1.body.length } });
    }
    const remoteSeed = h1.body.subarray(0, 16);
    const serverHash = h1.body.subarray(16, 48);
    const cookies = parseCookies(h1.setCookies);
    const sessionId = cookies['TP_SESSIONID'];
    const cookie = sessionId !== undefined ? `TP_SESSIONID=${sessionId}` : '';
    const timeout = cookies['TIMEOUT'] !== undefined ? Number(cookies['TIMEOUT']) : undefined;

    const authHash = this.matchCandidate(this.version, localSeed, remoteSeed, serverHash);
    if (authHash === undefined) {
      const other: KlapVersion = this.version === 2 ? 1 : 2;
      if (this.matchCandidate(other, localSeed, remoteSeed, serverHash) !== undefined) {
        const suggested: SchemeName = other === 1 ? 'klap-v1' : 'klap';
        throw new TapoError('Unsupported', 'klapOtherVersion', {
          params: { other, version: this.version, scheme: suggested },
          suggestedScheme: suggested,
          hint: 'useSchemeNamed',
        });
      }
      throw new TapoError('Authentication', 'klapHashMismatch', { hint: 'checkAccount' });
    }

    const h2 = await this.post(
      '/handshake2',
      klapClientHash(this.version, localSeed, remoteSeed, authHash),
      cookie,
      signal,
    );
    if (h2.status !== 200) {
      throw new TapoError('Transport', 'klapHandshake2Rejected', { params: { status: h2.status }, httpStatus: h2.status });
    }
    const keys = deriveKlapSession(localSeed, remoteSeed, authHash);
    this.session = {
      keys,
      seq: keys.initialSeq,
      cookie,
      expiresAt: startedAt + sessionRefreshSeconds(timeout) * 1000,
    };
  }

  /** Encrypts one request envelope, sends it and returns the decrypted reply envelope. */
  async send(request: JsonObject, signal?: AbortSignal): Promise<JsonObject> {
    const session = this.session;
    if (session === undefined || !this.hasSession) {
      throw new TapoError('SessionExpired', 'klapNoSession', { sent: false });
    }
    session.seq = nextKlapSeq(session.seq);
    const seq = session.seq;
    const { body } = klapEncrypt(session.keys, seq, JSON.stringify(request));
    const res = await this.post(`/request?seq=${seq}`, body, session.cookie, signal);
    if (res.status === 401 || res.status === 403) {
      this.dropSession(session);
      throw new TapoError('SessionExpired', 'klapSessionEnded', { params: { status: res.status }, httpStatus: res.status });
    }
    if (res.status === 404) {
      // The KLAP endpoint is gone (firmware changed scheme, or another device took the address):
      // nothing acted, so the session is dropped and the scheme looked for again.
      this.dropSession(session);
      throw new TapoError('Unsupported', 'klapEndpointGone', {
        httpStatus: 404,
        sent: false,
        suggestedScheme: 'passthrough',
      });
    }
    if (res.status !== 200) {
      throw new TapoError('Transport', 'klapRequestHttp', { params: { status: res.status }, httpStatus: res.status });
    }
    let reply: JsonValue | undefined;
    try {
      reply = parseJson(klapDecrypt(session.keys, seq, res.body));
    } catch {
      reply = undefined;
    }
    if (reply === undefined) {
      // The device accepted the request (200), so it may have acted: a lost reply, not an expiry.
      this.dropSession(session);
      throw new TapoError('Transport', 'klapReplyUndecryptable', { sent: true });
    }
    // JSON that is no envelope (`null`, an array ...) decrypted with the session's keys: the
    // session is in step, the device's answer is what is wrong.
    if (!isObject(reply)) throw unexpectedReply(request);
    return reply;
  }

  /** Forgets the session keys. */
  reset(): void {
    this.session = undefined;
  }

  /** Forgets the session and closes the sockets. */
  async close(): Promise<void> {
    this.session = undefined;
    await this.http.close();
  }

  private dropSession(session: KlapSession): void {
    if (this.session === session) this.session = undefined;
  }

  private matchCandidate(
    version: KlapVersion,
    localSeed: Buffer,
    remoteSeed: Buffer,
    serverHash: Buffer,
  ): Buffer | undefined {
    for (const candidate of [this.credentials, ...KLAP_FALLBACK_CREDENTIALS]) {
      const authHash = klapAuthHash(version, candidate);
      if (klapServerHash(version, localSeed, remoteSeed, authHash).equals(serverHash)) return authHash;
    }
    return undefined;
  }

  private post(path: string, body: Buffer, cookie: string | undefined, signal?: AbortSignal): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (cookie) headers['cookie'] = cookie;
    return this.http.request(`${this.baseUrl}${path}`, signal ? { body, headers, signal } : { body, headers });
  }
}
