/**
 * The light side of a simulated bulb or light strip (L510, L530, L900, L930 …), used by the SMART
 * device logic (plug.ts) for devices whose fixture says they are lights. Follows
 * ../shared/protocol/family.md §2, §3 and §11.
 *
 * - `set_device_info` light keys: `brightness` 1–100, `hue` 0–360 with `saturation` 0–100 (the
 *   `color` component), `color_temp` in kelvin within `color_temp_range` (the
 *   `color_temperature` component) or 0 with a colour. A colour sets `color_temp` to 0 (§2.3, §11);
 *   a colour temperature alone leaves hue and saturation as they were, `color_temp` ≠ 0 is what
 *   says the light is white. A colour or a colour temperature stops a running effect
 *   [inferred]; a brightness does not.
 * - `set_lighting_effect` (`light_strip_lighting_effect`): a whole effect object is stored and
 *   answered by `get_lighting_effect`, its summary by `get_device_info.lighting_effect` (§3.3);
 *   `{brightness, bAdjusted: true}` changes the brightness of the stored effect only.
 * - `set_on_off_gradually_info` (`on_off_gradually`): v1 `{enable}`, v2+ `{on_state, off_state}`
 *   sides, each `{enable?, duration?}` with the duration up to `max_duration` (60 when absent).
 *
 * Invalid values answer -1008 (params error, family.md §10: the facts give no more specific code
 * for a light); a method whose component the light lacks answers -1002 (unknown method).
 */
import type { SimJson, SimJsonObject } from '../types';
import { MethodError, clone, isObject } from './json';

const UNKNOWN_METHOD = -1002;
const PARAMS_ERROR = -1008;
const DEFAULT_MAX_GRADUAL = 60;
const SUMMARY_KEYS = ['brightness', 'custom', 'display_colors', 'enable', 'id', 'name'];

/** Light state for assertions. */
export interface LightSimState {
  brightness: number;
  hue?: number;
  saturation?: number;
  colorTemp?: number;
  /** The stored strip effect's id, name and whether it runs. */
  effect?: { id: string; name: string; enabled: boolean };
  /** The gradual on/off setting as the device stores it. */
  gradual?: SimJsonObject;
}

function wholeIn(v: SimJson | undefined, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** The light of a simulated bulb or strip; the device logic hands it the light's methods and keys. */
export class LightLogic {
  /** Methods this logic answers itself. */
  static readonly METHODS: ReadonlySet<string> = new Set(['get_lighting_effect', 'set_lighting_effect', 'set_on_off_gradually_info']);
  /** `set_device_info` keys that belong to the light. */
  static readonly KEYS: ReadonlySet<string> = new Set(['brightness', 'hue', 'saturation', 'color_temp']);

  private readonly captured: SimJsonObject;
  private readonly info: SimJsonObject;
  private readonly components: ReadonlyMap<string, number>;

  /** A light's logic over the fixture's own (live) `captured` dump and `info` (its `get_device_info`). */
  constructor(captured: SimJsonObject, info: SimJsonObject, components: ReadonlyMap<string, number>) {
    this.captured = captured;
    this.info = info;
    this.components = components;
  }

  /** True when a fixture is a bulb or light strip (family.md §1). */
  static isLight(info: SimJsonObject, components: ReadonlyMap<string, number>): boolean {
    const type = typeof info.type === 'string' ? info.type : '';
    return components.has('light_strip') || /BULB/i.test(type);
  }

  /** Live state for assertions. */
  get state(): LightSimState {
    const s: LightSimState = { brightness: typeof this.info.brightness === 'number' ? this.info.brightness : 0 };
    if (typeof this.info.hue === 'number') s.hue = this.info.hue;
    if (typeof this.info.saturation === 'number') s.saturation = this.info.saturation;
    if (typeof this.info.color_temp === 'number') s.colorTemp = this.info.color_temp;
    const effect = this.captured.get_lighting_effect;
    if (isObject(effect)) {
      s.effect = { id: String(effect.id ?? ''), name: String(effect.name ?? ''), enabled: effect.enable === 1 };
    }
    if (isObject(this.captured.get_on_off_gradually_info)) s.gradual = clone(this.captured.get_on_off_gradually_info);
    return s;
  }

  /**
   * Checks the light keys of a `set_device_info` and returns what applies them (called only once
   * every key of the request was checked, so a refused request changes nothing).
   */
  prepare(params: SimJsonObject): () => void {
    const has = (k: string): boolean => Object.hasOwn(params, k);
    if (has('brightness') && (!this.components.has('brightness') || !wholeIn(params.brightness, 1, 100))) {
      throw new MethodError(PARAMS_ERROR, 'brightness must be 1-100');
    }
    const colour = has('hue') || has('saturation');
    if (colour) {
      if (!this.components.has('color')) throw new MethodError(PARAMS_ERROR, 'no colour');
      if (has('hue') && !wholeIn(params.hue, 0, 360)) throw new MethodError(PARAMS_ERROR, 'hue must be 0-360');
      if (has('saturation') && !wholeIn(params.saturation, 0, 100)) throw new MethodError(PARAMS_ERROR, 'saturation must be 0-100');
    }
    if (has('color_temp')) {
      const k = params.color_temp;
      const range = Array.isArray(this.info.color_temp_range) ? this.info.color_temp_range : [2500, 6500];
      const min = typeof range[0] === 'number' ? range[0] : 2500;
      const max = typeof range[1] === 'number' ? range[1] : 6500;
      const ok = this.components.has('color_temperature') && (k === 0 ? colour || this.components.has('color') : wholeIn(k, min, max));
      if (!ok) throw new MethodError(PARAMS_ERROR, `color_temp must be ${min}-${max}`);
    }
    return () => {
      if (has('brightness')) this.info.brightness = params.brightness as number;
      if (has('hue')) this.info.hue = params.hue as number;
      if (has('saturation')) this.info.saturation = params.saturation as number;
      if (colour) this.info.color_temp = 0;
      else if (has('color_temp')) this.info.color_temp = params.color_temp as number;
      if (colour || has('color_temp')) this.stopEffects();
    };
  }

  /** Answers one of {@link LightLogic.METHODS}. */
  dispatch(method: string, params: SimJsonObject): SimJsonObject | undefined {
    switch (method) {
      case 'get_lighting_effect':
        if (!this.components.has('light_strip_lighting_effect') || !isObject(this.captured.get_lighting_effect)) {
          throw new MethodError(UNKNOWN_METHOD, method);
        }
        return clone(this.captured.get_lighting_effect);
      case 'set_lighting_effect':
        this.setEffect(params);
        return undefined;
      case 'set_on_off_gradually_info':
        this.setGradual(params);
        return undefined;
      default:
        throw new MethodError(UNKNOWN_METHOD, method);
    }
  }

  private setEffect(params: SimJsonObject): void {
    if (!this.components.has('light_strip_lighting_effect')) throw new MethodError(UNKNOWN_METHOD, 'set_lighting_effect');
    const stored = isObject(this.captured.get_lighting_effect) ? this.captured.get_lighting_effect : {};
    if (params.bAdjusted === true) {
      if (!wholeIn(params.brightness, 1, 100)) throw new MethodError(PARAMS_ERROR, 'brightness must be 1-100');
      stored.brightness = params.brightness;
    } else {
      const ok =
        typeof params.id === 'string' &&
        typeof params.name === 'string' &&
        typeof params.type === 'string' &&
        ['sequence', 'random', 'pulse', 'static'].includes(params.type) &&
        Array.isArray(params.display_colors) &&
        wholeIn(params.brightness, 1, 100) &&
        (params.enable === 0 || params.enable === 1);
      if (!ok) throw new MethodError(PARAMS_ERROR, 'set_lighting_effect needs a whole effect object');
      this.captured.get_lighting_effect = clone(params);
    }
    const effect = this.captured.get_lighting_effect as SimJsonObject;
    const summary: SimJsonObject = {};
    for (const k of SUMMARY_KEYS) if (effect[k] !== undefined) summary[k] = clone(effect[k] as SimJson);
    this.info.lighting_effect = summary;
  }

  private setGradual(params: SimJsonObject): void {
    const version = this.components.get('on_off_gradually');
    const current = this.captured.get_on_off_gradually_info;
    if (version === undefined || !isObject(current)) throw new MethodError(UNKNOWN_METHOD, 'set_on_off_gradually_info');
    if (version === 1) {
      if (typeof params.enable !== 'boolean' || Object.keys(params).length !== 1) throw new MethodError(PARAMS_ERROR, 'enable must be boolean');
      current.enable = params.enable;
      return;
    }
    const sides = Object.keys(params);
    if (sides.length === 0 || sides.some((k) => k !== 'on_state' && k !== 'off_state')) throw new MethodError(PARAMS_ERROR, 'on_state/off_state');
    const updates: [SimJsonObject, SimJsonObject][] = [];
    for (const k of sides) {
      const side = params[k];
      const target = isObject(current[k]) ? (current[k] as SimJsonObject) : {};
      const max = typeof target.max_duration === 'number' ? target.max_duration : DEFAULT_MAX_GRADUAL;
      if (!isObject(side)) throw new MethodError(PARAMS_ERROR, `${k} must be an object`);
      if (side.enable !== undefined && typeof side.enable !== 'boolean') throw new MethodError(PARAMS_ERROR, 'enable must be boolean');
      if (side.duration !== undefined && !wholeIn(side.duration, 1, max)) throw new MethodError(PARAMS_ERROR, `duration must be 1-${max}`);
      current[k] = target;
      updates.push([target, side]);
    }
    for (const [target, side] of updates) {
      if (side.enable !== undefined) target.enable = side.enable;
      if (side.duration !== undefined) target.duration = side.duration;
    }
  }

  private stopEffects(): void {
    const summary = this.info.lighting_effect;
    if (isObject(summary) && summary.enable === 1) {
      summary.enable = 0;
      const stored = this.captured.get_lighting_effect;
      if (isObject(stored)) stored.enable = 0;
    }
    if (this.info.dynamic_light_effect_enable === true) this.info.dynamic_light_effect_enable = false;
  }
}
