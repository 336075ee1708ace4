import { strict as assert } from 'node:assert';
import { createECDH, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bigIntToBytes,
  bytesToBigInt,
  decodePoint,
  encodePoint,
  isOnCurve,
  modInverse,
  P256_G,
  P256_N,
  P256_P,
  pointAdd,
  pointDouble,
  pointNegate,
  pointSubtract,
  scalarMult,
} from '../../src/protocol/p256';
import type { EcPoint } from '../../src/protocol/p256';

const vectors = JSON.parse(readFileSync(join(__dirname, '../vectors/vectors.json'), 'utf8')) as {
  tpap: Record<string, unknown> & { inputs: Record<string, string | number> };
};
const tpap = vectors.tpap;
const hex = (k: string): Buffer => Buffer.from(tpap[k] as string, 'hex');
const big = (h: string): bigint => BigInt('0x' + h);

/** k·G as Node's native (OpenSSL) ECDH computes it: an independent implementation. */
function nativePublic(k: bigint): Buffer {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(bigIntToBytes(k, 32));
  return ecdh.getPublicKey();
}

function sameX(p: EcPoint, xBytes: Buffer): boolean {
  return p !== null && p.x === bytesToBigInt(xBytes);
}

describe('p256', () => {
  it('the base point is on the curve and n·G is the identity', () => {
    assert.ok(isOnCurve(P256_G));
    assert.equal(scalarMult(P256_N, P256_G), null);
    assert.equal(scalarMult(0n, P256_G), null);
    assert.deepEqual(scalarMult(P256_N - 1n, P256_G), pointNegate(P256_G));
  });

  it('scalar multiplication agrees with OpenSSL for fixed and random scalars', () => {
    const scalars = [1n, 2n, 3n, 0xffffn, P256_N - 2n, big(tpap.inputs['client_scalar_x_hex'] as string)];
    for (let i = 0; i < 6; i++) scalars.push(bytesToBigInt(randomBytes(32)) % (P256_N - 1n) + 1n);
    for (const k of scalars) {
      assert.equal(encodePoint(scalarMult(k, P256_G)).toString('hex'), nativePublic(k).toString('hex'), `k=${k.toString(16)}`);
    }
  });

  it('multiplying an arbitrary point agrees with OpenSSL ECDH shared secrets', () => {
    for (let i = 0; i < 4; i++) {
      const a = createECDH('prime256v1');
      a.generateKeys();
      const b = createECDH('prime256v1');
      b.generateKeys();
      const point = decodePoint(b.getPublicKey());
      const product = scalarMult(bytesToBigInt(a.getPrivateKey()), point);
      assert.ok(sameX(product, a.computeSecret(b.getPublicKey())));
      assert.ok(isOnCurve(product));
    }
  });

  it('addition, doubling and subtraction are consistent', () => {
    const p = scalarMult(12345n, P256_G);
    const q = scalarMult(67890n, P256_G);
    assert.deepEqual(pointAdd(p, q), scalarMult(12345n + 67890n, P256_G));
    assert.deepEqual(pointAdd(p, q), pointAdd(q, p));
    assert.deepEqual(pointDouble(p), pointAdd(p, p));
    assert.deepEqual(pointDouble(p), scalarMult(24690n, P256_G));
    assert.deepEqual(pointSubtract(q, p), scalarMult(67890n - 12345n, P256_G));
    assert.equal(pointAdd(p, pointNegate(p)), null);
    assert.deepEqual(pointAdd(p, null), p);
    assert.deepEqual(pointAdd(null, q), q);
  });

  it('modInverse inverts and refuses zero', () => {
    const a = 0x1234567890abcdefn;
    assert.equal((a * modInverse(a)) % P256_P, 1n);
    assert.throws(() => modInverse(0n), RangeError);
  });

  it('decodes the compressed SPAKE2+ M and N to the uncompressed vectors', () => {
    const m = decodePoint(Buffer.from('02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f', 'hex'));
    const n = decodePoint(Buffer.from('03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49', 'hex'));
    assert.equal(encodePoint(m).toString('hex'), tpap['M_uncompressed_hex']);
    assert.equal(encodePoint(n).toString('hex'), tpap['N_uncompressed_hex']);
    assert.equal(encodePoint(m, true).toString('hex'), '02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f');
    assert.equal(encodePoint(n, true).toString('hex'), '03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49');
  });

  it('round-trips both encodings', () => {
    for (let i = 0; i < 4; i++) {
      const p = scalarMult(bytesToBigInt(randomBytes(32)), P256_G);
      assert.deepEqual(decodePoint(encodePoint(p)), p);
      assert.deepEqual(decodePoint(encodePoint(p, true)), p);
    }
  });

  it('reproduces the device side of the tpap vector (L, Y, Z, V)', () => {
    const w0 = big(tpap['w0_hex'] as string);
    const w1 = big(tpap['w1_hex'] as string);
    const y = big(tpap.inputs['device_scalar_y_hex'] as string);
    const M = decodePoint(hex('M_uncompressed_hex'));
    const N = decodePoint(hex('N_uncompressed_hex'));
    const X = decodePoint(hex('user_share_X_uncompressed_hex'));
    const L = scalarMult(w1, P256_G);
    assert.equal(encodePoint(L).toString('hex'), tpap['verifier_L_uncompressed_hex']);
    const Y = pointAdd(scalarMult(y, P256_G), scalarMult(w0, N));
    assert.equal(encodePoint(Y).toString('hex'), tpap['dev_share_Y_uncompressed_hex']);
    const Z = scalarMult(y, pointSubtract(X, scalarMult(w0, M)));
    assert.equal(encodePoint(Z).toString('hex'), tpap['Z_uncompressed_hex']);
    assert.equal(encodePoint(scalarMult(y, L)).toString('hex'), tpap['V_uncompressed_hex']);
  });

  describe('rejects invalid points', () => {
    const good = Buffer.from(tpap['dev_share_Y_uncompressed_hex'] as string, 'hex');

    it('a point off the curve', () => {
      const bad = Buffer.from(good);
      bad[64] = bad[64]! ^ 1;
      assert.throws(() => decodePoint(bad), /not on P-256/);
      assert.equal(isOnCurve({ x: 1n, y: 1n }), false);
    });

    it('coordinates not below p', () => {
      const bad = Buffer.concat([Buffer.from([0x04]), Buffer.alloc(32, 0xff), bigIntToBytes(P256_G.y, 32)]);
      assert.throws(() => decodePoint(bad), RangeError);
      const overX = Buffer.concat([Buffer.from([0x02]), Buffer.alloc(32, 0xff)]);
      assert.throws(() => decodePoint(overX), RangeError);
      assert.equal(isOnCurve({ x: P256_G.x + P256_P, y: P256_G.y }), false);
    });

    it('a compressed x with no square root', () => {
      let x = 1n;
      const rhs = (v: bigint): bigint => (((v * v * v - 3n * v + 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn) % P256_P) + P256_P) % P256_P;
      // Euler's criterion: rhs^((p-1)/2) = p-1 for a non-residue.
      const isResidue = (a: bigint): boolean => {
        let r = 1n;
        let b = a;
        let e = (P256_P - 1n) / 2n;
        while (e > 0n) {
          if (e & 1n) r = (r * b) % P256_P;
          b = (b * b) % P256_P;
          e >>= 1n;
        }
        return r === 1n || a === 0n;
      };
      while (isResidue(rhs(x))) x++;
      assert.throws(() => decodePoint(Buffer.concat([Buffer.from([0x02]), bigIntToBytes(x, 32)])), /not on P-256/);
    });

    it('wrong lengths, prefixes and the identity', () => {
      assert.throws(() => decodePoint(Buffer.from([0x00])), RangeError);
      assert.throws(() => decodePoint(good.subarray(0, 64)), RangeError);
      assert.throws(() => decodePoint(Buffer.concat([Buffer.from([0x05]), good.subarray(1)])), RangeError);
      assert.throws(() => decodePoint(Buffer.concat([Buffer.from([0x04]), good.subarray(1, 33)])), RangeError);
      assert.throws(() => decodePoint(Buffer.alloc(0)), RangeError);
      assert.throws(() => encodePoint(null), RangeError);
    });
  });

  it('bigIntToBytes pads and refuses overflow', () => {
    assert.equal(bigIntToBytes(1n, 4).toString('hex'), '00000001');
    assert.throws(() => bigIntToBytes(0x1_0000_0000n, 4), RangeError);
    assert.throws(() => bigIntToBytes(-1n, 4), RangeError);
    assert.equal(bytesToBigInt(Buffer.alloc(0)), 0n);
  });
});
