/**
 * Keras's base-optimizer steps around a preset's core: clipping before it, decoupled weight decay, and gradient
 * accumulation (accumulate.ts) around all of them.
 */
import { tf } from '@opt/tensor';
import { accumulateGradients } from './accumulate.js';
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
