'use strict';
/**
 * Benchmark: snapshots (`TapoDevice.snapshot`, src/devices/snapshot.ts) against simulated cameras in
 * their own process (bench/sim-host.js), so the simulator's CPU and memory are never counted as ours.
 *
 * Phases:
 * 1. stream8 (MJPEG over RTSP, no decoder): N snapshots one after another through one device
 *    owner. Latency p50/p99 (ms, from the call to the JPEG in hand), and memory per snapshot:
 *    heap and RSS after a full GC (`--expose-gc`, which bench/run.js passes) before and after the
 *    N snapshots, divided by N (what each snapshot leaves behind), and the JPEG size.
 *    BASELINE in the same run, against the same camera: ffmpeg's own RTSP client taking one frame
 *    of stream8 (`ffmpeg -rtsp_transport tcp -i … -frames:v 1 -c copy -f image2pipe -`), the tool
 *    Home Assistant uses for Tapo stills (media.md §4); timed per process, start-up included, as a
 *    user of that route waits for it. Without ffmpeg the baseline shows "n/a".
 * 2. Five snapshots asked at once, R rounds: streams the camera opened (its PLAY requests) per
 *    round, and latency of the slowest of the five. Expectation: 1 stream per round.
 * 3. ffmpeg route (a camera without stream8: `stream2` through ffmpeg as a decoder), when ffmpeg
 *    is installed and the simulator serves H.264: latency p50/p99, beside ffmpeg's own RTSP client
 *    on the same stream2 decoding one frame to JPEG.
 *
 * Env: BENCH_SNAPSHOTS (default 100; 20 with BENCH_QUICK=1), BENCH_SNAPSHOT_ROUNDS (default 10; 4),
 * BENCH_SNAPSHOT_FFMPEG (default 20; 5).
 */
const childProcess = require('node:child_process');
const lib = require('./lib');

const N = lib.envInt('BENCH_SNAPSHOTS', lib.QUICK ? 20 : 100);
const ROUNDS = lib.envInt('BENCH_SNAPSHOT_ROUNDS', lib.QUICK ? 4 : 10);
const N_FFMPEG = lib.envInt('BENCH_SNAPSHOT_FFMPEG', lib.QUICK ? 5 : 20);
const ACCOUNT = { username: 'bench-cam', password: 'bench-cam-secret' };
const CAMERA = { fixture: 'C101(US)_5.0_1.4.3', scheme: 'tpap', rtspPort: 0, cameraAccount: ACCOUNT };

const { TapoDevice } = lib.requireDist('connection/device');
const { findFfmpeg } = lib.requireDist('protocol/ffmpeg');

const gc = typeof global.gc === 'function' ? global.gc : () => undefined;

function memory() {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss, external: m.external + m.arrayBuffers };
}

/** Times `ffmpeg` on one RTSP URL: resolves with ms and the bytes it wrote, or rejects. */
function ffmpegOnce(ffmpeg, url, codecArgs) {
  return new Promise((resolve, reject) => {
    const t0 = lib.nowMs();
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_transport', 'tcp', '-i', url, '-an', '-frames:v', '1', ...codecArgs, '-f', 'image2pipe', 'pipe:1'];
    const child = childProcess.spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (c) => (bytes += c.length));
    child.stderr.on('data', (c) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0 && bytes > 0) resolve({ ms: lib.nowMs() - t0, bytes });
      else reject(new Error(`ffmpeg exited ${code}: ${stderr.trim().split('\n').pop()}`));
    });
  });
}

function owner(info, extra = {}) {
  return new TapoDevice({
    host: `127.0.0.1:${info.port}`,
    kind: 'camera',
    credentials: lib.simCredentials('camera'),
    cameraAccount: ACCOUNT,
    rtspPort: info.rtspPort,
    timeoutMs: 15_000,
    ...extra,
  });
}

async function main() {
  const host = await lib.startSimHost();
  const ffmpeg = findFfmpeg();
  const result = { snapshots: N, rounds: ROUNDS, ffmpeg: ffmpeg ?? null };
  try {
    const [info, noStream8] = await host.start([{ ...CAMERA, password: 'tapo-sim' }, { ...CAMERA, password: 'tapo-sim', fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure' }]);
    await host.faults(noStream8.port, { rtspNoStream8: true });
    const cam = owner(info);
    cam.register({});
    const rtspUrl = (path) => `rtsp://${ACCOUNT.username}:${ACCOUNT.password}@127.0.0.1:${info.rtspPort}/${path}`;

    // 1. stream8 one after another.
    await cam.snapshot(); // warm-up: JIT, and the fact that stream8 exists
    const before = memory();
    const times = [];
    let size = 0;
    for (let i = 0; i < N; i++) {
      const t0 = lib.nowMs();
      const shot = await cam.snapshot();
      times.push(lib.nowMs() - t0);
      size = shot.jpeg.length;
    }
    const after = memory();
    const baseline = [];
    if (ffmpeg) for (let i = 0; i < Math.min(N, 20); i++) baseline.push((await ffmpegOnce(ffmpeg, rtspUrl('stream8'), ['-c:v', 'copy'])).ms);
    result.stream8 = {
      latency: lib.summarize(times),
      baselineFfmpegClient: baseline.length ? lib.summarize(baseline) : null,
      jpegBytes: size,
      retainedPerSnapshot: { heapBytes: (after.heap - before.heap) / N, rssBytes: (after.rss - before.rss) / N, externalBytes: (after.external - before.external) / N },
    };

    // 2. Five at once.
    const playsOf = async () => {
      const stats = await host.stats();
      const s = stats.find((d) => d.port === info.port);
      return (s && s.rtspRequests['PLAY 200']) || 0;
    };
    const streamsPerRound = [];
    const slowest = [];
    for (let r = 0; r < ROUNDS; r++) {
      const plays = await playsOf();
      const t0 = lib.nowMs();
      const shots = await Promise.all([1, 2, 3, 4, 5].map(() => cam.snapshot()));
      slowest.push(lib.nowMs() - t0);
      if (shots.some((s) => s.jpeg.length === 0)) throw new Error('an empty snapshot');
      streamsPerRound.push((await playsOf()) - plays);
    }
    result.fiveAtOnce = { streamsPerRound, slowestOfFive: lib.summarize(slowest) };
    await cam.end();

    // 3. ffmpeg route.
    if (ffmpeg) {
      const cam2 = owner(noStream8);
      cam2.register({});
      let route = null;
      try {
        await cam2.snapshot();
        const t = [];
        for (let i = 0; i < N_FFMPEG; i++) {
          const t0 = lib.nowMs();
          await cam2.snapshot();
          t.push(lib.nowMs() - t0);
        }
        const base = [];
        const url = `rtsp://${ACCOUNT.username}:${ACCOUNT.password}@127.0.0.1:${noStream8.rtspPort}/stream2`;
        for (let i = 0; i < N_FFMPEG; i++) base.push((await ffmpegOnce(ffmpeg, url, ['-c:v', 'mjpeg'])).ms);
        route = { latency: lib.summarize(t), baselineFfmpegClient: lib.summarize(base) };
      } catch (e) {
        route = { error: String(e && e.message ? e.message : e) };
      }
      result.ffmpegRoute = route;
      await cam2.end();
    }
  } finally {
    await host.stop();
  }

  const ms = (s) => (s ? `${lib.round(s.p50, 1)} / ${lib.round(s.p99, 1)}` : 'n/a');
  lib.printTable(
    `Snapshot latency, ms p50 / p99 (${N} stream8 snapshots, ${N_FFMPEG} through ffmpeg)`,
    ['route', 'this package', 'baseline: ffmpeg RTSP client'],
    [
      ['stream8 (MJPEG, no decoder)', ms(result.stream8.latency), ms(result.stream8.baselineFfmpegClient)],
      ['stream2 through ffmpeg', result.ffmpegRoute && result.ffmpegRoute.latency ? ms(result.ffmpegRoute.latency) : result.ffmpegRoute ? result.ffmpegRoute.error : 'n/a (no ffmpeg)', result.ffmpegRoute && result.ffmpegRoute.baselineFfmpegClient ? ms(result.ffmpegRoute.baselineFfmpegClient) : 'n/a'],
    ],
  );
  const r = result.stream8.retainedPerSnapshot;
  // A growth that stays the same in total whatever N is warm-up (code, caches), not a leak: the
  // total is printed beside the per-snapshot share so a run with another N tells them apart.
  lib.printTable(`Memory per stream8 snapshot (after a full GC, ${N} snapshots)`, ['JPEG bytes', 'heap retained / snapshot (total)', 'RSS / snapshot (total)', 'external / snapshot'], [
    [
      result.stream8.jpegBytes,
      `${Math.round(r.heapBytes)} B (${lib.round((r.heapBytes * N) / 1048576, 2)} MB)`,
      `${Math.round(r.rssBytes)} B (${lib.round((r.rssBytes * N) / 1048576, 2)} MB)`,
      `${Math.round(r.externalBytes)} B`,
    ],
  ]);
  lib.printTable('Five snapshots asked at once', ['rounds', 'streams opened per round', 'slowest of five, ms p50 / p99'], [
    [ROUNDS, result.fiveAtOnce.streamsPerRound.join(' '), ms(result.fiveAtOnce.slowestOfFive)],
  ]);
  lib.writeResult('snapshot', result);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exitCode = 1;
});
