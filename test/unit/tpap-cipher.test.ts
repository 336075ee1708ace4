import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TapoError } from '../../src/protocol/errors';
import { encodePoint, P256_G, scalarMult } from '../../src/protocol/p256';
import type { JsonObject } from '../../src/protocol/types';
import {
  buildDiscoverBody,
  buildPakeRegisterBody,
  buildPakeShareBody,
  ccmNonce,
  computeUserShare,
  decryptDsFrame,
  defaultPasscode,
  deriveSessionKeys,
  deriveW0W1,
  devConfirmMatches,
  encodeW0,
  encryptDsFrame,
  md5Crypt,
  md5HexLower,
  pakeContextHash,
  passwordAuthkey,
  randomScalar,
  sha256Crypt,
  sha256HexUpper,
  spake2PlusClient,
  SPAKE2P_M,
  SPAKE2P_N,
  toInt32,
  tpapCameraPasswordForm,
  tpapCredential,
  tpapPasscode,
  tpapPasscodeType,
  tpapUserName,
} from '../../src/protocol/tpap-cipher';

interface TpapVectors {
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
  ds_request: {
    url_path: string;
    inner_plaintext: string;
    seq: number;
    ccm_nonce_hex: string;
    ciphertext_hex: string;
    tag_hex: string;
    http_body_hex: string;
  };
  default_passcode_example: { mac: string; passcode: string };
  [key: string]: unknown;
}

const all = JSON.parse(readFileSync(join(__dirname, '../vectors/vectors.json'), 'utf8')) as { tpap: TpapVectors };
const v = all.tpap;
const s = (k: string): string => v[k] as string;
const inputs = v.inputs;
const userRandom = Buffer.from(inputs.user_random_b64, 'base64');
const devRandom = Buffer.from(inputs.dev_random_b64, 'base64');
const devSalt = Buffer.from(inputs.dev_salt_b64, 'base64');
const x = BigInt('0x' + inputs.client_scalar_x_hex);

function runVector(): ReturnType<typeof spake2PlusClient> {
  return spake2PlusClient({
    credential: md5HexLower(inputs.camera_password),
    devSalt,
    iterations: inputs.iterations,
    userRandom,
    devRandom,
    devShare: Buffer.from(s('dev_share_b64'), 'base64'),
    x,
  });
}

describe('tpap-cipher', () => {
  describe('user names and credentials (vectors)', () => {
    it('hashes the user name per user_hash_type', () => {
      assert.equal(tpapUserName(0), s('username_md5_admin'));
      assert.equal(tpapUserName(undefined), s('username_md5_admin'));
      assert.equal(tpapUserName(1), s('username_sha256_upper_admin'));
    });

    it('derives both camera passcode forms', () => {
      assert.equal(md5HexLower(inputs.camera_password), s('credential_md5_hex_lower'));
      assert.equal(sha256HexUpper(inputs.camera_password), s('credential_sha256_hex_upper'));
      const forms = (['md5', 'sha256'] as const).map((form) => tpapPasscode('userpw', 'camera', inputs.camera_password, { form }));
      assert.deepEqual(
        forms.map((p) => [p.type, p.passcode]),
        [
          ['userpw', s('credential_md5_hex_lower')],
          ['userpw', s('credential_sha256_hex_upper')],
        ],
      );
      assert.equal(tpapPasscode('userpw', 'camera', inputs.camera_password).passcode, s('credential_md5_hex_lower'));
      for (const p of forms) assert.ok(!p.label.includes(p.passcode));
    });

    it("chooses the camera's password form from what the device announced", () => {
      const shadow = (id: number | string): JsonObject => ({ type: 'password_shadow', params: { passwd_id: id, passwd_prefix: '$5$abc$' } });
      // Settled by the announcement.
      assert.deepEqual(tpapCameraPasswordForm(undefined, undefined), { form: 'md5', settled: true }, 'C510W: no extra_crypt');
      assert.deepEqual(tpapCameraPasswordForm(null, 0), { form: 'md5', settled: true });
      assert.deepEqual(tpapCameraPasswordForm(shadow(5), 0), { form: 'sha256', settled: true }, 'C200 hw5 1.4.6');
      assert.deepEqual(tpapCameraPasswordForm(shadow('5'), undefined), { form: 'sha256', settled: true });
      assert.deepEqual(tpapCameraPasswordForm(shadow(3), 0), { form: 'md5', settled: true }, 'passwd_id 3 ignores the passcode');
      // Only the likelier form.
      assert.deepEqual(tpapCameraPasswordForm(undefined, 1), { form: 'sha256', settled: false });
      assert.deepEqual(tpapCameraPasswordForm(shadow(1), 0), { form: 'md5', settled: false });
      assert.deepEqual(tpapCameraPasswordForm(shadow(2), 1), { form: 'sha256', settled: false });
      assert.deepEqual(tpapCameraPasswordForm({ type: 'password_authkey', params: {} }, 0), { form: 'md5', settled: false });
      assert.deepEqual(tpapCameraPasswordForm('odd', 0), { form: 'md5', settled: false });
    });

    it('builds the SMART credential "<email>/<password>"', () => {
      const p = tpapPasscode('userpw', 'smart', 'hunter2', { form: 'md5' });
      assert.deepEqual([p.type, p.passcode], ['userpw', 'hunter2']);
      assert.equal(
        tpapCredential({ family: 'smart', username: 'user@example.com', passcode: p.passcode }),
        s('smart_device_credential_example'),
      );
      assert.equal(tpapCredential({ family: 'camera', username: 'admin', passcode: 'abc' }), 'abc');
    });

    it('derives the MAC default passcode', () => {
      assert.equal(defaultPasscode(v.default_passcode_example.mac), v.default_passcode_example.passcode);
      assert.equal(defaultPasscode('aa:bb:cc:dd:ee:ff'), v.default_passcode_example.passcode);
      assert.throws(() => defaultPasscode('AA-BB'), TapoError);
    });

    it('uses one passcode type, the first the device offers in the app\'s priority', () => {
      const mac = 'AA-BB-CC-DD-EE-FF';
      assert.equal(tpapPasscodeType([2, 0, 3], mac), 'userpw');
      assert.equal(tpapPasscodeType([3, 0], mac), 'default_userpw');
      assert.equal(tpapPasscodeType([3, 0]), 'shared_token', 'no MAC, no default passcode');
      assert.equal(tpapPasscodeType([0]), undefined);
      assert.equal(tpapPasscodeType([5]), 'userpw');
      assert.equal(tpapPasscodeType([]), 'userpw');
      assert.equal(tpapPasscodeType(), 'userpw');
      assert.equal(tpapPasscode('default_userpw', 'camera', 'pw', { mac }).passcode, v.default_passcode_example.passcode);
      assert.equal(tpapPasscode('shared_token', 'smart', 'pw').passcode, md5HexLower('pw'));
    });
  });

  describe('extra_crypt', () => {
    const base = { family: 'camera' as const, username: 'admin', passcode: 'pass' };
    const shadow = (params: Record<string, string | number>): string =>
      tpapCredential({ ...base, extraCrypt: { type: 'password_shadow', params }, mac: '98-03-8e-00-00-01' });

    it('password_shadow 2 and 3', () => {
      assert.equal(shadow({ passwd_id: 2 }), createHash('sha1').update('pass').digest('hex'));
      assert.equal(
        shadow({ passwd_id: '3' }),
        createHash('sha1').update(`${md5HexLower('admin')}_98:03:8E:00:00:01`).digest('hex'),
      );
      assert.throws(() => tpapCredential({ ...base, extraCrypt: { type: 'password_shadow', params: { passwd_id: 3 } } }), TapoError);
      assert.throws(() => shadow({ passwd_id: 4 }), (e: unknown) => e instanceof TapoError && e.kind === 'Unsupported');
    });

    // Expected values from `openssl passwd -1` / `openssl passwd -5` (an independent crypt implementation).
    it('password_shadow 1 (MD5-crypt) and 5 (SHA-256-crypt) match OpenSSL', () => {
      assert.equal(md5Crypt('hunter2', '$1$saltsalt$'), '$1$saltsalt$ZliGyAN3DciDHEkDboonh/');
      assert.equal(md5Crypt('a-much-longer-password-over-32-characters!', 'ab'), '$1$ab$syCLUrCCPvV.LzHHAjm8k/');
      assert.equal(sha256Crypt('hunter2', '$5$saltsaltsaltsalt'), '$5$saltsaltsaltsalt$LTm0e1epoLCOhH8WjaKAzYHFbzuOTFXssEJnxJiG5YC');
      assert.equal(sha256Crypt('hunter2', '$5$rounds=10000$abc$'), '$5$rounds=10000$abc$geWuytTGBRPz16ZooHH3ZLqNNttrPACDi6RMnn2lQ29');
      assert.equal(
        sha256Crypt('a-much-longer-password-over-32-characters!', '$5$x1y2'),
        '$5$x1y2$zq3rI2QyDW/CdnoPZZ5kLbMPbLgLwykICyjrPlntsH9',
      );
      const upper = s('credential_sha256_hex_upper');
      assert.equal(
        tpapCredential({ ...base, passcode: upper, extraCrypt: { type: 'password_shadow', params: { passwd_id: 5, passwd_prefix: '$5$s', passwd_rounds: 1000 } } }),
        '$5$rounds=1000$s$5qeZv1UxLn0XYdgEvJ7RNSOa9zyq.uOmlrGPa4yer59',
      );
      assert.equal(shadow({ passwd_id: 1, passwd_prefix: '$1$saltsalt$' }), md5Crypt('pass', 'saltsalt'));
    });

    it('password_sha_with_salt', () => {
      const salt = Buffer.from([1, 2, 3, 250]);
      const expect = (name: string): string =>
        createHash('sha256').update(Buffer.concat([Buffer.from(name), salt, Buffer.from('pass')])).digest('hex');
      const run = (shaName: number): string =>
        tpapCredential({ ...base, extraCrypt: { type: 'password_sha_with_salt', params: { sha_name: shaName, sha_salt: salt.toString('base64') } } });
      assert.equal(run(0), expect('admin'));
      assert.equal(run(1), expect('user'));
    });

    it('password_authkey pads the shorter string with 0xBB', () => {
      // 'a'^'a' = 0 → '0'; 'b'(98)^0xBB = 217 → 217 % 10 = 7 → '7'.
      assert.equal(passwordAuthkey('ab', 'a', '0123456789'), '07');
      assert.equal(
        tpapCredential({ ...base, passcode: 'ab', extraCrypt: { type: 'password_authkey', params: { authkey_tmpkey: 'a', authkey_dictionary: '0123456789' } } }),
        '07',
      );
    });

    it('refuses unknown types', () => {
      assert.throws(() => tpapCredential({ ...base, extraCrypt: { type: 'rot13' } }), (e: unknown) => e instanceof TapoError && e.kind === 'Unsupported');
    });
  });

  describe('SPAKE2+ key schedule (vectors)', () => {
    it('PBKDF2 → w0, w1 and the fixed 32-byte w0', () => {
      const w = deriveW0W1(md5HexLower(inputs.camera_password), devSalt, inputs.iterations);
      assert.equal(w.dk.toString('hex'), s('pbkdf2_output_80_hex'));
      assert.equal(w.w0.toString(16).padStart(64, '0'), s('w0_hex'));
      assert.equal(w.w1.toString(16).padStart(64, '0'), s('w1_hex'));
      const fixed = encodeW0(w.w0);
      assert.equal(fixed.length, 32);
      assert.equal(fixed.toString('hex'), s('w0_hex'));
      // The vector's w0 has a non-zero top byte, so the minimal encoding coincides.
      assert.equal(v['w0_minimal_encoding_matches_fixed_32'], true);
      assert.notEqual(fixed[0], 0);
      assert.equal(encodeW0(1n).toString('hex'), '00'.repeat(31) + '01');
    });

    it('M, N, X and the user share', () => {
      assert.equal(encodePoint(SPAKE2P_M).toString('hex'), s('M_uncompressed_hex'));
      assert.equal(encodePoint(SPAKE2P_N).toString('hex'), s('N_uncompressed_hex'));
      const X = computeUserShare(x, BigInt('0x' + s('w0_hex')));
      assert.equal(encodePoint(X).toString('hex'), s('user_share_X_uncompressed_hex'));
      assert.equal(encodePoint(X).toString('base64'), s('user_share_b64'));
      assert.equal(encodePoint(scalarMult(BigInt('0x' + s('w1_hex')), P256_G)).toString('hex'), s('verifier_L_uncompressed_hex'));
    });

    it('every step of the client computation', () => {
      const r = runVector();
      assert.equal(r.userShare.toString('hex'), s('user_share_X_uncompressed_hex'));
      assert.equal(r.devShare.toString('hex'), s('dev_share_Y_uncompressed_hex'));
      assert.equal(r.z.toString('hex'), s('Z_uncompressed_hex'));
      assert.equal(r.v.toString('hex'), s('V_uncompressed_hex'));
      assert.equal(r.context.toString('hex'), s('context_hash_hex'));
      assert.equal(pakeContextHash(userRandom, devRandom).toString('hex'), s('context_hash_hex'));
      assert.equal(r.transcript.toString('hex'), s('transcript_hex'));
      assert.equal(r.ke.toString('hex'), s('Ke_hex'));
      assert.equal(r.kcA.toString('hex'), s('KcA_hex'));
      assert.equal(r.kcB.toString('hex'), s('KcB_hex'));
      assert.equal(r.sharedKey.toString('hex'), s('shared_key_hex'));
      assert.equal(r.userConfirm.toString('base64'), s('user_confirm_b64'));
      assert.equal(r.expectedDevConfirm.toString('base64'), s('dev_confirm_b64'));
    });

    it('session key and base nonce', () => {
      const k = deriveSessionKeys(Buffer.from(s('shared_key_hex'), 'hex'));
      assert.equal(k.key.toString('hex'), s('session_key_hex'));
      assert.equal(k.baseNonce.toString('hex'), s('session_base_nonce_hex'));
    });

    it('a random x still yields a valid exchange (different share, same w0)', () => {
      const a = spake2PlusClient({
        credential: md5HexLower(inputs.camera_password),
        devSalt,
        iterations: inputs.iterations,
        userRandom,
        devRandom,
        devShare: Buffer.from(s('dev_share_b64'), 'base64'),
      });
      assert.notEqual(a.userShare.toString('hex'), s('user_share_X_uncompressed_hex'));
      assert.equal(a.w0.toString(16).padStart(64, '0'), s('w0_hex'));
      const k = randomScalar();
      assert.ok(k > 0n);
    });

    it('rejects an invalid dev_share as an Authentication failure', () => {
      const bad = Buffer.from(s('dev_share_Y_uncompressed_hex'), 'hex');
      bad[10] = bad[10]! ^ 0xff;
      assert.throws(
        () => spake2PlusClient({ credential: 'c', devSalt, iterations: 1, userRandom, devRandom, devShare: bad, x }),
        (e: unknown) => e instanceof TapoError && e.kind === 'Authentication',
      );
    });

    it('compares dev_confirm in constant time, rejecting any difference', () => {
      const r = runVector();
      assert.ok(devConfirmMatches(r.expectedDevConfirm, Buffer.from(s('dev_confirm_b64'), 'base64')));
      const wrong = Buffer.from(r.expectedDevConfirm);
      wrong[31] = wrong[31]! ^ 1;
      assert.equal(devConfirmMatches(r.expectedDevConfirm, wrong), false);
      assert.equal(devConfirmMatches(r.expectedDevConfirm, wrong.subarray(0, 16)), false);
    });
  });

  describe('login bodies (vectors)', () => {
    it('pake_register request, byte for byte', () => {
      assert.equal(buildPakeRegisterBody(tpapUserName(0), userRandom, 'userpw'), s('pake_register_request_body'));
    });

    it('pake_register response fields feed the computation', () => {
      const reg = JSON.parse(s('pake_register_response_body')) as { result: Record<string, string | number> };
      assert.equal(reg.result['dev_random'], inputs.dev_random_b64);
      assert.equal(reg.result['dev_salt'], inputs.dev_salt_b64);
      assert.equal(reg.result['iterations'], inputs.iterations);
      const r = spake2PlusClient({
        credential: md5HexLower(inputs.camera_password),
        devSalt: Buffer.from(reg.result['dev_salt'] as string, 'base64'),
        iterations: reg.result['iterations'] as number,
        userRandom,
        devRandom: Buffer.from(reg.result['dev_random'] as string, 'base64'),
        devShare: Buffer.from(reg.result['dev_share'] as string, 'base64'),
        x,
      });
      assert.equal(buildPakeShareBody(r.userShare, r.userConfirm), s('pake_share_request_body'));
      const share = JSON.parse(s('pake_share_response_body')) as { result: Record<string, string | number> };
      assert.ok(devConfirmMatches(r.expectedDevConfirm, Buffer.from(share.result['dev_confirm'] as string, 'base64')));
      assert.equal(share.result['start_seq'], inputs.start_seq);
    });

    it('discover and the DAC nonce', () => {
      assert.equal(buildDiscoverBody(), '{"method":"login","params":{"sub_method":"discover"}}');
      const body = JSON.parse(buildPakeShareBody(Buffer.from([1]), Buffer.from([2]), Buffer.alloc(32, 7))) as { params: Record<string, string> };
      assert.equal(body.params['dac_nonce'], Buffer.alloc(32, 7).toString('base64'));
    });
  });

  describe('/ds frames (vectors)', () => {
    const keys = deriveSessionKeys(Buffer.from(s('shared_key_hex'), 'hex'));
    const ds = v.ds_request;

    it('builds the nonce and the exact request frame', () => {
      const share = JSON.parse(s('pake_share_response_body')) as { result: { stok: string } };
      assert.equal(`/stok=${share.result.stok}/ds`, ds.url_path);
      assert.equal(ccmNonce(keys.baseNonce, ds.seq).toString('hex'), ds.ccm_nonce_hex);
      const frame = encryptDsFrame(keys, ds.seq, ds.inner_plaintext);
      assert.equal(frame.toString('hex'), ds.http_body_hex);
      assert.equal(frame.subarray(4, frame.length - 16).toString('hex'), ds.ciphertext_hex);
      assert.equal(frame.subarray(frame.length - 16).toString('hex'), ds.tag_hex);
    });

    it('decrypts a frame with its own seq prefix', () => {
      const out = decryptDsFrame(keys, Buffer.from(ds.http_body_hex, 'hex'));
      assert.equal(out.seq, ds.seq);
      assert.equal(out.plaintext.toString('utf8'), ds.inner_plaintext);
      const reply = encryptDsFrame(keys, 1234, '{"error_code":0}');
      assert.deepEqual(decryptDsFrame(keys, reply), { seq: 1234, plaintext: Buffer.from('{"error_code":0}') });
    });

    it('handles negative and wrapping sequence numbers', () => {
      assert.equal(toInt32(2147483647 + 1), -2147483648);
      assert.equal(ccmNonce(keys.baseNonce, -1).subarray(8).toString('hex'), 'ffffffff');
      const frame = encryptDsFrame(keys, -5, 'x');
      assert.equal(frame.readInt32BE(0), -5);
      assert.equal(decryptDsFrame(keys, frame).seq, -5);
    });

    it('rejects tampered, truncated or mis-sequenced frames', () => {
      const frame = Buffer.from(ds.http_body_hex, 'hex');
      const tampered = Buffer.from(frame);
      tampered[10] = tampered[10]! ^ 1;
      const isTransport = (e: unknown): boolean => e instanceof TapoError && e.kind === 'Transport';
      assert.throws(() => decryptDsFrame(keys, tampered), isTransport);
      const reseq = Buffer.from(frame);
      reseq.writeInt32BE(ds.seq + 1, 0);
      assert.throws(() => decryptDsFrame(keys, reseq), isTransport);
      assert.throws(() => decryptDsFrame(keys, frame.subarray(0, 19)), isTransport);
    });
  });
});
