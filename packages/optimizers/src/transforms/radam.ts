/** PyTorch's RAdam. */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation } from '../transform.js';
import { checkOptions, positive, unitOpen } from '../validate.js';
import { emaStep, zeroSlots } from './common.js';

/**
 * PyTorch's RAdam (Liu et al. 2019, `torch.optim.RAdam` 1.13's arithmetic): `m = beta1 * m + (1 - beta1) * g`;
 * `v = beta2 * v + (1 - beta2) * g^2`; `rhoInf = 2 / (1 - beta2) - 1`, `rho = rhoInf - 2 t beta2^t / (1 - beta2^t)`;
 * while `rho <= 5` (the first 5 steps at beta2 0.999) `update = m / (1 - beta1^t)`, momentum without adaptation;
 * after, `update = r * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)` with the rectification
 * `r = sqrt((rho - 4) (rho - 2) rhoInf / ((rhoInf - 4) (rhoInf - 2) rho))`. PyTorch then multiplies the learning
 * rate in: `scaleByLearningRate()` after it. Slots: PyTorch's state names, `expAvg`, `expAvgSq`.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByRAdam(
  options: { beta1?: number; beta2?: number; epsilon?: number } = {},
  owner = 'scaleByRAdam',
): GradientTransformation {
  const o = checkOptions(owner, options, ['beta1', 'beta2', 'epsilon']);
  const beta1 = unitOpen(owner, 'beta1', o.beta1 ?? 0.9, '0.9');
  const beta2 = unitOpen(owner, 'beta2', o.beta2 ?? 0.999, '0.999');
  const epsilon = positive(owner, 'epsilon', o.epsilon ?? 1e-8, '1e-8');
  const rhoInf = 2 / (1 - beta2) - 1;
  return {
    name: 'scaleByRAdam',
    config: { beta1, beta2, epsilon },
    slotNames: ['expAvg', 'expAvgSq'],
    init: zeroSlots('expAvg', 'expAvgSq'),
    update(grads, state, _params, ctx) {
      const t = ctx.step + 1;
      const bias1 = 1 - beta1 ** t;
      const bias2 = 1 - beta2 ** t;
      const rho = rhoInf - (2 * t * beta2 ** t) / bias2;
      const rectified = rho > 5;
      const r = rectified ? Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho)) : 0;
      // the scalar factor of m: the bias correction, and once rectified r * sqrt(1 - beta2^t)
      const scale = tf.scalar(rectified ? (r * Math.sqrt(bias2)) / bias1 : 1 / bias1);
      const [b1, c1, b2, c2] = [beta1, 1 - beta1, beta2, 1 - beta2].map((x) => constantOf(ctx, x)) as tf.Scalar[];
      const eps = constantOf(ctx, epsilon);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const expAvg = emaStep(s.expAvg as tf.Tensor, g, b1 as tf.Scalar, c1 as tf.Scalar);
        const expAvgSq = emaStep(s.expAvgSq as tf.Tensor, tf.square(g), b2 as tf.Scalar, c2 as tf.Scalar);
        const m = tf.mul(expAvg, scale);
        updates.push(rectified ? tf.div(m, tf.add(tf.sqrt(expAvgSq), eps)) : m);
        return { expAvg, expAvgSq };
      });
      return { updates, state: next };
    },
  };
}
