/**
 * A wrong password costs the device at most one failed login per login attempt, in every scheme.
 * Each test logs in with a wrong password over 127.0.0.1 and reads the simulator's own count of the
 * logins it refused on a credential check (`failedLoginCount`, one per refused KLAP handshake 2,
 * passthrough `login_device`, camera digest or MD5 login, TPAP `pake_share`) and its lockout guard.
 */
import { strict as assert } from 'node:assert';
import { main } from '../../src/cli/tapo';
import type { CliIo } from '../../src/cli/tapo';
import type { JsonObject, SchemeName } from '../../src/protocol/types';
import type { StartDeviceOptions } from '../../src/simulator';
import { rejection } from '../helpers';
import { PASSWORD, PLUG_USER, useSimulatedDevices } from './sim-harness';

const WRONG = 'not-the-password';
const P110 = 'P110(UK)_1.0_1.3.0';
const P100_OLD = 'P100(US)_1.0.0_1.1.3';
const C210 = 'C210(EU)_2.0_1.4.3';
const C101 = 'C101(US)_5.0_1.4.3';

interface Case {
  name: string;
  scheme: SchemeName;
  device: StartDeviceOptions;
  /**
   * Failed logins the device counts for one login attempt with a wrong password. 0 where the client
   * finds the mismatch itself from what the device sent (KLAP `server_hash`, camera `device_confirm`)
   * and so never offers the device a wrong credential; 2 only for a passthrough plug whose login
   * version was never learnt (the version is announced only in UDP discovery: see passthrough.ts).
   */
  perAttempt: number;
}

const CASES: Case[] = [
  { name: 'KLAP v2 plug', scheme: 'klap', device: { fixture: P110, scheme: 'klap' }, perAttempt: 0 },
  { name: 'KLAP v1 plug', scheme: 'klap-v1', device: { fixture: P110, scheme: 'klap-v1' }, perAttempt: 0 },
  { name: 'passthrough plug (v1, then v2: no version learnt yet)', scheme: 'passthrough', device: { fixture: P100_OLD, scheme: 'passthrough' }, perAttempt: 2 },
  { name: 'TPAP plug', scheme: 'tpap', device: { fixture: P110, scheme: 'tpap' }, perAttempt: 1 },
  { name: 'camera secure login, SHA-256 stored', scheme: 'camera-secure', device: { fixture: C210, scheme: 'camera-secure' }, perAttempt: 0 },
  { name: 'camera secure login, MD5 stored', scheme: 'camera-secure', device: { fixture: C210, scheme: 'camera-secure', cameraPasswordHash: 'md5' }, perAttempt: 0 },
  { name: 'camera legacy login', scheme: 'camera-legacy', device: { fixture: C210, scheme: 'camera-legacy' }, perAttempt: 1 },
  { name: 'TPAP camera, MD5 passcode (C101)', scheme: 'tpap', device: { fixture: C101, scheme: 'tpap' }, perAttempt: 1 },
  { name: 'TPAP camera, SHA-256-crypt passcode (C200)', scheme: 'tpap', device: { fixture: C101, scheme: 'tpap', tpapCameraPasscode: 'sha256-crypt' }, perAttempt: 1 },
];

describe('a wrong password costs at most one failed login per attempt (simulator, 127.0.0.1)', function () {
  this.timeout(30_000);
  const { device, connect } = useSimulatedDevices({ timeoutMs: 5_000 });

  for (const c of CASES) {
    it(`${c.name}: ${c.perAttempt} failed login(s) on the device per attempt; the right password then logs in with none`, async () => {
      const d = await device({ ...c.device, lockoutThreshold: 100 });
      const camera = d.family === 'camera';
      const credentials = (password: string): { username: string; password: string } => ({ username: camera ? 'admin' : PLUG_USER, password });
      const request: JsonObject = camera
        ? { method: 'multipleRequest', params: { requests: [{ method: 'getDeviceInfo', params: { device_info: { name: ['basic_info'] } } }] } }
        : { method: 'get_device_info' };
      // No hold-off, so that every request of this one connection is a new login attempt.
      const wrong = connect(d, { scheme: c.scheme, credentials: credentials(WRONG), authHoldOffMs: 0 });
      for (let attempt = 1; attempt <= 3; attempt++) {
        const before = wrong.stats.logins;
        const err = await rejection(wrong.request(request, { idempotent: true }));
        assert.equal(err.kind, 'Authentication', err.message);
        assert.equal(wrong.stats.logins, before + 1, 'one login attempt');
        assert.equal(d.server.failedLoginCount, attempt * c.perAttempt, `after attempt ${attempt}`);
      }
      assert.equal(d.server.loginCount, 0);
      if (c.perAttempt > 0) assert.equal(d.guard.lockedSecondsLeft(), 0);

      const right = connect(d, { scheme: c.scheme, credentials: credentials(PASSWORD) });
      const reply = await right.request(request, { idempotent: true });
      assert.equal(reply['error_code'], 0, JSON.stringify(reply));
      assert.equal(d.server.failedLoginCount, 3 * c.perAttempt, 'the right password costs no failed login');
      assert.equal(d.server.loginCount, 1);
    });
  }

  /** Runs the `tapo` CLI in-process, as a user runs it: a new connection (and no hold-off) per run. */
  async function tapo(args: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const io: CliIo = { stdout: () => undefined, stderr: (t) => (stderr += t), env: {} };
    const code = await main(args, io);
    return { code, stderr };
  }

  for (const scheme of ['tpap', 'camera-secure', 'camera-legacy'] as const) {
    it(`${scheme} camera: four CLI runs with a wrong password leave it unlocked (it locks at its fifth failure), and the right password works`, async () => {
      const d = await device({
        fixture: scheme === 'tpap' ? C101 : C210,
        scheme,
        lockoutThreshold: 5,
        lockoutSeconds: 1800,
      });
      const args = (password: string): string[] => ['--host', `127.0.0.1:${d.port}`, '--kind', 'camera', '--password', password];
      for (let run = 1; run <= 4; run++) {
        const out = await tapo([...args(WRONG), 'info']);
        assert.equal(out.code, 10, out.stderr);
        assert.ok(d.server.failedLoginCount <= run, `${d.server.failedLoginCount} failed logins after ${run} runs`);
        assert.equal(d.guard.lockedSecondsLeft(), 0, `locked after run ${run}`);
      }
      const ok = await tapo([...args(PASSWORD), 'info']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(d.server.loginCount, 1);
    });
  }

  it('TPAP camera: the fifth CLI run with a wrong password is the one that locks it (the device\'s own limit)', async () => {
    const d = await device({ fixture: C101, scheme: 'tpap', lockoutThreshold: 5, lockoutSeconds: 1800 });
    const args = ['--host', `127.0.0.1:${d.port}`, '--kind', 'camera', '--password', WRONG, 'info'];
    for (let run = 1; run <= 5; run++) {
      assert.equal(d.guard.lockedSecondsLeft(), 0, `locked before run ${run}`);
      assert.equal((await tapo(args)).code, 10);
      assert.equal(d.server.failedLoginCount, run);
    }
    assert.ok(d.guard.lockedSecondsLeft() > 0);
  });
});
