/**
 * Device profiles for the simulator: real device dumps (python-kasa fixture format, one JSON
 * object keyed by method name plus `discovery_result`) kept verbatim in ./fixtures/*.json.
 *
 * `loadFixture` turns a dump into a `LoadedFixture`: which family it is, its model and MAC, and
 * which wire scheme the real unit spoke (README.md "How a client should pick the scheme" and
 * discovery.md: SMART devices advertise `mgt_encrypt_schm.encrypt_type`, cameras a top-level
 * `encrypt_type` list).
 */
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
  const data = parsed as SimJsonObject;
  const dr = data.discovery_result;
  const discovery: SimJsonObject = isObject(dr) ? (isObject(dr.result) ? dr.result : dr) : {};
  const family = familyOf(data, discovery);

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
