/** Keras's Adadelta: the worked example of the README's "Adding an optimizer". */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation } from '../transform.js';
import { checkOptions, positive, unitClosed } from '../validate.js';
import { emaStep, zeroSlots } from './common.js';

/**
 * Keras's Adadelta (Zeiler 2012): `accumulatedGrad = rho * accumulatedGrad + (1 - rho) * g^2`;
 * `delta = sqrt(accumulatedDeltaVar + eps) * g / sqrt(accumulatedGrad + eps)`;
 * `accumulatedDeltaVar = rho * accumulatedDeltaVar + (1 - rho) * delta^2`; `update = delta`. Keras then adds
 * `lr * -delta` to the weights: `scaleByLearningRate()` after it, in Keras's order. Slots: Keras's names.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByAdadelta(
  options: { rho?: number; epsilon?: number } = {},
  owner = 'scaleByAdadelta',
): GradientTransformation {
  const o = checkOptions(owner, options, ['rho', 'epsilon']);
  const rho = unitClosed(owner, 'rho', o.rho ?? 0.95, '0.95');
  const epsilon = positive(owner, 'epsilon', o.epsilon ?? 1e-7, '1e-7');
  return {
    name: 'scaleByAdadelta',
    config: { rho, epsilon },
    slotNames: ['accumulatedGrad', 'accumulatedDeltaVar'],
    init: zeroSlots('accumulatedGrad', 'accumulatedDeltaVar'),
    update(grads, state, _params, ctx) {
      const r = constantOf(ctx, rho);
      const oneMinusR = constantOf(ctx, 1 - rho);
      const eps = constantOf(ctx, epsilon);
      const rms = (x: tf.Tensor) => tf.sqrt(tf.add(x, eps));
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const accumulatedGrad = emaStep(s.accumulatedGrad as tf.Tensor, tf.square(g), r, oneMinusR);
        const delta = tf.div(tf.mul(rms(s.accumulatedDeltaVar as tf.Tensor), g), rms(accumulatedGrad));
        updates.push(delta);
        return {
          accumulatedGrad,
          accumulatedDeltaVar: emaStep(s.accumulatedDeltaVar as tf.Tensor, tf.square(delta), r, oneMinusR),
        };
      });
      return { updates, state: next };
    },
  };
}
