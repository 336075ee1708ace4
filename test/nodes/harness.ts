/**
 * What the node tests share: node-red-node-test-helper started on the Node-RED in node_modules,
 * our five node modules (loaded from nodes/, which requires dist/: `npx tsc -p tsconfig.json`),
 * the standard test flow (config node, one action node, a Catch node) and ways to wait for
 * messages and statuses.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import sinon from 'sinon';

export interface FlowNode {
  id: string;
  type: string;
  [key: string]: unknown;
}

export interface HelperNode extends EventEmitter {
  id: string;
  receive(msg: Record<string, unknown>): void;
}

export interface HttpReply {
  status: number;
  body: Record<string, unknown>;
}

export interface TestHelper {
  init(runtimePath: string): void;
  load(nodes: unknown[], flow: FlowNode[], credentials?: Record<string, Record<string, string>>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): HelperNode;
  /** Spy on Node-RED's log: every call's arguments. */
  log(): { args: unknown[][] };
  request(): { post(url: string): { send(body: unknown): Promise<HttpReply> } };
}

export const helper = require('node-red-node-test-helper') as TestHelper;
helper.init(require.resolve('node-red'));

export const root = path.resolve(__dirname, '../..');
export const nodeModules: unknown[] = [
  'tapo-device',
  'tapo-plug-control',
  'tapo-light',
  'tapo-plug-energy',
  'tapo-camera-get',
  'tapo-camera-do',
].map((type) => require(path.join(root, 'nodes', `${type}.js`)) as unknown);

export const PASSWORD = 'tapo-sim';
export const PLUG_USER = 'user@example.com';

export type Msg = Record<string, unknown> & { payload?: unknown };
export interface CaughtError {
  message: string;
  code?: number;
  cause?: { kind?: string; code?: number; secondsLeft?: number };
}
export interface Status {
  fill?: string;
  shape?: string;
  text?: string;
}

/** The next message a helper node receives. */
export function next(node: HelperNode): Promise<Msg> {
  return new Promise((resolve) => node.once('input', (msg: Msg) => resolve(msg)));
}

/** The next `count` messages a helper node receives, in order. */
export function collect(node: HelperNode, count: number): Promise<Msg[]> {
  return new Promise((resolve) => {
    const got: Msg[] = [];
    const on = (msg: Msg): void => {
      got.push(msg);
      if (got.length === count) {
        node.removeListener('input', on);
        resolve(got);
      }
    };
    node.on('input', on);
  });
}

/** Records every status a node sets (the helper emits `call:status` for each). */
export function statuses(node: HelperNode): Status[] {
  const seen: Status[] = [];
  node.on('call:status', (call: { args: Status[] }) => seen.push(call.args[0] ?? {}));
  return seen;
}

/** Resolves once a status matching `predicate` has been set (checks past ones first). */
export function statusWhere(node: HelperNode, seen: Status[], predicate: (s: Status) => boolean): Promise<Status> {
  const found = seen.find(predicate);
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const on = (call: { args: Status[] }): void => {
      const s = call.args[0] ?? {};
      if (predicate(s)) {
        node.removeListener('call:status', on);
        resolve(s);
      }
    };
    node.on('call:status', on);
  });
}

/** A port on 127.0.0.1 with nothing listening. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The `tapo-device` config node `dev`. */
export function deviceNode(host: string, kind: 'plug' | 'camera', extra: Record<string, unknown> = {}): FlowNode {
  return { id: 'dev', type: 'tapo-device', name: 'Desk', host, kind, scheme: 'auto', timeout: 5, ...extra };
}

/** A flow: the config node, one action node `act` wired to `out`, and a Catch node wired to `caught`. */
export function flow(device: FlowNode, action: Record<string, unknown>): FlowNode[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    device,
    { id: 'act', z: 'tab', type: 'unset', name: '', device: 'dev', wires: [['out']], ...action },
    { id: 'out', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

/** Credentials of `dev`. */
export function creds(username: string, password: string): Record<string, Record<string, string>> {
  return { dev: { username, password } };
}

/**
 * Fakes only the poll's interval timer and the monotonic clock (performance.now, which the
 * connection's login hold-off reads) for each test of the enclosing `describe`: sockets, undici
 * and Node-RED keep real timeouts. Returns a getter for the current fake clock.
 */
export function useFakePollTimers(): () => sinon.SinonFakeTimers {
  let timers: sinon.SinonFakeTimers | undefined;
  beforeEach(() => {
    timers = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
  });
  afterEach(() => {
    timers?.restore();
    timers = undefined;
  });
  return () => {
    if (timers === undefined) throw new Error('fake timers are only installed inside a test');
    return timers;
  };
}

/**
 * Sends each payload to node `act` in turn and asserts that the Catch node (`caught`) receives an
 * `Input` error for it (the payload is named in the assertion message).
 */
export async function expectRefusedAsInput(payloads: readonly unknown[]): Promise<void> {
  const act = helper.getNode('act');
  for (const payload of payloads) {
    const caught = next(helper.getNode('caught'));
    act.receive({ payload });
    const err = (await caught).error as CaughtError;
    assert.equal(err.cause?.kind, 'Input', label(payload));
  }
}

/** A payload named in an assertion message (JSON where JSON can carry it). */
function label(payload: unknown): string {
  try {
    return JSON.stringify(payload);
  } catch {
    return String(payload);
  }
}
