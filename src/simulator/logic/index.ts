/**
 * Builds the functional device for a fixture: `PlugLogic` for the SMART family (plugs, strips),
 * `CameraLogic` for cameras. Scheme servers sit in front of it and hand it decrypted requests.
 */
import type { LoadedFixture } from '../fixtures';
import type { SimClock } from '../types';
import { CameraLogic } from './camera';
import type { SimFirmwareUpdate } from './firmware';
import { ChimeLogic } from './chime';
import { CameraHubLogic, HubLogic, isHubFixture } from './hub';
import { PlugLogic } from './plug';

export { CameraLogic, MOVE_STEP, PAN_LIMIT, TILT_LIMIT } from './camera';
export type { CameraLogicOptions, CameraPreset, CameraState } from './camera';
export { ChimeLogic } from './chime';
export type { ChimeState, SimChimeRing } from './chime';
export { CHILD_TRIGGERS, CameraHubLogic, HUB_CHILD_PAGE_SIZE, HubLogic, ROTATION_STEP_DEG, SimHubChildren } from './hub';
export type { ChildTrigger, HubState, SimChildChange, SimChildState } from './hub';
export { DEFAULT_CHILD_PAGE_SIZE, DEFAULT_LOAD_WATTS, PlugLogic } from './plug';
export type { PlugChildState, PlugCountdownState, PlugLogicOptions, PlugState } from './plug';
export { LightLogic } from './light';
export type { LightSimState } from './light';
export { DEFAULT_SCHEDULE_PAGE_SIZE, PlugSettingsLogic } from './plug-settings';
export type { PlugSettingsHost, PlugSettingsState } from './plug-settings';
export { MANUAL_CLOCK_DEFAULT_START, ManualClock, systemClock } from './clock';
export { MethodError } from './json';
export { DOWNLOAD_STEP, FirmwareLogic, parseFirmwareUpdate } from './firmware';
export { MAX_BRIGHTNESS, MIN_BRIGHTNESS } from './switch';
export type { SimFirmwarePhase, SimFirmwareUpdate } from './firmware';

/** Options for `createLogic`. */
export interface CreateLogicOptions {
  clock: SimClock;
  /** Watts drawn by an energy-monitoring plug while on (default 60). Ignored for cameras. */
  loadWatts?: number;
  /** Metered strips (P304M): watts per socket while on, by position (index 0 = socket 1); default `loadWatts`. */
  socketLoadWatts?: readonly number[];
  /** Called when the client reboots the device. */
  onReboot?: () => void;
  /** Called when a firmware download completes (the device installs it and reboots). */
  onFirmwareInstall?: (update: SimFirmwareUpdate) => void;
}

/** The logic for a fixture's family. */
export function createLogic(fixture: LoadedFixture, options: CreateLogicOptions): PlugLogic | CameraLogic {
  const onReboot = {
    ...(options.onReboot !== undefined ? { onReboot: options.onReboot } : {}),
    ...(options.onFirmwareInstall !== undefined ? { onFirmwareInstall: options.onFirmwareInstall } : {}),
  };
  const hub = isHubFixture(fixture.data, fixture.discovery);
  if (fixture.family === 'camera') return hub ? new CameraHubLogic(fixture.data, { clock: options.clock, ...onReboot }) : new CameraLogic(fixture.data, { clock: options.clock, ...onReboot });
  const loadWatts = {
    ...(options.loadWatts !== undefined ? { loadWatts: options.loadWatts } : {}),
    ...(options.socketLoadWatts !== undefined ? { socketLoadWatts: options.socketLoadWatts } : {}),
  };
  if (hub) return new HubLogic(fixture.data, { clock: options.clock, ...onReboot });
  if (fixture.discovery.device_type === 'SMART.TAPOCHIME') return new ChimeLogic(fixture.data, { clock: options.clock, ...onReboot });
  return new PlugLogic(fixture.data, { clock: options.clock, ...loadWatts, ...onReboot });
}
