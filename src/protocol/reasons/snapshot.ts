/**
 * English texts of the reasons and hints of pictures and stream addresses (src/devices/snapshot.ts,
 * the media lane of src/connection/media.ts, the RTSP port of the tapo-device configuration).
 */
export const SNAPSHOT_REASONS = {
  snapshotNoCameraAccount: 'a snapshot needs the camera account, and this tapo-device has none',
  snapshotNeedsFfmpeg: 'this camera has no MJPEG stream (stream8), and a picture from __stream__ needs ffmpeg, which is not installed on the Node-RED host',
  snapshotPrivacy: 'privacy mode is on: the camera sends no picture; turn it off first',
  snapshotBadStream: 'unknown stream __value__ (use one of: __allowed__)',
  snapshotNotCamera: 'snapshots and stream addresses are for cameras; this tapo-device is a plug',
  mediaAskAlone: '"__ask__" is asked alone, not together with setting names',
  mediaTimedOut: 'no picture within __ms__ ms',
  badRtspPort: 'The RTSP port must be a whole number from 1 to 65535; the configuration has "__value__".',
} as const;

/** English hints of pictures and streams. */
export const SNAPSHOT_HINTS = {
  setCameraAccount: 'Open the tapo-device configuration and enter the camera account (Tapo app: camera settings > Advanced settings > Camera Account).',
  installFfmpeg: 'Install ffmpeg on the Node-RED host (Debian, Ubuntu, Raspberry Pi OS: sudo apt install ffmpeg); it is found on the PATH at the next snapshot.',
  turnPrivacyOff: 'Turn privacy mode off (tapo-camera-do with {"privacyMode": false}), then take the snapshot.',
} as const;

/** Short statuses of these reasons, and of the RTSP and ffmpeg reasons a snapshot meets (reasons/media.ts). */
export const SNAPSHOT_STATUSES = {
  snapshotNoCameraAccount: 'set the camera account',
  snapshotNeedsFfmpeg: 'install ffmpeg for snapshots',
  snapshotPrivacy: 'privacy mode is on',
  rtspRefused: 'camera account refused',
  rtspBusy: 'camera busy: 2 streams in use',
  ffmpegNotStarted: 'ffmpeg could not start',
  ffmpegNoPicture: 'ffmpeg gave no picture',
} as const;
