/**
 * `tapo-sim`: run simulated Tapo devices from the command line.
 *
 *   tapo-sim --fixture NAME|PATH [--scheme S] [--host 127.0.0.1] [--port 0] [--username U]
 *            [--password P] [--load-watts W] [--session-ttl S] [--lockout-threshold N]
 *            [--lockout-seconds S] [--camera-password-hash sha256|md5] [--discovery-port N]
 *            [--onvif-port N] [--rtsp-port N] [--rtsp-jpeg tapo|rfc|rfc-tables] [--camera-account USER:PASS]
 *            [--ring-target HOST:PORT] [--fixture …]
 *   tapo-sim --config devices.json      (a JSON array of StartDeviceOptions)
 *   tapo-sim --list                     (bundled fixture names)
 *   tapo-sim trigger --port N [--host H] EVENT [--end] [--socket N] [--child N]
 *                                       (an event on a running simulator, from another shell)
 *
 * Options after a `--fixture` apply to that fixture. `--discovery-port N` makes that device answer
 * UDP discovery probes on port N of its host (0 = any free port, 20002 = the real port; a
 * `--config` entry says `"discoveryPort": N`). Once a device listens, one JSON line per device
 * goes to stdout (host, port, scheme, model, family, url, discoveryPort, onvifPort and rtspPort when
 * enabled, fixture; never a password). `--onvif-port N` makes a camera serve ONVIF on port N of its
 * host (0 = any free port, 2020 = the real port), checked against `--camera-account` (default
 * tapo-cam:tapo-sim-cam); `--rtsp-port N` serves RTSP (`stream8`, MJPEG; `stream1`/`stream2`, H.264,
 * when ffmpeg is on PATH) on port N (0 = any free port, 554 = the real one) for the same account;
 * `--rtsp-jpeg` is how `stream8` packs frames (tapo = whole JFIF as Tapo does, the default; rfc =
 * RFC 2435 scans with Q 80; rfc-tables = Q 255, tables in-band); `--ring-target` is where a
 * doorbell's ring goes (default 127.0.0.1:20005).
 *
 * `trigger` POSTs to the control endpoint of a device already running (`/__sim/detect`,
 * `/__sim/ring`, `/__sim/press`) on `--host` (default 127.0.0.1) and `--port` (the device's port,
 * HTTP for plugs, HTTPS for cameras: it tries HTTP, then HTTPS), prints the reply as one JSON line
 * and exits 0, or 1 with one line on stderr when the device refuses or cannot be reached. EVENT is
 * a detection (motion, person, vehicle, pet, lineCross, intrusion, tamper, babyCry; `--end` ends
 * it), `ring` (a doorbell) or `press` (a plug's button; `--socket N` on a strip).
 * SIGINT/SIGTERM stop every device and exit 0. Bad options print one line to stderr and exit 2.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { SIM_SCHEMES } from './control';
import { DETECTION_TYPES } from './detections';
import { startDevices } from './device';
import type { SimulatedDevice, StartDeviceOptions } from './device';
import { listFixtures } from './fixtures';
import { CHILD_TRIGGERS } from './logic/hub';
import { STREAM8_FORMS } from './media/rfc2435';
import type { Stream8Form } from './media/rfc2435';
import type { SimScheme } from './types';

/** An event to send to a running simulator (`tapo-sim trigger`). */
export interface TriggerPlan {
  host: string;
  port: number;
  /** The control action: `/__sim/<action>`. */
  action: 'detect' | 'ring' | 'press' | 'trigger-child';
  /** The JSON body. */
  body: Record<string, unknown>;
}

/** What the command line asks for. */
export type CliPlan =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'start'; devices: StartDeviceOptions[] }
  | { kind: 'trigger'; trigger: TriggerPlan };

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
  '                [--discovery-port N] [--onvif-port N] [--rtsp-port N] [--rtsp-jpeg tapo|rfc|rfc-tables]',
  '                [--camera-account USER:PASS] [--ring-target HOST:PORT] [--onboarding] [--fixture ...]',
  '       tapo-sim --config FILE.json   (array of device options)',
  '       tapo-sim --list',
  '       tapo-sim trigger --port N [--host H] EVENT [--end] [--socket N] [--child N]',
  `schemes: ${SIM_SCHEMES.join(', ')}`,
  'options after a --fixture apply to that device; --discovery-port N answers UDP discovery on',
  'port N of its --host (0 = any free port, 20002 = the real one; one device per host and port);',
  '--onvif-port N serves ONVIF on a camera (0 = any free port, 2020 = the real one) for the',
  '--camera-account (default tapo-cam:tapo-sim-cam); --rtsp-port N serves RTSP stream8 (MJPEG),',
  'and stream1/stream2 (H.264) when ffmpeg is on PATH, on a camera (0 = any free port, 554 = the',
  'real one) for the same account; --rtsp-jpeg: how stream8 packs frames (tapo = whole JFIF, the',
  'default; rfc = RFC 2435 scans, Q 80; rfc-tables = Q 255, tables in-band); --ring-target: where',
  'a doorbell rings (default 127.0.0.1:20005); --onboarding starts the device in onboarding mode',
  '(a camera in AP mode: admin with the factory password, scanApList/connectAp/getConnectStatus;',
  'a plug unbound: blank credentials, set_qs_info); the network "Home" joins with tapo-sim-wifi',
  `trigger: sends EVENT to the device running on --port: ${DETECTION_TYPES.join(', ')} (--end`,
  'ends it), ring (doorbells), press (plugs; --socket N on a strip); hubs: --child N (position, id or',
  `name) with ${CHILD_TRIGGERS.join(', ')}`,
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
  '--onvif-port': { key: 'onvifPort', read: (v, f) => readInteger(v, f, 0, 65535) },
  '--rtsp-port': { key: 'rtspPort', read: (v, f) => readInteger(v, f, 0, 65535) },
  '--rtsp-jpeg': { key: 'rtspJpegForm', read: readJpegForm },
  '--camera-account': { key: 'cameraAccount', read: readAccount },
  '--ring-target': { key: 'ringTarget', read: readHostPort },
};

function readAccount(value: string, flag: string): { username: string; password: string } {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) throw new CliUsageError(`${flag} must be USER:PASSWORD`);
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

function readHostPort(value: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d+)$/.exec(value);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port < 1 || port > 65535) throw new CliUsageError(`${flag} must be HOST:PORT (a port from 1 to 65535; IPv6 as [::1]:20005), got "${value}"`);
  return { host: (m[1] ?? m[2]) as string, port };
}

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

function readJpegForm(value: string, flag: string): Stream8Form {
  if (!(STREAM8_FORMS as readonly string[]).includes(value)) throw new CliUsageError(`${flag} must be ${STREAM8_FORMS.join(', ')}`);
  return value as Stream8Form;
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
    if (typeof value !== 'string' && typeof value !== 'number') throw new CliUsageError(`${where}.${key} must be a string or number (cameraAccount "USER:PASS", ringTarget "HOST:PORT")`);
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

/** Reads the arguments after `trigger`. */
function parseTriggerArgs(argv: readonly string[]): CliPlan {
  let host = '127.0.0.1';
  let port: number | undefined;
  let event: string | undefined;
  let end = false;
  let socket: number | undefined;
  let child: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
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
    if (flag === '--host') host = readText(takeValue(), flag);
    else if (flag === '--port') port = readInteger(takeValue(), flag, 1, 65535);
    else if (flag === '--end') end = true;
    else if (flag === '--socket') socket = readInteger(takeValue(), flag, 1, 64);
    else if (flag === '--child') child = readText(takeValue(), flag);
    else if (!arg.startsWith('-') && event === undefined) event = arg;
    else throw new CliUsageError(`trigger: unknown option "${arg}"; try --help`);
  }
  if (port === undefined && child !== undefined) throw new CliUsageError("trigger needs --port: the hub's port (its JSON line says it)");
  if (child !== undefined) {
    if (event === undefined || !(CHILD_TRIGGERS as readonly string[]).includes(event)) {
      throw new CliUsageError(`trigger --child needs an event: one of ${CHILD_TRIGGERS.join(', ')}${event === undefined ? '' : `, got "${event}"`}`);
    }
    if (end || socket !== undefined) throw new CliUsageError('--end and --socket are not for hub children');
    const key: string | number = /^\d+$/.test(child) ? Number(child) : child;
    return { kind: 'trigger', trigger: { host, port: port as number, action: 'trigger-child', body: { child: key, event } } };
  }
  const events = [...DETECTION_TYPES, 'ring', 'press'];
  if (port === undefined) throw new CliUsageError("trigger needs --port: the device's port (its JSON line says it)");
  if (event === undefined || !events.includes(event)) {
    throw new CliUsageError(`trigger needs an event: one of ${events.join(', ')}${event === undefined ? '' : `, got "${event}"`}`);
  }
  const isDetection = (DETECTION_TYPES as readonly string[]).includes(event);
  if (end && !isDetection) throw new CliUsageError('--end is for detections (motion, person …)');
  if (socket !== undefined && event !== 'press') throw new CliUsageError('--socket is for press');
  if (isDetection) return { kind: 'trigger', trigger: { host, port, action: 'detect', body: end ? { type: event, active: false } : { type: event } } };
  return { kind: 'trigger', trigger: { host, port, action: event as 'ring' | 'press', body: socket !== undefined ? { socket } : {} } };
}

/** Turns the argument list into a plan; throws {@link CliUsageError} on anything it cannot use. */
export function parseCliArgs(argv: readonly string[], readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): CliPlan {
  if (argv[0] === 'trigger') return parseTriggerArgs(argv.slice(1));
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
    } else if (flag === '--onboarding') {
      const last = devices[devices.length - 1];
      if (last === undefined) throw new CliUsageError(`${flag} must follow the --fixture it applies to`);
      last.onboarding = true;
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
  if (plan.kind === 'trigger') return trigger(plan.trigger, io);

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

/** One POST to a control endpoint, over HTTP or HTTPS (a simulated camera's self-signed RSA-1024 certificate). */
function postControl(plan: TriggerPlan, secure: boolean): Promise<{ status: number; body: string }> {
  const body = Buffer.from(JSON.stringify(plan.body), 'utf8');
  const options: http.RequestOptions = {
    host: plan.host,
    port: plan.port,
    path: `/__sim/${plan.action}`,
    method: 'POST',
    agent: false,
    timeout: 10_000,
    headers: { 'content-type': 'application/json', 'content-length': String(body.length), connection: 'close' },
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    };
    const req = secure
      ? https.request({ ...options, rejectUnauthorized: false, ciphers: 'DEFAULT:@SECLEVEL=0' }, onResponse)
      : http.request(options, onResponse);
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 10 s'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `tapo-sim trigger`: POSTs the event to the running device. Plugs listen on HTTP, cameras on
 * HTTPS, and the port does not say which: HTTP first, then HTTPS when the port did not speak HTTP
 * (the control endpoint never saw the first attempt, so nothing happens twice).
 */
async function trigger(plan: TriggerPlan, io: CliIo): Promise<number> {
  let reply: { status: number; body: string };
  try {
    try {
      reply = await postControl(plan, false);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND') throw err;
      reply = await postControl(plan, true);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    io.stderr(`tapo-sim: cannot reach a simulated device on ${plan.host}:${plan.port}: ${code ?? (err as Error).message}`);
    return 1;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body);
  } catch {
    parsed = undefined;
  }
  if (reply.status !== 200 || parsed === undefined) {
    const message = parsed !== null && typeof parsed === 'object' && typeof (parsed as { error?: unknown }).error === 'string' ? (parsed as { error: string }).error : `HTTP ${reply.status}`;
    io.stderr(`tapo-sim: ${plan.host}:${plan.port} refused ${plan.action}: ${message}`);
    return 1;
  }
  io.stdout(JSON.stringify(parsed));
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
