/**
 * What an ONVIF notification means for a Tapo camera (../shared/protocol/events.md §2.6, §2.7,
 * §2.9 item 1), over the messages src/protocol/onvif.ts delivers.
 *
 * Classification is by the DATA ITEM NAME, not the topic: the same item arrives under different
 * topics on different firmware (Home Assistant's Tapo parser does the same). Items of other names
 * are ignored. A value is true when it is "true", "1" or "True" (node-red-contrib-tapo-local
 * accepts all three; Home Assistant only "true").
 *
 * {@link OnvifEventState} keeps the last state of each topic, so that `Initialized` reports (after
 * SetSynchronizationPoint, and the floods of a C225 fw 1.2.x that sends a batch of them about
 * every 14 s while motion lasts) are not taken for changes: a report equal to the last known state
 * is not a change; `Initialized` true while the topic was not active is a start; a detection ends
 * with `Changed` false, or `Initialized` false after true, or `Deleted`. Topics start inactive.
 */
import type { OnvifNotification } from '../protocol/onvif-soap';

/** Our event topics for ONVIF detections. */
export type OnvifDetectionTopic = 'motion' | 'person' | 'vehicle' | 'pet' | 'lineCross' | 'intrusion' | 'tamper';

/** Data item name → topic (events.md §2.7). */
export const ONVIF_DATA_ITEMS: Readonly<Record<string, OnvifDetectionTopic>> = {
  IsMotion: 'motion',
  IsPeople: 'person',
  IsVehicle: 'vehicle',
  IsPet: 'pet',
  IsLineCross: 'lineCross',
  IsIntrusion: 'intrusion',
  IsTamper: 'tamper',
};

/** One known data item of a notification. */
export interface OnvifDetection {
  /** Our topic. */
  topic: OnvifDetectionTopic;
  /** The detection is on. */
  active: boolean;
  /** The data item as the camera named it (`IsMotion` …). */
  item: string;
  /** `PropertyOperation` as given (`Initialized`, `Changed`, `Deleted`, or ''). */
  operation: string;
  /** `UtcTime` as given ('' when absent; unreliable on some cameras, events.md §2.9 item 7). */
  time: string;
  /** The ONVIF topic it came under. */
  onvifTopic: string;
}

/** An {@link OnvifDetection} with what it means for the watcher. */
export interface OnvifDetectionUpdate extends OnvifDetection {
  /** True when it starts or ends a detection; false for a report of the state already known. */
  change: boolean;
}

/** "true", "1" and "True" are true; anything else is false. */
export function onvifBoolean(value: string): boolean {
  return value === 'true' || value === '1' || value === 'True';
}

/** The known data items of a notification, in document order (unknown names ignored). */
export function classifyOnvifNotification(notification: OnvifNotification): OnvifDetection[] {
  const out: OnvifDetection[] = [];
  for (const [item, value] of Object.entries(notification.data)) {
    if (!Object.hasOwn(ONVIF_DATA_ITEMS, item)) continue;
    out.push({
      topic: ONVIF_DATA_ITEMS[item] as OnvifDetectionTopic,
      active: notification.operation === 'Deleted' ? false : onvifBoolean(value),
      item,
      operation: notification.operation,
      time: notification.utcTime,
      onvifTopic: notification.topic,
    });
  }
  return out;
}

/**
 * The last state of each detection topic of one camera (see the file comment). Pure: no timers,
 * times are given by the caller.
 */
export class OnvifEventState {
  private readonly activeTopics = new Map<OnvifDetectionTopic, { since: number; seen: number }>();

  /**
   * Classifies a notification and updates the state: one update per known data item, `change`
   * true for a start or an end. `now` (ms) stamps when a topic was last seen active.
   */
  update(notification: OnvifNotification, now: number = Date.now()): OnvifDetectionUpdate[] {
    return classifyOnvifNotification(notification).map((d) => {
      const was = this.activeTopics.get(d.topic);
      if (d.active) {
        this.activeTopics.set(d.topic, { since: was?.since ?? now, seen: now });
        return { ...d, change: was === undefined };
      }
      this.activeTopics.delete(d.topic);
      return { ...d, change: was !== undefined };
    });
  }

  /** True while the topic is active. */
  isActive(topic: OnvifDetectionTopic): boolean {
    return this.activeTopics.has(topic);
  }

  /** The active topics. */
  active(): OnvifDetectionTopic[] {
    return [...this.activeTopics.keys()];
  }

  /**
   * Ends the topics not reported active for `afterMs` (a C225 never says that motion ended, it
   * stops repeating its `Initialized` true, events.md §2.9 item 1): returns them, now inactive.
   */
  expire(now: number, afterMs: number): OnvifDetectionTopic[] {
    const ended: OnvifDetectionTopic[] = [];
    for (const [topic, at] of this.activeTopics) {
      if (now - at.seen >= afterMs) ended.push(topic);
    }
    for (const topic of ended) this.activeTopics.delete(topic);
    return ended;
  }

  /** Forgets every state (a new camera, or a restart). */
  clear(): void {
    this.activeTopics.clear();
  }
}
