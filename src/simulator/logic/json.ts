/** Small JSON helpers shared by the simulator's device logic. */
import type { SimJson, SimJsonObject } from '../types';

/** True for a plain JSON object (not an array, not null). */
export function isObject(v: SimJson | undefined): v is SimJsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
