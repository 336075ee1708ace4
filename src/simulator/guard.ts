/**
 * Failed-login counter and lockout of a simulated device (camera.md §10, errors.md -40404).
 *
 * Cameras lock every login out after a few failures and answer step 1 with
 * `{"error_code":-40401,"data":{"code":-40404,"sec_left":N}}` until the lock runs out; SMART
 * devices on TPAP throttle logins the same way for 30 s (tpap.md §9). The guard keeps that state
 * on the device's injected clock, so tests move time instead of sleeping.
 */
import type { LoginGuard, SimClock } from './types';

/** Settings of a {@link SimLoginGuard}. */
export interface LoginGuardOptions {
  /** The device clock (ms since the epoch). */
  clock: SimClock;
  /** Failures that start a lockout (default 5). */
  threshold?: number;
  /** Length of a lockout in seconds (default 1800, a camera's; SMART devices use 30, see device.ts). */
  lockoutSeconds?: number;
}

/** Counts failed logins and locks the device for `lockoutSeconds` after `threshold` of them. */
export class SimLoginGuard implements LoginGuard {
  /** Failures that start a lockout. */
  readonly threshold: number;
  /** Length of a lockout in seconds. */
  readonly lockoutSeconds: number;
  private readonly clock: SimClock;
  private count = 0;
  private lockedUntil = 0;

  /** Creates a guard with no failures recorded. */
  constructor(options: LoginGuardOptions) {
    this.clock = options.clock;
    this.threshold = Math.max(1, Math.floor(options.threshold ?? 5));
    this.lockoutSeconds = Math.max(0, options.lockoutSeconds ?? 1800);
  }

  /** Failed attempts since the last success or the end of the last lockout. */
  get failures(): number {
    this.expireLock();
    return this.count;
  }

  /** Attempts left before the lockout starts (the `time` field cameras send with a failure). */
  attemptsLeft(): number {
    return Math.max(0, this.threshold - this.failures);
  }

  /** Whole seconds the device stays locked (rounded up), 0 when not locked. */
  lockedSecondsLeft(): number {
    this.expireLock();
    const left = this.lockedUntil - this.clock.now();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /** Records one failed login; the `threshold`-th failure starts the lockout. */
  recordFailure(): void {
    this.expireLock();
    this.count += 1;
    if (this.count >= this.threshold && this.lockedUntil === 0) {
      this.lockedUntil = this.clock.now() + this.lockoutSeconds * 1000;
    }
  }

  /** Records a successful login: the failure count starts again from zero. */
  recordSuccess(): void {
    this.count = 0;
    this.lockedUntil = 0;
  }

  /** Forgets every failure and any lockout (device reboot does not do this; tests may). */
  reset(): void {
    this.recordSuccess();
  }

  /** A lock that has run out clears the failure count, as the camera's counter window does. */
  private expireLock(): void {
    if (this.lockedUntil !== 0 && this.clock.now() >= this.lockedUntil) {
      this.lockedUntil = 0;
      this.count = 0;
    }
  }
}
