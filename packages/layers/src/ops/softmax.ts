/** The softmax output and its crossentropy: the fused softmax-crossentropy start of the backward pass. */
import { tf } from '@opt/tensor';
import { op } from './op.js';
import * as webgl from './webgl/softmax.js';

/** `softmax(z) = exp(z - max(z)) / sum(exp(z - max(z)))` over the last axis. */
export const softmax = op((z: tf.Tensor): tf.Tensor => tf.softmax(z, -1), [webgl.softmax]);

/** Where the crossentropy clips the normalized probabilities (Keras: [1e-7, 1 - 1e-7]). */
export interface Clip {
  readonly clipMin: number;
  readonly clipMax: number;
}

/**
 * Keras's crossentropy of `p = softmax(z)` against one-hot `y` [N, C], and its gradient with respect to the logits:
 * with `q = p / sum(p)` and `m_k = [clipMin <= q_k <= clipMax]` (where the clip passes its gradient, as
 * tf.clipByValue's does), value `-sum(y * log(clip(q))) / N` and `dL/dz = (p * sum_k(y_k m_k) - y * m) / N`, the
 * chain rule through the clip and the softmax; for an unclipped p it is `(p - y) / N`.
 */
export const softmaxCrossentropy = op(
  (y: tf.Tensor, p: tf.Tensor, clip: Clip): { value: tf.Scalar; grad: tf.Tensor } => {
    const n = p.size / (p.shape[p.rank - 1] as number);
    const normalized = tf.div(p, tf.sum(p, -1, true));
    const clipped = tf.clipByValue(normalized, clip.clipMin, clip.clipMax);
    const value = tf.mul(tf.sum(tf.mul(y, tf.log(clipped))), -1 / n) as tf.Scalar;
    const ym = tf.mul(y, tf.cast(tf.equal(clipped, normalized), 'float32'));
    const grad = tf.mul(tf.sub(tf.mul(p, tf.sum(ym, -1, true)), ym), 1 / n);
    return { value, grad };
  },
  [webgl.softmaxCrossentropy],
);

/** `t` as int32, without a Cast kernel when it is int32 already. */
function asInt32(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'int32' ? t : tf.cast(t, 'int32');
}

/**
 * The rows where `argmax(p) == argmax(y)` (one-hot `y`), or `argmax(p) == y` (`sparse`: class indices [N] or
 * [N, 1]), as a float32 scalar.
 */
export const correctCount = op(
  (y: tf.Tensor, p: tf.Tensor, sparse: boolean): tf.Scalar => {
    const predicted = tf.argMax(p, -1);
    const truth = sparse ? asInt32(tf.reshape(y, predicted.shape)) : tf.argMax(y, -1);
    return tf.sum(tf.cast(tf.equal(predicted, truth), 'float32')) as tf.Scalar;
  },
  [webgl.correctCount],
);
