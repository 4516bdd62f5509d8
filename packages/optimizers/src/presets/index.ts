/** Keras 3's optimizers (and PyTorch's and optax's that Keras lacks) as recipes of gradient transformations, one file each, and the registry `getConfig` rebuilds from. */

import { tf } from '@opt/tensor';
import { CATALOG, type PresetName } from '../catalog.js';
import type { LearningRate } from '../learning-rate.js';
import { GradientTransformationOptimizer } from '../optimizer.js';
import { AdaBelief } from './adabelief.js';
import { Adadelta } from './adadelta.js';
import { Adafactor } from './adafactor.js';
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import { Adamax } from './adamax.js';
import { ASGD } from './asgd.js';
import { Ftrl } from './ftrl.js';
import { Lamb } from './lamb.js';
import { Lion } from './lion.js';
import { Lookahead } from './lookahead.js';
import { LossScaleOptimizer } from './loss-scale.js';
import { Muon } from './muon.js';
import { Nadam } from './nadam.js';
import { Prodigy } from './prodigy.js';
import { RAdam } from './radam.js';
import { RMSprop } from './rmsprop.js';
import { Rprop } from './rprop.js';
import { ScheduleFreeAdamW, ScheduleFreeSGD } from './schedule-free.js';
import { SGD } from './sgd.js';
import { Yogi } from './yogi.js';

export { AdaBelief, type AdaBeliefOptions } from './adabelief.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Adafactor, type AdafactorOptions } from './adafactor.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Adam, type AdamOptions, AdamW } from './adam.js';
export { Adamax, type AdamaxOptions } from './adamax.js';
export { ASGD, type ASGDOptions } from './asgd.js';
export { Ftrl, type FtrlOptions } from './ftrl.js';
export { Lamb, type LambOptions } from './lamb.js';
export { Lion, type LionOptions } from './lion.js';
export { Lookahead, type LookaheadOptions } from './lookahead.js';
export { LossScaleOptimizer, type LossScaleOptimizerOptions } from './loss-scale.js';
export { Muon, type MuonOptions } from './muon.js';
export { Nadam, type NadamOptions } from './nadam.js';
export { Prodigy, type ProdigyOptions } from './prodigy.js';
export { RAdam, type RAdamOptions } from './radam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Rprop, type RpropOptions } from './rprop.js';
export {
  ScheduleFreeAdamW,
  type ScheduleFreeAdamWOptions,
  ScheduleFreeOptimizer,
  ScheduleFreeSGD,
  type ScheduleFreeSGDOptions,
} from './schedule-free.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Yogi, type YogiOptions } from './yogi.js';

const CLASSES = {
  SGD,
  RMSprop,
  Adam,
  AdamW,
  Adagrad,
  Adamax,
  Nadam,
  Adadelta,
  Lion,
  Lamb,
  Ftrl,
  Adafactor,
  Muon,
  RAdam,
  Rprop,
  ASGD,
  Yogi,
  AdaBelief,
  ScheduleFreeAdamW,
  ScheduleFreeSGD,
  Prodigy,
} as const;

/** Each preset by its class name (`getConfig().className`), in catalog order; a test checks both list the same. */
export const PRESETS: { readonly [Name in PresetName]: (typeof CLASSES)[Name] } = Object.fromEntries(
  CATALOG.map((entry) => [entry.className, CLASSES[entry.className]]),
) as { readonly [Name in PresetName]: (typeof CLASSES)[Name] };

// tf.loadLayersModel finds a saved optimizer's class in tfjs's registry by its static className (`opt.Adam`, ...):
// each preset's is the catalog's name, set here so that no preset restates it.
for (const entry of CATALOG) {
  Object.defineProperty(CLASSES[entry.className], 'className', { value: `opt.${entry.className}`, configurable: true });
}
/** The wrappers, which take another optimizer: not in the catalog, registered for tfjs under `opt.<class>`. */
const WRAPPERS = { Lookahead, LossScaleOptimizer } as const;
for (const [name, cls] of Object.entries(WRAPPERS)) {
  Object.defineProperty(cls, 'className', { value: `opt.${name}`, configurable: true });
}
for (const cls of [GradientTransformationOptimizer, ...Object.values(WRAPPERS), ...Object.values(PRESETS)])
  tf.serialization.registerClass(cls, 'opt');

/**
 * Rebuilds a preset (or a `Lookahead` and the preset it wraps) from `getConfig()`'s output. A learning-rate schedule is
 * stored as its `{ className, config }`; pass `schedule` to turn it back into a function.
 */
export function optimizerFromConfig(
  spec: { className: string; config: Record<string, unknown> },
  options: { schedule?: (config: { className: string; config: Record<string, unknown> }) => LearningRate } = {},
): GradientTransformationOptimizer {
  if (spec.className === 'Lookahead') {
    const { innerOptimizer, ...own } = spec.config;
    return new Lookahead(optimizerFromConfig(innerOptimizer as typeof spec, options), own);
  }
  const Ctor = PRESETS[spec.className as keyof typeof PRESETS];
  if (Ctor === undefined) {
    throw new Error(
      `optimizerFromConfig: unknown className "${spec.className}"; expected one of ${Object.keys(PRESETS).join(', ')}.`,
    );
  }
  const config: Record<string, unknown> = { ...spec.config };
  const lr = config.learningRate;
  if (lr !== undefined && typeof lr !== 'number') {
    if (options.schedule === undefined) {
      throw new Error(
        `optimizerFromConfig: the learning rate is a schedule (${JSON.stringify(lr)}); pass { schedule: (config) => fn } to rebuild it.`,
      );
    }
    config.learningRate = options.schedule(lr as { className: string; config: Record<string, unknown> });
  }
  for (const k of Object.keys(config)) if (config[k] === null) delete config[k];
  return new Ctor(config as ConstructorParameters<typeof Ctor>[0]);
}
