/**
 * UDP discovery ("TDP" on port 20002/20004): the pure parts of ../shared/protocol/discovery.md
 * (no I/O). Builds the probe (§1), parses a reply (§2), decrypts `encrypt_info` (§3) and maps a
 * discovery result to one of our schemes (§4). Pinned by ../shared/protocol/vectors.json →
 * `discovery` and `rsa_test_keys`.
 */
import { constants, createDecipheriv, privateDecrypt, type KeyObject } from 'node:crypto';
import { TapoError } from './errors';
import type { DeviceKind, JsonObject, JsonValue, SchemeName } from './types';

/** Length of the probe and reply header (§1). */
export const DISCOVERY_HEADER_LENGTH = 16;
/** The constant written into bytes 12-15 before the CRC is computed (§1). */
export const DISCOVERY_CRC_PLACEHOLDER = 0x5a6b7c8d;
/** Header `flags` when a JSON payload follows (§1). */
export const DISCOVERY_FLAGS_WITH_PAYLOAD = 0x11;
/** The UDP port Tapo devices answer discovery on (§1). */
export const DISCOVERY_PORT = 20002;
/** The port some doorbells (D210, D225) answer on instead (§1). */
export const DISCOVERY_PORT_DOORBELL = 20004;

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Standard CRC-32 (zlib/IEEE 802.3: reflected, polynomial 0xEDB88320, init and final xor 0xFFFFFFFF). */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    crc = (CRC_TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** What goes into a probe. */
export interface DiscoveryProbeOptions {
  /** JSON payload after the header (normally {@link discoveryProbePayload}); none for the bare probe. */
  payload?: string | Buffer;
  /** The 4-byte serial / request id (default four zero bytes, as in the bare probe). */
  serial?: Buffer;
}

/**
 * Builds a probe packet (§1): the 16-byte big-endian header, then the payload. The CRC-32 is
 * computed over the whole packet with {@link DISCOVERY_CRC_PLACEHOLDER} in bytes 12-15, then
 * written there. With no payload (and the default serial) this is the fixed bare probe
 * `020000010000000000000000463cb5d3`.
 */
export function buildDiscoveryProbe(options: DiscoveryProbeOptions = {}): Buffer {
  const payload =
    options.payload === undefined
      ? Buffer.alloc(0)
      : typeof options.payload === 'string'
        ? Buffer.from(options.payload, 'utf8')
        : options.payload;
  if (payload.length > 0xffff) throw new RangeError('discovery payload longer than 65535 bytes');
  const serial = options.serial ?? Buffer.alloc(4);
  if (serial.length !== 4) throw new RangeError('discovery serial must be 4 bytes');
  const packet = Buffer.alloc(DISCOVERY_HEADER_LENGTH + payload.length);
  packet.writeUInt8(0x02, 0); // version
  packet.writeUInt8(0x00, 1); // message type
  packet.writeUInt16BE(0x0001, 2); // op code: probe
  packet.writeUInt16BE(payload.length, 4);
  packet.writeUInt8(payload.length > 0 ? DISCOVERY_FLAGS_WITH_PAYLOAD : 0x00, 6);
  packet.writeUInt8(0x00, 7);
  serial.copy(packet, 8);
  packet.writeUInt32BE(DISCOVERY_CRC_PLACEHOLDER, 12);
  payload.copy(packet, DISCOVERY_HEADER_LENGTH);
  packet.writeUInt32BE(crc32(packet), 12);
  return packet;
}

/** True when `packet` carries a correct CRC-32 in bytes 12-15 (§1; replies are not required to). */
export function hasValidDiscoveryCrc(packet: Buffer): boolean {
  if (packet.length < DISCOVERY_HEADER_LENGTH) return false;
  const copy = Buffer.from(packet);
  copy.writeUInt32BE(DISCOVERY_CRC_PLACEHOLDER, 12);
  return crc32(copy) === packet.readUInt32BE(12);
}

/** The usual probe payload `{"params":{"rsa_key":"<PEM>"}}`, compact, PEM line breaks as `\n` (§1). */
export function discoveryProbePayload(publicKeyPem: string): string {
  return JSON.stringify({ params: { rsa_key: publicKeyPem } });
}

/** A parsed reply: `{"error_code": N, "result": {...}}` from `data[16:]` (§2). */
export interface DiscoveryReply {
  errorCode: number;
  /** The discovery result; an empty object when the reply had none. */
  result: JsonObject;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Parses a reply packet: skips the 16-byte header (clients do not use it, §2) and reads the JSON.
 * Throws a `Device` {@link TapoError} when the packet is too short or the body is not the
 * expected JSON object.
 */
export function parseDiscoveryReply(packet: Buffer): DiscoveryReply {
  if (packet.length <= DISCOVERY_HEADER_LENGTH) {
    throw new TapoError('Device', 'discoveryTooShort', { params: { bytes: packet.length } });
  }
  let body: JsonValue;
  try {
    body = JSON.parse(packet.subarray(DISCOVERY_HEADER_LENGTH).toString('utf8')) as JsonValue;
  } catch (e) {
    throw new TapoError('Device', 'discoveryNotJson', { cause: e });
  }
  if (!isObject(body)) throw new TapoError('Device', 'discoveryNotObject');
  const code = body['error_code'];
  if (typeof code !== 'number') throw new TapoError('Device', 'discoveryNoCode');
  const result = body['result'];
  if (result !== undefined && !isObject(result)) throw new TapoError('Device', 'discoveryResultNotObject');
  return { errorCode: code, result: result ?? {} };
}

/** The `encrypt_info` object of a camera / hub reply (§3). */
export interface EncryptInfo {
  /** Symmetric scheme; `"AES"` is the only one seen. */
  sym_schm?: string;
  /** base64 RSA-OAEP(SHA-1) ciphertext of AES key ‖ IV. */
  key: string;
  /** base64 AES-128-CBC/PKCS#7 ciphertext of the JSON. */
  data: string;
}

/** Reads `result.encrypt_info` when it carries a non-empty `key` and `data` (fixtures blank them). */
export function encryptInfoOf(result: JsonObject): EncryptInfo | undefined {
  const info = result['encrypt_info'];
  if (!isObject(info)) return undefined;
  const key = info['key'];
  const data = info['data'];
  if (typeof key !== 'string' || typeof data !== 'string' || key === '' || data === '') return undefined;
  const out: EncryptInfo = { key, data };
  const sym = info['sym_schm'];
  if (typeof sym === 'string') out.sym_schm = sym;
  return out;
}

/** The AES-128 key and IV unwrapped from `encrypt_info.key`. */
export interface DiscoveryDataKey {
  key: Buffer;
  iv: Buffer;
}

/**
 * Unwraps `encrypt_info.key` (§3 step 1): base64 → RSA-OAEP (MGF1-SHA-1, SHA-1, empty label)
 * under the probe's private key → 32 bytes, AES key then IV.
 */
export function unwrapDiscoveryKey(privateKey: KeyObject | string, keyB64: string): DiscoveryDataKey {
  let plain: Buffer;
  try {
    plain = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      Buffer.from(keyB64, 'base64'),
    );
  } catch (e) {
    throw new TapoError('Device', 'encryptInfoKeyUndecryptable', { cause: e });
  }
  if (plain.length !== 32) {
    throw new TapoError('Device', 'encryptInfoKeyLength', { params: { bytes: plain.length } });
  }
  return { key: plain.subarray(0, 16), iv: plain.subarray(16, 32) };
}

/** Decrypts `encrypt_info.data` (§3 step 2): base64 → AES-128-CBC/PKCS#7 → UTF-8 text. */
export function decryptDiscoveryData(keys: DiscoveryDataKey, dataB64: string): string {
  const data = Buffer.from(dataB64, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) {
    throw new TapoError('Device', 'encryptInfoNotBlocks');
  }
  try {
    const decipher = createDecipheriv('aes-128-cbc', keys.key, keys.iv);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch (e) {
    throw new TapoError('Device', 'encryptInfoUndecryptable', { cause: e });
  }
}

/** Unwraps the key and decrypts the data of `encrypt_info` (§3), returning the JSON object. */
export function decryptEncryptInfo(privateKey: KeyObject | string, info: EncryptInfo): JsonObject {
  const text = decryptDiscoveryData(unwrapDiscoveryKey(privateKey, info.key), info.data);
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new TapoError('Device', 'encryptInfoNotJson', { cause: e });
  }
  if (!isObject(value)) throw new TapoError('Device', 'encryptInfoNotObject');
  return value;
}

/** What a discovery result says about how to talk to the device (§4). */
export interface DiscoveryInfo {
  /** The scheme to use; absent when the result does not say and the scheme must be probed. */
  scheme?: SchemeName;
  /** Why {@link scheme} was chosen or left out, one sentence. */
  schemeReason: string;
  /** Which kind of device this is for our layers: SMART devices are `plug`, cameras/doorbells/H200 `camera`. */
  kind: DeviceKind;
  /** The port of the control protocol (SMART `http_port`, camera 443 or the decrypted / TPAP port). */
  httpPort: number;
  /** Whether the control protocol runs over TLS. */
  https: boolean;
  /** `device_type`, e.g. `SMART.TAPOPLUG`, `SMART.IPCAMERA`. */
  deviceType?: string;
  /** `device_model`, e.g. `P110(UK)`, `C210`. */
  model?: string;
  /** `mac`, as the device wrote it (`48-22-54-00-00-00`). */
  mac?: string;
  /** `firmware_version` (cameras; SMART plugs do not send it). */
  firmware?: string;
  /** `hardware_version` (cameras). */
  hardware?: string;
  /** `device_id`. */
  deviceId?: string;
  /** `ip` as the device reports it. */
  ip?: string;
  /** SMART `mgt_encrypt_schm.encrypt_type` (`AES`, `KLAP`, `TPAP`) or the camera `encrypt_type` list joined with `,`. */
  encryptType?: string;
  /** SMART `lv`, or the highest camera `encrypt_type` (3, 4); absent for SMART-AES without `lv` (login v1). */
  loginVersion?: number;
  /** `factory_default`. */
  factoryDefault?: boolean;
}

function str(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}

function portNumber(value: JsonValue | undefined): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/** The identity fields copied as they are: {@link DiscoveryInfo} key and discovery `result` field. */
const TEXT_FIELDS = [
  ['deviceType', 'device_type'],
  ['model', 'device_model'],
  ['mac', 'mac'],
  ['firmware', 'firmware_version'],
  ['hardware', 'hardware_version'],
  ['deviceId', 'device_id'],
  ['ip', 'ip'],
] as const satisfies readonly (readonly [keyof DiscoveryInfo, string])[];

/** Device types served by the camera protocol regardless of `is_support_https` (§4). */
const CAMERA_TYPES = new Set(['SMART.IPCAMERA', 'SMART.TAPODOORBELL']);

/**
 * Maps a discovery `result` to our scheme, device kind, port and identity (§4; python-kasa
 * kasa/device_factory.py `get_protocol`, kasa/discover.py `_get_connection_parameters`).
 *
 * * `SMART.IPCAMERA`, `SMART.TAPODOORBELL`, and `SMART.TAPOHUB` with `is_support_https: true`
 *   (H200) ⇒ camera: top-level `encrypt_type` `["3"]` ⇒ `camera-secure`, `["4"]` ⇒ `tpap`,
 *   anything else or absent ⇒ no scheme (probe).
 * * Other `SMART.*`: `mgt_encrypt_schm.encrypt_type` `"KLAP"` ⇒ `klap`, `"TPAP"` ⇒ `tpap`,
 *   `"AES"` without HTTPS ⇒ `passthrough`; `SMART.TAPOROBOVAC` (TLS JSON) and unknown values ⇒ no scheme.
 * * Anything not `SMART.*` (Kasa `IOT.*`) ⇒ no scheme.
 *
 * @param result the reply's `result` object
 * @param decrypted the decrypted `encrypt_info`, when there was one (its `http_port` is the camera port);
 *   python-kasa fixtures carry the same as `result.decrypted_data`, which is used when this is absent
 */
export function schemeFromDiscovery(result: JsonObject, decrypted?: JsonObject): DiscoveryInfo {
  const deviceType = str(result, 'device_type');
  const mgtValue = result['mgt_encrypt_schm'];
  const mgt: JsonObject = isObject(mgtValue) ? mgtValue : {};
  const supportsHttps = mgt['is_support_https'] === true;
  const isCamera =
    (deviceType !== undefined && CAMERA_TYPES.has(deviceType)) || (deviceType === 'SMART.TAPOHUB' && supportsHttps);

  const info: DiscoveryInfo = { schemeReason: '', kind: isCamera ? 'camera' : 'plug', httpPort: 80, https: supportsHttps };
  for (const [key, field] of TEXT_FIELDS) {
    const value = str(result, field);
    if (value !== undefined) info[key] = value;
  }
  if (typeof result['factory_default'] === 'boolean') info.factoryDefault = result['factory_default'];

  if (isCamera) {
    info.https = true;
    const decryptedData = decrypted ?? (isObject(result['decrypted_data']) ? result['decrypted_data'] : undefined);
    const tpap = result['tpap'];
    const list = result['encrypt_type'];
    const versions = (Array.isArray(list) ? list : list === undefined ? [] : [list])
      .map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v))
      .filter((v): v is number => typeof v === 'number' && Number.isInteger(v));
    if (Array.isArray(list)) info.encryptType = list.map((v) => String(v)).join(',');
    else if (typeof list === 'string' || typeof list === 'number') info.encryptType = String(list);
    const highest = versions.length > 0 ? Math.max(...versions) : undefined;
    if (highest !== undefined) info.loginVersion = highest;
    info.httpPort =
      portNumber(decryptedData?.['http_port']) ?? (isObject(tpap) ? portNumber(tpap['port']) : undefined) ?? 443;
    if (highest === 4) {
      info.scheme = 'tpap';
      info.schemeReason = 'camera protocol with encrypt_type 4: TPAP';
    } else if (highest === 3) {
      info.scheme = 'camera-secure';
      info.schemeReason = 'camera protocol with encrypt_type 3: secure login';
    } else {
      info.schemeReason =
        list === undefined
          ? 'camera protocol without encrypt_type: probe the login to choose the scheme'
          : `camera protocol with unknown encrypt_type ${JSON.stringify(list)}: probe the login to choose the scheme`;
    }
    return info;
  }

  const encryptType = str(mgt, 'encrypt_type');
  if (encryptType !== undefined) info.encryptType = encryptType;
  const lv = mgt['lv'];
  if (typeof lv === 'number') info.loginVersion = lv;
  info.httpPort = portNumber(mgt['http_port']) ?? 80;
  if (deviceType === undefined || !deviceType.startsWith('SMART.')) {
    info.schemeReason = `device type ${deviceType ?? '(none)'} is not a SMART device`;
    return info;
  }
  if (encryptType === 'KLAP') {
    info.scheme = 'klap';
    info.schemeReason = 'SMART device with encrypt_type KLAP';
  } else if (encryptType === 'TPAP') {
    info.scheme = 'tpap';
    info.schemeReason = 'SMART device with encrypt_type TPAP (KLAP may still work if the device does not prefer TPAP)';
  } else if (encryptType === 'AES' && deviceType === 'SMART.TAPOROBOVAC') {
    info.schemeReason = 'robot vacuums use a plain TLS JSON login, which is not supported';
  } else if (encryptType === 'AES' && !supportsHttps) {
    info.scheme = 'passthrough';
    info.schemeReason = 'SMART device with encrypt_type AES over HTTP';
  } else if (encryptType === 'AES') {
    info.schemeReason = 'SMART device with encrypt_type AES over HTTPS is not supported';
  } else {
    info.schemeReason =
      encryptType === undefined
        ? 'SMART device without encrypt_type: probe to choose the scheme'
        : `SMART device with unknown encrypt_type ${encryptType}: probe to choose the scheme`;
  }
  return info;
}
