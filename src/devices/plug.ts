/**
 * Plugs and power strips (the SMART family): our verbs over the method catalogue of
 * ../shared/protocol/methods-plug.md. Wire method names live here and in the simulator only.
 *
 * Units (methods-plug.md §3, §5): power in W, energy in Wh, runtimes in minutes, times in seconds.
 *
 * Retry safety (DESIGN.md rule 5): reads and sets to an absolute state are sent with
 * `idempotent: true`; a countdown add and anything relative are not. `toggle` is a read followed
 * by an absolute set, so a replayed set cannot flip the relay twice.
 */
import { randomUUID } from 'node:crypto';
import { TapoError } from '../protocol/errors';
import type { JsonObject, JsonValue } from '../protocol/types';
import type { Requester } from './requester';
import { arr, bool, checkChildReply, checkReply, isObject, malformed, num, obj, str } from './check';

/** What a plug (or one socket of a strip) reports about itself. */
export interface PlugInfo {
  /** 40-hex device id (for a strip socket: the child id used with `control_child`). */
  deviceId: string;
  /** Model, e.g. `P110`. */
  model: string;
  /** Device type, e.g. `SMART.TAPOPLUG`. */
  type: string;
  /** User-visible name (decoded from base64). */
  nickname: string;
  /** Relay state. */
  on: boolean;
  /** Seconds since the relay was switched on (0 while off). */
  onTime: number;
  /** Firmware version string. */
  firmware: string;
  /** Hardware version. */
  hardware: string;
  /** MAC address as the device reports it. */
  mac: string;
  /** Wi-Fi signal in dBm. */
  rssi?: number;
  /** Wi-Fi signal level 0–3. */
  signalLevel?: number;
  /** True when the device reports overheating. */
  overheated?: boolean;
  /** True when the device has an energy meter (`energy_monitoring` component); absent when unknown. */
  hasEnergy?: boolean;
  /** Socket position on a strip (1-based), for children only. */
  position?: number;
  /**
   * Power strips only, when read through the strip itself: its sockets in position order. The
   * strip has no relay of its own (its sockets are the switchable units), so for a strip `on` is
   * true when at least one socket is on and `onTime` is 0.
   */
  sockets?: StripSocket[];
}

/** One socket of a power strip, as listed by the strip. */
export interface StripSocket {
  /** Position on the strip (1-based; the list order when the strip does not say). */
  position: number;
  /** Child device id (what `control_child` addresses). */
  deviceId: string;
  /** User-visible name (decoded from base64). */
  nickname: string;
  /** Relay state of this socket. */
  on: boolean;
}

/** Today's and this month's consumption (`get_energy_usage`). */
export interface EnergyUsage {
  /** Power now, in W. */
  currentPower: number;
  /** Energy used today, in Wh. */
  todayEnergy: number;
  /** Energy used this month, in Wh. */
  monthEnergy: number;
  /** Minutes switched on today. */
  todayRuntime: number;
  /** Minutes switched on this month. */
  monthRuntime: number;
  /** Device-local time of the reading, `YYYY-MM-DD HH:MM:SS`. */
  localTime?: string;
}

/** Bucket size for {@link Plug.getEnergyData}. */
export type EnergyInterval = 'hourly' | 'daily' | 'monthly';

/** One bucket of energy history. */
export interface EnergyDataEntry {
  /** Start of the bucket, epoch seconds. */
  timestamp: number;
  /** Energy used in the bucket, in Wh. */
  energy: number;
}

/** Energy history (`get_energy_data`). */
export interface EnergyData {
  /** Bucket size. */
  interval: EnergyInterval;
  /** First bucket start sent to the device, epoch seconds (device-local midnight). */
  startTimestamp: number;
  /** End sent to the device, epoch seconds. */
  endTimestamp: number;
  /** Device-local time of the reading, when reported. */
  localTime?: string;
  /** Buckets in order. */
  entries: EnergyDataEntry[];
}

/** A countdown that was armed by {@link Plug.setOnAfter}. */
export interface CountdownResult {
  /** Rule id the device assigned, e.g. `C1`. */
  id?: string;
  /** State the relay will take. */
  on: boolean;
  /** Delay in seconds. */
  delaySeconds: number;
}

/** Options of a {@link Plug}. */
export interface PlugOptions {
  /** Address one socket of a strip: every request is wrapped in `control_child`. */
  childId?: string;
  /** `terminal_uuid` sent in each envelope (default: a random id per instance). */
  terminalUuid?: string;
  /** Wall clock in ms for `request_time_milis` (default `Date.now`). */
  now?: () => number;
  /**
   * What the refusal to switch a power strip as a whole tells the user to do, where they are
   * (a node setting, a command line option …). Default: address a socket with `child()`.
   */
  stripHint?: string;
}

/** Longest countdown the device accepts, in seconds (24 h; methods-plug.md §6). */
export const MAX_COUNTDOWN_SECONDS = 86_400;

const INTERVAL_MINUTES: Record<EnergyInterval, number> = { hourly: 60, daily: 1440, monthly: 43_200 };
const DAY = 86_400;
/** Hourly history covers at most this many days (methods-plug.md §5). */
const MAX_HOURLY_DAYS = 8;

/**
 * Decodes a base64 UTF-8 field (`nickname`, `ssid`). Returns the input unchanged when it is not
 * base64 or does not decode to valid UTF-8 (a device that sent plain text).
 */
export function decodeBase64Text(v: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) return v;
  const text = Buffer.from(v, 'base64').toString('utf8');
  return text.includes('\uFFFD') || /[\u0000-\u001f]/.test(text) ? v : text;
}

/**
 * Builds a {@link PlugInfo} from a `get_device_info` result (or a `child_device_list` entry).
 * Strip sockets report `overheat_status` instead of `overheated`. A power strip's own
 * `get_device_info` has no `device_on`: pass its `sockets` (see {@link Plug.getSockets}) and the
 * relay fields are derived from them instead.
 */
export function parsePlugInfo(r: JsonObject, sockets?: readonly StripSocket[]): PlugInfo {
  const deviceId = str(r.device_id);
  const on = sockets ? sockets.some((s) => s.on) : bool(r.device_on);
  if (deviceId === undefined) throw malformed('get_device_info', 'device_id');
  if (on === undefined) throw malformed('get_device_info', 'device_on');
  const info: PlugInfo = {
    deviceId,
    model: str(r.model) ?? '',
    type: str(r.type) ?? '',
    nickname: decodeBase64Text(str(r.nickname) ?? ''),
    on,
    onTime: sockets ? 0 : (num(r.on_time) ?? 0),
    firmware: str(r.fw_ver) ?? '',
    hardware: str(r.hw_ver) ?? '',
    mac: str(r.mac) ?? '',
  };
  const rssi = num(r.rssi);
  if (rssi !== undefined) info.rssi = rssi;
  const level = num(r.signal_level);
  if (level !== undefined) info.signalLevel = level;
  if (typeof r.overheated === 'boolean') info.overheated = r.overheated;
  else if (typeof r.overheat_status === 'string') info.overheated = r.overheat_status !== 'normal';
  const position = num(r.position);
  if (position !== undefined) info.position = position;
  if (sockets) info.sockets = sockets.map((s) => ({ ...s }));
  return info;
}

/** True when a `component_nego` list says the device has sockets of its own (a power strip). */
function hasChildren(components: ReadonlyMap<string, number>): boolean {
  return components.has('control_child') || components.has('child_device');
}

function isReadMethod(method: string): boolean {
  return method.startsWith('get_') || method === 'component_nego';
}

/** The hint of the strip refusal when the caller gives none. */
const STRIP_HINT = 'Address one socket: plug.child(position, id or name).';

/**
 * A plug, or one socket of a strip when constructed with `childId`.
 *
 * A power strip addressed as a whole has no relay (methods-plug.md §9: its sockets are the
 * switchable units). What the Plug learns about that is kept for its lifetime: call
 * {@link Plug.isStrip} (or any read) before switching and a switch of the strip itself is refused
 * before anything is sent.
 */
export class Plug {
  /** The socket id when this addresses one socket of a strip. */
  readonly childId: string | undefined;
  private readonly requester: Requester;
  private readonly terminalUuid: string;
  private readonly now: () => number;
  private readonly stripHint: string;
  private components: Map<string, number> | null | undefined;
  /** Whether this is a strip addressed as a whole; undefined until learnt. */
  private strip: boolean | undefined;
  /** Socket positions of this strip, from the last child list read. */
  private positions: number[] | undefined;
  /** Socket Plugs by child id, so each keeps what it learnt (its component list). */
  private readonly socketPlugs = new Map<string, Plug>();

  constructor(requester: Requester, options: PlugOptions = {}) {
    this.requester = requester;
    this.childId = options.childId;
    this.terminalUuid = options.terminalUuid ?? randomUUID().replace(/-/g, '').toUpperCase();
    this.now = options.now ?? Date.now;
    this.stripHint = options.stripHint ?? STRIP_HINT;
  }

  /**
   * Sends one method and returns its checked `result` (`{}` when the device sent none).
   * Reads (`get_*`) are marked idempotent unless told otherwise.
   */
  async call(method: string, params?: JsonObject, idempotent: boolean = isReadMethod(method)): Promise<JsonObject> {
    const inner: JsonObject = params === undefined ? { method } : { method, params };
    if (this.childId === undefined) {
      const reply = await this.requester.request(this.envelope(inner), { idempotent });
      return checkReply('smart', reply, method);
    }
    const wrapped: JsonObject = {
      method: 'control_child',
      params: { device_id: this.childId, requestData: inner },
    };
    const reply = await this.requester.request(this.envelope(wrapped), { idempotent });
    return checkChildReply(reply, method);
  }

  /**
   * Reads the device (or socket) state. `hasEnergy` is filled from `component_nego` (asked once).
   * On a power strip addressed as a whole, `sockets` lists its sockets (one more read).
   */
  async getInfo(): Promise<PlugInfo> {
    const info = await this.readInfo();
    const components = await this.getComponents();
    if (components) info.hasEnergy = components.has('energy_monitoring');
    return info;
  }

  /**
   * `get_device_info` as a {@link PlugInfo}, without the component list (so `hasEnergy` is not
   * set). A power strip addressed as a whole has no `device_on`: its sockets are then listed (one
   * more read) and the relay fields derived from them; a device that has none to list is reported
   * as a malformed reply.
   */
  async readInfo(): Promise<PlugInfo> {
    const r = await this.call('get_device_info');
    const sockets = this.childId === undefined && typeof r.device_on !== 'boolean' ? await this.socketsIfAny() : undefined;
    return parsePlugInfo(r, sockets);
  }

  /** This device's sockets, or undefined when it lists none or refuses the list. */
  private async socketsIfAny(): Promise<StripSocket[] | undefined> {
    try {
      const sockets = await this.getSockets();
      return sockets.length > 0 ? sockets : undefined;
    } catch (e) {
      if (e instanceof TapoError && ['Device', 'Unsupported', 'Input'].includes(e.kind)) return undefined;
      throw e;
    }
  }

  /**
   * True when this is a power strip addressed as a whole (never for one of its sockets). Learnt
   * from `component_nego` (asked once per Plug; `getInfo` needs it anyway) or, when the device
   * refuses that, from `get_device_info` lacking `device_on`; remembered afterwards.
   */
  async isStrip(): Promise<boolean> {
    if (this.childId !== undefined) return false;
    if (this.strip === undefined) {
      const components = await this.getComponents();
      if (this.strip === undefined) {
        this.strip = components ? hasChildren(components) : typeof (await this.call('get_device_info')).device_on !== 'boolean';
      }
    }
    return this.strip;
  }

  /**
   * Refuses to switch a power strip as a whole: throws an Input error that names its sockets, before
   * any switching request is sent. `hint` tells the user how to choose a socket where they are
   * (a node setting, a command line option …; default: the `stripHint` option). Resolves when this
   * has a relay of its own.
   */
  async requireRelay(hint: string = this.stripHint): Promise<void> {
    if (await this.isStrip()) throw await this.stripError(hint, false);
  }

  /** The refusal for switching a strip as a whole, naming the socket positions when they can be read. */
  private async stripError(hint: string, sent: boolean): Promise<TapoError> {
    let positions = this.positions;
    if (positions === undefined) {
      try {
        positions = (await this.getSockets()).map((s) => s.position);
      } catch {
        positions = [];
      }
    }
    const choice = positions.length > 0 ? `${positions.join(', ')} or its name` : 'its position, id or name';
    return new TapoError('Input', `This is a power strip: choose a socket (${choice}).`, { hint, sent });
  }

  /**
   * The Plug one command addresses, checked before anything is switched: socket `socket` of this
   * strip, or this device itself when no socket is given. A socket given for a device without
   * sockets is refused with the `notStrip` message (and hint); with `switching` and no socket, a
   * strip as a whole is refused ({@link requireRelay}, with `stripHint` when given).
   */
  async target(
    socket: string | number | undefined,
    options: { switching: boolean; notStrip: string; notStripHint?: string; stripHint?: string },
  ): Promise<Plug> {
    if (socket !== undefined) {
      if (!(await this.isStrip())) {
        throw new TapoError('Input', options.notStrip, { sent: false, ...(options.notStripHint ? { hint: options.notStripHint } : {}) });
      }
      return this.child(socket);
    }
    if (options.switching) await this.requireRelay(options.stripHint);
    return this;
  }

  /** Switches the relay on. */
  async turnOn(): Promise<void> {
    await this.setOn(true);
  }

  /** Switches the relay off. */
  async turnOff(): Promise<void> {
    await this.setOn(false);
  }

  /**
   * Sets the relay to an absolute state (safe to replay). A strip known to be one is refused before
   * sending; one not yet known is asked after the device refuses the set, to say why.
   */
  async setOn(on: boolean): Promise<void> {
    if (this.strip === true) throw await this.stripError(this.stripHint, false);
    try {
      await this.call('set_device_info', { device_on: on }, true);
    } catch (e) {
      if (e instanceof TapoError && e.kind === 'Input' && this.strip === undefined && (await this.isStrip().catch(() => false))) {
        throw await this.stripError(this.stripHint, true);
      }
      throw e;
    }
  }

  /** Reads the relay, then sets the absolute opposite. Resolves with the new state. A strip as a whole is refused. */
  async toggle(): Promise<boolean> {
    if (this.strip === true) throw await this.stripError(this.stripHint, false);
    const current = bool((await this.call('get_device_info')).device_on);
    if (current === undefined) {
      if (await this.isStrip()) throw await this.stripError(this.stripHint, false);
      throw malformed('get_device_info', 'device_on');
    }
    await this.setOn(!current);
    return !current;
  }

  /**
   * Arms a countdown: after `delaySeconds` (1 … 86 400) the relay goes to `on`. The device holds a
   * single countdown, so existing rules are removed first (an absolute, replayable step); the add is
   * not replayed.
   */
  async setOnAfter(on: boolean, delaySeconds: number): Promise<CountdownResult> {
    if (!Number.isInteger(delaySeconds) || delaySeconds < 1 || delaySeconds > MAX_COUNTDOWN_SECONDS) {
      throw new TapoError(
        'Input',
        `Countdown delay must be a whole number of seconds from 1 to ${MAX_COUNTDOWN_SECONDS}; got ${String(delaySeconds)}.`,
      );
    }
    // Unlike a set, a countdown on the strip itself is accepted by the device, so ask first.
    await this.requireRelay();
    await this.call('remove_countdown_rules', { remove_all: true }, true);
    const r = await this.call(
      'add_countdown_rule',
      { delay: delaySeconds, desired_states: { on }, enable: true, remain: delaySeconds },
      false,
    );
    const result: CountdownResult = { on, delaySeconds };
    const id = str(r.id);
    if (id !== undefined) result.id = id;
    return result;
  }

  /** True unless the LED rule is `never` (the LED may still be dark in night mode). */
  async getLed(): Promise<boolean> {
    const r = await this.call('get_led_info');
    const rule = str(r.led_rule);
    if (rule === undefined) throw malformed('get_led_info', 'led_rule');
    return rule !== 'never';
  }

  /** Sets the LED rule to `always` or `never`, sending back the full LED object as the device wants. */
  async setLed(on: boolean): Promise<void> {
    const current = await this.call('get_led_info');
    await this.call('set_led_info', { ...current, led_rule: on ? 'always' : 'never' }, true);
  }

  /** Power now, in W (`get_current_power` reports whole watts). */
  async getCurrentPower(): Promise<number> {
    await this.requireEnergy();
    const power = num((await this.call('get_current_power')).current_power);
    if (power === undefined) throw malformed('get_current_power', 'current_power');
    return power;
  }

  /**
   * Today's and this month's consumption. `current_power` arrives in mW and is returned in W;
   * models that omit it (P304M) are asked `get_current_power` instead.
   */
  async getEnergyUsage(): Promise<EnergyUsage> {
    await this.requireEnergy();
    const r = await this.call('get_energy_usage');
    const mw = num(r.current_power);
    const usage: EnergyUsage = {
      currentPower: mw !== undefined ? mw / 1000 : await this.getCurrentPower(),
      todayEnergy: num(r.today_energy) ?? 0,
      monthEnergy: num(r.month_energy) ?? 0,
      todayRuntime: num(r.today_runtime) ?? 0,
      monthRuntime: num(r.month_runtime) ?? 0,
    };
    const localTime = str(r.local_time);
    if (localTime !== undefined) usage.localTime = localTime;
    return usage;
  }

  /**
   * Energy history in Wh per bucket (methods-plug.md §5). Boundaries are device-local: the
   * device's `time_diff` (minutes from UTC) is read first, and, without a `range`, its clock is "now".
   * The device answers one window per request:
   * - hourly: from local midnight of one day to 23:59:59 of another, at most 8 days;
   * - daily: a quarter (start = end = midnight of the quarter's first day);
   * - monthly: a year (start = end = 1 January); entries are calendar months.
   *
   * Without a `range`, or with `start` alone, the answer is the one window containing that instant
   * (hourly: its day). With `start` and `end`, it is exactly the buckets that overlap
   * [start, end]: the windows covering the range are asked one after the other (at most
   * {@link MAX_ENERGY_REQUESTS}; windows that begin after the device's clock are skipped) and
   * their entries joined in order. Too long a range is refused with an `Input` error that gives
   * the maximum, before any request when it is too long in every time zone.
   */
  async getEnergyData(interval: EnergyInterval, range?: { start: Date; end?: Date }): Promise<EnergyData> {
    if (!(interval in INTERVAL_MINUTES)) {
      throw new TapoError('Input', `Energy interval must be hourly, daily or monthly; got ${String(interval)}.`);
    }
    const startMs = range?.start.getTime();
    const endMs = range?.end?.getTime();
    if ((startMs !== undefined && Number.isNaN(startMs)) || (endMs !== undefined && Number.isNaN(endMs))) {
      throw new TapoError('Input', 'Energy range dates must be valid dates.');
    }
    const span =
      startMs !== undefined && endMs !== undefined
        ? { from: Math.floor(startMs / 1000), to: Math.floor(endMs / 1000) }
        : undefined;
    // The device's zone shifts the window grid by less than one window, so a range that needs
    // more than one window over the limit in UTC is too long wherever the device is.
    if (span) checkEnergyRange(interval, span.from, span.to, 0, MAX_ENERGY_REQUESTS + 1);
    await this.requireEnergy();
    const time = await this.call('get_device_time');
    const offset = (num(time.time_diff) ?? 0) * 60;
    const deviceNow = num(time.timestamp);
    if (span) return this.energyRange(interval, span.from, span.to, offset, deviceNow);
    const from = startMs !== undefined ? Math.floor(startMs / 1000) : deviceNow;
    if (from === undefined) throw malformed('get_device_time', 'timestamp');
    const window = energyWindow(interval, from, undefined, offset);
    const r = await this.call('get_energy_data', {
      start_timestamp: window.start,
      end_timestamp: window.end,
      interval: INTERVAL_MINUTES[interval],
    });
    const values = arr(r.data);
    const entries: EnergyDataEntry[] = values.map((v, i) => ({
      timestamp: bucketStart(interval, window.start, i, offset),
      energy: num(v) ?? 0,
    }));
    const result: EnergyData = { interval, startTimestamp: window.start, endTimestamp: window.end, entries };
    const localTime = str(r.local_time);
    if (localTime !== undefined) result.localTime = localTime;
    return result;
  }

  /** {@link getEnergyData} for a [from, to] range (epoch s): one request per window, entries trimmed to the range. */
  private async energyRange(
    interval: EnergyInterval,
    from: number,
    to: number,
    offset: number,
    deviceNow: number | undefined,
  ): Promise<EnergyData> {
    const all = checkEnergyRange(interval, from, to, offset, MAX_ENERGY_REQUESTS);
    // Windows wholly in the device's future hold nothing yet (the first one is always asked).
    const windows = all.filter((w, i) => i === 0 || deviceNow === undefined || w.start <= deviceNow);
    const entries: EnergyDataEntry[] = [];
    let localTime: string | undefined;
    for (const window of windows) {
      const r = await this.call('get_energy_data', {
        start_timestamp: window.start,
        end_timestamp: window.end,
        interval: INTERVAL_MINUTES[interval],
      });
      const values = arr(r.data);
      for (let i = 0; i < values.length; i++) {
        const timestamp = bucketStart(interval, window.start, i, offset);
        // A bucket belongs to the window that asked for it, and to the answer when it overlaps the range.
        if (timestamp > window.last) break;
        if (bucketStart(interval, window.start, i + 1, offset) <= from || timestamp > to) continue;
        entries.push({ timestamp, energy: num(values[i]) ?? 0 });
      }
      localTime = str(r.local_time) ?? localTime;
    }
    const first = windows[0];
    const last = windows[windows.length - 1];
    if (!first || !last) throw new TapoError('Input', 'The energy range covers no window.', { sent: false });
    const result: EnergyData = { interval, startTimestamp: first.start, endTimestamp: last.end, entries };
    if (localTime !== undefined) result.localTime = localTime;
    return result;
  }

  /** The sockets of a strip, sorted by position (paged `get_child_device_list`). */
  async getChildren(): Promise<PlugInfo[]> {
    const all: PlugInfo[] = [];
    for (;;) {
      const page = await this.call('get_child_device_list', { start_index: all.length });
      const list = arr(page.child_device_list).filter(isObject);
      for (const entry of list) all.push(parsePlugInfo(entry));
      const sum = num(page.sum);
      if (list.length === 0 || sum === undefined || all.length >= sum) break;
    }
    // A strip that does not number its sockets: the list order is their position.
    if (all.every((c) => c.position === undefined)) {
      for (const [i, c] of all.entries()) c.position = i + 1;
    }
    all.sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
    if (this.childId === undefined && all.length > 0) {
      this.strip = true;
      this.positions = all.map((c) => c.position ?? 0);
    }
    return all;
  }

  /** A strip's sockets in position order: position, id, name and relay state (one paged list read). */
  async getSockets(): Promise<StripSocket[]> {
    return (await this.getChildren()).map((c, i) => ({
      position: c.position ?? i + 1,
      deviceId: c.deviceId,
      nickname: c.nickname,
      on: c.on,
    }));
  }

  /**
   * A {@link Plug} for one socket of this strip, by device id, position (1-based) or nickname.
   * A name shared by several sockets is refused (an Input error listing their positions).
   */
  async child(idOrPosition: string | number): Promise<Plug> {
    const children = await this.getChildren();
    const key = String(idOrPosition).trim();
    const positions = children.map((c) => c.position).filter((p): p is number => p !== undefined);
    const span = positions.length > 1 ? `${Math.min(...positions)}–${Math.max(...positions)}` : positions.join('');
    const named = children.filter((c) => c.nickname === key);
    const match =
      children.find((c) => c.deviceId === key) ??
      children.find((c) => c.position !== undefined && String(c.position) === key) ??
      (named.length === 1 ? named[0] : undefined);
    if (!match && named.length > 1) {
      const where = named.map((c) => c.position).filter((p) => p !== undefined);
      throw new TapoError(
        'Input',
        `${named.length} sockets are named "${key}" (positions ${where.join(', ')}): use the position ${span} or the socket's device id.`,
        { hint: 'Give the sockets different names in the Tapo app to choose them by name.', sent: false },
      );
    }
    if (!match) {
      throw new TapoError(
        'Input',
        `No socket "${key}" on this device; use a device id, a position (${positions.join(', ') || 'none'}) or a socket name.`,
        { sent: false },
      );
    }
    let socket = this.socketPlugs.get(match.deviceId);
    if (!socket) {
      socket = new Plug(this.requester, { childId: match.deviceId, terminalUuid: this.terminalUuid, now: this.now });
      this.socketPlugs.set(match.deviceId, socket);
    }
    return socket;
  }

  /** Component ids and versions from `component_nego`, asked once; null when the device refuses it. */
  async getComponents(): Promise<Map<string, number> | null> {
    if (this.components !== undefined) return this.components;
    try {
      const r = await this.call('component_nego');
      const map = new Map<string, number>();
      for (const c of arr(r.component_list)) {
        const id = str(obj(c).id);
        if (id !== undefined) map.set(id, num(obj(c).ver_code) ?? 0);
      }
      this.components = map;
      if (this.childId === undefined) this.strip = hasChildren(map);
    } catch (e) {
      if (!(e instanceof TapoError) || !['Device', 'Unsupported', 'Input'].includes(e.kind)) throw e;
      this.components = null;
    }
    return this.components;
  }

  private async requireEnergy(): Promise<void> {
    const components = await this.getComponents();
    if (components && !components.has('energy_monitoring')) {
      throw new TapoError('Unsupported', 'This device has no energy meter.', {
        hint: 'Energy readings need a P110, P115 or another model with energy monitoring.',
        sent: false,
      });
    }
  }

  private envelope(req: JsonObject): JsonObject {
    const out: { [k: string]: JsonValue } = { ...req };
    out.request_time_milis = this.now();
    out.terminal_uuid = this.terminalUuid;
    return out;
  }
}

/** Device-local midnight (epoch s) of the day containing `t`, for a device `offset` seconds from UTC. */
function localMidnight(t: number, offset: number): number {
  return Math.floor((t + offset) / DAY) * DAY - offset;
}

/** The aligned `start_timestamp`/`end_timestamp` pair for one request (methods-plug.md §5). */
export function energyWindow(
  interval: EnergyInterval,
  start: number,
  end: number | undefined,
  offsetSeconds: number,
): { start: number; end: number } {
  const first = localMidnight(start, offsetSeconds);
  if (interval === 'hourly') {
    const lastDay = localMidnight(end ?? start, offsetSeconds);
    if (lastDay < first) throw new TapoError('Input', 'The end of an hourly energy range must not be before its start.');
    if ((lastDay - first) / DAY + 1 > MAX_HOURLY_DAYS) {
      throw new TapoError('Input', `Hourly energy history covers at most ${MAX_HOURLY_DAYS} days.`);
    }
    return { start: first, end: lastDay + DAY - 1 };
  }
  const local = new Date((first + offsetSeconds) * 1000);
  const year = local.getUTCFullYear();
  const month = interval === 'daily' ? Math.floor(local.getUTCMonth() / 3) * 3 : 0;
  const aligned = Date.UTC(year, month, 1) / 1000 - offsetSeconds;
  return { start: aligned, end: aligned };
}

/** Most `get_energy_data` requests one {@link Plug.getEnergyData} range may take. */
export const MAX_ENERGY_REQUESTS = 12;

/** What one request covers, per interval, and so the longest range allowed (for messages). */
const ENERGY_WINDOW_TEXT: Record<EnergyInterval, { per: string; longest: string }> = {
  hourly: { per: `${MAX_HOURLY_DAYS} days`, longest: `${MAX_ENERGY_REQUESTS * MAX_HOURLY_DAYS} days` },
  daily: { per: 'quarter', longest: `${MAX_ENERGY_REQUESTS} quarters (${MAX_ENERGY_REQUESTS / 4} years)` },
  monthly: { per: 'year', longest: `${MAX_ENERGY_REQUESTS} years` },
};

/** One request of a range: the pair sent, and the start of the last bucket it contributes. */
interface EnergyRangeWindow {
  start: number;
  end: number;
  last: number;
}

/**
 * The windows, in order, that cover [from, to] (epoch s) for a device `offset` seconds from UTC,
 * or an `Input` error when `to` is before `from` or more than `limit` windows are needed.
 */
export function checkEnergyRange(
  interval: EnergyInterval,
  from: number,
  to: number,
  offset: number,
  limit: number,
): EnergyRangeWindow[] {
  if (to < from) {
    throw new TapoError('Input', 'The end of an energy range must not be before its start.', { sent: false });
  }
  const windows: EnergyRangeWindow[] = [];
  const tooLong = (): TapoError =>
    new TapoError(
      'Input',
      `This ${interval} range needs more than ${MAX_ENERGY_REQUESTS} requests to the device (one per ${ENERGY_WINDOW_TEXT[interval].per}); ` +
        `${interval} history is read for at most ${ENERGY_WINDOW_TEXT[interval].longest} at a time.`,
      { hint: 'Ask for a shorter range, or split it over several messages.', sent: false },
    );
  if (interval === 'hourly') {
    const lastDay = localMidnight(to, offset);
    for (let day = localMidnight(from, offset); day <= lastDay; day += MAX_HOURLY_DAYS * DAY) {
      if (windows.length >= limit) throw tooLong();
      const window = energyWindow('hourly', day, Math.min(day + (MAX_HOURLY_DAYS - 1) * DAY, lastDay), offset);
      windows.push({ ...window, last: window.end });
    }
    return windows;
  }
  // Daily windows are quarters (3 months), monthly ones years (12 months).
  const months = interval === 'daily' ? 3 : 12;
  let window = energyWindow(interval, from, undefined, offset);
  while (window.start <= to) {
    if (windows.length >= limit) throw tooLong();
    const next = bucketStart('monthly', window.start, months, offset);
    windows.push({ ...window, last: next - 1 });
    window = energyWindow(interval, next, undefined, offset);
  }
  return windows;
}

function bucketStart(interval: EnergyInterval, start: number, i: number, offset: number): number {
  if (interval !== 'monthly') return start + i * INTERVAL_MINUTES[interval] * 60;
  const local = new Date((start + offset) * 1000);
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + i, 1) / 1000 - offset;
}
