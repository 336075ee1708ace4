/**
 * What the payload parsers share (src/devices/parse.ts, and the camera setting rows of
 * src/devices/camera-settings.ts): `Input` errors that say what was received and what is accepted.
 * It imports no parser, so both can use it.
 */
import { TapoError } from '../protocol/errors';
import type { ReasonKey } from '../protocol/reasons';

/** A short, safe description of a value for an error message (never a long or nested value). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (undefined)';
  if (v === null) return 'null';
  if (typeof v === 'string') return v.length <= 24 ? `the string "${v}"` : `a string of ${v.length} characters`;
  if (typeof v === 'number' || typeof v === 'boolean') return `the ${typeof v} ${String(v)}`;
  if (Array.isArray(v)) return `an array of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (Buffer.isBuffer(v)) return `a Buffer of ${v.length} bytes`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object);
    const shown = keys.slice(0, 6).join(', ') + (keys.length > 6 ? ', …' : '');
    return keys.length === 0 ? 'an empty object' : `an object with keys ${shown}`;
  }
  return `a ${typeof v}`;
}

/** An `Input` error of the payload parsers: nothing was sent. */
export function inputError(reason: ReasonKey, params: Record<string, string | number> = {}): TapoError {
  return new TapoError('Input', reason, { params, sent: false });
}

/** True for an object that is not an array or a Buffer. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

/** Whose keys {@link checkKeys} refuses: a plug command, a camera action, or the value of camera key `key`. */
export type KeysOf = { of: 'plugCommand' } | { of: 'cameraAction' } | { of: 'cameraKey'; key: string };

const UNKNOWN_KEYS = { plugCommand: 'unknownPlugKeys', cameraAction: 'unknownCameraActionKeys', cameraKey: 'unknownCameraKeys' } as const;

/** Refuses keys of `o` outside `allowed`, naming the accepted ones. */
export function checkKeys(o: Record<string, unknown>, allowed: readonly string[], whose: KeysOf): void {
  const unknown = Object.keys(o).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw inputError(UNKNOWN_KEYS[whose.of], {
      ...(whose.of === 'cameraKey' ? { key: whose.key } : {}),
      plural: unknown.length === 1 ? '' : 's',
      keys: unknown.join(', '),
      accepted: allowed.join(', '),
    });
  }
}

/** A whole number from `min` to `max` (a number or its text), or an `Input` error naming `key`. */
export function numberValue(v: unknown, key: string, min: number, max: number, maxInclusive: boolean): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  const inRange = n >= min && (maxInclusive ? n <= max : n < max);
  if (!Number.isInteger(n) || !inRange) {
    throw inputError(maxInclusive ? 'cameraWholeNumber' : 'cameraWholeNumberBelow', { key, min, max, received: describeValue(v) });
  }
  return n;
}
