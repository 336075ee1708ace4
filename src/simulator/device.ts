/**
 * One simulated device on a loopback port (simulator.md §1–§4).
 *
 * A device is a fixture (real device dump) turned into live logic, one scheme server speaking
 * the wire protocol, an HTTP (SMART family) or HTTPS (camera family, self-signed RSA-1024
 * certificate) listener, a login guard for lockouts (cameras; plugs on TPAP), and a set of faults
 * that make it misbehave the way real units do. Request path:
 *
 * 1. read the whole body; build a `SimRequest` (path without query, lower-case headers, raw bytes);
 * 2. `/__sim/*` goes to the control endpoint (control.ts), never subject to faults;
 * 3. faults: `dropConnections` destroys the socket, `hang` never answers (the socket is kept until
 *    the client gives up or the device stops), `delayMs` waits, `http500` answers 500,
 *    `refuseRequests` answers the next session requests (commands, not logins) with its status;
 * 4. otherwise the scheme server answers; `closeAfterResponse` adds `Connection: close`;
 *    `closeSilently` closes the socket after the reply without saying so (P100).
 *
 * The scheme server sees the logic through a wrapper that applies `methodErrors` (also to each
 * sub-request of a `multipleRequest`) and `batchBug`, and counts `requestCount`.
 *
 * With `discoveryPort` the device also answers UDP discovery probes (discovery.ts) on its host.
 *
 * Events (events.md): a camera started with `onvifPort` serves ONVIF (onvif/server.ts) on that
 * port of its host, checked against its camera account; `detect()` scripts a detection (ONVIF
 * notification, `getLastAlarmInfo`, `searchDetectionList`, discovery's last alarm); a doorbell's
 * `ring()` sends the UDP datagram of a button press; a plug's `press()` is a press of its
 * button by hand. The control endpoint and `tapo-sim trigger` reach all three.
 */
import * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { getSimCertificate, SIM_TLS_CIPHERS } from './cert';
import { defaultFaults, forcedErrorCode, handleControl, MAX_DELAY_MS, mergeFaults, SIM_SCHEMES } from './control';
import type { ControlTarget } from './control';
import { DETECTIONS, isDetectionType } from './detections';
import type { SimDetectionType } from './detections';
import { DiscoveryResponder } from './discovery';
import { loadFixture } from './fixtures';
import type { LoadedFixture } from './fixtures';
import { SimLoginGuard } from './guard';
import { createLogic, parseFirmwareUpdate } from './logic';
import type { SimFirmwareUpdate } from './logic';
import type { CameraLogic } from './logic/camera';
import type { PlugLogic } from './logic/plug';
import { CameraHubLogic, HubLogic } from './logic/hub';
import type { ChildTrigger, SimChildChange, SimChildState, SimHubChildren } from './logic/hub';
import { CAMERA_FACTORY_PASSWORD, CAMERA_LEGACY_FACTORY_PASSWORD, OnboardingLogic } from './logic/onboarding';
import type { SimAccessPoint } from './logic/onboarding';
import { CameraLegacySchemeServer, CameraSecureSchemeServer } from './schemes/camera';
import type { CameraPasswordHash } from './schemes/camera';
import { OnvifServer } from './onvif/server';
import { RtspServer } from './rtsp/server';
import { findFfmpeg } from './media/h264';
import { STREAM8_FORMS } from './media/rfc2435';
import type { Stream8Form } from './media/rfc2435';
import type { OnvifDeviceInformation } from './onvif/soap';
import { KlapSchemeServer } from './schemes/klap';
import { PassthroughSchemeServer } from './schemes/passthrough';
import { TpapSchemeServer } from './schemes/tpap';
import type { TpapCameraPasscode } from './schemes/tpap';
import { bindListener } from './listen';
import type {
  DeviceLogic,
  SchemeContext,
  SchemeServer,
  SimClock,
  SimFaults,
  SimFamily,
  SimJson,
  SimJsonObject,
  SimRequest,
  SimResponse,
  SimScheme,
} from './types';

/** How to start a simulated device. */
export interface StartDeviceOptions {
  /** Fixture file name without `.json` (e.g. `P110(UK)_1.0_1.3.0`) or a path to a dump. */
  fixture: string;
  /** Wire scheme (default: the one the captured firmware speaks). */
  scheme?: SimScheme;
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** Listen port (default 0 = any free port). */
  port?: number;
  /** Bound account (default `user@example.com` for plugs, `admin` for cameras). */
  username?: string;
  /** Account password (default `tapo-sim`). */
  password?: string;
  /** Load on an energy-monitoring plug, in watts. */
  loadWatts?: number;
  /** Metered strips (P304M): load per socket while on, in watts, by position (index 0 = socket 1); default `loadWatts`. */
  socketLoadWatts?: readonly number[];
  /** Device clock (default the real clock). */
  clock?: SimClock;
  /**
   * Session lifetime in seconds (default 86 400), enforced by every scheme and announced where the
   * scheme has a field for it (KLAP/passthrough cookie `TIMEOUT`, TPAP `expired`). An expired
   * camera session is answered -40401 (camera.md §8).
   */
  sessionTtlSeconds?: number;
  /** Failed logins before the device locks logins out (cameras; plugs on TPAP) (default 5). */
  lockoutThreshold?: number;
  /**
   * Lockout length in seconds. Default: 1800 for cameras; 30 for the SMART family, whose IoT
   * firmware throttles TPAP logins for 30 s after 5 failures (tpap.md §9).
   */
  lockoutSeconds?: number;
  /** Camera secure login: which hash of the password the camera stores (default `sha256`). */
  cameraPasswordHash?: CameraPasswordHash;
  /**
   * TPAP camera: what its verifier is made from (default `md5`, a C101 1.4.3); `sha256-crypt` is a
   * C200 hw5 1.4.6, which announces it in `extra_crypt` (tpap.md §4.2).
   */
  tpapCameraPasscode?: TpapCameraPasscode;
  /**
   * Answer UDP discovery probes on this port of the same host (discovery.ts): 0 = any free port,
   * 20002 = the real devices' port. Default: no discovery responder.
   */
  discoveryPort?: number;
  /**
   * Where the discovery responder binds (default the device's host). A real device listens on
   * every address, so `0.0.0.0` makes the simulator receive broadcast probes too (a socket bound
   * to a unicast address never sees datagrams sent to a broadcast address); the answer still
   * advertises the device's host as its `ip`.
   */
  discoveryHost?: string;
  /**
   * Cameras: serve ONVIF (device and event services, events.md §2) over plain HTTP on this port
   * of the same host: 0 = any free port, 2020 = the real cameras' port. Default: no ONVIF.
   */
  onvifPort?: number;
  /**
   * Cameras: serve RTSP (rtsp/server.ts: `stream8` as RTP/JPEG over TCP, media.md §3, and
   * `stream1`/`stream2` as RTP/H.264 when an ffmpeg is found) on this port of the same host:
   * 0 = any free port, 554 = the real cameras' port. Default: no RTSP.
   */
  rtspPort?: number;
  /**
   * Cameras with RTSP: how `stream8` packs its frames (media/rfc2435.ts): 'tapo' (default, the
   * whole JFIF as Tapo sends it, media.md §3.3), 'rfc' (RFC 2435 scans, Q 80) or 'rfc-tables'
   * (Q 255, tables in-band). The fault `rtspJpegForm` starts with this value and changes it live.
   */
  rtspJpegForm?: Stream8Form;
  /**
   * Cameras with RTSP: the ffmpeg that encodes `stream1`/`stream2` (H.264). Default: the first
   * executable `ffmpeg` on PATH; `false` = none, so both answer 404 as on a host without ffmpeg.
   */
  rtspFfmpeg?: string | false;
  /**
   * Cameras: the camera account (camera.md §4, the RTSP/ONVIF user) that ONVIF requests must
   * prove with a WS-Security digest, and RTSP requests with Digest or Basic. Default {@link DEFAULT_CAMERA_ACCOUNT}.
   */
  cameraAccount?: { username: string; password: string };
  /** Doorbells: where `ring()` sends its UDP datagram (default {@link DEFAULT_RING_TARGET}, events.md §4). */
  ringTarget?: { host: string; port: number };
  /**
   * Start in onboarding mode (logic/onboarding.ts): a camera in AP mode takes `admin` with the
   * factory password (camera.md §4; `username`/`password` are ignored) and answers `scanApList`,
   * `connectAp`, `getConnectStatus`; a plug is unbound (blank credentials) and takes `set_qs_info`.
   */
  onboarding?: boolean;
  /** Onboarding: the networks in range (default `DEFAULT_ACCESS_POINTS`, password `tapo-sim-wifi` for "Home"). */
  accessPoints?: SimAccessPoint[];
  /** Onboarding cameras: `none` sends no key in the scan (the client then uses the app's static key). */
  onboardingScanKey?: 'device' | 'none';
  /** Onboarding cameras with `onboardingScanKey: 'none'`: a private key (PEM) standing in for the app's static key. */
  onboardingStaticKeyPem?: string;
  /**
   * A firmware update the device is offered (logic/firmware.ts): `{version, releaseNote,
   * failAtPercent?, newScheme?, rebootSeconds?}`. Also set live with `offerFirmware` or
   * `POST /__sim/firmware`.
   */
  firmwareUpdate?: SimFirmwareUpdate;
}

/** What `detect()` is given. */
export interface SimDetection {
  type: SimDetectionType;
  /** True (default) starts the detection, false ends it. */
  active?: boolean;
}

/** What `detect()` did. */
export interface SimDetectionResult {
  type: SimDetectionType;
  active: boolean;
  /** False when nothing changed: already in that state, or the camera ignored it (`ignored`). */
  changed: boolean;
  /** Why the camera ignored it: privacy mode is on (it silences events, events.md §2.9), or it is rebooting. */
  ignored?: 'privacy' | 'down';
  /** When, in epoch seconds on the device clock. */
  time: number;
  /** ONVIF subscriptions that were sent a message. */
  onvifSubscriptions: number;
}

/** What `ring()` sent. */
export interface SimRingResult {
  /** Where the datagram went. */
  target: { host: string; port: number };
  /** The address and port it was sent from. */
  source: { address: string; port: number };
  /** The payload, as text (ours: real doorbells' payload is not parsed by anyone, events.md §4.1). */
  payload: string;
}

/** What `describe()` returns and the CLI prints: where the device listens and what it is. */
export interface SimDeviceDescription {
  host: string;
  port: number;
  scheme: SimScheme;
  model: string;
  family: SimFamily;
  url: string;
  /** UDP discovery port, present only when the device answers discovery. */
  discoveryPort?: number;
  /** ONVIF port, present only when the camera serves ONVIF. */
  onvifPort?: number;
  /** RTSP port, present only when the camera serves RTSP. */
  rtspPort?: number;
}

/** Default bound account of a plug. */
export const DEFAULT_PLUG_USERNAME = 'user@example.com';
/** Default bound account of a camera. */
export const DEFAULT_CAMERA_USERNAME = 'admin';
/** Default password of every simulated device. */
export const DEFAULT_PASSWORD = 'tapo-sim';
/** Default camera account of a camera (the user ONVIF requests must prove). */
export const DEFAULT_CAMERA_ACCOUNT: Readonly<{ username: string; password: string }> = { username: 'tapo-cam', password: 'tapo-sim-cam' };
/** Default target of a doorbell ring: UDP port 20005 (events.md §4.1) on loopback. */
export const DEFAULT_RING_TARGET: Readonly<{ host: string; port: number }> = { host: '127.0.0.1', port: 20005 };
/** How long a reboot the logic asks for (`device_reboot`) keeps the device down, in seconds. */
export const LOGIC_REBOOT_SECONDS = 3;

const SCHEMES_BY_FAMILY: Record<SimFamily, readonly SimScheme[]> = {
  smart: ['klap', 'klap-v1', 'passthrough', 'tpap'],
  camera: ['camera-secure', 'camera-legacy', 'tpap'],
};

/** Default lockout length of a camera, in seconds. */
export const DEFAULT_CAMERA_LOCKOUT_SECONDS = 1800;
/** Default lockout length of a SMART device (TPAP login throttle, tpap.md §9), in seconds. */
export const DEFAULT_SMART_LOCKOUT_SECONDS = 30;

/** How often a rebooting device checks its clock to come back up, in ms. */
const REBOOT_POLL_MS = 20;

const realClock: SimClock = { now: () => Date.now() };

/** Builds the server side of `scheme` for a device of `family`; throws when they do not fit. */
export function createSchemeServer(
  scheme: SimScheme,
  family: SimFamily,
  options: { cameraPasswordHash?: CameraPasswordHash; tpapCameraPasscode?: TpapCameraPasscode } = {},
): SchemeServer {
  if (!SCHEMES_BY_FAMILY[family].includes(scheme)) {
    throw new Error(`scheme "${scheme}" does not fit a ${family} device; use one of ${SCHEMES_BY_FAMILY[family].join(', ')}`);
  }
  switch (scheme) {
    case 'klap':
      return new KlapSchemeServer(2);
    case 'klap-v1':
      return new KlapSchemeServer(1);
    case 'passthrough':
      return new PassthroughSchemeServer();
    case 'camera-secure':
      return new CameraSecureSchemeServer(
        options.cameraPasswordHash !== undefined ? { passwordHash: options.cameraPasswordHash } : {},
      );
    case 'camera-legacy':
      return new CameraLegacySchemeServer();
    case 'tpap':
      return new TpapSchemeServer(family, options.tpapCameraPasscode !== undefined ? { cameraPasscode: options.tpapCameraPasscode } : {});
  }
}

function isObject(value: SimJson | undefined): value is SimJsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The logic as the scheme servers see it: faults that act on methods are applied here, before
 * the real logic runs, and every envelope is counted.
 */
class FaultingLogic implements DeviceLogic {
  constructor(private readonly device: SimulatedDevice) {}

  get family(): SimFamily {
    return this.device.family;
  }

  handle(request: SimJsonObject): SimJsonObject {
    this.device.requestCount += 1;
    const faults = this.device.faults;
    const inner = this.device.onboarding;
    const method = request.method;
    if (method === 'multipleRequest') {
      if (faults.batchBug) return { error_code: -1003 };
      // A code forced for `multipleRequest` itself answers the whole envelope (e.g. -40401).
      const whole = forcedErrorCode(faults, 'multipleRequest');
      if (whole !== undefined) return { error_code: whole };
      const params = request.params;
      const subs = isObject(params) && Array.isArray(params.requests) ? params.requests : [];
      const forced = subs.some((sub) => isObject(sub) && typeof sub.method === 'string' && forcedErrorCode(faults, sub.method) !== undefined);
      const reply = forced ? this.batchWithForcedErrors(request, subs) : inner.handle(request);
      // A reply lost for a method is lost for the batch that carried it, too.
      const carried = subs.filter(isObject).map((sub) => sub.method).filter((m): m is string => typeof m === 'string');
      this.loseReplyFor([method, ...carried]);
      return reply;
    }
    const code = typeof method === 'string' ? forcedErrorCode(faults, method) : undefined;
    if (code !== undefined) return { error_code: code };
    const reply = inner.handle(request);
    if (typeof method === 'string') this.loseReplyFor([method]);
    return reply;
  }

  /** Applies the `loseReplyTo` fault of the first of `methods` that has one left. */
  private loseReplyFor(methods: readonly string[]): void {
    const faults = this.device.faults;
    for (const m of methods) {
      const lose = Object.hasOwn(faults.loseReplyTo, m) ? faults.loseReplyTo[m] : undefined;
      if (lose !== undefined && lose > 0) {
        faults.loseReplyTo[m] = lose - 1;
        this.device.loseCurrentReply = true;
        return;
      }
    }
  }

  /**
   * Runs a batch one sub-request at a time so a forced error lands in the right place; like the
   * device, it stops at the first failing sub-request and includes that entry.
   */
  private batchWithForcedErrors(request: SimJsonObject, subs: SimJson[]): SimJsonObject {
    const responses: SimJson[] = [];
    for (const sub of subs) {
      if (!isObject(sub)) break;
      const method = typeof sub.method === 'string' ? sub.method : '';
      const code = forcedErrorCode(this.device.faults, method);
      if (code !== undefined) {
        responses.push({ method, error_code: code });
        break;
      }
      const single = this.device.onboarding.handle({ ...request, params: { requests: [sub] } });
      const result = isObject(single.result) ? single.result : undefined;
      const entries = result !== undefined && Array.isArray(result.responses) ? result.responses : [];
      const entry = entries[0];
      if (entry === undefined) {
        responses.push({ method, error_code: typeof single.error_code === 'number' ? single.error_code : -1 });
        break;
      }
      responses.push(entry);
      if (isObject(entry) && typeof entry.error_code === 'number' && entry.error_code !== 0) break;
    }
    return { error_code: 0, result: { responses } };
  }
}

/**
 * A simulated Tapo device listening on a local port. Start one with `startDevice`.
 * Events: `request` (a `SimRequest` reached the device, before faults apply), `onvif` (an
 * `OnvifRequestInfo`: the ONVIF server answered a request, or holds a pull), `rtsp` (an
 * `RtspRequestInfo`: the RTSP server answered a request), `rtspFrame` (an `RtspFrameInfo`
 * `{ path, counter, form }`: a `stream8` frame starts being sent), `down` and `up`
 * (reboot), `moved` (the new host, {@link SimulatedDevice.moveTo}), `stopped`.
 */
export class SimulatedDevice extends EventEmitter implements ControlTarget {
  /** Listen address (changed by {@link moveTo}). */
  host: string;
  /** Listen port (fixed after the first listen, kept across reboots and moves). */
  port: number;
  /** The fixture this device impersonates. */
  readonly fixture: LoadedFixture;
  /** Model as the device reports it. */
  readonly model: string;
  /** Device family. */
  readonly family: SimFamily;
  /** Live faults; mutate freely (or replace) while the device runs. */
  faults: SimFaults = defaultFaults();
  /** The functional device; `logic.state` is what tests assert on. */
  readonly logic: PlugLogic | CameraLogic;
  /** Onboarding mode in front of `logic` (logic/onboarding.ts); `onboarding.state` is what tests assert on. */
  readonly onboarding: OnboardingLogic;
  /** The current scheme server (replaced by `migrate`). */
  server: SchemeServer;
  /** Request envelopes that reached the device logic (a `multipleRequest` counts once). */
  requestCount = 0;
  /** Requests dropped unread on a socket a `closeSilently` reply had condemned. */
  droppedUnread = 0;
  /** Set by the method-fault wrapper when the reply to the request being handled must be lost. */
  loseCurrentReply = false;
  /** Set by onboarding when the device joined a network: every session ends after the current request. */
  private expireAfterReply = false;
  /** HTTP requests answered by the scheme (control requests excluded). */
  httpRequestCount = 0;
  /** Failed-login counter and lockout. */
  readonly guard: SimLoginGuard;
  /** The device clock. */
  readonly clock: SimClock;
  /** The UDP discovery responder, when started with `discoveryPort`. */
  discoveryResponder: DiscoveryResponder | undefined;
  /** The ONVIF server, when a camera is started with `onvifPort`. */
  readonly onvifServer: OnvifServer | undefined;
  /** The RTSP server, when a camera is started with `rtspPort`. */
  readonly rtspServer: RtspServer | undefined;
  /** The camera account ONVIF requests must prove (cameras). */
  readonly cameraAccount: Readonly<{ username: string; password: string }>;
  /** Where `ring()` sends its datagram (doorbells). */
  readonly ringTarget: Readonly<{ host: string; port: number }>;

  private readonly options: StartDeviceOptions;
  private readonly context: SchemeContext;
  private listener: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Sockets a `closeSilently` reply has condemned: whatever arrives on them is dropped unread. */
  private readonly closingSockets = new WeakSet<Socket>();
  private upTimer: NodeJS.Timeout | undefined;
  private upAt = 0;
  private down = false;
  private stopped = false;
  private rebootRequested = false;
  /** A firmware image downloaded and being installed: the next reboot comes back on it. */
  private installing: SimFirmwareUpdate | undefined;

  /** Builds the device (not listening yet); `startDevice` is the usual entry point. */
  constructor(options: StartDeviceOptions) {
    super();
    this.options = options;
    this.fixture = loadFixture(options.fixture);
    this.family = this.fixture.family;
    this.model = this.fixture.model;
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    this.clock = options.clock ?? realClock;
    this.guard = new SimLoginGuard({
      clock: this.clock,
      ...(options.lockoutThreshold !== undefined ? { threshold: options.lockoutThreshold } : {}),
      lockoutSeconds:
        options.lockoutSeconds ?? (this.family === 'camera' ? DEFAULT_CAMERA_LOCKOUT_SECONDS : DEFAULT_SMART_LOCKOUT_SECONDS),
    });
    this.logic = createLogic(this.fixture, {
      clock: this.clock,
      ...(options.loadWatts !== undefined ? { loadWatts: options.loadWatts } : {}),
      ...(options.socketLoadWatts !== undefined ? { socketLoadWatts: options.socketLoadWatts } : {}),
      onReboot: () => {
        this.rebootRequested = true;
      },
      onFirmwareInstall: (update) => {
        // The download is complete: the device installs it and reboots once this reply is out.
        this.installing = update;
        this.rebootRequested = true;
      },
    });
    if (options.firmwareUpdate !== undefined) this.offerFirmware(options.firmwareUpdate);
    this.server = createSchemeServer(options.scheme ?? this.fixture.defaultScheme, this.family, options);
    this.cameraAccount = { ...(options.cameraAccount ?? DEFAULT_CAMERA_ACCOUNT) };
    this.ringTarget = { ...(options.ringTarget ?? DEFAULT_RING_TARGET) };
    if (options.onvifPort !== undefined) {
      if (this.family !== 'camera') throw new Error(`ONVIF is a camera service; ${this.model} is a ${this.family} device`);
      this.onvifServer = new OnvifServer(this.onvifTarget(), { host: this.host, port: options.onvifPort }, (info) => this.emit('onvif', info));
    }
    if (options.rtspPort !== undefined) {
      if (this.family !== 'camera') throw new Error(`RTSP is a camera service; ${this.model} is a ${this.family} device`);
      const device = this;
      const target = {
        get clock() {
          return device.clock;
        },
        get faults() {
          return device.faults;
        },
        get cameraAccount() {
          return device.cameraAccount;
        },
        privacyMode: () => (device.logic as CameraLogic).state.privacyMode,
      };
      const form = options.rtspJpegForm ?? 'tapo';
      if (!(STREAM8_FORMS as readonly string[]).includes(form)) throw new Error(`rtspJpegForm must be one of ${STREAM8_FORMS.join(', ')}`);
      this.faults.rtspJpegForm = form;
      const ffmpeg = options.rtspFfmpeg === false ? undefined : (options.rtspFfmpeg ?? findFfmpeg());
      this.rtspServer = new RtspServer(target, {
        host: this.host,
        port: options.rtspPort,
        ffmpeg,
        onRequest: (info) => this.emit('rtsp', info),
        onFrame: (info) => this.emit('rtspFrame', info),
      });
    }
    const credentials = options.onboarding === true
      ? this.factoryCredentials(options.scheme ?? this.fixture.defaultScheme)
      : {
          username: options.username ?? (this.family === 'camera' ? DEFAULT_CAMERA_USERNAME : DEFAULT_PLUG_USERNAME),
          password: options.password ?? DEFAULT_PASSWORD,
        };
    this.onboarding = new OnboardingLogic(
      this.logic,
      {
        credentials,
        onNetworkSwitch: (joined) => {
          this.loseCurrentReply = true;
          if (joined) this.expireAfterReply = true;
        },
      },
      options.onboarding === true,
      {
        ...(options.accessPoints !== undefined ? { accessPoints: options.accessPoints } : {}),
        ...(options.onboardingScanKey !== undefined ? { scanKey: options.onboardingScanKey } : {}),
        ...(options.onboardingStaticKeyPem !== undefined ? { staticPrivateKeyPem: options.onboardingStaticKeyPem } : {}),
      },
    );
    const device = this;
    const logic = new FaultingLogic(this);
    this.context = {
      credentials,
      logic,
      clock: this.clock,
      guard: this.guard,
      mac: this.fixture.mac,
      discovery: this.fixture.discovery,
      sessionTtlSeconds: options.sessionTtlSeconds ?? 86_400,
      get faults(): SimFaults {
        return device.faults;
      },
    };
  }

  /**
   * What a device in onboarding mode accepts (camera.md §4, plug-klap.md §3): a camera `admin`
   * with its factory password (`admin` on legacy firmware), a plug blank credentials (never bound).
   */
  private factoryCredentials(scheme: SimScheme): { username: string; password: string } {
    if (this.family !== 'camera') return { username: '', password: '' };
    return { username: DEFAULT_CAMERA_USERNAME, password: scheme === 'camera-legacy' ? CAMERA_LEGACY_FACTORY_PASSWORD : CAMERA_FACTORY_PASSWORD };
  }

  /** The scheme currently spoken. */
  get scheme(): SimScheme {
    return this.server.scheme;
  }

  /** `http://host:port` for SMART devices, `https://host:port` for cameras. */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${this.family === 'camera' ? 'https' : 'http'}://${host}:${this.port}`;
  }

  /** True while the device is rebooting. */
  get isDown(): boolean {
    return this.down;
  }

  /** Bound UDP discovery port, or undefined when the device does not answer discovery. */
  get discoveryPort(): number | undefined {
    return this.discoveryResponder?.port;
  }

  /** Bound ONVIF port, or undefined when the camera does not serve ONVIF. */
  get onvifPort(): number | undefined {
    return this.onvifServer?.port;
  }

  /** Bound RTSP port, or undefined when the camera does not serve RTSP. */
  get rtspPort(): number | undefined {
    return this.rtspServer?.port;
  }

  /** True for a doorbell profile (`device_type` SMART.TAPODOORBELL). */
  get isDoorbell(): boolean {
    return this.deviceType() === 'SMART.TAPODOORBELL';
  }

  /** Discovery probes answered so far (0 without a responder). */
  get discoveryProbesAnswered(): number {
    return this.discoveryResponder?.answered ?? 0;
  }

  /**
   * Starts listening (and answering discovery when asked to); resolves once every port is bound.
   * If a port cannot be bound, whatever was bound is closed again and the error is thrown.
   */
  async start(): Promise<void> {
    await this.listen();
    if (this.onvifServer !== undefined && !this.faults.onvifDown) {
      try {
        await this.onvifServer.listen();
      } catch (err) {
        await this.stop();
        throw err;
      }
    }
    if (this.rtspServer !== undefined && !this.faults.rtspDown) {
      try {
        await this.rtspServer.listen();
      } catch (err) {
        await this.stop();
        throw err;
      }
    }
    if (this.options.discoveryPort !== undefined && this.discoveryResponder === undefined) {
      const responder = new DiscoveryResponder(this, { port: this.options.discoveryPort, host: this.options.discoveryHost ?? this.host });
      try {
        await responder.start();
      } catch (err) {
        await this.stop();
        throw err;
      }
      this.discoveryResponder = responder;
      if (this.stopped) await responder.stop();
    }
  }

  /** Where the device listens and what it is (no secrets). */
  describe(): SimDeviceDescription {
    const description: SimDeviceDescription = {
      host: this.host,
      port: this.port,
      scheme: this.scheme,
      model: this.model,
      family: this.family,
      url: this.url,
    };
    if (this.discoveryPort !== undefined) description.discoveryPort = this.discoveryPort;
    if (this.onvifPort !== undefined) description.onvifPort = this.onvifPort;
    if (this.rtspPort !== undefined) description.rtspPort = this.rtspPort;
    return description;
  }

  /**
   * Merges `patch` into the faults (checked as `POST /__sim/faults` checks it) and acts on the
   * ones that need it at once: {@link applyFaults}.
   */
  async setFaults(patch: unknown): Promise<SimFaults> {
    mergeFaults(this.faults, patch);
    await this.applyFaults();
    return this.faults;
  }

  /**
   * Acts on faults mutated in place: closes or reopens the ONVIF port for `onvifDown` (closing
   * it forgets every subscription, as a camera whose ONVIF is off has none), fires
   * `onvifDropSubscriptions`, starts or stops the `Initialized` flood; closes or reopens the RTSP
   * port for `rtspDown` (closing it drops every RTSP connection).
   */
  async applyFaults(): Promise<void> {
    if (this.faults.portClosedUntilProbe && this.listener !== undefined) await this.closeListener();
    else if (!this.faults.portClosedUntilProbe && this.listener === undefined && !this.down && !this.stopped) await this.listen();
    const rtsp = this.rtspServer;
    if (rtsp !== undefined) {
      if (this.faults.rtspDown && rtsp.listening) await rtsp.closeListener();
      else if (!this.faults.rtspDown && !rtsp.listening && !this.down && !this.stopped) await rtsp.listen();
    }
    const onvif = this.onvifServer;
    if (onvif === undefined) return;
    onvif.applyFaults();
    if (this.faults.onvifDown && onvif.listening) {
      onvif.dropSubscriptions();
      await onvif.closeListener();
    } else if (!this.faults.onvifDown && !onvif.listening && !this.down && !this.stopped) {
      await onvif.listen();
    }
  }

  /**
   * Scripts a detection on a camera (events.md §2.7, §3): a start (`active`, the default) or an
   * end. The camera logic bumps `last_alarm_time`/`last_alarm_type` on a start and keeps the
   * detection for `searchDetectionList`; discovery's last alarm follows; every live ONVIF
   * subscription gets the edge (`Changed`; see the `onvifInitializedFlood` fault) — except for
   * `babyCry`, which is not on ONVIF. Ignored while privacy mode is on or the camera reboots.
   * Throws on a device that is not a camera or a type that is not a detection.
   */
  detect(detection: SimDetection): SimDetectionResult {
    const type: unknown = detection.type;
    if (!isDetectionType(type)) throw new Error(`unknown detection type ${JSON.stringify(type)}; known: ${Object.keys(DETECTIONS).join(', ')}`);
    const active = detection.active ?? true;
    if (typeof active !== 'boolean') throw new Error('"active" must be true or false');
    const camera = this.cameraLogic('detect');
    const now = this.clock.now();
    const result: SimDetectionResult = { type, active, changed: false, time: Math.floor(now / 1000), onvifSubscriptions: 0 };
    if (this.down) return { ...result, ignored: 'down' };
    if (active && camera.state.privacyMode) return { ...result, ignored: 'privacy' };
    if (!camera.detect(type, active, now)) return result;
    result.changed = true;
    if (DETECTIONS[type].onvif !== undefined && this.onvifServer !== undefined) result.onvifSubscriptions = this.onvifServer.notify(type, active);
    return result;
  }

  /**
   * Presses a doorbell's button (events.md §4): one UDP datagram to {@link ringTarget}, sent from
   * the device's own address (its host; any address when it listens on a wildcard). The payload
   * is ours: `tapo-sim ring model=<model> mac=<MAC> time=<epoch seconds>` (nobody parses a real
   * one). Throws on a device that is not a doorbell, and while it reboots.
   */
  async ring(): Promise<SimRingResult> {
    if (!this.isDoorbell) throw new Error(`${this.model} is not a doorbell (device_type ${this.deviceType() || 'unknown'}); only SMART.TAPODOORBELL profiles ring`);
    if (this.down) throw new Error('the doorbell is rebooting');
    const payload = `tapo-sim ring model=${this.model} mac=${this.fixture.mac} time=${Math.floor(this.clock.now() / 1000)}`;
    const target = { ...this.ringTarget };
    const wildcard = this.host === '' || this.host === '0.0.0.0' || this.host === '::';
    const socket = dgram.createSocket({ type: target.host.includes(':') ? 'udp6' : 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(wildcard ? { port: 0 } : { address: this.host, port: 0 }, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      // A real doorbell broadcasts (events.md §4.1); allowed so a broadcast target works too.
      socket.setBroadcast(true);
      const source = socket.address();
      await new Promise<void>((resolve, reject) => {
        socket.send(Buffer.from(payload, 'utf8'), target.port, target.host, (err) => (err ? reject(err) : resolve()));
      });
      return { target, source: { address: source.address, port: source.port }, payload };
    } finally {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    }
  }

  /**
   * Presses a plug's button by hand (events.md §5.4): the relay toggles, `on_time` starts again.
   * On a strip, `socket` is the socket's position (from 1). Throws on a camera, while rebooting,
   * and for a socket the device does not have.
   */
  press(socket?: number): { on: boolean; position?: number } {
    if (this.family !== 'smart') throw new Error(`${this.model} is a camera: it has no relay button to press`);
    if (this.down) throw new Error('the device is rebooting');
    return (this.logic as PlugLogic).press(socket);
  }

  /**
   * A hub's children (logic/hub.ts): undefined for any other device. Tests script sensor events
   * with `hubChildren.trigger(child, event)` and batteries with `hubChildren.set(child, {…})`.
   */
  get hubChildren(): SimHubChildren | undefined {
    const logic = this.logic as PlugLogic | CameraLogic | HubLogic | CameraHubLogic;
    return logic instanceof HubLogic || logic instanceof CameraHubLogic ? logic.hub : undefined;
  }

  /** A hub child's event (control endpoint `trigger-child`); throws when this is not a hub or the child cannot do it. */
  triggerChild(child: string | number, event: ChildTrigger): SimChildState {
    const hub = this.hubChildren;
    if (hub === undefined) throw new Error(`${this.model} is not a hub: it has no children to trigger`);
    if (this.down) throw new Error('the device is rebooting');
    return hub.trigger(child, event);
  }

  /** Sets a hub child's battery, low flag, temperature or humidity (control endpoint `child`). */
  setChild(child: string | number, change: SimChildChange): SimChildState {
    const hub = this.hubChildren;
    if (hub === undefined) throw new Error(`${this.model} is not a hub: it has no children`);
    return hub.set(child, change);
  }

  /** The camera's last alarm as discovery reports it, or undefined (not a camera, or none kept). */
  lastAlarm(): { time: string; type: string } | undefined {
    return this.family === 'camera' ? (this.logic as CameraLogic).lastAlarm() : undefined;
  }

  private cameraLogic(what: string): CameraLogic {
    if (this.family !== 'camera') throw new Error(`${what} is for cameras; ${this.model} is a ${this.family} device`);
    return this.logic as CameraLogic;
  }

  private deviceType(): string {
    const fromDiscovery = this.fixture.discovery.device_type;
    if (typeof fromDiscovery === 'string') return fromDiscovery;
    const info = this.fixture.data.getDeviceInfo;
    const basic = isObject(info) && isObject(info.device_info) && isObject(info.device_info.basic_info) ? info.device_info.basic_info : undefined;
    return basic !== undefined && typeof basic.device_type === 'string' ? basic.device_type : '';
  }

  /** What the ONVIF server reads from this camera. */
  private onvifTarget(): ConstructorParameters<typeof OnvifServer>[0] {
    const device = this;
    return {
      get clock() {
        return device.clock;
      },
      get faults() {
        return device.faults;
      },
      get cameraAccount() {
        return device.cameraAccount;
      },
      deviceInformation: () => device.onvifDeviceInformation(),
      utcOffsetMinutes: () => device.cameraLogic('ONVIF').utcOffsetMinutes(),
      isDetecting: (type) => device.cameraLogic('ONVIF').isDetecting(type),
    };
  }

  private onvifDeviceInformation(): OnvifDeviceInformation {
    const info = this.fixture.data.getDeviceInfo;
    const basic = isObject(info) && isObject(info.device_info) && isObject(info.device_info.basic_info) ? info.device_info.basic_info : {};
    const text = (key: string, fallback: string): string => (typeof basic[key] === 'string' && basic[key] !== '' ? (basic[key] as string) : fallback);
    return {
      manufacturer: text('manufacturer_name', 'TP-LINK'),
      model: this.model,
      firmwareVersion: text('sw_version', ''),
      serialNumber: this.fixture.mac.replace(/-/g, ''),
      hardwareId: text('hw_version', ''),
    };
  }

  /** Drops every session of the current scheme. */
  expireSessions(): void {
    this.server.expireSessions();
  }

  /** Swaps the scheme server, as a firmware update does; every session is lost. */
  migrate(scheme: SimScheme): void {
    if (!(SIM_SCHEMES as readonly string[]).includes(scheme)) throw new Error(`unknown scheme "${scheme}"`);
    const next = createSchemeServer(scheme, this.family, this.options);
    this.server.expireSessions();
    this.server = next;
  }

  /**
   * Called by the discovery responder for each probe: with the fault `portClosedUntilProbe`, the
   * port opens (and the fault clears) before the probe is answered.
   */
  async probed(): Promise<void> {
    if (!this.faults.portClosedUntilProbe || this.stopped) return;
    this.faults.portClosedUntilProbe = false;
    if (this.listener === undefined && !this.down) await this.listen();
  }

  /**
   * Moves the device to another address, as a new DHCP lease does: the HTTP(S) port closes on the
   * old address (every connection dropped) and opens with the same number on `host`; the
   * discovery responder follows with its port number. Identity, MAC, sessions and state are kept
   * (a real device would drop its sessions: they are dropped too). A camera's ONVIF and RTSP
   * servers move too, keeping their port numbers (their connections are dropped, ONVIF
   * subscriptions kept).
   */
  async moveTo(host: string): Promise<void> {
    if (this.stopped) throw new Error('the device is stopped');
    if (host === this.host) return;
    this.server.expireSessions();
    const wasListening = this.listener !== undefined;
    await this.closeListener();
    // A camera's ONVIF and RTSP servers follow it, on the same ports (each only if it was open).
    await Promise.all([this.onvifServer?.moveTo(host), this.rtspServer?.moveTo(host)]);
    const responder = this.discoveryResponder;
    this.discoveryResponder = undefined;
    if (responder !== undefined) await responder.stop();
    this.host = host;
    if (wasListening) await this.listen();
    if (responder !== undefined) {
      const next = new DiscoveryResponder(this, { port: responder.port, host });
      next.answered = responder.answered;
      await next.start();
      this.discoveryResponder = next;
    }
    this.emit('moved', host);
  }

  /**
   * Offers a firmware update (undefined withdraws the offer); checked as `POST /__sim/firmware`
   * checks it. Throws an Error saying what is accepted.
   */
  offerFirmware(update: unknown): SimFirmwareUpdate | undefined {
    const parsed = update === undefined || update === null ? undefined : parseFirmwareUpdate(update, this.family);
    this.logic.firmware.offer(parsed);
    return parsed;
  }

  /** The firmware version the device reports now. */
  get firmwareVersion(): string {
    return this.logic.firmwareVersion();
  }

  /** What the firmware update is doing, for the control endpoint and tests. */
  firmwareState(): { version: string; phase: string; percent: number; pending?: SimFirmwareUpdate; installs: number; scheme: SimScheme } {
    const fw = this.logic.firmware;
    return { version: this.firmwareVersion, phase: fw.phase, percent: fw.percent, ...(fw.pending !== undefined ? { pending: fw.pending } : {}), installs: fw.installs, scheme: this.scheme };
  }

  /** The logic's state, for the control endpoint. */
  logicState(): unknown {
    return this.logic.state;
  }

  /**
   * Reboots: drops sessions, closes the port and every connection, and listens again on the same
   * port once `downSeconds` have passed on the device clock. Resolves once the device is down;
   * `whenUp()` resolves when it listens again.
   */
  async reboot(downSeconds = 3): Promise<void> {
    if (this.stopped) return;
    this.server.expireSessions();
    this.upAt = this.clock.now() + Math.max(0, downSeconds) * 1000;
    if (!this.down) {
      this.down = true;
      const image = this.installing;
      if (image !== undefined) {
        // Goes down with the new image: it comes back on that version, speaking its scheme.
        this.installing = undefined;
        this.logic.applyFirmware(image.version);
        if (typeof this.fixture.discovery.firmware_version === 'string') this.fixture.discovery.firmware_version = image.version;
        if (image.newScheme !== undefined && image.newScheme !== this.scheme) this.migrate(image.newScheme);
      }
      // A rebooting camera forgets its ONVIF subscriptions and stops detecting.
      if (this.family === 'camera') (this.logic as CameraLogic).endDetections();
      this.onvifServer?.dropSubscriptions();
      await Promise.all([this.closeListener(), this.onvifServer?.closeListener(), this.rtspServer?.closeListener()]);
      this.emit('down');
    }
    if (this.upTimer === undefined && !this.stopped) {
      this.upTimer = setInterval(() => this.tryComeUp(), REBOOT_POLL_MS);
    }
  }

  /** Resolves when the device is listening (at once unless it is rebooting). */
  whenUp(): Promise<void> {
    if (!this.down || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.off('up', done);
        this.off('stopped', done);
        resolve();
      };
      this.on('up', done);
      this.on('stopped', done);
    });
  }

  /** Closes the port, the discovery socket, every connection (hung ones included) and every timer. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.upTimer !== undefined) clearInterval(this.upTimer);
    this.upTimer = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([this.closeListener(), this.discoveryResponder?.stop(), this.onvifServer?.stop(), this.rtspServer?.stop()]);
    this.emit('stopped');
  }

  private tryComeUp(): void {
    if (this.stopped || this.clock.now() < this.upAt) return;
    if (this.upTimer !== undefined) clearInterval(this.upTimer);
    this.upTimer = undefined;
    const onvif = this.onvifServer;
    (this.listener === undefined && !this.faults.portClosedUntilProbe ? this.listen() : Promise.resolve())
      .then(() => (onvif !== undefined && !this.faults.onvifDown ? onvif.listen() : undefined))
      .then(() => (this.rtspServer !== undefined && !this.faults.rtspDown ? this.rtspServer.listen() : undefined))
      .then(
        () => {
          this.down = false;
          this.emit('up');
        },
        () => {
          // A port is busy for a moment (TIME_WAIT, a test holding it): try again shortly.
          if (!this.stopped) this.upTimer = setInterval(() => this.tryComeUp(), REBOOT_POLL_MS);
        },
      );
  }

  private createListener(): http.Server {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.onRequest(req, res);
    if (this.family === 'camera') {
      const { key, cert } = getSimCertificate();
      // TLS 1.2 like the cameras, so the cipher list matters: ECDHE and static-RSA suites both offered.
      return https.createServer({ key, cert, ciphers: SIM_TLS_CIPHERS, maxVersion: 'TLSv1.2' }, handler);
    }
    return http.createServer(handler);
  }

  private async listen(): Promise<void> {
    const listener = this.createListener();
    listener.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.port = await bindListener(listener, this.host, this.port);
    this.listener = listener;
    if (this.stopped) await this.closeListener();
  }

  private closeListener(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (listener === undefined) return Promise.resolve();
    return new Promise((resolve) => listener.close(() => resolve()));
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.closingSockets.has(req.socket)) {
      // The device already decided to close this connection: the request is never read.
      this.droppedUnread += 1;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => req.socket.destroy());
    req.on('end', () => {
      this.dispatch(req, res, Buffer.concat(chunks)).catch(() => {
        if (!res.headersSent) this.send(res, { status: 500 });
      });
    });
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    const simReq: SimRequest = {
      method: req.method ?? 'GET',
      path: q < 0 ? url : url.slice(0, q),
      query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
      headers,
      body,
      remoteAddress: req.socket.remoteAddress ?? '',
    };

    if (simReq.path.startsWith('/__sim/')) {
      const result = await handleControl(simReq, this);
      this.send(res, result.response, result.after);
      return;
    }

    this.httpRequestCount += 1;
    // Tests wait on this event instead of sleeping (e.g. "the request has reached a hung device").
    this.emit('request', simReq);
    const faults = this.faults;
    if (faults.dropConnections) {
      req.socket.destroy();
      return;
    }
    // Never answered: the socket stays tracked, so stop() and reboot() still release it.
    if (faults.hang) return;
    if (faults.delayMs > 0) {
      await this.sleep(faults.delayMs);
      if (this.stopped || res.destroyed) return;
    }
    if (this.faults.http500) {
      this.send(res, { status: 500 });
      return;
    }
    const refusal = this.faults.refuseRequests;
    if (refusal.count > 0 && isSessionRequest(simReq)) {
      refusal.count -= 1;
      this.send(res, { status: refusal.status });
      return;
    }
    const response = await this.server.handle(simReq, this.context);
    if (this.expireAfterReply) {
      // Onboarding joined a network: the device left its own, and every session with it.
      this.expireAfterReply = false;
      this.server.expireSessions();
    }
    if (this.loseCurrentReply) {
      // The device acted; the reply is lost on the way back (fault `loseReplyTo`).
      this.loseCurrentReply = false;
      req.socket.destroy();
      return;
    }
    this.send(res, response);
  }

  /**
   * Waits `ms`. A Node timer fires at once for more than 2^31 − 1 ms, so a longer delay (set on
   * `faults` from code; the control endpoint refuses it) is waited out in steps.
   */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wait = (left: number): void => {
        const step = Math.min(left, MAX_DELAY_MS);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (left > step) wait(left - step);
          else resolve();
        }, step);
        this.timers.add(timer);
      };
      wait(ms);
    });
  }

  private send(res: http.ServerResponse, response: SimResponse, after?: () => void): void {
    if (res.destroyed) return;
    const headers: Record<string, string | string[]> = { ...response.headers };
    if (this.faults.closeAfterResponse) headers['connection'] = 'close';
    const body = response.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(response.body) ? response.body : Buffer.from(response.body, 'utf8');
    headers['content-length'] = String(body.length);
    res.writeHead(response.status, headers);
    // Taken now: the response lets go of its socket once it has finished.
    const socket = res.socket;
    res.end(body, () => {
      if (this.faults.closeSilently && socket) {
        // Closed a little after the reply, as the firmware does, so a client that sends its next
        // request at once sends it on a socket that is about to close.
        this.closingSockets.add(socket);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          socket.destroy();
        }, SILENT_CLOSE_DELAY_MS);
        this.timers.add(timer);
      }
      if (after !== undefined) after();
      if (this.rebootRequested) {
        this.rebootRequested = false;
        void this.reboot(this.installing?.rebootSeconds ?? LOGIC_REBOOT_SECONDS);
      }
    });
  }
}

/**
 * True for a request inside a session (a command), as opposed to a login step: camera and TPAP
 * `/stok=…/ds`, KLAP `/app/request`, passthrough `/app` with a `token` query.
 */
function isSessionRequest(req: SimRequest): boolean {
  return /^\/stok=[^/]*\/ds\/?$/.test(req.path) || req.path === '/app/request' || (req.path === '/app' && req.query.has('token'));
}

/** How long after a reply `closeSilently` closes the socket, in ms. */
const SILENT_CLOSE_DELAY_MS = 20;

/** Starts one simulated device and resolves once it listens. */
export async function startDevice(options: StartDeviceOptions): Promise<SimulatedDevice> {
  const device = new SimulatedDevice(options);
  await device.start();
  return device;
}

/** Starts several devices on separate ports; if one fails, the ones already started are stopped. */
export async function startDevices(list: StartDeviceOptions[]): Promise<SimulatedDevice[]> {
  const started: SimulatedDevice[] = [];
  try {
    for (const options of list) started.push(await startDevice(options));
  } catch (err) {
    await Promise.all(started.map((device) => device.stop()));
    throw err;
  }
  return started;
}
