/**
 * ONVIF events of one camera: the PullPoint loop of ../shared/protocol/events.md §2, with the
 * camera account (not the admin account) in a WS-Security digest on every request (§2.3,
 * onvif-soap.ts). Plain HTTP to port 2020, SOAP 1.2, `Connection: close` on every request (the
 * cameras have very few sockets, §2.2), ONE request at a time per camera, never two in parallel
 * (§2.9 item 5).
 *
 * 1. GetCapabilities (Category Events) on `http://<host>:<port>/onvif/device_service` → the events
 *    XAddr. It is never guessed (Tapo serves events at `/onvif/service`, others elsewhere, §2.2).
 * 2. CreatePullPointSubscription (`PT60S`) on the XAddr → the subscription address, used
 *    verbatim (its port may differ from 2020), and the granted lifetime
 *    (`TerminationTime − CurrentTime`, both on the camera's clock).
 * 3. SetSynchronizationPoint on the subscription, failures ignored: the camera re-sends the
 *    current state of every property as `Initialized` (§2.5 d).
 * 4. PullMessages (`Timeout` PT5S, below the 10 s after which a C220 fw 1.1.6 closes an idle
 *    pull, §2.8; `MessageLimit` 100; HTTP deadline = Timeout + 4 s), again at once after each
 *    answer. A pull the camera closes without an answer after holding it ≥ 1 s is an empty pull.
 * 5. Renew at 80 % of the granted lifetime (onvif-zeep-async's rule, §2.5 f), between two pulls;
 *    a pull never holds past that point.
 * 6. A fault or any reply other than a good one on the subscription ⇒ the subscription is gone:
 *    resubscribe (from step 2, the XAddr kept unless creating failed) after a back-off of 5 s
 *    that doubles up to 60 s while attempts keep failing and starts again at 5 s after a good
 *    pull. Network failures and timeouts keep the subscription while it may still live. Messages
 *    are delivered in the order of the replies, each once; step 3 reports, after a
 *    resubscription, the state of what changed in between.
 * 7. Refused account (HTTP 401, or a fault with `ter:NotAuthorized`): STOP, state `unauthorized`
 *    (kind Authentication). No retry: the camera account is the RTSP account, and guessing it
 *    again and again is what locks accounts out.
 * 8. No ONVIF events here (port refused before the camera ever answered, HTTP 404 on the device
 *    service, no Events XAddr, the operation not supported): STOP, state `unreachable` (kind
 *    Unsupported). Battery, solar and hub-paired cameras have no port 2020 (§2.1).
 * 9. `stop()` aborts the request in flight (a TCP reset), waits 200 ms (a C225 handles one
 *    connection at a time, §2.5 g), then Unsubscribes, best effort. `pause()` aborts and does NOT
 *    unsubscribe (some Tapo cameras drop every subscription on Unsubscribe, §2.5 g; privacy mode
 *    silences events anyway, §2.9 item 9); `resume()` renews the subscription if it may still
 *    live, else makes a new one, then synchronizes (step 3).
 *
 * One instance per camera: two instances on one camera would pull in parallel.
 *
 * Why hand-written and not the npm package `onvif` 0.8.3 (measured against this package's
 * simulator over 127.0.0.1, /tmp scripts, C101 profile):
 * - requests before the first event: 4 (GetSystemDateAndTime, GetServices,
 *   CreatePullPointSubscription, PullMessages); on a camera that lists a media service its
 *   connect() adds GetProfiles + GetVideoSources (read in lib/cam.js; the simulator lists none).
 *   Here: 4 as well (GetCapabilities, CreatePullPointSubscription, SetSynchronizationPoint,
 *   PullMessages), and a start-up state from step 3.
 * - events service only: not without connect(); without it the pull went to the path `events`
 *   and failed; it works only by filling the undocumented `cam.uri` table by hand.
 * - a Renew after EVERY pull: 11 Renew for 11 pulls in the 10-detections run (Tapo cameras suffer
 *   from renew storms, §2.9 item 6). PullMessages `Timeout` PT1M (above the C220's 10 s idle
 *   close), its 80 s socket timeout and the PT2M lifetime are written into the code; MessageLimit
 *   10 unless `cam.events.messageLimit` is set.
 * - idle close every 1 s for 130 s: 71 pulls closed, 0 Renew (it renews only after an answered
 *   pull), the subscription lapsed and a second one was created.
 * - port closed: 39 connection attempts in 5 s (retry after 10 ms × 1.111ⁿ, capped at 2 min).
 * - dropped subscriptions: recovered (PullMessages fault → Unsubscribe → Create), event once.
 * - wrong account: 3 requests then stop (GetSystemDateAndTime, GetServices 400, GetCapabilities 400:
 *   two refused logins per connect).
 * - stop: no AbortSignal and no way to abort the held pull; `unsubscribe()` went out while the
 *   PullMessages was still held — two requests in parallel, what §2.9 item 5 forbids. The only
 *   deadline is one socket timeout per Cam (default 120 s).
 * - install: 4 packages, 80 files, 4.0 MB (xml2js 3.4 MB of it); replies parsed after stripping
 *   `xmlns` with a regular expression, "1" turned into a number and dates into Date objects.
 * This module, onvif-soap.ts and xml.ts: no dependency beyond undici (already used, via http.ts).
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { TapoError, isTapoError } from './errors';
import { HttpClient, isNetworkFailure } from './http';
import {
  ONVIF_BODIES,
  describeFault,
  grantedLifetimeMs,
  isNotAuthorized,
  isNotSupported,
  readEventsXAddr,
  readPullMessages,
  readRenew,
  readSoapReply,
  readSubscription,
  securityHeader,
  soapEnvelope,
  xsdDateTime,
} from './onvif-soap';
import type { OnvifNotification, SoapReply } from './onvif-soap';
import { parseXml } from './xml';
import type { XmlElement } from './xml';

export type { OnvifNotification } from './onvif-soap';

/** The ONVIF port of Tapo cameras (events.md §2.1). */
export const ONVIF_PORT = 2020;

/** Timings and sizes of the loop (see the file comment). */
export const ONVIF_TIMINGS = {
  /** Lifetime asked for a subscription, s. */
  lifetimeSeconds: 60,
  /** Share of the granted lifetime after which it is renewed. */
  renewFraction: 0.8,
  /** PullMessages `Timeout`, s. */
  pullTimeoutSeconds: 5,
  /** Added to a pull's `Timeout` for its HTTP deadline, ms. */
  pullSlackMs: 4_000,
  /** PullMessages `MessageLimit`. */
  messageLimit: 100,
  /** Deadline of every other request, ms. */
  requestTimeoutMs: 8_000,
  /** First back-off after a failure, ms. */
  backoffMs: 5_000,
  /** Longest back-off, ms. */
  maxBackoffMs: 60_000,
  /** A pull closed by the camera without an answer after at least this long is an empty pull, ms. */
  minHeldMs: 1_000,
  /** Pause between aborting a request and sending Unsubscribe, ms. */
  unsubscribeDelayMs: 200,
  /** Deadline of the Unsubscribe of `stop()`, ms. */
  unsubscribeTimeoutMs: 3_000,
} as const;

/** Where and as whom. */
export interface OnvifEventsOptions {
  /** Camera IP address or host name (no port). */
  host: string;
  /** ONVIF port; default {@link ONVIF_PORT}. */
  port?: number;
  /** User name of the camera account (Tapo app: Advanced settings → Camera Account), not `admin`. */
  username: string;
  /** Password of the camera account (not the TP-Link account's). */
  password: string;
  /** Deadline of requests other than PullMessages, ms (default 8000). */
  requestTimeoutMs?: number;
}

/**
 * Where the loop is:
 * - `subscribing`: asking for the events service or a subscription;
 * - `live`: subscribed and pulling;
 * - `retrying`: a failure that may pass (`error`: Transport, Timeout or Device); the next attempt
 *   in `retryInSeconds`;
 * - `paused`: {@link OnvifEvents.pause} (the subscription is left to the camera);
 * - `stopped`: {@link OnvifEvents.stop}, or never started;
 * - `unauthorized`: the camera refused the camera account (`error` of kind Authentication); the
 *   loop has stopped and sends nothing more;
 * - `unreachable`: the camera has no usable ONVIF events service (`error` of kind Unsupported);
 *   the loop has stopped.
 */
export type OnvifState = 'subscribing' | 'live' | 'retrying' | 'paused' | 'stopped' | 'unauthorized' | 'unreachable';

/** A change of {@link OnvifState}. */
export interface OnvifStateReport {
  state: OnvifState;
  /** The failure behind `retrying`, `unauthorized` and `unreachable`. */
  error?: TapoError;
  /** `retrying`: seconds until the next attempt. */
  retryInSeconds?: number;
}

/** The events of {@link OnvifEvents}. */
export interface OnvifEventsEventMap {
  /** One message of a PullMessages reply, in order. */
  notification: [OnvifNotification];
  /** The loop's state changed (`retrying` is reported at every failure). */
  state: [OnvifStateReport];
}

interface Subscription {
  address: string;
  /** `Date.now()` at which to renew. */
  renewAt: number;
  /** `Date.now()` after which the camera has forgotten it. */
  expiresAt: number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The first `code` in an error's cause chain. */
function causeCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 6 && cur !== null && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function hostPort(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the camera';
  }
}

/** An http(s) URL from the camera, or a Device error. */
function checkAddress(address: string, operation: string): string {
  let ok = false;
  try {
    const url = new URL(address);
    ok = (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    ok = false;
  }
  if (!ok) throw new TapoError('Device', 'onvifBadAddress', { params: { operation, address: address.slice(0, 200) } });
  return address;
}

/**
 * The ONVIF PullPoint loop of one camera (see the file comment). Create it, listen to
 * `notification` and `state`, then {@link start}. Nothing is thrown to the caller: every
 * failure is a `state` report.
 */
export class OnvifEvents extends EventEmitter<OnvifEventsEventMap> {
  private readonly deviceService: string;
  private readonly requestTimeoutMs: number;
  private http: HttpClient | undefined;
  /** Aborts the current run (pause, stop); undefined while not running. */
  private controller: AbortController | undefined;
  /** The current (or last) run; the next one starts after it ended. */
  private loop: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private paused = false;
  private xaddr: string | undefined;
  private subscription: Subscription | undefined;
  private backoffMs: number = ONVIF_TIMINGS.backoffMs;
  /** The camera has answered since start(): a refused port is then a reboot, not a missing service. */
  private answered = false;
  /** A request is on the wire. */
  private inFlight = false;
  private current: OnvifStateReport = { state: 'stopped' };

  /** Creates the loop (not started). */
  constructor(private readonly options: OnvifEventsOptions) {
    super();
    const host = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
    this.deviceService = `http://${host}:${options.port ?? ONVIF_PORT}/onvif/device_service`;
    this.requestTimeoutMs = options.requestTimeoutMs ?? ONVIF_TIMINGS.requestTimeoutMs;
  }

  /** The last state reported. */
  get state(): OnvifStateReport {
    return this.current;
  }

  /** True while the loop runs (not paused, stopped, unauthorized or unreachable). */
  get running(): boolean {
    return this.controller !== undefined;
  }

  /** Starts the loop (resumes it when paused). Does nothing while it runs. */
  start(): void {
    if (this.controller !== undefined || this.stopping !== undefined) return;
    if (this.paused) {
      this.resume();
      return;
    }
    this.backoffMs = ONVIF_TIMINGS.backoffMs;
    this.answered = false;
    this.launch(false);
  }

  /**
   * Stops pulling WITHOUT unsubscribing (privacy mode, events.md §2.9 item 9): the request in
   * flight is aborted, the subscription is left to lapse on the camera. State `paused`.
   */
  pause(): void {
    const controller = this.controller;
    if (controller === undefined) return;
    this.controller = undefined;
    this.paused = true;
    controller.abort();
    this.report({ state: 'paused' });
  }

  /** Pulls again after {@link pause}: renews the subscription if it may still live, else subscribes anew. */
  resume(): void {
    if (!this.paused || this.stopping !== undefined) return;
    this.paused = false;
    this.launch(true);
  }

  /**
   * Stops: aborts the request in flight, then (after 200 ms, best effort, within 3 s) unsubscribes.
   * Resolves when nothing of this loop is left on the wire; state `stopped`. Safe to call twice;
   * {@link start} may be called again afterwards. With `unsubscribe: false` nothing more is sent
   * (the camera left that address: the subscription lapses there by itself).
   */
  stop(options: { unsubscribe?: boolean } = {}): Promise<void> {
    this.stopping ??= this.shutdown(options.unsubscribe !== false).finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async shutdown(unsubscribe: boolean): Promise<void> {
    const controller = this.controller;
    this.controller = undefined;
    this.paused = false;
    controller?.abort();
    const aborted = this.inFlight;
    await this.loop;
    const subscription = this.subscription;
    this.subscription = undefined;
    this.xaddr = undefined;
    const http = this.http;
    if (unsubscribe && subscription !== undefined && http !== undefined && Date.now() < subscription.expiresAt) {
      if (aborted) await sleep(ONVIF_TIMINGS.unsubscribeDelayMs);
      try {
        await this.call(subscription.address, 'Unsubscribe', ONVIF_BODIES.unsubscribe(), undefined, ONVIF_TIMINGS.unsubscribeTimeoutMs);
      } catch {
        // Best effort: an unsubscribed subscription lapses by itself within its lifetime (60 s).
      }
    }
    this.http = undefined;
    await http?.close();
    this.report({ state: 'stopped' });
  }

  private launch(resuming: boolean): void {
    const controller = new AbortController();
    this.controller = controller;
    this.http ??= new HttpClient({ timeoutMs: this.requestTimeoutMs, keepAliveMs: 1_000 });
    this.loop = this.loop.then(() => this.run(controller, resuming));
  }

  /** The loop of one run: ends when aborted or on a failure that stops it. Never rejects. */
  private async run(controller: AbortController, resuming: boolean): Promise<void> {
    const signal = controller.signal;
    let checkOnResume = resuming;
    while (!signal.aborted) {
      try {
        const subscription = this.subscription;
        if (subscription === undefined) {
          checkOnResume = false;
          await this.subscribe(signal);
        } else if (checkOnResume) {
          checkOnResume = false;
          await this.resumeSubscription(subscription, signal);
        } else if (Date.now() >= subscription.renewAt) {
          await this.renew(subscription, signal);
        } else {
          await this.pull(subscription, signal);
        }
      } catch (e) {
        if (signal.aborted) return;
        const stop = await this.failed(e, signal);
        if (stop) {
          if (this.controller === controller) this.controller = undefined;
          return;
        }
      }
    }
  }

  /** Steps 1-3. */
  private async subscribe(signal: AbortSignal): Promise<void> {
    this.report({ state: 'subscribing' });
    if (this.xaddr === undefined) {
      const capabilities = await this.call(this.deviceService, 'GetCapabilities', ONVIF_BODIES.getEventsCapabilities(), signal);
      const xaddr = readEventsXAddr(capabilities);
      if (xaddr === undefined) {
        if (capabilities?.local !== 'GetCapabilitiesResponse') throw this.garbled('GetCapabilities', capabilities);
        throw new TapoError('Unsupported', 'onvifNoEventsService', { params: { where: hostPort(this.deviceService) }, hint: 'onvifMissing' });
      }
      this.xaddr = checkAddress(xaddr, 'GetCapabilities');
    }
    const asked = ONVIF_TIMINGS.lifetimeSeconds;
    let created: ReturnType<typeof readSubscription>;
    try {
      const body = await this.call(this.xaddr, 'CreatePullPointSubscription', ONVIF_BODIES.createPullPointSubscription(asked), signal);
      created = readSubscription(body);
      if (created === undefined) throw this.garbled('CreatePullPointSubscription', body);
      checkAddress(created.address, 'CreatePullPointSubscription');
    } catch (e) {
      // Ask for the events service again next time: the XAddr may be what failed.
      this.xaddr = undefined;
      throw e;
    }
    this.subscription = this.timed(created.address, grantedLifetimeMs(created, asked * 1000));
    await this.synchronize(this.subscription, signal);
    this.report({ state: 'live' });
  }

  /** Step 3, failures ignored (an abort still ends the run). */
  private async synchronize(subscription: Subscription, signal: AbortSignal): Promise<void> {
    try {
      await this.call(subscription.address, 'SetSynchronizationPoint', ONVIF_BODIES.setSynchronizationPoint(), signal);
    } catch (e) {
      if (signal.aborted) throw e;
    }
  }

  /** Step 4. */
  private async pull(subscription: Subscription, signal: AbortSignal): Promise<void> {
    const untilRenew = Math.floor((subscription.renewAt - Date.now()) / 1000);
    const timeoutSeconds = Math.max(1, Math.min(ONVIF_TIMINGS.pullTimeoutSeconds, untilRenew));
    const sentAt = Date.now();
    let body: XmlElement | undefined;
    try {
      body = await this.call(
        subscription.address,
        'PullMessages',
        ONVIF_BODIES.pullMessages(timeoutSeconds, ONVIF_TIMINGS.messageLimit),
        signal,
        timeoutSeconds * 1000 + ONVIF_TIMINGS.pullSlackMs,
      );
    } catch (e) {
      // C220 fw 1.1.6 closes a held pull without an answer (events.md §2.8): nothing arrived.
      if (!signal.aborted && isTapoError(e, 'Transport') && e.reason === 'lostAfterSending' && isNetworkFailure(e) && Date.now() - sentAt >= ONVIF_TIMINGS.minHeldMs) {
        return;
      }
      throw e;
    }
    const messages = readPullMessages(body);
    if (messages === undefined) throw this.garbled('PullMessages', body);
    this.backoffMs = ONVIF_TIMINGS.backoffMs;
    if (this.current.state !== 'live') this.report({ state: 'live' });
    for (const message of messages) {
      if (signal.aborted) return;
      this.deliver('notification', message);
    }
  }

  /** Step 5. */
  private async renew(subscription: Subscription, signal: AbortSignal): Promise<void> {
    const asked = ONVIF_TIMINGS.lifetimeSeconds;
    const body = await this.call(subscription.address, 'Renew', ONVIF_BODIES.renew(asked), signal);
    const times = readRenew(body);
    if (times === undefined) throw this.garbled('Renew', body);
    if (this.subscription === subscription) this.subscription = this.timed(subscription.address, grantedLifetimeMs(times, asked * 1000));
  }

  /** After a pause: renew and synchronize the subscription if it may live, else drop it (a new one follows at once). */
  private async resumeSubscription(subscription: Subscription, signal: AbortSignal): Promise<void> {
    this.report({ state: 'subscribing' });
    if (Date.now() < subscription.expiresAt) {
      try {
        await this.renew(subscription, signal);
        await this.synchronize(this.subscription ?? subscription, signal);
        this.report({ state: 'live' });
        return;
      } catch (e) {
        if (signal.aborted || !isTapoError(e, 'Device')) throw e;
      }
    }
    // Lapsed while paused, or the camera forgot it: subscribe again without a back-off.
    this.subscription = undefined;
  }

  private timed(address: string, lifetimeMs: number): Subscription {
    const now = Date.now();
    return { address, renewAt: now + lifetimeMs * ONVIF_TIMINGS.renewFraction, expiresAt: now + lifetimeMs };
  }

  /** Steps 6-8: true when the loop must stop. */
  private async failed(e: unknown, signal: AbortSignal): Promise<boolean> {
    let error = isTapoError(e) ? e : new TapoError('Transport', 'unexpected', { params: { detail: String(e) }, cause: e });
    if (error.kind === 'Authentication') {
      this.subscription = undefined;
      this.report({ state: 'unauthorized', error });
      return true;
    }
    if (!this.answered && causeCode(error) === 'ECONNREFUSED') {
      error = new TapoError('Unsupported', 'onvifPortClosed', { params: { where: hostPort(this.deviceService) }, hint: 'onvifMissing', sent: false, cause: error });
    }
    if (error.kind === 'Unsupported') {
      this.subscription = undefined;
      this.report({ state: 'unreachable', error });
      return true;
    }
    // The camera answered, but not with a good reply: the subscription is gone (events.md §2.5).
    if (error.kind === 'Device') this.subscription = undefined;
    const waitMs = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, ONVIF_TIMINGS.maxBackoffMs);
    this.report({ state: 'retrying', error, retryInSeconds: waitMs / 1000 });
    await sleep(waitMs, signal);
    if (this.subscription !== undefined && Date.now() >= this.subscription.expiresAt) this.subscription = undefined;
    return signal.aborted;
  }

  /**
   * One SOAP request with a fresh UsernameToken. Returns the reply's body element; throws
   * Authentication (401, NotAuthorized), Unsupported (404 on the device service, not supported),
   * Device (other faults, statuses, garbled replies), or http.ts's Transport/Timeout errors.
   */
  private async call(url: string, operation: string, body: string, signal: AbortSignal | undefined, timeoutMs = this.requestTimeoutMs): Promise<XmlElement | undefined> {
    const http = this.http;
    if (http === undefined) throw new TapoError('Transport', 'clientClosed', { sent: false });
    const header = securityHeader(this.options.username, this.options.password, randomBytes(16), xsdDateTime(Date.now()));
    const request = { headers: { 'content-type': 'application/soap+xml; charset=utf-8', connection: 'close' }, body: soapEnvelope(header, body), timeoutMs };
    this.inFlight = true;
    let res;
    try {
      res = await http.request(url, signal === undefined ? request : { ...request, signal });
    } finally {
      this.inFlight = false;
    }
    this.answered = true;
    const where = hostPort(url);
    let reply: SoapReply | undefined;
    let unreadable = '';
    if (res.body.length > 0) {
      try {
        reply = readSoapReply(parseXml(res.body.toString('utf8')));
        if (reply === undefined) unreadable = 'not a SOAP envelope';
      } catch (e) {
        unreadable = isTapoError(e) ? e.message : String(e);
      }
    }
    const fault = reply?.fault;
    if (res.status === 401 || (fault !== undefined && isNotAuthorized(fault))) {
      throw new TapoError('Authentication', 'onvifNotAuthorized', { params: { operation, status: res.status }, httpStatus: res.status, hint: 'checkCameraAccount' });
    }
    if (fault !== undefined) {
      const details = { params: { operation, detail: describeFault(fault), where }, httpStatus: res.status };
      if (isNotSupported(fault)) throw new TapoError('Unsupported', 'onvifNotSupported', { ...details, hint: 'onvifMissing' });
      throw new TapoError('Device', 'onvifFault', details);
    }
    if (res.status === 404 && url === this.deviceService) {
      throw new TapoError('Unsupported', 'onvifNoDeviceService', { params: { where, status: res.status }, httpStatus: res.status, hint: 'onvifMissing' });
    }
    if (res.status !== 200) throw new TapoError('Device', 'onvifHttpStatus', { params: { operation, status: res.status, where }, httpStatus: res.status });
    if (reply === undefined) throw new TapoError('Device', 'onvifGarbledReply', { params: { operation, detail: unreadable || 'an empty body' }, httpStatus: res.status });
    return reply.body;
  }

  private garbled(operation: string, body: XmlElement | undefined): TapoError {
    return new TapoError('Device', 'onvifGarbledReply', { params: { operation, detail: body === undefined ? 'an empty SOAP body' : `an unexpected ${body.local}` } });
  }

  private report(report: OnvifStateReport): void {
    const same = report.state === this.current.state && report.state !== 'retrying';
    this.current = report;
    if (!same) this.deliver('state', report);
  }

  /**
   * Emits to the listeners. A listener that throws must not break the loop (nor be taken for a
   * camera failure): its exception is thrown again outside it, as Node does for a listener of an
   * I/O event.
   */
  private deliver<K extends keyof OnvifEventsEventMap>(event: K, ...args: OnvifEventsEventMap[K]): void {
    try {
      (this.emit as (event: K, ...args: OnvifEventsEventMap[K]) => boolean)(event, ...args);
    } catch (e) {
      process.nextTick(() => {
        throw e;
      });
    }
  }
}
