import assert from 'node:assert/strict';
import { TapoError, errorFromCode } from '../../src/protocol/errors';
import {
  errorStatus,
  isPlainObject,
  redact,
  stateStatus,
  toNodeError,
} from '../../src/nodes/shared';
import type { Translate } from '../../src/nodes/shared';
import { energyRequest } from '../../src/nodes/tapo-plug-energy';
import { socketOf } from '../../src/nodes/tapo-plug-control';
import { configuredActions } from '../../src/nodes/tapo-camera-do';
import { schemeOption, timeoutMs } from '../../src/nodes/tapo-device';

/** A translator that shows the key and its substitutions, so tests see which key was chosen. */
const t: Translate = (key, subs) => (subs ? `${key}${JSON.stringify(subs)}` : key);

describe('nodes/shared', () => {
  it('maps each connection state to a status', () => {
    assert.deepEqual(stateStatus(t, 'idle'), { fill: 'grey', shape: 'ring', text: 'tapo-device.status.idle' });
    assert.equal(stateStatus(t, 'connecting').fill, 'yellow');
    assert.deepEqual(stateStatus(t, 'connected', 'klap'), {
      fill: 'green',
      shape: 'dot',
      text: 'tapo-device.status.connectedVia{"scheme":"klap"}',
    });
    const locked = stateStatus(t, 'locked', undefined, errorFromCode('camera', -40404, 'login', 1200));
    assert.deepEqual(locked, { fill: 'red', shape: 'dot', text: 'tapo-device.errors.LockedFor{"seconds":1200}' });
    assert.equal(stateStatus(t, 'error').fill, 'red');
  });

  it('chooses the status text by error kind', () => {
    assert.equal(errorStatus(t, new TapoError('Authentication', 'x')).text, 'tapo-device.errors.Authentication');
    assert.equal(errorStatus(t, errorFromCode('smart', -1901)).text, 'tapo-device.errors.DeviceCode{"code":-1901}');
    assert.equal(errorStatus(t, new Error('bug')).text, 'tapo-device.errors.Internal');
  });

  it('builds the done() error with kind, code and a plain cause, without secrets', () => {
    const source = new TapoError('Transport', 'POST http://h/stok=abc(def.ghi/ds failed with password hunter22', {
      code: 1002,
      hint: 'Check the host.',
    });
    const err = toNodeError(t, source, ['hunter22']);
    assert.equal(err.kind, 'Transport');
    assert.equal(err.code, 1002);
    assert.deepEqual(err.cause, { kind: 'Transport', code: 1002, hint: 'Check the host.' });
    assert.ok(!err.message.includes('hunter22'), err.message);
    assert.ok(!err.message.includes('abc(def'), err.message);
    assert.match(err.message, /^tapo-device\.errors\.Transport: /);
    assert.match(err.message, /Check the host\./);
  });

  it('redacts JSON-style secrets and cookies', () => {
    const out = redact('{"password":"p4ss","token":"tok"} TP_SESSIONID=ABC;TIMEOUT=86400');
    assert.ok(!/p4ss|tok"|ABC/.test(out), out);
  });

  it('recognises plain objects only', () => {
    assert.equal(isPlainObject({ a: 1 }), true);
    assert.equal(isPlainObject([]), false);
    assert.equal(isPlainObject(Buffer.from('x')), false);
    assert.equal(isPlainObject(null), false);
    assert.equal(isPlainObject(new Date()), false);
  });
});

describe('nodes: config and payload helpers', () => {
  it('reads timeouts in seconds and schemes', () => {
    assert.equal(timeoutMs('2.5'), 2500);
    assert.equal(timeoutMs(''), undefined);
    assert.equal(timeoutMs(-1), undefined);
    assert.equal(schemeOption('klap-v1'), 'klap-v1');
    assert.equal(schemeOption('nonsense'), 'auto');
  });

  it('energy: a non-object payload triggers the configured mode', () => {
    assert.deepEqual(energyRequest(1700000000000, 'summary', t), { mode: 'summary' });
    assert.deepEqual(energyRequest(undefined, 'daily', t), { mode: 'daily' });
  });

  it('energy: an object payload selects mode and range, and bad values are Input errors', () => {
    const r = energyRequest({ interval: 'hourly', start: '2024-01-02T00:00:00Z' }, 'summary', t);
    assert.equal(r.mode, 'hourly');
    assert.equal(r.start?.toISOString(), '2024-01-02T00:00:00.000Z');
    for (const bad of [{ mode: 'weekly' }, { start: 'not a date' }, { end: 0 }, { start: 10, end: 5 }]) {
      assert.throws(() => energyRequest(bad, 'summary', t), (e: unknown) => e instanceof TapoError && e.kind === 'Input');
    }
  });

  it('plug socket: msg.socket wins, bad types are Input errors', () => {
    assert.equal(socketOf(2, '1', t), 2);
    assert.equal(socketOf(undefined, ' 1 ', t), '1');
    assert.equal(socketOf(undefined, '', t), undefined);
    assert.throws(() => socketOf({ x: 1 }, '', t), (e: unknown) => e instanceof TapoError && e.kind === 'Input');
    assert.throws(() => socketOf(-1, '', t), (e: unknown) => e instanceof TapoError && e.kind === 'Input');
  });

  it('camera do: configured JSON is parsed once, invalid JSON is an Input error', () => {
    assert.equal(configuredActions('', t), undefined);
    const actions = configuredActions('{"privacyMode": true}', t);
    assert.deepEqual(actions, [{ type: 'privacyMode', enabled: true }]);
    assert.throws(() => configuredActions('{oops', t), (e: unknown) => e instanceof TapoError && e.kind === 'Input');
  });
});
