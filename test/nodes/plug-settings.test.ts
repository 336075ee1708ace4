/**
 * Plug settings through `tapo-plug-control` (node-red-node-test-helper flows, loaded from nodes/*.js
 * ⇒ dist/: build first) against the simulator on 127.0.0.1: the documented payloads answer the
 * settings read back, bad payloads reach the Catch node with their specific reason (the helper
 * renders catalog keys; the English texts are checked in test/integration/plug-settings.test.ts)
 * and send nothing,
 * a model without a setting is refused before any change, and a change after the first message
 * costs one request.
 */
import assert from 'node:assert/strict';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { PASSWORD, PLUG_USER, creds, deviceNode, flow, helper, next, nodeModules } from './harness';
import type { CaughtError, Msg } from './harness';

const clock = { now: (): number => Date.UTC(2024, 5, 15, 12, 0, 0) };

describe('nodes: tapo-plug-control plug settings', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice | undefined;

  afterEach(async () => {
    await helper.unload();
    if (sim) await sim.stop();
    sim = undefined;
  });

  async function deploy(fixture: string, extra: Record<string, unknown> = {}): Promise<SimulatedDevice> {
    sim = await startDevice({ fixture, clock, password: PASSWORD });
    await helper.load(
      nodeModules,
      flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { type: 'tapo-plug-control', action: 'payload', ...extra }),
      creds(PLUG_USER, PASSWORD),
    );
    return sim;
  }

  /** Sends one message; resolves with the output message or the caught error. */
  async function send(msg: Msg): Promise<{ out?: Msg; error?: CaughtError }> {
    const answered = next(helper.getNode('out'));
    const failed = next(helper.getNode('caught'));
    helper.getNode('act').receive(msg);
    const got = await Promise.race([answered, failed]);
    return got.error !== undefined ? { error: got.error as CaughtError } : { out: got };
  }

  it('answers {settings: "read"} and changes auto-off, power-loss state and overload protection', async () => {
    const device = await deploy('P110(UK)_1.0_1.3.0');
    const read = await send({ payload: { settings: 'read' } });
    assert.deepEqual(read.out?.payload, {
      autoOff: { enabled: false, minutes: 120 },
      powerOnState: 'last',
      overloadProtection: { enabled: true, watts: 2960, maxWatts: 3379 },
      schedules: [{ id: 'S1', enabled: true, on: true, time: '11:50', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], once: false }],
      scheduleLimit: 32,
    });
    const before = device.requestCount;
    const changed = await send({ payload: { autoOff: { enabled: true, minutes: 45 }, powerOnState: 'off' } });
    assert.deepEqual(changed.out?.payload, { autoOff: { enabled: true, minutes: 45 }, powerOnState: 'off' });
    assert.equal(device.requestCount - before, 1, 'the changes and their read-back in one request');
    const logic = device.logic as PlugLogic;
    assert.deepEqual(logic.settingsState.autoOff, { enabled: true, minutes: 45, offAt: null });
    assert.deepEqual(logic.settingsState.defaultStates, { state: { on: false }, type: 'custom' });
    const overload = await send({ payload: { overloadProtection: { watts: 2000 } } });
    assert.deepEqual(overload.out?.payload, { overloadProtection: { enabled: true, watts: 2000, maxWatts: 3379 } });
  });

  it('adds, enables and removes a schedule through msg.payload', async () => {
    const device = await deploy('P115(EU)_1.0_1.2.3');
    const added = await send({ payload: { addSchedule: { time: '06:45', days: 'weekdays', on: true } } });
    const result = added.out?.payload as { added?: string; schedules?: unknown[] };
    assert.equal(result.added, 'S1');
    assert.deepEqual(result.schedules, [{ id: 'S1', enabled: true, on: true, time: '06:45', days: ['mon', 'tue', 'wed', 'thu', 'fri'], once: false }]);
    await send({ payload: { enableSchedule: { id: 'S1', enabled: false } } });
    assert.equal((device.logic as PlugLogic).settingsState.schedules?.[0]?.enable, false);
    const removed = await send({ payload: { removeSchedule: 'S1' } });
    assert.deepEqual((removed.out?.payload as { schedules?: unknown[] }).schedules, []);
    assert.deepEqual((device.logic as PlugLogic).settingsState.schedules, []);
  });

  it('a schedule with an invalid time reaches the Catch node with its reason, and nothing is sent', async () => {
    const device = await deploy('P110(EU)_1.0_1.2.3');
    const before = (device.logic as PlugLogic).settingsState;
    for (const [payload, text] of [
      [{ addSchedule: { time: '25:00', days: 'daily', on: true } }, /^tapo-device\.errors\.Input: tapo-device\.reasons\.scheduleTime$/],
      [{ addSchedule: { time: '07:00', days: ['mon', 'someday'], on: true } }, /reasons\.scheduleDayUnknown$/],
      [{ autoOff: { minutes: 0 } }, /reasons\.autoOffMinutes$/],
      [{ autoOff: true, volume: 3 }, /reasons\.unknownPlugSettingKeys$/],
    ] as const) {
      const { error } = await send({ payload });
      assert.ok(error, JSON.stringify(payload));
      assert.match(error.message, text);
    }
    assert.equal(device.requestCount, 0, 'not even a login');
    assert.equal(device.server.loginCount, 0);
    assert.deepEqual((device.logic as PlugLogic).settingsState, before);
  });

  it('a P100 is refused overload protection with a clear Unsupported error and no change sent', async () => {
    const device = await deploy('P100(US)_1.0.0_1.4.0');
    const { error } = await send({ payload: { overloadProtection: { enabled: true, watts: 1000 } } });
    assert.ok(error);
    assert.match(error.message, /^tapo-device\.errors\.Unsupported: tapo-device\.reasons\.plugSettingUnsupported\. tapo-device\.hints\.plugSettingsModel$/);
    assert.equal(error.cause?.kind, 'Unsupported');
    assert.equal(device.requestCount, 1, 'only the learning batch');
  });

  it('strip: settings per socket (the node\'s Socket)', async () => {
    const device = await deploy('P300(EU)_1.0_1.0.15', { socket: '2' });
    const socket = await send({ payload: { autoOff: { enabled: true, minutes: 10 } } });
    assert.deepEqual(socket.out?.payload, { autoOff: { enabled: true, minutes: 10 } });
    const logic = device.logic as PlugLogic;
    const second = (logic.state.children ?? []).find((c) => c.position === 2);
    assert.deepEqual(logic.child(second?.deviceId ?? '')?.settingsState.autoOff, { enabled: true, minutes: 10, offAt: null });
  });

  it('strip: the strip as a whole is refused, naming its sockets', async () => {
    await deploy('P300(EU)_1.0_1.0.15');
    const whole = await send({ payload: 'settings' });
    assert.match(whole.error?.message ?? '', /reasons\.stripChooseSocket\. tapo-device\.hints\.stripHintNode$/);
  });

  it('the configured action wins over a settings payload', async () => {
    const device = await deploy('P110(EU)_1.0_1.2.3', { action: 'status' });
    const got = await send({ payload: { autoOff: true } });
    assert.equal((got.out?.payload as { model?: string }).model, 'P110');
    assert.equal((device.logic as PlugLogic).settingsState.autoOff?.enabled, false);
  });
});
