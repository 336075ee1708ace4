/**
 * Events out of a device (../shared/protocol/events.md). No Tapo device pushes anything over its
 * control API, so the owner of a device ({@link TapoDevice}) watches it for the nodes that want
 * events, with one source per device whatever the number of listeners:
 *
 * - plugs and strips: `get_device_info` (a strip: its sockets) polled through the shared session,
 *   and `get_energy_usage` in the same batch when a listener wants power thresholds (events.md §5.4);
 * - cameras: ONVIF PullPoint with the camera account where the camera answers it (events.md §2),
 *   else the control API's last alarm polled through the shared session (events.md §3.1), with
 *   privacy mode read in the same batch (events are paused while it is on: events.md §2.9 item 9);
 * - doorbells: the UDP datagram of a button press (events.md §4), see ring.ts.
 *
 * Polls run as operations of the device's one queue, so they never interleave with actions and
 * share the session. A poll refused for a wrong password or a lockout pauses the source (no
 * retry loop on a credential: the lockout resumes by itself once it has passed, a rejected
 * password waits for a redeploy or {@link Watch.resume}); the sources stop with the last listener.
 */
import type { Camera } from '../devices/camera';
import { Strip } from '../devices/plug';
import type { Plug, StripSocket } from '../devices/plug';
import { isTapoError } from '../protocol/errors';
import type { TapoError } from '../protocol/errors';
import type { DeviceKind } from '../protocol/types';
import type { DeviceVerbs, RunOptions } from './device';
import { hostOf } from './connection';
import { listenForRings } from './ring';
import { ONVIF_PORT, OnvifEvents } from '../protocol/onvif';
import { OnvifEventState } from '../devices/onvif-events';
import type { Credentials } from '../protocol/types';
import { HubEvents } from './hub-watch';
import type { HubChildRef } from './hub-watch';

/** Where an event came from. */
export type EventSource = 'onvif' | 'poll' | 'udp';

/** One event out of a device, as the event node sends it. */
export interface DeviceEvent {
  /** What happened: `motion`, `person`, `vehicle`, `pet`, `lineCross`, `intrusion`, `tamper`, `babyCry`, `ring`, `on`, `off`, `power` … */
  topic: string;
  /** `true`/`false` for a start/end where the source reports both, else `true`, or the new value (power in W). */
  payload: boolean | number;
  /** Where it came from. */
  source: EventSource;
  /** The raw type as the device gave it (`IsMotion`, `motion`, `device_on` …). */
  type: string;
  /** The time as the device gave it, when it gave one (epoch seconds or an xsd:dateTime string). */
  time?: string | number;
  /** Strip socket position, for a socket's event. */
  socket?: number;
  /** Power thresholds: the threshold crossed (W) and in which direction. */
  threshold?: number;
  direction?: 'above' | 'below';
  /** True for a report of the current state rather than a change. */
  state?: boolean;
  /** The device's model, once the watcher has read it. */
  model?: string;
  /** Hubs: the child the event is about (hub-watch.ts). */
  child?: HubChildRef;
  /** Hubs: a button's rotation in degrees (signed, as the device gave it). */
  degrees?: number;
  /** Hubs: the child's battery in %, with `lowBattery` where the model reports it. */
  battery?: number;
}

/** Why a source is paused. */
export type PauseReason = 'authentication' | 'locked' | 'privacy' | 'unsupported';

/** What a listener is told about its source. */
export interface WatchStatus {
  /** The source that is live (`none` before the first poll or subscription). */
  source: EventSource | 'none';
  /** Why nothing is watched now, when paused. */
  paused?: PauseReason;
  /** Seconds until a lockout ends, when paused for one. */
  secondsLeft?: number;
  /** The last failure of the source, while it lasts. */
  error?: TapoError;
}

/** What a listener wants. */
export interface WatchOptions {
  /** Poll period in ms (the shortest of all listeners of a device is used). */
  pollMs: number;
  /** Power thresholds in W (plugs with a meter): an event when the power crosses one. */
  powerThresholds?: readonly number[];
  /** Doorbells: listen for the ring datagram on this UDP port (events.md §4; 20005 on a real network). */
  ringPort?: number;
  /** Cameras: `auto` (default) uses ONVIF when the device has a camera account, else polling; `poll` never ONVIF. */
  cameraSource?: 'auto' | 'poll';
  /** Cameras: the ONVIF port (default 2020). */
  onvifPort?: number;
}

/** Receives the events and reports of a device. */
export interface WatchListener {
  /** A change. */
  change(event: DeviceEvent): void;
  /** Every report of the current state (each poll; ONVIF `Initialized` states). */
  report(events: readonly DeviceEvent[]): void;
  /** The source's status changed. */
  status(status: WatchStatus): void;
}

/** A listener's handle. */
export interface Watch {
  /** Stops listening; the source stops with the last listener. */
  close(): void;
  /** Ends a pause after a rejected password (the user changed something): the next poll tries once. */
  resume(): void;
}

/** What a watcher needs from the device owner. */
export interface WatchedDevice {
  readonly kind: DeviceKind;
  /**
   * Where the device is now (the owner's current host: read again whenever ONVIF subscribes or
   * the ring listener starts, so both follow the device; see {@link DeviceWatch.moved}).
   */
  readonly host: string;
  /** Cameras: the camera account, for ONVIF events. */
  readonly cameraAccount?: Credentials;
  run<T>(operation: (verbs: DeviceVerbs) => Promise<T>, options?: RunOptions): Promise<T>;
}

/** The state a plug poll read: relay, sockets and power. */
interface PlugState {
  model: string;
  on: boolean;
  sockets?: readonly StripSocket[];
  powerW?: number;
}

/**
 * One device's watchers: the listeners and the one source they share. Created by the device owner
 * on the first `watch`, stopped with the last listener.
 */
export class DeviceWatch {
  private readonly listeners = new Map<WatchListener, WatchOptions>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = true;
  private paused: PauseReason | undefined;
  private lastStatus: WatchStatus = { source: 'none' };
  private plugState: PlugState | undefined;
  private lastAlarm: { time: number; type: string } | undefined;
  /** The device's model, once read. */
  private model: string | undefined;
  /** The camera refused `searchDetectionList`: not asked again. */
  private searchRefused = false;
  /** The detections of the list already delivered, as `time:code` (bounded). */
  private readonly delivered = new Set<string>();
  /** The camera's ONVIF loop while it is the source, and what it reported. */
  private onvif: { events: OnvifEvents; state: OnvifEventState; initialized: Set<string>; expiry: NodeJS.Timeout } | undefined;
  /** ONVIF failed for good (wrong camera account, no events service): polling instead, with this error. */
  private onvifFailure: TapoError | undefined;
  /** Stops the ring listener, while one runs; and its port. */
  private ring: { port: number; stop: () => void } | undefined;
  private polledOnce = false;
  /** Hubs: their children's events (hub-watch.ts); learns on the first poll whether the device is one. */
  private readonly hubEvents = new HubEvents();

  constructor(private readonly device: WatchedDevice) {}

  /** Adds a listener; the source starts with the first. */
  add(listener: WatchListener, options: WatchOptions): Watch {
    this.listeners.set(listener, options);
    listener.status(this.lastStatus);
    if (this.stopped) this.start();
    else this.reschedule();
    this.updateRing();
    return {
      close: () => {
        this.listeners.delete(listener);
        if (this.listeners.size === 0) this.stop();
        else {
          this.reschedule();
          this.updateRing();
        }
      },
      resume: () => this.resume(),
    };
  }

  /** How many listeners there are. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Stops the source and forgets every listener. */
  stop(): void {
    this.stopped = true;
    this.listeners.clear();
    this.stopOnvif();
    this.ring?.stop();
    this.ring = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Ends a pause after a rejected password; polls at once. */
  resume(): void {
    if (this.paused !== 'authentication' || this.stopped) return;
    this.paused = undefined;
    this.schedule(0);
  }

  /**
   * The owner followed the device to another address ({@link WatchedDevice.host} says where):
   * a running ONVIF loop is dropped without a word to the old address and subscribes at the new
   * one (unless privacy mode pauses it: the privacy poll starts it there), ONVIF refused at the old
   * address is tried again, and the ring listener filters on the new address. Polling goes
   * through the owner's queue and follows by itself.
   */
  moved(): void {
    if (this.stopped) return;
    if (this.onvifFailure?.reason === 'onvifPortClosed') this.onvifFailure = undefined;
    const hadOnvif = this.onvif !== undefined;
    this.stopOnvif(false);
    if (hadOnvif && this.paused !== 'privacy' && this.useOnvif()) this.startOnvif();
    else if (!hadOnvif && this.device.kind === 'camera' && this.useOnvif()) this.schedule(0);
    this.ring?.stop();
    this.ring = undefined;
    this.updateRing();
  }

  /** Listens for rings while a listener asks for them (on the port the first one names). */
  private updateRing(): void {
    const port = [...this.listeners.values()].find((o) => o.ringPort !== undefined)?.ringPort;
    if (port === this.ring?.port) return;
    this.ring?.stop();
    this.ring = undefined;
    if (port === undefined || this.stopped) return;
    const stop = listenForRings(
      this.device.host,
      port,
      () => this.deliver([], [{ topic: 'ring', payload: true, source: 'udp', type: 'udp', time: Math.floor(Date.now() / 1000) }]),
      (error) => this.setStatus({ ...this.lastStatus, error }),
    );
    this.ring = { port, stop };
  }

  private start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** The poll period: the shortest any listener asked for. */
  private periodMs(): number {
    let ms = Infinity;
    for (const options of this.listeners.values()) ms = Math.min(ms, options.pollMs);
    return Number.isFinite(ms) ? Math.max(1000, ms) : 5000;
  }

  /** Every threshold any listener asked for. */
  private thresholds(): number[] {
    const all = new Set<number>();
    for (const options of this.listeners.values()) for (const t of options.powerThresholds ?? []) all.add(t);
    return [...all].sort((a, b) => a - b);
  }

  private reschedule(): void {
    if (this.timer !== undefined && !this.busy) this.schedule(this.periodMs());
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, ms);
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.busy || this.paused === 'authentication') return;
    this.busy = true;
    let next = this.periodMs();
    try {
      if (this.hubEvents.isHub !== false && (await this.pollHub())) {
        // A hub: its children's events (hub-watch.ts).
      } else if (this.device.kind === 'camera' && this.useOnvif()) {
        // ONVIF brings the events; a slow poll only follows privacy mode, to pause and resume it.
        await this.pollPrivacy();
        next = Math.max(next, ONVIF_PRIVACY_POLL_MS);
      } else if (this.device.kind === 'camera') await this.pollCamera();
      else await this.pollPlug();
      if (this.paused !== 'privacy' && this.onvif === undefined) this.setStatus(this.onvifFailure ? { source: 'poll', error: this.onvifFailure } : { source: 'poll' });
    } catch (e) {
      next = this.failed(e, next);
    } finally {
      this.busy = false;
    }
    // A rejected password (set by the poll just made) waits for resume() or a redeploy.
    if (!this.heldForPassword()) this.schedule(next);
  }

  /** True while paused after a rejected password. */
  private heldForPassword(): boolean {
    return this.paused === 'authentication';
  }

  /** Decides what a failed poll means; returns when to poll next. */
  private failed(e: unknown, next: number): number {
    if (!isTapoError(e)) {
      this.setStatus({ source: 'poll' });
      return next;
    }
    if (e.kind === 'Authentication') {
      // Never a retry loop on a rejected password: paused until the user does something.
      this.paused = 'authentication';
      this.setStatus({ source: 'poll', paused: 'authentication', error: e });
      return next;
    }
    if (e.kind === 'Locked') {
      const seconds = e.secondsLeft ?? 60;
      this.paused = 'locked';
      this.setStatus({ source: 'poll', paused: 'locked', secondsLeft: seconds, error: e });
      // The connection keeps away from the device until then anyway; poll once after.
      return Math.max(next, seconds * 1000);
    }
    if (e.kind === 'Unsupported' || e.kind === 'Input') {
      this.paused = 'unsupported';
      this.setStatus({ source: 'poll', paused: 'unsupported', error: e });
      this.stopped = true;
      return next;
    }
    this.setStatus({ source: 'poll', error: e });
    return next;
  }

  private async pollPlug(): Promise<void> {
    const thresholds = this.thresholds();
    const state = await this.device.run(async (verbs): Promise<PlugState> => {
      const device = await verbs.smart();
      if (device instanceof Strip) {
        const info = await device.getInfo();
        return { model: info.model, on: info.on, sockets: info.sockets ?? [] };
      }
      return readPlug(device, thresholds.length > 0);
    });
    if (this.paused === 'locked') this.paused = undefined;
    const previous = this.plugState;
    this.plugState = state;
    this.model = state.model;
    const report: DeviceEvent[] = [];
    const changes: DeviceEvent[] = [];
    if (state.sockets) {
      for (const socket of state.sockets) {
        const event: DeviceEvent = { topic: socket.on ? 'on' : 'off', payload: socket.on, source: 'poll', type: 'device_on', socket: socket.position };
        report.push({ ...event, state: true });
        const before = previous?.sockets?.find((s) => s.deviceId === socket.deviceId);
        if (before !== undefined && before.on !== socket.on) changes.push(event);
      }
    } else {
      const event: DeviceEvent = { topic: state.on ? 'on' : 'off', payload: state.on, source: 'poll', type: 'device_on' };
      report.push({ ...event, state: true });
      if (previous !== undefined && previous.on !== state.on) changes.push(event);
    }
    if (state.powerW !== undefined) {
      report.push({ topic: 'power', payload: state.powerW, source: 'poll', type: 'current_power', state: true });
      const before = previous?.powerW;
      if (before !== undefined) {
        for (const threshold of thresholds) {
          if (before < threshold && state.powerW >= threshold) {
            changes.push({ topic: 'power', payload: state.powerW, source: 'poll', type: 'current_power', threshold, direction: 'above' });
          } else if (before >= threshold && state.powerW < threshold) {
            changes.push({ topic: 'power', payload: state.powerW, source: 'poll', type: 'current_power', threshold, direction: 'below' });
          }
        }
      }
    }
    this.deliver(report, changes);
  }

  /** Polls a hub's children; false when the device turned out not to be a hub. */
  private async pollHub(): Promise<boolean> {
    const read = await this.hubEvents.poll((op, opts) => this.device.run(op, opts));
    if (read === undefined) return false;
    if (this.paused === 'locked') this.paused = undefined;
    if (read.model !== undefined) this.model = read.model;
    this.deliver(read.report, read.changes);
    return true;
  }

  /** True when camera events should come over ONVIF: a camera account, no listener asking for polling, and no failure for good. */
  private useOnvif(): boolean {
    const account = this.device.cameraAccount;
    if (account === undefined || account.username === '' || this.onvifFailure !== undefined) return false;
    return [...this.listeners.values()].every((o) => o.cameraSource !== 'poll');
  }

  /** Reads privacy mode (ONVIF mode); starts, pauses or resumes the ONVIF loop accordingly. */
  private async pollPrivacy(): Promise<void> {
    const { privacyMode, model } = await this.device.run(async (verbs) => {
      if (this.model !== undefined) return { privacyMode: (await verbs.camera().read(['privacyMode'])).privacyMode, model: this.model };
      const values = await verbs.camera().read(['privacyMode', 'deviceInfo']);
      return { privacyMode: values.privacyMode, model: values.deviceInfo.model };
    });
    this.model = model;
    if (this.paused === 'locked') this.paused = undefined;
    if (privacyMode) {
      this.paused = 'privacy';
      this.onvif?.events.pause();
      this.setStatus({ source: 'onvif', paused: 'privacy' });
      return;
    }
    if (this.paused === 'privacy') {
      this.paused = undefined;
      this.onvif?.events.resume();
      this.setStatus({ source: 'onvif' });
    }
    if (this.onvif === undefined) this.startOnvif();
  }

  /** Starts the camera's ONVIF loop (events.md §2) with the camera account. */
  private startOnvif(): void {
    const account = this.device.cameraAccount;
    if (account === undefined) return;
    const port = [...this.listeners.values()].find((o) => o.onvifPort !== undefined)?.onvifPort ?? ONVIF_PORT;
    const events = new OnvifEvents({ host: hostOf(this.device.host), port, username: account.username, password: account.password });
    const state = new OnvifEventState();
    const initialized = new Set<string>();
    // A camera that repeats `Initialized` while a detection lasts never says it ended (C225, §2.9 item 1).
    const expiry = setInterval(() => {
      for (const topic of state.expire(Date.now(), ONVIF_INITIALIZED_END_MS).filter((t) => initialized.has(t))) {
        initialized.delete(topic);
        this.deliver([], [{ topic, payload: false, source: 'onvif', type: 'expired' }]);
      }
    }, ONVIF_EXPIRY_CHECK_MS);
    this.onvif = { events, state, initialized, expiry };
    events.on('notification', (notification) => {
      const report: DeviceEvent[] = [];
      const changes: DeviceEvent[] = [];
      for (const u of state.update(notification)) {
        if (u.operation === 'Initialized' && u.active) initialized.add(u.topic);
        else initialized.delete(u.topic);
        const event: DeviceEvent = { topic: u.topic, payload: u.active, source: 'onvif', type: u.item };
        if (u.time !== '') event.time = u.time;
        if (u.change && this.paused !== 'privacy') changes.push(event);
        else report.push({ ...event, state: true });
      }
      this.deliver(report, changes);
    });
    events.on('state', (report) => {
      if (report.state === 'live') this.setStatus({ source: 'onvif' });
      else if (report.state === 'retrying' && report.error) this.setStatus({ source: 'onvif', error: report.error });
      else if ((report.state === 'unauthorized' || report.state === 'unreachable') && report.error) {
        // A wrong camera account or no ONVIF: said once, never retried; events come from polling.
        this.onvifFailure = report.error;
        this.stopOnvif();
        this.setStatus({ source: 'poll', error: report.error });
        this.schedule(0);
      }
    });
    events.start();
  }

  /** Ends the ONVIF loop, unsubscribing unless the camera left the address (`unsubscribe` false). */
  private stopOnvif(unsubscribe = true): void {
    const onvif = this.onvif;
    if (onvif === undefined) return;
    this.onvif = undefined;
    clearInterval(onvif.expiry);
    onvif.events.removeAllListeners();
    void onvif.events.stop({ unsubscribe }).catch(() => undefined);
  }

  private async pollCamera(): Promise<void> {
    const read = await this.device.run((verbs) => readCamera(verbs.camera(), this.model === undefined));
    if (read.model !== undefined) this.model = read.model;
    if (this.paused === 'locked') this.paused = undefined;
    const first = !this.polledOnce;
    this.polledOnce = true;
    if (read.privacyMode) {
      // A camera with its lens covered detects nothing: say so rather than report silence.
      this.paused = 'privacy';
      this.setStatus({ source: 'poll', paused: 'privacy' });
    } else if (this.paused === 'privacy') {
      this.paused = undefined;
    }
    const previous = this.lastAlarm;
    this.lastAlarm = read.lastAlarm;
    const report: DeviceEvent[] = [];
    const changes: DeviceEvent[] = [];
    if (read.lastAlarm !== undefined) {
      const event = alarmEvent(read.lastAlarm);
      report.push({ ...event, state: true });
      // The first poll is the baseline; later, a newer alarm is an event (none while the lens is covered).
      const newer = previous === undefined || read.lastAlarm.time > previous.time;
      if (!first && newer && !read.privacyMode) changes.push(...(await this.typedDetections(previous?.time ?? read.lastAlarm.time - 1, read.lastAlarm)));
    }
    this.deliver(report, changes);
  }

  /**
   * The detections since the last alarm seen, typed, where the camera answers `searchDetectionList`
   * (events.md §3.2: several detections between two polls, and their type: person, vehicle …);
   * else the one new last alarm. Asked only when the last alarm changed; a camera that refuses the
   * list is not asked again.
   */
  private async typedDetections(since: number, latest: { time: number; type: string }): Promise<DeviceEvent[]> {
    if (this.searchRefused) return [alarmEvent(latest)];
    try {
      // The list has whole seconds: the second of the last alarm seen is asked again, and what was
      // already delivered (its time and type) is left out.
      const found = await this.device.run((verbs) => verbs.camera().searchDetections(since, latest.time + 60));
      const fresh = found.filter((d) => d.time >= since && !this.delivered.has(`${d.time}:${d.code}`));
      for (const d of fresh) this.delivered.add(`${d.time}:${d.code}`);
      while (this.delivered.size > 200) this.delivered.delete(this.delivered.values().next().value as string);
      const events = fresh.map((d): DeviceEvent => ({ topic: DETECTION_TOPICS[d.code] ?? 'motion', payload: true, source: 'poll', type: `alarm_type ${d.code}`, time: d.time }));
      return events.length > 0 ? events : [alarmEvent(latest)];
    } catch (e) {
      if (isTapoError(e) && (e.kind === 'Unsupported' || e.kind === 'Input' || e.kind === 'Device')) this.searchRefused = true;
      return [alarmEvent(latest)];
    }
  }

  private deliver(report: readonly DeviceEvent[], changes: readonly DeviceEvent[]): void {
    const model = this.model;
    const stamp = (e: DeviceEvent): DeviceEvent => (model !== undefined && e.model === undefined ? { ...e, model } : e);
    const stampedReport = report.map(stamp);
    for (const listener of [...this.listeners.keys()]) {
      listener.report(stampedReport);
      for (const change of changes) listener.change(stamp(change));
    }
  }

  private setStatus(status: WatchStatus): void {
    this.lastStatus = status;
    for (const listener of [...this.listeners.keys()]) listener.status(status);
  }
}

/** How often privacy mode is read while ONVIF brings the events, ms. */
const ONVIF_PRIVACY_POLL_MS = 30_000;
/** A detection reported only by repeated `Initialized` ends this long after the last one, ms (node-red-contrib-tapo-local's 30 s). */
const ONVIF_INITIALIZED_END_MS = 30_000;
/** How often such detections are checked, ms. */
const ONVIF_EXPIRY_CHECK_MS = 5_000;

/** The relay and, when asked, the power now of a plug, in one round trip where it batches. */
async function readPlug(plug: Plug, withPower: boolean): Promise<PlugState> {
  if (!withPower || plug.hasComponent('energy_monitoring') === false) {
    const info = await plug.getInfo();
    return { model: info.model, on: info.on };
  }
  const { info, powerW } = await plug.readWithPower();
  return { model: info.model, on: info.on, powerW };
}

/** A camera's last alarm and privacy mode, in one request. */
async function readCamera(
  camera: Camera,
  withModel: boolean,
): Promise<{ privacyMode: boolean; model?: string; lastAlarm?: { time: number; type: string } }> {
  // The model is read once, in the first poll's batch.
  const values = withModel ? await camera.read(['lastAlarm', 'privacyMode', 'deviceInfo']) : { ...(await camera.read(['lastAlarm', 'privacyMode'])), deviceInfo: undefined };
  const out: { privacyMode: boolean; model?: string; lastAlarm?: { time: number; type: string } } = { privacyMode: values.privacyMode };
  if (values.deviceInfo !== undefined) out.model = values.deviceInfo.model;
  if (values.lastAlarm.time > 0) out.lastAlarm = { time: values.lastAlarm.time, type: values.lastAlarm.type };
  return out;
}

/** The words the control API's `last_alarm_type` uses, as event topics. */
const ALARM_TOPICS: Readonly<Record<string, string>> = {
  motion: 'motion',
  person: 'person',
  people: 'person',
  human: 'person',
  vehicle: 'vehicle',
  car: 'vehicle',
  pet: 'pet',
  line_crossing: 'lineCross',
  linecross: 'lineCross',
  intrusion: 'intrusion',
  tamper: 'tamper',
  tampering: 'tamper',
  baby_cry: 'babyCry',
  babycry: 'babyCry',
  cry: 'babyCry',
  ring: 'ring',
  doorbell: 'ring',
};

/** The `alarm_type` codes of `searchDetectionList` (events.md §3.2, the app's enum) as event topics. */
const DETECTION_TOPICS: Readonly<Record<number, string>> = {
  2: 'motion',
  3: 'tamper',
  4: 'lineCross',
  5: 'intrusion',
  6: 'person',
  7: 'babyCry',
  8: 'vehicle',
  9: 'pet',
  10: 'ring',
};

/** The event of a new last alarm. */
function alarmEvent(alarm: { time: number; type: string }): DeviceEvent {
  const key = alarm.type.trim().toLowerCase();
  return { topic: ALARM_TOPICS[key] ?? (key === '' ? 'motion' : key), payload: true, source: 'poll', type: alarm.type, time: alarm.time };
}
