'use strict';
/**
 * The device side of the benchmarks, in its own process (forked by lib.js `startSimHost`), so the
 * simulator's CPU time is never counted as ours. Commands arrive over IPC as `{id, cmd, args}`
 * and are answered with `{id, ok, result | error}`:
 *
 * - `ping`                       → 'pong'
 * - `start {devices}`            → starts simulated devices (src/simulator `startDevices`) on 127.0.0.1
 * - `floor {tls, responseBytes}` → starts the trivial loopback server of the "floor" baseline: it reads
 *                                  the whole POST body and answers `responseBytes` bytes, nothing else
 *                                  (HTTPS with the simulator's certificate and TLS settings when `tls`)
 * - `stats`                      → per device: logins, envelopes, HTTP requests and TCP connections the device saw, and
 *                                  ONVIF requests and live subscriptions (cameras started with `onvifPort`),
 *                                  RTSP requests by "METHOD status" (cameras started with `rtspPort`)
 * - `detect {port, type, active}` → a camera's detection (`SimulatedDevice.detect`), with `mono`: this
 *                                  process's monotonic clock (ms) at the moment it was made
 * - `press {port, socket}`       → a plug's button pressed by hand (`SimulatedDevice.press`), with `mono`
 * - `privacy {port, on}`         → a camera's privacy mode (lens mask) set as the Tapo app sets it
 * - `serverTimes {port, reset}`  → server-side ms of each HTTP request answered on `port`
 * - `faults {port, faults}`      → sets faults of the device on `port` (`SimulatedDevice.setFaults`)
 * - `usage`                      → this process's CPU time and memory
 * - `stop`                       → stops everything and exits
 *
 * The process also exits when its parent goes away.
 */
const http = require('node:http');
const https = require('node:https');
const path = require('node:path');

/**
 * Server-side time per HTTP request, per listening port: from the `request` event to the end of
 * the response. Lets the per-request benchmark separate the device's own work from the client's.
 * Installed before the simulator loads so every server it creates is wrapped.
 */
const serverTimes = new Map();
function timed(handler) {
  return function timedHandler(req, res) {
    const t0 = process.hrtime.bigint();
    const port = req.socket.localPort;
    res.on('finish', () => {
      let list = serverTimes.get(port);
      if (!list) serverTimes.set(port, (list = []));
      if (list.length < 200_000) list.push(Number(process.hrtime.bigint() - t0) / 1e6);
    });
    return handler.call(this, req, res);
  };
}
/** TCP connections accepted per listening port (a new connection per request means no keep-alive). */
const connections = new Map();
for (const mod of [http, https]) {
  const create = mod.createServer;
  mod.createServer = function createTimedServer(...args) {
    const i = args.findIndex((a) => typeof a === 'function');
    if (i >= 0) args[i] = timed(args[i]);
    const server = create.apply(this, args);
    server.on('connection', (socket) => connections.set(socket.localPort, (connections.get(socket.localPort) || 0) + 1));
    return server;
  };
}

const sim = require(path.join(__dirname, '..', 'dist', 'simulator'));

const devices = [];
const servers = new Set();
/** ONVIF requests each camera answered or held (its `onvif` event), by device. */
const onvifRequests = new Map();
/** RTSP requests each camera answered (its `rtsp` event), by device, then by method. */
const rtspRequests = new Map();

/** The started device listening on `port`; throws for an unknown port. */
function deviceAt(port) {
  const device = devices.find((d) => d.port === port);
  if (!device) throw new Error(`no simulated device on port ${port}`);
  return device;
}

/**
 * The monotonic clock in ms. process.hrtime reads CLOCK_MONOTONIC, which every process of the
 * machine shares, so the benchmark process can compare this stamp with its own clock.
 */
function mono() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The floor: a server that does nothing but read the body and answer a fixed number of bytes. */
function startFloor({ tls, responseBytes }) {
  const body = Buffer.alloc(Math.max(0, responseBytes | 0), 0x61);
  const handler = (req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
      res.end(body);
    });
  };
  let server;
  if (tls) {
    const { key, cert } = sim.getSimCertificate();
    server = https.createServer({ key, cert, ciphers: sim.SIM_TLS_CIPHERS, maxVersion: 'TLSv1.2' }, handler);
  } else {
    server = http.createServer(handler);
  }
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  servers.add({ server, sockets });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address();
      resolve({ url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/app/request`, port });
    });
  });
}

async function stopAll() {
  await Promise.all(devices.map((d) => d.stop().catch(() => undefined)));
  devices.length = 0;
  onvifRequests.clear();
  rtspRequests.clear();
  await Promise.all(
    [...servers].map(
      ({ server, sockets }) =>
        new Promise((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    ),
  );
  servers.clear();
}

const commands = {
  ping: async () => 'pong',
  async start({ devices: list }) {
    // Loopback only, whatever the caller passed.
    const started = await sim.startDevices(list.map((options) => ({ ...options, host: '127.0.0.1' })));
    devices.push(...started);
    for (const d of started) {
      onvifRequests.set(d, 0);
      d.on('onvif', () => onvifRequests.set(d, onvifRequests.get(d) + 1));
      rtspRequests.set(d, {});
      d.on('rtsp', (info) => {
        const counts = rtspRequests.get(d);
        const key = `${info.method} ${info.status}`;
        counts[key] = (counts[key] ?? 0) + 1;
      });
    }
    return started.map((d) => d.describe());
  },
  floor: (args) => startFloor(args),
  /** Sets faults of the device on `port` (SimulatedDevice.setFaults). */
  async faults({ port, faults }) {
    const d = devices.find((x) => x.port === port);
    if (!d) throw new Error(`no device on port ${port}`);
    return d.setFaults(faults);
  },
  async stats() {
    return devices.map((d) => ({
      port: d.port,
      scheme: d.scheme,
      loginCount: d.server.loginCount,
      sessions: d.server.sessionCount(),
      requestCount: d.requestCount,
      httpRequestCount: d.httpRequestCount,
      connections: connections.get(d.port) || 0,
      onvifRequests: onvifRequests.get(d) ?? 0,
      onvifSubscriptions: d.onvifServer ? d.onvifServer.subscriptionCount() : 0,
      rtspRequests: { ...(rtspRequests.get(d) ?? {}) },
    }));
  },
  /** A camera detects (`active` true) or stops detecting; stamped with the monotonic clock. */
  async detect({ port, type, active }) {
    const device = deviceAt(port);
    const at = mono();
    const result = device.detect({ type, active: active ?? true });
    return { ...result, mono: at };
  },
  /**
   * Privacy mode on or off, as the Tapo app sets it (`setLensMaskConfig`, straight into the logic:
   * not counted as a request). Some captured cameras (the C210s) have it on, and a camera with its
   * lens covered detects nothing.
   */
  async privacy({ port, on }) {
    const device = deviceAt(port);
    if (device.family !== 'camera') throw new Error(`privacy mode is for cameras; ${device.model} is a ${device.family} device`);
    const reply = device.logic.handle({
      method: 'multipleRequest',
      params: { requests: [{ method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: on ? 'on' : 'off' } } } }] },
    });
    if (reply.error_code !== 0) throw new Error(`setLensMaskConfig answered ${reply.error_code}`);
    return { privacyMode: device.logic.state.privacyMode };
  },
  /** A plug's button pressed by hand (a strip's socket when `socket` is given); stamped likewise. */
  async press({ port, socket }) {
    const device = deviceAt(port);
    const at = mono();
    const result = device.press(socket);
    return { ...result, mono: at };
  },
  /** Server-side ms per HTTP request on `port` since the last reset; `reset` clears it. */
  async serverTimes({ port, reset }) {
    const list = serverTimes.get(port) || [];
    if (reset) serverTimes.delete(port);
    return list;
  },
  async usage() {
    const cpu = process.cpuUsage();
    return { cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, rssMB: process.memoryUsage().rss / 1048576 };
  },
  async stop() {
    await stopAll();
    setImmediate(() => process.exit(0));
    return 'stopped';
  },
};

process.on('message', (message) => {
  const handler = commands[message.cmd];
  const run = handler ? handler(message.args || {}) : Promise.reject(new Error(`unknown command "${message.cmd}"`));
  run.then(
    (result) => process.send({ id: message.id, ok: true, result }),
    (err) => process.send({ id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});

process.on('disconnect', () => {
  stopAll().finally(() => process.exit(0));
});
