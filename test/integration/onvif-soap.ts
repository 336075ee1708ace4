/**
 * A hand-written ONVIF client for the tests (events.md §2): SOAP 1.2 envelopes with a
 * WS-Security UsernameToken digest made here with node:crypto, POSTed over node:http to
 * 127.0.0.1, and replies read with regular expressions that ignore prefixes. Independent of the
 * simulator's ONVIF code and of any future client in src/protocol.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';

export const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  tev: 'http://www.onvif.org/ver10/events/wsdl',
  wsnt: 'http://docs.oasis-open.org/wsn/b-2',
  wsa: 'http://www.w3.org/2005/08/addressing',
};

export const DIGEST_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';

/** The UsernameToken header of events.md §2.3, with a fresh nonce (or the one given). */
export function securityHeader(username: string, password: string, options: { nonce?: Buffer; created?: string; type?: string } = {}): string {
  const nonce = options.nonce ?? randomBytes(16);
  const created = options.created ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const digest = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')])).digest('base64');
  const type = options.type ?? DIGEST_TYPE;
  const value = type === DIGEST_TYPE ? digest : password;
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}"><wsse:UsernameToken>` +
    `<wsse:Username>${username}</wsse:Username><wsse:Password Type="${type}">${value}</wsse:Password>` +
    `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}

/** An envelope as node-red-contrib-tapo-local writes it (prefix `s`, tds/tev/wsnt declared on the envelope). */
export function envelope(body: string, header = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope xmlns:s="${NS.s}" xmlns:tds="${NS.tds}" xmlns:tev="${NS.tev}" xmlns:wsnt="${NS.wsnt}">` +
    `<s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

export interface SoapReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** POSTs raw text to 127.0.0.1:port/path on a fresh connection. */
export function post(port: number, path: string, text: string, method = 'POST', host = '127.0.0.1'): Promise<SoapReply> {
  const bytes = Buffer.from(text, 'utf8');
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host,
        port,
        path,
        method,
        agent: false,
        headers: { 'content-type': 'application/soap+xml; charset=utf-8', 'content-length': String(bytes.length), connection: 'close' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

/** A client bound to one camera account. */
export class TinyOnvif {
  constructor(
    readonly port: number,
    readonly username = 'tapo-cam',
    readonly password = 'tapo-sim-cam',
  ) {}

  call(path: string, body: string): Promise<SoapReply> {
    return post(this.port, path, envelope(body, securityHeader(this.username, this.password)));
  }

  /** CreatePullPointSubscription on /onvif/service; returns the subscription path and the reply. */
  async subscribe(initial?: string): Promise<{ path: string; address: string; reply: SoapReply }> {
    const inner = initial === undefined ? '' : `<tev:InitialTerminationTime>${initial}</tev:InitialTerminationTime>`;
    const reply = await this.call('/onvif/service', `<tev:CreatePullPointSubscription>${inner}</tev:CreatePullPointSubscription>`);
    const address = texts(reply.body, 'Address')[0] ?? '';
    return { path: address === '' ? '' : new URL(address).pathname, address, reply };
  }

  pull(path: string, timeout = 'PT5S', limit = 100): Promise<SoapReply> {
    return this.call(path, `<tev:PullMessages><tev:Timeout>${timeout}</tev:Timeout><tev:MessageLimit>${limit}</tev:MessageLimit></tev:PullMessages>`);
  }
}

/** Text of every element with this local name, whatever its prefix. */
export function texts(xml: string, local: string): string[] {
  const re = new RegExp(`<(?:[\\w.-]+:)?${local}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${local}>`, 'g');
  return [...xml.matchAll(re)].map((m) => m[1] ?? '');
}

/** One NotificationMessage as the tests read it. */
export interface Notification {
  topic: string;
  utcTime: string;
  operation: string;
  source: Record<string, string>;
  data: Record<string, string>;
  subscription: string;
}

function simpleItems(xml: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of xml.matchAll(/<(?:[\w.-]+:)?SimpleItem\s+Name="([^"]*)"\s+Value="([^"]*)"\s*\/>/g)) out[m[1] ?? ''] = m[2] ?? '';
  return out;
}

/** The NotificationMessages of a PullMessagesResponse, in order. */
export function notifications(xml: string): Notification[] {
  const re = /<(?:[\w.-]+:)?NotificationMessage>([\s\S]*?)<\/(?:[\w.-]+:)?NotificationMessage>/g;
  return [...xml.matchAll(re)].map((m) => {
    const inner = m[1] ?? '';
    const message = /<(?:[\w.-]+:)?Message\s+UtcTime="([^"]*)"\s+PropertyOperation="([^"]*)">/.exec(inner);
    const source = /<(?:[\w.-]+:)?Source>([\s\S]*?)<\/(?:[\w.-]+:)?Source>/.exec(inner)?.[1] ?? '';
    const data = /<(?:[\w.-]+:)?Data>([\s\S]*?)<\/(?:[\w.-]+:)?Data>/.exec(inner)?.[1] ?? '';
    return {
      topic: texts(inner, 'Topic')[0] ?? '',
      utcTime: message?.[1] ?? '',
      operation: message?.[2] ?? '',
      source: simpleItems(source),
      data: simpleItems(data),
      subscription: texts(inner, 'Address')[0] ?? '',
    };
  });
}

/** Code, subcodes and reason of a SOAP fault (empty code when the reply is not a fault). */
export function fault(xml: string): { code: string; subcodes: string[]; reason: string } {
  const inner = /<(?:[\w.-]+:)?Fault>([\s\S]*)<\/(?:[\w.-]+:)?Fault>/.exec(xml)?.[1];
  if (inner === undefined) return { code: '', subcodes: [], reason: '' };
  const values = texts(inner, 'Value');
  return { code: values[0] ?? '', subcodes: values.slice(1), reason: texts(inner, 'Text')[0] ?? '' };
}
