/**
 * Every message-catalog key the nodes use exists in nodes/locales/en-US. The flow tests run with
 * the helper's key-echoing translator, so they cannot see a missing text; this scan can.
 *
 * Runtime (src/nodes/*.ts): `t('…')` and `RED._('…')`. Action nodes bind `t` to their own catalog
 * (`RED._(\`<type>.${key}\`)`); shared.ts keys starting `tapo-device.` use the config node's
 * catalog, its other keys must exist in the catalog of every action node.
 * Editor (nodes/*.html): `data-i18n="…"` and every quoted `'<type>.…'` string (this covers
 * `this._('…')`, `node._(a ? '…' : '…')` and prefixes joined with `+`), in `<type>.json`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ERROR_KINDS } from '../../src/protocol/errors';
import { HINTS, REASONS, STATUSES } from '../../src/protocol/reasons';

const root = path.resolve(__dirname, '../..');
const TYPES = ['tapo-device', 'tapo-plug-control', 'tapo-plug-energy', 'tapo-light', 'tapo-camera-get', 'tapo-camera-do', 'tapo-event', 'tapo-sensor'];
const ACTION_TYPES = TYPES.filter((type) => type !== 'tapo-device');

/**
 * Keys built at run time, by their template in the source, and the keys they can become. A new
 * template must be listed here, or the test fails: that keeps the scan from skipping it.
 */
const TEMPLATES: Record<string, string[]> = {
  'tapo-device.errors.${facts.kind}': [...ERROR_KINDS, 'Internal'].map((k) => `tapo-device.errors.${k}`),
  'tapo-device.status.${state}': ['tapo-device.status.error', 'tapo-device.status.locked'],
  "errors.needs${kind === 'plug' ? 'Plug' : 'Camera'}": ['errors.needsPlug', 'errors.needsCamera'],
  // Error reasons, hints and statuses: every key of the English tables (test/nodes/reasons.test.ts
  // checks the catalog holds exactly those).
  'tapo-device.${table}.${key}': [
    ...Object.keys(REASONS).map((k) => `tapo-device.reasons.${k}`),
    ...Object.keys(HINTS).map((k) => `tapo-device.hints.${k}`),
    ...Object.keys(STATUSES).map((k) => `tapo-device.statuses.${k}`),
  ],
  'tapo-device.statuses.${facts.reason}': Object.keys(STATUSES).map((k) => `tapo-device.statuses.${k}`),
  'status.paused.${status.paused}': ['authentication', 'locked', 'privacy', 'unsupported'].map((p) => `status.paused.${p}`),
};

/** Prefixes joined with a variable in the editor code, and what they are joined with. */
const PREFIXES: Record<string, string[]> = {
  'tapo-camera-get.mode.': ['snapshot', 'rtsp'],
  'tapo-camera-get.setting.': ['deviceInfo', 'privacyMode', 'led', 'motionDetection', 'personDetection', 'nightVision', 'alarm', 'presets', 'sdCard', 'time', 'connection', 'wan', 'videoQuality', 'imageFlip', 'targetTracking', 'mediaEncryption', 'diagnoseMode', 'components', 'userId'],
  'tapo-plug-control.nodeLabel.action.': ['payload', 'on', 'off', 'toggle', 'status'],
  'tapo-light.nodeLabel.action.': ['payload', 'on', 'off', 'toggle', 'status'],
  'tapo-plug-energy.nodeLabel.mode.': ['summary', 'hourly', 'daily', 'monthly'],
  'tapo-camera-do.nodeLabel.change.': ['privacyMode', 'led', 'motionDetection', 'personDetection', 'nightVision', 'alarm', 'imageFlip', 'targetTracking', 'mediaEncryption', 'move', 'step', 'preset', 'savePreset', 'deletePreset', 'reboot', 'raw'],
  'tapo-event.event.': ['motion', 'person', 'vehicle', 'pet', 'lineCross', 'intrusion', 'tamper', 'babyCry', 'ring', 'on', 'off', 'power', 'open', 'close', 'keepOpen', 'water', 'dry', 'click', 'doubleClick', 'rotate', 'lowBattery', 'temperature', 'humidity'],
};

type Catalog = Record<string, unknown>;

function catalog(type: string): Catalog {
  return JSON.parse(fs.readFileSync(path.join(root, 'nodes/locales/en-US', `${type}.json`), 'utf8')) as Catalog;
}

/** The text of `key` in `cat`, or undefined. */
function lookup(cat: Catalog, key: string): string | undefined {
  let at: unknown = cat;
  for (const part of key.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return typeof at === 'string' && at.length > 0 ? at : undefined;
}

/** A key in use: where, which catalog, and the full key. */
interface Use {
  where: string;
  type: string;
  key: string;
}

/** Expands a key that may be a template; an unknown template yields itself (and fails lookup). */
function expand(key: string): string[] {
  if (!key.includes('${')) return [key];
  return TEMPLATES[key] ?? [key];
}

function runtimeUses(): Use[] {
  const uses: Use[] = [];
  const dir = path.join(root, 'src/nodes');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const own = /RED\._\(`([\w-]+)\.\$\{key\}`/.exec(text)?.[1];
    const calls = /(?:\bt|RED\._)\(\s*(['"`])((?:(?!\1).)+)\1/g;
    for (const match of text.matchAll(calls)) {
      const raw = match[2] ?? '';
      if (raw === '${key}' || /^[\w-]+\.\$\{key\}$/.test(raw)) continue;
      const where = `src/nodes/${file}: ${raw}`;
      for (const key of expand(raw)) {
        const first = key.split('.')[0] ?? '';
        if (TYPES.includes(first)) uses.push({ where, type: first, key });
        else if (own) uses.push({ where, type: own, key: `${own}.${key}` });
        else for (const type of ACTION_TYPES) uses.push({ where, type, key: `${type}.${key}` });
      }
    }
  }
  return uses;
}

function editorUses(): Use[] {
  const uses: Use[] = [];
  for (const type of TYPES) {
    const text = fs.readFileSync(path.join(root, 'nodes', `${type}.html`), 'utf8');
    const where = `nodes/${type}.html`;
    for (const match of text.matchAll(/data-i18n="([^"]+)"/g)) {
      for (const part of (match[1] ?? '').split(';')) {
        uses.push({ where, type, key: part.replace(/^\[[^\]]+\]/, '') });
      }
    }
    const quoted = new RegExp(`'((?:${TYPES.join('|')})\\.[\\w.-]*)'`, 'g');
    for (const match of text.matchAll(quoted)) {
      const key = match[1] ?? '';
      if (!key.endsWith('.')) {
        uses.push({ where, type, key });
        continue;
      }
      for (const tail of PREFIXES[key] ?? ['(unlisted prefix)']) uses.push({ where, type, key: `${key}${tail}` });
    }
  }
  return uses;
}

function missing(uses: Use[]): string[] {
  const catalogs = new Map(TYPES.map((type) => [type, catalog(type)]));
  return uses
    .filter((use) => lookup(catalogs.get(use.type) ?? {}, use.key) === undefined)
    .map((use) => `${use.where} → ${use.type}.json has no "${use.key}"`);
}

describe('nodes: message catalogs', () => {
  it('finds the keys it is meant to check (the scan is not empty)', () => {
    const runtime = runtimeUses();
    const editor = editorUses();
    assert.ok(runtime.some((u) => u.key === 'tapo-plug-energy.errors.badMode'), 'action node key not found');
    assert.ok(runtime.some((u) => u.key === 'tapo-camera-do.errors.noDeviceShort'), 'shared key not expanded per action node');
    assert.ok(runtime.some((u) => u.key === 'tapo-device.errors.Timeout'), 'template key not expanded');
    assert.ok(editor.some((u) => u.key === 'tapo-device.placeholder.usernameCamera'), 'conditional key not found');
    assert.ok(editor.some((u) => u.key === 'tapo-camera-get.setting.sdCard'), 'prefix not expanded');
    assert.ok(editor.some((u) => u.key === 'tapo-device.placeholder.host'), 'data-i18n attribute key not found');
  });

  it('reports a key that is not in the catalog', () => {
    assert.deepEqual(missing([{ where: 'x', type: 'tapo-device', key: 'tapo-device.status.nope' }]).length, 1);
    assert.deepEqual(missing([{ where: 'x', type: 'tapo-device', key: 'tapo-device.status' }]).length, 1);
    assert.deepEqual(missing([{ where: 'x', type: 'tapo-device', key: 'tapo-device.status.idle' }]).length, 0);
  });

  it('every key used in src/nodes/*.ts exists in nodes/locales/en-US', () => {
    assert.deepEqual(missing(runtimeUses()), []);
  });

  it('every key used in nodes/*.html exists in nodes/locales/en-US', () => {
    assert.deepEqual(missing(editorUses()), []);
  });
});
