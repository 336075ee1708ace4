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

/**
 * `JSON.parse` of the first JSON value in `text`, ignoring whatever follows it. Firmware parses
 * request bodies with cJSON, which stops at the end of the first value, so a body such as
 * `{"method":"get_device_info"};` (ioBroker.tapo adds the `;`) is answered as if the `;` were not
 * there. Leading JSON whitespace is allowed, as `JSON.parse` allows it. Throws the `SyntaxError`
 * of `JSON.parse` when `text` does not begin with a valid JSON value.
 */
export function parseFirstJsonValue(text: string): unknown {
  const end = endOfFirstJsonValue(text);
  return JSON.parse(end === undefined ? text : text.slice(0, end));
}

/**
 * The index just past the first JSON value in `text` (leading JSON whitespace is skipped), or
 * undefined when no value starts there or it never ends: nothing but whitespace, an unterminated
 * string or container, a word other than `true`/`false`/`null`, a `-` without digits. Strings and
 * their escapes are stepped over, so brackets and quotes inside them do not count. An object or
 * array is matched by bracket depth only: what lies between its brackets is left to `JSON.parse`
 * of the slice, which throws for a malformed one.
 */
export function endOfFirstJsonValue(text: string): number | undefined {
  let i = 0;
  while (i < text.length && isJsonWhitespace(text[i])) i += 1;
  const first = text[i];
  if (first === '"') return endOfString(text, i);
  if (first === '{' || first === '[') return endOfContainer(text, i);
  for (const word of ['true', 'false', 'null']) if (text.startsWith(word, i)) return i + word.length;
  return endOfNumber(text, i);
}

function isJsonWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** `start` is at the opening quote; the index just past the closing one. */
function endOfString(text: string, start: number): number | undefined {
  for (let i = start + 1; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\\') i += 1; // the escaped character, whatever it is, cannot close the string
    else if (c === '"') return i + 1;
  }
  return undefined;
}

/** `start` is at `{` or `[`; the index just past the bracket that brings the depth back to 0. */
function endOfContainer(text: string, start: number): number | undefined {
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (c === '"') {
      const end = endOfString(text, i);
      if (end === undefined) return undefined;
      i = end - 1;
    } else if (c === '{' || c === '[') {
      depth += 1;
    } else if (c === '}' || c === ']') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

/** RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, as long as it goes. */
function endOfNumber(text: string, start: number): number | undefined {
  let i = start;
  if (text[i] === '-') i += 1;
  if (text[i] === '0') {
    i += 1;
  } else if (isDigit(text[i])) {
    while (isDigit(text[i])) i += 1;
  } else {
    return undefined;
  }
  if (text[i] === '.' && isDigit(text[i + 1])) {
    i += 1;
    while (isDigit(text[i])) i += 1;
  }
  if (text[i] === 'e' || text[i] === 'E') {
    let j = i + 1;
    if (text[j] === '+' || text[j] === '-') j += 1;
    if (isDigit(text[j])) {
      while (isDigit(text[j])) j += 1;
      i = j;
    }
  }
  return i;
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
