/** Keras's Adafactor. */
import { tf } from '@opt/tensor';
import { optionOf } from '../catalog.js';
import { constantOf, type GradientTransformation } from '../transform.js';
import { catalogOption, checkOptions } from '../validate.js';

/** Arguments of {@link scaleByAdafactor}: Keras's Adafactor arguments in camelCase, with its defaults. */
export interface AdafactorArguments {
  beta2Decay?: number;
  epsilon1?: number;
  epsilon2?: number;
  clipThreshold?: number;
  relativeStep?: boolean;
}

const KEYS = ['beta2Decay', 'epsilon1', 'epsilon2', 'clipThreshold', 'relativeStep'] as const;

/** `sqrt(mean(x^2))` over every element. */
const rms = (x: tf.Tensor): tf.Tensor => tf.sqrt(tf.mean(tf.square(x)));

/**
 * Keras's Adafactor (Shazeer & Stern 2018), `t = step + 1`: `b = 1 - t^beta2Decay`; `q = g^2 + epsilon1`. For a
 * parameter of rank >= 2, factored over the last two axes: `r = b r + (1 - b) mean(q, -1)` (a value per row),
 * `c = b c + (1 - b) mean(q, -2)` (per column), `v = (r / mean(r, -1)) ⊗ c`; otherwise `v = b v + (1 - b) q`. Then
 * `u = g / sqrt(v)`, `uHat = u / max(1, rms(u) / clipThreshold)`, and
 * `w -= max(epsilon2, rms(w)) * min(lr, 1 / sqrt(t)) * uHat`. Keras takes `min(lr, 1 / sqrt(t))` whatever
 * `relativeStep` says (it caps a constant rate once more when true, which changes nothing); it is kept for the
 * config. The block applies the optimizer's rate itself. Slots: `velocityRows` and `velocityColumns` (Keras's r, c)
 * for a factored parameter, `velocity` otherwise; the unused ones are scalar zeros, and a factored parameter keeps
 * no full-size v (Keras stores one but rebuilds it from r and c each step).
 * `owner` names the caller in the errors of bad arguments (a preset passes its class name).
 */
export function scaleByAdafactor(options: AdafactorArguments = {}, owner = 'scaleByAdafactor'): GradientTransformation {
  const o = checkOptions(owner, options, KEYS);
  const value = <T extends number | boolean>(key: (typeof KEYS)[number]) =>
    catalogOption<T>(owner, optionOf('adafactor', key), o[key]);
  const beta2Decay = value<number>('beta2Decay');
  const epsilon1 = value<number>('epsilon1');
  const epsilon2 = value<number>('epsilon2');
  const clipThreshold = value<number>('clipThreshold');
  const relativeStep = value<boolean>('relativeStep');
  return {
    name: 'scaleByAdafactor',
    config: { beta2Decay, epsilon1, epsilon2, clipThreshold, relativeStep },
    slotNames: ['velocityRows', 'velocityColumns', 'velocity'],
    role: 'learningRate',
    readsParams: true,
    init: (params) =>
      params.map((p) => {
        if (p.rank < 2) return { velocityRows: tf.scalar(0), velocityColumns: tf.scalar(0), velocity: tf.zerosLike(p) };
        const rows = p.shape.slice(0, -1);
        const columns = [...p.shape.slice(0, -2), p.shape[p.rank - 1] as number];
        return { velocityRows: tf.zeros(rows), velocityColumns: tf.zeros(columns), velocity: tf.scalar(0) };
      }),
    update(grads, state, params, ctx) {
      const t = ctx.step + 1;
      const b = tf.scalar(1 - t ** beta2Decay);
      const oneMinusB = tf.scalar(t ** beta2Decay);
      const stepSize = tf.scalar(-Math.min(ctx.learningRate, 1 / Math.sqrt(t)));
      const eps1 = constantOf(ctx, epsilon1);
      const eps2 = constantOf(ctx, epsilon2);
      const one = constantOf(ctx, 1);
      const threshold = constantOf(ctx, clipThreshold);
      const average = (old: tf.Tensor, x: tf.Tensor) => tf.add(tf.mul(b, old), tf.mul(oneMinusB, x));
      const updates: tf.Tensor[] = [];
      const next = grads.map((g, i) => {
        const s = state[i] as Record<string, tf.Tensor>;
        const w = params[i] as tf.Tensor;
        const q = tf.add(tf.square(g), eps1);
        let slots: Record<string, tf.Tensor>;
        let v: tf.Tensor;
        if (w.rank >= 2) {
          const r = average(s.velocityRows as tf.Tensor, tf.mean(q, -1));
          const c = average(s.velocityColumns as tf.Tensor, tf.mean(q, -2));
          v = tf.mul(tf.expandDims(tf.div(r, tf.mean(r, -1, true)), -1), tf.expandDims(c, -2));
          slots = { velocityRows: r, velocityColumns: c, velocity: s.velocity as tf.Tensor };
        } else {
          v = average(s.velocity as tf.Tensor, q);
          slots = {
            velocityRows: s.velocityRows as tf.Tensor,
            velocityColumns: s.velocityColumns as tf.Tensor,
            velocity: v,
          };
        }
        const u = tf.div(g, tf.sqrt(v));
        const uHat = tf.div(u, tf.maximum(one, tf.div(rms(u), threshold)));
        const alpha = tf.mul(tf.maximum(eps2, rms(w)), stepSize);
        updates.push(tf.mul(alpha, uHat));
        return slots;
      });
      return { updates, state: next };
    },
  };
}
