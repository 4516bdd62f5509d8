import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { chain } from '../transform.js';
import { scaleByLearningRate } from '../transforms/learning-rate.js';
import { scaleByLion } from '../transforms/lion.js';
import { split } from './split.js';

export interface LionOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
}

/**
 * Keras Lion (learning rate 0.001, beta1 0.9, beta2 0.99): `w -= lr * sign(beta1 * m + (1 - beta1) * g)`;
 * `m = beta2 * m + (1 - beta2) * g`. Its steps are all of size lr: use a rate 3-10x smaller than AdamW's.
 */
export class Lion extends GradientTransformationOptimizer {
  constructor(options: LionOptions = {}) {
    const { own, base } = split('Lion', options);
    const core = scaleByLion({ beta1: own.beta1, beta2: own.beta2 }, 'Lion');
    super(chain(core, scaleByLearningRate()), base, 'Lion', { ...core.config });
  }
}
