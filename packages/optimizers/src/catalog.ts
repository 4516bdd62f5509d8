/**
 * The optimizer catalog: every preset's Keras name, class name, default learning rate and own options (kind,
 * Keras's default, valid range, one-line help), with what the README's table says of it. Everything that lists the
 * presets derives from it: `OWN_KEYS` (the presets' option checks), `OPTIMIZER_NAMES` and `getOptimizer`'s lookup,
 * the CLI's knob table and the demo's picker. Plain data, no TensorFlow.js: `@opt/optimizers/catalog` loads nothing
 * else, so a CLI can check a config without a backend.
 */

import { KERAS_CATALOG } from './catalog/keras.js';
import { PYTORCH_OPTAX_CATALOG } from './catalog/pytorch-optax.js';
import type { CatalogOption } from './option-spec.js';

export * from './option-spec.js';

/** Every preset, in the order the README, the CLI and the demo list them: Keras's, then PyTorch's and optax's. */
export const CATALOG = [...KERAS_CATALOG, ...PYTORCH_OPTAX_CATALOG] as const;

/** A preset's Keras name: `'adam'`. */
export type OptimizerName = (typeof CATALOG)[number]['name'];
/** A preset's class name: `'Adam'`. */
export type PresetName = (typeof CATALOG)[number]['className'];
/** Every key of every preset's own options. */
export type CatalogOptionKey = (typeof CATALOG)[number]['options'][number]['key'];

/** Keras's names of the presets, in catalog order; matched case-insensitively, as Keras lower-cases them. */
export const OPTIMIZER_NAMES = CATALOG.map((e) => e.name) as readonly OptimizerName[] as readonly [
  OptimizerName,
  ...OptimizerName[],
];

/** The entry of a Keras name or a class name in any case ('ADAM', 'Adam', 'adam'), or undefined. */
export function catalogEntry(name: string): (typeof CATALOG)[number] | undefined {
  const lower = typeof name === 'string' ? name.toLowerCase() : '';
  return CATALOG.find((e) => e.name === lower);
}

/** Every option key in the catalog, each once, in order of first appearance. */
export const CATALOG_OPTION_KEYS: readonly CatalogOptionKey[] = [
  ...new Set(CATALOG.flatMap((e) => e.options.map((o) => o.key as CatalogOptionKey))),
];

/** The option `key` of the preset `name`; throws if the catalog has none (a programming error). */
export function optionOf(name: OptimizerName, key: string): CatalogOption {
  const option = (catalogEntry(name)?.options as readonly CatalogOption[] | undefined)?.find((o) => o.key === key);
  if (option === undefined) throw new Error(`catalog: ${name} has no option \`${key}\`.`);
  return option;
}
