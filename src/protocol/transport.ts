/**
 * The small interface every wire scheme implements. A transport owns one device session
 * (cookies, keys, sequence numbers, token) and its sockets; it never logs in by itself and never
 * retries: the connection layer (src/connection) decides when to log in, re-login and replay.
 */
import type { DeviceFamily } from './errors';
import type { Credentials, JsonObject, SchemeName } from './types';

/** What every transport constructor takes. */
export interface TransportOptions {
  /** Host name or IP address, without port. */
  host: string;
  /** Port; defaults to the scheme's (80 for SMART schemes, 443 for cameras). */
  port?: number;
  /** The user's credentials. */
  credentials: Credentials;
  /** Device family (TPAP serves both; the others know theirs). */
  family?: DeviceFamily;
  /** Per-request timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** Monotonic clock in ms, for session lifetimes (default `performance.now`). Injected by tests. */
  now?: () => number;
}

/**
 * One scheme's client side.
 *
 * Errors are {@link import('./errors').TapoError}s:
 * - `login`: `Authentication` (credentials do not match; never retried by the caller),
 *   `Locked` (camera lockout, with `secondsLeft`), `Unsupported` with `suggestedScheme` when the
 *   device speaks another scheme, `Transport`/`Timeout`.
 * - `send`: `SessionExpired` when the session is gone (the caller logs in again and replays once),
 *   `Transport`/`Timeout` on the network (with `sent: false` when it never left).
 *   Method-level error codes inside a decrypted reply are NOT thrown: the reply is returned as is.
 */
export interface Transport {
  /** Which scheme this is. */
  readonly scheme: SchemeName;
  /** Which device family this session talks to (selects the error table). */
  readonly family: DeviceFamily;
  /** True while a session exists that is not expired or about to expire. */
  readonly hasSession: boolean;
  /** Performs the handshake/login and stores the session. */
  login(signal?: AbortSignal): Promise<void>;
  /**
   * Sends one request envelope (SMART: `{method, params?, ...}`; camera: `multipleRequest` or a
   * style-B `get`/`set`/`do` object) through the session and returns the decrypted reply
   * envelope exactly as the device sent it (with its `error_code`).
   */
  send(request: JsonObject, signal?: AbortSignal): Promise<JsonObject>;
  /** Forgets the session (the next `send` needs a `login`). */
  reset(): void;
  /** Aborts what is in flight and releases every socket. */
  close(): Promise<void>;
}

/** Default monotonic clock. */
export const monotonicNow = (): number => performance.now();
