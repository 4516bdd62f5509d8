import type { OptimizerOptions } from '../options.js';
import { chain } from '../transform.js';
import { scaleByLearningRate } from '../transforms/learning-rate.js';
import { scaleByRAdam } from '../transforms/radam.js';
import { CoupledDecay, CoupledDecayOptimizer } from './coupled-decay.js';
import { split } from './split.js';

export interface RAdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** PyTorch's L2 penalty: `g = g + weightDecay * w` before the update (not Keras's decoupled decay). */
  weightDecay?: number | null;
}

/**
 * PyTorch's RAdam (`torch.optim.RAdam`, 1.13; lr 1e-3, betas 0.9 / 0.999, eps 1e-8): Adam whose adaptive step is
 * switched on only once the variance of its second moment is tractable (`rho_t > 5`), and rectified by `r_t`; see
 * {@link scaleByRAdam}. `weightDecay` is PyTorch's: `g = g + weightDecay * w` before the moments (an L2 penalty that
 * the second moment divides), not Keras's decoupled `w -= w * wd * lr`. PyTorch 2.1's `decoupled_weight_decay` is
 * not offered (torch 1.13, the reference here, lacks it).
 */
export class RAdam extends CoupledDecayOptimizer {
  constructor(options: RAdamOptions = {}) {
    const { own, base } = split('RAdam', options);
    const decay = new CoupledDecay('RAdam', base);
    const radam = scaleByRAdam({ beta1: own.beta1, beta2: own.beta2, epsilon: own.epsilon }, 'RAdam');
    super(chain(...decay.parts, radam, scaleByLearningRate()), decay, 'RAdam', { ...radam.config }, 0.001);
  }
}
