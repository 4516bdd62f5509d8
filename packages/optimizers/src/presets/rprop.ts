import { GradientTransformationOptimizer } from '../optimizer.js';
import type { OptimizerOptions } from '../options.js';
import { scaleByRprop } from '../transforms/rprop.js';
import { positive } from '../validate.js';
import { split } from './split.js';

export interface RpropOptions extends OptimizerOptions {
  etaminus?: number;
  etaplus?: number;
  stepSizes?: readonly [number, number];
}

/**
 * PyTorch's Rprop (`torch.optim.Rprop`, 1.13; lr 0.01, etas 0.5 / 1.2 as `etaminus` / `etaplus`, step_sizes
 * [1e-6, 50]): each weight moves by its own step size against the sign of its gradient; the step size grows by
 * `etaplus` while the sign holds and shrinks by `etaminus` when it flips; see {@link scaleByRprop}. For full-batch
 * training. `learningRate` is the step size every weight starts with (PyTorch reads `lr` once, when it creates
 * the state): it must be a number (a schedule would change nothing after step 0), and setting
 * `optimizer.learningRate` later changes no step size, not even of variables built afterwards. PyTorch's Rprop has no weight decay; `weightDecay` here is
 * the base option every preset has, Keras's decoupled `w -= w * wd * lr` with `lr` the constant above.
 */
export class Rprop extends GradientTransformationOptimizer {
  constructor(options: RpropOptions = {}) {
    const { own, base } = split('Rprop', options);
    const learningRate = base.learningRate ?? 0.01;
    if (typeof learningRate === 'function') {
      throw new TypeError(
        'Rprop: `learningRate` is the initial step size of every weight, read once (PyTorch reads `lr` when it ' +
          'creates the state), so a schedule would change nothing after step 0. Pass a number, e.g. 0.01.',
      );
    }
    positive('Rprop', 'learningRate', learningRate, '0.01');
    const rprop = scaleByRprop(
      {
        initialStepSize: learningRate,
        etaminus: own.etaminus,
        etaplus: own.etaplus,
        stepSizes: own.stepSizes,
      },
      'Rprop',
    );
    const { etaminus, etaplus, stepSizes } = rprop.config;
    super(rprop, { ...base, learningRate }, 'Rprop', { etaminus, etaplus, stepSizes });
  }
}
