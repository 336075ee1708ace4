/**
 * The Tapo device simulator: fake plugs and cameras on loopback ports that speak every wire
 * scheme from the device side (../shared/protocol/simulator.md). Used by the tests, the demos
 * and the `tapo-sim` command. Independent of the client: nothing here imports src/protocol,
 * src/connection or src/devices.
 */
export {
  startDevice,
  startDevices,
  SimulatedDevice,
  createSchemeServer,
  DEFAULT_PLUG_USERNAME,
  DEFAULT_CAMERA_USERNAME,
  DEFAULT_PASSWORD,
  DEFAULT_CAMERA_ACCOUNT,
  DEFAULT_RING_TARGET,
} from './device';
export type { StartDeviceOptions, SimDeviceDescription, SimDetection, SimDetectionResult, SimRingResult } from './device';
export { DETECTIONS, DETECTION_TYPES, ONVIF_DETECTION_TYPES, isDetectionType } from './detections';
export type { SimDetectionType, DetectionSpec, OnvifProperty } from './detections';
export { OnvifServer, MAX_PULL_TIMEOUT_MS, parseDuration, parseTerminationTime } from './onvif/server';
export type { OnvifRequestInfo, OnvifTarget } from './onvif/server';
export {
  RtspServer,
  RTSP_REALM,
  RTSP_PUBLIC,
  FRAME_INTERVAL_MS,
  MAX_SLICE_BYTES,
  JPEG_PAYLOAD_TYPE,
  H264_PAYLOAD_TYPE,
  MAX_H264_PAYLOAD,
  MAX_SESSIONS,
  parseAuthParams,
  rtpPacket,
  rtpJpegPacket,
} from './rtsp/server';
export type { RtspRequestInfo, RtspFrameInfo, RtspServerOptions, RtspTarget } from './rtsp/server';
export { stream8Jpeg, stream8Payload, makeTables, makeHeaders, rfcScan, rfcTables, STREAM8_FORMS, RFC_Q, RFC_TABLES_Q, RFC_TYPE } from './media/rfc2435';
export type { Stream8Form, Stream8Payload } from './media/rfc2435';
export { findFfmpeg, encoderArgs, AnnexBReader, AccessUnitAssembler, LiveH264Encoder, probeParameterSets, h264Payloads, H264_STREAMS, H264_FPS } from './media/h264';
export type { AccessUnit, H264Stream, ParameterSets } from './media/h264';
export { counterJpeg, counterBlocks, encodeBlocks, frameComment, JPEG_WIDTH, JPEG_HEIGHT } from './media/jpeg';
export { passwordDigest, checkUsernameToken } from './onvif/wsse';
export { parseXml, escapeXml, XmlError } from './onvif/xml';
export type { XmlElement, XmlAttribute } from './onvif/xml';
export type {
  SimJson,
  SimJsonObject,
  SimScheme,
  SimFamily,
  SimClock,
  SimRequest,
  SimResponse,
  DeviceLogic,
  LoginGuard,
  SimFaults,
  SchemeContext,
  SchemeServer,
} from './types';
export { loadFixture, listFixtures } from './fixtures';
export type { LoadedFixture } from './fixtures';
export { createLogic } from './logic';
export {
  OnboardingLogic,
  DEFAULT_ACCESS_POINTS,
  DEFAULT_WIFI_PASSWORD,
  CAMERA_FACTORY_PASSWORD,
  CAMERA_LEGACY_FACTORY_PASSWORD,
} from './logic/onboarding';
export type { SimAccessPoint, OnboardingOptions, OnboardingState, OnboardingAttempt, OnboardingHooks } from './logic/onboarding';
export { SimLoginGuard } from './guard';
export type { LoginGuardOptions } from './guard';
export { defaultFaults, mergeFaults, SIM_SCHEMES } from './control';
export { getSimCertificate, SIM_TLS_CIPHERS } from './cert';
export type { SimCertificate } from './cert';
export { KlapSchemeServer } from './schemes/klap';
export type { KlapVersion } from './schemes/klap';
export { PassthroughSchemeServer } from './schemes/passthrough';
export { CameraSecureSchemeServer, CameraLegacySchemeServer } from './schemes/camera';
export type { CameraPasswordHash, CameraSchemeOptions } from './schemes/camera';
export { TpapSchemeServer } from './schemes/tpap';
export type { TpapCameraPasscode, TpapSchemeOptions } from './schemes/tpap';
export { ManualClock, systemClock } from './logic/clock';
export { DiscoveryResponder, DISCOVERY_PORT } from './discovery';
export type { DiscoveryResponderOptions, DiscoveryIgnoreReason } from './discovery';
