import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { scaleByAdagrad } from '../transforms/adagrad.js';
import { split } from './split.js';

export interface AdagradOptions extends OptimizerOptions {
  initialAccumulatorValue?: number;
  epsilon?: number;
}

/** Keras Adagrad: `acc += g^2` (from `initialAccumulatorValue`); `w -= lr * g / sqrt(acc + eps)`. */
export class Adagrad extends GradientTransformationOptimizer {
  constructor(options: AdagradOptions = {}) {
    const { own, base } = split('Adagrad', options);
    const { initialAccumulatorValue, epsilon } = own;
    const core = scaleByAdagrad({ initialAccumulatorValue, epsilon, learningRate: 'optimizer' }, 'Adagrad');
    super(core, base, 'Adagrad', { ...core.config });
  }
}
