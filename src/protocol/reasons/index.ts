/**
 * Every reason an error can carry, with its English text, and every hint: the package's English
 * tables. Below src/nodes an error is a kind, a reason key and parameters (DESIGN.md rule 4); the
 * text is made at the edge: `TapoError.message` and the `tapo` command line use these English
 * tables, the Node-RED nodes use the same keys in their locale catalogs
 * (nodes/locales/<lang>/tapo-device.json: `reasons`, `hints`, `statuses`), which a test keeps in
 * step with these tables.
 */
import { CAMERA_CATALOGUE_HINTS, CAMERA_CATALOGUE_REASONS } from './camera-catalogue';
import { CLI_HINTS, CLI_REASONS } from './cli';
import { CODE_REASONS, CODE_STATUSES } from './codes';
import { CORE_HINTS, CORE_REASONS } from './core';
import { DEVICE_HINTS, DEVICE_REASONS, DEVICE_STATUSES } from './devices';
import { FIRMWARE_HINTS, FIRMWARE_REASONS, FIRMWARE_STATUSES } from './firmware';
import { fillIn } from './format';
import { HUB_HINTS, HUB_REASONS, HUB_STATUSES } from './hub';
import { LIGHT_HINTS, LIGHT_REASONS } from './light';
import { LOCATE_HINTS, LOCATE_REASONS } from './locate';
import { MEDIA_HINTS, MEDIA_REASONS } from './media';
import { ONBOARDING_HINTS, ONBOARDING_REASONS } from './onboarding';
import { PLUG_SETTINGS_HINTS, PLUG_SETTINGS_REASONS } from './plug-settings';
import { PROTOCOL_HINTS, PROTOCOL_REASONS } from './protocol';
import { SCAN_HINTS, SCAN_REASONS, SCAN_STATUSES } from './scan';
import { SNAPSHOT_HINTS, SNAPSHOT_REASONS, SNAPSHOT_STATUSES } from './snapshot';
import { SWITCH_HINTS, SWITCH_REASONS, SWITCH_STATUSES } from './switch';
import type { ReasonParams } from './format';

export { fillIn, placeholders } from './format';
export type { ReasonParams } from './format';

/** English text of every reason. */
export const REASONS = { ...CODE_REASONS, ...CORE_REASONS, ...PROTOCOL_REASONS, ...MEDIA_REASONS, ...SNAPSHOT_REASONS, ...DEVICE_REASONS, ...LOCATE_REASONS, ...SCAN_REASONS, ...CAMERA_CATALOGUE_REASONS, ...ONBOARDING_REASONS, ...PLUG_SETTINGS_REASONS, ...SWITCH_REASONS, ...FIRMWARE_REASONS, ...LIGHT_REASONS, ...HUB_REASONS, ...CLI_REASONS } as const;
/** A reason key. */
export type ReasonKey = keyof typeof REASONS;

/** English text of every hint. */
export const HINTS = { ...CORE_HINTS, ...PROTOCOL_HINTS, ...MEDIA_HINTS, ...SNAPSHOT_HINTS, ...DEVICE_HINTS, ...LOCATE_HINTS, ...SCAN_HINTS, ...CAMERA_CATALOGUE_HINTS, ...ONBOARDING_HINTS, ...PLUG_SETTINGS_HINTS, ...SWITCH_HINTS, ...FIRMWARE_HINTS, ...LIGHT_HINTS, ...HUB_HINTS, ...CLI_HINTS } as const;
/** A hint key. */
export type HintKey = keyof typeof HINTS;

/** Short statuses of reasons that say what to do better than their kind's status (a node's red status). */
export const STATUSES: Partial<Record<ReasonKey, string>> = { ...CODE_STATUSES, ...SNAPSHOT_STATUSES, ...DEVICE_STATUSES, ...SCAN_STATUSES, ...SWITCH_STATUSES, ...FIRMWARE_STATUSES, ...HUB_STATUSES };

/** True when `key` names a reason. */
export function isReasonKey(key: string): key is ReasonKey {
  return Object.hasOwn(REASONS, key);
}

/** True when `key` names a hint. */
export function isHintKey(key: string): key is HintKey {
  return Object.hasOwn(HINTS, key);
}

/** Looks a text up: a reason, hint or status key with its parameters filled in. */
export type TextLookup = (table: 'reasons' | 'hints' | 'statuses', key: string, params: ReasonParams) => string;

/** The English lookup of these tables. */
export const english: TextLookup = (table, key, params) => {
  const source: Readonly<Record<string, string | undefined>> = table === 'reasons' ? REASONS : table === 'hints' ? HINTS : STATUSES;
  return fillIn(source[key] ?? key, params);
};

/** What a rendered error is made of (a TapoError has all of these). */
export interface ReasonParts {
  readonly reason: string;
  readonly params: ReasonParams;
  /** What was being done (a method, a login step), put in front. */
  readonly context?: string;
  /** A second reason, put after the first in parentheses (same parameters). */
  readonly also?: string;
}

/** The text of an error's reason: `context: reason (also)`, through `lookup`. */
export function renderReason(parts: ReasonParts, lookup: TextLookup): string {
  const text = lookup('reasons', parts.reason, parts.params);
  const also = parts.also !== undefined ? ` (${lookup('reasons', parts.also, parts.params)})` : '';
  return `${parts.context ? `${parts.context}: ` : ''}${text}${also}`;
}
