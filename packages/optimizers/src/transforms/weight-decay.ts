/** Keras's decoupled weight decay. */
import { tf } from '@opt/tensor';
import type { LearningRate } from '../learning-rate.js';
import { type GradientTransformation, stateless } from '../transform.js';
import { checkOptions, nonNegative } from '../validate.js';
import { checkRate, describeRate, rateAt } from './common.js';

/**
 * Keras's decoupled weight decay, `w <- w - w * (wd * lr)`: it adds `-w * (wd * lr)` to the updates the optimizer
 * adds to the weights. A `'weights'` part, so a chain runs it on its final updates wherever it sits.
 * `mask(param, index)` returning false leaves that parameter undecayed (optax's `mask`; the optimizer's
 * `excludeFromWeightDecay`, with the variables as parameters).
 */
export function addDecayedWeights(
  weightDecay: number,
  options: { learningRate?: LearningRate; mask?: (param: tf.Tensor, index: number) => boolean } = {},
): GradientTransformation {
  nonNegative('addDecayedWeights', 'weightDecay', weightDecay, '0.004');
  const o = checkOptions('addDecayedWeights', options, ['learningRate', 'mask']);
  checkRate('addDecayedWeights', o.learningRate);
  const { mask } = o;
  return stateless(
    'addDecayedWeights',
    { weightDecay, learningRate: describeRate(o.learningRate), masked: mask !== undefined },
    (updates, params, ctx) => {
      if (weightDecay === 0) return { updates: [...updates] };
      const factor = tf.scalar(weightDecay * rateAt('addDecayedWeights', o.learningRate, ctx));
      return {
        updates: updates.map((u, i) => {
          const w = params[i] as tf.Tensor;
          return mask !== undefined && !mask(w, i) ? u : tf.sub(u, tf.mul(w, factor));
        }),
      };
    },
    'weights',
  );
}
