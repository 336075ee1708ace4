/**
 * WS-Security UsernameToken, device side (events.md §2.3; OASIS WSS UsernameToken Profile 1.0):
 *
 *   digest = BASE64( SHA1( nonce ‖ UTF8(created) ‖ UTF8(password) ) )
 *
 * where `nonce` is the raw bytes of `<wsse:Nonce>` (base64 on the wire) and `created` is the text
 * of `<wsu:Created>` exactly as sent. The simulated camera checks it against its CAMERA ACCOUNT
 * (camera.md §4), never the admin account. Written here with node:crypto only, apart from the
 * client's code, and pinned by the known answer of the ONVIF Application Programmer's Guide.
 *
 * Decisions (nothing about Tapo is known here): only `#PasswordDigest` is accepted (a
 * `#PasswordText` token is refused); `Created` is not compared with the device clock and nonces
 * are not remembered, because whether a Tapo camera checks either is not known (events.md §2.3).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { attributeOf, childOf, textOf } from './xml';
import type { XmlElement } from './xml';

/** Namespace of `wsse:` elements. */
export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
/** Namespace of `wsu:` elements. */
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
/** `Type` of a digest password. */
export const PASSWORD_DIGEST_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';

/** BASE64(SHA1(nonce ‖ created ‖ password)). */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1').update(nonce).update(created, 'utf8').update(password, 'utf8').digest('base64');
}

/** Why a request's token was refused. */
export type UsernameTokenRefusal = 'no-token' | 'password-type' | 'incomplete' | 'user' | 'digest';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Checks the `wsse:Security` header of a SOAP request (the `Header` element, or undefined when
 * the request had none) against `account`. Returns `'ok'` or why it is refused.
 */
export function checkUsernameToken(header: XmlElement | undefined, account: { username: string; password: string }): 'ok' | UsernameTokenRefusal {
  const token = childOf(childOf(header, 'Security', WSSE_NS), 'UsernameToken', WSSE_NS);
  if (token === undefined) return 'no-token';
  const username = textOf(childOf(token, 'Username', WSSE_NS));
  const passwordElement = childOf(token, 'Password', WSSE_NS);
  const password = textOf(passwordElement);
  const nonceText = textOf(childOf(token, 'Nonce', WSSE_NS));
  const created = textOf(childOf(token, 'Created', WSU_NS));
  if (username === undefined || password === undefined || nonceText === undefined || created === undefined) {
    return passwordElement !== undefined && attributeOf(passwordElement, 'Type') !== PASSWORD_DIGEST_TYPE ? 'password-type' : 'incomplete';
  }
  if (attributeOf(passwordElement, 'Type') !== PASSWORD_DIGEST_TYPE) return 'password-type';
  if (!BASE64.test(nonceText) || !BASE64.test(password)) return 'incomplete';
  if (username !== account.username) return 'user';
  const expected = Buffer.from(passwordDigest(Buffer.from(nonceText, 'base64'), created, account.password), 'base64');
  const given = Buffer.from(password, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'digest';
}
