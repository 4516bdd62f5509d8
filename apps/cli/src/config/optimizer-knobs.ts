/**
 * The optimizers' option knobs, derived from `@opt/optimizers/catalog`: one knob per option key (its flag, help,
 * the optimizers that take it, the loosest of their ranges) and each preset's Keras defaults.
 */
import {
  CATALOG,
  CATALOG_OPTION_KEYS,
  type CatalogOption,
  type CatalogOptionKey,
  catalogEntry,
  type OptimizerName,
  type OptionRange,
} from '@opt/optimizers/catalog';
import { booleanKnob, type Knob, type NumberRule, numberKnob, pairKnob, type Scope } from './knob-kinds.js';
import { type KnobKey, optionKnobKey, type TrainConfig } from './train-config.js';

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
export function optimizerOptionKnobs(): Knob[] {
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
