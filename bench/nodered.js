'use strict';
/**
 * Embeds a real Node-RED runtime (require('node-red')) for the benchmarks: a temporary userDir, no
 * editor or HTTP endpoints, telemetry off, our nodes loaded from ../nodes exactly as a user's
 * install loads them (nodes/*.js → dist/nodes). Flows are built in code and deployed with the
 * runtime's own `setFlows` (a full deploy, as the editor's Deploy button does).
 *
 * Messages are timed with Node-RED's messaging hooks: `onReceive` when a message reaches a node,
 * `onComplete` when that node calls `done()`. Keyed by `_msgid`, so no spy or wrapper touches the
 * nodes themselves.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lib = require('./lib');

/**
 * Starts Node-RED; resolves with a handle. Call `stop()` once; the process should exit after.
 * Options: `globals` (function nodes' global context), `logLevel`, and `nodesDir`: where our
 * nodes are loaded from (default this package's nodes/; round-trips.js loads an older build's).
 */
async function startNodeRed(options = {}) {
  const RED = require('node-red');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapo-bench-nr-'));
  // Node-RED scans every node_modules above its core nodes for node packages, which would load the
  // dev dependencies installed beside it (the Dashboard) into the measured process. The core nodes
  // are reached through a link inside the temporary userDir instead, so only Node-RED's own nodes
  // and ours are loaded, as in a user's install with just this package.
  const coreNodesDir = path.join(userDir, 'core', 'nodes');
  fs.mkdirSync(path.dirname(coreNodesDir));
  fs.symlinkSync(path.dirname(require.resolve('@node-red/nodes')), coreNodesDir, 'dir');
  RED.init({
    userDir,
    coreNodesDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    nodesDir: [options.nodesDir || path.join(lib.ROOT, 'nodes')],
    functionGlobalContext: options.globals || {},
    functionExternalModules: false,
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    runtimeState: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    logging: { console: { level: options.logLevel || 'error', metrics: false, audit: false } },
    editorTheme: { tours: false },
  });
  // RED.start() resolves before the (empty) flows have started: wait for that first start, so a
  // later deploy's 'flows:started' cannot be confused with it.
  const firstStart = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.start();
  await lib.withTimeout(firstStart, 30_000, 'Node-RED first flow start');
  const types = RED.nodes.getNodeList().map((n) => n.types).flat();
  for (const type of ['tapo-device', 'tapo-plug-control', 'tapo-camera-get', 'tapo-plug-energy']) {
    if (!types.includes(type)) throw new Error(`Node-RED did not load the node type "${type}" from nodes/ (is dist/ built?)`);
  }

  /** msgid → { resolve, t0 } for messages we inject; observers for every completion. */
  const waiting = new Map();
  const completeObservers = new Set();
  const receiveObservers = new Set();
  RED.hooks.add('onComplete.bench', (event) => {
    const id = event.msg && event.msg._msgid;
    const entry = waiting.get(id);
    if (entry && entry.nodeId === event.node.id) {
      waiting.delete(id);
      entry.resolve({ ms: lib.nowMs() - entry.t0, error: event.error, msg: event.msg });
    }
    for (const fn of completeObservers) fn(event);
  });
  RED.hooks.add('onReceive.bench', (event) => {
    for (const fn of receiveObservers) fn(event);
  });

  let counter = 0;
  const handle = {
    RED,
    userDir,
    /** Full deploy of `flows` with `credentials` ({id: {username, password}}); resolves once started. */
    async deploy(flows, credentials = {}) {
      const started = new Promise((resolve) => {
        const onStarted = () => {
          RED.events.off('flows:started', onStarted);
          resolve();
        };
        RED.events.on('flows:started', onStarted);
      });
      await RED.nodes.setFlows(flows, credentials, 'full');
      await lib.withTimeout(started, 30_000, 'Node-RED flow start');
    },
    /** The runtime node with this id. */
    node(id) {
      const node = RED.nodes.getNode(id);
      if (!node) throw new Error(`no node "${id}" in the deployed flow`);
      return node;
    },
    /**
     * Delivers `msg` to node `id` as a wire would and resolves when that node calls `done()`
     * for it, with `{ ms, error, msg }`. Rejects after `timeoutMs`.
     */
    inject(id, msg = {}, timeoutMs = 30_000) {
      const node = handle.node(id);
      const m = { _msgid: `bench-${process.pid}-${++counter}`, ...msg };
      const entry = { resolve: undefined, nodeId: id, t0: 0 };
      const promise = new Promise((resolve) => {
        entry.resolve = resolve;
      });
      waiting.set(m._msgid, entry);
      entry.t0 = lib.nowMs();
      node.receive(m);
      return lib.withTimeout(promise, timeoutMs, `message ${m._msgid}`).finally(() => waiting.delete(m._msgid));
    },
    onComplete(fn) {
      completeObservers.add(fn);
      return () => completeObservers.delete(fn);
    },
    onReceive(fn) {
      receiveObservers.add(fn);
      return () => receiveObservers.delete(fn);
    },
    async stop() {
      RED.hooks.remove('*.bench');
      await RED.nodes.setFlows([], {}, 'full').catch(() => undefined);
      await RED.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** A config node for a simulated device plus its credentials entry. */
function deviceConfig(id, described, kind, scheme) {
  return {
    node: { id, type: 'tapo-device', name: `${described.model} ${scheme}`, host: `127.0.0.1:${described.port}`, kind, scheme, timeout: 10 },
    credentials: { [id]: lib.simCredentials(kind) },
  };
}

module.exports = { startNodeRed, deviceConfig };
