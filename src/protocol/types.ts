/**
 * Types shared by every layer: JSON values as they travel on the wire, scheme names,
 * credentials and the device families.
 */

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** The wire schemes this package speaks (../shared/protocol/README.md, "The schemes at a glance"). */
export type SchemeName = 'klap' | 'klap-v1' | 'passthrough' | 'camera-secure' | 'camera-legacy' | 'tpap';

/** Every scheme name, in the order auto-detection considers them for plugs, then cameras. */
export const SCHEME_NAMES: readonly SchemeName[] = [
  'klap',
  'klap-v1',
  'passthrough',
  'tpap',
  'camera-secure',
  'camera-legacy',
];

/** What kind of device a user configured. */
export type DeviceKind = 'plug' | 'camera';

/** The user's credentials: TP-Link account e-mail (plugs) or `admin` (cameras), and the password. */
export interface Credentials {
  username: string;
  password: string;
}
