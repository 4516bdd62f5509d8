/**
 * From what the user gave (flags, a config file, a sweep entry) to a fully resolved {@link TrainConfig}:
 * values checked one by one, knobs that do not apply to the chosen optimizer or schedule refused, defaults
 * filled in, cross-field rules checked, and warnings for values that are legal but almost surely a mistake.
 * Every message names the flag or field and the value.
 */
import { createHash } from 'node:crypto';
import { describeOption, optionAccepts } from '@opt/optimizers/catalog';
import { UsageError } from '../cli/errors.js';
import {
  EMA_MOMENTUM_DEFAULT,
  GENERAL_DEFAULTS,
  KNOB_BY_KEY,
  KNOBS,
  type Knob,
  type KnobKey,
  KnobValueError,
  OPTIMIZER_ALIASES,
  OPTIMIZER_DEFAULTS,
  type OptimizerName,
  optimizerOption,
  SCHEDULE_DEFAULTS,
  type ScheduleName,
  type TrainConfig,
} from './knobs.js';
import { checkWrappers, fillWrappers } from './wrapper-knobs.js';

/** Checked values, and how to name each one in a message (its flag, or its field in a file). */
export interface ConfigInput {
  readonly values: Partial<Record<KnobKey, unknown>>;
  readonly names: Partial<Record<KnobKey, string>>;
}

export const EMPTY_INPUT: ConfigInput = { values: {}, names: {} };

/** How the fields of one source are named in messages. */
export type Namer = (knob: Knob) => string;
export const flagName: Namer = (knob) => `--${knob.flag}`;
/** `configs.yaml: entry 2: learningRate`. */
export const fieldName =
  (where: string): Namer =>
  (knob) =>
    `${where}: ${knob.key}`;

function named(name: string, error: unknown): never {
  if (error instanceof KnobValueError) throw new UsageError(`${name} ${error.message}.`, name);
  throw error;
}

/** Levenshtein distance, for "did you mean" on unknown fields. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** The closest known name to `key` (a field or a flag spelt differently), if it is close. */
/** Names people type for a knob from other tools. */
const SYNONYMS: Record<string, KnobKey> = {
  lr: 'learningRate',
  bs: 'batchSize',
  wd: 'weightDecay',
  decay: 'decayRate',
  lr_schedule: 'schedule',
};

export function suggestKnob(key: string): Knob | undefined {
  const plain = key.replace(/^-+/, '').toLowerCase().replace(/_/g, '-');
  const synonym = SYNONYMS[plain];
  if (synonym !== undefined) return KNOB_BY_KEY.get(synonym);
  let best: { knob: Knob; d: number } | undefined;
  for (const knob of KNOBS) {
    const d = Math.min(distance(plain, knob.key.toLowerCase()), distance(plain, knob.flag));
    if (best === undefined || d < best.d) best = { knob, d };
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(plain.length / 3)) ? best.knob : undefined;
}

/**
 * Values typed on the command line (strings, or booleans for switches) to checked values. `given` holds
 * only the flags the user typed.
 */
export function inputFromFlags(given: Partial<Record<KnobKey, unknown>>): ConfigInput {
  const values: Partial<Record<KnobKey, unknown>> = {};
  const names: Partial<Record<KnobKey, string>> = {};
  for (const knob of KNOBS) {
    const raw = given[knob.key];
    if (raw === undefined) continue;
    const name = flagName(knob);
    try {
      values[knob.key] = typeof raw === 'string' ? knob.parse(raw) : knob.check(raw);
    } catch (error) {
      named(name, error);
    }
    names[knob.key] = name;
  }
  return { values, names };
}

/**
 * A config object from a JSON/YAML file (or a sweep entry) to checked values. Unknown fields are refused with
 * the closest known name; `null` means "not set" (the default), so a resolved config reads back unchanged.
 * `ignore` lists fields that are not knobs but belong to the entry (e.g. `name`).
 */
export function inputFromObject(object: unknown, where: string, ignore: readonly string[] = []): ConfigInput {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new UsageError(
      `${where}: a config must be an object of knobs such as { "optimizer": "sgd" }, got ${JSON.stringify(object)}.`,
    );
  }
  const values: Partial<Record<KnobKey, unknown>> = {};
  const names: Partial<Record<KnobKey, string>> = {};
  const namer = fieldName(where);
  for (const [key, value] of Object.entries(object)) {
    if (ignore.includes(key)) continue;
    const knob = KNOB_BY_KEY.get(key as KnobKey);
    if (knob === undefined) {
      const near = suggestKnob(key);
      throw new UsageError(
        `${where}: unknown field "${key}"${near !== undefined ? ` (did you mean "${near.key}"?)` : ''}; the fields are the knobs listed by \`opt train --help\` in camelCase, e.g. learningRate.`,
        key,
      );
    }
    if (value === null) continue;
    try {
      values[knob.key] = knob.check(value);
    } catch (error) {
      named(namer(knob), error);
    }
    names[knob.key] = namer(knob);
  }
  return { values, names };
}

/** `b`'s values over `a`'s. */
export function mergeInputs(a: ConfigInput, b: ConfigInput): ConfigInput {
  return { values: { ...a.values, ...b.values }, names: { ...a.names, ...b.names } };
}

function list(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

export interface Resolved {
  readonly config: TrainConfig;
  /** Legal values that are almost surely a mistake, one line each. */
  readonly warnings: string[];
}

/** Fills in every knob: the user's value, else the default for the chosen optimizer and schedule, else null. */
export function resolveConfig(input: ConfigInput = EMPTY_INPUT): Resolved {
  const v: Partial<Record<KnobKey, unknown>> = { ...input.values };
  const name = (key: KnobKey) => input.names[key] ?? flagName(KNOB_BY_KEY.get(key) as Knob);

  let optimizer = (v.optimizer ?? GENERAL_DEFAULTS.optimizer) as OptimizerName | keyof typeof OPTIMIZER_ALIASES;
  if (optimizer in OPTIMIZER_ALIASES) {
    const alias: { optimizer: OptimizerName; momentum: number; nesterov?: boolean } =
      OPTIMIZER_ALIASES[optimizer as keyof typeof OPTIMIZER_ALIASES];
    optimizer = alias.optimizer;
    v.momentum ??= alias.momentum;
    if (alias.nesterov === true) v.nesterov ??= true;
  }
  const opt = optimizer as OptimizerName;
  // The chapter's knob: `--decay-rate r` alone is inverse-time decay per epoch, lr0 / (1 + r * epoch).
  const schedule = (v.schedule ??
    (v.decayRate !== undefined ? 'inverse-time' : GENERAL_DEFAULTS.schedule)) as ScheduleName;

  for (const knob of KNOBS) {
    if (v[knob.key] === undefined) continue;
    if (knob.optimizers !== undefined && !knob.optimizers.includes(opt)) {
      throw new UsageError(
        `${name(knob.key)} applies to ${list(knob.optimizers)}, not ${opt}.`,
        name(knob.key),
        v[knob.key],
      );
    }
    if (knob.schedules !== undefined && !knob.schedules.includes(schedule)) {
      throw new UsageError(
        `${name(knob.key)} applies to the ${list(knob.schedules)} schedule${knob.schedules.length > 1 ? 's' : ''}, not ${schedule}; choose one with --schedule.`,
        name(knob.key),
        v[knob.key],
      );
    }
  }
  // A flag's range is the loosest over the optimizers that take it; here the chosen one's own (Lion's beta1 is (0, 1]).
  for (const knob of KNOBS) {
    const option = optimizerOption(opt, knob.key);
    const value = v[knob.key];
    if (option === undefined || value === undefined || optionAccepts(option, value)) continue;
    throw new UsageError(
      `${name(knob.key)} must be ${describeOption(option)} for ${opt}, got ${JSON.stringify(value)}.`,
      name(knob.key),
      value,
    );
  }
  if (v.emaMomentum !== undefined && v.ema !== true) {
    throw new UsageError(
      `${name('emaMomentum')} sets the moving average of the weights: add --ema to keep one.`,
      name('emaMomentum'),
    );
  }
  checkWrappers(v, name);
  const clips = (['clipnorm', 'clipvalue', 'globalClipnorm'] as const).filter((k) => v[k] !== undefined);
  if (clips.length > 1) {
    throw new UsageError(
      `${list(clips.map(name))} clip the gradients in different ways: choose one (Keras allows one).`,
      name(clips[1] as KnobKey),
    );
  }

  const optimizerDefaults = OPTIMIZER_DEFAULTS[opt];
  const scheduleDefaults = SCHEDULE_DEFAULTS[schedule];
  const config = {} as Record<KnobKey, unknown>;
  for (const knob of KNOBS) {
    const applies =
      (knob.optimizers === undefined || knob.optimizers.includes(opt)) &&
      (knob.schedules === undefined || knob.schedules.includes(schedule));
    const fallback =
      (optimizerDefaults as Record<string, unknown>)[knob.key] ??
      (scheduleDefaults as Record<string, unknown>)[knob.key] ??
      (GENERAL_DEFAULTS as Record<string, unknown>)[knob.key] ??
      null;
    config[knob.key] = applies ? (v[knob.key] ?? fallback) : null;
  }
  config.optimizer = opt;
  config.schedule = schedule;
  config.emaMomentum = config.ema === true ? (v.emaMomentum ?? EMA_MOMENTUM_DEFAULT) : null;
  fillWrappers(config, v);
  const c = config as unknown as TrainConfig;

  if (schedule === 'piecewise-constant') {
    if (c.boundaries === null) {
      throw new UsageError(
        '--schedule piecewise-constant needs --boundaries: the steps where the rate changes, e.g. --boundaries 1000,2000 (and optionally --values 0.01,0.001,0.0001).',
        '--boundaries',
      );
    }
    const b = c.boundaries;
    if (b.some((step, i) => i > 0 && step <= (b[i - 1] as number))) {
      throw new UsageError(`${name('boundaries')} must increase strictly, got ${b.join(',')}.`, name('boundaries'), b);
    }
    if (c.values === null) c.values = [...b, 0].map((_, i) => c.learningRate * 10 ** -i);
    else if (c.values.length !== b.length + 1) {
      throw new UsageError(
        `${name('values')} needs one rate per piece: ${b.length + 1} for ${b.length} boundaries, got ${c.values.length} (${c.values.join(',')}).`,
        name('values'),
        c.values,
      );
    }
  }
  if (c.batchNorm && c.batchSize === 1) {
    throw new UsageError(
      `${name('batchNorm')} with ${name('batchSize')} 1: a batch of one sample has no variance, so BatchNormalization would output zeros and the model learn nothing (@opt/layers refuses it); use batches of 2 or more, 32 to 256 as usual.`,
      name('batchSize'),
      1,
    );
  }
  if (schedule === 'cosine' && v.warmupFrom !== undefined && c.warmupSteps === 0) {
    throw new UsageError(`${name('warmupFrom')} is where a warmup starts: add --warmup-steps n.`, name('warmupFrom'));
  }
  return { config: c, warnings: warningsFor(c, name) };
}

/** Legal values that are almost surely a mistake. */
function warningsFor(c: TrainConfig, name: (key: KnobKey) => string): string[] {
  const warnings: string[] = [];
  if (c.learningRate > 10) {
    warnings.push(
      `${name('learningRate')} ${formatNumber(c.learningRate)} is above 10: almost every run diverges at such a rate; typical rates are 0.0001 to 0.1.`,
    );
  }
  if (c.nesterov === true && c.momentum === 0) {
    warnings.push(`${name('nesterov')} without momentum changes nothing (momentum is 0): add --momentum 0.9.`);
  }
  return warnings;
}

/**
 * The knobs of `config` that differ from the defaults, compared with the defaults of its own optimizer and
 * schedule (so `--optimizer sgd` is one knob, not also a learning rate). Where the data is read from is left out.
 */
export function knobsDiffering(config: TrainConfig): Array<{ key: KnobKey; value: unknown; default: unknown }> {
  // A piecewise-constant schedule has no default boundaries: the base takes the config's, so that the default
  // values (lr, lr/10, ...) are those of its boundaries, and the boundaries themselves always differ (from none).
  const piecewise = config.schedule === 'piecewise-constant';
  const base = resolveConfig({
    values: {
      optimizer: config.optimizer,
      schedule: config.schedule,
      ...(piecewise ? { boundaries: config.boundaries } : {}),
    },
    names: {},
  }).config;
  const general = GENERAL_DEFAULTS as Record<string, unknown>;
  const out: Array<{ key: KnobKey; value: unknown; default: unknown }> = [];
  for (const knob of KNOBS) {
    if (knob.environment) continue;
    const value = config[knob.key];
    const reference =
      knob.key === 'optimizer' || knob.key === 'schedule'
        ? general[knob.key]
        : knob.key === 'boundaries' && piecewise
          ? null
          : base[knob.key];
    if (!sameValue(value, reference)) out.push({ key: knob.key, value, default: reference });
  }
  return out;
}

/**
 * A stable id of what a config trains (every knob but where the data is read from): the same config gives
 * the same id on every machine, e.g. a queue's job id, so that adding the same trial twice adds nothing.
 */
export function configId(config: TrainConfig): string {
  const full = completeConfig(config);
  const atDefault = (k: Knob) => sameValue(full[k.key], defaultOf(full.optimizer, k.key));
  const kept = KNOBS.filter((k) => !k.environment && !(k.idWhenSet === true && atDefault(k)));
  const canonical = JSON.stringify(kept.map((k) => [k.key, full[k.key]]));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** What an optimizer's knob resolves to when not given: its default for that optimizer, or null if it does not apply. */
function defaultOf(optimizer: OptimizerName, key: KnobKey): unknown {
  const knob = KNOB_BY_KEY.get(key);
  if (knob?.optimizers !== undefined && !knob.optimizers.includes(optimizer)) return null;
  return (
    (OPTIMIZER_DEFAULTS[optimizer] as Record<string, unknown>)[key] ??
    (GENERAL_DEFAULTS as Record<string, unknown>)[key] ??
    null
  );
}

/**
 * A config as saved by an earlier version, with the knobs added since filled in as that version trained them: the
 * optimizer's default where it takes the option (Adagrad's initialAccumulatorValue 0.1), else the general default
 * (no Lookahead), else null.
 */
export function completeConfig(config: TrainConfig): TrainConfig {
  const missing = KNOBS.filter((k) => k.idWhenSet === true && config[k.key] === undefined);
  if (missing.length === 0) return config;
  const out = { ...config } as Record<string, unknown>;
  for (const k of missing) out[k.key] = defaultOf(config.optimizer, k.key);
  return out as unknown as TrainConfig;
}

/** The knobs whose values differ between two configs, in table order. */
export function configDiff(a: TrainConfig, b: TrainConfig): Array<{ key: KnobKey; a: unknown; b: unknown }> {
  return KNOBS.filter((k) => !sameValue(a[k.key], b[k.key])).map((k) => ({ key: k.key, a: a[k.key], b: b[k.key] }));
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A number as a user would type it: 0.001, 5, 1e+20 (six significant digits at most). */
export function formatNumber(x: number): string {
  if (x !== 0 && (Math.abs(x) >= 1e6 || Math.abs(x) < 1e-4)) return Number(x.toPrecision(6)).toExponential();
  return String(Number(x.toPrecision(6)));
}

/** A knob's value as a user would type it: lists comma-separated, numbers as {@link formatNumber}. */
export function formatKnobValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(formatKnobValue).join(',');
  if (typeof value === 'number') return formatNumber(value);
  return String(value);
}

/** `optimizer=sgd momentum=0.9`, or `defaults`. */
export function describeKnobs(knobs: ReadonlyArray<{ key: KnobKey; value: unknown }>, separator = ' '): string {
  if (knobs.length === 0) return 'defaults';
  return knobs.map((k) => `${k.key}=${formatKnobValue(k.value)}`).join(separator);
}
