/**
 * What a simulated camera detects, and how each detection shows up on the wire (events.md §2.7,
 * §3.1, §3.2). One row per type: the ONVIF topic, data item and rule (none for sound detections,
 * which nobody has seen on ONVIF), the `searchDetectionList` `alarm_type` code (freeKC enum), and
 * the `last_alarm_type` string.
 *
 * `last_alarm_type`: only `"motion"` has been seen on real cameras (events.md §3.1); the other
 * strings are ours, chosen to read like it (lower case, one word).
 */

/** A detection the simulator can script. */
export type SimDetectionType = 'motion' | 'person' | 'vehicle' | 'pet' | 'lineCross' | 'intrusion' | 'tamper' | 'babyCry';

/** Where a detection appears on ONVIF (topic after `tns1:RuleEngine/`, data item, `Rule` source value). */
export interface OnvifProperty {
  /** Topic path after `tns1:RuleEngine/`, e.g. `CellMotionDetector/Motion`. */
  topic: string;
  /** Data item name, e.g. `IsMotion`. */
  item: string;
  /** `Rule` source item, e.g. `MyMotionDetectorRule`. */
  rule: string;
}

/** How one detection type shows up. */
export interface DetectionSpec {
  /** `searchDetectionList` `alarm_type` (events.md §3.2). */
  alarmType: number;
  /** `getLastAlarmInfo` `last_alarm_type`. */
  lastAlarmType: string;
  /** ONVIF property, absent for detections that are not on ONVIF (sound). */
  onvif?: OnvifProperty;
}

/**
 * The table. Topics and items from events.md §2.7 (IsVehicle and IsPet under
 * TPSmartEventDetector/TPSmartEvent; line crossing, intrusion and tamper under
 * CellMotionDetector). Rules as seen in Home Assistant's Tapo test data (§2.6), except
 * `MyMotionDetectorRule`, which is ours (no Tapo capture shows the motion rule's value).
 */
export const DETECTIONS: Readonly<Record<SimDetectionType, DetectionSpec>> = {
  motion: { alarmType: 2, lastAlarmType: 'motion', onvif: { topic: 'CellMotionDetector/Motion', item: 'IsMotion', rule: 'MyMotionDetectorRule' } },
  person: { alarmType: 6, lastAlarmType: 'person', onvif: { topic: 'PeopleDetector/People', item: 'IsPeople', rule: 'MyPeopleDetectorRule' } },
  vehicle: { alarmType: 8, lastAlarmType: 'vehicle', onvif: { topic: 'TPSmartEventDetector/TPSmartEvent', item: 'IsVehicle', rule: 'MyTPSmartEventDetectorRule' } },
  pet: { alarmType: 9, lastAlarmType: 'pet', onvif: { topic: 'TPSmartEventDetector/TPSmartEvent', item: 'IsPet', rule: 'MyTPSmartEventDetectorRule' } },
  lineCross: { alarmType: 4, lastAlarmType: 'linecross', onvif: { topic: 'CellMotionDetector/LineCross', item: 'IsLineCross', rule: 'MyLineCrossDetectorRule' } },
  intrusion: { alarmType: 5, lastAlarmType: 'intrusion', onvif: { topic: 'CellMotionDetector/Intrusion', item: 'IsIntrusion', rule: 'MyIntrusionDetectorRule' } },
  tamper: { alarmType: 3, lastAlarmType: 'tamper', onvif: { topic: 'CellMotionDetector/Tamper', item: 'IsTamper', rule: 'MyTamperDetectorRule' } },
  babyCry: { alarmType: 7, lastAlarmType: 'babycry' },
};

/** Every type, in table order. */
export const DETECTION_TYPES = Object.keys(DETECTIONS) as SimDetectionType[];

/** The types that have an ONVIF property, in table order. */
export const ONVIF_DETECTION_TYPES = DETECTION_TYPES.filter((t) => DETECTIONS[t].onvif !== undefined);

/** True when `value` names a detection type. */
export function isDetectionType(value: unknown): value is SimDetectionType {
  return typeof value === 'string' && Object.hasOwn(DETECTIONS, value);
}
