/**
 * Firmware updates against the simulator over 127.0.0.1 (src/devices/firmware.ts through the
 * device's one owner, src/simulator/logic/firmware.ts on the other side): check, update to the new
 * version, an update that moves a passthrough plug to KLAP, a download failing halfway, an update
 * refused when none is offered, a device that does not come back in time; the same for a camera.
 * Timing comes from the test (poll every 10 ms, short reboots): nothing asserts on the wall clock.
 */
import { strict as assert } from 'node:assert';
import { TapoDevice } from '../../src/connection';
import type { FirmwareProgress } from '../../src/devices';
import { TapoError } from '../../src/protocol/errors';
import type { SimulatedDevice } from '../../src/simulator';
import { PASSWORD, PLUG_USER, useSimulatedDevices } from './sim-harness';

const FAST = { pollMs: 10, requestTimeoutMs: 2_000, timeoutMs: 20_000 };
const NEW_PLUG = '1.4.0 Build 240101 Rel.100000';
const NEW_CAMERA = '1.4.4 Build 250101 Rel.55555n';

describe('firmware updates (simulator)', function () {
  this.timeout(30_000);
  const sim = useSimulatedDevices();
  const owners: TapoDevice[] = [];
  afterEach(async () => {
    await Promise.all(owners.splice(0).map((o) => o.end()));
  });

  function owner(d: SimulatedDevice): TapoDevice {
    const camera = d.family === 'camera';
    const o = new TapoDevice({
      host: `${d.host}:${d.port}`,
      kind: camera ? 'camera' : 'plug',
      credentials: { username: camera ? 'admin' : PLUG_USER, password: PASSWORD },
      timeoutMs: 5_000,
    });
    owners.push(o);
    return o;
  }

  /** Counts `fw_download` starts reaching the device logic. */
  function countStarts(d: SimulatedDevice): { starts: number } {
    const counter = { starts: 0 };
    const fw = d.logic.firmware;
    const start = fw.start.bind(fw);
    fw.start = () => {
      counter.starts += 1;
      start();
    };
    return counter;
  }

  it('plug: says no update when the device is up to date', async () => {
    const d = await sim.device({ fixture: 'P110(UK)_1.0_1.3.0' });
    const check = await owner(d).checkFirmware();
    assert.deepEqual(check, { current: '1.3.0 Build 230905 Rel.152200', latest: '1.3.0 Build 230905 Rel.152200', updateAvailable: false });
  });

  it('plug: reports an offered update with its release notes', async () => {
    const d = await sim.device({ fixture: 'P110(UK)_1.0_1.3.0', firmwareUpdate: { version: NEW_PLUG, releaseNote: 'Bug fixes.' } });
    const check = await owner(d).checkFirmware();
    assert.deepEqual(check, { current: '1.3.0 Build 230905 Rel.152200', latest: NEW_PLUG, updateAvailable: true, releaseNote: 'Bug fixes.' });
  });

  it('plug: updates to the new version, reporting the download, the install, the reboot and the return', async () => {
    const d = await sim.device({ fixture: 'P110(UK)_1.0_1.3.0', firmwareUpdate: { version: NEW_PLUG, releaseNote: 'x', rebootSeconds: 0.2 } });
    const o = owner(d);
    const seen: FirmwareProgress[] = [];
    let wentDown = false;
    d.once('down', () => (wentDown = true));
    const result = await o.updateFirmware({ ...FAST, onProgress: (p) => seen.push(p) });
    assert.equal(result.from, '1.3.0 Build 230905 Rel.152200');
    assert.equal(result.to, NEW_PLUG);
    assert.equal(result.scheme, 'klap');
    assert.ok(result.durationSeconds >= 0);
    assert.ok(wentDown, 'the device rebooted');
    assert.equal(d.firmwareVersion, NEW_PLUG);
    assert.equal(d.firmwareState().installs, 1);
    assert.deepEqual(
      seen.map((p) => p.phase + (p.percent !== undefined ? ` ${p.percent}` : '')),
      ['downloading 20', 'downloading 40', 'downloading 60', 'downloading 80', 'installing', 'rebooting', 'back'],
    );
    assert.equal(seen.at(-1)?.version, NEW_PLUG);
    // Afterwards the check says up to date.
    assert.equal((await o.checkFirmware()).updateAvailable, false);
  });

  it('plug: follows an update that moves a passthrough P100 to KLAP, logging in with the new scheme', async () => {
    // The captured P100(US) 1.1.3 is offered 1.3.7 (its get_latest_fw); 1.2.1+ speak KLAP (field-issues.md §2).
    const d = await sim.device({ fixture: 'P100(US)_1.0.0_1.1.3' });
    assert.equal(d.scheme, 'passthrough');
    d.offerFirmware({ version: '1.3.7 Build 20230711 Rel.61904', releaseNote: 'Enhanced device security.', newScheme: 'klap', rebootSeconds: 0.2 });
    const o = owner(d);
    const before = await o.identify();
    assert.equal(before.scheme, 'passthrough');
    const result = await o.updateFirmware(FAST);
    assert.equal(d.scheme, 'klap');
    assert.equal(result.to, '1.3.7 Build 20230711 Rel.61904');
    assert.equal(result.scheme, 'klap');
    assert.equal(d.firmwareVersion, '1.3.7 Build 20230711 Rel.61904');
    // The owner keeps working on the new scheme.
    assert.equal((await o.checkFirmware()).current, '1.3.7 Build 20230711 Rel.61904');
  });

  it('plug: a download failing halfway gives the device failure, starts nothing again and keeps the version', async () => {
    const d = await sim.device({ fixture: 'P110(UK)_1.0_1.3.0', firmwareUpdate: { version: NEW_PLUG, releaseNote: 'x', failAtPercent: 50 } });
    const counter = countStarts(d);
    const o = owner(d);
    const seen: FirmwareProgress[] = [];
    await assert.rejects(o.updateFirmware({ ...FAST, onProgress: (p) => seen.push(p) }), (e: unknown) => {
      assert.ok(e instanceof TapoError);
      assert.equal(e.kind, 'Device');
      assert.equal(e.reason, 'firmwareDownloadFailed');
      assert.equal(e.params.percent, 50);
      assert.equal(e.params.status, '-1001');
      assert.equal(e.hintKey, 'firmwareRetryByHand');
      return true;
    });
    assert.equal(counter.starts, 1, 'the start is never repeated');
    assert.equal(d.firmwareVersion, '1.3.0 Build 230905 Rel.152200');
    assert.equal(d.firmwareState().installs, 0);
    assert.equal(d.isDown, false);
    assert.ok(!seen.some((p) => p.phase === 'rebooting'));
  });

  it('plug: refuses to update when none is available, sending nothing but the check', async () => {
    const d = await sim.device({ fixture: 'P110(UK)_1.0_1.3.0' });
    const counter = countStarts(d);
    await assert.rejects(owner(d).updateFirmware(FAST), (e: unknown) => {
      assert.ok(e instanceof TapoError);
      assert.equal(e.kind, 'Input');
      assert.equal(e.reason, 'firmwareNoUpdate');
      return true;
    });
    assert.equal(counter.starts, 0);
    assert.equal(d.firmwareState().phase, 'idle');
  });

  it('plug: a device that does not come back within the bound ends in a Timeout with a hint', async () => {
    const d = await sim.device({ fixture: 'P110(UK)_1.0_1.3.0', firmwareUpdate: { version: NEW_PLUG, releaseNote: 'x', rebootSeconds: 600 } });
    await assert.rejects(owner(d).updateFirmware({ pollMs: 10, requestTimeoutMs: 300, timeoutMs: 1_500 }), (e: unknown) => {
      assert.ok(e instanceof TapoError);
      assert.equal(e.kind, 'Timeout');
      assert.equal(e.reason, 'firmwareNotBack');
      assert.equal(e.params.phase, 'rebooting');
      assert.equal(e.hintKey, 'firmwareWait');
      return true;
    });
    assert.equal(d.isDown, true);
  });

  it('the simulator refuses a malformed offer and changes nothing', async () => {
    const d = await sim.device({ fixture: 'P110(UK)_1.0_1.3.0' });
    assert.throws(() => d.offerFirmware({ version: NEW_PLUG, failAtPercent: 150 }), /failAtPercent/);
    assert.throws(() => d.offerFirmware({ version: NEW_PLUG, newScheme: 'camera-secure' }), /newScheme/);
    assert.equal(d.firmwareState().pending, undefined);
  });

  it('camera: checks, then updates to the new version', async () => {
    const d = await sim.device({ fixture: 'C210(EU)_2.0_1.4.3' });
    const o = owner(d);
    const none = await o.checkFirmware();
    assert.deepEqual(none, { current: '1.4.3 Build 241010 Rel.33858n', updateAvailable: false });
    d.offerFirmware({ version: NEW_CAMERA, releaseNote: 'Improved night vision.', rebootSeconds: 0.2 });
    const check = await o.checkFirmware();
    assert.deepEqual(check, { current: '1.4.3 Build 241010 Rel.33858n', latest: NEW_CAMERA, updateAvailable: true, releaseNote: 'Improved night vision.' });
    const seen: string[] = [];
    const result = await o.updateFirmware({ ...FAST, onProgress: (p) => seen.push(p.phase) });
    assert.equal(result.to, NEW_CAMERA);
    assert.equal(result.scheme, 'camera-secure');
    assert.equal(d.firmwareVersion, NEW_CAMERA);
    assert.equal(d.fixture.discovery.firmware_version, NEW_CAMERA, 'discovery reports the new version');
    assert.deepEqual([...new Set(seen)], ['downloading', 'installing', 'rebooting', 'back']);
  });

  it('camera: a download failing halfway reports the failure and keeps the version', async () => {
    const d = await sim.device({ fixture: 'C210(EU)_2.0_1.4.3', firmwareUpdate: { version: NEW_CAMERA, releaseNote: 'x', failAtPercent: 30 } });
    const counter = countStarts(d);
    await assert.rejects(owner(d).updateFirmware(FAST), (e: unknown) => {
      assert.ok(e instanceof TapoError);
      assert.equal(e.reason, 'firmwareDownloadFailed');
      assert.equal(e.params.percent, 30);
      return true;
    });
    assert.equal(counter.starts, 1);
    assert.equal(d.firmwareVersion, '1.4.3 Build 241010 Rel.33858n');
  });

  it('camera: refuses to update when none is available', async () => {
    const d = await sim.device({ fixture: 'C210(EU)_2.0_1.4.3' });
    const counter = countStarts(d);
    await assert.rejects(owner(d).updateFirmware(FAST), (e: unknown) => e instanceof TapoError && e.reason === 'firmwareNoUpdate');
    assert.equal(counter.starts, 0);
  });
});
