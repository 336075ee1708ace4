/**
 * The simulated camera's ONVIF server over 127.0.0.1, driven with hand-written SOAP requests
 * (onvif-soap.ts): the device service, the PullPoint life cycle of events.md §2.5 (subscribe,
 * pull, renew, unsubscribe, SetSynchronizationPoint), the camera-account digest, every detection
 * type's topic and data item (§2.7), the ONVIF faults (C225 Initialized flood, C220 idle close,
 * broken pull point, subscriptions dropped, port closed) and a reboot.
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';

import { ManualClock, parseXml, startDevice } from '../../src/simulator';
import type { OnvifRequestInfo, SimulatedDevice, StartDeviceOptions } from '../../src/simulator';
import type { CameraLogic } from '../../src/simulator/logic/camera';
import { TinyOnvif, envelope, fault, notifications, post, securityHeader, texts } from './onvif-soap';

/** Privacy mode off (C101 fixture): the camera detects. */
const CAMERA = 'C101(US)_5.0_1.4.3';

/** Resolves when the camera holds a pull (the `onvif` event with status `held`). */
function whenHeld(device: SimulatedDevice): Promise<OnvifRequestInfo> {
  return new Promise((resolve) => {
    const listener = (info: OnvifRequestInfo): void => {
      if (info.status !== 'held') return;
      device.off('onvif', listener);
      resolve(info);
    };
    device.on('onvif', listener);
  });
}

/** Whether the reply is well-formed XML with every prefix declared (the simulator's own reader, as a check of balance and scope). */
function wellFormed(xml: string): boolean {
  parseXml(xml);
  return true;
}

describe('simulated camera: ONVIF (events.md §2)', function () {
  this.timeout(10_000);
  const devices: SimulatedDevice[] = [];
  let clock: ManualClock;

  async function camera(options: Partial<StartDeviceOptions> = {}): Promise<{ device: SimulatedDevice; onvif: TinyOnvif }> {
    const device = await startDevice({ fixture: CAMERA, onvifPort: 0, clock, ...options });
    devices.push(device);
    return { device, onvif: new TinyOnvif(device.onvifPort!) };
  }

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2024, 10, 3, 18, 40, 0));
  });

  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.stop()));
  });

  describe('device service', () => {
    it('GetCapabilities names /onvif/service as the XAddr of every service, with WSPullPointSupport true', async () => {
      const { device, onvif } = await camera();
      const port = device.onvifPort!;
      assert.equal(device.describe().onvifPort, port);
      for (const path of ['/onvif/device_service', '/onvif/service']) {
        const events = await onvif.call(path, '<tds:GetCapabilities><tds:Category>Events</tds:Category></tds:GetCapabilities>');
        assert.equal(events.status, 200);
        assert.match(String(events.headers['content-type']), /^application\/soap\+xml; charset=utf-8$/);
        assert.ok(wellFormed(events.body));
        assert.match(events.body, /<SOAP-ENV:Envelope /, 'gSOAP-style prefix');
        assert.deepEqual(texts(events.body, 'XAddr'), [`http://127.0.0.1:${port}/onvif/service`]);
        assert.deepEqual(texts(events.body, 'WSPullPointSupport'), ['true']);
      }
      const all = await onvif.call('/onvif/device_service', '<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>');
      assert.deepEqual(texts(all.body, 'XAddr'), [`http://127.0.0.1:${port}/onvif/service`, `http://127.0.0.1:${port}/onvif/service`]);
      const media = await onvif.call('/onvif/device_service', '<tds:GetCapabilities><tds:Category>Media</tds:Category></tds:GetCapabilities>');
      assert.equal(media.status, 500);
      assert.deepEqual(fault(media.body).subcodes, ['ter:ActionNotSupported', 'ter:NoSuchService']);
    });

    it('GetServices, GetDeviceInformation, and GetSystemDateAndTime (the one request that needs no account)', async () => {
      const { device, onvif } = await camera();
      const services = await onvif.call('/onvif/device_service', '<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>');
      assert.deepEqual(texts(services.body, 'Namespace'), ['http://www.onvif.org/ver10/device/wsdl', 'http://www.onvif.org/ver10/events/wsdl']);
      assert.deepEqual(new Set(texts(services.body, 'XAddr')), new Set([`http://127.0.0.1:${device.onvifPort!}/onvif/service`]));
      assert.match(services.body, /WSPullPointSupport="true"/);

      const info = await onvif.call('/onvif/device_service', '<tds:GetDeviceInformation/>');
      assert.deepEqual(texts(info.body, 'Model'), ['C101']);
      assert.match(texts(info.body, 'FirmwareVersion')[0] ?? '', /^1\.4\.3 Build /);
      assert.deepEqual(texts(info.body, 'SerialNumber'), [device.fixture.mac.replace(/-/g, '')]);

      const time = await post(device.onvifPort!, '/onvif/device_service', envelope('<tds:GetSystemDateAndTime/>'));
      assert.equal(time.status, 200);
      const utc = /<tt:UTCDateTime>([\s\S]*?)<\/tt:UTCDateTime>/.exec(time.body)?.[1] ?? '';
      assert.deepEqual([texts(utc, 'Year'), texts(utc, 'Month'), texts(utc, 'Day'), texts(utc, 'Hour'), texts(utc, 'Minute')].flat(), ['2024', '11', '3', '18', '40']);
    });
  });

  describe('camera account (WS-Security UsernameToken digest)', () => {
    it('refuses a wrong password, a wrong user, no token, a PasswordText token and the admin account: Sender / ter:NotAuthorized, HTTP 400', async () => {
      const { device, onvif } = await camera({ cameraAccount: { username: 'camuser', password: 'userpassword' } });
      const port = device.onvifPort!;
      const body = '<tds:GetCapabilities><tds:Category>Events</tds:Category></tds:GetCapabilities>';
      const refused = [
        securityHeader('camuser', 'wrong'),
        securityHeader('someone', 'userpassword'),
        securityHeader('admin', 'tapo-sim'),
        securityHeader('camuser', 'userpassword', { type: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText' }),
        '',
      ];
      for (const header of refused) {
        const reply = await post(port, '/onvif/device_service', envelope(body, header));
        assert.equal(reply.status, 400, header);
        assert.deepEqual(fault(reply.body), { code: 'SOAP-ENV:Sender', subcodes: ['ter:NotAuthorized'], reason: 'Sender not Authorized' });
        assert.ok(wellFormed(reply.body));
      }
      const accepted = await post(port, '/onvif/device_service', envelope(body, securityHeader('camuser', 'userpassword')));
      assert.equal(accepted.status, 200);
      // The default account of a camera started without one.
      const other = await camera();
      assert.equal((await other.onvif.call('/onvif/service', body)).status, 200);
      assert.equal(onvif.username, 'tapo-cam');
    });

    it('accepts the token of events.md §2.3 with its own nonce and creation time (the digest vector)', async () => {
      const { device } = await camera({ cameraAccount: { username: 'camuser', password: 'userpassword' } });
      const header = securityHeader('camuser', 'userpassword', { nonce: Buffer.from('LKqI6G/AikKCQrN0zqZFlg==', 'base64'), created: '2010-09-16T07:50:45Z' });
      assert.match(header, /tuOSpGlFlIXsozq4HFNeeGeFLEI=/);
      const reply = await post(device.onvifPort!, '/onvif/service', envelope('<tds:GetDeviceInformation/>', header));
      assert.equal(reply.status, 200);
    });

    it('reads requests by local name and namespace: other prefixes, a default namespace and WS-Addressing headers', async () => {
      const { device } = await camera();
      const header = securityHeader('tapo-cam', 'tapo-sim-cam').replace(/s:mustUnderstand/, 'env:mustUnderstand');
      const text =
        '<?xml version="1.0"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">' +
        `<env:Header><a:Action env:mustUnderstand="1">http://www.onvif.org/ver10/device/wsdl/GetCapabilities</a:Action>${header}</env:Header>` +
        '<env:Body><GetCapabilities xmlns="http://www.onvif.org/ver10/device/wsdl"><Category>Events</Category></GetCapabilities></env:Body></env:Envelope>';
      const reply = await post(device.onvifPort!, '/onvif/device_service', text);
      assert.equal(reply.status, 200, reply.body);
      assert.equal(texts(reply.body, 'WSPullPointSupport')[0], 'true');
    });

    it('answers malformed XML, a SOAP 1.1 envelope, an unknown operation, another method and another path as ONVIF says', async () => {
      const { device, onvif } = await camera();
      const port = device.onvifPort!;
      const broken = await post(port, '/onvif/service', '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>');
      assert.equal(broken.status, 400);
      assert.deepEqual(fault(broken.body).subcodes, ['ter:WellFormed']);
      const entity = await post(port, '/onvif/service', '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>');
      assert.deepEqual(fault(entity.body).subcodes, ['ter:WellFormed']);
      const soap11 = await post(port, '/onvif/service', '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>');
      assert.equal(soap11.status, 500);
      assert.equal(fault(soap11.body).code, 'SOAP-ENV:VersionMismatch');
      const unknown = await onvif.call('/onvif/service', '<tds:GetProfiles/>');
      assert.equal(unknown.status, 500);
      assert.deepEqual(fault(unknown.body), { code: 'SOAP-ENV:Receiver', subcodes: ['ter:ActionNotSupported'], reason: 'GetProfiles is not supported' });
      assert.equal((await post(port, '/onvif/service', '', 'GET')).status, 405);
      assert.equal((await post(port, '/onvif/events_service', envelope('<tev:GetEventProperties/>'))).status, 404, 'a Tapo camera has no /onvif/events_service (§2.2)');
    });
  });

  describe('PullPoint subscription', () => {
    it('CreatePullPointSubscription answers an event-<n>_<port> address with CurrentTime and TerminationTime (60 s by default)', async () => {
      const { device, onvif } = await camera();
      const port = device.onvifPort!;
      const first = await onvif.subscribe('PT120S');
      assert.equal(first.address, `http://127.0.0.1:${port}/event-0_${port}`);
      assert.deepEqual(texts(first.reply.body, 'CurrentTime'), ['2024-11-03T18:40:00Z']);
      assert.deepEqual(texts(first.reply.body, 'TerminationTime'), ['2024-11-03T18:42:00Z']);
      const second = await onvif.subscribe();
      assert.equal(second.path, `/event-1_${port}`);
      assert.deepEqual(texts(second.reply.body, 'TerminationTime'), ['2024-11-03T18:41:00Z']);
      const absolute = await onvif.subscribe('2024-11-03T18:45:00Z');
      assert.deepEqual(texts(absolute.reply.body, 'TerminationTime'), ['2024-11-03T18:45:00Z']);
      const bad = await onvif.subscribe('soon');
      assert.equal(bad.reply.status, 400);
      assert.deepEqual(fault(bad.reply.body).subcodes, ['ter:InvalidArgVal']);
      assert.equal(device.onvifServer!.subscriptionCount(), 3);
    });

    it('a held pull answers with the motion event once detect() runs, with the topic and data item of §2.7', async () => {
      const { device, onvif } = await camera();
      const sub = await onvif.subscribe();
      const held = whenHeld(device);
      const pending = onvif.pull(sub.path, 'PT10S');
      await held;
      clock.advance(3000);
      const result = device.detect({ type: 'motion' });
      assert.deepEqual(result, { type: 'motion', active: true, changed: true, time: Date.UTC(2024, 10, 3, 18, 40, 3) / 1000, onvifSubscriptions: 1 });
      const reply = await pending;
      assert.equal(reply.status, 200);
      assert.ok(wellFormed(reply.body));
      assert.deepEqual(texts(reply.body, 'CurrentTime'), ['2024-11-03T18:40:03Z']);
      assert.deepEqual(texts(reply.body, 'TerminationTime'), ['2024-11-03T18:41:00Z']);
      assert.deepEqual(notifications(reply.body), [
        {
          topic: 'tns1:RuleEngine/CellMotionDetector/Motion',
          utcTime: '2024-11-03T18:40:03Z',
          operation: 'Changed',
          source: { VideoSourceConfigurationToken: 'vsconf', VideoAnalyticsConfigurationToken: 'VideoAnalyticsToken', Rule: 'MyMotionDetectorRule' },
          data: { IsMotion: 'true' },
          subscription: sub.address,
        },
      ]);
      assert.match(reply.body, /<wsnt:Topic Dialect="http:\/\/www\.onvif\.org\/ver10\/tev\/topicExpression\/ConcreteSet">/);

      clock.advance(2000);
      assert.equal(device.detect({ type: 'motion', active: false }).changed, true);
      const ended = notifications((await onvif.pull(sub.path, 'PT1S')).body);
      assert.deepEqual(ended.map((n) => [n.data, n.operation, n.utcTime]), [[{ IsMotion: 'false' }, 'Changed', '2024-11-03T18:40:05Z']]);
      assert.deepEqual(device.detect({ type: 'motion', active: false }), { type: 'motion', active: false, changed: false, time: Date.UTC(2024, 10, 3, 18, 40, 5) / 1000, onvifSubscriptions: 0 });
    });

    it('a pull with nothing to deliver waits for its Timeout and answers empty', async () => {
      const { onvif } = await camera();
      const sub = await onvif.subscribe();
      const started = Date.now();
      const reply = await onvif.pull(sub.path, 'PT0.3S');
      assert.ok(Date.now() - started >= 250, 'held until the timeout');
      assert.equal(reply.status, 200);
      assert.deepEqual(notifications(reply.body), []);
      assert.equal(texts(reply.body, 'CurrentTime').length, 1);
    });

    it('MessageLimit caps a reply; the rest waits for the next pull, oldest first', async () => {
      const { device, onvif } = await camera();
      const sub = await onvif.subscribe();
      device.detect({ type: 'motion' });
      device.detect({ type: 'person' });
      device.detect({ type: 'motion', active: false });
      const first = notifications((await onvif.pull(sub.path, 'PT1S', 2)).body);
      assert.deepEqual(first.map((n) => n.data), [{ IsMotion: 'true' }, { IsPeople: 'true' }]);
      const rest = notifications((await onvif.pull(sub.path, 'PT1S', 2)).body);
      assert.deepEqual(rest.map((n) => n.data), [{ IsMotion: 'false' }]);
    });

    it('every detection type arrives with its topic, data item and rule; baby cry is not on ONVIF', async () => {
      const { device, onvif } = await camera();
      const sub = await onvif.subscribe();
      for (const type of ['person', 'vehicle', 'pet', 'lineCross', 'intrusion', 'tamper', 'babyCry'] as const) device.detect({ type });
      const got = notifications((await onvif.pull(sub.path, 'PT1S')).body).map((n) => [n.topic, Object.keys(n.data)[0], n.source.Rule]);
      assert.deepEqual(got, [
        ['tns1:RuleEngine/PeopleDetector/People', 'IsPeople', 'MyPeopleDetectorRule'],
        ['tns1:RuleEngine/TPSmartEventDetector/TPSmartEvent', 'IsVehicle', 'MyTPSmartEventDetectorRule'],
        ['tns1:RuleEngine/TPSmartEventDetector/TPSmartEvent', 'IsPet', 'MyTPSmartEventDetectorRule'],
        ['tns1:RuleEngine/CellMotionDetector/LineCross', 'IsLineCross', 'MyLineCrossDetectorRule'],
        ['tns1:RuleEngine/CellMotionDetector/Intrusion', 'IsIntrusion', 'MyIntrusionDetectorRule'],
        ['tns1:RuleEngine/CellMotionDetector/Tamper', 'IsTamper', 'MyTamperDetectorRule'],
      ]);
      assert.equal(device.detect({ type: 'babyCry', active: false }).onvifSubscriptions, 0);
    });

    it('every live subscription gets each event', async () => {
      const { device, onvif } = await camera();
      const a = await onvif.subscribe();
      const b = await onvif.subscribe();
      assert.equal(device.detect({ type: 'motion' }).onvifSubscriptions, 2);
      for (const sub of [a, b]) assert.deepEqual(notifications((await onvif.pull(sub.path, 'PT1S')).body)[0]?.subscription, sub.address);
    });

    it('Renew moves the termination time; the subscription then ends at the new time (device clock)', async () => {
      const { onvif } = await camera();
      const sub = await onvif.subscribe('PT60S');
      clock.advance(50_000);
      const renew = await onvif.call(sub.path, '<wsnt:Renew><wsnt:TerminationTime>PT60S</wsnt:TerminationTime></wsnt:Renew>');
      assert.equal(renew.status, 200);
      assert.match(renew.body, /<wsnt:RenewResponse>/);
      assert.deepEqual(texts(renew.body, 'TerminationTime'), ['2024-11-03T18:41:50Z']);
      clock.advance(30_000); // 80 s after subscribing: past the first termination time
      const alive = await onvif.pull(sub.path, 'PT0S');
      assert.equal(alive.status, 200);
      assert.deepEqual(texts(alive.body, 'TerminationTime'), ['2024-11-03T18:41:50Z']);
      clock.advance(30_000);
      const gone = await onvif.pull(sub.path, 'PT0S');
      assert.equal(gone.status, 400);
      assert.deepEqual(fault(gone.body), { code: 'SOAP-ENV:Sender', subcodes: ['ter:InvalidArgVal'], reason: 'The subscription is unknown or has expired' });
      const renewGone = await onvif.call(sub.path, '<wsnt:Renew><wsnt:TerminationTime>PT60S</wsnt:TerminationTime></wsnt:Renew>');
      assert.equal(renewGone.status, 400);
    });

    it('a pull does not extend the subscription: only Renew does', async () => {
      const { onvif } = await camera();
      const sub = await onvif.subscribe('PT10S');
      clock.advance(9000);
      assert.equal((await onvif.pull(sub.path, 'PT0S')).status, 200);
      clock.advance(1000);
      assert.equal((await onvif.pull(sub.path, 'PT0S')).status, 400);
    });

    it('Unsubscribe ends the subscription; a pull held on it gets the fault', async () => {
      const { device, onvif } = await camera();
      const sub = await onvif.subscribe();
      const held = whenHeld(device);
      const pending = onvif.pull(sub.path, 'PT10S');
      await held;
      const reply = await onvif.call(sub.path, '<wsnt:Unsubscribe/>');
      assert.equal(reply.status, 200);
      assert.match(reply.body, /<wsnt:UnsubscribeResponse\/>/);
      assert.match(reply.body, /SubscriptionManager\/UnsubscribeResponse<\/wsa5:Action>/);
      assert.equal((await pending).status, 400);
      assert.equal((await onvif.pull(sub.path, 'PT0S')).status, 400);
      assert.equal(device.onvifServer!.subscriptionCount(), 0);
    });

    it('SetSynchronizationPoint re-sends the value of every property as Initialized', async () => {
      const { device, onvif } = await camera();
      device.detect({ type: 'motion' });
      const sub = await onvif.subscribe();
      const sync = await onvif.call(sub.path, '<tev:SetSynchronizationPoint/>');
      assert.equal(sync.status, 200);
      assert.match(sync.body, /<tev:SetSynchronizationPointResponse\/>/);
      const state = notifications((await onvif.pull(sub.path, 'PT1S')).body);
      assert.ok(state.every((n) => n.operation === 'Initialized'));
      assert.deepEqual(
        state.map((n) => n.data),
        [{ IsMotion: 'true' }, { IsPeople: 'false' }, { IsVehicle: 'false' }, { IsPet: 'false' }, { IsLineCross: 'false' }, { IsIntrusion: 'false' }, { IsTamper: 'false' }],
      );
    });

    it('GetEventProperties declares the topics and data items the camera sends', async () => {
      const { onvif } = await camera();
      const reply = await onvif.call('/onvif/service', '<tev:GetEventProperties/>');
      assert.equal(reply.status, 200);
      assert.ok(wellFormed(reply.body));
      const items = [...reply.body.matchAll(/<tt:Data>([\s\S]*?)<\/tt:Data>/g)].flatMap((m) => [...(m[1] ?? '').matchAll(/Name="(\w+)"/g)].map((n) => n[1]));
      assert.deepEqual(items.sort(), ['IsIntrusion', 'IsLineCross', 'IsMotion', 'IsPeople', 'IsPet', 'IsTamper', 'IsVehicle']);
      assert.match(reply.body, /<tns1:CellMotionDetector><tns1:Motion wstop:topic="true">/);
    });

    it('privacy mode silences detections (events.md §2.9)', async () => {
      const { device, onvif } = await camera({ fixture: 'C210(EU)_2.0_1.4.3' });
      assert.equal((device.logic as CameraLogic).state.privacyMode, true, 'captured with the lens mask on');
      const sub = await onvif.subscribe();
      assert.deepEqual(device.detect({ type: 'motion' }).ignored, 'privacy');
      assert.deepEqual(notifications((await onvif.pull(sub.path, 'PT0.1S')).body), []);
    });
  });

  describe('faults', () => {
    it('onvifDropSubscriptions (POST /__sim/faults): every subscription is forgotten, the next pull gets a fault, a new one works', async () => {
      const { device, onvif } = await camera();
      const sub = await onvif.subscribe();
      const held = whenHeld(device);
      const pending = onvif.pull(sub.path, 'PT10S');
      await held;
      const set = await device.setFaults({ onvifDropSubscriptions: true });
      assert.equal(set.onvifDropSubscriptions, false, 'a one-shot action');
      assert.equal((await pending).status, 400, 'the held pull learns at once');
      assert.equal((await onvif.pull(sub.path, 'PT0S')).status, 400);
      const again = await onvif.subscribe();
      device.detect({ type: 'motion' });
      assert.equal(notifications((await onvif.pull(again.path, 'PT1S')).body).length, 1);

      // Set from code in place: acted on at the next ONVIF request.
      device.faults.onvifDropSubscriptions = true;
      assert.equal((await onvif.pull(again.path, 'PT0S')).status, 400);
      assert.equal(device.faults.onvifDropSubscriptions, false);
    });

    it('onvifInitializedFlood (C225): while a detection lasts, batches of Initialized every interval instead of one Changed', async () => {
      const { device, onvif } = await camera();
      await device.setFaults({ onvifInitializedFlood: true, onvifFloodIntervalMs: 100 });
      const sub = await onvif.subscribe();
      device.detect({ type: 'motion' });
      const first = notifications((await onvif.pull(sub.path, 'PT1S')).body);
      assert.equal(first.length, 7);
      assert.ok(first.every((n) => n.operation === 'Initialized'));
      assert.deepEqual(first[0]?.data, { IsMotion: 'true' });
      const started = Date.now();
      const second = notifications((await onvif.pull(sub.path, 'PT2S')).body);
      assert.equal(second.length, 7, 'the next batch');
      assert.ok(Date.now() - started >= 50);
      device.detect({ type: 'motion', active: false });
      await onvif.pull(sub.path, 'PT0S'); // a batch may have been queued just before the end
      assert.deepEqual(notifications((await onvif.pull(sub.path, 'PT0.3S')).body), [], 'no Changed/false: the end is silent');
    });

    it('onvifIdleClose (C220): an idle pull is closed without an answer after onvifIdleCloseMs; short and busy pulls are answered', async () => {
      const { device, onvif } = await camera();
      await device.setFaults({ onvifIdleClose: true, onvifIdleCloseMs: 150 });
      const sub = await onvif.subscribe();
      const started = Date.now();
      await assert.rejects(onvif.pull(sub.path, 'PT5S'), /socket hang up|ECONNRESET/);
      assert.ok(Date.now() - started < 3000);
      assert.equal((await onvif.pull(sub.path, 'PT0.1S')).status, 200, 'a Timeout below the close is answered');
      device.detect({ type: 'motion' });
      assert.equal(notifications((await onvif.pull(sub.path, 'PT5S')).body).length, 1, 'a pull with messages is answered at once');
      assert.equal(device.onvifServer!.subscriptionCount(), 1, 'the subscription survives');
    });

    it('onvifBrokenPullPoint: subscriptions work, nothing is ever delivered', async () => {
      const { device, onvif } = await camera();
      await device.setFaults({ onvifBrokenPullPoint: true });
      const sub = await onvif.subscribe();
      assert.equal(device.detect({ type: 'motion' }).onvifSubscriptions, 0);
      assert.equal((await onvif.call(sub.path, '<tev:SetSynchronizationPoint/>')).status, 200);
      const reply = await onvif.pull(sub.path, 'PT0.2S');
      assert.equal(reply.status, 200);
      assert.deepEqual(notifications(reply.body), []);
      assert.equal((device.logic as CameraLogic).state.lastAlarm?.type, 'motion', 'the control API still sees it');
    });

    it('onvifDown closes the port (connection refused) and forgets subscriptions; turning it off opens the same port', async () => {
      const { device, onvif } = await camera();
      const port = device.onvifPort!;
      const sub = await onvif.subscribe();
      await device.setFaults({ onvifDown: true });
      await assert.rejects(onvif.call('/onvif/service', '<tds:GetDeviceInformation/>'), /ECONNREFUSED/);
      await device.setFaults({ onvifDown: false });
      assert.equal(device.onvifPort, port);
      assert.equal((await onvif.call('/onvif/service', '<tds:GetDeviceInformation/>')).status, 200);
      assert.equal((await onvif.pull(sub.path, 'PT0S')).status, 400);
    });

    it('the device faults http500, dropConnections and hang apply to ONVIF too', async () => {
      const { device, onvif } = await camera();
      device.faults.http500 = true;
      assert.equal((await onvif.call('/onvif/service', '<tds:GetDeviceInformation/>')).status, 500);
      device.faults.http500 = false;
      device.faults.dropConnections = true;
      await assert.rejects(onvif.call('/onvif/service', '<tds:GetDeviceInformation/>'), /socket hang up|ECONNRESET/);
      device.faults.dropConnections = false;
      device.faults.hang = true;
      let answered = false;
      const hung = onvif.call('/onvif/service', '<tds:GetDeviceInformation/>').then(
        () => (answered = true),
        () => undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(answered, false);
      await device.stop();
      await hung;
    });

    it('a reboot forgets every subscription and ends detections; the port refuses until the camera is up again', async () => {
      const { device, onvif } = await camera();
      const sub = await onvif.subscribe();
      device.detect({ type: 'motion' });
      const down = once(device, 'down');
      void device.reboot(5);
      await down;
      await assert.rejects(onvif.call('/onvif/service', '<tds:GetDeviceInformation/>'), /ECONNREFUSED/);
      assert.deepEqual((device.logic as CameraLogic).state.activeDetections, []);
      assert.equal(device.detect({ type: 'motion' }).ignored, 'down');
      clock.advance(5000);
      await device.whenUp();
      assert.equal((await onvif.pull(sub.path, 'PT0S')).status, 400);
      const again = await onvif.subscribe();
      assert.equal(again.path, `/event-1_${device.onvifPort!}`, 'a new number: the old address stays dead');
    });
  });

  it('refuses ONVIF on a plug', async () => {
    await assert.rejects(startDevice({ fixture: 'P110(UK)_1.0_1.3.0', onvifPort: 0 }), /ONVIF is a camera service/);
  });
});
