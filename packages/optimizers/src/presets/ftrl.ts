import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { type FtrlArguments, scaleByFtrl } from '../transforms/ftrl.js';
import { split } from './split.js';

export interface FtrlOptions extends OptimizerOptions, FtrlArguments {}

/**
 * Keras Ftrl (learning rate 0.001, learningRatePower -0.5, initialAccumulatorValue 0.1, the three strengths and beta
 * 0): FTRL-proximal with L1 (exact zeros), L2 and L2 shrinkage; the formula is `scaleByFtrl`'s.
 */
export class Ftrl extends GradientTransformationOptimizer {
  constructor(options: FtrlOptions = {}) {
    const { own, base } = split('Ftrl', options);
    const core = scaleByFtrl(
      {
        learningRatePower: own.learningRatePower,
        initialAccumulatorValue: own.initialAccumulatorValue,
        l1RegularizationStrength: own.l1RegularizationStrength,
        l2RegularizationStrength: own.l2RegularizationStrength,
        l2ShrinkageRegularizationStrength: own.l2ShrinkageRegularizationStrength,
        beta: own.beta,
      },
      'Ftrl',
    );
    super(core, base, 'Ftrl', { ...core.config });
  }
}
