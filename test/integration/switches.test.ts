/**
 * Wall switches and dimmers (S500D, S505D; family.md §4) and the metered power strip (P304M;
 * family.md §5) against the simulator on 127.0.0.1. Assertions are on what the simulated device
 * received and on its state, not on what the client says it did.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sinon from 'sinon';
import { Plug, Strip, meteredAt, openSmart, parsePlugCommand, setBrightness } from '../../src/devices';
import type { AddressOptions } from '../../src/devices';
import { TapoError } from '../../src/protocol/errors';
import type { JsonObject } from '../../src/protocol/types';
import type { SimulatedDevice } from '../../src/simulator';
import { ManualClock } from '../../src/simulator/logic';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { useSimulatedDevices } from './sim-harness';

const S500D = 'S500D(US)_1.0_1.0.5';
const S505D = 'S505D(US)_1.0_1.1.0';
const P304M = 'P304M(UK)_1.0_1.0.3';
const P110 = 'P110(UK)_1.0_1.3.0';
const OPTIONS: AddressOptions = { notStrip: 'notStripNode', stripHint: 'stripHintNode' };
const HOUR = 3_600_000;

/** Every envelope that reaches the simulated device: batches as `a+b`, `control_child` as `child:<method>`. */
function record(sim: SimulatedDevice): { readonly envelopes: string[]; restore: () => void } {
  const spy = sinon.spy(sim.logic as PlugLogic, 'handle');
  return {
    get envelopes(): string[] {
      return spy.getCalls().map((call) => {
        const req = call.args[0] as JsonObject;
        const params = req.params as JsonObject | undefined;
        if (req.method === 'multipleRequest') return ((params?.requests as JsonObject[] | undefined) ?? []).map((r) => String(r.method)).join('+');
        if (req.method === 'control_child') return `child:${String((params?.requestData as JsonObject | undefined)?.method)}`;
        return String(req.method);
      });
    },
    restore: () => spy.restore(),
  };
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

/**
 * An S500 (on/off wall switch, no fixture of its own) derived from the S500D capture as family.md
 * §4 describes the difference: no `brightness`, `preset`, `on_off_gradually`, `dimmer_calibration`
 * component, no `brightness` field.
 */
function s500Fixture(dir: string): string {
  const source = path.resolve(__dirname, '../../src/simulator/fixtures', `${S500D}.json`);
  const data = JSON.parse(fs.readFileSync(source, 'utf8')) as Record<string, Record<string, unknown>>;
  const dimmerOnly = new Set(['brightness', 'preset', 'on_off_gradually', 'dimmer_calibration']);
  const nego = data.component_nego as { component_list: { id: string }[] };
  nego.component_list = nego.component_list.filter((c) => !dimmerOnly.has(c.id));
  const info = data.get_device_info as Record<string, unknown>;
  delete info.brightness;
  info.model = 'S500';
  delete data.get_preset_rules;
  delete data.get_on_off_gradually_info;
  const file = path.join(dir, 'S500(US)_1.0_1.0.5-derived.json');
  fs.writeFileSync(file, JSON.stringify(data));
  return file;
}

describe('wall switches, dimmers and metered strips (simulator)', () => {
  const sims = useSimulatedDevices();

  describe('dimmers', () => {
    for (const fixture of [S500D, S505D]) {
      it(`${fixture}: a brightness and its read-back travel in one request; the relay is left as it was`, async () => {
        const sim = await sims.device({ fixture });
        const logic = sim.logic as PlugLogic;
        const device = await openSmart(sims.connect(sim));
        assert.ok(device instanceof Plug && !(device instanceof Strip));
        const rec = record(sim);
        const info = await setBrightness(device, { brightness: 40 });
        assert.deepEqual(rec.envelopes, ['set_device_info+get_device_info']);
        rec.restore();
        assert.equal(logic.state.brightness, 40);
        assert.equal(logic.state.on, false);
        assert.equal(info.brightness, 40);
        assert.equal(info.on, false);
        assert.equal(info.model, fixture.slice(0, 5));
      });
    }

    it('on and brightness together: one set_device_info with both, read back in the same batch; status has the brightness', async () => {
      const sim = await sims.device({ fixture: S500D });
      const logic = sim.logic as PlugLogic;
      const connection = sims.connect(sim);
      const device = (await openSmart(connection)) as Plug;
      const setSpy = sinon.spy(logic, 'handle');
      const command = parsePlugCommand({ on: true, brightness: 70 });
      assert.deepEqual(command, { type: 'dim', brightness: 70, on: true });
      const info = await setBrightness(device, { brightness: 70, on: true });
      const sent = setSpy.getCalls().map((c) => c.args[0] as JsonObject);
      setSpy.restore();
      assert.equal(sent.length, 1);
      assert.deepEqual((sent[0]?.params as JsonObject).requests, [
        { method: 'set_device_info', params: { device_on: true, brightness: 70 } },
        { method: 'get_device_info' },
      ]);
      assert.equal(logic.state.on, true);
      assert.equal(logic.state.brightness, 70);
      assert.deepEqual([info.on, info.brightness], [true, 70]);
      logic.handle({ method: 'set_device_info', params: { brightness: 12 } });
      assert.equal((await (await openSmart(connection)).getInfo()).brightness, 12);
      await device.turnOff();
      assert.equal(logic.state.on, false);
      assert.equal(logic.state.brightness, 12, 'switching off keeps the brightness');
    });

    it('a brightness for a plug, a derived S500 or a strip socket is refused as Unsupported with nothing set', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapo-s500-'));
      try {
        for (const fixture of [P110, s500Fixture(dir)]) {
          const sim = await sims.device({ fixture });
          const logic = sim.logic as PlugLogic;
          const device = (await openSmart(sims.connect(sim))) as Plug;
          const rec = record(sim);
          const err = await rejection(setBrightness(device, { brightness: 40, on: true }));
          assert.equal(err.kind, 'Unsupported', fixture);
          assert.equal(err.reason, 'noBrightness');
          assert.equal(err.sent, false);
          assert.deepEqual(rec.envelopes, [], `${fixture}: the component list was known, nothing was sent`);
          rec.restore();
          assert.equal(logic.state.on, false);
          // The on/off switch still switches as a plug does.
          await device.turnOn();
          assert.equal(logic.state.on, true);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      const sim = await sims.device({ fixture: P304M });
      const strip = (await openSmart(sims.connect(sim))) as Strip;
      const socket = await strip.socket(1);
      const rec = record(sim);
      const err = await rejection(setBrightness(socket, { brightness: 40 }));
      assert.equal(err.reason, 'noBrightness');
      assert.equal(rec.envelopes.filter((m) => m.includes('set_')).length, 0);
      rec.restore();
    });
  });

  describe('P304M per-socket energy', () => {
    let clock: ManualClock;
    beforeEach(() => {
      clock = new ManualClock(Date.UTC(2024, 9, 22, 9, 0, 0));
    });

    async function strip(): Promise<{ sim: SimulatedDevice; logic: PlugLogic; device: Strip; ids: string[] }> {
      const sim = await sims.device({ fixture: P304M, clock, socketLoadWatts: [100, 25, 40, 60] });
      const logic = sim.logic as PlugLogic;
      const ids = (logic.state.children ?? []).slice().sort((a, b) => a.position - b.position).map((c) => c.deviceId);
      for (const id of ids.slice(0, 2)) {
        logic.handle({ method: 'control_child', params: { device_id: id, requestData: { method: 'set_device_info', params: { device_on: true } } } });
      }
      clock.advance(3 * HOUR);
      const device = await openSmart(sims.connect(sim));
      assert.ok(device instanceof Strip);
      return { sim, logic, device, ids };
    }

    it('reads each socket by position, id or name through control_child: power in W from get_current_power, Wh and minutes', async () => {
      const { sim, logic, device, ids } = await strip();
      const rec = record(sim);
      const one = await (await meteredAt(device, 1, OPTIONS)).getEnergyUsage();
      const child1 = logic.child(ids[0] as string)!.state;
      assert.deepEqual(one, {
        currentPower: 100,
        todayEnergy: child1.todayEnergyWh,
        monthEnergy: child1.monthEnergyWh,
        todayRuntime: child1.todayRuntimeMin,
        monthRuntime: child1.monthRuntimeMin,
        localTime: '2024-10-22 12:00:00',
      });
      assert.ok(child1.todayEnergyWh >= 300);
      const two = await (await meteredAt(device, ids[1] as string, OPTIONS)).getEnergyUsage();
      assert.equal(two.currentPower, 25);
      const three = await (await meteredAt(device, 'Socket 3', OPTIONS)).getEnergyUsage();
      assert.equal(three.currentPower, 0, 'socket 3 is off');
      assert.ok(rec.envelopes.includes('child:get_energy_usage'));
      assert.ok(rec.envelopes.includes('child:get_current_power'), 'the P304M socket leaves current_power out of get_energy_usage');
      assert.ok(!rec.envelopes.some((m) => m === 'get_energy_usage' || m === 'get_current_power'), 'nothing asked of the strip itself');
      rec.restore();
    });

    it("a socket's hourly history matches its counters; the clock is the strip's", async () => {
      const { sim, logic, device, ids } = await strip();
      const rec = record(sim);
      const data = await (await meteredAt(device, 2, OPTIONS)).getEnergyData('hourly');
      const total = data.entries.reduce((sum, e) => sum + e.energy, 0);
      assert.equal(total, logic.child(ids[1] as string)!.state.todayEnergyWh);
      assert.ok(total >= 75);
      assert.ok(rec.envelopes.includes('get_device_time'));
      assert.ok(!rec.envelopes.includes('child:get_device_time'));
      assert.ok(rec.envelopes.includes('child:get_energy_data'));
      rec.restore();
    });

    it('socket 9 of a 4-socket strip is refused (noSuchSocket) and no energy method is sent', async () => {
      const { sim, device } = await strip();
      const rec = record(sim);
      const err = await rejection(meteredAt(device, 9, OPTIONS).then((p) => p.getEnergyUsage()));
      assert.equal(err.kind, 'Input');
      assert.equal(err.reason, 'noSuchSocket');
      assert.equal(err.params.positions, '1, 2, 3, 4');
      assert.ok(rec.envelopes.every((m) => m === 'get_child_device_list'), rec.envelopes.join(', '));
      rec.restore();
    });

    it('the strip as a whole is refused with its socket positions (Input), a P300 has no meter (Unsupported); nothing metered is asked', async () => {
      const { sim, device } = await strip();
      const rec = record(sim);
      const err = await rejection(meteredAt(device, undefined, OPTIONS));
      assert.equal(err.kind, 'Input');
      assert.equal(err.reason, 'stripEnergyChooseSocket');
      assert.equal(err.params.positions, '1, 2, 3, 4');
      assert.equal(err.hintKey, 'stripHintNode');
      assert.ok(!rec.envelopes.some((m) => /energy|power/.test(m)), rec.envelopes.join(', '));
      rec.restore();

      const p300 = await sims.device({ fixture: 'P300(EU)_1.0_1.0.15' });
      const whole = await openSmart(sims.connect(p300));
      const none = await rejection(meteredAt(whole, undefined, OPTIONS));
      assert.equal(none.kind, 'Unsupported');
      assert.equal(none.reason, 'noEnergyMeter');
    });
  });
});
