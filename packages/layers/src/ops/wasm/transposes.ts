/** wasm's kernels for the transposed products: an explicit transpose, then a plain matMul (README: why). */
import { tf } from '@opt/tensor';
import { wasmBackend } from './backend.js';

export function matMulTransposeA(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D | null {
  return wasmBackend() === null ? null : (tf.matMul(tf.transpose(a), b) as tf.Tensor2D);
}

export function matMulTransposeB(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D | null {
  return wasmBackend() === null ? null : (tf.matMul(a, tf.transpose(b)) as tf.Tensor2D);
}
