/**
 * One table from device error codes and HTTP statuses to error kinds (../shared/protocol/errors.md).
 *
 * Every layer throws {@link TapoError}; nodes and the CLI read `kind` (and `code`, `secondsLeft`)
 * and never parse messages. The `hint` is the one sentence a user needs to fix the problem.
 */

import type { SchemeName } from './types';

/** The kinds of failure a caller can act on. */
export type ErrorKind =
  | 'Authentication'
  | 'SessionExpired'
  | 'Locked'
  | 'RateLimited'
  | 'Device'
  | 'Transport'
  | 'Timeout'
  | 'Input'
  | 'Unsupported';

/** All kinds, in a stable order (the CLI derives its exit codes from this order). */
export const ERROR_KINDS: readonly ErrorKind[] = [
  'Authentication',
  'SessionExpired',
  'Locked',
  'RateLimited',
  'Device',
  'Transport',
  'Timeout',
  'Input',
  'Unsupported',
];

/** Extra facts an error can carry. */
export interface TapoErrorDetails {
  /** Device error code (`error_code`, `data.code`), when the device gave one. */
  code?: number;
  /** HTTP status, when the failure was an HTTP status. */
  httpStatus?: number;
  /** Seconds until a camera lockout ends (kind `Locked`). */
  secondsLeft?: number;
  /**
   * Whether the request may have reached the device. `false` means it certainly did not
   * (connection refused, failed before sending), so it is safe to send again.
   */
  sent?: boolean;
  /** What the user should do, one sentence. */
  hint?: string;
  /** The underlying error. */
  cause?: unknown;
  /** The scheme the device asked for instead (1003 ⇒ klap, 404 on handshake1 ⇒ passthrough, -40211 ⇒ tpap ...). */
  suggestedScheme?: SchemeName;
  /**
   * The failure is about the login scheme (the device does not speak it, or speaks a variant this
   * client lacks), not about a method or feature: another scheme may work. Implied by
   * `suggestedScheme`.
   */
  aboutScheme?: boolean;
}

/** The one error class of this package. */
export class TapoError extends Error {
  /** What kind of failure this is. */
  readonly kind: ErrorKind;
  /** Device error code, when the device gave one. */
  readonly code?: number;
  /** HTTP status, when the failure was an HTTP status. */
  readonly httpStatus?: number;
  /** Seconds until a lockout ends. */
  readonly secondsLeft?: number;
  /** Whether the request may have reached the device (defaults to true: assume it did). */
  readonly sent: boolean;
  /** What to do about it. */
  readonly hint?: string;
  /** The scheme the device asked for instead, when it said so. */
  readonly suggestedScheme?: SchemeName;
  /** True when the failure is about the login scheme rather than a method or feature. */
  readonly aboutScheme?: boolean;

  constructor(kind: ErrorKind, message: string, details: TapoErrorDetails = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'TapoError';
    this.kind = kind;
    if (details.code !== undefined) this.code = details.code;
    if (details.httpStatus !== undefined) this.httpStatus = details.httpStatus;
    if (details.secondsLeft !== undefined) this.secondsLeft = details.secondsLeft;
    this.sent = details.sent ?? true;
    if (details.hint !== undefined) this.hint = details.hint;
    if (details.suggestedScheme !== undefined) this.suggestedScheme = details.suggestedScheme;
    if (details.aboutScheme || details.suggestedScheme !== undefined) this.aboutScheme = true;
  }
}

/** True when `e` is a {@link TapoError} (optionally of one of `kinds`). */
export function isTapoError(e: unknown, ...kinds: ErrorKind[]): e is TapoError {
  return e instanceof TapoError && (kinds.length === 0 || kinds.includes(e.kind));
}

/**
 * The longest lockout a device is known to impose, in seconds: 30 minutes. Cameras report the
 * time left of a lock in `sec_left`; every value on record is below 1800 (camera.md §5: 1685;
 * JurajNyiri/HomeAssistant-Tapo-Control#803: "Try again in 1784 seconds"; field-issues.md §9),
 * and TPAP IoT devices throttle for 30 s (tpap.md §9). A longer value is a garbled field, not a
 * longer lock, so {@link errorFromCode} and the envelope reader cap it here (`sec_left: 1e9` is not 31 years).
 */
export const MAX_LOCK_SECONDS = 1800;

/** Which family of devices produced a code: the same number means different things. */
export type DeviceFamily = 'smart' | 'camera';

interface CodeEntry {
  kind: ErrorKind;
  text: string;
  hint?: string;
  /** The scheme this answer asks the client to use instead. */
  suggest?: SchemeName;
}

const CHECK_CREDENTIALS = 'Check the user name and password in the device configuration.';
const SLOW_DOWN = 'Send fewer requests; the device is rate limiting.';
const CAMERA_FEATURE_MISSING =
  'This camera model may not support that feature (for example pan/tilt on a camera without a motor).';

/** SMART (plug, strip, bulb, hub) codes: transport level and method level. */
const SMART_CODES: Record<number, CodeEntry> = {
  9999: { kind: 'SessionExpired', text: 'session timed out' },
  1002: { kind: 'Transport', text: 'transport not available' },
  1003: {
    kind: 'Unsupported',
    text: 'the device does not speak this scheme (it answered 1003: use KLAP)',
    hint: 'Set the scheme to auto or KLAP.',
    suggest: 'klap',
  },
  1100: { kind: 'Authentication', text: 'handshake failed', hint: CHECK_CREDENTIALS },
  1111: { kind: 'Authentication', text: 'login failed', hint: CHECK_CREDENTIALS },
  1112: { kind: 'Transport', text: 'HTTP transport failed' },
  1200: { kind: 'Device', text: 'multiple request failed' },
  [-1]: { kind: 'Device', text: 'the device reported a generic failure' },
  [-1001]: { kind: 'Device', text: 'unspecified device error' },
  [-1002]: { kind: 'Unsupported', text: 'this model does not know that method' },
  [-1003]: { kind: 'Device', text: 'the device could not parse the request' },
  [-1005]: { kind: 'SessionExpired', text: 'the device could not decrypt the request' },
  [-1006]: { kind: 'Input', text: 'request too long' },
  [-1008]: { kind: 'Input', text: 'invalid or unsupported parameters' },
  [-1010]: { kind: 'Transport', text: 'the device rejected the handshake key' },
  [-1012]: { kind: 'Input', text: 'invalid terminal UUID' },
  [-1101]: { kind: 'SessionExpired', text: 'session parameter error' },
  [-1301]: { kind: 'RateLimited', text: 'the device is busy (rate limit)', hint: SLOW_DOWN },
  [-1501]: { kind: 'Authentication', text: 'wrong e-mail or password', hint: CHECK_CREDENTIALS },
  [-1901]: { kind: 'Device', text: 'countdown error' },
  [-1902]: { kind: 'Device', text: 'a countdown is already set' },
  [-1903]: { kind: 'Device', text: 'countdown could not be saved' },
  [-2203]: { kind: 'SessionExpired', text: 'session expired' },
};

/** Camera (SMARTCAM) codes. */
const CAMERA_CODES: Record<number, CodeEntry> = {
  // Only with msg "Check tapo tag failed" does -1 mean a rejected signature (errors.md §3); the
  // secure transport recognises that reply itself. Anywhere else it is the camera's generic failure.
  [-1]: { kind: 'Device', text: 'the camera reported a generic failure' },
  [-40101]: { kind: 'Input', text: 'the setting does not exist on this camera' },
  [-40105]: { kind: 'Unsupported', text: 'this camera does not know that method', hint: CAMERA_FEATURE_MISSING },
  [-40106]: { kind: 'Unsupported', text: 'this camera does not support that method', hint: CAMERA_FEATURE_MISSING },
  40108: { kind: 'Timeout', text: 'the camera timed out' },
  [-40109]: { kind: 'RateLimited', text: 'the same request was repeated within a second', hint: SLOW_DOWN },
  [-40209]: { kind: 'Input', text: 'invalid arguments' },
  [-40210]: { kind: 'Unsupported', text: 'unknown method in a batch', hint: CAMERA_FEATURE_MISSING },
  [-40211]: {
    kind: 'Unsupported',
    text: 'this firmware only accepts the TPAP login',
    hint: 'Set the scheme to auto or TPAP.',
    suggest: 'tpap',
  },
  [-40401]: { kind: 'SessionExpired', text: 'session expired or invalid' },
  [-40404]: { kind: 'Locked', text: 'the camera is locked after too many failed logins' },
  [-40405]: { kind: 'Device', text: 'the camera is in factory state; set it up in the Tapo app first' },
  [-40406]: { kind: 'SessionExpired', text: 'session limit reached' },
  [-40408]: { kind: 'Locked', text: 'the camera is blocked' },
  [-40409]: { kind: 'SessionExpired', text: 'login nonce expired' },
  [-40411]: {
    kind: 'Authentication',
    text: 'unknown user name',
    hint: 'Use the user name admin with the TP-Link account password.',
  },
  [-40412]: { kind: 'Authentication', text: 'login failed', hint: CHECK_CREDENTIALS },
  [-40413]: { kind: 'Authentication', text: 'wrong password', hint: CHECK_CREDENTIALS },
  [-40414]: { kind: 'Authentication', text: 'the camera needs its local password', hint: CHECK_CREDENTIALS },
  [-40418]: { kind: 'Authentication', text: 'TPAP authentication failed', hint: CHECK_CREDENTIALS },
  [-40420]: { kind: 'SessionExpired', text: 'TPAP signature check failed' },
  [-40421]: { kind: 'SessionExpired', text: 'session token rejected' },
  [-52405]: { kind: 'RateLimited', text: 'too many requests', hint: SLOW_DOWN },
  [-52407]: { kind: 'RateLimited', text: 'too many clients', hint: SLOW_DOWN },
  [-52419]: { kind: 'RateLimited', text: 'too many HTTPS clients', hint: SLOW_DOWN },
  [-52409]: { kind: 'Device', text: 'no SD card' },
  [-52422]: { kind: 'Device', text: 'the SD card is unusable' },
  [-64302]: { kind: 'Input', text: 'preset not found' },
  [-64303]: { kind: 'Device', text: 'the motor is busy' },
  [-64304]: { kind: 'Device', text: 'the pan/tilt limit was reached' },
  [-64305]: { kind: 'Device', text: 'cannot save a preset while moving' },
  [-64306]: { kind: 'Device', text: 'no free preset slot' },
  [-64321]: { kind: 'Input', text: 'preset was deleted' },
  [-64324]: { kind: 'Device', text: 'privacy mode is on; turn it off first' },
  [-64336]: { kind: 'Device', text: 'the motor cannot move into a private area' },
};

/**
 * Maps a device error code to a {@link TapoError}.
 *
 * @param family which device family answered
 * @param code the non-zero `error_code`
 * @param context what was being done, e.g. the method name
 * @param secondsLeft lockout seconds, when the reply carried `sec_left`
 */
export function errorFromCode(
  family: DeviceFamily,
  code: number,
  context?: string,
  reportedSeconds?: number,
): TapoError {
  // A lockout is never longer than the longest the field documents (and a non-number is no length).
  const secondsLeft =
    reportedSeconds !== undefined && Number.isFinite(reportedSeconds) && reportedSeconds >= 0
      ? Math.min(Math.ceil(reportedSeconds), MAX_LOCK_SECONDS)
      : undefined;
  const table = family === 'smart' ? SMART_CODES : CAMERA_CODES;
  const entry = table[code] ?? { kind: 'Device' as const, text: 'the device refused the request' };
  const where = context ? `${context}: ` : '';
  let hint = entry.hint;
  if (entry.kind === 'Locked') {
    hint =
      secondsLeft !== undefined
        ? `Wait ${secondsLeft} s, then check the password; do not retry before.`
        : 'Wait until the lock ends, then check the password.';
  }
  const details: TapoErrorDetails = { code };
  if (hint !== undefined) details.hint = hint;
  if (secondsLeft !== undefined) details.secondsLeft = secondsLeft;
  if (entry.suggest !== undefined) details.suggestedScheme = entry.suggest;
  return new TapoError(entry.kind, `${where}${entry.text} (error ${code})`, details);
}

/** The sentence telling a user about Third-Party Compatibility (KLAP handshake1 403, camera refusals). */
export const THIRD_PARTY_HINT =
  'Turn on Third-Party Compatibility in the Tapo app (Me > Tapo Lab > Third-Party Compatibility); after a firmware update, switch it off and on again.';
