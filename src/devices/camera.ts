/**
 * Cameras (the SMARTCAM family): our verbs over ../shared/protocol/methods-camera.md, sent as
 * named methods inside `multipleRequest` (camera.md §9 style A). Style A is the one form every
 * camera scheme accepts, TPAP included (its `/ds` endpoint takes `multipleRequest` only), so the
 * verbs use it wherever the catalogue documents a named method.
 *
 * Each setting (its reads, decoder, payload parser and writer) is one row of camera-settings.ts;
 * this file batches the rows' requests and performs the actions that are not settings.
 *
 * Batching (camera.md §9): at most `batchSize` (default 10) sub-requests per `multipleRequest`. A
 * camera stops at the first failing sub-request, so entries a batch did not answer are sent again
 * in the next batch; the first failing required entry is thrown as a {@link TapoError}.
 *
 * Reads ({@link Camera.read}) are always style A, so every setting reads the same on every scheme.
 * The alarm has no documented named form for a camera addressed directly: its trigger and its
 * configuration go out as the catalogue's style-B `do`/`set` first and fall back to the named forms
 * documented for cameras behind a hub (`setSirenStatus`, `setAlarmConfig`) when the camera refuses
 * the format. TPAP refuses style B before anything is sent (tpap.ts, -40209), so there the fallback
 * costs no round trip.
 *
 * A camera without pan/tilt (C100, C101 …) does not know `getPresetConfig`; its `presets` read as
 * an empty list instead of failing the other settings read with it.
 *
 * Units: times in seconds (epoch), sensitivities as words, preset ids as the camera's strings.
 */
import { TapoError } from '../protocol/errors';
import type { JsonObject } from '../protocol/types';
import type { Requester } from './requester';
import { CAMERA_SETTINGS, FEATURE_SETTINGS, alarmSection, decodeSetting, isSettingChange, nightVisionParams, readsBack, readsOf, settingOf, sirenParams, writeSettingChange } from './camera-settings';
import type {
  AlarmConfigUpdate,
  CameraPreset,
  CameraSetting,
  CameraSettingChange,
  CameraSettingValues,
  CameraTime,
  FeatureSetting,
  KnownForms,
  NamedRequest,
  NamedWrite,
  NightVisionState,
  SdCardStatus,
  Sensitivity,
} from './camera-settings';
import { arr, checkReply, isReadMethod, isReadRequest, num, obj, replyFailure, responseFor, str } from './check';

export { CAMERA_SETTINGS, FEATURE_SETTINGS } from './camera-settings';
export type {
  AlarmConfig,
  AlarmConfigUpdate,
  CameraComponent,
  CameraConnection,
  CameraDeviceInfo,
  CameraPreset,
  CameraSetting,
  CameraSettingChange,
  CameraSettingValues,
  CameraTime,
  MotionDetection,
  NightVision,
  NightVisionState,
  PersonDetection,
  SdCardStatus,
  Sensitivity,
  CameraWan,
  FeatureSetting,
  VideoQuality,
  VideoStreamQuality,
} from './camera-settings';

/**
 * One change {@link Camera.apply} performs (built by `parseCameraActions`): the change of a setting
 * (camera-settings.ts), or one of the actions that change no setting.
 */
export type CameraAction =
  | CameraSettingChange
  | { type: 'move'; x: number; y: number }
  | { type: 'step'; direction: number }
  | { type: 'gotoPreset'; preset: string }
  | { type: 'savePreset'; name: string }
  | { type: 'deletePreset'; preset: string }
  | { type: 'reboot' }
  | { type: 'raw'; request: JsonObject };

/** What {@link Camera.apply} resolves with: the affected settings re-read after the change, and raw replies. */
export type CameraApplyResult = Partial<CameraSettingValues> & {
  /** Replies of `raw` actions, in order. */
  raw?: JsonObject[];
  /**
   * The changes carried out, in order, by the names `msg.payload` uses (`"move"`, `"preset"`,
   * `"alarm"` ...), so that actions with nothing to read back (moves, the siren) still say what was done.
   */
  done: string[];
};

/** The payload name of an action, as `parseCameraActions` reads it (a setting's change: the setting's). */
function actionName(action: CameraAction): string {
  if (isSettingChange(action)) return settingOf(action);
  switch (action.type) {
    case 'gotoPreset':
      return 'preset';
    default:
      return action.type;
  }
}

/** How the alarm verbs ({@link Camera.startAlarm}, {@link Camera.stopAlarm}, {@link Camera.setAlarmConfig}) reach the camera. */
export type AlarmStyle = 'auto' | 'do' | 'named';

/** What a connection learns about a camera once and keeps for its lifetime. */
export interface CameraFacts {
  /** The alarm form the camera took ({@link AlarmStyle}); undefined until the first alarm verb. */
  alarmStyle?: 'do' | 'named';
  /** The day/night method the camera took; undefined until the first night vision change. */
  nightVisionMethod?: 'setDayNightModeConfig' | 'setLightFrequencyInfo';
  /**
   * Settings only some cameras have that this one refused ({@link Camera.readAvailable}): later
   * reads of `all` answer null for them without asking again (each refusal costs a round trip, as
   * a camera stops a batch at its first refused entry).
   */
  lacks?: Set<CameraSetting>;
}

/** Options of a {@link Camera}. */
export interface CameraOptions {
  /** Most sub-requests per `multipleRequest` (default 10, at least 1; camera.md §9: 5–10). */
  batchSize?: number;
  /** What the connection learnt about the camera; shared by every Camera made for it. */
  facts?: CameraFacts;
  /**
   * `do` sends the style-B requests the catalogue gives for cameras (`do` `manual_msg_alarm`, `set`
   * `chn1_msg_alarm_info`); `named` sends the named forms documented for cameras behind a hub
   * (`setSirenStatus`, `setAlarmConfig`); `auto` (default) tries style B and falls back to the named
   * form when the camera refuses the format (TPAP cameras always do).
   */
  alarmStyle?: AlarmStyle;
}

/** Codes a camera gives for a method or format it does not know (errors.md §3). */
const FORMAT_REFUSALS = new Set([-40105, -40106, -40209, -40210]);

/** The reads behind some settings, in one list, and where each setting's replies are. */
interface ReadPlan<K extends CameraSetting> {
  requests: NamedRequest[];
  spans: [K, number, number][];
}

/** Plans the reads of `names` (unknown names refused with an Input error before anything is sent). */
function readPlan<K extends CameraSetting>(names: readonly K[]): ReadPlan<K> {
  const unique = [...new Set(names)];
  for (const n of unique) {
    if (!(CAMERA_SETTINGS as readonly string[]).includes(n)) {
      throw new TapoError('Input', 'cameraSettingUnknown', { params: { name: String(n), known: CAMERA_SETTINGS.join(', ') }, sent: false });
    }
  }
  const requests: NamedRequest[] = [];
  const spans: [K, number, number][] = [];
  for (const n of unique) {
    spans.push([n, requests.length, readsOf(n).length]);
    requests.push(...readsOf(n));
  }
  return { requests, spans };
}

/** Decodes the replies of a {@link readPlan} into plain values keyed by name. */
function decodeRead<K extends CameraSetting>(plan: ReadPlan<K>, results: readonly (JsonObject | undefined)[]): Pick<CameraSettingValues, K> {
  const out: Partial<CameraSettingValues> = {};
  for (const [n, at, count] of plan.spans) {
    (out as Record<K, CameraSettingValues[K]>)[n] = decodeSetting(n, results.slice(at, at + count));
  }
  return out as Pick<CameraSettingValues, K>;
}

/** The values of some settings, null for those only some cameras have when this one does not ({@link Camera.readAvailable}). */
export type AvailableSettingValues<K extends CameraSetting> = { [P in K]: P extends FeatureSetting ? CameraSettingValues[P] | null : CameraSettingValues[P] };

function isFeature(name: CameraSetting): name is FeatureSetting {
  return (FEATURE_SETTINGS as readonly CameraSetting[]).includes(name);
}

/** As {@link decodeRead}, with null for a setting the camera does not have (reason `cameraSettingUnsupported`). */
function decodeAvailable<K extends CameraSetting>(plan: ReadPlan<K>, results: readonly (JsonObject | undefined)[]): AvailableSettingValues<K> {
  const out: Partial<Record<K, CameraSettingValues[K] | null>> = {};
  for (const [n, at, count] of plan.spans) {
    try {
      out[n] = decodeSetting(n, results.slice(at, at + count));
    } catch (e) {
      if (!(e instanceof TapoError && e.reason === 'cameraSettingUnsupported' && isFeature(n))) throw e;
      out[n] = null;
    }
  }
  return out as AvailableSettingValues<K>;
}

/** The settings an action changes (re-read by {@link Camera.apply}). */
function affected(action: CameraAction): CameraSetting | undefined {
  if (isSettingChange(action)) return readsBack(action) ? settingOf(action) : undefined;
  switch (action.type) {
    case 'savePreset':
    case 'deletePreset':
      return 'presets';
    default:
      return undefined;
  }
}

/** A camera reached through a {@link Requester}. */
export class Camera {
  /** What the connection learnt about the camera. */
  readonly facts: CameraFacts;
  private readonly requester: Requester;
  private readonly batchSize: number;
  private readonly alarmStyle: AlarmStyle;

  constructor(requester: Requester, options: CameraOptions = {}) {
    this.requester = requester;
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 10));
    this.alarmStyle = options.alarmStyle ?? 'auto';
    this.facts = options.facts ?? {};
  }

  /**
   * Reads named settings in one `multipleRequest` (split only above the batch size) and returns
   * plain values keyed by name.
   */
  async read<K extends CameraSetting>(names: readonly K[]): Promise<Pick<CameraSettingValues, K>> {
    const plan = readPlan(names);
    const results = await this.batch(plan.requests, true);
    return decodeRead(plan, results);
  }

  /**
   * As {@link Camera.read}, for "all": a setting the camera does not have (it does not know the
   * method behind it, e.g. target tracking on a camera without a motor) comes back as null instead
   * of failing the read with an `Unsupported` error.
   */
  async readAvailable<K extends CameraSetting>(names: readonly K[]): Promise<AvailableSettingValues<K>> {
    const lacks = this.facts.lacks;
    const known = names.filter((n) => lacks?.has(n) === true && isFeature(n));
    const ask = names.filter((n) => !known.includes(n));
    const out: Partial<Record<K, unknown>> = {};
    for (const n of known) out[n] = null;
    if (ask.length > 0) {
      const plan = readPlan(ask);
      const read = decodeAvailable(plan, await this.batch(plan.requests, true)) as Record<K, unknown>;
      for (const n of ask) {
        out[n] = read[n];
        if (read[n] === null) (this.facts.lacks ??= new Set()).add(n);
      }
    }
    // In the order asked, as a read of the same names without the facts would give.
    const ordered: Partial<Record<K, unknown>> = {};
    for (const n of names) ordered[n] = out[n];
    return ordered as AvailableSettingValues<K>;
  }

  /** Sends one named method (in a one-entry `multipleRequest`) and returns its checked result. */
  async callMethod(method: string, params: JsonObject = {}, idempotent: boolean = isReadMethod(method)): Promise<JsonObject> {
    const [result] = await this.batch([{ method, params }], idempotent);
    return result ?? {};
  }

  /**
   * Sends `request` as it is (a `multipleRequest` or a style-B `get`/`set`/`do` object) and resolves
   * with the reply. A top-level failure is thrown; entries of a `multipleRequest` are left to the caller.
   */
  async raw(request: JsonObject): Promise<JsonObject> {
    const method = str(request.method) ?? '';
    if (method === '') throw new TapoError('Input', 'rawNeedsMethod', { sent: false });
    const reply = await this.requester.request(request, { idempotent: isReadRequest(request) });
    checkReply('camera', reply, method);
    return reply;
  }

  /** Turns privacy mode (lens mask) on or off. */
  async setPrivacyMode(enabled: boolean): Promise<void> {
    await this.write({ type: 'privacyMode', enabled });
  }

  /** Turns the status LED on or off. */
  async setLed(enabled: boolean): Promise<void> {
    await this.write({ type: 'led', enabled });
  }

  /** Changes motion detection; the sensitivity word is sent with pytapo's matching 0–100 value. */
  async setMotionDetection(update: { enabled?: boolean; sensitivity?: Sensitivity }): Promise<void> {
    await this.write({ type: 'motionDetection', ...update });
  }

  /** Changes person detection (sensitivity goes on the wire as "20"/"50"/"80"). */
  async setPersonDetection(update: { enabled?: boolean; sensitivity?: Sensitivity }): Promise<void> {
    await this.write({ type: 'personDetection', ...update });
  }

  /**
   * Sets day/night switching. `setDayNightModeConfig` is the current name; firmware that refuses it
   * gets the same params under `setLightFrequencyInfo` (the name pytapo used before July 2026).
   * The name the camera took is remembered for the connection.
   */
  async setNightVision(state: NightVisionState): Promise<void> {
    const known = this.facts.nightVisionMethod;
    const params = nightVisionParams(state);
    if (known !== undefined) {
      await this.callMethod(known, params, true);
      return;
    }
    try {
      await this.callMethod('setDayNightModeConfig', params, true);
      this.facts.nightVisionMethod = 'setDayNightModeConfig';
    } catch (e) {
      if (!isFormatRefusal(e)) throw e;
      await this.callMethod('setLightFrequencyInfo', params, true);
      this.facts.nightVisionMethod = 'setLightFrequencyInfo';
    }
  }

  /** Starts the siren/light alarm now. */
  async startAlarm(): Promise<void> {
    await this.manualAlarm('start');
  }

  /** Stops the alarm. */
  async stopAlarm(): Promise<void> {
    await this.manualAlarm('stop');
  }

  /**
   * Changes the alarm configuration: style-B `set` on `msg_alarm.chn1_msg_alarm_info` (the
   * catalogue's form for cameras), or the named `setAlarmConfig` with the same fields directly
   * under `msg_alarm` (the form documented for cameras behind a hub), per {@link CameraOptions.alarmStyle}.
   * Both set absolute values, so both may be replayed.
   */
  async setAlarmConfig(update: AlarmConfigUpdate): Promise<void> {
    const section = alarmSection(update);
    await this.styleBOrNamed(
      () => this.styleB({ method: 'set', msg_alarm: { chn1_msg_alarm_info: section } }, true),
      () => this.callMethod('setAlarmConfig', { msg_alarm: section }, true),
    );
  }

  /** Moves the lens by relative steps (pan `x`, tilt `y`). Not replayed: a second move would add up. */
  async move(x: number, y: number): Promise<void> {
    await this.write({ type: 'move', x, y });
  }

  /** Moves one step towards `directionDeg` (0 ≤ angle < 360). */
  async step(directionDeg: number): Promise<void> {
    await this.write({ type: 'step', direction: directionDeg });
  }

  /** The pan/tilt presets. */
  async getPresets(): Promise<CameraPreset[]> {
    return (await this.read(['presets'])).presets;
  }

  /** Moves to a preset, by id or name. */
  async gotoPreset(idOrName: string): Promise<void> {
    const preset = await this.findPreset(idOrName);
    await this.callMethod('motorMoveToPreset', { preset: { goto_preset: { id: preset.id } } }, true);
  }

  /** Saves the current position as a preset and resolves with the presets afterwards (one round trip). */
  async savePreset(name: string): Promise<CameraPreset[]> {
    return (await this.apply([{ type: 'savePreset', name }])).presets ?? [];
  }

  /**
   * Deletes a preset, by id or name. Not replayed: after a lost reply the preset may already be
   * gone, and a replay would report "preset not found" (-64302) for a delete that worked.
   */
  async deletePreset(idOrName: string): Promise<void> {
    const preset = await this.findPreset(idOrName);
    await this.callMethod('deletePreset', { preset: { remove_preset: { id: [preset.id] } } }, false);
  }

  /** Restarts the camera. */
  async reboot(): Promise<void> {
    await this.write({ type: 'reboot' });
  }

  /**
   * The detections the camera recorded between `from` and `to` (epoch seconds on the camera's
   * clock), oldest first, with their `alarm_type` codes (events.md §3.2: 2 motion, 6 person, 8
   * vehicle, 9 pet …). Throws the camera's refusal (a camera without the list, or without a card).
   */
  async searchDetections(from: number, to: number): Promise<{ time: number; code: number }[]> {
    const result = await this.callMethod(
      'searchDetectionList',
      { playback: { search_detection_list: { start_index: 0, channel: 0, start_time: Math.max(0, Math.floor(from)), end_time: Math.floor(to), end_index: 99 } } },
      true,
    );
    const list = arr(obj(result.playback).search_detection_list);
    return list
      .map((item) => ({ time: num(obj(item).start_time), code: num(obj(item).alarm_type) }))
      .filter((d): d is { time: number; code: number } => d.time !== undefined && d.code !== undefined)
      .sort((a, b) => a.time - b.time);
  }

  /** SD card state. */
  async getSdCard(): Promise<SdCardStatus> {
    return (await this.read(['sdCard'])).sdCard;
  }

  /** Camera clock and time zone. */
  async getTime(): Promise<CameraTime> {
    return (await this.read(['time'])).time;
  }

  /**
   * Performs `actions` in order, then re-reads the settings they changed, and resolves with what
   * the camera reports. Changes that have a named method travel together with the read-back in one
   * `multipleRequest` (split only above the batch size); a change that needs a request of its own
   * (a preset found by name, a style-B alarm, a raw request) is sent in its turn between them.
   * Nothing is re-read after a reboot (the camera is going down).
   */
  async apply(actions: readonly CameraAction[]): Promise<CameraApplyResult> {
    const touched = new Set<CameraSetting>();
    const raw: JsonObject[] = [];
    let rebooted = false;
    let writes: NamedRequest[] = [];
    let replayable = true;
    const flush = async (): Promise<void> => {
      if (writes.length > 0) await this.batch(writes, replayable);
      writes = [];
      replayable = true;
    };
    for (const action of actions) {
      const setting = affected(action);
      if (setting) touched.add(setting);
      if (action.type === 'reboot') rebooted = true;
      const named = this.namedWrite(action);
      if (named) {
        writes.push(named.request);
        replayable &&= named.idempotent;
        continue;
      }
      await flush();
      const reply = await this.perform(action);
      if (reply) raw.push(reply);
    }
    let readBack: Partial<CameraSettingValues> = {};
    if (rebooted || touched.size === 0) {
      await flush();
    } else {
      const plan = readPlan([...touched]);
      const results = await this.batch([...writes, ...plan.requests], replayable);
      readBack = decodeRead(plan, results.slice(writes.length));
    }
    const result: CameraApplyResult = { ...readBack, done: actions.map(actionName) };
    if (raw.length > 0) result.raw = raw;
    return result;
  }

  /** Sends one change that has a named method (see {@link Camera.namedWrite}). */
  private async write(action: CameraAction): Promise<void> {
    const named = this.namedWrite(action);
    if (!named) throw new TapoError('Input', 'noNamedMethod', { params: { action: action.type }, sent: false });
    await this.batch([named.request], named.idempotent);
  }

  /**
   * The named method of a change, when it has one that can travel in a batch; undefined for a change
   * that needs a request of its own (a preset found by name first, a raw request) or whose form is
   * not yet known for this camera (the alarm's style-B or named form, the day/night method name).
   */
  private namedWrite(action: CameraAction): NamedWrite | undefined {
    if (isSettingChange(action)) {
      const write = writeSettingChange(action, this.knownForms());
      return 'request' in write ? write : undefined;
    }
    switch (action.type) {
      case 'move':
        return { request: { method: 'motorMove', params: { motor: { move: { x_coord: String(action.x), y_coord: String(action.y) } } } }, idempotent: false };
      case 'step':
        return { request: { method: 'relativeMove', params: { motor: { movestep: { direction: String(action.direction) } } } }, idempotent: false };
      case 'savePreset':
        return { request: { method: 'addMotorPostion', params: { preset: { set_preset: { name: action.name, save_ptz: '1' } } } }, idempotent: false };
      case 'reboot':
        return { request: { method: 'rebootDevice', params: { system: { reboot: 'null' } } }, idempotent: false };
      default:
        return undefined;
    }
  }

  /** A change sent in its own turn (it has no batchable named form, or its form is still being learnt). */
  private async perform(action: CameraAction): Promise<JsonObject | undefined> {
    if (isSettingChange(action)) {
      const write = writeSettingChange(action, this.knownForms());
      if ('ownRequest' in write) await write.ownRequest(this);
      else await this.batch([write.request], write.idempotent);
      return undefined;
    }
    switch (action.type) {
      case 'gotoPreset':
        await this.gotoPreset(action.preset);
        return undefined;
      case 'deletePreset':
        await this.deletePreset(action.preset);
        return undefined;
      case 'raw':
        return this.raw(action.request);
      default:
        await this.write(action);
        return undefined;
    }
  }

  /**
   * Siren on/off. methods-camera.md §4 gives the style-B `do` on `manual_msg_alarm` for cameras and
   * `setSirenStatus` `{"msg_alarm":{"status":"on"}}` for cameras reached through a hub; TPAP
   * firmware accepts `multipleRequest` only. Start and stop are absolute, so both may be replayed.
   */
  private async manualAlarm(action: 'start' | 'stop'): Promise<void> {
    await this.styleBOrNamed(
      () => this.styleB({ method: 'do', msg_alarm: { manual_msg_alarm: { action } } }, true),
      () => this.callMethod('setSirenStatus', sirenParams(action), true),
    );
  }

  /** What the writers of setting changes need to know: the forms this camera took so far. */
  private knownForms(): KnownForms {
    return { nightVisionMethod: this.facts.nightVisionMethod, alarmStyle: this.effectiveAlarmStyle() };
  }

  /** The alarm form to use now: the configured one, else the one this camera took, else undefined (try style B). */
  private effectiveAlarmStyle(): 'do' | 'named' | undefined {
    return this.alarmStyle === 'auto' ? this.facts.alarmStyle : this.alarmStyle;
  }

  /**
   * Runs the style-B form, or the named form, per `alarmStyle`. In `auto` a style-B refusal as a
   * format or method the camera does not know ({@link FORMAT_REFUSALS}) sends the named form; any
   * other failure is thrown as it is. The form that worked is remembered for the connection.
   */
  private async styleBOrNamed(styleB: () => Promise<JsonObject>, named: () => Promise<JsonObject>): Promise<void> {
    const style = this.effectiveAlarmStyle();
    if (style === 'named') {
      await named();
      return;
    }
    if (style === 'do') {
      await styleB();
      return;
    }
    try {
      await styleB();
      this.facts.alarmStyle = 'do';
    } catch (e) {
      if (!isFormatRefusal(e)) throw e;
      await named();
      this.facts.alarmStyle = 'named';
    }
  }

  private async styleB(request: JsonObject, idempotent: boolean): Promise<JsonObject> {
    const reply = await this.requester.request(request, { idempotent });
    checkReply('camera', reply, `${str(request.method) ?? ''} ${Object.keys(request).filter((k) => k !== 'method').join(',')}`);
    return reply;
  }

  private async findPreset(idOrName: string): Promise<CameraPreset> {
    const key = String(idOrName).trim();
    const presets = await this.getPresets();
    const found = presets.find((p) => p.id === key) ?? presets.find((p) => p.name === key);
    if (!found) {
      const known = presets.map((p) => `${p.id} (${p.name})`).join(', ');
      // Found missing here, before anything was sent: an Input error of ours, not a device code.
      throw known === ''
        ? new TapoError('Input', 'noSuchPresetNone', { params: { preset: key } })
        : new TapoError('Input', 'noSuchPreset', { params: { preset: key, presets: known } });
    }
    return found;
  }

  /**
   * Sends named methods in batches of at most `batchSize` and returns their results in order.
   * Entries a batch left unanswered (the camera stops at the first failure) go out again in the
   * next batch; a failed required entry throws, a failed optional one yields undefined.
   */
  private async batch(requests: readonly NamedRequest[], idempotent: boolean): Promise<(JsonObject | undefined)[]> {
    const results: (JsonObject | undefined)[] = new Array<JsonObject | undefined>(requests.length).fill(undefined);
    let pending = requests.map((_, i) => i);
    while (pending.length > 0) {
      const chunk = pending.slice(0, this.batchSize);
      const reply = await this.requester.request(
        {
          method: 'multipleRequest',
          params: { requests: chunk.map((i) => ({ method: requests[i]!.method, params: requests[i]!.params })) },
        },
        { idempotent },
      );
      const responses = arr(checkReply('camera', reply, 'multipleRequest').responses);
      const answered = new Set<number>();
      let failure: TapoError | undefined;
      chunk.forEach((index, pos) => {
        const req = requests[index]!;
        const resp = responseFor(responses, pos, req.method);
        if (!resp || failure) return;
        answered.add(index);
        const error = replyFailure('camera', resp, req.method);
        if (error === undefined) {
          results[index] = obj(resp.result);
          return;
        }
        if (req.optional || (req.unsupportedIsEmpty && error.kind === 'Unsupported')) return;
        failure = error;
      });
      if (failure) throw failure;
      if (answered.size === 0) {
        throw new TapoError('Device', 'cameraBatchUnanswered', {
          context: 'multipleRequest',
          params: { methods: chunk.map((i) => requests[i]!.method).join(', ') },
        });
      }
      pending = pending.filter((i) => !answered.has(i));
    }
    return results;
  }
}


function isFormatRefusal(e: unknown): boolean {
  return e instanceof TapoError && e.code !== undefined && FORMAT_REFUSALS.has(e.code);
}
