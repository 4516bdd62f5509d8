import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { categoricalCrossentropy, correctCount, meanSquaredError, sparseCategoricalCrossentropy } from './index.js';

beforeAll(async () => {
  await useTestBackend();
});

const logits = [
  [2, -1, 0.5],
  [0.1, 0.2, 3],
];
const labels = [0, 2];
const oneHot = [
  [1, 0, 0],
  [0, 0, 1],
];

function logSoftmax64(z: number[]): number[] {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}

describe('crossentropy', () => {
  it('from logits equals -mean(log softmax at the label), both forms, with gradient (softmax - y) / N', () => {
    const expected = -(logSoftmax64(logits[0]!)[0]! + logSoftmax64(logits[1]!)[2]!) / 2;
    const z = tf.tensor2d(logits);
    const dense = categoricalCrossentropy({ fromLogits: true });
    const sparse = sparseCategoricalCrossentropy({ fromLogits: true });
    expect(dense.value(tf.tensor2d(oneHot), z).dataSync()[0]).toBeCloseTo(expected, 6);
    expect(sparse.value(tf.tensor1d(labels), z).dataSync()[0]).toBeCloseTo(expected, 6);
    const { grad } = sparse.valueAndGrad(tf.tensor1d(labels), z);
    const g = grad.arraySync() as number[][];
    logits.forEach((row, i) => {
      const p = logSoftmax64(row).map(Math.exp);
      p.forEach((pj, j) => {
        expect(g[i]![j]!).toBeCloseTo((pj - oneHot[i]![j]!) / 2, 6);
      });
    });
  });

  it('stays finite for huge logits', () => {
    const z = tf.tensor2d([[1000, -1000, 0]]);
    const loss = categoricalCrossentropy({ fromLogits: true });
    expect(loss.value(tf.tensor2d([[0, 1, 0]]), z).dataSync()[0]).toBeCloseTo(2000, 2);
    expect(loss.value(tf.tensor2d([[1, 0, 0]]), z).dataSync()[0]).toBeCloseTo(0, 6);
    const { grad } = loss.valueAndGrad(tf.tensor2d([[0, 1, 0]]), z);
    expect(Array.from(grad.dataSync())).toEqual([1, -1, 0]);
  });

  it('from probabilities clips to [1e-7, 1 - 1e-7] (Keras) and normalizes rows', () => {
    const p = tf.tensor2d([
      [0, 0.5, 0.5],
      [0.2, 0.2, 0.6],
    ]);
    const y = tf.tensor2d(oneHot);
    const expected = (-Math.log(1e-7) - Math.log(0.6)) / 2;
    expect(categoricalCrossentropy().value(y, p).dataSync()[0]).toBeCloseTo(expected, 4);
    // Unnormalized rows are divided by their sum first.
    expect(
      categoricalCrossentropy()
        .value(tf.tensor2d([[2, 1, 1]]), tf.tensor2d([[2, 1, 1]]))
        .dataSync()[0],
    ).toBeCloseTo(-(2 * Math.log(0.5) + Math.log(0.25) + Math.log(0.25)), 5);
  });

  it('gradient from probabilities matches tf.grad of the clipped formula', () => {
    const p = tf.tensor2d([
      [0.3, 0.5, 0.2],
      [0.2, 0.1, 0.7],
    ]);
    const y = tf.tensor2d(oneHot);
    const { grad } = categoricalCrossentropy().valueAndGrad(y, p);
    const ref = tf.grad((q: tf.Tensor) => {
      const n = tf.div(q, tf.sum(q, -1, true));
      return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.clipByValue(n, 1e-7, 1 - 1e-7))), -1)));
    })(p);
    const a = grad.dataSync();
    const b = ref.dataSync();
    for (let i = 0; i < a.length; i++) expect(a[i]!).toBeCloseTo(b[i]!, 5);
  });
});

describe('softmax-crossentropy shortcut of the fit loop', () => {
  it('equals tf.grad through softmax and the clipped Keras formula, for one-hot, soft and clipped rows', () => {
    const z = tf.tensor2d([
      [2, -1, 0.5],
      [0.1, 0.2, 3],
      [30, 0, 0], // p[0] > 1 - 1e-7: clipped, no gradient from the true class 0
    ]);
    const y = tf.tensor2d([
      [1, 0, 0],
      [0.2, 0.3, 0.5],
      [1, 0, 0],
    ]);
    const loss = categoricalCrossentropy();
    const fused = loss.softmaxValueAndLogitGrad?.(y, tf.softmax(z));
    const ref = tf.grad((zz: tf.Tensor) => {
      const p = tf.softmax(zz);
      const q = tf.clipByValue(tf.div(p, tf.sum(p, -1, true)), 1e-7, 1 - 1e-7);
      return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(q)), -1)));
    })(z);
    const a = fused?.grad.dataSync() ?? [];
    const b = ref.dataSync();
    expect(a.length).toBe(9);
    for (let i = 0; i < a.length; i++) expect(a[i] as number).toBeCloseTo(b[i] as number, 6);
    expect(fused?.value.dataSync()[0]).toBeCloseTo(loss.value(y, tf.softmax(z)).dataSync()[0] as number, 6);
    expect(categoricalCrossentropy({ fromLogits: true }).softmaxValueAndLogitGrad).toBeUndefined();
  });
});

describe('meanSquaredError and metrics', () => {
  it('MSE is the mean of squared differences with gradient 2 (p - y) / size', () => {
    const y = tf.tensor2d([[1, 2]]);
    const p = tf.tensor2d([[2, 4]]);
    const { value, grad } = meanSquaredError().valueAndGrad(y, p);
    expect(value.dataSync()[0]).toBeCloseTo((1 + 4) / 2, 6);
    expect(Array.from(grad.dataSync())).toEqual([1, 2]);
  });

  it('accuracy counts argmax hits, sparse or one-hot', () => {
    const p = tf.tensor2d([
      [0.7, 0.2, 0.1],
      [0.6, 0.3, 0.1],
    ]);
    expect(correctCount('accuracy', tf.tensor1d(labels), p).dataSync()[0]).toBe(1);
    expect(correctCount('sparseCategoricalAccuracy', tf.tensor1d(labels), p).dataSync()[0]).toBe(1);
    expect(correctCount('categoricalAccuracy', tf.tensor2d(oneHot), p).dataSync()[0]).toBe(1);
    expect(correctCount('accuracy', tf.tensor2d(oneHot), p).dataSync()[0]).toBe(1);
  });
});
