/**
 * The English tables of src/protocol/reasons (one file per layer, merged by index.ts): a key is
 * camelCase without dots, and names one text only, across every table. A key in two tables would be
 * merged silently, the later text hiding the earlier one.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { HINTS, REASONS, STATUSES } from '../../src/protocol/reasons';

const dir = path.resolve(__dirname, '../../src/protocol/reasons');

/** Every exported table of the files beside index.ts: `<NAME>_REASONS`, `_HINTS`, `_STATUSES`. */
function tables(suffix: 'REASONS' | 'HINTS' | 'STATUSES'): [string, Record<string, string>][] {
  const out: [string, Record<string, string>][] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'format.ts')) {
    const exported = require(path.join(dir, file)) as Record<string, unknown>;
    for (const [name, table] of Object.entries(exported)) {
      if (name.endsWith(`_${suffix}`)) out.push([`${file} ${name}`, table as Record<string, string>]);
    }
  }
  return out;
}

describe('reasons: the English tables', () => {
  it('finds the tables (the scan is not empty)', () => {
    assert.ok(tables('REASONS').some(([name]) => name === 'devices.ts DEVICE_REASONS'));
    assert.ok(tables('HINTS').some(([name]) => name === 'core.ts CORE_HINTS'));
  });

  it('every reason and hint key is camelCase without dots, and in one table only', () => {
    const seen = new Map<string, string>();
    for (const [name, table] of [...tables('REASONS'), ...tables('HINTS')]) {
      for (const key of Object.keys(table)) {
        assert.match(key, /^[a-z][A-Za-z0-9]*$/, `${name}: ${key}`);
        assert.ok(!seen.has(key), `${key} is in ${seen.get(key) ?? ''} and in ${name}`);
        seen.set(key, name);
      }
    }
    assert.equal(seen.size, Object.keys(REASONS).length + Object.keys(HINTS).length);
  });

  it('every status is the status of a reason, and in one table only', () => {
    const seen = new Set<string>();
    for (const [name, table] of tables('STATUSES')) {
      for (const key of Object.keys(table)) {
        assert.ok(Object.hasOwn(REASONS, key), `${name}: ${key} is no reason`);
        assert.ok(!seen.has(key), `${name}: ${key} twice`);
        seen.add(key);
      }
    }
    assert.equal(seen.size, Object.keys(STATUSES).length);
  });
});
