/**
 * A moved device seen from a flow: the plug leaves the configured address for another loopback
 * address; the next message still works (the config node's owner found the MAC with its default
 * search of the /24, UDP 20002, loopback only), every user shows "moved to <address>", the
 * config node warns once, and the configured host is left as the user wrote it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fillIn } from '../../src/protocol/reasons';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { PASSWORD, PLUG_USER, creds, root, deviceNode, flow, helper, next, nodeModules, statuses, statusWhere } from './harness';

const FROM = '127.0.0.42';
const TO = '127.0.0.43';

describe('nodes: a device that moved to another address', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice | undefined;

  afterEach(async () => {
    await helper.unload();
    await sim?.stop();
    sim = undefined;
  });

  it('the next message reaches it at its new address; the status says "moved to" it; the configured host is unchanged', async () => {
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', scheme: 'klap', host: FROM, port: 0, discoveryPort: 20002 });
    const host = `${FROM}:${sim.port}`;
    await helper.load(nodeModules, flow(deviceNode(host, 'plug'), { type: 'tapo-plug-control', action: 'on' }), creds(PLUG_USER, PASSWORD));
    const act = helper.getNode('act');
    const dev = helper.getNode('dev') as ReturnType<typeof helper.getNode> & { host: string };
    const seen = statuses(act);
    const warnings: string[] = [];
    dev.on('call:warn', (call: { args: unknown[] }) => warnings.push(String(call.args[0])));

    let answer = next(helper.getNode('out'));
    act.receive({ payload: true });
    await answer;
    await sim.moveTo(TO);
    (sim.logic as PlugLogic).state.on = false;

    answer = next(helper.getNode('out'));
    act.receive({ payload: true });
    await answer;
    assert.equal((sim.logic as PlugLogic).state.on, true, 'switched on at the new address');
    const moved = await statusWhere(act, seen, (s) => typeof s.text === 'string' && s.text.startsWith('tapo-device.status.moved'));
    assert.equal(moved.fill, 'yellow');
    // The helper's RED._ gives keys; the en-US catalog makes the text the user reads.
    const catalog = JSON.parse(readFileSync(path.join(root, 'nodes/locales/en-US/tapo-device.json'), 'utf8')) as { 'tapo-device': { status: Record<string, string> } };
    assert.equal(fillIn(catalog['tapo-device'].status.moved ?? '', { host: TO }), `moved to ${TO}`);
    assert.equal(warnings.length, 1, 'logged once');
    assert.match(warnings[0] ?? '', /tapo-device\.log\.moved/);
    assert.equal(dev.host, host, 'the configured host is not rewritten');
  });
});
