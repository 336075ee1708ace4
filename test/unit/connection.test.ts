/**
 * DeviceConnection against a scripted fake transport: single-flight login, FIFO, re-login on
 * expiry, no retry on bad credentials, lockout, replay rules, rate-limit back-off and close().
 */
import { strict as assert } from 'node:assert';
import * as sinon from 'sinon';
import { DeviceConnection, parseHostPort } from '../../src/connection/connection';
import type { ConnectionOptions, ConnectionStateEvent } from '../../src/connection/connection';
import { MAX_LOCK_SECONDS, TapoError, THIRD_PARTY_HINT, errorFromCode } from '../../src/protocol/errors';
import type { DeviceFamily } from '../../src/protocol/errors';
import type { Transport, TransportOptions } from '../../src/protocol/transport';
import type { JsonObject, SchemeName } from '../../src/protocol/types';
import { rejection } from '../helpers';

type LoginScript = (scheme: SchemeName, attempt: number) => void | Promise<void>;
type SendScript = (req: JsonObject, attempt: number, signal?: AbortSignal) => JsonObject | Promise<JsonObject>;

/** Everything every fake transport did, in order. */
interface Log {
  events: string[];
  created: FakeTransport[];
  logins: number;
  sends: number;
  inFlight: number;
  maxInFlight: number;
  options: TransportOptions[];
}

class FakeTransport implements Transport {
  readonly family: DeviceFamily;
  hasSession = false;
  closed = false;
  resets = 0;

  constructor(
    readonly scheme: SchemeName,
    options: TransportOptions,
    private readonly log: Log,
    private readonly onLogin: LoginScript,
    private readonly onSend: SendScript,
  ) {
    this.family = options.family ?? 'smart';
  }

  async login(): Promise<void> {
    this.log.logins++;
    this.log.events.push(`login:${this.scheme}`);
    await this.onLogin(this.scheme, this.log.logins);
    this.hasSession = true;
  }

  async send(request: JsonObject, signal?: AbortSignal): Promise<JsonObject> {
    this.log.sends++;
    this.log.events.push(`send:${String(request['method'])}`);
    this.log.inFlight++;
    this.log.maxInFlight = Math.max(this.log.maxInFlight, this.log.inFlight);
    try {
      return await this.onSend(request, this.log.sends, signal);
    } finally {
      this.log.inFlight--;
    }
  }

  reset(): void {
    this.resets++;
    this.hasSession = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.log.events.push(`close:${this.scheme}`);
  }
}

interface Harness {
  connection: DeviceConnection;
  log: Log;
  states: ConnectionStateEvent[];
  clock: { ms: number };
}

function harness(
  script: { login?: LoginScript; send?: SendScript } = {},
  options: Partial<ConnectionOptions> = {},
): Harness {
  const log: Log = { events: [], created: [], logins: 0, sends: 0, inFlight: 0, maxInFlight: 0, options: [] };
  const clock = { ms: 1_000 };
  const onLogin = script.login ?? (() => undefined);
  const onSend = script.send ?? ((req: JsonObject) => ({ error_code: 0, result: { echo: req['method'] ?? null } }));
  const connection = new DeviceConnection({
    host: '127.0.0.1:8080',
    kind: 'plug',
    credentials: { username: 'user@example.com', password: 'secret-pw' },
    now: () => clock.ms,
    transportFactory: (scheme, transportOptions) => {
      log.options.push(transportOptions);
      const t = new FakeTransport(scheme, transportOptions, log, onLogin, onSend);
      log.created.push(t);
      return t;
    },
    ...options,
  });
  const states: ConnectionStateEvent[] = [];
  connection.on('state', (e: ConnectionStateEvent) => states.push(e));
  return { connection, log, states, clock };
}

/** A promise plus its resolver, to hold a fake send until the test releases it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('DeviceConnection (fake transport)', () => {
  const open: DeviceConnection[] = [];
  afterEach(async () => {
    sinon.restore();
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  function track(h: Harness): Harness {
    open.push(h.connection);
    return h;
  }

  it('is lazy and passes host, port, family and credentials to the transport', async () => {
    const h = track(harness());
    assert.equal(h.log.created.length, 0);
    assert.equal(h.connection.state, 'idle');
    const reply = await h.connection.request({ method: 'get_device_info' });
    assert.deepEqual(reply, { error_code: 0, result: { echo: 'get_device_info' } });
    assert.equal(h.log.options.length, 1);
    const opts = h.log.options[0];
    assert.equal(opts?.host, '127.0.0.1');
    assert.equal(opts?.port, 8080);
    assert.equal(opts?.family, 'smart');
    assert.equal(opts?.credentials.password, 'secret-pw');
    assert.deepEqual(
      h.states.map((s) => s.state),
      ['connecting', 'connected'],
    );
    assert.equal(h.connection.scheme, 'klap');
  });

  it('20 concurrent requests cost exactly one login and run one at a time in arrival order', async () => {
    const loginGate = gate();
    const h = track(harness({ login: () => loginGate.promise }));
    const pending = Array.from({ length: 20 }, (_, i) => h.connection.request({ method: `m${i}` }));
    loginGate.open();
    const replies = await Promise.all(pending);
    assert.equal(h.log.logins, 1);
    assert.equal(h.connection.stats.logins, 1);
    assert.equal(h.connection.stats.requests, 20);
    assert.equal(h.log.maxInFlight, 1);
    assert.deepEqual(
      h.log.events.filter((e) => e.startsWith('send:')),
      Array.from({ length: 20 }, (_, i) => `send:m${i}`),
    );
    assert.deepEqual(
      replies.map((r) => (r['result'] as JsonObject)['echo']),
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    );
  });

  it('re-logs in once and replays once on SessionExpired', async () => {
    const h = track(
      harness({
        send: (req, n) => {
          if (n === 2) throw new TapoError('SessionExpired', 'unexpected', { params: { detail: 'KLAP 403' }, httpStatus: 403 });
          return { error_code: 0, result: { n } };
        },
      }),
    );
    await h.connection.request({ method: 'a' });
    const reply = await h.connection.request({ method: 'set_device_info' });
    assert.deepEqual(reply, { error_code: 0, result: { n: 3 } });
    assert.equal(h.log.logins, 2);
    assert.equal(h.log.created[0]?.resets, 1);
    assert.deepEqual(h.log.events, ['login:klap', 'send:a', 'send:set_device_info', 'login:klap', 'send:set_device_info']);
  });

  it('does not loop when the session expires again right after the re-login', async () => {
    const h = track(
      harness({
        send: () => {
          throw new TapoError('SessionExpired', 'unexpected', { params: { detail: 'gone' } });
        },
      }),
    );
    const err = await rejection(h.connection.request({ method: 'a' }));
    assert.equal(err.kind, 'SessionExpired');
    assert.equal(h.log.logins, 2);
    assert.equal(h.log.sends, 2);
    assert.equal(h.connection.state, 'error');
  });

  it('never retries bad credentials; waiting requests share the one failed login, later ones wait out the hold-off', async () => {
    const h = track(
      harness({
        login: () => {
          throw new TapoError('Authentication', 'unexpected', { params: { detail: 'wrong password' }, code: -1501 });
        },
      }),
    );
    const errors = await Promise.all(Array.from({ length: 5 }, (_, i) => rejection(h.connection.request({ method: `m${i}` }))));
    assert.ok(errors.every((e) => e.kind === 'Authentication'));
    assert.equal(h.log.logins, 1);
    assert.equal(h.log.sends, 0);
    assert.equal(h.connection.state, 'error');
    assert.equal(h.connection.lastError?.kind, 'Authentication');
    assert.ok(!JSON.stringify(h.states.map((s) => s.error?.message)).includes('secret-pw'));

    for (let i = 0; i < 5; i++) {
      const err = await rejection(h.connection.request({ method: `poll${i}` }));
      // The same rejection, failing fast, and saying why nothing was tried and for how long.
      assert.equal(err.kind, 'Authentication');
      assert.equal(err.code, -1501);
      assert.equal(err.sent, false);
      assert.equal(err.cause, errors[0]);
      assert.match(err.message, /^wrong password \(no new login for 5 s after a rejected one/);
    }
    assert.equal(h.log.logins, 1, 'no login inside the 5 s hold-off');
    assert.equal(h.connection.stats.logins, 1);

    h.clock.ms += 5_000;
    await rejection(h.connection.request({ method: 'later' }));
    assert.equal(h.log.logins, 2, 'one fresh attempt after the hold-off');
    h.clock.ms += 5_000;
    await rejection(h.connection.request({ method: 'later' }));
    assert.equal(h.log.logins, 2, 'the hold-off doubled to 10 s');
    h.clock.ms += 5_000;
    await rejection(h.connection.request({ method: 'later' }));
    assert.equal(h.log.logins, 3);
    assert.equal(h.log.sends, 0);
  });

  it('plugs: the hold-off after rejected passwords stops growing at 5 minutes', async () => {
    const h = track(
      harness({
        login: () => {
          throw new TapoError('Authentication', 'unexpected', { params: { detail: 'wrong password' }, code: -1501 });
        },
      }),
    );
    for (let i = 0; i < 10; i++) {
      await rejection(h.connection.request({ method: 'get_device_info' }));
      h.clock.ms += 300_000;
    }
    assert.equal(h.log.logins, 10, 'one attempt per 5 minutes once the cap is reached');
    await rejection(h.connection.request({ method: 'get_device_info' }));
    h.clock.ms += 299_999;
    await rejection(h.connection.request({ method: 'get_device_info' }));
    assert.equal(h.log.logins, 11);
  });

  it('authHoldOffMs: 0 turns the hold-off off', async () => {
    const h = track(
      harness(
        {
          login: () => {
            throw new TapoError('Authentication', 'unexpected', { params: { detail: 'wrong password' }, code: -1501 });
          },
        },
        { authHoldOffMs: 0 },
      ),
    );
    await rejection(h.connection.request({ method: 'a' }));
    await rejection(h.connection.request({ method: 'b' }));
    assert.equal(h.log.logins, 2);
  });

  it('cameras: after a rejected password requests fail fast until the hold-off passes', async () => {
    const h = track(
      harness(
        {
          login: () => {
            throw new TapoError('Authentication', 'unexpected', { params: { detail: 'wrong password' }, code: -40413 });
          },
        },
        { kind: 'camera', authHoldOffMs: 60_000 },
      ),
    );
    for (let i = 0; i < 5; i++) {
      const err = await rejection(h.connection.request({ method: 'getDeviceInfo' }));
      assert.equal(err.kind, 'Authentication');
    }
    assert.equal(h.log.logins, 1);
    assert.equal(h.log.created[0]?.scheme, 'camera-secure');
    h.clock.ms += 60_001;
    await rejection(h.connection.request({ method: 'getDeviceInfo' }));
    assert.equal(h.log.logins, 2);
    h.clock.ms += 60_001;
    await rejection(h.connection.request({ method: 'getDeviceInfo' }));
    assert.equal(h.log.logins, 2, 'the hold-off doubles after a second rejection');
    h.clock.ms += 60_000;
    await rejection(h.connection.request({ method: 'getDeviceInfo' }));
    assert.equal(h.log.logins, 3);
  });

  it('respects a camera lockout: no login until the lock has passed on the injected clock', async () => {
    let locked = true;
    const h = track(
      harness(
        {
          login: () => {
            if (locked) throw new TapoError('Locked', 'unexpected', { params: { detail: 'blocked (error -40404)' }, code: -40404, secondsLeft: 30 });
          },
        },
        { kind: 'camera' },
      ),
    );
    const first = await rejection(h.connection.request({ method: 'getDeviceInfo' }));
    assert.equal(first.kind, 'Locked');
    assert.equal(h.connection.state, 'locked');
    assert.equal(h.log.logins, 1);

    h.clock.ms += 10_000;
    const second = await rejection(h.connection.request({ method: 'getDeviceInfo' }));
    assert.equal(second.kind, 'Locked');
    assert.equal(second.secondsLeft, 20);
    assert.equal(second.sent, false);
    assert.match(second.hint ?? '', /20 s/);
    assert.equal(h.log.logins, 1, 'no login while locked');

    locked = false;
    h.clock.ms += 20_000;
    const reply = await h.connection.request({ method: 'getDeviceInfo' });
    assert.equal(reply['error_code'], 0);
    assert.equal(h.log.logins, 2);
    assert.equal(h.connection.state, 'connected');
  });

  describe('a KLAP handshake1 403 (Authentication suggesting tpap)', () => {
    const forbidden = (): TapoError =>
      new TapoError('Authentication', 'unexpected', { params: { detail: 'the device refused the KLAP handshake (HTTP 403)' }, 
        httpStatus: 403,
        hint: 'thirdParty',
        suggestedScheme: 'tpap',
      });

    it('tries TPAP once and caches it when the plug speaks TPAP', async () => {
      const h = track(
        harness({
          login: (scheme) => {
            if (scheme === 'klap') throw forbidden();
          },
        }),
      );
      await h.connection.request({ method: 'get_device_info' });
      assert.equal(h.connection.scheme, 'tpap');
      assert.equal(h.connection.state, 'connected');
      h.log.created[1]?.reset();
      await h.connection.request({ method: 'get_device_info' });
      assert.deepEqual(
        h.log.events.filter((e) => e.startsWith('login:')),
        ['login:klap', 'login:tpap', 'login:tpap'],
      );
    });

    it('reports the 403 with the Third-Party hint when the device has no TPAP either', async () => {
      const first = forbidden();
      for (const notThere of [
        new TapoError('Unsupported', 'unexpected', { params: { detail: 'the device does not prefer TPAP (tpap_preferred: false)' }, suggestedScheme: 'klap' }),
        new TapoError('Transport', 'unexpected', { params: { detail: 'the TPAP discover reply is not JSON' } }),
        new TapoError('Unsupported', 'unexpected', { params: { detail: 'the device does not answer the TPAP discover (HTTP 404)' }, httpStatus: 404 }),
      ]) {
        const h = track(
          harness({
            login: (scheme) => {
              throw scheme === 'klap' ? first : notThere;
            },
          }),
        );
        const err = await rejection(h.connection.request({ method: 'get_device_info' }));
        assert.equal(err, first, `after "${notThere.message}"`);
        assert.equal(err.hint, THIRD_PARTY_HINT);
        assert.equal(h.connection.lastError, first);
        assert.equal(h.connection.state, 'error');
        assert.equal(h.states.at(-1)?.error, first);
        assert.equal(h.log.logins, 2, 'one TPAP attempt, no loop');
      }
    });

    it("reports TPAP's own verdict when TPAP is there but refuses the password", async () => {
      const tpapRefusal = new TapoError('Authentication', 'unexpected', { params: { detail: 'the device refused the password' }, code: -40401 });
      const h = track(
        harness({
          login: (scheme) => {
            throw scheme === 'klap' ? forbidden() : tpapRefusal;
          },
        }),
      );
      assert.equal(await rejection(h.connection.request({ method: 'a' })), tpapRefusal);
    });

    it('a forced klap scheme reports the 403 without trying TPAP', async () => {
      const h = track(harness({ login: () => Promise.reject(forbidden()) }, { scheme: 'klap' }));
      const err = await rejection(h.connection.request({ method: 'a' }));
      assert.equal(err.httpStatus, 403);
      assert.equal(h.log.logins, 1);
    });
  });

  describe('a reply that did not decrypt (Transport, sent: true, session dropped)', () => {
    function garbleOnce(h: () => Harness): SendScript {
      return (req, n) => {
        if (n === 2) {
          const t = h().log.created[0];
          if (t) t.hasSession = false;
          throw new TapoError('Transport', 'unexpected', { params: { detail: 'the KLAP reply could not be decrypted; the session is out of sync' }, sent: true });
        }
        return { error_code: 0, result: { n, method: req['method'] ?? null } };
      };
    }

    it('is replayed after a new login only for idempotent requests', async () => {
      let ref: Harness | undefined;
      const h = track(harness({ send: garbleOnce(() => ref!) }));
      ref = h;
      await h.connection.request({ method: 'a' });
      const reply = await h.connection.request({ method: 'get_device_info' }, { idempotent: true });
      assert.deepEqual(reply, { error_code: 0, result: { n: 3, method: 'get_device_info' } });
      assert.deepEqual(h.log.events, ['login:klap', 'send:a', 'send:get_device_info', 'login:klap', 'send:get_device_info']);
    });

    it('is not replayed for other requests, and the next request logs in again', async () => {
      let ref: Harness | undefined;
      const h = track(harness({ send: garbleOnce(() => ref!) }));
      ref = h;
      await h.connection.request({ method: 'a' });
      const err = await rejection(h.connection.request({ method: 'add_countdown_rule' }));
      assert.equal(err.kind, 'Transport');
      assert.equal(err.sent, true);
      assert.equal(h.connection.state, 'error');
      await h.connection.request({ method: 'b' });
      assert.deepEqual(h.log.events, ['login:klap', 'send:a', 'send:add_countdown_rule', 'login:klap', 'send:b']);
      assert.equal(h.connection.state, 'connected');
    });
  });

  it('a request-level refusal leaves a working session in the connected state', async () => {
    const refusals: Record<string, TapoError> = {
      input: new TapoError('Input', 'unexpected', { params: { detail: 'invalid or unsupported parameters (error -1008)' }, code: -1008 }),
      device: new TapoError('Device', 'unexpected', { params: { detail: 'the motor is busy (error -64303)' }, code: -64303 }),
      busy: new TapoError('RateLimited', 'unexpected', { params: { detail: 'busy (error -1301)' }, code: -1301 }),
      unknown: new TapoError('Unsupported', 'unexpected', { params: { detail: 'this camera does not know that method (error -40105)' }, code: -40105 }),
    };
    const h = track(
      harness({
        send: (req) => {
          const refusal = refusals[String(req['method'])];
          if (refusal) throw refusal;
          return { error_code: 0 };
        },
      }),
    );
    await h.connection.request({ method: 'ok' });
    for (const [method, refusal] of Object.entries(refusals)) {
      assert.equal(await rejection(h.connection.request({ method })), refusal);
      assert.equal(h.connection.state, 'connected', method);
    }
    assert.deepEqual(
      h.states.map((s) => s.state),
      ['connecting', 'connected'],
    );
    assert.equal(h.connection.lastError, undefined);
    assert.equal(h.log.logins, 1);
  });

  it('a lockout thrown by a command locks the connection until secondsLeft has passed', async () => {
    let lockedOnce = false;
    const h = track(
      harness(
        {
          send: () => {
            if (!lockedOnce) {
              lockedOnce = true;
              throw new TapoError('Locked', 'unexpected', { params: { detail: 'blocked (error -40404)' }, code: -40404, secondsLeft: 30 });
            }
            return { error_code: 0 };
          },
        },
        { kind: 'camera' },
      ),
    );
    const first = await rejection(h.connection.request({ method: 'getDeviceInfo' }));
    assert.equal(first.kind, 'Locked');
    assert.equal(h.connection.state, 'locked');
    assert.equal(h.states.at(-1)?.state, 'locked');
    h.clock.ms += 10_000;
    const second = await rejection(h.connection.request({ method: 'getDeviceInfo' }));
    assert.equal(second.kind, 'Locked');
    assert.equal(second.secondsLeft, 20);
    assert.equal(second.sent, false);
    assert.equal(h.log.sends, 1, 'nothing sent while locked');
    h.clock.ms += 20_000;
    assert.deepEqual(await h.connection.request({ method: 'getDeviceInfo' }), { error_code: 0 });
    assert.equal(h.connection.state, 'connected');
    assert.equal(h.log.logins, 1);
  });

  it('a lockout code in a command reply is returned and remembered', async () => {
    const locked: JsonObject = { error_code: -40404, data: { code: -40404, sec_left: 120 } };
    const h = track(harness({ send: (_req, n) => (n === 1 ? locked : { error_code: 0 }) }, { kind: 'camera' }));
    assert.deepEqual(await h.connection.request({ method: 'getDeviceInfo' }), locked);
    assert.equal(h.connection.state, 'locked');
    h.clock.ms += 60_000;
    const err = await rejection(h.connection.request({ method: 'getDeviceInfo' }));
    assert.equal(err.kind, 'Locked');
    assert.equal(err.secondsLeft, 60);
    assert.equal(h.log.sends, 1);
  });

  for (const where of ['a command reply', 'a login'] as const) {
    it(`a lockout of 1e9 s in ${where} is held for at most 30 minutes, then one login probes again`, async () => {
      const huge: JsonObject = { error_code: -40404, data: { code: -40404, sec_left: 1e9 } };
      const lockedOnce = { done: false };
      const h = track(
        harness(
          where === 'a login'
            ? {
                login: () => {
                  if (lockedOnce.done) return;
                  lockedOnce.done = true;
                  throw errorFromCode('camera', -40404, 'login', 1e9);
                },
              }
            : { send: (_req, n) => (n === 1 ? huge : { error_code: 0 }) },
          { kind: 'camera' },
        ),
      );
      if (where === 'a login') assert.equal((await rejection(h.connection.request({ method: 'getDeviceInfo' }))).kind, 'Locked');
      else assert.deepEqual(await h.connection.request({ method: 'getDeviceInfo' }), huge);
      const held = await rejection(h.connection.request({ method: 'getDeviceInfo' }));
      assert.equal(held.kind, 'Locked');
      assert.ok(held.secondsLeft !== undefined && held.secondsLeft <= MAX_LOCK_SECONDS, String(held.secondsLeft));
      const before = { logins: h.log.logins, sends: h.log.sends };
      h.clock.ms += MAX_LOCK_SECONDS * 1000 - 1000;
      assert.equal((await rejection(h.connection.request({ method: 'getDeviceInfo' }))).kind, 'Locked');
      assert.deepEqual({ logins: h.log.logins, sends: h.log.sends }, before, 'nothing sent while locked');
      h.clock.ms += 1000;
      assert.equal((await h.connection.request({ method: 'getDeviceInfo' }))['error_code'], 0);
      assert.equal(h.connection.state, 'connected');
    });
  }

  it('does not replay a non-idempotent request whose reply was lost', async () => {
    const h = track(
      harness({
        send: (_req, n) => {
          if (n === 1) throw new TapoError('Transport', 'unexpected', { params: { detail: 'socket hang up' }, sent: true });
          return { error_code: 0 };
        },
      }),
    );
    const err = await rejection(h.connection.request({ method: 'set_device_info' }));
    assert.equal(err.kind, 'Transport');
    assert.equal(h.log.sends, 1);
    assert.equal(h.connection.state, 'error');
  });

  it('replays an idempotent request once after a lost reply, and resends what never left', async () => {
    const h = track(
      harness({
        send: (_req, n) => {
          if (n === 1) throw new TapoError('Timeout', 'unexpected', { params: { detail: 'no answer' }, sent: true });
          if (n === 3) throw new TapoError('Transport', 'unexpected', { params: { detail: 'ECONNREFUSED' }, sent: false });
          return { error_code: 0, result: { n } };
        },
      }),
    );
    assert.deepEqual(await h.connection.request({ method: 'get_device_info' }, { idempotent: true }), {
      error_code: 0,
      result: { n: 2 },
    });
    assert.deepEqual(await h.connection.request({ method: 'set_device_info' }), { error_code: 0, result: { n: 4 } });
    assert.equal(h.log.logins, 1);
  });

  it('follows a suggested scheme, caches it, and never goes back to a scheme already tried', async () => {
    const h = track(
      harness({
        login: (scheme) => {
          if (scheme === 'klap') throw new TapoError('Unsupported', 'unexpected', { params: { detail: 'no KLAP (404)' }, suggestedScheme: 'passthrough' });
        },
      }),
    );
    await h.connection.request({ method: 'a' });
    assert.equal(h.connection.scheme, 'passthrough');
    assert.equal(h.log.created[0]?.closed, true, 'the abandoned transport is closed');
    h.log.created[1]?.reset();
    await h.connection.request({ method: 'b' });
    assert.deepEqual(h.log.events, ['login:klap', 'close:klap', 'login:passthrough', 'send:a', 'login:passthrough', 'send:b']);

    const loop = track(
      harness({
        login: (scheme) => {
          const next: SchemeName = scheme === 'klap' ? 'passthrough' : 'klap';
          throw new TapoError('Unsupported', 'unexpected', { params: { detail: 'other scheme' }, suggestedScheme: next });
        },
      }),
    );
    const err = await rejection(loop.connection.request({ method: 'a' }));
    assert.equal(err.kind, 'Unsupported');
    assert.equal(loop.log.logins, 2);
  });

  it('follows at most two suggestions per login', async () => {
    const chain: Partial<Record<SchemeName, SchemeName>> = { klap: 'passthrough', passthrough: 'tpap', tpap: 'klap-v1' };
    const h = track(
      harness({
        login: (scheme) => {
          const next = chain[scheme];
          throw new TapoError('Unsupported', 'unexpected', { params: { detail: 'other scheme' }, ...(next ? { suggestedScheme: next } : {}) });
        },
      }),
    );
    await rejection(h.connection.request({ method: 'a' }));
    assert.deepEqual(
      h.log.events.filter((e) => e.startsWith('login:')),
      ['login:klap', 'login:passthrough', 'login:tpap'],
    );
  });

  it('a forced scheme ignores suggestions', async () => {
    const h = track(
      harness(
        {
          login: () => {
            throw new TapoError('Unsupported', 'unexpected', { params: { detail: 'use KLAP' }, code: 1003, suggestedScheme: 'klap' });
          },
        },
        { scheme: 'passthrough' },
      ),
    );
    assert.equal(h.connection.scheme, 'passthrough');
    const err = await rejection(h.connection.request({ method: 'a' }));
    assert.equal(err.code, 1003);
    assert.equal(h.log.logins, 1);
  });

  it('forgets the cached scheme after a rejection that survives one re-login', async () => {
    let firmwareUpdated = false;
    const h = track(
      harness({
        login: (scheme) => {
          if (!firmwareUpdated && scheme === 'klap') throw new TapoError('Unsupported', 'unexpected', { params: { detail: '404' }, suggestedScheme: 'passthrough' });
          if (firmwareUpdated && scheme === 'passthrough') throw new TapoError('Authentication', 'unexpected', { params: { detail: 'login refused' }, code: 1111 });
        },
      }),
    );
    await h.connection.request({ method: 'a' });
    assert.equal(h.connection.scheme, 'passthrough');
    firmwareUpdated = true;
    h.log.created[1]?.reset();
    await rejection(h.connection.request({ method: 'b' }));
    h.clock.ms += 5_000;
    await rejection(h.connection.request({ method: 'c' }));
    assert.equal(h.connection.scheme, undefined);
    h.clock.ms += 10_000;
    await h.connection.request({ method: 'd' });
    assert.equal(h.connection.scheme, 'klap');
    assert.deepEqual(
      h.log.events.filter((e) => e.startsWith('login:')),
      ['login:klap', 'login:passthrough', 'login:passthrough', 'login:passthrough', 'login:klap'],
    );
  });

  it('backs off 1 s then 2 s on rate limiting, for idempotent requests only', async () => {
    const timers = sinon.useFakeTimers();
    const h = track(
      harness({
        send: (_req, n): JsonObject => (n <= 2 ? { error_code: -1301 } : { error_code: 0, result: { n } }),
      }),
    );
    let settled = false;
    const p = h.connection.request({ method: 'get_energy_usage' }, { idempotent: true }).finally(() => {
      settled = true;
    });
    await timers.tickAsync(999);
    assert.equal(h.log.sends, 1);
    await timers.tickAsync(1);
    assert.equal(h.log.sends, 2);
    await timers.tickAsync(1_999);
    assert.equal(settled, false);
    await timers.tickAsync(1);
    assert.deepEqual(await p, { error_code: 0, result: { n: 3 } });

    const q = track(harness({ send: () => ({ error_code: -1301 }) }));
    assert.deepEqual(await q.connection.request({ method: 'set_device_info' }), { error_code: -1301 });
    assert.equal(q.log.sends, 1);

    const r = track(
      harness({
        send: () => {
          throw new TapoError('RateLimited', 'unexpected', { params: { detail: 'busy' }, code: -52405 });
        },
      }),
    );
    const rp = rejection(r.connection.request({ method: 'x' }, { idempotent: true }));
    await timers.tickAsync(3_000);
    assert.equal((await rp).kind, 'RateLimited');
    assert.equal(r.log.sends, 3);
  });

  it('times out one request without blocking the queue', async () => {
    const timers = sinon.useFakeTimers();
    const h = track(
      harness(
        {
          send: (req, _n, signal) =>
            req['method'] === 'hang'
              ? new Promise<JsonObject>((_resolve, reject) => {
                  signal?.addEventListener('abort', () => reject(new TapoError('Transport', 'unexpected', { params: { detail: 'aborted' } })));
                })
              : { error_code: 0 },
        },
        { timeoutMs: 5_000 },
      ),
    );
    const hung = rejection(h.connection.request({ method: 'hang' }));
    const next = h.connection.request({ method: 'ok' }, { timeoutMs: 60_000 });
    await timers.tickAsync(5_000);
    const err = await hung;
    assert.equal(err.kind, 'Timeout');
    assert.equal(err.sent, true);
    assert.deepEqual(await next, { error_code: 0 });
    assert.deepEqual(
      h.states.map((s) => s.state),
      ['connecting', 'connected', 'error', 'connected'],
      'a device that does not answer is a connection failure, until the next answer',
    );
    assert.equal(h.states[2]?.error?.kind, 'Timeout');
  });

  it('an aborted caller signal rejects only that request', async () => {
    const h = track(harness());
    const controller = new AbortController();
    const sendGate = gate();
    const slow = track(
      harness({
        send: async () => {
          await sendGate.promise;
          return { error_code: 0 };
        },
      }),
    );
    const first = slow.connection.request({ method: 'first' });
    const second = slow.connection.request({ method: 'second' }, { signal: controller.signal });
    controller.abort();
    const err = await rejection(second);
    assert.equal(err.kind, 'Transport');
    assert.equal(err.sent, false);
    sendGate.open();
    await first;
    assert.deepEqual(slow.log.events, ['login:klap', 'send:first']);
    await h.connection.request({ method: 'unrelated' });
  });

  it('close() rejects in-flight and queued requests, closes the transport and refuses later ones', async () => {
    const h = track(
      harness({
        send: (_req, _n, signal) =>
          new Promise<JsonObject>((_resolve, reject) => {
            signal?.addEventListener('abort', () => reject(new TapoError('Transport', 'unexpected', { params: { detail: 'aborted' } })));
          }),
      }),
    );
    const inFlight = rejection(h.connection.request({ method: 'a' }));
    const queued = rejection(h.connection.request({ method: 'b' }));
    while (h.log.sends === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    await h.connection.close();
    const [e1, e2] = await Promise.all([inFlight, queued]);
    assert.equal(e1.kind, 'Transport');
    assert.equal(e1.message, 'connection closed');
    assert.equal(e2.message, 'connection closed');
    assert.equal(e2.sent, false);
    assert.equal(h.log.created[0]?.closed, true);
    assert.equal(h.connection.state, 'closed');
    assert.equal(h.states.at(-1)?.state, 'closed');
    const later = await rejection(h.connection.request({ method: 'c' }));
    assert.equal(later.message, 'connection closed');
    assert.equal(h.log.sends, 1);
  });

  describe('a cached scheme the device no longer speaks (review fix 1)', () => {
    const forbidden = (): TapoError =>
      new TapoError('Authentication', 'unexpected', { params: { detail: 'the device refused the KLAP handshake (HTTP 403)' }, httpStatus: 403, suggestedScheme: 'tpap' });
    const notTpap = (): TapoError => new TapoError('Unsupported', 'unexpected', { params: { detail: 'the device does not answer TPAP (its reply to the TPAP discover is not JSON)' } });

    it('detects again from the first guess when the cached TPAP login is answered in another scheme', async () => {
      let onKlap = false;
      const h = track(
        harness({
          login: (scheme) => {
            if (scheme === 'klap' && !onKlap) throw forbidden();
            if (scheme === 'tpap' && onKlap) throw notTpap();
          },
        }),
      );
      await h.connection.request({ method: 'a' });
      assert.equal(h.connection.scheme, 'tpap');
      onKlap = true;
      h.log.created[1]?.reset();
      await h.connection.request({ method: 'b' });
      assert.equal(h.connection.scheme, 'klap');
      assert.deepEqual(
        h.log.events.filter((e) => e.startsWith('login:')),
        ['login:klap', 'login:tpap', 'login:tpap', 'login:klap'],
      );
    });

    it('detects again once per request, and reports the cached scheme failure when detection only points back at it', async () => {
      const garbled = new TapoError('Transport', 'unexpected', { params: { detail: 'the pake_register reply lacks dev_random, dev_salt, dev_share or iterations' } });
      let broken = false;
      const h = track(
        harness({
          login: (scheme) => {
            if (scheme === 'klap') throw forbidden();
            if (broken) throw garbled;
          },
        }),
      );
      await h.connection.request({ method: 'a' });
      broken = true;
      h.log.created[1]?.reset();
      const err = await rejection(h.connection.request({ method: 'b' }));
      assert.equal(err, garbled);
      assert.deepEqual(
        h.log.events.filter((e) => e.startsWith('login:')),
        ['login:klap', 'login:tpap', 'login:tpap', 'login:klap'],
      );
      assert.equal(h.connection.scheme, undefined);
    });

    it('keeps the cache on timeouts and on a forced scheme', async () => {
      let down = false;
      const h = track(
        harness({
          login: (scheme) => {
            if (scheme === 'klap') throw forbidden();
            if (down) throw new TapoError('Timeout', 'unexpected', { params: { detail: 'no answer' }, sent: false });
          },
        }),
      );
      await h.connection.request({ method: 'a' });
      down = true;
      h.log.created[1]?.reset();
      assert.equal((await rejection(h.connection.request({ method: 'b' }))).kind, 'Timeout');
      assert.deepEqual(
        h.log.events.filter((e) => e.startsWith('login:')),
        ['login:klap', 'login:tpap', 'login:tpap'],
      );

      const forced = track(harness({ login: () => Promise.reject(notTpap()) }, { scheme: 'tpap' }));
      await rejection(forced.connection.request({ method: 'a' }));
      assert.deepEqual(forced.log.events, ['login:tpap']);
    });
  });

  it('backs off on a rate-limit code inside a multipleRequest entry (review fix 2)', async () => {
    const timers = sinon.useFakeTimers();
    const batch = (code: number): JsonObject => ({ error_code: 0, result: { responses: [{ method: 'getLensMaskConfig', error_code: code }] } });
    const h = track(harness({ send: (_req, n) => batch(n === 1 ? -40109 : 0) }, { kind: 'camera' }));
    const p = h.connection.request({ method: 'multipleRequest', params: { requests: [] } }, { idempotent: true });
    await timers.tickAsync(1_000);
    assert.deepEqual(await p, batch(0));
    assert.equal(h.log.sends, 2);

    const q = track(harness({ send: () => batch(-52405) }, { kind: 'camera' }));
    assert.deepEqual(await q.connection.request({ method: 'multipleRequest', params: { requests: [] } }), batch(-52405));
    assert.equal(q.log.sends, 1, 'not idempotent: no back-off');
  });

  it('connect() logs in without sending anything', async () => {
    const h = track(harness({}, { kind: 'camera' }));
    await h.connection.connect();
    assert.equal(h.log.logins, 1);
    assert.equal(h.log.sends, 0);
    assert.equal(h.connection.family, 'camera');
    assert.equal(h.connection.scheme, 'camera-secure');
    await h.connection.connect();
    assert.equal(h.log.logins, 1);
  });
});

describe('parseHostPort', () => {
  it('splits host and port and rejects bad ports', () => {
    assert.deepEqual(parseHostPort('192.168.1.20'), { host: '192.168.1.20' });
    assert.deepEqual(parseHostPort('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseHostPort('[::1]:443'), { host: '::1', port: 443 });
    assert.deepEqual(parseHostPort('fe80::1'), { host: 'fe80::1' });
    assert.throws(() => parseHostPort('host:99999'), (e: unknown) => e instanceof TapoError && e.kind === 'Input');
    assert.throws(() => parseHostPort('host:abc'), (e: unknown) => e instanceof TapoError && e.kind === 'Input');
  });
});
