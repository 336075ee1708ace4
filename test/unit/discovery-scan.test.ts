/**
 * Network scan, pure parts (src/protocol/discovery-scan.ts): address ranges, the host's broadcast
 * targets, option checks, and the probe the scan sends (the same bytes as discover's, read here
 * against discovery.md §1 and vectors.json). No datagram is sent.
 */
import { strict as assert } from 'node:assert';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NetworkInterfaceInfo } from 'node:os';

import { crc32, DISCOVERY_CRC_PLACEHOLDER, DISCOVERY_FLAGS_WITH_PAYLOAD, parseDiscoveryReply } from '../../src/protocol/discovery-cipher';
import { buildResult, probeFor } from '../../src/protocol/discovery';
import { broadcastTargets, MAX_SWEEP_ADDRESSES, parseAddressRange, scanNetwork, SCAN_PORTS } from '../../src/protocol/discovery-scan';
import { isTapoError, TapoError } from '../../src/protocol/errors';

interface Vectors {
  discovery: { probe_with_rsa_key: { inputs: { rsa_public_key_pem: string } } };
  rsa_test_keys: { rsa1024: { private_pem_pkcs8: string } };
}
const vectors = JSON.parse(readFileSync(resolve(__dirname, '../vectors/vectors.json'), 'utf8')) as Vectors;

function rejectsWith(fn: () => unknown, reason: string, kind = 'Input'): TapoError {
  try {
    fn();
  } catch (e) {
    assert.ok(isTapoError(e), String(e));
    assert.equal(e.kind, kind);
    assert.equal(e.reason, reason);
    return e;
  }
  assert.fail(`expected ${reason}`);
}

describe('parseAddressRange', () => {
  it('reads one address, a.b.c.d-e, a.b.c.d-a.b.c.e and CIDR /22 to /30', () => {
    assert.deepEqual(parseAddressRange('192.168.1.20'), ['192.168.1.20']);
    assert.deepEqual(parseAddressRange('127.0.0.2-4'), ['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    assert.deepEqual(parseAddressRange(' 10.0.0.254 - 10.0.1.1 '), ['10.0.0.254', '10.0.0.255', '10.0.1.0', '10.0.1.1']);
    // CIDR: the network and broadcast addresses are left out, any host bits in the base are ignored.
    assert.deepEqual(parseAddressRange('192.168.7.9/30'), ['192.168.7.9', '192.168.7.10']);
    const c24 = parseAddressRange('192.168.1.0/24');
    assert.equal(c24.length, 254);
    assert.equal(c24[0], '192.168.1.1');
    assert.equal(c24.at(-1), '192.168.1.254');
    assert.equal(parseAddressRange('10.1.0.0/22').length, 1022);
  });

  it('refuses malformed text with the accepted forms as the hint', () => {
    for (const text of ['', 'router', '192.168.1', '192.168.1.300', '192.168.01.2', '192.168.1.40-20', '192.168.1.2-256', '192.168.1.0/31', '192.168.1.0/33', '192.168.1.0/x', '10.0.0.1-10.0.0.0']) {
      const e = rejectsWith(() => parseAddressRange(text), 'scanBadRange');
      assert.equal(e.hintKey, 'scanRangeForms');
      assert.match(e.hint ?? '', /192\.168\.1\.10-40/);
    }
  });

  it('refuses more than the cap, as a too-large range (not a malformed one)', () => {
    const big = rejectsWith(() => parseAddressRange('10.0.0.0/21'), 'scanRangeTooLarge');
    assert.equal(big.params['max'], MAX_SWEEP_ADDRESSES);
    rejectsWith(() => parseAddressRange('10.0.0.0-10.0.4.0'), 'scanRangeTooLarge');
    assert.equal(parseAddressRange('10.0.0.0-10.0.3.255').length, MAX_SWEEP_ADDRESSES);
  });
});

describe('broadcastTargets', () => {
  const entry = (address: string, netmask: string, internal = false, family: 'IPv4' | 'IPv6' = 'IPv4'): NetworkInterfaceInfo =>
    ({ address, netmask, family, internal, mac: '00:00:00:00:00:00', cidr: null }) as unknown as NetworkInterfaceInfo;

  it('lists external IPv4 networks with their CIDR and broadcast address, skipping loopback, IPv6 and /31-/32', () => {
    const targets = broadcastTargets({
      lo: [entry('127.0.0.1', '255.0.0.0', true)],
      eth0: [entry('192.168.1.20', '255.255.255.0'), entry('fe80::1', 'ffff:ffff:ffff:ffff::', false, 'IPv6')],
      wlan0: [entry('10.2.3.4', '255.255.252.0')],
      tun0: [entry('10.9.0.2', '255.255.255.255')],
      p2p: [entry('10.8.0.2', '255.255.255.254')],
    });
    assert.deepEqual(targets, [
      { interface: 'eth0', address: '192.168.1.20', cidr: '192.168.1.0/24', broadcast: '192.168.1.255' },
      { interface: 'wlan0', address: '10.2.3.4', cidr: '10.2.0.0/22', broadcast: '10.2.3.255' },
    ]);
  });

  it('reads this host without failing and gives the same shape', () => {
    for (const t of broadcastTargets()) {
      assert.deepEqual(Object.keys(t).sort(), ['address', 'broadcast', 'cidr', 'interface']);
      assert.match(t.cidr, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
    }
  });
});

describe('scanNetwork option checks (nothing sent)', () => {
  it('refuses no targets, a host name, a bad port and too many addresses', async () => {
    const cases: [Parameters<typeof scanNetwork>[0], string][] = [
      [{}, 'scanNoTargets'],
      [{ addresses: ['plug.local'] }, 'scanBadAddress'],
      [{ broadcast: ['255.255.255.256'] }, 'scanBadAddress'],
      [{ addresses: ['127.0.0.2'], ports: [0] }, 'discoveryBadPort'],
      [{ addresses: ['127.0.0.2'], timeoutMs: 0 }, 'discoveryBadTimeout'],
      [{ addresses: Array.from({ length: MAX_SWEEP_ADDRESSES + 1 }, (_, i) => `127.0.${i >> 8}.${i & 255}`) }, 'scanRangeTooLarge'],
    ];
    for (const [options, reason] of cases) {
      await assert.rejects(scanNetwork(options), (e: unknown) => isTapoError(e, 'Input') && e.reason === reason);
    }
  });

  it('probes 20002 and 20004 by default', () => {
    assert.deepEqual([...SCAN_PORTS], [20002, 20004]);
  });
});

describe('the scan probe and answer reading (shared with discover)', () => {
  it('the probe is a discovery.md §1 packet: version 2, op 1, flags 0x11, the payload length, a valid CRC, the RSA key', () => {
    const pem = vectors.discovery.probe_with_rsa_key.inputs.rsa_public_key_pem;
    const probe = probeFor({ publicPem: pem, privateKey: undefined as never });
    assert.equal(probe[0], 2);
    assert.equal(probe[1], 0);
    assert.equal(probe.readUInt16BE(2), 1);
    assert.equal(probe.readUInt16BE(4), probe.length - 16);
    assert.equal(probe[6], DISCOVERY_FLAGS_WITH_PAYLOAD);
    const copy = Buffer.from(probe);
    copy.writeUInt32BE(DISCOVERY_CRC_PLACEHOLDER, 12);
    assert.equal(crc32(copy), probe.readUInt32BE(12));
    assert.deepEqual(JSON.parse(probe.subarray(16).toString('utf8')), { params: { rsa_key: pem } });
  });

  it('reads a SMART TPAP answer with its kind, scheme and MAC', () => {
    const body = {
      error_code: 0,
      result: {
        device_type: 'SMART.TAPOPLUG',
        device_model: 'P110M(EU)',
        mac: '48-22-54-00-00-01',
        ip: '192.168.1.20',
        mgt_encrypt_schm: { encrypt_type: 'TPAP', http_port: 80, is_support_https: false, lv: 2 },
      },
    };
    const packet = Buffer.concat([Buffer.alloc(16), Buffer.from(JSON.stringify(body))]);
    const key = createPrivateKey(vectors.rsa_test_keys.rsa1024.private_pem_pkcs8);
    const read = buildResult('h', '127.0.0.9', 20002, parseDiscoveryReply(packet).result, key);
    assert.equal(read.kind, 'plug');
    assert.equal(read.scheme, 'tpap');
    assert.equal(read.encryptType, 'TPAP');
    assert.equal(read.mac, '48-22-54-00-00-01');
  });
});
