/**
 * A user's view: `import { Adam } from '@opt/optimizers'` (the built package,
 * resolved by name) trains a small tfjs-core model written with tf.variable.
 */
import { Adam, SGD } from '@opt/optimizers';
import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, expect, it } from 'vitest';

beforeAll(() => useTestBackend());

it('Adam trains a 2-layer MLP on y = sin(3x) to a mean squared error below 0.01', () => {
  const random = new Random(7);
  const n = 128;
  const xs = Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
  const x = tf.tensor2d(xs, [n, 1]);
  const y = tf.tensor2d(
    xs.map((v) => Math.sin(3 * v)),
    [n, 1],
  );
  const w1 = tf.variable(tf.tensor2d(random.normal(32, 0, 1.5), [1, 32]));
  const b1 = tf.variable(tf.zeros([32]));
  const w2 = tf.variable(tf.tensor2d(random.normal(32, 0, 0.2), [32, 1]));
  const b2 = tf.variable(tf.zeros([1]));
  const loss = () =>
    tf.mean(tf.square(tf.sub(tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, w1), b1)), w2), b2), y))) as tf.Scalar;
  const opt = new Adam({ learningRate: 0.02 });
  let last = Number.POSITIVE_INFINITY;
  for (let step = 0; step < 400; step++) {
    const l = opt.minimize(loss, [w1, b1, w2, b2]);
    if (step === 399) last = l.dataSync()[0] as number;
    l.dispose();
  }
  expect(opt.iterations).toBe(400);
  expect(last).toBeLessThan(0.01);
  opt.dispose();
  tf.dispose([x, y, w1, b1, w2, b2]);
});

it('SGD with momentum fits a linear regression to its closed-form solution', () => {
  const xs = [0, 1, 2, 3, 4];
  const ys = [1, 3.1, 4.9, 7.2, 9];
  const x = tf.tensor2d(xs, [5, 1]);
  const y = tf.tensor2d(ys, [5, 1]);
  // least squares: slope = sum((x - mx)(y - my)) / sum((x - mx)^2), intercept = my - slope * mx
  const mx = xs.reduce((a, v) => a + v, 0) / 5;
  const my = ys.reduce((a, v) => a + v, 0) / 5;
  const slope =
    xs.reduce((a, v, i) => a + (v - mx) * ((ys[i] as number) - my), 0) / xs.reduce((a, v) => a + (v - mx) ** 2, 0);
  const intercept = my - slope * mx;
  const w = tf.variable(tf.zeros([1, 1]));
  const b = tf.variable(tf.zeros([1]));
  const opt = new SGD({ learningRate: 0.05, momentum: 0.9 });
  for (let i = 0; i < 500; i++) {
    tf.dispose(opt.minimize(() => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as tf.Scalar, [w, b]));
  }
  expect(w.dataSync()[0]).toBeCloseTo(slope, 4);
  expect(b.dataSync()[0]).toBeCloseTo(intercept, 4);
  opt.dispose();
  tf.dispose([x, y, w, b]);
});
