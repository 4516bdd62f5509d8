import { Adam, LossScaleOptimizer, type Optimizer, SGD } from '@opt/optimizers';
import { LearningRateScheduler } from '@opt/schedules';
import { Random, type RandomState, tensorLeak, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Activation,
  BatchNormalization,
  type BatchSource,
  Dense,
  Dropout,
  type FitCallback,
  Flatten,
  type LossSpec,
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

  describe("fit's gradients equal tf.grad of the same model written in plain tfjs ops", () => {
    /** An optimizer that only records the gradients fit hands it (the fit loop calls build, applyGradients, learningRate). */
    function recorder(recorded: number[][]): Optimizer {
      return {
        build() {},
        applyGradients(pairs: ReadonlyArray<readonly [tf.Tensor, tf.Variable]>) {
          for (const [g] of pairs) recorded.push(Array.from(g.dataSync()));
        },
        learningRate: 0,
        iterations: 0,
        getConfig: () => ({ className: 'Recorder', config: {} }),
      } as unknown as Optimizer;
    }

    /** Runs one full-batch step of fit and returns the gradients, in the model's trainable-weight order. */
    async function fitGradients(model: Sequential, loss: LossSpec, x: tf.Tensor, y: tf.Tensor): Promise<number[][]> {
      const recorded: number[][] = [];
      model.compile({ optimizer: recorder(recorded), loss });
      await model.fit(x, y, { batchSize: x.shape[0] as number, epochs: 1, shuffle: false });
      return recorded;
    }

    /** Keras's crossentropy on probabilities: -mean(sum(y log clip(p / sum p, 1e-7, 1 - 1e-7))). */
    const crossentropy = (oneHot: tf.Tensor, p: tf.Tensor) =>
      tf.neg(
        tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(tf.div(p, tf.sum(p, -1, true)), 1e-7, 1 - 1e-7))), -1)),
      );
    const softmax = (z: tf.Tensor) => {
      const e = tf.exp(tf.sub(z, tf.max(z, -1, true)));
      return tf.div(e, tf.sum(e, -1, true));
    };

    function expectClose(mine: number[][], auto: tf.Tensor[], tolerance = 1e-5): void {
      expect(mine).toHaveLength(auto.length);
      mine.forEach((g, i) => {
        const a = Array.from((auto[i] as tf.Tensor).dataSync());
        expect(g.length).toBe(a.length);
        const scale = Math.max(1, ...a.map(Math.abs));
        for (let k = 0; k < g.length; k++)
          expect(Math.abs((g[k] as number) - (a[k] as number))).toBeLessThan(tolerance * scale);
      });
    }

    it('Dense(useBias: false) -> BatchNormalization -> ReLU -> Dense(softmax), sparse crossentropy (the fused start at the logits)', async () => {
      const { x, y } = blobs(16, 8);
      const model = chapterModel(12, false);
      const [k1, gamma, beta, k2, b2] = model.trainableWeights.map((w) => tf.clone(w.variable));
      const mine = await fitGradients(model, 'sparseCategoricalCrossentropy', x, y);
      const oneHot = tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, 3);
      const auto = tf.grads((kernel1: tf.Tensor, g: tf.Tensor, b: tf.Tensor, kernel2: tf.Tensor, bias2: tf.Tensor) => {
        const z = tf.matMul(x, kernel1 as tf.Tensor2D);
        const mean = tf.mean(z, 0);
        const variance = tf.mean(tf.square(tf.sub(z, mean)), 0);
        const h = tf.relu(tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-3))), g), b));
        return crossentropy(oneHot, softmax(tf.add(tf.matMul(h as tf.Tensor2D, kernel2 as tf.Tensor2D), bias2)));
      })([k1, gamma, beta, k2, b2] as tf.Tensor[]);
      expectClose(mine, auto);
    });

    it('Rescaling -> Dense(sigmoid) -> Dropout -> Activation(tanh) -> Dense, crossentropy from logits (the chained path)', async () => {
      const { x, y } = blobs(12, 9);
      const dropout = new Dropout({ rate: 0.3, seed: 4 });
      const model = new Sequential(
        [
          new Rescaling({ scale: 0.5, offset: 0.1 }),
          new Dense({ units: 6, activation: 'sigmoid' }),
          dropout,
          new Activation('tanh'),
          new Dense({ units: 3 }),
        ],
        { inputShape: [4], seed: 3 },
      );
      const [k1, b1, k2, b2] = model.trainableWeights.map((w) => tf.clone(w.variable));
      // The mask fit will draw, from a copy of the layer's stream: keep when u >= rate, scaled by 1 / (1 - rate).
      const u = Random.fromState(dropout.getRandomState() as RandomState);
      const mask = tf.tensor2d(
        Array.from({ length: 12 * 6 }, () => (u.nextFloat() >= 0.3 ? 1 / 0.7 : 0)),
        [12, 6],
      );
      const mine = await fitGradients(model, sparseCategoricalCrossentropy({ fromLogits: true }), x, y);
      const oneHot = tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, 3);
      const auto = tf.grads((kernel1: tf.Tensor, bias1: tf.Tensor, kernel2: tf.Tensor, bias2: tf.Tensor) => {
        const scaled = tf.add(tf.mul(x, 0.5), 0.1);
        const s1 = tf.sigmoid(tf.add(tf.matMul(scaled as tf.Tensor2D, kernel1 as tf.Tensor2D), bias1));
        const h = tf.tanh(tf.mul(s1, mask));
        const logits = tf.add(tf.matMul(h as tf.Tensor2D, kernel2 as tf.Tensor2D), bias2);
        return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1)));
      })([k1, b1, k2, b2] as tf.Tensor[]);
      expectClose(mine, auto);
    });

    it('Normalization -> Dense(relu) -> Dense -> Activation(softmax), one-hot crossentropy; Dense(tanh) -> Dense with mean squared error', async () => {
      const { x, y } = blobs(10, 10);
      const norm = new Normalization();
      norm.adapt(x);
      const model = new Sequential(
        [norm, new Dense({ units: 5, activation: 'relu' }), new Dense({ units: 3 }), new Activation('softmax')],
        { inputShape: [4], seed: 6 },
      );
      const [k1, b1, k2, b2] = model.trainableWeights.map((w) => tf.clone(w.variable));
      const mean = tf.clone(norm.mean as tf.Variable);
      const std = tf.maximum(tf.sqrt(norm.variance as tf.Variable), 1e-7);
      const oneHot = tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, 3);
      const mine = await fitGradients(model, 'categoricalCrossentropy', x, oneHot);
      const auto = tf.grads((kernel1: tf.Tensor, bias1: tf.Tensor, kernel2: tf.Tensor, bias2: tf.Tensor) => {
        const h = tf.relu(
          tf.add(tf.matMul(tf.div(tf.sub(x, mean), std) as tf.Tensor2D, kernel1 as tf.Tensor2D), bias1),
        );
        return crossentropy(oneHot, softmax(tf.add(tf.matMul(h as tf.Tensor2D, kernel2 as tf.Tensor2D), bias2)));
      })([k1, b1, k2, b2] as tf.Tensor[]);
      expectClose(mine, auto);

      const regression = new Sequential([new Dense({ units: 4, activation: 'tanh' }), new Dense({ units: 2 })], {
        inputShape: [4],
        seed: 7,
      });
      const target = tf.tensor2d(new Random(1).normal(20), [10, 2]);
      const [r1, c1, r2, c2] = regression.trainableWeights.map((w) => tf.clone(w.variable));
      const mineMse = await fitGradients(regression, 'meanSquaredError', x, target);
      const autoMse = tf.grads((kernel1: tf.Tensor, bias1: tf.Tensor, kernel2: tf.Tensor, bias2: tf.Tensor) => {
        const h = tf.tanh(tf.add(tf.matMul(x, kernel1 as tf.Tensor2D), bias1));
        const out = tf.add(tf.matMul(h as tf.Tensor2D, kernel2 as tf.Tensor2D), bias2);
        return tf.mean(tf.square(tf.sub(out, target)));
      })([r1, c1, r2, c2] as tf.Tensor[]);
      expectClose(mineMse, autoMse);
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

  it("fit scales the loss by the optimizer's loss scale (Keras's scale_loss): a power of two changes no weight", async () => {
    const { x, y } = blobs(40, 5);
    const train = async (optimizer: Optimizer) => {
      const model = chapterModel(2);
      model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
      await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false });
      return weightsOf(model);
    };
    const plain = await train(new SGD({ learningRate: 0.1 }));
    // x * 2^k / 2^k is exact in float32: the scaled step equals the plain one bit for bit.
    expect(await train(new SGD({ learningRate: 0.1, lossScaleFactor: 1024 }))).toEqual(plain);
    expect(await train(new LossScaleOptimizer(new SGD({ learningRate: 0.1 })))).toEqual(plain);
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
