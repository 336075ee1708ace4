/**
 * `tapo-plug-energy`: reads a plug's energy meter, or one socket's of a metered power strip
 * (P304M, P316M: Socket setting or `msg.socket`, as in tapo-plug-control). Summary mode answers today's and this month's
 * figures (W, Wh, minutes); history mode answers hourly, daily or monthly buckets (Wh), for the
 * device's current window or a chosen range. It can poll on its own every N seconds, without an
 * inject node. Polling never repeats what repeating cannot fix: after a rejected password or a
 * locked account it pauses until the next deploy or the next incoming message (so a wrong
 * password does not turn into a login attempt every N seconds); after an `Unsupported` or `Input`
 * error (no energy meter, a setting the device refuses) it stops until the next deploy; and a
 * configuration it cannot work with (a camera device, an invalid timeout) never starts it.
 */
import { checkEnergyRequest, meteredAt } from '../devices';
import type { AddressOptions, EnergyInterval } from '../devices';
import type { DeviceVerbs } from '../connection/device';
import type { ErrorKind } from '../protocol/errors';
import {
  attachDevice,
  errorFacts,
  errorText,
  fail,
  findDevice,
  handleInput,
  isPlainObject,
  nodeError,
  redact,
  requireKind,
} from './shared';
import type { DeviceConfigNode, Translate } from './shared';
import { socketOf } from './tapo-plug-control';
import type { NodeAPI, NodeDef, NodeInstance, NodeMessage } from './types';

/** Summary, or one history interval. */
export type EnergyMode = 'summary' | EnergyInterval;

/** The node's properties as saved in the flow. */
export interface PlugEnergyDef extends NodeDef {
  device?: string;
  mode?: string;
  /** Poll period in seconds; 0 or empty = no polling. */
  poll?: number | string;
  /** Strip socket (P304M, P316M): position, device id or name; empty for a single plug. */
  socket?: string;
}

/** How this node words a socket for a plug, and a strip read as a whole (tapo-device catalog keys), as tapo-plug-control does. */
const ADDRESS_OPTIONS: AddressOptions = { notStrip: 'notStripNode', stripHint: 'stripHintNode' };

/** One resolved request: what to read and, for history, the window. */
export interface EnergyRequest {
  mode: EnergyMode;
  start?: Date;
  end?: Date;
}

const MODES: readonly EnergyMode[] = ['summary', 'hourly', 'daily', 'monthly'];
/** The keys an object payload may have. */
const PAYLOAD_KEYS = ['mode', 'interval', 'start', 'end'] as const;

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
 * read of the configured mode. Bad values, unknown keys, `mode` and `interval` together, and
 * `start`/`end` with the summary throw an `Input` error before anything is sent.
 */
export function energyRequest(payload: unknown, configured: EnergyMode, t: Translate): EnergyRequest {
  if (!isPlainObject(payload)) return { mode: configured };
  const unknown = Object.keys(payload).filter((key) => !(PAYLOAD_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw nodeError(t('errors.unknownKeys', { keys: unknown.join(', '), accepted: PAYLOAD_KEYS.join(', ') }));
  }
  if (payload.mode !== undefined && payload.interval !== undefined) {
    throw nodeError(t('errors.modeAndInterval'));
  }
  const rawMode = payload.mode ?? payload.interval;
  let mode = configured;
  if (rawMode !== undefined) {
    if (typeof rawMode !== 'string' || !(MODES as readonly string[]).includes(rawMode)) {
      throw nodeError(t('errors.badMode', { modes: MODES.join(', ') }));
    }
    mode = rawMode as EnergyMode;
  }
  const request: EnergyRequest = { mode };
  for (const key of ['start', 'end'] as const) {
    if (payload[key] === undefined) continue;
    const date = toDate(payload[key]);
    if (!date) throw nodeError(t('errors.badDate', { field: key }));
    request[key] = date;
  }
  if (mode === 'summary' && (request.start || request.end)) {
    throw nodeError(t('errors.rangeWithSummary'));
  }
  if (request.end && !request.start) throw nodeError(t('errors.endWithoutStart'));
  if (request.start && request.end && request.end.getTime() < request.start.getTime()) {
    throw nodeError(t('errors.endBeforeStart'));
  }
  return request;
}

/**
 * Reads what `request` asks for and returns the payload to send: of the plug, or of socket
 * `socket` of a metered strip (each method wrapped in `control_child`). A socket the strip does not
 * have, a socket for a plug, and a strip as a whole are refused before any energy method is sent.
 */
async function readEnergy(verbs: DeviceVerbs, socket: string | number | undefined, request: EnergyRequest): Promise<unknown> {
  const plug = await meteredAt(await verbs.smart(), socket, ADDRESS_OPTIONS);
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

/**
 * Error kinds after which polling pauses until the next message or deploy: repeating the read
 * cannot succeed, only add failed logins; the user may fix the cause (a password) meanwhile.
 */
export const POLL_PAUSING_KINDS: readonly (ErrorKind | 'Internal')[] = ['Authentication', 'Locked'];

/**
 * Error kinds after which polling stops until the next deploy: the device lacks what the node
 * asks for (no energy meter) or refuses the request as made, and a poll repeats that request.
 */
export const POLL_STOPPING_KINDS: readonly (ErrorKind | 'Internal')[] = ['Unsupported', 'Input'];

/** What a {@link Poller} calls. */
export interface PollerHooks {
  /** Reads once; resolves with the message to send. */
  read(): Promise<NodeMessage>;
  /** Sends a reading (may throw: that is reported through `failed`). */
  deliver(msg: NodeMessage): void;
  /** Reports a failed reading (or a failed delivery). */
  failed(err: unknown, msg: NodeMessage): void;
  /** Told when polling pauses because of `err`. */
  paused(err: unknown): void;
  /** Told when polling stops until the next deploy because of `err` (optional: else `paused`). */
  halted?(err: unknown): void;
  /** Told about a fault in the hooks themselves, which nothing else would report. */
  internal(err: unknown): void;
}

/**
 * Reads every `periodMs` with an interval timer: one reading at a time (a tick while one is in
 * flight is skipped), nothing reported after `stop`, a pause after an error of a
 * {@link POLL_PAUSING_KINDS} kind (the timer is cleared until {@link Poller.resume}), and a halt
 * after one of a {@link POLL_STOPPING_KINDS} kind (cleared for good; `resume` does not restart it).
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = false;
  private isPaused = false;
  private isHalted = false;

  /** Creates a stopped poller; call {@link Poller.start}. */
  constructor(
    private readonly periodMs: number,
    private readonly hooks: PollerHooks,
  ) {}

  /** True while paused after an authentication or lockout error. */
  get paused(): boolean {
    return this.isPaused;
  }

  /** True once halted after an error that polling cannot fix (until the node is redeployed). */
  get halted(): boolean {
    return this.isHalted;
  }

  /** Starts the timer (no-op when running, paused or stopped). */
  start(): void {
    if (this.timer !== undefined || this.stopped || this.isPaused) return;
    this.timer = setInterval(() => this.tick(), this.periodMs);
  }

  /** Ends a pause and starts the timer again (no-op unless paused, and after a halt). */
  resume(): void {
    if (!this.isPaused || this.isHalted) return;
    this.isPaused = false;
    this.start();
  }

  /** Stops for good: clears the timer; a reading in flight reports nothing. */
  stop(): void {
    this.stopped = true;
    this.clear();
  }

  private clear(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.busy || this.stopped || this.isPaused) return;
    this.busy = true;
    const msg: NodeMessage = {};
    Promise.resolve()
      .then(() => this.hooks.read())
      .then(
        (reading) => {
          if (this.stopped) return;
          try {
            this.hooks.deliver(reading);
          } catch (err: unknown) {
            this.hooks.failed(err, reading);
          }
        },
        (err: unknown) => {
          if (this.stopped) return;
          const kind = errorFacts(err).kind;
          const halt = POLL_STOPPING_KINDS.includes(kind);
          const pause = halt || POLL_PAUSING_KINDS.includes(kind);
          if (pause) {
            this.isPaused = true;
            this.isHalted = halt;
            this.clear();
          }
          this.hooks.failed(err, msg);
          if (halt && this.hooks.halted) this.hooks.halted(err);
          else if (pause) this.hooks.paused(err);
        },
      )
      .finally(() => {
        this.busy = false;
      })
      .catch((err: unknown) => this.hooks.internal(err));
  }
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
    // A camera device is a configuration error: refused now, in red, and never polled.
    const wrongKind = device !== undefined && device.kind !== 'plug';

    const run = async (msg: NodeMessage, dev: DeviceConfigNode): Promise<void> => {
      requireKind(dev, 'plug', t);
      const request = energyRequest(msg.payload, configured, t);
      const socket = socketOf(msg.socket, def.socket, t);
      // A range the device cannot answer is refused before anything is sent.
      if (request.mode !== 'summary') checkEnergyRequest(request.mode, request.start ? { start: request.start, ...(request.end ? { end: request.end } : {}) } : undefined);
      msg.payload = await dev.run((verbs) => readEnergy(verbs, socket, request));
      if (msg.topic === undefined || msg.topic === '') msg.topic = dev.label;
    };

    let poller: Poller | undefined;
    const seconds = Number(def.poll);
    const canPoll = device !== undefined && !wrongKind && device.configError === undefined;
    if (device && canPoll && Number.isFinite(seconds) && seconds > 0) {
      poller = new Poller(Math.max(1, seconds) * 1000, {
        read: async () => {
          const msg: NodeMessage = {};
          await run(msg, device);
          return msg;
        },
        deliver: (msg) => {
          node.status(device.currentStatus());
          node.send(msg);
        },
        failed: (err, msg) => fail(node, device, err, (e) => node.error(e, msg)),
        paused: (err) =>
          node.status({
            fill: 'red',
            shape: 'ring',
            text: t('status.pollPaused', { reason: errorText(device.translate, errorFacts(err)) }),
          }),
        halted: (err) =>
          node.status({
            fill: 'red',
            shape: 'ring',
            text: t('status.pollStopped', { reason: errorText(device.translate, errorFacts(err)) }),
          }),
        internal: (err) => node.debug(redact(String(err), device.secrets())),
      });
      poller.start();
    }
    // An incoming message ends a pause: the user has had a chance to fix what stopped it.
    const stopReporting = handleInput(node, device, t, run, { onMessage: () => poller?.resume() });
    const refused = wrongKind ? { fill: 'red' as const, shape: 'ring' as const, text: t('errors.needsPlugShort') } : undefined;
    attachDevice(node, device, t, stopReporting, () => poller?.stop(), refused ? { refused } : {});
  }

  RED.nodes.registerType('tapo-plug-energy', TapoPlugEnergy);
}
