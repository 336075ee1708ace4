/**
 * UDP discovery, client side (../shared/protocol/discovery.md): the probe and CRC against
 * vectors.json → `discovery`, `encrypt_info` decryption, the scheme mapping on fixture discovery
 * results, and discover() / `tapo discover` against a small responder on 127.0.0.1 built from
 * node:dgram and node:crypto only. Every datagram stays on loopback.
 */
import { strict as assert } from 'node:assert';
import { constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { EXIT_CODES, EXIT_USAGE, main } from '../../src/cli/tapo';
import type { CliIo } from '../../src/cli/tapo';
import { discover } from '../../src/protocol/discovery';
import type { DiscoveryResult } from '../../src/protocol/discovery';
import {
  buildDiscoveryProbe,
  crc32,
  decryptDiscoveryData,
  decryptEncryptInfo,
  DISCOVERY_CRC_PLACEHOLDER,
  DISCOVERY_FLAGS_WITH_PAYLOAD,
  discoveryProbePayload,
  encryptInfoOf,
  hasValidDiscoveryCrc,
  parseDiscoveryReply,
  schemeFromDiscovery,
  unwrapDiscoveryKey,
} from '../../src/protocol/discovery-cipher';
import type { JsonObject } from '../../src/protocol/types';
import { rejection } from '../helpers';

interface DiscoveryVectors {
  crc_placeholder_hex: string;
  header_only_probe_hex: string;
  probe_with_rsa_key: {
    inputs: { flags: number; serial_hex: string; rsa_public_key_pem: string };
    payload_json: string;
    packet_hex: string;
    header_hex: string;
    crc32_hex: string;
  };
  encrypt_info_example: {
    sym_schm: string;
    key_b64: string;
    data_b64: string;
    expected_key_hex: string;
    expected_iv_hex: string;
    expected_decrypted_data: string;
  };
  python_kasa_test_data_cross_check: { key_hex: string; iv_hex: string; plaintext: string; data_b64: string };
}

const vectors = JSON.parse(readFileSync(resolve(__dirname, '../vectors/vectors.json'), 'utf8')) as {
  discovery: DiscoveryVectors;
  rsa_test_keys: { rsa2048: { public_pem: string; private_pem_pkcs8: string } };
};
const v = vectors.discovery;
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** `discovery_result.result` of a simulator fixture (copies of ../shared/fixtures inside the repo). */
function fixtureResult(name: string): JsonObject {
  const data = JSON.parse(readFileSync(resolve(__dirname, '../../src/simulator/fixtures', `${name}.json`), 'utf8')) as {
    discovery_result: { result: JsonObject };
  };
  return data.discovery_result.result;
}

describe('discovery', () => {
  describe('probe and CRC vectors', () => {
    it('CRC-32 is the standard zlib/IEEE one', () => {
      assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
      assert.equal(crc32(Buffer.alloc(0)), 0);
    });

    it('the CRC of the bare probe header with the placeholder is 463cb5d3', () => {
      assert.equal(DISCOVERY_CRC_PLACEHOLDER.toString(16), v.crc_placeholder_hex);
      const header = hex('020000010000000000000000463cb5d3');
      header.writeUInt32BE(DISCOVERY_CRC_PLACEHOLDER, 12);
      assert.equal(crc32(header).toString(16).padStart(8, '0'), '463cb5d3');
    });

    it('builds the bare 16-byte probe', () => {
      const probe = buildDiscoveryProbe();
      assert.equal(probe.toString('hex'), v.header_only_probe_hex);
      assert.equal(probe.toString('hex'), '020000010000000000000000463cb5d3');
      assert.ok(hasValidDiscoveryCrc(probe));
    });

    it('builds the probe with the RSA key payload, header and CRC', () => {
      const p = v.probe_with_rsa_key;
      assert.equal(p.inputs.rsa_public_key_pem, vectors.rsa_test_keys.rsa2048.public_pem);
      const payload = discoveryProbePayload(p.inputs.rsa_public_key_pem);
      assert.equal(payload, p.payload_json);
      const probe = buildDiscoveryProbe({ payload, serial: hex(p.inputs.serial_hex) });
      assert.equal(probe.toString('hex'), p.packet_hex);
      assert.equal(probe.subarray(0, 16).toString('hex'), p.header_hex);
      assert.equal(probe.subarray(12, 16).toString('hex'), p.crc32_hex);
      assert.equal(probe[6], p.inputs.flags);
      assert.equal(DISCOVERY_FLAGS_WITH_PAYLOAD, p.inputs.flags);
      assert.equal(probe.readUInt16BE(4), Buffer.byteLength(payload));
      assert.ok(hasValidDiscoveryCrc(probe));
      // A Buffer payload gives the same packet as the string.
      assert.deepEqual(buildDiscoveryProbe({ payload: Buffer.from(payload), serial: hex(p.inputs.serial_hex) }), probe);
    });

    it('detects a corrupted CRC and rejects bad serials and oversized payloads', () => {
      const probe = hex(v.probe_with_rsa_key.packet_hex);
      probe[100] = (probe[100] ?? 0) ^ 1;
      assert.equal(hasValidDiscoveryCrc(probe), false);
      assert.equal(hasValidDiscoveryCrc(Buffer.alloc(8)), false);
      assert.throws(() => buildDiscoveryProbe({ serial: Buffer.alloc(3) }), RangeError);
      assert.throws(() => buildDiscoveryProbe({ payload: Buffer.alloc(0x10000) }), RangeError);
    });
  });

  describe('encrypt_info', () => {
    const e = v.encrypt_info_example;
    const privatePem = vectors.rsa_test_keys.rsa2048.private_pem_pkcs8;

    it('unwraps the AES key and IV with RSA-OAEP SHA-1', () => {
      const keys = unwrapDiscoveryKey(privatePem, e.key_b64);
      assert.equal(keys.key.toString('hex'), e.expected_key_hex);
      assert.equal(keys.iv.toString('hex'), e.expected_iv_hex);
      assert.equal(decryptDiscoveryData(keys, e.data_b64), e.expected_decrypted_data);
    });

    it('decrypts the whole encrypt_info into JSON', () => {
      const info = encryptInfoOf({ encrypt_info: { sym_schm: e.sym_schm, key: e.key_b64, data: e.data_b64 } });
      assert.ok(info);
      assert.deepEqual(decryptEncryptInfo(privatePem, info), JSON.parse(e.expected_decrypted_data));
    });

    it('matches python-kasa test_discovery_decryption (AES part)', () => {
      const x = v.python_kasa_test_data_cross_check;
      assert.equal(decryptDiscoveryData({ key: hex(x.key_hex), iv: hex(x.iv_hex) }, x.data_b64), x.plaintext);
    });

    it('ignores blank encrypt_info (fixtures) and fails cleanly with the wrong key', () => {
      assert.equal(encryptInfoOf(fixtureResult('C210(EU)_2.0_1.4.3')), undefined);
      assert.equal(encryptInfoOf({}), undefined);
      const wrongKey = vectors.rsa_test_keys as unknown as { rsa1024: { private_pem_pkcs8: string } };
      assert.throws(() => unwrapDiscoveryKey(wrongKey.rsa1024.private_pem_pkcs8, e.key_b64), (err: unknown) => {
        return err instanceof Error && /cannot decrypt/.test(err.message);
      });
    });
  });

  describe('parseDiscoveryReply', () => {
    const header = Buffer.from('02000001000000000000000000000000', 'hex');
    it('reads data[16:] as {error_code, result}', () => {
      const reply = parseDiscoveryReply(Buffer.concat([header, Buffer.from('{"error_code":0,"result":{"device_model":"P110"}}')]));
      assert.deepEqual(reply, { errorCode: 0, result: { device_model: 'P110' } });
      assert.deepEqual(parseDiscoveryReply(Buffer.concat([header, Buffer.from('{"error_code":-1}')])), { errorCode: -1, result: {} });
    });
    it('rejects short, non-JSON and wrongly shaped replies', () => {
      for (const body of ['', 'not json', '[1]', '{"result":{}}', '{"error_code":0,"result":[]}']) {
        assert.throws(() => parseDiscoveryReply(Buffer.concat([header, Buffer.from(body)])), /discovery reply/);
      }
      assert.throws(() => parseDiscoveryReply(Buffer.alloc(10)), /too short/);
    });
  });

  describe('schemeFromDiscovery (§4)', () => {
    /** Fields to check; a field given as undefined must be absent from the answer. */
    type Expected = { [K in keyof ReturnType<typeof schemeFromDiscovery>]?: ReturnType<typeof schemeFromDiscovery>[K] | undefined };
    const rows: Array<[string, Expected]> = [
      ['P110(UK)_1.0_1.3.0', { scheme: 'klap', kind: 'plug', httpPort: 80, https: false, model: 'P110(UK)', mac: '48-22-54-00-00-00', deviceType: 'SMART.TAPOPLUG', encryptType: 'KLAP', loginVersion: 2 }],
      ['P300(EU)_1.0_1.0.15', { scheme: 'klap', kind: 'plug', httpPort: 80, model: 'P300(EU)' }],
      ['P110(EU)_1.0_1.2.3', { scheme: 'passthrough', kind: 'plug', httpPort: 80, encryptType: 'AES', loginVersion: 2 }],
      ['P100(US)_1.0.0_1.1.3', { scheme: 'passthrough', kind: 'plug', loginVersion: undefined }],
      ['C210(EU)_2.0_1.4.3', { scheme: 'camera-secure', kind: 'camera', httpPort: 443, https: true, model: 'C210', mac: '40-AE-30-00-00-00', firmware: '1.4.3 Build 241010 Rel.33858n', hardware: '2.0', deviceType: 'SMART.IPCAMERA', encryptType: '3', loginVersion: 3 }],
      ['TC70_3.0_1.3.11', { scheme: 'camera-secure', kind: 'camera', model: 'TC70' }],
      ['C101(US)_5.0_1.4.3', { scheme: 'tpap', kind: 'camera', httpPort: 443, https: true, model: 'C101', encryptType: '4', loginVersion: 4 }],
    ];
    for (const [fixture, expected] of rows) {
      it(`${fixture} ⇒ ${String(expected.scheme)}`, () => {
        const info = schemeFromDiscovery(fixtureResult(fixture));
        for (const [key, value] of Object.entries(expected)) {
          assert.deepEqual(info[key as keyof typeof info], value, `${fixture}: ${key}`);
        }
        assert.ok(info.schemeReason.length > 0);
      });
    }

    const synthetic: Array<[string, JsonObject, Expected]> = [
      ['SMART plug with TPAP', { device_type: 'SMART.TAPOPLUG', mgt_encrypt_schm: { encrypt_type: 'TPAP', http_port: 80, lv: 2 } }, { scheme: 'tpap', kind: 'plug', httpPort: 80 }],
      ['KLAP over HTTPS keeps the port and TLS flag', { device_type: 'SMART.TAPOBULB', mgt_encrypt_schm: { encrypt_type: 'KLAP', http_port: 4433, is_support_https: true } }, { scheme: 'klap', kind: 'plug', httpPort: 4433, https: true }],
      ['camera without encrypt_type ⇒ probe', { device_type: 'SMART.IPCAMERA', mgt_encrypt_schm: { is_support_https: true } }, { scheme: undefined, kind: 'camera', httpPort: 443 }],
      ['camera with ["1","2"] ⇒ probe', { device_type: 'SMART.IPCAMERA', encrypt_type: ['1', '2'] }, { scheme: undefined, kind: 'camera' }],
      ['camera with ["3","4"] takes the highest', { device_type: 'SMART.IPCAMERA', encrypt_type: ['3', '4'] }, { scheme: 'tpap', loginVersion: 4 }],
      ['doorbell', { device_type: 'SMART.TAPODOORBELL', encrypt_type: ['3'], mgt_encrypt_schm: { is_support_https: true } }, { scheme: 'camera-secure', kind: 'camera' }],
      ['H200 hub (HTTPS) is a camera-protocol device', { device_type: 'SMART.TAPOHUB', encrypt_type: ['3'], mgt_encrypt_schm: { is_support_https: true } }, { scheme: 'camera-secure', kind: 'camera', httpPort: 443 }],
      ['H100 hub (HTTP) is a SMART device', { device_type: 'SMART.TAPOHUB', mgt_encrypt_schm: { encrypt_type: 'AES', http_port: 80, is_support_https: false } }, { scheme: 'passthrough', kind: 'plug' }],
      ['TPAP camera port from the tpap object', { device_type: 'SMART.IPCAMERA', encrypt_type: ['4'], tpap: { port: 8443, tls: 1 } }, { scheme: 'tpap', httpPort: 8443 }],
      ['robot vacuum (TLS JSON) is out of scope', { device_type: 'SMART.TAPOROBOVAC', mgt_encrypt_schm: { encrypt_type: 'AES', http_port: 4433, is_support_https: true } }, { scheme: undefined, httpPort: 4433 }],
      ['AES over HTTPS is not supported', { device_type: 'SMART.TAPOPLUG', mgt_encrypt_schm: { encrypt_type: 'AES', is_support_https: true } }, { scheme: undefined }],
      ['unknown SMART encrypt_type ⇒ probe', { device_type: 'SMART.TAPOPLUG', mgt_encrypt_schm: { encrypt_type: 'XYZ' } }, { scheme: undefined, encryptType: 'XYZ' }],
      ['Kasa IOT device ⇒ no scheme', { device_type: 'IOT.SMARTPLUGSWITCH', mgt_encrypt_schm: { encrypt_type: 'KLAP', http_port: 80 } }, { scheme: undefined }],
      ['empty result', {}, { scheme: undefined, kind: 'plug', httpPort: 80 }],
    ];
    for (const [title, result, expected] of synthetic) {
      it(title, () => {
        const info = schemeFromDiscovery(result);
        for (const [key, value] of Object.entries(expected)) assert.deepEqual(info[key as keyof typeof info], value, `${title}: ${key}`);
      });
    }

    it('the camera port comes from the decrypted encrypt_info, else decrypted_data, else 443', () => {
      const result = fixtureResult('C210(EU)_2.0_1.4.3');
      assert.equal(schemeFromDiscovery(result, { http_port: 10443 }).httpPort, 10443);
      assert.equal(schemeFromDiscovery({ ...result, decrypted_data: { http_port: 9443 } }).httpPort, 9443);
      const { decrypted_data: _dropped, ...bare } = result;
      assert.equal(schemeFromDiscovery(bare).httpPort, 443);
    });
  });

  describe('discover() against a loopback responder', function () {
    this.timeout(20_000);

    /** How the responder answers one probe. */
    type Mode = 'plug' | 'camera' | 'silent' | 'error' | 'garbage-first' | 'wrong-address-first';

    interface Responder {
      port: number;
      probes: Buffer[];
      mode: Mode;
      /** Whether 127.0.0.2 could be bound for replies from another address. */
      hasOtherAddress: boolean;
      /** Replies sent from 127.0.0.2. */
      impostorSent: number;
      close(): Promise<void>;
    }

    const PLUG_RESULT = fixtureResult('P110(UK)_1.0_1.3.0');
    const { decrypted_data: CAMERA_DECRYPTED, ...CAMERA_RESULT } = fixtureResult('C210(EU)_2.0_1.4.3');

    function reply(body: unknown): Buffer {
      const json = Buffer.from(JSON.stringify(body), 'utf8');
      const header = Buffer.alloc(16);
      header.writeUInt8(2, 0);
      header.writeUInt16BE(1, 2);
      header.writeUInt16BE(json.length, 4);
      return Buffer.concat([header, json]);
    }

    /** The camera's answer: encrypt_info built like discovery.md §5 under the probe's key. */
    function cameraReply(probe: Buffer): Buffer {
      const payload = JSON.parse(probe.subarray(16).toString('utf8')) as { params: { rsa_key: string } };
      const key = randomBytes(16);
      const iv = randomBytes(16);
      const cipher = createCipheriv('aes-128-cbc', key, iv);
      const decrypted = { ...(CAMERA_DECRYPTED as JsonObject), http_port: 10443 };
      const data = Buffer.concat([cipher.update(JSON.stringify(decrypted), 'utf8'), cipher.final()]);
      const wrapped = publicEncrypt(
        { key: payload.params.rsa_key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        Buffer.concat([key, iv]),
      );
      return reply({
        error_code: 0,
        result: { ...CAMERA_RESULT, encrypt_info: { sym_schm: 'AES', key: wrapped.toString('base64'), data: data.toString('base64') } },
      });
    }

    function bind(socket: dgram.Socket, address: string): Promise<void> {
      return new Promise((res, rej) => {
        socket.once('error', rej);
        socket.bind(0, address, () => {
          socket.off('error', rej);
          res();
        });
      });
    }

    function closeSocket(socket: dgram.Socket): Promise<void> {
      return new Promise((res) => socket.close(() => res()));
    }

    async function startResponder(mode: Mode): Promise<Responder> {
      const socket = dgram.createSocket('udp4');
      await bind(socket, '127.0.0.1');
      // A second loopback address for "a reply from another host" (Linux routes all of 127/8 to lo).
      let other: dgram.Socket | undefined = dgram.createSocket('udp4');
      try {
        await bind(other, '127.0.0.2');
      } catch {
        other.close();
        other = undefined;
      }
      let closed = false;
      const pending: NodeJS.Timeout[] = [];
      const later = (fn: () => void, ms: number): void => {
        pending.push(setTimeout(fn, ms));
      };
      const responder: Responder = {
        port: socket.address().port,
        hasOtherAddress: other !== undefined,
        impostorSent: 0,
        probes: [],
        mode,
        close: async () => {
          closed = true;
          for (const t of pending) clearTimeout(t);
          await closeSocket(socket);
          if (other) await closeSocket(other);
        },
      };
      socket.on('message', (msg, rinfo) => {
        if (rinfo.address !== '127.0.0.1') return; // loopback only
        responder.probes.push(msg);
        const answer = (packet: Buffer): void => {
          if (!closed) socket.send(packet, rinfo.port, rinfo.address);
        };
        switch (responder.mode) {
          case 'silent':
            return;
          case 'plug':
            answer(reply({ error_code: 0, result: PLUG_RESULT }));
            return;
          case 'camera':
            answer(cameraReply(msg));
            return;
          case 'error':
            answer(reply({ error_code: -1 }));
            return;
          case 'garbage-first':
            answer(Buffer.from('short'));
            answer(Buffer.concat([Buffer.alloc(16), Buffer.from('not json')]));
            later(() => answer(reply({ error_code: 0, result: PLUG_RESULT })), 30);
            return;
          case 'wrong-address-first':
            other?.send(reply({ error_code: 0, result: { ...PLUG_RESULT, device_model: 'IMPOSTOR' } }), rinfo.port, rinfo.address, (err) => {
              if (!err) responder.impostorSent++;
            });
            later(() => answer(reply({ error_code: 0, result: PLUG_RESULT })), 100);
            return;
        }
      });
      return responder;
    }

    function count(type: string): number {
      return process.getActiveResourcesInfo().filter((t) => t.toLowerCase() === type.toLowerCase()).length;
    }

    /**
     * Runs `fn` and checks that it left no UDP socket or timer behind. libuv finishes closing a
     * handle in the close phase of the loop after `close()`, so give it one turn of the loop.
     */
    async function leavesNothing<T>(fn: () => Promise<T>): Promise<T> {
      await new Promise((r) => setTimeout(r, 5)); // let sockets closed before the call finish closing
      const udp = count('UDPWrap');
      const timers = count('Timeout');
      let value: T;
      try {
        value = await fn();
      } finally {
        await new Promise((r) => setTimeout(r, 5));
        assert.equal(count('UDPWrap'), udp, 'discover() closed its socket');
        assert.equal(count('Timeout'), timers, 'discover() cleared its timers');
      }
      return value;
    }

    let responder: Responder | undefined;
    afterEach(async () => {
      await responder?.close();
      responder = undefined;
    });

    it('resolves with a plug answer and sends a valid probe carrying an RSA key', async () => {
      responder = await startResponder('plug');
      const port = responder.port;
      const found = await leavesNothing(() => discover('127.0.0.1', { port, rsaKeyBits: 1024 }));
      assert.equal(found.scheme, 'klap');
      assert.equal(found.kind, 'plug');
      assert.equal(found.httpPort, 80);
      assert.equal(found.model, 'P110(UK)');
      assert.equal(found.mac, '48-22-54-00-00-00');
      assert.equal(found.address, '127.0.0.1');
      assert.equal(found.discoveryPort, port);
      assert.deepEqual(found.result, PLUG_RESULT);
      assert.equal(found.decrypted, undefined);

      const probe = responder.probes[0];
      assert.ok(probe);
      assert.ok(hasValidDiscoveryCrc(probe));
      assert.equal(probe.subarray(0, 4).toString('hex'), '02000001');
      assert.equal(probe[6], 0x11);
      assert.equal(probe.readUInt16BE(4), probe.length - 16);
      const payload = JSON.parse(probe.subarray(16).toString('utf8')) as { params: { rsa_key: string } };
      assert.match(payload.params.rsa_key, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    });

    it('decrypts a camera answer with a fresh 2048-bit key per call', async () => {
      responder = await startResponder('camera');
      const port = responder.port;
      const first = await leavesNothing(() => discover('127.0.0.1', { port }));
      assert.equal(first.scheme, 'camera-secure');
      assert.equal(first.kind, 'camera');
      assert.equal(first.https, true);
      assert.equal(first.model, 'C210');
      assert.equal(first.firmware, '1.4.3 Build 241010 Rel.33858n');
      assert.equal(first.httpPort, 10443, 'the port comes from the decrypted encrypt_info');
      assert.deepEqual(first.decrypted, { ...(CAMERA_DECRYPTED as JsonObject), http_port: 10443 });
      assert.equal(first.decryptError, undefined);
      const second = await discover('127.0.0.1', { port, rsaKeyBits: 1024 });
      assert.deepEqual(second.decrypted, first.decrypted);
      const keys = responder.probes.map((p) => (JSON.parse(p.subarray(16).toString('utf8')) as { params: { rsa_key: string } }).params.rsa_key);
      assert.equal(keys.length, 2);
      assert.notEqual(keys[0], keys[1], 'a fresh key per call');
      assert.ok((keys[0] ?? '').length > (keys[1] ?? '').length, '2048-bit default, 1024 on request');
    });

    it('times out when nothing answers, after sending the probe a few times', async () => {
      responder = await startResponder('silent');
      const port = responder.port;
      const started = Date.now();
      const err = await leavesNothing(() => rejection(discover('127.0.0.1', { port, timeoutMs: 600, rsaKeyBits: 1024 })));
      const elapsed = Date.now() - started;
      assert.equal(err.kind, 'Timeout');
      assert.match(err.message, /no discovery answer from 127\.0\.0\.1:\d+ within 600 ms/);
      assert.ok(elapsed >= 550 && elapsed < 2000, `took ${elapsed} ms`);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(responder.probes.length, 3, 'three probes spread over the timeout');
      assert.ok(responder.probes.every((p) => p.equals(responder?.probes[0] ?? Buffer.alloc(0))), 'the same probe each time');
    });

    it('ignores replies from another address', async function () {
      responder = await startResponder('wrong-address-first');
      if (!responder.hasOtherAddress) this.skip(); // 127.0.0.2 is not configured (e.g. macOS)
      const port = responder.port;
      const found = await discover('127.0.0.1', { port, rsaKeyBits: 1024 });
      assert.ok(responder.impostorSent >= 1, 'a reply came from 127.0.0.2 first');
      assert.equal(found.model, 'P110(UK)');
      assert.equal(found.address, '127.0.0.1');
    });

    it('ignores packets that are not discovery answers', async () => {
      responder = await startResponder('garbage-first');
      const found = await leavesNothing(() => discover('127.0.0.1', { port: responder?.port ?? 0, rsaKeyBits: 1024 }));
      assert.equal(found.scheme, 'klap');
    });

    it('rejects with the device error when the answer has a non-zero error_code', async () => {
      responder = await startResponder('error');
      const err = await leavesNothing(() => rejection(discover('127.0.0.1', { port: responder?.port ?? 0, rsaKeyBits: 1024 })));
      assert.equal(err.kind, 'Device');
      assert.equal(err.code, -1);
    });

    it('rejects with Transport when the port is closed (ECONNREFUSED)', async () => {
      const probe = dgram.createSocket('udp4');
      await bind(probe, '127.0.0.1');
      const port = probe.address().port;
      await closeSocket(probe);
      const started = Date.now();
      const err = await leavesNothing(() => rejection(discover('127.0.0.1', { port, timeoutMs: 1500, rsaKeyBits: 1024 })));
      assert.equal(err.kind, 'Transport');
      assert.match(err.message, /ECONNREFUSED/);
      assert.ok(Date.now() - started < 1400, 'before the timeout');
    });

    it('cancels with the signal, before and during the wait', async () => {
      responder = await startResponder('silent');
      const port = responder.port;
      const early = await leavesNothing(() => rejection(discover('127.0.0.1', { port, signal: AbortSignal.abort() })));
      assert.equal(early.kind, 'Transport');
      assert.match(early.message, /cancelled/);
      const controller = new AbortController();
      const late = await leavesNothing(() => {
        setTimeout(() => controller.abort(), 100);
        return rejection(discover('127.0.0.1', { port, timeoutMs: 5000, rsaKeyBits: 1024, signal: controller.signal }));
      });
      assert.equal(late.kind, 'Transport');
      assert.match(late.message, /cancelled/);
    });

    it('refuses bad options and broadcast targets without sending', async () => {
      for (const options of [{ port: 0 }, { port: 70000 }, { timeoutMs: 0 }, { rsaKeyBits: 512 }, { attempts: 0 }]) {
        const err = await rejection(discover('127.0.0.1', options));
        assert.equal(err.kind, 'Input', JSON.stringify(options));
      }
      assert.equal((await rejection(discover(''))).kind, 'Input');
      // The loopback interface's broadcast address (127.0.0.0/8).
      const err = await leavesNothing(() => rejection(discover('127.255.255.255', { rsaKeyBits: 1024 })));
      assert.equal(err.kind, 'Input');
      assert.match(err.message, /broadcast/);
    });
  });

  describe('tapo discover', function () {
    this.timeout(20_000);
    let socket: dgram.Socket;
    let port: number;
    let answering = true;

    before(async () => {
      socket = dgram.createSocket('udp4');
      await new Promise<void>((res) => socket.bind(0, '127.0.0.1', () => res()));
      port = socket.address().port;
      const result = fixtureResult('P115(US)_1.0_1.1.3');
      socket.on('message', (_msg, rinfo) => {
        if (!answering || rinfo.address !== '127.0.0.1') return;
        const json = Buffer.from(JSON.stringify({ error_code: 0, result }));
        const header = Buffer.alloc(16);
        header.writeUInt8(2, 0);
        header.writeUInt16BE(1, 2);
        header.writeUInt16BE(json.length, 4);
        socket.send(Buffer.concat([header, json]), rinfo.port, rinfo.address);
      });
    });
    after(() => new Promise<void>((res) => socket.close(() => res())));

    async function tapo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      let stdout = '';
      let stderr = '';
      const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} };
      const code = await main(args, io);
      return { code, stdout, stderr };
    }

    it('prints the mapped fields and the raw result without credentials', async () => {
      answering = true;
      const run = await tapo(['--host', '127.0.0.1:80', 'discover', '--discovery-port', String(port)]);
      assert.equal(run.stderr, '');
      assert.equal(run.code, 0);
      const out = JSON.parse(run.stdout) as DiscoveryResult;
      assert.equal(out.scheme, 'klap');
      assert.equal(out.kind, 'plug');
      assert.equal(out.model, 'P115(US)');
      assert.equal(out.httpPort, 80);
      assert.equal(out.host, '127.0.0.1');
      assert.equal(out.discoveryPort, port);
      assert.deepEqual(out.result, fixtureResult('P115(US)_1.0_1.1.3'));
      assert.deepEqual(Object.keys(out).slice(0, 1), ['scheme']);
      assert.equal(Object.keys(out).pop(), 'result');
    });

    it('exits with the Timeout code when nothing answers', async () => {
      answering = false;
      try {
        // --timeout is in seconds for discover too.
        const run = await tapo(['--host', '127.0.0.1', '--timeout', '1', '--discovery-port', String(port), 'discover']);
        assert.equal(run.code, EXIT_CODES.Timeout);
        assert.match(run.stderr, /^tapo: no discovery answer from 127\.0\.0\.1:\d+ within 1000 ms\. /);
        assert.equal(run.stdout, '');
      } finally {
        answering = true;
      }
    });

    it('usage errors exit 2', async () => {
      assert.equal((await tapo(['--host', '127.0.0.1', '--discovery-port', 'x', 'discover'])).code, EXIT_USAGE);
      assert.equal((await tapo(['--host', '127.0.0.1', 'discover', 'extra'])).code, EXIT_USAGE);
      const wrongCommand = await tapo(['--host', '127.0.0.1', '--discovery-port', '20002', '--password', 'p', '--username', 'u', 'info']);
      assert.equal(wrongCommand.code, EXIT_USAGE);
      assert.match(wrongCommand.stderr, /--discovery-port only applies to discover/);
      assert.match((await tapo(['--help'])).stdout, /discover .*no credentials/);
    });
  });
});
