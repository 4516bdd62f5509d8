/**
 * fit on WebGL (SwiftShader in headless Chromium) against the same fit on cpu: the batch sums as matrix products,
 * the relu mask as a comparison and the optimizer's programs (fused Adam, the guard's record) give the cpu
 * backend's weights, where tfjs's own kernels (Sum, Step) compute them.
 */
import { Adam } from '@opt/optimizers';
import { Random, tf, useBackend } from '@opt/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchNormalization, Dense, ReLU, Sequential } from './index.js';

function build(bn: boolean): Sequential {
  const layers = bn
    ? [
        new Dense({ units: 16, useBias: false }),
        new BatchNormalization(),
        new ReLU(),
        new Dense({ units: 3, activation: 'softmax' }),
      ]
    : [
        new Dense({ units: 16, activation: 'relu' }),
        new Dense({ units: 8, activation: 'relu' }),
        new Dense({ units: 3, activation: 'softmax' }),
      ];
  const m = new Sequential(layers, { inputShape: [12], seed: 5 });
  m.compile({
    optimizer: new Adam({ learningRate: 0.01 }),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  return m;
}

/** Two epochs of 4 batches of 16 on `backend`: the weights (moving statistics included), the last loss. */
async function train(backend: 'cpu' | 'webgl', bn: boolean): Promise<{ weights: number[][]; loss: number }> {
  await useBackend(backend);
  const r = new Random(8);
  const x = tf.tensor2d(r.normal(64 * 12), [64, 12]);
  const y = tf.tensor1d(
    Int32Array.from({ length: 64 }, () => r.nextInt(3)),
    'int32',
  );
  const m = build(bn);
  const h = await m.fit(x, y, { epochs: 2, batchSize: 16, seed: 2 });
  const weights = await Promise.all(m.weights.map(async (w) => Array.from(await w.variable.data())));
  m.dispose();
  tf.dispose([x, y]);
  return { weights, loss: h.history.loss?.at(-1) as number };
}

describe('fit on WebGL', () => {
  afterAll(() => useBackend('cpu'));

  for (const bn of [false, true]) {
    it(`${bn ? 'Dense -> BatchNormalization -> ReLU' : 'Dense(relu)'}: the weights of the cpu backend after 8 steps`, async () => {
      const cpu = await train('cpu', bn);
      const webgl = await train('webgl', bn);
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
      expect(webgl.loss).toBeCloseTo(cpu.loss, 5);
    });
  }
});
