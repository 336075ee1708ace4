/**
 * Every label, status, error text and help page exists in every language the package ships
 * (en-US, de, fr, es-ES, ja, zh-CN): each key of each en-US catalog exists in each language with a
 * non-empty text and the same `__placeholders__`, and each node's help page exists per language with
 * the same sections and the same message properties.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { placeholders } from '../../src/protocol/reasons';

const root = path.resolve(__dirname, '../..');
const LANGUAGES = ['de', 'fr', 'es-ES', 'ja', 'zh-CN'];
const dir = (lang: string): string => path.join(root, 'nodes/locales', lang);
const TYPES = fs
  .readdirSync(dir('en-US'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

/** Every leaf of a catalog, by dotted key. */
function leaves(value: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof value === 'string') out.set(prefix, value);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) for (const [key, text] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(key, text);
  }
  return out;
}

function catalog(lang: string, type: string): Map<string, string> {
  const file = path.join(dir(lang), `${type}.json`);
  assert.ok(fs.existsSync(file), `${lang}/${type}.json is missing`);
  return leaves(JSON.parse(fs.readFileSync(file, 'utf8')));
}

/** A help page's `<h3>` count and the `<dt>` property names (not their prose). */
function helpShape(lang: string, type: string): { sections: number; properties: string[] } {
  const file = path.join(dir(lang), `${type}.html`);
  assert.ok(fs.existsSync(file), `${lang}/${type}.html is missing`);
  const html = fs.readFileSync(file, 'utf8');
  assert.match(html, new RegExp(`data-help-name="${type}"`));
  return {
    sections: [...html.matchAll(/<h3>/g)].length,
    properties: [...html.matchAll(/<dt[^>]*>([\s\S]*?)<span/g)].map((m) => (m[1] ?? '').trim()),
  };
}

describe('nodes: every language', () => {
  it('the languages and node types are found', () => {
    assert.ok(TYPES.includes('tapo-device') && TYPES.length >= 6, TYPES.join(', '));
  });
  for (const lang of LANGUAGES) {
    describe(lang, () => {
      for (const type of TYPES) {
        it(`${type}.json has every key of en-US, with its placeholders`, () => {
          const english = catalog('en-US', type);
          const local = catalog(lang, type);
          const missing = [...english.keys()].filter((k) => !(local.get(k) ?? '').trim());
          assert.deepEqual(missing, [], `${lang}/${type}.json lacks ${missing.length} keys`);
          const wrong = [...english].filter(([k, text]) => placeholders(local.get(k) ?? '').join() !== placeholders(text).join()).map(([k]) => k);
          assert.deepEqual(wrong, [], `${lang}/${type}.json: placeholders differ`);
          const extra = [...local.keys()].filter((k) => !english.has(k));
          assert.deepEqual(extra, [], `${lang}/${type}.json has keys en-US does not`);
        });
        it(`${type}.html is there, with the sections and properties of en-US`, () => {
          assert.deepEqual(helpShape(lang, type), helpShape('en-US', type));
        });
      }
    });
  }
});
