/** Keras's Lion. */
import { tf } from '@opt/tensor';
import { optionOf } from '../catalog.js';
import { constantOf, type GradientTransformation } from '../transform.js';
import { catalogOption, checkOptions } from '../validate.js';
import { zeroSlots } from './common.js';

/**
 * Keras's Lion (Chen et al. 2023): `update = sign(beta1 * m + (1 - beta1) * g)`; then
 * `m = beta2 * m + (1 - beta2) * g`. Keras subtracts `lr * update`: `scaleByLearningRate()` after it. `beta1` in
 * (0, 1] (0 would be signSGD, which Keras refuses), `beta2` in [0, 1]. Slot: `momentum`.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByLion(
  options: { beta1?: number; beta2?: number } = {},
  owner = 'scaleByLion',
): GradientTransformation {
  const o = checkOptions(owner, options, ['beta1', 'beta2']);
  const beta1 = catalogOption<number>(owner, optionOf('lion', 'beta1'), o.beta1);
  const beta2 = catalogOption<number>(owner, optionOf('lion', 'beta2'), o.beta2);
  return {
    name: 'scaleByLion',
    config: { beta1, beta2 },
    slotNames: ['momentum'],
    init: zeroSlots('momentum'),
    update(grads, state, _params, ctx) {
      const b1 = constantOf(ctx, beta1);
      const oneMinusB1 = constantOf(ctx, 1 - beta1);
      const b2 = constantOf(ctx, beta2);
      const oneMinusB2 = constantOf(ctx, 1 - beta2);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const m = (state[i] as Record<string, tf.Tensor>).momentum as tf.Tensor;
        updates.push(tf.sign(tf.add(tf.mul(m, b1), tf.mul(g, oneMinusB1))));
        return { momentum: tf.add(tf.mul(m, b2), tf.mul(g, oneMinusB2)) };
      });
      return { updates, state: next };
    },
  };
}
