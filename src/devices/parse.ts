/**
 * Parsers for what users put in `msg.payload`. Each returns a typed command or throws a
 * `TapoError('Input')` that says what was received (its type, and its value only when short) and
 * what is accepted. Everything is validated before anything is sent: an invalid payload changes nothing.
 */
import type { JsonObject } from '../protocol/types';
import { CAMERA_SETTINGS } from './camera';
import type { CameraAction, CameraSetting } from './camera';
import { parseSettingChange, runsLast, settableSettings } from './camera-settings';
import type { SettableSetting } from './camera-settings';
import { checkKeys, describeValue, inputError, isPlainObject, numberValue } from './input';
import { MAX_COUNTDOWN_SECONDS } from './plug';
import { parseBrightness } from './switch';

export { describeValue } from './input';

/**
 * What a plug should do. `set` with `delaySeconds` arms a countdown; `dim` sets a dimmer's
 * brightness (src/devices/switch.ts), switching it on or off too when `on` is given.
 */
export type PlugCommand =
  | { type: 'set'; on: boolean; delaySeconds?: number }
  | { type: 'dim'; brightness: number; on?: boolean }
  | { type: 'toggle' }
  | { type: 'status' }
  | { type: 'led'; on: boolean };

function parseDelay(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_COUNTDOWN_SECONDS) {
    throw inputError('plugDelay', { max: MAX_COUNTDOWN_SECONDS, received: describeValue(v) });
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
 * (any case, trimmed), `{on, delay?}`, `{brightness, on?}` (dimmers; no delay with it), `{led}` or
 * `{action, delay?}`.
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
      checkKeys(payload, ['action', 'delay'], { of: 'plugCommand' });
      const cmd = typeof payload.action === 'string' ? plugWord(payload.action) : undefined;
      if (!cmd) {
        throw inputError('plugAction', { received: describeValue(payload.action) });
      }
      const delay = parseDelay(payload.delay);
      if (delay === undefined) return cmd;
      if (cmd.type !== 'set') throw inputError('delayOnlyOnOff');
      return setCommand(cmd.on, delay);
    }
    if ('on' in payload) {
      checkKeys(payload, ['on', 'delay', 'brightness'], { of: 'plugCommand' });
      if (typeof payload.on !== 'boolean') throw inputError('plugBoolean', { key: 'on', received: describeValue(payload.on) });
      const delay = parseDelay(payload.delay);
      if (payload.brightness === undefined) return setCommand(payload.on, delay);
      const brightness = parseBrightness(payload.brightness);
      if (delay !== undefined) throw inputError('brightnessNoDelay');
      return { type: 'dim', brightness, on: payload.on };
    }
    if ('brightness' in payload) {
      checkKeys(payload, ['brightness'], { of: 'plugCommand' });
      return { type: 'dim', brightness: parseBrightness(payload.brightness) };
    }
    if ('led' in payload) {
      checkKeys(payload, ['led'], { of: 'plugCommand' });
      if (typeof payload.led !== 'boolean') throw inputError('plugBoolean', { key: 'led', received: describeValue(payload.led) });
      return { type: 'led', on: payload.led };
    }
  }
  throw inputError('plugCommandUnreadable', { received: describeValue(payload) });
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
    throw inputError('cameraNamesUnreadable', { received: describeValue(payload), settings: CAMERA_SETTINGS.join(', ') });
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
    throw inputError('cameraSettingNamesUnknown', { names: unknown.join(', '), settings: CAMERA_SETTINGS.join(', ') });
  }
  return [...new Set(names)];
}

/**
 * True when a read names `"all"` (alone, in a comma-separated list or in an array): the caller then
 * reads with `Camera.readAvailable`, so that settings the camera does not have come back as null.
 */
export function asksForAll(payload: unknown): boolean {
  const items: unknown[] = typeof payload === 'string' ? payload.split(',') : Array.isArray(payload) ? payload : [];
  return items.some((item) => typeof item === 'string' && item.trim().toLowerCase() === 'all');
}

/** The settings whose changes run before the motion actions, and those that run after them. */
const SETTINGS_BEFORE_MOTION = settableSettings('settings');
const SETTINGS_AFTER_MOTION = settableSettings('afterMotion');

/**
 * Keys of a camera action object, in the order their actions run (see {@link parseCameraActions}):
 * the settable settings of camera-settings.ts in their phase, around the actions that are not settings.
 */
export const CAMERA_ACTION_KEYS: readonly (SettableSetting | 'preset' | 'move' | 'step' | 'savePreset' | 'deletePreset' | 'raw' | 'reboot')[] = [
  ...SETTINGS_BEFORE_MOTION,
  'preset',
  'move',
  'step',
  'savePreset',
  'deletePreset',
  ...SETTINGS_AFTER_MOTION,
  'raw',
  'reboot',
];

/** Longest move accepted per axis, in the camera's steps. */
const MAX_MOVE = 360;

function presetValue(v: unknown, key: string): string {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
  if (typeof v === 'string' && v.trim() !== '' && v.trim().length <= 64) return v.trim();
  throw inputError('cameraPresetValue', { key, received: describeValue(v) });
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
    throw inputError('cameraRawObject', { received: describeValue(v) });
  }
  return plainJsonObject(v);
}

/** A copy of a user's object as plain JSON, or an `Input` error for what JSON cannot carry (a BigInt, a circular object). */
export function plainJsonObject(v: Record<string, unknown>): JsonObject {
  try {
    return JSON.parse(JSON.stringify(v)) as JsonObject;
  } catch {
    throw inputError('cameraRawJson');
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
  checkKeys(o, CAMERA_ACTION_KEYS, { of: 'cameraAction' });
  if (Object.keys(o).length === 0) throw inputError('cameraActionEmpty', { keys: CAMERA_ACTION_KEYS.join(', ') });
  const out: CameraAction[] = [];
  const last: CameraAction[] = [];
  const settings = (names: readonly SettableSetting[]): void => {
    for (const name of names) {
      if (o[name] === undefined) continue;
      const change = parseSettingChange(name, o[name]);
      (runsLast(change) ? last : out).push(change);
    }
  };
  settings(SETTINGS_BEFORE_MOTION);
  if (o.preset !== undefined) out.push({ type: 'gotoPreset', preset: presetValue(o.preset, 'preset') });
  if (o.move !== undefined) {
    if (!isPlainObject(o.move)) throw inputError('cameraMove', { received: describeValue(o.move) });
    checkKeys(o.move, ['x', 'y'], { of: 'cameraKey', key: 'move' });
    if (o.move.x === undefined && o.move.y === undefined) throw inputError('cameraMoveEmpty');
    out.push({
      type: 'move',
      x: o.move.x === undefined ? 0 : numberValue(o.move.x, 'move.x', -MAX_MOVE, MAX_MOVE, true),
      y: o.move.y === undefined ? 0 : numberValue(o.move.y, 'move.y', -MAX_MOVE, MAX_MOVE, true),
    });
  }
  if (o.step !== undefined) out.push({ type: 'step', direction: numberValue(o.step, 'step', 0, 360, false) });
  if (o.savePreset !== undefined) {
    if (typeof o.savePreset !== 'string' || o.savePreset.trim() === '' || o.savePreset.length > 64) {
      throw inputError('cameraSavePreset', { received: describeValue(o.savePreset) });
    }
    out.push({ type: 'savePreset', name: o.savePreset.trim() });
  }
  if (o.deletePreset !== undefined) out.push({ type: 'deletePreset', preset: presetValue(o.deletePreset, 'deletePreset') });
  settings(SETTINGS_AFTER_MOTION);
  if (o.raw !== undefined) out.push(rawValue(o.raw));
  out.push(...last);
  if (o.reboot !== undefined) {
    if (o.reboot !== true) throw inputError('cameraReboot', { received: describeValue(o.reboot) });
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
  if (objects.length === 0) throw inputError('cameraActionsEmpty');
  const out: CameraAction[] = [];
  objects.forEach((o) => {
    if (!isPlainObject(o)) {
      throw inputError('cameraActionUnreadable', { received: describeValue(o), keys: CAMERA_ACTION_KEYS.join(', ') });
    }
    out.push(...actionsOfObject(o));
  });
  return out;
}
