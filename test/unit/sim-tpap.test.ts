/**
 * The simulator's TPAP device side: its own P-256 / SPAKE2+ / CCM code against the known-answer
 * vectors (../shared/protocol/vectors.json → tpap), then TpapSchemeServer.handle() driven with
 * SimRequest objects by a small SPAKE2+ prover written here (tpap.md §5, the prover's half).
 */

import { strict as assert } from 'node:assert';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import sinon from 'sinon';

import { TpapSchemeServer, type TpapSchemeOptions } from '../../src/simulator/schemes/tpap';
import {
  P256_G,
  SPAKE_M,
  SPAKE_N,
  type Point,
  type SessionKeys,
  bytesToBigInt,
  confirmMac,
  confirmationKeys,
  contextHash,
  decodePoint,
  deriveScalars,
  deviceShare,
  encodePoint,
  isOnCurve,
  makeVerifier,
  md5HexLower,
  mulAdd,
  openFrame,
  pointAdd,
  pointMul,
  pointNeg,
  sealFrame,
  sessionKeys,
  sha256CryptDefault,
  sha256HexUpper,
  transcript,
  verifierSecrets,
} from '../../src/simulator/schemes/tpap-math';
import { defaultFaults } from '../../src/simulator/control';
import type {
  DeviceLogic,
  LoginGuard,
  SchemeContext,
  SimFamily,
  SimFaults,
  SimJsonObject,
  SimRequest,
  SimResponse,
} from '../../src/simulator/types';

interface TpapVector {
  inputs: {
    camera_password: string;
    user_random_b64: string;
    dev_random_b64: string;
    dev_salt_b64: string;
    iterations: number;
    client_scalar_x_hex: string;
    device_scalar_y_hex: string;
    start_seq: number;
  };
  username_md5_admin: string;
  username_sha256_upper_admin: string;
  credential_md5_hex_lower: string;
  w0_hex: string;
  w1_hex: string;
  M_uncompressed_hex: string;
  N_uncompressed_hex: string;
  user_share_X_uncompressed_hex: string;
  dev_share_Y_uncompressed_hex: string;
  dev_share_b64: string;
  verifier_L_uncompressed_hex: string;
  Z_uncompressed_hex: string;
  V_uncompressed_hex: string;
  context_hash_hex: string;
  transcript_hex: string;
  Ke_hex: string;
  KcA_hex: string;
  KcB_hex: string;
  shared_key_hex: string;
  user_confirm_b64: string;
  dev_confirm_b64: string;
  session_key_hex: string;
  session_base_nonce_hex: string;
  pake_register_request_body: string;
  pake_register_response_body: string;
  pake_share_request_body: string;
  pake_share_response_body: string;
  ds_request: {
    url_path: string;
    inner_plaintext: string;
    seq: number;
    ccm_nonce_hex: string;
    http_body_hex: string;
  };
}

const V: TpapVector = (
  JSON.parse(readFileSync(resolve(__dirname, '../vectors/vectors.json'), 'utf8')) as {
    tpap: TpapVector;
  }
).tpap;

const hex = (b: Buffer): string => b.toString('hex');
const pt = (p: Point): string => hex(encodePoint(p));
const big = (h: string): bigint => BigInt(`0x${h}`);

// ---------------------------------------------------------------------------------------------
// Test scaffolding: a manual clock, a guard, an echoing logic, a context.

class TestClock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

/** Locks after `threshold` failures for `lockSeconds` on the test clock. */
class TestGuard implements LoginGuard {
  failures = 0;
  private lockedUntil = 0;
  constructor(
    private readonly clock: TestClock,
    private readonly threshold = 3,
    private readonly lockSeconds = 1800,
  ) {}
  lockedSecondsLeft(): number {
    return Math.max(0, Math.ceil((this.lockedUntil - this.clock.now()) / 1000));
  }
  recordFailure(): void {
    this.failures++;
    if (this.failures >= this.threshold) this.lockedUntil = this.clock.now() + this.lockSeconds * 1000;
  }
  recordSuccess(): void {
    this.failures = 0;
  }
}

/** Echoes the request back inside a success envelope. */
class EchoLogic implements DeviceLogic {
  constructor(readonly family: SimFamily) {}
  handle(request: SimJsonObject): SimJsonObject {
    return { error_code: 0, result: { echo: request } };
  }
}

function faults(): SimFaults {
  return defaultFaults();
}

interface Rig {
  server: TpapSchemeServer;
  ctx: SchemeContext & { faults: SimFaults };
  clock: TestClock;
  guard: TestGuard;
  logic: EchoLogic;
}

const CAMERA_ACCOUNT = { username: 'admin', password: 'hunter2' };
const SMART_ACCOUNT = { username: 'user@example.com', password: 'hunter2' };

function rig(family: SimFamily, options: TpapSchemeOptions = {}, ttl = 3600): Rig {
  const clock = new TestClock();
  const guard = new TestGuard(clock);
  const logic = new EchoLogic(family);
  const ctx = {
    credentials: family === 'camera' ? CAMERA_ACCOUNT : SMART_ACCOUNT,
    logic,
    clock,
    faults: faults(),
    guard,
    mac: 'AA-BB-CC-DD-EE-FF',
    discovery: {},
    sessionTtlSeconds: ttl,
  };
  return { server: new TpapSchemeServer(family, { iterations: 1000, ...options }), ctx, clock, guard, logic };
}

function request(path: string, body: Buffer | string, headers: Record<string, string> = {}): SimRequest {
  return {
    method: 'POST',
    path,
    query: new URLSearchParams(),
    headers: { host: '127.0.0.1:44321', ...headers },
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    remoteAddress: '127.0.0.1',
  };
}

async function send(r: Rig, req: SimRequest): Promise<SimResponse> {
  return r.server.handle(req, r.ctx);
}

function bodyOf(res: SimResponse): Buffer {
  const b = res.body ?? '';
  return Buffer.isBuffer(b) ? b : Buffer.from(b, 'utf8');
}

function jsonOf(res: SimResponse): SimJsonObject {
  return JSON.parse(bodyOf(res).toString('utf8')) as SimJsonObject;
}

function resultOf(res: SimResponse): SimJsonObject {
  const j = jsonOf(res);
  assert.equal(j.error_code, 0, `unexpected reply ${JSON.stringify(j)}`);
  return j.result as SimJsonObject;
}

async function login(r: Rig, body: SimJsonObject): Promise<SimResponse> {
  return send(r, request('/', JSON.stringify({ method: 'login', params: body })));
}

// ---------------------------------------------------------------------------------------------
// The test-only prover (the client half of SPAKE2+, tpap.md §5).

interface ClientSession {
  stok: string;
  keys: SessionKeys;
  seq: number;
  expired: number;
}

async function proverLogin(r: Rig, credential: string, userName = md5HexLower('admin')): Promise<SimResponse & { session?: ClientSession }> {
  const userRandom = randomBytes(32);
  const reg = await login(r, {
    sub_method: 'pake_register',
    username: userName,
    user_random: userRandom.toString('base64'),
    cipher_suites: [1],
    encryption: ['aes_128_ccm'],
    passcode_type: 'userpw',
    stok: null,
  });
  const regJson = jsonOf(reg);
  if (regJson.error_code !== 0) return reg;
  const res = regJson.result as SimJsonObject;
  const devRandom = Buffer.from(res.dev_random as string, 'base64');
  const salt = Buffer.from(res.dev_salt as string, 'base64');
  const Y = decodePoint(Buffer.from(res.dev_share as string, 'base64'));
  const { w0, w1 } = deriveScalars(credential, salt, res.iterations as number);
  const x = bytesToBigInt(randomBytes(32)) + 1n;
  const X = mulAdd(x, w0, SPAKE_M);
  const unblinded = pointAdd(Y, pointNeg(pointMul(w0, SPAKE_N)));
  const Z = pointMul(x, unblinded);
  const Vp = pointMul(w1, unblinded);
  const keys = confirmationKeys(transcript({ context: contextHash(userRandom, devRandom), X, Y, Z, V: Vp, w0 }));
  const share = await login(r, {
    sub_method: 'pake_share',
    user_share: encodePoint(X).toString('base64'),
    user_confirm: confirmMac(keys.kcA, Y).toString('base64'),
  });
  const shareJson = jsonOf(share);
  if (shareJson.error_code !== 0) return share;
  const sr = shareJson.result as SimJsonObject;
  // The device must prove it knows the verifier too.
  assert.equal(sr.dev_confirm, createHmac('sha256', keys.kcB).update(encodePoint(X)).digest('base64'));
  return {
    ...share,
    session: {
      stok: sr.stok as string,
      keys: sessionKeys(keys.sharedKey),
      seq: sr.start_seq as number,
      expired: sr.expired as number,
    },
  };
}

async function loggedIn(r: Rig, credential: string): Promise<ClientSession> {
  const res = await proverLogin(r, credential);
  assert.ok(res.session, `login failed: ${bodyOf(res).toString()}`);
  return res.session;
}

/** Sends one encrypted request; returns the decrypted reply or the plain refusal. */
async function ds(
  r: Rig,
  s: ClientSession,
  payload: SimJsonObject,
  seq = s.seq,
): Promise<{ plain?: SimJsonObject; reply?: SimJsonObject; seq?: number }> {
  s.seq = (seq + 1) | 0;
  const res = await send(r, request(`/stok=${s.stok}/ds`, sealFrame(s.keys, seq, Buffer.from(JSON.stringify(payload)))));
  assert.equal(res.status, 200);
  const body = bodyOf(res);
  try {
    return { plain: JSON.parse(body.toString('utf8')) as SimJsonObject };
  } catch {
    const opened = openFrame(s.keys, body);
    return { reply: JSON.parse(opened.plaintext.toString('utf8')) as SimJsonObject, seq: opened.seq };
  }
}

const MULTI: SimJsonObject = {
  method: 'multipleRequest',
  params: { requests: [{ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } }] },
};

const CAMERA_CREDENTIAL = md5HexLower(CAMERA_ACCOUNT.password);
const SMART_CREDENTIAL = `${SMART_ACCOUNT.username}/${SMART_ACCOUNT.password}`;

// ---------------------------------------------------------------------------------------------

describe('simulator TPAP math (vectors.json → tpap)', () => {
  const salt = Buffer.from(V.inputs.dev_salt_b64, 'base64');
  const y = big(V.inputs.device_scalar_y_hex);
  const X = decodePoint(Buffer.from(V.user_share_X_uncompressed_hex, 'hex'));

  it('hashes the user name and the camera credential', () => {
    assert.equal(md5HexLower('admin'), V.username_md5_admin);
    assert.equal(sha256HexUpper('admin'), V.username_sha256_upper_admin);
    assert.equal(md5HexLower(V.inputs.camera_password), V.credential_md5_hex_lower);
  });

  it('decodes the RFC 9383 M and N and keeps G on the curve', () => {
    assert.equal(pt(SPAKE_M), V.M_uncompressed_hex);
    assert.equal(pt(SPAKE_N), V.N_uncompressed_hex);
    assert.ok(isOnCurve(P256_G));
    assert.equal(pointMul(big('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'), P256_G), null);
    assert.throws(() => decodePoint(Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)])), /not on P-256/);
  });

  it('derives w0, w1 and the verifier record L = w1·G', () => {
    const { w0, w1 } = deriveScalars(V.credential_md5_hex_lower, salt, V.inputs.iterations);
    assert.equal(w0.toString(16).padStart(64, '0'), V.w0_hex);
    assert.equal(w1.toString(16).padStart(64, '0'), V.w1_hex);
    assert.equal(pt(makeVerifier(V.credential_md5_hex_lower, salt, V.inputs.iterations).L), V.verifier_L_uncompressed_hex);
  });

  it('reproduces Y, Z, V, the transcript chain, both confirmations and the session keys', () => {
    const verifier = makeVerifier(V.credential_md5_hex_lower, salt, V.inputs.iterations);
    const Y = deviceShare(y, verifier.w0);
    assert.equal(pt(Y), V.dev_share_Y_uncompressed_hex);
    assert.equal(encodePoint(Y).toString('base64'), V.dev_share_b64);
    const { Z, V: Vd } = verifierSecrets(y, verifier, X);
    assert.equal(pt(Z), V.Z_uncompressed_hex);
    assert.equal(pt(Vd), V.V_uncompressed_hex);
    const context = contextHash(Buffer.from(V.inputs.user_random_b64, 'base64'), Buffer.from(V.inputs.dev_random_b64, 'base64'));
    assert.equal(hex(context), V.context_hash_hex);
    const tt = transcript({ context, X, Y, Z, V: Vd, w0: verifier.w0 });
    assert.equal(hex(tt), V.transcript_hex);
    const keys = confirmationKeys(tt);
    assert.equal(hex(keys.ke), V.Ke_hex);
    assert.equal(hex(keys.kcA), V.KcA_hex);
    assert.equal(hex(keys.kcB), V.KcB_hex);
    assert.equal(hex(keys.sharedKey), V.shared_key_hex);
    assert.equal(confirmMac(keys.kcA, Y).toString('base64'), V.user_confirm_b64);
    assert.equal(confirmMac(keys.kcB, X).toString('base64'), V.dev_confirm_b64);
    const session = sessionKeys(keys.sharedKey);
    assert.equal(hex(session.key), V.session_key_hex);
    assert.equal(hex(session.baseNonce), V.session_base_nonce_hex);
  });

  it('opens and re-seals the vector /ds frame', () => {
    const keys = { key: Buffer.from(V.session_key_hex, 'hex'), baseNonce: Buffer.from(V.session_base_nonce_hex, 'hex') };
    const frame = Buffer.from(V.ds_request.http_body_hex, 'hex');
    const opened = openFrame(keys, frame);
    assert.equal(opened.seq, V.ds_request.seq);
    assert.equal(opened.plaintext.toString('utf8'), V.ds_request.inner_plaintext);
    assert.equal(hex(sealFrame(keys, V.ds_request.seq, Buffer.from(V.ds_request.inner_plaintext))), V.ds_request.http_body_hex);
    const tampered = Buffer.from(frame);
    tampered[10] = (tampered[10] ?? 0) ^ 1;
    assert.throws(() => openFrame(keys, tampered));
  });

  // Expected values from `openssl passwd -5 -salt <salt> <key>` (an independent crypt implementation).
  it('SHA-256-crypt (the C200 passcode store) matches OpenSSL, salt cut to 16 characters', () => {
    assert.equal(sha256CryptDefault('Hello world!', 'saltstring'), '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5');
    assert.equal(sha256CryptDefault('hunter2', 'saltsaltsaltsalt'), '$5$saltsaltsaltsalt$LTm0e1epoLCOhH8WjaKAzYHFbzuOTFXssEJnxJiG5YC');
    assert.equal(
      sha256CryptDefault(sha256HexUpper('admin'), 'abcdefghijklmnopqrst'),
      '$5$abcdefghijklmnop$nKtxZiU2LTQU4ygiIc.vnPe.AWtNikCJ2Ij9zO5DQP8',
    );
  });

  it('agrees with the prover side for random scalars', () => {
    const { w0, w1 } = deriveScalars('user@example.com/pw', salt, 10);
    const verifier = makeVerifier('user@example.com/pw', salt, 10);
    const x = big(hex(randomBytes(31)));
    const yy = big(hex(randomBytes(31)));
    const Xr = mulAdd(x, w0, SPAKE_M);
    const Y = deviceShare(yy, w0);
    const unblinded = pointAdd(Y, pointNeg(pointMul(w0, SPAKE_N)));
    const dev = verifierSecrets(yy, verifier, Xr);
    assert.equal(pt(dev.Z), pt(pointMul(x, unblinded)));
    assert.equal(pt(dev.V), pt(pointMul(w1, unblinded)));
  });
});

describe('TpapSchemeServer (simulated TPAP device)', () => {
  afterEach(() => sinon.restore());

  describe('replaying the vector exchange byte for byte', () => {
    it('answers the four login bodies and the /ds frame of vectors.json', async () => {
      const r = rig('camera', {
        y: big(V.inputs.device_scalar_y_hex),
        salt: Buffer.from(V.inputs.dev_salt_b64, 'base64'),
        iterations: V.inputs.iterations,
        devRandom: Buffer.from(V.inputs.dev_random_b64, 'base64'),
        stok: 'tpapstok0123456789abcdef01234567',
        startSeq: V.inputs.start_seq,
      });
      const handle = sinon.spy(r.logic, 'handle');
      const reg = await send(r, request('/', V.pake_register_request_body));
      assert.equal(bodyOf(reg).toString(), V.pake_register_response_body);
      const share = await send(r, request('/', V.pake_share_request_body));
      assert.equal(bodyOf(share).toString(), V.pake_share_response_body);
      assert.equal(r.server.loginCount, 1);
      assert.equal(r.server.sessionCount(), 1);

      const res = await send(r, request(V.ds_request.url_path, Buffer.from(V.ds_request.http_body_hex, 'hex')));
      assert.equal(res.status, 200);
      assert.deepEqual(handle.firstCall.args[0], JSON.parse(V.ds_request.inner_plaintext));
      const keys = { key: Buffer.from(V.session_key_hex, 'hex'), baseNonce: Buffer.from(V.session_base_nonce_hex, 'hex') };
      const opened = openFrame(keys, bodyOf(res));
      assert.equal(opened.seq, V.ds_request.seq);
      assert.deepEqual(JSON.parse(opened.plaintext.toString()), {
        error_code: 0,
        result: { echo: JSON.parse(V.ds_request.inner_plaintext) },
      });
    });
  });

  describe('discover', () => {
    it('advertises TLS on cameras and the port the client used', async () => {
      const r = rig('camera');
      assert.deepEqual(jsonOf(await login(r, { sub_method: 'discover' })), {
        error_code: 0,
        result: { mac: 'AA-BB-CC-DD-EE-FF', tpap: { tls: 1, port: 44321, dac: false, pake: [2], user_hash_type: 0 } },
      });
    });

    it('advertises plain HTTP on SMART devices, port 80 without a Host port', async () => {
      const r = rig('smart');
      const res = await send(r, request('/', JSON.stringify({ method: 'login', params: { sub_method: 'discover' } }), { host: '127.0.0.1' }));
      assert.deepEqual((resultOf(res).tpap as SimJsonObject), { tls: 0, port: 80, dac: false, pake: [2], user_hash_type: 0 });
    });
  });

  describe('camera family', () => {
    it('logs in, serves a multipleRequest and keeps counting seq', async () => {
      const r = rig('camera');
      const handle = sinon.spy(r.logic, 'handle');
      const s = await loggedIn(r, CAMERA_CREDENTIAL);
      assert.ok(s.seq > 0 && s.seq <= 0x7fffffff);
      assert.equal(s.expired, 3600);
      const first = await ds(r, s, MULTI);
      assert.deepEqual(first.reply, { error_code: 0, result: { echo: MULTI } });
      assert.equal(first.seq, s.seq - 1);
      const second = await ds(r, s, MULTI, s.seq + 5);
      assert.deepEqual(second.reply, { error_code: 0, result: { echo: MULTI } });
      assert.equal(handle.callCount, 2);
      assert.equal(r.server.loginCount, 1);
    });

    it('accepts the SHA-256 user name form and refuses an e-mail with -40209', async () => {
      const r = rig('camera');
      assert.ok((await proverLogin(r, CAMERA_CREDENTIAL, sha256HexUpper('admin'))).session);
      const bad = await proverLogin(r, CAMERA_CREDENTIAL, 'user@example.com');
      assert.deepEqual(jsonOf(bad), { error_code: -40209 });
    });

    it('refuses a bare method with plain -40209 and keeps the session', async () => {
      const r = rig('camera');
      const s = await loggedIn(r, CAMERA_CREDENTIAL);
      assert.deepEqual((await ds(r, s, { method: 'getDeviceInfo', params: {} })).plain, { error_code: -40209 });
      assert.ok((await ds(r, s, MULTI)).reply);
    });

    it('drops the session on a replayed seq (-40401)', async () => {
      const r = rig('camera');
      const s = await loggedIn(r, CAMERA_CREDENTIAL);
      const start = s.seq;
      assert.ok((await ds(r, s, MULTI, start)).reply);
      assert.deepEqual((await ds(r, s, MULTI, start)).plain, { error_code: -40401 });
      assert.equal(r.server.sessionCount(), 0);
      assert.deepEqual((await ds(r, s, MULTI, start + 1)).plain, { error_code: -40401 });
    });

    it('drops the session on a frame that fails authentication', async () => {
      const r = rig('camera');
      const s = await loggedIn(r, CAMERA_CREDENTIAL);
      const frame = sealFrame(s.keys, s.seq, Buffer.from(JSON.stringify(MULTI)));
      frame[frame.length - 1] = (frame[frame.length - 1] ?? 0) ^ 0x80;
      assert.deepEqual(jsonOf(await send(r, request(`/stok=${s.stok}/ds`, frame))), { error_code: -40401 });
      assert.equal(r.server.sessionCount(), 0);
    });

    it('accepts seq wrapping from 0x7fffffff to -0x80000000', async () => {
      const r = rig('camera', { startSeq: 0x7fffffff });
      const s = await loggedIn(r, CAMERA_CREDENTIAL);
      assert.equal((await ds(r, s, MULTI)).seq, 0x7fffffff);
      assert.equal(s.seq, -0x80000000);
      assert.equal((await ds(r, s, MULTI)).seq, -0x80000000);
    });

    it('expires the session after `expired` seconds on the clock', async () => {
      const r = rig('camera', {}, 60);
      const s = await loggedIn(r, CAMERA_CREDENTIAL);
      assert.equal(s.expired, 60);
      r.clock.advance(59);
      assert.ok((await ds(r, s, MULTI)).reply);
      r.clock.advance(1);
      assert.deepEqual((await ds(r, s, MULTI)).plain, { error_code: -40401 });
      assert.equal(r.server.sessionCount(), 0);
    });

    it('expires the session after faults.expireAfterRequests', async () => {
      const r = rig('camera');
      r.ctx.faults.expireAfterRequests = 2;
      const s = await loggedIn(r, CAMERA_CREDENTIAL);
      assert.ok((await ds(r, s, MULTI)).reply);
      assert.ok((await ds(r, s, MULTI)).reply);
      assert.deepEqual((await ds(r, s, MULTI)).plain, { error_code: -40401 });
    });

    it('drops every session on expireSessions()', async () => {
      const r = rig('camera');
      const s = await loggedIn(r, CAMERA_CREDENTIAL);
      await loggedIn(r, CAMERA_CREDENTIAL);
      assert.equal(r.server.sessionCount(), 2);
      r.server.expireSessions();
      assert.equal(r.server.sessionCount(), 0);
      assert.deepEqual((await ds(r, s, MULTI)).plain, { error_code: -40401 });
    });

    it('refuses a percent-encoded stok with -40421', async () => {
      const r = rig('camera');
      const s = await loggedIn(r, CAMERA_CREDENTIAL);
      const frame = sealFrame(s.keys, s.seq, Buffer.from(JSON.stringify(MULTI)));
      const res = await send(r, request(`/stok=${s.stok.slice(0, 4)}%2F${s.stok.slice(4)}/ds`, frame));
      assert.deepEqual(jsonOf(res), { error_code: -40421 });
      assert.equal(r.server.sessionCount(), 1);
    });

    it("cameraPasscode 'sha256-crypt' (C200): announces password_shadow 5 and takes only sha256_crypt(SHA256_HEX_UPPER(password))", async () => {
      const r = rig('camera', { cameraPasscode: 'sha256-crypt', shadowSalt: 'c200saltc200salt' });
      const reg = resultOf(
        await login(r, { sub_method: 'pake_register', username: md5HexLower('admin'), user_random: randomBytes(32).toString('base64'), passcode_type: 'userpw' }),
      );
      assert.deepEqual(reg.extra_crypt, { type: 'password_shadow', params: { passwd_id: 5, passwd_prefix: '$5$c200saltc200salt$' } });
      assert.deepEqual(jsonOf(await proverLogin(r, CAMERA_CREDENTIAL)), { error_code: -40401 }, 'the MD5 passcode is refused');
      assert.deepEqual(jsonOf(await proverLogin(r, sha256HexUpper(CAMERA_ACCOUNT.password))), { error_code: -40401 }, 'so is the bare SHA-256');
      assert.equal(r.server.failedLoginCount, 2);
      assert.ok((await loggedIn(r, sha256CryptDefault(sha256HexUpper(CAMERA_ACCOUNT.password), 'c200saltc200salt'))).stok);
      assert.equal(r.server.loginCount, 1);
    });

    it('faults.loginStok: hands out that token, taken on /ds only in its encodeURIComponent spelling', async () => {
      const r = rig('camera');
      r.ctx.faults.loginStok = '../x/../y';
      const s = await loggedIn(r, CAMERA_CREDENTIAL);
      assert.equal(s.stok, '../x/../y');
      const frame = (): Buffer => sealFrame(s.keys, s.seq++, Buffer.from(JSON.stringify(MULTI)));
      const ok = await send(r, request(`/stok=${encodeURIComponent(s.stok)}/ds`, frame()));
      assert.equal(ok.status, 200);
      assert.equal(openFrame(s.keys, bodyOf(ok)).seq, s.seq - 1);
      // Another spelling of the same token is a percent-encoded stok the device does not take.
      assert.deepEqual(jsonOf(await send(r, request('/stok=%2E%2E%2Fx%2F..%2Fy/ds', frame()))), { error_code: -40421 });
      assert.equal(r.server.sessionCount(), 1);
    });

    it('answers a wrong password with -40401, counts it, then locks out without evaluating', async () => {
      const r = rig('camera');
      const failures = sinon.spy(r.guard, 'recordFailure');
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(jsonOf(await proverLogin(r, md5HexLower('wrong'))), { error_code: -40401 });
      }
      assert.equal(failures.callCount, 3);
      assert.equal(r.server.failedLoginCount, 3);
      assert.equal(r.server.loginCount, 0);
      assert.equal(r.server.sessionCount(), 0);
      const locked = jsonOf(await proverLogin(r, CAMERA_CREDENTIAL));
      assert.equal(locked.error_code, -40404);
      assert.equal((locked.result as SimJsonObject).sec_left, 1800);
      assert.equal(failures.callCount, 3);
      r.clock.advance(1800);
      assert.ok((await proverLogin(r, CAMERA_CREDENTIAL)).session);
      assert.equal(r.guard.failures, 0);
    });

    it('faults.refuseLoginWhileSession: refuses a new login with -40401 while a session lives (C200)', async () => {
      const r = rig('camera', {}, 600);
      const failures = sinon.spy(r.guard, 'recordFailure');
      r.ctx.faults.refuseLoginWhileSession = true;
      const s = await loggedIn(r, CAMERA_CREDENTIAL);
      r.clock.advance(590);
      assert.deepEqual(jsonOf(await proverLogin(r, CAMERA_CREDENTIAL)), { error_code: -40401 });
      assert.equal(failures.callCount, 1);
      assert.equal(r.server.refusedShareCount, 1);
      assert.equal(r.server.loginCount, 1);
      // The refusal leaves the live session alone.
      assert.ok((await ds(r, s, MULTI)).reply);
      // Once the session has expired, the same credential logs in again.
      r.clock.advance(10);
      assert.ok((await proverLogin(r, CAMERA_CREDENTIAL)).session);
      assert.equal(r.server.loginCount, 2);
      assert.equal(r.server.refusedShareCount, 1);
    });

    it('refuses a share whose register never happened with -40409', async () => {
      const r = rig('camera');
      const res = await login(r, { sub_method: 'pake_share', user_share: V.dev_share_b64, user_confirm: V.user_confirm_b64 });
      assert.deepEqual(jsonOf(res), { error_code: -40409 });
    });

    it('answers v3 and legacy logins with -40211 (TPAP-only firmware)', async () => {
      const r = rig('camera');
      const v3 = await login(r, { cnonce: '0123456789ABCDEF', encrypt_type: '3', username: 'admin' });
      assert.deepEqual(jsonOf(v3), { error_code: -40211 });
      const legacy = await login(r, { hashed: true, password: md5HexLower('hunter2'), username: 'admin' });
      assert.deepEqual(jsonOf(legacy), { error_code: -40211 });
    });
  });

  describe('smart family', () => {
    it('logs in with "<e-mail>/<password>" and passes a bare SMART request to the logic', async () => {
      const r = rig('smart');
      const s = await loggedIn(r, SMART_CREDENTIAL);
      const reply = await ds(r, s, { method: 'get_device_info' });
      assert.deepEqual(reply.reply, { error_code: 0, result: { echo: { method: 'get_device_info' } } });
    });

    it('refuses the camera credential form', async () => {
      const r = rig('smart');
      assert.deepEqual(jsonOf(await proverLogin(r, CAMERA_CREDENTIAL)), { error_code: -40401 });
    });

    it('answers an expired or unknown session with plain -2203', async () => {
      const r = rig('smart', {}, 10);
      const s = await loggedIn(r, SMART_CREDENTIAL);
      r.clock.advance(10);
      assert.deepEqual((await ds(r, s, { method: 'get_device_info' })).plain, { error_code: -2203 });
      const unknown = { ...s, stok: 'nosuchstok' };
      assert.deepEqual((await ds(r, unknown, { method: 'get_device_info' })).plain, { error_code: -2203 });
    });

    it('answers codes forced for discover, pake_register, pake_share or login (both pake steps), uncounted', async () => {
      const r = rig('smart');
      const failures = sinon.spy(r.guard, 'recordFailure');
      r.ctx.faults.methodErrors = { discover: -1002 };
      assert.deepEqual(jsonOf(await login(r, { sub_method: 'discover' })), { error_code: -1002 });
      r.ctx.faults.methodErrors = { pake_register: -40209 };
      assert.deepEqual(jsonOf(await proverLogin(r, SMART_CREDENTIAL)), { error_code: -40209 });
      // `login` covers both pake steps but leaves discovery alone.
      r.ctx.faults.methodErrors = { login: -40404 };
      assert.equal(jsonOf(await login(r, { sub_method: 'discover' })).error_code, 0);
      assert.deepEqual(jsonOf(await proverLogin(r, SMART_CREDENTIAL)), { error_code: -40404 });
      // Forced on the share only: the register goes through, the share gets the code.
      r.ctx.faults.methodErrors = { pake_share: -40401 };
      assert.deepEqual(jsonOf(await proverLogin(r, SMART_CREDENTIAL)), { error_code: -40401 });
      assert.equal(failures.callCount, 0);
      assert.equal(r.server.refusedShareCount, 0);
      assert.equal(r.server.loginCount, 0);
      assert.equal(r.server.sessionCount(), 0);
      r.ctx.faults.methodErrors = {};
      assert.ok((await proverLogin(r, SMART_CREDENTIAL)).session);
      assert.equal(r.server.loginCount, 1);
    });

    it('answers KLAP with 403 and the old /app JSON with 1003', async () => {
      const r = rig('smart');
      assert.equal((await send(r, request('/app/handshake1', randomBytes(16)))).status, 403);
      const aes = await send(r, request('/app', JSON.stringify({ method: 'handshake', params: { key: 'x' } })));
      assert.equal(aes.status, 200);
      assert.deepEqual(jsonOf(aes), { error_code: 1003 });
    });
  });
});
