/**
 * Bulbs and light strips (the SMART family, `SMART.TAPOBULB`): our verbs over the methods of
 * ../shared/protocol/family.md §1–§3. Wire method names live here and in the simulator only.
 *
 * What a light can do is read from `component_nego` (family.md §1), learnt once per connection:
 * - `brightness` (every bulb and strip): `set_device_info {brightness: 1–100}`;
 * - `color`: `set_device_info {hue: 0–360, saturation: 0–100, color_temp: 0}` (both together,
 *   with `color_temp: 0`, or the colour temperature wins: §2.3);
 * - `color_temperature`: `set_device_info {color_temp}` alone, in kelvin, within
 *   `get_device_info.color_temp_range` (2500–6500 when absent); none when min = max (the L510's
 *   [2700, 2700], the L900's [9000, 9000]);
 * - `on_off_gradually`: v1 `set_on_off_gradually_info {enable}`; v2+ `{on_state: {enable, duration},
 *   off_state: {…}}` with durations up to `max_duration` (60 s when absent) (§2.4);
 * - `light_strip_lighting_effect` (L900/L920/L930): `set_lighting_effect` with a whole effect object
 *   (§3.3). The facts name the built-in presets but do not give their definitions, so effects are
 *   chosen by a whole effect object, or by the name or id of the effect the strip holds now
 *   (`get_lighting_effect`), and stopped with `false`/"off" (the current effect sent with `enable: 0`).
 *
 * Everything is checked against what the light can do before anything is sent: an out-of-range
 * value is an `Input` error, a feature the model lacks an `Unsupported` one. A change and its
 * read-back travel in one `multipleRequest` where the device batches (DESIGN.md rule 5); every
 * change is a set to an absolute state, so it may be replayed (rule 6); a toggle reads first.
 */
import { TapoError } from '../protocol/errors';
import type { ReasonKey } from '../protocol/reasons';
import type { JsonObject, JsonValue } from '../protocol/types';
import { arr, bool, isObject, malformed, num, obj, str } from './check';
import { describeValue, isPlainObject } from './input';
import { decodeBase64Text } from './plug';
import type { Requester } from './requester';
import { SmartDevice } from './smart';
import type { SmartCall, SmartOptions } from './smart';

/** How the light shows its light now. */
export type LightMode = 'color' | 'white' | 'effect';

/** A light's state, read back from `get_device_info`. */
export interface LightState {
  on: boolean;
  /** 1–100 %. */
  brightness: number;
  /** 0–360 (colour models). */
  hue?: number;
  /** 0–100 % (colour models). */
  saturation?: number;
  /** Kelvin; 0 while a hue/saturation colour is shown (models that report it). */
  colorTemp?: number;
  mode: LightMode;
  /** The lighting effect the strip runs (strips: while `mode` is `effect`). */
  effect?: { id: string; name: string };
  model: string;
  nickname: string;
  deviceId: string;
  /** The gradual on/off setting, when the change set it (read back in the same round trip). */
  gradual?: GradualState;
}

/** The gradual on/off setting as read back. */
export interface GradualState {
  /** v1: one switch for both; v2+: on when either side is on. */
  enabled: boolean;
  /** Seconds of the gradual switch-on (v2+). */
  onSeconds?: number;
  /** Seconds of the gradual switch-off (v2+). */
  offSeconds?: number;
}

/** What a light can do, from its component list and device info. */
export interface LightCapabilities {
  color: boolean;
  /** Kelvin range; undefined when the light has no colour temperature. */
  colorTemp?: { min: number; max: number };
  /** `on_off_gradually` version (0: none). */
  gradual: number;
  /** Light strip effects (`light_strip_lighting_effect`). */
  effects: boolean;
  /** A light strip (`light_strip`). */
  strip: boolean;
}

/** What a connection learns about a light once (kept in its {@link SmartFacts}). */
export interface LightFacts {
  /** Whether the device is a bulb or light strip. */
  isLight: boolean;
  /** Its model, to name it in a refusal. */
  model: string;
  /** What it can do (lights only). */
  capabilities?: LightCapabilities;
}

/** An effect: stop (false), by name or id of the strip's stored effect, or a whole effect object. */
export type EffectChoice = false | string | JsonObject;

/** One change to a light; every field is optional, at least one is needed. */
export interface LightChange {
  on?: boolean;
  /** 1–100 (0 turns the light off, brightness kept). */
  brightness?: number;
  hue?: number;
  saturation?: number;
  /** Kelvin. */
  colorTemp?: number;
  /** Gradual on/off: true/false, or seconds for both sides (0: off; v2+ models only). */
  transition?: boolean | number;
  effect?: EffectChoice;
}

/** Seconds a gradual switch may last when the device does not say (family.md §2.4). */
const DEFAULT_MAX_GRADUAL_SECONDS = 60;
/** Colour temperature range when `color_temp_range` is absent (family.md §2.3, mihai). */
const DEFAULT_COLOR_TEMP_RANGE = { min: 2500, max: 6500 };
const EFFECT_TYPES = ['sequence', 'random', 'pulse', 'static'];

function inputError(reason: ReasonKey, params: Record<string, string | number> = {}): TapoError {
  return new TapoError('Input', reason, { params, sent: false });
}

function unsupported(reason: ReasonKey, model: string, params: Record<string, string | number> = {}): TapoError {
  return new TapoError('Unsupported', reason, { params: { model, ...params }, sent: false });
}

/**
 * True when a device with this `type` and components is a bulb or light strip (family.md §1: a
 * `light_strip` component, or `brightness` on a device that is not a plug, switch or hub).
 */
export function isLight(type: string, components: ReadonlyMap<string, number> | null | undefined): boolean {
  if (components?.has('light_strip')) return true;
  if (/BULB/i.test(type)) return true;
  if (/HUB|PLUG|SWITCH/i.test(type)) return false;
  return components?.has('brightness') === true && !components.has('dimmer_calibration');
}

/** The capabilities of a light from its components (unknown list: from the device info alone) and device info. */
export function lightCapabilities(components: ReadonlyMap<string, number> | null | undefined, info: JsonObject): LightCapabilities {
  const has = (id: string, fallback: boolean): boolean => (components ? components.has(id) : fallback);
  const color = has('color', typeof info.hue === 'number');
  const caps: LightCapabilities = {
    color,
    gradual: components?.get('on_off_gradually') ?? 0,
    effects: has('light_strip_lighting_effect', isObject(info.lighting_effect)),
    strip: has('light_strip', isObject(info.lighting_effect)),
  };
  if (has('color_temperature', typeof info.color_temp === 'number')) {
    const range = arr(info.color_temp_range);
    const min = num(range[0]) ?? DEFAULT_COLOR_TEMP_RANGE.min;
    const max = num(range[1]) ?? DEFAULT_COLOR_TEMP_RANGE.max;
    if (max > min) caps.colorTemp = { min, max };
  }
  return caps;
}

/** Builds a {@link LightState} from a `get_device_info` result. */
export function parseLightState(r: JsonObject): LightState {
  const deviceId = str(r.device_id);
  const on = bool(r.device_on);
  if (deviceId === undefined) throw malformed('get_device_info', 'device_id');
  if (on === undefined) throw malformed('get_device_info', 'device_on');
  const hue = num(r.hue);
  const saturation = num(r.saturation);
  const colorTemp = num(r.color_temp);
  const effect = isObject(r.lighting_effect) ? r.lighting_effect : undefined;
  const effectOn = (effect !== undefined && num(effect.enable) === 1) || r.dynamic_light_effect_enable === true;
  const mode: LightMode = effectOn ? 'effect' : hue !== undefined && colorTemp === 0 ? 'color' : 'white';
  const state: LightState = {
    on,
    brightness: num(r.brightness) ?? 0,
    mode,
    model: str(r.model) ?? '',
    nickname: decodeBase64Text(str(r.nickname) ?? ''),
    deviceId,
  };
  if (hue !== undefined) state.hue = hue;
  if (saturation !== undefined) state.saturation = saturation;
  if (colorTemp !== undefined) state.colorTemp = colorTemp;
  if (effect !== undefined && num(effect.enable) === 1) state.effect = { id: str(effect.id) ?? '', name: str(effect.name) ?? '' };
  else if (r.dynamic_light_effect_enable === true) {
    const id = str(r.dynamic_light_effect_id) ?? '';
    state.effect = { id, name: id };
  }
  return state;
}

/** A gradual on/off reply (v1 `{enable}`, v2+ `{on_state, off_state}`) as a {@link GradualState}. */
export function parseGradual(r: JsonObject): GradualState {
  if (typeof r.enable === 'boolean') return { enabled: r.enable };
  const onSide = obj(r.on_state);
  const offSide = obj(r.off_state);
  const state: GradualState = { enabled: onSide.enable === true || offSide.enable === true };
  const onSeconds = num(onSide.duration);
  const offSeconds = num(offSide.duration);
  if (onSeconds !== undefined) state.onSeconds = onSeconds;
  if (offSeconds !== undefined) state.offSeconds = offSeconds;
  return state;
}

/**
 * A bulb (L510, L530, L535, L610, L630 …) or light strip (L900, L920, L930). Opened by
 * {@link openLight}, which refuses other devices.
 */
export class Light extends SmartDevice {
  /** Reads the state (`get_device_info`). */
  async getState(): Promise<LightState> {
    return parseLightState(await this.deviceInfo());
  }

  /** What this light can do (component list learnt once per connection, range from its device info). */
  async capabilities(): Promise<LightCapabilities> {
    return lightCapabilities(this.facts.components, await this.capabilitiesInfo());
  }

  /** Switches on or off and reads the state back (one round trip where the device batches). */
  setOn(on: boolean): Promise<LightState> {
    return this.set({ on });
  }

  /** Reads the state, then sets the opposite absolute state with its read-back. */
  async toggle(): Promise<LightState> {
    const current = bool((await this.deviceInfo()).device_on);
    if (current === undefined) throw malformed('get_device_info', 'device_on');
    return this.set({ on: !current });
  }

  /**
   * Applies `change` and reads the state back. Everything is checked first (against the model's
   * capabilities, read with the device info the operation needs anyway); then the changes and
   * `get_device_info` travel in one batch where the device takes batches. Choosing a stored
   * effect by name, or stopping one, reads the strip's effect first.
   */
  async set(change: LightChange): Promise<LightState> {
    const { caps, model } = await this.known();
    const calls: SmartCall[] = [];
    const params: { [k: string]: JsonValue } = {};

    if (change.brightness !== undefined) {
      const b = change.brightness;
      if (!Number.isInteger(b) || b < 0 || b > 100) throw inputError('lightBrightness', { received: describeValue(b) });
      // 0 turns the light off (python-kasa does the same, family.md §2.3); the brightness is kept.
      if (b === 0) {
        if (change.on === true) throw inputError('lightBrightnessZeroOn');
        params.device_on = false;
      } else params.brightness = b;
    }
    if (change.on !== undefined && params.device_on === undefined) params.device_on = change.on;

    const colour = change.hue !== undefined || change.saturation !== undefined;
    if (colour && change.colorTemp !== undefined) throw inputError('lightColorAndTemp');
    if (colour) {
      if (!caps.color) throw unsupported('lightNoColor', model);
      if (change.hue === undefined || change.saturation === undefined) throw inputError('lightHueAndSaturation');
      checkRange(change.hue, 'hue', 0, 360);
      checkRange(change.saturation, 'saturation', 0, 100);
      params.hue = change.hue;
      params.saturation = change.saturation;
      params.color_temp = 0;
    }
    if (change.colorTemp !== undefined) {
      const range = caps.colorTemp;
      if (!range) throw unsupported('lightNoColorTemp', model);
      const k = change.colorTemp;
      if (!Number.isInteger(k) || k < range.min || k > range.max) {
        throw inputError('lightColorTempRange', { min: range.min, max: range.max, received: describeValue(k) });
      }
      params.color_temp = k;
    }

    let gradualRead = false;
    if (change.transition !== undefined) {
      calls.push({ method: 'set_on_off_gradually_info', params: await this.gradualParams(change.transition, caps, model), idempotent: true });
      calls.push({ method: 'get_on_off_gradually_info' });
      gradualRead = true;
    }
    if (change.effect !== undefined) {
      if (!caps.effects) throw unsupported('lightNoEffects', model);
      calls.push({ method: 'set_lighting_effect', params: await this.effectParams(change.effect), idempotent: true });
    }
    if (Object.keys(params).length > 0) calls.push({ method: 'set_device_info', params, idempotent: true });
    if (calls.length === 0) throw inputError('lightNothingToDo');
    calls.push({ method: 'get_device_info' });

    const results = await this.callAll(calls);
    const read = results[results.length - 1];
    const state = parseLightState(read ?? (await this.call('get_device_info')));
    if (gradualRead) {
      const g = results[1];
      if (g !== undefined) state.gradual = parseGradual(g);
    }
    return state;
  }

  /** The `set_on_off_gradually_info` params for a transition, checked against the component version. */
  private async gradualParams(transition: boolean | number, caps: LightCapabilities, model: string): Promise<JsonObject> {
    if (caps.gradual === 0) throw unsupported('lightNoGradual', model);
    if (caps.gradual === 1) {
      if (typeof transition === 'number' && transition !== 0) throw inputError('lightGradualNoDuration', { model });
      return { enable: transition !== false && transition !== 0 };
    }
    const current = await this.call('get_on_off_gradually_info');
    const sides = [obj(current.on_state), obj(current.off_state)];
    const max = Math.min(...sides.map((s) => num(s.max_duration) ?? DEFAULT_MAX_GRADUAL_SECONDS));
    if (typeof transition === 'number' && transition !== 0) {
      if (!Number.isInteger(transition) || transition < 1 || transition > max) {
        throw inputError('lightGradualSeconds', { max, received: describeValue(transition) });
      }
      return { on_state: { enable: true, duration: transition }, off_state: { enable: true, duration: transition } };
    }
    const enable = transition !== false && transition !== 0;
    // Keep each side's duration (python-kasa disables with the old duration, family.md §2.4).
    const side = (s: JsonObject): JsonObject => ({ enable, duration: num(s.duration) ?? 1 });
    return { on_state: side(sides[0] ?? {}), off_state: side(sides[1] ?? {}) };
  }

  /** The whole effect object `set_lighting_effect` wants for a choice. */
  private async effectParams(choice: EffectChoice): Promise<JsonObject> {
    if (choice === false || typeof choice === 'string') {
      const stored = await this.call('get_lighting_effect');
      if (choice === false) return { ...stored, enable: 0 };
      const wanted = choice.trim().toLowerCase();
      const name = str(stored.name) ?? '';
      const id = str(stored.id) ?? '';
      if (wanted !== name.toLowerCase() && (id === '' || wanted !== id.toLowerCase())) {
        throw inputError('lightUnknownEffect', { name: choice, known: name === '' ? id : name });
      }
      return { ...stored, enable: 1 };
    }
    return checkEffectObject(choice);
  }

  /**
   * What the light can do and its model: learnt when it was opened (kept for the connection, so a
   * change needs no read of its own), else read now.
   */
  private async known(): Promise<{ caps: LightCapabilities; model: string }> {
    const light = this.facts.light;
    if (light?.capabilities) return { caps: light.capabilities, model: light.model };
    const info = await this.capabilitiesInfo();
    return { caps: lightCapabilities(this.facts.components, info), model: str(info.model) ?? '' };
  }

  /** Reads the device info (batched with `component_nego` the first time) and keeps it for the operation's next read. */
  async capabilitiesInfo(): Promise<JsonObject> {
    const info = await this.deviceInfo();
    this.prime(info);
    return info;
  }
}

/** A whole effect object, checked for the fields the device requires (family.md §3.3); `enable` defaults to 1. */
export function checkEffectObject(effect: JsonObject): JsonObject {
  const missing = ['id', 'name', 'type', 'display_colors'].filter((k) => effect[k] === undefined);
  if (missing.length > 0) throw inputError('lightEffectMissing', { keys: missing.join(', ') });
  if (typeof effect.id !== 'string' || typeof effect.name !== 'string') throw inputError('lightEffectMissing', { keys: 'id, name (strings)' });
  if (typeof effect.type !== 'string' || !EFFECT_TYPES.includes(effect.type)) {
    throw inputError('lightEffectType', { types: EFFECT_TYPES.join(', '), received: describeValue(effect.type) });
  }
  if (!Array.isArray(effect.display_colors)) throw inputError('lightEffectMissing', { keys: 'display_colors (an array)' });
  const brightness = effect.brightness ?? 100;
  if (typeof brightness !== 'number' || !Number.isInteger(brightness) || brightness < 1 || brightness > 100) {
    throw inputError('lightBrightness', { received: describeValue(brightness) });
  }
  return { custom: 0, ...effect, brightness, enable: effect.enable === 0 || effect.enable === false ? 0 : 1 };
}

function checkRange(v: number, key: string, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw inputError('lightRange', { key, min, max, received: describeValue(v) });
}

/**
 * Opens the light behind `requester`: the first time on a connection, `component_nego` and
 * `get_device_info` travel in one batch and decide whether the device is a light (kept in the
 * facts); the device info read is used by the same operation's first read. A device that is not a
 * bulb or light strip is refused with an `Input` error naming its model (nothing is changed).
 */
export async function openLight(requester: Requester, options: SmartOptions = {}): Promise<Light> {
  const facts = options.facts ?? {};
  const light = new Light(requester, { ...options, facts });
  if (facts.light === undefined) {
    const info = await light.capabilitiesInfo();
    const type = str(info.type) ?? '';
    const lightFacts: LightFacts = { isLight: isLight(type, facts.components), model: str(info.model) ?? type };
    if (lightFacts.isLight) lightFacts.capabilities = lightCapabilities(facts.components, info);
    facts.light = lightFacts;
  }
  if (!facts.light.isLight) {
    throw new TapoError('Input', 'notALight', { params: { model: facts.light.model }, hint: 'lightUsePlugNode', sent: false });
  }
  return light;
}

/** A colour given in a message, resolved to what {@link LightChange} takes. */
export type ColorValue = { hue: number; saturation: number } | { colorTemp: number };

/**
 * Common colour names and their hue/saturation (or colour temperature for the whites), written for
 * this package from the CSS colour keywords (hue and saturation of their HSV form).
 */
export const COLOR_NAMES: Readonly<Record<string, ColorValue>> = {
  red: { hue: 0, saturation: 100 },
  orange: { hue: 39, saturation: 100 },
  amber: { hue: 45, saturation: 100 },
  gold: { hue: 51, saturation: 100 },
  yellow: { hue: 60, saturation: 100 },
  lime: { hue: 120, saturation: 100 },
  green: { hue: 120, saturation: 100 },
  chartreuse: { hue: 90, saturation: 100 },
  springgreen: { hue: 150, saturation: 100 },
  teal: { hue: 180, saturation: 100 },
  cyan: { hue: 180, saturation: 100 },
  aqua: { hue: 180, saturation: 100 },
  turquoise: { hue: 174, saturation: 71 },
  skyblue: { hue: 197, saturation: 43 },
  blue: { hue: 240, saturation: 100 },
  navy: { hue: 240, saturation: 100 },
  indigo: { hue: 275, saturation: 100 },
  purple: { hue: 300, saturation: 100 },
  violet: { hue: 300, saturation: 45 },
  magenta: { hue: 300, saturation: 100 },
  fuchsia: { hue: 300, saturation: 100 },
  pink: { hue: 350, saturation: 25 },
  hotpink: { hue: 330, saturation: 59 },
  crimson: { hue: 348, saturation: 91 },
  salmon: { hue: 6, saturation: 54 },
  coral: { hue: 16, saturation: 69 },
  white: { colorTemp: 4000 },
  warmwhite: { colorTemp: 2700 },
  neutralwhite: { colorTemp: 4000 },
  coolwhite: { colorTemp: 5000 },
  daylight: { colorTemp: 6500 },
};

/** Hue (0–360) and saturation (0–100) of an RGB colour (the value part is left to brightness). */
export function rgbToHueSaturation(r: number, g: number, b: number): { hue: number; saturation: number } {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  let h = 0;
  if (d !== 0) {
    if (max === r) h = ((g - b) / d) % 6;
    else if (max === g) h = (b - r) / d + 2;
    else h = (r - g) / d + 4;
  }
  const hue = Math.round(h * 60 + 360) % 360;
  const saturation = max === 0 ? 0 : Math.round((d / max) * 100);
  return { hue, saturation };
}

/**
 * Parses a colour: `{hue, saturation}`, `{colorTemp}`, a hex string (`"#ff8800"`, `"ff8800"`,
 * `"#f80"`), a colour name (`"orange"`, `"warm white"`) or a colour temperature (`"2700K"`, `2700`
 * is not a colour: numbers are refused). Ranges of hue and saturation are checked here; the colour
 * temperature range depends on the model and is checked by {@link Light.set}.
 */
export function parseColor(v: unknown): ColorValue {
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    const hex = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/.exec(s);
    if (hex) {
      const digits = hex[1] ?? '';
      const full = digits.length === 3 ? digits.replace(/./g, (c) => c + c) : digits;
      const n = Number.parseInt(full, 16);
      return rgbToHueSaturation((n >> 16) & 255, (n >> 8) & 255, n & 255);
    }
    const kelvin = /^(\d{4,5})\s*k$/.exec(s);
    if (kelvin) return { colorTemp: Number(kelvin[1]) };
    const named = COLOR_NAMES[s.replace(/[\s_-]/g, '')];
    if (named) return { ...named };
    throw inputError('lightColorText', { received: describeValue(v) });
  }
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && v.colorTemp !== undefined) return { colorTemp: wholeNumber(v.colorTemp, 'colorTemp', 1, 100_000) };
    if (keys.length === 2 && v.hue !== undefined && v.saturation !== undefined) {
      return { hue: wholeNumber(v.hue, 'hue', 0, 360), saturation: wholeNumber(v.saturation, 'saturation', 0, 100) };
    }
  }
  throw inputError('lightColorValue', { received: describeValue(v) });
}

function wholeNumber(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw inputError('lightRange', { key, min, max, received: describeValue(v) });
  }
  return v;
}

/** A light command from a message. */
export type LightCommand = { type: 'status' } | { type: 'toggle' } | { type: 'set'; change: LightChange };

const LIGHT_KEYS = ['on', 'brightness', 'color', 'hue', 'saturation', 'colorTemp', 'transition', 'effect'];

/**
 * Parses a light command: `true`/`false`, `"on"`, `"off"`, `"toggle"`, `"status"`, or an object
 * with any of `on`, `brightness`, `color`, `hue`+`saturation`, `colorTemp`, `transition`, `effect`.
 * Everything out of range is refused here with an `Input` error (nothing is sent).
 */
export function parseLightCommand(payload: unknown): LightCommand {
  if (payload === true || payload === false) return { type: 'set', change: { on: payload } };
  if (typeof payload === 'string') {
    const s = payload.trim().toLowerCase();
    if (s === 'on' || s === 'off') return { type: 'set', change: { on: s === 'on' } };
    if (s === 'toggle') return { type: 'toggle' };
    if (s === 'status') return { type: 'status' };
    throw inputError('lightCommand', { received: describeValue(payload) });
  }
  if (!isPlainObject(payload)) throw inputError('lightCommand', { received: describeValue(payload) });
  const unknown = Object.keys(payload).filter((k) => !LIGHT_KEYS.includes(k));
  if (unknown.length > 0) {
    throw inputError('unknownLightKeys', { plural: unknown.length === 1 ? '' : 's', keys: unknown.join(', '), accepted: LIGHT_KEYS.join(', ') });
  }
  const change: LightChange = {};
  const p = payload;
  if (p.on !== undefined) {
    if (typeof p.on !== 'boolean') throw inputError('lightBoolean', { key: 'on', received: describeValue(p.on) });
    change.on = p.on;
  }
  if (p.brightness !== undefined) change.brightness = wholeNumber(p.brightness, 'brightness', 0, 100);
  const colours = [p.color !== undefined, p.hue !== undefined || p.saturation !== undefined, p.colorTemp !== undefined].filter(Boolean).length;
  if (colours > 1) throw inputError('lightColorAndTemp');
  if (p.color !== undefined) Object.assign(change, parseColor(p.color));
  if (p.hue !== undefined || p.saturation !== undefined) {
    if (p.hue === undefined || p.saturation === undefined) throw inputError('lightHueAndSaturation');
    change.hue = wholeNumber(p.hue, 'hue', 0, 360);
    change.saturation = wholeNumber(p.saturation, 'saturation', 0, 100);
  }
  if (p.colorTemp !== undefined) {
    const k = typeof p.colorTemp === 'string' ? parseColor(p.colorTemp) : { colorTemp: wholeNumber(p.colorTemp, 'colorTemp', 1, 100_000) };
    if (!('colorTemp' in k)) throw inputError('lightRange', { key: 'colorTemp', min: 1000, max: 10000, received: describeValue(p.colorTemp) });
    change.colorTemp = k.colorTemp;
  }
  if (p.transition !== undefined) {
    const t = p.transition;
    if (typeof t === 'boolean') change.transition = t;
    else change.transition = wholeNumber(t, 'transition', 0, 3600);
  }
  if (p.effect !== undefined) {
    const e = p.effect;
    if (e === false || (typeof e === 'string' && ['off', 'none', ''].includes(e.trim().toLowerCase()))) change.effect = false;
    else if (typeof e === 'string') change.effect = e;
    else if (isPlainObject(e)) change.effect = checkEffectObject(e as JsonObject);
    else throw inputError('lightEffectValue', { received: describeValue(e) });
  }
  if (Object.keys(change).length === 0) throw inputError('lightNothingToDo');
  return { type: 'set', change };
}
