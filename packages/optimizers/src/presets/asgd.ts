import type { OptimizerOptions } from '../options.js';
import { chain } from '../transform.js';
import { scaleByAsgd } from '../transforms/asgd.js';
import { CoupledDecay, CoupledDecayOptimizer } from './coupled-decay.js';
import { split } from './split.js';

export interface ASGDOptions extends OptimizerOptions {
  lambd?: number;
  alpha?: number;
  t0?: number;
  /** PyTorch's L2 penalty: `g = g + weightDecay * w` before the update (not Keras's decoupled decay). */
  weightDecay?: number | null;
}

/**
 * PyTorch's averaged SGD (`torch.optim.ASGD`, 1.13; lr 0.01, lambd 1e-4, alpha 0.75, t0 1e6, weight_decay 0):
 * `eta = lr / (1 + lambd * lr * (t - 1))^alpha`; `w = w * (1 - lambd * eta) - eta * g`; from step `t0 + 2` on,
 * the slot `ax` holds the running mean of the weights (before, a copy of them); see {@link scaleByAsgd}.
 * `weightDecay` is PyTorch's, added to the gradient. As in PyTorch, nothing evaluates at the average for you:
 * read it with `optimizer.slot(w, 'ax')` (copy the weights aside, `w.assign(ax)` to evaluate, assign them back).
 */
export class ASGD extends CoupledDecayOptimizer {
  constructor(options: ASGDOptions = {}) {
    const { own, base } = split('ASGD', options);
    const decay = new CoupledDecay('ASGD', base);
    const asgd = scaleByAsgd({ lambd: own.lambd, alpha: own.alpha, t0: own.t0 }, 'ASGD');
    const { learningRate: _, ...config } = asgd.config;
    super(chain(...decay.parts, asgd), decay, 'ASGD', config, 0.01);
  }
}
