/**
 * The one reader of reply envelopes (DESIGN.md house rule 4): which error code applies to a reply,
 * how long a lockout lasts, the entries of a batch, rate limits, the camera's tag failure, and
 * whether a request only reads. Facts from ../shared/protocol (errors.md §5 first).
 *
 * Where codes appear (errors.md §5):
 * 1. the top-level `error_code` of every envelope (SMART: `{"error_code":0,"result":{…}}`,
 *    methods-plug.md §1; cameras: camera.md §9);
 * 2. `multipleRequest`: the top-level `error_code` and one per `result.responses[i]`
 *    (methods-plug.md §8, camera.md §9); each entry is an envelope of its own, read with the
 *    same functions;
 * 3. cameras only: a nested `result.data.code`, or a top-level `data.code` (the lockout reply
 *    `{"error_code":-40401,"data":{"code":-40404,"sec_left":1685}}`, camera.md §5 and §10);
 *    {@link replyError} says which one applies;
 * 4. `control_child` (SMART strips, methods-plug.md §9): the child's own envelope in
 *    `result.responseData`, or its first `multipleRequest` entry (Rust form).
 *
 * Lockout seconds come from `sec_left` (cameras: `data`, `result.data`; the TPAP simulator also
 * puts it at `result`) or TPAP's `error_info.lockedMinute` (tpap.md §9), capped at
 * {@link MAX_LOCK_SECONDS}.
 *
 * Every reader takes any JSON value: a reply (or entry, or nested field) that is not an object
 * has no fields, so it carries no code, no seconds and no entries.
 */
import { MAX_LOCK_SECONDS, TapoError, errorFromCode } from './errors';
import type { DeviceFamily, ErrorKind } from './errors';
import { arr, int, isObject, num, obj } from './json';
import type { JsonObject, JsonValue } from './types';

export { MAX_LOCK_SECONDS } from './errors';

/** The top-level code that wraps a camera login refusal whose reason is in `data.code` (errors.md §3). */
const CAMERA_WRAPPER_CODE = -40401;
/** The code of a camera lockout (errors.md §3 DEVICE_BLOCKED), used when only `sec_left` says "locked". */
const DEVICE_BLOCKED = -40404;
/** The `msg` of a camera's `-1` reply to a rejected `Tapo_tag` or `Seq` (camera.md §8, errors.md §3). */
const TAG_FAILED_MSG = 'Check tapo tag failed';

/** The error an envelope reports: the device's code and, for a lockout, the seconds left. */
export interface ReplyError {
  /** The device error code that applies (non-zero). */
  code: number;
  /** Seconds until the lockout ends (capped at {@link MAX_LOCK_SECONDS}); only for a code of kind `Locked`. */
  secondsLeft?: number;
}

/**
 * Which table a code belongs to. TPAP login codes (≤ -40000) are camera-table codes even when a
 * SMART device sends them (tpap.md §3: "lockout codes as in errors.md"); the SMART table has none.
 */
export function codeFamily(family: DeviceFamily, code: number): DeviceFamily {
  return code <= -40000 ? 'camera' : family;
}

/** The {@link ErrorKind} of a device code, from the one table in ./errors. */
export function errorKind(family: DeviceFamily, code: number): ErrorKind {
  return errorFromCode(codeFamily(family, code), code).kind;
}

function nonZeroCode(v: JsonValue | undefined): number | undefined {
  const n = int(v);
  return n !== undefined && n !== 0 ? n : undefined;
}

/** The camera's nested code: `data.code` (top level), else `result.data.code`. */
function nestedCode(reply: JsonObject): number | undefined {
  return nonZeroCode(obj(reply.data).code) ?? nonZeroCode(obj(obj(reply.result).data).code);
}

/** A positive `sec_left` in `data` or `result.data`: pytapo's "temporary suspension" (camera.md §10). */
function suspended(reply: JsonObject): boolean {
  return [obj(reply.data).sec_left, obj(obj(reply.result).data).sec_left].some((s) => {
    const n = num(s);
    return n !== undefined && n > 0;
  });
}

/**
 * The error an envelope reports, or `undefined` when it reports success.
 *
 * SMART: the top-level `error_code`. Cameras also read the nested `data.code` (top level) and
 * `result.data.code`; the envelope fails when any of them is non-zero ("check all three",
 * errors.md §5). When the top-level code and a nested code disagree, the top-level code applies,
 * except:
 * - a nested lockout (kind `Locked`: -40404, -40408) always applies: a lock must never be hidden;
 * - a top-level `-40401` gives way to the nested code: cameras use it as the wrapper of a login
 *   refusal whose reason is nested (-40404 lockout, -40411 bad user name, -40406, -40407,
 *   -60502; errors.md §3, camera.md §5).
 * The top level wins otherwise because the nested code is not stable: a secure step-1 reply
 * carried `-40401` in `data.code` under a top-level `-40413` (camera.md §5 notes).
 *
 * A failed camera envelope with a positive `sec_left` in `data` or `result.data` is a lockout
 * even without a lockout code (camera.md §10, pytapo): its code is then -40404.
 * `secondsLeft` is set (from {@link lockSeconds}) only when the code's kind is `Locked`.
 * Codes are integers, numeric strings included; an unreadable `error_code` counts as absent.
 */
export function replyError(family: DeviceFamily, reply: JsonValue | undefined): ReplyError | undefined {
  if (!isObject(reply)) return undefined;
  const top = nonZeroCode(reply.error_code);
  let code = top;
  if (family === 'camera') {
    const nested = nestedCode(reply);
    if (nested !== undefined && (top === undefined || top === CAMERA_WRAPPER_CODE || errorKind(family, nested) === 'Locked')) {
      code = nested;
    }
    if (code !== undefined && errorKind(family, code) !== 'Locked' && suspended(reply)) code = DEVICE_BLOCKED;
  }
  if (code === undefined) return undefined;
  if (errorKind(family, code) !== 'Locked') return { code };
  const secondsLeft = lockSeconds(reply);
  return secondsLeft !== undefined ? { code, secondsLeft } : { code };
}

function capSeconds(seconds: number): number {
  return Math.min(Math.ceil(seconds), MAX_LOCK_SECONDS);
}

/**
 * How long a lockout lasts, in whole seconds (rounded up), or `undefined` when the reply says
 * nothing usable. Reads `sec_left` at the top level, in `data`, in `result` and in `result.data`
 * (the longest one found wins: waiting too little costs another lock); without one, TPAP's
 * `error_info.lockedMinute` × 60 in the same four places (tpap.md §9). Negative, non-numeric and
 * non-finite values are ignored; anything above {@link MAX_LOCK_SECONDS} is capped to it.
 * Numeric strings count (`"1685"`). This only measures: whether the reply is a lockout is
 * {@link replyError}'s (or {@link lockoutIn}'s) question.
 */
export function lockSeconds(reply: JsonValue | undefined): number | undefined {
  if (!isObject(reply)) return undefined;
  const result = obj(reply.result);
  const places = [reply, obj(reply.data), result, obj(result.data)];
  const valid = (v: JsonValue | undefined): number | undefined => {
    const n = num(v);
    return n !== undefined && n >= 0 ? n : undefined;
  };
  const secLeft = places.map((p) => valid(p.sec_left)).filter((n): n is number => n !== undefined);
  if (secLeft.length > 0) return capSeconds(Math.max(...secLeft));
  for (const p of places) {
    const minutes = valid(obj(p.error_info).lockedMinute);
    if (minutes !== undefined) return capSeconds(minutes * 60);
  }
  return undefined;
}

/**
 * A lockout reported by an envelope: `{code, secondsLeft?}` when the code {@link replyError} picks
 * has kind `Locked` (camera -40404/-40408, also from TPAP on SMART devices), else `undefined`.
 */
export function lockoutIn(family: DeviceFamily, reply: JsonValue | undefined): ReplyError | undefined {
  const failure = replyError(family, reply);
  return failure !== undefined && errorKind(family, failure.code) === 'Locked' ? failure : undefined;
}

/**
 * The entries of a `multipleRequest` reply (`result.responses`), position for position: an entry
 * that is not an object is `undefined` (so positions still match the requests). `[]` when the
 * reply has no `result.responses` array.
 */
export function batchResponses(reply: JsonValue | undefined): (JsonObject | undefined)[] {
  return arr(obj(obj(reply).result).responses).map((r) => (isObject(r) ? r : undefined));
}

/**
 * The entry answering the request at `index`: the entry at that position when it names `method`
 * or names no method (some sub-responses lack `method`, camera.md §9), else the first entry that
 * names `method` (a device may leave entries out). Without `method`, the entry at `index`.
 */
export function responseFor(
  responses: readonly (JsonValue | undefined)[],
  index: number,
  method?: string,
): JsonObject | undefined {
  const at = responses[index];
  if (isObject(at) && (method === undefined || at.method === undefined || at.method === method)) return at;
  if (method === undefined) return undefined;
  return responses.find((r): r is JsonObject => isObject(r) && r.method === method);
}

/**
 * True when the top-level envelope, or one entry of a `multipleRequest` reply, reports a code of
 * kind `RateLimited` (SMART -1301; camera -40109, -52405, -52407, -52419).
 */
export function isRateLimited(family: DeviceFamily, reply: JsonValue | undefined): boolean {
  const rateLimited = (envelope: JsonValue | undefined): boolean => {
    const failure = replyError(family, envelope);
    return failure !== undefined && errorKind(family, failure.code) === 'RateLimited';
  };
  return rateLimited(reply) || batchResponses(reply).some(rateLimited);
}

/**
 * True for the camera's refusal of a request signature: `msg` "Check tapo tag failed" at the top
 * level or in any `result.responses[i]` (camera.md §8, errors.md §3 code -1, field-issues.md §6).
 */
export function isTagFailure(reply: JsonValue | undefined): boolean {
  if (!isObject(reply)) return false;
  if (reply.msg === TAG_FAILED_MSG) return true;
  return batchResponses(reply).some((r) => r?.msg === TAG_FAILED_MSG);
}

/**
 * The {@link TapoError} for a failed envelope (code mapped by ./errors, with `secondsLeft` for a
 * lockout), or `undefined` when it reports success.
 *
 * @param family which device family answered
 * @param reply the envelope (or one batch entry)
 * @param context what was asked, usually the method name (appears in the message)
 */
export function replyFailure(family: DeviceFamily, reply: JsonValue | undefined, context?: string): TapoError | undefined {
  const failure = replyError(family, reply);
  if (failure === undefined) return undefined;
  return errorFromCode(codeFamily(family, failure.code), failure.code, context, failure.secondsLeft);
}

/**
 * Throws the {@link TapoError} for a failed envelope; returns its `result` (or `{}`) on success.
 * A reply that is not a JSON object throws a `Device` error.
 *
 * @param family which error table applies
 * @param reply the envelope as the device sent it
 * @param context what was asked, usually the method name (appears in the message)
 */
export function checkReply(family: DeviceFamily, reply: JsonValue | undefined, context: string): JsonObject {
  if (!isObject(reply)) throw new TapoError('Device', 'replyNotObject', { context });
  const error = replyFailure(family, reply, context);
  if (error) throw error;
  return obj(reply.result);
}

/**
 * The error for a reply that the transport opened (decrypted, authenticated) but that is not an
 * envelope: JSON `null`, an array, a number or a string. The session is sound (the reply decrypted
 * with its keys), so it is kept; the device answered `request` with something no method returns:
 * kind `Device`, as {@link checkReply} says for a non-object, and the request may have acted.
 *
 * @param request the request envelope the device answered (its `method` names it)
 */
export function unexpectedReply(request: JsonObject): TapoError {
  const method = typeof request.method === 'string' ? request.method : '?';
  return new TapoError('Device', 'unexpectedReply', { params: { method } });
}

/**
 * Unwraps a SMART `control_child` reply (methods-plug.md §9): checks the outer envelope, then the
 * child's envelope in `result.responseData` (plain form), then its first `multipleRequest` entry
 * when there is one (the form the Rust client sends), and returns the child's `result`. A missing
 * `responseData` reads as an empty successful envelope.
 *
 * @param reply the outer envelope
 * @param method the child's method (appears in the message)
 */
export function checkChildReply(reply: JsonValue | undefined, method: string): JsonObject {
  const outer = checkReply('smart', reply, `control_child(${method})`);
  const innerResult = checkReply('smart', obj(outer.responseData), method);
  const first = batchResponses(obj(outer.responseData))[0];
  return first !== undefined ? checkReply('smart', first, method) : innerResult;
}

/** SMART reads whose names do not start with `get_`: capability lists (methods-plug.md §2; `qs_component_nego` in the fixtures). */
const SMART_READS_NOT_GET: ReadonlySet<string> = new Set(['component_nego', 'qs_component_nego']);

/**
 * True for the name of a method that only reads: SMART `get_*`, `component_nego` and
 * `qs_component_nego` (methods-plug.md §2–§7), camera style-B `get` and named `get…` methods
 * (`getLensMaskConfig`, `get_audio_config`; camera.md §9).
 */
export function isReadMethod(name: unknown): boolean {
  return typeof name === 'string' && (name === 'get' || /^get[A-Z_]/.test(name) || SMART_READS_NOT_GET.has(name));
}

/**
 * True when a request envelope only reads, so that replaying it is safe (DESIGN.md rule 6), for
 * both families:
 * - its `method` is a read ({@link isReadMethod}): `get_device_info`, `component_nego`,
 *   `{"method":"get","device_info":{…}}`, `getLensMaskConfig`;
 * - `multipleRequest` with a non-empty `params.requests` whose every entry is a read request;
 * - SMART `control_child` whose `params.requestData` is a read request (methods-plug.md §9);
 * - camera hub `controlChild` whose `params.childControl.request_data` is a read request
 *   (camera.md §11).
 * Anything else (`set`, `do`, `set_*`, an empty batch, a non-object) is not a read.
 */
export function isReadRequest(request: JsonValue | undefined): boolean {
  if (!isObject(request)) return false;
  const method = request.method;
  if (isReadMethod(method)) return true;
  const params = obj(request.params);
  switch (method) {
    case 'multipleRequest': {
      const requests = arr(params.requests);
      return requests.length > 0 && requests.every((r) => isReadRequest(r));
    }
    case 'control_child':
      return isReadRequest(params.requestData);
    case 'controlChild':
      return isReadRequest(obj(params.childControl).request_data);
    default:
      return false;
  }
}
