/** Shared checks of the layer tests: seeded matrices, float64 finite differences, a backward pass against tf.grad. */
import { Random, tf } from '@opt/tensor';
import { expect } from 'vitest';
import type { Layer } from '../layers/index.js';

/** Rows x cols float64 values from a seeded stream. */
export function randomMatrix(seed: number, rows: number, cols: number, scale = 1): number[][] {
  const r = new Random(seed);
  return Array.from({ length: rows }, () => Array.from(r.normal(cols, 0, scale), Number));
}

export function toTensor(m: number[][]): tf.Tensor2D {
  return tf.tensor2d(m);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

/** Central differences of f at each entry of `params` (float64, in place). */
export function finiteDifferences(params: number[][], f: () => number, h = 1e-6): number[] {
  const out: number[] = [];
  for (const row of params) {
    for (let j = 0; j < row.length; j++) {
      const keep = row[j] as number;
      row[j] = keep + h;
      const up = f();
      row[j] = keep - h;
      const down = f();
      row[j] = keep;
      out.push((up - down) / (2 * h));
    }
  }
  return out;
}

/**
 * The hand-written backward pass of a layer without trainable weights against tf.grad of `plain`, the same
 * function written in plain tfjs ops, for L = sum(y * r): forward values, dL/dx from backward(), and dL/dx
 * through apply() (the customGrad path).
 */
export function checkBackward(
  layer: Layer,
  x: tf.Tensor,
  plain: (x: tf.Tensor) => tf.Tensor,
  tolerance = 1e-5,
  beforeEach: () => void = () => {},
): void {
  const r = tf.tensor(new Random(77).normal(plain(x).size), plain(x).shape);
  const auto = () =>
    tf
      .grad((a: tf.Tensor) => tf.sum(tf.mul(plain(a), r)))(x)
      .dataSync();
  beforeEach();
  const { y, cache } = layer.forward(x, true);
  expect(maxAbsDiff(y.dataSync(), plain(x).dataSync())).toBeLessThan(tolerance);
  const { dx, grads } = layer.backward(r, cache, true);
  expect(grads).toEqual([]);
  expect(maxAbsDiff(dx?.dataSync() ?? [], auto())).toBeLessThan(tolerance);
  beforeEach();
  const viaApply = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a, { training: true }), r)))(x);
  expect(maxAbsDiff(viaApply.dataSync(), auto())).toBeLessThan(tolerance);
}
