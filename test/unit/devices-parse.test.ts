import assert from 'node:assert/strict';
import { TapoError } from '../../src/protocol/errors';
import { CAMERA_SETTINGS } from '../../src/devices/camera';
import { asksForAll, describeValue, parseCameraActions, parseCameraReadNames, parsePlugCommand } from '../../src/devices/parse';

function inputError(fn: () => unknown): TapoError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TapoError, `expected a TapoError, got ${String(e)}`);
    assert.equal(e.kind, 'Input');
    assert.equal(e.sent, false);
    return e;
  }
  assert.fail('expected an Input error');
}

describe('devices/parse', () => {
  describe('parsePlugCommand', () => {
    const accepted: [unknown, unknown][] = [
      [true, { type: 'set', on: true }],
      [false, { type: 'set', on: false }],
      [1, { type: 'set', on: true }],
      [0, { type: 'set', on: false }],
      ['on', { type: 'set', on: true }],
      ['  OFF ', { type: 'set', on: false }],
      ['Toggle', { type: 'toggle' }],
      ['status', { type: 'status' }],
      [{ on: true }, { type: 'set', on: true }],
      [{ on: false, delay: 60 }, { type: 'set', on: false, delaySeconds: 60 }],
      [{ on: true, delay: 0 }, { type: 'set', on: true }],
      [{ on: true, delay: 86_400 }, { type: 'set', on: true, delaySeconds: 86_400 }],
      [{ led: false }, { type: 'led', on: false }],
      [{ action: 'TOGGLE' }, { type: 'toggle' }],
      [{ action: 'status' }, { type: 'status' }],
      [{ action: 'on', delay: 30 }, { type: 'set', on: true, delaySeconds: 30 }],
    ];
    for (const [payload, expected] of accepted) {
      it(`reads ${JSON.stringify(payload)}`, () => {
        assert.deepEqual(parsePlugCommand(payload), expected);
      });
    }

    const rejected: [string, unknown][] = [
      ['the number 2', 2],
      ['a negative number', -1],
      ['an unknown word', 'maybe'],
      ['null', null],
      ['undefined', undefined],
      ['an array', [true]],
      ['an empty object', {}],
      ['a non-boolean on', { on: 'yes' }],
      ['a negative delay', { on: true, delay: -1 }],
      ['a delay over 24 h', { on: true, delay: 86_401 }],
      ['a fractional delay', { on: true, delay: 1.5 }],
      ['a delay on toggle', { action: 'toggle', delay: 5 }],
      ['an unknown action', { action: 'blink' }],
      ['an unknown key', { on: true, colour: 'red' }],
      ['a non-boolean led', { led: 'on' }],
      ['a Buffer', Buffer.from('on')],
    ];
    for (const [name, payload] of rejected) {
      it(`rejects ${name} with an Input error`, () => {
        inputError(() => parsePlugCommand(payload));
      });
    }

    it('names what it received and what it accepts', () => {
      const err = inputError(() => parsePlugCommand('maybe'));
      assert.match(err.message, /"maybe"/);
      assert.match(err.message, /toggle/);
      assert.match(err.message, /\{on: boolean, delay\?: seconds\}/);
      assert.match(inputError(() => parsePlugCommand({ on: true, colour: 'red' })).message, /colour.*accepted: on, delay/);
    });

    it('never echoes a long value', () => {
      const long = 'x'.repeat(500);
      const err = inputError(() => parsePlugCommand(long));
      assert.ok(!err.message.includes(long.slice(0, 30)));
      assert.match(err.message, /a string of 500 characters/);
    });
  });

  describe('describeValue', () => {
    it('describes types without dumping contents', () => {
      assert.equal(describeValue(undefined), 'nothing (undefined)');
      assert.equal(describeValue([1, 2]), 'an array of 2 items');
      assert.equal(describeValue({ a: 1, b: { c: 2 } }), 'an object with keys a, b');
      assert.equal(describeValue(3), 'the number 3');
    });
  });

  describe('parseCameraReadNames', () => {
    it('returns [] for nothing, so the caller uses its configuration', () => {
      for (const empty of [undefined, null, '', '  ', []]) assert.deepEqual(parseCameraReadNames(empty), []);
    });

    it('reads a name, a comma list, an array and "all"', () => {
      assert.deepEqual(parseCameraReadNames('led'), ['led']);
      assert.deepEqual(parseCameraReadNames(' LED , privacymode'), ['led', 'privacyMode']);
      assert.deepEqual(parseCameraReadNames(['sdCard', 'time', 'sdCard']), ['sdCard', 'time']);
      assert.deepEqual(parseCameraReadNames('all'), [...CAMERA_SETTINGS]);
    });

    it('lists unknown names with the accepted ones', () => {
      const err = inputError(() => parseCameraReadNames(['led', 'zoom', 'pan']));
      assert.match(err.message, /"zoom", "pan"/);
      assert.match(err.message, /privacyMode, led, motionDetection/);
    });

    for (const [name, payload] of [
      ['a number', 5],
      ['an object', { led: true }],
      ['a non-string in the array', ['led', 3]],
      ['a boolean', true],
    ] as [string, unknown][]) {
      it(`rejects ${name} with an Input error`, () => {
        inputError(() => parseCameraReadNames(payload));
      });
    }
  });

  describe('parseCameraActions', () => {
    const accepted: [unknown, unknown][] = [
      [{ privacyMode: true }, [{ type: 'privacyMode', enabled: true }]],
      [{ privacyMode: 'OFF' }, [{ type: 'privacyMode', enabled: false }]],
      [{ led: false }, [{ type: 'led', enabled: false }]],
      [
        { motionDetection: { enabled: true, sensitivity: 'High' } },
        [{ type: 'motionDetection', enabled: true, sensitivity: 'high' }],
      ],
      [{ motionDetection: false }, [{ type: 'motionDetection', enabled: false }]],
      [{ personDetection: { sensitivity: 'low' } }, [{ type: 'personDetection', sensitivity: 'low' }]],
      [{ nightVision: 'Auto' }, [{ type: 'nightVision', state: 'auto' }]],
      [{ alarm: 'start' }, [{ type: 'alarm', action: 'start' }]],
      [{ alarm: false }, [{ type: 'alarm', action: 'stop' }]],
      [
        { alarm: { enabled: true, modes: ['sound', 'light'], volume: 'normal', duration: 30 } },
        [{ type: 'alarmConfig', config: { enabled: true, modes: ['sound', 'light'], volume: 'normal', duration: 30 } }],
      ],
      [{ move: { x: 10, y: -5 } }, [{ type: 'move', x: 10, y: -5 }]],
      [{ move: { y: '15' } }, [{ type: 'move', x: 0, y: 15 }]],
      [{ step: 90 }, [{ type: 'step', direction: 90 }]],
      [{ preset: '1' }, [{ type: 'gotoPreset', preset: '1' }]],
      [{ preset: 2 }, [{ type: 'gotoPreset', preset: '2' }]],
      [{ savePreset: 'Door' }, [{ type: 'savePreset', name: 'Door' }]],
      [{ deletePreset: '1' }, [{ type: 'deletePreset', preset: '1' }]],
      [{ reboot: true }, [{ type: 'reboot' }]],
      [
        { raw: { method: 'get', led: { name: ['config'] } } },
        [{ type: 'raw', request: { method: 'get', led: { name: ['config'] } } }],
      ],
      [
        { method: 'multipleRequest', params: { requests: [] } },
        [{ type: 'raw', request: { method: 'multipleRequest', params: { requests: [] } } }],
      ],
    ];
    for (const [payload, expected] of accepted) {
      it(`reads ${JSON.stringify(payload)}`, () => {
        assert.deepEqual(parseCameraActions(payload), expected);
      });
    }

    it('orders several keys: privacy off first, privacy on after everything, reboot last', () => {
      const types = (p: unknown): string[] => parseCameraActions(p).map((a) => a.type);
      assert.deepEqual(types({ reboot: true, preset: '1', led: true, privacyMode: false }), [
        'privacyMode',
        'led',
        'gotoPreset',
        'reboot',
      ]);
      assert.deepEqual(
        parseCameraActions({ privacyMode: true, move: { x: 5 }, alarm: 'stop' }).map((a) => a.type),
        ['move', 'alarm', 'privacyMode'],
      );
    });

    it('runs an array of objects in array order', () => {
      assert.deepEqual(parseCameraActions([{ step: 0 }, { led: true }]), [
        { type: 'step', direction: 0 },
        { type: 'led', enabled: true },
      ]);
    });

    const rejected: [string, unknown][] = [
      ['a string', 'led'],
      ['null', null],
      ['an empty object', {}],
      ['an empty array', []],
      ['an unknown key', { zoom: 2 }],
      ['a bad privacy value', { privacyMode: 'maybe' }],
      ['a bad sensitivity', { motionDetection: { sensitivity: 'extreme' } }],
      ['an empty detection object', { motionDetection: {} }],
      ['an unknown detection key', { personDetection: { enabled: true, area: 1 } }],
      ['a bad night vision', { nightVision: 'dusk' }],
      ['a bad alarm word', { alarm: 'loud' }],
      ['a bad alarm volume', { alarm: { volume: 'max' } }],
      ['a bad alarm mode', { alarm: { modes: ['strobe'] } }],
      ['a fractional move', { move: { x: 1.5 } }],
      ['a move out of range', { move: { x: 1000 } }],
      ['an empty move', { move: {} }],
      ['a move that is not an object', { move: 5 }],
      ['a step of 360', { step: 360 }],
      ['a negative step', { step: -1 }],
      ['an empty preset', { preset: '' }],
      ['a non-text preset name', { savePreset: 5 }],
      ['reboot false', { reboot: false }],
      ['a raw without method', { raw: {} }],
      ['a non-object in an array', [{ led: true }, 5]],
    ];
    for (const [name, payload] of rejected) {
      it(`rejects ${name} with an Input error`, () => {
        inputError(() => parseCameraActions(payload));
      });
    }

    it('an invalid key anywhere rejects the whole payload (nothing is half-applied)', () => {
      const err = inputError(() => parseCameraActions([{ led: true }, { privacyMode: true, step: 400 }]));
      assert.match(err.message, /step/);
    });

    it('lists the accepted keys for an unknown one', () => {
      const err = inputError(() => parseCameraActions({ zoom: 2 }));
      assert.match(err.message, /zoom/);
      assert.match(err.message, /privacyMode, led/);
    });
  });

  describe('camera catalogue', () => {
    it('asksForAll sees "all" alone, in a list or in an array, and nothing else', () => {
      assert.equal(asksForAll('all'), true);
      assert.equal(asksForAll(' led , ALL '), true);
      assert.equal(asksForAll(['wan', 'all']), true);
      assert.equal(asksForAll('wan,led'), false);
      assert.equal(asksForAll(['wall']), false);
      assert.equal(asksForAll(undefined), false);
    });

    it('reads imageFlip, targetTracking and mediaEncryption as on/off changes; the read-only ones are refused', () => {
      assert.deepEqual(parseCameraActions({ imageFlip: 'ON', targetTracking: false, mediaEncryption: 'off' }), [
        { type: 'imageFlip', flipped: true },
        { type: 'targetTracking', enabled: false },
        { type: 'mediaEncryption', enabled: false },
      ]);
      for (const key of ['wan', 'connection', 'videoQuality', 'diagnoseMode', 'components', 'userId']) {
        assert.throws(() => parseCameraActions({ [key]: true }), (e: unknown) => e instanceof TapoError && e.kind === 'Input' && e.reason === 'unknownCameraActionKeys');
      }
      assert.throws(() => parseCameraActions({ imageFlip: 'center' }), (e: unknown) => e instanceof TapoError && e.reason === 'cameraOnOff');
    });
  });
});
