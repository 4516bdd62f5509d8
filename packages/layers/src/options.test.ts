/**
 * Bad input as a new user would write it: Keras's or PyTorch's spellings, typos, values that are not numbers.
 * Each is one clear error naming the option, the value passed and, where there is one, the right name.
 */
import { Adam, SGD } from '@opt/optimizers';
import type { Callback } from '@opt/schedules';
import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Activation,
  BatchNormalization,
  Dense,
  Dropout,
  EarlyStopping,
  Flatten,
  loadModel,
  ModelCheckpoint,
  Normalization,
  ReLU,
  Rescaling,
  Sequential,
  Softmax,
  TerminateOnNaN,
} from './index.js';

beforeAll(async () => {
  await useTestBackend();
});

function data(n = 12): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const r = new Random(2);
  return {
    x: tf.tensor2d(r.normal(n * 3), [n, 3]),
    y: tf.tensor1d(
      Int32Array.from({ length: n }, (_, i) => i % 2),
      'int32',
    ),
  };
}

function compiled(): Sequential {
  const m = new Sequential(
    [new Dense({ units: 4, activation: 'relu' }), new Dense({ units: 2, activation: 'softmax' })],
    {
      inputShape: [3],
      seed: 1,
    },
  );
  m.compile({ optimizer: new SGD(), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

describe('unknown option keys are refused, with the name meant', () => {
  it('in every layer constructor', () => {
    expect(() => new Dense({ unit: 3 } as never)).toThrow(
      'Dense: unknown option `unit`; did you mean `units`? Known options: units, activation, useBias, kernelInitializer, biasInitializer, name.',
    );
    expect(() => new Dense({ units: 3, use_bias: false } as never)).toThrow('did you mean `useBias`?');
    expect(() => new Dense({ units: 3, inputShape: [4] } as never)).toThrow(
      'unknown option `inputShape`: the input shape belongs to the model: new Sequential(layers, { inputShape }).',
    );
    expect(() => new BatchNormalization({ eps: 1e-5 } as never)).toThrow('did you mean `epsilon`?');
    expect(() => new BatchNormalization({ momentum: 0.9, axis: -1 } as never)).toThrow('unknown option `axis`');
    expect(() => new Dropout({ p: 0.5 } as never)).toThrow('Dropout: unknown option `p`; did you mean `rate`?');
    expect(() => new Rescaling({ scale: 2, ofset: 1 } as never)).toThrow('did you mean `offset`?');
    expect(() => new Normalization({ axes: -1 } as never)).toThrow('did you mean `axis`?');
    expect(() => new Activation({ activation: 'relu', fn: 'x' } as never)).toThrow('Activation: unknown option `fn`');
    for (const Ctor of [ReLU, Softmax, Flatten]) {
      expect(() => new Ctor({ nmae: 'x' } as never)).toThrow('did you mean `name`?');
    }
  });

  it('in Sequential, compile, fit, evaluate, predict, the callbacks and loadModel', async () => {
    const { x, y } = data();
    expect(() => new Sequential([], { input_shape: [3] } as never)).toThrow('did you mean `inputShape`?');
    expect(() =>
      compiled().compile({ optimizer: 'adam', loss: 'meanSquaredError', metric: ['accuracy'] } as never),
    ).toThrow('compile: unknown option `metric`; did you mean `metrics`?');
    await expect(compiled().fit(x, y, { batch_size: 4 } as never)).rejects.toThrow(
      'fit: unknown option `batch_size`; did you mean `batchSize`?',
    );
    await expect(compiled().fit(x, y, { validation_split: 0.2 } as never)).rejects.toThrow(
      'did you mean `validationSplit`?',
    );
    await expect(compiled().fit(x, y, { nb_epoch: 2 } as never)).rejects.toThrow('did you mean `epochs`?');
    await expect(compiled().fit(x, y, { epoch: 2 } as never)).rejects.toThrow('did you mean `epochs`?');
    await expect(compiled().fit(x, y, { lr: 0.1 } as never)).rejects.toThrow(
      'the learning rate belongs to the optimizer',
    );
    await expect(compiled().evaluate(x, y, { batch_size: 4 } as never)).rejects.toThrow('did you mean `batchSize`?');
    expect(() => compiled().predict(x, { batchsize: 4 } as never)).toThrow('did you mean `batchSize`?');
    expect(() => new EarlyStopping({ min_delta: 0.1 } as never)).toThrow('did you mean `minDelta`?');
    expect(() => new ModelCheckpoint('x', { save_best_only: true } as never)).toThrow('did you mean `saveBestOnly`?');
    expect(() => new TerminateOnNaN({ verbose: 1 } as never)).toThrow('TerminateOnNaN: unknown option `verbose`');
    await expect(loadModel('nowhere', { compiled: false } as never)).rejects.toThrow('did you mean `compile`?');
  });

  it('a BatchSource takes no batchSize, shuffle or validationSplit', async () => {
    const { x, y } = data(8);
    const source = { batchesPerEpoch: 1, batches: () => [{ x: tf.clone(x), y: tf.clone(y) }] };
    await expect(compiled().fit(source, { batchSize: 4 } as never)).rejects.toThrow(
      'fit(source, options): `batchSize` does not apply to a BatchSource',
    );
    await expect(compiled().fit(source, { validationSplit: 0.2 } as never)).rejects.toThrow(
      'pass validationData instead',
    );
  });
});

describe('messages show the value passed', () => {
  it('NaN, Infinity, strings and objects as written', async () => {
    const { x, y } = data();
    await expect(compiled().fit(x, y, { epochs: Number.NaN })).rejects.toThrow(
      'fit: `epochs` must be an integer >= 1, got NaN.',
    );
    await expect(compiled().fit(x, y, { batchSize: Number.POSITIVE_INFINITY })).rejects.toThrow('got Infinity.');
    await expect(compiled().fit(x, y, { epochs: '3' as never })).rejects.toThrow('got "3".');
    await expect(compiled().fit(x, y, { initialEpoch: -1 })).rejects.toThrow(
      '`initialEpoch` must be an integer >= 0, got -1.',
    );
    await expect(compiled().fit(x, y, { validationSplit: Number.NaN })).rejects.toThrow('got NaN.');
    await expect(compiled().fit(x, y, { verbose: 3 as never })).rejects.toThrow('`verbose` must be 0, 1 or 2, got 3.');
    expect(() => new Dense({ units: Number.NaN })).toThrow('Dense: `units` must be an integer >= 1, got NaN.');
    expect(() => new Dropout({ rate: Number.NaN })).toThrow('`rate` must be a number in [0, 1), got NaN.');
    expect(() => new Rescaling({ scale: Number.NaN })).toThrow('`scale` must be a finite number, got NaN.');
    expect(() => new BatchNormalization({ center: 'yes' as never })).toThrow(
      '`center` must be true or false, got "yes".',
    );
    expect(() => new EarlyStopping({ patience: Number.NaN })).toThrow('`patience` must be an integer >= 0, got NaN.');
  });
});

describe('fit has typed overloads', () => {
  it('fit(x, y, options) and fit(source, options); fit(tensor, options) does not type-check and throws clearly', async () => {
    const { x, y } = data();
    const model = compiled();
    await model.fit(x, y, { epochs: 1, batchSize: 4 });
    // @ts-expect-error options in place of the labels: the tensor overload needs y
    await expect(model.fit(x, { epochs: 1 })).rejects.toThrow(
      /fit\(x, y, options\) needs x and y as tf\.Tensors.*got y = \{"epochs":1\}/,
    );
    // Callback literals are typed in place (fit's batch logs), and @opt/schedules' Callback objects fit too.
    const losses: number[] = [];
    const keras: Callback = { onEpochEnd: () => {} };
    await model.fit(x, y, {
      batchSize: 6,
      callbacks: [keras, { onBatchEnd: async (batch, logs) => void losses.push(batch + (await logs.readLoss()) * 0) }],
    });
    expect(losses).toEqual([0, 1]);
    // @ts-expect-error a BatchSource has no batchSize
    await expect(model.fit({ batchesPerEpoch: 1, batches: () => [] }, { batchSize: 2 })).rejects.toThrow(/batchSize/);
  });
});

describe('compile takes optimizer names (Keras and tfjs-layers do)', () => {
  it("'adam' is new Adam() with Keras's defaults: the same training as the instance", async () => {
    const { x, y } = data();
    const run = async (optimizer: 'adam' | Adam) => {
      const m = new Sequential(
        [new Dense({ units: 4, activation: 'relu' }), new Dense({ units: 2, activation: 'softmax' })],
        {
          inputShape: [3],
          seed: 4,
        },
      );
      m.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
      await m.fit(x, y, { epochs: 2, batchSize: 4, seed: 1 });
      return { weights: m.weights.map((w) => Array.from(w.variable.dataSync())), config: m.optimizer.getConfig() };
    };
    const byName = await run('adam');
    expect(byName).toEqual(await run(new Adam()));
    expect(byName.config.className).toBe('Adam');
    expect(() => compiled().compile({ optimizer: 'adma', loss: 'meanSquaredError' })).toThrow(
      /unknown optimizer "adma". Known names \(any case\): sgd, rmsprop, adam, adamw, adagrad, adamax, nadam/,
    );
    expect(() => compiled().compile({ optimizer: 3 as never, loss: 'meanSquaredError' })).toThrow(
      /`optimizer` must be an optimizer.*got 3/,
    );
  });
});
