/**
 * Keras's base-optimizer steps around a preset's core: clipping before it, decoupled weight decay, and gradient
 * accumulation around all of them.
 */
import { tf } from '@opt/tensor';
import type { ResolvedOptions } from './options.js';
import { chain, type GradientTransformation, roleOf, stateless } from './transform.js';
import { clipByGlobalNorm, clipByNorm, clipByValue } from './transforms/clipping.js';
import { addDecayedWeights } from './transforms/weight-decay.js';

/**
 * `core` with the options' clipping and weight decay (`decays(param)` false: not decayed). Refuses a transformation
 * that never applies the learning rate: its updates would be added to the weights and climb the loss.
 */
export function withBaseSteps(
  owner: string,
  core: GradientTransformation,
  options: ResolvedOptions,
  decays: (param: tf.Tensor) => boolean,
  weightDecayOf?: (param: tf.Tensor) => number | null,
): GradientTransformation {
  if (core === null || typeof core !== 'object' || typeof core.update !== 'function') {
    throw new TypeError(
      `${owner}: expected a gradient transformation such as chain(scaleByAdam(), scaleByLearningRate()).`,
    );
  }
  if (roleOf(core) !== 'learningRate') {
    throw new Error(
      `${owner}: the transformation ${core.name} never applies the learning rate, so its updates (directions in ` +
        'which the loss grows) would be added to the weights and training would climb the loss. End it with ' +
        'scaleByLearningRate(), e.g. chain(scaleByAdam(), scaleByLearningRate()).',
    );
  }
  const { clipnorm, globalClipnorm, clipvalue, weightDecay } = options;
  const parts: GradientTransformation[] = [];
  if (clipnorm !== null) parts.push(clipByNorm(clipnorm));
  else if (globalClipnorm !== null) parts.push(clipByGlobalNorm(globalClipnorm));
  else if (clipvalue !== null) parts.push(clipByValue(clipvalue));
  let step: GradientTransformation;
  if (weightDecayOf !== undefined) {
    if (core.readsParams === true)
      throw new Error(`${owner}: a per-variable weight decay needs a core that reads no weights.`);
    step = chainOrCore([...parts, decayEach(weightDecayOf, decays), core]);
  } else if (weightDecay !== null && weightDecay > 0 && core.readsParams === true) {
    step = chainOrCore([...parts, decayedBeforeUpdate(core, weightDecay, decays)]);
  } else {
    if (weightDecay !== null && weightDecay > 0) parts.push(addDecayedWeights(weightDecay, { mask: decays }));
    step = chainOrCore([...parts, core]);
  }
  const n = options.gradientAccumulationSteps;
  return n === null ? step : accumulateGradients(step, n);
}

/** The slot of {@link accumulateGradients}: the sum of the gradients since the last applied step. */
export const ACCUMULATOR_SLOT = 'gradientAccumulator';

/**
 * Keras 3's `gradient_accumulation_steps = n` around a whole step (clipping, decay and the core). `ctx.step` counts
 * calls (Keras's `_iterations`). On a call where `(calls + 1) % n != 0`: `accumulator += g` and a zero update, the
 * step's slots kept. Otherwise: `step` runs on `(g + accumulator) / n` with `ctx.step = floor(calls / n)` (Keras's
 * `iterations`, which the bias corrections read) and the learning rate read at the call count (Keras reads its
 * schedule at `_iterations`), then `accumulator = 0`.
 */
function accumulateGradients(step: GradientTransformation, n: number): GradientTransformation {
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

/**
 * Keras's `_apply_weight_decay` with a rate per variable (Muon's `weight_decay` and `adam_weight_decay`):
 * `w -= w * weightDecayOf(w) * lr` where `decays(w)`; null or 0 leaves `w` alone. A `'weights'` part.
 */
function decayEach(
  weightDecayOf: (param: tf.Tensor) => number | null,
  decays: (param: tf.Tensor) => boolean,
): GradientTransformation {
  return stateless(
    'decayEach',
    {},
    (updates, params, ctx) => ({
      updates: updates.map((u, i) => {
        const w = params[i] as tf.Tensor;
        const wd = decays(w) ? weightDecayOf(w) : null;
        return wd === null || wd === 0 ? u : tf.sub(u, tf.mul(w, tf.scalar(wd * ctx.learningRate)));
      }),
    }),
    'weights',
  );
}

function chainOrCore(parts: GradientTransformation[]): GradientTransformation {
  return parts.length === 1 ? (parts[0] as GradientTransformation) : chain(...parts);
}

/**
 * Keras's order for a core that reads the weights: `w' = w - w * wd * lr` first, then the core's update computed at
 * `w'`; the update returned is `(w' - w) + update`, so that the optimizer's `w + update` lands where Keras's does.
 */
function decayedBeforeUpdate(
  core: GradientTransformation,
  weightDecay: number,
  decays: (param: tf.Tensor) => boolean,
): GradientTransformation {
  return {
    ...core,
    update(grads, state, params, ctx) {
      const factor = tf.scalar(weightDecay * ctx.learningRate);
      const decayed = params.map((w) => (decays(w) ? tf.sub(w, tf.mul(w, factor)) : w));
      const r = core.update(grads, state, decayed, ctx);
      const updates = r.updates.map((u, i) => {
        const w = params[i] as tf.Tensor;
        const d = decayed[i] as tf.Tensor;
        return d === w ? u : tf.add(tf.sub(d, w), u);
      });
      return { updates, state: r.state };
    },
  };
}
