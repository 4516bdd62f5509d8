/** The learning rate, applied once and last. */
import { tf } from '@opt/tensor';
import type { LearningRate } from '../learning-rate.js';
import { type GradientTransformation, stateless } from '../transform.js';
import { checkRate, describeRate, rateAt } from './common.js';

/**
 * `update = -lr * g`. Without an argument it uses the optimizer's learning rate (so that `optimizer.learningRate`
 * and schedules drive it).
 */
export function scaleByLearningRate(learningRate?: LearningRate): GradientTransformation {
  checkRate('scaleByLearningRate', learningRate);
  return stateless(
    'scaleByLearningRate',
    { learningRate: describeRate(learningRate) },
    (grads, _params, ctx) => {
      const negLr = tf.scalar(-rateAt('scaleByLearningRate', learningRate, ctx));
      return { updates: grads.map((g) => tf.mul(g, negLr)) };
    },
    'learningRate',
  );
}
