/**
 * SMART-AES ("securePassthrough") cipher: the pure parts of ../shared/protocol/plug-passthrough.md
 * §2-§5 (no I/O). Pinned by ../shared/protocol/vectors.json → `aes_passthrough` and `rsa_test_keys`.
 *
 * The RSA handshake answer is PKCS#1 v1.5 encrypted. Node 20+ with OpenSSL 3 refuses
 * `RSA_PKCS1_PADDING` in `privateDecrypt` (CVE-2023-46809), so we decrypt with `RSA_NO_PADDING`
 * and check and strip the `00 02 <non-zero padding> 00` block here (README "Node.js notes").
 */
import { constants, createCipheriv, createDecipheriv, createHash, privateDecrypt, type KeyObject } from 'node:crypto';
import type { JsonObject } from './types';

/** The AES-128-CBC key and the fixed IV of one passthrough session (§2: the 32 decrypted bytes). */
export interface PassthroughSessionKeys {
  /** AES-128 key (bytes 0-15). */
  key: Buffer;
  /** IV used for every message of the session (bytes 16-31). */
  iv: Buffer;
}

/** `base64(AES-128-CBC(key, iv, PKCS7(utf8(json))))` (§3). */
export function passthroughEncrypt(keys: PassthroughSessionKeys, plaintext: string): string {
  const cipher = createCipheriv('aes-128-cbc', keys.key, keys.iv);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** Reverses {@link passthroughEncrypt}; throws on bad base64 length or padding. */
export function passthroughDecrypt(keys: PassthroughSessionKeys, b64: string): string {
  const data = Buffer.from(b64, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) {
    throw new Error('passthrough ciphertext is not whole AES blocks');
  }
  const decipher = createDecipheriv('aes-128-cbc', keys.key, keys.iv);
  return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
}

/** The wrapper body `{"method":"securePassthrough","params":{"request":"<b64>"}}`, compact (§3). */
export function securePassthroughBody(encryptedB64: string): string {
  return JSON.stringify({ method: 'securePassthrough', params: { request: encryptedB64 } });
}

/** The handshake body carrying the client's PEM SPKI public key (§2). */
export function handshakeBody(publicKeyPem: string, timeMs: number): string {
  return JSON.stringify({ method: 'handshake', params: { key: publicKeyPem }, requestTimeMils: timeMs });
}

/**
 * Checks and strips a PKCS#1 v1.5 encryption block (type 2): `00 02 PS 00 M` with at least eight
 * non-zero padding bytes in PS (RFC 8017 §7.2.2). Throws when the block is malformed.
 */
export function unpadPkcs1Type2(block: Buffer): Buffer {
  if (block.length < 11 || block[0] !== 0x00 || block[1] !== 0x02) {
    throw new Error('RSA block is not PKCS#1 v1.5 type 2');
  }
  const sep = block.indexOf(0x00, 2);
  if (sep < 0 || sep < 10) {
    throw new Error('RSA block has no separator after at least 8 padding bytes');
  }
  return block.subarray(sep + 1);
}

/** RSA PKCS#1 v1.5 decryption done as raw RSA plus {@link unpadPkcs1Type2} (works on Node 20/22). */
export function rsaPkcs1Decrypt(privateKey: KeyObject | string, ciphertext: Buffer): Buffer {
  const block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ciphertext);
  return unpadPkcs1Type2(block);
}

/**
 * Decrypts the handshake's `result.key` (base64) into the session key and IV (§2): the plaintext
 * must be exactly 32 bytes.
 */
export function decodeHandshakeKey(privateKey: KeyObject | string, keyB64: string): PassthroughSessionKeys {
  const plain = rsaPkcs1Decrypt(privateKey, Buffer.from(keyB64, 'base64'));
  if (plain.length !== 32) {
    throw new Error(`handshake key is ${plain.length} bytes, expected 32`);
  }
  return { key: Buffer.from(plain.subarray(0, 16)), iv: Buffer.from(plain.subarray(16, 32)) };
}

/** Lower-case hex SHA-1 of a UTF-8 string. */
export function sha1HexLower(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/**
 * The `login_device` params (§4): `username` = base64 of the lower-case hex SHA-1 of the e-mail;
 * v1 sends `password` = base64 of the password, v2 sends `password2` = base64 of its lower-case
 * hex SHA-1.
 */
export function loginDeviceParams(version: 1 | 2, username: string, password: string): JsonObject {
  const user = Buffer.from(sha1HexLower(username), 'utf8').toString('base64');
  if (version === 1) return { username: user, password: Buffer.from(password, 'utf8').toString('base64') };
  return { username: user, password2: Buffer.from(sha1HexLower(password), 'utf8').toString('base64') };
}

/**
 * The inner `login_device` request (§4). The timestamp key follows the client each variant comes
 * from: `requestTimeMils` (PyP100) for v1, `request_time_milis` (python-kasa, which introduced
 * `password2`) for v2; devices ignore the field.
 */
export function loginDeviceRequest(version: 1 | 2, username: string, password: string, timeMs: number): string {
  const params = loginDeviceParams(version, username, password);
  return version === 1
    ? JSON.stringify({ method: 'login_device', params, requestTimeMils: timeMs })
    : JSON.stringify({ method: 'login_device', params, request_time_milis: timeMs });
}
