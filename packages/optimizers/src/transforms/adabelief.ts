/** optax's AdaBelief. */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation } from '../transform.js';
import { checkOptions, nonNegative, positive, unitOpen } from '../validate.js';
import { emaStep, zeroSlots } from './common.js';

/**
 * optax's `scale_by_belief` (AdaBelief, Zhuang et al. 2020): `mu = beta1 * mu + (1 - beta1) * g`;
 * `nu = beta2 * nu + (1 - beta2) * (g - mu)^2 + epsilonRoot` (the spread of g around its prediction `mu`, the new
 * one, where Adam has `g^2`); with `t = step + 1`, `update = muHat / (sqrt(nuHat) + epsilon)`,
 * `muHat = mu / (1 - beta1^t)`, `nuHat = nu / (1 - beta2^t)`. Small where the gradient is as predicted, so steps
 * are large along steady slopes and small where the gradient is noisy. `scaleByLearningRate()` after it. Slots:
 * optax's names, `mu` and `nu`.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByBelief(
  options: { beta1?: number; beta2?: number; epsilon?: number; epsilonRoot?: number } = {},
  owner = 'scaleByBelief',
): GradientTransformation {
  const o = checkOptions(owner, options, ['beta1', 'beta2', 'epsilon', 'epsilonRoot']);
  const beta1 = unitOpen(owner, 'beta1', o.beta1 ?? 0.9, '0.9');
  const beta2 = unitOpen(owner, 'beta2', o.beta2 ?? 0.999, '0.999');
  const epsilon = positive(owner, 'epsilon', o.epsilon ?? 1e-16, '1e-16');
  const epsilonRoot = nonNegative(owner, 'epsilonRoot', o.epsilonRoot ?? 1e-16, '1e-16');
  return {
    name: 'scaleByBelief',
    config: { beta1, beta2, epsilon, epsilonRoot },
    slotNames: ['mu', 'nu'],
    init: zeroSlots('mu', 'nu'),
    update(grads, state, _params, ctx) {
      const t = ctx.step + 1;
      const bias1 = tf.scalar(1 - beta1 ** t);
      const bias2 = tf.scalar(1 - beta2 ** t);
      const [b1, c1, b2, c2, eps, root] = [beta1, 1 - beta1, beta2, 1 - beta2, epsilon, epsilonRoot].map((x) =>
        constantOf(ctx, x),
      ) as tf.Scalar[];
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const mu = emaStep(s.mu as tf.Tensor, g, b1 as tf.Scalar, c1 as tf.Scalar);
        const spread = emaStep(s.nu as tf.Tensor, tf.square(tf.sub(g, mu)), b2 as tf.Scalar, c2 as tf.Scalar);
        const nu = tf.add(spread, root as tf.Scalar);
        const den = tf.add(tf.sqrt(tf.div(nu, bias2)), eps as tf.Scalar);
        updates.push(tf.div(tf.div(mu, bias1), den));
        return { mu, nu };
      });
      return { updates, state: next };
    },
  };
}
