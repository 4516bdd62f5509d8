/**
 * What every preset does with its options: checks the keys (an unknown one is an error that names it, and the preset
 * that takes it), then hands the preset's own arguments and the base {@link OptimizerOptions} apart.
 */
import { CATALOG, type PresetName } from '../catalog.js';
import { OPTIMIZER_OPTION_KEYS, type OptimizerOptions } from '../options.js';
import { checkOptions } from '../validate.js';

/** Each preset's own arguments (besides {@link OptimizerOptions}), from the catalog. */
export const OWN_KEYS = Object.fromEntries(
  CATALOG.map((entry) => [entry.className, entry.options.map((option) => option.key)]),
) as unknown as { readonly [Name in PresetName]: readonly string[] };

export type { PresetName };

/** For an unknown key: which presets do take it (`nesterov` on Adam: "an option of SGD"). */
function takenBy(owner: PresetName): (key: string) => string | undefined {
  return (key) => {
    const others = (Object.keys(OWN_KEYS) as PresetName[]).filter(
      (name) => name !== owner && OWN_KEYS[name].includes(key),
    );
    return others.length === 0 ? undefined : `an option of ${others.join(', ')}, not of ${owner}`;
  };
}

/**
 * Checks the keys of a preset's options, then returns the preset's own arguments and the base options apart
 * (the base options go to {@link GradientTransformationOptimizer}). `extra`: arguments of the class that the catalog
 * leaves out (Prodigy's `beta3`, whose default is no number of its own).
 */
export function split<T extends object>(
  owner: PresetName,
  options: T | undefined,
  extra: readonly string[] = [],
): { own: T; base: OptimizerOptions } {
  const all = checkOptions(owner, options, [...OWN_KEYS[owner], ...extra, ...OPTIMIZER_OPTION_KEYS], takenBy(owner));
  const base: Record<string, unknown> = {};
  for (const key of OPTIMIZER_OPTION_KEYS) if (key in all) base[key] = (all as Record<string, unknown>)[key];
  return { own: all, base: base as OptimizerOptions };
}
