/**
 * Real client transports against the simulator over 127.0.0.1: login, a read, a state change
 * asserted on the simulator's own state, a wrong password, and session loss. The simulator shares
 * no code with the client, so a derivation bug on either side shows up here.
 */
import { strict as assert } from 'node:assert';
import { startDevice, type SimulatedDevice, type StartDeviceOptions } from '../../src/simulator';
import { KlapTransport } from '../../src/protocol/klap';
import { PassthroughTransport } from '../../src/protocol/passthrough';
import { CameraSecureTransport } from '../../src/protocol/camera-secure';
import { CameraLegacyTransport } from '../../src/protocol/camera-legacy';
import type { Transport, TransportOptions } from '../../src/protocol/transport';
import type { Credentials, JsonObject } from '../../src/protocol/types';
import { rejection } from '../helpers';

const PLUG_USER: Credentials = { username: 'user@example.com', password: 'tapo-sim' };
const CAMERA_USER: Credentials = { username: 'admin', password: 'tapo-sim' };

function resultOf(reply: JsonObject): JsonObject {
  assert.equal(reply['error_code'], 0, JSON.stringify(reply));
  const result = reply['result'];
  assert.ok(result !== null && typeof result === 'object' && !Array.isArray(result));
  return result;
}

interface Case {
  name: string;
  device: StartDeviceOptions;
  make: (options: TransportOptions) => Transport;
  credentials: Credentials;
}

const plugCases: Case[] = [
  {
    name: 'KLAP v2 (P110 UK 1.3.0)',
    device: { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap' },
    make: (o) => new KlapTransport(o),
    credentials: PLUG_USER,
  },
  {
    name: 'KLAP v1 (P110 UK 1.3.0 on v1 hashes)',
    device: { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap-v1' },
    make: (o) => new KlapTransport({ ...o, version: 1 }),
    credentials: PLUG_USER,
  },
  {
    name: 'passthrough (P100 US 1.1.3)',
    device: { fixture: 'P100(US)_1.0.0_1.1.3', scheme: 'passthrough' },
    make: (o) => new PassthroughTransport(o),
    credentials: PLUG_USER,
  },
];

const cameraCases: Case[] = [
  {
    name: 'camera secure, SHA-256 stored (C210 EU 1.4.3)',
    device: { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure' },
    make: (o) => new CameraSecureTransport(o),
    credentials: CAMERA_USER,
  },
  {
    name: 'camera secure, MD5 stored, e-mail user retried as admin (C210 EU 1.4.3)',
    device: { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', cameraPasswordHash: 'md5' },
    make: (o) => new CameraSecureTransport(o),
    credentials: { username: 'user@example.com', password: 'tapo-sim' },
  },
  {
    name: 'camera legacy (C210 EU 1.4.3)',
    device: { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-legacy' },
    make: (o) => new CameraLegacyTransport(o),
    credentials: CAMERA_USER,
  },
];

describe('client transports against the simulator', function () {
  let device: SimulatedDevice | undefined;
  const open: Transport[] = [];
  const connect = (c: Case, credentials: Credentials = c.credentials): Transport => {
    assert.ok(device);
    const t = c.make({ host: '127.0.0.1', port: device.port, credentials, timeoutMs: 5000 });
    open.push(t);
    return t;
  };

  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
    await device?.stop();
    device = undefined;
  });

  for (const c of plugCases) {
    describe(c.name, () => {
      it('logs in, reads device info and switches the relay', async () => {
        device = await startDevice(c.device);
        const t = connect(c);
        await t.login();
        assert.equal(t.hasSession, true);
        const info = resultOf(await t.send({ method: 'get_device_info' }));
        assert.equal(typeof info['model'], 'string');
        assert.ok(String(info['model']).startsWith(c.device.fixture.slice(0, 4)));
        const logic = device.logic as { state: { on: boolean } };
        const before = logic.state.on;
        assert.equal((await t.send({ method: 'set_device_info', params: { device_on: !before } }))['error_code'], 0);
        assert.equal(logic.state.on, !before);
        assert.equal((await t.send({ method: 'set_device_info', params: { device_on: before } }))['error_code'], 0);
        assert.equal(logic.state.on, before);
        assert.equal(device.server.loginCount, 1);
      });

      it('rejects a wrong password with Authentication', async () => {
        device = await startDevice(c.device);
        const e = await rejection(connect(c, { username: c.credentials.username, password: 'Xyzzy-not-it' }).login());
        assert.equal(e.kind, 'Authentication');
        assert.ok(!e.message.includes('Xyzzy'));
        assert.ok(!e.message.includes('tapo-sim'));
      });

      it('reports SessionExpired after the device drops its sessions, then logs in again', async () => {
        device = await startDevice(c.device);
        const t = connect(c);
        await t.login();
        device.expireSessions();
        assert.equal((await rejection(t.send({ method: 'get_device_info' }))).kind, 'SessionExpired');
        await t.login();
        resultOf(await t.send({ method: 'get_device_info' }));
      });
    });
  }

  describe('scheme refusals', () => {
    it('KLAP: Third-Party Compatibility off gives Authentication with the hint', async () => {
      device = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap' });
      device.faults.thirdPartyOff = true;
      const e = await rejection(connect(plugCases[0]!).login());
      assert.equal(e.kind, 'Authentication');
      assert.equal(e.httpStatus, 403);
      assert.match(e.hint ?? '', /Third-Party Compatibility/);
    });

    it('KLAP v2 client on a v1 device suggests klap-v1', async () => {
      device = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap-v1' });
      const e = await rejection(connect(plugCases[0]!).login());
      assert.equal(e.kind, 'Unsupported');
      assert.equal(e.suggestedScheme, 'klap-v1');
    });

    it('passthrough client on a KLAP device suggests klap; KLAP client on an AES device suggests passthrough', async () => {
      device = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap' });
      const e1 = await rejection(connect(plugCases[2]!).login());
      assert.equal(e1.kind, 'Unsupported');
      assert.equal(e1.suggestedScheme, 'klap');
      await device.stop();
      device = await startDevice({ fixture: 'P100(US)_1.0.0_1.1.3', scheme: 'passthrough' });
      const e2 = await rejection(connect(plugCases[0]!).login());
      assert.equal(e2.kind, 'Unsupported');
      assert.equal(e2.suggestedScheme, 'passthrough');
    });

    it('camera secure client on legacy firmware suggests camera-legacy, and the reverse', async () => {
      device = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-legacy' });
      const e1 = await rejection(connect(cameraCases[0]!).login());
      assert.equal(e1.suggestedScheme, 'camera-legacy');
      await device.stop();
      device = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure' });
      const e2 = await rejection(connect(cameraCases[2]!).login());
      assert.equal(e2.suggestedScheme, 'camera-secure');
    });
  });

  for (const c of cameraCases) {
    describe(c.name, () => {
      it('logs in, reads with a multipleRequest and turns privacy mode on', async () => {
        device = await startDevice(c.device);
        const t = connect(c);
        await t.login();
        const reply = resultOf(
          await t.send({
            method: 'multipleRequest',
            params: { requests: [{ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } }] },
          }),
        );
        const responses = reply['responses'];
        assert.ok(Array.isArray(responses) && responses.length === 1);
        const first = responses[0] as JsonObject;
        assert.equal(first['error_code'], 0);
        assert.match(JSON.stringify(first['result']), /C210/);

        const logic = device.logic as { state: { privacyMode: boolean } };
        const target = !logic.state.privacyMode;
        const set = resultOf(
          await t.send({
            method: 'multipleRequest',
            params: {
              requests: [
                { method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: target ? 'on' : 'off' } } } },
              ],
            },
          }),
        );
        assert.equal((set['responses'] as JsonObject[])[0]?.['error_code'], 0);
        assert.equal(logic.state.privacyMode, target);
      });

      it('rejects a wrong password with Authentication', async () => {
        device = await startDevice(c.device);
        const e = await rejection(connect(c, { username: 'admin', password: 'Xyzzy-not-it' }).login());
        assert.equal(e.kind, 'Authentication');
        assert.ok(!e.message.includes('tapo-sim'));
      });

      it('reports SessionExpired when a second login replaces the session', async () => {
        device = await startDevice(c.device);
        const first = connect(c);
        await first.login();
        await connect(c).login();
        const e = await rejection(first.send({ method: 'get', device_info: { name: ['basic_info'] } }));
        assert.equal(e.kind, 'SessionExpired');
      });
    });
  }

  it('camera lockout after repeated wrong passwords gives Locked with seconds left', async () => {
    device = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-legacy', lockoutThreshold: 2, lockoutSeconds: 600 });
    const wrong = { username: 'admin', password: 'Xyzzy-not-it' };
    assert.equal((await rejection(connect(cameraCases[2]!, wrong).login())).kind, 'Authentication');
    assert.equal((await rejection(connect(cameraCases[2]!, wrong).login())).kind, 'Authentication');
    const e = await rejection(connect(cameraCases[2]!).login());
    assert.equal(e.kind, 'Locked');
    assert.ok(e.secondsLeft !== undefined && e.secondsLeft > 0 && e.secondsLeft <= 600);
  });
});
