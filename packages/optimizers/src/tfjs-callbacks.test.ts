/**
 * @opt/schedules' callbacks in tfjs-layers' `model.fit`. tfjs-layers wraps a callback that is not its own
 * `BaseCallback` in a `CustomCallback`, which copies the hook functions and calls them unbound, and never calls
 * `setModel`: our callbacks passed as they are fail. Handed the compiled optimizer with `setModel` and bound through a
 * hooks object, they keep Keras's semantics (the optimizer's `learningRate` is all they drive).
 */
import { LearningRateScheduler, ReduceLROnPlateau } from '@opt/schedules';
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { SGD } from './index.js';

beforeAll(async () => {
  await useTestBackend();
});

function compiled(): { model: tfl.LayersModel; optimizer: SGD } {
  const optimizer = new SGD({ learningRate: 0.1 });
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [3] })] });
  model.compile({ optimizer, loss: 'meanSquaredError' });
  return { model, optimizer };
}

const x = () => tf.tensor2d([1, 2, 3, -1, 0.5, 2, 0.3, -0.7, 1.1, 2, 1, -1], [4, 3]);
const y = () => tf.tensor2d([1, 0, -1, 0.5], [4, 1]);

describe('@opt/schedules callbacks in tfjs-layers fit', () => {
  it('fail when passed as they are (tfjs calls the hooks unbound)', async () => {
    const { model } = compiled();
    const plateau = new ReduceLROnPlateau({ monitor: 'loss' });
    await expect(
      model.fit(x(), y(), { epochs: 1, verbose: 0, callbacks: plateau as unknown as tfl.CustomCallbackArgs }),
    ).rejects.toThrow();
  });

  it('ReduceLROnPlateau, given the optimizer and bound, halves the rate on each epoch without improvement', async () => {
    const { model, optimizer } = compiled();
    // minDelta larger than any change: every epoch after the first (which sets `best`) is a plateau.
    const plateau = new ReduceLROnPlateau({ monitor: 'loss', patience: 0, factor: 0.5, minDelta: 100 });
    plateau.setModel({ optimizer, stopTraining: false });
    const history = await model.fit(x(), y(), {
      epochs: 3,
      verbose: 0,
      callbacks: { onTrainBegin: () => plateau.onTrainBegin(), onEpochEnd: (e, logs) => plateau.onEpochEnd(e, logs) },
    });
    expect(optimizer.learningRate).toBe(0.1 * 0.5 * 0.5);
    expect(history.history.learning_rate).toEqual([0.1, 0.1, 0.05]);
  });

  it('LearningRateScheduler, given the optimizer and bound, sets the rate each epoch', async () => {
    const { model, optimizer } = compiled();
    const scheduler = new LearningRateScheduler((epoch) => 0.1 / (epoch + 1));
    scheduler.setModel({ optimizer, stopTraining: false });
    const seen: number[] = [];
    await model.fit(x(), y(), {
      epochs: 3,
      verbose: 0,
      callbacks: {
        onEpochBegin: (e, logs) => scheduler.onEpochBegin(e, logs),
        onEpochEnd: () => {
          seen.push(optimizer.learningRate);
        },
      },
    });
    expect(seen).toEqual([0.1, 0.1 / 2, 0.1 / 3]);
  });
});
