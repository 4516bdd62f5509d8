import type { tf } from '@opt/tensor';
import type { OptimizerOptions } from '../options.js';
import { type ProdigyArguments, scaleByProdigy } from '../transforms/prodigy.js';
import { CoupledDecay, CoupledDecayOptimizer } from './coupled-decay.js';
import { split } from './split.js';

export interface ProdigyOptions extends OptimizerOptions, Omit<ProdigyArguments, 'weightDecay' | 'mask'> {
  /** optax's AdamW-style decay inside the step, `-weightDecay * dlr * w` (`dlr` the adapted rate), default 0. */
  weightDecay?: number | null;
}

/**
 * optax's `contrib.prodigy` (Mishchenko and Defazio 2023; lr 1.0, betas 0.9 / 0.999, beta3 sqrt(beta2), eps 1e-8,
 * estim_lr0 1e-6, estim_lr_coef 1, weight_decay 0, safeguard_warmup false): Adam whose step size `d` is estimated
 * as it trains, so `learningRate` is a multiplier of it (keep 1, or a schedule from 1 down to 0); see
 * {@link scaleByProdigy}. `weightDecay` is optax's, `-weightDecay * dlr * w` inside the step, with `dlr` the adapted
 * rate; `excludeFromWeightDecay` applies to it. `beta3` is taken here but is not in the catalog (nor a CLI flag).
 */
export class Prodigy extends CoupledDecayOptimizer {
  constructor(options: ProdigyOptions = {}) {
    const { own, base } = split('Prodigy', options, ['beta3']);
    const decay = new CoupledDecay('Prodigy', { ...base, weightDecay: base.weightDecay ?? 0 });
    const { beta1, beta2, beta3, epsilon, estimLr0, estimLrCoef, safeguardWarmup } = own;
    const prodigy = scaleByProdigy(
      {
        beta1,
        beta2,
        beta3,
        epsilon,
        estimLr0,
        estimLrCoef,
        safeguardWarmup,
        weightDecay: decay.weightDecay ?? 0,
        mask: (param: tf.Tensor) => decay.decays(param),
      },
      'Prodigy',
    );
    const { weightDecay: _, ...config } = prodigy.config;
    super(prodigy, decay, 'Prodigy', config, 1);
  }
}
