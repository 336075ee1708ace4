/**
 * English texts of the reasons raised by the media protocols (src/protocol/rtsp.ts: the RTSP
 * snapshot client, ../shared/protocol/media.md §2–§3), and of the hints only they give.
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
} as const;

/**
 * English hints only the media protocols give: none yet. A refused camera account takes the
 * ONVIF client's `checkCameraAccount` (reasons/protocol.ts): the same account serves both.
 */
export const MEDIA_HINTS = {} as const;
