'use strict';
/**
 * Benchmark 4: scale. One Node-RED process, many simulated plugs (each its own `tapo-device`
 * config node, its own port, its own session), each polled for its energy summary once a second.
 *
 * Flow per device: an inject node (repeat 1 s; first shot staggered over the first second, as
 * independent devices would be) wired to `tapo-plug-energy` (summary). Latency is timed with
 * Node-RED's hooks from the message reaching the energy node (`onReceive`) to its `done()`
 * (`onComplete`). The devices run in the separate simulator process.
 *
 * Phases: deploy, warm-up (every device logs in and answers once), then the measured window:
 * CPU share of THIS process (process.cpuUsage over wall time; 1.0 = one full core), resident
 * memory sampled every second, latency percentiles, completed polls, errors, and the logins the
 * devices counted (the target: one per device, zero errors).
 *
 * Env: BENCH_SCALE_DEVICES (default 200), BENCH_SCALE_SECONDS (default 60),
 * BENCH_SCALE_WARMUP_SECONDS (default 5). BENCH_QUICK=1 → 50 devices for 10 s.
 */
const lib = require('./lib');
const { startNodeRed, deviceConfig } = require('./nodered');

const DEVICES = lib.envInt('BENCH_SCALE_DEVICES', lib.QUICK ? 50 : 200);
const SECONDS = lib.envInt('BENCH_SCALE_SECONDS', lib.QUICK ? 10 : 60);
const WARMUP_SECONDS = lib.envInt('BENCH_SCALE_WARMUP_SECONDS', 5);
const FIXTURE = 'P110(UK)_1.0_1.3.0';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes) => bytes / 1048576;

function flows(described) {
  const nodes = [{ id: 'tab', type: 'tab', label: 'scale' }];
  let credentials = {};
  described.forEach((d, i) => {
    const cfg = deviceConfig(`cfg-${i}`, d, 'plug', 'klap');
    nodes.push(cfg.node);
    credentials = { ...credentials, ...cfg.credentials };
    nodes.push({
      id: `inject-${i}`,
      type: 'inject',
      z: 'tab',
      name: '',
      props: [{ p: 'payload' }],
      repeat: '1',
      crontab: '',
      once: true,
      onceDelay: 0.1 + i / described.length,
      topic: '',
      payload: '',
      payloadType: 'date',
      wires: [[`energy-${i}`]],
    });
    nodes.push({ id: `energy-${i}`, type: 'tapo-plug-energy', z: 'tab', device: `cfg-${i}`, mode: 'summary', poll: '', wires: [[]] });
  });
  return { nodes, credentials };
}

async function main() {
  const host = await lib.startSimHost();
  let red;
  let result;
  try {
    process.stdout.write(`scale: starting ${DEVICES} simulated plugs ...\n`);
    const described = await host.start(Array.from({ length: DEVICES }, () => ({ fixture: FIXTURE, scheme: 'klap', loadWatts: 60 })));
    red = await startNodeRed({ logLevel: 'error' });
    global.gc?.();
    const idleRssMB = mb(process.memoryUsage().rss);

    // Every message reaching an energy node, and its completion.
    const started = new Map();
    let measuring = false;
    const samples = [];
    let completed = 0;
    let errors = 0;
    const errorKinds = {};
    const warmupAnswered = new Set();
    red.onReceive((event) => {
      if (event.destination && typeof event.destination.id === 'string' && event.destination.id.startsWith('energy-')) {
        started.set(event.msg._msgid, lib.nowMs());
      }
    });
    red.onComplete((event) => {
      if (!event.node.id.startsWith('energy-')) return;
      const t0 = started.get(event.msg._msgid);
      started.delete(event.msg._msgid);
      if (!measuring) {
        if (!event.error) warmupAnswered.add(event.node.id);
        return;
      }
      if (t0 === undefined) return;
      completed++;
      samples.push(lib.nowMs() - t0);
      if (event.error) {
        errors++;
        const kind = event.error.kind || event.error.name || 'Error';
        errorKinds[kind] = (errorKinds[kind] || 0) + 1;
      }
    });

    const { nodes, credentials } = flows(described);
    process.stdout.write(`scale: deploying ${DEVICES} config nodes + ${DEVICES} inject/energy pairs ...\n`);
    const tDeploy = lib.nowMs();
    await red.deploy(nodes, credentials);
    const deployMs = lib.nowMs() - tDeploy;

    // Warm-up: at least WARMUP_SECONDS, and until every device has answered once (bounded).
    const warmupStart = lib.nowMs();
    while (lib.nowMs() - warmupStart < WARMUP_SECONDS * 1000 || (warmupAnswered.size < DEVICES && lib.nowMs() - warmupStart < 60_000)) {
      await sleep(100);
    }
    const warmedUp = warmupAnswered.size;
    process.stdout.write(`scale: ${warmedUp}/${DEVICES} devices answered during warm-up; measuring ${SECONDS} s ...\n`);

    const rss = [];
    const heap = [];
    started.clear();
    measuring = true;
    const cpu0 = process.cpuUsage();
    const sim0 = await host.usage();
    const t0 = lib.nowMs();
    for (let s = 0; s < SECONDS; s++) {
      await sleep(Math.max(0, t0 + (s + 1) * 1000 - lib.nowMs()));
      const m = process.memoryUsage();
      rss.push(mb(m.rss));
      heap.push(mb(m.heapUsed));
    }
    const wallMs = lib.nowMs() - t0;
    const cpu = process.cpuUsage(cpu0);
    const sim1 = await host.usage();
    measuring = false;
    const inFlightAtEnd = started.size;

    // With --expose-gc (bench/README.md): what is still live after a full collection, to tell
    // retained memory from garbage V8 has not collected yet.
    let afterGc;
    if (typeof global.gc === 'function') {
      global.gc();
      const m = process.memoryUsage();
      afterGc = { heapUsedMB: mb(m.heapUsed), rssMB: mb(m.rss) };
    }

    const stats = await host.stats();
    const logins = stats.reduce((sum, d) => sum + d.loginCount, 0);
    const maxLoginsPerDevice = Math.max(...stats.map((d) => d.loginCount));
    const cpuMs = (cpu.user + cpu.system) / 1000;
    result = {
      devices: DEVICES,
      seconds: SECONDS,
      pollsPerSecondTarget: DEVICES,
      deployMs,
      warmedUp,
      idleNodeRedRssMB: idleRssMB,
      cpuShareOfOneCore: cpuMs / wallMs,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      rssMB: { max: Math.max(...rss), mean: rss.reduce((a, b) => a + b, 0) / rss.length, end: rss[rss.length - 1], series: rss },
      heapUsedMB: { max: Math.max(...heap), end: heap[heap.length - 1] },
      afterGc,
      completedPolls: completed,
      pollsPerSecond: (completed / wallMs) * 1000,
      inFlightAtEnd,
      errors,
      errorKinds,
      latency: lib.summarize(samples),
      deviceLogins: logins,
      maxLoginsPerDevice,
      simulatorCpuShare: (sim1.cpuUserMs + sim1.cpuSystemMs - sim0.cpuUserMs - sim0.cpuSystemMs) / wallMs,
    };
  } finally {
    if (red) await red.stop().catch(() => undefined);
    await host.stop();
  }

  const r = result;
  lib.printTable(
    `Scale: ${r.devices} plugs in one Node-RED process, energy every second, ${r.seconds} s measured`,
    ['figure', 'value', 'target'],
    [
      ['CPU share of one core (Node-RED process)', lib.round(r.cpuShareOfOneCore, 3), '< 0.5'],
      ['resident memory max (MB)', lib.round(r.rssMB.max, 1), '< 150'],
      ['resident memory end (MB)', lib.round(r.rssMB.end, 1), ''],
      ['Node-RED with this package, no flows (MB)', lib.round(r.idleNodeRedRssMB, 1), ''],
      ['added by the devices: max RSS minus that (MB)', lib.round(r.rssMB.max - r.idleNodeRedRssMB, 1), ''],
      ['polls completed / per second', `${r.completedPolls} / ${lib.round(r.pollsPerSecond, 1)}`, `${r.devices}/s`],
      ['latency p50 / p90 / p99 / max (ms)', `${lib.round(r.latency.p50, 2)} / ${lib.round(r.latency.p90, 2)} / ${lib.round(r.latency.p99, 2)} / ${lib.round(r.latency.max, 2)}`, ''],
      ['errors', r.errors, '0'],
      ...(r.afterGc ? [['after a full GC: heap used / RSS (MB)', `${lib.round(r.afterGc.heapUsedMB, 1)} / ${lib.round(r.afterGc.rssMB, 1)}`, '']] : []),
      ['device logins (total / max per device)', `${r.deviceLogins} / ${r.maxLoginsPerDevice}`, `${r.devices} / 1`],
      ['deploy (ms)', lib.round(r.deployMs, 0), ''],
      ['simulator process CPU share (not ours)', lib.round(r.simulatorCpuShare, 3), ''],
    ],
  );
  if (r.errors) process.stdout.write(`note: error kinds: ${JSON.stringify(r.errorKinds)}\n`);
  lib.writeResult('scale', r);
  lib.writeResultFile('scale-rss.svg', rssChart(r));
}

/** Resident memory over the measured window (SVG line). */
function rssChart(r) {
  const w = 640;
  const h = 240;
  const pad = 40;
  const top = Math.max(160, Math.ceil(r.rssMB.max / 20) * 20);
  const xs = (i) => pad + (i / Math.max(1, r.rssMB.series.length - 1)) * (w - 2 * pad);
  const ys = (v) => h - pad - (v / top) * (h - 2 * pad);
  const points = r.rssMB.series.map((v, i) => `${xs(i).toFixed(1)},${ys(v).toFixed(1)}`).join(' ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<text x="10" y="18" font-weight="bold">Resident memory, ${r.devices} plugs polled every second (MB over ${r.seconds} s)</text>`,
    `<line x1="${pad}" y1="${ys(150)}" x2="${w - pad}" y2="${ys(150)}" stroke="#d62728" stroke-dasharray="4 3"/>`,
    `<text x="${w - pad - 70}" y="${ys(150) - 4}" fill="#d62728">150 MB target</text>`,
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#444"/>`,
    `<line x1="${pad}" y1="${pad - 10}" x2="${pad}" y2="${h - pad}" stroke="#444"/>`,
    `<text x="4" y="${ys(0) + 4}">0</text><text x="4" y="${ys(top) + 4}">${top}</text>`,
    `<polyline fill="none" stroke="#08519c" stroke-width="2" points="${points}"/>`,
    '</svg>',
    '',
  ].join('\n');
}

main().catch((err) => {
  process.stderr.write(`scale failed: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
