/**
 * Camera verbs (src/devices/camera.ts) through a real DeviceConnection against the simulator on
 * 127.0.0.1: a TPAP camera (C101 hw5 1.4.3, which takes `multipleRequest` only) and a secure
 * camera (C210 hw2 1.4.3). Assertions read the simulator's own state (`logic.state`), not what
 * the client says it did.
 *
 * Presets on the C101: it has no pan/tilt, so the simulated camera does not know
 * `getPresetConfig` (-40210 in a batch, like a camera without the `ptz` component). `Camera.read`
 * reports such a camera's presets as an empty list and reads every other setting as usual.
 */
import { strict as assert } from 'node:assert';
import { DeviceConnection } from '../../src/connection';
import { CAMERA_SETTINGS, Camera } from '../../src/devices/camera';
import type { RequestOptions, Requester } from '../../src/devices/requester';
import type { JsonObject, JsonValue, SchemeName } from '../../src/protocol/types';
import { ManualClock, startDevice, type SimulatedDevice } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';

const PASSWORD = 'tapo-sim';
const START = Date.UTC(2026, 2, 14, 12, 0, 0);

/** A Requester over the connection that records the top-level method of every envelope. */
class Recorder implements Requester {
  readonly family = 'camera' as const;
  readonly methods: string[] = [];
  constructor(private readonly inner: Requester) {}
  request(req: JsonObject, options?: RequestOptions): Promise<JsonObject> {
    this.methods.push(String(req['method']));
    return this.inner.request(req, options);
  }
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


const CAMERAS: [string, string, SchemeName][] = [
  ['TPAP camera (C101 1.4.3)', 'C101(US)_5.0_1.4.3', 'tpap'],
  ['secure camera (C210 1.4.3)', 'C210(EU)_2.0_1.4.3', 'camera-secure'],
];

describe('camera verbs vs the simulator (127.0.0.1)', function () {
  this.timeout(20_000);
  let device: SimulatedDevice | undefined;
  let connection: DeviceConnection | undefined;

  afterEach(async () => {
    await connection?.close();
    await device?.stop();
    connection = undefined;
    device = undefined;
  });

  async function start(fixture: string, scheme: SchemeName): Promise<[SimulatedDevice, CameraLogic, Recorder]> {
    device = await startDevice({ fixture, scheme, clock: new ManualClock(START) });
    connection = new DeviceConnection({
      host: `127.0.0.1:${device.port}`,
      kind: 'camera',
      scheme,
      credentials: { username: 'admin', password: PASSWORD },
      timeoutMs: 5_000,
    });
    return [device, device.logic as CameraLogic, new Recorder(connection)];
  }

  for (const [label, fixture, scheme] of CAMERAS) {
    describe(label, () => {
      it('startAlarm sounds the alarm and stopAlarm silences it', async () => {
        const [dev, logic, rec] = await start(fixture, scheme);
        const camera = new Camera(rec);
        assert.equal(logic.state.alarmActive, false);
        const before = dev.requestCount;
        await camera.startAlarm();
        assert.equal(logic.state.alarmActive, true);
        // TPAP refuses style B before sending, so the fallback costs no extra request to the camera.
        assert.equal(dev.requestCount, before + 1);
        await camera.stopAlarm();
        assert.equal(logic.state.alarmActive, false);
      });

      it('setAlarmConfig changes the alarm configuration, and read shows it', async () => {
        const [, logic, rec] = await start(fixture, scheme);
        const camera = new Camera(rec);
        assert.equal(logic.state.alarmConfig['enabled'], 'off');
        await camera.setAlarmConfig({ enabled: true, modes: ['light'], volume: 'low', duration: 30 });
        const stored = logic.state.alarmConfig;
        assert.equal(stored['enabled'], 'on');
        assert.deepEqual(stored['alarm_mode'], ['light']);
        assert.equal(stored['alarm_duration'], '30');
        assert.equal(stored['alarm_volume'], 'low');
        const { alarm } = await camera.read(['alarm']);
        assert.equal(alarm.enabled, true);
        assert.deepEqual(alarm.modes, ['light']);
        assert.equal(alarm.volume, 'low');
      });

      it(`reads all ${CAMERA_SETTINGS.length} settings with multipleRequest only, matching the camera's state`, async () => {
        const [dev, logic, rec] = await start(fixture, scheme);
        const v = await new Camera(rec).readAvailable(CAMERA_SETTINGS);
        assert.ok(rec.methods.length > 0);
        assert.deepEqual(new Set(rec.methods), new Set(['multipleRequest']));
        assert.deepEqual(Object.keys(v).sort(), [...CAMERA_SETTINGS].sort());

        const state = logic.state;
        assert.equal(v.deviceInfo.model, dev.model);
        assert.equal(v.privacyMode, state.privacyMode);
        assert.equal(v.led, state.ledOn);
        assert.equal(v.motionDetection.enabled, state.motionDetection.enabled);
        assert.equal(v.personDetection.enabled, state.personDetection.enabled);
        assert.equal(v.nightVision.state, state.nightVision);
        assert.equal(v.alarm.enabled, state.alarmConfig['enabled'] === 'on');
        assert.deepEqual(v.alarm.modes, state.alarmConfig['alarm_mode']);
        assert.deepEqual(
          v.presets,
          state.presets.map((p) => ({ id: p.id, name: p.name })),
        );
        assert.equal(typeof v.sdCard.status, 'string');
        assert.equal(v.time.timestamp, Math.floor(START / 1000));
        if (scheme === 'tpap') assert.deepEqual(v.presets, []);
        assert.equal(v.imageFlip, state.flipType === 'center');
        assert.equal(v.mediaEncryption, state.mediaEncryption);
        // The C101 has no motor: no target tracking, so "all" gives null for it.
        assert.equal(v.targetTracking, state.targetTracking ?? null);
        assert.equal(v.connection.linkType, 'wifi');
      });
    });
  }

  it('TPAP camera: privacy mode, LED and motion detection set through named methods reach the camera', async () => {
    const [, logic, rec] = await start('C101(US)_5.0_1.4.3', 'tpap');
    const camera = new Camera(rec);
    const result = await camera.apply([
      { type: 'privacyMode', enabled: true },
      { type: 'led', enabled: false },
      { type: 'motionDetection', enabled: true, sensitivity: 'low' },
    ]);
    assert.equal(logic.state.privacyMode, true);
    assert.equal(logic.state.ledOn, false);
    assert.equal(logic.state.motionDetection.enabled, true);
    assert.equal(logic.state.motionDetection.digitalSensitivity, '20');
    assert.deepEqual(result, {
      privacyMode: true,
      led: false,
      motionDetection: { enabled: true, sensitivity: 'low', digitalSensitivity: 20 },
      done: ['privacyMode', 'led', 'motionDetection'],
    });
    assert.deepEqual(new Set(rec.methods), new Set(['multipleRequest']));
  });
});
