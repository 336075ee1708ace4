/**
 * The pure part of the ONVIF events client (../shared/protocol/events.md §2): no I/O, no clock.
 *
 * - WS-Security UsernameToken with a PasswordDigest (§2.3):
 *   `digest = BASE64(SHA1(nonce ‖ UTF8(created) ‖ UTF8(password)))`, `Nonce` = BASE64(nonce);
 *   pinned by the ONVIF Application Programmer's Guide vector (test/unit/onvif-soap.test.ts).
 * - The SOAP 1.2 request envelopes of the PullPoint flow (§2.5 a, c, d, e, f, g), without
 *   WS-Addressing headers (a C225 needs none, §2.3).
 * - Readers of the replies, by local name (§2.4): faults, the events XAddr of GetCapabilities,
 *   the subscription of CreatePullPointSubscription, Renew's times, and the notifications of a
 *   PullMessagesResponse (§2.6).
 */
import { createHash } from 'node:crypto';
import { xmlAttribute, xmlChild, xmlChildren, xmlPath, xmlText } from './xml';
import type { XmlElement } from './xml';

/** Namespace URIs of the requests (events.md §2.4). */
export const ONVIF_NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
} as const;

const PASSWORD_DIGEST = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const BASE64_BINARY = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

/** BASE64(SHA1(nonce ‖ UTF8(created) ‖ UTF8(password))) (events.md §2.3). */
export function passwordDigest(nonce: Uint8Array, created: string, password: string): string {
  return createHash('sha1').update(nonce).update(created, 'utf8').update(password, 'utf8').digest('base64');
}

/** `2026-05-30T10:30:45Z`: xsd:dateTime in UTC without milliseconds, as `wsu:Created` is written. */
export function xsdDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Escapes a value for XML text or a double-quoted attribute. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}

/** The `wsse:Security` header block of §2.3 for one request (a fresh `nonce` each time). */
export function securityHeader(username: string, password: string, nonce: Uint8Array, created: string): string {
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${ONVIF_NS.wsse}" xmlns:wsu="${ONVIF_NS.wsu}"><wsse:UsernameToken>` +
    `<wsse:Username>${escapeXml(username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST}">${passwordDigest(nonce, created, password)}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64_BINARY}">${Buffer.from(nonce).toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${escapeXml(created)}</wsu:Created>` +
    '</wsse:UsernameToken></wsse:Security>'
  );
}

/** A whole request: XML declaration, SOAP 1.2 envelope declaring s, tds, tev and wsnt, header, body. */
export function soapEnvelope(header: string, body: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope xmlns:s="${ONVIF_NS.s}" xmlns:tds="${ONVIF_NS.tds}" ` +
    `xmlns:tev="${ONVIF_NS.tev}" xmlns:wsnt="${ONVIF_NS.wsnt}"><s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** `PT60S` for 60. */
export function xsdSeconds(seconds: number): string {
  return `PT${Math.max(0, Math.round(seconds))}S`;
}

/** The request bodies of the PullPoint flow (events.md §2.5). */
export const ONVIF_BODIES = {
  /** a. On the device service. */
  getEventsCapabilities: (): string => '<tds:GetCapabilities><tds:Category>Events</tds:Category></tds:GetCapabilities>',
  /** c. On the events XAddr. */
  createPullPointSubscription: (lifetimeSeconds: number): string =>
    `<tev:CreatePullPointSubscription><tev:InitialTerminationTime>${xsdSeconds(lifetimeSeconds)}</tev:InitialTerminationTime></tev:CreatePullPointSubscription>`,
  /** d. On the subscription address. */
  setSynchronizationPoint: (): string => '<tev:SetSynchronizationPoint/>',
  /** e. On the subscription address. */
  pullMessages: (timeoutSeconds: number, messageLimit: number): string =>
    `<tev:PullMessages><tev:Timeout>${xsdSeconds(timeoutSeconds)}</tev:Timeout><tev:MessageLimit>${Math.max(1, Math.floor(messageLimit))}</tev:MessageLimit></tev:PullMessages>`,
  /** f. On the subscription address. */
  renew: (lifetimeSeconds: number): string => `<wsnt:Renew><wsnt:TerminationTime>${xsdSeconds(lifetimeSeconds)}</wsnt:TerminationTime></wsnt:Renew>`,
  /** g. On the subscription address. */
  unsubscribe: (): string => '<wsnt:Unsubscribe/>',
} as const;

/** A SOAP fault (1.2: Code/Value, Subcode/Value …, Reason/Text; 1.1: faultcode, faultstring). */
export interface SoapFault {
  /** The code as written, e.g. `SOAP-ENV:Sender`. */
  code: string;
  /** The subcodes from outer to inner, as written, e.g. `['ter:NotAuthorized']`. */
  subcodes: string[];
  /** The reason text ('' when none). */
  reason: string;
}

/** A reply's body: its first element, or the fault it carries. */
export type SoapReply = { fault: SoapFault; body?: undefined } | { fault?: undefined; body: XmlElement | undefined };

/**
 * Reads a parsed reply envelope. Returns undefined when `root` is not a SOAP `Envelope` with a
 * `Body` (any namespace: matched by local name).
 */
export function readSoapReply(root: XmlElement): SoapReply | undefined {
  if (root.local !== 'Envelope') return undefined;
  const body = xmlChild(root, 'Body');
  if (body === undefined) return undefined;
  const fault = xmlChild(body, 'Fault');
  if (fault !== undefined) return { fault: readFault(fault) };
  return { body: body.children[0] };
}

function readFault(fault: XmlElement): SoapFault {
  const code = xmlChild(fault, 'Code');
  if (code === undefined) {
    return { code: xmlText(xmlChild(fault, 'faultcode')) ?? '', subcodes: [], reason: xmlText(xmlChild(fault, 'faultstring')) ?? '' };
  }
  const subcodes: string[] = [];
  for (let sub = xmlChild(code, 'Subcode'); sub !== undefined && subcodes.length < 8; sub = xmlChild(sub, 'Subcode')) {
    subcodes.push(xmlText(xmlChild(sub, 'Value')) ?? '');
  }
  return { code: xmlText(xmlChild(code, 'Value')) ?? '', subcodes, reason: xmlText(xmlPath(fault, 'Reason', 'Text')) ?? '' };
}

/** The local part of a QName value (`ter:NotAuthorized` → `NotAuthorized`). */
export function localPart(qname: string): string {
  return qname.slice(qname.indexOf(':') + 1);
}

/** True when the fault is ONVIF's refusal of the account (`ter:NotAuthorized` among the codes). */
export function isNotAuthorized(fault: SoapFault): boolean {
  return [fault.code, ...fault.subcodes].some((c) => localPart(c) === 'NotAuthorized');
}

/** True when the fault says the operation or service does not exist (`ter:ActionNotSupported`, `ter:NoSuchService`). */
export function isNotSupported(fault: SoapFault): boolean {
  return [fault.code, ...fault.subcodes].some((c) => ['ActionNotSupported', 'NoSuchService', 'OptionalActionNotImplemented'].includes(localPart(c)));
}

/** One line describing a fault, for an error's text. */
export function describeFault(fault: SoapFault): string {
  const codes = [fault.code, ...fault.subcodes].filter((c) => c !== '').join(' / ');
  return fault.reason === '' ? codes : `${codes}: ${fault.reason}`;
}

/** `GetCapabilitiesResponse/Capabilities/Events/XAddr`, trimmed; undefined when absent or empty. */
export function readEventsXAddr(body: XmlElement | undefined): string | undefined {
  if (body?.local !== 'GetCapabilitiesResponse') return undefined;
  const xaddr = xmlText(xmlPath(body, 'Capabilities', 'Events', 'XAddr'));
  return xaddr === undefined || xaddr === '' ? undefined : xaddr;
}

/** What a CreatePullPointSubscription (or Renew) reply says about the subscription. */
export interface SubscriptionTimes {
  /** The device's `CurrentTime`, ms since the epoch, when given and valid. */
  currentTime?: number;
  /** The device's `TerminationTime`, ms since the epoch, when given and valid. */
  terminationTime?: number;
}

function dateTime(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.test(text)) return undefined;
  const ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(text) ? text : `${text}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

function times(body: XmlElement): SubscriptionTimes {
  const out: SubscriptionTimes = {};
  const current = dateTime(xmlText(xmlChild(body, 'CurrentTime')));
  const termination = dateTime(xmlText(xmlChild(body, 'TerminationTime')));
  if (current !== undefined) out.currentTime = current;
  if (termination !== undefined) out.terminationTime = termination;
  return out;
}

/** `CreatePullPointSubscriptionResponse`: the subscription's address (verbatim, §2.2) and times. */
export function readSubscription(body: XmlElement | undefined): ({ address: string } & SubscriptionTimes) | undefined {
  if (body?.local !== 'CreatePullPointSubscriptionResponse') return undefined;
  const address = xmlText(xmlPath(body, 'SubscriptionReference', 'Address'));
  if (address === undefined || address === '') return undefined;
  return { address, ...times(body) };
}

/** `RenewResponse`: its times (undefined when the body is not one). */
export function readRenew(body: XmlElement | undefined): SubscriptionTimes | undefined {
  return body?.local === 'RenewResponse' ? times(body) : undefined;
}

/**
 * The lifetime the device granted, in ms: `TerminationTime − CurrentTime` (both on the device's
 * clock, so a clock that is off — events.md §2.9 item 7 — does not matter). Falls back to what
 * was asked when either time is missing or the difference is not positive (a camera that
 * mishandles relative times, events.md §2.5 c).
 */
export function grantedLifetimeMs(t: SubscriptionTimes, askedMs: number): number {
  if (t.currentTime === undefined || t.terminationTime === undefined) return askedMs;
  const granted = t.terminationTime - t.currentTime;
  return granted > 0 ? granted : askedMs;
}

/** One `wsnt:NotificationMessage` (events.md §2.6). */
export interface OnvifNotification {
  /**
   * The topic as written, without the trailing `/` or `//.` some firmware adds
   * (e.g. `tns1:RuleEngine/CellMotionDetector/Motion`).
   */
  topic: string;
  /** `PropertyOperation`: `Initialized`, `Changed`, `Deleted`, or '' when absent. */
  operation: string;
  /** `UtcTime` as written ('' when absent). Unreliable on some cameras (§2.9 item 7). */
  utcTime: string;
  /** `Source` SimpleItems, name → value. */
  source: Record<string, string>;
  /** `Data` SimpleItems, name → value. */
  data: Record<string, string>;
}

function simpleItems(parent: XmlElement | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of xmlChildren(parent, 'SimpleItem')) {
    const name = xmlAttribute(item, 'Name');
    const value = xmlAttribute(item, 'Value');
    if (name === undefined || value === undefined || name === '__proto__') continue;
    out[name] = value;
  }
  return out;
}

/** Removes the trailing `/` and `//.` some firmware writes after a topic (Home Assistant does the same). */
export function normalizeTopic(topic: string): string {
  let t = topic.trim();
  for (;;) {
    if (t.endsWith('//.')) t = t.slice(0, -3);
    else if (t.endsWith('/')) t = t.slice(0, -1);
    else return t;
  }
}

/** The notifications of a `PullMessagesResponse`, in document order; undefined when the body is not one. */
export function readPullMessages(body: XmlElement | undefined): OnvifNotification[] | undefined {
  if (body?.local !== 'PullMessagesResponse') return undefined;
  return xmlChildren(body, 'NotificationMessage').map((n) => {
    const message = xmlPath(n, 'Message', 'Message') ?? xmlChild(n, 'Message');
    return {
      topic: normalizeTopic(xmlText(xmlChild(n, 'Topic')) ?? ''),
      operation: xmlAttribute(message, 'PropertyOperation') ?? '',
      utcTime: xmlAttribute(message, 'UtcTime') ?? '',
      source: simpleItems(xmlChild(message, 'Source')),
      data: simpleItems(xmlChild(message, 'Data')),
    };
  });
}
