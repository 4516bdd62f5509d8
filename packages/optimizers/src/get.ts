/**
 * Keras's `keras.optimizers.get(identifier)`: an optimizer from a name, a `{ className, config }` object or an
 * optimizer instance, so that `compile({ optimizer: 'adam' })` works as it does in Keras and tfjs-layers.
 */

import { catalogEntry, OPTIMIZER_NAMES, type OptimizerName } from './catalog.js';
import type { Optimizer } from './optimizer.js';
import { LossScaleOptimizer, optimizerFromConfig } from './presets/index.js';

export { OPTIMIZER_NAMES, type OptimizerName } from './catalog.js';

/** What {@link getOptimizer} accepts: a name (any case), a `{ className, config }` object, or an optimizer. */
export type OptimizerIdentifier =
  | OptimizerName
  | (string & {})
  | { readonly className: string; readonly config?: Record<string, unknown> }
  | Optimizer;

/** The preset's class name for a name in any case ('ADAM' -> 'Adam'), or null. */
function presetClassName(name: string): string | null {
  return catalogEntry(name)?.className ?? null;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function unknownName(name: unknown): never {
  throw new RangeError(
    `getOptimizer: unknown optimizer ${show(name)}. Known names (any case): ${OPTIMIZER_NAMES.join(', ')}; ` +
      'or pass an optimizer such as new Adam({ learningRate: 1e-3 }), or { className, config }.',
  );
}

/**
 * Keras's `keras.optimizers.get`:
 * - an optimizer (anything with `applyGradients`) is returned as it is;
 * - a name of the catalog ({@link OPTIMIZER_NAMES}: 'sgd', 'adam', 'lion', ..., in any case) gives that preset with
 *   Keras's defaults, e.g. 'adam' is `new Adam()` (learning rate 0.001);
 * - `{ className, config }` (what `getConfig()` returns) rebuilds that preset with `config`; `options.schedule`
 *   turns a saved learning-rate schedule back into a function, as in {@link optimizerFromConfig}. The wrappers
 *   `LossScaleOptimizer` and `Lookahead` are rebuilt from theirs, with the `innerOptimizer` they name.
 */
export function getOptimizer(
  identifier: OptimizerIdentifier,
  options: Parameters<typeof optimizerFromConfig>[1] = {},
): Optimizer {
  if (typeof identifier === 'string') {
    const className = presetClassName(identifier);
    if (className === null) unknownName(identifier);
    return optimizerFromConfig({ className, config: {} }, options);
  }
  if (typeof identifier === 'object' && identifier !== null) {
    if (typeof (identifier as Optimizer).applyGradients === 'function') return identifier as Optimizer;
    const spec = identifier as { className?: unknown; config?: unknown };
    if (spec.className === 'LossScaleOptimizer' || spec.className === 'Lookahead') {
      const config = (spec.config ?? {}) as Record<string, unknown>;
      if (spec.className === 'Lookahead') return optimizerFromConfig({ className: 'Lookahead', config }, options);
      const { innerOptimizer, ...own } = config;
      const inner = optimizerFromConfig(
        innerOptimizer as { className: string; config: Record<string, unknown> },
        options,
      );
      return new LossScaleOptimizer(inner, own);
    }
    if (typeof spec.className === 'string') {
      const className = presetClassName(spec.className);
      if (className === null) unknownName(spec.className);
      const config = spec.config ?? {};
      if (typeof config !== 'object' || config === null || Array.isArray(config)) {
        throw new TypeError(`getOptimizer: \`config\` must be an object of options, got ${show(spec.config)}.`);
      }
      return optimizerFromConfig({ className, config: config as Record<string, unknown> }, options);
    }
  }
  throw new TypeError(
    `getOptimizer: cannot interpret ${show(identifier)} as an optimizer. Pass a name (${OPTIMIZER_NAMES.join(', ')}), ` +
      '{ className, config }, or an optimizer such as new Adam().',
  );
}
