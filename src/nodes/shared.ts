/**
 * What every Tapo node shares: the status helper (connection state ⇒ `{fill, shape, text}`), the one
 * error choke point (error ⇒ red status ⇒ `done(err)` once, no output) and the one input handler.
 *
 * Texts are never literals here: every function takes a translator bound to the catalog that owns
 * the keys (the `tapo-device` catalog for states and error kinds, the action node's own catalog for
 * its own keys).
 */
import type { ConnectionState } from '../connection';
import type { DeviceVerbs, FirmwareUpdateOptions, SnapshotOptions } from '../connection/device';
import type { FirmwareCheck, FirmwareUpdateResult } from '../devices/firmware';
import type { Snapshot, StreamName } from '../devices/snapshot';
import type { Watch, WatchListener, WatchOptions } from '../connection/watch';
import { THIRD_PARTY_HINT, isTapoError } from '../protocol/errors';
import { STATUSES, english, fillIn, isHintKey, isReasonKey, renderReason } from '../protocol/reasons';
import type { ReasonKey, TextLookup } from '../protocol/reasons';
import type { ErrorKind } from '../protocol/errors';
import type { DeviceKind, SchemeName } from '../protocol/types';
import { secretForms } from '../secret-forms';
import type { DoneFn, NodeInstance, NodeMessage, NodeStatus, SendFn } from './types';

/** Looks a key up in one message catalog. */
export type Translate = (key: string, substitutions?: Record<string, string | number>) => string;

/** The facts about an error a Catch node can act on; forwarded as `msg.error.cause`. */
export interface ErrorFacts {
  /** The error kind, or `Internal` for a bug in this package. */
  kind: ErrorKind | 'Internal';
  /** Device error code, when the device gave one. */
  code?: number;
  /** Seconds until a lockout ends. */
  secondsLeft?: number;
  /** What to do about it. */
  hint?: string;
  /**
   * Set (true) on an `Unsupported` error about the login scheme (the device asked for another one,
   * or refused this one's login parameters), as opposed to a method or feature the device lacks.
   */
  aboutScheme?: boolean;
  /** Set (true) on an `Authentication` error whose likely cause is Third-Party Compatibility being off. */
  thirdParty?: boolean;
  /** What happened, as a key of the `reasons` of the tapo-device catalog (for flows that branch on it). */
  reason?: string;
}

/**
 * The error a node hands to `done(err)`. Node-RED copies `message`, `code`, `stack` and `cause` into
 * the Catch node's `msg.error`; `kind` travels in `cause` (a plain object, no secrets, no sockets).
 */
export class TapoNodeError extends Error {
  /** The error kind. */
  readonly kind: ErrorKind | 'Internal';
  /** Device error code, when there is one. */
  readonly code?: number;
  /** Seconds until a lockout ends. */
  readonly secondsLeft?: number;
  /** What to do about it. */
  readonly hint?: string;
  /** The facts again, as a plain object (Node-RED forwards `cause` to Catch nodes). */
  override readonly cause: ErrorFacts;

  constructor(message: string, facts: ErrorFacts) {
    super(message);
    this.name = 'TapoError';
    this.kind = facts.kind;
    if (facts.code !== undefined) this.code = facts.code;
    if (facts.secondsLeft !== undefined) this.secondsLeft = facts.secondsLeft;
    if (facts.hint !== undefined) this.hint = facts.hint;
    this.cause = { ...facts };
  }

  /** The message alone: Node-RED shows `String(err)` in the Catch node's `msg.error.message` and in the log. */
  override toString(): string {
    return this.message;
  }
}

/** An error a node refuses a message with, in its own catalog's words (kind `Input` unless told). */
export function nodeError(message: string, kind: ErrorKind = 'Input'): TapoNodeError {
  return new TapoNodeError(message, { kind });
}

/**
 * Looks the keys of an error up in the `tapo-device` catalog (`reasons`, `hints`, `statuses`);
 * text that is not a key (from code outside this package) is used as it is.
 */
export function catalogLookup(t: Translate): TextLookup {
  return (table, key, params) => {
    const known = table === 'reasons' ? isReasonKey(key) : table === 'hints' ? isHintKey(key) : STATUSES[key as ReasonKey] !== undefined;
    return known ? t(`tapo-device.${table}.${key}`, params) : fillIn(key, params);
  };
}

/** Field names whose values are secrets, wherever they appear as `name: value` or `name=value`. */
const SECRET_FIELDS = 'password|password2|passwd|digest_passwd|pwd_hash|token|stok|cookie|key|iv|hash';

/**
 * Patterns of secrets that may appear in text from below (tokens in URLs, JSON fields, cookies).
 * Each keeps its first group (the field name and opening quote) and its last group (the closing
 * quote, when there is one) and replaces what is between. A JSON string value is matched whole,
 * up to its unescaped closing quote, so spaces or commas inside a password cannot leak its tail.
 */
const SECRET_PATTERNS: readonly RegExp[] = [
  // "password":"two words"  (escapes inside the value are skipped over, not taken as its end)
  new RegExp(`("(?:${SECRET_FIELDS})"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*(")`, 'gi'),
  // {\"password\":\"two words\"}: JSON quoted inside another JSON string
  new RegExp(`(\\\\"(?:${SECRET_FIELDS})\\\\"\\s*:\\s*\\\\")(?:(?!\\\\").)*(\\\\")`, 'gi'),
  // password=hunter2, token:abc, stok=… in URLs and cookies (unquoted values end at a delimiter).
  // The value must follow at once: "password: wrong camera password" is our own prose, not a field.
  new RegExp(`(\\b(?:${SECRET_FIELDS})"?[:=])(?!["\\s])[^",\\s}&;/]+()`, 'gi'),
  /(TP_SESSIONID=)[^\s";]+()/gi,
];

/**
 * Replaces secrets in `text`: every occurrence of the given values (e.g. the configured password),
 * in any of the forms they take in JSON or URLs, and the values of known secret fields.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of secretForms(secret)) out = out.split(form).join('***');
  }
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '$1***$2');
  return out;
}

/**
 * True when an `Unsupported` error is about the login scheme (changing the scheme may help), false
 * when the device lacks the method or feature (no scheme will give it one).
 */
export function isSchemeError(err: unknown): boolean {
  return isTapoError(err, 'Unsupported') && err.aboutScheme === true;
}

/**
 * The facts of any thrown value; with the `tapo-device` translator, the hint in the user's language
 * (else in English).
 */
export function errorFacts(err: unknown, t?: Translate): ErrorFacts {
  if (err instanceof TapoNodeError) return { ...err.cause };
  if (isTapoError(err)) {
    const facts: ErrorFacts = { kind: err.kind };
    if (isReasonKey(err.reason)) facts.reason = err.reason;
    if (err.code !== undefined) facts.code = err.code;
    if (err.secondsLeft !== undefined) facts.secondsLeft = err.secondsLeft;
    if (err.hintKey !== undefined) facts.hint = t ? catalogLookup(t)('hints', err.hintKey, err.params) : english('hints', err.hintKey, err.params);
    if (isSchemeError(err)) facts.aboutScheme = true;
    if (err.kind === 'Authentication' && (err.hintKey === 'thirdParty' || err.hint === THIRD_PARTY_HINT)) facts.thirdParty = true;
    return facts;
  }
  return { kind: 'Internal' };
}

/**
 * The short status text of an error (from the `tapo-device` catalog): the reason's own status when
 * it says what to do (privacy mode on …), else the text of its kind.
 */
export function errorText(t: Translate, facts: ErrorFacts): string {
  if (facts.reason !== undefined && STATUSES[facts.reason as ReasonKey] !== undefined) return t(`tapo-device.statuses.${facts.reason}`);
  switch (facts.kind) {
    case 'Locked':
      return facts.secondsLeft !== undefined
        ? t('tapo-device.errors.LockedFor', { seconds: facts.secondsLeft })
        : t('tapo-device.errors.Locked');
    case 'Device':
      return facts.code !== undefined
        ? t('tapo-device.errors.DeviceCode', { code: facts.code })
        : t('tapo-device.errors.Device');
    case 'Authentication':
      // A 403 on the KLAP handshake (or a camera refusing even admin): the password is not the problem.
      return facts.thirdParty ? t('tapo-device.errors.ThirdParty') : t('tapo-device.errors.Authentication');
    case 'Unsupported':
      // "check scheme" only when the scheme is the problem; a missing feature is the device's.
      return facts.aboutScheme ? t('tapo-device.errors.UnsupportedScheme') : t('tapo-device.errors.Unsupported');
    default:
      return t(`tapo-device.errors.${facts.kind}`);
  }
}

/** The red status of an error. */
export function errorStatus(t: Translate, err: unknown): NodeStatus {
  const facts = errorFacts(err);
  return { fill: 'red', shape: facts.kind === 'Locked' ? 'dot' : 'ring', text: errorText(t, facts) };
}

/** The status of a connection state, as every user node of a device shows it. */
export function stateStatus(
  t: Translate,
  state: ConnectionState,
  scheme?: SchemeName,
  error?: unknown,
): NodeStatus {
  switch (state) {
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: t('tapo-device.status.connecting') };
    case 'connected':
      return {
        fill: 'green',
        shape: 'dot',
        text: scheme ? t('tapo-device.status.connectedVia', { scheme }) : t('tapo-device.status.connected'),
      };
    case 'error':
    case 'locked':
      return error !== undefined
        ? errorStatus(t, error)
        : { fill: 'red', shape: state === 'locked' ? 'dot' : 'ring', text: t(`tapo-device.status.${state}`) };
    case 'closed':
      return { fill: 'grey', shape: 'ring', text: t('tapo-device.status.closed') };
    case 'idle':
    default:
      return { fill: 'grey', shape: 'ring', text: t('tapo-device.status.idle') };
  }
}

/** Joins two sentences: a full stop between them unless the first already ends one. */
function joinSentences(first: string, second: string): string {
  const head = first.trimEnd();
  return /[.!?…。！？]$/.test(head) ? `${head} ${second}` : `${head}. ${second}`;
}

/**
 * Turns anything thrown into the error handed to `done`: the short text of its kind, then the
 * detail from below and its hint, with secrets removed.
 */
export function toNodeError(t: Translate, err: unknown, secrets: readonly (string | undefined)[] = []): TapoNodeError {
  if (err instanceof TapoNodeError) return err;
  const facts = errorFacts(err, t);
  let text: string;
  if (isTapoError(err)) {
    const detail = renderReason(err, catalogLookup(t));
    // A reason with a status of its own says it all; otherwise the kind's words come first. The
    // device code is in the reason's text (once), not in this prefix.
    const ownStatus = STATUSES[err.reason as ReasonKey] !== undefined;
    const { code: _code, ...withoutCode } = facts;
    text = ownStatus ? detail : `${errorText(t, withoutCode)}: ${detail}`;
    // The device's code once, whatever the catalog's text says.
    if (err.code !== undefined && !text.includes(String(err.code))) text = `${text} (error ${err.code})`;
  } else {
    text = `${errorText(t, facts)}: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (facts.hint && !text.includes(facts.hint)) text = joinSentences(text, facts.hint);
  if (facts.hint) facts.hint = redact(facts.hint, secrets);
  return new TapoNodeError(redact(text, secrets), facts);
}

/** What an action node needs from its `tapo-device` config node. */
export interface DeviceConfigNode extends NodeInstance {
  /** Plug or camera, as configured. */
  readonly kind: DeviceKind;
  /** The configured name, else the host. */
  readonly label: string;
  /** Adds a node to the users of this device; unless `paint` is false it shows the connection state. */
  register(user: NodeInstance, paint?: boolean): void;
  /** The configured host (`host` or `host:port`). */
  readonly host: string;
  /** Starts listening to the device's events (one source per device, see src/connection/watch.ts). */
  watch(listener: WatchListener, options: WatchOptions): Watch;
  /** Removes a user; the connection closes when the last user leaves. */
  deregister(user: NodeInstance): Promise<void>;
  /**
   * Runs one whole operation on the device (possibly several requests) through its one owner:
   * after every operation that arrived before it, within one timeout counted from now.
   */
  run<T>(operation: (verbs: DeviceVerbs) => Promise<T>): Promise<T>;
  /** Reads the firmware version and the offered update (src/devices/firmware.ts). */
  checkFirmware(): Promise<FirmwareCheck>;
  /** Starts a firmware update and follows it to the reboot and the new version (never restarted automatically). */
  updateFirmware(options: FirmwareUpdateOptions): Promise<FirmwareUpdateResult>;
  /** One picture from the camera, through the device's media lane (one stream at a time). */
  snapshot(options?: SnapshotOptions): Promise<Snapshot>;
  /** The camera's RTSP addresses; with the camera account in them only when `withAccount`. */
  streams(withAccount?: boolean): Record<StreamName, string>;
  /** The status every user shows now. */
  currentStatus(): NodeStatus;
  /** The translator of the `tapo-device` catalog (states and error kinds). */
  readonly translate: Translate;
  /** Secrets to remove from any text that leaves the node. */
  secrets(): string[];
  /**
   * Set when the config node's own settings are invalid (e.g. a timeout out of range): every
   * request fails with this `Input` error before anything is sent, and users show it in red.
   */
  readonly configError?: unknown;
}

/** What an action node does with one message: sets `msg.payload` (and friends) or throws. */
/** One message's work; it may resolve with the status to show instead of the device's (e.g. a low battery in yellow). */
export type Operation = (msg: NodeMessage, device: DeviceConfigNode) => Promise<void | NodeStatus>;

/** Reports a failure once: red status on the node (text by kind), then `done(err)`. Never sends. */
export function fail(node: NodeInstance, device: DeviceConfigNode, err: unknown, done: DoneFn): void {
  // The config node's own error keeps the status that names it rather than a bare "invalid input".
  const configError = device.configError !== undefined && err === device.configError;
  node.status(configError ? device.currentStatus() : errorStatus(device.translate, err));
  done(toNodeError(device.translate, err, device.secrets()));
}

/** Hooks of {@link handleInput}. */
export interface InputHooks {
  /** Called as each message arrives, before it is checked (e.g. to resume a paused poll). */
  onMessage?: () => void;
  /** The status to show after a message succeeded (default: the device's connection status). */
  successStatus?: (msg: NodeMessage) => NodeStatus | undefined;
}

/**
 * Wires the one input handler of an action node: refuses input without a device, runs the
 * operation (serialised per device), then `send(msg)` + `done()`, or `fail` on any error,
 * including one thrown by `send` itself. Every path ends in exactly one `done` call, and the
 * promise chain ends in a `catch`, so nothing can surface as an unhandled rejection.
 * Returns a function that stops reporting (call it on close: late replies set no status).
 */
export function handleInput(
  node: NodeInstance,
  device: DeviceConfigNode | undefined,
  t: Translate,
  operation: Operation,
  hooks: InputHooks = {},
): () => void {
  let closed = false;
  node.on('input', (msg: NodeMessage, send: SendFn, done: DoneFn) => {
    if (hooks.onMessage) hooks.onMessage();
    if (!device) {
      node.status({ fill: 'red', shape: 'ring', text: t('errors.noDeviceShort') });
      done(new TapoNodeError(t('errors.noDevice'), { kind: 'Input' }));
      return;
    }
    let finished = false;
    const finish = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      if (err === undefined) done();
      else if (closed) done(toNodeError(device.translate, err, device.secrets()));
      else fail(node, device, err, done);
    };
    Promise.resolve()
      .then(() => operation(msg, device))
      .then((status) => {
        if (!closed) node.status(status ?? hooks.successStatus?.(msg) ?? device.currentStatus());
        send(msg);
      })
      .then(
        () => finish(),
        (err: unknown) => finish(err),
      )
      .catch((err: unknown) => {
        // Only `done` itself throwing gets here: there is no one left to tell but the log.
        node.error(redact(err instanceof Error ? err.message : String(err), device.secrets()));
      });
  });
  return () => {
    closed = true;
  };
}

/** Options of {@link attachDevice}. */
export interface AttachOptions {
  /**
   * The node cannot work with this device as configured (e.g. an energy node on a camera): it
   * shows this red status instead of registering, so the device's states do not paint over it.
   */
  refused?: NodeStatus;
  /** The node paints its own status (the event node): the device's states are not shown on it. */
  ownStatus?: boolean;
}

/**
 * Registers the node with its device (or shows a red "no device" status) and wires `close`:
 * stop reporting, run `cleanup`, deregister, and call `done` without waiting on the network.
 */
export function attachDevice(
  node: NodeInstance,
  device: DeviceConfigNode | undefined,
  t: Translate,
  stopReporting: () => void,
  cleanup?: () => void,
  options: AttachOptions = {},
): void {
  const registered = device !== undefined && options.refused === undefined;
  if (!device) {
    node.status({ fill: 'red', shape: 'ring', text: t('errors.noDeviceShort') });
  } else if (options.refused) {
    node.status(options.refused);
  } else {
    device.register(node, options.ownStatus !== true);
  }
  node.on('close', (_removed: boolean, done: () => void) => {
    stopReporting();
    if (cleanup) cleanup();
    if (device && registered) {
      device.deregister(node).catch((err: unknown) => node.debug(redact(String(err), device.secrets())));
    }
    done();
  });
}

/** Resolves the config node of an action node, checking it is a `tapo-device` of the needed kind. */
export function findDevice(
  getNode: (id: string) => NodeInstance | null,
  id: string | undefined,
): DeviceConfigNode | undefined {
  if (!id) return undefined;
  const node = getNode(id);
  if (!node || node.type !== 'tapo-device') return undefined;
  return node as DeviceConfigNode;
}

/** Throws an `Input` error when the device is not of the kind this node drives. */
export function requireKind(device: DeviceConfigNode, kind: DeviceKind, t: Translate): void {
  if (device.kind !== kind) throw nodeError(t(`errors.needs${kind === 'plug' ? 'Plug' : 'Camera'}`));
}

/** True for a plain JSON-like object (not an array, Buffer, Date or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  if (Object.prototype.toString.call(value) !== '[object Object]') return false;
  // A Function node builds its objects in its own vm context, whose Object.prototype is
  // not this one: accept any object whose prototype is some realm's Object.prototype
  // (a prototype with no prototype of its own), or none at all.
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}
