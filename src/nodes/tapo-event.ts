/**
 * `tapo-event`: emits one message per event of a device (camera detections, doorbell rings, plugs
 * switched by hand, power crossing a threshold), for every device kind. The device's owner watches
 * it (src/connection/watch.ts) with one source per device whatever the number of event nodes; this
 * node chooses which events it wants and how it reports them:
 *
 * - `msg.topic`: the event (`motion`, `person`, … `ring`, `on`/`off`, `power`; hub children:
 *   `open`/`close`, `keepOpen`, `water`/`dry`, `click`, `doubleClick`, `rotate`, `lowBattery`);
 * - `msg.payload`: true/false for a start/end where the source reports both, else true, or the new
 *   value (power in W; for `on`/`off` the relay state);
 * - `msg.event`: the details (source, raw type, time as the device gave it, socket, threshold; for
 *   a hub's child: `child` {position, id, name, model}, a rotation's `degrees`, `battery`);
 * - `msg.device`: name, model (when known) and host.
 *
 * Output on change only (default) or on every report; optionally the current state once after
 * deploy. The status shows the last event and how long ago, or why the source is paused.
 */
import { DOORBELL_RING_PORT } from '../connection/ring';
import { HUB_EVENTS } from '../connection/hub-watch';
import type { DeviceEvent, Watch, WatchStatus } from '../connection/watch';
import { attachDevice, errorText, errorFacts, findDevice, nodeError } from './shared';
import type { DeviceConfigNode, Translate } from './shared';
import type { NodeAPI, NodeDef, NodeInstance, NodeMessage, NodeStatus } from './types';

/** The events a camera can report. */
export const CAMERA_EVENTS = ['motion', 'person', 'vehicle', 'pet', 'lineCross', 'intrusion', 'tamper', 'babyCry', 'ring'] as const;
/** The events a plug or strip can report. */
export const PLUG_EVENTS = ['on', 'off', 'power'] as const;
/** The events of a hub's children (H100 configured as a plug, H200 as a camera); `motion` is among the camera events. */
export { HUB_EVENTS };
/** Every event name the node accepts. */
export const EVENT_NAMES: readonly string[] = [...CAMERA_EVENTS, ...PLUG_EVENTS, ...HUB_EVENTS];

/** The node's properties as saved in the flow. */
export interface EventDef extends NodeDef {
  device?: string;
  /** The events to emit (empty: all of the device's kind). */
  events?: string[] | string;
  /** `change` (default) or `every` report. */
  output?: string;
  /** Output the current state once after deploy. */
  initial?: boolean;
  /** Poll period in seconds (default 5). */
  poll?: number | string;
  /** Power thresholds in W, comma-separated. */
  thresholds?: string;
  /** Doorbells: the UDP port rings arrive on (default 20005). */
  ringPort?: number | string;
  /** Cameras: `auto` (ONVIF with a camera account, else polling) or `poll`. */
  source?: string;
  /** Cameras: the ONVIF port (default 2020). */
  onvifPort?: number | string;
}

/** Default poll period, in seconds. */
export const DEFAULT_POLL_S = 5;
/** Shortest poll period, in seconds. */
const MIN_POLL_S = 1;
/** How often the status's "… ago" is refreshed, in ms. */
const AGE_REFRESH_MS = 5000;

/** The configured event names, or an `Input` error naming the unknown ones. */
export function configuredEvents(value: string[] | string | undefined, t: Translate): string[] {
  const list = (Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : []).map((e) => String(e).trim()).filter((e) => e !== '');
  const unknown = list.filter((e) => !EVENT_NAMES.includes(e));
  if (unknown.length > 0) throw nodeError(t('errors.unknownEvents', { events: unknown.join(', '), known: EVENT_NAMES.join(', ') }));
  return [...new Set(list)];
}

/** The configured poll period in ms, or an `Input` error. */
export function configuredPollMs(value: number | string | undefined, t: Translate): number {
  if (value === undefined || value === '') return DEFAULT_POLL_S * 1000;
  const seconds = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(seconds) || seconds < MIN_POLL_S || seconds > 3600) throw nodeError(t('errors.badPoll', { min: MIN_POLL_S, max: 3600 }));
  return Math.round(seconds * 1000);
}

/** The configured power thresholds in W, or an `Input` error. */
export function configuredThresholds(value: string | undefined, t: Translate): number[] {
  if (value === undefined || value.trim() === '') return [];
  const out: number[] = [];
  for (const part of value.split(',')) {
    const n = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(n) || n < 0) throw nodeError(t('errors.badThresholds', { value: value.slice(0, 40) }));
    out.push(n);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** How long ago, in words the catalog gives. */
function ago(t: Translate, ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t('status.secondsAgo', { n: s });
  const m = Math.round(s / 60);
  if (m < 60) return t('status.minutesAgo', { n: m });
  return t('status.hoursAgo', { n: Math.round(m / 60) });
}

/** Registers `tapo-event`. */
export default function register(RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(`tapo-event.${key}`, substitutions);

  function TapoEvent(this: NodeInstance, def: EventDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const device = findDevice((id) => RED.nodes.getNode(id), def.device);
    const output = def.output === 'every' ? 'every' : 'change';
    let watch: Watch | undefined;
    let ageTimer: NodeJS.Timeout | undefined;
    let last: { event: DeviceEvent; at: number } | undefined;
    let status: WatchStatus = { source: 'none' };
    let initialSent = def.initial !== true;
    let closed = false;

    const setStatus = (s: NodeStatus): void => {
      if (!closed) node.status(s);
    };

    /** The status: why the source is paused, else the last event and its age, else what is watched. */
    const paint = (): void => {
      if (!device) return;
      if (status.paused !== undefined) {
        const reason = status.error !== undefined ? errorText(device.translate, errorFacts(status.error, device.translate)) : '';
        const text = t(`status.paused.${status.paused}`, { reason, seconds: status.secondsLeft ?? 0 });
        setStatus({ fill: status.paused === 'privacy' ? 'yellow' : 'red', shape: 'ring', text });
        return;
      }
      if (status.error !== undefined) {
        setStatus({ fill: 'red', shape: 'ring', text: errorText(device.translate, errorFacts(status.error, device.translate)) });
        return;
      }
      if (last !== undefined) {
        const where = last.event.socket ?? last.event.child?.position;
        const what = where !== undefined ? `${last.event.topic} #${where}` : last.event.topic;
        setStatus({ fill: 'green', shape: 'dot', text: t('status.last', { event: what, ago: ago(t, Date.now() - last.at), source: last.event.source }) });
        return;
      }
      setStatus({ fill: 'grey', shape: 'dot', text: status.source === 'none' ? t('status.starting') : t('status.watching', { source: status.source }) });
    };

    const send = (event: DeviceEvent, dev: DeviceConfigNode): void => {
      const details: Record<string, unknown> = { source: event.source, type: event.type };
      if (event.time !== undefined) details.time = event.time;
      if (event.socket !== undefined) details.socket = event.socket;
      if (event.threshold !== undefined) details.threshold = event.threshold;
      if (event.direction !== undefined) details.direction = event.direction;
      if (event.child !== undefined) details.child = { position: event.child.position, id: event.child.deviceId, name: event.child.nickname, model: event.child.model };
      if (event.degrees !== undefined) details.degrees = event.degrees;
      if (event.battery !== undefined) details.battery = event.battery;
      if (event.state === true) details.state = true;
      const msg: NodeMessage = {
        topic: event.topic,
        payload: event.payload,
        event: details,
        device: { name: dev.label, ...(event.model !== undefined ? { model: event.model } : {}), host: dev.host, kind: dev.kind },
      };
      node.send(msg);
    };

    if (!device) {
      setStatus({ fill: 'red', shape: 'ring', text: t('errors.noDeviceShort') });
      node.on('close', (_removed: boolean, done: () => void) => done());
      return;
    }
    let wanted: string[];
    let pollMs: number;
    let thresholds: number[];
    try {
      wanted = configuredEvents(def.events, t);
      pollMs = configuredPollMs(def.poll, t);
      thresholds = configuredThresholds(def.thresholds, t);
    } catch (err: unknown) {
      // Refused at deploy: the status says what to fix, and nothing is watched.
      setStatus({ fill: 'red', shape: 'ring', text: t('status.badConfig') });
      node.error(err instanceof Error ? err.message : String(err));
      node.on('close', (_removed: boolean, done: () => void) => done());
      return;
    }
    // A hub is configured as a plug (H100) or a camera (H200): its children's events come on top.
    const kindEvents: readonly string[] = device.kind === 'camera' ? [...CAMERA_EVENTS, ...HUB_EVENTS] : [...PLUG_EVENTS, 'motion', ...HUB_EVENTS];
    // Rings are listened for when asked for by name: a UDP port is bound for them (events.md §4).
    const ringPort = device.kind === 'camera' && wanted.includes('ring') ? Number(def.ringPort ?? DOORBELL_RING_PORT) || DOORBELL_RING_PORT : undefined;
    const events = new Set(wanted.length > 0 ? wanted.filter((e) => kindEvents.includes(e)) : kindEvents);
    const wants = (event: DeviceEvent): boolean => events.has(event.topic) || (event.topic === 'off' && events.has('on')) || (event.topic === 'on' && events.has('off'));

    const start = (): void => {
      if (device.configError !== undefined) {
        setStatus(device.currentStatus());
        return;
      }
      watch = device.watch(
        {
          change: (event) => {
            if (!wants(event)) return;
            last = { event, at: Date.now() };
            if (output === 'change') send(event, device);
            paint();
          },
          report: (reported) => {
            const mine = reported.filter(wants);
            if (!initialSent) {
              initialSent = true;
              for (const event of mine) send(event, device);
            } else if (output === 'every') {
              for (const event of mine) send(event, device);
            }
          },
          status: (s) => {
            status = s;
            paint();
          },
        },
        {
          pollMs,
          cameraSource: def.source === 'poll' ? 'poll' : 'auto',
          ...(Number(def.onvifPort) > 0 ? { onvifPort: Number(def.onvifPort) } : {}),
          ...(thresholds.length > 0 ? { powerThresholds: thresholds } : {}),
          ...(ringPort !== undefined ? { ringPort } : {}),
        },
      );
      ageTimer = setInterval(paint, AGE_REFRESH_MS);
    };
    start();

    attachDevice(
      node,
      device,
      t,
      () => {
        closed = true;
      },
      () => {
        if (ageTimer !== undefined) clearInterval(ageTimer);
        watch?.close();
        watch = undefined;
      },
      { ownStatus: true },
    );
  }

  RED.nodes.registerType('tapo-event', TapoEvent);
}
