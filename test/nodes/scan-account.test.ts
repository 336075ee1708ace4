/**
 * The tapo-device admin endpoints of the network scan (`POST tapo-device/scan`, `GET
 * tapo-device/networks`) and a config node that uses another node's account, in
 * node-red-node-test-helper flows against simulators. The scan sweeps a random 127.x.y.0/29 on
 * the real discovery ports, so every datagram stays on loopback. Loads dist/: run
 * `npx tsc -p tsconfig.json` first.
 */
import assert from 'node:assert/strict';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { PASSWORD, PLUG_USER, flow, helper, next, nodeModules, statusWhere, statuses } from './harness';
import type { CaughtError, FlowNode, HttpReply } from './harness';

/** A loopback /29 of its own (127.A.B.0), so parallel runs on this host do not meet on port 20002. */
function loopbackNet(): string {
  const a = 16 + Math.floor(Math.random() * 200);
  const b = 1 + Math.floor(Math.random() * 250);
  return `127.${a}.${b}`;
}

function get(url: string): Promise<HttpReply> {
  return (helper.request() as unknown as { get(u: string): Promise<HttpReply> }).get(url);
}

describe('nodes: network scan endpoints and shared accounts', function () {
  this.timeout(20_000);
  const sims: SimulatedDevice[] = [];

  afterEach(async () => {
    await helper.unload();
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });

  it('POST tapo-device/scan sweeps a range on 20002/20004 and lists the devices; no secret in the reply', async () => {
    const net = loopbackNet();
    sims.push(await startDevice({ host: `${net}.2`, fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', discoveryPort: 20002, password: PASSWORD }));
    sims.push(await startDevice({ host: `${net}.3`, fixture: 'C210(EU)_2.0_1.4.3', scheme: 'camera-secure', discoveryPort: 20002, password: PASSWORD }));
    sims.push(await startDevice({ host: `${net}.4`, fixture: 'P115(EU)_1.0_1.2.3', scheme: 'tpap', discoveryPort: 20002, password: PASSWORD }));
    await helper.load(nodeModules, flow({ id: 'dev', type: 'tapo-device', host: `${net}.2`, kind: 'plug', scheme: 'auto' }, { type: 'tapo-plug-control', action: 'status' }), {
      dev: { username: PLUG_USER, password: PASSWORD },
    });

    const r = await helper.request().post('/tapo-device/scan').send({ targets: [`${net}.2-${net}.6`], timeout: 1 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ok, true, JSON.stringify(r.body));
    const devices = r.body.devices as { ip: string; kind: string; scheme?: string; mac?: string; firmware?: string; warning?: string }[];
    const byIp = new Map(devices.map((d) => [d.ip, d]));
    assert.deepEqual([...byIp.keys()].sort(), [`${net}.2`, `${net}.3`, `${net}.4`]);
    assert.equal(byIp.get(`${net}.3`)?.kind, 'camera');
    assert.equal(byIp.get(`${net}.3`)?.scheme, 'camera-secure');
    assert.ok(byIp.get(`${net}.3`)?.firmware);
    assert.equal(byIp.get(`${net}.2`)?.warning, undefined);
    assert.match(String(byIp.get(`${net}.4`)?.warning), /scanThirdPartyOff/);
    for (const sim of sims) assert.ok(sim.discoveryProbesAnswered >= 1, sim.host);
    assert.ok(!JSON.stringify(r.body).includes(PASSWORD));
  });

  it('POST tapo-device/scan refuses a bad or too large range and no target with 400 and the reason', async () => {
    await helper.load(nodeModules, flow({ id: 'dev', type: 'tapo-device', host: '127.0.0.1', kind: 'plug' }, { type: 'tapo-plug-control', action: 'status' }));
    for (const [body, reason] of [
      [{ targets: ['192.168.1.40-20'] }, 'scanBadRange'],
      [{ targets: ['10.0.0.0/16'] }, 'scanRangeTooLarge'],
      [{ targets: [] }, 'scanNoTargets'],
      [{}, 'scanNoTargets'],
      [{ targets: ['127.0.0.2'], timeout: 99 }, 'badTimeout'],
    ] as const) {
      const r = await helper.request().post('/tapo-device/scan').send(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.kind, 'Input');
      assert.match(String(r.body.message), new RegExp(reason), JSON.stringify(r.body));
    }
  });

  it('GET tapo-device/networks lists the host networks to broadcast to', async () => {
    await helper.load(nodeModules, flow({ id: 'dev', type: 'tapo-device', host: '127.0.0.1', kind: 'plug' }, { type: 'tapo-plug-control', action: 'status' }));
    const r = await get('/tapo-device/networks');
    assert.equal(r.status, 200);
    assert.ok(Array.isArray(r.body.networks));
    for (const n of r.body.networks as Record<string, unknown>[]) {
      assert.deepEqual(Object.keys(n).sort(), ['address', 'broadcast', 'cidr', 'interface']);
    }
  });

  describe('a device using another device\'s account', () => {
    function accountFlow(account: string, accountNode: FlowNode | undefined, host: string): FlowNode[] {
      const nodes = flow({ id: 'dev', type: 'tapo-device', host, kind: 'plug', scheme: 'auto', timeout: 5, account }, { type: 'tapo-plug-control', action: 'on' });
      return accountNode ? [...nodes, accountNode] : nodes;
    }

    it('logs in with the e-mail and password of the referenced node and switches the plug', async () => {
      const sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', password: PASSWORD });
      sims.push(sim);
      const plug = sim.logic as PlugLogic;
      plug.handle({ method: 'set_device_info', params: { device_on: false } });
      const other: FlowNode = { id: 'acc', type: 'tapo-device', host: '127.0.0.1:1', kind: 'plug', scheme: 'auto' };
      // Only `acc` has credentials; `dev` has none of its own.
      await helper.load(nodeModules, accountFlow('acc', other, `127.0.0.1:${sim.port}`), { acc: { username: PLUG_USER, password: PASSWORD } });
      const out = next(helper.getNode('out'));
      helper.getNode('act').receive({ payload: 'x' });
      await out;
      assert.equal(plug.state.on, true);
    });

    for (const c of [
      { name: 'missing', reason: 'accountMissing', other: undefined },
      { name: 'of the other kind', reason: 'accountWrongKind', other: { id: 'acc', type: 'tapo-device', host: '127.0.0.1:1', kind: 'camera' } },
    ]) {
      it(`an account node ${c.name} is an Input error and a red status, sending nothing; no secret shown`, async () => {
        const sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', password: PASSWORD });
        sims.push(sim);
        const plug = sim.logic as PlugLogic;
        plug.handle({ method: 'set_device_info', params: { device_on: false } });
        await helper.load(nodeModules, accountFlow('acc', c.other, `127.0.0.1:${sim.port}`), {
          acc: { username: PLUG_USER, password: PASSWORD },
          dev: { username: PLUG_USER, password: PASSWORD },
        });
        const act = helper.getNode('act');
        const seen = statuses(act);
        const caught = next(helper.getNode('caught'));
        act.receive({ payload: 'x' });
        const msg = await caught;
        const err = msg.error as CaughtError & { cause?: { reason?: string } };
        assert.equal(err.cause?.kind, 'Input');
        assert.equal(err.cause?.reason, c.reason);
        const status = await statusWhere(act, seen, (s) => s.fill === 'red');
        assert.match(String(status.text), new RegExp(c.reason));
        assert.equal(plug.state.on, false, 'nothing was switched');
        const shown = JSON.stringify({ msg, seen, log: helper.log().args });
        assert.ok(!shown.includes(PASSWORD), 'password leaked');
      });
    }
  });
});
