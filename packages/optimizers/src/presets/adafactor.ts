import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { type AdafactorArguments, scaleByAdafactor } from '../transforms/adafactor.js';
import { split } from './split.js';

export interface AdafactorOptions extends OptimizerOptions, AdafactorArguments {}

/**
 * Keras Adafactor (learning rate 0.001, beta2Decay -0.8, epsilon1 1e-30, epsilon2 1e-3, clipThreshold 1,
 * relativeStep true): second moments factored into rows and columns for weights of rank >= 2, updates clipped
 * to an RMS, steps relative to the weights' RMS; the formula is `scaleByAdafactor`'s.
 */
export class Adafactor extends GradientTransformationOptimizer {
  constructor(options: AdafactorOptions = {}) {
    const { own, base } = split('Adafactor', options);
    const core = scaleByAdafactor(
      {
        beta2Decay: own.beta2Decay,
        epsilon1: own.epsilon1,
        epsilon2: own.epsilon2,
        clipThreshold: own.clipThreshold,
        relativeStep: own.relativeStep,
      },
      'Adafactor',
    );
    super(core, base, 'Adafactor', { ...core.config });
  }
}
