/**
 * The camera settings, one row each: the named reads behind the setting (camera.md §9 style A,
 * ../shared/protocol/methods-camera.md), the decoder of their replies into a plain value, and for
 * the settings `tapo-camera-do` changes, the parser of the user's value (its payload key is the
 * setting's name) and the writer of the change. {@link Camera.read}, {@link Camera.apply} and the
 * payload parsers (parse.ts) go through this table only, and the setting names, value types and
 * change types are derived from it: a new setting is a new row.
 *
 * A writer sends a change as a named method that travels in a batch, or says it needs a request of
 * its own when the form is learnt per connection ({@link KnownForms}): the day/night method name, and
 * the alarm's style-B or named form.
 */
import { TapoError } from '../protocol/errors';
import type { JsonObject, JsonValue } from '../protocol/types';
import type { Camera, CameraFacts } from './camera';
import { arr, bool, isObject, malformed, num, obj, str } from './check';
import { checkKeys, describeValue, inputError, isPlainObject, numberValue } from './input';

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

/** The last detection a camera recorded. */
export interface LastAlarm {
  /** When, in epoch seconds (0: none yet). */
  time: number;
  /** What, in the camera's word (`motion` …; "" when none). */
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

/** How the camera is connected (`getConnectionType`). */
export interface CameraConnection {
  /** `wifi` or `ethernet`, as the camera says. */
  linkType: string;
  /** Wi-Fi network name, decoded from the camera's base64 (Wi-Fi only). */
  ssid?: string;
  /** Signal level in bars as the camera reports it (`rssi`, 0–4; Wi-Fi only). */
  rssi?: number;
  /** Received signal strength in dBm (`rssiValue`; Wi-Fi only). */
  signalDbm?: number;
}

/** The camera's IP settings (`getDeviceIpAddress`, section `network.wan`). */
export interface CameraWan {
  /** IPv4 address (`ipaddr`). */
  ip: string;
  /** Netmask, when reported. */
  netmask?: string;
  /** Default gateway, when reported. */
  gateway?: string;
  /** DNS servers reported (empty or `0.0.0.0` entries left out). */
  dns: string[];
  /** True when the address comes from DHCP (`proto` "dhcp"), false for a static address; absent when not reported. */
  dhcp?: boolean;
}

/** One video stream's encoder settings (`getVideoQualities`). */
export interface VideoStreamQuality {
  /** Resolution as the camera writes it, `"1920*1080"`. */
  resolution: string;
  /** Width in pixels. */
  width?: number;
  /** Height in pixels. */
  height?: number;
  /** Bitrate in kbit/s. */
  bitrate?: number;
  /** `vbr` or `cbr`. */
  bitrateType?: string;
  /** Frames per second (the low 16 bits of the camera's `frame_rate`, e.g. 65551 → 15). */
  frameRate?: number;
  /** `H264` or `H265`. */
  encoding?: string;
  /** The camera's quality step (`"1"`, `"3"`, `"5"`) as a number. */
  quality?: number;
}

/** The encoder settings of each stream: stream1 = `main` (HD), stream2 = `minor` (SD) when the camera reports it. */
export interface VideoQuality {
  stream1: VideoStreamQuality;
  stream2?: VideoStreamQuality;
}

/** One entry of the camera's component list: what it supports, and in which version. */
export interface CameraComponent {
  name: string;
  version: number;
}

/** The settings' rows that only some cameras have: the error a decoder throws when the read came back empty. */
function unsupportedSetting(setting: string, method: string): TapoError {
  return new TapoError('Unsupported', 'cameraSettingUnsupported', { params: { setting, method }, hint: 'cameraSettingAll' });
}

/** The reply of a read flagged `unsupportedIsEmpty`, or the Unsupported error of its setting. */
function featureReply(r: JsonObject | undefined, setting: string, method: string): JsonObject {
  if (r === undefined) throw unsupportedSetting(setting, method);
  return r;
}

function decodeStream(s: JsonObject): VideoStreamQuality {
  const out: VideoStreamQuality = { resolution: required(str(s.resolution), 'getVideoQualities', 'resolution') };
  const m = /^(\d+)\*(\d+)$/.exec(out.resolution);
  if (m) {
    out.width = Number(m[1]);
    out.height = Number(m[2]);
  }
  const bitrate = num(s.bitrate);
  if (bitrate !== undefined) out.bitrate = bitrate;
  const bitrateType = str(s.bitrate_type);
  if (bitrateType !== undefined) out.bitrateType = bitrateType;
  // The capability lists of the fixtures give 65537, 65546, 65551 … 65566: 0x10000 + fps
  // (1, 10, 15 … 30 fps) [inference from shared/fixtures/smartcam getVideoCapability].
  const rate = num(s.frame_rate);
  if (rate !== undefined) out.frameRate = rate > 0xffff ? rate & 0xffff : rate;
  const encoding = str(s.encode_type);
  if (encoding !== undefined) out.encoding = encoding;
  const quality = num(s.quality);
  if (quality !== undefined) out.quality = quality;
  return out;
}

/** Base64 text → UTF-8 (the SSID of getConnectionType); the text itself when it is not base64. */
function fromBase64(v: string): string {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0 ? Buffer.from(v, 'base64').toString('utf8') : v;
}

/** One named method inside a `multipleRequest`. */
export interface NamedRequest {
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

/** A change as a named method that can travel in a batch, and whether a lost reply may be replayed. */
export interface NamedWrite {
  request: NamedRequest;
  idempotent: boolean;
}

/** A change that needs a request of its own, sent in its turn by the camera's verb for it. */
export interface OwnRequest {
  ownRequest(camera: Camera): Promise<void>;
}

/** The forms a connection has learnt about a camera ({@link CameraFacts}), as a writer needs them. */
export interface KnownForms {
  /** The day/night method the camera took; undefined until the first night vision change. */
  readonly nightVisionMethod: CameraFacts['nightVisionMethod'];
  /** The alarm form to use: the configured one, else the one the camera took, else undefined. */
  readonly alarmStyle: CameraFacts['alarmStyle'];
}

/** The replies of a setting's reads, in order; undefined for an optional read that failed. */
type Replies = readonly (JsonObject | undefined)[];

/**
 * Where the changes of a setting run among the actions of one payload object (see
 * `parseCameraActions`): with the settings, before the motion (preset, move, step) and the preset
 * edits; or after them.
 */
export type ChangePhase = 'settings' | 'afterMotion';

/** What a user can change of a setting through `tapo-camera-do`. */
interface ChangeSpec<A extends { readonly type: string }> {
  /** The `type` of each change {@link ChangeSpec.parse} makes. */
  readonly types: readonly A['type'][];
  /** Where its changes run among the actions of one payload object. */
  readonly phase: ChangePhase;
  /** The user's value under the setting's payload key → the change, or an `Input` error. */
  parse(value: unknown): A;
  /** The change → its named write, or the request of its own it needs. */
  write(change: A, known: KnownForms): NamedWrite | OwnRequest;
  /** False for a change that has nothing to read back afterwards (default: the setting is re-read). */
  readBack?(change: A): boolean;
  /** True for a change that runs after every other action of the object but a reboot. */
  runsLast?(change: A): boolean;
}

/** A setting {@link Camera.read} understands: its named reads and the decoder of their replies. */
interface SettingRow<V> {
  /** Read in this order; their replies go to {@link SettingRow.decode} in the same order. */
  readonly reads: readonly NamedRequest[];
  /** The replies → the plain value. */
  decode(replies: Replies): V;
}

/** A setting `tapo-camera-do` changes too. */
interface SettableRow<V, A extends { readonly type: string }> extends SettingRow<V> {
  readonly change: ChangeSpec<A>;
}

/** A row of a setting that is only read. */
function readable<V>(row: SettingRow<V>): SettingRow<V> {
  return row;
}

/** A row of a setting that is read and changed; `types` lists what `parse` makes. */
function settable<V, const T extends string, A extends { readonly type: T }>(
  row: SettingRow<V> & { readonly change: ChangeSpec<A> & { readonly types: readonly T[] } },
): SettableRow<V, A> {
  return row;
}

/**
 * A row of a setting that only some cameras have: its reads are flagged `unsupportedIsEmpty` and its
 * decoder throws `cameraSettingUnsupported` when they come back empty, so `Camera.readAvailable`
 * ("all") reports it as null on a camera without it, and a read by name fails as Unsupported.
 */
function feature<R extends SettingRow<unknown>>(row: R): R & { readonly feature: true } {
  return { ...row, feature: true };
}

/** A named set to an absolute state: a replay cannot do harm, so it may be replayed. */
function absoluteSet(method: string, params: JsonObject): NamedWrite {
  return { request: { method, params }, idempotent: true };
}

/** Numbers pytapo uses for the sensitivity words (methods-camera.md §4). */
const SENSITIVITY_NUMBER: Record<Sensitivity, string> = { low: '20', medium: '50', high: '80' };

const NIGHT_VISION_MODES: Record<string, string> = {
  inf_night_vision: 'infrared',
  wtl_night_vision: 'whiteLight',
  md_night_vision: 'smart',
};

const SENSITIVITIES: readonly Sensitivity[] = ['low', 'medium', 'high'];
const NIGHT_VISION: readonly NightVisionState[] = ['auto', 'on', 'off'];
const ALARM_MODES = ['sound', 'light', 'siren'];
const ALARM_VOLUMES = ['low', 'normal', 'high'] as const;

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

function decodePresets(r: JsonObject): CameraPreset[] {
  const p = obj(obj(r.preset).preset);
  const ids = arr(p.id);
  const names = arr(p.name);
  return ids.map((id, i) => ({ id: str(id) ?? '', name: str(names[i]) ?? '' }));
}

/** The alarm configuration section both alarm forms send (an Input error when empty). */
export function alarmSection(update: AlarmConfigUpdate): JsonObject {
  const section: JsonObject = {};
  if (update.enabled !== undefined) section.enabled = onOff(update.enabled);
  if (update.modes !== undefined) section.alarm_mode = [...update.modes];
  if (update.volume !== undefined) section.alarm_volume = update.volume;
  if (update.duration !== undefined) section.alarm_duration = update.duration;
  if (Object.keys(section).length === 0) throw new TapoError('Input', 'alarmConfigEmpty', { sent: false });
  return section;
}

function onOffValue(v: unknown, key: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (w === 'on') return true;
    if (w === 'off') return false;
  }
  throw inputError('cameraOnOff', { key, received: describeValue(v) });
}

function detectionValue(v: unknown, key: string): { enabled?: boolean; sensitivity?: Sensitivity } {
  if (typeof v === 'boolean') return { enabled: v };
  if (!isPlainObject(v)) {
    throw inputError('cameraDetection', { key, received: describeValue(v) });
  }
  checkKeys(v, ['enabled', 'sensitivity'], { of: 'cameraKey', key });
  const out: { enabled?: boolean; sensitivity?: Sensitivity } = {};
  if (v.enabled !== undefined) {
    if (typeof v.enabled !== 'boolean') throw inputError('cameraBoolean', { key: `${key}.enabled`, received: describeValue(v.enabled) });
    out.enabled = v.enabled;
  }
  if (v.sensitivity !== undefined) {
    const word = typeof v.sensitivity === 'string' ? v.sensitivity.trim().toLowerCase() : undefined;
    const match = SENSITIVITIES.find((s) => s === word);
    if (!match) {
      throw inputError('cameraSensitivity', { key: `${key}.sensitivity`, received: describeValue(v.sensitivity) });
    }
    out.sensitivity = match;
  }
  if (out.enabled === undefined && out.sensitivity === undefined) {
    throw inputError('cameraDetectionEmpty', { key });
  }
  return out;
}

/** The alarm's changes: sound it now or stop it, or change its configuration. */
type AlarmChange = { type: 'alarm'; action: 'start' | 'stop' } | { type: 'alarmConfig'; config: AlarmConfigUpdate };

function alarmValue(v: unknown): AlarmChange {
  if (v === true || v === false) return { type: 'alarm', action: v ? 'start' : 'stop' };
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (w === 'start' || w === 'stop') return { type: 'alarm', action: w };
  }
  if (!isPlainObject(v)) {
    throw inputError('cameraAlarm', { received: describeValue(v) });
  }
  checkKeys(v, ['enabled', 'modes', 'volume', 'duration'], { of: 'cameraKey', key: 'alarm' });
  const config: AlarmConfigUpdate = {};
  if (v.enabled !== undefined) {
    if (typeof v.enabled !== 'boolean') throw inputError('cameraBoolean', { key: 'alarm.enabled', received: describeValue(v.enabled) });
    config.enabled = v.enabled;
  }
  if (v.modes !== undefined) {
    if (!Array.isArray(v.modes) || v.modes.some((m) => typeof m !== 'string' || !ALARM_MODES.includes(m))) {
      throw inputError('cameraAlarmModes', { modes: ALARM_MODES.join(', '), received: describeValue(v.modes) });
    }
    config.modes = v.modes as string[];
  }
  if (v.volume !== undefined) {
    const match = ALARM_VOLUMES.find((x) => x === v.volume);
    if (!match) throw inputError('cameraAlarmVolume', { received: describeValue(v.volume) });
    config.volume = match;
  }
  if (v.duration !== undefined) config.duration = numberValue(v.duration, 'alarm.duration', 0, 3600, true);
  if (Object.keys(config).length === 0) throw inputError('cameraAlarmEmpty');
  return { type: 'alarmConfig', config };
}

/** The params of a day/night change, under either method name (methods-camera.md §4). */
export function nightVisionParams(state: NightVisionState): JsonObject {
  return { image: { common: { inf_type: state } } };
}

/** The params of the named siren verb `setSirenStatus` (cameras behind a hub, methods-camera.md §4). */
export function sirenParams(action: 'start' | 'stop'): JsonObject {
  return { msg_alarm: { status: action === 'start' ? 'on' : 'off' } };
}

/**
 * The camera settings, in the order {@link CAMERA_SETTINGS} lists them (and `"all"` reads them).
 * The settable ones run in this order within their {@link ChangePhase}: privacy mode comes first,
 * so that turning it off runs before anything its lens mask would block (-64324).
 */
const CAMERA_SETTING_TABLE = {
  deviceInfo: readable({
    reads: [{ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } }],
    decode: ([r = {}]): CameraDeviceInfo => {
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
    },
  }),
  // Lens mask on (true = the camera sees nothing).
  privacyMode: settable({
    reads: [{ method: 'getLensMaskConfig', params: { lens_mask: { name: ['lens_mask_info'] } } }],
    decode: ([r = {}]): boolean => required(bool(obj(obj(r.lens_mask).lens_mask_info).enabled), 'getLensMaskConfig', 'enabled'),
    change: {
      types: ['privacyMode'],
      phase: 'settings',
      parse: (v) => ({ type: 'privacyMode', enabled: onOffValue(v, 'privacyMode') }),
      write: (c) => absoluteSet('setLensMaskConfig', { lens_mask: { lens_mask_info: { enabled: onOff(c.enabled) } } }),
      // The motor and the image refuse to work behind the lens mask (-64324): on goes after everything.
      runsLast: (c) => c.enabled,
    },
  }),
  // Status LED on.
  led: settable({
    reads: [{ method: 'getLedStatus', params: { led: { name: ['config'] } } }],
    decode: ([r = {}]): boolean => required(bool(obj(obj(r.led).config).enabled), 'getLedStatus', 'enabled'),
    change: {
      types: ['led'],
      phase: 'settings',
      parse: (v) => ({ type: 'led', enabled: onOffValue(v, 'led') }),
      write: (c) => absoluteSet('setLedStatus', { led: { config: { enabled: onOff(c.enabled) } } }),
    },
  }),
  motionDetection: settable({
    reads: [{ method: 'getDetectionConfig', params: { motion_detection: { name: ['motion_det'] } } }],
    decode: ([r = {}]): MotionDetection => {
      const m = obj(obj(r.motion_detection).motion_det);
      const out: MotionDetection = {
        enabled: required(bool(m.enabled), 'getDetectionConfig', 'enabled'),
        sensitivity: sensitivityWord(m.sensitivity) ?? sensitivityWord(m.digital_sensitivity) ?? 'medium',
      };
      const digital = num(m.digital_sensitivity);
      if (digital !== undefined) out.digitalSensitivity = digital;
      return out;
    },
    change: {
      types: ['motionDetection'],
      phase: 'settings',
      parse: (v) => ({ type: 'motionDetection', ...detectionValue(v, 'motionDetection') }),
      write: (c) => {
        const section: JsonObject = {};
        if (c.enabled !== undefined) section.enabled = onOff(c.enabled);
        if (c.sensitivity !== undefined) {
          section.sensitivity = c.sensitivity;
          section.digital_sensitivity = SENSITIVITY_NUMBER[c.sensitivity];
        }
        if (Object.keys(section).length === 0) throw new TapoError('Input', 'motionDetectionEmpty', { sent: false });
        return absoluteSet('setDetectionConfig', { motion_detection: { motion_det: section } });
      },
    },
  }),
  personDetection: settable({
    reads: [{ method: 'getPersonDetectionConfig', params: { people_detection: { name: ['detection'] } } }],
    decode: ([r = {}]): PersonDetection => {
      const p = obj(obj(r.people_detection).detection);
      const out: PersonDetection = { enabled: required(bool(p.enabled), 'getPersonDetectionConfig', 'enabled') };
      const word = sensitivityWord(p.sensitivity);
      if (word !== undefined) out.sensitivity = word;
      const digital = num(p.sensitivity);
      if (digital !== undefined) out.digitalSensitivity = digital;
      return out;
    },
    change: {
      types: ['personDetection'],
      phase: 'settings',
      parse: (v) => ({ type: 'personDetection', ...detectionValue(v, 'personDetection') }),
      write: (c) => {
        const section: JsonObject = {};
        if (c.enabled !== undefined) section.enabled = onOff(c.enabled);
        if (c.sensitivity !== undefined) section.sensitivity = SENSITIVITY_NUMBER[c.sensitivity];
        if (Object.keys(section).length === 0) throw new TapoError('Input', 'personDetectionEmpty', { sent: false });
        return absoluteSet('setPersonDetectionConfig', { people_detection: { detection: section } });
      },
    },
  }),
  nightVision: settable({
    reads: [
      { method: 'getLightFrequencyInfo', params: { image: { name: 'common' } } },
      { method: 'getNightVisionModeConfig', params: { image: { name: ['switch'] } }, optional: true },
    ],
    decode: ([r = {}, second]): NightVision => {
      const state = str(obj(obj(r.image).common).inf_type);
      if (state !== 'auto' && state !== 'on' && state !== 'off') throw malformed('getLightFrequencyInfo', 'inf_type');
      const out: NightVision = { state };
      const mode = str(obj(obj(second?.image).switch).night_vision_mode);
      if (mode !== undefined) out.mode = NIGHT_VISION_MODES[mode] ?? mode;
      return out;
    },
    change: {
      types: ['nightVision'],
      phase: 'settings',
      parse: (v) => {
        const w = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
        const state = NIGHT_VISION.find((s) => s === w);
        if (!state) throw inputError('cameraNightVision', { received: describeValue(v) });
        return { type: 'nightVision', state };
      },
      // The method name is learnt on the first change (Camera.setNightVision).
      write: (c, known) =>
        known.nightVisionMethod === undefined
          ? { ownRequest: (camera) => camera.setNightVision(c.state) }
          : absoluteSet(known.nightVisionMethod, nightVisionParams(c.state)),
    },
  }),
  // pytapo's read of the alarm configuration (methods-camera.md §4); getAlertConfig would also
  // fetch the capability and the user audio table, which the value does not use.
  alarm: settable({
    reads: [{ method: 'getLastAlarmInfo', params: { msg_alarm: { name: ['chn1_msg_alarm_info'] } } }],
    decode: ([r = {}]): AlarmConfig => {
      const a = obj(r.msg_alarm).chn1_msg_alarm_info;
      if (!isObject(a)) {
        throw new TapoError('Unsupported', 'noAlarmConfig', { context: 'getLastAlarmInfo' });
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
    },
    change: {
      types: ['alarmConfig', 'alarm'],
      phase: 'afterMotion',
      parse: alarmValue,
      // Style B or named, learnt on the first alarm change (Camera.setAlarmConfig, Camera.startAlarm).
      write: (c, known) => {
        if (c.type === 'alarmConfig') {
          return known.alarmStyle === 'named'
            ? absoluteSet('setAlarmConfig', { msg_alarm: alarmSection(c.config) })
            : { ownRequest: (camera) => camera.setAlarmConfig(c.config) };
        }
        return known.alarmStyle === 'named'
          ? absoluteSet('setSirenStatus', sirenParams(c.action))
          : { ownRequest: (camera) => (c.action === 'start' ? camera.startAlarm() : camera.stopAlarm()) };
      },
      // Sounding the alarm changes no setting.
      readBack: (c) => c.type === 'alarmConfig',
    },
  }),
  presets: readable({
    reads: [{ method: 'getPresetConfig', params: { preset: { name: ['preset'] } }, unsupportedIsEmpty: true }],
    // undefined: the camera does not know getPresetConfig (no pan/tilt), so it has no presets.
    decode: ([first]): CameraPreset[] => (first === undefined ? [] : decodePresets(first)),
  }),
  sdCard: readable({
    reads: [{ method: 'getSdCardStatus', params: { harddisk_manage: { table: ['hd_info'] } } }],
    decode: ([r = {}]): SdCardStatus => {
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
    },
  }),
  time: readable({
    reads: [
      { method: 'getClockStatus', params: { system: { name: 'clock_status' } } },
      { method: 'getTimezone', params: { system: { name: ['basic'] } }, optional: true },
    ],
    decode: ([r = {}, second]): CameraTime => {
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
    },
  }),
  // The last detection the camera recorded (events.md §3.1): module `system`, strings; "" or "0"
  // when there has been none. Not the siren's configuration, which the same method name reads
  // with the module `msg_alarm` (the `alarm` row).
  lastAlarm: readable({
    reads: [{ method: 'getLastAlarmInfo', params: { system: { name: ['last_alarm_info'] } } }],
    decode: ([r = {}]): LastAlarm => {
      const info = obj(obj(r.system).last_alarm_info);
      return { time: num(info.last_alarm_time) ?? 0, type: str(info.last_alarm_type) ?? '' };
    },
  }),
  // How the camera is connected (methods-camera.md §1; python-kasa asks it in its first query,
  // kasa/smartcam/smartcamdevice.py). The reply is not under a module: {link_type, rssi,
  // rssiValue, ssid (base64)} on Wi-Fi, {link_type: "ethernet"} on the H200 (shared fixtures).
  connection: readable({
    reads: [{ method: 'getConnectionType', params: { network: { get_connection_type: {} } } }],
    decode: ([r = {}]): CameraConnection => {
      const out: CameraConnection = { linkType: required(str(r.link_type), 'getConnectionType', 'link_type') };
      const ssid = str(r.ssid);
      if (ssid !== undefined) out.ssid = fromBase64(ssid);
      const level = num(r.rssi);
      if (level !== undefined) out.rssi = level;
      const dbm = num(r.rssiValue);
      if (dbm !== undefined) out.signalDbm = dbm;
      return out;
    },
  }),
  // IP settings (methods-camera.md §1, pytapo getDeviceIpAddress). `ipaddr` is the field the
  // HomeAssistant-Tapo-Control tests read (tests/test_utils.py); netmask, gateway, dns1/dns2 and
  // proto are decoded only when the camera sends them: no public capture shows their names.
  wan: feature(readable({
    reads: [{ method: 'getDeviceIpAddress', params: { network: { name: ['wan'] } }, unsupportedIsEmpty: true }],
    decode: ([r]): CameraWan => {
      const w = obj(obj(featureReply(r, 'wan', 'getDeviceIpAddress').network).wan);
      const out: CameraWan = {
        ip: required(str(w.ipaddr), 'getDeviceIpAddress', 'ipaddr'),
        dns: [w.dns1, w.dns2].map((d) => str(d)).filter((d): d is string => d !== undefined && d !== '' && d !== '0.0.0.0'),
      };
      const netmask = str(w.netmask);
      if (netmask !== undefined) out.netmask = netmask;
      const gateway = str(w.gateway);
      if (gateway !== undefined) out.gateway = gateway;
      const proto = str(w.proto);
      if (proto !== undefined) out.dhcp = proto === 'dhcp';
      return out;
    },
  })),
  // Encoder settings (methods-camera.md §6). pytapo asks `main` only; `minor` is asked as
  // pytapo asks getVideoCapability for both, and cameras answer the sections they have (the
  // fixtures' getVideoCapability holds `main` only). Read only: no source names the setter.
  videoQuality: feature(readable({
    reads: [{ method: 'getVideoQualities', params: { video: { name: ['main', 'minor'] } }, unsupportedIsEmpty: true }],
    decode: ([r]): VideoQuality => {
      const video = obj(featureReply(r, 'videoQuality', 'getVideoQualities').video);
      if (!isObject(video.main)) throw malformed('getVideoQualities', 'main');
      const out: VideoQuality = { stream1: decodeStream(video.main) };
      if (isObject(video.minor)) out.stream2 = decodeStream(video.minor);
      return out;
    },
  })),
  // Image upside down (rotated 180°): image.switch.flip_type "center" / "off" (methods-camera.md
  // §2; pytapo getImageFlipVertical / setRotationStatus). Set with setRotationStatus, the named
  // pair of the read (pytapo sends the same params as setLdc to cameras it reaches directly).
  imageFlip: feature(settable({
    reads: [{ method: 'getRotationStatus', params: { image: { name: ['switch'] } }, unsupportedIsEmpty: true }],
    decode: ([r]): boolean => {
      const flip = str(obj(obj(featureReply(r, 'imageFlip', 'getRotationStatus').image).switch).flip_type);
      if (flip === undefined) throw unsupportedSetting('imageFlip', 'getRotationStatus');
      return flip === 'center';
    },
    change: {
      types: ['imageFlip'],
      phase: 'settings',
      parse: (v) => ({ type: 'imageFlip', flipped: onOffValue(v, 'imageFlip') }),
      write: (c) => absoluteSet('setRotationStatus', { image: { switch: { flip_type: c.flipped ? 'center' : 'off' } } }),
    },
  })),
  // Auto tracking of moving targets (pan/tilt cameras; methods-camera.md §3, pytapo
  // getTargetTrackConfig / setTargetTrackConfig).
  targetTracking: feature(settable({
    reads: [{ method: 'getTargetTrackConfig', params: { target_track: { name: ['target_track_info'] } }, unsupportedIsEmpty: true }],
    decode: ([r]): boolean =>
      required(bool(obj(obj(featureReply(r, 'targetTracking', 'getTargetTrackConfig').target_track).target_track_info).enabled), 'getTargetTrackConfig', 'enabled'),
    change: {
      types: ['targetTracking'],
      phase: 'settings',
      parse: (v) => ({ type: 'targetTracking', enabled: onOffValue(v, 'targetTracking') }),
      write: (c) => absoluteSet('setTargetTrackConfig', { target_track: { target_track_info: { enabled: onOff(c.enabled) } } }),
    },
  })),
  // Encryption of the media streams (methods-camera.md §6, pytapo getMediaEncrypt / setMediaEncrypt).
  mediaEncryption: feature(settable({
    reads: [{ method: 'getMediaEncrypt', params: { cet: { name: ['media_encrypt'] } }, unsupportedIsEmpty: true }],
    decode: ([r]): boolean =>
      required(bool(obj(obj(featureReply(r, 'mediaEncryption', 'getMediaEncrypt').cet).media_encrypt).enabled), 'getMediaEncrypt', 'enabled'),
    change: {
      types: ['mediaEncryption'],
      phase: 'settings',
      parse: (v) => ({ type: 'mediaEncryption', enabled: onOffValue(v, 'mediaEncryption') }),
      write: (c) => absoluteSet('setMediaEncrypt', { cet: { media_encrypt: { enabled: onOff(c.enabled) } } }),
    },
  })),
  // Diagnose mode, system.sys.diagnose_mode "on"/"off" (methods-camera.md §1; pytapo
  // getDiagnoseMode; the reply shape from the HomeAssistant-Tapo-Control tests). Read only.
  diagnoseMode: feature(readable({
    reads: [{ method: 'getDiagnoseMode', params: { system: { name: 'sys' } }, unsupportedIsEmpty: true }],
    decode: ([r]): boolean => {
      const mode = bool(obj(obj(featureReply(r, 'diagnoseMode', 'getDiagnoseMode').system).sys).diagnose_mode);
      if (mode === undefined) throw unsupportedSetting('diagnoseMode', 'getDiagnoseMode');
      return mode;
    },
  })),
  // What the camera supports: its app component list (methods-camera.md §1; python-kasa's first query).
  components: readable({
    reads: [{ method: 'getAppComponentList', params: { app_component: { name: 'app_component_list' } } }],
    decode: ([r = {}]): CameraComponent[] =>
      arr(obj(r.app_component).app_component_list)
        .map((c) => ({ name: str(obj(c).name), version: num(obj(c).version) }))
        .filter((c): c is CameraComponent => c.name !== undefined && c.version !== undefined),
  }),
  // The user id the recording APIs take (methods-camera.md §1, §5; pytapo getUserID). Not under a module.
  userId: feature(readable({
    reads: [{ method: 'getUserID', params: { system: { get_user_id: 'null' } }, unsupportedIsEmpty: true }],
    decode: ([r]): number => required(num(featureReply(r, 'userId', 'getUserID').user_id), 'getUserID', 'user_id'),
  })),
};

type Table = typeof CAMERA_SETTING_TABLE;

/** One of {@link CAMERA_SETTINGS}. */
export type CameraSetting = keyof Table;

/** Named settings {@link Camera.read} understands. */
export const CAMERA_SETTINGS = Object.keys(CAMERA_SETTING_TABLE) as readonly CameraSetting[];

/** The value type of each named setting. */
export type CameraSettingValues = { [K in CameraSetting]: ReturnType<Table[K]['decode']> };

/** A setting only some cameras have (null in `Camera.readAvailable` on the others). */
export type FeatureSetting = { [K in CameraSetting]: Table[K] extends { readonly feature: true } ? K : never }[CameraSetting];

/** The settings only some cameras have. */
export const FEATURE_SETTINGS = CAMERA_SETTINGS.filter((name): name is FeatureSetting => 'feature' in CAMERA_SETTING_TABLE[name]);

/** A setting `tapo-camera-do` changes. */
export type SettableSetting = { [K in CameraSetting]: Table[K] extends { readonly change: object } ? K : never }[CameraSetting];

/** The changes of one settable setting, as its parser makes them. */
type ChangeOf<K extends SettableSetting> = Table[K]['change'] extends ChangeSpec<infer A> ? A : never;

/** A change of a setting, as `parseCameraActions` makes it and {@link Camera.apply} performs it. */
export type CameraSettingChange = { [K in SettableSetting]: ChangeOf<K> }[SettableSetting];

/** Each setting's row, typed by the setting (so a row's decoder and change match its name). */
const ROWS: { [K in CameraSetting]: SettingRow<CameraSettingValues[K]> } = CAMERA_SETTING_TABLE;
const CHANGES: { [K in SettableSetting]: SettableRow<CameraSettingValues[K], ChangeOf<K>> } = CAMERA_SETTING_TABLE;

/** The settable settings in table order. */
const SETTABLE = CAMERA_SETTINGS.filter((name): name is SettableSetting => 'change' in CAMERA_SETTING_TABLE[name]);

/** The setting each change `type` belongs to (every type a parser makes: {@link settable} checks it). */
const SETTING_OF_CHANGE = new Map<string, SettableSetting>(SETTABLE.flatMap((name) => CHANGES[name].change.types.map((type) => [type, name] as const)));

/** The named reads of a setting, in order. */
export function readsOf(name: CameraSetting): readonly NamedRequest[] {
  return ROWS[name].reads;
}

/** Turns the replies of one setting's reads into its plain value. */
export function decodeSetting<K extends CameraSetting>(name: K, replies: Replies): CameraSettingValues[K] {
  return ROWS[name].decode(replies);
}

/** The settable settings whose changes run in `phase`, in table order. */
export function settableSettings(phase: ChangePhase): SettableSetting[] {
  return SETTABLE.filter((name) => CHANGES[name].change.phase === phase);
}

/** True when `action` is the change of a setting (made by a row's parser), not another camera action. */
export function isSettingChange(action: { readonly type: string }): action is CameraSettingChange {
  return SETTING_OF_CHANGE.has(action.type);
}

/**
 * The change part of a setting's row, typed for the changes of every setting: TypeScript cannot tie
 * a change found at run time to its row's parameter type, so the callers below hand each row only
 * its own changes ({@link settingOf}).
 */
function changeSpec(name: SettableSetting): ChangeSpec<CameraSettingChange> {
  return CHANGES[name].change;
}

/** The setting a change belongs to (its payload key). */
export function settingOf(change: CameraSettingChange): SettableSetting {
  return SETTING_OF_CHANGE.get(change.type)!;
}

/** The user's value under the payload key of setting `name` → its change (an `Input` error when invalid). */
export function parseSettingChange(name: SettableSetting, value: unknown): CameraSettingChange {
  return changeSpec(name).parse(value);
}

/** The named write of a change, or the request of its own it needs (see {@link KnownForms}). */
export function writeSettingChange(change: CameraSettingChange, known: KnownForms): NamedWrite | OwnRequest {
  return changeSpec(settingOf(change)).write(change, known);
}

/** True when the setting is re-read after the change. */
export function readsBack(change: CameraSettingChange): boolean {
  return changeSpec(settingOf(change)).readBack?.(change) ?? true;
}

/** True when the change runs after every other action of its payload object but a reboot. */
export function runsLast(change: CameraSettingChange): boolean {
  return changeSpec(settingOf(change)).runsLast?.(change) ?? false;
}
