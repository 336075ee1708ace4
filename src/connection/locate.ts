/**
 * Keeping a device found (the owner's side of "Find, set up and maintain devices", item 3).
 *
 * Devices change address (a new DHCP lease), and some plugs keep their local port closed after a
 * power cut until they receive a discovery probe. When an operation fails because the device
 * stopped answering at its address ({@link startsSearch}), the owner ({@link TapoDevice}) asks a
 * {@link Locator} to recover, which:
 *
 * 1. sends ONE wake-up probe (discovery.md §1, UDP 20002; doorbells answer on 20004, so cameras get
 *    both) to the known address and waits a short while for the answer. An answer from the known
 *    MAC (or any answer while the MAC is not known yet) means the device is there: `woke`, and the
 *    owner tries the connection again once. The answer carries the MAC (discovery.md §2), so an
 *    owner that did not know it yet (after a restart, before any device-info read) learns it;
 * 2. otherwise, when the device's MAC is known, searches for it: the same probe by unicast to each
 *    candidate address (by default the other 253 hosts of the device's IPv4 /24), a few at a time,
 *    within a total time, stopping at the first answer carrying that MAC: `moved`, or `notFound`.
 *
 * Never broadcast: every target is checked with {@link isGroupAddress}. At most one recovery runs
 * at a time (later failures share it) and one starts at most once per `intervalMs` (a failure
 * burst, or a device that is really gone, costs one search a minute). Authentication failures
 * never start one (DESIGN.md rule 6: no retry loops on credentials).
 */
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import { DISCOVERY_PORT, DISCOVERY_PORT_DOORBELL } from '../protocol/discovery-cipher';
import { scanNetwork } from '../protocol/discovery-scan';
import type { ScannedDevice } from '../protocol/discovery-scan';
import { isGroupAddress, sharedProbeKey } from '../protocol/discovery';
import type { TapoError } from '../protocol/errors';
import { isNetworkFailure } from '../protocol/http';
import type { DeviceKind } from '../protocol/types';

/** How the owner looks for a device that stopped answering (every field optional). */
export interface LocateOptions {
  /** UDP ports probed (default 20002 for plugs; 20002 and 20004 for cameras, as doorbells answer there). */
  discoveryPorts?: readonly number[];
  /** The addresses searched for a host (default {@link subnetCandidates}: the other hosts of its /24). Tests pass 127.0.0.x. */
  candidates?: (host: string) => readonly string[];
  /** How long to wait for the answer to the wake-up probe, in ms (default 1500). */
  wakeWaitMs?: number;
  /** Total time of a search, in ms (default 4000). */
  searchMs?: number;
  /** Probes sent per burst of a search (default 32; a burst every 10 ms). */
  concurrency?: number;
  /** Rounds of probes per search, spread over `searchMs` (default 2: UDP may lose one). */
  attempts?: number;
  /** At most one recovery per this many ms (default 60 000). */
  intervalMs?: number;
  /** Monotonic clock in ms (default `performance.now`). */
  now?: () => number;
}

/** What a recovery found. */
export type LocateOutcome =
  | { outcome: 'woke'; host: string; mac?: string }
  | { outcome: 'moved'; from: string; to: string; mac: string }
  | { outcome: 'notFound'; host: string; mac: string; searched: number }
  | { outcome: 'noMac'; host: string };

/** One answer to a probe. */
export interface ProbeAnswer {
  /** The address it came from. */
  address: string;
  /** The MAC it names, normalised ({@link normalizeMac}); undefined when it names none. */
  mac: string | undefined;
}

/** Options of {@link probeHosts}. */
export interface ProbeHostsOptions {
  ports: readonly number[];
  /** Total time in ms. */
  timeoutMs: number;
  /** Probes per burst (default 32). */
  concurrency?: number;
  /** Rounds (default 1). */
  attempts?: number;
  /** Ends the probing early when it returns true for an answer. */
  until?: (answer: ProbeAnswer) => boolean;
  signal?: AbortSignal;
}

const DEFAULTS = { wakeWaitMs: 1500, searchMs: 4000, concurrency: 32, attempts: 2, intervalMs: 60_000 } as const;
/** The probe key's size: the answer's encrypted part is never read here, so the smallest the devices take. */
const PROBE_KEY_BITS = 1024;

/** `48-22-54-AB-CD-EF`, `48:22:54:ab:cd:ef` and `482254abcdef` all read `482254ABCDEF`; undefined for anything else. */
export function normalizeMac(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const hex = value.replace(/[-:.\s]/g, '').toUpperCase();
  return /^[0-9A-F]{12}$/.test(hex) ? hex : undefined;
}

/**
 * The errors after which the owner looks for the device, and why:
 * - `Transport` raised by the network (isNetworkFailure): refused, host or net unreachable,
 *   reset, broken while sending — nothing (or nothing that speaks) is at the address any more, or
 *   the port is closed after a power cut. Not a `Transport` error about an answer (an HTTP
 *   status, a body the scheme cannot read: the device answered), nor one we caused by closing.
 * - `Timeout` of a login or request (connect timeout, no answer within the deadline): on a LAN a
 *   device that left its address usually goes silent rather than refusing. The wake-up probe
 *   tells a slow device (it answers) from a missing one before any search.
 * Never `Authentication`, `Locked`, `SessionExpired`, `RateLimited`, `Device`, `Input`,
 * `Unsupported`: the device answered. Never a caller's abort or a close (`requestAborted`,
 * `connectionClosed`, `cancelledByClose`).
 */
export function startsSearch(err: TapoError): boolean {
  if (err.kind === 'Timeout') return true;
  return err.kind === 'Transport' && isNetworkFailure(err) && err.reason !== 'cancelledByClose';
}

/** The other hosts (.1–.254) of an IPv4 address's /24; none for a name or an IPv6 address (a name follows the device through DNS). */
export function subnetCandidates(host: string): string[] {
  if (!isIPv4(host)) return [];
  const parts = host.split('.');
  const prefix = parts.slice(0, 3).join('.');
  const out: string[] = [];
  for (let i = 1; i <= 254; i++) {
    const candidate = `${prefix}.${i}`;
    if (candidate !== host) out.push(candidate);
  }
  return out;
}

/**
 * Sends the discovery probe by unicast to each of `hosts` on each of `ports` (IPv4 addresses
 * only; group addresses are dropped), `concurrency` at a time, and resolves with the answers
 * that came from those hosts within `timeoutMs` (or as soon as `until` accepts one): the network
 * scan's sweep (src/protocol/discovery-scan.ts) with a 1024-bit probe key (the answer's
 * `encrypt_info` is never read here). Never rejects: a failure ends the probing with nothing heard.
 */
export async function probeHosts(hosts: readonly string[], options: ProbeHostsOptions): Promise<ProbeAnswer[]> {
  const targets = hosts.filter((h) => isIPv4(h) && !isGroupAddress(h));
  if (targets.length === 0 || options.ports.length === 0) return [];
  const wanted = new Set(targets);
  const answerOf = (d: ScannedDevice): ProbeAnswer => ({ address: d.ip, mac: normalizeMac(d.mac) });
  const until = options.until;
  try {
    const found = await scanNetwork({
      addresses: targets,
      ports: options.ports,
      timeoutMs: options.timeoutMs,
      attempts: Math.max(1, options.attempts ?? 1),
      burst: Math.max(1, options.concurrency ?? DEFAULTS.concurrency),
      rsaKeyBits: PROBE_KEY_BITS,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(until !== undefined ? { until: (d: ScannedDevice) => wanted.has(d.ip) && until(answerOf(d)) } : {}),
    });
    const byAddress = new Map<string, ProbeAnswer>();
    for (const d of found) if (wanted.has(d.ip) && !byAddress.has(d.ip)) byAddress.set(d.ip, answerOf(d));
    return [...byAddress.values()];
  } catch {
    return [];
  }
}

/**
 * One device's recoveries: single-flight, at most one per `intervalMs`. The owner keeps one for
 * its whole life (the MAC and the last outcome outlive connections).
 */
export class Locator {
  /** Wake-up probes sent (one per recovery; one datagram per port). */
  wakes = 0;
  /** Searches run. */
  searches = 0;
  /** The outcome of the last recovery, until the next one. */
  last: LocateOutcome | undefined;

  private readonly kind: DeviceKind;
  private readonly options: LocateOptions;
  private readonly now: () => number;
  private running: Promise<LocateOutcome> | undefined;
  private startedAt: number | undefined;
  private readonly controller = new AbortController();

  constructor(kind: DeviceKind, options: LocateOptions = {}) {
    this.kind = kind;
    this.options = options;
    this.now = options.now ?? (() => performance.now());
    // The probe key, ready before the device ever fails: a recovery then starts sending at once.
    sharedProbeKey(PROBE_KEY_BITS).catch(() => undefined);
  }

  /**
   * Starts a recovery for a device last seen at `host` (an address or name) with `mac` (when
   * known), or joins the one running; undefined when one started less than `intervalMs` ago.
   */
  recover(host: string, mac: string | undefined): Promise<LocateOutcome> | undefined {
    if (this.running) return this.running;
    const interval = this.options.intervalMs ?? DEFAULTS.intervalMs;
    if (this.startedAt !== undefined && this.now() - this.startedAt < interval) return undefined;
    this.startedAt = this.now();
    const run = this.locate(host, mac).then((outcome) => {
      this.last = outcome;
      return outcome;
    });
    this.running = run;
    void run.finally(() => {
      if (this.running === run) this.running = undefined;
    });
    return run;
  }

  /** Stops any probing now (the owner has ended). */
  stop(): void {
    this.controller.abort();
  }

  private get ports(): readonly number[] {
    return this.options.discoveryPorts ?? (this.kind === 'camera' ? [DISCOVERY_PORT, DISCOVERY_PORT_DOORBELL] : [DISCOVERY_PORT]);
  }

  private async locate(host: string, mac: string | undefined): Promise<LocateOutcome> {
    const signal = this.controller.signal;
    const address = isIPv4(host) ? host : await lookup(host, { family: 4 }).then((r) => r.address, () => undefined);
    if (address !== undefined) {
      this.wakes++;
      const woke = await probeHosts([address], { ports: this.ports, timeoutMs: this.options.wakeWaitMs ?? DEFAULTS.wakeWaitMs, signal, until: () => true });
      const answer = woke[0];
      if (answer !== undefined && (mac === undefined || answer.mac === undefined || answer.mac === mac)) {
        // The answer names the MAC (discovery.md §2): an owner that did not know it yet (after a
        // restart, before any device-info read) learns it here, at no extra cost.
        return answer.mac !== undefined ? { outcome: 'woke', host, mac: answer.mac } : { outcome: 'woke', host };
      }
    }
    if (mac === undefined) return { outcome: 'noMac', host };
    const candidates = (this.options.candidates ?? subnetCandidates)(host).filter((c) => c !== address);
    if (candidates.length === 0 || signal.aborted) return { outcome: 'notFound', host, mac, searched: 0 };
    this.searches++;
    const found = await probeHosts(candidates, {
      ports: this.ports,
      timeoutMs: this.options.searchMs ?? DEFAULTS.searchMs,
      concurrency: this.options.concurrency ?? DEFAULTS.concurrency,
      attempts: this.options.attempts ?? DEFAULTS.attempts,
      signal,
      until: (a) => a.mac === mac,
    });
    const match = found.find((a) => a.mac === mac);
    return match !== undefined ? { outcome: 'moved', from: host, to: match.address, mac } : { outcome: 'notFound', host, mac, searched: candidates.length };
  }
}
