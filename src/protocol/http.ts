/**
 * The only importer of undici: one keep-alive connection pool per device, per-request timeouts
 * with AbortSignal, and TLS options that accept what Tapo cameras present (self-signed,
 * RSA-1024 certificates, ECDHE-only or static-RSA cipher lists: ../shared/protocol/camera.md §1,
 * README "Node.js notes").
 *
 * Failures become {@link TapoError}s of kind `Transport` or `Timeout`; `sent: false` marks the
 * ones where the request certainly never reached the device (safe to send again). A request
 * counts as sent once undici has written it to a socket: an abort, a deadline or `close()`
 * after that point reports `sent: true`, because the device may already be acting on it.
 *
 * Some devices (P100s) close the TCP connection after every reply without saying
 * `Connection: close` (python-kasa: kasa/httpclient.py). A request that follows at once goes out
 * on the kept-alive socket the device is closing and fails before any answer. Nothing is resent
 * here (a device that acted and then dropped the connection looks the same), but from then on the
 * client opens a new connection per request (`Connection: close`), and {@link loginOnNewConnection}
 * lets a transport restart a login that such a socket cut short.
 */
import { constants as cryptoConstants } from 'node:crypto';
import { Agent, type Dispatcher } from 'undici';
import { TapoError, isTapoError } from './errors';

/** A response with the whole body read. */
export interface HttpResponse {
  /** HTTP status code. */
  status: number;
  /** Response headers, lower-case names; repeated headers joined by ", " except `set-cookie`. */
  headers: Record<string, string>;
  /** Every `Set-Cookie` header value. */
  setCookies: string[];
  /** The raw body. */
  body: Buffer;
}

/** Options for one request. */
export interface HttpRequestOptions {
  /** Defaults to POST. */
  method?: 'GET' | 'POST';
  /** Extra headers. `Content-Length` is always set by the client for bodies. */
  headers?: Record<string, string>;
  /** Request body. */
  body?: Buffer | string;
  /** Aborts the request (e.g. when the connection closes). */
  signal?: AbortSignal;
  /** Per-request timeout in ms (overrides the client default). */
  timeoutMs?: number;
}

/** Options for a client. */
export interface HttpClientOptions {
  /** Default per-request timeout in ms. */
  timeoutMs?: number;
  /** Keep idle sockets for this long (ms). */
  keepAliveMs?: number;
}

/** Errors of a kept-alive socket the device closed under a request. */
const STALE_SOCKET_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_DESTROYED',
  'UND_ERR_CLOSED',
]);

/** Reads a `Set-Cookie` list into a name → value map (attributes such as `TIMEOUT=` included as names). */
export function parseCookies(setCookies: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of setCookies) {
    for (const part of line.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim();
      const value = part.slice(eq + 1).trim();
      if (name) out[name] = value;
    }
  }
  return out;
}

/**
 * An HTTP(S) client for one device. Create one per transport instance and close it with
 * {@link HttpClient.close}, which aborts anything in flight and releases every socket.
 *
 * Requests go straight to undici's dispatcher with a small handler ({@link Exchange}) instead of
 * `undici.request()`: no response stream, no AbortController, no async iteration. Each request
 * holds one timer (its whole deadline) and, when the caller gave a signal, one abort listener.
 */
export class HttpClient {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly keepAliveMs: number;
  private closed = false;
  /** When the last answer arrived on a connection left open (`performance.now`), or undefined. */
  private keptAliveAt: number | undefined;
  private droppedSockets = 0;

  constructor(options: HttpClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.keepAliveMs = options.keepAliveMs ?? 4_000;
    this.agent = new Agent({
      keepAliveTimeout: this.keepAliveMs,
      keepAliveMaxTimeout: 30_000,
      // One socket per device: requests are serialized by the connection layer anyway, and plugs
      // (P100/P110) handle several parallel TCP connections badly; a second socket would only make
      // consecutive requests alternate between two keep-alive connections.
      connections: 1,
      pipelining: 1,
      connect: {
        rejectUnauthorized: false,
        // Cameras: RSA-1024 certificates, ECDHE-only or static-RSA suites, old renegotiation.
        ciphers: 'DEFAULT:@SECLEVEL=0',
        minVersion: 'TLSv1',
        secureOptions: cryptoConstants.SSL_OP_LEGACY_SERVER_CONNECT,
        timeout: this.timeoutMs,
      },
    });
  }

  /** True after {@link close}. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * How many requests failed because the device closed the kept-alive socket under them. Once
   * non-zero, every request goes out on a new connection.
   */
  get droppedKeptAliveSockets(): number {
    return this.droppedSockets;
  }

  /** Sends one request and reads the whole body. */
  request(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    if (this.closed) {
      return Promise.reject(new TapoError('Transport', 'clientClosed', { sent: false }));
    }
    return new Promise<HttpResponse>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.timeoutMs;
      const exchange = new Exchange(this, url, options.signal, resolve, reject);
      if (options.signal?.aborted) {
        exchange.fail(abortReason(options.signal));
        return;
      }
      let target: { origin: string; path: string };
      try {
        target = splitUrl(url);
      } catch (e) {
        exchange.fail(e);
        return;
      }
      // undici sets Content-Length itself for Buffer and string bodies (and 0 for an empty
      // POST), which is what the devices need (no chunked bodies, plug-passthrough.md §1).
      const dispatchOptions: Dispatcher.DispatchOptions = {
        origin: target.origin,
        path: target.path,
        method: options.method ?? 'POST',
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      };
      if (options.headers !== undefined) dispatchOptions.headers = options.headers;
      if (options.body !== undefined) dispatchOptions.body = options.body;
      if (this.droppedSockets > 0) dispatchOptions.reset = true;
      const keptAliveAt = this.keptAliveAt;
      this.keptAliveAt = undefined;
      // Only a request that may go out on the socket kept from the previous answer can meet it closed.
      exchange.start(timeoutMs, keptAliveAt !== undefined && performance.now() - keptAliveAt < this.keepAliveMs);
      this.agent.dispatch(dispatchOptions, exchange);
    });
  }

  /** @internal An answer arrived; `keptAlive` when the device left the connection open for the next request. */
  noteAnswer(keptAlive: boolean): void {
    this.keptAliveAt = keptAlive && this.droppedSockets === 0 ? performance.now() : undefined;
  }

  /** @internal The device closed the kept-alive socket under a request: use a new connection per request from now on. */
  noteDroppedSocket(): void {
    this.droppedSockets++;
  }

  /** Aborts in-flight requests and releases every socket. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.destroy().catch(() => undefined);
  }
}

/** The error a timed-out exchange hands to undici (and keeps as the cause). */
class RequestDeadlineError extends Error {
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * One request in flight: undici's dispatch handler, the deadline timer's argument and the
 * caller signal's listener (`handleEvent`), so a request allocates no closures of its own.
 * It settles exactly once; whatever undici reports after that is ignored.
 */
class Exchange implements Dispatcher.DispatchHandlers {
  private status = 0;
  private rawHeaders: Buffer[] | undefined;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private abortRequest: ((err?: Error) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;
  private timedOut = false;
  /** True once undici wrote the request to a socket (`onRequestSent`) or a response began. */
  private written = false;
  /** True once undici handed the request a connected socket (`onConnect`): writing may have begun. */
  private connected = false;
  /** Why we stopped the request ourselves, handed to undici once it connects. */
  private reason: Error | undefined;
  /** True when the request may go out on a socket kept open after the previous answer. */
  private onKeptAliveSocket = false;

  constructor(
    private readonly client: HttpClient,
    private readonly url: string,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (res: HttpResponse) => void,
    private readonly reject: (err: TapoError) => void,
  ) {}

  /** Arms the deadline and listens to the caller's signal. */
  start(timeoutMs: number, onKeptAliveSocket: boolean): void {
    this.onKeptAliveSocket = onKeptAliveSocket;
    this.timer = setTimeout(onDeadline, timeoutMs, this, timeoutMs);
    this.signal?.addEventListener('abort', this, { once: true });
  }

  /** The caller's signal fired. */
  handleEvent(): void {
    if (this.signal) this.stop(abortReason(this.signal));
  }

  /** The deadline passed. */
  expire(timeoutMs: number): void {
    this.timedOut = true;
    this.stop(new RequestDeadlineError(timeoutMs));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.connected = true;
    if (this.reason !== undefined) abort(this.reason);
    else this.abortRequest = abort;
  }

  /** undici wrote the whole request to the socket (synchronously after `onConnect` for our bodies). */
  onRequestSent(): void {
    this.written = true;
  }

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    this.written = true;
    // 1xx informational answers are followed by the real one.
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.rawHeaders = headers;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  onComplete(): void {
    if (this.settled) return;
    this.finish();
    const { headers, setCookies } = readHeaders(this.rawHeaders);
    this.client.noteAnswer(!/\bclose\b/i.test(headers['connection'] ?? ''));
    this.resolve({ status: this.status, headers, setCookies, body: Buffer.concat(this.chunks, this.size) });
  }

  onError(err: Error): void {
    if (this.onKeptAliveSocket && !this.settled && this.status === 0 && isStaleSocket(err)) this.client.noteDroppedSocket();
    this.fail(err);
  }

  /** Settles with the mapped error. */
  fail(err: unknown): void {
    if (this.settled) return;
    this.finish();
    this.reject(toTapoError(err, this.url, this.written, this.timedOut, this.signal?.aborted === true, this.client.isClosed, this.connected));
  }

  /** Stops the request on our side: settle now, and abort it in undici (now or once it connects). */
  private stop(reason: Error): void {
    if (this.settled) return;
    this.reason = reason;
    const abort = this.abortRequest;
    this.fail(reason);
    if (abort) abort(reason);
  }

  private finish(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this);
  }
}

function onDeadline(exchange: Exchange, timeoutMs: number): void {
  exchange.expire(timeoutMs);
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('the request was aborted');
}

/**
 * Lower-case header names; repeated headers joined by ", " except `set-cookie`, which is kept as
 * a list. Names are latin1 and values UTF-8, as undici's own header parsing reads them.
 */
function readHeaders(raw: Buffer[] | undefined): { headers: Record<string, string>; setCookies: string[] } {
  const headers: Record<string, string> = {};
  const setCookies: string[] = [];
  if (raw === undefined) return { headers, setCookies };
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const rawName = raw[i];
    const name = (typeof rawName === 'string' ? rawName : rawName?.toString('latin1') ?? '').toLowerCase();
    const value = bufferText(raw[i + 1]);
    if (name === 'set-cookie') {
      setCookies.push(value);
      continue;
    }
    const previous = headers[name];
    headers[name] = previous ? `${previous}, ${value}` : value;
  }
  return { headers, setCookies };
}

function bufferText(value: Buffer | string | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : value.toString('utf8');
}

/**
 * The session path `/stok=<stok>/ds` of cameras and TPAP devices (camera.md §2, tpap.md §8). The
 * token is one opaque path segment, so it is percent-encoded as encodeURIComponent does: a `/`,
 * `?`, `#`, `%` or `..` in it can neither end the segment nor be normalised into another path
 * (`/stok=../x/../y/ds` would otherwise reach the device as `/stok=../y/ds`). The characters tokens
 * are seen with (letters, digits, `( ) . ! * ~`) are left as they are, so real tokens go out
 * unmodified, as the devices want (a TPAP camera refuses a needlessly encoded token with -40421).
 */
export function stokPath(stok: string): string {
  return `/stok=${encodeURIComponent(stok)}/ds`;
}

/** Characters a URL parser leaves as they are in a path and query (no `'`, `\\`, `#`, spaces). */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;
const PLAIN_ORIGIN = /^https?:\/\/[A-Za-z0-9.\-:[\]]+$/;

/**
 * Splits a request URL into undici's origin and path. Our own URLs (`http://host:port/app?…`)
 * take a string split; anything a URL parser would rewrite (dot segments, characters it
 * percent-encodes, user info) goes through `new URL` as before.
 */
function splitUrl(url: string): { origin: string; path: string } {
  const schemeEnd = url.indexOf('://');
  const slash = schemeEnd === -1 ? -1 : url.indexOf('/', schemeEnd + 3);
  if (slash !== -1) {
    const origin = url.slice(0, slash);
    const path = url.slice(slash);
    if (PLAIN_ORIGIN.test(origin) && PLAIN_PATH.test(path) && !path.includes('/.') && !/%2e/i.test(path)) {
      return { origin, path };
    }
  }
  const parsed = new URL(url);
  return { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
}

/**
 * Maps an undici failure, or our own deadline or the caller's abort, to a TapoError. `written`
 * says whether the request reached a socket: our own deadline, the caller's abort and `close()`
 * report `sent: false` only when it had not. `connected` says whether undici had handed it a
 * socket at all: a failure before that (refused, TLS handshake failed) never sent anything.
 */
function toTapoError(
  e: unknown,
  url: string,
  written: boolean,
  timedOut: boolean,
  outerAborted: boolean,
  closed: boolean,
  connected = true,
): TapoError {
  if (e instanceof TapoError) return e;
  const code = errorCode(e);
  const where = safeOrigin(url);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TapoError('Timeout', 'noAnswerInTime', { params: { where }, sent: true, hint: 'checkPoweredOrTimeout', cause: e });
  }
  if (timedOut) {
    return new TapoError('Timeout', written ? 'noAnswerInTime' : 'notReachedInTime', {
      params: { where },
      sent: written,
      hint: 'checkPoweredOrTimeout',
      cause: e,
    });
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new TapoError('Timeout', 'noConnectInTime', { params: { where }, sent: false, hint: 'checkHostOnNetwork', cause: e });
  }
  if (outerAborted || closed) {
    return networkFailure(
      new TapoError('Transport', 'cancelledByClose', { sent: written, cause: e }),
    );
  }
  // Without a connected socket (refused, TLS handshake failed ...) undici never began to write it.
  const sent = written || (connected && !(code !== undefined && NOT_SENT_CODES.has(code)));
  const detail = code ?? (e instanceof Error ? e.message : String(e));
  if (sent) {
    // The device may have received the request and acted on it; only its answer is missing.
    return networkFailure(
      new TapoError('Transport', written ? 'lostAfterSending' : 'brokeWhileSending', {
        params: { where, detail },
        sent,
        hint: 'checkStateBeforeRepeat',
        cause: e,
      }),
    );
  }
  return networkFailure(
    new TapoError('Transport', 'cannotReach', { params: { where, detail }, sent, hint: 'checkHostPortOnNetwork', cause: e }),
  );
}

/** Transport errors that came from the network, not from an answer of the device. */
const networkFailures = new WeakSet<TapoError>();

function networkFailure(error: TapoError): TapoError {
  networkFailures.add(error);
  return error;
}

/**
 * True when `e` is a `Transport` error this client raised because the network failed (refused,
 * reset, cancelled), as opposed to one raised about something the device answered (an HTTP
 * status, a body that is not what the scheme expects). Timeouts are their own kind.
 */
export function isNetworkFailure(e: unknown): boolean {
  return e instanceof TapoError && networkFailures.has(e);
}

/** True for the errors of a socket the other side closed or reset. */
function isStaleSocket(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && STALE_SOCKET_CODES.has(code)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs a transport's login and, when it failed because the device closed a kept-alive socket
 * under one of its steps, runs it once more (now on new connections). A login is always safe to
 * restart: every attempt uses fresh seeds, keys or nonces, so nothing is replayed.
 */
export async function loginOnNewConnection(http: HttpClient, login: () => Promise<void>): Promise<void> {
  const dropped = http.droppedKeptAliveSockets;
  try {
    await login();
  } catch (e) {
    if (http.droppedKeptAliveSockets === dropped || !isTapoError(e, 'Transport')) throw e;
    await login();
  }
}

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    const inner = (cur as { cause?: unknown }).cause;
    if (inner === undefined && typeof code === 'string') return code;
    cur = inner;
  }
  return undefined;
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the device';
  }
}
