/**
 * @opt/optimizers: Keras 3's optimizers as composable gradient transformations.
 *
 * - Presets: {@link SGD}, {@link RMSprop}, {@link Adam}, {@link AdamW}, {@link Adagrad}, {@link Adamax}, {@link Nadam},
 *   {@link Adadelta}, {@link Lion}, {@link Lamb}, {@link Ftrl}, {@link Adafactor}, {@link Muon}; wrappers
 *   {@link LossScaleOptimizer} and {@link Lookahead}; PyTorch's {@link RAdam},
 *   {@link Rprop}, {@link ASGD}; optax's {@link Yogi}, {@link AdaBelief}, {@link ScheduleFreeAdamW},
 *   {@link ScheduleFreeSGD}, {@link Prodigy}; {@link CATALOG} lists them.
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
export { GradientTransformationOptimizer, type Optimizer, type OptimizerConfig } from './optimizer.js';
export type { NonFiniteGradients, OptimizerOptions, ResolvedOptions } from './options.js';
export {
  AdaBelief,
  type AdaBeliefOptions,
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
  ASGD,
  type ASGDOptions,
  Ftrl,
  type FtrlOptions,
  Lamb,
  type LambOptions,
  Lion,
  type LionOptions,
  Lookahead,
  type LookaheadOptions,
  LossScaleOptimizer,
  type LossScaleOptimizerOptions,
  Muon,
  type MuonOptions,
  Nadam,
  type NadamOptions,
  optimizerFromConfig,
  PRESETS,
  Prodigy,
  type ProdigyOptions,
  RAdam,
  type RAdamOptions,
  RMSprop,
  type RMSpropOptions,
  Rprop,
  type RpropOptions,
  ScheduleFreeAdamW,
  type ScheduleFreeAdamWOptions,
  ScheduleFreeOptimizer,
  ScheduleFreeSGD,
  type ScheduleFreeSGDOptions,
  SGD,
  type SGDOptions,
  Yogi,
  type YogiOptions,
} from './presets/index.js';
export type { OptimizerState } from './state.js';
export type { Gradients, NamedGradient } from './tfjs.js';
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
export { scaleByBelief } from './transforms/adabelief.js';
export { scaleByAdadelta } from './transforms/adadelta.js';
export { type AdafactorArguments, scaleByAdafactor } from './transforms/adafactor.js';
export { scaleByAdagrad } from './transforms/adagrad.js';
export { scaleByAdam } from './transforms/adam.js';
export { scaleByAdamax } from './transforms/adamax.js';
export { scaleByAsgd } from './transforms/asgd.js';
export { clipByGlobalNorm, clipByNorm, clipByValue } from './transforms/clipping.js';
export type { OwnRate } from './transforms/common.js';
export { coupledWeightDecay } from './transforms/coupled-weight-decay.js';
export { scaleByDebiasedRms } from './transforms/debiased-rms.js';
export { ema } from './transforms/ema.js';
export { type FtrlArguments, scaleByFtrl } from './transforms/ftrl.js';
export { scaleByLamb, scaleByTrustRatio } from './transforms/lamb.js';
export { scaleByLearningRate } from './transforms/learning-rate.js';
export { scaleByLion } from './transforms/lion.js';
export { lookahead } from './transforms/lookahead.js';
export { momentum, trace } from './transforms/momentum.js';
export {
  type MuonArguments,
  NEWTON_SCHULZ_COEFFICIENTS,
  type NewtonSchulzCoefficients,
  scaleByMuon,
  zeropowerViaNewtonSchulz5,
} from './transforms/muon.js';
export { scaleByNadam } from './transforms/nadam.js';
export { type ProdigyArguments, scaleByProdigy } from './transforms/prodigy.js';
export { scaleByRAdam } from './transforms/radam.js';
export { scaleByRms } from './transforms/rms.js';
export { type RpropArguments, scaleByRprop } from './transforms/rprop.js';
export { scheduleFree, scheduleFreeEvalParams } from './transforms/schedule-free.js';
export { addDecayedWeights } from './transforms/weight-decay.js';
export { scaleByYogi } from './transforms/yogi.js';

/** `new GradientTransformationOptimizer(transform, options)`. */
export function fromTransformation(
  transform: GradientTransformation,
  options?: OptimizerOptions,
): GradientTransformationOptimizer {
  return new GradientTransformationOptimizer(transform, options);
}
