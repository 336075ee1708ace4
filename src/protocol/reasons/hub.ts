/**
 * English texts of the reasons, hints and short statuses of hubs (src/devices/hub.ts: H100 on the
 * SMART protocol, H200 on the camera protocol) and of the D100C chime.
 */
export const HUB_REASONS = {
  notHub: 'this device is not a hub (it reports __type__); sensors are read through an H100 or H200 hub',
  noSuchChild: 'No child "__name__" on this hub; use a position (__positions__), a device id or a name: __names__.',
  noChildren: 'No child "__name__" on this hub: it has no paired devices.',
  childNameShared: '__count__ children of this hub are named "__name__" (positions __positions__); use a position or a device id.',
  badChildKey: 'a child is a position (a whole number from 1), a device id or a name, not __value__',
  notChime: 'this device is not a D100C chime (it reports __type__)',
  chimeBadAction: 'chime takes "ring" (or an object {"ring": true, "sound", "volume", "duration"}), not __value__',
  chimeBadVolume: 'the chime volume is a whole number from 1 to 15, not __value__',
  chimeBadDuration: 'the chime duration is 0 (once) or a whole number of seconds from 5 to 30, not __value__',
  hubNotPlug: 'this device is a hub: it has no relay or meter of its own, and its children are sensors, not sockets',
} as const;

/** English hints of hubs. */
export const HUB_HINTS = {
  hubUseSensorNode: 'Read its sensors with a hub sensors (tapo-sensor) node and their events with an events node.',
  hubChooseChild: 'Set Child in the node, or msg.child, to one of the listed positions, ids or names; leave both empty to read every child.',
  hubRenameChildren: 'Give the children different names in the Tapo app, or address them by position.',
  hubPickHub: 'Pick the tapo-device of an H100 (kind plug) or H200 (kind camera) hub.',
} as const;

/** Short statuses of these reasons (a node's red status). */
export const HUB_STATUSES = {
  hubNotPlug: 'a hub: use hub sensors',
  notHub: 'not a hub',
  noSuchChild: 'no such child',
  noChildren: 'no children',
  childNameShared: 'child name shared',
  notChime: 'not a chime',
} as const;
