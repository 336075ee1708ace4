/**
 * `probeDevice`: log in once with a throw-away connection, ask the device who it is, close.
 * Used by the CLI's `probe` command and by the config node's "test connection" button.
 */
import { identify } from '../devices/identify';
import type { DeviceIdentity } from '../devices/identify';
import type { SchemeName } from '../protocol/types';
import { DeviceConnection } from './connection';
import type { ConnectionOptions } from './connection';

/** What {@link probeDevice} found: the device's identity and the scheme that worked. */
export type ProbeResult = DeviceIdentity & { scheme: SchemeName };

/**
 * Logs in (detecting the scheme unless one is forced), identifies the device and closes the
 * temporary connection, whether it succeeded or not. Rejects with the `TapoError` that stopped it.
 */
export async function probeDevice(options: ConnectionOptions): Promise<ProbeResult> {
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
