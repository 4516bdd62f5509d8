/** PyTorch's ASGD. */
import { tf } from '@opt/tensor';
import type { LearningRate } from '../learning-rate.js';
import type { GradientTransformation } from '../transform.js';
import { checkOptions, nonNegative } from '../validate.js';
import { checkRate, describeRate, rateAt } from './common.js';

/**
 * PyTorch's averaged SGD (Polyak and Juditsky 1992; `torch.optim.ASGD` 1.13's arithmetic), at step `t = step + 1`
 * with the learning rate `lr`: `eta = lr / (1 + lambd * lr * (t - 1))^alpha`; `w = w * (1 - lambd * eta) - eta * g`
 * (here `update = -lambd * eta * w - eta * g`); the average `ax = w` (the new weights) while `t - 1 - t0 <= 1`,
 * then `ax = ax + mu * (w - ax)` with `mu = 1 / (t - 1 - t0)`, the running mean of the weights since step `t0 + 2`.
 * `eta` and `mu` are PyTorch's per-parameter state; both are functions of the step (and the rate), so they are
 * computed, not kept. Under a schedule `eta` uses this step's rate (PyTorch's its previous step's). It makes the
 * whole update (role `'learningRate'`); `ax` assumes the optimizer adds these updates to the weights unchanged (no
 * `'weights'` part after it). Slot: `ax`.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByAsgd(
  options: { lambd?: number; alpha?: number; t0?: number; learningRate?: LearningRate | 'optimizer' } = {},
  owner = 'scaleByAsgd',
): GradientTransformation {
  const o = checkOptions(owner, options, ['lambd', 'alpha', 't0', 'learningRate']);
  const lambd = nonNegative(owner, 'lambd', o.lambd ?? 1e-4, '1e-4');
  const alpha = nonNegative(owner, 'alpha', o.alpha ?? 0.75, '0.75');
  const t0 = nonNegative(owner, 't0', o.t0 ?? 1e6, '1e6');
  checkRate(owner, o.learningRate);
  return {
    name: 'scaleByAsgd',
    config: { lambd, alpha, t0, learningRate: describeRate(o.learningRate) },
    slotNames: ['ax'],
    role: 'learningRate',
    init: (params) => params.map((p) => ({ ax: tf.zerosLike(p) })),
    update(grads, state, params, ctx) {
      const lr = rateAt(owner, o.learningRate, ctx);
      const eta = lr / (1 + lambd * lr * ctx.step) ** alpha;
      const mu = 1 / Math.max(1, ctx.step - t0);
      const negEta = tf.scalar(-eta);
      const negDecay = tf.scalar(-lambd * eta);
      const m = mu === 1 ? null : tf.scalar(mu); // a new value every step: not a kept constant
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const w = params[i] as tf.Tensor;
        const update = tf.add(tf.mul(w, negDecay), tf.mul(g, negEta));
        updates.push(update);
        const weights = tf.add(w, update);
        const ax = state[i]?.ax as tf.Tensor;
        return { ax: m === null ? weights : tf.add(ax, tf.mul(tf.sub(weights, ax), m)) };
      });
      return { updates, state: next };
    },
  };
}
