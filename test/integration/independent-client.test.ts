/**
 * The simulator against a client written by others: tp-link-tapo-connect (a dev dependency,
 * its own KLAP code over axios). It must log in, read, switch and read back as against a real
 * plug, and be refused with a wrong password. Assertions are on the simulator's own state.
 *
 * Only KLAP is exercised: that library's passthrough decrypts its RSA key with PKCS#1 v1.5
 * padding, which Node 20+ refuses without --security-revert, so it cannot log in to any
 * passthrough plug (real or simulated) on the Node versions this package supports.
 */
import { strict as assert } from 'node:assert';
import { loginDeviceByIp } from 'tp-link-tapo-connect/dist/klap-transport';
import { startDevice, type SimulatedDevice } from '../../src/simulator';
import type { PlugState } from '../../src/simulator/logic/plug';

const EMAIL = 'user@example.com';
const PASSWORD = 'tapo-sim';

describe('simulator against an independent client (tp-link-tapo-connect, KLAP)', function () {
  let device: SimulatedDevice | undefined;

  afterEach(async () => {
    await device?.stop();
    device = undefined;
  });

  const state = (): PlugState => (device!.logic as unknown as { state: PlugState }).state;

  it('logs in, reads device info, switches and reads back', async () => {
    device = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', username: EMAIL, password: PASSWORD });
    const plug = await loginDeviceByIp(EMAIL, PASSWORD, `127.0.0.1:${device.port}`);

    const info = await plug.getDeviceInfo();
    assert.equal(info.model, 'P110');
    // The library base64-decodes the nickname; it must match the simulator's plain text.
    assert.equal(info.nickname, state().nickname);

    await plug.turnOn();
    assert.equal(state().on, true);
    assert.equal((await plug.getDeviceInfo()).device_on, true);

    await plug.turnOff();
    assert.equal(state().on, false);
    assert.equal((await plug.getDeviceInfo()).device_on, false);
    assert.equal(device.server.loginCount, 1);
  });

  it('reads energy usage equal to the simulator counters', async () => {
    device = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', username: EMAIL, password: PASSWORD, loadWatts: 85 });
    const plug = await loginDeviceByIp(EMAIL, PASSWORD, `127.0.0.1:${device.port}`);
    await plug.turnOn();
    const usage = (await plug.getEnergyUsage()) as unknown as Record<string, unknown>;
    assert.equal(usage['today_energy'], state().todayEnergyWh);
    assert.equal(usage['month_energy'], state().monthEnergyWh);
    assert.equal(usage['current_power'], Math.round(state().currentPowerW * 1000));
  });

  it('is refused with a wrong password, and nothing changes', async () => {
    device = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', username: EMAIL, password: PASSWORD });
    const before = state().on;
    await assert.rejects(loginDeviceByIp(EMAIL, 'not-the-password', `127.0.0.1:${device.port}`), /email or password incorrect/);
    assert.equal(device.server.loginCount, 0);
    assert.equal(state().on, before);
  });
});
