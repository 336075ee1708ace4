/** The connection layer: one session per device, scheme detection, and the one-shot probe. */
export { DeviceConnection, parseHostPort } from './connection';
export type { ConnectionOptions, ConnectionState, ConnectionStateEvent, ConnectionStats, ConnectOptions, OperationRequester } from "./connection";
export { probeDevice } from './probe';
export type { ProbeResult } from './probe';
export { createTransport } from './transports';
export type { TransportFactory } from './transports';
export { TapoDevice } from './device';
export type { DeviceVerbs, FirmwareUpdateOptions, RunOptions } from './device';
export type { DeviceEvent, EventSource, PauseReason, Watch, WatchListener, WatchOptions, WatchStatus } from './watch';
