import { Adam, SGD } from '@opt/optimizers';
import { LearningRateScheduler } from '@opt/schedules';
import { Random, tensorLeak, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BatchNormalization,
  type BatchSource,
  Dense,
  Dropout,
  type FitCallback,
  Flatten,
  Normalization,
  ReLU,
  Rescaling,
  Sequential,
  sparseCategoricalCrossentropy,
} from './index.js';

beforeAll(async () => {
  await useTestBackend();
});

/** Three Gaussian blobs in 4 dimensions: a problem an MLP learns in a few epochs. */
function blobs(n: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor1D; labels: number[] } {
  const r = new Random(seed);
  const centers = [
    [2, 0, 0, 1],
    [0, 2, 1, 0],
    [-2, -1, 0, -1],
  ];
  const xs: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = r.nextInt(3);
    labels.push(c);
    xs.push(Array.from(r.normal(4, 0, 0.8), (v, j) => v + (centers[c]![j] as number)));
  }
  return { x: tf.tensor2d(xs), y: tf.tensor1d(labels), labels };
}

function chapterModel(seed: number, dropout = false): Sequential {
  return new Sequential(
    [
      new Dense({ units: 16, useBias: false }),
      new BatchNormalization(),
      new ReLU(),
      ...(dropout ? [new Dropout({ rate: 0.2 })] : []),
      new Dense({ units: 3, activation: 'softmax' }),
    ],
    { inputShape: [4], seed },
  );
}

async function weightsOf(model: Sequential): Promise<number[][]> {
  return Promise.all(model.weights.map(async (w) => Array.from(await w.variable.data())));
}

describe('Sequential', () => {
  it('Dense(useBias: false) -> BatchNormalization -> ReLU learns a small problem; History has Keras keys', async () => {
    const { x, y } = blobs(300, 1);
    const model = chapterModel(3);
    model.compile({
      optimizer: new Adam({ learningRate: 0.01 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const scheduler = new LearningRateScheduler((epoch, lr) => (epoch < 2 ? lr : lr * 0.5));
    const history = await model.fit(x, y, {
      epochs: 4,
      batchSize: 32,
      validationSplit: 0.2,
      seed: 5,
      callbacks: [scheduler],
    });
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(Object.keys(history.history).sort()).toEqual([
      'accuracy',
      'learning_rate',
      'loss',
      'val_accuracy',
      'val_loss',
    ]);
    expect(history.history.learning_rate).toEqual([0.01, 0.01, 0.005, 0.0025]);
    expect(history.history.val_accuracy?.at(-1)).toBeGreaterThan(0.9);
    const losses = history.history.loss ?? [];
    expect(losses.at(-1)).toBeLessThan(losses[0] as number);
    const { accuracy } = await model.evaluate(x, y);
    expect(accuracy).toBeGreaterThan(0.9);
    expect(model.weights.map((w) => w.name.replace(/_\d+\//, '/'))).toEqual([
      'dense/kernel',
      'batch_normalization/gamma',
      'batch_normalization/beta',
      'batch_normalization/moving_mean',
      'batch_normalization/moving_variance',
      'dense/kernel',
      'dense/bias',
    ]);
    expect(model.predict(x).shape).toEqual([300, 3]);
  });

  it("fit's chained backward pass (with the softmax-crossentropy shortcut) equals tf.variableGrads through apply", async () => {
    const { x, y } = blobs(16, 8);
    const model = chapterModel(12, false);
    const recorded: number[][] = [];
    const recorder = new SGD({ learningRate: 1e-9 });
    const apply = recorder.applyGradients.bind(recorder);
    recorder.applyGradients = (pairs) => {
      for (const [g] of pairs) recorded.push(Array.from(g.dataSync()));
      apply(pairs);
    };
    model.compile({ optimizer: recorder, loss: 'sparseCategoricalCrossentropy' });
    const vars = model.trainableWeights.map((w) => w.variable);
    const loss = sparseCategoricalCrossentropy();
    const { grads } = tf.variableGrads(() => loss.value(y, model.apply(x, { training: true })), vars);
    await model.fit(x, y, { batchSize: 16, epochs: 1, shuffle: false });
    expect(recorded).toHaveLength(vars.length);
    vars.forEach((v, i) => {
      const auto = Array.from(grads[v.name]?.dataSync() ?? []);
      const mine = recorded[i] as number[];
      expect(mine.length).toBe(auto.length);
      for (let k = 0; k < mine.length; k++) expect(mine[k] as number).toBeCloseTo(auto[k] as number, 5);
    });
  });

  it('builds on first use from the data; Flatten, Rescaling and an adapted Normalization train inside a model', async () => {
    const { x, y } = blobs(120, 10);
    const images = tf.reshape(tf.mul(x, 40), [120, 2, 2]);
    const norm = new Normalization();
    norm.adapt(x); // the data as it reaches the layer (after Flatten and Rescaling)
    const model = new Sequential(
      [
        new Flatten(),
        new Rescaling({ scale: 1 / 40 }),
        norm,
        new Dense({ units: 8, activation: 'relu' }),
        new Dense({ units: 3, activation: 'softmax' }),
      ],
      { seed: 2 },
    );
    expect(model.built).toBe(false);
    model.compile({
      optimizer: new Adam({ learningRate: 0.03 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const h = await model.fit(images, y, { epochs: 6, batchSize: 16, seed: 1 });
    expect(model.inputShape).toEqual([2, 2]);
    expect(h.history.accuracy?.at(-1)).toBeGreaterThan(0.8);
    expect(model.nonTrainableWeights.map((w) => w.name)).toEqual([`${norm.name}/mean`, `${norm.name}/variance`]);
  });

  it('verbose prints one line per epoch', async () => {
    const { x, y } = blobs(20, 9);
    const model = chapterModel(1);
    model.compile({ optimizer: new SGD(), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const lines: string[] = [];
    await model.fit(x, y, { epochs: 2, batchSize: 10, verbose: 1, log: (l) => lines.push(l) });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^Epoch 2\/2 - 2 steps - loss: [\d.]+ - accuracy: [\d.]+ - learning_rate: 0.01/);
  });

  it('batchSize N, 1 and B are batch, stochastic and mini-batch gradient descent (steps per epoch)', async () => {
    const { x, y } = blobs(20, 2);
    for (const [batchSize, steps] of [
      [20, 1],
      [1, 20],
      [8, 3],
    ] as const) {
      // Without BatchNormalization, which needs two samples per batch.
      const model = new Sequential(
        [new Dense({ units: 8, activation: 'relu' }), new Dense({ units: 3, activation: 'softmax' })],
        {
          inputShape: [4],
          seed: 1,
        },
      );
      const sgd = new SGD({ learningRate: 0.01 });
      model.compile({ optimizer: sgd, loss: 'sparseCategoricalCrossentropy' });
      await model.fit(x, y, { batchSize, epochs: 1 });
      expect(sgd.iterations).toBe(steps);
    }
  });

  it('validationSplit holds out the LAST fraction, before shuffling', async () => {
    const { x, y } = blobs(50, 3);
    const model = chapterModel(4);
    model.compile({
      optimizer: new SGD({ learningRate: 0.05 }),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const h = await model.fit(x, y, { epochs: 1, batchSize: 8, validationSplit: 0.3, seed: 1 });
    // Keras: split_at = ceil(50 * 0.7) = 35, validation is x[35:].
    const last = await model.evaluate(tf.slice(x, 35, 15), tf.slice(y, 35, 15), { batchSize: 8 });
    const first = await model.evaluate(tf.slice(x, 0, 15), tf.slice(y, 0, 15), { batchSize: 8 });
    expect(h.history.val_loss?.[0]).toBe(last.loss);
    expect(h.history.val_loss?.[0]).not.toBe(first.loss);
  });

  it('shuffling is reproducible by seed and changes with it', async () => {
    const { x, y } = blobs(64, 4);
    const run = async (seed: number, shuffle = true) => {
      const model = chapterModel(9, true);
      model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'sparseCategoricalCrossentropy' });
      await model.fit(x, y, { epochs: 2, batchSize: 16, seed, shuffle });
      return weightsOf(model);
    };
    const a = await run(1);
    expect(await run(1)).toEqual(a);
    expect(await run(2)).not.toEqual(a);
    expect(await run(1, false)).not.toEqual(a);
  });

  it('keeps the tensor count flat across epochs (no leaks), with batch hooks and validation', async () => {
    const { x, y } = blobs(64, 5);
    const model = chapterModel(2, true);
    model.compile({ optimizer: new Adam(), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    let reads = 0;
    const cb: FitCallback = {
      onBatchEnd: async (_b, logs) => {
        if (Number.isFinite(await logs.readLoss())) reads++;
      },
    };
    const leak = await tensorLeak(() =>
      model.fit(x, y, { epochs: 1, batchSize: 16, validationData: [x, y], callbacks: [cb] }),
    );
    expect(leak).toBe(0);
    expect(reads).toBeGreaterThan(0);
  });

  it('trains from a streaming BatchSource', async () => {
    const { x, y } = blobs(96, 6);
    const source: BatchSource = {
      batchesPerEpoch: 3,
      async *batches() {
        for (let b = 0; b < 3; b++) yield { x: tf.slice(x, b * 32, 32), y: tf.slice(y, b * 32, 32) };
      },
    };
    const model = chapterModel(5);
    const opt = new Adam({ learningRate: 0.02 });
    model.compile({ optimizer: opt, loss: sparseCategoricalCrossentropy(), metrics: ['accuracy'] });
    await model.fit(source, { epochs: 1 }); // the optimizer's slots and guard are created on the first step
    const before = tf.memory().numTensors;
    const h = await model.fit(source, { epochs: 5, initialEpoch: 1, validationData: source });
    expect(tf.memory().numTensors).toBe(before);
    expect(opt.iterations).toBe(15);
    expect(h.history.val_accuracy?.at(-1)).toBeGreaterThan(0.8);
  });

  describe('bad input', () => {
    let x: tf.Tensor2D;
    let y: tf.Tensor1D;
    beforeAll(() => {
      ({ x, y } = blobs(10, 7));
    });
    const compiled = () => {
      const m = chapterModel(1);
      m.compile({ optimizer: new SGD(), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    it('fit before compile', async () => {
      await expect(chapterModel(1).fit(x, y)).rejects.toThrow(/not compiled.*model\.compile/);
    });
    it('x/y count mismatch', async () => {
      await expect(compiled().fit(x, tf.slice(y, 0, 9))).rejects.toThrow(/x has 10 samples but y has 9/);
    });
    it('wrong input shape names the expected shape', async () => {
      await expect(compiled().fit(tf.zeros([10, 5]), y)).rejects.toThrow(/expects input shape \[null, 4\]/);
      expect(() => chapterModel(1).predict(tf.zeros([2, 3]))).toThrow(/\[null, 4\]/);
    });
    it('labels out of range', async () => {
      await expect(compiled().fit(x, tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 0, 1, 2]))).rejects.toThrow(
        /label y\[3\] = 3 is out of range.*\[0, 2\]/,
      );
      await expect(compiled().fit(x, tf.tensor1d([0, 1, 2, 0.5, 0, 1, 2, 0, 1, 2]))).rejects.toThrow(/y\[3\] = 0.5/);
    });
    it('one-hot labels of the wrong width', async () => {
      const m = chapterModel(1);
      m.compile({ optimizer: new SGD(), loss: 'categoricalCrossentropy' });
      await expect(m.fit(x, tf.zeros([10, 4]))).rejects.toThrow(/y has shape \[10, 4\].*needs \[10, 3\]/);
      await expect(m.fit(x, y)).rejects.toThrow(/sparseCategoricalCrossentropy or one-hot/);
    });
    it('NaN in inputs', async () => {
      const bad = tf.tensor2d(Array.from({ length: 10 }, (_, i) => [i === 4 ? Number.NaN : 0, 0, 0, 0]));
      await expect(compiled().fit(bad, y)).rejects.toThrow(/x contains 1 NaN or infinite/);
    });
    it('bad options and unknown loss', async () => {
      await expect(compiled().fit(x, y, { batchSize: 0 })).rejects.toThrow(/batchSize.*>= 1/);
      await expect(compiled().fit(x, y, { validationSplit: 1 })).rejects.toThrow(/validationSplit.*\[0, 1\)/);
      expect(() => chapterModel(1).compile({ optimizer: new SGD(), loss: 'hinge' as never })).toThrow(
        /unknown loss "hinge"/,
      );
      expect(() => chapterModel(1).compile({ optimizer: {} as never, loss: 'meanSquaredError' })).toThrow(/optimizer/);
    });
  });
});
