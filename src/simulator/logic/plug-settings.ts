/**
 * The settings side of a simulated SMART plug (or strip socket): auto-off, the state after a power
 * loss, the child lock, overload protection and schedule rules, each answered only when the
 * fixture's `component_nego` lists its component (else -1002, as the missing getters of the P100
 * fixtures suggest and methods-plug.md §10 prescribes for names the firmware does not know).
 *
 * Wire shapes follow the fixtures and sources named in src/devices/plug-settings.ts (the simulator
 * imports no client code): `get/set_auto_off_config {delay_min, enable}`, `default_states`
 * in `get/set_device_info`, `child_protection` + `set_child_protection {enable}`,
 * `get/set_protection_power` + `get_max_power`, and `get_schedule_rules` (paged) /
 * `add_schedule_rule` / `edit_schedule_rule` / `remove_schedule_rules`.
 *
 * Auto-off runs on the simulator's clock: a switch-on while auto-off is enabled arms it, a
 * switch-off disarms it, and {@link PlugSettingsLogic.autoOffDue} tells the plug's settle loop
 * when it switches the relay off. Whether a real plug arms it when auto-off is enabled while
 * already on is not on record; here it arms at the next switch-on. Schedules are stored and
 * listed, not fired.
 *
 * Error codes (errors.md §2): bad params -1008; a full schedule list -1802 (SCHEDULE_FULL); an
 * unknown schedule id -1801 (SCHEDULE_ERROR, as an unknown countdown id is -1901 here).
 */
import type { SimClock, SimJson, SimJsonObject } from '../types';
import { MethodError, clone, isObject } from './json';

const UNKNOWN_METHOD = -1002;
const PARAMS_ERROR = -1008;
const SCHEDULE_ERROR = -1801;
const SCHEDULE_FULL = -1802;

/** Entries per `get_schedule_rules` page (no device figure is on record; small enough to exercise paging). */
export const DEFAULT_SCHEDULE_PAGE_SIZE = 10;

/** Schedule limit when the fixture does not say (the P1xx fixtures say 20 or 32). */
const DEFAULT_SCHEDULE_MAX = 32;

/** A P110 stores sunrise/sunset offsets of ±360 min and refuses ±361 with -1008 (mihai-dinculescu/tapo schedule_rule.rs). */
const MAX_SUN_OFFSET = 360;

/** What the settings need from the plug they belong to. */
export interface PlugSettingsHost {
  clock: SimClock;
  /** The component ids of `component_nego`. */
  components: ReadonlySet<string>;
  /** The fixture's captured answers (own copy; kept up to date here). */
  captured: SimJsonObject;
  /** The live `get_device_info` object of the plug. */
  info: SimJsonObject;
}

/** The settings as tests see them. */
export interface PlugSettingsState {
  autoOff?: { enabled: boolean; minutes: number; offAt: number | null };
  defaultStates?: SimJson;
  childProtection?: boolean;
  protection?: { enabled: boolean; watts: number; maxWatts: number };
  schedules?: SimJsonObject[];
}

function paramsError(why: string): MethodError {
  return new MethodError(PARAMS_ERROR, why);
}

function isInt(v: SimJson | undefined): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** The settings of one plug or socket. */
export class PlugSettingsLogic {
  private readonly host: PlugSettingsHost;
  private readonly pageSize: number;
  private readonly autoOff: SimJsonObject | undefined;
  private autoOffAt: number | null = null;
  private readonly protection: SimJsonObject | undefined;
  private readonly maxPower: number;
  private readonly schedule: { max: number; rules: SimJsonObject[]; next: number } | undefined;

  constructor(host: PlugSettingsHost, pageSize: number = DEFAULT_SCHEDULE_PAGE_SIZE) {
    this.host = host;
    this.pageSize = Math.max(1, Math.floor(pageSize));
    const c = host.components;
    const captured = host.captured;
    // A component counts where the dump also answers for it: a strip lists its sockets' components
    // in its own `component_nego` but answers none of these itself (P300 fixture; python-kasa
    // autooff.py notes the P300 has no auto_off_status of its own).
    if (c.has('auto_off') && (isObject(captured.get_auto_off_config) || Object.hasOwn(host.info, 'auto_off_status'))) {
      const a = isObject(captured.get_auto_off_config) ? captured.get_auto_off_config : {};
      this.autoOff = { delay_min: isInt(a.delay_min) ? a.delay_min : 120, enable: a.enable === true };
      // A timer the capture caught running keeps the time it had left.
      if (host.info.auto_off_status === 'on' && isInt(host.info.auto_off_remain_time)) {
        this.autoOffAt = host.clock.now() + host.info.auto_off_remain_time * 1000;
      }
    }
    if (c.has('power_protection') && isObject(captured.get_protection_power)) {
      const p = isObject(captured.get_protection_power) ? captured.get_protection_power : {};
      this.protection = { enabled: p.enabled === true, protection_power: isInt(p.protection_power) ? p.protection_power : 0 };
      const max = isObject(captured.get_max_power) ? captured.get_max_power.max_power : undefined;
      this.maxPower = isInt(max) ? max : 3680;
    } else {
      this.maxPower = 0;
    }
    if (c.has('child_protection') && typeof host.info.child_protection !== 'boolean') host.info.child_protection = false;
    if (c.has('schedule') && isObject(captured.get_schedule_rules)) {
      const s = isObject(captured.get_schedule_rules) ? captured.get_schedule_rules : {};
      const rules = Array.isArray(s.rule_list) ? s.rule_list.filter(isObject).map((r) => clone(r)) : [];
      let next = 1;
      for (const r of rules) {
        const m = typeof r.id === 'string' ? /^S(\d+)$/.exec(r.id) : null;
        if (m) next = Math.max(next, Number(m[1]) + 1);
      }
      this.schedule = { max: isInt(s.schedule_rule_max_count) ? s.schedule_rule_max_count : DEFAULT_SCHEDULE_MAX, rules, next };
    }
  }

  /** Live settings for assertions. */
  get state(): PlugSettingsState {
    const out: PlugSettingsState = {};
    if (this.autoOff) out.autoOff = { enabled: this.autoOff.enable === true, minutes: Number(this.autoOff.delay_min), offAt: this.autoOffAt };
    if (this.host.components.has('default_states')) out.defaultStates = clone(this.host.info.default_states ?? null);
    if (typeof this.host.info.child_protection === 'boolean') out.childProtection = this.host.info.child_protection;
    if (this.protection) {
      out.protection = { enabled: this.protection.enabled === true, watts: Number(this.protection.protection_power), maxWatts: this.maxPower };
    }
    if (this.schedule) out.schedules = this.schedule.rules.map((r) => clone(r));
    return out;
  }

  /** The methods answered here. */
  static readonly METHODS: ReadonlySet<string> = new Set([
    'get_auto_off_config',
    'set_auto_off_config',
    'get_protection_power',
    'set_protection_power',
    'get_max_power',
    'set_child_protection',
    'get_schedule_rules',
    'add_schedule_rule',
    'edit_schedule_rule',
    'remove_schedule_rules',
  ]);

  /** Answers a settings method (throws a {@link MethodError} as the device would refuse it). */
  dispatch(method: string, params: SimJsonObject): SimJsonObject | undefined {
    switch (method) {
      case 'get_auto_off_config':
        return clone(this.needAutoOff(method));
      case 'set_auto_off_config':
        this.setAutoOff(params);
        return undefined;
      case 'get_protection_power':
        return clone(this.needProtection(method));
      case 'get_max_power':
        this.needProtection(method);
        return { max_power: this.maxPower };
      case 'set_protection_power':
        this.setProtection(params);
        return undefined;
      case 'set_child_protection':
        if (!this.host.components.has('child_protection')) throw new MethodError(UNKNOWN_METHOD, 'no child_protection');
        if (typeof params.enable !== 'boolean') throw paramsError('enable must be boolean');
        this.host.info.child_protection = params.enable;
        return undefined;
      case 'get_schedule_rules':
        return this.scheduleRules(params);
      case 'add_schedule_rule':
        return this.addRule(params);
      case 'edit_schedule_rule':
        this.editRule(params);
        return undefined;
      case 'remove_schedule_rules':
        this.removeRules(params);
        return undefined;
      default:
        throw new MethodError(UNKNOWN_METHOD, method);
    }
  }

  /**
   * Checks a `default_states` value of `set_device_info`: `{type: "last_states", state?}` or
   * `{type: "custom", state: {on: boolean}}` (the P110 and P300-socket fixtures' shapes); returns
   * the value to store. Refused (-1008) where the component is missing.
   */
  defaultStatesOf(v: SimJson | undefined): SimJsonObject {
    if (!this.host.components.has('default_states') || !Object.hasOwn(this.host.info, 'default_states')) throw paramsError('set_device_info: unsupported field default_states');
    if (!isObject(v)) throw paramsError('default_states must be an object');
    if (v.type === 'last_states') return { state: {}, type: 'last_states' };
    if (v.type === 'custom' && isObject(v.state) && typeof v.state.on === 'boolean') return { state: { on: v.state.on }, type: 'custom' };
    throw paramsError('default_states: type last_states, or custom with state.on');
  }

  /** Adds the live auto-off fields to a `get_device_info` answer (where the capture has them). */
  overlayInfo(out: SimJsonObject): void {
    if (!this.autoOff || !Object.hasOwn(out, 'auto_off_status')) return;
    const running = this.autoOffAt !== null;
    out.auto_off_status = running ? 'on' : 'off';
    out.auto_off_remain_time = running ? Math.max(0, Math.ceil((this.autoOffAt! - this.host.clock.now()) / 1000)) : 0;
  }

  /** Tells the settings the relay changed at `at`: a switch-on arms auto-off, a switch-off disarms it. */
  relayChanged(on: boolean, at: number): void {
    if (!this.autoOff) return;
    this.autoOffAt = on && this.autoOff.enable === true ? at + Number(this.autoOff.delay_min) * 60_000 : null;
  }

  /** When a running auto-off switches the relay off (clock ms), or undefined. */
  autoOffDue(): number | undefined {
    return this.autoOffAt ?? undefined;
  }

  // ---- auto-off and protection ----------------------------------------------------------------

  private needAutoOff(method: string): SimJsonObject {
    if (!this.autoOff) throw new MethodError(UNKNOWN_METHOD, `${method}: no auto_off`);
    return this.autoOff;
  }

  private setAutoOff(params: SimJsonObject): void {
    const config = this.needAutoOff('set_auto_off_config');
    if (params.enable !== undefined && typeof params.enable !== 'boolean') throw paramsError('enable must be boolean');
    if (params.delay_min !== undefined && (!isInt(params.delay_min) || params.delay_min < 1)) throw paramsError('delay_min must be a positive integer');
    if (params.enable === undefined && params.delay_min === undefined) throw paramsError('set_auto_off_config needs params');
    if (params.enable !== undefined) config.enable = params.enable;
    if (params.delay_min !== undefined) config.delay_min = params.delay_min;
    // Disabling stops a running timer; a new delay applies from the next switch-on.
    if (config.enable !== true) this.autoOffAt = null;
  }

  private needProtection(method: string): SimJsonObject {
    if (!this.protection) throw new MethodError(UNKNOWN_METHOD, `${method}: no power_protection`);
    return this.protection;
  }

  private setProtection(params: SimJsonObject): void {
    const p = this.needProtection('set_protection_power');
    if (params.enabled !== undefined && typeof params.enabled !== 'boolean') throw paramsError('enabled must be boolean');
    const w = params.protection_power;
    if (w !== undefined && (!isInt(w) || w < 0 || w > this.maxPower)) throw paramsError(`protection_power must be 0..${this.maxPower}`);
    if (params.enabled === undefined && w === undefined) throw paramsError('set_protection_power needs params');
    if (params.enabled !== undefined) p.enabled = params.enabled;
    if (w !== undefined) p.protection_power = w;
  }

  // ---- schedules --------------------------------------------------------------------------------

  private needSchedule(method: string): { max: number; rules: SimJsonObject[]; next: number } {
    if (!this.schedule) throw new MethodError(UNKNOWN_METHOD, `${method}: no schedule`);
    return this.schedule;
  }

  private scheduleRules(params: SimJsonObject): SimJsonObject {
    const s = this.needSchedule('get_schedule_rules');
    const start = params.start_index ?? 0;
    if (!isInt(start) || start < 0) throw paramsError('start_index must be a non-negative integer');
    return {
      enable: s.rules.some((r) => r.enable === true),
      rule_list: s.rules.slice(start, start + this.pageSize).map((r) => clone(r)),
      schedule_rule_max_count: s.max,
      start_index: start,
      sum: s.rules.length,
    };
  }

  /** A checked copy of a rule's fields (every field the app sends; id excluded). */
  private checkedRule(p: SimJsonObject): SimJsonObject {
    const sType = p.s_type;
    if (sType !== 'normal' && sType !== 'sunrise' && sType !== 'sunset') throw paramsError('s_type must be normal, sunrise or sunset');
    if (!isInt(p.s_min) || p.s_min < 0 || p.s_min > 1439) throw paramsError('s_min must be 0..1439');
    if (!isInt(p.time_offset) || Math.abs(p.time_offset) > MAX_SUN_OFFSET) throw paramsError('time_offset must be -360..360');
    if (p.mode !== 'once' && p.mode !== 'repeat') throw paramsError('mode must be once or repeat');
    if (!isInt(p.week_day) || p.week_day < 0 || p.week_day > 127 || (p.mode === 'repeat' && p.week_day === 0)) throw paramsError('week_day must be 1..127 to repeat');
    if (!isObject(p.desired_states) || typeof p.desired_states.on !== 'boolean') throw paramsError('desired_states.on must be boolean');
    if (typeof p.enable !== 'boolean') throw paramsError('enable must be boolean');
    for (const k of ['year', 'month', 'day', 'e_min'] as const) if (!isInt(p[k])) throw paramsError(`${k} must be an integer`);
    const out: SimJsonObject = {};
    for (const k of ['day', 'desired_states', 'e_action', 'e_min', 'e_type', 'enable', 'mode', 'month', 's_min', 's_type', 'time_offset', 'week_day', 'year']) {
      const v = p[k];
      if (v !== undefined) out[k] = clone(v);
    }
    return out;
  }

  private addRule(params: SimJsonObject): SimJsonObject {
    const s = this.needSchedule('add_schedule_rule');
    const rule = this.checkedRule(params);
    if (s.rules.length >= s.max) throw new MethodError(SCHEDULE_FULL, 'schedule list full');
    const id = `S${s.next++}`;
    s.rules.push({ ...rule, id });
    return { id };
  }

  private editRule(params: SimJsonObject): void {
    const s = this.needSchedule('edit_schedule_rule');
    const index = s.rules.findIndex((r) => r.id === params.id);
    if (index < 0) throw new MethodError(SCHEDULE_ERROR, 'no such schedule');
    const rule = this.checkedRule(params);
    s.rules[index] = { ...rule, id: params.id as string };
  }

  private removeRules(params: SimJsonObject): void {
    const s = this.needSchedule('remove_schedule_rules');
    if (params.remove_all === true) {
      s.rules = [];
      return;
    }
    if (!Array.isArray(params.rule_list) || params.rule_list.length === 0) throw paramsError('remove_schedule_rules needs remove_all or rule_list');
    const ids = params.rule_list.map((r) => (isObject(r) ? r.id : undefined));
    if (ids.some((id) => typeof id !== 'string' || !s.rules.some((r) => r.id === id))) throw new MethodError(SCHEDULE_ERROR, 'no such schedule');
    s.rules = s.rules.filter((r) => !ids.includes(r.id as string));
  }
}
