/**
 * One owner for each device, seen from a flow: every message waits in ONE queue with a deadline
 * counted from its arrival, and a login that fails is shared by everything queued behind it.
 *
 * - A device that accepts connections and never answers: 5 messages sent at once all end in a
 *   Timeout within 1.5 x the timeout. The clock is sinon's (setTimeout only; sockets are real):
 *   the test advances it by 1.5 x the timeout and counts the answers, so nothing depends on how
 *   fast the machine is. Before the owner moved into src/connection, a second queue in the node
 *   layer started each message's deadline only when the one before it had failed (answers at
 *   1, 2, 3, 4, 5 x the timeout), and this test saw one answer.
 * - A wrong password with 20 messages at once: one login attempt reaches the device.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import sinon from 'sinon';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import { PASSWORD, PLUG_USER, collect, creds, deviceNode, flow, helper, nodeModules } from './harness';
import type { CaughtError } from './harness';

const clock = { now: (): number => Date.UTC(2024, 5, 15, 12, 0, 0) };

/** A TCP server on 127.0.0.1 that accepts every connection, reads, and never answers. */
async function silentServer(): Promise<{ port: number; connections: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Waits until `predicate` holds, letting real I/O run (bounded: fails after `tries` turns). */
async function until(predicate: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries && !predicate(); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(predicate(), 'condition not reached');
}

describe('nodes: one owner for each device', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice | undefined;
  let silent: Awaited<ReturnType<typeof silentServer>> | undefined;
  let timers: sinon.SinonFakeTimers | undefined;

  afterEach(async () => {
    timers?.restore();
    timers = undefined;
    await helper.unload();
    await sim?.stop();
    sim = undefined;
    await silent?.close();
    silent = undefined;
  });

  for (const kind of ['plug', 'camera'] as const) {
    it(`5 messages at once to a ${kind} that never answers all end in Timeout within 1.5 x the timeout`, async () => {
      silent = await silentServer();
      const timeoutS = 4;
      const action = kind === 'plug' ? { type: 'tapo-plug-control', action: 'status' } : { type: 'tapo-camera-get', names: ['privacyMode'] };
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${silent.port}`, kind, { timeout: timeoutS }), action), creds(kind === 'plug' ? PLUG_USER : 'admin', PASSWORD));
      timers = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const caught = collect(helper.getNode('caught'), 5);
      const act = helper.getNode('act');
      for (let i = 0; i < 5; i++) act.receive({ payload: kind === 'plug' ? 'status' : 'privacyMode', i });
      // The first message's login reaches the silent device; the other four wait behind it.
      await until(() => silent!.connections >= 1);
      await timers.tickAsync(timeoutS * 1000 * 1.5);
      const answered = await Promise.race([caught, new Promise<undefined>((resolve) => setImmediate(() => setImmediate(() => resolve(undefined))))]);
      assert.ok(answered, 'all five messages were answered within 1.5 x the timeout');
      const order = answered.map((m) => m.i);
      assert.deepEqual(order, [0, 1, 2, 3, 4], 'answered in arrival order');
      for (const msg of answered) assert.equal((msg.error as CaughtError).cause?.kind, 'Timeout', JSON.stringify(msg.error));
    });
  }

  it('20 messages at once with a wrong password cost one login attempt; all reach Catch as Authentication', async () => {
    sim = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', clock, password: PASSWORD });
    await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'camera'), { type: 'tapo-camera-get', names: ['privacyMode'] }), creds('admin', 'not-the-password'));
    const caught = collect(helper.getNode('caught'), 20);
    const act = helper.getNode('act');
    for (let i = 0; i < 20; i++) act.receive({ payload: 'privacyMode' });
    const errors = (await caught).map((m) => m.error as CaughtError);
    assert.ok(errors.every((e) => e.cause?.kind === 'Authentication'), JSON.stringify(errors.map((e) => e.cause?.kind)));
    // The secure login finds a wrong password on the client side from the camera's first answer: one request.
    assert.equal(sim.httpRequestCount, 1, 'one login attempt for twenty messages');
    assert.equal(sim.server.loginCount, 0);
  });

  it('20 messages at once to a plug with a wrong password: one handshake, no login retried', async () => {
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', clock, password: PASSWORD });
    await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { type: 'tapo-plug-control', action: 'status' }), creds(PLUG_USER, 'not-the-password'));
    const caught = collect(helper.getNode('caught'), 20);
    const act = helper.getNode('act');
    for (let i = 0; i < 20; i++) act.receive({ payload: 'status' });
    const errors = (await caught).map((m) => m.error as CaughtError);
    assert.ok(errors.every((e) => e.cause?.kind === 'Authentication'), JSON.stringify(errors.map((e) => e.cause?.kind)));
    // KLAP checks the password on the client side after handshake1: one handshake1 is the whole attempt.
    assert.equal(sim.httpRequestCount, 1);
    assert.equal(sim.server.loginCount, 0);
  });
});
