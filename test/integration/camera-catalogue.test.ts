/**
 * The rest of the camera catalogue (connection, wan, videoQuality, imageFlip, targetTracking,
 * mediaEncryption, diagnoseMode, components, userId) through a real DeviceConnection against the
 * simulator on 127.0.0.1: a secure C210 hw2 1.4.3 (pan/tilt, target tracking) and a TPAP C101 hw5
 * 1.4.3 (no motor, so no target tracking). Assertions read the simulator's own state.
 */
import { strict as assert } from 'node:assert';
import { DeviceConnection } from '../../src/connection';
import { CAMERA_SETTINGS, Camera } from '../../src/devices/camera';
import { parseCameraActions } from '../../src/devices/parse';
import type { RequestOptions, Requester } from '../../src/devices/requester';
import { TapoError } from '../../src/protocol/errors';
import type { JsonObject, SchemeName } from '../../src/protocol/types';
import { ManualClock, startDevice, type SimulatedDevice } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';

const PASSWORD = 'tapo-sim';
const START = Date.UTC(2026, 2, 14, 12, 0, 0);

/** A Requester that records every envelope it sends. */
class Recorder implements Requester {
  readonly family = 'camera' as const;
  readonly sent: JsonObject[] = [];
  constructor(private readonly inner: Requester) {}
  request(req: JsonObject, options?: RequestOptions): Promise<JsonObject> {
    this.sent.push(JSON.parse(JSON.stringify(req)) as JsonObject);
    return this.inner.request(req, options);
  }
}

const C210: [string, SchemeName] = ['C210(EU)_2.0_1.4.3', 'camera-secure'];
const C101: [string, SchemeName] = ['C101(US)_5.0_1.4.3', 'tpap'];

describe('camera catalogue vs the simulator (127.0.0.1)', function () {
  this.timeout(20_000);
  let device: SimulatedDevice | undefined;
  let connection: DeviceConnection | undefined;

  afterEach(async () => {
    await connection?.close();
    await device?.stop();
    connection = undefined;
    device = undefined;
  });

  async function start([fixture, scheme]: [string, SchemeName]): Promise<[SimulatedDevice, CameraLogic, Recorder]> {
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

  it('reads the catalogue of a C210 as plain values in one multipleRequest', async () => {
    const [dev, , rec] = await start(C210);
    const before = dev.requestCount;
    const v = await new Camera(rec).read(['connection', 'wan', 'videoQuality', 'imageFlip', 'targetTracking', 'mediaEncryption', 'diagnoseMode', 'components', 'userId']);
    assert.equal(dev.requestCount, before + 1, 'one round trip');
    const raw = await new Camera(rec).callMethod('getConnectionType', { network: { get_connection_type: {} } });
    assert.equal(typeof raw.ssid, 'string');
    assert.deepEqual(v.connection, { linkType: 'wifi', ssid: Buffer.from(String(raw.ssid), 'base64').toString('utf8'), rssi: 3, signalDbm: -61 });
    assert.notEqual(v.connection.ssid, raw.ssid, 'decoded from base64');
    assert.deepEqual(v.wan, { ip: '192.168.0.120', netmask: '255.255.255.0', gateway: '192.168.0.1', dns: ['192.168.0.1'], dhcp: true });
    assert.deepEqual(v.videoQuality, {
      stream1: { resolution: '1920*1080', width: 1920, height: 1080, bitrate: 1382, bitrateType: 'vbr', frameRate: 15, encoding: 'H264', quality: 3 },
    });
    assert.equal(v.imageFlip, false);
    assert.equal(v.targetTracking, false);
    assert.equal(v.mediaEncryption, true);
    assert.equal(v.diagnoseMode, false);
    assert.ok(v.components.some((c) => c.name === 'targetTrack' && c.version === 1));
    assert.equal(v.userId, 1);
  });

  it('sets image flip, target tracking and media encryption and reads them back in one round trip', async () => {
    const [dev, logic, rec] = await start(C210);
    const before = dev.requestCount;
    const result = await new Camera(rec).apply(parseCameraActions({ imageFlip: true, targetTracking: 'on', mediaEncryption: false }));
    assert.equal(dev.requestCount, before + 1, 'changes and read-back in one multipleRequest');
    assert.deepEqual(rec.sent.map((r) => r.method), ['multipleRequest']);
    assert.equal(logic.state.flipType, 'center');
    assert.equal(logic.state.targetTracking, true);
    assert.equal(logic.state.mediaEncryption, false);
    assert.deepEqual(result, { imageFlip: true, targetTracking: true, mediaEncryption: false, done: ['imageFlip', 'targetTracking', 'mediaEncryption'] });
    await new Camera(rec).apply(parseCameraActions({ imageFlip: false }));
    assert.equal(logic.state.flipType, 'off');
  });

  it('a camera without target tracking (C101, no motor): the read by name and the change are Unsupported, "all" gives null', async () => {
    const [, logic, rec] = await start(C101);
    const camera = new Camera(rec);
    await assert.rejects(camera.read(['targetTracking']), (e: unknown) => e instanceof TapoError && e.kind === 'Unsupported' && e.reason === 'cameraSettingUnsupported');
    await assert.rejects(camera.apply(parseCameraActions({ targetTracking: true })), (e: unknown) => e instanceof TapoError && e.kind === 'Unsupported');
    assert.equal(logic.state.targetTracking, undefined, 'nothing created on the camera');
    const all = await camera.readAvailable(CAMERA_SETTINGS);
    assert.equal(all.targetTracking, null);
    assert.equal(all.mediaEncryption, logic.state.mediaEncryption);
    assert.equal(all.userId, 1);
  });

  it('invalid values are refused before anything is sent', async () => {
    const [dev, logic, rec] = await start(C210);
    const before = dev.requestCount;
    for (const payload of [{ imageFlip: 'upside' }, { targetTracking: 2 }, { mediaEncryption: null }, { imageFlip: true, targetTracking: 'maybe' }]) {
      assert.throws(() => parseCameraActions(payload), (e: unknown) => e instanceof TapoError && e.kind === 'Input' && e.reason === 'cameraOnOff');
    }
    assert.throws(() => parseCameraActions({ diagnoseMode: true }), (e: unknown) => e instanceof TapoError && e.kind === 'Input');
    assert.equal(dev.requestCount, before);
    assert.equal(rec.sent.length, 0);
    assert.equal(logic.state.flipType, 'off');
  });
});
