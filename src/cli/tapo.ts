/**
 * `tapo`: control one Tapo plug or camera from a shell, over the same connection and devices
 * layers the Node-RED nodes use. Prints JSON on stdout; on failure prints one line
 * `tapo: <message>. <hint>` on stderr and exits with a code per error kind (see {@link EXIT_CODES}).
 */
import { DeviceConnection, parseHostPort } from '../connection/connection';
import type { ConnectionOptions } from '../connection/connection';
import { probeDevice } from '../connection/probe';
import { Camera } from '../devices/camera';
import { parseCameraActions, parseCameraReadNames } from '../devices/parse';
import { Plug } from '../devices/plug';
import { discover } from '../protocol/discovery';
import type { DiscoverOptions } from '../protocol/discovery';
import { ERROR_KINDS, TapoError } from '../protocol/errors';
import type { ErrorKind } from '../protocol/errors';
import { SCHEME_NAMES } from '../protocol/types';
import type { DeviceKind, JsonObject, JsonValue, SchemeName } from '../protocol/types';

/** Exit code per error kind: Authentication 10, SessionExpired 11 … Unsupported 18. */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = Object.fromEntries(
  ERROR_KINDS.map((kind, i) => [kind, 10 + i]),
) as Record<ErrorKind, number>;

/** Exit code for a command line that cannot be understood. */
export const EXIT_USAGE = 2;
/** Exit code for an unexpected failure (a bug). */
export const EXIT_UNEXPECTED = 1;

/** The usage text printed by `--help`. */
export const USAGE = `Usage: tapo --host HOST[:PORT] [options] COMMAND

Commands:
  discover                  UDP discovery (no credentials): print model, MAC, scheme and the raw result
  probe                     log in, detect the scheme and print the device identity
  info                      print the device state
  on | off | toggle         switch a plug (toggle reads, then sets the opposite)
  energy                    print a plug's energy usage
  camera get NAME...        read camera settings (e.g. privacyMode led deviceInfo)
  camera do JSON            apply camera actions, e.g. '{"privacyMode":true}'
  call METHOD [JSON]        send one raw method with JSON params

Options:
  --host HOST[:PORT]        device address (required)
  --username U              TP-Link account e-mail for plugs (env TAPO_USERNAME); cameras use admin
  --password P              account password (or env TAPO_PASSWORD, which keeps it out of ps)
  --kind plug|camera        device kind (default plug, camera for "camera ..." commands)
  --scheme S                auto (default), ${SCHEME_NAMES.join(', ')}
  --timeout MS              per-request timeout in ms (default 10000; discover: 3000)
  --discovery-port N        UDP port for discover (default 20002; some doorbells use 20004)
  --debug                   print stack traces of unexpected errors
  -h, --help                show this text

Exit codes: 0 ok, 1 unexpected, 2 usage, ${ERROR_KINDS.map((k, i) => `${10 + i} ${k}`).join(', ')}.
`;

/** Where the CLI writes and what environment it reads (injectable for tests). */
export interface CliIo {
  /** Receives the JSON result and `--help`. */
  stdout: (text: string) => void;
  /** Receives the one-line error. */
  stderr: (text: string) => void;
  /** Environment (`TAPO_PASSWORD`, `TAPO_USERNAME`). */
  env: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

interface ParsedArgs {
  help: boolean;
  debug: boolean;
  host?: string;
  username?: string;
  password?: string;
  kind?: DeviceKind;
  scheme: SchemeName | 'auto';
  timeoutMs?: number;
  discoveryPort?: number;
  command: string[];
}

const VALUE_OPTIONS = new Set(['host', 'username', 'password', 'kind', 'scheme', 'timeout', 'discovery-port']);

function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { help: false, debug: false, scheme: 'auto', command: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      out.command.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    if (arg === '--debug') {
      out.debug = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      out.command.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!VALUE_OPTIONS.has(name)) throw new UsageError(`unknown option --${name}`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    switch (name) {
      case 'host':
        out.host = value;
        break;
      case 'username':
        out.username = value;
        break;
      case 'password':
        out.password = value;
        break;
      case 'kind':
        if (value !== 'plug' && value !== 'camera') throw new UsageError('--kind must be plug or camera');
        out.kind = value;
        break;
      case 'scheme':
        if (value !== 'auto' && !(SCHEME_NAMES as readonly string[]).includes(value)) {
          throw new UsageError(`--scheme must be auto or one of ${SCHEME_NAMES.join(', ')}`);
        }
        out.scheme = value as SchemeName | 'auto';
        break;
      case 'timeout': {
        const ms = Number(value);
        if (!/^\d+$/.test(value) || ms < 1) throw new UsageError('--timeout must be a positive number of milliseconds');
        out.timeoutMs = ms;
        break;
      }
      case 'discovery-port': {
        const port = Number(value);
        if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new UsageError('--discovery-port must be a port number from 1 to 65535');
        out.discoveryPort = port;
        break;
      }
    }
  }
  return out;
}

function parseJsonArg(text: string, what: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new TapoError('Input', `${what} is not valid JSON`, {
      hint: `Quote it for the shell, e.g. '{"privacyMode":true}'.`,
      sent: false,
    });
  }
}

function asParams(value: JsonValue, what: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TapoError('Input', `${what} must be a JSON object`, { hint: 'Pass an object such as {"device_on":true}.', sent: false });
  }
  return value;
}

/** Runs the command on an open connection and returns what to print. */
async function runCommand(connection: DeviceConnection, kind: DeviceKind, command: readonly string[]): Promise<unknown> {
  const [verb, ...rest] = command;
  if (verb === 'camera') {
    const camera = new Camera(connection);
    const [sub, ...args] = rest;
    if (sub === 'get') {
      if (args.length === 0) throw new UsageError('camera get needs at least one setting name');
      return camera.read(parseCameraReadNames(args));
    }
    if (sub === 'do') {
      if (args.length !== 1) throw new UsageError('camera do needs exactly one JSON argument');
      return camera.apply(parseCameraActions(parseJsonArg(args[0] ?? '', 'the action')));
    }
    throw new UsageError('camera needs "get NAME..." or "do JSON"');
  }
  if (verb === 'call') {
    const [method, json, ...extra] = rest;
    if (!method || extra.length > 0) throw new UsageError('call needs METHOD and at most one JSON argument');
    const params = json === undefined ? undefined : asParams(parseJsonArg(json, 'the params'), 'the params');
    if (kind === 'camera') return new Camera(connection).callMethod(method, params ?? {});
    return new Plug(connection).call(method, params);
  }
  if (rest.length > 0) throw new UsageError(`${String(verb)} takes no arguments`);
  if (kind === 'camera') {
    if (verb === 'info') return (await new Camera(connection).read(['deviceInfo'])).deviceInfo;
    throw new UsageError(`${String(verb)} is a plug command; cameras know info, camera get, camera do and call`);
  }
  const plug = new Plug(connection);
  switch (verb) {
    case 'info':
      return plug.getInfo();
    case 'on':
      await plug.turnOn();
      return { device_on: true };
    case 'off':
      await plug.turnOff();
      return { device_on: false };
    case 'toggle':
      return { device_on: await plug.toggle() };
    case 'energy':
      return plug.getEnergyUsage();
    default:
      throw new UsageError(`unknown command "${String(verb)}"`);
  }
}

/** One line, no secrets: the message, then the hint. */
function errorLine(error: TapoError, password: string | undefined): string {
  const message = error.message.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
  const hint = error.hint ? ` ${error.hint.replace(/\s+/g, ' ').trim()}` : '';
  return redact(`tapo: ${message}.${hint}`, password);
}

function redact(text: string, password: string | undefined): string {
  return password ? text.split(password).join('***') : text;
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves with the exit code.
 * Never throws; never prints the password.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let parsed: ParsedArgs | undefined;
  let password: string | undefined;
  try {
    parsed = parseArgs(argv);
    if (parsed.help) {
      io.stdout(USAGE);
      return 0;
    }
    if (parsed.command.length === 0) throw new UsageError('no command given');
    if (!parsed.host) throw new UsageError('--host is required');
    if (parsed.command[0] === 'discover') {
      if (parsed.command.length > 1) throw new UsageError('discover takes no arguments');
      const discoverOptions: DiscoverOptions = {};
      if (parsed.discoveryPort !== undefined) discoverOptions.port = parsed.discoveryPort;
      if (parsed.timeoutMs !== undefined) discoverOptions.timeoutMs = parsed.timeoutMs;
      const { scheme, ...found } = await discover(parseHostPort(parsed.host).host, discoverOptions);
      // scheme null: the result does not say, so a login probe has to choose (schemeReason says why).
      io.stdout(`${JSON.stringify({ scheme: scheme ?? null, ...found }, null, 2)}\n`);
      return 0;
    }
    if (parsed.discoveryPort !== undefined) throw new UsageError('--discovery-port only applies to discover');
    const isCameraCommand = parsed.command[0] === 'camera';
    if (isCameraCommand && parsed.kind === 'plug') throw new UsageError('camera commands need --kind camera (or no --kind)');
    const kind: DeviceKind = parsed.kind ?? (isCameraCommand ? 'camera' : 'plug');
    password = parsed.password ?? io.env['TAPO_PASSWORD'];
    if (!password) throw new UsageError('no password: pass --password or set TAPO_PASSWORD');
    const username = parsed.username ?? io.env['TAPO_USERNAME'] ?? (kind === 'camera' ? 'admin' : undefined);
    if (!username) throw new UsageError('--username (the TP-Link account e-mail) is required for plugs');
    const options: ConnectionOptions = {
      host: parsed.host,
      kind,
      scheme: parsed.scheme,
      credentials: { username, password },
    };
    if (parsed.timeoutMs !== undefined) options.timeoutMs = parsed.timeoutMs;

    let result: unknown;
    if (parsed.command[0] === 'probe') {
      if (parsed.command.length > 1) throw new UsageError('probe takes no arguments');
      result = await probeDevice(options);
    } else {
      const connection = new DeviceConnection(options);
      try {
        result = await runCommand(connection, kind, parsed.command);
      } finally {
        await connection.close();
      }
    }
    io.stdout(`${redact(JSON.stringify(result ?? null, null, 2), password)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`tapo: ${redact(e.message, password)}. Run tapo --help for usage.\n`);
      return EXIT_USAGE;
    }
    if (e instanceof TapoError) {
      io.stderr(`${errorLine(e, password)}\n`);
      return EXIT_CODES[e.kind];
    }
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`tapo: unexpected error: ${redact(message.replace(/\s+/g, ' '), password)}\n`);
    if (parsed?.debug && e instanceof Error && e.stack) io.stderr(`${redact(e.stack, password)}\n`);
    return EXIT_UNEXPECTED;
  }
}

function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  };
}

/** Entry point for bin/tapo.js: runs {@link main} on `process.argv` and sets the exit code. */
export function run(): void {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) run();
