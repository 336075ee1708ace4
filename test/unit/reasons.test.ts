/**
 * The English tables of src/protocol/reasons are merged into one REASONS and one HINTS table by
 * spreading them: a key in two tables would silently take the later table's text. Every key is in
 * one table only.
 */
import assert from 'node:assert/strict';
import { CODE_STATUSES } from '../../src/protocol/reasons/codes';
import { HINTS, HINT_TABLES, REASONS, REASON_TABLES, STATUSES } from '../../src/protocol/reasons';

function keysInTwoTables(tables: Readonly<Record<string, Readonly<Record<string, string>>>>): string[] {
  const seen = new Map<string, string>();
  const twice: string[] = [];
  for (const [name, table] of Object.entries(tables)) {
    for (const key of Object.keys(table)) {
      const first = seen.get(key);
      if (first !== undefined) twice.push(`${key} (${first}, ${name})`);
      else seen.set(key, name);
    }
  }
  return twice;
}

describe('error reason tables', () => {
  it('no reason key is in two tables, and REASONS holds every one', () => {
    assert.deepEqual(keysInTwoTables(REASON_TABLES), []);
    const all = Object.values(REASON_TABLES).reduce((n, t) => n + Object.keys(t).length, 0);
    assert.equal(Object.keys(REASONS).length, all);
  });

  it('no hint key is in two tables, and HINTS holds every one', () => {
    assert.deepEqual(keysInTwoTables(HINT_TABLES), []);
    const all = Object.values(HINT_TABLES).reduce((n, t) => n + Object.keys(t).length, 0);
    assert.equal(Object.keys(HINTS).length, all);
  });

  it('every status belongs to a reason', () => {
    for (const key of Object.keys({ ...CODE_STATUSES, ...STATUSES })) assert.ok(Object.hasOwn(REASONS, key), key);
  });
});
