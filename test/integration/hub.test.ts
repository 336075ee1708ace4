/**
 * Hubs against the simulator on 127.0.0.1 (family.md §6, §7; events.md §5): an H100 (SMART
 * protocol) with the six child fixtures and an H200 (camera protocol) with its fixture's children.
 * Children listed in one read and addressed by position, id or name; an unknown child refused
 * after the one list read; low batteries flagged; trigger-log events after a baseline, in order.
 * Assertions are on what the simulated hub holds and received.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { TapoDevice } from '../../src/connection/device';
import { TapoError } from '../../src/protocol/errors';
import { HubEvents } from '../../src/connection/hub-watch';
import type { DeviceEvent } from '../../src/connection/watch';
import type { HubChild } from '../../src/devices/hub';
import { isTapoError } from '../../src/protocol/errors';
import type { JsonObject } from '../../src/protocol/types';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import { ManualClock } from '../../src/simulator/logic';

const PASSWORD = 'tapo-sim';

describe('integration: hubs', function () {
  this.timeout(20_000);
  let sim: SimulatedDevice | undefined;
  let owner: TapoDevice | undefined;

  afterEach(async () => {
    await owner?.end();
    await sim?.stop();
    owner = undefined;
    sim = undefined;
  });

  async function start(fixture: string, clock = new ManualClock(Date.UTC(2024, 5, 15, 12))): Promise<[SimulatedDevice, TapoDevice]> {
    sim = await startDevice({ fixture, clock, password: PASSWORD });
    const camera = sim.family === 'camera';
    owner = new TapoDevice({ host: `127.0.0.1:${sim.port}`, kind: camera ? 'camera' : 'plug', credentials: { username: camera ? 'admin' : 'user@example.com', password: PASSWORD }, timeoutMs: 5000 }, undefined, { locate: false });
    return [sim, owner];
  }

  /** The hub methods reaching the simulated hub, `control_child` unwrapped to `child:<method>`. */
  function record(device: SimulatedDevice): { methods: string[]; restore: () => void } {
    const spy = sinon.spy(device.logic, 'handle');
    const name = (req: JsonObject): string[] => {
      const params = (req.params ?? {}) as JsonObject;
      if (req.method === 'multipleRequest') return ((params.requests ?? []) as JsonObject[]).flatMap(name);
      if (req.method === 'control_child') return [`child:${String((params.requestData as JsonObject).method)}`];
      if (req.method === 'controlChild') return [`child:${String(((params.childControl as JsonObject).request_data as JsonObject).method)}`];
      return [String(req.method)];
    };
    return {
      get methods(): string[] {
        return spy.getCalls().flatMap((c) => name(c.args[0] as JsonObject));
      },
      restore: () => spy.restore(),
    };
  }

  const children = (o: TapoDevice): Promise<HubChild[]> => o.run(async (v) => (await v.requireHub()).children());

  describe('H100 (SMART protocol)', () => {
    it('lists every child once with its readings typed per model', async () => {
      const [device, o] = await start('H100(EU)_1.0_1.5.5');
      const list = await children(o);
      const held = device.hubChildren!.state;
      assert.deepEqual(list.map((c) => [c.position, c.model, c.type, c.deviceId, c.nickname]), held.map((c) => [c.position, c.model, ['motion', 'contact', 'water', 'temperature', 'temperature', 'button'][c.position - 1], c.deviceId, c.nickname]));
      const by = (m: string): HubChild => list.find((c) => c.model === m)!;
      assert.equal(by('T100').motion, false);
      assert.equal(by('T110').open, false);
      assert.equal(by('T300').water, false);
      assert.deepEqual(by('T300').battery, { low: false, percent: 100 });
      assert.deepEqual([by('T310').temperature, by('T310').humidity, by('T310').temperatureUnit], [21, 61, 'celsius']);
      assert.deepEqual([by('T315').temperature, by('T315').humidity], [21.4, 61]);
      assert.equal(by('S200B').motion, undefined);
      assert.ok(list.every((c) => c.lowBattery === false && c.online));
    });

    it('addresses a child by position, device id or name; an unknown one is refused after the one list read', async () => {
      const [device, o] = await start('H100(AU)_1.0_1.5.23');
      const held = device.hubChildren!.state;
      const door = held.find((c) => c.model === 'T110')!;
      for (const key of [door.position, String(door.position), door.deviceId, door.nickname]) {
        const c = await o.run(async (v) => (await v.requireHub()).child(key));
        assert.equal(c.deviceId, door.deviceId, String(key));
      }
      const rec = record(device);
      await assert.rejects(
        o.run(async (v) => (await v.requireHub()).child('Garage door')),
        (e: unknown) => isTapoError(e) && e.kind === 'Input' && e.reason === 'noSuchChild' && /Front door/.test(e.message) && /1, 2, 3, 4, 5, 6/.test(e.message),
      );
      assert.deepEqual(rec.methods, ['get_child_device_list']);
      rec.restore();
    });

    it('a plug node on a hub is refused clearly (a hub switches and meters nothing), and nothing is switched', async () => {
      const [, o] = await start('H100(EU)_1.0_1.5.5');
      for (let i = 0; i < 2; i++) {
        await assert.rejects(
          o.run(async (v) => v.smart()),
          (e: unknown) => e instanceof TapoError && e.kind === 'Input' && e.reason === 'hubNotPlug' && e.hintKey === 'hubUseSensorNode',
        );
      }
    });

    it('flags a low battery', async () => {
      const [device, o] = await start('H100(EU)_1.0_1.5.5');
      device.hubChildren!.set('Under sink', { battery: 5 });
      const leak = (await children(o)).find((c) => c.model === 'T300')!;
      assert.deepEqual([leak.lowBattery, leak.battery], [true, { low: true, percent: 5 }]);
    });

    it('a plug is not a hub: refused with notHub', async () => {
      sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', password: PASSWORD });
      owner = new TapoDevice({ host: `127.0.0.1:${sim.port}`, kind: 'plug', credentials: { username: 'user@example.com', password: PASSWORD }, timeoutMs: 5000 }, undefined, { locate: false });
      await assert.rejects(children(owner), (e: unknown) => isTapoError(e) && e.reason === 'notHub');
    });

    it('trigger-log events: a baseline first (nothing replayed), then every event in order, one lowBattery', async () => {
      const [device, o] = await start('H100(EU)_1.0_1.5.5');
      const events = new HubEvents();
      const run = o.run.bind(o) as Parameters<HubEvents['poll']>[0];
      const base = await events.poll(run);
      assert.ok(base);
      assert.deepEqual(base.changes, []);
      assert.ok(base.report.some((e) => e.topic === 'temperature' && e.payload === 21));
      const hub = device.hubChildren!;
      hub.trigger('Front door', 'open');
      hub.trigger('Hall motion', 'motion');
      hub.trigger('Desk button', 'click');
      hub.trigger('Desk button', 'double-click');
      hub.trigger('Desk button', 'rotate-right');
      hub.trigger('Desk button', 'rotate-left');
      hub.trigger('Under sink', 'water');
      hub.trigger('Front door', 'close');
      hub.trigger('Under sink', 'dry');
      hub.set('Desk button', { low: true });
      const rec = record(device);
      const poll = await events.poll(run);
      const topics = (poll?.changes ?? []).map((e: DeviceEvent) => [e.topic, e.payload, e.child?.model]);
      assert.deepEqual(topics, [
        ['open', true, 'T110'],
        ['motion', true, 'T100'],
        ['click', true, 'S200B'],
        ['doubleClick', true, 'S200B'],
        ['rotate', 15, 'S200B'],
        ['rotate', -15, 'S200B'],
        ['water', true, 'T300'],
        ['close', false, 'T110'],
        ['dry', false, 'T300'],
        ['lowBattery', true, 'S200B'],
      ]);
      // The list and six logs in batches (five entries each); the button had a whole page of new
      // entries (six), so its log is read again and one page further.
      assert.deepEqual(rec.methods, ['get_child_device_list', ...Array.from({ length: 8 }, () => 'child:get_trigger_logs')]);
      rec.restore();
      const again = await events.poll(run);
      assert.deepEqual(again?.changes, []);
    });

    it('more new entries than one log page: all of them, in order', async () => {
      const [device, o] = await start('H100(EU)_1.0_1.5.5');
      const events = new HubEvents();
      const run = o.run.bind(o) as Parameters<HubEvents['poll']>[0];
      await events.poll(run);
      for (let i = 0; i < 12; i++) device.hubChildren!.trigger('Desk button', 'click');
      const poll = await events.poll(run);
      assert.equal(poll?.changes.filter((e) => e.topic === 'click').length, 12);
    });
  });

  describe('H200 (camera protocol)', () => {
    it('lists the children through getChildDeviceList and reads them', async () => {
      const [device, o] = await start('H200(US)_1.0_1.3.6');
      const list = await children(o);
      assert.deepEqual(list.map((c) => c.model), ['T310', 'T315', 'T110', 'S200B', 'S200B']);
      assert.deepEqual(list.map((c) => c.deviceId), device.hubChildren!.state.map((c) => c.deviceId));
      assert.equal(list[0]?.temperature, 21.7);
      const c = await o.run(async (v) => (await v.requireHub()).child('Desk button 2'));
      assert.equal(c.position, 5);
      await assert.rejects(o.run(async (v) => (await v.requireHub()).child(9)), (e: unknown) => isTapoError(e) && e.reason === 'noSuchChild');
    });

    it('events from the listed state (its trigger logs are empty): open and close of the T110', async () => {
      const [device, o] = await start('H200(US)_1.0_1.3.6');
      const events = new HubEvents();
      const run = o.run.bind(o) as Parameters<HubEvents['poll']>[0];
      assert.deepEqual((await events.poll(run))?.changes, []);
      device.hubChildren!.trigger('Front door', 'open');
      assert.deepEqual((await events.poll(run))?.changes.map((e) => [e.topic, e.child?.position]), [['open', 3]]);
      device.hubChildren!.trigger('Front door', 'close');
      assert.deepEqual((await events.poll(run))?.changes.map((e) => e.topic), ['close']);
    });
  });
});
