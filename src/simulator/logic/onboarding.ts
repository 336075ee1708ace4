/**
 * Onboarding mode of a simulated device: a camera in AP mode (camera.md §12, methods-camera.md §9)
 * and a plug waiting for its quick setup (methods-plug.md §7). It sits in front of the device's
 * own logic and answers the onboarding methods; everything else goes to that logic.
 *
 * Camera (logged in as `admin` with the factory password, camera.md §4):
 * 1. `scanApList` `{"onboarding":{"scan":{}}}` → `{"onboarding":{"scan":{"ap_list":[{ssid, bssid,
 *    auth, encryption, rssi, channel}…], "wpa3_supported":"false", "publicKey":"<base64 DER>"}}}`.
 *    The key is an RSA-1024 pair made for this device on the first scan. Variant `scanKey: 'none'`
 *    sends `publicKey: ""`: a client then encrypts under the Tapo app's static key, whose private
 *    half nobody has, so the simulator can only check that variant when it is given a stand-in
 *    private key (`staticPrivateKeyPem`, e.g. the test key of vectors.json) that the client is
 *    told to use as the "static" key.
 * 2. `connectAp` `{"onboarding":{"connect":{ssid, bssid, auth, encryption, rssi, password}}}`: the
 *    password is RSA PKCS#1 v1.5 ciphertext, base64. A real camera switches networks at once and
 *    does not answer (camera.md §12), so the reply is lost (`onNetworkSwitch`) whatever happens
 *    next: the right password for a known SSID joins (onboarding mode ends, sessions end); a wrong
 *    password or an unknown SSID fails and the camera stays in onboarding mode, as python-kasa
 *    says a device does ("returns to the previous state after some delay"). A ciphertext that does
 *    not decrypt is answered at once with -40209 (simulator choice: the camera cannot even try).
 * 3. `getConnectStatus` → `{"onboarding":{"get_connect_status":{"status":0}}}`. The facts show only
 *    the value 0 and say nothing of the others, so the simulator always reports 0 while it is in
 *    onboarding mode.
 * After onboarding (or on a camera never put in onboarding mode) the three methods answer -40101,
 * the code the brief and pytapo's table give for "parameter does not exist" (errors.md §3).
 *
 * Plug (logged in with blank credentials: never bound, plug-klap.md §3):
 * - `get_wireless_scan_info` `{"start_index":0}` → `{"ap_list":[{ssid (base64), bssid, key_type,
 *   cipher_type, channel, signal_level}], "start_index":0, "sum":N}` (answered in any mode);
 * - `set_qs_info` `{account:{username, password}, wireless:{ssid, password, key_type}, time}`, all
 *   base64 strings: the right password for a known SSID binds the account (it becomes the
 *   device's login), joins and ends onboarding mode; otherwise nothing is bound and the plug stays
 *   in onboarding mode. Either way the reply is lost (the plug switches network). Missing or
 *   non-base64 fields are refused at once with -1008. Not in onboarding mode: -1201
 *   (QUICK_SETUP_ERROR; a simulator choice — the facts name the code, not when it is used).
 */
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import type { DeviceLogic, SimFamily, SimJson, SimJsonObject } from '../types';
import { isObject, own } from './json';

/** One access point the simulated device "sees", with the password that joins it. */
export interface SimAccessPoint {
  ssid: string;
  bssid: string;
  /** Camera `auth` (small integer, echoed back in `connectAp`). */
  auth: number;
  /** Camera `encryption` (small integer, echoed back in `connectAp`). */
  encryption: number;
  /** Signal strength in dBm. */
  rssi: number;
  channel: number;
  /** Plug `key_type`, e.g. `wpa2_psk`. */
  keyType: string;
  /** The network's password (what joining needs). */
  password: string;
}

/** Password of the default networks. */
export const DEFAULT_WIFI_PASSWORD = 'tapo-sim-wifi';

/** What a device in onboarding mode sees by default: a home network, a neighbour's, a hidden-ish guest one. */
export const DEFAULT_ACCESS_POINTS: readonly SimAccessPoint[] = [
  { ssid: 'Home', bssid: 'aa:bb:cc:dd:ee:01', auth: 3, encryption: 3, rssi: -42, channel: 6, keyType: 'wpa2_psk', password: DEFAULT_WIFI_PASSWORD },
  { ssid: 'Neighbour 5G', bssid: 'aa:bb:cc:dd:ee:02', auth: 3, encryption: 3, rssi: -71, channel: 36, keyType: 'wpa2_psk', password: 'not-yours-1' },
  { ssid: 'Café Gäste', bssid: 'aa:bb:cc:dd:ee:03', auth: 4, encryption: 3, rssi: -80, channel: 11, keyType: 'wpa3_sae', password: 'espresso-99' },
];

/** The factory password of a camera on secure (`encrypt_type` 3) firmware (camera.md §4). */
export const CAMERA_FACTORY_PASSWORD = 'TPL075526460603';
/** The factory password of a camera on legacy firmware (camera.md §4). */
export const CAMERA_LEGACY_FACTORY_PASSWORD = 'admin';

/** Options of the onboarding mode. */
export interface OnboardingOptions {
  /** Networks in range (default {@link DEFAULT_ACCESS_POINTS}). */
  accessPoints?: readonly SimAccessPoint[];
  /** Cameras: `device` (default) sends the device's own key in the scan; `none` sends `""`. */
  scanKey?: 'device' | 'none';
  /** Cameras with `scanKey: 'none'`: the private key standing in for the app's static key (PEM). */
  staticPrivateKeyPem?: string;
}

/** One join attempt, as tests read it (no password). */
export interface OnboardingAttempt {
  ssid: string;
  joined: boolean;
}

/** What tests assert on. */
export interface OnboardingState {
  /** True while the device is in onboarding mode. */
  active: boolean;
  /** The network joined, once joined. */
  joined: { ssid: string; bssid: string } | null;
  /** Every join attempt, in order. */
  attempts: OnboardingAttempt[];
  /** Plugs: the account bound by `set_qs_info` (user name only). */
  boundUsername: string | null;
}

/** What the device does for the mode: lose the current reply, and end sessions after a join. */
export interface OnboardingHooks {
  /** The device switches network now: the reply to the current request is lost; `joined` ends every session too. */
  onNetworkSwitch(joined: boolean): void;
  /** The account the device is bound to (plugs: rewritten by a successful `set_qs_info`). */
  readonly credentials: { username: string; password: string };
}

const PARAMETER_NOT_EXIST = -40101;
const INVALID_ARGUMENTS = -40209;
const PARAMS_ERROR = -1008;
const QUICK_SETUP_ERROR = -1201;

const CAMERA_METHODS = new Set(['scanApList', 'connectAp', 'getConnectStatus']);
const PLUG_METHODS = new Set(['get_wireless_scan_info', 'set_qs_info']);

class Refusal extends Error {
  constructor(readonly code: number) {
    super(`onboarding refusal ${code}`);
  }
}

/** Strict base64 text → UTF-8, or undefined when it is not base64. */
function fromBase64(value: SimJson | undefined): string | undefined {
  if (typeof value !== 'string' || value === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  return Buffer.from(value, 'base64').toString('utf8');
}

/**
 * The device's onboarding mode, in front of its logic (see the file header). Not in onboarding
 * mode it still answers the onboarding methods, the way a set-up device does.
 */
export class OnboardingLogic implements DeviceLogic {
  readonly family: SimFamily;
  private readonly accessPoints: readonly SimAccessPoint[];
  private readonly scanKey: 'device' | 'none';
  private readonly staticPrivateKeyPem: string | undefined;
  private keyPair: { publicDerB64: string; privatePem: string } | undefined;
  private active: boolean;
  private joined: { ssid: string; bssid: string } | null = null;
  private readonly attempts: OnboardingAttempt[] = [];
  private boundUsername: string | null = null;

  constructor(
    private readonly inner: DeviceLogic,
    private readonly hooks: OnboardingHooks,
    active: boolean,
    options: OnboardingOptions = {},
  ) {
    this.family = inner.family;
    this.active = active;
    this.accessPoints = (options.accessPoints ?? DEFAULT_ACCESS_POINTS).map((ap) => ({ ...ap }));
    this.scanKey = options.scanKey ?? 'device';
    this.staticPrivateKeyPem = options.staticPrivateKeyPem;
  }

  /** Live state, for tests and the control endpoint (no passwords). */
  get state(): OnboardingState {
    return {
      active: this.active,
      joined: this.joined === null ? null : { ...this.joined },
      attempts: this.attempts.map((a) => ({ ...a })),
      boundUsername: this.boundUsername,
    };
  }

  handle(request: SimJsonObject): SimJsonObject {
    const method = request.method;
    const mine = this.family === 'camera' ? CAMERA_METHODS : PLUG_METHODS;
    if (typeof method === 'string' && mine.has(method)) return this.single(method, request.params);
    if (method === 'multipleRequest' && isObject(request.params) && Array.isArray(request.params.requests)) {
      const subs = request.params.requests;
      if (subs.some((s) => isObject(s) && typeof s.method === 'string' && mine.has(s.method))) return this.batch(request, subs);
    }
    return this.inner.handle(request);
  }

  /** A lone onboarding method: `{error_code, result}`. */
  private single(method: string, params: SimJson | undefined): SimJsonObject {
    try {
      return { error_code: 0, result: this.run(method, isObject(params) ? params : {}) };
    } catch (err) {
      if (err instanceof Refusal) return { error_code: err.code };
      throw err;
    }
  }

  /**
   * A batch holding onboarding methods, in order, stopping at the first failure. Camera entries of
   * the onboarding methods carry no `method` key (camera.md §9); the other entries come from the
   * device's logic, one sub-request at a time.
   */
  private batch(request: SimJsonObject, subs: SimJson[]): SimJsonObject {
    const mine = this.family === 'camera' ? CAMERA_METHODS : PLUG_METHODS;
    const responses: SimJson[] = [];
    for (const sub of subs) {
      if (!isObject(sub)) break;
      const method = typeof sub.method === 'string' ? sub.method : '';
      let entry: SimJsonObject;
      if (mine.has(method)) {
        const reply = this.single(method, sub.params);
        entry = this.family === 'camera' ? reply : { method, ...reply };
      } else {
        const one = this.inner.handle({ ...request, params: { requests: [sub] } });
        const first = isObject(one.result) && Array.isArray(one.result.responses) ? one.result.responses[0] : undefined;
        entry = isObject(first) ? first : { method, error_code: typeof one.error_code === 'number' ? one.error_code : -1 };
      }
      responses.push(entry);
      if (entry.error_code !== 0) break;
    }
    return { error_code: 0, result: { responses } };
  }

  private run(method: string, params: SimJsonObject): SimJsonObject {
    switch (method) {
      case 'scanApList':
        return this.cameraScan();
      case 'connectAp':
        return this.cameraConnect(params);
      case 'getConnectStatus':
        if (!this.active) throw new Refusal(PARAMETER_NOT_EXIST);
        return { onboarding: { get_connect_status: { status: 0 } } };
      case 'get_wireless_scan_info':
        return this.plugScan();
      case 'set_qs_info':
        return this.plugQuickSetup(params);
      default:
        throw new Error(`not an onboarding method: ${method}`);
    }
  }

  private cameraScan(): SimJsonObject {
    if (!this.active) throw new Refusal(PARAMETER_NOT_EXIST);
    const apList = this.accessPoints.map((ap) => ({ ssid: ap.ssid, bssid: ap.bssid, auth: ap.auth, encryption: ap.encryption, rssi: ap.rssi, channel: ap.channel }));
    const publicKey = this.scanKey === 'device' ? this.deviceKey().publicDerB64 : '';
    return { onboarding: { scan: { ap_list: apList, wpa3_supported: 'false', publicKey } } };
  }

  private cameraConnect(params: SimJsonObject): SimJsonObject {
    if (!this.active) throw new Refusal(PARAMETER_NOT_EXIST);
    const onboarding = own(params, 'onboarding');
    const connect = isObject(onboarding) ? own(onboarding, 'connect') : undefined;
    if (!isObject(connect) || typeof connect.ssid !== 'string' || typeof connect.password !== 'string') throw new Refusal(INVALID_ARGUMENTS);
    const password = this.decrypt(connect.password);
    if (password === undefined) throw new Refusal(INVALID_ARGUMENTS);
    const bssid = typeof connect.bssid === 'string' ? connect.bssid.toLowerCase() : undefined;
    const ap = this.accessPoints.find((a) => a.ssid === connect.ssid && (bssid === undefined || a.bssid === bssid));
    this.attemptJoin(ap, connect.ssid, password);
    return {};
  }

  private plugScan(): SimJsonObject {
    const apList = this.accessPoints.map((ap) => ({
      ssid: Buffer.from(ap.ssid, 'utf8').toString('base64'),
      bssid: ap.bssid,
      key_type: ap.keyType,
      cipher_type: 2,
      channel: ap.channel,
      signal_level: ap.rssi > -55 ? 3 : ap.rssi > -75 ? 2 : 1,
    }));
    return { ap_list: apList, start_index: 0, sum: apList.length };
  }

  private plugQuickSetup(params: SimJsonObject): SimJsonObject {
    if (!this.active) throw new Refusal(QUICK_SETUP_ERROR);
    const account = own(params, 'account');
    const wireless = own(params, 'wireless');
    if (!isObject(account) || !isObject(wireless)) throw new Refusal(PARAMS_ERROR);
    const username = fromBase64(account.username);
    const accountPassword = fromBase64(account.password);
    const ssid = fromBase64(wireless.ssid);
    const password = fromBase64(wireless.password);
    if (username === undefined || accountPassword === undefined || ssid === undefined || password === undefined || typeof wireless.key_type !== 'string') {
      throw new Refusal(PARAMS_ERROR);
    }
    const ap = this.accessPoints.find((a) => a.ssid === ssid);
    if (this.attemptJoin(ap, ssid, password)) {
      this.hooks.credentials.username = username;
      this.hooks.credentials.password = accountPassword;
      this.boundUsername = username;
    }
    return {};
  }

  /** Tries to join; the device leaves its own network either way, so the reply is lost. */
  private attemptJoin(ap: SimAccessPoint | undefined, ssid: string, password: string): boolean {
    const joined = ap !== undefined && ap.password === password;
    this.attempts.push({ ssid, joined });
    if (joined) {
      this.active = false;
      this.joined = { ssid: ap.ssid, bssid: ap.bssid };
    }
    this.hooks.onNetworkSwitch(joined);
    return joined;
  }

  /** RSA PKCS#1 v1.5 decryption with the device key (or the stand-in static key); undefined when it fails. */
  private decrypt(b64: string): string | undefined {
    const pem = this.scanKey === 'device' ? this.deviceKey().privatePem : this.staticPrivateKeyPem;
    if (pem === undefined) return undefined;
    try {
      // node-forge: Node refuses PKCS#1 v1.5 private decryption since 2024 (field-issues.md §11).
      const key = forge.pki.privateKeyFromPem(pem);
      const plain = key.decrypt(forge.util.decode64(b64), 'RSAES-PKCS1-V1_5');
      return forge.util.decodeUtf8(plain);
    } catch {
      return undefined;
    }
  }

  private deviceKey(): { publicDerB64: string; privatePem: string } {
    if (this.keyPair === undefined) {
      const pair = generateKeyPairSync('rsa', { modulusLength: 1024, publicExponent: 65537 });
      this.keyPair = {
        publicDerB64: pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        privatePem: pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      };
    }
    return this.keyPair;
  }
}
