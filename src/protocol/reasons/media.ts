/**
 * English texts of the reasons raised by the media protocols (src/protocol/rtsp.ts: the RTSP
 * client; src/protocol/ffmpeg.ts: ffmpeg as the H.264 decoder; ../shared/protocol/media.md §2–§4),
 * and of the hints only they give.
 * `__where__` is the stream URL without credentials.
 */
export const MEDIA_REASONS = {
  rtspBadUrl: 'not an rtsp:// URL with a host: "__value__"',
  rtspRefused: 'the camera refused the camera account (RTSP 401 from __where__)',
  rtspAuthUnsupported: 'the camera asks for an RTSP authentication this client does not speak (__scheme__)',
  rtspStatus: '__method__ failed with RTSP __status__ from __where__',
  rtspNoJpegTrack: 'the stream at __where__ has no JPEG track',
  rtspNoFrameInTime: 'no complete JPEG frame from __where__ within __ms__ ms',
  rtspClosed: 'the RTSP connection to __where__ ended (__detail__)',
  rtspGarbled: 'garbled RTSP reply from __where__',
  rtspBusy: '__method__ refused with RTSP __status__ from __where__: the camera already serves as many streams as it can (2)',
  rtspNoH264Track: 'the stream at __where__ has no H.264 track',
  ffmpegNotStarted: 'ffmpeg could not be started (__path__: __detail__)',
  ffmpegNoPicture: 'ffmpeg ended without a picture from __where__ (__detail__)',
} as const;

/**
 * English hints only the media protocols give. A refused camera account takes the ONVIF client's
 * `checkCameraAccount` (reasons/protocol.ts): the same account serves both.
 */
export const MEDIA_HINTS = {
  closeOtherViewers: 'A camera serves at most 2 live streams at once: close another viewer (the Tapo app, an NVR, a browser or another RTSP client) and try again.',
} as const;
