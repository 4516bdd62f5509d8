/**
 * fit on WebGL (SwiftShader in headless Chromium) against the same fit on cpu: the batch sums as matrix products,
 * the relu mask as a comparison, the softmax and crossentropy programs and the optimizer's programs (fused Adam,
 * the guard's record) give the cpu backend's weights, losses and accuracies, where tfjs's own kernels compute them.
 */
import { Adam } from '@opt/optimizers';
import { Random, tf, useBackend } from '@opt/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchNormalization, Dense, ReLU, Sequential, Softmax } from './index.js';
import { gatherRows } from './rows.js';
import { softmax } from './softmax-webgl.js';

type Case = 'plain' | 'bn' | 'softmax layer, one-hot labels';

function build(kind: Case): Sequential {
  const layers =
    kind === 'bn'
      ? [
          new Dense({ units: 16, useBias: false }),
          new BatchNormalization(),
          new ReLU(),
          new Dense({ units: 3, activation: 'softmax' }),
        ]
      : kind === 'plain'
        ? [
            new Dense({ units: 16, activation: 'relu' }),
            new Dense({ units: 8, activation: 'relu' }),
            new Dense({ units: 3, activation: 'softmax' }),
          ]
        : [new Dense({ units: 16, activation: 'relu' }), new Dense({ units: 5 }), new Softmax()];
  const m = new Sequential(layers, { inputShape: [12], seed: 5 });
  m.compile({
    optimizer: new Adam({ learningRate: 0.01 }),
    loss: kind === 'softmax layer, one-hot labels' ? 'categoricalCrossentropy' : 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return m;
}

/**
 * Two epochs of batches of 15 (the last one 4: odd rows and odd classes in the packed textures) on `backend`: the
 * weights (moving statistics included) and the history.
 */
async function train(
  backend: 'cpu' | 'webgl',
  kind: Case,
): Promise<{ weights: number[][]; loss: number[]; accuracy: number[] }> {
  await useBackend(backend);
  const r = new Random(8);
  const x = tf.tensor2d(r.normal(64 * 12), [64, 12]);
  const classes = kind === 'softmax layer, one-hot labels' ? 5 : 3;
  const labels = tf.tensor1d(
    Int32Array.from({ length: 64 }, () => r.nextInt(classes)),
    'int32',
  );
  const y = kind === 'softmax layer, one-hot labels' ? tf.cast(tf.oneHot(labels, classes), 'float32') : labels;
  const m = build(kind);
  const h = await m.fit(x, y, { epochs: 2, batchSize: 15, seed: 2 });
  const weights = await Promise.all(m.weights.map(async (w) => Array.from(await w.variable.data())));
  m.dispose();
  tf.dispose([x, y, labels]);
  return { weights, loss: h.history.loss as number[], accuracy: h.history.accuracy as number[] };
}

describe('fit on WebGL', () => {
  afterAll(() => useBackend('cpu'));

  it("softmax: its program up to 64 classes, tfjs's kernel beyond; both give tfjs's values", async () => {
    await useBackend('webgl');
    for (const [rows, classes, kernel] of [
      [5, 3, 'OptSoftmax'],
      [4, 64, 'OptSoftmax'],
      [3, 100, 'Softmax'],
    ] as Array<[number, number, string]>) {
      const z = tf.mul(tf.randomNormal([rows, classes], 0, 3, 'float32', 7), 1); // packed, as a layer's output
      const profile = await tf.profile(() => softmax(z));
      expect(profile.kernelNames).toContain(kernel);
      const got = tf.tidy(() => softmax(z));
      const expected = tf.softmax(z);
      const [a, b] = [await got.data(), await expected.data()];
      a.forEach((v, i) => {
        expect(v).toBeCloseTo(b[i] as number, 6);
      });
      tf.dispose([z, got, expected, profile.result as tf.Tensor]);
    }
  });

  it("gathers the model's inputs into a packed texture: tfjs's gather's rows, odd sizes and repeats included", async () => {
    await useBackend('webgl');
    for (const [rows, cols, picks] of [
      [7, 5, [6, 0, 3, 3, 1]],
      [9, 4, [8, 7, 2, 0]],
      [2, 1, [1]],
    ] as Array<[number, number, number[]]>) {
      const x = tf.tensor2d(
        Float32Array.from({ length: rows * cols }, (_, i) => i * 0.25 - 3),
        [rows, cols],
      );
      const got = gatherRows(x, Int32Array.from(picks), { packed: true });
      const backend = tf.backend() as unknown as { texData: { get(id: object): { isPacked?: boolean } } };
      expect(backend.texData.get(got.dataId).isPacked).toBe(true);
      expect(got.shape).toEqual([picks.length, cols]);
      expect(Array.from(await got.data())).toEqual(Array.from(await tf.gather(x, picks).data()));
      tf.dispose([x, got]);
    }
  });

  for (const kind of ['plain', 'bn', 'softmax layer, one-hot labels'] as const) {
    it(`${kind}: the weights, losses and accuracies of the cpu backend after 10 steps`, async () => {
      const cpu = await train('cpu', kind);
      const webgl = await train('webgl', kind);
      expect(tf.getBackend()).toBe('webgl');
      expect(webgl.weights.length).toBe(cpu.weights.length);
      webgl.weights.forEach((values, i) => {
        const expected = cpu.weights[i] as number[];
        let worst = 0;
        for (let j = 0; j < values.length; j++) {
          const scale = Math.max(1e-2, Math.abs(expected[j] as number));
          worst = Math.max(worst, Math.abs((values[j] as number) - (expected[j] as number)) / scale);
        }
        expect(worst, `weight ${i}`).toBeLessThan(1e-4);
      });
      webgl.loss.forEach((v, i) => {
        expect(v).toBeCloseTo(cpu.loss[i] as number, 5);
      });
      expect(webgl.accuracy).toEqual(cpu.accuracy);
    });
  }
});
