/**
 * Maps each scheme name to its client transport. The connection layer never names a transport
 * class itself: it asks this factory, and unit tests replace the factory with a scripted fake.
 */
import { CameraLegacyTransport } from '../protocol/camera-legacy';
import { CameraSecureTransport } from '../protocol/camera-secure';
import { KlapTransport } from '../protocol/klap';
import { PassthroughTransport } from '../protocol/passthrough';
import { TpapTransport } from '../protocol/tpap';
import type { Transport, TransportOptions } from '../protocol/transport';
import type { SchemeName } from '../protocol/types';

/** Builds the transport for one scheme (the signature of {@link createTransport}). */
export type TransportFactory = (scheme: SchemeName, options: TransportOptions) => Transport;

/** Creates the client transport for `scheme` (KLAP v2/v1, passthrough, camera secure/legacy, TPAP). */
export function createTransport(scheme: SchemeName, options: TransportOptions): Transport {
  switch (scheme) {
    case 'klap':
      return new KlapTransport({ ...options, version: 2 });
    case 'klap-v1':
      return new KlapTransport({ ...options, version: 1 });
    case 'passthrough':
      return new PassthroughTransport(options);
    case 'camera-secure':
      return new CameraSecureTransport(options);
    case 'camera-legacy':
      return new CameraLegacyTransport(options);
    case 'tpap':
      return new TpapTransport(options);
  }
}
