/**
 * Plug settings users ask for: auto-off, the state after a power loss, the child lock, overload
 * protection and schedules. Read and set on a {@link Plug} (or one socket of a strip), refused
 * before any change is sent on models whose `component_nego` lacks the component.
 *
 * Wire methods and where they come from (methods-plug.md §3, §7; fixtures in
 * ../shared/fixtures/smart):
 * - auto-off (component `auto_off`): `get_auto_off_config` → `{delay_min, enable}`;
 *   `set_auto_off_config {delay_min, enable}` (python-kasa kasa/smart/modules/autooff.py @a29d061
 *   sends both fields; P110/P115/P300-socket fixtures); `get_device_info` has `auto_off_status`
 *   `"on"|"off"` and `auto_off_remain_time` (s) while a timer runs.
 * - state after power loss (component `default_states`): `get_device_info.default_states`,
 *   `{"type":"last_states","state":{}}` (P110 fixtures) or `{"type":"custom","state":{"on":false}}`
 *   (P300 socket fixture); set with `set_device_info {"default_states": …}` in the same shapes (one
 *   public P110 TPAP client in the code index; family.md §2.2 notes no major client writes it).
 * - child lock (component `child_protection`): `get_device_info.child_protection` (bool) and
 *   `set_child_protection {"enable": bool}` (python-kasa kasa/smart/modules/childprotection.py and
 *   tests/fakeprotocol_smart.py @a29d061). No plug fixture lists it (python-kasa sees it on KE100
 *   hub children), so every plug on record refuses it.
 * - overload protection (component `power_protection`): `get_protection_power` →
 *   `{enabled, protection_power}`, `get_max_power` → `{max_power}` (W, the upper bound);
 *   `set_protection_power` with the object read and the fields changed (python-kasa
 *   kasa/smart/modules/powerprotection.py @a29d061; P110 UK fixture: enabled, 2960 W of 3379 W).
 * - schedules (component `schedule`; sunrise/sunset rules need `sunrise_sunset`):
 *   `get_schedule_rules {start_index}` paged → `{enable, rule_list, schedule_rule_max_count,
 *   start_index, sum}` (P110 UK fixture: 1 rule of 32); `add_schedule_rule <rule>` → `{id}`,
 *   `edit_schedule_rule <rule with id>`, `remove_schedule_rules {remove_all: false, rule_list:
 *   [{id}]}` (mihai-dinculescu/tapo v0.10 tapo/src/requests/schedule/{raw,params}.rs, which mirror
 *   the Tapo app's ThingRuleSchedule). A rule: `s_type` `normal` (then `s_min` = minutes after local
 *   midnight) or `sunrise`/`sunset` (then `time_offset` minutes, ±360, measured on a P110 by the
 *   Rust authors); `mode` `repeat` with `week_day` bit 0 = Sunday … bit 6 = Saturday, or `once`;
 *   `desired_states {on}`; `enable`; `e_type "normal"`, `e_action "none"`, `e_min 0`; `year`,
 *   `month`, `day` are required but ignored by a P110 (Rust: 1970-01-01 placeholders).
 *
 * Round trips (DESIGN.md rule 5): a change and its read-back travel in one `multipleRequest`
 * where the device batches. A partial auto-off change reads the current config first (the device
 * wants both fields); overload protection reads the current object and the model's maximum first
 * (the watts are checked against it before anything changes); a schedule edit, enable or removal
 * reads the rules first (the id is checked before anything changes).
 *
 * Power strips: the settings belong to the sockets (the P300 fixture lists `auto_off`,
 * `default_states`, `schedule` per socket in `get_child_device_component_list`, and the strip's
 * own `get_device_info` has no `default_states`/`auto_off_status`), so a strip is addressed per
 * socket and refused as a whole, as switching is.
 */
import { TapoError } from '../protocol/errors';
import type { JsonObject, JsonValue } from '../protocol/types';
import { arr, bool, isObject, malformed, num, obj, str } from './check';
import { describeValue, inputError, isPlainObject } from './input';
import { Socket, Strip, addressed } from './plug';
import type { AddressOptions, Plug } from './plug';
import { recordComponents } from './smart';
import type { SmartCall, SmartDevice, SmartFacts } from './smart';

/** A day of the week, as payloads name them. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** The days in the order answers list them (Monday first). */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Bit of each day in the wire `week_day` mask (bit 0 = Sunday; tapo schedule/days_of_week.rs). */
const DAY_BIT: Record<Weekday, number> = { sun: 1, mon: 2, tue: 4, wed: 8, thu: 16, fri: 32, sat: 64 };

/** Longest auto-off delay accepted, in minutes (24 h, as the countdown, methods-plug.md §6; no device limit is on record). */
export const MAX_AUTO_OFF_MINUTES = 1440;

/** Largest sunrise/sunset offset, in minutes (a P110 stores ±360 and refuses ±361 with -1008: tapo schedule_rule.rs). */
export const MAX_SUN_OFFSET_MINUTES = 360;

/** What `state after power loss` can be. */
export type PowerOnState = 'on' | 'off' | 'last';

/** Auto-off: the relay switches itself off `minutes` after each switch-on. */
export interface AutoOff {
  enabled: boolean;
  minutes: number;
  /** Seconds until a running auto-off switches the relay off (absent when none runs or the device does not say). */
  remainingSeconds?: number;
}

/** Overload protection: the relay switches off when the load exceeds `watts`. */
export interface OverloadProtection {
  enabled: boolean;
  /** Threshold in W (0 when never set). */
  watts: number;
  /** The model's largest threshold, in W (`get_max_power`). */
  maxWatts: number;
}

/** One schedule rule as answers show it. */
export interface PlugSchedule {
  /** Device-assigned id, e.g. `S1`. */
  id: string;
  enabled: boolean;
  /** State the relay takes when the rule fires. */
  on: boolean;
  /** `HH:MM` (device-local), `sunrise` or `sunset`. */
  time: string;
  /** Minutes from sunrise/sunset (negative: before); only for those times. */
  offset?: number;
  /** Days it repeats on, Monday first; empty when it fires once. */
  days: Weekday[];
  /** True when it fires once, at the next occurrence of its time. */
  once: boolean;
}

/** What the plug's settings read answers: only what the model has. */
export interface PlugSettings {
  autoOff?: AutoOff;
  powerOnState?: PowerOnState;
  childLock?: boolean;
  overloadProtection?: OverloadProtection;
  schedules?: PlugSchedule[];
  /** Most schedules the device holds. */
  scheduleLimit?: number;
}

/** A schedule as a payload gives it (every field checked). */
export interface ScheduleSpec {
  time?: { clock: number } | { sun: 'sunrise' | 'sunset' };
  offset?: number;
  /** Wire `week_day` mask; 0 = once. */
  days?: number;
  on?: boolean;
  enabled?: boolean;
}

/** The simple settings a payload may change together. */
export interface SettingChanges {
  autoOff?: { enabled?: boolean; minutes?: number };
  powerOnState?: PowerOnState;
  childLock?: boolean;
  overloadProtection?: { enabled?: boolean; watts?: number };
}

/** A plug settings command read from `msg.payload`. */
export type PlugSettingsCommand =
  | { type: 'read' }
  | { type: 'listSchedules' }
  | { type: 'change'; changes: SettingChanges }
  | { type: 'addSchedule'; spec: ScheduleSpec & Required<Pick<ScheduleSpec, 'time' | 'days' | 'on'>> }
  | { type: 'editSchedule'; id: string; spec: ScheduleSpec }
  | { type: 'removeSchedule'; ids: string[] };

/** The keys of a settings payload. */
export const PLUG_SETTING_KEYS = [
  'settings',
  'autoOff',
  'powerOnState',
  'childLock',
  'overloadProtection',
  'schedules',
  'addSchedule',
  'editSchedule',
  'enableSchedule',
  'removeSchedule',
] as const;

const CHANGE_KEYS = ['autoOff', 'powerOnState', 'childLock', 'overloadProtection'] as const;
const ALONE_KEYS = ['settings', 'schedules', 'addSchedule', 'editSchedule', 'enableSchedule', 'removeSchedule'] as const;

// ---- parsing ------------------------------------------------------------------------------------

/** Refuses keys of `o` outside `allowed`, naming the accepted ones. */
function checkSettingKeys(o: Record<string, unknown>, allowed: readonly string[], reason: 'unknownPlugSettingKeys'): void {
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw inputError(reason, { plural: unknown.length === 1 ? '' : 's', keys: unknown.join(', '), accepted: allowed.join(', ') });
  }
}

function booleanOf(v: unknown, key: string, reason: 'plugBoolean' | 'scheduleBoolean'): boolean {
  if (typeof v !== 'boolean') throw inputError(reason, { key, received: describeValue(v) });
  return v;
}

function autoOffOf(v: unknown): { enabled?: boolean; minutes?: number } {
  if (typeof v === 'boolean') return { enabled: v };
  if (!isPlainObject(v)) throw inputError('autoOffValue', { max: MAX_AUTO_OFF_MINUTES, received: describeValue(v) });
  checkSettingKeys(v, ['enabled', 'minutes'], 'unknownPlugSettingKeys');
  const out: { enabled?: boolean; minutes?: number } = {};
  if (v.enabled !== undefined) out.enabled = booleanOf(v.enabled, 'autoOff.enabled', 'plugBoolean');
  if (v.minutes !== undefined) {
    const m = v.minutes;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > MAX_AUTO_OFF_MINUTES) {
      throw inputError('autoOffMinutes', { max: MAX_AUTO_OFF_MINUTES, received: describeValue(m) });
    }
    out.minutes = m;
  }
  if (out.enabled === undefined && out.minutes === undefined) throw inputError('autoOffEmpty');
  return out;
}

function powerOnStateOf(v: unknown): PowerOnState {
  const word = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
  if (word === 'on' || word === 'off' || word === 'last') return word;
  throw inputError('powerOnStateValue', { received: describeValue(v) });
}

function overloadOf(v: unknown): { enabled?: boolean; watts?: number } {
  if (typeof v === 'boolean') return { enabled: v };
  if (!isPlainObject(v)) throw inputError('overloadValue', { received: describeValue(v) });
  checkSettingKeys(v, ['enabled', 'watts'], 'unknownPlugSettingKeys');
  const out: { enabled?: boolean; watts?: number } = {};
  if (v.enabled !== undefined) out.enabled = booleanOf(v.enabled, 'overloadProtection.enabled', 'plugBoolean');
  if (v.watts !== undefined) {
    if (typeof v.watts !== 'number' || !Number.isInteger(v.watts) || v.watts < 1) {
      throw inputError('overloadWattsWhole', { received: describeValue(v.watts) });
    }
    out.watts = v.watts;
  }
  if (out.enabled === undefined && out.watts === undefined) throw inputError('overloadEmpty');
  return out;
}

function timeOf(v: unknown): NonNullable<ScheduleSpec['time']> {
  if (typeof v === 'string') {
    const word = v.trim().toLowerCase();
    if (word === 'sunrise' || word === 'sunset') return { sun: word };
    const m = /^(\d{1,2}):(\d{2})$/.exec(word);
    if (m) {
      const h = Number(m[1]);
      const min = Number(m[2]);
      if (h <= 23 && min <= 59) return { clock: h * 60 + min };
    }
  }
  throw inputError('scheduleTime', { received: describeValue(v) });
}

function offsetOf(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > MAX_SUN_OFFSET_MINUTES) {
    throw inputError('scheduleOffset', { max: MAX_SUN_OFFSET_MINUTES, received: describeValue(v) });
  }
  return v;
}

const DAY_WORDS: Record<string, number> = {
  daily: 127,
  everyday: 127,
  weekdays: DAY_BIT.mon | DAY_BIT.tue | DAY_BIT.wed | DAY_BIT.thu | DAY_BIT.fri,
  weekend: DAY_BIT.sat | DAY_BIT.sun,
  once: 0,
};

/** Day names accepted in payloads (any case), short and long. */
const DAY_NAMES: Record<string, Weekday> = {
  mon: 'mon', monday: 'mon', tue: 'tue', tuesday: 'tue', wed: 'wed', wednesday: 'wed', thu: 'thu', thursday: 'thu',
  fri: 'fri', friday: 'fri', sat: 'sat', saturday: 'sat', sun: 'sun', sunday: 'sun',
};

/** A day name (`mon`, `monday`, any case) as its bit, or undefined. */
function dayBit(word: string): number | undefined {
  const day = Object.hasOwn(DAY_NAMES, word.trim().toLowerCase()) ? DAY_NAMES[word.trim().toLowerCase()] : undefined;
  return day === undefined ? undefined : DAY_BIT[day];
}

function daysOf(v: unknown): number {
  if (typeof v === 'string') {
    const word = DAY_WORDS[v.trim().toLowerCase()];
    if (word !== undefined) return word;
    const single = dayBit(v);
    if (single !== undefined) return single;
  }
  if (Array.isArray(v) && v.length > 0) {
    let mask = 0;
    const unknown: string[] = [];
    for (const item of v) {
      const bit = typeof item === 'string' ? dayBit(item) : undefined;
      if (bit === undefined) unknown.push(typeof item === 'string' && item.length <= 16 ? `"${item}"` : describeValue(item));
      else mask |= bit;
    }
    if (unknown.length > 0) throw inputError('scheduleDayUnknown', { plural: unknown.length === 1 ? '' : 's', days: unknown.join(', ') });
    return mask;
  }
  throw inputError('scheduleDays', { received: describeValue(v) });
}

/** Reads the fields of a schedule object (`key` names it in errors); `whole` requires time, days and on. */
function scheduleSpecOf(v: unknown, key: string, allowed: readonly string[]): ScheduleSpec {
  if (!isPlainObject(v)) throw inputError('scheduleObject', { key, received: describeValue(v) });
  checkSettingKeys(v, allowed, 'unknownPlugSettingKeys');
  const spec: ScheduleSpec = {};
  if (v.time !== undefined) spec.time = timeOf(v.time);
  if (v.offset !== undefined) {
    spec.offset = offsetOf(v.offset);
    if (spec.time !== undefined && 'clock' in spec.time) throw inputError('scheduleOffsetNeedsSun');
  }
  if (v.days !== undefined) spec.days = daysOf(v.days);
  if (v.on !== undefined) spec.on = booleanOf(v.on, 'on', 'scheduleBoolean');
  if (v.enabled !== undefined) spec.enabled = booleanOf(v.enabled, 'enabled', 'scheduleBoolean');
  return spec;
}

function scheduleIdOf(v: unknown, key: string): string {
  if (typeof v === 'string' && v.trim() !== '' && v.trim().length <= 32) return v.trim();
  throw inputError('scheduleId', { key, received: describeValue(v) });
}

/** True when `payload` is meant for the plug settings (then {@link parsePlugSettingsCommand} reads it). */
export function isPlugSettingsPayload(payload: unknown): boolean {
  if (typeof payload === 'string') {
    const word = payload.trim().toLowerCase();
    return word === 'settings' || word === 'schedules';
  }
  return isPlainObject(payload) && Object.keys(payload).some((k) => (PLUG_SETTING_KEYS as readonly string[]).includes(k));
}

/**
 * Reads a plug settings command from `msg.payload`, or undefined when the payload is not one (an
 * ordinary plug command). Everything is checked here, before anything is sent: an unknown key next
 * to valid ones, a time such as "25:00", an unknown day or minutes out of range are refused whole.
 *
 * Accepted: `"settings"` or `{settings: "read"}`; `"schedules"` or `{schedules: "list"}`; any of
 * `{autoOff: boolean | {enabled?, minutes?}, powerOnState: "on"|"off"|"last", childLock: boolean,
 * overloadProtection: boolean | {enabled?, watts?}}` together; or one of `{addSchedule: {time,
 * offset?, days, on, enabled?}}`, `{editSchedule: {id, time?, offset?, days?, on?, enabled?}}`,
 * `{enableSchedule: id | {id, enabled}}`, `{removeSchedule: id | [ids]}` alone.
 */
export function parsePlugSettingsCommand(payload: unknown): PlugSettingsCommand | undefined {
  if (!isPlugSettingsPayload(payload)) return undefined;
  if (typeof payload === 'string') return payload.trim().toLowerCase() === 'settings' ? { type: 'read' } : { type: 'listSchedules' };
  const o = payload as Record<string, unknown>;
  checkSettingKeys(o, PLUG_SETTING_KEYS, 'unknownPlugSettingKeys');
  const keys = Object.keys(o);
  const alone = keys.find((k) => (ALONE_KEYS as readonly string[]).includes(k));
  if (alone !== undefined && keys.length > 1) {
    throw inputError('plugScheduleAlone', { key: alone, others: keys.filter((k) => k !== alone).join(', ') });
  }
  switch (alone) {
    case 'settings':
      if (typeof o.settings !== 'string' || o.settings.trim().toLowerCase() !== 'read') {
        throw inputError('plugSettingsRead', { received: describeValue(o.settings) });
      }
      return { type: 'read' };
    case 'schedules':
      if (typeof o.schedules !== 'string' || o.schedules.trim().toLowerCase() !== 'list') {
        throw inputError('plugSchedulesList', { received: describeValue(o.schedules) });
      }
      return { type: 'listSchedules' };
    case 'addSchedule': {
      const spec = scheduleSpecOf(o.addSchedule, 'addSchedule', ['time', 'offset', 'days', 'on', 'enabled']);
      const { time, days, on } = spec;
      const missing = time === undefined ? 'time' : days === undefined ? 'days' : on === undefined ? 'on' : undefined;
      if (missing !== undefined || time === undefined || days === undefined || on === undefined) {
        throw inputError('scheduleMissing', { key: 'addSchedule', field: missing ?? 'time' });
      }
      return { type: 'addSchedule', spec: { ...spec, time, days, on } };
    }
    case 'editSchedule': {
      const e = o.editSchedule;
      const spec = scheduleSpecOf(e, 'editSchedule', ['id', 'time', 'offset', 'days', 'on', 'enabled']);
      const id = scheduleIdOf((e as Record<string, unknown>).id, 'editSchedule.id');
      if (Object.keys(spec).length === 0) throw inputError('scheduleEditEmpty');
      return { type: 'editSchedule', id, spec };
    }
    case 'enableSchedule': {
      const e = o.enableSchedule;
      if (isPlainObject(e)) {
        checkSettingKeys(e, ['id', 'enabled'], 'unknownPlugSettingKeys');
        const id = scheduleIdOf(e.id, 'enableSchedule.id');
        const enabled = e.enabled === undefined ? true : booleanOf(e.enabled, 'enabled', 'scheduleBoolean');
        return { type: 'editSchedule', id, spec: { enabled } };
      }
      return { type: 'editSchedule', id: scheduleIdOf(e, 'enableSchedule'), spec: { enabled: true } };
    }
    case 'removeSchedule': {
      const r = o.removeSchedule;
      const ids = Array.isArray(r) && r.length > 0 ? r.map((x) => scheduleIdOf(x, 'removeSchedule')) : [scheduleIdOf(r, 'removeSchedule')];
      return { type: 'removeSchedule', ids: [...new Set(ids)] };
    }
    default:
      break;
  }
  const changes: SettingChanges = {};
  if (o.autoOff !== undefined) changes.autoOff = autoOffOf(o.autoOff);
  if (o.powerOnState !== undefined) changes.powerOnState = powerOnStateOf(o.powerOnState);
  if (o.childLock !== undefined) changes.childLock = booleanOf(o.childLock, 'childLock', 'plugBoolean');
  if (o.overloadProtection !== undefined) changes.overloadProtection = overloadOf(o.overloadProtection);
  return { type: 'change', changes };
}

// ---- reading replies ----------------------------------------------------------------------------

/** Which component each setting needs, and how refusals name it. */
const COMPONENT: Record<keyof SettingChanges | 'schedules' | 'sun', { component: string; setting: string }> = {
  autoOff: { component: 'auto_off', setting: 'auto-off' },
  powerOnState: { component: 'default_states', setting: 'setting for the state after a power loss' },
  childLock: { component: 'child_protection', setting: 'child lock' },
  overloadProtection: { component: 'power_protection', setting: 'overload protection' },
  schedules: { component: 'schedule', setting: 'schedules' },
  sun: { component: 'sunrise_sunset', setting: 'sunrise/sunset schedules' },
};

function unsupported(what: keyof typeof COMPONENT): TapoError {
  const { component, setting } = COMPONENT[what];
  return new TapoError('Unsupported', 'plugSettingUnsupported', { params: { setting, component }, hint: 'plugSettingsModel', sent: false });
}

function autoOffFrom(config: JsonObject, info: JsonObject | undefined): AutoOff {
  const enabled = bool(config.enable);
  const minutes = num(config.delay_min);
  if (enabled === undefined) throw malformed('get_auto_off_config', 'enable');
  if (minutes === undefined) throw malformed('get_auto_off_config', 'delay_min');
  const out: AutoOff = { enabled, minutes };
  const remain = info ? num(info.auto_off_remain_time) : undefined;
  if (info && info.auto_off_status === 'on' && remain !== undefined) out.remainingSeconds = remain;
  return out;
}

/** The state after a power loss from `default_states` (plug form `{type, state}`; switch form `re_power_type`, family.md §4). */
function powerOnStateFrom(info: JsonObject): PowerOnState {
  const d = obj(info.default_states);
  const type = str(d.type);
  if (type === 'last_states') return 'last';
  if (type === 'custom') {
    const on = bool(obj(d.state).on);
    if (on !== undefined) return on ? 'on' : 'off';
  }
  const re = str(d.re_power_type);
  if (re === 'always_on') return 'on';
  if (re === 'always_off') return 'off';
  if (re === 'last_states') return 'last';
  throw malformed('get_device_info', 'default_states');
}

/** The key of the "enabled" flag in `get_protection_power` (python-kasa looks for the key containing "enabled"). */
function enabledKey(p: JsonObject): string {
  return Object.keys(p).find((k) => k.includes('enable')) ?? 'enabled';
}

function overloadFrom(p: JsonObject, max: JsonObject): OverloadProtection {
  const enabled = bool(p[enabledKey(p)]);
  const maxWatts = num(max.max_power);
  if (enabled === undefined) throw malformed('get_protection_power', 'enabled');
  if (maxWatts === undefined) throw malformed('get_max_power', 'max_power');
  return { enabled, watts: num(p.protection_power) ?? 0, maxWatts };
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A schedule rule of `get_schedule_rules` as answers show it. */
export function scheduleFrom(rule: JsonObject): PlugSchedule {
  const id = str(rule.id);
  if (id === undefined) throw malformed('get_schedule_rules', 'rule id');
  const unreadable = (field: string): TapoError =>
    new TapoError('Device', 'scheduleRuleUnreadable', { context: 'get_schedule_rules', params: { id, field } });
  const desired = bool(obj(rule.desired_states).on) ?? (rule.s_action === 'on' ? true : rule.s_action === 'off' ? false : undefined);
  if (desired === undefined) throw unreadable('desired_states');
  const type = str(rule.s_type);
  const out: PlugSchedule = { id, enabled: bool(rule.enable) ?? false, on: desired, time: '', days: [], once: rule.mode === 'once' };
  if (type === 'normal') {
    const m = num(rule.s_min);
    if (m === undefined || !Number.isInteger(m) || m < 0 || m >= 1440) throw unreadable('s_min');
    out.time = `${pad2(Math.floor(m / 60))}:${pad2(m % 60)}`;
  } else if (type === 'sunrise' || type === 'sunset') {
    out.time = type;
    out.offset = num(rule.time_offset) ?? 0;
  } else {
    throw unreadable('s_type');
  }
  if (!out.once) {
    if (rule.mode !== 'repeat') throw unreadable('mode');
    const mask = num(rule.week_day) ?? 0;
    out.days = WEEKDAYS.filter((d) => (mask & DAY_BIT[d]) !== 0);
  }
  return out;
}

/** The wire rule for `spec` over `base` (a rule read from the device, for an edit). */
function wireRule(spec: ScheduleSpec, base?: JsonObject): JsonObject {
  const rule: { [k: string]: JsonValue } = base
    ? { ...base }
    : { enable: true, year: 1970, month: 1, day: 1, time_offset: 0, week_day: 0, s_min: 0, e_min: 0, s_type: 'normal', e_type: 'normal', e_action: 'none', mode: 'once' };
  if (spec.time !== undefined) {
    if ('clock' in spec.time) {
      rule.s_type = 'normal';
      rule.s_min = spec.time.clock;
      rule.time_offset = 0;
    } else {
      rule.s_type = spec.time.sun;
      rule.s_min = 0;
      rule.time_offset = spec.offset ?? 0;
    }
  } else if (spec.offset !== undefined) {
    rule.time_offset = spec.offset;
  }
  if (spec.days !== undefined) {
    rule.mode = spec.days === 0 ? 'once' : 'repeat';
    rule.week_day = spec.days;
  }
  if (spec.on !== undefined) {
    rule.desired_states = { on: spec.on };
    // The app's deprecated mirror of the firing state (tapo raw.rs): kept in step where a firmware sent it.
    if (typeof rule.s_action === 'string') rule.s_action = spec.on ? 'on' : 'off';
  }
  if (spec.enabled !== undefined) rule.enable = spec.enabled;
  return rule;
}

/** A page of `get_schedule_rules`: rules, total and limit. */
interface RulePage {
  rules: JsonObject[];
  sum: number;
  max?: number;
}

function rulePage(r: JsonObject): RulePage {
  const page: RulePage = { rules: arr(r.rule_list).filter(isObject), sum: num(r.sum) ?? 0 };
  const max = num(r.schedule_rule_max_count);
  if (max !== undefined) page.max = max;
  return page;
}

// ---- the verbs ----------------------------------------------------------------------------------

/** What a settings command answers. */
export interface PlugSettingsResult extends PlugSettings {
  /** Id of the schedule just added. */
  added?: string;
}

/**
 * Runs plug settings on one plug or strip socket. Made by {@link runPlugSettings}; usable alone
 * with a {@link Plug} from `openSmart`.
 */
export class PlugSettingsVerbs {
  constructor(private readonly device: SmartDevice) {}

  /** Refuses `what` when the component list is known and lacks it (a refused list lets the device answer). */
  private async require(what: keyof typeof COMPONENT): Promise<void> {
    const components = await this.device.getComponents();
    if (components && !components.has(COMPONENT[what].component)) throw unsupported(what);
  }

  private async has(what: keyof typeof COMPONENT): Promise<boolean> {
    const components = await this.device.getComponents();
    return components === null || components.has(COMPONENT[what].component);
  }

  /** Every setting the model has, in one round trip where the device batches (schedule pages after the first are asked after it). */
  async read(): Promise<PlugSettings> {
    const want = {
      autoOff: await this.has('autoOff'),
      overload: await this.has('overloadProtection'),
      schedules: await this.has('schedules'),
    };
    const calls: SmartCall[] = [{ method: 'get_device_info' }];
    if (want.autoOff) calls.push({ method: 'get_auto_off_config', optional: true });
    if (want.overload) calls.push({ method: 'get_protection_power', optional: true }, { method: 'get_max_power', optional: true });
    if (want.schedules) calls.push({ method: 'get_schedule_rules', params: { start_index: 0 }, optional: true });
    const results = await this.device.callAll(calls);
    const info = results[0] ?? (await this.device.call('get_device_info'));
    let i = 1;
    const out: PlugSettings = {};
    if (want.autoOff) {
      const r = results[i++];
      if (r) out.autoOff = autoOffFrom(r, info);
    }
    if (this.device.hasComponent('default_states') !== false && info.default_states !== undefined) out.powerOnState = powerOnStateFrom(info);
    if (this.device.hasComponent('child_protection') === true || typeof info.child_protection === 'boolean') {
      const lock = bool(info.child_protection);
      if (lock !== undefined) out.childLock = lock;
    }
    if (want.overload) {
      const p = results[i++];
      const max = results[i++];
      if (p && max) out.overloadProtection = overloadFrom(p, max);
    }
    if (want.schedules) {
      const first = results[i++];
      if (first) Object.assign(out, await this.schedulesFrom(first));
    }
    return out;
  }

  /** The schedules and the device's limit (paged `get_schedule_rules`). */
  async listSchedules(): Promise<PlugSettings> {
    await this.require('schedules');
    return this.schedulesFrom(await this.device.call('get_schedule_rules', { start_index: 0 }));
  }

  /** The rules of a first page read, with the further pages asked now. */
  private async allRules(first: JsonObject): Promise<RulePage> {
    const page = rulePage(first);
    const rules = [...page.rules];
    while (rules.length < page.sum) {
      const more = rulePage(await this.device.call('get_schedule_rules', { start_index: rules.length }));
      if (more.rules.length === 0) break;
      rules.push(...more.rules);
    }
    const out: RulePage = { rules, sum: page.sum };
    if (page.max !== undefined) out.max = page.max;
    return out;
  }

  private async schedulesFrom(first: JsonObject): Promise<PlugSettings> {
    const all = await this.allRules(first);
    const out: PlugSettings = { schedules: all.rules.map(scheduleFrom) };
    if (all.max !== undefined) out.scheduleLimit = all.max;
    return out;
  }

  /**
   * Changes auto-off, the state after a power loss, the child lock and overload protection together:
   * the models' components are checked first, then what a partial change needs is read, then every
   * change and its read-back travel in one batch (more where the device does not batch).
   */
  async change(changes: SettingChanges): Promise<PlugSettings> {
    for (const key of CHANGE_KEYS) if (changes[key] !== undefined) await this.require(key);
    const a = changes.autoOff;
    const o = changes.overloadProtection;
    // Reads a partial change needs: the current auto-off config; the protection object and the model's maximum.
    const reads: SmartCall[] = [];
    if (a && (a.enabled === undefined || a.minutes === undefined)) reads.push({ method: 'get_auto_off_config' });
    if (o) reads.push({ method: 'get_protection_power' }, { method: 'get_max_power' });
    const read = reads.length > 0 ? await this.device.callAll(reads) : [];
    let r = 0;
    const sets: SmartCall[] = [];
    const backs: SmartCall[] = [];
    if (a) {
      const current = a.enabled === undefined || a.minutes === undefined ? (read[r++] ?? {}) : {};
      const enable = a.enabled ?? bool(current.enable);
      const delay = a.minutes ?? num(current.delay_min);
      if (enable === undefined) throw malformed('get_auto_off_config', 'enable');
      if (delay === undefined) throw malformed('get_auto_off_config', 'delay_min');
      sets.push({ method: 'set_auto_off_config', params: { delay_min: delay, enable }, idempotent: true });
      backs.push({ method: 'get_auto_off_config' });
    }
    if (o) {
      const current = read[r++] ?? {};
      const max = num((read[r++] ?? {}).max_power);
      if (max === undefined) throw malformed('get_max_power', 'max_power');
      const watts = o.watts ?? num(current.protection_power) ?? 0;
      const key = enabledKey(current);
      const enabled = o.enabled ?? bool(current[key]) ?? false;
      if (o.watts !== undefined && o.watts > max) {
        throw new TapoError('Input', 'overloadWattsRange', { params: { max, watts: o.watts }, sent: false });
      }
      if (enabled && watts < 1) throw new TapoError('Input', 'overloadNeedsWatts', { params: { max }, sent: false });
      sets.push({ method: 'set_protection_power', params: { ...current, [key]: enabled, protection_power: watts }, idempotent: true });
      backs.push({ method: 'get_protection_power' }, { method: 'get_max_power' });
    }
    if (changes.powerOnState !== undefined) {
      const p = changes.powerOnState;
      const defaults: JsonObject = p === 'last' ? { type: 'last_states', state: {} } : { type: 'custom', state: { on: p === 'on' } };
      sets.push({ method: 'set_device_info', params: { default_states: defaults }, idempotent: true });
    }
    if (changes.childLock !== undefined) {
      sets.push({ method: 'set_child_protection', params: { enable: changes.childLock }, idempotent: true });
    }
    const needInfo = changes.powerOnState !== undefined || changes.childLock !== undefined || a !== undefined;
    if (needInfo) backs.push({ method: 'get_device_info' });
    const results = await this.device.callAll([...sets, ...backs]);
    const got = results.slice(sets.length);
    let b = 0;
    const out: PlugSettings = {};
    const again = async (i: number, method: string): Promise<JsonObject> => got[i] ?? (await this.device.call(method));
    const autoOffConfig = a ? await again(b++, 'get_auto_off_config') : undefined;
    const protection = o ? await again(b++, 'get_protection_power') : undefined;
    const maxPower = o ? await again(b++, 'get_max_power') : undefined;
    const info = needInfo ? await again(b++, 'get_device_info') : undefined;
    if (autoOffConfig) out.autoOff = autoOffFrom(autoOffConfig, info);
    if (protection && maxPower) out.overloadProtection = overloadFrom(protection, maxPower);
    if (info && changes.powerOnState !== undefined) out.powerOnState = powerOnStateFrom(info);
    if (info && changes.childLock !== undefined) {
      const lock = bool(info.child_protection);
      if (lock === undefined) throw malformed('get_device_info', 'child_protection');
      out.childLock = lock;
    }
    return out;
  }

  /** Adds a schedule; answers its id and the schedules read back in the same batch. */
  async addSchedule(spec: ScheduleSpec): Promise<PlugSettingsResult> {
    await this.require('schedules');
    if (spec.time !== undefined && 'sun' in spec.time) await this.require('sun');
    const [added, first] = await this.device.callAll([
      { method: 'add_schedule_rule', params: wireRule(spec) },
      { method: 'get_schedule_rules', params: { start_index: 0 } },
    ]);
    const out: PlugSettingsResult = await this.schedulesFrom(first ?? (await this.device.call('get_schedule_rules', { start_index: 0 })));
    const id = str(added?.id);
    if (id !== undefined) out.added = id;
    return out;
  }

  /** Reads the rules and finds `ids` among them, or refuses (Input, nothing changed). */
  private async rulesWith(ids: readonly string[]): Promise<JsonObject[]> {
    await this.require('schedules');
    const all = await this.allRules(await this.device.call('get_schedule_rules', { start_index: 0 }));
    const known = all.rules.map((rule) => str(rule.id)).filter((x): x is string => x !== undefined);
    const missing = ids.find((id) => !known.includes(id));
    if (missing !== undefined) {
      throw known.length > 0
        ? new TapoError('Input', 'noSuchSchedule', { params: { id: missing, ids: known.join(', ') }, hint: 'scheduleIds', sent: false })
        : new TapoError('Input', 'noSuchScheduleNone', { params: { id: missing }, sent: false });
    }
    return ids.map((id) => all.rules.find((rule) => rule.id === id) as JsonObject);
  }

  /** Edits (or enables/disables) a schedule: the rules are read, then the edit and the read-back travel together. */
  async editSchedule(id: string, spec: ScheduleSpec): Promise<PlugSettings> {
    const [rule] = await this.rulesWith([id]);
    const base = rule ?? {};
    const sun = spec.time !== undefined ? 'sun' in spec.time : base.s_type === 'sunrise' || base.s_type === 'sunset';
    if (spec.offset !== undefined && !sun) throw new TapoError('Input', 'scheduleOffsetNeedsSun', { sent: false });
    if (spec.time !== undefined && 'sun' in spec.time) await this.require('sun');
    const [, first] = await this.device.callAll([
      { method: 'edit_schedule_rule', params: wireRule(spec, base), idempotent: true },
      { method: 'get_schedule_rules', params: { start_index: 0 } },
    ]);
    return this.schedulesFrom(first ?? (await this.device.call('get_schedule_rules', { start_index: 0 })));
  }

  /** Removes schedules by id: the rules are read (unknown ids refused), then the removal and the read-back travel together. */
  async removeSchedules(ids: readonly string[]): Promise<PlugSettings> {
    await this.rulesWith(ids);
    const [, first] = await this.device.callAll([
      { method: 'remove_schedule_rules', params: { remove_all: false, rule_list: ids.map((id) => ({ id })) } },
      { method: 'get_schedule_rules', params: { start_index: 0 } },
    ]);
    return this.schedulesFrom(first ?? (await this.device.call('get_schedule_rules', { start_index: 0 })));
  }

  /** Runs one parsed command. */
  async run(command: PlugSettingsCommand): Promise<PlugSettingsResult> {
    switch (command.type) {
      case 'read':
        return this.read();
      case 'listSchedules':
        return this.listSchedules();
      case 'change':
        return this.change(command.changes);
      case 'addSchedule':
        return this.addSchedule(command.spec);
      case 'editSchedule':
        return this.editSchedule(command.id, command.spec);
      case 'removeSchedule':
        return this.removeSchedules(command.ids);
    }
  }
}

/**
 * Learns a strip socket's components from the strip's `get_child_device_component_list` (paged;
 * python-kasa reads children's components there), once per connection.
 */
async function learnSocketComponents(strip: Strip, socket: Socket): Promise<void> {
  if (socket.facts.components !== undefined) return;
  strip.facts.children ??= new Map<string, SmartFacts>();
  let seen = 0;
  for (;;) {
    const page = await strip.call('get_child_device_component_list', { start_index: seen });
    const list = arr(page.child_component_list).filter(isObject);
    for (const entry of list) {
      const id = str(entry.device_id);
      if (id === undefined) continue;
      let facts = strip.facts.children.get(id);
      if (!facts) {
        facts = {};
        strip.facts.children.set(id, facts);
      }
      recordComponents(facts, { component_list: arr(entry.component_list) });
    }
    seen += list.length;
    const sum = num(page.sum);
    if (list.length === 0 || sum === undefined || seen >= sum) break;
  }
  // A socket the list did not name: let the socket answer for itself.
  if (socket.facts.components === undefined) socket.facts.components = null;
}

/**
 * Runs a settings command on `device` (a plug) or on socket `socket` of a strip. A strip as a
 * whole is refused before anything is sent (its settings are per socket), as switching is.
 */
export async function runPlugSettings(
  device: Plug | Strip,
  socket: string | number | undefined,
  command: PlugSettingsCommand,
  options: AddressOptions,
): Promise<PlugSettingsResult> {
  const target = await addressed(device, socket, true, options);
  if (device instanceof Strip && target instanceof Socket) await learnSocketComponents(device, target);
  return new PlugSettingsVerbs(target).run(command);
}

