/**
 * The SOAP 1.2 texts the simulated camera sends (events.md §2): envelopes with the prefixes a
 * Tapo camera uses (`SOAP-ENV`, `wsa5`; gSOAP style, §2.2), a `wsa5:Action` header, faults, and
 * the bodies of the device and event services. Every value that comes from outside (addresses,
 * names, firmware strings) goes through {@link escapeXml}.
 */
import { DETECTIONS, ONVIF_DETECTION_TYPES } from '../detections';
import type { OnvifProperty, SimDetectionType } from '../detections';
import { escapeXml } from './xml';

/** Namespace URIs (events.md §2.4). */
export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wstop: 'http://docs.oasis-open.org/wsn/t-1',
  tt: 'http://www.onvif.org/ver10/schema',
  tns1: 'http://www.onvif.org/ver10/topics',
  ter: 'http://www.onvif.org/ver10/error',
  xsd: 'http://www.w3.org/2001/XMLSchema',
} as const;

/** Topic dialect of every notification (events.md §2.6). */
export const CONCRETE_SET_DIALECT = 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet';

const DECLARATIONS =
  `xmlns:SOAP-ENV="${NS.soap}" xmlns:wsa5="${NS.wsa}" xmlns:xsd="${NS.xsd}" xmlns:tt="${NS.tt}" ` +
  `xmlns:tds="${NS.tds}" xmlns:tev="${NS.tev}" xmlns:wsnt="${NS.wsnt}" xmlns:wstop="${NS.wstop}" ` +
  `xmlns:tns1="${NS.tns1}" xmlns:ter="${NS.ter}"`;

/** A whole reply: XML declaration, envelope with `wsa5:Action`, body. */
export function envelope(action: string, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope ${DECLARATIONS}>` +
    `<SOAP-ENV:Header><wsa5:Action>${escapeXml(action)}</wsa5:Action></SOAP-ENV:Header>` +
    `<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

/** A SOAP fault and the HTTP status it travels with. */
export interface SoapFault {
  /** SOAP 1.2 binding: Sender → 400; Receiver and VersionMismatch → 500. */
  status: number;
  body: string;
}

/** Action of a fault reply (WS-Addressing 1.0 SOAP binding). */
export const FAULT_ACTION = 'http://www.w3.org/2005/08/addressing/soap/fault';

/**
 * A fault: `code` is the SOAP 1.2 code, `subcodes` ONVIF's (`ter:…`) from outer to inner,
 * `reason` one line of English.
 */
export function soapFault(code: 'Sender' | 'Receiver' | 'VersionMismatch', subcodes: readonly string[], reason: string): SoapFault {
  let sub = '';
  for (let i = subcodes.length - 1; i >= 0; i -= 1) {
    sub = `<SOAP-ENV:Subcode><SOAP-ENV:Value>${escapeXml(subcodes[i] as string)}</SOAP-ENV:Value>${sub}</SOAP-ENV:Subcode>`;
  }
  const body =
    `<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:${code}</SOAP-ENV:Value>${sub}</SOAP-ENV:Code>` +
    `<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">${escapeXml(reason)}</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>`;
  return { status: code === 'Sender' ? 400 : 500, body: envelope(FAULT_ACTION, body) };
}

/** `2024-11-03T18:40:43Z` (xsd:dateTime in UTC, whole seconds, as Tapo cameras write it). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const bool = (b: boolean): string => (b ? 'true' : 'false');

/** Capabilities of the device service, for `GetCapabilities` (Category Device or All). */
export function deviceCapabilities(xaddr: string): string {
  return (
    `<tt:Device><tt:XAddr>${escapeXml(xaddr)}</tt:XAddr><tt:System>` +
    '<tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye>' +
    '<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>' +
    '<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>' +
    '<tt:SupportedVersions><tt:Major>20</tt:Major><tt:Minor>6</tt:Minor></tt:SupportedVersions>' +
    '</tt:System></tt:Device>'
  );
}

/** Capabilities of the event service, for `GetCapabilities` (Category Events or All). */
export function eventCapabilities(xaddr: string): string {
  return (
    `<tt:Events><tt:XAddr>${escapeXml(xaddr)}</tt:XAddr>` +
    '<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>' +
    '<tt:WSPullPointSupport>true</tt:WSPullPointSupport>' +
    '<tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport>' +
    '</tt:Events>'
  );
}

/** `GetServices`: the device and event services, both at `xaddr`. */
export function servicesBody(xaddr: string, includeCapability: boolean): string {
  const version = '<tds:Version><tt:Major>20</tt:Major><tt:Minor>6</tt:Minor></tds:Version>';
  const device = includeCapability
    ? '<tds:Capabilities><tds:Capabilities><tds:Network/><tds:Security/><tds:System/></tds:Capabilities></tds:Capabilities>'
    : '';
  const events = includeCapability
    ? '<tds:Capabilities><tev:Capabilities WSSubscriptionPolicySupport="false" WSPullPointSupport="true" WSPausableSubscriptionManagerInterfaceSupport="false"/></tds:Capabilities>'
    : '';
  const x = escapeXml(xaddr);
  return (
    '<tds:GetServicesResponse>' +
    `<tds:Service><tds:Namespace>${NS.tds}</tds:Namespace><tds:XAddr>${x}</tds:XAddr>${device}${version}</tds:Service>` +
    `<tds:Service><tds:Namespace>${NS.tev}</tds:Namespace><tds:XAddr>${x}</tds:XAddr>${events}${version}</tds:Service>` +
    '</tds:GetServicesResponse>'
  );
}

/** `GetSystemDateAndTime` at `nowMs`, for a camera `offsetMinutes` east of UTC. */
export function systemDateAndTimeBody(nowMs: number, offsetMinutes: number): string {
  const dateTime = (d: Date): string =>
    `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>`;
  // POSIX TZ counts hours west of Greenwich: UTC+01:00 is "GMT-01:00".
  const west = -offsetMinutes;
  const abs = Math.abs(west);
  const tz = `GMT${west < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return (
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>' +
    '<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
    `<tt:TimeZone><tt:TZ>${tz}</tt:TZ></tt:TimeZone>` +
    `<tt:UTCDateTime>${dateTime(new Date(nowMs))}</tt:UTCDateTime>` +
    `<tt:LocalDateTime>${dateTime(new Date(nowMs + offsetMinutes * 60_000))}</tt:LocalDateTime>` +
    '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
  );
}

/** What `GetDeviceInformation` reports. */
export interface OnvifDeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

/** `GetDeviceInformation`. */
export function deviceInformationBody(info: OnvifDeviceInformation): string {
  return (
    '<tds:GetDeviceInformationResponse>' +
    `<tds:Manufacturer>${escapeXml(info.manufacturer)}</tds:Manufacturer><tds:Model>${escapeXml(info.model)}</tds:Model>` +
    `<tds:FirmwareVersion>${escapeXml(info.firmwareVersion)}</tds:FirmwareVersion>` +
    `<tds:SerialNumber>${escapeXml(info.serialNumber)}</tds:SerialNumber><tds:HardwareId>${escapeXml(info.hardwareId)}</tds:HardwareId>` +
    '</tds:GetDeviceInformationResponse>'
  );
}

function sourceDescription(): string {
  return (
    '<tt:Source>' +
    '<tt:SimpleItemDescription Name="VideoSourceConfigurationToken" Type="tt:ReferenceToken"/>' +
    '<tt:SimpleItemDescription Name="VideoAnalyticsConfigurationToken" Type="tt:ReferenceToken"/>' +
    '<tt:SimpleItemDescription Name="Rule" Type="xsd:string"/>' +
    '</tt:Source>'
  );
}

/**
 * `GetEventProperties`: one topic per distinct ONVIF topic of the detection table, each with the
 * Source items of §2.5 b and its Data items (`TPSmartEvent` carries both IsVehicle and IsPet).
 */
export function eventPropertiesBody(): string {
  const byTopic = new Map<string, OnvifProperty[]>();
  for (const type of ONVIF_DETECTION_TYPES) {
    const p = DETECTIONS[type].onvif as OnvifProperty;
    byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
  }
  const byDetector = new Map<string, string[]>();
  for (const [topic, props] of byTopic) {
    const [detector, leaf] = topic.split('/') as [string, string];
    const data = props.map((p) => `<tt:SimpleItemDescription Name="${p.item}" Type="xsd:boolean"/>`).join('');
    const description = `<tns1:${leaf} wstop:topic="true"><tt:MessageDescription IsProperty="true">${sourceDescription()}<tt:Data>${data}</tt:Data></tt:MessageDescription></tns1:${leaf}>`;
    byDetector.set(detector, [...(byDetector.get(detector) ?? []), description]);
  }
  const ruleEngine = [...byDetector].map(([detector, leaves]) => `<tns1:${detector}>${leaves.join('')}</tns1:${detector}>`).join('');
  return (
    '<tev:GetEventPropertiesResponse>' +
    '<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>' +
    '<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet>' +
    `<wstop:TopicSet><tns1:RuleEngine>${ruleEngine}</tns1:RuleEngine></wstop:TopicSet>` +
    `<wsnt:TopicExpressionDialect>${CONCRETE_SET_DIALECT}</wsnt:TopicExpressionDialect>` +
    '<wsnt:TopicExpressionDialect>http://docs.oasis-open.org/wsnt/t-1/TopicExpression/ConcreteSet</wsnt:TopicExpressionDialect>' +
    '<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>' +
    '<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>' +
    '</tev:GetEventPropertiesResponse>'
  );
}

/** One event waiting in a subscription's queue. */
export interface OnvifMessage {
  type: SimDetectionType;
  value: boolean;
  operation: 'Initialized' | 'Changed';
  /** Device clock, ms. */
  at: number;
}

/** One `wsnt:NotificationMessage` (events.md §2.6) for the subscription at `address`. */
export function notificationMessage(message: OnvifMessage, address: string): string {
  const p = DETECTIONS[message.type].onvif as OnvifProperty;
  return (
    '<wsnt:NotificationMessage>' +
    `<wsnt:SubscriptionReference><wsa5:Address>${escapeXml(address)}</wsa5:Address></wsnt:SubscriptionReference>` +
    `<wsnt:Topic Dialect="${CONCRETE_SET_DIALECT}">tns1:RuleEngine/${p.topic}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="${isoTime(message.at)}" PropertyOperation="${message.operation}">` +
    '<tt:Source><tt:SimpleItem Name="VideoSourceConfigurationToken" Value="vsconf"/>' +
    '<tt:SimpleItem Name="VideoAnalyticsConfigurationToken" Value="VideoAnalyticsToken"/>' +
    `<tt:SimpleItem Name="Rule" Value="${p.rule}"/></tt:Source>` +
    `<tt:Data><tt:SimpleItem Name="${p.item}" Value="${bool(message.value)}"/></tt:Data>` +
    '</tt:Message></wsnt:Message></wsnt:NotificationMessage>'
  );
}

/** Actions of the replies, by operation (ONVIF device and event WSDLs, WS-BaseNotification). */
export const RESPONSE_ACTIONS: Readonly<Record<string, string>> = {
  GetCapabilities: `${NS.tds}/Device/GetCapabilitiesResponse`,
  GetServices: `${NS.tds}/Device/GetServicesResponse`,
  GetSystemDateAndTime: `${NS.tds}/Device/GetSystemDateAndTimeResponse`,
  GetDeviceInformation: `${NS.tds}/Device/GetDeviceInformationResponse`,
  GetEventProperties: `${NS.tev}/EventPortType/GetEventPropertiesResponse`,
  CreatePullPointSubscription: `${NS.tev}/EventPortType/CreatePullPointSubscriptionResponse`,
  PullMessages: `${NS.tev}/PullPointSubscription/PullMessagesResponse`,
  SetSynchronizationPoint: `${NS.tev}/PullPointSubscription/SetSynchronizationPointResponse`,
  Renew: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewResponse',
  Unsubscribe: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeResponse',
};
