/**
 * `tapo-plug-control`: switches a plug, a wall switch (or one socket of a strip) on, off, toggles
 * it, arms a countdown, sets a dimmer's brightness, sets its LED or reads its status, then answers
 * the state read back AFTER the action.
 *
 * A power strip has no relay of its own: switching it without a socket is refused before anything
 * is sent (whether the device is a strip is learnt once per connection, from the component list
 * the status read needs anyway). Status and LED work on the strip itself.
 *
 * Settings payloads (`"settings"`, `{autoOff}`, `{addSchedule}` …; src/devices/plug-settings.ts)
 * are read first and answer the settings read back; a strip's settings are per socket.
 */
import type { DeviceVerbs } from '../connection/device';
import { addressed, parsePlugCommand, parsePlugSettingsCommand, runPlugSettings, setBrightness } from '../devices';
import type { AddressOptions, PlugCommand, PlugInfo, PlugSettingsResult, StripSocket } from '../devices';
import { chimeAction, ringChime } from '../devices/chime';
import { parseFirmwareAction } from '../devices/firmware';
import { performFirmware } from './firmware';
import { nodeError, attachDevice, findDevice, handleInput, requireKind } from './shared';
import type { DeviceConfigNode, Translate } from './shared';
import type { NodeAPI, NodeDef, NodeInstance, NodeMessage } from './types';

/** The node's properties as saved in the flow. */
export interface PlugControlDef extends NodeDef {
  device?: string;
  /** `payload` (read the command from msg.payload), `on`, `off`, `toggle` or `status`. */
  action?: string;
  /** Strip socket: position, device id or name; empty for a single plug. */
  socket?: string;
}

/** What the node sends in `msg.payload`. */
export interface PlugControlResult {
  on: boolean;
  nickname: string;
  model: string;
  /** Seconds since the relay was switched on. */
  onTime: number;
  deviceId: string;
  /** Present when a countdown was armed: the state the relay will take, and after how many seconds. */
  countdown?: { on: boolean; delaySeconds: number };
  /** A power strip read as a whole: its sockets (then `on` means at least one socket is on). */
  sockets?: StripSocket[];
  /** Dimmers (S500D, S505D): brightness 1–100. */
  brightness?: number;
}

const CONFIG_ACTIONS = ['on', 'off', 'toggle', 'status'];

/** How this node words a socket for a plug, and a strip switched as a whole (tapo-device catalog keys). */
const ADDRESS_OPTIONS: AddressOptions = { notStrip: 'notStripNode', stripHint: 'stripHintNode' };

/** The socket to address: `msg.socket` wins over the config; undefined for the plug itself. */
export function socketOf(msgSocket: unknown, configured: string | undefined, t: Translate): string | number | undefined {
  if (msgSocket !== undefined && msgSocket !== null && msgSocket !== '') {
    if (typeof msgSocket === 'number' && Number.isInteger(msgSocket) && msgSocket > 0) return msgSocket;
    if (typeof msgSocket === 'string' && msgSocket.trim() !== '') return msgSocket.trim();
    throw nodeError(t('errors.badSocket'));
  }
  const trimmed = configured?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * Performs one command and answers the state read back after it: a switch and its read-back travel
 * in one round trip where the device batches, a toggle is a read plus that, a status one read.
 */
async function perform(verbs: DeviceVerbs, socket: string | number | undefined, command: PlugCommand): Promise<PlugControlResult> {
  const device = await verbs.smart();
  let info: PlugInfo;
  let countdown: PlugControlResult['countdown'];
  switch (command.type) {
    case 'set': {
      const plug = await addressed(device, socket, true, ADDRESS_OPTIONS);
      if (command.delaySeconds !== undefined && command.delaySeconds > 0) {
        const armed = await plug.setOnAfter(command.on, command.delaySeconds);
        info = armed.info;
        if (armed.countdown) countdown = { on: armed.countdown.on, delaySeconds: armed.countdown.delaySeconds };
      } else {
        info = await plug.setOn(command.on);
      }
      break;
    }
    case 'dim': {
      // Refused before anything is set when the device does not dim (its component list, known once per connection).
      const plug = await addressed(device, socket, true, ADDRESS_OPTIONS);
      info = await setBrightness(plug, command.on === undefined ? { brightness: command.brightness } : { brightness: command.brightness, on: command.on });
      break;
    }
    case 'toggle':
      info = await (await addressed(device, socket, true, ADDRESS_OPTIONS)).toggle();
      break;
    case 'led':
      info = await (await addressed(device, socket, false, ADDRESS_OPTIONS)).switchLed(command.on);
      break;
    case 'status':
      info = await (await addressed(device, socket, false, ADDRESS_OPTIONS)).getInfo();
      break;
  }
  const result: PlugControlResult = {
    on: info.on,
    nickname: info.nickname,
    model: info.model,
    onTime: info.onTime,
    deviceId: info.deviceId,
  };
  if (countdown) result.countdown = countdown;
  if (info.sockets) result.sockets = info.sockets;
  if (info.brightness !== undefined) result.brightness = info.brightness;
  return result;
}

/** Registers `tapo-plug-control`. */
export default function register(RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(`tapo-plug-control.${key}`, substitutions);

  function TapoPlugControl(this: NodeInstance, def: PlugControlDef): void {
    RED.nodes.createNode(this, def);
    const device = findDevice((id) => RED.nodes.getNode(id), def.device);
    const configured = CONFIG_ACTIONS.includes(def.action ?? '') ? def.action : undefined;

    const run = async (msg: NodeMessage, dev: DeviceConfigNode): Promise<void> => {
      requireKind(dev, 'plug', t);
      // `{ chime: "ring" }` (a D100C; src/devices/chime.ts), whatever the configured action.
      const chime = chimeAction(msg.payload);
      if (chime !== undefined) {
        msg.payload = await dev.run((verbs) => ringChime(verbs.requester, chime));
        return;
      }
      // `{ firmware: "check" | "update" }` (src/nodes/firmware.ts), whatever the configured action.
      const firmware = parseFirmwareAction(msg.payload);
      if (firmware !== undefined) {
        await performFirmware(this, dev, msg, firmware);
        return;
      }
      // Everything is validated before the first request leaves.
      const settings = configured === undefined ? parsePlugSettingsCommand(msg.payload) : undefined;
      const command = settings === undefined ? parsePlugCommand(configured ?? msg.payload) : undefined;
      const socket = socketOf(msg.socket, def.socket, t);
      if (settings) {
        msg.payload = await dev.run(async (verbs): Promise<PlugSettingsResult> => runPlugSettings(await verbs.smart(), socket, settings, ADDRESS_OPTIONS));
      } else if (command) {
        msg.payload = await dev.run((verbs) => perform(verbs, socket, command));
      }
    };
    attachDevice(this, device, t, handleInput(this, device, t, run));
  }

  RED.nodes.registerType('tapo-plug-control', TapoPlugControl);
}
