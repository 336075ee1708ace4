/**
 * `tapo onboard` against the simulator on 127.0.0.1 (always an explicit --host: the default, the
 * camera's AP address, is never contacted by a test). Passwords come from the environment and
 * must never appear on stdout or stderr.
 */
import { strict as assert } from 'node:assert';
import { EXIT_CODES, EXIT_USAGE, main } from '../../src/cli/tapo';
import type { CliIo } from '../../src/cli/tapo';
import { CAMERA_AP_HOST } from '../../src/devices/onboarding';
import { DEFAULT_WIFI_PASSWORD } from '../../src/simulator';
import { useSimulatedDevices } from './sim-harness';

const C210 = 'C210(EU)_2.0_1.4.3';
const P110 = 'P110(UK)_1.0_1.3.0';

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: (t) => (out += t), stderr: (t) => (err += t), env };
  const code = await main(args, io);
  return { code, out, err };
}

describe('tapo onboard (simulator, 127.0.0.1)', function () {
  this.timeout(30_000);
  const { device } = useSimulatedDevices();

  it('scan lists the camera\'s networks', async () => {
    const d = await device({ fixture: C210, scheme: 'camera-secure', onboarding: true });
    const r = await run(['onboard', 'scan', '--host', `127.0.0.1:${d.port}`]);
    assert.equal(r.code, 0, r.err);
    const result = JSON.parse(r.out) as { accessPoints: { ssid: string }[]; key: string };
    assert.deepEqual(result.accessPoints.map((a) => a.ssid), ['Home', 'Neighbour 5G', 'Café Gäste']);
  });

  it('join with TAPO_WIFI_PASSWORD joins, and never prints the password', async () => {
    const d = await device({ fixture: C210, scheme: 'camera-secure', onboarding: true });
    const r = await run(['onboard', 'join', '--host', `127.0.0.1:${d.port}`, '--ssid', 'Home', '--follow', '1'], { TAPO_WIFI_PASSWORD: DEFAULT_WIFI_PASSWORD });
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { outcome: string }).outcome, 'joined');
    assert.deepEqual(d.onboarding.state.joined, { ssid: 'Home', bssid: 'aa:bb:cc:dd:ee:01' });
    assert.ok(!r.out.includes(DEFAULT_WIFI_PASSWORD) && !r.err.includes(DEFAULT_WIFI_PASSWORD));

    const again = await run(['onboard', 'scan', '--host', `127.0.0.1:${d.port}`]);
    assert.equal(again.code, EXIT_CODES.Unsupported);
    assert.match(again.err, /this camera is already set up \(not in onboarding mode\): reset it to onboard again/);
  });

  it('a wrong Wi-Fi password: exit Device, the camera stays in onboarding mode, no password printed', async () => {
    const d = await device({ fixture: C210, scheme: 'camera-secure', onboarding: true });
    const r = await run(['onboard', 'join', '--host', `127.0.0.1:${d.port}`, '--ssid', 'Home', '--follow', '0.3'], { TAPO_WIFI_PASSWORD: 'wrong-wifi-pw' });
    assert.equal(r.code, EXIT_CODES.Device, r.err);
    assert.match(r.err, /could not join/);
    assert.ok(!r.err.includes('wrong-wifi-pw'));
    assert.equal(d.onboarding.state.active, true);
  });

  it('a plug: set_qs_info binds the account given by --account and TAPO_PASSWORD', async () => {
    const d = await device({ fixture: P110, scheme: 'klap', onboarding: true });
    const r = await run(['onboard', 'join', '--kind', 'plug', '--host', `127.0.0.1:${d.port}`, '--ssid', 'Home', '--account', 'me@example.com', '--follow', '1'], {
      TAPO_WIFI_PASSWORD: DEFAULT_WIFI_PASSWORD,
      TAPO_PASSWORD: 'cloud-pass-1',
    });
    assert.equal(r.code, 0, r.err);
    assert.equal(d.onboarding.state.boundUsername, 'me@example.com');
    assert.ok(!r.out.includes('cloud-pass-1') && !r.out.includes(DEFAULT_WIFI_PASSWORD));
  });

  it('usage errors: no password on the command line, no Wi-Fi password, plug without --host; nothing sent', async () => {
    const d = await device({ fixture: C210, scheme: 'camera-secure', onboarding: true });
    const host = `127.0.0.1:${d.port}`;
    const inline = await run(['onboard', 'join', '--host', host, '--ssid', 'Home', '--password', 'secret-wifi']);
    assert.equal(inline.code, EXIT_USAGE);
    assert.ok(!inline.err.includes('secret-wifi'));
    const none = await run(['onboard', 'join', '--host', host, '--ssid', 'Home']);
    assert.equal(none.code, EXIT_USAGE);
    assert.match(none.err, /TAPO_WIFI_PASSWORD/);
    const plug = await run(['onboard', 'scan', '--kind', 'plug']);
    assert.equal(plug.code, EXIT_USAGE);
    const short = await run(['onboard', 'join', '--host', host, '--ssid', 'Home'], { TAPO_WIFI_PASSWORD: 'short' });
    assert.equal(short.code, EXIT_CODES.Input);
    assert.equal(d.requestCount, 0);
    assert.deepEqual(d.onboarding.state.attempts, []);
  });

  it('help documents the camera AP address as the default host', async () => {
    const r = await run(['onboard', '--help']);
    assert.equal(r.code, 0);
    assert.ok(r.out.includes(CAMERA_AP_HOST));
  });
});
