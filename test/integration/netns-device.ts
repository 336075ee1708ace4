/**
 * Child process of discovery-netns.test.ts, run inside the test's network namespace
 * (`ip netns exec NS node -r ts-node/register/transpile-only test/integration/netns-device.ts HOST`).
 *
 * Starts one simulated P110 plug on HOST (the namespace's address) whose discovery responder binds
 * 0.0.0.0:20002, as a real device listens on every address, so it receives the probes broadcast to
 * the namespace's subnet. `tapo-sim` has no flag for the responder's bind address, hence this script.
 *
 * Protocol on stdio, one JSON object per line:
 *   stdout, once listening: { ready: true, host, port, discoveryPort, model, mac }
 *   stdin "count"        -> stdout { probesAnswered: N }
 *   stdin closed, SIGTERM or SIGINT -> the device stops and the process exits 0, so the child never
 *   outlives the test process that holds the other end of its stdin.
 */
import { startDevice } from '../../src/simulator';

const host = process.argv[2];
if (host === undefined) {
  process.stderr.write('usage: netns-device.ts HOST\n');
  process.exit(2);
}

async function run(host: string): Promise<void> {
  const device = await startDevice({
    host,
    port: 0,
    fixture: 'P110(UK)_1.0_1.3.0',
    scheme: 'klap',
    password: 'tapo-sim',
    discoveryPort: 20002,
    discoveryHost: '0.0.0.0',
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void device.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.setEncoding('utf8');
  let pending = '';
  process.stdin.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line === 'count') process.stdout.write(`${JSON.stringify({ probesAnswered: device.discoveryProbesAnswered })}\n`);
    }
  });
  process.stdin.on('end', stop);
  const d = device.describe();
  process.stdout.write(`${JSON.stringify({ ready: true, host: d.host, port: d.port, discoveryPort: d.discoveryPort, model: d.model, mac: device.fixture.mac })}\n`);
}

run(host).catch((err: unknown) => {
  process.stderr.write(`netns-device: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
