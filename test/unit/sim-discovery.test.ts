/**
 * The simulator's UDP discovery responder (../shared/protocol/discovery.md §1, §2, §5), probed on
 * 127.0.0.1 only by a client written here with node:dgram and node:crypto (not src/protocol):
 * reply header and JSON, the scheme advertised for every scheme a device can be started with,
 * encrypt_info under SPKI and PKCS#1 probe keys, bare probes, malformed packets, faults,
 * describe(), the CLI flag and that stop() leaves no UDP handle behind.
 */
import { strict as assert } from 'node:assert';
import { constants, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { NetworkInterfaceInfo } from 'node:os';
import { resolve } from 'node:path';

import { startDevice, type SimulatedDevice, type StartDeviceOptions, type SimScheme } from '../../src/simulator';
import { parseCliArgs, USAGE } from '../../src/simulator/cli';
import { advertisedIp } from '../../src/simulator/discovery';
import { loadFixture } from '../../src/simulator/fixtures';

type Json = any;

const vectors: Json = JSON.parse(readFileSync(resolve(__dirname, '../vectors/vectors.json'), 'utf8'));
const LOOPBACK = '127.0.0.1';

// --- a minimal discovery client (discovery.md §1), independent of the simulator's code ---

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8); // a byte index: always present
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC of a packet as §1 defines it: placeholder 0x5A6B7C8D in bytes 12–15 while computing. */
function packetCrc(packet: Buffer): number {
  const copy = Buffer.from(packet);
  copy.writeUInt32BE(0x5a6b7c8d, 12);
  return crc32(copy);
}

interface ProbeFields {
  version?: number;
  opCode?: number;
  /** Overrides the payload length field. */
  length?: number;
  serial?: Buffer;
  /** Overrides the CRC. */
  crc?: number;
}

function buildProbe(payload: Buffer | string = Buffer.alloc(0), fields: ProbeFields = {}): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const packet = Buffer.alloc(16 + body.length);
  packet.writeUInt8(fields.version ?? 2, 0);
  packet.writeUInt8(0, 1);
  packet.writeUInt16BE(fields.opCode ?? 1, 2);
  packet.writeUInt16BE(fields.length ?? body.length, 4);
  packet.writeUInt8(body.length > 0 ? 0x11 : 0, 6);
  (fields.serial ?? Buffer.from([1, 2, 3, 4])).copy(packet, 8);
  body.copy(packet, 16);
  packet.writeUInt32BE(fields.crc ?? packetCrc(packet), 12);
  return packet;
}

const keyProbe = (pem: string, serial?: Buffer): Buffer => buildProbe(JSON.stringify({ params: { rsa_key: pem } }), serial !== undefined ? { serial } : {});

/** A UDP client socket on 127.0.0.1 that collects every datagram it receives. */
class ProbeClient {
  readonly socket = dgram.createSocket('udp4');
  readonly received: { msg: Buffer; from: dgram.RemoteInfo }[] = [];
  private waiters: (() => void)[] = [];

  async open(): Promise<this> {
    this.socket.on('message', (msg, from) => {
      this.received.push({ msg, from });
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket.bind(0, LOOPBACK);
    await once(this.socket, 'listening');
    return this;
  }

  send(port: number, packet: Buffer): Promise<void> {
    return new Promise((res, rej) => this.socket.send(packet, port, LOOPBACK, (err) => (err ? rej(err) : res())));
  }

  /** Resolves with the next datagram; fails after `ms`. */
  async next(ms = 3000): Promise<{ msg: Buffer; from: dgram.RemoteInfo }> {
    const deadline = Date.now() + ms;
    while (this.received.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no discovery reply');
      await new Promise<void>((res) => {
        const timer = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          res();
        });
      });
    }
    return this.received.shift()!;
  }

  close(): Promise<void> {
    return new Promise((res) => this.socket.close(() => res()));
  }
}

interface Reply {
  header: { version: number; messageType: number; opCode: number; length: number; serial: Buffer; crc: number };
  packet: Buffer;
  body: Json;
}

function parseReply(packet: Buffer): Reply {
  assert.ok(packet.length > 16, 'reply longer than its header');
  return {
    header: {
      version: packet.readUInt8(0),
      messageType: packet.readUInt8(1),
      opCode: packet.readUInt16BE(2),
      length: packet.readUInt16BE(4),
      serial: packet.subarray(8, 12),
      crc: packet.readUInt32BE(12),
    },
    packet,
    body: JSON.parse(packet.subarray(16).toString('utf8')),
  };
}

/** Decrypts encrypt_info as discovery.md §3 says. */
function decryptInfo(info: Json, privateKeyPem: string): Json {
  const keyIv = privateDecrypt(
    { key: createPrivateKey(privateKeyPem), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(info.key, 'base64'),
  );
  assert.equal(keyIv.length, 32, 'key ‖ iv');
  const d = createDecipheriv('aes-128-cbc', keyIv.subarray(0, 16), keyIv.subarray(16));
  return JSON.parse(Buffer.concat([d.update(Buffer.from(info.data, 'base64')), d.final()]).toString('utf8'));
}

/** The responder's next `ignored` event; fails after `ms` (so a wrongly answered probe fails fast). */
async function nextIgnored(emitter: NodeJS.EventEmitter, ms = 3000): Promise<{ reason: string }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    return (await once(emitter, 'ignored', { signal: ac.signal }))[0];
  } catch {
    throw new Error(`no 'ignored' event within ${ms} ms`);
  } finally {
    clearTimeout(timer);
  }
}

const udpHandles = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;

const rsa2048 = vectors.rsa_test_keys.rsa2048;
const rsa1024 = vectors.rsa_test_keys.rsa1024;
const rsa1024Pkcs1 = createPublicKey(rsa1024.public_pem).export({ type: 'pkcs1', format: 'pem' }).toString();

describe('simulator UDP discovery', function () {
  const devices: SimulatedDevice[] = [];
  const clients: ProbeClient[] = [];

  async function start(options: StartDeviceOptions): Promise<SimulatedDevice> {
    const device = await startDevice({ discoveryPort: 0, ...options });
    devices.push(device);
    return device;
  }
  async function client(): Promise<ProbeClient> {
    const c = await new ProbeClient().open();
    clients.push(c);
    return c;
  }
  /** One probe, one reply. */
  async function ask(device: SimulatedDevice, packet: Buffer): Promise<Reply> {
    const c = await client();
    await c.send(device.discoveryPort!, packet);
    return parseReply((await c.next()).msg);
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(devices.splice(0).map((d) => d.stop()));
  });

  it('the client here reproduces the vectors: bare probe and probe with the test key', () => {
    assert.equal(buildProbe(Buffer.alloc(0), { serial: Buffer.alloc(4) }).toString('hex'), vectors.discovery.header_only_probe_hex);
    const v = vectors.discovery.probe_with_rsa_key;
    assert.equal(keyProbe(v.inputs.rsa_public_key_pem).toString('hex'), v.packet_hex);
  });

  it('answers the vector probe with header (version 2, op code 1, JSON length, serial, CRC) + {"error_code":0,"result":…}', async () => {
    const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
    const c = await client();
    await c.send(device.discoveryPort!, Buffer.from(vectors.discovery.probe_with_rsa_key.packet_hex, 'hex'));
    const { msg, from } = await c.next();
    assert.equal(from.address, LOOPBACK);
    assert.equal(from.port, device.discoveryPort, 'answered from the discovery socket');
    const reply = parseReply(msg);
    assert.equal(reply.header.version, 2);
    assert.equal(reply.header.messageType, 0);
    assert.equal(reply.header.opCode, 1);
    assert.equal(reply.header.length, msg.length - 16);
    assert.equal(reply.header.serial.toString('hex'), '01020304', 'serial of the probe');
    assert.equal(reply.header.crc, packetCrc(msg), 'CRC computed like the probe');
    assert.equal(reply.body.error_code, 0);
    const r = reply.body.result;
    assert.equal(r.device_type, 'SMART.TAPOPLUG');
    assert.equal(r.device_model, 'P110(UK)');
    assert.equal(r.mac, loadFixture('P110(UK)_1.0_1.3.0').mac);
    assert.match(r.mac, /^48-22-54-/, "the capture's TP-Link OUI");
    assert.equal(r.ip, LOOPBACK);
    assert.deepEqual(r.mgt_encrypt_schm, { encrypt_type: 'KLAP', http_port: device.port, is_support_https: false, lv: 2 });
    assert.equal(r.encrypt_info, undefined, 'a plug without encrypt_info in its dump gets none');
    assert.equal(r.encrypt_type, undefined);
    assert.equal(device.discoveryProbesAnswered, 1);
  });

  describe('advertises the scheme the device speaks', () => {
    const smart: { fixture: string; scheme?: SimScheme; type: string; lv: number | undefined }[] = [
      { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', type: 'KLAP', lv: 2 },
      { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap-v1', type: 'KLAP', lv: 1 },
      { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'passthrough', type: 'AES', lv: 2 },
      { fixture: 'P110(UK)_1.0_1.3.0', scheme: 'tpap', type: 'TPAP', lv: 2 },
      { fixture: 'P100(US)_1.0.0_1.1.3', type: 'AES', lv: undefined },
      { fixture: 'P100(US)_1.0.0_1.1.3', scheme: 'klap', type: 'KLAP', lv: 2 },
    ];
    for (const t of smart) {
      it(`${t.fixture} on ${t.scheme ?? 'its own scheme'} ⇒ mgt_encrypt_schm.encrypt_type "${t.type}", lv ${t.lv}`, async () => {
        const device = await start({ fixture: t.fixture, ...(t.scheme !== undefined ? { scheme: t.scheme } : {}) });
        const r = (await ask(device, keyProbe(rsa2048.public_pem))).body.result;
        assert.equal(r.mgt_encrypt_schm.encrypt_type, t.type);
        assert.equal(r.mgt_encrypt_schm.lv, t.lv);
        assert.equal(r.mgt_encrypt_schm.http_port, device.port);
        assert.equal(r.mgt_encrypt_schm.is_support_https, false);
        assert.equal(r.ip, LOOPBACK);
        assert.equal(r.device_type, 'SMART.TAPOPLUG');
        assert.equal(r.encrypt_type, undefined);
        assert.equal(r.encrypt_info, undefined);
      });
    }

    const cameras: { fixture: string; scheme?: SimScheme; encryptType: string[] | undefined; tpap: Json }[] = [
      { fixture: 'C210(EU)_2.0_1.4.3', encryptType: ['3'], tpap: undefined },
      { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-legacy', encryptType: undefined, tpap: undefined },
      { fixture: 'C210(EU)_2.0_1.4.3', scheme: 'tpap', encryptType: ['4'], tpap: undefined },
      { fixture: 'C101(US)_5.0_1.4.3', encryptType: ['4'], tpap: { noc: 1, pake: [2], tls: 1 } },
      { fixture: 'C101(US)_5.0_1.4.3', scheme: 'camera-secure', encryptType: ['3'], tpap: undefined },
    ];
    for (const t of cameras) {
      it(`${t.fixture} on ${t.scheme ?? 'its own scheme'} ⇒ encrypt_type ${JSON.stringify(t.encryptType)}${t.tpap ? ' and its tpap object' : ''}`, async () => {
        const device = await start({ fixture: t.fixture, ...(t.scheme !== undefined ? { scheme: t.scheme } : {}) });
        assert.equal(device.scheme, t.scheme ?? device.fixture.defaultScheme);
        const r = (await ask(device, keyProbe(rsa2048.public_pem))).body.result;
        assert.equal(r.device_type, 'SMART.IPCAMERA');
        assert.deepEqual(r.encrypt_type, t.encryptType);
        assert.equal(r.mgt_encrypt_schm.encrypt_type, undefined, 'cameras carry no scheme in mgt_encrypt_schm');
        assert.equal(r.mgt_encrypt_schm.is_support_https, true);
        assert.equal(r.mgt_encrypt_schm.http_port, device.port);
        if (t.tpap === undefined) assert.equal(r.tpap, undefined);
        else assert.deepEqual(r.tpap, { ...t.tpap, port: device.port });
        assert.equal(r.ip, LOOPBACK);
        assert.equal(r.decrypted_data, undefined, 'the dump’s plaintext never goes on the wire');
        assert.equal(decryptInfo(r.encrypt_info, rsa2048.private_pem_pkcs8).http_port, device.port);
      });
    }

    it('follows migrate(): a KLAP plug updated to TPAP advertises TPAP', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      assert.equal((await ask(device, buildProbe())).body.result.mgt_encrypt_schm.encrypt_type, 'KLAP');
      device.migrate('tpap');
      assert.equal((await ask(device, buildProbe())).body.result.mgt_encrypt_schm.encrypt_type, 'TPAP');
    });
  });

  describe('encrypt_info', () => {
    it('decrypts with the private key of an SPKI 2048-bit probe key to the camera JSON with http_port', async () => {
      const device = await start({ fixture: 'C210(EU)_2.0_1.4.3' });
      const r = (await ask(device, Buffer.from(vectors.discovery.probe_with_rsa_key.packet_hex, 'hex'))).body.result;
      assert.equal(r.encrypt_info.sym_schm, 'AES');
      assert.equal(Buffer.from(r.encrypt_info.key, 'base64').length, 256, 'RSA-2048 ciphertext');
      const plain = decryptInfo(r.encrypt_info, rsa2048.private_pem_pkcs8);
      assert.equal(plain.http_port, device.port);
      const basic = (loadFixture('C210(EU)_2.0_1.4.3').data.getDeviceInfo as { device_info: { basic_info: { dev_id: string } } }).device_info.basic_info;
      assert.equal(plain.device_id, basic.dev_id, 'the same id as getDeviceInfo');
      assert.match(plain.device_id, /^[0-9A-F]{40}$/);
      assert.equal(plain.last_alarm_type, 'motion');
      assert.equal(plain.sd_status, 'offline');
    });

    it('works with a PKCS#1 (BEGIN RSA PUBLIC KEY) 1024-bit key, as the Rust client sends', async () => {
      assert.match(rsa1024Pkcs1, /^-----BEGIN RSA PUBLIC KEY-----\n/);
      const device = await start({ fixture: 'C101(US)_5.0_1.4.3' });
      const r = (await ask(device, keyProbe(rsa1024Pkcs1))).body.result;
      assert.equal(Buffer.from(r.encrypt_info.key, 'base64').length, 128, 'RSA-1024 ciphertext');
      const plain = decryptInfo(r.encrypt_info, rsa1024.private_pem_pkcs8);
      assert.equal(plain.http_port, device.port);
      assert.equal(plain.connect_type, 'wireless');
    });

    it('is fresh for every probe and only opens with the matching private key', async () => {
      const device = await start({ fixture: 'C210(EU)_2.0_1.4.3' });
      const a = (await ask(device, keyProbe(rsa2048.public_pem))).body.result.encrypt_info;
      const b = (await ask(device, keyProbe(rsa2048.public_pem))).body.result.encrypt_info;
      assert.notEqual(a.key, b.key);
      assert.notEqual(a.data, b.data);
      assert.deepEqual(decryptInfo(a, rsa2048.private_pem_pkcs8), decryptInfo(b, rsa2048.private_pem_pkcs8));
      const other = generateKeyPairSync('rsa', { modulusLength: 1024 });
      assert.throws(() => decryptInfo(a, other.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()));
    });

    it('a bare 16-byte probe gets the camera result without encrypt_info', async () => {
      const device = await start({ fixture: 'C210(EU)_2.0_1.4.3' });
      const reply = await ask(device, Buffer.from(vectors.discovery.header_only_probe_hex, 'hex'));
      assert.equal(reply.header.serial.toString('hex'), '00000000');
      assert.equal(reply.body.error_code, 0);
      assert.deepEqual(reply.body.result.encrypt_type, ['3']);
      assert.equal(reply.body.result.encrypt_info, undefined);
      assert.equal(reply.body.result.decrypted_data, undefined);
    });

    it('a payload without rsa_key gets no encrypt_info either', async () => {
      const device = await start({ fixture: 'C210(EU)_2.0_1.4.3' });
      const r = (await ask(device, buildProbe('{"params":{}}'))).body.result;
      assert.equal(r.encrypt_info, undefined);
      assert.deepEqual(r.encrypt_type, ['3']);
    });
  });

  describe('malformed packets get no answer', () => {
    const body = JSON.stringify({ params: { rsa_key: rsa2048.public_pem } });
    const privatePem: string = rsa2048.private_pem_pkcs8;
    const cases: { name: string; packet: () => Buffer; reason: string }[] = [
      { name: 'shorter than the header', packet: () => buildProbe().subarray(0, 10), reason: 'short' },
      { name: 'version 1', packet: () => buildProbe(body, { version: 1 }), reason: 'version' },
      { name: 'op code 2', packet: () => buildProbe(body, { opCode: 2 }), reason: 'op-code' },
      { name: 'payload length too large', packet: () => buildProbe(body, { length: Buffer.byteLength(body) + 1 }), reason: 'length' },
      { name: 'payload length 0 with a payload', packet: () => buildProbe(body, { length: 0 }), reason: 'length' },
      { name: 'wrong CRC', packet: () => buildProbe(body, { crc: 0x463cb5d3 }), reason: 'crc' },
      { name: 'payload that is not JSON', packet: () => buildProbe('{"params":'), reason: 'payload' },
      { name: 'payload that is a JSON array', packet: () => buildProbe('[1,2]'), reason: 'payload' },
      { name: 'rsa_key that is not a PEM key', packet: () => keyProbe('not a key'), reason: 'rsa-key' },
      { name: 'rsa_key holding a private key', packet: () => keyProbe(privatePem), reason: 'rsa-key' },
      { name: 'rsa_key that is a number', packet: () => buildProbe('{"params":{"rsa_key":5}}'), reason: 'rsa-key' },
    ];
    for (const t of cases) {
      it(t.name, async () => {
        const device = await start({ fixture: 'C210(EU)_2.0_1.4.3' });
        const responder = device.discoveryResponder!;
        const c = await client();
        const ignored = nextIgnored(responder);
        await c.send(device.discoveryPort!, t.packet());
        assert.equal((await ignored).reason, t.reason);
        // A good probe sent afterwards is the first (and only) datagram that comes back.
        await c.send(device.discoveryPort!, buildProbe(Buffer.alloc(0), { serial: Buffer.from('good') }));
        const reply = parseReply((await c.next()).msg);
        assert.equal(reply.header.serial.toString(), 'good');
        assert.equal(c.received.length, 0);
        assert.equal(device.discoveryProbesAnswered, 1);
        assert.equal(responder.ignored, 1);
      });
    }

    it('checkCrc = false answers a probe with a wrong CRC', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      device.discoveryResponder!.checkCrc = false;
      const reply = await ask(device, buildProbe(body, { crc: 1 }));
      assert.equal(reply.body.error_code, 0);
    });
  });

  describe('faults and state', () => {
    it('dropConnections and hang: no answer; cleared: answered again', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      const c = await client();
      for (const fault of ['dropConnections', 'hang'] as const) {
        device.faults[fault] = true;
        const ignored = nextIgnored(device.discoveryResponder!);
        await c.send(device.discoveryPort!, buildProbe());
        assert.equal((await ignored).reason, fault === 'dropConnections' ? 'drop' : 'hang');
        device.faults[fault] = false;
      }
      await c.send(device.discoveryPort!, buildProbe());
      assert.equal(parseReply((await c.next()).msg).body.error_code, 0);
      assert.equal(c.received.length, 0);
      assert.equal(device.discoveryProbesAnswered, 1);
    });

    it('a rebooting device is silent, then answers on the same port when it is up', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      const port = device.discoveryPort!;
      await device.reboot(0.05);
      const c = await client();
      const ignored = nextIgnored(device.discoveryResponder!);
      await c.send(port, buildProbe());
      assert.equal((await ignored).reason, 'down');
      await device.whenUp();
      await c.send(port, buildProbe());
      assert.equal(parseReply((await c.next()).msg).body.result.mgt_encrypt_schm.http_port, device.port);
      assert.equal(device.discoveryPort, port);
    });

    it('delayMs delays the reply', async () => {
      const device = await start({ fixture: 'P110(UK)_1.0_1.3.0' });
      device.faults.delayMs = 150;
      const t0 = Date.now();
      await ask(device, buildProbe());
      assert.ok(Date.now() - t0 >= 140, `answered after ${Date.now() - t0} ms`);
    });
  });

  describe('device integration', () => {
    it('no responder by default: discoveryPort undefined and describe() unchanged', async () => {
      const device = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0' });
      devices.push(device);
      assert.equal(device.discoveryPort, undefined);
      assert.equal(device.discoveryResponder, undefined);
      assert.equal(device.discoveryProbesAnswered, 0);
      assert.deepEqual(Object.keys(device.describe()).sort(), ['family', 'host', 'model', 'port', 'scheme', 'url']);
    });

    it('describe() includes the bound discovery port when enabled', async () => {
      const device = await start({ fixture: 'C210(EU)_2.0_1.4.3' });
      const description = device.describe();
      assert.equal(typeof description.discoveryPort, 'number');
      assert.ok(description.discoveryPort! > 0);
      assert.equal(description.discoveryPort, device.discoveryPort);
      assert.notEqual(description.discoveryPort, 0);
    });

    it('stop() closes the UDP socket: no UDP handle is left', async () => {
      const before = udpHandles();
      const device = await startDevice({ fixture: 'C210(EU)_2.0_1.4.3', discoveryPort: 0 });
      assert.equal(udpHandles(), before + 1, 'one UDP socket while running');
      await device.stop();
      assert.equal(udpHandles(), before);
      assert.equal(device.discoveryResponder!.answered, 0);
    });

    it('a discovery port already in use fails start and leaves no socket or listener behind', async () => {
      const holder = dgram.createSocket('udp4');
      holder.bind(0, LOOPBACK);
      await once(holder, 'listening');
      try {
        const udpBefore = udpHandles();
        const tcpBefore = process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
        await assert.rejects(startDevice({ fixture: 'P110(UK)_1.0_1.3.0', discoveryPort: holder.address().port }), /EADDRINUSE/);
        assert.equal(udpHandles(), udpBefore);
        // The HTTP listener's handle goes one loop turn after its close callback.
        await new Promise((res) => setImmediate(res));
        assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length, tcpBefore);
      } finally {
        await new Promise<void>((res) => holder.close(() => res()));
      }
    });

    it('tapo-sim takes --discovery-port per device and documents it', () => {
      const plan = parseCliArgs(['--fixture', 'A', '--discovery-port', '0', '--fixture', 'B', '--discovery-port=20002', '--fixture', 'C']);
      assert.equal(plan.kind, 'start');
      if (plan.kind !== 'start') return;
      assert.deepEqual(
        plan.devices.map((d) => d.discoveryPort),
        [0, 20002, undefined],
      );
      assert.throws(() => parseCliArgs(['--fixture', 'A', '--discovery-port', '70000']), /--discovery-port must be an integer from 0 to 65535/);
      assert.throws(() => parseCliArgs(['--discovery-port', '1']), /must follow the --fixture/);
      const fromConfig = parseCliArgs(['--config', 'x.json'], () => JSON.stringify([{ fixture: 'A', discoveryPort: 0 }]));
      assert.deepEqual(fromConfig, { kind: 'start', devices: [{ fixture: 'A', discoveryPort: 0 }] });
      assert.match(USAGE, /--discovery-port N/);
    });
  });

  describe('advertised ip', () => {
    const iface = (address: string, netmask: string, internal = false): NetworkInterfaceInfo =>
      ({ address, netmask, family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: null }) as NetworkInterfaceInfo;
    const interfaces = { lo: [iface('127.0.0.1', '255.0.0.0', true)], eth0: [iface('192.168.1.20', '255.255.255.0')], eth1: [iface('10.0.0.5', '255.0.0.0')] };

    it('is the bound host, or for a wildcard host the local address on the sender’s subnet', () => {
      assert.equal(advertisedIp('127.0.0.2', '127.0.0.1', interfaces), '127.0.0.2');
      assert.equal(advertisedIp('0.0.0.0', '10.9.8.7', interfaces), '10.0.0.5');
      assert.equal(advertisedIp('0.0.0.0', '192.168.1.99', interfaces), '192.168.1.20');
      assert.equal(advertisedIp('::', '::ffff:192.168.1.99', interfaces), '192.168.1.20');
      assert.equal(advertisedIp('0.0.0.0', '127.0.0.1', interfaces), '127.0.0.1');
      assert.equal(advertisedIp('0.0.0.0', '172.16.0.1', interfaces), '192.168.1.20', 'no subnet matches: first external address');
    });
  });
});
