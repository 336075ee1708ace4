'use strict';
/**
 * Benchmark: events into flows (`tapo-event`, src/connection/watch.ts). One embedded Node-RED
 * (bench/nodered.js); every simulated device in the separate simulator process (sim-host.js),
 * driven over IPC: detections (`detect`) and presses by hand (`press`) are made THERE, stamped
 * with the monotonic clock the two processes share, and the message is timed when it reaches the
 * node wired after the `tapo-event` node (Node-RED's `onReceive` hook).
 *
 * Phases, in this order (scale first, so its memory figures come from a fresh process):
 *
 * 1. Scale: 20 cameras (C210, camera secure login) and 50 plugs (P110, KLAP), each its own
 *    simulated device, its own `tapo-device`, and one `tapo-event` node each (poll 5 s). Baseline in
 *    the same process and run: the same flows without the `tapo-event` nodes (config nodes and the
 *    sink only), measured for the same time just before. Figures: CPU share of this process
 *    (process.cpuUsage / wall time; 1.0 = one core), RSS sampled each second (max, end), heap and
 *    RSS after a full GC (`--expose-gc`, which bench/run.js passes), polls per device counted by the
 *    devices (control envelopes in the window), TCP connections they accepted, logins per device,
 *    errors (red statuses the nodes reported, and errors or warnings they logged).
 * 2. Delay, polling source: cameras (poll 5 s and 1 s) detect motion or a person, plugs (poll 5 s
 *    and 1 s) are switched by hand; several devices of each at once, each in its own loop: wait
 *    for the previous message, then a random time in [0, poll) (a random phase of the poll: the
 *    poll runs one period after the previous one ended), detect, wait for the message. Expectation:
 *    the poll interval (a detection waits at most one interval, plus the poll's own round trip).
 *    A camera's last alarm has a resolution of one second, so a camera's next detection is made in
 *    a later second than its previous one (by whole poll periods, which keeps the phase).
 * 3. ONVIF, at the same time as 2: a camera that serves ONVIF (onvifPort 0) with a camera account,
 *    whose `tapo-device` has that account (`cameraUsername`/`cameraPassword`). Probe detections first:
 *    when the messages come with `msg.event.source === 'onvif'`, N detections are timed (start and
 *    end edges; target p50 < 1 s); when they come from polling, "ONVIF: not wired in this build" is
 *    printed with what the camera saw (ONVIF requests, live subscriptions), and that is no failure.
 *
 * Env: BENCH_EVENTS_SCALE_SECONDS (60; quick 10), BENCH_EVENTS_DELAY_SECONDS (40; quick 12),
 * BENCH_EVENTS_ONVIF_DETECTIONS (30; quick 8), BENCH_EVENTS_CAMERAS (20), BENCH_EVENTS_PLUGS (50),
 * BENCH_EVENTS_SCALE_POLL_SECONDS (5).
 */
const { EventEmitter } = require('node:events');
const lib = require('./lib');
const { startNodeRed, deviceConfig } = require('./nodered');

const SCALE_SECONDS = lib.envInt('BENCH_EVENTS_SCALE_SECONDS', lib.QUICK ? 10 : 60);
const DELAY_SECONDS = lib.envInt('BENCH_EVENTS_DELAY_SECONDS', lib.QUICK ? 12 : 40);
const ONVIF_DETECTIONS = lib.envInt('BENCH_EVENTS_ONVIF_DETECTIONS', lib.QUICK ? 8 : 30);
const SCALE_CAMERAS = lib.envInt('BENCH_EVENTS_CAMERAS', 20);
const SCALE_PLUGS = lib.envInt('BENCH_EVENTS_PLUGS', 50);
const SCALE_POLL_S = lib.envInt('BENCH_EVENTS_SCALE_POLL_SECONDS', 5);
/** Devices per delay group, each driven in its own loop (more samples in the same time). */
const DELAY_GROUPS = [
  { key: 'camera-5s', kind: 'camera', pollS: 5, devices: lib.QUICK ? 3 : 8 },
  { key: 'camera-1s', kind: 'camera', pollS: 1, devices: lib.QUICK ? 2 : 3 },
  { key: 'plug-5s', kind: 'plug', pollS: 5, devices: lib.QUICK ? 3 : 8 },
  { key: 'plug-1s', kind: 'plug', pollS: 1, devices: lib.QUICK ? 2 : 3 },
];
const CAMERA = { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure' };
const PLUG = { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap' };
const CAMERA_ACCOUNT = { username: 'bench-cam', password: 'bench-cam-secret' };
const DETECTION_TYPES = ['motion', 'person'];
/** A sample over the interval by more than this (ms) is reported as a delay beyond one poll. */
const OVER_INTERVAL_SLACK_MS = 100;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes) => bytes / 1048576;
const median = (values) => lib.percentile(Float64Array.from(values).sort(), 50);

/** The sink every event node is wired to: an inactive debug node, as a user's flow would have. */
function sink(id) {
  return { id, type: 'debug', z: 'tab', name: '', active: false, tosidebar: false, console: false, tostatus: false, complete: 'false', targetType: 'msg', wires: [] };
}

function eventNode(id, device, pollS, wireTo, extra = {}) {
  return { id, type: 'tapo-event', z: 'tab', name: '', device, events: [], output: 'change', initial: false, poll: pollS, thresholds: '', wires: [[wireTo]], ...extra };
}

/** Watches what the runtime reports: statuses (its `node-status` event, as the editor gets them) and log lines. */
function observeRuntime(red) {
  const statuses = new Map(); // node id → [{ at, fill, shape, text }]
  const onStatus = (event) => {
    if (!event || !event.status) return;
    let list = statuses.get(event.id);
    if (!list) statuses.set(event.id, (list = []));
    if (list.length < 10_000) list.push({ at: lib.nowMs(), fill: event.status.fill, shape: event.status.shape, text: event.status.text });
  };
  red.RED.events.on('node-status', onStatus);
  const logs = [];
  const handler = new EventEmitter();
  handler.on('log', (msg) => {
    // Node-RED levels: fatal 10, error 20, warn 30.
    if (msg.level <= 30 && logs.length < 1000) logs.push({ at: lib.nowMs(), level: msg.level, type: msg.type, id: msg.id, msg: String(msg.msg).slice(0, 200) });
  });
  red.RED.log.addHandler(handler);
  return {
    statuses,
    logs,
    /** Red statuses and logged errors/warnings of tapo nodes since `since`. */
    errorsSince(since) {
      const red = [];
      for (const [id, list] of statuses) for (const s of list) if (s.at >= since && s.fill === 'red') red.push({ id, text: s.text });
      const logged = logs.filter((l) => l.at >= since && typeof l.type === 'string' && l.type.startsWith('tapo'));
      return { redStatuses: red.length, logged: logged.length, examples: [...red.slice(0, 3), ...logged.slice(0, 3)] };
    },
    /** Resolves once node `id` reports a status other than its first one (its first poll is done), or after `timeoutMs`. */
    async ready(id, timeoutMs) {
      const t0 = lib.nowMs();
      while (lib.nowMs() - t0 < timeoutMs) {
        const list = statuses.get(id) || [];
        if (list.length > 1 && list.some((s) => s.text !== list[0].text)) return true;
        await sleep(50);
      }
      return false;
    },
    lastText(id) {
      const list = statuses.get(id) || [];
      return list.length ? list[list.length - 1].text : undefined;
    },
    stop() {
      red.RED.events.off('node-status', onStatus);
      red.RED.log.removeHandler(handler);
    },
  };
}

/** The messages reaching sinks, by sink id; `expect` registers the next one a driver waits for. */
function messageTap(red) {
  const waiting = new Map(); // sink id → { match, resolve }
  const unexpected = new Map(); // sink id → count
  const seen = new Map(); // sink id → count
  red.onReceive((event) => {
    const id = event.destination && event.destination.id;
    if (typeof id !== 'string' || !id.startsWith('sink-')) return;
    const at = lib.nowMs();
    seen.set(id, (seen.get(id) || 0) + 1);
    const entry = waiting.get(id);
    if (entry && entry.match(event.msg)) {
      waiting.delete(id);
      entry.resolve({ at, msg: event.msg });
    } else {
      unexpected.set(id, (unexpected.get(id) || 0) + 1);
    }
  });
  return {
    unexpected,
    seen,
    /** Resolves with `{ at, msg }` for the next message to `sinkId` that `match`es, or `undefined` after `timeoutMs`. */
    expect(sinkId, match, timeoutMs) {
      let timer;
      const got = new Promise((resolve) => {
        waiting.set(sinkId, { match, resolve });
        timer = setTimeout(() => {
          waiting.delete(sinkId);
          resolve(undefined);
        }, timeoutMs);
      });
      return got.finally(() => clearTimeout(timer));
    },
  };
}

/**
 * Makes a device event over IPC and returns the moment it happened on the shared monotonic clock:
 * the simulator's stamp when it lies between our send and its reply (it must), else our send time.
 */
async function stamped(action) {
  const sent = lib.nowMs();
  const result = await action();
  const replied = lib.nowMs();
  const ok = typeof result.mono === 'number' && result.mono >= sent - 1 && result.mono <= replied + 1;
  return { result, at: ok ? result.mono : sent, clockOk: ok, ipcMs: replied - sent };
}

// ---- phase 1: scale -------------------------------------------------------------------------

async function measureWindow(red, host, seconds) {
  const rss = [];
  const heap = [];
  const cpu0 = process.cpuUsage();
  const sim0 = await host.usage();
  const t0 = lib.nowMs();
  for (let s = 0; s < seconds; s++) {
    await sleep(Math.max(0, t0 + (s + 1) * 1000 - lib.nowMs()));
    const m = process.memoryUsage();
    rss.push(mb(m.rss));
    heap.push(mb(m.heapUsed));
  }
  const wallMs = lib.nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  const sim1 = await host.usage();
  let afterGc;
  if (typeof global.gc === 'function') {
    global.gc();
    const m = process.memoryUsage();
    afterGc = { heapUsedMB: mb(m.heapUsed), rssMB: mb(m.rss) };
  }
  return {
    t0,
    wallMs,
    cpuShareOfOneCore: (cpu.user + cpu.system) / 1000 / wallMs,
    rssMB: { max: Math.max(...rss), end: rss[rss.length - 1], series: rss },
    heapUsedMB: { max: Math.max(...heap), end: heap[heap.length - 1] },
    afterGc,
    simulatorCpuShare: (sim1.cpuUserMs + sim1.cpuSystemMs - sim0.cpuUserMs - sim0.cpuSystemMs) / wallMs,
  };
}

async function scalePhase(red, host, observed, tap, described) {
  const cameras = described.filter((d) => d.role === 'scale-camera');
  const plugs = described.filter((d) => d.role === 'scale-plug');
  const all = [...cameras, ...plugs];
  const base = [{ id: 'tab', type: 'tab', label: 'events scale' }, sink('sink-scale')];
  let credentials = {};
  all.forEach((d, i) => {
    const cfg = deviceConfig(`scale-cfg-${i}`, d, d.kind, d.scheme);
    base.push(cfg.node);
    credentials = { ...credentials, ...cfg.credentials };
  });
  const withEvents = [...base, ...all.map((d, i) => eventNode(`scale-ev-${i}`, `scale-cfg-${i}`, SCALE_POLL_S, 'sink-scale'))];

  global.gc?.();
  const emptyRssMB = mb(process.memoryUsage().rss);

  // Baseline: the same config nodes and sink, no tapo-event nodes.
  process.stdout.write(`events: scale baseline, ${all.length} tapo-device config nodes and no tapo-event nodes, ${SCALE_SECONDS} s ...\n`);
  let t = lib.nowMs();
  await red.deploy(base, credentials);
  const baselineDeployMs = lib.nowMs() - t;
  await sleep(2000);
  const before = await host.stats();
  const idle = await measureWindow(red, host, SCALE_SECONDS);
  const idleStats = await host.stats();
  const idleRequests = sum(idleStats.map((s) => s.requestCount)) - sum(before.map((s) => s.requestCount));

  // The same flows with one tapo-event node per device.
  process.stdout.write(`events: scale, ${cameras.length} cameras + ${plugs.length} plugs, one tapo-event node each (poll ${SCALE_POLL_S} s), ${SCALE_SECONDS} s ...\n`);
  t = lib.nowMs();
  await red.deploy(withEvents, credentials);
  const deployMs = lib.nowMs() - t;
  // Warm-up: every device has logged in and answered a poll (bounded), and at least 2 s.
  const ports = new Set(all.map((d) => d.port));
  const warm0 = lib.nowMs();
  let warmed = 0;
  for (;;) {
    const stats = (await host.stats()).filter((s) => ports.has(s.port));
    warmed = stats.filter((s) => s.loginCount >= 1 && s.requestCount >= 1).length;
    if ((warmed === all.length && lib.nowMs() - warm0 >= 2000) || lib.nowMs() - warm0 > 30_000) break;
    await sleep(250);
  }
  const warmupMs = lib.nowMs() - warm0;
  process.stdout.write(`events: ${warmed}/${all.length} devices polled during the warm-up (${Math.round(warmupMs)} ms); measuring ...\n`);
  const s0 = new Map((await host.stats()).map((s) => [s.port, s]));
  const busy = await measureWindow(red, host, SCALE_SECONDS);
  const s1 = new Map((await host.stats()).map((s) => [s.port, s]));
  const errors = observed.errorsSince(busy.t0);

  const perDevice = (list) => {
    const polls = list.map((d) => s1.get(d.port).requestCount - s0.get(d.port).requestCount);
    const http = list.map((d) => s1.get(d.port).httpRequestCount - s0.get(d.port).httpRequestCount);
    const conns = list.map((d) => s1.get(d.port).connections - s0.get(d.port).connections);
    const logins = list.map((d) => s1.get(d.port).loginCount);
    const loginsInWindow = list.map((d) => s1.get(d.port).loginCount - s0.get(d.port).loginCount);
    return {
      devices: list.length,
      polls: { min: Math.min(...polls), median: median(polls), max: Math.max(...polls), total: sum(polls) },
      httpRequests: { min: Math.min(...http), max: Math.max(...http) },
      tcpConnections: { min: Math.min(...conns), median: median(conns), max: Math.max(...conns) },
      logins: { min: Math.min(...logins), max: Math.max(...logins), total: sum(logins), inWindow: sum(loginsInWindow) },
    };
  };
  return {
    cameras: cameras.length,
    plugs: plugs.length,
    pollSeconds: SCALE_POLL_S,
    seconds: SCALE_SECONDS,
    expectedPollsPerDevice: SCALE_SECONDS / SCALE_POLL_S,
    nodeRedWithoutFlowsRssMB: emptyRssMB,
    baseline: { deployMs: baselineDeployMs, ...strip(idle), deviceEnvelopes: idleRequests },
    events: {
      deployMs,
      warmupMs,
      warmedUp: warmed,
      ...strip(busy),
      camerasPerDevice: perDevice(cameras),
      plugsPerDevice: perDevice(plugs),
      errors,
      // No detections in this phase: a message here would be a change nobody made.
      messages: tap.seen.get('sink-scale') || 0,
    },
  };
}

function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

/** A measured window without its start time (kept out of the results). */
function strip(window) {
  const rest = { ...window };
  delete rest.t0;
  return rest;
}

// ---- phases 2 and 3: delay ------------------------------------------------------------------

/** One device's loop: detections (cameras) or presses (plugs) at random phases of its poll. */
async function driveDelay(host, tap, observed, dev, endAt) {
  const pollMs = dev.pollS * 1000;
  const samples = [];
  const sources = {};
  let missed = 0;
  let wrongTopic = 0;
  let clockFallbacks = 0;
  let lastSecond = 0;
  let i = 0;
  await observed.ready(dev.eventId, pollMs + 15_000);
  await sleep(Math.random() * pollMs);
  while (lib.nowMs() < endAt) {
    if (dev.kind === 'camera') {
      // A new second: the last alarm's time is in whole seconds (whole periods keep the phase).
      while (Date.now() < (lastSecond + 1) * 1000) await sleep(pollMs);
      if (lib.nowMs() >= endAt) break;
    }
    const type = DETECTION_TYPES[i++ % DETECTION_TYPES.length];
    const match = dev.kind === 'camera' ? (m) => m.topic === type && m.payload === true : (m) => m.topic === 'on' || m.topic === 'off';
    const got = tap.expect(dev.sinkId, match, 2 * pollMs + 5000);
    const made = await stamped(() => (dev.kind === 'camera' ? host.detect(dev.port, type, true) : host.press(dev.port)));
    if (!made.clockOk) clockFallbacks++;
    const arrived = await got;
    if (dev.kind === 'camera') {
      lastSecond = made.result.time;
      await host.detect(dev.port, type, false);
    }
    if (!arrived) {
      missed++;
      continue;
    }
    if (dev.kind === 'plug' && arrived.msg.topic !== (made.result.on ? 'on' : 'off')) wrongTopic++;
    const source = arrived.msg.event && arrived.msg.event.source;
    sources[source] = (sources[source] || 0) + 1;
    samples.push(arrived.at - made.at);
    if (lib.nowMs() >= endAt) break;
    await sleep(Math.random() * pollMs);
  }
  return { samples, sources, missed, wrongTopic, clockFallbacks };
}

/** The ONVIF camera: probes, then N timed detections when the events come over ONVIF. */
async function driveOnvif(host, tap, observed, dev, endAt) {
  const out = { wired: false, probes: [], start: [], end: [], missed: 0, endMissed: 0, otherSources: 0, clockFallbacks: 0 };
  const pollMs = dev.pollS * 1000;
  out.readyBeforeProbe = await observed.ready(dev.eventId, pollMs + 15_000);
  // Up to two probes, the second a little later (in case a subscription is still being made).
  for (let p = 0; p < 2 && !out.wired; p++) {
    await sleep(1100 + p * 2000);
    const type = DETECTION_TYPES[p % 2];
    const got = tap.expect(dev.sinkId, (m) => m.topic === type && m.payload === true, 2 * pollMs + 5000);
    const made = await stamped(() => host.detect(dev.port, type, true));
    const arrived = await got;
    await host.detect(dev.port, type, false);
    const source = arrived ? arrived.msg.event && arrived.msg.event.source : undefined;
    out.probes.push({ source: source ?? 'none', ms: arrived ? arrived.at - made.at : undefined, onvifSubscriptionsNotified: made.result.onvifSubscriptions });
    if (source === 'onvif') out.wired = true;
    // A falling edge over ONVIF, if any, should not be taken for the next probe's message.
    await sleep(300);
  }
  out.statusText = observed.lastText(dev.eventId);
  if (!out.wired) return out;

  let waitEnds = true;
  for (let n = 0; n < ONVIF_DETECTIONS && lib.nowMs() < endAt; n++) {
    await sleep(300 + Math.random() * 1000);
    const type = DETECTION_TYPES[n % 2];
    const got = tap.expect(dev.sinkId, (m) => m.topic === type && m.payload === true, 10_000);
    const made = await stamped(() => host.detect(dev.port, type, true));
    if (!made.clockOk) out.clockFallbacks++;
    const arrived = await got;
    if (!arrived) out.missed++;
    else if (arrived.msg.event && arrived.msg.event.source !== 'onvif') out.otherSources++;
    else out.start.push(arrived.at - made.at);
    // The end of the detection: a `false` message when the source reports ends (ONVIF does).
    await sleep(200 + Math.random() * 300);
    const gotEnd = waitEnds ? tap.expect(dev.sinkId, (m) => m.topic === type && m.payload === false, 3000) : Promise.resolve(undefined);
    const ended = await stamped(() => host.detect(dev.port, type, false));
    const endArrived = await gotEnd;
    if (endArrived) out.end.push(endArrived.at - ended.at);
    else if (waitEnds) {
      out.endMissed++;
      waitEnds = false; // this build does not send ends: do not wait for them again
    }
  }
  return out;
}

async function delayPhase(red, host, observed, tap, described) {
  const nodes = [{ id: 'tab', type: 'tab', label: 'events delay' }];
  let credentials = {};
  const drivers = [];
  const delayDevices = described.filter((d) => d.role === 'delay');
  delayDevices.forEach((d, i) => {
    const cfg = deviceConfig(`delay-cfg-${i}`, d, d.kind, d.scheme);
    nodes.push(cfg.node, eventNode(`delay-ev-${i}`, `delay-cfg-${i}`, d.pollS, `sink-delay-${i}`), sink(`sink-delay-${i}`));
    credentials = { ...credentials, ...cfg.credentials };
    drivers.push({ ...d, eventId: `delay-ev-${i}`, sinkId: `sink-delay-${i}` });
  });
  const onvif = described.find((d) => d.role === 'onvif');
  const cfg = deviceConfig('onvif-cfg', onvif, 'camera', onvif.scheme);
  nodes.push(cfg.node, eventNode('onvif-ev', 'onvif-cfg', onvif.pollS, 'sink-onvif', { onvifPort: onvif.onvifPort }), sink('sink-onvif'));
  credentials = { ...credentials, 'onvif-cfg': { ...cfg.credentials['onvif-cfg'], cameraUsername: CAMERA_ACCOUNT.username, cameraPassword: CAMERA_ACCOUNT.password } };

  process.stdout.write(`events: delay, ${delayDevices.length} devices (polling) and 1 camera with ONVIF and its camera account, ${DELAY_SECONDS} s ...\n`);
  await red.deploy(nodes, credentials);
  const t0 = lib.nowMs();
  const endAt = t0 + DELAY_SECONDS * 1000;
  const [polling, onvifResult] = await Promise.all([
    Promise.all(drivers.map((d) => driveDelay(host, tap, observed, d, endAt).then((r) => ({ ...r, group: d.group, port: d.port })))),
    driveOnvif(host, tap, observed, { ...onvif, eventId: 'onvif-ev', sinkId: 'sink-onvif' }, endAt + 20_000),
  ]);
  const stats = new Map((await host.stats()).map((s) => [s.port, s]));
  const onvifStats = stats.get(onvif.port);
  onvifResult.camera = { onvifRequests: onvifStats.onvifRequests, onvifSubscriptions: onvifStats.onvifSubscriptions, controlEnvelopes: onvifStats.requestCount, logins: onvifStats.loginCount };

  const groups = DELAY_GROUPS.map((g) => {
    const runs = polling.filter((r) => r.group === g.key);
    const samples = runs.flatMap((r) => r.samples);
    const pollMs = g.pollS * 1000;
    const sources = {};
    for (const r of runs) for (const [k, v] of Object.entries(r.sources)) sources[k] = (sources[k] || 0) + v;
    const devicePorts = runs.map((r) => r.port);
    return {
      key: g.key,
      kind: g.kind,
      pollSeconds: g.pollS,
      devices: runs.length,
      latency: lib.summarize(samples),
      overInterval: samples.filter((v) => v > pollMs).length,
      overIntervalBeyondSlack: samples.filter((v) => v > pollMs + OVER_INTERVAL_SLACK_MS).length,
      worstOverIntervalMs: samples.length ? Math.max(...samples) - pollMs : undefined,
      missed: sum(runs.map((r) => r.missed)),
      wrongTopic: sum(runs.map((r) => r.wrongTopic)),
      unexpectedMessages: sum(drivers.filter((d) => d.group === g.key).map((d) => tap.unexpected.get(d.sinkId) || 0)),
      clockFallbacks: sum(runs.map((r) => r.clockFallbacks)),
      sources,
      logins: sum(devicePorts.map((p) => stats.get(p).loginCount)),
      samples,
    };
  });
  return { seconds: DELAY_SECONDS, groups, onvif: onvifResult, errors: observed.errorsSince(t0) };
}

// ---- main -----------------------------------------------------------------------------------

async function main() {
  const host = await lib.startSimHost();
  let red;
  let observed;
  let scale;
  let delay;
  try {
    const wanted = [];
    for (let i = 0; i < SCALE_CAMERAS; i++) wanted.push({ role: 'scale-camera', kind: 'camera', ...CAMERA });
    for (let i = 0; i < SCALE_PLUGS; i++) wanted.push({ role: 'scale-plug', kind: 'plug', ...PLUG, loadWatts: 60 });
    for (const g of DELAY_GROUPS) for (let i = 0; i < g.devices; i++) wanted.push({ role: 'delay', group: g.key, kind: g.kind, pollS: g.pollS, ...(g.kind === 'camera' ? CAMERA : PLUG) });
    wanted.push({ role: 'onvif', kind: 'camera', pollS: 5, ...CAMERA, onvifPort: 0, cameraAccount: CAMERA_ACCOUNT });
    process.stdout.write(`events: starting ${wanted.length} simulated devices in the simulator process ...\n`);
    // What the simulator is given: the device options without our bookkeeping.
    const startOptions = wanted.map((w) => {
      const options = { ...w };
      for (const key of ['role', 'group', 'kind', 'pollS']) delete options[key];
      return options;
    });
    const started = await host.start(startOptions);
    // What the simulator says (its ports, the ONVIF port it bound) wins over what was asked (onvifPort 0 = any).
    const described = started.map((d, i) => ({ ...wanted[i], ...d }));
    // The captured C210 has privacy mode on, and a covered lens detects nothing: uncover every camera.
    for (const d of described) if (d.kind === 'camera') await host.privacy(d.port, false);
    red = await startNodeRed({ logLevel: 'error' });
    if (!red.RED.nodes.getNodeList().some((n) => n.types.includes('tapo-event'))) throw new Error('Node-RED did not load tapo-event from nodes/ (is dist/ built?)');
    observed = observeRuntime(red);
    const tap = messageTap(red);

    scale = await scalePhase(red, host, observed, tap, described);
    delay = await delayPhase(red, host, observed, tap, described);
  } finally {
    observed?.stop();
    if (red) await red.stop().catch(() => undefined);
    await host.stop();
  }
  report(scale, delay);
}

function ms(v) {
  return typeof v === 'number' && Number.isFinite(v) ? lib.round(v, v >= 100 ? 0 : 1) : 'n/a';
}

function report(scale, delay) {
  const rows = delay.groups.map((g) => [
    g.kind === 'camera' ? 'camera detection (poll)' : 'plug switched by hand (poll)',
    g.pollSeconds,
    `${g.latency.count} (${g.devices} dev)`,
    ms(g.latency.p50),
    ms(g.latency.p99),
    ms(g.latency.max),
    `${g.pollSeconds * 1000}`,
    `${g.overInterval} (${g.overIntervalBeyondSlack})`,
    g.missed,
  ]);
  const o = delay.onvif;
  if (o.wired) {
    const s = lib.summarize(o.start);
    rows.push(['camera detection (ONVIF)', '-', `${s.count} (1 dev)`, ms(s.p50), ms(s.p99), ms(s.max), 'p50 < 1000', '-', o.missed]);
    if (o.end.length) {
      const e = lib.summarize(o.end);
      rows.push(['  end of the detection (ONVIF)', '-', `${e.count} (1 dev)`, ms(e.p50), ms(e.p99), ms(e.max), '', '-', o.endMissed]);
    }
  }
  lib.printTable(
    `Events: detection → message in the flow (tapo-event → next node), ${delay.seconds} s, random phases of the poll`,
    ['source', 'poll (s)', 'samples', 'p50 (ms)', 'p99 (ms)', 'max (ms)', 'expected (ms)', `> interval (> +${OVER_INTERVAL_SLACK_MS} ms)`, 'missed'],
    rows,
  );
  if (!o.wired) {
    const p = o.probes.map((x) => `${x.source}${x.ms !== undefined ? ` after ${Math.round(x.ms)} ms` : ''}`).join(', ');
    process.stdout.write(
      `ONVIF: not wired in this build (the probe detections came from: ${p}; the camera, with its camera account in the ` +
        `tapo-device, saw ${o.camera.onvifRequests} ONVIF requests and has ${o.camera.onvifSubscriptions} live subscriptions)\n`,
    );
  } else if (o.otherSources) {
    process.stdout.write(`note: ONVIF camera: ${o.otherSources} detections arrived from another source first\n`);
  }
  for (const g of delay.groups) {
    const notes = [];
    if (g.wrongTopic) notes.push(`${g.wrongTopic} wrong topics`);
    if (g.unexpectedMessages) notes.push(`${g.unexpectedMessages} unexpected messages`);
    if (g.clockFallbacks) notes.push(`${g.clockFallbacks} stamps not from the simulator clock`);
    if (g.overIntervalBeyondSlack) notes.push(`${g.overIntervalBeyondSlack} delays longer than the poll interval + ${OVER_INTERVAL_SLACK_MS} ms (worst +${Math.round(g.worstOverIntervalMs)} ms)`);
    if (Object.keys(g.sources).some((k) => k !== 'poll')) notes.push(`sources ${JSON.stringify(g.sources)}`);
    if (notes.length) process.stdout.write(`note: ${g.key}: ${notes.join('; ')}\n`);
  }
  if (delay.errors.redStatuses || delay.errors.logged) process.stdout.write(`note: delay phase errors: ${JSON.stringify(delay.errors)}\n`);

  const b = scale.baseline;
  const e = scale.events;
  const gc = (w) => (w.afterGc ? `${lib.round(w.afterGc.heapUsedMB, 1)} / ${lib.round(w.afterGc.rssMB, 1)}` : 'n/a (no --expose-gc)');
  const pollsRow = (p) => `${p.polls.min} / ${p.polls.median} / ${p.polls.max}`;
  lib.printTable(
    `Events at scale: ${scale.cameras} cameras + ${scale.plugs} plugs in one Node-RED, ${scale.seconds} s measured`,
    ['figure', 'baseline: no tapo-event nodes', `${scale.cameras + scale.plugs} tapo-event nodes, poll ${scale.pollSeconds} s`, 'expected'],
    [
      ['CPU share of one core (Node-RED process)', lib.round(b.cpuShareOfOneCore, 4), lib.round(e.cpuShareOfOneCore, 4), ''],
      ['resident memory max / end (MB)', `${lib.round(b.rssMB.max, 1)} / ${lib.round(b.rssMB.end, 1)}`, `${lib.round(e.rssMB.max, 1)} / ${lib.round(e.rssMB.end, 1)}`, ''],
      ['after a full GC: heap used / RSS (MB)', gc(b), gc(e), ''],
      ['polls per camera, counted by the device (min / median / max)', '-', pollsRow(e.camerasPerDevice), `${scale.expectedPollsPerDevice}`],
      ['polls per plug, counted by the device (min / median / max)', '-', pollsRow(e.plugsPerDevice), `${scale.expectedPollsPerDevice}`],
      ['TCP connections per device, opened in the window (min / median / max)', '-', `${Math.min(e.camerasPerDevice.tcpConnections.min, e.plugsPerDevice.tcpConnections.min)} / ${median([e.camerasPerDevice.tcpConnections.median, e.plugsPerDevice.tcpConnections.median])} / ${Math.max(e.camerasPerDevice.tcpConnections.max, e.plugsPerDevice.tcpConnections.max)}`, ''],
      ['device requests in the window (all devices)', b.deviceEnvelopes, e.camerasPerDevice.polls.total + e.plugsPerDevice.polls.total, ''],
      ['errors (red statuses / logged errors and warnings)', '-', `${e.errors.redStatuses} / ${e.errors.logged}`, '0'],
      ['logins per device (min / max), during the window', '-', `${Math.min(e.camerasPerDevice.logins.min, e.plugsPerDevice.logins.min)} / ${Math.max(e.camerasPerDevice.logins.max, e.plugsPerDevice.logins.max)}, ${e.camerasPerDevice.logins.inWindow + e.plugsPerDevice.logins.inWindow}`, '1 / 1, 0'],
      ['deploy (ms)', lib.round(b.deployMs, 0), lib.round(e.deployMs, 0), ''],
      ['simulator process CPU share (not ours)', lib.round(b.simulatorCpuShare, 4), lib.round(e.simulatorCpuShare, 4), ''],
    ],
  );
  process.stdout.write(`Node-RED with this package and no flows: ${lib.round(scale.nodeRedWithoutFlowsRssMB, 1)} MB RSS\n`);
  if (e.errors.redStatuses || e.errors.logged) process.stdout.write(`note: scale errors: ${JSON.stringify(e.errors.examples)}\n`);

  lib.writeResult('events', {
    delay: { ...delay, groups: delay.groups.map((g) => ({ ...g, samples: g.samples.map((v) => lib.round(v, 2)) })) },
    scale,
  });
}

main().catch((err) => {
  process.stderr.write(`events failed: ${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
