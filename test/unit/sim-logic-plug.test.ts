import { strict as assert } from 'node:assert';
import * as sinon from 'sinon';
import { loadFixture } from '../../src/simulator/fixtures';
import { ManualClock, PlugLogic, createLogic } from '../../src/simulator/logic';
import type { SimJson, SimJsonObject } from '../../src/simulator/types';

const HOUR = 3_600_000;
const MINUTE = 60_000;

function plug(name: string, clock: ManualClock, extra: { loadWatts?: number; onReboot?: () => void; childPageSize?: number } = {}): PlugLogic {
  return new PlugLogic(loadFixture(name).data, { clock, ...extra });
}

function ok(reply: SimJsonObject): SimJsonObject {
  assert.equal(reply.error_code, 0, `expected success, got ${JSON.stringify(reply)}`);
  return (reply.result ?? {}) as SimJsonObject;
}

function call(logic: PlugLogic, method: string, params?: SimJson): SimJsonObject {
  return logic.handle(params === undefined ? { method } : { method, params });
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('simulator PlugLogic', () => {
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2024, 0, 20, 9, 0, 0));
  });

  describe('relay, nickname, LED, time', () => {
    it('switches the relay and counts on_time on the clock', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock);
      assert.equal(ok(call(p, 'get_device_info')).device_on, false);
      assert.deepEqual(call(p, 'set_device_info', { device_on: true }), { error_code: 0 });
      clock.advance(90_000);
      const info = ok(call(p, 'get_device_info'));
      assert.equal(info.device_on, true);
      assert.equal(info.on_time, 90);
      assert.equal(p.state.onTimeSeconds, 90);
      // Switching on again does not restart on_time.
      ok(call(p, 'set_device_info', { device_on: true }));
      clock.advance(10_000);
      assert.equal(p.state.onTimeSeconds, 100);
      ok(call(p, 'set_device_info', { device_on: false }));
      assert.equal(p.state.on, false);
      assert.equal(ok(call(p, 'get_device_info')).on_time, 0);
    });

    it('keeps the fixture on_time of a plug captured on', () => {
      const p = plug('P100(US)_1.0.0_1.1.3', clock);
      assert.equal(p.state.onTimeSeconds, 6868);
      clock.advance(2000);
      assert.equal(ok(call(p, 'get_device_info')).on_time, 6870);
    });

    it('stores the nickname decoded and answers it base64', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock);
      const loaded = Buffer.from(String((loadFixture('P110(UK)_1.0_1.3.0').data.get_device_info as SimJsonObject).nickname), 'base64').toString('utf8');
      assert.equal(p.state.nickname, loaded);
      ok(call(p, 'set_device_info', { nickname: b64('Küche lamp') }));
      assert.equal(p.state.nickname, 'Küche lamp');
      assert.equal(ok(call(p, 'get_device_info')).nickname, b64('Küche lamp'));
    });

    it('rejects bad set_device_info params with -1008 and changes nothing', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock);
      assert.equal(call(p, 'set_device_info', { device_on: 'yes' }).error_code, -1008);
      assert.equal(call(p, 'set_device_info', { device_on: true, nickname: 'not base64!' }).error_code, -1008);
      assert.equal(call(p, 'set_device_info', { brightness: 50 }).error_code, -1008);
      assert.equal(call(p, 'set_device_info', {}).error_code, -1008);
      assert.equal(p.state.on, false);
      assert.equal(p.state.nickname, Buffer.from(String((loadFixture('P110(UK)_1.0_1.3.0').data.get_device_info as SimJsonObject).nickname), 'base64').toString('utf8'));
    });

    it('answers and sets the LED', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock);
      const led = ok(call(p, 'get_led_info'));
      assert.equal(led.led_rule, 'night_mode');
      assert.equal(p.state.ledOn, false);
      ok(call(p, 'set_device_info', { device_on: true }));
      ok(call(p, 'set_led_info', { ...led, led_rule: 'always' }));
      assert.equal(p.state.ledOn, true);
      assert.equal(ok(call(p, 'get_led_info')).led_status, true);
      ok(call(p, 'set_led_info', { led_rule: 'never' }));
      assert.equal(p.state.ledOn, false);
      assert.equal(ok(call(p, 'get_led_info')).led_status, false);
      assert.equal(call(p, 'set_led_info', { led_rule: 'sometimes' }).error_code, -1008);
    });

    it('with rule "always" the LED follows the relay, as the captured plugs report it', () => {
      // Captures: rule "always" reports led_status = device_on (P100 1.4.0 and P115 US off ⇒ false,
      // P100 1.1.3 and P115 EU on ⇒ true).
      for (const [name, capturedOn] of [
        ['P100(US)_1.0.0_1.4.0', false],
        ['P115(US)_1.0_1.1.3', false],
        ['P100(US)_1.0.0_1.1.3', true],
        ['P115(EU)_1.0_1.2.3', true],
      ] as const) {
        const p = plug(name, clock);
        assert.deepEqual(ok(call(p, 'get_led_info')), loadFixture(name).data.get_led_info, name);
        assert.equal(p.state.ledOn, capturedOn, name);
        ok(call(p, 'set_device_info', { device_on: !capturedOn }));
        assert.equal(ok(call(p, 'get_led_info')).led_status, !capturedOn, name);
        assert.equal(p.state.ledOn, !capturedOn, name);
      }
      // A countdown that switches the relay off darkens the LED too.
      const p = plug('P100(US)_1.0.0_1.1.3', clock);
      ok(call(p, 'add_countdown_rule', { delay: 60, desired_states: { on: false }, enable: true }));
      clock.advance(60_000);
      assert.equal(ok(call(p, 'get_led_info')).led_status, false);
    });

    it('never writes a __proto__, constructor or prototype field, nor answers an inherited member', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock);
      const led = ok(call(p, 'get_led_info'));
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        const evil = JSON.parse(`{"${key}":{"polluted":true}}`) as SimJsonObject;
        assert.equal(call(p, 'set_led_info', { ...led, ...evil }).error_code, -1008, `set_led_info ${key}`);
        assert.equal(call(p, 'set_device_info', evil).error_code, -1008, `set_device_info ${key}`);
        assert.equal(call(p, 'set_device_time', evil).error_code, -1008, `generic set_ ${key}`);
        assert.equal(call(p, key).error_code, -1002, `method ${key}`);
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.deepEqual(ok(call(p, 'get_led_info')), led);
      assert.equal(Object.getPrototypeOf(ok(call(p, 'get_device_time'))), Object.prototype);
      assert.equal(call(p, 'toString').error_code, -1002);
    });

    it('answers get_device_time from the clock', () => {
      const p = plug('P300(EU)_1.0_1.0.15', clock);
      const t = ok(call(p, 'get_device_time'));
      assert.equal(t.timestamp, Date.UTC(2024, 0, 20, 9, 0, 0) / 1000);
      assert.equal(t.time_diff, 60);
      assert.equal(t.region, 'Europe/Berlin');
    });

    it('answers captured methods with a deep copy and unknown ones with -1002', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock);
      const nego = ok(call(p, 'component_nego'));
      assert.ok(Array.isArray(nego.component_list));
      (nego.component_list as SimJson[]).length = 0;
      assert.ok((ok(call(p, 'component_nego')).component_list as SimJson[]).length > 10);
      assert.equal(ok(call(p, 'get_latest_fw')).fw_ver, '1.3.0 Build 230905 Rel.152200');
      assert.equal(call(p, 'get_frobnicator').error_code, -1002);
      assert.equal(p.handle({ params: {} }).error_code, -1003);
    });

    it('sets captured settings through the matching set_ method', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock);
      ok(call(p, 'set_auto_off_config', { enable: true, delay_min: 30 }));
      assert.deepEqual(ok(call(p, 'get_auto_off_config')), { delay_min: 30, enable: true });
      assert.equal(call(p, 'set_auto_off_config', { enable: 'yes' }).error_code, -1008);
    });

    it('calls onReboot for device_reboot', () => {
      const onReboot = sinon.spy();
      const p = plug('P110(UK)_1.0_1.3.0', clock, { onReboot });
      ok(call(p, 'device_reboot', { delay: 1 }));
      sinon.assert.calledOnce(onReboot);
    });
  });

  describe('countdown', () => {
    it('arms one rule, refuses a second, and fires when the clock passes it', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock);
      const added = ok(call(p, 'add_countdown_rule', { delay: 60, desired_states: { on: true }, enable: true, remain: 60 }));
      assert.match(String(added.id), /^C\d+$/);
      assert.deepEqual(p.state.countdown, { id: added.id, delaySeconds: 60, remainSeconds: 60, desiredOn: true });
      assert.equal(call(p, 'add_countdown_rule', { delay: 30, desired_states: { on: false }, enable: true }).error_code, -1902);

      clock.advance(45_000);
      const rules = ok(call(p, 'get_countdown_rules'));
      assert.equal(rules.enable, true);
      assert.equal(rules.countdown_rule_max_count, 1);
      assert.deepEqual(rules.rule_list, [{ id: added.id, delay: 60, remain: 15, enable: true, desired_states: { on: true } }]);
      assert.equal(p.state.on, false);

      clock.advance(15_000);
      assert.equal(p.state.on, true);
      assert.equal(p.state.countdown, null);
      assert.equal(p.state.onTimeSeconds, 0);
      clock.advance(5_000);
      assert.equal(ok(call(p, 'get_device_info')).on_time, 5);
      assert.equal(ok(call(p, 'get_countdown_rules')).enable, false);
    });

    it('fires on tick() and accepts the action form', () => {
      const p = plug('P100(US)_1.0.0_1.1.3', clock);
      ok(call(p, 'add_countdown_rule', { delay: 10, action: 'off' }));
      clock.advance(10_000);
      p.tick();
      assert.equal(p.state.on, false);
    });

    it('edits, removes and validates rules', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock);
      const { id } = ok(call(p, 'add_countdown_rule', { delay: 600, desired_states: { on: true } }));
      assert.ok(typeof id === 'string', 'the new rule has an id');
      clock.advance(100_000);
      ok(call(p, 'edit_countdown_rule', { id, delay: 120, enable: true }));
      assert.equal(p.state.countdown!.remainSeconds, 120);
      assert.equal(call(p, 'edit_countdown_rule', { id: 'C99', enable: false }).error_code, -1901);
      ok(call(p, 'remove_countdown_rules', { remove_all: true }));
      assert.equal(p.state.countdown, null);
      assert.deepEqual(ok(call(p, 'get_countdown_rules')).rule_list, []);
      clock.advance(200_000);
      assert.equal(p.state.on, false);
      assert.equal(call(p, 'add_countdown_rule', { delay: 0, desired_states: { on: true } }).error_code, -1008);
      assert.equal(call(p, 'add_countdown_rule', { delay: 86_401, desired_states: { on: true } }).error_code, -1008);
      assert.equal(call(p, 'add_countdown_rule', { delay: 10 }).error_code, -1008);
      assert.equal(call(p, 'remove_countdown_rules', {}).error_code, -1008);
    });
  });

  describe('energy', () => {
    it('adds 100 Wh and 60 min for one hour on at 100 W', () => {
      const p = createLogic(loadFixture('P110(UK)_1.0_1.3.0'), { clock, loadWatts: 100 }) as PlugLogic;
      const before = ok(call(p, 'get_energy_usage'));
      assert.equal(before.current_power, 0);
      ok(call(p, 'set_device_info', { device_on: true }));
      assert.equal(ok(call(p, 'get_energy_usage')).current_power, 100_000);
      assert.deepEqual(ok(call(p, 'get_current_power')), { current_power: 100 });
      clock.advance(HOUR);
      const after = ok(call(p, 'get_energy_usage'));
      assert.equal(after.today_energy, (before.today_energy as number) + 100);
      assert.equal(after.month_energy, (before.month_energy as number) + 100);
      assert.equal(after.today_runtime, (before.today_runtime as number) + 60);
      assert.equal(after.month_runtime, (before.month_runtime as number) + 60);
      assert.equal(after.local_time, '2024-01-20 10:00:00');
      assert.equal(p.state.todayEnergyWh, after.today_energy);
      assert.equal(p.state.currentPowerW, 100);

      ok(call(p, 'set_device_info', { device_on: false }));
      clock.advance(HOUR);
      assert.equal(ok(call(p, 'get_energy_usage')).today_energy, after.today_energy);
      assert.equal(p.state.currentPowerW, 0);
    });

    it('stops accruing at the instant a countdown switches off, and follows setLoadWatts', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock, { loadWatts: 100 });
      ok(call(p, 'set_device_info', { device_on: true }));
      ok(call(p, 'add_countdown_rule', { delay: 1800, desired_states: { on: false } }));
      clock.advance(2 * HOUR);
      assert.equal(p.state.todayEnergyWh, 50);
      assert.equal(p.state.todayRuntimeMin, 3 + 30);

      ok(call(p, 'set_device_info', { device_on: true }));
      p.setLoadWatts(2000);
      clock.advance(30 * MINUTE);
      assert.equal(p.state.todayEnergyWh, 50 + 1000);
    });

    it('defaults to 60 W on an energy plug', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock);
      ok(call(p, 'set_device_info', { device_on: true }));
      clock.advance(HOUR);
      assert.equal(p.state.todayEnergyWh, 60);
    });

    it('resets today at local midnight and keeps the month', () => {
      clock.set(Date.UTC(2024, 0, 20, 23, 30, 0));
      const p = plug('P110(UK)_1.0_1.3.0', clock, { loadWatts: 100 });
      const month0 = p.state.monthEnergyWh;
      ok(call(p, 'set_device_info', { device_on: true }));
      clock.advance(HOUR);
      assert.equal(p.state.todayEnergyWh, 50);
      assert.equal(p.state.todayRuntimeMin, 30);
      assert.equal(p.state.monthEnergyWh, month0 + 100);
    });

    it('returns hourly, daily and monthly data consistent with the counters', () => {
      const p = plug('P110(EU)_1.0_1.2.3', clock, { loadWatts: 100 });
      ok(call(p, 'set_device_info', { device_on: true }));
      clock.advance(90 * MINUTE);
      const usage = ok(call(p, 'get_energy_usage'));
      const tz = 60 * 60; // P110(EU) fixture: time_diff 60
      const now = clock.now() / 1000;
      const midnight = Math.floor((now + tz) / 86_400) * 86_400 - tz;

      const hourly = ok(call(p, 'get_energy_data', { start_timestamp: midnight, end_timestamp: midnight + 86_399, interval: 60 }));
      const hours = hourly.data as number[];
      assert.equal(hours.length, 24);
      assert.equal(hourly.interval, 60);
      assert.equal(hourly.start_timestamp, midnight);
      assert.equal(hours.reduce((a, b) => a + b, 0), usage.today_energy);
      const currentHour = Math.floor((now - midnight) / 3600);
      assert.equal(hours[currentHour], 50, 'the current bucket holds the live 30 minutes');
      assert.equal(hours[currentHour - 1]! >= 100, true);

      const quarterStart = Date.UTC(2024, 0, 1) / 1000 - tz;
      const daily = ok(call(p, 'get_energy_data', { start_timestamp: quarterStart, end_timestamp: quarterStart, interval: 1440 }));
      const days = daily.data as number[];
      assert.equal(days.length, 20);
      assert.equal(days[19], usage.today_energy);
      assert.equal(days.reduce((a, b) => a + b, 0), usage.month_energy);

      const monthly = ok(call(p, 'get_energy_data', { start_timestamp: quarterStart, end_timestamp: quarterStart, interval: 43200 }));
      assert.deepEqual(monthly.data, [usage.month_energy]);

      assert.equal(call(p, 'get_energy_data', { start_timestamp: midnight, end_timestamp: midnight, interval: 30 }).error_code, -1008);
      assert.equal(call(p, 'get_energy_data', { start_timestamp: 'x', end_timestamp: midnight, interval: 60 }).error_code, -1008);
      assert.equal(call(p, 'get_energy_data', { start_timestamp: midnight, end_timestamp: midnight + 9 * 86_400, interval: 60 }).error_code, -1008);
    });

    it('updates get_device_usage and get_emeter_data live', () => {
      const p = plug('P115(US)_1.0_1.1.3', clock, { loadWatts: 120 });
      const before = ok(call(p, 'get_device_usage'));
      ok(call(p, 'set_device_info', { device_on: true }));
      clock.advance(HOUR);
      const after = ok(call(p, 'get_device_usage'));
      const t0 = before.time_usage as SimJsonObject;
      const t1 = after.time_usage as SimJsonObject;
      assert.equal(t1.today, 60);
      assert.equal(t1.past7, (t0.past7 as number) + 60);
      assert.equal((after.power_usage as SimJsonObject).today, 120);
      assert.equal((after.power_usage as SimJsonObject).past30, ((before.power_usage as SimJsonObject).past30 as number) + 120);
      const meter = ok(call(p, 'get_emeter_data'));
      assert.equal(meter.power_mw, 120_000);
      assert.equal(meter.voltage_mv, 122_133);
      assert.equal(meter.current_ma, Math.round((120_000 / 122_133) * 1000));
      assert.equal(meter.energy_wh, 1465 + 120);
    });

    it('refuses energy methods on a plug without energy_monitoring', () => {
      const p = plug('P100(US)_1.0.0_1.4.0', clock, { loadWatts: 100 });
      for (const m of ['get_energy_usage', 'get_current_power', 'get_energy_data', 'get_emeter_data']) {
        assert.equal(call(p, m, {}).error_code, -1002, m);
      }
      ok(call(p, 'set_device_info', { device_on: true }));
      clock.advance(HOUR);
      assert.equal(p.state.currentPowerW, 0);
      assert.equal(p.state.todayEnergyWh, 0);
      assert.equal(((ok(call(p, 'get_device_usage')).time_usage as SimJsonObject).today as number) >= 60, true);
    });
  });

  describe('multipleRequest', () => {
    it('answers in order and stops at the first error', () => {
      const p = plug('P110(UK)_1.0_1.3.0', clock);
      const reply = ok(
        call(p, 'multipleRequest', {
          requests: [
            { method: 'set_device_info', params: { device_on: true } },
            { method: 'get_device_info' },
            { method: 'get_nothing' },
            { method: 'set_device_info', params: { device_on: false } },
          ],
        }),
      );
      const responses = reply.responses as SimJsonObject[];
      assert.deepEqual(
        responses.map((r) => [r.method, r.error_code]),
        [
          ['set_device_info', 0],
          ['get_device_info', 0],
          ['get_nothing', -1002],
        ],
      );
      assert.equal((responses[1]!.result as SimJsonObject).device_on, true);
      assert.equal(p.state.on, true, 'the request after the failure did not run');
      assert.equal(call(p, 'multipleRequest', {}).error_code, -1008);
    });
  });

  describe('P300 strip', () => {
    // The capture scrubbed the socket ids; the loader numbers them after the strip's own id.
    const stripId = String((loadFixture('P300(EU)_1.0_1.0.15').data.get_device_info as SimJsonObject).device_id);
    const socketId = (n: number): string => `${stripId}0${n - 1}`;
    const first = socketId(1);

    it('pages get_child_device_list with start_index and sum', () => {
      const p = plug('P300(EU)_1.0_1.0.15', clock, { childPageSize: 2 });
      const page1 = ok(call(p, 'get_child_device_list', { start_index: 0 }));
      assert.equal(page1.sum, 3);
      assert.equal(page1.start_index, 0);
      assert.equal((page1.child_device_list as SimJson[]).length, 2);
      const page2 = ok(call(p, 'get_child_device_list', { start_index: 2 }));
      const list2 = page2.child_device_list as SimJsonObject[];
      assert.deepEqual(list2.map((c) => c.device_id), [socketId(3)]);
      assert.equal(list2[0]!.position, 1);
      assert.equal(call(p, 'get_child_device_list', { start_index: -1 }).error_code, -1008);
    });

    it('switches one socket through control_child (plain and batched requestData)', () => {
      const p = plug('P300(EU)_1.0_1.0.15', clock);
      assert.deepEqual(
        p.state.children!.map((c) => [c.deviceId, c.position, c.on]),
        [
          [first, 3, true],
          [socketId(2), 2, true],
          [socketId(3), 1, true],
        ],
      );
      const plain = ok(call(p, 'control_child', { device_id: first, requestData: { method: 'set_device_info', params: { device_on: false } } }));
      assert.deepEqual(plain, { responseData: { error_code: 0 } });
      assert.deepEqual(p.state.children!.map((c) => c.on), [false, true, true]);

      const batched = ok(
        call(p, 'control_child', {
          device_id: socketId(2),
          requestData: { method: 'multipleRequest', params: { requests: [{ method: 'set_device_info', params: { device_on: false, nickname: b64('Fan') } }] } },
        }),
      );
      const inner = batched.responseData as SimJsonObject;
      assert.equal(inner.error_code, 0);
      assert.deepEqual((inner.result as SimJsonObject).responses, [{ method: 'set_device_info', error_code: 0 }]);
      assert.deepEqual(p.state.children![1], { deviceId: socketId(2), position: 2, nickname: 'Fan', on: false });

      const info = ok(call(p, 'control_child', { device_id: first, requestData: { method: 'get_device_info' } }));
      assert.equal(((info.responseData as SimJsonObject).result as SimJsonObject).device_on, false);
      const listed = ok(call(p, 'get_child_device_list', { start_index: 0 })).child_device_list as SimJsonObject[];
      assert.equal(listed[0]!.device_on, false);
      assert.equal(listed[1]!.nickname, b64('Fan'));
    });

    it('rejects unknown children, missing requestData, and child-only calls on a plug', () => {
      const p = plug('P300(EU)_1.0_1.0.15', clock);
      assert.equal(call(p, 'control_child', { device_id: 'nope', requestData: { method: 'get_device_info' } }).error_code, -1008);
      assert.equal(call(p, 'control_child', { device_id: first }).error_code, -1008);
      const inner = ok(call(p, 'control_child', { device_id: first, requestData: { method: 'get_energy_usage' } }));
      assert.deepEqual(inner.responseData, { error_code: -1002 });
      assert.equal(call(p, 'set_device_info', { device_on: true }).error_code, -1008, 'the strip itself has no relay');
      const single = plug('P110(UK)_1.0_1.3.0', clock);
      assert.equal(call(single, 'get_child_device_list', { start_index: 0 }).error_code, -1002);
    });

    it('runs child countdowns on the shared clock', () => {
      const p = plug('P300(EU)_1.0_1.0.15', clock);
      ok(call(p, 'control_child', { device_id: first, requestData: { method: 'add_countdown_rule', params: { delay: 5, desired_states: { on: false } } } }));
      clock.advance(5000);
      assert.equal(p.state.children![0]!.on, false);
    });
  });
});
