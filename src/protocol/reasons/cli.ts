/** English texts of the reasons and hints of the `tapo` command line's own refusals. */
export const CLI_REASONS = {
  cliNotJson: '__what__ is not valid JSON',
  cliNotObject: '__what__ must be a JSON object',
  cliNotStrip: 'This plug has no sockets, so --socket does not apply',
  cliSocketNoMeter: 'Socket __socket__ of this strip has no energy meter',
} as const;

/** English hints of the command line. */
export const CLI_HINTS = {
  cliQuoteJson: `Quote it for the shell, e.g. '{"privacyMode":true}'.`,
  cliPassObject: 'Pass an object such as {"device_on":true}.',
  cliSocketMeter: 'Energy readings per socket need a strip with energy monitoring, such as a P304M.',
  cliStripSocket: 'Add --socket with its position (e.g. --socket 1), its device id or its name.',
  cliLeaveOutSocket: 'Leave out --socket.',
} as const;
