/** Keras's Ftrl (FTRL-proximal). */
import { tf } from '@opt/tensor';
import { optionOf } from '../catalog.js';
import { constantOf, type GradientTransformation } from '../transform.js';
import { catalogOption, checkOptions } from '../validate.js';
import { rateAt } from './common.js';

/** Arguments of {@link scaleByFtrl}: Keras's Ftrl arguments in camelCase, with its defaults. */
export interface FtrlArguments {
  learningRatePower?: number;
  initialAccumulatorValue?: number;
  l1RegularizationStrength?: number;
  l2RegularizationStrength?: number;
  l2ShrinkageRegularizationStrength?: number;
  beta?: number;
}

const KEYS = [
  'learningRatePower',
  'initialAccumulatorValue',
  'l1RegularizationStrength',
  'l2RegularizationStrength',
  'l2ShrinkageRegularizationStrength',
  'beta',
] as const;

/**
 * Keras's Ftrl (McMahan et al. 2013), `p = learningRatePower`, `l2 = l2RegularizationStrength + beta / (2 lr)`:
 * `g' = g + 2 * l2Shrinkage * w`; `n' = n + g^2`; `z = z + g' - (n'^-p - n^-p) / lr * w`;
 * `wNew = (clip(z, -l1, l1) - z) / (n'^-p / lr + 2 * l2)`; `n = n'`. FTRL sets the weights in closed form, so the
 * update is `wNew - w`, and the block applies the optimizer's learning rate itself (it ends a chain).
 * Slots: `accumulator` (n, from `initialAccumulatorValue`), `linear` (z).
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByFtrl(options: FtrlArguments = {}, owner = 'scaleByFtrl'): GradientTransformation {
  const o = checkOptions(owner, options, KEYS);
  const value = (key: (typeof KEYS)[number]) => catalogOption<number>(owner, optionOf('ftrl', key), o[key]);
  const config = Object.fromEntries(KEYS.map((key) => [key, value(key)])) as Required<FtrlArguments>;
  const { learningRatePower, initialAccumulatorValue, l1RegularizationStrength: l1 } = config;
  return {
    name: 'scaleByFtrl',
    config: { ...config },
    slotNames: ['accumulator', 'linear'],
    role: 'learningRate',
    readsParams: true,
    init: (params) =>
      params.map((p) => ({ accumulator: tf.fill(p.shape, initialAccumulatorValue), linear: tf.zerosLike(p) })),
    update(grads, state, params, ctx) {
      const lrValue = rateAt(owner, 'optimizer', ctx);
      const lr = tf.scalar(lrValue);
      const power = constantOf(ctx, -learningRatePower);
      const shrinkage = constantOf(ctx, 2 * config.l2ShrinkageRegularizationStrength);
      const twoL2 = tf.scalar(2 * (config.l2RegularizationStrength + config.beta / (2 * lrValue)));
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const w = params[i] as tf.Tensor;
        const accumulator = s.accumulator as tf.Tensor;
        const gradToUse = tf.add(g, tf.mul(shrinkage, w));
        const newAccumulator = tf.add(accumulator, tf.square(g));
        const newPower = tf.pow(newAccumulator, power);
        const sigma = tf.div(tf.sub(newPower, tf.pow(accumulator, power)), lr);
        const linear = tf.add(s.linear as tf.Tensor, tf.sub(gradToUse, tf.mul(sigma, w)));
        const quadratic = tf.add(tf.div(newPower, lr), twoL2);
        const wNew = tf.div(tf.sub(tf.clipByValue(linear, -l1, l1), linear), quadratic);
        updates.push(tf.sub(wNew, w));
        return { accumulator: newAccumulator, linear };
      });
      return { updates, state: next };
    },
  };
}
