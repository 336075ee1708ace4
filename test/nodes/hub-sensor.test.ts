/**
 * The `tapo-sensor` node and the `tapo-event` node on hubs, against simulated hubs on 127.0.0.1:
 * every child or one (setting or msg.child), an unknown child refused with Input (nothing more sent),
 * a low battery shown in yellow; sensor events and button clicks and turns through the event node,
 * after a baseline. Each test waits for the messages it expects, never for a time.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import sinon from 'sinon';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import { PASSWORD, PLUG_USER, collect, creds, deviceNode, helper, next, nodeModules, root, statusWhere, statuses } from './harness';
import type { CaughtError, FlowNode, Msg } from './harness';
import type { ChimeLogic } from '../../src/simulator/logic/chime';

const clock = { now: (): number => Date.UTC(2024, 5, 15, 12, 0, 0) };
const sensorModule = require(path.join(root, 'nodes', 'tapo-sensor.js')) as unknown;
const eventModule = require(path.join(root, 'nodes', 'tapo-event.js')) as unknown;
const modules = [...nodeModules, sensorModule, eventModule];

function sensorFlow(device: FlowNode, child = ''): FlowNode[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    device,
    { id: 'sensor', z: 'tab', type: 'tapo-sensor', name: '', device: 'dev', child, wires: [['out']] },
    { id: 'out', z: 'tab', type: 'helper' },
    { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'tab', type: 'helper' },
  ];
}

describe('nodes: hubs (tapo-sensor, tapo-event)', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice | undefined;

  afterEach(async () => {
    await helper.unload();
    await sim?.stop();
    sim = undefined;
  });

  async function h100(flow: (dev: FlowNode) => FlowNode[]): Promise<SimulatedDevice> {
    sim = await startDevice({ fixture: 'H100(EU)_1.0_1.5.5', clock, password: PASSWORD });
    await helper.load(modules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug')), creds(PLUG_USER, PASSWORD));
    return sim;
  }

  it('reads every child, then the one msg.child names (position, id, name)', async () => {
    const device = await h100((dev) => sensorFlow(dev));
    const out = helper.getNode('out');
    let got = next(out);
    helper.getNode('sensor').receive({ payload: 1 });
    const all = (await got).payload as { model: string; temperature?: number }[];
    assert.deepEqual(all.map((c) => c.model), ['T100', 'T110', 'T300', 'T310', 'T315', 'S200B']);
    const door = device.hubChildren!.state.find((c) => c.model === 'T110')!;
    for (const child of [door.position, door.deviceId, 'Front door']) {
      got = next(out);
      device.hubChildren!.trigger('Front door', door.open === true ? 'close' : 'open');
      door.open = !door.open;
      helper.getNode('sensor').receive({ child });
      const msg = await got;
      assert.deepEqual([(msg.payload as { deviceId: string }).deviceId, (msg.payload as { open: boolean }).open], [door.deviceId, door.open]);
    }
  });

  it('a child the hub does not have: Input error listing the children, nothing more sent', async () => {
    const device = await h100((dev) => sensorFlow(dev, 'Garage'));
    const caught = next(helper.getNode('caught'));
    const spy = sinon.spy(device.logic, 'handle');
    helper.getNode('sensor').receive({});
    const error = (await caught).error as CaughtError;
    assert.equal(error.cause?.kind, 'Input');
    // The English text (with the list of children) is asserted in test/integration/hub.test.ts;
    // here the catalog is not loaded, so the message is its keys.
    assert.match(error.message, /noSuchChild/);
    // What tells a hub apart and the one list read; no request to any child.
    const methods = spy.getCalls().map((c) => JSON.stringify(c.args[0]));
    spy.restore();
    assert.equal(methods.filter((m) => m.includes('get_child_device_list')).length, 1);
    assert.ok(!methods.some((m) => m.includes('control_child')), methods.join('\n'));
  });

  it('a sensor with a low battery: flagged in the payload, yellow status', async () => {
    const device = await h100((dev) => sensorFlow(dev, 'Under sink'));
    device.hubChildren!.set('Under sink', { battery: 4 });
    const node = helper.getNode('sensor');
    const seen = statuses(node);
    const got = next(helper.getNode('out'));
    node.receive({});
    const msg = await got;
    assert.deepEqual([(msg.payload as { lowBattery: boolean }).lowBattery, (msg.payload as { battery: unknown }).battery], [true, { low: true, percent: 4 }]);
    const status = await statusWhere(node, seen, (s) => s.fill === 'yellow' && String(s.text).includes('lowBattery'));
    assert.equal(status.text, 'tapo-sensor.status.lowBattery');
  });

  it('a plug is not a hub: Input error', async () => {
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', clock, password: PASSWORD });
    await helper.load(modules, sensorFlow(deviceNode(`127.0.0.1:${sim.port}`, 'plug')), creds(PLUG_USER, PASSWORD));
    const caught = next(helper.getNode('caught'));
    helper.getNode('sensor').receive({});
    assert.equal(((await caught).error as CaughtError).cause?.kind, 'Input');
  });

  it('tapo-event on an H100: nothing replayed at deploy, then contact, button click and rotation, in order, with the child', async () => {
    const device = await h100((dev) => [
      { id: 'tab', type: 'tab', label: 'test' },
      dev,
      { id: 'ev', z: 'tab', type: 'tapo-event', name: '', device: 'dev', poll: 1, wires: [['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
    ]);
    const ev = helper.getNode('ev');
    const seen = statuses(ev);
    await statusWhere(ev, seen, (s) => s.text === 'tapo-event.status.watching');
    const got = collect(helper.getNode('out'), 4);
    device.hubChildren!.trigger('Front door', 'open');
    device.hubChildren!.trigger('Desk button', 'click');
    device.hubChildren!.trigger('Desk button', 'rotate-left');
    device.hubChildren!.set('Under sink', { low: true });
    const msgs: Msg[] = await got;
    assert.deepEqual(
      msgs.map((m) => [m.topic, m.payload, (m.event as { child: { name: string } }).child.name]),
      [
        ['open', true, 'Front door'],
        ['click', true, 'Desk button'],
        ['rotate', -15, 'Desk button'],
        ['lowBattery', true, 'Under sink'],
      ],
    );
    assert.equal((msgs[2]?.event as { degrees: number }).degrees, -15);
    assert.equal((msgs[0]?.device as { model: string }).model, 'H100');
  });

  it('tapo-event on an H100 with events ["click"]: only clicks', async () => {
    const device = await h100((dev) => [
      { id: 'tab', type: 'tab', label: 'test' },
      dev,
      { id: 'ev', z: 'tab', type: 'tapo-event', name: '', device: 'dev', poll: 1, events: ['click'], wires: [['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
    ]);
    const ev = helper.getNode('ev');
    const seen = statuses(ev);
    await statusWhere(ev, seen, (s) => s.text === 'tapo-event.status.watching');
    const got = next(helper.getNode('out'));
    device.hubChildren!.trigger('Front door', 'open');
    device.hubChildren!.trigger('Desk button', 'click');
    assert.equal((await got).topic, 'click');
  });

  describe('D100C chime through tapo-plug-control', () => {
    function controlFlow(dev: FlowNode): FlowNode[] {
      return [
        { id: 'tab', type: 'tab', label: 'test' },
        dev,
        { id: 'ctl', z: 'tab', type: 'tapo-plug-control', name: '', device: 'dev', action: 'payload', socket: '', wires: [['out']] },
        { id: 'out', z: 'tab', type: 'helper' },
        { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'tab', type: 'helper' },
      ];
    }

    it('{chime: "ring"} rings it; {chime: {ring, sound, volume, duration}} with those', async () => {
      sim = await startDevice({ fixture: 'D100C(US)_1.0_1.1.3', clock, password: PASSWORD });
      await helper.load(modules, controlFlow(deviceNode(`127.0.0.1:${sim.port}`, 'plug')), creds(PLUG_USER, PASSWORD));
      const logic = sim.logic as ChimeLogic;
      let got = next(helper.getNode('out'));
      helper.getNode('ctl').receive({ payload: { chime: 'ring' } });
      assert.deepEqual((await got).payload, { rang: true, model: 'D100C' });
      assert.equal(logic.state.rings.length, 1);
      got = next(helper.getNode('out'));
      helper.getNode('ctl').receive({ payload: { chime: { ring: true, sound: 'Phone Ring', volume: 7, duration: 10 } } });
      await got;
      assert.deepEqual(logic.state.rings.map((r) => [r.sound, r.volume, r.duration]), [[undefined, undefined, undefined], ['Phone Ring', '7', 10]]);
    });

    it('a volume out of range is refused before anything is sent; a plug is not a chime and is not rung', async () => {
      sim = await startDevice({ fixture: 'D100C(US)_1.0_1.1.3', clock, password: PASSWORD });
      await helper.load(modules, controlFlow(deviceNode(`127.0.0.1:${sim.port}`, 'plug')), creds(PLUG_USER, PASSWORD));
      let caught = next(helper.getNode('caught'));
      helper.getNode('ctl').receive({ payload: { chime: { ring: true, volume: 20 } } });
      assert.equal(((await caught).error as CaughtError).cause?.kind, 'Input');
      assert.equal(sim.httpRequestCount, 0);
      await helper.unload();
      await sim.stop();
      sim = await startDevice({ fixture: 'H100(EU)_1.0_1.5.5', clock, password: PASSWORD });
      await helper.load(modules, controlFlow(deviceNode(`127.0.0.1:${sim.port}`, 'plug')), creds(PLUG_USER, PASSWORD));
      const spy = sinon.spy(sim.logic, 'handle');
      caught = next(helper.getNode('caught'));
      helper.getNode('ctl').receive({ payload: { chime: 'ring' } });
      const error = (await caught).error as CaughtError;
      assert.match(error.message, /notChime/);
      assert.ok(!spy.getCalls().some((c) => JSON.stringify(c.args[0]).includes('play_alarm')), 'the hub siren was not set off');
      spy.restore();
    });
  });
});
