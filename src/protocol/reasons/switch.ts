/**
 * English texts of the reasons raised for wall switches and dimmers (src/devices/switch.ts: the
 * brightness of the S500D and S505D) and for metered power strips read as a whole
 * (src/devices/plug.ts `Strip.energyRefusal`: P304M, P316M), and of their hints. Placeholders are
 * `__name__` (see format.ts); `__received__` is a user's value described by the parsers.
 */
export const SWITCH_REASONS = {
  // Payload parser (src/devices/switch.ts, parse.ts).
  brightnessValue: 'Brightness must be a whole number from __min__ to __max__; got __received__. To switch off, send {on: false}.',
  brightnessNoDelay: 'A delay cannot go with a brightness: send {on, delay} and {brightness} in separate messages.',
  // Verbs (src/devices/switch.ts).
  noBrightness: 'This device does not dim: its component list has no "brightness", so no brightness was sent.',
  noBrightnessUnknown: 'This device did not give its component list, so whether it dims is unknown and no brightness was sent.',
  // Metered strips (src/devices/plug.ts).
  stripEnergyChooseSocket: 'This power strip meters each socket, not itself: choose a socket (__positions__ or its name).',
  stripEnergyChooseSocketAny: 'This power strip meters each socket, not itself: choose a socket (its position, id or name).',
} as const;

/** Hints of wall switches, dimmers and metered strips. */
export const SWITCH_HINTS = {
  brightnessModel: 'Brightness needs a dimmer switch such as the S500D or S505D; send on, off or toggle to other switches and plugs.',
} as const;

/** Short statuses of these reasons (a red status under a node). */
export const SWITCH_STATUSES = {
  noBrightness: 'does not dim',
  noBrightnessUnknown: 'does not dim',
  stripEnergyChooseSocket: 'power strip: choose a socket',
  stripEnergyChooseSocketAny: 'power strip: choose a socket',
} as const;
