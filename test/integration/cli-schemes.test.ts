/**
 * The `tapo` CLI end to end in every scheme, with the scheme left on auto as a user would: probe
 * names the scheme, commands change the simulator's state, a session that expires mid-command is
 * renewed once, and a wrong password exits 10 after a bounded number of requests (no retry loop).
 */
import { strict as assert } from 'node:assert';
import { main } from '../../src/cli/tapo';
import type { CliIo } from '../../src/cli/tapo';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice, StartDeviceOptions } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import type { PlugLogic } from '../../src/simulator/logic/plug';

const PASSWORD = 'tapo-sim';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function tapo(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

function json(run: Run): Record<string, unknown> {
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

interface Case {
  scheme: string;
  device: StartDeviceOptions;
  kind: 'plug' | 'camera';
  model: string;
  /**
   * Most HTTP requests one CLI run with a wrong password may send: the auto-detection probe, then
   * the scheme's own login (passthrough: KLAP probe, then handshake + login_device v2, handshake +
   * login_device v1 = 5; TPAP: each register/share round).
   */
  maxRequestsOnWrongPassword: number;
}

const CASES: Case[] = [
  { scheme: 'klap', kind: 'plug', model: 'P110', device: { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap' }, maxRequestsOnWrongPassword: 1 },
  { scheme: 'klap-v1', kind: 'plug', model: 'P110', device: { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap-v1' }, maxRequestsOnWrongPassword: 2 },
  { scheme: 'passthrough', kind: 'plug', model: 'P100', device: { fixture: 'P100(US)_1.0.0_1.1.3', scheme: 'passthrough' }, maxRequestsOnWrongPassword: 5 },
  { scheme: 'tpap', kind: 'plug', model: 'P110', device: { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'tpap' }, maxRequestsOnWrongPassword: 4 },
  { scheme: 'camera-secure', kind: 'camera', model: 'C210', device: { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure' }, maxRequestsOnWrongPassword: 3 },
  { scheme: 'camera-legacy', kind: 'camera', model: 'C210', device: { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-legacy' }, maxRequestsOnWrongPassword: 3 },
  { scheme: 'tpap', kind: 'camera', model: 'C101', device: { fixture: 'C101(US)_5.0_1.4.3', scheme: 'tpap' }, maxRequestsOnWrongPassword: 6 },
];

describe('tapo CLI in every scheme (auto-detected)', function () {
  this.timeout(30_000);

  for (const c of CASES) {
    describe(`${c.scheme} ${c.kind} (${c.model})`, () => {
      let device: SimulatedDevice;
      beforeEach(async () => {
        device = await startDevice(c.device);
      });
      afterEach(async () => {
        await device.stop();
      });

      const args = (password = PASSWORD): string[] => {
        const base = ['--host', `127.0.0.1:${device.port}`, '--password', password];
        return c.kind === 'plug' ? [...base, '--username', 'user@example.com'] : [...base, '--kind', 'camera'];
      };

      it('probe names the scheme and the model', async () => {
        const out = json(await tapo([...args(), 'probe']));
        assert.equal(out['scheme'], c.scheme);
        assert.equal(out['model'], c.model);
      });

      if (c.kind === 'plug') {
        it('on, off and toggle switch the simulated relay, also across a session expiry', async () => {
          const logic = device.logic as PlugLogic;
          json(await tapo([...args(), 'on']));
          assert.equal(logic.state.on, true);
          json(await tapo([...args(), 'off']));
          assert.equal(logic.state.on, false);
          // Every session dies after one request: toggle reads, then its set meets an expired
          // session, logs in again and is replayed once (an absolute set cannot double-act).
          device.faults.expireAfterRequests = 1;
          const logins = device.server.loginCount;
          json(await tapo([...args(), 'toggle']));
          assert.equal(logic.state.on, true);
          assert.equal(device.server.loginCount, logins + 2);
        });
      } else {
        it('camera do and camera get change and read privacy mode, also across a session expiry', async () => {
          const logic = device.logic as CameraLogic;
          const done = json(await tapo([...args(), 'camera', 'do', '{"privacyMode":true}']));
          assert.equal(done['privacyMode'], true);
          assert.equal(logic.state.privacyMode, true);
          // Every session dies after one request; this command takes three (the change, the siren
          // in its own request while its form is learnt, the read-back), so it must renew.
          device.faults.expireAfterRequests = 1;
          const logins = device.server.loginCount;
          json(await tapo([...args(), 'camera', 'do', '[{"privacyMode":false},{"alarm":"start"}]']));
          assert.equal(logic.state.privacyMode, false);
          assert.ok(device.server.loginCount >= logins + 2, 'the expired session was renewed');
          device.faults.expireAfterRequests = 0;
          const read = json(await tapo([...args(), 'camera', 'get', 'privacyMode']));
          assert.equal(read['privacyMode'], false);
        });
      }

      it('a wrong password exits 10 with one line, a bounded number of requests and no state change', async () => {
        const before = JSON.stringify((device.logic as PlugLogic | CameraLogic).state);
        const sentBefore = device.httpRequestCount;
        const run = await tapo([...args('not-the-password'), c.kind === 'plug' ? 'on' : 'info']);
        assert.equal(run.code, 10, run.stderr);
        assert.equal(run.stdout, '');
        assert.equal(run.stderr.split('\n').filter((l) => l !== '').length, 1);
        assert.ok(!run.stderr.includes('not-the-password'));
        const sent = device.httpRequestCount - sentBefore;
        assert.ok(sent >= 1 && sent <= c.maxRequestsOnWrongPassword, `${sent} requests`);
        assert.equal(device.server.loginCount, 0);
        assert.equal(JSON.stringify((device.logic as PlugLogic | CameraLogic).state), before);
      });
    });
  }
});
