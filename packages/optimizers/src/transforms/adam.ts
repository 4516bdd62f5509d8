/** Keras's Adam. */
import { tf } from '@opt/tensor';
import { adamDirection, adamUpdate, emaIncrement } from '../ops/index.js';
import { constantOf, type GradientTransformation } from '../transform.js';
import { boolean, checkOptions, positive, unitOpen } from '../validate.js';
import { checkRate, type OwnRate, ownRate, rateAt, roleWith, zeroSlots } from './common.js';

/**
 * Keras's Adam, "epsilon hat" form with the bias correction in the step size:
 * `m = m + (g - m) * (1 - beta1)`; `v = v + (g^2 - v) * (1 - beta2)`; amsgrad: `vHat = max(vHat, v)`, used for v;
 * `update = m * c / (sqrt(v) + eps)` with `c = sqrt(1 - beta2^t) / (1 - beta1^t)`. With `learningRate`, Keras's
 * `w -= m * alpha / (sqrt(v) + eps)`, `alpha = lr * c`: 12 operations per variable. Slots: `momentum`, `velocity`
 * (and `velocityHat`).
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByAdam(
  options: { beta1?: number; beta2?: number; epsilon?: number; amsgrad?: boolean; learningRate?: OwnRate } = {},
  owner = 'scaleByAdam',
): GradientTransformation {
  const o = checkOptions(owner, options, ['beta1', 'beta2', 'epsilon', 'amsgrad', 'learningRate']);
  const beta1 = unitOpen(owner, 'beta1', o.beta1 ?? 0.9, '0.9');
  const beta2 = unitOpen(owner, 'beta2', o.beta2 ?? 0.999, '0.999');
  const epsilon = positive(owner, 'epsilon', o.epsilon ?? 1e-7, '1e-7');
  const amsgrad = boolean(owner, 'amsgrad', o.amsgrad ?? false);
  checkRate(owner, o.learningRate);
  const names = amsgrad ? ['momentum', 'velocity', 'velocityHat'] : ['momentum', 'velocity'];
  return {
    name: 'scaleByAdam',
    config: { beta1, beta2, epsilon, amsgrad, ...ownRate(o.learningRate) },
    slotNames: names,
    role: roleWith(o.learningRate),
    init: zeroSlots(...names),
    update(grads, state, _params, ctx) {
      const t = ctx.step + 1;
      const c = Math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t);
      // negated so that the update is added (negation is exact)
      const stepSize = o.learningRate === undefined ? c : -rateAt(owner, o.learningRate, ctx) * c;
      const scalar = (value: number) => constantOf(ctx, value);
      if (!amsgrad) {
        const constants = { oneMinusBeta1: 1 - beta1, oneMinusBeta2: 1 - beta2, stepSize, epsilon };
        const steps = grads.map((g, i) => {
          const s = state[i] as Record<string, tf.Tensor>;
          return adamUpdate(g, s.momentum as tf.Tensor, s.velocity as tf.Tensor, constants, { gate: ctx.gate, scalar });
        });
        return {
          updates: steps.map((r) => r.update),
          state: steps.map((r) => ({ momentum: r.momentum, velocity: r.velocity })),
        };
      }
      const size = tf.scalar(stepSize);
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const m = emaIncrement(s.momentum as tf.Tensor, g, scalar(1 - beta1));
        const v = emaIncrement(s.velocity as tf.Tensor, tf.square(g), scalar(1 - beta2));
        const vHat = tf.maximum(s.velocityHat as tf.Tensor, v);
        updates.push(adamDirection(m, vHat, size, scalar(epsilon)));
        return { momentum: m, velocity: v, velocityHat: vHat };
      });
      return { updates, state: next };
    },
  };
}
