/**
 * `tapo-plug-energy`: reads a plug's energy meter. Summary mode answers today's and this month's
 * figures (W, Wh, minutes); history mode answers hourly, daily or monthly buckets (Wh). It can
 * poll on its own every N seconds, without an inject node.
 */
import type { EnergyInterval } from '../devices';
import { TapoError } from '../protocol/errors';
import { attachDevice, fail, findDevice, handleInput, isPlainObject, requireKind } from './shared';
import type { DeviceConfigNode, Translate } from './shared';
import type { NodeAPI, NodeDef, NodeInstance, NodeMessage } from './types';

/** Summary, or one history interval. */
export type EnergyMode = 'summary' | EnergyInterval;

/** The node's properties as saved in the flow. */
export interface PlugEnergyDef extends NodeDef {
  device?: string;
  mode?: string;
  /** Poll period in seconds; 0 or empty = no polling. */
  poll?: number | string;
}

/** One resolved request: what to read and, for history, the window. */
export interface EnergyRequest {
  mode: EnergyMode;
  start?: Date;
  end?: Date;
}

const MODES: readonly EnergyMode[] = ['summary', 'hourly', 'daily', 'monthly'];

/** Reads a date from a Date, epoch ms or an ISO/date string. */
function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'number' || typeof value === 'string') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

/**
 * What to read for one message: `msg.payload` may be an object `{ mode?, start?, end? }`
 * (`interval` is accepted for `mode`); any other payload (an inject timestamp) only triggers a
 * read of the configured mode. Bad values throw an `Input` error before anything is sent.
 */
export function energyRequest(payload: unknown, configured: EnergyMode, t: Translate): EnergyRequest {
  if (!isPlainObject(payload)) return { mode: configured };
  const rawMode = payload.mode ?? payload.interval;
  let mode = configured;
  if (rawMode !== undefined) {
    if (typeof rawMode !== 'string' || !(MODES as readonly string[]).includes(rawMode)) {
      throw new TapoError('Input', t('errors.badMode', { modes: MODES.join(', ') }));
    }
    mode = rawMode as EnergyMode;
  }
  const request: EnergyRequest = { mode };
  for (const key of ['start', 'end'] as const) {
    if (payload[key] === undefined) continue;
    const date = toDate(payload[key]);
    if (!date) throw new TapoError('Input', t('errors.badDate', { field: key }));
    request[key] = date;
  }
  if (request.end && !request.start) throw new TapoError('Input', t('errors.endWithoutStart'));
  if (request.start && request.end && request.end.getTime() < request.start.getTime()) {
    throw new TapoError('Input', t('errors.endBeforeStart'));
  }
  return request;
}

/** Reads what `request` asks for and returns the payload to send. */
async function readEnergy(device: DeviceConfigNode, request: EnergyRequest): Promise<unknown> {
  const plug = device.plug();
  if (request.mode === 'summary') {
    const usage = await plug.getEnergyUsage();
    return {
      currentPower: usage.currentPower,
      todayEnergy: usage.todayEnergy,
      monthEnergy: usage.monthEnergy,
      todayRuntime: usage.todayRuntime,
      monthRuntime: usage.monthRuntime,
    };
  }
  if (request.start) {
    const range: { start: Date; end?: Date } = { start: request.start };
    if (request.end) range.end = request.end;
    return plug.getEnergyData(request.mode, range);
  }
  return plug.getEnergyData(request.mode);
}

/** Registers `tapo-plug-energy`. */
export default function register(RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(`tapo-plug-energy.${key}`, substitutions);

  function TapoPlugEnergy(this: NodeInstance, def: PlugEnergyDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const device = findDevice((id) => RED.nodes.getNode(id), def.device);
    const configured: EnergyMode = (MODES as readonly string[]).includes(def.mode ?? '')
      ? (def.mode as EnergyMode)
      : 'summary';

    const run = async (msg: NodeMessage, dev: DeviceConfigNode): Promise<void> => {
      requireKind(dev, 'plug', t);
      const request = energyRequest(msg.payload, configured, t);
      msg.payload = await dev.exclusive(() => readEnergy(dev, request));
      if (msg.topic === undefined || msg.topic === '') msg.topic = dev.label;
    };
    const stopReporting = handleInput(node, device, t, run);

    let timer: NodeJS.Timeout | undefined;
    const seconds = Number(def.poll);
    if (device && Number.isFinite(seconds) && seconds > 0) {
      let busy = false;
      timer = setInterval(() => {
        if (busy) return;
        busy = true;
        const msg: NodeMessage = {};
        run(msg, device).then(
          () => {
            busy = false;
            if (timer === undefined) return;
            node.status(device.currentStatus());
            node.send(msg);
          },
          (err: unknown) => {
            busy = false;
            if (timer === undefined) return;
            fail(node, device, err, (e) => node.error(e, msg));
          },
        );
      }, Math.max(1, seconds) * 1000);
    }
    attachDevice(node, device, t, stopReporting, () => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    });
  }

  RED.nodes.registerType('tapo-plug-energy', TapoPlugEnergy);
}
