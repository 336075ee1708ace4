'use strict';
/**
 * Shared helpers for the benchmarks: statistics from measured samples, tables, machine facts,
 * result files, and the simulator host that runs in a SEPARATE process (so the device side of
 * every request is not counted as our cost).
 *
 * Everything talks to 127.0.0.1 only.
 */
const childProcess = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
/** True when BENCH_QUICK is set: every benchmark shrinks its counts for a smoke run. */
const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
/**
 * Where figures go: bench/results/ for full runs (the ones the README quotes), and
 * bench/results/quick/ (not committed) for smoke runs, so a smoke run never replaces them.
 */
const RESULTS = path.join(__dirname, 'results', ...(QUICK ? ['quick'] : []));

/** Reads a positive integer from the environment, or the default. */
function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return Math.round(value);
}

/** Requires a compiled module from dist/, with a clear message when `npm run build` was not run. */
function requireDist(relative) {
  const file = path.join(DIST, relative);
  try {
    return require(file);
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(file)) {
      throw new Error(`${file} is missing: run "npm run build" first (npm run bench does it for you)`);
    }
    throw err;
  }
}

/** Nanosecond clock as milliseconds (float). */
function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The q-th percentile (0..100) of sorted samples, nearest-rank. */
function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((q / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Summary of latency samples in ms: count, mean, min, p50, p90, p99, max. */
function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : NaN,
    min: sorted.length ? sorted[0] : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

/** Rounds for display and JSON (3 significant decimals for small numbers). */
function round(value, digits = 3) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Rounds every number in a plain object tree. */
function roundAll(value, digits = 3) {
  if (typeof value === 'number') return round(value, digits);
  if (Array.isArray(value)) return value.map((v) => roundAll(v, digits));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = roundAll(v, digits);
    return out;
  }
  return value;
}

/** Prints a table: `columns` are header names, `rows` arrays of cells. */
function printTable(title, columns, rows) {
  const cells = rows.map((row) => row.map((c) => (typeof c === 'number' ? String(round(c, 3)) : String(c ?? ''))));
  const widths = columns.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [`\n${title}`, line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)];
  process.stdout.write(out.join('\n') + '\n');
}

/** Facts about the machine and runtime, recorded in every result file. */
function machineFacts() {
  const cpus = os.cpus();
  let pkgVersion;
  try {
    pkgVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
  } catch {
    pkgVersion = undefined;
  }
  return {
    cpuModel: cpus.length ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    totalMemoryMB: Math.round(os.totalmem() / 1048576),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    package: pkgVersion,
    date: new Date().toISOString(),
  };
}

/** Writes bench/results/<name>.json with the machine facts and the figures. */
function writeResult(name, body) {
  fs.mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `${name}.json`);
  const doc = { benchmark: name, machine: machineFacts(), quick: QUICK, ...roundAll(body) };
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`);
  return file;
}

/** Writes a file under bench/results/. */
function writeResultFile(fileName, text) {
  fs.mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, fileName);
  fs.writeFileSync(file, text);
  process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`);
  return file;
}

/** Rejects after `ms` unless `promise` settles first; the timer never outlives the race. */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts bench/sim-host.js in its own process and returns a handle that sends it commands over
 * IPC: `start(devices)`, `floor({tls, responseBytes})`, `stats()`, `detect(port, type, active)`,
 * `press(port, socket)`, `privacy(port, on)`, `usage()`, `stop()`.
 */
async function startSimHost() {
  const child = childProcess.fork(path.join(__dirname, 'sim-host.js'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map();
  let exited = false;
  child.on('message', (message) => {
    const entry = pending.get(message.id);
    if (!entry) return;
    pending.delete(message.id);
    if (message.ok) entry.resolve(message.result);
    else entry.reject(new Error(`simulator host: ${message.error}`));
  });
  const exitPromise = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      for (const entry of pending.values()) entry.reject(new Error(`simulator host exited (${code ?? signal})`));
      pending.clear();
      resolve();
    });
  });
  const call = (cmd, args = {}, timeoutMs = 120_000) => {
    if (exited) return Promise.reject(new Error('simulator host is not running'));
    const id = nextId++;
    const promise = new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    child.send({ id, cmd, args });
    return withTimeout(promise, timeoutMs, `simulator host "${cmd}"`);
  };
  await call('ping');
  return {
    pid: child.pid,
    /** Starts devices (StartDeviceOptions[]); resolves with their descriptions. */
    start: (devices) => call('start', { devices }),
    /** Sets faults of the device on `port`; resolves with all its faults. */
    faults: (port, faults) => call('faults', { port, faults }),
    /** Starts the trivial floor server; resolves with `{ url }`. */
    floor: (options) => call('floor', options),
    /** Per-device `{ port, loginCount, requestCount, httpRequestCount, connections, sessions, onvifRequests, onvifSubscriptions }`. */
    stats: () => call('stats'),
    /**
     * The camera on `port` starts (`active`, default) or ends a detection of `type`; resolves with
     * the simulator's result and `mono`, the shared monotonic clock in ms when it was made.
     */
    detect: (port, type, active = true) => call('detect', { port, type, active }),
    /** The plug on `port` is switched by hand; resolves with `{ on, position?, mono }`. */
    press: (port, socket) => call('press', { port, socket }),
    /** The camera on `port` covers (`on`) or uncovers its lens; resolves with `{ privacyMode }`. */
    privacy: (port, on) => call('privacy', { port, on }),
    /** Server-side ms per HTTP request answered on `port` (and clears the list when `reset`). */
    serverTimes: (port, reset = true) => call('serverTimes', { port, reset }),
    /** The host process's own CPU time and memory. */
    usage: () => call('usage'),
    /** Stops every device and server, then the process. */
    async stop() {
      if (exited) return;
      try {
        await call('stop', {}, 20_000);
      } catch {
        child.kill('SIGKILL');
      }
      await withTimeout(exitPromise, 10_000, 'simulator host exit').catch(() => child.kill('SIGKILL'));
    },
  };
}

/** The simulator's default credentials for a device kind. */
function simCredentials(kind) {
  return { username: kind === 'camera' ? 'admin' : 'user@example.com', password: 'tapo-sim' };
}

module.exports = {
  ROOT,
  DIST,
  RESULTS,
  QUICK,
  envInt,
  requireDist,
  nowMs,
  percentile,
  summarize,
  round,
  roundAll,
  printTable,
  machineFacts,
  writeResult,
  writeResultFile,
  withTimeout,
  startSimHost,
  simCredentials,
};
