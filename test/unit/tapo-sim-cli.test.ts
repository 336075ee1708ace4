/**
 * The `tapo-sim` command: argument parsing, main() in-process with a stand-in signal source, and
 * the real process spawned through ts-node (JSON line on stdout, SIGINT, exit code 0).
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import * as http from 'node:http';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { CliUsageError, main, parseCliArgs } from '../../src/simulator/cli';

const ROOT = resolve(__dirname, '../..');
const CLI = resolve(ROOT, 'src/simulator/cli.ts');

function getJson(port: number, path: string): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      })
      .on('error', reject);
  });
}

describe('tapo-sim CLI', () => {
  describe('parseCliArgs', () => {
    it('applies each option to the last --fixture', () => {
      const plan = parseCliArgs([
        '--fixture', 'P110(UK)_1.0_1.3.0', '--scheme', 'passthrough', '--port=0',
        '--fixture', 'C210(EU)_2.0_1.4.3', '--username', 'admin', '--password', 'pw', '--load-watts', '12.5', '--lockout-threshold', '3',
      ]);
      assert.deepEqual(plan, {
        kind: 'start',
        devices: [
          { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'passthrough', port: 0 },
          { fixture: 'C210(EU)_2.0_1.4.3', username: 'admin', password: 'pw', loadWatts: 12.5, lockoutThreshold: 3 },
        ],
      });
    });

    it('reads --config as an array of device options', () => {
      const files: Record<string, string> = {
        'devs.json': JSON.stringify([{ fixture: 'P110(UK)_1.0_1.3.0', port: 0 }, { fixture: 'C100_4.0_1.3.14', scheme: 'camera-legacy' }]),
        'bad.json': JSON.stringify([{ fixture: 'x', colour: 'red' }]),
      };
      const read = (p: string): string => {
        const text = files[p];
        if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return text;
      };
      assert.deepEqual(parseCliArgs(['--config', 'devs.json'], read), {
        kind: 'start',
        devices: [{ fixture: 'P110(UK)_1.0_1.3.0', port: 0 }, { fixture: 'C100_4.0_1.3.14', scheme: 'camera-legacy' }],
      });
      assert.throws(() => parseCliArgs(['--config', 'bad.json'], read), /unknown option "colour"/);
      assert.throws(() => parseCliArgs(['--config', 'none.json'], read), /cannot read --config none.json: ENOENT/);
    });

    it('rejects bad command lines with a message that says what is accepted', () => {
      const cases: [string[], RegExp][] = [
        [['--scheme', 'klap'], /--scheme must follow the --fixture/],
        [['--fixture', 'X', '--scheme', 'aes'], /not a scheme; use one of klap, klap-v1/],
        [['--fixture', 'X', '--port', 'abc'], /--port must be an integer from 0 to 65535/],
        [['--fixture'], /--fixture needs a value/],
        [['--bogus'], /unknown option "--bogus"/],
        [[], /nothing to start/],
      ];
      for (const [argv, message] of cases) {
        assert.throws(() => parseCliArgs(argv), (err: unknown) => err instanceof CliUsageError && message.test(err.message), argv.join(' '));
      }
      assert.deepEqual(parseCliArgs(['--list']), { kind: 'list' });
    });
  });

  describe('main', () => {
    it('prints one JSON line per device without secrets and stops on SIGTERM', async () => {
      const out: string[] = [];
      const err: string[] = [];
      const signals = new EventEmitter();
      const printed = new EventEmitter();
      const io = {
        stdout: (line: string) => {
          out.push(line);
          printed.emit('line');
        },
        stderr: (line: string) => err.push(line),
      };
      const done = main(['--fixture', 'P110(UK)_1.0_1.3.0', '--password', 'hunter2', '--fixture', 'C100_4.0_1.3.14'], io, signals);
      while (out.length < 2) await once(printed, 'line');
      const lines = out.map((l) => JSON.parse(l));
      assert.equal(lines[0].model, 'P110');
      assert.equal(lines[0].family, 'smart');
      assert.equal(lines[0].scheme, 'klap');
      assert.equal(lines[0].host, '127.0.0.1');
      assert.equal(lines[1].family, 'camera');
      assert.doesNotMatch(out.join('\n'), /hunter2|tapo-sim/);
      const state = (await getJson(lines[0].port, '/__sim/state')) as { on: boolean };
      assert.equal(typeof state.on, 'boolean');
      signals.emit('SIGTERM');
      assert.equal(await done, 0);
      assert.deepEqual(err, []);
    });

    it('exits 2 with one line on bad options or an unknown fixture, and lists fixtures', async () => {
      for (const argv of [['--port', '1'], ['--fixture', 'NoSuchDevice_9.9']]) {
        const err: string[] = [];
        assert.equal(await main(argv, { stdout: () => undefined, stderr: (l) => err.push(l) }), 2);
        assert.equal(err.length, 1);
        const [line = ''] = err;
        assert.match(line, /^tapo-sim: /);
        assert.doesNotMatch(line, /\n/);
      }
      const names: string[] = [];
      assert.equal(await main(['--list'], { stdout: (l) => names.push(l), stderr: () => undefined }), 0);
      assert.ok(names.includes('P110(UK)_1.0_1.3.0'));
    });
  });

  it('runs as a process: JSON line, SIGINT, exit code 0', async () => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CLI, '--fixture', 'P110(UK)_1.0_1.3.0', '--port', '0', '--password', 'hunter2'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const lines = createInterface({ input: child.stdout });
    const [first] = (await Promise.race([
      once(lines, 'line'),
      exited.then(([code]) => {
        throw new Error(`tapo-sim exited with ${String(code)} before printing: ${stderr}`);
      }),
    ])) as [string];
    const device = JSON.parse(first);
    assert.deepEqual(Object.keys(device).sort(), ['family', 'fixture', 'host', 'model', 'port', 'scheme', 'url']);
    assert.doesNotMatch(first, /hunter2/);
    assert.equal(((await getJson(device.port, '/__sim/state')) as { on: unknown }).on !== undefined, true);
    child.kill('SIGINT');
    const [code, signal] = await exited;
    lines.close();
    assert.equal(signal, null);
    assert.equal(code, 0);
  });
});
