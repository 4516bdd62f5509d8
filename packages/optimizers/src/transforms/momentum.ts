/** Momentum in its two forms: optax's `trace`, which composes, and Keras's velocity, which applies the rate itself. */
import { tf } from '@opt/tensor';
import type { LearningRate } from '../learning-rate.js';
import { constantOf, type GradientTransformation } from '../transform.js';
import { boolean, checkOptions, unitClosed } from '../validate.js';
import { checkRate, describeRate, rateAt, zeroSlots } from './common.js';

/**
 * optax's `trace`: `trace = decay * trace + g`; `update = trace`, or with Nesterov `decay * trace + g`. The learning
 * rate is not inside: `chain(trace(0.9), scaleByLearningRate(0.1))` is PyTorch's and `tf.train.momentum`'s SGD, equal
 * to Keras's velocity form ({@link momentum}) at a constant rate up to rounding; a new rate rescales the whole
 * history. Slot: `trace`.
 */
export function trace(decay: number, options: { nesterov?: boolean } = {}): GradientTransformation {
  unitClosed('trace', 'decay', decay, '0.9');
  const nesterov = boolean('trace', 'nesterov', checkOptions('trace', options, ['nesterov']).nesterov ?? false);
  return {
    name: 'trace',
    config: { decay, nesterov },
    slotNames: ['trace'],
    role: 'gradient',
    init: zeroSlots('trace'),
    update(grads, state, _params, ctx) {
      const d = constantOf(ctx, decay);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const t = tf.add(tf.mul(state[i]?.trace as tf.Tensor, d), g);
        updates.push(nesterov ? tf.add(tf.mul(t, d), g) : t);
        return { trace: t };
      });
      return { updates, state: next };
    },
  };
}

/**
 * Keras's SGD momentum, the velocity form: `v = momentum * v - lr * g`; `update = v`, or with Nesterov
 * `momentum * v - lr * g`. It applies the learning rate itself (a new rate applies to new gradients only), so it
 * ends a chain; for a momentum that composes, use {@link trace}. Slot: `momentum` (Keras's `momentums`).
 */
export function momentum(
  momentumValue: number,
  options: { nesterov?: boolean; learningRate?: LearningRate } = {},
): GradientTransformation {
  unitClosed('momentum', 'momentum', momentumValue, '0.9');
  const o = checkOptions('momentum', options, ['nesterov', 'learningRate']);
  const nesterov = boolean('momentum', 'nesterov', o.nesterov ?? false);
  checkRate('momentum', o.learningRate);
  return {
    name: 'momentum',
    config: { momentum: momentumValue, nesterov, learningRate: describeRate(o.learningRate) },
    slotNames: ['momentum'],
    role: 'learningRate',
    init: zeroSlots('momentum'),
    update(grads, state, _params, ctx) {
      const lr = tf.scalar(rateAt('momentum', o.learningRate, ctx));
      const mu = constantOf(ctx, momentumValue);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const gLr = tf.mul(g, lr);
        const v = tf.sub(tf.mul(state[i]?.momentum as tf.Tensor, mu), gLr);
        updates.push(nesterov ? tf.sub(tf.mul(v, mu), gLr) : v);
        return { momentum: v };
      });
      return { updates, state: next };
    },
  };
}
