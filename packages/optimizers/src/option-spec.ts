/**
 * How the catalog describes a preset's option (kind, Keras's default, range, help) and how a value is checked
 * against it. Plain data and functions, no TensorFlow.js.
 */

/** What an option's value is: a number, a whole number, true/false, or a `[low, high]` pair of numbers. */
export type OptionKind = 'number' | 'integer' | 'boolean' | 'numberPair';

/** The values a numeric option takes; a bound is inclusive unless marked exclusive. */
export interface OptionRange {
  readonly min?: number;
  readonly max?: number;
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
}

/** One of a preset's own arguments (besides the base options every preset takes). */
export interface CatalogOption {
  /** Keras's name in camelCase: `beta1` for `beta_1`. */
  readonly key: string;
  readonly kind: OptionKind;
  /** Keras's default (the reference's, for presets Keras lacks). */
  readonly default: number | boolean | readonly [number, number];
  /** For numbers: the range the preset accepts, of each number of a pair (absent for booleans). */
  readonly range?: OptionRange;
  readonly help: string;
}

/** One optimizer of {@link CATALOG}: its names, options with defaults and ranges, formula, slots and when to use it. */
export interface CatalogEntry {
  /** Keras's `keras.optimizers.get` name: `'adam'`. */
  readonly name: string;
  /** Keras's class name, and ours: `'Adam'`. */
  readonly className: string;
  /** Keras's default learning rate. */
  readonly learningRate: number;
  /** Base options whose default this preset changes (AdamW's `weightDecay` 0.004). */
  readonly baseDefaults?: { readonly weightDecay?: number };
  readonly options: readonly CatalogOption[];
  /** The paper or library the arithmetic follows. */
  readonly reference: string;
  /** The update in one line (the presets' doc comments hold the full form). */
  readonly formula: string;
  /** Slot tensors per parameter at the defaults (memory per weight, in weights). */
  readonly slotsPerParameter: number;
  /** The slots, in words. */
  readonly slots: string;
  readonly whenToUse: string;
}

/** `'a number in [0, 1)'`, `'a number > 0'`, `'true or false'`: for messages and help. */
export function describeOption(option: CatalogOption): string {
  if (option.kind === 'boolean') return 'true or false';
  if (option.kind === 'numberPair') {
    return `two numbers [low, high], low <= high, each ${describeOption({ ...option, kind: 'number' }).replace(/^a number /, '')}`;
  }
  const kind = option.kind === 'integer' ? 'a whole number' : 'a number';
  const r = option.range ?? {};
  if (r.min !== undefined && r.max !== undefined) {
    return `${kind} in ${r.minExclusive ? '(' : '['}${r.min}, ${r.max}${r.maxExclusive ? ')' : ']'}`;
  }
  if (r.min !== undefined) return `${kind} ${r.minExclusive ? '>' : '>='} ${r.min}`;
  if (r.max !== undefined) return `${kind} ${r.maxExclusive ? '<' : '<='} ${r.max}`;
  return kind;
}

/** Whether `value` is one the option accepts (its kind and range). */
export function optionAccepts(option: CatalogOption, value: unknown): boolean {
  if (option.kind === 'boolean') return typeof value === 'boolean';
  if (option.kind === 'numberPair') {
    const number = { ...option, kind: 'number' as const };
    return (
      Array.isArray(value) &&
      value.length === 2 &&
      value.every((x) => optionAccepts(number, x)) &&
      (value[0] as number) <= (value[1] as number)
    );
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (option.kind === 'integer' && !Number.isInteger(value)) return false;
  const r = option.range ?? {};
  if (r.min !== undefined && (r.minExclusive ? !(value > r.min) : !(value >= r.min))) return false;
  if (r.max !== undefined && (r.maxExclusive ? !(value < r.max) : !(value <= r.max))) return false;
  return true;
}
