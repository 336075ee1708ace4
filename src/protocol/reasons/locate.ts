/**
 * English texts of the reasons and hints of keeping a device found (src/connection/locate.ts):
 * the wake-up probe and the search for a device's MAC after it stopped answering at its address.
 */
export const LOCATE_REASONS = {
  locateNotFound: 'no answer at its address, and no device with MAC __mac__ answered discovery on its network (__searched__ addresses probed)',
  locateNoMac: 'no answer at its address; it was not searched for, as its MAC is not known yet (it has not answered since Node-RED started)',
} as const;

/** English hints of keeping a device found. */
export const LOCATE_HINTS = {
  locateGone: 'Check that the device is powered and on the same network as Node-RED. If it now has another address, enter it as the host (a fixed DHCP lease in the router keeps it).',
} as const;

