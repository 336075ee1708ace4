/**
 * `tapo-device`: the config node that owns ONE DeviceConnection per device (as the MQTT broker node
 * owns its client). Action nodes register with it; the connection is created on first use, closed
 * when the last user deregisters or the node closes, and its state is fanned out to every user's
 * status. It also serves the editor's "Test connection" button.
 */
import { DeviceConnection, probeDevice } from '../connection';
import type { ConnectionOptions, ConnectionStateEvent } from '../connection';
import { Camera, Plug } from '../devices';
import { SCHEME_NAMES } from '../protocol/types';
import type { Credentials, DeviceKind, SchemeName } from '../protocol/types';
import { errorFacts, isPlainObject, redact, stateStatus, toNodeError } from './shared';
import type { DeviceConfigNode, Translate } from './shared';
import type { AdminRequest, AdminResponse, NodeAPI, NodeDef, NodeInstance, NodeStatus } from './types';

/** The config node's properties as saved in the flow (credentials are stored apart). */
export interface TapoDeviceDef extends NodeDef {
  host: string;
  kind: DeviceKind;
  scheme?: SchemeName | 'auto';
  timeout?: number | string;
}

/** The value the editor sends for a password field the user did not touch. */
const UNCHANGED_PASSWORD = '__PWRD__';

/** How long `close` waits for the connection to release its sockets before calling `done`. */
const CLOSE_GRACE_MS = 4000;

/** Reads the request timeout in ms from the config (seconds in the editor); undefined = default. */
export function timeoutMs(value: unknown): number | undefined {
  const seconds = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return undefined;
  return Math.round(seconds * 1000);
}

/** Normalises a configured scheme; anything unknown means auto-detection. */
export function schemeOption(value: unknown): SchemeName | 'auto' {
  return typeof value === 'string' && (SCHEME_NAMES as readonly string[]).includes(value)
    ? (value as SchemeName)
    : 'auto';
}

/** The shared session of one configured device. */
class DeviceHub {
  private readonly users = new Set<NodeInstance>();
  private connection: DeviceConnection | undefined;
  private plugVerbs: Plug | undefined;
  private cameraVerbs: Camera | undefined;
  private closing: Promise<void> = Promise.resolve();
  private queue: Promise<unknown> = Promise.resolve();
  private status: NodeStatus;
  private readonly onState = (event: ConnectionStateEvent): void => {
    this.status = stateStatus(this.t, event.state, event.scheme ?? this.connection?.scheme, event.error);
    for (const user of this.users) user.status(this.status);
  };

  constructor(
    private readonly options: ConnectionOptions,
    private readonly t: Translate,
  ) {
    this.status = stateStatus(t, 'idle');
  }

  register(user: NodeInstance): void {
    this.users.add(user);
    user.status(this.status);
  }

  deregister(user: NodeInstance): Promise<void> {
    this.users.delete(user);
    return this.users.size === 0 ? this.close() : Promise.resolve();
  }

  currentStatus(): NodeStatus {
    return this.status;
  }

  /** The connection, created on first use (nothing touches the network before a request). */
  private open(): DeviceConnection {
    if (!this.connection) {
      this.connection = new DeviceConnection(this.options);
      this.connection.on('state', this.onState);
    }
    return this.connection;
  }

  plug(): Plug {
    const connection = this.open();
    if (!this.plugVerbs) this.plugVerbs = new Plug(connection);
    return this.plugVerbs;
  }

  camera(): Camera {
    const connection = this.open();
    if (!this.cameraVerbs) this.cameraVerbs = new Camera(connection);
    return this.cameraVerbs;
  }

  /**
   * Serialises whole operations (a toggle is a read then a set) so that concurrent messages
   * cannot interleave their requests; also keeps outputs in arrival order.
   */
  exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Closes the connection (aborting what is in flight); a later request opens a new one. */
  close(): Promise<void> {
    const connection = this.connection;
    if (connection) {
      this.connection = undefined;
      this.plugVerbs = undefined;
      this.cameraVerbs = undefined;
      connection.removeListener('state', this.onState);
      this.status = stateStatus(this.t, 'idle');
      this.closing = connection.close().catch(() => undefined);
    }
    return this.closing;
  }
}

/** Builds the credentials from the node's stored credentials. */
function credentialsOf(stored: Record<string, string | undefined> | undefined): Credentials {
  return { username: stored?.username ?? '', password: stored?.password ?? '' };
}

/** Makes a runtime node into a {@link DeviceConfigNode}. */
function setupDevice(node: NodeInstance, def: TapoDeviceDef, t: Translate): void {
  const credentials = credentialsOf(node.credentials);
  const kind: DeviceKind = def.kind === 'camera' ? 'camera' : 'plug';
  const host = (def.host ?? '').trim();
  const options: ConnectionOptions = { host, kind, scheme: schemeOption(def.scheme), credentials };
  const ms = timeoutMs(def.timeout);
  if (ms !== undefined) options.timeoutMs = ms;
  const hub = new DeviceHub(options, t);

  const members: Omit<DeviceConfigNode, keyof NodeInstance> = {
    kind,
    label: def.name || host,
    translate: t,
    register: (user) => hub.register(user),
    deregister: (user) => hub.deregister(user),
    plug: () => hub.plug(),
    camera: () => hub.camera(),
    exclusive: (operation) => hub.exclusive(operation),
    currentStatus: () => hub.currentStatus(),
    secrets: () => [credentials.password],
  };
  Object.assign(node, members);

  node.on('close', (_removed: boolean, done: () => void) => {
    const timer = setTimeout(done, CLOSE_GRACE_MS);
    hub.close().then(() => {
      clearTimeout(timer);
      done();
    });
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
}

/** Reads the editor's (possibly unsaved) settings; the stored password when the field is unchanged. */
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
  const ms = timeoutMs(body.timeout);
  if (ms !== undefined) options.timeoutMs = ms;
  return options;
}

/** Logs in with the given settings, identifies the device, and describes the outcome. */
export async function testConnection(options: ConnectionOptions, t: Translate): Promise<TestResult> {
  try {
    const probe = await probeDevice(options);
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

/** Registers `tapo-device` and its admin endpoint. */
export default function register(RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);

  function TapoDevice(this: NodeInstance, def: TapoDeviceDef): void {
    RED.nodes.createNode(this, def);
    setupDevice(this, def, t);
  }

  RED.nodes.registerType('tapo-device', TapoDevice, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });

  RED.httpAdmin.post(
    '/tapo-device/:id/test',
    RED.auth.needsPermission('tapo-device.write'),
    (req: AdminRequest, res: AdminResponse) => {
      const id = req.params.id ?? '';
      const stored = RED.nodes.getCredentials(id) ?? RED.nodes.getNode(id)?.credentials;
      const options = testOptions(req.body, stored);
      if (!options) {
        res.status(400).json({ ok: false, kind: 'Input', message: t('tapo-device.test.badRequest') });
        return;
      }
      testConnection(options, t).then(
        (result) => res.json(result),
        () => res.status(500).json({ ok: false, kind: 'Internal', message: t('tapo-device.errors.Internal') }),
      );
    },
  );
}
