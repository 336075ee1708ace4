'use strict';
/**
 * Child process for independent-client.test.ts: drives tp-link-tapo-connect's passthrough
 * (securePassthrough) client, one command per IPC message. It runs with
 * --security-revert=CVE-2023-46809 because that library decrypts the handshake key with PKCS#1
 * v1.5 padding, which Node 20+ refuses otherwise. Messages: {id, op: 'login', email, password,
 * host} or {id, op: <TapoDevice method>, args}; answers {id, ok, result} or {id, ok: false, error}.
 */
const { loginDeviceByIp } = require('tp-link-tapo-connect/dist/secure-passthrough-transport');

let device;
process.on('message', (m) => {
  const run = async () => {
    if (m.op === 'login') {
      device = await loginDeviceByIp(m.email, m.password, m.host);
      return null;
    }
    if (!device || typeof device[m.op] !== 'function') throw new Error(`no such command: ${m.op}`);
    const result = await device[m.op](...(m.args || []));
    return result === undefined ? null : result;
  };
  run().then(
    (result) => process.send({ id: m.id, ok: true, result }),
    (e) => process.send({ id: m.id, ok: false, error: e && e.message ? e.message : String(e) }),
  );
});
process.send({ ready: true });
