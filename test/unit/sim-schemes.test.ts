/**
 * The simulator's scheme servers (KLAP v2/v1, passthrough, camera secure and legacy) driven with
 * SimRequest objects: their formulas against ../shared/protocol/vectors.json (the randoms are fixed
 * to the vectors' values, so whole bodies must match byte for byte) and the behaviours clients
 * trip over. Independent of src/protocol: the client side below is written with node:crypto.
 */
import { strict as assert } from 'node:assert';
import { constants, createCipheriv, createDecipheriv, createHash, privateDecrypt, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { defaultFaults } from '../../src/simulator/control';
import { SimLoginGuard } from '../../src/simulator/guard';
import {
  CameraLegacySchemeServer,
  CameraSecureSchemeServer,
  cameraDeviceConfirm,
  cameraDigestPasswd,
  cameraPwdHash,
  cameraSessionKeys,
  cameraTag,
} from '../../src/simulator/schemes/camera';
import {
  KlapSchemeServer,
  klapAuthHash,
  klapClientHash,
  klapServerHash,
  klapSessionKeys,
  klapSignature,
  type KlapVersion,
} from '../../src/simulator/schemes/klap';
import { PassthroughSchemeServer, passthroughPasswords, passthroughUsername } from '../../src/simulator/schemes/passthrough';
import type { SchemeContext, SimFaults, SimJsonObject, SimRequest, SimResponse } from '../../src/simulator/types';

type Json = any;
const vectors: Json = JSON.parse(readFileSync(resolve(__dirname, '../vectors/vectors.json'), 'utf8'));
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

class TestClock {
  constructor(public ms = 1_700_000_000_000) {}
  now(): number {
    return this.ms;
  }
}

interface Harness {
  ctx: SchemeContext;
  clock: TestClock;
  faults: SimFaults;
  guard: SimLoginGuard;
  seen: SimJsonObject[];
  setReply(reply: SimJsonObject): void;
}

function harness(username: string, password: string, options: { threshold?: number } = {}): Harness {
  const clock = new TestClock();
  const faults = defaultFaults();
  const guard = new SimLoginGuard({ clock, threshold: options.threshold ?? 5, lockoutSeconds: 1800 });
  const seen: SimJsonObject[] = [];
  let reply: SimJsonObject = { error_code: 0 };
  const ctx: SchemeContext = {
    credentials: { username, password },
    logic: {
      family: 'smart',
      handle: (request) => {
        seen.push(request);
        return reply;
      },
    },
    clock,
    faults,
    guard,
    mac: '00-11-22-33-44-55',
    discovery: {},
    sessionTtlSeconds: 3600,
  };
  return { ctx, clock, faults, guard, seen, setReply: (r) => (reply = r) };
}

function req(path: string, body: Buffer | string, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1'): SimRequest {
  const q = path.indexOf('?');
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return {
    method: 'POST',
    path: q < 0 ? path : path.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : path.slice(q + 1)),
    headers: { 'content-length': String(bytes.length), ...headers },
    body: bytes,
    remoteAddress,
  };
}

function bodyOf(res: SimResponse): Buffer {
  if (res.body === undefined) return Buffer.alloc(0);
  return Buffer.isBuffer(res.body) ? res.body : Buffer.from(res.body, 'utf8');
}

const jsonOf = (res: SimResponse): Json => JSON.parse(bodyOf(res).toString('utf8'));

/** A random source that hands out the given buffers first, then real randomness. */
function scripted(...values: Buffer[]): (size: number) => Buffer {
  return (size) => {
    const next = values.shift();
    if (next === undefined) return randomBytes(size);
    assert.equal(next.length, size, 'scripted random of the wrong size');
    return next;
  };
}

describe('simulator KLAP server', () => {
  for (const [version, key] of [
    [2, 'klap_v2'],
    [1, 'klap_v1'],
  ] as [KlapVersion, string][]) {
    const v = vectors[key];
    const local = hex(v.inputs.local_seed_hex);
    const remote = hex(v.inputs.remote_seed_hex);

    describe(`v${version}`, () => {
      it('derives the vector auth hash, handshake hashes and session keys', () => {
        const auth = klapAuthHash(version, v.inputs.username, v.inputs.password);
        assert.equal(auth.toString('hex'), v.auth_hash_hex);
        assert.equal(klapServerHash(version, local, remote, auth).toString('hex'), v.handshake1_server_hash_hex);
        assert.equal(klapClientHash(version, local, remote, auth).toString('hex'), v.handshake2_request_body_hex);
        const keys = klapSessionKeys(local, remote, auth);
        assert.equal(keys.key.toString('hex'), v.key_hex);
        assert.equal(keys.ivPrefix.toString('hex'), v.iv_prefix_12_hex);
        assert.equal(keys.initialSeq, v.initial_seq_int32);
        assert.equal(keys.sigPrefix.toString('hex'), v.sig_prefix_28_hex);
        const r0 = v.requests[0];
        assert.equal(klapSignature(keys, r0.seq, hex(r0.ciphertext_hex)).toString('hex'), r0.signature_hex);
      });

      it('replays the vector exchange byte for byte and runs the decrypted command', () => {
        const h = harness(v.inputs.username, v.inputs.password);
        const server = new KlapSchemeServer(version, { random: scripted(remote, hex('0123456789abcdef0123456789abcdef')) });
        const hs1 = server.handle(req('/app/handshake1', local), h.ctx) as SimResponse;
        assert.equal(hs1.status, 200);
        assert.equal(bodyOf(hs1).toString('hex'), v.handshake1_response_body_hex);
        assert.equal(hs1.headers?.['set-cookie'], 'TP_SESSIONID=0123456789ABCDEF0123456789ABCDEF;TIMEOUT=3600');
        const cookie = { cookie: 'TP_SESSIONID=0123456789ABCDEF0123456789ABCDEF' };
        const hs2 = server.handle(req('/app/handshake2', hex(v.handshake2_request_body_hex), cookie), h.ctx) as SimResponse;
        assert.equal(hs2.status, 200);
        assert.equal(server.loginCount, 1);

        h.setReply(JSON.parse(v.response_to_first_request.plaintext));
        const r0 = v.requests[0];
        const res = server.handle(req(r0.url_path, hex(r0.http_body_hex), cookie), h.ctx) as SimResponse;
        assert.equal(res.status, 200);
        assert.equal(bodyOf(res).toString('hex'), v.response_to_first_request.http_body_hex);
        assert.deepEqual(h.seen, [JSON.parse(r0.plaintext)]);

        const r1 = v.requests[1];
        assert.equal((server.handle(req(r1.url_path, hex(r1.http_body_hex), cookie), h.ctx) as SimResponse).status, 200);
        assert.deepEqual(h.seen[1], { method: 'set_device_info', params: { device_on: true } });
        // Replaying an older sequence number is refused.
        assert.equal((server.handle(req(r0.url_path, hex(r0.http_body_hex), cookie), h.ctx) as SimResponse).status, 403);
        assert.equal(h.seen.length, 2);
      });
    });
  }

  const v = vectors.klap_v2;
  const local = hex(v.inputs.local_seed_hex);
  const remote = hex(v.inputs.remote_seed_hex);
  const sid = hex('00000000000000000000000000000001');
  const cookie = { cookie: 'TP_SESSIONID=00000000000000000000000000000001' };

  function loggedIn(h: Harness): KlapSchemeServer {
    const server = new KlapSchemeServer(2, { random: scripted(remote, sid) });
    assert.equal((server.handle(req('/app/handshake1', local), h.ctx) as SimResponse).status, 200);
    assert.equal((server.handle(req('/app/handshake2', hex(v.handshake2_request_body_hex), cookie), h.ctx) as SimResponse).status, 200);
    return server;
  }

  function signedRequest(seq: number, plaintext: string): SimRequest {
    const keys = klapSessionKeys(local, remote, hex(v.auth_hash_hex));
    const iv = Buffer.alloc(16);
    keys.ivPrefix.copy(iv);
    iv.writeInt32BE(seq, 12);
    const c = createCipheriv('aes-128-cbc', keys.key, iv);
    const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    const sig = createHash('sha256').update(Buffer.concat([keys.sigPrefix, iv.subarray(12), ct])).digest();
    return req(`/app/request?seq=${seq}`, Buffer.concat([sig, ct]), cookie);
  }

  it('accepts sequence numbers that wrap past int32 max and refuses ones behind', () => {
    const h = harness(v.inputs.username, v.inputs.password);
    const server = loggedIn(h);
    let seq = v.initial_seq_int32 as number;
    for (let i = 0; i < 4; i += 1) {
      seq = (seq + 2 ** 30) | 0;
      assert.equal((server.handle(signedRequest(seq, '{"method":"get_device_info"}'), h.ctx) as SimResponse).status, 200, `seq ${seq}`);
    }
    assert.ok(seq < 0, 'the last accepted seq wrapped to a negative value');
    assert.equal((server.handle(signedRequest(2147483647, '{"method":"get_device_info"}'), h.ctx) as SimResponse).status, 403);
    assert.equal(h.seen.length, 4);
  });

  it('refuses a wrong handshake2 hash, an unknown cookie and a bad signature with 403', () => {
    const h = harness(v.inputs.username, v.inputs.password);
    const server = new KlapSchemeServer(2, { random: scripted(remote, sid) });
    server.handle(req('/app/handshake1', local), h.ctx);
    assert.equal((server.handle(req('/app/handshake2', Buffer.alloc(32), cookie), h.ctx) as SimResponse).status, 403);
    assert.equal(server.sessionCount(), 0);
    assert.equal((server.handle(req('/app/handshake2', hex(v.handshake2_request_body_hex), cookie), h.ctx) as SimResponse).status, 403);

    const good = loggedIn(h);
    const r0 = v.requests[0];
    const tampered = hex(r0.http_body_hex);
    tampered.writeUInt8(tampered.readUInt8(40) ^ 1, 40);
    assert.equal((good.handle(req(r0.url_path, tampered, cookie), h.ctx) as SimResponse).status, 403);
    const other = { cookie: 'TP_SESSIONID=FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF' };
    assert.equal((good.handle(req(r0.url_path, hex(r0.http_body_hex), other), h.ctx) as SimResponse).status, 403);
    assert.equal(h.seen.length, 0);
  });

  it('answers 403 on handshake1 when Third-Party Compatibility is off and 400 to a short seed', () => {
    const h = harness('a', 'b');
    const server = new KlapSchemeServer(2);
    assert.equal((server.handle(req('/app/handshake1', Buffer.alloc(15)), h.ctx) as SimResponse).status, 400);
    h.faults.thirdPartyOff = true;
    assert.equal((server.handle(req('/app/handshake1', local), h.ctx) as SimResponse).status, 403);
  });

  it('answers the legacy /app with 1003 and anything else with the 200 OK page', () => {
    const h = harness('a', 'b');
    const server = new KlapSchemeServer(2);
    assert.deepEqual(jsonOf(server.handle(req('/app', '{"method":"handshake","params":{}}'), h.ctx) as SimResponse), { error_code: 1003 });
    const page = server.handle({ ...req('/', ''), method: 'GET' }, h.ctx) as SimResponse;
    assert.equal(page.status, 200);
    assert.match(bodyOf(page).toString(), /200 OK/);
  });

  it('expires sessions after TIMEOUT on the clock and after expireAfterRequests', () => {
    const h = harness(v.inputs.username, v.inputs.password);
    let server = loggedIn(h);
    const base = v.initial_seq_int32 as number;
    h.clock.ms += 3599_000;
    assert.equal((server.handle(signedRequest(base + 1, '{"method":"a"}'), h.ctx) as SimResponse).status, 200);
    h.clock.ms += 1000;
    assert.equal((server.handle(signedRequest(base + 2, '{"method":"a"}'), h.ctx) as SimResponse).status, 403);
    assert.equal(server.sessionCount(), 0);

    server = loggedIn(h);
    h.faults.expireAfterRequests = 2;
    assert.equal((server.handle(signedRequest(base + 1, '{"method":"a"}'), h.ctx) as SimResponse).status, 200);
    assert.equal((server.handle(signedRequest(base + 2, '{"method":"a"}'), h.ctx) as SimResponse).status, 200);
    assert.equal((server.handle(signedRequest(base + 3, '{"method":"a"}'), h.ctx) as SimResponse).status, 403);
  });
});

describe('simulator passthrough server', () => {
  const v = vectors.aes_passthrough;
  const keyIv = hex(v.key_and_iv_32_bytes_hex);
  const key = keyIv.subarray(0, 16);
  const iv = keyIv.subarray(16);
  const sid = hex('0000000000000000000000000000abcd');
  const cookie = { cookie: 'TP_SESSIONID=0000000000000000000000000000ABCD' };
  const token = 'ABCDEF0123456789ABCDEF0123456789';

  const wrap = (plain: string): string => {
    const c = createCipheriv('aes-128-cbc', key, iv);
    return JSON.stringify({ method: 'securePassthrough', params: { request: Buffer.concat([c.update(plain, 'utf8'), c.final()]).toString('base64') } });
  };
  const unwrap = (res: SimResponse): Json => {
    const outer = jsonOf(res);
    assert.equal(outer.error_code, 0, JSON.stringify(outer));
    const d = createDecipheriv('aes-128-cbc', key, iv);
    return JSON.parse(Buffer.concat([d.update(Buffer.from(outer.result.response, 'base64')), d.final()]).toString('utf8'));
  };

  function handshaken(h: Harness): PassthroughSchemeServer {
    const server = new PassthroughSchemeServer({ random: scripted(keyIv, sid, hex(token)) });
    const res = server.handle(req('/app', v.rsa_handshake.handshake_request_body), h.ctx);
    const body = jsonOf(res);
    assert.equal(body.error_code, 0);
    assert.equal(res.headers?.['set-cookie'], 'TP_SESSIONID=0000000000000000000000000000ABCD;TIMEOUT=3600');
    // The client side: RSA without padding, then strip 00 02 <non-zero> 00 by hand (Node 20).
    const block = privateDecrypt(
      { key: v.rsa_handshake.client_private_key_pkcs8_pem, padding: constants.RSA_NO_PADDING },
      Buffer.from(body.result.key, 'base64'),
    );
    assert.equal(block[0], 0);
    assert.equal(block[1], 2);
    assert.equal(block.subarray(block.indexOf(0, 2) + 1).toString('hex'), v.key_and_iv_32_bytes_hex);
    return server;
  }

  it('encrypts key‖iv under the client key and answers login_device v1 with the vector body', () => {
    const h = harness(v.inputs.username, v.inputs.password);
    const server = handshaken(h);
    assert.equal(passthroughUsername(v.inputs.username), v.login_device_v1.params_username);
    assert.equal(passthroughPasswords(v.inputs.password).password2, v.login_device_v2.params_password2);
    const login = JSON.stringify({ method: 'securePassthrough', params: { request: v.login_device_v1.encrypted_b64 } });
    const res = server.handle(req('/app', login, cookie), h.ctx);
    assert.equal(bodyOf(res).toString(), v.login_response.http_body);
    assert.equal(server.loginCount, 1);

    h.setReply({ error_code: 0, result: { device_on: false } });
    const cmd = server.handle(req(v.login_response.next_url_path, v.get_device_info.http_body, cookie), h.ctx);
    assert.deepEqual(unwrap(cmd), { error_code: 0, result: { device_on: false } });
    assert.deepEqual(h.seen, [JSON.parse(v.get_device_info.inner_plaintext)]);
    // Without the token the session refuses commands.
    assert.deepEqual(jsonOf(server.handle(req('/app', v.get_device_info.http_body, cookie), h.ctx)), { error_code: 9999 });
    assert.equal(h.seen.length, 1);
  });

  it('accepts login v2 (password2)', () => {
    const h = harness(v.inputs.username, v.inputs.password);
    const server = handshaken(h);
    const res = server.handle(req('/app', wrap(v.login_device_v2.inner_plaintext), cookie), h.ctx);
    assert.deepEqual(unwrap(res), { error_code: 0, result: { token } });
  });

  it('answers a wrong password with -1501 and then 9999 on that session', () => {
    const h = harness(v.inputs.username, 'other-password');
    const server = handshaken(h);
    assert.deepEqual(unwrap(server.handle(req('/app', wrap(v.login_device_v1.inner_plaintext), cookie), h.ctx)), { error_code: -1501 });
    assert.deepEqual(jsonOf(server.handle(req('/app', wrap(v.login_device_v1.inner_plaintext), cookie), h.ctx)), { error_code: 9999 });
  });

  it('answers a code forced for "handshake" in the outer envelope, without opening a session', () => {
    const h = harness(v.inputs.username, v.inputs.password);
    const server = new PassthroughSchemeServer();
    h.faults.methodErrors = { handshake: -1010 };
    const res = server.handle(req('/app', v.rsa_handshake.handshake_request_body), h.ctx);
    assert.equal(res.status, 200);
    assert.deepEqual(jsonOf(res), { error_code: -1010 });
    assert.equal(res.headers?.['set-cookie'], undefined);
    assert.equal(server.sessionCount(), 0);
  });

  it('answers a code forced for "login_device" inside the encrypted reply, without a token', () => {
    const h = harness(v.inputs.username, v.inputs.password);
    const server = handshaken(h);
    h.faults.methodErrors = { login_device: -1501 };
    const login = wrap(v.login_device_v1.inner_plaintext);
    assert.deepEqual(unwrap(server.handle(req('/app', login, cookie), h.ctx)), { error_code: -1501 });
    assert.equal(server.loginCount, 0);
    // No token was handed out: commands are refused, and nothing reached the device logic.
    assert.deepEqual(jsonOf(server.handle(req(`/app?token=${token}`, wrap('{"method":"get_device_info"}'), cookie), h.ctx)), { error_code: 9999 });
    assert.equal(h.seen.length, 0);
    h.faults.methodErrors = {};
    assert.deepEqual(unwrap(server.handle(req('/app', login, cookie), h.ctx)), { error_code: 0, result: { token } });
    assert.equal(server.loginCount, 1);
  });

  it('answers an unknown cookie with 9999, a chunked handshake with 500 and /app/handshake1 with 404', () => {
    const h = harness('a', 'b');
    const server = new PassthroughSchemeServer();
    assert.deepEqual(jsonOf(server.handle(req('/app', wrap('{}'), { cookie: 'TP_SESSIONID=nope' }), h.ctx)), { error_code: 9999 });
    const chunked = req('/app', v.rsa_handshake.handshake_request_body);
    delete chunked.headers['content-length'];
    chunked.headers['transfer-encoding'] = 'chunked';
    assert.equal(server.handle(chunked, h.ctx).status, 500);
    assert.equal(server.handle(req('/app/handshake1', Buffer.alloc(16)), h.ctx).status, 404);
    assert.deepEqual(jsonOf(server.handle(req('/app', '{"method":"handshake","params":{"key":"junk"}}'), h.ctx)), { error_code: -1010 });
  });
});

describe('simulator camera secure server', () => {
  const v = vectors.camera_secure_login;
  const fixed = { nonce: () => v.inputs.nonce, stok: () => v.inputs.stok, startSeq: () => v.inputs.start_seq };

  it('computes device_confirm, digest, keys and tag of the vectors (SHA-256 and MD5 storage)', () => {
    for (const [kind, variant] of [
      ['sha256', v.sha256_variant],
      ['md5', v.md5_variant],
    ] as const) {
      const pwd = cameraPwdHash(v.inputs.password, kind);
      assert.equal(pwd, variant.pwd_hash);
      assert.equal(cameraDeviceConfirm(v.inputs.cnonce, pwd, v.inputs.nonce), variant.device_confirm);
      assert.equal(cameraDigestPasswd(pwd, v.inputs.cnonce, v.inputs.nonce), variant.digest_passwd);
      const keys = cameraSessionKeys(v.inputs.cnonce, v.inputs.nonce, pwd);
      assert.equal(keys.lsk.toString('hex'), variant.lsk_hex);
      assert.equal(keys.ivb.toString('hex'), variant.ivb_hex);
      assert.equal(keys.tagPrefix, variant.tag_prefix);
      const r0 = variant.requests[0];
      assert.equal(cameraTag(keys.tagPrefix, Buffer.from(r0.http_body), r0.header_Seq), r0.header_Tapo_tag);
    }
  });

  it('replays the vector login and commands byte for byte', () => {
    const h = harness('admin', v.inputs.password);
    const server = new CameraSecureSchemeServer({ random: fixed });
    const step1 = jsonOf(server.handle(req('/', v.handshake1_request_body), h.ctx));
    const expected = JSON.parse(v.handshake1_response_body_sha256_variant);
    expected.result.data.key = step1.result.data.key;
    assert.deepEqual(step1, expected);
    const step2 = server.handle(req('/', v.handshake2_request_body_sha256_variant), h.ctx);
    assert.equal(bodyOf(step2).toString(), v.handshake2_response_body);
    assert.equal(server.loginCount, 1);

    const example = v.sha256_variant.response_example;
    h.setReply(JSON.parse(example.inner_plaintext));
    const [r0, r1] = v.sha256_variant.requests;
    const headers0 = { seq: r0.header_Seq, tapo_tag: r0.header_Tapo_tag };
    const res = server.handle(req(v.request_url_path, r0.http_body, headers0), h.ctx);
    assert.equal(bodyOf(res).toString(), example.http_body);
    const res1 = server.handle(req(v.request_url_path, r1.http_body, { seq: r1.header_Seq, tapo_tag: r1.header_Tapo_tag }), h.ctx);
    assert.equal(jsonOf(res1).error_code, 0);
    assert.deepEqual(h.seen, [JSON.parse(r0.inner_plaintext), JSON.parse(r1.inner_plaintext)]);

    // Seq behind the counter, or a tag over other bytes: the plain tag failure.
    const failed = { error_code: -1, result: { responses: [{ msg: 'Check tapo tag failed', error_code: -1 }] } };
    assert.deepEqual(jsonOf(server.handle(req(v.request_url_path, r0.http_body, headers0), h.ctx)), failed);
    const spaced = r1.http_body.replace('":"', '": "');
    const headers2 = { seq: '102', tapo_tag: cameraTag(v.sha256_variant.tag_prefix, Buffer.from(r1.http_body), '102') };
    assert.deepEqual(jsonOf(server.handle(req(v.request_url_path, spaced, headers2), h.ctx)), failed);
    assert.equal(h.seen.length, 2);
  });

  it('signs with the MD5 password hash when configured', () => {
    const h = harness('admin', v.inputs.password);
    const server = new CameraSecureSchemeServer({ passwordHash: 'md5', random: fixed });
    const step1 = jsonOf(server.handle(req('/', v.handshake1_request_body), h.ctx));
    assert.equal(step1.result.data.device_confirm, v.md5_variant.device_confirm);
  });

  it('counts a wrong digest as a failure and locks out after the threshold', () => {
    const h = harness('admin', 'not-the-password', { threshold: 2 });
    const server = new CameraSecureSchemeServer({ random: fixed });
    for (let i = 0; i < 2; i += 1) {
      server.handle(req('/', v.handshake1_request_body), h.ctx);
      const res = jsonOf(server.handle(req('/', v.handshake2_request_body_sha256_variant), h.ctx));
      assert.equal(res.error_code, -40413);
      assert.equal(res.result.data.nonce, undefined);
    }
    assert.equal(h.guard.failures, 2);
    assert.deepEqual(jsonOf(server.handle(req('/', v.handshake1_request_body), h.ctx)), {
      error_code: -40401,
      data: { code: -40404, sec_left: 1800 },
    });
    h.clock.ms += 1800_000;
    assert.equal(jsonOf(server.handle(req('/', v.handshake1_request_body), h.ctx)).error_code, -40413);
  });

  it('answers an unknown user and Third-Party Compatibility off with HTTP 200 -40401 / -40411, uncounted', () => {
    const h = harness('admin', v.inputs.password);
    const server = new CameraSecureSchemeServer({ random: fixed });
    const asEmail = v.handshake1_request_body.replace('"admin"', '"user@example.com"');
    const unknownUser = { error_code: -40401, result: { data: { code: -40411 } } };
    // python-kasa (SslAesTransport.perform_handshake1) gives up on any status but 200, and retries
    // with "admin" only after a 200 without a nonce (camera.md §14).
    const res = server.handle(req('/', asEmail), h.ctx);
    assert.equal(res.status, 200);
    assert.deepEqual(jsonOf(res), unknownUser);
    const retried = server.handle(req('/', v.handshake1_request_body), h.ctx);
    assert.equal(retried.status, 200);
    assert.equal(jsonOf(retried).result.data.nonce, v.inputs.nonce);
    h.faults.thirdPartyOff = true;
    const off = server.handle(req('/', v.handshake1_request_body), h.ctx);
    assert.equal(off.status, 200);
    assert.deepEqual(jsonOf(off), unknownUser);
    assert.equal(h.guard.failures, 0);
  });

  it('answers every login with a code forced for "login", at HTTP 200, uncounted and without a session', () => {
    const h = harness('admin', v.inputs.password);
    const server = new CameraSecureSchemeServer({ random: fixed });
    h.faults.methodErrors = { login: -40404 };
    const step1 = server.handle(req('/', v.handshake1_request_body), h.ctx);
    assert.equal(step1.status, 200);
    assert.deepEqual(jsonOf(step1), { error_code: -40404 });
    // Forced on step 2 only: step 1 goes through, then the digest is answered with the code.
    h.faults.methodErrors = {};
    assert.equal(jsonOf(server.handle(req('/', v.handshake1_request_body), h.ctx)).error_code, -40413);
    h.faults.methodErrors = { login: -40413 };
    assert.deepEqual(jsonOf(server.handle(req('/', v.handshake2_request_body_sha256_variant), h.ctx)), { error_code: -40413 });
    assert.equal(server.loginCount, 0);
    assert.equal(server.sessionCount(), 0);
    assert.equal(h.guard.failures, 0);
    h.faults.methodErrors = {};
    secureLoginVia(server, h, '127.0.0.1');
    assert.equal(server.loginCount, 1);
  });

  it('expires a session sessionTtlSeconds after the login on the clock (-40401)', () => {
    const h = harness('admin', v.inputs.password);
    const server = new CameraSecureSchemeServer({ random: fixed });
    secureLoginVia(server, h, '127.0.0.1');
    const r0 = v.sha256_variant.requests[0];
    const r1 = v.sha256_variant.requests[1];
    h.clock.ms += 3600_000 - 1;
    assert.equal(jsonOf(server.handle(req(v.request_url_path, r0.http_body, { seq: r0.header_Seq, tapo_tag: r0.header_Tapo_tag }), h.ctx)).error_code, 0);
    h.clock.ms += 1;
    const expired = server.handle(req(v.request_url_path, r1.http_body, { seq: r1.header_Seq, tapo_tag: r1.header_Tapo_tag }), h.ctx);
    assert.equal(expired.status, 200);
    assert.deepEqual(jsonOf(expired), { error_code: -40401 });
    assert.equal(server.sessionCount(), 0);
    assert.equal(h.seen.length, 1);
  });

  it('answers a legacy hashed login like step 1 without a nonce', () => {
    const h = harness('admin', v.inputs.password);
    const server = new CameraSecureSchemeServer();
    const res = jsonOf(server.handle(req('/', vectors.camera_legacy_login.request_body), h.ctx));
    assert.equal(res.error_code, -40401);
    assert.deepEqual(res.result.data.encrypt_type, ['3']);
    assert.equal(res.result.data.nonce, undefined);
  });

  it('kills the previous session of the same address (HTTP 500) and rejects unknown stoks', () => {
    const h = harness('admin', v.inputs.password);
    let n = 0;
    const server = new CameraSecureSchemeServer({ random: { ...fixed, stok: () => `stok${(n += 1)}` } });
    secureLoginVia(server, h, '127.0.0.1');
    secureLoginVia(server, h, '127.0.0.2');
    secureLoginVia(server, h, '127.0.0.1');
    assert.equal(server.sessionCount(), 2);
    const r0 = v.sha256_variant.requests[0];
    const headers = { seq: r0.header_Seq, tapo_tag: r0.header_Tapo_tag };
    assert.equal(server.handle(req('/stok=stok1/ds', r0.http_body, headers), h.ctx).status, 500);
    assert.equal(jsonOf(server.handle(req('/stok=stok2/ds', r0.http_body, headers), h.ctx)).error_code, 0);
    assert.deepEqual(jsonOf(server.handle(req('/stok=nope/ds', r0.http_body, headers), h.ctx)), { error_code: -40401 });
    server.expireSessions();
    assert.deepEqual(jsonOf(server.handle(req('/stok=stok3/ds', r0.http_body, headers), h.ctx)), { error_code: -40401 });
  });

  function secureLoginVia(server: CameraSecureSchemeServer, h: Harness, remote: string): void {
    const step1 = jsonOf(server.handle(req('/', v.handshake1_request_body, {}, remote), h.ctx));
    assert.equal(step1.error_code, -40413);
    assert.equal(jsonOf(server.handle(req('/', v.handshake2_request_body_sha256_variant, {}, remote), h.ctx)).error_code, 0);
  }

  it('default stoks are 32 characters and start_seq is positive', () => {
    const h = harness('admin', v.inputs.password);
    const server = new CameraSecureSchemeServer({ random: { nonce: fixed.nonce } });
    server.handle(req('/', v.handshake1_request_body), h.ctx);
    const res = jsonOf(server.handle(req('/', v.handshake2_request_body_sha256_variant), h.ctx));
    assert.match(res.result.stok, /^[a-zA-Z0-9(.]{32}$/);
    assert.ok(Number.isInteger(res.result.start_seq) && res.result.start_seq > 0);
    assert.equal(res.result.user_group, 'root');
  });
});

describe('simulator camera legacy server', () => {
  const v = vectors.camera_legacy_login;

  it('logs in with the MD5 body of the vector and runs plain commands', () => {
    const h = harness('admin', v.inputs.password);
    const server = new CameraLegacySchemeServer({ random: { stok: () => '0123456789abcdef0123456789abcdef' } });
    assert.equal(bodyOf(server.handle(req('/', v.request_body), h.ctx)).toString(), v.response_body_example);
    h.setReply({ device_info: { basic_info: { device_model: 'C200' } }, error_code: 0 });
    const res = server.handle(req(v.next_url_path, '{"method":"get","device_info":{"name":["basic_info"]}}'), h.ctx);
    assert.deepEqual(jsonOf(res), { device_info: { basic_info: { device_model: 'C200' } }, error_code: 0 });
    assert.deepEqual(h.seen, [{ method: 'get', device_info: { name: ['basic_info'] } }]);
  });

  it('answers an unknown user with HTTP 200 -40411 and a forced "login" code as is, both uncounted', () => {
    const h = harness('admin', v.inputs.password);
    const server = new CameraLegacySchemeServer();
    const unknown = server.handle(req('/', v.request_body.replace('"admin"', '"user@example.com"')), h.ctx);
    assert.equal(unknown.status, 200);
    assert.deepEqual(jsonOf(unknown), { error_code: -40401, result: { data: { code: -40411 } } });
    h.faults.methodErrors = { login: -40401 };
    const forced = server.handle(req('/', v.request_body), h.ctx);
    assert.equal(forced.status, 200);
    assert.deepEqual(jsonOf(forced), { error_code: -40401 });
    assert.equal(server.loginCount, 0);
    assert.equal(h.guard.failures, 0);
    h.faults.methodErrors = {};
    assert.equal(jsonOf(server.handle(req('/', v.request_body), h.ctx)).error_code, 0);
  });

  it('expires a session sessionTtlSeconds after the login on the clock (-40401)', () => {
    const h = harness('admin', v.inputs.password);
    const server = new CameraLegacySchemeServer({ random: { stok: () => '0123456789abcdef0123456789abcdef' } });
    assert.equal(jsonOf(server.handle(req('/', v.request_body), h.ctx)).error_code, 0);
    const command = '{"method":"get","device_info":{"name":["basic_info"]}}';
    h.clock.ms += 3600_000 - 1;
    assert.equal(jsonOf(server.handle(req(v.next_url_path, command), h.ctx)).error_code, 0);
    h.clock.ms += 1;
    assert.deepEqual(jsonOf(server.handle(req(v.next_url_path, command), h.ctx)), { error_code: -40401 });
    assert.equal(server.sessionCount(), 0);
    assert.equal(h.seen.length, 1);
  });

  it('answers a secure step 1 with -40401 and encrypt_type ["1","2"], and counts a wrong password', () => {
    const h = harness('admin', 'other');
    const server = new CameraLegacySchemeServer();
    const probe = jsonOf(server.handle(req('/', vectors.camera_secure_login.handshake1_request_body), h.ctx));
    assert.equal(probe.error_code, -40401);
    assert.deepEqual(probe.result.data.encrypt_type, ['1', '2']);
    assert.equal(h.guard.failures, 0);
    assert.equal(jsonOf(server.handle(req('/', v.request_body), h.ctx)).error_code, -40401);
    assert.equal(h.guard.failures, 1);
  });
});
