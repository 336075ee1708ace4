/**
 * `tapo-sensor`: reads the children of a hub (H100 configured as a plug, H200 as a camera) in one
 * list read: every child, or the one the node's Child setting or `msg.child` names (a position, a
 * device id or a name, as strip sockets are addressed). A child that does not exist fails with an
 * `Input` error listing the children; nothing else is sent. The status turns yellow when a child
 * read has a low battery.
 *
 * A node of its own rather than a mode of plug-control or camera-read: a hub is configured as
 * either kind, its children are neither plugs nor cameras, and their readings (motion, contact,
 * water, temperature, humidity, battery) have one shape whatever the hub's protocol.
 */
import { pickChild } from '../devices/hub';
import type { HubChild } from '../devices/hub';
import { TapoError } from '../protocol/errors';
import { attachDevice, findDevice, handleInput } from './shared';
import type { DeviceConfigNode, Translate } from './shared';
import type { NodeAPI, NodeDef, NodeInstance, NodeMessage, NodeStatus } from './types';

/** The node's properties as saved in the flow. */
export interface SensorDef extends NodeDef {
  device?: string;
  /** The child to read (position, device id or name); empty: every child. */
  child?: string;
}

/** The child a message asks for: `msg.child`, else the setting; undefined for every child. Refuses other types, unsent. */
export function childKey(value: unknown, configured: string | undefined): string | number | undefined {
  if (value === undefined || value === null || value === '') {
    const c = (configured ?? '').trim();
    return c === '' ? undefined : c;
  }
  if (typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value) && value > 0)) return value;
  throw new TapoError('Input', 'badChildKey', { params: { value: JSON.stringify(value)?.slice(0, 40) ?? String(value) }, sent: false });
}

/** The yellow status of children with a low battery, or undefined when none has. */
export function lowBatteryStatus(children: readonly HubChild[], t: Translate): NodeStatus | undefined {
  const low = children.filter((c) => c.lowBattery);
  if (low.length === 0) return undefined;
  return { fill: 'yellow', shape: 'ring', text: t('status.lowBattery', { names: low.map((c) => c.nickname || `#${c.position}`).join(', ') }) };
}

/** Registers `tapo-sensor`. */
export default function register(RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(`tapo-sensor.${key}`, substitutions);

  function TapoSensor(this: NodeInstance, def: SensorDef): void {
    RED.nodes.createNode(this, def);
    const device = findDevice((id) => RED.nodes.getNode(id), def.device);

    const run = async (msg: NodeMessage, dev: DeviceConfigNode): Promise<NodeStatus | undefined> => {
      const key = childKey(msg.child, def.child);
      const read = await dev.run(async (verbs) => ({ children: await (await verbs.requireHub()).children() }));
      if (key === undefined) {
        msg.payload = read.children;
        return lowBatteryStatus(read.children, t);
      }
      const child = pickChild(read.children, key);
      msg.payload = child;
      return lowBatteryStatus([child], t);
    };
    attachDevice(this, device, t, handleInput(this, device, t, run));
  }

  RED.nodes.registerType('tapo-sensor', TapoSensor);
}
