/**
 * Every knob of a training run, once: its config field, its flag, its help, how a flag's text or a config
 * file's value is checked, when it applies and its default. Flags, JSON/YAML config files and (later) sweep
 * specs all go through this table, so a knob has one name, one range and one default everywhere.
 *
 * Pure: no TensorFlow.js here, so a sweep coordinator can validate configs without loading a backend. The
 * optimizers, their options' flags, scopes, ranges and defaults derive from `@opt/optimizers/catalog`.
 */

import {
  CATALOG,
  CATALOG_OPTION_KEYS,
  type CatalogOption,
  type CatalogOptionKey,
  catalogEntry,
  OPTIMIZER_NAMES,
  type OptimizerName,
  type OptionRange,
} from '@opt/optimizers/catalog';

/** The optimizers and their options come from @opt/optimizers' catalog (which loads no TensorFlow.js). */
export { OPTIMIZER_NAMES, type OptimizerName };

/** Names that stand for a preset with chosen knobs: the chapter's "momentum" is SGD with momentum 0.9. */
export const OPTIMIZER_ALIASES = {
  momentum: { optimizer: 'sgd', momentum: 0.9 },
  nesterov: { optimizer: 'sgd', momentum: 0.9, nesterov: true },
} as const satisfies Record<string, { optimizer: OptimizerName; momentum: number; nesterov?: boolean }>;

export const SCHEDULE_NAMES = [
  'constant',
  'inverse-time',
  'exponential',
  'piecewise-constant',
  'polynomial',
  'cosine',
  'reduce-on-plateau',
] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export const NORMALIZE_MODES = ['standardize', 'rescale', 'none'] as const;
export const ON_NAN_MODES = ['stop', 'skip', 'ignore'] as const;
/** @opt/tensor's BACKEND_NAMES plus 'auto', restated so that this module loads no TensorFlow.js. */
export const BACKEND_CHOICES = ['cpu', 'wasm', 'webgl', 'webgpu', 'tensorflow', 'auto'] as const;

/** Decay steps: a number of optimizer steps, one epoch of steps, or all the steps of the run. */
export type DecaySteps = number | 'epoch' | 'run';

type CatalogOptions = (typeof CATALOG)[number]['options'][number];

/**
 * Catalog options whose name another knob already has: their knob is named after the one optimizer that takes them
 * (ASGD's `alpha` is `asgdAlpha`, `--asgd-alpha`: `alpha` is the cosine schedule's floor).
 */
const RENAMED = { alpha: 'asgdAlpha' } as const;
type OptionKnobKey<K extends string> = K extends keyof typeof RENAMED ? (typeof RENAMED)[K] : K;

/** The config field (and knob) of a catalog option's key. */
export function optionKnobKey(key: string): string {
  return (RENAMED as Record<string, string>)[key] ?? key;
}

/** Each option of the catalog as a config field: its kind's type, or null where the optimizer does not take it. */
export type OptimizerOptionFields = {
  [K in CatalogOptionKey as OptionKnobKey<K>]:
    | (Extract<CatalogOptions, { key: K }>['kind'] extends 'boolean'
        ? boolean
        : Extract<CatalogOptions, { key: K }>['kind'] extends 'numberPair'
          ? [number, number]
          : number)
    | null;
};

/**
 * One run, fully resolved: every knob has its value (null where it does not apply to the chosen optimizer
 * or schedule). Plain JSON: it is what run directories store, compare workers receive and sweeps enqueue.
 * The optimizers' own options (momentum, beta1, ..., l1RegularizationStrength) are the catalog's; a config
 * saved before an option existed lacks its field, and {@link completeConfig} fills it in.
 */
export interface TrainConfig extends OptimizerOptionFields {
  optimizer: OptimizerName;
  learningRate: number;
  weightDecay: number | null;
  clipnorm: number | null;
  clipvalue: number | null;
  globalClipnorm: number | null;
  ema: boolean;
  emaMomentum: number | null;

  schedule: ScheduleName;
  decayRate: number | null;
  decaySteps: DecaySteps | null;
  staircase: boolean | null;
  boundaries: number[] | null;
  values: number[] | null;
  endLearningRate: number | null;
  power: number | null;
  cycle: boolean | null;
  alpha: number | null;
  warmupSteps: number | null;
  warmupFrom: number | null;
  factor: number | null;
  plateauPatience: number | null;
  minDelta: number | null;
  cooldown: number | null;
  minLr: number | null;

  epochs: number;
  batchSize: number | 'full';
  patience: number | null;
  onNan: (typeof ON_NAN_MODES)[number];

  hidden: number[];
  batchNorm: boolean;
  normalize: (typeof NORMALIZE_MODES)[number];
  perClass: number | null;
  validationSplit: number;
  seed: number;
  backend: (typeof BACKEND_CHOICES)[number];
  dataDir: string | null;
  download: boolean;
}
export type KnobKey = keyof TrainConfig;

export type KnobGroup = 'optimizer' | 'schedule' | 'training' | 'model and data';

/** Thrown by a knob's check with the problem only; the caller adds which flag or field it was. */
export class KnobValueError extends Error {}

export interface Knob {
  readonly key: KnobKey;
  /** Long flag without the dashes: `learning-rate`. */
  readonly flag: string;
  /** Placeholder of the flag's argument; absent for a boolean switch. */
  readonly arg?: string;
  readonly help: string;
  readonly group: KnobGroup;
  /** What the value must be, for messages: "a positive number". */
  readonly expected: string;
  /** Allowed values, listed in messages and help. */
  readonly choices?: readonly string[];
  /** A flag's text to a value. */
  parse(text: string): unknown;
  /** A config file's value (already JSON/YAML-typed) to a value. */
  check(value: unknown): unknown;
  /** The optimizers or schedules it belongs to; absent: always applies. */
  readonly optimizers?: readonly OptimizerName[];
  readonly schedules?: readonly ScheduleName[];
  /** Defined with a default of true: the flag is `--no-<flag>`. */
  readonly negatable?: boolean;
  /** Does not change what is trained (where the data is read from): left out of "knobs that differ". */
  readonly environment?: boolean;
  /** A switch that defaults to on: `--no-<flag>` turns it off, with this help. */
  readonly offHelp?: string;
  /**
   * Added after run directories and sweep queues existed: left out of a config's id while at its default (null
   * included), so that a config saved before the knob existed keeps its id.
   */
  readonly idWhenSet?: boolean;
}

function fail(expected: string, got: unknown): never {
  throw new KnobValueError(`must be ${expected}, got ${typeof got === 'string' ? `"${got}"` : JSON.stringify(got)}`);
}

function numberFromText(text: string, expected: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) fail(expected, text);
  return value;
}

interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  /** The bound itself is not allowed. */
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

function describeRule(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  if (rule.min === 0 && rule.minExclusive && rule.max === undefined) {
    return rule.integer ? 'a positive integer' : 'a positive number';
  }
  if (rule.min !== undefined && rule.max !== undefined) {
    return `${kind} in ${rule.minExclusive ? '(' : '['}${rule.min}, ${rule.max}${rule.maxExclusive ? ')' : ']'}`;
  }
  if (rule.min !== undefined) return `${kind} ${rule.minExclusive ? '>' : '>='} ${rule.min}`;
  if (rule.max !== undefined) return `${kind} ${rule.maxExclusive ? '<' : '<='} ${rule.max}`;
  return kind;
}

function checkNumber(value: unknown, rule: NumberRule, expected: string, original: unknown = value): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(expected, original);
  if (rule.integer && !Number.isSafeInteger(value)) fail(expected, original);
  const low = rule.min === undefined || (rule.minExclusive ? value > rule.min : value >= rule.min);
  const high = rule.max === undefined || (rule.maxExclusive ? value < rule.max : value <= rule.max);
  if (!low || !high) fail(expected, original);
  return value;
}

type Scope = Pick<Knob, 'optimizers' | 'schedules' | 'negatable' | 'environment' | 'offHelp' | 'idWhenSet'>;

function numberKnob(
  key: KnobKey,
  flag: string,
  arg: string,
  group: KnobGroup,
  help: string,
  rule: NumberRule,
  scope: Scope = {},
): Knob {
  const expected = describeRule(rule);
  return {
    key,
    flag,
    arg,
    group,
    help,
    expected,
    parse: (text) => checkNumber(numberFromText(text, expected), rule, expected, text),
    check: (value) => checkNumber(value, rule, expected),
    ...scope,
  };
}

function booleanKnob(key: KnobKey, flag: string, group: KnobGroup, help: string, scope: Scope = {}): Knob {
  return {
    key,
    flag,
    group,
    help,
    expected: 'true or false',
    parse: (text) => {
      if (text === 'true') return true;
      if (text === 'false') return false;
      return fail('true or false', text);
    },
    check: (value) => (typeof value === 'boolean' ? value : fail('true or false', value)),
    ...scope,
  };
}

function choiceKnob(
  key: KnobKey,
  flag: string,
  arg: string,
  group: KnobGroup,
  help: string,
  choices: readonly string[],
  scope: Scope = {},
): Knob {
  const expected = `one of ${choices.join(', ')}`;
  const check = (value: unknown) =>
    typeof value === 'string' && choices.includes(value) ? value : fail(expected, value);
  return { key, flag, arg, group, help, expected, choices, parse: check, check, ...scope };
}

function listKnob(
  key: KnobKey,
  flag: string,
  arg: string,
  group: KnobGroup,
  help: string,
  rule: NumberRule,
  example: string,
  scope: Scope = {},
): Knob {
  const expected = `comma-separated ${describeRule(rule).replace(/^an? /, '')}s such as ${example}`;
  const each = (items: unknown[], original: unknown) => {
    if (items.length === 0) fail(expected, original);
    return items.map((item) => checkNumber(item, rule, expected, original));
  };
  return {
    key,
    flag,
    arg,
    group,
    help,
    expected,
    parse: (text) =>
      each(
        text.split(',').map((part) => (part.trim() === '' ? Number.NaN : Number(part))),
        text,
      ),
    check: (value) =>
      Array.isArray(value) ? each(value, value) : fail(`a list of ${expected.replace(/^comma-separated /, '')}`, value),
    ...scope,
  };
}

/** Two numbers `low,high` with `low <= high` (Rprop's `stepSizes`). */
function pairKnob(
  key: KnobKey,
  flag: string,
  help: string,
  rule: NumberRule,
  example: readonly [number, number],
  scope: Scope,
): Knob {
  const list = listKnob(key, flag, '<low,high>', 'optimizer', help, rule, example.join(','), scope);
  const expected = `two ${list.expected.replace(/^comma-separated /, '')}, low <= high`;
  const pair = (items: unknown, original: unknown) => {
    const [low, high] = items as number[];
    if ((items as number[]).length !== 2 || !((low as number) <= (high as number))) fail(expected, original);
    return items;
  };
  return {
    ...list,
    expected,
    parse: (text) => pair(list.parse(text), text),
    check: (value) => pair(list.check(value), value),
  };
}

/** An integer number of steps, or a word for a span of the run. */
function stepsKnob(
  key: KnobKey,
  flag: string,
  group: KnobGroup,
  help: string,
  words: readonly string[],
  scope: Scope,
): Knob {
  const expected = `a positive integer or ${words.join(' or ')}`;
  const check = (value: unknown, original: unknown = value) => {
    if (typeof value === 'string' && words.includes(value)) return value;
    return checkNumber(value, { integer: true, min: 0, minExclusive: true }, expected, original);
  };
  return {
    key,
    flag,
    arg: '<steps>',
    group,
    help,
    expected,
    parse: (text) => (words.includes(text) ? text : check(numberFromText(text, expected), text)),
    check: (value) => check(value),
    ...scope,
  };
}

const unit = { min: 0, max: 1 } satisfies NumberRule;
const positive = { min: 0, minExclusive: true } satisfies NumberRule;
const nonNegative = { min: 0 } satisfies NumberRule;
const positiveInteger = { integer: true, min: 0, minExclusive: true } satisfies NumberRule;
const nonNegativeInteger = { integer: true, min: 0 } satisfies NumberRule;

/** The chapter's option knobs, in the order they had before the catalog (configs' ids depend on it). */
const FIRST_OPTIONS: readonly CatalogOptionKey[] = [
  'momentum',
  'nesterov',
  'rho',
  'beta1',
  'beta2',
  'epsilon',
  'amsgrad',
  'centered',
];

/** `l1RegularizationStrength` -> `l1-regularization-strength`. */
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The loosest of the ranges (each optimizer's own is checked once the optimizer is known). */
function loosest(ranges: readonly OptionRange[]): NumberRule {
  const mins = ranges.map((r) => r.min);
  const maxes = ranges.map((r) => r.max);
  const rule: NumberRule = {};
  if (mins.every((m) => m !== undefined)) {
    rule.min = Math.min(...(mins as number[]));
    rule.minExclusive = ranges.every((r) => r.min !== rule.min || r.minExclusive === true);
  }
  if (maxes.every((m) => m !== undefined)) {
    rule.max = Math.max(...(maxes as number[]));
    rule.maxExclusive = ranges.every((r) => r.max !== rule.max || r.maxExclusive === true);
  }
  return rule;
}

/** One knob per option key of the catalog: its flag, help, scope (the optimizers that take it) and range. */
function optimizerOptionKnobs(): Knob[] {
  const keys = [...FIRST_OPTIONS, ...CATALOG_OPTION_KEYS.filter((k) => !FIRST_OPTIONS.includes(k))];
  return keys.map((key) => {
    const takers = CATALOG.filter((e) => e.options.some((o) => o.key === key));
    const options = takers.map(
      (e) => (e.options as readonly CatalogOption[]).find((o) => o.key === key) as CatalogOption,
    );
    const first = options[0] as CatalogOption;
    const scope: Scope = {
      optimizers: takers.map((e) => e.name),
      ...(FIRST_OPTIONS.includes(key) ? {} : { idWhenSet: true }),
    };
    const help = `${first.help} (${scope.optimizers?.join(', ')})`;
    const knob = optionKnobKey(key) as KnobKey;
    if (knob !== key && takers.length !== 1)
      throw new Error(`knobs: ${key} is renamed ${knob}, yet ${takers.length} optimizers take it.`);
    if (first.kind === 'boolean') {
      // a switch that is on for one taker (Muon's nesterov) needs its --no- flag, whatever the first taker's default
      const on = options.some((o) => o.default === true);
      return booleanKnob(knob, kebab(knob), 'optimizer', help, on ? { ...scope, offHelp: `turn ${key} off` } : scope);
    }
    const rule = loosest(options.map((o) => o.range ?? {}));
    if (first.kind === 'numberPair')
      return pairKnob(knob, kebab(knob), help, rule, first.default as [number, number], scope);
    if (first.kind === 'integer') rule.integer = true;
    return numberKnob(knob, kebab(knob), `<${kebab(knob)}>`, 'optimizer', help, rule, scope);
  });
}

/** The catalog's option of `optimizer` behind the knob `knobKey`, or undefined when that optimizer takes none. */
export function optimizerOption(optimizer: OptimizerName, knobKey: string): CatalogOption | undefined {
  return (catalogEntry(optimizer)?.options as readonly CatalogOption[] | undefined)?.find(
    (o) => optionKnobKey(o.key) === knobKey,
  );
}

/** The table, in the order help lists it. */
export const KNOBS: readonly Knob[] = [
  choiceKnob(
    'optimizer',
    'optimizer',
    '<name>',
    'optimizer',
    'Keras 3 preset of @opt/optimizers; momentum = sgd with momentum 0.9, nesterov = the same with Nesterov',
    [...OPTIMIZER_NAMES, ...Object.keys(OPTIMIZER_ALIASES)],
  ),
  numberKnob(
    'learningRate',
    'learning-rate',
    '<lr>',
    'optimizer',
    "step size (the schedule's initial or peak rate); default: the preset's Keras default",
    positive,
  ),
  ...optimizerOptionKnobs(),
  numberKnob(
    'weightDecay',
    'weight-decay',
    '<wd>',
    'optimizer',
    'decoupled weight decay w -= w * wd * lr (default: off; adamw 0.004)',
    nonNegative,
  ),
  numberKnob('clipnorm', 'clipnorm', '<n>', 'optimizer', 'clip each gradient to this L2 norm', positive),
  numberKnob('clipvalue', 'clipvalue', '<v>', 'optimizer', 'clip each gradient element to [-v, v]', positive),
  numberKnob(
    'globalClipnorm',
    'global-clipnorm',
    '<n>',
    'optimizer',
    'clip all gradients together to this global L2 norm',
    positive,
  ),
  booleanKnob('ema', 'ema', 'optimizer', 'keep a moving average of the weights and finish with it (Keras useEma)'),
  numberKnob(
    'emaMomentum',
    'ema-momentum',
    '<m>',
    'optimizer',
    'momentum of the weights average (default 0.99 with --ema)',
    unit,
  ),

  choiceKnob('schedule', 'schedule', '<name>', 'schedule', 'learning-rate schedule (@opt/schedules)', SCHEDULE_NAMES),
  numberKnob(
    'decayRate',
    'decay-rate',
    '<r>',
    'schedule',
    'inverse-time: lr / (1 + r p); exponential: lr r^p, p = step / decay steps (default 1 and 0.9); alone it means --schedule inverse-time',
    positive,
    { schedules: ['inverse-time', 'exponential'] },
  ),
  stepsKnob(
    'decaySteps',
    'decay-steps',
    'schedule',
    'steps per decay period: a number, epoch or run (all steps) (default epoch; polynomial and cosine: run)',
    ['epoch', 'run'],
    { schedules: ['inverse-time', 'exponential', 'polynomial', 'cosine'] },
  ),
  booleanKnob(
    'staircase',
    'staircase',
    'schedule',
    'decay in whole periods, p = floor(step / decay steps) (default on: the chapter decays once per epoch; --no-staircase decays every step)',
    { schedules: ['inverse-time', 'exponential'], offHelp: 'decay every step instead of once per period' },
  ),
  listKnob(
    'boundaries',
    'boundaries',
    '<steps>',
    'schedule',
    'piecewise-constant: the steps where the rate changes',
    nonNegativeInteger,
    '1000,2000',
    { schedules: ['piecewise-constant'] },
  ),
  listKnob(
    'values',
    'values',
    '<lrs>',
    'schedule',
    'piecewise-constant: one rate per piece, one more than the boundaries (default lr, lr/10, lr/100, ...)',
    positive,
    '0.1,0.01,0.001',
    { schedules: ['piecewise-constant'] },
  ),
  numberKnob(
    'endLearningRate',
    'end-learning-rate',
    '<lr>',
    'schedule',
    'polynomial: the final rate (default 0.0001)',
    nonNegative,
    { schedules: ['polynomial'] },
  ),
  numberKnob('power', 'power', '<p>', 'schedule', 'polynomial: the exponent (default 1, linear)', nonNegative, {
    schedules: ['polynomial'],
  }),
  booleanKnob('cycle', 'cycle', 'schedule', 'polynomial: restart after the decay steps', { schedules: ['polynomial'] }),
  numberKnob(
    'alpha',
    'alpha',
    '<a>',
    'schedule',
    'cosine: the final rate as a fraction of the peak (default 0)',
    unit,
    { schedules: ['cosine'] },
  ),
  numberKnob(
    'warmupSteps',
    'warmup-steps',
    '<n>',
    'schedule',
    'cosine: linear warmup steps from --warmup-from up to the learning rate (default 0)',
    nonNegativeInteger,
    { schedules: ['cosine'] },
  ),
  numberKnob(
    'warmupFrom',
    'warmup-from',
    '<lr>',
    'schedule',
    'cosine: the rate the warmup starts at (default 0)',
    nonNegative,
    { schedules: ['cosine'] },
  ),
  numberKnob(
    'factor',
    'factor',
    '<f>',
    'schedule',
    'reduce-on-plateau: multiply the rate by this when val_loss stalls (default 0.1)',
    { min: 0, max: 1, minExclusive: true, maxExclusive: true },
    { schedules: ['reduce-on-plateau'] },
  ),
  numberKnob(
    'plateauPatience',
    'plateau-patience',
    '<n>',
    'schedule',
    'reduce-on-plateau: epochs without improvement before reducing (default 10, Keras)',
    nonNegativeInteger,
    { schedules: ['reduce-on-plateau'] },
  ),
  numberKnob(
    'minDelta',
    'min-delta',
    '<d>',
    'schedule',
    'reduce-on-plateau: smallest change that counts as improvement (default 0.0001)',
    nonNegative,
    { schedules: ['reduce-on-plateau'] },
  ),
  numberKnob(
    'cooldown',
    'cooldown',
    '<n>',
    'schedule',
    'reduce-on-plateau: epochs to wait after a reduction (default 0)',
    nonNegativeInteger,
    { schedules: ['reduce-on-plateau'] },
  ),
  numberKnob(
    'minLr',
    'min-lr',
    '<lr>',
    'schedule',
    'reduce-on-plateau: the rate never goes below this (default 0)',
    nonNegative,
    { schedules: ['reduce-on-plateau'] },
  ),

  numberKnob('epochs', 'epochs', '<n>', 'training', 'passes over the training split (default 5)', positiveInteger),
  {
    key: 'batchSize',
    flag: 'batch-size',
    arg: '<n|full>',
    group: 'training',
    help: 'examples per step: 1 is stochastic, full is batch gradient descent on the whole training split (default 128)',
    expected: 'a positive integer or full',
    parse: (text) =>
      text === 'full'
        ? 'full'
        : checkNumber(
            numberFromText(text, 'a positive integer or full'),
            positiveInteger,
            'a positive integer or full',
            text,
          ),
    check: (value) => (value === 'full' ? 'full' : checkNumber(value, positiveInteger, 'a positive integer or full')),
  },
  numberKnob(
    'patience',
    'patience',
    '<n>',
    'training',
    'early stopping: stop after this many epochs without a lower val_loss (default: off)',
    nonNegativeInteger,
  ),
  choiceKnob(
    'onNan',
    'on-nan',
    '<mode>',
    'training',
    'a NaN or infinite gradient: stop (keep the last good checkpoint), skip the step, or ignore it (Keras) (default stop)',
    ON_NAN_MODES,
  ),

  listKnob(
    'hidden',
    'hidden',
    '<units>',
    'model and data',
    'hidden layer widths (default 256,128)',
    positiveInteger,
    '256,128',
  ),
  booleanKnob(
    'batchNorm',
    'batch-norm',
    'model and data',
    'Dense(useBias: false) -> BatchNormalization -> ReLU in each hidden layer',
  ),
  choiceKnob(
    'normalize',
    'normalize',
    '<mode>',
    'model and data',
    'input normalization; standardize uses training-split statistics (default standardize)',
    NORMALIZE_MODES,
  ),
  numberKnob(
    'perClass',
    'per-class',
    '<n>',
    'model and data',
    'train on a balanced subset of n images per class (default: all 60,000)',
    positiveInteger,
  ),
  numberKnob(
    'validationSplit',
    'validation-split',
    '<f>',
    'model and data',
    'fraction of the training images held out for validation, stratified (default 1/12: 5,000)',
    { min: 0, max: 1, minExclusive: true, maxExclusive: true },
  ),
  numberKnob(
    'seed',
    'seed',
    '<n>',
    'model and data',
    'seed of the weights, the split and the shuffles (default 42)',
    nonNegativeInteger,
  ),
  choiceKnob(
    'backend',
    'backend',
    '<name>',
    'model and data',
    'TensorFlow.js backend (default auto: tensorflow, else wasm, else cpu)',
    BACKEND_CHOICES,
  ),
  {
    key: 'dataDir',
    flag: 'data-dir',
    arg: '<dir>',
    group: 'model and data',
    help: 'directory with the four Fashion-MNIST files; used or the command fails (default: the usual places)',
    expected: 'a directory path',
    parse: (text) => (text.trim() === '' ? fail('a directory path', text) : text),
    check: (value) => (typeof value === 'string' && value.trim() !== '' ? value : fail('a directory path', value)),
    environment: true,
  },
  booleanKnob(
    'download',
    'download',
    'model and data',
    'download the dataset when no local copy exists (--no-download: never)',
    { negatable: true, environment: true },
  ),
];

export const KNOB_BY_KEY: ReadonlyMap<KnobKey, Knob> = new Map(KNOBS.map((k) => [k.key, k]));

/** Keras 3's defaults of each preset, for the knobs that apply to it: the catalog's. */
export const OPTIMIZER_DEFAULTS: Readonly<Record<OptimizerName, Partial<TrainConfig>>> = Object.fromEntries(
  CATALOG.map((e) => [
    e.name,
    {
      learningRate: e.learningRate,
      ...('baseDefaults' in e ? e.baseDefaults : {}),
      ...Object.fromEntries(e.options.map((o) => [optionKnobKey(o.key), o.default])),
    },
  ]),
) as Record<OptimizerName, Partial<TrainConfig>>;

/** Defaults of each schedule's parameters (Keras's where Keras has one; per-epoch decay as in the chapter). */
export const SCHEDULE_DEFAULTS: Readonly<Record<ScheduleName, Partial<TrainConfig>>> = {
  constant: {},
  'inverse-time': { decayRate: 1, decaySteps: 'epoch', staircase: true },
  exponential: { decayRate: 0.9, decaySteps: 'epoch', staircase: true },
  'piecewise-constant': {},
  polynomial: { decaySteps: 'run', endLearningRate: 0.0001, power: 1, cycle: false },
  cosine: { decaySteps: 'run', alpha: 0, warmupSteps: 0, warmupFrom: 0 },
  'reduce-on-plateau': { factor: 0.1, plateauPatience: 10, minDelta: 0.0001, cooldown: 0, minLr: 0 },
};

/** Knobs that do not depend on the optimizer or schedule. */
export const GENERAL_DEFAULTS = {
  optimizer: 'adam',
  schedule: 'constant',
  weightDecay: null,
  clipnorm: null,
  clipvalue: null,
  globalClipnorm: null,
  ema: false,
  emaMomentum: null,
  epochs: 5,
  batchSize: 128,
  patience: null,
  onNan: 'stop',
  hidden: [256, 128],
  batchNorm: false,
  normalize: 'standardize',
  perClass: null,
  validationSplit: 1 / 12,
  seed: 42,
  backend: 'auto',
  dataDir: null,
  download: true,
} as const satisfies Partial<TrainConfig>;

export const EMA_MOMENTUM_DEFAULT = 0.99;
