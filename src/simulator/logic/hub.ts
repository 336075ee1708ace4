/**
 * Hubs in the simulator (../shared/protocol/family.md §6, §7, §11; events.md §5, §6):
 *
 * - `HubLogic`: an H100 on the SMART protocol. Its own methods are the plug logic's (from the hub
 *   fixture); `get_child_device_list` and `get_child_device_component_list` page by 10 by
 *   `start_index` with `sum`, and `control_child {device_id, requestData}` routes to the child,
 *   also inside `multipleRequest`. Its children are the bundled child fixtures
 *   (fixtures/child/: T100, T110, T300, T310, T315, S200B) — the hub fixtures' own lists name only
 *   two of them and carry no per-child methods.
 * - `CameraHubLogic`: an H200 on the camera protocol. Its own methods are the camera logic's (from
 *   its fixture); `getChildDeviceList` / `getChildDeviceComponentList {"childControl":{start_index}}`
 *   and `controlChild {"childControl":{device_id, request_data}}` inside `multipleRequest`. Its
 *   children are the fixture's list (T310, T315, T110, 2 × S200B), each answering the methods of the
 *   matching child fixture, except `get_trigger_logs`, which answers an empty log as H200 children
 *   do (python-kasa#1699); their state still follows scripted events.
 *
 * A child (`SimChild`) keeps live state (`detected`, `open`, `water_leak_status`, temperature,
 * humidity, battery) and a trigger log with a hub-wide growing `id` (events.md §5.2: ids of one
 * child are not consecutive). `get_trigger_logs {page_size, start_id}`: `start_id` 0 gives the
 * newest `page_size` entries, newest first; another `start_id` the entries from that id down. A
 * method the child's fixture lacks answers -1001, as real children do. `trigger()` scripts an event
 * (motion, open, close, water, dry, click, double-click, rotate-left, rotate-right): the log and
 * the state move together. The sign of `rotate_deg` is not documented: the simulator reports a
 * right turn as positive.
 *
 * Child names are plain text made up here (the captures masked them) and unique per hub.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unmaskFixture } from '../fixtures';
import type { SimClock, SimJson, SimJsonObject } from '../types';
import { CameraLogic } from './camera';
import type { CameraLogicOptions } from './camera';
import { MethodError, clone, isObject } from './json';
import { PlugLogic } from './plug';
import type { PlugLogicOptions, PlugState } from './plug';

/** Children answer methods they do not have with -1001 (family.md §6.3). */
const CHILD_UNSUPPORTED = -1001;
const SMART_PARAMS_ERROR = -1008;
const CAMERA_INVALID_ARGUMENTS = -40209;
const CAMERA_UNSUPPORTED_IN_BATCH = -40210;
/** Entries per child-list page (family.md §6.2, §11). */
export const HUB_CHILD_PAGE_SIZE = 10;
/** Entries kept per child's trigger log. */
const LOG_LIMIT = 100;
/** Degrees of one scripted rotation of an S200B. */
export const ROTATION_STEP_DEG = 15;

/** What can be scripted on a child. */
export const CHILD_TRIGGERS = ['motion', 'clear', 'open', 'close', 'water', 'dry', 'click', 'double-click', 'rotate-left', 'rotate-right'] as const;
/** One scripted child event. */
export type ChildTrigger = (typeof CHILD_TRIGGERS)[number];

/** Which child models take which triggers. */
const TRIGGERS_OF: Record<string, readonly ChildTrigger[]> = {
  T100: ['motion', 'clear'],
  T110: ['open', 'close'],
  T300: ['water', 'dry'],
  S200B: ['click', 'double-click', 'rotate-left', 'rotate-right'],
  S200D: ['click', 'double-click', 'rotate-left', 'rotate-right'],
};

/** A child's live state, for assertions. */
export interface SimChildState {
  position: number;
  deviceId: string;
  model: string;
  nickname: string;
  lowBattery: boolean;
  batteryPercent?: number;
  detected?: boolean;
  open?: boolean;
  waterLeakStatus?: string;
  temperature?: number;
  humidity?: number;
  /** Newest log entry id (0 when the log is empty). */
  lastLogId: number;
  logSize: number;
}

/** What {@link SimHubChildren.set} may change on a child. */
export interface SimChildChange {
  battery?: number;
  low?: boolean;
  temperature?: number;
  humidity?: number;
}

function childFixtureDirs(): string[] {
  return [path.join(__dirname, '..', 'fixtures', 'child'), path.join(__dirname, '..', '..', '..', 'src', 'simulator', 'fixtures', 'child')];
}

/** The bundled child fixtures by model (`T100` → its dump, unmasked). */
export function loadChildFixtures(): Map<string, SimJsonObject> {
  const dir = childFixtureDirs().find((d) => fs.existsSync(d));
  const out = new Map<string, SimJsonObject>();
  if (dir === undefined) return out;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const name = file.slice(0, -'.json'.length);
    const model = name.split('(')[0]?.split('_')[0] ?? name;
    const data = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as SimJsonObject;
    out.set(model, unmaskFixture(name, data, 'smart', model));
  }
  return out;
}

const NAMES: Record<string, string> = {
  T100: 'Hall motion',
  T110: 'Front door',
  T300: 'Under sink',
  T310: 'Living room climate',
  T315: 'Bedroom climate',
  S200B: 'Desk button',
  S200D: 'Dimmer button',
};

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** One child of a simulated hub. */
export class SimChild {
  readonly deviceId: string;
  readonly model: string;
  /** Live `get_device_info` (and child-list entry). */
  readonly info: SimJsonObject;
  private readonly methods: SimJsonObject;
  /** Newest first. */
  private logs: SimJsonObject[];

  /** H200 children: `get_trigger_logs` answers an empty log whatever happened (family.md §7 quirks). */
  private readonly silentLog: boolean;

  constructor(deviceId: string, listed: SimJsonObject, fixture: SimJsonObject | undefined, nickname: string, silentLog = false) {
    this.deviceId = deviceId;
    this.silentLog = silentLog;
    this.methods = fixture ? clone(fixture) : {};
    const own = isObject(this.methods.get_device_info) ? this.methods.get_device_info : {};
    this.info = { ...clone(own), ...clone(listed), device_id: deviceId, nickname: b64(nickname) };
    this.model = typeof this.info.model === 'string' ? this.info.model : '';
    const captured = isObject(this.methods.get_trigger_logs) && Array.isArray(this.methods.get_trigger_logs.logs) ? this.methods.get_trigger_logs.logs.filter(isObject) : [];
    this.logs = captured.map((e) => clone(e)).sort((a, b) => Number(b.id) - Number(a.id));
  }

  /** The newest log id (0 for an empty log). */
  get lastLogId(): number {
    return Number(this.logs[0]?.id ?? 0);
  }

  /** The live state. */
  state(position: number): SimChildState {
    const s: SimChildState = {
      position,
      deviceId: this.deviceId,
      model: this.model,
      nickname: Buffer.from(String(this.info.nickname), 'base64').toString('utf8'),
      lowBattery: this.info.at_low_battery === true,
      lastLogId: this.lastLogId,
      logSize: this.logs.length,
    };
    if (typeof this.info.battery_percentage === 'number') s.batteryPercent = this.info.battery_percentage;
    if (typeof this.info.detected === 'boolean') s.detected = this.info.detected;
    if (typeof this.info.open === 'boolean') s.open = this.info.open;
    if (typeof this.info.water_leak_status === 'string') s.waterLeakStatus = this.info.water_leak_status;
    if (typeof this.info.current_temp === 'number') s.temperature = this.info.current_temp;
    if (typeof this.info.current_humidity === 'number') s.humidity = this.info.current_humidity;
    return s;
  }

  /** A SMART request to this child (`{method, params}` or a `multipleRequest`): `{error_code, result?}`. */
  handle(request: SimJsonObject): SimJsonObject {
    const method = typeof request.method === 'string' ? request.method : '';
    if (method === 'multipleRequest') {
      const params = isObject(request.params) ? request.params : {};
      const requests = Array.isArray(params.requests) ? params.requests.filter(isObject) : [];
      const responses: SimJson[] = [];
      for (const sub of requests) {
        const entry: SimJsonObject = { method: typeof sub.method === 'string' ? sub.method : '', ...this.handle(sub) };
        responses.push(entry);
        if (entry.error_code !== 0) break;
      }
      return { error_code: 0, result: { responses } };
    }
    const params = isObject(request.params) ? request.params : {};
    switch (method) {
      case 'get_device_info':
        return { error_code: 0, result: clone(this.info) };
      case 'get_trigger_logs':
        return this.triggerLogs(params);
      case 'set_temperature_unit':
        if (params.temp_unit !== 'celsius' && params.temp_unit !== 'fahrenheit') return { error_code: SMART_PARAMS_ERROR };
        if (typeof this.info.temp_unit !== 'string') return { error_code: CHILD_UNSUPPORTED };
        this.info.temp_unit = params.temp_unit;
        return { error_code: 0 };
      default: {
        const captured = this.methods[method];
        if (method.startsWith('get_') || method === 'component_nego' || method === 'qs_component_nego') {
          if (isObject(captured)) return { error_code: 0, result: clone(captured) };
        }
        return { error_code: CHILD_UNSUPPORTED };
      }
    }
  }

  /** `component_nego` of this child (for the hub's component list). */
  componentList(): SimJson[] {
    const nego = this.methods.component_nego;
    return isObject(nego) && Array.isArray(nego.component_list) ? clone(nego.component_list) : [];
  }

  private triggerLogs(params: SimJsonObject): SimJsonObject {
    if (this.silentLog) return { error_code: 0, result: { logs: [], start_id: 0, sum: 0 } };
    const size = typeof params.page_size === 'number' && params.page_size > 0 ? Math.floor(params.page_size) : LOG_LIMIT;
    const start = typeof params.start_id === 'number' ? params.start_id : 0;
    const from = start > 0 ? this.logs.filter((e) => Number(e.id) <= start) : this.logs;
    return { error_code: 0, result: { logs: clone(from.slice(0, size)), start_id: this.lastLogId, sum: this.logs.length } };
  }

  /** Adds an entry to the log (newest first, bounded). */
  log(id: number, event: string, at: number, params?: SimJsonObject): void {
    const entry: SimJsonObject = { event, eventId: `sim-${this.deviceId.slice(-6)}-${id}`, id, timestamp: at };
    if (params !== undefined) entry.params = params;
    this.logs.unshift(entry);
    if (this.logs.length > LOG_LIMIT) this.logs.length = LOG_LIMIT;
  }
}

/** The children of a simulated hub, with the hub-wide log counter. */
export class SimHubChildren {
  readonly children: SimChild[] = [];
  private nextId: number;

  constructor(private readonly clock: SimClock) {
    this.nextId = 1;
  }

  /** Adds a child (its log ids push the counter on). */
  add(child: SimChild): void {
    this.children.push(child);
    this.nextId = Math.max(this.nextId, child.lastLogId + 1);
  }

  /** The child at `key`: a position (1-based), a device id or a name. */
  find(key: string | number): SimChild {
    const k = String(key);
    const byPos = /^\d+$/.test(k) ? this.children[Number(k) - 1] : undefined;
    const found = byPos ?? this.children.find((c) => c.deviceId === k || Buffer.from(String(c.info.nickname), 'base64').toString('utf8') === k);
    if (found === undefined) {
      throw new RangeError(`no child ${JSON.stringify(key)}; children: ${this.children.map((c, i) => `${i + 1} ${c.model}`).join(', ')}`);
    }
    return found;
  }

  /** Live state of every child, in position order. */
  get state(): SimChildState[] {
    return this.children.map((c, i) => c.state(i + 1));
  }

  /** One page of the child list. */
  list(startIndex: SimJson | undefined): SimJsonObject {
    const start = startIndex ?? 0;
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) throw new MethodError(SMART_PARAMS_ERROR, 'start_index');
    const page = this.children.slice(start, start + HUB_CHILD_PAGE_SIZE).map((c) => clone(c.info));
    return { child_device_list: page, start_index: start, sum: this.children.length };
  }

  /** One page of the children's component lists. */
  components(startIndex: SimJson | undefined): SimJsonObject {
    const start = typeof startIndex === 'number' && startIndex >= 0 ? Math.floor(startIndex) : 0;
    const page = this.children.slice(start, start + HUB_CHILD_PAGE_SIZE).map((c): SimJson => ({ device_id: c.deviceId, component_list: c.componentList() }));
    return { child_component_list: page, start_index: start, sum: this.children.length };
  }

  /** Routes a child's own request by device id; undefined when no such child. */
  route(deviceId: SimJson | undefined, request: SimJson | undefined): SimJsonObject | undefined {
    const child = this.children.find((c) => c.deviceId === deviceId);
    if (child === undefined || !isObject(request)) return undefined;
    return child.handle(request);
  }

  /** Scripts an event on a child: its log and state move together. Throws a RangeError for an event the model has not. */
  trigger(key: string | number, event: ChildTrigger): SimChildState {
    const child = this.find(key);
    const allowed = TRIGGERS_OF[child.model] ?? [];
    if (!allowed.includes(event)) {
      throw new RangeError(`a ${child.model} takes ${allowed.length > 0 ? allowed.join(', ') : 'no scripted events'}, not ${JSON.stringify(event)}`);
    }
    const at = Math.floor(this.clock.now() / 1000);
    const id = this.nextId++;
    switch (event) {
      case 'motion':
        child.info.detected = true;
        child.log(id, 'motion', at);
        break;
      case 'clear':
        this.nextId--;
        child.info.detected = false;
        break;
      case 'open':
      case 'close':
        child.info.open = event === 'open';
        child.log(id, event, at);
        break;
      case 'water':
      case 'dry':
        child.info.water_leak_status = event === 'water' ? 'water_leak' : 'water_dry';
        child.info.in_alarm = event === 'water';
        child.info.trigger_timestamp = at;
        child.log(id, event === 'water' ? 'waterLeak' : 'waterDry', at);
        break;
      case 'click':
        child.log(id, 'singleClick', at);
        break;
      case 'double-click':
        child.log(id, 'doubleClick', at);
        break;
      case 'rotate-left':
      case 'rotate-right':
        child.log(id, 'rotation', at, { rotate_deg: event === 'rotate-right' ? ROTATION_STEP_DEG : -ROTATION_STEP_DEG });
        break;
    }
    return child.state(this.children.indexOf(child) + 1);
  }

  /** Sets a child's battery, low flag, temperature (in the unit it shows) or humidity. A button logs `lowBattery` when it goes low. */
  set(key: string | number, change: SimChildChange): SimChildState {
    const child = this.find(key);
    if (change.battery !== undefined) {
      if (!Number.isInteger(change.battery) || change.battery < 0 || change.battery > 100) throw new RangeError('battery is a whole percentage from 0 to 100');
      if (typeof child.info.battery_percentage === 'number') child.info.battery_percentage = change.battery;
    }
    const wasLow = child.info.at_low_battery === true;
    const low = change.low ?? (change.battery !== undefined ? change.battery <= 10 : undefined);
    if (low !== undefined) child.info.at_low_battery = low;
    if (!wasLow && low === true && /^S200/.test(child.model)) child.log(this.nextId++, 'lowBattery', Math.floor(this.clock.now() / 1000));
    if (change.temperature !== undefined) {
      if (typeof child.info.current_temp !== 'number') throw new RangeError(`a ${child.model} has no temperature`);
      child.info.current_temp = change.temperature;
    }
    if (change.humidity !== undefined) {
      if (typeof child.info.current_humidity !== 'number') throw new RangeError(`a ${child.model} has no humidity`);
      child.info.current_humidity = change.humidity;
    }
    return child.state(this.children.indexOf(child) + 1);
  }
}

/** The live state of a hub, for assertions: the plug-logic state of the hub itself and its children. */
export type HubState = PlugState & { hubChildren: SimChildState[] };

/** Made-up unique names for a hub's children. */
function nameChildren(models: readonly string[]): string[] {
  const seen = new Map<string, number>();
  const total = new Map<string, number>();
  for (const m of models) total.set(m, (total.get(m) ?? 0) + 1);
  return models.map((m) => {
    const n = (seen.get(m) ?? 0) + 1;
    seen.set(m, n);
    const base = NAMES[m] ?? `${m} sensor`;
    return (total.get(m) ?? 1) > 1 ? `${base} ${n}` : base;
  });
}

/** An H100 hub (SMART protocol). */
export class HubLogic extends PlugLogic {
  readonly hub: SimHubChildren;

  constructor(data: SimJsonObject, options: PlugLogicOptions) {
    const own = clone(data);
    delete own.get_child_device_list;
    delete own.get_child_device_component_list;
    delete own.child_devices;
    super(own, options);
    this.hub = new SimHubChildren(options.clock);
    const fixtures = loadChildFixtures();
    const hubId = isObject(own.get_device_info) && typeof own.get_device_info.device_id === 'string' ? own.get_device_info.device_id : '0'.repeat(40);
    const models = ['T100', 'T110', 'T300', 'T310', 'T315', 'S200B'].filter((m) => fixtures.has(m));
    const names = nameChildren(models);
    models.forEach((model, i) => {
      const fixture = fixtures.get(model);
      const listed = isObject(fixture?.get_device_info) ? fixture.get_device_info : {};
      const id = `${hubId.slice(0, 38)}${String(i + 1).padStart(2, '0')}`;
      this.hub.add(new SimChild(id, { ...listed, parent_device_id: hubId }, fixture, names[i] ?? model));
    });
  }

  override get state(): HubState {
    return { ...super.state, hubChildren: this.hub.state };
  }

  override handle(request: SimJsonObject): SimJsonObject {
    const method = request.method;
    if (method === 'multipleRequest' && isObject(request.params) && Array.isArray(request.params.requests)) {
      const subs = request.params.requests.filter(isObject);
      if (!subs.some((s) => this.isHubMethod(s.method))) return super.handle(request);
      const responses: SimJson[] = [];
      for (const sub of subs) {
        const name = typeof sub.method === 'string' ? sub.method : '';
        const answer = this.isHubMethod(name) ? this.hubMethod(name, sub.params) : super.handle({ method: name, ...(sub.params !== undefined ? { params: sub.params } : {}) });
        const entry: SimJsonObject = { method: name, ...answer };
        responses.push(entry);
        if (entry.error_code !== 0) break;
      }
      return { error_code: 0, result: { responses } };
    }
    if (typeof method === 'string' && this.isHubMethod(method)) return this.hubMethod(method, request.params);
    return super.handle(request);
  }

  private isHubMethod(method: SimJson | undefined): boolean {
    return method === 'get_child_device_list' || method === 'get_child_device_component_list' || method === 'control_child';
  }

  private hubMethod(method: string, rawParams: SimJson | undefined): SimJsonObject {
    const params = isObject(rawParams) ? rawParams : {};
    try {
      if (method === 'get_child_device_list') return { error_code: 0, result: this.hub.list(params.start_index) };
      if (method === 'get_child_device_component_list') return { error_code: 0, result: this.hub.components(params.start_index) };
      const answer = this.hub.route(params.device_id, params.requestData);
      if (answer === undefined) return { error_code: SMART_PARAMS_ERROR };
      return { error_code: 0, result: { responseData: answer } };
    } catch (err) {
      if (err instanceof MethodError) return { error_code: err.code };
      throw err;
    }
  }
}

/** An H200 hub (camera protocol). */
export class CameraHubLogic extends CameraLogic {
  readonly hub: SimHubChildren;

  constructor(data: SimJsonObject, options: CameraLogicOptions & { clock: SimClock }) {
    super(data, options);
    this.hub = new SimHubChildren(options.clock);
    const fixtures = loadChildFixtures();
    const list = isObject(data.getChildDeviceList) && Array.isArray(data.getChildDeviceList.child_device_list) ? data.getChildDeviceList.child_device_list.filter(isObject) : [];
    const names = nameChildren(list.map((c) => (typeof c.model === 'string' ? c.model : '')));
    list.forEach((entry, i) => {
      const model = typeof entry.model === 'string' ? entry.model : '';
      const id = typeof entry.device_id === 'string' ? entry.device_id : `child${i + 1}`;
      this.hub.add(new SimChild(id, entry, fixtures.get(model), names[i] ?? model, true));
    });
  }

  override handle(request: SimJsonObject): SimJsonObject {
    if (request.method !== 'multipleRequest' || !isObject(request.params) || !Array.isArray(request.params.requests)) return super.handle(request);
    const subs = request.params.requests.filter(isObject);
    if (!subs.some((s) => this.isHubMethod(s.method))) return super.handle(request);
    const responses: SimJson[] = [];
    for (const sub of subs) {
      const name = typeof sub.method === 'string' ? sub.method : '';
      let entry: SimJsonObject;
      if (this.isHubMethod(name)) entry = { method: name, ...this.hubMethod(name, sub.params) };
      else {
        const one = super.handle({ method: 'multipleRequest', params: { requests: [sub] } });
        const first = isObject(one.result) && Array.isArray(one.result.responses) ? one.result.responses[0] : undefined;
        entry = isObject(first) ? first : { method: name, error_code: CAMERA_UNSUPPORTED_IN_BATCH };
      }
      responses.push(entry);
      if (entry.error_code !== 0) break;
    }
    return { error_code: 0, result: { responses } };
  }

  private isHubMethod(method: SimJson | undefined): boolean {
    return method === 'getChildDeviceList' || method === 'getChildDeviceComponentList' || method === 'controlChild';
  }

  private hubMethod(method: string, rawParams: SimJson | undefined): SimJsonObject {
    const params = isObject(rawParams) && isObject(rawParams.childControl) ? rawParams.childControl : undefined;
    if (params === undefined) return { error_code: CAMERA_INVALID_ARGUMENTS };
    try {
      if (method === 'getChildDeviceList') return { error_code: 0, result: this.hub.list(params.start_index) };
      if (method === 'getChildDeviceComponentList') return { error_code: 0, result: this.hub.components(params.start_index) };
      const answer = this.hub.route(params.device_id, params.request_data);
      if (answer === undefined) return { error_code: CAMERA_INVALID_ARGUMENTS };
      return { error_code: 0, result: { response_data: answer } };
    } catch (err) {
      if (err instanceof MethodError) return { error_code: CAMERA_INVALID_ARGUMENTS };
      throw err;
    }
  }
}

/** True for a fixture of a hub (`SMART.TAPOHUB`). */
export function isHubFixture(data: SimJsonObject, discovery: SimJsonObject): boolean {
  const info = isObject(data.get_device_info) ? data.get_device_info : {};
  const type = typeof discovery.device_type === 'string' ? discovery.device_type : typeof info.type === 'string' ? info.type : '';
  return /HUB/.test(type);
}
