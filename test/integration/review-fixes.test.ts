/**
 * Fixes for defects found by reviewers, each reproduced against the simulator on 127.0.0.1:
 * scheme re-detection after a firmware/setting change, rate limits inside `multipleRequest`,
 * the wording of a connection lost after sending, TPAP hints for SMART devices, the camera's
 * plain -1, and the hints for a device that does not speak TPAP or a camera method it lacks.
 * Assertions read the simulator's own state and counters.
 */
import { strict as assert } from 'node:assert';
import { Camera } from '../../src/devices/camera';
import { Plug, addressed, openSmart } from '../../src/devices/plug';
import { errorFromCode } from '../../src/protocol/errors';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { rejection } from '../helpers';
import { PASSWORD, useSimulatedDevices } from './sim-harness';

const P110 = 'P110(UK)_1.0_1.3.0';
const C101_TPAP = 'C101(US)_5.0_1.4.3';
const C210 = 'C210(EU)_2.0_1.4.3';

describe('review fixes (simulator on 127.0.0.1)', function () {
  this.timeout(20_000);
  const { device, connect } = useSimulatedDevices();

  describe('1. a cached scheme the device no longer speaks is detected again', () => {
    it('TPAP plug back on KLAP (Third-Party Compatibility turned on again): the next request works on KLAP', async () => {
      const d = await device({ fixture: P110, scheme: 'tpap' });
      const c = connect(d);
      const plug = new Plug(c);
      await plug.turnOff();
      assert.equal(c.scheme, 'tpap');
      d.migrate('klap');
      const before = c.stats.logins;
      await plug.turnOn();
      assert.equal(c.scheme, 'klap');
      assert.equal((d.logic as PlugLogic).state.on, true);
      assert.equal(d.server.loginCount, 1, 'one KLAP handshake on the migrated device');
      assert.ok(c.stats.logins - before <= 3, `logins after the change: ${c.stats.logins - before}`);
      // And it stays there: no more logins for later requests.
      const settled = c.stats.logins;
      await plug.turnOff();
      await plug.getInfo();
      assert.equal(c.stats.logins, settled);
      assert.equal((d.logic as PlugLogic).state.on, false);
    });

    it('TPAP camera back on the secure login: the next command works on camera-secure', async () => {
      const d = await device({ fixture: C101_TPAP, scheme: 'tpap' });
      const c = connect(d);
      const camera = new Camera(c);
      await camera.setPrivacyMode(false);
      assert.equal(c.scheme, 'tpap');
      d.migrate('camera-secure');
      const before = c.stats.logins;
      await camera.setPrivacyMode(true);
      assert.equal(c.scheme, 'camera-secure');
      assert.equal((d.logic as CameraLogic).state.privacyMode, true);
      assert.equal(d.server.loginCount, 1);
      assert.ok(c.stats.logins - before <= 3, `logins after the change: ${c.stats.logins - before}`);
      const settled = c.stats.logins;
      await camera.read(['privacyMode']);
      assert.equal(c.stats.logins, settled);
    });

    it('the reverse still works: a KLAP plug moved to TPAP', async () => {
      const d = await device({ fixture: P110, scheme: 'klap' });
      const c = connect(d);
      const plug = new Plug(c);
      await plug.turnOff();
      assert.equal(c.scheme, 'klap');
      d.migrate('tpap');
      await plug.turnOn();
      assert.equal(c.scheme, 'tpap');
      assert.equal((d.logic as PlugLogic).state.on, true);
      assert.equal(d.server.loginCount, 1);
    });

    it('a network failure keeps the cached scheme (no detection against a device that does not answer)', async () => {
      const d = await device({ fixture: P110, scheme: 'tpap' });
      const clock = { ms: 0 };
      const c = connect(d, { now: () => clock.ms });
      const plug = new Plug(c);
      await plug.turnOff();
      // The session runs out (client clock), so the next request logs in, and the device drops every connection.
      clock.ms += 400 * 24 * 3600_000;
      d.faults.dropConnections = true;
      const before = c.stats.logins;
      const err = await rejection(plug.turnOn());
      assert.equal(err.kind, 'Transport');
      assert.equal(c.stats.logins - before, 1, 'only the cached TPAP login was tried');
      assert.equal(c.scheme, 'tpap');
      d.faults.dropConnections = false;
      const logins = c.stats.logins;
      await plug.turnOn();
      assert.equal(c.stats.logins - logins, 1, 'straight back to TPAP, no KLAP attempt');
      assert.equal((d.logic as PlugLogic).state.on, true);
    });
  });

  describe('2. a rate limit inside a multipleRequest backs off like a top-level one', () => {
    it('a camera read whose getLensMaskConfig entry says -40109 once succeeds on the second try', async () => {
      const d = await device({ fixture: C210, scheme: 'camera-secure' });
      const c = connect(d);
      const camera = new Camera(c);
      await camera.read(['privacyMode']);
      (d.logic as CameraLogic).state.privacyMode = true;
      d.faults.methodErrors['getLensMaskConfig'] = -40109;
      d.once('request', () => setImmediate(() => delete d.faults.methodErrors['getLensMaskConfig']));
      const before = d.requestCount;
      const values = await camera.read(['privacyMode']);
      assert.equal(values.privacyMode, true);
      assert.equal(d.requestCount - before, 2);
    });
  });

  describe('3. a connection lost after the request was sent', () => {
    it('says the device may have acted (the countdown was armed) instead of "cannot reach"', async () => {
      const d = await device({ fixture: P110, scheme: 'klap' });
      const c = connect(d);
      const plug = new Plug(c);
      await plug.turnOff();
      // The removal, the add and the read-back travel in one batch: its reply is the one lost.
      d.faults.loseReplyTo['add_countdown_rule'] = 1;
      const err = await rejection(plug.setOnAfter(true, 600));
      assert.equal(err.kind, 'Transport');
      assert.equal(err.sent, true);
      assert.match(err.message, /lost after the request was sent/);
      assert.match(err.message, /may have acted/);
      assert.doesNotMatch(err.message, /cannot reach/);
      assert.match(err.hint ?? '', /state before repeating/);
      const countdown = (d.logic as PlugLogic).state.countdown;
      assert.ok(countdown !== null, 'the device armed the countdown');
      assert.equal(countdown.desiredOn, true);
    });

    it('keeps the unreachable wording when nothing was sent', async () => {
      const d = await device({ fixture: P110, scheme: 'klap' });
      const c = connect(d, { scheme: 'klap' });
      await d.stop();
      const err = await rejection(new Plug(c).turnOn());
      assert.equal(err.sent, false);
      assert.match(err.message, /cannot reach/);
      assert.match(err.hint ?? '', /host address/);
    });
  });

  describe('4. a wrong e-mail on a TPAP plug', () => {
    it('names the account e-mail (case-sensitive) and password in the hint', async () => {
      const d = await device({ fixture: P110, scheme: 'tpap' });
      const c = connect(d, { scheme: 'tpap', credentials: { username: 'User@example.com', password: PASSWORD } });
      const err = await rejection(new Plug(c).turnOn());
      assert.equal(err.kind, 'Authentication');
      assert.match(err.hint ?? '', /e-mail \(case-sensitive\) and password/);
      assert.doesNotMatch(err.message, /tried the password/);
      assert.equal((d.logic as PlugLogic).state.on, false);
    });

    it('a TPAP camera keeps the camera hint (user admin)', async () => {
      const d = await device({ fixture: C101_TPAP, scheme: 'tpap' });
      const c = connect(d, { scheme: 'tpap', credentials: { username: 'admin', password: 'wrong-password' } });
      const err = await rejection(new Camera(c).setPrivacyMode(true));
      assert.equal(err.kind, 'Authentication');
      assert.match(err.hint ?? '', /admin/);
      assert.doesNotMatch(err.hint ?? '', /e-mail/);
    });
  });

  describe('5. a camera -1 without "Check tapo tag failed" is a generic failure', () => {
    it('maps plain -1 to Device with the code', () => {
      const e = errorFromCode('camera', -1, 'getLensMaskConfig');
      assert.equal(e.kind, 'Device');
      assert.equal(e.code, -1);
      assert.match(e.message, /generic failure/);
    });

    for (const scheme of ['camera-legacy', 'camera-secure'] as const) {
      it(`${scheme}: a method-level -1 fails the read as Device, with no re-login`, async () => {
        const d = await device({ fixture: C210, scheme });
        const c = connect(d);
        const camera = new Camera(c);
        await camera.read(['privacyMode']);
        const logins = d.server.loginCount;
        d.faults.methodErrors['getLensMaskConfig'] = -1;
        const err = await rejection(camera.read(['privacyMode']));
        assert.equal(err.kind, 'Device');
        assert.equal(err.code, -1);
        assert.doesNotMatch(err.message, /signature|tag/i);
        assert.equal(d.server.loginCount, logins);
      });
    }
  });

  describe('6. hints for a scheme or a method the device does not have', () => {
    it('--scheme tpap against a KLAP plug: the device does not answer TPAP, use auto', async () => {
      const d = await device({ fixture: P110, scheme: 'klap' });
      const c = connect(d, { scheme: 'tpap' });
      const err = await rejection(new Plug(c).turnOn());
      assert.equal(err.kind, 'Unsupported');
      assert.match(err.message, /does not answer TPAP/);
      assert.doesNotMatch(err.message, /^the TPAP discover reply is not JSON$/);
      assert.match(err.hint ?? '', /scheme to auto/);
      assert.equal((d.logic as PlugLogic).state.on, false);
    });

    it('-40210 for a camera method says this model may not support the feature', async () => {
      const d = await device({ fixture: C210, scheme: 'camera-secure' });
      const c = connect(d);
      const camera = new Camera(c);
      d.faults.methodErrors['motorMove'] = -40210;
      const before = (d.logic as CameraLogic).state.pan;
      const err = await rejection(camera.move(10, 0));
      assert.equal(err.kind, 'Unsupported');
      assert.equal(err.code, -40210);
      assert.match(err.message, /motorMove/);
      assert.match(err.hint ?? '', /may not support/);
      assert.equal((d.logic as CameraLogic).state.pan, before);
    });
  });

  describe('second review', () => {
    it('a camera connection pointed at a plug (TLS fails) is "cannot reach", sent: false, not "may have acted"', async () => {
      const plug = await device({ fixture: P110, scheme: 'klap' });
      const c = connect(plug, { kind: 'camera', scheme: 'camera-secure', credentials: { username: 'admin', password: PASSWORD } });
      const err = await rejection(c.request({ method: 'getDeviceInfo' }, { idempotent: true }));
      assert.equal(err.kind, 'Transport');
      assert.equal(err.sent, false);
      assert.match(err.message, /^cannot reach 127\.0\.0\.1:\d+/);
      assert.doesNotMatch(err.message, /may have acted/);
    });

    for (const from of ['klap', 'tpap'] as const) {
      it(`a ${from} plug whose session endpoint answers 404 (now passthrough) is found again on the same request`, async () => {
        const d = await device({ fixture: P110, scheme: from });
        const c = connect(d);
        const plug = new Plug(c);
        await plug.setOn(false);
        assert.equal(c.scheme, from);
        d.migrate('passthrough');
        await plug.setOn(true);
        assert.equal((d.logic as PlugLogic).state.on, true);
        assert.equal(c.scheme, 'passthrough');
        assert.equal(c.state, 'connected');
      });
    }

    it('a countdown on a power strip itself is refused before anything is sent, even on a fresh connection', async () => {
      const d = await device({ fixture: 'P300(EU)_1.0_1.0.15' });
      const c = connect(d);
      const seen: string[] = [];
      d.logic.handle = ((original) => (req: Parameters<typeof original>[0]) => {
        if (typeof req.method === 'string') seen.push(req.method);
        return original(req);
      })(d.logic.handle.bind(d.logic));
      const err = await rejection(openSmart(c).then(async (device) => (await addressed(device, undefined, true, { notStrip: 'notStripNode' })).setOnAfter(false, 60)));
      assert.equal(err.kind, 'Input');
      assert.match(err.message, /power strip/);
      assert.ok(!seen.includes('add_countdown_rule') && !seen.includes('remove_countdown_rules'), seen.join(','));
    });
  });
});
