/**
 * TPAP transport (SPAKE2+ on P-256, AES-128-CCM sessions) for cameras on late-2025/2026 firmware
 * and SMART plugs/bulbs that advertise `encrypt_type: "TPAP"`, following
 * ../shared/protocol/tpap.md (section numbers below refer to it). The handshake:
 *
 * 1. `POST /` `{"method":"login","params":{"sub_method":"discover"}}` (§2). The reply's `tpap`
 *    object gives `pake` (passcode types), `user_hash_type`, `tls`/`port`, `dac`; a reply with
 *    `tpap_preferred: false` and no `tpap` object means "use KLAP". A refusal with an error code
 *    (cameras need not implement discover) falls back to the defaults `pake: [2]`, hash type 0.
 * 2. `pake_register` (§3) with the hashed user name `admin`, 32 random bytes and the one passcode
 *    type the device's `pake` list selects (§4.1: `userpw` for every device seen). The reply carries
 *    `dev_random`, `dev_salt`, `dev_share` (Y), `iterations` and maybe `extra_crypt`, which turns the
 *    passcode into the credential (§4.2). Nothing about the password is checked at this step.
 * 3. The passcode: SMART devices take the password itself. Cameras take one hash of it, and the
 *    device's announcement says which (`tpapCameraPasswordForm`): `extra_crypt` password_shadow 5
 *    ⇒ SHA-256 (C200 hw5 1.4.6); no `extra_crypt` ⇒ MD5 (C510W, and the verifier the app sets up).
 * 4. SPAKE2+ (§5, pure functions in ./tpap-cipher): X = x·G + w0·M, Z, V, transcript, confirmation
 *    keys. `pake_share` (§6) sends X and `user_confirm`; the device answers `dev_confirm`, which must
 *    equal HMAC(KcB, X) (otherwise the peer does not know our password: abort), plus `stok`,
 *    `start_seq` and `expired`. A wrong credential is refused at `pake_share` with -40401, and that
 *    refusal is a failed login on the device's lockout counter (tpap.md §9). So one login makes one
 *    `pake_share`, never a second one with another passcode: a wrong password costs the device one
 *    failed attempt per login, which the connection's hold-off spaces out. Where the announcement does
 *    not settle the camera's form (`user_hash_type` 1, other `extra_crypt` kinds), a refused login
 *    makes this transport's next login use the other form: still one try per login, each counted by
 *    the connection's hold-off, and a camera with an unexpected form is reached on the second login.
 *    A lockout code stops the login at once.
 * 5. Session key and base nonce from SharedKey (§7).
 * 6. Each request: `POST /stok=<stok>/ds` (the stok as one path segment, percent-encoded only where
 *    a character could not stand in a segment: `stokPath`), body
 *    `uint32_be(seq) ‖ AES-CCM(plaintext) ‖ tag`, seq starting at `start_seq` and +1 per request
 *    sent, failed ones included (§8). The reply is a frame of the same shape, opened with the nonce
 *    of the reply's own seq prefix; a reply that parses as a whole JSON object with `error_code` is
 *    a refusal in clear. HTTP 401/500, and 403 or 404 (the device refused the path: a mangled
 *    token, or firmware that left TPAP, which the next login's discover finds out) end the session:
 *    `SessionExpired`, so the connection logs in once and replays. A frame that authenticates but
 *    holds JSON that is no envelope (`null`, an array ...) keeps the session: `Device`, "the device
 *    sent an unexpected reply to <method>".
 *
 * Cameras only accept `multipleRequest` plaintexts: a lone `{method, params}` is wrapped into one and
 * `responses[0]` is unwrapped again, so callers see the same envelope as with the other schemes.
 * A style-B `get`/`set`/`do` module object has no such wrapping; it is refused before sending with
 * the camera's own answer to it (`Unsupported`, code -40209, `sent: false`).
 * Session lifetime (§9): the transport asks for a new login shortly before `expired` (60 s, or half
 * the lifetime when that is shorter) on the injected monotonic clock. That early login (a refresh)
 * reuses what the first login learnt and the passcode that worked. Some cameras (a C200)
 * refuse a `pake_share` while their current session lives, with the code of a wrong password: that
 * is not a wrong password, since the same credential just opened the session. The old session is
 * then kept, used until the device ends it or it expires, and not refreshed again.
 */
import { randomBytes } from 'node:crypto';
import { unexpectedReply } from './envelope';
import { TapoError, errorFromCode, type DeviceFamily } from './errors';
import { HttpClient, loginOnNewConnection, stokPath, type HttpResponse } from './http';
import { isObject, parseJson } from './json';
import type { ReasonKey } from './reasons';
import {
  buildDiscoverBody,
  buildPakeRegisterBody,
  buildPakeShareBody,
  decryptDsFrame,
  deriveSessionKeys,
  devConfirmMatches,
  encryptDsFrame,
  spake2PlusClient,
  toInt32,
  tpapCameraPasswordForm,
  tpapCredential,
  tpapPasscode,
  tpapPasscodeType,
  tpapUserName,
  type TpapPasscode,
  type TpapPasscodeName,
  type TpapPasscodeType,
  type TpapPasswordForm,
  type TpapSessionKeys,
} from './tpap-cipher';
import { monotonicNow, type Transport, type TransportOptions } from './transport';
import type { JsonObject, JsonValue, SchemeName } from './types';


/** The reason of a camera login refused at `pake_share`, by the passcode that was sent. */
const REFUSED_PASSCODE: Readonly<Record<TpapPasscodeName, ReasonKey>> = {
  password: 'tpapRefusedPassword',
  passwordMd5: 'tpapRefusedPasswordMd5',
  passwordSha256: 'tpapRefusedPasswordSha256',
  defaultPasscode: 'tpapRefusedDefaultPasscode',
  sharedToken: 'tpapRefusedSharedToken',
};

/** Session lifetime assumed when the device does not announce `expired` (§9: 3600 s observed). */
const DEFAULT_EXPIRED_SECONDS = 3600;
/** Log in again this long before the announced expiry (at most; see {@link refreshMarginMs}). */
const EXPIRY_MARGIN_MS = 60_000;
/** Upper bound for the device-chosen PBKDF2 count (5000 observed); guards against a hostile peer. */
const MAX_ITERATIONS = 1_000_000;

/** Codes that lock the account (errors.md: -40404 DEVICE_BLOCKED with `sec_left`, -40408 SYSTEM_BLOCKED). */
const LOCKOUT_CODES = new Set([-40404, -40408]);
/** Codes `pake_share` uses for "this credential is wrong" (§4.2, errors.md). */
const WRONG_CREDENTIAL_CODES = new Set([-40401, -40413, -40418]);
/** What a TPAP camera answers on `/ds` to a plaintext that is not a `multipleRequest` (§8). */
const TPAP_NOT_MULTIPLE_REQUEST = -40209;
/** Refusals on `/ds` meaning the session is gone (§8). */
const SESSION_GONE_CODES = new Set([-40401, -40421, -2203]);

/** The `tpap` object of a discover reply (§2), normalised. */
export interface TpapCapabilities {
  /** 0 ⇒ HTTP, 1 ⇒ HTTPS without certificate checks, 2 ⇒ HTTPS with TP-Link's device CA. */
  tls: number;
  /** Port for the session; undefined when absent or 0 (use the port discover went to). */
  port?: number;
  /** Device attestation available (only used when `tls` is 0). */
  dac: boolean;
  /** Supported passcode types. */
  pake: number[];
  /** 0 ⇒ md5_hex_lower("admin"), 1 ⇒ SHA256_HEX_UPPER("admin"). */
  userHashType: number;
}

/** What `sub_method: discover` told us. */
export interface TpapDiscoverResult {
  /** The device MAC, when given. */
  mac?: string;
  /** The TPAP capabilities, when given. */
  tpap?: TpapCapabilities;
  /** False only when the device said `tpap_preferred: false` (it wants KLAP). */
  tpapPreferred: boolean;
}

/** Parses a body as a JSON object; undefined when the whole body is not one. */
function parseJsonObject(body: Buffer): JsonObject | undefined {
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

function obj(v: JsonValue | undefined): JsonObject | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

function num(v: JsonValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number.parseInt(v, 10);
  return undefined;
}

function b64(v: JsonValue | undefined): Buffer | undefined {
  return typeof v === 'string' && v.length > 0 ? Buffer.from(v, 'base64') : undefined;
}

/** Formats a host for a URL (brackets around a bare IPv6 address). */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** TPAP codes are camera-table codes even on SMART devices; -2203 and friends are SMART's. */
function tableFor(family: DeviceFamily, code: number): DeviceFamily {
  return code <= -40000 ? 'camera' : family;
}

/** The error code of a login reply, preferring a nested lockout code (`data.code`, errors.md §5). */
function replyCode(reply: JsonObject): number {
  const top = num(reply['error_code']) ?? 0;
  const nested = [obj(reply['data'])?.['code'], obj(obj(reply['result'])?.['data'])?.['code']]
    .map((c) => num(c))
    .find((c) => c !== undefined && LOCKOUT_CODES.has(c));
  return nested ?? top;
}

/** Seconds a lockout lasts, from `sec_left` wherever the device put it, or `error_info.lockedMinute`. */
function lockSeconds(reply: JsonObject): number | undefined {
  const result = obj(reply['result']);
  const places = [reply, obj(reply['data']), result, obj(result?.['data'])];
  for (const p of places) {
    const s = num(p?.['sec_left']);
    if (s !== undefined && s >= 0) return s;
  }
  for (const p of places) {
    const minutes = num(obj(p?.['error_info'])?.['lockedMinute']);
    if (minutes !== undefined && minutes >= 0) return minutes * 60;
  }
  return undefined;
}

/** True for a camera secure-login step-1 answer: `result.data` (or `data`) with a code, nonce or encrypt_type. */
function isSecureLoginAnswer(reply: JsonObject): boolean {
  const data = obj(obj(reply['result'])?.['data']) ?? obj(reply['data']);
  return data !== undefined && (num(data['code']) !== undefined || typeof data['nonce'] === 'string' || data['encrypt_type'] !== undefined);
}

/**
 * Sends `sub_method: discover` to `baseUrl` (e.g. `http://192.0.2.10:80`) and parses the reply (§2).
 * Throws `Unsupported` when the device does not speak TPAP (HTTP 4xx, or a body that is not JSON such
 * as a KLAP plug's HTML page), `Transport` for other statuses, and the mapped error for a non-zero
 * `error_code` (its `code` is set).
 */
export async function tpapDiscover(http: HttpClient, baseUrl: string, signal?: AbortSignal): Promise<TpapDiscoverResult> {
  const res = await http.request(`${baseUrl}/`, {
    headers: { 'content-type': 'application/json' },
    body: buildDiscoverBody(),
    ...(signal ? { signal } : {}),
  });
  if (res.status >= 400 && res.status < 500) {
    throw new TapoError('Unsupported', 'notTpapHttp', {
      params: { status: res.status },
      aboutScheme: true,
      httpStatus: res.status,
      hint: 'useSchemeAuto',
    });
  }
  if (res.status !== 200) {
    throw new TapoError('Transport', 'tpapDiscoverHttp', { params: { status: res.status }, httpStatus: res.status });
  }
  const reply = parseJsonObject(res.body);
  if (!reply) {
    // A KLAP plug answers any unknown POST with a small HTML page: the device is there, TPAP is not.
    throw new TapoError('Unsupported', 'notTpapNotJson', {
      aboutScheme: true,
      hint: 'useSchemeAuto',
    });
  }
  const code = replyCode(reply);
  if (code !== 0) {
    if (LOCKOUT_CODES.has(code)) throw errorFromCode('camera', code, 'TPAP discover', lockSeconds(reply));
    if (code === -40401 && isSecureLoginAnswer(reply)) {
      // The camera took the discover for a secure-login step 1 (camera.md §4: -40401 with data.code,
      // nonce or encrypt_type): it speaks the older login, not TPAP.
      throw new TapoError('Unsupported', 'tpapCameraSecureLogin', {
        code,
        suggestedScheme: 'camera-secure',
        hint: 'useSchemeAuto',
      });
    }
    throw errorFromCode('camera', code, 'TPAP discover');
  }
  const result = obj(reply['result']) ?? {};
  const out: TpapDiscoverResult = { tpapPreferred: result['tpap_preferred'] !== false };
  const mac = result['mac'];
  if (typeof mac === 'string') out.mac = mac;
  const t = obj(result['tpap']);
  if (t) {
    const pake = Array.isArray(t['pake']) ? t['pake'].map((p) => num(p)).filter((p): p is number => p !== undefined) : [];
    const caps: TpapCapabilities = {
      tls: num(t['tls']) ?? 0,
      dac: (num(t['dac']) ?? 0) !== 0,
      pake: pake.length > 0 ? pake : [2],
      userHashType: num(t['user_hash_type']) ?? 0,
    };
    const port = num(t['port']);
    if (port !== undefined && port > 0 && port < 65536) caps.port = port;
    out.tpap = caps;
  }
  return out;
}

/** What a login learnt from discover; an early refresh repeats it with the passcode that worked. */
interface TpapLoginPlan {
  baseUrl: string;
  userName: string;
  caps: TpapCapabilities | undefined;
  mac: string | undefined;
  passcodeType: TpapPasscodeType;
}

interface TpapSession {
  stok: string;
  keys: TpapSessionKeys;
  seq: number;
  /** When the device ends the session (announced `expired`, on the injected clock). */
  expiresAt: number;
  /** From here on the transport asks for a new login (`hasSession` false). */
  refreshAt: number;
  /** The device refused an early refresh while this session lived: keep it until it ends. */
  refreshRefused: boolean;
  plan: TpapLoginPlan;
  /** The passcode that opened the session (a refresh sends it again). */
  passcode: TpapPasscode;
}

/** How long before the end of a session of `lifetimeMs` to log in again: 60 s, or half a shorter lifetime. */
function refreshMarginMs(lifetimeMs: number): number {
  return Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 2);
}

/** The TPAP client transport (see the file comment for the handshake). */
export class TpapTransport implements Transport {
  /** Always `tpap`. */
  readonly scheme: SchemeName = 'tpap';
  /** `camera` (HTTPS 443, multipleRequest only) or `smart` (HTTP 80, the default). */
  readonly family: DeviceFamily;
  private readonly options: TransportOptions;
  private readonly http: HttpClient;
  private readonly now: () => number;
  private session: TpapSession | undefined;
  /**
   * Camera logins refused while the device's announcement left the password form open (see
   * step 4 of the file comment): an odd count makes the next such login use the other form.
   */
  private unsettledRefusals = 0;

  constructor(options: TransportOptions) {
    this.options = options;
    this.family = options.family ?? 'smart';
    this.now = options.now ?? monotonicNow;
    this.http = new HttpClient(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {});
  }

  /**
   * True while a session exists and is not yet due for a refresh (60 s, or half its lifetime, before
   * the announced expiry); after the device refused the refresh, true until the expiry itself.
   */
  get hasSession(): boolean {
    const s = this.session;
    if (s === undefined) return false;
    const now = this.now();
    return now < s.expiresAt && (now < s.refreshAt || s.refreshRefused);
  }

  /** Where discover and the login go: `https://host:443` (camera) or `http://host:80` (SMART), port overridable. */
  private get baseUrl(): string {
    const camera = this.family === 'camera';
    const port = this.options.port ?? (camera ? 443 : 80);
    return `${camera ? 'https' : 'http'}://${urlHost(this.options.host)}:${port}`;
  }

  /**
   * Discovers, then runs one register/share round (steps 1–5); restarted once from scratch, with
   * fresh values, if the device closed a kept-alive socket under one of its steps. While a session
   * still runs this is a refresh instead (see `refresh`).
   */
  login(signal?: AbortSignal): Promise<void> {
    return loginOnNewConnection(this.http, () => this.loginOnce(signal));
  }

  private async loginOnce(signal?: AbortSignal): Promise<void> {
    const live = this.session;
    if (live !== undefined && this.now() < live.expiresAt) return this.refresh(live, signal);
    this.session = undefined;
    const base = this.baseUrl;
    let discovered: TpapDiscoverResult = { tpapPreferred: true };
    try {
      discovered = await tpapDiscover(this.http, base, signal);
    } catch (e) {
      // A device-level refusal of discover (it is optional on cameras) leaves the defaults; a lockout,
      // a network failure, a missing endpoint or an answer in another login scheme ends the login.
      if (!(e instanceof TapoError) || e.code === undefined || e.kind === 'Locked' || e.aboutScheme) throw e;
    }
    if (!discovered.tpap && !discovered.tpapPreferred) {
      throw new TapoError('Unsupported', 'tpapNotPreferred', {
        suggestedScheme: this.family === 'camera' ? 'camera-secure' : 'klap',
        hint: 'useSchemeKlap',
      });
    }
    const caps = discovered.tpap;
    const sessionBase = this.sessionBaseUrl(base, caps);
    const passcodeType = tpapPasscodeType(caps?.pake, discovered.mac);
    if (passcodeType === undefined) {
      throw new TapoError('Unsupported', 'tpapNoPasscodeType', { params: { pake: JSON.stringify(caps?.pake ?? []) }, aboutScheme: true });
    }
    const plan: TpapLoginPlan = { baseUrl: sessionBase, userName: tpapUserName(caps?.userHashType), caps, mac: discovered.mac, passcodeType };
    const outcome = await this.tryPasscode(plan, undefined, signal);
    if ('session' in outcome) {
      this.session = outcome.session;
      return;
    }
    if (this.family === 'camera') {
      throw new TapoError('Authentication', REFUSED_PASSCODE[outcome.refused.name], { hint: 'checkCameraPassword' });
    }
    // SMART devices derive the TPAP credential from the account e-mail and password (§4.2).
    throw new TapoError('Authentication', 'tpapAccountRefused', { hint: 'checkAccount' });
  }

  /**
   * The passcode for this login, chosen from the `pake_register` reply (step 3). On a camera an
   * unsettled choice alternates between the two forms from one refused login to the next.
   */
  private choosePasscode(plan: TpapLoginPlan, extraCrypt: JsonValue | undefined): { passcode: TpapPasscode; settled: boolean } {
    const password = this.options.credentials.password;
    const mac = plan.mac !== undefined ? { mac: plan.mac } : {};
    if (plan.passcodeType !== 'userpw' || this.family !== 'camera') {
      return { passcode: tpapPasscode(plan.passcodeType, this.family, password, mac), settled: true };
    }
    const choice = tpapCameraPasswordForm(extraCrypt, plan.caps?.userHashType);
    let form: TpapPasswordForm = choice.form;
    if (!choice.settled && this.unsettledRefusals % 2 === 1) form = form === 'md5' ? 'sha256' : 'md5';
    return { passcode: tpapPasscode('userpw', this.family, password, { ...mac, form }), settled: choice.settled };
  }

  /**
   * Logs in again while `live` still runs (§9), with the plan and passcode that opened it. A refusal
   * with a wrong-credential code cannot mean a wrong password here (the same credential opened the
   * live session): C200 firmware answers any `pake_share` that way while a session lives. The live
   * session is kept and marked, so that it serves until it ends instead of being refreshed again;
   * no other passcode is tried (each refusal counts as a failed login on the device). Any other
   * failure is thrown and leaves the live session in place.
   */
  private async refresh(live: TpapSession, signal?: AbortSignal): Promise<void> {
    if (live.refreshRefused) return;
    const outcome = await this.tryPasscode(live.plan, live.passcode, signal);
    if (this.session !== live) return;
    if ('session' in outcome) this.session = outcome.session;
    else live.refreshRefused = true;
  }

  /** The discover port/tls only apply when the user did not pin a port. */
  private sessionBaseUrl(base: string, caps: TpapCapabilities | undefined): string {
    if (this.options.port !== undefined || caps?.port === undefined) return base;
    return `${caps.tls === 0 ? 'http' : 'https'}://${urlHost(this.options.host)}:${caps.port}`;
  }

  /** POSTs one login body and returns the parsed reply. */
  private async postLogin(baseUrl: string, body: string, step: string, signal?: AbortSignal): Promise<JsonObject> {
    const res: HttpResponse = await this.http.request(`${baseUrl}/`, {
      headers: { 'content-type': 'application/json' },
      body,
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 200) {
      throw new TapoError('Transport', 'tpapStepHttp', { params: { step, status: res.status }, httpStatus: res.status });
    }
    const reply = parseJsonObject(res.body);
    if (!reply) throw new TapoError('Transport', 'tpapStepNotJson', { params: { step } });
    const code = replyCode(reply);
    if (LOCKOUT_CODES.has(code)) throw errorFromCode('camera', code, `TPAP ${step}`, lockSeconds(reply));
    return reply;
  }

  /**
   * One register/share round: one authentication try on the device. `fixed` is the passcode to send
   * (a refresh); without it the passcode is chosen from the register reply. Resolves with the
   * session, or with the passcode the device refused at `pake_share`.
   */
  private async tryPasscode(
    plan: TpapLoginPlan,
    fixed: TpapPasscode | undefined,
    signal?: AbortSignal,
  ): Promise<{ session: TpapSession } | { refused: TpapPasscode }> {
    const { baseUrl, userName, caps, mac } = plan;
    const userRandom = randomBytes(32);
    const reg = await this.postLogin(baseUrl, buildPakeRegisterBody(userName, userRandom, plan.passcodeType), 'pake_register', signal);
    const regCode = replyCode(reg);
    if (regCode === -40209) {
      throw new TapoError('Authentication', 'tpapUnknownUser', { code: regCode, hint: 'tpapBoundAccount' });
    }
    if (regCode !== 0) throw errorFromCode(tableFor(this.family, regCode), regCode, 'TPAP pake_register');
    const r = obj(reg['result']);
    const devRandom = b64(r?.['dev_random']);
    const devSalt = b64(r?.['dev_salt']);
    const devShare = b64(r?.['dev_share']);
    const iterations = num(r?.['iterations']);
    if (!r || !devRandom || !devSalt || !devShare || iterations === undefined) {
      throw new TapoError('Transport', 'pakeRegisterIncomplete');
    }
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new TapoError('Unsupported', 'tpapIterationsOutOfRange', { params: { iterations, max: MAX_ITERATIONS }, aboutScheme: true });
    }
    const suite = num(r['cipher_suites']) ?? 1;
    const encryption = r['encryption'] ?? 'aes_128_ccm';
    if (suite !== 1 || encryption !== 'aes_128_ccm') {
      throw new TapoError('Unsupported', 'tpapCipherSuite', { params: { suite, encryption: JSON.stringify(encryption) }, aboutScheme: true });
    }
    const chosen = fixed !== undefined ? { passcode: fixed, settled: true } : this.choosePasscode(plan, r['extra_crypt']);
    const passcode = chosen.passcode;
    const credential = tpapCredential({
      family: this.family,
      username: this.options.credentials.username,
      passcode: passcode.passcode,
      ...(r['extra_crypt'] !== undefined ? { extraCrypt: r['extra_crypt'] } : {}),
      ...(mac !== undefined ? { mac } : {}),
    });
    const spake = spake2PlusClient({ credential, devSalt, iterations, userRandom, devRandom, devShare });
    const dacNonce = caps !== undefined && caps.tls === 0 && caps.dac ? randomBytes(32) : undefined;
    const share = await this.postLogin(baseUrl, buildPakeShareBody(spake.userShare, spake.userConfirm, dacNonce), 'pake_share', signal);
    const shareCode = replyCode(share);
    if (WRONG_CREDENTIAL_CODES.has(shareCode)) {
      if (!chosen.settled) this.unsettledRefusals++;
      return { refused: passcode };
    }
    if (shareCode !== 0) throw errorFromCode(tableFor(this.family, shareCode), shareCode, 'TPAP pake_share');
    const s = obj(share['result']);
    const devConfirm = b64(s?.['dev_confirm']);
    if (!devConfirm || !devConfirmMatches(spake.expectedDevConfirm, devConfirm)) {
      throw new TapoError('Authentication', 'tpapDevConfirmMismatch', { hint: 'otherDeviceAnswering' });
    }
    const stok = s?.['stok'] ?? s?.['sessionId'];
    const startSeq = num(s?.['start_seq']);
    if (typeof stok !== 'string' || stok.length === 0 || startSeq === undefined) {
      throw new TapoError('Transport', 'pakeShareIncomplete');
    }
    const expired = num(s?.['expired']);
    const lifetimeMs = (expired !== undefined && expired > 0 ? expired : DEFAULT_EXPIRED_SECONDS) * 1000;
    const now = this.now();
    const session: TpapSession = {
      stok,
      keys: deriveSessionKeys(spake.sharedKey),
      seq: toInt32(startSeq),
      expiresAt: now + lifetimeMs,
      refreshAt: now + lifetimeMs - refreshMarginMs(lifetimeMs),
      refreshRefused: false,
      plan,
      passcode,
    };
    return { session };
  }

  /** Turns the caller's envelope into the plaintext the device accepts, and says how to map the reply back. */
  private prepare(request: JsonObject): { plaintext: string; unwrap: boolean } {
    if (this.family !== 'camera' || request['method'] === 'multipleRequest') {
      return { plaintext: JSON.stringify(request), unwrap: false };
    }
    const method = request['method'];
    const moduleKeys = Object.keys(request).filter((k) => k !== 'method' && k !== 'params');
    if (typeof method !== 'string') {
      throw new TapoError('Input', 'tpapNoMethod', { sent: false });
    }
    if ((method === 'get' || method === 'set' || method === 'do') && moduleKeys.length > 0) {
      // Refused here, before it uses up a seq, with the answer the camera itself gives a decrypted
      // body that is not a `multipleRequest` (tpap.md §8: -40209). Kind `Unsupported` with that
      // code lets a caller that has a named form of the same request fall back to it.
      throw new TapoError('Unsupported', 'tpapModuleObject', { code: TPAP_NOT_MULTIPLE_REQUEST, sent: false });
    }
    const inner: JsonObject = { method };
    if (request['params'] !== undefined) inner['params'] = request['params'];
    return { plaintext: JSON.stringify({ method: 'multipleRequest', params: { requests: [inner] } }), unwrap: true };
  }

  /** Encrypts one envelope into a `/ds` frame, posts it and returns the decrypted reply envelope (step 5). */
  async send(request: JsonObject, signal?: AbortSignal): Promise<JsonObject> {
    const session = this.session;
    if (!session) throw new TapoError('SessionExpired', 'tpapNoSession', { sent: false });
    const { plaintext, unwrap } = this.prepare(request);
    const seq = session.seq;
    session.seq = toInt32(seq + 1);
    const res = await this.http.request(`${session.plan.baseUrl}${stokPath(session.stok)}`, {
      headers: { 'content-type': 'application/octet-stream', accept: 'application/octet-stream' },
      body: encryptDsFrame(session.keys, seq, plaintext),
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 200) {
      if (res.status === 401 || res.status === 500) {
        this.dropSession(session);
        throw new TapoError('SessionExpired', 'tpapSessionRefused', { params: { status: res.status }, httpStatus: res.status });
      }
      if (res.status === 403 || res.status === 404) {
        // The device refused the path, so nothing acted. A mangled or stale token is cured by one new
        // login; a device that left TPAP (no /ds any more) is found out by that login's discover,
        // after which the connection detects the scheme again.
        this.dropSession(session);
        throw new TapoError('SessionExpired', 'tpapPathRefused', {
          params: { status: res.status },
          httpStatus: res.status,
          sent: false,
        });
      }
      throw new TapoError('Transport', 'tpapRequestHttp', { params: { status: res.status }, httpStatus: res.status });
    }
    // A refusal comes in clear. Parse the whole body: a frame whose seq starts with 0x7B also begins with "{".
    const refusal = parseJsonObject(res.body);
    if (refusal && refusal['error_code'] !== undefined) {
      const code = num(refusal['error_code']) ?? -1;
      if (code === 0) throw new TapoError('Transport', 'tpapClearReply');
      if (SESSION_GONE_CODES.has(code)) throw this.sessionEnded(session, code);
      throw errorFromCode(tableFor(this.family, code), code, 'TPAP request');
    }
    let opened: { seq: number; plaintext: Buffer };
    try {
      opened = decryptDsFrame(session.keys, res.body);
    } catch (e) {
      this.dropSession(session);
      throw e;
    }
    const reply = parseJson(opened.plaintext);
    if (reply === undefined) throw new TapoError('Transport', 'tpapDecryptedNotJson');
    // JSON that is no envelope (`null`, an array ...) in a frame that authenticated: the session is
    // sound, the device's answer is what is wrong.
    if (!isObject(reply)) throw unexpectedReply(request);
    // A session refusal for the whole envelope inside the frame means the same as one in clear.
    const innerCode = num(reply['error_code']);
    if (innerCode !== undefined && SESSION_GONE_CODES.has(innerCode)) throw this.sessionEnded(session, innerCode);
    return unwrap ? unwrapSingle(reply) : reply;
  }

  /** A session refusal on `/ds` (in clear or inside the frame): drops the session. */
  private sessionEnded(session: TpapSession, code: number): TapoError {
    this.dropSession(session);
    return new TapoError('SessionExpired', 'tpapSessionEnded', { code });
  }

  private dropSession(session: TpapSession): void {
    if (this.session === session) this.session = undefined;
  }

  /** Forgets the session. */
  reset(): void {
    this.session = undefined;
  }

  /** Forgets the session and releases every socket. */
  async close(): Promise<void> {
    this.session = undefined;
    await this.http.close();
  }
}

/** `multipleRequest` reply → the single `{error_code, result}` envelope of `responses[0]`. */
function unwrapSingle(reply: JsonObject): JsonObject {
  const responses = obj(reply['result'])?.['responses'];
  const first = Array.isArray(responses) ? obj(responses[0]) : undefined;
  if (!first) return reply;
  const out: JsonObject = { error_code: num(first['error_code']) ?? num(reply['error_code']) ?? 0 };
  if (first['result'] !== undefined) out['result'] = first['result'];
  return out;
}
