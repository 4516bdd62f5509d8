/** optax's Lookahead wrapper (Zhang et al. 2019). */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation, roleOf, type SlotState } from '../transform.js';
import { boolean, checkOptions, positiveInteger, unitClosed } from '../validate.js';

/**
 * optax's `lookahead(fast_optimizer, sync_period, slow_step_size, reset_state)`: the variables hold the fast weights,
 * where the gradients are taken, and the slot `slow` the slow weights, where to evaluate. Each step `fast` (which must
 * apply the learning rate) proposes `u`; every `syncPeriod`-th step (`(step + 1) % syncPeriod == 0`, optax's
 * `steps_since_sync == sync_period - 1`) the slow weights move towards the fast ones and the fast ones jump there:
 * `d = w + u - slow`; `slow = slow + slowStepSize * d`; `update = u - (1 - slowStepSize) * d` (so `w + update` is
 * the new `slow`); other steps `update = u` and `slow` stays. With `resetState` the fast optimizer's slots start over
 * (its `init` at the fast weights) after each synchronization. `slow` assumes the optimizer adds these updates to the
 * weights unchanged (no `'weights'` part after it). Slots: the fast optimizer's, then `slow` (starts at the weights).
 * Wrap a preset's whole step with `lookahead(new Adam({ clipnorm: 1 }).transform, ...)` and give the learning rate
 * to the optimizer around it. `owner` names the caller in the errors of bad arguments.
 */
export function lookahead(
  fast: GradientTransformation,
  options: { syncPeriod?: number; slowStepSize?: number; resetState?: boolean } = {},
  owner = 'lookahead',
): GradientTransformation {
  if (fast === null || typeof fast !== 'object' || typeof fast.update !== 'function') {
    throw new TypeError(`${owner}: \`fast\` must be a gradient transformation such as new Adam().transform.`);
  }
  if (roleOf(fast) !== 'learningRate') {
    throw new Error(
      `${owner}: the fast optimizer ${fast.name} must apply the learning rate (the slow weights follow its steps), ` +
        'e.g. chain(scaleByAdam(), scaleByLearningRate()).',
    );
  }
  if (fast.slotNames.includes('slow'))
    throw new Error(`${owner}: the fast optimizer's slot name slow is the wrapper's.`);
  const o = checkOptions(owner, options, ['syncPeriod', 'slowStepSize', 'resetState']);
  const syncPeriod = positiveInteger(owner, 'syncPeriod', o.syncPeriod ?? 6, '6');
  const slowStepSize = unitClosed(owner, 'slowStepSize', o.slowStepSize ?? 0.5, '0.5');
  const resetState = boolean(owner, 'resetState', o.resetState ?? false);
  return {
    name: 'lookahead',
    config: { syncPeriod, slowStepSize, resetState, fast: { name: fast.name, config: fast.config } },
    slotNames: [...fast.slotNames, 'slow'],
    role: 'learningRate',
    init: (params) => fast.init(params).map((slots, i) => ({ ...slots, slow: tf.clone(params[i] as tf.Tensor) })),
    update(grads, state, params, ctx) {
      const fastState = state.map((s) => Object.fromEntries(fast.slotNames.map((name) => [name, s[name]])));
      const r = fast.update(grads, fastState as SlotState, params, ctx);
      // kept constants, made on the first step (not first on a sync step, which would look like a leak)
      const [a, oneMinusA] = [slowStepSize, 1 - slowStepSize].map((x) => constantOf(ctx, x)) as tf.Scalar[];
      if ((ctx.step + 1) % syncPeriod !== 0) {
        return { updates: r.updates, state: r.state.map((s, i) => ({ ...s, slow: state[i]?.slow as tf.Tensor })) };
      }
      const fresh = resetState ? fast.init(params) : r.state;
      const updates: tf.Tensor[] = [];
      const next = params.map((w, i) => {
        const u = r.updates[i] as tf.Tensor;
        const slow = state[i]?.slow as tf.Tensor;
        const d = tf.sub(tf.add(w, u), slow);
        updates.push(tf.sub(u, tf.mul(oneMinusA as tf.Scalar, d)));
        return { ...fresh[i], slow: tf.add(slow, tf.mul(a as tf.Scalar, d)) };
      });
      return { updates, state: next };
    },
  };
}
