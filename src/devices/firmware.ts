/**
 * Firmware updates of plugs (SMART family) and cameras: check, start, and follow the update to the
 * reboot and the new version. The device downloads the image from the TP-Link cloud itself; we
 * only ask it to, then watch.
 *
 * Wire methods and their sources:
 *
 * SMART (plugs, strips; `firmware` component, fixtures: every ../shared/fixtures/smart dump):
 * - `get_latest_fw` (no params) → `fw_ver`, `need_to_upgrade`, `release_note`, `type`, `fw_size`
 *   (methods-plug.md §7; fixtures P100(US) 1.1.3 and S500D(US) 1.0.5 show an update available;
 *   python-kasa kasa/smart/modules/firmware.py reads the same fields).
 * - `fw_download` (no params) starts download and install (python-kasa firmware.py `update`).
 * - `get_fw_download_state` (no params) → `status`, `download_progress` (%), `upgrade_time`,
 *   `reboot_time` (fixtures, idle: status 0). Status values from plugp100
 *   (petretiandrea, `FirmwareDownloadStatus`): 0 idle, 1 preparing, 2 downloading, 3 downloaded
 *   (the device installs, then reboots), 4 not transferred, -1001 download failed, -1002 check
 *   failed, -1003 transfer failed, -1004 low battery.
 * - the current version: `get_device_info.fw_ver` (methods-plug.md §3).
 *
 * SMARTCAM (cameras; `firmware` app component in every ../shared/fixtures/smartcam dump):
 * - `checkFirmwareVersionByCloud` `{"cloud_config":{"check_fw_version":"null"}}` followed by
 *   `getCloudConfig` `{"cloud_config":{"name":["upgrade_info"]}}` in one `multipleRequest`
 *   (pytapo `isUpdateAvailable`); `cloud_config.upgrade_info` carries `version` and `release_log`
 *   only when an update exists (HomeAssistant-Tapo-Control utils.py `getLatestFirmwareVersion`).
 * - style B `{"method":"do","cloud_config":{"fw_download":"null"}}` starts it (pytapo
 *   `startFirmwareUpgrade`).
 * - `getFirmwareUpdateStatus` `{"cloud_config":{"name":"upgrade_status"}}` →
 *   `cloud_config.upgrade_status` `{state, lastUpgradingSuccess}` (methods-camera.md §1; fixtures:
 *   `state` "normal" when idle, `lastUpgradingSuccess` false after a failed update). Any other
 *   state means an update is under way; a numeric `progress` is read as a percentage when present.
 * - the current version: `getDeviceInfo` `basic_info.sw_version` (methods-camera.md §1).
 *
 * Following an update (`followUpdate`): poll the state through the device's one owner until the
 * device stops answering (it reboots), then keep trying to read its version until it answers again
 * with a NEW login (the scheme is detected again: a P100 on SMART-AES comes back on KLAP,
 * field-issues.md §2), all within a bounded total time. Starting an update is never retried
 * (DESIGN.md rule 6); an authentication failure ends the follow at once (no login loops).
 */
import { TapoError } from '../protocol/errors';
import type { DeviceKind, JsonObject, SchemeName } from '../protocol/types';
import type { Requester } from './requester';
import { SmartDevice } from './smart';
import { arr, bool, checkReply, num, obj, replyFailure, responseFor, str } from './check';
import { describeValue } from './input';

/** What a firmware check found. */
export interface FirmwareCheck {
  /** The version the device runs now. */
  current: string;
  /** The version offered, when the device knows of one. */
  latest?: string;
  /** True when an update can be installed. */
  updateAvailable: boolean;
  /** The release notes of the offered version, when the device gave them. */
  releaseNote?: string;
}

/** Where an update is. */
export type FirmwarePhase = 'downloading' | 'installing' | 'rebooting' | 'back';

/** One progress report of {@link followUpdate}. */
export interface FirmwareProgress {
  phase: FirmwarePhase;
  /** Download progress in %, when the device reports it. */
  percent?: number;
  /** The version the device runs (phase `back`). */
  version?: string;
}

/** The end of a successful update. */
export interface FirmwareUpdateResult {
  /** The version before. */
  from: string;
  /** The version the device came back with. */
  to: string;
  /** The login scheme the device speaks after the update (it may differ from before). */
  scheme?: SchemeName;
  /** Seconds from the start of the update to the device answering with the new version. */
  durationSeconds: number;
}

/** One reading of the update state. */
export interface UpdateState {
  /** `idle`: nothing under way (the device may also be done); `failed`: the device reports a failure. */
  phase: 'idle' | 'downloading' | 'installing' | 'failed';
  percent?: number;
  /** The device's own status value (SMART `status`, camera `state`). */
  status: string | number;
  /** Cameras: `lastUpgradingSuccess`. */
  lastSuccess?: boolean;
}

/** Default bound on the whole follow, from the start to the device answering again: 10 minutes. */
export const DEFAULT_FIRMWARE_TIMEOUT_MS = 10 * 60_000;
/** Default pause between two polls of the update state (and of a rebooting device): 2 s. */
export const DEFAULT_FIRMWARE_POLL_MS = 2_000;
/** Default deadline of one poll: 5 s (a rebooting device must not hold the queue for long). */
export const DEFAULT_FIRMWARE_REQUEST_MS = 5_000;
/** Smallest and largest total time a user may set, in seconds. */
export const FIRMWARE_TIMEOUT_LIMITS = { min: 10, max: 3600 } as const;

/** SMART download status values (plugp100 `FirmwareDownloadStatus`). */
const SMART_DOWNLOADED = 3;

// ---- payload -------------------------------------------------------------------------------------

/** The firmware action in a node's payload: `{ firmware: "check" | "update" }`, else undefined. */
export function parseFirmwareAction(payload: unknown): 'check' | 'update' | undefined {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload) || !Object.hasOwn(payload, 'firmware')) return undefined;
  const value = (payload as Record<string, unknown>).firmware;
  const others = Object.keys(payload).filter((k) => k !== 'firmware' && k !== 'timeoutSeconds' && k !== 'pollSeconds');
  if ((value === 'check' || value === 'update') && others.length === 0) return value;
  throw new TapoError('Input', 'firmwareBadAction', { params: { value: describeValue(others.length > 0 ? payload : value) }, sent: false });
}

/**
 * The total time limit of an update from a payload's `timeoutSeconds` (absent: the default).
 * Throws an `Input` error outside {@link FIRMWARE_TIMEOUT_LIMITS}.
 */
export function parseFirmwareTimeout(payload: unknown): number {
  const value = payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>).timeoutSeconds : undefined;
  if (value === undefined) return DEFAULT_FIRMWARE_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < FIRMWARE_TIMEOUT_LIMITS.min || value > FIRMWARE_TIMEOUT_LIMITS.max) {
    throw new TapoError('Input', 'firmwareBadTimeout', { params: { value: describeValue(value) }, sent: false });
  }
  return value * 1000;
}

/**
 * The pause between polls from a payload's `pollSeconds` (0.01 to 60; absent: the default).
 * Throws an `Input` error outside that range.
 */
export function parseFirmwarePoll(payload: unknown): number {
  const value = payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>).pollSeconds : undefined;
  if (value === undefined) return DEFAULT_FIRMWARE_POLL_MS;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0.01 || value > 60) {
    throw new TapoError('Input', 'firmwareBadPoll', { params: { value: describeValue(value) }, sent: false });
  }
  return Math.round(value * 1000);
}

// ---- one device step -----------------------------------------------------------------------------

/** Reads the version the device runs and what the cloud offers (one round trip on each family). */
export async function checkFirmware(requester: Requester, kind: DeviceKind): Promise<FirmwareCheck> {
  return kind === 'camera' ? checkCamera(requester) : checkSmart(requester);
}

/**
 * Checks, and when an update is available starts it (the check and the start in one turn of the
 * caller's operation). Refuses with an `Input` error `firmwareNoUpdate` when none is available:
 * then nothing but the check was sent. The start is never sent twice.
 */
export async function startUpdate(requester: Requester, kind: DeviceKind): Promise<FirmwareCheck & { model?: string }> {
  const check = await checkFirmware(requester, kind);
  if (!check.updateAvailable) {
    throw new TapoError('Input', 'firmwareNoUpdate', {
      params: { current: check.current, model: kind === 'camera' ? 'the camera' : 'the device' },
      hint: 'firmwareCheckLater',
    });
  }
  if (kind === 'camera') {
    const request: JsonObject = { method: 'do', cloud_config: { fw_download: 'null' } };
    checkReply('camera', await requester.request(request, { idempotent: false }), 'do cloud_config.fw_download');
  } else {
    await new SmartDevice(requester).call('fw_download', undefined, false);
  }
  return check;
}

/** One reading of the update state. */
export async function readUpdateState(requester: Requester, kind: DeviceKind): Promise<UpdateState> {
  if (kind === 'camera') {
    const [status] = await cameraBatch(requester, [{ method: 'getFirmwareUpdateStatus', params: { cloud_config: { name: 'upgrade_status' } } }]);
    const s = obj(obj(obj(status).cloud_config).upgrade_status);
    const state = str(s.state) ?? '';
    const lastSuccess = bool(s.lastUpgradingSuccess);
    const percent = percentOf(s.progress);
    const out: UpdateState = { phase: 'idle', status: state, ...(lastSuccess !== undefined ? { lastSuccess } : {}), ...(percent !== undefined ? { percent } : {}) };
    if (state === 'normal' || state === '') return out;
    out.phase = /fail/i.test(state) ? 'failed' : /download/i.test(state) ? 'downloading' : 'installing';
    return out;
  }
  const r = await new SmartDevice(requester).call('get_fw_download_state');
  const status = num(r.status) ?? 0;
  const percent = percentOf(r.download_progress);
  const base = { status, ...(percent !== undefined ? { percent } : {}) };
  if (status < 0) return { phase: 'failed', ...base };
  if (status === 0) return { phase: 'idle', ...base };
  if (status >= SMART_DOWNLOADED && status !== 4) return { phase: 'installing', ...base };
  return { phase: 'downloading', ...base };
}

/** The version the device runs. */
export async function readVersion(requester: Requester, kind: DeviceKind): Promise<string> {
  if (kind === 'camera') {
    const [info] = await cameraBatch(requester, [DEVICE_INFO]);
    return cameraVersion(info);
  }
  return smartVersion(await new SmartDevice(requester).call('get_device_info'));
}

// ---- following an update -------------------------------------------------------------------------

/** What {@link followUpdate} needs from the device's one owner (src/connection/device.ts). */
export interface FirmwareRunner {
  /** Runs one step as one operation of the device's queue, within `timeoutMs`. */
  step<T>(operation: (requester: Requester) => Promise<T>, timeoutMs: number): Promise<T>;
  /** Drops the session and the remembered scheme, so the next login detects the scheme again. */
  redetect(): Promise<void>;
  /** The scheme the last login used. */
  scheme(): SchemeName | undefined;
}

/** Options of {@link followUpdate}. */
export interface FollowOptions {
  kind: DeviceKind;
  /** The version before the update. */
  from: string;
  /** Bound on the whole follow in ms (default {@link DEFAULT_FIRMWARE_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Pause between polls in ms (default {@link DEFAULT_FIRMWARE_POLL_MS}). */
  pollMs?: number;
  /** Deadline of one poll in ms (default {@link DEFAULT_FIRMWARE_REQUEST_MS}). */
  requestTimeoutMs?: number;
  /** Called on each change of phase or percentage. */
  onProgress?: (progress: FirmwareProgress) => void;
  /** Stops following (the update goes on on the device). */
  signal?: AbortSignal;
  /** Monotonic clock in ms (default `performance.now`). */
  now?: () => number;
  /** When the update was started, on `now`'s clock (default: the call). */
  startedAt?: number;
}

/**
 * Follows an update started with {@link startUpdate}: polls its state (reporting download progress,
 * then installing) until the device stops answering, then waits for it to come back and reads its
 * version with a new login whose scheme is detected again. Resolves with `{from, to, scheme,
 * durationSeconds}`; rejects with the device's failure (download failed at N %, install failed,
 * came back unchanged), an `Authentication`/`Locked` error after the reboot (never retried), or a
 * `Timeout` `firmwareNotBack` when the bound passes.
 */
export async function followUpdate(runner: FirmwareRunner, options: FollowOptions): Promise<FirmwareUpdateResult> {
  const now = options.now ?? (() => performance.now());
  const started = options.startedAt ?? now();
  const limit = options.timeoutMs ?? DEFAULT_FIRMWARE_TIMEOUT_MS;
  const pollMs = options.pollMs ?? DEFAULT_FIRMWARE_POLL_MS;
  const requestMs = options.requestTimeoutMs ?? DEFAULT_FIRMWARE_REQUEST_MS;
  const { kind, from } = options;
  let last: FirmwareProgress | undefined;
  const report = (p: FirmwareProgress): void => {
    if (last !== undefined && last.phase === p.phase && last.percent === p.percent && last.version === p.version) return;
    last = p;
    options.onProgress?.(p);
  };
  const left = (): number => started + limit - now();
  const notBack = (): TapoError =>
    new TapoError('Timeout', 'firmwareNotBack', {
      params: { minutes: Math.round((limit / 60_000) * 10) / 10, phase: last?.phase ?? 'downloading' },
      hint: 'firmwareWait',
    });
  const budget = (): number => {
    const rest = left();
    if (rest <= 0) throw notBack();
    return Math.min(requestMs, rest);
  };

  // 1. The download and the install, until the device stops answering (it reboots), or answers
  //    idle again after it was busy (it rebooted between two polls).
  let seenWork = false;
  let wentDown = false;
  for (;;) {
    throwIfAborted(options.signal);
    let state: UpdateState;
    try {
      state = await runner.step((r) => readUpdateState(r, kind), budget());
    } catch (e) {
      if (!unreachable(e)) throw e;
      wentDown = true;
      break;
    }
    if (state.phase === 'failed' || (kind === 'camera' && seenWork && state.phase === 'idle' && state.lastSuccess === false)) {
      throw new TapoError('Device', 'firmwareDownloadFailed', {
        params: { percent: state.percent ?? last?.percent ?? 0, status: String(state.status), current: from },
        hint: 'firmwareRetryByHand',
      });
    }
    if (seenWork && state.phase === 'idle') break;
    if (state.phase === 'downloading') {
      seenWork = true;
      report({ phase: 'downloading', percent: state.percent ?? 0 });
    } else if (state.phase === 'installing') {
      seenWork = true;
      report({ phase: 'installing' });
    }
    await pause(pollMs, left(), options.signal, notBack);
  }

  // 2. The reboot: a new login (scheme detected again) once the device answers.
  report({ phase: 'rebooting' });
  await runner.redetect();
  for (;;) {
    await pause(pollMs, left(), options.signal, notBack);
    let version: string;
    try {
      version = await runner.step((r) => readVersion(r, kind), budget());
    } catch (e) {
      if (!unreachable(e)) throw e;
      wentDown = true;
      continue;
    }
    // Still the old version before the device was ever seen down: the reboot has not come yet.
    if (version === from && !wentDown) continue;
    if (version === from) {
      if (kind === 'camera') {
        const state = await runner.step((r) => readUpdateState(r, kind), budget());
        if (state.lastSuccess === false) throw new TapoError('Device', 'firmwareInstallFailed', { params: { current: from }, hint: 'firmwareRetryByHand' });
      }
      throw new TapoError('Device', 'firmwareUnchanged', { params: { current: from }, hint: 'firmwareRetryByHand' });
    }
    report({ phase: 'back', version });
    const scheme = runner.scheme();
    return {
      from,
      to: version,
      ...(scheme !== undefined ? { scheme } : {}),
      durationSeconds: Math.round((now() - started) / 100) / 10,
    };
  }
}

/** True for a failure that means "the device is not answering" (down, rebooting, not listening yet). */
function unreachable(e: unknown): boolean {
  return e instanceof TapoError && (e.kind === 'Transport' || e.kind === 'Timeout') && e.reason !== 'firmwareNotBack';
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TapoError('Transport', 'connectionClosed', { sent: false });
}

/** Waits `ms` (at most what is left of the bound; none left: the bound's error). */
function pause(ms: number, left: number, signal: AbortSignal | undefined, onLimit: () => TapoError): Promise<void> {
  if (left <= 0) return Promise.reject(onLimit());
  throwIfAborted(signal);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new TapoError('Transport', 'connectionClosed', { sent: false }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.min(ms, left));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// ---- families ------------------------------------------------------------------------------------

async function checkSmart(requester: Requester): Promise<FirmwareCheck> {
  const device = new SmartDevice(requester);
  const [info, latest] = await device.callAll([{ method: 'get_device_info' }, { method: 'get_latest_fw' }]);
  const current = smartVersion(info ?? {});
  const l = latest ?? {};
  const offered = str(l.fw_ver);
  // `need_to_upgrade` where present; older answers only say it by a non-zero `type` (python-kasa).
  const need = bool(l.need_to_upgrade) ?? (num(l.type) ?? 0) !== 0;
  const note = str(l.release_note);
  return {
    current,
    ...(offered !== undefined && offered !== '' ? { latest: offered } : {}),
    updateAvailable: need && offered !== current,
    ...(need && note !== undefined && note !== '' ? { releaseNote: note } : {}),
  };
}

const DEVICE_INFO: { method: string; params: JsonObject } = { method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } };

async function checkCamera(requester: Requester): Promise<FirmwareCheck> {
  const [info, , cloud] = await cameraBatch(
    requester,
    [
      DEVICE_INFO,
      { method: 'checkFirmwareVersionByCloud', params: { cloud_config: { check_fw_version: 'null' } } },
      { method: 'getCloudConfig', params: { cloud_config: { name: ['upgrade_info'] } } },
    ],
  );
  const current = cameraVersion(info);
  const upgrade = obj(obj(obj(cloud).cloud_config).upgrade_info);
  const offered = str(upgrade.version);
  const note = str(upgrade.release_log);
  const available = offered !== undefined && offered !== '' && offered !== current;
  return {
    current,
    ...(available ? { latest: offered } : {}),
    updateAvailable: available,
    ...(available && note !== undefined && note !== '' ? { releaseNote: note.replace(/\\n/g, '\n') } : {}),
  };
}

function smartVersion(info: JsonObject): string {
  const v = str(info.fw_ver);
  if (v === undefined) throw new TapoError('Device', 'replyLacks', { context: 'get_device_info', params: { field: 'fw_ver' } });
  return v;
}

function cameraVersion(info: JsonObject | undefined): string {
  const v = str(obj(obj(obj(info).device_info).basic_info).sw_version);
  if (v === undefined) throw new TapoError('Device', 'replyLacks', { context: 'getDeviceInfo', params: { field: 'sw_version' } });
  return v;
}

/**
 * Sends named camera methods in one `multipleRequest` (each a read or a cloud check: safe to send
 * again) and returns their checked results; the first failing entry is thrown.
 */
async function cameraBatch(requester: Requester, requests: readonly { method: string; params: JsonObject }[]): Promise<JsonObject[]> {
  const reply = await requester.request({ method: 'multipleRequest', params: { requests: requests.map((r) => ({ method: r.method, params: r.params })) } }, { idempotent: true });
  const responses = arr(checkReply('camera', reply, 'multipleRequest').responses);
  return requests.map((r, i) => {
    const resp = responseFor(responses, i, r.method);
    if (resp === undefined) throw new TapoError('Device', 'cameraBatchUnanswered', { context: 'multipleRequest', params: { methods: r.method } });
    const failure = replyFailure('camera', resp, r.method);
    if (failure !== undefined) throw failure;
    return obj(resp.result);
  });
}

function percentOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : typeof value === 'number' ? value : undefined;
  return n !== undefined && Number.isFinite(n) ? Math.max(0, Math.min(100, Math.round(n))) : undefined;
}
