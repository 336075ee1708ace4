/**
 * Wall switches and dimmers (`SMART.TAPOSWITCH`: S500, S505, S500D, S505D; ../shared/protocol/
 * family.md §4) behind the SMART logic of ./plug.ts. An on/off switch is a plug to the wire; a
 * dimmer (component `brightness`, with `dimmer_calibration`) also keeps a live `brightness` in
 * `get_device_info` and takes `set_device_info {"brightness": 1…100}` (the Brightness module
 * python-kasa shares with bulbs, kasa/smart/modules/brightness.py). A brightness does not switch
 * the relay: `device_on` is its own key, and the two may travel in one `set_device_info`.
 */
import type { SimJson } from '../types';
import { MethodError } from './json';

const PARAMS_ERROR = -1008;

/** Lowest brightness a dimmer takes (0 is refused; switch off with `device_on: false`). */
export const MIN_BRIGHTNESS = 1;
/** Highest brightness a dimmer takes. */
export const MAX_BRIGHTNESS = 100;

/** True when a component list makes the device dimmable (`brightness`, family.md §1). */
export function isDimmable(components: ReadonlySet<string>): boolean {
  return components.has('brightness');
}

/** The brightness of a `set_device_info`, or -1008 (PARAMS_ERROR) when it is not a whole number 1…100. */
export function checkBrightness(value: SimJson | undefined): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_BRIGHTNESS || value > MAX_BRIGHTNESS) {
    throw new MethodError(PARAMS_ERROR, `brightness must be a whole number ${MIN_BRIGHTNESS}..${MAX_BRIGHTNESS}`);
  }
  return value;
}
