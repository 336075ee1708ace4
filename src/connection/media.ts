/**
 * The media lane of one camera: at most ONE stream open at a time (a camera serves two, media.md
 * §2.2, and the Tapo app or an NVR may hold the other), whatever asks for it.
 *
 * Requests for the same thing that arrive while nothing has started share one result (five
 * snapshots asked for at once are one stream and one frame); a request that arrives while a
 * stream is open waits for the next one, so its picture is never older than the request. Each
 * request keeps its own deadline, counted from its arrival: waiting in the lane counts. The work
 * is aborted when every request it serves has given up, so a stalled stream never outlives the
 * last one waiting for it.
 */
import { TapoError } from '../protocol/errors';

/** The work of one turn: runs with a signal and a time budget. */
export type LaneWork<T> = (signal: AbortSignal, timeoutMs: number) => Promise<T>;

/** Options of {@link MediaLane.request}. */
export interface LaneRequestOptions {
  /** Deadline in ms counted from the call. */
  timeoutMs: number;
  signal?: AbortSignal;
}

interface Member<T> {
  deadline: number;
  settled: boolean;
  resolve(value: T): void;
  reject(error: unknown): void;
  cleanup(): void;
}

interface Batch<T> {
  key: string;
  work: LaneWork<T>;
  members: Member<T>[];
  started: boolean;
  controller: AbortController;
}

/** Copies a shared result for every member after the first (a Buffer one flow changes must not change another's). */
export type Share<T> = (value: T, first: boolean) => T;

/** One camera's media lane. */
export class MediaLane<T> {
  private readonly queue: Batch<T>[] = [];
  private running = false;
  private scheduled = false;
  private current: Batch<T> | undefined;
  /** Turns started so far (streams opened): for tests and benchmarks. */
  turns = 0;

  constructor(
    private readonly share: Share<T> = (value) => value,
    private readonly now: () => number = Date.now,
  ) {}

  /** Requests `key`; joins a request for the same key that has not started, else queues a new turn running `work`. */
  request(key: string, work: LaneWork<T>, options: LaneRequestOptions): Promise<T> {
    if (options.signal?.aborted) return Promise.reject(new TapoError('Timeout', 'requestAborted', { sent: false }));
    let batch = this.queue.find((b) => !b.started && b.key === key);
    if (batch === undefined) {
      batch = { key, work, members: [], started: false, controller: new AbortController() };
      this.queue.push(batch);
    }
    const joined = batch;
    const promise = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => give(new TapoError('Timeout', 'mediaTimedOut', { params: { ms: options.timeoutMs }, hint: 'checkPoweredOrTimeout', sent: joined.started })), options.timeoutMs);
      const onAbort = (): void => give(new TapoError('Timeout', 'requestAborted', { sent: joined.started }));
      const member: Member<T> = {
        deadline: this.now() + options.timeoutMs,
        settled: false,
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
        },
      };
      const give = (error: TapoError): void => {
        if (member.settled) return;
        member.settled = true;
        member.cleanup();
        reject(error);
        // Nobody left waiting for this turn: stop its stream (or drop it before it starts).
        if (joined.members.every((m) => m.settled)) joined.controller.abort();
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      joined.members.push(member);
    });
    this.schedule();
    return promise;
  }

  /** Starts the next turn on a later tick, so requests made together join it. */
  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.next();
    });
  }

  private async next(): Promise<void> {
    if (this.running) return;
    const batch = this.queue.shift();
    if (batch === undefined) return;
    const live = batch.members.filter((m) => !m.settled);
    if (live.length === 0) {
      this.schedule();
      return;
    }
    this.running = true;
    this.current = batch;
    batch.started = true;
    this.turns++;
    const budget = Math.max(1, Math.max(...live.map((m) => m.deadline)) - this.now());
    try {
      const value = await batch.work(batch.controller.signal, budget);
      let first = true;
      for (const m of batch.members) {
        if (m.settled) continue;
        m.settled = true;
        m.cleanup();
        m.resolve(this.share(value, first));
        first = false;
      }
    } catch (e) {
      for (const m of batch.members) {
        if (m.settled) continue;
        m.settled = true;
        m.cleanup();
        m.reject(e);
      }
    } finally {
      this.running = false;
      this.current = undefined;
      if (this.queue.length > 0) this.schedule();
    }
  }

  /** Rejects everything queued and aborts the turn in progress. */
  close(error: TapoError): void {
    const batches = this.queue.splice(0);
    if (this.current !== undefined) batches.push(this.current);
    for (const batch of batches) {
      for (const m of batch.members) {
        if (m.settled) continue;
        m.settled = true;
        m.cleanup();
        m.reject(error);
      }
    }
    this.current?.controller.abort();
  }
}
