/** Keras's Adagrad. */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation } from '../transform.js';
import { checkOptions, nonNegative, positive } from '../validate.js';
import { checkRate, negativeRate, type OwnRate, ownRate, roleWith, scaled } from './common.js';

/**
 * Keras's Adagrad, epsilon inside the square root: `acc = acc + g^2` (from `initialAccumulatorValue`);
 * `update = g / sqrt(acc + eps)`, or with `learningRate` Keras's `lr * g / sqrt(acc + eps)` (negated).
 * Slot: `accumulator`.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByAdagrad(
  options: { initialAccumulatorValue?: number; epsilon?: number; learningRate?: OwnRate } = {},
  owner = 'scaleByAdagrad',
): GradientTransformation {
  const o = checkOptions(owner, options, ['initialAccumulatorValue', 'epsilon', 'learningRate']);
  const initial = nonNegative(owner, 'initialAccumulatorValue', o.initialAccumulatorValue ?? 0.1, '0.1');
  const epsilon = positive(owner, 'epsilon', o.epsilon ?? 1e-7, '1e-7');
  checkRate(owner, o.learningRate);
  return {
    name: 'scaleByAdagrad',
    config: { initialAccumulatorValue: initial, epsilon, ...ownRate(o.learningRate) },
    slotNames: ['accumulator'],
    role: roleWith(o.learningRate),
    init: (params) => params.map((p) => ({ accumulator: tf.fill(p.shape, initial) })),
    update(grads, state, _params, ctx) {
      const eps = constantOf(ctx, epsilon);
      const negLr = negativeRate(owner, o.learningRate, ctx);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const acc = tf.add((state[i] as Record<string, tf.Tensor>).accumulator as tf.Tensor, tf.square(g));
        updates.push(tf.div(scaled(g, negLr), tf.sqrt(tf.add(acc, eps))));
        return { accumulator: acc };
      });
      return { updates, state: next };
    },
  };
}
