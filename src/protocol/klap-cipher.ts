/**
 * KLAP cipher: the pure math of ../shared/protocol/plug-klap.md §2-§8 (no I/O, no clock).
 *
 * Pinned by ../shared/protocol/vectors.json sections `klap_v2`, `klap_v1`,
 * `klap_fallback_auth_hashes` and `klap_seq_wrap_example`.
 */
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import type { Credentials } from './types';

/** KLAP hash version: 2 for Tapo SMART devices, 1 (MD5 based) for Kasa IOT devices. */
export type KlapVersion = 1 | 2;

function digest(algorithm: 'md5' | 'sha1' | 'sha256', ...parts: (Buffer | string)[]): Buffer {
  const h = createHash(algorithm);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * The auth hash of one account (§2): v2 `SHA256(SHA1(user) ‖ SHA1(pass))` (32 bytes),
 * v1 `MD5(MD5(user) ‖ MD5(pass))` (16 bytes). User name and password are UTF-8.
 */
export function klapAuthHash(version: KlapVersion, credentials: Credentials): Buffer {
  if (version === 2) {
    return digest('sha256', digest('sha1', credentials.username), digest('sha1', credentials.password));
  }
  return digest('md5', digest('md5', credentials.username), digest('md5', credentials.password));
}

/**
 * The hash the device returns after its seed in handshake 1 (§3):
 * v2 `SHA256(local ‖ remote ‖ auth)`, v1 `SHA256(local ‖ auth)`.
 */
export function klapServerHash(version: KlapVersion, localSeed: Buffer, remoteSeed: Buffer, authHash: Buffer): Buffer {
  return version === 2 ? digest('sha256', localSeed, remoteSeed, authHash) : digest('sha256', localSeed, authHash);
}

/**
 * The body of handshake 2 (§4): v2 `SHA256(remote ‖ local ‖ auth)`, v1 `SHA256(remote ‖ auth)`.
 */
export function klapClientHash(version: KlapVersion, localSeed: Buffer, remoteSeed: Buffer, authHash: Buffer): Buffer {
  return version === 2 ? digest('sha256', remoteSeed, localSeed, authHash) : digest('sha256', remoteSeed, authHash);
}

/**
 * The accounts a client tries after the user's own, in order (§3): python-kasa's built-in
 * defaults, then blank. Unbound Tapo plugs answer to blank or `test@tp-link.net`/`test`.
 */
export const KLAP_FALLBACK_CREDENTIALS: readonly Readonly<Credentials>[] = [
  { username: 'kasa@tp-link.net', password: 'kasaSetup' },
  { username: 'admin', password: '21232f297a57a5a743894a0e4a801fc3' },
  { username: 'test@tp-link.net', password: 'test' },
  { username: 'admin', password: 'admin' },
  { username: 'admin', password: 'TPL075526460603' },
  { username: '', password: '' },
];

/** The session secrets derived after a successful handshake (§5). */
export interface KlapSessionKeys {
  /** AES-128 key: `SHA256("lsk" ‖ L ‖ R ‖ A)[0:16]`. */
  key: Buffer;
  /** First 12 bytes of every IV: `SHA256("iv" ‖ L ‖ R ‖ A)[0:12]`. */
  ivPrefix: Buffer;
  /** Initial sequence number: `SHA256("iv" ‖ L ‖ R ‖ A)[28:32]` as signed int32 BE. */
  initialSeq: number;
  /** Signature prefix: `SHA256("ldk" ‖ L ‖ R ‖ A)[0:28]`. */
  sigPrefix: Buffer;
}

/** Derives key, IV prefix, initial seq and signature prefix (identical for v1 and v2; §5). */
export function deriveKlapSession(localSeed: Buffer, remoteSeed: Buffer, authHash: Buffer): KlapSessionKeys {
  const iv = digest('sha256', 'iv', localSeed, remoteSeed, authHash);
  return {
    key: digest('sha256', 'lsk', localSeed, remoteSeed, authHash).subarray(0, 16),
    ivPrefix: iv.subarray(0, 12),
    initialSeq: iv.readInt32BE(28),
    sigPrefix: digest('sha256', 'ldk', localSeed, remoteSeed, authHash).subarray(0, 28),
  };
}

/** The next sequence number: +1 as a signed 32-bit integer, wrapping 2147483647 → -2147483648 (§6.1). */
export function nextKlapSeq(seq: number): number {
  return (seq + 1) | 0;
}

/** The IV of one message: IV prefix ‖ int32_be(seq) (§6.2; the reply uses the same IV). */
export function klapIv(keys: KlapSessionKeys, seq: number): Buffer {
  // One 16-byte buffer written in place: this runs twice per request.
  const iv = Buffer.allocUnsafe(16);
  keys.ivPrefix.copy(iv, 0, 0, 12);
  iv.writeInt32BE(seq | 0, 12);
  return iv;
}

/** One encrypted request (§6). */
export interface KlapEncrypted {
  /** AES-128-CBC ciphertext with PKCS#7 padding. */
  ciphertext: Buffer;
  /** `SHA256(sig prefix ‖ int32_be(seq) ‖ ciphertext)`. */
  signature: Buffer;
  /** What goes on the wire: signature ‖ ciphertext. */
  body: Buffer;
}

/** Encrypts and signs one request plaintext for `seq` (§6.2-§6.4). */
export function klapEncrypt(keys: KlapSessionKeys, seq: number, plaintext: string | Buffer): KlapEncrypted {
  const iv = klapIv(keys, seq);
  const cipher = createCipheriv('aes-128-cbc', keys.key, iv);
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
  // The seq bytes of the signature input are the IV's last four bytes.
  const signature = digest('sha256', keys.sigPrefix, iv.subarray(12), ciphertext);
  return { ciphertext, signature, body: Buffer.concat([signature, ciphertext]) };
}

/**
 * Decrypts a reply body (32-byte signature ‖ ciphertext) sent for `seq` (§7). The signature is
 * skipped unchecked, as every reference client does. Throws on a malformed body or bad padding.
 */
export function klapDecrypt(keys: KlapSessionKeys, seq: number, body: Buffer): string {
  const ciphertext = body.subarray(32);
  if (body.length < 48 || ciphertext.length % 16 !== 0) {
    throw new Error(`KLAP reply of ${body.length} bytes is not signature + AES blocks`);
  }
  const decipher = createDecipheriv('aes-128-cbc', keys.key, klapIv(keys, seq));
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
}

/**
 * Seconds after handshake 1 at which a client should stop using a session whose `TIMEOUT` cookie
 * said `timeoutSeconds` (§8: python-kasa re-handshakes at TIMEOUT − 1200 s; absent ⇒ 86 400).
 * Short lifetimes (≤ 2400 s, where that margin would eat most of the session) use half instead.
 * Shared by the KLAP and passthrough transports, whose `TIMEOUT` cookies mean the same.
 */
export function sessionRefreshSeconds(timeoutSeconds: number | undefined): number {
  const timeout = timeoutSeconds !== undefined && Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds : 86_400;
  return timeout <= 2400 ? timeout / 2 : timeout - 1200;
}
