/**
 * Events out of a hub's children (../shared/protocol/events.md §5.1, §5.2; family.md §6, §7), for
 * the device watcher (watch.ts) of a hub:
 *
 * - H100 (SMART protocol): the children's trigger logs, polled through the hub's session. The
 *   first poll is the baseline: it reads the child list and each child's newest log id, and replays
 *   nothing. Each later poll is one batch: the child list's first page (state, battery) and one
 *   `control_child get_trigger_logs {page_size: 5, start_id: 0}` per child (a batch holds 5
 *   entries, so 6 children take 2 round trips). Entries with an id above the highest seen for that
 *   child are new (ids are not consecutive: events.md §5.2), de-duplicated by id, and delivered in
 *   id order across children.
 * - H200 (camera protocol): its children's trigger logs come back empty (family.md §7 quirks,
 *   python-kasa#1699), so events are the changes of the listed state between two polls (`open`,
 *   `detected`, `water_leak_status`). Button presses cannot be seen on an H200.
 *
 * Both: `lowBattery` once when a child's low-battery flag (or an S200B's `lowBattery` log entry)
 * appears, again only after it cleared.
 */
import type { HubChild, TriggerLogEntry } from '../devices/hub';
import { SmartHub, TRIGGER_LOG_PAGE, parseTriggerLogs } from '../devices/hub';
import type { DeviceVerbs, RunOptions } from './device';
import type { DeviceEvent } from './watch';

/** The child an event is about. */
export interface HubChildRef {
  position: number;
  deviceId: string;
  model: string;
  nickname: string;
}

/** Topics and payloads of trigger-log events (events.md §5.2). */
const LOG_TOPICS: Readonly<Record<string, { topic: string; payload: boolean }>> = {
  motion: { topic: 'motion', payload: true },
  open: { topic: 'open', payload: true },
  close: { topic: 'close', payload: false },
  keepOpen: { topic: 'keepOpen', payload: true },
  waterLeak: { topic: 'water', payload: true },
  waterDry: { topic: 'dry', payload: false },
  singleClick: { topic: 'click', payload: true },
  doubleClick: { topic: 'doubleClick', payload: true },
  lowBattery: { topic: 'lowBattery', payload: true },
};

/** Every topic a hub's children can produce. */
export const HUB_EVENTS = ['open', 'close', 'keepOpen', 'water', 'dry', 'click', 'doubleClick', 'rotate', 'lowBattery', 'temperature', 'humidity'] as const;

/** What one hub poll found. */
export interface HubPoll {
  model?: string;
  report: DeviceEvent[];
  changes: DeviceEvent[];
}

type Run = <T>(operation: (verbs: DeviceVerbs) => Promise<T>, options?: RunOptions) => Promise<T>;

/** The reference of a child in its events. */
function refOf(c: HubChild): HubChildRef {
  return { position: c.position, deviceId: c.deviceId, model: c.model, nickname: c.nickname };
}

/** The event of one trigger-log entry. */
export function logEvent(entry: TriggerLogEntry, child: HubChildRef): DeviceEvent {
  if (entry.event === 'rotation') {
    const event: DeviceEvent = { topic: 'rotate', payload: entry.degrees ?? 0, source: 'poll', type: 'rotation', time: entry.timestamp, child };
    if (entry.degrees !== undefined) event.degrees = entry.degrees;
    return event;
  }
  const known = LOG_TOPICS[entry.event];
  return { topic: known?.topic ?? entry.event, payload: known?.payload ?? true, source: 'poll', type: entry.event, time: entry.timestamp, child };
}

/** The current state of a child as report events (output "every report", or the state after deploy). */
function stateEvents(c: HubChild): DeviceEvent[] {
  const child = refOf(c);
  const out: DeviceEvent[] = [];
  const add = (topic: string, payload: boolean | number, type: string): void => {
    out.push({ topic, payload, source: 'poll', type, state: true, child });
  };
  if (c.motion !== undefined) add('motion', c.motion, 'detected');
  if (c.open !== undefined) add(c.open ? 'open' : 'close', c.open, 'open');
  if (c.water !== undefined) add(c.water ? 'water' : 'dry', c.water, 'water_leak_status');
  if (c.temperature !== undefined) add('temperature', c.temperature, 'current_temp');
  if (c.humidity !== undefined) add('humidity', c.humidity, 'current_humidity');
  if (c.lowBattery) add('lowBattery', true, 'at_low_battery');
  return out;
}

/** The changes of listed state between two polls (H200: its logs are empty). */
function stateChanges(before: HubChild, now: HubChild): DeviceEvent[] {
  const child = refOf(now);
  const out: DeviceEvent[] = [];
  if (now.motion === true && before.motion !== true) out.push({ topic: 'motion', payload: true, source: 'poll', type: 'detected', child });
  if (now.open !== undefined && before.open !== undefined && now.open !== before.open) out.push({ topic: now.open ? 'open' : 'close', payload: now.open, source: 'poll', type: 'open', child });
  if (now.water !== undefined && before.water !== undefined && now.water !== before.water) out.push({ topic: now.water ? 'water' : 'dry', payload: now.water, source: 'poll', type: 'water_leak_status', child });
  return out;
}

/** The events of one hub for one watcher: what was seen, so each event is delivered once. */
export class HubEvents {
  /** Whether the watched device is a hub; undefined until the first poll. */
  isHub: boolean | undefined;
  private readonly lastIds = new Map<string, number>();
  private previous = new Map<string, HubChild>();
  private readonly lowNotified = new Set<string>();
  private baselined = false;

  /**
   * One poll as one operation of the device's queue. Resolves with undefined (and `isHub` false)
   * when the device is not a hub: the caller then watches it as what it is.
   */
  async poll(run: Run): Promise<HubPoll | undefined> {
    const read = await run(async (verbs) => {
      const hub = await verbs.hub();
      if (hub === undefined) return undefined;
      const model = hub.model;
      if (!(hub instanceof SmartHub)) return { model, children: await hub.children(), logs: undefined };
      if (!this.baselined) {
        const children = await hub.children();
        const logs = await hub.triggerLogs(new Map(children.map((c) => [c.deviceId, undefined])));
        return { model, children, logs };
      }
      const known = [...this.previous.keys()];
      const { children, results } = await hub.listWith(known.map((id) => ({ deviceId: id, method: 'get_trigger_logs', params: { page_size: TRIGGER_LOG_PAGE, start_id: 0 } })));
      const logs = new Map<string, TriggerLogEntry[]>();
      const deeper = new Map<string, number | undefined>();
      for (const [i, id] of known.entries()) {
        const entries = parseTriggerLogs(results[i] ?? {});
        const last = this.lastIds.get(id);
        if (last !== undefined && entries.length >= TRIGGER_LOG_PAGE && entries.every((e) => e.id > last)) deeper.set(id, last);
        logs.set(id, entries);
      }
      // A child with a whole page of new entries: its older pages too (rare: a burst between two polls).
      if (deeper.size > 0) for (const [id, entries] of await hub.triggerLogs(deeper)) logs.set(id, entries);
      // Children paired since the last poll: their newest entries are the baseline.
      const added = children.filter((c) => !this.previous.has(c.deviceId));
      if (added.length > 0) for (const [id, entries] of await hub.triggerLogs(new Map(added.map((c) => [c.deviceId, undefined])))) logs.set(id, entries);
      return { model, children, logs };
    });
    if (read === undefined) {
      this.isHub = false;
      return undefined;
    }
    this.isHub = true;
    const first = !this.baselined;
    this.baselined = true;
    const report: DeviceEvent[] = read.children.flatMap(stateEvents);
    const fromLogs: { id: number; event: DeviceEvent }[] = [];
    const changes: DeviceEvent[] = [];
    const byId = new Map(read.children.map((c) => [c.deviceId, c]));
    for (const c of read.children) {
      const ref = refOf(c);
      const entries = read.logs?.get(c.deviceId);
      if (entries !== undefined) {
        const last = this.lastIds.get(c.deviceId);
        const newest = entries.reduce((m, e) => Math.max(m, e.id), last ?? 0);
        if (!first && last !== undefined) {
          for (const e of entries) if (e.id > last) fromLogs.push({ id: e.id, event: logEvent(e, ref) });
        }
        this.lastIds.set(c.deviceId, newest);
      } else if (!first) {
        const before = this.previous.get(c.deviceId);
        if (before !== undefined) changes.push(...stateChanges(before, c));
      }
    }
    fromLogs.sort((a, b) => a.id - b.id);
    for (const { event } of fromLogs) {
      const id = event.child?.deviceId ?? '';
      if (event.topic === 'lowBattery') {
        if (this.lowNotified.has(id)) continue;
        this.lowNotified.add(id);
      }
      changes.push(event);
    }
    for (const c of read.children) {
      if (!c.lowBattery) {
        this.lowNotified.delete(c.deviceId);
        continue;
      }
      if (this.lowNotified.has(c.deviceId)) continue;
      this.lowNotified.add(c.deviceId);
      // Low at the baseline is state, not news: it is in the report.
      if (!first) changes.push({ topic: 'lowBattery', payload: true, source: 'poll', type: 'at_low_battery', child: refOf(c), ...(c.battery.percent !== undefined ? { battery: c.battery.percent } : {}) });
    }
    this.previous = byId;
    return { ...(read.model !== undefined ? { model: read.model } : {}), report, changes };
  }
}
