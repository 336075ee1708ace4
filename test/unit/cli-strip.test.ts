/**
 * The `tapo` CLI (in-process, output captured): `--socket` on power strips, usage errors reported
 * before credentials are asked for, and redaction that keeps the password out of stderr without
 * garbling device data or our own words. Devices are simulated on 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { main, redactPassword } from '../../src/cli/tapo';
import type { CliIo } from '../../src/cli/tapo';
import { startDevice } from '../../src/simulator';
import { loadFixture } from '../../src/simulator/fixtures';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';

const USER = 'user@example.com';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function tapo(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** [position, on] of each socket of a simulated strip, in position order. */
function sockets(sim: SimulatedDevice): [number, boolean][] {
  return ((sim.logic as PlugLogic).state.children ?? []).map((c): [number, boolean] => [c.position, c.on]).sort((a, b) => a[0] - b[0]);
}

describe('tapo CLI: usage errors come before credentials', () => {
  it('an unknown command says so and lists the commands, whatever --kind, without a password', async () => {
    for (const kind of ['camera', 'plug']) {
      const run = await tapo(['--kind', kind, '--host', 'h', 'frobnicate']);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^tapo: unknown command "frobnicate"; the commands are discover, probe, info, on, off, toggle, energy, camera get, camera do, call, firmware check, firmware update, onboard scan\|join \(as the first argument\)\./);
      assert.ok(!/plug command|no password/.test(run.stderr), run.stderr);
    }
  });

  it('bad arguments are reported before "no password"', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--host', 'h', 'on', 'extra'], 2, /on takes no arguments/],
      [['--host', 'h', 'call'], 2, /call needs METHOD/],
      [['--host', 'h', 'camera', 'do', '{nope'], 17, /not valid JSON/],
      [['--host', 'h', 'camera', 'get', 'colour'], 17, /Unknown camera setting/],
      [['--host', 'h', '--kind', 'camera', 'on'], 2, /on is a plug command/],
      [['--host', 'h', '--socket', '1', 'probe'], 2, /--socket applies to info, on, off, toggle, energy, not to probe/],
      [['--host', 'h', '--socket', '1', 'call', 'get_device_info'], 2, /--socket applies to/],
      [['--host', 'h', '--socket', ' ', 'on'], 2, /--socket needs a socket position, id or name/],
    ];
    for (const [args, code, message] of cases) {
      const run = await tapo(args);
      assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.ok(!run.stderr.includes('no password'), run.stderr);
    }
    // A valid command line still needs the password.
    assert.match((await tapo(['--host', 'h', 'on'])).stderr, /no password/);
  });
});

describe('tapo CLI: the password is kept off stderr without garbling output', function () {
  this.timeout(30_000);

  it('redactPassword masks whole tokens only, and leaves our own words alone', () => {
    const zeros = '0'.repeat(40);
    assert.equal(redactPassword(`device ${zeros} refused`, '00000000'), `device ${zeros} refused`);
    assert.equal(redactPassword('tapo: login_device: wrong e-mail or password (error -1501).', 'wrong'), 'tapo: login_device: wrong e-mail or password (error -1501).');
    assert.equal(redactPassword('unknown command "wrong"', 'wrong'), 'unknown command "***"');
    assert.equal(redactPassword('GET http://u:hunter2@host/x?password=hunter2&y', 'hunter2'), 'GET http://u:***@host/x?password=***&y');
    assert.equal(redactPassword('sent 00000000. then', '00000000'), 'sent ***. then');
    assert.equal(redactPassword('{"p":"a\\"b"}', 'a"b'), '{"p":"***"}');
    assert.equal(redactPassword('x=p%40ss', 'p@ss'), 'x=***');
    assert.equal(redactPassword('hunter22 hunter2x xhunter2', 'hunter2'), 'hunter22 hunter2x xhunter2');
    assert.equal(redactPassword('anything', undefined), 'anything');
  });

  it('stdout device data is printed as is, even when it contains the password', async () => {
    // A password that is also the start of the device id the simulated plug reports.
    const deviceId = String((loadFixture('P110(UK)_1.0_1.3.0').data.get_device_info as { device_id: string }).device_id);
    const password = deviceId.slice(0, 8);
    const sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', password });
    try {
      const run = await tapo(['--host', `127.0.0.1:${sim.port}`, '--username', USER, '--password', password, 'info']);
      assert.equal(run.code, 0, run.stderr);
      const info = JSON.parse(run.stdout) as { deviceId: string };
      assert.equal(info.deviceId, deviceId);
      assert.ok(!run.stdout.includes('***'));
    } finally {
      await sim.stop();
    }
  });

  it('a rejected password "wrong" leaves the message readable and prints no secret', async () => {
    const sim = await startDevice({ fixture: 'P100(US)_1.0.0_1.1.3', password: 'tapo-sim' });
    try {
      const run = await tapo(['--host', `127.0.0.1:${sim.port}`, '--username', USER, '--password', 'wrong', 'info']);
      assert.equal(run.code, 10, run.stderr);
      assert.match(run.stderr, /wrong e-mail or password/);
      assert.ok(!run.stderr.includes('***'), run.stderr);
      assert.ok(!run.stderr.includes('tapo-sim'));
    } finally {
      await sim.stop();
    }
  });
});

describe('tapo CLI: power strips', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice;
  let base: string[];

  before(async () => {
    sim = await startDevice({ fixture: 'P300(EU)_1.0_1.0.15', password: 'tapo-sim' });
    base = ['--host', `127.0.0.1:${sim.port}`, '--username', USER, '--password', 'tapo-sim'];
  });
  after(async () => {
    await sim.stop();
  });

  it('probe and info say it is a strip and list its sockets', async () => {
    const probe = await tapo([...base, 'probe']);
    assert.equal(probe.code, 0, probe.stderr);
    const identity = JSON.parse(probe.stdout) as { model: string; sockets: { position: number; on: boolean }[] };
    assert.equal(identity.model, 'P300');
    assert.deepEqual(
      identity.sockets.map((s) => [s.position, s.on]),
      sockets(sim),
    );
    const info = await tapo([...base, 'info']);
    assert.equal(info.code, 0, info.stderr);
    assert.equal((JSON.parse(info.stdout) as { sockets: unknown[] }).sockets.length, 3);
  });

  it('on, off and toggle without --socket are refused (Input) and switch nothing', async () => {
    const before = sockets(sim);
    const logic = sim.logic as PlugLogic;
    const seen: string[] = [];
    const original = logic.handle.bind(logic);
    logic.handle = (req) => {
      seen.push(String(req.method));
      return original(req);
    };
    try {
      for (const verb of ['on', 'off', 'toggle']) {
        const run = await tapo([...base, verb]);
        assert.equal(run.code, 17, run.stderr);
        assert.match(run.stderr, /^tapo: This is a power strip: choose a socket \(1, 2, 3 or its name\)\. Add --socket/);
        assert.equal(run.stdout, '');
      }
    } finally {
      logic.handle = original;
    }
    assert.ok(!seen.includes('set_device_info'), seen.join(' '));
    assert.deepEqual(sockets(sim), before);
  });

  it('--socket N switches that socket only; info and toggle address it too', async () => {
    const before = sockets(sim);
    const off = await tapo([...base, '--socket', '2', 'off']);
    assert.equal(off.code, 0, off.stderr);
    assert.deepEqual(sockets(sim), [before[0], [2, false], before[2]]);
    const info = await tapo([...base, '--socket=2', 'info']);
    assert.equal(info.code, 0, info.stderr);
    assert.deepEqual(
      [(JSON.parse(info.stdout) as { position: number }).position, (JSON.parse(info.stdout) as { on: boolean }).on],
      [2, false],
    );
    const toggled = await tapo([...base, '--socket', '2', 'toggle']);
    assert.equal(toggled.code, 0, toggled.stderr);
    // The socket read back after the switch, as info --socket 2 prints it.
    const printed = JSON.parse(toggled.stdout) as { position: number; on: boolean; deviceId: string };
    assert.deepEqual([printed.position, printed.on], [2, true]);
    assert.equal(printed.deviceId, (sim.logic as PlugLogic).state.children?.find((c) => c.position === 2)?.deviceId);
    assert.equal(printed.deviceId, (JSON.parse(info.stdout) as { deviceId: string }).deviceId);
    assert.deepEqual(sockets(sim), [before[0], [2, true], before[2]]);
  });

  it('an ambiguous socket name and a socket without a meter give clear errors', async () => {
    const logic = sim.logic as PlugLogic;
    const rename = (name: (position: number) => string): void => {
      for (const child of logic.state.children ?? []) {
        const params = { nickname: Buffer.from(name(child.position)).toString('base64') };
        const reply = logic.handle({ method: 'control_child', params: { device_id: child.deviceId, requestData: { method: 'set_device_info', params } } });
        assert.equal(reply.error_code, 0);
      }
    };
    rename(() => 'Lamp');
    const before = sockets(sim);
    try {
      const named = await tapo([...base, '--socket', 'Lamp', 'off']);
      assert.equal(named.code, 17, named.stderr);
      assert.match(named.stderr, /3 sockets are named "Lamp" \(positions 1, 2, 3\): use the position 1–3/);
    } finally {
      rename((position) => `Socket ${position}`);
    }
    assert.deepEqual(sockets(sim), before);
    const energy = await tapo([...base, '--socket', '1', 'energy']);
    assert.equal(energy.code, 18, energy.stderr);
    assert.match(energy.stderr, /^tapo: Socket 1 of this strip has no energy meter\./);
    const unknown = await tapo([...base, '--socket', '9', 'on']);
    assert.equal(unknown.code, 17);
    assert.match(unknown.stderr, /No socket "9"/);
  });

  it('--socket on a single plug is refused before anything is switched', async () => {
    const plug = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', password: 'tapo-sim' });
    try {
      const before = (plug.logic as PlugLogic).state.on;
      const run = await tapo(['--host', `127.0.0.1:${plug.port}`, '--username', USER, '--password', 'tapo-sim', '--socket', '1', 'toggle']);
      assert.equal(run.code, 17, run.stderr);
      assert.match(run.stderr, /^tapo: This plug has no sockets, so --socket does not apply\. Leave out --socket\.\n$/);
      assert.equal((plug.logic as PlugLogic).state.on, before);
    } finally {
      await plug.stop();
    }
  });
});
