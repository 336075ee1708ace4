/**
 * English texts of the reasons and hints of the rest of the camera catalogue (the settings
 * connection, wan, videoQuality, imageFlip, targetTracking, mediaEncryption, diagnoseMode,
 * components and userId in src/devices/camera-settings.ts). Placeholders are `__name__` (format.ts).
 */
export const CAMERA_CATALOGUE_REASONS = {
  // A camera that does not know the method behind a setting (src/devices/camera-settings.ts).
  cameraSettingUnsupported: 'this camera does not have __setting__ (it does not know __method__).',
} as const;

/** English hints of the camera catalogue. */
export const CAMERA_CATALOGUE_HINTS = {
  cameraSettingAll: 'Read "all" to get every setting this camera has: the ones it lacks come back as null.',
} as const;
