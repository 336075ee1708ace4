/**
 * The RTSP snapshot client (src/protocol/rtsp.ts) against the simulator's stream8 (src/simulator/
 * rtsp), two implementations written apart from media.md: one JPEG per snapshot, whole (FFD8 …
 * FFD9) at the camera's size, a new frame each time, and a wrong camera account refused after one
 * try with credentials.
 */
import assert from 'node:assert/strict';
import { snapshot } from '../../src/protocol/rtsp';
import { TapoError } from '../../src/protocol/errors';
import { startDevice, stream8Jpeg } from '../../src/simulator';
import type { SimulatedDevice, Stream8Form } from '../../src/simulator';

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

  // Byte-exact: what the client assembles is the JPEG the simulator says a receiver must have, for
  // the Tapo form (whole JFIF in slices) and both RFC 2435 forms (bare scan; headers rebuilt from
  // Q, or from the in-band tables).
  for (const form of ['tapo', 'rfc', 'rfc-tables'] as Stream8Form[]) {
    it(`assembles the ${form} form byte for byte`, async () => {
      await sim.setFaults({ rtspJpegForm: form });
      const sent: number[] = [];
      sim.on('rtspFrame', (info: { counter: number; form: string }) => {
        if (info.form === form) sent.push(info.counter);
      });
      const shot = await snapshot(`rtsp://127.0.0.1:${sim.rtspPort}/stream8`, { ...account, timeoutMs: 5000 });
      const match = sent.find((counter) => stream8Jpeg(counter, form).equals(shot.jpeg));
      assert.notEqual(match, undefined, `the JPEG equals one of the frames sent (${sent.join(', ')})`);
      assert.deepEqual([shot.width, shot.height], [640, 360]);
    });
  }

  it('a camera that takes Digest only (2025 firmware): the client answers the Digest challenge', async () => {
    await sim.setFaults({ rtspDigestOnly: true });
    const shot = await snapshot(`rtsp://127.0.0.1:${sim.rtspPort}/stream8`, { ...account, timeoutMs: 5000 });
    assert.equal(shot.jpeg.subarray(0, 2).toString('hex'), 'ffd8');
  });

  it('the account in the URL works as well, and never appears in an error', async () => {
    const url = `rtsp://${account.username}:${encodeURIComponent(account.password)}@127.0.0.1:${sim.rtspPort}/stream8`;
    assert.equal((await snapshot(url, { timeoutMs: 5000 })).jpeg.subarray(0, 2).toString('hex'), 'ffd8');
    await assert.rejects(snapshot(url.replace(account.password, 'not-it'), { timeoutMs: 5000 }), (e: unknown) => e instanceof TapoError && e.kind === 'Authentication' && !e.message.includes('not-it'));
  });
});
