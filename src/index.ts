/**
 * The library face of the package, for use outside Node-RED:
 *
 * ```ts
 * import { DeviceConnection, Plug } from '@tapo-local/node-red-tapo';
 * const conn = new DeviceConnection({ host: '192.168.1.50', kind: 'plug', credentials: { username, password } });
 * const on = await new Plug(conn).toggle();
 * await conn.close();
 * ```
 *
 * The simulator is a separate entry point (`@tapo-local/node-red-tapo/dist/simulator`) so that
 * library users do not load it.
 */
export * from './connection';
export * from './devices';
export { TapoError, isTapoError, ERROR_KINDS, errorFromCode, THIRD_PARTY_HINT } from './protocol/errors';
export type { ErrorKind, DeviceFamily, TapoErrorDetails } from './protocol/errors';
export type { JsonObject, JsonValue, SchemeName, DeviceKind, Credentials } from './protocol/types';
export { SCHEME_NAMES } from './protocol/types';
export { discover } from './protocol/discovery';
export type { DiscoverOptions, DiscoveryResult } from './protocol/discovery';
export type { DiscoveryInfo } from './protocol/discovery-cipher';
export { OnvifEvents, ONVIF_PORT } from './protocol/onvif';
export type { OnvifEventsOptions, OnvifState, OnvifStateReport, OnvifEventsEventMap, OnvifNotification } from './protocol/onvif';
