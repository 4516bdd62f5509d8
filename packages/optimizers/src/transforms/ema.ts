/** The exponential moving average as a transformation. */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation } from '../transform.js';
import { boolean, checkOptions, unitOpen } from '../validate.js';
import { emaStep, scaled, zeroSlots } from './common.js';

/**
 * The handbook's moving average: `ema = beta * ema + (1 - beta) * g`; with `debias`, `update = ema / (1 - beta^t)`,
 * else `update = ema`. Slot: `ema`. `chain(ema(0.9), scaleByLearningRate())` is momentum in EMA form.
 */
export function ema(beta: number, options: { debias?: boolean } = {}): GradientTransformation {
  unitOpen('ema', 'beta', beta, '0.9');
  const debias = boolean('ema', 'debias', checkOptions('ema', options, ['debias']).debias ?? true);
  return {
    name: 'ema',
    config: { beta, debias },
    slotNames: ['ema'],
    role: 'gradient',
    init: zeroSlots('ema'),
    update(grads, state, _params, ctx) {
      const b = constantOf(ctx, beta);
      const oneMinusB = constantOf(ctx, 1 - beta);
      const correction = debias ? tf.scalar(1 / (1 - beta ** (ctx.step + 1))) : null;
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const e = emaStep((state[i] as Record<string, tf.Tensor>).ema as tf.Tensor, g, b, oneMinusB);
        updates.push(scaled(e, correction));
        return { ema: e };
      });
      return { updates, state: next };
    },
  };
}
