import { GradientTransformationOptimizer } from '../optimizer.js';
import { scaleByNadam } from '../transforms/nadam.js';
import type { AdamaxOptions } from './adamax.js';
import { split } from './split.js';

/** Options of {@link Nadam}: the same as Adamax's (Keras's `beta_1`, `beta_2`, `epsilon` in camelCase). */
export type NadamOptions = AdamaxOptions;

/**
 * Keras Nadam (momentum cache `u_t = beta1 * (1 - 0.5 * 0.96^t)`, product `P_t`):
 * `mHat = u_{t+1} m / (1 - P_{t+1}) + (1 - u_t) g / (1 - P_t)`; `vHat = v / (1 - beta2^t)`;
 * `w -= lr * mHat / (sqrt(vHat) + eps)`.
 */
export class Nadam extends GradientTransformationOptimizer {
  constructor(options: NadamOptions = {}) {
    const { own, base } = split('Nadam', options);
    const core = scaleByNadam(
      { beta1: own.beta1, beta2: own.beta2, epsilon: own.epsilon, learningRate: 'optimizer' },
      'Nadam',
    );
    super(core, base, 'Nadam', { ...core.config });
  }
}
