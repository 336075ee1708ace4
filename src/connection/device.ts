/**
 * `TapoDevice`: the ONE owner of a device in use (DESIGN.md rule 3), as the MQTT broker node's
 * client is for its broker. Everything that uses a device goes through it:
 *
 * 1. Users (the Node-RED nodes, the CLI) `register` and `deregister`; nothing touches the network
 *    before the first operation, and the session closes when the last user leaves (a later user
 *    opens a new one).
 * 2. `run(operation)` performs one whole operation (a verb that may need several requests, e.g. a
 *    toggle's read and set) as one job of the connection's FIFO queue, with a deadline counted from
 *    its arrival: a device that never answers costs each waiting operation at most one timeout.
 *    There is no other queue: operations and single requests wait in the same one.
 * 3. What is learnt about the device (strip or plug, component list, whether it takes batches,
 *    which alarm form a camera takes) is kept here for the life of the connection, so no
 *    operation asks for it twice.
 * 4. The connection's state changes are re-emitted as `'state'` events for status displays.
 * 5. It keeps the device found (locate.ts): the MAC is learnt from the device-info replies the
 *    verbs already read (no request of its own), or from the answer to the wake-up probe when a
 *    first failure comes before any such read, and kept for the owner's life (not across a
 *    restart: a device that moved while Node-RED was down is found again only once it answers at
 *    the configured address, or the address is changed). When an operation
 *    fails because the device stopped answering at its address, one wake-up probe goes to that
 *    address and, if nothing with that MAC answers there, the MAC is searched for. A device found
 *    elsewhere is followed: the connection is rebuilt for the new address (same port, scheme
 *    setting and credentials) and `'moved'` is emitted; the configured `options.host` is never
 *    changed (the flow is the user's), {@link TapoDevice.currentHost} says where the device is,
 *    and everything that talks to the device uses it: the connection, snapshots and streams, and
 *    the event sources (ONVIF subscribes again there, the doorbell ring filter takes the new address).
 *    The failed operation is run once more, within its own deadline, only when nothing it sent
 *    that was not idempotent may have reached the device (DESIGN.md rule 6); otherwise its error
 *    stands and the next operation uses the new address.
 *
 * The config node keeps only credentials, status painting and admin endpoints.
 */
import { EventEmitter } from 'node:events';
import { Camera } from '../devices/camera';
import type { CameraFacts } from '../devices/camera';
import { identify } from '../devices/identify';
import { openLight } from '../devices/light';
import type { Light } from '../devices/light';
import { openSmart } from '../devices/plug';
import type { Plug, Strip } from '../devices/plug';
import type { Requester, RequestOptions } from '../devices/requester';
import type { SmartFacts } from '../devices/smart';
import { SmartHub, notHub, openHub } from '../devices/hub';
import type { Hub, HubFacts } from '../devices/hub';
import { checkFirmware, followUpdate, startUpdate } from '../devices/firmware';
import type { FirmwareCheck, FirmwareProgress, FirmwareUpdateResult } from '../devices/firmware';
import { streamUrls, takeSnapshot } from '../devices/snapshot';
import type { MediaFacts, Snapshot, SnapshotSource, StreamName, StreamTarget } from '../devices/snapshot';
import { TapoError } from '../protocol/errors';
import { macInReply } from '../devices/identify';
import { DeviceConnection, hostOf, parseHostPort } from './connection';
import { Locator, normalizeMac, startsSearch } from './locate';
import type { LocateOptions, LocateOutcome } from './locate';
import type { ConnectionOptions, ConnectionState, ConnectionStateEvent, ConnectionStats } from './connection';
import type { ProbeResult } from './probe';
import { MediaLane } from './media';
import { DeviceWatch } from './watch';
import type { Watch, WatchListener, WatchOptions } from './watch';

/** What an operation is handed: the device's verbs, bound to the operation's turn in the queue. */
export interface DeviceVerbs {
  /** The requester of this operation (for raw requests). */
  readonly requester: Requester;
  /** The SMART device as what it is: a plug, or a power strip (learnt once per connection). */
  smart(): Promise<Plug | Strip>;
  /** The SMART device as a bulb or light strip; refused (Input) when it is not one (learnt once per connection). */
  light(): Promise<Light>;
  /** The camera verbs. */
  camera(): Camera;
  /** The hub (H100 on the SMART protocol, H200 on the camera protocol), or undefined when the device is not a hub (learnt once per connection). */
  hub(): Promise<Hub | undefined>;
  /** The hub, or an `Input` error (`notHub`, unsent beyond what told it apart) when the device is not one. */
  requireHub(): Promise<Hub>;
}

/** Options of {@link TapoDevice.run}. */
export interface RunOptions {
  /** Aborts the operation. */
  signal?: AbortSignal;
  /** Deadline in ms from arrival (default: the connection's timeout). */
  timeoutMs?: number;
}

/** Options of {@link TapoDevice.snapshot}. */
export interface SnapshotOptions {
  /** Which stream (default `auto`: `stream8`, else `stream2`/`stream1` through ffmpeg). */
  source?: SnapshotSource;
  /** Deadline in ms from the call (default: the connection's timeout). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Where to look for ffmpeg (default: this process's `PATH`). */
  searchPath?: string;
}

/** Options of the owner itself (the connection's are {@link ConnectionOptions}). */
export interface TapoDeviceOptions {
  /** How a device that stopped answering is looked for (locate.ts); `false`: never (no probe, no search). */
  locate?: LocateOptions | false;
}

/** Payload of the `'moved'` event. */
export interface MovedEvent {
  /** The address the device stopped answering at. */
  from: string;
  /** The address it answers at now (where the owner talks to it from now on). */
  to: string;
  /** Its MAC (`AABBCCDDEEFF`). */
  mac: string;
}

/** Default deadline of an operation (the connection's default). */
const DEFAULT_TIMEOUT_MS = 10_000;

/** Options of {@link TapoDevice.updateFirmware}. */
export interface FirmwareUpdateOptions {
  /** Bound on the whole update in ms, from its start to the device answering again (default 10 minutes). */
  timeoutMs?: number;
  /** Pause between polls in ms (default 2 s). */
  pollMs?: number;
  /** Deadline of one poll in ms (default 5 s). */
  requestTimeoutMs?: number;
  /** Progress reports: downloading (with %), installing, rebooting, back. */
  onProgress?: (progress: FirmwareProgress) => void;
  /** Stops following (the device goes on updating). */
  signal?: AbortSignal;
}

/** Default deadline of a snapshot, as of a request. */
const DEFAULT_SNAPSHOT_TIMEOUT_MS = 10_000;

/**
 * Part of a snapshot's time kept back for one privacy-mode read when the stream fails: a camera
 * in privacy mode may stop streaming, and "privacy mode is on" is the answer the user needs.
 */
const PRIVACY_CHECK_MS = 2_000;

/** Facts learnt about a device, kept for the life of one connection. */
interface DeviceFacts {
  smart: SmartFacts;
  camera: CameraFacts;
  /** Whether the device is a hub, and its children's positions. */
  hub: HubFacts;
  /** The SMART terminal id used by every envelope of this connection. */
  terminalUuid: string | undefined;
}

/** The error of work refused because the owner has ended. */
function closedError(): TapoError {
  return new TapoError('Transport', 'connectionClosed', { sent: false });
}

/** What an operation sent: whether it may have done something that must not be done twice. */
interface SentTrack {
  /** True once a request that is not idempotent may have reached the device. */
  risky: boolean;
}

/**
 * The owner of one configured device. Emits `'state'` with a {@link ConnectionStateEvent} on each
 * change of its connection's state (and `idle` when the connection is closed), `'moved'` with a
 * {@link MovedEvent} when it follows the device to another address, and `'located'` with the
 * {@link LocateOutcome} of each recovery.
 */
export class TapoDevice<U extends object = object> extends EventEmitter {
  /** How to reach and log in to the device. */
  readonly options: ConnectionOptions;
  /** An invalid setting: every operation fails with it, unsent, and no connection is ever opened. */
  readonly configError: TapoError | undefined;

  private readonly registered = new Set<U>();
  private connection: DeviceConnection | undefined;
  private facts: DeviceFacts = freshFacts();
  private closing: Promise<void> = Promise.resolve();
  private ended = false;
  private watcher: DeviceWatch | undefined;
  private watcherStopped = true;
  private last: ConnectionStateEvent = { state: 'idle' };
  /** One stream at a time; snapshots asked for together share a frame (media.ts). */
  private readonly media = new MediaLane<Snapshot>((shot, first) => (first ? shot : { ...shot, jpeg: Buffer.from(shot.jpeg) }));
  /** What is learnt about the camera's streams (whether it has `stream8`). */
  private mediaFacts: MediaFacts = {};
  private readonly onState = (event: ConnectionStateEvent): void => {
    this.last = event;
    this.emit('state', event);
  };
  /** The device's MAC, normalised, once a device-info reply named it; kept for the owner's life. */
  private knownMac: string | undefined;
  /** Where the device answers now, when it was followed away from the configured host. */
  private followedHost: string | undefined;
  /** Times the device was followed to another address (an operation started before one may run again). */
  private moves = 0;
  private readonly locator: Locator | undefined;
  /** The running (or last) recovery and the promise of its outcome once acted on. */
  private following: { source: Promise<LocateOutcome>; applied: Promise<LocateOutcome> } | undefined;

  constructor(options: ConnectionOptions, configError?: TapoError, ownerOptions: TapoDeviceOptions = {}) {
    super();
    this.options = options;
    this.configError = configError;
    if (ownerOptions.locate !== false) this.locator = new Locator(options.kind, ownerOptions.locate ?? {});
  }

  /** The device's MAC (`AABBCCDDEEFF`) once learnt from its device info; kept across connections. */
  get mac(): string | undefined {
    return this.knownMac;
  }

  /** The host the owner talks to now: the configured one, or where the device was followed to. */
  get currentHost(): string {
    return this.followedHost ?? hostOf(this.options.host);
  }

  /** The address the device was followed to, when it no longer answers at the configured one. */
  get movedTo(): string | undefined {
    return this.followedHost;
  }

  /** Wake-up probes and searches made so far (for tests and status displays). */
  get locateStats(): { wakes: number; searches: number; last?: LocateOutcome } {
    const locator = this.locator;
    if (!locator) return { wakes: 0, searches: 0 };
    return { wakes: locator.wakes, searches: locator.searches, ...(locator.last !== undefined ? { last: locator.last } : {}) };
  }

  /** Adds a user; the connection opens lazily on the first operation. */
  register(user: U): void {
    this.registered.add(user);
  }

  /** Removes a user; the connection closes when the last one leaves. */
  deregister(user: U): Promise<void> {
    this.registered.delete(user);
    return this.registered.size === 0 ? this.close() : Promise.resolve();
  }

  /** The registered users. */
  get users(): ReadonlySet<U> {
    return this.registered;
  }

  /** True while a connection is open. */
  get connected(): boolean {
    return this.connection !== undefined;
  }

  /** The last state event (`idle` before the first operation and after a close). */
  get lastState(): ConnectionStateEvent {
    return this.last;
  }

  /** The state of the connection now. */
  get state(): ConnectionState {
    return this.last.state;
  }

  /** Login and request counters of the open connection (zeros without one). */
  get stats(): ConnectionStats {
    return this.connection?.stats ?? { logins: 0, requests: 0 };
  }

  /**
   * Runs one whole operation on the device, after every operation that arrived before it, with one
   * deadline counted from now. Rejects with a `TapoError` (an `Input` error thrown by the operation
   * itself included), never leaves the queue blocked.
   */
  async run<T>(operation: (verbs: DeviceVerbs) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const total = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = performance.now() + total;
    for (let attempt = 0; ; attempt++) {
      const connection = this.open();
      const facts = this.facts;
      const moves = this.moves;
      const track: SentTrack = { risky: false };
      const jobOptions: RequestOptions = { timeoutMs: attempt === 0 ? total : Math.max(1, deadline - performance.now()) };
      if (options.signal) jobOptions.signal = options.signal;
      try {
        return await connection.exclusive((requester) => operation(verbsFor(this.tracked(requester, track), facts, this.options.kind)), jobOptions);
      } catch (e) {
        if (attempt > 0 || !(e instanceof TapoError) || options.signal?.aborted === true) throw e;
        // Rule 6: run it again only when nothing that may have acted would be done twice.
        const repeatable = !track.risky;
        if (connection !== this.connection) {
          // The device was followed to another address while this operation waited or ran: run it
          // there. A connection closed for any other reason (the last user left, end()) keeps its
          // error: work queued before a close must not open a new connection.
          if (repeatable && moves !== this.moves && !this.ended && deadline > performance.now()) continue;
          throw e;
        }
        if (!startsSearch(e) || this.locator === undefined) throw e;
        const followed = this.recover(this.locator);
        if (followed === undefined) throw this.explained(e, this.locator.last);
        const left = deadline - performance.now();
        if (!repeatable || left <= 0) throw e; // the recovery goes on; the next operation gains from it
        const outcome = await within(followed, left, options.signal);
        if (outcome === undefined) throw e;
        if ((outcome.outcome === 'woke' || outcome.outcome === 'moved') && deadline > performance.now()) continue;
        throw this.explained(e, outcome);
      }
    }
  }

  /** A requester that learns the MAC from device-info replies and notes what may have acted. */
  private tracked(requester: Requester, track: SentTrack): Requester {
    return {
      family: requester.family,
      request: (req, requestOptions) => {
        const reply = requester.request(req, requestOptions);
        const idempotent = requestOptions?.idempotent === true;
        reply.then(
          (value) => {
            if (!idempotent) track.risky = true;
            this.knownMac = normalizeMac(macInReply(req, value)) ?? this.knownMac;
          },
          (e: unknown) => {
            if (!idempotent && !(e instanceof TapoError && !e.sent)) track.risky = true;
          },
        );
        return reply;
      },
    };
  }

  /** Starts or joins the recovery; its outcome is acted on once however many operations share it. */
  private recover(locator: Locator): Promise<LocateOutcome> | undefined {
    const recovery = locator.recover(this.currentHost, this.knownMac);
    if (recovery === undefined) return undefined;
    if (this.following?.source !== recovery) {
      const applied = recovery.then((outcome) => this.apply(outcome));
      applied.catch(() => undefined);
      this.following = { source: recovery, applied };
    }
    return this.following.applied;
  }

  /** Acts on a recovery's outcome (once per recovery, see {@link recover}). */
  private apply(outcome: LocateOutcome): LocateOutcome {
    // The wake-up probe's answer names the MAC: kept when none is known (a device-info reply,
    // read over the logged-in session, still has the last word).
    if (outcome.outcome === 'woke' && outcome.mac !== undefined) this.knownMac ??= outcome.mac;
    if (outcome.outcome === 'moved' && !this.ended && this.followedHost !== outcome.to && this.currentHost === outcome.from) {
      this.followedHost = outcome.to === hostOf(this.options.host) ? undefined : outcome.to;
      this.moves++;
      void this.close();
      if (!this.watcherStopped) this.watcher?.moved();
      this.emit('moved', { from: outcome.from, to: outcome.to, mac: outcome.mac } satisfies MovedEvent);
    }
    this.emit('located', outcome);
    return outcome;
  }

  /** The error of an operation after a recovery that did not find the device: the same kind and reason, saying so, with a hint. */
  private explained(err: TapoError, outcome: LocateOutcome | undefined): TapoError {
    if (outcome === undefined || (outcome.outcome !== 'notFound' && outcome.outcome !== 'noMac') || !startsSearch(err)) return err;
    const details = err.details();
    const params = outcome.outcome === 'notFound' ? { ...details.params, mac: outcome.mac, searched: outcome.searched } : { ...details.params };
    return new TapoError(err.kind, err.reason, {
      ...details,
      params,
      also: outcome.outcome === 'notFound' ? 'locateNotFound' : 'locateNoMac',
      hint: 'locateGone',
      cause: err,
    });
  }

  /**
   * Logs in (unless a session exists) and identifies the device, as one operation. The
   * connection's rules apply: while a camera is locked, or held off after a rejected password,
   * this fails with that error without contacting the device.
   */
  async identify(): Promise<ProbeResult> {
    const identity = await this.run((verbs) => identify(verbs.requester, this.options.kind));
    const scheme = this.connection?.scheme;
    if (scheme === undefined) throw new TapoError('Transport', 'loggedInWithoutScheme', { sent: true });
    return { ...identity, scheme };
  }

  /** Reads the firmware version and what the TP-Link cloud offers (src/devices/firmware.ts), as one operation. */
  checkFirmware(options: RunOptions = {}): Promise<FirmwareCheck> {
    return this.run((verbs) => checkFirmware(verbs.requester, this.options.kind), options);
  }

  /**
   * Checks and starts a firmware update as one operation (refused with `firmwareNoUpdate` when none
   * is available: nothing else is sent; the start is never repeated), then follows it through this
   * owner's queue to the reboot and the new version: each poll is one short operation, the device
   * may be unreachable while it reboots, and the login after the reboot detects the scheme again.
   * Bounded by `timeoutMs` (default 10 minutes) from the start.
   */
  async updateFirmware(options: FirmwareUpdateOptions = {}): Promise<FirmwareUpdateResult> {
    const started = performance.now();
    const check = await this.run((verbs) => startUpdate(verbs.requester, this.options.kind), options.signal ? { signal: options.signal } : {});
    return followUpdate(
      {
        step: (operation, timeoutMs) => this.run((verbs) => operation(verbs.requester), { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) }),
        redetect: async () => {
          this.facts = freshFacts();
          this.connection?.forgetScheme();
        },
        scheme: () => this.connection?.scheme,
      },
      { ...options, kind: this.options.kind, from: check.current, startedAt: started },
    );
  }

  /**
   * Starts listening to the device's events (watch.ts): one source per device for all listeners,
   * polling through this owner's queue; it stops with the last listener, and at {@link TapoDevice.end}.
   */
  watch(listener: WatchListener, options: WatchOptions): Watch {
    if (this.watcher === undefined || this.watcherStopped) {
      const currentHost = (): string => this.currentHost;
      this.watcher = new DeviceWatch({
        kind: this.options.kind,
        // Read at each subscription and ring listener start: the watch follows the device too.
        get host() {
          return currentHost();
        },
        ...(this.options.cameraAccount ? { cameraAccount: this.options.cameraAccount } : {}),
        run: (op, opts) => this.run(op, opts),
      });
      this.watcherStopped = false;
    }
    const watcher = this.watcher;
    const watch = watcher.add(listener, options);
    return {
      close: () => {
        watch.close();
        if (watcher.listenerCount === 0) this.watcherStopped = true;
      },
      resume: () => watch.resume(),
    };
  }

  /**
   * One picture from the camera (src/devices/snapshot.ts), through the camera's media lane: at most
   * one stream open at a time, snapshots asked for together served from one frame, each within its
   * own deadline counted from now. When the stream fails and the camera turns out to be in
   * privacy mode, the error says so.
   */
  snapshot(options: SnapshotOptions = {}): Promise<Snapshot> {
    if (this.configError) return Promise.reject(this.configError);
    if (this.ended) return Promise.reject(closedError());
    if (this.options.kind !== 'camera') return Promise.reject(new TapoError('Input', 'snapshotNotCamera', { sent: false }));
    const source = options.source ?? 'auto';
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS;
    const key = `${source}\u0000${options.searchPath ?? ''}`;
    return this.media.request(key, (signal, budget) => this.shoot(source, options.searchPath, signal, budget), {
      timeoutMs,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
  }

  /**
   * The camera's RTSP addresses (`stream1` HD, `stream2` SD, `stream8` MJPEG); the camera account
   * is in them only when `withAccount` (the user asked for it). No device traffic.
   */
  streams(withAccount = false): Record<StreamName, string> {
    return streamUrls(this.streamTarget(), withAccount);
  }

  private streamTarget(): StreamTarget {
    return {
      host: this.currentHost,
      ...(this.options.rtspPort !== undefined ? { port: this.options.rtspPort } : {}),
      ...(this.options.cameraAccount !== undefined ? { account: this.options.cameraAccount } : {}),
    };
  }

  /** Stream turns taken so far (each opened at most one stream): for tests and benchmarks. */
  get streamTurns(): number {
    return this.media.turns;
  }

  private async shoot(source: SnapshotSource, searchPath: string | undefined, signal: AbortSignal, budget: number): Promise<Snapshot> {
    const started = Date.now();
    const target = this.streamTarget();
    const reserve = budget >= 2 * PRIVACY_CHECK_MS ? PRIVACY_CHECK_MS : 0;
    try {
      return await takeSnapshot(target, source, this.mediaFacts, {
        timeoutMs: budget - reserve,
        signal,
        ...(searchPath !== undefined ? { searchPath } : {}),
      });
    } catch (e) {
      if (!(e instanceof TapoError) || signal.aborted || !['Timeout', 'Transport', 'Device'].includes(e.kind) || e.reason === 'rtspBusy') throw e;
      const rest = budget - (Date.now() - started);
      if (rest <= 0) throw e;
      let privacy = false;
      try {
        const read = await this.run((verbs) => verbs.camera().read(['privacyMode']), { timeoutMs: rest, signal });
        privacy = read.privacyMode;
      } catch {
        throw e; // the stream's failure is the answer
      }
      if (privacy) throw new TapoError('Device', 'snapshotPrivacy', { hint: 'turnPrivacyOff', also: e.reason });
      throw e;
    }
  }

  /** Closes the connection (aborting what is in flight and rejecting queued work); a later operation opens a new one. */
  close(): Promise<void> {
    const connection = this.connection;
    if (connection) {
      this.connection = undefined;
      this.facts = freshFacts();
      this.mediaFacts = {};
      connection.removeListener('state', this.onState);
      this.closing = connection.close().catch(() => undefined);
      this.onState({ state: 'idle' });
    }
    return this.closing;
  }

  /** Closes for good: later operations fail with "connection closed"; event sources stop. */
  end(): Promise<void> {
    this.ended = true;
    this.locator?.stop();
    this.watcher?.stop();
    this.media.close(closedError());
    return this.close();
  }

  /** The connection, opened on first use. */
  private open(): DeviceConnection {
    if (this.configError) throw this.configError;
    if (this.ended) throw closedError();
    if (!this.connection) {
      this.connection = new DeviceConnection(this.followedHost === undefined ? this.options : { ...this.options, host: withHost(this.options.host, this.followedHost) });
      this.connection.on('state', this.onState);
    }
    return this.connection;
  }
}

/** `host` as configured (`host`, `host:port`, `[v6]:port`) with its host part replaced by `to`, keeping the port. */
function withHost(configured: string, to: string): string {
  let port: number | undefined;
  try {
    port = parseHostPort(configured).port;
  } catch {
    port = undefined;
  }
  const host = to.includes(':') ? `[${to}]` : to;
  return port === undefined ? (to.includes(':') ? host : to) : `${host}:${port}`;
}

/** Resolves with `promise`'s value, or undefined when `ms` pass or `signal` aborts first. */
function within<T>(promise: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve) => {
    const done = (value: T | undefined): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    };
    const onAbort = (): void => done(undefined);
    const timer = setTimeout(() => done(undefined), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(done, () => done(undefined));
  });
}

function freshFacts(): DeviceFacts {
  return { smart: {}, camera: {}, hub: {}, terminalUuid: undefined };
}

/** The verbs of one operation: device objects over its requester, sharing the connection's facts. */
function verbsFor(requester: Requester, facts: DeviceFacts, kind: ConnectionOptions['kind']): DeviceVerbs {
  /** The connection's SMART facts, with the terminal id once one was made (every envelope shares it). */
  const smartOptions = (): { facts: SmartFacts; terminalUuid?: string } =>
    facts.terminalUuid !== undefined ? { facts: facts.smart, terminalUuid: facts.terminalUuid } : { facts: facts.smart };
  const hub = async (): Promise<Hub | undefined> => {
    const found = await openHub(requester, kind, facts.hub, smartOptions());
    if (found instanceof SmartHub) facts.terminalUuid ??= found.device.terminalUuid;
    return found;
  };
  return {
    hub,
    requireHub: async () => {
      const found = await hub();
      if (found === undefined) throw notHub(facts.hub);
      return found;
    },
    requester,
    smart: async () => {
      const device = await openSmart(requester, smartOptions());
      facts.terminalUuid ??= device.terminalUuid;
      return device;
    },
    light: async () => {
      const device = await openLight(requester, smartOptions());
      facts.terminalUuid ??= device.terminalUuid;
      return device;
    },
    camera: () => new Camera(requester, { facts: facts.camera }),
  };
}
