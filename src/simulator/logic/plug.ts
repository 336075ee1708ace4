/**
 * The functional side of a SMART plug, power strip or wall switch (P100, P110, P115, P300, P304M,
 * S500D … ; dimmer brightness in ./switch.ts), behind whatever
 * transport the simulated device speaks. Follows ../shared/protocol/methods-plug.md.
 *
 * Every method the fixture captured answers with its captured `result` (a deep copy), overlaid
 * with live state where the device would change it: relay and `on_time`, nickname (base64 on
 * the wire), LED, countdown rules, energy counters, clock. Time only comes from the injected
 * `SimClock`; pending countdowns and energy are settled lazily at the start of every call (and
 * by `tick()`), each at the exact instant it happened, so a manual clock gives exact figures.
 *
 * Error codes (errors.md §2): unknown method -1002, bad params -1008, a second armed countdown
 * -1902 (COUNTDOWN_CONFLICT), unknown countdown id -1901.
 */
import type { DeviceLogic, SimClock, SimJson, SimJsonObject } from '../types';
import { FirmwareLogic } from './firmware';
import type { SimFirmwareUpdate } from './firmware';
import { MethodError, clone, isObject, isUnsafeKey, own } from './json';
import { LightLogic } from './light';
import type { LightSimState } from './light';
import { PlugSettingsLogic } from './plug-settings';
import type { PlugSettingsState } from './plug-settings';
import { checkBrightness, isDimmable } from './switch';

const UNKNOWN_METHOD = -1002;
const JSON_DECODE_FAIL = -1003;
const PARAMS_ERROR = -1008;
const COUNTDOWN_ERROR = -1901;
const COUNTDOWN_CONFLICT = -1902;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Energy is accumulated in watt-milliseconds (exact integers for integer loads); 1 Wh = 3.6e6 W·ms. */
const WMS_PER_WH = 3_600_000;
/** The P110's limits on a countdown delay (Rust client: 1 s … 24 h). */
const MAX_COUNTDOWN_S = 86_400;

/** Default page size of `get_child_device_list` (python-kasa pages by `start_index`/`sum`). */
export const DEFAULT_CHILD_PAGE_SIZE = 10;

/** Default load on an energy-monitoring plug whose relay is on, in watts. */
export const DEFAULT_LOAD_WATTS = 60;

/** Options for a plug's logic. */
export interface PlugLogicOptions {
  clock: SimClock;
  /** Watts drawn while the relay is on (energy-monitoring models only). Default 60. */
  loadWatts?: number;
  /**
   * Metered strips (P304M): watts drawn by each socket while on, by position (index 0 = socket 1).
   * A socket not listed draws `loadWatts`.
   */
  socketLoadWatts?: readonly number[];
  /** Set by a strip on the logic of each of its sockets. */
  socket?: boolean;
  /** Called when the client asks the device to reboot (`device_reboot`). */
  onReboot?: () => void;
  /** Entries per `get_child_device_list` page (strips). Default 10. */
  childPageSize?: number;
  /** Called when a firmware download completes: the device installs it and reboots (logic/firmware.ts). */
  onFirmwareInstall?: (update: SimFirmwareUpdate) => void;
}

/** A countdown rule as tests see it. */
export interface PlugCountdownState {
  id: string;
  delaySeconds: number;
  /** Seconds until it fires. */
  remainSeconds: number;
  /** Relay state it will set. */
  desiredOn: boolean;
}

/** One socket of a strip. */
export interface PlugChildState {
  deviceId: string;
  position: number;
  nickname: string;
  on: boolean;
}

/** Live state of a plug, read fresh on every access. */
export interface PlugState {
  on: boolean;
  onTimeSeconds: number;
  /** Decoded (plain text) nickname. */
  nickname: string;
  ledOn: boolean;
  /** The armed countdown, or null. */
  countdown: PlugCountdownState | null;
  currentPowerW: number;
  todayEnergyWh: number;
  monthEnergyWh: number;
  todayRuntimeMin: number;
  monthRuntimeMin: number;
  /** Strips only, in the order the device lists them. */
  children?: PlugChildState[];
  /** Dimmers only (S500D, S505D): brightness 1…100. */
  brightness?: number;
}

interface CountdownRule {
  id: string;
  delay: number;
  desiredOn: boolean;
  enable: boolean;
  /** Clock time the rule was armed, while enabled. */
  armedAt: number | null;
}

interface Bucket {
  /** Energy in W·ms. */
  energy: number;
  /** Relay-on time in ms. */
  runtime: number;
}

function num(v: SimJson | undefined, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function paramsOf(req: SimJsonObject): SimJsonObject {
  return isObject(req.params) ? req.params : {};
}

function decodeBase64Text(s: string): string | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64').toString('utf8');
}

function pad2(n: number): string {
  return n.toString().padStart(2, '0');
}

/** The functional P1xx/P3xx device. */
export class PlugLogic implements DeviceLogic {
  /** Always `'smart'`. */
  readonly family = 'smart' as const;

  private readonly clock: SimClock;
  private readonly onReboot: (() => void) | undefined;
  private readonly childPageSize: number;
  /** Own copy of the dump; generic `set_x` calls update `get_x` entries in it. */
  private readonly captured: SimJsonObject;
  private readonly info: SimJsonObject;
  private readonly hasRelay: boolean;
  private readonly energyCapable: boolean;
  private readonly dimmable: boolean;
  private readonly isSocket: boolean;
  private readonly tzOffsetMs: number;

  private on: boolean;
  private onSince: number;
  private nickname: string;
  private readonly led: SimJsonObject | undefined;
  private readonly countdownSupported: boolean;
  private readonly countdownMax: number;
  private rules: CountdownRule[] = [];
  private nextRuleNo = 1;

  private loadWatts: number;
  private accountedTo: number;
  private readonly hourly = new Map<number, number>();
  private readonly daily = new Map<number, Bucket>();
  private readonly monthly = new Map<number, Bucket>();
  private energySinceStart = 0;
  private runtimeSinceStart = 0;

  private readonly children = new Map<string, PlugLogic>();
  private readonly childOrder: string[] = [];
  /** Auto-off, state after power loss, child lock, overload protection, schedules (plug-settings.ts). */
  private readonly settings: PlugSettingsLogic;
  /** The firmware update (offer, download, install: logic/firmware.ts). */
  readonly firmware: FirmwareLogic;
  /** Bulbs and light strips: brightness, colour, effects, gradual on/off (logic/light.ts). */
  private readonly light: LightLogic | undefined;

  /** `data` is a fixture dump (or one child's entry of `child_devices`). */
  constructor(data: SimJsonObject, options: PlugLogicOptions) {
    this.clock = options.clock;
    this.onReboot = options.onReboot;
    this.childPageSize = Math.max(1, Math.floor(options.childPageSize ?? DEFAULT_CHILD_PAGE_SIZE));
    this.captured = clone(data);
    if (!isObject(this.captured.get_device_info)) throw new Error('plug fixture has no get_device_info');
    this.info = this.captured.get_device_info;
    const onInstall = options.onFirmwareInstall;
    this.firmware = new FirmwareLogic('smart', { version: () => this.firmwareVersion(), install: (u) => onInstall?.(u) }, this.captured);

    const components = this.componentIds();
    this.settings = new PlugSettingsLogic({ clock: this.clock, components, captured: this.captured, info: this.info });
    this.hasRelay = typeof this.info.device_on === 'boolean';
    // A strip as a whole meters nothing of its own unless it was captured answering (the P304M
    // lists energy_monitoring but its dump has no get_energy_usage; family.md §5): its sockets do.
    this.energyCapable = components.has('energy_monitoring') && (this.hasRelay || isObject(this.captured.get_energy_usage));
    this.dimmable = isDimmable(components);
    this.isSocket = options.socket === true;
    this.countdownSupported = components.has('countdown') || isObject(this.captured.get_countdown_rules);
    const versions = this.componentVersions();
    this.light = LightLogic.isLight(this.info, versions) ? new LightLogic(this.captured, this.info, versions) : undefined;

    const now = this.clock.now();
    const timeDiff = num(this.info.time_diff, isObject(this.captured.get_device_time) ? num(this.captured.get_device_time.time_diff) : 0);
    this.tzOffsetMs = timeDiff * 60_000;

    this.on = this.info.device_on === true;
    this.onSince = now - num(this.info.on_time) * 1000;
    this.nickname = typeof this.info.nickname === 'string' ? (decodeBase64Text(this.info.nickname) ?? this.info.nickname) : '';
    this.led = isObject(this.captured.get_led_info) ? this.captured.get_led_info : undefined;

    const cd = this.captured.get_countdown_rules;
    this.countdownMax = isObject(cd) ? num(cd.countdown_rule_max_count, 1) : 1;
    if (isObject(cd) && Array.isArray(cd.rule_list)) {
      for (const r of cd.rule_list) {
        if (!isObject(r) || typeof r.id !== 'string') continue;
        const desired = isObject(r.desired_states) ? r.desired_states.on === true : r.action === 'on';
        const enable = r.enable === true && num(r.remain) > 0;
        const delay = num(r.delay);
        // An armed captured rule keeps the `remain` it had at capture time.
        this.rules.push({ id: r.id, delay, desiredOn: desired, enable, armedAt: enable ? now - (delay - num(r.remain)) * 1000 : null });
        this.bumpRuleNo(r.id);
      }
    }

    this.loadWatts = this.energyCapable ? (options.loadWatts ?? DEFAULT_LOAD_WATTS) : 0;
    this.accountedTo = now;
    this.seedCounters(now);

    const childData = this.captured.child_devices;
    const list = this.captured.get_child_device_list;
    if (isObject(childData) || isObject(list)) {
      const listed = isObject(list) && Array.isArray(list.child_device_list) ? list.child_device_list.filter(isObject) : [];
      const ids = listed.map((c) => c.device_id).filter((id): id is string => typeof id === 'string');
      if (isObject(childData)) for (const id of Object.keys(childData)) if (!ids.includes(id)) ids.push(id);
      for (const id of ids) {
        const fromDump = isObject(childData) ? childData[id] : undefined;
        const listedInfo = listed.find((c) => c.device_id === id);
        const dump: SimJsonObject = isObject(fromDump) ? clone(fromDump) : {};
        if (!isObject(dump.get_device_info) && listedInfo !== undefined) dump.get_device_info = clone(listedInfo);
        if (!isObject(dump.get_device_info)) continue;
        const position = num(dump.get_device_info.position);
        const load = options.socketLoadWatts?.[position - 1] ?? options.loadWatts;
        this.children.set(
          id,
          new PlugLogic(dump, {
            clock: this.clock,
            socket: true,
            ...(load !== undefined ? { loadWatts: load } : {}),
            ...(this.onReboot !== undefined ? { onReboot: this.onReboot } : {}),
          }),
        );
        this.childOrder.push(id);
      }
    }
  }

  /** Live state for assertions. */
  get state(): PlugState {
    this.settle();
    const today = this.bucketOf(this.daily, this.dayIndex(this.clock.now()));
    const month = this.bucketOf(this.monthly, this.monthIndex(this.clock.now()));
    const armed = this.rules.find((r) => r.enable && r.armedAt !== null);
    const s: PlugState = {
      on: this.on,
      onTimeSeconds: this.onTimeSeconds(),
      nickname: this.nickname,
      ledOn: this.ledStatus(),
      countdown: armed === undefined ? null : { id: armed.id, delaySeconds: armed.delay, remainSeconds: this.remain(armed), desiredOn: armed.desiredOn },
      currentPowerW: this.on ? this.loadWatts : 0,
      todayEnergyWh: Math.floor(today.energy / WMS_PER_WH),
      monthEnergyWh: Math.floor(month.energy / WMS_PER_WH),
      todayRuntimeMin: Math.floor(today.runtime / 60_000),
      monthRuntimeMin: Math.floor(month.runtime / 60_000),
    };
    if (this.dimmable && typeof this.info.brightness === 'number') s.brightness = this.info.brightness;
    if (this.childOrder.length > 0) {
      s.children = this.childOrder.map((id) => {
        const child = this.children.get(id)!;
        const cs = child.state;
        return { deviceId: id, position: num(child.info.position), nickname: cs.nickname, on: cs.on };
      });
    }
    return s;
  }

  /** Live settings (auto-off, state after power loss, child lock, overload protection, schedules) for assertions. */
  get settingsState(): PlugSettingsState {
    this.settle();
    return this.settings.state;
  }

  /** Live light state (bulbs and light strips only) for assertions. */
  get lightState(): LightSimState | undefined {
    return this.light?.state;
  }

  /** Changes the load drawn while on (energy from now on uses the new figure). */
  setLoadWatts(watts: number): void {
    if (!Number.isFinite(watts) || watts < 0) throw new RangeError('loadWatts must be a non-negative number');
    this.settle();
    this.loadWatts = this.energyCapable ? watts : 0;
  }

  /** Fires due countdowns and brings energy counters up to the clock. */
  tick(): void {
    this.settle();
  }

  /**
   * The physical button, pressed by hand (events.md §5.4): toggles the relay as a user would, so
   * `device_on` flips and `on_time` starts again from 0. On a strip, `position` names the socket
   * (its `position` field, 1-based); a plug takes none. Returns the new relay state. Throws a
   * RangeError for a socket the strip does not have, a position on a plug, or a strip without one.
   */
  press(position?: number): { on: boolean; position?: number } {
    this.settle();
    if (this.childOrder.length > 0) {
      if (position === undefined) throw new RangeError('a strip has a button per socket: say which socket (its position, from 1)');
      const id = this.childOrder.find((cid) => num(this.children.get(cid)!.info.position) === position);
      if (id === undefined) throw new RangeError(`this strip has no socket at position ${String(position)}`);
      const child = this.children.get(id)!;
      return { ...child.press(), position };
    }
    if (position !== undefined) throw new RangeError('a plug has one button: a socket position is only for strips');
    if (!this.hasRelay) throw new RangeError('this device has no relay to switch');
    const now = this.clock.now();
    this.setRelay(!this.on, now);
    return { on: this.on };
  }

  /** The firmware version in `get_device_info` (`fw_ver`). */
  firmwareVersion(): string {
    return typeof this.info.fw_ver === 'string' ? this.info.fw_ver : '';
  }

  /** The device rebooted into `version` (a firmware update: logic/firmware.ts). */
  applyFirmware(version: string): void {
    this.info.fw_ver = version;
    this.firmware.installed();
  }

  /** A strip socket's logic, by device id (undefined when unknown). */
  child(deviceId: string): PlugLogic | undefined {
    return this.children.get(deviceId);
  }

  /** Decrypted `{method, params}` in, `{error_code, result?}` out. */
  handle(request: SimJsonObject): SimJsonObject {
    this.settle();
    if (typeof request.method !== 'string') return { error_code: JSON_DECODE_FAIL };
    if (request.method === 'multipleRequest') return this.reply(() => this.multiple(paramsOf(request)));
    return this.reply(() => this.dispatch(request.method as string, request.params));
  }

  private reply(fn: () => SimJsonObject | undefined): SimJsonObject {
    try {
      const result = fn();
      return result === undefined ? { error_code: 0 } : { error_code: 0, result };
    } catch (err) {
      if (err instanceof MethodError) return { error_code: err.code };
      throw err;
    }
  }

  private multiple(params: SimJsonObject): SimJsonObject {
    if (!Array.isArray(params.requests)) throw new MethodError(PARAMS_ERROR, 'multipleRequest needs requests[]');
    const responses: SimJson[] = [];
    for (const sub of params.requests) {
      const method = isObject(sub) && typeof sub.method === 'string' ? sub.method : '';
      let entry: SimJsonObject;
      if (method === '' || method === 'multipleRequest') {
        entry = { method, error_code: PARAMS_ERROR };
      } else {
        entry = { method, ...this.reply(() => this.dispatch(method, (sub as SimJsonObject).params)) };
      }
      responses.push(entry);
      // Devices stop at the first failing sub-request (methods-plug.md §8).
      if (entry.error_code !== 0) break;
    }
    return { responses };
  }

  private dispatch(method: string, rawParams: SimJson | undefined): SimJsonObject | undefined {
    const params = isObject(rawParams) ? rawParams : {};
    switch (method) {
      case 'get_device_info':
        return this.deviceInfo();
      case 'set_device_info':
        this.setDeviceInfo(params);
        return undefined;
      case 'get_device_time':
        return this.deviceTime();
      case 'get_led_info':
        return this.ledInfo();
      case 'set_led_info':
        this.setLedInfo(params);
        return undefined;
      case 'get_countdown_rules':
        return this.countdownRules();
      case 'add_countdown_rule':
        return this.addCountdown(params);
      case 'edit_countdown_rule':
        this.editCountdown(params);
        return undefined;
      case 'remove_countdown_rules':
        this.removeCountdown(params);
        return undefined;
      case 'get_energy_usage':
        return this.energyUsage();
      case 'get_current_power':
        this.requireEnergy(method);
        return { current_power: this.on ? Math.round(this.loadWatts) : 0 };
      case 'get_energy_data':
        return this.energyData(params);
      case 'get_emeter_data':
        return this.emeterData();
      case 'get_device_usage':
        return this.deviceUsage();
      case 'get_child_device_list':
        return this.childList(params);
      case 'control_child':
        return this.controlChild(params);
      case 'device_reboot':
        this.onReboot?.();
        return undefined;
      case 'get_latest_fw':
        return this.firmware.latestFw();
      case 'fw_download':
        this.firmware.start();
        return undefined;
      case 'get_fw_download_state': {
        const captured = own(this.captured, method);
        return this.firmware.downloadState(isObject(captured) ? captured : undefined);
      }
      default:
        if (this.light !== undefined && LightLogic.METHODS.has(method)) return this.light.dispatch(method, params);
        if (PlugSettingsLogic.METHODS.has(method)) return this.settings.dispatch(method, params);
        return this.generic(method, params);
    }
  }

  // ---- generic captured methods -------------------------------------------------------------

  private generic(method: string, params: SimJsonObject): SimJsonObject | undefined {
    if (method === 'discovery_result' || method === 'child_devices') throw new MethodError(UNKNOWN_METHOD, method);
    const captured = own(this.captured, method);
    if (captured !== undefined) return isObject(captured) ? clone(captured) : { value: clone(captured) };
    // A `set_x` whose `get_x` was captured updates the fields it names, keeping their types.
    if (method.startsWith('set_')) {
      const target = own(this.captured, `get_${method.slice(4)}`);
      if (isObject(target)) {
        this.mergeTyped(target, params, method);
        return undefined;
      }
    }
    throw new MethodError(UNKNOWN_METHOD, `unknown method ${method}`);
  }

  private mergeTyped(target: SimJsonObject, params: SimJsonObject, method: string): void {
    const keys = Object.keys(params);
    if (keys.length === 0) throw new MethodError(PARAMS_ERROR, `${method} needs params`);
    for (const k of keys) {
      if (isUnsafeKey(k) || !Object.hasOwn(target, k) || typeof target[k] !== typeof params[k] || Array.isArray(target[k]) !== Array.isArray(params[k])) {
        throw new MethodError(PARAMS_ERROR, `${method}: bad field ${k}`);
      }
    }
    for (const [k, v] of Object.entries(params)) target[k] = clone(v);
  }

  private componentVersions(): Map<string, number> {
    const out = new Map<string, number>();
    const nego = this.captured.component_nego;
    if (isObject(nego) && Array.isArray(nego.component_list)) {
      for (const c of nego.component_list) {
        if (isObject(c) && typeof c.id === 'string') out.set(c.id, typeof c.ver_code === 'number' ? c.ver_code : 0);
      }
    }
    return out;
  }

  private componentIds(): Set<string> {
    const out = new Set<string>();
    const nego = this.captured.component_nego;
    if (isObject(nego) && Array.isArray(nego.component_list)) {
      for (const c of nego.component_list) if (isObject(c) && typeof c.id === 'string') out.add(c.id);
    }
    return out;
  }

  // ---- relay, nickname, time ------------------------------------------------------------------

  private onTimeSeconds(): number {
    return this.on ? Math.max(0, Math.floor((this.clock.now() - this.onSince) / 1000)) : 0;
  }

  private setRelay(on: boolean, at: number): void {
    this.accountTo(at);
    if (on !== this.on) this.settings.relayChanged(on, at);
    if (on && !this.on) this.onSince = at;
    this.on = on;
  }

  private deviceInfo(): SimJsonObject {
    const out = clone(this.info);
    if (this.hasRelay) {
      out.device_on = this.on;
      out.on_time = this.onTimeSeconds();
    }
    out.nickname = Buffer.from(this.nickname, 'utf8').toString('base64');
    this.settings.overlayInfo(out);
    return out;
  }

  private setDeviceInfo(params: SimJsonObject): void {
    const keys = Object.keys(params);
    if (keys.length === 0) throw new MethodError(PARAMS_ERROR, 'set_device_info needs params');
    let nickname: string | undefined;
    let defaults: SimJsonObject | undefined;
    const applyLight = this.light?.prepare(params);
    for (const k of keys) {
      const v = params[k];
      if (applyLight !== undefined && LightLogic.KEYS.has(k)) {
        continue;
      } else if (k === 'default_states') {
        defaults = this.settings.defaultStatesOf(v);
      } else if (k === 'device_on') {
        if (!this.hasRelay || typeof v !== 'boolean') throw new MethodError(PARAMS_ERROR, 'device_on must be boolean');
      } else if (k === 'brightness' && this.dimmable) {
        checkBrightness(v);
      } else if (k === 'nickname') {
        nickname = typeof v === 'string' ? decodeBase64Text(v) : undefined;
        if (nickname === undefined) throw new MethodError(PARAMS_ERROR, 'nickname must be base64');
      } else if (isUnsafeKey(k) || !Object.hasOwn(this.info, k) || typeof this.info[k] !== typeof v || isObject(v) || Array.isArray(v)) {
        throw new MethodError(PARAMS_ERROR, `set_device_info: unsupported field ${k}`);
      }
    }
    applyLight?.();
    for (const [k, v] of Object.entries(params)) {
      if (applyLight !== undefined && LightLogic.KEYS.has(k)) continue;
      if (k === 'device_on') this.setRelay(v === true, this.clock.now());
      else if (k === 'nickname') this.nickname = nickname!;
      else if (k === 'default_states') this.info.default_states = defaults!;
      else this.info[k] = v;
    }
  }

  private deviceTime(): SimJsonObject {
    // A strip's socket keeps no clock of its own unless one was captured (the P304M's sockets were
    // not; the strip answers for them) [inferred from the fixture].
    if (this.isSocket && !isObject(this.captured.get_device_time)) throw new MethodError(UNKNOWN_METHOD, 'get_device_time: ask the strip');
    const captured = isObject(this.captured.get_device_time) ? clone(this.captured.get_device_time) : {};
    captured.timestamp = Math.floor(this.clock.now() / 1000);
    captured.time_diff = this.tzOffsetMs / 60_000;
    if (typeof captured.region !== 'string' && typeof this.info.region === 'string') captured.region = this.info.region;
    return captured;
  }

  // ---- LED ------------------------------------------------------------------------------------

  /**
   * Whether the LED is lit. With rule `always` it follows the relay, as the captures show
   * (P100 1.4.0, P110 EU 1.2.3, P115 US 1.1.3: `always` with the relay off reports
   * `led_status: false`; P100 1.1.3, P115 EU 1.2.3 with it on report true). A device without a
   * relay of its own (a strip) keeps it lit. `never` is dark; `night_mode` keeps the captured value.
   */
  private ledStatus(): boolean {
    if (this.led === undefined) return false;
    if (this.led.led_rule === 'always') return this.hasRelay ? this.on : true;
    if (this.led.led_rule === 'never') return false;
    return this.led.led_status === true;
  }

  private ledInfo(): SimJsonObject {
    if (this.led === undefined) throw new MethodError(UNKNOWN_METHOD, 'no LED');
    const out = clone(this.led);
    out.led_status = this.ledStatus();
    return out;
  }

  private setLedInfo(params: SimJsonObject): void {
    if (this.led === undefined) throw new MethodError(UNKNOWN_METHOD, 'no LED');
    const rule = params.led_rule;
    if (rule !== 'always' && rule !== 'never' && rule !== 'night_mode') {
      throw new MethodError(PARAMS_ERROR, 'led_rule must be always, never or night_mode');
    }
    if (Object.keys(params).some(isUnsafeKey)) throw new MethodError(PARAMS_ERROR, 'set_led_info: invalid field name');
    for (const [k, v] of Object.entries(params)) {
      if (k === 'led_status') continue;
      if (Object.hasOwn(this.led, k) && typeof this.led[k] === typeof v) this.led[k] = clone(v);
    }
  }

  // ---- countdown --------------------------------------------------------------------------------

  private bumpRuleNo(id: string): void {
    const m = /^C(\d+)$/.exec(id);
    if (m !== null) this.nextRuleNo = Math.max(this.nextRuleNo, Number(m[1]) + 1);
  }

  private remain(rule: CountdownRule): number {
    if (!rule.enable || rule.armedAt === null) return 0;
    return Math.max(0, Math.ceil((rule.armedAt + rule.delay * 1000 - this.clock.now()) / 1000));
  }

  private requireCountdown(): void {
    if (!this.countdownSupported) throw new MethodError(UNKNOWN_METHOD, 'no countdown component');
  }

  private countdownRules(): SimJsonObject {
    this.requireCountdown();
    return {
      enable: this.rules.some((r) => r.enable),
      countdown_rule_max_count: this.countdownMax,
      rule_list: this.rules.map((r) => ({
        id: r.id,
        delay: r.delay,
        remain: this.remain(r),
        enable: r.enable,
        desired_states: { on: r.desiredOn },
      })),
    };
  }

  private parseDesired(params: SimJsonObject): boolean | undefined {
    if (isObject(params.desired_states)) {
      const on = params.desired_states.on;
      if (typeof on !== 'boolean') throw new MethodError(PARAMS_ERROR, 'desired_states.on must be boolean');
      return on;
    }
    if (params.action === 'on' || params.action === 'off') return params.action === 'on';
    if (params.desired_states !== undefined || params.action !== undefined) throw new MethodError(PARAMS_ERROR, 'bad desired state');
    return undefined;
  }

  private parseDelay(v: SimJson | undefined): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_COUNTDOWN_S) {
      throw new MethodError(PARAMS_ERROR, 'delay must be an integer 1..86400');
    }
    return v;
  }

  private addCountdown(params: SimJsonObject): SimJsonObject {
    this.requireCountdown();
    const delay = this.parseDelay(params.delay);
    const desiredOn = this.parseDesired(params);
    if (desiredOn === undefined) throw new MethodError(PARAMS_ERROR, 'desired_states or action required');
    if (params.enable !== undefined && typeof params.enable !== 'boolean') throw new MethodError(PARAMS_ERROR, 'enable must be boolean');
    const enable = params.enable !== false;
    if (enable && this.rules.some((r) => r.enable)) throw new MethodError(COUNTDOWN_CONFLICT, 'a countdown is already armed');
    // The slot of a disarmed rule is reused (the P110 keeps one rule and re-arms it).
    while (this.rules.length >= this.countdownMax) {
      const idx = this.rules.findIndex((r) => !r.enable);
      if (idx < 0) throw new MethodError(COUNTDOWN_CONFLICT, 'countdown list full');
      this.rules.splice(idx, 1);
    }
    const id = `C${this.nextRuleNo++}`;
    this.rules.push({ id, delay, desiredOn, enable, armedAt: enable ? this.clock.now() : null });
    return { id };
  }

  private editCountdown(params: SimJsonObject): void {
    this.requireCountdown();
    const rule = this.rules.find((r) => r.id === params.id);
    if (rule === undefined) throw new MethodError(COUNTDOWN_ERROR, 'no such countdown');
    const delay = params.delay === undefined ? rule.delay : this.parseDelay(params.delay);
    const desiredOn = this.parseDesired(params) ?? rule.desiredOn;
    if (params.enable !== undefined && typeof params.enable !== 'boolean') throw new MethodError(PARAMS_ERROR, 'enable must be boolean');
    const enable = params.enable === undefined ? rule.enable : params.enable === true;
    if (enable && this.rules.some((r) => r !== rule && r.enable)) throw new MethodError(COUNTDOWN_CONFLICT, 'another countdown is armed');
    rule.delay = delay;
    rule.desiredOn = desiredOn;
    rule.enable = enable;
    rule.armedAt = enable ? this.clock.now() : null;
  }

  private removeCountdown(params: SimJsonObject): void {
    this.requireCountdown();
    if (params.remove_all === true) {
      this.rules = [];
      return;
    }
    const ids = typeof params.id === 'string' ? [params.id] : Array.isArray(params.id) ? params.id : undefined;
    if (ids === undefined) throw new MethodError(PARAMS_ERROR, 'remove_countdown_rules needs remove_all or id');
    this.rules = this.rules.filter((r) => !ids.includes(r.id));
  }

  // ---- energy -----------------------------------------------------------------------------------

  private dayIndex(t: number): number {
    return Math.floor((t + this.tzOffsetMs) / DAY_MS);
  }

  private hourIndex(t: number): number {
    return Math.floor((t + this.tzOffsetMs) / HOUR_MS);
  }

  private monthIndex(t: number): number {
    const d = new Date(t + this.tzOffsetMs);
    return d.getUTCFullYear() * 12 + d.getUTCMonth();
  }

  private bucketOf(map: Map<number, Bucket>, key: number): Bucket {
    let b = map.get(key);
    if (b === undefined) {
      b = { energy: 0, runtime: 0 };
      map.set(key, b);
    }
    return b;
  }

  /**
   * Starts the counters from the fixture: today's captured energy spread over the hours so far,
   * the rest of the month's spread over the earlier days, so `get_energy_data` sums match the
   * counters from the first call.
   */
  private seedCounters(now: number): void {
    const usage = isObject(this.captured.get_energy_usage) ? this.captured.get_energy_usage : undefined;
    const devUsage = isObject(this.captured.get_device_usage) ? this.captured.get_device_usage : undefined;
    const timeUsage = devUsage !== undefined && isObject(devUsage.time_usage) ? devUsage.time_usage : undefined;
    const todayWh = usage !== undefined ? num(usage.today_energy) : 0;
    const monthWh = usage !== undefined ? Math.max(num(usage.month_energy), todayWh) : 0;
    const todayMin = usage !== undefined ? num(usage.today_runtime) : timeUsage !== undefined ? num(timeUsage.today) : 0;
    const monthMin = usage !== undefined ? Math.max(num(usage.month_runtime), todayMin) : todayMin;

    const today = this.dayIndex(now);
    this.daily.set(today, { energy: todayWh * WMS_PER_WH, runtime: todayMin * 60_000 });
    this.monthly.set(this.monthIndex(now), { energy: monthWh * WMS_PER_WH, runtime: monthMin * 60_000 });

    const firstHour = today * 24;
    const hours = this.hourIndex(now) - firstHour + 1;
    const perHour = Math.floor(todayWh / hours);
    for (let h = 0; h < hours; h++) {
      const wh = h === hours - 1 ? todayWh - perHour * (hours - 1) : perHour;
      if (wh > 0) this.hourly.set(firstHour + h, wh * WMS_PER_WH);
    }

    const dayOfMonth = new Date(now + this.tzOffsetMs).getUTCDate();
    const earlierDays = dayOfMonth - 1;
    if (earlierDays > 0) {
      const restWh = monthWh - todayWh;
      const restMin = monthMin - todayMin;
      const perDayWh = Math.floor(restWh / earlierDays);
      const perDayMin = Math.floor(restMin / earlierDays);
      for (let d = 1; d <= earlierDays; d++) {
        const last = d === earlierDays;
        this.daily.set(today - d, {
          energy: (last ? restWh - perDayWh * (earlierDays - 1) : perDayWh) * WMS_PER_WH,
          runtime: (last ? restMin - perDayMin * (earlierDays - 1) : perDayMin) * 60_000,
        });
      }
    }
  }

  /** Integrates power and runtime from the last accounted instant to `t`, hour by hour. */
  private accountTo(t: number): void {
    // Relay off (nothing accrues) or the clock was set back (nothing to add): just move the mark.
    if (!this.on || t <= this.accountedTo) {
      this.accountedTo = t;
      return;
    }
    let from = this.accountedTo;
    while (from < t) {
      const nextHour = (this.hourIndex(from) + 1) * HOUR_MS - this.tzOffsetMs;
      const to = Math.min(t, nextHour);
      const dt = to - from;
      const energy = this.loadWatts * dt;
      const hour = this.hourIndex(from);
      this.hourly.set(hour, (this.hourly.get(hour) ?? 0) + energy);
      const day = this.bucketOf(this.daily, this.dayIndex(from));
      day.energy += energy;
      day.runtime += dt;
      const month = this.bucketOf(this.monthly, this.monthIndex(from));
      month.energy += energy;
      month.runtime += dt;
      this.energySinceStart += energy;
      this.runtimeSinceStart += dt;
      from = to;
    }
    this.accountedTo = t;
  }

  /** Fires every countdown that came due (each at its own instant), then accounts up to now. */
  private settle(): void {
    const now = this.clock.now();
    for (;;) {
      let due: CountdownRule | undefined;
      for (const r of this.rules) {
        if (!r.enable || r.armedAt === null) continue;
        const at = r.armedAt + r.delay * 1000;
        if (at <= now && (due === undefined || at < due.armedAt! + due.delay * 1000)) due = r;
      }
      const dueAt = due === undefined ? undefined : due.armedAt! + due.delay * 1000;
      // Auto-off (plug-settings.ts) fires in its turn among the countdowns.
      const autoOffAt = this.settings.autoOffDue();
      if (autoOffAt !== undefined && autoOffAt <= now && (dueAt === undefined || autoOffAt < dueAt)) {
        this.settings.relayChanged(false, autoOffAt);
        if (this.hasRelay && this.on) this.setRelay(false, autoOffAt);
        continue;
      }
      if (due === undefined) break;
      const at = due.armedAt! + due.delay * 1000;
      if (this.hasRelay) this.setRelay(due.desiredOn, at);
      due.enable = false;
      due.armedAt = null;
    }
    this.accountTo(now);
  }

  private requireEnergy(method: string): void {
    if (!this.energyCapable) throw new MethodError(UNKNOWN_METHOD, `${method}: no energy_monitoring`);
  }

  private localTime(t: number): string {
    const d = new Date(t + this.tzOffsetMs);
    return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  }

  private energyUsage(): SimJsonObject {
    this.requireEnergy('get_energy_usage');
    const now = this.clock.now();
    const out = isObject(this.captured.get_energy_usage) ? clone(this.captured.get_energy_usage) : {};
    const today = this.bucketOf(this.daily, this.dayIndex(now));
    const month = this.bucketOf(this.monthly, this.monthIndex(now));
    out.today_runtime = Math.floor(today.runtime / 60_000);
    out.month_runtime = Math.floor(month.runtime / 60_000);
    out.today_energy = Math.floor(today.energy / WMS_PER_WH);
    out.month_energy = Math.floor(month.energy / WMS_PER_WH);
    // The P304M's sockets leave current_power out (get_current_power, in W, has it; family.md §5).
    const captured = this.captured.get_energy_usage;
    if (!isObject(captured) || Object.hasOwn(captured, 'current_power')) out.current_power = this.on ? Math.round(this.loadWatts * 1000) : 0;
    out.local_time = this.localTime(now);
    return out;
  }

  private emeterData(): SimJsonObject {
    const captured = this.captured.get_emeter_data;
    if (!this.energyCapable || !isObject(captured)) throw new MethodError(UNKNOWN_METHOD, 'no emeter');
    const out = clone(captured);
    const powerMw = this.on ? Math.round(this.loadWatts * 1000) : 0;
    const voltageMv = num(captured.voltage_mv, 230_000);
    out.power_mw = powerMw;
    out.current_ma = voltageMv > 0 ? Math.round((powerMw / voltageMv) * 1000) : 0;
    out.energy_wh = num(captured.energy_wh) + Math.floor(this.energySinceStart / WMS_PER_WH);
    return out;
  }

  private deviceUsage(): SimJsonObject {
    const captured = this.captured.get_device_usage;
    if (!isObject(captured)) throw new MethodError(UNKNOWN_METHOD, 'no get_device_usage');
    const now = this.clock.now();
    const out = clone(captured);
    const today = this.bucketOf(this.daily, this.dayIndex(now));
    const sinceMin = Math.floor(this.runtimeSinceStart / 60_000);
    const sinceWh = Math.floor(this.energySinceStart / WMS_PER_WH);
    if (isObject(out.time_usage)) {
      out.time_usage.today = Math.floor(today.runtime / 60_000);
      out.time_usage.past7 = num(out.time_usage.past7) + sinceMin;
      out.time_usage.past30 = num(out.time_usage.past30) + sinceMin;
    }
    if (isObject(out.power_usage) && this.energyCapable) {
      out.power_usage.today = Math.floor(today.energy / WMS_PER_WH);
      out.power_usage.past7 = num(out.power_usage.past7) + sinceWh;
      out.power_usage.past30 = num(out.power_usage.past30) + sinceWh;
    }
    return out;
  }

  /**
   * `get_energy_data` (methods-plug.md §5): interval 60 ⇒ one entry per hour from
   * start_timestamp to end_timestamp (at most 8 days); 1440 ⇒ one per day from the start day to
   * the end day or, when start = end, to today within that quarter; 43200 ⇒ one per month from
   * the start month to the end month or, when start = end, to this month within that year.
   */
  private energyData(params: SimJsonObject): SimJsonObject {
    this.requireEnergy('get_energy_data');
    const start = params.start_timestamp;
    const end = params.end_timestamp;
    const interval = params.interval;
    if (typeof start !== 'number' || typeof end !== 'number' || !Number.isInteger(start) || !Number.isInteger(end) || end < start) {
      throw new MethodError(PARAMS_ERROR, 'start_timestamp/end_timestamp must be integers, start <= end');
    }
    const now = this.clock.now();
    const startMs = start * 1000;
    const endMs = end * 1000;
    const data: number[] = [];
    if (interval === 60) {
      const first = this.hourIndex(startMs);
      const last = this.hourIndex(endMs);
      if (last - first + 1 > 24 * 8) throw new MethodError(PARAMS_ERROR, 'hourly data covers at most 8 days');
      for (let h = first; h <= last; h++) data.push(Math.floor((this.hourly.get(h) ?? 0) / WMS_PER_WH));
    } else if (interval === 1440) {
      const first = this.dayIndex(startMs);
      let last = this.dayIndex(endMs);
      if (last === first) {
        const d = new Date(startMs + this.tzOffsetMs);
        const quarterEnd = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - (d.getUTCMonth() % 3) + 3, 1) / DAY_MS - 1;
        last = Math.max(first, Math.min(quarterEnd, this.dayIndex(now)));
      }
      if (last - first + 1 > 92) throw new MethodError(PARAMS_ERROR, 'daily data covers at most a quarter');
      for (let day = first; day <= last; day++) data.push(Math.floor((this.daily.get(day)?.energy ?? 0) / WMS_PER_WH));
    } else if (interval === 43200) {
      const first = this.monthIndex(startMs);
      let last = this.monthIndex(endMs);
      if (last === first) last = Math.max(first, Math.min(first - (first % 12) + 11, this.monthIndex(now)));
      if (last - first + 1 > 12) throw new MethodError(PARAMS_ERROR, 'monthly data covers at most a year');
      for (let m = first; m <= last; m++) data.push(Math.floor((this.monthly.get(m)?.energy ?? 0) / WMS_PER_WH));
    } else {
      throw new MethodError(PARAMS_ERROR, 'interval must be 60, 1440 or 43200');
    }
    return { local_time: this.localTime(now), data, start_timestamp: start, end_timestamp: end, interval };
  }

  // ---- strips ----------------------------------------------------------------------------------

  private requireChildren(): void {
    if (this.childOrder.length === 0) throw new MethodError(UNKNOWN_METHOD, 'not a strip');
  }

  private childList(params: SimJsonObject): SimJsonObject {
    this.requireChildren();
    const startIndex = params.start_index ?? 0;
    if (typeof startIndex !== 'number' || !Number.isInteger(startIndex) || startIndex < 0) {
      throw new MethodError(PARAMS_ERROR, 'start_index must be a non-negative integer');
    }
    const page = this.childOrder.slice(startIndex, startIndex + this.childPageSize);
    return {
      child_device_list: page.map((id) => {
        const child = this.children.get(id)!;
        child.settle();
        return child.deviceInfo();
      }),
      start_index: startIndex,
      sum: this.childOrder.length,
    };
  }

  private controlChild(params: SimJsonObject): SimJsonObject {
    this.requireChildren();
    const id = params.device_id;
    const child = typeof id === 'string' ? this.children.get(id) : undefined;
    if (child === undefined) throw new MethodError(PARAMS_ERROR, 'unknown child device_id');
    const inner = params.requestData;
    if (!isObject(inner)) throw new MethodError(PARAMS_ERROR, 'control_child needs requestData');
    return { responseData: child.handle(inner) };
  }
}
