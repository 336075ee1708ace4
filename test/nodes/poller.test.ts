/**
 * The energy node's poller, on sinon fake timers: one reading per period, a pause after
 * Authentication or Locked errors until resumed, and nothing reported after stop.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { TapoError } from '../../src/protocol/errors';
import { Poller } from '../../src/nodes/tapo-plug-energy';
import type { PollerHooks } from '../../src/nodes/tapo-plug-energy';
import type { NodeMessage } from '../../src/nodes/types';

interface Spies {
  read: sinon.SinonStub<[], Promise<NodeMessage>>;
  deliver: sinon.SinonStub<[NodeMessage], void>;
  failed: sinon.SinonStub<[unknown, NodeMessage], void>;
  paused: sinon.SinonStub<[unknown], void>;
  internal: sinon.SinonStub<[unknown], void>;
}

function hooks(): Spies & PollerHooks {
  return {
    read: sinon.stub<[], Promise<NodeMessage>>().resolves({ payload: 1 }),
    deliver: sinon.stub<[NodeMessage], void>(),
    failed: sinon.stub<[unknown, NodeMessage], void>(),
    paused: sinon.stub<[unknown], void>(),
    internal: sinon.stub<[unknown], void>(),
  };
}

describe('nodes: energy poller', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  });
  afterEach(() => clock.restore());

  it('reads once per period and delivers each reading', async () => {
    const h = hooks();
    const poller = new Poller(1000, h);
    poller.start();
    await clock.tickAsync(999);
    assert.equal(h.read.callCount, 0);
    await clock.tickAsync(1);
    assert.equal(h.read.callCount, 1);
    await clock.tickAsync(2000);
    assert.equal(h.read.callCount, 3);
    assert.equal(h.deliver.callCount, 3);
    assert.deepEqual(h.deliver.firstCall.args[0], { payload: 1 });
    poller.stop();
    assert.equal(clock.countTimers(), 0);
  });

  for (const kind of ['Authentication', 'Locked'] as const) {
    it(`pauses after ${kind}: no timer, no reading until resumed`, async () => {
      const h = hooks();
      h.read.rejects(new TapoError(kind, 'unexpected', { params: { detail: 'refused' } }));
      const poller = new Poller(1000, h);
      poller.start();
      await clock.tickAsync(1000);
      assert.equal(h.read.callCount, 1);
      assert.equal(poller.paused, true);
      assert.equal(h.failed.callCount, 1);
      assert.equal(h.paused.callCount, 1);
      assert.equal(clock.countTimers(), 0);
      await clock.tickAsync(60_000);
      assert.equal(h.read.callCount, 1);

      h.read.resolves({ payload: 2 });
      poller.resume();
      assert.equal(poller.paused, false);
      await clock.tickAsync(1000);
      assert.equal(h.read.callCount, 2);
      assert.deepEqual(h.deliver.firstCall.args[0], { payload: 2 });
      poller.stop();
    });
  }

  it('keeps polling after other errors (Transport, Timeout)', async () => {
    const h = hooks();
    h.read.onFirstCall().rejects(new TapoError('Transport', 'unexpected', { params: { detail: 'unreachable' } }));
    h.read.onSecondCall().rejects(new TapoError('Timeout', 'unexpected', { params: { detail: 'no answer' } }));
    const poller = new Poller(1000, h);
    poller.start();
    await clock.tickAsync(3000);
    assert.equal(h.read.callCount, 3);
    assert.equal(h.failed.callCount, 2);
    assert.equal(h.paused.callCount, 0);
    assert.equal(h.deliver.callCount, 1);
    poller.stop();
  });

  it('a throwing deliver is reported as a failure, not an unhandled rejection', async () => {
    const h = hooks();
    const boom = new Error('send failed');
    h.deliver.throws(boom);
    const poller = new Poller(1000, h);
    poller.start();
    await clock.tickAsync(1000);
    assert.equal(h.failed.callCount, 1);
    assert.equal(h.failed.firstCall.args[0], boom);
    assert.equal(poller.paused, false);
    poller.stop();
  });

  it('skips a tick while a reading is in flight and reports nothing after stop', async () => {
    const h = hooks();
    let release: (msg: NodeMessage) => void = () => undefined;
    h.read.callsFake(() => new Promise<NodeMessage>((resolve) => (release = resolve)));
    const poller = new Poller(1000, h);
    poller.start();
    await clock.tickAsync(3000);
    assert.equal(h.read.callCount, 1);
    poller.stop();
    release({ payload: 'late' });
    await clock.tickAsync(0);
    assert.equal(h.deliver.callCount, 0);
    assert.equal(h.failed.callCount, 0);
    assert.equal(clock.countTimers(), 0);
  });

  it('resume() does nothing unless paused, start() nothing after stop()', async () => {
    const h = hooks();
    const poller = new Poller(1000, h);
    poller.resume();
    assert.equal(clock.countTimers(), 0);
    poller.start();
    poller.start();
    assert.equal(clock.countTimers(), 1);
    poller.stop();
    poller.start();
    assert.equal(clock.countTimers(), 0);
  });
});
