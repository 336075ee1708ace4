/**
 * Parsers for what users put in `msg.payload`. Each returns a typed command or throws a
 * `TapoError('Input')` that says what was received (its type, and its value only when short) and
 * what is accepted. Everything is validated before anything is sent: an invalid payload changes nothing.
 */
import type { JsonObject } from '../protocol/types';
import { CAMERA_SETTINGS } from './camera';
import type { AlarmConfigUpdate, CameraAction, CameraSetting, NightVisionState, Sensitivity } from './camera';
import { checkKeys, describeValue, inputError, isPlainObject, numberValue } from './input';
import { MAX_COUNTDOWN_SECONDS } from './plug';

export { describeValue } from './input';

/** What a plug should do. `set` with `delaySeconds` arms a countdown. */
export type PlugCommand =
  | { type: 'set'; on: boolean; delaySeconds?: number }
  | { type: 'toggle' }
  | { type: 'status' }
  | { type: 'led'; on: boolean };

const PLUG_ACCEPTED =
  'true/false, 1/0, "on", "off", "toggle", "status", {on: boolean, delay?: seconds}, {led: boolean} or {action: "on"|"off"|"toggle"|"status", delay?: seconds}';

function parseDelay(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_COUNTDOWN_SECONDS) {
    throw inputError(`Plug delay must be a whole number of seconds from 0 to ${MAX_COUNTDOWN_SECONDS}; got ${describeValue(v)}.`);
  }
  return v === 0 ? undefined : v;
}

function setCommand(on: boolean, delay: number | undefined): PlugCommand {
  return delay === undefined ? { type: 'set', on } : { type: 'set', on, delaySeconds: delay };
}

function plugWord(word: string): PlugCommand | undefined {
  switch (word.trim().toLowerCase()) {
    case 'on':
      return { type: 'set', on: true };
    case 'off':
      return { type: 'set', on: false };
    case 'toggle':
      return { type: 'toggle' };
    case 'status':
      return { type: 'status' };
    default:
      return undefined;
  }
}

/**
 * Reads a plug command from `msg.payload`: `true`/`false`, `1`/`0`, `"on"`/`"off"`/`"toggle"`/`"status"`
 * (any case, trimmed), `{on, delay?}`, `{led}` or `{action, delay?}`.
 */
export function parsePlugCommand(payload: unknown): PlugCommand {
  if (typeof payload === 'boolean') return { type: 'set', on: payload };
  if (payload === 1 || payload === 0) return { type: 'set', on: payload === 1 };
  if (typeof payload === 'string') {
    const cmd = plugWord(payload);
    if (cmd) return cmd;
  }
  if (isPlainObject(payload)) {
    if ('action' in payload) {
      checkKeys(payload, ['action', 'delay'], 'Plug command');
      const cmd = typeof payload.action === 'string' ? plugWord(payload.action) : undefined;
      if (!cmd) {
        throw inputError(`Plug action must be "on", "off", "toggle" or "status"; got ${describeValue(payload.action)}.`);
      }
      const delay = parseDelay(payload.delay);
      if (delay === undefined) return cmd;
      if (cmd.type !== 'set') throw inputError('A delay applies only to the actions "on" and "off".');
      return setCommand(cmd.on, delay);
    }
    if ('on' in payload) {
      checkKeys(payload, ['on', 'delay'], 'Plug command');
      if (typeof payload.on !== 'boolean') throw inputError(`Plug "on" must be true or false; got ${describeValue(payload.on)}.`);
      return setCommand(payload.on, parseDelay(payload.delay));
    }
    if ('led' in payload) {
      checkKeys(payload, ['led'], 'Plug command');
      if (typeof payload.led !== 'boolean') throw inputError(`Plug "led" must be true or false; got ${describeValue(payload.led)}.`);
      return { type: 'led', on: payload.led };
    }
  }
  throw inputError(`Cannot read a plug command from ${describeValue(payload)}; accepted: ${PLUG_ACCEPTED}.`);
}

/**
 * Reads the camera settings to fetch: a name, a comma-separated list, an array of names, or `"all"`.
 * `undefined`, `null`, `""` and `[]` give `[]`: the caller then uses its configured list.
 */
export function parseCameraReadNames(payload: unknown): CameraSetting[] {
  if (payload === undefined || payload === null) return [];
  let items: unknown[];
  if (typeof payload === 'string') items = payload.split(',');
  else if (Array.isArray(payload)) items = payload;
  else {
    throw inputError(
      `Cannot read camera setting names from ${describeValue(payload)}; send a name, a comma-separated list or an array of names (${CAMERA_SETTINGS.join(', ')}) or "all".`,
    );
  }
  const names: CameraSetting[] = [];
  const unknown: string[] = [];
  for (const item of items) {
    if (typeof item !== 'string') {
      unknown.push(describeValue(item));
      continue;
    }
    const word = item.trim();
    if (word === '') continue;
    if (word.toLowerCase() === 'all') {
      names.push(...CAMERA_SETTINGS);
      continue;
    }
    const match = CAMERA_SETTINGS.find((s) => s.toLowerCase() === word.toLowerCase());
    if (match) names.push(match);
    else unknown.push(word.length <= 32 ? `"${word}"` : `a name of ${word.length} characters`);
  }
  if (unknown.length > 0) {
    throw inputError(`Unknown camera setting ${unknown.join(', ')}; accepted: ${CAMERA_SETTINGS.join(', ')}, all.`);
  }
  return [...new Set(names)];
}

/** Keys of a camera action object, in the order their actions run (see {@link parseCameraActions}). */
export const CAMERA_ACTION_KEYS = [
  'privacyMode',
  'led',
  'motionDetection',
  'personDetection',
  'nightVision',
  'preset',
  'move',
  'step',
  'savePreset',
  'deletePreset',
  'alarm',
  'raw',
  'reboot',
] as const;

const SENSITIVITIES: readonly Sensitivity[] = ['low', 'medium', 'high'];
const NIGHT_VISION: readonly NightVisionState[] = ['auto', 'on', 'off'];
const ALARM_MODES = ['sound', 'light', 'siren'];
const ALARM_VOLUMES = ['low', 'normal', 'high'] as const;
/** Longest move accepted per axis, in the camera's steps. */
const MAX_MOVE = 360;

function onOffValue(v: unknown, key: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (w === 'on') return true;
    if (w === 'off') return false;
  }
  throw inputError(`Camera "${key}" must be true/false or "on"/"off"; got ${describeValue(v)}.`);
}

function detectionValue(v: unknown, key: string): { enabled?: boolean; sensitivity?: Sensitivity } {
  if (typeof v === 'boolean') return { enabled: v };
  if (!isPlainObject(v)) {
    throw inputError(`Camera "${key}" must be true/false or {enabled?: boolean, sensitivity?: "low"|"medium"|"high"}; got ${describeValue(v)}.`);
  }
  checkKeys(v, ['enabled', 'sensitivity'], `Camera "${key}"`);
  const out: { enabled?: boolean; sensitivity?: Sensitivity } = {};
  if (v.enabled !== undefined) {
    if (typeof v.enabled !== 'boolean') throw inputError(`Camera "${key}.enabled" must be true or false; got ${describeValue(v.enabled)}.`);
    out.enabled = v.enabled;
  }
  if (v.sensitivity !== undefined) {
    const word = typeof v.sensitivity === 'string' ? v.sensitivity.trim().toLowerCase() : undefined;
    const match = SENSITIVITIES.find((s) => s === word);
    if (!match) {
      throw inputError(`Camera "${key}.sensitivity" must be "low", "medium" or "high"; got ${describeValue(v.sensitivity)}.`);
    }
    out.sensitivity = match;
  }
  if (out.enabled === undefined && out.sensitivity === undefined) {
    throw inputError(`Camera "${key}" needs enabled and/or sensitivity.`);
  }
  return out;
}

function presetValue(v: unknown, key: string): string {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
  if (typeof v === 'string' && v.trim() !== '' && v.trim().length <= 64) return v.trim();
  throw inputError(`Camera "${key}" must be a preset id or name (text up to 64 characters); got ${describeValue(v)}.`);
}

function alarmValue(v: unknown): CameraAction {
  if (v === true || v === false) return { type: 'alarm', action: v ? 'start' : 'stop' };
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (w === 'start' || w === 'stop') return { type: 'alarm', action: w };
  }
  if (!isPlainObject(v)) {
    throw inputError(
      `Camera "alarm" must be "start", "stop", true/false or {enabled?, modes?, volume?, duration?}; got ${describeValue(v)}.`,
    );
  }
  checkKeys(v, ['enabled', 'modes', 'volume', 'duration'], 'Camera "alarm"');
  const config: AlarmConfigUpdate = {};
  if (v.enabled !== undefined) {
    if (typeof v.enabled !== 'boolean') throw inputError(`Camera "alarm.enabled" must be true or false; got ${describeValue(v.enabled)}.`);
    config.enabled = v.enabled;
  }
  if (v.modes !== undefined) {
    if (!Array.isArray(v.modes) || v.modes.some((m) => typeof m !== 'string' || !ALARM_MODES.includes(m))) {
      throw inputError(`Camera "alarm.modes" must be an array of ${ALARM_MODES.join(', ')}; got ${describeValue(v.modes)}.`);
    }
    config.modes = v.modes as string[];
  }
  if (v.volume !== undefined) {
    const match = ALARM_VOLUMES.find((x) => x === v.volume);
    if (!match) throw inputError(`Camera "alarm.volume" must be low, normal or high; got ${describeValue(v.volume)}.`);
    config.volume = match;
  }
  if (v.duration !== undefined) config.duration = numberValue(v.duration, 'alarm.duration', 0, 3600, true);
  if (Object.keys(config).length === 0) throw inputError('Camera "alarm" needs at least one of enabled, modes, volume, duration.');
  return { type: 'alarmConfig', config };
}

function rawValue(v: unknown): CameraAction {
  return { type: 'raw', request: parseRawRequest(v) };
}

/**
 * A raw camera request from user input: an object with a `method` string, copied as plain JSON.
 * Anything JSON cannot carry (a BigInt, a circular object) is refused with an `Input` error.
 */
export function parseRawRequest(v: unknown): JsonObject {
  if (!isPlainObject(v) || typeof v.method !== 'string' || v.method.trim() === '') {
    throw inputError(`Camera "raw" must be an object with a "method" string; got ${describeValue(v)}.`);
  }
  return plainJsonObject(v);
}

/** A copy of a user's object as plain JSON, or an `Input` error for what JSON cannot carry (a BigInt, a circular object). */
export function plainJsonObject(v: Record<string, unknown>): JsonObject {
  try {
    return JSON.parse(JSON.stringify(v)) as JsonObject;
  } catch {
    throw inputError('Camera "raw" must be plain JSON.');
  }
}

/**
 * Reads the actions of one object. Several keys give several actions in a fixed order: privacy
 * mode OFF first (the motor and image refuse to work behind the lens mask, error -64324), then
 * settings, then motion (preset, move, step), preset edits, the alarm, raw requests, privacy mode
 * ON after everything, and reboot last.
 */
function actionsOfObject(o: Record<string, unknown>): CameraAction[] {
  if (typeof o.method === 'string') return [rawValue(o)];
  checkKeys(o, CAMERA_ACTION_KEYS, 'Camera action');
  if (Object.keys(o).length === 0) throw inputError(`Camera action: the object is empty; accepted keys: ${CAMERA_ACTION_KEYS.join(', ')}.`);
  const out: CameraAction[] = [];
  let privacyOn = false;
  if (o.privacyMode !== undefined) {
    const enabled = onOffValue(o.privacyMode, 'privacyMode');
    if (enabled) privacyOn = true;
    else out.push({ type: 'privacyMode', enabled: false });
  }
  if (o.led !== undefined) out.push({ type: 'led', enabled: onOffValue(o.led, 'led') });
  if (o.motionDetection !== undefined) out.push({ type: 'motionDetection', ...detectionValue(o.motionDetection, 'motionDetection') });
  if (o.personDetection !== undefined) out.push({ type: 'personDetection', ...detectionValue(o.personDetection, 'personDetection') });
  if (o.nightVision !== undefined) {
    const w = typeof o.nightVision === 'string' ? o.nightVision.trim().toLowerCase() : undefined;
    const state = NIGHT_VISION.find((s) => s === w);
    if (!state) throw inputError(`Camera "nightVision" must be "auto", "on" or "off"; got ${describeValue(o.nightVision)}.`);
    out.push({ type: 'nightVision', state });
  }
  if (o.preset !== undefined) out.push({ type: 'gotoPreset', preset: presetValue(o.preset, 'preset') });
  if (o.move !== undefined) {
    if (!isPlainObject(o.move)) throw inputError(`Camera "move" must be {x, y} in steps; got ${describeValue(o.move)}.`);
    checkKeys(o.move, ['x', 'y'], 'Camera "move"');
    if (o.move.x === undefined && o.move.y === undefined) throw inputError('Camera "move" needs x and/or y.');
    out.push({
      type: 'move',
      x: o.move.x === undefined ? 0 : numberValue(o.move.x, 'move.x', -MAX_MOVE, MAX_MOVE, true),
      y: o.move.y === undefined ? 0 : numberValue(o.move.y, 'move.y', -MAX_MOVE, MAX_MOVE, true),
    });
  }
  if (o.step !== undefined) out.push({ type: 'step', direction: numberValue(o.step, 'step', 0, 360, false) });
  if (o.savePreset !== undefined) {
    if (typeof o.savePreset !== 'string' || o.savePreset.trim() === '' || o.savePreset.length > 64) {
      throw inputError(`Camera "savePreset" must be a preset name (text up to 64 characters); got ${describeValue(o.savePreset)}.`);
    }
    out.push({ type: 'savePreset', name: o.savePreset.trim() });
  }
  if (o.deletePreset !== undefined) out.push({ type: 'deletePreset', preset: presetValue(o.deletePreset, 'deletePreset') });
  if (o.alarm !== undefined) out.push(alarmValue(o.alarm));
  if (o.raw !== undefined) out.push(rawValue(o.raw));
  if (privacyOn) out.push({ type: 'privacyMode', enabled: true });
  if (o.reboot !== undefined) {
    if (o.reboot !== true) throw inputError(`Camera "reboot" must be true; got ${describeValue(o.reboot)}.`);
    out.push({ type: 'reboot' });
  }
  return out;
}

/**
 * Reads camera actions from `msg.payload`: one object (several keys give several actions in a
 * fixed order) or an array of objects (run in array order). An object with a `method` key is sent
 * as a raw request. The whole payload is validated first, so an invalid one performs nothing.
 */
export function parseCameraActions(payload: unknown): CameraAction[] {
  const objects = Array.isArray(payload) ? payload : [payload];
  if (objects.length === 0) throw inputError('Camera actions: the array is empty.');
  const out: CameraAction[] = [];
  objects.forEach((o) => {
    if (!isPlainObject(o)) {
      throw inputError(
        `Cannot read a camera action from ${describeValue(o)}; send an object such as {privacyMode: true}, {preset: "1"} or {move: {x: 10, y: -5}} (keys: ${CAMERA_ACTION_KEYS.join(', ')}).`,
      );
    }
    out.push(...actionsOfObject(o));
  });
  return out;
}
