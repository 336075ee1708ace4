/**
 * NIST P-256 (secp256r1) arithmetic on BigInt, just enough for SPAKE2+ (../shared/protocol/tpap.md §5):
 * point addition, doubling, scalar multiplication, SEC 1 point encoding and decoding (compressed
 * and uncompressed) and on-curve checks.
 *
 * Node's ECDH API only multiplies the base point by a private key; SPAKE2+ needs `w0·M`, `x·(Y − w0·N)`
 * and sums of arbitrary points, hence this module. Internally points live in Jacobian coordinates so a
 * scalar multiplication costs one field inversion instead of one per step.
 *
 * This code is not constant-time (BigInt operations never are). That is acceptable here: the scalars
 * are per-login ephemerals and password-derived values that never leave this process, and an attacker
 * would need precise timing of a device client on the same host.
 */

/** The field prime p = 2^256 − 2^224 + 2^192 + 2^96 − 1. */
export const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
/** The group order n (the curve's cofactor is 1, so every point on the curve is in the group). */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
/** The curve coefficient a = −3 (mod p). */
export const P256_A = P256_P - 3n;
/** The curve coefficient b. */
export const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

/** An affine point on P-256; `null` stands for the point at infinity (the group identity). */
export type EcPoint = { readonly x: bigint; readonly y: bigint } | null;

/** The standard base point G. */
export const P256_G: { readonly x: bigint; readonly y: bigint } = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};

/** Coordinate length in bytes. */
export const P256_BYTES = 32;

/** Reduces `a` into [0, m). */
export function mod(a: bigint, m: bigint = P256_P): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Modular inverse by the extended Euclidean algorithm; throws for 0 (no inverse). */
export function modInverse(a: bigint, m: bigint = P256_P): bigint {
  let r0 = mod(a, m);
  if (r0 === 0n) throw new RangeError('zero has no modular inverse');
  let r1 = m;
  let s0 = 1n;
  let s1 = 0n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
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

/** y² for a given x: x³ − 3x + b (mod p). */
function curveRhs(x: bigint): bigint {
  return mod(x * x * x + P256_A * x + P256_B);
}

/** True when `point` is the identity or satisfies y² = x³ − 3x + b with both coordinates in [0, p). */
export function isOnCurve(point: EcPoint): boolean {
  if (point === null) return true;
  const { x, y } = point;
  if (x < 0n || x >= P256_P || y < 0n || y >= P256_P) return false;
  return mod(y * y) === curveRhs(x);
}

/** −P. */
export function pointNegate(point: EcPoint): EcPoint {
  if (point === null) return null;
  return { x: point.x, y: mod(-point.y) };
}

/** Jacobian point (X, Y, Z) ~ affine (X/Z², Y/Z³); Z = 0 is the identity. */
interface Jacobian {
  x: bigint;
  y: bigint;
  z: bigint;
}

const J_INFINITY: Jacobian = { x: 1n, y: 1n, z: 0n };

function toJacobian(point: EcPoint): Jacobian {
  return point === null ? J_INFINITY : { x: point.x, y: point.y, z: 1n };
}

function toAffine(p: Jacobian): EcPoint {
  if (p.z === 0n) return null;
  const zInv = modInverse(p.z);
  const zInv2 = (zInv * zInv) % P256_P;
  return { x: mod(p.x * zInv2), y: mod(p.y * zInv2 * zInv) };
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

/** General addition; falls back to doubling when both inputs are the same point. */
function jAdd(p: Jacobian, q: Jacobian): Jacobian {
  if (p.z === 0n) return q;
  if (q.z === 0n) return p;
  const z1z1 = mod(p.z * p.z);
  const z2z2 = mod(q.z * q.z);
  const u1 = mod(p.x * z2z2);
  const u2 = mod(q.x * z1z1);
  const s1 = mod(p.y * q.z * z2z2);
  const s2 = mod(q.y * p.z * z1z1);
  const h = mod(u2 - u1);
  const r = mod(s2 - s1);
  if (h === 0n) return r === 0n ? jDouble(p) : J_INFINITY;
  const hh = mod(h * h);
  const hhh = mod(h * hh);
  const v = mod(u1 * hh);
  const x3 = mod(r * r - hhh - 2n * v);
  const y3 = mod(r * (v - x3) - s1 * hhh);
  const z3 = mod(p.z * q.z * h);
  return { x: x3, y: y3, z: z3 };
}

/** P + Q. */
export function pointAdd(p: EcPoint, q: EcPoint): EcPoint {
  return toAffine(jAdd(toJacobian(p), toJacobian(q)));
}

/** P − Q. */
export function pointSubtract(p: EcPoint, q: EcPoint): EcPoint {
  return pointAdd(p, pointNegate(q));
}

/** 2P. */
export function pointDouble(p: EcPoint): EcPoint {
  return toAffine(jDouble(toJacobian(p)));
}

/**
 * k·P by left-to-right double-and-add. `k` is reduced mod n first (valid because every point on
 * P-256 has order dividing n); k ≡ 0 yields the identity.
 */
export function scalarMult(k: bigint, point: EcPoint): EcPoint {
  const e = mod(k, P256_N);
  if (e === 0n || point === null) return null;
  const base = toJacobian(point);
  let acc = J_INFINITY;
  for (let i = e.toString(2).length - 1; i >= 0; i--) {
    acc = jDouble(acc);
    if ((e >> BigInt(i)) & 1n) acc = jAdd(acc, base);
  }
  return toAffine(acc);
}

/** Big-endian unsigned integer from bytes. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt('0x' + Buffer.from(bytes).toString('hex'));
}

/** Fixed-length big-endian encoding; throws if `n` is negative or does not fit. */
export function bigIntToBytes(n: bigint, length: number): Buffer {
  if (n < 0n) throw new RangeError('negative integers have no unsigned encoding');
  const hex = n.toString(16);
  if (hex.length > length * 2) throw new RangeError(`integer does not fit in ${length} bytes`);
  return Buffer.from(hex.padStart(length * 2, '0'), 'hex');
}

/**
 * SEC 1 encoding: uncompressed `04 ‖ X ‖ Y` (65 bytes, what TPAP puts on the wire and in the
 * transcript) or compressed `02|03 ‖ X` (33 bytes). The identity has no encoding here.
 */
export function encodePoint(point: EcPoint, compressed = false): Buffer {
  if (point === null) throw new RangeError('the point at infinity cannot be encoded');
  const x = bigIntToBytes(point.x, P256_BYTES);
  if (compressed) return Buffer.concat([Buffer.from([point.y & 1n ? 0x03 : 0x02]), x]);
  return Buffer.concat([Buffer.from([0x04]), x, bigIntToBytes(point.y, P256_BYTES)]);
}

/**
 * Decodes a SEC 1 point (65-byte uncompressed or 33-byte compressed) and checks it lies on the
 * curve. Throws `RangeError` for anything else: wrong length or prefix, coordinates ≥ p, a point off
 * the curve, or the identity. Received points must pass through here before use (an off-curve
 * point would leak information about our scalars).
 */
export function decodePoint(bytes: Uint8Array): { readonly x: bigint; readonly y: bigint } {
  const prefix = bytes[0];
  if (bytes.length === 1 + 2 * P256_BYTES && prefix === 0x04) {
    const x = bytesToBigInt(bytes.subarray(1, 1 + P256_BYTES));
    const y = bytesToBigInt(bytes.subarray(1 + P256_BYTES));
    const point = { x, y };
    if (!isOnCurve(point)) throw new RangeError('the point is not on P-256');
    return point;
  }
  if (bytes.length === 1 + P256_BYTES && (prefix === 0x02 || prefix === 0x03)) {
    const x = bytesToBigInt(bytes.subarray(1));
    if (x >= P256_P) throw new RangeError('the x coordinate is not below p');
    const rhs = curveRhs(x);
    // p ≡ 3 (mod 4), so a square root of rhs (when one exists) is rhs^((p+1)/4).
    let y = modPow(rhs, (P256_P + 1n) / 4n, P256_P);
    if (mod(y * y) !== rhs) throw new RangeError('the point is not on P-256');
    if ((y & 1n) !== BigInt(prefix & 1)) y = mod(-y);
    return { x, y };
  }
  throw new RangeError(`not a P-256 point encoding (${bytes.length} bytes)`);
}
