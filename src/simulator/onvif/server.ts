/**
 * The ONVIF server of a simulated camera: device and event services over plain HTTP, SOAP 1.2
 * (events.md §2, §6). One per camera, on its own port (2020 on a real camera), bound to the
 * camera's host.
 *
 * 1. `POST /onvif/device_service` and `POST /onvif/service` (the Tapo layout: every service at
 *    `/onvif/service`, §2.2) answer the device service (`GetCapabilities`, `GetServices`,
 *    `GetSystemDateAndTime`, `GetDeviceInformation`) and the event service
 *    (`GetEventProperties`, `CreatePullPointSubscription`).
 * 2. A subscription lives at `http://<host>:<port>/event-<n>_<port>` (the Tapo shape, §2.2; `n`
 *    counts subscriptions since the server was made and is never reused, so a stale address
 *    never reaches a newer subscription). `PullMessages`, `Renew`, `Unsubscribe` and
 *    `SetSynchronizationPoint` are answered there.
 * 3. Every request but `GetSystemDateAndTime` (which ONVIF lets anyone ask, so a client can
 *    measure the clock offset first) must carry a WS-Security UsernameToken whose digest matches
 *    the CAMERA ACCOUNT (wsse.ts). Otherwise: fault `SOAP-ENV:Sender` / `ter:NotAuthorized`
 *    ("Sender not Authorized"), with HTTP 400 — ONVIF's fault for an unauthorised sender, sent
 *    with the status the SOAP 1.2 HTTP binding gives a Sender fault; ONVIF servers reported in
 *    the wild answer a refused UsernameToken with 400 Bad Request (no Tapo capture says more).
 * 4. `PullMessages` answers at once when messages wait (at most `MessageLimit`, oldest first),
 *    otherwise holds the request until a message arrives or `Timeout` passes (then an empty
 *    reply). `Timeout` is capped at {@link MAX_PULL_TIMEOUT_MS}. A pull does not extend the
 *    subscription: clients renew (as both clients of §2.8 do).
 * 5. A subscription ends at its termination time on the device clock (`InitialTerminationTime`,
 *    relative `PT…S` or absolute, default 60 s; `Renew` sets a new one), on `Unsubscribe`, on a
 *    reboot, or when the `onvifDropSubscriptions` fault fires. Any request to an ended or unknown
 *    subscription, and a pull held on one when it ends, gets the fault `SOAP-ENV:Sender` /
 *    `ter:InvalidArgVal` ("subscription unknown or expired", HTTP 400; our choice, nothing about
 *    Tapo is known — clients treat any fault as "subscription gone", §2.5).
 * 6. `SetSynchronizationPoint` queues, for that subscription, the current value of every property
 *    with `PropertyOperation="Initialized"`.
 * 7. Malformed XML: `Sender` / `ter:WellFormed` (400); a SOAP 1.1 envelope: `VersionMismatch`
 *    (500); an operation not simulated: `Receiver` / `ter:ActionNotSupported` (500); a
 *    `GetCapabilities` category other than All, Device, Events: `Receiver` /
 *    `ter:ActionNotSupported` / `ter:NoSuchService` (500). Other paths answer 404, other methods 405.
 *
 * Faults (control.ts): `onvifDown` (port closed), `onvifDropSubscriptions` (one shot: every
 * subscription forgotten), `onvifInitializedFlood` (the C225 profile: while a detection lasts,
 * a batch of `Initialized` messages every `onvifFloodIntervalMs` instead of one `Changed`),
 * `onvifIdleClose` (the C220: a held pull's connection is closed `onvifIdleCloseMs` after it
 * arrived, without an answer), `onvifBrokenPullPoint` (subscriptions work, nothing is ever
 * delivered); the device faults `dropConnections`, `hang`, `delayMs` and `http500` apply too.
 *
 * Not simulated: media, PTZ, imaging and analytics services; subscription filters (every
 * subscription gets every event); the `ProducerReference` of a notification.
 */
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { ONVIF_DETECTION_TYPES } from '../detections';
import type { SimDetectionType } from '../detections';
import type { SimClock, SimFaults } from '../types';
import {
  NS,
  RESPONSE_ACTIONS,
  deviceCapabilities,
  deviceInformationBody,
  envelope,
  eventCapabilities,
  eventPropertiesBody,
  isoTime,
  notificationMessage,
  servicesBody,
  soapFault,
  systemDateAndTimeBody,
} from './soap';
import type { OnvifDeviceInformation, OnvifMessage, SoapFault } from './soap';
import { checkUsernameToken } from './wsse';
import { XmlError, childOf, childrenOf, parseXml, textOf } from './xml';
import type { XmlElement } from './xml';
import { bindListener } from '../listen';

/** Longest `PullMessages` hold, in ms (a longer `Timeout` is cut to it). */
export const MAX_PULL_TIMEOUT_MS = 3_600_000;
/** Lifetime of a subscription created without `InitialTerminationTime`, in ms. */
export const DEFAULT_SUBSCRIPTION_MS = 60_000;
/** `MessageLimit` when a pull gives none. */
export const DEFAULT_MESSAGE_LIMIT = 100;
/** Messages a subscription keeps for a client that does not pull (older ones are dropped). */
export const MAX_QUEUED_MESSAGES = 1000;
/** Largest request body read, in bytes. */
export const MAX_BODY_BYTES = 256 * 1024;

const CONTENT_TYPE = 'application/soap+xml; charset=utf-8';
const SUBSCRIPTION_PATH = /^\/event-\d+_\d+$/;

/** What the server reads from its camera. */
export interface OnvifTarget {
  readonly clock: SimClock;
  readonly faults: SimFaults;
  /** The account ONVIF requests must prove (camera.md §4). */
  readonly cameraAccount: { readonly username: string; readonly password: string };
  deviceInformation(): OnvifDeviceInformation;
  /** Minutes east of UTC (for `GetSystemDateAndTime`). */
  utcOffsetMinutes(): number;
  /** The current value of a detection's ONVIF property. */
  isDetecting(type: SimDetectionType): boolean;
}

/** What the server reports on each request it has answered or is holding (the `onvif` event). */
export interface OnvifRequestInfo {
  /** Local name of the body's first element, or '' when there was none. */
  operation: string;
  path: string;
  /** HTTP status sent, or `'held'` for a pull that waits. */
  status: number | 'held';
}

interface Waiter {
  /** Answers the held pull now (with what the queue holds, or the fault when the subscription ended). */
  wake(): void;
}

interface Subscription {
  id: number;
  path: string;
  terminationAt: number;
  queue: OnvifMessage[];
  waiters: Waiter[];
}

type Reply = { status: number; body: string } | SoapFault;

/** Parses an xsd:duration such as `PT60S`, `PT1M30.5S`, `P1DT2H`; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (m === null || text === 'P' || text.endsWith('T')) return undefined;
  const [, d, h, min, s] = m;
  const ms = (Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0)) * 1000;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** A termination time given as a duration from `now` or as an absolute xsd:dateTime; undefined when neither. */
export function parseTerminationTime(text: string, now: number): number | undefined {
  if (text.startsWith('P')) {
    const ms = parseDuration(text);
    return ms === undefined ? undefined : now + ms;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isFinite(at) ? at : undefined;
}

function ok(operation: string, body: string): Reply {
  return { status: 200, body: envelope(RESPONSE_ACTIONS[operation] ?? '', body) };
}

const notAuthorized = (): SoapFault => soapFault('Sender', ['ter:NotAuthorized'], 'Sender not Authorized');
const subscriptionGone = (): SoapFault => soapFault('Sender', ['ter:InvalidArgVal'], 'The subscription is unknown or has expired');
const invalidArg = (reason: string): SoapFault => soapFault('Sender', ['ter:InvalidArgVal'], reason);

/** The ONVIF server of one simulated camera (see the file comment). */
export class OnvifServer {
  /** Bound port (the requested one until the first listen; kept across reboots). */
  port: number;
  /** Bind address (changed by {@link moveTo}). */
  host: string;
  /** Subscriptions created since start. */
  subscriptionsCreated = 0;

  private listener: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly subscriptions = new Map<string, Subscription>();
  private floodTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** Creates the server (not listening yet). `onRequest` hears of every answered or held request. */
  constructor(
    private readonly target: OnvifTarget,
    options: { host: string; port: number },
    private readonly onRequest: (info: OnvifRequestInfo) => void = () => undefined,
  ) {
    this.host = options.host;
    this.port = options.port;
  }

  /** True while the port is open. */
  get listening(): boolean {
    return this.listener !== undefined;
  }

  /** Live subscriptions (expired ones are removed first). */
  subscriptionCount(): number {
    this.sweep();
    return this.subscriptions.size;
  }

  /** Opens the port (the same one after the first time). Rejects with the bind error. */
  async listen(): Promise<void> {
    if (this.listener !== undefined || this.stopped) return Promise.resolve();
    const listener = http.createServer((req, res) => this.handle(req, res));
    listener.on('connection', (socket: Socket) => {
      if (this.target.faults.onvifDown) {
        // Set from code without `applyFaults`: the port is open, but nothing answers on it.
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.port = await bindListener(listener, this.host, this.port);
    this.listener = listener;
    if (this.stopped) await this.closeListener();
  }

  /** Closes the port and every connection (held pulls included); subscriptions are kept. */
  closeListener(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (listener === undefined) return Promise.resolve();
    return new Promise((resolve) => listener.close(() => resolve()));
  }

  /**
   * The camera got a new address: closes the port (every connection, held pulls included) and,
   * if it was open, opens the same port on `host`. Subscriptions are kept, as across a reboot of
   * the port; a client that still pulls at the old address is refused there.
   */
  async moveTo(host: string): Promise<void> {
    if (host === this.host) return;
    const wasListening = this.listener !== undefined;
    await this.closeListener();
    this.host = host;
    if (wasListening) await this.listen();
  }

  /** Forgets every subscription (reboot, fault); pulls held on them get the fault. */
  dropSubscriptions(): void {
    const subs = [...this.subscriptions.values()];
    this.subscriptions.clear();
    for (const sub of subs) this.wakeAll(sub);
    this.stopFlood();
  }

  /**
   * A detection of `type` started (`active`) or ended: queues the edge to every live
   * subscription as one `Changed` message; with `onvifInitializedFlood`, a start queues a batch
   * of `Initialized` messages instead and keeps sending one every `onvifFloodIntervalMs` while a
   * detection lasts, and an end sends nothing. Nothing is queued with `onvifBrokenPullPoint`.
   * Returns how many subscriptions got messages.
   */
  notify(type: SimDetectionType, active: boolean): number {
    const faults = this.target.faults;
    if (faults.onvifInitializedFlood) {
      if (!active) return 0;
      this.startFlood();
      return this.queueToAll(() => this.initializedBatch());
    }
    const at = this.target.clock.now();
    return this.queueToAll(() => [{ type, value: active, operation: 'Changed', at }]);
  }

  /** Starts, stops or restarts what the faults drive: the flood timer, a pending drop of subscriptions. */
  applyFaults(): void {
    const faults = this.target.faults;
    if (faults.onvifDropSubscriptions) {
      faults.onvifDropSubscriptions = false;
      this.dropSubscriptions();
    }
    if (!faults.onvifInitializedFlood) this.stopFlood();
    else if (this.anyDetection()) {
      this.stopFlood();
      this.startFlood();
    }
  }

  /** Closes the port, ends every subscription and timer. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopFlood();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.subscriptions.clear();
    await this.closeListener();
  }

  // ---- events ----------------------------------------------------------------------------------

  private anyDetection(): boolean {
    return ONVIF_DETECTION_TYPES.some((t) => this.target.isDetecting(t));
  }

  /** The current value of every property, as `Initialized` messages. */
  private initializedBatch(): OnvifMessage[] {
    const at = this.target.clock.now();
    return ONVIF_DETECTION_TYPES.map((type) => ({ type, value: this.target.isDetecting(type), operation: 'Initialized', at }));
  }

  private queueToAll(make: () => OnvifMessage[]): number {
    this.sweep();
    if (this.target.faults.onvifBrokenPullPoint) return 0;
    let count = 0;
    for (const sub of this.subscriptions.values()) {
      this.queue(sub, make());
      count += 1;
    }
    return count;
  }

  private queue(sub: Subscription, messages: OnvifMessage[]): void {
    if (this.target.faults.onvifBrokenPullPoint || messages.length === 0) return;
    sub.queue.push(...messages);
    if (sub.queue.length > MAX_QUEUED_MESSAGES) sub.queue.splice(0, sub.queue.length - MAX_QUEUED_MESSAGES);
    while (sub.queue.length > 0 && sub.waiters.length > 0) sub.waiters.shift()!.wake();
  }

  private startFlood(): void {
    if (this.floodTimer !== undefined) return;
    const interval = Math.max(10, this.target.faults.onvifFloodIntervalMs);
    this.floodTimer = setInterval(() => {
      if (!this.target.faults.onvifInitializedFlood || !this.anyDetection()) {
        this.stopFlood();
        return;
      }
      this.queueToAll(() => this.initializedBatch());
    }, interval);
  }

  private stopFlood(): void {
    if (this.floodTimer !== undefined) clearInterval(this.floodTimer);
    this.floodTimer = undefined;
  }

  /** Removes subscriptions past their termination time; pulls held on them get the fault. */
  private sweep(): void {
    const now = this.target.clock.now();
    for (const [path, sub] of this.subscriptions) {
      if (now >= sub.terminationAt) {
        this.subscriptions.delete(path);
        this.wakeAll(sub);
      }
    }
  }

  private wakeAll(sub: Subscription): void {
    for (const waiter of sub.waiters.splice(0)) waiter.wake();
  }

  private live(path: string): Subscription | undefined {
    this.sweep();
    return this.subscriptions.get(path);
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  private timer(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private clearTimer(t: NodeJS.Timeout | undefined): void {
    if (t === undefined) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.socket.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => req.socket.destroy());
    req.on('end', () => {
      this.dispatch(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => {
        if (!res.headersSent && !res.destroyed) this.send(res, { status: 500, body: '' }, '', req.url ?? '');
      });
    });
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const faults = this.target.faults;
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? url;
    if (faults.onvifDown || faults.dropConnections) {
      req.socket.destroy();
      return;
    }
    // Never answered; the socket stays tracked, so stop() and a reboot release it.
    if (faults.hang) return;
    if (faults.delayMs > 0) {
      await new Promise<void>((resolve) => this.timer(faults.delayMs, resolve));
      if (res.destroyed || this.stopped) return;
    }
    if (faults.http500) {
      this.send(res, { status: 500, body: '' }, '', path);
      return;
    }
    // Set from code without `applyFaults`: acted on at the next request.
    if (faults.onvifDropSubscriptions) this.applyFaults();

    if (req.method !== 'POST') {
      this.send(res, { status: 405, body: '' }, '', path);
      return;
    }
    const isService = path === '/onvif/device_service' || path === '/onvif/service';
    if (!isService && !SUBSCRIPTION_PATH.test(path)) {
      this.send(res, { status: 404, body: '' }, '', path);
      return;
    }

    let root: XmlElement;
    try {
      root = parseXml(body);
    } catch (err) {
      const reason = err instanceof XmlError ? err.message : 'not XML';
      this.send(res, soapFault('Sender', ['ter:WellFormed'], `Not well-formed XML: ${reason}`), '', path);
      return;
    }
    if (root.local !== 'Envelope' || (root.ns !== NS.soap && root.ns !== 'http://schemas.xmlsoap.org/soap/envelope/')) {
      this.send(res, soapFault('Sender', ['ter:WellFormed'], 'Not a SOAP envelope'), '', path);
      return;
    }
    if (root.ns !== NS.soap) {
      this.send(res, soapFault('VersionMismatch', [], 'SOAP 1.2 is required'), '', path);
      return;
    }
    const request = childOf(root, 'Body', NS.soap)?.children[0];
    const operation = request?.local ?? '';
    if (request === undefined) {
      this.send(res, invalidArg('The SOAP body is empty'), operation, path);
      return;
    }
    if (operation !== 'GetSystemDateAndTime' && checkUsernameToken(childOf(root, 'Header', NS.soap), this.target.cameraAccount) !== 'ok') {
      this.send(res, notAuthorized(), operation, path);
      return;
    }

    if (isService) {
      this.send(res, this.service(request, req), operation, path);
      return;
    }
    const sub = this.live(path);
    if (sub === undefined) {
      this.send(res, subscriptionGone(), operation, path);
      return;
    }
    if (operation === 'PullMessages' && request.ns === NS.tev) {
      this.pull(sub, request, req, res);
      return;
    }
    this.send(res, this.subscriptionOperation(sub, request), operation, path);
  }

  private send(res: http.ServerResponse, reply: Reply, operation: string, path: string): void {
    if (res.destroyed) return;
    const body = Buffer.from(reply.body, 'utf8');
    const headers: Record<string, string> = { 'content-length': String(body.length) };
    if (body.length > 0) headers['content-type'] = CONTENT_TYPE;
    res.writeHead(reply.status, headers);
    res.end(body);
    this.onRequest({ operation, path, status: reply.status });
  }

  /** `http://<address>:<port>`: the host, or the address the request came in on when bound to a wildcard. */
  private origin(req: http.IncomingMessage): string {
    let host = this.host;
    if (host === '' || host === '0.0.0.0' || host === '::' || host === '::0') host = req.socket.localAddress ?? '127.0.0.1';
    if (host.startsWith('::ffff:')) host = host.slice('::ffff:'.length);
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  // ---- device and event services -----------------------------------------------------------------

  private service(request: XmlElement, req: http.IncomingMessage): Reply {
    const xaddr = `${this.origin(req)}/onvif/service`;
    const op = request.local;
    if (request.ns === NS.tds) {
      switch (op) {
        case 'GetCapabilities': {
          const categories = childrenOf(request, 'Category', NS.tds).map((c) => textOf(c) ?? '');
          const wanted = categories.length === 0 ? ['All'] : categories;
          const unknown = wanted.find((c) => c !== 'All' && c !== 'Device' && c !== 'Events');
          if (unknown !== undefined) {
            return soapFault('Receiver', ['ter:ActionNotSupported', 'ter:NoSuchService'], `No ${unknown} service on this device`);
          }
          const all = wanted.includes('All');
          const device = all || wanted.includes('Device') ? deviceCapabilities(xaddr) : '';
          const events = all || wanted.includes('Events') ? eventCapabilities(xaddr) : '';
          return ok(op, `<tds:GetCapabilitiesResponse><tds:Capabilities>${device}${events}</tds:Capabilities></tds:GetCapabilitiesResponse>`);
        }
        case 'GetServices':
          return ok(op, servicesBody(xaddr, textOf(childOf(request, 'IncludeCapability', NS.tds)) === 'true'));
        case 'GetSystemDateAndTime':
          return ok(op, systemDateAndTimeBody(this.target.clock.now(), this.target.utcOffsetMinutes()));
        case 'GetDeviceInformation':
          return ok(op, deviceInformationBody(this.target.deviceInformation()));
        default:
          break;
      }
    } else if (request.ns === NS.tev) {
      if (op === 'GetEventProperties') return ok(op, eventPropertiesBody());
      if (op === 'CreatePullPointSubscription') return this.subscribe(request, req);
    }
    return soapFault('Receiver', ['ter:ActionNotSupported'], `${op} is not supported`);
  }

  private subscribe(request: XmlElement, req: http.IncomingMessage): Reply {
    const now = this.target.clock.now();
    const asked = textOf(childOf(request, 'InitialTerminationTime', NS.tev));
    const terminationAt = asked === undefined || asked === '' ? now + DEFAULT_SUBSCRIPTION_MS : parseTerminationTime(asked, now);
    if (terminationAt === undefined || terminationAt <= now) return invalidArg('InitialTerminationTime must be a duration or a time in the future');
    const id = this.subscriptionsCreated;
    this.subscriptionsCreated += 1;
    const path = `/event-${id}_${this.port}`;
    this.subscriptions.set(path, { id, path, terminationAt, queue: [], waiters: [] });
    const address = `${this.origin(req)}${path}`;
    return ok(
      'CreatePullPointSubscription',
      '<tev:CreatePullPointSubscriptionResponse>' +
        `<tev:SubscriptionReference><wsa5:Address>${address}</wsa5:Address></tev:SubscriptionReference>` +
        `<wsnt:CurrentTime>${isoTime(now)}</wsnt:CurrentTime><wsnt:TerminationTime>${isoTime(terminationAt)}</wsnt:TerminationTime>` +
        '</tev:CreatePullPointSubscriptionResponse>',
    );
  }

  private subscriptionOperation(sub: Subscription, request: XmlElement): Reply {
    const op = request.local;
    const now = this.target.clock.now();
    if (op === 'SetSynchronizationPoint' && request.ns === NS.tev) {
      this.queue(sub, this.initializedBatch());
      return ok(op, '<tev:SetSynchronizationPointResponse/>');
    }
    if (op === 'Renew' && request.ns === NS.wsnt) {
      const asked = textOf(childOf(request, 'TerminationTime', NS.wsnt));
      const terminationAt = asked === undefined || asked === '' ? now + DEFAULT_SUBSCRIPTION_MS : parseTerminationTime(asked, now);
      if (terminationAt === undefined || terminationAt <= now) return invalidArg('TerminationTime must be a duration or a time in the future');
      sub.terminationAt = terminationAt;
      return ok(op, `<wsnt:RenewResponse><wsnt:TerminationTime>${isoTime(terminationAt)}</wsnt:TerminationTime><wsnt:CurrentTime>${isoTime(now)}</wsnt:CurrentTime></wsnt:RenewResponse>`);
    }
    if (op === 'Unsubscribe' && request.ns === NS.wsnt) {
      this.subscriptions.delete(sub.path);
      this.wakeAll(sub);
      return ok(op, '<wsnt:UnsubscribeResponse/>');
    }
    return soapFault('Receiver', ['ter:ActionNotSupported'], `${op} is not supported`);
  }

  private pullReply(sub: Subscription, limit: number, req: http.IncomingMessage): Reply {
    if (this.subscriptions.get(sub.path) !== sub || this.target.clock.now() >= sub.terminationAt) {
      this.sweep();
      return subscriptionGone();
    }
    const now = this.target.clock.now();
    const address = `${this.origin(req)}${sub.path}`;
    const messages = sub.queue.splice(0, limit).map((m) => notificationMessage(m, address)).join('');
    return ok(
      'PullMessages',
      `<tev:PullMessagesResponse><tev:CurrentTime>${isoTime(now)}</tev:CurrentTime>` +
        `<tev:TerminationTime>${isoTime(sub.terminationAt)}</tev:TerminationTime>${messages}</tev:PullMessagesResponse>`,
    );
  }

  private pull(sub: Subscription, request: XmlElement, req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = sub.path;
    const timeoutText = textOf(childOf(request, 'Timeout', NS.tev));
    const timeout = timeoutText === undefined || timeoutText === '' ? DEFAULT_SUBSCRIPTION_MS : parseDuration(timeoutText);
    if (timeout === undefined) {
      this.send(res, invalidArg('Timeout must be a duration such as PT5S'), 'PullMessages', path);
      return;
    }
    const limitText = textOf(childOf(request, 'MessageLimit', NS.tev));
    const limitNumber = limitText === undefined || limitText === '' ? DEFAULT_MESSAGE_LIMIT : Number(limitText);
    if (!Number.isInteger(limitNumber) || limitNumber < 1) {
      this.send(res, invalidArg('MessageLimit must be a whole number from 1'), 'PullMessages', path);
      return;
    }
    if (sub.queue.length > 0 || timeout === 0) {
      this.send(res, this.pullReply(sub, limitNumber, req), 'PullMessages', path);
      return;
    }

    let done = false;
    let holdTimer: NodeJS.Timeout | undefined;
    let idleTimer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      done = true;
      this.clearTimer(holdTimer);
      this.clearTimer(idleTimer);
      const i = sub.waiters.indexOf(waiter);
      if (i >= 0) sub.waiters.splice(i, 1);
    };
    const waiter: Waiter = {
      wake: () => {
        if (done) return;
        finish();
        this.send(res, this.pullReply(sub, limitNumber, req), 'PullMessages', path);
      },
    };
    sub.waiters.push(waiter);
    holdTimer = this.timer(Math.min(timeout, MAX_PULL_TIMEOUT_MS), () => waiter.wake());
    const faults = this.target.faults;
    if (faults.onvifIdleClose && faults.onvifIdleCloseMs < timeout) {
      // C220 fw 1.1.6 (agsh/onvif PR #314): the connection is closed with a FIN, no answer.
      idleTimer = this.timer(faults.onvifIdleCloseMs, () => {
        if (done) return;
        finish();
        req.socket.end();
      });
    }
    res.on('close', () => {
      if (!done) finish();
    });
    this.onRequest({ operation: 'PullMessages', path, status: 'held' });
  }
}
