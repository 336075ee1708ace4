/**
 * The D100C chime (`SMART.TAPOCHIME`, SMART protocol on HTTP 80; ../shared/protocol/family.md §9):
 * ringing it. `play_alarm {alarm_duration, alarm_type, alarm_volume}` with pytapo's key names (the
 * ones with user confirmation; ioBroker.tapo's `type`/`volume`/`duration` are not used); only the
 * keys the user gave are sent. pytapo checks a volume of 1–15 (sent as a string) and a duration of
 * 0 or 5–30 s; the same checks refuse a bad value here before anything is sent.
 *
 * The device is checked to be a chime first (`get_device_info.type`): an H100 hub also answers
 * `play_alarm`, with its siren, which a chime ring must never set off.
 */
import { TapoError } from '../protocol/errors';
import type { JsonObject, JsonValue } from '../protocol/types';
import type { Requester } from './requester';
import { str } from './check';
import { SmartDevice } from './smart';
import type { SmartOptions } from './smart';

/** How to ring. */
export interface ChimeRing {
  /** A sound of the chime's list (`get_support_alarm_type_list`), e.g. `Doorbell Ring 1`. */
  sound?: string;
  /** 1–15. */
  volume?: number;
  /** 0 (once) or 5–30 s. */
  duration?: number;
}

/** What a ring answers. */
export interface ChimeRingResult extends ChimeRing {
  rang: true;
  model: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The ring a payload asks for: `{chime: "ring"}` or `{chime: {ring: true, sound, volume,
 * duration}}`; undefined when the payload is not about a chime. A bad value is an `Input` error.
 */
export function chimeAction(payload: unknown): ChimeRing | undefined {
  if (!isObject(payload) || !Object.hasOwn(payload, 'chime')) return undefined;
  const value = payload.chime;
  if (value === 'ring') return {};
  if (!isObject(value) || value.ring !== true) {
    throw new TapoError('Input', 'chimeBadAction', { params: { value: JSON.stringify(value)?.slice(0, 40) ?? String(value) }, sent: false });
  }
  const ring: ChimeRing = {};
  if (value.sound !== undefined) {
    if (typeof value.sound !== 'string' || value.sound.trim() === '') throw new TapoError('Input', 'chimeBadAction', { params: { value: JSON.stringify(value.sound) }, sent: false });
    ring.sound = value.sound;
  }
  if (value.volume !== undefined) {
    if (typeof value.volume !== 'number' || !Number.isInteger(value.volume) || value.volume < 1 || value.volume > 15) {
      throw new TapoError('Input', 'chimeBadVolume', { params: { value: JSON.stringify(value.volume) }, sent: false });
    }
    ring.volume = value.volume;
  }
  if (value.duration !== undefined) {
    const d = value.duration;
    if (typeof d !== 'number' || !Number.isInteger(d) || (d !== 0 && (d < 5 || d > 30))) {
      throw new TapoError('Input', 'chimeBadDuration', { params: { value: JSON.stringify(d) }, sent: false });
    }
    ring.duration = d;
  }
  return ring;
}

class ChimeDevice extends SmartDevice {
  info(): Promise<JsonObject> {
    return this.deviceInfo();
  }
}

/** Rings a D100C (a read of its type, then `play_alarm`; the ring is never repeated). */
export async function ringChime(requester: Requester, ring: ChimeRing, options: SmartOptions = {}): Promise<ChimeRingResult> {
  const device = new ChimeDevice(requester, options);
  const info = await device.info();
  const type = str(info.type) ?? '';
  if (!/CHIME/i.test(type)) throw new TapoError('Input', 'notChime', { params: { type: type || '?' }, sent: false });
  const params: { [k: string]: JsonValue } = {};
  if (ring.duration !== undefined) params.alarm_duration = ring.duration;
  if (ring.sound !== undefined) params.alarm_type = ring.sound;
  if (ring.volume !== undefined) params.alarm_volume = String(ring.volume);
  await device.call('play_alarm', params, false);
  return { rang: true, model: str(info.model) ?? '', ...ring };
}
