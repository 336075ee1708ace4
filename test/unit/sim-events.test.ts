/**
 * The simulator's event pieces without sockets: the WS-Security digest against the known answer
 * of events.md §2.3, the small XML reader, durations, faults and notification texts of the ONVIF
 * server, the camera logic's detections (`getLastAlarmInfo` of module `system` beside the siren
 * form of module `msg_alarm`, `searchDetectionList`), a plug's button, and the rule that the
 * simulator imports nothing of the client.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { DETECTIONS } from '../../src/simulator/detections';
import { loadFixture } from '../../src/simulator/fixtures';
import { CameraLogic, ManualClock, PlugLogic, createLogic } from '../../src/simulator/logic';
import { parseDuration, parseTerminationTime } from '../../src/simulator/onvif/server';
import { isoTime, notificationMessage, soapFault } from '../../src/simulator/onvif/soap';
import { checkUsernameToken, passwordDigest } from '../../src/simulator/onvif/wsse';
import { XmlError, childOf, escapeXml, parseXml, textOf } from '../../src/simulator/onvif/xml';
import type { SimJsonObject } from '../../src/simulator/types';

const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const DIGEST = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';

/** The header of events.md §2.3 around a token (optionally with its fields changed). */
function header(fields: { user?: string; password?: string; type?: string; nonce?: string; created?: string } = {}): string {
  return (
    `<s:Header xmlns:s="http://www.w3.org/2003/05/soap-envelope"><wsse:Security s:mustUnderstand="1" xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}"><wsse:UsernameToken>` +
    `<wsse:Username>${fields.user ?? 'camuser'}</wsse:Username>` +
    `<wsse:Password Type="${fields.type ?? DIGEST}">${fields.password ?? 'tuOSpGlFlIXsozq4HFNeeGeFLEI='}</wsse:Password>` +
    `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${fields.nonce ?? 'LKqI6G/AikKCQrN0zqZFlg=='}</wsse:Nonce>` +
    `<wsu:Created>${fields.created ?? '2010-09-16T07:50:45Z'}</wsu:Created></wsse:UsernameToken></wsse:Security></s:Header>`
  );
}

describe('simulator events: ONVIF pieces', () => {
  describe('WS-Security digest (events.md §2.3)', () => {
    it('reproduces the known answer of the ONVIF Application Programmer\'s Guide', () => {
      const nonce = Buffer.from('LKqI6G/AikKCQrN0zqZFlg==', 'base64');
      assert.equal(passwordDigest(nonce, '2010-09-16T07:50:45Z', 'userpassword'), 'tuOSpGlFlIXsozq4HFNeeGeFLEI=');
      // The same formula written out once more, for any other input.
      const other = createHash('sha1').update(Buffer.concat([Buffer.from('abc'), Buffer.from('2024-11-03T18:40:00Z'), Buffer.from('pässword', 'utf8')])).digest('base64');
      assert.equal(passwordDigest(Buffer.from('abc'), '2024-11-03T18:40:00Z', 'pässword'), other);
    });

    it('accepts the vector token for its account and says why it refuses others', () => {
      const account = { username: 'camuser', password: 'userpassword' };
      assert.equal(checkUsernameToken(parseXml(header()), account), 'ok');
      assert.equal(checkUsernameToken(parseXml(header()), { ...account, password: 'other' }), 'digest');
      assert.equal(checkUsernameToken(parseXml(header({ user: 'admin' })), account), 'user');
      assert.equal(checkUsernameToken(parseXml(header({ created: '2010-09-16T07:50:46Z' })), account), 'digest', 'Created is part of the digest');
      assert.equal(checkUsernameToken(parseXml(header({ type: DIGEST.replace('Digest', 'Text'), password: 'userpassword' })), account), 'password-type');
      assert.equal(checkUsernameToken(parseXml(header({ nonce: '***' })), account), 'incomplete');
      assert.equal(checkUsernameToken(parseXml('<s:Header xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>'), account), 'no-token');
      assert.equal(checkUsernameToken(undefined, account), 'no-token');
      // Another prefix for the same namespaces is the same token.
      assert.equal(checkUsernameToken(parseXml(header().replace(/wsse:/g, 'o:').replace(/xmlns:wsse=/, 'xmlns:o=')), account), 'ok');
    });
  });

  describe('XML reader', () => {
    it('resolves prefixes and default namespaces, decodes entities, CDATA and character references, skips comments and PIs', () => {
      const root = parseXml(
        '\uFEFF<?xml version="1.0"?><!-- hi --><a:Envelope xmlns:a="urn:a" xmlns="urn:default">' +
          '<Body x="1 &lt; 2" a:y=\'q&quot;\'><inner xmlns="urn:other">t&amp;u &#65;&#x42;<![CDATA[<raw>]]></inner><a:empty/></Body></a:Envelope>',
      );
      assert.deepEqual([root.local, root.ns, root.prefix], ['Envelope', 'urn:a', 'a']);
      const body = childOf(root, 'Body', 'urn:default')!;
      assert.deepEqual(body.attributes.map((a) => [a.local, a.ns, a.value]), [['x', '', '1 < 2'], ['y', 'urn:a', 'q"']]);
      const inner = childOf(body, 'inner', 'urn:other');
      assert.equal(textOf(inner), 't&u AB<raw>');
      assert.equal(childOf(body, 'inner', 'urn:default'), undefined, 'matched by namespace, not only by name');
      assert.equal(childOf(body, 'empty', 'urn:a')?.children.length, 0);
    });

    it('refuses what it should: DOCTYPE and entities, undeclared prefixes, unbalanced tags, bare &, two roots, depth', () => {
      const bad = [
        '<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
        '<x>&e;</x>',
        '<p:x/>',
        '<x><y></x></y>',
        '<x>a & b</x>',
        '<x/><y/>',
        '<x a="1" a="2"/>',
        '<x a="1"b="2"/>',
        '<x>&#0;</x>',
        '<x>',
        '',
        'text',
        `${'<d>'.repeat(70)}${'</d>'.repeat(70)}`,
      ];
      for (const text of bad) assert.throws(() => parseXml(text), XmlError, text.slice(0, 40));
    });

    it('escapes the five special characters for text and attributes', () => {
      assert.equal(escapeXml(`<a href="x">Tom & 'Jerry'</a>`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;');
      assert.equal(textOf(parseXml(`<x>${escapeXml('1 < 2 & "3"')}</x>`)), '1 < 2 & "3"');
    });
  });

  describe('durations, faults, notifications', () => {
    it('reads xsd:duration and absolute termination times', () => {
      assert.equal(parseDuration('PT60S'), 60_000);
      assert.equal(parseDuration('PT0.5S'), 500);
      assert.equal(parseDuration('PT1M30S'), 90_000);
      assert.equal(parseDuration('P1DT1H'), 90_000_000);
      assert.equal(parseDuration('PT0S'), 0);
      for (const bad of ['60', 'PT', 'P', 'PT5', '-PT5S', 'PT5s']) assert.equal(parseDuration(bad), undefined, bad);
      const now = Date.UTC(2024, 10, 3, 18, 40, 0);
      assert.equal(parseTerminationTime('PT10S', now), now + 10_000);
      assert.equal(parseTerminationTime('2024-11-03T18:41:00Z', now), now + 60_000);
      assert.equal(parseTerminationTime('2024-11-03T19:41:00+01:00', now), now + 60_000);
      assert.equal(parseTerminationTime('tomorrow', now), undefined);
      assert.equal(isoTime(now + 999), '2024-11-03T18:40:00Z');
    });

    it('sends Sender faults with HTTP 400 and Receiver faults with 500, subcodes nested in order', () => {
      const auth = soapFault('Sender', ['ter:NotAuthorized'], 'Sender not Authorized');
      assert.equal(auth.status, 400);
      assert.match(auth.body, /<SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender<\/SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>ter:NotAuthorized<\/SOAP-ENV:Value><\/SOAP-ENV:Subcode><\/SOAP-ENV:Code>/);
      const nested = soapFault('Receiver', ['ter:ActionNotSupported', 'ter:NoSuchService'], 'x < y');
      assert.equal(nested.status, 500);
      assert.match(nested.body, /<SOAP-ENV:Value>ter:ActionNotSupported<\/SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>ter:NoSuchService<\/SOAP-ENV:Value><\/SOAP-ENV:Subcode><\/SOAP-ENV:Subcode>/);
      assert.match(nested.body, /x &lt; y/);
      parseXml(nested.body);
    });

    it('writes a notification with the topic, rule and data item of the table, escaping the address', () => {
      const xml = notificationMessage({ type: 'vehicle', value: true, operation: 'Changed', at: Date.UTC(2024, 10, 3, 18, 40, 43) }, 'http://h/event-0_2020?a=1&b=2');
      assert.match(xml, /<wsnt:Topic Dialect="http:\/\/www\.onvif\.org\/ver10\/tev\/topicExpression\/ConcreteSet">tns1:RuleEngine\/TPSmartEventDetector\/TPSmartEvent<\/wsnt:Topic>/);
      assert.match(xml, /<tt:Message UtcTime="2024-11-03T18:40:43Z" PropertyOperation="Changed">/);
      assert.match(xml, /<tt:SimpleItem Name="Rule" Value="MyTPSmartEventDetectorRule"\/>/);
      assert.match(xml, /<tt:Data><tt:SimpleItem Name="IsVehicle" Value="true"\/><\/tt:Data>/);
      assert.match(xml, /event-0_2020\?a=1&amp;b=2/);
      assert.deepEqual(
        Object.fromEntries(Object.entries(DETECTIONS).map(([t, d]) => [t, d.alarmType])),
        { motion: 2, person: 6, vehicle: 8, pet: 9, lineCross: 4, intrusion: 5, tamper: 3, babyCry: 7 },
      );
    });
  });
});

describe('simulator events: camera logic (events.md §3)', () => {
  let clock: ManualClock;
  const T0 = Date.UTC(2024, 10, 3, 18, 40, 0);

  function camera(name = 'C101(US)_5.0_1.4.3', data?: SimJsonObject): CameraLogic {
    if (data !== undefined) return new CameraLogic(data, { clock });
    const logic = createLogic(loadFixture(name), { clock });
    assert.ok(logic instanceof CameraLogic);
    return logic;
  }

  function named(cam: CameraLogic, method: string, params: SimJsonObject): SimJsonObject {
    const reply = cam.handle({ method: 'multipleRequest', params: { requests: [{ method, params }] } });
    const entry = ((reply.result as SimJsonObject).responses as SimJsonObject[])[0]!;
    return entry;
  }

  const lastAlarm = (cam: CameraLogic): SimJsonObject => named(cam, 'getLastAlarmInfo', { system: { name: ['last_alarm_info'] } });
  const search = (cam: CameraLogic, from: number, to: number, extra: SimJsonObject = {}): SimJsonObject =>
    named(cam, 'searchDetectionList', { playback: { search_detection_list: { start_index: 0, channel: 0, start_time: from, end_time: to, end_index: 999, ...extra } } });

  beforeEach(() => {
    clock = new ManualClock(T0);
  });

  it('getLastAlarmInfo (module system) moves with each detection start; the msg_alarm form still reads the siren configuration', () => {
    const cam = camera();
    assert.deepEqual(lastAlarm(cam).result, { system: { last_alarm_info: { last_alarm_time: '0', last_alarm_type: '' } } }, 'as captured');
    const siren = named(cam, 'getLastAlarmInfo', { msg_alarm: { name: ['chn1_msg_alarm_info'] } });
    assert.equal(siren.error_code, 0);
    assert.deepEqual(Object.keys((siren.result as SimJsonObject).msg_alarm as SimJsonObject), ['chn1_msg_alarm_info']);

    clock.advance(5000);
    assert.equal(cam.detect('person', true), true);
    assert.deepEqual(lastAlarm(cam).result, { system: { last_alarm_info: { last_alarm_time: String(T0 / 1000 + 5), last_alarm_type: 'person' } } });
    clock.advance(5000);
    assert.equal(cam.detect('person', false), true, 'the end does not move the last alarm');
    assert.deepEqual(cam.lastAlarm(), { time: String(T0 / 1000 + 5), type: 'person' });
    cam.detect('motion', true);
    // The style-B form python-kasa sends (events.md §3.1).
    const styleB = cam.handle({ method: 'get', system: { name: ['last_alarm_info'] } });
    assert.deepEqual(styleB, { system: { last_alarm_info: { last_alarm_time: String(T0 / 1000 + 10), last_alarm_type: 'motion' } }, error_code: 0 });
    assert.deepEqual(named(cam, 'getLastAlarmInfo', { msg_alarm: { name: ['chn1_msg_alarm_info'] } }).result, siren.result, 'siren configuration unchanged');
    assert.deepEqual(cam.state.lastAlarm, { time: String(T0 / 1000 + 10), type: 'motion' });
    assert.deepEqual(cam.state.activeDetections, ['motion']);
  });

  it('searchDetectionList lists detections in a time range with alarm_type and events_1, pages by index, and ends ongoing ones now', () => {
    const cam = camera();
    const s = T0 / 1000;
    cam.detect('motion', true);
    clock.advance(10_000);
    cam.detect('motion', false);
    clock.advance(50_000);
    cam.detect('vehicle', true);
    clock.advance(5_000);
    cam.detect('babyCry', true);
    clock.advance(5_000);
    const all = search(cam, s - 600, s + 600);
    assert.equal(all.error_code, 0);
    assert.deepEqual(all.result, {
      playback: {
        search_detection_list: [
          { start_time: s, end_time: s + 10, alarm_type: 2, events_1: 2 },
          { start_time: s + 60, end_time: s + 70, alarm_type: 8, events_1: 128 },
          { start_time: s + 65, end_time: s + 70, alarm_type: 7, events_1: 64 },
        ],
      },
    });
    const later = search(cam, s + 30, s + 600);
    assert.deepEqual(((later.result as SimJsonObject).playback as SimJsonObject).search_detection_list, [
      { start_time: s + 60, end_time: s + 70, alarm_type: 8, events_1: 128 },
      { start_time: s + 65, end_time: s + 70, alarm_type: 7, events_1: 64 },
    ]);
    const paged = search(cam, s - 600, s + 600, { start_index: 1, end_index: 1 });
    assert.equal((((paged.result as SimJsonObject).playback as SimJsonObject).search_detection_list as unknown[]).length, 1);
    assert.equal(search(cam, s - 600, s + 600, { start_time: '1' }).error_code, -40209);
    assert.equal(named(cam, 'searchDetectionList', {}).error_code, -40209);
  });

  it('searchDetectionList needs the playback component; a reboot ends detections', () => {
    const data = loadFixture('C101(US)_5.0_1.4.3').data;
    const components = ((data.getAppComponentList as SimJsonObject).app_component as SimJsonObject).app_component_list as SimJsonObject[];
    ((data.getAppComponentList as SimJsonObject).app_component as SimJsonObject).app_component_list = components.filter((c) => c.name !== 'playback');
    const noPlayback = camera(undefined, data);
    assert.equal(search(noPlayback, 0, 1).error_code, -40210, 'unknown method inside a batch');

    const cam = camera();
    cam.detect('motion', true);
    cam.handle({ method: 'do', system: { reboot: 'null' } });
    assert.deepEqual(cam.state.activeDetections, []);
    assert.equal(cam.detect('motion', false), false);
  });
});

describe("simulator events: a plug's button (events.md §5.4)", () => {
  let clock: ManualClock;

  function plug(name: string): PlugLogic {
    const logic = createLogic(loadFixture(name), { clock });
    assert.ok(logic instanceof PlugLogic);
    return logic;
  }

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2024, 10, 3, 18, 40, 0));
  });

  it('press() toggles the relay by hand and on_time starts again', () => {
    const p = plug('P110(UK)_1.0_1.3.0');
    const info = (): SimJsonObject => p.handle({ method: 'get_device_info' }).result as SimJsonObject;
    if (!p.state.on) p.press();
    clock.advance(120_000);
    assert.ok((info().on_time as number) >= 120);
    assert.deepEqual(p.press(), { on: false });
    assert.deepEqual([info().device_on, info().on_time], [false, 0]);
    clock.advance(30_000);
    assert.deepEqual(p.press(), { on: true });
    assert.deepEqual([info().device_on, info().on_time], [true, 0]);
    clock.advance(7_000);
    assert.equal(info().on_time, 7);
    assert.throws(() => p.press(1), /only for strips/);
  });

  it('on a strip, press(position) toggles that socket only', () => {
    const strip = plug('P300(EU)_1.0_1.0.15');
    const before = strip.state.children!;
    const second = before.find((c) => c.position === 2)!;
    assert.deepEqual(strip.press(2), { on: !second.on, position: 2 });
    const after = strip.state.children!;
    assert.deepEqual(after.map((c) => c.on), before.map((c) => (c.position === 2 ? !c.on : c.on)));
    assert.throws(() => strip.press(), /say which socket/);
    assert.throws(() => strip.press(9), /no socket at position 9/);
  });
});

describe('the simulator is independent of the client', () => {
  it('no file under src/simulator imports src/protocol, src/connection, src/devices or src/nodes', () => {
    const root = path.resolve(__dirname, '../../src/simulator');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.ts')) files.push(full);
      }
    };
    walk(root);
    assert.ok(files.some((f) => f.endsWith(path.join('onvif', 'server.ts'))));
    const forbidden = ['protocol', 'connection', 'devices', 'nodes'].map((d) => path.resolve(__dirname, '../../src', d));
    const offending: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)['"]([^'"]+)['"]/g)) {
        const spec = m[1] ?? '';
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec);
        if (forbidden.some((f) => target === f || target.startsWith(f + path.sep))) offending.push(`${path.relative(root, file)} → ${spec}`);
      }
    }
    assert.deepEqual(offending, []);
  });
});
