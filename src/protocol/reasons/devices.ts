/**
 * English texts of the reasons raised by the devices layer (src/devices: the verbs, the payload
 * parsers) and by the probe (src/connection/probe.ts), and of their hints. Placeholders are
 * `__name__` (see format.ts). A user's value is described in English by the parsers
 * (`describeValue`) and arrives as `__received__`; lists built in code arrive whole, and
 * `__plural__` is the English plural suffix (`s` or nothing) of the word before it.
 */
export const DEVICE_REASONS = {
  // Replies (src/devices/check.ts, smart.ts, camera.ts, camera-settings.ts); the method is put in front.
  replyLacks: 'the reply has no usable __field__',
  batchUnanswered: 'the device answered none of __methods__.',
  cameraBatchUnanswered: 'the camera answered none of __methods__.',
  noAlarmConfig: 'this camera reports no alarm configuration (msg_alarm.chn1_msg_alarm_info).',

  // Plugs and power strips (src/devices/plug.ts).
  countdownDelay: 'Countdown delay must be a whole number of seconds from 1 to __max__; got __value__.',
  energyNoWindow: 'The energy range covers no window.',
  socketNameShared: '__count__ sockets are named "__name__" (positions __positions__): use the position __span__ or the socket\'s device id.',
  noSuchSocket: 'No socket "__name__" on this device; use a device id, a position (__positions__) or a socket name.',
  noSuchSocketNoPositions: 'No socket "__name__" on this device; use a device id, a position (none) or a socket name.',
  stripChooseSocket: 'This is a power strip: choose a socket (__positions__ or its name).',
  stripChooseSocketAny: 'This is a power strip: choose a socket (its position, id or name).',
  notStripNode: 'This plug has no sockets: leave Socket empty and do not set msg.socket.',
  energyInterval: 'Energy interval must be hourly, daily or monthly; got __value__.',
  energyBadDates: 'Energy range dates must be valid dates.',
  hourlyEndBeforeStart: 'The end of an hourly energy range must not be before its start.',
  hourlyMaxDays: 'Hourly energy history covers at most __days__ days.',
  energyEndBeforeStart: 'The end of an energy range must not be before its start.',
  energyRangeTooLongHourly:
    'This hourly range needs more than __requests__ requests to the device (one per __days__ days); hourly history is read for at most __longestDays__ days at a time.',
  energyRangeTooLongDaily:
    'This daily range needs more than __requests__ requests to the device (one per quarter); daily history is read for at most __requests__ quarters (__years__ years) at a time.',
  energyRangeTooLongMonthly:
    'This monthly range needs more than __requests__ requests to the device (one per year); monthly history is read for at most __requests__ years at a time.',
  noEnergyMeter: 'This device has no energy meter.',

  // Cameras (src/devices/camera.ts, camera-settings.ts).
  cameraSettingUnknown: 'Unknown camera setting "__name__"; known: __known__.',
  rawNeedsMethod: 'A raw camera request needs a "method" string.',
  noNamedMethod: 'internal: __action__ has no named method',
  noSuchPreset: 'No preset "__preset__" on this camera; presets: __presets__.',
  noSuchPresetNone: 'No preset "__preset__" on this camera; presets: none.',
  alarmConfigEmpty: 'The alarm configuration needs at least one field.',
  motionDetectionEmpty: 'Motion detection needs enabled and/or sensitivity.',
  personDetectionEmpty: 'Person detection needs enabled and/or sensitivity.',

  // Payload parsers (src/devices/input.ts, parse.ts, the rows of camera-settings.ts).
  unknownPlugKeys: 'Plug command: unknown key__plural__ __keys__; accepted: __accepted__.',
  unknownCameraActionKeys: 'Camera action: unknown key__plural__ __keys__; accepted: __accepted__.',
  unknownCameraKeys: 'Camera "__key__": unknown key__plural__ __keys__; accepted: __accepted__.',
  cameraWholeNumber: 'Camera "__key__" must be a whole number from __min__ to __max__; got __received__.',
  cameraWholeNumberBelow: 'Camera "__key__" must be a whole number from __min__ to below __max__; got __received__.',
  plugDelay: 'Plug delay must be a whole number of seconds from 0 to __max__; got __received__.',
  plugAction: 'Plug action must be "on", "off", "toggle" or "status"; got __received__.',
  delayOnlyOnOff: 'A delay applies only to the actions "on" and "off".',
  plugBoolean: 'Plug "__key__" must be true or false; got __received__.',
  plugCommandUnreadable:
    'Cannot read a plug command from __received__; accepted: true/false, 1/0, "on", "off", "toggle", "status", {on: boolean, delay?: seconds}, {brightness: 1 to 100, on?: boolean} (dimmers), {led: boolean} or {action: "on"|"off"|"toggle"|"status", delay?: seconds}.',
  cameraNamesUnreadable:
    'Cannot read camera setting names from __received__; send a name, a comma-separated list or an array of names (__settings__) or "all".',
  cameraSettingNamesUnknown: 'Unknown camera setting __names__; accepted: __settings__, all.',
  cameraPresetValue: 'Camera "__key__" must be a preset id or name (text up to 64 characters); got __received__.',
  cameraRawObject: 'Camera "raw" must be an object with a "method" string; got __received__.',
  cameraRawJson: 'Camera "raw" must be plain JSON.',
  cameraActionEmpty: 'Camera action: the object is empty; accepted keys: __keys__.',
  cameraMove: 'Camera "move" must be {x, y} in steps; got __received__.',
  cameraMoveEmpty: 'Camera "move" needs x and/or y.',
  cameraSavePreset: 'Camera "savePreset" must be a preset name (text up to 64 characters); got __received__.',
  cameraReboot: 'Camera "reboot" must be true; got __received__.',
  cameraActionsEmpty: 'Camera actions: the array is empty.',
  cameraActionUnreadable:
    'Cannot read a camera action from __received__; send an object such as {privacyMode: true}, {preset: "1"} or {move: {x: 10, y: -5}} (keys: __keys__).',
  cameraOnOff: 'Camera "__key__" must be true/false or "on"/"off"; got __received__.',
  cameraDetection:
    'Camera "__key__" must be true/false or {enabled?: boolean, sensitivity?: "low"|"medium"|"high"}; got __received__.',
  cameraBoolean: 'Camera "__key__" must be true or false; got __received__.',
  cameraSensitivity: 'Camera "__key__" must be "low", "medium" or "high"; got __received__.',
  cameraDetectionEmpty: 'Camera "__key__" needs enabled and/or sensitivity.',
  cameraAlarm: 'Camera "alarm" must be "start", "stop", true/false or {enabled?, modes?, volume?, duration?}; got __received__.',
  cameraAlarmModes: 'Camera "alarm.modes" must be an array of __modes__; got __received__.',
  cameraAlarmVolume: 'Camera "alarm.volume" must be low, normal or high; got __received__.',
  cameraAlarmEmpty: 'Camera "alarm" needs at least one of enabled, modes, volume, duration.',
  cameraNightVision: 'Camera "nightVision" must be "auto", "on" or "off"; got __received__.',

  // The probe (src/connection/probe.ts): __configured__ and __looksLike__ are the kinds plug and camera.
  wrongKind: 'this looks like a __looksLike__: it does not answer as a __configured__, but a __looksLike__ answers at __where__',
} as const;

/** English hints of the devices layer and the probe. */
export const DEVICE_HINTS = {
  renameSockets: 'Give the sockets different names in the Tapo app to choose them by name.',
  stripAddressSocket: 'Address one socket: strip.socket(position, id or name).',
  stripHintNode: 'Set Socket in the node or msg.socket.',
  shorterRange: 'Ask for a shorter range, or split it over several messages.',
  energyModel: 'Energy readings need a P110, P115 or another model with energy monitoring.',
  setKind: 'Set the device kind to __looksLike__ (Device in the tapo-device node, --kind __looksLike__ for the command line).',
} as const;

/**
 * Short statuses of the device reasons that say what to do better than their kind's status does
 * (a red status under a node).
 */
export const DEVICE_STATUSES = {
  stripChooseSocket: 'power strip: choose a socket',
  stripChooseSocketAny: 'power strip: choose a socket',
  notStripNode: 'no sockets: leave Socket empty',
  noSuchSocket: 'no such socket',
  noSuchSocketNoPositions: 'no such socket',
  socketNameShared: 'socket name not unique',
  energyRangeTooLongHourly: 'energy range too long',
  energyRangeTooLongDaily: 'energy range too long',
  energyRangeTooLongMonthly: 'energy range too long',
  noSuchPreset: 'preset not found',
  noSuchPresetNone: 'preset not found',
} as const;
