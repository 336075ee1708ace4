/**
 * `tapo-camera-get`: reads camera settings by name in one batched request (names from the config
 * checkboxes or `msg.payload`), or passes a raw READ request object through. Raw requests that
 * change something (`set`, `do`, `setFoo`, a `multipleRequest` holding one) belong to
 * `tapo-camera-do`, so a "get" node in a flow can never change a camera.
 *
 * It also takes a picture (`snapshot`: `msg.payload` a Buffer holding one JPEG) and gives the
 * stream addresses (`rtsp`), from its configured mode or `msg.payload` "snapshot" / "rtsp".
 */
import { asksForAll, isReadRequest, parseCameraReadNames, plainJsonObject } from '../devices';
import type { CameraSetting } from '../devices';
import { parseMediaAsk, parseSnapshotSource } from '../devices/snapshot';
import type { MediaAsk } from '../devices/snapshot';
import { nodeError, attachDevice, findDevice, handleInput, isPlainObject, requireKind } from './shared';
import type { DeviceConfigNode, Translate } from './shared';
import type { NodeAPI, NodeDef, NodeInstance, NodeMessage } from './types';

/** The node's properties as saved in the flow. */
export interface CameraGetDef extends NodeDef {
  device?: string;
  /** Setting names ticked in the editor. */
  names?: string[] | string;
  /** What the node reads unless `msg.payload` says: settings (default), a snapshot, or the stream addresses. */
  mode?: 'settings' | MediaAsk;
  /** Snapshot source: auto (default), stream8, stream2 or stream1. */
  stream?: string;
  /** `rtsp`: put the camera account in the addresses (the user asked for it). */
  embedAccount?: boolean;
}

/** Describes a request's method for an error message (user input: quoted and shortened). */
function methodLabel(method: unknown): string {
  if (typeof method !== 'string') return 'no method';
  return JSON.stringify(method.length > 40 ? `${method.slice(0, 40)}…` : method);
}

/** Registers `tapo-camera-get`. */
export default function register(RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(`tapo-camera-get.${key}`, substitutions);

  function TapoCameraGet(this: NodeInstance, def: CameraGetDef): void {
    RED.nodes.createNode(this, def);
    const device = findDevice((id) => RED.nodes.getNode(id), def.device);
    const configured = def.names;
    const mode: MediaAsk | undefined = def.mode === 'snapshot' || def.mode === 'rtsp' ? def.mode : undefined;
    const embedAccount = def.embedAccount === true;

    const media = async (ask: MediaAsk, msg: NodeMessage, dev: DeviceConfigNode): Promise<void> => {
      if (ask === 'rtsp') {
        msg.payload = dev.streams(embedAccount);
        return;
      }
      // msg.stream overrides the configured source; checked before anything is sent.
      const source = parseSnapshotSource(msg.stream !== undefined ? msg.stream : def.stream);
      const shot = await dev.snapshot({ source });
      msg.payload = shot.jpeg;
      msg.contentType = 'image/jpeg';
      if (shot.width !== undefined) msg.width = shot.width;
      if (shot.height !== undefined) msg.height = shot.height;
      msg.stream = shot.stream;
    };

    const run = async (msg: NodeMessage, dev: DeviceConfigNode): Promise<void> => {
      requireKind(dev, 'camera', t);
      const payload = msg.payload;
      if (isPlainObject(payload)) {
        // A request object in the device's own format: passed through as is (Camera.raw), reads only.
        // Plain JSON (else an Input error: a BigInt, a circular object) and reads only, before anything is sent.
        const request = plainJsonObject(payload);
        if (!isReadRequest(request)) {
          throw nodeError(t('errors.notRead', { method: methodLabel(payload.method) }));
        }
        msg.payload = await dev.run((verbs) => verbs.camera().raw(request));
        return;
      }
      // "snapshot" / "rtsp" in the payload, else the node's mode; in those modes the payload is only a trigger.
      const asked = typeof payload === 'string' || Array.isArray(payload) ? parseMediaAsk(payload) : undefined;
      const ask = asked ?? mode;
      if (ask !== undefined) {
        await media(ask, msg, dev);
        return;
      }
      let names: CameraSetting[] = [];
      let all = false;
      if (typeof payload === 'string' || Array.isArray(payload)) {
        names = parseCameraReadNames(payload);
        all = asksForAll(payload);
      }
      if (names.length === 0) {
        names = parseCameraReadNames(configured);
        all = asksForAll(configured);
      }
      if (names.length === 0) names = parseCameraReadNames(['deviceInfo']);
      // "all": what this camera has, null for the rest; a setting named alone fails clearly (Unsupported).
      msg.payload = await dev.run((verbs) => (all ? verbs.camera().readAvailable(names) : verbs.camera().read(names)));
    };
    attachDevice(this, device, t, handleInput(this, device, t, run));
  }

  RED.nodes.registerType('tapo-camera-get', TapoCameraGet);
}
