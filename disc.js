const dgram = require('dgram');
const crypto = require('crypto');
const lines = require('fs').readFileSync('d.txt','utf8').trim().split('\n').map(JSON.parse);
(async () => {
for (const l of lines) {
  for (const withKey of [false, true]) {
  await new Promise((res) => {
    const s = dgram.createSocket('udp4');
    let pkt = Buffer.from('020000010000000000000000463cb5d3', 'hex');
    let priv;
    if (withKey) {
      const kp = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }); priv = kp.privateKey;
      const payload = Buffer.from(JSON.stringify({ params: { rsa_key: kp.publicKey.export({type:'spki',format:'pem'}) } }));
      const h = Buffer.alloc(16); h[0]=2; h.writeUInt16BE(1,2); h.writeUInt16BE(payload.length,4); h[6]=0x11; crypto.randomBytes(4).copy(h,8); h.writeUInt32BE(0x5a6b7c8d,12);
      pkt = Buffer.concat([h, payload]);
      const zlib = require('zlib'); h.writeUInt32BE(zlib.crc32 ? zlib.crc32(pkt) : 0, 12); pkt = Buffer.concat([h, payload]);
    }
    s.on('message', (m) => { const j = JSON.parse(m.subarray(16)); const r = j.result; console.log(l.model, withKey, r.device_type, JSON.stringify(r.mgt_encrypt_schm), JSON.stringify(r.encrypt_type), r.ip, 'encrypt_info' in r ? Object.keys(r.encrypt_info) : '-'); s.close(); res(); });
    setTimeout(() => { console.log(l.model, withKey, 'no reply'); s.close(); res(); }, 1500);
    s.send(pkt, l.discoveryPort, '127.0.0.1');
  });
  }
}
})();
