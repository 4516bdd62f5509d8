import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { chain } from '../transform.js';
import { scaleByLearningRate } from '../transforms/learning-rate.js';
import { scaleByYogi } from '../transforms/yogi.js';
import { split } from './split.js';

export interface YogiOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  initialAccumulatorValue?: number;
}

/**
 * optax's `yogi` (`chain(scale_by_yogi(b1, b2, eps), scale_by_learning_rate(lr))`; b1 0.9, b2 0.999, eps 1e-3,
 * moments starting at 1e-6): Adam whose second moment moves towards `g^2` by at most `(1 - beta2) * g^2` a step;
 * see {@link scaleByYogi}. optax has no default learning rate; 0.01 here is the paper's (and TensorFlow Addons').
 * Its epsilon, 1e-3, is outside the root, as the paper's, and much larger than Adam's.
 */
export class Yogi extends GradientTransformationOptimizer {
  constructor(options: YogiOptions = {}) {
    const { own, base } = split('Yogi', options);
    const { beta1, beta2, epsilon, initialAccumulatorValue } = own;
    const yogi = scaleByYogi({ beta1, beta2, epsilon, initialAccumulatorValue }, 'Yogi');
    const { epsilonRoot: _, ...config } = yogi.config;
    super(chain(yogi, scaleByLearningRate()), { ...base, learningRate: base.learningRate ?? 0.01 }, 'Yogi', config);
  }
}
