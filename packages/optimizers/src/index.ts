/**
 * @opt/optimizers: Keras 3's optimizers as composable gradient transformations.
 *
 * - Presets: {@link SGD}, {@link RMSprop}, {@link Adam}, {@link AdamW}, {@link Adagrad}, {@link Adamax}, {@link Nadam},
 *   {@link Adadelta}, {@link Lion}, {@link Lamb}, {@link Ftrl}, {@link Adafactor}; {@link CATALOG} lists them.
 * - The core: {@link chain} of transformations wrapped by {@link GradientTransformationOptimizer}.
 */

import { GradientTransformationOptimizer } from './optimizer.js';
import type { OptimizerOptions } from './options.js';
import type { GradientTransformation } from './transform.js';

export {
  CATALOG,
  type CatalogEntry,
  type CatalogOption,
  type CatalogOptionKey,
  catalogEntry,
  type OptionKind,
  type OptionRange,
  type PresetName,
} from './catalog.js';
export { getOptimizer, OPTIMIZER_NAMES, type OptimizerIdentifier, type OptimizerName } from './get.js';
export { NonFiniteGradientError, type NonFiniteReport } from './guard.js';
export type { LearningRate } from './learning-rate.js';
export { GradientTransformationOptimizer, type Optimizer } from './optimizer.js';
export type { NonFiniteGradients, OptimizerOptions } from './options.js';
export {
  Adadelta,
  type AdadeltaOptions,
  Adafactor,
  type AdafactorOptions,
  Adagrad,
  type AdagradOptions,
  Adam,
  Adamax,
  type AdamaxOptions,
  type AdamOptions,
  AdamW,
  Ftrl,
  type FtrlOptions,
  Lamb,
  type LambOptions,
  Lion,
  type LionOptions,
  Nadam,
  type NadamOptions,
  optimizerFromConfig,
  PRESETS,
  RMSprop,
  type RMSpropOptions,
  SGD,
  type SGDOptions,
} from './presets/index.js';
export type { OptimizerState } from './state.js';
export {
  chain,
  constantOf,
  type GradientTransformation,
  type SlotState,
  type StepContext,
  stateless,
  type TransformResult,
  type TransformRole,
} from './transform.js';
export { scaleByAdadelta } from './transforms/adadelta.js';
export { scaleByAdafactor } from './transforms/adafactor.js';
export { scaleByAdagrad } from './transforms/adagrad.js';
export { scaleByAdam } from './transforms/adam.js';
export { scaleByAdamax } from './transforms/adamax.js';
export { clipByGlobalNorm, clipByNorm, clipByValue } from './transforms/clipping.js';
export { ema } from './transforms/ema.js';
export { scaleByFtrl } from './transforms/ftrl.js';
export { scaleByLamb, scaleByTrustRatio } from './transforms/lamb.js';
export { scaleByLearningRate } from './transforms/learning-rate.js';
export { scaleByLion } from './transforms/lion.js';
export { momentum, trace } from './transforms/momentum.js';
export { scaleByNadam } from './transforms/nadam.js';
export { scaleByRms } from './transforms/rms.js';
export { addDecayedWeights } from './transforms/weight-decay.js';

/** `new GradientTransformationOptimizer(transform, options)`. */
export function fromTransformation(
  transform: GradientTransformation,
  options?: OptimizerOptions,
): GradientTransformationOptimizer {
  return new GradientTransformationOptimizer(transform, options);
}
