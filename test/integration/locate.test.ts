/**
 * Keeping devices found (src/connection/locate.ts through TapoDevice), with real sockets against
 * the simulator on 127.0.0.x only: a device that moves to another loopback address is found by its
 * MAC and followed; a plug whose port stays closed until probed is woken by one probe; a wrong
 * password never searches; a device that is gone is searched for once per window.
 */
import { strict as assert } from 'node:assert';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import * as net from 'node:net';
import { TapoDevice } from '../../src/connection/device';
import type { MovedEvent } from '../../src/connection/device';
import type { Plug } from '../../src/devices/plug';
import type { LocateOptions, LocateOutcome } from '../../src/connection/locate';
import { isTapoError, TapoError } from '../../src/protocol/errors';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice, StartDeviceOptions } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';

const PLUG = { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap' } as const;
const CAMERA = { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure' } as const;

describe('keeping devices found (move, wake-up probe, search)', function () {
  this.timeout(20_000);
  const devices: SimulatedDevice[] = [];
  const owners: TapoDevice[] = [];
  const sockets: dgram.Socket[] = [];

  afterEach(async () => {
    await Promise.all(owners.splice(0).map((o) => o.end()));
    await Promise.all(devices.splice(0).map((d) => d.stop()));
    await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  async function sim(host: string, options: Partial<StartDeviceOptions> & { fixture: string }): Promise<SimulatedDevice> {
    const device = await startDevice({ host, port: 0, discoveryPort: 0, ...options });
    devices.push(device);
    return device;
  }

  function owner(device: SimulatedDevice, kind: 'plug' | 'camera', locate: LocateOptions, extra: { password?: string; timeoutMs?: number } = {}): TapoDevice {
    const port = device.discoveryPort;
    assert.ok(port !== undefined);
    const o = new TapoDevice(
      {
        host: `${device.host}:${device.port}`,
        kind,
        credentials: { username: kind === 'camera' ? 'admin' : 'user@example.com', password: extra.password ?? 'tapo-sim' },
        timeoutMs: extra.timeoutMs ?? 8000,
        authHoldOffMs: 0,
      },
      undefined,
      { locate: { discoveryPorts: [port], wakeWaitMs: 300, searchMs: 1500, attempts: 1, ...locate } },
    );
    owners.push(o);
    return o;
  }

  /** A UDP socket on a loopback address that counts the probes it receives (an empty candidate). */
  async function listener(host: string, port: number): Promise<{ count: () => number }> {
    const socket = dgram.createSocket('udp4');
    sockets.push(socket);
    let n = 0;
    socket.on('message', () => n++);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port }, () => resolve());
    });
    return { count: () => n };
  }

  it('a plug moved from 127.0.0.2 to 127.0.0.3: followed by MAC within the same deadline, the configured host unchanged', async () => {
    const device = await sim('127.0.0.2', PLUG);
    const o = owner(device, 'plug', { candidates: () => ['127.0.0.4', '127.0.0.3'] });
    const configured = o.options.host;
    const info = await o.run(async (v) => (await v.smart()).getInfo());
    assert.equal(o.mac, info.mac.replace(/-/g, '').toUpperCase(), 'the MAC is learnt from the device info read');

    await device.moveTo('127.0.0.3');
    const moved: MovedEvent[] = [];
    o.on('moved', (e: MovedEvent) => moved.push(e));
    const before = device.httpRequestCount;
    // A read never left (connection refused): it is run again at the new address within its deadline.
    const again = await o.run(async (v) => (await v.smart()).getInfo());
    assert.equal(again.mac, info.mac);
    assert.deepEqual(moved, [{ from: '127.0.0.2', to: '127.0.0.3', mac: o.mac }]);
    assert.ok(device.httpRequestCount > before, 'the device answered at its new address');
    assert.equal(o.currentHost, '127.0.0.3');
    assert.equal(o.movedTo, '127.0.0.3');
    assert.equal(o.options.host, configured, 'the configured host is not rewritten');
    assert.equal(o.locateStats.searches, 1);

    await o.run(async (v) => ((await v.smart()) as Plug).setOn(true));
    assert.equal((device.logic as PlugLogic).state.on, true);
  });

  it('a failure whose deadline ends first: the error comes within it, the follow-up runs in the background, the next operation uses the new address', async () => {
    const device = await sim('127.0.0.2', PLUG);
    const o = owner(device, 'plug', { candidates: () => ['127.0.0.3'], wakeWaitMs: 1000 });
    await o.run(async (v) => (await v.smart()).getInfo());
    await device.moveTo('127.0.0.3');
    const moved = once(o, 'moved');
    await assert.rejects(
      o.run(async (v) => (await v.smart()).getInfo(), { timeoutMs: 100 }),
      (e: unknown) => isTapoError(e) && (e.kind === 'Transport' || e.kind === 'Timeout'),
    );
    const [event] = (await moved) as [MovedEvent];
    assert.equal(event.to, '127.0.0.3');
    await o.run(async (v) => ((await v.smart()) as Plug).setOn(true));
    assert.equal((device.logic as PlugLogic).state.on, true);
    assert.equal(o.currentHost, '127.0.0.3');
  });

  it('a request that may have acted is not repeated after a move: the operation fails, the next one works', async () => {
    const device = await sim('127.0.0.2', PLUG);
    const o = owner(device, 'plug', { candidates: () => ['127.0.0.3'] });
    await o.run(async (v) => (await v.smart()).getInfo());
    const logic = device.logic as PlugLogic;
    let sets = 0;
    await assert.rejects(
      o.run(async (v) => {
        // A set that is not marked idempotent reaches the device, then the device moves.
        await v.requester.request({ method: 'set_device_info', params: { device_on: !logic.state.on } });
        sets++;
        await device.moveTo('127.0.0.3');
        return v.requester.request({ method: 'get_device_info' }, { idempotent: true });
      }),
      (e: unknown) => isTapoError(e) && e.kind === 'Transport',
    );
    assert.equal(sets, 1, 'the operation ran once: it was not repeated at the new address');
    await once(o, 'located');
    assert.equal(o.currentHost, '127.0.0.3');
    await o.run(async (v) => (await v.smart()).getInfo());
  });

  it('a camera moved to 127.0.0.3 logs in again there', async () => {
    const device = await sim('127.0.0.2', { ...CAMERA, username: 'admin' });
    const o = owner(device, 'camera', { candidates: () => ['127.0.0.3'] });
    await o.run((v) => v.camera().read(['deviceInfo']));
    assert.ok(o.mac !== undefined);
    const logins = o.stats.logins;
    await device.moveTo('127.0.0.3');
    const moved = once(o, 'moved');
    const read = await o.run((v) => v.camera().read(['deviceInfo']));
    assert.equal(read.deviceInfo.model, device.model);
    const [event] = (await moved) as [MovedEvent];
    assert.equal(event.to, '127.0.0.3');
    assert.ok(o.stats.logins >= 1 && o.stats.logins <= logins + 2, 'a new connection, with its own login');
    assert.equal(o.options.host, `127.0.0.2:${device.port}`);
  });

  it('a plug with portClosedUntilProbe: one wake-up probe, then the connection works; the device saw exactly one probe', async () => {
    const device = await sim('127.0.0.2', PLUG);
    await device.setFaults({ portClosedUntilProbe: true });
    const empty = await listener('127.0.0.3', device.discoveryPort ?? 0);
    const o = owner(device, 'plug', { candidates: () => ['127.0.0.3'] });
    await o.run(async (v) => ((await v.smart()) as Plug).setOn(true));
    assert.equal((device.logic as PlugLogic).state.on, true);
    assert.equal(device.discoveryProbesAnswered, 1);
    assert.equal(device.discoveryResponder?.ignored, 0);
    assert.equal(device.faults.portClosedUntilProbe, false);
    assert.equal(empty.count(), 0, 'no search: the device answered at its address');
    assert.deepEqual({ wakes: o.locateStats.wakes, searches: o.locateStats.searches }, { wakes: 1, searches: 0 });
  });

  it('after a restart (no MAC known), the wake-up probe\'s answer names the MAC; the device moved later is then followed', async () => {
    const device = await sim('127.0.0.2', PLUG);
    await device.setFaults({ portClosedUntilProbe: true });
    const o = owner(device, 'plug', { candidates: () => ['127.0.0.3'], intervalMs: 0 });
    assert.equal(o.mac, undefined);
    // A request whose reply names no MAC (as a first action after a restart may be).
    await o.run((v) => v.requester.request({ method: 'get_energy_usage' }, { idempotent: true }));
    const last = o.locateStats.last;
    assert.equal(last?.outcome, 'woke');
    const fromProbe = last?.outcome === 'woke' ? last.mac : undefined;
    assert.equal(fromProbe, device.fixture.mac.replace(/[-:]/g, '').toUpperCase(), 'the discovery answer named the MAC');
    assert.equal(o.mac, fromProbe);

    await device.moveTo('127.0.0.3');
    const moved = once(o, 'moved');
    await o.run(async (v) => ((await v.smart()) as Plug).setOn(false));
    assert.equal(((await moved) as [MovedEvent])[0].to, '127.0.0.3');
    assert.equal((device.logic as PlugLogic).state.on, false);
  });

  it('a wrong password never probes nor searches', async () => {
    const device = await sim('127.0.0.2', PLUG);
    const empty = await listener('127.0.0.3', device.discoveryPort ?? 0);
    const o = owner(device, 'plug', { candidates: () => ['127.0.0.3'] }, { password: 'wrong' });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        o.run(async (v) => (await v.smart()).getInfo()),
        (e: unknown) => isTapoError(e, 'Authentication'),
      );
    }
    assert.equal(device.discoveryProbesAnswered, 0);
    assert.equal(empty.count(), 0);
    assert.deepEqual({ wakes: o.locateStats.wakes, searches: o.locateStats.searches }, { wakes: 0, searches: 0 });
  });

  it('a device that is gone: searched once, not found, a Transport error with a hint; a second failure in the window does not search again', async () => {
    const device = await sim('127.0.0.2', PLUG);
    const port = device.discoveryPort ?? 0;
    const empty = await listener('127.0.0.3', port);
    const o = owner(device, 'plug', { candidates: () => ['127.0.0.3'] });
    await o.run(async (v) => (await v.smart()).getInfo());
    await device.stop();
    const located: LocateOutcome[] = [];
    o.on('located', (e: LocateOutcome) => located.push(e));

    const first = await o.run(async (v) => (await v.smart()).getInfo()).then(
      () => assert.fail('the device is gone'),
      (e: unknown) => e,
    );
    assert.ok(first instanceof TapoError);
    assert.ok(first.kind === 'Transport' || first.kind === 'Timeout', first.kind);
    assert.equal(first.hintKey, 'locateGone');
    assert.equal(first.also, 'locateNotFound');
    assert.equal(located.length, 1);
    assert.equal(located[0]?.outcome, 'notFound');
    assert.equal(empty.count(), 1, 'the candidate got one probe');

    const second = await o.run(async (v) => (await v.smart()).getInfo()).then(
      () => assert.fail('the device is gone'),
      (e: unknown) => e,
    );
    assert.ok(second instanceof TapoError && (second.kind === 'Transport' || second.kind === 'Timeout'));
    assert.equal(second.hintKey, 'locateGone');
    assert.equal(empty.count(), 1, 'no second search inside the window');
    assert.equal(located.length, 1);
    assert.deepEqual({ wakes: o.locateStats.wakes, searches: o.locateStats.searches }, { wakes: 1, searches: 1 });
  });

  it('the control endpoint moves a device: POST /__sim/move', async () => {
    const device = await sim('127.0.0.2', PLUG);
    const moved = once(device, 'moved');
    const res = await fetch(`${device.url}/__sim/move`, { method: 'POST', body: JSON.stringify({ host: '127.0.0.3' }) });
    assert.equal(res.status, 200);
    await moved;
    assert.equal(device.host, '127.0.0.3');
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.2', port: device.port });
      s.on('error', () => resolve(true));
      s.on('connect', () => {
        s.destroy();
        resolve(false);
      });
    });
    assert.equal(refused, true, 'nothing listens on the old address');
    const state = await fetch(`http://127.0.0.3:${device.port}/__sim/state`);
    assert.equal(state.status, 200);
    const bad = await fetch(`http://127.0.0.3:${device.port}/__sim/move`, { method: 'POST', body: '{"host":"nowhere"}' });
    assert.equal(bad.status, 400);
  });
});
