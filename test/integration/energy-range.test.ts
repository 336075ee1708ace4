/**
 * Energy history over a chosen range, against the simulated P110: the entries are exactly the
 * buckets of [start, end], a range longer than one device window is read window by window (one
 * `get_energy_data` per window, in order, with the right timestamps), and a reversed or too long
 * range is refused before any energy request. Values are checked against what the simulator
 * accumulated: a 100 W load switched on at a known instant of its manual clock.
 */
import { strict as assert } from 'node:assert';
import { DeviceConnection } from '../../src/connection';
import { MAX_ENERGY_REQUESTS, Plug, checkEnergyRange } from '../../src/devices/plug';
import { ManualClock, startDevice } from '../../src/simulator';
import type { SimJsonObject, SimulatedDevice } from '../../src/simulator';
import type { PlugLogic } from '../../src/simulator/logic/plug';
import { rejection } from '../helpers';

const PASSWORD = 'tapo-sim';
const DAY = 86_400;
const LOAD_W = 100;
/** The relay goes on here, on the simulator's clock (the UK fixture's device is on UTC). */
const ON_AT = Date.UTC(2026, 0, 1);
/** Then the clock moves on to here: every day from 1 January to 9 July used 24 h × 100 W. */
const NOW = Date.UTC(2026, 6, 10);
const FULL_DAY_WH = 24 * LOAD_W;

const utc = (y: number, m: number, d: number, h = 0): number => Date.UTC(y, m, d, h) / 1000;

describe('energy history over a chosen range (simulated P110)', function () {
  this.timeout(20_000);
  let sim: SimulatedDevice;
  let logic: PlugLogic;
  let connection: DeviceConnection;
  let plug: Plug;
  /** The params of every get_energy_data that reached the device, in order. */
  let asked: SimJsonObject[];
  let methods: string[];

  beforeEach(async () => {
    const clock = new ManualClock(ON_AT);
    sim = await startDevice({ fixture: 'P110(UK)_1.0_1.3.0', password: PASSWORD, clock, loadWatts: LOAD_W });
    logic = sim.logic as PlugLogic;
    logic.handle({ method: 'set_device_info', params: { device_on: true } });
    clock.set(NOW);
    asked = [];
    methods = [];
    const handle = logic.handle.bind(logic);
    logic.handle = (request: SimJsonObject): SimJsonObject => {
      const method = String(request.method);
      methods.push(method);
      if (method === 'get_energy_data') asked.push(request.params as SimJsonObject);
      return handle(request);
    };
    connection = new DeviceConnection({
      host: `127.0.0.1:${sim.port}`,
      kind: 'plug',
      credentials: { username: 'user@example.com', password: PASSWORD },
      timeoutMs: 5_000,
    });
    plug = new Plug(connection);
  });

  afterEach(async () => {
    await connection.close();
    await sim.stop();
  });

  it('daily 1–5 January: five days, not the quarter; values from the simulator', async () => {
    const data = await plug.getEnergyData('daily', { start: new Date('2026-01-01'), end: new Date('2026-01-05') });
    assert.deepEqual(
      data.entries,
      [0, 1, 2, 3, 4].map((d) => ({ timestamp: utc(2026, 0, 1) + d * DAY, energy: FULL_DAY_WH })),
    );
    assert.equal(asked.length, 1);
  });

  it('daily 1 January – 30 June: both quarters, asked one after the other, 181 days in order', async () => {
    const data = await plug.getEnergyData('daily', { start: new Date('2026-01-01'), end: new Date('2026-06-30') });
    assert.deepEqual(
      asked.map((p) => [p.start_timestamp, p.end_timestamp, p.interval]),
      [
        [utc(2026, 0, 1), utc(2026, 0, 1), 1440],
        [utc(2026, 3, 1), utc(2026, 3, 1), 1440],
      ],
    );
    assert.equal(data.entries.length, 181);
    data.entries.forEach((e, i) => assert.deepEqual(e, { timestamp: utc(2026, 0, 1) + i * DAY, energy: FULL_DAY_WH }));
    assert.equal(data.entries.at(-1)?.timestamp, utc(2026, 5, 30));
  });

  it('daily up to today: the sum of July equals the simulator\'s month counter', async () => {
    const data = await plug.getEnergyData('daily', { start: new Date('2026-07-01'), end: new Date('2026-07-10') });
    // 1–9 July full days; 10 July has only begun (the clock stands at its midnight).
    assert.deepEqual(data.entries.map((e) => e.energy), [...Array(9).fill(FULL_DAY_WH), 0]);
    const sum = data.entries.reduce((total, e) => total + e.energy, 0);
    assert.equal(sum, logic.state.monthEnergyWh);
  });

  it('hourly over 10 days: two requests (8 days + 2 days), 240 hours of 100 Wh, trimmed to the hour', async () => {
    const start = new Date('2026-03-01T00:00:00Z');
    const end = new Date('2026-03-10T23:00:00Z');
    const data = await plug.getEnergyData('hourly', { start, end });
    assert.deepEqual(
      asked.map((p) => [p.start_timestamp, p.end_timestamp, p.interval]),
      [
        [utc(2026, 2, 1), utc(2026, 2, 9) - 1, 60],
        [utc(2026, 2, 9), utc(2026, 2, 11) - 1, 60],
      ],
    );
    assert.equal(data.entries.length, 240);
    data.entries.forEach((e, i) => assert.deepEqual(e, { timestamp: utc(2026, 2, 1) + i * 3600, energy: LOAD_W }));

    // Mid-hour bounds keep the hours they touch, no more.
    asked = [];
    const part = await plug.getEnergyData('hourly', {
      start: new Date('2026-03-02T10:30:00Z'),
      end: new Date('2026-03-02T12:15:00Z'),
    });
    assert.deepEqual(part.entries.map((e) => e.timestamp), [utc(2026, 2, 2, 10), utc(2026, 2, 2, 11), utc(2026, 2, 2, 12)]);
    assert.equal(asked.length, 1);
  });

  it('monthly across a year boundary: one request per year, months in order, values from the simulator', async () => {
    const data = await plug.getEnergyData('monthly', { start: new Date('2025-11-01'), end: new Date('2026-03-31') });
    assert.deepEqual(
      asked.map((p) => [p.start_timestamp, p.end_timestamp, p.interval]),
      [
        [utc(2025, 0, 1), utc(2025, 0, 1), 43_200],
        [utc(2026, 0, 1), utc(2026, 0, 1), 43_200],
      ],
    );
    assert.deepEqual(
      data.entries.map((e) => e.timestamp),
      [utc(2025, 10, 1), utc(2025, 11, 1), utc(2026, 0, 1), utc(2026, 1, 1), utc(2026, 2, 1)],
    );
    // Before the relay went on, only the fixture's seeded month (January 2026 carries it) counts.
    const seeded = logic.handle({ method: 'get_energy_data', params: { start_timestamp: utc(2026, 0, 1), end_timestamp: utc(2026, 0, 1), interval: 43_200 } });
    const januaryFromSim = ((seeded.result as SimJsonObject).data as number[])[0];
    assert.deepEqual(
      data.entries.map((e) => e.energy),
      [0, 0, januaryFromSim, 28 * FULL_DAY_WH, 31 * FULL_DAY_WH],
    );
    assert.ok((januaryFromSim ?? 0) >= 31 * FULL_DAY_WH);
  });

  it('end before start, and a range beyond the limit, are Input errors before any energy request', async () => {
    let err = await rejection(plug.getEnergyData('daily', { start: new Date('2026-02-01'), end: new Date('2026-01-01') }));
    assert.equal(err.kind, 'Input');
    err = await rejection(plug.getEnergyData('hourly', { start: new Date('2026-01-01'), end: new Date('2026-06-30') }));
    assert.equal(err.kind, 'Input');
    assert.match(err.message, new RegExp(`${MAX_ENERGY_REQUESTS} requests`));
    assert.match(err.message, /96 days/);
    err = await rejection(plug.getEnergyData('daily', { start: new Date('2020-01-01'), end: new Date('2026-06-30') }));
    assert.equal(err.kind, 'Input');
    assert.match(err.message, /3 years/);
    assert.deepEqual(methods, [], 'something reached the device');
    assert.equal(sim.requestCount, 0);
  });

  it('12 windows are read, 13 are not (three years of quarters)', async () => {
    const data = await plug.getEnergyData('daily', { start: new Date('2023-07-01'), end: new Date('2026-06-30') });
    assert.equal(asked.length, MAX_ENERGY_REQUESTS);
    assert.equal(data.entries[0]?.timestamp, utc(2023, 6, 1));
    assert.equal(data.entries.at(-1)?.timestamp, utc(2026, 5, 30));
    assert.equal(data.entries.length, (utc(2026, 5, 30) - utc(2023, 6, 1)) / DAY + 1);
    asked = [];
    const err = await rejection(plug.getEnergyData('daily', { start: new Date('2023-06-30'), end: new Date('2026-06-30') }));
    assert.equal(err.kind, 'Input');
    assert.equal(asked.length, 0);
  });

  it('windows that begin after the device clock are not asked', async () => {
    const data = await plug.getEnergyData('daily', { start: new Date('2026-06-01'), end: new Date('2026-12-31') });
    assert.deepEqual(asked.map((p) => p.start_timestamp), [utc(2026, 3, 1), utc(2026, 6, 1)]);
    assert.equal(data.entries[0]?.timestamp, utc(2026, 5, 1));
    assert.equal(data.entries.at(-1)?.timestamp, utc(2026, 6, 10));
  });
});

describe('energy range windows in the device time zone', () => {
  it('daily windows are the local quarters of a device at UTC+1', () => {
    const offset = 3600;
    const windows = checkEnergyRange('daily', utc(2026, 2, 31, 23), utc(2026, 3, 2), offset, MAX_ENERGY_REQUESTS);
    // 31 March 23:00 UTC is already 1 April at UTC+1: only the second quarter is needed.
    assert.deepEqual(windows.map((w) => w.start), [utc(2026, 3, 1) - offset]);
  });
});
