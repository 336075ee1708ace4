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
 *
 * The config node keeps only credentials, status painting and admin endpoints.
 */
import { EventEmitter } from 'node:events';
import { Camera } from '../devices/camera';
import type { CameraFacts } from '../devices/camera';
import { identify } from '../devices/identify';
import { openSmart } from '../devices/plug';
import type { Plug, Strip } from '../devices/plug';
import type { Requester, RequestOptions } from '../devices/requester';
import type { SmartFacts } from '../devices/smart';
import { checkFirmware, followUpdate, startUpdate } from '../devices/firmware';
import type { FirmwareCheck, FirmwareProgress, FirmwareUpdateResult } from '../devices/firmware';
import { streamUrls, takeSnapshot } from '../devices/snapshot';
import type { MediaFacts, Snapshot, SnapshotSource, StreamName, StreamTarget } from '../devices/snapshot';
import { TapoError } from '../protocol/errors';
import { DeviceConnection, hostOf } from './connection';
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
  /** The camera verbs. */
  camera(): Camera;
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
  /** The SMART terminal id used by every envelope of this connection. */
  terminalUuid: string | undefined;
}

/** The error of work refused because the owner has ended. */
function closedError(): TapoError {
  return new TapoError('Transport', 'connectionClosed', { sent: false });
}

/**
 * The owner of one configured device. Emits `'state'` with a {@link ConnectionStateEvent} on each
 * change of its connection's state (and `idle` when the connection is closed).
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

  constructor(options: ConnectionOptions, configError?: TapoError) {
    super();
    this.options = options;
    this.configError = configError;
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
  run<T>(operation: (verbs: DeviceVerbs) => Promise<T>, options: RunOptions = {}): Promise<T> {
    let connection: DeviceConnection;
    try {
      connection = this.open();
    } catch (e) {
      return Promise.reject(e);
    }
    const facts = this.facts;
    const jobOptions: RequestOptions = {};
    if (options.signal) jobOptions.signal = options.signal;
    if (options.timeoutMs !== undefined) jobOptions.timeoutMs = options.timeoutMs;
    return connection.exclusive((requester) => operation(verbsFor(requester, facts)), jobOptions);
  }

  /**
   * Logs in (unless a session exists) and identifies the device, as one operation. The
   * connection's rules apply: while a camera is locked, or held off after a rejected password,
   * this fails with that error without contacting the device.
   */
  async identify(): Promise<ProbeResult> {
    const connection = this.open();
    await connection.connect();
    const identity = await this.run((verbs) => identify(verbs.requester, this.options.kind));
    const scheme = connection.scheme;
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
      this.watcher = new DeviceWatch({
        kind: this.options.kind,
        host: this.options.host,
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
      host: hostOf(this.options.host),
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
    this.watcher?.stop();
    this.media.close(closedError());
    return this.close();
  }

  /** The connection, opened on first use. */
  private open(): DeviceConnection {
    if (this.configError) throw this.configError;
    if (this.ended) throw closedError();
    if (!this.connection) {
      this.connection = new DeviceConnection(this.options);
      this.connection.on('state', this.onState);
    }
    return this.connection;
  }
}

function freshFacts(): DeviceFacts {
  return { smart: {}, camera: {}, terminalUuid: undefined };
}

/** The verbs of one operation: device objects over its requester, sharing the connection's facts. */
function verbsFor(requester: Requester, facts: DeviceFacts): DeviceVerbs {
  return {
    requester,
    smart: async () => {
      const device = await openSmart(requester, facts.terminalUuid !== undefined ? { facts: facts.smart, terminalUuid: facts.terminalUuid } : { facts: facts.smart });
      facts.terminalUuid ??= device.terminalUuid;
      return device;
    },
    camera: () => new Camera(requester, { facts: facts.camera }),
  };
}
