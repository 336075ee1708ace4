/**
 * Device profiles for the simulator: real device dumps (python-kasa fixture format, one JSON
 * object keyed by method name plus `discovery_result`) kept verbatim in ./fixtures/*.json.
 *
 * `loadFixture` turns a dump into a `LoadedFixture`: which family it is, its model and MAC, and
 * which wire scheme the real unit spoke (README.md "How a client should pick the scheme" and
 * discovery.md: SMART devices advertise `mgt_encrypt_schm.encrypt_type`, cameras a top-level
 * `encrypt_type` list). The placeholders the capture left for personal data (names, SSIDs,
 * all-zero ids, the MAC's last three bytes) are replaced with realistic values derived from the
 * fixture name (`unmaskFixture`); the files stay as captured.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SimFamily, SimJson, SimJsonObject, SimScheme } from './types';

/** A parsed device dump with the facts the simulator needs to impersonate it. */
export interface LoadedFixture {
  /** File name without `.json`, e.g. `P110(UK)_1.0_1.3.0`. */
  name: string;
  /** Absolute path of the file it came from. */
  path: string;
  /** The whole dump, method name → captured result. */
  data: SimJsonObject;
  family: SimFamily;
  /** Model as the device reports it (`get_device_info.model` or `basic_info.device_model`), e.g. `P110`. */
  model: string;
  /** The scheme the captured firmware speaks. */
  defaultScheme: SimScheme;
  /** MAC as `AA-BB-CC-DD-EE-FF`. */
  mac: string;
  /** `discovery_result.result` (an empty object when the dump has none). */
  discovery: SimJsonObject;
}

/**
 * Folders searched for bare fixture names: beside this file (ts-node runs src/simulator) and,
 * from compiled code in dist/simulator, the source folder that holds the JSON files.
 */
function fixtureDirs(): string[] {
  return [path.join(__dirname, 'fixtures'), path.join(__dirname, '..', '..', 'src', 'simulator', 'fixtures')];
}

/** The folder holding the bundled fixtures, or undefined when none is found. */
export function fixturesDir(): string | undefined {
  return fixtureDirs().find((dir) => fs.existsSync(dir) && fs.statSync(dir).isDirectory());
}

/** Names (without `.json`) of the bundled fixtures, sorted. */
export function listFixtures(): string[] {
  const dir = fixturesDir();
  if (dir === undefined) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

function isObject(v: SimJson | undefined): v is SimJsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolveFixturePath(nameOrPath: string): string {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes('\\') || path.isAbsolute(nameOrPath);
  if (looksLikePath || (nameOrPath.endsWith('.json') && fs.existsSync(nameOrPath))) {
    const abs = path.resolve(nameOrPath);
    if (fs.existsSync(abs) && fs.statSync(abs).isFile()) return abs;
    if (looksLikePath) throw new Error(`Fixture file not found: ${abs}`);
  }
  const bare = nameOrPath.endsWith('.json') ? nameOrPath.slice(0, -'.json'.length) : nameOrPath;
  const dir = fixturesDir();
  if (dir !== undefined) {
    const candidate = path.join(dir, `${bare}.json`);
    if (fs.existsSync(candidate)) return candidate;
  }
  const available = listFixtures();
  throw new Error(
    `Unknown fixture "${nameOrPath}". Available: ${available.length > 0 ? available.join(', ') : '(none found)'}; or pass a path to a JSON dump.`,
  );
}

/** `48:22:54:aa:bb:cc`, `482254AABBCC` … → `48-22-54-AA-BB-CC`; anything else is returned upper-cased. */
export function normaliseMac(mac: string): string {
  const hex = mac.replace(/[^0-9a-fA-F]/g, '');
  if (hex.length !== 12) return mac.toUpperCase();
  return hex.toUpperCase().match(/../g)!.join('-');
}

function familyOf(data: SimJsonObject, discovery: SimJsonObject): SimFamily {
  const type = typeof discovery.device_type === 'string' ? discovery.device_type : '';
  if (/IPCAMERA|DOORBELL/i.test(type) || Array.isArray(discovery.encrypt_type)) return 'camera';
  if (type.startsWith('SMART.')) return 'smart';
  if ('getDeviceInfo' in data) return 'camera';
  return 'smart';
}

/** The model a dump names in its device info, before any other check. */
function capturedModel(data: SimJsonObject, family: SimFamily): string | undefined {
  const info = data.get_device_info;
  if (family === 'smart') return isObject(info) && typeof info.model === 'string' ? info.model : undefined;
  const di = data.getDeviceInfo;
  const basic = isObject(di) && isObject(di.device_info) && isObject(di.device_info.basic_info) ? di.device_info.basic_info : undefined;
  return basic !== undefined && typeof basic.device_model === 'string' ? basic.device_model : undefined;
}

function schemeOf(family: SimFamily, discovery: SimJsonObject): SimScheme {
  if (family === 'camera') {
    const types = Array.isArray(discovery.encrypt_type) ? discovery.encrypt_type.map(String) : [];
    if (types.includes('4')) return 'tpap';
    if (types.includes('3')) return 'camera-secure';
    return 'camera-legacy';
  }
  const schm = discovery.mgt_encrypt_schm;
  const type = isObject(schm) && typeof schm.encrypt_type === 'string' ? schm.encrypt_type.toUpperCase() : '';
  if (type === 'AES') return 'passthrough';
  if (type === 'TPAP') return 'tpap';
  return 'klap';
}

const MASKED_NAME = '#MASKED_NAME#';
const MASKED_SSID = '#MASKED_SSID#';
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const ROOMS = ['Living room', 'Kitchen', 'Hall', 'Office', 'Bedroom', 'Garage', 'Porch', 'Study', 'Landing', 'Dining room'];
/** A MAC whose last three bytes were zeroed: `48-22-54-00-00-00`, `788CB5000000`, `48:22:54:00:00:00`. */
const MASKED_MAC = /^([0-9A-Fa-f]{2})([-:]?)([0-9A-Fa-f]{2})\2([0-9A-Fa-f]{2})\2(00)\2(00)\2(00)$/;
/** How python-kasa names the sockets of a strip it scrubbed. */
const SCRUBBED_CHILD = /^SCRUBBED_CHILD_DEVICE_ID_(\d+)$/;

/**
 * A dump with its placeholders replaced by realistic values derived from `name` alone, so that a
 * fixture always gives the same device. Names read like "Kitchen plug (P110)" (a room picked by
 * a hash, the kind — plug, power strip, switch (`SMART.TAPOSWITCH`) or camera —, the model) and "Socket 2" for a strip's sockets, the location is the room,
 * SSIDs "TP-Link_3F2A"; an all-zero id becomes as many hex digits of a SHA-256 of the fixture
 * name and the key (the same id wherever the key appears; a camera's `dev_id` is its
 * `device_id`); a MAC keeps its captured TP-Link OUI and gets three derived bytes (a strip's
 * sockets share its MAC, as on a real P300); a scrubbed socket id becomes the strip's id plus the
 * socket's two-digit index, as real strips number them. Everything else is left as captured.
 */
export function unmaskFixture(name: string, data: SimJsonObject, family: SimFamily, model: string): SimJsonObject {
  const hex = (label: string, length: number): string => {
    let out = '';
    for (let i = 0; out.length < length; i++) out += createHash('sha256').update(`${name}\0${label}\0${i}`).digest('hex');
    return out.slice(0, length).toUpperCase();
  };
  const room = ROOMS[Number.parseInt(hex('room', 8), 16) % ROOMS.length] as string;
  const list = data.get_child_device_list;
  const strip = isObject(list) && Array.isArray(list.child_device_list) && list.child_device_list.length > 0;
  const info = data.get_device_info;
  const wallSwitch = isObject(info) && typeof info.type === 'string' && info.type.includes('SWITCH');
  const bulb = isObject(info) && typeof info.type === 'string' && /BULB/i.test(info.type);
  const lightStrip = bulb && JSON.stringify(data.component_nego ?? null).includes('"light_strip"');
  const camInfo = isObject(data.getDeviceInfo) && isObject(data.getDeviceInfo.device_info) ? data.getDeviceInfo.device_info.basic_info : undefined;
  const type = isObject(info) && typeof info.type === 'string' ? info.type : isObject(camInfo) && typeof camInfo.device_type === 'string' ? camInfo.device_type : '';
  // family.md §1: a HUB type is a hub before anything else (it lists children too); a chime is a chime.
  const hub = /HUB/i.test(type);
  const chime = /CHIME/i.test(type);
  const kind = hub ? 'hub' : chime ? 'chime' : family === 'camera' ? 'camera' : strip ? 'power strip' : wallSwitch ? 'switch' : lightStrip ? 'light strip' : bulb ? 'bulb' : 'plug';
  const nickname = `${room} ${kind} (${model})`;
  const stripId = hex('device_id:40', 40);

  const text = (value: string, key: string, holder: SimJsonObject, index: number | undefined): string | undefined => {
    if (value === MASKED_NAME) {
      if (key === 'location') return room;
      return typeof holder.position === 'number' ? `Socket ${holder.position}` : nickname;
    }
    if (value === MASKED_SSID) return index === undefined ? `TP-Link_${hex('ssid', 4)}` : `TP-Link_${hex(`ssid:${index}`, 4)}`;
    const child = SCRUBBED_CHILD.exec(value);
    if (child) return stripId + String(Number(child[1]) - 1).padStart(2, '0');
    // Access points in a Wi-Fi scan differ from each other; the device's own ids are one per key.
    const perItem = key === 'bssid' && index !== undefined ? `:${index}` : '';
    if (/^0{12,}$/.test(value)) return hex(`${key === 'dev_id' ? 'device_id' : key}:${value.length}${perItem}`, value.length);
    const mac = MASKED_MAC.exec(value);
    if (mac) {
      const tail = hex(`mac${perItem}`, 6).match(/../g)!;
      const lower = /[a-f]/.test(value);
      return [mac[1], mac[3], mac[4], ...tail].map((b) => (lower ? b!.toLowerCase() : b!.toUpperCase())).join(mac[2]);
    }
    return undefined;
  };

  const walk = (value: SimJson, key: string, holder: SimJsonObject, index: number | undefined): SimJson => {
    if (typeof value === 'string') {
      const plain = text(value, key, holder, index);
      if (plain !== undefined) return plain;
      // Plugs report names and SSIDs base64-encoded.
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      if ((decoded === MASKED_NAME || decoded === MASKED_SSID) && base64(decoded) === value) {
        return base64(text(decoded, key, holder, index) as string);
      }
      return value;
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, key, holder, i));
    if (isObject(value)) {
      const out: SimJsonObject = {};
      for (const [k, v] of Object.entries(value)) out[text(k, k, value, undefined) ?? k] = walk(v, k, value, index);
      return out;
    }
    return value;
  };
  return walk(data, '', {}, undefined) as SimJsonObject;
}

/** Parses an already-read dump; `filePath` names it in error messages. */
export function parseFixture(name: string, filePath: string, text: string): LoadedFixture {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`Fixture ${filePath} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`Fixture ${filePath} must be a JSON object keyed by method name`);
  }
  const captured = parsed as SimJsonObject;
  const capturedDr = captured.discovery_result;
  const family = familyOf(captured, isObject(capturedDr) ? (isObject(capturedDr.result) ? capturedDr.result : capturedDr) : {});
  const data = unmaskFixture(name, captured, family, capturedModel(captured, family) ?? name);
  const dr = data.discovery_result;
  const discovery: SimJsonObject = isObject(dr) ? (isObject(dr.result) ? dr.result : dr) : {};

  let model: string | undefined;
  let mac: string | undefined;
  if (family === 'smart') {
    const info = data.get_device_info;
    if (!isObject(info)) throw new Error(`Fixture ${filePath} has no get_device_info object (needed for a SMART device)`);
    model = typeof info.model === 'string' ? info.model : undefined;
    mac = typeof info.mac === 'string' ? info.mac : undefined;
  } else {
    const di = data.getDeviceInfo;
    const basic = isObject(di) && isObject(di.device_info) && isObject(di.device_info.basic_info) ? di.device_info.basic_info : undefined;
    if (basic === undefined) throw new Error(`Fixture ${filePath} has no getDeviceInfo.device_info.basic_info (needed for a camera)`);
    model = typeof basic.device_model === 'string' ? basic.device_model : undefined;
    mac = typeof basic.mac === 'string' ? basic.mac : undefined;
  }
  if (model === undefined && typeof discovery.device_model === 'string') model = discovery.device_model;
  if (mac === undefined && typeof discovery.mac === 'string') mac = discovery.mac;
  if (model === undefined) throw new Error(`Fixture ${filePath} names no model`);

  return {
    name,
    path: filePath,
    data,
    family,
    model,
    defaultScheme: schemeOf(family, discovery),
    mac: normaliseMac(mac ?? '00-00-00-00-00-00'),
    discovery,
  };
}

/**
 * Loads a fixture by bare name (`P110(UK)_1.0_1.3.0`, with or without `.json`) from the bundled
 * folder, or by file path. Throws a message listing the available names when it is unknown.
 */
export function loadFixture(nameOrPath: string): LoadedFixture {
  const filePath = resolveFixturePath(nameOrPath);
  const name = path.basename(filePath).replace(/\.json$/, '');
  return parseFixture(name, filePath, fs.readFileSync(filePath, 'utf8'));
}
