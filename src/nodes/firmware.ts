/**
 * The firmware payloads of `tapo-plug-control` and `tapo-camera-do` (`{ firmware: "check" }`,
 * `{ firmware: "update", timeoutSeconds?, pollSeconds? }`): one shared adapter so both nodes word and report an
 * update the same way. "check" answers `{current, latest, updateAvailable, releaseNote}`; "update"
 * shows its progress in the node status and answers ONE message `{from, to, scheme, durationSeconds}`
 * once the device is back on the new version (or fails through the node's one error path).
 */
import { parseFirmwarePoll, parseFirmwareTimeout } from '../devices/firmware';
import type { FirmwareProgress } from '../devices/firmware';
import type { DeviceConfigNode, Translate } from './shared';
import type { NodeInstance, NodeMessage } from './types';

/** The node status of one progress report (keys `firmware.*` of the tapo-device catalog, shared by both nodes). */
export function progressStatus(t: Translate, p: FirmwareProgress): { fill: 'blue' | 'green'; shape: 'dot' | 'ring'; text: string } {
  switch (p.phase) {
    case 'downloading':
      return { fill: 'blue', shape: 'ring', text: t('tapo-device.firmware.downloading', { percent: p.percent ?? 0 }) };
    case 'installing':
      return { fill: 'blue', shape: 'dot', text: t('tapo-device.firmware.installing') };
    case 'rebooting':
      return { fill: 'blue', shape: 'ring', text: t('tapo-device.firmware.rebooting') };
    case 'back':
      return { fill: 'green', shape: 'dot', text: t('tapo-device.firmware.back', { version: p.version ?? '' }) };
  }
}

/** Performs the firmware action of `msg` and writes `msg.payload`. */
export async function performFirmware(node: NodeInstance, dev: DeviceConfigNode, msg: NodeMessage, action: 'check' | 'update'): Promise<void> {
  const t = dev.translate;
  if (action === 'check') {
    const check = await dev.checkFirmware();
    msg.payload = { current: check.current, latest: check.latest ?? check.current, updateAvailable: check.updateAvailable, releaseNote: check.releaseNote ?? '' };
    return;
  }
  const timeoutMs = parseFirmwareTimeout(msg.payload);
  const pollMs = parseFirmwarePoll(msg.payload);
  node.status({ fill: 'blue', shape: 'ring', text: t('tapo-device.firmware.starting') });
  const result = await dev.updateFirmware({ timeoutMs, pollMs, onProgress: (p) => node.status(progressStatus(t, p)) });
  msg.payload = { ...result };
}
