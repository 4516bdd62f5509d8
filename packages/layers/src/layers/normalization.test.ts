import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNormalization, Dense, Sequential } from '../index.js';
import { finiteDifferences, maxAbsDiff, randomMatrix, toTensor } from '../testing/layer-checks.js';

beforeAll(async () => {
  await useTestBackend();
});

/** Float64 batch norm in training mode (Keras formula). */
function bnReference(x: number[][], gamma: number[], beta: number[], eps: number) {
  const n = x.length;
  const c = gamma.length;
  const mean = Array.from({ length: c }, (_, j) => x.reduce((s, r) => s + (r[j] as number), 0) / n);
  const variance = Array.from(
    { length: c },
    (_, j) => x.reduce((s, r) => s + ((r[j] as number) - (mean[j] as number)) ** 2, 0) / n,
  );
  const y = x.map((r) =>
    r.map(
      (v, j) =>
        ((gamma[j] as number) * (v - (mean[j] as number))) / Math.sqrt((variance[j] as number) + eps) +
        (beta[j] as number),
    ),
  );
  return { mean, variance, y };
}

describe('BatchNormalization', () => {
  it('normalizes with batch statistics in training, updates moving stats with Keras momentum, uses them in inference', () => {
    const x = randomMatrix(1, 6, 3, 2).map((r) => r.map((v, j) => v + j));
    const bn = new BatchNormalization({ momentum: 0.9 });
    bn.build([3], new Random(0));
    const gamma = [1.5, -0.5, 2];
    const beta = [0.1, 0.2, -0.3];
    bn.gamma?.assign(tf.tensor1d(gamma));
    bn.beta?.assign(tf.tensor1d(beta));
    expect(bn.weights.map((w) => w.name)).toEqual([
      `${bn.name}/gamma`,
      `${bn.name}/beta`,
      `${bn.name}/moving_mean`,
      `${bn.name}/moving_variance`,
    ]);
    expect(bn.trainableWeights).toHaveLength(2);
    expect(bn.nonTrainableWeights).toHaveLength(2);
    const ref = bnReference(x, gamma, beta, 1e-3);
    const y = bn.apply(toTensor(x), { training: true });
    expect(maxAbsDiff(y.dataSync(), ref.y.flat())).toBeLessThan(1e-5);
    // moving = moving * 0.9 + batch * 0.1 from (0, 1), with the BIASED variance
    const mm = ref.mean.map((m) => 0 * 0.9 + m * 0.1);
    const mv = ref.variance.map((v) => 1 * 0.9 + v * 0.1);
    expect(maxAbsDiff(bn.movingMean?.dataSync() ?? [], mm)).toBeLessThan(1e-6);
    expect(maxAbsDiff(bn.movingVariance?.dataSync() ?? [], mv)).toBeLessThan(1e-6);
    // Inference: moving statistics, no update.
    const yi = bn.apply(toTensor(x), { training: false });
    const expected = x.flatMap((r) =>
      r.map(
        (v, j) =>
          ((gamma[j] as number) * (v - (mm[j] as number))) / Math.sqrt((mv[j] as number) + 1e-3) + (beta[j] as number),
      ),
    );
    expect(maxAbsDiff(yi.dataSync(), expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(bn.movingMean?.dataSync() ?? [], mm)).toBeLessThan(1e-6);
    bn.dispose();
  });

  it('has Keras defaults', () => {
    const bn = new BatchNormalization();
    expect(bn.getConfig()).toMatchObject({ momentum: 0.99, epsilon: 1e-3, center: true, scale: true });
    expect(() => new BatchNormalization({ momentum: 1.5 })).toThrow(/momentum.*\[0, 1\]/);
  });

  it('backward matches float64 finite differences and tf.grad of the plain formula', () => {
    const x = randomMatrix(2, 5, 4);
    const gamma = [1.2, 0.7, -1.1, 0.4];
    const beta = [0.3, -0.2, 0.1, 0.5];
    const r = randomMatrix(3, 5, 4); // L = sum(y * r)
    const loss = () =>
      bnReference(x, gamma, beta, 1e-3).y.reduce(
        (s, row, i) => s + row.reduce((t, v, j) => t + v * ((r[i] as number[])[j] as number), 0),
        0,
      );
    const fdX = finiteDifferences(x, loss);
    const fdGamma = finiteDifferences([gamma], loss);
    const fdBeta = finiteDifferences([beta], loss);

    const bn = new BatchNormalization();
    bn.build([4], new Random(0));
    bn.gamma?.assign(tf.tensor1d(gamma));
    bn.beta?.assign(tf.tensor1d(beta));
    const xt = toTensor(x);
    const rt = toTensor(r);
    const { y, cache } = bn.forward(xt, true);
    const { dx, grads } = bn.backward(rt, cache, true);
    expect(maxAbsDiff(dx?.dataSync() ?? [], fdX)).toBeLessThan(2e-4);
    expect(maxAbsDiff(grads[0]?.dataSync() ?? [], fdGamma)).toBeLessThan(2e-4);
    expect(maxAbsDiff(grads[1]?.dataSync() ?? [], fdBeta)).toBeLessThan(2e-4);

    // tf.grad of the plain formula, and the customGrad path of apply()
    const g = tf.tensor1d(gamma);
    const b = tf.tensor1d(beta);
    const plain = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
      const m = tf.mean(xi, 0);
      const v = tf.mean(tf.square(tf.sub(xi, m)), 0);
      return tf.sum(tf.mul(tf.add(tf.mul(tf.div(tf.sub(xi, m), tf.sqrt(tf.add(v, 1e-3))), gi), bi), rt));
    };
    const [px, pg, pb] = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => plain(a, c, d))([xt, g, b]);
    expect(maxAbsDiff(dx?.dataSync() ?? [], px?.dataSync() ?? [])).toBeLessThan(1e-5);
    expect(maxAbsDiff(grads[0]?.dataSync() ?? [], pg?.dataSync() ?? [])).toBeLessThan(1e-5);
    expect(maxAbsDiff(grads[1]?.dataSync() ?? [], pb?.dataSync() ?? [])).toBeLessThan(1e-5);
    const viaApply = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(bn.apply(a, { training: true }), rt)))(xt);
    expect(maxAbsDiff(viaApply.dataSync(), px?.dataSync() ?? [])).toBeLessThan(1e-5);
    const { grads: varGrads } = tf.variableGrads(
      () => tf.sum(tf.mul(bn.apply(xt, { training: true }), rt)) as tf.Scalar,
      [bn.gamma as tf.Variable],
    );
    expect(maxAbsDiff(varGrads[bn.gamma?.name ?? '']?.dataSync() ?? [], pg?.dataSync() ?? [])).toBeLessThan(1e-5);
    expect(y.shape).toEqual([5, 4]);
    bn.dispose();
  });
});

describe('BatchNormalization in training on a batch of one', () => {
  it('refuses with the reason (the batch variance is 0, every output would be beta)', () => {
    const bn = new BatchNormalization();
    bn.build([3], new Random(0));
    expect(() => bn.forward(tf.tensor2d([[1, 2, 3]]), true)).toThrow(
      /training batch of 1 sample: the batch variance of one sample is 0, so every output would be beta/,
    );
    // Inference on one sample uses the moving statistics: fine.
    expect(bn.forward(tf.tensor2d([[1, 2, 3]]), false).y.shape).toEqual([1, 3]);
    // A 1-sample batch of several positions per feature has a variance.
    const spatial = new BatchNormalization();
    spatial.build([4, 3], new Random(0));
    expect(spatial.minTrainingBatchSize).toBe(1);
    expect(bn.minTrainingBatchSize).toBe(2);
    expect(spatial.forward(tf.ones([1, 4, 3]), true).y.shape).toEqual([1, 4, 3]);
  });

  it('fit refuses before the first step: batchSize 1, or a last batch of 1', async () => {
    const model = () => {
      const m = new Sequential(
        [new Dense({ units: 4, useBias: false }), new BatchNormalization(), new Dense({ units: 2 })],
        {
          inputShape: [3],
          seed: 1,
        },
      );
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      return m;
    };
    const x = tf.ones([9, 3]);
    const y = tf.zeros([9, 2]);
    await expect(model().fit(x, y, { batchSize: 1 })).rejects.toThrow(
      /batchSize 1 is too small: BatchNormalization "batch_normalization(_\d+)?" needs at least 2 samples .*the batch variance of one sample is 0.*Use batchSize >= 2/,
    );
    await expect(model().fit(x, y, { batchSize: 4 })).rejects.toThrow(
      /the last batch of each epoch would hold 1 sample\(s\) \(9 training samples in batches of 4\).*e\.g\. 5/,
    );
    const ok = model();
    await ok.fit(x, y, { batchSize: 3 });
    expect(ok.optimizer.iterations).toBe(3);
  });
});
