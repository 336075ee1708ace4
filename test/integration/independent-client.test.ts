/**
 * The simulator against a client written by others: tp-link-tapo-connect (a dev dependency,
 * its own KLAP code over axios). It must log in, read, switch and read back as against a real
 * plug, and be refused with a wrong password. Assertions are on the simulator's own state.
 *
 * KLAP runs in this process. The library's passthrough decrypts its RSA key with PKCS#1 v1.5
 * padding, which Node 20+ refuses unless started with --security-revert=CVE-2023-46809, so it runs
 * in a child process started with that flag (independent/tapo-connect-passthrough.js), driven
 * over IPC one command at a time, while the simulated P100 runs here.
 */
import { strict as assert } from 'node:assert';
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { loginDeviceByIp } from 'tp-link-tapo-connect/dist/klap-transport';
import { startDevice, type SimulatedDevice } from '../../src/simulator';
import type { PlugState } from '../../src/simulator/logic/plug';

const EMAIL = 'user@example.com';
const PASSWORD = 'tapo-sim';

describe('simulator against an independent client (tp-link-tapo-connect, KLAP)', function () {
  let device: SimulatedDevice | undefined;

  afterEach(async () => {
    await device?.stop();
    device = undefined;
  });

  const state = (): PlugState => (device!.logic as unknown as { state: PlugState }).state;

  it('logs in, reads device info, switches and reads back', async () => {
    device = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', username: EMAIL, password: PASSWORD });
    const plug = await loginDeviceByIp(EMAIL, PASSWORD, `127.0.0.1:${device.port}`);

    const info = await plug.getDeviceInfo();
    assert.equal(info.model, 'P110');
    // The library base64-decodes the nickname; it must match the simulator's plain text.
    assert.equal(info.nickname, state().nickname);

    await plug.turnOn();
    assert.equal(state().on, true);
    assert.equal((await plug.getDeviceInfo()).device_on, true);

    await plug.turnOff();
    assert.equal(state().on, false);
    assert.equal((await plug.getDeviceInfo()).device_on, false);
    assert.equal(device.server.loginCount, 1);
  });

  it('reads energy usage equal to the simulator counters', async () => {
    device = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', username: EMAIL, password: PASSWORD, loadWatts: 85 });
    const plug = await loginDeviceByIp(EMAIL, PASSWORD, `127.0.0.1:${device.port}`);
    await plug.turnOn();
    const usage = (await plug.getEnergyUsage()) as unknown as Record<string, unknown>;
    assert.equal(usage['today_energy'], state().todayEnergyWh);
    assert.equal(usage['month_energy'], state().monthEnergyWh);
    assert.equal(usage['current_power'], Math.round(state().currentPowerW * 1000));
  });

  it('is refused with a wrong password, and nothing changes', async () => {
    device = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', username: EMAIL, password: PASSWORD });
    const before = state().on;
    await assert.rejects(loginDeviceByIp(EMAIL, 'not-the-password', `127.0.0.1:${device.port}`), /email or password incorrect/);
    assert.equal(device.server.loginCount, 0);
    assert.equal(state().on, before);
  });
});

/** One command to the child that runs tp-link-tapo-connect's passthrough client. */
interface ChildReply {
  id?: number;
  ok?: boolean;
  result?: unknown;
  error?: string;
  ready?: boolean;
}

class PassthroughPeer {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: ChildReply) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: ChildReply) => {
      const done = m.id === undefined ? undefined : this.pending.get(m.id);
      if (done && m.id !== undefined) {
        this.pending.delete(m.id);
        done(m);
      }
    });
  }

  static async start(): Promise<PassthroughPeer> {
    const child = fork(path.join(__dirname, 'independent', 'tapo-connect-passthrough.js'), [], {
      execArgv: ['--security-revert=CVE-2023-46809'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the tp-link-tapo-connect child exited with ${String(code)}`)));
    });
    return new PassthroughPeer(child);
  }

  /** Runs one command; resolves with its result, rejects with the library's error message. */
  run(op: string, fields: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (reply) => (reply.ok ? resolve(reply.result) : reject(new Error(reply.error))));
      this.child.send({ id, op, ...fields });
    });
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill();
    });
  }
}

describe('simulator against an independent client (tp-link-tapo-connect, passthrough, in a child process)', function () {
  this.timeout(20_000);
  let device: SimulatedDevice | undefined;
  let peer: PassthroughPeer | undefined;

  afterEach(async () => {
    await peer?.stop();
    peer = undefined;
    await device?.stop();
    device = undefined;
  });

  const state = (): PlugState => (device!.logic as unknown as { state: PlugState }).state;

  it('logs in (RSA handshake, login_device, token), reads, switches and reads back', async () => {
    device = await startDevice({ fixture: 'P100(US)_1.0.0_1.1.3', scheme: 'passthrough', username: EMAIL, password: PASSWORD });
    peer = await PassthroughPeer.start();
    await peer.run('login', { email: EMAIL, password: PASSWORD, host: `127.0.0.1:${device.port}` });

    const info = (await peer.run('getDeviceInfo')) as Record<string, unknown>;
    assert.equal(info['model'], 'P100');
    assert.equal(info['nickname'], state().nickname);

    await peer.run('turnOn');
    assert.equal(state().on, true);
    assert.equal(((await peer.run('getDeviceInfo')) as Record<string, unknown>)['device_on'], true);
    await peer.run('turnOff');
    assert.equal(state().on, false);
    assert.equal(((await peer.run('getDeviceInfo')) as Record<string, unknown>)['device_on'], false);
    assert.equal(device.server.loginCount, 1);
  });

  it('is refused with a wrong password, and nothing changes', async () => {
    device = await startDevice({ fixture: 'P100(US)_1.0.0_1.1.3', scheme: 'passthrough', username: EMAIL, password: PASSWORD });
    peer = await PassthroughPeer.start();
    const before = state().on;
    await assert.rejects(peer.run('login', { email: EMAIL, password: 'not-the-password', host: `127.0.0.1:${device.port}` }), /Invalid credentials/);
    assert.equal(device.server.loginCount, 0);
    assert.equal(state().on, before);
  });
});
