/**
 * The English texts of every error reason, hint and status exist once, in src/protocol/reasons,
 * and the nodes' en-US catalog holds exactly those texts under the same keys (so a node's message
 * and the command line's say the same thing in English); every other language has every key with
 * the same placeholders.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { HINTS, REASONS, STATUSES, placeholders } from '../../src/protocol/reasons';

const root = path.resolve(__dirname, '../..');

function section(lang: string, name: string): Record<string, string> {
  const file = path.join(root, 'nodes/locales', lang, 'tapo-device.json');
  const catalog = JSON.parse(fs.readFileSync(file, 'utf8')) as { 'tapo-device': Record<string, Record<string, string> | undefined> };
  return catalog['tapo-device'][name] ?? {};
}

const TABLES: Record<string, Readonly<Record<string, string | undefined>>> = { reasons: REASONS, hints: HINTS, statuses: STATUSES };

describe('nodes: error reasons in the catalogs', () => {
  for (const [name, table] of Object.entries(TABLES)) {
    it(`en-US ${name} are the English table (run test/tools/sync-en-locale.ts after adding one)`, () => {
      const expected = Object.fromEntries(Object.entries(table).filter((e) => e[1] !== undefined));
      assert.deepEqual(section('en-US', name), expected);
    });
  }

  const languages = fs.readdirSync(path.join(root, 'nodes/locales')).filter((lang) => lang !== 'en-US');
  for (const lang of languages) {
    for (const [name, table] of Object.entries(TABLES)) {
      it(`${lang} has every one of the ${name}, with the same placeholders`, () => {
        const texts = section(lang, name);
        for (const [key, english] of Object.entries(table)) {
          if (english === undefined) continue;
          const text = texts[key];
          assert.ok(text !== undefined && text.trim() !== '', `${lang}: ${name}.${key} is missing`);
          assert.deepEqual(placeholders(text), placeholders(english), `${lang}: ${name}.${key}`);
        }
      });
    }
  }
});
