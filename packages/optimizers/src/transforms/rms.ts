/** Keras's RMSprop denominator. */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation } from '../transform.js';
import { boolean, checkOptions, positive, unitClosed } from '../validate.js';
import { checkRate, emaStep, negativeRate, type OwnRate, ownRate, roleWith, scaled, zeroSlots } from './common.js';

/**
 * Keras's RMSprop, epsilon inside the square root: `v = rho * v + (1 - rho) * g^2`; centered:
 * `a = rho * a + (1 - rho) * g`, `den = v - a^2 + eps`, otherwise `den = v + eps`; `update = g / sqrt(den)`, or with
 * `learningRate` Keras's `lr * g / sqrt(den)` (negated). Slots: `velocity`, and `averageGradient` when centered.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByRms(
  options: { rho?: number; epsilon?: number; centered?: boolean; learningRate?: OwnRate } = {},
  owner = 'scaleByRms',
): GradientTransformation {
  const o = checkOptions(owner, options, ['rho', 'epsilon', 'centered', 'learningRate']);
  const rho = unitClosed(owner, 'rho', o.rho ?? 0.9, '0.9');
  const epsilon = positive(owner, 'epsilon', o.epsilon ?? 1e-7, '1e-7');
  const centered = boolean(owner, 'centered', o.centered ?? false);
  checkRate(owner, o.learningRate);
  const names = centered ? ['velocity', 'averageGradient'] : ['velocity'];
  return {
    name: 'scaleByRms',
    config: { rho, epsilon, centered, ...ownRate(o.learningRate) },
    slotNames: names,
    role: roleWith(o.learningRate),
    init: zeroSlots(...names),
    update(grads, state, _params, ctx) {
      const r = constantOf(ctx, rho);
      const oneMinusR = constantOf(ctx, 1 - rho);
      const eps = constantOf(ctx, epsilon);
      const negLr = negativeRate(owner, o.learningRate, ctx);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i): Record<string, tf.Tensor> => {
        const s = state[i] as Record<string, tf.Tensor>;
        const v = emaStep(s.velocity as tf.Tensor, tf.square(g), r, oneMinusR);
        if (centered) {
          const a = emaStep(s.averageGradient as tf.Tensor, g, r, oneMinusR);
          updates.push(tf.div(scaled(g, negLr), tf.sqrt(tf.add(tf.sub(v, tf.square(a)), eps))));
          return { velocity: v, averageGradient: a };
        }
        updates.push(tf.div(scaled(g, negLr), tf.sqrt(tf.add(v, eps))));
        return { velocity: v };
      });
      return { updates, state: next };
    },
  };
}
