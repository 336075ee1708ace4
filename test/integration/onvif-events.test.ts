/**
 * The ONVIF events client (src/protocol/onvif.ts) over 127.0.0.1: against the simulated camera's
 * ONVIF server (counting the requests it reports with its `onvif` event, never what the client
 * says it did), and against a scripted SOAP server where the simulator cannot show a case (an
 * XAddr on another port and path, the headers, HTTP 401 without a body, no device service).
 * Waits for renewals and back-offs run on sinon fake timers (setTimeout and Date only; sockets stay
 * real), stepping from one held pull to the next.
 */
import { strict as assert } from 'node:assert';
import { EventEmitter, once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import sinon from 'sinon';

import { OnvifEventState } from '../../src/devices/onvif-events';
import type { OnvifDetectionUpdate } from '../../src/devices/onvif-events';
import { OnvifEvents } from '../../src/protocol/onvif';
import type { OnvifNotification, OnvifStateReport } from '../../src/protocol/onvif';
import { startDevice } from '../../src/simulator';
import type { OnvifRequestInfo, SimulatedDevice } from '../../src/simulator';

const ACCOUNT = { username: 'camuser', password: 'userpassword' };
/** Privacy mode off in this fixture: the camera detects. */
const CAMERA = 'C101(US)_5.0_1.4.3';

/** Resolves once `check()` holds, testing it now and after each of the given events. */
function eventually(check: () => boolean, ...sources: [EventEmitter, string][]): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve) => {
    const listener = (): void => {
      if (!check()) return;
      for (const [emitter, event] of sources) emitter.off(event, listener);
      resolve();
    };
    for (const [emitter, event] of sources) emitter.on(event, listener);
  });
}

interface Camera {
  device: SimulatedDevice;
  /** Every request the simulator answered or holds, in order. */
  requests: OnvifRequestInfo[];
  /** `operation:status` of the answered ones and `operation:held` of the held pulls. */
  log(): string[];
  held(): number;
}

interface Client {
  ev: OnvifEvents;
  states: OnvifStateReport[];
  notes: OnvifNotification[];
  /** Every detection, classified by one OnvifEventState as the watcher will. */
  updates: OnvifDetectionUpdate[];
  changes(): string[];
}

describe('ONVIF events client (events.md §2) against the simulated camera', function () {
  this.timeout(20_000);
  const devices: SimulatedDevice[] = [];
  const clients: OnvifEvents[] = [];
  let clock: sinon.SinonFakeTimers | undefined;

  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await Promise.all(devices.splice(0).map((d) => d.stop()));
  });

  async function camera(): Promise<Camera> {
    const device = await startDevice({ fixture: CAMERA, onvifPort: 0, cameraAccount: ACCOUNT });
    devices.push(device);
    const requests: OnvifRequestInfo[] = [];
    device.on('onvif', (info: OnvifRequestInfo) => requests.push(info));
    return {
      device,
      requests,
      log: () => requests.map((r) => `${r.operation}:${r.status}`),
      held: () => requests.filter((r) => r.status === 'held').length,
    };
  }

  function client(cam: Camera, account = ACCOUNT): Client {
    const ev = new OnvifEvents({ host: '127.0.0.1', port: cam.device.onvifPort!, ...account });
    clients.push(ev);
    const state = new OnvifEventState();
    const c: Client = {
      ev,
      states: [],
      notes: [],
      updates: [],
      changes: () => c.updates.filter((u) => u.change).map((u) => `${u.topic}:${u.active}`),
    };
    ev.on('state', (s) => c.states.push(s));
    ev.on('notification', (n) => {
      c.notes.push(n);
      c.updates.push(...state.update(n));
    });
    return c;
  }

  /** Waits until the client holds a pull beyond the `n`-th. */
  const heldBeyond = (cam: Camera, n: number): Promise<void> => eventually(() => cam.held() > n, [cam.device, 'onvif']);

  /** Fake setTimeout and Date (the sockets, setImmediate and the simulator's I/O stay real). */
  function fakeTimers(): sinon.SinonFakeTimers {
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    return clock;
  }

  /**
   * Advances fake time by `ms`; when that ended a held pull (the camera answered), waits until the
   * client holds its next one, so time never runs on while a reply is on the wire.
   */
  async function advance(cam: Camera, ms: number): Promise<void> {
    const held = cam.held();
    const ended = cam.requests.length;
    await clock!.tickAsync(ms);
    if (cam.requests.length > ended) await heldBeyond(cam, held);
  }

  describe('the PullPoint flow', () => {
    it('GetCapabilities → the events XAddr → CreatePullPointSubscription → SetSynchronizationPoint → PullMessages; detect() arrives with its topic and data', async () => {
      const cam = await camera();
      const port = cam.device.onvifPort!;
      const c = client(cam);
      c.ev.start();
      await heldBeyond(cam, 0);
      assert.deepEqual(
        cam.requests.map((r) => [r.operation, r.path, r.status]),
        [
          ['GetCapabilities', '/onvif/device_service', 200],
          ['CreatePullPointSubscription', '/onvif/service', 200],
          ['SetSynchronizationPoint', `/event-0_${port}`, 200],
          ['PullMessages', `/event-0_${port}`, 200],
          ['PullMessages', `/event-0_${port}`, 'held'],
        ],
      );
      assert.deepEqual(
        c.states.map((s) => s.state),
        ['subscribing', 'live'],
      );
      // SetSynchronizationPoint: the current state of every property, nothing active.
      assert.deepEqual(
        c.notes.map((n) => [n.operation, Object.keys(n.data)[0]]),
        ['IsMotion', 'IsPeople', 'IsVehicle', 'IsPet', 'IsLineCross', 'IsIntrusion', 'IsTamper'].map((item) => ['Initialized', item]),
      );
      assert.deepEqual(c.changes(), []);

      cam.device.detect({ type: 'person' });
      await eventually(() => c.notes.length === 8, [c.ev, 'notification']);
      const person = c.notes[7]!;
      assert.equal(person.topic, 'tns1:RuleEngine/PeopleDetector/People');
      assert.equal(person.operation, 'Changed');
      assert.match(person.utcTime, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.deepEqual(person.data, { IsPeople: 'true' });
      assert.deepEqual(person.source, { VideoSourceConfigurationToken: 'vsconf', VideoAnalyticsConfigurationToken: 'VideoAnalyticsToken', Rule: 'MyPeopleDetectorRule' });
      assert.deepEqual(c.changes(), ['person:true']);

      cam.device.detect({ type: 'person', active: false });
      cam.device.detect({ type: 'tamper' });
      await eventually(() => c.notes.length === 10, [c.ev, 'notification']);
      assert.deepEqual(c.changes(), ['person:true', 'person:false', 'tamper:true']);
    });

    it('10 detections within one second: all delivered, in order, none twice', async () => {
      const cam = await camera();
      const c = client(cam);
      c.ev.start();
      await heldBeyond(cam, 0);
      const types = ['motion', 'person', 'vehicle', 'pet', 'lineCross'] as const;
      const expected: string[] = [];
      for (let i = 0; i < 10; i++) {
        const type = types[i % 5]!;
        const active = i < 5;
        assert.equal(cam.device.detect({ type, active }).changed, true);
        expected.push(`${type}:${active}`);
        // Some land on a held pull, some between two pulls.
        if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await eventually(() => c.changes().length >= 10, [c.ev, 'notification']);
      await heldBeyond(cam, cam.held());
      assert.deepEqual(c.changes(), expected);
      assert.equal(c.notes.filter((n) => n.operation === 'Changed').length, 10);
      assert.ok(!c.states.some((s) => s.state === 'retrying'));
    });

    it('stop(): aborts the held pull, then unsubscribes; nothing more goes out', async () => {
      const cam = await camera();
      const c = client(cam);
      c.ev.start();
      await heldBeyond(cam, 0);
      assert.equal(cam.device.onvifServer!.subscriptionCount(), 1);
      await c.ev.stop();
      assert.deepEqual(cam.log().slice(-2), ['PullMessages:held', 'Unsubscribe:200']);
      assert.equal(cam.device.onvifServer!.subscriptionCount(), 0);
      assert.equal(c.states.at(-1)?.state, 'stopped');
      const count = cam.requests.length;
      cam.device.detect({ type: 'motion' });
      await c.ev.stop();
      assert.equal(cam.requests.length, count);
      assert.equal(c.ev.running, false);
    });
  });

  describe('failures', () => {
    it('a wrong camera account: one unauthorized state (Authentication) and no further request, ever', async () => {
      const cam = await camera();
      const clock = fakeTimers();
      const c = client(cam, { username: 'camuser', password: 'wrong' });
      c.ev.start();
      await eventually(() => c.states.some((s) => s.state === 'unauthorized'), [c.ev, 'state']);
      await clock.tickAsync(30 * 60_000);
      assert.deepEqual(cam.log(), ['GetCapabilities:400']);
      assert.deepEqual(
        c.states.map((s) => s.state),
        ['subscribing', 'unauthorized'],
      );
      const error = c.states[1]!.error!;
      assert.equal(error.kind, 'Authentication');
      assert.equal(error.reason, 'onvifNotAuthorized');
      assert.equal(error.hintKey, 'checkCameraAccount');
      assert.equal(error.httpStatus, 400);
      assert.equal(c.ev.running, false);
    });

    it('the port is closed (onvifDown): unreachable, kind Unsupported, and no retry', async () => {
      const cam = await camera();
      await cam.device.setFaults({ onvifDown: true });
      const clock = fakeTimers();
      const c = client(cam);
      c.ev.start();
      await eventually(() => c.states.some((s) => s.state === 'unreachable'), [c.ev, 'state']);
      await clock.tickAsync(10 * 60_000);
      assert.deepEqual(
        c.states.map((s) => s.state),
        ['subscribing', 'unreachable'],
      );
      assert.equal(c.states[1]!.error!.kind, 'Unsupported');
      assert.equal(c.states[1]!.error!.reason, 'onvifPortClosed');
      assert.equal(c.states[1]!.error!.hintKey, 'onvifMissing');
      assert.deepEqual(cam.requests, []);
    });

    it('dropped subscriptions: resubscribes after 5 s, and the next detection arrives exactly once', async () => {
      const cam = await camera();
      const clock = fakeTimers();
      const c = client(cam);
      c.ev.start();
      await heldBeyond(cam, 0);
      const before = cam.requests.length;
      await cam.device.setFaults({ onvifDropSubscriptions: true });
      await eventually(() => c.states.at(-1)?.state === 'retrying', [c.ev, 'state']);
      assert.deepEqual(cam.log().slice(before), ['PullMessages:400']);
      const retry = c.states.at(-1)!;
      assert.equal(retry.retryInSeconds, 5);
      assert.equal(retry.error?.kind, 'Device');
      assert.equal(retry.error?.reason, 'onvifFault');

      await clock.tickAsync(4_999);
      assert.equal(cam.requests.length, before + 1, 'nothing before the back-off has passed');
      const held = cam.held();
      await clock.tickAsync(1);
      await heldBeyond(cam, held);
      const port = cam.device.onvifPort!;
      assert.deepEqual(
        cam.requests.slice(before + 1).map((r) => [r.operation, r.path, r.status]),
        [
          ['CreatePullPointSubscription', '/onvif/service', 200],
          ['SetSynchronizationPoint', `/event-1_${port}`, 200],
          ['PullMessages', `/event-1_${port}`, 200],
          ['PullMessages', `/event-1_${port}`, 'held'],
        ],
      );
      assert.deepEqual(
        c.states.map((s) => s.state),
        ['subscribing', 'live', 'retrying', 'subscribing', 'live'],
      );

      cam.device.detect({ type: 'motion' });
      await eventually(() => c.changes().length === 1, [c.ev, 'notification']);
      await heldBeyond(cam, cam.held());
      await advance(cam, 5_000);
      assert.deepEqual(c.changes(), ['motion:true']);
      assert.equal(c.notes.filter((n) => n.data.IsMotion === 'true').length, 1);
      assert.equal(cam.device.onvifServer!.subscriptionCount(), 1);
    });

    it('the camera goes away after answering: retrying (Transport, not unreachable) with a back-off of 5, 10, 20 s, live again, then 5 s again', async () => {
      const cam = await camera();
      const clock = fakeTimers();
      const c = client(cam);
      c.ev.start();
      await heldBeyond(cam, 0);
      const retries = (): OnvifStateReport[] => c.states.filter((s) => s.state === 'retrying');
      // Closing the port forgets the subscriptions: the held pull gets the fault first.
      await cam.device.setFaults({ onvifDown: true });
      await eventually(() => retries().length === 1, [c.ev, 'state']);
      assert.deepEqual([retries()[0]!.error!.reason, retries()[0]!.retryInSeconds], ['onvifFault', 5]);
      await clock.tickAsync(5_000);
      await eventually(() => retries().length === 2, [c.ev, 'state']);
      assert.deepEqual([retries()[1]!.error!.kind, retries()[1]!.retryInSeconds], ['Transport', 10], 'a camera that answered before is not taken for one without ONVIF');
      assert.match(retries()[1]!.error!.message, /ECONNREFUSED/);
      await clock.tickAsync(10_000);
      await eventually(() => retries().length === 3, [c.ev, 'state']);
      assert.deepEqual([retries()[2]!.error!.kind, retries()[2]!.retryInSeconds], ['Transport', 20]);

      await cam.device.setFaults({ onvifDown: false });
      const held = cam.held();
      await clock.tickAsync(20_000);
      await heldBeyond(cam, held);
      assert.equal(c.states.at(-1)!.state, 'live');
      assert.deepEqual(cam.log().slice(-5), ['GetCapabilities:200', 'CreatePullPointSubscription:200', 'SetSynchronizationPoint:200', 'PullMessages:200', 'PullMessages:held']);

      // The good pull reset the back-off.
      await cam.device.setFaults({ onvifDropSubscriptions: true });
      await eventually(() => retries().length === 4, [c.ev, 'state']);
      assert.equal(retries()[3]!.retryInSeconds, 5);
      assert.ok(!c.states.some((s) => s.state === 'unreachable'));
    });

    it('the C225 flood of Initialized batches gives one start', async () => {
      const cam = await camera();
      await cam.device.setFaults({ onvifInitializedFlood: true, onvifFloodIntervalMs: 20 });
      const c = client(cam);
      c.ev.start();
      await heldBeyond(cam, 0);
      const start = c.notes.length;
      cam.device.detect({ type: 'motion' });
      const motionReports = (): number => c.notes.slice(start).filter((n) => n.data.IsMotion === 'true').length;
      await eventually(() => motionReports() >= 5, [c.ev, 'notification']);
      assert.ok(c.notes.slice(start).every((n) => n.operation === 'Initialized'));
      assert.deepEqual(c.changes(), ['motion:true']);
    });

    it('a C220 closing an idle pull (here after 3 s) is an empty pull: pulled again at once, no retrying', async () => {
      const cam = await camera();
      await cam.device.setFaults({ onvifIdleClose: true, onvifIdleCloseMs: 3_000 });
      const clock = fakeTimers();
      const c = client(cam);
      c.ev.start();
      await heldBeyond(cam, 0);
      const held = cam.held();
      await clock.tickAsync(3_000);
      await heldBeyond(cam, held);
      await clock.tickAsync(3_000);
      await heldBeyond(cam, held + 1);
      assert.equal(cam.requests.filter((r) => r.operation === 'PullMessages' && r.status === 200).length, 1, 'only the first pull, with the synchronization point, was answered');
      assert.deepEqual(
        c.states.map((s) => s.state),
        ['subscribing', 'live'],
      );
      cam.device.detect({ type: 'vehicle' });
      await eventually(() => c.changes().length === 1, [c.ev, 'notification']);
      assert.deepEqual(c.changes(), ['vehicle:true']);
    });

    it('the C220 default (10 s) never reaches our PT5S pull: it is answered, empty, at 5 s', async () => {
      const cam = await camera();
      await cam.device.setFaults({ onvifIdleClose: true });
      const clock = fakeTimers();
      const c = client(cam);
      c.ev.start();
      await heldBeyond(cam, 0);
      const held = cam.held();
      await clock.tickAsync(5_000);
      await heldBeyond(cam, held);
      assert.deepEqual(cam.log().slice(-2), ['PullMessages:200', 'PullMessages:held']);
      assert.equal(c.states.at(-1)!.state, 'live');
    });
  });

  describe('renewal, pause and resume', () => {
    it('renews at 80 % of the granted 60 s, between two pulls, and only then', async () => {
      const cam = await camera();
      const clock = fakeTimers();
      const c = client(cam);
      const t0 = Date.now();
      c.ev.start();
      await heldBeyond(cam, 0);
      const renewals: number[] = [];
      cam.device.on('onvif', (info: OnvifRequestInfo) => {
        if (info.operation === 'Renew') renewals.push(Date.now() - t0);
      });
      for (let t = 0; t < 125_000; t += 1_000) await advance(cam, 1_000);
      assert.deepEqual(renewals.length, 2, `renewed at ${renewals.join(', ')} ms`);
      assert.ok(renewals[0]! >= 48_000 && renewals[0]! < 49_000, `first renewal at ${renewals[0]} ms`);
      assert.ok(renewals[1]! >= 96_000 && renewals[1]! < 97_000, `second renewal at ${renewals[1]} ms`);
      assert.equal(cam.requests.filter((r) => r.operation === 'CreatePullPointSubscription').length, 1);
      assert.ok(cam.requests.every((r) => r.status === 200 || r.status === 'held'));
      assert.equal(cam.device.onvifServer!.subscriptionCount(), 1);
      assert.deepEqual(
        c.states.map((s) => s.state),
        ['subscribing', 'live'],
      );
    });

    it('pause(): aborts the pull without unsubscribing and sends nothing; resume(): renews, synchronizes, pulls', async () => {
      const cam = await camera();
      const clock = fakeTimers();
      const c = client(cam);
      c.ev.start();
      await heldBeyond(cam, 0);
      c.ev.pause();
      await eventually(() => c.states.at(-1)?.state === 'paused', [c.ev, 'state']);
      const count = cam.requests.length;
      const heldBefore = cam.held();
      await clock.tickAsync(20_000);
      // The simulator may still answer the aborted pull before it sees the reset; no request came.
      assert.equal(cam.held(), heldBefore, 'no pull while paused');
      assert.ok(cam.requests.slice(count).every((r) => r.operation === 'PullMessages' && r.status === 200), cam.log().join(' '));
      assert.equal(cam.device.onvifServer!.subscriptionCount(), 1, 'the subscription is left to the camera');
      assert.ok(!cam.log().includes('Unsubscribe:200'));

      const held = cam.held();
      c.ev.resume();
      await heldBeyond(cam, held);
      assert.deepEqual(
        cam.log().slice(count).filter((entry, i) => !(i === 0 && entry === 'PullMessages:200')),
        ['Renew:200', 'SetSynchronizationPoint:200', 'PullMessages:200', 'PullMessages:held'],
      );
      assert.deepEqual(
        c.states.map((s) => s.state),
        ['subscribing', 'live', 'paused', 'subscribing', 'live'],
      );
      cam.device.detect({ type: 'pet' });
      await eventually(() => c.changes().length === 1, [c.ev, 'notification']);
      assert.deepEqual(c.changes(), ['pet:true']);
    });

    it('resume() after the subscription lapsed: subscribes anew at once, without a back-off', async () => {
      const cam = await camera();
      const clock = fakeTimers();
      const c = client(cam);
      c.ev.start();
      await heldBeyond(cam, 0);
      c.ev.pause();
      await clock.tickAsync(61_000);
      const count = cam.requests.length;
      const held = cam.held();
      c.ev.resume();
      await heldBeyond(cam, held);
      const port = cam.device.onvifPort!;
      assert.deepEqual(
        cam.requests.slice(count).map((r) => `${r.operation} ${r.path} ${r.status}`),
        ['CreatePullPointSubscription /onvif/service 200', `SetSynchronizationPoint /event-1_${port} 200`, `PullMessages /event-1_${port} 200`, `PullMessages /event-1_${port} held`],
      );
      assert.ok(!c.states.some((s) => s.state === 'retrying'));
    });
  });
});

/** A scripted ONVIF camera: answers each operation from `script`, holds pulls until released. */
class ScriptedCamera extends EventEmitter {
  readonly server = http.createServer((req, res) => this.handle(req, res));
  /** Requests in order: operation, path, headers. */
  readonly requests: { operation: string; path: string; headers: http.IncomingHttpHeaders }[] = [];
  /** Most requests open at once. */
  maxOpen = 0;
  private open = 0;
  private readonly holds: (() => void)[] = [];

  constructor(private readonly script: (operation: string, path: string) => { status: number; body: string } | 'hold') {
    super();
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const release of this.holds.splice(0)) release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.open += 1;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    res.on('close', () => {
      this.open -= 1;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const operation = /<s:Body><(?:\w+:)?(\w+)/.exec(text)?.[1] ?? '';
      this.requests.push({ operation, path: req.url ?? '', headers: req.headers });
      const reply = this.script(operation, req.url ?? '');
      this.emit('request');
      if (reply === 'hold') {
        this.holds.push(() => res.end());
        return;
      }
      res.writeHead(reply.status, reply.body === '' ? {} : { 'content-type': 'application/soap+xml; charset=utf-8' });
      res.end(reply.body);
    });
  }
}

const SOAP = (body: string): string =>
  '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa5="http://www.w3.org/2005/08/addressing" ' +
  'xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2">' +
  `<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;

describe('ONVIF events client against a scripted camera', function () {
  this.timeout(10_000);
  const servers: ScriptedCamera[] = [];
  const clients: OnvifEvents[] = [];
  let clock: sinon.SinonFakeTimers | undefined;

  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function serve(script: ConstructorParameters<typeof ScriptedCamera>[0]): Promise<{ camera: ScriptedCamera; port: number }> {
    const camera = new ScriptedCamera(script);
    servers.push(camera);
    return { camera, port: await camera.listen() };
  }

  function start(port: number): { ev: OnvifEvents; states: OnvifStateReport[] } {
    const ev = new OnvifEvents({ host: '127.0.0.1', port, ...ACCOUNT });
    clients.push(ev);
    const states: OnvifStateReport[] = [];
    ev.on('state', (s) => states.push(s));
    ev.start();
    return { ev, states };
  }

  it('takes the events XAddr and the subscription address verbatim (other ports, other paths); Connection: close; one request at a time', async () => {
    const events = await serve((operation, path) => {
      if (operation === 'CreatePullPointSubscription' && path === '/elsewhere/events') {
        return {
          status: 200,
          body: SOAP(
            `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa5:Address>http://127.0.0.1:${subscriptionPort}/sub/7</wsa5:Address></tev:SubscriptionReference></tev:CreatePullPointSubscriptionResponse>`,
          ),
        };
      }
      return { status: 500, body: '' };
    });
    const subscriptions = await serve((operation) => {
      if (operation === 'SetSynchronizationPoint') return { status: 500, body: SOAP('<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Receiver</SOAP-ENV:Value></SOAP-ENV:Code></SOAP-ENV:Fault>') };
      if (operation === 'PullMessages') return 'hold';
      if (operation === 'Unsubscribe') return { status: 200, body: SOAP('<wsnt:UnsubscribeResponse/>') };
      return { status: 500, body: '' };
    });
    const subscriptionPort = subscriptions.port;
    const device = await serve((operation, path) =>
      operation === 'GetCapabilities' && path === '/onvif/device_service'
        ? { status: 200, body: SOAP(`<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Events><tt:XAddr>http://127.0.0.1:${events.port}/elsewhere/events</tt:XAddr></tt:Events></tds:Capabilities></tds:GetCapabilitiesResponse>`) }
        : { status: 500, body: '' },
    );
    const { ev, states } = start(device.port);
    await eventually(() => subscriptions.camera.requests.some((r) => r.operation === 'PullMessages'), [subscriptions.camera, 'request']);
    assert.deepEqual(
      states.map((s) => s.state),
      ['subscribing', 'live'],
      'a failed SetSynchronizationPoint is ignored',
    );
    await ev.stop();
    const all = [device, events, subscriptions].flatMap((s) => s.camera.requests);
    assert.deepEqual(
      all.map((r) => `${r.operation} ${r.path}`),
      ['GetCapabilities /onvif/device_service', 'CreatePullPointSubscription /elsewhere/events', 'SetSynchronizationPoint /sub/7', 'PullMessages /sub/7', 'Unsubscribe /sub/7'],
    );
    for (const r of all) {
      assert.equal(r.headers.connection, 'close');
      assert.equal(r.headers['content-type'], 'application/soap+xml; charset=utf-8');
      assert.match(String(r.headers['content-length']), /^\d+$/);
    }
    assert.equal(subscriptions.camera.maxOpen, 1, 'the Unsubscribe went out after the held pull was aborted');
  });

  it('a camera that keeps failing: back-off 5, 10, 20, 40, 60, 60 s …, the events service asked again each time', async () => {
    const { camera, port } = await serve((operation) =>
      operation === 'GetCapabilities'
        ? { status: 200, body: SOAP(`<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Events><tt:XAddr>http://127.0.0.1:${port}/onvif/service</tt:XAddr></tt:Events></tds:Capabilities></tds:GetCapabilitiesResponse>`) }
        : { status: 500, body: SOAP('<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Receiver</SOAP-ENV:Value></SOAP-ENV:Code><SOAP-ENV:Reason><SOAP-ENV:Text>busy</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>') },
    );
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { ev, states } = start(port);
    const waits = (): number[] => states.filter((s) => s.state === 'retrying').map((s) => s.retryInSeconds ?? 0);
    for (let attempt = 1; attempt <= 8; attempt++) {
      await eventually(() => waits().length === attempt, [ev, 'state']);
      await clock.tickAsync(waits()[attempt - 1]! * 1000);
    }
    await eventually(() => waits().length === 9, [ev, 'state']);
    assert.deepEqual(waits(), [5, 10, 20, 40, 60, 60, 60, 60, 60]);
    assert.equal(states.at(-1)!.error!.message, 'the camera answered ONVIF CreatePullPointSubscription with a fault (SOAP-ENV:Receiver: busy)');
    assert.deepEqual(
      camera.requests.map((r) => r.operation),
      Array.from({ length: 9 }, () => ['GetCapabilities', 'CreatePullPointSubscription']).flat(),
    );
  });

  it('a pull never answered: Timeout after its Timeout + 4 s, back-off, then the same subscription is pulled again', async () => {
    const { camera, port } = await serve((operation) => {
      switch (operation) {
        case 'GetCapabilities':
          return { status: 200, body: SOAP(`<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Events><tt:XAddr>http://127.0.0.1:${port}/onvif/service</tt:XAddr></tt:Events></tds:Capabilities></tds:GetCapabilitiesResponse>`) };
        case 'CreatePullPointSubscription':
          return {
            status: 200,
            body: SOAP(`<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference><wsa5:Address>http://127.0.0.1:${port}/sub/1</wsa5:Address></tev:SubscriptionReference></tev:CreatePullPointSubscriptionResponse>`),
          };
        case 'SetSynchronizationPoint':
          return { status: 200, body: SOAP('<tev:SetSynchronizationPointResponse/>') };
        case 'PullMessages':
          return 'hold';
        default:
          return { status: 200, body: SOAP('<wsnt:UnsubscribeResponse/>') };
      }
    });
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { ev, states } = start(port);
    const pulls = (): number => camera.requests.filter((r) => r.operation === 'PullMessages').length;
    await eventually(() => pulls() === 1, [camera, 'request']);
    await clock.tickAsync(8_999);
    assert.equal(states.at(-1)!.state, 'live');
    await clock.tickAsync(1);
    await eventually(() => states.at(-1)!.state === 'retrying', [ev, 'state']);
    assert.deepEqual([states.at(-1)!.error!.kind, states.at(-1)!.retryInSeconds], ['Timeout', 5]);
    await clock.tickAsync(5_000);
    await eventually(() => pulls() === 2, [camera, 'request']);
    assert.deepEqual(
      camera.requests.map((r) => `${r.operation} ${r.path}`),
      ['GetCapabilities /onvif/device_service', 'CreatePullPointSubscription /onvif/service', 'SetSynchronizationPoint /sub/1', 'PullMessages /sub/1', 'PullMessages /sub/1'],
    );
    assert.equal(camera.maxOpen, 1);
  });

  it('HTTP 401 without a body: unauthorized after one request', async () => {
    const { camera, port } = await serve(() => ({ status: 401, body: '' }));
    const { ev, states } = start(port);
    await eventually(() => states.some((s) => s.state === 'unauthorized'), [ev, 'state']);
    assert.equal(states.at(-1)!.error!.kind, 'Authentication');
    assert.equal(camera.requests.length, 1);
  });

  it('no device service (HTTP 404) or no events XAddr: unreachable, kind Unsupported', async () => {
    const missing = await serve(() => ({ status: 404, body: '' }));
    const a = start(missing.port);
    await eventually(() => a.states.some((s) => s.state === 'unreachable'), [a.ev, 'state']);
    assert.equal(a.states.at(-1)!.error!.reason, 'onvifNoDeviceService');

    const noEvents = await serve(() => ({
      status: 200,
      body: SOAP('<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>http://127.0.0.1/onvif/service</tt:XAddr></tt:Device></tds:Capabilities></tds:GetCapabilitiesResponse>'),
    }));
    const b = start(noEvents.port);
    await eventually(() => b.states.some((s) => s.state === 'unreachable'), [b.ev, 'state']);
    assert.equal(b.states.at(-1)!.error!.kind, 'Unsupported');
    assert.equal(b.states.at(-1)!.error!.reason, 'onvifNoEventsService');
    assert.equal(noEvents.camera.requests.length, 1);
  });
});
