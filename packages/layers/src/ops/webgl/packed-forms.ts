/**
 * WebGL's kernels for the batch sums and the relu mask: forms that stay on its packed textures, where tfjs's Sum
 * and Step run on unpacked ones, each with an unpack before and a pack after (README: the programs they save).
 */
import { isWebGLBackend, tf } from '@opt/tensor';
import { keptConstant } from './kept.js';
import { matMul } from './matmul.js';

/** `sum_batch t` as the matrix product `ones(1, N) x t` (ours where it takes the operands, else tfjs's). */
export function batchSum(t: tf.Tensor): tf.Tensor | null {
  if (!isWebGLBackend()) return null;
  const [n, c] = t.shape as [number, number];
  const ones = keptConstant(`ones${n}`, () => tf.ones([1, n])) as tf.Tensor2D;
  return tf.reshape(matMul(ones, t as tf.Tensor2D) ?? tf.matMul(ones, t as tf.Tensor2D), [c]);
}

/** `mean_batch t` as `batchSum(t) / N`. */
export function batchMean(t: tf.Tensor): tf.Tensor | null {
  const sum = batchSum(t);
  if (sum === null) return null;
  return tf.div(
    sum,
    keptConstant(`n${t.shape[0]}`, () => tf.scalar(t.shape[0] as number)),
  );
}

/** `[y > 0]` as a packed comparison and cast. */
export function reluMask(y: tf.Tensor): tf.Tensor | null {
  if (!isWebGLBackend()) return null;
  return tf.cast(
    tf.greater(
      y,
      keptConstant('zero', () => tf.scalar(0)),
    ),
    'float32',
  );
}
