/**
 * What every SMART device (plug, power strip, strip socket) shares: one method call, several calls
 * in the fewest round trips, the component list, the LED, and the facts learnt about the device
 * that its connection keeps (methods-plug.md; DESIGN.md rule 5).
 *
 * Batching (methods-plug.md §8, field-issues.md §10): several methods travel in one
 * `multipleRequest` where the device takes one. Whether it does is learnt from the first batch of
 * a connection and remembered in {@link SmartFacts}: a batch refused as a whole (-1003 on some
 * P100 units, or any other top-level code) is sent again one method at a time, and every later
 * call goes one by one. A power strip is never sent a second batch (a P300 on 1.0.7 never answers
 * one, python-kasa PR #1759). The device stops at the first failing entry; the entries after it
 * were not carried out and are sent again in a new round.
 */
import { randomUUID } from 'node:crypto';
import { TapoError, errorFromCode } from '../protocol/errors';
import type { JsonObject, JsonValue } from '../protocol/types';
import type { LightFacts } from './light';
import type { Requester } from './requester';
import { arr, checkReply, isReadMethod, malformed, num, obj, replyError, replyFailure, responseFor, str } from './check';

/** What a connection learns about a SMART device once and keeps for its lifetime. */
export interface SmartFacts {
  /** `component_nego` ids and versions; null when the device refuses the list; undefined until asked. */
  components?: Map<string, number> | null;
  /** Whether the device takes `multipleRequest`; undefined until the first batch. */
  batching?: boolean;
  /** Whether the device is a power strip addressed as a whole; undefined until learnt. */
  strip?: boolean;
  /** Whether the device is a hub (its children are sensors, not sockets); learnt with `strip`. */
  hub?: boolean;
  /** A strip's sockets by position and by id, from the last child list read (ids never change). */
  sockets?: { position: number; deviceId: string }[];
  /** What was learnt about each socket of a strip, by child id. */
  children?: Map<string, SmartFacts>;
  /** Whether the device is a bulb or light strip, and its model (to say so); undefined until learnt (light.ts). */
  light?: LightFacts;
}

/** One method of a batch. */
export interface SmartCall {
  method: string;
  params?: JsonObject;
  /** A failure leaves the result undefined instead of throwing (e.g. `component_nego` on a device that refuses it). */
  optional?: boolean;
  /** Safe to send twice (a read, or a set to an absolute state); default: reads only. */
  idempotent?: boolean;
}

/** True when sending `call` twice has the same effect as sending it once. */
function idempotentCall(call: SmartCall): boolean {
  return call.idempotent ?? isReadMethod(call.method);
}

/** Options shared by every SMART device object. */
export interface SmartOptions {
  /** `terminal_uuid` sent in each envelope (default: a random id per object). */
  terminalUuid?: string;
  /** Wall clock in ms for `request_time_milis` (default `Date.now`). */
  now?: () => number;
  /** What the connection learnt about the device; shared by every object made for it. */
  facts?: SmartFacts;
  /** A `get_device_info` result read in the same operation, used once instead of asking again. */
  primedInfo?: JsonObject;
}

/** Most entries sent in one `multipleRequest` (python-kasa sends at most 5, methods-plug.md §8). */
const MAX_BATCH = 5;

/**
 * The kinds of a device's refusal (of a method, its parameters or a batch as a whole), as opposed to
 * a session, login or rate-limit answer: a component list refused, a batch to send one by one.
 */
export const REFUSAL_KINDS: readonly string[] = ['Device', 'Unsupported', 'Input'];

/** A SMART device reached through a {@link Requester}. */
export class SmartDevice {
  /** The facts shared with every other object of this device's connection. */
  readonly facts: SmartFacts;
  /** The `terminal_uuid` of every envelope this object sends. */
  readonly terminalUuid: string;
  protected readonly requester: Requester;
  protected readonly now: () => number;
  private primedInfo: JsonObject | undefined;

  constructor(requester: Requester, options: SmartOptions = {}) {
    this.requester = requester;
    this.terminalUuid = options.terminalUuid ?? randomUUID().replace(/-/g, '').toUpperCase();
    this.now = options.now ?? Date.now;
    this.facts = options.facts ?? {};
    this.primedInfo = options.primedInfo;
  }

  /**
   * Sends one method and returns its checked `result` (`{}` when the device sent none).
   * Reads are marked idempotent unless told otherwise.
   */
  async call(method: string, params?: JsonObject, idempotent: boolean = isReadMethod(method)): Promise<JsonObject> {
    const reply = await this.requester.request(this.envelope(params === undefined ? { method } : { method, params }), { idempotent });
    return checkReply('smart', reply, method);
  }

  /**
   * Sends `calls` in order in the fewest round trips and returns their results in order: one
   * `multipleRequest` where the device takes one, one request each otherwise. The first failing
   * required entry is thrown (the entries before it were carried out, those after it were not);
   * a failing optional entry yields undefined.
   */
  async callAll(calls: readonly SmartCall[]): Promise<(JsonObject | undefined)[]> {
    if (calls.length === 1 || !this.canBatch()) return this.oneByOne(calls);
    const idempotent = calls.every(idempotentCall);
    const results = new Array<JsonObject | undefined>(calls.length).fill(undefined);
    let pending = calls.map((_, i) => i);
    while (pending.length > 0) {
      const chunk = pending.slice(0, MAX_BATCH);
      const requests: JsonValue[] = chunk.map((i): JsonObject => {
        const c = calls[i] as SmartCall;
        return c.params === undefined ? { method: c.method } : { method: c.method, params: c.params };
      });
      const reply = await this.requester.request(this.envelope({ method: 'multipleRequest', params: { requests } }), { idempotent });
      const top = replyError('smart', reply);
      if (top !== undefined && this.facts.batching !== true && REFUSAL_KINDS.includes(errorFromCode('smart', top.code).kind)) {
        // Refused as a whole before any entry ran (-1003 on some P100s): one by one from now on.
        this.facts.batching = false;
        const rest = await this.oneByOne(pending.map((i) => calls[i] as SmartCall));
        pending.forEach((i, k) => {
          results[i] = rest[k];
        });
        return results;
      }
      const responses = arr(checkReply('smart', reply, 'multipleRequest').responses);
      this.facts.batching = true;
      const answered = new Set<number>();
      for (const [pos, index] of chunk.entries()) {
        const c = calls[index] as SmartCall;
        const resp = responseFor(responses, pos, c.method);
        if (!resp) break;
        answered.add(index);
        const failure = replyFailure('smart', resp, c.method);
        if (failure === undefined) {
          results[index] = obj(resp.result);
          continue;
        }
        if (!c.optional) throw failure;
        // The device stops at the first failing entry: the rest go out again in the next round.
        break;
      }
      if (answered.size === 0) {
        throw new TapoError('Device', 'batchUnanswered', {
          context: 'multipleRequest',
          params: { methods: chunk.map((i) => calls[i]?.method).join(', ') },
        });
      }
      pending = pending.filter((i) => !answered.has(i));
    }
    return results;
  }

  /** Component ids and versions from `component_nego`, asked once per connection; null when the device refuses it. */
  async getComponents(): Promise<Map<string, number> | null> {
    if (this.facts.components === undefined) {
      const [result] = await this.callAll([{ method: 'component_nego', optional: true }]);
      this.learnComponents(result);
    }
    return this.facts.components ?? null;
  }

  /** True when `component_nego` lists `id`; undefined when the list is unknown or refused. */
  hasComponent(id: string): boolean | undefined {
    const components = this.facts.components;
    return components ? components.has(id) : undefined;
  }

  /** Records a `component_nego` result (undefined: refused). */
  protected learnComponents(result: JsonObject | undefined): void {
    recordComponents(this.facts, result);
  }

  /**
   * `get_device_info`: the result read earlier in this operation when there is one, else asked now
   * (in one batch with `component_nego` while the component list is unknown, so it is learnt on the way).
   */
  protected async deviceInfo(): Promise<JsonObject> {
    const primed = this.primedInfo;
    if (primed !== undefined) {
      this.primedInfo = undefined;
      return primed;
    }
    if (this.facts.components === undefined) {
      const [components, info] = await this.callAll([{ method: 'component_nego', optional: true }, { method: 'get_device_info' }]);
      this.learnComponents(components);
      if (info !== undefined) return info;
    }
    return this.call('get_device_info');
  }

  /** Keeps a `get_device_info` result read in this operation for its next {@link deviceInfo}. */
  protected prime(info: JsonObject): void {
    this.primedInfo = info;
  }

  /** True unless the LED rule is `never` (the LED may still be dark in night mode). */
  async getLed(): Promise<boolean> {
    const r = await this.call('get_led_info');
    const rule = str(r.led_rule);
    if (rule === undefined) throw malformed('get_led_info', 'led_rule');
    return rule !== 'never';
  }

  /**
   * Sets the LED rule to `always` or `never`, sending back the full LED object as the device wants,
   * and resolves with `get_device_info` read after it (in the same round trip where the device batches).
   */
  async setLed(on: boolean): Promise<JsonObject> {
    const current = await this.call('get_led_info');
    const [, info] = await this.callAll([
      { method: 'set_led_info', params: { ...current, led_rule: on ? 'always' : 'never' }, idempotent: true },
      { method: 'get_device_info' },
    ]);
    return info ?? (await this.call('get_device_info'));
  }

  /** True when batches may be sent: not known to be refused, and never to a strip. */
  protected canBatch(): boolean {
    return this.facts.batching !== false && this.facts.strip !== true;
  }

  /** Sends each call alone, in order; optional failures of the device's refusal kinds yield undefined. */
  protected async oneByOne(calls: readonly SmartCall[]): Promise<(JsonObject | undefined)[]> {
    const results: (JsonObject | undefined)[] = [];
    for (const c of calls) {
      try {
        results.push(await this.call(c.method, c.params, idempotentCall(c)));
      } catch (e) {
        if (!c.optional || !(e instanceof TapoError) || !REFUSAL_KINDS.includes(e.kind)) throw e;
        results.push(undefined);
      }
    }
    return results;
  }

  /** Adds the time and terminal id every SMART envelope carries. */
  protected envelope(req: JsonObject): JsonObject {
    const out: { [k: string]: JsonValue } = { ...req };
    out.request_time_milis = this.now();
    out.terminal_uuid = this.terminalUuid;
    return out;
  }
}

/** Records a `component_nego` result in `facts` (undefined: the device refused the list). */
export function recordComponents(facts: SmartFacts, result: JsonObject | undefined): void {
  if (result === undefined) {
    facts.components = null;
    return;
  }
  const map = new Map<string, number>();
  for (const c of arr(result.component_list)) {
    const id = str(obj(c).id);
    if (id !== undefined) map.set(id, num(obj(c).ver_code) ?? 0);
  }
  facts.components = map;
}

