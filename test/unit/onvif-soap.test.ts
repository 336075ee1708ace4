/**
 * The pure part of the ONVIF events client (src/protocol/onvif-soap.ts) and its XML reader
 * (src/protocol/xml.ts): the WS-Security digest pinned by the known answer of events.md §2.3, the
 * request envelopes, and the replies of events.md §2.5-§2.6 as a Tapo camera writes them
 * (`SOAP-ENV`, `wsa5` prefixes) and as others do (default namespaces, other prefixes).
 */
import { strict as assert } from 'node:assert';

import { TapoError } from '../../src/protocol/errors';
import {
  ONVIF_BODIES,
  describeFault,
  grantedLifetimeMs,
  isNotAuthorized,
  isNotSupported,
  normalizeTopic,
  passwordDigest,
  readEventsXAddr,
  readPullMessages,
  readRenew,
  readSoapReply,
  readSubscription,
  securityHeader,
  soapEnvelope,
  xsdDateTime,
} from '../../src/protocol/onvif-soap';
import { XML_LIMITS, parseXml, xmlAttribute, xmlChild, xmlPath, xmlText } from '../../src/protocol/xml';

/** events.md §2.3, from the ONVIF Application Programmer's Guide. */
const VECTOR = { nonce: 'LKqI6G/AikKCQrN0zqZFlg==', created: '2010-09-16T07:50:45Z', password: 'userpassword', digest: 'tuOSpGlFlIXsozq4HFNeeGeFLEI=' };

const NS_DECL =
  'xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa5="http://www.w3.org/2005/08/addressing" ' +
  'xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" ' +
  'xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"';

/** events.md §2.5 c, verbatim. */
const CREATE_REPLY = `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
    xmlns:wsa5="http://www.w3.org/2005/08/addressing" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"
    xmlns:tev="http://www.onvif.org/ver10/events/wsdl">
  <SOAP-ENV:Body>
    <tev:CreatePullPointSubscriptionResponse>
      <tev:SubscriptionReference>
        <wsa5:Address>http://192.168.56.127:2020/event-0_2020</wsa5:Address>
      </tev:SubscriptionReference>
      <wsnt:CurrentTime>2024-11-03T18:40:00Z</wsnt:CurrentTime>
      <wsnt:TerminationTime>2024-11-03T18:41:00Z</wsnt:TerminationTime>
    </tev:CreatePullPointSubscriptionResponse>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>`;

/** events.md §2.6, verbatim. */
const NOTIFICATION = `<wsnt:NotificationMessage>
  <wsnt:SubscriptionReference><wsa5:Address>http://192.168.56.127:2020/event-0_2020</wsa5:Address></wsnt:SubscriptionReference>
  <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:RuleEngine/PeopleDetector/People</wsnt:Topic>
  <wsnt:ProducerReference><wsa5:Address>http://192.168.56.127:5656/event</wsa5:Address></wsnt:ProducerReference>
  <wsnt:Message>
    <tt:Message UtcTime="2024-11-03T18:40:43Z" PropertyOperation="Changed">
      <tt:Source>
        <tt:SimpleItem Name="VideoSourceConfigurationToken" Value="vsconf"/>
        <tt:SimpleItem Name="VideoAnalyticsConfigurationToken" Value="VideoAnalyticsToken"/>
        <tt:SimpleItem Name="Rule" Value="MyPeopleDetectorRule"/>
      </tt:Source>
      <tt:Data>
        <tt:SimpleItem Name="IsPeople" Value="true"/>
      </tt:Data>
    </tt:Message>
  </wsnt:Message>
</wsnt:NotificationMessage>`;

/** events.md §2.5 e's reply shape with the §2.6 message, and a second message with a trailing `//.` topic. */
const PULL_REPLY = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope ${NS_DECL}>
  <SOAP-ENV:Header><wsa5:Action>http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesResponse</wsa5:Action></SOAP-ENV:Header>
  <SOAP-ENV:Body>
    <tev:PullMessagesResponse>
      <tev:CurrentTime>2024-11-03T18:40:43Z</tev:CurrentTime>
      <tev:TerminationTime>2024-11-03T18:41:43Z</tev:TerminationTime>
      ${NOTIFICATION}
      <wsnt:NotificationMessage>
        <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:RuleEngine/CellMotionDetector/Motion//.</wsnt:Topic>
        <wsnt:Message><tt:Message UtcTime="2024-11-03T18:40:44Z" PropertyOperation="Initialized">
          <tt:Source><tt:SimpleItem Name="Rule" Value="MyMotionDetectorRule"/></tt:Source>
          <tt:Data><tt:SimpleItem Name="IsMotion" Value="false"/></tt:Data>
        </tt:Message></wsnt:Message>
      </wsnt:NotificationMessage>
    </tev:PullMessagesResponse>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>`;

function body(xml: string) {
  const reply = readSoapReply(parseXml(xml));
  assert.ok(reply !== undefined && reply.fault === undefined, 'a reply without a fault');
  return reply.body;
}

function refused(xml: string, pattern: RegExp): void {
  assert.throws(
    () => parseXml(xml),
    (e: unknown) => e instanceof TapoError && e.kind === 'Device' && e.reason === 'xmlMalformed' && pattern.test(e.message),
  );
}

describe('ONVIF SOAP (events.md §2)', () => {
  describe('WS-Security UsernameToken (§2.3)', () => {
    it('reproduces the known answer: BASE64(SHA1(nonce ‖ created ‖ password))', () => {
      assert.equal(passwordDigest(Buffer.from(VECTOR.nonce, 'base64'), VECTOR.created, VECTOR.password), VECTOR.digest);
    });

    it('writes the header of §2.3 with the digest, the base64 nonce and Created as given', () => {
      const header = securityHeader('camuser', VECTOR.password, Buffer.from(VECTOR.nonce, 'base64'), VECTOR.created);
      const root = parseXml(soapEnvelope(header, ONVIF_BODIES.pullMessages(5, 100)));
      const token = xmlPath(root, 'Header', 'Security', 'UsernameToken');
      assert.equal(xmlText(xmlChild(token, 'Username')), 'camuser');
      assert.equal(xmlText(xmlChild(token, 'Password')), VECTOR.digest);
      assert.match(xmlAttribute(xmlChild(token, 'Password'), 'Type') ?? '', /#PasswordDigest$/);
      assert.equal(xmlText(xmlChild(token, 'Nonce')), VECTOR.nonce);
      assert.equal(xmlText(xmlChild(token, 'Created')), VECTOR.created);
      assert.equal(xmlChild(token, 'Created')?.ns, 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd');
      assert.equal(xmlAttribute(xmlPath(root, 'Header', 'Security'), 'mustUnderstand'), '1');
      const pull = xmlPath(root, 'Body', 'PullMessages');
      assert.equal(pull?.ns, 'http://www.onvif.org/ver10/events/wsdl');
      assert.deepEqual([xmlText(xmlChild(pull, 'Timeout')), xmlText(xmlChild(pull, 'MessageLimit'))], ['PT5S', '100']);
    });

    it('escapes the user name; Created has no milliseconds', () => {
      const header = securityHeader('a<b&"c', 'p', Buffer.alloc(16), '2026-05-30T10:30:45Z');
      assert.equal(xmlText(xmlPath(parseXml(header), 'UsernameToken', 'Username')), 'a<b&"c');
      assert.equal(xsdDateTime(Date.UTC(2026, 4, 30, 10, 30, 45, 123)), '2026-05-30T10:30:45Z');
    });

    it('the bodies of the PullPoint flow (§2.5)', () => {
      assert.equal(ONVIF_BODIES.getEventsCapabilities(), '<tds:GetCapabilities><tds:Category>Events</tds:Category></tds:GetCapabilities>');
      assert.equal(
        ONVIF_BODIES.createPullPointSubscription(60),
        '<tev:CreatePullPointSubscription><tev:InitialTerminationTime>PT60S</tev:InitialTerminationTime></tev:CreatePullPointSubscription>',
      );
      assert.equal(ONVIF_BODIES.renew(60), '<wsnt:Renew><wsnt:TerminationTime>PT60S</wsnt:TerminationTime></wsnt:Renew>');
      assert.equal(ONVIF_BODIES.setSynchronizationPoint(), '<tev:SetSynchronizationPoint/>');
      assert.equal(ONVIF_BODIES.unsubscribe(), '<wsnt:Unsubscribe/>');
    });
  });

  describe('replies', () => {
    it('CreatePullPointSubscriptionResponse of §2.5 c: the address verbatim and the granted lifetime on the camera clock', () => {
      const sub = readSubscription(body(CREATE_REPLY));
      assert.deepEqual(sub, {
        address: 'http://192.168.56.127:2020/event-0_2020',
        currentTime: Date.UTC(2024, 10, 3, 18, 40, 0),
        terminationTime: Date.UTC(2024, 10, 3, 18, 41, 0),
      });
      assert.equal(grantedLifetimeMs(sub!, 60_000), 60_000);
      // A camera clock an hour off changes nothing: only the difference counts.
      assert.equal(grantedLifetimeMs({ currentTime: 3_600_000, terminationTime: 3_630_000 }, 60_000), 30_000);
      // Missing or broken relative times: what was asked.
      assert.equal(grantedLifetimeMs({ currentTime: 10_000 }, 60_000), 60_000);
      assert.equal(grantedLifetimeMs({ currentTime: 10_000, terminationTime: 10_000 }, 60_000), 60_000);
    });

    it('PullMessagesResponse of §2.5 e / §2.6 with SOAP-ENV and wsa5 prefixes: every field by local name, in order', () => {
      assert.deepEqual(readPullMessages(body(PULL_REPLY)), [
        {
          topic: 'tns1:RuleEngine/PeopleDetector/People',
          operation: 'Changed',
          utcTime: '2024-11-03T18:40:43Z',
          source: { VideoSourceConfigurationToken: 'vsconf', VideoAnalyticsConfigurationToken: 'VideoAnalyticsToken', Rule: 'MyPeopleDetectorRule' },
          data: { IsPeople: 'true' },
        },
        {
          topic: 'tns1:RuleEngine/CellMotionDetector/Motion',
          operation: 'Initialized',
          utcTime: '2024-11-03T18:40:44Z',
          source: { Rule: 'MyMotionDetectorRule' },
          data: { IsMotion: 'false' },
        },
      ]);
    });

    it('the same reply with default namespaces and other prefixes reads the same', () => {
      const other = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>
        <PullMessagesResponse xmlns="http://www.onvif.org/ver10/events/wsdl"><CurrentTime>2024-11-03T18:40:43Z</CurrentTime>
          <n:NotificationMessage xmlns:n="http://docs.oasis-open.org/wsn/b-2"><n:Topic>tns1:RuleEngine/CellMotionDetector/LineCross/</n:Topic>
            <n:Message><Message xmlns="http://www.onvif.org/ver10/schema" PropertyOperation='Changed' UtcTime='2024-11-03T18:40:43Z'>
              <Data><SimpleItem Value="1" Name="IsLineCross"/></Data></Message></n:Message></n:NotificationMessage>
        </PullMessagesResponse></env:Body></env:Envelope>`;
      assert.deepEqual(readPullMessages(body(other)), [
        { topic: 'tns1:RuleEngine/CellMotionDetector/LineCross', operation: 'Changed', utcTime: '2024-11-03T18:40:43Z', source: {}, data: { IsLineCross: '1' } },
      ]);
      assert.deepEqual(readPullMessages(body(`<s:Envelope xmlns:s="x"><s:Body><tev:PullMessagesResponse xmlns:tev="y"/></s:Body></s:Envelope>`)), []);
    });

    it('GetCapabilities: the events XAddr, whatever its path', () => {
      const reply = `<SOAP-ENV:Envelope ${NS_DECL}><SOAP-ENV:Body><tds:GetCapabilitiesResponse><tds:Capabilities>
        <tt:Events><tt:XAddr> http://192.168.56.127:2020/onvif/service </tt:XAddr><tt:WSPullPointSupport>true</tt:WSPullPointSupport></tt:Events>
        </tds:Capabilities></tds:GetCapabilitiesResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
      assert.equal(readEventsXAddr(body(reply)), 'http://192.168.56.127:2020/onvif/service');
      const none = `<SOAP-ENV:Envelope ${NS_DECL}><SOAP-ENV:Body><tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>http://x/onvif/service</tt:XAddr></tt:Device></tds:Capabilities></tds:GetCapabilitiesResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
      assert.equal(readEventsXAddr(body(none)), undefined);
    });

    it('RenewResponse: its times; another body is not one', () => {
      const renew = `<SOAP-ENV:Envelope ${NS_DECL}><SOAP-ENV:Body><wsnt:RenewResponse><wsnt:TerminationTime>2024-11-03T18:42:00Z</wsnt:TerminationTime><wsnt:CurrentTime>2024-11-03T18:41:00Z</wsnt:CurrentTime></wsnt:RenewResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
      assert.equal(grantedLifetimeMs(readRenew(body(renew))!, 1), 60_000);
      assert.equal(readRenew(body(CREATE_REPLY)), undefined);
    });

    it('faults: SOAP 1.2 code, subcodes and reason (the camera refusing the account), and SOAP 1.1', () => {
      const notAuthorized = `<SOAP-ENV:Envelope ${NS_DECL} xmlns:ter="http://www.onvif.org/ver10/error"><SOAP-ENV:Body><SOAP-ENV:Fault>
        <SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value><SOAP-ENV:Subcode><SOAP-ENV:Value>ter:NotAuthorized</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code>
        <SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Sender not Authorized</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
      const fault = readSoapReply(parseXml(notAuthorized))?.fault;
      assert.deepEqual(fault, { code: 'SOAP-ENV:Sender', subcodes: ['ter:NotAuthorized'], reason: 'Sender not Authorized' });
      assert.ok(isNotAuthorized(fault!));
      assert.ok(!isNotSupported(fault!));
      assert.equal(describeFault(fault!), 'SOAP-ENV:Sender / ter:NotAuthorized: Sender not Authorized');

      const nested = { code: 's:Receiver', subcodes: ['ter:ActionNotSupported', 'ter:NoSuchService'], reason: '' };
      assert.ok(isNotSupported(nested) && !isNotAuthorized(nested));
      const old = readSoapReply(parseXml('<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><e:Fault><faultcode>e:Client</faultcode><faultstring>no</faultstring></e:Fault></e:Body></e:Envelope>'));
      assert.deepEqual(old?.fault, { code: 'e:Client', subcodes: [], reason: 'no' });
      assert.equal(readSoapReply(parseXml('<html><body/></html>')), undefined);
    });

    it('topics lose a trailing "/" and "//." (Home Assistant does the same)', () => {
      assert.equal(normalizeTopic(' tns1:RuleEngine/CellMotionDetector/Motion//. '), 'tns1:RuleEngine/CellMotionDetector/Motion');
      assert.equal(normalizeTopic('tns1:A/B/'), 'tns1:A/B');
      assert.equal(normalizeTopic('tns1:A/B'), 'tns1:A/B');
    });
  });

  describe('the XML reader', () => {
    it('resolves prefixes, reads text, CDATA, entities and character references; skips comments and the declaration', () => {
      const root = parseXml('\uFEFF<?xml version="1.0"?><!-- c --><a:r xmlns:a="urn:a" x="1 &amp; 2"><a:t>x &lt; y &#x41;&#66;<![CDATA[<z>]]></a:t><u/></a:r>');
      assert.deepEqual([root.local, root.ns], ['r', 'urn:a']);
      assert.equal(xmlAttribute(root, 'x'), '1 & 2');
      assert.equal(xmlText(xmlChild(root, 't')), 'x < y AB<z>');
      assert.deepEqual([xmlChild(root, 'u')?.local, xmlChild(root, 'u')?.ns], ['u', '']);
    });

    it('refuses a DOCTYPE, entity definitions and unknown entities (no expansion)', () => {
      refused('<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>', /DOCTYPE/);
      refused('<r>&a;</r>', /entity reference &a;/);
      refused('<r x="&ext;"/>', /entity reference/);
      refused('<r>a & b</r>', /bare "&"/);
      refused('<r>&#0;</r>', /character reference/);
    });

    it('refuses malformed documents', () => {
      refused('<a><b></a></b>', /does not match/);
      refused('<a>', /not closed/);
      refused('<a/><b/>', /second root/);
      refused('text<a/>', /outside the root/);
      refused('<a x="1" x="2"/>', /twice/);
      refused('<a x=1/>', /bad attribute/);
      refused('<a x="<"/>', /bad attribute/);
      refused('', /no root/);
      refused('<a><!-- x</a>', /unterminated comment/);
    });

    it('refuses documents beyond its limits', () => {
      refused(`${'<a>'.repeat(XML_LIMITS.maxDepth + 1)}${'</a>'.repeat(XML_LIMITS.maxDepth + 1)}`, /levels/);
      refused(`<r>${'<a/>'.repeat(XML_LIMITS.maxElements)}</r>`, /elements/);
      refused(`<r>${' '.repeat(XML_LIMITS.maxChars)}</r>`, /characters/);
    });
  });
});
