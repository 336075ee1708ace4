/**
 * TpapTransport against the simulator (the independent device side of TPAP) on 127.0.0.1: a TPAP
 * camera (C101 hw5 1.4.3) and a P110 switched to TPAP mode. Assertions read the simulator's own
 * state, not what the client says it did.
 */
import { strict as assert } from 'node:assert';
import { TpapTransport } from '../../src/protocol/tpap';
import type { JsonObject } from '../../src/protocol/types';
import { startDevice, type SimulatedDevice, type StartDeviceOptions } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { rejection as rejects } from '../helpers';

const CAMERA = 'C101(US)_5.0_1.4.3';
const PLUG = 'P110(UK)_1.0_1.3.0';
const PASSWORD = 'tapo-sim';

function result(reply: JsonObject): JsonObject {
  assert.equal(reply['error_code'], 0, JSON.stringify(reply));
  const r = reply['result'];
  assert.ok(r !== null && typeof r === 'object' && !Array.isArray(r));
  return r;
}

describe('TPAP transport vs the simulator (127.0.0.1)', function () {
  this.timeout(20_000);
  let device: SimulatedDevice | undefined;
  let transport: TpapTransport | undefined;

  afterEach(async () => {
    await transport?.close();
    await device?.stop();
    transport = undefined;
    device = undefined;
  });

  async function start(options: StartDeviceOptions, password = PASSWORD): Promise<[SimulatedDevice, TpapTransport]> {
    device = await startDevice({ scheme: 'tpap', ...options });
    assert.equal(device.scheme, 'tpap');
    transport = new TpapTransport({
      host: device.host,
      port: device.port,
      family: device.family,
      credentials: { username: device.family === 'camera' ? 'admin' : 'user@example.com', password },
    });
    return [device, transport];
  }

  describe('camera (C101 1.4.3)', () => {
    it('logs in, reads device info and turns privacy mode on', async () => {
      const [dev, t] = await start({ fixture: CAMERA });
      await t.login();
      assert.equal(t.hasSession, true);
      assert.equal(dev.server.loginCount, 1);
      const info = result(await t.send({ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } }));
      const basic = (info['device_info'] as JsonObject)['basic_info'] as JsonObject;
      assert.equal(basic['device_model'], dev.model);

      const logic = dev.logic as CameraLogic;
      assert.equal(logic.state.privacyMode, false);
      const set = await t.send({ method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: 'on' } } } });
      assert.equal(set['error_code'], 0);
      assert.equal(logic.state.privacyMode, true);
    });

    it('a style-B request is refused locally', async () => {
      const [dev, t] = await start({ fixture: CAMERA });
      await t.login();
      const before = dev.requestCount;
      const e = await rejects(t.send({ method: 'get', lens_mask: { name: ['lens_mask_info'] } }));
      assert.equal(e.kind, 'Unsupported');
      assert.equal(e.code, -40209);
      assert.equal(e.sent, false);
      assert.equal(dev.requestCount, before);
    });

    it('expired sessions surface as SessionExpired, and a new login works', async () => {
      const [dev, t] = await start({ fixture: CAMERA });
      await t.login();
      dev.expireSessions();
      const e = await rejects(t.send({ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } }));
      assert.equal(e.kind, 'SessionExpired');
      assert.equal(t.hasSession, false);
      await t.login();
      result(await t.send({ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } }));
      assert.equal(dev.server.loginCount, 2);
    });

    it('a wrong password is Authentication after at most two register/share rounds', async () => {
      const [dev, t] = await start({ fixture: CAMERA }, 'not-the-password');
      const e = await rejects(t.login());
      assert.equal(e.kind, 'Authentication');
      assert.ok(!e.message.includes('not-the-password'));
      assert.ok(dev.guard.failures >= 1 && dev.guard.failures <= 2, `failures: ${dev.guard.failures}`);
      // discover + two register/share rounds at most.
      assert.ok(dev.httpRequestCount <= 5, `HTTP requests: ${dev.httpRequestCount}`);
      assert.equal(dev.server.loginCount, 0);
    });

    it('stops at the lockout and reports the seconds left', async () => {
      const [dev, t] = await start({ fixture: CAMERA, lockoutThreshold: 2, lockoutSeconds: 600 }, 'not-the-password');
      assert.equal((await rejects(t.login())).kind, 'Authentication');
      const requestsBefore = dev.httpRequestCount;
      const locked = await rejects(t.login());
      assert.equal(locked.kind, 'Locked');
      assert.ok(locked.secondsLeft !== undefined && locked.secondsLeft > 0 && locked.secondsLeft <= 600);
      // discover + one register/share round, then it stops.
      assert.ok(dev.httpRequestCount - requestsBefore <= 3);
    });
  });

  describe('plug (P110 in TPAP mode)', () => {
    it('logs in, reads and switches the relay', async () => {
      const [dev, t] = await start({ fixture: PLUG });
      await t.login();
      const logic = dev.logic as PlugLogic;
      const info = result(await t.send({ method: 'get_device_info' }));
      assert.equal(info['device_on'], logic.state.on);

      assert.equal((await t.send({ method: 'set_device_info', params: { device_on: true } }))['error_code'], 0);
      assert.equal(logic.state.on, true);
      assert.equal((await t.send({ method: 'set_device_info', params: { device_on: false } }))['error_code'], 0);
      assert.equal(logic.state.on, false);
      assert.equal(dev.server.loginCount, 1);
    });

    it('expired sessions surface as SessionExpired', async () => {
      const [dev, t] = await start({ fixture: PLUG });
      await t.login();
      result(await t.send({ method: 'get_device_info' }));
      dev.expireSessions();
      const e = await rejects(t.send({ method: 'get_device_info' }));
      assert.equal(e.kind, 'SessionExpired');
      assert.equal(t.hasSession, false);
    });

    it('a wrong password is Authentication after one register/share round', async () => {
      const [dev, t] = await start({ fixture: PLUG }, 'not-the-password');
      const e = await rejects(t.login());
      assert.equal(e.kind, 'Authentication');
      assert.ok(dev.httpRequestCount <= 3, `HTTP requests: ${dev.httpRequestCount}`);
      assert.equal(dev.server.loginCount, 0);
    });
  });
});
