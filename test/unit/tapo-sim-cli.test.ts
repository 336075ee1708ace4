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

import { startDevice } from '../../src/simulator';
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

    it('reads the event options: --onvif-port, --camera-account USER:PASS, --ring-target HOST:PORT (also in --config)', () => {
      const plan = parseCliArgs([
        '--fixture', 'C101(US)_5.0_1.4.3', '--onvif-port', '0', '--camera-account', 'cam:pa:ss',
        '--fixture', 'D130(US)_1.0_1.1.9', '--ring-target', '127.0.0.1:20005', '--fixture', 'D130(US)_1.0_1.1.9', '--ring-target=[::1]:9',
      ]);
      assert.deepEqual(plan, {
        kind: 'start',
        devices: [
          { fixture: 'C101(US)_5.0_1.4.3', onvifPort: 0, cameraAccount: { username: 'cam', password: 'pa:ss' } },
          { fixture: 'D130(US)_1.0_1.1.9', ringTarget: { host: '127.0.0.1', port: 20005 } },
          { fixture: 'D130(US)_1.0_1.1.9', ringTarget: { host: '::1', port: 9 } },
        ],
      });
      assert.deepEqual(parseCliArgs(['--fixture', 'C101(US)_5.0_1.4.3', '--rtsp-port', '554']), { kind: 'start', devices: [{ fixture: 'C101(US)_5.0_1.4.3', rtspPort: 554 }] });
      assert.deepEqual(parseCliArgs(['--config', 'c.json'], () => '[{"fixture":"C101(US)_5.0_1.4.3","rtspPort":0}]'), { kind: 'start', devices: [{ fixture: 'C101(US)_5.0_1.4.3', rtspPort: 0 }] });
      assert.deepEqual(parseCliArgs(['--fixture', 'C101(US)_5.0_1.4.3', '--rtsp-port', '0', '--rtsp-jpeg', 'rfc-tables']), {
        kind: 'start',
        devices: [{ fixture: 'C101(US)_5.0_1.4.3', rtspPort: 0, rtspJpegForm: 'rfc-tables' }],
      });
      assert.deepEqual(parseCliArgs(['--config', 'c.json'], () => '[{"fixture":"C101(US)_5.0_1.4.3","rtspJpegForm":"rfc"}]'), { kind: 'start', devices: [{ fixture: 'C101(US)_5.0_1.4.3', rtspJpegForm: 'rfc' }] });
      const config = JSON.stringify([{ fixture: 'C101(US)_5.0_1.4.3', onvifPort: 2020, cameraAccount: 'u:p', ringTarget: 'localhost:20005' }]);
      assert.deepEqual(parseCliArgs(['--config', 'c.json'], () => config), {
        kind: 'start',
        devices: [{ fixture: 'C101(US)_5.0_1.4.3', onvifPort: 2020, cameraAccount: { username: 'u', password: 'p' }, ringTarget: { host: 'localhost', port: 20005 } }],
      });
      const cases: [string[], RegExp][] = [
        [['--fixture', 'X', '--camera-account', 'nopassword'], /--camera-account must be USER:PASSWORD/],
        [['--fixture', 'X', '--camera-account', ':p'], /USER:PASSWORD/],
        [['--fixture', 'X', '--ring-target', '127.0.0.1'], /--ring-target must be HOST:PORT/],
        [['--fixture', 'X', '--ring-target', 'h:0'], /HOST:PORT/],
        [['--fixture', 'X', '--onvif-port', '70000'], /--onvif-port must be an integer from 0 to 65535/],
        [['--fixture', 'X', '--rtsp-port', '-1'], /--rtsp-port must be an integer from 0 to 65535/],
        [['--fixture', 'X', '--rtsp-jpeg', 'mjpeg'], /--rtsp-jpeg must be tapo, rfc, rfc-tables/],
      ];
      for (const [argv, message] of cases) assert.throws(() => parseCliArgs(argv), message, argv.join(' '));
    });

    it('reads `trigger`: the event, --port, --host, --end and --socket', () => {
      assert.deepEqual(parseCliArgs(['trigger', '--port', '19443', 'motion']), {
        kind: 'trigger',
        trigger: { host: '127.0.0.1', port: 19443, action: 'detect', body: { type: 'motion' } },
      });
      assert.deepEqual(parseCliArgs(['trigger', 'person', '--end', '--port=19443', '--host', '127.0.0.2']), {
        kind: 'trigger',
        trigger: { host: '127.0.0.2', port: 19443, action: 'detect', body: { type: 'person', active: false } },
      });
      assert.deepEqual(parseCliArgs(['trigger', '--port', '19081', 'ring']).kind, 'trigger');
      assert.deepEqual(parseCliArgs(['trigger', '--port', '19081', 'press', '--socket', '2']), {
        kind: 'trigger',
        trigger: { host: '127.0.0.1', port: 19081, action: 'press', body: { socket: 2 } },
      });
      const cases: [string[], RegExp][] = [
        [['trigger', 'motion'], /trigger needs --port/],
        [['trigger', '--port', '1'], /trigger needs an event: one of motion, person/],
        [['trigger', '--port', '1', 'fire'], /got "fire"/],
        [['trigger', '--port', '1', 'ring', '--end'], /--end is for detections/],
        [['trigger', '--port', '1', 'motion', '--socket', '1'], /--socket is for press/],
        [['trigger', '--port', '1', 'motion', 'person'], /unknown option "person"/],
      ];
      for (const [argv, message] of cases) assert.throws(() => parseCliArgs(argv), (err: unknown) => err instanceof CliUsageError && message.test(err.message), argv.join(' '));
    });

    it('reads `trigger --child`: a hub child (position or name) and its event', () => {
      assert.deepEqual(parseCliArgs(['trigger', '--port', '19080', '--child', '2', 'open']), {
        kind: 'trigger',
        trigger: { host: '127.0.0.1', port: 19080, action: 'trigger-child', body: { child: 2, event: 'open' } },
      });
      assert.deepEqual(parseCliArgs(['trigger', '--port', '19080', '--child', 'Desk button', 'rotate-left']), {
        kind: 'trigger',
        trigger: { host: '127.0.0.1', port: 19080, action: 'trigger-child', body: { child: 'Desk button', event: 'rotate-left' } },
      });
      assert.throws(() => parseCliArgs(['trigger', '--port', '1', '--child', '1', 'person']), /trigger --child needs an event: one of motion, clear, open/);
      assert.throws(() => parseCliArgs(['trigger', '--child', '1', 'open']), /trigger needs --port/);
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

    it('prints onvifPort and rtspPort in the JSON line of a camera that serves ONVIF and RTSP, never the camera password', async () => {
      const out: string[] = [];
      const signals = new EventEmitter();
      const printed = new EventEmitter();
      const io = {
        stdout: (line: string) => {
          out.push(line);
          printed.emit('line');
        },
        stderr: () => undefined,
      };
      const done = main(['--fixture', 'C101(US)_5.0_1.4.3', '--onvif-port', '0', '--rtsp-port', '0', '--camera-account', 'cam:s3cret-cam'], io, signals);
      while (out.length < 1) await once(printed, 'line');
      const line = JSON.parse(out[0]!);
      assert.equal(typeof line.onvifPort, 'number');
      assert.notEqual(line.onvifPort, line.port);
      assert.equal(typeof line.rtspPort, 'number');
      assert.notEqual(line.rtspPort, line.onvifPort);
      assert.doesNotMatch(out[0]!, /s3cret-cam/);
      signals.emit('SIGTERM');
      assert.equal(await done, 0);
    });

    it('trigger POSTs to a running device (HTTP plug, HTTPS camera) and prints its reply; refusals exit 1', async () => {
      const camera = await startDevice({ fixture: 'C101(US)_5.0_1.4.3', onvifPort: 0 });
      const plug = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0' });
      try {
        const run = async (argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> => {
          const out: string[] = [];
          const err: string[] = [];
          const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
          return { code, out, err };
        };
        const motion = await run(['trigger', '--port', String(camera.port), 'motion']);
        assert.equal(motion.code, 0, motion.err.join('\n'));
        assert.equal(JSON.parse(motion.out[0]!).changed, true);
        assert.deepEqual((camera.logic as { state: { activeDetections: string[] } }).state.activeDetections, ['motion']);
        assert.equal((await run(['trigger', '--port', String(camera.port), 'motion', '--end'])).code, 0);
        assert.deepEqual((camera.logic as { state: { activeDetections: string[] } }).state.activeDetections, []);

        const on = (plug.logic as { state: { on: boolean } }).state.on;
        const press = await run(['trigger', '--port', String(plug.port), 'press']);
        assert.deepEqual(JSON.parse(press.out[0]!), { on: !on });

        const refused = await run(['trigger', '--port', String(camera.port), 'ring']);
        assert.equal(refused.code, 1);
        assert.equal(refused.err.length, 1);
        assert.match(refused.err[0]!, /^tapo-sim: 127\.0\.0\.1:\d+ refused ring: C101 is not a doorbell/);
      } finally {
        await Promise.all([camera.stop(), plug.stop()]);
      }
      const gone = await main(['trigger', '--port', String(plug.port), 'press'], { stdout: () => undefined, stderr: () => undefined });
      assert.equal(gone, 1);
    });

    it('trigger --child advances a hub child (H100 over HTTP, H200 over HTTPS); an event the child cannot have exits 1', async () => {
      const h100 = await startDevice({ fixture: 'H100(EU)_1.0_1.5.5' });
      const h200 = await startDevice({ fixture: 'H200(US)_1.0_1.3.6' });
      try {
        const run = async (argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> => {
          const out: string[] = [];
          const err: string[] = [];
          const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
          return { code, out, err };
        };
        const before = h100.hubChildren!.state.find((c) => c.model === 'T110')!;
        const open = await run(['trigger', '--port', String(h100.port), '--child', String(before.position), 'open']);
        assert.equal(open.code, 0, open.err.join('\n'));
        assert.equal(JSON.parse(open.out[0]!).open, true);
        assert.equal(h100.hubChildren!.state.find((c) => c.model === 'T110')!.lastLogId, (JSON.parse(open.out[0]!) as { lastLogId: number }).lastLogId);
        assert.ok((JSON.parse(open.out[0]!) as { lastLogId: number }).lastLogId > before.lastLogId);
        const turned = await run(['trigger', '--port', String(h200.port), '--child', 'Front door', 'open']);
        assert.equal(turned.code, 0, turned.err.join('\n'));
        assert.equal(h200.hubChildren!.state[2]?.open, true);
        const refused = await run(['trigger', '--port', String(h100.port), '--child', 'Front door', 'click']);
        assert.equal(refused.code, 1);
        assert.match(refused.err[0] ?? '', /a T110 takes open, close/);
      } finally {
        await Promise.all([h100.stop(), h200.stop()]);
      }
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
