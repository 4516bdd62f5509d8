/** optax's Prodigy (Mishchenko and Defazio 2023). */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation } from '../transform.js';
import { boolean, checkOptions, nonNegative, positive, unitOpen } from '../validate.js';

/** The arguments of {@link scaleByProdigy}: optax's `prodigy` arguments in camelCase (`betas` as two numbers). */
export interface ProdigyArguments {
  beta1?: number;
  beta2?: number;
  /** Decay of the distance estimate's sums; null or absent: `sqrt(beta2)`. */
  beta3?: number | null;
  epsilon?: number;
  /** The first (under-)estimate of `d` (optax's `estim_lr0`). */
  estimLr0?: number;
  /** Each new estimate of `d` is multiplied by this (optax's `estim_lr_coef`). */
  estimLrCoef?: number;
  /** AdamW-style decay inside the step: `-weightDecay * dlr * w`. */
  weightDecay?: number;
  /** Leave the learning rate out of the denominator's sum, for warmups (optax's `safeguard_warmup`). */
  safeguardWarmup?: boolean;
  /** `mask(param, index)` false: no weight decay for that parameter (the optimizer's `excludeFromWeightDecay`). */
  mask?: (param: tf.Tensor, index: number) => boolean;
}

/**
 * optax's `contrib.prodigy`: Adam whose step size `d` (optax's `estim_lr`) is learned from how far the weights
 * moved from where they started. With `t = step + 1`, `lr` the optimizer's rate (a multiplier of `d`, 1 by default),
 * sums over every element of every parameter: `bc = sqrt(1 - beta2^t) / (1 - beta1^t)`; `dlr = d * lr * bc`;
 * `dg = d * g`; `expAvg = beta1 * expAvg + (1 - beta1) * dg`; `expAvgSq = beta2 * expAvgSq + (1 - beta2) * dg^2`;
 * `gradSum = beta3 * gradSum + (safeguardWarmup ? d : dlr) * dg / estimLr0`;
 * `numeratorWeighted = beta3 * numeratorWeighted + (d / estimLr0) * dlr * sum(g * (params0 - w))`;
 * `d = max(d, estimLrCoef * numeratorWeighted / sum(|gradSum|))`;
 * `update = -weightDecay * dlr * w - dlr * expAvg / (sqrt(expAvgSq) + dNew * epsilon)` (the new `d` in the epsilon
 * term, the old in `dlr`, as optax). An all-zero first gradient makes `d` NaN (0 / 0), as in optax. `d` and
 * `numeratorWeighted` are global: each variable's record holds a copy (shape []), the step reads the first
 * variable's and writes the new values to all, so a step must pass every variable (as `fit` and `minimize` do).
 * It applies the learning rate itself (role `'learningRate'`). Slots: optax's names, `expAvg`, `expAvgSq`, `gradSum`,
 * `params0` (the weights when built), `estimLr` (`d`) and `numeratorWeighted`.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByProdigy(options: ProdigyArguments = {}, owner = 'scaleByProdigy'): GradientTransformation {
  const o = checkOptions(owner, options, [
    'beta1',
    'beta2',
    'beta3',
    'epsilon',
    'estimLr0',
    'estimLrCoef',
    'weightDecay',
    'safeguardWarmup',
    'mask',
  ]);
  const beta1 = unitOpen(owner, 'beta1', o.beta1 ?? 0.9, '0.9');
  const beta2 = unitOpen(owner, 'beta2', o.beta2 ?? 0.999, '0.999');
  const beta3Given = o.beta3 ?? null;
  const beta3 = beta3Given === null ? Math.sqrt(beta2) : unitOpen(owner, 'beta3', beta3Given, 'null (sqrt(beta2))');
  const epsilon = positive(owner, 'epsilon', o.epsilon ?? 1e-8, '1e-8');
  const estimLr0 = positive(owner, 'estimLr0', o.estimLr0 ?? 1e-6, '1e-6');
  const estimLrCoef = positive(owner, 'estimLrCoef', o.estimLrCoef ?? 1, '1');
  const weightDecay = nonNegative(owner, 'weightDecay', o.weightDecay ?? 0, '0');
  const safeguardWarmup = boolean(owner, 'safeguardWarmup', o.safeguardWarmup ?? false);
  const { mask } = o;
  return {
    name: 'scaleByProdigy',
    config: { beta1, beta2, beta3: beta3Given, epsilon, estimLr0, estimLrCoef, weightDecay, safeguardWarmup },
    slotNames: ['expAvg', 'expAvgSq', 'gradSum', 'params0', 'estimLr', 'numeratorWeighted'],
    role: 'learningRate',
    init: (params) =>
      params.map((p) => ({
        expAvg: tf.zerosLike(p),
        expAvgSq: tf.zerosLike(p),
        gradSum: tf.zerosLike(p),
        params0: tf.clone(p),
        estimLr: tf.scalar(estimLr0),
        numeratorWeighted: tf.scalar(0),
      })),
    update(grads, state, params, ctx) {
      const t = ctx.step + 1;
      const bc = Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t);
      const first = state[0] as Record<string, tf.Tensor>;
      const d = first.estimLr as tf.Tensor;
      const dlr = tf.mul(d, tf.scalar(ctx.learningRate * bc));
      const [b1, c1, b2, c2, b3, lr0] = [beta1, 1 - beta1, beta2, 1 - beta2, beta3, estimLr0].map((x) =>
        constantOf(ctx, x),
      ) as tf.Scalar[];
      const gradScale = tf.div(safeguardWarmup ? d : dlr, lr0 as tf.Scalar);
      const dots: tf.Tensor[] = [];
      const moments = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const w = params[i] as tf.Tensor;
        dots.push(tf.sum(tf.mul(g, tf.sub(s.params0 as tf.Tensor, w))));
        const dg = tf.mul(d, g);
        return {
          expAvg: tf.add(tf.mul(b1 as tf.Scalar, s.expAvg as tf.Tensor), tf.mul(c1 as tf.Scalar, dg)),
          expAvgSq: tf.add(tf.mul(b2 as tf.Scalar, s.expAvgSq as tf.Tensor), tf.mul(c2 as tf.Scalar, tf.mul(dg, dg))),
          gradSum: tf.add(tf.mul(b3 as tf.Scalar, s.gradSum as tf.Tensor), tf.mul(gradScale, dg)),
          params0: s.params0 as tf.Tensor,
        };
      });
      const numeratorAcum = dots.length === 1 ? (dots[0] as tf.Tensor) : tf.addN(dots);
      const numeratorWeighted = tf.add(
        tf.mul(b3 as tf.Scalar, first.numeratorWeighted as tf.Tensor),
        tf.mul(tf.mul(tf.div(d, lr0 as tf.Scalar), dlr), numeratorAcum),
      );
      const sums = moments.map((m) => tf.sum(tf.abs(m.gradSum)));
      const denominator = sums.length === 1 ? (sums[0] as tf.Tensor) : tf.addN(sums);
      const estimate = tf.div(tf.mul(constantOf(ctx, estimLrCoef), numeratorWeighted), denominator);
      const estimLr = tf.maximum(d, estimate);
      const epsTerm = tf.mul(estimLr, constantOf(ctx, epsilon));
      const decay = weightDecay === 0 ? null : tf.mul(dlr, constantOf(ctx, -weightDecay));
      const negDlr = tf.neg(dlr);
      const updates = moments.map((m, i) => {
        const w = params[i] as tf.Tensor;
        const step = tf.div(tf.mul(negDlr, m.expAvg), tf.add(tf.sqrt(m.expAvgSq), epsTerm));
        return decay === null || (mask !== undefined && !mask(w, i)) ? step : tf.add(tf.mul(decay, w), step);
      });
      return { updates, state: moments.map((m) => ({ ...m, estimLr, numeratorWeighted })) };
    },
  };
}
