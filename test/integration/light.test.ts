/**
 * Bulbs and light strips against the simulator on 127.0.0.1 (family.md §1–§3): the light verbs
 * through the device's one owner, asserting on the simulated light's state and on the requests
 * that reached it. L510E: dimmable white (colour refused, nothing sent); L530E: colour and colour
 * temperature within its range; L900-5 / L930-5: strip effects; a plug is refused as a light.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { TapoDevice } from '../../src/connection/device';
import type { DeviceVerbs } from '../../src/connection/device';
import type { LightChange, LightState } from '../../src/devices';
import { TapoError } from '../../src/protocol/errors';
import type { JsonObject } from '../../src/protocol/types';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { PASSWORD, PLUG_USER, useSimulatedDevices } from './sim-harness';

const clock = { now: (): number => Date.UTC(2024, 5, 15, 12, 0, 0) };

describe('lights against the simulator', function () {
  this.timeout(20_000);
  const sims = useSimulatedDevices();
  const owners: TapoDevice[] = [];

  afterEach(async () => {
    await Promise.all(owners.splice(0).map((o) => o.end()));
  });

  async function open(fixture: string): Promise<{ sim: SimulatedDevice; owner: TapoDevice; logic: PlugLogic; methods: () => string[] }> {
    const sim = await sims.device({ fixture, clock });
    const owner = new TapoDevice(
      { host: `${sim.host}:${sim.port}`, kind: 'plug', scheme: 'auto', credentials: { username: PLUG_USER, password: PASSWORD }, timeoutMs: 5_000 },
      undefined,
      { locate: false },
    );
    owners.push(owner);
    const logic = sim.logic as PlugLogic;
    const spy = sinon.spy(logic, 'handle');
    const methods = (): string[] =>
      spy.getCalls().map((call) => {
        const req = call.args[0] as JsonObject;
        const subs = (req.params as { requests?: JsonObject[] } | undefined)?.requests;
        return req.method === 'multipleRequest' && subs ? `[${subs.map((s) => String(s.method)).join(',')}]` : String(req.method);
      });
    return { sim, owner, logic, methods };
  }

  const set = (owner: TapoDevice, change: LightChange): Promise<LightState> => owner.run(async (v: DeviceVerbs) => (await v.light()).set(change));
  const status = (owner: TapoDevice): Promise<LightState> => owner.run(async (v: DeviceVerbs) => (await v.light()).getState());

  async function refused(p: Promise<unknown>, kind: string, reason: string): Promise<void> {
    await assert.rejects(p, (e: unknown) => e instanceof TapoError && e.kind === kind && e.reason === reason);
  }

  describe('L510E (dimmable white)', () => {
    const FIXTURE = 'L510E(US)_3.0_1.1.2';

    it('reads its state: white, no hue or colour temperature', async () => {
      const { owner } = await open(FIXTURE);
      const s = await status(owner);
      assert.equal(s.model, 'L510');
      assert.equal(s.mode, 'white');
      assert.equal(s.hue, undefined);
      assert.equal(s.colorTemp, undefined);
      assert.match(s.nickname, /bulb \(L510\)$/);
    });

    it('dims in one batch with its read-back', async () => {
      const { owner, logic, methods } = await open(FIXTURE);
      await status(owner);
      const before = methods().length;
      const s = await set(owner, { brightness: 30 });
      assert.equal(s.brightness, 30);
      assert.equal(logic.lightState?.brightness, 30);
      assert.deepEqual(methods().slice(before), ['[set_device_info,get_device_info]']);
    });

    it('refuses a colour and a colour temperature before sending anything', async () => {
      const { owner, logic, methods } = await open(FIXTURE);
      await status(owner);
      const before = methods().length;
      await refused(set(owner, { hue: 120, saturation: 100 }), 'Unsupported', 'lightNoColor');
      await refused(set(owner, { colorTemp: 4000 }), 'Unsupported', 'lightNoColorTemp');
      assert.equal(methods().length, before);
      assert.equal(logic.lightState?.hue, undefined);
    });

    it('brightness 0 turns it off and keeps the brightness', async () => {
      const { owner, logic } = await open(FIXTURE);
      const s = await set(owner, { brightness: 0 });
      assert.equal(s.on, false);
      assert.equal(logic.state.on, false);
      assert.equal(logic.lightState?.brightness, 100);
    });

    it('gradual on/off (v3): seconds on both sides, read back in the same batch', async () => {
      const { owner, logic, methods } = await open(FIXTURE);
      await status(owner);
      const before = methods().length;
      const s = await set(owner, { transition: 5 });
      assert.deepEqual(s.gradual, { enabled: true, onSeconds: 5, offSeconds: 5 });
      const g = logic.lightState?.gradual as { on_state: { duration: number; enable: boolean } };
      assert.deepEqual([g.on_state.enable, g.on_state.duration], [true, 5]);
      // v2+: the current setting (max duration) is read first, then set + read-backs in one batch.
      assert.deepEqual(methods().slice(before), ['get_on_off_gradually_info', '[set_on_off_gradually_info,get_on_off_gradually_info,get_device_info]']);
      await refused(set(owner, { transition: 61 }), 'Input', 'lightGradualSeconds');
    });

    it('refuses effects (not a strip)', async () => {
      const { owner } = await open(FIXTURE);
      await refused(set(owner, { effect: 'station' }), 'Unsupported', 'lightNoEffects');
    });
  });

  describe('L530E (colour bulb)', () => {
    const FIXTURE = 'L530E(EU)_3.0_1.1.0';

    it('sets a colour with color_temp 0 and reads it back', async () => {
      const { owner, logic } = await open(FIXTURE);
      const s = await set(owner, { on: true, hue: 240, saturation: 80 });
      assert.deepEqual([s.on, s.mode, s.hue, s.saturation, s.colorTemp], [true, 'color', 240, 80, 0]);
      assert.deepEqual([logic.state.on, logic.lightState?.hue, logic.lightState?.saturation, logic.lightState?.colorTemp], [true, 240, 80, 0]);
    });

    it('sets a colour temperature within 2500–6500 K and refuses one outside it, unsent', async () => {
      const { owner, logic, methods } = await open(FIXTURE);
      const s = await set(owner, { colorTemp: 4000 });
      assert.deepEqual([s.mode, s.colorTemp], ['white', 4000]);
      assert.equal(logic.lightState?.colorTemp, 4000);
      const before = methods().length;
      await refused(set(owner, { colorTemp: 2000 }), 'Input', 'lightColorTempRange');
      await refused(set(owner, { colorTemp: 7000 }), 'Input', 'lightColorTempRange');
      assert.equal(methods().length, before);
      assert.equal(logic.lightState?.colorTemp, 4000);
    });

    it('gradual on/off (v1): true/false only, seconds refused', async () => {
      const { owner, logic } = await open(FIXTURE);
      const s = await set(owner, { transition: true });
      assert.deepEqual(s.gradual, { enabled: true });
      assert.deepEqual(logic.lightState?.gradual, { enable: true });
      await refused(set(owner, { transition: 3 }), 'Input', 'lightGradualNoDuration');
    });

    it('toggles: a read, then the absolute opposite with its read-back', async () => {
      const { owner, logic, methods } = await open(FIXTURE);
      await status(owner);
      const was = logic.state.on;
      const before = methods().length;
      const s = await owner.run(async (v) => (await v.light()).toggle());
      assert.equal(s.on, !was);
      assert.equal(logic.state.on, !was);
      assert.deepEqual(methods().slice(before), ['get_device_info', '[set_device_info,get_device_info]']);
    });
  });

  describe('light strips', () => {
    it('L900-5: a whole effect object is set and reported; off stops it; no colour temperature (range 9000–9000)', async () => {
      const { owner, logic } = await open('L900-5(EU)_1.0_1.1.0');
      const effect = { id: 'my-effect', name: 'Mine', type: 'static', display_colors: [[120, 100, 100]], brightness: 80, segments: [0] };
      const s = await set(owner, { effect });
      assert.equal(s.mode, 'effect');
      assert.deepEqual(s.effect, { id: 'my-effect', name: 'Mine' });
      assert.deepEqual(logic.lightState?.effect, { id: 'my-effect', name: 'Mine', enabled: true });
      const off = await set(owner, { effect: false });
      assert.notEqual(off.mode, 'effect');
      assert.deepEqual(logic.lightState?.effect, { id: 'my-effect', name: 'Mine', enabled: false });
      await refused(set(owner, { colorTemp: 4000 }), 'Unsupported', 'lightNoColorTemp');
    });

    it('L930-5: the stored effect by name; an unknown name refused; a colour stops the effect', async () => {
      const { owner, logic } = await open('L930-5(EU)_1.0_1.2.5');
      const s = await set(owner, { effect: 'station' });
      assert.equal(s.mode, 'effect');
      assert.equal(logic.lightState?.effect?.enabled, true);
      await refused(set(owner, { effect: 'Aurora' }), 'Input', 'lightUnknownEffect');
      const c = await set(owner, { hue: 30, saturation: 100 });
      assert.equal(c.mode, 'color');
      assert.equal(logic.lightState?.effect?.enabled, false);
      const w = await set(owner, { colorTemp: 6500 });
      assert.deepEqual([w.mode, w.colorTemp], ['white', 6500]);
    });
  });

  it('a plug is refused as a light, and nothing is changed', async () => {
    const { owner, logic, methods } = await open('P110(UK)_1.0_1.3.0');
    const on = logic.state.on;
    await refused(set(owner, { brightness: 50 }), 'Input', 'notALight');
    assert.equal(logic.state.on, on);
    assert.ok(methods().every((m) => !m.includes('set_')), methods().join(' '));
    // Learnt once: the second refusal sends nothing.
    const before = methods().length;
    await refused(set(owner, { on: true }), 'Input', 'notALight');
    assert.equal(methods().length, before);
  });
});
