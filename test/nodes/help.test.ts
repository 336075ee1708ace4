/**
 * The help of each node (nodes/locales/en-US/<type>.html) follows the Node-RED help style guide:
 * a summary paragraph first (the palette tooltip), then Inputs, Outputs and Details for the action
 * nodes (Properties and Details for the config node), properties in `<dl class="message-properties">`
 * with a `property-type` on every `<dt>`, and at most two types per `<dt>` (more are split across
 * several `<dt>` lines, so that the type stays beside its name in the sidebar). Every `msg`
 * property a node's runtime reads or writes is listed, and `msg.error`, which its Catch nodes get.
 *
 * Whether the help fits the sidebar as rendered is the browser test's job (test/e2e/editor.test.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const ACTION_TYPES = ['tapo-plug-control', 'tapo-plug-energy', 'tapo-light', 'tapo-camera-get', 'tapo-camera-do', 'tapo-sensor'];

function help(type: string): string {
  const text = fs.readFileSync(path.join(root, 'nodes/locales/en-US', `${type}.html`), 'utf8');
  const match = new RegExp(`<script type="text/html" data-help-name="${type}">([\\s\\S]*)</script>`).exec(text);
  assert.ok(match, `${type}: no help script for ${type}`);
  return match[1] ?? '';
}

/** The `<h3>` headings, in order. */
function sections(html: string): string[] {
  return [...html.matchAll(/<h3>([^<]+)<\/h3>/g)].map((m) => (m[1] ?? '').trim());
}

/** Each `<dt>`: its property name and its types. */
function properties(html: string): { name: string; types: string[] | undefined }[] {
  return [...html.matchAll(/<dt[^>]*>([\s\S]*?)<\/dt>/g)].map((m) => {
    const inner = m[1] ?? '';
    const type = /<span class="property-type">([^<]*)<\/span>/.exec(inner)?.[1];
    return {
      name: inner.replace(/<span[\s\S]*<\/span>/, '').trim(),
      types: type === undefined ? undefined : type.split('|').map((t) => t.trim()),
    };
  });
}

/** The `msg` properties a node's runtime source reads or writes. */
function msgProperties(type: string): string[] {
  const source = fs.readFileSync(path.join(root, 'src/nodes', `${type}.ts`), 'utf8');
  return [...new Set([...source.matchAll(/\bmsg\.(\w+)/g)].map((m) => m[1] ?? ''))];
}

describe('nodes: help', () => {
  for (const type of ['tapo-device', ...ACTION_TYPES, 'tapo-event']) {
    describe(type, () => {
      const html = help(type);

      it('opens with a summary paragraph, then the style guide sections in order', () => {
        assert.match(html.trimStart(), /^<p>/);
        // The config node has properties; the event node has no input (it is a source, as core's inject).
        const expected = type === 'tapo-device' ? ['Properties', 'Details', 'Errors'] : type === 'tapo-event' ? ['Outputs', 'Details'] : ['Inputs', 'Outputs', 'Details'];
        assert.deepEqual(sections(html), expected);
      });

      it('gives every property a type, and at most two types per line', () => {
        const props = properties(html);
        assert.ok(props.length > 0);
        assert.ok(html.includes('<dl class="message-properties">'));
        for (const p of props) {
          assert.ok(p.types, `${p.name}: no <span class="property-type">`);
          assert.ok(p.types.length <= 2, `${p.name}: ${p.types.join(' | ')}: split it across several <dt> lines`);
        }
      });

      if (type === 'tapo-event') {
        it('lists every property of the messages it sends', () => {
          const listed = properties(html).map((p) => p.name.split('.')[0]);
          for (const name of ['topic', 'payload', 'event', 'device']) assert.ok(listed.includes(name), `msg.${name} is not in the help`);
        });
        return;
      }
      if (type === 'tapo-device') return;

      it('lists every msg property the node reads or writes, and msg.error for Catch nodes', () => {
        const used = msgProperties(type);
        assert.ok(used.includes('payload'), 'the scan of the source found nothing');
        const listed = properties(html).map((p) => p.name.split('.')[0]);
        for (const name of [...used, 'error']) assert.ok(listed.includes(name), `msg.${name} is not in the help`);
      });
    });
  }
});
