/** Keras's three gradient clippings. */
import { tf } from '@opt/tensor';
import { constantOf, type GradientTransformation, stateless } from '../transform.js';
import { positive } from '../validate.js';

/** Keras's `clipvalue`: `g = clip(g, -value, value)`. */
export function clipByValue(value: number): GradientTransformation {
  positive('clipByValue', 'clipvalue', value, '1');
  return stateless('clipByValue', { clipvalue: value }, (grads) => ({
    updates: grads.map((g) => tf.clipByValue(g, -value, value)),
  }));
}

/** Keras's `clipnorm`, per variable: `g = g * c / max(||g||_2, c)`. */
export function clipByNorm(clipnorm: number): GradientTransformation {
  positive('clipByNorm', 'clipnorm', clipnorm, '1');
  return stateless('clipByNorm', { clipnorm }, (grads, _params, ctx) => {
    const c = constantOf(ctx, clipnorm);
    return { updates: grads.map((g) => tf.div(tf.mul(g, c), tf.maximum(tf.sqrt(tf.sum(tf.square(g))), c))) };
  });
}

/**
 * Keras's `global_clipnorm`: `n = sqrt(sum_i ||g_i||^2)`; `g_i = g_i * c * min(1 / n, 1 / c)`, plus `n - n` so that
 * a non-finite norm makes every update NaN instead of passing through.
 */
export function clipByGlobalNorm(clipnorm: number): GradientTransformation {
  positive('clipByGlobalNorm', 'globalClipnorm', clipnorm, '1');
  return stateless('clipByGlobalNorm', { globalClipnorm: clipnorm }, (grads, _params, ctx) => {
    if (grads.length === 0) return { updates: [] };
    const squares = grads.map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(squares.length === 1 ? (squares[0] as tf.Tensor) : tf.addN(squares));
    const scale = tf.add(
      tf.mul(constantOf(ctx, clipnorm), tf.minimum(tf.div(constantOf(ctx, 1), norm), constantOf(ctx, 1 / clipnorm))),
      tf.sub(norm, norm),
    );
    return { updates: grads.map((g) => tf.mul(g, scale)) };
  });
}
