/**
 * Simulated devices and client connections for integration tests, released after each test:
 * `device()` starts one on 127.0.0.1 with the test password, `connect()` opens a connection to it
 * with the family's default user name (plug: user@example.com, camera: admin), scheme auto.
 */
import { DeviceConnection } from '../../src/connection';
import type { ConnectionOptions } from '../../src/connection';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice, StartDeviceOptions } from '../../src/simulator';

export const PASSWORD = 'tapo-sim';
export const PLUG_USER = 'user@example.com';

export interface SimHarness {
  device(options: StartDeviceOptions): Promise<SimulatedDevice>;
  connect(d: SimulatedDevice, extra?: Partial<ConnectionOptions>): DeviceConnection;
}

/** Registers an `afterEach` in the enclosing `describe` that closes every connection, then every device. */
export function useSimulatedDevices(defaults: { timeoutMs?: number } = {}): SimHarness {
  const devices: SimulatedDevice[] = [];
  const connections: DeviceConnection[] = [];

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close()));
    await Promise.all(devices.splice(0).map((d) => d.stop()));
  });

  return {
    async device(options) {
      const d = await startDevice({ password: PASSWORD, ...options });
      devices.push(d);
      return d;
    },
    connect(d, extra = {}) {
      const camera = d.family === 'camera';
      const c = new DeviceConnection({
        host: `${d.host}:${d.port}`,
        kind: camera ? 'camera' : 'plug',
        scheme: 'auto',
        credentials: { username: camera ? 'admin' : PLUG_USER, password: PASSWORD },
        timeoutMs: defaults.timeoutMs ?? 5_000,
        ...extra,
      });
      connections.push(c);
      return c;
    },
  };
}
