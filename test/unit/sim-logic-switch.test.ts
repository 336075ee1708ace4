import { strict as assert } from 'node:assert';
import { loadFixture } from '../../src/simulator/fixtures';
import { ManualClock, PlugLogic } from '../../src/simulator/logic';
import type { SimJson, SimJsonObject } from '../../src/simulator/types';

const HOUR = 3_600_000;
const S500D = 'S500D(US)_1.0_1.0.5';
const S505D = 'S505D(US)_1.0_1.1.0';
const P304M = 'P304M(UK)_1.0_1.0.3';

function ok(reply: SimJsonObject): SimJsonObject {
  assert.equal(reply.error_code, 0, `expected success, got ${JSON.stringify(reply)}`);
  return (reply.result ?? {}) as SimJsonObject;
}

function call(logic: PlugLogic, method: string, params?: SimJson): SimJsonObject {
  return logic.handle(params === undefined ? { method } : { method, params });
}

function child(strip: PlugLogic, id: string, method: string, params?: SimJson): SimJsonObject {
  const requestData: SimJsonObject = params === undefined ? { method } : { method, params };
  const outer = ok(call(strip, 'control_child', { device_id: id, requestData }));
  return outer.responseData as SimJsonObject;
}

describe('simulator: dimmer switches and the metered strip', () => {
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2024, 0, 20, 9, 0, 0));
  });

  describe('S500D / S505D dimmers', () => {
    for (const name of [S500D, S505D]) {
      it(`${name}: brightness is live, takes 1…100 with or without device_on, and does not switch the relay`, () => {
        const d = new PlugLogic(loadFixture(name).data, { clock });
        const captured = ok(call(d, 'get_device_info')).brightness;
        assert.equal(typeof captured, 'number');
        assert.equal(d.state.brightness, captured);
        assert.deepEqual(call(d, 'set_device_info', { brightness: 40 }), { error_code: 0 });
        let info = ok(call(d, 'get_device_info'));
        assert.equal(info.brightness, 40);
        assert.equal(info.device_on, false, 'a brightness alone leaves the relay as it was');
        assert.deepEqual(call(d, 'set_device_info', { device_on: true, brightness: 1 }), { error_code: 0 });
        info = ok(call(d, 'get_device_info'));
        assert.equal(info.brightness, 1);
        assert.equal(info.device_on, true);
        assert.equal(d.state.brightness, 1);
      });
    }

    it('refuses a brightness of 0, 101, 2.5 or "x" with -1008 and changes nothing (not even the relay in the same call)', () => {
      const d = new PlugLogic(loadFixture(S500D).data, { clock });
      call(d, 'set_device_info', { brightness: 30 });
      for (const bad of [0, 101, 2.5, 'x']) {
        assert.deepEqual(call(d, 'set_device_info', { device_on: true, brightness: bad }), { error_code: -1008 }, String(bad));
      }
      assert.equal(d.state.brightness, 30);
      assert.equal(d.state.on, false);
    });

    it('a plug has no brightness: -1008', () => {
      const p = new PlugLogic(loadFixture('P110(UK)_1.0_1.3.0').data, { clock });
      assert.deepEqual(call(p, 'set_device_info', { brightness: 40 }), { error_code: -1008 });
      assert.equal(p.state.brightness, undefined);
    });
  });

  describe('P304M per-socket energy', () => {
    function strip(socketLoadWatts: readonly number[], loadWatts?: number): { s: PlugLogic; ids: string[] } {
      const s = new PlugLogic(loadFixture(P304M).data, { clock, socketLoadWatts, ...(loadWatts !== undefined ? { loadWatts } : {}) });
      const ids = (s.state.children ?? []).map((c) => c.deviceId);
      assert.equal(ids.length, 4);
      return { s, ids };
    }

    it('each socket draws its own configured load while on; get_current_power in W, get_energy_usage without current_power', () => {
      const { s, ids } = strip([100, 25], 7);
      const [one, two, three] = ids as [string, string, string];
      const before = (id: string): number => ok(child(s, id, 'get_energy_usage')).today_energy as number;
      const start1 = before(one);
      const start2 = before(two);
      ok(child(s, one, 'set_device_info', { device_on: true }));
      ok(child(s, two, 'set_device_info', { device_on: true }));
      ok(child(s, three, 'set_device_info', { device_on: true }));
      clock.advance(2 * HOUR);
      assert.deepEqual(ok(child(s, one, 'get_current_power')), { current_power: 100 });
      assert.deepEqual(ok(child(s, two, 'get_current_power')), { current_power: 25 });
      assert.deepEqual(ok(child(s, three, 'get_current_power')), { current_power: 7 }, 'a socket not listed draws loadWatts');
      const usage = ok(child(s, one, 'get_energy_usage'));
      assert.equal('current_power' in usage, false);
      assert.equal(usage.today_energy, start1 + 200);
      assert.equal(ok(child(s, two, 'get_energy_usage')).today_energy, start2 + 50);
      assert.deepEqual(ok(child(s, ids[3] as string, 'get_current_power')), { current_power: 0 }, 'a socket that is off draws nothing');
    });

    it('the strip as a whole answers no energy method and no socket keeps a clock of its own (-1002)', () => {
      const { s, ids } = strip([100]);
      for (const m of ['get_energy_usage', 'get_current_power', 'get_energy_data']) assert.equal(call(s, m).error_code, -1002, m);
      assert.equal(child(s, ids[0] as string, 'get_device_time').error_code, -1002);
      assert.equal(typeof ok(call(s, 'get_device_time')).timestamp, 'number');
    });
  });
});
