/**
 * Camera login and payload cipher: the pure parts of ../shared/protocol/camera.md §5-§8 (secure
 * login, `encrypt_type` "3") and §7 (the legacy MD5 login body). No I/O.
 *
 * Camera hashes are computed over ASCII strings and written as upper-case hex; only `lsk`/`ivb`
 * are raw bytes. Pinned by ../shared/protocol/vectors.json → `camera_secure_login` and
 * `camera_legacy_login`.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

/** Upper-case hex SHA-256 of a UTF-8 string. */
export function sha256HexUpper(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').toUpperCase();
}

/** Upper-case hex MD5 of a UTF-8 string. */
export function md5HexUpper(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex').toUpperCase();
}

/**
 * The password hashes a camera may have stored, in the order a client tries them (§6.1):
 * SHA-256 first, MD5 for cameras that kept it after the 2023 upgrade.
 */
export function cameraPasswordHashes(password: string): string[] {
  return [sha256HexUpper(password), md5HexUpper(password)];
}

/** `SHA256_HEX_UPPER(cnonce ‖ pwd_hash ‖ nonce) ‖ nonce ‖ cnonce` (§6.1, 96 characters). */
export function cameraDeviceConfirm(cnonce: string, pwdHash: string, nonce: string): string {
  return sha256HexUpper(cnonce + pwdHash + nonce) + nonce + cnonce;
}

/**
 * The candidate password hash whose {@link cameraDeviceConfirm} equals the camera's
 * `device_confirm`, or undefined (wrong password: stop, every further attempt counts to the lockout).
 */
export function matchCameraPasswordHash(
  password: string,
  cnonce: string,
  nonce: string,
  deviceConfirm: string,
): string | undefined {
  return cameraPasswordHashes(password).find((h) => cameraDeviceConfirm(cnonce, h, nonce) === deviceConfirm);
}

/** `SHA256_HEX_UPPER(pwd_hash ‖ cnonce ‖ nonce) ‖ cnonce ‖ nonce` (§6.2). */
export function cameraDigestPasswd(pwdHash: string, cnonce: string, nonce: string): string {
  return sha256HexUpper(pwdHash + cnonce + nonce) + cnonce + nonce;
}

/** The secrets of one secure camera session (§6.3). */
export interface CameraSessionKeys {
  /** AES-128 key: `SHA256("lsk" ‖ cnonce ‖ nonce ‖ hashed_key)[0:16]`. */
  lsk: Buffer;
  /** AES-CBC IV, fixed for the session: `SHA256("ivb" ‖ cnonce ‖ nonce ‖ hashed_key)[0:16]`. */
  ivb: Buffer;
  /** `SHA256_HEX_UPPER(pwd_hash ‖ cnonce)`, the start of every `Tapo_tag` input. */
  tagPrefix: string;
}

/** Derives lsk, ivb and the tag prefix from the matched password hash and both nonces (§6.3). */
export function deriveCameraSession(pwdHash: string, cnonce: string, nonce: string): CameraSessionKeys {
  const hashedKey = sha256HexUpper(cnonce + pwdHash + nonce);
  const derive = (label: string): Buffer =>
    createHash('sha256').update(label + cnonce + nonce + hashedKey, 'utf8').digest().subarray(0, 16);
  return { lsk: derive('lsk'), ivb: derive('ivb'), tagPrefix: sha256HexUpper(pwdHash + cnonce) };
}

/** `Tapo_tag = SHA256_HEX_UPPER(tag_prefix ‖ body ‖ decimal(seq))` over the exact body sent (§8.4). */
export function cameraTag(tagPrefix: string, body: string, seq: number): string {
  return sha256HexUpper(tagPrefix + body + String(seq));
}

/** `BASE64(AES-128-CBC(lsk, ivb, PKCS7(inner)))` (§8.2). */
export function cameraEncrypt(keys: CameraSessionKeys, inner: string): string {
  const cipher = createCipheriv('aes-128-cbc', keys.lsk, keys.ivb);
  return Buffer.concat([cipher.update(inner, 'utf8'), cipher.final()]).toString('base64');
}

/** Decrypts a `result.response` (base64); throws on bad length or padding. */
export function cameraDecrypt(keys: CameraSessionKeys, b64: string): string {
  const data = Buffer.from(b64, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) {
    throw new Error('camera ciphertext is not whole AES blocks');
  }
  const decipher = createDecipheriv('aes-128-cbc', keys.lsk, keys.ivb);
  return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
}

/** One encrypted command ready to send: the exact body string and its two signing headers (§8). */
export interface CameraSignedRequest {
  /** `{"method":"securePassthrough","params":{"request":"<b64>"}}`, compact: send these bytes. */
  body: string;
  /** `Seq` header value. */
  seq: string;
  /** `Tapo_tag` header value. */
  tag: string;
}

/** Encrypts `inner`, wraps it, and signs the exact body for `seq` (§8.1-§8.4). */
export function cameraSignRequest(keys: CameraSessionKeys, seq: number, inner: string): CameraSignedRequest {
  const body = JSON.stringify({ method: 'securePassthrough', params: { request: cameraEncrypt(keys, inner) } });
  return { body, seq: String(seq), tag: cameraTag(keys.tagPrefix, body, seq) };
}

/** Secure login step 1 body (§5). */
export function cameraStep1Body(cnonce: string, username: string): string {
  return JSON.stringify({ method: 'login', params: { cnonce, encrypt_type: '3', username } });
}

/** Secure login step 2 body (§6.2). */
export function cameraStep2Body(cnonce: string, digestPasswd: string, username: string): string {
  return JSON.stringify({
    method: 'login',
    params: { cnonce, encrypt_type: '3', digest_passwd: digestPasswd, username },
  });
}

/** Legacy login body (§7): the MD5 upper hex of the password with `hashed: true`. */
export function cameraLegacyLoginBody(username: string, password: string): string {
  return JSON.stringify({ method: 'login', params: { hashed: true, password: md5HexUpper(password), username } });
}
