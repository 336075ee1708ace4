/**
 * The `tapo` CLI as a user runs it: a child process (ts-node on src/cli/tapo.ts, so no build is
 * needed) against simulated devices on 127.0.0.1. Checks stdout JSON, the simulator's state,
 * exit codes and the one-line stderr.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { EXIT_CODES, TIMEOUT_RANGE_S, main } from '../../src/cli/tapo';
import { TIMEOUT_RANGE_S as EDITOR_TIMEOUT_RANGE_S } from '../../src/nodes/tapo-device';
import type { CliIo } from '../../src/cli/tapo';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import type { PlugLogic } from '../../src/simulator/logic/plug';

const ROOT = path.resolve(__dirname, '..', '..');
const PASSWORD = 'tapo-sim';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in a child process; resolves when it exits. */
function tapo(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src/cli/tapo.ts'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Quotes one word for sh. */
function shellWord(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** True when util-linux script(1), which runs a command on a pseudo-terminal, is installed. */
const HAVE_SCRIPT = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Runs the CLI on a pseudo-terminal (script(1)), as typed at a shell: its stdin, stdout and stderr
 * are the terminal. Once "Password: " shows, `keys` are typed. Resolves with the exit code and
 * everything the terminal showed (stdout and stderr together, and any echo).
 */
function tapoOnTerminal(args: string[], keys: string): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, '-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src/cli/tapo.ts'), ...args].map(shellWord).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let typed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString('utf8');
      if (!typed && screen.includes('Password: ')) {
        typed = true;
        child.stdin.write(keys);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      child.stdin.destroy();
      resolve({ code, screen });
    });
  });
}

/** Runs the CLI in-process with captured output. */
async function tapoInProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

describe('tapo CLI against the simulator', function () {
  this.timeout(30_000);
  let plug: SimulatedDevice;
  let camera: SimulatedDevice;

  before(async () => {
    plug = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0' });
    camera = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3' });
  });
  after(async () => {
    await plug.stop();
    await camera.stop();
  });

  const plugArgs = (): string[] => ['--host', `127.0.0.1:${plug.port}`, '--username', 'user@example.com'];

  it('probe prints the identity and the detected scheme', async () => {
    const run = await tapo([...plugArgs(), '--password', PASSWORD, 'probe']);
    assert.equal(run.stderr, '');
    assert.equal(run.code, 0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.equal(out['scheme'], 'klap');
    assert.equal(out['model'], 'P110');
    assert.ok(!run.stdout.includes(PASSWORD));
  });

  it('on and off switch the simulated relay (password from TAPO_PASSWORD)', async () => {
    const logic = plug.logic as PlugLogic;
    const on = await tapo([...plugArgs(), 'on'], { TAPO_PASSWORD: PASSWORD });
    assert.equal(on.code, 0, on.stderr);
    assert.equal((JSON.parse(on.stdout) as { on: boolean }).on, true);
    assert.equal(logic.state.on, true);
    const off = await tapo([...plugArgs(), 'off'], { TAPO_PASSWORD: PASSWORD });
    assert.equal(off.code, 0, off.stderr);
    assert.equal((JSON.parse(off.stdout) as { on: boolean }).on, false);
    assert.equal(logic.state.on, false);
  });

  it('on, off and toggle print the plug read back after the change, as info prints it', async () => {
    const logic = plug.logic as PlugLogic;
    const base = [...plugArgs(), '--password', PASSWORD];
    for (const verb of ['on', 'off', 'toggle']) {
      const before = logic.state.on;
      const switched = await tapoInProcess([...base, verb]);
      assert.equal(switched.code, 0, switched.stderr);
      const expected = verb === 'on' ? true : verb === 'off' ? false : !before;
      assert.equal(logic.state.on, expected);
      const info = await tapoInProcess([...base, 'info']);
      assert.equal(info.code, 0, info.stderr);
      const printed = JSON.parse(switched.stdout) as Record<string, unknown>;
      const read = JSON.parse(info.stdout) as Record<string, unknown>;
      // The same tidy object, key for key (onTime counts seconds, so it may have moved on).
      assert.deepEqual(Object.keys(printed), Object.keys(read), switched.stdout);
      assert.deepEqual({ ...printed, onTime: 0 }, { ...read, onTime: 0 });
      assert.equal(printed['on'], expected);
      assert.equal(printed['model'], 'P110');
      assert.equal(printed['nickname'], logic.state.nickname);
      assert.match(String(printed['deviceId']), /^[0-9A-F]{40}$/i);
      assert.equal(typeof printed['onTime'], 'number');
      assert.ok(!('device_on' in printed), switched.stdout);
    }
  });

  it('a wrong password exits 10 with one stderr line and no secret', async () => {
    const run = await tapo([...plugArgs(), '--password', 'wrong-secret', 'info']);
    assert.equal(run.code, 10);
    assert.equal(run.stdout, '');
    const lines = run.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0] ?? '', /^tapo: .+\. .+/);
    assert.ok(!run.stderr.includes('wrong-secret'));
    assert.ok(!run.stderr.includes(' at '), 'no stack trace');
  });

  it('usage errors exit 2 and --help exits 0', async () => {
    const missing = await tapoInProcess(['on']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^tapo: --host is required\./);
    const unknown = await tapoInProcess(['--host', '127.0.0.1', '--password', 'x', '--username', 'u', 'dance']);
    assert.equal(unknown.code, 2);
    const badScheme = await tapoInProcess(['--host', '127.0.0.1', '--scheme', 'ftp', 'on']);
    assert.equal(badScheme.code, 2);
    const help = await tapoInProcess(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: tapo --host/);
  });

  it('maps error kinds to exit codes 10 to 18', () => {
    assert.deepEqual(EXIT_CODES, {
      Authentication: 10,
      SessionExpired: 11,
      Locked: 12,
      RateLimited: 13,
      Device: 14,
      Transport: 15,
      Timeout: 16,
      Input: 17,
      Unsupported: 18,
    });
  });

  it('toggle, info, energy and call work in-process over the same layers', async () => {
    const logic = plug.logic as PlugLogic;
    const base = [...plugArgs(), '--password', PASSWORD];
    const before = logic.state.on;
    const toggled = await tapoInProcess([...base, 'toggle']);
    assert.equal(toggled.code, 0, toggled.stderr);
    assert.equal(logic.state.on, !before);
    const info = await tapoInProcess([...base, 'info']);
    assert.equal(info.code, 0, info.stderr);
    assert.ok(info.stdout.length > 2);
    const energy = await tapoInProcess([...base, 'energy']);
    assert.equal(energy.code, 0, energy.stderr);
    const call = await tapoInProcess([...base, 'call', 'set_device_info', '{"device_on":true}']);
    assert.equal(call.code, 0, call.stderr);
    assert.equal(logic.state.on, true);
    const badJson = await tapoInProcess([...base, 'call', 'set_device_info', '{nope']);
    assert.equal(badJson.code, 17);
    assert.equal(badJson.stderr.split('\n').filter((l) => l !== '').length, 1);
  });

  it('camera get and camera do use the camera kind and admin by default', async () => {
    const base = ['--host', `127.0.0.1:${camera.port}`, '--password', PASSWORD];
    const get = await tapoInProcess([...base, 'camera', 'get', 'privacyMode']);
    assert.equal(get.code, 0, get.stderr);
    assert.ok('privacyMode' in (JSON.parse(get.stdout) as Record<string, unknown>));
    const done = await tapoInProcess([...base, 'camera', 'do', '{"privacyMode":true}']);
    assert.equal(done.code, 0, done.stderr);
    assert.equal((JSON.parse(done.stdout) as Record<string, unknown>)['privacyMode'], true);
    assert.equal((camera.logic as CameraLogic).state.privacyMode, true);
    const bad = await tapoInProcess([...base, 'camera', 'get', 'colour']);
    assert.equal(bad.code, 17);
  });

  it('--timeout is in seconds, 1 to 120 as in the editor; anything else is a usage error', async () => {
    assert.deepEqual(TIMEOUT_RANGE_S, EDITOR_TIMEOUT_RANGE_S);
    const base = [...plugArgs(), '--password', PASSWORD];
    for (const bad of ['0', '0.5', '121', '10000', '-1', 'ten', '', '1e3']) {
      const run = await tapoInProcess([...base, `--timeout=${bad}`, 'info']);
      assert.equal(run.code, 2, `--timeout=${bad}: ${run.stderr}`);
      assert.match(run.stderr, /^tapo: --timeout must be a number of seconds from 1 to 120, not ".*"\. Run tapo --help/);
    }
    const help = await tapoInProcess(['--help']);
    assert.match(help.stdout, /--timeout S +per-request timeout in seconds, 1 to 120 \(default 10; discover: 3\)/);

    // Every reply 300 ms late: one second is plenty (in ms, 1 would have timed out).
    plug.faults.delayMs = 300;
    try {
      for (const seconds of ['1', '2.5', '120']) {
        const run = await tapoInProcess([...base, '--timeout', seconds, 'info']);
        assert.equal(run.code, 0, `--timeout ${seconds}: ${run.stderr}`);
      }
    } finally {
      plug.faults.delayMs = 0;
    }
    // A device that never answers: Timeout (16) after the one second asked for.
    plug.faults.hang = true;
    try {
      const run = await tapoInProcess([...base, '--timeout', '1', 'info']);
      assert.equal(run.code, 16, run.stderr);
      assert.match(run.stderr, /no answer within 1000 ms/);
    } finally {
      plug.faults.hang = false;
    }
  });

  it('--host written as an http(s):// URL: the scheme and a trailing slash are dropped, the port kept', async () => {
    for (const host of [`http://127.0.0.1:${plug.port}`, `https://127.0.0.1:${plug.port}/`, `HTTP://127.0.0.1:${plug.port}/`]) {
      const run = await tapoInProcess(['--host', host, '--username', 'user@example.com', '--password', PASSWORD, 'info']);
      assert.equal(run.code, 0, `${host}: ${run.stderr}`);
      assert.equal((JSON.parse(run.stdout) as { model: string }).model, 'P110');
    }
    // As a camera's address too, with --host=.
    const viaUrl = await tapoInProcess([`--host=https://127.0.0.1:${camera.port}/`, '--password', PASSWORD, 'camera', 'get', 'privacyMode']);
    assert.equal(viaUrl.code, 0, viaUrl.stderr);
  });

  it('--host with a path, query, user name or another scheme is a usage error saying what to give', async () => {
    const sent = plug.httpRequestCount;
    const address = `127.0.0.1:${plug.port}`;
    const cases: [string, RegExp][] = [
      [`http://${address}/app`, new RegExp(`^tapo: --host takes HOST\\[:PORT\\], not a URL with a path, query or user name; give only the address, e\\.g\\. --host ${address}\\. `)],
      [`https://${address}/stok=abc/ds?x=1`, new RegExp(`give only the address, e\\.g\\. --host ${address}\\.`)],
      [`${address}/app`, new RegExp(`give only the address, e\\.g\\. --host ${address}\\.`)],
      [`${address}?x`, new RegExp(`give only the address, e\\.g\\. --host ${address}\\.`)],
      [`http://admin:hunter2@${address}`, new RegExp(`give only the address, e\\.g\\. --host ${address}\\.`)],
      ['rtsp://127.0.0.1:554/stream1', /not a rtsp:\/\/ URL; give the device's address, e\.g\. --host 127\.0\.0\.1\./],
      ['http://', /--host http:\/\/ names no device: give its address/],
    ];
    for (const [host, message] of cases) {
      const run = await tapoInProcess(['--host', host, '--username', 'user@example.com', '--password', PASSWORD, 'info']);
      assert.equal(run.code, 2, `${host}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
      assert.ok(!run.stderr.includes('hunter2'), run.stderr);
    }
    assert.equal(plug.httpRequestCount, sent, 'nothing was sent');
  });

  describe('every command sent to the other kind of device says so (exit 17)', () => {
    let secure: SimulatedDevice;
    before(async () => {
      secure = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure' });
    });
    after(async () => {
      await secure.stop();
    });

    /** One stderr line, no stdout, exit 17 (Input). */
    function refusal(run: Run, what: string): string {
      assert.equal(run.code, 17, `${what}: ${run.stderr}`);
      assert.equal(run.stdout, '');
      const lines = run.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /lost after the request was sent|cannot reach|password/, what);
      return lines[0] ?? '';
    }

    it('plug commands on a camera: "this is a camera", with --kind camera; the camera sees no login', async () => {
      const state = JSON.stringify((secure.logic as CameraLogic).state);
      const base = ['--host', `127.0.0.1:${secure.port}`, '--username', 'user@example.com', '--password', PASSWORD];
      const address = `127\\.0\\.0\\.1:${secure.port}`;
      const cases: [string[], RegExp][] = [
        [['on'], /on is a plug command: for a camera add --kind camera and use info, camera get, camera do or call/],
        [['off'], /off is a plug command: for a camera add --kind camera/],
        [['toggle'], /toggle is a plug command: for a camera add --kind camera/],
        [['energy'], /energy is a plug command: for a camera add --kind camera/],
        [['info'], /Add --kind camera and leave out --username \(a camera logs in as admin\)/],
        [['call', 'get_device_info'], /Add --kind camera and leave out --username/],
        [['probe'], /Add --kind camera and leave out --username/],
        [['--scheme', 'passthrough', 'info'], /Add --kind camera/],
      ];
      for (const [command, hint] of cases) {
        const line = refusal(await tapoInProcess([...base, ...command]), command.join(' '));
        assert.match(line, new RegExp(`^tapo: this is a camera, not a plug \\(a camera answers at ${address}\\)\\. `));
        assert.match(line, hint);
      }
      // As a user runs it: the exit code of the process.
      refusal(await tapo([...base, 'on']), 'on (child process)');
      assert.equal(secure.server.loginCount, 0);
      assert.equal(secure.guard.lockedSecondsLeft(), 0);
      assert.equal(JSON.stringify((secure.logic as CameraLogic).state), state);
    });

    it('camera commands on a plug: "this is a plug"; the plug is not switched and sees no login', async () => {
      const logic = plug.logic as PlugLogic;
      const before = logic.state.on;
      const logins = plug.server.loginCount;
      const base = ['--host', `127.0.0.1:${plug.port}`, '--password', PASSWORD];
      const address = `127\\.0\\.0\\.1:${plug.port}`;
      const cases: [string[], RegExp][] = [
        [['camera', 'get', 'privacyMode'], /camera get is a camera command: a plug takes probe, info, on, off, toggle, energy and call/],
        [['camera', 'do', '{"privacyMode":true}'], /camera do is a camera command/],
        [['--kind', 'camera', 'camera', 'get', 'led'], /camera get is a camera command/],
        [['--kind', 'camera', 'info'], /Leave out --kind camera \(plug is the default\) and give your TP-Link account e-mail with --username/],
        [['--kind', 'camera', 'call', 'getDeviceInfo'], /Leave out --kind camera/],
        [['--kind', 'camera', 'probe'], /Leave out --kind camera/],
      ];
      for (const [command, hint] of cases) {
        const line = refusal(await tapoInProcess([...base, ...command]), command.join(' '));
        assert.match(line, new RegExp(`^tapo: this is a plug, not a camera \\(a plug answers at ${address}\\)\\. `));
        assert.match(line, hint);
      }
      assert.equal(plug.server.loginCount, logins);
      assert.equal(logic.state.on, before);
    });
  });

  describe('on a terminal (a pseudo-terminal from script(1))', () => {
    before(function () {
      if (!HAVE_SCRIPT) this.skip();
    });

    it('asks "Password: ", echoes nothing typed, and runs the command', async () => {
      const logic = plug.logic as PlugLogic;
      // A slip corrected with Backspace, as a person types.
      const run = await tapoOnTerminal([...plugArgs(), 'on'], 'tapo-simx\u007f\r');
      assert.equal(run.code, 0, run.screen);
      assert.match(run.screen, /^Password: \r?\n\{/);
      assert.ok(!run.screen.includes('tapo-sim'), run.screen);
      assert.equal(logic.state.on, true);
    });

    it('Ctrl-C at the prompt exits 130 and sends nothing', async () => {
      const sent = plug.httpRequestCount;
      const run = await tapoOnTerminal([...plugArgs(), 'off'], 'tapo\u0003');
      assert.equal(run.code, 130, run.screen);
      assert.equal(run.screen.replace(/\r/g, ''), 'Password: \n');
      assert.equal(plug.httpRequestCount, sent);
    });
  });

  it('an unreachable device exits 15 (Transport)', async () => {
    const stopped = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0' });
    const port = stopped.port;
    await stopped.stop();
    const run = await tapoInProcess(['--host', `127.0.0.1:${port}`, '--username', 'u@example.com', '--password', 'p', 'info']);
    assert.equal(run.code, 15, run.stderr);
  });
});
