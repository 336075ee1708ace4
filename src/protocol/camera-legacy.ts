/**
 * Camera legacy-login transport (cameras frozen on pre-late-2023 firmware), following
 * ../shared/protocol/camera.md §7 (login) and §8-§10 (commands, session, lockout). The handshake:
 *
 * 1. `POST https://<ip>:443/` `{"method":"login","params":{"hashed":true,"password":"<MD5 upper hex>","username":"admin"}}`
 *    (the configured user name when one is given; an unknown one is retried once as `admin`).
 * 2. Success carries `stok`. A lockout (`data.code` -40404, `sec_left`) ⇒ `Locked`; -40211 ⇒ the
 *    firmware only accepts TPAP; a reply carrying `device_confirm`, or an `encrypt_type` list that
 *    offers only "3", comes from secure-only firmware ⇒ camera-secure; anything else is a wrong password.
 * 3. Commands are plain JSON to `/stok=<stok>/ds` (the stok as one path segment: `stokPath`) with
 *    no `securePassthrough`, `Seq` or `Tapo_tag`. -40401, HTTP 500, and HTTP 403 or 404 (the path
 *    was refused) mean the session is gone and the camera did not act: `SessionExpired`.
 */
import { TapoError, errorFromCode, type DeviceFamily } from './errors';
import { HttpClient, loginOnNewConnection, stokPath, type HttpResponse } from './http';
import { parseJsonObject, urlHost } from './klap';
import { cameraLegacyLoginBody } from './camera-secure-cipher';
import {
  cameraHeaders,
  cameraLockout,
  cameraLoginData,
  garbledCameraReply,
  isUnknownUser,
  refusedPathError,
  unknownUserError,
} from './camera-secure';
import type { Transport, TransportOptions } from './transport';
import type { Credentials, JsonObject, JsonValue } from './types';

/** The camera legacy-login client transport (scheme `camera-legacy`). */
export class CameraLegacyTransport implements Transport {
  /** Always `camera-legacy`. */
  readonly scheme = 'camera-legacy' as const;
  /** Cameras only. */
  readonly family: DeviceFamily = 'camera';
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly credentials: Credentials;
  private readonly http: HttpClient;
  private stok: string | undefined;

  constructor(options: TransportOptions) {
    const port = options.port ?? 443;
    this.baseUrl = `https://${urlHost(options.host)}:${port}`;
    this.headers = cameraHeaders(options.host, port);
    this.credentials = options.credentials;
    this.http = new HttpClient(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {});
  }

  /** True after a successful login until the camera ends the session. */
  get hasSession(): boolean {
    return this.stok !== undefined;
  }

  /** The MD5 login (§7); stores the stok. */
  login(signal?: AbortSignal): Promise<void> {
    return loginOnNewConnection(this.http, () => this.loginOnce(signal));
  }

  private async loginOnce(signal?: AbortSignal): Promise<void> {
    this.stok = undefined;
    const first = this.credentials.username || 'admin';
    let attempt = await this.attempt(first, first !== 'admin', signal);
    if (attempt === 'retry-admin') attempt = await this.attempt('admin', false, signal);
    if (attempt === 'retry-admin') throw unknownUserError('admin');
    this.stok = attempt;
  }

  /** Sends one plain command envelope and returns the reply as the camera sent it. */
  async send(request: JsonObject, signal?: AbortSignal): Promise<JsonObject> {
    const stok = this.stok;
    if (stok === undefined) {
      throw new TapoError('SessionExpired', 'cameraNoSession', { sent: false });
    }
    const res = await this.post(stokPath(stok), JSON.stringify(request), signal);
    if (res.status === 500) {
      this.dropSession(stok);
      throw new TapoError('SessionExpired', 'cameraSessionEnded500', { httpStatus: 500 });
    }
    if (res.status === 403 || res.status === 404) {
      this.dropSession(stok);
      throw refusedPathError(res.status);
    }
    if (res.status !== 200) {
      throw new TapoError('Transport', 'cameraRequestHttp', { params: { status: res.status }, httpStatus: res.status });
    }
    const reply = parseJsonObject(res.body);
    if (reply === undefined) throw garbledCameraReply(res, 'cameraGarbledCommand');
    if (reply['error_code'] === -40401) {
      this.dropSession(stok);
      throw new TapoError('SessionExpired', 'cameraSessionReplaced', { code: -40401 });
    }
    return reply;
  }

  /** Forgets the session. */
  reset(): void {
    this.stok = undefined;
  }

  /** Forgets the session and closes the sockets. */
  async close(): Promise<void> {
    this.stok = undefined;
    await this.http.close();
  }

  private dropSession(stok: string): void {
    if (this.stok === stok) this.stok = undefined;
  }

  /** One login request; returns the stok, `'retry-admin'` for an unknown user that may retry, or throws. */
  private async attempt(username: string, mayRetryAsAdmin: boolean, signal?: AbortSignal): Promise<string | 'retry-admin'> {
    const res = await this.post('/', cameraLegacyLoginBody(username, this.credentials.password), signal);
    const reply = parseJsonObject(res.body);
    if (reply !== undefined) {
      const locked = cameraLockout(reply, 'login');
      if (locked) throw locked;
    }
    if (isUnknownUser(res.status, reply)) {
      if (mayRetryAsAdmin) return 'retry-admin';
      throw unknownUserError(username);
    }
    if (reply === undefined) throw garbledCameraReply(res, 'cameraGarbledLogin');
    const code = reply['error_code'];
    if (code === 0) {
      const result = reply['result'];
      const stok = result !== null && typeof result === 'object' && !Array.isArray(result) ? result['stok'] : undefined;
      if (typeof stok !== 'string' || stok === '') throw garbledCameraReply(res, 'cameraGarbledLoginNoStok');
      return stok;
    }
    if (code === -40211) {
      throw new TapoError('Unsupported', 'cameraTpapOnly', {
        code,
        suggestedScheme: 'tpap',
        hint: 'useSchemeTpap',
      });
    }
    if (offersSecureLogin(cameraLoginData(reply))) {
      throw new TapoError('Unsupported', 'cameraSecureOnly', {
        ...(typeof code === 'number' ? { code } : {}),
        suggestedScheme: 'camera-secure',
        hint: 'useSchemeCameraSecure',
      });
    }
    if (typeof code !== 'number') throw garbledCameraReply(res, 'cameraGarbledLogin');
    const mapped = errorFromCode('camera', code, 'login');
    if (mapped.kind !== 'SessionExpired' && mapped.kind !== 'Authentication') throw mapped;
    // Legacy firmware answers a wrong password with -40401 (plus attempt counters): at login it is
    // a credential problem, not an expired session.
    throw new TapoError('Authentication', 'cameraLoginRejected', { code, hint: 'useAdminCloudPassword' });
  }

  private post(path: string, body: string, signal?: AbortSignal): Promise<HttpResponse> {
    const headers = this.headers;
    return this.http.request(`${this.baseUrl}${path}`, signal ? { body, headers, signal } : { body, headers });
  }
}

/** True when a login reply comes from secure-only firmware: `device_confirm`, or `encrypt_type` offering only "3". */
function offersSecureLogin(data: JsonObject | undefined): boolean {
  if (data === undefined) return false;
  if (typeof data['device_confirm'] === 'string') return true;
  const encryptType: JsonValue | undefined = data['encrypt_type'];
  const types = Array.isArray(encryptType) ? encryptType : [];
  return types.includes('3') && !types.includes('1') && !types.includes('2');
}
