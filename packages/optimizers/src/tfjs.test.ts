/**
 * Our optimizers in tfjs-layers: `model.compile` takes every preset, a step inside `model.fit` is Keras's step
 * (checked against `tf.grad` and a float64 transcription of Keras's Adam), and `model.save` with the optimizer then
 * `tf.loadLayersModel` continues to the same weights as a run that was never interrupted.
 */
import { cosineDecay, exponentialDecay } from '@opt/schedules';
import { tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdaBelief,
  Adadelta,
  Adafactor,
  Adagrad,
  Adam,
  Adamax,
  AdamW,
  ASGD,
  CATALOG,
  chain,
  Ftrl,
  fromTransformation,
  type GradientTransformationOptimizer,
  Lamb,
  Lion,
  Lookahead,
  LossScaleOptimizer,
  Muon,
  Nadam,
  Prodigy,
  RAdam,
  RMSprop,
  Rprop,
  ScheduleFreeAdamW,
  ScheduleFreeSGD,
  SGD,
  scaleByLearningRate,
  trace,
  Yogi,
} from './index.js';

beforeAll(() => useTestBackend());

const X = [
  [0.5, -1.2],
  [1.5, 0.3],
  [-0.7, 2.1],
  [0.2, 0.9],
];
const Y = [[1], [-0.5], [2], [0.3]];

/** A linear model `y = x W + b` (2 -> 1), with fixed initial weights. */
function linearModel(): tfl.Sequential {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
  model.setWeights([tf.tensor2d([[0.3], [-0.4]]), tf.tensor1d([0.1])]);
  return model;
}

/** A 2-4-2 model with ReLU and softmax, the same initial weights every time. */
function smallModel(): tfl.Sequential {
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 4, inputShape: [2], activation: 'relu' }),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  model.setWeights(model.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', 40 + i)));
  return model;
}

/** `steps` full-batch steps of `fit` (no shuffling: the same batches in every run). */
async function fitSteps(model: tfl.LayersModel, steps: number, x = tf.tensor2d(X), y = tf.tensor2d(Y)): Promise<void> {
  await model.fit(x, y, { epochs: steps, batchSize: X.length, shuffle: false, verbose: 0 });
}

async function weightsOf(model: tfl.LayersModel): Promise<number[][]> {
  return Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
}

const presets: Array<[string, () => GradientTransformationOptimizer]> = [
  ['SGD', () => new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true })],
  ['RMSprop', () => new RMSprop({ centered: true, momentum: 0.3 })],
  ['Adam', () => new Adam({ amsgrad: true, useEma: true, emaOverwriteFrequency: 3 })],
  [
    'AdamW',
    () => new AdamW({ learningRate: 0.01, weightDecay: 0.1, excludeFromWeightDecay: ['dense_Dense\\d+/bias'] }),
  ],
  ['Adagrad', () => new Adagrad({ clipnorm: 1 })],
  ['Adamax', () => new Adamax({ clipvalue: 0.5 })],
  ['Nadam', () => new Nadam({ learningRate: cosineDecay({ initialLearningRate: 0.01, decaySteps: 10 }) })],
  ['Adadelta', () => new Adadelta({ learningRate: 1, globalClipnorm: 1, nonFiniteGradients: 'skip' })],
  ['Lion', () => new Lion({ weightDecay: 0.1 })],
  ['Lamb', () => new Lamb({ learningRate: 0.01 })],
  ['Ftrl', () => new Ftrl({ learningRate: 0.1, l1RegularizationStrength: 0.001 })],
  ['Adafactor', () => new Adafactor({ learningRate: 0.01 })],
  // a pattern with underscores: a tfjs load camel-cases the strings of the saved config
  ['Muon', () => new Muon({ learningRate: 0.01, excludeLayers: ['no_such_layer'], weightDecay: 0.1 })],
  ['RAdam', () => new RAdam({ weightDecay: 0.01 })],
  ['Rprop', () => new Rprop()],
  ['ASGD', () => new ASGD({ t0: 1 })],
  ['Yogi', () => new Yogi()],
  ['AdaBelief', () => new AdaBelief({ learningRate: 0.01 })],
  ['ScheduleFreeAdamW', () => new ScheduleFreeAdamW({ learningRate: 0.01, warmupSteps: 2, weightDecay: 0.01 })],
  ['ScheduleFreeSGD', () => new ScheduleFreeSGD({ learningRate: 0.1 })],
  ['Prodigy', () => new Prodigy({ weightDecay: 0.01 })],
];

it('the table above holds every preset of the catalog', () => {
  expect(presets.map(([name]) => name)).toEqual(CATALOG.map((e) => e.className));
});

/** The wrappers, around a preset (LossScaleOptimizer is no GradientTransformationOptimizer: the table's type only). */
const wrappers: Array<[string, () => GradientTransformationOptimizer]> = [
  ['Lookahead', () => new Lookahead(new Adam({ learningRate: 0.01 }), { syncPeriod: 3 })],
  [
    'LossScaleOptimizer',
    () =>
      new LossScaleOptimizer(new SGD({ learningRate: 0.1, momentum: 0.9 }), {
        dynamicGrowthSteps: 2,
      }) as unknown as GradientTransformationOptimizer,
  ],
];
const optimizers = [...presets, ...wrappers];

describe('model.compile and fit take our optimizers', () => {
  it.each(optimizers)('%s is a tf.Optimizer that model.fit steps once per batch', async (name, make) => {
    const optimizer = make();
    expect(optimizer).toBeInstanceOf(tf.Optimizer);
    expect(optimizer.getClassName()).toBe(`opt.${name}`);
    const model = smallModel();
    model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
    const before = await weightsOf(model);
    await model.fit(tf.tensor2d(X), tf.tensor1d([0, 1, 1, 0]), { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
    expect(optimizer.iterations).toBe(4);
    expect(await weightsOf(model)).not.toEqual(before);
  });

  it("leaves tfjs's own classes registered under their names (ours are opt.Adam, ...)", () => {
    const map = tf.serialization.SerializationMap.getMap().classNameMap;
    expect(map.Adam?.[0]).toBe(tf.AdamOptimizer);
    expect(map.SGD?.[0]).toBe(tf.SGDOptimizer);
    expect(map['opt.Adam']?.[0]).toBe(Adam);
    expect(map['opt.AdamW']?.[0]).toBe(AdamW);
  });

  it('one SGD step inside model.fit is w - lr * grad, the gradient taken by tf.grads', async () => {
    const lr = 0.1;
    const model = linearModel();
    const [w0, b0] = model.getWeights().map((w) => tf.clone(w)) as [tf.Tensor2D, tf.Tensor1D];
    const x = tf.tensor2d(X);
    const y = tf.tensor2d(Y);
    const mse = (w: tf.Tensor, b: tf.Tensor) =>
      tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w as tf.Tensor2D), b), y)));
    const [gw, gb] = tf.grads(mse)([w0, b0]) as [tf.Tensor, tf.Tensor];
    model.compile({ optimizer: new SGD({ learningRate: lr }), loss: 'meanSquaredError' });
    await fitSteps(model, 1);
    const [w1, b1] = await weightsOf(model);
    expectClose(w1 as number[], Array.from(await tf.sub(w0, tf.mul(lr, gw)).data()), 1e-7);
    expectClose(b1 as number[], Array.from(await tf.sub(b0, tf.mul(lr, gb)).data()), 1e-7);
  });

  it("three steps of Adam inside fit, with an exponential decay per step, follow Keras's arithmetic in float64", async () => {
    const schedule = { initialLearningRate: 0.05, decaySteps: 2, decayRate: 0.5 };
    const model = linearModel();
    model.compile({ optimizer: new Adam({ learningRate: exponentialDecay(schedule) }), loss: 'meanSquaredError' });
    await fitSteps(model, 3);
    // Keras 3 Adam (keras/src/optimizers/adam.py) on the closed-form gradient of the mean squared error.
    let w = [0.3, -0.4, 0.1]; // w1, w2, b
    let m = [0, 0, 0];
    let v = [0, 0, 0];
    const [b1, b2, eps] = [0.9, 0.999, 1e-7];
    for (let step = 0; step < 3; step++) {
      const g = [0, 0, 0];
      X.forEach((row, i) => {
        const r = (row[0] as number) * (w[0] as number) + (row[1] as number) * (w[1] as number) + (w[2] as number);
        const e = (2 / X.length) * (r - (Y[i]?.[0] as number));
        g[0] = (g[0] as number) + e * (row[0] as number);
        g[1] = (g[1] as number) + e * (row[1] as number);
        g[2] = (g[2] as number) + e;
      });
      const lr = schedule.initialLearningRate * schedule.decayRate ** (step / schedule.decaySteps);
      const t = step + 1;
      const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      m = m.map((mi, k) => mi + ((g[k] as number) - mi) * (1 - b1));
      v = v.map((vi, k) => vi + ((g[k] as number) ** 2 - vi) * (1 - b2));
      w = w.map((wi, k) => wi - (alpha * (m[k] as number)) / (Math.sqrt(v[k] as number) + eps));
    }
    const [kernel, bias] = await weightsOf(model);
    expectClose([...(kernel as number[]), ...(bias as number[])], w, 2e-6);
  });

  it("applyGradients takes tfjs's { name: gradient } map and [{ name, tensor }]: the same step as tf.train.sgd", async () => {
    const make = () => [tf.variable(tf.tensor1d([1, -2, 3])), tf.variable(tf.tensor1d([0.5]))] as const;
    const loss = (a: tf.Variable, b: tf.Variable) => () => tf.sum(tf.mul(tf.square(a), b)) as tf.Scalar;
    const ours = make();
    const theirs = make();
    const oursGrads = tf.variableGrads(loss(...ours), [...ours]).grads;
    const theirsGrads = tf.variableGrads(loss(...theirs), [...theirs]).grads;
    new SGD({ learningRate: 0.1 }).applyGradients(oursGrads);
    tf.train.sgd(0.1).applyGradients(theirsGrads);
    for (let i = 0; i < 2; i++) expect(await ours[i]?.data()).toEqual(await theirs[i]?.data());
    const list = ours.map((v) => ({ name: v.name, tensor: tf.onesLike(v) }));
    const opt = new SGD({ learningRate: 0.5 });
    opt.applyGradients(list);
    expect(Array.from(await (ours[1] as tf.Variable).data())).toEqual([
      ((await theirs[1]?.data())?.[0] as number) - 0.5,
    ]);
    expect(opt.iterations).toBe(1);
    expect(() => opt.applyGradients({ 'no-such-variable': tf.scalar(1) })).toThrow(
      /no variable named "no-such-variable"/,
    );
  });
});

/** An in-memory save: what `model.save` wrote, for `tf.io.fromMemory`. */
async function saveToMemory(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer: true },
  );
  return saved as tf.io.ModelArtifacts;
}

describe('model.save with the optimizer, then tf.loadLayersModel', () => {
  it.each(optimizers)('%s continues to the same weights as an uninterrupted run', async (name, make) => {
    const x = tf.tensor2d(X);
    const y = tf.tensor1d([0, 1, 1, 0]);
    const compile = (model: tfl.LayersModel) => {
      model.compile({ optimizer: make(), loss: 'sparseCategoricalCrossentropy' });
      return model;
    };
    const train = (model: tfl.LayersModel, steps: number) =>
      model.fit(x, y, { epochs: steps, batchSize: 2, shuffle: false, verbose: 0 });
    const whole = compile(smallModel());
    await train(whole, 5);
    const first = compile(smallModel());
    await train(first, 2);
    const artifacts = await saveToMemory(first);
    const saved = artifacts.trainingConfig as unknown as { optimizer_config: { class_name: string } };
    expect(saved.optimizer_config.class_name).toBe(`opt.${name}`);
    const resumed = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
    const optimizer = resumed.optimizer as GradientTransformationOptimizer;
    expect(optimizer.constructor.name).toBe(name);
    expect(optimizer.iterations).toBe(4);
    expect(optimizer.getConfig()).toEqual((first.optimizer as GradientTransformationOptimizer).getConfig());
    await train(resumed, 3);
    expect(await weightsOf(resumed)).toEqual(await weightsOf(whole));
  });

  it("keeps a weight-decay pattern's underscores, which loading's camel-casing of the config rewrites", async () => {
    const model = smallModel();
    model.compile({ optimizer: new AdamW({ excludeFromWeightDecay: ['dense_Dense'] }), loss: 'meanSquaredError' });
    const artifacts = await saveToMemory(model);
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
    expect((loaded.optimizer as AdamW).getConfig().config.excludeFromWeightDecay).toEqual(['dense_Dense']);
  });

  it('says why a learning-rate function without a config, or a bare chain, cannot be loaded', async () => {
    const cases: Array<[GradientTransformationOptimizer, RegExp]> = [
      [new Adam({ learningRate: (step) => 0.01 / (1 + step) }), /learning-rate function that has no config/],
      [fromTransformation(chain(trace(0.9), scaleByLearningRate())), /cannot be rebuilt from its config/],
    ];
    for (const [optimizer, message] of cases) {
      const model = linearModel();
      model.compile({ optimizer, loss: 'meanSquaredError' });
      const artifacts = await saveToMemory(model);
      await expect(tfl.loadLayersModel(tf.io.fromMemory(artifacts))).rejects.toThrow(message);
    }
  });
});

function expectClose(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => {
    expect(Math.abs(a - (expected[i] as number))).toBeLessThanOrEqual(tolerance);
  });
}
