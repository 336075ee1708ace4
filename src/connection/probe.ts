/**
 * `probeDevice`: log in once with a throw-away connection, ask the device who it is, close.
 * Used by the CLI's `probe` command and by the config node's "test connection" button.
 *
 * When the device cannot be reached as the configured kind (a `Transport` failure: refused,
 * reset, a TLS handshake against a plain HTTP port …), the probe asks, without credentials,
 * whether the other kind answers at the same address: a camera answers an HTTPS `POST /` with
 * JSON (on the given port, else 443), a plug answers `POST /app` over HTTP with JSON (on the
 * given port, else 80). If it does, the failure becomes a {@link WrongKindError} saying so.
 * Only the probe does this; requests from nodes never do.
 */
import { identify } from '../devices/identify';
import type { DeviceIdentity } from '../devices/identify';
import { TapoError, isTapoError } from '../protocol/errors';
import { HttpClient } from '../protocol/http';
import { parseJsonObject, urlHost } from '../protocol/klap';
import type { DeviceKind, SchemeName } from '../protocol/types';
import { DeviceConnection, parseHostPort } from './connection';
import type { ConnectionOptions } from './connection';

/** What {@link probeDevice} found: the device's identity and the scheme that worked. */
export type ProbeResult = DeviceIdentity & { scheme: SchemeName };

/** The port each kind listens on when the host names none. */
export const DEFAULT_PORTS: Readonly<Record<DeviceKind, number>> = { plug: 80, camera: 443 };

/** Longest the credential-free check of the other kind may take, in ms. */
const KIND_CHECK_TIMEOUT_MS = 3_000;

/** Options of the other-kind check (tests point the default ports at the simulator). */
export interface KindCheckOptions {
  /** Ports to use when the host names none (default {@link DEFAULT_PORTS}). */
  defaultPorts?: Partial<Record<DeviceKind, number>>;
}

/** The configured kind failed to connect, but the other kind answers at that address. */
export class WrongKindError extends TapoError {
  /** The kind the device looks like. */
  readonly looksLike: DeviceKind;
  /** The kind it was asked as. */
  readonly configured: DeviceKind;
  /** The `host:port` where the other kind answered. */
  readonly where: string;

  constructor(configured: DeviceKind, looksLike: DeviceKind, where: string, cause: TapoError) {
    super('Input', 'wrongKind', { params: { looksLike, configured, where }, hint: 'setKind', sent: false, cause });
    this.looksLike = looksLike;
    this.configured = configured;
    this.where = where;
  }
}

function otherKind(kind: DeviceKind): DeviceKind {
  return kind === 'camera' ? 'plug' : 'camera';
}

/** True for a body that parses as a JSON object with a numeric `error_code`, as both kinds answer. */
function isDeviceJson(body: Buffer): boolean {
  return typeof parseJsonObject(body)?.['error_code'] === 'number';
}

/**
 * Asks, without credentials, whether a device of `kind` answers at `hostPort`: one request that
 * needs no session (a camera answers it with -40401, a plug with 1003 or -1002). Resolves with
 * the `host:port` that answered, or undefined.
 */
export async function answersAs(
  kind: DeviceKind,
  hostPort: string,
  timeoutMs: number = KIND_CHECK_TIMEOUT_MS,
  check: KindCheckOptions = {},
): Promise<string | undefined> {
  let target: { host: string; port?: number };
  try {
    target = parseHostPort(hostPort);
  } catch {
    return undefined;
  }
  const port = target.port ?? check.defaultPorts?.[kind] ?? DEFAULT_PORTS[kind];
  const host = urlHost(target.host);
  const url = kind === 'camera' ? `https://${host}:${port}/` : `http://${host}:${port}/app`;
  const body = JSON.stringify(kind === 'camera' ? { method: 'getDeviceInfo', params: {} } : { method: 'get_device_info' });
  const http = new HttpClient({ timeoutMs, keepAliveMs: 1 });
  try {
    const res = await http.request(url, { headers: { 'content-type': 'application/json' }, body, timeoutMs });
    return isDeviceJson(res.body) ? `${host}:${port}` : undefined;
  } catch {
    return undefined;
  } finally {
    await http.close();
  }
}

/**
 * Explains a failed probe: a `Transport` failure for the configured kind becomes a
 * {@link WrongKindError} when the other kind answers at that address; anything else is returned
 * as it is.
 */
export async function explainProbeFailure(
  options: ConnectionOptions,
  err: unknown,
  check: KindCheckOptions = {},
): Promise<unknown> {
  if (!isTapoError(err, 'Transport') || err instanceof WrongKindError) return err;
  const other = otherKind(options.kind);
  const timeoutMs = Math.min(options.timeoutMs ?? KIND_CHECK_TIMEOUT_MS, KIND_CHECK_TIMEOUT_MS);
  const where = await answersAs(other, options.host, timeoutMs, check);
  return where === undefined ? err : new WrongKindError(options.kind, other, where, err);
}

/**
 * Logs in (detecting the scheme unless one is forced), identifies the device and closes the
 * temporary connection, whether it succeeded or not. Rejects with the `TapoError` that stopped it,
 * or with a {@link WrongKindError} when the device turns out to be of the other kind.
 */
export async function probeDevice(options: ConnectionOptions, check: KindCheckOptions = {}): Promise<ProbeResult> {
  try {
    return await probeOnce(options);
  } catch (err: unknown) {
    throw await explainProbeFailure(options, err, check);
  }
}

async function probeOnce(options: ConnectionOptions): Promise<ProbeResult> {
  const connection = new DeviceConnection(options);
  try {
    await connection.connect();
    const identity = await identify(connection, options.kind);
    const scheme = connection.scheme;
    if (scheme === undefined) throw new Error('logged in without a scheme');
    return { ...identity, scheme };
  } finally {
    await connection.close();
  }
}
