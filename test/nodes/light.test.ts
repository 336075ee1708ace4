/**
 * `tapo-light` in node-red-node-test-helper flows against simulated bulbs, strips and a plug on
 * 127.0.0.1 (nodes load dist/: build first). Each action, the state read back, the status, the
 * refusals (nothing sent) and the round trips per message.
 */
import assert from 'node:assert/strict';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { PASSWORD, PLUG_USER, creds, deviceNode, flow, helper, nodeModules, statusWhere, statuses } from './harness';
import type { CaughtError, Msg } from './harness';

const clock = { now: (): number => Date.UTC(2024, 5, 15, 12, 0, 0) };

describe('nodes: tapo-light', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice | undefined;

  afterEach(async () => {
    await helper.unload();
    if (sim) await sim.stop();
    sim = undefined;
  });

  async function deploy(fixture: string, action = 'payload', kind: 'plug' | 'camera' = 'plug'): Promise<{ logic: PlugLogic; device: SimulatedDevice }> {
    const device = await startDevice({ fixture, clock, password: PASSWORD });
    sim = device;
    await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${device.port}`, kind), { type: 'tapo-light', action }), creds(PLUG_USER, PASSWORD));
    // One listener each for the whole test (Node-RED's input listeners are not meant to come and go).
    const answer = (a: { msg?: Msg; error?: CaughtError }): void => {
      const w = waiting;
      waiting = undefined;
      w?.(a);
    };
    helper.getNode('out').on('input', (msg: Msg) => answer({ msg }));
    helper.getNode('caught').on('input', (msg: Msg) => answer({ error: msg.error as CaughtError }));
    return { logic: device.logic as PlugLogic, device };
  }

  /** Who waits for the next answer (output or caught error) of node `act`. */
  let waiting: ((answer: { msg?: Msg; error?: CaughtError }) => void) | undefined;

  /** Sends a payload; resolves with the output message or the caught error. */
  function send(payload: unknown): Promise<{ msg?: Msg; error?: CaughtError }> {
    return new Promise((resolve) => {
      waiting = resolve;
      helper.getNode('act').receive({ payload, topic: 'kept' });
    });
  }

  it('on, off, toggle and status answer the state read back; the status shows on with brightness, or off', async () => {
    const { logic } = await deploy('L530E(EU)_3.0_1.1.0');
    const seen = statuses(helper.getNode('act'));
    const on = await send('on');
    assert.equal((on.msg?.payload as { on: boolean }).on, true);
    assert.equal(on.msg?.topic, 'kept');
    assert.equal(logic.state.on, true);
    await statusWhere(helper.getNode('act'), seen, (s) => s.text === 'tapo-light.status.on' && s.fill === 'green');
    const off = await send(false);
    assert.equal((off.msg?.payload as { on: boolean }).on, false);
    assert.equal(logic.state.on, false);
    await statusWhere(helper.getNode('act'), seen, (s) => s.text === 'tapo-light.status.off');
    const toggled = await send('toggle');
    assert.equal((toggled.msg?.payload as { on: boolean }).on, true);
    assert.equal(logic.state.on, true);
    const status = await send('status');
    assert.deepEqual(
      Object.keys(status.msg?.payload as object).sort(),
      ['brightness', 'colorTemp', 'deviceId', 'hue', 'mode', 'model', 'nickname', 'on', 'saturation'],
    );
  });

  it('a configured action ignores msg.payload', async () => {
    const { logic } = await deploy('L530E(EU)_3.0_1.1.0', 'on');
    const r = await send({ brightness: 5 });
    assert.equal((r.msg?.payload as { on: boolean; brightness: number }).brightness, 100);
    assert.equal(logic.state.on, true);
  });

  it('brightness, colour by name and hex, colour temperature: set, read back, one request each', async () => {
    const { logic, device } = await deploy('L530E(EU)_3.0_1.1.0');
    await send('status');
    const cases: [unknown, Record<string, unknown>][] = [
      [{ on: true, brightness: 40 }, { on: true, brightness: 40 }],
      [{ color: 'orange' }, { mode: 'color', hue: 39, saturation: 100, colorTemp: 0 }],
      [{ color: '#0000ff' }, { mode: 'color', hue: 240, saturation: 100 }],
      [{ hue: 120, saturation: 50 }, { hue: 120, saturation: 50 }],
      [{ colorTemp: '3000K' }, { mode: 'white', colorTemp: 3000 }],
      [{ color: 'warm white' }, { mode: 'white', colorTemp: 2700 }],
    ];
    for (const [payload, expected] of cases) {
      const before = device.requestCount;
      const r = await send(payload);
      assert.equal(r.error, undefined, `${JSON.stringify(payload)}: ${r.error?.message ?? ''}`);
      const got = r.msg?.payload as Record<string, unknown>;
      for (const [k, v] of Object.entries(expected)) assert.equal(got[k], v, `${JSON.stringify(payload)} ${k}`);
      assert.equal(device.requestCount - before, 1, `${JSON.stringify(payload)}: one request`);
    }
    assert.deepEqual([logic.lightState?.brightness, logic.lightState?.colorTemp], [40, 2700]);
  });

  it('refuses bad input with Input errors, nothing sent', async () => {
    const { device, logic } = await deploy('L530E(EU)_3.0_1.1.0');
    await send('status');
    const before = device.requestCount;
    for (const payload of [
      'dim',
      42,
      { brightness: 101 },
      { brightness: 5.5 },
      { hue: 361, saturation: 50 },
      { hue: 10 },
      { color: '#12345' },
      { color: 'blurple' },
      { color: { hue: 10, saturation: 120 } },
      { color: 'red', colorTemp: 3000 },
      { colorTemp: 9000 },
      { colorTemp: 2000 },
      { bright: 10 },
      {},
    ]) {
      const r = await send(payload);
      assert.equal(r.error?.cause?.kind, 'Input', JSON.stringify(payload));
    }
    assert.equal(device.requestCount, before);
    assert.equal(logic.lightState?.hue, 0);
  });

  it('L510E: a colour is refused as Unsupported, nothing sent; brightness works', async () => {
    const { device, logic } = await deploy('L510E(US)_3.0_1.1.2');
    await send('status');
    const before = device.requestCount;
    const r = await send({ color: 'red' });
    assert.equal(r.error?.cause?.kind, 'Unsupported');
    assert.match(r.error?.message ?? '', /reasons\.lightNoColor/);
    assert.equal(device.requestCount, before);
    const b = await send({ brightness: 25 });
    assert.equal((b.msg?.payload as { brightness: number }).brightness, 25);
    assert.equal(logic.lightState?.brightness, 25);
  });

  it('L930-5: the strip effect by name, and off', async () => {
    const { logic } = await deploy('L930-5(EU)_1.0_1.2.5');
    const r = await send({ effect: 'station' });
    assert.equal((r.msg?.payload as { mode: string }).mode, 'effect');
    assert.equal(logic.lightState?.effect?.enabled, true);
    const off = await send({ effect: 'off' });
    assert.notEqual((off.msg?.payload as { mode: string }).mode, 'effect');
    assert.equal(logic.lightState?.effect?.enabled, false);
  });

  it('a plug is refused clearly and left as it was', async () => {
    const { logic } = await deploy('P110(UK)_1.0_1.3.0');
    const was = logic.state.on;
    const r = await send({ on: !was, brightness: 50 });
    assert.equal(r.error?.cause?.kind, 'Input');
    assert.match(r.error?.message ?? '', /reasons\.notALight\. tapo-device\.hints\.lightUsePlugNode$/);
    assert.equal(logic.state.on, was);
  });

  it('refuses a camera-kind device without contacting it', async () => {
    const { device } = await deploy('L530E(EU)_3.0_1.1.0', 'payload', 'camera');
    const r = await send('on');
    assert.equal(r.error?.cause?.kind, 'Input');
    assert.equal(device.requestCount, 0);
  });
});
