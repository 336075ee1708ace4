/**
 * Power strips (P300) against the simulator on 127.0.0.1: the strip itself has no relay, its
 * sockets do (methods-plug.md §9). Identification, Test connection and the hub's identify work on
 * the strip; switching the strip without a socket is refused before any switching request reaches
 * the device; a socket name shared by several sockets is refused. Assertions are on what the
 * simulated strip received and on its sockets' state.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import sinon from 'sinon';
import { DeviceConnection, probeDevice } from '../../src/connection';
import type { ConnectionOptions } from '../../src/connection';
import { Strip, addressed, identify, openSmart } from '../../src/devices';
import { TapoError } from '../../src/protocol/errors';
import type { JsonObject } from '../../src/protocol/types';
import { TapoDevice } from '../../src/connection/device';
import { testConnection } from '../../src/nodes/tapo-device';
import type { Translate } from '../../src/nodes/shared';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';

const FIXTURE = 'P300(EU)_1.0_1.0.15';
const PASSWORD = 'tapo-sim';
const USER = 'user@example.com';
const clock = { now: (): number => Date.UTC(2024, 5, 15, 12, 0, 0) };
const t: Translate = (key) => key;

/** The sockets as the simulator holds them, in position order: [position, id, on]. */
function sockets(sim: SimulatedDevice): [number, string, boolean][] {
  const children = (sim.logic as PlugLogic).state.children ?? [];
  return children.map((c): [number, string, boolean] => [c.position, c.deviceId, c.on]).sort((a, b) => a[0] - b[0]);
}

/**
 * Records the methods that reach the simulated strip, unwrapping `control_child` to
 * `child:<method>`, so a test can say which requests the device saw.
 */
function recordMethods(sim: SimulatedDevice): { methods: string[]; restore: () => void } {
  const logic = sim.logic as PlugLogic;
  const spy = sinon.spy(logic, 'handle');
  return {
    get methods(): string[] {
      return spy.getCalls().map((call) => {
        const req = call.args[0] as JsonObject;
        const params = req.params as JsonObject | undefined;
        const inner = params?.requestData as JsonObject | undefined;
        if (req.method === 'multipleRequest') {
          const subs = (params?.requests as JsonObject[] | undefined) ?? [];
          return subs.map((sub) => String(sub.method)).join('+');
        }
        return req.method === 'control_child' ? `child:${String(inner?.method)}` : String(req.method);
      }).flatMap((m) => m.split('+'));
    },
    restore: () => spy.restore(),
  };
}

/** Sets a socket's name the way the Tapo app does (base64 nickname via control_child). */
function rename(sim: SimulatedDevice, deviceId: string, name: string): void {
  const reply = (sim.logic as PlugLogic).handle({
    method: 'control_child',
    params: { device_id: deviceId, requestData: { method: 'set_device_info', params: { nickname: Buffer.from(name).toString('base64') } } },
  });
  assert.equal(reply.error_code, 0);
}

/** Opens the simulated strip through its connection, as the device owner does. */
async function openStrip(connection: DeviceConnection): Promise<Strip> {
  const device = await openSmart(connection);
  assert.ok(device instanceof Strip, 'the P300 opens as a Strip');
  return device;
}

async function rejection(p: Promise<unknown>): Promise<TapoError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TapoError, String(e));
    return e;
  }
  assert.fail('expected a rejection');
}

describe('power strip (P300) against the simulator', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice;
  let options: ConnectionOptions;
  let connection: DeviceConnection;
  let record: { methods: string[]; restore: () => void } | undefined;

  beforeEach(async () => {
    sim = await startDevice({ fixture: FIXTURE, clock, password: PASSWORD });
    options = { host: `127.0.0.1:${sim.port}`, kind: 'plug', credentials: { username: USER, password: PASSWORD }, timeoutMs: 5000 };
    connection = new DeviceConnection(options);
  });

  afterEach(async () => {
    record?.restore();
    record = undefined;
    await connection.close();
    await sim.stop();
  });

  describe('identification', () => {
    it('identify and probeDevice report the strip and its sockets (position, id, name, state)', async () => {
      // The simulator names a P300's sockets after their positions (the capture had them scrubbed).
      const expected = sockets(sim).map(([position, deviceId, on]) => ({ position, deviceId, nickname: `Socket ${position}`, on }));
      const identity = await identify(connection, 'plug');
      assert.equal(identity.model, 'P300');
      assert.deepEqual(identity.sockets, expected);
      const probe = await probeDevice(options);
      assert.equal(probe.model, 'P300');
      assert.equal(probe.scheme, 'klap');
      assert.deepEqual(probe.sockets, expected);
    });

    it('Test connection (one-off and through the live hub) succeeds on a strip', async () => {
      const oneOff = await testConnection(options, t);
      assert.equal(oneOff.ok, true, oneOff.message);
      assert.equal(oneOff.model, 'P300');
      const hub = new TapoDevice(options);
      try {
        const live = await testConnection(options, t, hub);
        assert.equal(live.ok, true, live.message);
        assert.equal(live.model, 'P300');
        assert.deepEqual((await hub.identify()).sockets?.map((s) => s.position), [1, 2, 3]);
      } finally {
        await hub.end();
      }
    });

    it('getInfo on the strip lists the sockets; on means at least one socket is on', async () => {
      const strip = await openStrip(connection);
      const first = sockets(sim)[0]!;
      await (await strip.socket(1)).turnOff();
      const info = await strip.getInfo();
      assert.equal(info.model, 'P300');
      assert.deepEqual(
        info.sockets?.map((s) => [s.position, s.deviceId, s.on]),
        sockets(sim),
      );
      assert.equal(info.on, sockets(sim).some(([, , on]) => on));
      assert.equal(info.sockets?.[0]?.deviceId, first[1]);
      assert.equal(info.sockets?.[0]?.on, false);
      assert.equal(info.hasEnergy, false);
    });
  });

  describe('switching the strip itself', () => {
    it('switching the strip is refused with the socket positions; no set_device_info reaches the strip', async () => {
      const before = sockets(sim);
      record = recordMethods(sim);
      const strip = await openStrip(connection);
      const err = await rejection(addressed(strip, undefined, true, { notStrip: 'notStripNode', stripHint: 'cliStripSocket' }));
      assert.equal(err.kind, 'Input');
      assert.equal(err.sent, false);
      assert.equal(err.reason, 'stripChooseSocket');
      assert.match(err.message, /this is a power strip: choose a socket \(1, 2, 3 or its name\)/i);
      assert.equal(err.hintKey, 'cliStripSocket');
      assert.equal(err.hint, 'Add --socket with its position (e.g. --socket 1), its device id or its name.');
      // Once the sockets are known, the refusal asks nothing again and sends nothing.
      const seen = record.methods.length;
      for (let i = 0; i < 3; i++) {
        assert.equal((await rejection(addressed(strip, undefined, true, { notStrip: 'notStripNode' }))).kind, 'Input');
      }
      assert.equal(record.methods.length, seen);
      assert.ok(!record.methods.some((m) => /^(set_|add_|remove_)/.test(m)), record.methods.join(' '));
      assert.deepEqual(sockets(sim), before);
    });

    it('the strip is learnt once per connection: opening it again costs no request', async () => {
      record = recordMethods(sim);
      const facts = {};
      assert.ok((await openSmart(connection, { facts })) instanceof Strip);
      const afterFirst = record.methods.length;
      assert.ok((await openSmart(connection, { facts })) instanceof Strip);
      assert.equal(record.methods.length, afterFirst);
    });

    it('a toggle on a freshly opened device recognises the strip and sends no set', async () => {
      const before = sockets(sim);
      record = recordMethods(sim);
      const err = await rejection(openSmart(connection).then((device) => addressed(device, undefined, true, { notStrip: 'notStripNode' })));
      assert.equal(err.kind, 'Input');
      assert.match(err.message, /power strip/);
      assert.ok(!record.methods.includes('set_device_info'), record.methods.join(' '));
      assert.deepEqual(sockets(sim), before);
    });
  });

  describe('choosing a socket', () => {
    it('a name shared by several sockets is refused, listing their positions; nothing is switched', async () => {
      for (const [, deviceId] of sockets(sim)) rename(sim, deviceId, 'Lamp');
      const before = sockets(sim);
      record = recordMethods(sim);
      const err = await rejection(openStrip(connection).then((strip) => strip.socket('Lamp')));
      assert.equal(err.kind, 'Input');
      assert.equal(err.sent, false);
      assert.match(err.message, /^3 sockets are named "Lamp" \(positions 1, 2, 3\): use the position 1–3/);
      assert.ok(record.methods.every((m) => m.startsWith('get_') || m === 'component_nego'), record.methods.join(' '));
      assert.deepEqual(sockets(sim), before);
    });

    it('two sockets sharing a name are listed; a unique name switches only its socket', async () => {
      const [one, two, three] = sockets(sim);
      rename(sim, one![1], 'Lamp');
      rename(sim, two![1], 'Lamp');
      rename(sim, three![1], 'Kettle');
      const strip = await openStrip(connection);
      const err = await rejection(strip.socket('Lamp'));
      assert.match(err.message, /^2 sockets are named "Lamp" \(positions 1, 2\): use the position 1–3/);
      await (await strip.socket('Kettle')).turnOff();
      assert.deepEqual(sockets(sim), [one, two, [3, three![1], false]]);
    });
  });
});

// ---- the tapo-plug-control node ---------------------------------------------------------------

interface FlowNode {
  id: string;
  type: string;
  [key: string]: unknown;
}
interface HelperNode extends EventEmitter {
  receive(msg: Record<string, unknown>): void;
}
interface TestHelper {
  init(runtimePath: string): void;
  load(nodes: unknown[], flow: FlowNode[], credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): HelperNode;
}
type Msg = Record<string, unknown> & { payload?: unknown; error?: { message: string; cause?: { kind?: string; reason?: string } } };

const helper = require('node-red-node-test-helper') as TestHelper;
helper.init(require.resolve('node-red'));
const root = path.resolve(__dirname, '../..');
const nodeModules = ['tapo-device', 'tapo-plug-control'].map((type) => require(path.join(root, 'nodes', `${type}.js`)) as unknown);

function next(node: HelperNode): Promise<Msg> {
  return new Promise((resolve) => node.once('input', (msg: Msg) => resolve(msg)));
}

function stripFlow(port: number, action: string, socket = ''): FlowNode[] {
  return [
    { id: 'tab', type: 'tab', label: 'strip' },
    { id: 'dev', type: 'tapo-device', name: 'Strip', host: `127.0.0.1:${port}`, kind: 'plug', scheme: 'auto', timeout: 5 },
    { id: 'act', z: 'tab', type: 'tapo-plug-control', name: '', device: 'dev', action, socket, wires: [['out']] },
    { id: 'out', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

describe('tapo-plug-control on a power strip (flows; needs dist/)', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice;
  let record: { methods: string[]; restore: () => void } | undefined;

  beforeEach(async () => {
    sim = await startDevice({ fixture: FIXTURE, clock, password: PASSWORD });
  });

  afterEach(async () => {
    record?.restore();
    record = undefined;
    await helper.unload();
    await sim.stop();
  });

  it('switching without a socket is refused (Input, "set Socket…") before any set; then msg.socket works', async () => {
    const before = sockets(sim);
    record = recordMethods(sim);
    await helper.load(nodeModules, stripFlow(sim.port, 'off'), { dev: { username: USER, password: PASSWORD } });
    const caught = next(helper.getNode('caught'));
    helper.getNode('act').receive({ payload: 'x' });
    const err = (await caught).error!;
    assert.equal(err.cause?.kind, 'Input');
    // The helper's translator echoes keys (the English text, with the positions, is checked on the
    // devices layer above): the strip's reason, and the node's own hint.
    assert.equal(err.cause?.reason, 'stripChooseSocket');
    assert.match(err.message, /reasons\.stripChooseSocket\b/);
    assert.match(err.message, /hints\.stripHintNode\b/);
    assert.ok(!record.methods.some((m) => m.includes('set_')), record.methods.join(' '));
    assert.deepEqual(sockets(sim), before);

    // The same node with msg.socket switches that socket only; the strip is not asked again.
    const asked = record.methods.filter((m) => m === 'component_nego').length;
    const out = next(helper.getNode('out'));
    helper.getNode('act').receive({ socket: 2 });
    const msg = await out;
    assert.deepEqual(
      sockets(sim).map(([position, , on]) => [position, on]),
      [
        [1, before[0]![2]],
        [2, false],
        [3, before[2]![2]],
      ],
    );
    assert.equal((msg.payload as { deviceId: string }).deviceId, before[1]![1]);
    assert.equal(record.methods.filter((m) => m === 'component_nego').length, asked);
  });

  it('status on the strip itself answers its sockets', async () => {
    await helper.load(nodeModules, stripFlow(sim.port, 'status'), { dev: { username: USER, password: PASSWORD } });
    const out = next(helper.getNode('out'));
    helper.getNode('act').receive({});
    const payload = (await out).payload as { model: string; sockets?: { position: number; deviceId: string; on: boolean }[] };
    assert.equal(payload.model, 'P300');
    assert.deepEqual(
      payload.sockets?.map((s) => [s.position, s.deviceId, s.on]),
      sockets(sim),
    );
  });

  it('a socket name shared by several sockets reaches Catch as Input; nothing is switched', async () => {
    for (const [, deviceId] of sockets(sim)) rename(sim, deviceId, 'Lamp');
    const before = sockets(sim);
    await helper.load(nodeModules, stripFlow(sim.port, 'toggle', 'Lamp'), { dev: { username: USER, password: PASSWORD } });
    const caught = next(helper.getNode('caught'));
    helper.getNode('act').receive({});
    const err = (await caught).error!;
    assert.equal(err.cause?.kind, 'Input');
    // The helper's translator echoes keys; the English text is checked on the devices layer above.
    assert.equal(err.cause?.reason, 'socketNameShared');
    assert.match(err.message, /hints\.renameSockets\b/);
    assert.deepEqual(sockets(sim), before);
  });
});
