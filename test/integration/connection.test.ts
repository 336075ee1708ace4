/**
 * DeviceConnection against the simulator over 127.0.0.1: scheme detection, single-flight login,
 * re-login on expiry, lost replies, bad passwords, lockout and clean close. Assertions read the
 * simulator's own counters and state, not what the client says it did.
 */
import { strict as assert } from 'node:assert';
import { probeDevice } from '../../src/connection';
import type { ConnectionStateEvent } from '../../src/connection';
import { Plug } from '../../src/devices/plug';
import { THIRD_PARTY_HINT } from '../../src/protocol/errors';
import type { JsonObject, SchemeName } from '../../src/protocol/types';
import type { StartDeviceOptions } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { rejection } from '../helpers';
import { PASSWORD, PLUG_USER, useSimulatedDevices } from './sim-harness';


/** Lets pending I/O callbacks run (socket close events), up to `turns` event-loop turns, until `done()`. */
async function settle(done: () => boolean, turns = 500): Promise<void> {
  for (let i = 0; i < turns && !done(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function countResources(type: string): number {
  return process.getActiveResourcesInfo().filter((t) => t === type).length;
}

describe('DeviceConnection against the simulator', function () {
  this.timeout(20_000);
  const { device, connect } = useSimulatedDevices();

  const detection: [string, SchemeName][] = [
    ['P110(UK)_1.0_1.3.0', 'klap'],
    ['P100(US)_1.0.0_1.1.3', 'passthrough'],
    ['C210(EU)_2.0_1.4.3', 'camera-secure'],
    ['C101(US)_5.0_1.4.3', 'tpap'],
  ];
  for (const [fixture, scheme] of detection) {
    it(`auto-detects ${scheme} on ${fixture} and caches it`, async () => {
      const d = await device({ fixture });
      assert.equal(d.scheme, scheme);
      const c = connect(d);
      const states: ConnectionStateEvent[] = [];
      c.on('state', (e: ConnectionStateEvent) => states.push(e));
      const req: JsonObject = d.family === 'camera' ? { method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } } : { method: 'get_device_info' };
      const first = await c.request(req, { idempotent: true });
      assert.equal(first['error_code'], 0);
      await c.request(req, { idempotent: true });
      assert.equal(c.scheme, scheme);
      assert.equal(d.server.loginCount, 1);
      assert.equal(c.state, 'connected');
      assert.deepEqual(
        states.map((s) => s.state),
        ['connecting', 'connected'],
      );
      assert.equal(states[1]?.scheme, scheme);
    });
  }

  it('auto-detects a P110 on TPAP firmware (KLAP handshake1 answers 403) and caches tpap', async () => {
    const d = await device({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'tpap' });
    const c = connect(d);
    const states: ConnectionStateEvent[] = [];
    c.on('state', (e: ConnectionStateEvent) => states.push(e));
    const plug = new Plug(c);
    await plug.turnOn();
    assert.equal((d.logic as PlugLogic).state.on, true);
    assert.equal(c.scheme, 'tpap');
    assert.equal(c.state, 'connected');
    assert.deepEqual(
      states.map((s) => s.state),
      ['connecting', 'connected'],
    );
    await plug.turnOff();
    assert.equal((d.logic as PlugLogic).state.on, false);
    assert.equal(d.server.loginCount, 1);
    assert.equal(c.stats.logins, 2, 'one KLAP attempt (403), one TPAP login');
  });

  it('a KLAP plug with Third-Party Compatibility off still reports the 403 with the Third-Party hint', async () => {
    const d = await device({ fixture: 'P110(UK)_1.0_1.3.0' });
    d.faults.thirdPartyOff = true;
    const c = connect(d);
    const err = await rejection(c.request({ method: 'get_device_info' }, { idempotent: true }));
    assert.equal(err.kind, 'Authentication');
    assert.equal(err.httpStatus, 403);
    assert.equal(err.hint, THIRD_PARTY_HINT);
    assert.equal(c.state, 'error');
    assert.equal(c.lastError, err);
    assert.equal(c.stats.logins, 2, 'one KLAP handshake and one TPAP discover, no more');
    assert.equal(d.server.loginCount, 0);
  });

  it('a wrong password on a passthrough plug costs one login however many requests follow within the hold-off', async () => {
    const d = await device({ fixture: 'P100(US)_1.0.0_1.1.3' });
    let clockMs = 0;
    const c = connect(d, { credentials: { username: PLUG_USER, password: 'not-the-password' }, now: () => clockMs });
    const first = await rejection(c.request({ method: 'get_device_info' }, { idempotent: true }));
    assert.equal(first.kind, 'Authentication');
    const perLogin = d.httpRequestCount;
    for (let i = 0; i < 4; i++) {
      const err = await rejection(c.request({ method: 'get_device_info' }, { idempotent: true }));
      assert.equal(err.cause, first, 'the same rejection, repeated without a login');
      assert.equal(err.kind, 'Authentication');
      assert.match(err.message, /no new login for 5 s/);
    }
    assert.equal(d.httpRequestCount, perLogin, 'no traffic inside the hold-off');
    assert.equal(c.stats.logins, 2, 'one login: the KLAP probe (404) and passthrough (v1 then v2 inside it)');
    clockMs += 5_000;
    await rejection(c.request({ method: 'get_device_info' }, { idempotent: true }));
    assert.ok(d.httpRequestCount > perLogin, 'one fresh attempt after the hold-off');
    assert.ok(d.httpRequestCount <= 2 * perLogin);
    assert.equal(c.stats.logins, 4, 'exactly one more login (probe and passthrough)');
    assert.equal(d.server.loginCount, 0);
  });

  it('probeDevice identifies a plug and closes its connection', async () => {
    const d = await device({ fixture: 'P110(UK)_1.0_1.3.0' });
    const result = await probeDevice({ host: `127.0.0.1:${d.port}`, kind: 'plug', credentials: { username: PLUG_USER, password: PASSWORD } });
    assert.equal(result.scheme, 'klap');
    assert.equal(result.model, 'P110');
    assert.equal(result.deviceType, 'SMART.TAPOPLUG');
    assert.equal(d.server.loginCount, 1);
  });

  it('20 concurrent reads cost one login on the device', async () => {
    const d = await device({ fixture: 'P110(UK)_1.0_1.3.0' });
    const c = connect(d);
    const before = d.requestCount;
    const replies = await Promise.all(Array.from({ length: 20 }, () => c.request({ method: 'get_device_info' }, { idempotent: true })));
    assert.ok(replies.every((r) => r['error_code'] === 0));
    assert.equal(d.server.loginCount, 1);
    assert.equal(d.requestCount - before, 20);
    assert.equal(c.stats.logins, 1);
  });

  it('20 concurrent reads on a secure camera cost one login', async () => {
    const d = await device({ fixture: 'C210(EU)_2.0_1.4.3' });
    const c = connect(d);
    const req = { method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } };
    await Promise.all(Array.from({ length: 20 }, () => c.request(req, { idempotent: true })));
    assert.equal(d.server.loginCount, 1);
  });

  it('logs in once more and replays after the device expires the session', async () => {
    const d = await device({ fixture: 'P110(UK)_1.0_1.3.0' });
    const c = connect(d);
    const plug = new Plug(c);
    await plug.turnOff();
    assert.equal(d.server.loginCount, 1);
    d.expireSessions();
    assert.equal(d.server.sessionCount(), 0);
    await plug.turnOn();
    assert.equal(d.server.loginCount, 2);
    assert.equal((d.logic as PlugLogic).state.on, true);
  });

  it('a toggle whose reply is lost after the device switched is applied exactly once', async () => {
    const d = await device({ fixture: 'P110(UK)_1.0_1.3.0' });
    const c = connect(d);
    const plug = new Plug(c);
    await plug.turnOff();
    const seen: boolean[] = [];
    const logic = d.logic as PlugLogic;
    d.on('request', () => seen.push(logic.state.on));
    // The device carries out the set, then the reply never arrives (the socket is destroyed).
    d.faults.loseReplyTo = { set_device_info: 1 };
    const now = await plug.toggle();
    assert.equal(now.on, true);
    assert.equal(logic.state.on, true, 'switched on once, not flipped back by a replay');
    // get, the set whose reply was lost, and the replay of that absolute set.
    assert.deepEqual(seen, [false, false, true], 'the replayed set found the relay already on');
    assert.equal(d.faults.loseReplyTo['set_device_info'], 0);
    assert.equal(d.server.loginCount, 1);
  });

  it('does not replay a non-idempotent request whose reply was lost', async () => {
    const d = await device({ fixture: 'P110(UK)_1.0_1.3.0' });
    const c = connect(d);
    await c.request({ method: 'get_device_info' }, { idempotent: true });
    const httpBefore = d.httpRequestCount;
    d.faults.loseReplyTo = { add_countdown_rule: 1 };
    const rule = { delay: 60, desired_states: { on: true }, enable: true, remain: 60 };
    const err = await rejection(c.request({ method: 'add_countdown_rule', params: rule }));
    assert.equal(err.kind, 'Transport');
    assert.equal(err.sent, true);
    assert.equal(d.httpRequestCount - httpBefore, 1, 'sent exactly once');
    assert.ok((d.logic as PlugLogic).state.countdown, 'the device did add the rule');
    const reply = await c.request({ method: 'get_device_info' }, { idempotent: true });
    assert.equal(reply['error_code'], 0);
    assert.equal(c.state, 'connected');
  });

  // The secure login lets the client check the camera's device_confirm before it sends a digest,
  // so a wrong password is caught without a failed login on the camera; the legacy MD5 login
  // sends the hash, so the camera counts the failure.
  const wrongPassword: [string, StartDeviceOptions, number][] = [
    ['secure', { fixture: 'C210(EU)_2.0_1.4.3' }, 0],
    ['legacy', { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-legacy' }, 1],
  ];
  for (const [label, options, failures] of wrongPassword) {
    it(`a wrong password on a ${label} camera costs at most one failed login however many requests follow`, async () => {
      const d = await device(options);
      const c = connect(d, { credentials: { username: 'admin', password: 'not-the-password' } });
      const req = { method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } };
      const errors = await Promise.all(Array.from({ length: 5 }, () => rejection(c.request(req, { idempotent: true }))));
      for (let i = 0; i < 5; i++) errors.push(await rejection(c.request(req, { idempotent: true })));
      assert.ok(
        errors.every((e) => e.kind === 'Authentication'),
        errors.map((e) => e.kind).join(),
      );
      assert.ok(errors.every((e) => !e.message.includes('not-the-password') && !(e.hint ?? '').includes('not-the-password')));
      assert.equal(d.guard.failures, failures);
      assert.equal(d.guard.lockedSecondsLeft(), 0);
      assert.equal(d.server.loginCount, 0);
      assert.equal(c.stats.logins, failures === 0 ? 1 : 2, 'one login: secure probe (+ the suggested legacy scheme)');
      assert.equal(c.state, 'error');
      assert.equal(c.lastError?.kind, 'Authentication');
    });
  }

  it('stops logging in while the camera is locked, until the lock has passed', async () => {
    const d = await device({ fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-legacy', lockoutThreshold: 1, lockoutSeconds: 600 });
    let clockMs = 0;
    const c = connect(d, { credentials: { username: 'admin', password: 'wrong' }, authHoldOffMs: 0, now: () => clockMs });
    const req = { method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } };
    const first = await rejection(c.request(req));
    assert.equal(first.kind, 'Authentication');
    const second = await rejection(c.request(req));
    assert.equal(second.kind, 'Locked');
    assert.ok((second.secondsLeft ?? 0) > 0 && (second.secondsLeft ?? 0) <= 600);
    assert.equal(c.state, 'locked');
    const httpBefore = d.httpRequestCount;
    clockMs += 100_000;
    for (let i = 0; i < 5; i++) {
      const err = await rejection(c.request(req));
      assert.equal(err.kind, 'Locked');
      assert.ok((err.secondsLeft ?? 0) <= (second.secondsLeft ?? 0) - 100);
    }
    assert.equal(d.httpRequestCount, httpBefore, 'nothing reached the device while locked');
    clockMs += 600_000;
    await rejection(c.request(req));
    assert.ok(d.httpRequestCount > httpBefore, 'one new attempt once the lock has passed');
  });

  it('close() releases every socket and timer it opened', async () => {
    const d = await device({ fixture: 'P110(UK)_1.0_1.3.0' });
    const sockets = countResources('TCPSocketWrap');
    const timers = countResources('Timeout');
    const c = connect(d);
    await Promise.all(Array.from({ length: 3 }, () => c.request({ method: 'get_device_info' }, { idempotent: true })));
    assert.ok(countResources('TCPSocketWrap') > sockets, 'a keep-alive socket was open');
    await c.close();
    await settle(() => countResources('TCPSocketWrap') === sockets && countResources('Timeout') === timers);
    assert.equal(countResources('TCPSocketWrap'), sockets);
    assert.equal(countResources('Timeout'), timers);
    const err = await rejection(c.request({ method: 'get_device_info' }));
    assert.equal(err.message, 'connection closed');
    assert.equal(c.state, 'closed');
  });

  it('close() rejects a request the device never answers', async () => {
    const d = await device({ fixture: 'P110(UK)_1.0_1.3.0' });
    const c = connect(d, { timeoutMs: 15_000 });
    await c.request({ method: 'get_device_info' }, { idempotent: true });
    const before = d.httpRequestCount;
    d.faults.hang = true;
    const pending = rejection(c.request({ method: 'get_device_info' }, { idempotent: true }));
    await settle(() => d.httpRequestCount > before);
    await c.close();
    const err = await pending;
    assert.equal(err.kind, 'Transport');
    assert.equal(err.message, 'connection closed');
  });
});
