/**
 * Onboarding ciphers and request shapes against vectors.json `onboarding_connect_ap` (decrypt-only:
 * RSA PKCS#1 v1.5 is randomised, so the client's ciphertext is decrypted with the test key and
 * compared), and the simulator's decryption of the vector's own ciphertext.
 */
import { strict as assert } from 'node:assert';
import { privateDecrypt, constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import { APP_STATIC_PUBLIC_KEY_B64, checkJoinRequest, encryptWifiPassword, readOnboardingKey } from '../../src/devices/onboarding';
import { TapoError } from '../../src/protocol/errors';

interface Vectors {
  onboarding_connect_ap: { wifi_password: string; encrypted_password_b64: string; connect_ap_sub_request: string };
  rsa_test_keys: { rsa1024: { public_pem: string; private_pem_pkcs8: string } };
}
const v = JSON.parse(readFileSync(path.resolve(__dirname, '../vectors/vectors.json'), 'utf8')) as Vectors;
const keys = v.rsa_test_keys.rsa1024;
const vector = v.onboarding_connect_ap;

/** PKCS#1 v1.5 decryption with node-forge (Node refuses it for private keys, field-issues.md §11). */
function forgeDecrypt(b64: string): string {
  return forge.pki.privateKeyFromPem(keys.private_pem_pkcs8).decrypt(forge.util.decode64(b64), 'RSAES-PKCS1-V1_5');
}

describe('onboarding: Wi-Fi password encryption (vectors.json onboarding_connect_ap)', () => {
  it('the vector ciphertext decrypts to the vector password with the test key (the simulator side)', () => {
    assert.equal(forgeDecrypt(vector.encrypted_password_b64), vector.wifi_password);
  });

  it('the client ciphertext under the PEM test key decrypts to the password (PKCS#1 v1.5 block type 2)', () => {
    const b64 = encryptWifiPassword(vector.wifi_password, keys.public_pem);
    assert.equal(Buffer.from(b64, 'base64').length, 128);
    assert.equal(forgeDecrypt(b64), vector.wifi_password);
    // The raw block: 00 02, non-zero padding, 00, then the password.
    const raw = privateDecrypt({ key: keys.private_pem_pkcs8, padding: constants.RSA_NO_PADDING }, Buffer.from(b64, 'base64'));
    assert.equal(raw[0], 0);
    assert.equal(raw[1], 2);
    const sep = raw.indexOf(0, 2);
    assert.ok(sep >= 10);
    assert.equal(raw.subarray(sep + 1).toString('utf8'), vector.wifi_password);
  });

  it('the key is read as base64 DER too, as the camera sends it in publicKey', () => {
    const der = readOnboardingKey(keys.public_pem).export({ type: 'spki', format: 'der' }).toString('base64');
    assert.equal(forgeDecrypt(encryptWifiPassword(vector.wifi_password, der)), vector.wifi_password);
  });

  it('the app static key reads as RSA-1024', () => {
    const key = readOnboardingKey(APP_STATIC_PUBLIC_KEY_B64);
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 1024);
  });

  it('the vector connectAp sub-request has the shape camera.md §12 gives', () => {
    const sub = JSON.parse(vector.connect_ap_sub_request) as { method: string; params: { onboarding: { connect: Record<string, unknown> } } };
    assert.equal(sub.method, 'connectAp');
    assert.deepEqual(Object.keys(sub.params.onboarding.connect).sort(), ['auth', 'bssid', 'encryption', 'password', 'rssi', 'ssid']);
    assert.equal(forgeDecrypt(String(sub.params.onboarding.connect.password)), vector.wifi_password);
  });

  it('an unreadable key is a Device error, not a crash', () => {
    assert.throws(() => readOnboardingKey('bm90IGEga2V5'), (e: unknown) => e instanceof TapoError && e.reason === 'onboardingNoKey');
  });

  it('join inputs: specific Input errors, never the password in the text', () => {
    const reasonOf = (f: () => void): string => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof TapoError);
        assert.equal(e.kind, 'Input');
        assert.doesNotMatch(e.message, /sevench|x{70}/);
        return e.reason;
      }
      return 'none';
    };
    assert.equal(reasonOf(() => checkJoinRequest({ ssid: 'Home', password: 'sevench' })), 'onboardingBadPassword');
    assert.equal(reasonOf(() => checkJoinRequest({ ssid: 'Home', password: 'x'.repeat(70) })), 'onboardingBadPassword');
    assert.equal(reasonOf(() => checkJoinRequest({ ssid: 'x'.repeat(33), password: 'long-enough' })), 'onboardingNoSsid');
    assert.equal(reasonOf(() => checkJoinRequest({ ssid: 'Home', password: 'long-enough', bssid: 'aa:bb' })), 'onboardingBadBssid');
    assert.equal(reasonOf(() => checkJoinRequest({ ssid: 'Home', password: 'a'.repeat(64).replace(/a/g, 'f') })), 'none');
  });
});
