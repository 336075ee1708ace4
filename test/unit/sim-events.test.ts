/**
 * The simulator's event pieces without sockets: the camera logic's detections
 * (`getLastAlarmInfo` of module `system` beside the siren form of module `msg_alarm`,
 * `searchDetectionList`) and a plug's button.
 */
import { strict as assert } from 'node:assert';

import { loadFixture } from '../../src/simulator/fixtures';
import { CameraLogic, ManualClock, PlugLogic, createLogic } from '../../src/simulator/logic';
import type { SimJsonObject } from '../../src/simulator/types';

describe('simulator events: camera logic (events.md §3)', () => {
  let clock: ManualClock;
  const T0 = Date.UTC(2024, 10, 3, 18, 40, 0);

  function camera(name = 'C101(US)_5.0_1.4.3', data?: SimJsonObject): CameraLogic {
    if (data !== undefined) return new CameraLogic(data, { clock });
    const logic = createLogic(loadFixture(name), { clock });
    assert.ok(logic instanceof CameraLogic);
    return logic;
  }

  function named(cam: CameraLogic, method: string, params: SimJsonObject): SimJsonObject {
    const reply = cam.handle({ method: 'multipleRequest', params: { requests: [{ method, params }] } });
    const entry = ((reply.result as SimJsonObject).responses as SimJsonObject[])[0]!;
    return entry;
  }

  const lastAlarm = (cam: CameraLogic): SimJsonObject => named(cam, 'getLastAlarmInfo', { system: { name: ['last_alarm_info'] } });
  const search = (cam: CameraLogic, from: number, to: number, extra: SimJsonObject = {}): SimJsonObject =>
    named(cam, 'searchDetectionList', { playback: { search_detection_list: { start_index: 0, channel: 0, start_time: from, end_time: to, end_index: 999, ...extra } } });

  beforeEach(() => {
    clock = new ManualClock(T0);
  });

  it('getLastAlarmInfo (module system) moves with each detection start; the msg_alarm form still reads the siren configuration', () => {
    const cam = camera();
    assert.deepEqual(lastAlarm(cam).result, { system: { last_alarm_info: { last_alarm_time: '0', last_alarm_type: '' } } }, 'as captured');
    const siren = named(cam, 'getLastAlarmInfo', { msg_alarm: { name: ['chn1_msg_alarm_info'] } });
    assert.equal(siren.error_code, 0);
    assert.deepEqual(Object.keys((siren.result as SimJsonObject).msg_alarm as SimJsonObject), ['chn1_msg_alarm_info']);

    clock.advance(5000);
    assert.equal(cam.detect('person', true), true);
    assert.deepEqual(lastAlarm(cam).result, { system: { last_alarm_info: { last_alarm_time: String(T0 / 1000 + 5), last_alarm_type: 'person' } } });
    clock.advance(5000);
    assert.equal(cam.detect('person', false), true, 'the end does not move the last alarm');
    assert.deepEqual(cam.lastAlarm(), { time: String(T0 / 1000 + 5), type: 'person' });
    cam.detect('motion', true);
    // The style-B form python-kasa sends (events.md §3.1).
    const styleB = cam.handle({ method: 'get', system: { name: ['last_alarm_info'] } });
    assert.deepEqual(styleB, { system: { last_alarm_info: { last_alarm_time: String(T0 / 1000 + 10), last_alarm_type: 'motion' } }, error_code: 0 });
    assert.deepEqual(named(cam, 'getLastAlarmInfo', { msg_alarm: { name: ['chn1_msg_alarm_info'] } }).result, siren.result, 'siren configuration unchanged');
    assert.deepEqual(cam.state.lastAlarm, { time: String(T0 / 1000 + 10), type: 'motion' });
    assert.deepEqual(cam.state.activeDetections, ['motion']);
  });

  it('searchDetectionList lists detections in a time range with alarm_type and events_1, pages by index, and ends ongoing ones now', () => {
    const cam = camera();
    const s = T0 / 1000;
    cam.detect('motion', true);
    clock.advance(10_000);
    cam.detect('motion', false);
    clock.advance(50_000);
    cam.detect('vehicle', true);
    clock.advance(5_000);
    cam.detect('babyCry', true);
    clock.advance(5_000);
    const all = search(cam, s - 600, s + 600);
    assert.equal(all.error_code, 0);
    assert.deepEqual(all.result, {
      playback: {
        search_detection_list: [
          { start_time: s, end_time: s + 10, alarm_type: 2, events_1: 2 },
          { start_time: s + 60, end_time: s + 70, alarm_type: 8, events_1: 128 },
          { start_time: s + 65, end_time: s + 70, alarm_type: 7, events_1: 64 },
        ],
      },
    });
    const later = search(cam, s + 30, s + 600);
    assert.deepEqual(((later.result as SimJsonObject).playback as SimJsonObject).search_detection_list, [
      { start_time: s + 60, end_time: s + 70, alarm_type: 8, events_1: 128 },
      { start_time: s + 65, end_time: s + 70, alarm_type: 7, events_1: 64 },
    ]);
    const paged = search(cam, s - 600, s + 600, { start_index: 1, end_index: 1 });
    assert.equal((((paged.result as SimJsonObject).playback as SimJsonObject).search_detection_list as unknown[]).length, 1);
    assert.equal(search(cam, s - 600, s + 600, { start_time: '1' }).error_code, -40209);
    assert.equal(named(cam, 'searchDetectionList', {}).error_code, -40209);
  });

  it('searchDetectionList needs the playback component; a reboot ends detections', () => {
    const data = loadFixture('C101(US)_5.0_1.4.3').data;
    const components = ((data.getAppComponentList as SimJsonObject).app_component as SimJsonObject).app_component_list as SimJsonObject[];
    ((data.getAppComponentList as SimJsonObject).app_component as SimJsonObject).app_component_list = components.filter((c) => c.name !== 'playback');
    const noPlayback = camera(undefined, data);
    assert.equal(search(noPlayback, 0, 1).error_code, -40210, 'unknown method inside a batch');

    const cam = camera();
    cam.detect('motion', true);
    cam.handle({ method: 'do', system: { reboot: 'null' } });
    assert.deepEqual(cam.state.activeDetections, []);
    assert.equal(cam.detect('motion', false), false);
  });
});

describe("simulator events: a plug's button (events.md §5.4)", () => {
  let clock: ManualClock;

  function plug(name: string): PlugLogic {
    const logic = createLogic(loadFixture(name), { clock });
    assert.ok(logic instanceof PlugLogic);
    return logic;
  }

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2024, 10, 3, 18, 40, 0));
  });

  it('press() toggles the relay by hand and on_time starts again', () => {
    const p = plug('P110(UK)_1.0_1.3.0');
    const info = (): SimJsonObject => p.handle({ method: 'get_device_info' }).result as SimJsonObject;
    if (!p.state.on) p.press();
    clock.advance(120_000);
    assert.ok((info().on_time as number) >= 120);
    assert.deepEqual(p.press(), { on: false });
    assert.deepEqual([info().device_on, info().on_time], [false, 0]);
    clock.advance(30_000);
    assert.deepEqual(p.press(), { on: true });
    assert.deepEqual([info().device_on, info().on_time], [true, 0]);
    clock.advance(7_000);
    assert.equal(info().on_time, 7);
    assert.throws(() => p.press(1), /only for strips/);
  });

  it('on a strip, press(position) toggles that socket only', () => {
    const strip = plug('P300(EU)_1.0_1.0.15');
    const before = strip.state.children!;
    const second = before.find((c) => c.position === 2)!;
    assert.deepEqual(strip.press(2), { on: !second.on, position: 2 });
    const after = strip.state.children!;
    assert.deepEqual(after.map((c) => c.on), before.map((c) => (c.position === 2 ? !c.on : c.on)));
    assert.throws(() => strip.press(), /say which socket/);
    assert.throws(() => strip.press(9), /no socket at position 9/);
  });
});
