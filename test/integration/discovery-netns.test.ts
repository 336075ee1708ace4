/**
 * The broadcast path of a network scan over a real (virtual) Ethernet link: `scanNetwork()` in this
 * process broadcasts the discovery probe on a veth interface whose other end is in a private
 * network namespace the test creates, where a simulated plug (netns-device.ts, a child process
 * started with `ip netns exec`) listens on 0.0.0.0:20002 as a real device does.
 *
 *   root namespace (this process)                 namespace tapo-test-XXXXXX (child process)
 *   tprXXXXXX 10.A.B.1/24 brd 10.A.B.255  <-veth->  tpnXXXXXX 10.A.B.2/24, plug on 0.0.0.0:20002
 *
 * 10.A.B.0/24 is chosen at random and checked to overlap no address and no route of the host. No
 * interface of the host is changed: the veth pair is new, and its root end carries only that /24.
 * Every datagram a test sends goes to an address of that /24, and before each scan `ip route get`
 * must say it leaves by the veth, so nothing reaches a real network.
 *
 * Runs only where it can: Linux, root, `ip` (iproute2) installed and `ip netns add` / veth
 * allowed; otherwise every test is skipped and its title says why. Whatever the test created
 * (child process, veth pair, namespace) is removed in `after`, on a failed setup, and, as a last
 * resort, in a process 'exit' hook; `after` then checks that the namespace and the link are gone.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { broadcastTargets, scanNetwork } from '../../src/protocol/discovery-scan';
import { ipv4ToInt } from '../../src/protocol/discovery';
import { loadFixture } from '../../src/simulator';

const ROOT = path.resolve(__dirname, '..', '..');
const CHILD_SCRIPT = path.join(__dirname, 'netns-device.ts');
const FIXTURE = 'P110(UK)_1.0_1.3.0';

/** `ip` from PATH, else where Debian puts it (/usr/sbin may be missing from PATH, e.g. after `su`). */
const IP = spawnSync('ip', ['-V']).error === undefined ? 'ip' : (['/usr/sbin/ip', '/sbin/ip'].find((file) => existsSync(file)) ?? 'ip');

interface IpResult {
  ok: boolean;
  out: string;
  err: string;
}

/** Runs `ip ARGS` synchronously (usable from a process 'exit' hook). */
function ip(...args: string[]): IpResult {
  const r = spawnSync(IP, args, { encoding: 'utf8' });
  if (r.error) return { ok: false, out: '', err: r.error.message };
  return { ok: r.status === 0, out: r.stdout, err: (r.stderr || `exit ${String(r.status)}`).trim() };
}

function mustIp(...args: string[]): string {
  const r = ip(...args);
  if (!r.ok) throw new Error(`ip ${args.join(' ')} failed: ${r.err}`);
  return r.out;
}

/** Whether the networks a/aBits and b/bBits share an address. */
function overlaps(a: string, aBits: number, b: string, bBits: number): boolean {
  const bits = Math.min(aBits, bBits);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((ipv4ToInt(a) & mask) >>> 0) === ((ipv4ToInt(b) & mask) >>> 0);
}

/** A random 10.A.B.0/24 that overlaps no IPv4 address of this host and no route but the default. */
function pickSubnet(): string {
  const used: { net: string; bits: number }[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const e of entries ?? []) {
      if (e.family !== 'IPv4') continue;
      const bits = ipv4ToInt(e.netmask).toString(2).replace(/0/g, '').length;
      used.push({ net: e.address, bits });
    }
  }
  // Every route but the default one (`ip -o route` lines start with the destination, or with the
  // route type and then the destination: `broadcast 127.255.255.255 dev lo table local …`).
  const types = new Set(['unicast', 'local', 'broadcast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'anycast']);
  for (const line of mustIp('-4', '-o', 'route', 'show', 'table', 'all').split('\n')) {
    const words = line.trim().split(/\s+/);
    const dest = types.has(words[0] ?? '') ? words[1] : words[0];
    const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?$/.exec(dest ?? '');
    if (m) used.push({ net: m[1] as string, bits: m[2] === undefined ? 32 : Number(m[2]) });
  }
  for (let tries = 0; tries < 100; tries++) {
    const net = `10.${randomInt(0, 256)}.${randomInt(0, 256)}.0`;
    if (!used.some((u) => overlaps(net, 24, u.net, u.bits))) return net.slice(0, -2);
  }
  throw new Error('no free 10.x.y.0/24 found on this host');
}

/** What the child prints once its device listens. */
interface Ready {
  ready: true;
  host: string;
  port: number;
  discoveryPort: number;
  model: string;
  mac: string;
}

/** Everything one run creates, so that cleanup removes exactly that. */
interface Lab {
  ns: string;
  hostIf: string;
  nsIf: string;
  /** The subnet's first three bytes, e.g. `10.42.7`. */
  prefix: string;
  nsCreated: boolean;
  linkCreated: boolean;
  child?: ChildProcessWithoutNullStreams;
  lines: string[];
  waiters: ((line: string | undefined) => void)[];
  childExited: boolean;
  stderr: string;
}

/** Why this host cannot run the test, or undefined when it can (no namespace is made here). */
function cannotRun(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces are Linux only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root to create a network namespace and a veth pair';
  const version = spawnSync(IP, ['-V'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) return '`ip` (iproute2) is not installed';
  return undefined;
}

/** Kills what is left and deletes the link and the namespace this run made. Synchronous; idempotent. */
function teardownSync(lab: Lab): void {
  if (lab.child && !lab.childExited && lab.child.pid !== undefined) {
    try {
      process.kill(lab.child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  if (lab.nsCreated) {
    // Processes still in OUR namespace (only the child and what it started) keep it alive.
    for (const pid of ip('netns', 'pids', lab.ns).out.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  if (lab.linkCreated) {
    ip('link', 'del', lab.hostIf); // removes its peer in the namespace too
    lab.linkCreated = false;
  }
  if (lab.nsCreated) {
    ip('netns', 'del', lab.ns);
    lab.nsCreated = false;
  }
}

/** Stops the child gracefully (stdin closed, SIGTERM), then SIGKILL if it lingers. */
async function stopChild(lab: Lab): Promise<void> {
  const child = lab.child;
  if (!child || lab.childExited) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin.end();
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), 5000);
  });
  if ((await Promise.race([exited, late])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  clearTimeout(timer);
}

/** The next line the child prints; rejects when it exits first. */
async function nextLine(lab: Lab): Promise<string> {
  const queued = lab.lines.shift();
  if (queued !== undefined) return queued;
  if (lab.childExited) throw new Error(`the simulator in the namespace exited: ${lab.stderr.trim() || 'no message'}`);
  const line = await new Promise<string | undefined>((resolve) => lab.waiters.push(resolve));
  if (line === undefined) throw new Error(`the simulator in the namespace exited: ${lab.stderr.trim() || 'no message'}`);
  return line;
}

async function probesAnswered(lab: Lab): Promise<number> {
  lab.child?.stdin.write('count\n');
  return (JSON.parse(await nextLine(lab)) as { probesAnswered: number }).probesAnswered;
}

/** Fails, before anything is sent, unless the kernel would send to `address` by the test's veth. */
function assertLeavesByVeth(lab: Lab, address: string): void {
  const route = mustIp('-4', '-o', 'route', 'get', address);
  assert.match(route, new RegExp(`\\bdev ${lab.hostIf}\\b`), `${address} must leave by ${lab.hostIf}: ${route.trim()}`);
}

describe('broadcast discovery into a private network namespace (veth, 10.x.y.0/24)', function () {
  this.timeout(60_000);
  let lab: Lab | undefined;
  let ready: Ready | undefined;
  const lastResort = (): void => {
    if (lab) teardownSync(lab);
  };

  before(async function () {
    const skip = (why: string): never => {
      for (const t of this.test?.parent?.tests ?? []) t.title += ` (skipped: ${why})`;
      this.skip();
    };
    const why = cannotRun();
    if (why !== undefined) skip(why);

    const tag = randomBytes(3).toString('hex');
    const current: Lab = {
      ns: `tapo-test-${tag}`,
      hostIf: `tpr${tag}`,
      nsIf: `tpn${tag}`,
      prefix: '',
      nsCreated: false,
      linkCreated: false,
      lines: [],
      waiters: [],
      childExited: false,
      stderr: '',
    };
    lab = current;
    process.on('exit', lastResort);
    try {
      const added = ip('netns', 'add', current.ns);
      if (!added.ok) skip(`\`ip netns add\` failed: ${added.err}`);
      current.nsCreated = true;
      const veth = ip('link', 'add', current.hostIf, 'type', 'veth', 'peer', 'name', current.nsIf, 'netns', current.ns);
      if (!veth.ok) skip(`cannot create a veth pair: ${veth.err}`);
      current.linkCreated = true;

      current.prefix = pickSubnet();
      const p = current.prefix;
      mustIp('addr', 'add', `${p}.1/24`, 'broadcast', `${p}.255`, 'dev', current.hostIf);
      mustIp('link', 'set', current.hostIf, 'up');
      mustIp('-n', current.ns, 'link', 'set', 'lo', 'up');
      mustIp('-n', current.ns, 'addr', 'add', `${p}.2/24`, 'broadcast', `${p}.255`, 'dev', current.nsIf);
      mustIp('-n', current.ns, 'link', 'set', current.nsIf, 'up');

      const child = spawn(IP, ['netns', 'exec', current.ns, process.execPath, '-r', 'ts-node/register/transpile-only', CHILD_SCRIPT, `${p}.2`], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      current.child = child;
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => (current.stderr += chunk));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const waiter = current.waiters.shift();
        if (waiter) waiter(line);
        else current.lines.push(line);
      });
      child.on('exit', () => {
        current.childExited = true;
        for (const waiter of current.waiters.splice(0)) waiter(undefined);
      });
      ready = JSON.parse(await nextLine(current)) as Ready;
      assert.equal(ready.host, `${p}.2`);
      assert.equal(ready.discoveryPort, 20002);

      // Both ends up (carrier on the root end means the peer is up too) before any probe is sent.
      while (readFileSync(`/sys/class/net/${current.hostIf}/operstate`, 'utf8').trim() !== 'up') {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } catch (err) {
      // A skip is thrown as an exception too: clean up on every path out of the hook.
      await stopChild(current);
      teardownSync(current);
      throw err;
    }
  });

  after(async function () {
    if (!lab) return;
    const done = lab;
    try {
      await stopChild(done);
    } finally {
      teardownSync(done);
      process.off('exit', lastResort);
      lab = undefined;
    }
    assert.ok(!ip('netns', 'list').out.split('\n').some((l) => l.split(/\s+/)[0] === done.ns), `namespace ${done.ns} left behind`);
    assert.equal(ip('link', 'show', done.hostIf).ok, false, `link ${done.hostIf} left behind`);
  });

  it('a probe broadcast to 10.x.y.255 from the root namespace finds the device in the namespace with its model and MAC; the /25 broadcast 10.x.y.127 finds nothing', async () => {
    assert.ok(lab && ready);
    const { prefix } = lab;
    const expectedMac = loadFixture(FIXTURE).mac;

    assertLeavesByVeth(lab, `${prefix}.255`);
    const found = await scanNetwork({ broadcast: [`${prefix}.255`], timeoutMs: 1500, rsaKeyBits: 1024, attempts: 2 });
    assert.equal(found.length, 1, JSON.stringify(found));
    const device = found[0];
    assert.ok(device);
    assert.equal(device.ip, `${prefix}.2`);
    assert.equal(device.discoveryPort, 20002);
    assert.equal(device.kind, 'plug');
    assert.equal(device.model, 'P110(UK)');
    assert.equal(device.mac, expectedMac);
    assert.equal(device.scheme, 'klap');
    assert.equal(device.httpPort, ready.port);
    assert.equal(await probesAnswered(lab), 2, 'the device answered both rounds of the broadcast');

    // A wrong broadcast address (the /25's, as a wrong netmask gives) on the same veth: the kernel
    // takes it for a unicast address with no owner, so no probe reaches the device.
    assertLeavesByVeth(lab, `${prefix}.127`);
    const none = await scanNetwork({ broadcast: [`${prefix}.127`], timeoutMs: 800, rsaKeyBits: 1024, attempts: 1 });
    assert.deepEqual(none, []);
    assert.equal(await probesAnswered(lab), 2, 'no probe reached the device');
  });

  it("broadcastTargets() lists the veth's network, and a probe to the broadcast address it gives finds the device", async () => {
    assert.ok(lab && ready);
    const { prefix, hostIf, nsIf } = lab;
    const targets = broadcastTargets();
    assert.deepEqual(
      targets.filter((t) => t.interface === hostIf),
      [{ interface: hostIf, address: `${prefix}.1`, cidr: `${prefix}.0/24`, broadcast: `${prefix}.255` }],
    );
    assert.ok(!targets.some((t) => t.interface === nsIf), 'the namespace end is not a network of this host');

    // Only the veth's target is probed: the host's other networks are real ones.
    const target = targets.find((t) => t.interface === hostIf);
    assert.ok(target);
    assertLeavesByVeth(lab, target.broadcast);
    const before = await probesAnswered(lab);
    const found = await scanNetwork({ broadcast: [target.broadcast], timeoutMs: 1500, rsaKeyBits: 1024, attempts: 1 });
    assert.deepEqual(found.map((d) => [d.ip, d.model, d.mac]), [[`${prefix}.2`, 'P110(UK)', loadFixture(FIXTURE).mac]]);
    assert.equal(await probesAnswered(lab), before + 1);
  });
});
