/**
 * Keras 3's `gradient_accumulation_steps`: the transformation that sums the gradients of n calls and steps once on
 * their mean, and the step count that goes with it (`iterations` counts applied steps, not calls).
 */
import { tf } from '@opt/tensor';
import type { GradientTransformation } from './transform.js';

/** The slot of {@link accumulateGradients}: the sum of the gradients since the last applied step. */
export const ACCUMULATOR_SLOT = 'gradientAccumulator';

/**
 * Keras 3's `gradient_accumulation_steps = n` around a whole step (clipping, decay and the core). `ctx.step` counts
 * calls (Keras's `_iterations`). On a call where `(calls + 1) % n != 0`: `accumulator += g` and a zero update, the
 * step's slots kept. Otherwise: `step` runs on `(g + accumulator) / n` with `ctx.step = floor(calls / n)` (Keras's
 * `iterations`, which the bias corrections read) and the learning rate read at the call count (Keras reads its
 * schedule at `_iterations`), then `accumulator = 0`.
 */
export function accumulateGradients(step: GradientTransformation, n: number): GradientTransformation {
  if (step.slotNames.includes(ACCUMULATOR_SLOT)) {
    throw new Error(`gradientAccumulationSteps: the slot name ${ACCUMULATOR_SLOT} is taken by ${step.name}.`);
  }
  return {
    ...step,
    name: 'accumulateGradients',
    config: { gradientAccumulationSteps: n, step: { name: step.name, config: step.config } },
    slotNames: [...step.slotNames, ACCUMULATOR_SLOT],
    init: (params) =>
      step.init(params).map((slots, i) => ({ ...slots, [ACCUMULATOR_SLOT]: tf.zerosLike(params[i] as tf.Tensor) })),
    update(grads, state, params, ctx) {
      const accumulated = state.map((s) => s[ACCUMULATOR_SLOT] as tf.Tensor);
      if ((ctx.step + 1) % n !== 0) {
        return {
          updates: grads.map((g) => tf.zerosLike(g)),
          state: state.map((s, i) => ({
            ...s,
            [ACCUMULATOR_SLOT]: tf.add(grads[i] as tf.Tensor, accumulated[i] as tf.Tensor),
          })),
        };
      }
      const steps = tf.scalar(n);
      const mean = grads.map((g, i) => tf.div(tf.add(g, accumulated[i] as tf.Tensor), steps));
      const own = state.map((s) => Object.fromEntries(step.slotNames.map((name) => [name, s[name] as tf.Tensor])));
      const r = step.update(mean, own, params, { ...ctx, step: Math.floor(ctx.step / n) });
      return {
        updates: r.updates,
        state: r.state.map((s, i) => ({ ...s, [ACCUMULATOR_SLOT]: tf.zerosLike(params[i] as tf.Tensor) })),
      };
    },
  };
}

/** Keras's `iterations` after `calls` calls to `applyGradients`: `floor(calls / n)` with accumulation over n, else `calls`. */
export function kerasIterations(calls: number, n: number | null): number {
  return n === null ? calls : Math.floor(calls / n);
}
