/**
 * English texts of the reasons raised by the connection layer and shared by every layer, and of
 * the hints shared across layers. Placeholders are `__name__` (see format.ts).
 */
export const CORE_REASONS = {
  connectionClosed: 'connection closed',
  noAnswerWithin: 'no answer within __ms__ ms',
  requestAborted: 'the request was aborted',
  notRunning: 'internal error: the request is not running',
  sessionNotKept: 'the session could not be kept',
  noHost: 'no host in "__value__"',
  badPort: 'invalid port in "__value__"',
  loggedInWithoutScheme: 'logged in without a scheme',
  unexpected: '__detail__',
  hostNotSet: 'This tapo-device has no host, so nothing was sent.',
  ringPortTaken: 'cannot listen for doorbell rings on UDP port __port__ (__detail__)',
  badTimeout: 'The timeout must be a number of seconds from __min__ to __max__; the configuration has "__value__".',
  heldBack: 'no new login for __seconds__ s after a rejected one, so that the account is not locked; deploying corrected credentials tries again at once',
} as const;

/** English hints: the one sentence a user needs to fix a problem. */
export const CORE_HINTS = {
  checkCredentials: 'Check the user name and password in the device configuration.',
  slowDown: 'Send fewer requests; the device is rate limiting.',
  cameraFeatureMissing: 'This camera model may not support that feature (for example pan/tilt on a camera without a motor).',
  useSchemeKlap: 'Set the scheme to auto or KLAP.',
  useSchemeTpap: 'Set the scheme to auto or TPAP.',
  useSchemePassthrough: 'Set the scheme to auto or passthrough.',
  useSchemeCameraSecure: 'Set the scheme to auto or camera-secure.',
  useSchemeCameraLegacy: 'Set the scheme to auto or camera-legacy.',
  useSchemeAuto: 'Set the scheme to auto, so the client finds the scheme the device speaks.',
  useAdmin: 'Use the user name admin with the TP-Link account password.',
  waitSeconds: 'Wait __seconds__ s, then check the password; do not retry before.',
  waitForLock: 'Wait until the lock ends, then check the password.',
  thirdParty: 'Turn on Third-Party Compatibility in the Tapo app (Me > Tapo Lab > Third-Party Compatibility); after a firmware update, switch it off and on again.',
  checkPowered: 'Check that the device is powered and reachable.',
  checkPoweredOrTimeout: 'Check that the device is powered and reachable, or raise the timeout.',
  giveHost: 'Give a host name or IP address, e.g. 192.168.1.20 or 192.168.1.20:8080.',
  portRange: 'The port must be a number from 1 to 65535.',
  ringPortHint: 'Another program listens on that port (another Tapo integration?): stop it, or leave the ring event off.',
  setHost: "Open the tapo-device configuration and enter the device's IP address or host name (optionally :port).",
  badTimeoutHint: 'Open the tapo-device configuration and enter a timeout from __min__ to __max__ seconds (or leave it empty for 10).',
} as const;
