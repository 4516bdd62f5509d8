/** Reductions over the batch axis, as the backward passes and BatchNormalization take them. */
import { tf } from '@opt/tensor';
import { op } from './op.js';
import * as webgl from './webgl/packed-forms.js';

/** `sum_batch t` for `t` of shape [N, c]: shape [c]. */
export const batchSum = op((t: tf.Tensor): tf.Tensor => tf.sum(t, 0), [webgl.batchSum]);

/** `mean_batch t = sum_batch t / N` for `t` of shape [N, c]: shape [c]. */
export const batchMean = op((t: tf.Tensor): tf.Tensor => tf.mean(t, 0), [webgl.batchMean]);

/** The relu mask `[y > 0]` as float32: relu's gradient is `dy * [y > 0]`. */
export const reluMask = op((y: tf.Tensor): tf.Tensor => tf.step(y), [webgl.reluMask]);
