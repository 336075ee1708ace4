/**
 * Reading reply envelopes: turns a device's error codes into {@link TapoError}s and gives the
 * verbs small, typed accessors over untyped JSON.
 *
 * Where codes appear (../shared/protocol/errors.md §5):
 * 1. the top-level `error_code` of every reply envelope;
 * 2. for `multipleRequest`, one `error_code` per entry of `result.responses`;
 * 3. cameras only: a nested `result.data.code` or a top-level `data.code` (a lockout reply is
 *    `-40401` with `data.code` `-40404` and `data.sec_left`). The nested code is the more specific
 *    one, so it wins when both are present.
 * 4. `control_child` (SMART strips): the child's own envelope in `result.responseData`.
 */
import { TapoError, errorFromCode } from '../protocol/errors';
import type { DeviceFamily } from '../protocol/errors';
import type { JsonObject, JsonValue } from '../protocol/types';

/** True when `v` is a JSON object (not an array, not null). */
export function isObject(v: JsonValue | undefined | unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `v` as an object, or an empty object when it is anything else. */
export function obj(v: JsonValue | undefined): JsonObject {
  return isObject(v) ? v : {};
}

/** `v` as an array, or an empty array. */
export function arr(v: JsonValue | undefined): JsonValue[] {
  return Array.isArray(v) ? v : [];
}

/** `v` as a string (numbers are stringified), or undefined. */
export function str(v: JsonValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** `v` as a finite number (numeric strings are parsed: cameras send numbers as strings), or undefined. */
export function num(v: JsonValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

/** `v` as a boolean: JSON booleans, and the cameras' `"on"`/`"off"` and `"1"`/`"0"`. */
export function bool(v: JsonValue | undefined): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'on' || v === '1' || v === 1) return true;
  if (v === 'off' || v === '0' || v === 0) return false;
  return undefined;
}

function nonZero(v: JsonValue | undefined): number | undefined {
  const n = num(v);
  return n !== undefined && n !== 0 ? n : undefined;
}

/**
 * The error code an envelope carries, or undefined when it reports success.
 * For cameras the nested `data.code` / `result.data.code` is preferred (it is the specific one).
 */
export function replyCode(family: DeviceFamily, reply: JsonObject): { code: number; secondsLeft?: number } | undefined {
  const top = nonZero(reply.error_code);
  if (family === 'camera') {
    const data = isObject(reply.data) ? reply.data : obj(obj(reply.result).data);
    const nested = nonZero(data.code);
    const secLeft = num(data.sec_left);
    const code = nested ?? top;
    if (code === undefined) return undefined;
    return secLeft !== undefined ? { code, secondsLeft: secLeft } : { code };
  }
  return top === undefined ? undefined : { code: top };
}

/**
 * Throws the {@link TapoError} for a failed envelope; returns `result` (or `{}`) on success.
 *
 * @param family which error table applies
 * @param reply the envelope as the device sent it
 * @param context what was asked, usually the method name (appears in the message)
 */
export function checkReply(family: DeviceFamily, reply: JsonObject, context: string): JsonObject {
  const failure = replyCode(family, reply);
  if (failure) throw errorFromCode(family, failure.code, context, failure.secondsLeft);
  return obj(reply.result);
}

/**
 * Unwraps a `control_child` reply: checks the outer envelope, then the child's envelope in
 * `result.responseData` (plain form), or its first `multipleRequest` entry (the form the Rust
 * client sends), and returns the child's `result`.
 */
export function checkChildReply(reply: JsonObject, method: string): JsonObject {
  const outer = checkReply('smart', reply, `control_child(${method})`);
  const inner = obj(outer.responseData);
  const innerResult = checkReply('smart', inner, method);
  const responses = innerResult.responses;
  if (Array.isArray(responses) && responses.length > 0 && isObject(responses[0])) {
    return checkReply('smart', responses[0], method);
  }
  return innerResult;
}

/** A reply that lacks a field the verb needs. */
export function malformed(context: string, what: string): TapoError {
  return new TapoError('Device', `${context}: the reply has no usable ${what}`);
}
