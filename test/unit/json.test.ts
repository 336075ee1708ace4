import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { arr, bool, int, isObject, num, obj, objOrUndefined, parseJson, str } from '../../src/protocol/json';
import type { JsonObject, JsonValue } from '../../src/protocol/types';

const FIXTURES = path.resolve(__dirname, '../../src/simulator/fixtures');

function fixture(name: string): JsonObject {
  return JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as JsonObject;
}

/** Values that are not objects, arrays, strings, numbers or booleans the helpers accept. */
const NOTHING: (JsonValue | undefined)[] = [undefined, null];

describe('protocol/json', () => {
  // Real values: a C210 camera (numbers and switches as strings) and a P110 plug (JSON types).
  const c210 = fixture('C210_2.0_1.3.11');
  const capability = obj(obj(obj(obj(c210.get_motor).get).motor).capability);
  const detection = obj(obj(obj(c210.getDetectionConfig).motion_detection).motion_det);
  const p110 = fixture('P110(UK)_1.0_1.3.0');
  const plugInfo = obj(p110.get_device_info);

  describe('parseJson', () => {
    it('reads every JSON value, null included, from text or bytes', () => {
      for (const text of ['null', '[]', '[1,{"a":2}]', '0', '-1.5', '"ok"', '""', 'true', '{"error_code":0}', ' {} ']) {
        assert.deepEqual(parseJson(text), JSON.parse(text), text);
        assert.deepEqual(parseJson(Buffer.from(text, 'utf8')), JSON.parse(text), text);
      }
    });

    it('is undefined for text that is not JSON', () => {
      for (const text of ['', ' ', '{', 'nul', '<html>', '{"a":1};', 'undefined']) assert.equal(parseJson(text), undefined, text);
    });
  });

  describe('isObject', () => {
    it('is true for objects only', () => {
      assert.equal(isObject({}), true);
      assert.equal(isObject({ a: 1 }), true);
      for (const v of [null, undefined, [], [{}], 'x', '', 0, 1, true, false]) assert.equal(isObject(v), false, JSON.stringify(v));
    });

    it('narrows to JsonObject', () => {
      const v: JsonValue = { error_code: 0 };
      if (isObject(v)) assert.equal(v.error_code, 0);
      else assert.fail('not narrowed');
    });
  });

  describe('obj / objOrUndefined', () => {
    it('returns the object itself', () => {
      const o = { a: 1 };
      assert.equal(obj(o), o);
      assert.equal(objOrUndefined(o), o);
    });

    it('obj falls back to a new empty object; objOrUndefined to undefined', () => {
      for (const v of [...NOTHING, [], [1], 'x', '', 0, 7, true, false]) {
        assert.deepEqual(obj(v), {}, JSON.stringify(v));
        assert.equal(objOrUndefined(v), undefined, JSON.stringify(v));
      }
      const a = obj(undefined);
      a.x = 1;
      assert.deepEqual(obj(undefined), {}, 'the fallback is not shared');
    });

    it('follows a path through a real fixture', () => {
      assert.equal(obj(obj(obj(c210.getLensMaskConfig).lens_mask).lens_mask_info).enabled, 'on');
      assert.deepEqual(obj(obj(c210.getLensMaskConfig).nothing_here), {});
    });
  });

  describe('arr', () => {
    it('returns arrays and [] for anything else', () => {
      const a = [1, 'x'];
      assert.equal(arr(a), a);
      for (const v of [...NOTHING, {}, 'x', 0, true]) assert.deepEqual(arr(v), [], JSON.stringify(v));
      assert.deepEqual(arr(capability.position_pan_range), ['-1.000000', '1.000000']);
    });
  });

  describe('str', () => {
    it('reads strings as they are and stringifies finite numbers', () => {
      assert.equal(str('medium'), 'medium');
      assert.equal(str(''), '');
      assert.equal(str(80), '80');
      assert.equal(str(-40401), '-40401');
      assert.equal(str(1.5), '1.5');
      assert.equal(str(detection.sensitivity), 'medium');
    });

    it('is undefined for everything else', () => {
      for (const v of [...NOTHING, true, false, {}, [], ['x']]) assert.equal(str(v), undefined, JSON.stringify(v));
    });
  });

  describe('num', () => {
    it('reads JSON numbers', () => {
      assert.equal(num(0), 0);
      assert.equal(num(-40401), -40401);
      assert.equal(num(1.5), 1.5);
      assert.equal(num(plugInfo.rssi as JsonValue), plugInfo.rssi);
    });

    it('reads the decimal strings cameras send', () => {
      assert.equal(num(detection.digital_sensitivity), 60);
      assert.equal(num(capability.preset_number_max), 8);
      assert.equal(num(capability.speed_pan_max), 1);
      assert.deepEqual(arr(capability.position_pan_range).map(num), [-1, 1]);
      assert.equal(num('80'), 80);
      assert.equal(num('-40401'), -40401);
      assert.equal(num(' 12 '), 12, 'surrounding white space');
      assert.equal(num('+5'), 5);
      assert.equal(num('.5'), 0.5);
      assert.equal(num('1e3'), 1000);
      assert.equal(num('0050'), 50);
    });

    it('is undefined for booleans, empty, hex, non-finite and non-numeric values', () => {
      for (const v of [...NOTHING, true, false, '', '  ', 'abc', '12abc', '0x10', '0b11', 'Infinity', '-Infinity', 'NaN', '1e999', '1,5', {}, [], [1]]) {
        assert.equal(num(v), undefined, JSON.stringify(v));
      }
    });
  });

  describe('int', () => {
    it('reads integers, from numbers and strings', () => {
      assert.equal(int(5000), 5000);
      assert.equal(int('5000'), 5000);
      assert.equal(int('-40404'), -40404);
      assert.equal(int('5000.0'), 5000);
      assert.equal(int(-0), -0);
    });

    it('is undefined for fractions and anything num refuses', () => {
      for (const v of [...NOTHING, 1.5, '1.5', '-1.000001', true, 'x', '0x10', {}]) assert.equal(int(v), undefined, JSON.stringify(v));
    });
  });

  describe('bool', () => {
    it('reads JSON booleans (SMART)', () => {
      assert.equal(bool(true), true);
      assert.equal(bool(false), false);
      assert.equal(bool(plugInfo.device_on as JsonValue), plugInfo.device_on);
    });

    it('reads the cameras\' "on"/"off" and "1"/"0", and the numbers 1/0', () => {
      assert.equal(bool(detection.enabled), true);
      assert.equal(bool(capability.absolute_move_supported), true);
      assert.equal(bool(capability.limit_supported), false);
      assert.equal(bool('on'), true);
      assert.equal(bool('off'), false);
      assert.equal(bool('1'), true);
      assert.equal(bool('0'), false);
      assert.equal(bool(1), true);
      assert.equal(bool(0), false);
    });

    it('is undefined for anything else', () => {
      for (const v of [...NOTHING, 'true', 'false', 'yes', 'ON', '', 2, -1, 0.5, {}, []]) assert.equal(bool(v), undefined, JSON.stringify(v));
    });
  });
});
