/**
 * The tapo-device dialog's onboarding endpoint (POST /tapo-device/onboard) against the simulator on
 * 127.0.0.1: a scan, a join, a wrong Wi-Fi password and a set-up camera; no reply carries a password.
 * The node test loads dist/ (build first).
 */
import assert from 'node:assert/strict';
import { startDevice, DEFAULT_WIFI_PASSWORD } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import { helper, nodeModules } from './harness';

describe('nodes: tapo-device onboarding endpoint', function () {
  this.timeout(60_000);
  let sim: SimulatedDevice | undefined;

  afterEach(async () => {
    await helper.unload();
    if (sim) await sim.stop();
    sim = undefined;
  });

  const load = (): Promise<void> => helper.load(nodeModules, [{ id: 'dev', type: 'tapo-device', host: '127.0.0.1', kind: 'camera' }], {});

  it('scans, joins (reply without the password), and then says the camera is already set up', async () => {
    sim = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', onboarding: true });
    await load();
    const host = `127.0.0.1:${sim.port}`;
    let r = await helper.request().post('/tapo-device/onboard').send({ action: 'scan', kind: 'camera', host });
    assert.equal(r.status, 200);
    assert.equal(r.body.ok, true, JSON.stringify(r.body));
    assert.ok((r.body.accessPoints as { ssid: string }[]).some((ap) => ap.ssid === 'Home'));

    r = await helper.request().post('/tapo-device/onboard').send({ action: 'join', kind: 'camera', host, ssid: 'Home', wifiPassword: DEFAULT_WIFI_PASSWORD });
    assert.equal(r.body.ok, true, JSON.stringify(r.body));
    assert.equal(r.body.outcome, 'joined');
    assert.ok(!JSON.stringify(r.body).includes(DEFAULT_WIFI_PASSWORD));
    assert.deepEqual(sim.onboarding.state.joined, { ssid: 'Home', bssid: 'aa:bb:cc:dd:ee:01' });

    r = await helper.request().post('/tapo-device/onboard').send({ action: 'scan', kind: 'camera', host });
    assert.equal(r.body.ok, false);
    assert.equal(r.body.kind, 'Unsupported');
    assert.equal(r.body.code, -40101);
    // The helper's runtime may answer catalog keys instead of texts: either says it.
    assert.match(String(r.body.message), /already set up|onboardingCameraAlreadySetUp/);
  });

  it('a too-short Wi-Fi password: a specific error, no password in it, nothing changed', async () => {
    sim = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', onboarding: true });
    await load();
    const r = await helper.request().post('/tapo-device/onboard').send({ action: 'join', kind: 'camera', host: `127.0.0.1:${sim.port}`, ssid: 'Home', wifiPassword: 'pw-xyz' });
    assert.equal(r.body.ok, false);
    assert.equal(r.body.kind, 'Input');
    assert.ok(!JSON.stringify(r.body).includes('pw-xyz'));
    assert.equal(sim.onboarding.state.active, true);
    assert.deepEqual(sim.onboarding.state.attempts, []);
  });

  it('refuses an unknown action with 400', async () => {
    await load();
    const r = await helper.request().post('/tapo-device/onboard').send({ action: 'reset', host: '127.0.0.1:1' });
    assert.equal(r.status, 400);
    assert.equal(r.body.kind, 'Input');
  });
});
