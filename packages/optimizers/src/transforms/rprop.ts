/** PyTorch's Rprop. */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation } from '../transform.js';
import { checkOptions, positive } from '../validate.js';

/** Arguments of {@link scaleByRprop}: PyTorch's Rprop arguments in camelCase. */
export interface RpropArguments {
  /** The step size every element starts with (PyTorch's `lr`, read once, when the slots are made). */
  initialStepSize: number;
  /** Factor of a step size whose gradient changed sign, in (0, 1) (PyTorch's `etas[0]`). */
  etaminus?: number;
  /** Factor of a step size whose gradient kept its sign, > 1 (PyTorch's `etas[1]`). */
  etaplus?: number;
  /** `[min, max]` of the step sizes (PyTorch's `step_sizes`). */
  stepSizes?: readonly [number, number];
}

/** Checks Rprop's arguments the way PyTorch does (`0 < etaminus < 1 < etaplus`), plus `0 <= min <= max`. */
function checkRprop(owner: string, a: Omit<RpropArguments, 'initialStepSize'>) {
  const etaminus = a.etaminus ?? 0.5;
  const etaplus = a.etaplus ?? 1.2;
  if (typeof etaminus !== 'number' || !(etaminus > 0 && etaminus < 1)) {
    throw new RangeError(`${owner}: \`etaminus\` must be in (0, 1), got ${String(etaminus)}. Pass e.g. 0.5.`);
  }
  if (typeof etaplus !== 'number' || !(etaplus > 1 && Number.isFinite(etaplus))) {
    throw new RangeError(`${owner}: \`etaplus\` must be a finite number > 1, got ${String(etaplus)}. Pass e.g. 1.2.`);
  }
  const sizes = a.stepSizes ?? [1e-6, 50];
  const [min, max] = Array.isArray(sizes) ? sizes : [];
  if (
    sizes.length !== 2 ||
    typeof min !== 'number' ||
    typeof max !== 'number' ||
    !(min >= 0 && min <= max && Number.isFinite(max))
  ) {
    throw new RangeError(
      `${owner}: \`stepSizes\` must be [min, max] with 0 <= min <= max, got ${JSON.stringify(sizes)}. Pass e.g. [1e-6, 50].`,
    );
  }
  return { etaminus, etaplus, stepSizes: [min, max] as [number, number] };
}

/**
 * PyTorch's Rprop (Riedmiller and Braun 1993, `torch.optim.Rprop` 1.13, the variant without backtracking): per
 * element, `s = sign(g * prev)`; the step size is multiplied by `etaplus` where `s > 0`, by `etaminus` where `s < 0`,
 * kept where `s = 0`, then clipped to `stepSizes`; where `s < 0` the gradient is taken as 0 (no step, and the next
 * step counts as a fresh start); `update = -sign(g) * stepSize`; `prev = g` (that 0 included). Only signs matter,
 * so it suits full-batch gradients (the chapter's batch gradient descent), not noisy minibatches. It makes the
 * whole update (role `'learningRate'`): the learning rate is the initial step size, read once. Slots: PyTorch's
 * state names, `prev` and `stepSize`.
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByRprop(options: RpropArguments, owner = 'scaleByRprop'): GradientTransformation {
  const o = checkOptions(owner, options, ['initialStepSize', 'etaminus', 'etaplus', 'stepSizes']);
  const initialStepSize = positive(owner, 'initialStepSize', o.initialStepSize, '0.01');
  const { etaminus, etaplus, stepSizes } = checkRprop(owner, o);
  const [min, max] = stepSizes;
  return {
    name: 'scaleByRprop',
    config: { initialStepSize, etaminus, etaplus, stepSizes: [min, max] },
    slotNames: ['prev', 'stepSize'],
    role: 'learningRate',
    init: (params) => params.map((p) => ({ prev: tf.zerosLike(p), stepSize: tf.fill(p.shape, initialStepSize) })),
    update(grads, state, _params, ctx) {
      const [zero, one, plus, minus] = [0, 1, etaplus, etaminus].map((x) => constantOf(ctx, x)) as tf.Scalar[];
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const sign = tf.sign(tf.mul(g, s.prev as tf.Tensor));
        const flipped = tf.less(sign, zero as tf.Scalar);
        const factor = tf.where(
          tf.greater(sign, zero as tf.Scalar),
          plus as tf.Scalar,
          tf.where(flipped, minus as tf.Scalar, one as tf.Scalar),
        );
        const stepSize = tf.clipByValue(tf.mul(s.stepSize as tf.Tensor, factor), min, max);
        const kept = tf.where(flipped, zero as tf.Scalar, g);
        updates.push(tf.neg(tf.mul(tf.sign(kept), stepSize)));
        return { prev: kept, stepSize };
      });
      return { updates, state: next };
    },
  };
}
