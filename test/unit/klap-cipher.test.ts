import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  deriveKlapSession,
  KLAP_FALLBACK_CREDENTIALS,
  klapAuthHash,
  klapClientHash,
  klapDecrypt,
  klapEncrypt,
  klapIv,
  klapServerHash,
  nextKlapSeq,
  sessionRefreshSeconds,
  type KlapVersion,
} from '../../src/protocol/klap-cipher';

interface KlapRequestVector {
  plaintext: string;
  seq: number;
  url_path: string;
  iv_hex: string;
  ciphertext_hex: string;
  signature_hex: string;
  http_body_hex: string;
}
interface KlapVector {
  inputs: { username: string; password: string; local_seed_hex: string; remote_seed_hex: string };
  auth_hash_hex: string;
  handshake1_request_body_hex: string;
  handshake1_server_hash_hex: string;
  handshake1_response_body_hex: string;
  handshake2_request_body_hex: string;
  key_hex: string;
  iv_prefix_12_hex: string;
  initial_seq_int32: number;
  sig_prefix_28_hex: string;
  requests: KlapRequestVector[];
  response_to_first_request: { plaintext: string; seq: number; http_body_hex: string };
}

const vectors = JSON.parse(
  readFileSync(resolve(__dirname, '../vectors/vectors.json'), 'utf8'),
) as {
  klap_v2: KlapVector;
  klap_v1: KlapVector;
  klap_fallback_auth_hashes: Record<string, string>;
  klap_seq_wrap_example: { previous_seq: number; next_seq: number; next_seq_bytes_hex: string };
};

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

function pinVersion(version: KlapVersion, v: KlapVector): void {
  describe(`KLAP v${version} vectors`, () => {
    const local = hex(v.inputs.local_seed_hex);
    const remote = hex(v.inputs.remote_seed_hex);
    const auth = klapAuthHash(version, v.inputs);
    const keys = deriveKlapSession(local, remote, auth);

    it('computes the auth hash', () => {
      assert.equal(auth.toString('hex'), v.auth_hash_hex);
    });
    it('computes the handshake 1 server hash and response layout', () => {
      assert.equal(v.handshake1_request_body_hex, local.toString('hex'));
      const server = klapServerHash(version, local, remote, auth);
      assert.equal(server.toString('hex'), v.handshake1_server_hash_hex);
      assert.equal(Buffer.concat([remote, server]).toString('hex'), v.handshake1_response_body_hex);
    });
    it('computes the handshake 2 body', () => {
      assert.equal(klapClientHash(version, local, remote, auth).toString('hex'), v.handshake2_request_body_hex);
    });
    it('derives key, IV prefix, initial seq and signature prefix', () => {
      assert.equal(keys.key.toString('hex'), v.key_hex);
      assert.equal(keys.ivPrefix.toString('hex'), v.iv_prefix_12_hex);
      assert.equal(keys.initialSeq, v.initial_seq_int32);
      assert.equal(keys.sigPrefix.toString('hex'), v.sig_prefix_28_hex);
    });
    it('encrypts and signs both requests with pre-incremented seq', () => {
      let seq = keys.initialSeq;
      for (const r of v.requests) {
        seq = nextKlapSeq(seq);
        assert.equal(seq, r.seq);
        assert.equal(`/app/request?seq=${seq}`, r.url_path);
        assert.equal(klapIv(keys, seq).toString('hex'), r.iv_hex);
        const enc = klapEncrypt(keys, seq, r.plaintext);
        assert.equal(enc.ciphertext.toString('hex'), r.ciphertext_hex);
        assert.equal(enc.signature.toString('hex'), r.signature_hex);
        assert.equal(enc.body.toString('hex'), r.http_body_hex);
      }
    });
    it('decrypts the device reply with the request IV', () => {
      const reply = v.response_to_first_request;
      assert.equal(klapDecrypt(keys, reply.seq, hex(reply.http_body_hex)), reply.plaintext);
    });
    it('garbles the first block under the wrong seq and rejects a truncated body', () => {
      const reply = v.response_to_first_request;
      assert.notEqual(klapDecrypt(keys, reply.seq + 1, hex(reply.http_body_hex)), reply.plaintext);
      assert.throws(() => klapDecrypt(keys, reply.seq, hex(reply.http_body_hex).subarray(0, 40)));
    });
  });
}

pinVersion(2, vectors.klap_v2);
pinVersion(1, vectors.klap_v1);

describe('KLAP fallback credentials', () => {
  const f = vectors.klap_fallback_auth_hashes;
  const hashOf = (version: KlapVersion, username: string, password: string): string =>
    klapAuthHash(version, { username, password }).toString('hex');

  it('pins blank, test@tp-link.net and kasa@tp-link.net hashes', () => {
    assert.equal(hashOf(2, '', ''), f.blank_v2);
    assert.equal(hashOf(1, '', ''), f.blank_v1);
    assert.equal(hashOf(2, 'test@tp-link.net', 'test'), f.tapo_default_test_at_tp_link_net_v2);
    assert.equal(hashOf(2, 'kasa@tp-link.net', 'kasaSetup'), f.kasa_setup_kasa_at_tp_link_net_v2);
    assert.equal(hashOf(1, 'kasa@tp-link.net', 'kasaSetup'), f.kasa_setup_kasa_at_tp_link_net_v1);
  });
  it('lists the defaults in python-kasa order and ends with blank', () => {
    const names = KLAP_FALLBACK_CREDENTIALS.map((c) => `${c.username}/${c.password}`);
    assert.equal(names[0], 'kasa@tp-link.net/kasaSetup');
    assert.ok(names.includes('test@tp-link.net/test'));
    assert.equal(names[names.length - 1], '/');
  });
});

describe('KLAP seq arithmetic and session lifetime', () => {
  it('wraps int32 and renders the seq as a signed decimal', () => {
    const w = vectors.klap_seq_wrap_example;
    const next = nextKlapSeq(w.previous_seq);
    assert.equal(next, w.next_seq);
    const b = Buffer.alloc(4);
    b.writeInt32BE(next, 0);
    assert.equal(b.toString('hex'), w.next_seq_bytes_hex);
    const keys = deriveKlapSession(Buffer.alloc(16), Buffer.alloc(16), Buffer.alloc(32));
    assert.equal(klapIv(keys, next).subarray(12).toString('hex'), w.next_seq_bytes_hex);
    assert.equal(`?seq=${next}`, '?seq=-2147483648');
  });
  it('refreshes at TIMEOUT - 1200 s, half for short lifetimes, 86400 when absent', () => {
    assert.equal(sessionRefreshSeconds(86_400), 85_200);
    assert.equal(sessionRefreshSeconds(undefined), 85_200);
    assert.equal(sessionRefreshSeconds(2400), 1200);
    assert.equal(sessionRefreshSeconds(60), 30);
    assert.equal(sessionRefreshSeconds(3600), 2400);
  });
});
