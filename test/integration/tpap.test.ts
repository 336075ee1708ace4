/**
 * TpapTransport against the simulator (the independent device side of TPAP) on 127.0.0.1: a TPAP
 * camera (C101 hw5 1.4.3) and a P110 switched to TPAP mode. Assertions read the simulator's own
 * state, not what the client says it did.
 */
import { strict as assert } from 'node:assert';
import { DeviceConnection } from '../../src/connection';
import type { TapoError } from '../../src/protocol/errors';
import { TpapTransport } from '../../src/protocol/tpap';
import type { JsonObject } from '../../src/protocol/types';
import { startDevice, type SimulatedDevice, type StartDeviceOptions } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import type { TpapSchemeServer } from '../../src/simulator/schemes/tpap';
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
  let connection: DeviceConnection | undefined;

  afterEach(async () => {
    await transport?.close();
    await connection?.close();
    await device?.stop();
    transport = undefined;
    connection = undefined;
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

    it('a wrong password is Authentication after exactly one register/share round', async () => {
      const [dev, t] = await start({ fixture: CAMERA }, 'not-the-password');
      const e = await rejects(t.login());
      assert.equal(e.kind, 'Authentication');
      assert.ok(!e.message.includes('not-the-password'));
      assert.equal(dev.guard.failures, 1);
      assert.equal(dev.server.failedLoginCount, 1);
      // discover + one register/share round.
      assert.equal(dev.httpRequestCount, 3);
      assert.equal(dev.server.loginCount, 0);
    });

    it('a C200 that announces its SHA-256-crypt passcode at pake_register is logged in with one round', async () => {
      const [dev, t] = await start({ fixture: CAMERA, tpapCameraPasscode: 'sha256-crypt' });
      await t.login();
      assert.equal(dev.server.loginCount, 1);
      assert.equal(dev.server.failedLoginCount, 0);
      assert.equal(dev.httpRequestCount, 3);
      result(await t.send({ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } }));
    });

    it('stops at the lockout and reports the seconds left', async () => {
      const [dev, t] = await start({ fixture: CAMERA, lockoutThreshold: 2, lockoutSeconds: 600 }, 'not-the-password');
      assert.equal((await rejects(t.login())).kind, 'Authentication');
      assert.equal((await rejects(t.login())).kind, 'Authentication');
      assert.equal(dev.server.failedLoginCount, 2);
      const requestsBefore = dev.httpRequestCount;
      const locked = await rejects(t.login());
      assert.equal(locked.kind, 'Locked');
      assert.ok(locked.secondsLeft !== undefined && locked.secondsLeft > 0 && locked.secondsLeft <= 600);
      // discover + register, which the device refuses while locked: no share.
      assert.equal(dev.httpRequestCount - requestsBefore, 2);
      assert.equal(dev.server.failedLoginCount, 2);
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

  describe('session lifetime through a DeviceConnection (one injected clock for device and client)', () => {
    const INFO: JsonObject = {
      method: 'multipleRequest',
      params: { requests: [{ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } }] },
    };

    it('a camera that refuses a login while its session lives (C200): no Authentication error, at most one refused login per lifetime', async () => {
      let now = 1_000_000;
      const clock = { now: (): number => now };
      device = await startDevice({ fixture: CAMERA, scheme: 'tpap', clock, sessionTtlSeconds: 3600 });
      device.faults.refuseLoginWhileSession = true;
      const server = device.server as TpapSchemeServer;
      const conn = new DeviceConnection({
        host: `127.0.0.1:${device.port}`,
        kind: 'camera',
        credentials: { username: 'admin', password: PASSWORD },
        now: clock.now,
      });
      connection = conn;
      const errors: TapoError[] = [];
      conn.on('state', (e: { error?: TapoError }) => {
        if (e.error) errors.push(e.error);
      });
      const read = async (): Promise<void> => {
        const reply = await conn.request(INFO);
        assert.equal(reply['error_code'], 0, JSON.stringify(reply));
      };

      await read();
      assert.equal(server.loginCount, 1);
      for (let lifetime = 1; lifetime <= 2; lifetime++) {
        const start = now;
        now = start + 3_590_000; // inside the refresh margin, the device session still alive
        await read();
        assert.ok(server.refusedShareCount <= lifetime, `refused logins: ${server.refusedShareCount} in ${lifetime} lifetime(s)`);
        now = start + 3_595_000; // no second refresh attempt in the same lifetime
        const refused = server.refusedShareCount;
        await read();
        await read();
        assert.equal(server.refusedShareCount, refused);
        assert.equal(server.loginCount, lifetime);
        now = start + 3_601_000; // the session has ended on both sides: a full login
        await read();
        assert.equal(server.loginCount, lifetime + 1);
      }
      assert.deepEqual(errors.map((e) => `${e.kind}: ${e.message}`), []);
      assert.equal(conn.state, 'connected');
      assert.ok(server.refusedShareCount >= 1 && server.refusedShareCount <= 2, `refused logins: ${server.refusedShareCount}`);
      assert.equal(device.guard.failures, 0, 'the last login cleared the failure count');
    });

    it('a 30 s session (plug) is refreshed at half its lifetime, not before every request', async () => {
      let now = 1_000_000;
      const clock = { now: (): number => now };
      device = await startDevice({ fixture: PLUG, scheme: 'tpap', clock, sessionTtlSeconds: 30 });
      const server = device.server as TpapSchemeServer;
      const conn = new DeviceConnection({
        host: `127.0.0.1:${device.port}`,
        kind: 'plug',
        scheme: 'tpap',
        credentials: { username: 'user@example.com', password: PASSWORD },
        now: clock.now,
      });
      connection = conn;
      for (const at of [0, 5_000, 10_000, 14_000]) {
        now = 1_000_000 + at;
        result(await conn.request({ method: 'get_device_info' }));
      }
      assert.equal(server.loginCount, 1);
      now = 1_000_000 + 16_000;
      result(await conn.request({ method: 'get_device_info' }));
      assert.equal(server.loginCount, 2);
      now = 1_000_000 + 20_000;
      result(await conn.request({ method: 'get_device_info' }));
      assert.equal(server.loginCount, 2);
    });
  });
});
