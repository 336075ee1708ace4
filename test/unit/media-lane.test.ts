/**
 * The media lane (src/connection/media.ts): one turn at a time, requests made together share one
 * turn, a request made during a turn waits for the next, each request has its own deadline, and a
 * turn nobody waits for any more is aborted. Work functions here are real async functions gated
 * by promises the test resolves; no wall-clock assertion.
 */
import assert from 'node:assert/strict';
import { MediaLane } from '../../src/connection/media';
import { TapoError } from '../../src/protocol/errors';

/** A promise the test resolves by hand. */
function gate<T>(): { promise: Promise<T>; open(value: T): void; fail(error: unknown): void } {
  let open!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('media lane: one stream at a time per camera', () => {
  it('five requests made together share one turn and one result; each gets its own copy', async () => {
    const lane = new MediaLane<{ n: number }>((value, first) => (first ? value : { ...value }));
    let runs = 0;
    const work = async (): Promise<{ n: number }> => ({ n: ++runs });
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => lane.request('auto', work, { timeoutMs: 5000 })));
    assert.equal(runs, 1);
    assert.equal(lane.turns, 1);
    assert.deepEqual(results.map((r) => r.n), [1, 1, 1, 1, 1]);
    assert.equal(new Set(results).size, 5, 'every request has its own object');
  });

  it('a request made while a turn runs waits for the next turn: never two at once', async () => {
    const lane = new MediaLane<number>();
    let running = 0;
    let most = 0;
    const gates = [gate<void>(), gate<void>()];
    let turn = 0;
    const work = async (): Promise<number> => {
      const mine = turn++;
      running++;
      most = Math.max(most, running);
      await gates[mine]!.promise;
      running--;
      return mine;
    };
    const first = lane.request('auto', work, { timeoutMs: 5000 });
    await tick();
    await tick();
    const second = lane.request('auto', work, { timeoutMs: 5000 });
    const third = lane.request('auto', work, { timeoutMs: 5000 });
    await tick();
    assert.equal(turn, 1, 'the second turn has not started while the first runs');
    gates[0]!.open();
    assert.equal(await first, 0);
    gates[1]!.open();
    assert.deepEqual([await second, await third], [1, 1]);
    assert.equal(most, 1);
  });

  it('different keys are different turns, in order', async () => {
    const lane = new MediaLane<string>();
    const order: string[] = [];
    const work = (key: string) => async (): Promise<string> => {
      order.push(key);
      return key;
    };
    const got = await Promise.all([lane.request('stream8', work('stream8'), { timeoutMs: 5000 }), lane.request('stream2', work('stream2'), { timeoutMs: 5000 })]);
    assert.deepEqual(got, ['stream8', 'stream2']);
    assert.deepEqual(order, ['stream8', 'stream2']);
  });

  it('a request whose deadline passes while it waits fails with Timeout; the turn goes on for the others', async () => {
    const lane = new MediaLane<number>();
    const g = gate<void>();
    let signalSeen: AbortSignal | undefined;
    const work = async (signal: AbortSignal): Promise<number> => {
      signalSeen = signal;
      await g.promise;
      return 7;
    };
    const short = lane.request('auto', work, { timeoutMs: 20 });
    const long = lane.request('auto', work, { timeoutMs: 10_000 });
    await assert.rejects(short, (e: unknown) => e instanceof TapoError && e.kind === 'Timeout' && e.reason === 'mediaTimedOut');
    assert.equal(signalSeen?.aborted, false, 'one request still waits: the stream goes on');
    g.open();
    assert.equal(await long, 7);
  });

  it('when every request has given up, the turn is aborted (the stream is closed)', async () => {
    const lane = new MediaLane<number>();
    let aborted = false;
    const work = (signal: AbortSignal): Promise<number> =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          aborted = true;
          reject(new TapoError('Timeout', 'requestAborted', { sent: true }));
        });
      });
    const controller = new AbortController();
    const one = lane.request('auto', work, { timeoutMs: 30, signal: controller.signal });
    const two = lane.request('auto', work, { timeoutMs: 30 });
    await tick();
    controller.abort();
    await assert.rejects(one, (e: unknown) => e instanceof TapoError && e.reason === 'requestAborted');
    assert.equal(aborted, false, 'the other request still waits');
    await assert.rejects(two, (e: unknown) => e instanceof TapoError && e.kind === 'Timeout');
    assert.equal(aborted, true);
    // The lane is free again.
    assert.equal(await lane.request('auto', async () => 3, { timeoutMs: 1000 }), 3);
  });

  it("the work's error reaches every request of the turn; the next turn runs", async () => {
    const lane = new MediaLane<number>();
    const boom = new TapoError('Authentication', 'rtspRefused', { params: { where: 'x' } });
    const failing = async (): Promise<number> => {
      throw boom;
    };
    const both = [lane.request('auto', failing, { timeoutMs: 1000 }), lane.request('auto', failing, { timeoutMs: 1000 })];
    for (const p of both) await assert.rejects(p, (e: unknown) => e === boom);
    assert.equal(await lane.request('auto', async () => 1, { timeoutMs: 1000 }), 1);
  });

  it('close rejects what waits and aborts the turn in progress', async () => {
    const lane = new MediaLane<number>();
    let aborted = false;
    const hang = (signal: AbortSignal): Promise<number> =>
      new Promise((_resolve, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(new Error('aborted')))));
    const running = lane.request('a', hang, { timeoutMs: 10_000 });
    await tick();
    await tick();
    const queued = lane.request('b', hang, { timeoutMs: 10_000 });
    const closed = new TapoError('Transport', 'connectionClosed', { sent: false });
    lane.close(closed);
    await assert.rejects(running, (e: unknown) => e === closed);
    await assert.rejects(queued, (e: unknown) => e === closed);
    assert.equal(aborted, true);
  });

  it('an already aborted signal is refused at once, without a turn', async () => {
    const lane = new MediaLane<number>();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(lane.request('auto', async () => 1, { timeoutMs: 1000, signal: controller.signal }), (e: unknown) => e instanceof TapoError && e.kind === 'Timeout');
    assert.equal(lane.turns, 0);
  });
});
