/**
 * Event sources and snapshots follow a device the owner followed to another address
 * (src/connection/watch.ts `DeviceWatch.moved`, src/connection/device.ts), with real sockets
 * against the simulator on 127.0.0.x only: a camera with ONVIF events and RTSP moves from
 * 127.0.0.2 to 127.0.0.3 (its ONVIF and RTSP servers rebind there on the same ports) and keeps
 * delivering detections over ONVIF, a snapshot after the move is streamed from the new address,
 * and a doorbell's ring from its new address is told apart from another doorbell's.
 * Asserts on what the simulator saw, and waits on events, never on time.
 */
import { strict as assert } from 'node:assert';
import * as dgram from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import { TapoDevice } from '../../src/connection/device';
import type { MovedEvent } from '../../src/connection/device';
import type { DeviceEvent, WatchListener, WatchStatus } from '../../src/connection/watch';
import { startDevice } from '../../src/simulator';
import type { OnvifRequestInfo, SimulatedDevice, StartDeviceOptions } from '../../src/simulator';

/** Privacy mode off in this fixture: the camera detects. */
const CAMERA = 'C101(US)_5.0_1.4.3';
const DOORBELL = 'D130(US)_1.0_1.1.9';
const ACCOUNT = { username: 'tapo-cam', password: 'tapo-sim-cam' };
const PASSWORD = 'tapo-sim';

/** A listener that records what it is told and emits `change`/`status` for waiting. */
class Recorder extends EventEmitter implements WatchListener {
  readonly changes: DeviceEvent[] = [];
  readonly statuses: WatchStatus[] = [];
  change(event: DeviceEvent): void {
    this.changes.push(event);
    this.emit('change', event);
  }
  report(): void {}
  status(status: WatchStatus): void {
    this.statuses.push(status);
    this.emit('status', status);
  }
}

/** Resolves once `check()` holds, testing it now and after each `event` of `emitter`. */
function eventually(check: () => boolean, emitter: EventEmitter, event: string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve) => {
    const listener = (): void => {
      if (!check()) return;
      emitter.off(event, listener);
      resolve();
    };
    emitter.on(event, listener);
  });
}

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('event sources and snapshots follow a moved device', function () {
  this.timeout(20_000);
  const devices: SimulatedDevice[] = [];
  const owners: TapoDevice[] = [];
  const watches: { close(): void }[] = [];

  afterEach(async () => {
    for (const w of watches.splice(0)) w.close();
    await Promise.all(owners.splice(0).map((o) => o.end()));
    await Promise.all(devices.splice(0).map((d) => d.stop()));
  });

  async function sim(options: Partial<StartDeviceOptions> & { fixture: string; host: string }): Promise<SimulatedDevice> {
    const device = await startDevice({ port: 0, discoveryPort: 0, scheme: 'camera-secure', password: PASSWORD, ...options });
    devices.push(device);
    return device;
  }

  /** The owner of a camera-kind device, searching only `candidates` on the simulator's discovery port. */
  function owner(device: SimulatedDevice, candidates: readonly string[], extra: { cameraAccount?: typeof ACCOUNT; rtspPort?: number } = {}): TapoDevice {
    const o = new TapoDevice(
      {
        host: `${device.host}:${device.port}`,
        kind: 'camera',
        credentials: { username: 'admin', password: PASSWORD },
        timeoutMs: 8000,
        authHoldOffMs: 0,
        ...extra,
      },
      undefined,
      { locate: { discoveryPorts: [device.discoveryPort ?? 0], candidates: () => candidates, wakeWaitMs: 300, searchMs: 1500, attempts: 1 } },
    );
    owners.push(o);
    return o;
  }

  /** Moves the simulated device, then runs one read so the owner finds it and follows. */
  async function moveAndFollow(o: TapoDevice, device: SimulatedDevice, to: string): Promise<void> {
    await o.run((v) => v.camera().read(['deviceInfo']));
    assert.ok(o.mac !== undefined, 'the MAC is known before the move');
    await device.moveTo(to);
    const moved = once(o, 'moved');
    await o.run((v) => v.camera().read(['deviceInfo']));
    const [event] = (await moved) as [MovedEvent];
    assert.equal(event.to, to);
    assert.equal(o.currentHost, to);
  }

  it('a camera with ONVIF events keeps delivering detections over ONVIF after its owner follows it to 127.0.0.3; a snapshot then comes from 127.0.0.3', async () => {
    const device = await sim({ fixture: CAMERA, host: '127.0.0.2', onvifPort: 0, rtspPort: 0, cameraAccount: ACCOUNT, rtspFfmpeg: false });
    const onvif: OnvifRequestInfo[] = [];
    device.on('onvif', (info: OnvifRequestInfo) => onvif.push(info));
    const rtspUrls: string[] = [];
    device.on('rtsp', (info: { url: string }) => rtspUrls.push(info.url));
    const o = owner(device, ['127.0.0.3'], { cameraAccount: ACCOUNT, rtspPort: device.rtspPort ?? 0 });
    const rec = new Recorder();
    watches.push(o.watch(rec, { pollMs: 1000, onvifPort: device.onvifPort ?? 0 }));

    const held = (): number => onvif.filter((r) => r.status === 'held').length;
    await eventually(() => held() > 0, device, 'onvif');
    const subscribedBefore = device.onvifServer?.subscriptionsCreated ?? 0;
    assert.equal(subscribedBefore, 1);
    assert.ok((await device.detect({ type: 'motion' })).onvifSubscriptions >= 1);
    await eventually(() => rec.changes.some((c) => c.topic === 'motion' && c.payload === true), rec, 'change');
    assert.equal(rec.changes.at(-1)?.source, 'onvif');

    const onvifPort = device.onvifPort;
    const rtspPort = device.rtspPort;
    await moveAndFollow(o, device, '127.0.0.3');
    assert.equal(device.onvifServer?.host, '127.0.0.3');
    assert.deepEqual([device.onvifPort, device.rtspPort], [onvifPort, rtspPort], 'the same ports on the new host');

    // A new subscription at the new address (the server is bound there only), and a held pull on it.
    const heldAfterMove = held();
    await eventually(() => (device.onvifServer?.subscriptionsCreated ?? 0) > subscribedBefore && held() > heldAfterMove, device, 'onvif');
    assert.equal(onvif.filter((r) => r.operation === 'Unsubscribe').length, 0, 'nothing said to the old address, nothing unsubscribed at the new one');

    const before = rec.changes.length;
    const result = await device.detect({ type: 'person' });
    assert.equal(result.onvifSubscriptions >= 1, true);
    await eventually(() => rec.changes.slice(before).some((c) => c.topic === 'person' && c.payload === true), rec, 'change');
    assert.ok(rec.changes.slice(before).every((c) => c.source === 'onvif'));

    const shot = await o.snapshot({ source: 'stream8' });
    assert.equal(shot.stream, 'stream8');
    assert.ok(rtspUrls.length > 0);
    assert.ok(rtspUrls.every((u) => u.startsWith(`rtsp://127.0.0.3:${rtspPort}/`)), rtspUrls.join(' '));
    assert.equal(o.streams().stream8, `rtsp://127.0.0.3:${rtspPort}/stream8`);
  });

  it("a doorbell's ring from its new address is its own after the move, not another doorbell's", async () => {
    const ringPort = await freeUdpPort();
    const ringTarget = { host: '127.0.0.1', port: ringPort };
    const moving = await sim({ fixture: DOORBELL, host: '127.0.0.2', ringTarget });
    const other = await sim({ fixture: DOORBELL, host: '127.0.0.4', ringTarget });
    const o = owner(moving, ['127.0.0.3']);
    const p = owner(other, []);
    const movingRings = new Recorder();
    const otherRings = new Recorder();
    watches.push(o.watch(movingRings, { pollMs: 60_000, ringPort }));
    watches.push(p.watch(otherRings, { pollMs: 60_000, ringPort }));

    await moveAndFollow(o, moving, '127.0.0.3');
    const sent = await moving.ring();
    assert.equal(sent.source.address, '127.0.0.3');
    await eventually(() => movingRings.changes.some((c) => c.topic === 'ring'), movingRings, 'change');
    // Both listeners hear a datagram in the same turn: the other doorbell had it then, or never.
    assert.equal(otherRings.changes.filter((c) => c.topic === 'ring').length, 0, 'the ring from 127.0.0.3 is only the moved doorbell\'s');

    await other.ring();
    await eventually(() => otherRings.changes.some((c) => c.topic === 'ring'), otherRings, 'change');
    assert.equal(movingRings.changes.filter((c) => c.topic === 'ring').length, 1);
  });
});
