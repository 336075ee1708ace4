/**
 * The `tapo-event` node against simulated devices on 127.0.0.1: plugs switched by hand, strip
 * sockets, power crossing thresholds, camera detections through the last alarm, and what pauses a
 * source (a rejected password, privacy mode). Polls run every second; each test waits for the
 * messages it expects, never for a time.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import path from 'node:path';
import sinon from 'sinon';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { PASSWORD, PLUG_USER, collect, creds, deviceNode, helper, next, nodeModules, root, statusWhere, statuses } from './harness';
import type { FlowNode, Msg } from './harness';

const clock = { now: (): number => Date.UTC(2024, 5, 15, 12, 0, 0) };
const eventModule = require(path.join(root, 'nodes', 'tapo-event.js')) as unknown;
const modules = [...nodeModules, eventModule];

/** The config node, one event node `ev` wired to `out`. */
function eventFlow(device: FlowNode, event: Record<string, unknown>): FlowNode[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    device,
    { id: 'ev', z: 'tab', type: 'tapo-event', name: '', device: 'dev', poll: 1, wires: [['out']], ...event },
    { id: 'out', z: 'tab', type: 'helper' },
  ];
}

/** Switches a simulated plug as a hand on its button would: the relay changes, nothing else is asked. */
function switchByHand(sim: SimulatedDevice, on: boolean, deviceId?: string): void {
  const logic = sim.logic as PlugLogic;
  const request = { method: 'set_device_info', params: { device_on: on } };
  const reply = deviceId === undefined ? logic.handle(request) : logic.handle({ method: 'control_child', params: { device_id: deviceId, requestData: request } });
  assert.equal(reply.error_code, 0);
}

describe('nodes: tapo-event', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice | undefined;

  afterEach(async () => {
    await helper.unload();
    await sim?.stop();
    sim = undefined;
  });

  it('a plug switched by hand: the current state once after deploy, then on and off as they happen', async () => {
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', clock, password: PASSWORD });
    await helper.load(modules, eventFlow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { initial: true }), creds(PLUG_USER, PASSWORD));
    const out = helper.getNode('out');
    const first = await next(out);
    assert.equal(first.topic, 'off');
    assert.equal(first.payload, false);
    assert.deepEqual(first.event, { source: 'poll', type: 'device_on', state: true });
    assert.equal((first.device as { host: string }).host, `127.0.0.1:${sim.port}`);
    assert.equal((first.device as { model: string }).model, 'P110');

    let got = next(out);
    switchByHand(sim, true);
    let msg = await got;
    assert.equal(msg.topic, 'on');
    assert.equal(msg.payload, true);
    assert.deepEqual(msg.event, { source: 'poll', type: 'device_on' });

    got = next(out);
    switchByHand(sim, false);
    msg = await got;
    assert.equal(msg.topic, 'off');
    assert.equal(msg.payload, false);
    // One login for the whole watch.
    assert.equal(sim.server.loginCount, 1);
  });

  it('a strip: each socket switched by hand is one event with its position', async () => {
    sim = await startDevice({ fixture: 'P300(EU)_1.0_1.0.15', clock, password: PASSWORD });
    const logic = sim.logic as PlugLogic;
    const [first, second] = (logic.state.children ?? []).slice().sort((a, b) => a.position - b.position);
    assert.ok(first && second);
    await helper.load(modules, eventFlow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), {}), creds(PLUG_USER, PASSWORD));
    const ev = helper.getNode('ev');
    const seen = statuses(ev);
    await statusWhere(ev, seen, (s) => s.text === 'tapo-event.status.watching');
    const got = next(helper.getNode('out'));
    switchByHand(sim, !second.on, second.deviceId);
    const msg = await got;
    assert.equal(msg.topic, second.on ? 'off' : 'on');
    assert.equal((msg.event as { socket: number }).socket, second.position);
  });

  it('power crossing the thresholds of the node, above then below', async () => {
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', clock, password: PASSWORD, loadWatts: 50 });
    switchByHand(sim, true);
    await helper.load(modules, eventFlow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { events: ['power'], thresholds: '100, 1000' }), creds(PLUG_USER, PASSWORD));
    const ev = helper.getNode('ev');
    const seen = statuses(ev);
    await statusWhere(ev, seen, (s) => s.text === 'tapo-event.status.watching');
    const logic = sim.logic as PlugLogic;
    const rising = collect(helper.getNode('out'), 2);
    logic.setLoadWatts(1500);
    const up = await rising;
    assert.deepEqual(
      up.map((m) => [m.topic, m.payload, (m.event as { threshold: number }).threshold, (m.event as { direction: string }).direction]),
      [
        ['power', 1500, 100, 'above'],
        ['power', 1500, 1000, 'above'],
      ],
    );
    const got = next(helper.getNode('out'));
    logic.setLoadWatts(500);
    const down = await got;
    assert.deepEqual([down.payload, (down.event as { threshold: number }).threshold, (down.event as { direction: string }).direction], [500, 1000, 'below']);
  });

  it('unknown event names are refused at deploy with a red status; nothing is sent to the device', async () => {
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', clock, password: PASSWORD });
    const flow = eventFlow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { events: ['on', 'explosion'] });
    await helper.load(modules, flow, creds(PLUG_USER, PASSWORD));
    const ev = helper.getNode('ev');
    const seen = statuses(ev);
    await statusWhere(ev, seen, (s) => s.text === 'tapo-event.status.badConfig' && s.fill === 'red');
    assert.equal(sim.httpRequestCount, 0);
  });

  describe('with a fake clock', () => {
    let timers: sinon.SinonFakeTimers | undefined;
    afterEach(() => {
      timers?.restore();
      timers = undefined;
    });

    it('a rejected password pauses the events: one login attempt over many poll periods, and the status says so', async () => {
      sim = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', clock, password: PASSWORD });
      timers = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
      await helper.load(modules, eventFlow(deviceNode(`127.0.0.1:${sim.port}`, 'camera'), {}), creds('admin', 'not-the-password'));
      const ev = helper.getNode('ev');
      const seen = statuses(ev);
      await timers.tickAsync(0);
      await statusWhere(ev, seen, (s) => s.text === 'tapo-event.status.paused.authentication');
      const requests = sim.httpRequestCount;
      assert.ok(requests >= 1);
      // Twenty poll periods later: nothing more reached the camera.
      for (let i = 0; i < 20; i++) await timers.tickAsync(1000);
      assert.equal(sim.httpRequestCount, requests);
    });
  });

  it('a camera: a new last alarm is a motion event; nothing while privacy mode is on, and the status says so', async () => {
    // The device's own clock: a detection is stamped now, later than the captured last alarm.
    sim = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', password: PASSWORD });
    const cam = sim.logic as CameraLogic;
    setPrivacy(cam, false);
    await helper.load(modules, eventFlow(deviceNode(`127.0.0.1:${sim.port}`, 'camera'), {}), creds('admin', PASSWORD));
    const ev = helper.getNode('ev');
    const seen = statuses(ev);
    await statusWhere(ev, seen, (s) => s.text === 'tapo-event.status.watching');
    let got: Promise<Msg> = next(helper.getNode('out'));
    const detected = sim.detect({ type: 'motion' });
    const msg = await got;
    assert.equal(msg.topic, 'motion');
    assert.equal(msg.payload, true);
    assert.equal((msg.event as { source: string }).source, 'poll');
    // Typed by the camera's detection list (events.md §3.2: alarm_type 2 = motion).
    assert.equal((msg.event as { type: string }).type, 'alarm_type 2');
    assert.equal(String((msg.event as { time: number }).time), String(detected.time));

    got = next(helper.getNode('out'));
    sim.detect({ type: 'person' });
    const person = await got;
    assert.equal(person.topic, 'person');

    // Two detections between two polls: both arrive, typed, in order (searchDetectionList).
    const two = collect(helper.getNode('out'), 2);
    sim.detect({ type: 'vehicle' });
    sim.detect({ type: 'pet' });
    assert.deepEqual((await two).map((m) => m.topic), ['vehicle', 'pet']);

    setPrivacy(cam, true);
    await statusWhere(ev, seen, (s) => s.text === 'tapo-event.status.paused.privacy');
    // Privacy mode silences the camera: no event, though the watcher keeps asking (it must see privacy end).
    const sent: Msg[] = [];
    helper.getNode('out').on('input', (m: Msg) => sent.push(m));
    sim.detect({ type: 'motion' });
    const pausedAt = seen.length;
    setPrivacy(cam, false);
    await statusWhere(ev, seen.slice(pausedAt), (s) => s.text === 'tapo-event.status.last');
    assert.deepEqual(sent, []);
  });

  it('a doorbell ring arrives as a ring event from the UDP datagram (a loopback port the test chooses)', async () => {
    const ringPort = await freeUdpPort();
    sim = await startDevice({ fixture: 'D130(US)_1.0_1.1.9', scheme: 'camera-secure', password: PASSWORD, ringTarget: { host: '127.0.0.1', port: ringPort } });
    await helper.load(modules, eventFlow(deviceNode(`127.0.0.1:${sim.port}`, 'camera'), { events: ['ring'], ringPort }), creds('admin', PASSWORD));
    const ev = helper.getNode('ev');
    const seen = statuses(ev);
    await statusWhere(ev, seen, (s) => s.text === 'tapo-event.status.watching');
    const got = next(helper.getNode('out'));
    await sim.ring();
    const msg = await got;
    assert.equal(msg.topic, 'ring');
    assert.equal(msg.payload, true);
    assert.equal((msg.event as { source: string }).source, 'udp');
  });

  describe('cameras over ONVIF (camera account set, source auto)', () => {
    const account = { username: 'tapo-cam', password: 'tapo-sim-cam' };

    it('a detection arrives over ONVIF with its start and end', async () => {
      sim = await startDevice({ fixture: 'C101(US)_5.0_1.4.3', password: PASSWORD, onvifPort: 0, cameraAccount: account });
      const dev = deviceNode(`127.0.0.1:${sim.port}`, 'camera');
      await helper.load(modules, eventFlow(dev, { events: ['motion', 'person'], onvifPort: sim.onvifPort }), {
        dev: { username: 'admin', password: PASSWORD, cameraUsername: account.username, cameraPassword: account.password },
      });
      const ev = helper.getNode('ev');
      const seen = statuses(ev);
      await statusWhere(ev, seen, (s) => s.text === 'tapo-event.status.watching' && s.fill !== 'red');
      // The first pull held by the camera: subscribed.
      await new Promise<void>((resolve) => {
        const on = (e: { operation?: string; status?: unknown }): void => {
          if (e.operation === 'PullMessages' && e.status === 'held') {
            sim?.removeListener('onvif', on);
            resolve();
          }
        };
        sim?.on('onvif', on);
      });
      const got = collect(helper.getNode('out'), 2);
      sim.detect({ type: 'person' });
      sim.detect({ type: 'person', active: false });
      const [start, end] = await got;
      assert.deepEqual([start?.topic, start?.payload, (start?.event as { source: string }).source], ['person', true, 'onvif']);
      assert.deepEqual([end?.topic, end?.payload], ['person', false]);
      assert.equal((start?.event as { type: string }).type, 'IsPeople');
    });

    it('a wrong camera account: one refusal, the status says so, and events come from polling', async () => {
      sim = await startDevice({ fixture: 'C101(US)_5.0_1.4.3', password: PASSWORD, onvifPort: 0, cameraAccount: account });
      const onvifRequests: unknown[] = [];
      sim.on('onvif', (e: unknown) => onvifRequests.push(e));
      const dev = deviceNode(`127.0.0.1:${sim.port}`, 'camera');
      await helper.load(modules, eventFlow(dev, { onvifPort: sim.onvifPort }), {
        dev: { username: 'admin', password: PASSWORD, cameraUsername: account.username, cameraPassword: 'wrong' },
      });
      const ev = helper.getNode('ev');
      const seen = statuses(ev);
      await statusWhere(ev, seen, (s) => s.fill === 'red' && s.text === 'tapo-device.errors.Authentication');
      // One poll after the fallback (its baseline), then the detection.
      const polled = seen.length;
      await new Promise<void>((resolve) => {
        const check = (): void => (seen.length > polled ? resolve() : void setTimeout(check, 50));
        check();
      });
      const refused = onvifRequests.length;
      const got = next(helper.getNode('out'));
      sim.detect({ type: 'motion' });
      const msg = await got;
      assert.equal(msg.topic, 'motion');
      assert.equal((msg.event as { source: string }).source, 'poll');
      // The refusal was not retried: no ONVIF request since, over several polls.
      assert.ok(refused >= 1 && refused <= 2, String(refused));
      assert.equal(onvifRequests.length, refused);
    });
  });
});

/** Covers or uncovers the lens as the Tapo app does (setLensMaskConfig). */
function setPrivacy(cam: CameraLogic, on: boolean): void {
  const reply = cam.handle({
    method: 'multipleRequest',
    params: { requests: [{ method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: on ? 'on' : 'off' } } } }] },
  });
  assert.equal(reply.error_code, 0);
  assert.equal(cam.state.privacyMode, on);
}

/** A UDP port on 127.0.0.1 nothing listens on. */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

