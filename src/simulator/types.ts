/**
 * Contracts inside the simulator. The simulator is the device side of every scheme, written
 * from ../shared/protocol and deliberately independent of the client: nothing under
 * src/simulator may import src/protocol, src/connection or src/devices.
 */
import type { Stream8Form } from './media/rfc2435';

/** A JSON value (own copy: the simulator shares no module with the client). */
export type SimJson = string | number | boolean | null | SimJson[] | SimJsonObject;

/** A JSON object. */
export interface SimJsonObject {
  [key: string]: SimJson;
}

/** The schemes the simulator can speak. */
export type SimScheme = 'klap' | 'klap-v1' | 'passthrough' | 'camera-secure' | 'camera-legacy' | 'tpap';

/** Device family. */
export type SimFamily = 'smart' | 'camera';

/** Injectable wall clock in ms since the epoch. Tests pass a manual clock; time never sleeps. */
export interface SimClock {
  now(): number;
}

/** An HTTP request as a scheme handler sees it. */
export interface SimRequest {
  /** `GET` or `POST`. */
  method: string;
  /** Path without query, e.g. `/app/request` or `/stok=abc/ds`. */
  path: string;
  /** Parsed query. */
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Raw body bytes exactly as received. */
  body: Buffer;
  /** Client address (for "a new camera login from the same host replaces the old session"). */
  remoteAddress: string;
}

/** What a scheme handler answers. */
export interface SimResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
}

/**
 * The functional device: decrypted request envelope in, reply envelope out.
 * SMART: `{method, params}` → `{error_code, result?}`; `multipleRequest` handled inside.
 * Camera: named method in `multipleRequest`, or style-B `{method: "get"|"set"|"do", <module>: ...}`.
 */
export interface DeviceLogic {
  readonly family: SimFamily;
  handle(request: SimJsonObject): SimJsonObject;
}

/** Counts failed logins and locks a camera out (errors.md -40404 with `sec_left`). */
export interface LoginGuard {
  /** Seconds the device stays locked, 0 when not locked. */
  lockedSecondsLeft(): number;
  /** Records one failed login (may start a lockout). */
  recordFailure(): void;
  /** Records a successful login (clears the failure count). */
  recordSuccess(): void;
  /** Failed attempts so far in this window. */
  readonly failures: number;
}

/** Switches that make the device misbehave as real ones do (issue "Fault injection"). */
export interface SimFaults {
  /** KLAP: 403 on handshake1; cameras: admin login refused. */
  thirdPartyOff: boolean;
  /** Delay every reply by this many ms (the control endpoint takes at most 2^31 − 1). */
  delayMs: number;
  /** Never answer (the socket stays open until the client gives up). */
  hang: boolean;
  /** Destroy the socket instead of answering (after reading the request). */
  dropConnections: boolean;
  /** Answer HTTP 500 to everything. */
  http500: boolean;
  /** Close the TCP connection after every response, saying `Connection: close`. */
  closeAfterResponse: boolean;
  /**
   * Close the TCP connection shortly (20 ms) after every response without saying so (no
   * `Connection: close`), as P100 firmware does (python-kasa kasa/httpclient.py): a request sent
   * on that socket in between is dropped unread, and the client meets a closed socket.
   */
  closeSilently: boolean;
  /** Reject every `multipleRequest` with -1003 (P100 batch bug). */
  batchBug: boolean;
  /**
   * TPAP: refuse every `pake_share` with -40401 (counted as a failed login) while a session is
   * alive, as a C200 did (tpap.md §9).
   */
  refuseLoginWhileSession: boolean;
  /**
   * Forced error codes per method name, applied by the device before the logic runs (also to
   * each sub-request of a batch; `multipleRequest` itself answers the whole envelope). Login
   * steps take them too, in their scheme's envelope: passthrough `handshake` and `login_device`,
   * camera `login`, TPAP `discover`, `pake_register`, `pake_share` (or `login` for both pake
   * steps). KLAP has no error-code envelope for its handshakes (use `thirdPartyOff`, `http500`).
   */
  methodErrors: Record<string, number>;
  /** Expire a session after this many requests in it (0 = never). */
  expireAfterRequests: number;
  /**
   * Cameras (secure, legacy) and TPAP devices: every login hands out this session token instead of
   * a random one ('' = off). A hostile or buggy token such as `../x/../y` tests that the client
   * keeps it one path segment: the device accepts it only percent-encoded the way
   * `encodeURIComponent` does (schemes/session-path.ts), never as the path it normalises to.
   */
  loginStok: string;
  /**
   * Refuse the next `count` session requests (commands: `/stok=…/ds`, KLAP `/app/request`,
   * passthrough `/app?token=…`; not logins) with HTTP `status` and an empty body, before the scheme
   * looks at them: the device does not act. Counts down to 0.
   */
  refuseRequests: { status: number; count: number };
  /**
   * Lose the reply after the device acted: method name → how many of its next replies to drop
   * (the request is carried out, then the socket is destroyed). Models a reply lost on the way back.
   */
  loseReplyTo: Record<string, number>;
  /** Cameras: the ONVIF port is closed (connections refused), as on a camera without ONVIF. */
  onvifDown: boolean;
  /**
   * Cameras: forget every ONVIF subscription, as after a reboot (the next request to one gets a
   * SOAP fault). A one-shot action: it fires when set (at once through `POST /__sim/faults` or
   * `applyFaults()`, else at the next ONVIF request) and reads back false afterwards.
   */
  onvifDropSubscriptions: boolean;
  /**
   * Cameras (the C225 profile, events.md §2.9): while a detection lasts, ONVIF sends a batch of
   * `PropertyOperation="Initialized"` messages (every property's value) every
   * `onvifFloodIntervalMs` instead of one `Changed` at each edge; nothing marks the end.
   */
  onvifInitializedFlood: boolean;
  /** Interval of the `Initialized` batches, in ms (default 14 000, as a C225). */
  onvifFloodIntervalMs: number;
  /**
   * Cameras (the C220 profile, events.md §2.8): a `PullMessages` with nothing to deliver has its
   * connection closed `onvifIdleCloseMs` after it arrived, without an answer.
   */
  onvifIdleClose: boolean;
  /** When `onvifIdleClose` closes an idle pull, in ms (default 10 000, as a C220). */
  onvifIdleCloseMs: number;
  /** Cameras: ONVIF subscriptions are made and answered, but no event is ever delivered (C200 1.3.6). */
  onvifBrokenPullPoint: boolean;
  /** Cameras: the RTSP port is closed (connections refused), as on a camera with RTSP off. */
  rtspDown: boolean;
  /** Cameras: `DESCRIBE` and `SETUP` of `stream8` answer 404, as on a model without the MJPEG profile. */
  rtspNoStream8: boolean;
  /** Cameras: the RTSP connection is closed after the first slice of the first frame sent. */
  rtspCloseMidFrame: boolean;
  /** Cameras: wait this many ms between two RTP packets of a `stream8` frame (0 = none). */
  rtspSlowMs: number;
  /**
   * Cameras (the "2025 firmware" profile, media.md §2.3, §8): `Authorization: Basic` with the right
   * camera account is refused with 401 (both challenges again); only Digest gets in.
   */
  rtspDigestOnly: boolean;
  /**
   * Cameras: while privacy mode is on, no stream sends a frame (sessions stay open), as a C225 2.0
   * did before firmware 1.0.11 (HomeAssistant-Tapo-Control#517); otherwise the picture is black.
   */
  rtspPrivacyNoFrames: boolean;
  /**
   * Cameras: how `stream8` packs its frames (media/rfc2435.ts): 'tapo' (the whole JFIF in slices,
   * media.md §3.3), 'rfc' (a bare RFC 2435 scan, type 0, Q 80) or 'rfc-tables' (Q 255, tables
   * in-band). Starts as the device option `rtspJpegForm`; read at the start of every frame.
   */
  rtspJpegForm: Stream8Form;
  /**
   * The HTTP(S) port refuses connections (closed) until a discovery probe arrives on the
   * discovery port, then opens and the fault clears itself: the plugs that keep their local port
   * closed after a power cut until they are probed. Setting it closes the port at once; a reboot
   * comes back with the port closed while it is set. Needs a discovery responder to ever open.
   */
  portClosedUntilProbe: boolean;
}

/** Everything a scheme handler may use. */
export interface SchemeContext {
  /** The account this device is bound to. */
  readonly credentials: { username: string; password: string };
  /** The functional device. */
  readonly logic: DeviceLogic;
  readonly clock: SimClock;
  readonly faults: SimFaults;
  readonly guard: LoginGuard;
  /** MAC as `AA-BB-CC-DD-EE-FF`. */
  readonly mac: string;
  /** The fixture's `discovery_result.result` (identity, advertised schemes). */
  readonly discovery: SimJsonObject;
  /** Session lifetime in seconds announced to clients (KLAP/passthrough `TIMEOUT`, TPAP `expired`). */
  readonly sessionTtlSeconds: number;
}

/** The server side of one scheme. One instance per simulated device. */
export interface SchemeServer {
  readonly scheme: SimScheme;
  /** Handles one HTTP request (any path: real devices answer foreign endpoints in their own way). */
  handle(req: SimRequest, ctx: SchemeContext): Promise<SimResponse> | SimResponse;
  /** Drops every session now (fault "expire sessions"; reboot). */
  expireSessions(): void;
  /** Live sessions, for tests. */
  sessionCount(): number;
  /** Logins completed since start, for tests and benchmarks. */
  readonly loginCount: number;
  /**
   * Logins refused since start because the credential the client proved did not match the account:
   * each one a failed attempt on the device (the ones a camera counts towards its lockout). Refusals
   * before any credential is checked (unknown user, lockout, forced codes) are not counted.
   */
  readonly failedLoginCount: number;
}
