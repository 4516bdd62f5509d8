/**
 * Where a step's results are written: optax's `apply_updates`, and the gate of the non-finite guard's verdict when it
 * stays on the device. The only place where new values go through a gate.
 */
import { tf } from '@opt/tensor';
import { APPLY_UPDATES, webglOps } from './webgl-programs.js';

/** Values a kernel computed through a gate (old values when it was shut), by that gate: selecting again is a no-op. */
const throughGate = new WeakMap<tf.Tensor, tf.Tensor>();

/** Records that `t` already keeps its old value when `gate` is shut (a fused kernel took the gate). */
export function passedGate(t: tf.Tensor, gate: tf.Tensor): tf.Tensor {
  throughGate.set(t, gate);
  return t;
}

/**
 * optax's `apply_updates`: `params + updates`. With a gate (a bool scalar on the device), `gate ? params + updates :
 * params`: a shut gate writes nothing.
 */
export function applyUpdates(
  params: readonly tf.Tensor[],
  updates: readonly tf.Tensor[],
  gate: tf.Tensor | null = null,
): tf.Tensor[] {
  if (gate === null || !webglOps()) return applyUpdatesReference(params, updates, gate);
  return params.map(
    (w, i) => tf.engine().runKernel(APPLY_UPDATES, { w, u: updates[i] as tf.Tensor, gate }) as tf.Tensor,
  );
}

/** {@link applyUpdates} in tfjs ops, on every backend. */
export function applyUpdatesReference(
  params: readonly tf.Tensor[],
  updates: readonly tf.Tensor[],
  gate: tf.Tensor | null = null,
): tf.Tensor[] {
  return params.map((p, i) => {
    const next = tf.add(p, updates[i] as tf.Tensor);
    return gate === null ? next : tf.where(gate, next, p);
  });
}

/** `gate ? next : old` for values replaced rather than added (slots, moving averages); no gate: `next`. */
export function keepWhenShut(gate: tf.Tensor | null, next: tf.Tensor, old: tf.Tensor): tf.Tensor {
  if (gate === null || next === old || throughGate.get(next) === gate) return next;
  return tf.where(gate, next, old);
}
