/**
 * The arithmetic behind the simulator's TPAP device (../shared/protocol/tpap.md §4, §5, §7, §8):
 * P-256 in plain BigInt, the SPAKE2+ verifier (cipher suite 1: P-256, SHA-256, HMAC), the HKDF
 * key schedule and the AES-128-CCM `/ds` framing.
 *
 * This is the device's own copy, written independently of the client's TPAP cipher on purpose:
 * if both sides shared one derivation, a mistake in it would be invisible. Both are pinned by
 * `vectors.json` → `tpap`.
 *
 * Nothing here is constant-time. It runs inside a test fake on 127.0.0.1, never on real secrets.
 */

import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, pbkdf2Sync } from 'node:crypto';

// ---------------------------------------------------------------------------------------------
// P-256 (SEC 2 secp256r1 / NIST FIPS 186-4 curve P-256): y² = x³ − 3x + b over GF(p).

/** Field prime p = 2^256 − 2^224 + 2^192 + 2^96 − 1. */
export const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
/** Group order n. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** Curve coefficient b (a is −3). */
export const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

/** An affine point; `null` is the point at infinity. */
export type Point = { readonly x: bigint; readonly y: bigint } | null;

/** The base point G. */
export const P256_G: Point = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};

function mod(a: bigint, m: bigint = P256_P): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** Modular inverse by the extended Euclidean algorithm (m prime, a ≠ 0 mod m). */
function modInv(a: bigint, m: bigint = P256_P): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error('not invertible');
  return mod(oldS, m);
}

/** True when `pt` satisfies the curve equation (infinity counts as on the curve). */
export function isOnCurve(pt: Point): boolean {
  if (pt === null) return true;
  const { x, y } = pt;
  if (x < 0n || x >= P256_P || y < 0n || y >= P256_P) return false;
  return mod(y * y - (x * x * x - 3n * x + P256_B)) === 0n;
}

// Jacobian coordinates (X, Y, Z) ↔ affine (X/Z², Y/Z³) avoid one inversion per step.
interface Jacobian {
  x: bigint;
  y: bigint;
  z: bigint;
}

const J_INFINITY: Jacobian = { x: 1n, y: 1n, z: 0n };

function toJacobian(pt: Point): Jacobian {
  return pt === null ? J_INFINITY : { x: pt.x, y: pt.y, z: 1n };
}

function fromJacobian(j: Jacobian): Point {
  if (j.z === 0n) return null;
  const zi = modInv(j.z);
  const zi2 = mod(zi * zi);
  return { x: mod(j.x * zi2), y: mod(j.y * zi2 * zi) };
}

/** Doubling for a = −3 ("dbl-2001-b"). */
function jDouble(p: Jacobian): Jacobian {
  if (p.z === 0n || p.y === 0n) return J_INFINITY;
  const delta = mod(p.z * p.z);
  const gamma = mod(p.y * p.y);
  const beta = mod(p.x * gamma);
  const alpha = mod(3n * (p.x - delta) * (p.x + delta));
  const x3 = mod(alpha * alpha - 8n * beta);
  const z3 = mod((p.y + p.z) * (p.y + p.z) - gamma - delta);
  const y3 = mod(alpha * (4n * beta - x3) - 8n * gamma * gamma);
  return { x: x3, y: y3, z: z3 };
}

/** General addition ("add-2007-bl"), falling back to doubling for equal inputs. */
function jAdd(p: Jacobian, q: Jacobian): Jacobian {
  if (p.z === 0n) return q;
  if (q.z === 0n) return p;
  const z1z1 = mod(p.z * p.z);
  const z2z2 = mod(q.z * q.z);
  const u1 = mod(p.x * z2z2);
  const u2 = mod(q.x * z1z1);
  const s1 = mod(p.y * q.z * z2z2);
  const s2 = mod(q.y * p.z * z1z1);
  if (u1 === u2) return s1 === s2 ? jDouble(p) : J_INFINITY;
  const h = mod(u2 - u1);
  const i = mod(4n * h * h);
  const j = mod(h * i);
  const r = mod(2n * (s2 - s1));
  const v = mod(u1 * i);
  const x3 = mod(r * r - j - 2n * v);
  const y3 = mod(r * (v - x3) - 2n * s1 * j);
  const z3 = mod(((p.z + q.z) * (p.z + q.z) - z1z1 - z2z2) * h);
  return { x: x3, y: y3, z: z3 };
}

/** a + b. */
export function pointAdd(a: Point, b: Point): Point {
  return fromJacobian(jAdd(toJacobian(a), toJacobian(b)));
}

/** −a. */
export function pointNeg(a: Point): Point {
  return a === null ? null : { x: a.x, y: mod(-a.y) };
}

/** k·pt (k reduced mod n; double-and-add, most significant bit first). */
export function pointMul(k: bigint, pt: Point): Point {
  const e = mod(k, P256_N);
  if (e === 0n || pt === null) return null;
  const base = toJacobian(pt);
  let acc = J_INFINITY;
  for (let bit = BigInt(e.toString(2).length - 1); bit >= 0n; bit--) {
    acc = jDouble(acc);
    if ((e >> bit) & 1n) acc = jAdd(acc, base);
  }
  return fromJacobian(acc);
}

/** a·G + b·Q. */
export function mulAdd(a: bigint, b: bigint, q: Point): Point {
  return pointAdd(pointMul(a, P256_G), pointMul(b, q));
}

/** Big-endian unsigned integer of a byte string. */
export function bytesToBigInt(b: Buffer): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`);
}

/** Fixed-width big-endian bytes of a non-negative integer. */
export function bigIntToBytes(v: bigint, length = 32): Buffer {
  const hex = v.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) throw new Error('integer too large');
  return Buffer.from(hex, 'hex');
}

/** SEC 1 uncompressed encoding `04 ‖ X(32) ‖ Y(32)` (the form on the wire and in the transcript). */
export function encodePoint(pt: Point): Buffer {
  if (pt === null) throw new Error('cannot encode the point at infinity');
  return Buffer.concat([Buffer.from([4]), bigIntToBytes(pt.x), bigIntToBytes(pt.y)]);
}

/**
 * Decodes an uncompressed (65 B) or compressed (33 B) SEC 1 point and checks it lies on the curve.
 * Throws on anything else: a device must not compute with a share that is not a curve point.
 */
export function decodePoint(b: Buffer): Point {
  if (b.length === 65 && b[0] === 4) {
    const pt = { x: bytesToBigInt(b.subarray(1, 33)), y: bytesToBigInt(b.subarray(33)) };
    if (!isOnCurve(pt)) throw new Error('point not on P-256');
    return pt;
  }
  if (b.length === 33 && (b[0] === 2 || b[0] === 3)) {
    const x = bytesToBigInt(b.subarray(1));
    if (x >= P256_P) throw new Error('point not on P-256');
    // p ≡ 3 (mod 4), so a square root of c is c^((p+1)/4).
    const rhs = mod(x * x * x - 3n * x + P256_B);
    let y = modPow(rhs, (P256_P + 1n) / 4n, P256_P);
    if (mod(y * y) !== rhs) throw new Error('point not on P-256');
    if ((y & 1n) !== BigInt(b[0] & 1)) y = mod(-y);
    return { x, y };
  }
  throw new Error('bad point encoding');
}

// ---------------------------------------------------------------------------------------------
// SPAKE2+ (tpap.md §5; RFC 9383 M and N for P-256).

/** RFC 9383 M for P-256. */
export const SPAKE_M: Point = decodePoint(
  Buffer.from('02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f', 'hex'),
);
/** RFC 9383 N for P-256. */
export const SPAKE_N: Point = decodePoint(
  Buffer.from('03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49', 'hex'),
);

/** `md5_hex_lower(s)`: the camera user name field and the camera credential. */
export function md5HexLower(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

/** `SHA256_HEX_UPPER(s)`: the user name field when `user_hash_type` is 1. */
export function sha256HexUpper(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex').toUpperCase();
}


/** The 64 characters of crypt(3)'s base64, in crypt's order. */
const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The byte triples SHA-256-crypt writes out, in output order (the last one is 2 bytes + padding). */
const SHA256_CRYPT_TRIPLES: ReadonlyArray<readonly [number, number, number]> = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14],
  [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
];

/** `length` bytes of `block` repeated (`block` is one digest). */
function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = block[i % block.length] as number;
  return out;
}

/** Writes the 24-bit value `b2 b1 b0` as `chars` crypt base64 characters, low 6 bits first. */
function cryptChars(b2: number, b1: number, b0: number, chars: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < chars; i++) {
    out += CRYPT_ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

/**
 * SHA-256-crypt with the default 5000 rounds, `$5$<salt>$<43 characters>` (U. Drepper, "Unix crypt
 * using SHA-256 and SHA-512"; salt cut to 16 characters). A C200 hw5 1.4.6 on TPAP stores
 * `sha256_crypt(SHA256_HEX_UPPER(password))` with its own salt and announces it as `extra_crypt`
 * `password_shadow` 5 (tpap.md §4.2).
 */
export function sha256CryptDefault(key: string, saltText: string): string {
  const sha = (...parts: Buffer[]): Buffer => {
    const h = createHash('sha256');
    for (const part of parts) h.update(part);
    return h.digest();
  };
  const k = Buffer.from(key, 'utf8');
  const salt = Buffer.from(saltText.slice(0, 16), 'utf8');
  const alternate = sha(k, salt, k);
  const first: Buffer[] = [k, salt, repeatTo(alternate, k.length)];
  for (let bits = k.length; bits > 0; bits >>= 1) first.push(bits & 1 ? alternate : k);
  const a = sha(...first);
  const pBytes = repeatTo(sha(...new Array<Buffer>(k.length).fill(k)), k.length);
  const sBytes = repeatTo(sha(...new Array<Buffer>(16 + (a[0] as number)).fill(salt)), salt.length);
  let c = a;
  for (let round = 0; round < 5000; round++) {
    const odd = round % 2 === 1;
    const parts: Buffer[] = [odd ? pBytes : c];
    if (round % 3 !== 0) parts.push(sBytes);
    if (round % 7 !== 0) parts.push(pBytes);
    parts.push(odd ? c : pBytes);
    c = sha(...parts);
  }
  const at = (i: number): number => c[i] as number;
  let text = '';
  for (const [x, y, z] of SHA256_CRYPT_TRIPLES) text += cryptChars(at(x), at(y), at(z), 4);
  text += cryptChars(0, at(31), at(30), 3);
  return `$5$${salt.toString('utf8')}$${text}`;
}

/** The two password-derived scalars. */
export interface SpakeScalars {
  w0: bigint;
  w1: bigint;
}

/** `dk = PBKDF2-HMAC-SHA256(credential, salt, iterations, 80)`; w0, w1 = halves mod n. */
export function deriveScalars(credential: string, salt: Buffer, iterations: number): SpakeScalars {
  const dk = pbkdf2Sync(Buffer.from(credential, 'utf8'), salt, iterations, 80, 'sha256');
  return { w0: mod(bytesToBigInt(dk.subarray(0, 40)), P256_N), w1: mod(bytesToBigInt(dk.subarray(40)), P256_N) };
}

/** What the device stores instead of the password: w0 and L = w1·G. */
export interface VerifierRecord {
  w0: bigint;
  L: Point;
}

/** Builds the verifier record for a credential. */
export function makeVerifier(credential: string, salt: Buffer, iterations: number): VerifierRecord {
  const { w0, w1 } = deriveScalars(credential, salt, iterations);
  return { w0, L: pointMul(w1, P256_G) };
}

/** The device share Y = y·G + w0·N. */
export function deviceShare(y: bigint, w0: bigint): Point {
  return mulAdd(y, w0, SPAKE_N);
}

/** The device's Z and V for the client share X: Z = y·(X − w0·M), V = y·L. */
export function verifierSecrets(
  y: bigint,
  verifier: VerifierRecord,
  X: Point,
): { Z: Point; V: Point } {
  const unblinded = pointAdd(X, pointNeg(pointMul(verifier.w0, SPAKE_M)));
  if (unblinded === null) throw new Error('degenerate share');
  return { Z: pointMul(y, unblinded), V: pointMul(y, verifier.L) };
}

/** `context = SHA256("PAKE V1" ‖ user_random ‖ dev_random)`. */
export function contextHash(userRandom: Buffer, devRandom: Buffer): Buffer {
  return createHash('sha256').update('PAKE V1').update(userRandom).update(devRandom).digest();
}

/** `lv(b) = uint64_le(len(b)) ‖ b`. */
function lv(b: Buffer): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(b.length));
  return Buffer.concat([len, b]);
}

/** The transcript inputs (all points as they go into TT). */
export interface TranscriptParts {
  context: Buffer;
  X: Point;
  Y: Point;
  Z: Point;
  V: Point;
  w0: bigint;
}

/**
 * TT = lv(context) ‖ lv("") ‖ lv("") ‖ lv(M) ‖ lv(N) ‖ lv(X) ‖ lv(Y) ‖ lv(Z) ‖ lv(V) ‖ lv(w0),
 * identities empty, points uncompressed, w0 as fixed 32-byte big-endian (tpap.md §5).
 */
export function transcript(parts: TranscriptParts): Buffer {
  const empty = Buffer.alloc(0);
  return Buffer.concat([
    lv(parts.context),
    lv(empty),
    lv(empty),
    lv(encodePoint(SPAKE_M)),
    lv(encodePoint(SPAKE_N)),
    lv(encodePoint(parts.X)),
    lv(encodePoint(parts.Y)),
    lv(encodePoint(parts.Z)),
    lv(encodePoint(parts.V)),
    lv(bigIntToBytes(parts.w0)),
  ]);
}

const ZERO_SALT = Buffer.alloc(32);

function hkdf(ikm: Buffer, salt: Buffer | string, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/** The key schedule after the transcript. */
export interface ConfirmationKeys {
  /** Ke = SHA256(TT). */
  ke: Buffer;
  /** Key of the client's confirmation (the device checks `user_confirm` with it). */
  kcA: Buffer;
  /** Key of the device's confirmation. */
  kcB: Buffer;
  /** Input of the session key derivation. */
  sharedKey: Buffer;
}

/** Ke, then KcA‖KcB = HKDF(Ke, 0³², "ConfirmationKeys", 64) and SharedKey = HKDF(Ke, 0³², "SharedKey", 32). */
export function confirmationKeys(tt: Buffer): ConfirmationKeys {
  const ke = createHash('sha256').update(tt).digest();
  const kc = hkdf(ke, ZERO_SALT, 'ConfirmationKeys', 64);
  return { ke, kcA: kc.subarray(0, 32), kcB: kc.subarray(32), sharedKey: hkdf(ke, ZERO_SALT, 'SharedKey', 32) };
}

/** HMAC-SHA256(key, data): `user_confirm` = HMAC(KcA, Y), `dev_confirm` = HMAC(KcB, X). */
export function confirmMac(key: Buffer, point: Point): Buffer {
  return createHmac('sha256', key).update(encodePoint(point)).digest();
}

/** AES-128-CCM session key and 12-byte base nonce (tpap.md §7). */
export interface SessionKeys {
  key: Buffer;
  baseNonce: Buffer;
}

/** Derives the `aes_128_ccm` session key and base nonce from SharedKey. */
export function sessionKeys(sharedKey: Buffer): SessionKeys {
  return {
    key: hkdf(sharedKey, 'tp-kdf-salt-aes128-key', 'tp-kdf-info-aes128-key', 16),
    baseNonce: hkdf(sharedKey, 'tp-kdf-salt-aes128-iv', 'tp-kdf-info-aes128-iv', 12),
  };
}

/** `nonce = base_nonce[0:8] ‖ uint32_be(seq)`, seq as two's-complement 32-bit. */
export function frameNonce(baseNonce: Buffer, seq: number): Buffer {
  const n = Buffer.alloc(12);
  baseNonce.copy(n, 0, 0, 8);
  n.writeInt32BE(seq | 0, 8);
  return n;
}

const TAG_LENGTH = 16;

/** Builds a `/ds` frame: `uint32_be(seq) ‖ AES-CCM(key, nonce(seq), plaintext) ‖ tag16`. */
export function sealFrame(keys: SessionKeys, seq: number, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-128-ccm', keys.key, frameNonce(keys.baseNonce, seq), {
    authTagLength: TAG_LENGTH,
  });
  cipher.setAAD(Buffer.alloc(0), { plaintextLength: plaintext.length });
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(seq | 0);
  return Buffer.concat([prefix, ct, cipher.getAuthTag()]);
}

/** Reads a `/ds` frame; throws when it is too short or fails authentication. */
export function openFrame(keys: SessionKeys, frame: Buffer): { seq: number; plaintext: Buffer } {
  if (frame.length < 4 + TAG_LENGTH) throw new Error('frame too short');
  const seq = frame.readInt32BE(0);
  const ct = frame.subarray(4, frame.length - TAG_LENGTH);
  const decipher = createDecipheriv('aes-128-ccm', keys.key, frameNonce(keys.baseNonce, seq), {
    authTagLength: TAG_LENGTH,
  });
  decipher.setAuthTag(frame.subarray(frame.length - TAG_LENGTH));
  decipher.setAAD(Buffer.alloc(0), { plaintextLength: ct.length });
  const plaintext = Buffer.concat([decipher.update(ct), decipher.final()]);
  return { seq, plaintext };
}
