/**
 * UDP discovery, device side (../shared/protocol/discovery.md §1, §2, §5).
 *
 * One {@link DiscoveryResponder} per simulated device, bound with node:dgram on the device's host.
 * A probe is a 16-byte big-endian header (version 2, message type 0, op code 1, payload length,
 * flags, 4-byte serial, CRC-32) and an optional JSON payload `{"params":{"rsa_key":"<PEM>"}}`.
 * The reply is the same kind of header (version 2, op code 1, the JSON length, the probe's serial,
 * CRC-32 computed like the client's) followed by `{"error_code":0,"result":{…}}`, sent to the
 * sender's address and port.
 *
 * Decisions (none of them is pinned by a real device):
 * - The CRC is checked by default (`checkCrc`), so a client with a broken CRC finds out here;
 *   real devices' tolerance is unknown (§5). Turn it off with `checkCrc: false`.
 * - Anything that is not a well-formed probe is ignored (no reply): shorter than 16 bytes,
 *   version ≠ 2, op code ≠ 1, payload length ≠ bytes after the header, wrong CRC, a payload that
 *   is not a JSON object, or an `rsa_key` that is not an RSA public key in PEM (SPKI
 *   `BEGIN PUBLIC KEY` or PKCS#1 `BEGIN RSA PUBLIC KEY`). Message type and flags are not checked.
 * - The result is the fixture's `discovery_result.result`, adjusted so it tells the truth about
 *   the simulated device: see {@link buildDiscoveryResult}.
 * - Faults: a rebooting device, `dropConnections` and `hang` do not answer; `delayMs` delays the
 *   reply; `portClosedUntilProbe` opens the device's port before the reply goes out. The UDP socket stays bound while the device reboots (it only falls silent), so the
 *   port is kept. Other faults are HTTP matters and do not change discovery.
 *
 * Independent of the client: CRC-32, header and crypto are written here with node:crypto.
 */
import * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as os from 'node:os';
import type { SimFaults, SimFamily, SimJson, SimJsonObject, SimScheme } from './types';

/** The discovery port of plugs, bulbs, hubs and cameras. */
export const DISCOVERY_PORT = 20002;
/** The port some doorbells answer on instead (D210, D225). */
export const DISCOVERY_PORT_DOORBELL = 20004;
/** Header length of a probe and of its reply. */
export const TDP_HEADER_LENGTH = 16;
/** Header version of probes and replies. */
export const TDP_VERSION = 2;
/** Op code of a probe (and of its reply). */
export const TDP_OP_PROBE = 1;
/** What bytes 12–15 hold while the CRC is computed. */
export const TDP_CRC_PLACEHOLDER = 0x5a6b7c8d;

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Standard CRC-32 (zlib/IEEE: reflected, polynomial 0xEDB88320, init and final xor 0xFFFFFFFF). */
export function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  // The index is a byte and the table has 256 entries, so the `?? 0` never applies.
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The CRC a packet must carry: CRC-32 of the packet with bytes 12–15 set to the placeholder. */
export function tdpChecksum(packet: Buffer): number {
  const copy = Buffer.from(packet);
  copy.writeUInt32BE(TDP_CRC_PLACEHOLDER, 12);
  return crc32(copy);
}

/** The fields of a 16-byte header. */
export interface TdpHeader {
  version: number;
  messageType: number;
  opCode: number;
  payloadLength: number;
  flags: number;
  /** 4 bytes. */
  serial: Buffer;
  crc: number;
}

/** Builds header ‖ payload with the CRC filled in (discovery.md §1). */
export function buildTdpPacket(payload: Buffer, options: { serial?: Buffer; flags?: number; messageType?: number } = {}): Buffer {
  const packet = Buffer.alloc(TDP_HEADER_LENGTH + payload.length);
  packet.writeUInt8(TDP_VERSION, 0);
  packet.writeUInt8(options.messageType ?? 0, 1);
  packet.writeUInt16BE(TDP_OP_PROBE, 2);
  packet.writeUInt16BE(payload.length, 4);
  packet.writeUInt8(options.flags ?? 0, 6);
  packet.writeUInt8(0, 7);
  (options.serial ?? Buffer.alloc(4)).copy(packet, 8, 0, 4);
  payload.copy(packet, TDP_HEADER_LENGTH);
  packet.writeUInt32BE(tdpChecksum(packet), 12);
  return packet;
}

/** Reads the header fields (the caller has checked the length). */
export function readTdpHeader(packet: Buffer): TdpHeader {
  return {
    version: packet.readUInt8(0),
    messageType: packet.readUInt8(1),
    opCode: packet.readUInt16BE(2),
    payloadLength: packet.readUInt16BE(4),
    flags: packet.readUInt8(6),
    serial: Buffer.from(packet.subarray(8, 12)),
    crc: packet.readUInt32BE(12),
  };
}

/** A probe the device answers. */
export interface ParsedProbe {
  ok: true;
  header: TdpHeader;
  /** The key sent in `params.rsa_key`, when there was one. */
  rsaKey?: KeyObject;
}

/** Why a packet is ignored. */
export type ProbeRejection = 'short' | 'version' | 'op-code' | 'length' | 'crc' | 'payload' | 'rsa-key';

/** Validates a packet as a probe (see the file comment for what is checked). */
export function parseProbe(packet: Buffer, options: { checkCrc?: boolean } = {}): ParsedProbe | { ok: false; reason: ProbeRejection } {
  if (packet.length < TDP_HEADER_LENGTH) return { ok: false, reason: 'short' };
  const header = readTdpHeader(packet);
  if (header.version !== TDP_VERSION) return { ok: false, reason: 'version' };
  if (header.opCode !== TDP_OP_PROBE) return { ok: false, reason: 'op-code' };
  if (header.payloadLength !== packet.length - TDP_HEADER_LENGTH) return { ok: false, reason: 'length' };
  if ((options.checkCrc ?? true) && header.crc !== tdpChecksum(packet)) return { ok: false, reason: 'crc' };
  if (header.payloadLength === 0) return { ok: true, header };

  let body: unknown;
  try {
    body = JSON.parse(packet.subarray(TDP_HEADER_LENGTH).toString('utf8'));
  } catch {
    return { ok: false, reason: 'payload' };
  }
  if (!isPlainObject(body)) return { ok: false, reason: 'payload' };
  const params = body.params;
  if (params === undefined || params === null) return { ok: true, header };
  if (!isPlainObject(params)) return { ok: false, reason: 'payload' };
  if (params.rsa_key === undefined) return { ok: true, header };
  if (typeof params.rsa_key !== 'string') return { ok: false, reason: 'rsa-key' };
  const rsaKey = readRsaPublicKey(params.rsa_key);
  if (rsaKey === undefined) return { ok: false, reason: 'rsa-key' };
  return { ok: true, header, rsaKey };
}

/** Parses a PEM RSA public key, SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`). */
export function readRsaPublicKey(pem: string): KeyObject | undefined {
  const text = pem.replace(/\r\n/g, '\n').trim();
  const match = /^-----BEGIN (RSA )?PUBLIC KEY-----\n[\s\S]+\n-----END (RSA )?PUBLIC KEY-----$/.exec(text);
  if (match === null || match[1] !== match[2]) return undefined;
  try {
    const key = createPublicKey({ key: `${text}\n`, format: 'pem', type: match[1] === undefined ? 'spki' : 'pkcs1' });
    return key.asymmetricKeyType === 'rsa' ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `encrypt_info` for a probe that carried `publicKey` (§3, §5): a fresh 16-byte AES key and
 * 16-byte IV, `key` = base64 RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) of key ‖ IV,
 * `data` = base64 AES-128-CBC/PKCS#7 of the JSON.
 */
export function encryptDiscoveryInfo(
  plaintext: SimJsonObject,
  publicKey: KeyObject,
  random: (size: number) => Buffer = randomBytes,
): { key: string; data: string } {
  const keyIv = random(32);
  const wrapped = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, keyIv);
  const cipher = createCipheriv('aes-128-cbc', keyIv.subarray(0, 16), keyIv.subarray(16, 32));
  const data = Buffer.concat([cipher.update(JSON.stringify(plaintext), 'utf8'), cipher.final()]);
  return { key: wrapped.toString('base64'), data: data.toString('base64') };
}

/** What {@link buildDiscoveryResult} needs to know about the device. */
export interface DiscoveryResultInput {
  /** The fixture's `discovery_result.result` (not modified). */
  discovery: SimJsonObject;
  family: SimFamily;
  /** The scheme the device speaks now. */
  scheme: SimScheme;
  /** Address advertised as `ip`. */
  ip: string;
  /** The device's TCP port (HTTP for SMART devices, HTTPS for cameras). */
  httpPort: number;
  /** The probe's key; without it there is no `encrypt_info`. */
  rsaKey?: KeyObject;
  /** Random source for the AES key and IV (tests). */
  random?: (size: number) => Buffer;
  /** The camera's last alarm now (`getLastAlarmInfo`), written over the fixture's in `decrypted_data`. */
  lastAlarm?: { time: string; type: string };
}

/**
 * The `result` of a discovery reply: a copy of the fixture's result with
 * - `ip` = the advertised address;
 * - `decrypted_data` removed (python-kasa adds it to its dumps; devices only send it encrypted);
 * - SMART: `mgt_encrypt_schm.encrypt_type` = `"AES"` (passthrough), `"KLAP"` (klap, klap-v1) or
 *   `"TPAP"`, `http_port` = the TCP port, `is_support_https` false unless the fixture says true,
 *   `lv` 2 for klap and tpap, 1 for klap-v1 (a simulator convention: real Tapo devices only speak
 *   v2, v1 is the Kasa flavour), the fixture's `lv` (or none) for passthrough;
 * - camera: no `mgt_encrypt_schm.encrypt_type`, `mgt_encrypt_schm.http_port` = the TCP port
 *   (python-kasa reads it from there; real cameras leave it out and use 443), top-level
 *   `encrypt_type` `["3"]` (camera-secure), `["4"]` (tpap) or absent (camera-legacy); the
 *   fixture's `tpap` object kept on tpap with its `port` set to the TCP port, dropped otherwise;
 * - `encrypt_info` (cameras, and any fixture result that carries one) built fresh when the probe
 *   had a key: the fixture's `decrypted_data` (or a minimal one: device_id, owner, connect_type,
 *   sd_status) with `http_port` = the TCP port and, where it carries `last_alarm_time` /
 *   `last_alarm_type` (discovery.md §3), the camera's last alarm now, so they move with
 *   `getLastAlarmInfo` (events.md §3.1); no `encrypt_info` without a key.
 */
export function buildDiscoveryResult(input: DiscoveryResultInput): SimJsonObject {
  const source = input.discovery;
  const result = JSON.parse(JSON.stringify(source)) as SimJsonObject;
  delete result.decrypted_data;
  delete result.encrypt_info;
  result.ip = input.ip;
  const mgt: SimJsonObject = isJsonObject(result.mgt_encrypt_schm) ? result.mgt_encrypt_schm : {};
  result.mgt_encrypt_schm = mgt;

  if (input.family === 'smart') {
    mgt.encrypt_type = input.scheme === 'passthrough' ? 'AES' : input.scheme === 'tpap' ? 'TPAP' : 'KLAP';
    mgt.http_port = input.httpPort;
    if (typeof mgt.is_support_https !== 'boolean') mgt.is_support_https = false;
    if (input.scheme === 'klap' || input.scheme === 'tpap') mgt.lv = 2;
    else if (input.scheme === 'klap-v1') mgt.lv = 1;
    delete result.encrypt_type;
  } else {
    delete mgt.encrypt_type;
    mgt.http_port = input.httpPort;
    if (typeof mgt.is_support_https !== 'boolean') mgt.is_support_https = true;
    if (input.scheme === 'camera-secure') result.encrypt_type = ['3'];
    else if (input.scheme === 'tpap') result.encrypt_type = ['4'];
    else delete result.encrypt_type;
    if (input.scheme === 'tpap' && isJsonObject(result.tpap)) result.tpap.port = input.httpPort;
    else delete result.tpap;
  }

  const carriesInfo = input.family === 'camera' || source.encrypt_info !== undefined;
  if (carriesInfo && input.rsaKey !== undefined) {
    const plain: SimJsonObject = isJsonObject(source.decrypted_data)
      ? (JSON.parse(JSON.stringify(source.decrypted_data)) as SimJsonObject)
      : {
          connect_type: 'wireless',
          device_id: typeof source.device_id === 'string' ? source.device_id : '',
          owner: typeof source.owner === 'string' ? source.owner : '',
          sd_status: 'offline',
        };
    plain.http_port = input.httpPort;
    if (input.lastAlarm !== undefined) {
      if (typeof plain.last_alarm_time === 'string') plain.last_alarm_time = input.lastAlarm.time;
      if (typeof plain.last_alarm_type === 'string') plain.last_alarm_type = input.lastAlarm.type;
    }
    const fixtureInfo = source.encrypt_info;
    const symSchm = isJsonObject(fixtureInfo) && typeof fixtureInfo.sym_schm === 'string' ? fixtureInfo.sym_schm : 'AES';
    result.encrypt_info = { sym_schm: symSchm, ...encryptDiscoveryInfo(plain, input.rsaKey, input.random) };
  }
  return result;
}

/** The reply datagram: header (serial of the probe) ‖ `{"error_code":0,"result":…}`. */
export function buildDiscoveryReply(result: SimJsonObject, serial?: Buffer): Buffer {
  return buildTdpPacket(Buffer.from(JSON.stringify({ error_code: 0, result }), 'utf8'), serial !== undefined ? { serial } : {});
}

const WILDCARD_HOSTS = new Set(['', '0.0.0.0', '::', '::0']);

function ipv4ToInt(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

/**
 * The address advertised as `ip`: the device's host, or, when it listens on a wildcard address,
 * the local address on the sender's IPv4 subnet (loopback for a loopback sender), else the first
 * external IPv4 address, else the host itself.
 */
export function advertisedIp(
  host: string,
  sender: string,
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces(),
): string {
  if (!WILDCARD_HOSTS.has(host)) return host;
  const from = sender.startsWith('::ffff:') ? sender.slice('::ffff:'.length) : sender;
  const addresses = Object.values(interfaces).flatMap((list) => list ?? []);
  const senderV4 = ipv4ToInt(from);
  if (senderV4 !== undefined) {
    for (const info of addresses) {
      if (info.family !== 'IPv4') continue;
      const local = ipv4ToInt(info.address);
      const mask = ipv4ToInt(info.netmask);
      if (local !== undefined && mask !== undefined && ((local & mask) >>> 0) === ((senderV4 & mask) >>> 0)) return info.address;
    }
    if (from.startsWith('127.')) return '127.0.0.1';
  } else if (from === '::1') {
    return '::1';
  }
  const external = addresses.find((info) => info.family === 'IPv4' && !info.internal);
  return external?.address ?? host;
}

/** What the responder reads from its device on every probe (a `SimulatedDevice` fits). */
export interface DiscoveryTarget {
  /** The device's listen address (also where the responder binds). */
  readonly host: string;
  /** The device's TCP port. */
  readonly port: number;
  readonly family: SimFamily;
  /** The scheme spoken now (follows `migrate`). */
  readonly scheme: SimScheme;
  readonly fixture: { readonly discovery: SimJsonObject };
  readonly faults: SimFaults;
  /** True while the device reboots. */
  readonly isDown: boolean;
  /** A camera's last alarm now, when it keeps one (cameras carry it in `decrypted_data`). */
  lastAlarm?(): { time: string; type: string } | undefined;
  /**
   * Called for each well-formed probe of a device that is up, before it is answered (the fault
   * `portClosedUntilProbe` opens the port here); the reply waits for it.
   */
  probed?(): Promise<void>;
}

/** Options of a {@link DiscoveryResponder}. */
export interface DiscoveryResponderOptions {
  /** UDP port (0 = any free port; the real devices use {@link DISCOVERY_PORT}). */
  port: number;
  /** Bind address (default the target's host). */
  host?: string;
  /** Ignore probes whose CRC is wrong (default true). */
  checkCrc?: boolean;
}

/** Why a datagram got no answer: a malformed probe, or a fault / state of the device. */
export type DiscoveryIgnoreReason = ProbeRejection | 'down' | 'drop' | 'hang';

/**
 * Answers discovery probes for one simulated device.
 * Events: `answered` ({ address, port, withKey }) right before the reply is sent, `ignored`
 * ({ address, port, reason }) for a datagram that gets no reply.
 */
export class DiscoveryResponder extends EventEmitter {
  /** Bound UDP port (the requested one until `start` resolves). */
  port: number;
  /** Bind address. */
  readonly host: string;
  /** Ignore probes whose CRC is wrong; may be changed while running. */
  checkCrc: boolean;
  /** Probes answered so far. */
  answered = 0;
  /** Datagrams ignored so far (malformed, or the device was down or faulted). */
  ignored = 0;

  private socket: dgram.Socket | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  /** Creates the responder (not bound yet). */
  constructor(
    private readonly target: DiscoveryTarget,
    options: DiscoveryResponderOptions,
  ) {
    super();
    this.host = options.host ?? target.host;
    this.port = options.port;
    this.checkCrc = options.checkCrc ?? true;
  }

  /** Binds the UDP socket; resolves once bound (rejects with the bind error, e.g. EADDRINUSE). */
  start(): Promise<void> {
    if (this.socket !== undefined || this.stopped) return Promise.resolve();
    const socket = dgram.createSocket({ type: this.host.includes(':') ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        closeSocket(socket).then(() => reject(err), reject);
      };
      socket.once('error', onError);
      socket.bind({ address: this.host, port: this.port }, () => {
        socket.off('error', onError);
        // After binding, errors (e.g. ICMP port unreachable reported on some systems) are not fatal.
        socket.on('error', () => undefined);
        socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => this.onMessage(msg, rinfo));
        this.port = socket.address().port;
        this.socket = socket;
        resolve();
      });
    });
  }

  /** Closes the socket and drops delayed replies. */
  stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return Promise.resolve();
    return closeSocket(socket);
  }

  private ignore(rinfo: dgram.RemoteInfo, reason: DiscoveryIgnoreReason): void {
    this.ignored += 1;
    this.emit('ignored', { address: rinfo.address, port: rinfo.port, reason });
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const probe = parseProbe(msg, { checkCrc: this.checkCrc });
    if (!probe.ok) {
      this.ignore(rinfo, probe.reason);
      return;
    }
    const faults = this.target.faults;
    if (this.target.isDown) return this.ignore(rinfo, 'down');
    if (faults.dropConnections) return this.ignore(rinfo, 'drop');
    if (faults.hang) return this.ignore(rinfo, 'hang');
    const probed = this.target.probed;
    if (probed !== undefined) {
      probed.call(this.target).then(
        () => this.answer(probe, rinfo),
        () => this.answer(probe, rinfo),
      );
      return;
    }
    this.answer(probe, rinfo);
  }

  private answer(probe: ParsedProbe, rinfo: dgram.RemoteInfo): void {
    const faults = this.target.faults;
    if (faults.delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.reply(probe, rinfo);
      }, faults.delayMs);
      this.timers.add(timer);
      return;
    }
    this.reply(probe, rinfo);
  }

  private reply(probe: ParsedProbe, rinfo: dgram.RemoteInfo): void {
    const socket = this.socket;
    if (socket === undefined) return;
    let packet: Buffer;
    try {
      const lastAlarm = this.target.lastAlarm?.();
      const result = buildDiscoveryResult({
        ...(lastAlarm !== undefined ? { lastAlarm } : {}),
        discovery: this.target.fixture.discovery,
        family: this.target.family,
        scheme: this.target.scheme,
        ip: advertisedIp(this.target.host, rinfo.address),
        httpPort: this.target.port,
        ...(probe.rsaKey !== undefined ? { rsaKey: probe.rsaKey } : {}),
      });
      packet = buildDiscoveryReply(result, probe.header.serial);
    } catch {
      // e.g. an RSA key too small for OAEP of 32 bytes: nothing sensible to send.
      this.ignore(rinfo, 'rsa-key');
      return;
    }
    this.answered += 1;
    this.emit('answered', { address: rinfo.address, port: rinfo.port, withKey: probe.rsaKey !== undefined });
    socket.send(packet, rinfo.port, rinfo.address, () => undefined);
  }
}

/**
 * Closes a UDP socket and resolves once its handle is released: `close` is emitted on the next
 * tick, the libuv handle goes in the following loop turn, hence the `setImmediate`.
 */
function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    socket.close(() => setImmediate(resolve));
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJsonObject(value: SimJson | undefined): value is SimJsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
