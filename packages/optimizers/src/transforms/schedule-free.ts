/** optax's schedule-free wrapper (Defazio et al. 2024). */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation, roleOf, type SlotState } from '../transform.js';
import { checkOptions, nonNegative, nonNegativeInteger, unitLeftOpen } from '../validate.js';

/** The slots the wrapper adds to its base's: `z`, and the two scalars of the average's weights. */
const OWN_SLOTS = ['z', 'weightSum', 'maxLr'] as const;

/**
 * optax's `contrib.schedule_free(base, learning_rate, b1, weight_lr_power)`, with the linear warmup of
 * `schedule_free_sgd` / `schedule_free_adamw` (`warmupSteps`). Three sequences: `z`, which the base optimizer steps
 * (`z = z + base(g)`, the base applying the learning rate); `x`, the weighted average of the `z`s, where to evaluate;
 * and `y = beta1 * x + (1 - beta1) * z`, the weights, where the gradients are taken. Only `y` and `z` are kept:
 * `x = (y - (1 - beta1) * z) / beta1` is recomputed (optax's `schedule_free_eval_params`, here
 * {@link scheduleFreeEvalParams}). At step `k = step` (0-based), with `lr` the optimizer's rate of this step:
 * `maxLr = max(maxLr, lr * w(k + 1))`; `weight = maxLr^weightLrPower`; `weightSum += weight`;
 * `ck = weight / weightSum` (0 when both are 0, optax's `nan_to_num`); the base steps `z` at the rate `lr * w(k)`;
 * `x = (1 - ck) * x + ck * z`; `y = beta1 * x + (1 - beta1) * z`; `update = y_new - y`. The warmup factor is
 * `w(s) = min(s, warmupSteps) / warmupSteps` (1 with `warmupSteps` 0, no warmup, as Keras's default; optax's
 * `warmup_steps=0` would keep the rate at 0): optax reads its warmup schedule at `step_count`
 * (from 1) for the weights and the base reads it at its own count (from 0), so the first step moves nothing and
 * weighs `(lr / warmupSteps)^weightLrPower`; both offsets are kept. Under a schedule of the optimizer the weights
 * read its value of this step (optax's `schedule_free` reads its `learning_rate` at `step_count`, one step later).
 * `weightSum` and `maxLr` are the same for every variable: each variable's record holds a copy (shape []), the step
 * reads the first variable's and writes the new values to all, so a step must pass every variable (as `fit` and
 * `minimize` do). It makes the whole update (role `'learningRate'`); `x` assumes the optimizer adds these updates to
 * the weights unchanged (no `'weights'` part after it). Slots: the base's, then `z` (starts at the weights),
 * `weightSum` and `maxLr` (start at 0). `owner` names the caller in the errors of bad arguments.
 */
export function scheduleFree(
  base: GradientTransformation,
  options: { beta1?: number; weightLrPower?: number; warmupSteps?: number } = {},
  owner = 'scheduleFree',
): GradientTransformation {
  if (base === null || typeof base !== 'object' || typeof base.update !== 'function') {
    throw new TypeError(`${owner}: \`base\` must be a gradient transformation such as scaleByLearningRate().`);
  }
  if (roleOf(base) !== 'learningRate') {
    throw new Error(
      `${owner}: the base ${base.name} must apply the learning rate (z steps by its updates), e.g. ` +
        'chain(scaleByDebiasedRms(), scaleByLearningRate()); it has none of its own momentum to turn off.',
    );
  }
  const clash = base.slotNames.filter((name) => (OWN_SLOTS as readonly string[]).includes(name));
  if (clash.length > 0) throw new Error(`${owner}: the base's slot names ${clash.join(', ')} are the wrapper's own.`);
  const o = checkOptions(owner, options, ['beta1', 'weightLrPower', 'warmupSteps']);
  const beta1 = unitLeftOpen(owner, 'beta1', o.beta1 ?? 0.9, '0.9');
  const power = nonNegative(owner, 'weightLrPower', o.weightLrPower ?? 2, '2');
  const warmup = nonNegativeInteger(owner, 'warmupSteps', o.warmupSteps ?? 0, '1000 (or 0 for none)');
  const warm = (s: number) => (warmup === 0 ? 1 : Math.min(s, warmup) / warmup);
  return {
    name: 'scheduleFree',
    config: { beta1, weightLrPower: power, warmupSteps: warmup, base: { name: base.name, config: base.config } },
    slotNames: [...base.slotNames, ...OWN_SLOTS],
    role: 'learningRate',
    init: (params) =>
      base.init(params).map((slots, i) => ({
        ...slots,
        z: tf.clone(params[i] as tf.Tensor),
        weightSum: tf.scalar(0),
        maxLr: tf.scalar(0),
      })),
    update(grads, state, params, ctx) {
      const first = state[0] as Record<string, tf.Tensor>;
      const maxLr = tf.maximum(first.maxLr as tf.Tensor, tf.scalar(ctx.learningRate * warm(ctx.step + 1)));
      const weight = tf.pow(maxLr, constantOf(ctx, power));
      const weightSum = tf.add(first.weightSum as tf.Tensor, weight);
      const ck = tf.where(tf.greater(weightSum, 0), tf.div(weight, weightSum), tf.zerosLike(weight));
      const oneMinusCk = tf.sub(constantOf(ctx, 1), ck);
      const baseState = state.map((s) => Object.fromEntries(base.slotNames.map((name) => [name, s[name]])));
      const baseCtx = warmup === 0 ? ctx : { ...ctx, learningRate: ctx.learningRate * warm(ctx.step) };
      const r = base.update(grads, baseState as SlotState, params, baseCtx);
      const [b1, c1] = [beta1, 1 - beta1].map((x) => constantOf(ctx, x)) as tf.Scalar[];
      const updates: tf.Tensor[] = [];
      const next = params.map((y, i) => {
        const zOld = state[i]?.z as tf.Tensor;
        const z = tf.add(zOld, r.updates[i] as tf.Tensor);
        const prevX = tf.div(tf.sub(y, tf.mul(c1 as tf.Scalar, zOld)), b1 as tf.Scalar);
        const x = tf.add(tf.mul(oneMinusCk, prevX), tf.mul(ck, z));
        updates.push(tf.sub(tf.add(tf.mul(b1 as tf.Scalar, x), tf.mul(c1 as tf.Scalar, z)), y));
        return { ...r.state[i], z, weightSum, maxLr };
      });
      return { updates, state: next };
    },
  };
}

/**
 * optax's `schedule_free_eval_params`: the averaged point `x = (y - (1 - beta1) * z) / beta1` of each weight `y`
 * (the variable) from its slot `z`, where a schedule-free run should be evaluated. New tensors (dispose them).
 */
export function scheduleFreeEvalParams(
  params: readonly tf.Tensor[],
  z: readonly tf.Tensor[],
  beta1: number,
): tf.Tensor[] {
  unitLeftOpen('scheduleFreeEvalParams', 'beta1', beta1, '0.9');
  return tf.tidy(() => params.map((y, i) => tf.div(tf.sub(y, tf.mul(1 - beta1, z[i] as tf.Tensor)), beta1)));
}
