/** optax's Yogi. */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation } from '../transform.js';
import { checkOptions, nonNegative, positive, unitOpen } from '../validate.js';
import { emaStep } from './common.js';

/**
 * optax's `scale_by_yogi` (Zaheer et al. 2018): `mu = beta1 * mu + (1 - beta1) * g`;
 * `nu = nu - (1 - beta2) * sign(nu - g^2) * g^2` (Adam's `nu` moves towards `g^2` by `(1 - beta2) * (g^2 - nu)`;
 * Yogi's by `(1 - beta2) * g^2` at most, so a burst of large gradients cannot make it forget); with `t = step + 1`,
 * `update = muHat / (sqrt(nuHat + epsilonRoot) + epsilon)`, `muHat = mu / (1 - beta1^t)`, `nuHat = nu / (1 - beta2^t)`.
 * Both moments start at `initialAccumulatorValue` (optax's `initial_accumulator_value`, 1e-6), and optax corrects
 * both for bias all the same. `scaleByLearningRate()` after it. Slots: optax's names, `mu` and `nu`.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByYogi(
  options: {
    beta1?: number;
    beta2?: number;
    epsilon?: number;
    epsilonRoot?: number;
    initialAccumulatorValue?: number;
  } = {},
  owner = 'scaleByYogi',
): GradientTransformation {
  const o = checkOptions(owner, options, ['beta1', 'beta2', 'epsilon', 'epsilonRoot', 'initialAccumulatorValue']);
  const beta1 = unitOpen(owner, 'beta1', o.beta1 ?? 0.9, '0.9');
  const beta2 = unitOpen(owner, 'beta2', o.beta2 ?? 0.999, '0.999');
  const epsilon = positive(owner, 'epsilon', o.epsilon ?? 1e-3, '1e-3');
  const epsilonRoot = nonNegative(owner, 'epsilonRoot', o.epsilonRoot ?? 0, '0');
  const initial = positive(owner, 'initialAccumulatorValue', o.initialAccumulatorValue ?? 1e-6, '1e-6');
  return {
    name: 'scaleByYogi',
    config: { beta1, beta2, epsilon, epsilonRoot, initialAccumulatorValue: initial },
    slotNames: ['mu', 'nu'],
    init: (params) => params.map((p) => ({ mu: tf.fill(p.shape, initial), nu: tf.fill(p.shape, initial) })),
    update(grads, state, _params, ctx) {
      const t = ctx.step + 1;
      const bias1 = tf.scalar(1 - beta1 ** t);
      const bias2 = tf.scalar(1 - beta2 ** t);
      const [b1, c1, c2, eps] = [beta1, 1 - beta1, 1 - beta2, epsilon].map((x) => constantOf(ctx, x)) as tf.Scalar[];
      const root = epsilonRoot === 0 ? null : constantOf(ctx, epsilonRoot);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const mu = emaStep(s.mu as tf.Tensor, g, b1 as tf.Scalar, c1 as tf.Scalar);
        const g2 = tf.square(g);
        const nu = tf.sub(
          s.nu as tf.Tensor,
          tf.mul(tf.mul(c2 as tf.Scalar, tf.sign(tf.sub(s.nu as tf.Tensor, g2))), g2),
        );
        const nuHat = tf.div(nu, bias2);
        const den = tf.add(tf.sqrt(root === null ? nuHat : tf.add(nuHat, root)), eps as tf.Scalar);
        updates.push(tf.div(tf.div(mu, bias1), den));
        return { mu, nu };
      });
      return { updates, state: next };
    },
  };
}
