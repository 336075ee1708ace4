/**
 * The one reader of JSON values as devices send them (DESIGN.md house rule 4: "one reads JSON
 * values"). Every helper has one meaning, whatever layer calls it:
 *
 * - absent, `null` and values of the wrong type read as "nothing" (`undefined`, or the empty
 *   object / array for {@link obj} and {@link arr}, so that a path can be followed without checks);
 * - cameras send numbers and switches as strings (`"digital_sensitivity":"50"`,
 *   `"position_pan_range":["-1.000000","1.000000"]`, `"enabled":"on"`, `"absolute_move_supported":"1"`
 *   in the C210 fixtures; ../shared/fixtures/smartcam), so {@link num} reads decimal strings and
 *   {@link bool} reads `"on"`/`"off"` and `"1"`/`"0"`;
 * - SMART devices send JSON numbers and booleans (`"device_on":true`), which read as themselves.
 *
 * Nothing here throws: a caller that needs a value turns `undefined` into its own error.
 */
import type { JsonObject, JsonValue } from './types';

/** Decimal notation, as JSON writes numbers (sign, digits, fraction, exponent); no hex, no `Infinity`. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The JSON value of a whole text (a reply body, a decrypted payload), or `undefined` when the text
 * is not JSON. `null`, arrays, numbers and strings are JSON values too: a caller that needs an
 * envelope checks {@link isObject}, so that "not JSON" and "JSON, but not an object" stay apart.
 */
export function parseJson(text: string | Buffer): JsonValue | undefined {
  try {
    return JSON.parse(typeof text === 'string' ? text : text.toString('utf8')) as JsonValue;
  } catch {
    return undefined;
  }
}

/** True when `v` is a JSON object: not an array, not `null`. */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * `v` as an object, or a new empty object when it is anything else (absent, `null`, an array, a
 * string ...). Lets a reader follow a path (`obj(obj(reply.result).data).code`) without checks;
 * use {@link objOrUndefined} where "is there an object" matters.
 */
export function obj(v: JsonValue | undefined): JsonObject {
  return isObject(v) ? v : {};
}

/** `v` as an object, or `undefined` when it is anything else. */
export function objOrUndefined(v: JsonValue | undefined): JsonObject | undefined {
  return isObject(v) ? v : undefined;
}

/** `v` as an array, or a new empty array when it is anything else. */
export function arr(v: JsonValue | undefined): JsonValue[] {
  return Array.isArray(v) ? v : [];
}

/** `v` as a string: strings as they are, finite numbers in JavaScript's notation (`80` ⇒ `"80"`); else `undefined`. */
export function str(v: JsonValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/**
 * `v` as a finite number: JSON numbers, and strings in decimal notation with optional surrounding
 * white space (`"80"`, `"-40401"`, `"-1.000000"`, as cameras send them). Booleans, empty strings,
 * hex (`"0x10"`), `"Infinity"` and everything else read as `undefined`.
 */
export function num(v: JsonValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (!DECIMAL.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** `v` as an integer: a {@link num} with no fractional part (`"5000"`, `5000`, `"5000.0"`); else `undefined`. */
export function int(v: JsonValue | undefined): number | undefined {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

/**
 * `v` as a boolean: JSON booleans, the cameras' `"on"`/`"off"` and `"1"`/`"0"`, and the numbers
 * `1`/`0` (SMART `dac: 0` in a TPAP discover reply, tpap.md §2). Anything else is `undefined`.
 */
export function bool(v: JsonValue | undefined): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'on' || v === '1' || v === 1) return true;
  if (v === 'off' || v === '0' || v === 0) return false;
  return undefined;
}
