/** Dense's matrix products: the forward `activation(x W + b)`, and the backward pass's, each with one operand transposed. */
import { tf } from '@opt/tensor';
import { op } from './op.js';
import * as wasm from './wasm/transposes.js';
import * as webgl from './webgl/matmul.js';

/** `activation(x W + bias)` in one kernel, for the activations tfjs's fused matMul applies. */
export const denseForward = op(
  (
    x: tf.Tensor2D,
    kernel: tf.Tensor2D,
    bias: tf.Tensor | null,
    activation: 'linear' | 'relu' | 'sigmoid',
  ): tf.Tensor2D => tf.fused.matMul({ a: x, b: kernel, bias: bias ?? undefined, activation }) as tf.Tensor2D,
  [webgl.denseForward],
);

/** `a^T b` (Dense's weight gradient `x^T dz`). */
export const matMulTransposeA = op(
  (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D => tf.matMul(a, b, true, false),
  [webgl.matMulTransposeA, wasm.matMulTransposeA],
);

/** `a b^T` (Dense's input gradient `dz W^T`). */
export const matMulTransposeB = op(
  (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D => tf.matMul(a, b, false, true),
  [webgl.matMulTransposeB, wasm.matMulTransposeB],
);
