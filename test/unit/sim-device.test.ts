/**
 * Simulated devices over real sockets on 127.0.0.1, driven by minimal clients written here with
 * node's own http/https/crypto (not the package's src/protocol): a KLAP v2 exchange that switches
 * the relay, passthrough handshake + login, camera secure login + one command over TLS, every
 * fault, the control endpoint, reboot and startDevices.
 */
import { strict as assert } from 'node:assert';
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  generateKeyPairSync,
  privateDecrypt,
  randomBytes,
} from 'node:crypto';
import { once } from 'node:events';
import * as http from 'node:http';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import sinon from 'sinon';

import { startDevice, startDevices, type SimulatedDevice, type StartDeviceOptions } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import type { CameraLogic } from '../../src/simulator/logic/camera';

type Json = any;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  peerCert?: { subject: Record<string, string>; issuer: Record<string, string>; bits?: number };
}

/** One request on a fresh connection (agent: false), so nothing stays open after the test. */
function send(device: SimulatedDevice, path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const options: https.RequestOptions = {
    host: '127.0.0.1',
    port: device.port,
    path,
    method: 'POST',
    agent: false,
    headers: { 'content-length': String(bytes.length), ...headers },
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      const socket = res.socket as TLSSocket;
      const peerCert = typeof socket.getPeerCertificate === 'function' ? (socket.getPeerCertificate() as Reply['peerCert']) : undefined;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ...(peerCert !== undefined ? { peerCert } : {}) }));
      res.on('error', reject);
    };
    const req =
      device.family === 'camera'
        ? https.request({ ...options, rejectUnauthorized: false, ciphers: 'DEFAULT:@SECLEVEL=0' }, onResponse)
        : http.request(options, onResponse);
    req.on('error', reject);
    req.end(bytes);
  });
}

/** Sends a KLAP handshake1 and watches it: `arrived` once the device has it, `answered()` once it replied. */
function handshakeOnce(device: SimulatedDevice): { arrived: Promise<unknown>; pending: Promise<Reply>; answered: () => boolean } {
  let answered = false;
  const arrived = once(device, 'request');
  const pending = send(device, '/app/handshake1', randomBytes(16)).then((r) => {
    answered = true;
    return r;
  });
  return { arrived, pending, answered: () => answered };
}

const json = (r: Reply): Json => JSON.parse(r.body.toString('utf8'));
const sha256 = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const sha1 = (s: string): Buffer => createHash('sha1').update(s).digest();

/** A KLAP v2 client in a few lines (plug-klap.md §3–§7). */
class TinyKlap {
  private cookie = '';
  private key: Buffer = Buffer.alloc(0);
  private ivPrefix: Buffer = Buffer.alloc(0);
  private sigPrefix: Buffer = Buffer.alloc(0);
  seq = 0;

  constructor(private readonly device: SimulatedDevice, private readonly user = 'user@example.com', private readonly pass = 'tapo-sim') {}

  async login(): Promise<void> {
    const auth = sha256(sha1(this.user), sha1(this.pass));
    const local = randomBytes(16);
    const hs1 = await send(this.device, '/app/handshake1', local);
    assert.equal(hs1.status, 200);
    const remote = hs1.body.subarray(0, 16);
    assert.ok(hs1.body.subarray(16).equals(sha256(local, remote, auth)), 'server hash matches our account');
    const setCookie = hs1.headers['set-cookie']?.[0] ?? '';
    assert.match(setCookie, /^TP_SESSIONID=[0-9A-F]{32};TIMEOUT=\d+$/);
    this.cookie = setCookie.split(';')[0] ?? '';
    const hs2 = await send(this.device, '/app/handshake2', sha256(remote, local, auth), { cookie: this.cookie });
    assert.equal(hs2.status, 200);
    this.key = sha256(Buffer.from('lsk'), local, remote, auth).subarray(0, 16);
    const ivHash = sha256(Buffer.from('iv'), local, remote, auth);
    this.ivPrefix = ivHash.subarray(0, 12);
    this.seq = ivHash.readInt32BE(28);
    this.sigPrefix = sha256(Buffer.from('ldk'), local, remote, auth).subarray(0, 28);
  }

  async call(request: object): Promise<Json> {
    const res = await this.raw(request);
    assert.equal(res.status, 200);
    const iv = this.iv(this.seq);
    const d = createDecipheriv('aes-128-cbc', this.key, iv);
    return JSON.parse(Buffer.concat([d.update(res.body.subarray(32)), d.final()]).toString('utf8'));
  }

  raw(request: object): Promise<Reply> {
    this.seq = (this.seq + 1) | 0;
    const iv = this.iv(this.seq);
    const c = createCipheriv('aes-128-cbc', this.key, iv);
    const ct = Buffer.concat([c.update(JSON.stringify(request), 'utf8'), c.final()]);
    const body = Buffer.concat([sha256(this.sigPrefix, iv.subarray(12), ct), ct]);
    return send(this.device, `/app/request?seq=${this.seq}`, body, { cookie: this.cookie });
  }

  private iv(seq: number): Buffer {
    const iv = Buffer.alloc(16);
    this.ivPrefix.copy(iv);
    iv.writeInt32BE(seq, 12);
    return iv;
  }
}

class ManualClock {
  constructor(public ms = Date.UTC(2024, 0, 20, 9)) {}
  now(): number {
    return this.ms;
  }
}

describe('simulated device over loopback', function () {
  const started: SimulatedDevice[] = [];
  async function start(options: StartDeviceOptions): Promise<SimulatedDevice> {
    const device = await startDevice(options);
    started.push(device);
    return device;
  }
  afterEach(async () => {
    sinon.restore();
    await Promise.all(started.splice(0).map((d) => d.stop()));
  });

  describe('KLAP plug', () => {
    it('switches the relay through a full KLAP v2 exchange', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      assert.equal(device.scheme, 'klap');
      assert.equal(device.host, '127.0.0.1');
      assert.match(device.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const plug = device.logic as PlugLogic;
      const target = !plug.state.on;
      const client = new TinyKlap(device);
      await client.login();
      assert.equal((await client.call({ method: 'set_device_info', params: { device_on: target } })).error_code, 0);
      assert.equal(plug.state.on, target);
      const info = await client.call({ method: 'get_device_info' });
      assert.equal(info.result.device_on, target);
      assert.equal(device.requestCount, 2);
      assert.equal(device.server.loginCount, 1);
      assert.equal(device.server.sessionCount(), 1);
    });

    it('refuses a client with the wrong account (its server hash does not match)', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0', password: 'right' });
      await assert.rejects(new TinyKlap(device, 'user@example.com', 'wrong').login(), /server hash matches/);
    });

    it('applies methodErrors to single requests and to sub-requests of a batch, and batchBug', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      const client = new TinyKlap(device);
      await client.login();
      device.faults.methodErrors = { get_energy_usage: -1008 };
      assert.deepEqual(await client.call({ method: 'get_energy_usage' }), { error_code: -1008 });
      const batch = await client.call({
        method: 'multipleRequest',
        params: { requests: [{ method: 'get_device_info' }, { method: 'get_energy_usage' }, { method: 'get_device_usage' }] },
      });
      assert.equal(batch.error_code, 0);
      assert.equal(batch.result.responses.length, 2, 'stops at the first failing sub-request');
      assert.equal(batch.result.responses[0].method, 'get_device_info');
      assert.equal(batch.result.responses[0].error_code, 0);
      assert.deepEqual(batch.result.responses[1], { method: 'get_energy_usage', error_code: -1008 });
      device.faults.batchBug = true;
      assert.deepEqual(await client.call({ method: 'multipleRequest', params: { requests: [{ method: 'get_device_info' }] } }), {
        error_code: -1003,
      });
    });

    it('answers 403 on handshake1 with thirdPartyOff and 403 on a request after expireSessions()', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      const client = new TinyKlap(device);
      await client.login();
      device.expireSessions();
      assert.equal((await client.raw({ method: 'get_device_info' })).status, 403);
      device.faults.thirdPartyOff = true;
      assert.equal((await send(device, '/app/handshake1', randomBytes(16))).status, 403);
    });
  });

  describe('faults on the wire', () => {
    it('http500, closeAfterResponse and dropConnections', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      device.faults.http500 = true;
      assert.equal((await send(device, '/app/handshake1', randomBytes(16))).status, 500);
      device.faults.http500 = false;
      device.faults.closeAfterResponse = true;
      const closing = await send(device, '/app/handshake1', randomBytes(16));
      assert.equal(closing.status, 200);
      assert.equal(closing.headers.connection, 'close');
      device.faults.dropConnections = true;
      await assert.rejects(send(device, '/app/handshake1', randomBytes(16)), /socket hang up|ECONNRESET/);
      assert.equal(device.httpRequestCount, 3);
    });

    it('delayMs holds the reply until the (fake) timer fires', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      device.faults.delayMs = 60_000;
      const reply = handshakeOnce(device);
      await reply.arrived;
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(reply.answered(), false);
      clock.tick(60_000);
      assert.equal((await reply.pending).status, 200);
    });

    it('a delay longer than one Node timer can hold (set from code) is waited out in full', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      const longest = 2 ** 31 - 1;
      device.faults.delayMs = longest + 60_000;
      const reply = handshakeOnce(device);
      await reply.arrived;
      assert.equal(clock.countTimers(), 1);
      // A single timer of that length would fire after 1 ms (Node's overflow, which fake timers
      // copy); the device is still waiting after the longest timer has run.
      clock.tick(longest);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(clock.countTimers(), 1, 'the delay ended early');
      assert.equal(reply.answered(), false, 'answered before the delay ran out');
      clock.tick(60_000);
      assert.equal(clock.countTimers(), 0);
      assert.equal((await reply.pending).status, 200);
    });

    it('hang keeps the socket open until stop() releases it', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      device.faults.hang = true;
      const arrived = once(device, 'request');
      const pending = send(device, '/app/handshake1', randomBytes(16));
      await arrived;
      await device.stop();
      await assert.rejects(pending, /socket hang up|ECONNRESET/);
    });
  });

  describe('passthrough plug', () => {
    it('hands out the AES key under the client RSA key, logs in and answers with the token', async () => {
      const device = await start({ fixture: 'P100(US)_1.0.0_1.1.3' });
      assert.equal(device.scheme, 'passthrough');
      const pair = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const hs = await send(device, '/app', JSON.stringify({ method: 'handshake', params: { key: pem } }));
      const cookie = (hs.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
      const block = privateDecrypt({ key: pair.privateKey, padding: constants.RSA_NO_PADDING }, Buffer.from(json(hs).result.key, 'base64'));
      const secret = block.subarray(block.indexOf(0, 2) + 1);
      assert.equal(secret.length, 32);
      const [key, iv] = [secret.subarray(0, 16), secret.subarray(16)];
      const wrap = (inner: object): string => {
        const c = createCipheriv('aes-128-cbc', key, iv);
        const request = Buffer.concat([c.update(JSON.stringify(inner)), c.final()]).toString('base64');
        return JSON.stringify({ method: 'securePassthrough', params: { request } });
      };
      const unwrap = (r: Reply): Json => {
        const d = createDecipheriv('aes-128-cbc', key, iv);
        return JSON.parse(Buffer.concat([d.update(Buffer.from(json(r).result.response, 'base64')), d.final()]).toString());
      };
      const username = Buffer.from(createHash('sha1').update('user@example.com').digest('hex')).toString('base64');
      const login = await send(device, '/app', wrap({ method: 'login_device', params: { username, password: Buffer.from('tapo-sim').toString('base64') } }), { cookie });
      const token = unwrap(login).result.token;
      assert.match(token, /^[0-9A-F]{32}$/);
      const info = unwrap(await send(device, `/app?token=${token}`, wrap({ method: 'get_device_info' }), { cookie }));
      assert.equal(info.error_code, 0);
      assert.equal(info.result.model, 'P100');
      assert.equal((await send(device, '/app/handshake1', randomBytes(16))).status, 404);
    });
  });

  describe('camera over TLS', () => {
    const cnonce = 'ABCDEF0123456789';
    const up = (s: string): string => createHash('sha256').update(s).digest('hex').toUpperCase();

    async function secureLogin(device: SimulatedDevice, password: string): Promise<Reply> {
      const step1 = await send(device, '/', JSON.stringify({ method: 'login', params: { cnonce, encrypt_type: '3', username: 'admin' } }));
      const data = json(step1).result.data;
      assert.equal(json(step1).error_code, -40413);
      const pwdHash = up(password);
      const digest = up(pwdHash + cnonce + data.nonce) + cnonce + data.nonce;
      return send(device, '/', JSON.stringify({ method: 'login', params: { cnonce, encrypt_type: '3', digest_passwd: digest, username: 'admin' } }));
    }

    it('presents the TPRI certificate, logs in securely and runs one encrypted command', async () => {
      const device = await start({ fixture: 'C210(EU)_2.0_1.4.3' });
      assert.equal(device.scheme, 'camera-secure');
      assert.match(device.url, /^https:\/\//);
      const step1 = await send(device, '/', JSON.stringify({ method: 'login', params: { cnonce, encrypt_type: '3', username: 'admin' } }));
      assert.equal(step1.peerCert?.subject.CN, 'TPRI-DEVICE');
      assert.equal(step1.peerCert?.issuer.O, 'TPRI');
      assert.equal(step1.peerCert?.bits, 1024);
      const { nonce, device_confirm: confirm } = json(step1).result.data;
      const pwdHash = up('tapo-sim');
      assert.equal(confirm, up(cnonce + pwdHash + nonce) + nonce + cnonce);
      const digest = up(pwdHash + cnonce + nonce) + cnonce + nonce;
      const step2 = json(await send(device, '/', JSON.stringify({ method: 'login', params: { cnonce, encrypt_type: '3', digest_passwd: digest, username: 'admin' } })));
      assert.equal(step2.error_code, 0);
      const { stok, start_seq: seq } = step2.result;

      const hashedKey = up(cnonce + pwdHash + nonce);
      const derive = (label: string): Buffer => createHash('sha256').update(label + cnonce + nonce + hashedKey).digest().subarray(0, 16);
      const [lsk, ivb] = [derive('lsk'), derive('ivb')];
      const inner = { method: 'multipleRequest', params: { requests: [{ method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: 'on' } } } }] } };
      const c = createCipheriv('aes-128-cbc', lsk, ivb);
      const body = JSON.stringify({ method: 'securePassthrough', params: { request: Buffer.concat([c.update(JSON.stringify(inner)), c.final()]).toString('base64') } });
      const tag = up(up(pwdHash + cnonce) + body + String(seq));
      const res = json(await send(device, `/stok=${stok}/ds`, body, { Seq: String(seq), Tapo_tag: tag, 'content-type': 'application/json' }));
      const d = createDecipheriv('aes-128-cbc', lsk, ivb);
      const reply = JSON.parse(Buffer.concat([d.update(Buffer.from(res.result.response, 'base64')), d.final()]).toString());
      assert.equal(reply.result.responses[0].error_code, 0);
      assert.equal((device.logic as CameraLogic).state.privacyMode, true);
    });

    it('ends a session sessionTtlSeconds after the login on the device clock (-40401)', async () => {
      const clock = new ManualClock();
      const device = await start({ fixture: 'C210(EU)_2.0_1.4.3', clock, sessionTtlSeconds: 60 });
      const step2 = json(await secureLogin(device, 'tapo-sim'));
      assert.equal(step2.error_code, 0);
      const { stok, start_seq: seq } = step2.result;
      // Within the lifetime a badly signed request reaches the tag check; past it, the stok is
      // refused before its tag or body are looked at.
      const unsigned = (): Promise<Reply> => send(device, `/stok=${stok}/ds`, '{}', { Seq: String(seq), Tapo_tag: 'x' });
      clock.ms += 59_999;
      assert.equal(json(await unsigned()).result.responses[0].msg, 'Check tapo tag failed');
      clock.ms += 1;
      const expired = await unsigned();
      assert.equal(expired.status, 200);
      assert.deepEqual(json(expired), { error_code: -40401 });
      assert.equal(device.server.sessionCount(), 0);
      assert.equal(device.requestCount, 0);
      assert.equal(json(await secureLogin(device, 'tapo-sim')).error_code, 0);
    });

    it('locks out after lockoutThreshold wrong passwords, for lockoutSeconds on the device clock', async () => {
      const clock = new ManualClock();
      const device = await start({ fixture: 'C210(EU)_2.0_1.4.3', lockoutThreshold: 2, lockoutSeconds: 600, clock });
      assert.equal(json(await secureLogin(device, 'wrong')).error_code, -40413);
      assert.equal(json(await secureLogin(device, 'wrong')).error_code, -40413);
      const locked = await send(device, '/', JSON.stringify({ method: 'login', params: { cnonce, encrypt_type: '3', username: 'admin' } }));
      assert.deepEqual(json(locked), { error_code: -40401, data: { code: -40404, sec_left: 600 } });
      clock.ms += 600_000;
      assert.equal(json(await secureLogin(device, 'tapo-sim')).error_code, 0);
    });
  });

  describe('control endpoint', () => {
    it('merges faults, rejects unknown ones, expires, migrates and reports state', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      const merged = await send(device, '/__sim/faults', JSON.stringify({ http500: true, methodErrors: { get_device_info: -1 } }));
      assert.equal(merged.status, 200);
      assert.equal(device.faults.http500, true);
      assert.deepEqual(device.faults.methodErrors, { get_device_info: -1 });
      assert.equal((await send(device, '/app/handshake1', randomBytes(16))).status, 500);
      const bad = await send(device, '/__sim/faults', JSON.stringify({ http5OO: true }));
      assert.equal(bad.status, 400);
      assert.match(json(bad).error, /unknown fault "http5OO"/);
      await send(device, '/__sim/faults', JSON.stringify({ http500: false }));

      const client = new TinyKlap(device);
      await client.login();
      assert.equal(device.server.sessionCount(), 1);
      assert.equal((await send(device, '/__sim/expire', '')).status, 200);
      assert.equal(device.server.sessionCount(), 0);

      const state = json(await send(device, '/__sim/state', ''));
      assert.equal(state.on, (device.logic as PlugLogic).state.on);

      assert.equal((await send(device, '/__sim/migrate', JSON.stringify({ scheme: 'camera-secure' }))).status, 400);
      assert.equal((await send(device, '/__sim/migrate', JSON.stringify({ scheme: 'passthrough' }))).status, 200);
      assert.equal(device.scheme, 'passthrough');
      assert.equal((await send(device, '/app/handshake1', randomBytes(16))).status, 404);
    });

    it('refuses fault values the device cannot use (timers, counters, codes, tokens, statuses), and keeps the old values', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      const refused: [object, RegExp][] = [
        [{ delayMs: 3e9 }, /"delayMs" must be a number from 0 to 2147483647, got 3000000000/],
        [{ delayMs: -1 }, /"delayMs"/],
        [{ expireAfterRequests: 1.5 }, /"expireAfterRequests" must be an integer/],
        [{ methodErrors: { get_device_info: 2 ** 31 } }, /"methodErrors" .* from -2147483648 to 2147483647/],
        [{ loseReplyTo: { get_device_info: 0.5 } }, /"loseReplyTo"/],
        [{ loginStok: 5 }, /"loginStok" must be a string/],
        [{ loginStok: 'x'.repeat(257) }, /"loginStok"/],
        [{ refuseRequests: { status: 200, count: 1 } }, /"refuseRequests" must be \{"status": an HTTP status from 400 to 599/],
        [{ refuseRequests: { status: 404, count: -1 } }, /"refuseRequests"/],
        [{ refuseRequests: { status: 404, count: 1, extra: true } }, /"refuseRequests"/],
      ];
      for (const [patch, message] of refused) {
        const res = await send(device, '/__sim/faults', JSON.stringify(patch));
        assert.equal(res.status, 400, JSON.stringify(patch));
        assert.match(json(res).error, message);
      }
      assert.equal(device.faults.delayMs, 0);
      assert.equal(device.faults.expireAfterRequests, 0);
      assert.deepEqual(device.faults.methodErrors, {});
      assert.equal(device.faults.loginStok, '');
      assert.deepEqual(device.faults.refuseRequests, { status: 403, count: 0 });
      const set = await send(device, '/__sim/faults', JSON.stringify({ loginStok: '../x', refuseRequests: { status: 404, count: 2 } }));
      assert.equal(set.status, 200);
      assert.equal(device.faults.loginStok, '../x');
      assert.deepEqual(device.faults.refuseRequests, { status: 404, count: 2 });
      const longest = await send(device, '/__sim/faults', JSON.stringify({ delayMs: 2 ** 31 - 1, methodErrors: { login_device: -(2 ** 31) } }));
      assert.equal(longest.status, 200);
      assert.equal(device.faults.delayMs, 2 ** 31 - 1);
    });

    it('reboots on request: down now, back on the same port after the clock moves', async () => {
      const clock = new ManualClock();
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0', clock });
      const port = device.port;
      const client = new TinyKlap(device);
      await client.login();
      const down = once(device, 'down');
      assert.equal((await send(device, '/__sim/reboot', JSON.stringify({ seconds: 5 }))).status, 200);
      await down;
      assert.equal(device.isDown, true);
      assert.equal(device.server.sessionCount(), 0);
      await assert.rejects(send(device, '/app/handshake1', randomBytes(16)), /ECONNREFUSED/);
      clock.ms += 5000;
      await device.whenUp();
      assert.equal(device.port, port);
      await new TinyKlap(device).login();
    });
  });

  it('reboot() keeps a camera down until the clock passes, and stop() during the downtime is clean', async () => {
    const clock = new ManualClock();
    const device = await start({ fixture: 'C100_4.0_1.3.14', clock });
    await device.reboot(30);
    clock.ms += 29_000;
    assert.equal(device.isDown, true);
    clock.ms += 1000;
    await device.whenUp();
    assert.equal((await send(device, '/__sim/state', '')).status, 200);
    await device.reboot(30);
    await device.stop();
  });

  it('startDevices starts several devices on separate ports and describe() holds no password', async () => {
    const devices = await startDevices([
      { fixture: 'P110(UK)_1.0_1.3.0', password: 'secret-1' },
      { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-legacy' },
    ]);
    started.push(...devices);
    const [plug, camera] = devices;
    assert.ok(plug !== undefined && camera !== undefined, 'two devices started');
    assert.notEqual(plug.port, camera.port);
    assert.deepEqual(Object.keys(plug.describe()).sort(), ['family', 'host', 'model', 'port', 'scheme', 'url']);
    assert.equal(camera.describe().scheme, 'camera-legacy');
    assert.doesNotMatch(JSON.stringify(devices.map((d) => d.describe())), /secret-1|tapo-sim/);
  });

  it('locks logins out for 30 s by default on SMART devices (TPAP throttle), 1800 s on cameras; lockoutSeconds wins', async () => {
    const clock = new ManualClock();
    const plug = await start({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'tpap', clock });
    assert.equal(plug.guard.lockoutSeconds, 30);
    for (let i = 0; i < 5; i++) plug.guard.recordFailure();
    assert.equal(plug.guard.lockedSecondsLeft(), 30);
    assert.equal((await start({ fixture: 'C101(US)_5.0_1.4.3', scheme: 'tpap', clock })).guard.lockoutSeconds, 1800);
    assert.equal((await start({ fixture: 'C210(EU)_2.0_1.4.3', clock })).guard.lockoutSeconds, 1800);
    assert.equal((await start({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'tpap', clock, lockoutSeconds: 600 })).guard.lockoutSeconds, 600);
  });

  it('refuses a scheme that does not fit the family', async () => {
    await assert.rejects(startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'camera-secure' }), /does not fit a smart device/);
  });
});
