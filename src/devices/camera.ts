/**
 * Cameras (the SMARTCAM family): our verbs over ../shared/protocol/methods-camera.md, sent as
 * named methods inside `multipleRequest` (camera.md §9 style A). Style A is the one form every
 * camera scheme accepts, TPAP included (its `/ds` endpoint takes `multipleRequest` only), so the
 * verbs use it wherever the catalogue documents a named method.
 *
 * Batching (camera.md §9): at most `batchSize` (default 5) sub-requests per `multipleRequest`. A
 * camera stops at the first failing sub-request, so entries a batch did not answer are sent again
 * in the next batch; the first failing required entry is thrown as a {@link TapoError}.
 *
 * Reads ({@link Camera.read}) are always style A, so every setting reads the same on every scheme.
 * The alarm has no documented named form for a camera addressed directly: its trigger and its
 * configuration go out as the catalogue's style-B `do`/`set` first and fall back to the named forms
 * documented for cameras behind a hub (`setSirenStatus`, `setAlarmConfig`) when the camera refuses
 * the format. TPAP refuses style B before anything is sent (tpap.ts, -40209), so there the fallback
 * costs no round trip.
 *
 * A camera without pan/tilt (C100, C101 …) does not know `getPresetConfig`; its `presets` read as
 * an empty list instead of failing the other settings read with it.
 *
 * Units: times in seconds (epoch), sensitivities as words, preset ids as the camera's strings.
 */
import { TapoError } from '../protocol/errors';
import type { JsonObject, JsonValue } from '../protocol/types';
import type { Requester } from './requester';
import { arr, bool, checkReply, isObject, isReadMethod, isReadRequest, malformed, num, obj, replyFailure, responseFor, str } from './check';

/** Named settings {@link Camera.read} understands. */
export const CAMERA_SETTINGS = [
  'deviceInfo',
  'privacyMode',
  'led',
  'motionDetection',
  'personDetection',
  'nightVision',
  'alarm',
  'presets',
  'sdCard',
  'time',
] as const;

/** One of {@link CAMERA_SETTINGS}. */
export type CameraSetting = (typeof CAMERA_SETTINGS)[number];

/** Detection sensitivity in words. */
export type Sensitivity = 'low' | 'medium' | 'high';

/** Day/night switching: `on` forces night (IR) mode, `off` forces day mode. */
export type NightVisionState = 'auto' | 'on' | 'off';

/** Identity of a camera (`getDeviceInfo` basic_info). */
export interface CameraDeviceInfo {
  /** Model, e.g. `C210`. */
  model: string;
  /** Firmware version string. */
  firmware: string;
  /** Hardware version. */
  hardware: string;
  /** User-visible name. */
  nickname: string;
  /** MAC address. */
  mac: string;
  /** 40-hex device id. */
  deviceId: string;
  /** Device type, e.g. `SMART.IPCAMERA`. */
  type: string;
}

/** Motion detection settings. */
export interface MotionDetection {
  /** Detection on or off. */
  enabled: boolean;
  /** Sensitivity in words. */
  sensitivity: Sensitivity;
  /** Fine sensitivity 0–100, when the camera reports it. */
  digitalSensitivity?: number;
}

/** Person detection settings. */
export interface PersonDetection {
  /** Detection on or off. */
  enabled: boolean;
  /** Sensitivity in words (from the camera's 0–100 value), when reported. */
  sensitivity?: Sensitivity;
  /** The camera's 0–100 value, when reported. */
  digitalSensitivity?: number;
}

/** Night vision. */
export interface NightVision {
  /** Day/night switching. */
  state: NightVisionState;
  /** Night vision style on cameras with `night_vision_mode`: `infrared`, `whiteLight`, `smart` (or the camera's word). */
  mode?: string;
}

/** Alarm (siren and light) configuration. */
export interface AlarmConfig {
  /** Alarm on detection enabled. */
  enabled: boolean;
  /** True while the alarm sounds, when the camera reports it. */
  active?: boolean;
  /** What the alarm uses: `sound`, `light` (or `siren` on hub children). */
  modes: string[];
  /** Volume word (`low`, `normal`, `high`), when reported. */
  volume?: string;
  /** Alarm duration in seconds (0 = the camera's default), when reported. */
  duration?: number;
}

/** Settings accepted by {@link Camera.setAlarmConfig}. */
export interface AlarmConfigUpdate {
  /** Alarm on detection enabled. */
  enabled?: boolean;
  /** `sound` and/or `light`. */
  modes?: string[];
  /** `low`, `normal` or `high`. */
  volume?: 'low' | 'normal' | 'high';
  /** Seconds. */
  duration?: number;
}

/** A pan/tilt preset. */
export interface CameraPreset {
  /** The camera's id string, e.g. `"1"`. */
  id: string;
  /** Preset name. */
  name: string;
}

/** SD card state (first disk). */
export interface SdCardStatus {
  /** `normal`, `offline`, `unformatted`, … as the camera reports it. */
  status: string;
  /** Total space as the camera writes it, e.g. `"29.7G"`. */
  totalSpace?: string;
  /** Free space as the camera writes it. */
  freeSpace?: string;
  /** Percent used, when reported. */
  percent?: number;
  /** Recording duration in seconds, when reported. */
  recordDuration?: number;
  /** True when the card is write protected. */
  writeProtected?: boolean;
}

/** Camera clock. */
export interface CameraTime {
  /** Epoch seconds. */
  timestamp: number;
  /** Camera-local time `YYYY-MM-DD HH:MM:SS`. */
  localTime: string;
  /** Offset text, e.g. `UTC+01:00`. */
  timezone?: string;
  /** IANA zone, e.g. `Europe/London`. */
  zoneId?: string;
}

/** The value type of each named setting. */
export interface CameraSettingValues {
  /** Identity. */
  deviceInfo: CameraDeviceInfo;
  /** Lens mask on (true = camera sees nothing). */
  privacyMode: boolean;
  /** Status LED on. */
  led: boolean;
  /** Motion detection. */
  motionDetection: MotionDetection;
  /** Person detection. */
  personDetection: PersonDetection;
  /** Night vision. */
  nightVision: NightVision;
  /** Alarm configuration. */
  alarm: AlarmConfig;
  /** Pan/tilt presets. */
  presets: CameraPreset[];
  /** SD card. */
  sdCard: SdCardStatus;
  /** Clock. */
  time: CameraTime;
}

/** One change {@link Camera.apply} performs (built by `parseCameraActions`). */
export type CameraAction =
  | { type: 'privacyMode'; enabled: boolean }
  | { type: 'led'; enabled: boolean }
  | { type: 'motionDetection'; enabled?: boolean; sensitivity?: Sensitivity }
  | { type: 'personDetection'; enabled?: boolean; sensitivity?: Sensitivity }
  | { type: 'nightVision'; state: NightVisionState }
  | { type: 'alarmConfig'; config: AlarmConfigUpdate }
  | { type: 'alarm'; action: 'start' | 'stop' }
  | { type: 'move'; x: number; y: number }
  | { type: 'step'; direction: number }
  | { type: 'gotoPreset'; preset: string }
  | { type: 'savePreset'; name: string }
  | { type: 'deletePreset'; preset: string }
  | { type: 'reboot' }
  | { type: 'raw'; request: JsonObject };

/** What {@link Camera.apply} resolves with: the affected settings re-read after the change, and raw replies. */
export type CameraApplyResult = Partial<CameraSettingValues> & {
  /** Replies of `raw` actions, in order. */
  raw?: JsonObject[];
  /**
   * The changes carried out, in order, by the names `msg.payload` uses (`"move"`, `"preset"`,
   * `"alarm"` ...), so that actions with nothing to read back (moves, the siren) still say what was done.
   */
  done: string[];
};

/** The payload name of an action, as `parseCameraActions` reads it. */
function actionName(action: CameraAction): string {
  switch (action.type) {
    case 'alarmConfig':
      return 'alarm';
    case 'gotoPreset':
      return 'preset';
    default:
      return action.type;
  }
}

/** How the alarm verbs ({@link Camera.startAlarm}, {@link Camera.stopAlarm}, {@link Camera.setAlarmConfig}) reach the camera. */
export type AlarmStyle = 'auto' | 'do' | 'named';

/** What a connection learns about a camera once and keeps for its lifetime. */
export interface CameraFacts {
  /** The alarm form the camera took ({@link AlarmStyle}); undefined until the first alarm verb. */
  alarmStyle?: 'do' | 'named';
  /** The day/night method the camera took; undefined until the first night vision change. */
  nightVisionMethod?: 'setDayNightModeConfig' | 'setLightFrequencyInfo';
}

/** Options of a {@link Camera}. */
export interface CameraOptions {
  /** Most sub-requests per `multipleRequest` (default 10, at least 1; camera.md §9: 5–10). */
  batchSize?: number;
  /** What the connection learnt about the camera; shared by every Camera made for it. */
  facts?: CameraFacts;
  /**
   * `do` sends the style-B requests the catalogue gives for cameras (`do` `manual_msg_alarm`, `set`
   * `chn1_msg_alarm_info`); `named` sends the named forms documented for cameras behind a hub
   * (`setSirenStatus`, `setAlarmConfig`); `auto` (default) tries style B and falls back to the named
   * form when the camera refuses the format (TPAP cameras always do).
   */
  alarmStyle?: AlarmStyle;
}

/** One named method inside a `multipleRequest`. */
interface NamedRequest {
  method: string;
  params: JsonObject;
  /** A failure leaves the result undefined instead of throwing (extra detail some models lack). */
  optional?: boolean;
  /**
   * A refusal of kind `Unsupported` (the camera does not know the method: a model without that
   * hardware) leaves the result undefined; any other failure still throws.
   */
  unsupportedIsEmpty?: boolean;
}

/** Codes a camera gives for a method or format it does not know (errors.md §3). */
const FORMAT_REFUSALS = new Set([-40105, -40106, -40209, -40210]);

/** Numbers pytapo uses for the sensitivity words (methods-camera.md §4). */
const SENSITIVITY_NUMBER: Record<Sensitivity, string> = { low: '20', medium: '50', high: '80' };

const NIGHT_VISION_MODES: Record<string, string> = {
  inf_night_vision: 'infrared',
  wtl_night_vision: 'whiteLight',
  md_night_vision: 'smart',
};

/** The named reads behind each setting. */
const READS: Record<CameraSetting, NamedRequest[]> = {
  deviceInfo: [{ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } }],
  privacyMode: [{ method: 'getLensMaskConfig', params: { lens_mask: { name: ['lens_mask_info'] } } }],
  led: [{ method: 'getLedStatus', params: { led: { name: ['config'] } } }],
  motionDetection: [{ method: 'getDetectionConfig', params: { motion_detection: { name: ['motion_det'] } } }],
  personDetection: [{ method: 'getPersonDetectionConfig', params: { people_detection: { name: ['detection'] } } }],
  nightVision: [
    { method: 'getLightFrequencyInfo', params: { image: { name: 'common' } } },
    { method: 'getNightVisionModeConfig', params: { image: { name: ['switch'] } }, optional: true },
  ],
  // pytapo's read of the alarm configuration (methods-camera.md §4); getAlertConfig would also
  // fetch the capability and the user audio table, which the value does not use.
  alarm: [{ method: 'getLastAlarmInfo', params: { msg_alarm: { name: ['chn1_msg_alarm_info'] } } }],
  presets: [{ method: 'getPresetConfig', params: { preset: { name: ['preset'] } }, unsupportedIsEmpty: true }],
  sdCard: [{ method: 'getSdCardStatus', params: { harddisk_manage: { table: ['hd_info'] } } }],
  time: [
    { method: 'getClockStatus', params: { system: { name: 'clock_status' } } },
    { method: 'getTimezone', params: { system: { name: ['basic'] } }, optional: true },
  ],
};

function onOff(v: boolean): string {
  return v ? 'on' : 'off';
}

function sensitivityWord(v: JsonValue | undefined): Sensitivity | undefined {
  if (v === 'low' || v === 'medium' || v === 'high') return v;
  if (v === 'normal') return 'medium';
  const n = num(v);
  if (n === undefined) return undefined;
  return n < 35 ? 'low' : n < 65 ? 'medium' : 'high';
}

function required<T>(v: T | undefined, context: string, what: string): T {
  if (v === undefined) throw malformed(context, what);
  return v;
}

/** Turns the replies of one setting's reads into its plain value. */
function decodeSetting<K extends CameraSetting>(name: K, results: (JsonObject | undefined)[]): CameraSettingValues[K] {
  const [first, second] = results;
  const r = first ?? {};
  const decoded = ((): CameraSettingValues[CameraSetting] => {
    switch (name) {
      case 'deviceInfo': {
        const b = obj(obj(r.device_info).basic_info);
        return {
          model: required(str(b.device_model), 'getDeviceInfo', 'device_model'),
          firmware: str(b.sw_version) ?? '',
          hardware: str(b.hw_version) ?? '',
          nickname: str(b.device_alias) ?? str(b.device_name) ?? '',
          mac: str(b.mac) ?? '',
          deviceId: str(b.dev_id) ?? '',
          type: str(b.device_type) ?? '',
        };
      }
      case 'privacyMode':
        return required(bool(obj(obj(r.lens_mask).lens_mask_info).enabled), 'getLensMaskConfig', 'enabled');
      case 'led':
        return required(bool(obj(obj(r.led).config).enabled), 'getLedStatus', 'enabled');
      case 'motionDetection': {
        const m = obj(obj(r.motion_detection).motion_det);
        const out: MotionDetection = {
          enabled: required(bool(m.enabled), 'getDetectionConfig', 'enabled'),
          sensitivity: sensitivityWord(m.sensitivity) ?? sensitivityWord(m.digital_sensitivity) ?? 'medium',
        };
        const digital = num(m.digital_sensitivity);
        if (digital !== undefined) out.digitalSensitivity = digital;
        return out;
      }
      case 'personDetection': {
        const p = obj(obj(r.people_detection).detection);
        const out: PersonDetection = { enabled: required(bool(p.enabled), 'getPersonDetectionConfig', 'enabled') };
        const word = sensitivityWord(p.sensitivity);
        if (word !== undefined) out.sensitivity = word;
        const digital = num(p.sensitivity);
        if (digital !== undefined) out.digitalSensitivity = digital;
        return out;
      }
      case 'nightVision': {
        const state = str(obj(obj(r.image).common).inf_type);
        if (state !== 'auto' && state !== 'on' && state !== 'off') throw malformed('getLightFrequencyInfo', 'inf_type');
        const out: NightVision = { state };
        const mode = str(obj(obj(second?.image).switch).night_vision_mode);
        if (mode !== undefined) out.mode = NIGHT_VISION_MODES[mode] ?? mode;
        return out;
      }
      case 'alarm': {
        const a = obj(r.msg_alarm).chn1_msg_alarm_info;
        if (!isObject(a)) {
          throw new TapoError('Unsupported', 'getLastAlarmInfo: this camera reports no alarm configuration (msg_alarm.chn1_msg_alarm_info).');
        }
        const out: AlarmConfig = {
          enabled: required(bool(a.enabled), 'getLastAlarmInfo', 'enabled'),
          modes: arr(a.alarm_mode).filter((m): m is string => typeof m === 'string'),
        };
        const active = bool(a.status);
        if (active !== undefined) out.active = active;
        const volume = str(a.alarm_volume);
        if (volume !== undefined) out.volume = volume;
        const duration = num(a.alarm_duration);
        if (duration !== undefined) out.duration = duration;
        return out;
      }
      case 'presets':
        // undefined: the camera does not know getPresetConfig (no pan/tilt), so it has no presets.
        return first === undefined ? [] : decodePresets(first);
      case 'sdCard': {
        const disks = arr(obj(r.harddisk_manage).hd_info);
        const firstDisk = obj(disks[0]);
        const d = obj(firstDisk[Object.keys(firstDisk)[0] ?? '']);
        const out: SdCardStatus = { status: required(str(d.status), 'getSdCardStatus', 'status') };
        const total = str(d.total_space);
        if (total !== undefined) out.totalSpace = total;
        const free = str(d.free_space);
        if (free !== undefined) out.freeSpace = free;
        const percent = num(d.percent);
        if (percent !== undefined) out.percent = percent;
        const duration = num(d.record_duration);
        if (duration !== undefined) out.recordDuration = duration;
        const wp = bool(d.write_protect);
        if (wp !== undefined) out.writeProtected = wp;
        return out;
      }
      case 'time': {
        const c = obj(obj(r.system).clock_status);
        const out: CameraTime = {
          timestamp: required(num(c.seconds_from_1970), 'getClockStatus', 'seconds_from_1970'),
          localTime: str(c.local_time) ?? '',
        };
        const basic = obj(obj(second?.system).basic);
        const tz = str(basic.timezone);
        if (tz !== undefined) out.timezone = tz;
        const zone = str(basic.zone_id);
        if (zone !== undefined) out.zoneId = zone;
        return out;
      }
    }
    throw new TapoError('Input', `Unknown camera setting ${String(name)}.`);
  })();
  return decoded as CameraSettingValues[K];
}

function decodePresets(r: JsonObject): CameraPreset[] {
  const p = obj(obj(r.preset).preset);
  const ids = arr(p.id);
  const names = arr(p.name);
  return ids.map((id, i) => ({ id: str(id) ?? '', name: str(names[i]) ?? '' }));
}

/** The reads behind some settings, in one list, and where each setting's replies are. */
interface ReadPlan<K extends CameraSetting> {
  requests: NamedRequest[];
  spans: [K, number, number][];
}

/** Plans the reads of `names` (unknown names refused with an Input error before anything is sent). */
function readPlan<K extends CameraSetting>(names: readonly K[]): ReadPlan<K> {
  const unique = [...new Set(names)];
  for (const n of unique) {
    if (!(CAMERA_SETTINGS as readonly string[]).includes(n)) {
      throw new TapoError('Input', `Unknown camera setting "${String(n)}"; known: ${CAMERA_SETTINGS.join(', ')}.`, { sent: false });
    }
  }
  const requests: NamedRequest[] = [];
  const spans: [K, number, number][] = [];
  for (const n of unique) {
    spans.push([n, requests.length, READS[n].length]);
    requests.push(...READS[n]);
  }
  return { requests, spans };
}

/** Decodes the replies of a {@link readPlan} into plain values keyed by name. */
function decodeRead<K extends CameraSetting>(plan: ReadPlan<K>, results: readonly (JsonObject | undefined)[]): Pick<CameraSettingValues, K> {
  const out: Partial<CameraSettingValues> = {};
  for (const [n, at, count] of plan.spans) {
    (out as Record<K, CameraSettingValues[K]>)[n] = decodeSetting(n, results.slice(at, at + count));
  }
  return out as Pick<CameraSettingValues, K>;
}

/** The alarm configuration section both alarm forms send (an Input error when empty). */
function alarmSection(update: AlarmConfigUpdate): JsonObject {
  const section: JsonObject = {};
  if (update.enabled !== undefined) section.enabled = onOff(update.enabled);
  if (update.modes !== undefined) section.alarm_mode = [...update.modes];
  if (update.volume !== undefined) section.alarm_volume = update.volume;
  if (update.duration !== undefined) section.alarm_duration = update.duration;
  if (Object.keys(section).length === 0) throw new TapoError('Input', 'The alarm configuration needs at least one field.', { sent: false });
  return section;
}

/** The settings an action changes (re-read by {@link Camera.apply}). */
function affected(action: CameraAction): CameraSetting | undefined {
  switch (action.type) {
    case 'privacyMode':
    case 'led':
    case 'motionDetection':
    case 'personDetection':
    case 'nightVision':
      return action.type;
    case 'alarmConfig':
      return 'alarm';
    case 'savePreset':
    case 'deletePreset':
      return 'presets';
    default:
      return undefined;
  }
}

/** A camera reached through a {@link Requester}. */
export class Camera {
  /** What the connection learnt about the camera. */
  readonly facts: CameraFacts;
  private readonly requester: Requester;
  private readonly batchSize: number;
  private readonly alarmStyle: AlarmStyle;

  constructor(requester: Requester, options: CameraOptions = {}) {
    this.requester = requester;
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 10));
    this.alarmStyle = options.alarmStyle ?? 'auto';
    this.facts = options.facts ?? {};
  }

  /**
   * Reads named settings in one `multipleRequest` (split only above the batch size) and returns
   * plain values keyed by name.
   */
  async read<K extends CameraSetting>(names: readonly K[]): Promise<Pick<CameraSettingValues, K>> {
    const plan = readPlan(names);
    const results = await this.batch(plan.requests, true);
    return decodeRead(plan, results);
  }

  /** Sends one named method (in a one-entry `multipleRequest`) and returns its checked result. */
  async callMethod(method: string, params: JsonObject = {}, idempotent: boolean = isReadMethod(method)): Promise<JsonObject> {
    const [result] = await this.batch([{ method, params }], idempotent);
    return result ?? {};
  }

  /**
   * Sends `request` as it is (a `multipleRequest` or a style-B `get`/`set`/`do` object) and resolves
   * with the reply. A top-level failure is thrown; entries of a `multipleRequest` are left to the caller.
   */
  async raw(request: JsonObject): Promise<JsonObject> {
    const method = str(request.method) ?? '';
    if (method === '') throw new TapoError('Input', 'A raw camera request needs a "method" string.', { sent: false });
    const reply = await this.requester.request(request, { idempotent: isReadRequest(request) });
    checkReply('camera', reply, method);
    return reply;
  }

  /** Turns privacy mode (lens mask) on or off. */
  async setPrivacyMode(enabled: boolean): Promise<void> {
    await this.write({ type: 'privacyMode', enabled });
  }

  /** Turns the status LED on or off. */
  async setLed(enabled: boolean): Promise<void> {
    await this.write({ type: 'led', enabled });
  }

  /** Changes motion detection; the sensitivity word is sent with pytapo's matching 0–100 value. */
  async setMotionDetection(update: { enabled?: boolean; sensitivity?: Sensitivity }): Promise<void> {
    await this.write({ type: 'motionDetection', ...update });
  }

  /** Changes person detection (sensitivity goes on the wire as "20"/"50"/"80"). */
  async setPersonDetection(update: { enabled?: boolean; sensitivity?: Sensitivity }): Promise<void> {
    await this.write({ type: 'personDetection', ...update });
  }

  /**
   * Sets day/night switching. `setDayNightModeConfig` is the current name; firmware that refuses it
   * gets the same params under `setLightFrequencyInfo` (the name pytapo used before July 2026).
   * The name the camera took is remembered for the connection.
   */
  async setNightVision(state: NightVisionState): Promise<void> {
    const known = this.facts.nightVisionMethod;
    const params: JsonObject = { image: { common: { inf_type: state } } };
    if (known !== undefined) {
      await this.callMethod(known, params, true);
      return;
    }
    try {
      await this.callMethod('setDayNightModeConfig', params, true);
      this.facts.nightVisionMethod = 'setDayNightModeConfig';
    } catch (e) {
      if (!isFormatRefusal(e)) throw e;
      await this.callMethod('setLightFrequencyInfo', params, true);
      this.facts.nightVisionMethod = 'setLightFrequencyInfo';
    }
  }

  /** Starts the siren/light alarm now. */
  async startAlarm(): Promise<void> {
    await this.manualAlarm('start');
  }

  /** Stops the alarm. */
  async stopAlarm(): Promise<void> {
    await this.manualAlarm('stop');
  }

  /**
   * Changes the alarm configuration: style-B `set` on `msg_alarm.chn1_msg_alarm_info` (the
   * catalogue's form for cameras), or the named `setAlarmConfig` with the same fields directly
   * under `msg_alarm` (the form documented for cameras behind a hub), per {@link CameraOptions.alarmStyle}.
   * Both set absolute values, so both may be replayed.
   */
  async setAlarmConfig(update: AlarmConfigUpdate): Promise<void> {
    const section = alarmSection(update);
    await this.styleBOrNamed(
      () => this.styleB({ method: 'set', msg_alarm: { chn1_msg_alarm_info: section } }, true),
      () => this.callMethod('setAlarmConfig', { msg_alarm: section }, true),
    );
  }

  /** Moves the lens by relative steps (pan `x`, tilt `y`). Not replayed: a second move would add up. */
  async move(x: number, y: number): Promise<void> {
    await this.write({ type: 'move', x, y });
  }

  /** Moves one step towards `directionDeg` (0 ≤ angle < 360). */
  async step(directionDeg: number): Promise<void> {
    await this.write({ type: 'step', direction: directionDeg });
  }

  /** The pan/tilt presets. */
  async getPresets(): Promise<CameraPreset[]> {
    return (await this.read(['presets'])).presets;
  }

  /** Moves to a preset, by id or name. */
  async gotoPreset(idOrName: string): Promise<void> {
    const preset = await this.findPreset(idOrName);
    await this.callMethod('motorMoveToPreset', { preset: { goto_preset: { id: preset.id } } }, true);
  }

  /** Saves the current position as a preset and resolves with the presets afterwards (one round trip). */
  async savePreset(name: string): Promise<CameraPreset[]> {
    return (await this.apply([{ type: 'savePreset', name }])).presets ?? [];
  }

  /**
   * Deletes a preset, by id or name. Not replayed: after a lost reply the preset may already be
   * gone, and a replay would report "preset not found" (-64302) for a delete that worked.
   */
  async deletePreset(idOrName: string): Promise<void> {
    const preset = await this.findPreset(idOrName);
    await this.callMethod('deletePreset', { preset: { remove_preset: { id: [preset.id] } } }, false);
  }

  /** Restarts the camera. */
  async reboot(): Promise<void> {
    await this.write({ type: 'reboot' });
  }

  /** SD card state. */
  async getSdCard(): Promise<SdCardStatus> {
    return (await this.read(['sdCard'])).sdCard;
  }

  /** Camera clock and time zone. */
  async getTime(): Promise<CameraTime> {
    return (await this.read(['time'])).time;
  }

  /**
   * Performs `actions` in order, then re-reads the settings they changed, and resolves with what
   * the camera reports. Changes that have a named method travel together with the read-back in one
   * `multipleRequest` (split only above the batch size); a change that needs a request of its own
   * (a preset found by name, a style-B alarm, a raw request) is sent in its turn between them.
   * Nothing is re-read after a reboot (the camera is going down).
   */
  async apply(actions: readonly CameraAction[]): Promise<CameraApplyResult> {
    const touched = new Set<CameraSetting>();
    const raw: JsonObject[] = [];
    let rebooted = false;
    let writes: NamedRequest[] = [];
    let replayable = true;
    const flush = async (): Promise<void> => {
      if (writes.length > 0) await this.batch(writes, replayable);
      writes = [];
      replayable = true;
    };
    for (const action of actions) {
      const setting = affected(action);
      if (setting) touched.add(setting);
      if (action.type === 'reboot') rebooted = true;
      const named = this.namedWrite(action);
      if (named) {
        writes.push(named.request);
        replayable &&= named.idempotent;
        continue;
      }
      await flush();
      const reply = await this.perform(action);
      if (reply) raw.push(reply);
    }
    let readBack: Partial<CameraSettingValues> = {};
    if (rebooted || touched.size === 0) {
      await flush();
    } else {
      const plan = readPlan([...touched]);
      const results = await this.batch([...writes, ...plan.requests], replayable);
      readBack = decodeRead(plan, results.slice(writes.length));
    }
    const result: CameraApplyResult = { ...readBack, done: actions.map(actionName) };
    if (raw.length > 0) result.raw = raw;
    return result;
  }

  /** Sends one change that has a named method (see {@link Camera.namedWrite}). */
  private async write(action: CameraAction): Promise<void> {
    const named = this.namedWrite(action);
    if (!named) throw new TapoError('Input', `internal: ${action.type} has no named method`, { sent: false });
    await this.batch([named.request], named.idempotent);
  }

  /**
   * The named method of a change, when it has one that can travel in a batch; undefined for a change
   * that needs a request of its own (a preset found by name first, a raw request) or whose form is
   * not yet known for this camera (the alarm's style-B or named form, the day/night method name).
   */
  private namedWrite(action: CameraAction): { request: NamedRequest; idempotent: boolean } | undefined {
    const set = (method: string, params: JsonObject): { request: NamedRequest; idempotent: boolean } => ({ request: { method, params }, idempotent: true });
    switch (action.type) {
      case 'privacyMode':
        return set('setLensMaskConfig', { lens_mask: { lens_mask_info: { enabled: onOff(action.enabled) } } });
      case 'led':
        return set('setLedStatus', { led: { config: { enabled: onOff(action.enabled) } } });
      case 'motionDetection': {
        const section: JsonObject = {};
        if (action.enabled !== undefined) section.enabled = onOff(action.enabled);
        if (action.sensitivity !== undefined) {
          section.sensitivity = action.sensitivity;
          section.digital_sensitivity = SENSITIVITY_NUMBER[action.sensitivity];
        }
        if (Object.keys(section).length === 0) throw new TapoError('Input', 'Motion detection needs enabled and/or sensitivity.', { sent: false });
        return set('setDetectionConfig', { motion_detection: { motion_det: section } });
      }
      case 'personDetection': {
        const section: JsonObject = {};
        if (action.enabled !== undefined) section.enabled = onOff(action.enabled);
        if (action.sensitivity !== undefined) section.sensitivity = SENSITIVITY_NUMBER[action.sensitivity];
        if (Object.keys(section).length === 0) throw new TapoError('Input', 'Person detection needs enabled and/or sensitivity.', { sent: false });
        return set('setPersonDetectionConfig', { people_detection: { detection: section } });
      }
      case 'nightVision': {
        const method = this.facts.nightVisionMethod;
        return method === undefined ? undefined : set(method, { image: { common: { inf_type: action.state } } });
      }
      case 'alarmConfig':
        return this.effectiveAlarmStyle() === 'named' ? set('setAlarmConfig', { msg_alarm: alarmSection(action.config) }) : undefined;
      case 'alarm':
        return this.effectiveAlarmStyle() === 'named' ? set('setSirenStatus', { msg_alarm: { status: action.action === 'start' ? 'on' : 'off' } }) : undefined;
      case 'move':
        return { request: { method: 'motorMove', params: { motor: { move: { x_coord: String(action.x), y_coord: String(action.y) } } } }, idempotent: false };
      case 'step':
        return { request: { method: 'relativeMove', params: { motor: { movestep: { direction: String(action.direction) } } } }, idempotent: false };
      case 'savePreset':
        return { request: { method: 'addMotorPostion', params: { preset: { set_preset: { name: action.name, save_ptz: '1' } } } }, idempotent: false };
      case 'reboot':
        return { request: { method: 'rebootDevice', params: { system: { reboot: 'null' } } }, idempotent: false };
      default:
        return undefined;
    }
  }

  /** A change sent in its own turn (it has no batchable named form, or its form is still being learnt). */
  private async perform(action: CameraAction): Promise<JsonObject | undefined> {
    switch (action.type) {
      case 'nightVision':
        await this.setNightVision(action.state);
        return undefined;
      case 'alarmConfig':
        await this.setAlarmConfig(action.config);
        return undefined;
      case 'alarm':
        await this.manualAlarm(action.action);
        return undefined;
      case 'gotoPreset':
        await this.gotoPreset(action.preset);
        return undefined;
      case 'deletePreset':
        await this.deletePreset(action.preset);
        return undefined;
      case 'raw':
        return this.raw(action.request);
      default:
        await this.write(action);
        return undefined;
    }
  }

  /**
   * Siren on/off. methods-camera.md §4 gives the style-B `do` on `manual_msg_alarm` for cameras and
   * `setSirenStatus` `{"msg_alarm":{"status":"on"}}` for cameras reached through a hub; TPAP
   * firmware accepts `multipleRequest` only. Start and stop are absolute, so both may be replayed.
   */
  private async manualAlarm(action: 'start' | 'stop'): Promise<void> {
    await this.styleBOrNamed(
      () => this.styleB({ method: 'do', msg_alarm: { manual_msg_alarm: { action } } }, true),
      () => this.callMethod('setSirenStatus', { msg_alarm: { status: action === 'start' ? 'on' : 'off' } }, true),
    );
  }

  /** The alarm form to use now: the configured one, else the one this camera took, else undefined (try style B). */
  private effectiveAlarmStyle(): 'do' | 'named' | undefined {
    return this.alarmStyle === 'auto' ? this.facts.alarmStyle : this.alarmStyle;
  }

  /**
   * Runs the style-B form, or the named form, per `alarmStyle`. In `auto` a style-B refusal as a
   * format or method the camera does not know ({@link FORMAT_REFUSALS}) sends the named form; any
   * other failure is thrown as it is. The form that worked is remembered for the connection.
   */
  private async styleBOrNamed(styleB: () => Promise<JsonObject>, named: () => Promise<JsonObject>): Promise<void> {
    const style = this.effectiveAlarmStyle();
    if (style === 'named') {
      await named();
      return;
    }
    if (style === 'do') {
      await styleB();
      return;
    }
    try {
      await styleB();
      this.facts.alarmStyle = 'do';
    } catch (e) {
      if (!isFormatRefusal(e)) throw e;
      await named();
      this.facts.alarmStyle = 'named';
    }
  }

  private async styleB(request: JsonObject, idempotent: boolean): Promise<JsonObject> {
    const reply = await this.requester.request(request, { idempotent });
    checkReply('camera', reply, `${str(request.method) ?? ''} ${Object.keys(request).filter((k) => k !== 'method').join(',')}`);
    return reply;
  }

  private async findPreset(idOrName: string): Promise<CameraPreset> {
    const key = String(idOrName).trim();
    const presets = await this.getPresets();
    const found = presets.find((p) => p.id === key) ?? presets.find((p) => p.name === key);
    if (!found) {
      const known = presets.map((p) => `${p.id} (${p.name})`).join(', ') || 'none';
      // Found missing here, before anything was sent: an Input error of ours, not a device code.
      throw new TapoError('Input', `No preset "${key}" on this camera; presets: ${known}.`);
    }
    return found;
  }

  /**
   * Sends named methods in batches of at most `batchSize` and returns their results in order.
   * Entries a batch left unanswered (the camera stops at the first failure) go out again in the
   * next batch; a failed required entry throws, a failed optional one yields undefined.
   */
  private async batch(requests: readonly NamedRequest[], idempotent: boolean): Promise<(JsonObject | undefined)[]> {
    const results: (JsonObject | undefined)[] = new Array<JsonObject | undefined>(requests.length).fill(undefined);
    let pending = requests.map((_, i) => i);
    while (pending.length > 0) {
      const chunk = pending.slice(0, this.batchSize);
      const reply = await this.requester.request(
        {
          method: 'multipleRequest',
          params: { requests: chunk.map((i) => ({ method: requests[i]!.method, params: requests[i]!.params })) },
        },
        { idempotent },
      );
      const responses = arr(checkReply('camera', reply, 'multipleRequest').responses);
      const answered = new Set<number>();
      let failure: TapoError | undefined;
      chunk.forEach((index, pos) => {
        const req = requests[index]!;
        const resp = responseFor(responses, pos, req.method);
        if (!resp || failure) return;
        answered.add(index);
        const error = replyFailure('camera', resp, req.method);
        if (error === undefined) {
          results[index] = obj(resp.result);
          return;
        }
        if (req.optional || (req.unsupportedIsEmpty && error.kind === 'Unsupported')) return;
        failure = error;
      });
      if (failure) throw failure;
      if (answered.size === 0) {
        throw new TapoError('Device', `multipleRequest: the camera answered none of ${chunk.map((i) => requests[i]!.method).join(', ')}.`);
      }
      pending = pending.filter((i) => !answered.has(i));
    }
    return results;
  }
}


function isFormatRefusal(e: unknown): boolean {
  return e instanceof TapoError && e.code !== undefined && FORMAT_REFUSALS.has(e.code);
}
