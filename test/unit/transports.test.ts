/**
 * Client transports against scripted loopback servers (127.0.0.1 only): every error mapping of
 * the transport table, request framing (cookies, seq, headers) and the session lifetime.
 * Cross-implementation behaviour is covered by test/integration/transports.test.ts.
 */
import { strict as assert } from 'node:assert';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCipheriv, createDecipheriv, createPublicKey, publicEncrypt, constants } from 'node:crypto';
import { getSimCertificate } from '../../src/simulator/cert';
import { TapoError, THIRD_PARTY_HINT } from '../../src/protocol/errors';
import { KlapTransport } from '../../src/protocol/klap';
import { PassthroughTransport } from '../../src/protocol/passthrough';
import { CameraSecureTransport } from '../../src/protocol/camera-secure';
import { CameraLegacyTransport } from '../../src/protocol/camera-legacy';
import {
  deriveKlapSession,
  klapAuthHash,
  klapDecrypt,
  klapEncrypt,
  klapServerHash,
  type KlapVersion,
} from '../../src/protocol/klap-cipher';
import {
  cameraDecrypt,
  cameraDeviceConfirm,
  cameraEncrypt,
  cameraTag,
  deriveCameraSession,
  md5HexUpper,
  sha256HexUpper,
} from '../../src/protocol/camera-secure-cipher';
import type { Transport } from '../../src/protocol/transport';
import * as sinon from 'sinon';
import nodeCrypto = require('node:crypto');

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}
interface Reply {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string | object;
}
type Handler = (req: Seen) => Reply;

interface Scripted {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

async function serve(handler: Handler, tls = false): Promise<Scripted> {
  const seen: Seen[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(s);
      const r = handler(s);
      const body =
        r.body === undefined ? '' : Buffer.isBuffer(r.body) || typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      res.writeHead(r.status ?? 200, r.headers ?? {});
      res.end(body);
    });
  };
  let server: Server;
  if (tls) {
    const cert = getSimCertificate();
    server = createHttpsServer({ key: cert.key, cert: cert.cert, ciphers: 'DEFAULT:@SECLEVEL=0' }, listener);
  } else {
    server = createHttpServer(listener);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function rejectsWith(p: Promise<unknown>, check: Partial<TapoError>): Promise<TapoError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TapoError, `expected TapoError, got ${String(e)}`);
    for (const [k, v] of Object.entries(check)) assert.deepEqual((e as unknown as Record<string, unknown>)[k], v, `field ${k}`);
    return e;
  }
  assert.fail('expected a rejection');
}

const USER = { username: 'user@example.com', password: 'hunter2' };
const SECRET_WORDS = ['hunter2', 'user@example.com'];

function assertNoSecrets(e: TapoError, extra: string[] = []): void {
  for (const w of [...SECRET_WORDS, ...extra]) assert.ok(!e.message.includes(w), `message leaks ${w}`);
}

describe('transports against scripted servers', () => {
  let server: Scripted | undefined;
  let transport: Transport | undefined;
  afterEach(async () => {
    await transport?.close();
    await server?.close();
    transport = undefined;
    server = undefined;
  });

  describe('KlapTransport', () => {
    const remoteSeed = Buffer.alloc(16, 0x42);

    /** A KLAP device bound to `bound`, answering with `version` hashes. */
    function klapDevice(bound: { username: string; password: string }, version: KlapVersion, opts: { timeout?: string; onRequest?: (s: Seen, seq: number, plain: string) => Reply } = {}): Handler {
      const auth = klapAuthHash(version, bound);
      let local: Buffer = Buffer.alloc(0);
      return (s) => {
        if (s.url === '/app/handshake1') {
          local = s.body;
          const cookie = `TP_SESSIONID=ABC123;TIMEOUT=${opts.timeout ?? '86400'}`;
          return { headers: { 'set-cookie': cookie }, body: Buffer.concat([remoteSeed, klapServerHash(version, local, remoteSeed, auth)]) };
        }
        if (s.url === '/app/handshake2') return { status: 200 };
        const m = /^\/app\/request\?seq=(-?\d+)$/.exec(s.url);
        if (m) {
          const seq = Number(m[1]);
          const keys = deriveKlapSession(local, remoteSeed, auth);
          const plain = klapDecrypt(keys, seq, s.body);
          if (opts.onRequest) return opts.onRequest(s, seq, plain);
          return { body: klapEncrypt(keys, seq, JSON.stringify({ error_code: 0, result: { echo: JSON.parse(plain) } })).body };
        }
        return { status: 404 };
      };
    }

    it('logs in, sends only TP_SESSIONID back and pre-increments the seq', async () => {
      server = await serve(klapDevice(USER, 2));
      const t = new KlapTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      transport = t;
      await t.login();
      assert.equal(t.hasSession, true);
      const reply = await t.send({ method: 'get_device_info' });
      assert.deepEqual(reply, { error_code: 0, result: { echo: { method: 'get_device_info' } } });
      await t.send({ method: 'get_device_info' });
      const [h1, h2, r1, r2] = server.seen;
      assert.equal(h1?.body.length, 16);
      assert.equal(h2?.headers.cookie, 'TP_SESSIONID=ABC123');
      assert.equal(r1?.headers.cookie, 'TP_SESSIONID=ABC123');
      const initial = deriveKlapSession(h1!.body, remoteSeed, klapAuthHash(2, USER)).initialSeq;
      assert.equal(r1?.url, `/app/request?seq=${(initial + 1) | 0}`);
      assert.equal(r2?.url, `/app/request?seq=${(initial + 2) | 0}`);
    });

    it('falls back to blank credentials for an unbound device', async () => {
      server = await serve(klapDevice({ username: '', password: '' }, 2));
      transport = new KlapTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      await transport.login();
      assert.deepEqual(await transport.send({ method: 'x' }), { error_code: 0, result: { echo: { method: 'x' } } });
    });

    it('suggests klap-v1 when only a v1 hash matches, and fails Authentication when none does', async () => {
      server = await serve(klapDevice(USER, 1));
      transport = new KlapTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      await rejectsWith(transport.login(), { kind: 'Unsupported', suggestedScheme: 'klap-v1' });
      await transport.close();
      await server.close();
      server = await serve(klapDevice({ username: 'other@example.com', password: 'x' }, 2));
      transport = new KlapTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      const e = await rejectsWith(transport.login(), { kind: 'Authentication' });
      assertNoSecrets(e);
      assert.equal(server.seen.length, 1, 'no handshake2 after a mismatch');
    });

    it('maps handshake1 403, 404 and a garbled reply', async () => {
      let reply: Reply = { status: 403 };
      server = await serve(() => reply);
      transport = new KlapTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      await rejectsWith(transport.login(), { kind: 'Authentication', httpStatus: 403, hint: THIRD_PARTY_HINT, suggestedScheme: 'tpap' });
      reply = { status: 404 };
      await rejectsWith(transport.login(), { kind: 'Unsupported', suggestedScheme: 'passthrough' });
      reply = { body: Buffer.alloc(47) };
      const e = await rejectsWith(transport.login(), { kind: 'Transport' });
      assert.match(e.message, /garbled/);
    });

    it('maps request 403, 401 and other statuses', async () => {
      let next: Reply = { status: 403 };
      server = await serve(klapDevice(USER, 2, { onRequest: () => next }));
      const t = new KlapTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      transport = t;
      for (const [reply, kind, status, keepsSession] of [
        [{ status: 403 }, 'SessionExpired', 403, false],
        [{ status: 401 }, 'SessionExpired', 401, false],
        [{ status: 500 }, 'Transport', 500, true],
      ] as const) {
        await t.login();
        next = reply;
        const e = await rejectsWith(t.send({ method: 'get_device_info' }), { kind });
        assert.equal(e.httpStatus, status);
        assert.equal(t.hasSession, keepsSession);
      }
    });

    it('an undecryptable 200 is a lost reply (Transport, sent: true) and ends the session', async () => {
      let garble = false;
      const device = klapDevice(USER, 2);
      server = await serve((s) => (garble && s.url.startsWith('/app/request') ? { body: Buffer.alloc(64, 1) } : device(s)));
      const t = new KlapTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      transport = t;
      await t.login();
      garble = true;
      await rejectsWith(t.send({ method: 'set_device_info' }), { kind: 'Transport', sent: true });
      assert.equal(t.hasSession, false, 'the next request handshakes again');
      await rejectsWith(t.send({ method: 'get_device_info' }), { kind: 'SessionExpired', sent: false });
    });

    it('ends the session at TIMEOUT - 1200 s (half when short) on the injected clock', async () => {
      let now = 0;
      server = await serve(klapDevice(USER, 2, { timeout: '86400' }));
      transport = new KlapTransport({ host: '127.0.0.1', port: server.port, credentials: USER, now: () => now });
      await transport.login();
      now = 85_199_999;
      assert.equal(transport.hasSession, true);
      now = 85_200_000;
      assert.equal(transport.hasSession, false);
      await rejectsWith(transport.send({ method: 'x' }), { kind: 'SessionExpired', sent: false });
      await transport.close();
      await server.close();
      now = 0;
      server = await serve(klapDevice(USER, 2, { timeout: '600' }));
      transport = new KlapTransport({ host: '127.0.0.1', port: server.port, credentials: USER, now: () => now });
      await transport.login();
      now = 299_999;
      assert.equal(transport.hasSession, true);
      now = 300_000;
      assert.equal(transport.hasSession, false);
    });
  });

  describe('PassthroughTransport', () => {
    const key = Buffer.alloc(16, 3);
    const iv = Buffer.alloc(16, 4);
    const enc = (text: string): string => {
      const c = createCipheriv('aes-128-cbc', key, iv);
      return Buffer.concat([c.update(text, 'utf8'), c.final()]).toString('base64');
    };
    const dec = (b64: string): string => {
      const d = createDecipheriv('aes-128-cbc', key, iv);
      return Buffer.concat([d.update(Buffer.from(b64, 'base64')), d.final()]).toString('utf8');
    };
    type Inner = { method: string; params?: Record<string, string>; terminalUUID?: string };

    /** An AES device; `login` decides the inner login reply, `outer` can override command replies. */
    function aesDevice(login: (params: Record<string, string>) => object, outer?: () => object): Handler {
      return (s) => {
        const body = JSON.parse(s.body.toString()) as { method: string; params: { key?: string; request?: string } };
        if (body.method === 'handshake') {
          const pem = createPublicKey(body.params.key!);
          const ct = publicEncrypt({ key: pem, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([key, iv]));
          return { headers: { 'set-cookie': 'SESSIONID=S1;TIMEOUT=1440' }, body: { error_code: 0, result: { key: ct.toString('base64') } } };
        }
        const inner = JSON.parse(dec(body.params.request!)) as Inner;
        if (inner.method === 'login_device') return { body: { error_code: 0, result: { response: enc(JSON.stringify(login(inner.params!))) } } };
        if (outer) return { body: outer() };
        return { body: { error_code: 0, result: { response: enc(JSON.stringify({ error_code: 0, result: { echo: inner } })) } } };
      };
    }

    it('logs in with v1, sends the token, the SESSIONID cookie, headers and a stable terminalUUID', async () => {
      server = await serve(aesDevice(() => ({ error_code: 0, result: { token: 'TOKEN1' } })));
      transport = new PassthroughTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      await transport.login();
      const r1 = (await transport.send({ method: 'get_device_info' })) as { result: { echo: Inner } };
      const r2 = (await transport.send({ method: 'get_device_info' })) as { result: { echo: Inner } };
      assert.equal(r1.result.echo.method, 'get_device_info');
      assert.ok(r1.result.echo.terminalUUID);
      assert.equal(r1.result.echo.terminalUUID, r2.result.echo.terminalUUID);
      const hs = server.seen[0]!;
      assert.match(JSON.parse(hs.body.toString()).params.key, /^-----BEGIN PUBLIC KEY-----/);
      assert.equal(hs.headers['content-length'], String(hs.body.length));
      assert.equal(hs.headers['requestbyapp'], 'true');
      assert.equal(server.seen[1]?.url, '/app');
      assert.equal(server.seen[1]?.headers.cookie, 'SESSIONID=S1');
      assert.equal(server.seen[2]?.url, '/app?token=TOKEN1');
    });

    it('retries once with password2 after a new handshake on -1501, then gives up', async () => {
      const logins: Record<string, string>[] = [];
      server = await serve(
        aesDevice((p) => {
          logins.push(p);
          return p['password2'] ? { error_code: 0, result: { token: 'T2' } } : { error_code: -1501 };
        }),
      );
      transport = new PassthroughTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      await transport.login();
      assert.equal(logins.length, 2);
      assert.ok(logins[0]?.['password'] && !logins[0]['password2']);
      assert.ok(logins[1]?.['password2']);
      const handshakes = server.seen.filter((s) => JSON.parse(s.body.toString()).method === 'handshake');
      assert.equal(handshakes.length, 2);

      await transport.close();
      await server.close();
      logins.length = 0;
      server = await serve(aesDevice((p) => (logins.push(p), { error_code: -1501 })));
      transport = new PassthroughTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      const e = await rejectsWith(transport.login(), { kind: 'Authentication', code: -1501 });
      assertNoSecrets(e);
      assert.equal(logins.length, 2, 'never more than two attempts');
      await transport.close();
      logins.length = 0;
      transport = new PassthroughTransport({ host: '127.0.0.1', port: server.port, credentials: USER, loginVersion: 2 });
      await rejectsWith(transport.login(), { kind: 'Authentication' });
      assert.equal(logins.length, 1);
      assert.ok(logins[0]?.['password2']);
    });

    it('generates the handshake RSA key off the event loop (async generateKeyPair)', async () => {
      const sync = sinon.stub(nodeCrypto, 'generateKeyPairSync').throws(new Error('blocking keygen'));
      try {
        server = await serve(aesDevice(() => ({ error_code: 0, result: { token: 'T' } })));
        transport = new PassthroughTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
        await transport.login();
        assert.equal(transport.hasSession, true);
        assert.equal(sync.callCount, 0);
      } finally {
        sync.restore();
      }
    });

    it('maps 1003 and an HTML reply to Unsupported klap', async () => {
      let reply: Reply = { body: { error_code: 1003 } };
      server = await serve(() => reply);
      transport = new PassthroughTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      await rejectsWith(transport.login(), { kind: 'Unsupported', suggestedScheme: 'klap' });
      reply = { headers: { 'content-type': 'text/html' }, body: '<html><body>200 OK</body></html>' };
      await rejectsWith(transport.login(), { kind: 'Unsupported', suggestedScheme: 'klap' });
    });

    it('maps outer 9999 to SessionExpired and other outer codes through the table', async () => {
      let outer: object = { error_code: 9999 };
      server = await serve(aesDevice(() => ({ error_code: 0, result: { token: 'T' } }), () => outer));
      transport = new PassthroughTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      await transport.login();
      await rejectsWith(transport.send({ method: 'get_device_info' }), { kind: 'SessionExpired', code: 9999 });
      assert.equal(transport.hasSession, false);
      await transport.login();
      outer = { error_code: -1301 };
      await rejectsWith(transport.send({ method: 'get_device_info' }), { kind: 'RateLimited', code: -1301 });
      outer = { error_code: 0, result: { response: 'AAAAAAAAAAAAAAAAAAAAAA==' } };
      await rejectsWith(transport.send({ method: 'get_device_info' }), { kind: 'Transport', sent: true });
      assert.equal(transport.hasSession, false, 'an undecryptable reply ends the session');
    });

    it('turns hasSession off at half of a short TIMEOUT', async () => {
      let now = 0;
      server = await serve(aesDevice(() => ({ error_code: 0, result: { token: 'T' } })));
      transport = new PassthroughTransport({ host: '127.0.0.1', port: server.port, credentials: USER, now: () => now });
      await transport.login();
      now = 719_999;
      assert.equal(transport.hasSession, true);
      now = 720_000;
      assert.equal(transport.hasSession, false);
    });
  });

  describe('CameraSecureTransport', () => {
    const CAM = { username: 'admin', password: 'hunter2' };
    const NONCE = '0123456789ABCDEF';
    const STOK = 'ab(c).def';

    /** A secure camera storing `pwdHash`; `cmd` may override command replies. */
    function secureCamera(pwdHash: string, cmd?: (inner: object) => Reply): Handler {
      let cnonce = '';
      let seq = 100;
      return (s) => {
        if (s.url === '/') {
          const p = JSON.parse(s.body.toString()).params as Record<string, string>;
          if (p['username'] !== 'admin') return { status: 401, body: { error_code: -40401, result: { data: { code: -40411 } } } };
          if (!p['digest_passwd']) {
            cnonce = p['cnonce']!;
            return { body: { error_code: -40413, result: { data: { code: -40413, encrypt_type: ['3'], nonce: NONCE, device_confirm: cameraDeviceConfirm(cnonce, pwdHash, NONCE) } } } };
          }
          seq = 100;
          return { body: { error_code: 0, result: { stok: STOK, user_group: 'root', start_seq: 100 } } };
        }
        const keys = deriveCameraSession(pwdHash, cnonce, NONCE);
        assert.equal(s.url, `/stok=${STOK}/ds`);
        assert.equal(s.headers['seq'], String(seq));
        assert.equal(s.headers['tapo_tag'], cameraTag(keys.tagPrefix, s.body.toString(), seq));
        seq += 1;
        const inner = JSON.parse(cameraDecrypt(keys, JSON.parse(s.body.toString()).params.request)) as object;
        if (cmd) return cmd(inner);
        return { body: { result: { response: cameraEncrypt(keys, JSON.stringify({ error_code: 0, echo: inner })) }, error_code: 0 } };
      };
    }

    it('logs in with an MD5-stored hash after retrying step 1 as admin, and signs commands', async () => {
      server = await serve(secureCamera(md5HexUpper(CAM.password)), true);
      transport = new CameraSecureTransport({ host: '127.0.0.1', port: server.port, credentials: USER });
      await transport.login();
      const users = server.seen.map((s) => JSON.parse(s.body.toString()).params.username as string);
      assert.deepEqual(users, ['user@example.com', 'admin', 'admin']);
      assert.deepEqual(await transport.send({ method: 'get', device_info: { name: ['basic_info'] } }), {
        error_code: 0,
        echo: { method: 'get', device_info: { name: ['basic_info'] } },
      });
      await transport.send({ method: 'get' });
      assert.equal(server.seen[3]?.headers['content-type'], 'application/json; charset=UTF-8');
    });

    it('stops after step 1 on a wrong password (no step 2)', async () => {
      server = await serve(secureCamera(sha256HexUpper('something else')), true);
      transport = new CameraSecureTransport({ host: '127.0.0.1', port: server.port, credentials: CAM });
      const e = await rejectsWith(transport.login(), { kind: 'Authentication' });
      assertNoSecrets(e);
      assert.equal(server.seen.length, 1);
    });

    it('maps lockout, TPAP-only, legacy-only and refused admin', async () => {
      let reply: Reply = { body: { error_code: -40401, data: { code: -40404, sec_left: 1685 } } };
      server = await serve(() => reply, true);
      transport = new CameraSecureTransport({ host: '127.0.0.1', port: server.port, credentials: CAM });
      await rejectsWith(transport.login(), { kind: 'Locked', secondsLeft: 1685 });
      reply = { body: { error_code: -40401, result: { data: { code: -40404, sec_left: 30 } } } };
      await rejectsWith(transport.login(), { kind: 'Locked', secondsLeft: 30 });
      reply = { body: { error_code: -40211 } };
      await rejectsWith(transport.login(), { kind: 'Unsupported', suggestedScheme: 'tpap' });
      reply = { body: { error_code: -40401, result: { data: { code: -40401, encrypt_type: ['1', '2'], nonce: NONCE } } } };
      await rejectsWith(transport.login(), { kind: 'Unsupported', suggestedScheme: 'camera-legacy' });
      reply = { status: 401, body: { error_code: -40401, result: { data: { code: -40411 } } } };
      const before = server.seen.length;
      await rejectsWith(transport.login(), { kind: 'Authentication', hint: THIRD_PARTY_HINT });
      assert.equal(server.seen.length - before, 1, 'admin is not retried');
    });

    it('maps step 2 -40413 to Authentication', async () => {
      const inner = secureCamera(sha256HexUpper(CAM.password));
      server = await serve((s) => (s.body.toString().includes('digest_passwd') ? { body: { error_code: -40413 } } : inner(s)), true);
      transport = new CameraSecureTransport({ host: '127.0.0.1', port: server.port, credentials: CAM });
      await rejectsWith(transport.login(), { kind: 'Authentication', code: -40413 });
    });

    it('maps command replies: -40401, tag failure, 500, undecryptable; passes plain JSON through', async () => {
      let next: Reply = {};
      server = await serve(secureCamera(sha256HexUpper(CAM.password), () => next), true);
      const t = new CameraSecureTransport({ host: '127.0.0.1', port: server.port, credentials: CAM });
      transport = t;
      const cases: [Reply, string, boolean][] = [
        [{ body: { error_code: -40401 } }, 'SessionExpired', true],
        [{ body: { error_code: -1, result: { responses: [{ msg: 'Check tapo tag failed', error_code: -1 }] } } }, 'SessionExpired', true],
        [{ status: 500, body: { error_code: -40401 } }, 'SessionExpired', true],
        // The camera answered, so it may have acted: a lost reply, not an expiry.
        [{ body: { error_code: 0, result: { response: 'AAAAAAAAAAAAAAAAAAAAAA==' } } }, 'Transport', true],
      ];
      for (const [reply, kind, sent] of cases) {
        await t.login();
        next = reply;
        const e = await rejectsWith(t.send({ method: 'get' }), { kind: kind as TapoError['kind'], sent });
        assertNoSecrets(e, [STOK]);
        assert.equal(t.hasSession, false);
      }
      await t.login();
      next = { body: { device_info: { basic_info: { device_model: 'C210' } }, error_code: 0 } };
      assert.deepEqual(await t.send({ method: 'get' }), next.body);
      next = { body: { error_code: -64324 } };
      assert.deepEqual(await t.send({ method: 'set' }), { error_code: -64324 }, 'method-level codes are returned');
    });
  });

  describe('CameraLegacyTransport', () => {
    const CAM = { username: 'admin', password: 'hunter2' };

    it('logs in with the MD5 body and sends plain JSON to the stok path', async () => {
      let cmd: Reply = { body: { error_code: 0, ok: true } };
      server = await serve((s) => {
        if (s.url === '/') {
          const p = JSON.parse(s.body.toString()).params as Record<string, unknown>;
          if (p['password'] !== md5HexUpper('hunter2')) return { body: { error_code: -40401, result: { data: { code: -40401, encrypt_type: ['1', '2'] } } } };
          return { body: { error_code: 0, result: { stok: 'S.(1)', user_group: 'root' } } };
        }
        return cmd;
      }, true);
      const t = new CameraLegacyTransport({ host: '127.0.0.1', port: server.port, credentials: CAM });
      transport = t;
      await t.login();
      assert.deepEqual(JSON.parse(server.seen[0]!.body.toString()), {
        method: 'login',
        params: { hashed: true, password: md5HexUpper('hunter2'), username: 'admin' },
      });
      assert.deepEqual(await t.send({ method: 'get' }), { error_code: 0, ok: true });
      assert.equal(server.seen[1]?.url, '/stok=S.(1)/ds');
      assert.equal(server.seen[1]?.headers['seq'], undefined);
      cmd = { body: { error_code: -40401 } };
      await rejectsWith(t.send({ method: 'get' }), { kind: 'SessionExpired' });
      assert.equal(t.hasSession, false);

      const wrong = new CameraLegacyTransport({ host: '127.0.0.1', port: server.port, credentials: { username: 'admin', password: 'nope' } });
      const e = await rejectsWith(wrong.login(), { kind: 'Authentication' });
      assertNoSecrets(e, ['nope', md5HexUpper('nope')]);
      await wrong.close();
    });

    it('maps lockout, TPAP-only and secure-only replies', async () => {
      let reply: Reply = { body: { error_code: -40401, data: { code: -40404, sec_left: 99 } } };
      server = await serve(() => reply, true);
      transport = new CameraLegacyTransport({ host: '127.0.0.1', port: server.port, credentials: CAM });
      await rejectsWith(transport.login(), { kind: 'Locked', secondsLeft: 99 });
      reply = { body: { error_code: -40211 } };
      await rejectsWith(transport.login(), { kind: 'Unsupported', suggestedScheme: 'tpap' });
      reply = { body: { error_code: -40413, result: { data: { code: -40413, encrypt_type: ['3'], nonce: 'N', device_confirm: 'X' } } } };
      await rejectsWith(transport.login(), { kind: 'Unsupported', suggestedScheme: 'camera-secure' });
      reply = { body: { error_code: -40401, result: { data: { code: -40401, encrypt_type: ['3'] } } } };
      await rejectsWith(transport.login(), { kind: 'Unsupported', suggestedScheme: 'camera-secure' });
    });
  });
});
