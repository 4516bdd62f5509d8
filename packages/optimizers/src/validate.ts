/** Argument checks shared by the transformations and presets: each error names the argument, its value and the range. */
import { type CatalogOption, describeOption, optionAccepts } from './option-spec.js';

function show(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : (JSON.stringify(value) ?? String(value));
}

function fail(owner: string, name: string, value: unknown, range: string, example: string): never {
  throw new RangeError(`${owner}: \`${name}\` must be ${range}, got ${show(value)}. Pass e.g. ${example}.`);
}

/** A finite number > 0 (learning rates, clip thresholds, epsilon). */
export function positive(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(owner, name, value, 'a finite number > 0', example);
  }
  return value;
}

/** A finite number >= 0 (weight decay, initial accumulator value). */
export function nonNegative(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(owner, name, value, 'a finite number >= 0', example);
  }
  return value;
}

/** In [0, 1) (Adam's betas). */
export function unitOpen(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) fail(owner, name, value, 'in [0, 1)', example);
  return value;
}

/** In (0, 1] (schedule-free's interpolation `beta1`, which divides). */
export function unitLeftOpen(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) fail(owner, name, value, 'in (0, 1]', example);
  return value;
}

/** In [0, 1] (rho, momentum, EMA momentum). */
export function unitClosed(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) fail(owner, name, value, 'in [0, 1]', example);
  return value;
}

/** A whole number >= 1. */
export function positiveInteger(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    fail(owner, name, value, 'a whole number >= 1', example);
  }
  return value;
}

/** A whole number >= 0 (a count where 0 means none). */
export function nonNegativeInteger(owner: string, name: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    fail(owner, name, value, 'a whole number >= 0', example);
  }
  return value;
}

export function boolean(owner: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(owner, name, value, 'true or false', 'false');
  return value;
}

/**
 * Names other libraries use for our options (Keras's snake_case is matched by spelling; these are the rest):
 * tfjs's `lr`, PyTorch's `eps`, `betas` and `alpha`, Keras 2's `decay`.
 */
const OTHER_NAMES: Readonly<Record<string, string>> = {
  lr: '`learningRate`',
  eps: '`epsilon`',
  betas: '`beta1` and `beta2` (two numbers, not a pair)',
  etas: '`etaminus` and `etaplus` (two numbers, not a pair)',
  epsRoot: '`epsilonRoot`',
  b1: '`beta1`',
  b2: '`beta2`',
  alpha: "`rho` (PyTorch's RMSprop `alpha` is Keras's `rho`)",
  decay:
    "`weightDecay` for decoupled weight decay, or a schedule for Keras 2's learning-rate `decay`: " +
    'learningRate: inverseTimeDecay({ initialLearningRate, decaySteps: 1, decayRate }) from @opt/schedules',
};

const squash = (key: string) => key.replaceAll('_', '').toLowerCase();

/**
 * The options object of `owner`: undefined (all defaults) or a plain object whose keys are all in `allowed`.
 * An unknown key is an error that names it and, where there is one, the right name (Keras 3 rejects unknown
 * arguments too; ignoring `lr` would silently train at the default rate). `elsewhere(key)` may say which other
 * owner takes that key.
 */
export function checkOptions<T extends object>(
  owner: string,
  options: T | undefined,
  allowed: readonly string[],
  elsewhere: (key: string) => string | undefined = () => undefined,
): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${owner}: options must be an object such as { learningRate: 0.001 }, got ${show(options)}.`);
  }
  const unknown = Object.keys(options).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    const lines = unknown.map((key) => {
      const sameSpelling = allowed.find((a) => squash(a) === squash(key));
      const hint =
        sameSpelling !== undefined ? `\`${sameSpelling}\`` : (OTHER_NAMES[key] ?? OTHER_NAMES[key.toLowerCase()]);
      const other = elsewhere(key);
      return `\`${key}\`${hint !== undefined ? ` (did you mean ${hint}?)` : other !== undefined ? ` (${other})` : ''}`;
    });
    throw new TypeError(
      `${owner}: unknown option${unknown.length > 1 ? 's' : ''} ${lines.join(', ')}. ` +
        `${owner} takes: ${allowed.join(', ')}.`,
    );
  }
  return options;
}

/**
 * A preset option of the catalog: `value`, or the option's Keras default when undefined, checked against the
 * option's kind and range (the message names the range from the catalog and the default as an example).
 */
export function catalogOption<T extends number | boolean>(owner: string, option: CatalogOption, value: unknown): T {
  const v = value === undefined ? option.default : value;
  if (!optionAccepts(option, v)) fail(owner, option.key, v, describeOption(option), String(option.default));
  return v as T;
}
