/**
 * fit on WebGL and WebGPU (SwiftShader in headless Chromium) against the same fit on cpu: with WebGL's kernels for
 * the ops (ops/webgl/, each tested against its portable op there) and the optimizer's programs (fused Adam, the
 * guard's record), and with WebGPU running the portable ops, the cpu backend's weights, losses and accuracies.
 */
import { Adam } from '@opt/optimizers';
import { Random, tf, useBackend } from '@opt/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchNormalization, Dense, ReLU, Sequential, Softmax } from './index.js';

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
  backend: 'cpu' | 'webgl' | 'webgpu',
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

/** The largest difference of `other`'s weights from cpu's, relative to each weight (at least 1e-2). */
function worstWeight(other: number[][], cpu: number[][]): number {
  let worst = 0;
  other.forEach((values, i) => {
    const expected = cpu[i] as number[];
    for (let j = 0; j < values.length; j++) {
      const scale = Math.max(1e-2, Math.abs(expected[j] as number));
      worst = Math.max(worst, Math.abs((values[j] as number) - (expected[j] as number)) / scale);
    }
  });
  return worst;
}

// WebGPU runs the portable ops (no kernels of ours): one case, the one with the most kinds of ops, is enough.
const CASES = {
  webgl: ['plain', 'bn', 'softmax layer, one-hot labels'],
  webgpu: ['bn'],
} as const satisfies Record<string, readonly Case[]>;

for (const backend of ['webgl', 'webgpu'] as const) {
  describe(`fit on ${backend}`, () => {
    afterAll(() => useBackend('cpu'));

    for (const kind of CASES[backend]) {
      it(`${kind}: the weights, losses and accuracies of the cpu backend after 10 steps`, async () => {
        const cpu = await train('cpu', kind);
        const other = await train(backend, kind);
        expect(tf.getBackend()).toBe(backend);
        expect(other.weights.length).toBe(cpu.weights.length);
        expect(worstWeight(other.weights, cpu.weights)).toBeLessThan(1e-4);
        other.loss.forEach((v, i) => {
          expect(v).toBeCloseTo(cpu.loss[i] as number, 5);
        });
        expect(other.accuracy).toEqual(cpu.accuracy);
      });
    }
  });
}
