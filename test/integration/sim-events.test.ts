/**
 * Scripted events seen from outside the simulated device, over 127.0.0.1: `getLastAlarmInfo` and
 * `searchDetectionList` through a real camera session (the package's connection, events.md §3),
 * discovery's last alarm in step, a doorbell's ring datagram on a UDP socket the test binds
 * (§4), a plug's button (§5.4), and the control endpoints `/__sim/detect`, `/__sim/ring` and
 * `/__sim/press` (HTTP on plugs, HTTPS on cameras).
 */
import { strict as assert } from 'node:assert';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';

import { discover } from '../../src/protocol/discovery';
import type { JsonObject } from '../../src/protocol/types';
import { ManualClock } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { useSimulatedDevices } from './sim-harness';

/** POST /__sim/<action> with a JSON body (HTTPS with the simulator's self-signed certificate for cameras). */
function control(device: SimulatedDevice, action: string, body: unknown = {}): Promise<{ status: number; json: any }> {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  const options = { host: device.host, port: device.port, path: `/__sim/${action}`, method: 'POST', agent: false, headers: { 'content-length': String(bytes.length) } };
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    };
    const req =
      device.family === 'camera'
        ? https.request({ ...options, rejectUnauthorized: false, ciphers: 'DEFAULT:@SECLEVEL=0' }, onResponse)
        : http.request(options, onResponse);
    req.on('error', reject);
    req.end(bytes);
  });
}

/** A UDP socket on a loopback address that collects datagrams. */
async function udpListener(host = '127.0.0.1'): Promise<{ port: number; next: () => Promise<[Buffer, dgram.RemoteInfo]>; close: () => Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, host);
  await once(socket, 'listening');
  return {
    port: socket.address().port,
    next: () => once(socket, 'message') as Promise<[Buffer, dgram.RemoteInfo]>,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

const object = (v: unknown): JsonObject => v as JsonObject;

describe('simulated events seen from outside', function () {
  this.timeout(15_000);
  const sim = useSimulatedDevices();
  const T0 = Date.UTC(2024, 10, 3, 18, 40, 0);

  describe('camera control API (events.md §3)', () => {
    it('getLastAlarmInfo changes after detect(); searchDetectionList lists the detection with its alarm_type', async () => {
      const clock = new ManualClock(T0);
      const device = await sim.device({ fixture: 'C101(US)_5.0_1.4.3', clock });
      const conn = sim.connect(device);
      const ask = { method: 'getLastAlarmInfo', params: { system: { name: ['last_alarm_info'] } } };
      const read = async (): Promise<unknown> => {
        const reply = await conn.request({ method: 'multipleRequest', params: { requests: [ask] } });
        const [entry] = object(reply.result).responses as JsonObject[];
        return object(object(entry?.result).system).last_alarm_info;
      };
      assert.deepEqual(await read(), { last_alarm_time: '0', last_alarm_type: '' });
      clock.advance(4000);
      device.detect({ type: 'motion' });
      assert.deepEqual(await read(), { last_alarm_time: String(T0 / 1000 + 4), last_alarm_type: 'motion' });
      clock.advance(6000);
      assert.equal((await control(device, 'detect', { type: 'motion', active: false })).json.changed, true);

      const search = {
        method: 'searchDetectionList',
        params: { playback: { search_detection_list: { start_index: 0, channel: 0, start_time: T0 / 1000 - 600, end_time: T0 / 1000 + 60, end_index: 999 } } },
      };
      const reply = await conn.request({ method: 'multipleRequest', params: { requests: [search] } });
      const [entry] = object(reply.result).responses as JsonObject[];
      assert.deepEqual(object(object(entry?.result).playback).search_detection_list, [{ start_time: T0 / 1000 + 4, end_time: T0 / 1000 + 10, alarm_type: 2, events_1: 2 }]);
    });

    it("discovery's last_alarm_time and last_alarm_type follow the camera's last alarm", async () => {
      const clock = new ManualClock(T0);
      const device = await sim.device({ fixture: 'C101(US)_5.0_1.4.3', clock, discoveryPort: 0 });
      const before = await discover('127.0.0.1', { port: device.discoveryPort!, rsaKeyBits: 1024 });
      assert.equal(before.decrypted?.last_alarm_time, '0', 'as captured');
      clock.advance(9000);
      device.detect({ type: 'person' });
      const after = await discover('127.0.0.1', { port: device.discoveryPort!, rsaKeyBits: 1024 });
      assert.equal(after.decrypted?.last_alarm_time, String(T0 / 1000 + 9));
      assert.equal(after.decrypted?.last_alarm_type, 'person');
    });

    it('POST /__sim/detect over HTTPS: starts and ends a detection, refuses bad bodies and non-cameras', async () => {
      const device = await sim.device({ fixture: 'C101(US)_5.0_1.4.3' });
      const started = await control(device, 'detect', { type: 'lineCross' });
      assert.equal(started.status, 200);
      assert.deepEqual([started.json.type, started.json.active, started.json.changed], ['lineCross', true, true]);
      for (const body of [{ type: 'fire' }, { type: 'motion', active: 'yes' }, { type: 'motion', extra: 1 }, []]) {
        const refused = await control(device, 'detect', body);
        assert.equal(refused.status, 400, JSON.stringify(body));
        assert.equal(typeof refused.json.error, 'string');
      }
      const plug = await sim.device({ fixture: 'P110(UK)_1.0_1.3.0' });
      assert.match((await control(plug, 'detect', { type: 'motion' })).json.error, /detect is for cameras/);
    });
  });

  describe('doorbell ring (events.md §4)', () => {
    it("ring() sends one datagram from the doorbell's own address to the ring target", async () => {
      const listener = await udpListener();
      try {
        const clock = new ManualClock(T0);
        // Any 127.0.0.0/8 address is the doorbell's own on Linux loopback: the source shows it.
        const device = await sim.device({ fixture: 'D130(US)_1.0_1.1.9', host: '127.0.0.2', clock, ringTarget: { host: '127.0.0.1', port: listener.port } });
        assert.equal(device.isDoorbell, true);
        const arrived = listener.next();
        const result = await device.ring();
        const [payload, from] = await arrived;
        assert.equal(from.address, '127.0.0.2');
        assert.equal(from.port, result.source.port);
        assert.equal(payload.toString('utf8'), `tapo-sim ring model=D130 mac=${device.fixture.mac} time=${T0 / 1000}`);
        assert.deepEqual(result.target, { host: '127.0.0.1', port: listener.port });

        const again = listener.next();
        const reply = await control(device, 'ring');
        assert.equal(reply.status, 200);
        assert.equal(reply.json.payload, (await again)[0].toString('utf8'));
      } finally {
        await listener.close();
      }
    });

    it('only doorbells ring', async () => {
      const camera = await sim.device({ fixture: 'C101(US)_5.0_1.4.3' });
      await assert.rejects(camera.ring(), /C101 is not a doorbell \(device_type SMART\.IPCAMERA\)/);
      const reply = await control(camera, 'ring');
      assert.equal(reply.status, 400);
      assert.match(reply.json.error, /not a doorbell/);
    });
  });

  describe("a plug's button (events.md §5.4)", () => {
    it('POST /__sim/press toggles the relay as a hand would; on_time starts again', async () => {
      const clock = new ManualClock(T0);
      const device = await sim.device({ fixture: 'P110(UK)_1.0_1.3.0', clock });
      const logic = device.logic as PlugLogic;
      const was = logic.state.on;
      clock.advance(60_000);
      const first = await control(device, 'press');
      assert.equal(first.status, 200);
      assert.deepEqual(first.json, { on: !was });
      const second = await control(device, 'press');
      assert.deepEqual(second.json, { on: was });
      const conn = sim.connect(device);
      const info = object((await conn.request({ method: 'get_device_info' })).result);
      assert.equal(info.device_on, was);
      assert.equal(info.on_time, 0);
    });

    it("on a strip, {socket: N} presses that socket's button; bad sockets and cameras are refused", async () => {
      const device = await sim.device({ fixture: 'P300(EU)_1.0_1.0.15' });
      const logic = device.logic as PlugLogic;
      const before = logic.state.children!;
      const reply = await control(device, 'press', { socket: 3 });
      assert.equal(reply.status, 200);
      assert.equal(reply.json.position, 3);
      assert.deepEqual(
        logic.state.children!.map((c) => [c.position, c.on]),
        before.map((c) => [c.position, c.position === 3 ? !c.on : c.on]),
      );
      assert.equal((await control(device, 'press')).status, 400);
      assert.equal((await control(device, 'press', { socket: 0 })).status, 400);
      assert.match((await control(device, 'press', { socket: 7 })).json.error, /no socket at position 7/);
      const camera = await sim.device({ fixture: 'C101(US)_5.0_1.4.3' });
      assert.match((await control(camera, 'press')).json.error, /no relay button/);
    });
  });
});
