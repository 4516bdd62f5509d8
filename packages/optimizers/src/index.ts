/**
 * @opt/optimizers: Keras 3's optimizers as composable gradient transformations.
 *
 * - Presets: {@link SGD}, {@link RMSprop}, {@link Adam}, {@link AdamW}, {@link Adagrad}, {@link Adamax}, {@link Nadam}.
 * - The core: {@link chain} of transformations wrapped by {@link GradientTransformationOptimizer}.
 */
export { getOptimizer, OPTIMIZER_NAMES, type OptimizerIdentifier, type OptimizerName } from './get.js';
export {
  GradientTransformationOptimizer,
  type LearningRate,
  NonFiniteGradientError,
  type NonFiniteGradients,
  type Optimizer,
  type OptimizerOptions,
  type OptimizerState,
} from './optimizer.js';
export { Adagrad, Adam, Adamax, AdamW, Nadam, optimizerFromConfig, RMSprop, SGD } from './presets.js';
export {
  chain,
  type GradientTransformation,
  type SlotState,
  type StepContext,
  stateless,
  type TransformResult,
} from './transform.js';
export {
  addDecayedWeights,
  clipByGlobalNorm,
  clipByNorm,
  clipByValue,
  ema,
  momentum,
  scaleByAdagrad,
  scaleByAdam,
  scaleByAdamax,
  scaleByLearningRate,
  scaleByNadam,
  scaleByRms,
} from './transforms.js';

/** `new GradientTransformationOptimizer(transform, options)`. */
export function fromTransformation(
  transform: import('./transform.js').GradientTransformation,
  options?: import('./optimizer.js').OptimizerOptions,
): import('./optimizer.js').GradientTransformationOptimizer {
  return new GradientTransformationOptimizer(transform, options);
}

import { GradientTransformationOptimizer } from './optimizer.js';
