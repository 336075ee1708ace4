/**
 * English texts of the reasons raised by the plug settings (src/devices/plug-settings.ts: auto-off,
 * state after power loss, child lock, overload protection, schedules) and of their hints, plus
 * the texts of the SMART schedule error codes (-1801 … -1805, errors.md §2). Placeholders are
 * `__name__` (see format.ts); `__received__` is a user's value described by the parsers.
 */
export const PLUG_SETTINGS_REASONS = {
  // Payload parsers (src/devices/plug-settings.ts).
  unknownPlugSettingKeys: 'Plug settings: unknown key__plural__ __keys__; accepted: __accepted__.',
  plugScheduleAlone: 'Plug "__key__" goes alone in its message; send the other keys (__others__) in another message.',
  plugSettingsRead: 'Plug "settings" must be "read"; got __received__.',
  plugSchedulesList: 'Plug "schedules" must be "list"; got __received__.',
  autoOffValue: 'Plug "autoOff" must be true/false or {enabled?: boolean, minutes?: 1 to __max__}; got __received__.',
  autoOffMinutes: 'Plug "autoOff.minutes" must be a whole number of minutes from 1 to __max__; got __received__.',
  autoOffEmpty: 'Plug "autoOff" needs enabled and/or minutes.',
  powerOnStateValue: 'Plug "powerOnState" must be "on", "off" or "last"; got __received__.',
  overloadValue: 'Plug "overloadProtection" must be true/false or {enabled?: boolean, watts?: whole number}; got __received__.',
  overloadWattsWhole: 'Plug "overloadProtection.watts" must be a whole number of watts from 1; got __received__.',
  overloadEmpty: 'Plug "overloadProtection" needs enabled and/or watts.',
  overloadWattsRange: 'Plug "overloadProtection.watts" must be from 1 to __max__ W on this plug (its maximum); got __watts__.',
  overloadNeedsWatts: 'Overload protection has no threshold on this plug yet: give overloadProtection.watts (1 to __max__).',
  scheduleObject: 'Plug "__key__" must be an object such as {time: "07:30", days: "daily", on: true}; got __received__.',
  scheduleMissing: 'Plug "__key__": __field__ is missing; a schedule needs time, days and on.',
  scheduleTime: 'Schedule "time" must be "HH:MM" (00:00 to 23:59), "sunrise" or "sunset"; got __received__.',
  scheduleOffset: 'Schedule "offset" must be a whole number of minutes from -__max__ to __max__; got __received__.',
  scheduleOffsetNeedsSun: 'Schedule "offset" applies only to the times "sunrise" and "sunset".',
  scheduleDays:
    'Schedule "days" must be "daily", "weekdays", "weekend", "once" or a non-empty array of days (mon, tue, wed, thu, fri, sat, sun); got __received__.',
  scheduleDayUnknown: 'Schedule "days": unknown day__plural__ __days__; days are mon, tue, wed, thu, fri, sat, sun.',
  scheduleBoolean: 'Schedule "__key__" must be true or false; got __received__.',
  scheduleId: 'Plug "__key__" needs a schedule id such as "S1"; got __received__.',
  scheduleEditEmpty: 'Plug "editSchedule" needs id and at least one of time, offset, days, on, enabled.',
  noSuchSchedule: 'No schedule "__id__" on this plug; its schedules: __ids__.',
  noSuchScheduleNone: 'No schedule "__id__" on this plug; it has none.',
  plugSettingUnsupported: 'This model has no __setting__ (its component list lacks "__component__").',
  scheduleRuleUnreadable: 'schedule rule __id__ is in a form this package cannot read (__field__)',

  // SMART schedule codes (errors.md §2: SCHEDULE_ERROR, _FULL, _CONFLICT, _SAVE, _INDEX).
  codeScheduleError: 'schedule error (error __code__)',
  codeScheduleFull: 'the plug holds no more schedules (error __code__)',
  codeScheduleConflict: 'the schedule conflicts with another one (error __code__)',
  codeScheduleNotSaved: 'the schedule could not be saved (error __code__)',
  codeScheduleIndex: 'no such schedule on the device (error __code__)',
} as const;

/** Hints of the plug settings. */
export const PLUG_SETTINGS_HINTS = {
  plugSettingsModel: 'Send {settings: "read"} to see which settings this model has.',
  scheduleIds: 'Send {schedules: "list"} to see the schedule ids.',
  scheduleFull: 'Remove a schedule ({removeSchedule: id}) before adding another.',
} as const;
