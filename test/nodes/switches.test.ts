/**
 * tapo-plug-control with dimmer switches and tapo-plug-energy with a metered power strip: the real
 * nodes (from dist/: run `npx tsc -p tsconfig.json` first) against simulated devices on 127.0.0.1.
 * Assertions are on the simulator's state and on what reached it.
 */
import assert from 'node:assert/strict';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import { ManualClock } from '../../src/simulator/logic';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { PASSWORD, PLUG_USER, creds, deviceNode, expectRefusedAsInput, flow, helper, next, nodeModules } from './harness';
import type { CaughtError } from './harness';

describe('nodes: switches, dimmers and metered strips', () => {
  let sim: SimulatedDevice | undefined;

  afterEach(async () => {
    await helper.unload();
    if (sim) await sim.stop();
    sim = undefined;
  });

  async function load(fixture: string, node: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<PlugLogic> {
    sim = await startDevice({ fixture, password: PASSWORD, ...extra });
    await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), node), creds(PLUG_USER, PASSWORD));
    return sim.logic as PlugLogic;
  }

  describe('tapo-plug-control with a dimmer (S505D)', () => {
    it('sets the brightness, then on and brightness together, answering the state read back with brightness', async () => {
      const logic = await load('S505D(US)_1.0_1.1.0', { type: 'tapo-plug-control', action: 'payload' });
      const act = helper.getNode('act');
      const out = helper.getNode('out');
      let reply = next(out);
      act.receive({ payload: { brightness: 40 } });
      let payload = (await reply).payload as Record<string, unknown>;
      assert.equal(logic.state.brightness, 40);
      assert.equal(logic.state.on, false);
      assert.equal(payload.brightness, 40);
      assert.equal(payload.on, false);
      assert.equal(payload.model, 'S505D');

      reply = next(out);
      act.receive({ payload: { on: true, brightness: '65' } });
      payload = (await reply).payload as Record<string, unknown>;
      assert.deepEqual([logic.state.on, logic.state.brightness], [true, 65]);
      assert.deepEqual([payload.on, payload.brightness], [true, 65]);

      reply = next(out);
      act.receive({ payload: 'status' });
      payload = (await reply).payload as Record<string, unknown>;
      assert.equal(payload.brightness, 65);
    });

    it('refuses brightness 0, 101, "x", 2.5 and a delay with a brightness as Input errors, sending nothing', async () => {
      const logic = await load('S500D(US)_1.0_1.0.5', { type: 'tapo-plug-control', action: 'payload' });
      const before = logic.state.brightness;
      await expectRefusedAsInput([{ brightness: 0 }, { brightness: 101 }, { brightness: 'x' }, { brightness: 2.5 }, { on: true, brightness: 50, delay: 10 }, { brightness: 50, led: true }]);
      assert.equal(sim!.requestCount, 0);
      assert.equal(logic.state.brightness, before);
    });
  });

  it('tapo-plug-control: a brightness for a plug is refused as Unsupported and nothing is switched', async () => {
    const logic = await load('P110(UK)_1.0_1.3.0', { type: 'tapo-plug-control', action: 'payload' });
    const caught = next(helper.getNode('caught'));
    helper.getNode('act').receive({ payload: { on: true, brightness: 40 } });
    const err = (await caught).error as CaughtError;
    assert.equal(err.cause?.kind, 'Unsupported');
    assert.match(err.message, /noBrightness|does not dim/);
    assert.equal(logic.state.on, false);
  });

  describe('tapo-plug-energy with a P304M', () => {
    const clock = new ManualClock(Date.UTC(2024, 9, 22, 9, 0, 0));

    function switchOn(logic: PlugLogic, positions: number[]): void {
      for (const c of logic.state.children ?? []) {
        if (!positions.includes(c.position)) continue;
        logic.handle({ method: 'control_child', params: { device_id: c.deviceId, requestData: { method: 'set_device_info', params: { device_on: true } } } });
      }
    }

    it('reads the configured socket, and msg.socket over it', async () => {
      const logic = await load('P304M(UK)_1.0_1.0.3', { type: 'tapo-plug-energy', mode: 'summary', poll: 0, socket: '2' }, { clock, socketLoadWatts: [100, 25] });
      switchOn(logic, [1, 2]);
      const act = helper.getNode('act');
      const out = helper.getNode('out');
      let reply = next(out);
      act.receive({ payload: 1 });
      let payload = (await reply).payload as Record<string, unknown>;
      assert.equal(payload.currentPower, 25);
      const second = (logic.state.children ?? []).find((c) => c.position === 2)!;
      assert.equal(payload.todayEnergy, logic.child(second.deviceId)!.state.todayEnergyWh);

      reply = next(out);
      act.receive({ payload: 1, socket: 1 });
      payload = (await reply).payload as Record<string, unknown>;
      assert.equal(payload.currentPower, 100);
    });

    it('socket 9 on a 4-socket strip, a bad msg.socket and the strip as a whole are Input errors; no energy method is sent', async () => {
      const logic = await load('P304M(UK)_1.0_1.0.3', { type: 'tapo-plug-energy', mode: 'summary', poll: 0 }, { clock });
      const methods: string[] = [];
      const handle = logic.handle.bind(logic);
      logic.handle = (req) => {
        const inner = (req.params as { requestData?: { method?: string } } | undefined)?.requestData;
        methods.push(String(inner?.method ?? req.method));
        return handle(req);
      };
      const act = helper.getNode('act');
      for (const [socket, pattern] of [
        [9, /noSuchSocket|No socket/],
        [{ position: 1 }, /badSocket|msg\.socket/],
        [undefined, /stripEnergyChooseSocket|choose a socket/],
      ] as const) {
        const caught = next(helper.getNode('caught'));
        act.receive(socket === undefined ? { payload: 1 } : { payload: 1, socket });
        const err = (await caught).error as CaughtError;
        assert.equal(err.cause?.kind, 'Input', String(socket));
        assert.match(err.message, pattern);
      }
      assert.ok(!methods.some((m) => /energy|power/.test(m)), methods.join(', '));
    });

    it('tapo-plug-energy: a socket for a single plug is refused', async () => {
      await load('P110(UK)_1.0_1.3.0', { type: 'tapo-plug-energy', mode: 'summary', poll: 0, socket: '1' });
      const caught = next(helper.getNode('caught'));
      helper.getNode('act').receive({ payload: 1 });
      const err = (await caught).error as CaughtError;
      assert.equal(err.cause?.kind, 'Input');
      assert.match(err.message, /notStripNode|no sockets/);
    });
  });
});
