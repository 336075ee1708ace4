'use strict';
/**
 * Benchmark 5: device round trips per message, this code (AFTER) beside the code before the
 * "one owner for each device" change (BEFORE, commit f8c4b51), measured in the same run.
 *
 * What is counted: the request envelopes the simulated device handled (`requestCount`: a
 * `multipleRequest` is one envelope, one round trip), for the FIRST message after a deploy (a new
 * config node: new session, nothing learnt yet) and for the messages after it (steady state), per
 * message type: tapo-plug-control on/off/toggle/status and tapo-plug-energy summary on a KLAP P110;
 * tapo-camera-get and tapo-camera-do with one setting and with two on a C210 over camera secure
 * login. Logins are counted apart (the schemes' servers handle them, not the device logic). The
 * physical floor is one round trip per message.
 *
 * How both versions are driven the same way: for each version a child process embeds Node-RED
 * (bench/nodered.js) with THAT version's nodes (nodes/*.js → its dist/) and sends the same
 * messages through the same flows to devices of the SAME simulator (this checkout's dist/simulator,
 * in its own process: bench/sim-host.js). The BEFORE code is taken from git (`git archive
 * f8c4b51`) into a temporary directory, linked to this checkout's node_modules, compiled with its
 * TypeScript, and deleted afterwards. Without the git history (an installed tarball) the table
 * shows "n/a" for BEFORE and still measures AFTER.
 *
 * Env: BENCH_ROUND_TRIP_MESSAGES (default 4: the first message and 3 later ones; 3 with BENCH_QUICK=1),
 * BENCH_BASELINE (default f8c4b51: the commit measured as BEFORE).
 */
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const lib = require('./lib');

/** The commit before the change, measured as BEFORE (BENCH_BASELINE picks another). */
const BASELINE = process.env.BENCH_BASELINE || 'f8c4b51';
const MESSAGES = Math.max(2, lib.envInt('BENCH_ROUND_TRIP_MESSAGES', lib.QUICK ? 3 : 4));
/** Upper bound for one version's run (Node-RED start, deploys, messages). */
const DRIVE_LIMIT_MS = 60_000;

const DEVICES = [
  { key: 'plug', label: 'klap (P110)', fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', kind: 'plug' },
  { key: 'camera', label: 'camera-secure (C210)', fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', kind: 'camera' },
];

/** The messages: one flow each (a config node and one action node), `payloads(i)` for message i. */
const CASES = [
  { device: 'plug', label: 'plug on', node: { type: 'tapo-plug-control', action: 'payload' }, payload: () => 'on' },
  { device: 'plug', label: 'plug off', node: { type: 'tapo-plug-control', action: 'payload' }, payload: () => 'off' },
  { device: 'plug', label: 'plug toggle', node: { type: 'tapo-plug-control', action: 'payload' }, payload: () => 'toggle' },
  { device: 'plug', label: 'plug status', node: { type: 'tapo-plug-control', action: 'payload' }, payload: () => 'status' },
  { device: 'plug', label: 'energy summary', node: { type: 'tapo-plug-energy', mode: 'summary', poll: 0 }, payload: () => '' },
  { device: 'camera', label: 'camera get, 1 setting', node: { type: 'tapo-camera-get', names: [] }, payload: () => ['privacyMode'] },
  { device: 'camera', label: 'camera get, 2 settings', node: { type: 'tapo-camera-get', names: [] }, payload: () => ['privacyMode', 'led'] },
  { device: 'camera', label: 'camera do, 1 setting', node: { type: 'tapo-camera-do', actions: '' }, payload: (i) => ({ privacyMode: i % 2 === 0 }) },
  { device: 'camera', label: 'camera do, 2 settings', node: { type: 'tapo-camera-do', actions: '' }, payload: (i) => ({ privacyMode: i % 2 === 0, led: i % 2 === 1 }) },
];

// ---- child: drive one version's nodes ---------------------------------------------------------

/** Runs every case through the nodes in `codeRoot`/nodes and reports the counts to the parent. */
async function drive(codeRoot) {
  const { startNodeRed, deviceConfig } = require('./nodered');
  const host = await lib.startSimHost();
  let red;
  const results = [];
  try {
    const described = await host.start(DEVICES.map((d) => ({ fixture: d.fixture, scheme: d.scheme })));
    const byKey = Object.fromEntries(DEVICES.map((d, i) => [d.key, { ...d, described: described[i] }]));
    red = await startNodeRed({ nodesDir: path.join(codeRoot, 'nodes') });
    const statsOf = async (port) => (await host.stats()).find((s) => s.port === port);
    let serial = 0;
    for (const c of CASES) {
      const d = byKey[c.device];
      serial++;
      // A new config node: a new session, nothing learnt about the device.
      const cfg = deviceConfig(`cfg-${serial}`, d.described, d.kind, d.scheme);
      const action = { id: `act-${serial}`, z: 'tab', device: cfg.node.id, wires: [[]], ...c.node };
      await red.deploy([{ id: 'tab', type: 'tab', label: 'bench' }, cfg.node, action], cfg.credentials);
      const messages = [];
      for (let i = 0; i < MESSAGES; i++) {
        const before = await statsOf(d.described.port);
        const answer = await red.inject(action.id, { payload: c.payload(i) });
        const after = await statsOf(d.described.port);
        messages.push({
          requests: after.requestCount - before.requestCount,
          logins: after.loginCount - before.loginCount,
          httpRequests: after.httpRequestCount - before.httpRequestCount,
          error: answer.error ? String(answer.error.message || answer.error) : undefined,
        });
      }
      results.push({ label: c.label, device: d.label, scheme: d.scheme, node: c.node.type, messages });
      // An empty deploy closes the session before the next case.
      await red.deploy([], {});
    }
  } finally {
    if (red) await red.stop().catch(() => undefined);
    await host.stop();
  }
  return results;
}

// ---- parent: build BEFORE, run both, print --------------------------------------------------

/** Runs `command` with `args` and resolves with its stdout; rejects with its stderr on failure. */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    childProcess.execFile(command, args, { maxBuffer: 64 * 1024 * 1024, ...options }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(command)} ${args.join(' ')}: ${String(stderr || err.message).trim().split('\n').slice(0, 5).join(' ')}`));
      else resolve(stdout);
    });
  });
}

/**
 * Exports the BEFORE commit into a temporary directory and compiles it there. Resolves with
 * `{ root }`, or `{ reason }` when the commit cannot be had (no git, no history).
 */
async function buildBefore(tmpParent) {
  try {
    await run('git', ['-C', lib.ROOT, 'rev-parse', '--verify', '--quiet', `${BASELINE}^{commit}`]);
  } catch {
    return { reason: `commit ${BASELINE} is not in this checkout's git history` };
  }
  const root = fs.mkdtempSync(path.join(tmpParent, 'tapo-bench-before-'));
  const tar = path.join(root, 'before.tar');
  await run('git', ['-C', lib.ROOT, 'archive', '--format=tar', '-o', tar, BASELINE, 'src', 'nodes', 'tsconfig.json', 'package.json']);
  await run('tar', ['-x', '-f', tar, '-C', root]);
  fs.rmSync(tar);
  fs.symlinkSync(fs.realpathSync(path.join(lib.ROOT, 'node_modules')), path.join(root, 'node_modules'), 'dir');
  const tsc = path.join(lib.ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json'), '--sourceMap', 'false', '--declaration', 'false']);
  return { root };
}

/** Runs one version's nodes in a child process; resolves with its results. */
function driveInChild(codeRoot, label) {
  return new Promise((resolve, reject) => {
    const child = childProcess.fork(__filename, ['--drive', codeRoot], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label}: no result within ${DRIVE_LIMIT_MS / 1000} s`));
    }, DRIVE_LIMIT_MS);
    child.on('message', (m) => {
      result = m;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result && result.ok) resolve(result.results);
      else reject(new Error(`${label}: ${result ? result.error : `exited (${signal || code})`}`));
    });
  });
}

/** The steady-state count: the later messages' value, or "min–max" when they differ. */
function steady(messages) {
  const later = messages.slice(1).map((m) => m.requests);
  const min = Math.min(...later);
  const max = Math.max(...later);
  return min === max ? min : `${min}–${max}`;
}

function cell(version, i, pick) {
  if (!version) return 'n/a';
  const r = version[i];
  if (r.messages.some((m) => m.error)) return 'error';
  return pick(r.messages);
}

async function main() {
  const tmpParent = os.tmpdir();
  let before;
  let beforeReason;
  let beforeRoot;
  try {
    process.stdout.write(`round-trips: building ${BASELINE} (before) ...\n`);
    const built = await buildBefore(tmpParent);
    beforeRoot = built.root;
    beforeReason = built.reason;
    if (beforeRoot) {
      process.stdout.write('round-trips: before ...\n');
      before = await driveInChild(beforeRoot, 'before');
    }
  } catch (err) {
    beforeReason = err instanceof Error ? err.message : String(err);
  } finally {
    if (beforeRoot) fs.rmSync(beforeRoot, { recursive: true, force: true });
  }
  process.stdout.write('round-trips: after ...\n');
  const after = await driveInChild(lib.ROOT, 'after');

  lib.printTable(
    `Device requests per message, before (${BASELINE}) and after, first message after deploy and steady state (messages 2–${MESSAGES})`,
    ['scheme', 'message', 'floor', 'first before', 'first after', 'steady before', 'steady after'],
    after.map((r, i) => [
      r.device,
      r.label,
      1,
      cell(before, i, (m) => m[0].requests),
      cell(after, i, (m) => m[0].requests),
      cell(before, i, steady),
      cell(after, i, steady),
    ]),
  );
  process.stdout.write('requests = envelopes the simulated device handled (a multipleRequest is one round trip); logins apart; floor = one round trip per message\n');
  if (!before) process.stdout.write(`before: n/a (${beforeReason})\n`);
  const loginsLine = (name, version) => {
    if (!version) return `${name}: n/a`;
    const first = version.map((r) => r.messages[0].logins);
    const later = version.flatMap((r) => r.messages.slice(1).map((m) => m.logins));
    return `${name}: ${first.reduce((a, b) => a + b, 0)} in ${first.length} first messages, ${later.reduce((a, b) => a + b, 0)} in ${later.length} later ones`;
  };
  process.stdout.write(`logins the devices counted: ${loginsLine('before', before)}; ${loginsLine('after', after)}\n`);
  for (const [name, version] of [['before', before], ['after', after]]) {
    for (const r of version || []) {
      const failed = r.messages.find((m) => m.error);
      if (failed) process.stdout.write(`note: ${name}: ${r.device} ${r.label}: ${failed.error}\n`);
    }
  }

  lib.writeResult('round-trips', {
    baseline: BASELINE,
    messagesPerCase: MESSAGES,
    floorPerMessage: 1,
    before: before ? { cases: before } : { unavailable: beforeReason },
    after: { cases: after },
    table: after.map((r, i) => ({
      device: r.device,
      scheme: r.scheme,
      node: r.node,
      message: r.label,
      floor: 1,
      firstBefore: before ? before[i].messages[0].requests : null,
      firstAfter: r.messages[0].requests,
      steadyBefore: before ? steady(before[i].messages) : null,
      steadyAfter: steady(r.messages),
    })),
  });
}

if (process.argv[2] === '--drive') {
  drive(path.resolve(process.argv[3]))
    .then(
      (results) => ({ ok: true, results }),
      (err) => ({ ok: false, error: err && err.stack ? err.stack : String(err) }),
    )
    .then((message) => process.send(message, () => process.exit(0)));
} else {
  main().catch((err) => {
    process.stderr.write(`round-trips failed: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 1;
  });
}
