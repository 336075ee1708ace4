/**
 * Wall switches and dimmers (`SMART.TAPOSWITCH`; ../shared/protocol/family.md §4). An on/off
 * switch (S500, S505) is a {@link Plug} to the wire: `set_device_info {device_on}`, countdown,
 * LED, status. A dimmer (S500D, S505D: components `brightness` and `dimmer_calibration`) also
 * takes `set_device_info {"brightness": 1…100}` — the Brightness module python-kasa shares with
 * bulbs (kasa/smart/modules/brightness.py), unlocked by the `brightness` component (family.md §1) —
 * and reports `brightness` in `get_device_info`.
 *
 * Whether a device dims is read from the component list its connection learnt once (SmartFacts,
 * asked in the same batch as the first `get_device_info`): a brightness for a device without
 * `brightness` is refused before anything is set. A brightness does not switch the relay; with
 * `on` it travels in the same `set_device_info`, and the read-back in the same `multipleRequest`.
 */
import { TapoError } from '../protocol/errors';
import type { JsonObject } from '../protocol/types';
import { describeValue, inputError } from './input';
import type { Plug, PlugInfo } from './plug';

/** Lowest brightness a dimmer takes (0 is not a brightness: switch off instead). */
export const MIN_BRIGHTNESS = 1;
/** Highest brightness a dimmer takes. */
export const MAX_BRIGHTNESS = 100;

/** A brightness to set, and optionally the relay state to set with it. */
export interface DimChange {
  /** 1–100. */
  brightness: number;
  /** Switch on or off in the same request. */
  on?: boolean;
}

/**
 * A brightness from user input: a whole number 1–100, or its decimal text (`"40"`); anything else
 * is an `Input` error saying what was received.
 */
export function parseBrightness(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < MIN_BRIGHTNESS || n > MAX_BRIGHTNESS) {
    throw inputError('brightnessValue', { min: MIN_BRIGHTNESS, max: MAX_BRIGHTNESS, received: describeValue(v) });
  }
  return n;
}

/**
 * True when `plug` dims (its component list has `brightness`); false when the list says it does
 * not, undefined when the device refused the list. Costs no request once the list is known.
 */
export async function dims(plug: Plug): Promise<boolean | undefined> {
  const components = await plug.getComponents();
  return components ? components.has('brightness') : undefined;
}

/**
 * Sets a dimmer's brightness (and relay, when `change.on` is given) with one absolute, replayable
 * `set_device_info` and reads the state back in the same round trip where the device batches.
 * A device that does not dim is refused (`Unsupported`, nothing sent).
 */
export async function setBrightness(plug: Plug, change: DimChange): Promise<PlugInfo> {
  const brightness = parseBrightness(change.brightness);
  const dimmable = await dims(plug);
  if (dimmable !== true) {
    throw new TapoError('Unsupported', dimmable === false ? 'noBrightness' : 'noBrightnessUnknown', { hint: 'brightnessModel', sent: false });
  }
  const params: JsonObject = change.on === undefined ? { brightness } : { device_on: change.on, brightness };
  const [, info] = await plug.callAll([
    { method: 'set_device_info', params, idempotent: true },
    { method: 'get_device_info' },
  ]);
  return plug.infoOf(info ?? (await plug.call('get_device_info')));
}
