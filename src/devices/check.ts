/**
 * What the verbs read replies with: the one envelope reader and the one JSON reader of
 * src/protocol (re-exported here so the verbs import one place), and the error of a reply that
 * lacks a field a verb needs.
 */
import { TapoError } from '../protocol/errors';

export { arr, bool, isObject, num, obj, str } from '../protocol/json';
export { checkChildReply, checkReply, isReadMethod, isReadRequest, replyError, replyFailure, responseFor } from '../protocol/envelope';

/** A reply that lacks a field the verb needs. */
export function malformed(context: string, what: string): TapoError {
  return new TapoError('Device', 'replyLacks', { context, params: { field: what } });
}
