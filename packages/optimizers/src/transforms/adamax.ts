/** Keras's Adamax. */
import { tf } from '@opt/tensor';
import { emaIncrement } from '../ops/index.js';
import { constantOf, type GradientTransformation } from '../transform.js';
import { checkOptions, positive, unitOpen } from '../validate.js';
import { checkRate, negativeRate, type OwnRate, ownRate, roleWith, scaled, zeroSlots } from './common.js';

/**
 * Keras's Adamax (infinity norm): `m = m + (g - m) * (1 - beta1)`; `u = max(beta2 * u, |g|)`;
 * `update = m / ((1 - beta1^t) * (u + eps))`, or with `learningRate` Keras's `lr * m / ...` (negated).
 * Slots: `momentum`, `norm` (Keras's `_m`, `_u`).
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByAdamax(
  options: { beta1?: number; beta2?: number; epsilon?: number; learningRate?: OwnRate } = {},
  owner = 'scaleByAdamax',
): GradientTransformation {
  const o = checkOptions(owner, options, ['beta1', 'beta2', 'epsilon', 'learningRate']);
  const beta1 = unitOpen(owner, 'beta1', o.beta1 ?? 0.9, '0.9');
  const beta2 = unitOpen(owner, 'beta2', o.beta2 ?? 0.999, '0.999');
  const epsilon = positive(owner, 'epsilon', o.epsilon ?? 1e-7, '1e-7');
  checkRate(owner, o.learningRate);
  return {
    name: 'scaleByAdamax',
    config: { beta1, beta2, epsilon, ...ownRate(o.learningRate) },
    slotNames: ['momentum', 'norm'],
    role: roleWith(o.learningRate),
    init: zeroSlots('momentum', 'norm'),
    update(grads, state, _params, ctx) {
      const correction = tf.scalar(1 - beta1 ** (ctx.step + 1));
      const negLr = negativeRate(owner, o.learningRate, ctx);
      const oneMinusB1 = constantOf(ctx, 1 - beta1);
      const b2 = constantOf(ctx, beta2);
      const eps = constantOf(ctx, epsilon);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const m = emaIncrement(s.momentum as tf.Tensor, g, oneMinusB1);
        const u = tf.maximum(tf.mul(s.norm as tf.Tensor, b2), tf.abs(g));
        updates.push(tf.div(scaled(m, negLr), tf.mul(tf.add(u, eps), correction)));
        return { momentum: m, norm: u };
      });
      return { updates, state: next };
    },
  };
}
