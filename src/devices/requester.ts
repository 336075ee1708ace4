/**
 * What the device verbs need from below: a way to send one request envelope through a device's
 * session. `DeviceConnection` (src/connection) implements it; unit tests pass a fake.
 */
import type { JsonObject } from '../protocol/types';
import type { DeviceFamily } from '../protocol/errors';

/** Options for one request. */
export interface RequestOptions {
  /**
   * True when sending the request twice has the same effect as sending it once (a read, or a set
   * to an absolute state). Only idempotent requests are replayed after a reply was lost.
   */
  idempotent?: boolean;
  /** Aborts this request. */
  signal?: AbortSignal;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
}

/** Sends request envelopes to one device. */
export interface Requester {
  /** The device family on the other end (selects the error table). */
  readonly family: DeviceFamily;
  /**
   * Sends one envelope (SMART `{method, params}`, camera `multipleRequest` or style-B object) and
   * resolves with the reply envelope as the device sent it, `error_code` included.
   * Rejects with a `TapoError` for transport, session and login failures.
   */
  request(req: JsonObject, options?: RequestOptions): Promise<JsonObject>;
}
