/** Keras's Nadam. */
import { tf } from '@opt/tensor';
import { emaIncrement } from '../ops/index.js';
import { constantOf, type GradientTransformation } from '../transform.js';
import { checkOptions, positive, unitOpen } from '../validate.js';
import { checkRate, negativeRate, type OwnRate, ownRate, roleWith, scaled, zeroSlots } from './common.js';

/** Nadam's momentum-cache product `prod_{s=1..t} beta1 * (1 - 0.5 * 0.96^s)` (Keras's `_u_product`), memoized. */
function nadamProduct(beta1: number): (t: number) => number {
  const products = [1];
  return (t) => {
    for (let s = products.length; s <= t; s++) {
      products.push((products[s - 1] as number) * beta1 * (1 - 0.5 * 0.96 ** s));
    }
    return products[t] as number;
  };
}

/**
 * Keras's Nadam with the momentum cache: `u_t = beta1 * (1 - 0.5 * 0.96^t)`, `P_t = prod_{s<=t} u_s`,
 * `P_{t+1} = P_t * u_{t+1}`; `m = m + (g - m) * (1 - beta1)`; `v = v + (g^2 - v) * (1 - beta2)`;
 * `mHat = u_{t+1} * m / (1 - P_{t+1}) + (1 - u_t) * g / (1 - P_t)`; `vHat = v / (1 - beta2^t)`;
 * `update = mHat / (sqrt(vHat) + eps)`, or with `learningRate` Keras's `mHat * lr / ...` (negated).
 * Slots: `momentum`, `velocity`.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByNadam(
  options: { beta1?: number; beta2?: number; epsilon?: number; learningRate?: OwnRate } = {},
  owner = 'scaleByNadam',
): GradientTransformation {
  const o = checkOptions(owner, options, ['beta1', 'beta2', 'epsilon', 'learningRate']);
  const beta1 = unitOpen(owner, 'beta1', o.beta1 ?? 0.9, '0.9');
  const beta2 = unitOpen(owner, 'beta2', o.beta2 ?? 0.999, '0.999');
  const epsilon = positive(owner, 'epsilon', o.epsilon ?? 1e-7, '1e-7');
  checkRate(owner, o.learningRate);
  const product = nadamProduct(beta1);
  return {
    name: 'scaleByNadam',
    config: { beta1, beta2, epsilon, ...ownRate(o.learningRate) },
    slotNames: ['momentum', 'velocity'],
    role: roleWith(o.learningRate),
    init: zeroSlots('momentum', 'velocity'),
    update(grads, state, _params, ctx) {
      const t = ctx.step + 1;
      const uT = beta1 * (1 - 0.5 * 0.96 ** t);
      const uNext = beta1 * (1 - 0.5 * 0.96 ** (t + 1));
      const pT = product(t);
      const mCoef = tf.scalar(uNext / (1 - pT * uNext));
      const gCoef = tf.scalar((1 - uT) / (1 - pT));
      const vCoef = tf.scalar(1 / (1 - beta2 ** t));
      const negLr = negativeRate(owner, o.learningRate, ctx);
      const oneMinusB1 = constantOf(ctx, 1 - beta1);
      const oneMinusB2 = constantOf(ctx, 1 - beta2);
      const eps = constantOf(ctx, epsilon);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const m = emaIncrement(s.momentum as tf.Tensor, g, oneMinusB1);
        const v = emaIncrement(s.velocity as tf.Tensor, tf.square(g), oneMinusB2);
        const mHat = tf.add(tf.mul(m, mCoef), tf.mul(g, gCoef));
        updates.push(tf.div(scaled(mHat, negLr), tf.add(tf.sqrt(tf.mul(v, vCoef)), eps)));
        return { momentum: m, velocity: v };
      });
      return { updates, state: next };
    },
  };
}
