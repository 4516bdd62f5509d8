import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { chain } from '../transform.js';
import { scaleByAdadelta } from '../transforms/adadelta.js';
import { scaleByLearningRate } from '../transforms/learning-rate.js';
import { split } from './split.js';

export interface AdadeltaOptions extends OptimizerOptions {
  rho?: number;
  epsilon?: number;
}

/**
 * Keras Adadelta (learning rate 0.001, as Keras 3; the paper's form is 1.0): `ag = rho * ag + (1 - rho) * g^2`;
 * `delta = sqrt(ad + eps) / sqrt(ag + eps) * g`; `ad = rho * ad + (1 - rho) * delta^2`; `w -= lr * delta`.
 */
export class Adadelta extends GradientTransformationOptimizer {
  constructor(options: AdadeltaOptions = {}) {
    const { own, base } = split('Adadelta', options);
    const core = scaleByAdadelta({ rho: own.rho, epsilon: own.epsilon }, 'Adadelta');
    super(chain(core, scaleByLearningRate()), base, 'Adadelta', { ...core.config });
  }
}
