/**
 * The functional side of a Tapo camera (C100, C101, C210, TC70 …), behind whatever transport the
 * simulated device speaks. Follows ../shared/protocol/methods-camera.md and camera.md §9.
 *
 * State is a module tree built from the fixture's getter results: module → section → fields,
 * values kept exactly as captured (cameras use strings: "on"/"off", numbers as strings).
 * Getters read sections from that tree, setters merge into it, so whatever a client sets is what
 * the next getter (and `state`) shows. Live exceptions: `system.clock_status` (from the clock)
 * and `preset.preset` (from the motor model below).
 *
 * Request forms accepted (camera.md §9):
 *   A. `{"method":"multipleRequest","params":{"requests":[{method, params}…]}}` — named methods,
 *      processed in order, stopping at the first failure; an unknown method fails with -40210.
 *   B. `{"method":"get"|"set"|"do", <module>: {…}}` — a get of an unknown module answers `{}`
 *      with error_code 0 (as real cameras do); an unknown set/do answers -40106.
 *   A lone named method `{"method":"getX","params":…}` is answered like one batch entry, with
 *      -40106 for an unknown name.
 *
 * Pan/tilt: positions are in motor steps (≈ degrees), pan within ±170 and tilt within ±50; a
 * move that would pass a limit fails with -64304 and does not move. Presets are reported as the
 * device does, normalised to -1…1 strings. Privacy mode (lens mask on) refuses motor commands
 * with -64324.
 *
 * Detections (events.md §3): `detect()` records a scripted detection as the camera would: it
 * bumps `system.last_alarm_info` (the `getLastAlarmInfo` of module `system`; the same method name
 * with module `msg_alarm` reads the siren configuration, answered from that module as before) and
 * adds an entry to the list `searchDetectionList` answers (module `playback`, only on cameras
 * whose app component list has `playback`). The ONVIF side of a detection lives in ../onvif.
 */
import { DETECTIONS } from '../detections';
import type { SimDetectionType } from '../detections';
import type { DeviceLogic, SimClock, SimJson, SimJsonObject } from '../types';
import { FirmwareLogic } from './firmware';
import type { SimFirmwareUpdate } from './firmware';
import { MethodError, clone, isObject, isUnsafeKey, own } from './json';

const UNSUPPORTED_METHOD = -40106;
const PARAMETER_NOT_EXIST = -40101;
const INVALID_ARGUMENTS = -40209;
const METHOD_NOT_IN_BATCH = -40210;
const PRESET_NOT_FOUND = -64302;
const MOTOR_LOCKED_ROTOR = -64304;
const PRESET_SATURATED = -64306;
const PRIVACY_BLOCKS_MOTOR = -64324;

/** Pan limit of the simulated motor, in steps either side of centre. */
export const PAN_LIMIT = 170;
/** Tilt limit of the simulated motor, in steps either side of centre. */
export const TILT_LIMIT = 50;
/** Steps moved by one `relativeMove` / `movestep`. */
export const MOVE_STEP = 10;

/** Options for a camera's logic. */
export interface CameraLogicOptions {
  clock: SimClock;
  /** Called when the client reboots the camera (`rebootDevice`). */
  onReboot?: () => void;
  /** Called when a firmware download completes: the camera installs it and reboots (logic/firmware.ts). */
  onFirmwareInstall?: (update: SimFirmwareUpdate) => void;
}

/** A stored pan/tilt preset. */
export interface CameraPreset {
  id: string;
  name: string;
  pan: number;
  tilt: number;
}

/** Live state of a camera, read fresh on every access. */
export interface CameraState {
  /** Lens mask on. */
  privacyMode: boolean;
  ledOn: boolean;
  motionDetection: { enabled: boolean; sensitivity: string | undefined; digitalSensitivity: string | undefined };
  personDetection: { enabled: boolean; sensitivity: string | undefined };
  /** Day/night mode, `image.common.inf_type`: `"auto"`, `"on"` (night), `"off"` (day). */
  nightVision: string | undefined;
  /** Night-vision style, `image.switch.night_vision_mode` (e.g. `"inf_night_vision"`). */
  nightVisionMode: string | undefined;
  /** `image.switch.flip_type` (`"center"`: upside down, `"off"`). */
  flipType: string | undefined;
  /** `target_track.target_track_info.enabled` is "on"; undefined on a camera without it. */
  targetTracking: boolean | undefined;
  /** `cet.media_encrypt.enabled` is "on"; undefined on a camera without it. */
  mediaEncryption: boolean | undefined;
  /** The siren/light alarm is sounding (manual trigger). */
  alarmActive: boolean;
  /** `msg_alarm.chn1_msg_alarm_info` as stored. */
  alarmConfig: SimJsonObject;
  pan: number;
  tilt: number;
  presets: CameraPreset[];
  rebootCount: number;
  /** `system.last_alarm_info` as stored, or null when the camera has none. */
  lastAlarm: { time: string; type: string } | null;
  /** Detections under way, in the order they started. */
  activeDetections: SimDetectionType[];
}

/** One detection as the camera keeps it for `searchDetectionList`. */
export interface CameraDetectionRecord {
  type: SimDetectionType;
  /** Start, ms since the epoch on the device clock. */
  start: number;
  /** End, or null while it lasts. */
  end: number | null;
}

/** Most detections the camera keeps for `searchDetectionList` (older ones are forgotten). */
export const MAX_DETECTION_RECORDS = 1000;

interface StoredPreset extends CameraPreset {
  readOnly: string;
}

/** Named action methods and the `do` (module, action) each one stands for. */
const NAMED_ACTIONS: Record<string, [string, string]> = {
  motorMove: ['motor', 'move'],
  relativeMove: ['motor', 'movestep'],
  manualCalibrate: ['motor', 'manual_cali'],
  motorMoveToPreset: ['preset', 'goto_preset'],
  addMotorPostion: ['preset', 'set_preset'],
  deletePreset: ['preset', 'remove_preset'],
  rebootDevice: ['system', 'reboot'],
  setAlarmStatus: ['msg_alarm', 'manual_msg_alarm'],
};

/** Simulator default of `network.wan` for fixtures that captured none (see `addSimulatorDefaults`). */
const DEFAULT_WAN: SimJsonObject = {
  ipaddr: '192.168.0.120',
  netmask: '255.255.255.0',
  gateway: '192.168.0.1',
  dns1: '192.168.0.1',
  dns2: '0.0.0.0',
  proto: 'dhcp',
};

/** Fields stored as numeric strings that a set may give as numbers. */
const NUMERIC_STRING_FIELDS = new Set(['alarm_duration']);

/** Alarm section created for fixtures that captured none (every fixture lists the `alert` component). */
const DEFAULT_ALARM_INFO: SimJsonObject = {
  alarm_duration: '0',
  alarm_mode: ['sound', 'light'],
  alarm_type: '0',
  alarm_volume: 'high',
  enabled: 'off',
  light_type: '0',
};

function pad2(n: number): string {
  return n.toString().padStart(2, '0');
}

function str(v: SimJson | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Every top-level value is an object: `{module: {section: …}}`. */
function isModuleShaped(v: SimJson | undefined): v is SimJsonObject {
  return isObject(v) && Object.keys(v).length > 0 && Object.values(v).every((m) => isObject(m));
}

/** The functional camera. */
export class CameraLogic implements DeviceLogic {
  /** Always `'camera'`. */
  readonly family = 'camera' as const;

  private readonly clock: SimClock;
  private readonly onReboot: (() => void) | undefined;
  private readonly captured: SimJsonObject;
  /** module → section → value. */
  private readonly modules: SimJsonObject = {};
  /** Captured reads (`getX`, `scanApList` …) whose result is not module-shaped (answered verbatim). */
  private readonly rawGetters = new Map<string, SimJsonObject>();
  /** Named getters: module → sections they returned when captured. */
  private readonly getterShape = new Map<string, Record<string, string[]>>();
  private readonly ptz: boolean;
  private readonly presetMax: number;
  private readonly presetHasZoom: boolean;
  private presets: StoredPreset[] = [];
  private pan = 0;
  private tilt = 0;
  private alarmStartedAt: number | null = null;
  private rebootCount = 0;
  private detections: CameraDetectionRecord[] = [];
  private readonly activeByType = new Map<SimDetectionType, CameraDetectionRecord>();
  /** The firmware update (offer, download, install: logic/firmware.ts). */
  readonly firmware: FirmwareLogic;

  /** `data` is a camera fixture dump (method name → captured result). */
  constructor(data: SimJsonObject, options: CameraLogicOptions) {
    this.clock = options.clock;
    this.onReboot = options.onReboot;
    this.captured = clone(data);
    const onInstall = options.onFirmwareInstall;
    this.firmware = new FirmwareLogic('camera', { version: () => this.firmwareVersion(), install: (u) => onInstall?.(u) }, this.captured);

    for (const [method, value] of Object.entries(this.captured)) {
      if (method === 'discovery_result') continue;
      // python-kasa stores style-B reads as `get_<module>: {"get": {<module>: …}}`.
      const body = method.startsWith('get_') && isObject(value) && isObject(value.get) ? value.get : value;
      if (isModuleShaped(body)) {
        const shape: Record<string, string[]> = {};
        for (const [mod, sections] of Object.entries(body)) {
          if (isUnsafeKey(mod)) continue;
          const existing = own(this.modules, mod);
          const target = isObject(existing) ? existing : (this.modules[mod] = {});
          shape[mod] = Object.keys(sections as SimJsonObject);
          for (const [sec, v] of Object.entries(sections as SimJsonObject)) {
            if (!isUnsafeKey(sec) && !Object.hasOwn(target, sec)) target[sec] = clone(v);
          }
        }
        if (!method.startsWith('get_')) this.getterShape.set(method, shape);
      } else if (isObject(body) && !method.startsWith('get_')) {
        this.rawGetters.set(method, body);
      }
    }
    const alarm = isObject(this.modules.msg_alarm) ? this.modules.msg_alarm : (this.modules.msg_alarm = {});
    if (!isObject(alarm.chn1_msg_alarm_info)) alarm.chn1_msg_alarm_info = clone(DEFAULT_ALARM_INFO);
    this.addSimulatorDefaults();

    this.ptz = this.appComponents().has('ptz');
    const cap = this.section('motor', 'capability');
    this.presetMax = isObject(cap) && typeof cap.preset_number_max === 'string' ? Number(cap.preset_number_max) || 8 : 8;
    const presetCfg = this.section('preset', 'preset');
    this.presetHasZoom = isObject(presetCfg) && Array.isArray(presetCfg.position_zoom);
    if (isObject(presetCfg)) this.presets = this.parsePresets(presetCfg);
    if (isObject(this.modules.preset)) delete this.modules.preset.preset;
  }

  /**
   * Sections no captured fixture holds, added where the fixture lacks them. These are simulator
   * defaults, not captures: `network.wan` for every camera (`getDeviceIpAddress`; `ipaddr` as the
   * HomeAssistant-Tapo-Control tests show it, the other field names unconfirmed),
   * `system.sys.diagnose_mode` "off" on cameras listing the `diagnose` component (`getDiagnoseMode`,
   * same source), and the `getUserID` answer `{"user_id":1}` on cameras listing `playback` (the
   * recording APIs it serves, methods-camera.md §1, §5).
   */
  private addSimulatorDefaults(): void {
    const components = this.appComponents();
    const network = isObject(this.modules.network) ? this.modules.network : (this.modules.network = {});
    if (!isObject(network.wan)) network.wan = clone(DEFAULT_WAN);
    if (components.has('diagnose')) {
      const system = isObject(this.modules.system) ? this.modules.system : (this.modules.system = {});
      const sys = isObject(system.sys) ? system.sys : (system.sys = {});
      if (sys.diagnose_mode === undefined) sys.diagnose_mode = 'off';
    }
    if (components.has('playback') && !this.rawGetters.has('getUserID')) this.rawGetters.set('getUserID', { user_id: 1 });
  }

  /** Live state for assertions. */
  get state(): CameraState {
    const motion = this.section('motion_detection', 'motion_det');
    const person = this.section('people_detection', 'detection');
    const common = this.section('image', 'common');
    const sw = this.section('image', 'switch');
    const alarm = this.section('msg_alarm', 'chn1_msg_alarm_info');
    return {
      privacyMode: this.privacyOn(),
      ledOn: this.field('led', 'config', 'enabled') === 'on',
      motionDetection: {
        enabled: isObject(motion) && motion.enabled === 'on',
        sensitivity: isObject(motion) ? str(motion.sensitivity) : undefined,
        digitalSensitivity: isObject(motion) ? str(motion.digital_sensitivity) : undefined,
      },
      personDetection: {
        enabled: isObject(person) && person.enabled === 'on',
        sensitivity: isObject(person) ? str(person.sensitivity) : undefined,
      },
      nightVision: isObject(common) ? str(common.inf_type) : undefined,
      nightVisionMode: isObject(sw) ? str(sw.night_vision_mode) : undefined,
      flipType: isObject(sw) ? str(sw.flip_type) : undefined,
      targetTracking: this.onOffField('target_track', 'target_track_info', 'enabled'),
      mediaEncryption: this.onOffField('cet', 'media_encrypt', 'enabled'),
      alarmActive: this.alarmActive(),
      alarmConfig: isObject(alarm) ? clone(alarm) : {},
      pan: this.pan,
      tilt: this.tilt,
      presets: this.presets.map((p) => ({ id: p.id, name: p.name, pan: p.pan, tilt: p.tilt })),
      rebootCount: this.rebootCount,
      lastAlarm: this.lastAlarm() ?? null,
      activeDetections: [...this.activeByType.keys()],
    };
  }

  // ---- detections (events.md §3) ---------------------------------------------------------------

  /**
   * Starts (`active`) or ends a detection of `type` at `at` (ms, default now on the device clock).
   * A start bumps `last_alarm_time` (epoch seconds, as a string) and `last_alarm_type` where the
   * camera has `system.last_alarm_info`, and opens an entry of the detection list; an end closes
   * it. Returns false when nothing changed (a start of a detection already under way, an end of
   * one that is not).
   */
  detect(type: SimDetectionType, active: boolean, at: number = this.clock.now()): boolean {
    if (!active) {
      const record = this.activeByType.get(type);
      if (record === undefined) return false;
      record.end = Math.max(at, record.start);
      this.activeByType.delete(type);
      return true;
    }
    if (this.activeByType.has(type)) return false;
    const record: CameraDetectionRecord = { type, start: at, end: null };
    this.detections.push(record);
    if (this.detections.length > MAX_DETECTION_RECORDS) this.detections.splice(0, this.detections.length - MAX_DETECTION_RECORDS);
    this.activeByType.set(type, record);
    const info = this.section('system', 'last_alarm_info');
    if (isObject(info)) {
      info.last_alarm_time = String(Math.floor(at / 1000));
      info.last_alarm_type = DETECTIONS[type].lastAlarmType;
    }
    return true;
  }

  /** Ends every detection under way (the camera reboots or stops). */
  endDetections(at: number = this.clock.now()): SimDetectionType[] {
    const ended = [...this.activeByType.keys()];
    for (const type of ended) this.detect(type, false, at);
    return ended;
  }

  /** True while a detection of `type` lasts. */
  isDetecting(type: SimDetectionType): boolean {
    return this.activeByType.has(type);
  }

  /** The recorded detections, oldest first (copies). */
  detectionRecords(): CameraDetectionRecord[] {
    return this.detections.map((r) => ({ ...r }));
  }

  /** `system.last_alarm_info` as stored, or undefined when the camera has none. */
  lastAlarm(): { time: string; type: string } | undefined {
    const info = this.section('system', 'last_alarm_info');
    if (!isObject(info)) return undefined;
    return { time: str(info.last_alarm_time) ?? '', type: str(info.last_alarm_type) ?? '' };
  }

  /** The camera's offset from UTC in minutes, from `system.basic.timezone` (`UTC+01:00`); 0 when unknown. */
  utcOffsetMinutes(): number {
    const tz = str(this.field('system', 'basic', 'timezone')) ?? '';
    const m = /^UTC([+-])(\d{1,2}):(\d{2})$/.exec(tz);
    return m === null ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  }

  /**
   * `searchDetectionList` (events.md §3.2): the detections that overlap
   * `[start_time, end_time]` (epoch seconds on the camera clock), oldest first, from
   * `start_index` to `end_index` inclusive, as a flat list of `{start_time, end_time, alarm_type,
   * events_1}` with integer values (pytapo adds its clock offset to them); `events_1` has the bit
   * of the alarm type (bit i = type i + 1). A detection still under way ends "now".
   */
  private searchDetectionList(params: SimJsonObject): SimJsonObject {
    if (!this.appComponents().has('playback')) throw new MethodError(UNSUPPORTED_METHOD, 'no playback component');
    const search = isObject(params.playback) ? params.playback.search_detection_list : undefined;
    if (!isObject(search)) throw new MethodError(INVALID_ARGUMENTS, 'playback.search_detection_list');
    const int = (v: SimJson | undefined, fallback?: number): number => {
      if (v === undefined && fallback !== undefined) return fallback;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new MethodError(INVALID_ARGUMENTS, 'search_detection_list needs whole numbers');
      return v;
    };
    const from = int(search.start_time);
    const to = int(search.end_time);
    const first = int(search.start_index, 0);
    const last = int(search.end_index, first + 999);
    const now = this.clock.now();
    const list = this.detections
      .filter((r) => Math.floor(r.start / 1000) <= to && Math.floor((r.end ?? now) / 1000) >= from)
      .slice(first, last + 1)
      .map((r) => {
        const code = DETECTIONS[r.type].alarmType;
        return { start_time: Math.floor(r.start / 1000), end_time: Math.floor((r.end ?? now) / 1000), alarm_type: code, events_1: 2 ** (code - 1) };
      });
    return { playback: { search_detection_list: list } };
  }

  /** Decrypted request in, reply envelope out (see the file header for the forms). */
  handle(request: SimJsonObject): SimJsonObject {
    const method = request.method;
    if (typeof method !== 'string') return { error_code: INVALID_ARGUMENTS };
    try {
      if (method === 'multipleRequest') return { error_code: 0, result: this.multiple(request.params) };
      if (method === 'get') return { ...this.styleGet(request), error_code: 0 };
      if (method === 'set') {
        this.styleSet(request);
        return { error_code: 0 };
      }
      if (method === 'do') {
        this.styleDo(request);
        return { error_code: 0 };
      }
      return { error_code: 0, result: this.named(method, request.params) };
    } catch (err) {
      if (err instanceof MethodError) return { error_code: err.code };
      throw err;
    }
  }

  // ---- request forms -------------------------------------------------------------------------

  private multiple(rawParams: SimJson | undefined): SimJsonObject {
    if (!isObject(rawParams) || !Array.isArray(rawParams.requests)) throw new MethodError(INVALID_ARGUMENTS, 'multipleRequest needs requests[]');
    const responses: SimJson[] = [];
    for (const sub of rawParams.requests) {
      const method = isObject(sub) && typeof sub.method === 'string' ? sub.method : '';
      let entry: SimJsonObject;
      try {
        if (method === '' || method === 'multipleRequest' || method === 'get' || method === 'set' || method === 'do') {
          throw new MethodError(METHOD_NOT_IN_BATCH, 'not a named method');
        }
        entry = { method, result: this.named(method, (sub as SimJsonObject).params), error_code: 0 };
      } catch (err) {
        if (!(err instanceof MethodError)) throw err;
        entry = { method, error_code: err.code === UNSUPPORTED_METHOD ? METHOD_NOT_IN_BATCH : err.code };
      }
      responses.push(entry);
      // Stop at the first failing sub-request (camera.md §9).
      if (entry.error_code !== 0) break;
    }
    return { responses };
  }

  private moduleBodies(request: SimJsonObject): [string, SimJson][] {
    return Object.entries(request).filter(
      ([k]) => k !== 'method' && k !== 'params' && k !== 'request_time_milis' && k !== 'terminal_uuid' && k !== 'terminalUUID',
    );
  }

  private styleGet(request: SimJsonObject): SimJsonObject {
    const out: SimJsonObject = {};
    for (const [mod, body] of this.moduleBodies(request)) {
      const got = this.readModule(mod, isObject(body) ? body : {});
      if (got !== undefined) out[mod] = got;
    }
    return out;
  }

  private styleSet(request: SimJsonObject): void {
    const bodies = this.moduleBodies(request);
    if (bodies.length === 0) throw new MethodError(INVALID_ARGUMENTS, 'set without a module');
    this.writeModules(Object.fromEntries(bodies));
  }

  private styleDo(request: SimJsonObject): void {
    const bodies = this.moduleBodies(request);
    if (bodies.length !== 1 || !isObject(bodies[0]![1])) throw new MethodError(INVALID_ARGUMENTS, 'do needs one module');
    const [mod, body] = bodies[0] as [string, SimJsonObject];
    const actions = Object.keys(body);
    if (actions.length !== 1) throw new MethodError(INVALID_ARGUMENTS, 'do needs one action');
    this.act(mod, actions[0]!, body[actions[0]!]);
  }

  private named(method: string, rawParams: SimJson | undefined): SimJsonObject {
    const params = isObject(rawParams) ? rawParams : {};
    const action = Object.hasOwn(NAMED_ACTIONS, method) ? NAMED_ACTIONS[method] : undefined;
    if (action !== undefined) {
      const [mod, name] = action;
      const body = own(params, mod);
      if (!isObject(body) || !Object.hasOwn(body, name)) throw new MethodError(INVALID_ARGUMENTS, `${method} needs ${mod}.${name}`);
      this.act(mod, name, body[name]);
      return {};
    }
    // Alarm through named methods (methods-camera.md §4: the form used for cameras reached
    // through a hub, and the only one a TPAP camera takes, since it refuses style-B bodies).
    if (method === 'setSirenStatus') {
      const status = isObject(params.msg_alarm) ? params.msg_alarm.status : undefined;
      if (status !== 'on' && status !== 'off') throw new MethodError(INVALID_ARGUMENTS, 'msg_alarm.status must be on/off');
      this.act('msg_alarm', 'manual_msg_alarm', { action: status === 'on' ? 'start' : 'stop' });
      return {};
    }
    if (method === 'setAlarmConfig') {
      if (!isObject(params.msg_alarm)) throw new MethodError(INVALID_ARGUMENTS, 'setAlarmConfig needs msg_alarm');
      this.writeModules({ msg_alarm: { chn1_msg_alarm_info: params.msg_alarm } });
      return {};
    }
    if (method === 'searchDetectionList') return this.searchDetectionList(params);
    // Firmware (logic/firmware.ts): the cloud check, the offer, the state of an update.
    if (method === 'checkFirmwareVersionByCloud') return {};
    if (method === 'getFirmwareUpdateStatus') return this.firmware.upgradeStatus();
    if (method === 'getCloudConfig' && isObject(params.cloud_config) && JSON.stringify(params.cloud_config.name ?? '').includes('upgrade_info')) return this.firmware.upgradeInfo();
    if (method === 'setDeviceAlias') {
      const alias = isObject(params.system) && isObject(params.system.sys) ? params.system.sys.dev_alias : undefined;
      const basic = this.section('device_info', 'basic_info');
      if (typeof alias !== 'string' || alias === '' || !isObject(basic)) throw new MethodError(INVALID_ARGUMENTS, 'dev_alias');
      basic.device_alias = alias;
      return {};
    }
    if (method.startsWith('get') || this.getterShape.has(method) || this.rawGetters.has(method)) return this.namedGet(method, params);
    if (method.startsWith('set') && isModuleShaped(params) && Object.keys(params).every((m) => isObject(own(this.modules, m)))) {
      this.writeModules(params);
      return {};
    }
    throw new MethodError(UNSUPPORTED_METHOD, `unknown method ${method}`);
  }

  /**
   * A named getter answers the sections its params name (`name`/`table` lists); without
   * usable params it answers the sections it returned when the fixture was captured.
   */
  private namedGet(method: string, params: SimJsonObject): SimJsonObject {
    const out: SimJsonObject = {};
    for (const [mod, body] of Object.entries(params)) {
      if (!isObject(body) || (body.name === undefined && body.table === undefined)) continue;
      const got = this.readModule(mod, body);
      if (got !== undefined && Object.keys(got).length > 0) out[mod] = got;
    }
    if (Object.keys(out).length > 0) return out;
    const shape = this.getterShape.get(method);
    if (shape !== undefined) {
      for (const [mod, sections] of Object.entries(shape)) {
        const got = this.readModule(mod, { name: sections });
        if (got !== undefined) out[mod] = got;
      }
      return out;
    }
    const raw = this.rawGetters.get(method);
    if (raw !== undefined) return clone(raw);
    throw new MethodError(UNSUPPORTED_METHOD, `unknown method ${method}`);
  }

  /** The firmware version in `getDeviceInfo` (`basic_info.sw_version`). */
  firmwareVersion(): string {
    const v = this.field('device_info', 'basic_info', 'sw_version');
    return typeof v === 'string' ? v : '';
  }

  /** The camera rebooted into `version` (a firmware update: logic/firmware.ts). */
  applyFirmware(version: string): void {
    const basic = this.section('device_info', 'basic_info');
    if (isObject(basic)) basic.sw_version = version;
    this.firmware.installed();
  }

  // ---- module tree -----------------------------------------------------------------------------

  private appComponents(): Set<string> {
    const out = new Set<string>();
    const list = this.section('app_component', 'app_component_list');
    if (Array.isArray(list)) for (const c of list) if (isObject(c) && typeof c.name === 'string') out.add(c.name);
    return out;
  }

  /** A stored section (own properties only, so a client naming `__proto__` finds nothing). */
  private section(mod: string, sec: string): SimJson | undefined {
    const m = own(this.modules, mod);
    return isObject(m) ? own(m, sec) : undefined;
  }

  /** An "on"/"off" field as a boolean; undefined when the camera does not have it. */
  private onOffField(mod: string, sec: string, key: string): boolean | undefined {
    const v = this.field(mod, sec, key);
    return v === undefined ? undefined : v === 'on';
  }

  private field(mod: string, sec: string, key: string): SimJson | undefined {
    const s = this.section(mod, sec);
    return isObject(s) ? own(s, key) : undefined;
  }

  /** One section, live where the device computes it. */
  private readSection(mod: string, sec: string): SimJson | undefined {
    if (mod === 'system' && sec === 'clock_status' && this.section(mod, sec) !== undefined) return this.clockStatus();
    if (mod === 'preset' && sec === 'preset') return this.ptz ? this.presetConfig() : undefined;
    const v = this.section(mod, sec);
    return v === undefined ? undefined : clone(v);
  }

  /** `{name: [...], table: [...]}` → the named sections that exist; undefined for an unknown module. */
  private readModule(mod: string, body: SimJsonObject): SimJsonObject | undefined {
    const known = isObject(own(this.modules, mod)) || (mod === 'preset' && this.ptz);
    if (!known) return undefined;
    const wanted: string[] = [];
    for (const key of ['name', 'table']) {
      const v = body[key];
      if (typeof v === 'string') wanted.push(v);
      else if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') wanted.push(s);
    }
    if (wanted.length === 0) {
      const stored = own(this.modules, mod);
      wanted.push(...Object.keys(isObject(stored) ? stored : {}));
      if (mod === 'preset' && this.ptz) wanted.push('preset');
    }
    const out: SimJsonObject = {};
    for (const sec of wanted) {
      const v = this.readSection(mod, sec);
      if (v !== undefined) out[sec] = v;
    }
    return out;
  }

  /**
   * Merges `{module: {section: {field: value}}}` into state after checking all of it: the
   * section must exist (-40101), a field stored as a string only takes a string and `enabled`
   * only "on"/"off" (-40209). A module, section or field named `__proto__`, `constructor` or
   * `prototype` is refused with -40209. Nothing is written when any part is rejected.
   */
  private writeModules(body: SimJsonObject): void {
    const writes: [SimJsonObject, string, SimJson][] = [];
    const refuseUnsafe = (key: string, where: string): void => {
      if (isUnsafeKey(key)) throw new MethodError(INVALID_ARGUMENTS, `${where}${key} is not a valid name`);
    };
    for (const [mod, sections] of Object.entries(body)) {
      refuseUnsafe(mod, '');
      const target = own(this.modules, mod);
      if (!isObject(target) || !isObject(sections)) throw new MethodError(UNSUPPORTED_METHOD, `set ${mod}`);
      for (const [sec, fields] of Object.entries(sections)) {
        refuseUnsafe(sec, `${mod}.`);
        const current = own(target, sec);
        if (current === undefined) throw new MethodError(PARAMETER_NOT_EXIST, `${mod}.${sec}`);
        if (!isObject(current) || !isObject(fields)) throw new MethodError(INVALID_ARGUMENTS, `${mod}.${sec} is not settable`);
        for (const [key, value] of Object.entries(fields)) {
          refuseUnsafe(key, `${mod}.${sec}.`);
          const old = own(current, key);
          // Numbers the camera reports as strings but accepts as numbers (pytapo sends them so).
          if (typeof old === 'string' && typeof value === 'number' && NUMERIC_STRING_FIELDS.has(key) && Number.isFinite(value)) {
            writes.push([current, key, String(value)]);
            continue;
          }
          if (typeof old === 'string' && typeof value !== 'string') throw new MethodError(INVALID_ARGUMENTS, `${mod}.${sec}.${key} must be a string`);
          if (key === 'enabled' && value !== 'on' && value !== 'off') throw new MethodError(INVALID_ARGUMENTS, `${mod}.${sec}.enabled must be on/off`);
          writes.push([current, key, value]);
        }
      }
    }
    for (const [target, key, value] of writes) target[key] = clone(value);
  }

  // ---- actions (`do` and the named methods that stand for one) -------------------------------

  private act(mod: string, action: string, args: SimJson | undefined): void {
    const a = isObject(args) ? args : {};
    switch (`${mod}.${action}`) {
      case 'motor.move':
        this.requirePtz();
        this.moveBy(this.coord(a.x_coord), this.coord(a.y_coord));
        return;
      case 'motor.movestep': {
        this.requirePtz();
        const dir = typeof a.direction === 'string' ? Number(a.direction) : typeof a.direction === 'number' ? a.direction : NaN;
        if (!Number.isFinite(dir) || dir < 0 || dir >= 360) throw new MethodError(INVALID_ARGUMENTS, 'direction must be 0..359');
        const rad = (dir * Math.PI) / 180;
        this.moveBy(Math.round(Math.cos(rad) * MOVE_STEP), Math.round(Math.sin(rad) * MOVE_STEP));
        return;
      }
      case 'motor.manual_cali':
        this.requirePtz();
        this.requirePrivacyOff();
        this.pan = 0;
        this.tilt = 0;
        return;
      case 'preset.goto_preset': {
        this.requirePtz();
        this.requirePrivacyOff();
        const p = this.presets.find((x) => x.id === String(a.id));
        if (p === undefined) throw new MethodError(PRESET_NOT_FOUND, 'no such preset');
        this.pan = p.pan;
        this.tilt = p.tilt;
        return;
      }
      case 'preset.set_preset':
        this.requirePtz();
        this.requirePrivacyOff();
        this.addPreset(a);
        return;
      case 'preset.remove_preset':
        this.requirePtz();
        this.removePresets(a);
        return;
      case 'system.reboot':
        this.rebootCount++;
        this.alarmStartedAt = null;
        this.endDetections();
        this.onReboot?.();
        return;
      case 'cloud_config.fw_download':
        this.firmware.start();
        return;
      case 'msg_alarm.manual_msg_alarm':
        if (a.action === 'start') this.alarmStartedAt = this.clock.now();
        else if (a.action === 'stop') this.alarmStartedAt = null;
        else throw new MethodError(INVALID_ARGUMENTS, 'action must be start or stop');
        return;
      default:
        throw new MethodError(UNSUPPORTED_METHOD, `do ${mod}.${action}`);
    }
  }

  private alarmActive(): boolean {
    if (this.alarmStartedAt === null) return false;
    const duration = Number(this.field('msg_alarm', 'chn1_msg_alarm_info', 'alarm_duration') ?? 0);
    // A positive `alarm_duration` (seconds) ends the alarm by itself; 0 sounds until stopped.
    if (Number.isFinite(duration) && duration > 0 && this.clock.now() >= this.alarmStartedAt + duration * 1000) {
      this.alarmStartedAt = null;
      return false;
    }
    return true;
  }

  private clockStatus(): SimJsonObject {
    const now = this.clock.now();
    const d = new Date(now + this.utcOffsetMinutes() * 60_000);
    return {
      local_time: `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`,
      seconds_from_1970: Math.floor(now / 1000),
    };
  }

  // ---- motor and presets -----------------------------------------------------------------------

  private privacyOn(): boolean {
    return this.field('lens_mask', 'lens_mask_info', 'enabled') === 'on';
  }

  private requirePtz(): void {
    if (!this.ptz) throw new MethodError(UNSUPPORTED_METHOD, 'no pan/tilt on this model');
  }

  private requirePrivacyOff(): void {
    if (this.privacyOn()) throw new MethodError(PRIVACY_BLOCKS_MOTOR, 'privacy mode is on');
  }

  private coord(v: SimJson | undefined): number {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : NaN;
    if (!Number.isFinite(n)) throw new MethodError(INVALID_ARGUMENTS, 'x_coord/y_coord must be numbers (as strings)');
    return n;
  }

  private moveBy(dx: number, dy: number): void {
    this.requirePrivacyOff();
    const pan = this.pan + dx;
    const tilt = this.tilt + dy;
    if (Math.abs(pan) > PAN_LIMIT || Math.abs(tilt) > TILT_LIMIT) throw new MethodError(MOTOR_LOCKED_ROTOR, 'pan/tilt limit');
    this.pan = pan;
    this.tilt = tilt;
  }

  private parsePresets(cfg: SimJsonObject): StoredPreset[] {
    const ids = Array.isArray(cfg.id) ? cfg.id : [];
    const at = (key: string, i: number): string | undefined => {
      const arr = cfg[key];
      return Array.isArray(arr) && typeof arr[i] === 'string' ? (arr[i] as string) : undefined;
    };
    return ids.map((id, i) => ({
      id: String(id),
      name: at('name', i) ?? '',
      pan: Number(at('position_pan', i) ?? 0) * PAN_LIMIT,
      tilt: Number(at('position_tilt', i) ?? 0) * TILT_LIMIT,
      readOnly: at('read_only', i) ?? '0',
    }));
  }

  private presetConfig(): SimJsonObject {
    const cfg: SimJsonObject = {
      id: this.presets.map((p) => p.id),
      name: this.presets.map((p) => p.name),
      position_pan: this.presets.map((p) => (p.pan / PAN_LIMIT).toFixed(6)),
      position_tilt: this.presets.map((p) => (p.tilt / TILT_LIMIT).toFixed(6)),
      read_only: this.presets.map((p) => p.readOnly),
    };
    if (this.presetHasZoom) cfg.position_zoom = this.presets.map(() => '0.000000');
    return cfg;
  }

  private addPreset(a: SimJsonObject): void {
    if (typeof a.name !== 'string' || a.name === '') throw new MethodError(INVALID_ARGUMENTS, 'preset name');
    if (this.presets.length >= this.presetMax) throw new MethodError(PRESET_SATURATED, 'too many presets');
    const next = this.presets.reduce((max, p) => Math.max(max, Number(p.id) || 0), 0) + 1;
    this.presets.push({ id: String(next), name: a.name, pan: this.pan, tilt: this.tilt, readOnly: '0' });
  }

  private removePresets(a: SimJsonObject): void {
    const ids = Array.isArray(a.id) ? a.id.map(String) : a.id !== undefined ? [String(a.id)] : [];
    if (ids.length === 0) throw new MethodError(INVALID_ARGUMENTS, 'remove_preset needs id');
    for (const id of ids) if (!this.presets.some((p) => p.id === id)) throw new MethodError(PRESET_NOT_FOUND, 'no such preset');
    this.presets = this.presets.filter((p) => !ids.includes(p.id));
  }
}
