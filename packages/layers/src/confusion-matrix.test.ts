import { type BackendName, Random, tf, useBackend } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { confusionMatrix, perClassAccuracy } from './index.js';

beforeAll(async () => {
  await useTestBackend();
});

/** The oracle: counts by a plain loop over the samples. */
function countByHand(labels: number[], predicted: number[], k: number): number[][] {
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  labels.forEach((t, i) => {
    const row = counts[t] as number[];
    row[predicted[i] as number] = (row[predicted[i] as number] as number) + 1;
  });
  return counts;
}

describe('confusionMatrix', () => {
  const r = new Random(5);
  const n = 300;
  const k = 7;
  const labels = Array.from({ length: n }, () => r.nextInt(k));
  const scores = Array.from({ length: n }, () => Array.from(r.normal(k)));
  const predicted = scores.map((row) => row.indexOf(Math.max(...row)));
  const expected = countByHand(labels, predicted, k);

  it('counts true class (rows) against predicted class (columns), from scores, one-hot labels or indices', async () => {
    const y = tf.tensor1d(labels, 'int32');
    const p = tf.tensor2d(scores);
    expect(await confusionMatrix(y, p).array()).toEqual(expected);
    expect(await confusionMatrix(tf.reshape(y, [n, 1]), p).array()).toEqual(expected);
    expect(await confusionMatrix(tf.oneHot(y, k), p).array()).toEqual(expected);
    expect(await confusionMatrix(y, tf.tensor1d(predicted, 'int32'), { numClasses: k }).array()).toEqual(expected);
    const m = confusionMatrix(y, p);
    expect(m.dtype).toBe('int32');
    expect((await tf.sum(m).data())[0]).toBe(n);
  });

  it("agrees with tf.math.confusionMatrix on cpu, and works on wasm (which has no integer matMul for tf's)", async () => {
    const y = tf.tensor1d(labels, 'int32');
    const reference = await tf.math.confusionMatrix(y, tf.tensor1d(predicted, 'int32'), k).array();
    expect(reference).toEqual(expected);
    const initial = tf.getBackend() as BackendName;
    try {
      await useBackend('wasm');
      expect(tf.getBackend()).toBe('wasm');
      const onWasm = confusionMatrix(tf.tensor1d(labels, 'int32'), tf.tensor2d(scores));
      expect(await onWasm.array()).toEqual(expected);
      expect(await perClassAccuracy(onWasm).array()).toHaveLength(k);
    } finally {
      await useBackend(initial);
    }
  });

  it('per-class accuracy is the diagonal over the row sums, NaN for a class without samples', async () => {
    const m = confusionMatrix(tf.tensor1d(labels, 'int32'), tf.tensor2d(scores));
    const accuracy = Array.from(await perClassAccuracy(m).data());
    expected.forEach((row, c) => {
      expect(accuracy[c]).toBeCloseTo((row[c] as number) / row.reduce((a, b) => a + b, 0), 6);
    });
    const empty = confusionMatrix(tf.tensor1d([0, 0, 2], 'int32'), tf.tensor1d([0, 1, 2], 'int32'), { numClasses: 3 });
    const a = Array.from(await perClassAccuracy(empty).data());
    expect(a[0]).toBe(0.5);
    expect(a[1]).toBeNaN();
    expect(a[2]).toBe(1);
  });

  it('bad input is a clear error naming the shapes or the option', () => {
    const y = tf.tensor1d([0, 1, 2], 'int32');
    expect(() => confusionMatrix(y, tf.tensor1d([0, 1, 2], 'int32'))).toThrow(
      'confusionMatrix: `yTrue` and `yPred` are both class indices, so the number of classes is unknown: pass { numClasses }.',
    );
    expect(() => confusionMatrix(y, tf.zeros([4, 3]))).toThrow(
      'confusionMatrix: `yTrue` has 3 samples (shape [3]) but `yPred` has 4 (shape [4, 3]).',
    );
    expect(() => confusionMatrix(tf.zeros([3, 4]), tf.zeros([3, 3]))).toThrow(
      'confusionMatrix: `yPred` has 3 classes (shape [3, 3]) but `yTrue` has 4 (shape [3, 4]).',
    );
    expect(() => confusionMatrix(y, tf.zeros([3, 3]), { numClasses: 10 })).toThrow(
      'confusionMatrix: `numClasses` is 10 but the scores or one-hot labels have 3 classes.',
    );
    expect(() => confusionMatrix(y, y, { numClasses: 0 })).toThrow(
      'confusionMatrix: `numClasses` must be an integer >= 1, got 0.',
    );
    expect(() => confusionMatrix(y, tf.zeros([3, 3, 1]))).toThrow(/`yPred` must be class indices/);
    expect(() => perClassAccuracy(tf.zeros([2, 3]) as tf.Tensor2D)).toThrow(
      'perClassAccuracy: expected a square confusion matrix [K, K], got shape [2, 3].',
    );
  });

  it('leaves no tensor behind but its result', () => {
    const y = tf.tensor1d(labels, 'int32');
    const p = tf.tensor2d(scores);
    const before = tf.memory().numTensors;
    const m = confusionMatrix(y, p);
    const a = perClassAccuracy(m);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([m, a]);
  });
});
