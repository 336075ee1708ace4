/**
 * KLAP, device side (plug-klap.md, its §10 "Simulator notes"; vectors.json `klap_v2`, `klap_v1`).
 *
 * The handshake as the device sees it:
 * 1. `POST /app/handshake1`, body = the client's 16-byte `local_seed`. The device picks a 16-byte
 *    `remote_seed` and answers `remote_seed ‖ server_hash` (48 bytes) with
 *    `Set-Cookie: TP_SESSIONID=<32 hex>;TIMEOUT=<seconds>`, where
 *    v2: `server_hash = SHA256(local_seed ‖ remote_seed ‖ auth_hash)`,
 *    v1: `server_hash = SHA256(local_seed ‖ auth_hash)`.
 *    The device always answers; the client decides whether the hash matches its account.
 * 2. `POST /app/handshake2` with the cookie, body = the client hash,
 *    v2: `SHA256(remote_seed ‖ local_seed ‖ auth_hash)`, v1: `SHA256(remote_seed ‖ auth_hash)`.
 *    200 (empty) on a match, 403 otherwise.
 * 3. Both sides derive key = `SHA256("lsk"‖L‖R‖A)[0:16]`, IV prefix = `SHA256("iv"‖L‖R‖A)[0:12]`,
 *    initial seq = the last 4 bytes of that hash as a signed int32, signature prefix =
 *    `SHA256("ldk"‖L‖R‖A)[0:28]`.
 * 4. `POST /app/request?seq=<signed decimal>` with the cookie, body = signature(32) ‖ ciphertext.
 *    The device checks `SHA256(sig prefix ‖ int32_be(seq) ‖ ciphertext)`, requires seq to be
 *    ahead of the last accepted one (int32 wrap-around allowed), decrypts AES-128-CBC with
 *    IV prefix ‖ int32_be(seq), runs the command, and answers with the same key and IV.
 *
 * Auth hash: v2 `SHA256(SHA1(user) ‖ SHA1(password))`, v1 `MD5(MD5(user) ‖ MD5(password))`.
 * Failures surface as HTTP statuses only (errors.md §4): 403 for a dead or rejected session and
 * for handshake1 while Third-Party Compatibility is off.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { parseFirstJsonValue } from '../logic/json';
import type { SchemeContext, SchemeServer, SimJsonObject, SimRequest, SimResponse, SimScheme } from '../types';

/** KLAP hash version: 2 for Tapo SMART devices, 1 for Kasa IOT devices. */
export type KlapVersion = 1 | 2;

/** Options of a {@link KlapSchemeServer}. */
export interface KlapSchemeOptions {
  /** Random source (tests fix the remote seed and session ids with it). */
  random?: (size: number) => Buffer;
}

/** Session keys both sides derive after the handshake (plug-klap.md §5). */
export interface KlapSessionKeys {
  /** AES-128 key. */
  key: Buffer;
  /** First 12 bytes of every IV. */
  ivPrefix: Buffer;
  /** The sequence number before the first request (signed int32). */
  initialSeq: number;
  /** First 28 bytes of every signature input. */
  sigPrefix: Buffer;
}

const sha256 = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
const digest = (algorithm: string, text: string): Buffer => createHash(algorithm).update(text, 'utf8').digest();

/** The account hash the device stores for `version` (plug-klap.md §2). */
export function klapAuthHash(version: KlapVersion, username: string, password: string): Buffer {
  if (version === 2) return sha256(digest('sha1', username), digest('sha1', password));
  return createHash('md5').update(Buffer.concat([digest('md5', username), digest('md5', password)])).digest();
}

/** `server_hash` of handshake 1 (plug-klap.md §3). */
export function klapServerHash(version: KlapVersion, localSeed: Buffer, remoteSeed: Buffer, authHash: Buffer): Buffer {
  return version === 2 ? sha256(localSeed, remoteSeed, authHash) : sha256(localSeed, authHash);
}

/** The client hash handshake 2 must carry (plug-klap.md §4). */
export function klapClientHash(version: KlapVersion, localSeed: Buffer, remoteSeed: Buffer, authHash: Buffer): Buffer {
  return version === 2 ? sha256(remoteSeed, localSeed, authHash) : sha256(remoteSeed, authHash);
}

/** Derives key, IV prefix, initial seq and signature prefix (plug-klap.md §5). */
export function klapSessionKeys(localSeed: Buffer, remoteSeed: Buffer, authHash: Buffer): KlapSessionKeys {
  const ivHash = sha256(Buffer.from('iv'), localSeed, remoteSeed, authHash);
  return {
    key: sha256(Buffer.from('lsk'), localSeed, remoteSeed, authHash).subarray(0, 16),
    ivPrefix: ivHash.subarray(0, 12),
    initialSeq: ivHash.readInt32BE(28),
    sigPrefix: sha256(Buffer.from('ldk'), localSeed, remoteSeed, authHash).subarray(0, 28),
  };
}

function seqBytes(seq: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeInt32BE(seq);
  return out;
}

/** `SHA256(sig prefix ‖ int32_be(seq) ‖ ciphertext)` (plug-klap.md §6 step 4). */
export function klapSignature(keys: KlapSessionKeys, seq: number, ciphertext: Buffer): Buffer {
  return sha256(keys.sigPrefix, seqBytes(seq), ciphertext);
}

/** Encrypts one message for `seq` and returns `signature ‖ ciphertext` (same framing both ways). */
export function klapSeal(keys: KlapSessionKeys, seq: number, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-128-cbc', keys.key, Buffer.concat([keys.ivPrefix, seqBytes(seq)]));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([klapSignature(keys, seq, ciphertext), ciphertext]);
}

/** Decrypts a ciphertext (without the signature) for `seq`; throws on bad padding. */
export function klapOpen(keys: KlapSessionKeys, seq: number, ciphertext: Buffer): Buffer {
  const decipher = createDecipheriv('aes-128-cbc', keys.key, Buffer.concat([keys.ivPrefix, seqBytes(seq)]));
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

interface KlapSession {
  localSeed: Buffer;
  remoteSeed: Buffer;
  authHash: Buffer;
  confirmed: boolean;
  keys?: KlapSessionKeys;
  lastSeq: number;
  createdAt: number;
  requests: number;
}

/** Sessions kept at most; the oldest goes first. */
const MAX_SESSIONS = 64;

/** The tiny page KLAP-era firmware answers to anything it does not handle (plug-klap.md §9). */
const OK_PAGE = '<html><head><title>200 OK</title></head><body><center><h1>200 OK</h1></center></body></html>';

/** Cookie value of `TP_SESSIONID` in a request's `Cookie` header. */
function sessionCookie(req: SimRequest): string | undefined {
  const header = req.headers['cookie'];
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === 'TP_SESSIONID') return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** True when `seq` is ahead of `last` on the int32 circle (so 2147483647 → -2147483648 is ahead). */
function isAhead(seq: number, last: number): boolean {
  return ((seq - last) | 0) > 0;
}

/** The device side of KLAP v2 (default) or v1. */
export class KlapSchemeServer implements SchemeServer {
  /** `'klap'` for v2, `'klap-v1'` for v1. */
  readonly scheme: SimScheme;
  /** Completed handshakes (handshake 2 accepted) since start. */
  loginCount = 0;
  /**
   * Handshake 2 requests refused since start (a client hash that does not match the account).
   * Handshake 1 cannot fail on a password: the client sends only its seed and checks the device's
   * `server_hash` itself, so a client with the wrong password learns it without a failed attempt.
   */
  failedLoginCount = 0;
  private readonly sessions = new Map<string, KlapSession>();
  private readonly random: (size: number) => Buffer;

  /** Creates the server for hash version 2 (Tapo) or 1 (Kasa). */
  constructor(readonly version: KlapVersion = 2, options: KlapSchemeOptions = {}) {
    this.scheme = version === 2 ? 'klap' : 'klap-v1';
    this.random = options.random ?? randomBytes;
  }

  /** Routes one HTTP request. */
  handle(req: SimRequest, ctx: SchemeContext): SimResponse {
    if (req.method === 'POST') {
      if (req.path === '/app/handshake1') return this.handshake1(req, ctx);
      if (req.path === '/app/handshake2') return this.handshake2(req, ctx);
      if (req.path === '/app/request') return this.request(req, ctx);
      // The legacy passthrough endpoint: KLAP firmware refuses it with "use the other transport".
      if (req.path === '/app') return json({ error_code: 1003 });
    }
    return { status: 200, headers: { 'content-type': 'text/html' }, body: OK_PAGE };
  }

  /** Drops every session. */
  expireSessions(): void {
    this.sessions.clear();
  }

  /** Live sessions (handshake 1 done and not expired). */
  sessionCount(): number {
    return this.sessions.size;
  }

  private handshake1(req: SimRequest, ctx: SchemeContext): SimResponse {
    if (ctx.faults.thirdPartyOff) return { status: 403 };
    if (req.body.length !== 16) return { status: 400 };
    const localSeed = Buffer.from(req.body);
    const remoteSeed = this.random(16);
    const authHash = klapAuthHash(this.version, ctx.credentials.username, ctx.credentials.password);
    const id = this.random(16).toString('hex').toUpperCase();
    // Probes that never finish the handshake must not grow the table without bound.
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    this.sessions.set(id, {
      localSeed,
      remoteSeed,
      authHash,
      confirmed: false,
      lastSeq: 0,
      createdAt: ctx.clock.now(),
      requests: 0,
    });
    return {
      status: 200,
      headers: { 'set-cookie': `TP_SESSIONID=${id};TIMEOUT=${ctx.sessionTtlSeconds}`, 'content-type': 'application/octet-stream' },
      body: Buffer.concat([remoteSeed, klapServerHash(this.version, localSeed, remoteSeed, authHash)]),
    };
  }

  private handshake2(req: SimRequest, ctx: SchemeContext): SimResponse {
    const found = this.liveSession(req, ctx);
    if (found === undefined) return { status: 403 };
    const [id, session] = found;
    const expected = klapClientHash(this.version, session.localSeed, session.remoteSeed, session.authHash);
    if (req.body.length !== expected.length || !req.body.equals(expected)) {
      this.failedLoginCount += 1;
      this.sessions.delete(id);
      return { status: 403 };
    }
    const keys = klapSessionKeys(session.localSeed, session.remoteSeed, session.authHash);
    session.keys = keys;
    session.lastSeq = keys.initialSeq;
    session.confirmed = true;
    this.loginCount += 1;
    return { status: 200 };
  }

  private request(req: SimRequest, ctx: SchemeContext): SimResponse {
    const found = this.liveSession(req, ctx);
    if (found === undefined) return { status: 403 };
    const [id, session] = found;
    if (!session.confirmed || session.keys === undefined) return { status: 403 };
    const limit = ctx.faults.expireAfterRequests;
    if (limit > 0 && session.requests >= limit) {
      this.sessions.delete(id);
      return { status: 403 };
    }
    const seqText = req.query.get('seq');
    if (seqText === null || !/^-?\d+$/.test(seqText)) return { status: 403 };
    const seq = Number(seqText);
    if (seq < -2147483648 || seq > 2147483647) return { status: 403 };
    if (req.body.length <= 32 || (req.body.length - 32) % 16 !== 0) return { status: 400 };
    const signature = req.body.subarray(0, 32);
    const ciphertext = req.body.subarray(32);
    if (!klapSignature(session.keys, seq, ciphertext).equals(signature)) return { status: 403 };
    if (!isAhead(seq, session.lastSeq)) return { status: 403 };

    let plaintext: Buffer;
    try {
      plaintext = klapOpen(session.keys, seq, ciphertext);
    } catch {
      return { status: 400 };
    }
    session.lastSeq = seq;
    session.requests += 1;
    const reply = runLogic(plaintext, ctx);
    return {
      status: 200,
      headers: { 'content-type': 'application/octet-stream' },
      body: klapSeal(session.keys, seq, Buffer.from(JSON.stringify(reply), 'utf8')),
    };
  }

  /** The session named by the cookie, dropped first if its `TIMEOUT` has run out. */
  private liveSession(req: SimRequest, ctx: SchemeContext): [string, KlapSession] | undefined {
    const id = sessionCookie(req);
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    if (ctx.clock.now() - session.createdAt >= ctx.sessionTtlSeconds * 1000) {
      this.sessions.delete(id);
      return undefined;
    }
    return [id, session];
  }
}

/**
 * Parses a decrypted SMART request (its first JSON value, as cJSON does) and runs it; unparsable
 * JSON is the device's -1003.
 */
function runLogic(plaintext: Buffer, ctx: SchemeContext): SimJsonObject {
  let request: unknown;
  try {
    request = parseFirstJsonValue(plaintext.toString('utf8'));
  } catch {
    return { error_code: -1003 };
  }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) return { error_code: -1003 };
  return ctx.logic.handle(request as SimJsonObject);
}

function json(value: SimJsonObject, status = 200): SimResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}
