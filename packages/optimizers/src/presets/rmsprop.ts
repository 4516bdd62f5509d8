import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { chain } from '../transform.js';
import { momentum as momentumTransform } from '../transforms/momentum.js';
import { scaleByRms } from '../transforms/rms.js';
import { boolean, unitClosed } from '../validate.js';
import { split } from './split.js';

export interface RMSpropOptions extends OptimizerOptions {
  rho?: number;
  momentum?: number;
  epsilon?: number;
  centered?: boolean;
}

/**
 * Keras RMSprop: `v = rho * v + (1 - rho) * g^2`; `den = v + eps` (centered:
 * `a = rho * a + (1 - rho) * g`, `den = v - a^2 + eps`); `inc = lr * g / sqrt(den)`;
 * `w -= inc`, or with momentum `mom = momentum * mom + inc`, `w -= mom`.
 */
export class RMSprop extends GradientTransformationOptimizer {
  constructor(options: RMSpropOptions = {}) {
    const { own, base } = split('RMSprop', options);
    const rho = unitClosed('RMSprop', 'rho', own.rho ?? 0.9, '0.9');
    const momentum = unitClosed('RMSprop', 'momentum', own.momentum ?? 0, '0.9');
    const centered = boolean('RMSprop', 'centered', own.centered ?? false);
    const epsilon = own.epsilon ?? 1e-7;
    const rms = (learningRate?: 'optimizer') => scaleByRms({ rho, epsilon, centered, learningRate }, 'RMSprop');
    // Keras multiplies the rate into the increment; momentumTransform keeps v = momentum * v - lr * d, Keras's -mom.
    const core = momentum > 0 ? chain(rms(), momentumTransform(momentum)) : rms('optimizer');
    super(core, base, 'RMSprop', { rho, momentum, epsilon, centered });
  }
}
