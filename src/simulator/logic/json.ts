/** Small JSON helpers shared by the simulator's device logic. */
import type { SimJson, SimJsonObject } from '../types';

/** True for a plain JSON object (not an array, not null). */
export function isObject(v: SimJson | undefined): v is SimJsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Keys a client may never name in a write: assigning them would reach an object's prototype
 * (and, through `__proto__` of a plain object, every object in the process).
 */
const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** True for a key that must not be written from client JSON. */
export function isUnsafeKey(key: string): boolean {
  return UNSAFE_KEYS.has(key);
}

/** `obj[key]` when `obj` has it as its own property, else undefined (never an inherited member). */
export function own(obj: SimJsonObject, key: string): SimJson | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Deep copy, so a reply can never alias the simulator's own state or the fixture. */
export function clone<T extends SimJson>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * A device-side method failure carrying the wire `error_code`. Logic handlers throw it; the
 * dispatcher turns it into `{error_code}` (singly) or a failed batch entry.
 */
export class MethodError extends Error {
  /** The code the device puts on the wire. */
  readonly code: number;

  /** `code` is the wire error code; `why` is for simulator debugging only. */
  constructor(code: number, why: string) {
    super(`${why} (${code})`);
    this.code = code;
    this.name = 'MethodError';
  }
}
