import * as vm from 'node:vm';
import type { DeviceVerbs } from '../../src/connection/device';
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { TapoError, errorFromCode } from '../../src/protocol/errors';
import {
  TapoNodeError,
  errorStatus,
  handleInput,
  isPlainObject,
  redact,
  stateStatus,
  toNodeError,
} from '../../src/nodes/shared';
import type { DeviceConfigNode, Translate } from '../../src/nodes/shared';
import { english } from '../../src/protocol/reasons';
import type { InputHandler, NodeInstance, NodeMessage, NodeStatus } from '../../src/nodes/types';
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
    assert.equal(errorStatus(t, new TapoError('Authentication', 'unexpected', { params: { detail: 'x' } })).text, 'tapo-device.errors.Authentication');
    assert.equal(errorStatus(t, errorFromCode('smart', -1901)).text, 'tapo-device.errors.DeviceCode{"code":-1901}');
    assert.equal(errorStatus(t, new Error('bug')).text, 'tapo-device.errors.Internal');
  });

  it('builds the done() error with kind, code and a plain cause, without secrets', () => {
    const source = new TapoError('Transport', 'unexpected', { params: { detail: 'POST http://h/stok=abc(def.ghi/ds failed with password hunter22' }, 
      code: 1002,
      hint: 'checkPowered',
    });
    // The reason's text through the English table (its detail carries the secrets), the rest as keys.
    const tEnglish: Translate = (key, params) => (key === 'tapo-device.reasons.unexpected' ? english('reasons', 'unexpected', params ?? {}) : key);
    const err = toNodeError(tEnglish, source, ['hunter22']);
    assert.equal(err.kind, 'Transport');
    assert.equal(err.code, 1002);
    assert.deepEqual(err.cause, { kind: 'Transport', code: 1002, hint: 'tapo-device.hints.checkPowered', reason: 'unexpected' });
    assert.ok(!err.message.includes('hunter22'), err.message);
    assert.ok(!err.message.includes('abc(def'), err.message);
    assert.match(err.message, /^tapo-device\.errors\.Transport: /);
    assert.match(err.message, /tapo-device\.hints\.checkPowered/);
  });

  it('redacts JSON-style secrets and cookies', () => {
    const out = redact('{"password":"p4ss","token":"tok"} TP_SESSIONID=ABC;TIMEOUT=86400');
    assert.ok(!/p4ss|tok"|ABC/.test(out), out);
  });

  it('redacts whole JSON string values, spaces, commas and escaped quotes included', () => {
    const out = redact('{"password":"two words, \\"quoted\\" end","user":"bob","stok":"a b"}');
    assert.equal(out, '{"password":"***","user":"bob","stok":"***"}');
    const nested = redact('reply {\\"password\\":\\"two words\\",\\"x\\":1}');
    assert.ok(!/two|words/.test(nested), nested);
    assert.match(nested, /\\"x\\":1/);
    assert.equal(redact('POST /stok=ab cd/ds'), 'POST /stok=*** cd/ds');
    assert.equal(redact('password=hunter2, next'), 'password=***, next');
    assert.equal(redact('token:abc&x=1'), 'token:***&x=1');
  });

  it('leaves prose alone: a field name followed by ": " and words is not a secret', () => {
    for (const text of [
      'wrong user name or password: wrong camera password (device_confirm does not match)',
      'locked: wait, then check password: wrong camera password',
      'Invalid key: privacyMode',
    ]) {
      assert.equal(redact(text), text);
    }
  });

  it('redacts the exact secret values wherever they appear, also JSON-escaped or URL-encoded', () => {
    const secret = 'p "a&s" w/d';
    const text = [
      `plain ${secret} here`,
      `json ${JSON.stringify({ note: secret })}`,
      `url ?q=${encodeURIComponent(secret)}`,
    ].join('\n');
    const out = redact(text, [secret, undefined, '']);
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), 'a&s']) {
      assert.ok(!out.includes(form), `${form} leaked in ${out}`);
    }
    assert.match(out, /^plain \*\*\* here$/m);
  });

  it('recognises plain objects only', () => {
    assert.equal(isPlainObject({ a: 1 }), true);
    assert.equal(isPlainObject([]), false);
    assert.equal(isPlainObject(Buffer.from('x')), false);
    assert.equal(isPlainObject(null), false);
    assert.equal(isPlainObject(new Date()), false);
    assert.equal(isPlainObject(new Map()), false);
    assert.equal(isPlainObject(new (class Thing { a = 1; })()), false);
    assert.equal(isPlainObject(Object.create(null)), true);
    // What a Function node sends: an object made in another vm context.
    assert.equal(isPlainObject(vm.runInNewContext('({ on: true })')), true);
    assert.equal(isPlainObject(vm.runInNewContext('[1]')), false);
    assert.equal(isPlainObject(vm.runInNewContext('new Date()')), false);
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
      assert.throws(() => energyRequest(bad, 'summary', t), (e: unknown) => (e instanceof TapoError || e instanceof TapoNodeError) && e.kind === 'Input');
    }
  });

  it('plug socket: msg.socket wins, bad types are Input errors', () => {
    assert.equal(socketOf(2, '1', t), 2);
    assert.equal(socketOf(undefined, ' 1 ', t), '1');
    assert.equal(socketOf(undefined, '', t), undefined);
    assert.throws(() => socketOf({ x: 1 }, '', t), (e: unknown) => (e instanceof TapoError || e instanceof TapoNodeError) && e.kind === 'Input');
    assert.throws(() => socketOf(-1, '', t), (e: unknown) => (e instanceof TapoError || e instanceof TapoNodeError) && e.kind === 'Input');
  });

  it('camera do: configured JSON is parsed once, invalid JSON is an Input error', () => {
    assert.equal(configuredActions('', t), undefined);
    const actions = configuredActions('{"privacyMode": true}', t);
    assert.deepEqual(actions, [{ type: 'privacyMode', enabled: true }]);
    assert.throws(() => configuredActions('{oops', t), (e: unknown) => (e instanceof TapoError || e instanceof TapoNodeError) && e.kind === 'Input');
  });
});

/** A stand-in for a runtime node: records the input handler, statuses and errors. */
function fakeNode(): NodeInstance & { input: InputHandler | undefined; statuses: NodeStatus[] } {
  const node = {
    id: 'n1',
    type: 'tapo-test',
    input: undefined as InputHandler | undefined,
    statuses: [] as NodeStatus[],
    on(event: string, handler: InputHandler): void {
      if (event === 'input') node.input = handler;
    },
    removeListener: (): void => undefined,
    status(s: NodeStatus): void {
      node.statuses.push(s);
    },
    send: sinon.spy(),
    error: sinon.spy(),
    warn: sinon.spy(),
    log: sinon.spy(),
    debug: sinon.spy(),
  };
  return node as unknown as NodeInstance & { input: InputHandler | undefined; statuses: NodeStatus[] };
}

/** A config node stand-in whose operations run at once. */
function fakeDevice(): DeviceConfigNode {
  const device: Partial<DeviceConfigNode> = {
    kind: 'plug',
    label: 'Desk',
    translate: t,
    run: <T>(op: (verbs: DeviceVerbs) => Promise<T>) => op({} as DeviceVerbs),
    currentStatus: () => ({ fill: 'green', shape: 'dot', text: 'ok' }),
    secrets: () => ['hunter22'],
  };
  return device as DeviceConfigNode;
}

describe('nodes/shared: handleInput', () => {
  let unhandled: unknown[];
  let onFirstUnhandled: ((reason: unknown) => void) | undefined;
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
    onFirstUnhandled?.(reason);
  };
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.removeListener('unhandledRejection', onUnhandled);
  });

  /** Resolves with done's argument, or rejects if a rejection goes unhandled first. */
  function doneOrUnhandled(done: sinon.SinonStub): Promise<unknown> {
    return new Promise((resolve, reject) => {
      done.callsFake((err?: unknown) => resolve(err));
      onFirstUnhandled = (reason) => reject(new Error(`unhandled rejection: ${String(reason)}`));
    });
  }

  it('a throwing send ends in done(err) once, a red status and no unhandled rejection', async () => {
    const node = fakeNode();
    handleInput(node, fakeDevice(), t, async (msg: NodeMessage) => {
      msg.payload = 1;
    });
    const send = sinon.stub().throws(new Error('downstream broke with hunter22'));
    const done = sinon.stub();
    const settled = doneOrUnhandled(done);
    node.input?.({ payload: 0 }, send, done);
    const err = await settled;
    assert.ok(err instanceof TapoNodeError, String(err));
    assert.equal((err as TapoNodeError).kind, 'Internal');
    assert.ok(!(err as TapoNodeError).message.includes('hunter22'));
    await new Promise((r) => setImmediate(r));
    assert.equal(done.callCount, 1);
    assert.equal(send.callCount, 1);
    assert.equal(node.statuses.at(-1)?.fill, 'red');
    assert.deepEqual(unhandled, []);
  });

  it('success sends then calls done() without an error; a failed operation never sends', async () => {
    const node = fakeNode();
    let fail = false;
    handleInput(node, fakeDevice(), t, async (msg: NodeMessage) => {
      if (fail) throw new TapoError('Timeout', 'unexpected', { params: { detail: 'no answer' } });
      msg.payload = 'read';
    });
    const send = sinon.spy();
    let done = sinon.stub();
    let settled = doneOrUnhandled(done);
    node.input?.({ payload: 0 }, send, done);
    assert.equal(await settled, undefined);
    assert.deepEqual(send.firstCall.args[0], { payload: 'read' });

    fail = true;
    done = sinon.stub();
    settled = doneOrUnhandled(done);
    node.input?.({ payload: 0 }, send, done);
    const err = (await settled) as TapoNodeError;
    assert.equal(err.kind, 'Timeout');
    assert.equal(send.callCount, 1);
    assert.deepEqual(unhandled, []);
  });

  it('calls the onMessage hook for every message, before checking it', () => {
    const node = fakeNode();
    const onMessage = sinon.spy();
    handleInput(node, undefined, t, async () => undefined, { onMessage });
    const done = sinon.spy();
    node.input?.({}, sinon.spy(), done);
    assert.equal(onMessage.callCount, 1);
    assert.equal((done.firstCall.args[0] as TapoNodeError).kind, 'Input');
  });
});
