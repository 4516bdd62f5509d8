/**
 * What the tests of the Keras 3 presets share: Keras's golden protocol (`keras/src/optimizers/*_test.py`), a
 * small problem of two variables stepped next to a float64 reference, and the comparison.
 */
import { tf } from '@opt/tensor';
import { expect } from 'vitest';
import type { Optimizer } from '../index.js';

/** A variable of the reference: its shape and its values, row-major, as JS numbers (float64). */
export interface RefVariable {
  readonly shape: readonly number[];
  values: number[];
}

/** A reference step: new values of every variable from the gradients (`t` 1-based, `lr` the step's rate). */
export type RefStep = (vars: RefVariable[], grads: number[][], t: number, lr: number) => void;

export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number, what = ''): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const x = got[i] as number;
    const y = want[i] as number;
    if (!(Math.abs(x - y) <= tolerance * Math.max(1, Math.abs(y)))) {
      throw new Error(`${what} element ${i}: got ${x}, want ${y} (|diff| ${Math.abs(x - y)})`);
    }
  }
}

/** Keras's `assertAllClose(x, y, rtol, atol)`: `|x - y| <= atol + rtol * |y|` for each element. */
export function expectKerasClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const x = got[i] as number;
    const y = want[i] as number;
    if (!(Math.abs(x - y) <= tol + tol * Math.abs(y))) {
      throw new Error(`${what} element ${i}: got ${x}, Keras's golden ${y} (|diff| ${Math.abs(x - y)})`);
    }
  }
}

/**
 * Keras's golden test: `x = ones(10)`, one step with gradients 0.01, then five with `arange(0.1, 1.1, 0.1)`,
 * `x` checked against `golden[i]` before each of the five (Keras's tolerance: rtol = atol = 5e-4; its goldens are
 * rounded to 4 digits, so the float64 transcriptions are the tighter oracle).
 */
export function expectKerasGolden(opt: Optimizer, golden: number[][]): void {
  const x = tf.variable(tf.ones([10]));
  const first = tf.fill([10], 0.01);
  const grads = tf.tensor1d(Array.from({ length: 10 }, (_, i) => (i + 1) / 10));
  opt.applyGradients([[first, x]]);
  for (let i = 0; i < 5; i++) {
    const row = golden[i] as number[];
    expectKerasClose(x.dataSync(), row.length === 1 ? Array(10).fill(row[0]) : row, 5e-4, `golden row ${i}`);
    opt.applyGradients([[grads, x]]);
  }
  opt.dispose();
  tf.dispose([x, first, grads]);
}

/** Keras's single-step test: `vars` after one step with `grads`, to 1e-4. */
export function expectKerasSingleStep(
  opt: Optimizer,
  start: number[] | number[][],
  grads: number[] | number[][],
  want: number[] | number[][],
): void {
  const v = tf.variable(tf.tensor(start));
  const g = tf.tensor(grads);
  opt.applyGradients([[g, v]]);
  expectKerasClose(v.dataSync(), want.flat(), 1e-4, 'single step');
  opt.dispose();
  tf.dispose([v, g]);
}

/**
 * Keras's weight-decay test: a zero gradient, `weightDecay` 0.004 at lr 1, applied to var1 by three optimizers
 * (the second and third exclude var2 by name and var3 by variable): var1 = 2 * 0.996^3 = 1.9760959, var2 = var3 = 2.
 */
export function expectKerasWeightDecay(
  make: (options: { learningRate: number; weightDecay: number }) => Optimizer,
): void {
  const zero = tf.zeros([]);
  const var1 = tf.variable(tf.scalar(2));
  const var2 = tf.variable(tf.scalar(2), true, 'exclude');
  const var3 = tf.variable(tf.scalar(2));
  const o1 = make({ learningRate: 1, weightDecay: 0.004 });
  o1.applyGradients([[zero, var1]]);
  const o2 = make({ learningRate: 1, weightDecay: 0.004 }) as Optimizer & {
    excludeFromWeightDecay(o: { variables?: tf.Variable[]; varNames?: string[] }): void;
  };
  o2.excludeFromWeightDecay({ varNames: ['exclude'] });
  o2.applyGradients([
    [zero, var1],
    [zero, var2],
  ]);
  const o3 = make({ learningRate: 1, weightDecay: 0.004 }) as typeof o2;
  o3.excludeFromWeightDecay({ variables: [var3] });
  o3.applyGradients([
    [zero, var1],
    [zero, var3],
  ]);
  expect(var1.dataSync()[0]).toBeCloseTo(1.9760959, 6);
  expect(var2.dataSync()[0]).toBeCloseTo(2, 6);
  expect(var3.dataSync()[0]).toBeCloseTo(2, 6);
  for (const o of [o1, o2, o3]) o.dispose();
  tf.dispose([zero, var1, var2, var3]);
}

/** The small problem: a vector of 5 and a 3x4 matrix, mixed signs and sizes. */
export const SHAPES: ReadonlyArray<readonly number[]> = [[5], [3, 4]];
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const start = (k: number, shape: readonly number[]) =>
  Array.from({ length: size(shape) }, (_, i) => Math.cos(0.7 * (i + 1) + k) * (1 + 0.3 * i) * 0.8);
/** Gradient of variable k at step s (0-based): deterministic, mixed signs, one exact zero at step 2. */
export const gradient = (k: number, s: number, shape: readonly number[]): number[] =>
  Array.from({ length: size(shape) }, (_, i) =>
    s === 2 && i === 1 ? 0 : Math.sin(1.3 * (s + 1) * (i + 1) + k) * (1 + (i % 3)) * 0.6,
  );

/**
 * Runs `steps` steps of `opt` on the small problem and `ref` beside it on float64 numbers; checks every variable
 * after each step to `tolerance` (relative, absolute below 1).
 */
export function expectReference(
  opt: Optimizer,
  ref: RefStep,
  options: { steps?: number; learningRate?: (step: number) => number; tolerance?: number } = {},
): void {
  const steps = options.steps ?? 6;
  const lrAt = options.learningRate ?? (() => 0.001);
  const vars = SHAPES.map((shape, k) => tf.variable(tf.tensor(start(k, shape), [...shape]), true, `v${k}`));
  const refVars: RefVariable[] = SHAPES.map((shape, k) => ({ shape, values: start(k, shape) }));
  for (let s = 0; s < steps; s++) {
    const g = SHAPES.map((shape, k) => gradient(k, s, shape));
    const tensors = g.map((values, k) => tf.tensor(values, [...(SHAPES[k] as number[])]));
    opt.applyGradients(tensors.map((t, k) => [t, vars[k] as tf.Variable] as const));
    tf.dispose(tensors);
    ref(refVars, g, s + 1, lrAt(s));
    vars.forEach((v, k) => {
      expectClose(v.dataSync(), (refVars[k] as RefVariable).values, options.tolerance ?? 1e-6, `step ${s + 1} v${k}`);
    });
  }
  opt.dispose();
  tf.dispose(vars);
}

/** Per-element state of a reference, one array per variable. */
export const zerosLike = (vars: readonly RefVariable[], value = 0): number[][] =>
  vars.map((v) => v.values.map(() => value));
export const norm = (x: readonly number[]): number => Math.sqrt(x.reduce((a, b) => a + b * b, 0));
export const rms = (x: readonly number[]): number => Math.sqrt(x.reduce((a, b) => a + b * b, 0) / x.length);
