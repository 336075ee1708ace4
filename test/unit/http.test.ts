/**
 * HttpClient against loopback servers (127.0.0.1 only): framing (Content-Length, never chunked),
 * response headers and cookies, multi-chunk bodies, URL splitting, and the failure paths the
 * transports and the connection rely on: deadline, caller abort, close() of in-flight requests,
 * refused connections, and no abort listener left behind on a long-lived signal.
 */
import { strict as assert } from 'node:assert';
import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { HttpClient, stokPath } from '../../src/protocol/http';
import { rejection } from '../helpers';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The client's port: equal across requests that reused one keep-alive socket. */
  remotePort: number;
}

interface Loopback {
  base: string;
  seen: Seen[];
  /** Resolves when the server has received `n` complete requests. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 that records each request and lets `answer` reply (or not). */
async function serve(answer: (req: Seen, res: ServerResponse) => void): Promise<Loopback> {
  const seen: Seen[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        remotePort: req.socket.remotePort ?? 0,
      };
      seen.push(entry);
      for (const w of waiters.splice(0)) {
        if (seen.length >= w.n) w.resolve();
        else waiters.push(w);
      }
      answer(entry, res);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    seen,
    received: (n) =>
      seen.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('HttpClient (loopback)', () => {
  const clients: HttpClient[] = [];
  const servers: Loopback[] = [];
  const client = (timeoutMs?: number): HttpClient => {
    const c = new HttpClient(timeoutMs !== undefined ? { timeoutMs } : {});
    clients.push(c);
    return c;
  };
  const server = async (answer: (req: Seen, res: ServerResponse) => void): Promise<Loopback> => {
    const s = await serve(answer);
    servers.push(s);
    return s;
  };

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('sends the body with Content-Length and reads status, headers, cookies and a multi-chunk body', async () => {
    const big = Buffer.alloc(200_000, 0x41);
    const s = await server((_req, res) => {
      res.writeHead(201, [
        ['Content-Type', 'application/octet-stream'],
        ['Set-Cookie', 'TP_SESSIONID=abc;TIMEOUT=86400'],
        ['Set-Cookie', 'other=1'],
        ['X-Twice', 'a'],
        ['X-Twice', 'b'],
      ]);
      res.write(big.subarray(0, 100_000));
      setImmediate(() => res.end(big.subarray(100_000)));
    });
    const res = await client().request(`${s.base}/app/handshake1`, {
      body: Buffer.from('0123456789abcdef'),
      headers: { 'content-type': 'application/octet-stream', requestByApp: 'true' },
    });
    assert.equal(res.status, 201);
    assert.deepEqual(res.setCookies, ['TP_SESSIONID=abc;TIMEOUT=86400', 'other=1']);
    assert.equal(res.headers['x-twice'], 'a, b');
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers['set-cookie'], undefined);
    assert.ok(res.body.equals(big));
    const seen = s.seen[0];
    assert.ok(seen);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/app/handshake1');
    assert.equal(seen.headers['content-length'], '16');
    assert.equal(seen.headers['transfer-encoding'], undefined);
    assert.equal(seen.headers['requestbyapp'], 'true');
    assert.equal(seen.body.toString(), '0123456789abcdef');
  });

  it('sends UTF-8 string bodies with their byte length, an empty POST with length 0, and GET without a body', async () => {
    const s = await server((_req, res) => res.end('ok'));
    const c = client();
    await c.request(`${s.base}/app?token=T1`, { body: '{"k":"é"}' });
    await c.request(`${s.base}/`, { body: '' });
    await c.request(`${s.base}/x`, { method: 'GET' });
    assert.equal(s.seen[0]?.url, '/app?token=T1');
    assert.equal(s.seen[0]?.headers['content-length'], String(Buffer.byteLength('{"k":"é"}')));
    assert.equal(s.seen[0]?.body.toString('utf8'), '{"k":"é"}');
    assert.equal(s.seen[1]?.headers['content-length'], '0');
    assert.equal(s.seen[2]?.method, 'GET');
    assert.equal(s.seen[2]?.headers['content-length'], undefined);
  });

  it('sends paths the way a URL parser would (dot segments, spaces, quotes)', async () => {
    const s = await server((_req, res) => res.end());
    const c = client();
    await c.request(`${s.base}/stok=ab-12/ds`, { body: '{}' });
    await c.request(`${s.base}/a/./b/../c?x=1`, { body: '{}' });
    await c.request(`${s.base}/p q?v='1'`, { body: '{}' });
    await c.request(`${s.base}?seq=1`, { body: '{}' });
    assert.deepEqual(
      s.seen.map((r) => r.url),
      ['/stok=ab-12/ds', '/a/c?x=1', '/p%20q?v=%271%27', '/?seq=1'],
    );
  });

  it('a session token is one opaque path segment: real tokens go out as they are, any other is percent-encoded and never normalised', async () => {
    const s = await server((_req, res) => res.end());
    const c = client();
    const tokens = ['0123abcdEF', 'aB3(x).y!z*w~q_-', '../x/../y', 'a/b?c#d%e f', '..', '%2e%2E'];
    for (const token of tokens) await c.request(`${s.base}${stokPath(token)}`, { body: '{}' });
    assert.deepEqual(
      s.seen.map((r) => r.url),
      [
        '/stok=0123abcdEF/ds',
        '/stok=aB3(x).y!z*w~q_-/ds',
        '/stok=..%2Fx%2F..%2Fy/ds',
        '/stok=a%2Fb%3Fc%23d%25e%20f/ds',
        '/stok=../ds',
        '/stok=%252e%252E/ds',
      ],
    );
    for (const [i, token] of tokens.entries()) assert.equal(decodeURIComponent(/^\/stok=(.*)\/ds$/.exec(s.seen[i]!.url)![1]!), token);
  });

  it('rejects with Timeout (sent: true) when no answer comes before the deadline', async () => {
    const s = await server(() => undefined);
    const err = await rejection(client().request(`${s.base}/app/request?seq=1`, { body: 'x', timeoutMs: 150 }));
    assert.equal(err.kind, 'Timeout');
    assert.equal(err.sent, true);
    assert.equal(s.seen.length, 1);
  });

  it('a per-request timeout overrides the client default', async () => {
    const s = await server(() => undefined);
    const err = await rejection(client(60_000).request(`${s.base}/`, { body: 'x', timeoutMs: 100 }));
    assert.equal(err.kind, 'Timeout');
  });

  it('the caller signal cancels a request the device already received (Transport, sent: true)', async () => {
    const s = await server(() => undefined);
    const controller = new AbortController();
    const pending = client().request(`${s.base}/`, { body: 'x', signal: controller.signal });
    await s.received(1);
    controller.abort();
    const err = await rejection(pending);
    assert.equal(err.kind, 'Transport');
    assert.equal(err.sent, true, 'the device may be acting on it');
    assert.match(err.message, /cancelled/);
  });

  it('an abort before the request was written reports sent: false, and nothing reaches the server', async () => {
    const s = await server((req, res) => res.end(req.body));
    const c = client();
    const controller = new AbortController();
    // Aborted in the same tick as the call: the socket is not even connected yet.
    const pending = c.request(`${s.base}/first`, { body: 'first', signal: controller.signal });
    controller.abort();
    const err = await rejection(pending);
    assert.equal(err.kind, 'Transport');
    assert.equal(err.sent, false);
    const res = await c.request(`${s.base}/second`, { body: 'second' });
    assert.equal(res.body.toString(), 'second');
    assert.deepEqual(
      s.seen.map((r) => r.url),
      ['/second'],
    );
  });

  it('an already aborted signal rejects without sending anything', async () => {
    let answered = 0;
    const s = await server((_req, res) => {
      answered++;
      res.end();
    });
    const controller = new AbortController();
    controller.abort();
    const err = await rejection(client().request(`${s.base}/`, { body: 'x', signal: controller.signal }));
    assert.equal(err.kind, 'Transport');
    assert.equal(err.sent, false);
    assert.equal(answered, 0);
    assert.equal(s.seen.length, 0);
  });

  it('leaves no abort listener on a long-lived signal after requests end', async () => {
    const s = await server((_req, res) => res.end('ok'));
    const c = client();
    const controller = new AbortController();
    for (let i = 0; i < 5; i++) await c.request(`${s.base}/`, { body: 'x', signal: controller.signal });
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    const timedOut = await serve(() => undefined);
    servers.push(timedOut);
    await rejection(c.request(`${timedOut.base}/`, { body: 'x', signal: controller.signal, timeoutMs: 100 }));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('close() rejects in-flight requests with Transport (sent: true once written) and later requests too', async () => {
    const s = await server(() => undefined);
    const c = client();
    const pending = c.request(`${s.base}/`, { body: 'x' });
    await s.received(1);
    await c.close();
    const err = await rejection(pending);
    assert.equal(err.kind, 'Transport');
    assert.equal(err.sent, true);
    assert.equal(c.isClosed, true);
    const after = await rejection(c.request(`${s.base}/`, { body: 'x' }));
    assert.equal(after.kind, 'Transport');
    assert.equal(after.sent, false);
  });

  it('a refused connection is Transport with sent: false and names no secret', async () => {
    const s = await serve(() => undefined);
    const base = s.base;
    await s.close();
    const err = await rejection(client().request(`${base}/app?token=SECRET-TOKEN`, { body: 'password=hunter2' }));
    assert.equal(err.kind, 'Transport');
    assert.equal(err.sent, false);
    assert.doesNotMatch(err.message, /SECRET-TOKEN|hunter2/);
  });

  it('close() before the request was written reports sent: false', async () => {
    const s = await server(() => undefined);
    const c = client();
    const pending = c.request(`${s.base}/`, { body: 'x' });
    const closing = c.close();
    const err = await rejection(pending);
    await closing;
    assert.equal(err.kind, 'Transport');
    assert.equal(err.sent, false);
    assert.equal(s.seen.length, 0);
  });

  it('uses one keep-alive socket for sequential requests', async () => {
    const s = await server((req, res) => res.end(req.body));
    const c = client();
    for (let i = 0; i < 10; i++) {
      const res = await c.request(`${s.base}/echo`, { body: `n=${i}` });
      assert.equal(res.body.toString(), `n=${i}`);
    }
    assert.equal(s.seen.length, 10);
    assert.equal(new Set(s.seen.map((r) => r.remotePort)).size, 1);
  });
});
