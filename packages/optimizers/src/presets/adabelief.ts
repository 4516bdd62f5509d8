import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { chain } from '../transform.js';
import { scaleByBelief } from '../transforms/adabelief.js';
import { scaleByLearningRate } from '../transforms/learning-rate.js';
import { split } from './split.js';

export interface AdaBeliefOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  epsilonRoot?: number;
}

/**
 * optax's `adabelief` (`chain(scale_by_belief(b1, b2, eps, eps_root), scale_by_learning_rate(lr))`; b1 0.9,
 * b2 0.999, eps 1e-16, eps_root 1e-16): Adam whose second moment is the spread of the gradient around its
 * moving average, `(g - mu)^2`, not `g^2`; see {@link scaleByBelief}. optax has no default learning rate; 0.001
 * here is the paper's.
 */
export class AdaBelief extends GradientTransformationOptimizer {
  constructor(options: AdaBeliefOptions = {}) {
    const { own, base } = split('AdaBelief', options);
    const belief = scaleByBelief(
      {
        beta1: own.beta1,
        beta2: own.beta2,
        epsilon: own.epsilon,
        epsilonRoot: own.epsilonRoot,
      },
      'AdaBelief',
    );
    super(chain(belief, scaleByLearningRate()), { ...base, learningRate: base.learningRate ?? 0.001 }, 'AdaBelief', {
      ...belief.config,
    });
  }
}
