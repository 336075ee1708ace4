/**
 * The D100C chime in the simulator (../shared/protocol/family.md §9): a SMART device on HTTP 80
 * whose own methods are the plug logic's (from its profile, which is synthesised from the facts:
 * there is no capture), plus `play_alarm {alarm_duration, alarm_type, alarm_volume}` (pytapo's key
 * names), which records a ring, and `stop_alarm`. A sound the chime does not list, a volume
 * outside "1".."15" or a duration that is neither 0 nor 5..30 answers -1008.
 */
import type { SimJsonObject } from '../types';
import { clone, isObject } from './json';
import { PlugLogic } from './plug';
import type { PlugLogicOptions, PlugState } from './plug';

const PARAMS_ERROR = -1008;

/** One ring, as the chime was asked. */
export interface SimChimeRing {
  at: number;
  sound?: string;
  volume?: string;
  duration?: number;
}

/** The live state of a chime: the plug-logic state and its rings. */
export type ChimeState = PlugState & { rings: SimChimeRing[]; ringing: boolean };

/** A D100C chime. */
export class ChimeLogic extends PlugLogic {
  readonly rings: SimChimeRing[] = [];
  private ringing = false;
  private readonly sounds: string[];
  private readonly clockNow: () => number;

  constructor(data: SimJsonObject, options: PlugLogicOptions) {
    super(data, options);
    const list = isObject(data.get_support_alarm_type_list) && Array.isArray(data.get_support_alarm_type_list.alarm_type_list) ? data.get_support_alarm_type_list.alarm_type_list : [];
    this.sounds = list.filter((s): s is string => typeof s === 'string');
    this.clockNow = () => options.clock.now();
  }

  override get state(): ChimeState {
    return { ...super.state, rings: clone(this.rings as unknown as SimJsonObject[]) as unknown as SimChimeRing[], ringing: this.ringing };
  }

  override handle(request: SimJsonObject): SimJsonObject {
    if (request.method === 'play_alarm') return this.play(isObject(request.params) ? request.params : {});
    if (request.method === 'stop_alarm') {
      this.ringing = false;
      return { error_code: 0 };
    }
    return super.handle(request);
  }

  private play(params: SimJsonObject): SimJsonObject {
    const ring: SimChimeRing = { at: this.clockNow() };
    const sound = params.alarm_type;
    const volume = params.alarm_volume;
    const duration = params.alarm_duration;
    if (sound !== undefined) {
      if (typeof sound !== 'string' || !this.sounds.includes(sound)) return { error_code: PARAMS_ERROR };
      ring.sound = sound;
    }
    if (volume !== undefined) {
      const n = Number(volume);
      if (typeof volume !== 'string' || !Number.isInteger(n) || n < 1 || n > 15) return { error_code: PARAMS_ERROR };
      ring.volume = volume;
    }
    if (duration !== undefined) {
      if (typeof duration !== 'number' || !Number.isInteger(duration) || (duration !== 0 && (duration < 5 || duration > 30))) return { error_code: PARAMS_ERROR };
      ring.duration = duration;
    }
    this.rings.push(ring);
    this.ringing = true;
    return { error_code: 0 };
  }
}
