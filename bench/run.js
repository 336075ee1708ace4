'use strict';
/**
 * `npm run bench`: builds (via the npm script), then runs each benchmark in its own Node.js process,
 * one after the other, so no benchmark's memory or JIT state leaks into the next one's figures.
 * Each prints its table and writes bench/results/<name>.json (and an SVG chart where it helps).
 *
 * Usage: node bench/run.js [per-request] [nodered-throughput] [cold-start] [scale] [round-trips] [events] [snapshot]
 * (no names = all). BENCH_QUICK=1 shrinks every benchmark for a smoke run; see bench/README.md.
 */
const childProcess = require('node:child_process');
const path = require('node:path');
const lib = require('./lib');

const ALL = ['per-request', 'nodered-throughput', 'cold-start', 'scale', 'round-trips', 'events', 'snapshot'];
/** Node flags per benchmark: scale and events may call gc() AFTER a window to report retained memory. */
const NODE_FLAGS = { scale: ['--expose-gc'], events: ['--expose-gc'], snapshot: ['--expose-gc'] };
/** Upper bound per benchmark: a stuck run is killed, reported, and the next one still runs. */
const LIMIT_MS = { 'per-request': 300_000, 'nodered-throughput': 300_000, 'cold-start': 180_000, scale: 420_000, 'round-trips': 120_000, events: 300_000, snapshot: 240_000 };

function runOne(name) {
  return new Promise((resolve) => {
    const t0 = lib.nowMs();
    const child = childProcess.spawn(process.execPath, [...(NODE_FLAGS[name] || []), path.join(__dirname, `${name}.js`)], { stdio: 'inherit', env: process.env });
    const timer = setTimeout(() => {
      process.stderr.write(`${name}: still running after ${LIMIT_MS[name] / 1000} s, stopping it\n`);
      child.kill('SIGKILL');
    }, LIMIT_MS[name]);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ name, ok: code === 0, code, signal, seconds: (lib.nowMs() - t0) / 1000 });
    });
  });
}

async function main() {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((n) => !ALL.includes(n));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${ALL.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const names = asked.length ? asked : ALL;
  const facts = lib.machineFacts();
  process.stdout.write(`Machine: ${facts.cpuModel}, ${facts.cores} cores, ${facts.totalMemoryMB} MB, ${facts.platform}, Node ${facts.node}${lib.QUICK ? ' (BENCH_QUICK)' : ''}\n`);
  const outcomes = [];
  for (const name of names) {
    process.stdout.write(`\n=== ${name} ===\n`);
    outcomes.push(await runOne(name));
  }
  lib.printTable(
    'Benchmarks run',
    ['benchmark', 'result', 'seconds'],
    outcomes.map((o) => [o.name, o.ok ? 'ok' : `failed (${o.signal || `exit ${o.code}`})`, Math.round(o.seconds)]),
  );
  if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
