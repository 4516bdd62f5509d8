/** Picking rows of a dataset tensor for a batch, without copying the dataset. */
import { tf } from '@opt/tensor';
import { op } from './op.js';
import * as wasm from './wasm/rows.js';
import * as webgl from './webgl/rows.js';

export interface GatherRowsOptions {
  /** The rows feed a matrix product (the model's input): a backend may lay them out for one. */
  readonly forMatMul?: boolean;
}

/** The rows `indices` of `x` (axis 0), as a new tensor. */
export const gatherRows = op(
  (x: tf.Tensor, indices: Int32Array, _options: GatherRowsOptions = {}): tf.Tensor =>
    tf.tidy(() => tf.gather(x, tf.tensor1d(indices, 'int32'))),
  [webgl.gatherRows, wasm.gatherRows],
);

/** Rows [start, start + size) of `x` (options as {@link gatherRows}). */
export function sliceRows(x: tf.Tensor, start: number, size: number, options: GatherRowsOptions = {}): tf.Tensor {
  const indices = new Int32Array(size);
  for (let i = 0; i < size; i++) indices[i] = start + i;
  return gatherRows(x, indices, options);
}
