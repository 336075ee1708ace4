/**
 * `tapo-device`: the config node, the Node-RED face of ONE {@link TapoDevice} (src/connection), as
 * the MQTT broker node is for its client. It keeps the credentials, paints the device's state on
 * every user's status, and serves the admin endpoint; the device owner does everything else (lazy
 * connection, one queue of whole operations, the facts learnt, closing with the last user).
 * Action nodes register with it. It also serves the editor's "Test connection" button, which goes through that same
 * connection when the dialog holds the deployed settings (so it respects lockouts and hold-offs
 * and never logs in beside the live session).
 */
import { TapoDevice } from '../connection/device';
import type { MovedEvent } from '../connection/device';
import type { ConnectionOptions, ConnectionStateEvent } from '../connection';
import { WrongKindError, explainProbeFailure, probeDevice } from '../connection/probe';
import { broadcastTargets, parseAddressRange, scanNetwork } from '../protocol/discovery-scan';
import type { ScanOptions, ScannedDevice } from '../protocol/discovery-scan';
import { TapoError } from '../protocol/errors';
import { SCHEME_NAMES } from '../protocol/types';
import type { Credentials, DeviceKind, SchemeName } from '../protocol/types';
import { registerOnboardingEndpoint } from './onboarding';
import { errorFacts, errorStatus, isPlainObject, redact, stateStatus, toNodeError } from './shared';
import type { DeviceConfigNode, Translate } from './shared';
import type { AdminRequest, AdminResponse, NodeAPI, NodeDef, NodeInstance, NodeStatus } from './types';

/** The config node's properties as saved in the flow (credentials are stored apart). */
export interface TapoDeviceDef extends NodeDef {
  host: string;
  kind: DeviceKind;
  scheme?: SchemeName | 'auto';
  timeout?: number | string;
  /** Cameras: the RTSP port (blank = 554). */
  rtspPort?: number | string;
  /**
   * Id of another `tapo-device` of the same kind whose e-mail and password this one uses (blank =
   * its own). Only the reference is saved; the credentials stay in that node's credentials.
   */
  account?: string;
}

/** The value the editor sends for a password field the user did not touch. */
const UNCHANGED_PASSWORD = '__PWRD__';

/** How long `close` waits for the connection to release its sockets before calling `done`. */
const CLOSE_GRACE_MS = 4000;

/** Shortest and longest request timeout the config accepts, in seconds. */
export const TIMEOUT_RANGE_S = { min: 1, max: 120 } as const;

/**
 * Reads the request timeout in ms from the config (seconds in the editor); undefined for a blank,
 * non-numeric or non-positive value. Lenient: the node itself uses {@link configuredTimeoutMs},
 * which refuses values out of range instead of ignoring them.
 */
export function timeoutMs(value: unknown): number | undefined {
  const seconds = secondsOf(value);
  return seconds !== undefined && seconds > 0 ? Math.round(seconds * 1000) : undefined;
}

/** A configured number of seconds (a number, or text as the editor stores it); undefined when not finite. */
function secondsOf(value: unknown): number | undefined {
  const seconds = typeof value === 'string' ? Number(value.trim()) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? seconds : undefined;
}

/**
 * The configured request timeout in ms: undefined when blank (the connection's default, 10 s);
 * a number of seconds from {@link TIMEOUT_RANGE_S} min to max otherwise, or an `Input` error that
 * says so (never clamped: a typo must not silently become another timeout).
 */
export function configuredTimeoutMs(value: unknown): number | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  const seconds = secondsOf(value);
  if (seconds !== undefined && seconds >= TIMEOUT_RANGE_S.min && seconds <= TIMEOUT_RANGE_S.max) return Math.round(seconds * 1000);
  const shown = typeof value === 'string' || typeof value === 'number' ? String(value).slice(0, 24) : typeof value;
  const range = { min: TIMEOUT_RANGE_S.min, max: TIMEOUT_RANGE_S.max };
  throw new TapoError('Input', 'badTimeout', { params: { ...range, value: shown }, hint: 'badTimeoutHint', sent: false });
}

/**
 * The configured RTSP port: undefined when blank (554); an `Input` error for anything but a whole
 * number from 1 to 65535.
 */
export function configuredRtspPort(value: unknown): number | undefined {
  if (value === undefined || value === null || String(value).trim() === '') return undefined;
  const port = Number(String(value).trim());
  if (Number.isInteger(port) && port >= 1 && port <= 65535) return port;
  const shown = typeof value === 'string' || typeof value === 'number' ? String(value).slice(0, 24) : typeof value;
  throw new TapoError('Input', 'badRtspPort', { params: { value: shown }, sent: false });
}

/** The red status of an invalid timeout, shown by every user of the config node. */
function badTimeoutStatus(t: Translate): NodeStatus {
  return {
    fill: 'red',
    shape: 'ring',
    text: t('tapo-device.status.badTimeout', { min: TIMEOUT_RANGE_S.min, max: TIMEOUT_RANGE_S.max }),
  };
}

/** Normalises a configured scheme; anything unknown means auto-detection. */
export function schemeOption(value: unknown): SchemeName | 'auto' {
  return typeof value === 'string' && (SCHEME_NAMES as readonly string[]).includes(value)
    ? (value as SchemeName)
    : 'auto';
}

/** The deployed `tapo-device` nodes' device owners, for the editor's "Test connection". */
const owners = new WeakMap<NodeInstance, TapoDevice<NodeInstance>>();

/** The `account` each deployed `tapo-device` uses ('' = its own), to refuse chains. */
const accounts = new WeakMap<NodeInstance, string>();

/**
 * The credentials of the `tapo-device` `id` for a device of `kind`: an `Input` error when that
 * node is missing, of another kind, or itself uses another node's account. Node-RED creates a
 * config node after the config nodes its properties name, so a deployed account node exists here.
 */
export function accountCredentials(
  id: string,
  kind: DeviceKind,
  getNode: (id: string) => NodeInstance | null,
): Credentials {
  const other = getNode(id);
  const fail = (reason: 'accountMissing' | 'accountWrongKind' | 'accountChained', params: Record<string, string> = {}): TapoError =>
    new TapoError('Input', reason, { params: { id, ...params }, hint: 'accountPickAnother', sent: false });
  if (!other || other.type !== 'tapo-device') throw fail('accountMissing');
  const otherKind = (other as Partial<DeviceConfigNode>).kind;
  if (otherKind !== kind) throw fail('accountWrongKind', { actual: otherKind ?? '?', configured: kind });
  if ((accounts.get(other) ?? '') !== '') throw fail('accountChained');
  return credentialsOf(other.credentials);
}

/** Builds the credentials from the node's stored credentials. */
function credentialsOf(stored: Record<string, string | undefined> | undefined): Credentials {
  return { username: stored?.username ?? '', password: stored?.password ?? '' };
}

/**
 * Makes a runtime node into a {@link DeviceConfigNode}: the Node-RED face of one {@link TapoDevice}
 * (credentials, status painting, the admin endpoint). Every user node registers with the device;
 * its state changes paint every user's status.
 */
function setupDevice(node: NodeInstance, def: TapoDeviceDef, t: Translate, getNode: (id: string) => NodeInstance | null): void {
  const kind: DeviceKind = def.kind === 'camera' ? 'camera' : 'plug';
  const host = (def.host ?? '').trim();
  const account = typeof def.account === 'string' ? def.account.trim() : '';
  accounts.set(node, account);
  let credentials = credentialsOf(node.credentials);
  let accountError: TapoError | undefined;
  if (account !== '') {
    try {
      credentials = accountCredentials(account, kind, getNode);
    } catch (err: unknown) {
      if (!(err instanceof TapoError)) throw err;
      accountError = err;
    }
  }
  const options: ConnectionOptions = { host, kind, scheme: schemeOption(def.scheme), credentials };
  const cameraUser = node.credentials?.cameraUsername?.trim() ?? '';
  if (kind === 'camera' && cameraUser !== '') options.cameraAccount = { username: cameraUser, password: node.credentials?.cameraPassword ?? '' };
  let invalid: { error: TapoError; status: NodeStatus } | undefined;
  if (accountError) {
    invalid = { error: accountError, status: errorStatus(t, accountError) };
    node.warn(toNodeError(t, accountError).message);
  } else if (host === '') {
    // An example imported as shipped, or a node not yet filled in: nothing to contact, and no warning.
    invalid = {
      error: new TapoError('Input', 'hostNotSet', { hint: 'setHost', sent: false }),
      status: { fill: 'yellow', shape: 'ring', text: t('tapo-device.status.noHost') },
    };
  }
  try {
    const ms = configuredTimeoutMs(def.timeout);
    if (ms !== undefined) options.timeoutMs = ms;
  } catch (err: unknown) {
    if (!(err instanceof TapoError)) throw err;
    invalid ??= { error: err, status: badTimeoutStatus(t) };
    node.warn(toNodeError(t, err).message);
  }
  if (kind === 'camera') {
    try {
      const port = configuredRtspPort(def.rtspPort);
      if (port !== undefined) options.rtspPort = port;
    } catch (err: unknown) {
      if (!(err instanceof TapoError)) throw err;
      invalid ??= { error: err, status: { fill: 'red', shape: 'ring', text: t('tapo-device.status.badRtspPort') } };
      node.warn(toNodeError(t, err).message);
    }
  }
  const device = new TapoDevice<NodeInstance>(options, invalid?.error);
  let status: NodeStatus = invalid?.status ?? stateStatus(t, 'idle');
  /** The users that show the device's state (the event node paints its own). */
  const painted = new Set<NodeInstance>();
  const paint = (next: NodeStatus): void => {
    status = next;
    for (const user of device.users) if (painted.has(user)) user.status(status);
  };
  device.on('state', (event: ConnectionStateEvent) => {
    const moved = device.movedTo;
    // While the runtime follows a device that left the configured host, "connected" says where it is.
    paint(
      event.state === 'connected' && moved !== undefined
        ? { fill: 'green', shape: 'dot', text: t('tapo-device.status.moved', { host: moved }) }
        : stateStatus(t, event.state, event.scheme, event.error),
    );
  });
  // The configured host is the user's: it is not rewritten; the status and one log line say where the device went.
  device.on('moved', (event: MovedEvent) => {
    paint({ fill: 'yellow', shape: 'dot', text: t('tapo-device.status.moved', { host: event.to }) });
    node.warn(t('tapo-device.log.moved', { from: event.from, to: event.to, mac: event.mac }));
  });

  const members: Omit<DeviceConfigNode, keyof NodeInstance> = {
    kind,
    label: def.name || host,
    translate: t,
    host,
    register: (user, paint = true) => {
      device.register(user);
      if (!paint) return;
      painted.add(user);
      user.status(status);
    },
    deregister: (user) => {
      painted.delete(user);
      return device.deregister(user);
    },
    watch: (listener, watchOptions) => device.watch(listener, watchOptions),
    run: (operation) => device.run(operation),
    snapshot: (snapshotOptions) => device.snapshot(snapshotOptions),
    checkFirmware: () => device.checkFirmware(),
    updateFirmware: (firmwareOptions) => device.updateFirmware(firmwareOptions),
    streams: (withAccount) => device.streams(withAccount),
    currentStatus: () => status,
    secrets: () => [credentials.password, ...(options.cameraAccount ? [options.cameraAccount.password] : [])],
    configError: device.configError,
  };
  Object.assign(node, members);
  owners.set(node, device);

  node.on('close', (_removed: boolean, done: () => void) => {
    owners.delete(node);
    const timer = setTimeout(done, CLOSE_GRACE_MS);
    device
      .end()
      .catch(() => undefined)
      .then(() => {
        clearTimeout(timer);
        done();
      })
      .catch((err: unknown) => node.debug(redact(String(err), [credentials.password])));
  });
}

/** What the "Test connection" endpoint answers. */
export interface TestResult {
  ok: boolean;
  scheme?: SchemeName;
  model?: string;
  firmware?: string;
  hardware?: string;
  nickname?: string;
  kind?: string;
  code?: number;
  secondsLeft?: number;
  message?: string;
  /** Set when the configured kind cannot reach the device but the other kind answers. */
  looksLike?: DeviceKind;
}

/**
 * Reads the editor's (possibly unsaved) settings; the stored password when the field is unchanged.
 * Undefined without a usable host; throws an `Input` error for a timeout out of range.
 */
function testOptions(
  body: unknown,
  stored: Record<string, string | undefined> | undefined,
): ConnectionOptions | undefined {
  if (!isPlainObject(body)) return undefined;
  const host = typeof body.host === 'string' ? body.host.trim() : '';
  if (!host || /[\s/]/.test(host)) return undefined;
  const kind: DeviceKind = body.kind === 'camera' ? 'camera' : 'plug';
  const username = typeof body.username === 'string' ? body.username : (stored?.username ?? '');
  const password =
    typeof body.password === 'string' && body.password !== UNCHANGED_PASSWORD
      ? body.password
      : (stored?.password ?? '');
  const options: ConnectionOptions = {
    host,
    kind,
    scheme: schemeOption(body.scheme),
    credentials: { username, password },
  };
  const ms = configuredTimeoutMs(body.timeout);
  if (ms !== undefined) options.timeoutMs = ms;
  return options;
}

/**
 * True when the editor's settings are those of the deployed node: same host (case aside), kind,
 * scheme, user name and password. The timeout is not compared: it does not change who answers.
 */
export function sameSettings(a: ConnectionOptions, b: ConnectionOptions): boolean {
  return (
    a.host.trim().toLowerCase() === b.host.trim().toLowerCase() &&
    a.kind === b.kind &&
    schemeOption(a.scheme) === schemeOption(b.scheme) &&
    a.credentials.username === b.credentials.username &&
    a.credentials.password === b.credentials.password
  );
}

/**
 * Logs in with the given settings, identifies the device, and describes the outcome.
 *
 * When the settings are those of the deployed node (`live`), the test goes through that node's
 * own connection: a second login beside the live session would end it (cameras keep one session
 * per client), and the connection remembers a camera's lockout and the hold-off after a rejected
 * password, so repeated clicks answer that error without another login attempt. Other settings
 * get a throw-away connection ({@link probeDevice}). Either way, when nothing answers as the
 * configured kind (`Transport`), a credential-free check of the other kind may turn the answer
 * into "this looks like a camera" (or plug), with `looksLike` set.
 */
export async function testConnection(options: ConnectionOptions, t: Translate, live?: TapoDevice): Promise<TestResult> {
  try {
    // A deployed node with an invalid setting has no session to share: test the dialog's values.
    const probe =
      live && live.configError === undefined && sameSettings(live.options, options)
        ? await live.identify().catch(async (err: unknown) => {
            throw await explainProbeFailure(options, err);
          })
        : await probeDevice(options);
    return {
      ok: true,
      scheme: probe.scheme,
      model: probe.model,
      firmware: probe.firmware,
      hardware: probe.hardware,
      nickname: probe.nickname,
    };
  } catch (err: unknown) {
    const facts = errorFacts(err);
    if (err instanceof WrongKindError) {
      // The device answered as the other kind: say what to change rather than "unreachable".
      return {
        ok: false,
        kind: facts.kind,
        looksLike: err.looksLike,
        message: t(err.looksLike === 'camera' ? 'tapo-device.test.looksLikeCamera' : 'tapo-device.test.looksLikePlug'),
      };
    }
    const result: TestResult = {
      ok: false,
      kind: facts.kind,
      message: redact(toNodeError(t, err, [options.credentials.password]).message, [options.credentials.password]),
    };
    if (facts.code !== undefined) result.code = facts.code;
    if (facts.secondsLeft !== undefined) result.secondsLeft = facts.secondsLeft;
    return result;
  }
}

/** The default and the longest listening time of a scan from the editor, in seconds. */
export const SCAN_TIMEOUT_S = { default: 3, max: 30 } as const;

/**
 * Reads the editor's scan request `{ targets, timeout }`: each target is the broadcast address of
 * one of this host's networks (as `GET tapo-device/networks` lists them) or an address range
 * ({@link parseAddressRange}); `timeout` is in seconds (default 3, at most 30). Only this host's
 * own broadcast addresses are broadcast to: any other text is read as a range. Throws an `Input`
 * error that says what is wrong.
 */
export function scanOptionsOf(body: unknown, networks = broadcastTargets()): ScanOptions {
  const targets = isPlainObject(body) && Array.isArray(body.targets) ? body.targets : [];
  const broadcast: string[] = [];
  const addresses: string[] = [];
  for (const target of targets) {
    const text = typeof target === 'string' ? target.trim() : '';
    if (networks.some((n) => n.broadcast === text)) broadcast.push(text);
    else addresses.push(...parseAddressRange(text));
  }
  if (broadcast.length + addresses.length === 0) throw new TapoError('Input', 'scanNoTargets', { hint: 'scanChooseNetwork', sent: false });
  const raw = isPlainObject(body) ? body.timeout : undefined;
  const seconds = raw === undefined || raw === null || raw === '' ? SCAN_TIMEOUT_S.default : Number(raw);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > SCAN_TIMEOUT_S.max) {
    const value = typeof raw === 'string' || typeof raw === 'number' ? String(raw).slice(0, 24) : typeof raw;
    throw new TapoError('Input', 'badTimeout', { params: { min: 1, max: SCAN_TIMEOUT_S.max, value }, hint: 'badTimeoutHint', sent: false });
  }
  const options: ScanOptions = { timeoutMs: Math.round(seconds * 1000) };
  if (broadcast.length > 0) options.broadcast = broadcast;
  if (addresses.length > 0) options.addresses = addresses;
  return options;
}

/** One row of the editor's scan list: a found device, with the Third-Party Compatibility warning in words. */
export interface ScanRow extends ScannedDevice {
  /** The warning to show, when {@link ScannedDevice.thirdPartyOff} is set. */
  warning?: string;
}

/** Registers `tapo-device` and its admin endpoints. */
export default function register(RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);

  function TapoDevice(this: NodeInstance, def: TapoDeviceDef): void {
    RED.nodes.createNode(this, def);
    setupDevice(this, def, t, (id) => RED.nodes.getNode(id));
  }

  RED.nodes.registerType('tapo-device', TapoDevice, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
      cameraUsername: { type: 'text' },
      cameraPassword: { type: 'password' },
    },
  });

  registerOnboardingEndpoint(RED, t);

  RED.httpAdmin.post(
    '/tapo-device/:id/test',
    RED.auth.needsPermission('tapo-device.write'),
    (req: AdminRequest, res: AdminResponse) => {
      const id = req.params.id ?? '';
      // A device using another's account is tested with that account's stored e-mail and password.
      const account = isPlainObject(req.body) && typeof req.body.account === 'string' ? req.body.account.trim() : '';
      const from = account !== '' ? account : id;
      const stored = RED.nodes.getCredentials(from) ?? RED.nodes.getNode(from)?.credentials;
      const body = account !== '' && isPlainObject(req.body) ? { ...req.body, username: undefined, password: undefined } : req.body;
      let options: ConnectionOptions | undefined;
      try {
        options = testOptions(body, stored);
      } catch (err: unknown) {
        const message = err instanceof TapoError ? toNodeError(t, err).message : t('tapo-device.test.badRequest');
        res.status(400).json({ ok: false, kind: 'Input', message });
        return;
      }
      if (!options) {
        res.status(400).json({ ok: false, kind: 'Input', message: t('tapo-device.test.badRequest') });
        return;
      }
      const deployed = RED.nodes.getNode(id);
      const live = deployed ? owners.get(deployed) : undefined;
      testConnection(options, t, live)
        .then(
          (result) => res.json(result),
          () => res.status(500).json({ ok: false, kind: 'Internal', message: t('tapo-device.errors.Internal') }),
        )
        .catch((err: unknown) => RED.log.debug(redact(String(err), [options.credentials.password])));
    },
  );

  RED.httpAdmin.get('/tapo-device/networks', RED.auth.needsPermission('tapo-device.read'), (_req: AdminRequest, res: AdminResponse) => {
    res.json({ networks: broadcastTargets() });
  });

  RED.httpAdmin.post('/tapo-device/scan', RED.auth.needsPermission('tapo-device.write'), (req: AdminRequest, res: AdminResponse) => {
    let options: ScanOptions;
    try {
      options = scanOptionsOf(req.body);
    } catch (err: unknown) {
      const message = err instanceof TapoError ? toNodeError(t, err).message : t('tapo-device.test.badRequest');
      res.status(400).json({ ok: false, kind: 'Input', message });
      return;
    }
    scanNetwork(options)
      .then(
        (devices) => {
          const rows: ScanRow[] = devices.map((d) => (d.thirdPartyOff ? { ...d, warning: t('tapo-device.hints.scanThirdPartyOff') } : d));
          res.json({ ok: true, devices: rows });
        },
        (err: unknown) => {
          const facts = errorFacts(err);
          res.json({ ok: false, kind: facts.kind, message: toNodeError(t, err).message });
        },
      )
      .catch((err: unknown) => RED.log.debug(String(err)));
  });
}
