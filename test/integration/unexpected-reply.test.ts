/**
 * A reply that decrypts (or authenticates) with the session's keys but holds JSON that is no
 * envelope: `null`, an array, a number, a string. Each transport reports it as the device's odd
 * answer ("the device sent an unexpected reply to <method>", kind `Device`) and keeps the session:
 * the keys are in step, so it is not "could not be decrypted; the session is out of sync", and the
 * next request goes out on the same session without a new login. Real transports against the
 * simulator on 127.0.0.1; the simulated device's logic is stubbed to answer one request with the
 * value (the scheme server encrypts it like any reply).
 */
import { strict as assert } from 'node:assert';
import { DeviceConnection } from '../../src/connection';
import { CameraSecureTransport } from '../../src/protocol/camera-secure';
import { KlapTransport } from '../../src/protocol/klap';
import { PassthroughTransport } from '../../src/protocol/passthrough';
import { TpapTransport } from '../../src/protocol/tpap';
import type { Transport, TransportOptions } from '../../src/protocol/transport';
import type { JsonObject } from '../../src/protocol/types';
import { startDevice, type SimulatedDevice, type StartDeviceOptions } from '../../src/simulator';
import type { SimJson, SimJsonObject } from '../../src/simulator/types';
import { rejection } from '../helpers';

const PASSWORD = 'tapo-sim';
const PLUG_READ: JsonObject = { method: 'get_device_info' };
const CAMERA_READ: JsonObject = { method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } };
const CAMERA_BATCH: JsonObject = { method: 'multipleRequest', params: { requests: [CAMERA_READ] } };

/** Values that are JSON but no envelope. */
const ODD_REPLIES: SimJson[] = [null, [], [{ error_code: 0 }], 0, 42, '', 'ok', true];

interface Case {
  name: string;
  device: StartDeviceOptions;
  make: (options: TransportOptions) => Transport;
  username: string;
  /** The request sent, and the method the error names. */
  request: JsonObject;
  method: string;
}

const CASES: Case[] = [
  {
    name: 'KLAP (P110)',
    device: { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap' },
    make: (o) => new KlapTransport(o),
    username: 'user@example.com',
    request: PLUG_READ,
    method: 'get_device_info',
  },
  {
    name: 'passthrough (P100)',
    device: { fixture: 'P100(US)_1.0.0_1.1.3', scheme: 'passthrough' },
    make: (o) => new PassthroughTransport(o),
    username: 'user@example.com',
    request: PLUG_READ,
    method: 'get_device_info',
  },
  {
    name: 'camera secure (C210)',
    device: { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure' },
    make: (o) => new CameraSecureTransport(o),
    username: 'admin',
    request: CAMERA_BATCH,
    method: 'multipleRequest',
  },
  {
    name: 'TPAP camera (C101), a lone method wrapped into a multipleRequest',
    device: { fixture: 'C101(US)_5.0_1.4.3', scheme: 'tpap' },
    make: (o) => new TpapTransport({ ...o, family: 'camera' }),
    username: 'admin',
    request: CAMERA_READ,
    method: 'getDeviceInfo',
  },
  {
    name: 'TPAP plug (P110)',
    device: { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'tpap' },
    make: (o) => new TpapTransport({ ...o, family: 'smart' }),
    username: 'user@example.com',
    request: PLUG_READ,
    method: 'get_device_info',
  },
];

/**
 * Makes the device logic answer its next request with `value` instead of an envelope. No
 * simulator fault sends a non-object; the stub stands for firmware that does.
 */
function answerNextWith(d: SimulatedDevice, value: SimJson): void {
  const logic = d.logic;
  const real = logic.handle.bind(logic);
  logic.handle = (request: SimJsonObject): SimJsonObject => {
    logic.handle = real;
    return value as SimJsonObject;
  };
}

describe('a reply that decrypts to JSON but is no envelope', function () {
  this.timeout(20_000);
  let device: SimulatedDevice | undefined;
  const open: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
    await device?.stop();
    device = undefined;
  });

  for (const c of CASES) {
    it(`${c.name}: Device "unexpected reply to ${c.method}" for null, arrays, numbers, strings; the session is kept`, async () => {
      const d = await startDevice({ password: PASSWORD, ...c.device });
      device = d;
      const t = c.make({ host: d.host, port: d.port, credentials: { username: c.username, password: PASSWORD }, timeoutMs: 5000 });
      open.push(t);
      await t.login();
      assert.equal(d.server.loginCount, 1);
      for (const value of ODD_REPLIES) {
        const before = d.requestCount;
        answerNextWith(d, value);
        const err = await rejection(t.send(c.request));
        assert.equal(err.kind, 'Device', `${JSON.stringify(value)}: ${err.message}`);
        assert.equal(err.reason, 'unexpectedReply');
        assert.equal(err.message, `the device sent an unexpected reply to ${c.method}`);
        assert.deepEqual(err.params, { method: c.method });
        assert.equal(err.sent, true);
        assert.equal(d.requestCount, before + 1, 'the request reached the device once');
        assert.equal(t.hasSession, true, `${JSON.stringify(value)}: the session is kept`);
      }
      // The same session answers the next request as usual: no new login.
      const reply = await t.send(c.request);
      assert.equal(reply['error_code'], 0, JSON.stringify(reply));
      assert.equal(d.server.loginCount, 1);
    });
  }

  it('through a connection: reported once, not replayed, no new login, and the connection stays connected', async () => {
    const d = await startDevice({ password: PASSWORD, fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap' });
    device = d;
    const connection = new DeviceConnection({
      host: `${d.host}:${d.port}`,
      kind: 'plug',
      scheme: 'klap',
      credentials: { username: 'user@example.com', password: PASSWORD },
      timeoutMs: 5000,
    });
    open.push(connection);
    await connection.request(PLUG_READ);
    const before = d.requestCount;
    answerNextWith(d, null);
    const err = await rejection(connection.request(PLUG_READ));
    assert.equal(err.kind, 'Device');
    assert.equal(err.message, 'the device sent an unexpected reply to get_device_info');
    assert.equal(d.requestCount, before + 1, 'a read that got an odd answer is not sent again');
    assert.equal(connection.state, 'connected');
    await connection.request(PLUG_READ);
    assert.equal(d.server.loginCount, 1);
  });
});
