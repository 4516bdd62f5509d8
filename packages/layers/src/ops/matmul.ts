/** The matrix products of Dense's backward pass, each with one operand transposed. */
import { tf } from '@opt/tensor';
import { op } from './op.js';
import * as wasm from './wasm/transposes.js';

/** `a^T b` (Dense's weight gradient `x^T dz`). */
export const matMulTransposeA = op(
  (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D => tf.matMul(a, b, true, false),
  [wasm.matMulTransposeA],
);

/** `a b^T` (Dense's input gradient `dz W^T`). */
export const matMulTransposeB = op(
  (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D => tf.matMul(a, b, false, true),
  [wasm.matMulTransposeB],
);
