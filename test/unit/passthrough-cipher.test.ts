import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createPrivateKey, constants, privateDecrypt } from 'node:crypto';
import {
  decodeHandshakeKey,
  handshakeBody,
  loginDeviceParams,
  loginDeviceRequest,
  passthroughDecrypt,
  passthroughEncrypt,
  rsaPkcs1Decrypt,
  securePassthroughBody,
  unpadPkcs1Type2,
} from '../../src/protocol/passthrough-cipher';

interface AesVector {
  inputs: { key_hex: string; iv_hex: string; username: string; password: string };
  key_and_iv_32_bytes_hex: string;
  get_device_info: { inner_plaintext: string; encrypted_b64: string; http_body: string };
  login_device_v1: { params_username: string; params_password: string; inner_plaintext: string; encrypted_b64: string };
  login_device_v2: { params_username: string; params_password2: string; inner_plaintext: string; encrypted_b64: string };
  login_response: { inner_plaintext: string; http_body: string; next_url_path: string };
  rsa_handshake: {
    client_public_key_pem: string;
    client_private_key_pkcs8_pem: string;
    handshake_request_body: string;
    handshake_response_body: string;
    expected_decrypted_key_and_iv_hex: string;
    raw_rsa_block_after_no_padding_decrypt_hex: string;
  };
}

const vectors = JSON.parse(
  readFileSync(resolve(__dirname, '../vectors/vectors.json'), 'utf8'),
) as { aes_passthrough: AesVector; rsa_test_keys: { rsa1024: { public_pem: string; private_pem_pkcs8: string } } };
const v = vectors.aes_passthrough;
const keys = { key: Buffer.from(v.inputs.key_hex, 'hex'), iv: Buffer.from(v.inputs.iv_hex, 'hex') };
const TIME = 1_700_000_000_000;

describe('passthrough AES wrapping', () => {
  it('uses the 32 bytes as key then IV', () => {
    assert.equal(Buffer.concat([keys.key, keys.iv]).toString('hex'), v.key_and_iv_32_bytes_hex);
  });
  it('encrypts get_device_info and wraps it in securePassthrough', () => {
    const b64 = passthroughEncrypt(keys, v.get_device_info.inner_plaintext);
    assert.equal(b64, v.get_device_info.encrypted_b64);
    assert.equal(securePassthroughBody(b64), v.get_device_info.http_body);
  });
  it('decrypts the token reply and the request back', () => {
    const outer = JSON.parse(v.login_response.http_body) as { result: { response: string } };
    const inner = passthroughDecrypt(keys, outer.result.response);
    assert.equal(inner, v.login_response.inner_plaintext);
    const token = (JSON.parse(inner) as { result: { token: string } }).result.token;
    assert.equal(`/app?token=${token}`, v.login_response.next_url_path);
    assert.equal(passthroughDecrypt(keys, v.get_device_info.encrypted_b64), v.get_device_info.inner_plaintext);
  });
  it('throws on ciphertext that is not whole blocks or has bad padding', () => {
    assert.throws(() => passthroughDecrypt(keys, Buffer.alloc(15).toString('base64')));
    const wrongKeys = { key: Buffer.alloc(16, 7), iv: keys.iv };
    assert.throws(() => passthroughDecrypt(wrongKeys, v.login_device_v1.encrypted_b64));
  });
});

describe('passthrough login_device bodies', () => {
  it('builds v1 params and the exact inner request', () => {
    const p = loginDeviceParams(1, v.inputs.username, v.inputs.password);
    assert.deepEqual(p, { username: v.login_device_v1.params_username, password: v.login_device_v1.params_password });
    const inner = loginDeviceRequest(1, v.inputs.username, v.inputs.password, TIME);
    assert.equal(inner, v.login_device_v1.inner_plaintext);
    assert.equal(passthroughEncrypt(keys, inner), v.login_device_v1.encrypted_b64);
  });
  it('builds v2 params (password2) and the exact inner request', () => {
    const p = loginDeviceParams(2, v.inputs.username, v.inputs.password);
    assert.deepEqual(p, { username: v.login_device_v2.params_username, password2: v.login_device_v2.params_password2 });
    const inner = loginDeviceRequest(2, v.inputs.username, v.inputs.password, TIME);
    assert.equal(inner, v.login_device_v2.inner_plaintext);
    assert.equal(passthroughEncrypt(keys, inner), v.login_device_v2.encrypted_b64);
  });
});

describe('passthrough RSA handshake', () => {
  const r = v.rsa_handshake;
  it('builds the handshake body around the PEM key', () => {
    assert.equal(handshakeBody(r.client_public_key_pem, TIME), r.handshake_request_body);
    assert.equal(r.client_public_key_pem, vectors.rsa_test_keys.rsa1024.public_pem);
  });
  it('decrypts the handshake key without PKCS#1 padding support in OpenSSL', () => {
    const reply = JSON.parse(r.handshake_response_body) as { result: { key: string } };
    const raw = privateDecrypt(
      { key: r.client_private_key_pkcs8_pem, padding: constants.RSA_NO_PADDING },
      Buffer.from(reply.result.key, 'base64'),
    );
    assert.equal(raw.toString('hex'), r.raw_rsa_block_after_no_padding_decrypt_hex);
    const plain = rsaPkcs1Decrypt(createPrivateKey(r.client_private_key_pkcs8_pem), Buffer.from(reply.result.key, 'base64'));
    assert.equal(plain.toString('hex'), r.expected_decrypted_key_and_iv_hex);
    const session = decodeHandshakeKey(r.client_private_key_pkcs8_pem, reply.result.key);
    assert.equal(Buffer.concat([session.key, session.iv]).toString('hex'), r.expected_decrypted_key_and_iv_hex);
  });
  it('rejects malformed PKCS#1 blocks', () => {
    const good = Buffer.from(r.raw_rsa_block_after_no_padding_decrypt_hex, 'hex');
    assert.deepEqual(unpadPkcs1Type2(good).toString('hex'), r.expected_decrypted_key_and_iv_hex);
    const wrongType = Buffer.from(good);
    wrongType[1] = 0x01;
    assert.throws(() => unpadPkcs1Type2(wrongType), /type 2/);
    const noSeparator = Buffer.from(good);
    noSeparator.fill(0x11, 2);
    assert.throws(() => unpadPkcs1Type2(noSeparator), /separator/);
    const shortPadding = Buffer.from(good);
    shortPadding[5] = 0x00;
    assert.throws(() => unpadPkcs1Type2(shortPadding), /separator/);
  });
});
