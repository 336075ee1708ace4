/**
 * Snapshots through the device owner (`TapoDevice.snapshot`, src/devices/snapshot.ts) against the
 * simulator's RTSP server over 127.0.0.1: the routes (stream8, else stream2 through ffmpeg, else a
 * clear Unsupported error), the one-stream-at-a-time lane, and every fault of the issue: a wrong
 * camera account, a stream closed mid-frame, a stream that stalls, no stream8, privacy mode.
 *
 * Streams opened are counted on the simulator (its `rtsp` events: PLAY requests answered 200).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TapoDevice } from '../../src/connection/device';
import { TapoError } from '../../src/protocol/errors';
import { findFfmpeg } from '../../src/protocol/ffmpeg';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import { RawRtsp } from './rtsp-raw';

const account = { username: 'tapo-cam', password: 'tapo-sim-cam' };
const PASSWORD = 'tapo-sim';

interface RtspInfo {
  method: string;
  url: string;
  status: number;
}

/** Covers (or uncovers) the simulated camera's lens as the Tapo app does. */
function setPrivacy(sim: SimulatedDevice, on: boolean): void {
  const reply = (sim.logic as CameraLogic).handle({
    method: 'multipleRequest',
    params: { requests: [{ method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: on ? 'on' : 'off' } } } }] },
  });
  assert.equal(reply.error_code, 0);
  assert.equal((sim.logic as CameraLogic).state.privacyMode, on);
}

const isError = (kind: string, reason?: string) => (e: unknown): boolean => {
  assert.ok(e instanceof TapoError, `a TapoError, got ${String(e)}`);
  assert.equal(e.kind, kind, `${e.kind} ${e.reason}: ${e.message}`);
  if (reason !== undefined) assert.equal(e.reason, reason, e.message);
  return true;
};

describe('snapshot through the device owner (simulated camera over RTSP)', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice;
  let device: TapoDevice;
  let requests: RtspInfo[];
  let emptyDir: string;

  const plays = (): number => requests.filter((r) => r.method === 'PLAY' && r.status === 200).length;
  const owner = (extra: Partial<ConstructorParameters<typeof TapoDevice>[0]> = {}): TapoDevice => {
    const d = new TapoDevice({
      host: `127.0.0.1:${sim.port}`,
      kind: 'camera',
      credentials: { username: 'admin', password: PASSWORD },
      cameraAccount: account,
      ...(sim.rtspPort !== undefined ? { rtspPort: sim.rtspPort } : {}),
      timeoutMs: 5000,
      ...extra,
    });
    d.register({});
    return d;
  };

  beforeEach(async () => {
    sim = await startDevice({ fixture: 'C101(US)_5.0_1.4.3', password: PASSWORD, rtspPort: 0, cameraAccount: account });
    requests = [];
    sim.on('rtsp', (info: RtspInfo) => requests.push(info));
    device = owner();
    emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapo-no-ffmpeg-'));
  });
  afterEach(async () => {
    await device.end();
    await sim.stop();
    fs.rmSync(emptyDir, { recursive: true, force: true });
  });

  it('takes one JPEG from stream8 at the camera size, with no decoder', async () => {
    const shot = await device.snapshot();
    assert.equal(shot.stream, 'stream8');
    assert.equal(shot.via, 'rtsp');
    assert.equal(shot.jpeg.subarray(0, 2).toString('hex'), 'ffd8');
    assert.equal(shot.jpeg.subarray(-2).toString('hex'), 'ffd9');
    assert.deepEqual([shot.width, shot.height], [640, 360]);
    assert.equal(plays(), 1);
    // The stream was ended: the camera saw a TEARDOWN.
    await waitFor(() => requests.some((r) => r.method === 'TEARDOWN'));
  });

  it('five snapshots asked at once open one stream and share its frame', async () => {
    const shots = await Promise.all([1, 2, 3, 4, 5].map(() => device.snapshot()));
    assert.equal(plays(), 1);
    assert.equal(device.streamTurns, 1);
    const first = shots[0]!.jpeg;
    for (const s of shots) assert.ok(s.jpeg.equals(first));
    assert.equal(new Set(shots.map((s) => s.jpeg)).size, 5, 'each caller has its own Buffer');
  });

  it('snapshots asked while one streams are served one after another, never two streams at once', async () => {
    let open = 0;
    let most = 0;
    sim.on('rtsp', (info: RtspInfo) => {
      if (info.method === 'PLAY' && info.status === 200) most = Math.max(most, ++open);
      if (info.method === 'TEARDOWN') open--;
    });
    const first = device.snapshot();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = [device.snapshot(), device.snapshot()];
    await Promise.all([first, ...later]);
    assert.equal(device.streamTurns, 2);
    assert.equal(most, 1);
  });

  it('a wrong camera account: Authentication after one try with credentials, and no retry later', async () => {
    await device.end();
    device = owner({ cameraAccount: { username: account.username, password: 'wrong' } });
    await assert.rejects(device.snapshot(), isError('Authentication', 'rtspRefused'));
    const describes = requests.filter((r) => r.method === 'DESCRIBE').map((r) => r.status);
    assert.deepEqual(describes, [401, 401]);
  });

  it('no camera account: an Input error that says to set it, and nothing is sent', async () => {
    await device.end();
    const { cameraAccount: _unused, ...rest } = device.options;
    device = new TapoDevice({ ...rest });
    device.register({});
    await assert.rejects(device.snapshot(), (e: unknown) => isError('Input', 'snapshotNoCameraAccount')(e) && (e as TapoError).hintKey === 'setCameraAccount');
    assert.equal(requests.length, 0);
  });

  it('a stream closed mid-frame is a Transport error, not a half picture', async () => {
    await sim.setFaults({ rtspCloseMidFrame: true });
    await assert.rejects(device.snapshot(), isError('Transport', 'rtspClosed'));
  });

  it('a stream that stalls fails with Timeout within the deadline', async () => {
    await sim.setFaults({ rtspSlowMs: 60_000 });
    await assert.rejects(device.snapshot({ timeoutMs: 1500 }), isError('Timeout'));
  });

  it('an RTSP port with nothing listening is a Transport error naming the address', async () => {
    await sim.setFaults({ rtspDown: true });
    await assert.rejects(device.snapshot(), isError('Transport', 'cannotReach'));
  });

  it('no stream8 and no ffmpeg: Unsupported, naming ffmpeg; stream8 is not asked again', async () => {
    await sim.setFaults({ rtspNoStream8: true });
    const refused = (e: unknown): boolean => isError('Unsupported', 'snapshotNeedsFfmpeg')(e) && /ffmpeg/.test((e as TapoError).message) && (e as TapoError).hintKey === 'installFfmpeg';
    await assert.rejects(device.snapshot({ searchPath: emptyDir }), refused);
    const stream8Asks = requests.filter((r) => r.url.includes('stream8') && r.method === 'DESCRIBE').length;
    await assert.rejects(device.snapshot({ searchPath: emptyDir }), refused);
    assert.equal(requests.filter((r) => r.url.includes('stream8') && r.method === 'DESCRIBE').length, stream8Asks);
  });

  it('asked for stream8 by name on a camera without it: Unsupported (404), no fallback', async () => {
    await sim.setFaults({ rtspNoStream8: true });
    await assert.rejects(device.snapshot({ source: 'stream8' }), isError('Unsupported', 'rtspStatus'));
  });

  it('privacy mode on: the picture the camera sends (black), as the field shows', async () => {
    setPrivacy(sim, true);
    const shot = await device.snapshot();
    assert.equal(shot.jpeg.subarray(0, 2).toString('hex'), 'ffd8');
  });

  it('privacy mode on and a camera that stops streaming: the error says privacy mode is on, within the deadline', async () => {
    setPrivacy(sim, true);
    await sim.setFaults({ rtspPrivacyNoFrames: true });
    await assert.rejects(device.snapshot({ timeoutMs: 5000 }), (e: unknown) => isError('Device', 'snapshotPrivacy')(e) && (e as TapoError).hintKey === 'turnPrivacyOff');
  });

  it('a stalled stream with privacy mode off stays a Timeout (the privacy read does not change the answer)', async () => {
    await sim.setFaults({ rtspPrivacyNoFrames: true, rtspSlowMs: 60_000 });
    await assert.rejects(device.snapshot({ timeoutMs: 5000 }), isError('Timeout'));
  });

  it('a camera already serving its two streams: Device rtspBusy, with the hint to close a viewer', async () => {
    const viewers = [await RawRtsp.connect(sim.rtspPort!, account), await RawRtsp.connect(sim.rtspPort!, account)];
    try {
      for (const v of viewers) await v.play();
      await assert.rejects(device.snapshot(), (e: unknown) => isError('Device', 'rtspBusy')(e) && (e as TapoError).hintKey === 'closeOtherViewers');
      viewers[0]!.socket.destroy();
      await waitFor(() => sim.rtspServer!.sessions < 2);
      assert.equal((await device.snapshot()).stream, 'stream8', 'served again once a viewer has gone');
    } finally {
      for (const v of viewers) v.socket.destroy();
    }
  });

  describe('with ffmpeg on the host', () => {
    before(function () {
      if (findFfmpeg() === undefined) this.skip();
    });

    it('no stream8: one frame of stream2 through ffmpeg, at the SD size', async () => {
      await sim.setFaults({ rtspNoStream8: true });
      const shot = await device.snapshot();
      assert.equal(shot.stream, 'stream2');
      assert.equal(shot.via, 'ffmpeg');
      assert.equal(shot.jpeg.subarray(0, 2).toString('hex'), 'ffd8');
      assert.equal(shot.jpeg.subarray(-2).toString('hex'), 'ffd9');
      assert.deepEqual([shot.width, shot.height], [640, 360]);
    });

    it('stream1 by name: one frame at the HD size', async () => {
      const shot = await device.snapshot({ source: 'stream1', timeoutMs: 10_000 });
      assert.equal(shot.stream, 'stream1');
      assert.deepEqual([shot.width, shot.height], [1280, 720]);
    });
  });

  it('stream addresses: the camera account only when asked for', () => {
    const plain = device.streams();
    assert.deepEqual(plain, {
      stream1: `rtsp://127.0.0.1:${sim.rtspPort}/stream1`,
      stream2: `rtsp://127.0.0.1:${sim.rtspPort}/stream2`,
      stream8: `rtsp://127.0.0.1:${sim.rtspPort}/stream8`,
    });
    const embedded = device.streams(true);
    assert.equal(embedded.stream1, `rtsp://tapo-cam:tapo-sim-cam@127.0.0.1:${sim.rtspPort}/stream1`);
    assert.equal(requests.length, 0, 'no traffic');
  });

  it('a plug has no snapshots: an Input error, nothing sent', async () => {
    const plug = new TapoDevice({ host: '127.0.0.1:1', kind: 'plug', credentials: { username: 'u', password: 'p' } });
    await assert.rejects(plug.snapshot(), isError('Input', 'snapshotNotCamera'));
    await plug.end();
  });

  it('after end, a snapshot is refused as closed', async () => {
    await device.end();
    await assert.rejects(device.snapshot(), isError('Transport', 'connectionClosed'));
  });
});

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
