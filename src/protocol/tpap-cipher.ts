/**
 * TPAP cipher: the pure half of the TPAP scheme (../shared/protocol/tpap.md). No I/O, no clocks;
 * randomness only where a caller does not inject it, so every step is pinned by
 * ../shared/protocol/vectors.json → `tpap`.
 *
 * What lives here, in protocol order:
 * 1. user-name hashes for `pake_register` (§2 `user_hash_type`);
 * 2. passcode candidates (§4.1) and the credential string, including `extra_crypt` (§4.2);
 * 3. SPAKE2+ on P-256, cipher suite 1 (§5): PBKDF2 → w0/w1, X, Z, V, transcript, Ke, KcA/KcB,
 *    SharedKey, `user_confirm` and the expected `dev_confirm`;
 * 4. AES-128-CCM session keys (§7) and the `/ds` frame (§8).
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { TapoError } from './errors';
import type { DeviceFamily } from './errors';
import {
  bigIntToBytes,
  bytesToBigInt,
  decodePoint,
  encodePoint,
  P256_G,
  P256_N,
  pointAdd,
  pointSubtract,
  scalarMult,
} from './p256';
import type { EcPoint } from './p256';
import type { JsonObject, JsonValue } from './types';

// ---------------------------------------------------------------------------------------------
// Hash helpers
// ---------------------------------------------------------------------------------------------

/** MD5 of a UTF-8 string as lower-case hex. */
export function md5HexLower(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** SHA-256 of a UTF-8 string as upper-case hex (the camera convention). */
export function sha256HexUpper(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').toUpperCase();
}

/** SHA-1 of a UTF-8 string as lower-case hex. */
export function sha1HexLower(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------
// 1. User name
// ---------------------------------------------------------------------------------------------

/**
 * The `username` field of `pake_register` (§2): `user_hash_type` 1 ⇒ SHA256_HEX_UPPER(user),
 * anything else (0 or absent) ⇒ md5_hex_lower(user). The user is `admin` for every device
 * family; SMART devices put the cloud e-mail into the credential instead (§4.2).
 */
export function tpapUserName(userHashType?: number, user = 'admin'): string {
  return userHashType === 1 ? sha256HexUpper(user) : md5HexLower(user);
}

// ---------------------------------------------------------------------------------------------
// 2. Passcodes and credentials
// ---------------------------------------------------------------------------------------------

/** The `passcode_type` values a client sends (§4.1). */
export type TpapPasscodeType = 'userpw' | 'default_userpw' | 'shared_token';

/** What a passcode is made of, without revealing it (a refused login names it by this). */
export type TpapPasscodeName = 'password' | 'passwordMd5' | 'passwordSha256' | 'defaultPasscode' | 'sharedToken';

/** One passcode to try, in order; `name` and `label` name it without revealing it. */
export interface TpapPasscode {
  /** Sent as `passcode_type` in `pake_register`. */
  readonly type: TpapPasscodeType;
  /** The passcode itself (secret). */
  readonly passcode: string;
  /** What it is made of, as a key (the refusal's reason follows from it). */
  readonly name: TpapPasscodeName;
  /** A safe description in English, e.g. `the MD5 of the password`. */
  readonly label: string;
}

/**
 * The one passcode type a login uses (§4.1), in the app's priority: `userpw` when `pake` offers 2, 1
 * or 5 (every device seen in the field advertises `pake: [2]`), else the MAC-derived
 * `default_userpw` (`pake` 0, needs the MAC), else `shared_token` (`pake` 3). The app tries only
 * this first match (an `else if` chain, freeKC PROTOCOL.md §4.1), and so does this client: each
 * further type would be one more failed login on the device when the password is wrong.
 * Undefined when nothing offered is usable.
 */
export function tpapPasscodeType(pake: readonly number[] = [2], mac?: string): TpapPasscodeType | undefined {
  const offered = pake.length > 0 ? pake : [2];
  if (offered.some((p) => p === 1 || p === 2 || p === 5)) return 'userpw';
  if (offered.includes(0) && mac !== undefined && macBytes(mac) !== undefined) return 'default_userpw';
  if (offered.includes(3)) return 'shared_token';
  return undefined;
}

/** The two hashes of the password a TPAP camera may take as its `userpw` passcode (§4.1). */
export type TpapPasswordForm = 'md5' | 'sha256';

/** Which form of the password to send, and whether the device's announcement settles it. */
export interface TpapFormChoice {
  /** The form to use. */
  readonly form: TpapPasswordForm;
  /** True when the announcement decides the form; false when it is only the likelier one. */
  readonly settled: boolean;
}

/**
 * Which hash of the password a TPAP camera takes as its `userpw` passcode, read from what the device
 * announced before any password is checked: `extra_crypt` in the `pake_register` reply (§4.2) and
 * `user_hash_type` in the discover reply (§2).
 *
 * - `extra_crypt` `password_shadow` with `passwd_id` 5 (SHA-256-crypt) ⇒ `SHA256_HEX_UPPER(password)`:
 *   a C200 hw5 1.4.6 announces it and refuses the MD5 form (tpap.md §4.2). Settled.
 * - `password_shadow` 3 ⇒ the credential does not use the passcode at all: either form gives the
 *   same credential. Settled.
 * - No `extra_crypt` and `user_hash_type` 0 or absent ⇒ `md5_hex_lower(password)`: the verifier the
 *   app provisions, and what a C510W 1.3.4 accepts (freeKC PROTOCOL.md §2, §4.5). Settled.
 * - Anything else (`user_hash_type` 1, other `extra_crypt` kinds) is not pinned down by any report:
 *   SHA-256 when the device hashes its user name with SHA-256 (`user_hash_type` 1), MD5 otherwise,
 *   marked unsettled.
 */
export function tpapCameraPasswordForm(extraCrypt: JsonValue | undefined, userHashType: number | undefined): TpapFormChoice {
  const likely: TpapPasswordForm = userHashType === 1 ? 'sha256' : 'md5';
  if (extraCrypt === undefined || extraCrypt === null) return { form: likely, settled: likely === 'md5' };
  if (typeof extraCrypt === 'object' && !Array.isArray(extraCrypt) && (str(extraCrypt['type']) ?? '').toLowerCase() === 'password_shadow') {
    const params = extraCrypt['params'];
    const id = params !== null && typeof params === 'object' && !Array.isArray(params) ? int(params['passwd_id']) : undefined;
    if (id === 5) return { form: 'sha256', settled: true };
    if (id === 3) return { form: likely, settled: true };
  }
  return { form: likely, settled: false };
}

/**
 * The passcode of `type` (§4.1): `userpw` is, on cameras, the `form` hash of the password
 * (md5_hex_lower or SHA256_HEX_UPPER) and on SMART devices the password itself; `default_userpw`
 * the MAC-derived default; `shared_token` md5_hex_lower(password).
 */
export function tpapPasscode(
  type: TpapPasscodeType,
  family: DeviceFamily,
  password: string,
  options: { form?: TpapPasswordForm; mac?: string } = {},
): TpapPasscode {
  switch (type) {
    case 'userpw':
      if (family !== 'camera') return { type, passcode: password, name: 'password', label: 'the password' };
      return options.form === 'sha256'
        ? { type, passcode: sha256HexUpper(password), name: 'passwordSha256', label: 'the SHA-256 of the password' }
        : { type, passcode: md5HexLower(password), name: 'passwordMd5', label: 'the MD5 of the password' };
    case 'default_userpw':
      if (options.mac === undefined) throw new TapoError('Input', 'defaultPasscodeNoMac');
      return { type, passcode: defaultPasscode(options.mac), name: 'defaultPasscode', label: 'the default passcode' };
    case 'shared_token':
      return { type, passcode: md5HexLower(password), name: 'sharedToken', label: 'the shared token' };
  }
}

function macBytes(mac: string): Buffer | undefined {
  const hex = mac.replace(/[^0-9a-fA-F]/g, '');
  return hex.length === 12 ? Buffer.from(hex, 'hex') : undefined;
}

/**
 * The MAC-derived default passcode (§4.1, `pake` 0): HKDF-SHA256 over a fixed seed ‖ MAC[3..5] ‖
 * MAC[0..2], as upper-case hex. Accepts `AA-BB-CC-DD-EE-FF`, `AA:BB:…` or bare hex.
 */
export function defaultPasscode(mac: string): string {
  const m = macBytes(mac);
  if (m === undefined) throw new TapoError('Input', 'badMacAddress');
  const ikm = Buffer.concat([Buffer.from('GqY5o136oa4i6VprTlMW2DpVXxmfW8', 'utf8'), m.subarray(3, 6), m.subarray(0, 3)]);
  const okm = hkdfSync(
    'sha256',
    ikm,
    Buffer.from('tp-kdf-salt-default-passcode', 'utf8'),
    Buffer.from('tp-kdf-info-default-passcode', 'utf8'),
    32,
  );
  return Buffer.from(okm).toString('hex').toUpperCase();
}

/** What {@link tpapCredential} needs. */
export interface TpapCredentialInput {
  /** Device family: SMART devices prefix the e-mail when there is no `extra_crypt`. */
  family: DeviceFamily;
  /** The configured user name (the cloud e-mail on SMART devices, `admin` on cameras). */
  username: string;
  /** The passcode candidate. */
  passcode: string;
  /** `extra_crypt` from the `pake_register` reply, if any. */
  extraCrypt?: JsonValue;
  /** Device MAC (needed by `password_shadow` passwd_id 3). */
  mac?: string;
}

function str(v: JsonValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function int(v: JsonValue | undefined): number | undefined {
  const s = str(v);
  if (s === undefined || !/^-?\d+$/.test(s.trim())) return undefined;
  return Number.parseInt(s, 10);
}

/**
 * The credential string fed to PBKDF2 (§4.2).
 *
 * Without `extra_crypt`: cameras use the passcode, SMART devices `"<e-mail>/<passcode>"`.
 * With it: `password_shadow` (passwd_id 1 MD5-crypt, 2 sha1_hex, 3 sha1_hex(md5_hex(user) + "_" + MAC),
 * 5 SHA-256-crypt), `password_authkey`, `password_sha_with_salt`. Anything else is `Unsupported`.
 */
export function tpapCredential(input: TpapCredentialInput): string {
  const { family, username, passcode, extraCrypt, mac } = input;
  if (extraCrypt === undefined || extraCrypt === null) {
    return family === 'camera' ? passcode : `${username}/${passcode}`;
  }
  if (typeof extraCrypt !== 'object' || Array.isArray(extraCrypt)) {
    throw new TapoError('Unsupported', 'extraCryptNotObject', { aboutScheme: true });
  }
  const type = (str(extraCrypt['type']) ?? '').toLowerCase();
  const rawParams = extraCrypt['params'];
  const params: JsonObject =
    rawParams !== null && typeof rawParams === 'object' && !Array.isArray(rawParams) ? rawParams : {};
  switch (type) {
    case 'password_shadow': {
      const id = int(params['passwd_id']);
      const prefix = str(params['passwd_prefix']) ?? '';
      if (id === 1) return md5Crypt(passcode, prefix);
      if (id === 2) return sha1HexLower(passcode);
      if (id === 3) {
        const m = mac !== undefined ? macBytes(mac) : undefined;
        if (m === undefined) {
          throw new TapoError('Unsupported', 'passwordShadowNoMac', { aboutScheme: true });
        }
        const colonMac = [...m].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
        return sha1HexLower(`${md5HexLower(username)}_${colonMac}`);
      }
      if (id === 5) return sha256Crypt(passcode, prefix, int(params['passwd_rounds']));
      throw new TapoError('Unsupported', 'passwordShadowUnsupported', { params: { id: String(id) }, aboutScheme: true });
    }
    case 'password_authkey': {
      const tmpkey = str(params['authkey_tmpkey']) ?? '';
      const dictionary = str(params['authkey_dictionary']) ?? '';
      if (dictionary.length === 0) {
        throw new TapoError('Unsupported', 'authkeyNoDictionary', { aboutScheme: true });
      }
      return passwordAuthkey(passcode, tmpkey, dictionary);
    }
    case 'password_sha_with_salt': {
      const name = int(params['sha_name']) === 0 || params['sha_name'] === undefined ? 'admin' : 'user';
      const salt = Buffer.from(str(params['sha_salt']) ?? '', 'base64');
      return createHash('sha256')
        .update(Buffer.from(name, 'utf8'))
        .update(salt)
        .update(Buffer.from(passcode, 'utf8'))
        .digest('hex');
    }
    default:
      throw new TapoError('Unsupported', 'extraCryptUnsupported', { params: { type }, aboutScheme: true });
  }
}

/**
 * `password_authkey`: character i of the result is `dictionary[(passcode[i] XOR tmpkey[i]) mod len]`,
 * the shorter string padded with 0xBB.
 */
export function passwordAuthkey(passcode: string, tmpkey: string, dictionary: string): string {
  const len = Math.max(passcode.length, tmpkey.length);
  let out = '';
  for (let i = 0; i < len; i++) {
    const a = i < passcode.length ? passcode.charCodeAt(i) : 0xbb;
    const b = i < tmpkey.length ? tmpkey.charCodeAt(i) : 0xbb;
    out += dictionary[(a ^ b) % dictionary.length];
  }
  return out;
}

const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** crypt(3)'s little-endian base-64 of up to three bytes, `n` characters. */
function crypt64(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let s = '';
  for (let i = 0; i < n; i++) {
    s += CRYPT_ALPHABET[w & 0x3f];
    w >>>= 6;
  }
  return s;
}

/** Repeats `block` until `length` bytes. */
function stretch(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = block[i % block.length]!;
  return out;
}

/** The salt of a `$id$salt$…` prefix (or a bare salt), and an optional `rounds=N`. */
function parseCryptPrefix(prefix: string, id: string): { salt: string; rounds?: number } {
  let rest = prefix;
  if (rest.startsWith(`$${id}$`)) rest = rest.slice(id.length + 2);
  let rounds: number | undefined;
  const m = /^rounds=(\d+)\$/.exec(rest);
  if (m) {
    rounds = Number.parseInt(m[1]!, 10);
    rest = rest.slice(m[0].length);
  }
  const dollar = rest.indexOf('$');
  const salt = dollar >= 0 ? rest.slice(0, dollar) : rest;
  return rounds === undefined ? { salt } : { salt, rounds };
}

/** MD5-crypt (`$1$salt$hash`, salt ≤ 8 characters), as crypt(3) computes it. */
export function md5Crypt(password: string, prefix: string): string {
  const pw = Buffer.from(password, 'utf8');
  const salt = Buffer.from(parseCryptPrefix(prefix, '1').salt.slice(0, 8), 'utf8');
  const md5 = (...parts: Buffer[]): Buffer => {
    const h = createHash('md5');
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const alt = md5(pw, salt, pw);
  const parts: Buffer[] = [pw, Buffer.from('$1$'), salt];
  for (let i = pw.length; i > 0; i -= 16) parts.push(alt.subarray(0, Math.min(i, 16)));
  for (let i = pw.length; i > 0; i >>= 1) parts.push(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let fin = md5(...parts);
  for (let i = 0; i < 1000; i++) {
    const round: Buffer[] = [];
    round.push(i & 1 ? pw : fin);
    if (i % 3) round.push(salt);
    if (i % 7) round.push(pw);
    round.push(i & 1 ? fin : pw);
    fin = md5(...round);
  }
  const f = fin;
  const enc =
    crypt64(f[0]!, f[6]!, f[12]!, 4) +
    crypt64(f[1]!, f[7]!, f[13]!, 4) +
    crypt64(f[2]!, f[8]!, f[14]!, 4) +
    crypt64(f[3]!, f[9]!, f[15]!, 4) +
    crypt64(f[4]!, f[10]!, f[5]!, 4) +
    crypt64(0, 0, f[11]!, 2);
  return `$1$${salt.toString('utf8')}$${enc}`;
}

/**
 * SHA-256-crypt (`$5$[rounds=N$]salt$hash`, salt ≤ 16 characters, rounds clamped to
 * [1000, 999999999], default 5000). `roundsOverride` (the device's `passwd_rounds`) wins over a
 * `rounds=` in the prefix.
 */
export function sha256Crypt(password: string, prefix: string, roundsOverride?: number): string {
  const parsed = parseCryptPrefix(prefix, '5');
  const pw = Buffer.from(password, 'utf8');
  const salt = Buffer.from(parsed.salt.slice(0, 16), 'utf8');
  const requested = roundsOverride ?? parsed.rounds;
  const rounds = requested === undefined ? 5000 : Math.min(999_999_999, Math.max(1000, requested));
  const sha = (...parts: Buffer[]): Buffer => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const b = sha(pw, salt, pw);
  const aParts: Buffer[] = [pw, salt];
  for (let i = pw.length; i > 0; i -= 32) aParts.push(b.subarray(0, Math.min(i, 32)));
  for (let i = pw.length; i > 0; i >>= 1) aParts.push(i & 1 ? b : pw);
  const a = sha(...aParts);
  const p = stretch(sha(...Array.from({ length: pw.length }, () => pw)), pw.length);
  const s = stretch(sha(...Array.from({ length: 16 + a[0]! }, () => salt)), salt.length);
  let c = a;
  for (let i = 0; i < rounds; i++) {
    const round: Buffer[] = [];
    round.push(i & 1 ? p : c);
    if (i % 3) round.push(s);
    if (i % 7) round.push(p);
    round.push(i & 1 ? c : p);
    c = sha(...round);
  }
  const order: Array<[number, number, number]> = [
    [0, 10, 20],
    [21, 1, 11],
    [12, 22, 2],
    [3, 13, 23],
    [24, 4, 14],
    [15, 25, 5],
    [6, 16, 26],
    [27, 7, 17],
    [18, 28, 8],
    [9, 19, 29],
  ];
  let enc = order.map(([x, y, z]) => crypt64(c[x]!, c[y]!, c[z]!, 4)).join('');
  enc += crypt64(0, c[31]!, c[30]!, 3);
  const roundsPart = requested === undefined ? '' : `rounds=${rounds}$`;
  return `$5$${roundsPart}${salt.toString('utf8')}$${enc}`;
}

// ---------------------------------------------------------------------------------------------
// 3. SPAKE2+ (cipher suite 1: P-256, SHA-256, HMAC-SHA256)
// ---------------------------------------------------------------------------------------------

/** RFC 9383 M for P-256 (given compressed in §5). */
export const SPAKE2P_M = decodePoint(
  Buffer.from('02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f', 'hex'),
);
/** RFC 9383 N for P-256. */
export const SPAKE2P_N = decodePoint(
  Buffer.from('03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49', 'hex'),
);

/** PBKDF2 output and the two password scalars. */
export interface TpapW0W1 {
  /** The 80 PBKDF2 bytes (secret). */
  dk: Buffer;
  /** int(dk[0:40]) mod n. */
  w0: bigint;
  /** int(dk[40:80]) mod n. */
  w1: bigint;
}

/** dk = PBKDF2-HMAC-SHA256(credential, salt, iterations, 80); w0, w1 = halves mod n (§5). */
export function deriveW0W1(credential: string, salt: Buffer, iterations: number): TpapW0W1 {
  const dk = pbkdf2Sync(Buffer.from(credential, 'utf8'), salt, iterations, 80, 'sha256');
  return {
    dk,
    w0: bytesToBigInt(dk.subarray(0, 40)) % P256_N,
    w1: bytesToBigInt(dk.subarray(40, 80)) % P256_N,
  };
}

/** w0 as the fixed 32-byte big-endian value the app writes into the transcript (§5). */
export function encodeW0(w0: bigint): Buffer {
  return bigIntToBytes(w0, 32);
}

/** A uniformly random scalar in [1, n − 1] (rejection sampling). */
export function randomScalar(): bigint {
  for (;;) {
    const k = bytesToBigInt(randomBytes(32));
    if (k > 0n && k < P256_N) return k;
  }
}

/** SHA-256("PAKE V1" ‖ user_random ‖ dev_random): the transcript's context element. */
export function pakeContextHash(userRandom: Buffer, devRandom: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from('PAKE V1', 'utf8')).update(userRandom).update(devRandom).digest();
}

/** lv(b) = uint64_le(len(b)) ‖ b. */
function lv(b: Buffer): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(b.length));
  return Buffer.concat([len, b]);
}

function hkdf(ikm: Buffer, salt: Buffer, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from(info, 'utf8'), length));
}

function hmac(key: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Inputs of the client's SPAKE2+ computation. */
export interface Spake2PlusInput {
  /** The credential string (§4.2). */
  credential: string;
  /** `dev_salt`, decoded. */
  devSalt: Buffer;
  /** `iterations`. */
  iterations: number;
  /** Our 32 `user_random` bytes. */
  userRandom: Buffer;
  /** `dev_random`, decoded. */
  devRandom: Buffer;
  /** `dev_share`, decoded (an uncompressed point; validated here). */
  devShare: Buffer;
  /** Our ephemeral scalar; random when absent. Tests inject the vector's value. */
  x?: bigint;
}

/** Every intermediate of the computation (secret: never log any of it). */
export interface Spake2PlusResult {
  w0: bigint;
  w1: bigint;
  /** X = x·G + w0·M, uncompressed: `user_share`. */
  userShare: Buffer;
  /** Y, uncompressed. */
  devShare: Buffer;
  /** Z = x·(Y − w0·N), uncompressed. */
  z: Buffer;
  /** V = w1·(Y − w0·N), uncompressed. */
  v: Buffer;
  context: Buffer;
  transcript: Buffer;
  ke: Buffer;
  kcA: Buffer;
  kcB: Buffer;
  sharedKey: Buffer;
  /** HMAC(KcA, Y): `user_confirm`. */
  userConfirm: Buffer;
  /** HMAC(KcB, X): what `dev_confirm` must equal. */
  expectedDevConfirm: Buffer;
}

/** X = x·G + w0·M. */
export function computeUserShare(x: bigint, w0: bigint): EcPoint {
  return pointAdd(scalarMult(x, P256_G), scalarMult(w0, SPAKE2P_M));
}

/**
 * The prover (client) side of SPAKE2+ as TPAP uses it (§5). Throws `TapoError('Authentication')`
 * when the device's share is not a valid point (a broken or hostile peer).
 */
export function spake2PlusClient(input: Spake2PlusInput): Spake2PlusResult {
  const { w0, w1 } = deriveW0W1(input.credential, input.devSalt, input.iterations);
  const x = input.x ?? randomScalar();
  if (x <= 0n || x >= P256_N) throw new RangeError('the ephemeral scalar is out of range');
  const X = computeUserShare(x, w0);
  let Y: EcPoint;
  try {
    Y = decodePoint(input.devShare);
  } catch (e) {
    throw new TapoError('Authentication', 'devShareInvalid', { cause: e });
  }
  const unblinded = pointSubtract(Y, scalarMult(w0, SPAKE2P_N));
  if (unblinded === null) throw new TapoError('Authentication', 'devShareDegenerate');
  const Z = scalarMult(x, unblinded);
  const V = scalarMult(w1, unblinded);
  const userShare = encodePoint(X);
  const devShare = encodePoint(Y);
  const z = encodePoint(Z);
  const v = encodePoint(V);
  const context = pakeContextHash(input.userRandom, input.devRandom);
  const transcript = Buffer.concat([
    lv(context),
    lv(Buffer.alloc(0)),
    lv(Buffer.alloc(0)),
    lv(encodePoint(SPAKE2P_M)),
    lv(encodePoint(SPAKE2P_N)),
    lv(userShare),
    lv(devShare),
    lv(z),
    lv(v),
    lv(encodeW0(w0)),
  ]);
  const ke = createHash('sha256').update(transcript).digest();
  const zeroSalt = Buffer.alloc(32);
  const kc = hkdf(ke, zeroSalt, 'ConfirmationKeys', 64);
  const kcA = kc.subarray(0, 32);
  const kcB = kc.subarray(32, 64);
  const sharedKey = hkdf(ke, zeroSalt, 'SharedKey', 32);
  return {
    w0,
    w1,
    userShare,
    devShare,
    z,
    v,
    context,
    transcript,
    ke,
    kcA,
    kcB,
    sharedKey,
    userConfirm: hmac(kcA, devShare),
    expectedDevConfirm: hmac(kcB, userShare),
  };
}

/** Constant-time comparison of the device's `dev_confirm` with the expected value. */
export function devConfirmMatches(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}

// ---------------------------------------------------------------------------------------------
// Login bodies (§3, §6): compact JSON in the field order the vectors pin
// ---------------------------------------------------------------------------------------------

/** The `discover` body (§2). */
export function buildDiscoverBody(): string {
  return JSON.stringify({ method: 'login', params: { sub_method: 'discover' } });
}

/** The `pake_register` body (§3). */
export function buildPakeRegisterBody(userName: string, userRandom: Buffer, passcodeType: TpapPasscodeType): string {
  return JSON.stringify({
    method: 'login',
    params: {
      sub_method: 'pake_register',
      username: userName,
      user_random: userRandom.toString('base64'),
      cipher_suites: [1],
      encryption: ['aes_128_ccm'],
      passcode_type: passcodeType,
      stok: null,
    },
  });
}

/** The `pake_share` body (§6); `dacNonce` only when the device offers DAC over plain HTTP. */
export function buildPakeShareBody(userShare: Buffer, userConfirm: Buffer, dacNonce?: Buffer): string {
  const params: Record<string, string> = {
    sub_method: 'pake_share',
    user_share: userShare.toString('base64'),
    user_confirm: userConfirm.toString('base64'),
  };
  if (dacNonce !== undefined) params['dac_nonce'] = dacNonce.toString('base64');
  return JSON.stringify({ method: 'login', params });
}

// ---------------------------------------------------------------------------------------------
// 4. Session keys and /ds frames (§7, §8)
// ---------------------------------------------------------------------------------------------

/** AES-128-CCM key and the 12-byte base nonce of one session (secret). */
export interface TpapSessionKeys {
  key: Buffer;
  baseNonce: Buffer;
}

/** key/base_nonce = HKDF-SHA256(SharedKey, "tp-kdf-salt-aes128-…", "tp-kdf-info-aes128-…") (§7). */
export function deriveSessionKeys(sharedKey: Buffer): TpapSessionKeys {
  return {
    key: hkdf(sharedKey, Buffer.from('tp-kdf-salt-aes128-key', 'utf8'), 'tp-kdf-info-aes128-key', 16),
    baseNonce: hkdf(sharedKey, Buffer.from('tp-kdf-salt-aes128-iv', 'utf8'), 'tp-kdf-info-aes128-iv', 12),
  };
}

/** Wraps any integer to a signed 32-bit value (TPAP sequence numbers wrap). */
export function toInt32(n: number): number {
  return n | 0;
}

/** nonce = base_nonce[0:8] ‖ uint32_be(seq), seq as two's complement (§8). */
export function ccmNonce(baseNonce: Buffer, seq: number): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeInt32BE(toInt32(seq));
  return Buffer.concat([baseNonce.subarray(0, 8), tail]);
}

const TAG_LENGTH = 16;

/** body = uint32_be(seq) ‖ AES-128-CCM(key, nonce(seq), plaintext) ‖ tag(16) (§8). */
export function encryptDsFrame(keys: TpapSessionKeys, seq: number, plaintext: Buffer | string): Buffer {
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const cipher = createCipheriv('aes-128-ccm', keys.key, ccmNonce(keys.baseNonce, seq), {
    authTagLength: TAG_LENGTH,
  });
  cipher.setAAD(Buffer.alloc(0), { plaintextLength: data.length });
  const ct = Buffer.concat([cipher.update(data), cipher.final()]);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(toInt32(seq));
  return Buffer.concat([prefix, ct, cipher.getAuthTag()]);
}

/**
 * Opens a `/ds` frame with the nonce built from the frame's own seq prefix (the reply's, §8).
 * Throws `TapoError('Transport')` when the frame is too short or fails authentication.
 */
export function decryptDsFrame(keys: TpapSessionKeys, body: Buffer): { seq: number; plaintext: Buffer } {
  if (body.length < 4 + TAG_LENGTH) {
    throw new TapoError('Transport', 'tpapFrameTooShort', { params: { bytes: body.length } });
  }
  const seq = body.readInt32BE(0);
  const ct = body.subarray(4, body.length - TAG_LENGTH);
  const tag = body.subarray(body.length - TAG_LENGTH);
  try {
    const decipher = createDecipheriv('aes-128-ccm', keys.key, ccmNonce(keys.baseNonce, seq), {
      authTagLength: TAG_LENGTH,
    });
    decipher.setAuthTag(tag);
    decipher.setAAD(Buffer.alloc(0), { plaintextLength: ct.length });
    const plaintext = Buffer.concat([decipher.update(ct), decipher.final()]);
    return { seq, plaintext };
  } catch (e) {
    throw new TapoError('Transport', 'tpapFrameUnauthenticated', { cause: e });
  }
}
