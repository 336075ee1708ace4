/**
 * Simulated devices look like real ones: the placeholders the captures left for personal data
 * (`#MASKED_NAME#`, `#MASKED_SSID#` and their base64, all-zero ids, zeroed MAC tails, scrubbed
 * socket ids) never reach a client. Checked on what each device answers to get_device_info or
 * getDeviceInfo (and a strip's sockets, and the discovery result), for every bundled fixture,
 * while the fixture files themselves stay as captured.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { fixturesDir, listFixtures, loadFixture } from '../../src/simulator/fixtures';
import { ManualClock, createLogic } from '../../src/simulator/logic';
import type { SimJson, SimJsonObject } from '../../src/simulator/types';

const PLACEHOLDERS = ['#MASKED_NAME#', '#MASKED_SSID#', 'SCRUBBED_'];

/** Every string in a JSON value, with the key it sits under. */
function strings(value: SimJson, key = ''): [string, string][] {
  if (typeof value === 'string') return [[key, value]];
  if (Array.isArray(value)) return value.flatMap((v) => strings(v, key));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [...strings(k, k), ...strings(v, k)]);
  return [];
}

/** What a placeholder looks like in a device answer: plain, base64 (plugs), or zeros. */
function placeholders(answer: SimJson): string[] {
  return strings(answer).flatMap(([key, s]) => {
    const decoded = /^[A-Za-z0-9+/]+=*$/.test(s) && s.length >= 8 ? Buffer.from(s, 'base64').toString('utf8') : '';
    const found: string[] = [];
    if (PLACEHOLDERS.some((p) => s.includes(p) || decoded.includes(p))) found.push(`${key}: ${s}`);
    if (/^0{12,}$/.test(s)) found.push(`${key}: all zeros`);
    if (/^[0-9A-Fa-f]{2}([-:]?)[0-9A-Fa-f]{2}\1[0-9A-Fa-f]{2}\1(00\1){2}00$/.test(s) && /mac/i.test(key)) found.push(`${key}: zeroed MAC ${s}`);
    return found;
  });
}

function object(value: SimJson | undefined): SimJsonObject {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `expected an object, got ${JSON.stringify(value)}`);
  return value;
}

/** The device's answer to its info request, as a client gets it. */
function deviceInfo(name: string): { info: SimJsonObject; sockets: SimJsonObject[]; logic: ReturnType<typeof createLogic> } {
  const fixture = loadFixture(name);
  const logic = createLogic(fixture, { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
  if (fixture.family === 'camera') {
    const reply = logic.handle({ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } });
    assert.equal(reply.error_code, 0, JSON.stringify(reply));
    return { info: object(object(object(reply.result).device_info).basic_info), sockets: [], logic };
  }
  const reply = logic.handle({ method: 'get_device_info' });
  assert.equal(reply.error_code, 0, JSON.stringify(reply));
  const list = logic.handle({ method: 'get_child_device_list', params: { start_index: 0 } });
  const sockets = list.error_code === 0 ? (object(list.result).child_device_list as SimJsonObject[]) : [];
  return { info: object(reply.result), sockets, logic };
}

describe('simulated devices have realistic names and ids', () => {
  const names = listFixtures();

  it('the captured fixture files still hold the placeholders (they stay as captured)', () => {
    const dir = fixturesDir();
    assert.ok(dir);
    const text = fs.readFileSync(path.join(dir, 'P110(UK)_1.0_1.3.0.json'), 'utf8');
    assert.match(text, /"nickname": "I01BU0tFRF9OQU1FIw=="/);
    assert.match(text, /"device_id": "0{40}"/);
  });

  for (const name of names) {
    it(`${name}: no placeholder in get_device_info / getDeviceInfo, its sockets or its discovery answer`, () => {
      const { info, sockets } = deviceInfo(name);
      assert.deepEqual(placeholders(info), []);
      assert.deepEqual(placeholders(sockets), []);
      assert.deepEqual(placeholders(loadFixture(name).discovery), []);
    });
  }

  it('names read like a user gave them, ids are 40 hex digits and MACs keep the TP-Link OUI, the same at every load', () => {
    for (const name of names) {
      const fixture = loadFixture(name);
      const { info } = deviceInfo(name);
      const nickname = fixture.family === 'camera' ? String(info.device_alias) : Buffer.from(String(info.nickname), 'base64').toString('utf8');
      assert.match(nickname, new RegExp(`^[A-Z][a-z]+( [a-z]+)? (plug|power strip|switch|camera|bulb|light strip|hub|chime) \\(${fixture.model.replace(/[()]/g, '\\$&')}\\)$`), name);
      const id = String(fixture.family === 'camera' ? info.dev_id : info.device_id);
      assert.match(id, /^[0-9A-F]{40}$/, name);
      const captured = JSON.parse(fs.readFileSync(fixture.path, 'utf8')) as SimJsonObject;
      const capturedMac = JSON.stringify(captured).match(/"mac":\s*"([0-9A-Fa-f]{2})[-:]?([0-9A-Fa-f]{2})[-:]?([0-9A-Fa-f]{2})/);
      assert.ok(capturedMac, name);
      assert.ok(fixture.mac.startsWith(`${capturedMac[1]}-${capturedMac[2]}-${capturedMac[3]}-`.toUpperCase()), `${name}: ${fixture.mac}`);
      assert.deepEqual(loadFixture(name).data, fixture.data, `${name} loads the same twice`);
    }
    const ids = names.map((n) => String(loadFixture(n).mac));
    assert.equal(new Set(ids).size, ids.length, 'every fixture has its own MAC');
  });

  it("a strip's sockets are named after their position, with the strip's id and a two-digit index", () => {
    const { info, sockets } = deviceInfo('P300(EU)_1.0_1.0.15');
    assert.equal(sockets.length, 3);
    for (const socket of sockets) {
      assert.equal(Buffer.from(String(socket.nickname), 'base64').toString('utf8'), `Socket ${String(socket.position)}`);
      assert.match(String(socket.device_id), new RegExp(`^${String(info.device_id)}0[0-2]$`));
      assert.equal(socket.mac, String(info.mac).replace(/-/g, ''), 'sockets report the strip MAC, as on a real P300');
    }
  });
});
