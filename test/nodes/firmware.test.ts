/**
 * The firmware payloads of `tapo-plug-control` and `tapo-camera-do` in Node-RED
 * (node-red-node-test-helper) against simulated devices on 127.0.0.1: "check" answers the versions,
 * "update" shows its progress in the status and sends ONE message when the device is back on the
 * new version (over a new scheme for a passthrough plug moving to KLAP); a download failing halfway
 * and a bad payload go through done(err) and change nothing. The helper's catalog gives keys, so
 * statuses are asserted by key.
 */
import assert from 'node:assert/strict';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import { PASSWORD, PLUG_USER, creds, deviceNode, flow, helper, next, nodeModules, statuses } from './harness';
import type { CaughtError, Msg } from './harness';

const NEW = '1.4.0 Build 240101 Rel.100000';

describe('nodes: firmware check and update', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice | undefined;
  afterEach(async () => {
    await helper.unload();
    await sim?.stop();
    sim = undefined;
  });

  async function load(d: SimulatedDevice, type: string): Promise<void> {
    const camera = d.family === 'camera';
    await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${d.port}`, camera ? 'camera' : 'plug'), { type }), creds(camera ? 'admin' : PLUG_USER, PASSWORD));
  }

  it('tapo-plug-control {firmware: "check"} answers current, latest, updateAvailable and releaseNote', async () => {
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', password: PASSWORD, firmwareUpdate: { version: NEW, releaseNote: 'Fixes.' } });
    await load(sim, 'tapo-plug-control');
    const out = next(helper.getNode('out'));
    helper.getNode('act').receive({ payload: { firmware: 'check' } });
    assert.deepEqual((await out).payload, { current: '1.3.0 Build 230905 Rel.152200', latest: NEW, updateAvailable: true, releaseNote: 'Fixes.' });
    assert.equal(sim.firmwareState().phase, 'idle', 'a check starts nothing');
  });

  it('tapo-plug-control {firmware: "update"}: progress statuses, then one message when the plug is back on KLAP', async () => {
    sim = await startDevice({ fixture: 'P100(US)_1.0.0_1.1.3', password: PASSWORD, firmwareUpdate: { version: NEW, releaseNote: 'x', newScheme: 'klap', rebootSeconds: 0.2 } });
    await load(sim, 'tapo-plug-control');
    const act = helper.getNode('act');
    const seen = statuses(act);
    const got: Msg[] = [];
    helper.getNode('out').on('input', (m: Msg) => got.push(m));
    const out = next(helper.getNode('out'));
    act.receive({ payload: { firmware: 'update', pollSeconds: 0.01 }, topic: 'fw' });
    const msg = await out;
    const payload = msg.payload as Record<string, unknown>;
    assert.equal(payload.from, '1.1.3 Build 20191017 Rel. 57937');
    assert.equal(payload.to, NEW);
    assert.equal(payload.scheme, 'klap');
    assert.equal(typeof payload.durationSeconds, 'number');
    assert.equal(msg.topic, 'fw');
    assert.equal(sim.scheme, 'klap');
    assert.equal(sim.firmwareVersion, NEW);
    const texts = seen.map((s) => s.text ?? '');
    for (const key of ['tapo-device.firmware.starting', 'tapo-device.firmware.downloading', 'tapo-device.firmware.installing', 'tapo-device.firmware.rebooting', 'tapo-device.firmware.back']) {
      assert.ok(texts.some((t) => t.includes(key)), `status ${key} among ${texts.join(' | ')}`);
    }
    // Still one message a moment later (a new message round trip through the same device).
    const again = next(helper.getNode('out'));
    act.receive({ payload: { firmware: 'check' } });
    assert.equal(((await again).payload as Record<string, unknown>).current, NEW);
    assert.equal(got.length, 2);
  });

  it('tapo-plug-control: a download failing halfway goes to done(err) with the device failure; no message, version kept', async () => {
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', password: PASSWORD, firmwareUpdate: { version: NEW, releaseNote: 'x', failAtPercent: 60 } });
    await load(sim, 'tapo-plug-control');
    let sent = 0;
    helper.getNode('out').on('input', () => sent++);
    const caught = next(helper.getNode('caught'));
    helper.getNode('act').receive({ payload: { firmware: 'update', pollSeconds: 0.01 } });
    const err = (await caught).error as CaughtError;
    assert.equal(err.cause?.kind, 'Device');
    assert.match(err.message, /firmwareDownloadFailed|60/);
    assert.equal(sent, 0);
    assert.equal(sim.firmwareVersion, '1.3.0 Build 230905 Rel.152200');
  });

  it('a bad firmware payload is refused before anything is sent', async () => {
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', password: PASSWORD, firmwareUpdate: { version: NEW, releaseNote: 'x' } });
    await load(sim, 'tapo-plug-control');
    const before = sim.requestCount;
    const caught = next(helper.getNode('caught'));
    helper.getNode('act').receive({ payload: { firmware: 'upgrade' } });
    const err = (await caught).error as CaughtError;
    assert.equal(err.cause?.kind, 'Input');
    const caught2 = next(helper.getNode('caught'));
    helper.getNode('act').receive({ payload: { firmware: 'update', timeoutSeconds: 5 } });
    assert.equal(((await caught2).error as CaughtError).cause?.kind, 'Input');
    assert.equal(sim.requestCount, before);
    assert.equal(sim.firmwareState().phase, 'idle');
  });

  it('tapo-camera-do {firmware: "check"} and {firmware: "update"}', async () => {
    sim = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', password: PASSWORD, firmwareUpdate: { version: '1.4.4 Build 250101 Rel.1n', releaseNote: 'Night vision.', rebootSeconds: 0.2 } });
    await load(sim, 'tapo-camera-do');
    const act = helper.getNode('act');
    const check = next(helper.getNode('out'));
    act.receive({ payload: { firmware: 'check' } });
    assert.deepEqual((await check).payload, { current: '1.4.3 Build 241010 Rel.33858n', latest: '1.4.4 Build 250101 Rel.1n', updateAvailable: true, releaseNote: 'Night vision.' });
    const seen = statuses(act);
    const update = next(helper.getNode('out'));
    act.receive({ payload: { firmware: 'update', pollSeconds: 0.01 } });
    const payload = (await update).payload as Record<string, unknown>;
    assert.equal(payload.to, '1.4.4 Build 250101 Rel.1n');
    assert.equal(payload.scheme, 'camera-secure');
    assert.ok(seen.some((s) => (s.text ?? '').includes('firmware.downloading')));
    assert.equal(sim.firmwareVersion, '1.4.4 Build 250101 Rel.1n');
  });
});
