/**
 * Review fixes in the nodes, in node-red-node-test-helper flows against simulated devices on
 * 127.0.0.1 (nodes load from dist/: run `npx tsc -p tsconfig.json` first). Assertions are on the
 * simulator's state and counters; the helper's translator echoes catalog keys, so statuses are
 * compared by key.
 *
 * 1. energy history over a chosen range (the entries of [start, end], window by window);
 * 2. "not supported by this device" unless the scheme is the problem; no double full stop;
 * 3. Test connection (and the CLI's probe) say "this looks like a camera/plug";
 * 4. energy polling stops on errors repeating cannot fix, and never starts on a camera device;
 * 5. the energy node refuses unknown payload keys before anything is sent;
 * 6. timeouts out of 1–120 s are refused (editor and runtime), never clamped in silence.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import sinon from 'sinon';
import { WrongKindError, explainProbeFailure, probeDevice } from '../../src/connection/probe';
import { TapoError } from '../../src/protocol/errors';
import { errorText, isSchemeError, toNodeError } from '../../src/nodes/shared';
import type { Translate } from '../../src/nodes/shared';
import { english } from '../../src/protocol/reasons';
import { ManualClock, startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import { rejection } from '../helpers';

import {
  PASSWORD,
  PLUG_USER,
  closedPort,
  creds,
  deviceNode,
  expectRefusedAsInput,
  flow,
  helper,
  next,
  nodeModules,
  root,
  statusWhere,
  statuses,
  useFakePollTimers,
} from './harness';
import type { CaughtError, Status } from './harness';

const P110 = 'P110(UK)_1.0_1.3.0';
const P100 = 'P100(US)_1.0.0_1.4.0';
const C210 = 'C210_2.0_1.3.11';
const DAY = 86_400;

const utc = (y: number, m: number, d: number): number => Date.UTC(y, m, d) / 1000;

/**
 * Every status a node set since the flow was loaded, including those set while it started (the
 * helper's `call:status` events fire before a test can listen): read from the sinon spy the helper
 * puts on the node prototype's `status`.
 */
function deployStatuses(id: string): Status[] {
  const spy = (helper as unknown as { _NodePrototype: { status: sinon.SinonSpy } })._NodePrototype.status;
  return spy
    .getCalls()
    .filter((call) => (call.thisValue as { id?: string }).id === id)
    .map((call) => (call.args[0] ?? {}) as Status);
}

describe('nodes: review fixes', function () {
  let sims: SimulatedDevice[] = [];
  async function device(fixture: string, options: { clock?: ManualClock; loadWatts?: number } = {}): Promise<SimulatedDevice> {
    const d = await startDevice({ fixture, password: PASSWORD, ...options });
    sims.push(d);
    return d;
  }

  afterEach(async () => {
    await helper.unload();
    await Promise.all(sims.map((d) => d.stop()));
    sims = [];
  });

  describe('1. energy history over a chosen range', () => {
    it('{mode: "daily", start, end} answers exactly those days, across quarters, with the simulator\'s values', async () => {
      const clock = new ManualClock(Date.UTC(2026, 0, 1));
      const sim = await device(P110, { clock, loadWatts: 50 });
      (sim.logic as PlugLogic).handle({ method: 'set_device_info', params: { device_on: true } });
      clock.set(Date.UTC(2026, 6, 10));
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { type: 'tapo-plug-energy', mode: 'summary', poll: 0 }), creds(PLUG_USER, PASSWORD));
      const act = helper.getNode('act');
      const out = helper.getNode('out');

      let reply = next(out);
      act.receive({ payload: { mode: 'daily', start: '2026-01-01', end: '2026-01-05' } });
      let history = (await reply).payload as { interval: string; entries: Array<{ timestamp: number; energy: number }> };
      assert.equal(history.interval, 'daily');
      assert.deepEqual(history.entries, [0, 1, 2, 3, 4].map((d) => ({ timestamp: utc(2026, 0, 1) + d * DAY, energy: 24 * 50 })));

      reply = next(out);
      act.receive({ payload: { mode: 'daily', start: '2026-01-01', end: '2026-06-30' } });
      history = (await reply).payload as typeof history;
      assert.equal(history.entries.length, 181);
      assert.equal(history.entries.at(-1)?.timestamp, utc(2026, 5, 30));
      assert.ok(history.entries.every((e) => e.energy === 24 * 50));
    });

    it('end before start, and a range over the maximum, reach Catch as Input; nothing is sent', async () => {
      const sim = await device(P110);
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { type: 'tapo-plug-energy', mode: 'daily', poll: 0 }), creds(PLUG_USER, PASSWORD));
      await expectRefusedAsInput([
        { start: '2026-02-01', end: '2026-01-01' },
        { mode: 'hourly', start: '2026-01-01', end: '2026-12-31' },
      ]);
      assert.equal(sim.requestCount, 0);
      assert.equal(sim.server.loginCount, 0);
    });
  });

  describe('2. Unsupported: the device, or the scheme', () => {
    it('no energy meter on a P100: "not supported by this device", one full stop', async () => {
      const sim = await device(P100);
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { type: 'tapo-plug-energy', mode: 'summary', poll: 0 }), creds(PLUG_USER, PASSWORD));
      const act = helper.getNode('act');
      const seen = statuses(act);
      const caught = next(helper.getNode('caught'));
      act.receive({});
      const err = (await caught).error as CaughtError & { cause?: { reason?: string } };
      assert.equal(err.cause?.kind, 'Unsupported');
      assert.equal(err.cause?.reason, 'noEnergyMeter');
      assert.ok(!err.message.includes('..'), err.message);
      // The helper's translator echoes keys: the reason, then its hint after one full stop.
      assert.match(err.message, /reasons\.noEnergyMeter\. tapo-device\.hints\.energyModel$/);
      await statusWhere(act, seen, (s) => s.fill === 'red');
      assert.equal(seen.find((s) => s.fill === 'red')?.text, 'tapo-device.errors.Unsupported');
      // The device was asked which components it has, and nothing about energy.
      assert.equal((sim.logic as PlugLogic).state.currentPowerW, 0);
    });

    it('a raw method the camera does not know: "not supported by this device"', async () => {
      const sim = await device(C210);
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'camera'), { type: 'tapo-camera-get', names: ['led'] }), creds('admin', PASSWORD));
      const act = helper.getNode('act');
      const seen = statuses(act);
      const caught = next(helper.getNode('caught'));
      act.receive({ payload: { method: 'getNope', params: {} } });
      const err = (await caught).error as CaughtError;
      assert.equal(err.cause?.kind, 'Unsupported', err.message);
      const red = await statusWhere(act, seen, (s) => s.fill === 'red');
      assert.equal(red.text, 'tapo-device.errors.Unsupported');
      assert.ok(sim.requestCount >= 1);
    });

    it('a forced scheme the plug does not speak: "not supported: check scheme"', async () => {
      const sim = await device(P110);
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug', { scheme: 'passthrough' }), { type: 'tapo-plug-control', action: 'status' }), creds(PLUG_USER, PASSWORD));
      const act = helper.getNode('act');
      const seen = statuses(act);
      const caught = next(helper.getNode('caught'));
      act.receive({});
      const err = (await caught).error as CaughtError;
      assert.equal(err.cause?.kind, 'Unsupported');
      const red = await statusWhere(act, seen, (s) => s.fill === 'red');
      assert.equal(red.text, 'tapo-device.errors.UnsupportedScheme');
      assert.equal(sim.server.loginCount, 0);
    });

    it('classifies Unsupported errors by what they are about', () => {
      const t: Translate = (key) => key;
      const method = new TapoError('Unsupported', 'unexpected', { params: { detail: 'getNope: this model does not know that method (error -1002)' }, code: -1002 });
      const batch = new TapoError('Unsupported', 'unexpected', { params: { detail: 'motorMove: unknown method in a batch (error -40210)' }, code: -40210 });
      const feature = new TapoError('Unsupported', 'noEnergyMeter', { hint: 'energyModel', sent: false });
      const suggested = new TapoError('Unsupported', 'unexpected', { params: { detail: 'the device has no KLAP endpoint (HTTP 404 on handshake1)' }, suggestedScheme: 'passthrough' });
      // As src/protocol/tpap.ts throws it: flagged as about the scheme.
      const tpapLogin = new TapoError('Unsupported', 'unexpected', { params: { detail: 'the device offers no passcode type this client knows (pake [9])' }, aboutScheme: true });
      for (const err of [method, batch, feature]) {
        assert.equal(isSchemeError(err), false, err.message);
        assert.match(toNodeError(t, err).message, /^tapo-device\.errors\.Unsupported:/);
      }
      assert.equal(errorText(t, { kind: 'Unsupported' }), 'tapo-device.errors.Unsupported');
      assert.equal(errorText(t, { kind: 'Unsupported', aboutScheme: true }), 'tapo-device.errors.UnsupportedScheme');
      for (const err of [suggested, tpapLogin]) {
        assert.equal(isSchemeError(err), true, err.message);
        assert.match(toNodeError(t, err).message, /^tapo-device\.errors\.UnsupportedScheme:/);
      }
      // What those keys say.
      const catalog = JSON.parse(fs.readFileSync(path.join(root, 'nodes/locales/en-US/tapo-device.json'), 'utf8')) as {
        'tapo-device': { errors: Record<string, string> };
      };
      assert.equal(catalog['tapo-device'].errors.Unsupported, 'not supported by this device');
      assert.match(catalog['tapo-device'].errors.UnsupportedScheme ?? '', /check scheme/);

      // Reasons and hints through the English tables, the rest as keys.
      const tEnglish: Translate = (key, params) => {
        const [, table, name] = /^tapo-device\.(reasons|hints)\.(\w+)$/.exec(key) ?? [];
        return table !== undefined && name !== undefined ? english(table as 'reasons' | 'hints', name, params ?? {}) : key;
      };
      const joined = toNodeError(tEnglish, new TapoError('Unsupported', 'unexpected', { params: { detail: 'No meter.' }, hint: 'energyModel' })).message;
      assert.equal(joined, 'tapo-device.errors.Unsupported: No meter. Energy readings need a P110, P115 or another model with energy monitoring.');
      const noStop = toNodeError(tEnglish, new TapoError('Transport', 'unexpected', { params: { detail: 'refused' }, hint: 'checkPowered' })).message;
      assert.equal(noStop, 'tapo-device.errors.Transport: refused. Check that the device is powered and reachable.');
    });
  });

  describe('3. Test connection and probe: the other kind of device', () => {
    it('a camera tested as a plug: "this looks like a camera"; a plug tested as a camera: "a plug"', async () => {
      const camera = await device(C210);
      const plug = await device(P110);
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${camera.port}`, 'plug'), { type: 'tapo-plug-control', action: 'status' }), creds('admin', PASSWORD));
      let r = await helper.request().post('/tapo-device/dev/test').send({ host: `127.0.0.1:${camera.port}`, kind: 'plug', scheme: 'auto', username: 'admin', password: PASSWORD });
      assert.equal(r.body.ok, false);
      assert.equal(r.body.looksLike, 'camera', JSON.stringify(r.body));
      assert.equal(r.body.message, 'tapo-device.test.looksLikeCamera');
      // The check had no credentials: the camera saw no login and counts no failure.
      assert.equal(camera.server.loginCount, 0);
      assert.equal(camera.guard.lockedSecondsLeft(), 0);

      r = await helper.request().post('/tapo-device/dev/test').send({ host: `127.0.0.1:${plug.port}`, kind: 'camera', scheme: 'auto', username: PLUG_USER, password: PASSWORD });
      assert.equal(r.body.ok, false);
      assert.equal(r.body.looksLike, 'plug', JSON.stringify(r.body));
      assert.equal(r.body.message, 'tapo-device.test.looksLikePlug');
      assert.equal(plug.server.loginCount, 0);
    });

    it('the deployed settings (live connection) get the same answer; messages still get Transport', async () => {
      const camera = await device(C210);
      const host = `127.0.0.1:${camera.port}`;
      await helper.load(nodeModules, flow(deviceNode(host, 'plug'), { type: 'tapo-plug-control', action: 'status' }), creds(PLUG_USER, PASSWORD));
      const r = await helper.request().post('/tapo-device/dev/test').send({ host, kind: 'plug', scheme: 'auto', username: PLUG_USER, password: '__PWRD__' });
      assert.equal(r.body.looksLike, 'camera', JSON.stringify(r.body));

      const caught = next(helper.getNode('caught'));
      helper.getNode('act').receive({});
      const err = (await caught).error as CaughtError;
      assert.equal(err.cause?.kind, 'Transport');
      assert.doesNotMatch(err.message, /looks like/);
    });

    it('nothing listening: still "unreachable" (Transport), no guess', async () => {
      const port = await closedPort();
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${port}`, 'plug'), { type: 'tapo-plug-control', action: 'status' }), creds(PLUG_USER, PASSWORD));
      const r = await helper.request().post('/tapo-device/dev/test').send({ host: `127.0.0.1:${port}`, kind: 'plug', scheme: 'auto', username: PLUG_USER, password: PASSWORD });
      assert.equal(r.body.ok, false);
      assert.equal(r.body.kind, 'Transport');
      assert.equal(r.body.looksLike, undefined);
    });

    it('probeDevice (the CLI probe) says so too, and default ports are those of the other kind', async () => {
      const camera = await device(C210);
      const err = await rejection(
        probeDevice({ host: `127.0.0.1:${camera.port}`, kind: 'plug', credentials: { username: PLUG_USER, password: PASSWORD }, timeoutMs: 3000 }),
      );
      assert.ok(err instanceof WrongKindError);
      assert.equal(err.looksLike, 'camera');
      assert.match(err.message, /this looks like a camera/);
      assert.match(err.hint ?? '', /--kind camera/);

      // A host without a port: the plug's port refused (as for a camera on 80), the camera's port answers.
      const refused = new TapoError('Transport', 'unexpected', { params: { detail: 'cannot reach 127.0.0.1:80 (ECONNREFUSED)' }, sent: false });
      const explained = await explainProbeFailure(
        { host: '127.0.0.1', kind: 'plug', credentials: { username: PLUG_USER, password: PASSWORD } },
        refused,
        { defaultPorts: { camera: camera.port } },
      );
      assert.ok(explained instanceof WrongKindError, String(explained));
      assert.match((explained as WrongKindError).message, new RegExp(`127\\.0\\.0\\.1:${camera.port}`));
      // Not a Transport failure (e.g. a wrong password): nothing is checked.
      const auth = new TapoError('Authentication', 'unexpected', { params: { detail: 'wrong password' } });
      assert.equal(await explainProbeFailure({ host: '127.0.0.1', kind: 'plug', credentials: { username: '', password: '' } }, auth, { defaultPorts: { camera: camera.port } }), auth);
      assert.equal(camera.server.loginCount, 0);
    });
  });

  describe('4. energy polling and errors repeating cannot fix', () => {
    const clockOf = useFakePollTimers();

    it('an energy node on a camera device is refused at deploy: red status, no poll, nothing sent', async () => {
      const camera = await device(C210);
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${camera.port}`, 'camera'), { type: 'tapo-plug-energy', mode: 'summary', poll: 10 }), creds('admin', PASSWORD));
      const act = helper.getNode('act');
      const seen = statuses(act);
      // Set while the flow started, before a listener could be added: read the helper's spy.
      assert.deepEqual(deployStatuses('act').at(-1), { fill: 'red', shape: 'ring', text: 'tapo-plug-energy.errors.needsPlugShort' });
      assert.equal(clockOf().countTimers(), 0, 'a poll timer was armed');
      await clockOf().tickAsync(60_000);
      assert.equal(camera.httpRequestCount, 0);
      assert.equal(deployStatuses('act').at(-1)?.text, 'tapo-plug-energy.errors.needsPlugShort', 'the device state painted over the refusal');
      // A message is refused as Input.
      const caught = next(helper.getNode('caught'));
      act.receive({});
      assert.equal(((await caught).error as CaughtError).cause?.kind, 'Input');
      await statusWhere(act, seen, (s) => s.fill === 'red');
      assert.equal(camera.httpRequestCount, 0);
    });

    it('no energy meter: the first poll reports once and polling stops until redeploy, messages do not restart it', async () => {
      const sim = await device(P100);
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { type: 'tapo-plug-energy', mode: 'summary', poll: 10 }), creds(PLUG_USER, PASSWORD));
      const act = helper.getNode('act');
      const seen = statuses(act);
      let reports = 0;
      helper.getNode('caught').on('input', () => reports++);
      const caught = next(helper.getNode('caught'));
      await clockOf().tickAsync(10_000);
      assert.equal(((await caught).error as CaughtError).cause?.kind, 'Unsupported');
      await statusWhere(act, seen, (s) => s.text === 'tapo-plug-energy.status.pollStopped');
      assert.equal(clockOf().countTimers(), 0, 'the poll timer is still armed');
      const traffic = sim.requestCount;

      await clockOf().tickAsync(100_000);
      assert.equal(sim.requestCount, traffic);
      assert.equal(reports, 1);

      // A message is answered (with the same error) but does not re-arm the poll.
      const again = next(helper.getNode('caught'));
      act.receive({});
      assert.equal(((await again).error as CaughtError).cause?.kind, 'Unsupported');
      assert.equal(clockOf().countTimers(), 0);
      await clockOf().tickAsync(100_000);
      assert.equal(reports, 2);
    });
  });

  describe('5. the energy node refuses what it does not understand', () => {
    it('unknown keys, a typo, both mode and interval, and a range with the summary: Input, nothing sent', async () => {
      const sim = await device(P110);
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { type: 'tapo-plug-energy', mode: 'summary', poll: 0 }), creds(PLUG_USER, PASSWORD));
      const act = helper.getNode('act');
      let outputs = 0;
      helper.getNode('out').on('input', () => outputs++);
      const refused: unknown[] = [
        { foo: 1 },
        { mdoe: 'daily' },
        { mode: 'daily', start: '2026-01-01', end: '2026-01-02', extra: true },
        { mode: 'summary', start: '2026-01-01' },
        { start: '2026-01-01' },
        { mode: 'daily', interval: 'daily' },
      ];
      await expectRefusedAsInput(refused);
      assert.equal(sim.requestCount, 0);
      assert.equal(sim.server.loginCount, 0);
      assert.equal(outputs, 0);

      const reply = next(helper.getNode('out'));
      act.receive({ payload: { interval: 'monthly' } });
      assert.equal(((await reply).payload as { interval: string }).interval, 'monthly');
    });
  });

  describe('6. timeouts out of range', () => {
    for (const timeout of ['9999999', '0.0001', 0, 'soon']) {
      it(`timeout ${JSON.stringify(timeout)}: red status on the users, Input error with the range, nothing sent`, async () => {
        const sim = await device(P110);
        await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug', { timeout }), { type: 'tapo-plug-control', action: 'on' }), creds(PLUG_USER, PASSWORD));
        const act = helper.getNode('act');
        const seen = statuses(act);
        const before = (sim.logic as PlugLogic).state.on;
        const caught = next(helper.getNode('caught'));
        act.receive({});
        const err = (await caught).error as CaughtError;
        assert.equal(err.cause?.kind, 'Input');
        assert.match(err.message, /tapo-device\.reasons\.badTimeout/);
        const red = await statusWhere(act, seen, (s) => s.fill === 'red');
        assert.equal(red.text, 'tapo-device.status.badTimeout');
        assert.equal(sim.httpRequestCount, 0);
        assert.equal((sim.logic as PlugLogic).state.on, before);
      });
    }

    it('an energy node does not poll with an invalid timeout; 2.5 s and an empty timeout work', async () => {
      const timers = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const sim = await device(P110);
        await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug', { timeout: '500' }), { type: 'tapo-plug-energy', mode: 'summary', poll: 5 }), creds(PLUG_USER, PASSWORD));
        assert.equal(timers.countTimers(), 0);
        await timers.tickAsync(30_000);
        assert.equal(sim.httpRequestCount, 0);
      } finally {
        timers.restore();
      }
      for (const timeout of ['2.5', '']) {
        await helper.unload();
        const sim = await device(P110);
        await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug', { timeout }), { type: 'tapo-plug-control', action: 'on' }), creds(PLUG_USER, PASSWORD));
        const reply = next(helper.getNode('out'));
        helper.getNode('act').receive({});
        await reply;
        assert.equal((sim.logic as PlugLogic).state.on, true);
      }
    });

    it('Test connection refuses an out-of-range timeout from the dialog without contacting the device', async () => {
      const sim = await device(P110);
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { type: 'tapo-plug-control', action: 'status' }), creds(PLUG_USER, PASSWORD));
      const r = await helper.request().post('/tapo-device/dev/test').send({ host: `127.0.0.1:${sim.port}`, kind: 'plug', timeout: '9999999', username: PLUG_USER, password: PASSWORD });
      assert.equal(r.status, 400);
      assert.equal(r.body.kind, 'Input');
      assert.match(String(r.body.message), /badTimeout/);
      assert.equal(sim.httpRequestCount, 0);
    });

    it('a deployed node with a bad timeout: Test connection with a fixed timeout tests the dialog values', async () => {
      const sim = await device(P110);
      const host = `127.0.0.1:${sim.port}`;
      await helper.load(nodeModules, flow(deviceNode(host, 'plug', { timeout: '9999999' }), { type: 'tapo-plug-control', action: 'status' }), creds(PLUG_USER, PASSWORD));
      const r = await helper.request().post('/tapo-device/dev/test').send({ host, kind: 'plug', scheme: 'auto', timeout: '10', username: PLUG_USER, password: '__PWRD__' });
      assert.equal(r.body.ok, true, JSON.stringify(r.body));
      assert.equal(r.body.model, 'P110');
    });

    it('the editor validates the timeout range', () => {
      const html = fs.readFileSync(path.join(root, 'nodes/tapo-device.html'), 'utf8');
      const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
      let defaults: Record<string, { validate?: (v: unknown) => boolean }> = {};
      const RED = {
        nodes: { registerType: (_: string, def: { defaults: typeof defaults }) => (defaults = def.defaults) },
        validators: { regex: () => () => true, number: () => () => true },
      };
      vm.runInNewContext(script, { RED, $: () => undefined });
      const validate = defaults.timeout?.validate;
      assert.ok(validate, 'no timeout validator');
      for (const ok of ['1', '10', '120', '2.5', 30, '']) assert.equal(validate.call({}, ok), true, String(ok));
      for (const bad of ['9999999', '0.0001', '0', '121', 'soon', -5]) assert.equal(validate.call({}, bad), false, String(bad));
    });
  });

  it('a camera-get on a camera still works (sanity of the shared changes)', async () => {
    const sim = await device(C210);
    await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'camera'), { type: 'tapo-camera-get', names: ['led'] }), creds('admin', PASSWORD));
    const reply = next(helper.getNode('out'));
    helper.getNode('act').receive({});
    assert.deepEqual((await reply).payload, { led: (sim.logic as CameraLogic).state.ledOn });
  });
});
