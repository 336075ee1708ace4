import { strict as assert } from 'node:assert';
import * as sinon from 'sinon';
import { loadFixture } from '../../src/simulator/fixtures';
import { CameraLogic, MOVE_STEP, ManualClock, PAN_LIMIT, TILT_LIMIT, createLogic } from '../../src/simulator/logic';
import type { SimJson, SimJsonObject } from '../../src/simulator/types';

type Sub = { method: string; params?: SimJson };

function camera(name: string, clock: ManualClock, onReboot?: () => void): CameraLogic {
  const logic = createLogic(loadFixture(name), { clock, ...(onReboot !== undefined ? { onReboot } : {}) });
  assert.ok(logic instanceof CameraLogic);
  return logic;
}

/** Sends a batch and returns its responses. */
function batch(cam: CameraLogic, requests: Sub[]): SimJsonObject[] {
  const reply = cam.handle({ method: 'multipleRequest', params: { requests } });
  assert.equal(reply.error_code, 0);
  return (reply.result as SimJsonObject).responses as SimJsonObject[];
}

/** One named method in a batch; asserts success and returns its result. */
function one(cam: CameraLogic, method: string, params: SimJson = {}): SimJsonObject {
  const [r] = batch(cam, [{ method, params }]);
  assert.equal(r!.error_code, 0, `${method} failed: ${JSON.stringify(r)}`);
  assert.equal(r!.method, method);
  return r!.result as SimJsonObject;
}

/** One named method in a batch; returns its error code. */
function code(cam: CameraLogic, method: string, params: SimJson = {}): number {
  return batch(cam, [{ method, params }])[0]!.error_code as number;
}

const privacy = (enabled: 'on' | 'off'): SimJsonObject => ({ lens_mask: { lens_mask_info: { enabled } } });

describe('simulator CameraLogic', () => {
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2024, 11, 24, 0, 0, 0));
  });

  describe('request forms', () => {
    it('answers named methods in a batch with method, result and error_code', () => {
      const cam = camera('C210(EU)_2.0_1.4.3', clock);
      const rs = batch(cam, [
        { method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } },
        { method: 'getLensMaskConfig', params: { lens_mask: { name: ['lens_mask_info'] } } },
      ]);
      assert.equal(rs.length, 2);
      const basic = ((rs[0]!.result as SimJsonObject).device_info as SimJsonObject).basic_info as SimJsonObject;
      assert.equal(basic.device_model, 'C210');
      assert.equal(basic.sw_version, '1.4.3 Build 241010 Rel.33858n');
      assert.deepEqual(rs[1], { method: 'getLensMaskConfig', result: { lens_mask: { lens_mask_info: { enabled: 'on' } } }, error_code: 0 });
    });

    it('stops a batch at the first failure; unknown methods fail with -40210', () => {
      const cam = camera('C210(EU)_2.0_1.4.3', clock);
      const rs = batch(cam, [
        { method: 'setLensMaskConfig', params: privacy('off') },
        { method: 'getNoSuchThing', params: { nothing: { name: ['x'] } } },
        { method: 'setLedStatus', params: { led: { config: { enabled: 'off' } } } },
      ]);
      assert.deepEqual(
        rs.map((r) => [r.method, r.error_code]),
        [
          ['setLensMaskConfig', 0],
          ['getNoSuchThing', -40210],
        ],
      );
      assert.equal(cam.state.privacyMode, false);
      assert.equal(cam.state.ledOn, true, 'the entry after the failure did not run');
    });

    it('answers a lone named method, -40106 when unknown', () => {
      const cam = camera('C100_4.0_1.3.14', clock);
      const reply = cam.handle({ method: 'getLedStatus', params: { led: { name: ['config'] } } });
      assert.equal(reply.error_code, 0);
      assert.equal((((reply.result as SimJsonObject).led as SimJsonObject).config as SimJsonObject).enabled, 'on');
      assert.equal(cam.handle({ method: 'getNoSuchThing' }).error_code, -40106);
    });

    it('style B get returns modules at top level; an unknown module gives {} with error_code 0', () => {
      const cam = camera('C210_2.0_1.3.11', clock);
      const motor = cam.handle({ method: 'get', motor: { name: ['capability'] } });
      assert.equal(motor.error_code, 0);
      assert.equal(((motor.motor as SimJsonObject).capability as SimJsonObject).preset_number_max, '8');
      assert.deepEqual(cam.handle({ method: 'get', frobnicator: { name: ['x'] } }), { error_code: 0 });
      const both = cam.handle({ method: 'get', led: { name: ['config'] }, lens_mask: { name: 'lens_mask_info' } });
      assert.deepEqual(Object.keys(both).sort(), ['error_code', 'led', 'lens_mask']);
    });

    it('style B set merges into state; unknown module -40106; do without a handler -40106', () => {
      const cam = camera('C210_2.0_1.3.11', clock);
      assert.deepEqual(cam.handle({ method: 'set', ...privacy('off') }), { error_code: 0 });
      assert.equal(cam.state.privacyMode, false);
      assert.equal(cam.handle({ method: 'set', frobnicator: { x: { y: '1' } } }).error_code, -40106);
      assert.equal(cam.handle({ method: 'do', frobnicator: { x: {} } }).error_code, -40106);
    });

    it('answers other captured getters with their captured data', () => {
      const cam = camera('C210(EU)_2.0_1.4.3', clock);
      const sd = one(cam, 'getSdCardStatus', { harddisk_manage: { table: ['hd_info'] } });
      const hd = (sd.harddisk_manage as SimJsonObject).hd_info as SimJsonObject[];
      assert.equal(((hd[0]!.hd_info_1 as SimJsonObject).status as string).length > 0, true);
      assert.deepEqual(Object.keys(one(cam, 'getConnectionType', { network: { get_connection_type: {} } })).sort(), ['link_type', 'rssi', 'rssiValue', 'ssid']);
      const tz = one(cam, 'getTimezone', { system: { name: ['basic'] } });
      assert.equal(((tz.system as SimJsonObject).basic as SimJsonObject).zone_id, 'Europe/London');
      assert.equal(cam.state.motionDetection.sensitivity, 'medium');
      const scan = one(cam, 'scanApList', { onboarding: { scan: {} } });
      assert.equal((((scan.onboarding as SimJsonObject).scan as SimJsonObject).ap_list as SimJson[]).length, 3);
    });
  });

  describe('settings', () => {
    it('toggles privacy mode and rejects wrong value types with -40209', () => {
      const cam = camera('C210(EU)_2.0_1.4.3', clock);
      assert.equal(cam.state.privacyMode, true);
      one(cam, 'setLensMaskConfig', privacy('off'));
      assert.equal(cam.state.privacyMode, false);
      assert.equal(code(cam, 'setLensMaskConfig', { lens_mask: { lens_mask_info: { enabled: true } } }), -40209);
      assert.equal(code(cam, 'setLensMaskConfig', { lens_mask: { lens_mask_info: { enabled: 'maybe' } } }), -40209);
      assert.equal(code(cam, 'setLensMaskConfig', { lens_mask: { no_section: { enabled: 'on' } } }), -40101);
      assert.equal(cam.state.privacyMode, false);
      assert.deepEqual(one(cam, 'getLensMaskConfig', { lens_mask: { name: ['lens_mask_info'] } }), { lens_mask: { lens_mask_info: { enabled: 'off' } } });
    });

    it('refuses __proto__, constructor and prototype at any level of a set with -40209 and pollutes nothing', () => {
      const cam = camera('C210(EU)_2.0_1.4.3', clock);
      const before = JSON.stringify(cam.state);
      const info = one(cam, 'getLensMaskConfig', { lens_mask: { name: ['lens_mask_info'] } });
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        const payload = `{"enabled":"on","requests":[]}`;
        // Parsed from text, as a client's JSON is: `__proto__` is then an own key.
        const bodies = [
          `{"method":"set","lens_mask":{"${key}":${payload}}}`,
          `{"method":"set","${key}":{"lens_mask_info":${payload}}}`,
          `{"method":"set","lens_mask":{"lens_mask_info":{"${key}":${payload}}}}`,
        ];
        for (const body of bodies) {
          assert.deepEqual(cam.handle(JSON.parse(body) as SimJsonObject), { error_code: -40209 }, body);
        }
        const named = JSON.parse(`{"lens_mask":{"${key}":${payload}}}`) as SimJsonObject;
        assert.equal(code(cam, 'setLensMaskConfig', named), -40209, `setLensMaskConfig ${key}`);
        assert.equal(code(cam, 'setAlarmConfig', JSON.parse(`{"msg_alarm":{"${key}":${payload}}}`) as SimJsonObject), -40209);
      }
      const probe = {} as Record<string, unknown>;
      assert.equal(probe.enabled, undefined, 'Object.prototype was written');
      assert.equal(probe.requests, undefined, 'Object.prototype was written');
      assert.equal(JSON.stringify(cam.state), before);
      assert.deepEqual(one(cam, 'getLensMaskConfig', { lens_mask: { name: ['lens_mask_info'] } }), info);
    });

    it('finds no inherited member by name: reads answer nothing, named methods are unknown', () => {
      const cam = camera('C210(EU)_2.0_1.4.3', clock);
      assert.deepEqual(cam.handle({ method: 'get', lens_mask: { name: ['__proto__', 'constructor', 'toString'] } }), { error_code: 0, lens_mask: {} });
      assert.deepEqual(cam.handle(JSON.parse('{"method":"get","__proto__":{"name":["toString"]}}') as SimJsonObject), { error_code: 0 });
      for (const method of ['constructor', 'toString', 'hasOwnProperty']) assert.equal(code(cam, method), -40210, method);
    });

    it('sets LED, motion and person detection, day/night and night-vision mode', () => {
      const cam = camera('C100_4.0_1.3.14', clock);
      one(cam, 'setLedStatus', { led: { config: { enabled: 'off' } } });
      one(cam, 'setDetectionConfig', { motion_detection: { motion_det: { enabled: 'on', sensitivity: 'high', digital_sensitivity: '80' } } });
      one(cam, 'setPersonDetectionConfig', { people_detection: { detection: { enabled: 'on', sensitivity: '20' } } });
      one(cam, 'setDayNightModeConfig', { image: { common: { inf_type: 'on' } } });
      one(cam, 'setNightVisionModeConfig', { image: { switch: { night_vision_mode: 'md_night_vision' } } });
      one(cam, 'setLightFrequencyInfo', { image: { common: { light_freq_mode: '50' } } });
      const s = cam.state;
      assert.equal(s.ledOn, false);
      assert.deepEqual(s.motionDetection, { enabled: true, sensitivity: 'high', digitalSensitivity: '80' });
      assert.deepEqual(s.personDetection, { enabled: true, sensitivity: '20' });
      assert.equal(s.nightVision, 'on');
      assert.equal(s.nightVisionMode, 'md_night_vision');
      const common = (one(cam, 'getLightFrequencyInfo', { image: { name: 'common' } }).image as SimJsonObject).common as SimJsonObject;
      assert.equal(common.inf_type, 'on');
      assert.equal(common.light_freq_mode, '50');
      const det = one(cam, 'getDetectionConfig', { motion_detection: { name: ['motion_det'] } });
      assert.equal(((det.motion_detection as SimJsonObject).motion_det as SimJsonObject).digital_sensitivity, '80');
      // A getter called without params answers the sections it returned when captured.
      assert.deepEqual(Object.keys(one(cam, 'getPersonDetectionConfig')), ['people_detection']);
    });

    it('renames through setDeviceAlias', () => {
      const cam = camera('C100_4.0_1.3.14', clock);
      one(cam, 'setDeviceAlias', { system: { sys: { dev_alias: 'Garden' } } });
      const info = one(cam, 'getDeviceInfo', { device_info: { name: ['basic_info'] } });
      assert.equal(((info.device_info as SimJsonObject).basic_info as SimJsonObject).device_alias, 'Garden');
    });

    it('reports the clock live and reboots through rebootDevice', () => {
      const onReboot = sinon.spy();
      const cam = camera('C210(EU)_2.0_1.4.3', clock, onReboot);
      clock.advance(61_000);
      const status = (one(cam, 'getClockStatus', { system: { name: 'clock_status' } }).system as SimJsonObject).clock_status as SimJsonObject;
      assert.deepEqual(status, { local_time: '2024-12-24 00:01:01', seconds_from_1970: Date.UTC(2024, 11, 24, 0, 1, 1) / 1000 });
      one(cam, 'rebootDevice', { system: { reboot: 'null' } });
      sinon.assert.calledOnce(onReboot);
      assert.equal(cam.state.rebootCount, 1);
    });
  });

  describe('alarm', () => {
    it('reads, configures, starts and stops the alarm', () => {
      const cam = camera('C210(EU)_2.0_1.4.3', clock);
      const cfg = one(cam, 'getAlertConfig', { msg_alarm: { name: ['chn1_msg_alarm_info', 'capability'], table: ['usr_def_audio'] } });
      assert.deepEqual(Object.keys(cfg.msg_alarm as SimJsonObject).sort(), ['capability', 'chn1_msg_alarm_info', 'usr_def_audio']);
      const set = cam.handle({
        method: 'set',
        msg_alarm: { chn1_msg_alarm_info: { alarm_type: '0', enabled: 'on', light_type: '0', alarm_mode: ['sound', 'light'], alarm_volume: 'high', alarm_duration: '0' } },
      });
      assert.equal(set.error_code, 0);
      assert.equal(cam.state.alarmConfig.enabled, 'on');
      const viaLast = one(cam, 'getLastAlarmInfo', { msg_alarm: { name: ['chn1_msg_alarm_info'] } });
      assert.equal(((viaLast.msg_alarm as SimJsonObject).chn1_msg_alarm_info as SimJsonObject).enabled, 'on');
      const last = one(cam, 'getLastAlarmInfo', { system: { name: ['last_alarm_info'] } });
      assert.equal(((last.system as SimJsonObject).last_alarm_info as SimJsonObject).last_alarm_type, 'motion');

      assert.equal(cam.handle({ method: 'do', msg_alarm: { manual_msg_alarm: { action: 'start' } } }).error_code, 0);
      assert.equal(cam.state.alarmActive, true);
      clock.advance(600_000);
      assert.equal(cam.state.alarmActive, true, 'alarm_duration 0 sounds until stopped');
      assert.equal(cam.handle({ method: 'do', msg_alarm: { manual_msg_alarm: { action: 'stop' } } }).error_code, 0);
      assert.equal(cam.state.alarmActive, false);
      assert.equal(cam.handle({ method: 'do', msg_alarm: { manual_msg_alarm: { action: 'loud' } } }).error_code, -40209);
    });

    it('ends by itself after a positive alarm_duration', () => {
      const cam = camera('C100_4.0_1.3.14', clock);
      assert.equal(cam.handle({ method: 'set', msg_alarm: { chn1_msg_alarm_info: { alarm_duration: '30' } } }).error_code, 0);
      cam.handle({ method: 'do', msg_alarm: { manual_msg_alarm: { action: 'start' } } });
      clock.advance(29_000);
      assert.equal(cam.state.alarmActive, true);
      clock.advance(1_000);
      assert.equal(cam.state.alarmActive, false);
    });
  });

  describe('pan/tilt and presets', () => {
    it('refuses motor commands in privacy mode with -64324', () => {
      const cam = camera('C210_2.0_1.3.11', clock);
      assert.equal(cam.state.privacyMode, true);
      assert.equal(code(cam, 'motorMove', { motor: { move: { x_coord: '10', y_coord: '0' } } }), -64324);
      assert.equal(code(cam, 'relativeMove', { motor: { movestep: { direction: '0' } } }), -64324);
      assert.equal(code(cam, 'motorMoveToPreset', { preset: { goto_preset: { id: '1' } } }), -64324);
      assert.equal(cam.handle({ method: 'do', motor: { move: { x_coord: '10', y_coord: '0' } } }).error_code, -64324);
      assert.deepEqual([cam.state.pan, cam.state.tilt], [0, 0]);
    });

    it('moves relatively, steps by direction and stops at the limits with -64304', () => {
      const cam = camera('C210_2.0_1.3.11', clock);
      one(cam, 'setLensMaskConfig', privacy('off'));
      one(cam, 'motorMove', { motor: { move: { x_coord: '10', y_coord: '-5' } } });
      assert.deepEqual([cam.state.pan, cam.state.tilt], [10, -5]);
      one(cam, 'relativeMove', { motor: { movestep: { direction: '90' } } });
      assert.deepEqual([cam.state.pan, cam.state.tilt], [10, -5 + MOVE_STEP]);
      one(cam, 'relativeMove', { motor: { movestep: { direction: '180' } } });
      assert.deepEqual([cam.state.pan, cam.state.tilt], [10 - MOVE_STEP, -5 + MOVE_STEP]);
      assert.equal(cam.handle({ method: 'do', motor: { move: { x_coord: String(PAN_LIMIT + 1), y_coord: '0' } } }).error_code, -64304);
      assert.equal(code(cam, 'motorMove', { motor: { move: { x_coord: '0', y_coord: String(-2 * TILT_LIMIT) } } }), -64304);
      assert.deepEqual([cam.state.pan, cam.state.tilt], [10 - MOVE_STEP, -5 + MOVE_STEP]);
      assert.equal(cam.handle({ method: 'do', motor: { move: { x_coord: String(PAN_LIMIT), y_coord: String(TILT_LIMIT - 5) } } }).error_code, 0);
      assert.deepEqual([cam.state.pan, cam.state.tilt], [PAN_LIMIT, TILT_LIMIT]);
      assert.equal(code(cam, 'relativeMove', { motor: { movestep: { direction: '400' } } }), -40209);
      assert.equal(code(cam, 'motorMove', { motor: { move: { x_coord: 'left' } } }), -40209);
    });

    it('keeps the captured preset, adds at the current position, goes to and deletes presets', () => {
      const cam = camera('C210_2.0_1.3.11', clock);
      assert.deepEqual(cam.state.presets.map((p) => [p.id, p.name]), [['1', 'Viewpoint 1']]);
      const listed = (one(cam, 'getPresetConfig', { preset: { name: ['preset'] } }).preset as SimJsonObject).preset as SimJsonObject;
      assert.deepEqual(listed, { id: ['1'], name: ['Viewpoint 1'], position_pan: ['-0.176836'], position_tilt: ['-0.859297'], read_only: ['0'] });

      one(cam, 'setLensMaskConfig', privacy('off'));
      one(cam, 'motorMove', { motor: { move: { x_coord: '40', y_coord: '20' } } });
      one(cam, 'addMotorPostion', { preset: { set_preset: { name: 'Door', save_ptz: '1' } } });
      assert.deepEqual(cam.state.presets[1], { id: '2', name: 'Door', pan: 40, tilt: 20 });
      const after = (one(cam, 'getPresetConfig', { preset: { name: ['preset'] } }).preset as SimJsonObject).preset as SimJsonObject;
      assert.deepEqual(after.id, ['1', '2']);
      assert.equal((after.position_pan as string[])[1], (40 / PAN_LIMIT).toFixed(6));

      one(cam, 'motorMove', { motor: { move: { x_coord: '-60', y_coord: '-30' } } });
      one(cam, 'motorMoveToPreset', { preset: { goto_preset: { id: '2' } } });
      assert.deepEqual([cam.state.pan, cam.state.tilt], [40, 20]);
      assert.equal(code(cam, 'motorMoveToPreset', { preset: { goto_preset: { id: '9' } } }), -64302);

      one(cam, 'deletePreset', { preset: { remove_preset: { id: ['1'] } } });
      assert.deepEqual(cam.state.presets.map((p) => p.id), ['2']);
      assert.equal(code(cam, 'deletePreset', { preset: { remove_preset: { id: ['1'] } } }), -64302);
    });

    it('refuses more presets than the motor holds with -64306', () => {
      const cam = camera('TC70_3.0_1.3.11', clock);
      one(cam, 'setLensMaskConfig', privacy('off'));
      const start = cam.state.presets.length;
      for (let i = start; i < 8; i++) one(cam, 'addMotorPostion', { preset: { set_preset: { name: `P${i}`, save_ptz: '1' } } });
      assert.equal(code(cam, 'addMotorPostion', { preset: { set_preset: { name: 'one too many', save_ptz: '1' } } }), -64306);
      assert.equal(cam.state.presets.length, 8);
    });

    it('treats motor methods as unknown on a camera without pan/tilt', () => {
      const cam = camera('C100_4.0_1.3.14', clock);
      assert.equal(code(cam, 'motorMove', { motor: { move: { x_coord: '10', y_coord: '0' } } }), -40210);
      assert.equal(code(cam, 'getPresetConfig', { preset: { name: ['preset'] } }), -40210);
      assert.equal(cam.handle({ method: 'do', motor: { move: { x_coord: '10', y_coord: '0' } } }).error_code, -40106);
    });
  });
});
