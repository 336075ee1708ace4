/**
 * The Node-RED Flow Library scorecard, checked offline on package.json, nodes/ and examples/.
 *
 * The rules are those of `node-red-dev validate` 0.1.6 (src/libs/checkpackage.js, checknodes.js,
 * checkdeps.js), the tool the Flow Library runs on every published version, and of the
 * Flow Library's scorecard page (node-red/flow-library template/scorecard.html). There are no
 * rules N03–N05: the tool and the page know only N01 and N02.
 *
 * node-red-dev looks some facts up online; here they are checked as far as this machine allows,
 * and each such `it` says "partly":
 * - P02 (name matches repository): the tool would clone the repository; disabled upstream too.
 * - P06, P07: the tool reads Node-RED's dist-tags and engines from the npm registry; here the
 *   Node-RED in our devDependencies and the registry's answer recorded in NODE_RED_LATEST.
 * - P08 (no similarly named package) and N01 (unique node types): the tool reads the Flow Library
 *   catalogue (catalogue.nodered.org), unreachable from here; here the Node-RED modules installed
 *   in node_modules.
 * - D02: the tool resolves the dependency tree from the registry; here package-lock.json.
 * - D03: the tool asks the registry for each dependency's latest version; here LATEST_SEEN.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

/** The part of the `semver` package these checks use (it ships no types). */
interface Semver {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
  validRange(range: string): string | null;
  major(version: string): number;
  compare(a: string, b: string): number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const semver = require('semver') as Semver;

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  homepage?: string;
  repository?: { type?: string; url?: string } | string;
  bugs?: { url?: string; email?: string } | string;
  keywords?: string[];
  engines?: Record<string, string>;
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  'node-red'?: { version?: string; nodes?: Record<string, string> };
}

const root = path.resolve(__dirname, '../..');
const modulesDir = path.join(root, 'node_modules');
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const pkg = readJson<PackageJson>(path.join(root, 'package.json'));
const nodeRed = pkg['node-red'] ?? {};
const unscoped = (name: string): string => name.split('/').slice(-1)[0] ?? name;

/**
 * `npm view node-red@latest version engines` on 2026-12-06. The registry had no maintenance
 * dist-tag then, so `latest` was the only current version P06 compares with.
 */
const NODE_RED_LATEST = { version: '5.0.7', engines: '>=22.9' };

/** `npm view <name> version` on 2026-12-06, for D03. A new dependency must be added here. */
const LATEST_SEEN: Record<string, string> = { undici: '8.14.1', 'node-forge': '1.4.4' };

/**
 * Dependencies knowingly behind their latest major (D03 would flag them), and why. An entry that
 * is no longer behind fails the test, so it cannot outlive its reason.
 */
const KEPT_BEHIND: Record<string, string> = {
  undici:
    'undici 7 needs Node 20.18.1 and undici 8 Node 22.19; Node-RED 4 runs on Node 18 and 20. ' +
    'src/protocol/http.ts is the only importer: moving up is a change there plus engines.node.',
};

/** node-red-dev 0.1.6 src/badpackages.json: packages known to break Node-RED, by version range. */
const BAD_PACKAGES: Record<string, string> = { 'agent-base': '<6.0.0' };

/** node-red-dev's test for a git URL (checkpackage.js `isGitUrl`). */
const GIT_URL = /(?:git|ssh|https?|git@[-\w.]+):(\/\/)?(.*?)(\/?|#[-\d\w._]+?)$/;

/** The repository URL, whether package.json gives a string or an object. */
function repositoryUrl(): string {
  const repo = pkg.repository;
  return (typeof repo === 'string' ? repo : repo?.url) ?? '';
}

/** `owner/name` of a GitHub repository URL, or undefined. */
function githubSlug(url: string): string | undefined {
  const m = /github\.com[/:]([^/]+)\/([^/#?]+?)(?:\.git)?(?:[/#?].*)?$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** Every installed package (node_modules/x and node_modules/@scope/x) with a `node-red` section, but us. */
function installedNodeRedModules(): { name: string; dir: string; pkg: PackageJson }[] {
  const dirs = fs.readdirSync(modulesDir).flatMap((d) => {
    if (d.startsWith('.')) return [];
    if (d.startsWith('@')) return fs.readdirSync(path.join(modulesDir, d)).map((s) => path.join(modulesDir, d, s));
    return [path.join(modulesDir, d)];
  });
  return dirs.flatMap((dir) => {
    const file = path.join(dir, 'package.json');
    if (!fs.existsSync(file)) return [];
    const p = readJson<PackageJson>(file);
    return p['node-red'] && p.name !== pkg.name ? [{ name: p.name, dir, pkg: p }] : [];
  });
}

/** Node types registered by an editor file (the string literal given to `registerType`). */
function typesIn(htmlFile: string): string[] {
  const html = fs.readFileSync(htmlFile, 'utf8');
  return [...html.matchAll(/registerType\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
}

/** Every `.html` file under a folder. */
function htmlFilesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return htmlFilesUnder(full);
    return e.name.endsWith('.html') ? [full] : [];
  });
}

/** What the editor would get from `RED.nodes.registerType(type, definition)`. */
interface NodeDefinition {
  category?: unknown;
  icon?: unknown;
  color?: unknown;
  inputs?: unknown;
  outputs?: unknown;
  defaults?: Record<string, unknown>;
}

/**
 * Runs the `text/javascript` blocks of one of our editor files (found with node-red-dev's own
 * pattern) against a stand-in `RED`, and returns the definitions they register.
 */
function definitionsIn(htmlFile: string): Record<string, NodeDefinition> {
  const html = fs.readFileSync(htmlFile, 'utf8');
  const scripts = [...html.matchAll(/<script.+?type=['"]text\/javascript['"].*?>([\S\s]*?)<\/script>/gi)].map((m) => m[1] as string);
  assert.ok(scripts.length > 0, `${htmlFile}: no <script type="text/javascript"> block`);
  const defs: Record<string, NodeDefinition> = {};
  // Anything the scripts touch besides registerType (RED.validators, $, …) answers with itself.
  const anything: unknown = new Proxy(function () {}, {
    get: (_t, key) => (key === Symbol.toPrimitive ? () => '' : anything),
    apply: () => anything,
    construct: () => anything as object,
  });
  const nodes = new Proxy({} as Record<string | symbol, unknown>, {
    get: (_t, key) =>
      key === 'registerType'
        ? (type: string, def: NodeDefinition) => {
            defs[type] = def;
          }
        : anything,
  });
  const RED = new Proxy({} as Record<string | symbol, unknown>, { get: (_t, key) => (key === 'nodes' ? nodes : anything) });
  for (const script of scripts) vm.runInNewContext(script, { RED, $: anything, jQuery: anything, window: anything, document: anything });
  return defs;
}

const nodeFiles = Object.entries(nodeRed.nodes ?? {});
const definitions: Record<string, NodeDefinition> = Object.assign(
  {},
  ...nodeFiles.map(([, js]) => definitionsIn(path.join(root, js.replace(/\.js$/, '.html')))),
) as Record<string, NodeDefinition>;

/** Every example file (node-red-dev reads every .json under examples/, at any depth). */
function exampleFiles(dir = path.join(root, 'examples')): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return exampleFiles(full);
    return path.extname(e.name) === '.json' ? [full] : [];
  });
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  dependencies?: Record<string, string>;
}
const lock = readJson<{ packages: Record<string, LockEntry> }>(path.join(root, 'package-lock.json'));

/** The packages installed for users: lock entries that are not dev-only, keyed by path. */
function runtimeTree(): Record<string, LockEntry> {
  return Object.fromEntries(Object.entries(lock.packages).filter(([key, e]) => key !== '' && !e.dev && !e.devOptional));
}

describe('Flow Library scorecard (node-red-dev validate rules, offline)', () => {
  describe('package', () => {
    it('P01 has a licence, and LICENSE holds that licence', () => {
      assert.equal(pkg.license, 'MIT');
      const text = fs.readFileSync(path.join(root, 'LICENSE'), 'utf8');
      assert.match(text, /^MIT License/);
      assert.match(text, /Copyright \(c\) 2026 the @tapo-local\/node-red-tapo authors/);
      assert.match(text, /THE SOFTWARE IS PROVIDED "AS IS"/);
    });

    it('P02 (partly: the repository is not cloned) the repository is a GitHub git URL whose name is the package name', () => {
      const url = repositoryUrl();
      assert.match(url, GIT_URL);
      const slug = githubSlug(url);
      assert.ok(slug, `not a GitHub repository: ${url}`);
      assert.equal(slug.split('/')[1], unscoped(pkg.name));
    });

    it('P03 gives a repository, a bugs URL and a homepage, all of the same repository', () => {
      const slug = githubSlug(repositoryUrl());
      assert.ok(slug);
      const bugs = typeof pkg.bugs === 'string' ? pkg.bugs : pkg.bugs?.url;
      assert.equal(bugs, `https://github.com/${slug}/issues`);
      assert.ok(pkg.homepage?.startsWith(`https://github.com/${slug}`), `homepage ${String(pkg.homepage)}`);
    });

    it('P04 uses a scoped name', () => {
      assert.match(pkg.name, /@[a-z\d][\w-.]+\/[a-z\d][\w-.]*/);
      assert.equal(pkg.name, '@tapo-local/node-red-tapo');
    });

    it('P05 has the node-red keyword', () => {
      assert.ok(pkg.keywords?.includes('node-red'), `keywords: ${String(pkg.keywords)}`);
    });

    it('P06 (partly: dist-tags recorded, not fetched) node-red.version admits the Node-RED we test with and the latest release', () => {
      const range = nodeRed.version;
      assert.ok(range && semver.validRange(range), `node-red.version ${String(range)}`);
      const tested = readJson<PackageJson>(path.join(modulesDir, 'node-red', 'package.json')).version;
      for (const version of [tested, NODE_RED_LATEST.version]) {
        assert.ok(semver.satisfies(version, range), `Node-RED ${version} is outside node-red.version ${range}`);
      }
    });

    it("P07 (partly: engines recorded, not fetched) engines.node admits the minimum Node of Node-RED's latest release", () => {
      const range = pkg.engines?.node;
      assert.ok(range && semver.validRange(range), `engines.node ${String(range)}`);
      const min = semver.minVersion(NODE_RED_LATEST.engines);
      assert.ok(min);
      assert.ok(semver.satisfies(min.version, range), `Node ${min.version} (Node-RED ${NODE_RED_LATEST.version}) is outside engines.node ${range}`);
    });

    it('P08 (partly: the catalogue is not reachable) no installed Node-RED module has our unscoped name', () => {
      const same = installedNodeRedModules().filter((m) => unscoped(m.name) === unscoped(pkg.name));
      assert.deepEqual(same.map((m) => m.name), []);
    });
  });

  describe('nodes', () => {
    it('N01 (partly: the catalogue is not reachable) our node types are ours alone among Node-RED core and the installed modules', () => {
      const ours = Object.keys(definitions);
      assert.deepEqual([...ours].sort(), nodeFiles.map(([type]) => type).sort(), 'node-red.nodes and registerType agree');
      for (const type of ours) assert.match(type, /^tapo-/);
      const coreDir = path.join(path.dirname(require.resolve('@node-red/nodes/package.json')), 'core');
      const taken = new Map<string, string>();
      for (const file of htmlFilesUnder(coreDir)) for (const t of typesIn(file)) taken.set(t, 'Node-RED core');
      for (const mod of installedNodeRedModules()) {
        for (const js of Object.values(mod.pkg['node-red']?.nodes ?? {})) {
          const html = path.join(mod.dir, js.replace(/\.js$/, '.html'));
          if (fs.existsSync(html)) for (const t of typesIn(html)) taken.set(t, mod.name);
        }
      }
      assert.ok(taken.has('inject') && taken.has('ui-button'), 'the scan found core and Dashboard 2 types');
      const clashes = ours.filter((t) => taken.has(t)).map((t) => `${t} (${String(taken.get(t))})`);
      assert.deepEqual(clashes, []);
    });

    it('N02 every node except config nodes is used in an example', () => {
      const files = exampleFiles();
      assert.ok(files.length > 0, 'no examples/');
      const used = new Set(files.flatMap((f) => readJson<{ type: string }[]>(f).map((n) => n.type)));
      const needed = Object.entries(definitions).filter(([, d]) => d.category !== 'config').map(([t]) => t);
      assert.equal(needed.length, 7);
      assert.deepEqual(needed.filter((t) => !used.has(t)), []);
    });
  });

  describe('dependencies', () => {
    it('D01 has at most 6 dependencies', () => {
      const count = Object.keys(pkg.dependencies ?? {}).length;
      assert.ok(count <= 6, `${count} dependencies`);
    });

    it('D02 (partly: the tree comes from package-lock.json, not the registry) no known incompatible package is installed for users', () => {
      const tree = runtimeTree();
      const names = Object.keys(tree).map((key) => key.replace(/^.*node_modules\//, ''));
      for (const dep of Object.keys(pkg.dependencies ?? {})) assert.ok(names.includes(dep), `${dep} is not in the lock`);
      const bad = Object.entries(tree)
        .map(([key, e]) => ({ name: key.replace(/^.*node_modules\//, ''), version: e.version ?? '' }))
        .filter(({ name, version }) => BAD_PACKAGES[name] !== undefined && semver.satisfies(version, BAD_PACKAGES[name]));
      assert.deepEqual(bad, []);
    });

    it('D03 (partly: latest versions recorded, not fetched) dependencies take their latest version, or say why not', () => {
      for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
        const locked = lock.packages[`node_modules/${name}`]?.version;
        assert.ok(locked && semver.satisfies(locked, range), `${name}: locked ${String(locked)} is outside ${range}`);
        const latest = LATEST_SEEN[name];
        assert.ok(latest, `${name}: look up its latest version (npm view ${name} version) and add it to LATEST_SEEN`);
        // node-red-dev (npm-check's easyUpgrade): the latest version is inside the range, no major bump.
        const easy = semver.satisfies(latest, range) && semver.major(latest) === semver.major(locked);
        if (KEPT_BEHIND[name] !== undefined) assert.ok(!easy, `${name} is up to date now: remove it from KEPT_BEHIND`);
        else assert.ok(easy, `${name} ${range} misses the latest ${latest}: move up, or say why in KEPT_BEHIND`);
      }
    });
  });

  describe('beyond the scorecard', () => {
    it('engines.node is the strictest Node that our runtime dependencies need, and the README says so', () => {
      const mins = Object.keys(pkg.dependencies ?? {}).map((dep) => {
        const engines = readJson<PackageJson>(path.join(modulesDir, dep, 'package.json')).engines?.node ?? '*';
        return semver.minVersion(engines)?.version ?? '0.0.0';
      });
      const strictest = mins.sort(semver.compare).at(-1) ?? '0.0.0';
      const ours = semver.minVersion(pkg.engines?.node ?? '*')?.version;
      assert.equal(ours, strictest, 'engines.node claims less, or more, than the dependencies need');
      const [major, minor] = strictest.split('.');
      assert.match(fs.readFileSync(path.join(root, 'README.md'), 'utf8'), new RegExp(`Node ${major}\\.${minor} or later`));
    });

    it('every node has its runtime file, editor file, en-US messages and help, a palette colour and an icon that exists', () => {
      for (const [type, js] of nodeFiles) {
        for (const file of [js, js.replace(/\.js$/, '.html'), `nodes/locales/en-US/${type}.json`, `nodes/locales/en-US/${type}.html`]) {
          assert.ok(fs.existsSync(path.join(root, file)), `${type}: ${file} is missing`);
        }
        const def = definitions[type];
        assert.ok(def, `${type} is not registered by its editor file`);
        if (def.category === 'config') continue;
        assert.equal(def.category, 'tapo');
        assert.match(String(def.color), /^#[0-9A-Fa-f]{6}$/);
        assert.equal(typeof def.icon, 'string');
        assert.ok(fs.existsSync(path.join(root, 'nodes', 'icons', String(def.icon))), `${type}: icon ${String(def.icon)} is not in nodes/icons`);
      }
    });

    it('README images are absolute https URLs of files in this repository (the Flow Library does not resolve relative ones)', () => {
      const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
      const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
      assert.ok(images.length > 0);
      const slug = githubSlug(repositoryUrl());
      for (const url of images) {
        const m = new RegExp(`^https://raw\\.githubusercontent\\.com/${slug ?? ''}/main/(.+)$`).exec(url);
        assert.ok(m, `${url} is not an absolute URL of ${String(slug)}`);
        assert.ok(fs.existsSync(path.join(root, m[1] as string)), `${m[1]} is not in the repository`);
        assert.ok(pkg.files?.includes(m[1] as string), `${m[1]} is not in package.json files`);
      }
    });

    it("README: install first, with the Node-RED editor's own menu labels, then the demo's two commands", () => {
      const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
      const sections = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
      assert.deepEqual(sections.slice(0, 2), ['Install', 'Try it without a device']);
      const install = readme.slice(readme.indexOf('## Install'), readme.indexOf('## Try it without a device'));
      const demo = readme.slice(readme.indexOf('## Try it without a device'), readme.indexOf(`## ${String(sections[2])}`));
      // The labels the Node-RED editor shows (its en-US catalog), in the order a user clicks them.
      const editor = readJson<{
        menu: { label: { editPalette: string; import: string } };
        palette: { editor: { 'tab-install': string } };
        library: { types: { examples: string } };
      }>(require.resolve('@node-red/editor-client/locales/en-US/editor.json'));
      const palettePath = `Menu (☰) > ${editor.menu.label.editPalette} > ${editor.palette.editor['tab-install']}`;
      const examplesPath = `Menu (☰) > ${editor.menu.label.import} > ${editor.library.types.examples} > flows > ${pkg.name}`;
      assert.ok(install.includes(palettePath), `the install section does not say ${palettePath}`);
      assert.ok(install.includes(`search for\n\`${pkg.name}\``) || install.includes(`search for \`${pkg.name}\``));
      assert.ok(install.includes(`npm install ${pkg.name}`));
      assert.ok(install.includes('~/.node-red') && /restart/i.test(install));
      assert.ok(install.includes(examplesPath), `the install section does not say ${examplesPath}`);
      assert.ok(demo.includes('npm install && npm start') && demo.includes('npm install && npm test'));
      // CI runs the README's test command.
      assert.match(fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8'), /^npm test$/m);
    });

    it('Dashboard 2 is an optional peer dependency, never a dependency', () => {
      const dashboard = '@flowfuse/node-red-dashboard';
      assert.equal(pkg.dependencies?.[dashboard], undefined);
      assert.ok(pkg.peerDependencies?.[dashboard]);
      assert.equal(pkg.peerDependenciesMeta?.[dashboard]?.optional, true);
      const installed = readJson<PackageJson>(path.join(modulesDir, dashboard, 'package.json')).version;
      assert.ok(semver.satisfies(installed, pkg.peerDependencies[dashboard]), `the Dashboard we test with (${installed}) is outside the peer range`);
    });
  });
});
