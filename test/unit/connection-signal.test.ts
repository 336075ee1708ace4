/**
 * The abort signal DeviceConnection hands to its transport. Sequential jobs share one
 * AbortController until an abort uses it up (a per-request saving); these tests pin what that
 * must never change: the running job's deadline, caller abort and close() still reach the
 * transport, the next job never inherits an aborted signal, and no listener is left behind.
 */
import { strict as assert } from 'node:assert';
import { getEventListeners } from 'node:events';
import { DeviceConnection } from '../../src/connection/connection';
import { TapoError } from '../../src/protocol/errors';
import type { Transport } from '../../src/protocol/transport';
import type { JsonObject } from '../../src/protocol/types';
import { rejection } from '../helpers';

/** A transport whose `send` either answers at once or waits for its signal. */
class SignalTransport implements Transport {
  readonly scheme = 'klap' as const;
  readonly family = 'smart' as const;
  hasSession = false;
  readonly signals: AbortSignal[] = [];
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  /** Resolves once `send` has been called `n` times. */
  sent(n: number): Promise<void> {
    return this.signals.length >= n ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  async login(): Promise<void> {
    this.hasSession = true;
  }

  send(request: JsonObject, signal?: AbortSignal): Promise<JsonObject> {
    assert.ok(signal, 'the connection always passes a signal');
    this.signals.push(signal);
    for (const w of this.waiters.splice(0)) {
      if (this.signals.length >= w.n) w.resolve();
      else this.waiters.push(w);
    }
    if (request['method'] !== 'hang') return Promise.resolve({ error_code: 0, seen_aborted: signal.aborted });
    return new Promise<JsonObject>((_resolve, reject) => {
      const onAbort = (): void => reject(new TapoError('Transport', 'unexpected', { params: { detail: 'aborted by the signal' } }));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  reset(): void {
    this.hasSession = false;
  }

  async close(): Promise<void> {
    this.hasSession = false;
  }
}

function connectionWith(transport: SignalTransport, timeoutMs = 60_000): DeviceConnection {
  return new DeviceConnection({
    host: '127.0.0.1:8080',
    kind: 'plug',
    scheme: 'klap',
    credentials: { username: 'user@example.com', password: 'pw' },
    timeoutMs,
    transportFactory: () => transport,
  });
}

describe('DeviceConnection: the signal given to the transport', () => {
  const open: DeviceConnection[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  it('sequential requests see a live signal and leave no listener on it', async () => {
    const t = new SignalTransport();
    const c = connectionWith(t);
    open.push(c);
    for (let i = 0; i < 5; i++) assert.deepEqual(await c.request({ method: 'get' }), { error_code: 0, seen_aborted: false });
    assert.equal(t.signals.length, 5);
    for (const s of t.signals) {
      assert.equal(s.aborted, false);
      assert.equal(getEventListeners(s, 'abort').length, 0);
    }
  });

  it('a caller abort reaches the running send, and the next request gets a fresh signal', async () => {
    const t = new SignalTransport();
    const c = connectionWith(t);
    open.push(c);
    const controller = new AbortController();
    const hung = c.request({ method: 'hang' }, { signal: controller.signal });
    const next = c.request({ method: 'get' });
    await t.sent(1);
    controller.abort();
    const err = await rejection(hung);
    assert.equal(err.kind, 'Transport');
    assert.equal(t.signals[0]?.aborted, true);
    assert.deepEqual(await next, { error_code: 0, seen_aborted: false });
    assert.notEqual(t.signals[1], t.signals[0]);
  });

  it('the deadline aborts the running send with Timeout, and the connection keeps working', async () => {
    const t = new SignalTransport();
    const c = connectionWith(t, 100);
    open.push(c);
    const err = await rejection(c.request({ method: 'hang' }));
    assert.equal(err.kind, 'Timeout');
    assert.equal(t.signals[0]?.aborted, true);
    assert.deepEqual(await c.request({ method: 'get' }), { error_code: 0, seen_aborted: false });
  });

  it('close() aborts the signal of the running send', async () => {
    const t = new SignalTransport();
    const c = connectionWith(t);
    const hung = c.request({ method: 'hang' });
    await t.sent(1);
    await c.close();
    const err = await rejection(hung);
    assert.equal(err.kind, 'Transport');
    assert.equal(t.signals[0]?.aborted, true);
  });
});
