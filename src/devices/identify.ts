/**
 * One call that says what is on the other end: model, firmware, name and MAC, for either family.
 * Used by `probeDevice` (src/connection) and the CLI. Plugs answer `get_device_info`; cameras
 * answer `getDeviceInfo` (methods-plug.md §3, methods-camera.md §1). A power strip's own
 * `get_device_info` has no relay state; its sockets are then listed (methods-plug.md §9).
 */
import type { DeviceKind, JsonObject, JsonValue } from '../protocol/types';
import type { Requester } from './requester';
import { Camera } from './camera';
import { arr, isObject, obj, str } from './check';
import { openSmart } from './plug';
import type { StripSocket } from './plug';

/** What identifies a device. */
export interface DeviceIdentity {
  /** Model, e.g. `P110` or `C210`. */
  model: string;
  /** Firmware version string. */
  firmware: string;
  /** Hardware version. */
  hardware: string;
  /** User-visible name. */
  nickname: string;
  /** MAC address as the device reports it. */
  mac: string;
  /** Device type, e.g. `SMART.TAPOPLUG` or `SMART.IPCAMERA`. */
  deviceType: string;
  /** Power strips only: the sockets (position, id, name, state) in position order. */
  sockets?: StripSocket[];
}

/**
 * Reads the identity of the device behind `requester` with one read request (a power strip takes
 * one more, to list its sockets).
 */
export async function identify(requester: Requester, kind: DeviceKind): Promise<DeviceIdentity> {
  if (kind === 'camera') {
    const { deviceInfo } = await new Camera(requester).read(['deviceInfo']);
    return {
      model: deviceInfo.model,
      firmware: deviceInfo.firmware,
      hardware: deviceInfo.hardware,
      nickname: deviceInfo.nickname,
      mac: deviceInfo.mac,
      deviceType: deviceInfo.type,
    };
  }
  const info = await (await openSmart(requester)).getInfo();
  const identity: DeviceIdentity = {
    model: info.model,
    firmware: info.firmware,
    hardware: info.hardware,
    nickname: info.nickname,
    mac: info.mac,
    deviceType: info.type,
  };
  if (info.sockets) identity.sockets = info.sockets;
  return identity;
}

/** The MAC in one device-info result: SMART `get_device_info` (`mac`), camera `getDeviceInfo` (`device_info.basic_info.mac`). */
function macOfResult(method: JsonValue | undefined, result: JsonValue | undefined): string | undefined {
  if (method === 'get_device_info') return str(obj(result).mac);
  if (method === 'getDeviceInfo') return str(obj(obj(obj(result).device_info).basic_info).mac);
  return undefined;
}

/**
 * The device's MAC when `reply` answers a device-info read (alone or inside a `multipleRequest`),
 * else undefined: lets the connection owner learn the MAC from what the verbs already read,
 * without a request of its own (methods-plug.md §3, methods-camera.md §1).
 */
export function macInReply(request: JsonObject, reply: JsonObject): string | undefined {
  const result = reply.result;
  const direct = macOfResult(request.method, result);
  if (direct !== undefined && direct !== '') return direct;
  for (const entry of arr(obj(result).responses)) {
    if (!isObject(entry)) continue;
    const mac = macOfResult(entry.method, entry.result);
    if (mac !== undefined && mac !== '') return mac;
  }
  return undefined;
}
