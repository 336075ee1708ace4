/**
 * English texts of the reasons and hints of the network scan (src/protocol/discovery-scan.ts) and
 * of a config node that uses another node's account (src/nodes/tapo-device.ts). Placeholders are
 * `__name__`.
 */

/** Reasons of the network scan and of the shared account. */
export const SCAN_REASONS = {
  scanNoTargets: 'nothing to scan: no network and no address range was given',
  scanBadRange: '"__value__" is not an address range',
  scanRangeTooLarge: 'the range "__value__" holds __count__ addresses, more than the __max__ a scan sweeps',
  scanBadAddress: '"__value__" is not an IPv4 address',
  scanNotBroadcast: '"__value__" is neither an address range nor the broadcast address of one of this host\'s networks',
  scanSendFailed: 'the scan could not send any probe (__detail__)',
  scanCancelled: 'the network scan was cancelled',
  accountMissing: 'the device whose account this one uses (__id__) does not exist',
  accountWrongKind: 'the device whose account this one uses (__id__) is a __actual__, not a __configured__',
  accountChained: 'the device whose account this one uses (__id__) uses another device\'s account itself',
} as const;

/** Hints of the network scan and of the shared account. */
export const SCAN_HINTS = {
  scanRangeForms:
    'Give one address (192.168.1.20), a range (192.168.1.10-40 or 192.168.1.10-192.168.1.40) or a network (192.168.1.0/24, /22 to /30), at most 1024 addresses.',
  scanChooseNetwork: 'Choose one of the networks listed, or type an address range.',
  scanCheckNetwork: 'Check that this host is on the network to scan and that the addresses are reachable from it.',
  scanThirdPartyOff:
    'This device advertises TPAP, which suggests Third-Party Compatibility is off in the Tapo app: keep the scheme TPAP, or turn the option on so that KLAP works too.',
  accountPickAnother: 'Open this device and choose another device under "Use the account of", or enter the e-mail and password here.',
} as const;

/** Short statuses of the shared-account reasons (the config node's red status). */
export const SCAN_STATUSES = {
  accountMissing: 'account device missing',
  accountWrongKind: 'account of another kind',
  accountChained: 'account device uses another',
} as const;
