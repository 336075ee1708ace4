/**
 * The simulator's reader of request bodies: the first JSON value counts and whatever follows it is
 * ignored, as cJSON (the firmware's parser) does; a body without a valid first value still throws.
 */
import { strict as assert } from 'node:assert';

import { endOfFirstJsonValue, parseFirstJsonValue } from '../../src/simulator/logic/json';

describe('simulator: first JSON value of a body', () => {
  describe('endOfFirstJsonValue', () => {
    const ends: Array<[string, number]> = [
      ['{"method":"get_device_info"}', 28],
      ['{"method":"get_device_info"};', 28],
      ['{"a":{"b":[1,{"c":[]}]}}xyz', 24],
      ['{"s":"}]{["}!', 12],
      ['{"s":"say \\"}\\" twice"};', 23],
      ['{"s":"ends in a backslash \\\\"};', 30],
      ['[1,[2,[3]]];', 11],
      ['"a \\" b" rest', 8],
      ['  \r\n\t{} ;', 7],
      ['true;', 4],
      ['false;', 5],
      ['null;', 4],
      ['-12.5e+3;', 8],
      ['0;', 1],
      ['12abc', 2],
    ];
    for (const [text, end] of ends) {
      it(`${JSON.stringify(text)} ends at ${end}`, () => {
        assert.equal(endOfFirstJsonValue(text), end);
      });
    }

    const none = ['', '   ', ';', 'abc', '-', '{"a":1', '{"a":"}', '"open', '[[]', 'tru', '{"a":"\\"}'];
    for (const text of none) {
      it(`${JSON.stringify(text)} has no first value`, () => {
        assert.equal(endOfFirstJsonValue(text), undefined);
      });
    }
  });

  describe('parseFirstJsonValue', () => {
    it('ignores a trailing ";" and any garbage after the value', () => {
      assert.deepEqual(parseFirstJsonValue('{"method":"get_device_info"};'), { method: 'get_device_info' });
      assert.deepEqual(parseFirstJsonValue('{"method":"x"}\n;\u0000garbage {"method":"y"}'), { method: 'x' });
      assert.deepEqual(parseFirstJsonValue('{"a":1}}]'), { a: 1 });
    });

    it('keeps nested objects and strings holding braces and escaped quotes intact', () => {
      const value = { method: 'multipleRequest', params: { requests: [{ method: 'set', params: { s: '}{ "]" \\' } }] } };
      assert.deepEqual(parseFirstJsonValue(`${JSON.stringify(value)};`), value);
      assert.deepEqual(parseFirstJsonValue('{"s":"a\\"};b"}trailing'), { s: 'a"};b' });
    });

    it('allows leading whitespace and reads a body without trailing characters as JSON.parse does', () => {
      assert.deepEqual(parseFirstJsonValue(' \r\n\t{"a":[1,2]}'), { a: [1, 2] });
      assert.deepEqual(parseFirstJsonValue('{"a":[1,2]}\n'), { a: [1, 2] });
      assert.equal(parseFirstJsonValue('"s";'), 's');
      assert.equal(parseFirstJsonValue('-1.5e2;'), -150);
      assert.equal(parseFirstJsonValue('null;'), null);
    });

    it('throws a SyntaxError when the body has no valid first value', () => {
      for (const text of ['', ';', ';{"a":1}', '{"a":1', '{"a":}', '{"a" 1};', '{"a":1]', "{'a':1}", '"\u0001";', 'garbage']) {
        assert.throws(() => parseFirstJsonValue(text), SyntaxError, JSON.stringify(text));
      }
    });
  });
});
