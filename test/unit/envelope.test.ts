import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TapoError } from '../../src/protocol/errors';
import {
  MAX_LOCK_SECONDS,
  batchResponses,
  checkChildReply,
  checkReply,
  codeFamily,
  errorKind,
  isRateLimited,
  isReadMethod,
  isReadRequest,
  isTagFailure,
  lockSeconds,
  lockoutIn,
  replyError,
  replyFailure,
  responseFor,
} from '../../src/protocol/envelope';
import type { JsonObject, JsonValue } from '../../src/protocol/types';

const FIXTURES = path.resolve(__dirname, '../../src/simulator/fixtures');

function fixture(name: string): JsonObject {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as JsonObject;
}

/** Asserts that `fn` throws a TapoError with these fields. */
function throwsTapo(fn: () => unknown, expected: Partial<Pick<TapoError, 'kind' | 'code' | 'secondsLeft'>> & { message?: RegExp }): TapoError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof TapoError, `expected a TapoError, got ${String(caught)}`);
  const { message, ...fields } = expected;
  for (const [k, v] of Object.entries(fields)) assert.equal((caught as unknown as Record<string, unknown>)[k], v, k);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Replies that are not objects, or are objects holding the wrong types where objects are expected. */
const NOT_OBJECTS: (JsonValue | undefined)[] = [undefined, null, [], [{ error_code: -1 }], 'error_code', '', 0, -40404, true];

// Real reply shapes, from ../shared/protocol and the simulator.
const p110 = fixture('P110(UK)_1.0_1.3.0');
const c210 = fixture('C210_2.0_1.3.11');

/** methods-plug.md §1. */
const SMART_OK: JsonObject = { error_code: 0, result: p110.get_device_info! };
/** methods-plug.md §8, with the device stopping at a failing entry. */
const SMART_BATCH: JsonObject = {
  error_code: 0,
  result: {
    responses: [
      { method: 'get_device_info', result: p110.get_device_info!, error_code: 0 },
      { method: 'get_energy_usage', error_code: -1002 },
    ],
  },
};
/** camera.md §9 A, the second entry refused (-40210 unknown method in a batch). */
const CAMERA_BATCH: JsonObject = {
  error_code: 0,
  result: {
    responses: [
      { method: 'getDeviceInfo', result: c210.getDeviceInfo!, error_code: 0 },
      { method: 'getFooBar', error_code: -40210 },
      { method: 'getLensMaskConfig', result: c210.getLensMaskConfig!, error_code: 0 },
    ],
  },
};
/** camera.md §5 and §10: the lockout reply to login step 1 (`data` at the top level). */
const CAMERA_LOCKOUT: JsonObject = { error_code: -40401, data: { code: -40404, sec_left: 1685 } };
/** camera.md §5: a secure step-1 answer whose unstable `data.code` disagrees with the top level. */
const SECURE_STEP1: JsonObject = {
  error_code: -40413,
  result: { data: { code: -40401, encrypt_type: ['3'], key: 'KEY', nonce: '0123456789ABCDEF', device_confirm: 'C'.repeat(96) } },
};
/** camera.md §5: an unknown user name. */
const BAD_USER: JsonObject = { error_code: -40401, result: { data: { code: -40411 } } };
/** camera.md §5: legacy-only firmware, with the failed-attempt counters. */
const LEGACY_ONLY: JsonObject = {
  error_code: -40401,
  result: { data: { code: -40401, encrypt_type: ['1', '2'], key: 'KEY', nonce: 'N', time: 9, max_time: 10, sec_left: 0 } },
};
/** The TPAP simulator's lockout reply (src/simulator/schemes/tpap.ts). */
const TPAP_LOCKOUT: JsonObject = { error_code: -40404, result: { sec_left: 600 }, data: { code: -40404, sec_left: 600 } };
/** tpap.md §9: the app's failed-attempt counters. */
const TPAP_LOCKED_MINUTE: JsonObject = { error_code: -40404, result: { error_info: { failedAttempts: 5, remainAttempts: 0, lockedMinute: 2 } } };
/** The camera simulator's reply to a bad Tapo_tag (camera.md §8). */
const TAG_FAILED: JsonObject = { error_code: -1, result: { responses: [{ msg: 'Check tapo tag failed', error_code: -1 }] } };

describe('protocol/envelope', () => {
  describe('replyError: SMART', () => {
    it('success has no error', () => {
      assert.equal(replyError('smart', SMART_OK), undefined);
      assert.equal(replyError('smart', { error_code: 0 }), undefined);
      assert.equal(replyError('smart', {}), undefined, 'no error_code at all');
    });

    it('reads the top-level error_code', () => {
      assert.deepEqual(replyError('smart', { error_code: -1002 }), { code: -1002 });
      assert.deepEqual(replyError('smart', { error_code: 9999 }), { code: 9999 });
      assert.deepEqual(replyError('smart', { error_code: '-1501' }), { code: -1501 }, 'numeric string');
    });

    it('ignores nested data codes (cameras only, errors.md §5)', () => {
      assert.equal(replyError('smart', { error_code: 0, data: { code: -40404 }, result: { data: { code: -1 } } }), undefined);
    });

    it('treats an unreadable error_code as absent', () => {
      for (const code of ['oops', 1.5, true, null, {}, []] as JsonValue[]) assert.equal(replyError('smart', { error_code: code }), undefined, JSON.stringify(code));
    });

    it('a batch reply succeeds at the top while an entry fails: each entry is its own envelope', () => {
      assert.equal(replyError('smart', SMART_BATCH), undefined);
      const [ok, failed] = batchResponses(SMART_BATCH);
      assert.equal(replyError('smart', ok), undefined);
      assert.deepEqual(replyError('smart', failed), { code: -1002 });
    });

    it('reads TPAP lockout codes on SMART devices, with their seconds', () => {
      assert.deepEqual(replyError('smart', TPAP_LOCKOUT), { code: -40404, secondsLeft: 600 });
      assert.deepEqual(replyError('smart', TPAP_LOCKED_MINUTE), { code: -40404, secondsLeft: 120 });
    });
  });

  describe('replyError: cameras', () => {
    it('success has no error', () => {
      assert.equal(replyError('camera', CAMERA_BATCH), undefined);
      assert.equal(replyError('camera', { error_code: 0, result: c210.getDeviceInfo! }), undefined);
    });

    it('reads the top-level error_code alone', () => {
      assert.deepEqual(replyError('camera', { error_code: -40106 }), { code: -40106 });
      assert.deepEqual(replyError('camera', { error_code: '-40210' }), { code: -40210 });
    });

    it('the lockout reply: top -40401 gives way to data.code -40404, with sec_left', () => {
      assert.deepEqual(replyError('camera', CAMERA_LOCKOUT), { code: -40404, secondsLeft: 1685 });
    });

    it('the same lockout in result.data', () => {
      assert.deepEqual(replyError('camera', { error_code: -40401, result: { data: { code: -40404, sec_left: 90 } } }), { code: -40404, secondsLeft: 90 });
    });

    it('a -40401 wrapper gives way to the nested reason (bad user name)', () => {
      assert.deepEqual(replyError('camera', BAD_USER), { code: -40411 });
      assert.deepEqual(replyError('camera', { error_code: -40401, data: { code: -40406 } }), { code: -40406 });
    });

    it('the top level wins over an unstable nested code (secure step 1)', () => {
      assert.deepEqual(replyError('camera', SECURE_STEP1), { code: -40413 });
    });

    it('a nested lockout code wins over any top-level code', () => {
      assert.deepEqual(replyError('camera', { error_code: -40413, result: { data: { code: -40408 } } }), { code: -40408 });
      assert.deepEqual(replyError('camera', { error_code: 0, data: { code: -40404, sec_left: 30 } }), { code: -40404, secondsLeft: 30 });
    });

    it('a nested code fails an envelope whose top level says nothing', () => {
      assert.deepEqual(replyError('camera', { result: { data: { code: -40411 } } }), { code: -40411 });
      assert.deepEqual(replyError('camera', { error_code: 0, result: { data: { code: '-40106' } } }), { code: -40106 });
    });

    it('data.code comes before result.data.code', () => {
      assert.deepEqual(replyError('camera', { error_code: -40401, data: { code: -40411 }, result: { data: { code: -40406 } } }), { code: -40411 });
      assert.deepEqual(replyError('camera', { error_code: -40401, data: { code: 0 }, result: { data: { code: -40406 } } }), { code: -40406 });
    });

    it('sec_left 0 with attempt counters is not a lockout (legacy-only firmware)', () => {
      assert.deepEqual(replyError('camera', LEGACY_ONLY), { code: -40401 });
    });

    it('a failed envelope with a positive sec_left in data or result.data is a lockout (-40404)', () => {
      const suspended = { error_code: -40401, result: { data: { code: -40401, time: 0, max_time: 10, sec_left: 1200 } } };
      assert.deepEqual(replyError('camera', suspended), { code: -40404, secondsLeft: 1200 });
      assert.deepEqual(replyError('camera', { error_code: -40413, data: { sec_left: '45' } }), { code: -40404, secondsLeft: 45 });
    });

    it('a positive sec_left in a successful envelope is not a lockout', () => {
      assert.equal(replyError('camera', { error_code: 0, result: { data: { sec_left: 100 } } }), undefined);
    });

    it('seconds are attached to lockouts only', () => {
      assert.deepEqual(replyError('camera', { error_code: -40106, sec_left: 30 }), { code: -40106 });
      assert.deepEqual(replyError('camera', { error_code: -40408 }), { code: -40408 });
    });

    it('strings where objects are expected are ignored', () => {
      assert.deepEqual(replyError('camera', { error_code: -40401, data: 'locked', result: 'x' }), { code: -40401 });
      assert.deepEqual(replyError('camera', { error_code: -40401, data: ['x'], result: { data: { code: -40404, sec_left: 5 } } }), { code: -40404, secondsLeft: 5 });
    });
  });

  describe('replyError on non-objects', () => {
    it('finds no code', () => {
      for (const v of NOT_OBJECTS) {
        assert.equal(replyError('smart', v), undefined, JSON.stringify(v));
        assert.equal(replyError('camera', v), undefined, JSON.stringify(v));
      }
    });
  });

  describe('lockSeconds', () => {
    it('reads sec_left in each place a scheme puts it', () => {
      assert.equal(lockSeconds({ error_code: -40404, sec_left: 10 }), 10);
      assert.equal(lockSeconds(CAMERA_LOCKOUT), 1685);
      assert.equal(lockSeconds({ error_code: -40404, result: { sec_left: 20 } }), 20);
      assert.equal(lockSeconds({ error_code: -40401, result: { data: { code: -40404, sec_left: 30 } } }), 30);
      assert.equal(lockSeconds(TPAP_LOCKOUT), 600);
    });

    it('takes the longest sec_left when several places carry one', () => {
      assert.equal(lockSeconds({ sec_left: 0, data: { sec_left: 1685 }, result: { sec_left: 5, data: { sec_left: 7 } } }), 1685);
    });

    it('reads error_info.lockedMinute × 60 when there is no sec_left', () => {
      assert.equal(lockSeconds(TPAP_LOCKED_MINUTE), 120);
      assert.equal(lockSeconds({ error_code: -40404, error_info: { lockedMinute: 1 } }), 60);
      assert.equal(lockSeconds({ data: { error_info: { lockedMinute: '3' } } }), 180);
      assert.equal(lockSeconds({ result: { data: { error_info: { lockedMinute: 0.5 } } } }), 30);
      assert.equal(lockSeconds({ sec_left: 15, error_info: { lockedMinute: 30 } }), 15, 'sec_left first');
    });

    it('caps a lockout longer than the longest on record', () => {
      assert.equal(MAX_LOCK_SECONDS, 1800);
      assert.equal(lockSeconds({ data: { sec_left: 1e9 } }), MAX_LOCK_SECONDS);
      assert.equal(lockSeconds({ data: { sec_left: '99999999999999999999' } }), MAX_LOCK_SECONDS);
      assert.equal(lockSeconds({ data: { sec_left: 1800 } }), 1800);
      assert.equal(lockSeconds({ data: { sec_left: 1801 } }), MAX_LOCK_SECONDS);
      assert.equal(lockSeconds({ error_info: { lockedMinute: 10_000 } }), MAX_LOCK_SECONDS);
    });

    it('rounds fractions up', () => {
      assert.equal(lockSeconds({ sec_left: 12.2 }), 13);
      assert.equal(lockSeconds({ sec_left: '0.1' }), 1);
    });

    it('ignores negative, non-numeric and non-finite values', () => {
      assert.equal(lockSeconds({ data: { sec_left: -5 } }), undefined);
      assert.equal(lockSeconds({ data: { sec_left: -5 }, result: { sec_left: 40 } }), 40);
      assert.equal(lockSeconds({ sec_left: 'soon' }), undefined);
      assert.equal(lockSeconds({ sec_left: '1e999' }), undefined);
      assert.equal(lockSeconds({ sec_left: true }), undefined);
      assert.equal(lockSeconds({ sec_left: null }), undefined);
      assert.equal(lockSeconds({ error_info: { lockedMinute: -1 } }), undefined);
      assert.equal(lockSeconds({ sec_left: -1, error_info: { lockedMinute: 2 } }), 120, 'falls back to lockedMinute');
    });

    it('reads 0 as 0 (the camera says the lock is over)', () => {
      assert.equal(lockSeconds(LEGACY_ONLY), 0);
    });

    it('is undefined without a usable field, and for non-objects', () => {
      assert.equal(lockSeconds({ error_code: -40404 }), undefined);
      assert.equal(lockSeconds({ error_code: -40404, data: 'x', result: ['y'], error_info: 'z' }), undefined);
      for (const v of NOT_OBJECTS) assert.equal(lockSeconds(v), undefined, JSON.stringify(v));
    });
  });

  describe('lockoutIn', () => {
    it('finds the camera lockout reply', () => {
      assert.deepEqual(lockoutIn('camera', CAMERA_LOCKOUT), { code: -40404, secondsLeft: 1685 });
    });

    it('finds a top-level lockout code, with sec_left from anywhere', () => {
      assert.deepEqual(lockoutIn('camera', { error_code: -40404, result: { data: { sec_left: 77 } } }), { code: -40404, secondsLeft: 77 });
      assert.deepEqual(lockoutIn('camera', { error_code: -40408 }), { code: -40408 });
    });

    it('finds TPAP lockouts on both families', () => {
      assert.deepEqual(lockoutIn('camera', TPAP_LOCKOUT), { code: -40404, secondsLeft: 600 });
      assert.deepEqual(lockoutIn('smart', TPAP_LOCKOUT), { code: -40404, secondsLeft: 600 });
      assert.deepEqual(lockoutIn('smart', TPAP_LOCKED_MINUTE), { code: -40404, secondsLeft: 120 });
    });

    it('finds a suspension announced by sec_left alone', () => {
      assert.deepEqual(lockoutIn('camera', { error_code: -40401, result: { data: { sec_left: 300 } } }), { code: -40404, secondsLeft: 300 });
    });

    it('caps the seconds', () => {
      assert.deepEqual(lockoutIn('camera', { error_code: -40401, data: { code: -40404, sec_left: 1e9 } }), { code: -40404, secondsLeft: MAX_LOCK_SECONDS });
    });

    it('is undefined for other failures, successes and non-objects', () => {
      assert.equal(lockoutIn('camera', LEGACY_ONLY), undefined);
      assert.equal(lockoutIn('camera', SECURE_STEP1), undefined);
      assert.equal(lockoutIn('camera', { error_code: 0 }), undefined);
      assert.equal(lockoutIn('smart', { error_code: -1501 }), undefined);
      assert.equal(lockoutIn('smart', { error_code: 0, sec_left: 100 }), undefined);
      for (const v of NOT_OBJECTS) assert.equal(lockoutIn('camera', v), undefined, JSON.stringify(v));
    });
  });

  describe('batchResponses and responseFor', () => {
    it('returns the entries of result.responses', () => {
      const entries = batchResponses(CAMERA_BATCH);
      assert.equal(entries.length, 3);
      assert.deepEqual(entries.map((e) => e?.method), ['getDeviceInfo', 'getFooBar', 'getLensMaskConfig']);
    });

    it('keeps positions: an entry that is not an object is undefined', () => {
      const reply: JsonObject = { error_code: 0, result: { responses: [null, 'x', { method: 'get_device_info', error_code: 0 }, [1]] } };
      assert.deepEqual(batchResponses(reply), [undefined, undefined, { method: 'get_device_info', error_code: 0 }, undefined]);
    });

    it('is [] without a responses array', () => {
      assert.deepEqual(batchResponses(SMART_OK), []);
      assert.deepEqual(batchResponses({ error_code: 0, result: { responses: 'x' } }), []);
      assert.deepEqual(batchResponses({ error_code: 0, result: 'x' }), []);
      assert.deepEqual(batchResponses({ error_code: 0, responses: [{ error_code: 0 }] }), [], 'only under result');
      for (const v of NOT_OBJECTS) assert.deepEqual(batchResponses(v), [], JSON.stringify(v));
    });

    it('responseFor: by position when the entry names the method', () => {
      const entries = batchResponses(CAMERA_BATCH);
      assert.equal(responseFor(entries, 2, 'getLensMaskConfig'), entries[2]);
    });

    it('responseFor: by name when the device left an entry out', () => {
      // The camera stops at the first failure and may answer out of order.
      const reply: JsonObject = {
        error_code: 0,
        result: { responses: [{ method: 'getLensMaskConfig', result: {}, error_code: 0 }, { method: 'getDeviceInfo', result: {}, error_code: 0 }] },
      };
      const entries = batchResponses(reply);
      assert.equal(responseFor(entries, 0, 'getDeviceInfo'), entries[1]);
      assert.equal(responseFor(entries, 1, 'getLensMaskConfig'), entries[0]);
      assert.equal(responseFor(entries, 2, 'getLedStatus'), undefined);
    });

    it('responseFor: an entry without a method name answers its position (camera.md §9)', () => {
      const entries = batchResponses({ error_code: 0, result: { responses: [{ result: { ap_list: [] }, error_code: 0 }] } });
      assert.equal(responseFor(entries, 0, 'scanApList'), entries[0]);
    });

    it('responseFor: without a method, by position only', () => {
      const entries = batchResponses(SMART_BATCH);
      assert.equal(responseFor(entries, 1), entries[1]);
      assert.equal(responseFor(entries, 5), undefined);
      assert.equal(responseFor([null, 'x'], 0), undefined);
    });

    it('responseFor: skips entries that are not objects', () => {
      const entries: JsonValue[] = ['x', null, { method: 'getDeviceInfo', error_code: 0 }];
      assert.deepEqual(responseFor(entries, 0, 'getDeviceInfo'), { method: 'getDeviceInfo', error_code: 0 });
      assert.equal(responseFor(entries, 1, 'getLedStatus'), undefined);
    });
  });

  describe('isRateLimited', () => {
    it('sees a rate-limit code at the top level', () => {
      assert.equal(isRateLimited('smart', { error_code: -1301 }), true);
      assert.equal(isRateLimited('camera', { error_code: -40109 }), true);
      assert.equal(isRateLimited('camera', { error_code: -52419 }), true);
      assert.equal(isRateLimited('camera', { error_code: '-52405' }), true);
    });

    it('sees one inside an entry of a batch', () => {
      const camera: JsonObject = {
        error_code: 0,
        result: { responses: [{ method: 'getDeviceInfo', result: {}, error_code: 0 }, { method: 'getLensMaskConfig', error_code: -40109 }] },
      };
      assert.equal(isRateLimited('camera', camera), true);
      const smart: JsonObject = { error_code: 0, result: { responses: [{ method: 'get_device_info', error_code: -1301 }] } };
      assert.equal(isRateLimited('smart', smart), true);
    });

    it('reads codes in the family\'s table', () => {
      assert.equal(isRateLimited('camera', { error_code: -1301 }), false, '-1301 is a SMART code');
      // Codes at or below -40000 are TPAP/camera codes, read in the camera table on SMART devices too.
      assert.equal(isRateLimited('smart', { error_code: -40109 }), true);
    });

    it('is false for other failures, successes and non-objects', () => {
      assert.equal(isRateLimited('camera', CAMERA_BATCH), false);
      assert.equal(isRateLimited('smart', SMART_BATCH), false);
      assert.equal(isRateLimited('camera', CAMERA_LOCKOUT), false);
      assert.equal(isRateLimited('smart', SMART_OK), false);
      assert.equal(isRateLimited('camera', { error_code: 0, result: { responses: [null, 'x', -40109] } }), false);
      for (const v of NOT_OBJECTS) assert.equal(isRateLimited('camera', v), false, JSON.stringify(v));
    });
  });

  describe('isTagFailure', () => {
    it('sees the message at the top level', () => {
      assert.equal(isTagFailure({ error_code: -1, msg: 'Check tapo tag failed' }), true);
    });

    it('sees the message in a batch entry', () => {
      assert.equal(isTagFailure(TAG_FAILED), true);
      assert.equal(isTagFailure({ error_code: -1, result: { responses: [{ method: 'getDeviceInfo', error_code: 0 }, { msg: 'Check tapo tag failed', error_code: -1 }] } }), true);
    });

    it('is false for a plain -1, other messages, and non-objects', () => {
      assert.equal(isTagFailure({ error_code: -1 }), false);
      assert.equal(isTagFailure({ error_code: -1, msg: 'Some other failure' }), false);
      assert.equal(isTagFailure({ error_code: -1, result: { responses: ['Check tapo tag failed'] } }), false);
      assert.equal(isTagFailure({ error_code: -1, result: { msg: 'Check tapo tag failed' } }), false, 'only top level or entries');
      for (const v of NOT_OBJECTS) assert.equal(isTagFailure(v), false, JSON.stringify(v));
    });
  });

  describe('checkReply and replyFailure', () => {
    it('returns result on success, {} when there is none', () => {
      assert.equal(checkReply('smart', SMART_OK, 'get_device_info'), SMART_OK.result);
      assert.deepEqual(checkReply('smart', { error_code: 0 }, 'set_device_info'), {});
      assert.deepEqual(checkReply('camera', { error_code: 0, result: 'x' }, 'set'), {});
      assert.equal(replyFailure('smart', SMART_OK), undefined);
    });

    it('throws the mapped SMART error with the context', () => {
      throwsTapo(() => checkReply('smart', { error_code: -1002 }, 'get_emeter_data'), { kind: 'Unsupported', code: -1002, message: /^get_emeter_data: / });
      throwsTapo(() => checkReply('smart', { error_code: 9999 }, 'x'), { kind: 'SessionExpired', code: 9999 });
      throwsTapo(() => checkReply('smart', { error_code: -1301 }, 'x'), { kind: 'RateLimited', code: -1301 });
    });

    it('throws the camera lockout as Locked with its seconds', () => {
      const e = throwsTapo(() => checkReply('camera', CAMERA_LOCKOUT, 'login'), { kind: 'Locked', code: -40404, secondsLeft: 1685 });
      assert.match(e.hint ?? '', /1685/);
    });

    it('throws a TPAP lockout on a SMART device as Locked (camera table)', () => {
      throwsTapo(() => checkReply('smart', TPAP_LOCKOUT, 'TPAP pake_register'), { kind: 'Locked', code: -40404, secondsLeft: 600 });
    });

    it('throws the nested reason of a -40401 wrapper', () => {
      throwsTapo(() => checkReply('camera', BAD_USER, 'login'), { kind: 'Authentication', code: -40411 });
    });

    it('does not check batch entries: the caller reads them', () => {
      assert.deepEqual(checkReply('camera', CAMERA_BATCH, 'multipleRequest'), CAMERA_BATCH.result);
      const failed = responseFor(batchResponses(CAMERA_BATCH), 1, 'getFooBar');
      const e = replyFailure('camera', failed, 'getFooBar');
      assert.ok(e);
      assert.equal(e.kind, 'Unsupported');
      assert.equal(e.code, -40210);
      assert.match(e.message, /^getFooBar: /);
    });

    it('throws a Device error for a reply that is not an object', () => {
      for (const v of NOT_OBJECTS) throwsTapo(() => checkReply('smart', v, 'get_device_info'), { kind: 'Device', message: /^get_device_info: / });
      for (const v of NOT_OBJECTS) assert.equal(replyFailure('camera', v), undefined);
    });
  });

  describe('checkChildReply (control_child, methods-plug.md §9)', () => {
    const childInfo: JsonObject = { device_id: 'CHILD1', device_on: true, position: 1 };

    it('plain form: returns the child\'s result', () => {
      const reply: JsonObject = { error_code: 0, result: { responseData: { error_code: 0, result: childInfo } } };
      assert.equal(checkChildReply(reply, 'get_device_info'), childInfo);
    });

    it('plain form: a set returns {}', () => {
      assert.deepEqual(checkChildReply({ error_code: 0, result: { responseData: { error_code: 0 } } }, 'set_device_info'), {});
    });

    it('Rust form: returns responses[0]\'s result', () => {
      const reply: JsonObject = {
        error_code: 0,
        result: { responseData: { error_code: 0, result: { responses: [{ method: 'get_device_info', result: childInfo, error_code: 0 }] } } },
      };
      assert.equal(checkChildReply(reply, 'get_device_info'), childInfo);
    });

    it('throws the outer failure with control_child in the message', () => {
      throwsTapo(() => checkChildReply({ error_code: -1008 }, 'set_device_info'), { kind: 'Input', code: -1008, message: /^control_child\(set_device_info\): / });
    });

    it('throws the child\'s failure, plain and Rust form', () => {
      throwsTapo(() => checkChildReply({ error_code: 0, result: { responseData: { error_code: -1002 } } }, 'get_energy_usage'), {
        kind: 'Unsupported',
        code: -1002,
        message: /^get_energy_usage: /,
      });
      throwsTapo(
        () => checkChildReply({ error_code: 0, result: { responseData: { error_code: 0, result: { responses: [{ method: 'get_energy_usage', error_code: -1002 }] } } } }, 'get_energy_usage'),
        { kind: 'Unsupported', code: -1002 },
      );
      throwsTapo(
        () => checkChildReply({ error_code: 0, result: { responseData: { error_code: -1301, result: { responses: [{ error_code: 0 }] } } } }, 'get_device_info'),
        { kind: 'RateLimited', code: -1301 },
      );
    });

    it('keeps today\'s reading of odd shapes', () => {
      // No responseData: an empty successful envelope, as devices/check.ts reads it.
      assert.deepEqual(checkChildReply({ error_code: 0, result: {} }, 'get_device_info'), {});
      assert.deepEqual(checkChildReply({ error_code: 0, result: { responseData: 'x' } }, 'get_device_info'), {});
      // An empty or non-object responses[0]: the inner result as it is.
      assert.deepEqual(checkChildReply({ error_code: 0, result: { responseData: { error_code: 0, result: { responses: [] } } } }, 'x'), { responses: [] });
      assert.deepEqual(checkChildReply({ error_code: 0, result: { responseData: { error_code: 0, result: { responses: ['x'] } } } }, 'x'), { responses: ['x'] });
    });

    it('throws a Device error for a reply that is not an object', () => {
      for (const v of NOT_OBJECTS) throwsTapo(() => checkChildReply(v, 'get_device_info'), { kind: 'Device' });
    });
  });

  describe('codeFamily and errorKind', () => {
    it('maps TPAP codes to the camera table, others to the family', () => {
      assert.equal(codeFamily('smart', -40404), 'camera');
      assert.equal(codeFamily('smart', -2203), 'smart');
      assert.equal(codeFamily('camera', -1), 'camera');
      assert.equal(errorKind('smart', -40404), 'Locked');
      assert.equal(errorKind('smart', -1301), 'RateLimited');
      assert.equal(errorKind('camera', -1301), 'Device');
      assert.equal(errorKind('camera', -40401), 'SessionExpired');
    });
  });

  describe('isReadMethod', () => {
    it('accepts SMART and camera read names', () => {
      for (const m of ['get_device_info', 'get_energy_usage', 'component_nego', 'qs_component_nego', 'get', 'getLensMaskConfig', 'getDeviceInfo', 'get_audio_config']) {
        assert.equal(isReadMethod(m), true, m);
      }
    });

    it('refuses everything else', () => {
      for (const m of ['set', 'do', 'set_device_info', 'setLensMaskConfig', 'multipleRequest', 'control_child', 'controlChild', 'getter', 'gettysburg', 'Get_device_info', 'GET', '', 'device_reboot', 'login'] as const) {
        assert.equal(isReadMethod(m), false, m);
      }
      for (const v of [undefined, null, 1, true, {}, ['get']]) assert.equal(isReadMethod(v), false, JSON.stringify(v));
    });
  });

  describe('isReadRequest', () => {
    it('SMART reads and writes', () => {
      assert.equal(isReadRequest({ method: 'get_device_info' }), true);
      assert.equal(isReadRequest({ method: 'component_nego', params: null }), true);
      assert.equal(isReadRequest({ method: 'set_device_info', params: { device_on: true } }), false);
      assert.equal(isReadRequest({ method: 'device_reboot', params: { delay: 1 } }), false);
    });

    it('camera style B: get is a read, set and do are not (camera.md §9)', () => {
      assert.equal(isReadRequest({ method: 'get', device_info: { name: ['basic_info'] } }), true);
      assert.equal(isReadRequest({ method: 'set', msg_alarm: { chn1_msg_alarm_info: { enabled: 'on' } } }), false);
      assert.equal(isReadRequest({ method: 'do', motor: { move: { x_coord: '10', y_coord: '0' } } }), false);
    });

    it('camera named methods', () => {
      assert.equal(isReadRequest({ method: 'getLensMaskConfig', params: { lens_mask: { name: ['lens_mask_info'] } } }), true);
      assert.equal(isReadRequest({ method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: 'on' } } } }), false);
    });

    it('a multipleRequest is a read when every entry is one', () => {
      const reads: JsonObject = {
        method: 'multipleRequest',
        params: {
          requests: [
            { method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } },
            { method: 'getLensMaskConfig', params: { lens_mask: { name: ['lens_mask_info'] } } },
          ],
        },
      };
      assert.equal(isReadRequest(reads), true);
      const smart: JsonObject = { method: 'multipleRequest', params: { requests: [{ method: 'get_device_info' }, { method: 'get_energy_usage' }] } };
      assert.equal(isReadRequest(smart), true);
      const mixed: JsonObject = {
        method: 'multipleRequest',
        params: { requests: [{ method: 'getDeviceInfo' }, { method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: 'off' } } } }] },
      };
      assert.equal(isReadRequest(mixed), false);
    });

    it('an empty or malformed multipleRequest is not a read', () => {
      assert.equal(isReadRequest({ method: 'multipleRequest', params: { requests: [] } }), false);
      assert.equal(isReadRequest({ method: 'multipleRequest', params: {} }), false);
      assert.equal(isReadRequest({ method: 'multipleRequest' }), false);
      assert.equal(isReadRequest({ method: 'multipleRequest', params: { requests: 'getDeviceInfo' } }), false);
      assert.equal(isReadRequest({ method: 'multipleRequest', params: { requests: [{ method: 'getDeviceInfo' }, null] } }), false);
      assert.equal(isReadRequest({ method: 'multipleRequest', params: { requests: ['getDeviceInfo'] } }), false);
    });

    it('control_child is a read when its requestData is (plain and Rust form)', () => {
      assert.equal(isReadRequest({ method: 'control_child', params: { device_id: 'C1', requestData: { method: 'get_device_info' } } }), true);
      assert.equal(
        isReadRequest({ method: 'control_child', params: { device_id: 'C1', requestData: { method: 'multipleRequest', params: { requests: [{ method: 'get_device_info' }] } } } }),
        true,
      );
      assert.equal(isReadRequest({ method: 'control_child', params: { device_id: 'C1', requestData: { method: 'set_device_info', params: { device_on: true } } } }), false);
      assert.equal(isReadRequest({ method: 'control_child', params: { device_id: 'C1' } }), false);
      assert.equal(isReadRequest({ method: 'control_child' }), false);
    });

    it('a multipleRequest of control_child reads is a read', () => {
      const req: JsonObject = {
        method: 'multipleRequest',
        params: { requests: [{ method: 'control_child', params: { device_id: 'C1', requestData: { method: 'get_device_info' } } }] },
      };
      assert.equal(isReadRequest(req), true);
    });

    it('camera hub controlChild is a read when its request_data is (camera.md §11)', () => {
      const read: JsonObject = {
        method: 'multipleRequest',
        params: {
          requests: [
            {
              method: 'controlChild',
              params: { childControl: { device_id: 'C1', request_data: { method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } } } },
            },
          ],
        },
      };
      assert.equal(isReadRequest(read), true);
      const write: JsonObject = {
        method: 'controlChild',
        params: { childControl: { device_id: 'C1', request_data: { method: 'setLedStatus', params: { led: { config: { enabled: 'off' } } } } } },
      };
      assert.equal(isReadRequest(write), false);
    });

    it('non-objects and requests without a method are not reads', () => {
      for (const v of [...NOT_OBJECTS, 'get_device_info', ['get'], {}, { params: {} }, { method: 7 }]) assert.equal(isReadRequest(v), false, JSON.stringify(v));
    });
  });
});
