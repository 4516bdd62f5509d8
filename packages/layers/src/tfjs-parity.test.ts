/**
 * The same model, the same data and the same first weights, trained by our Adam twice: once in a tfjs-layers
 * `LayersModel` (`model.fit` of tfjs-layers) and once in our `Sequential`. A tfjs user who swaps
 * `tf.train.adam()` for our `Adam` gets the training our own `fit` does, to float32 tolerance.
 */
import { Adam } from '@opt/optimizers';
import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dense, Sequential } from './index.js';

beforeAll(async () => {
  await useTestBackend();
});

/** Inputs in [0, 1) and labels from a fixed random linear rule, so that training moves every weight. */
function data(n: number, features: number, classes: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const r = new Random(seed);
  const values = Float32Array.from({ length: n * features }, () => r.nextInt(256) / 255);
  const w = r.normal(features * classes, 0, 1);
  const labels = Array.from({ length: n }, (_, i) => {
    const scores = Array.from({ length: classes }, (_, c) =>
      Array.from(
        { length: features },
        (_, j) => (values[i * features + j] as number) * (w[j * classes + c] as number),
      ).reduce((a, b) => a + b, 0),
    );
    return scores.indexOf(Math.max(...scores));
  });
  return { x: tf.tensor2d(values, [n, features]), y: tf.tensor1d(labels, 'float32') };
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

describe('our Adam in a tfjs-layers LayersModel', () => {
  it('trains the weights our Sequential trains, step for step, to float32 tolerance', async () => {
    const { x, y } = data(48, 12, 4, 1);
    const ours = new Sequential(
      [new Dense({ units: 8, activation: 'relu' }), new Dense({ units: 4, activation: 'softmax' })],
      {
        inputShape: [12],
        seed: 3,
      },
    );
    ours.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });

    const theirs = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 8, activation: 'relu', inputShape: [12] }),
        tfl.layers.dense({ units: 4, activation: 'softmax' }),
      ],
    });
    // Our weights are kernel, bias per Dense layer, the order tfjs-layers' getWeights uses.
    const initial = ours.getWeights().map((w) => w.clone());
    theirs.setWeights(initial);
    theirs.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });

    // Two batches per epoch, in order (no shuffling on either side): 10 Adam steps.
    await ours.fit(x, y, { batchSize: 24, epochs: 5, shuffle: false, verbose: 0 });
    await theirs.fit(x, y, { batchSize: 24, epochs: 5, shuffle: false, verbose: 0 });

    const trained = theirs.getWeights();
    const mine = ours.getWeights();
    expect(trained.length).toBe(4);
    mine.forEach((w, i) => {
      // each weight moved far more than the tolerance below, so the agreement is not the initial weights'
      expect(maxAbsDiff(w, initial[i] as tf.Tensor), `weight ${i} moved`).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(w, trained[i] as tf.Tensor), `weight ${i}`).toBeLessThan(1e-5);
    });
  });
});
