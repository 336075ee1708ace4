'use strict';
/**
 * Benchmark 3: cold start, per scheme: the time from a full deploy to the first answer.
 *
 * For each wire scheme one simulated device (separate process). Each repetition deploys a flow
 * with a NEW config node (so nothing is cached: no session, no socket) and one action node
 * (`tapo-plug-control` status, or `tapo-camera-get` deviceInfo), then delivers one message as soon
 * as the flows have started. Reported: deploy (setFlows → flows started), first answer (message
 * delivered → `done()`, which includes TCP/TLS connect, the scheme's login and the read), and the
 * total. Between repetitions an empty flow is deployed so the previous session is closed.
 *
 * Env: BENCH_COLD_REPEATS (default 7; 3 with BENCH_QUICK=1).
 */
const lib = require('./lib');
const { startNodeRed, deviceConfig } = require('./nodered');

const REPEATS = lib.envInt('BENCH_COLD_REPEATS', lib.QUICK ? 3 : 7);

const SCHEMES = [
  { label: 'klap (v2)', scheme: 'klap', fixture: 'P110(UK)_1.0_1.3.0', kind: 'plug' },
  { label: 'klap-v1', scheme: 'klap-v1', fixture: 'P110(UK)_1.0_1.3.0', kind: 'plug' },
  { label: 'passthrough', scheme: 'passthrough', fixture: 'P100(US)_1.0.0_1.1.3', kind: 'plug' },
  { label: 'tpap (plug)', scheme: 'tpap', fixture: 'P110(UK)_1.0_1.3.0', kind: 'plug' },
  { label: 'auto-detect (klap plug)', scheme: 'auto', simScheme: 'klap', fixture: 'P110(UK)_1.0_1.3.0', kind: 'plug' },
  { label: 'camera-secure', scheme: 'camera-secure', fixture: 'C210(EU)_2.0_1.4.3', kind: 'camera' },
  { label: 'camera-legacy', scheme: 'camera-legacy', fixture: 'C210(EU)_2.0_1.4.3', kind: 'camera' },
  { label: 'tpap (camera)', scheme: 'tpap', fixture: 'C210(EU)_2.0_1.4.3', kind: 'camera' },
  { label: 'auto-detect (camera-secure)', scheme: 'auto', simScheme: 'camera-secure', fixture: 'C210(EU)_2.0_1.4.3', kind: 'camera' },
];

async function main() {
  const host = await lib.startSimHost();
  let red;
  const results = [];
  try {
    const described = await host.start(SCHEMES.map((s) => ({ fixture: s.fixture, scheme: s.simScheme || s.scheme })));
    red = await startNodeRed();
    let serial = 0;
    for (let i = 0; i < SCHEMES.length; i++) {
      const s = SCHEMES[i];
      process.stdout.write(`cold-start: ${s.label} ...\n`);
      const deploy = [];
      const first = [];
      const total = [];
      let errors = 0;
      let lastError;
      for (let r = 0; r < REPEATS; r++) {
        serial++;
        const cfg = deviceConfig(`cfg-${serial}`, described[i], s.kind, s.scheme);
        const action =
          s.kind === 'plug'
            ? { id: `act-${serial}`, type: 'tapo-plug-control', z: 'tab', device: cfg.node.id, action: 'status', wires: [[]] }
            : { id: `act-${serial}`, type: 'tapo-camera-get', z: 'tab', device: cfg.node.id, names: ['deviceInfo'], wires: [[]] };
        const flow = [{ id: 'tab', type: 'tab', label: 'bench' }, cfg.node, action];
        const t0 = lib.nowMs();
        await red.deploy(flow, cfg.credentials);
        const t1 = lib.nowMs();
        const answer = await red.inject(action.id, { payload: '' });
        const t2 = lib.nowMs();
        if (answer.error) {
          errors++;
          lastError = String(answer.error.message || answer.error);
        }
        deploy.push(t1 - t0);
        first.push(t2 - t1);
        total.push(t2 - t0);
        await red.deploy([], {});
      }
      results.push({
        label: s.label,
        scheme: s.scheme,
        deviceScheme: s.simScheme || s.scheme,
        model: described[i].model,
        repeats: REPEATS,
        errors,
        lastError,
        deployMs: lib.summarize(deploy),
        firstAnswerMs: lib.summarize(first),
        totalMs: lib.summarize(total),
      });
    }
    const stats = await host.stats();
    results.forEach((r, i) => {
      r.deviceLogins = stats[i].loginCount;
    });
  } finally {
    if (red) await red.stop().catch(() => undefined);
    await host.stop();
  }

  lib.printTable(
    `Cold start: full deploy to first answer (${REPEATS} deploys per scheme, medians and max in ms)`,
    ['scheme', 'model', 'deploy p50', 'first answer p50', 'total p50', 'total max', 'device logins', 'errors'],
    results.map((r) => [r.label, r.model, r.deployMs.p50, r.firstAnswerMs.p50, r.totalMs.p50, r.totalMs.max, r.deviceLogins, r.errors]),
  );
  for (const r of results) if (r.lastError) process.stdout.write(`note: ${r.label}: ${r.lastError}\n`);
  lib.writeResult('cold-start', { repeats: REPEATS, schemes: results });
}

main().catch((err) => {
  process.stderr.write(`cold-start failed: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
