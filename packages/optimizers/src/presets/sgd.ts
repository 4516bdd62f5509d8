import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { scaleByLearningRate } from '../transforms/learning-rate.js';
import { momentum as momentumTransform } from '../transforms/momentum.js';
import { boolean, unitClosed } from '../validate.js';
import { split } from './split.js';

export interface SGDOptions extends OptimizerOptions {
  momentum?: number;
  nesterov?: boolean;
}

/**
 * Keras SGD: without momentum `w -= lr * g`; with momentum the velocity
 * `v = momentum * v - lr * g`, `w += v` (Nesterov: `w += momentum * v - lr * g`).
 */
export class SGD extends GradientTransformationOptimizer {
  static override className = 'opt.SGD';
  constructor(options: SGDOptions = {}) {
    const { own, base } = split('SGD', options);
    const momentum = unitClosed('SGD', 'momentum', own.momentum ?? 0, '0.9');
    const nesterov = boolean('SGD', 'nesterov', own.nesterov ?? false);
    const core = momentum === 0 ? scaleByLearningRate() : momentumTransform(momentum, { nesterov });
    super(core, { ...base, learningRate: base.learningRate ?? 0.01 }, 'SGD', { momentum, nesterov });
  }
}
