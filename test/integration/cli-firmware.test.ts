/**
 * `tapo firmware check` and `tapo firmware update` (in process, through `main`) against simulated
 * devices on 127.0.0.1: JSON on stdout, progress lines on stderr, the device's failure and exit
 * code when none is available. The update polls every 2 s (the CLI's default), so that test takes
 * a few seconds; nothing asserts on the clock.
 */
import { strict as assert } from 'node:assert';
import { EXIT_CODES, main } from '../../src/cli/tapo';
import type { CliIo } from '../../src/cli/tapo';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';

const PASSWORD = 'tapo-sim';

function io(): CliIo & { out: string; err: string } {
  const r = {
    out: '',
    err: '',
    env: { TAPO_PASSWORD: PASSWORD, TAPO_USERNAME: 'user@example.com' } as NodeJS.ProcessEnv,
    stdout: (t: string) => {
      r.out += t;
    },
    stderr: (t: string) => {
      r.err += t;
    },
  };
  return r;
}

describe('cli: tapo firmware', function () {
  this.timeout(60_000);
  let sim: SimulatedDevice | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  it('firmware check prints the versions and the offer', async () => {
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', password: PASSWORD, firmwareUpdate: { version: '1.4.0 Build 1', releaseNote: 'Fixes.' } });
    const r = io();
    const code = await main(['--host', `127.0.0.1:${sim.port}`, 'firmware', 'check'], r);
    assert.equal(code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { current: '1.3.0 Build 230905 Rel.152200', latest: '1.4.0 Build 1', updateAvailable: true, releaseNote: 'Fixes.' });
  });

  it('firmware update prints progress lines and the result; a passthrough plug comes back on KLAP', async () => {
    sim = await startDevice({ fixture: 'P100(US)_1.0.0_1.1.3', password: PASSWORD, firmwareUpdate: { version: '1.4.0 Build 1', releaseNote: 'x', newScheme: 'klap', rebootSeconds: 0.2 } });
    const r = io();
    const code = await main(['--host', `127.0.0.1:${sim.port}`, 'firmware', 'update'], r);
    assert.equal(code, 0, r.err);
    const result = JSON.parse(r.out) as Record<string, unknown>;
    assert.equal(result.to, '1.4.0 Build 1');
    assert.equal(result.scheme, 'klap');
    assert.match(r.err, /firmware: downloading 20 %\n/);
    assert.match(r.err, /firmware: installing\n/);
    assert.match(r.err, /firmware: back on 1\.4\.0 Build 1\n/);
    assert.ok(!r.err.includes(PASSWORD));
    assert.equal(sim.firmwareVersion, '1.4.0 Build 1');
  });

  it('firmware update with none available exits with the Input code and starts nothing', async () => {
    sim = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', password: PASSWORD });
    const r = io();
    const code = await main(['--host', `127.0.0.1:${sim.port}`, '--kind', 'camera', 'firmware', 'update'], r);
    assert.equal(code, EXIT_CODES.Input);
    assert.match(r.err, /no firmware update is available/);
    assert.equal(r.out, '');
    assert.equal(sim.firmwareState().phase, 'idle');
  });

  it('a bad firmware sub-command is a usage error', async () => {
    const r = io();
    assert.equal(await main(['--host', '127.0.0.1:1', 'firmware', 'upgrade'], r), 2);
  });
});
