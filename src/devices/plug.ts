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
import { TapoError } from '../protocol/errors';
import type { HintKey, ReasonKey } from '../protocol/reasons';
import type { JsonObject } from '../protocol/types';
import type { Requester } from './requester';
import { arr, bool, checkChildReply, isObject, isReadMethod, malformed, num, str } from './check';
import { SmartDevice } from './smart';
import type { SmartFacts, SmartOptions } from './smart';

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
  /** Dimmers only (S500D, S505D; `brightness` in `get_device_info`): 1–100. */
  brightness?: number;
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
  const brightness = num(r.brightness);
  if (brightness !== undefined) info.brightness = brightness;
  if (sockets) info.sockets = sockets.map((s) => ({ ...s }));
  return info;
}

/** True when a `component_nego` list says the device has sockets of its own (a power strip). */
export function hasChildren(components: ReadonlyMap<string, number>): boolean {
  return components.has('control_child') || components.has('child_device');
}

/** What a switch of a plug answers: the state read back after it (and the countdown armed, if any). */
export interface SwitchResult {
  /** The device (or socket) read after the change. */
  info: PlugInfo;
  /** The countdown armed by {@link Plug.setOnAfter}. */
  countdown?: CountdownResult;
}

/**
 * A plug with a relay of its own (P100, P105, P110, P115 …), or one socket of a strip
 * ({@link Socket}). Power strips as a whole are {@link Strip}s: they have no relay.
 */
export class Plug extends SmartDevice {
  /**
   * Reads the device state (`get_device_info`). `hasEnergy` is set when the component list is
   * already known to the connection (it is asked once, when the device is opened).
   */
  async getInfo(): Promise<PlugInfo> {
    return this.infoOf(await this.deviceInfo());
  }

  /** Switches the relay on; resolves with the state read back. */
  async turnOn(): Promise<PlugInfo> {
    return this.setOn(true);
  }

  /** Switches the relay off; resolves with the state read back. */
  async turnOff(): Promise<PlugInfo> {
    return this.setOn(false);
  }

  /**
   * Sets the relay to an absolute state (safe to replay) and reads it back, in one round trip
   * where the device takes a batch.
   */
  async setOn(on: boolean): Promise<PlugInfo> {
    const [, info] = await this.callAll([
      { method: 'set_device_info', params: { device_on: on }, idempotent: true },
      { method: 'get_device_info' },
    ]);
    return this.infoOf(info ?? (await this.call('get_device_info')));
  }

  /**
   * Reads the relay, then sets the absolute opposite and reads it back: a read plus one batched
   * set-and-read. A replayed set cannot flip the relay twice.
   */
  async toggle(): Promise<PlugInfo> {
    const current = bool((await this.deviceInfo()).device_on);
    if (current === undefined) throw malformed('get_device_info', 'device_on');
    return this.setOn(!current);
  }

  /**
   * Arms a countdown: after `delaySeconds` (1 … 86 400) the relay goes to `on`. The device holds a
   * single countdown, so existing rules are removed first (an absolute, replayable step); the add is
   * not replayed. The removal, the add and the read-back travel together where the device batches.
   */
  async setOnAfter(on: boolean, delaySeconds: number): Promise<SwitchResult> {
    if (!Number.isInteger(delaySeconds) || delaySeconds < 1 || delaySeconds > MAX_COUNTDOWN_SECONDS) {
      throw new TapoError('Input', 'countdownDelay', { params: { max: MAX_COUNTDOWN_SECONDS, value: String(delaySeconds) }, sent: false });
    }
    const [, added, info] = await this.callAll([
      { method: 'remove_countdown_rules', params: { remove_all: true }, idempotent: true },
      { method: 'add_countdown_rule', params: { delay: delaySeconds, desired_states: { on }, enable: true, remain: delaySeconds } },
      { method: 'get_device_info' },
    ]);
    const countdown: CountdownResult = { on, delaySeconds };
    const id = str(added?.id);
    if (id !== undefined) countdown.id = id;
    return { info: this.infoOf(info ?? (await this.call('get_device_info'))), countdown };
  }

  /** Sets the LED rule (see {@link SmartDevice.setLed}) and resolves with the state read back. */
  async switchLed(on: boolean): Promise<PlugInfo> {
    return this.infoOf(await this.setLed(on));
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
    const span = checkEnergyRequest(interval, range);
    const startMs = range?.start.getTime();
    await this.requireEnergy();
    const time = await this.deviceTime();
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
    if (!first || !last) throw new TapoError('Input', 'energyNoWindow', { sent: false });
    const result: EnergyData = { interval, startTimestamp: first.start, endTimestamp: last.end, entries };
    if (localTime !== undefined) result.localTime = localTime;
    return result;
  }

  /**
   * The state and the power now (W), in one round trip where the device batches (`get_device_info`
   * and `get_energy_usage`, whose `current_power` is in mW; methods-plug.md §3, §5).
   */
  async readWithPower(): Promise<{ info: PlugInfo; powerW: number }> {
    await this.requireEnergy();
    const [info, usage] = await this.callAll([{ method: 'get_device_info' }, { method: 'get_energy_usage' }]);
    const mw = num(usage?.current_power);
    const powerW = mw !== undefined ? mw / 1000 : await this.getCurrentPower();
    return { info: this.infoOf(info ?? (await this.call('get_device_info'))), powerW };
  }

  /** The device clock (`get_device_time`) that energy history windows are aligned to. */
  protected deviceTime(): Promise<JsonObject> {
    return this.call('get_device_time');
  }

  /** A {@link PlugInfo} from a `get_device_info` result, with `hasEnergy` when the components are known. */
  infoOf(r: JsonObject): PlugInfo {
    const info = parsePlugInfo(r);
    const energy = this.hasComponent('energy_monitoring');
    if (energy !== undefined) info.hasEnergy = energy;
    return info;
  }

  private async requireEnergy(): Promise<void> {
    const components = await this.getComponents();
    if (components && !components.has('energy_monitoring')) throw noEnergyMeter();
  }
}

/**
 * One socket of a power strip, handed out by {@link Strip.socket}: a plug whose every request is
 * wrapped in `control_child` (methods-plug.md §9). Sockets are never batched (a strip is never sent
 * a second batch), and keep their own component list.
 */
export class Socket extends Plug {
  /** The socket's child device id. */
  readonly childId: string;

  constructor(requester: Requester, childId: string, options: SmartOptions = {}) {
    super(requester, options);
    this.childId = childId;
  }

  /** Sends one method to this socket through the strip's `control_child` and returns the socket's result. */
  override async call(method: string, params?: JsonObject, idempotent: boolean = isReadMethod(method)): Promise<JsonObject> {
    const inner: JsonObject = params === undefined ? { method } : { method, params };
    const wrapped: JsonObject = { method: 'control_child', params: { device_id: this.childId, requestData: inner } };
    const reply = await this.requester.request(this.envelope(wrapped), { idempotent });
    return checkChildReply(reply, method);
  }

  protected override canBatch(): boolean {
    return false;
  }

  /**
   * The strip's clock, asked of the strip itself: a socket keeps none of its own (the P304M's
   * sockets answer no `get_device_time` in their capture; family.md §5).
   */
  protected override deviceTime(): Promise<JsonObject> {
    return super.call('get_device_time');
  }
}

/**
 * A power strip addressed as a whole (P300 …): it has no relay of its own (methods-plug.md §9: its
 * sockets are the switchable units), so it has no switching verbs; {@link Strip.socket} hands out
 * its sockets. Status and LED work on the strip itself.
 */
export class Strip extends SmartDevice {
  /** Socket objects by child id, so each keeps what it learnt. */
  private readonly socketObjects = new Map<string, Socket>();

  /** The strip's own state with its sockets (`on` is true when at least one socket is on). */
  async getInfo(): Promise<PlugInfo> {
    const r = await this.deviceInfo();
    return this.infoOf(r, await this.getSockets());
  }

  /** Sets the strip's LED rule and resolves with the strip read back. */
  async switchLed(on: boolean): Promise<PlugInfo> {
    const r = await this.setLed(on);
    return this.infoOf(r, await this.getSockets());
  }

  /** A {@link PlugInfo} of the strip with its sockets, with `hasEnergy` when the components are known. */
  private infoOf(r: JsonObject, sockets: StripSocket[]): PlugInfo {
    const info = parsePlugInfo(r, sockets);
    const energy = this.hasComponent('energy_monitoring');
    if (energy !== undefined) info.hasEnergy = energy;
    return info;
  }

  /** The sockets, sorted by position (paged `get_child_device_list`). */
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
    this.facts.sockets = all.map((c, i) => ({ position: c.position ?? i + 1, deviceId: c.deviceId }));
    return all;
  }

  /** The sockets in position order: position, id, name and relay state (one paged list read). */
  async getSockets(): Promise<StripSocket[]> {
    return (await this.getChildren()).map((c, i) => ({
      position: c.position ?? i + 1,
      deviceId: c.deviceId,
      nickname: c.nickname,
      on: c.on,
    }));
  }

  /**
   * One socket, by device id, position (1-based) or name. Ids and positions never change, so once
   * the sockets were listed on this connection they are found without a request; a name is always
   * looked up afresh (names change in the app). A name shared by several sockets is refused (an
   * Input error listing their positions).
   */
  async socket(key: string | number): Promise<Socket> {
    const wanted = String(key).trim();
    const known = this.facts.sockets?.find((s) => s.deviceId === wanted || String(s.position) === wanted);
    if (known) return this.socketObject(known.deviceId);
    const children = await this.getChildren();
    const positions = children.map((c) => c.position).filter((p): p is number => p !== undefined);
    const span = positions.length > 1 ? `${Math.min(...positions)}–${Math.max(...positions)}` : positions.join('');
    const named = children.filter((c) => c.nickname === wanted);
    const match =
      children.find((c) => c.deviceId === wanted) ??
      children.find((c) => c.position !== undefined && String(c.position) === wanted) ??
      (named.length === 1 ? named[0] : undefined);
    if (!match && named.length > 1) {
      const where = named.map((c) => c.position).filter((p) => p !== undefined);
      throw new TapoError('Input', 'socketNameShared', {
        params: { count: named.length, name: wanted, positions: where.join(', '), span },
        hint: 'renameSockets',
        sent: false,
      });
    }
    if (!match) {
      throw positions.length > 0
        ? new TapoError('Input', 'noSuchSocket', { params: { name: wanted, positions: positions.join(', ') }, sent: false })
        : new TapoError('Input', 'noSuchSocketNoPositions', { params: { name: wanted }, sent: false });
    }
    return this.socketObject(match.deviceId);
  }

  /**
   * The refusal for switching the strip as a whole, naming the socket positions (from the sockets
   * listed on this connection, else read now). `hint` says how to choose a socket where the user is.
   */
  async switchRefusal(hint: HintKey = 'stripAddressSocket'): Promise<TapoError> {
    const positions = await this.knownPositions();
    return positions.length > 0
      ? new TapoError('Input', 'stripChooseSocket', { params: { positions: positions.join(', ') }, hint, sent: false })
      : new TapoError('Input', 'stripChooseSocketAny', { hint, sent: false });
  }

  /**
   * The refusal of an energy reading of the strip as a whole. A strip whose component list has
   * `energy_monitoring` (P304M, P316M) meters per socket, and the P304M itself answers no energy
   * method (family.md §5), so the user is asked to choose a socket (`Input`, naming the positions).
   * A strip without that component (P300) has no meter at all (`Unsupported`).
   */
  async energyRefusal(hint: HintKey = 'stripAddressSocket'): Promise<TapoError> {
    if (this.hasComponent('energy_monitoring') !== true) return noEnergyMeter();
    const positions = await this.knownPositions();
    return positions.length > 0
      ? new TapoError('Input', 'stripEnergyChooseSocket', { params: { positions: positions.join(', ') }, hint, sent: false })
      : new TapoError('Input', 'stripEnergyChooseSocketAny', { hint, sent: false });
  }

  /** The socket positions listed on this connection, else read now (none when the read fails). */
  private async knownPositions(): Promise<number[]> {
    const known = this.facts.sockets?.map((s) => s.position);
    if (known !== undefined) return known;
    try {
      return (await this.getSockets()).map((s) => s.position);
    } catch {
      return [];
    }
  }

  private socketObject(deviceId: string): Socket {
    let socket = this.socketObjects.get(deviceId);
    if (!socket) {
      this.facts.children ??= new Map<string, SmartFacts>();
      let facts = this.facts.children.get(deviceId);
      if (!facts) {
        facts = {};
        this.facts.children.set(deviceId, facts);
      }
      socket = new Socket(this.requester, deviceId, { terminalUuid: this.terminalUuid, now: this.now, facts });
      this.socketObjects.set(deviceId, socket);
    }
    return socket;
  }
}

/** What {@link openSmart} reads a device with before it knows what the device is. */
class Probe extends SmartDevice {
  info(): Promise<JsonObject> {
    return this.deviceInfo();
  }
}

/**
 * Opens the SMART device behind `requester` as what it is: a {@link Strip} (sockets, no relay) or a
 * {@link Plug}. What it is is learnt once per connection (kept in `options.facts`): the first time,
 * `component_nego` and `get_device_info` travel in one batch (the device info is then used by the
 * same operation's first read, so a status costs nothing more); afterwards nothing is sent.
 */
export async function openSmart(requester: Requester, options: SmartOptions = {}): Promise<Plug | Strip> {
  const facts = options.facts ?? {};
  let primedInfo: JsonObject | undefined;
  if (facts.strip === undefined) {
    // component_nego and get_device_info in one batch (SmartDevice.deviceInfo), learnt on the way.
    const r = await new Probe(requester, { ...options, facts }).info();
    facts.strip = facts.components ? hasChildren(facts.components) : typeof r.device_on !== 'boolean';
    facts.hub = typeof r.type === 'string' && /HUB/i.test(r.type);
    primedInfo = r;
  }
  // A hub lists children too, but they are sensors: nothing here switches or meters them
  // (family.md §1: `type` containing HUB is tested first).
  if (facts.hub === true) throw new TapoError('Input', 'hubNotPlug', { hint: 'hubUseSensorNode', sent: primedInfo !== undefined });
  const next: SmartOptions = { ...options, facts };
  if (primedInfo !== undefined) next.primedInfo = primedInfo;
  return facts.strip ? new Strip(requester, next) : new Plug(requester, next);
}

/**
 * Checks an energy history request before anything is sent: a known interval, valid dates, and a
 * range that can be read within {@link MAX_ENERGY_REQUESTS} requests wherever the device is.
 * Returns the range in epoch seconds when it has both ends. Throws an `Input` error.
 */
export function checkEnergyRequest(interval: EnergyInterval, range?: { start: Date; end?: Date }): { from: number; to: number } | undefined {
  if (!(interval in INTERVAL_MINUTES)) {
    throw new TapoError('Input', 'energyInterval', { params: { value: String(interval) }, sent: false });
  }
  const startMs = range?.start.getTime();
  const endMs = range?.end?.getTime();
  if ((startMs !== undefined && Number.isNaN(startMs)) || (endMs !== undefined && Number.isNaN(endMs))) {
    throw new TapoError('Input', 'energyBadDates', { sent: false });
  }
  const span = startMs !== undefined && endMs !== undefined ? { from: Math.floor(startMs / 1000), to: Math.floor(endMs / 1000) } : undefined;
  // The device's zone shifts the window grid by less than one window, so a range that needs
  // more than one window over the limit in UTC is too long wherever the device is.
  if (span) checkEnergyRange(interval, span.from, span.to, 0, MAX_ENERGY_REQUESTS + 1);
  return span;
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
    if (lastDay < first) throw new TapoError('Input', 'hourlyEndBeforeStart');
    if ((lastDay - first) / DAY + 1 > MAX_HOURLY_DAYS) {
      throw new TapoError('Input', 'hourlyMaxDays', { params: { days: MAX_HOURLY_DAYS } });
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

/** The refusal of too long a range, per interval: what one request covers, and so the longest range allowed. */
const ENERGY_TOO_LONG: Record<EnergyInterval, { reason: ReasonKey; params: Record<string, number> }> = {
  hourly: {
    reason: 'energyRangeTooLongHourly',
    params: { requests: MAX_ENERGY_REQUESTS, days: MAX_HOURLY_DAYS, longestDays: MAX_ENERGY_REQUESTS * MAX_HOURLY_DAYS },
  },
  daily: { reason: 'energyRangeTooLongDaily', params: { requests: MAX_ENERGY_REQUESTS, years: MAX_ENERGY_REQUESTS / 4 } },
  monthly: { reason: 'energyRangeTooLongMonthly', params: { requests: MAX_ENERGY_REQUESTS } },
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
    throw new TapoError('Input', 'energyEndBeforeStart', { sent: false });
  }
  const windows: EnergyRangeWindow[] = [];
  const tooLong = (): TapoError =>
    new TapoError('Input', ENERGY_TOO_LONG[interval].reason, { params: ENERGY_TOO_LONG[interval].params, hint: 'shorterRange', sent: false });
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

/** The refusal of an energy reading from a device without a meter. */
function noEnergyMeter(): TapoError {
  return new TapoError('Unsupported', 'noEnergyMeter', { hint: 'energyModel', sent: false });
}

/**
 * The plug whose meter to read: `device` itself, unless it is a power strip as a whole, which
 * measures nothing (its sockets are the metered units, where they have meters): refused, unsent.
 */
export function metered(device: Plug | Strip): Plug {
  if (device instanceof Strip) throw noEnergyMeter();
  return device;
}

/**
 * The plug (or socket `socket` of a strip) whose meter to read, checked before any energy method
 * is sent: a socket given for a device without sockets, or a socket the strip does not have, is
 * refused as by {@link addressed}; a strip as a whole by {@link Strip.energyRefusal} (choose a
 * socket when its sockets are metered, no meter otherwise).
 */
export async function meteredAt(device: Plug | Strip, socket: string | number | undefined, options: AddressOptions): Promise<Plug> {
  const target = await addressed(device, socket, false, options);
  if (target instanceof Strip) throw await target.energyRefusal(options.stripHint);
  return target;
}

/**
 * How {@link addressed} words its refusals where the user is (a node setting, a command line
 * option …): keys of the reasons and hints tables.
 */
export interface AddressOptions {
  /** The reason of the refusal of a socket given for a device that has none. */
  notStrip: ReasonKey;
  /** Its hint. */
  notStripHint?: HintKey;
  /** How to choose a socket, in the refusal to switch a strip as a whole. */
  stripHint?: HintKey;
}

/**
 * What one command addresses, checked before anything is switched: socket `socket` of a strip, or
 * the device itself when no socket is given. A socket given for a device without sockets is refused
 * with `notStrip`; to switch, a strip as a whole is refused ({@link Strip.switchRefusal}).
 */
export async function addressed(device: Plug | Strip, socket: string | number | undefined, switching: true, options: AddressOptions): Promise<Plug>;
export async function addressed(device: Plug | Strip, socket: string | number | undefined, switching: boolean, options: AddressOptions): Promise<Plug | Strip>;
export async function addressed(
  device: Plug | Strip,
  socket: string | number | undefined,
  switching: boolean,
  options: AddressOptions,
): Promise<Plug | Strip> {
  if (socket !== undefined) {
    if (!(device instanceof Strip)) {
      throw new TapoError('Input', options.notStrip, { sent: false, ...(options.notStripHint ? { hint: options.notStripHint } : {}) });
    }
    return device.socket(socket);
  }
  if (switching && device instanceof Strip) throw await device.switchRefusal(options.stripHint);
  return device;
}
