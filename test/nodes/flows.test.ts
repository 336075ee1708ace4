/**
 * Flow tests: the real nodes (loaded from nodes/*.js ⇒ dist/, so run `npx tsc -p tsconfig.json`
 * first) in node-red-node-test-helper flows against simulated devices on 127.0.0.1. Assertions
 * are on the SIMULATOR's state, not on what the nodes say they did.
 */
import assert from 'node:assert/strict';
import { startDevice } from '../../src/simulator';
import type { SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import type { CameraLogic } from '../../src/simulator/logic/camera';

import {
  PASSWORD,
  PLUG_USER,
  closedPort,
  collect,
  creds,
  deviceNode,
  flow,
  helper,
  next,
  nodeModules,
  statusWhere,
  statuses,
  useFakePollTimers,
  expectRefusedAsInput,
} from './harness';
import type { CaughtError } from './harness';

/** Fixed device clock: energy counters and session lifetimes stand still during a test. */
const clock = { now: (): number => Date.UTC(2024, 5, 15, 12, 0, 0) };

/** Active handles by type, minus the ones that were there before. */
function resources(): Record<string, number> {
  const count: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) count[r] = (count[r] ?? 0) + 1;
  return count;
}

/**
 * Polls until sockets and timers are back to `before` (or gives up after ~5 s and returns what is
 * left, for the assertion to report). undici's shared timer wheel stops by itself once idle.
 */
async function settledTo(before: Record<string, number>): Promise<Record<string, number>> {
  const keys = ['TCPSocketWrap', 'Timeout'];
  let now = resources();
  for (let i = 0; i < 100; i++) {
    now = resources();
    if (keys.every((k) => (now[k] ?? 0) <= (before[k] ?? 0))) return now;
    await new Promise((r) => setTimeout(r, 50));
  }
  return now;
}

describe('nodes: flows against the simulator', function () {
  let sim: SimulatedDevice | undefined;

  afterEach(async () => {
    await helper.unload();
    if (sim) await sim.stop();
    sim = undefined;
  });

  describe('plug', () => {
    let plug: PlugLogic;
    beforeEach(async () => {
      sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', clock, loadWatts: 100 });
      plug = sim.logic as PlugLogic;
    });

    it('switches, toggles and arms a countdown, answering the state read back', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-control', action: 'payload' }), creds(PLUG_USER, PASSWORD));
      const act = helper.getNode('act');
      const out = helper.getNode('out');

      let reply = next(out);
      act.receive({ payload: 'on' });
      let msg = await reply;
      assert.equal(plug.state.on, true);
      const payload = msg.payload as Record<string, unknown>;
      assert.deepEqual(Object.keys(payload).sort(), ['deviceId', 'model', 'nickname', 'on', 'onTime']);
      assert.equal(payload.on, true);
      assert.equal(payload.model, 'P110');
      assert.equal(payload.nickname, plug.state.nickname);

      reply = next(out);
      act.receive({ payload: 'toggle' });
      msg = await reply;
      assert.equal(plug.state.on, false);
      assert.equal((msg.payload as { on: boolean }).on, false);

      reply = next(out);
      act.receive({ payload: { on: true, delay: 90 } });
      msg = await reply;
      assert.equal(plug.state.on, false);
      assert.deepEqual(
        plug.state.countdown && { delay: plug.state.countdown.delaySeconds, on: plug.state.countdown.desiredOn },
        { delay: 90, on: true },
      );
      assert.deepEqual((msg.payload as { countdown: unknown }).countdown, { on: true, delaySeconds: 90 });
    });

    it('uses the configured action over msg.payload', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-control', action: 'off' }), creds(PLUG_USER, PASSWORD));
      const out = helper.getNode('out');
      const reply = next(out);
      helper.getNode('act').receive({ payload: 'on' });
      await reply;
      assert.equal(plug.state.on, false);
    });

    it('50 messages at once: one login, 50 outputs in order, every toggle applied once', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-control', action: 'toggle' }), creds(PLUG_USER, PASSWORD));
      const initial = plug.state.on;
      const out = helper.getNode('out');
      const act = helper.getNode('act');
      const all = collect(out, 50);
      for (let i = 0; i < 50; i++) act.receive({ seq: i });
      const msgs = await all;
      assert.deepEqual(msgs.map((m) => m.seq), [...Array(50).keys()]);
      msgs.forEach((m, i) => assert.equal((m.payload as { on: boolean }).on, i % 2 === 0 ? !initial : initial));
      assert.equal(plug.state.on, initial);
      assert.equal(sim!.server.loginCount, 1);
    });

    it('energy: the simulator counters in W, Wh and minutes; topic from the device name', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-energy', mode: 'summary', poll: 0 }), creds(PLUG_USER, PASSWORD));
      plug.handle({ method: 'set_device_info', params: { device_on: true } });
      const out = helper.getNode('out');
      const reply = next(out);
      helper.getNode('act').receive({ payload: Date.now() });
      const msg = await reply;
      const s = plug.state;
      assert.deepEqual(msg.payload, {
        currentPower: s.currentPowerW,
        todayEnergy: s.todayEnergyWh,
        monthEnergy: s.monthEnergyWh,
        todayRuntime: s.todayRuntimeMin,
        monthRuntime: s.monthRuntimeMin,
      });
      assert.equal(s.currentPowerW, 100);
      assert.equal(msg.topic, 'Desk');
    });

    it('energy: history mode answers buckets', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-energy', mode: 'daily', poll: 0 }), creds(PLUG_USER, PASSWORD));
      const reply = next(helper.getNode('out'));
      helper.getNode('act').receive({ payload: '' });
      const msg = await reply;
      const history = msg.payload as { interval: string; entries: unknown[] };
      assert.equal(history.interval, 'daily');
      assert.ok(Array.isArray(history.entries));
    });

    describe('energy polling (fake interval timer)', () => {
      const clockOf = useFakePollTimers();

      it('polls on its own without input', async () => {
        await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-energy', mode: 'summary', poll: 60 }), creds(PLUG_USER, PASSWORD));
        const reply = next(helper.getNode('out'));
        await clockOf().tickAsync(60_000);
        const msg = await reply;
        assert.equal((msg.payload as { currentPower: number }).currentPower, plug.state.currentPowerW);
        assert.equal(msg.topic, 'Desk');
      });

      it('pauses after a rejected password until a message arrives', async () => {
        await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-energy', mode: 'summary', poll: 10 }), creds(PLUG_USER, 'wrong-password-1'));
        const act = helper.getNode('act');
        const seen = statuses(act);
        let caught = next(helper.getNode('caught'));
        await clockOf().tickAsync(10_000);
        assert.equal(((await caught).error as CaughtError).cause?.kind, 'Authentication');
        await statusWhere(act, seen, (s) => s.text === 'tapo-plug-energy.status.pollPaused');
        // The device saw one rejected login attempt; KLAP counts only successful logins.
        const oneAttempt = sim!.httpRequestCount;
        assert.ok(oneAttempt >= 1);
        assert.equal(clockOf().countTimers(), 0, 'the poll timer is still armed');

        // A message inside the plug's 5 s login hold-off gets the same answer without a
        // login, and re-arms the poll.
        caught = next(helper.getNode('caught'));
        act.receive({});
        assert.equal(((await caught).error as CaughtError).cause?.kind, 'Authentication');
        assert.equal(sim!.httpRequestCount, oneAttempt, 'a login was attempted inside the hold-off');
        assert.equal(clockOf().countTimers(), 1);

        // The next poll falls after the hold-off: one more attempt, and the poll pauses again.
        caught = next(helper.getNode('caught'));
        await clockOf().tickAsync(10_000);
        assert.equal(((await caught).error as CaughtError).cause?.kind, 'Authentication');
        await statusWhere(act, seen, (s) => s.text === 'tapo-plug-energy.status.pollPaused');
        assert.equal(sim!.httpRequestCount, 2 * oneAttempt);
        assert.equal(clockOf().countTimers(), 0, 'the poll timer is still armed');

        // Paused: 100 s pass on the faked clocks and nothing is sent.
        await clockOf().tickAsync(100_000);
        assert.equal(sim!.httpRequestCount, 2 * oneAttempt);

        // A message after the (doubled, 10 s) hold-off reads once and re-arms the poll.
        caught = next(helper.getNode('caught'));
        act.receive({});
        assert.equal(((await caught).error as CaughtError).cause?.kind, 'Authentication');
        assert.equal(sim!.httpRequestCount, 3 * oneAttempt);
        assert.equal(clockOf().countTimers(), 1);
      });
    });

    it('a malformed payload reaches Catch as Input, sends nothing to the device, sets a red status', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-control', action: 'payload' }), creds(PLUG_USER, PASSWORD));
      const act = helper.getNode('act');
      const seen = statuses(act);
      let outputs = 0;
      helper.getNode('out').on('input', () => outputs++);
      const caught = next(helper.getNode('caught'));
      act.receive({ payload: { switch: 'sideways' } });
      const err = (await caught).error as CaughtError;
      assert.equal(err.cause?.kind, 'Input');
      const red = await statusWhere(act, seen, (s) => s.fill === 'red');
      assert.equal(red.text, 'tapo-device.errors.Input');
      assert.equal(sim!.requestCount, 0);
      assert.equal(sim!.server.loginCount, 0);
      assert.equal(outputs, 0);
    });

    it('a wrong password reaches Catch as Authentication; no secret in msg or status', async () => {
      const wrong = 'not-the-password-123';
      plug.handle({ method: 'set_device_info', params: { device_on: false } });
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-control', action: 'on' }), creds(PLUG_USER, wrong));
      const act = helper.getNode('act');
      const seen = statuses(act);
      const caught = next(helper.getNode('caught'));
      act.receive({ payload: 'x' });
      const msg = await caught;
      const err = msg.error as CaughtError;
      assert.equal(err.cause?.kind, 'Authentication');
      await statusWhere(act, seen, (s) => s.fill === 'red' && s.text === 'tapo-device.errors.Authentication');
      assert.equal(plug.state.on, false);
      const shown = JSON.stringify({ msg, seen });
      assert.ok(!shown.includes(wrong), 'password leaked');
      assert.ok(!shown.includes(PASSWORD), 'password leaked');
    });

    it('Third-Party Compatibility off (403 on the handshake): the status says to enable it, not to fix the password', async () => {
      sim!.faults.thirdPartyOff = true;
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-control', action: 'status' }), creds(PLUG_USER, PASSWORD));
      const act = helper.getNode('act');
      const seen = statuses(act);
      const caught = next(helper.getNode('caught'));
      act.receive({ payload: 'status' });
      const err = (await caught).error as CaughtError;
      assert.equal(err.cause?.kind, 'Authentication');
      assert.match(err.message, /tapo-device\.errors\.ThirdParty: /);
      // The hint is the catalog's Third-Party Compatibility sentence (this translator echoes keys).
      assert.match(err.message, /tapo-device\.hints\.thirdParty$/);
      await statusWhere(act, seen, (s) => s.fill === 'red' && s.text === 'tapo-device.errors.ThirdParty');
      assert.equal(sim!.server.loginCount, 0);
    });

    it('an uncaught wrong password is logged by Node-RED with its reason, without the password', async () => {
      const wrong = 'not-the-password-456';
      const nodes = flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-control', action: 'on' }).filter((n) => n.type !== 'catch');
      await helper.load(nodeModules, nodes, creds(PLUG_USER, wrong));
      const act = helper.getNode('act');
      const seen = statuses(act);
      act.receive({ payload: 'on' });
      await statusWhere(act, seen, (s) => s.fill === 'red');
      const errorLines = (): string[] =>
        helper.log().args.map((a) => a[0] as { level?: number; msg?: unknown }).filter((e) => e.level === 20).map((e) => String(e.msg));
      for (let i = 0; i < 50 && errorLines().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const lines = errorLines();
      assert.ok(lines.some((l) => /password|Authentication/i.test(l)), `no error line: ${JSON.stringify(lines)}`);
      const logged = JSON.stringify(helper.log().args);
      assert.ok(!logged.includes(wrong), 'password in the log');
      assert.ok(!logged.includes(PASSWORD), 'password in the log');
    });

    it('the Test connection endpoint answers scheme/model/firmware, an auth error, and uses stored credentials', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-control', action: 'status' }), creds(PLUG_USER, PASSWORD));
      const host = `127.0.0.1:${sim!.port}`;
      let r = await helper.request().post('/tapo-device/dev/test').send({ host, kind: 'plug', scheme: 'auto', username: PLUG_USER, password: PASSWORD });
      assert.equal(r.status, 200);
      assert.equal(r.body.ok, true);
      assert.equal(r.body.scheme, 'klap');
      assert.equal(r.body.model, 'P110');
      assert.match(String(r.body.firmware), /^1\.3\.0/);

      r = await helper.request().post('/tapo-device/dev/test').send({ host, kind: 'plug', username: PLUG_USER, password: 'wrong-one' });
      assert.equal(r.body.ok, false);
      assert.equal(r.body.kind, 'Authentication');
      assert.ok(!JSON.stringify(r.body).includes('wrong-one'));

      r = await helper.request().post('/tapo-device/dev/test').send({ host, kind: 'plug', username: PLUG_USER, password: '__PWRD__' });
      assert.equal(r.body.ok, true, JSON.stringify(r.body));

      r = await helper.request().post('/tapo-device/dev/test').send({ kind: 'plug' });
      assert.equal(r.status, 400);
    });

    it('Test connection with the deployed settings reuses the live session (no second login)', async () => {
      const host = `127.0.0.1:${sim!.port}`;
      await helper.load(nodeModules, flow(deviceNode(host, 'plug'), { type: 'tapo-plug-control', action: 'status' }), creds(PLUG_USER, PASSWORD));
      const reply = next(helper.getNode('out'));
      helper.getNode('act').receive({});
      await reply;
      assert.equal(sim!.server.loginCount, 1);
      const r = await helper.request().post('/tapo-device/dev/test').send({ host, kind: 'plug', scheme: 'auto', username: PLUG_USER, password: '__PWRD__' });
      assert.equal(r.body.ok, true, JSON.stringify(r.body));
      assert.equal(r.body.model, 'P110');
      assert.equal(sim!.server.loginCount, 1);
    });

    it('after unload no sockets or timers stay open', async () => {
      // Mocha arms this test's own timeout right after the test function returns its promise.
      await new Promise((r) => setImmediate(r));
      const before = resources();
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'plug'), { type: 'tapo-plug-energy', mode: 'summary', poll: 30 }), creds(PLUG_USER, PASSWORD));
      const reply = next(helper.getNode('out'));
      helper.getNode('act').receive({});
      await reply;
      assert.ok((resources().TCPSocketWrap ?? 0) > (before.TCPSocketWrap ?? 0), 'a connection was open');
      await helper.unload();
      const after = await settledTo(before);
      assert.ok((after.TCPSocketWrap ?? 0) <= (before.TCPSocketWrap ?? 0), JSON.stringify({ before, after }));
      assert.ok((after.Timeout ?? 0) <= (before.Timeout ?? 0), JSON.stringify({ before, after }));
    });
  });

  it('strip: msg.socket switches one socket only', async () => {
    sim = await startDevice({ fixture: 'P300(EU)_1.0_1.0.15', clock });
    const strip = sim.logic as PlugLogic;
    for (const child of strip.state.children ?? []) {
      strip.handle({ method: 'control_child', params: { device_id: child.deviceId, requestData: { method: 'set_device_info', params: { device_on: false } } } });
    }
    assert.deepEqual(strip.state.children?.map((c) => c.on), [false, false, false]);
    await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim.port}`, 'plug'), { type: 'tapo-plug-control', action: 'on', socket: '1' }), creds(PLUG_USER, PASSWORD));
    const reply = next(helper.getNode('out'));
    helper.getNode('act').receive({ socket: 2 });
    const msg = await reply;
    const second = strip.state.children![1]!;
    assert.deepEqual(strip.state.children?.map((c) => c.on), [false, true, false]);
    assert.equal((msg.payload as { deviceId: string }).deviceId, second.deviceId);
  });

  it('an unreachable host reaches Catch as Transport with a red status', async () => {
    const port = await closedPort();
    await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${port}`, 'plug', { scheme: 'klap' }), { type: 'tapo-plug-control', action: 'on' }), creds(PLUG_USER, PASSWORD));
    const act = helper.getNode('act');
    const seen = statuses(act);
    const caught = next(helper.getNode('caught'));
    act.receive({});
    const err = (await caught).error as CaughtError;
    assert.equal(err.cause?.kind, 'Transport');
    await statusWhere(act, seen, (s) => s.fill === 'red');
  });

  it('a node without a device refuses input with Input', async () => {
    await helper.load(nodeModules, [
      { id: 'tab', type: 'tab', label: 'test' },
      { id: 'act', z: 'tab', type: 'tapo-plug-control', device: '', action: 'on', wires: [['out']] },
      { id: 'out', z: 'tab', type: 'helper' },
      { id: 'catcher', z: 'tab', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'tab', type: 'helper' },
    ]);
    const caught = next(helper.getNode('caught'));
    helper.getNode('act').receive({});
    assert.equal(((await caught).error as CaughtError).cause?.kind, 'Input');
  });

  describe('camera', () => {
    let cam: CameraLogic;
    beforeEach(async () => {
      sim = await startDevice({ fixture: 'C210_2.0_1.3.11', clock });
      cam = sim.logic as CameraLogic;
    });

    it('camera do: privacy mode on and off, as the camera reports after', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'camera'), { type: 'tapo-camera-do', actions: '{"privacyMode": true}' }), creds('admin', PASSWORD));
      const act = helper.getNode('act');
      const out = helper.getNode('out');
      let reply = next(out);
      act.receive({ payload: 1 });
      let msg = await reply;
      assert.equal(cam.state.privacyMode, true);
      assert.equal((msg.payload as { privacyMode: boolean }).privacyMode, true);

      reply = next(out);
      act.receive({ payload: { privacyMode: false } });
      msg = await reply;
      assert.equal(cam.state.privacyMode, false);
      assert.equal((msg.payload as { privacyMode: boolean }).privacyMode, false);
    });

    it('camera do: a move behind privacy mode reaches Catch with the reason, the code once and a status that says what to do', async () => {
      // This capture was taken with the lens mask on.
      assert.equal(cam.state.privacyMode, true);
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'camera'), { type: 'tapo-camera-do', actions: '' }), creds('admin', PASSWORD));
      const seen = statuses(helper.getNode('act'));
      const caught = next(helper.getNode('caught'));
      helper.getNode('act').receive({ payload: { move: { x: 10, y: 0 } } });
      const err = (await caught).error as CaughtError & { cause?: { reason?: string } };
      assert.equal(err.cause?.kind, 'Device');
      assert.equal(err.cause?.reason, 'codePrivacyModeOn');
      assert.equal(err.code, -64324);
      assert.doesNotMatch(err.message, /^TapoError/);
      assert.equal(err.message.split('-64324').length - 1, 1, err.message);
      // The reason's own status (the catalog's "privacy mode is on: turn it off first"), not "device refused (-64324)".
      await statusWhere(helper.getNode('act'), seen, (st) => st.text === 'tapo-device.statuses.codePrivacyModeOn');
    });

    it('camera do: moves to a preset', async () => {
      const preset = cam.state.presets[0]!;
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'camera'), { type: 'tapo-camera-do', actions: '' }), creds('admin', PASSWORD));
      const act = helper.getNode('act');
      const out = helper.getNode('out');
      let reply = next(out);
      // The fixture's camera starts in privacy mode, which blocks the motor: lift it in the same message.
      act.receive({ payload: [{ privacyMode: false }, { move: { x: 10, y: 5 } }] });
      await reply;
      assert.notDeepEqual([cam.state.pan, cam.state.tilt], [preset.pan, preset.tilt]);
      reply = next(out);
      act.receive({ payload: { preset: preset.id } });
      await reply;
      assert.deepEqual([cam.state.pan, cam.state.tilt], [preset.pan, preset.tilt]);
    });

    it('camera get: configured names in one read, msg.payload names, and a raw request', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'camera'), { type: 'tapo-camera-get', names: ['privacyMode', 'led'] }), creds('admin', PASSWORD));
      const act = helper.getNode('act');
      const out = helper.getNode('out');
      let reply = next(out);
      act.receive({ payload: Date.now() });
      let msg = await reply;
      assert.deepEqual(msg.payload, { privacyMode: cam.state.privacyMode, led: cam.state.ledOn });

      reply = next(out);
      act.receive({ payload: ['presets'] });
      msg = await reply;
      const presets = (msg.payload as { presets: Array<{ id: string; name: string }> }).presets;
      assert.deepEqual(presets.map((p) => p.id), cam.state.presets.map((p) => p.id));

      reply = next(out);
      act.receive({ payload: { method: 'getLensMaskConfig', params: { lens_mask: { name: ['lens_mask_info'] } } } });
      msg = await reply;
      assert.ok(JSON.stringify(msg.payload).includes('lens_mask_info'), JSON.stringify(msg.payload));
    });

    it('camera get: a raw read JSON cannot carry (a BigInt, a circular object) is refused with Input, nothing sent', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'camera'), { type: 'tapo-camera-get', names: ['led'] }), creds('admin', PASSWORD));
      const circular: Record<string, unknown> = { method: 'getLedStatus', params: { led: { name: ['config'] } } };
      circular.self = circular;
      await expectRefusedAsInput([{ method: 'getLedStatus', params: { led: { name: ['config'] }, n: BigInt(1) } }, circular]);
      assert.equal(sim!.requestCount, 0);
    });

    it('camera get: raw requests that are not reads are refused with Input, nothing sent', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'camera'), { type: 'tapo-camera-get', names: ['led'] }), creds('admin', PASSWORD));
      const act = helper.getNode('act');
      const ledBefore = cam.state.ledOn;
      const refused = [
        { method: 'setLedStatus', params: { led: { config: { enabled: ledBefore ? 'off' : 'on' } } } },
        { method: 'set', led: { config: { enabled: ledBefore ? 'off' : 'on' } } },
        { method: 'do', system: { reboot: 'null' } },
        { method: 'multipleRequest', params: { requests: [{ method: 'getLedStatus', params: {} }, { method: 'setLedStatus', params: { led: { config: { enabled: 'off' } } } }] } },
        { method: 'multipleRequest', params: { requests: [] } },
        { params: {} },
      ];
      for (const payload of refused) {
        const caught = next(helper.getNode('caught'));
        act.receive({ payload });
        const err = (await caught).error as CaughtError;
        assert.equal(err.cause?.kind, 'Input', JSON.stringify(payload));
        assert.match(err.message, /tapo-camera-get\.errors\.notRead/);
      }
      assert.equal(sim!.requestCount, 0);
      assert.equal(cam.state.ledOn, ledBefore);

      const reply = next(helper.getNode('out'));
      act.receive({ payload: { method: 'multipleRequest', params: { requests: [{ method: 'getLedStatus', params: { led: { name: ['config'] } } }] } } });
      const msg = await reply;
      assert.ok(JSON.stringify(msg.payload).includes('getLedStatus'), JSON.stringify(msg.payload));
    });

    it('Test connection on a locked camera answers Locked from the live connection without contacting it', async () => {
      for (let i = 0; i < 5; i++) sim!.guard.recordFailure();
      const host = `127.0.0.1:${sim!.port}`;
      await helper.load(nodeModules, flow(deviceNode(host, 'camera'), { type: 'tapo-camera-get', names: ['privacyMode'] }), creds('admin', PASSWORD));
      const caught = next(helper.getNode('caught'));
      helper.getNode('act').receive({});
      assert.equal(((await caught).error as CaughtError).cause?.kind, 'Locked');
      const traffic = sim!.httpRequestCount;
      for (let click = 0; click < 3; click++) {
        const r = await helper.request().post('/tapo-device/dev/test').send({ host, kind: 'camera', scheme: 'auto', username: 'admin', password: '__PWRD__' });
        assert.equal(r.body.ok, false);
        assert.equal(r.body.kind, 'Locked');
        assert.ok(Number(r.body.secondsLeft) > 0, JSON.stringify(r.body));
      }
      assert.equal(sim!.httpRequestCount, traffic);

      // Other settings than the deployed ones: a separate probe, which does ask the camera.
      const r = await helper.request().post('/tapo-device/dev/test').send({ host, kind: 'camera', scheme: 'auto', username: 'admin', password: 'another-one' });
      assert.equal(r.body.kind, 'Locked');
      assert.ok(sim!.httpRequestCount > traffic);
    });

    it('Test connection after a rejected camera password is held off: no new login attempt', async () => {
      const host = `127.0.0.1:${sim!.port}`;
      await helper.load(nodeModules, flow(deviceNode(host, 'camera'), { type: 'tapo-camera-get', names: ['privacyMode'] }), creds('admin', 'wrong-password-2'));
      const caught = next(helper.getNode('caught'));
      helper.getNode('act').receive({});
      assert.equal(((await caught).error as CaughtError).cause?.kind, 'Authentication');
      const traffic = sim!.httpRequestCount;
      const r = await helper.request().post('/tapo-device/dev/test').send({ host, kind: 'camera', scheme: 'auto', username: 'admin', password: '__PWRD__' });
      assert.equal(r.body.ok, false);
      assert.equal(r.body.kind, 'Authentication');
      assert.ok(!JSON.stringify(r.body).includes('wrong-password-2'));
      assert.equal(sim!.httpRequestCount, traffic);
    });

    it('Test connection on a connected camera keeps its session (no second login)', async () => {
      const host = `127.0.0.1:${sim!.port}`;
      await helper.load(nodeModules, flow(deviceNode(host, 'camera'), { type: 'tapo-camera-get', names: ['privacyMode'] }), creds('admin', PASSWORD));
      let reply = next(helper.getNode('out'));
      helper.getNode('act').receive({});
      await reply;
      assert.equal(sim!.server.loginCount, 1);
      const r = await helper.request().post('/tapo-device/dev/test').send({ host, kind: 'camera', scheme: 'auto', username: 'admin', password: PASSWORD });
      assert.equal(r.body.ok, true, JSON.stringify(r.body));
      assert.equal(r.body.model, 'C210');
      reply = next(helper.getNode('out'));
      helper.getNode('act').receive({});
      await reply;
      assert.equal(sim!.server.loginCount, 1);
    });

    it('a locked camera reaches Catch as Locked with a red status', async () => {
      for (let i = 0; i < 5; i++) sim!.guard.recordFailure();
      assert.ok(sim!.guard.lockedSecondsLeft() > 0);
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'camera'), { type: 'tapo-camera-get', names: ['privacyMode'] }), creds('admin', PASSWORD));
      const act = helper.getNode('act');
      const seen = statuses(act);
      const caught = next(helper.getNode('caught'));
      act.receive({});
      const err = (await caught).error as CaughtError;
      assert.equal(err.cause?.kind, 'Locked');
      await statusWhere(act, seen, (s) => s.fill === 'red' && /Locked/.test(s.text ?? ''));
    });

    it('a plug node on a camera device is refused with Input before anything is sent', async () => {
      await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, 'camera'), { type: 'tapo-plug-control', action: 'on' }), creds('admin', PASSWORD));
      const caught = next(helper.getNode('caught'));
      helper.getNode('act').receive({});
      assert.equal(((await caught).error as CaughtError).cause?.kind, 'Input');
      assert.equal(sim!.requestCount, 0);
    });
  });

  describe('TPAP (2025/2026 firmware), scheme on auto', () => {
    const cases = [
      { kind: 'plug' as const, fixture: 'P110(UK)_1.0_1.3.0', model: 'P110', username: PLUG_USER },
      { kind: 'camera' as const, fixture: 'C101(US)_5.0_1.4.3', model: 'C101', username: 'admin' },
    ];
    for (const c of cases) {
      describe(`${c.model} ${c.kind}`, () => {
        beforeEach(async () => {
          sim = await startDevice({ fixture: c.fixture, scheme: 'tpap', clock });
        });

        /** The node that changes state, and what the simulator must then show. */
        const change = c.kind === 'plug'
          ? { node: { type: 'tapo-plug-control', action: 'payload' }, payload: (on: boolean): unknown => on, state: (): boolean => (sim!.logic as PlugLogic).state.on }
          : { node: { type: 'tapo-camera-do', actions: '' }, payload: (on: boolean): unknown => ({ privacyMode: on }), state: (): boolean => (sim!.logic as CameraLogic).state.privacyMode };

        it('detects TPAP, changes state, and renews an expired session with one more login', async () => {
          await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, c.kind), change.node), creds(c.username, PASSWORD));
          const act = helper.getNode('act');
          const out = helper.getNode('out');
          let reply = next(out);
          act.receive({ payload: change.payload(true) });
          await reply;
          assert.equal(change.state(), true);
          assert.equal(sim!.server.loginCount, 1);

          sim!.expireSessions();
          reply = next(out);
          act.receive({ payload: change.payload(false) });
          await reply;
          assert.equal(change.state(), false);
          assert.equal(sim!.server.loginCount, 2);

          const r = await helper.request().post('/tapo-device/dev/test').send({ host: `127.0.0.1:${sim!.port}`, kind: c.kind, scheme: 'auto', username: c.username, password: '__PWRD__' });
          assert.equal(r.body.ok, true, JSON.stringify(r.body));
          assert.equal(r.body.scheme, 'tpap');
          assert.equal(r.body.model, c.model);
        });

        it('a wrong password reaches Catch as Authentication, changes nothing, and is not retried', async () => {
          const before = change.state();
          await helper.load(nodeModules, flow(deviceNode(`127.0.0.1:${sim!.port}`, c.kind), change.node), creds(c.username, 'wrong-password-tpap'));
          const act = helper.getNode('act');
          const seen = statuses(act);
          let caught = next(helper.getNode('caught'));
          act.receive({ payload: change.payload(!before) });
          assert.equal(((await caught).error as CaughtError).cause?.kind, 'Authentication');
          await statusWhere(act, seen, (s) => s.fill === 'red' && s.text === 'tapo-device.errors.Authentication');
          const sent = sim!.httpRequestCount;
          assert.ok(sent >= 1);
          // A second message inside the hold-off is answered without contacting the device.
          caught = next(helper.getNode('caught'));
          act.receive({ payload: change.payload(!before) });
          assert.equal(((await caught).error as CaughtError).cause?.kind, 'Authentication');
          assert.equal(sim!.httpRequestCount, sent);
          assert.equal(change.state(), before);
          assert.equal(sim!.server.loginCount, 0);
          assert.ok(!JSON.stringify(seen).includes('wrong-password-tpap'));
        });
      });
    }
  });
});
