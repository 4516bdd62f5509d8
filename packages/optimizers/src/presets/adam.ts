import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { scaleByAdam } from '../transforms/adam.js';
import { split } from './split.js';

export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  amsgrad?: boolean;
}

/**
 * Keras Adam: `m += (g - m) * (1 - beta1)`; `v += (g^2 - v) * (1 - beta2)`;
 * `alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)`; `w -= alpha * m / (sqrt(v) + eps)`
 * (amsgrad: `vHat = max(vHat, v)` in place of v).
 */
export class Adam extends GradientTransformationOptimizer {
  constructor(options: AdamOptions = {}, className: 'Adam' | 'AdamW' = 'Adam') {
    const { own, base } = split(className, options);
    const { beta1, beta2, epsilon, amsgrad } = own;
    const adam = scaleByAdam({ beta1, beta2, epsilon, amsgrad, learningRate: 'optimizer' }, className);
    const weightDecay = className === 'AdamW' ? (base.weightDecay ?? 0.004) : base.weightDecay;
    super(adam, { ...base, weightDecay }, className, { ...adam.config });
  }
}

/** Keras AdamW: Adam with decoupled weight decay `w -= w * weightDecay * lr` before each update (default 0.004). */
export class AdamW extends Adam {
  constructor(options: AdamOptions = {}) {
    super(options, 'AdamW');
  }
}
