/** PyTorch's weight decay: an L2 penalty added to the gradient. */
import { tf } from '@opt/tensor';
import { type GradientTransformation, stateless } from '../transform.js';
import { checkOptions, nonNegative } from '../validate.js';

/**
 * PyTorch's `weight_decay` (torch.optim's L2 penalty, `grad = grad.add(param, alpha=weight_decay)`):
 * `g = g + weightDecay * w`, the gradient of `weightDecay / 2 * ||w||^2` added to the loss's, before the
 * optimizer's own arithmetic (so Adam-like optimizers divide it by their second moment, unlike Keras's decoupled
 * {@link addDecayedWeights}). `mask(param, index)` returning false leaves that parameter's gradient as it is.
 */
export function coupledWeightDecay(
  weightDecay: number,
  options: { mask?: (param: tf.Tensor, index: number) => boolean } = {},
): GradientTransformation {
  nonNegative('coupledWeightDecay', 'weightDecay', weightDecay, '0.01');
  const { mask } = checkOptions('coupledWeightDecay', options, ['mask']);
  return stateless('coupledWeightDecay', { weightDecay, masked: mask !== undefined }, (grads, params) => {
    if (weightDecay === 0) return { updates: [...grads] };
    const wd = tf.scalar(weightDecay);
    return {
      updates: grads.map((g, i) => {
        const w = params[i] as tf.Tensor;
        return mask !== undefined && !mask(w, i) ? g : tf.add(g, tf.mul(w, wd));
      }),
    };
  });
}
