/**
 * What ONVIF notifications mean (src/devices/onvif-events.ts, events.md §2.7, §2.9 item 1): the
 * topic comes from the data item name, whatever the ONVIF topic; values "true", "1", "True" are
 * true; `Initialized` reports equal to the known state are not changes, so a C225's floods give
 * one start.
 */
import { strict as assert } from 'node:assert';

import { ONVIF_DATA_ITEMS, OnvifEventState, classifyOnvifNotification, onvifBoolean } from '../../src/devices/onvif-events';
import type { OnvifDetectionUpdate } from '../../src/devices/onvif-events';
import type { OnvifNotification } from '../../src/protocol/onvif-soap';

function note(item: string, value: string, operation = 'Changed', topic = 'tns1:RuleEngine/CellMotionDetector/Motion'): OnvifNotification {
  return { topic, operation, utcTime: '2024-11-03T18:40:43Z', source: { Rule: 'MyRule' }, data: { [item]: value } };
}

const changes = (updates: OnvifDetectionUpdate[]): string[] => updates.filter((u) => u.change).map((u) => `${u.topic}:${u.active}`);

describe('ONVIF events: classification (events.md §2.7)', () => {
  it('maps each data item name of §2.7 to our topic', () => {
    assert.deepEqual(ONVIF_DATA_ITEMS, {
      IsMotion: 'motion',
      IsPeople: 'person',
      IsVehicle: 'vehicle',
      IsPet: 'pet',
      IsLineCross: 'lineCross',
      IsIntrusion: 'intrusion',
      IsTamper: 'tamper',
    });
  });

  it('classifies by the data item, not the topic: IsPeople under three topics is a person, IsVehicle under two a vehicle', () => {
    for (const topic of ['tns1:RuleEngine/PeopleDetector/People', 'tns1:RuleEngine/CellMotionDetector/People', 'tns1:RuleEngine/TPSmartEventDetector/TPSmartEvent']) {
      assert.deepEqual(classifyOnvifNotification(note('IsPeople', 'true', 'Changed', topic)), [
        { topic: 'person', active: true, item: 'IsPeople', operation: 'Changed', time: '2024-11-03T18:40:43Z', onvifTopic: topic },
      ]);
    }
    assert.equal(classifyOnvifNotification(note('IsVehicle', 'true', 'Changed', 'tns1:RuleEngine/CellMotionDetector/TpSmartEvent'))[0]?.topic, 'vehicle');
    assert.equal(classifyOnvifNotification(note('IsMotion', 'true', 'Changed', 'tns1:RuleEngine/TPSmartEventDetector/TPSmartEvent'))[0]?.topic, 'motion');
  });

  it('ignores unknown data items and notifications without data', () => {
    assert.deepEqual(classifyOnvifNotification(note('IsTPSmartEvent', 'true')), []);
    assert.deepEqual(classifyOnvifNotification(note('isMotion', 'true')), []);
    assert.deepEqual(classifyOnvifNotification({ ...note('x', 'y'), data: {} }), []);
    assert.deepEqual(classifyOnvifNotification(note('toString', 'true')), []);
  });

  it('"true", "1" and "True" are true; anything else false', () => {
    assert.deepEqual(['true', '1', 'True'].map(onvifBoolean), [true, true, true]);
    assert.deepEqual(['false', '0', 'TRUE', 'yes', '', ' true'].map(onvifBoolean), [false, false, false, false, false, false]);
  });

  it('several items in one message are classified in order', () => {
    const both: OnvifNotification = { ...note('IsVehicle', 'true'), data: { IsVehicle: 'true', IsPet: '0', Other: '1' } };
    assert.deepEqual(
      classifyOnvifNotification(both).map((d) => [d.topic, d.active]),
      [
        ['vehicle', true],
        ['pet', false],
      ],
    );
  });
});

describe('ONVIF events: OnvifEventState (events.md §2.9 item 1)', () => {
  it('Changed edges: a start, then an end; topics are independent', () => {
    const state = new OnvifEventState();
    assert.deepEqual(changes(state.update(note('IsMotion', 'true'))), ['motion:true']);
    assert.deepEqual(changes(state.update(note('IsPeople', 'true'))), ['person:true']);
    assert.deepEqual(state.active(), ['motion', 'person']);
    assert.deepEqual(changes(state.update(note('IsMotion', 'false'))), ['motion:false']);
    assert.equal(state.isActive('motion'), false);
    assert.equal(state.isActive('person'), true);
  });

  it('the Initialized reports of SetSynchronizationPoint at start: false is no change, true is a start', () => {
    const state = new OnvifEventState();
    const updates = [
      ...state.update(note('IsMotion', 'false', 'Initialized')),
      ...state.update(note('IsPeople', 'true', 'Initialized')),
      ...state.update(note('IsTamper', 'false', 'Initialized')),
    ];
    assert.deepEqual(
      updates.map((u) => [u.topic, u.active, u.change]),
      [
        ['motion', false, false],
        ['person', true, true],
        ['tamper', false, false],
      ],
    );
  });

  it('a C225 flood (a batch of Initialized every 14 s while motion lasts) is one start; Changed false ends it', () => {
    const state = new OnvifEventState();
    const batch = (motion: string): OnvifNotification[] => [
      note('IsMotion', motion, 'Initialized'),
      note('IsPeople', 'false', 'Initialized', 'tns1:RuleEngine/PeopleDetector/People'),
      note('IsLineCross', 'false', 'Initialized', 'tns1:RuleEngine/CellMotionDetector/LineCross'),
    ];
    const all: OnvifDetectionUpdate[] = [];
    for (let i = 0; i < 5; i++) for (const n of batch('true')) all.push(...state.update(n, i * 14_000));
    assert.deepEqual(changes(all), ['motion:true']);
    assert.equal(all.filter((u) => !u.change).length, 14, 'every other item is a report');
    assert.deepEqual(changes(state.update(note('IsMotion', 'false', 'Changed'))), ['motion:false']);
  });

  it('Initialized false after true ends a detection; a repeated Changed of the known state is no change', () => {
    const state = new OnvifEventState();
    assert.deepEqual(changes(state.update(note('IsMotion', '1', 'Changed'))), ['motion:true']);
    assert.deepEqual(changes(state.update(note('IsMotion', 'True', 'Changed'))), []);
    assert.deepEqual(changes(state.update(note('IsMotion', 'false', 'Initialized'))), ['motion:false']);
    assert.deepEqual(changes(state.update(note('IsMotion', 'false', 'Changed'))), []);
  });

  it('Deleted ends an active detection', () => {
    const state = new OnvifEventState();
    state.update(note('IsTamper', 'true'));
    const [deleted] = state.update(note('IsTamper', 'true', 'Deleted'));
    assert.deepEqual([deleted?.active, deleted?.change], [false, true]);
  });

  it('expire(): ends the topics not reported active for a while (the C225 never says motion ended)', () => {
    const state = new OnvifEventState();
    state.update(note('IsMotion', 'true', 'Initialized'), 0);
    state.update(note('IsPeople', 'true', 'Initialized'), 0);
    state.update(note('IsMotion', 'true', 'Initialized'), 14_000);
    assert.deepEqual(state.expire(29_999, 30_000), []);
    assert.deepEqual(state.expire(30_000, 30_000), ['person']);
    assert.deepEqual(state.expire(44_000, 30_000), ['motion']);
    assert.deepEqual(state.active(), []);
    // Ended by expiry, a later Initialized true is a new start.
    assert.deepEqual(changes(state.update(note('IsMotion', 'true', 'Initialized'), 50_000)), ['motion:true']);
    state.clear();
    assert.deepEqual(state.active(), []);
  });
});
