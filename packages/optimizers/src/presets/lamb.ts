import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { chain } from '../transform.js';
import { scaleByLamb, scaleByTrustRatio } from '../transforms/lamb.js';
import { scaleByLearningRate } from '../transforms/learning-rate.js';
import { split } from './split.js';

export interface LambOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Keras Lamb (learning rate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7): Adam's moments,
 * `u = mHat / (sqrt(vHat) + eps)`, then per variable `w -= lr * (‖w‖ / ‖u‖) * u` (ratio 1 when a norm is 0).
 * With `weightDecay`, `‖w‖` is taken after the decay, as Keras decays before the update.
 */
export class Lamb extends GradientTransformationOptimizer {
  constructor(options: LambOptions = {}) {
    const { own, base } = split('Lamb', options);
    const core = scaleByLamb({ beta1: own.beta1, beta2: own.beta2, epsilon: own.epsilon }, 'Lamb');
    super(chain(core, scaleByTrustRatio(), scaleByLearningRate()), base, 'Lamb', { ...core.config });
  }
}
