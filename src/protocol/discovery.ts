/**
 * UDP discovery of one device (../shared/protocol/discovery.md): sends the TDP probe with a fresh
 * RSA public key to one host by unicast, waits for its answer, decrypts `encrypt_info` and maps
 * the result to a scheme. Never broadcasts: the socket has no SO_BROADCAST and broadcast and
 * multicast targets are refused before anything is sent.
 *
 * The socket is connected to the target, so the kernel reports ICMP "port unreachable" as
 * ECONNREFUSED (on the next send) and drops datagrams from any other peer; replies whose source
 * address is not the target are ignored here as well.
 */
import { generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import {
  buildDiscoveryProbe,
  decryptEncryptInfo,
  DISCOVERY_PORT,
  discoveryProbePayload,
  encryptInfoOf,
  parseDiscoveryReply,
  schemeFromDiscovery,
  type DiscoveryInfo,
} from './discovery-cipher';
import { errorFromCode, TapoError } from './errors';
import type { HintKey, ReasonKey } from './reasons';
import type { JsonObject } from './types';

/** Options of {@link discover}. */
export interface DiscoverOptions {
  /** UDP port to probe (default 20002; some doorbells answer on 20004). */
  port?: number;
  /** How long the whole call may take, key generation included, in ms (default 3000). */
  timeoutMs?: number;
  /** Cancels the discovery; it then rejects with a `Transport` error. */
  signal?: AbortSignal;
  /**
   * RSA modulus length of the probe key (default 2048, what python-kasa and plugp100 send; the
   * Rust client sends 1024 but never decrypts the answer). Any value from 1024 to 4096.
   */
  rsaKeyBits?: number;
  /** How many probes to send, spread evenly over the time left (default 3, like python-kasa). */
  attempts?: number;
}

/** What {@link discover} resolves with: the mapped fields, the raw result and the decrypted data. */
export interface DiscoveryResult extends DiscoveryInfo {
  /** The host as given. */
  host: string;
  /** The address the answer came from. */
  address: string;
  /** The UDP port probed. */
  discoveryPort: number;
  /** The decrypted `encrypt_info` JSON, when the reply carried one that decrypted. */
  decrypted?: JsonObject;
  /** Why `encrypt_info` could not be decrypted, when it was present but did not decrypt. */
  decryptError?: string;
  /** The raw discovery `result` object. */
  result: JsonObject;
}

const DEFAULT_TIMEOUT_MS = 3000;
const DEFAULT_RSA_BITS = 2048;
const DEFAULT_ATTEMPTS = 3;

function inputError(reason: ReasonKey, hint: HintKey, params: Record<string, string | number> = {}): TapoError {
  return new TapoError('Input', reason, { params, hint, sent: false });
}

function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** An IPv4 address as an unsigned 32-bit number (no validation: callers pass checked addresses). */
export function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

/**
 * The broadcast address of the IPv4 subnet of `address` with `netmask` (dotted), or undefined for
 * a /31 or /32, which have none.
 */
export function subnetBroadcast(address: string, netmask: string): string | undefined {
  const mask = ipv4ToInt(netmask);
  if (mask >>> 0 >= 0xfffffffe) return undefined;
  return intToIpv4((ipv4ToInt(address) | ~mask) >>> 0);
}

/** An unsigned 32-bit number as a dotted IPv4 address. */
export function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

/** True for addresses that reach more than one host: limited/subnet broadcast, multicast, "any" (never probed). */
export function isGroupAddress(address: string): boolean {
  if (isIPv4(address)) {
    const value = ipv4ToInt(address);
    if (value === 0xffffffff || value === 0) return true;
    if (value >>> 28 === 0xe) return true; // 224.0.0.0/4
    for (const entries of Object.values(networkInterfaces())) {
      for (const entry of entries ?? []) {
        if (entry.family !== 'IPv4' || !isIPv4(entry.netmask)) continue;
        const broadcast = subnetBroadcast(entry.address, entry.netmask);
        if (broadcast !== undefined && value === ipv4ToInt(broadcast)) return true;
      }
    }
    return false;
  }
  const lower = address.toLowerCase();
  return lower.startsWith('ff') || lower === '::';
}

/** The RSA key pair of one probe: the public half goes into the probe, the private half reads `encrypt_info`. */
export interface ProbeKey {
  publicPem: string;
  privateKey: KeyObject;
}

/** Generates the probe's RSA key pair (SPKI PEM public key, as python-kasa and plugp100 send; §1). */
export function generateProbeKey(bits: number): Promise<ProbeKey> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: bits }, (err, publicKey, privateKey) => {
      if (err) {
        reject(err);
        return;
      }
      resolve({ publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey });
    });
  });
}

/** Probe keys by size, made once per process: the key only lets the device encrypt its answer to us. */
const probeKeys = new Map<number, Promise<ProbeKey>>();

/**
 * The probe key of `bits` for this process (made on first use; a failure is forgotten so the next
 * call tries again). Callers that will need one soon may call it early to have it ready.
 */
export function sharedProbeKey(bits: number): Promise<ProbeKey> {
  let key = probeKeys.get(bits);
  if (key === undefined) {
    key = generateProbeKey(bits);
    probeKeys.set(bits, key);
    key.catch(() => probeKeys.delete(bits));
  }
  return key;
}

async function resolveHost(host: string): Promise<{ address: string; family: 4 | 6 }> {
  try {
    const found = await lookup(host);
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  } catch (e) {
    throw new TapoError('Transport', 'cannotResolve', {
      params: { host, detail: errnoCode(e) ?? String(e) },
      sent: false,
      hint: 'checkHostName',
      cause: e,
    });
  }
}

function validate(host: string, options: DiscoverOptions): Required<Omit<DiscoverOptions, 'signal'>> {
  if (typeof host !== 'string' || host.trim() === '') {
    throw inputError('discoveryNoHost', 'giveDeviceIp');
  }
  const port = options.port ?? DISCOVERY_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw inputError('discoveryBadPort', 'portRange', { value: String(port) });
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw inputError('discoveryBadTimeout', 'timeoutPositive', { value: String(timeoutMs) });
  }
  const rsaKeyBits = options.rsaKeyBits ?? DEFAULT_RSA_BITS;
  if (!Number.isInteger(rsaKeyBits) || rsaKeyBits < 1024 || rsaKeyBits > 4096) {
    throw inputError('discoveryBadKeySize', 'rsaKeyBits', { value: String(rsaKeyBits) });
  }
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw inputError('discoveryBadAttempts', 'atLeastOneProbe', { value: String(attempts) });
  }
  return { port, timeoutMs, rsaKeyBits, attempts };
}

/**
 * Discovers one device: sends the probe (with a fresh RSA key) by UDP unicast to `host` a few
 * times within the timeout and resolves with the first valid answer from that host.
 *
 * Rejects with a {@link TapoError}: `Input` for bad arguments or a broadcast/multicast target,
 * `Timeout` when nothing answers in time, `Transport` on socket errors (ECONNREFUSED: nothing
 * listens on that port), an unresolvable host or a cancelled `signal`, and the mapped kind when
 * the device answers with a non-zero `error_code`. The socket is closed (`close()` has called
 * back) before the promise settles.
 */
export async function discover(host: string, options: DiscoverOptions = {}): Promise<DiscoveryResult> {
  const { port, timeoutMs, rsaKeyBits, attempts } = validate(host, options);
  const { signal } = options;
  const where = `${host}:${port}`;
  const startedAt = performance.now();

  return new Promise<DiscoveryResult>((resolve, reject) => {
    let settled = false;
    let socket: dgram.Socket | undefined;
    let sendTimer: NodeJS.Timeout | undefined;

    const finish = (error: TapoError | undefined, value?: DiscoveryResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(sendTimer);
      signal?.removeEventListener('abort', onAbort);
      const settle = (): void => {
        if (error) reject(error);
        else if (value) resolve(value);
      };
      const s = socket;
      socket = undefined;
      if (!s) {
        settle();
        return;
      }
      try {
        s.close(settle);
      } catch {
        settle();
      }
    };

    function onAbort(): void {
      const reason: unknown = signal?.reason;
      finish(new TapoError('Transport', 'discoveryCancelled', { params: { where }, sent: false, cause: reason }));
    }

    const deadline = setTimeout(() => {
      finish(
        new TapoError('Timeout', 'discoveryNoAnswer', { params: { where, ms: timeoutMs }, sent: true, hint: 'discoveryCheckNetwork' }),
      );
    }, timeoutMs);

    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    const transportError = (e: unknown): TapoError => {
      const code = errnoCode(e);
      if (code === 'ECONNREFUSED') {
        return new TapoError('Transport', 'discoveryRefused', { params: { where }, sent: false, hint: 'checkDiscoveryPort', cause: e });
      }
      return new TapoError('Transport', 'discoveryFailed', {
        params: { where, detail: code ?? (e instanceof Error ? e.message : String(e)) },
        sent: false,
        hint: 'checkHostOnNetwork',
        cause: e,
      });
    };

    void Promise.all([resolveHost(host), sharedProbeKey(rsaKeyBits)]).then(
      ([target, key]) => {
        if (settled) return;
        if (isGroupAddress(target.address)) {
          finish(
            inputError('discoveryGroupAddress', 'discoveryUnicast', { host }),
          );
          return;
        }
        const probe = probeFor(key);
        const s = dgram.createSocket(target.family === 6 ? 'udp6' : 'udp4');
        socket = s;
        s.on('error', (e) => finish(transportError(e)));
        s.on('message', (msg, rinfo) => {
          if (settled || rinfo.address !== target.address) return;
          let reply;
          try {
            reply = parseDiscoveryReply(msg);
          } catch {
            return; // not a discovery answer: keep waiting
          }
          if (reply.errorCode !== 0) {
            finish(errorFromCode('smart', reply.errorCode, `discovery of ${where}`));
            return;
          }
          finish(undefined, buildResult(host, rinfo.address, port, reply.result, key.privateKey));
        });

        const send = (left: number): void => {
          if (settled) return;
          s.send(probe, (err) => {
            if (err) finish(transportError(err));
          });
          if (left <= 1) return;
          const remaining = timeoutMs - (performance.now() - startedAt);
          sendTimer = setTimeout(() => send(left - 1), Math.max(1, remaining / left));
        };
        s.connect(port, target.address, (err?: Error) => {
          if (err) finish(transportError(err));
          else send(attempts);
        });
      },
      (e: unknown) => {
        finish(e instanceof TapoError ? e : transportError(e));
      },
    );
  });
}

/** The probe datagram carrying `key`'s public half and a random serial (§1). */
export function probeFor(key: ProbeKey): Buffer {
  return buildDiscoveryProbe({ payload: discoveryProbePayload(key.publicPem), serial: randomBytes(4) });
}

/**
 * Reads an answer's `result` as {@link discover} and the scan do: decrypts `encrypt_info` with the
 * probe's private key (a failure is kept in `decryptError`, not thrown) and maps the result (§4).
 */
export function buildResult(host: string, address: string, port: number, result: JsonObject, privateKey: KeyObject): DiscoveryResult {
  const info = encryptInfoOf(result);
  let decrypted: JsonObject | undefined;
  let decryptError: string | undefined;
  if (info) {
    try {
      decrypted = decryptEncryptInfo(privateKey, info);
    } catch (e) {
      decryptError = e instanceof Error ? e.message : String(e);
    }
  }
  const mapped: Omit<DiscoveryResult, 'result'> = { ...schemeFromDiscovery(result, decrypted), host, address, discoveryPort: port };
  if (decrypted !== undefined) mapped.decrypted = decrypted;
  if (decryptError !== undefined) mapped.decryptError = decryptError;
  return { ...mapped, result }; // raw result last, so printed JSON shows the mapped fields first
}
