/** Keras's Lamb: Adam's bias-corrected direction, then the layer-wise trust ratio. */
import { tf } from '@opt/tensor';
import { optionOf } from '../catalog.js';
import { constantOf, type GradientTransformation } from '../transform.js';
import { catalogOption, checkOptions } from '../validate.js';
import { zeroSlots } from './common.js';

/**
 * Keras's Lamb direction (You et al. 2020): `m = m + (g - m) * (1 - beta1)`; `v = v + (g^2 - v) * (1 - beta2)`;
 * `update = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)`, epsilon outside the root of the corrected v
 * (not Adam's "epsilon hat"). Follow it with `scaleByTrustRatio()` and the learning rate. Slots: `momentum`,
 * `velocity`.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByLamb(
  options: { beta1?: number; beta2?: number; epsilon?: number } = {},
  owner = 'scaleByLamb',
): GradientTransformation {
  const o = checkOptions(owner, options, ['beta1', 'beta2', 'epsilon']);
  const beta1 = catalogOption<number>(owner, optionOf('lamb', 'beta1'), o.beta1);
  const beta2 = catalogOption<number>(owner, optionOf('lamb', 'beta2'), o.beta2);
  const epsilon = catalogOption<number>(owner, optionOf('lamb', 'epsilon'), o.epsilon);
  return {
    name: 'scaleByLamb',
    config: { beta1, beta2, epsilon },
    slotNames: ['momentum', 'velocity'],
    init: zeroSlots('momentum', 'velocity'),
    update(grads, state, _params, ctx) {
      const t = ctx.step + 1;
      const oneMinusB1 = constantOf(ctx, 1 - beta1);
      const oneMinusB2 = constantOf(ctx, 1 - beta2);
      const correction1 = tf.scalar(1 - beta1 ** t);
      const correction2 = tf.scalar(1 - beta2 ** t);
      const eps = constantOf(ctx, epsilon);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const m = tf.add(s.momentum as tf.Tensor, tf.mul(tf.sub(g, s.momentum as tf.Tensor), oneMinusB1));
        const v = tf.add(s.velocity as tf.Tensor, tf.mul(tf.sub(tf.square(g), s.velocity as tf.Tensor), oneMinusB2));
        updates.push(tf.div(tf.div(m, correction1), tf.add(tf.sqrt(tf.div(v, correction2)), eps)));
        return { momentum: m, velocity: v };
      });
      return { updates, state: next };
    },
  };
}

/**
 * The layer-wise trust ratio of LAMB (optax's `scale_by_trust_ratio`, Keras's Lamb): each parameter's update is
 * multiplied by `‖w‖ / ‖u‖` (L2 norms over the whole parameter), or by 1 when either norm is 0.
 */
export function scaleByTrustRatio(): GradientTransformation {
  return {
    name: 'scaleByTrustRatio',
    config: {},
    slotNames: [],
    readsParams: true,
    init: (params) => params.map(() => ({})),
    update(updates, state, params) {
      const zero = tf.scalar(0);
      const one = tf.scalar(1);
      const scaled = updates.map((u, i) => {
        const wNorm = tf.sqrt(tf.sum(tf.square(params[i] as tf.Tensor)));
        const uNorm = tf.sqrt(tf.sum(tf.square(u)));
        // Keras's where(w > 0, where(u > 0, w / u, 1), 1); the division by 0 it skips is never read
        const ratio = tf.where(
          tf.logicalAnd(tf.greater(wNorm, zero), tf.greater(uNorm, zero)),
          tf.div(wNorm, uNorm),
          one,
        );
        return tf.mul(ratio, u);
      });
      return { updates: scaled, state };
    },
  };
}
