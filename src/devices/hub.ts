/**
 * Hubs and their children (../shared/protocol/family.md §6, §7; events.md §5): our verbs over
 *
 * - the H100 (`SMART.TAPOHUB` on the SMART protocol, HTTP 80): `get_child_device_list` paged by
 *   `start_index` until `sum` (pages of 10, §6.2), and one child's own SMART methods wrapped in
 *   `control_child {device_id, requestData}` (§6.3);
 * - the H200 (`SMART.TAPOHUB` on the camera protocol, HTTPS 443): `getChildDeviceList
 *   {"childControl":{"start_index":0}}` and `controlChild {"childControl":{device_id,
 *   request_data}}` inside `multipleRequest`, `request_data` holding the child's SMART method (§7).
 *
 * A child is a plain object (`HubChild`): its position (the hub's list order, 1-based: hubs do
 * not number their children), id, model, name, kind, battery and the readings of its model.
 * Children are addressed as strip sockets are (plug.ts `Strip.socket`): position, device id or
 * name; a name shared by several children is refused.
 *
 * Trigger logs (events.md §5.2): `get_trigger_logs {page_size, start_id: 0}` answers the newest
 * entries first; `id` grows with each event (not consecutively), so what is new is what has an id
 * above the highest seen. Several children's logs travel in one batch.
 */
import { TapoError } from '../protocol/errors';
import type { JsonObject, JsonValue } from '../protocol/types';
import type { Requester } from './requester';
import { arr, bool, checkReply, isObject, malformed, num, obj, replyFailure, responseFor, str } from './check';
import { decodeBase64Text } from './plug';
import { SmartDevice } from './smart';
import type { SmartCall, SmartFacts, SmartOptions } from './smart';

/** What a child of a hub is, from its `category` (family.md §6.4). */
export type HubChildType = 'motion' | 'contact' | 'water' | 'temperature' | 'button' | 'switch' | 'thermostat' | 'sensor';

/** A child's battery. */
export interface HubChildBattery {
  /** Charge in %, on models that report it (T300, T315, switches). */
  percent?: number;
  /** The hub's low-battery flag (`at_low_battery`). */
  low: boolean;
}

/** One child of a hub, as its hub lists it (one `get_child_device_list` read). */
export interface HubChild {
  /** Position in the hub's list (1-based). */
  position: number;
  /** Child device id (what `control_child` addresses). */
  deviceId: string;
  /** Model, e.g. `T310`. */
  model: string;
  /** User-visible name (decoded from base64). */
  nickname: string;
  /** What it is. */
  type: HubChildType;
  /** The hub's category, e.g. `subg.trigger.contact-sensor`. */
  category: string;
  /** True while the hub hears from it (`status` `online`). */
  online: boolean;
  battery: HubChildBattery;
  /** Same as `battery.low`, at the top for flows that only check this. */
  lowBattery: boolean;
  /** Radio signal in dBm and level 0–3. */
  rssi?: number;
  signalLevel?: number;
  /** Seconds between the child's reports to the hub. */
  reportInterval?: number;
  /** T100: motion detected now. */
  motion?: boolean;
  /** T110: open now. */
  open?: boolean;
  /** T300: water detected now (`water_leak_status` `water_leak`). */
  water?: boolean;
  /** T300: the alarm sounds. */
  alarm?: boolean;
  /** T300: time of the last leak state change (epoch s). */
  detectedAt?: number;
  /** T310/T315: temperature in °C (converted when the sensor shows °F). */
  temperature?: number;
  /** T310/T315: relative humidity in %. */
  humidity?: number;
  /** T310/T315: the unit the sensor shows. */
  temperatureUnit?: 'celsius' | 'fahrenheit';
  /** T310/T315: outside the comfort range set in the app (`current_*_exception` non-zero). */
  temperatureWarning?: boolean;
  humidityWarning?: boolean;
  /** Switch children (S210, S220): relay state. */
  on?: boolean;
}

/** One entry of a child's trigger log. */
export interface TriggerLogEntry {
  /** Grows with each event (not consecutively). */
  id: number;
  /** `motion`, `open`, `close`, `keepOpen`, `waterLeak`, `waterDry`, `singleClick`, `doubleClick`, `rotation`, `lowBattery`, `tooDry` … */
  event: string;
  /** Epoch seconds. */
  timestamp: number;
  /** `rotation`: the signed angle in degrees (`params.rotate_deg`). */
  degrees?: number;
}

/** What is learnt about a hub once per connection. */
export interface HubFacts {
  /** Whether the device is a hub; undefined until learnt. */
  isHub?: boolean;
  /** Its type as reported (`SMART.TAPOHUB` …). */
  type?: string;
  /** Its model. */
  model?: string;
  /** Children by position and id from the last list read (ids never change). */
  children?: { position: number; deviceId: string }[];
}

/** Entries per page of the child list (family.md §6.2). */
export const CHILD_PAGE_SIZE = 10;
/** Entries asked per trigger-log page (the size python-kasa's dumper uses: events.md §5.2). */
export const TRIGGER_LOG_PAGE = 5;
/** Most pages of one child's log read in one poll (events beyond are older than a burst can be). */
const TRIGGER_LOG_MAX_PAGES = 4;

const TYPES: readonly [RegExp, HubChildType][] = [
  [/motion/, 'motion'],
  [/contact/, 'contact'],
  [/water/, 'water'],
  [/temp|hmdt/, 'temperature'],
  [/button/, 'button'],
  [/plugswitch|switch/, 'switch'],
  [/trv/, 'thermostat'],
];

/** The kind of a child from its `category` (and model, when the category is missing). */
export function childType(category: string, model: string): HubChildType {
  for (const [re, type] of TYPES) if (re.test(category)) return type;
  if (/^T100/.test(model)) return 'motion';
  if (/^T110/.test(model)) return 'contact';
  if (/^T300/.test(model)) return 'water';
  if (/^T31/.test(model)) return 'temperature';
  if (/^S200/.test(model)) return 'button';
  return 'sensor';
}

/** A {@link HubChild} from one `child_device_list` entry at `position`. */
export function parseHubChild(r: JsonObject, position: number): HubChild {
  const deviceId = str(r.device_id);
  if (deviceId === undefined) throw malformed('get_child_device_list', 'device_id');
  const model = str(r.model) ?? '';
  const category = str(r.category) ?? '';
  const low = bool(r.at_low_battery) ?? bool(r.is_low) ?? false;
  const battery: HubChildBattery = { low };
  const percent = num(r.battery_percentage);
  if (percent !== undefined) battery.percent = percent;
  const child: HubChild = {
    position,
    deviceId,
    model,
    nickname: decodeBase64Text(str(r.nickname) ?? ''),
    type: childType(category, model),
    category,
    online: (str(r.status) ?? 'online') === 'online',
    battery,
    lowBattery: low,
  };
  const rssi = num(r.rssi);
  if (rssi !== undefined) child.rssi = rssi;
  const level = num(r.signal_level);
  if (level !== undefined) child.signalLevel = level;
  const interval = num(r.report_interval);
  if (interval !== undefined) child.reportInterval = interval;
  const detected = bool(r.detected);
  if (detected !== undefined) child.motion = detected;
  const open = bool(r.open);
  if (open !== undefined) child.open = open;
  const leak = str(r.water_leak_status);
  if (leak !== undefined) child.water = leak === 'water_leak';
  const alarm = bool(r.in_alarm);
  if (alarm !== undefined && child.type === 'water') child.alarm = alarm;
  const at = num(r.trigger_timestamp);
  if (at !== undefined && at > 0) child.detectedAt = at;
  const temp = num(r.current_temp);
  const unit = str(r.temp_unit);
  if (temp !== undefined) child.temperature = unit === 'fahrenheit' ? Math.round(((temp - 32) * 50) / 9) / 10 : temp;
  if (unit === 'celsius' || unit === 'fahrenheit') child.temperatureUnit = unit;
  const humidity = num(r.current_humidity);
  if (humidity !== undefined) child.humidity = humidity;
  const tempException = num(r.current_temp_exception);
  if (tempException !== undefined) child.temperatureWarning = tempException !== 0;
  const humidityException = num(r.current_humidity_exception);
  if (humidityException !== undefined) child.humidityWarning = humidityException !== 0;
  const on = bool(r.device_on);
  if (on !== undefined) child.on = on;
  return child;
}

/** The entries of a `get_trigger_logs` result, newest first. */
export function parseTriggerLogs(r: JsonObject): TriggerLogEntry[] {
  const out: TriggerLogEntry[] = [];
  for (const e of arr(r.logs)) {
    const o = obj(e);
    const id = num(o.id);
    const event = str(o.event);
    if (id === undefined || event === undefined) continue;
    const entry: TriggerLogEntry = { id, event, timestamp: num(o.timestamp) ?? 0 };
    const degrees = num(obj(o.params).rotate_deg);
    if (degrees !== undefined) entry.degrees = degrees;
    out.push(entry);
  }
  return out.sort((a, b) => b.id - a.id);
}

/** What {@link Hub.children} and friends share between the two protocols. */
export abstract class Hub {
  /** Which protocol the hub speaks. */
  abstract readonly protocol: 'smart' | 'camera';
  protected readonly hubFacts: HubFacts;

  protected constructor(hubFacts: HubFacts) {
    this.hubFacts = hubFacts;
  }

  /** The hub's model, once learnt. */
  get model(): string | undefined {
    return this.hubFacts.model;
  }

  /** Every child in position order: one list read (paged by 10). */
  async children(): Promise<HubChild[]> {
    const all = await this.listAll();
    this.hubFacts.children = all.map((c) => ({ position: c.position, deviceId: c.deviceId }));
    return all;
  }

  /**
   * One child, by position (1-based), device id or name, from one list read. An unknown child is
   * refused with an `Input` error listing what exists; a name shared by several children too.
   */
  async child(key: string | number): Promise<HubChild> {
    return pickChild(await this.children(), key);
  }

  /** Sends one SMART method to a child (through the hub) and returns its result. */
  abstract childCall(deviceId: string, method: string, params?: JsonObject, idempotent?: boolean): Promise<JsonObject>;

  /**
   * The newest trigger-log entries of each child, newest first: entries with an id above
   * `after.get(id)` (all of the first page when absent), in the fewest round trips (one batch for
   * every child's first page; further pages only for a child whose whole page was new). A child
   * that refuses the method (-1001 on children without a log) maps to an empty list.
   */
  async triggerLogs(after: ReadonlyMap<string, number | undefined>): Promise<Map<string, TriggerLogEntry[]>> {
    const ids = [...after.keys()];
    const out = new Map<string, TriggerLogEntry[]>();
    const pages = await this.childCalls(ids.map((id) => ({ deviceId: id, method: 'get_trigger_logs', params: { page_size: TRIGGER_LOG_PAGE, start_id: 0 } })));
    for (const [i, id] of ids.entries()) {
      let entries = parseTriggerLogs(pages[i] ?? {});
      const last = after.get(id);
      let more = last !== undefined && entries.length >= TRIGGER_LOG_PAGE && entries.every((e) => e.id > last);
      for (let page = 1; more && page < TRIGGER_LOG_MAX_PAGES; page++) {
        const oldest = entries[entries.length - 1]?.id ?? 0;
        const older = parseTriggerLogs(await this.childCall(id, 'get_trigger_logs', { page_size: TRIGGER_LOG_PAGE, start_id: oldest }));
        const fresh = older.filter((e) => e.id < oldest);
        entries = [...entries, ...fresh];
        more = fresh.length >= TRIGGER_LOG_PAGE - 1 && fresh.every((e) => last !== undefined && e.id > last);
      }
      out.set(id, last === undefined ? entries : entries.filter((e) => e.id > last));
    }
    return out;
  }

  /** One method per child, batched; a child's refusal yields undefined. */
  protected abstract childCalls(calls: readonly { deviceId: string; method: string; params?: JsonObject }[]): Promise<(JsonObject | undefined)[]>;

  /** The whole child list, paged. */
  protected abstract listAll(): Promise<HubChild[]>;
}

/** The child `key` names among `children` (see {@link Hub.child}). */
export function pickChild(children: readonly HubChild[], key: string | number): HubChild {
  const wanted = String(key).trim();
  if (wanted === '') throw new TapoError('Input', 'badChildKey', { params: { value: JSON.stringify(key) }, sent: false });
  const named = children.filter((c) => c.nickname === wanted);
  const match = children.find((c) => c.deviceId === wanted) ?? children.find((c) => String(c.position) === wanted) ?? (named.length === 1 ? named[0] : undefined);
  if (match) return match;
  if (named.length > 1) {
    throw new TapoError('Input', 'childNameShared', {
      params: { count: named.length, name: wanted, positions: named.map((c) => c.position).join(', ') },
      hint: 'hubRenameChildren',
      sent: false,
    });
  }
  if (children.length === 0) throw new TapoError('Input', 'noChildren', { params: { name: wanted }, sent: false });
  throw new TapoError('Input', 'noSuchChild', {
    params: {
      name: wanted,
      positions: children.map((c) => c.position).join(', '),
      names: children.map((c) => `${c.position} "${c.nickname}" (${c.model}, ${c.deviceId})`).join(', '),
    },
    hint: 'hubChooseChild',
    sent: false,
  });
}

/** An H100 (SMART protocol). Shares the connection's SMART facts (component list, batching). */
export class SmartHub extends Hub {
  readonly protocol = 'smart' as const;
  /** The SMART device underneath (envelopes, batches). */
  readonly device: HubSmartDevice;

  constructor(requester: Requester, hubFacts: HubFacts, options: SmartOptions = {}) {
    super(hubFacts);
    this.device = new HubSmartDevice(requester, options);
  }

  protected async listAll(): Promise<HubChild[]> {
    const all: HubChild[] = [];
    for (;;) {
      const page = await this.device.call('get_child_device_list', { start_index: all.length });
      const list = arr(page.child_device_list).filter(isObject);
      for (const entry of list) all.push(parseHubChild(entry, all.length + 1));
      const sum = num(page.sum);
      if (list.length === 0 || sum === undefined || all.length >= sum) break;
    }
    return all;
  }

  /** The child list's first page and one method per child, in one batch (events: one request per poll). */
  async listWith(calls: readonly { deviceId: string; method: string; params?: JsonObject }[]): Promise<{ children: HubChild[]; results: (JsonObject | undefined)[] }> {
    const batch: SmartCall[] = [{ method: 'get_child_device_list', params: { start_index: 0 } }, ...calls.map((c) => childCallOf(c.deviceId, c.method, c.params))];
    const [first, ...rest] = await this.device.callAll(batch.map((c, i) => (i === 0 ? c : { ...c, optional: true })));
    const page = first ?? {};
    const children = arr(page.child_device_list).filter(isObject).map((e, i) => parseHubChild(e, i + 1));
    const sum = num(page.sum);
    if (sum !== undefined && children.length < sum && children.length > 0) {
      for (;;) {
        const more = await this.device.call('get_child_device_list', { start_index: children.length });
        const list = arr(more.child_device_list).filter(isObject);
        for (const entry of list) children.push(parseHubChild(entry, children.length + 1));
        if (list.length === 0 || children.length >= sum) break;
      }
    }
    this.hubFacts.children = children.map((c) => ({ position: c.position, deviceId: c.deviceId }));
    return { children, results: rest.map((r, i) => (r === undefined ? undefined : childResult(r, calls[i]?.method ?? ''))) };
  }

  async childCall(deviceId: string, method: string, params?: JsonObject, idempotent?: boolean): Promise<JsonObject> {
    const call = childCallOf(deviceId, method, params);
    const [result] = await this.device.callAll([idempotent === undefined ? call : { ...call, idempotent }]);
    return childResult(result ?? {}, method);
  }

  protected async childCalls(calls: readonly { deviceId: string; method: string; params?: JsonObject }[]): Promise<(JsonObject | undefined)[]> {
    if (calls.length === 0) return [];
    const results = await this.device.callAll(calls.map((c) => ({ ...childCallOf(c.deviceId, c.method, c.params), optional: true })));
    return results.map((r, i) => {
      if (r === undefined) return undefined;
      try {
        return childResult(r, calls[i]?.method ?? '');
      } catch {
        return undefined;
      }
    });
  }
}

/** The SMART device of an H100: batches even though it has children (a strip never gets a second batch). */
export class HubSmartDevice extends SmartDevice {
  /** `get_device_info` (with `component_nego` while the component list is unknown). */
  info(): Promise<JsonObject> {
    return this.deviceInfo();
  }

  protected override canBatch(): boolean {
    return this.facts.batching !== false;
  }
}

/** A `control_child` entry of a batch. */
function childCallOf(deviceId: string, method: string, params?: JsonObject): SmartCall {
  const requestData: JsonObject = params === undefined ? { method } : { method, params };
  return { method: 'control_child', params: { device_id: deviceId, requestData }, idempotent: isRead(method) };
}

function isRead(method: string): boolean {
  return method.startsWith('get_');
}

/** The child's own result inside a `control_child` result (`responseData`, possibly a one-entry batch). */
function childResult(result: JsonObject, method: string): JsonObject {
  const inner = obj(result.responseData);
  const data = checkReply('smart', inner, method);
  const first = arr(data.responses)[0];
  return isObject(first) ? checkReply('smart', first, method) : data;
}

/** Sub-requests per camera `multipleRequest` (camera.md §9). */
const CAMERA_BATCH = 10;

/** An H200 (camera protocol): children through `getChildDeviceList` / `controlChild`. */
export class CameraHub extends Hub {
  readonly protocol = 'camera' as const;
  private readonly requester: Requester;

  constructor(requester: Requester, hubFacts: HubFacts) {
    super(hubFacts);
    this.requester = requester;
  }

  protected async listAll(): Promise<HubChild[]> {
    const all: HubChild[] = [];
    for (;;) {
      const [page] = await this.batch([{ method: 'getChildDeviceList', params: { childControl: { start_index: all.length } } }], false);
      const list = arr(page?.child_device_list).filter(isObject);
      for (const entry of list) all.push(parseHubChild(entry, all.length + 1));
      const sum = num(page?.sum);
      if (list.length === 0 || sum === undefined || all.length >= sum) break;
    }
    return all;
  }

  /** `getDeviceInfo` (basic info). */
  async deviceInfo(): Promise<JsonObject> {
    const [r] = await this.batch([{ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } }], false);
    return r ?? {};
  }

  async childCall(deviceId: string, method: string, params?: JsonObject): Promise<JsonObject> {
    const [r] = await this.batch([controlChildOf(deviceId, method, params)], false);
    return cameraChildResult(r ?? {}, method);
  }

  protected async childCalls(calls: readonly { deviceId: string; method: string; params?: JsonObject }[]): Promise<(JsonObject | undefined)[]> {
    if (calls.length === 0) return [];
    const results = await this.batch(
      calls.map((c) => controlChildOf(c.deviceId, c.method, c.params)),
      true,
    );
    return results.map((r, i) => {
      if (r === undefined) return undefined;
      try {
        return cameraChildResult(r, calls[i]?.method ?? '');
      } catch {
        return undefined;
      }
    });
  }

  /**
   * Named requests in `multipleRequest`s of at most 10. With `optional`, a failing entry yields
   * undefined and the entries after it (which the hub did not run) go out again; without, it is thrown.
   */
  private async batch(requests: readonly { method: string; params: JsonObject }[], optional: boolean): Promise<(JsonObject | undefined)[]> {
    const results = new Array<JsonObject | undefined>(requests.length).fill(undefined);
    let pending = requests.map((_, i) => i);
    while (pending.length > 0) {
      const chunk = pending.slice(0, CAMERA_BATCH);
      const idempotent = chunk.every((i) => isCameraRead(requests[i]));
      const reply = await this.requester.request(
        { method: 'multipleRequest', params: { requests: chunk.map((i): JsonValue => ({ method: requests[i]?.method ?? '', params: requests[i]?.params ?? {} })) } },
        { idempotent },
      );
      const responses = arr(checkReply('camera', reply, 'multipleRequest').responses);
      const done = new Set<number>();
      for (const [pos, index] of chunk.entries()) {
        const req = requests[index];
        const resp = responseFor(responses, pos, req?.method);
        if (!resp || !req) break;
        done.add(index);
        const failure = replyFailure('camera', resp, req.method);
        if (failure === undefined) {
          results[index] = obj(resp.result);
          continue;
        }
        if (!optional) throw failure;
      }
      if (done.size === 0) {
        throw new TapoError('Device', 'cameraBatchUnanswered', { context: 'multipleRequest', params: { methods: chunk.map((i) => requests[i]?.method ?? '').join(', ') } });
      }
      pending = pending.filter((i) => !done.has(i));
    }
    return results;
  }
}

function controlChildOf(deviceId: string, method: string, params?: JsonObject): { method: string; params: JsonObject } {
  return { method: 'controlChild', params: { childControl: { device_id: deviceId, request_data: { method, params: params ?? null } } } };
}

function isCameraRead(req: { method: string; params: JsonObject } | undefined): boolean {
  if (req === undefined) return false;
  if (req.method !== 'controlChild') return req.method.startsWith('get');
  const inner = str(obj(obj(obj(req.params).childControl).request_data).method) ?? '';
  return isRead(inner);
}

/** The child's own result inside a `controlChild` result (`response_data`). */
function cameraChildResult(result: JsonObject, method: string): JsonObject {
  return checkReply('smart', obj(result.response_data), method);
}

/**
 * The hub behind `requester`, or undefined when the device is not a hub. What it is is learnt once
 * per connection (kept in `hubFacts`): SMART devices are asked `get_device_info` (with
 * `component_nego` while the component list is unknown, in one batch; skipped when the component
 * list says the device has no children), cameras `getDeviceInfo`; `type` containing `HUB` makes a
 * hub (family.md §1).
 */
export async function openHub(requester: Requester, kind: 'plug' | 'camera', hubFacts: HubFacts, smart: SmartOptions & { facts: SmartFacts }): Promise<Hub | undefined> {
  if (hubFacts.isHub === undefined) {
    if (kind === 'camera') {
      const r = await new CameraHub(requester, hubFacts).deviceInfo();
      const basic = obj(obj(r.device_info).basic_info);
      learn(hubFacts, str(basic.device_type) ?? '', str(basic.device_model) ?? '');
    } else {
      const components = smart.facts.components;
      if (smart.facts.hub !== undefined) {
        // openSmart already read the device info on this connection and learnt what it is.
        hubFacts.isHub = smart.facts.hub;
      } else if (components && !components.has('child_device') && !components.has('control_child')) {
        hubFacts.isHub = false;
      } else {
        const r = await new HubSmartDevice(requester, smart).info();
        learn(hubFacts, str(r.type) ?? '', str(r.model) ?? '');
        if (hubFacts.isHub !== undefined) smart.facts.hub = hubFacts.isHub;
      }
    }
  }
  if (hubFacts.isHub !== true) return undefined;
  return kind === 'camera' ? new CameraHub(requester, hubFacts) : new SmartHub(requester, hubFacts, smart);
}

function learn(hubFacts: HubFacts, type: string, model: string): void {
  hubFacts.type = type;
  hubFacts.model = model;
  hubFacts.isHub = /HUB/i.test(type);
}

/** The refusal of a hub verb on a device that is not a hub. */
export function notHub(hubFacts: HubFacts): TapoError {
  return new TapoError('Input', 'notHub', { params: { type: hubFacts.type ?? '?' }, hint: 'hubPickHub', sent: false });
}
