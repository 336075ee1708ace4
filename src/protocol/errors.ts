/**
 * One table from device error codes and HTTP statuses to error kinds (../shared/protocol/errors.md).
 *
 * Every layer throws {@link TapoError}; nodes and the CLI read `kind` (and `code`, `secondsLeft`)
 * and never parse messages. The `hint` is the one sentence a user needs to fix the problem.
 */

import { english, renderReason } from './reasons';
import type { HintKey, ReasonKey, ReasonParams, ReasonParts } from './reasons';
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
  /** Values for the placeholders of the reason and the hint. */
  params?: Record<string, string | number>;
  /** What the user should do: a key of the hints table. */
  hint?: HintKey;
  /** What was being done (a method name, a login step), put in front of the reason's text. */
  context?: string;
  /** A second reason, said after the first in parentheses (same parameters). */
  also?: ReasonKey;
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

/**
 * The one error class of this package: a kind (what a caller can do about it), a reason key and
 * its parameters (what happened, for any language), and facts (code, seconds left, sent …).
 * `message` and `hint` are the English texts of the reason and the hint (src/protocol/reasons);
 * the nodes make their own text from the same keys through their locale catalogs.
 */
export class TapoError extends Error {
  /** What kind of failure this is. */
  readonly kind: ErrorKind;
  /** What happened: a key of the reasons table. */
  readonly reason: ReasonKey;
  /** Values for the placeholders of the reason and the hint. */
  readonly params: ReasonParams;
  /** What to do: a key of the hints table. */
  readonly hintKey?: HintKey;
  /** What was being done, put in front of the reason's text. */
  readonly context?: string;
  /** A second reason, said after the first. */
  readonly also?: ReasonKey;
  /** Device error code, when the device gave one. */
  readonly code?: number;
  /** HTTP status, when the failure was an HTTP status. */
  readonly httpStatus?: number;
  /** Seconds until a lockout ends. */
  readonly secondsLeft?: number;
  /** Whether the request may have reached the device (defaults to true: assume it did). */
  readonly sent: boolean;
  /** The scheme the device asked for instead, when it said so. */
  readonly suggestedScheme?: SchemeName;
  /** True when the failure is about the login scheme rather than a method or feature. */
  readonly aboutScheme?: boolean;

  constructor(kind: ErrorKind, reason: ReasonKey, details: TapoErrorDetails = {}) {
    const params: ReasonParams = { ...(details.code !== undefined ? { code: details.code } : {}), ...(details.params ?? {}) };
    const parts: ReasonParts = {
      reason,
      params,
      ...(details.context !== undefined ? { context: details.context } : {}),
      ...(details.also !== undefined ? { also: details.also } : {}),
    };
    super(renderReason(parts, english), details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'TapoError';
    this.kind = kind;
    this.reason = reason;
    this.params = params;
    if (details.context !== undefined) this.context = details.context;
    if (details.also !== undefined) this.also = details.also;
    if (details.hint !== undefined) this.hintKey = details.hint;
    if (details.code !== undefined) this.code = details.code;
    if (details.httpStatus !== undefined) this.httpStatus = details.httpStatus;
    if (details.secondsLeft !== undefined) this.secondsLeft = details.secondsLeft;
    this.sent = details.sent ?? true;
    if (details.suggestedScheme !== undefined) this.suggestedScheme = details.suggestedScheme;
    if (details.aboutScheme || details.suggestedScheme !== undefined) this.aboutScheme = true;
  }

  /** What the user should do, in English (the hint's text), when there is a hint. */
  get hint(): string | undefined {
    return this.hintKey === undefined ? undefined : english('hints', this.hintKey, this.params);
  }

  /** The details that rebuild this error (to derive another error from it). */
  details(): TapoErrorDetails {
    const d: TapoErrorDetails = { params: { ...this.params }, sent: this.sent };
    if (this.hintKey !== undefined) d.hint = this.hintKey;
    if (this.context !== undefined) d.context = this.context;
    if (this.also !== undefined) d.also = this.also;
    if (this.code !== undefined) d.code = this.code;
    if (this.httpStatus !== undefined) d.httpStatus = this.httpStatus;
    if (this.secondsLeft !== undefined) d.secondsLeft = this.secondsLeft;
    if (this.suggestedScheme !== undefined) d.suggestedScheme = this.suggestedScheme;
    if (this.aboutScheme) d.aboutScheme = true;
    return d;
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
  reason: ReasonKey;
  hint?: HintKey;
  /** The scheme this answer asks the client to use instead. */
  suggest?: SchemeName;
}

/** SMART (plug, strip, bulb, hub) codes: transport level and method level. */
const SMART_CODES: Record<number, CodeEntry> = {
  9999: { kind: 'SessionExpired', reason: 'codeSessionTimedOut' },
  1002: { kind: 'Transport', reason: 'codeTransportUnavailable' },
  1003: { kind: 'Unsupported', reason: 'codeUseKlap', hint: 'useSchemeKlap', suggest: 'klap' },
  1100: { kind: 'Authentication', reason: 'codeHandshakeFailed', hint: 'checkCredentials' },
  1111: { kind: 'Authentication', reason: 'codeLoginFailed', hint: 'checkCredentials' },
  1112: { kind: 'Transport', reason: 'codeHttpTransportFailed' },
  1200: { kind: 'Device', reason: 'codeBatchFailed' },
  [-1]: { kind: 'Device', reason: 'codeGenericFailure' },
  [-1001]: { kind: 'Device', reason: 'codeUnspecified' },
  [-1002]: { kind: 'Unsupported', reason: 'codeUnknownMethod' },
  [-1003]: { kind: 'Device', reason: 'codeCannotParse' },
  [-1005]: { kind: 'SessionExpired', reason: 'codeCannotDecrypt' },
  [-1006]: { kind: 'Input', reason: 'codeRequestTooLong' },
  [-1008]: { kind: 'Input', reason: 'codeBadParams' },
  [-1010]: { kind: 'Transport', reason: 'codeBadHandshakeKey' },
  [-1012]: { kind: 'Input', reason: 'codeBadTerminalUuid' },
  [-1101]: { kind: 'SessionExpired', reason: 'codeSessionParams' },
  [-1301]: { kind: 'RateLimited', reason: 'codeBusy', hint: 'slowDown' },
  [-1501]: { kind: 'Authentication', reason: 'codeWrongEmailOrPassword', hint: 'checkCredentials' },
  [-1801]: { kind: 'Device', reason: 'codeScheduleError' },
  [-1802]: { kind: 'Device', reason: 'codeScheduleFull', hint: 'scheduleFull' },
  [-1803]: { kind: 'Device', reason: 'codeScheduleConflict' },
  [-1804]: { kind: 'Device', reason: 'codeScheduleNotSaved' },
  [-1805]: { kind: 'Input', reason: 'codeScheduleIndex', hint: 'scheduleIds' },
  [-1901]: { kind: 'Device', reason: 'codeCountdownError' },
  [-1902]: { kind: 'Device', reason: 'codeCountdownSet' },
  [-1903]: { kind: 'Device', reason: 'codeCountdownNotSaved' },
  [-2203]: { kind: 'SessionExpired', reason: 'codeSessionExpired' },
};

/** Camera (SMARTCAM) codes. */
const CAMERA_CODES: Record<number, CodeEntry> = {
  // Only with msg "Check tapo tag failed" does -1 mean a rejected signature (errors.md §3); the
  // secure transport recognises that reply itself. Anywhere else it is the camera's generic failure.
  [-1]: { kind: 'Device', reason: 'codeCameraGenericFailure' },
  [-40101]: { kind: 'Input', reason: 'codeNoSuchSetting' },
  [-40105]: { kind: 'Unsupported', reason: 'codeCameraUnknownMethod', hint: 'cameraFeatureMissing' },
  [-40106]: { kind: 'Unsupported', reason: 'codeCameraUnsupportedMethod', hint: 'cameraFeatureMissing' },
  40108: { kind: 'Timeout', reason: 'codeCameraTimedOut' },
  [-40109]: { kind: 'RateLimited', reason: 'codeRepeatedTooFast', hint: 'slowDown' },
  [-40209]: { kind: 'Input', reason: 'codeInvalidArguments' },
  [-40210]: { kind: 'Unsupported', reason: 'codeUnknownMethodInBatch', hint: 'cameraFeatureMissing' },
  [-40211]: { kind: 'Unsupported', reason: 'codeTpapOnly', hint: 'useSchemeTpap', suggest: 'tpap' },
  [-40401]: { kind: 'SessionExpired', reason: 'codeCameraSessionExpired' },
  [-40404]: { kind: 'Locked', reason: 'codeLockedOut' },
  [-40405]: { kind: 'Device', reason: 'codeFactoryState' },
  [-40406]: { kind: 'SessionExpired', reason: 'codeSessionLimit' },
  [-40408]: { kind: 'Locked', reason: 'codeBlocked' },
  [-40409]: { kind: 'SessionExpired', reason: 'codeNonceExpired' },
  [-40411]: { kind: 'Authentication', reason: 'codeUnknownUser', hint: 'useAdmin' },
  [-40412]: { kind: 'Authentication', reason: 'codeCameraLoginFailed', hint: 'checkCredentials' },
  [-40413]: { kind: 'Authentication', reason: 'codeWrongPassword', hint: 'checkCredentials' },
  [-40414]: { kind: 'Authentication', reason: 'codeNeedsLocalPassword', hint: 'checkCredentials' },
  [-40418]: { kind: 'Authentication', reason: 'codeTpapAuthFailed', hint: 'checkCredentials' },
  [-40420]: { kind: 'SessionExpired', reason: 'codeTpapSignature' },
  [-40421]: { kind: 'SessionExpired', reason: 'codeTokenRejected' },
  [-52405]: { kind: 'RateLimited', reason: 'codeTooManyRequests', hint: 'slowDown' },
  [-52407]: { kind: 'RateLimited', reason: 'codeTooManyClients', hint: 'slowDown' },
  [-52419]: { kind: 'RateLimited', reason: 'codeTooManyHttpsClients', hint: 'slowDown' },
  [-52409]: { kind: 'Device', reason: 'codeNoSdCard' },
  [-52422]: { kind: 'Device', reason: 'codeSdCardUnusable' },
  [-64302]: { kind: 'Input', reason: 'codePresetNotFound' },
  [-64303]: { kind: 'Device', reason: 'codeMotorBusy' },
  [-64304]: { kind: 'Device', reason: 'codePanTiltLimit' },
  [-64305]: { kind: 'Device', reason: 'codeSaveWhileMoving' },
  [-64306]: { kind: 'Device', reason: 'codeNoPresetSlot' },
  [-64321]: { kind: 'Input', reason: 'codePresetDeleted' },
  [-64324]: { kind: 'Device', reason: 'codePrivacyModeOn' },
  [-64336]: { kind: 'Device', reason: 'codePrivateArea' },
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
  const entry = table[code] ?? { kind: 'Device' as const, reason: 'codeRefused' as const };
  let hint = entry.hint;
  const params: Record<string, number> = {};
  if (entry.kind === 'Locked') {
    hint = secondsLeft !== undefined ? 'waitSeconds' : 'waitForLock';
    if (secondsLeft !== undefined) params.seconds = secondsLeft;
  }
  const details: TapoErrorDetails = { code, params };
  if (context) details.context = context;
  if (hint !== undefined) details.hint = hint;
  if (secondsLeft !== undefined) details.secondsLeft = secondsLeft;
  if (entry.suggest !== undefined) details.suggestedScheme = entry.suggest;
  return new TapoError(entry.kind, entry.reason, details);
}

/** The sentence telling a user about Third-Party Compatibility (KLAP handshake1 403, camera refusals), in English. */
export const THIRD_PARTY_HINT = english('hints', 'thirdParty', {});
