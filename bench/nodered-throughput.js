'use strict';
/**
 * Benchmark 2: messages through Node-RED against one device.
 *
 * 2,000 messages into `tapo-plug-control` (action "status", a KLAP P110) and into
 * `tapo-camera-get` (deviceInfo, a C210 over camera secure login), in an embedded Node-RED
 * (bench/nodered.js), devices in the separate simulator process. Reported: messages per second,
 * latency percentiles (message delivered → node's `done()`), errors, and the logins the DEVICE
 * counted (the target is one per session however many messages).
 *
 * Modes:
 * - `sequential`: one message in flight at a time (latency = per-message cost);
 * - `burst`: all messages delivered at once (queueing included; single-flight login).
 * Baseline, same flow shape (a message into one node that answers the same read): a function
 * node that opens a fresh DeviceConnection per message, logs in, reads, and closes, which is what
 * Node-RED packages that log in on every message do. It reads the minimum (one `get_device_info` /
 * one camera `deviceInfo` batch), so the baseline is not handicapped.
 *
 * Env: BENCH_MESSAGES (default 2000; 300 with BENCH_QUICK=1).
 */
const lib = require('./lib');
const { startNodeRed, deviceConfig } = require('./nodered');

const MESSAGES = lib.envInt('BENCH_MESSAGES', lib.QUICK ? 300 : 2000);
const WARMUP = lib.QUICK ? 20 : 100;

const { DeviceConnection } = lib.requireDist('connection');
const { Plug, Camera } = lib.requireDist('devices');

const DEVICES = [
  { key: 'plug', fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', kind: 'plug', node: 'tapo-plug-control' },
  { key: 'camera', fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', kind: 'camera', node: 'tapo-camera-get' },
];

/** The baseline's work for one message: new session, login, one read, close. */
function freshLoginRead(described) {
  return async (kind, scheme) => {
    const d = described[kind];
    const connection = new DeviceConnection({ host: `127.0.0.1:${d.port}`, kind, scheme, credentials: lib.simCredentials(kind) });
    try {
      if (kind === 'plug') return await new Plug(connection).call('get_device_info');
      return await new Camera(connection).read(['deviceInfo']);
    } finally {
      await connection.close();
    }
  };
}

function flows(described) {
  const nodes = [{ id: 'tab', type: 'tab', label: 'bench' }];
  let credentials = {};
  for (const d of DEVICES) {
    const cfg = deviceConfig(`cfg-${d.key}`, described[d.key], d.kind, d.scheme);
    nodes.push(cfg.node);
    credentials = { ...credentials, ...cfg.credentials };
    const ours = { id: `ours-${d.key}`, type: d.node, z: 'tab', device: `cfg-${d.key}`, wires: [[]] };
    if (d.node === 'tapo-plug-control') ours.action = 'status';
    else ours.names = ['deviceInfo'];
    nodes.push(ours);
    nodes.push({
      id: `fresh-${d.key}`,
      type: 'function',
      z: 'tab',
      name: `fresh login per message (${d.key})`,
      func: `const read = global.get('benchFreshLoginRead');\nmsg.payload = await read(${JSON.stringify(d.kind)}, ${JSON.stringify(d.scheme)});\nreturn msg;`,
      outputs: 1,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      wires: [[]],
    });
  }
  return { nodes, credentials };
}

async function sequential(red, nodeId, count) {
  const samples = [];
  let errors = 0;
  const start = lib.nowMs();
  for (let i = 0; i < count; i++) {
    const r = await red.inject(nodeId, { payload: '' });
    if (r.error) errors++;
    samples.push(r.ms);
  }
  return { samples, errors, elapsedMs: lib.nowMs() - start };
}

async function burst(red, nodeId, count) {
  const start = lib.nowMs();
  const results = await Promise.all(Array.from({ length: count }, () => red.inject(nodeId, { payload: '' }, 120_000)));
  return { samples: results.map((r) => r.ms), errors: results.filter((r) => r.error).length, elapsedMs: lib.nowMs() - start };
}

async function main() {
  const host = await lib.startSimHost();
  let red;
  const runs = [];
  try {
    const list = await host.start(DEVICES.map((d) => ({ fixture: d.fixture, scheme: d.scheme })));
    const described = Object.fromEntries(DEVICES.map((d, i) => [d.key, list[i]]));
    red = await startNodeRed({ globals: { benchFreshLoginRead: freshLoginRead(described) } });
    const { nodes, credentials } = flows(described);
    await red.deploy(nodes, credentials);

    const loginsOf = async (key) => (await host.stats())[DEVICES.findIndex((d) => d.key === key)].loginCount;
    const plan = [];
    for (const d of DEVICES) {
      plan.push({ device: d, client: 'ours', mode: 'sequential', nodeId: `ours-${d.key}`, run: sequential, fresh: true });
      plan.push({ device: d, client: 'ours', mode: 'burst', nodeId: `ours-${d.key}`, run: burst, fresh: true });
      plan.push({ device: d, client: 'fresh login per message', mode: 'sequential', nodeId: `fresh-${d.key}`, run: sequential });
    }
    for (const p of plan) {
      process.stdout.write(`node-red: ${p.device.node} / ${p.client} / ${p.mode} ...\n`);
      if (p.fresh) {
        // A new deploy first, so the run starts without a session: every login it causes is counted.
        await red.deploy([], {});
        await red.deploy(nodes, credentials);
      }
      const before = await loginsOf(p.device.key);
      const warmup = p.mode === 'sequential' ? WARMUP : 0;
      if (warmup) await sequential(red, p.nodeId, warmup);
      const m = await p.run(red, p.nodeId, MESSAGES);
      const logins = (await loginsOf(p.device.key)) - before;
      runs.push({
        node: p.device.node,
        scheme: p.device.scheme,
        client: p.client,
        mode: p.mode,
        messages: MESSAGES,
        errors: m.errors,
        /** Logins the device counted over the whole run, warm-up included. */
        deviceLogins: logins,
        messagesIncludingWarmup: MESSAGES + warmup,
        messagesPerSecond: (MESSAGES / m.elapsedMs) * 1000,
        latency: lib.summarize(m.samples),
      });
    }
  } finally {
    if (red) await red.stop().catch(() => undefined);
    await host.stop();
  }

  lib.printTable(
    `Through Node-RED: ${MESSAGES} messages into one node, one device`,
    ['node / client / mode', 'msg/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'device logins / messages', 'errors'],
    runs.map((r) => [
      `${r.node} / ${r.client} / ${r.mode}`,
      Math.round(r.messagesPerSecond),
      r.latency.p50,
      r.latency.p90,
      r.latency.p99,
      r.latency.max,
      `${r.deviceLogins} / ${r.messagesIncludingWarmup}`,
      r.errors,
    ]),
  );
  const speedups = [];
  for (const d of DEVICES) {
    const ours = runs.find((r) => r.node === d.node && r.client === 'ours' && r.mode === 'sequential');
    const fresh = runs.find((r) => r.node === d.node && r.client !== 'ours');
    speedups.push({ node: d.node, throughput: ours.messagesPerSecond / fresh.messagesPerSecond, p50: fresh.latency.p50 / ours.latency.p50 });
  }
  lib.printTable('Session reuse vs fresh login per message (sequential)', ['node', 'msg/s ratio', 'p50 ratio'], speedups.map((s) => [s.node, lib.round(s.throughput, 1) + 'x', lib.round(s.p50, 1) + 'x']));
  lib.writeResult('nodered-throughput', { messages: MESSAGES, warmup: WARMUP, runs, speedups });
}

main().catch((err) => {
  process.stderr.write(`nodered-throughput failed: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
