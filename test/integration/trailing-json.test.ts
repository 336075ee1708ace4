/**
 * Request bodies with characters after the JSON value, as ioBroker.tapo sends them
 * (`{"method":"get_device_info"};`). Firmware parses with cJSON, which stops at the end of the first
 * value, so the device answers as usual; the simulator must too. Each scheme is spoken by hand over
 * a real socket on 127.0.0.1 (the client's pure ciphers do the crypto, so any bytes can be sent),
 * and every JSON body of the exchange, login steps included, carries a trailing `;`. Assertions
 * read the simulator's own state.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';

import {
  cameraDecrypt,
  cameraDigestPasswd,
  cameraEncrypt,
  cameraLegacyLoginBody,
  cameraStep1Body,
  cameraStep2Body,
  cameraTag,
  deriveCameraSession,
  sha256HexUpper,
} from '../../src/protocol/camera-secure-cipher';
import { deriveKlapSession, klapAuthHash, klapClientHash, klapDecrypt, klapEncrypt, nextKlapSeq } from '../../src/protocol/klap-cipher';
import {
  decodeHandshakeKey,
  handshakeBody,
  loginDeviceRequest,
  passthroughDecrypt,
  passthroughEncrypt,
  securePassthroughBody,
} from '../../src/protocol/passthrough-cipher';
import {
  buildDiscoverBody,
  buildPakeRegisterBody,
  buildPakeShareBody,
  decryptDsFrame,
  deriveSessionKeys,
  encryptDsFrame,
  spake2PlusClient,
  tpapCredential,
  tpapUserName,
} from '../../src/protocol/tpap-cipher';
import type { SimulatedDevice } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { PASSWORD, PLUG_USER, useSimulatedDevices } from './sim-harness';

type Json = any;

/** What ioBroker.tapo puts after its JSON. */
const TRAIL = ';';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One POST on a fresh connection (agent: false), HTTPS when the device serves it. */
function post(device: SimulatedDevice, path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const options: http.RequestOptions = {
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
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    };
    const req = device.url.startsWith('https:')
      ? https.request({ ...options, rejectUnauthorized: false, ciphers: 'DEFAULT:@SECLEVEL=0' }, onResponse)
      : http.request(options, onResponse);
    req.on('error', reject);
    req.end(bytes);
  });
}

function json(reply: Reply): Json {
  assert.equal(reply.status, 200, reply.body.toString('utf8'));
  return JSON.parse(reply.body.toString('utf8'));
}

/** `NAME=value` of the first Set-Cookie header. */
function cookieOf(reply: Reply): string {
  const [pair = ''] = (reply.headers['set-cookie']?.[0] ?? '').split(';');
  assert.match(pair, /^TP_SESSIONID=/);
  return pair;
}

/** Sends one request plaintext through a logged-in session and returns the decrypted reply. */
type Send = (plaintext: string) => Promise<Json>;

/** KLAP v2 (plug-klap.md §3-§7): the handshake is binary; the request plaintext is JSON. */
async function klapSession(device: SimulatedDevice): Promise<Send> {
  const auth = klapAuthHash(2, { username: PLUG_USER, password: PASSWORD });
  const local = randomBytes(16);
  const hs1 = await post(device, '/app/handshake1', local);
  assert.equal(hs1.status, 200);
  const remote = hs1.body.subarray(0, 16);
  const cookie = cookieOf(hs1);
  assert.equal((await post(device, '/app/handshake2', klapClientHash(2, local, remote, auth), { cookie })).status, 200);
  const keys = deriveKlapSession(local, remote, auth);
  let seq = keys.initialSeq;
  return async (plaintext) => {
    seq = nextKlapSeq(seq);
    const res = await post(device, `/app/request?seq=${seq}`, klapEncrypt(keys, seq, plaintext).body, { cookie });
    assert.equal(res.status, 200);
    return JSON.parse(klapDecrypt(keys, seq, res.body));
  };
}

/** SMART-AES (plug-passthrough.md §2-§4): the outer body and the inner request both get the `;`. */
async function passthroughSession(device: SimulatedDevice): Promise<Send> {
  const pair = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const hs = await post(device, '/app', handshakeBody(pem, Date.now()) + TRAIL);
  const handshake = json(hs);
  assert.equal(handshake.error_code, 0, JSON.stringify(handshake));
  const keys = decodeHandshakeKey(pair.privateKey, handshake.result.key);
  const cookie = cookieOf(hs);
  const call = async (path: string, inner: string): Promise<Json> => {
    const outer = json(await post(device, path, securePassthroughBody(passthroughEncrypt(keys, inner)) + TRAIL, { cookie }));
    assert.equal(outer.error_code, 0, JSON.stringify(outer));
    return JSON.parse(passthroughDecrypt(keys, outer.result.response));
  };
  const login = await call('/app', loginDeviceRequest(2, PLUG_USER, PASSWORD, Date.now()) + TRAIL);
  assert.equal(login.error_code, 0, JSON.stringify(login));
  const token: string = login.result.token;
  return (plaintext) => call(`/app?token=${token}`, plaintext);
}

/** Camera secure login (camera.md §5-§8): both login steps, the wrapper and the inner command. */
async function cameraSecureSession(device: SimulatedDevice): Promise<Send> {
  const cnonce = randomBytes(8).toString('hex').toUpperCase();
  const step1 = json(await post(device, '/', cameraStep1Body(cnonce, 'admin') + TRAIL));
  assert.equal(step1.error_code, -40413, JSON.stringify(step1));
  const nonce: string = step1.result.data.nonce;
  const pwdHash = sha256HexUpper(PASSWORD);
  const step2 = json(await post(device, '/', cameraStep2Body(cnonce, cameraDigestPasswd(pwdHash, cnonce, nonce), 'admin') + TRAIL));
  assert.equal(step2.error_code, 0, JSON.stringify(step2));
  const keys = deriveCameraSession(pwdHash, cnonce, nonce);
  let seq: number = step2.result.start_seq;
  return async (plaintext) => {
    const body = JSON.stringify({ method: 'securePassthrough', params: { request: cameraEncrypt(keys, plaintext) } }) + TRAIL;
    const headers = { Seq: String(seq), Tapo_tag: cameraTag(keys.tagPrefix, body, seq) };
    seq += 1;
    const outer = json(await post(device, `/stok=${step2.result.stok}/ds`, body, headers));
    assert.equal(outer.error_code, 0, JSON.stringify(outer));
    return JSON.parse(cameraDecrypt(keys, outer.result.response));
  };
}

/** Camera legacy login (camera.md §7): clear JSON for the login and the commands. */
async function cameraLegacySession(device: SimulatedDevice): Promise<Send> {
  const login = json(await post(device, '/', cameraLegacyLoginBody('admin', PASSWORD) + TRAIL));
  assert.equal(login.error_code, 0, JSON.stringify(login));
  return async (plaintext) => json(await post(device, `/stok=${login.result.stok}/ds`, plaintext));
}

/** TPAP on a SMART plug (tpap.md §2-§8): discover, pake_register, pake_share, then a /ds frame. */
async function tpapSession(device: SimulatedDevice): Promise<Send> {
  const discover = json(await post(device, '/', buildDiscoverBody() + TRAIL));
  assert.equal(discover.error_code, 0, JSON.stringify(discover));
  const userRandom = randomBytes(32);
  const register = json(await post(device, '/', buildPakeRegisterBody(tpapUserName(), userRandom, 'userpw') + TRAIL));
  assert.equal(register.error_code, 0, JSON.stringify(register));
  const r = register.result;
  const spake = spake2PlusClient({
    credential: tpapCredential({ family: 'smart', username: PLUG_USER, passcode: PASSWORD }),
    devSalt: Buffer.from(r.dev_salt, 'base64'),
    iterations: r.iterations,
    userRandom,
    devRandom: Buffer.from(r.dev_random, 'base64'),
    devShare: Buffer.from(r.dev_share, 'base64'),
  });
  const share = json(await post(device, '/', buildPakeShareBody(spake.userShare, spake.userConfirm) + TRAIL));
  assert.equal(share.error_code, 0, JSON.stringify(share));
  assert.ok(Buffer.from(share.result.dev_confirm, 'base64').equals(spake.expectedDevConfirm), 'the device proved the same key');
  const keys = deriveSessionKeys(spake.sharedKey);
  let seq: number = share.result.start_seq;
  return async (plaintext) => {
    const res = await post(device, `/stok=${share.result.stok}/ds`, encryptDsFrame(keys, seq, plaintext));
    seq += 1;
    assert.equal(res.status, 200);
    return JSON.parse(decryptDsFrame(keys, res.body).plaintext.toString('utf8'));
  };
}

describe('simulator: a request body with characters after its JSON (cJSON reads the first value)', function () {
  this.timeout(20_000);
  const { device } = useSimulatedDevices();

  const plugs: Array<{ name: string; fixture: string; scheme: 'klap' | 'passthrough' | 'tpap'; open: (d: SimulatedDevice) => Promise<Send> }> = [
    { name: 'KLAP', fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', open: klapSession },
    { name: 'passthrough (handshake, securePassthrough body and inner request)', fixture: 'P100(US)_1.0.0_1.1.3', scheme: 'passthrough', open: passthroughSession },
    { name: 'TPAP on a plug (discover, pake_register, pake_share and the /ds request)', fixture: 'P110(UK)_1.0_1.3.0', scheme: 'tpap', open: tpapSession },
  ];
  for (const p of plugs) {
    it(`${p.name}: logs in and switches the relay with "…};" bodies`, async () => {
      const d = await device({ fixture: p.fixture, scheme: p.scheme });
      const send = await p.open(d);
      const logic = d.logic as PlugLogic;
      const target = !logic.state.on;
      const set = await send(`${JSON.stringify({ method: 'set_device_info', params: { device_on: target } })}${TRAIL}`);
      assert.equal(set.error_code, 0, JSON.stringify(set));
      assert.equal(logic.state.on, target);
      const info = await send(`{"method":"get_device_info"}${TRAIL}`);
      assert.equal(info.error_code, 0, JSON.stringify(info));
      assert.equal(info.result.device_on, target);
      assert.equal(d.server.loginCount, 1);
    });
  }

  const cameras: Array<{ name: string; scheme: 'camera-secure' | 'camera-legacy'; open: (d: SimulatedDevice) => Promise<Send> }> = [
    { name: 'camera secure (both login steps, the wrapper and the inner command)', scheme: 'camera-secure', open: cameraSecureSession },
    { name: 'camera legacy (login and command)', scheme: 'camera-legacy', open: cameraLegacySession },
  ];
  for (const c of cameras) {
    it(`${c.name}: logs in and turns privacy mode over with "…};" bodies`, async () => {
      const d = await device({ fixture: 'C210(EU)_2.0_1.4.3', scheme: c.scheme });
      const send = await c.open(d);
      const logic = d.logic as CameraLogic;
      const target = !logic.state.privacyMode;
      const request = {
        method: 'multipleRequest',
        params: { requests: [{ method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: target ? 'on' : 'off' } } } }] },
      };
      const reply = await send(`${JSON.stringify(request)}${TRAIL}`);
      assert.equal(reply.error_code, 0, JSON.stringify(reply));
      assert.equal(reply.result.responses[0].error_code, 0, JSON.stringify(reply));
      assert.equal(logic.state.privacyMode, target);
      assert.equal(d.server.loginCount, 1);
    });
  }

  it('still refuses a body whose first value is not valid JSON, as before (KLAP: -1003)', async () => {
    const d = await device({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap' });
    const send = await klapSession(d);
    assert.deepEqual(await send(`{"method":"get_device_info";}${TRAIL}`), { error_code: -1003 });
    assert.deepEqual(await send(`${TRAIL}{"method":"get_device_info"}`), { error_code: -1003 });
  });
});
