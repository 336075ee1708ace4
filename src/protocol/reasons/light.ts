/**
 * English texts of the reasons raised by the light verbs and their payload parser
 * (src/devices/light.ts: bulbs and light strips) and of their hints. Placeholders are `__name__`
 * (see format.ts); `__received__` is a user's value described by the parsers, `__model__` the
 * device's model.
 */
export const LIGHT_REASONS = {
  lightCommand:
    'A light takes true/false, "on", "off", "toggle", "status" or an object {on, brightness, color, hue, saturation, colorTemp, transition, effect}; got __received__.',
  unknownLightKeys: 'Light command: unknown key__plural__ __keys__; accepted: __accepted__.',
  lightBoolean: 'Light "__key__" must be true or false; got __received__.',
  lightRange: 'Light "__key__" must be a whole number from __min__ to __max__; got __received__.',
  lightBrightness: 'Light "brightness" must be a whole number from 1 to 100 (0 turns the light off); got __received__.',
  lightBrightnessZeroOn: 'Light "brightness": 0 turns the light off, so it cannot go with on: true.',
  lightColorAndTemp: 'Give one colour: color, hue with saturation, or colorTemp, not several.',
  lightHueAndSaturation: 'Light "hue" and "saturation" go together: give both.',
  lightColorText:
    'Light "color" must be a hex colour ("#ff8800"), a colour name ("orange", "warm white") or a colour temperature ("2700K"); got __received__.',
  lightColorValue: 'Light "color" must be a string, {hue, saturation} or {colorTemp}; got __received__.',
  lightColorTempRange: 'Light "colorTemp" must be a whole number of kelvin from __min__ to __max__ on this light; got __received__.',
  lightNoColor: 'This light (__model__) has no colour: it is dimmable white only.',
  lightNoColorTemp: 'This light (__model__) has no adjustable colour temperature.',
  lightNoGradual: 'This light (__model__) has no gradual on/off (its component list lacks "on_off_gradually").',
  lightGradualNoDuration: 'This light (__model__) switches gradual on/off on or off only: send transition: true or false.',
  lightGradualSeconds: 'Light "transition" must be true/false or a whole number of seconds from 0 to __max__ on this light; got __received__.',
  lightNoEffects: 'This light (__model__) has no light strip effects (its component list lacks "light_strip_lighting_effect").',
  lightEffectValue: 'Light "effect" must be false/"off", the name of the strip\'s effect, or a whole effect object; got __received__.',
  lightUnknownEffect: 'The strip holds no effect named "__name__"; the effect it holds: "__known__". Send a whole effect object for another one.',
  lightEffectMissing: 'Light "effect" object: missing or wrong __keys__; an effect needs id, name, type and display_colors.',
  lightEffectType: 'Light "effect.type" must be one of __types__; got __received__.',
  lightNothingToDo: 'The light command changes nothing: give on, brightness, a colour, transition or effect.',
  notALight: 'This device (__model__) is not a bulb or light strip.',
} as const;

/** Hints of the light verbs. */
export const LIGHT_HINTS = {
  lightUsePlugNode: 'Use a tapo-plug-control node for plugs and switches.',
} as const;
