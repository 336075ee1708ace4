'use strict';
/**
 * Benchmark 1: per-request cost on a live session.
 *
 * For KLAP v2 (P110), passthrough (P100) and camera secure login (C210), one small read at a time
 * (`get_device_info` for plugs, the camera's `deviceInfo` read), through our client exactly as the
 * nodes use it (DeviceConnection + Plug/Camera), after a warm-up that logs in. Beside it, in the
 * same run and against devices in the separate simulator process:
 *
 * - the floor: a plain POST of the same number of bytes (request and reply sizes measured from our
 *   own requests) to a trivial loopback server, with the same HTTP client (src/protocol/http.ts,
 *   HTTPS with the simulator's TLS settings for the camera);
 * - tp-link-tapo-connect (dev dependency) doing the same read against the same simulated plug
 *   (KLAP; passthrough too, which it also speaks).
 *
 * Sequential requests (one in flight), so latency is the per-request cost and req/s = 1/latency.
 * Env: BENCH_REQUESTS (default 3000; 500 with BENCH_QUICK=1), BENCH_WARMUP (default 300).
 */
const lib = require('./lib');

const N = lib.envInt('BENCH_REQUESTS', lib.QUICK ? 500 : 3000);
const WARMUP = lib.envInt('BENCH_WARMUP', lib.QUICK ? 100 : 300);
/** Rounds of interleaved measurement: each contender runs N/ROUNDS requests per round, so drift hits all alike. */
const ROUNDS = 3;

const { DeviceConnection } = lib.requireDist('connection');
const { Plug, Camera } = lib.requireDist('devices');
const { HttpClient } = lib.requireDist('protocol/http');

const CASES = [
  { scheme: 'klap', fixture: 'P110(UK)_1.0_1.3.0', kind: 'plug', tapoConnect: 'klap' },
  { scheme: 'passthrough', fixture: 'P100(US)_1.0.0_1.1.3', kind: 'plug', tapoConnect: 'passthrough' },
  { scheme: 'camera-secure', fixture: 'C210(EU)_2.0_1.4.3', kind: 'camera' },
];

/** Runs `fn` `count` times one after the other; returns per-call latencies (ms) and the elapsed time. */
async function measure(fn, count) {
  const samples = new Float64Array(count);
  const start = lib.nowMs();
  for (let i = 0; i < count; i++) {
    const t0 = lib.nowMs();
    await fn();
    samples[i] = lib.nowMs() - t0;
  }
  return { samples: Array.from(samples), elapsedMs: lib.nowMs() - start };
}

/**
 * Sizes of the request and reply bodies of our steady-state read, observed at the HTTP client
 * (wrapped for a few calls only, then restored, so the measured runs are untouched).
 */
async function observeSizes(read) {
  const proto = HttpClient.prototype;
  const original = proto.request;
  const seen = [];
  proto.request = async function observed(url, options = {}) {
    const res = await original.call(this, url, options);
    const body = options.body;
    const sent = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    seen.push({ path: new URL(url).pathname, requestBytes: sent, responseBytes: res.body.length });
    return res;
  };
  try {
    for (let i = 0; i < 5; i++) await read();
  } finally {
    proto.request = original;
  }
  if (seen.length === 0) throw new Error('no HTTP request observed');
  return seen[seen.length - 1];
}

/** tp-link-tapo-connect's client for one scheme, logged in to the simulated plug. */
async function tapoConnectClient(scheme, host, credentials) {
  if (scheme === 'klap') {
    const { loginDeviceByIp } = require('tp-link-tapo-connect/dist/klap-transport');
    return loginDeviceByIp(credentials.username, credentials.password, host);
  }
  const { loginDeviceByIp } = require('tp-link-tapo-connect/dist/secure-passthrough-transport');
  return loginDeviceByIp(credentials.username, credentials.password, host);
}

function row(name, stats, elapsedMs) {
  return { name, ...stats, rps: (stats.count / elapsedMs) * 1000 };
}

async function runCase(host, c, device) {
  const credentials = lib.simCredentials(c.kind);
  const address = `127.0.0.1:${device.port}`;
  const connection = new DeviceConnection({ host: address, kind: c.kind, scheme: c.scheme, credentials });
  const out = { scheme: c.scheme, fixture: c.fixture, model: device.model, contenders: {} };
  const floorClient = new HttpClient();
  let tapo;
  try {
    const plug = c.kind === 'plug' ? new Plug(connection) : undefined;
    const camera = c.kind === 'camera' ? new Camera(connection) : undefined;
    const ours = plug ? () => plug.call('get_device_info') : () => camera.read(['deviceInfo']);

    const sizes = await observeSizes(ours);
    // Logins the device saw from our client (before tp-link-tapo-connect logs in with its own).
    out.deviceLoginsFromOurs = (await host.stats()).find((d) => d.port === device.port).loginCount;
    const floor = await host.floor({ tls: c.kind === 'camera', responseBytes: sizes.responseBytes });
    const payload = Buffer.alloc(sizes.requestBytes, 0x62);
    const floorRead = async () => {
      const res = await floorClient.request(floor.url, { method: 'POST', body: payload });
      if (res.status !== 200 || res.body.length !== sizes.responseBytes) throw new Error('floor server answered wrongly');
    };
    out.bytes = { request: sizes.requestBytes, response: sizes.responseBytes, path: sizes.path };

    // [name, read, port whose server-side time is subtracted]
    const contenders = [
      ['ours', ours, device.port],
      ['floor', floorRead, floor.port],
    ];
    if (c.tapoConnect) {
      try {
        tapo = await tapoConnectClient(c.tapoConnect, address, credentials);
        const info = await tapo.getDeviceInfo();
        if (!info || typeof info.model !== 'string') throw new Error('unexpected reply');
        contenders.push(['tp-link-tapo-connect', () => tapo.getDeviceInfo(), device.port]);
      } catch (err) {
        out.tapoConnectError = err instanceof Error ? err.message : String(err);
      }
    }

    for (const [, fn] of contenders) await measure(fn, WARMUP);
    const perRound = Math.ceil(N / ROUNDS);
    const acc = Object.fromEntries(contenders.map(([name]) => [name, { samples: [], net: [], server: [], elapsedMs: 0, cpuUs: 0 }]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, fn, port] of contenders) {
        await host.serverTimes(port, true);
        const cpu0 = process.cpuUsage();
        const m = await measure(fn, perRound);
        const cpu = process.cpuUsage(cpu0);
        const server = await host.serverTimes(port, true);
        const a = acc[name];
        a.samples.push(...m.samples);
        a.server.push(...server);
        // One HTTP request per read for every contender, in order: subtract pairwise.
        if (server.length === m.samples.length) m.samples.forEach((v, i) => a.net.push(v - server[i]));
        a.elapsedMs += m.elapsedMs;
        a.cpuUs += cpu.user + cpu.system;
      }
    }
    for (const [name] of contenders) {
      const a = acc[name];
      const r = row(name, lib.summarize(a.samples), a.elapsedMs);
      r.clientCpuUsPerRequest = a.cpuUs / a.samples.length;
      r.serverP50 = lib.summarize(a.server).p50;
      if (a.net.length === a.samples.length) {
        const net = lib.summarize(a.net);
        r.withoutServerP50 = net.p50;
        r.withoutServerP99 = net.p99;
      }
      out.contenders[name] = r;
    }

    const o = out.contenders.ours;
    const f = out.contenders.floor;
    out.ratios = {
      oursVsFloorP50: o.p50 / f.p50,
      oursVsFloorP99: o.p99 / f.p99,
      floorRpsVsOurs: f.rps / o.rps,
      oursVsFloorWithoutServerP50: o.withoutServerP50 / f.withoutServerP50,
      oursVsFloorClientCpu: o.clientCpuUsPerRequest / f.clientCpuUsPerRequest,
    };
    const t = out.contenders['tp-link-tapo-connect'];
    if (t) {
      out.ratios.tapoConnectVsOursP50 = t.p50 / o.p50;
      out.ratios.tapoConnectVsOursP99 = t.p99 / o.p99;
      out.ratios.oursRpsVsTapoConnect = o.rps / t.rps;
    }
    out.logins = connection.stats.logins;
    out.ourRequests = connection.stats.requests;
  } finally {
    await connection.close();
    await floorClient.close();
  }
  return out;
}

/** A small horizontal bar chart (SVG) of p50 and p99 per contender per scheme. */
function chart(cases) {
  const bars = [];
  for (const c of cases) {
    for (const [name, s] of Object.entries(c.contenders)) bars.push({ label: `${c.scheme} / ${name}`, p50: s.p50, p99: s.p99 });
  }
  const max = Math.max(...bars.map((b) => b.p99), 0.001);
  const width = 760;
  const left = 260;
  const scale = (width - left - 80) / max;
  const rowH = 34;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${bars.length * rowH + 50}" font-family="sans-serif" font-size="12">`,
    `<text x="10" y="18" font-weight="bold">Per-request latency on a live session (ms): p50 dark, p99 light</text>`,
  ];
  bars.forEach((b, i) => {
    const y = 34 + i * rowH;
    parts.push(`<text x="10" y="${y + 14}">${b.label}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${(b.p99 * scale).toFixed(1)}" height="20" fill="#9ecae1"/>`);
    parts.push(`<rect x="${left}" y="${y + 4}" width="${(b.p50 * scale).toFixed(1)}" height="12" fill="#08519c"/>`);
    parts.push(`<text x="${left + b.p99 * scale + 6}" y="${y + 14}">${lib.round(b.p50, 2)} / ${lib.round(b.p99, 2)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

async function main() {
  const host = await lib.startSimHost();
  const cases = [];
  try {
    const described = await host.start(CASES.map((c) => ({ fixture: c.fixture, scheme: c.scheme })));
    for (let i = 0; i < CASES.length; i++) {
      process.stdout.write(`per-request: ${CASES[i].scheme} ...\n`);
      cases.push(await runCase(host, CASES[i], described[i]));
    }
  } finally {
    await host.stop();
  }

  const rows = [];
  const notes = [];
  for (const c of cases) {
    for (const [name, s] of Object.entries(c.contenders)) {
      const ratio = name === 'ours' ? '' : lib.round(s.p50 / c.contenders.ours.p50, 2) + 'x';
      rows.push([`${c.scheme} / ${name}`, s.count, s.p50, s.p99, Math.round(s.rps), s.serverP50, s.withoutServerP50, s.clientCpuUsPerRequest, ratio]);
    }
    if (c.tapoConnectError) notes.push(`${c.scheme}: tp-link-tapo-connect could not run: ${c.tapoConnectError}`);
  }
  lib.printTable(
    `Per-request cost on a live session (sequential, ${N} requests each)`,
    ['client', 'n', 'p50 ms', 'p99 ms', 'req/s', 'device p50 ms', 'p50 minus device ms', 'client CPU us/req', 'p50 vs ours'],
    rows,
  );
  for (const note of notes) process.stdout.write(`note: ${note}\n`);
  lib.printTable(
    'Ratios (targets: ours within 1.3x of the floor; faster than tp-link-tapo-connect)',
    ['scheme', 'bytes out/in', 'ours/floor p50', 'ours/floor p99', 'ours/floor p50 minus device', 'ours/floor client CPU', 'tapo-connect/ours p50', 'logins ours (client/device)'],
    cases.map((c) => [
      c.scheme,
      `${c.bytes.request}/${c.bytes.response}`,
      lib.round(c.ratios.oursVsFloorP50, 2),
      lib.round(c.ratios.oursVsFloorP99, 2),
      lib.round(c.ratios.oursVsFloorWithoutServerP50, 2),
      lib.round(c.ratios.oursVsFloorClientCpu, 2),
      c.ratios.tapoConnectVsOursP50 === undefined ? 'n/a' : lib.round(c.ratios.tapoConnectVsOursP50, 2),
      `${c.logins}/${c.deviceLoginsFromOurs}`,
    ]),
  );
  lib.writeResult('per-request', { requests: N, warmup: WARMUP, rounds: ROUNDS, cases });
  lib.writeResultFile('per-request.svg', chart(cases));
}

main().catch((err) => {
  process.stderr.write(`per-request failed: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
