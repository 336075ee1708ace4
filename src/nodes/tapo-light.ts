/**
 * `tapo-light`: switches a Tapo bulb or light strip on, off, toggles it, sets its brightness,
 * colour, colour temperature, gradual on/off or strip effect, or reads its status, then answers
 * the state read back AFTER the action (src/devices/light.ts).
 *
 * Lights are SMART devices: their `tapo-device` has kind "plug". Whether the device really is a
 * bulb or strip is learnt once per connection (from the component list and device info the first
 * message reads anyway); any other device is refused with an `Input` error, nothing changed.
 * Every value is checked before the first request leaves.
 */
import { parseLightCommand } from '../devices';
import type { LightCommand, LightState } from '../devices';
import { attachDevice, findDevice, handleInput, requireKind } from './shared';
import type { DeviceConfigNode, Translate } from './shared';
import type { NodeAPI, NodeDef, NodeInstance, NodeMessage, NodeStatus } from './types';

/** The node's properties as saved in the flow. */
export interface LightDef extends NodeDef {
  device?: string;
  /** `payload` (read the command from msg.payload), `on`, `off`, `toggle` or `status`. */
  action?: string;
}

const CONFIG_ACTIONS = ['on', 'off', 'toggle', 'status'];

/** The status after a light answered: on with its brightness (green), or off (grey). */
export function lightStatus(t: Translate, state: LightState): NodeStatus {
  return state.on
    ? { fill: 'green', shape: 'dot', text: t('status.on', { brightness: state.brightness }) }
    : { fill: 'grey', shape: 'ring', text: t('status.off') };
}

/** Registers `tapo-light`. */
export default function register(RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(`tapo-light.${key}`, substitutions);

  function TapoLight(this: NodeInstance, def: LightDef): void {
    RED.nodes.createNode(this, def);
    const device = findDevice((id) => RED.nodes.getNode(id), def.device);
    const configured = CONFIG_ACTIONS.includes(def.action ?? '') ? def.action : undefined;
    /** The state each message answered, for the status shown after it. */
    const answered = new WeakMap<NodeMessage, LightState>();

    const run = async (msg: NodeMessage, dev: DeviceConfigNode): Promise<void> => {
      requireKind(dev, 'plug', t);
      // Everything is validated before the first request leaves.
      const command: LightCommand = parseLightCommand(configured ?? msg.payload);
      const state = await dev.run(async (verbs): Promise<LightState> => {
        const light = await verbs.light();
        switch (command.type) {
          case 'status':
            return light.getState();
          case 'toggle':
            return light.toggle();
          case 'set':
            return light.set(command.change);
        }
      });
      answered.set(msg, state);
      msg.payload = state;
    };
    const successStatus = (msg: NodeMessage): NodeStatus | undefined => {
      const state = answered.get(msg);
      return state === undefined ? undefined : lightStatus(t, state);
    };
    attachDevice(this, device, t, handleInput(this, device, t, run, { successStatus }));
  }

  RED.nodes.registerType('tapo-light', TapoLight);
}
