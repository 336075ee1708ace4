import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TapoError } from '../../src/protocol/errors';
import type { JsonObject, JsonValue } from '../../src/protocol/types';
import type { RequestOptions, Requester } from '../../src/devices/requester';
import { CAMERA_SETTINGS, Camera } from '../../src/devices/camera';
import { identify } from '../../src/devices/identify';
import { parseCameraActions } from '../../src/devices/parse';

const FIXTURES = path.resolve(__dirname, '../../src/simulator/fixtures');

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function o(v: JsonValue | undefined): JsonObject {
  return v as JsonObject;
}

function isObj(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(target: JsonObject, patch: JsonObject): void {
  for (const [k, v] of Object.entries(patch)) {
    const t = target[k];
    if (isObj(v) && isObj(t)) merge(t, v);
    else target[k] = clone(v);
  }
}

/** Setters the fake applies to the state its getters answer from. */
const SETTER_TARGET: Record<string, string> = {
  setLensMaskConfig: 'getLensMaskConfig',
  setLedStatus: 'getLedStatus',
  setDetectionConfig: 'getDetectionConfig',
  setPersonDetectionConfig: 'getPersonDetectionConfig',
  setDayNightModeConfig: 'getLightFrequencyInfo',
  setLightFrequencyInfo: 'getLightFrequencyInfo',
};

/**
 * A camera that answers from a real fixture (one result per named method). Batches stop at the
 * first failing entry, as cameras do; `answerAtMost` makes it answer only the first entries.
 */
class FakeCamera implements Requester {
  readonly family = 'camera' as const;
  readonly sent: { req: JsonObject; options: RequestOptions | undefined }[] = [];
  readonly state: Record<string, JsonObject>;
  readonly errors: Record<string, number> = {};
  /** Reply to every style-B request with this code. */
  styleBError: number | undefined;
  /** Reject every style-B request with this (as a transport that refuses style B before sending does). */
  styleBThrows: TapoError | undefined;
  /** Reply to every envelope with this instead. */
  override: JsonObject | undefined;
  answerAtMost = Infinity;
  readonly actions: JsonObject[] = [];

  constructor(fixture: string) {
    this.state = JSON.parse(readFileSync(path.join(FIXTURES, `${fixture}.json`), 'utf8')) as Record<string, JsonObject>;
  }

  /** Named methods in the order they were sent (batch entries flattened). */
  get named(): string[] {
    return this.sent.flatMap((s) =>
      s.req.method === 'multipleRequest'
        ? (o(s.req.params).requests as JsonObject[]).map((r) => String(r.method))
        : [`${String(s.req.method)}(B)`],
    );
  }

  async request(req: JsonObject, options?: RequestOptions): Promise<JsonObject> {
    this.sent.push({ req: clone(req), options });
    if (this.override) return clone(this.override);
    if (req.method !== 'multipleRequest') {
      if (this.styleBThrows) throw this.styleBThrows;
      return this.styleB(req);
    }
    const responses: JsonObject[] = [];
    for (const sub of o(req.params).requests as JsonObject[]) {
      if (responses.length >= this.answerAtMost) break;
      const reply = this.named1(String(sub.method), o(sub.params));
      responses.push({ method: sub.method!, ...reply });
      if (reply.error_code !== 0) break;
    }
    return { error_code: 0, result: { responses } };
  }

  private named1(method: string, params: JsonObject): JsonObject {
    const forced = this.errors[method];
    if (forced !== undefined) return { error_code: forced };
    const target = SETTER_TARGET[method];
    if (target) {
      merge(this.state[target]!, params);
      return { error_code: 0, result: {} };
    }
    const preset = this.state.getPresetConfig ? o(o(this.state.getPresetConfig.preset).preset) : {};
    // The fixtures captured the alarm section with getAlertConfig (python-kasa), so that is where
    // this fake keeps it; getLastAlarmInfo and setAlarmConfig are answered from it by their params.
    const alarmInfo = this.state.getAlertConfig ? o(o(this.state.getAlertConfig.msg_alarm).chn1_msg_alarm_info) : undefined;
    switch (method) {
      case 'getLastAlarmInfo': {
        if (!isObj(params.msg_alarm)) break;
        return { error_code: 0, result: alarmInfo ? { msg_alarm: { chn1_msg_alarm_info: clone(alarmInfo) } } : {} };
      }
      case 'setAlarmConfig': {
        if (!alarmInfo) return { error_code: -40210 };
        merge(alarmInfo, o(params.msg_alarm));
        this.actions.push({ method, params });
        return { error_code: 0, result: {} };
      }
      case 'addMotorPostion': {
        const ids = preset.id as string[];
        ids.push(String(ids.length + 1));
        (preset.name as string[]).push(String(o(o(params.preset).set_preset).name));
        return { error_code: 0, result: {} };
      }
      case 'deletePreset': {
        const remove = o(o(params.preset).remove_preset).id as string[];
        const keep = (preset.id as string[]).map((id, i) => [id, (preset.name as string[])[i]!]).filter(([id]) => !remove.includes(id!));
        preset.id = keep.map(([id]) => id!);
        preset.name = keep.map(([, name]) => name!);
        return { error_code: 0, result: {} };
      }
      case 'motorMove':
      case 'relativeMove':
      case 'motorMoveToPreset':
      case 'rebootDevice':
      case 'setSirenStatus':
        this.actions.push({ method, params });
        return { error_code: 0, result: {} };
      default:
        break;
    }
    const result = this.state[method];
    return result === undefined ? { error_code: -40210 } : { error_code: 0, result: clone(result) };
  }

  private styleB(req: JsonObject): JsonObject {
    if (this.styleBError !== undefined) return { error_code: this.styleBError };
    const modules = Object.keys(req).filter((k) => k !== 'method');
    if (req.method === 'get') {
      const out: JsonObject = { error_code: 0 };
      for (const m of modules) {
        const found = Object.values(this.state).find((r) => isObj(r) && isObj(r[m]));
        if (found) out[m] = clone(found[m]!);
      }
      return out;
    }
    if (req.method === 'set' && isObj(req.msg_alarm)) {
      merge(o(this.state.getAlertConfig!.msg_alarm), req.msg_alarm);
    }
    this.actions.push(clone(req));
    return { error_code: 0 };
  }
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

const C210 = 'C210(EU)_2.0_1.4.3';
const TC70 = 'TC70_3.0_1.3.11';
const C101 = 'C101(US)_5.0_1.4.3';

/** What TpapTransport throws for a style-B object, before sending (src/protocol/tpap.ts). */
function tpapStyleBRefusal(): TapoError {
  return new TapoError('Unsupported', 'unexpected', { params: { detail: 'TPAP cameras take named methods' }, code: -40209, sent: false });
}

describe('devices/camera', () => {
  describe('read', () => {
    it('sends several reads as ONE multipleRequest with the documented params', async () => {
      const fake = new FakeCamera(C210);
      const values = await new Camera(fake).read(['privacyMode', 'led', 'motionDetection']);
      assert.equal(fake.sent.length, 1);
      assert.deepEqual(fake.sent[0]!.req, {
        method: 'multipleRequest',
        params: {
          requests: [
            { method: 'getLensMaskConfig', params: { lens_mask: { name: ['lens_mask_info'] } } },
            { method: 'getLedStatus', params: { led: { name: ['config'] } } },
            { method: 'getDetectionConfig', params: { motion_detection: { name: ['motion_det'] } } },
          ],
        },
      });
      assert.equal(fake.sent[0]!.options?.idempotent, true);
      assert.deepEqual(values, {
        privacyMode: true,
        led: true,
        motionDetection: { enabled: true, sensitivity: 'medium', digitalSensitivity: 50 },
      });
    });

    it('a second read of "all" on the same connection does not ask again for what the camera lacks', async () => {
      const facts = {};
      const first = new FakeCamera(C210);
      const v1 = await new Camera(first, { facts }).readAvailable(CAMERA_SETTINGS);
      const again = new FakeCamera(C210);
      const v2 = await new Camera(again, { facts }).readAvailable(CAMERA_SETTINGS);
      assert.deepEqual(v2, v1);
      assert.deepEqual(Object.keys(v2), Object.keys(v1), 'same order');
      // 19 reads left, in batches of 10: no refused entry, so no batch is sent twice.
      assert.deepEqual(again.sent.map((s) => (o(s.req.params).requests as JsonValue[]).length), [10, 9]);
      assert.ok(first.sent.length > again.sent.length);
    });

    it('decodes every setting of a C210 into plain values ("all": null for what it lacks), splitting only above the batch size', async () => {
      const fake = new FakeCamera(C210);
      const v = await new Camera(fake).readAvailable(CAMERA_SETTINGS);
      // 22 reads; the fixture lacks getDeviceIpAddress, getDiagnoseMode and getUserID, and a
      // camera stops a batch at a refused entry, so each of those sends the rest again.
      assert.deepEqual(
        fake.sent.map((s) => (o(s.req.params).requests as JsonValue[]).length),
        [10, 10, 7, 2],
      );
      assert.ok(fake.sent.every((s) => s.req.method === 'multipleRequest'));
      const alarmRead = fake.sent.flatMap((s) => o(s.req.params).requests as JsonObject[]).find((r) => r.method === 'getLastAlarmInfo');
      assert.deepEqual(alarmRead?.params, { msg_alarm: { name: ['chn1_msg_alarm_info'] } });
      assert.deepEqual(v, {
        deviceInfo: {
          model: 'C210',
          firmware: '1.4.3 Build 241010 Rel.33858n',
          hardware: '2.0',
          nickname: '#MASKED_NAME#',
          mac: '40-AE-30-00-00-00',
          deviceId: '0000000000000000000000000000000000000000',
          type: 'SMART.IPCAMERA',
        },
        privacyMode: true,
        led: true,
        motionDetection: { enabled: true, sensitivity: 'medium', digitalSensitivity: 50 },
        personDetection: { enabled: true, sensitivity: 'medium', digitalSensitivity: 50 },
        nightVision: { state: 'auto', mode: 'infrared' },
        alarm: { enabled: false, modes: ['sound', 'light'], volume: 'high', duration: 0 },
        presets: [],
        sdCard: { status: 'offline', totalSpace: '0B', freeSpace: '0B', percent: 0, recordDuration: 0, writeProtected: false },
        time: { timestamp: 1734262120, localTime: '2024-12-15 11:28:40', timezone: 'UTC-00:00', zoneId: 'Europe/London' },
        lastAlarm: { time: 1733422805, type: 'motion' },
        connection: { linkType: 'wifi', ssid: '#MASKED_SSID#', rssi: 3, signalDbm: -61 },
        wan: null,
        videoQuality: {
          stream1: { resolution: '1920*1080', width: 1920, height: 1080, bitrate: 1382, bitrateType: 'vbr', frameRate: 15, encoding: 'H264', quality: 3 },
        },
        imageFlip: false,
        targetTracking: false,
        mediaEncryption: true,
        diagnoseMode: null,
        components: v.components,
        userId: null,
      });
      assert.equal(v.components?.length, 35);
      assert.deepEqual(v.components?.[0], { name: 'sdCard', version: 1 });
      assert.deepEqual(v.components?.find((c) => c.name === 'playback'), { name: 'playback', version: 6 });
    });

    it('a setting the camera lacks, read by name, is Unsupported naming it (diagnoseMode, wan, userId on the C210 fixture)', async () => {
      for (const name of ['diagnoseMode', 'wan', 'userId'] as const) {
        const fake = new FakeCamera(C210);
        const e = await rejectsWith(new Camera(fake).read(['led', name]), 'Unsupported');
        assert.equal(e.reason, 'cameraSettingUnsupported');
        assert.equal(e.params.setting, name);
      }
    });

    it('decodes an ethernet link (H200 form) and a reply without diagnose_mode', async () => {
      const fake = new FakeCamera(C210);
      fake.state.getConnectionType = { link_type: 'ethernet' };
      fake.state.getDiagnoseMode = { system: { sys: { dev_alias: 'x' } } };
      assert.deepEqual((await new Camera(fake).read(['connection'])).connection, { linkType: 'ethernet' });
      await rejectsWith(new Camera(fake).read(['diagnoseMode']), 'Unsupported');
      fake.state.getDiagnoseMode = { system: { sys: { diagnose_mode: 'on' } } };
      assert.equal((await new Camera(fake).read(['diagnoseMode'])).diagnoseMode, true);
    });

    it('honours a configured batch size', async () => {
      const fake = new FakeCamera(C210);
      await new Camera(fake, { batchSize: 2 }).read(['privacyMode', 'led', 'sdCard']);
      assert.deepEqual(
        fake.sent.map((s) => (o(s.req.params).requests as JsonValue[]).length),
        [2, 1],
      );
    });

    it('reads presets from the parallel id/name lists (TC70)', async () => {
      const fake = new FakeCamera(TC70);
      assert.deepEqual(await new Camera(fake).getPresets(), [{ id: '1', name: 'Viewpoint 1' }]);
      assert.deepEqual((await new Camera(fake).read(['personDetection'])).personDetection, { enabled: false });
    });

    it('re-sends the entries a batch did not answer', async () => {
      const fake = new FakeCamera(C210);
      fake.answerAtMost = 2;
      const v = await new Camera(fake).read(['privacyMode', 'led', 'sdCard', 'presets']);
      assert.deepEqual(fake.named, ['getLensMaskConfig', 'getLedStatus', 'getSdCardStatus', 'getPresetConfig', 'getSdCardStatus', 'getPresetConfig']);
      assert.equal(fake.sent.length, 2);
      assert.equal(v.sdCard.status, 'offline');
      assert.deepEqual(v.presets, []);
    });

    it('an optional detail that fails is left out and the entries after it are re-sent', async () => {
      const fake = new FakeCamera(C210);
      fake.errors.getNightVisionModeConfig = -40210;
      const v = await new Camera(fake).read(['nightVision', 'led']);
      assert.deepEqual(v, { nightVision: { state: 'auto' }, led: true });
      assert.deepEqual(fake.named, ['getLightFrequencyInfo', 'getNightVisionModeConfig', 'getLedStatus', 'getLedStatus']);
    });

    it('throws the first failing required entry with its kind and code', async () => {
      const fake = new FakeCamera(C210);
      fake.errors.getLedStatus = -40106;
      const err = await rejectsWith(new Camera(fake).read(['privacyMode', 'led']), 'Unsupported', -40106);
      assert.match(err.message, /getLedStatus/);
    });

    it('a camera that answers getLastAlarmInfo without the alarm section reports Unsupported', async () => {
      const fake = new FakeCamera(TC70);
      const err = await rejectsWith(new Camera(fake).read(['alarm']), 'Unsupported');
      assert.equal(err.code, undefined);
      assert.match(err.message, /chn1_msg_alarm_info/);
    });

    it('a camera without pan/tilt (C101: getPresetConfig unknown) reads presets as [] and the rest as usual', async () => {
      const fake = new FakeCamera(C101);
      const v = await new Camera(fake).read(['presets', 'led', 'privacyMode']);
      assert.deepEqual(v, { presets: [], led: true, privacyMode: false });
      assert.deepEqual(fake.named, ['getPresetConfig', 'getLedStatus', 'getLensMaskConfig', 'getLedStatus', 'getLensMaskConfig']);
    });

    it('a getPresetConfig failure that is not Unsupported still throws', async () => {
      const fake = new FakeCamera(TC70);
      fake.errors.getPresetConfig = -40401;
      await rejectsWith(new Camera(fake).read(['presets', 'led']), 'SessionExpired', -40401);
    });

    it('maps a top-level data.code lockout to Locked with the seconds left', async () => {
      const fake = new FakeCamera(C210);
      fake.override = { error_code: -40401, data: { code: -40404, sec_left: 1200 } };
      const err = await rejectsWith(new Camera(fake).read(['led']), 'Locked', -40404);
      assert.equal(err.secondsLeft, 1200);
    });

    it('maps a nested result.data.code', async () => {
      const fake = new FakeCamera(C210);
      fake.override = { error_code: 0, result: { data: { code: -40209 } } };
      await rejectsWith(new Camera(fake).read(['led']), 'Input', -40209);
    });

    it('maps a result.data.code inside a sub-response', async () => {
      const fake = new FakeCamera(C210);
      fake.override = {
        error_code: 0,
        result: { responses: [{ method: 'getLedStatus', error_code: 0, result: { data: { code: -52405 } } }] },
      };
      await rejectsWith(new Camera(fake).read(['led']), 'RateLimited', -52405);
    });

    it('rejects unknown setting names before sending', async () => {
      const fake = new FakeCamera(C210);
      await rejectsWith(new Camera(fake).read(['led', 'zoom' as 'led']), 'Input');
      assert.equal(fake.sent.length, 0);
    });

    it('identify uses getDeviceInfo', async () => {
      const fake = new FakeCamera(C210);
      assert.deepEqual(await identify(fake, 'camera'), {
        model: 'C210',
        firmware: '1.4.3 Build 241010 Rel.33858n',
        hardware: '2.0',
        nickname: '#MASKED_NAME#',
        mac: '40-AE-30-00-00-00',
        deviceType: 'SMART.IPCAMERA',
      });
      assert.deepEqual(fake.named, ['getDeviceInfo']);
    });
  });

  describe('verbs', () => {
    it('setPrivacyMode sends setLensMaskConfig with "on"/"off", idempotent', async () => {
      const fake = new FakeCamera(C210);
      await new Camera(fake).setPrivacyMode(false);
      assert.deepEqual(fake.sent[0]!.req, {
        method: 'multipleRequest',
        params: { requests: [{ method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: 'off' } } } }] },
      });
      assert.equal(fake.sent[0]!.options?.idempotent, true);
      assert.equal(o(o(fake.state.getLensMaskConfig!.lens_mask).lens_mask_info).enabled, 'off');
    });

    it('setLed, setMotionDetection and setPersonDetection send string values', async () => {
      const fake = new FakeCamera(C210);
      const cam = new Camera(fake);
      await cam.setLed(false);
      await cam.setMotionDetection({ sensitivity: 'high' });
      await cam.setPersonDetection({ enabled: false, sensitivity: 'low' });
      assert.deepEqual(
        fake.sent.map((s) => (o(s.req.params).requests as JsonObject[])[0]!.params),
        [
          { led: { config: { enabled: 'off' } } },
          { motion_detection: { motion_det: { sensitivity: 'high', digital_sensitivity: '80' } } },
          { people_detection: { detection: { enabled: 'off', sensitivity: '20' } } },
        ],
      );
      const v = await cam.read(['led', 'motionDetection', 'personDetection']);
      assert.deepEqual(v, {
        led: false,
        motionDetection: { enabled: true, sensitivity: 'high', digitalSensitivity: 80 },
        personDetection: { enabled: false, sensitivity: 'low', digitalSensitivity: 20 },
      });
    });

    it('setNightVision uses setDayNightModeConfig and falls back to setLightFrequencyInfo', async () => {
      const fake = new FakeCamera(C210);
      await new Camera(fake).setNightVision('on');
      assert.deepEqual(fake.named, ['setDayNightModeConfig']);
      fake.errors.setDayNightModeConfig = -40210;
      await new Camera(fake).setNightVision('off');
      assert.deepEqual(fake.named, ['setDayNightModeConfig', 'setDayNightModeConfig', 'setLightFrequencyInfo']);
      assert.equal(o(o(fake.state.getLightFrequencyInfo!.image).common).inf_type, 'off');
    });

    it('startAlarm/stopAlarm send the style-B do of the catalogue', async () => {
      const fake = new FakeCamera(C210);
      const cam = new Camera(fake);
      await cam.startAlarm();
      await cam.stopAlarm();
      assert.deepEqual(
        fake.sent.map((s) => s.req),
        [
          { method: 'do', msg_alarm: { manual_msg_alarm: { action: 'start' } } },
          { method: 'do', msg_alarm: { manual_msg_alarm: { action: 'stop' } } },
        ],
      );
    });

    it('startAlarm falls back to the named setSirenStatus when style B is refused', async () => {
      const fake = new FakeCamera(C210);
      fake.styleBError = -40209;
      await new Camera(fake).startAlarm();
      assert.deepEqual(fake.named, ['do(B)', 'setSirenStatus']);
      assert.deepEqual(fake.actions, [{ method: 'setSirenStatus', params: { msg_alarm: { status: 'on' } } }]);
      await rejectsWith(new Camera(fake, { alarmStyle: 'do' }).startAlarm(), 'Input', -40209);
    });

    it('startAlarm/stopAlarm on TPAP (style B refused before sending) use setSirenStatus on/off', async () => {
      const fake = new FakeCamera(C101);
      fake.styleBThrows = tpapStyleBRefusal();
      const cam = new Camera(fake);
      await cam.startAlarm();
      await cam.stopAlarm();
      assert.deepEqual(fake.actions, [
        { method: 'setSirenStatus', params: { msg_alarm: { status: 'on' } } },
        { method: 'setSirenStatus', params: { msg_alarm: { status: 'off' } } },
      ]);
      // The form the camera took is remembered: the stop does not try style B again.
      assert.deepEqual(fake.named, ['do(B)', 'setSirenStatus', 'setSirenStatus']);
      assert.ok(fake.sent.every((s) => s.options?.idempotent === true));
    });

    it('alarmStyle named sends only the named form; other style-B failures are not masked', async () => {
      const fake = new FakeCamera(C210);
      await new Camera(fake, { alarmStyle: 'named' }).startAlarm();
      assert.deepEqual(fake.named, ['setSirenStatus']);
      fake.styleBError = -64324;
      await rejectsWith(new Camera(fake).startAlarm(), 'Device', -64324);
      await rejectsWith(new Camera(fake).setAlarmConfig({ enabled: true }), 'Device', -64324);
      assert.deepEqual(fake.named, ['setSirenStatus', 'do(B)', 'set(B)']);
    });

    it('setAlarmConfig falls back to the named setAlarmConfig (fields under msg_alarm) when style B is refused', async () => {
      const fake = new FakeCamera(C210);
      fake.styleBThrows = tpapStyleBRefusal();
      const cam = new Camera(fake);
      await cam.setAlarmConfig({ enabled: true, modes: ['light'], volume: 'normal' });
      assert.deepEqual(fake.named, ['set(B)', 'setAlarmConfig']);
      assert.deepEqual(fake.actions, [
        { method: 'setAlarmConfig', params: { msg_alarm: { enabled: 'on', alarm_mode: ['light'], alarm_volume: 'normal' } } },
      ]);
      assert.equal(fake.sent[1]!.options?.idempotent, true);
      assert.deepEqual((await cam.read(['alarm'])).alarm, { enabled: true, modes: ['light'], volume: 'normal', duration: 0 });
      await rejectsWith(new Camera(fake, { alarmStyle: 'do' }).setAlarmConfig({ enabled: false }), 'Unsupported', -40209);
      fake.styleBThrows = undefined;
      await new Camera(fake, { alarmStyle: 'named' }).setAlarmConfig({ enabled: false });
      assert.equal(fake.named.filter((n) => n === 'set(B)').length, 2);
      assert.equal((await cam.read(['alarm'])).alarm.enabled, false);
    });

    it('setAlarmConfig sends the documented style-B set', async () => {
      const fake = new FakeCamera(C210);
      await new Camera(fake).setAlarmConfig({ enabled: true, modes: ['sound'], volume: 'low', duration: 30 });
      assert.deepEqual(fake.sent[0]!.req, {
        method: 'set',
        msg_alarm: {
          chn1_msg_alarm_info: { enabled: 'on', alarm_mode: ['sound'], alarm_volume: 'low', alarm_duration: 30 },
        },
      });
      const { alarm } = await new Camera(fake).read(['alarm']);
      assert.deepEqual(alarm, { enabled: true, modes: ['sound'], volume: 'low', duration: 30 });
    });

    it('move and step are relative and never marked idempotent', async () => {
      const fake = new FakeCamera(TC70);
      const cam = new Camera(fake);
      await cam.move(10, -5);
      await cam.step(90);
      assert.deepEqual(fake.actions, [
        { method: 'motorMove', params: { motor: { move: { x_coord: '10', y_coord: '-5' } } } },
        { method: 'relativeMove', params: { motor: { movestep: { direction: '90' } } } },
      ]);
      assert.deepEqual(
        fake.sent.map((s) => s.options?.idempotent),
        [false, false],
      );
    });

    it('maps a motor refusal behind privacy mode to a Device error', async () => {
      const fake = new FakeCamera(TC70);
      fake.errors.motorMove = -64324;
      const err = await rejectsWith(new Camera(fake).move(1, 0), 'Device', -64324);
      assert.match(err.message, /privacy/);
    });

    it('gotoPreset resolves a name to its id; an unknown preset moves nothing', async () => {
      const fake = new FakeCamera(TC70);
      const cam = new Camera(fake);
      await cam.gotoPreset('Viewpoint 1');
      assert.deepEqual(fake.actions, [{ method: 'motorMoveToPreset', params: { preset: { goto_preset: { id: '1' } } } }]);
      const err = await rejectsWith(cam.gotoPreset('Garage'), 'Input');
      assert.match(err.message, /1 \(Viewpoint 1\)/);
      // Detected here, not by the camera: no device code is made up for it.
      assert.equal(err.code, undefined);
      assert.equal(fake.actions.length, 1);
      const del = await rejectsWith(cam.deletePreset('Garage'), 'Input');
      assert.equal(del.code, undefined);
      assert.equal(fake.named.filter((n) => n === 'deletePreset').length, 0);
    });

    it('savePreset and deletePreset change the preset list', async () => {
      const fake = new FakeCamera(TC70);
      const cam = new Camera(fake);
      assert.deepEqual(await cam.savePreset('Door'), [
        { id: '1', name: 'Viewpoint 1' },
        { id: '2', name: 'Door' },
      ]);
      // The save and the read-back travel in one request.
      assert.deepEqual(fake.sent[0]!.req, {
        method: 'multipleRequest',
        params: {
          requests: [
            { method: 'addMotorPostion', params: { preset: { set_preset: { name: 'Door', save_ptz: '1' } } } },
            { method: 'getPresetConfig', params: { preset: { name: ['preset'] } } },
          ],
        },
      });
      assert.equal(fake.sent.length, 1);
      await cam.deletePreset('Door');
      assert.deepEqual(
        (o(fake.sent.at(-1)!.req.params).requests as JsonObject[])[0],
        { method: 'deletePreset', params: { preset: { remove_preset: { id: ['2'] } } } },
      );
      // A lost reply must not be replayed: the replay would report -64302 for a delete that worked.
      assert.equal(fake.sent.at(-1)!.options?.idempotent, false);
      assert.equal(fake.sent[0]!.options?.idempotent, false);
      assert.deepEqual(await cam.getPresets(), [{ id: '1', name: 'Viewpoint 1' }]);
    });

    it('reboot, getSdCard, getTime and callMethod', async () => {
      const fake = new FakeCamera(C210);
      const cam = new Camera(fake);
      await cam.reboot();
      assert.deepEqual(fake.actions, [{ method: 'rebootDevice', params: { system: { reboot: 'null' } } }]);
      assert.equal(fake.sent[0]!.options?.idempotent, false);
      assert.equal((await cam.getSdCard()).status, 'offline');
      assert.equal((await cam.getTime()).zoneId, 'Europe/London');
      assert.deepEqual(await cam.callMethod('getTimezone', { system: { name: ['basic'] } }), {
        system: { basic: { timezone: 'UTC-00:00', timing_mode: 'ntp', zone_id: 'Europe/London' } },
      });
    });

    it('raw passes a style-B request through and returns the reply', async () => {
      const fake = new FakeCamera(C210);
      const reply = await new Camera(fake).raw({ method: 'get', led: { name: ['config'] } });
      assert.deepEqual(fake.sent[0]!.req, { method: 'get', led: { name: ['config'] } });
      assert.deepEqual(reply, { error_code: 0, led: { config: { enabled: 'on' } } });
      fake.styleBError = -40106;
      await rejectsWith(new Camera(fake).raw({ method: 'get', led: {} }), 'Unsupported', -40106);
    });
  });

  describe('apply', () => {
    it('runs actions in order, then re-reads the changed settings in one batch', async () => {
      const fake = new FakeCamera(TC70);
      const actions = parseCameraActions({ preset: 'Viewpoint 1', privacyMode: false, led: false });
      const result = await new Camera(fake).apply(actions);
      assert.deepEqual(fake.named, [
        'setLensMaskConfig',
        'setLedStatus',
        'getPresetConfig',
        'motorMoveToPreset',
        'getLensMaskConfig',
        'getLedStatus',
      ]);
      // Both sets in one request; the preset is found by name (one read), moved to, then read back.
      assert.equal(fake.sent.length, 4);
      assert.deepEqual(result, { privacyMode: false, led: false, done: ['privacyMode', 'led', 'preset'] });
    });

    it('returns raw replies and skips the re-read after a reboot', async () => {
      const fake = new FakeCamera(C210);
      const result = await new Camera(fake).apply(
        parseCameraActions({ led: true, raw: { method: 'get', lens_mask: { name: ['lens_mask_info'] } }, reboot: true }),
      );
      assert.deepEqual(result, {
        raw: [{ error_code: 0, lens_mask: { lens_mask_info: { enabled: 'on' } } }],
        done: ['led', 'raw', 'reboot'],
      });
      assert.deepEqual(fake.named, ['setLedStatus', 'get(B)', 'rebootDevice']);
    });

    it('stops at the first failing action', async () => {
      const fake = new FakeCamera(C210);
      fake.errors.setLedStatus = -40101;
      const before = JSON.stringify(fake.state.getDetectionConfig);
      await rejectsWith(new Camera(fake).apply(parseCameraActions({ led: true, motionDetection: true })), 'Input', -40101);
      // One request carried both changes and the read-back; the camera stopped at the failing entry.
      assert.equal(fake.sent.length, 1);
      assert.deepEqual(fake.named, ['setLedStatus', 'setDetectionConfig', 'getLedStatus', 'getDetectionConfig']);
      assert.equal(JSON.stringify(fake.state.getDetectionConfig), before);
    });
  });
});
