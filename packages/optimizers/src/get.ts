/**
 * Keras's `keras.optimizers.get(identifier)`: an optimizer from a name, a `{ className, config }` object or an
 * optimizer instance, so that `compile({ optimizer: 'adam' })` works as it does in Keras and tfjs-layers.
 */

import type { Optimizer } from './optimizer.js';
import { optimizerFromConfig } from './presets/index.js';

/** Keras's names of the presets; matched case-insensitively, as Keras lower-cases them. */
export const OPTIMIZER_NAMES = [
  'sgd',
  'rmsprop',
  'adam',
  'adamw',
  'adagrad',
  'adamax',
  'nadam',
  'adadelta',
  'radam',
  'rprop',
  'asgd',
  'yogi',
  'adabelief',
  'schedulefreeadamw',
  'schedulefreesgd',
  'prodigy',
] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** What {@link getOptimizer} accepts: a name (any case), a `{ className, config }` object, or an optimizer. */
export type OptimizerIdentifier =
  | OptimizerName
  | (string & {})
  | { readonly className: string; readonly config?: Record<string, unknown> }
  | Optimizer;

/** The preset's class name for a name in any case ('ADAM' -> 'Adam'), or null. */
function presetClassName(name: string): string | null {
  const classes: Record<OptimizerName, string> = {
    sgd: 'SGD',
    rmsprop: 'RMSprop',
    adam: 'Adam',
    adamw: 'AdamW',
    adagrad: 'Adagrad',
    adamax: 'Adamax',
    nadam: 'Nadam',
    adadelta: 'Adadelta',
    radam: 'RAdam',
    rprop: 'Rprop',
    asgd: 'ASGD',
    yogi: 'Yogi',
    adabelief: 'AdaBelief',
    schedulefreeadamw: 'ScheduleFreeAdamW',
    schedulefreesgd: 'ScheduleFreeSGD',
    prodigy: 'Prodigy',
  };
  return Object.hasOwn(classes, name.toLowerCase()) ? classes[name.toLowerCase() as OptimizerName] : null;
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
 * - a name ({@link OPTIMIZER_NAMES}: 'sgd', 'adam', ..., 'radam', 'rprop', 'asgd', 'yogi', 'adabelief', in any case) gives that preset with
 *   Keras's defaults, e.g. 'adam' is `new Adam()` (learning rate 0.001);
 * - `{ className, config }` (what `getConfig()` returns) rebuilds that preset with `config`; `options.schedule`
 *   turns a saved learning-rate schedule back into a function, as in {@link optimizerFromConfig}.
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
