/**
 * Onboarding: putting a factory-fresh device on a Wi-Fi network, locally, without the cloud.
 *
 * Camera in AP mode (camera.md §12, methods-camera.md §9). The camera opens its own Wi-Fi
 * (`Tapo_Cam_XXXX`) and answers at {@link CAMERA_AP_HOST}; the connection logs in as `admin` with
 * the factory password ({@link CAMERA_FACTORY_PASSWORD}, camera.md §4). Then:
 * 1. `scanApList` `{"onboarding":{"scan":{}}}` → the networks it sees and an RSA public key, read at
 *    `onboarding.scan.{ap_list, publicKey}` (python-kasa) or `onboarding.{ap_list, public_key}`
 *    (kennedn/tapo-onboarding, PEM); the key may be base64 DER or PEM, or empty.
 * 2. `connectAp` with the chosen network's fields echoed back and the Wi-Fi password encrypted with
 *    RSA PKCS#1 v1.5 under that key, base64 (no key ⇒ the 1024-bit key of the Tapo app,
 *    {@link APP_STATIC_PUBLIC_KEY_B64}, a copy of python-kasa's `STATIC_PUBLIC_KEY_B64`). The camera
 *    switches networks at once and usually never answers: a lost reply or a timeout means "sent".
 *    Sent alone, never in a batch, never replayed.
 * 3. Following the outcome (bounded): `getConnectStatus` until the camera stops answering as an
 *    onboarding camera. -40101 (no onboarding any more) means it joined; still answering in
 *    onboarding mode when the time is up means it could not join (wrong Wi-Fi password, out of
 *    range); gone for the whole time means it left its own network and did not come back, which
 *    is what a join looks like from the setup network. The meaning of the `status` values is not
 *    documented (only 0 is seen), so they are reported as they came and not interpreted.
 *
 * Plug (methods-plug.md §7): logged in with blank credentials (a never-bound plug, plug-klap.md
 * §3), `get_wireless_scan_info` lists the networks (SSIDs in base64); `set_qs_info` binds the
 * TP-Link account and joins the network in one request (base64 fields, plus the plug's own
 * `get_device_time`). The plug, too, switches at once; following it means reading
 * `get_device_info` with the setup session until it stops answering as an unbound plug.
 *
 * Errors: -40101 from a scan or join (camera) and -1201 from `set_qs_info` (plug) say plainly that
 * the device is already set up and must be reset; a refused factory login says the same, and is
 * never tried again (the connection holds further logins off, camera.md §10). Bad inputs are
 * refused before anything is sent. No text here carries a password.
 */
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { TapoError, isTapoError } from '../protocol/errors';
import type { JsonObject, JsonValue } from '../protocol/types';
import { arr, checkReply, num, obj, str } from './check';
import type { Requester } from './requester';

/** Where a camera in AP mode answers (kennedn/tapo-onboarding issue #1). Only a default for the CLI and dialog. */
export const CAMERA_AP_HOST = '192.168.191.1';
/** The factory password of `admin` on `encrypt_type` "3" cameras (camera.md §4, python-kasa `TAPOCAMERA_LV3`). */
export const CAMERA_FACTORY_PASSWORD = 'TPL075526460603';
/** The user name of a camera's factory login. */
export const CAMERA_FACTORY_USERNAME = 'admin';
/**
 * The Tapo app's RSA-1024 public key (base64 DER), used for the Wi-Fi password when the scan sends
 * no key (camera.md §12; python-kasa kasa/smartcam/smartcamdevice.py `STATIC_PUBLIC_KEY_B64`).
 */
export const APP_STATIC_PUBLIC_KEY_B64 =
  'MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC4D6i0oD/Ga5qb//RfSe8MrPVIrMIGecCxkcGWGj9kxxk74qQNq8XUuXoy2PczQ30BpiRHrlkbtBEPeWLpq85tfubTUjhBz1NPNvWrC88uaYVGvzNpgzZOqDC35961uPTuvdUa8vztcUQjEZy16WbmetRjURFIiWJgFCmemyYVbQIDAQAB';

/** -40101: a set-up camera's answer to the onboarding methods. */
const CAMERA_NOT_ONBOARDING = -40101;
/** -1201 QUICK_SETUP_ERROR: a set-up plug's answer to `set_qs_info` (as the simulator plays it). */
const PLUG_NOT_ONBOARDING = -1201;

/** Default time to follow a join, in ms. */
export const DEFAULT_FOLLOW_MS = 20_000;
/** Default pause between two looks at a joining device, in ms. */
export const DEFAULT_POLL_MS = 1_000;
/** Default deadline of the join request itself, in ms (it is usually never answered). */
export const DEFAULT_SEND_TIMEOUT_MS = 5_000;

/** A Wi-Fi network as the device sees it. */
export interface AccessPoint {
  ssid: string;
  bssid: string;
  /** Cameras: `auth` (echoed back on join). */
  auth?: number;
  /** Cameras: `encryption` (echoed back on join). */
  encryption?: number;
  /** Cameras: signal in dBm. */
  rssi?: number;
  channel?: number;
  /** Plugs: `key_type` (e.g. `wpa2_psk`), sent back on join. */
  keyType?: string;
  /** Plugs: `signal_level`. */
  signalLevel?: number;
}

/** What a scan found. */
export interface ScanResult {
  accessPoints: AccessPoint[];
  /** Cameras: whose key the Wi-Fi password will be encrypted with. */
  key?: 'device' | 'app';
}

/** What to join. */
export interface JoinRequest {
  ssid: string;
  password: string;
  /** Which of several networks with this SSID. */
  bssid?: string;
}

/** What to do for a plug: the network and the account to bind. */
export interface PlugOnboardRequest extends JoinRequest {
  account: { username: string; password: string };
}

/** How to follow a join. */
export interface FollowOptions {
  /** Follow the device after sending (default true). */
  follow?: boolean;
  /** How long to follow, in ms (default {@link DEFAULT_FOLLOW_MS}); the last look may end up to one request deadline later. */
  followMs?: number;
  /** Pause between looks, in ms (default {@link DEFAULT_POLL_MS}). */
  pollMs?: number;
  /** Deadline of the join request and of each look while following, in ms (default {@link DEFAULT_SEND_TIMEOUT_MS}). */
  sendTimeoutMs?: number;
}

/**
 * How a join ended (no password in it):
 * - `joined`: the device answered and is no longer in onboarding mode;
 * - `left`: it left its setup network and did not come back while followed (what a join looks like);
 * - `sent`: not followed.
 */
export interface JoinResult {
  ssid: string;
  bssid?: string;
  outcome: 'joined' | 'left' | 'sent';
  /** Whether the device answered the join request itself (usually not). */
  answered: boolean;
  /** Cameras: `getConnectStatus` values seen while following, as sent (their meaning is undocumented). */
  statuses: number[];
}

/** Options of {@link Onboarding}. */
export interface OnboardingOptions {
  /** The key used when a camera's scan sends none (default {@link APP_STATIC_PUBLIC_KEY_B64}); tests give a stand-in. */
  staticPublicKey?: string;
  /** Pause function (tests may pass one that resolves at once). */
  sleep?: (ms: number) => Promise<void>;
  /** Monotonic clock in ms (default `performance.now`). */
  now?: () => number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads an RSA public key given as base64 DER (SPKI or PKCS#1), or PEM (kennedn's placement).
 * Throws a `Device` error when it is not one.
 */
export function readOnboardingKey(text: string): KeyObject {
  const trimmed = text.trim();
  try {
    if (trimmed.includes('-----BEGIN')) return createPublicKey(trimmed);
    const der = Buffer.from(decodeURIComponent(trimmed).replace(/\s+/g, ''), 'base64');
    try {
      return createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch {
      return createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
    }
  } catch (cause) {
    throw new TapoError('Device', 'onboardingNoKey', { hint: 'onboardingScanAgain', sent: false, cause });
  }
}

/** The Wi-Fi password as `connectAp` carries it: RSA PKCS#1 v1.5 under `key`, base64 (camera.md §12). */
export function encryptWifiPassword(password: string, key: KeyObject | string): string {
  const publicKey = typeof key === 'string' ? readOnboardingKey(key) : key;
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(password, 'utf8')).toString('base64');
}

/** Checks a join request; throws an `Input` error (nothing sent) that names what is wrong, never the password. */
export function checkJoinRequest(request: JoinRequest): void {
  const ssidBytes = typeof request.ssid === 'string' ? Buffer.byteLength(request.ssid, 'utf8') : 0;
  if (ssidBytes < 1 || ssidBytes > 32) {
    throw new TapoError('Input', 'onboardingNoSsid', { params: { length: ssidBytes }, hint: 'onboardingPickNetwork', sent: false });
  }
  const password = typeof request.password === 'string' ? request.password : '';
  const ok = (password.length >= 8 && password.length <= 63) || /^[0-9a-fA-F]{64}$/.test(password);
  if (!ok) {
    throw new TapoError('Input', 'onboardingBadPassword', { params: { length: password.length }, hint: 'onboardingCheckWifiPassword', sent: false });
  }
  if (request.bssid !== undefined && !/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(request.bssid)) {
    throw new TapoError('Input', 'onboardingBadBssid', { params: { value: String(request.bssid).slice(0, 40) }, hint: 'onboardingPickNetwork', sent: false });
  }
}

const normaliseBssid = (bssid: string): string => bssid.toLowerCase().replace(/-/g, ':');

/** One device's onboarding, over a requester logged in with the factory login. */
export class Onboarding {
  private scanned: { accessPoints: AccessPoint[]; key: KeyObject | undefined; keyFrom: 'device' | 'app' } | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(
    private readonly requester: Requester,
    private readonly options: OnboardingOptions = {},
  ) {
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? (() => performance.now());
  }

  private get kind(): 'camera' | 'plug' {
    return this.requester.family === 'camera' ? 'camera' : 'plug';
  }

  /** Lists the networks the device sees (camera `scanApList`, plug `get_wireless_scan_info`). */
  async scanAccessPoints(): Promise<ScanResult> {
    if (this.kind === 'camera') {
      const result = await this.send({ method: 'scanApList', params: { onboarding: { scan: {} } } }, 'scanApList', true);
      const onboarding = obj(result.onboarding);
      const scan = obj(onboarding.scan);
      const list = arr(scan.ap_list ?? onboarding.ap_list);
      const accessPoints = list.map(obj).flatMap((ap): AccessPoint[] => {
        const ssid = str(ap.ssid);
        if (ssid === undefined || ssid === '') return [];
        const out: AccessPoint = { ssid, bssid: str(ap.bssid) ?? '' };
        for (const field of ['auth', 'encryption', 'rssi', 'channel'] as const) {
          const n = num(ap[field]);
          if (n !== undefined) out[field] = n;
        }
        return [out];
      });
      const keyText = str(scan.publicKey) ?? str(onboarding.public_key) ?? '';
      const key = keyText !== '' ? readOnboardingKey(keyText) : undefined;
      this.scanned = { accessPoints, key, keyFrom: key !== undefined ? 'device' : 'app' };
      return { accessPoints: accessPoints.map((ap) => ({ ...ap })), key: this.scanned.keyFrom };
    }
    const result = await this.send({ method: 'get_wireless_scan_info', params: { start_index: 0 } }, 'get_wireless_scan_info', true);
    const accessPoints = arr(result.ap_list)
      .map(obj)
      .flatMap((ap): AccessPoint[] => {
        const b64 = str(ap.ssid);
        const ssid = b64 !== undefined ? Buffer.from(b64, 'base64').toString('utf8') : '';
        if (ssid === '') return [];
        const out: AccessPoint = { ssid, bssid: str(ap.bssid) ?? '' };
        const keyType = str(ap.key_type);
        if (keyType !== undefined) out.keyType = keyType;
        const channel = num(ap.channel);
        if (channel !== undefined) out.channel = channel;
        const level = num(ap.signal_level);
        if (level !== undefined) out.signalLevel = level;
        return [out];
      });
    this.scanned = { accessPoints, key: undefined, keyFrom: 'app' };
    return { accessPoints: accessPoints.map((ap) => ({ ...ap })) };
  }

  /**
   * Camera: joins a network (scans first when it has not), then follows the outcome. Throws an
   * `Input` error before sending anything for a bad SSID, password or BSSID, or a network the
   * camera does not see; `onboardingJoinFailed` when the camera is still in onboarding mode at
   * the end; `onboardingCameraAlreadySetUp` when it is set up already.
   */
  async joinNetwork(request: JoinRequest, follow: FollowOptions = {}): Promise<JoinResult> {
    this.expect('camera', 'joinNetwork');
    checkJoinRequest(request);
    const ap = await this.pick(request);
    const scanned = this.scanned;
    const key = scanned?.key ?? readOnboardingKey(this.options.staticPublicKey ?? APP_STATIC_PUBLIC_KEY_B64);
    const connect: JsonObject = { ssid: ap.ssid, bssid: ap.bssid };
    for (const field of ['auth', 'encryption', 'rssi'] as const) {
      const value = ap[field];
      if (value !== undefined) connect[field] = value;
    }
    connect.password = encryptWifiPassword(request.password, key);
    const answered = await this.sendSwitch({ method: 'connectAp', params: { onboarding: { connect } } }, 'connectAp', follow);
    return this.followJoin(ap, answered, follow);
  }

  /**
   * Plug: binds the account and joins the network with one `set_qs_info` (after reading the plug's
   * time, which the request carries), then follows the outcome as {@link joinNetwork} does.
   */
  async onboardPlug(request: PlugOnboardRequest, follow: FollowOptions = {}): Promise<JoinResult> {
    this.expect('plug', 'onboardPlug');
    checkJoinRequest(request);
    const account = request.account as { username?: unknown; password?: unknown } | undefined;
    if (typeof account?.username !== 'string' || account.username === '' || typeof account.password !== 'string' || account.password === '') {
      throw new TapoError('Input', 'onboardingNoAccount', { hint: 'onboardingGiveAccount', sent: false });
    }
    const ap = await this.pick(request);
    const time = await this.send({ method: 'get_device_time' }, 'get_device_time', true);
    const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
    const params: JsonObject = {
      account: { username: b64(account.username), password: b64(account.password) },
      wireless: { ssid: b64(ap.ssid), password: b64(request.password), key_type: ap.keyType ?? 'wpa2_psk' },
      time,
    };
    const answered = await this.sendSwitch({ method: 'set_qs_info', params }, 'set_qs_info', follow);
    return this.followJoin(ap, answered, follow);
  }

  private expect(kind: 'camera' | 'plug', action: string): void {
    if (this.kind !== kind) {
      throw new TapoError('Input', 'onboardingWrongFamily', { params: { action, wanted: `${kind}s`, actual: this.kind }, sent: false });
    }
  }

  /** The scanned network to join; scans when nothing was scanned yet. */
  private async pick(request: JoinRequest): Promise<AccessPoint> {
    if (this.scanned === undefined) await this.scanAccessPoints();
    const list = this.scanned?.accessPoints ?? [];
    const bssid = request.bssid !== undefined ? normaliseBssid(request.bssid) : undefined;
    const ap = list.find((a) => a.ssid === request.ssid && (bssid === undefined || normaliseBssid(a.bssid) === bssid));
    if (ap !== undefined) return ap;
    const seen = list.length > 0 ? [...new Set(list.map((a) => `"${a.ssid}"`))].join(', ') : 'none';
    throw new TapoError('Input', 'onboardingNoSuchNetwork', {
      params: { kind: this.kind, ssid: request.ssid, bssid: bssid !== undefined ? ` (${bssid})` : '', seen },
      hint: 'onboardingPickNetwork',
      sent: false,
    });
  }

  /** One request; reply errors are mapped, with the "already set up" and "factory login refused" cases said plainly. */
  private async send(req: JsonObject, method: string, idempotent: boolean, timeoutMs?: number): Promise<JsonObject> {
    let reply: JsonObject;
    try {
      reply = await this.requester.request(req, { idempotent, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
    } catch (e) {
      throw this.loginRefused(e);
    }
    const code = num(reply.error_code);
    if (this.kind === 'camera' && code === CAMERA_NOT_ONBOARDING) {
      throw new TapoError('Unsupported', 'onboardingCameraAlreadySetUp', { code, context: method, hint: 'onboardingReset', sent: true });
    }
    if (this.kind === 'plug' && code === PLUG_NOT_ONBOARDING && method === 'set_qs_info') {
      throw new TapoError('Unsupported', 'onboardingPlugAlreadySetUp', { code, context: method, hint: 'onboardingReset', sent: true });
    }
    return checkReply(this.requester.family, reply, method);
  }

  /** A refused login with the factory credentials means the device is not waiting to be set up. */
  private loginRefused(e: unknown): unknown {
    if (!isTapoError(e, 'Authentication')) return e;
    const login = this.kind === 'camera' ? 'admin with the factory password' : 'no account';
    return new TapoError('Authentication', 'onboardingLoginRefused', {
      params: { kind: this.kind, login },
      hint: 'onboardingReset',
      sent: e.sent,
      ...(e.code !== undefined ? { code: e.code } : {}),
      cause: e,
    });
  }

  /**
   * Sends the request that makes the device switch networks, once. A reply lost after sending
   * (timeout, connection dropped) is what a switching device does: "sent", answered = false.
   */
  private async sendSwitch(req: JsonObject, method: string, follow: FollowOptions): Promise<boolean> {
    try {
      await this.send(req, method, false, follow.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
      return true;
    } catch (e) {
      if (isTapoError(e, 'Timeout', 'Transport') && e.sent) return false;
      if (isTapoError(e) && method === 'connectAp' && e.code === -40209) {
        throw new TapoError('Device', 'onboardingKeyRefused', { code: e.code, hint: 'onboardingScanAgain', sent: true, cause: e });
      }
      throw e;
    }
  }

  /** Follows a join for a bounded time (see the file header); throws `onboardingJoinFailed` when it did not happen. */
  private async followJoin(ap: AccessPoint, answered: boolean, follow: FollowOptions): Promise<JoinResult> {
    const base = { ssid: ap.ssid, ...(ap.bssid !== '' ? { bssid: ap.bssid } : {}), answered };
    const statuses: number[] = [];
    if (follow.follow === false) return { ...base, outcome: 'sent', statuses };
    const followMs = follow.followMs ?? DEFAULT_FOLLOW_MS;
    const pollMs = follow.pollMs ?? DEFAULT_POLL_MS;
    const start = this.now();
    let stillOnboarding = false;
    for (;;) {
      const left = followMs - (this.now() - start);
      if (left <= 0) break;
      // Each look gets its whole deadline (not what is left of the follow time): a look cut short
      // would read as "gone" and hide a camera that is still in onboarding mode.
      const look = await this.look(Math.min(follow.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS, followMs));
      if (look.state === 'set-up') return { ...base, outcome: 'joined', statuses };
      if (look.state === 'onboarding') {
        stillOnboarding = true;
        if (look.status !== undefined) statuses.push(look.status);
      } else {
        stillOnboarding = false;
      }
      const wait = Math.min(pollMs, followMs - (this.now() - start));
      if (wait <= 0) break;
      await this.sleep(wait);
    }
    if (!stillOnboarding) return { ...base, outcome: 'left', statuses };
    throw new TapoError('Device', 'onboardingJoinFailed', {
      params: { kind: this.kind, ssid: ap.ssid, seconds: Math.round(followMs / 100) / 10 },
      hint: 'onboardingCheckWifiPassword',
      sent: true,
    });
  }

  /** One look at a joining device: still onboarding (with its status), set up, or out of reach. */
  private async look(timeoutMs: number): Promise<{ state: 'onboarding' | 'set-up' | 'away'; status?: number }> {
    const req: JsonObject =
      this.kind === 'camera' ? { method: 'getConnectStatus', params: { onboarding: { get_connect_status: {} } } } : { method: 'get_device_info' };
    try {
      const reply: JsonValue = await this.requester.request(req, { idempotent: true, timeoutMs });
      const code = num(obj(reply).error_code);
      if (this.kind === 'camera' && code === CAMERA_NOT_ONBOARDING) return { state: 'set-up' };
      if (code !== undefined && code !== 0) return { state: 'away' };
      const status = num(obj(obj(obj(obj(reply).result).onboarding).get_connect_status).status);
      return status !== undefined ? { state: 'onboarding', status } : { state: 'onboarding' };
    } catch (e) {
      // The factory login refused after a join: the device is bound to the new account now.
      if (isTapoError(e, 'Authentication')) return { state: 'set-up' };
      if (isTapoError(e, 'Timeout', 'Transport', 'SessionExpired')) return { state: 'away' };
      throw e;
    }
  }
}
