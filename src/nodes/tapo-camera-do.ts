/**
 * `tapo-camera-do`: changes camera settings or acts (privacy mode, LED, detection, night vision,
 * alarm, pan/tilt, presets, reboot). Changes come from `msg.payload` objects or, when the payload
 * holds none, from the JSON configured on the node; the reply is what the camera reports after.
 */
import { parseCameraActions } from '../devices';
import type { CameraAction } from '../devices';
import { parseFirmwareAction } from '../devices/firmware';
import { performFirmware } from './firmware';
import { nodeError, attachDevice, findDevice, handleInput, isPlainObject, requireKind } from './shared';
import type { DeviceConfigNode, Translate } from './shared';
import type { NodeAPI, NodeDef, NodeInstance, NodeMessage } from './types';

/** The node's properties as saved in the flow. */
export interface CameraDoDef extends NodeDef {
  device?: string;
  /** Changes as JSON text (the editor's JSON typed input). */
  actions?: string;
}

/** Parses the configured JSON once; undefined when the node has none. Throws `Input` when invalid. */
export function configuredActions(text: string | undefined, t: Translate): CameraAction[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw nodeError(t('errors.badJson'));
  }
  return parseCameraActions(value);
}

/** True when the payload carries changes (an object, or an array of objects). */
function carriesActions(payload: unknown): boolean {
  return isPlainObject(payload) || (Array.isArray(payload) && payload.length > 0);
}

/** Registers `tapo-camera-do`. */
export default function register(RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(`tapo-camera-do.${key}`, substitutions);

  function TapoCameraDo(this: NodeInstance, def: CameraDoDef): void {
    RED.nodes.createNode(this, def);
    const device = findDevice((id) => RED.nodes.getNode(id), def.device);
    let fromConfig: CameraAction[] | undefined;
    let configError: unknown;
    try {
      fromConfig = configuredActions(def.actions, t);
    } catch (err: unknown) {
      configError = err;
    }

    const run = async (msg: NodeMessage, dev: DeviceConfigNode): Promise<void> => {
      requireKind(dev, 'camera', t);
      // `{ firmware: "check" | "update" }` (src/nodes/firmware.ts).
      const firmware = parseFirmwareAction(msg.payload);
      if (firmware !== undefined) {
        await performFirmware(this, dev, msg, firmware);
        return;
      }
      let actions: CameraAction[];
      if (carriesActions(msg.payload)) {
        actions = parseCameraActions(msg.payload);
      } else if (configError !== undefined) {
        throw configError;
      } else if (fromConfig && fromConfig.length > 0) {
        actions = fromConfig;
      } else {
        throw nodeError(t('errors.noActions'));
      }
      msg.payload = await dev.run((verbs) => verbs.camera().apply(actions));
    };
    attachDevice(this, device, t, handleInput(this, device, t, run));
  }

  RED.nodes.registerType('tapo-camera-do', TapoCameraDo);
}
