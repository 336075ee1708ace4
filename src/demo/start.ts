/**
 * `npm start`: simulated Tapo devices on 127.0.0.1, and Node-RED 4 (a dev dependency) with this
 * package loaded from the working tree, FlowFuse Dashboard 2, and every example flow deployed and
 * wired to the simulated devices. Ctrl-C stops everything.
 *
 * Nothing here talks to a real device. The Node-RED user directory is `.demo/` in the project
 * (git-ignored). The example flows and their credentials are written there on the first start
 * only, so what the user deploys is kept across restarts; `npm start -- --reset` removes the
 * directory and starts afresh. {@link prepareDemoUserDir} does that preparation, without Node-RED.
 *
 * Events: both cameras serve ONVIF (events.md §2) for the camera account {@link DEMO_CAMERA_ACCOUNT}
 * (printed at start; the `tapo-device` config node has no field for a camera account, so it is
 * not written into the flows), and the C101 detects motion once a minute for a few seconds
 * ({@link DEMO_MOTION}), so that events arrive without a real camera.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CAMERA_ACCOUNT, startDevices, type SimulatedDevice, type StartDeviceOptions } from '../simulator';

/** One simulated device of the demo and the config node id the example flows use for it. */
export interface DemoDevice {
  /** Id of the `tapo-device` config node in examples/*.json. */
  configId: string;
  /** Simulator options. */
  sim: StartDeviceOptions;
}

/** The demo's devices: a metering plug with a realistic load, a legacy plug, two cameras, a colour bulb and a hub with its sensors. */
export const DEMO_DEVICES: readonly DemoDevice[] = [
  {
    configId: 'tapo_demo_plug',
    sim: { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', port: 18081, loadWatts: 85 },
  },
  {
    configId: 'tapo_demo_plug2',
    sim: { fixture: 'P100(US)_1.0.0_1.1.3', scheme: 'passthrough', port: 18082 },
  },
  {
    configId: 'tapo_demo_camera',
    sim: { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', port: 18443, onvifPort: 18020, rtspPort: 18554, cameraAccount: { ...DEFAULT_CAMERA_ACCOUNT } },
  },
  {
    configId: 'tapo_demo_camera_tpap',
    sim: { fixture: 'C101(US)_5.0_1.4.3', scheme: 'tpap', port: 18444, onvifPort: 18021, rtspPort: 18555, cameraAccount: { ...DEFAULT_CAMERA_ACCOUNT } },
  },
  {
    configId: 'tapo_demo_light',
    sim: { fixture: 'L530E(EU)_3.0_1.1.0', scheme: 'klap', port: 18083 },
  },
  {
    configId: 'tapo_demo_hub',
    sim: { fixture: 'H100(AU)_1.0_1.5.23', scheme: 'klap', port: 18084 },
  },
];

/** The camera account of the demo cameras' ONVIF and RTSP (only ever used on 127.0.0.1). */
export const DEMO_CAMERA_ACCOUNT: Readonly<{ username: string; password: string }> = DEFAULT_CAMERA_ACCOUNT;

/**
 * The motion the demo scripts: on the C101 (whose privacy mode is off as captured; the C210 was
 * captured with it on, and privacy mode silences detections), every minute, lasting 5 s.
 */
export const DEMO_MOTION: Readonly<{ configId: string; everyMs: number; lastsMs: number }> = {
  configId: 'tapo_demo_camera_tpap',
  everyMs: 60_000,
  lastsMs: 5_000,
};

/** Password every demo device is bound to (only ever used on 127.0.0.1). */
export const DEMO_PASSWORD = 'tapo-sim';

/**
 * Energy polling the demo turns on, in seconds by `tapo-plug-energy` node id. The shipped examples
 * poll nothing (poll 0) so that deploying one contacts no device; their comment nodes say which
 * interval to set, and the demo sets it.
 */
export const DEMO_POLL: Readonly<Record<string, number>> = {
  tapo_ex02_summary: 10,
  tapo_ex06_energy: 5,
};

interface FlowNode {
  id: string;
  type: string;
  z?: string;
  [key: string]: unknown;
}

const repoRoot = path.resolve(__dirname, '..', '..');

/** Reads every example flow (examples/*.json), in file-name order. */
export function readExamples(dir = path.join(repoRoot, 'examples')): { file: string; nodes: FlowNode[] }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, nodes: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as FlowNode[] }));
}

/**
 * Merges the examples into one flow file: each example becomes its own tab, config nodes shared
 * between examples are kept once, every `tapo-device` points at its simulated device, and the
 * energy nodes of {@link DEMO_POLL} poll.
 */
export function buildDemoFlows(
  examples: { file: string; nodes: FlowNode[] }[],
  hosts: Record<string, string>,
  onvifPorts: Record<string, number> = {},
  rtspPorts: Record<string, number> = {},
): { flows: FlowNode[]; credentials: Record<string, Record<string, string>> } {
  const flows: FlowNode[] = [];
  const seen = new Set<string>();
  const credentials: Record<string, Record<string, string>> = {};
  examples.forEach((example, index) => {
    const title = example.file.replace(/\.json$/, '');
    const tabId = `tapo_demo_tab_${index}`;
    flows.push({ id: tabId, type: 'tab', label: title, disabled: false, info: '' });
    for (const node of example.nodes) {
      if (seen.has(node.id)) continue;
      seen.add(node.id);
      if (node.type === 'tab') continue;
      const copy: FlowNode = { ...node };
      if (copy.z !== undefined && copy.z !== '') copy.z = tabId;
      const poll = DEMO_POLL[copy.id];
      if (copy.type === 'tapo-plug-energy' && poll !== undefined) copy.poll = String(poll);
      if (copy.type === 'tapo-device') {
        const host = hosts[copy.id];
        if (host !== undefined) {
          copy.host = host;
          const isCamera = copy.kind === 'camera';
          credentials[copy.id] = { username: isCamera ? 'admin' : 'user@example.com', password: DEMO_PASSWORD };
          // A camera that serves ONVIF or RTSP gets the camera account: its events then come over
          // ONVIF, and its snapshots from its RTSP port.
          if (isCamera && (onvifPorts[copy.id] !== undefined || rtspPorts[copy.id] !== undefined)) {
            credentials[copy.id] = { ...credentials[copy.id], cameraUsername: DEMO_CAMERA_ACCOUNT.username, cameraPassword: DEMO_CAMERA_ACCOUNT.password };
          }
          const rtspPort = rtspPorts[copy.id];
          if (isCamera && rtspPort !== undefined) copy.rtspPort = rtspPort;
        }
      }
      if (copy.type === 'tapo-event' && typeof copy.device === 'string' && onvifPorts[copy.device] !== undefined) copy.onvifPort = onvifPorts[copy.device];
      flows.push(copy);
    }
  });
  return { flows, credentials };
}

/**
 * Credentials in Node-RED's encrypted form (`{"$": iv hex ‖ base64 AES-256-CTR}`, key = SHA-256
 * of the secret), so the demo's flows_cred.json is never plain text, as in a user's own install.
 */
export function encryptFlowCredentials(credentials: object, secret: string): { $: string } {
  const key = createHash('sha256').update(secret).digest();
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  return { $: iv.toString('hex') + cipher.update(JSON.stringify(credentials), 'utf8', 'base64') + cipher.final('base64') };
}

/** Where `npm start` keeps its Node-RED user directory (git-ignored). */
export const DEMO_USER_DIR = path.join(repoRoot, '.demo');

/**
 * The file that marks a directory as a demo user directory and keeps its credential secret
 * (flows_cred.json is encrypted with it, so it must outlive a restart).
 */
export const DEMO_MARKER = 'tapo-demo.json';

/** Options of {@link prepareDemoUserDir}. */
export interface PrepareOptions {
  /** The Node-RED user directory (created if missing). */
  userDir: string;
  /** Editor port written into settings.js. */
  uiPort: number;
  /** `host:port` of each simulated device by tapo-device config id, for flows written now. */
  hosts: Record<string, string>;
  /** The ONVIF port of each simulated camera by tapo-device config id (its event nodes use it). */
  onvifPorts?: Record<string, number>;
  /** The RTSP port of each simulated camera by tapo-device config id (snapshots use it). */
  rtspPorts?: Record<string, number>;
  /** Remove the directory first (it must be a demo user directory or empty) and start afresh. */
  reset?: boolean;
  /** The example flows (default: examples/*.json of this package). */
  examples?: { file: string; nodes: FlowNode[] }[];
}

/** What {@link prepareDemoUserDir} did. */
export interface PreparedUserDir {
  /** True when the example flows were written now (first start or reset), false when kept. */
  fresh: boolean;
  /** The settings file to start Node-RED with. */
  settingsFile: string;
}

/**
 * Prepares the demo's Node-RED user directory. On the first start (no flows.json yet) and after a
 * reset it writes the example flows wired to `hosts`, and their credentials encrypted with a new
 * secret kept in {@link DEMO_MARKER}; on later starts it keeps the flows and credentials as the
 * user left them. settings.js is written every time (the port may change).
 */
export function prepareDemoUserDir(options: PrepareOptions): PreparedUserDir {
  const { userDir } = options;
  const markerFile = path.join(userDir, DEMO_MARKER);
  if (options.reset && fs.existsSync(userDir)) {
    if (!fs.existsSync(markerFile) && fs.readdirSync(userDir).length > 0) {
      throw new Error(`${userDir} is not a demo user directory (it has no ${DEMO_MARKER}); not removing it`);
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  fs.mkdirSync(userDir, { recursive: true });
  const flowsFile = path.join(userDir, 'flows.json');
  let marker: { credentialSecret: string } | undefined;
  if (fs.existsSync(markerFile)) {
    marker = JSON.parse(fs.readFileSync(markerFile, 'utf8')) as { credentialSecret: string };
  } else if (fs.existsSync(flowsFile)) {
    throw new Error(`${userDir} has flows but no ${DEMO_MARKER}: start with --reset to replace them`);
  }
  const fresh = !fs.existsSync(flowsFile);
  if (marker === undefined || fresh) {
    marker = { credentialSecret: randomBytes(32).toString('hex') };
    fs.writeFileSync(markerFile, `${JSON.stringify({ ...marker, created: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 });
  }
  if (fresh) {
    const { flows, credentials } = buildDemoFlows(options.examples ?? readExamples(), options.hosts, options.onvifPorts ?? {}, options.rtspPorts ?? {});
    fs.writeFileSync(flowsFile, JSON.stringify(flows, null, 2));
    fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(encryptFlowCredentials(credentials, marker.credentialSecret)), { mode: 0o600 });
  }
  return { fresh, settingsFile: writeSettings(userDir, options.uiPort, marker.credentialSecret) };
}

/** The line `npm start` prints about its user directory: where it is, what it did, how to reset. */
export function userDirLine(userDir: string, fresh: boolean): string {
  const shown = path.relative(process.cwd(), userDir) || '.';
  const what = fresh ? 'example flows written' : 'your flows kept from the last run';
  return `Node-RED user directory: ${shown.startsWith('..') ? userDir : shown} (${what}); \`npm start -- --reset\` starts afresh.`;
}

/** The command line of `npm start`: only `--reset`. Throws on anything else. */
export function parseDemoArgs(args: readonly string[]): { reset: boolean } {
  let reset = false;
  for (const arg of args) {
    if (arg === '--reset') reset = true;
    else throw new Error(`unknown option "${arg}"; the only option is --reset (npm start -- --reset: start afresh)`);
  }
  return { reset };
}

function writeSettings(userDir: string, uiPort: number, credentialSecret: string): string {
  const file = path.join(userDir, 'settings.js');
  const settings = `// Written by npm start (src/demo/start.ts) at every start; flows.json is yours and kept.
module.exports = {
  uiPort: ${uiPort},
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
  credentialSecret: ${JSON.stringify(credentialSecret)},
  nodesDir: [${JSON.stringify(repoRoot)}],
  editorTheme: { tours: false, projects: { enabled: false } },
  logging: { console: { level: 'info', metrics: false, audit: false } },
  diagnostics: { enabled: false },
  telemetry: { enabled: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
};
`;
  fs.writeFileSync(file, settings, { mode: 0o600 });
  return file;
}

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Node-RED editor port (0 is not allowed by Node-RED; pick a free one). */
  uiPort: number;
  /** Node-RED user directory (created if missing; see {@link prepareDemoUserDir}). */
  userDir: string;
  /** Start afresh: the example flows replace whatever the user directory holds. */
  reset?: boolean;
  /** Use port 0 for the simulated devices instead of the fixed demo ports (tests). */
  anySimPort?: boolean;
  /** Echo Node-RED's output to this process's stdout. */
  echo?: boolean;
  /** Script {@link DEMO_MOTION} (default true). */
  scriptedMotion?: boolean;
}

/** A running demo. */
export interface RunningDemo {
  /** True when the example flows were written at this start, false when the user's were kept. */
  fresh: boolean;
  devices: SimulatedDevice[];
  /** Simulated device by config node id. */
  byConfigId: Record<string, SimulatedDevice>;
  editorUrl: string;
  dashboardUrl: string;
  /** Resolves once Node-RED has started its flows. */
  ready: Promise<void>;
  /** Stops Node-RED and the simulated devices. */
  stop(): Promise<void>;
  /** Resolves when Node-RED exits by itself, with its exit code. */
  exited: Promise<number>;
  /** Node-RED's output so far (stdout and stderr, the last 1 MB). */
  log(): string;
}

/** Starts the simulated devices and Node-RED with the example flows wired to them. */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const devices: SimulatedDevice[] = await startDevices(
    DEMO_DEVICES.map((d) => ({
      ...d.sim,
      password: DEMO_PASSWORD,
      ...(options.anySimPort ? { port: 0, ...(d.sim.onvifPort !== undefined ? { onvifPort: 0 } : {}), ...(d.sim.rtspPort !== undefined ? { rtspPort: 0 } : {}) } : {}),
    })),
  );
  const hosts: Record<string, string> = {};
  const onvifPorts: Record<string, number> = {};
  const rtspPorts: Record<string, number> = {};
  const byConfigId: Record<string, SimulatedDevice> = {};
  DEMO_DEVICES.forEach((d, i) => {
    const dev = devices[i];
    if (dev) {
      hosts[d.configId] = `${dev.host}:${dev.port}`;
      if (dev.onvifPort !== undefined) onvifPorts[d.configId] = dev.onvifPort;
      if (dev.rtspPort !== undefined) rtspPorts[d.configId] = dev.rtspPort;
      byConfigId[d.configId] = dev;
    }
  });

  let prepared: PreparedUserDir;
  try {
    prepared = prepareDemoUserDir({ userDir: options.userDir, uiPort: options.uiPort, hosts, onvifPorts, rtspPorts, reset: options.reset === true });
  } catch (err) {
    await Promise.all(devices.map((d) => d.stop()));
    throw err;
  }
  const { settingsFile, fresh } = prepared;

  const redMain = require.resolve('node-red/red.js');
  // Example 08 writes its snapshots to TAPO_SNAPSHOT_DIR: in the demo, inside its user directory.
  const snapshotDir = process.env.TAPO_SNAPSHOT_DIR ?? path.join(options.userDir, 'snapshots');
  const child: ChildProcess = spawn(process.execPath, [redMain, '--userDir', options.userDir, '--settings', settingsFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TAPO_SNAPSHOT_DIR: snapshotDir },
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      if (options.echo) process.stdout.write(text);
      output = (output + text).slice(-1_000_000);
      if (output.includes('Started flows')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Node-RED exited with code ${code ?? 'null'}:\n${output.slice(-20_000)}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 0)));
  const stopMotion = options.scriptedMotion === false ? () => undefined : scriptMotion(byConfigId[DEMO_MOTION.configId]);
  const stopHub = options.scriptedMotion === false ? () => undefined : scriptHub(byConfigId[DEMO_HUB.configId]);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopMotion();
      stopHub();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 8000);
          child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      await Promise.all(devices.map((d) => d.stop()));
    })();
    return stopped;
  };
  const base = `http://127.0.0.1:${options.uiPort}`;
  return { fresh, devices, byConfigId, editorUrl: `${base}/`, dashboardUrl: `${base}/dashboard`, ready, stop, exited, log: () => output };
}

/**
 * What the demo's hub does by itself: its front door (the T110) opens every `everyMs` for
 * `openMs`, and the living room's temperature (the T310) drifts by a tenth of a degree a minute
 * between 19 and 23 °C, so the contact example and the temperature chart have something to show.
 */
export const DEMO_HUB: Readonly<{ configId: string; door: string; climate: string; everyMs: number; openMs: number }> = {
  configId: 'tapo_demo_hub',
  door: 'Front door',
  climate: 'Living room climate',
  everyMs: 90_000,
  openMs: 10_000,
};

/** Starts {@link DEMO_HUB} on `hub`; returns the function that stops it. */
export function scriptHub(hub: SimulatedDevice | undefined, script: typeof DEMO_HUB = DEMO_HUB): () => void {
  if (hub === undefined) return () => undefined;
  let close: NodeJS.Timeout | undefined;
  let temperature = 21;
  let step = 0.1;
  const safely = (act: () => void): void => {
    try {
      act();
    } catch {
      // The hub stopped: nothing to do.
    }
  };
  const door = setInterval(() => {
    safely(() => hub.triggerChild(script.door, 'open'));
    close = setTimeout(() => safely(() => hub.triggerChild(script.door, 'close')), script.openMs);
  }, script.everyMs);
  const climate = setInterval(() => {
    if (temperature + step > 23 || temperature + step < 19) step = -step;
    temperature = Math.round((temperature + step) * 10) / 10;
    safely(() => hub.setChild(script.climate, { temperature }));
  }, 60_000);
  return () => {
    clearInterval(door);
    clearInterval(climate);
    if (close !== undefined) clearTimeout(close);
  };
}

/**
 * Starts {@link DEMO_MOTION} on `camera`: a detection every `everyMs`, ended `lastsMs` later.
 * Returns the function that stops it.
 */
export function scriptMotion(camera: SimulatedDevice | undefined, motion: { everyMs: number; lastsMs: number } = DEMO_MOTION): () => void {
  if (camera === undefined) return () => undefined;
  let end: NodeJS.Timeout | undefined;
  const detect = (active: boolean): void => {
    try {
      camera.detect({ type: 'motion', active });
    } catch {
      // The camera stopped: nothing to detect.
    }
  };
  const every = setInterval(() => {
    detect(true);
    end = setTimeout(() => detect(false), motion.lastsMs);
  }, motion.everyMs);
  return () => {
    clearInterval(every);
    if (end !== undefined) clearTimeout(end);
    detect(false);
  };
}

async function main(): Promise<void> {
  const { reset } = parseDemoArgs(process.argv.slice(2));
  const uiPort = Number(process.env.PORT ?? 1880);
  const demo = await startDemo({ uiPort, userDir: DEMO_USER_DIR, reset, echo: true });
  process.stdout.write(`${userDirLine(DEMO_USER_DIR, demo.fresh)}\n`);
  for (const dev of demo.devices) {
    const info = dev.describe();
    const onvif = info.onvifPort !== undefined ? `, ONVIF on port ${info.onvifPort}` : '';
    const rtsp = info.rtspPort !== undefined ? `, RTSP on port ${info.rtspPort}` : '';
    process.stdout.write(`simulated ${info.model} (${info.scheme}) on ${info.host}:${info.port}${onvif}${rtsp}\n`);
  }
  const motionCamera = demo.byConfigId[DEMO_MOTION.configId]?.model ?? 'camera';
  process.stdout.write(
    `ONVIF camera account: "${DEMO_CAMERA_ACCOUNT.username}" / "${DEMO_CAMERA_ACCOUNT.password}"; ` +
      `the ${motionCamera} detects motion every minute (${DEMO_MOTION.lastsMs / 1000} s); ` +
      `the hub's "${DEMO_HUB.door}" opens every ${DEMO_HUB.everyMs / 1000} s.\n`,
  );
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await demo.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  void demo.exited.then((code) => stop(code));
  await demo.ready;
  process.stdout.write(
    `\nNode-RED editor:  ${demo.editorUrl}\nDashboard:        ${demo.dashboardUrl}\n` +
      'Simulated devices are running on 127.0.0.1 (password "tapo-sim"). Press Ctrl-C to stop.\n\n',
  );
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`npm start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
