import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  cameraDecrypt,
  cameraDeviceConfirm,
  cameraDigestPasswd,
  cameraEncrypt,
  cameraLegacyLoginBody,
  cameraPasswordHashes,
  cameraSignRequest,
  cameraStep1Body,
  cameraStep2Body,
  cameraTag,
  deriveCameraSession,
  matchCameraPasswordHash,
  md5HexUpper,
  sha256HexUpper,
} from '../../src/protocol/camera-secure-cipher';

interface VariantVector {
  pwd_hash: string;
  hashed_key: string;
  device_confirm: string;
  digest_passwd: string;
  lsk_hex: string;
  ivb_hex: string;
  tag_prefix: string;
  requests: { inner_plaintext: string; encrypted_request_b64: string; http_body: string; header_Seq: string; header_Tapo_tag: string }[];
  response_example: { inner_plaintext: string; http_body: string; encrypted_response_b64: string };
}
interface CameraVector {
  inputs: { username: string; password: string; cnonce: string; nonce: string; start_seq: number; stok: string };
  handshake1_request_body: string;
  handshake1_response_body_sha256_variant: string;
  handshake2_request_body_sha256_variant: string;
  handshake2_response_body: string;
  request_url_path: string;
  sha256_variant: VariantVector;
  md5_variant: VariantVector;
  tag_depends_on_exact_bytes: { http_body: string; header_Seq: string; header_Tapo_tag: string };
  cross_check_tapo_rust_unit_test: { tag: string; sha256_hex_upper_of_hello: string; md5_hex_upper_of_hello: string };
}

const vectors = JSON.parse(
  readFileSync(resolve(__dirname, '../vectors/vectors.json'), 'utf8'),
) as {
  camera_secure_login: CameraVector;
  camera_legacy_login: { inputs: { username: string; password: string }; request_body: string };
};
const c = vectors.camera_secure_login;
const { cnonce, nonce, password, username } = c.inputs;

describe('camera hashes', () => {
  it('computes upper-case hex SHA-256 and MD5', () => {
    assert.equal(sha256HexUpper('hello'), c.cross_check_tapo_rust_unit_test.sha256_hex_upper_of_hello);
    assert.equal(md5HexUpper('hello'), c.cross_check_tapo_rust_unit_test.md5_hex_upper_of_hello);
    assert.deepEqual(cameraPasswordHashes(password), [c.sha256_variant.pwd_hash, c.md5_variant.pwd_hash]);
  });
  it('matches the Rust unit-test tag', () => {
    assert.equal(cameraTag(sha256HexUpper('MYPWDHASH' + cnonce), '{"method":"test"}', 100), c.cross_check_tapo_rust_unit_test.tag);
  });
  it('builds the login step bodies', () => {
    assert.equal(cameraStep1Body(cnonce, username), c.handshake1_request_body);
    assert.equal(cameraStep2Body(cnonce, c.sha256_variant.digest_passwd, username), c.handshake2_request_body_sha256_variant);
    const step1 = JSON.parse(c.handshake1_response_body_sha256_variant) as { result: { data: { device_confirm: string } } };
    assert.equal(step1.result.data.device_confirm, c.sha256_variant.device_confirm);
    const step2 = JSON.parse(c.handshake2_response_body) as { result: { stok: string; start_seq: number } };
    assert.equal(`/stok=${step2.result.stok}/ds`, c.request_url_path);
    assert.equal(step2.result.start_seq, c.inputs.start_seq);
  });
  it('builds the legacy MD5 login body', () => {
    const l = vectors.camera_legacy_login;
    assert.equal(cameraLegacyLoginBody(l.inputs.username, l.inputs.password), l.request_body);
  });
});

for (const [name, v] of [
  ['SHA-256', c.sha256_variant],
  ['MD5', c.md5_variant],
] as const) {
  describe(`camera secure login, ${name} variant`, () => {
    const keys = deriveCameraSession(v.pwd_hash, cnonce, nonce);
    it('computes device_confirm and picks this hash for the password', () => {
      assert.equal(cameraDeviceConfirm(cnonce, v.pwd_hash, nonce), v.device_confirm);
      assert.equal(v.device_confirm.slice(0, 64), v.hashed_key);
      assert.equal(matchCameraPasswordHash(password, cnonce, nonce, v.device_confirm), v.pwd_hash);
      assert.equal(matchCameraPasswordHash('wrong', cnonce, nonce, v.device_confirm), undefined);
    });
    it('computes digest_passwd', () => {
      assert.equal(cameraDigestPasswd(v.pwd_hash, cnonce, nonce), v.digest_passwd);
    });
    it('derives lsk, ivb and the tag prefix', () => {
      assert.equal(keys.lsk.toString('hex'), v.lsk_hex);
      assert.equal(keys.ivb.toString('hex'), v.ivb_hex);
      assert.equal(keys.tagPrefix, v.tag_prefix);
    });
    it('encrypts and signs both requests with Seq post-increment from start_seq', () => {
      let seq = c.inputs.start_seq;
      for (const r of v.requests) {
        assert.equal(cameraEncrypt(keys, r.inner_plaintext), r.encrypted_request_b64);
        const signed = cameraSignRequest(keys, seq++, r.inner_plaintext);
        assert.equal(signed.body, r.http_body);
        assert.equal(signed.seq, r.header_Seq);
        assert.equal(signed.tag, r.header_Tapo_tag);
      }
    });
    it('decrypts the encrypted reply', () => {
      const outer = JSON.parse(v.response_example.http_body) as { result: { response: string } };
      assert.equal(outer.result.response, v.response_example.encrypted_response_b64);
      assert.equal(cameraDecrypt(keys, outer.result.response), v.response_example.inner_plaintext);
    });
  });
}

describe('camera tag over exact bytes', () => {
  it('gives the spaced-JSON body its own tag', () => {
    const keys = deriveCameraSession(c.sha256_variant.pwd_hash, cnonce, nonce);
    const t = c.tag_depends_on_exact_bytes;
    assert.equal(cameraTag(keys.tagPrefix, t.http_body, Number(t.header_Seq)), t.header_Tapo_tag);
    assert.notEqual(t.header_Tapo_tag, c.sha256_variant.requests[0]?.header_Tapo_tag);
  });
  it('throws on a reply that is not whole AES blocks or has bad padding', () => {
    const keys = deriveCameraSession(c.sha256_variant.pwd_hash, cnonce, nonce);
    const other = deriveCameraSession(c.md5_variant.pwd_hash, cnonce, nonce);
    assert.throws(() => cameraDecrypt(keys, 'AAAA'));
    assert.throws(() => cameraDecrypt(other, c.sha256_variant.response_example.encrypted_response_b64));
  });
});
