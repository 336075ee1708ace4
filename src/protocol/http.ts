/**
 * The only importer of undici: one keep-alive connection pool per device, per-request timeouts
 * with AbortSignal, and TLS options that accept what Tapo cameras present (self-signed,
 * RSA-1024 certificates, ECDHE-only or static-RSA cipher lists: ../shared/protocol/camera.md §1,
 * README "Node.js notes").
 *
 * Failures become {@link TapoError}s of kind `Transport` or `Timeout`; `sent: false` marks the
 * ones where the request certainly never reached the device (safe to send again).
 */
import { constants as cryptoConstants } from 'node:crypto';
import { Agent, request as undiciRequest } from 'undici';
import { TapoError } from './errors';

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
 */
export class HttpClient {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(options: HttpClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.agent = new Agent({
      keepAliveTimeout: options.keepAliveMs ?? 4_000,
      keepAliveMaxTimeout: 30_000,
      connections: 2,
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

  /** Sends one request and reads the whole body. */
  async request(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    if (this.closed) {
      throw new TapoError('Transport', 'the connection is closed', { sent: false });
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onOuterAbort = (): void => controller.abort();
    if (options.signal) {
      if (options.signal.aborted) controller.abort();
      else options.signal.addEventListener('abort', onOuterAbort, { once: true });
    }
    const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (body !== undefined) headers['content-length'] = String(body.length);
    try {
      const res = await undiciRequest(url, {
        method: options.method ?? 'POST',
        headers,
        body,
        dispatcher: this.agent,
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const chunks: Buffer[] = [];
      for await (const chunk of res.body) chunks.push(Buffer.from(chunk as Uint8Array));
      const outHeaders: Record<string, string> = {};
      let setCookies: string[] = [];
      for (const [name, value] of Object.entries(res.headers)) {
        if (value === undefined) continue;
        const lower = name.toLowerCase();
        if (lower === 'set-cookie') setCookies = Array.isArray(value) ? value : [value];
        else outHeaders[lower] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: res.statusCode, headers: outHeaders, setCookies, body: Buffer.concat(chunks) };
    } catch (e) {
      throw this.toTapoError(e, url, timedOut, options.signal?.aborted === true);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  private toTapoError(e: unknown, url: string, timedOut: boolean, outerAborted: boolean): TapoError {
    if (e instanceof TapoError) return e;
    const code = errorCode(e);
    const where = safeOrigin(url);
    if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return new TapoError('Timeout', `no answer from ${where} in time`, {
        sent: true,
        hint: 'Check that the device is powered and reachable, or raise the timeout.',
        cause: e,
      });
    }
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new TapoError('Timeout', `could not connect to ${where} in time`, {
        sent: false,
        hint: 'Check the host address and that the device is on the network.',
        cause: e,
      });
    }
    if (outerAborted || this.closed) {
      return new TapoError('Transport', 'the request was cancelled because the connection closed', {
        sent: false,
        cause: e,
      });
    }
    const sent = !(code !== undefined && NOT_SENT_CODES.has(code));
    const detail = code ?? (e instanceof Error ? e.message : String(e));
    return new TapoError('Transport', `cannot reach ${where} (${detail})`, {
      sent,
      hint: 'Check the host address and port, and that the device is on the network.',
      cause: e,
    });
  }

  /** Aborts in-flight requests and releases every socket. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.destroy().catch(() => undefined);
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
