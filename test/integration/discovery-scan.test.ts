/**
 * Network scan end to end: the client's `scanNetwork()` (src/protocol/discovery-scan.ts) against
 * simulated devices (src/simulator/discovery.ts) on loopback addresses 127.0.0.2, 127.0.0.3 …
 * Every datagram stays on loopback: the sweep targets 127.0.0.x, and the broadcast path uses the
 * loopback broadcast address 127.255.255.255, which Linux keeps on `lo` (local route table
 * `broadcast 127.255.255.255 dev lo`) and refuses with EACCES unless the socket has SO_BROADCAST.
 */
import { strict as assert } from 'node:assert';
import * as dgram from 'node:dgram';
import { EXIT_CODES, EXIT_USAGE, main } from '../../src/cli/tapo';
import { parseAddressRange, scanNetwork } from '../../src/protocol/discovery-scan';
import type { ScannedDevice } from '../../src/protocol/discovery-scan';
import { isTapoError } from '../../src/protocol/errors';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice, StartDeviceOptions } from '../../src/simulator';

const LOOPBACK_BROADCAST = '127.255.255.255';

describe('network scan against simulators on 127.0.0.x', function () {
  this.timeout(20_000);
  const devices: SimulatedDevice[] = [];

  async function start(options: StartDeviceOptions): Promise<SimulatedDevice> {
    const device = await startDevice({ port: 0, password: 'tapo-sim', ...options });
    devices.push(device);
    return device;
  }

  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.stop()));
  });

  it('a sweep of 127.0.0.2-127.0.0.6 finds a plug, a camera and a TPAP plug with their fields, once each', async () => {
    // One discovery port for the three addresses (a sweep sends to the same port on each), and a
    // second port for the TPAP plug, as a doorbell answers on 20004 rather than 20002.
    const plug = await start({ host: '127.0.0.2', fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', discoveryPort: 0 });
    const port = plug.discoveryPort ?? 0;
    const camera = await start({ host: '127.0.0.3', fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', username: 'admin', discoveryPort: port });
    const tpap = await start({ host: '127.0.0.4', fixture: 'P115(EU)_1.0_1.2.3', scheme: 'tpap', discoveryPort: 0 });
    const second = tpap.discoveryPort ?? 0;

    const found = await scanNetwork({ addresses: parseAddressRange('127.0.0.2-127.0.0.6'), ports: [port, second], timeoutMs: 1500, rsaKeyBits: 1024, attempts: 2 });
    const byIp = new Map(found.map((d) => [d.ip, d]));
    assert.deepEqual([...byIp.keys()].sort(), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    assert.equal(found.length, 3, 'each device once, though each answered two rounds');
    // The simulators themselves saw both rounds of probes.
    for (const d of [plug, camera, tpap]) assert.equal(d.discoveryProbesAnswered, 2, d.host);

    const p = byIp.get('127.0.0.2') as ScannedDevice;
    assert.equal(p.kind, 'plug');
    assert.equal(p.model, 'P110(UK)');
    assert.equal(p.mac, plug.fixture.mac);
    assert.equal(p.scheme, 'klap');
    assert.equal(p.httpPort, plug.port);
    assert.equal(p.discoveryPort, port);
    assert.equal(p.firmware, undefined, 'SMART plugs send no firmware in discovery');
    assert.equal(p.thirdPartyOff, undefined);

    const c = byIp.get('127.0.0.3') as ScannedDevice;
    assert.equal(c.kind, 'camera');
    assert.equal(c.model, 'C210');
    assert.equal(c.mac, camera.fixture.mac);
    assert.notEqual(c.mac, p.mac);
    assert.equal(c.firmware, '1.4.3 Build 241010 Rel.33858n');
    assert.equal(c.scheme, 'camera-secure');
    assert.equal(c.https, true);
    assert.equal(c.httpPort, camera.port, 'the port read from the decrypted encrypt_info');
    assert.equal(c.thirdPartyOff, undefined);

    const t = byIp.get('127.0.0.4') as ScannedDevice;
    assert.equal(t.kind, 'plug');
    assert.equal(t.model, 'P115(EU)');
    assert.equal(t.scheme, 'tpap');
    assert.equal(t.discoveryPort, second);
    assert.equal(t.thirdPartyOff, true);
  });

  it('until: the scan ends at the first answer it accepts, with what it found so far', async () => {
    const plug = await start({ host: '127.0.0.2', fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', discoveryPort: 0 });
    const port = plug.discoveryPort ?? 0;
    await start({ host: '127.0.0.3', fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', username: 'admin', discoveryPort: port });
    const seen: string[] = [];
    const found = await scanNetwork({
      addresses: parseAddressRange('127.0.0.2-127.0.0.3'),
      ports: [port],
      timeoutMs: 3000,
      rsaKeyBits: 1024,
      until: (d) => (seen.push(d.ip), true),
    });
    assert.equal(found.length, 1, 'one answer accepted, the scan ended there');
    assert.deepEqual(found.map((d) => d.ip), seen);
    // Without until, both answer.
    assert.equal((await scanNetwork({ addresses: parseAddressRange('127.0.0.2-127.0.0.3'), ports: [port], timeoutMs: 800, rsaKeyBits: 1024 })).length, 2);
  });

  it('a sweep where nothing answers resolves with an empty list', async () => {
    const plug = await start({ host: '127.0.0.2', fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', discoveryPort: 0 });
    const port = plug.discoveryPort ?? 0;
    const found = await scanNetwork({ addresses: parseAddressRange('127.0.0.7-9'), ports: [port], timeoutMs: 400, rsaKeyBits: 1024 });
    assert.deepEqual(found, []);
    assert.equal(plug.discoveryProbesAnswered, 0);
  });

  it('a bad range is refused before anything is sent', () => {
    assert.throws(
      () => parseAddressRange('127.0.0.2-127.0.0.1'),
      (e: unknown) => isTapoError(e, 'Input') && e.reason === 'scanBadRange' && e.hintKey === 'scanRangeForms',
    );
  });

  it('broadcast: a device listening on every address answers a probe sent to the loopback broadcast address', async () => {
    const plug = await start({ host: '127.0.0.1', discoveryHost: '0.0.0.0', fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', discoveryPort: 0 });
    const port = plug.discoveryPort ?? 0;
    const found = await scanNetwork({ broadcast: [LOOPBACK_BROADCAST], ports: [port], timeoutMs: 800, rsaKeyBits: 1024, attempts: 1 });
    assert.equal(found.length, 1);
    assert.equal(found[0]?.mac, plug.fixture.mac);
    assert.equal(found[0]?.ip, '127.0.0.1');
    assert.equal(plug.discoveryProbesAnswered, 1);
  });

  it('broadcast needs SO_BROADCAST: the same address given as a unicast target is refused by the kernel (EACCES), so the scan sets it only for broadcast targets', async () => {
    const listener = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => listener.bind(0, '0.0.0.0', resolve));
    const port = listener.address().port;
    const got: { from: string; bytes: Buffer }[] = [];
    listener.on('message', (bytes, rinfo) => got.push({ from: rinfo.address, bytes }));
    try {
      await assert.rejects(
        scanNetwork({ addresses: [LOOPBACK_BROADCAST], ports: [port], timeoutMs: 400, rsaKeyBits: 1024, attempts: 1 }),
        (e: unknown) => isTapoError(e, 'Transport') && e.reason === 'scanSendFailed' && e.params['detail'] === 'EACCES',
      );
      assert.equal(got.length, 0);
      // One scan, one broadcast and one unicast target: the same datagram reaches the listener twice.
      await scanNetwork({ broadcast: [LOOPBACK_BROADCAST], addresses: ['127.0.0.1'], ports: [port], timeoutMs: 400, rsaKeyBits: 1024, attempts: 1 });
      assert.equal(got.length, 2);
      const [a, b] = got;
      assert.ok(a && b);
      assert.ok(a.bytes.equals(b.bytes), 'broadcast and unicast datagrams are the same bytes');
      assert.equal(a.bytes.readUInt16BE(2), 1, 'op code: probe');
      assert.match(a.bytes.subarray(16).toString('utf8'), /"rsa_key":"-----BEGIN PUBLIC KEY-----/);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });

  it('tapo discover --scan --range prints the devices that answered as JSON; without --scan discover stays the probe of --host', async () => {
    const plug = await start({ host: '127.0.0.2', fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', discoveryPort: 0 });
    const port = String(plug.discoveryPort ?? 0);
    const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {} });
      return { code, out, err };
    };
    const ok = await run('discover', '--scan', '--range', '127.0.0.2-3', '--discovery-port', port, '--timeout', '1');
    assert.equal(ok.code, 0, ok.err);
    const list = JSON.parse(ok.out) as ScannedDevice[];
    assert.equal(list.length, 1);
    assert.equal(list[0]?.ip, '127.0.0.2');
    assert.equal(list[0]?.scheme, 'klap');

    const usage = [
      ['discover', '--range', '127.0.0.2-3'],
      ['discover', '--scan'],
      ['discover', '--scan', '--range', '127.0.0.2', '--host', '127.0.0.2'],
      ['probe', '--scan', '--range', '127.0.0.2', '--host', '127.0.0.2'],
    ];
    for (const argv of usage) assert.equal((await run(...argv)).code, EXIT_USAGE, argv.join(' '));
    const bad = await run('discover', '--scan', '--range', '127.0.0.0/8');
    assert.equal(bad.code, EXIT_CODES.Input);
    assert.match(bad.err, /more than the 1024/);
    assert.equal(plug.discoveryProbesAnswered, 2, 'only the --scan run probed');
  });
});
