/**
 * Clocks for the simulator. Device logic never reads `Date.now()` directly: it asks a `SimClock`,
 * so tests drive countdowns, energy counters and session expiry by moving a manual clock instead
 * of sleeping.
 */
import type { SimClock } from '../types';

/** The real wall clock. */
export const systemClock: SimClock = {
  now: () => Date.now(),
};

/** Default start of a `ManualClock`: 2024-01-20 09:00:00 UTC (a Saturday, mid-month). */
export const MANUAL_CLOCK_DEFAULT_START = Date.UTC(2024, 0, 20, 9, 0, 0);

/** A clock that moves only when told to. */
export class ManualClock implements SimClock {
  private current: number;

  /** Starts at `startMs` (ms since the epoch). */
  constructor(startMs: number = MANUAL_CLOCK_DEFAULT_START) {
    if (!Number.isFinite(startMs)) throw new RangeError('ManualClock start must be a finite number of ms');
    this.current = startMs;
  }

  /** Current time in ms since the epoch. */
  now(): number {
    return this.current;
  }

  /** Moves the clock forward by `ms` (must not be negative). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('ManualClock.advance needs a non-negative number of ms');
    this.current += ms;
  }

  /** Jumps to an absolute time (ms since the epoch); may go backwards, as a real clock may after NTP. */
  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError('ManualClock.set needs a finite number of ms');
    this.current = ms;
  }
}
