/**
 * TapoDevice (the one owner of a device a `tapo-device` config node fronts) against a simulated
 * plug on 127.0.0.1: work queued when the owner closes must not open a connection that nobody
 * would close.
 */
import assert from 'node:assert/strict';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import { isTapoError } from '../../src/protocol/errors';
import type { Plug } from '../../src/devices';
import { TapoDevice } from '../../src/connection/device';
import { sameSettings } from '../../src/nodes/tapo-device';

const clock = { now: (): number => Date.UTC(2024, 5, 15, 12, 0, 0) };
const credentials = { username: 'user@example.com', password: 'tapo-sim' };

/** True for the hub's "connection closed" rejection. */
function isClosed(outcome: PromiseSettledResult<unknown>): boolean {
  return (
    outcome.status === 'rejected' &&
    isTapoError(outcome.reason) &&
    outcome.reason.kind === 'Transport' &&
    /connection closed/.test(outcome.reason.message)
  );
}

describe('nodes: TapoDevice (device owner) lifetime', () => {
  let sim: SimulatedDevice;
  let hub: TapoDevice;

  beforeEach(async () => {
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', clock });
    hub = new TapoDevice({ host: `127.0.0.1:${sim.port}`, kind: 'plug', credentials, timeoutMs: 5000 });
  });

  afterEach(async () => {
    await hub.end();
    await sim.stop();
  });

  it('close rejects queued work: no new connection, no device traffic after close', async () => {
    await hub.run(async (verbs) => (await verbs.smart()).getInfo());
    assert.equal(sim.server.loginCount, 1);
    const wasOn = (sim.logic.state as { on: boolean }).on;
    const queued = Promise.allSettled([1, 2, 3].map(() => hub.run(async (verbs) => (await verbs.smart() as Plug).setOn(!wasOn))));
    const closing = hub.close();
    const trafficAtClose = sim.httpRequestCount;
    await closing;
    const outcomes = await queued;
    assert.ok(outcomes.every(isClosed), JSON.stringify(outcomes.map((o) => o.status)));
    assert.equal(hub.connected, false);
    assert.equal(sim.httpRequestCount, trafficAtClose);
    assert.equal(sim.server.loginCount, 1);
    assert.equal((sim.logic.state as { on: boolean }).on, wasOn);
  });

  it('after a close (last user left) new work opens a new connection; after end() nothing does', async () => {
    await hub.run(async (verbs) => (await verbs.smart()).getInfo());
    await hub.close();
    await hub.run(async (verbs) => (await verbs.smart()).getInfo());
    assert.equal(sim.server.loginCount, 2);
    const queued = Promise.allSettled([hub.run(async (verbs) => (await verbs.smart()).getInfo())]);
    await hub.end();
    const [outcome] = await queued;
    assert.ok(outcome && isClosed(outcome));
    const [later] = await Promise.allSettled([hub.run(async () => 'ran')]);
    assert.ok(later && isClosed(later));
    assert.equal(hub.connected, false);
    assert.equal(sim.server.loginCount, 2);
  });

  it('identify() goes through the live session instead of a second login', async () => {
    await hub.run(async (verbs) => (await verbs.smart()).getInfo());
    const found = await hub.identify();
    assert.equal(found.model, 'P110');
    assert.equal(found.scheme, 'klap');
    assert.equal(sim.server.loginCount, 1);
  });

  it('sameSettings compares host, kind, scheme and credentials, not the timeout', () => {
    const base = { host: '10.0.0.2:80', kind: 'plug' as const, scheme: 'auto' as const, credentials };
    assert.equal(sameSettings(base, { ...base, host: ' 10.0.0.2:80 ', timeoutMs: 1 }), true);
    const { scheme: _scheme, ...noScheme } = base;
    assert.equal(sameSettings(base, noScheme), true);
    assert.equal(sameSettings(base, { ...base, host: '10.0.0.3:80' }), false);
    assert.equal(sameSettings(base, { ...base, kind: 'camera' }), false);
    assert.equal(sameSettings(base, { ...base, scheme: 'klap' }), false);
    assert.equal(sameSettings(base, { ...base, credentials: { ...credentials, password: 'other' } }), false);
    assert.equal(sameSettings(base, { ...base, credentials: { ...credentials, username: 'x@example.com' } }), false);
  });
});
