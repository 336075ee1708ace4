/**
 * The simulated firmware update of a plug or a camera: an offered version, a download that
 * progresses one step per poll of its state, an install, and a reboot (asked of the device, which
 * closes its port for a while and comes back with the new version, possibly speaking another
 * login scheme, as a P100 moving from SMART-AES to KLAP did: field-issues.md §2).
 *
 * Answers, from the facts:
 * - SMART `get_latest_fw` (fixtures: P100(US) 1.1.3 and S500D(US) 1.0.5 offer one, the others are
 *   up to date with `type` 0 and empty fields), `fw_download` (python-kasa firmware.py),
 *   `get_fw_download_state` (fixture shape `{auto_upgrade, download_progress, reboot_time, status,
 *   upgrade_time}`; status values from plugp100: 1 preparing, 2 downloading, 3 downloaded,
 *   -1001 download failed).
 * - camera `checkFirmwareVersionByCloud` + `getCloudConfig` `upgrade_info` (pytapo
 *   `isUpdateAvailable`; `version` and `release_log` only when one is offered, as
 *   HomeAssistant-Tapo-Control reads them), style B `do cloud_config.fw_download` (pytapo
 *   `startFirmwareUpgrade`), `getFirmwareUpdateStatus` (fixtures: `state` "normal",
 *   `lastUpgradingSuccess`).
 *
 * Simulator choices where no capture exists (documented, not facts): the camera's states while
 * busy are "downloading" (with a numeric `progress`) and "upgrading"; a camera download that fails
 * goes back to "normal" with `lastUpgradingSuccess` false and `progress` at the failure; a start
 * with nothing offered is answered -1402 (FIRMWARE_VER_ERROR, errors.md §2) by plugs and -40101
 * (SYSTEM_ERROR) by cameras; `checkFirmwareVersionByCloud` answers `{}`; the download advances
 * {@link DOWNLOAD_STEP} % per poll; a fixture that captured an offer (`need_to_upgrade` true)
 * offers that version.
 */
import type { SimFamily, SimJsonObject, SimScheme } from '../types';
import { isObject, MethodError } from './json';

/** A pending update, as the `firmwareUpdate` start option and `POST /__sim/firmware` give it. */
export interface SimFirmwareUpdate {
  /** The version the device will run after the update. */
  version: string;
  /** Release notes shown by the check. */
  releaseNote: string;
  /** The download fails when it reaches this percentage (1–99); the device keeps its firmware. */
  failAtPercent?: number;
  /** The login scheme the device speaks after the reboot (default: the same). */
  newScheme?: SimScheme;
  /** How long the reboot at the end keeps the device down, in seconds (default 3). */
  rebootSeconds?: number;
}

/** Download progress added by each poll of the state, in %. */
export const DOWNLOAD_STEP = 20;
/** SMART download status values (plugp100 `FirmwareDownloadStatus`). */
const STATUS = { idle: 0, preparing: 1, downloading: 2, downloaded: 3, downloadFailed: -1001 } as const;
/** Plugs: `fw_download` with nothing offered (FIRMWARE_VER_ERROR, errors.md §2; simulator choice). */
const SMART_NO_UPDATE = -1402;
/** Cameras: `fw_download` with nothing offered (SYSTEM_ERROR; simulator choice). */
const CAMERA_NO_UPDATE = -40101;

const SCHEMES: Record<SimFamily, readonly SimScheme[]> = {
  smart: ['klap', 'klap-v1', 'passthrough', 'tpap'],
  camera: ['camera-secure', 'camera-legacy', 'tpap'],
};

/** Checks a pending update given from outside; throws an Error saying what is accepted. */
export function parseFirmwareUpdate(value: unknown, family: SimFamily): SimFirmwareUpdate {
  const usage = `firmwareUpdate takes {"version": text, "releaseNote"?: text, "failAtPercent"?: 1..99, "newScheme"?: one of ${SCHEMES[family].join(', ')}, "rebootSeconds"?: 0..600}`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(usage);
  const v = value as Record<string, unknown>;
  const known = ['version', 'releaseNote', 'failAtPercent', 'newScheme', 'rebootSeconds'];
  const unknown = Object.keys(v).find((k) => !known.includes(k));
  if (unknown !== undefined) throw new Error(`unknown key "${unknown}"; ${usage}`);
  if (typeof v.version !== 'string' || v.version.trim() === '') throw new Error(usage);
  if (v.releaseNote !== undefined && typeof v.releaseNote !== 'string') throw new Error(usage);
  const fail = v.failAtPercent;
  if (fail !== undefined && (typeof fail !== 'number' || !Number.isInteger(fail) || fail < 1 || fail > 99)) throw new Error(usage);
  const scheme = v.newScheme;
  if (scheme !== undefined && (typeof scheme !== 'string' || !(SCHEMES[family] as readonly string[]).includes(scheme))) throw new Error(usage);
  const reboot = v.rebootSeconds;
  if (reboot !== undefined && (typeof reboot !== 'number' || !Number.isFinite(reboot) || reboot < 0 || reboot > 600)) throw new Error(usage);
  return {
    version: v.version,
    releaseNote: (v.releaseNote as string | undefined) ?? '',
    ...(fail !== undefined ? { failAtPercent: fail as number } : {}),
    ...(scheme !== undefined ? { newScheme: scheme as SimScheme } : {}),
    ...(reboot !== undefined ? { rebootSeconds: reboot as number } : {}),
  };
}

/** What the firmware logic needs from its device. */
export interface FirmwareHooks {
  /** The version the device runs. */
  version(): string;
  /** The download is complete: install and reboot (the device calls {@link FirmwareLogic.installed} when it goes down). */
  install(update: SimFirmwareUpdate): void;
}

/** Where the simulated update is. */
export type SimFirmwarePhase = 'idle' | 'downloading' | 'installing' | 'failed';

/** The update state machine shared by plugs and cameras. */
export class FirmwareLogic {
  /** The offered update, if any. */
  pending: SimFirmwareUpdate | undefined;
  phase: SimFirmwarePhase = 'idle';
  percent = 0;
  /** Whether the last update succeeded (cameras report it). */
  lastSuccess: boolean;
  /** Updates installed so far. */
  installs = 0;
  private readonly hooks: FirmwareHooks;
  private readonly family: SimFamily;

  constructor(family: SimFamily, hooks: FirmwareHooks, captured: SimJsonObject) {
    this.family = family;
    this.hooks = hooks;
    const status = isObject(captured.getFirmwareUpdateStatus) ? captured.getFirmwareUpdateStatus : undefined;
    const upgrade = isObject(status?.cloud_config) && isObject(status.cloud_config.upgrade_status) ? status.cloud_config.upgrade_status : undefined;
    this.lastSuccess = upgrade?.lastUpgradingSuccess !== false;
    const latest = captured.get_latest_fw;
    if (isObject(latest) && latest.need_to_upgrade === true && typeof latest.fw_ver === 'string') {
      this.pending = { version: latest.fw_ver, releaseNote: typeof latest.release_note === 'string' ? latest.release_note : '' };
    }
  }

  /** Offers `update` (undefined: withdraws the offer); an update under way is abandoned. */
  offer(update: SimFirmwareUpdate | undefined): void {
    this.pending = update;
    this.phase = 'idle';
    this.percent = 0;
  }

  /** Starts the download; throws the family's refusal when nothing is offered. */
  start(): void {
    if (this.pending === undefined || this.pending.version === this.hooks.version()) {
      throw new MethodError(this.family === 'camera' ? CAMERA_NO_UPDATE : SMART_NO_UPDATE, 'no firmware update offered');
    }
    if (this.phase === 'downloading' || this.phase === 'installing') return;
    this.phase = 'downloading';
    this.percent = 0;
  }

  /** One poll of the state: the download advances a step, fails at `failAtPercent`, or completes (install and reboot). */
  poll(): void {
    const update = this.pending;
    if (this.phase !== 'downloading' || update === undefined) return;
    const next = Math.min(100, this.percent + DOWNLOAD_STEP);
    if (update.failAtPercent !== undefined && next >= update.failAtPercent) {
      this.percent = update.failAtPercent;
      this.phase = 'failed';
      this.lastSuccess = false;
      return;
    }
    this.percent = next;
    if (next >= 100) {
      this.phase = 'installing';
      this.hooks.install(update);
    }
  }

  /** The device went down with the new image: it will come back on it. */
  installed(): void {
    this.pending = undefined;
    this.phase = 'idle';
    this.percent = 0;
    this.lastSuccess = true;
    this.installs += 1;
  }

  // ---- SMART answers -----------------------------------------------------------------------------

  /** `get_latest_fw`. */
  latestFw(): SimJsonObject {
    const update = this.pending;
    if (update === undefined || update.version === this.hooks.version()) {
      return { fw_size: 0, fw_ver: this.hooks.version(), hw_id: '', need_to_upgrade: false, oem_id: '', release_date: '', release_note: '', type: 0 };
    }
    return {
      fw_size: 786432,
      fw_ver: update.version,
      hw_id: '00000000000000000000000000000000',
      need_to_upgrade: true,
      oem_id: '00000000000000000000000000000000',
      release_date: '2026-01-15',
      release_note: update.releaseNote,
      type: 2,
    };
  }

  /** `get_fw_download_state` (advances the download), over the fixture's captured fields. */
  downloadState(captured: SimJsonObject | undefined): SimJsonObject {
    this.poll();
    const status =
      this.phase === 'downloading' ? (this.percent === 0 ? STATUS.preparing : STATUS.downloading) : this.phase === 'installing' ? STATUS.downloaded : this.phase === 'failed' ? STATUS.downloadFailed : STATUS.idle;
    return { auto_upgrade: false, reboot_time: 5, upgrade_time: 5, ...(captured ?? {}), download_progress: this.phase === 'idle' ? 0 : this.percent, status };
  }

  // ---- camera answers ----------------------------------------------------------------------------

  /** `getCloudConfig` `upgrade_info`. */
  upgradeInfo(): SimJsonObject {
    const update = this.pending;
    if (update === undefined || update.version === this.hooks.version()) return { cloud_config: { upgrade_info: {} } };
    return { cloud_config: { upgrade_info: { version: update.version, release_log: update.releaseNote } } };
  }

  /** `getFirmwareUpdateStatus` (advances the download). */
  upgradeStatus(): SimJsonObject {
    this.poll();
    if (this.phase === 'downloading') return { cloud_config: { upgrade_status: { state: 'downloading', progress: this.percent, lastUpgradingSuccess: this.lastSuccess } } };
    if (this.phase === 'installing') return { cloud_config: { upgrade_status: { state: 'upgrading', progress: 100, lastUpgradingSuccess: this.lastSuccess } } };
    if (this.phase === 'failed') return { cloud_config: { upgrade_status: { state: 'normal', progress: this.percent, lastUpgradingSuccess: false } } };
    return { cloud_config: { upgrade_status: { state: 'normal', lastUpgradingSuccess: this.lastSuccess } } };
  }
}
