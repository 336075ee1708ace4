/**
 * Network scan (../shared/protocol/discovery.md): the TDP probe of {@link discover}, sent from ONE
 * UDP socket to many targets, and every answer collected until a deadline.
 *
 * 1. One RSA key pair is made for the whole scan; every datagram is the same probe (§1) carrying
 *    its public half, so a camera's `encrypt_info` (§3) can be read whoever answers.
 * 2. The probe goes to each target on each port (20002, and 20004 for doorbells: §1). Targets are
 *    broadcast addresses (the socket then has SO_BROADCAST; it never has it otherwise) and/or
 *    unicast addresses from a range (a sweep, for networks that filter broadcast). Sends are paced
 *    ({@link ScanOptions.burst} datagrams, then {@link ScanOptions.gapMs}), so a /24 does not
 *    leave as one burst of 500 datagrams; the whole round is sent {@link ScanOptions.attempts} times.
 * 3. Answers (16-byte header, JSON body: §2) are read like {@link discover} reads one, de-duplicated
 *    by MAC (else by source address), and mapped to a kind and a scheme (§4). A send that fails for
 *    one target (no route, a broadcast address in a unicast sweep) does not end the scan; when no
 *    datagram could be sent at all the scan rejects.
 * 4. At the deadline the socket is closed and the devices found are returned, none found = `[]`.
 */
import * as dgram from 'node:dgram';
import { isIPv4 } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { DISCOVERY_PORT, DISCOVERY_PORT_DOORBELL, parseDiscoveryReply } from './discovery-cipher';
import { buildResult, intToIpv4, ipv4ToInt, probeFor, sharedProbeKey, subnetBroadcast } from './discovery';
import { TapoError } from './errors';
import type { HintKey, ReasonKey } from './reasons';
import type { DeviceKind, SchemeName } from './types';

/** The ports a scan probes by default: plugs, bulbs, hubs and cameras; some doorbells (§1). */
export const SCAN_PORTS: readonly number[] = [DISCOVERY_PORT, DISCOVERY_PORT_DOORBELL];
/** The most addresses one range (and one sweep) may hold. */
export const MAX_SWEEP_ADDRESSES = 1024;
/** Narrowest and widest CIDR prefix {@link parseAddressRange} accepts. */
export const CIDR_PREFIX_RANGE = { min: 22, max: 30 } as const;

/** Options of {@link scanNetwork}. */
export interface ScanOptions {
  /** Broadcast addresses to probe (the socket gets SO_BROADCAST only when there is one). */
  broadcast?: readonly string[];
  /** Unicast addresses to probe one by one (see {@link parseAddressRange}); at most {@link MAX_SWEEP_ADDRESSES}. */
  addresses?: readonly string[];
  /** UDP ports to probe on every target (default {@link SCAN_PORTS}). */
  ports?: readonly number[];
  /** How long the scan listens, in ms from the first probe (default 3000). */
  timeoutMs?: number;
  /** How many rounds of probes are sent, with a pause of timeoutMs / (2 × attempts) between them (default 2). */
  attempts?: number;
  /** Datagrams sent back to back before a pause (default 16). */
  burst?: number;
  /** The pause after each burst, in ms (default 10). */
  gapMs?: number;
  /** RSA modulus length of the probe key (default 2048, as {@link discover}). */
  rsaKeyBits?: number;
  /** Local address to send from (default any). */
  bindAddress?: string;
  /** Ends the scan early; it then rejects with a `Transport` error. */
  signal?: AbortSignal;
  /** Ends the scan as soon as it returns true for an answer: the scan then resolves with what it found so far. */
  until?: (device: ScannedDevice) => boolean;
}

/** One device that answered a scan. */
export interface ScannedDevice {
  /** The address the answer came from: the host to configure. */
  ip: string;
  /** The UDP port that answered. */
  discoveryPort: number;
  /** `plug` for SMART devices, `camera` for cameras, doorbells and the H200 hub (§4). */
  kind: DeviceKind;
  /** `device_type`, e.g. `SMART.TAPOPLUG`. */
  deviceType?: string;
  /** `device_model`, e.g. `P110(UK)`. */
  model?: string;
  /** `mac` as the device wrote it. */
  mac?: string;
  /** `firmware_version`, when the answer has it (cameras do; SMART plugs do not). */
  firmware?: string;
  /** The scheme to use (§4); absent when a login probe has to choose. */
  scheme?: SchemeName;
  /** Why {@link scheme} was chosen or left out. */
  schemeReason: string;
  /** Port of the control protocol. */
  httpPort: number;
  /** Whether the control protocol runs over TLS. */
  https: boolean;
  /**
   * Set when the answer suggests Third-Party Compatibility is off: a SMART device advertising
   * `encrypt_type: "TPAP"` (tpap.md §1: with the option on, such devices fall back to KLAP;
   * field-issues.md §3). Cameras give no such sign in discovery.
   */
  thirdPartyOff?: true;
}

const DEFAULT_TIMEOUT_MS = 3000;
const DEFAULT_ATTEMPTS = 2;
const DEFAULT_BURST = 16;
const DEFAULT_GAP_MS = 10;
const DEFAULT_RSA_BITS = 2048;

function inputError(reason: ReasonKey, hint: HintKey | undefined, params: Record<string, string | number> = {}): TapoError {
  return new TapoError('Input', reason, { params, sent: false, ...(hint !== undefined ? { hint } : {}) });
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** True for a dotted IPv4 address without leading zeros (which some parsers read as octal). */
function isDottedIpv4(text: string): boolean {
  const m = DOTTED.exec(text);
  return m !== null && m.slice(1).every((part) => String(Number(part)) === part && Number(part) <= 255);
}

/**
 * Reads an address range into its addresses, in order. Accepted forms:
 * `a.b.c.d` (one address), `a.b.c.d-e` (last byte from d to e), `a.b.c.d-a.b.c.e` (any two
 * addresses, first ≤ last) and CIDR `a.b.c.d/n` with n from 22 to 30 (the network and broadcast
 * addresses left out). At most {@link MAX_SWEEP_ADDRESSES} addresses.
 * Throws an `Input` {@link TapoError} (`scanBadRange` / `scanRangeTooLarge`, hint `scanRangeForms`).
 */
export function parseAddressRange(text: string): string[] {
  const value = typeof text === 'string' ? text.trim() : '';
  const shown = value.slice(0, 64);
  const bad = (): TapoError => inputError('scanBadRange', 'scanRangeForms', { value: shown });
  let first: number;
  let last: number;
  const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(value);
  const dash = /^([\d.]+)\s*-\s*([\d.]+)$/.exec(value);
  if (cidr) {
    const [, base = '', bitsText = ''] = cidr;
    const bits = Number(bitsText);
    if (!isDottedIpv4(base) || !Number.isInteger(bits) || bits > 32) throw bad();
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const network = (ipv4ToInt(base) & mask) >>> 0;
    const size = 2 ** (32 - bits);
    if (bits < CIDR_PREFIX_RANGE.min) {
      throw inputError('scanRangeTooLarge', 'scanRangeForms', { value: shown, count: size - 2, max: MAX_SWEEP_ADDRESSES });
    }
    if (bits > CIDR_PREFIX_RANGE.max) throw bad();
    first = network + 1;
    last = network + size - 2;
  } else if (dash) {
    const [, from = '', to = ''] = dash;
    if (!isDottedIpv4(from)) throw bad();
    first = ipv4ToInt(from);
    if (/^\d{1,3}$/.test(to)) {
      if (String(Number(to)) !== to || Number(to) > 255) throw bad();
      last = ((first & 0xffffff00) | Number(to)) >>> 0;
    } else if (isDottedIpv4(to)) {
      last = ipv4ToInt(to);
    } else {
      throw bad();
    }
    if (last < first) throw bad();
  } else if (isDottedIpv4(value)) {
    first = ipv4ToInt(value);
    last = first;
  } else {
    throw bad();
  }
  const count = last - first + 1;
  if (count > MAX_SWEEP_ADDRESSES) {
    throw inputError('scanRangeTooLarge', 'scanRangeForms', { value: shown, count, max: MAX_SWEEP_ADDRESSES });
  }
  const out: string[] = [];
  for (let n = first; n <= last; n++) out.push(intToIpv4(n));
  return out;
}

/** One network of this host a broadcast scan can reach. */
export interface BroadcastTarget {
  /** Interface name, e.g. `eth0`. */
  interface: string;
  /** This host's address on it. */
  address: string;
  /** The network in CIDR form, e.g. `192.168.1.0/24`. */
  cidr: string;
  /** Its broadcast address, e.g. `192.168.1.255`. */
  broadcast: string;
}

/**
 * The host's IPv4 networks that have a broadcast address: external (not loopback) interfaces
 * with a netmask of /30 or wider, one entry per address, in the order the system lists them.
 */
export function broadcastTargets(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): BroadcastTarget[] {
  const out: BroadcastTarget[] = [];
  for (const [name, entries] of Object.entries(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.family !== 'IPv4' || entry.internal || !isIPv4(entry.netmask) || !isIPv4(entry.address)) continue;
      const broadcast = subnetBroadcast(entry.address, entry.netmask);
      if (broadcast === undefined) continue;
      const network = intToIpv4((ipv4ToInt(entry.address) & ipv4ToInt(entry.netmask)) >>> 0);
      const bits = ipv4ToInt(entry.netmask).toString(2).replace(/0/g, '').length;
      out.push({ interface: name, address: entry.address, cidr: `${network}/${bits}`, broadcast });
    }
  }
  return out;
}

interface CheckedOptions {
  broadcast: string[];
  addresses: string[];
  ports: number[];
  timeoutMs: number;
  attempts: number;
  burst: number;
  gapMs: number;
  rsaKeyBits: number;
}

function whole(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function checkOptions(options: ScanOptions): CheckedOptions {
  const broadcast = [...(options.broadcast ?? [])];
  const addresses = [...(options.addresses ?? [])];
  for (const address of [...broadcast, ...addresses]) {
    if (typeof address !== 'string' || !isDottedIpv4(address)) throw inputError('scanBadAddress', 'scanRangeForms', { value: String(address).slice(0, 64) });
  }
  if (broadcast.length + addresses.length === 0) throw inputError('scanNoTargets', 'scanChooseNetwork');
  if (addresses.length > MAX_SWEEP_ADDRESSES) {
    throw inputError('scanRangeTooLarge', 'scanRangeForms', { value: `${addresses.length}`, count: addresses.length, max: MAX_SWEEP_ADDRESSES });
  }
  const ports = [...(options.ports ?? SCAN_PORTS)];
  for (const port of ports) {
    if (!whole(port, 1, 65535)) throw inputError('discoveryBadPort', 'portRange', { value: String(port) });
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw inputError('discoveryBadTimeout', 'timeoutPositive', { value: String(timeoutMs) });
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  if (!whole(attempts, 1, 10)) throw inputError('discoveryBadAttempts', 'atLeastOneProbe', { value: String(attempts) });
  const rsaKeyBits = options.rsaKeyBits ?? DEFAULT_RSA_BITS;
  if (!whole(rsaKeyBits, 1024, 4096)) throw inputError('discoveryBadKeySize', 'rsaKeyBits', { value: String(rsaKeyBits) });
  const burst = Math.max(1, Math.floor(options.burst ?? DEFAULT_BURST));
  const gapMs = Math.max(0, options.gapMs ?? DEFAULT_GAP_MS);
  return { broadcast: [...new Set(broadcast)], addresses: [...new Set(addresses)], ports: [...new Set(ports)], timeoutMs, attempts, burst, gapMs, rsaKeyBits };
}

/** The de-duplication key of an answer: its MAC in one spelling, else its source address. */
function deviceKey(device: ScannedDevice): string {
  const mac = device.mac?.toUpperCase().replace(/[^0-9A-F]/g, '');
  return mac !== undefined && mac.length === 12 ? `mac:${mac}` : `ip:${device.ip}`;
}

function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Sends the discovery probe to every target on every port from one socket and resolves, at the
 * deadline, with every device that answered (de-duplicated by MAC, in the order they answered;
 * `[]` when none did).
 *
 * Rejects with a {@link TapoError}: `Input` for bad options (no target, a bad address, more than
 * {@link MAX_SWEEP_ADDRESSES} addresses, a bad port or timeout), `Transport` when the socket fails,
 * no datagram could be sent at all, or `signal` aborts. The socket is closed before it settles.
 */
export async function scanNetwork(options: ScanOptions): Promise<ScannedDevice[]> {
  const checked = checkOptions(options);
  const { signal } = options;
  if (signal?.aborted) throw new TapoError('Transport', 'scanCancelled', { sent: false, cause: signal.reason });
  const key = await sharedProbeKey(checked.rsaKeyBits);
  const probe = probeFor(key);
  const useBroadcast = checked.broadcast.length > 0;
  const datagrams: { address: string; port: number }[] = [];
  for (const address of [...checked.broadcast, ...checked.addresses]) {
    for (const port of checked.ports) datagrams.push({ address, port });
  }

  return new Promise<ScannedDevice[]>((resolve, reject) => {
    const found = new Map<string, ScannedDevice>();
    const timers = new Set<NodeJS.Timeout>();
    const socket = dgram.createSocket('udp4');
    let settled = false;
    let sentOk = 0;
    let sendsDone = 0;
    let firstSendError: unknown;

    const later = (ms: number, fn: () => void): void => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
    };

    const finish = (error?: TapoError): void => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      signal?.removeEventListener('abort', onAbort);
      const settle = (): void => (error ? reject(error) : resolve([...found.values()]));
      try {
        socket.close(settle);
      } catch {
        settle();
      }
    };

    function onAbort(): void {
      finish(new TapoError('Transport', 'scanCancelled', { sent: true, cause: signal?.reason }));
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    const failure = (e: unknown): TapoError =>
      new TapoError('Transport', 'scanSendFailed', {
        params: { detail: errnoCode(e) ?? (e instanceof Error ? e.message : String(e)) },
        sent: false,
        hint: 'scanCheckNetwork',
        cause: e,
      });

    socket.on('error', (e) => finish(failure(e)));
    socket.on('message', (msg, rinfo) => {
      if (settled) return;
      let reply;
      try {
        reply = parseDiscoveryReply(msg);
      } catch {
        return; // not a discovery answer (or our own probe coming back from a broadcast)
      }
      if (reply.errorCode !== 0) return;
      const read = buildResult(rinfo.address, rinfo.address, rinfo.port, reply.result, key.privateKey);
      const device: ScannedDevice = {
        ip: rinfo.address,
        discoveryPort: rinfo.port,
        kind: read.kind,
        schemeReason: read.schemeReason,
        httpPort: read.httpPort,
        https: read.https,
      };
      if (read.deviceType !== undefined) device.deviceType = read.deviceType;
      if (read.model !== undefined) device.model = read.model;
      if (read.mac !== undefined) device.mac = read.mac;
      if (read.firmware !== undefined) device.firmware = read.firmware;
      if (read.scheme !== undefined) device.scheme = read.scheme;
      if (read.kind === 'plug' && read.encryptType === 'TPAP') device.thirdPartyOff = true;
      const id = deviceKey(device);
      if (!found.has(id)) found.set(id, device);
      if (options.until?.(device) === true) finish();
    });

    const total = datagrams.length * checked.attempts;
    const sendOne = (target: { address: string; port: number }): void => {
      socket.send(probe, target.port, target.address, (err) => {
        sendsDone++;
        if (err) firstSendError ??= err;
        else sentOk++;
        // Every datagram failed (no route to any target, say): nothing can answer.
        if (sendsDone === total && sentOk === 0 && !settled) finish(failure(firstSendError));
      });
    };
    /**
     * Sends round `round` from datagram `index` on, `burst` at a time with `gapMs` between bursts;
     * the next round starts a pause after this one ends, so rounds never overlap.
     */
    const sendFrom = (round: number, index: number): void => {
      if (settled) return;
      const end = Math.min(index + checked.burst, datagrams.length);
      for (let i = index; i < end; i++) {
        const target = datagrams[i];
        if (target) sendOne(target);
      }
      if (end < datagrams.length) later(checked.gapMs, () => sendFrom(round, end));
      else if (round + 1 < checked.attempts) later(roundGapMs, () => sendFrom(round + 1, 0));
    };
    const roundGapMs = Math.max(checked.gapMs, checked.timeoutMs / (2 * checked.attempts));

    socket.bind({ port: 0, ...(options.bindAddress !== undefined ? { address: options.bindAddress } : {}) }, () => {
      if (settled) return;
      if (useBroadcast) socket.setBroadcast(true);
      later(checked.timeoutMs, () => finish());
      sendFrom(0, 0);
    });
  });
}
