/** optax's bias-corrected RMS scaling, Adam without its first moment. */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation } from '../transform.js';
import { checkOptions, positive, unitOpen } from '../validate.js';
import { zeroSlots } from './common.js';

/**
 * optax's `scale_by_rms(decay=beta2, eps=epsilon, eps_in_sqrt=False, bias_correction=True)`, which optax's
 * `scale_by_adam(b1=0)` equals: `nu = (1 - beta2) * g^2 + beta2 * nu`; with `t = step + 1`,
 * `update = g / (sqrt(nu / (1 - beta2^t)) + epsilon)` (epsilon outside the root of the bias-corrected moment, as in
 * optax and PyTorch, unlike Keras's RMSprop). The base of schedule-free AdamW. `scaleByLearningRate()` after it.
 * Slot: optax's `nu`. `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByDebiasedRms(
  options: { beta2?: number; epsilon?: number } = {},
  owner = 'scaleByDebiasedRms',
): GradientTransformation {
  const o = checkOptions(owner, options, ['beta2', 'epsilon']);
  const beta2 = unitOpen(owner, 'beta2', o.beta2 ?? 0.999, '0.999');
  const epsilon = positive(owner, 'epsilon', o.epsilon ?? 1e-8, '1e-8');
  return {
    name: 'scaleByDebiasedRms',
    config: { beta2, epsilon },
    slotNames: ['nu'],
    init: zeroSlots('nu'),
    update(grads, state, _params, ctx) {
      const bias = tf.scalar(1 - beta2 ** (ctx.step + 1)); // a new value every step: not a kept constant
      const [b2, c2, eps] = [beta2, 1 - beta2, epsilon].map((x) => constantOf(ctx, x)) as tf.Scalar[];
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const nu = tf.add(tf.mul(c2 as tf.Scalar, tf.square(g)), tf.mul(b2 as tf.Scalar, state[i]?.nu as tf.Tensor));
        updates.push(tf.div(g, tf.add(tf.sqrt(tf.div(nu, bias)), eps as tf.Scalar)));
        return { nu };
      });
      return { updates, state: next };
    },
  };
}
