/**
 * `tapo-sim`: run simulated Tapo devices from the command line.
 *
 *   tapo-sim --fixture NAME|PATH [--scheme S] [--host 127.0.0.1] [--port 0] [--username U]
 *            [--password P] [--load-watts W] [--session-ttl S] [--lockout-threshold N]
 *            [--lockout-seconds S] [--camera-password-hash sha256|md5] [--discovery-port N]
 *            [--fixture …]
 *   tapo-sim --config devices.json      (a JSON array of StartDeviceOptions)
 *   tapo-sim --list                     (bundled fixture names)
 *
 * Options after a `--fixture` apply to that fixture. `--discovery-port N` makes that device answer
 * UDP discovery probes on port N of its host (0 = any free port, 20002 = the real port; a
 * `--config` entry says `"discoveryPort": N`). Once a device listens, one JSON line per device
 * goes to stdout (host, port, scheme, model, family, url, discoveryPort when enabled, fixture;
 * never a password).
 * SIGINT/SIGTERM stop every device and exit 0. Bad options print one line to stderr and exit 2.
 */
import { readFileSync } from 'node:fs';
import { SIM_SCHEMES } from './control';
import { startDevices } from './device';
import type { SimulatedDevice, StartDeviceOptions } from './device';
import { listFixtures } from './fixtures';
import type { SimScheme } from './types';

/** What the command line asks for. */
export type CliPlan = { kind: 'help' } | { kind: 'list' } | { kind: 'start'; devices: StartDeviceOptions[] };

/** A bad command line; the message is one line that says what is wrong and what is accepted. */
export class CliUsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** Where the CLI writes. */
export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

/** Usage text printed by `--help`. */
export const USAGE = [
  'usage: tapo-sim --fixture NAME|PATH [--scheme S] [--host H] [--port N] [--username U] [--password P]',
  '                [--load-watts W] [--session-ttl S] [--lockout-threshold N] [--lockout-seconds S]',
  '                [--camera-password-hash sha256|md5] [--tpap-camera-passcode md5|sha256-crypt]',
  '                [--discovery-port N] [--fixture ...]',
  '       tapo-sim --config FILE.json   (array of device options)',
  '       tapo-sim --list',
  `schemes: ${SIM_SCHEMES.join(', ')}`,
  'options after a --fixture apply to that device; --discovery-port N answers UDP discovery on',
  'port N of its --host (0 = any free port, 20002 = the real one; one device per host and port)',
].join('\n');

type DeviceOptionKey = Exclude<keyof StartDeviceOptions, 'fixture' | 'clock'>;

/** Per-device flags and how each value is read. */
const DEVICE_FLAGS: Record<string, { key: DeviceOptionKey; read: (value: string, flag: string) => StartDeviceOptions[DeviceOptionKey] }> = {
  '--scheme': { key: 'scheme', read: readScheme },
  '--host': { key: 'host', read: readText },
  '--port': { key: 'port', read: (v, f) => readInteger(v, f, 0, 65535) },
  '--username': { key: 'username', read: readText },
  '--password': { key: 'password', read: readText },
  '--load-watts': { key: 'loadWatts', read: readNumber },
  '--session-ttl': { key: 'sessionTtlSeconds', read: (v, f) => readInteger(v, f, 1, 2 ** 31 - 1) },
  '--lockout-threshold': { key: 'lockoutThreshold', read: (v, f) => readInteger(v, f, 1, 1000) },
  '--lockout-seconds': { key: 'lockoutSeconds', read: readNumber },
  '--camera-password-hash': { key: 'cameraPasswordHash', read: readHashKind },
  '--tpap-camera-passcode': { key: 'tpapCameraPasscode', read: readTpapPasscode },
  '--discovery-port': { key: 'discoveryPort', read: (v, f) => readInteger(v, f, 0, 65535) },
};

function readText(value: string, flag: string): string {
  if (value === '') throw new CliUsageError(`${flag} needs a value`);
  return value;
}

function readScheme(value: string, flag: string): SimScheme {
  if (!(SIM_SCHEMES as readonly string[]).includes(value)) {
    throw new CliUsageError(`${flag} "${value}" is not a scheme; use one of ${SIM_SCHEMES.join(', ')}`);
  }
  return value as SimScheme;
}

function readHashKind(value: string, flag: string): 'sha256' | 'md5' {
  if (value !== 'sha256' && value !== 'md5') throw new CliUsageError(`${flag} must be sha256 or md5`);
  return value;
}

function readTpapPasscode(value: string, flag: string): 'md5' | 'sha256-crypt' {
  if (value !== 'md5' && value !== 'sha256-crypt') throw new CliUsageError(`${flag} must be md5 or sha256-crypt`);
  return value;
}

function readInteger(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new CliUsageError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

function readNumber(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new CliUsageError(`${flag} must be a number >= 0, got "${value}"`);
  return n;
}

/** Checks one entry of a `--config` file against the options `startDevice` takes. */
function readConfigEntry(entry: unknown, index: number, file: string): StartDeviceOptions {
  const where = `${file}[${index}]`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new CliUsageError(`${where} must be an object`);
  const record = entry as Record<string, unknown>;
  if (typeof record.fixture !== 'string' || record.fixture === '') throw new CliUsageError(`${where}.fixture must be a fixture name or path`);
  const options: StartDeviceOptions = { fixture: record.fixture };
  const byKey = new Map(Object.entries(DEVICE_FLAGS).map(([flag, spec]) => [spec.key as string, { flag, spec }]));
  for (const [key, value] of Object.entries(record)) {
    if (key === 'fixture') continue;
    const found = byKey.get(key);
    if (found === undefined) {
      throw new CliUsageError(`${where}: unknown option "${key}"; known: fixture, ${[...byKey.keys()].join(', ')}`);
    }
    if (typeof value !== 'string' && typeof value !== 'number') throw new CliUsageError(`${where}.${key} must be a string or number`);
    (options as unknown as Record<string, unknown>)[key] = found.spec.read(String(value), `${where}.${key}`);
  }
  return options;
}

/** Reads `--config FILE`: a JSON array of device options. */
function readConfig(file: string, readFile: (path: string) => string): StartDeviceOptions[] {
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    throw new CliUsageError(`cannot read --config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliUsageError(`--config ${file} is not valid JSON`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new CliUsageError(`--config ${file} must hold a non-empty JSON array of device options`);
  return parsed.map((entry, i) => readConfigEntry(entry, i, file));
}

/** Turns the argument list into a plan; throws {@link CliUsageError} on anything it cannot use. */
export function parseCliArgs(argv: readonly string[], readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): CliPlan {
  const devices: StartDeviceOptions[] = [];
  let list = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === undefined) continue; // only a hole in a sparse array; `i < argv.length` covers the rest
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const takeValue = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new CliUsageError(`${flag} needs a value`);
      i += 1;
      return next;
    };
    if (flag === '--help' || flag === '-h') return { kind: 'help' };
    if (flag === '--list') {
      list = true;
    } else if (flag === '--fixture') {
      devices.push({ fixture: readText(takeValue(), flag) });
    } else if (flag === '--config') {
      devices.push(...readConfig(readText(takeValue(), flag), readFile));
    } else if (DEVICE_FLAGS[flag] !== undefined) {
      const spec = DEVICE_FLAGS[flag];
      const value = spec.read(takeValue(), flag);
      const last = devices[devices.length - 1];
      if (last === undefined) throw new CliUsageError(`${flag} must follow the --fixture it applies to`);
      (last as unknown as Record<string, unknown>)[spec.key] = value;
    } else {
      throw new CliUsageError(`unknown option "${arg}"; try --help`);
    }
  }
  if (list) return { kind: 'list' };
  if (devices.length === 0) throw new CliUsageError('nothing to start: give --fixture NAME, --config FILE or --list');
  return { kind: 'start', devices };
}

const defaultIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs the CLI. For `start`, resolves with the exit code once SIGINT or SIGTERM has stopped
 * every device; `signals` lets tests stand in for the process.
 */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  io: CliIo = defaultIo,
  signals: NodeJS.EventEmitter = process,
): Promise<number> {
  let plan: CliPlan;
  try {
    plan = parseCliArgs(argv);
  } catch (err) {
    io.stderr(`tapo-sim: ${(err as Error).message}`);
    return 2;
  }
  if (plan.kind === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (plan.kind === 'list') {
    for (const name of listFixtures()) io.stdout(name);
    return 0;
  }

  let devices: SimulatedDevice[];
  try {
    devices = await startDevices(plan.devices);
  } catch (err) {
    const systemError = typeof (err as NodeJS.ErrnoException).code === 'string';
    io.stderr(`tapo-sim: ${(err as Error).message.split('\n')[0]}`);
    return systemError ? 1 : 2;
  }
  for (const device of devices) io.stdout(JSON.stringify({ ...device.describe(), fixture: device.fixture.name }));

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      resolve();
    };
    signals.on('SIGINT', stop);
    signals.on('SIGTERM', stop);
  });
  await Promise.all(devices.map((device) => device.stop()));
  return 0;
}

/** Entry point of `bin/tapo-sim.js` and of `node dist/simulator/cli.js`. */
export function run(argv: readonly string[] = process.argv.slice(2)): void {
  // `tapo-sim --list | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`tapo-sim: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) run();
