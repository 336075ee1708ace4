/** English texts of the reasons and hints of the `tapo` command line's own refusals. */
export const CLI_REASONS = {
  cliNotJson: '__what__ is not valid JSON',
  cliNotObject: '__what__ must be a JSON object',
  cliNotStrip: 'This plug has no sockets, so --socket does not apply',
  cliSocketNoMeter: 'Socket __socket__ of this strip has no energy meter',
  cliWrongKind: 'this is a __actual__, not a __configured__ (a __actual__ answers at __where__)',
} as const;

/** English hints of the command line. */
export const CLI_HINTS = {
  cliQuoteJson: `Quote it for the shell, e.g. '{"privacyMode":true}'.`,
  cliPassObject: 'Pass an object such as {"device_on":true}.',
  cliSocketMeter: 'Energy readings per socket need a strip with energy monitoring, such as a P304M.',
  cliStripSocket: 'Add --socket with its position (e.g. --socket 1), its device id or its name.',
  cliLeaveOutSocket: 'Leave out --socket.',
  cliAddKindCamera: 'Add --kind camera and leave out --username (a camera logs in as admin); a camera takes probe, info, camera get, camera do and call.',
  cliPlugCommand: '__command__ is a plug command: for a camera add --kind camera and use info, camera get, camera do or call (it logs in as admin).',
  cliDropKindCamera: 'Leave out --kind camera (plug is the default) and give your TP-Link account e-mail with --username.',
  cliCameraCommand: '__command__ is a camera command: a plug takes probe, info, on, off, toggle, energy and call, with your TP-Link account e-mail as --username.',
} as const;
