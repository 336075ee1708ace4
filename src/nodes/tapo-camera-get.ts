/**
 * `tapo-camera-get`: reads camera settings by name in one batched request (names from the config
 * checkboxes or `msg.payload`), or passes a raw request object through.
 */
import { parseCameraReadNames } from '../devices';
import type { CameraSetting } from '../devices';
import type { JsonObject } from '../protocol/types';
import { attachDevice, findDevice, handleInput, isPlainObject, requireKind } from './shared';
import type { DeviceConfigNode, Translate } from './shared';
import type { NodeAPI, NodeDef, NodeInstance, NodeMessage } from './types';

/** The node's properties as saved in the flow. */
export interface CameraGetDef extends NodeDef {
  device?: string;
  /** Setting names ticked in the editor. */
  names?: string[] | string;
}

/** Registers `tapo-camera-get`. */
export default function register(RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(`tapo-camera-get.${key}`, substitutions);

  function TapoCameraGet(this: NodeInstance, def: CameraGetDef): void {
    RED.nodes.createNode(this, def);
    const device = findDevice((id) => RED.nodes.getNode(id), def.device);
    const configured = def.names;

    const run = async (msg: NodeMessage, dev: DeviceConfigNode): Promise<void> => {
      requireKind(dev, 'camera', t);
      const payload = msg.payload;
      if (isPlainObject(payload)) {
        // A request object in the device's own format: passed through as is (Camera.raw).
        const request = JSON.parse(JSON.stringify(payload)) as JsonObject;
        msg.payload = await dev.exclusive(() => dev.camera().raw(request));
        return;
      }
      let names: CameraSetting[] = [];
      if (typeof payload === 'string' || Array.isArray(payload)) names = parseCameraReadNames(payload);
      if (names.length === 0) names = parseCameraReadNames(configured);
      if (names.length === 0) names = parseCameraReadNames(['deviceInfo']);
      msg.payload = await dev.exclusive(() => dev.camera().read(names));
    };
    attachDevice(this, device, t, handleInput(this, device, t, run));
  }

  RED.nodes.registerType('tapo-camera-get', TapoCameraGet);
}
