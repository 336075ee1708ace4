/**
 * English texts of the reasons raised by the protocol layer (src/protocol: HTTP, the transports,
 * their ciphers, UDP discovery, the envelope reader), and of the hints only it gives. Placeholders
 * are `__name__` (see format.ts); a device code given with the error is `__code__`, an HTTP status
 * `__status__`, the host and port a request went to `__where__`.
 */
export const PROTOCOL_REASONS = {
  // http.ts: the network under every scheme
  clientClosed: 'the connection is closed',
  noAnswerInTime: 'no answer from __where__ in time',
  notReachedInTime: 'could not reach __where__ in time',
  noConnectInTime: 'could not connect to __where__ in time',
  cancelledByClose: 'the request was cancelled because the connection closed',
  lostAfterSending: 'the connection to __where__ was lost after the request was sent (__detail__); the device may have acted on it',
  brokeWhileSending: 'the connection to __where__ broke while the request was being sent (__detail__); the device may have acted on it',
  cannotReach: 'cannot reach __where__ (__detail__)',

  // envelope.ts
  replyNotObject: 'the reply is not a JSON object',

  // discovery.ts and discovery-cipher.ts
  discoveryNoHost: 'no host to discover',
  discoveryBadPort: 'invalid discovery port __value__',
  discoveryBadTimeout: 'invalid discovery timeout __value__',
  discoveryBadKeySize: 'invalid RSA key size __value__',
  discoveryBadAttempts: 'invalid number of discovery attempts __value__',
  discoveryGroupAddress: '__host__ is a broadcast or multicast address',
  cannotResolve: 'cannot resolve __host__ (__detail__)',
  discoveryCancelled: 'discovery of __where__ was cancelled',
  discoveryNoAnswer: 'no discovery answer from __where__ within __ms__ ms',
  discoveryRefused: 'nothing answers discovery on __where__ (ECONNREFUSED)',
  discoveryFailed: 'discovery of __where__ failed (__detail__)',
  discoveryTooShort: 'discovery reply too short (__bytes__ bytes)',
  discoveryNotJson: 'discovery reply is not JSON',
  discoveryNotObject: 'discovery reply is not a JSON object',
  discoveryNoCode: 'discovery reply has no error_code',
  discoveryResultNotObject: 'discovery reply result is not an object',
  encryptInfoKeyUndecryptable: 'cannot decrypt the discovery encrypt_info key with the probe key',
  encryptInfoKeyLength: 'discovery encrypt_info key is __bytes__ bytes, expected 32',
  encryptInfoNotBlocks: 'discovery encrypt_info data is not whole AES blocks',
  encryptInfoUndecryptable: 'cannot decrypt the discovery encrypt_info data',
  encryptInfoNotJson: 'discovery encrypt_info data is not JSON',
  encryptInfoNotObject: 'discovery encrypt_info data is not a JSON object',
} as const;

/** English hints given only by the protocol layer (the shared ones are in core.ts). */
export const PROTOCOL_HINTS = {
  checkHostOnNetwork: 'Check the host address and that the device is on the network.',
  checkHostPortOnNetwork: 'Check the host address and port, and that the device is on the network.',
  checkStateBeforeRepeat: "Check the device's state before repeating the request.",
  checkHostName: 'Check the host name or use the IP address.',
  giveDeviceIp: 'Give the device IP address, e.g. 192.168.1.20.',
  timeoutPositive: 'The timeout must be a positive number of milliseconds.',
  rsaKeyBits: 'Use 1024 to 4096 bits (2048 is what other clients send).',
  atLeastOneProbe: 'Send at least one probe.',
  discoveryUnicast: 'Discovery here is unicast to one device: give the address of the device itself.',
  discoveryCheckNetwork: 'Check that the device is powered and on this network (UDP discovery does not cross most routers); some doorbells answer on port 20004.',
  checkDiscoveryPort: 'Check the host address and the discovery port (20002; some doorbells use 20004).',
} as const;
