/**
 * The RTSP snapshot client (src/protocol/rtsp.ts) against the simulator's stream8 (src/simulator/
 * rtsp), two implementations written apart from media.md: one JPEG per snapshot, whole (FFD8 …
 * FFD9) at the camera's size, a new frame each time, and a wrong camera account refused after one
 * try with credentials.
 */
import assert from 'node:assert/strict';
import { snapshot } from '../../src/protocol/rtsp';
import { TapoError } from '../../src/protocol/errors';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';

const account = { username: 'tapo-cam', password: 'tapo-sim-cam' };

describe('snapshot: RTSP client against the simulated stream8', function () {
  this.timeout(20_000);
  let sim: SimulatedDevice;

  beforeEach(async () => {
    sim = await startDevice({ fixture: 'C101(US)_5.0_1.4.3', password: 'tapo-sim', rtspPort: 0, cameraAccount: account });
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('gives one whole JPEG at the camera size, and a new frame on the next snapshot', async () => {
    const url = `rtsp://127.0.0.1:${sim.rtspPort}/stream8`;
    const first = await snapshot(url, { ...account, timeoutMs: 5000 });
    const second = await snapshot(url, { ...account, timeoutMs: 5000 });
    for (const shot of [first, second]) {
      assert.equal(shot.jpeg.subarray(0, 2).toString('hex'), 'ffd8');
      assert.equal(shot.jpeg.subarray(-2).toString('hex'), 'ffd9');
      assert.deepEqual([shot.width, shot.height], [640, 360]);
    }
    // The simulator writes its frame counter into a comment segment.
    const counter = (jpeg: Buffer): string => /tapo-sim frame (\d+)/.exec(jpeg.toString('latin1'))?.[1] ?? '';
    assert.notEqual(counter(first.jpeg), '');
    assert.notEqual(counter(first.jpeg), counter(second.jpeg));
  });

  it('a wrong camera account is refused as Authentication after one try with credentials', async () => {
    const statuses: unknown[] = [];
    sim.on('rtsp', (e: { method?: string; status?: unknown }) => {
      if (e.method === 'DESCRIBE') statuses.push(e.status);
    });
    await assert.rejects(
      snapshot(`rtsp://127.0.0.1:${sim.rtspPort}/stream8`, { username: account.username, password: 'wrong', timeoutMs: 5000 }),
      (e: unknown) => e instanceof TapoError && e.kind === 'Authentication',
    );
    assert.deepEqual(statuses, [401, 401]);
  });
});
