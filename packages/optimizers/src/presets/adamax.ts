import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { scaleByAdamax } from '../transforms/adamax.js';
import { split } from './split.js';

export interface AdamaxOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Keras Adamax: `m += (g - m) * (1 - beta1)`; `u = max(beta2 * u, |g|)`;
 * `w -= lr * m / ((1 - beta1^t) * (u + eps))`.
 */
export class Adamax extends GradientTransformationOptimizer {
  constructor(options: AdamaxOptions = {}) {
    const { own, base } = split('Adamax', options);
    const core = scaleByAdamax(
      { beta1: own.beta1, beta2: own.beta2, epsilon: own.epsilon, learningRate: 'optimizer' },
      'Adamax',
    );
    super(core, base, 'Adamax', { ...core.config });
  }
}
