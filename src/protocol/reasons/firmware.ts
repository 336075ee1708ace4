/**
 * English texts of the reasons, hints and short statuses of firmware updates
 * (src/devices/firmware.ts: check, start, follow to the reboot and the new version).
 */
export const FIRMWARE_REASONS = {
  firmwareNoUpdate: 'no firmware update is available: __model__ runs __current__, the latest the device knows of',
  firmwareDownloadFailed: 'the firmware download failed at __percent__ % (device status __status__); the device keeps firmware __current__',
  firmwareInstallFailed: 'the device reports that installing the new firmware failed; it keeps firmware __current__',
  firmwareUnchanged: 'the device came back after its update still on firmware __current__',
  firmwareNotBack: 'the device did not come back within __minutes__ min after it started updating its firmware (last seen: __phase__)',
  firmwareBadAction: 'firmware takes "check" or "update", not __value__',
  firmwareBadPoll: 'the firmware poll interval must be a number of seconds from 0.01 to 60, not __value__',
  firmwareBadTimeout: 'the firmware update time limit must be a whole number of seconds from 10 to 3600, not __value__',
} as const;

/** English hints of firmware updates. */
export const FIRMWARE_HINTS = {
  firmwareCheckLater: 'Check again later; the device asks the TP-Link cloud, so it needs Internet access for this.',
  firmwareRetryByHand: 'Nothing was changed. Start the update again by hand when the device has a good Wi-Fi and Internet connection; it is never restarted automatically.',
  firmwareWait: 'An update can take several minutes. Wait, then check the device in the Tapo app (power-cycle it only if it stays unreachable for a long time), and read its version again.',
} as const;

/** Short statuses of these reasons (a node's red status). */
export const FIRMWARE_STATUSES = {
  firmwareNoUpdate: 'no firmware update',
  firmwareDownloadFailed: 'firmware download failed',
  firmwareInstallFailed: 'firmware install failed',
  firmwareUnchanged: 'firmware unchanged',
  firmwareNotBack: 'not back after update',
} as const;
