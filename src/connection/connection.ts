/**
 * One session per device: `DeviceConnection` owns the transport, picks the scheme, logs in lazily
 * and once for many callers, sends one request at a time in arrival order, re-logs in once when a
 * session expires and keeps away from the device while a camera is locked.
 *
 * The rules come from ../shared/protocol: README "How a client should pick the scheme",
 * plug-klap.md §8 (403 ⇒ new handshake, retry), camera.md §10 (re-login once, never loop logins,
 * honour `sec_left`), errors.md and field-issues.md §1–§9, and DESIGN.md house rules 3–5.
 *
 * Request lifecycle:
 * 1. `request()` puts a job at the end of a FIFO queue and starts its deadline (`timeoutMs`,
 *    counted from arrival so a caller is answered in bounded time even behind a dead device).
 * 2. At the head of the queue the job fails fast, with no traffic, while the device is locked
 *    (injected monotonic clock; a lockout seen at login or on a command) or inside the hold-off
 *    after a rejected password (plugs 5 s doubling to 5 min, cameras 60 s doubling to 30 min).
 * 3. Without a live session it logs in: forced scheme, or the cached one, or the family's first
 *    guess (`klap` for plugs, `camera-secure` for cameras). A login error naming a
 *    `suggestedScheme` moves to that scheme, at most twice and never back to one already tried.
 *    An `Authentication` error that names one (KLAP handshake1 403 ⇒ `tpap`: Third-Party
 *    Compatibility off, or a plug on TPAP firmware) is followed once; if the device does not
 *    speak that scheme either (it fails with anything but `Authentication` or `Locked`), the
 *    first error is the one reported. When the device answers a cached (detected, not forced)
 *    scheme's login but not in that scheme (`Unsupported`, or a `Transport` error about its
 *    reply: e.g. Third-Party Compatibility switched back on takes a plug from TPAP to KLAP), the
 *    cache is dropped and detection starts again from the first guess, once per request; network
 *    failures and timeouts keep the cache. Jobs that were waiting while a login failed share that
 *    failure instead of trying again, so 20 concurrent requests cost one login whatever happens.
 * 4. It sends. `SessionExpired` (KLAP 403, camera -40401, TPAP refusal: the device did not act)
 *    ⇒ reset, log in, replay once. A lost reply (`Transport`/`Timeout` with `sent: true`, which
 *    includes a reply that did not decrypt and ended the session) is replayed once only for
 *    idempotent requests; one that never left (`sent: false`) is resent once. Rate limiting
 *    (a `RateLimited` error, or a rate-limit code at the top of the reply or in one entry of a
 *    `multipleRequest` reply) backs off 1 s then 2 s, idempotent requests only.
 * 5. The state turns `error` only for failures of the connection itself (`Authentication`,
 *    `SessionExpired` after the re-login, `Transport`, `Timeout`, and any login failure), and
 *    `locked` for a lockout. A request-level refusal (`Input`, `Device`, `RateLimited`, an
 *    unsupported method) leaves a working session's state alone: one bad message must not turn
 *    every node red.
 */
import { EventEmitter } from 'node:events';
import { codeFamily, isRateLimited, lockoutIn, MAX_LOCK_SECONDS } from '../protocol/envelope';
import { errorFromCode, isTapoError, TapoError } from '../protocol/errors';
import type { DeviceFamily, ErrorKind } from '../protocol/errors';
import { isNetworkFailure } from '../protocol/http';
import { monotonicNow } from '../protocol/transport';
import type { Transport, TransportOptions } from '../protocol/transport';
import type { Credentials, DeviceKind, JsonObject, SchemeName } from '../protocol/types';
import type { RequestOptions, Requester } from '../devices/requester';
import { createTransport } from './transports';
import type { TransportFactory } from './transports';

/** Where a connection is in its life. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'error' | 'locked' | 'closed';

/** Payload of the `'state'` event. */
export interface ConnectionStateEvent {
  /** The new state. */
  state: ConnectionState;
  /** The failure that caused `error` or `locked`. */
  error?: TapoError;
  /** The scheme in use, when known. */
  scheme?: SchemeName;
}

/** How to reach and log in to one device. */
export interface ConnectionOptions {
  /** Host name or IP address, optionally with `:port` (`[v6]:port` for IPv6). */
  host: string;
  /** Plug (SMART family) or camera. */
  kind: DeviceKind;
  /** A fixed scheme, or `'auto'` (default) to detect and cache it. */
  scheme?: SchemeName | 'auto';
  /** Account e-mail (plugs) or `admin` (cameras), and the password. */
  credentials: Credentials;
  /**
   * Cameras: the camera account of the Tapo app (Advanced settings > Camera account), for ONVIF
   * events and RTSP (events.md §1, camera.md §4); not the admin login.
   */
  cameraAccount?: Credentials;
  /** Cameras: the RTSP port for snapshots (default 554, media.md §2.1). */
  rtspPort?: number;
  /** Per-request deadline in ms, counted from the call (default 10 000). */
  timeoutMs?: number;
  /** Monotonic clock in ms (default `performance.now`); tests inject one. */
  now?: () => number;
  /** For tests: builds transports instead of {@link createTransport}. */
  transportFactory?: TransportFactory;
  /**
   * After a rejected password, requests fail fast (same error, no traffic) for this long before
   * one new login is tried; it doubles per consecutive rejection. Cameras: default 60 000 ms, at
   * most 30 minutes (they lock the owner out after a few failures, camera.md §10). Plugs: default
   * 5 000 ms, at most 5 minutes (every message or poll would otherwise cost a failed login). 0 turns it off.
   */
  authHoldOffMs?: number;
}

/** Counters for status displays, tests and benchmarks. */
export interface ConnectionStats {
  /** Login attempts made (each scheme tried counts once). */
  logins: number;
  /** Envelopes handed to the transport (replays included). */
  requests: number;
}

/** Options for {@link DeviceConnection.connect}. */
export interface ConnectOptions {
  /** Aborts the login. */
  signal?: AbortSignal;
  /** Deadline in ms (default: the connection's). */
  timeoutMs?: number;
}

interface Job {
  ticket: number;
  /** What the job does once it reaches the head of the queue (a request, a bare login, an operation). */
  run: (job: Job) => Promise<unknown>;
  options: RequestOptions;
  /** Set when the job starts running (queued jobs need no signal); see {@link DeviceConnection}. */
  controller: AbortController | undefined;
  /** Why the job was aborted (deadline, caller, close). */
  abortError?: TapoError;
  /** True once an envelope of this job was handed to the transport at least once. */
  sent: boolean;
  /** True once this job dropped a cached scheme the device no longer speaks and detected again. */
  redetected: boolean;
  /** When the job's deadline fires, on the same clock as the timers (`performance.now`). */
  deadline: number;
  settled: boolean;
  resolve: (value: unknown) => void;
  reject: (error: TapoError) => void;
  cleanup: () => void;
}

/**
 * What an operation ({@link DeviceConnection.exclusive}) sends its requests through: they run at
 * once, one after another, inside the operation's turn and under its deadline.
 */
export type OperationRequester = Requester;

const DEFAULT_TIMEOUT_MS = 10_000;
/** Lock length assumed when a camera says "blocked" without `sec_left`. */
const DEFAULT_LOCK_SECONDS = 60;
/** Hold-off after a rejected password: first length and cap, per device kind. */
const AUTH_HOLD_OFF: Record<DeviceKind, { firstMs: number; maxMs: number }> = {
  camera: { firstMs: 60_000, maxMs: 30 * 60_000 },
  plug: { firstMs: 5_000, maxMs: 5 * 60_000 },
};
const MAX_SUGGESTIONS = 2;
const RATE_LIMIT_BACKOFF_MS = [1_000, 2_000];

/**
 * A rate-limited idempotent request waits and tries again, but only when the wait ends before its
 * deadline: otherwise the caller gets the device's RateLimited answer now, not a Timeout later.
 */
function canBackOff(job: Job, idempotent: boolean, tries: number): boolean {
  const wait = RATE_LIMIT_BACKOFF_MS[tries];
  return idempotent && wait !== undefined && performance.now() + wait < job.deadline;
}

/** The host part of a configured `host`, `host:port`, `[v6]` or `[v6]:port` (as it is, when it does not parse). */
export function hostOf(value: string): string {
  try {
    return parseHostPort(value).host;
  } catch {
    return value;
  }
}

/** Splits `host`, `host:port`, `[v6]` or `[v6]:port`. Throws an `Input` error for a bad port. */
export function parseHostPort(value: string): { host: string; port?: number } {
  const text = value.trim();
  let host = text;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracket) {
    host = bracket[1] ?? '';
    portText = bracket[2];
  } else if (text.indexOf(':') !== -1 && text.indexOf(':') === text.lastIndexOf(':')) {
    host = text.slice(0, text.indexOf(':'));
    portText = text.slice(text.indexOf(':') + 1);
  }
  if (!host) {
    throw new TapoError('Input', 'noHost', { params: { value }, hint: 'giveHost', sent: false });
  }
  if (portText === undefined) return { host };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new TapoError('Input', 'badPort', { params: { value }, hint: 'portRange', sent: false });
  }
  return { host, port };
}

/**
 * The session to one device, shared by every caller. Implements {@link Requester} for the
 * devices layer. Emits `'state'` with a {@link ConnectionStateEvent} on every state change.
 */
export class DeviceConnection extends EventEmitter implements Requester {
  /** Where the connection is in its life. */
  state: ConnectionState = 'idle';
  /** The scheme in use: the forced one, or the detected one once known. */
  scheme: SchemeName | undefined;
  /** The last failure, until a later success clears it. */
  lastError: TapoError | undefined;
  /** Counters. */
  readonly stats: ConnectionStats = { logins: 0, requests: 0 };
  /** Device family on the other end. */
  readonly family: DeviceFamily;

  private readonly options: ConnectionOptions;
  private readonly address: { host: string; port?: number };
  private readonly forcedScheme: SchemeName | undefined;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly factory: TransportFactory;
  private readonly authHoldOffMs: number;
  private readonly maxAuthHoldOffMs: number;
  private transport: Transport | undefined;
  private cachedScheme: SchemeName | undefined;
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  /**
   * The abort controller of the running job, handed on to the next job while it was never
   * aborted: only one job runs at a time, and every listener below us (HTTP client, backoff
   * delay) is removed when its operation ends, so sequential jobs can share it. An abort
   * (deadline, caller, close) uses it up and the next job gets a fresh one. Creating an
   * AbortController costs more than the rest of the queue bookkeeping of a request.
   */
  private controller: AbortController | undefined;
  private nextTicket = 0;
  private closed = false;
  /** The last login failure and the first ticket that may try again. */
  private loginFailure: { ticket: number; error: TapoError } | undefined;
  private lockedUntil: number | undefined;
  private lockCode: number | undefined;
  private authFailures = 0;
  /** The rejected-password error and when one new login may be tried. */
  private authHold: { until: number; error: TapoError } | undefined;
  private lastEmittedError: TapoError | undefined;

  constructor(options: ConnectionOptions) {
    super();
    this.options = options;
    this.address = parseHostPort(options.host);
    this.family = options.kind === 'camera' ? 'camera' : 'smart';
    this.forcedScheme = options.scheme === undefined || options.scheme === 'auto' ? undefined : options.scheme;
    this.scheme = this.forcedScheme;
    this.now = options.now ?? monotonicNow;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.factory = options.transportFactory ?? createTransport;
    const holdOff = AUTH_HOLD_OFF[options.kind] ?? AUTH_HOLD_OFF.plug;
    this.authHoldOffMs = options.authHoldOffMs ?? holdOff.firstMs;
    this.maxAuthHoldOffMs = Math.max(holdOff.maxMs, this.authHoldOffMs);
  }

  /** Sends one envelope through the session (logging in first if needed) and returns the reply envelope. */
  request(req: JsonObject, options: RequestOptions = {}): Promise<JsonObject> {
    const idempotent = options.idempotent === true;
    return this.enqueue((job) => this.execute(job, req, idempotent), options) as Promise<JsonObject>;
  }

  /**
   * Runs `operation` as ONE job of the queue: it starts when every job that arrived before it has
   * finished, and every request it sends through the {@link OperationRequester} it is given runs at
   * once, one after another, inside its turn, so that no other caller's request comes between
   * them (a toggle's read and its set). The whole operation shares one deadline counted from its
   * arrival (`options.timeoutMs`, else the connection's): a device that never answers costs each
   * waiting operation at most one timeout. Resolves with what `operation` resolves with.
   */
  exclusive<T>(operation: (requester: OperationRequester) => Promise<T>, options: RequestOptions = {}): Promise<T> {
    return this.enqueue((job) => operation(this.stepsOf(job)), options) as Promise<T>;
  }

  /** Logs in now unless a session exists (a bare login in the queue like any request). */
  async connect(options: ConnectOptions = {}): Promise<void> {
    const jobOptions: RequestOptions = {};
    if (options.signal) jobOptions.signal = options.signal;
    if (options.timeoutMs !== undefined) jobOptions.timeoutMs = options.timeoutMs;
    await this.enqueue((job) => this.execute(job, undefined, false), jobOptions);
  }

  /**
   * Forgets the session and the detected scheme (a forced one stays), so the next login detects
   * the scheme again from the family's first guess: after a firmware update the device may come
   * back speaking another scheme (field-issues.md §2). Nothing is sent.
   */
  forgetScheme(): void {
    this.transport?.reset();
    if (this.forcedScheme !== undefined) return;
    this.cachedScheme = undefined;
    this.scheme = undefined;
  }

  /**
   * Rejects queued and in-flight requests with a `Transport` error "connection closed", closes the
   * transport and its sockets and clears every timer. Later requests reject. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const jobs = [...this.queue];
    this.queue.length = 0;
    if (this.running) jobs.unshift(this.running);
    for (const job of jobs) this.abortJob(job, closedError(job.sent));
    const transport = this.transport;
    this.transport = undefined;
    this.setState('closed');
    if (transport) await transport.close().catch(() => undefined);
  }

  /**
   * The requester of a running operation: each request goes straight to the session (no queue),
   * after the operation's previous request has finished, under the operation's deadline. A request
   * made after the operation was settled (its deadline passed) is refused without traffic.
   */
  private stepsOf(job: Job): OperationRequester {
    let previous: Promise<unknown> = Promise.resolve();
    return {
      family: this.family,
      request: (req: JsonObject, options: RequestOptions = {}): Promise<JsonObject> => {
        const step = previous.then(() => {
          if (job.settled || this.closed) throw job.abortError ?? closedError(false);
          return this.execute(job, req, options.idempotent === true);
        });
        previous = step.catch(() => undefined);
        return step;
      },
    };
  }

  private enqueue(run: (job: Job) => Promise<unknown>, options: RequestOptions): Promise<unknown> {
    if (this.closed) return Promise.reject(closedError(false));
    return new Promise<unknown>((resolve, reject) => {
      const job: Job = {
        ticket: this.nextTicket++,
        run,
        options,
        controller: undefined,
        sent: false,
        redetected: false,
        deadline: 0,
        settled: false,
        resolve,
        reject,
        cleanup: () => undefined,
      };
      const ms = options.timeoutMs ?? this.timeoutMs;
      job.deadline = performance.now() + ms;
      const timer = setTimeout(() => {
        this.abortJob(
          job,
          new TapoError('Timeout', 'noAnswerWithin', { params: { ms }, sent: job.sent, hint: 'checkPoweredOrTimeout' }),
        );
      }, ms);
      const callerSignal = options.signal;
      const onCallerAbort = (): void => {
        this.abortJob(job, new TapoError('Transport', 'requestAborted', { sent: job.sent, cause: callerSignal?.reason }));
      };
      job.cleanup = () => {
        clearTimeout(timer);
        callerSignal?.removeEventListener('abort', onCallerAbort);
      };
      if (callerSignal?.aborted) {
        job.cleanup();
        reject(new TapoError('Transport', 'requestAborted', { sent: false, cause: callerSignal.reason }));
        return;
      }
      callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Settles a job with `error` now; a queued job leaves the queue, a running one is aborted. */
  private abortJob(job: Job, error: TapoError): void {
    if (job.settled) return;
    job.abortError = error;
    const index = this.queue.indexOf(job);
    if (index !== -1) this.queue.splice(index, 1);
    job.controller?.abort(error);
    this.settle(job, error, true);
  }

  private settle(job: Job, outcome: unknown, failed: boolean): void {
    if (job.settled) return;
    job.settled = true;
    job.cleanup();
    if (failed) job.reject(job.abortError ?? toTapoError(outcome));
    else job.resolve(outcome);
  }

  /** Starts the head of the queue when nothing runs: one request at a time, in arrival order. */
  private pump(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    if (!job) return;
    this.running = job;
    if (this.controller === undefined || this.controller.signal.aborted) this.controller = new AbortController();
    job.controller = this.controller;
    void this.executeAndRecord(job)
      .then(
        (value) => this.settle(job, value, false),
        (e: unknown) => this.settle(job, e, true),
      )
      .finally(() => {
        this.running = undefined;
        this.pump();
      });
  }

  /**
   * Runs a job and records what its failure says about the connection: a login cut short by the
   * job's deadline or abort still leaves `connecting`, and a request that ran out of time (the
   * device did not answer) is a connection failure; a caller's abort is not.
   */
  private async executeAndRecord(job: Job): Promise<unknown> {
    try {
      return await job.run(job);
    } catch (e) {
      const err = job.abortError ?? toTapoError(e);
      if (!this.closed && (this.state === 'connecting' || (job.abortError !== undefined && err.kind === 'Timeout'))) {
        this.lastError = err;
        this.setState('error', err);
      }
      throw err;
    }
  }

  /** Sends `req` (or only logs in, without one) for `job`: login, send, re-login and replay rules of step 3–4 above. */
  private async execute(job: Job, req: JsonObject | undefined, idempotent: boolean): Promise<JsonObject> {
    const signal = jobSignal(job);
    this.failIfLocked();
    let logins = 0;
    let expiryReplays = 0;
    let lostReplays = 0;
    let rateTries = 0;
    let schemeSwitches = 0;
    for (;;) {
      throwIfAborted(signal);
      if (!this.transport || !this.transport.hasSession) {
        if (logins >= 2) throw this.lastError ?? new TapoError('SessionExpired', 'sessionNotKept', { sent: false });
        logins++;
        await this.login(job);
      }
      const transport = this.transport;
      if (!transport) throw closedError(false);
      if (req === undefined) return {};
      try {
        this.stats.requests++;
        job.sent = true;
        const reply = await transport.send(req, signal);
        if (isRateLimited(this.family, reply) && canBackOff(job, idempotent, rateTries)) {
          await delay(RATE_LIMIT_BACKOFF_MS[rateTries++] ?? 0, signal);
          continue;
        }
        // A lockout code in a command reply (camera -40404/-40408) is remembered like one at
        // login; the reply still goes back to the caller, whose verb turns it into its error.
        const lock = lockoutInReply(reply, this.family);
        if (lock) {
          this.recordLock(lock);
          return reply;
        }
        this.lastError = undefined;
        this.setState('connected');
        return reply;
      } catch (e) {
        throwIfAborted(signal);
        const err = toTapoError(e);
        if (err.kind === 'SessionExpired' && expiryReplays < 1) {
          expiryReplays++;
          transport.reset();
          continue;
        }
        if ((err.kind === 'Transport' || err.kind === 'Timeout') && lostReplays < 1 && (!err.sent || idempotent)) {
          lostReplays++;
          continue;
        }
        // The device refused the request as the wrong scheme (firmware updated in place, e.g. a
        // passthrough plug now answering 1003): it did not act, so switch and replay once.
        // A session endpoint that vanished (404 on KLAP /request or TPAP /ds) did not act either:
        // without a suggestion, detect the scheme again from the start.
        const leftScheme = err.kind === 'Unsupported' && err.aboutScheme === true && !err.sent;
        if (err.kind === 'Unsupported' && (err.suggestedScheme || leftScheme) && !this.forcedScheme && schemeSwitches < 1) {
          schemeSwitches++;
          this.cachedScheme = err.suggestedScheme;
          transport.reset();
          continue;
        }
        if (err.kind === 'RateLimited' && canBackOff(job, idempotent, rateTries)) {
          await delay(RATE_LIMIT_BACKOFF_MS[rateTries++] ?? 0, signal);
          continue;
        }
        if (err.kind === 'SessionExpired') transport.reset();
        if (err.kind === 'Locked') this.recordLock(err);
        else if (CONNECTION_FAILURES.has(err.kind)) {
          this.lastError = err;
          this.setState('error', err);
        }
        throw err;
      }
    }
  }

  /** Throws a fresh `Locked` error (with the seconds still left) while a lockout lasts. */
  private failIfLocked(): void {
    if (this.lockedUntil === undefined) return;
    const leftMs = this.lockedUntil - this.now();
    if (leftMs <= 0) {
      this.lockedUntil = undefined;
      return;
    }
    const secondsLeft = Math.ceil(leftMs / 1000);
    const base = errorFromCode('camera', this.lockCode ?? -40404, 'login', secondsLeft);
    throw new TapoError('Locked', base.reason, { ...base.details(), secondsLeft, sent: false });
  }

  /** One login for `job`, following at most {@link MAX_SUGGESTIONS} scheme suggestions. */
  private async login(job: Job): Promise<void> {
    const signal = jobSignal(job);
    if (this.loginFailure && job.ticket < this.loginFailure.ticket) throw this.loginFailure.error;
    if (this.authHold && this.now() < this.authHold.until) throw heldBack(this.authHold.error, this.authHold.until - this.now());
    this.setState('connecting');
    const tried = new Set<SchemeName>();
    const firstGuess: SchemeName = this.options.kind === 'camera' ? 'camera-secure' : 'klap';
    let scheme: SchemeName = this.forcedScheme ?? this.cachedScheme ?? firstGuess;
    /** True while trying a remembered scheme that a firmware change may have taken away. */
    let onCachedScheme = this.forcedScheme === undefined && this.cachedScheme !== undefined && scheme !== firstGuess;
    /** The cached scheme's failure, once the device answered it in another scheme. */
    let stale: { scheme: SchemeName; error: TapoError } | undefined;
    let hops = 0;
    /** A refusal that named another scheme; reported if that scheme turns out not to be there. */
    let refusal: TapoError | undefined;
    for (;;) {
      throwIfAborted(signal);
      tried.add(scheme);
      const transport = await this.useTransport(scheme);
      throwIfAborted(signal);
      this.stats.logins++;
      try {
        await transport.login(signal);
      } catch (e) {
        if (signal.aborted) {
          // A login that hung until this job's deadline is shared by every job queued behind it,
          // like a refused one: each would otherwise wait one more timeout for the same silence.
          if (job.abortError?.kind === 'Timeout') {
            this.loginFailure = { ticket: this.nextTicket, error: job.abortError };
            transport.reset();
          }
          throw toTapoError(signal.reason);
        }
        const err = toTapoError(e);
        const next = err.suggestedScheme;
        if (!this.forcedScheme && next && !tried.has(next) && hops < MAX_SUGGESTIONS) {
          if (err.kind === 'Authentication' && refusal === undefined) refusal = err;
          hops++;
          scheme = next;
          onCachedScheme = false;
          continue;
        }
        // The device answered the cached scheme, but not in it (Third-Party Compatibility turned
        // back on, a firmware change): forget the cache and detect from the start, once per request.
        if (onCachedScheme && !job.redetected && answeredInAnotherScheme(err)) {
          job.redetected = true;
          onCachedScheme = false;
          stale = { scheme, error: err };
          this.cachedScheme = undefined;
          this.scheme = undefined;
          hops = 0;
          refusal = undefined;
          scheme = firstGuess;
          continue;
        }
        // Authentication or Locked proves the suggested scheme is there (its verdict stands);
        // anything else (no TPAP endpoint, `tpap_preferred: false`, not JSON) means it is not.
        let reported = refusal !== undefined && err.kind !== 'Authentication' && err.kind !== 'Locked' ? refusal : err;
        // A new detection that only points back at the scheme that just failed: that failure is the story.
        if (stale !== undefined && reported.suggestedScheme === stale.scheme) reported = stale.error;
        this.recordLoginFailure(reported);
        throw reported;
      }
      if (!this.forcedScheme) this.cachedScheme = scheme;
      this.scheme = scheme;
      this.loginFailure = undefined;
      this.authFailures = 0;
      this.authHold = undefined;
      this.lastError = undefined;
      this.setState('connected');
      return;
    }
  }

  private recordLoginFailure(err: TapoError): void {
    this.loginFailure = { ticket: this.nextTicket, error: err };
    this.lastError = err;
    this.transport?.reset();
    if (err.kind === 'Locked') {
      this.recordLock(err);
      return;
    }
    if (err.kind === 'Authentication') {
      this.authFailures++;
      // Firmware updates switch schemes in place: a rejection that survives a second login
      // on the cached scheme sends the next attempt back to probing (README, step 3).
      if (!this.forcedScheme && this.authFailures >= 2) {
        this.cachedScheme = undefined;
        this.scheme = undefined;
      }
      if (this.authHoldOffMs > 0) {
        const holdOff = Math.min(this.authHoldOffMs * 2 ** (this.authFailures - 1), this.maxAuthHoldOffMs);
        this.authHold = { until: this.now() + holdOff, error: err };
      }
    }
    this.setState('error', err);
  }

  /** Keeps away from the device until the lockout in `err` has passed (login or command). */
  private recordLock(err: TapoError): void {
    // Never longer than the longest lock the field documents: a garbled or hostile `sec_left`
    // (1e9) must not keep the device away for years; after the cap one login probes again.
    const seconds = Math.min(err.secondsLeft ?? DEFAULT_LOCK_SECONDS, MAX_LOCK_SECONDS);
    this.lockedUntil = this.now() + seconds * 1000;
    this.lockCode = err.code;
    this.lastError = err;
    this.setState('locked', err);
  }

  /** Returns the transport for `scheme`, replacing (and closing) one of another scheme. */
  private async useTransport(scheme: SchemeName): Promise<Transport> {
    if (this.transport && this.transport.scheme === scheme) return this.transport;
    const old = this.transport;
    this.transport = undefined;
    if (old) await old.close().catch(() => undefined);
    if (this.closed) throw closedError(false);
    const options: TransportOptions = {
      host: this.address.host,
      credentials: this.options.credentials,
      family: this.family,
      timeoutMs: this.timeoutMs,
      now: this.now,
    };
    if (this.address.port !== undefined) options.port = this.address.port;
    this.transport = this.factory(scheme, options);
    return this.transport;
  }

  private setState(state: ConnectionState, error?: TapoError): void {
    if (this.state === 'closed') return;
    if (state === this.state && (error === undefined || error === this.lastEmittedError)) return;
    this.state = state;
    this.lastEmittedError = error;
    const event: ConnectionStateEvent = { state };
    if (error) event.error = error;
    if (this.scheme) event.scheme = this.scheme;
    this.emit('state', event);
  }
}

/** The signal of a running job (every running job has a controller, set in `pump`). */
function jobSignal(job: Job): AbortSignal {
  if (job.controller === undefined) throw new TapoError('Transport', 'notRunning', { sent: false });
  return job.controller.signal;
}

/**
 * The error of a request refused inside the login hold-off: the rejection it repeats, saying that
 * no login was tried this time and for how long none will be (the hint is the original's, so a
 * Third-Party Compatibility hint still shows).
 */
function heldBack(rejection: TapoError, leftMs: number): TapoError {
  const seconds = Math.max(1, Math.ceil(leftMs / 1000));
  const { suggestedScheme: _suggested, aboutScheme: _about, ...details } = rejection.details();
  return new TapoError(rejection.kind, rejection.reason, {
    ...details,
    params: { ...rejection.params, seconds },
    also: 'heldBack',
    sent: false,
    cause: rejection,
  });
}

function closedError(sent: boolean): TapoError {
  return new TapoError('Transport', 'connectionClosed', { sent });
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw toTapoError(signal.reason);
}

function toTapoError(e: unknown): TapoError {
  if (isTapoError(e)) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new TapoError('Transport', 'unexpected', { params: { detail }, cause: e, hint: 'checkPowered' });
}

/**
 * Failures of the connection itself, which turn its state to `error` when a request meets them.
 * Request-level refusals (`Input`, `Device`, `RateLimited`, `Unsupported` method) do not.
 */
const CONNECTION_FAILURES: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['Authentication', 'SessionExpired', 'Transport', 'Timeout']);

/** A `Locked` error when the reply reports a lockout (errors.md §5, read by src/protocol/envelope). */
function lockoutInReply(reply: JsonObject, family: DeviceFamily): TapoError | undefined {
  const lock = lockoutIn(family, reply);
  return lock === undefined ? undefined : errorFromCode(codeFamily(family, lock.code), lock.code, 'request', lock.secondsLeft);
}

/**
 * True when a login failure shows the device answering, but not in the scheme tried: a refusal
 * of the scheme (`Unsupported`) or an answer the scheme cannot use (`Transport` raised about a
 * reply). Network failures and timeouts say nothing about the scheme and keep the cache.
 */
function answeredInAnotherScheme(err: TapoError): boolean {
  if (err.kind === 'Unsupported') return true;
  return err.kind === 'Transport' && !isNetworkFailure(err);
}

/** Waits `ms`, or rejects when `signal` aborts (the timer is cleared either way). */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(toTapoError(signal.reason));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(toTapoError(signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
