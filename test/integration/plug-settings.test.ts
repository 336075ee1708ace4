/**
 * Plug settings (src/devices/plug-settings.ts) against the simulator over 127.0.0.1: each setting
 * read and set on the P110/P115 fixtures, refused on models without it (P100) before any change is
 * sent, bad inputs refused before anything is sent, the schedule add/edit/enable/remove round
 * trip, strips per socket, and the requests each change costs. Assertions are on the simulator's
 * state and on the envelopes that reached it, not on what the client says it did.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PlugSettingsVerbs, Strip, openSmart, parsePlugSettingsCommand, runPlugSettings } from '../../src/devices';
import type { Plug, PlugSettingsCommand, PlugSettingsResult } from '../../src/devices';
import { TapoError } from '../../src/protocol/errors';
import { ManualClock } from '../../src/simulator/logic/clock';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import type { SimulatedDevice } from '../../src/simulator';
import type { SimJsonObject } from '../../src/simulator/types';
import { useSimulatedDevices } from './sim-harness';
import type { DeviceConnection } from '../../src/connection';

const ADDRESS = { notStrip: 'notStripNode', stripHint: 'stripHintNode' } as const;

/** The methods of every envelope that reaches the device's logic (batches flattened, `child:` for a socket). */
function record(sim: SimulatedDevice): string[] {
  const logic = sim.logic as PlugLogic;
  const handle = logic.handle.bind(logic);
  const seen: string[] = [];
  logic.handle = (request: SimJsonObject): SimJsonObject => {
    const params = (request.params ?? {}) as { requests?: { method?: unknown }[]; requestData?: { method?: unknown } };
    if (request.method === 'multipleRequest') seen.push(`[${(params.requests ?? []).map((r) => String(r.method)).join(',')}]`);
    else if (request.method === 'control_child') seen.push(`child:${String(params.requestData?.method)}`);
    else seen.push(String(request.method));
    return handle(request);
  };
  return seen;
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

function inputRejection(payload: unknown): TapoError {
  try {
    parsePlugSettingsCommand(payload);
  } catch (e) {
    assert.ok(e instanceof TapoError, String(e));
    return e;
  }
  assert.fail(`expected ${JSON.stringify(payload)} to be refused`);
}

describe('plug settings against the simulator', function () {
  this.timeout(30_000);
  const sims = useSimulatedDevices();

  /** Starts `fixture`, opens it, and returns the plug with a recorder started after the learning batch. */
  async function open(fixture: string, clock = new ManualClock()): Promise<{ sim: SimulatedDevice; c: DeviceConnection; plug: Plug; sent: string[]; logic: PlugLogic }> {
    const sim = await sims.device({ fixture, clock });
    const c = sims.connect(sim);
    const device = await openSmart(c);
    assert.ok(!(device instanceof Strip));
    const sent = record(sim);
    return { sim, c, plug: device, sent, logic: sim.logic as PlugLogic };
  }

  async function run(plug: Plug, payload: unknown): Promise<PlugSettingsResult> {
    const command = parsePlugSettingsCommand(payload) as PlugSettingsCommand;
    assert.ok(command, `${JSON.stringify(payload)} is a settings payload`);
    return runPlugSettings(plug, undefined, command, ADDRESS);
  }

  it('reads every setting a P110 (UK 1.3.0) has in one request: auto-off, power-loss state, overload protection, schedules', async () => {
    const { plug, sent } = await open('P110(UK)_1.0_1.3.0');
    const got = await run(plug, { settings: 'read' });
    assert.deepEqual(got, {
      autoOff: { enabled: false, minutes: 120 },
      powerOnState: 'last',
      overloadProtection: { enabled: true, watts: 2960, maxWatts: 3379 },
      schedules: [{ id: 'S1', enabled: true, on: true, time: '11:50', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], once: false }],
      scheduleLimit: 32,
    });
    assert.equal('childLock' in got, false, 'no plug fixture lists child_protection');
    assert.deepEqual(sent, ['[get_device_info,get_auto_off_config,get_protection_power,get_max_power,get_schedule_rules]']);
  });

  it('sets auto-off with its read-back in one request; a partial change reads the config first', async () => {
    const { plug, sent, logic } = await open('P115(EU)_1.0_1.2.3');
    assert.deepEqual(await run(plug, { autoOff: { enabled: true, minutes: 30 } }), { autoOff: { enabled: true, minutes: 30 } });
    assert.deepEqual(sent, ['[set_auto_off_config,get_auto_off_config,get_device_info]']);
    assert.deepEqual(logic.settingsState.autoOff, { enabled: true, minutes: 30, offAt: null });
    sent.length = 0;
    assert.deepEqual(await run(plug, { autoOff: false }), { autoOff: { enabled: false, minutes: 30 } });
    assert.deepEqual(sent, ['get_auto_off_config', '[set_auto_off_config,get_auto_off_config,get_device_info]']);
    assert.equal(logic.settingsState.autoOff?.enabled, false);
  });

  it('auto-off switches the simulated plug off after its delay on the device clock', async () => {
    const clock = new ManualClock();
    const { plug, logic } = await open('P110(EU)_1.0_1.2.3', clock);
    await run(plug, { autoOff: { enabled: true, minutes: 1 } });
    await plug.setOn(true);
    clock.advance(59_000);
    const running = await run(plug, { settings: 'read' });
    assert.deepEqual(running.autoOff, { enabled: true, minutes: 1, remainingSeconds: 1 });
    assert.equal(logic.state.on, true);
    clock.advance(1_000);
    assert.equal(logic.state.on, false, 'off once the minute is up');
    assert.equal((await plug.getInfo()).on, false);
    assert.deepEqual((await run(plug, 'settings')).autoOff, { enabled: true, minutes: 1 });
  });

  it('sets the state after a power loss (default_states) with its read-back in one request', async () => {
    const { plug, sent, logic } = await open('P110(EU)_1.0_1.2.3');
    assert.deepEqual(await run(plug, { powerOnState: 'off' }), { powerOnState: 'off' });
    assert.deepEqual(logic.settingsState.defaultStates, { state: { on: false }, type: 'custom' });
    assert.deepEqual(await run(plug, { powerOnState: 'ON' }), { powerOnState: 'on' });
    assert.deepEqual(await run(plug, { powerOnState: 'last' }), { powerOnState: 'last' });
    assert.deepEqual(logic.settingsState.defaultStates, { state: {}, type: 'last_states' });
    assert.deepEqual(sent, ['[set_device_info,get_device_info]', '[set_device_info,get_device_info]', '[set_device_info,get_device_info]']);
  });

  it('sets overload protection within the model maximum: the object and the maximum are read, then set and read back together', async () => {
    const { plug, sent, logic } = await open('P115(US)_1.0_1.1.3');
    assert.deepEqual(await run(plug, { overloadProtection: { enabled: true, watts: 1500 } }), {
      overloadProtection: { enabled: true, watts: 1500, maxWatts: 1934 },
    });
    assert.deepEqual(sent, ['[get_protection_power,get_max_power]', '[set_protection_power,get_protection_power,get_max_power]']);
    assert.deepEqual(logic.settingsState.protection, { enabled: true, watts: 1500, maxWatts: 1934 });
  });

  it('refuses overload watts above the model maximum, and enabling without a threshold, before any change', async () => {
    const { plug, sent, logic } = await open('P115(US)_1.0_1.1.3');
    const before = logic.settingsState;
    const tooHigh = await rejection(run(plug, { overloadProtection: { watts: 1935 } }));
    assert.equal(tooHigh.kind, 'Input');
    assert.equal(tooHigh.reason, 'overloadWattsRange');
    assert.match(tooHigh.message, /1 to 1934 W/);
    const noThreshold = await rejection(run(plug, { overloadProtection: true }));
    assert.equal(noThreshold.reason, 'overloadNeedsWatts');
    assert.ok(!sent.some((m) => m.includes('set_')), sent.join(' '));
    assert.deepEqual(logic.settingsState, before);
  });

  it('refuses the child lock on a P110 (no child_protection component) with nothing sent', async () => {
    const { plug, sent } = await open('P110(EU)_1.0_1.2.3');
    const err = await rejection(run(plug, { childLock: true }));
    assert.equal(err.kind, 'Unsupported');
    assert.equal(err.reason, 'plugSettingUnsupported');
    assert.match(err.message, /child lock.*child_protection/);
    assert.deepEqual(sent, []);
  });

  it('reads and sets the child lock where component_nego lists child_protection (a P110 dump with the component added)', async () => {
    // No plug fixture has child_protection (python-kasa sees it on KE100 hub children): this dump is
    // the P110 one with the component added, to exercise get_device_info.child_protection and
    // set_child_protection {enable}.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tapo-childlock-'));
    const source = path.resolve(__dirname, '../../src/simulator/fixtures/P110(EU)_1.0_1.2.3.json');
    const dump = JSON.parse(readFileSync(source, 'utf8')) as { component_nego: { component_list: { id: string; ver_code: number }[] } };
    dump.component_nego.component_list.push({ id: 'child_protection', ver_code: 1 });
    const file = path.join(dir, 'P110-childlock.json');
    writeFileSync(file, JSON.stringify(dump));
    const { plug, sent, logic } = await open(file);
    assert.equal((await run(plug, 'settings')).childLock, false);
    assert.deepEqual(await run(plug, { childLock: true }), { childLock: true });
    assert.equal(logic.settingsState.childProtection, true);
    assert.deepEqual(sent.slice(1), ['[set_child_protection,get_device_info]']);
  });

  it('refuses auto-off, overload protection and the power-loss state on a P100 (US 1.1.3) before any change', async () => {
    const { plug, sent, logic } = await open('P100(US)_1.0.0_1.1.3');
    for (const [payload, setting] of [
      [{ autoOff: true }, 'auto_off'],
      [{ overloadProtection: { watts: 100 } }, 'power_protection'],
      [{ powerOnState: 'on' }, 'default_states'],
    ] as const) {
      const err = await rejection(run(plug, payload));
      assert.equal(err.kind, 'Unsupported', JSON.stringify(payload));
      assert.equal(err.params.component, setting);
      assert.equal(err.sent, false);
    }
    assert.deepEqual(sent, []);
    // A mix with one unsupported key changes nothing either.
    await rejection(run(plug, { autoOff: true, powerOnState: 'on' }));
    assert.deepEqual(sent, []);
    // What the model has is read: its schedules only.
    assert.deepEqual(await run(plug, 'settings'), { schedules: [], scheduleLimit: 20 });
    assert.equal(logic.settingsState.autoOff, undefined);
  });

  it('the P100 simulator answers -1002 for the settings methods its component list lacks', async () => {
    const sim = await sims.device({ fixture: 'P100(US)_1.0.0_1.1.3' });
    const logic = sim.logic as PlugLogic;
    for (const method of ['get_auto_off_config', 'set_auto_off_config', 'get_protection_power', 'get_max_power', 'set_child_protection']) {
      assert.equal(logic.handle({ method, params: { enable: true } }).error_code, -1002, method);
    }
    assert.equal(logic.handle({ method: 'set_device_info', params: { default_states: { type: 'last_states' } } }).error_code, -1008);
  });

  describe('bad inputs are refused before anything is sent', () => {
    const CASES: [string, unknown, string][] = [
      ['a time of 25:00', { addSchedule: { time: '25:00', days: 'daily', on: true } }, 'scheduleTime'],
      ['a time of 7:60', { addSchedule: { time: '7:60', days: 'daily', on: true } }, 'scheduleTime'],
      ['an unknown day', { addSchedule: { time: '07:30', days: ['mon', 'funday'], on: true } }, 'scheduleDayUnknown'],
      ['empty days', { addSchedule: { time: '07:30', days: [], on: true } }, 'scheduleDays'],
      ['no on', { addSchedule: { time: '07:30', days: 'daily' } }, 'scheduleMissing'],
      ['an offset on a clock time', { addSchedule: { time: '07:30', offset: 5, days: 'daily', on: true } }, 'scheduleOffsetNeedsSun'],
      ['an offset past 6 h', { addSchedule: { time: 'sunset', offset: 361, days: 'daily', on: true } }, 'scheduleOffset'],
      ['auto-off of 0 minutes', { autoOff: { minutes: 0 } }, 'autoOffMinutes'],
      ['auto-off of 1441 minutes', { autoOff: { enabled: true, minutes: 1441 } }, 'autoOffMinutes'],
      ['an unknown key beside valid ones', { autoOff: true, childLock: false, colour: 'red' }, 'unknownPlugSettingKeys'],
      ['an unknown key inside a schedule', { addSchedule: { time: '07:30', days: 'daily', on: true, repeat: 2 } }, 'unknownPlugSettingKeys'],
      ['a schedule change with another key', { addSchedule: { time: '07:30', days: 'daily', on: true }, autoOff: true }, 'plugScheduleAlone'],
      ['a power-loss state of "maybe"', { powerOnState: 'maybe' }, 'powerOnStateValue'],
      ['a child lock of "yes"', { childLock: 'yes' }, 'plugBoolean'],
      ['overload watts of 0', { overloadProtection: { watts: 0 } }, 'overloadWattsWhole'],
      ['an edit without changes', { editSchedule: { id: 'S1' } }, 'scheduleEditEmpty'],
      ['an enable without id', { enableSchedule: { enabled: true } }, 'scheduleId'],
      ['settings: "write"', { settings: 'write' }, 'plugSettingsRead'],
    ];
    for (const [label, payload, reason] of CASES) {
      it(`${label}: ${reason}`, () => {
        const err = inputRejection(payload);
        assert.equal(err.kind, 'Input');
        assert.equal(err.reason, reason);
        assert.equal(err.sent, false);
      });
    }

    it('names what was wrong', () => {
      assert.match(inputRejection({ addSchedule: { time: '25:00', days: 'daily', on: true } }).message, /"HH:MM".*the string "25:00"/);
      assert.match(inputRejection({ addSchedule: { time: '07:30', days: ['mon', 'funday', 'x'], on: true } }).message, /unknown days "funday", "x"/);
      assert.match(inputRejection({ autoOff: true, colour: 'red' }).message, /unknown key colour; accepted: settings, autoOff/);
    });

    it('ordinary plug commands are not settings payloads', () => {
      for (const payload of ['on', 'status', true, { on: true }, { led: false }, { action: 'toggle' }]) {
        assert.equal(parsePlugSettingsCommand(payload), undefined, JSON.stringify(payload));
      }
    });
  });

  it('adds, edits, disables, enables and removes a schedule; each change answers the schedules read back', async () => {
    const { plug, sent, logic } = await open('P110(EU)_1.0_1.2.3');
    const added = await run(plug, { addSchedule: { time: '07:30', days: ['mon', 'Tuesday', 'fri'], on: true } });
    assert.equal(added.added, 'S1');
    assert.deepEqual(added.schedules, [{ id: 'S1', enabled: true, on: true, time: '07:30', days: ['mon', 'tue', 'fri'], once: false }]);
    assert.deepEqual(sent, ['[add_schedule_rule,get_schedule_rules]'], 'an add and its read-back in one request');
    const wire = logic.settingsState.schedules?.[0];
    assert.equal(wire?.s_min, 450);
    assert.equal(wire?.week_day, 2 + 4 + 32);
    assert.equal(wire?.mode, 'repeat');
    assert.deepEqual(wire?.desired_states, { on: true });

    const sunset = await run(plug, { addSchedule: { time: 'sunset', offset: -30, days: 'once', on: false, enabled: false } });
    assert.equal(sunset.added, 'S2');
    assert.deepEqual(sunset.schedules?.[1], { id: 'S2', enabled: false, on: false, time: 'sunset', offset: -30, days: [], once: true });

    sent.length = 0;
    const edited = await run(plug, { editSchedule: { id: 'S1', time: '22:15', days: 'weekend', on: false } });
    assert.deepEqual(edited.schedules?.[0], { id: 'S1', enabled: true, on: false, time: '22:15', days: ['sat', 'sun'], once: false });
    assert.deepEqual(sent, ['get_schedule_rules', '[edit_schedule_rule,get_schedule_rules]'], 'a read, then the edit and its read-back');

    assert.equal((await run(plug, { enableSchedule: { id: 'S1', enabled: false } })).schedules?.[0]?.enabled, false);
    assert.equal(logic.settingsState.schedules?.[0]?.enable, false);
    assert.equal((await run(plug, { enableSchedule: 'S2' })).schedules?.[1]?.enabled, true);
    assert.equal((await run(plug, { editSchedule: { id: 'S2', offset: 45 } })).schedules?.[1]?.offset, 45);

    sent.length = 0;
    const removed = await run(plug, { removeSchedule: 'S1' });
    assert.deepEqual(removed.schedules?.map((s) => s.id), ['S2']);
    assert.deepEqual(sent, ['get_schedule_rules', '[remove_schedule_rules,get_schedule_rules]']);
    assert.deepEqual((await run(plug, { schedules: 'list' })).schedules?.map((s) => s.id), ['S2']);
  });

  it('refuses an unknown schedule id, and an offset on a clock schedule, after the read and before any change', async () => {
    const { plug, sent, logic } = await open('P110(UK)_1.0_1.3.0');
    const before = logic.settingsState.schedules;
    for (const payload of [{ removeSchedule: ['S1', 'S9'] }, { enableSchedule: 'S9' }, { editSchedule: { id: 'S9', on: false } }]) {
      const err = await rejection(run(plug, payload));
      assert.equal(err.kind, 'Input');
      assert.equal(err.reason, 'noSuchSchedule');
      assert.match(err.message, /No schedule "S9" on this plug; its schedules: S1/);
    }
    const offset = await rejection(run(plug, { editSchedule: { id: 'S1', offset: 10 } }));
    assert.equal(offset.reason, 'scheduleOffsetNeedsSun');
    assert.deepEqual(sent, ['get_schedule_rules', 'get_schedule_rules', 'get_schedule_rules', 'get_schedule_rules']);
    assert.deepEqual(logic.settingsState.schedules, before);
  });

  it('lists schedules over several pages, and a full list is refused by the device with -1802', async () => {
    const { plug, logic } = await open('P100(US)_1.0.0_1.4.0');
    for (let i = 0; i < 20; i++) await run(plug, { addSchedule: { time: `0${i % 10}:${10 + i}`, days: 'daily', on: i % 2 === 0 } });
    const listed = await run(plug, 'schedules');
    assert.equal(listed.schedules?.length, 20, 'two pages of 10 and one of none');
    assert.equal(listed.scheduleLimit, 20);
    const full = await rejection(run(plug, { addSchedule: { time: '23:59', days: 'daily', on: false } }));
    assert.equal(full.kind, 'Device');
    assert.equal(full.code, -1802);
    assert.equal(full.reason, 'codeScheduleFull');
    assert.equal(logic.settingsState.schedules?.length, 20);
  });

  describe('power strip (P300): per socket', () => {
    it('reads and sets a socket\'s auto-off and power-loss state through control_child; the strip as a whole is refused unsent', async () => {
      const sim = await sims.device({ fixture: 'P300(EU)_1.0_1.0.15' });
      const c = sims.connect(sim);
      const strip = await openSmart(c);
      assert.ok(strip instanceof Strip);
      const sent = record(sim);
      const whole = await rejection(runPlugSettings(strip, undefined, { type: 'read' }, ADDRESS));
      assert.equal(whole.reason, 'stripChooseSocket');
      assert.deepEqual(sent, ['get_child_device_list'], 'only the socket list, to name the positions');
      sent.length = 0;

      const read = await runPlugSettings(strip, 1, { type: 'read' }, ADDRESS);
      assert.deepEqual(read.autoOff, { enabled: false, minutes: 120 });
      assert.equal(typeof read.powerOnState, 'string');
      assert.equal(read.overloadProtection, undefined, 'P300 sockets list no power_protection');
      assert.deepEqual(read.schedules, []);
      assert.ok(sent.includes('get_child_device_component_list'), sent.join(' '));
      assert.ok(sent.every((m) => !m.startsWith('[')), 'a strip is never sent a batch');

      const changed = await runPlugSettings(strip, 1, { type: 'change', changes: { autoOff: { enabled: true, minutes: 5 }, powerOnState: 'on' } }, ADDRESS);
      assert.deepEqual(changed, { autoOff: { enabled: true, minutes: 5 }, powerOnState: 'on' });
      const logic = sim.logic as PlugLogic;
      const first = (logic.state.children ?? []).find((s) => s.position === 1);
      assert.ok(first);
      const socket = logic.child(first.deviceId);
      assert.deepEqual(socket?.settingsState.autoOff, { enabled: true, minutes: 5, offAt: null });
      assert.deepEqual(socket?.settingsState.defaultStates, { state: { on: true }, type: 'custom' });
      const refused = await rejection(runPlugSettings(strip, 1, { type: 'change', changes: { overloadProtection: { watts: 100 } } }, ADDRESS));
      assert.equal(refused.kind, 'Unsupported');
    });
  });

  it('PlugSettingsVerbs works on a plug from openSmart alone', async () => {
    const { plug } = await open('P110(EU)_1.0_1.2.3');
    assert.deepEqual((await new PlugSettingsVerbs(plug).listSchedules()).schedules, []);
  });
});
