/**
 * TpapTransport against a scripted TPAP device on 127.0.0.1. The fake computes the verifier side of
 * SPAKE2+ itself (Y = y·G + w0·N, Z = y·(X − w0·M), V = y·L, its own transcript) so it can also
 * misbehave in ways the simulator does not: refuse discover, answer -40209 at register, send a wrong
 * dev_confirm, lock out with sec_left, refuse /ds requests with chosen codes, serve HTTP or HTTPS
 * whatever its family, or refuse a new login while its session lives (a C200, tpap.md §9).
 */
import { strict as assert } from 'node:assert';
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { TapoError } from '../../src/protocol/errors';
import {
  bytesToBigInt,
  decodePoint,
  encodePoint,
  P256_G,
  pointAdd,
  pointSubtract,
  scalarMult,
} from '../../src/protocol/p256';
import {
  decryptDsFrame,
  deriveSessionKeys,
  deriveW0W1,
  encryptDsFrame,
  md5HexLower,
  sha256Crypt,
  sha256HexUpper,
  SPAKE2P_M,
  SPAKE2P_N,
  type TpapSessionKeys,
} from '../../src/protocol/tpap-cipher';
import type { HttpClient, HttpRequestOptions, HttpResponse } from '../../src/protocol/http';
import { TpapTransport } from '../../src/protocol/tpap';
import { getSimCertificate } from '../../src/simulator/cert';
import type { JsonObject } from '../../src/protocol/types';
import { rejection as rejects } from '../helpers';

type Json = JsonObject;

interface FakeOptions {
  family: 'smart' | 'camera';
  /** The credential the device accepts (already in its final string form). */
  credential: string;
  /** Replaces the discover reply. */
  discoverReply?: Json;
  /** Answer every pake_register with this reply. */
  registerReply?: Json;
  /** `extra_crypt` to announce in the pake_register reply (the credential must already apply it). */
  extraCrypt?: Json;
  /** Answer every pake_share with this reply instead of checking. */
  shareReply?: Json;
  /** Corrupt dev_confirm. */
  badDevConfirm?: boolean;
  startSeq?: number;
  expired?: number;
  /** Seq offset the device uses for its reply frames. */
  replySeqOffset?: number;
  /** Serve HTTPS (default: cameras do, SMART devices do not). */
  tls?: boolean;
  /** Refuse every pake_share with -40401 while a session is open (C200, tpap.md §9). */
  refuseLoginWhileSession?: boolean;
}

interface Pending {
  userRandom: Buffer;
  devRandom: Buffer;
  y: bigint;
  Y: Buffer;
}

class FakeTpapDevice {
  readonly registers: Json[] = [];
  readonly shares: Json[] = [];
  readonly dsSeqs: number[] = [];
  readonly dsPlaintexts: Json[] = [];
  readonly dsContentTypes: string[] = [];
  /** The first byte of every encrypted /ds reply sent. */
  readonly dsReplyFirstBytes: number[] = [];
  /** Refuse the next /ds requests with these codes, in order. */
  readonly dsRefusals: number[] = [];
  stok = 'fakestok' + randomBytes(8).toString('hex');
  private server!: http.Server;
  private pending: Pending | undefined;
  private keys: TpapSessionKeys | undefined;
  private readonly salt = randomBytes(16);
  private readonly w0: bigint;
  private readonly w1: bigint;
  port = 0;

  constructor(readonly opts: FakeOptions) {
    const w = deriveW0W1(opts.credential, this.salt, 1000);
    this.w0 = w.w0;
    this.w1 = w.w1;
  }

  async start(): Promise<this> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const { status, body, type } = this.handle(req, Buffer.concat(chunks));
        res.writeHead(status, { 'content-type': type, 'content-length': body.length });
        res.end(body);
      });
    };
    if (this.opts.tls ?? this.opts.family === 'camera') {
      const cert = getSimCertificate();
      this.server = https.createServer({ key: cert.key, cert: cert.cert, ciphers: 'DEFAULT:@SECLEVEL=0' }, handler);
    } else {
      this.server = http.createServer(handler);
    }
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private json(body: Json): { status: number; body: Buffer; type: string } {
    return { status: 200, body: Buffer.from(JSON.stringify(body)), type: 'application/json' };
  }

  private handle(req: http.IncomingMessage, body: Buffer): { status: number; body: Buffer; type: string } {
    const url = req.url ?? '/';
    if (url === '/') return this.login(JSON.parse(body.toString('utf8')) as Json);
    if (url === `/stok=${this.stok}/ds` && this.keys) {
      this.dsContentTypes.push(String(req.headers['content-type']));
      const refusal = this.dsRefusals.shift();
      const { seq, plaintext } = decryptDsFrame(this.keys, body);
      this.dsSeqs.push(seq);
      if (refusal !== undefined) {
        if (refusal === -40401 || refusal === -2203) this.keys = undefined;
        return this.json({ error_code: refusal });
      }
      const request = JSON.parse(plaintext.toString('utf8')) as Json;
      this.dsPlaintexts.push(request);
      let reply: Json;
      if (request['method'] === 'multipleRequest') {
        const reqs = (request['params'] as Json)['requests'] as Json[];
        reply = {
          error_code: 0,
          result: { responses: reqs.map((r) => ({ method: r['method'] as string, result: { echo: r['params'] ?? null }, error_code: 0 })) },
        };
      } else {
        reply = { error_code: 0, result: { echo: request } };
      }
      const frame = encryptDsFrame(this.keys, seq + (this.opts.replySeqOffset ?? 0), JSON.stringify(reply));
      this.dsReplyFirstBytes.push(frame[0]!);
      return { status: 200, body: frame, type: 'application/octet-stream' };
    }
    return this.json({ error_code: -40401 });
  }

  private login(req: Json): { status: number; body: Buffer; type: string } {
    const params = req['params'] as Json;
    const sub = params['sub_method'];
    if (sub === 'discover') {
      return this.json(
        this.opts.discoverReply ?? {
          error_code: 0,
          result: { mac: 'AA-BB-CC-DD-EE-FF', tpap: { tls: this.opts.family === 'camera' ? 1 : 0, port: 443, dac: false, pake: [2], user_hash_type: 0 } },
        },
      );
    }
    if (sub === 'pake_register') {
      this.registers.push(params);
      if (this.opts.registerReply) return this.json(this.opts.registerReply);
      const y = (bytesToBigInt(randomBytes(32)) % (2n ** 255n)) + 1n;
      const Y = encodePoint(pointAdd(scalarMult(y, P256_G), scalarMult(this.w0, SPAKE2P_N)));
      const devRandom = randomBytes(32);
      this.pending = { userRandom: Buffer.from(params['user_random'] as string, 'base64'), devRandom, y, Y };
      return this.json({
        error_code: 0,
        result: {
          dev_random: devRandom.toString('base64'),
          dev_salt: this.salt.toString('base64'),
          dev_share: Y.toString('base64'),
          cipher_suites: 1,
          iterations: 1000,
          encryption: 'aes_128_ccm',
          ...(this.opts.extraCrypt ? { extra_crypt: this.opts.extraCrypt } : {}),
        },
      });
    }
    if (sub === 'pake_share') {
      this.shares.push(params);
      if (this.opts.shareReply) return this.json(this.opts.shareReply);
      if (this.opts.refuseLoginWhileSession && this.keys) return this.json({ error_code: -40401 });
      const p = this.pending;
      if (!p) return this.json({ error_code: -40401 });
      this.pending = undefined;
      const X = Buffer.from(params['user_share'] as string, 'base64');
      const unblinded = pointSubtract(decodePoint(X), scalarMult(this.w0, SPAKE2P_M));
      const Z = encodePoint(scalarMult(p.y, unblinded));
      const V = encodePoint(scalarMult(p.y, scalarMult(this.w1, P256_G)));
      const lv = (b: Buffer): Buffer => {
        const l = Buffer.alloc(8);
        l.writeBigUInt64LE(BigInt(b.length));
        return Buffer.concat([l, b]);
      };
      const context = createHash('sha256').update('PAKE V1').update(p.userRandom).update(p.devRandom).digest();
      const w0b = Buffer.from(this.w0.toString(16).padStart(64, '0'), 'hex');
      const tt = Buffer.concat([context, Buffer.alloc(0), Buffer.alloc(0), encodePoint(SPAKE2P_M), encodePoint(SPAKE2P_N), X, p.Y, Z, V, w0b].map(lv));
      const ke = createHash('sha256').update(tt).digest();
      const kc = Buffer.from(hkdfSync('sha256', ke, Buffer.alloc(32), 'ConfirmationKeys', 64));
      const expectUserConfirm = createHmac('sha256', kc.subarray(0, 32)).update(p.Y).digest('base64');
      if (params['user_confirm'] !== expectUserConfirm) return this.json({ error_code: -40401 });
      const devConfirm = createHmac('sha256', kc.subarray(32)).update(X).digest();
      if (this.opts.badDevConfirm) devConfirm[0] = devConfirm[0]! ^ 1;
      this.keys = deriveSessionKeys(Buffer.from(hkdfSync('sha256', ke, Buffer.alloc(32), 'SharedKey', 32)));
      return this.json({
        error_code: 0,
        result: { dev_confirm: devConfirm.toString('base64'), stok: this.stok, start_seq: this.opts.startSeq ?? 1000, expired: this.opts.expired ?? 3600 },
      });
    }
    return this.json({ error_code: -40210 });
  }
}

const PASSWORD = 'correct horse';
/** What a C200 hw5 1.4.6 announces at pake_register and the credential it then takes (tpap.md §4.2). */
const C200_SHADOW = { type: 'password_shadow', params: { passwd_id: 5, passwd_prefix: '$5$saltsaltsaltsalt$' } };
const C200_CREDENTIAL = sha256Crypt(sha256HexUpper(PASSWORD), '$5$saltsaltsaltsalt$');
/** A discover reply whose user_hash_type 1 leaves a camera's password form open. */
const HASH_TYPE_1 = { error_code: 0, result: { tpap: { tls: 1, pake: [2], user_hash_type: 1 } } };

function transportFor(dev: FakeTpapDevice, password = PASSWORD, now?: () => number): TpapTransport {
  return new TpapTransport({
    host: '127.0.0.1',
    port: dev.port,
    family: dev.opts.family,
    credentials: { username: dev.opts.family === 'camera' ? 'admin' : 'me@example.com', password },
    ...(now ? { now } : {}),
  });
}

function assertNoSecrets(e: TapoError, ...secrets: string[]): void {
  const text = `${e.message} ${e.hint ?? ''}`;
  for (const s of secrets) assert.ok(!text.includes(s), `error text leaks a secret: ${text}`);
}

describe('TpapTransport (fake device on 127.0.0.1)', () => {
  let dev: FakeTpapDevice | undefined;
  let t: TpapTransport | undefined;

  afterEach(async () => {
    await t?.close();
    await dev?.stop();
    t = undefined;
    dev = undefined;
  });

  async function setup(opts: FakeOptions, password = PASSWORD, now?: () => number): Promise<[FakeTpapDevice, TpapTransport]> {
    dev = await new FakeTpapDevice(opts).start();
    t = transportFor(dev, password, now);
    return [dev, t];
  }

  it('SMART: logs in with "<e-mail>/<password>" and exchanges frames with increasing seq', async () => {
    const [d, tr] = await setup({ family: 'smart', credential: `me@example.com/${PASSWORD}`, startSeq: 2147483646 });
    assert.equal(tr.scheme, 'tpap');
    assert.equal(tr.family, 'smart');
    assert.equal(tr.hasSession, false);
    await tr.login();
    assert.equal(tr.hasSession, true);
    assert.equal(d.registers.length, 1);
    assert.equal(d.registers[0]!['username'], md5HexLower('admin'));
    assert.equal(d.registers[0]!['passcode_type'], 'userpw');
    const r1 = await tr.send({ method: 'get_device_info' });
    assert.deepEqual(r1, { error_code: 0, result: { echo: { method: 'get_device_info' } } });
    await tr.send({ method: 'set_device_info', params: { device_on: true } });
    await tr.send({ method: 'get_device_info' });
    assert.deepEqual(d.dsSeqs, [2147483646, 2147483647, -2147483648]);
    assert.deepEqual(d.dsPlaintexts[1], { method: 'set_device_info', params: { device_on: true } });
    assert.deepEqual(d.dsContentTypes, ['application/octet-stream', 'application/octet-stream', 'application/octet-stream']);
  });

  it('camera: takes the SHA-256 passcode the register reply announces (password_shadow 5, C200) in one round, wraps and unwraps single requests', async () => {
    const [d, tr] = await setup({ family: 'camera', credential: C200_CREDENTIAL, extraCrypt: C200_SHADOW });
    await tr.login();
    assert.equal(d.registers.length, 1);
    assert.equal(d.shares.length, 1, 'one authentication try');
    const reply = await tr.send({ method: 'getLensMaskConfig', params: { lens_mask: { name: ['lens_mask_info'] } } });
    assert.deepEqual(d.dsPlaintexts[0], {
      method: 'multipleRequest',
      params: { requests: [{ method: 'getLensMaskConfig', params: { lens_mask: { name: ['lens_mask_info'] } } }] },
    });
    assert.deepEqual(reply, { error_code: 0, result: { echo: { lens_mask: { name: ['lens_mask_info'] } } } });
    const batch = { method: 'multipleRequest', params: { requests: [{ method: 'getDeviceInfo', params: {} }, { method: 'getLedStatus', params: {} }] } };
    const many = await tr.send(batch);
    assert.deepEqual(d.dsPlaintexts[1], batch);
    assert.equal(((many['result'] as Json)['responses'] as Json[]).length, 2);
  });

  it("camera: a style-B get/set/do object is refused before sending with the camera's own -40209", async () => {
    const [d, tr] = await setup({ family: 'camera', credential: md5HexLower(PASSWORD) });
    await tr.login();
    const styleB: JsonObject[] = [
      { method: 'get', lens_mask: { name: ['lens_mask_info'] } },
      { method: 'set', msg_alarm: { chn1_msg_alarm_info: { enabled: 'on' } } },
      { method: 'do', msg_alarm: { manual_msg_alarm: { action: 'start' } } },
    ];
    for (const req of styleB) {
      const e = await rejects(tr.send(req));
      assert.equal(e.kind, 'Unsupported');
      assert.equal(e.code, -40209);
      assert.equal(e.sent, false);
      assert.match(e.message, /named methods/);
    }
    assert.equal(d.dsSeqs.length, 0);
    // The refusal used up no seq and kept the session: the next named request goes out as the first.
    await tr.send({ method: 'getLensMaskConfig', params: { lens_mask: { name: ['lens_mask_info'] } } });
    assert.equal(d.dsSeqs.length, 1);
    assert.equal(tr.hasSession, true);
  });

  it('decrypts a reply with the seq prefix of the reply', async () => {
    const [, tr] = await setup({ family: 'smart', credential: `me@example.com/${PASSWORD}`, replySeqOffset: 7 });
    await tr.login();
    assert.equal(((await tr.send({ method: 'x' }))['error_code']), 0);
  });

  for (const c of [
    { name: 'no extra_crypt (C510W)', opts: { credential: md5HexLower(PASSWORD) } },
    { name: 'password_shadow 5 (C200)', opts: { credential: C200_CREDENTIAL, extraCrypt: C200_SHADOW } },
    { name: 'user_hash_type 1 (form not settled)', opts: { credential: md5HexLower(PASSWORD), discoverReply: HASH_TYPE_1 } },
  ]) {
    it(`camera, ${c.name}: a wrong password is Authentication after exactly one register/share round per login`, async () => {
      const [d, tr] = await setup({ family: 'camera', ...c.opts }, 'wrong-password');
      for (let login = 1; login <= 3; login++) {
        const e = await rejects(tr.login());
        assert.equal(e.kind, 'Authentication');
        assert.match(e.hint ?? '', /password/);
        assert.equal(d.registers.length, login);
        assert.equal(d.shares.length, login, 'one authentication try per login');
        assert.equal(tr.hasSession, false);
        assertNoSecrets(e, 'wrong-password', md5HexLower('wrong-password'), sha256HexUpper('wrong-password'));
      }
    });
  }

  it('camera without extra_crypt: the MD5 form is settled, the SHA-256 form is never sent', async () => {
    // A device that (against every report) wants SHA-256 without announcing it is refused every time.
    const [d, tr] = await setup({ family: 'camera', credential: sha256HexUpper(PASSWORD) });
    for (let login = 1; login <= 3; login++) assert.equal((await rejects(tr.login())).kind, 'Authentication');
    assert.equal(d.shares.length, 3);
    assert.equal(tr.hasSession, false);
  });

  it('camera, form not settled (user_hash_type 1): one form per login, the other one on the next login', async () => {
    const [d, tr] = await setup({ family: 'camera', credential: md5HexLower(PASSWORD), discoverReply: HASH_TYPE_1 });
    const first = await rejects(tr.login());
    assert.equal(first.kind, 'Authentication');
    assert.match(first.message, /SHA-256/);
    assert.equal(d.shares.length, 1);
    await tr.login();
    assert.equal(d.shares.length, 2);
    assert.equal(tr.hasSession, true);
    // The form that worked stays: a later full login sends it again in one round.
    tr.reset();
    await tr.login();
    assert.equal(d.shares.length, 3);
    assert.equal(tr.hasSession, true);
  });

  it('SMART offering several passcode types: one type, one round', async () => {
    const [d, tr] = await setup(
      {
        family: 'smart',
        credential: 'me@example.com/wrong',
        discoverReply: { error_code: 0, result: { mac: 'AA-BB-CC-DD-EE-FF', tpap: { tls: 0, pake: [2, 0, 3] } } },
      },
      'not-it',
    );
    assert.equal((await rejects(tr.login())).kind, 'Authentication');
    assert.deepEqual(d.registers.map((r) => r['passcode_type']), ['userpw']);
    assert.equal(d.shares.length, 1);
  });

  it('stops at the first lockout code and reports the seconds left', async () => {
    const [d, tr] = await setup({
      family: 'camera',
      credential: 'x',
      shareReply: { error_code: -40404, result: { data: { code: -40404, sec_left: 1200 } } },
    });
    const e = await rejects(tr.login());
    assert.equal(e.kind, 'Locked');
    assert.equal(e.secondsLeft, 1200);
    assert.equal(d.registers.length, 1);
    assert.equal(d.shares.length, 1);
  });

  it('a lockout at register (nested data.code) also stops at once', async () => {
    const [d, tr] = await setup({ family: 'camera', credential: 'x', registerReply: { error_code: -40401, data: { code: -40404, sec_left: 30 } } });
    const e = await rejects(tr.login());
    assert.equal(e.kind, 'Locked');
    assert.equal(e.secondsLeft, 30);
    assert.equal(d.registers.length, 1);
    assert.equal(d.shares.length, 0);
  });

  it('-40209 at pake_register is an Authentication error about the user name', async () => {
    const [d, tr] = await setup({ family: 'smart', credential: 'x', registerReply: { error_code: -40209 } });
    const e = await rejects(tr.login());
    assert.equal(e.kind, 'Authentication');
    assert.equal(e.code, -40209);
    assert.match(e.message, /user name/);
    assert.equal(d.shares.length, 0);
  });

  it('tpap_preferred: false is Unsupported and suggests KLAP', async () => {
    const [d, tr] = await setup({
      family: 'smart',
      credential: 'x',
      discoverReply: { result: { sub_method: 'discover', tpap_preferred: false }, error_code: 0 },
    });
    const e = await rejects(tr.login());
    assert.equal(e.kind, 'Unsupported');
    assert.equal(e.suggestedScheme, 'klap');
    assert.equal(d.registers.length, 0);
  });

  it('a discover refused with an error code falls back to the defaults', async () => {
    const [d, tr] = await setup({ family: 'camera', credential: md5HexLower(PASSWORD), discoverReply: { error_code: -40210 } });
    await tr.login();
    assert.equal(d.registers[0]!['username'], md5HexLower('admin'));
    assert.equal(tr.hasSession, true);
  });

  it('user_hash_type 1 sends SHA256_HEX_UPPER("admin")', async () => {
    const [d, tr] = await setup({
      family: 'smart',
      credential: `me@example.com/${PASSWORD}`,
      discoverReply: { error_code: 0, result: { tpap: { tls: 0, pake: [2], user_hash_type: 1 } } },
    });
    await tr.login();
    assert.equal(d.registers[0]!['username'], sha256HexUpper('admin'));
  });

  it('a wrong dev_confirm aborts the login after one round', async () => {
    const [d, tr] = await setup({ family: 'camera', credential: md5HexLower(PASSWORD), badDevConfirm: true });
    const e = await rejects(tr.login());
    assert.equal(e.kind, 'Authentication');
    assert.match(e.message, /dev_confirm/);
    assert.equal(d.shares.length, 1);
    assert.equal(tr.hasSession, false);
  });

  it('/ds refusals: -40401 and -2203 end the session, others keep it; failed requests use up a seq', async () => {
    const [d, tr] = await setup({ family: 'smart', credential: `me@example.com/${PASSWORD}` });
    await tr.login();
    d.dsRefusals.push(-1008);
    const bad = await rejects(tr.send({ method: 'set_device_info', params: { nope: 1 } }));
    assert.equal(bad.kind, 'Input');
    assert.equal(bad.code, -1008);
    assert.equal(tr.hasSession, true);
    await tr.send({ method: 'get_device_info' });
    assert.deepEqual(d.dsSeqs, [1000, 1001]);

    d.dsRefusals.push(-2203);
    const expired = await rejects(tr.send({ method: 'get_device_info' }));
    assert.equal(expired.kind, 'SessionExpired');
    assert.equal(expired.code, -2203);
    assert.equal(tr.hasSession, false);
    assertNoSecrets(expired, d.stok, PASSWORD);
    const none = await rejects(tr.send({ method: 'get_device_info' }));
    assert.equal(none.kind, 'SessionExpired');
    assert.equal(none.sent, false);

    await tr.login();
    d.dsRefusals.push(-40401);
    assert.equal((await rejects(tr.send({ method: 'get_device_info' }))).kind, 'SessionExpired');
    assert.equal(tr.hasSession, false);
  });

  it('hasSession turns false 60 s before the announced expiry (injected clock)', async () => {
    let now = 5_000;
    const [, tr] = await setup({ family: 'smart', credential: `me@example.com/${PASSWORD}`, expired: 600 }, PASSWORD, () => now);
    await tr.login();
    now += 539_000;
    assert.equal(tr.hasSession, true);
    now += 2_000;
    assert.equal(tr.hasSession, false);
    tr.reset();
    now = 5_000;
    assert.equal(tr.hasSession, false);
  });

  it('a session shorter than 2 minutes is refreshed at half its lifetime, not on every request', async () => {
    let now = 5_000;
    const [d, tr] = await setup({ family: 'smart', credential: `me@example.com/${PASSWORD}`, expired: 30 }, PASSWORD, () => now);
    await tr.login();
    assert.equal(tr.hasSession, true);
    now += 14_999;
    assert.equal(tr.hasSession, true);
    now += 1;
    assert.equal(tr.hasSession, false);
    await tr.login();
    assert.equal(d.shares.length, 2);
    assert.equal(tr.hasSession, true);
  });

  it('a refresh before the expiry repeats only the passcode that worked', async () => {
    let now = 5_000;
    // The form is not settled and the device takes the less likely one (MD5): the first login is
    // refused, the second one gets in.
    const [d, tr] = await setup(
      { family: 'camera', credential: md5HexLower(PASSWORD), discoverReply: HASH_TYPE_1, expired: 600 },
      PASSWORD,
      () => now,
    );
    assert.equal((await rejects(tr.login())).kind, 'Authentication');
    await tr.login();
    assert.equal(d.shares.length, 2);
    now += 545_000;
    assert.equal(tr.hasSession, false);
    await tr.login();
    assert.equal(d.registers.length, 3, 'one register/share round');
    assert.equal(d.shares.length, 3);
    assert.equal(tr.hasSession, true);
    await tr.send({ method: 'getDeviceInfo', params: {} });
    // The fake now holds only the new session's keys: the request went out under them.
    assert.deepEqual(d.dsSeqs, [1000]);
  });

  it('a refresh refused with -40401 while the session lives keeps that session and is not repeated (C200)', async () => {
    let now = 5_000;
    const [d, tr] = await setup(
      { family: 'camera', credential: md5HexLower(PASSWORD), expired: 600, refuseLoginWhileSession: true },
      PASSWORD,
      () => now,
    );
    await tr.login();
    await tr.send({ method: 'getDeviceInfo', params: {} });
    now += 545_000;
    assert.equal(tr.hasSession, false);
    // Not a wrong password: the same credential opened the live session.
    await tr.login();
    assert.equal(d.shares.length, 2, 'one refused share, no second passcode');
    assert.equal(tr.hasSession, true);
    await tr.send({ method: 'getDeviceInfo', params: {} });
    assert.deepEqual(d.dsSeqs, [1000, 1001], 'the old session goes on');
    // No new refresh while it lives, even if asked.
    now += 10_000;
    assert.equal(tr.hasSession, true);
    await tr.login();
    assert.equal(d.shares.length, 2);
    // It ends at the announced expiry.
    now += 45_000;
    assert.equal(tr.hasSession, false);
  });

  it('a /ds reply whose seq begins with 0x7B ("{") is decrypted, not taken for a JSON refusal', async () => {
    const [d, tr] = await setup({ family: 'smart', credential: `me@example.com/${PASSWORD}`, startSeq: 0x7b000000 });
    await tr.login();
    const reply = await tr.send({ method: 'get_device_info' });
    assert.deepEqual(reply, { error_code: 0, result: { echo: { method: 'get_device_info' } } });
    assert.deepEqual(d.dsSeqs, [0x7b000000]);
    assert.deepEqual(d.dsReplyFirstBytes, [0x7b]);
    assert.equal(tr.hasSession, true);
  });

  describe("discover's tls and port choose where the session goes (no port configured)", () => {
    /** Sends requests for `from` (the default port, which tests cannot bind) to `to`, and records every URL. */
    function redirect(tr: TpapTransport, from: string, to: string): string[] {
      const urls: string[] = [];
      const client = (tr as unknown as { http: HttpClient }).http;
      const request = client.request.bind(client);
      client.request = (url: string, options?: HttpRequestOptions): Promise<HttpResponse> => {
        urls.push(url);
        return request(url.startsWith(from) ? to + url.slice(from.length) : url, options);
      };
      return urls;
    }

    it('camera, tls 0: plain HTTP on the announced port', async () => {
      dev = await new FakeTpapDevice({ family: 'camera', credential: md5HexLower(PASSWORD), tls: false }).start();
      const p = dev.port;
      dev.opts.discoverReply = { error_code: 0, result: { tpap: { tls: 0, port: p, dac: false, pake: [2] } } };
      t = new TpapTransport({ host: '127.0.0.1', family: 'camera', credentials: { username: 'admin', password: PASSWORD } });
      const urls = redirect(t, 'https://127.0.0.1:443', `http://127.0.0.1:${p}`);
      await t.login();
      await t.send({ method: 'getDeviceInfo', params: {} });
      assert.deepEqual(urls, [
        'https://127.0.0.1:443/',
        `http://127.0.0.1:${p}/`,
        `http://127.0.0.1:${p}/`,
        `http://127.0.0.1:${p}/stok=${dev.stok}/ds`,
      ]);
    });

    it('SMART, tls 1: HTTPS on the announced port', async () => {
      dev = await new FakeTpapDevice({ family: 'smart', credential: `me@example.com/${PASSWORD}`, tls: true }).start();
      const p = dev.port;
      dev.opts.discoverReply = { error_code: 0, result: { tpap: { tls: 1, port: p, dac: false, pake: [2] } } };
      t = new TpapTransport({ host: '127.0.0.1', family: 'smart', credentials: { username: 'me@example.com', password: PASSWORD } });
      const urls = redirect(t, 'http://127.0.0.1:80', `https://127.0.0.1:${p}`);
      await t.login();
      await t.send({ method: 'get_device_info' });
      assert.deepEqual(urls, [
        'http://127.0.0.1:80/',
        `https://127.0.0.1:${p}/`,
        `https://127.0.0.1:${p}/`,
        `https://127.0.0.1:${p}/stok=${dev.stok}/ds`,
      ]);
    });
  });

  it('dac_nonce (32 random bytes) goes with pake_share only when tls is 0 and dac is offered', async () => {
    const cases: Array<{ tls: number; dac: boolean; nonce: boolean }> = [
      { tls: 0, dac: true, nonce: true },
      { tls: 1, dac: true, nonce: false },
      { tls: 2, dac: true, nonce: false },
      { tls: 0, dac: false, nonce: false },
    ];
    for (const c of cases) {
      const d = await new FakeTpapDevice({
        family: 'smart',
        credential: `me@example.com/${PASSWORD}`,
        discoverReply: { error_code: 0, result: { tpap: { tls: c.tls, dac: c.dac, pake: [2] } } },
      }).start();
      const tr = transportFor(d);
      try {
        await tr.login();
        const nonce = d.shares[0]!['dac_nonce'];
        if (c.nonce) {
          assert.equal(typeof nonce, 'string', JSON.stringify(c));
          assert.equal(Buffer.from(nonce as string, 'base64').length, 32);
        } else {
          assert.equal(nonce, undefined, JSON.stringify(c));
        }
      } finally {
        await tr.close();
        await d.stop();
      }
    }
  });

  it('SMART pake [5]: userpw with the password ("<e-mail>/<password>" credential)', async () => {
    const [d, tr] = await setup({
      family: 'smart',
      credential: `me@example.com/${PASSWORD}`,
      discoverReply: { error_code: 0, result: { tpap: { tls: 0, dac: false, pake: [5] } } },
    });
    await tr.login();
    assert.equal(d.registers.length, 1);
    assert.equal(d.registers[0]!['passcode_type'], 'userpw');
    assert.equal(tr.hasSession, true);
    assert.equal((await tr.send({ method: 'get_device_info' }))['error_code'], 0);
  });

  it('an endpoint that is not TPAP (HTTP 404 on discover) is Unsupported', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const tr = new TpapTransport({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, credentials: { username: 'u', password: 'p' } });
    try {
      const e = await rejects(tr.login());
      assert.equal(e.kind, 'Unsupported');
      assert.equal(e.httpStatus, 404);
    } finally {
      await tr.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
