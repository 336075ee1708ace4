/**
 * Every simulator fault, and what the client does about it. Each test switches a fault on a real
 * simulated device over 127.0.0.1 and asserts on the client's error kind and on the simulator's own
 * state and counters (what really reached or changed the device).
 */
import { strict as assert } from 'node:assert';
import { Camera } from '../../src/devices/camera';
import { Plug } from '../../src/devices/plug';
import { ManualClock } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { THIRD_PARTY_HINT } from '../../src/protocol/errors';
import { rejection } from '../helpers';
import { PASSWORD, useSimulatedDevices } from './sim-harness';

const P110 = 'P110(UK)_1.0_1.3.0';
const P100_OLD = 'P100(US)_1.0.0_1.1.3';
const C210 = 'C210(EU)_2.0_1.4.3';

describe('simulator faults and what the client does about them', function () {
  this.timeout(20_000);
  const { device, connect } = useSimulatedDevices({ timeoutMs: 3_000 });

  it('firmware migrated from passthrough to KLAP in place: the next request finds KLAP and switches', async () => {
    const d = await device({ fixture: P100_OLD, scheme: 'passthrough' });
    const c = connect(d);
    const plug = new Plug(c);
    await plug.turnOff();
    assert.equal(c.scheme, 'passthrough');
    d.migrate('klap');
    await plug.turnOn();
    assert.equal(c.scheme, 'klap');
    assert.equal((d.logic as PlugLogic).state.on, true);
  });

  it('HTTP 500 on a camera command (session replaced): logs in again once and the command is carried out', async () => {
    const d = await device({ fixture: C210 });
    const c = connect(d);
    const camera = new Camera(c);
    const initially = (await camera.read(['privacyMode'])).privacyMode;
    const logins = d.server.loginCount;
    // A 500 for the next request only: the fault is switched off once that request reached the device.
    d.faults.http500 = true;
    d.once('request', () => setImmediate(() => (d.faults.http500 = false)));
    await camera.setPrivacyMode(!initially);
    assert.equal((d.logic as CameraLogic).state.privacyMode, !initially);
    assert.equal(d.server.loginCount, logins + 1);
  });

  for (const c of [
    { fixture: C210, scheme: 'camera-secure' as const },
    { fixture: 'C101(US)_5.0_1.4.3', scheme: 'tpap' as const },
  ]) {
    it(`${c.scheme} camera: -40401 for the whole envelope inside the encrypted reply is a dead session: one login, then the command is carried out`, async () => {
      const d = await device({ fixture: c.fixture, scheme: c.scheme });
      const conn = connect(d);
      const camera = new Camera(conn);
      const initially = (await camera.read(['privacyMode'])).privacyMode;
      const logins = d.server.loginCount;
      // The next request only gets {"error_code":-40401}, encrypted like any reply.
      d.faults.methodErrors['multipleRequest'] = -40401;
      d.once('request', () => setImmediate(() => delete d.faults.methodErrors['multipleRequest']));
      await camera.setPrivacyMode(!initially);
      assert.equal((d.logic as CameraLogic).state.privacyMode, !initially);
      assert.equal(d.server.loginCount, logins + 1);
    });
  }

  const CAMERA_SCHEMES = [
    { fixture: C210, scheme: 'camera-secure' as const },
    { fixture: C210, scheme: 'camera-legacy' as const },
    { fixture: 'C101(US)_5.0_1.4.3', scheme: 'tpap' as const },
  ];

  for (const c of CAMERA_SCHEMES) {
    for (const token of ['../x/../y', 'a/b?c#d%e f']) {
      it(`${c.scheme} camera whose login hands out the token ${JSON.stringify(token)}: it stays one path segment, every command is carried out on that session`, async () => {
        const d = await device({ fixture: c.fixture, scheme: c.scheme });
        d.faults.loginStok = token;
        const paths: string[] = [];
        d.on('request', (req: { path: string }) => paths.push(req.path));
        const camera = new Camera(connect(d, { scheme: c.scheme }));
        const initially = (await camera.read(['privacyMode'])).privacyMode;
        await camera.setPrivacyMode(!initially);
        assert.equal((d.logic as CameraLogic).state.privacyMode, !initially);
        assert.equal((await camera.read(['privacyMode'])).privacyMode, !initially);
        assert.equal(d.server.loginCount, 1, 'one login, the session kept');
        const sessionPaths = paths.filter((p) => p !== '/');
        assert.ok(sessionPaths.length >= 3, paths.join(' '));
        // The literal encoded path, never the one a URL parser makes of the raw token.
        for (const p of sessionPaths) assert.equal(p, `/stok=${encodeURIComponent(token)}/ds`);
      });
    }

    for (const status of [403, 404]) {
      it(`${c.scheme} camera: a command refused with HTTP ${status} drops the session; one new login, then the command is carried out`, async () => {
        const d = await device({ fixture: c.fixture, scheme: c.scheme });
        const conn = connect(d, { scheme: c.scheme });
        const camera = new Camera(conn);
        const initially = (await camera.read(['privacyMode'])).privacyMode;
        const logins = d.server.loginCount;
        d.faults.refuseRequests = { status, count: 1 };
        await camera.setPrivacyMode(!initially);
        assert.equal(d.faults.refuseRequests.count, 0, 'the refusal was used');
        assert.equal((d.logic as CameraLogic).state.privacyMode, !initially);
        assert.equal(d.server.loginCount, logins + 1);
        assert.equal(conn.state, 'connected');
      });
    }

    it(`${c.scheme} camera: every command refused with HTTP 404: SessionExpired after one re-login, no loop`, async () => {
      const d = await device({ fixture: c.fixture, scheme: c.scheme });
      const conn = connect(d, { scheme: c.scheme });
      const camera = new Camera(conn);
      const initially = (await camera.read(['privacyMode'])).privacyMode;
      const logins = d.server.loginCount;
      d.faults.refuseRequests = { status: 404, count: 100 };
      const err = await rejection(camera.setPrivacyMode(!initially));
      assert.equal(err.kind, 'SessionExpired');
      assert.equal(err.sent, false);
      assert.equal(d.faults.refuseRequests.count, 98, 'the command and its one replay');
      assert.equal(d.server.loginCount, logins + 1);
      assert.equal((d.logic as CameraLogic).state.privacyMode, initially);
    });
  }

  it('-40401 inside every encrypted camera reply: SessionExpired after one re-login, no loop', async () => {
    const d = await device({ fixture: C210, scheme: 'camera-secure' });
    const conn = connect(d);
    const camera = new Camera(conn);
    const initially = (await camera.read(['privacyMode'])).privacyMode;
    const logins = d.server.loginCount;
    d.faults.methodErrors['multipleRequest'] = -40401;
    const err = await rejection(camera.setPrivacyMode(!initially));
    assert.equal(err.kind, 'SessionExpired');
    assert.equal(d.server.loginCount, logins + 1);
    assert.equal((d.logic as CameraLogic).state.privacyMode, initially);
  });

  it('HTTP 500 on every request: a clear error, no login loop', async () => {
    const d = await device({ fixture: C210 });
    const c = connect(d);
    const initially = (d.logic as CameraLogic).state.privacyMode;
    await new Camera(c).read(['privacyMode']);
    d.faults.http500 = true;
    const before = d.httpRequestCount;
    const err = await rejection(new Camera(c).setPrivacyMode(!initially));
    assert.ok(['SessionExpired', 'Transport', 'Authentication', 'Unsupported'].includes(err.kind), err.kind);
    assert.ok(d.httpRequestCount - before <= 4, `requests after the fault: ${d.httpRequestCount - before}`);
    assert.equal((d.logic as CameraLogic).state.privacyMode, initially);
  });

  it('a slow device within the timeout answers; beyond it the request times out and nothing hangs', async () => {
    const d = await device({ fixture: P110 });
    const c = connect(d, { timeoutMs: 500 });
    const plug = new Plug(c);
    await plug.getInfo();
    d.faults.delayMs = 100;
    assert.equal(typeof (await plug.getInfo()).on, 'boolean');
    d.faults.delayMs = 2_000;
    const err = await rejection(plug.getInfo());
    assert.equal(err.kind, 'Timeout');
    d.faults.delayMs = 0;
    assert.equal(typeof (await plug.getInfo()).on, 'boolean');
  });

  it('a forced error code for a method reaches the caller with its kind and code, and the session stays up', async () => {
    const d = await device({ fixture: P110 });
    const c = connect(d);
    const plug = new Plug(c);
    await plug.getInfo();
    d.faults.methodErrors = { set_device_info: -1301 };
    const err = await rejection(plug.turnOn());
    assert.equal(err.kind, 'RateLimited');
    assert.equal(err.code, -1301);
    assert.equal((d.logic as PlugLogic).state.on, false);
    d.faults.methodErrors = { get_device_info: -1008 };
    const bad = await rejection(plug.getInfo());
    assert.equal(bad.kind, 'Input');
    assert.equal(bad.code, -1008);
    assert.equal(c.state, 'connected');
    assert.equal(d.server.loginCount, 1);
  });

  it('a code forced for login_device on a passthrough plug reaches the caller; nothing is logged in or carried out', async () => {
    const d = await device({ fixture: P100_OLD, scheme: 'passthrough' });
    d.faults.methodErrors = { login_device: -1501 };
    const c = connect(d, { scheme: 'passthrough' });
    const err = await rejection(new Plug(c).turnOn());
    assert.equal(err.kind, 'Authentication');
    assert.equal(err.code, -1501);
    assert.equal(d.server.loginCount, 0);
    assert.equal(d.requestCount, 0);
    assert.equal((d.logic as PlugLogic).state.on, true, 'the P100 fixture is on and stays so untouched');
  });

  it('a code forced for the camera login reaches the caller as that code; the lockout counter is untouched', async () => {
    const d = await device({ fixture: C210 });
    d.faults.methodErrors = { login: -40404 };
    const c = connect(d, { scheme: 'camera-secure' });
    const err = await rejection(new Camera(c).read(['privacyMode']));
    assert.equal(err.kind, 'Locked');
    assert.equal(err.code, -40404);
    assert.equal(d.server.loginCount, 0);
    assert.equal(d.guard.failures, 0);
    assert.equal(d.requestCount, 0);
  });

  for (const username of ['admin', 'user@example.com']) {
    it(`camera with Third-Party Compatibility off, user ${username}: Authentication with the Third-Party hint, no failed login counted`, async () => {
      const d = await device({ fixture: C210 });
      d.faults.thirdPartyOff = true;
      const c = connect(d, { scheme: 'camera-secure', credentials: { username, password: PASSWORD } });
      const err = await rejection(new Camera(c).read(['privacyMode']));
      assert.equal(err.kind, 'Authentication');
      assert.equal(err.code, -40411);
      assert.equal(err.hint, THIRD_PARTY_HINT);
      assert.equal(d.server.loginCount, 0);
      assert.equal(d.guard.failures, 0);
    });
  }

  it('a plug on TPAP throttles logins for 30 s after five wrong passwords, on the device clock', async () => {
    const clock = new ManualClock();
    const d = await device({ fixture: P110, scheme: 'tpap', clock });
    const attempt = async (password: string): Promise<unknown> => {
      const c = connect(d, { scheme: 'tpap', credentials: { username: 'user@example.com', password }, authHoldOffMs: 0 });
      return c.request({ method: 'get_device_info' }, { idempotent: true });
    };
    for (let i = 0; i < 5; i++) assert.equal((await rejection(attempt('not-the-password'))).kind, 'Authentication');
    assert.equal(d.guard.failures, 5);
    assert.equal(d.guard.lockedSecondsLeft(), 30);
    assert.equal((await rejection(attempt(PASSWORD))).code, -40404);
    assert.equal(d.server.loginCount, 0);
    clock.advance(30_000);
    assert.equal(d.guard.lockedSecondsLeft(), 0);
    await attempt(PASSWORD);
    assert.equal(d.server.loginCount, 1);
  });

  it('a camera method error inside a batch is reported with the camera code', async () => {
    const d = await device({ fixture: C210 });
    const c = connect(d);
    d.faults.methodErrors = { getLensMaskConfig: -64324 };
    const err = await rejection(new Camera(c).read(['led', 'privacyMode']));
    assert.equal(err.code, -64324);
    assert.equal(err.kind, 'Device');
  });

  it('the P100 batch bug (-1003 for any multipleRequest) does not stop single requests', async () => {
    const d = await device({ fixture: P100_OLD, scheme: 'passthrough' });
    d.faults.batchBug = true;
    const c = connect(d);
    const batch = await c.request({ method: 'multipleRequest', params: { requests: [{ method: 'get_device_info' }] } });
    assert.equal(batch['error_code'], -1003);
    const plug = new Plug(c);
    await plug.turnOn();
    assert.equal((d.logic as PlugLogic).state.on, true);
  });

  it('a device that closes the connection after every response (P100) still answers every request', async () => {
    const d = await device({ fixture: P100_OLD, scheme: 'passthrough' });
    d.faults.closeAfterResponse = true;
    const c = connect(d);
    const plug = new Plug(c);
    for (let i = 0; i < 6; i++) await plug.toggle();
    assert.equal((d.logic as PlugLogic).state.on, (await plug.getInfo()).on);
    assert.equal(d.server.loginCount, 1);
  });

  for (const c of [
    { fixture: P110, scheme: 'klap' as const },
    { fixture: P100_OLD, scheme: 'passthrough' as const },
    { fixture: P110, scheme: 'tpap' as const },
    { fixture: C210, scheme: 'camera-secure' as const },
    { fixture: C210, scheme: 'camera-legacy' as const },
    { fixture: 'C101(US)_5.0_1.4.3', scheme: 'tpap' as const },
  ]) {
    it(`${c.fixture} on ${c.scheme}, closing the socket after every reply without saying so: one login, every command carried out once`, async () => {
      const d = await device({ fixture: c.fixture, scheme: c.scheme });
      d.faults.closeSilently = true;
      const conn = connect(d, { scheme: c.scheme });
      let acted = 0;
      if (d.family === 'camera') {
        const camera = new Camera(conn);
        const logic = d.logic as CameraLogic;
        for (const on of [true, false, true, false, true]) {
          await camera.setPrivacyMode(on);
          assert.equal(logic.state.privacyMode, on);
          acted++;
        }
      } else {
        const plug = new Plug(conn);
        const logic = d.logic as PlugLogic;
        for (const on of [true, false, true, false, true]) {
          await plug.setOn(on);
          assert.equal(logic.state.on, on);
          acted++;
        }
      }
      assert.equal(acted, 5);
      assert.equal(conn.stats.logins, 1);
      // Each command reached the device logic exactly once: nothing that acted was sent twice.
      assert.equal(d.requestCount, 5);
      // The client did send on a socket the device was closing (and then stopped reusing sockets).
      assert.ok(d.droppedUnread >= 1, 'no request met a closing socket');
    });
  }

  it('a dropped connection on a read is replayed once; on a countdown it is reported, not repeated', async () => {
    const d = await device({ fixture: P110 });
    const c = connect(d);
    const plug = new Plug(c);
    await plug.getInfo();
    // Drop exactly the next request before the device acts on it.
    d.faults.dropConnections = true;
    d.once('request', () => setImmediate(() => (d.faults.dropConnections = false)));
    assert.equal(typeof (await plug.getInfo()).on, 'boolean');

    d.faults.dropConnections = true;
    d.once('request', () => setImmediate(() => (d.faults.dropConnections = false)));
    const rule = { delay: 60, desired_states: { on: true }, enable: true, remain: 60 };
    const before = d.httpRequestCount;
    const err = await rejection(c.request({ method: 'add_countdown_rule', params: rule }));
    assert.equal(err.kind, 'Transport');
    assert.equal(d.httpRequestCount - before, 1, 'not sent again');
  });

  it('a KLAP session the device expires after N requests (403) is renewed with one login each time', async () => {
    const d = await device({ fixture: P110 });
    d.faults.expireAfterRequests = 3;
    const c = connect(d);
    const plug = new Plug(c);
    for (let i = 0; i < 7; i++) await plug.getInfo();
    assert.ok(d.server.loginCount >= 3 && d.server.loginCount <= 4, `logins: ${d.server.loginCount}`);
  });

  it('a reboot makes the device unreachable for a few seconds; the client reports it, then reconnects', async () => {
    const clock = new ManualClock();
    const d = await device({ fixture: P110, clock });
    const c = connect(d, { timeoutMs: 1_000 });
    const plug = new Plug(c);
    await plug.turnOn();
    await d.reboot(3);
    const err = await rejection(plug.getInfo());
    assert.ok(['Transport', 'Timeout'].includes(err.kind), err.kind);
    clock.advance(3_100);
    await d.whenUp();
    const info = await plug.getInfo();
    assert.equal(typeof info.on, 'boolean');
    assert.equal(d.server.loginCount >= 1, true);
  });
});
