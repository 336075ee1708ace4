/**
 * `tapo-camera-get` snapshots and stream addresses, in Node-RED (node-red-node-test-helper) against
 * a simulated camera's RTSP server on 127.0.0.1: `msg.payload` a Buffer holding one JPEG with
 * `msg.contentType`, width and height; the addresses without the camera account unless the node
 * is set to put it in (the test helper's catalog gives keys, so texts are asserted by key); bad input refused before anything is sent; errors through `done(err)`
 * with a red status that says what to fix and no secret anywhere.
 */
import assert from 'node:assert/strict';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import { PASSWORD, deviceNode, flow, helper, next, nodeModules, statusWhere, statuses } from './harness';
import type { CaughtError, Msg } from './harness';

const account = { username: 'tapo-cam', password: 'tapo-sim-cam' };

interface RtspInfo {
  method: string;
  status: number;
}

describe('nodes: tapo-camera-get snapshot and rtsp', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice;
  let requests: RtspInfo[];

  beforeEach(async () => {
    sim = await startDevice({ fixture: 'C101(US)_5.0_1.4.3', password: PASSWORD, rtspPort: 0, cameraAccount: account });
    requests = [];
    sim.on('rtsp', (info: RtspInfo) => requests.push(info));
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
  });

  async function load(action: Record<string, unknown>, cameraPassword = account.password, deviceExtra: Record<string, unknown> = {}): Promise<void> {
    const dev = deviceNode(`127.0.0.1:${sim.port}`, 'camera', { rtspPort: sim.rtspPort, ...deviceExtra });
    await helper.load(nodeModules, flow(dev, { type: 'tapo-camera-get', ...action }), {
      dev: { username: 'admin', password: PASSWORD, cameraUsername: account.username, cameraPassword },
    });
  }

  it('mode snapshot: msg.payload is one JPEG Buffer with its content type and size', async () => {
    await load({ mode: 'snapshot' });
    const out = next(helper.getNode('out'));
    helper.getNode('act').receive({ payload: 'go', topic: 'porch' });
    const msg = await out;
    assert.ok(Buffer.isBuffer(msg.payload));
    const jpeg = msg.payload as Buffer;
    assert.equal(jpeg.subarray(0, 2).toString('hex'), 'ffd8');
    assert.equal(jpeg.subarray(-2).toString('hex'), 'ffd9');
    assert.equal(msg.contentType, 'image/jpeg');
    assert.deepEqual([msg.width, msg.height, msg.stream, msg.topic], [640, 360, 'stream8', 'porch']);
  });

  it('msg.payload "snapshot" on a node set to read settings takes a picture too', async () => {
    await load({ names: ['privacyMode'] });
    const out = next(helper.getNode('out'));
    helper.getNode('act').receive({ payload: 'snapshot' });
    assert.ok(Buffer.isBuffer((await out).payload));
  });

  it('five messages at once: five pictures from one stream', async () => {
    await load({ mode: 'snapshot' });
    const out = helper.getNode('out');
    const got: Msg[] = [];
    const all = new Promise<void>((resolve) =>
      out.on('input', (msg: Msg) => {
        got.push(msg);
        if (got.length === 5) resolve();
      }),
    );
    for (let i = 0; i < 5; i++) helper.getNode('act').receive({ payload: i });
    await all;
    assert.equal(requests.filter((r) => r.method === 'PLAY' && r.status === 200).length, 1);
    for (const m of got) assert.ok(Buffer.isBuffer(m.payload));
  });

  it('rtsp: the addresses without the camera account; with it only when the node is set to', async () => {
    await load({ mode: 'rtsp' });
    let out = next(helper.getNode('out'));
    helper.getNode('act').receive({ payload: '' });
    const plain = (await out).payload as Record<string, string>;
    assert.equal(plain.stream1, `rtsp://127.0.0.1:${sim.rtspPort}/stream1`);
    assert.equal(plain.stream2, `rtsp://127.0.0.1:${sim.rtspPort}/stream2`);
    assert.doesNotMatch(JSON.stringify(plain), new RegExp(account.password));
    await helper.unload();
    await load({ mode: 'rtsp', embedAccount: true });
    out = next(helper.getNode('out'));
    helper.getNode('act').receive({ payload: 'rtsp' });
    const embedded = (await out).payload as Record<string, string>;
    assert.equal(embedded.stream2, `rtsp://tapo-cam:tapo-sim-cam@127.0.0.1:${sim.rtspPort}/stream2`);
    assert.equal(requests.length, 0, 'nothing was sent to the camera');
  });

  it('bad input is refused before anything is sent: a mixed payload, an unknown stream', async () => {
    await load({ mode: 'snapshot' });
    for (const msg of [{ payload: 'snapshot,privacyMode' }, { payload: 'go', stream: 'stream9' }, { payload: 'go', stream: 8 }]) {
      const caught = next(helper.getNode('caught'));
      helper.getNode('act').receive(msg);
      const err = (await caught).error as CaughtError;
      assert.equal(err.cause?.kind, 'Input', JSON.stringify(msg));
    }
    assert.equal(requests.length, 0);
  });

  it('a wrong camera account: done(err) with Authentication, a red status, no secret in either', async () => {
    await load({ mode: 'snapshot' }, 'wrong-secret');
    const act = helper.getNode('act');
    const seen = statuses(act);
    const caught = next(helper.getNode('caught'));
    act.receive({ payload: 'go' });
    const msg = await caught;
    const err = msg.error as CaughtError;
    assert.equal(err.cause?.kind, 'Authentication');
    assert.match(err.message, /reasons\.rtspRefused/);
    const red = await statusWhere(act, seen, (s) => s.fill === 'red');
    for (const text of [JSON.stringify(msg), JSON.stringify(seen), String(red.text)]) {
      assert.doesNotMatch(text, /wrong-secret|tapo-sim-cam/);
    }
    assert.deepEqual(requests.filter((r) => r.method === 'DESCRIBE').map((r) => r.status), [401, 401]);
  });

  it('no stream8 and no ffmpeg on the PATH: the error names ffmpeg and the status says to install it', async () => {
    await sim.setFaults({ rtspNoStream8: true });
    const saved = process.env.PATH;
    process.env.PATH = '';
    try {
      await load({ mode: 'snapshot' });
      const act = helper.getNode('act');
      const seen = statuses(act);
      const caught = next(helper.getNode('caught'));
      act.receive({ payload: 'go' });
      const err = (await caught).error as CaughtError;
      assert.equal(err.cause?.kind, 'Unsupported');
      assert.match(err.message, /reasons\.snapshotNeedsFfmpeg.*hints\.installFfmpeg/);
      await statusWhere(act, seen, (s) => s.fill === 'red' && String(s.text) === 'tapo-device.statuses.snapshotNeedsFfmpeg');
    } finally {
      process.env.PATH = saved;
    }
  });

  it('an RTSP port out of range: the tapo-device shows it, and nothing is sent', async () => {
    await load({ mode: 'snapshot' }, account.password, { rtspPort: 70000 });
    const act = helper.getNode('act');
    const caught = next(helper.getNode('caught'));
    act.receive({ payload: 'go' });
    const err = (await caught).error as CaughtError;
    assert.equal(err.cause?.kind, 'Input');
    assert.match(err.message, /reasons\.badRtspPort/);
    assert.equal(requests.length, 0);
  });
});
