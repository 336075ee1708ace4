/**
 * `npm start` keeps the user's flows: its Node-RED user directory is prepared by
 * `prepareDemoUserDir` (src/demo/start.ts), tested here on temporary directories without starting
 * Node-RED or any simulated device. The first start writes the example flows, a restart keeps
 * whatever the user deployed, `--reset` starts afresh.
 */
import { strict as assert } from 'node:assert';
import { createDecipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import { SimulatedDevice } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import {
  DEMO_CAMERA_ACCOUNT,
  DEMO_MOTION,
  DEMO_DEVICES,
  DEMO_MARKER,
  DEMO_PASSWORD,
  DEMO_USER_DIR,
  buildDemoFlows,
  parseDemoArgs,
  prepareDemoUserDir,
  readExamples,
  scriptMotion,
  userDirLine,
} from '../../src/demo/start';

const root = path.resolve(__dirname, '../..');
const HOSTS = Object.fromEntries(DEMO_DEVICES.map((d, i) => [d.configId, `127.0.0.1:${19000 + i}`]));

interface FlowNode {
  id: string;
  type: string;
  [key: string]: unknown;
}

/** Decrypts flows_cred.json as Node-RED does (key = SHA-256 of the secret, AES-256-CTR, iv first). */
function decryptCredentials(userDir: string, secret: string): Record<string, { username: string; password: string }> {
  const stored = JSON.parse(fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8')) as { $: string };
  const key = createHash('sha256').update(secret).digest();
  const decipher = createDecipheriv('aes-256-ctr', key, Buffer.from(stored.$.slice(0, 32), 'hex'));
  return JSON.parse(decipher.update(stored.$.slice(32), 'base64', 'utf8') + decipher.final('utf8')) as Record<string, { username: string; password: string }>;
}

const readFlows = (userDir: string): FlowNode[] => JSON.parse(fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8')) as FlowNode[];
const secretOf = (userDir: string): string =>
  (JSON.parse(fs.readFileSync(path.join(userDir, DEMO_MARKER), 'utf8')) as { credentialSecret: string }).credentialSecret;

describe('npm start: the demo user directory', () => {
  it('cameras that serve ONVIF get the camera account, and their event nodes the ONVIF port', () => {
    const { flows, credentials } = buildDemoFlows(readExamples(), HOSTS, { tapo_demo_camera_tpap: 18921 });
    const events = flows.filter((n) => n.type === 'tapo-event' && n.device === 'tapo_demo_camera_tpap');
    assert.ok(events.length > 0);
    for (const n of events) assert.equal(n.onvifPort, 18921);
    assert.equal(credentials.tapo_demo_camera_tpap?.cameraUsername, DEMO_CAMERA_ACCOUNT.username);
    assert.equal(credentials.tapo_demo_camera?.cameraUsername, undefined);
  });

  let tmp = '';
  let userDir = '';

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapo-demo-'));
    userDir = path.join(tmp, '.demo');
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('lives in .demo/ of the project, which git ignores', () => {
    assert.equal(DEMO_USER_DIR, path.join(root, '.demo'));
    assert.match(fs.readFileSync(path.join(root, '.gitignore'), 'utf8'), /^\.demo\/$/m);
  });

  it('the first start writes the example flows wired to the simulators, credentials encrypted, and settings', () => {
    const prepared = prepareDemoUserDir({ userDir, uiPort: 18801, hosts: HOSTS });
    assert.equal(prepared.fresh, true);
    assert.deepEqual(readFlows(userDir), buildDemoFlows(readExamples(), HOSTS).flows);
    for (const d of DEMO_DEVICES) assert.equal(readFlows(userDir).find((n) => n.id === d.configId)?.host, HOSTS[d.configId]);
    const stored = fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8');
    assert.ok(!stored.includes(DEMO_PASSWORD), 'flows_cred.json is plain text');
    const creds = decryptCredentials(userDir, secretOf(userDir));
    assert.deepEqual(Object.keys(creds).sort(), DEMO_DEVICES.map((d) => d.configId).sort());
    assert.ok(Object.values(creds).every((c) => c.password === DEMO_PASSWORD));
    const settings = fs.readFileSync(prepared.settingsFile, 'utf8');
    assert.match(settings, /uiPort: 18801,/);
    assert.match(settings, /uiHost: '127\.0\.0\.1'/);
    assert.ok(settings.includes(JSON.stringify(secretOf(userDir))), 'Node-RED decrypts with the kept secret');
  });

  it('a restart keeps what the user deployed, and its credentials', () => {
    prepareDemoUserDir({ userDir, uiPort: 18801, hosts: HOSTS });
    // The user points the desk plug at a real device, renames a node and deploys.
    const flows = readFlows(userDir);
    const desk = flows.find((n) => n.id === 'tapo_demo_plug')!;
    desk.host = '192.0.2.10';
    flows.find((n) => n.id === 'tapo_ex01_on')!.name = 'Lights on';
    flows.push({ id: 'user_added', type: 'comment', z: String(flows[0]!.id), name: 'mine' });
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
    const credsBefore = fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8');
    const secret = secretOf(userDir);

    const again = prepareDemoUserDir({ userDir, uiPort: 18802, hosts: HOSTS });
    assert.equal(again.fresh, false);
    assert.deepEqual(readFlows(userDir), flows);
    assert.equal(fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8'), credsBefore);
    assert.equal(secretOf(userDir), secret);
    assert.equal(decryptCredentials(userDir, secret).tapo_demo_plug?.password, DEMO_PASSWORD);
    assert.match(fs.readFileSync(again.settingsFile, 'utf8'), /uiPort: 18802,/, 'settings follow the new port');
  });

  it('--reset starts afresh: the example flows replace the edits, with a new secret', () => {
    prepareDemoUserDir({ userDir, uiPort: 18801, hosts: HOSTS });
    const flows = readFlows(userDir);
    flows.find((n) => n.id === 'tapo_demo_plug')!.host = '192.0.2.10';
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
    fs.writeFileSync(path.join(userDir, 'stray.txt'), 'left by the user');
    const secret = secretOf(userDir);

    const reset = prepareDemoUserDir({ userDir, uiPort: 18801, hosts: HOSTS, reset: true });
    assert.equal(reset.fresh, true);
    assert.deepEqual(readFlows(userDir), buildDemoFlows(readExamples(), HOSTS).flows);
    assert.ok(!fs.existsSync(path.join(userDir, 'stray.txt')), 'the directory was emptied');
    assert.notEqual(secretOf(userDir), secret);
    assert.equal(decryptCredentials(userDir, secretOf(userDir)).tapo_demo_plug?.password, DEMO_PASSWORD);
  });

  it('--reset never removes a directory that is not a demo user directory', () => {
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'important.txt'), 'not ours');
    assert.throws(() => prepareDemoUserDir({ userDir, uiPort: 18801, hosts: HOSTS, reset: true }), /not a demo user directory/);
    assert.ok(fs.existsSync(path.join(userDir, 'important.txt')));
    fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
    assert.throws(() => prepareDemoUserDir({ userDir, uiPort: 18801, hosts: HOSTS }), /--reset/);
    assert.equal(fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8'), '[]');
  });

  it('says where the user directory is, whether the flows were kept, and how to reset, in one line', () => {
    const first = userDirLine(DEMO_USER_DIR, true);
    const later = userDirLine(DEMO_USER_DIR, false);
    for (const line of [first, later]) {
      assert.ok(!line.includes('\n'));
      assert.match(line, /\.demo/);
      assert.match(line, /npm start -- --reset/);
    }
    assert.match(first, /example flows written/);
    assert.match(later, /kept/);
  });

  it('takes --reset and refuses anything else', () => {
    assert.deepEqual(parseDemoArgs([]), { reset: false });
    assert.deepEqual(parseDemoArgs(['--reset']), { reset: true });
    assert.throws(() => parseDemoArgs(['--rest']), /unknown option "--rest".*--reset/);
  });

  it('the demo cameras serve ONVIF for the demo camera account, and the C101 (privacy off) detects motion every minute for 5 s', () => {
    const cameras = DEMO_DEVICES.filter((d) => d.sim.onvifPort !== undefined);
    assert.deepEqual(cameras.map((d) => d.configId), ['tapo_demo_camera', 'tapo_demo_camera_tpap']);
    assert.ok(cameras.every((d) => d.sim.cameraAccount?.username === DEMO_CAMERA_ACCOUNT.username));
    assert.equal(DEMO_MOTION.configId, 'tapo_demo_camera_tpap');

    const timers = sinon.useFakeTimers();
    try {
      const sim = DEMO_DEVICES.find((d) => d.configId === DEMO_MOTION.configId)!.sim;
      const camera = new SimulatedDevice({ ...sim, onvifPort: 0 });
      const active = (): string[] => (camera.logic as CameraLogic).state.activeDetections;
      const stop = scriptMotion(camera);
      timers.tick(DEMO_MOTION.everyMs - 1);
      assert.deepEqual(active(), []);
      timers.tick(1);
      assert.deepEqual(active(), ['motion']);
      timers.tick(DEMO_MOTION.lastsMs);
      assert.deepEqual(active(), []);
      timers.tick(DEMO_MOTION.everyMs - DEMO_MOTION.lastsMs);
      assert.deepEqual(active(), ['motion'], 'again a minute after the first');
      stop();
      assert.deepEqual(active(), [], 'stopping ends the motion under way');
      timers.tick(10 * DEMO_MOTION.everyMs);
      assert.deepEqual(active(), []);
    } finally {
      timers.restore();
    }
  });

  it("the README's tapo-sim examples use ports the demo's devices do not", () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const ports = [...readme.matchAll(/tapo-sim [^\n]*--port (\d+)/g)].map((m) => Number(m[1]));
    assert.ok(ports.length >= 3);
    const demo = DEMO_DEVICES.flatMap((d) => [d.sim.port, ...(d.sim.onvifPort !== undefined ? [d.sim.onvifPort] : [])]);
    assert.deepEqual(ports.filter((p) => demo.includes(p) || p === 1880), []);
    for (const p of demo) assert.ok(readme.includes(String(p)), `the README does not list the demo port ${String(p)}`);
  });
});
