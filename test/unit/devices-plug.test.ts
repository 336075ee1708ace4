import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TapoError } from '../../src/protocol/errors';
import type { JsonObject, JsonValue } from '../../src/protocol/types';
import type { RequestOptions, Requester } from '../../src/devices/requester';
import { Plug, Socket, Strip, decodeBase64Text, energyWindow } from '../../src/devices/plug';
import { identify } from '../../src/devices/identify';

const FIXTURES = path.resolve(__dirname, '../../src/simulator/fixtures');
const NOW = 1_700_000_000_000;
const UUID = 'TEST-TERMINAL';

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function o(v: JsonValue | undefined): JsonObject {
  return v as JsonObject;
}

/**
 * A SMART device that answers from a real fixture (one result per method name), keeps the state
 * it is told to change, pages `get_child_device_list` and records every envelope it receives.
 */
class FakeSmart implements Requester {
  readonly family = 'smart' as const;
  readonly sent: { req: JsonObject; options: RequestOptions | undefined }[] = [];
  readonly state: Record<string, JsonObject>;
  /** Forced error codes by method (also applied inside control_child). */
  readonly errors: Record<string, number> = {};
  /** Forced top-level error code for every envelope. */
  topError: number | undefined;
  /** Answers every `multipleRequest` with this top-level code (-1003: some P100s, field-issues.md §10). */
  refuseBatches: number | undefined;
  pageSize = 2;

  constructor(fixture: string) {
    this.state = JSON.parse(readFileSync(path.join(FIXTURES, `${fixture}.json`), 'utf8')) as Record<string, JsonObject>;
  }

  /** The methods received, a batch's entries joined with `+`. */
  get methods(): string[] {
    return this.sent.map((s) =>
      s.req.method === 'multipleRequest' ? (o(s.req.params).requests as JsonObject[]).map((r) => String(r.method)).join('+') : String(s.req.method),
    );
  }

  async request(req: JsonObject, options?: RequestOptions): Promise<JsonObject> {
    this.sent.push({ req: clone(req), options });
    if (this.topError !== undefined) return { error_code: this.topError };
    return this.handle(req, this.state);
  }

  private childState(id: string): Record<string, JsonObject> | undefined {
    const children = this.state.child_devices as unknown as Record<string, Record<string, JsonObject>> | undefined;
    return children?.[id];
  }

  private handle(req: JsonObject, state: Record<string, JsonObject>): JsonObject {
    const method = String(req.method);
    const params = o(req.params ?? {});
    const forced = this.errors[method];
    if (forced !== undefined) return { error_code: forced };
    switch (method) {
      case 'multipleRequest': {
        if (this.refuseBatches !== undefined) return { error_code: this.refuseBatches };
        // The device stops at the first failing entry (methods-plug.md §8).
        const responses: JsonObject[] = [];
        for (const sub of o(params).requests as JsonObject[]) {
          const reply = this.handle(sub, state);
          responses.push({ method: String(sub.method), ...reply });
          if (reply.error_code !== 0) break;
        }
        return { error_code: 0, result: { responses } };
      }
      case 'control_child': {
        const child = this.childState(String(params.device_id));
        if (!child) return { error_code: -1008 };
        return { error_code: 0, result: { responseData: this.handle(o(params.requestData), child) } };
      }
      case 'set_device_info': {
        Object.assign(state.get_device_info!, params);
        const list = this.state.get_child_device_list?.child_device_list as JsonObject[] | undefined;
        const entry = list?.find((c) => c.device_id === state.get_device_info!.device_id);
        if (entry && state !== this.state) Object.assign(entry, params);
        return { error_code: 0 };
      }
      case 'set_led_info':
        state.get_led_info = clone(params);
        return { error_code: 0 };
      case 'remove_countdown_rules':
        o(state.get_countdown_rules).rule_list = [];
        return { error_code: 0 };
      case 'add_countdown_rule':
        (o(state.get_countdown_rules).rule_list as JsonValue[]).push({ id: 'C1', ...params });
        return { error_code: 0, result: { id: 'C1' } };
      case 'get_child_device_list': {
        const all = state.get_child_device_list!.child_device_list as JsonValue[];
        const start = Number(params.start_index ?? 0);
        return {
          error_code: 0,
          result: { child_device_list: all.slice(start, start + this.pageSize), start_index: start, sum: all.length },
        };
      }
      default: {
        const result = state[method];
        return result === undefined ? { error_code: -1002 } : { error_code: 0, result: clone(result) };
      }
    }
  }
}

function plugFor(fake: FakeSmart, childId?: string): Plug {
  return childId === undefined ? new Plug(fake, { terminalUuid: UUID, now: () => NOW }) : new Socket(fake, childId, { terminalUuid: UUID, now: () => NOW });
}

function stripFor(fake: FakeSmart): Strip {
  return new Strip(fake, { terminalUuid: UUID, now: () => NOW });
}

async function rejectsWith(p: Promise<unknown>, kind: TapoError['kind'], code?: number): Promise<TapoError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TapoError, `expected a TapoError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (code !== undefined) assert.equal(e.code, code);
    return e;
  }
  assert.fail(`expected a ${kind} error`);
}

describe('devices/plug', () => {
  describe('getInfo', () => {
    it('sends the documented envelope and decodes the P110 reply', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      const info = await plugFor(fake).getInfo();
      // The first read learns the component list on the way, in the same request.
      assert.deepEqual(fake.sent[0]!.req, {
        method: 'multipleRequest',
        params: { requests: [{ method: 'component_nego' }, { method: 'get_device_info' }] },
        request_time_milis: NOW,
        terminal_uuid: UUID,
      });
      assert.equal(fake.sent.length, 1);
      assert.equal(fake.sent[0]!.options?.idempotent, true);
      assert.deepEqual(info, {
        deviceId: '0000000000000000000000000000000000000000',
        model: 'P110',
        type: 'SMART.TAPOPLUG',
        nickname: '#MASKED_NAME#',
        on: false,
        onTime: 0,
        firmware: '1.3.0 Build 230905 Rel.152200',
        hardware: '1.0',
        mac: '48-22-54-00-00-00',
        rssi: -45,
        signalLevel: 3,
        overheated: false,
        hasEnergy: true,
      });
    });

    it('asks component_nego once and reports plugs without a meter', async () => {
      const fake = new FakeSmart('P100(US)_1.0.0_1.1.3');
      const plug = plugFor(fake);
      assert.equal((await plug.getInfo()).hasEnergy, false);
      await plug.getInfo();
      assert.deepEqual(fake.methods, ['component_nego+get_device_info', 'get_device_info']);
    });

    it('a device that refuses batches (-1003) is asked one method at a time from then on', async () => {
      const fake = new FakeSmart('P100(US)_1.0.0_1.1.3');
      fake.refuseBatches = -1003;
      const plug = plugFor(fake);
      assert.equal((await plug.getInfo()).hasEnergy, false);
      assert.equal((await plug.turnOn()).on, true);
      assert.deepEqual(fake.methods, ['component_nego+get_device_info', 'component_nego', 'get_device_info', 'set_device_info', 'get_device_info']);
      assert.equal(plug.facts.batching, false);
    });

    it('leaves hasEnergy out when the device refuses component_nego', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      fake.errors.component_nego = -1002;
      const info = await plugFor(fake).getInfo();
      assert.equal(info.hasEnergy, undefined);
    });

    it('identify returns the agreed identity fields with a single read', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      assert.deepEqual(await identify(fake, 'plug'), {
        model: 'P110',
        firmware: '1.3.0 Build 230905 Rel.152200',
        hardware: '1.0',
        nickname: '#MASKED_NAME#',
        mac: '48-22-54-00-00-00',
        deviceType: 'SMART.TAPOPLUG',
      });
      assert.deepEqual(fake.methods, ['component_nego+get_device_info']);
    });
  });

  describe('switching', () => {
    it('turnOn/turnOff send set_device_info with an absolute state, marked idempotent', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      const plug = plugFor(fake);
      assert.equal((await plug.turnOn()).on, true);
      // The set and its read-back travel in one request.
      assert.deepEqual(fake.sent[0]!.req, {
        method: 'multipleRequest',
        params: { requests: [{ method: 'set_device_info', params: { device_on: true } }, { method: 'get_device_info' }] },
        request_time_milis: NOW,
        terminal_uuid: UUID,
      });
      assert.equal(fake.sent.length, 1);
      assert.equal(fake.sent[0]!.options?.idempotent, true);
      assert.equal(fake.state.get_device_info!.device_on, true);
      assert.equal((await plug.turnOff()).on, false);
      assert.equal(fake.state.get_device_info!.device_on, false);
    });

    it('toggle reads, then sets the absolute opposite', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      const plug = plugFor(fake);
      assert.equal((await plug.toggle()).on, true);
      assert.deepEqual(fake.methods, ['component_nego+get_device_info', 'set_device_info+get_device_info']);
      assert.ok(fake.sent.every((s) => s.options?.idempotent === true));
      assert.equal(fake.state.get_device_info!.device_on, true);
      assert.equal((await plug.toggle()).on, false);
      assert.deepEqual(fake.methods.slice(2), ['get_device_info', 'set_device_info+get_device_info']);
      assert.equal(fake.state.get_device_info!.device_on, false);
    });

    it('setOnAfter clears existing countdowns, adds one and reads back in one request (not replayed: the add is not)', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      const result = await plugFor(fake).setOnAfter(true, 60);
      assert.deepEqual(result.countdown, { id: 'C1', on: true, delaySeconds: 60 });
      assert.equal(result.info.model, 'P110');
      assert.deepEqual(
        fake.sent.map((s) => [s.req.method, s.req.params, s.options?.idempotent]),
        [
          [
            'multipleRequest',
            {
              requests: [
                { method: 'remove_countdown_rules', params: { remove_all: true } },
                { method: 'add_countdown_rule', params: { delay: 60, desired_states: { on: true }, enable: true, remain: 60 } },
                { method: 'get_device_info' },
              ],
            },
            false,
          ],
        ],
      );
      assert.deepEqual(fake.state.get_countdown_rules!.rule_list, [
        { id: 'C1', delay: 60, desired_states: { on: true }, enable: true, remain: 60 },
      ]);
    });

    for (const bad of [0, 86_401, 1.5, Number.NaN]) {
      it(`setOnAfter rejects a delay of ${bad} without sending anything`, async () => {
        const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
        await rejectsWith(plugFor(fake).setOnAfter(false, bad), 'Input');
        assert.equal(fake.sent.length, 0);
      });
    }

    it('maps a countdown conflict to a Device error with its code', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      fake.errors.add_countdown_rule = -1902;
      const err = await rejectsWith(plugFor(fake).setOnAfter(true, 10), 'Device', -1902);
      assert.match(err.message, /add_countdown_rule/);
    });

    it('maps a top-level session timeout to SessionExpired', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      fake.topError = 9999;
      await rejectsWith(plugFor(fake).turnOn(), 'SessionExpired', 9999);
    });
  });

  describe('LED', () => {
    it('getLed is true unless the rule is never; setLed sends the full object with the new rule', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      const plug = plugFor(fake);
      assert.equal(await plug.getLed(), true);
      await plug.setLed(false);
      const set = fake.sent.find((s) => fake.methods[fake.sent.indexOf(s)] === 'set_led_info+get_device_info')!;
      assert.deepEqual((o(set.req.params).requests as JsonObject[])[0]!.params, {
        led_rule: 'never',
        led_status: false,
        night_mode: { end_time: 538, night_mode_type: 'sunrise_sunset', start_time: 989, sunrise_offset: 62, sunset_offset: 0 },
      });
      assert.equal(set.options?.idempotent, true);
      assert.equal(await plug.getLed(), false);
      await plug.setLed(true);
      assert.equal(fake.state.get_led_info!.led_rule, 'always');
    });
  });

  describe('energy', () => {
    it('getEnergyUsage converts mW to W and keeps Wh and minutes', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      fake.state.get_energy_usage!.current_power = 12_345;
      assert.deepEqual(await plugFor(fake).getEnergyUsage(), {
        currentPower: 12.345,
        todayEnergy: 0,
        monthEnergy: 1421,
        todayRuntime: 3,
        monthRuntime: 19742,
        localTime: '2024-01-20 09:25:31',
      });
    });

    it('falls back to get_current_power (whole W) when get_energy_usage has no current_power', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      delete fake.state.get_energy_usage!.current_power;
      fake.state.get_current_power!.current_power = 7;
      const usage = await plugFor(fake).getEnergyUsage();
      assert.equal(usage.currentPower, 7);
      assert.deepEqual(fake.methods, ['component_nego', 'get_energy_usage', 'get_current_power']);
    });

    it('getCurrentPower returns W', async () => {
      const fake = new FakeSmart('P115(EU)_1.0_1.2.3');
      fake.state.get_current_power!.current_power = 42;
      assert.equal(await plugFor(fake).getCurrentPower(), 42);
    });

    it('refuses energy reads on a plug without a meter, before sending them', async () => {
      const fake = new FakeSmart('P100(US)_1.0.0_1.4.0');
      await rejectsWith(plugFor(fake).getEnergyUsage(), 'Unsupported');
      assert.deepEqual(fake.methods, ['component_nego']);
    });

    it('hourly history: device-local midnight to 23:59:59, one entry per hour', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      fake.state.get_energy_data = { local_time: '2024-01-20 09:25:31', data: [5, 0, 12], start_timestamp: 0, interval: 60 };
      const data = await plugFor(fake).getEnergyData('hourly');
      const start = Date.UTC(2024, 0, 20) / 1000;
      const req = fake.sent.find((s) => s.req.method === 'get_energy_data')!;
      assert.deepEqual(req.req.params, { start_timestamp: start, end_timestamp: start + 86_399, interval: 60 });
      assert.deepEqual(data.entries, [
        { timestamp: start, energy: 5 },
        { timestamp: start + 3600, energy: 0 },
        { timestamp: start + 7200, energy: 12 },
      ]);
      assert.equal(data.localTime, '2024-01-20 09:25:31');
    });

    it('hourly history honours the device time zone and a multi-day range', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      fake.state.get_device_time!.time_diff = 60;
      fake.state.get_energy_data = { data: [] };
      await plugFor(fake).getEnergyData('hourly', {
        start: new Date('2024-01-20T23:30:00Z'),
        end: new Date('2024-01-23T12:00:00Z'),
      });
      const params = o(fake.sent.find((s) => s.req.method === 'get_energy_data')!.req.params);
      const start = Date.parse('2024-01-20T23:00:00Z') / 1000;
      assert.equal(params.start_timestamp, start);
      assert.equal(params.end_timestamp, start + 3 * 86_400 - 1);
    });

    it('daily history starts and ends at the first day of the quarter', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      fake.state.get_energy_data = { data: [100, 200] };
      const data = await plugFor(fake).getEnergyData('daily', { start: new Date('2024-05-17T10:00:00Z') });
      const q = Date.UTC(2024, 3, 1) / 1000;
      assert.deepEqual(o(fake.sent.at(-1)!.req.params), { start_timestamp: q, end_timestamp: q, interval: 1440 });
      assert.deepEqual(data.entries, [
        { timestamp: q, energy: 100 },
        { timestamp: q + 86_400, energy: 200 },
      ]);
    });

    it('monthly history starts at 1 January and steps by calendar month', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      fake.state.get_energy_data = { data: [1, 2, 3] };
      const data = await plugFor(fake).getEnergyData('monthly');
      const jan = Date.UTC(2024, 0, 1) / 1000;
      assert.deepEqual(o(fake.sent.at(-1)!.req.params), { start_timestamp: jan, end_timestamp: jan, interval: 43_200 });
      assert.deepEqual(
        data.entries.map((e) => e.timestamp),
        [jan, Date.UTC(2024, 1, 1) / 1000, Date.UTC(2024, 2, 1) / 1000],
      );
    });

    it('rejects hourly ranges over 8 days and reversed ranges', () => {
      assert.throws(() => energyWindow('hourly', 0, 9 * 86_400, 0), (e: unknown) => e instanceof TapoError && e.kind === 'Input');
      assert.throws(() => energyWindow('hourly', 86_400, 0, 0), (e: unknown) => e instanceof TapoError && e.kind === 'Input');
      assert.deepEqual(energyWindow('hourly', 0, 7 * 86_400, 0), { start: 0, end: 8 * 86_400 - 1 });
    });
  });

  describe('strips', () => {
    it('getChildren pages get_child_device_list and sorts by position', async () => {
      const fake = new FakeSmart('P300(EU)_1.0_1.0.15');
      const children = await stripFor(fake).getChildren();
      assert.deepEqual(
        fake.sent.map((s) => s.req.params),
        [{ start_index: 0 }, { start_index: 2 }],
      );
      assert.deepEqual(
        children.map((c) => [c.position, c.deviceId, c.nickname, c.on, c.overheated]),
        [
          [1, 'SCRUBBED_CHILD_DEVICE_ID_3', '#MASKED_NAME#', true, false],
          [2, 'SCRUBBED_CHILD_DEVICE_ID_2', '#MASKED_NAME#', true, false],
          [3, 'SCRUBBED_CHILD_DEVICE_ID_1', '#MASKED_NAME#', true, false],
        ],
      );
    });

    it('a child plug wraps every request in control_child', async () => {
      const fake = new FakeSmart('P300(EU)_1.0_1.0.15');
      const socket = await stripFor(fake).socket(1);
      fake.sent.length = 0;
      await socket.turnOff();
      assert.deepEqual(fake.sent[0]!.req, {
        method: 'control_child',
        params: {
          device_id: 'SCRUBBED_CHILD_DEVICE_ID_3',
          requestData: { method: 'set_device_info', params: { device_on: false } },
        },
        request_time_milis: NOW,
        terminal_uuid: UUID,
      });
      assert.equal(fake.sent[0]!.options?.idempotent, true);
      const childState = (fake.state.child_devices as unknown as Record<string, Record<string, JsonObject>>)
        .SCRUBBED_CHILD_DEVICE_ID_3!;
      assert.equal(childState.get_device_info!.device_on, false);
      await socket.getComponents();
      const info = await socket.getInfo();
      assert.equal(info.on, false);
      assert.equal(info.position, 1);
      assert.equal(info.hasEnergy, false);
    });

    it('child() finds sockets by id and rejects unknown ones', async () => {
      const fake = new FakeSmart('P300(EU)_1.0_1.0.15');
      const socket = await stripFor(fake).socket('SCRUBBED_CHILD_DEVICE_ID_2');
      assert.equal(socket.childId, 'SCRUBBED_CHILD_DEVICE_ID_2');
      const err = await rejectsWith(stripFor(fake).socket(7), 'Input');
      assert.match(err.message, /1, 2, 3/);
    });

    it('maps an error inside responseData', async () => {
      const fake = new FakeSmart('P300(EU)_1.0_1.0.15');
      fake.errors.get_device_info = -1008;
      await rejectsWith(plugFor(fake, 'SCRUBBED_CHILD_DEVICE_ID_1').getInfo(), 'Input', -1008);
      assert.equal(fake.sent[0]!.req.method, 'control_child');
    });
  });

  describe('decodeBase64Text', () => {
    it('decodes base64 UTF-8 names and leaves plain text alone', () => {
      assert.equal(decodeBase64Text(Buffer.from('Küche', 'utf8').toString('base64')), 'Küche');
      assert.equal(decodeBase64Text('Lamp'), 'Lamp');
      assert.equal(decodeBase64Text('Desk lamp'), 'Desk lamp');
    });
  });

  describe('call', () => {
    it('returns the result of a raw method and marks reads idempotent', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      const plug = plugFor(fake);
      assert.deepEqual(await plug.call('get_device_time'), { region: 'Europe/London', time_diff: 0, timestamp: 1705742730 });
      assert.equal(fake.sent[0]!.options?.idempotent, true);
      await plug.call('device_reboot', { delay: 1 }).catch(() => undefined);
      assert.equal(fake.sent[1]!.options?.idempotent, false);
      assert.deepEqual(fake.sent[1]!.req.params, { delay: 1 });
    });

    it('maps an unknown method to Unsupported', async () => {
      const fake = new FakeSmart('P110(UK)_1.0_1.3.0');
      await rejectsWith(plugFor(fake).call('get_something_else'), 'Unsupported', -1002);
    });
  });
});
