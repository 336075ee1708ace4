/**
 * The simulator's control endpoint, served on each device's own port under `/__sim/`
 * (simulator.md §4 "Fault injection switches"). Tests, demos and the CLI use it to flip faults
 * and inspect state from outside the process:
 *
 * - `POST /__sim/faults` with a JSON object: merged into the device's faults; replies with them.
 * - `POST /__sim/expire`: drops every session.
 * - `POST /__sim/migrate` `{"scheme":"klap"}`: swaps the wire scheme (a firmware update).
 * - `POST /__sim/reboot` `{"seconds":3}`: answers first, then goes down for that long.
 * - `GET|POST /__sim/state`: the device logic's state as JSON.
 * - `POST /__sim/detect` `{"type":"motion","active":true}`: a camera detects (or, with
 *   `"active":false`, stops detecting); replies with what `detect()` did.
 * - `POST /__sim/ring`: a doorbell's button is pressed (UDP datagram); replies with where it went.
 * - `POST /__sim/firmware` `{"version":"1.4.0 Build …","releaseNote":"…","failAtPercent":40,
 *   "newScheme":"klap","rebootSeconds":1}`: offers a firmware update (logic/firmware.ts; `null`
 *   withdraws it); `GET /__sim/firmware`: what the update is doing (version, phase, percent).
 * - `POST /__sim/press` `{"socket":2}`: a plug's button is pressed by hand (`socket`: a strip's
 *   socket position); replies with the new relay state.
 * - `POST /__sim/trigger-child` `{"child":2,"event":"open"}`: a hub's child (position, device id or
 *   name) senses something: motion, clear, open, close, water, dry, click, double-click,
 *   rotate-left, rotate-right; its trigger log and state move together (logic/hub.ts).
 * - `POST /__sim/child` `{"child":1,"battery":5,"low":true,"temperature":30.5,"humidity":40}`:
 *   sets a hub child's battery, low-battery flag, temperature or humidity.
 * - `POST /__sim/move` `{"host":"127.0.0.3"}`: answers first, then the device moves to that
 *   address (a new DHCP lease): same port, identity, MAC and state; nothing listens on the old one.
 *
 * The device binds 127.0.0.1 by default, so the endpoint is not reachable from other hosts.
 */
import { isIP } from 'node:net';
import type { SimDetectionType } from './detections';
import { CHILD_TRIGGERS } from './logic/hub';
import type { ChildTrigger, SimChildChange } from './logic/hub';
import { STREAM8_FORMS } from './media/rfc2435';
import type { Stream8Form } from './media/rfc2435';
import type { SimFaults, SimRequest, SimResponse, SimScheme } from './types';

/** Every scheme name the simulator knows. */
export const SIM_SCHEMES: readonly SimScheme[] = ['klap', 'klap-v1', 'passthrough', 'camera-secure', 'camera-legacy', 'tpap'];

/** What the control endpoint acts on (a simulated device). */
export interface ControlTarget {
  /** The live faults object (mutated in place). */
  readonly faults: SimFaults;
  /** Drops every session. */
  expireSessions(): void;
  /** Swaps the scheme; throws an Error whose message says what is accepted. */
  migrate(scheme: SimScheme): void;
  /** Goes down for `seconds` and comes back on the same port. */
  reboot(seconds?: number): Promise<void>;
  /** The device logic's state (serialised with JSON.stringify). */
  logicState(): unknown;
  /** Acts on faults just merged (ONVIF and RTSP ports, subscriptions, flood). */
  applyFaults(): Promise<void>;
  /** A camera detects; throws an Error saying what is wrong with the request. */
  detect(detection: { type: SimDetectionType; active?: boolean }): unknown;
  /** A doorbell rings; rejects with an Error saying why not. */
  ring(): Promise<unknown>;
  /** A plug's button is pressed; throws an Error saying why not. */
  press(socket?: number): unknown;
  /** A hub child's event; throws an Error saying why not. */
  triggerChild(child: string | number, event: ChildTrigger): unknown;
  /** Sets a hub child's battery or readings; throws an Error saying why not. */
  setChild(child: string | number, change: SimChildChange): unknown;
  /** Moves to another address; rejects with an Error saying why not. */
  moveTo(host: string): Promise<void>;
  /** Offers a firmware update (null/undefined withdraws it); throws an Error saying what is accepted. */
  offerFirmware(update: unknown): unknown;
  /** What the firmware update is doing. */
  firmwareState(): unknown;
}

/** A control reply plus work to start once the reply has been written (reboot). */
export interface ControlResult {
  response: SimResponse;
  /** Runs after the response is flushed. */
  after?: () => void;
}

/** Faults of a well-behaved device. */
export function defaultFaults(): SimFaults {
  return {
    thirdPartyOff: false,
    delayMs: 0,
    hang: false,
    dropConnections: false,
    http500: false,
    closeAfterResponse: false,
    closeSilently: false,
    batchBug: false,
    refuseLoginWhileSession: false,
    methodErrors: {},
    expireAfterRequests: 0,
    loseReplyTo: {},
    loginStok: '',
    refuseRequests: { status: 403, count: 0 },
    onvifDown: false,
    onvifDropSubscriptions: false,
    onvifInitializedFlood: false,
    onvifFloodIntervalMs: 14_000,
    onvifIdleClose: false,
    onvifIdleCloseMs: 10_000,
    onvifBrokenPullPoint: false,
    rtspDown: false,
    rtspNoStream8: false,
    rtspCloseMidFrame: false,
    rtspSlowMs: 0,
    rtspDigestOnly: false,
    rtspPrivacyNoFrames: false,
    rtspJpegForm: 'tapo',
    portClosedUntilProbe: false,
  };
}

/**
 * The code `methodErrors` forces for the first of `names` that has one (own entries only, so a
 * method called `constructor` never finds Object's). Scheme servers use it for their login steps.
 */
export function forcedErrorCode(faults: SimFaults, ...names: string[]): number | undefined {
  for (const name of names) if (Object.hasOwn(faults.methodErrors, name)) return faults.methodErrors[name];
  return undefined;
}

const BOOLEAN_FAULTS = [
  'thirdPartyOff',
  'hang',
  'dropConnections',
  'http500',
  'closeAfterResponse',
  'closeSilently',
  'batchBug',
  'refuseLoginWhileSession',
  'onvifDown',
  'onvifDropSubscriptions',
  'onvifInitializedFlood',
  'onvifIdleClose',
  'onvifBrokenPullPoint',
  'rtspDown',
  'rtspNoStream8',
  'rtspCloseMidFrame',
  'rtspDigestOnly',
  'rtspPrivacyNoFrames',
  'portClosedUntilProbe',
] as const;
const NUMBER_FAULTS = ['delayMs', 'expireAfterRequests', 'onvifFloodIntervalMs', 'onvifIdleCloseMs', 'rtspSlowMs'] as const;

/** The longest delay one Node timer can wait (2^31 − 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Accepted range of each numeric fault: `delayMs` and the ONVIF intervals feed timers (an
 * interval of the `Initialized` flood below 10 ms would spin), `expireAfterRequests` is a count.
 */
const NUMBER_LIMITS: Record<(typeof NUMBER_FAULTS)[number], { min: number; max: number; integer: boolean }> = {
  delayMs: { min: 0, max: MAX_DELAY_MS, integer: false },
  expireAfterRequests: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  onvifFloodIntervalMs: { min: 10, max: MAX_DELAY_MS, integer: true },
  onvifIdleCloseMs: { min: 0, max: MAX_DELAY_MS, integer: true },
  rtspSlowMs: { min: 0, max: 60_000, integer: true },
};

/** Longest `loginStok` accepted (real tokens are 32 characters). */
const MAX_STOK_LENGTH = 256;

/** Error codes are signed 32-bit on the wire. */
const MIN_CODE = -(2 ** 31);
const MAX_CODE = 2 ** 31 - 1;

const isCode = (code: unknown): boolean => Number.isInteger(code) && (code as number) >= MIN_CODE && (code as number) <= MAX_CODE;
const isCount = (n: unknown): boolean => Number.isSafeInteger(n) && (n as number) >= 0;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Merges `patch` into `faults` after checking every key and type, so a typo is an error instead
 * of a silently ignored switch. `methodErrors` replaces the whole table (send `{}` to clear it).
 */
export function mergeFaults(faults: SimFaults, patch: unknown): void {
  if (!isObject(patch)) throw new Error('faults must be a JSON object');
  const next: Partial<SimFaults> = {};
  for (const [key, value] of Object.entries(patch)) {
    if ((BOOLEAN_FAULTS as readonly string[]).includes(key)) {
      if (typeof value !== 'boolean') throw new Error(`fault "${key}" must be true or false`);
      next[key as (typeof BOOLEAN_FAULTS)[number]] = value;
    } else if ((NUMBER_FAULTS as readonly string[]).includes(key)) {
      const name = key as (typeof NUMBER_FAULTS)[number];
      const { min, max, integer } = NUMBER_LIMITS[name];
      const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
      if (!ok) throw new Error(`fault "${key}" must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`);
      next[name] = value as number;
    } else if (key === 'methodErrors') {
      if (!isObject(value) || !Object.values(value).every(isCode)) {
        throw new Error(`fault "methodErrors" must map method names to integer error codes from ${MIN_CODE} to ${MAX_CODE}`);
      }
      next.methodErrors = { ...(value as Record<string, number>) };
    } else if (key === 'loginStok') {
      if (typeof value !== 'string' || value.length > MAX_STOK_LENGTH) {
        throw new Error(`fault "loginStok" must be a string of at most ${MAX_STOK_LENGTH} characters ('' = random tokens)`);
      }
      next.loginStok = value;
    } else if (key === 'refuseRequests') {
      const status = isObject(value) ? value.status : undefined;
      const count = isObject(value) ? value.count : undefined;
      if (!isObject(value) || Object.keys(value).some((k) => k !== 'status' && k !== 'count') || !Number.isInteger(status) || (status as number) < 400 || (status as number) > 599 || !isCount(count)) {
        throw new Error('fault "refuseRequests" must be {"status": an HTTP status from 400 to 599, "count": a whole number >= 0}');
      }
      next.refuseRequests = { status: status as number, count: count as number };
    } else if (key === 'rtspJpegForm') {
      if (typeof value !== 'string' || !(STREAM8_FORMS as readonly string[]).includes(value)) {
        throw new Error(`fault "rtspJpegForm" must be one of ${STREAM8_FORMS.join(', ')}`);
      }
      next.rtspJpegForm = value as Stream8Form;
    } else if (key === 'loseReplyTo') {
      if (!isObject(value) || !Object.values(value).every(isCount)) {
        throw new Error('fault "loseReplyTo" must map method names to whole counts >= 0');
      }
      next.loseReplyTo = { ...(value as Record<string, number>) };
    } else {
      const known = [...BOOLEAN_FAULTS, ...NUMBER_FAULTS, 'methodErrors', 'loseReplyTo', 'loginStok', 'refuseRequests', 'rtspJpegForm'];
      throw new Error(`unknown fault "${key}"; known: ${known.join(', ')}`);
    }
  }
  Object.assign(faults, next);
}

function reply(status: number, value: unknown): SimResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function parseBody(body: Buffer): unknown {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  return JSON.parse(text);
}

/** Answers one `/__sim/<action>` request. */
export async function handleControl(req: SimRequest, target: ControlTarget): Promise<ControlResult> {
  const action = req.path.slice('/__sim/'.length);
  if (action === 'state' && (req.method === 'GET' || req.method === 'POST')) {
    return { response: reply(200, target.logicState() ?? null) };
  }
  if (action === 'firmware' && req.method === 'GET') return { response: reply(200, target.firmwareState()) };
  if (req.method !== 'POST') return { response: reply(405, { error: 'use POST' }) };
  let body: unknown;
  try {
    body = parseBody(req.body);
  } catch {
    return { response: reply(400, { error: 'body must be JSON' }) };
  }
  try {
    switch (action) {
      case 'faults':
        mergeFaults(target.faults, body);
        await target.applyFaults();
        return { response: reply(200, target.faults) };
      case 'detect': {
        if (!isObject(body) || Object.keys(body).some((k) => k !== 'type' && k !== 'active')) {
          throw new Error('detect takes {"type": "motion", "person", "vehicle", "pet", "lineCross", "intrusion", "tamper" or "babyCry", "active": true or false}');
        }
        const detection: { type: SimDetectionType; active?: boolean } = { type: body.type as SimDetectionType };
        if (body.active !== undefined) detection.active = body.active as boolean;
        return { response: reply(200, target.detect(detection)) };
      }
      case 'ring':
        return { response: reply(200, await target.ring()) };
      case 'press': {
        const socket = isObject(body) ? body.socket : undefined;
        if (!isObject(body) || Object.keys(body).some((k) => k !== 'socket') || (socket !== undefined && (!Number.isSafeInteger(socket) || (socket as number) < 1))) {
          throw new Error('press takes {} for a plug, or {"socket": a socket position from 1} for a strip');
        }
        return { response: reply(200, target.press(socket as number | undefined)) };
      }
      case 'trigger-child': {
        const child = isObject(body) ? body.child : undefined;
        const event = isObject(body) ? body.event : undefined;
        if (
          !isObject(body) ||
          Object.keys(body).some((k) => k !== 'child' && k !== 'event') ||
          !(typeof child === 'string' || (typeof child === 'number' && Number.isSafeInteger(child))) ||
          typeof event !== 'string' ||
          !(CHILD_TRIGGERS as readonly string[]).includes(event)
        ) {
          throw new Error(`trigger-child takes {"child": a position, device id or name, "event": one of ${CHILD_TRIGGERS.join(', ')}}`);
        }
        return { response: reply(200, target.triggerChild(child, event as ChildTrigger)) };
      }
      case 'child': {
        const child = isObject(body) ? body.child : undefined;
        const keys = ['child', 'battery', 'low', 'temperature', 'humidity'];
        const numbers = isObject(body) && ['battery', 'temperature', 'humidity'].every((k) => body[k] === undefined || (typeof body[k] === 'number' && Number.isFinite(body[k])));
        if (!isObject(body) || Object.keys(body).some((k) => !keys.includes(k)) || !(typeof child === 'string' || typeof child === 'number') || !numbers || (body.low !== undefined && typeof body.low !== 'boolean')) {
          throw new Error('child takes {"child": a position, device id or name, "battery": 0-100, "low": true or false, "temperature": a number, "humidity": a number}');
        }
        const change: SimChildChange = {};
        if (typeof body.battery === 'number') change.battery = body.battery;
        if (typeof body.low === 'boolean') change.low = body.low;
        if (typeof body.temperature === 'number') change.temperature = body.temperature;
        if (typeof body.humidity === 'number') change.humidity = body.humidity;
        return { response: reply(200, target.setChild(child, change)) };
      }
      case 'move': {
        const host = isObject(body) ? body.host : undefined;
        if (!isObject(body) || Object.keys(body).some((k) => k !== 'host') || typeof host !== 'string' || isIP(host) === 0) {
          throw new Error('move takes {"host": an IP address, e.g. "127.0.0.3"}');
        }
        return {
          response: reply(200, { ok: true, host }),
          after: () => {
            target.moveTo(host).catch(() => undefined);
          },
        };
      }
      case 'firmware':
        target.offerFirmware(body);
        return { response: reply(200, target.firmwareState()) };
      case 'expire':
        target.expireSessions();
        return { response: reply(200, { ok: true }) };
      case 'migrate': {
        const scheme = isObject(body) ? body.scheme : undefined;
        if (typeof scheme !== 'string' || !(SIM_SCHEMES as readonly string[]).includes(scheme)) {
          throw new Error(`migrate needs {"scheme": one of ${SIM_SCHEMES.join(', ')}}`);
        }
        target.migrate(scheme as SimScheme);
        return { response: reply(200, { ok: true, scheme }) };
      }
      case 'reboot': {
        const seconds = isObject(body) && body.seconds !== undefined ? body.seconds : 3;
        if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
          throw new Error('reboot takes {"seconds": a number >= 0}');
        }
        return {
          response: reply(200, { ok: true, seconds }),
          after: () => {
            target.reboot(seconds).catch(() => undefined);
          },
        };
      }
      default:
        return { response: reply(404, { error: `unknown action "${action}"; known: faults, expire, migrate, reboot, move, state, detect, ring, press, firmware` }) };
    }
  } catch (err) {
    return { response: reply(400, { error: (err as Error).message }) };
  }
}

