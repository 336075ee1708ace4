/**
 * The example flows (examples/*.json): each one is checked statically (JSON, known node types,
 * the demo's config node ids, its own copies of the config nodes it uses, no secrets), then loaded
 * into Node-RED with node-red-node-test-helper and run against simulated devices on 127.0.0.1.
 * Assertions are on the SIMULATOR's state and on what the flow's own debug nodes receive.
 *
 * The flows are built exactly as `npm start` builds them (`buildDemoFlows` of src/demo/start.ts:
 * one tab per example, `tapo-device` hosts pointed at the simulators, credentials set).
 *
 * Dashboard widgets: the helper runtime has no HTTP front end for FlowFuse Dashboard 2, so its
 * config nodes (ui-base, ui-page, ui-group, ui-theme) are left out and every widget is replaced by
 * a `helper` node with the same id and wires. A test then plays the widget: it `send`s what the
 * widget would send on a click (the button's configured payload, the switch's new value) and
 * listens for what the flow feeds back to it (the switch state, the gauge value). The real widgets
 * are exercised in the browser by test/e2e/editor.test.ts.
 *
 * Inject nodes that fire by themselves (once at start, or on a repeat) and energy polling are
 * turned off in the loaded copy, after checking they are configured, so that every message in a
 * test is one the test triggered.
 *
 * As shipped, the examples contact nothing: every `tapo-device` has an empty host and energy
 * polling is off (`npm start` fills in the hosts and turns on the polling of DEMO_POLL). A test
 * deploys every file as shipped, lets the injects that fire on deploy run, and checks that no
 * socket was opened and no UDP datagram sent: the socket calls are stubbed, so even a regression
 * sends nothing to a LAN address.
 *
 * Needs the compiled nodes (nodes/*.js re-export dist/): run `npm run build` first.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { DEMO_DEVICES, DEMO_PASSWORD, DEMO_POLL, buildDemoFlows, readExamples } from '../../src/demo/start';
import { startDevices } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import type { PlugLogic } from '../../src/simulator/logic/plug';

interface FlowNode {
  id: string;
  type: string;
  z?: string;
  wires?: string[][];
  [key: string]: unknown;
}

type Msg = Record<string, unknown> & { payload?: unknown };

interface HelperNode extends EventEmitter {
  id: string;
  type: string;
  receive(msg: Msg): void;
  send(msg: Msg): void;
}

interface TestHelper {
  init(runtimePath: string): void;
  load(nodes: unknown[], flow: FlowNode[], credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): HelperNode | null;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require('node-red-node-test-helper') as TestHelper;
helper.init(require.resolve('node-red'));

const root = path.resolve(__dirname, '../..');
const examplesDir = path.join(root, 'examples');

interface PackageJson {
  'node-red': { nodes: Record<string, string> };
}
const readPackage = (file: string): PackageJson => JSON.parse(fs.readFileSync(file, 'utf8')) as PackageJson;

/** Our node types, from package.json. */
const OUR_TYPES = Object.keys(readPackage(path.join(root, 'package.json'))['node-red'].nodes);
/** Dashboard 2 node types, from its package.json. */
const DASHBOARD_TYPES = Object.keys(
  readPackage(require.resolve('@flowfuse/node-red-dashboard/package.json'))['node-red'].nodes,
);
const DASHBOARD_CONFIG_TYPES = ['ui-base', 'ui-page', 'ui-group', 'ui-theme', 'ui-link'];

const coreNodesDir = path.dirname(require.resolve('@node-red/nodes/package.json'));
/** Core node files the examples may use, and the types they register (read from their .html). */
const CORE_FILES = [
  'core/common/20-inject.js',
  'core/common/21-debug.js',
  'core/common/25-catch.js',
  'core/common/25-status.js',
  'core/common/90-comment.js',
  'core/common/60-link.js',
  'core/common/05-junction.js',
  'core/function/10-function.js',
  'core/function/10-switch.js',
  'core/function/15-change.js',
  'core/function/16-range.js',
  'core/function/80-template.js',
  'core/function/89-delay.js',
  'core/function/89-trigger.js',
  'core/function/rbe.js',
  'core/storage/10-file.js',
].map((f) => path.join(coreNodesDir, f));
const CORE_TYPES = CORE_FILES.flatMap((file) => {
  const html = fs.readFileSync(file.replace(/\.js$/, '.html'), 'utf8');
  return [...html.matchAll(/RED\.nodes\.registerType\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
}).concat(['tab']);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const coreModules: unknown[] = CORE_FILES.map((file) => require(file) as unknown);
const ourModules: unknown[] = OUR_TYPES.map(
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (type) => require(path.join(root, 'nodes', `${type}.js`)) as unknown,
);

const DEMO_IDS = DEMO_DEVICES.map((d) => d.configId);
const README = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const examples = readExamples(examplesDir);

/** The example whose file name starts with `prefix` (e.g. "01"). */
function example(prefix: string): { file: string; nodes: FlowNode[] } {
  const found = examples.find((e) => e.file.startsWith(`${prefix} - `));
  assert.ok(found, `no example ${prefix} in examples/`);
  return found;
}

/**
 * The flows `npm start` would deploy for one example, made loadable by the test helper: the
 * dashboard's config nodes dropped, its widgets replaced by helper nodes, timers switched off.
 */
function helperFlows(
  ex: { file: string; nodes: FlowNode[] },
  hosts: Record<string, string>,
  rtspPorts: Record<string, number> = {},
): { flows: FlowNode[]; credentials: Record<string, Record<string, string>> } {
  const built = buildDemoFlows([ex], hosts, {}, rtspPorts);
  const flows: FlowNode[] = [];
  for (const node of built.flows as FlowNode[]) {
    if (DASHBOARD_CONFIG_TYPES.includes(node.type)) continue;
    if (DASHBOARD_TYPES.includes(node.type)) {
      const stand: FlowNode = { id: node.id, type: 'helper', wires: node.wires ?? [] };
      if (node.z !== undefined) stand.z = node.z;
      flows.push(stand);
      continue;
    }
    const copy: FlowNode = { ...node };
    if (copy.type === 'inject') {
      copy.once = false;
      copy.repeat = '';
      copy.crontab = '';
    }
    if (copy.type === 'tapo-plug-energy') copy.poll = 0;
    flows.push(copy);
  }
  return { flows, credentials: built.credentials };
}

/** Resolves with the next message `id` receives; rejects after `ms` (a bound, never an assertion). */
function nextInput(id: string, ms = 10_000): Promise<Msg> {
  const node = helper.getNode(id);
  assert.ok(node, `node ${id} is not running`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener('input', onInput);
      reject(new Error(`no message reached ${id} within ${ms} ms`));
    }, ms);
    const onInput = (msg: Msg): void => {
      clearTimeout(timer);
      resolve(msg);
    };
    node.once('input', onInput);
  });
}

/** Resolves with the next `count` messages `id` receives. */
function inputs(id: string, count: number, ms = 10_000): Promise<Msg[]> {
  const node = helper.getNode(id);
  assert.ok(node, `node ${id} is not running`);
  return new Promise((resolve, reject) => {
    const got: Msg[] = [];
    const timer = setTimeout(() => {
      node.removeListener('input', onInput);
      reject(new Error(`${id} received ${got.length} of ${count} messages within ${ms} ms`));
    }, ms);
    const onInput = (msg: Msg): void => {
      got.push(msg);
      if (got.length === count) {
        clearTimeout(timer);
        node.removeListener('input', onInput);
        resolve(got);
      }
    };
    node.on('input', onInput);
  });
}

/** Clicks an inject node (it sends its configured message) and waits for what reaches `target`. */
async function click(injectId: string, target: string): Promise<Msg> {
  const answer = nextInput(target);
  const node = helper.getNode(injectId);
  assert.ok(node, `inject ${injectId} is not running`);
  node.receive({});
  return answer;
}

/** Plays a dashboard widget: sends `payload` from the helper node standing in for it. */
async function widgetSends(widgetId: string, payload: unknown, target: string): Promise<Msg> {
  const answer = nextInput(target);
  const node = helper.getNode(widgetId);
  assert.ok(node, `widget stand-in ${widgetId} is not running`);
  node.send({ payload });
  return answer;
}

function record(value: unknown): Record<string, unknown> {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `expected an object, got ${JSON.stringify(value)}`);
  return value as Record<string, unknown>;
}

describe('example flows', () => {
  it('there are the examples of the issues, numbered in order', () => {
    assert.deepEqual(
      examples.map((e) => e.file.slice(0, 2)),
      ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10'],
    );
    for (const e of examples) assert.match(e.file, /^\d\d - [^/]+\.json$/);
  });

  describe('static checks', () => {
    for (const ex of examples) {
      describe(ex.file, () => {
        const nodes = ex.nodes;
        const byId = new Map(nodes.map((n) => [n.id, n]));

        it('is an array of nodes with unique ids and no tab of its own', () => {
          assert.ok(Array.isArray(nodes) && nodes.length > 0);
          assert.equal(byId.size, nodes.length, 'duplicate ids');
          for (const n of nodes) {
            assert.equal(typeof n.id, 'string');
            assert.equal(typeof n.type, 'string');
          }
          assert.ok(!nodes.some((n) => n.type === 'tab'), 'examples import into the current flow');
        });

        it('uses only known node types (ours, core, dashboard)', () => {
          const known = new Set([...OUR_TYPES, ...CORE_TYPES, ...DASHBOARD_TYPES]);
          const unknown = nodes.filter((n) => !known.has(n.type)).map((n) => `${n.id}: ${n.type}`);
          assert.deepEqual(unknown, []);
        });

        it('has a comment node that says what it shows and how to use a real device', () => {
          const comments = nodes.filter((n) => n.type === 'comment');
          assert.ok(comments.length >= 1);
          const info = comments.map((c) => `${String(c.name)}\n${String(c.info)}`).join('\n');
          assert.match(info, /Host/);
          assert.match(info, /password/i);
          assert.ok(String(comments[0]?.name).length > 10, 'the comment has a title');
        });

        it('carries the demo tapo-device config nodes it uses, with an empty host and no secrets', () => {
          const devices = nodes.filter((n) => n.type === 'tapo-device');
          assert.ok(devices.length >= 1);
          for (const d of devices) {
            assert.ok(DEMO_IDS.includes(d.id), `${d.id} is not a demo config id (${DEMO_IDS.join(', ')})`);
            assert.equal(d.host, '', `${d.id}: the host is empty as shipped, so nothing is contacted on deploy`);
            assert.ok(d.kind === 'plug' || d.kind === 'camera');
            assert.equal(typeof d.scheme, 'string');
            assert.equal(d.credentials, undefined);
            assert.equal(d.z, undefined, 'config nodes are global');
          }
          for (const n of nodes) {
            if (typeof n.device === 'string') {
              assert.ok(byId.get(n.device)?.type === 'tapo-device', `${n.id} uses ${n.device}, not in the file`);
            }
          }
          assert.doesNotMatch(JSON.stringify(nodes), /tapo-sim|"password"\s*:/);
        });

        it('polls nothing as shipped; the demo polls where the comment says to', () => {
          const comment = nodes.filter((n) => n.type === 'comment').map((c) => String(c.info)).join('\n');
          for (const n of nodes.filter((x) => x.type === 'tapo-plug-energy')) {
            assert.equal(Number(n.poll), 0, `${n.id} polls as shipped`);
            const demo = DEMO_POLL[n.id];
            if (demo !== undefined) assert.match(comment, new RegExp(`\\*\\*Poll\\*\\* to ${demo}\\b`), `the comment does not say to set Poll to ${demo}`);
          }
        });

        it('needs only this package, or says in its comment and in the README that it needs Dashboard 2', () => {
          const dashboard = nodes.filter((n) => DASHBOARD_TYPES.includes(n.type));
          const known = new Set([...OUR_TYPES, ...CORE_TYPES]);
          const title = ex.file.replace(/\.json$/, '');
          const row = README.split('\n').find((l) => l.startsWith(`| ${title} |`));
          assert.ok(row, `README's examples table has no row for ${title}`);
          if (dashboard.length === 0) {
            assert.deepEqual(nodes.filter((n) => !known.has(n.type)).map((n) => n.type), []);
            assert.doesNotMatch(row, /Dashboard 2/);
            return;
          }
          const first = nodes.find((n) => n.type === 'comment');
          assert.match(String(first?.name), /needs Dashboard 2/);
          assert.match(String(first?.info), /^\*\*Needs FlowFuse Dashboard 2\*\* \(`@flowfuse\/node-red-dashboard`\)/);
          assert.match(row, /needs Dashboard 2/);
        });

        it('wires and widget groups point at nodes of the file', () => {
          for (const n of nodes) {
            for (const output of (n.wires ?? []) as string[][]) {
              for (const target of output) assert.ok(byId.has(target), `${n.id} is wired to missing ${target}`);
            }
            if (DASHBOARD_TYPES.includes(n.type) && !DASHBOARD_CONFIG_TYPES.includes(n.type)) {
              const group = byId.get(String(n.group));
              assert.equal(group?.type, 'ui-group', `${n.id} has no group in the file`);
              const page = byId.get(String(group?.page));
              assert.equal(page?.type, 'ui-page');
              assert.equal(byId.get(String(page?.ui))?.type, 'ui-base');
            }
            if (n.type !== 'tapo-device' && !DASHBOARD_CONFIG_TYPES.includes(n.type)) {
              assert.equal(typeof n.z, 'string', `${n.id} has no z`);
            }
          }
        });
      });
    }

    it('config nodes shared between examples are identical (npm start keeps the first copy)', () => {
      const seen = new Map<string, { file: string; json: string }>();
      for (const ex of examples) {
        for (const n of ex.nodes) {
          if (n.z !== undefined) continue;
          const json = JSON.stringify(n);
          const first = seen.get(n.id);
          if (first) assert.equal(json, first.json, `${n.id} differs between ${first.file} and ${ex.file}`);
          else seen.set(n.id, { file: ex.file, json });
        }
      }
    });

    it('Dashboard 2 is an optional peer dependency', () => {
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
        peerDependencies?: Record<string, string>;
        peerDependenciesMeta?: Record<string, { optional?: boolean }>;
      };
      assert.ok(pkg.peerDependencies?.['@flowfuse/node-red-dashboard']);
      assert.equal(pkg.peerDependenciesMeta?.['@flowfuse/node-red-dashboard']?.optional, true);
    });

    it('the demo turns on the polling of DEMO_POLL, and only there', () => {
      const { flows } = buildDemoFlows(examples, {});
      const energy = flows.filter((n) => n.type === 'tapo-plug-energy');
      assert.deepEqual(
        energy.filter((n) => Number(n.poll) > 0).map((n) => [n.id, Number(n.poll)]),
        Object.entries(DEMO_POLL),
      );
    });

    it('every demo device is used by some example', () => {
      const used = new Set(examples.flatMap((e) => e.nodes.filter((n) => n.type === 'tapo-device').map((n) => n.id)));
      assert.deepEqual([...used].sort(), [...DEMO_IDS].sort());
    });
  });

  describe('deployed as shipped', function () {
    this.timeout(30_000);
    let sandbox: sinon.SinonSandbox;
    /** Every TCP/TLS connect and UDP send attempted while an example runs (refused, never sent). */
    let attempts: string[] = [];

    beforeEach(() => {
      attempts = [];
      sandbox = sinon.createSandbox();
      sandbox.replace(net.Socket.prototype, 'connect', function (this: net.Socket, ...args: unknown[]) {
        attempts.push(`connect ${JSON.stringify(args[0])}`);
        process.nextTick(() => this.destroy(new Error('blocked: the example tried to connect on deploy')));
        return this;
      } as typeof net.Socket.prototype.connect);
      sandbox.replace(dgram.Socket.prototype, 'send', function (this: dgram.Socket, ...args: unknown[]) {
        attempts.push(`udp send to ${JSON.stringify(args.slice(1).filter((a) => typeof a !== 'function'))}`);
        const callback = args.find((a) => typeof a === 'function') as ((err: Error) => void) | undefined;
        if (callback) process.nextTick(() => callback(new Error('blocked: the example tried to send UDP on deploy')));
      } as typeof dgram.Socket.prototype.send);
    });

    afterEach(async () => {
      sandbox.restore();
      await helper.unload();
    });

    /**
     * One example file as the editor imports it: into a tab of its own, nothing changed but the
     * Dashboard 2 widgets, which the helper runtime cannot run (stand-ins with their wires).
     */
    function asShipped(nodes: FlowNode[]): FlowNode[] {
      const tabs = [...new Set(nodes.map((n) => n.z).filter((z): z is string => typeof z === 'string' && z !== ''))];
      const flows: FlowNode[] = tabs.map((id) => ({ id, type: 'tab', label: id }));
      for (const n of nodes) {
        if (DASHBOARD_CONFIG_TYPES.includes(n.type)) continue;
        if (DASHBOARD_TYPES.includes(n.type)) flows.push({ id: n.id, type: 'helper', ...(n.z !== undefined ? { z: n.z } : {}), wires: n.wires ?? [] });
        else flows.push({ ...n });
      }
      return flows;
    }

    /** Resolves when node `id` has finished one message: it sent it on or reported an error. */
    function finishes(id: string, ms = 10_000): Promise<void> {
      const node = helper.getNode(id);
      assert.ok(node, `node ${id} is not running`);
      return new Promise((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          node.removeListener('call:send', done);
          node.removeListener('call:error', done);
          resolve();
        };
        const timer = setTimeout(() => reject(new Error(`${id} did not finish a message within ${ms} ms`)), ms);
        node.on('call:send', done);
        node.on('call:error', done);
      });
    }

    for (const ex of examples) {
      it(`${ex.file}: deploying it contacts no device, even when its injects fire on deploy`, async () => {
        const flows = asShipped(ex.nodes);
        const byId = new Map(flows.map((n) => [n.id, n]));
        // The Tapo nodes that an inject firing on deploy (once) reaches directly.
        const reached = flows
          .filter((n) => n.type === 'inject' && n.once === true)
          .flatMap((n) => (n.wires ?? []).flat())
          .filter((id) => byId.get(id)?.type.startsWith('tapo-'));
        await helper.load([...coreModules, ...ourModules], flows);
        for (const n of flows) {
          if (n.type !== 'tab' && n.type !== 'tapo-device') assert.ok(helper.getNode(n.id), `${n.id} (${n.type}) did not start`);
        }
        // Those injects fire after their onceDelay (at least 0.1 s), so the listeners are in time.
        await Promise.all([...new Set(reached)].map((id) => finishes(id)));
        // Every Tapo node then gets a message that would reach its device if it had a host.
        const click: Record<string, unknown> = {
          'tapo-plug-control': 'status',
          'tapo-plug-energy': '',
          'tapo-camera-get': 'privacyMode',
          'tapo-camera-do': { led: false },
        };
        for (const n of flows.filter((x) => x.type in click)) {
          const ended = finishes(n.id);
          helper.getNode(n.id)!.receive({ payload: click[n.type] });
          await ended;
        }
        assert.deepEqual(attempts, [], 'connections or datagrams were attempted');
        const status = helper as unknown as { _NodePrototype: { status: sinon.SinonSpy } };
        const states = status._NodePrototype.status
          .getCalls()
          .filter((c) => String((c.thisValue as { type?: string }).type).startsWith('tapo-'))
          .map((c) => String((c.args[0] as { text?: unknown } | undefined)?.text ?? ''));
        assert.deepEqual(states.filter((t) => /connect/i.test(t)), [], 'a Tapo node showed a connection state');
      });
    }
  });

  describe('running against the simulator', function () {
    this.timeout(30_000);
    let devices: SimulatedDevice[] = [];
    const sim: Record<string, SimulatedDevice> = {};
    const hosts: Record<string, string> = {};
    const rtspPorts: Record<string, number> = {};
    const plug = (id: string): PlugLogic => sim[id]!.logic as PlugLogic;
    const camera = (id: string): CameraLogic => sim[id]!.logic as CameraLogic;

    /** Fresh simulators for every example: no state leaks from one example to the next. */
    beforeEach(async () => {
      // Any free ports, the ONVIF ones included, so the tests run beside `npm start`.
      devices = await startDevices(
        DEMO_DEVICES.map((d) => ({ ...d.sim, password: DEMO_PASSWORD, port: 0, ...(d.sim.onvifPort !== undefined ? { onvifPort: 0 } : {}), ...(d.sim.rtspPort !== undefined ? { rtspPort: 0 } : {}) })),
      );
      DEMO_DEVICES.forEach((d, i) => {
        const dev = devices[i]!;
        sim[d.configId] = dev;
        hosts[d.configId] = `${dev.host}:${dev.port}`;
        if (dev.rtspPort !== undefined) rtspPorts[d.configId] = dev.rtspPort;
      });
    });

    afterEach(async () => {
      await helper.unload();
      await Promise.all(devices.map((d) => d.stop()));
      devices = [];
    });

    async function load(prefix: string): Promise<FlowNode[]> {
      const { flows, credentials } = helperFlows(example(prefix), hosts, rtspPorts);
      await helper.load([...coreModules, ...ourModules], flows, credentials);
      for (const n of flows) {
        if (n.type !== 'tab' && n.type !== 'tapo-device') assert.ok(helper.getNode(n.id), `${n.id} (${n.type}) did not start`);
      }
      return flows;
    }

    it('01 switches the desk plug on, off, toggles it, arms a countdown, and toggles the lamp', async () => {
      await load('01');
      const desk = plug('tapo_demo_plug');
      let msg = await click('tapo_ex01_on', 'tapo_ex01_debug');
      assert.equal(desk.state.on, true);
      assert.equal(record(msg.payload).on, true);
      assert.match(String(record(msg.payload).model), /P110/);

      msg = await click('tapo_ex01_off', 'tapo_ex01_debug');
      assert.equal(desk.state.on, false);
      assert.equal(record(msg.payload).on, false);

      msg = await click('tapo_ex01_toggle', 'tapo_ex01_debug');
      assert.equal(desk.state.on, true);
      assert.equal(record(msg.payload).on, true);

      msg = await click('tapo_ex01_status', 'tapo_ex01_debug');
      assert.equal(record(msg.payload).on, desk.state.on);

      msg = await click('tapo_ex01_countdown', 'tapo_ex01_debug');
      assert.deepEqual(record(msg.payload).countdown, { on: false, delaySeconds: 60 });
      assert.equal(desk.state.countdown?.desiredOn, false);
      assert.equal(desk.state.countdown?.delaySeconds, 60);

      const lamp = plug('tapo_demo_plug2');
      const before = lamp.state.on;
      msg = await click('tapo_ex01_lamp_inject', 'tapo_ex01_lamp_debug');
      assert.equal(lamp.state.on, !before);
      assert.equal(record(msg.payload).on, !before);
      assert.match(String(record(msg.payload).model), /P100/);
    });

    it('02 feeds the power gauge, the power chart, the energy text and the hourly bar chart', async () => {
      const flows = await load('02');
      const demo = buildDemoFlows([example('02')], hosts).flows;
      assert.equal(Number(demo.find((n) => n.id === 'tapo_ex02_summary')?.poll), 10, 'the energy node polls in the demo');
      assert.ok(flows.some((n) => n.id === 'tapo_ex02_gauge' && n.type === 'helper'));
      const desk = plug('tapo_demo_plug');

      await click('tapo_ex02_on', 'tapo_ex02_switch_debug');
      assert.equal(desk.state.on, true);

      const chart = nextInput('tapo_ex02_chart');
      const text = nextInput('tapo_ex02_text');
      const gauge = await click('tapo_ex02_read', 'tapo_ex02_gauge');
      assert.equal(gauge.payload, desk.state.currentPowerW);
      assert.equal(gauge.payload, 85, 'the demo plug draws 85 W when on');
      const chartMsg = await chart;
      assert.equal(chartMsg.payload, 85);
      assert.equal(chartMsg.topic, 'Power');
      assert.equal(typeof (await text).payload, 'number');

      const bars = await click('tapo_ex02_hourly_inject', 'tapo_ex02_bar_chart');
      const buckets: unknown = bars.payload;
      assert.ok(Array.isArray(buckets) && buckets.length > 0, 'hourly buckets');
      for (const bar of buckets as unknown[]) {
        const b = record(bar);
        assert.match(String(b.x), /^\d\d:00$/);
        assert.equal(typeof b.y, 'number');
      }
    });

    it('03 closes both camera lenses on arrival and opens them on leaving', async () => {
      await load('03');
      const hall = camera('tapo_demo_camera');
      const porch = camera('tapo_demo_camera_tpap');

      let answers = inputs('tapo_ex03_debug', 2);
      helper.getNode('tapo_ex03_home')!.receive({});
      let got = await answers;
      assert.equal(hall.state.privacyMode, true);
      assert.equal(porch.state.privacyMode, true);
      assert.deepEqual(got.map((m) => record(m.payload).privacyMode), [true, true]);

      answers = inputs('tapo_ex03_debug', 2);
      helper.getNode('tapo_ex03_away')!.receive({});
      got = await answers;
      assert.equal(hall.state.privacyMode, false);
      assert.equal(porch.state.privacyMode, false);
      assert.deepEqual(got.map((m) => record(m.payload).privacyMode), [false, false]);

      const settings = await click('tapo_ex03_check', 'tapo_ex03_get_debug');
      assert.equal(record(settings.payload).privacyMode, false);
      assert.equal(record(settings.payload).led, hall.state.ledOn);
    });

    it('04 saves two presets, then patrols them in turn', async () => {
      await load('04');
      const hall = camera('tapo_demo_camera');
      assert.equal(hall.state.privacyMode, true, 'the C210 fixture starts with privacy mode on');

      await click('tapo_ex04_save', 'tapo_ex04_save_debug');
      assert.equal(hall.state.privacyMode, false);
      assert.deepEqual(hall.state.presets.map((p) => p.name), ['Door', 'Window']);
      const [door, window] = hall.state.presets;

      await click('tapo_ex04_tick', 'tapo_ex04_debug');
      assert.deepEqual([hall.state.pan, hall.state.tilt], [door!.pan, door!.tilt]);
      await click('tapo_ex04_tick', 'tapo_ex04_debug');
      assert.deepEqual([hall.state.pan, hall.state.tilt], [window!.pan, window!.tilt]);
      await click('tapo_ex04_tick', 'tapo_ex04_debug');
      assert.deepEqual([hall.state.pan, hall.state.tilt], [door!.pan, door!.tilt]);
    });

    it('05 catches an input error and a device error and explains them; Status reports', async () => {
      await load('05');
      const status = nextInput('tapo_ex05_status_debug');
      const requestsBefore = sim.tapo_demo_plug!.requestCount;
      const plugBefore = plug('tapo_demo_plug').state.on;

      let explained = await click('tapo_ex05_bad', 'tapo_ex05_error_debug');
      let p = record(explained.payload);
      assert.equal(p.kind, 'Input');
      // The helper's translator echoes keys: the parser's reason (its English text names what was received: test/unit/devices-parse.test.ts).
      assert.match(String(p.message), /reasons\.plugCommandUnreadable\b/);
      assert.equal(sim.tapo_demo_plug!.requestCount, requestsBefore, 'nothing was sent to the plug');
      assert.equal(plug('tapo_demo_plug').state.on, plugBefore);

      const hall = camera('tapo_demo_camera');
      const pan = hall.state.pan;
      explained = await click('tapo_ex05_mask', 'tapo_ex05_error_debug');
      p = record(explained.payload);
      assert.equal(p.kind, 'Device');
      assert.equal(p.code, -64324);
      assert.match(String(p.advice), /-64324/);
      assert.equal(hall.state.privacyMode, true);
      assert.equal(hall.state.pan, pan, 'the motor did not move');

      const s = await status;
      assert.equal(typeof record(s.status).text, 'string');
    });

    it('06 drives the plug switch, power gauge, privacy switch, PTZ, preset and alarm buttons', async () => {
      await load('06');
      const nodes = example('06').nodes;
      const buttonPayload = (id: string): unknown => JSON.parse(String(nodes.find((n) => n.id === id)?.payload));
      const desk = plug('tapo_demo_plug');
      const hall = camera('tapo_demo_camera');

      // The periodic status read sets the switch to the plug's state.
      let fed = await click('tapo_ex06_plug_sync', 'tapo_ex06_plug_switch');
      assert.equal(fed.payload, desk.state.on);

      // A click on the switch sends the new value; the plug's answer is fed back to the switch.
      const wanted = !desk.state.on;
      fed = await widgetSends('tapo_ex06_plug_switch', wanted, 'tapo_ex06_plug_switch');
      assert.equal(desk.state.on, wanted);
      assert.equal(fed.payload, wanted);

      const gauge = nextInput('tapo_ex06_gauge');
      helper.getNode('tapo_ex06_energy')!.receive({});
      assert.equal((await gauge).payload, desk.state.currentPowerW);

      // Privacy switch: the C210 fixture starts with the lens masked.
      fed = await click('tapo_ex06_privacy_read', 'tapo_ex06_privacy_switch');
      assert.equal(fed.payload, true);
      fed = await widgetSends('tapo_ex06_privacy_switch', false, 'tapo_ex06_privacy_switch');
      assert.equal(hall.state.privacyMode, false);
      assert.equal(fed.payload, false);

      const pan = hall.state.pan;
      await widgetSends('tapo_ex06_right', buttonPayload('tapo_ex06_right'), 'tapo_ex06_cam_debug');
      assert.ok(hall.state.pan > pan, `pan moved right (${pan} -> ${hall.state.pan})`);
      const tilt = hall.state.tilt;
      await widgetSends('tapo_ex06_up', buttonPayload('tapo_ex06_up'), 'tapo_ex06_cam_debug');
      assert.ok(hall.state.tilt > tilt, `tilt moved up (${tilt} -> ${hall.state.tilt})`);

      await widgetSends('tapo_ex06_save_door', buttonPayload('tapo_ex06_save_door'), 'tapo_ex06_cam_debug');
      const door = hall.state.presets.find((x) => x.name === 'Door');
      assert.ok(door, 'preset Door saved');
      await widgetSends('tapo_ex06_left', buttonPayload('tapo_ex06_left'), 'tapo_ex06_cam_debug');
      assert.notEqual(hall.state.pan, door.pan);
      await widgetSends('tapo_ex06_goto_door', buttonPayload('tapo_ex06_goto_door'), 'tapo_ex06_cam_debug');
      assert.deepEqual([hall.state.pan, hall.state.tilt], [door.pan, door.tilt]);

      await widgetSends('tapo_ex06_alarm_start', buttonPayload('tapo_ex06_alarm_start'), 'tapo_ex06_cam_debug');
      assert.equal(hall.state.alarmActive, true);
      await widgetSends('tapo_ex06_alarm_stop', buttonPayload('tapo_ex06_alarm_stop'), 'tapo_ex06_cam_debug');
      assert.equal(hall.state.alarmActive, false);

      // With the lens masked the camera refuses to move: the error reaches the page's text widget.
      await widgetSends('tapo_ex06_privacy_switch', true, 'tapo_ex06_privacy_switch');
      assert.equal(hall.state.privacyMode, true);
      const error = await widgetSends('tapo_ex06_left', buttonPayload('tapo_ex06_left'), 'tapo_ex06_last_error');
      assert.match(String(error.payload), /-64324/);
    });

    it('09 switches the hall light on, warm white at 80 %, when the hub reports the door open', async () => {
      await load('09');
      const hub = sim.tapo_demo_hub!;
      const bulb = plug('tapo_demo_light');
      // The event node's first poll is its baseline: open the door only once the hub has answered it.
      const until = Date.now() + 10_000;
      while (hub.requestCount === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      const answer = nextInput('tapo_ex09_debug', 20_000);
      hub.triggerChild('Front door', 'open');
      const state = record((await answer).payload);
      assert.deepEqual([state.on, state.brightness, state.colorTemp], [true, 80, 2700]);
      assert.equal(bulb.state.on, true);
      // The test inject does the same by hand.
      const offAnswer = nextInput('tapo_ex09_debug');
      helper.getNode('tapo_ex09_light')!.receive({ payload: { on: false } });
      await offAnswer;
      assert.equal(bulb.state.on, false);
      const again = await click('tapo_ex09_test', 'tapo_ex09_debug');
      assert.equal(record(again.payload).on, true);
    });

    it('10 drives the light from the dashboard, charts the climate and lists every hub sensor', async () => {
      await load('10');
      const bulb = plug('tapo_demo_light');
      // The colour picker (a template widget) sends {on, color}; the state comes back to the widgets.
      let picked = await widgetSends('tapo_ex10_color', { on: true, color: '#ff0000' }, 'tapo_ex10_color');
      assert.equal(picked.payload, '#ff0000');
      assert.deepEqual([bulb.state.on, bulb.lightState?.hue, bulb.lightState?.saturation], [true, 0, 100]);
      picked = await widgetSends('tapo_ex10_brightness', 40, 'tapo_ex10_brightness');
      assert.equal(picked.payload, 40);
      assert.equal(bulb.lightState?.brightness, 40);
      const off = await widgetSends('tapo_ex10_light_switch', false, 'tapo_ex10_light_switch');
      assert.equal(off.payload, false);
      assert.equal(bulb.state.on, false);
      // The climate: one point per series on the chart.
      const chart = helper.getNode('tapo_ex10_chart')!;
      const points: Msg[] = [];
      const two = new Promise<void>((resolve) => chart.on('input', (m: Msg) => (points.push(m), points.length === 2 && resolve())));
      helper.getNode('tapo_ex10_climate_read')!.receive({});
      await two;
      assert.deepEqual(points.map((m) => m.topic), ['Temperature (°C)', 'Humidity (%)']);
      assert.ok(points.every((m) => typeof m.payload === 'number'));
      // Every sensor of the hub, one row each.
      const table = await click('tapo_ex10_sensors_read', 'tapo_ex10_table');
      const rows = table.payload as Record<string, unknown>[];
      assert.equal(rows.length, 6);
      assert.ok(rows.some((r) => r.sensor === 'Front door' && r.reading === 'closed'));
      assert.ok(rows.some((r) => r.sensor === 'Living room climate' && /°C/.test(String(r.reading))));
    });

    it('08 saves a JPEG file and feeds the dashboard image on a detection, on the button and on the inject', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapo-ex08-'));
      const saved = process.env.TAPO_SNAPSHOT_DIR;
      process.env.TAPO_SNAPSHOT_DIR = dir;
      try {
        await load('08');
        const porch = sim.tapo_demo_camera_tpap!;
        // The event node's first poll is its baseline: detect only once the camera has answered it.
        const until = Date.now() + 10_000;
        while (porch.requestCount === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
        // A detection starts: the event node (polling the last alarm) sends true, the flow takes a snapshot.
        const image = nextInput('tapo_ex08_image', 20_000);
        const written = nextInput('tapo_ex08_saved', 20_000);
        porch.detect({ type: 'motion' });
        const shown = await image;
        assert.match(String(shown.payload), /^data:image\/jpeg;base64,\/9j\//);
        assert.equal(shown.size, '640×360');
        const file = String((await written).filename);
        assert.ok(file.startsWith(dir), file);
        const jpeg = fs.readFileSync(file);
        assert.equal(jpeg.subarray(0, 2).toString('hex'), 'ffd8');
        assert.equal(jpeg.subarray(-2).toString('hex'), 'ffd9');
        assert.equal(`data:image/jpeg;base64,${jpeg.toString('base64')}`, shown.payload, 'the page shows the picture that was saved');
        // The dashboard button and the inject take one too.
        const again = nextInput('tapo_ex08_image');
        helper.getNode('tapo_ex08_button')!.send({ payload: Date.now(), topic: 'button' });
        assert.match(String((await again).payload), /^data:image\/jpeg;base64,/);
        const third = nextInput('tapo_ex08_saved');
        helper.getNode('tapo_ex08_now')!.receive({ payload: Date.now() });
        assert.ok(fs.existsSync(String((await third).filename)));
      } finally {
        if (saved === undefined) delete process.env.TAPO_SNAPSHOT_DIR;
        else process.env.TAPO_SNAPSHOT_DIR = saved;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
