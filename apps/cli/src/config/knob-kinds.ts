/**
 * The kinds of knob (a number with a range, a switch, a choice, a list, a pair, a number of steps) and how each
 * checks a flag's text or a config file's value; the table itself is knobs.ts.
 */
import type { OptimizerName } from '@opt/optimizers/catalog';
import type { KnobGroup, KnobKey, ScheduleName } from './train-config.js';

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

export function fail(expected: string, got: unknown): never {
  throw new KnobValueError(`must be ${expected}, got ${typeof got === 'string' ? `"${got}"` : JSON.stringify(got)}`);
}

export function numberFromText(text: string, expected: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) fail(expected, text);
  return value;
}

export interface NumberRule {
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

export function checkNumber(value: unknown, rule: NumberRule, expected: string, original: unknown = value): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(expected, original);
  if (rule.integer && !Number.isSafeInteger(value)) fail(expected, original);
  const low = rule.min === undefined || (rule.minExclusive ? value > rule.min : value >= rule.min);
  const high = rule.max === undefined || (rule.maxExclusive ? value < rule.max : value <= rule.max);
  if (!low || !high) fail(expected, original);
  return value;
}

export type Scope = Pick<Knob, 'optimizers' | 'schedules' | 'negatable' | 'environment' | 'offHelp' | 'idWhenSet'>;

export function numberKnob(
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

export function booleanKnob(key: KnobKey, flag: string, group: KnobGroup, help: string, scope: Scope = {}): Knob {
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

export function choiceKnob(
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

export function listKnob(
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
export function pairKnob(
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
export function stepsKnob(
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

export const unit = { min: 0, max: 1 } satisfies NumberRule;
export const positive = { min: 0, minExclusive: true } satisfies NumberRule;
export const nonNegative = { min: 0 } satisfies NumberRule;
export const positiveInteger = { integer: true, min: 0, minExclusive: true } satisfies NumberRule;
export const nonNegativeInteger = { integer: true, min: 0 } satisfies NumberRule;
