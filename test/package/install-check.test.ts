/**
 * The package as a user gets it: packed from a clean copy of the working tree, installed into a
 * fresh Node-RED user directory the way the palette manager installs it, and loaded by a real
 * Node-RED (the one in our devDependencies) listening on 127.0.0.1.
 *
 * 1. The tracked and untracked-but-not-ignored files are copied to a temporary folder (a clean
 *    clone: no dist/, no build output of ours), node_modules is linked in, and `npm pack` runs
 *    there, so the `prepare` script has to build dist/ itself, as on `npm publish` and on an
 *    install from a git URL.
 * 2. The tarball is installed into an empty user directory with the palette manager's own npm
 *    arguments (@node-red/registry lib/installer.js) plus `--prefer-offline`: our runtime
 *    dependencies come from the npm cache or the registry.
 * 3. Node-RED starts on a free port bound to 127.0.0.1 (uiHost in a settings file). Its core nodes
 *    are reached through a link inside the temporary folder, so it does not also load the dev
 *    dependencies beside it (Dashboard 2): it sees what a user's install sees, Node-RED and us.
 * 4. `GET /nodes` (Accept: application/json) must list our five node types, enabled, without
 *    `err`, and the log must have no warning or error beyond Node-RED's own start-up notices.
 *
 * Everything is removed afterwards and Node-RED is stopped, whatever happened.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  'node-red': { nodes: Record<string, string> };
};
const OUR_TYPES = Object.keys(pkg['node-red'].nodes);

/** The palette manager's `npm install` arguments (Node-RED 4, @node-red/registry lib/installer.js). */
const PALETTE_INSTALL_ARGS = ['--no-audit', '--no-update-notifier', '--no-fund', '--save', '--save-prefix=~', '--omit=dev', '--engine-strict'];

/** Node-RED's own start-up notices in a fresh user directory; any other warning fails the test. */
const NODE_RED_NOTICES = [/Projects disabled/, /Encrypted credentials not found/];

/**
 * The environment for a child npm: without the `npm_*` variables that `npm test` sets for its
 * script (they would make the child act on this package's configuration).
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] = value;
  }
  return env;
}

/** Runs a command to completion; throws with its output when it fails. */
function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env: childEnv(), encoding: 'utf8', timeout: timeoutMs });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${String(result.status)} in ${cwd}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** Folders of a checkout that a clean clone does not have (build output, installs, demo data). */
const NOT_IN_A_CLONE = new Set(['.git', 'node_modules', 'dist', '.node-red-user', '.demo', 'test-artifacts']);

/**
 * The files a clean clone would have: tracked and untracked-but-not-ignored files (so a new file
 * not yet committed is packed too), never node_modules. Without git (a checkout copied rather
 * than cloned), every file outside {@link NOT_IN_A_CLONE}.
 */
function cleanCloneFiles(): string[] {
  const git = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (git.status === 0) {
    return git.stdout
      .split('\0')
      .filter((f) => f !== '' && !NOT_IN_A_CLONE.has(f.split('/')[0] ?? '') && fs.existsSync(path.join(root, f)));
  }
  const walk = (rel: string): string[] =>
    fs.readdirSync(path.join(root, rel), { withFileTypes: true }).flatMap((e) => {
      const file = rel === '' ? e.name : `${rel}/${e.name}`;
      if (rel === '' && NOT_IN_A_CLONE.has(e.name)) return [];
      return e.isDirectory() ? walk(file) : [file];
    });
  return walk('');
}

/** A TCP port on 127.0.0.1 that was free a moment ago (Node-RED cannot listen on port 0). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Node-RED's answer for one node set in `GET /nodes`. */
interface NodeSet {
  id: string;
  module: string;
  types: string[];
  enabled: boolean;
  err?: unknown;
  version?: string;
}

describe('package: packed from a clean copy, installed and loaded by Node-RED', function () {
  this.timeout(60_000);
  let tmp = '';
  let tarball = '';
  let tarFiles: string[] = [];
  let userDir = '';
  let installOutput = '';
  let child: ChildProcess | undefined;
  let log = '';
  let base = '';

  before(async function () {
    this.timeout(240_000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapo-install-check-'));

    // 1. A clean copy, packed with its own build.
    const src = path.join(tmp, 'src');
    for (const file of cleanCloneFiles()) {
      fs.mkdirSync(path.dirname(path.join(src, file)), { recursive: true });
      fs.copyFileSync(path.join(root, file), path.join(src, file));
    }
    assert.ok(!fs.existsSync(path.join(src, 'dist')), 'the copy has no dist/');
    fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules')), path.join(src, 'node_modules'), 'dir');
    const out = path.join(tmp, 'out');
    fs.mkdirSync(out);
    run('npm', ['pack', '--pack-destination', out], src);
    const tgz = fs.readdirSync(out).filter((f) => f.endsWith('.tgz'));
    assert.equal(tgz.length, 1, `npm pack made ${tgz.join(', ')}`);
    tarball = path.join(out, tgz[0]!);
    tarFiles = run('tar', ['-tzf', tarball], tmp)
      .stdout.split('\n')
      .filter((f) => f !== '')
      .map((f) => f.replace(/^package\//, ''));

    // 2. A fresh user directory, as Node-RED creates it, and the palette manager's install.
    userDir = path.join(tmp, 'user');
    fs.mkdirSync(userDir);
    fs.writeFileSync(
      path.join(userDir, 'package.json'),
      JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 2),
    );
    const install = run('npm', ['install', ...PALETTE_INSTALL_ARGS, '--prefer-offline', tarball], userDir, 180_000);
    installOutput = `${install.stdout}\n${install.stderr}`;

    // 3. Node-RED on 127.0.0.1, seeing only its core nodes and the user directory.
    const coreNodes = path.join(tmp, 'core', 'nodes');
    fs.mkdirSync(path.dirname(coreNodes));
    fs.symlinkSync(path.dirname(require.resolve('@node-red/nodes/package.json')), coreNodes, 'dir');
    const settingsFile = path.join(tmp, 'settings.js');
    fs.writeFileSync(
      settingsFile,
      `module.exports = ${JSON.stringify(
        {
          uiHost: '127.0.0.1',
          flowFile: 'flows.json',
          credentialSecret: 'install-check',
          coreNodesDir: coreNodes,
          editorTheme: { tours: false, projects: { enabled: false } },
          diagnostics: { enabled: false },
          telemetry: { enabled: false },
          externalModules: { autoInstall: false, palette: { allowInstall: false } },
          logging: { console: { level: 'info', metrics: false, audit: false } },
        },
        null,
        2,
      )};\n`,
    );
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const red = require.resolve('node-red/red.js');
    const proc = spawn(process.execPath, [red, '-u', userDir, '-p', String(port), '-s', settingsFile], {
      cwd: tmp,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Node-RED did not start its flows within 60 s:\n${log}`)), 60_000);
      const onData = (chunk: Buffer): void => {
        log += chunk.toString();
        if (log.includes('Started flows')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Node-RED exited with ${String(code)}:\n${log}`));
      });
    });
  });

  after(async function () {
    this.timeout(30_000);
    const proc = child;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGINT');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the tarball holds the built nodes, their editor files, LICENSE, CHANGELOG, README and its image', () => {
    for (const type of OUR_TYPES) {
      const js = pkg['node-red'].nodes[type]!;
      for (const file of [js, js.replace(/\.js$/, '.html'), `dist/nodes/${type}.js`, `nodes/locales/en-US/${type}.json`, `nodes/locales/en-US/${type}.html`]) {
        assert.ok(tarFiles.includes(file), `${file} is not in the tarball`);
      }
    }
    for (const file of ['package.json', 'LICENSE', 'README.md', 'CHANGELOG.md', 'docs/dashboard.png', 'dist/index.js', 'dist/index.d.ts', 'bin/tapo.js', 'bin/tapo-sim.js']) {
      assert.ok(tarFiles.includes(file), `${file} is not in the tarball`);
    }
    const examples = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'));
    for (const ex of examples) assert.ok(tarFiles.includes(`examples/${ex}`), `examples/${ex} is not in the tarball`);
  });

  it('the tarball has no source maps, TypeScript sources, demo, benchmarks or tests', () => {
    const unwanted = tarFiles.filter(
      (f) =>
        f.endsWith('.map') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
        f.startsWith('dist/demo/') ||
        f.startsWith('src/demo/') ||
        f.startsWith('bench/') ||
        f.startsWith('test/') ||
        f.startsWith('.ci/'),
    );
    assert.deepEqual(unwanted, []);
    const withMapComment = tarFiles
      .filter((f) => f.startsWith('dist/') && f.endsWith('.js'))
      .filter((f) => /sourceMappingURL/.test(fs.readFileSync(path.join(userDir, 'node_modules', pkg.name, f), 'utf8')));
    assert.deepEqual(withMapComment, [], 'compiled files point at source maps that are not shipped');
  });

  it('npm installs it as the palette manager does, with only our runtime dependencies', () => {
    const installed = path.join(userDir, 'node_modules', pkg.name);
    assert.ok(fs.existsSync(path.join(installed, 'dist', 'nodes', 'tapo-device.js')), installOutput);
    for (const dep of Object.keys(pkg.dependencies)) {
      assert.ok(fs.existsSync(path.join(userDir, 'node_modules', dep, 'package.json')), `${dep} was not installed`);
    }
    const top = fs
      .readdirSync(path.join(userDir, 'node_modules'))
      .filter((d) => !d.startsWith('.'))
      .flatMap((d) => (d.startsWith('@') ? fs.readdirSync(path.join(userDir, 'node_modules', d)).map((s) => `${d}/${s}`) : [d]))
      .sort();
    assert.deepEqual(top, [pkg.name, ...Object.keys(pkg.dependencies)].sort(), 'no dev or optional peer dependency is installed');
    const userPkg = JSON.parse(fs.readFileSync(path.join(userDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    assert.ok(userPkg.dependencies?.[pkg.name], 'the user directory lists the package, as the palette manager saves it');
  });

  it('GET /nodes lists every node type of the package, enabled and loaded without error', async () => {
    const res = await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200);
    const sets = ((await res.json()) as NodeSet[]).filter((s) => s.module === pkg.name);
    assert.deepEqual(sets.flatMap((s) => s.types).sort(), [...OUR_TYPES].sort());
    for (const set of sets) {
      assert.equal(set.err, undefined, `${set.id}: ${String(set.err)}`);
      assert.equal(set.enabled, true, `${set.id} is disabled`);
      assert.equal(set.version, pkg.version);
    }
  });

  it('the editor gets our node definitions, help and icons', async () => {
    const html = await (await fetch(`${base}/nodes`, { headers: { Accept: 'text/html' } })).text();
    for (const type of OUR_TYPES) {
      assert.match(html, new RegExp(`registerType\\(\\s*'${type}'`), `${type} is not registered in the editor`);
      assert.match(html, new RegExp(`data-help-name="${type}"`), `${type} has no help`);
    }
    const icons = fs.readdirSync(path.join(root, 'nodes', 'icons'));
    assert.ok(icons.length > 0);
    for (const icon of icons) {
      const res = await fetch(`${base}/icons/${pkg.name}/${icon}`);
      assert.equal(res.status, 200, `icon ${icon}`);
      assert.match(res.headers.get('content-type') ?? '', /svg/);
    }
  });

  it("Node-RED's log has no warning or error about the package (nor any other beyond its start-up notices)", () => {
    const lines = log.split('\n');
    const flagged = lines.filter((l) => /\[(warn|error)\]/.test(l) && !NODE_RED_NOTICES.some((n) => n.test(l)));
    assert.deepEqual(flagged, [], log);
    assert.doesNotMatch(log, /Cannot find module|Waiting for missing types|Missing node modules/, log);
  });

  it('the tapo and tapo-sim commands run from the install', () => {
    const bin = path.join(userDir, 'node_modules', '.bin');
    const help = run(path.join(bin, 'tapo'), ['--help'], userDir, 30_000);
    assert.match(help.stdout + help.stderr, /usage/i);
    const list = run(path.join(bin, 'tapo-sim'), ['--list'], userDir, 30_000);
    assert.match(list.stdout, /P110\(UK\)_1\.0_1\.3\.0/);
  });
});
