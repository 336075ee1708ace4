/**
 * Round trips per message: how many request envelopes the simulated device's logic handled
 * (`requestCount`; a `multipleRequest` is one) and how many logins it accepted, for the FIRST
 * message after a deploy and for the messages after it, per verb and per wire scheme. The real
 * nodes run in node-red-node-test-helper flows (loaded from nodes/*.js ⇒ dist/: build first).
 *
 * Every count is exact, so a change that adds a round trip fails here. Where the count comes from
 * (DESIGN.md rule 5; src/devices/smart.ts, plug.ts, camera.ts):
 * - the first message to a plug learns the device: `component_nego` + `get_device_info` in one
 *   batch, whose device info a status uses as its answer (so a first status costs 1, not 2);
 * - a switch (on, off, a countdown) is one batch with its read-back; a toggle is a read plus that
 *   batch; the LED is a read of the LED object (the device wants it sent back whole) plus one batch;
 * - energy: the summary is one read; history reads the device clock, then the window it gives;
 * - a camera read or change (with its read-back) is one `multipleRequest`; a preset chosen by id
 *   or name is looked up first (one read), then moved to;
 * - a strip is never sent a second batch: a socket switch is a set and a read, each wrapped in
 *   `control_child`; the first one also lists the sockets;
 * - a plug that refuses batches (-1003, some P100s) costs one refused batch once, then one
 *   request per method.
 * Logins are not envelopes the logic sees (each scheme's server handles its handshake), so they
 * are counted apart: one for the first message, none after.
 */
import assert from 'node:assert/strict';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice, StartDeviceOptions } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import type { SimJsonObject, SimScheme } from '../../src/simulator/types';
import { PASSWORD, PLUG_USER, creds, deviceNode, flow, helper, next, nodeModules } from './harness';
import type { CaughtError } from './harness';

/** Fixed device clock: energy counters and session lifetimes stand still during a test. */
const clock = { now: (): number => Date.UTC(2024, 5, 15, 12, 0, 0) };

/** What one message cost the device. */
interface Cost {
  /** Envelopes the device logic handled (a `multipleRequest` counts once). */
  requests: number;
  /** Logins the device accepted. */
  logins: number;
  /** HTTP requests the device answered (handshakes included). */
  http: number;
  /** The methods that reached the logic, batches in brackets (for failure messages). */
  methods: string[];
}

/** The methods of one envelope, as the failure messages show them. */
function describeEnvelope(request: SimJsonObject): string {
  const params = request.params as { requests?: { method?: unknown }[]; requestData?: { method?: unknown } } | undefined;
  if (request.method === 'multipleRequest' && Array.isArray(params?.requests)) {
    return `[${params.requests.map((r) => String(r.method)).join(',')}]`;
  }
  if (request.method === 'control_child') return `child:${String(params?.requestData?.method)}`;
  return String(request.method);
}

describe('nodes: device round trips per message', function () {
  this.timeout(30_000);
  let sim: SimulatedDevice | undefined;
  /** The envelopes that reached the device logic itself (a batch the batchBug fault refuses does not). */
  let reached: string[] = [];

  afterEach(async () => {
    await helper.unload();
    if (sim) await sim.stop();
    sim = undefined;
  });

  /** Starts a simulated device and records the envelopes that reach its logic. */
  async function start(options: StartDeviceOptions): Promise<SimulatedDevice> {
    const device = await startDevice(options);
    sim = device;
    reached = [];
    const logic = device.logic as { handle(request: SimJsonObject): SimJsonObject };
    const handle = logic.handle.bind(logic);
    logic.handle = (request) => {
      reached.push(describeEnvelope(request));
      return handle(request);
    };
    return device;
  }

  /** Deploys the config node and `action`, then sends `payloads` one at a time; resolves with each one's cost. */
  async function costs(device: SimulatedDevice, kind: 'plug' | 'camera', action: Record<string, unknown>, payloads: unknown[]): Promise<Cost[]> {
    await helper.load(
      nodeModules,
      flow(deviceNode(`127.0.0.1:${device.port}`, kind), action),
      creds(kind === 'plug' ? PLUG_USER : 'admin', PASSWORD),
    );
    const act = helper.getNode('act');
    const out = helper.getNode('out');
    const caught = helper.getNode('caught');
    const result: Cost[] = [];
    for (const payload of payloads) {
      const requests = device.requestCount;
      const logins = device.server.loginCount;
      const http = device.httpRequestCount;
      const seen = reached.length;
      const answered = next(out);
      const failed = next(caught);
      act.receive({ payload });
      const msg = await Promise.race([answered, failed]);
      if (msg.error !== undefined) assert.fail(`${JSON.stringify(payload)} failed: ${(msg.error as CaughtError).message}`);
      result.push({
        requests: device.requestCount - requests,
        logins: device.server.loginCount - logins,
        http: device.httpRequestCount - http,
        methods: reached.slice(seen),
      });
    }
    return result;
  }

  /**
   * Asserts the requests of each message, one login for the first message only, and that on the
   * live session of the later messages nothing else travels (one HTTP request per envelope).
   */
  function expectCosts(got: Cost[], requests: number[]): void {
    const detail = got.map((c) => c.methods.join(' ')).join(' | ');
    assert.deepEqual(got.map((c) => c.requests), requests, `requests per message: ${detail}`);
    assert.deepEqual(got.map((c) => c.logins), got.map((_, i) => (i === 0 ? 1 : 0)), 'logins per message');
    assert.deepEqual(got.slice(1).map((c) => c.http), requests.slice(1), 'HTTP requests per later message');
  }

  const PLUG_SCHEMES: { scheme: SimScheme; fixture: string }[] = [
    { scheme: 'klap', fixture: 'P110(UK)_1.0_1.3.0' },
    { scheme: 'klap-v1', fixture: 'P110(UK)_1.0_1.3.0' },
    { scheme: 'passthrough', fixture: 'P110(EU)_1.0_1.2.3' },
    { scheme: 'tpap', fixture: 'P110(UK)_1.0_1.3.0' },
  ];

  /** Plug verbs: payload, then [first message, later messages]. */
  const PLUG_CONTROL: { label: string; payload: unknown; first: number; later: number }[] = [
    // The learning batch's device info is the answer.
    { label: 'status', payload: 'status', first: 1, later: 1 },
    // Learning batch, then [set_device_info, get_device_info].
    { label: 'on', payload: 'on', first: 2, later: 1 },
    { label: 'off', payload: 'off', first: 2, later: 1 },
    // First: the learning batch is the read. Later: get_device_info, then the set-and-read batch.
    { label: 'toggle', payload: 'toggle', first: 2, later: 2 },
    // [remove_countdown_rules, add_countdown_rule, get_device_info].
    { label: '{on: true, delay: 60}', payload: { on: true, delay: 60 }, first: 2, later: 1 },
    // get_led_info, then [set_led_info, get_device_info].
    { label: '{led: false}', payload: { led: false }, first: 3, later: 2 },
  ];

  for (const { scheme, fixture } of PLUG_SCHEMES) {
    describe(`plug on ${scheme} (${fixture})`, () => {
      const plug = (): Promise<SimulatedDevice> => start({ fixture, scheme, clock, loadWatts: 100 });

      for (const verb of PLUG_CONTROL) {
        it(`tapo-plug-control ${verb.label}: ${verb.first} request(s) first, ${verb.later} later`, async () => {
          const device = await plug();
          assert.equal(device.scheme, scheme);
          const got = await costs(device, 'plug', { type: 'tapo-plug-control', action: 'payload' }, [verb.payload, verb.payload, verb.payload]);
          expectCosts(got, [verb.first, verb.later, verb.later]);
        });
      }

      it('tapo-plug-energy summary: 2 requests first (learning batch + get_energy_usage), 1 later', async () => {
        const got = await costs(await plug(), 'plug', { type: 'tapo-plug-energy', mode: 'summary', poll: 0 }, ['', '', '']);
        expectCosts(got, [2, 1, 1]);
        assert.deepEqual(got[1]?.methods, ['get_energy_usage']);
      });

      it('tapo-plug-energy daily history: 3 requests first, 2 later (device clock, then its window)', async () => {
        const got = await costs(await plug(), 'plug', { type: 'tapo-plug-energy', mode: 'daily', poll: 0 }, ['', '', '']);
        expectCosts(got, [3, 2, 2]);
        assert.deepEqual(got[1]?.methods, ['get_device_time', 'get_energy_data']);
      });
    });
  }

  const CAMERA_SCHEMES: { scheme: SimScheme; fixture: string; panTilt: boolean }[] = [
    { scheme: 'camera-secure', fixture: 'C210(EU)_2.0_1.4.3', panTilt: true },
    { scheme: 'camera-legacy', fixture: 'C210(EU)_2.0_1.4.3', panTilt: true },
    // C101: no motor, so no moves and no presets.
    { scheme: 'tpap', fixture: 'C101(US)_5.0_1.4.3', panTilt: false },
  ];

  for (const { scheme, fixture, panTilt } of CAMERA_SCHEMES) {
    describe(`camera on ${scheme} (${fixture})`, () => {
      const camera = async (): Promise<SimulatedDevice> => {
        const device = await start({ fixture, scheme, clock });
        assert.equal(device.scheme, scheme);
        return device;
      };

      it('tapo-camera-get one setting: 1 request, first and later', async () => {
        const got = await costs(await camera(), 'camera', { type: 'tapo-camera-get', names: [] }, ['privacyMode', 'privacyMode', 'privacyMode']);
        expectCosts(got, [1, 1, 1]);
      });

      it('tapo-camera-get two settings: 1 request, first and later', async () => {
        const both = ['privacyMode', 'led'];
        const got = await costs(await camera(), 'camera', { type: 'tapo-camera-get', names: [] }, [both, both, both]);
        expectCosts(got, [1, 1, 1]);
        assert.deepEqual(got[1]?.methods, ['[getLensMaskConfig,getLedStatus]']);
      });

      it('tapo-camera-do one change (privacyMode): 1 request with its read-back, first and later', async () => {
        const device = await camera();
        const got = await costs(device, 'camera', { type: 'tapo-camera-do', actions: '' }, [{ privacyMode: true }, { privacyMode: false }, { privacyMode: true }]);
        expectCosts(got, [1, 1, 1]);
        assert.deepEqual(got[1]?.methods, ['[setLensMaskConfig,getLensMaskConfig]']);
        assert.equal((device.logic as CameraLogic).state.privacyMode, true);
      });

      it('tapo-camera-do two changes (privacyMode + led): 1 request with both read-backs, first and later', async () => {
        const device = await camera();
        const got = await costs(device, 'camera', { type: 'tapo-camera-do', actions: '' }, [
          { privacyMode: true, led: false },
          { privacyMode: false, led: true },
          { privacyMode: true, led: false },
        ]);
        expectCosts(got, [1, 1, 1]);
        const state = (device.logic as CameraLogic).state;
        assert.equal(state.privacyMode, true);
      });

      if (panTilt) {
        it('tapo-camera-do move: 1 request, first and later', async () => {
          const device = await camera();
          // Privacy mode refuses the motor (-64324); switched off on the device itself, uncounted.
          (device.logic as CameraLogic).handle({ method: 'multipleRequest', params: { requests: [{ method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: 'off' } } } }] } });
          const start = (device.logic as CameraLogic).state.pan;
          const got = await costs(device, 'camera', { type: 'tapo-camera-do', actions: '' }, [{ move: { x: 10, y: 0 } }, { move: { x: 10, y: 0 } }, { move: { x: 10, y: 0 } }]);
          expectCosts(got, [1, 1, 1]);
          assert.equal((device.logic as CameraLogic).state.pan, start + 30);
        });

        it('tapo-camera-do go to a preset by id: 2 requests (the preset list, then the move), first and later', async () => {
          const device = await camera();
          const logic = device.logic as CameraLogic;
          logic.handle({ method: 'multipleRequest', params: { requests: [{ method: 'setLensMaskConfig', params: { lens_mask: { lens_mask_info: { enabled: 'off' } } } }] } });
          logic.handle({ method: 'multipleRequest', params: { requests: [{ method: 'addMotorPostion', params: { preset: { set_preset: { name: 'door', save_ptz: '1' } } } }] } });
          const preset = logic.state.presets.find((p) => p.name === 'door');
          assert.ok(preset, 'the preset was saved');
          const got = await costs(device, 'camera', { type: 'tapo-camera-do', actions: '' }, [{ preset: preset.id }, { preset: preset.id }, { preset: preset.id }]);
          expectCosts(got, [2, 2, 2]);
          assert.deepEqual(got[1]?.methods, ['[getPresetConfig]', '[motorMoveToPreset]']);
        });
      }
    });
  }

  it('strip socket on (P300): 4 requests first (learning batch, socket list, set, read), 2 later; never a second batch', async () => {
    const device = await start({ fixture: 'P300(EU)_1.0_1.0.15', clock });
    const got = await costs(device, 'plug', { type: 'tapo-plug-control', action: 'payload', socket: '2' }, ['on', 'off', 'on']);
    expectCosts(got, [4, 2, 2]);
    assert.deepEqual(got[0]?.methods, ['[component_nego,get_device_info]', 'get_child_device_list', 'child:set_device_info', 'child:get_device_info']);
    assert.deepEqual(got[1]?.methods, ['child:set_device_info', 'child:get_device_info']);
    const socket = (device.logic as PlugLogic).state.children?.find((c) => c.position === 2);
    assert.equal(socket?.on, true);
  });

  it('a P100 that refuses batches (-1003): one refused batch once, then one request per method', async () => {
    const device = await start({ fixture: 'P100(US)_1.0.0_1.1.3', clock });
    device.faults.batchBug = true;
    const got = await costs(device, 'plug', { type: 'tapo-plug-control', action: 'payload' }, ['on', 'off', 'status', 'toggle', 'on']);
    // on: the refused batch, component_nego, get_device_info, set_device_info, get_device_info.
    // Later: set + read (2), a status (1), a toggle: read, set, read (3).
    expectCosts(got, [5, 2, 1, 3, 2]);
    assert.deepEqual(got[0]?.methods, ['component_nego', 'get_device_info', 'set_device_info', 'get_device_info']);
    // Exactly one envelope never reached the logic: the one refused batch.
    assert.equal(device.requestCount - reached.length, 1);
    assert.ok(!reached.some((m) => m.startsWith('[')), 'no batch reached the logic');
  });
});
