/**
 * `tapo`: control one Tapo plug or camera from a shell, over the same connection and devices
 * layers the Node-RED nodes use. Prints JSON on stdout; on failure prints one line
 * `tapo: <message>. <hint>` on stderr and exits with a code per error kind (see {@link EXIT_CODES}).
 */
import { isatty } from 'node:tty';
import { DeviceConnection, parseHostPort } from '../connection/connection';
import type { ConnectionOptions, ConnectionStateEvent } from '../connection/connection';
import { TapoDevice } from '../connection/device';
import { WrongKindError, explainProbeFailure, probeDevice } from '../connection/probe';
import type { FirmwareProgress } from '../devices/firmware';
import { Camera } from '../devices/camera';
import type { CameraAction, CameraSetting } from '../devices/camera';
import { asksForAll, parseCameraActions, parseCameraReadNames } from '../devices/parse';
import { SmartDevice } from '../devices/smart';
import { addressed, meteredAt, openSmart } from '../devices/plug';
import { discover } from '../protocol/discovery';
import { broadcastTargets, parseAddressRange, scanNetwork } from '../protocol/discovery-scan';
import type { ScanOptions } from '../protocol/discovery-scan';
import type { DiscoverOptions } from '../protocol/discovery';
import { ERROR_KINDS, TapoError } from '../protocol/errors';
import type { ErrorKind } from '../protocol/errors';
import type { HintKey } from '../protocol/reasons';
import { SCHEME_NAMES } from '../protocol/types';
import { secretForms } from '../secret-forms';
import { ONBOARD_USAGE, OnboardUsageError, runOnboard } from './onboard';
import { readHiddenLine } from './prompt';
import type { PromptInput } from './prompt';
import type { DeviceKind, JsonObject, JsonValue, SchemeName } from '../protocol/types';

/** Exit code per error kind: Authentication 10, SessionExpired 11 … Unsupported 18. */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = Object.fromEntries(
  ERROR_KINDS.map((kind, i) => [kind, 10 + i]),
) as Record<ErrorKind, number>;

/** Exit code for a command line that cannot be understood. */
export const EXIT_USAGE = 2;
/** Exit code for an unexpected failure (a bug). */
export const EXIT_UNEXPECTED = 1;
/** Exit code after Ctrl-C at the password prompt (128 + SIGINT, as a shell reports it). */
export const EXIT_INTERRUPTED = 130;

/** The usage text printed by `--help`. */
export const USAGE = `Usage: tapo --host HOST[:PORT] [options] COMMAND

Commands:
  discover                  UDP discovery (no credentials): print model, MAC, scheme and the raw result
  discover --scan           scan a network instead of one --host: --range R probes each address of R,
                            --broadcast the broadcast address of each of this host's networks;
                            prints one entry per device that answered (ip, kind, model, mac,
                            firmware, scheme, thirdPartyOff), [] when none did
  probe                     log in, detect the scheme and print the device identity
  info                      print the device state
  on | off | toggle         switch a plug and print its state read back, as info does
                            (toggle reads, then sets the opposite)
  energy                    print a plug's energy usage
  camera get NAME...        read camera settings (e.g. privacyMode led deviceInfo)
  camera do JSON            apply camera actions, e.g. '{"privacyMode":true}'
  call METHOD [JSON]        send one raw method with JSON params
  onboard scan|join ...     put a factory-fresh camera or plug on your Wi-Fi (tapo onboard --help)
  firmware check            print the firmware version and the update the cloud offers
  firmware update           start that update and follow it (progress lines on stderr) until the
                            device is back on the new version; prints {from, to, scheme,
                            durationSeconds}; never restarted automatically; gives up after 10 min

Options:
  --host HOST[:PORT]        device address (required); http:// or https:// in front is dropped
  --username U              TP-Link account e-mail for plugs (env TAPO_USERNAME); cameras use admin
  --password P              account password (or env TAPO_PASSWORD, which keeps it out of ps;
                            on a terminal, without either, it is asked for without echo)
  --kind plug|camera        device kind (default plug, camera for "camera ..." commands)
  --socket N|ID|NAME        power strips: the socket for on, off, toggle, info and energy
                            (its position 1, 2, …, its device id or its name)
  --scheme S                auto (default), ${SCHEME_NAMES.join(', ')}
  --timeout S               per-request timeout in seconds, 1 to 120 (default 10; discover: 3)
  --discovery-port N        UDP port for discover (default 20002; some doorbells use 20004;
                            discover --scan: both)
  --range R                 discover --scan: 192.168.1.20, 192.168.1.10-40, 192.168.1.10-192.168.1.40
                            or 192.168.1.0/24 (/22 to /30), at most 1024 addresses
  --broadcast               discover --scan: probe the broadcast address of this host's networks
  --debug                   print stack traces of unexpected errors
  -h, --help                show this text

Exit codes: 0 ok, 1 unexpected, 2 usage, ${ERROR_KINDS.map((k, i) => `${10 + i} ${k}`).join(', ')},
130 Ctrl-C at the password prompt.
`;

/** Where the CLI writes and what environment it reads (injectable for tests). */
export interface CliIo {
  /** Receives the JSON result and `--help`. */
  stdout: (text: string) => void;
  /** Receives the one-line error. */
  stderr: (text: string) => void;
  /** Environment (`TAPO_PASSWORD`, `TAPO_USERNAME`). */
  env: NodeJS.ProcessEnv;
  /**
   * Where a password is typed when none was given: asked for (hidden, on `stderr`) only when this
   * is a terminal (`isTTY`). Absent: never asked.
   */
  stdin?: PromptInput | undefined;
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
  socket?: string;
  scan: boolean;
  broadcast: boolean;
  range?: string;
  command: string[];
}

const VALUE_OPTIONS = new Set(['host', 'username', 'password', 'kind', 'scheme', 'timeout', 'discovery-port', 'socket', 'range']);

/** Shortest and longest `--timeout`, in seconds: the range the tapo-device editor accepts. */
export const TIMEOUT_RANGE_S = { min: 1, max: 120 } as const;

/**
 * Reads `--timeout` in seconds, as the editor's timeout (fractions allowed, e.g. 2.5), and returns
 * milliseconds. A value out of range is refused, never clamped: `--timeout 10000` from a script
 * written for milliseconds must not silently wait almost three hours.
 */
function timeoutOption(value: string): number {
  const seconds = Number(value.trim());
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || seconds < TIMEOUT_RANGE_S.min || seconds > TIMEOUT_RANGE_S.max) {
    throw new UsageError(`--timeout must be a number of seconds from ${TIMEOUT_RANGE_S.min} to ${TIMEOUT_RANGE_S.max}, not "${value}"`);
  }
  return Math.round(seconds * 1000);
}

/**
 * Reads `--host`: `HOST[:PORT]`, or the same written as a URL as a browser shows it
 * (`http://192.168.1.50`, `https://192.168.1.60:443/`): the `http://` or `https://` and one
 * trailing slash are dropped, the port is kept. Anything else a URL can hold (a path, a query, a
 * fragment, a user name, another scheme) is refused with the `--host` to give instead, the user
 * name left out of it (it may hold a password). Exported for tests.
 */
export function hostOption(value: string): string {
  const text = value.trim();
  const scheme = /^([a-z][a-z\d+.-]*):\/\//i.exec(text);
  let rest = scheme ? text.slice(scheme[0].length) : text;
  // Only the address: after a user name, before a path, query or fragment.
  const address = (rest.slice(rest.lastIndexOf('@') + 1).split(/[/?#\\]/)[0] ?? '').trim();
  const name = scheme?.[1]?.toLowerCase();
  if (scheme && address === '') throw new UsageError(`--host ${name}:// names no device: give its address, e.g. --host 192.168.1.50`);
  if (name !== undefined && name !== 'http' && name !== 'https') {
    // The port of another protocol (RTSP 554, ONVIF 2020 …) is not the device's: leave it out.
    const hostOnly = /^\[[^\]]*\]/.exec(address)?.[0] ?? (address.split(':').length === 2 ? address.split(':')[0] : address);
    throw new UsageError(`--host takes HOST[:PORT], not a ${name}:// URL; give the device's address, e.g. --host ${hostOnly}`);
  }
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  if (/[/?#@\\]/.test(rest)) {
    throw new UsageError(`--host takes HOST[:PORT], not a URL with a path, query or user name; give only the address, e.g. --host ${address}`);
  }
  return rest;
}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { help: false, debug: false, scheme: 'auto', scan: false, broadcast: false, command: [] };
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
    if (arg === '--scan' || arg === '--broadcast') {
      out[arg === '--scan' ? 'scan' : 'broadcast'] = true;
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
        out.host = hostOption(value);
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
      case 'timeout':
        out.timeoutMs = timeoutOption(value);
        break;
      case 'discovery-port': {
        const port = Number(value);
        if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new UsageError('--discovery-port must be a port number from 1 to 65535');
        out.discoveryPort = port;
        break;
      }
      case 'range':
        out.range = value;
        break;
      case 'socket':
        if (value.trim() === '') throw new UsageError('--socket needs a socket position, id or name');
        out.socket = value.trim();
        break;
    }
  }
  return out;
}

function parseJsonArg(text: string, what: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new TapoError('Input', 'cliNotJson', { params: { what }, hint: 'cliQuoteJson', sent: false });
  }
}

function asParams(value: JsonValue, what: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TapoError('Input', 'cliNotObject', { params: { what }, hint: 'cliPassObject', sent: false });
  }
  return value;
}

/** The plug verbs; `--socket` applies to these. */
const PLUG_VERBS = ['info', 'on', 'off', 'toggle', 'energy'] as const;
type PlugVerb = (typeof PLUG_VERBS)[number];

/** Every command, for the "unknown command" message. */
const COMMAND_LIST = 'discover, probe, info, on, off, toggle, energy, camera get, camera do, call, firmware check, firmware update, onboard scan|join (as the first argument)';

/** What to do, fully checked before any credential is looked at or anything is sent. */
type Plan =
  | { verb: 'discover' }
  | { verb: 'probe' }
  | { verb: PlugVerb; socket?: string }
  | { verb: 'camera info' }
  | { verb: 'camera get'; names: CameraSetting[]; all: boolean }
  | { verb: 'camera do'; actions: CameraAction[] }
  | { verb: 'call'; method: string; params?: JsonObject }
  | { verb: 'firmware check' }
  | { verb: 'firmware update' };

function isPlugVerb(verb: string): verb is PlugVerb {
  return (PLUG_VERBS as readonly string[]).includes(verb);
}

/**
 * Reads the command line's command into a {@link Plan}, and the device kind it needs. Unknown
 * commands and bad arguments throw here (a UsageError, or an Input TapoError for bad JSON or
 * setting names), before the password is looked for.
 */
function planCommand(parsed: ParsedArgs): { plan: Plan; kind: DeviceKind } {
  const [verb = '', ...rest] = parsed.command;
  const socketApplies = isPlugVerb(verb);
  if (parsed.socket !== undefined && !socketApplies) {
    throw new UsageError(`--socket applies to ${PLUG_VERBS.join(', ')}, not to ${verb}`);
  }
  if (parsed.discoveryPort !== undefined && verb !== 'discover') throw new UsageError('--discovery-port only applies to discover');
  if (parsed.scan && verb !== 'discover') throw new UsageError('--scan only applies to discover');
  if (!parsed.scan && (parsed.range !== undefined || parsed.broadcast)) throw new UsageError('--range and --broadcast need discover --scan');
  if (parsed.scan && parsed.range === undefined && !parsed.broadcast) throw new UsageError('discover --scan needs --range R, --broadcast or both');
  if (parsed.scan && parsed.host !== undefined) throw new UsageError('discover --scan takes --range or --broadcast, not --host');
  if (verb === 'camera') {
    if (parsed.kind === 'plug') throw new UsageError('camera commands need --kind camera (or no --kind)');
    const [sub, ...args] = rest;
    if (sub === 'get') {
      if (args.length === 0) throw new UsageError('camera get needs at least one setting name');
      return { plan: { verb: 'camera get', names: parseCameraReadNames(args), all: asksForAll(args) }, kind: 'camera' };
    }
    if (sub === 'do') {
      if (args.length !== 1) throw new UsageError('camera do needs exactly one JSON argument');
      return { plan: { verb: 'camera do', actions: parseCameraActions(parseJsonArg(args[0] ?? '', 'the action')) }, kind: 'camera' };
    }
    throw new UsageError('camera needs "get NAME..." or "do JSON"');
  }
  const kind: DeviceKind = parsed.kind ?? 'plug';
  if (verb === 'firmware') {
    const [sub, ...args] = rest;
    if ((sub !== 'check' && sub !== 'update') || args.length > 0) throw new UsageError('firmware needs "check" or "update" and nothing after it');
    return { plan: { verb: sub === 'check' ? 'firmware check' : 'firmware update' }, kind };
  }
  if (verb === 'call') {
    const [method, json, ...extra] = rest;
    if (!method || extra.length > 0) throw new UsageError('call needs METHOD and at most one JSON argument');
    const plan: Plan = { verb: 'call', method };
    if (json !== undefined) plan.params = asParams(parseJsonArg(json, 'the params'), 'the params');
    return { plan, kind };
  }
  if (verb !== 'discover' && verb !== 'probe' && !isPlugVerb(verb)) {
    throw new UsageError(`unknown command "${verb}"; the commands are ${COMMAND_LIST}`);
  }
  if (rest.length > 0) throw new UsageError(`${verb} takes no arguments`);
  if (verb === 'discover' || verb === 'probe') return { plan: { verb }, kind };
  if (kind === 'camera') {
    if (verb === 'info' && parsed.socket === undefined) return { plan: { verb: 'camera info' }, kind };
    if (verb === 'info') throw new UsageError('--socket applies to plugs (power strips), not cameras');
    throw new UsageError(`${verb} is a plug command; cameras know info, camera get, camera do and call`);
  }
  const plan: Plan = { verb };
  if (parsed.socket !== undefined) plan.socket = parsed.socket;
  return { plan, kind };
}

/** Runs a plug verb, on one socket of a strip when `socket` is given. */
async function runPlugVerb(connection: DeviceConnection, verb: PlugVerb, socket: string | undefined): Promise<unknown> {
  // Opening the device learns whether it is a strip, so a strip is refused before anything is switched.
  const device = await openSmart(connection);
  const options = { notStrip: 'cliNotStrip', notStripHint: 'cliLeaveOutSocket', stripHint: 'cliStripSocket' } as const;
  if (verb === 'info') return (await addressed(device, socket, false, options)).getInfo();
  if (verb === 'energy') {
    const target = await meteredAt(device, socket, options);
    try {
      return await target.getEnergyUsage();
    } catch (e) {
      if (socket === undefined || !(e instanceof TapoError) || e.kind !== 'Unsupported') throw e;
      throw new TapoError('Unsupported', 'cliSocketNoMeter', { params: { socket }, hint: 'cliSocketMeter', sent: e.sent, cause: e });
    }
  }
  // A switch prints what info prints: the plug (or socket) read back after the change.
  const plug = await addressed(device, socket, true, options);
  switch (verb) {
    case 'on':
      return plug.turnOn();
    case 'off':
      return plug.turnOff();
    case 'toggle':
      return plug.toggle();
  }
}

/** Runs the plan on an open connection and returns what to print. */
async function runPlan(connection: DeviceConnection, kind: DeviceKind, plan: Plan): Promise<unknown> {
  switch (plan.verb) {
    case 'camera info':
      return (await new Camera(connection).read(['deviceInfo'])).deviceInfo;
    case 'camera get':
      return plan.all ? new Camera(connection).readAvailable(plan.names) : new Camera(connection).read(plan.names);
    case 'camera do':
      return new Camera(connection).apply(plan.actions);
    case 'call':
      if (kind === 'camera') return new Camera(connection).callMethod(plan.method, plan.params ?? {});
      return new SmartDevice(connection).call(plan.method, plan.params);
    case 'discover':
    case 'probe':
    case 'firmware check':
    case 'firmware update':
      throw new Error(`${plan.verb} does not run on an open connection`);
    default:
      return runPlugVerb(connection, plan.verb, plan.socket);
  }
}

/**
 * Runs the plan on a connection of its own and closes it. When the device never answered as the
 * configured kind, a failure goes through the probe's credential-free check of the other kind
 * ({@link explainProbeFailure}: a plug's login sent to a camera, or a camera's to a plug, ends in a
 * Transport failure), which turns it into a {@link WrongKindError} when the other kind answers.
 */
async function runOnConnection(options: ConnectionOptions, kind: DeviceKind, plan: Plan): Promise<unknown> {
  const connection = new DeviceConnection(options);
  let answered = false;
  connection.on('state', (event: ConnectionStateEvent) => {
    if (event.state === 'connected') answered = true;
  });
  let failure: unknown;
  try {
    return await runPlan(connection, kind, plan);
  } catch (e) {
    failure = e;
  } finally {
    await connection.close();
  }
  // A device that logged in as the configured kind is of that kind, whatever failed after.
  throw answered ? failure : await explainProbeFailure(options, failure);
}

/** The progress line of a firmware update (stderr; stdout keeps the final JSON). */
export function firmwareLine(p: FirmwareProgress): string {
  switch (p.phase) {
    case 'downloading':
      return `firmware: downloading ${p.percent ?? 0} %`;
    case 'installing':
      return 'firmware: installing';
    case 'rebooting':
      return 'firmware: rebooting, waiting for the device to come back';
    case 'back':
      return `firmware: back on ${p.version ?? ''}`;
  }
}

/**
 * `firmware check` / `firmware update` through the device's one owner (src/connection/device.ts),
 * which detects the scheme again when the device comes back from its update.
 */
async function runFirmware(options: ConnectionOptions, plan: { verb: 'firmware check' | 'firmware update' }, io: CliIo): Promise<unknown> {
  const device = new TapoDevice(options);
  try {
    if (plan.verb === 'firmware check') return await device.checkFirmware();
    return await device.updateFirmware({ onProgress: (p) => io.stderr(`${firmwareLine(p)}\n`) });
  } finally {
    await device.end();
  }
}

/** The command as the user typed it, for the wrong-kind hint. */
function commandName(plan: Plan): string {
  return plan.verb === 'camera info' ? 'info' : plan.verb;
}

/**
 * The wrong-kind refusal in the command line's words: what the device is, and what to type
 * instead for this command (Input, so exit 17; nothing reached the device as a command).
 */
function wrongKind(err: WrongKindError, plan: Plan): TapoError {
  const command = commandName(plan);
  let hint: HintKey;
  if (err.looksLike === 'camera') hint = ['on', 'off', 'toggle', 'energy'].includes(command) ? 'cliPlugCommand' : 'cliAddKindCamera';
  else hint = plan.verb === 'camera get' || plan.verb === 'camera do' ? 'cliCameraCommand' : 'cliDropKindCamera';
  return new TapoError('Input', 'cliWrongKind', {
    params: { actual: err.looksLike, configured: err.configured, where: err.where, command },
    hint,
    sent: false,
    cause: err,
  });
}

/**
 * `discover --scan`: the range's addresses and/or the broadcast address of each of this host's
 * networks, on --discovery-port or both discovery ports. A host with no network to broadcast on
 * and no range is a usage error, not an empty result.
 */
async function scan(parsed: ParsedArgs): Promise<unknown> {
  const options: ScanOptions = {};
  if (parsed.range !== undefined) options.addresses = parseAddressRange(parsed.range);
  if (parsed.broadcast) {
    const targets = broadcastTargets();
    if (targets.length === 0 && parsed.range === undefined) throw new UsageError('--broadcast: this host has no IPv4 network with a broadcast address; give --range');
    options.broadcast = targets.map((t) => t.broadcast);
  }
  if (parsed.discoveryPort !== undefined) options.ports = [parsed.discoveryPort];
  if (parsed.timeoutMs !== undefined) options.timeoutMs = parsed.timeoutMs;
  return scanNetwork(options);
}

/** The refusal of a plug command without a user name. */
const NO_USERNAME = '--username (the TP-Link account e-mail) is required for plugs';

/** One line, no secrets: the message, then the hint. */
function errorLine(error: TapoError, password: string | undefined): string {
  const message = error.message.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
  const hint = error.hint ? ` ${error.hint.replace(/\s+/g, ' ').trim()}` : '';
  return redactPassword(`tapo: ${message}.${hint}`, password);
}

/** Characters that continue a token (a word, a hex or numeric id): the password inside one is not the password. */
const TOKEN_CHAR = /[\p{L}\p{N}_-]/u;
/** What may stand beside a word of prose: white space and sentence punctuation. */
const PROSE_EDGE = /[\s.,;:!?()]/u;

/**
 * Removes the password from a line about to be printed on stderr, wherever it stands as a whole
 * token: `--password 00000000` leaves a device id of forty zeros alone, but `"00000000"`,
 * `pass=00000000` or `:00000000@` are masked. The JSON-escaped and URL-encoded forms count too.
 *
 * A password made of letters only that stands as a word of prose (white space or sentence
 * punctuation on both sides) is left alone: that is our own text ("wrong e-mail or password" with
 * the password `wrong`), and masking it would both garble the line and give the password away.
 * Nothing in this package writes a credential into a message; a leak from below would stand in a
 * value (quoted, after `=` or `:`, in a URL), which stays masked.
 *
 * Exported for tests.
 */
export function redactPassword(text: string, password: string | undefined): string {
  if (!password) return text;
  let out = text;
  for (const form of secretForms(password)) {
    const wordLike = /^\p{L}+$/u.test(form);
    let result = '';
    let from = 0;
    for (let at = out.indexOf(form); at !== -1; at = out.indexOf(form, at + 1)) {
      if (at < from) continue;
      const before = at > 0 ? out[at - 1] : undefined;
      const after = out[at + form.length];
      const whole = (before === undefined || !TOKEN_CHAR.test(before)) && (after === undefined || !TOKEN_CHAR.test(after));
      if (!whole) continue;
      const prose = wordLike && (before === undefined || PROSE_EDGE.test(before)) && (after === undefined || PROSE_EDGE.test(after));
      if (prose) continue;
      result += `${out.slice(from, at)}***`;
      from = at + form.length;
    }
    out = result + out.slice(from);
  }
  return out;
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and resolves with the exit code.
 * Never throws; never prints the password.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let parsed: ParsedArgs | undefined;
  let password: string | undefined;
  if (argv[0] === 'onboard') return onboardMain(argv.slice(1), io);
  try {
    parsed = parseArgs(argv);
    // Known from here on, so that no message below can print it.
    password = parsed.password ?? io.env['TAPO_PASSWORD'];
    if (parsed.help) {
      io.stdout(USAGE);
      return 0;
    }
    if (parsed.command.length === 0) throw new UsageError('no command given');
    // The whole command line is checked before credentials are looked for.
    const { plan, kind } = planCommand(parsed);
    if (parsed.scan) {
      io.stdout(`${JSON.stringify(await scan(parsed), null, 2)}\n`);
      return 0;
    }
    if (!parsed.host) throw new UsageError('--host is required');
    if (plan.verb === 'discover') {
      const discoverOptions: DiscoverOptions = {};
      if (parsed.discoveryPort !== undefined) discoverOptions.port = parsed.discoveryPort;
      if (parsed.timeoutMs !== undefined) discoverOptions.timeoutMs = parsed.timeoutMs;
      const { scheme, ...found } = await discover(parseHostPort(parsed.host).host, discoverOptions);
      // scheme null: the result does not say, so a login probe has to choose (schemeReason says why).
      io.stdout(`${JSON.stringify({ scheme: scheme ?? null, ...found }, null, 2)}\n`);
      return 0;
    }
    const username = parsed.username ?? io.env['TAPO_USERNAME'] ?? (kind === 'camera' ? 'admin' : undefined);
    if (!password && io.stdin?.isTTY) {
      // Asked for last, once nothing else on the command line can be refused.
      if (!username) throw new UsageError(NO_USERNAME);
      const answer = await readHiddenLine(io.stdin, io.stderr, 'Password: ');
      if (answer.cancelled) return EXIT_INTERRUPTED;
      password = answer.text;
    }
    if (!password) throw new UsageError('no password: pass --password or set TAPO_PASSWORD');
    if (!username) throw new UsageError(NO_USERNAME);
    const options: ConnectionOptions = {
      host: parsed.host,
      kind,
      scheme: parsed.scheme,
      credentials: { username, password },
    };
    if (parsed.timeoutMs !== undefined) options.timeoutMs = parsed.timeoutMs;

    let result: unknown;
    try {
      if (plan.verb === 'probe') result = await probeDevice(options);
      else if (plan.verb === 'firmware check' || plan.verb === 'firmware update') result = await runFirmware(options, plan, io);
      else result = await runOnConnection(options, kind, plan);
    } catch (e) {
      throw e instanceof WrongKindError ? wrongKind(e, plan) : e;
    }
    // Device data is printed as the device sent it: the device never knows the password.
    io.stdout(`${JSON.stringify(result ?? null, null, 2)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`tapo: ${redactPassword(e.message, password)}. Run tapo --help for usage.\n`);
      return EXIT_USAGE;
    }
    if (e instanceof TapoError) {
      io.stderr(`${errorLine(e, password)}\n`);
      return EXIT_CODES[e.kind];
    }
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`tapo: unexpected error: ${redactPassword(message.replace(/\s+/g, ' '), password)}\n`);
    if (parsed?.debug && e instanceof Error && e.stack) io.stderr(`${redactPassword(e.stack, password)}\n`);
    return EXIT_UNEXPECTED;
  }
}

/** `tapo onboard …` (src/cli/onboard.ts): same output, exit codes and redaction as the other commands. */
async function onboardMain(argv: readonly string[], io: CliIo): Promise<number> {
  const secrets: string[] = [];
  const redact = (text: string): string => secrets.reduce((out, secret) => redactPassword(out, secret), text);
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout(ONBOARD_USAGE);
      return 0;
    }
    const result = await runOnboard(argv, io, hostOption, secrets);
    if (result === 'cancelled') return EXIT_INTERRUPTED;
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof OnboardUsageError || e instanceof UsageError) {
      io.stderr(`tapo: ${redact(e.message)}. Run tapo onboard --help for usage.\n`);
      return EXIT_USAGE;
    }
    if (e instanceof TapoError) {
      io.stderr(`${redact(errorLine(e, undefined))}\n`);
      return EXIT_CODES[e.kind];
    }
    io.stderr(`tapo: unexpected error: ${redact(e instanceof Error ? e.message : String(e))}\n`);
    return EXIT_UNEXPECTED;
  }
}

function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    // Looked at only when a password is missing; a pipe or file is never read.
    get stdin(): PromptInput | undefined {
      return isatty(0) ? process.stdin : undefined;
    },
  };
}

/** Entry point for bin/tapo.js: runs {@link main} on `process.argv` and sets the exit code. */
export function run(): void {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) run();
