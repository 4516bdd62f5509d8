/**
 * Issue 23: the same knobs through the CLI's run setup (flags -> resolveConfig -> prepare, buildModel) and through
 * the demo's trainer (settings -> setUpRun), on the real dataset and the cpu backend, train the same run: the same
 * examples, the same first batch, the same schedule, the same first-step loss and the same weights after it.
 */
import type { BatchIterator } from '@opt/data-fashion-mnist';
import type { Sequential } from '@opt/layers';
import { readWeights, tf } from '@opt/tensor';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type TrainingSettings } from '../../../demo/src/training/protocol.js';
import { setUpRun } from '../../../demo/src/training/trainer.js';
import { inputFromFlags, resolveConfig } from '../config/resolve.js';
import { loadData } from './data.js';
import { buildModel, type TrainingOptimizer } from './model.js';
import { prepare } from './run-setup.js';

/** The first mini-batch of epoch 0, as plain arrays (the source's tensors are disposed). */
async function firstBatch(source: BatchIterator) {
  const batch = source.batches(0)[Symbol.iterator]().next().value;
  if (batch === undefined) throw new Error('no batch');
  const out = {
    x: (await batch.x.data()) as Float32Array,
    y: (await batch.y.data()) as Int32Array,
    shape: batch.x.shape,
  };
  tf.dispose([batch.x, batch.y]);
  return out;
}

/** The largest |a - b| over two lists of arrays (a failing toEqual on 235,146 weights would print them all). */
function maxDifference(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  expect(b.map((v) => v.length)).toEqual(a.map((v) => v.length));
  let max = 0;
  a.forEach((values, i) => {
    const other = b[i] as ArrayLike<number>;
    for (let j = 0; j < values.length; j++) max = Math.max(max, Math.abs((values[j] as number) - (other[j] as number)));
  });
  return max;
}

/** One optimizer step of `model` on `batch`, as fit takes it: the step's loss and the weights after it. */
async function oneStep(model: Sequential, optimizer: TrainingOptimizer, batch: Awaited<ReturnType<typeof firstBatch>>) {
  model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
  const source = {
    batchesPerEpoch: 1,
    batches: () => [{ x: tf.tensor2d(batch.x, batch.shape as [number, number]), y: tf.tensor1d(batch.y, 'int32') }],
  };
  const history = await model.fit(source, { epochs: 1 });
  const weights = await readWeights(model.weights.map((w) => ({ name: w.name, tensor: w.variable })));
  model.dispose();
  optimizer.dispose();
  return { loss: history.history.loss?.[0], weights: weights.map((w) => w.values) };
}

const CASES: Array<{ name: string; flags: Record<string, unknown>; settings: TrainingSettings }> = [
  {
    // The demo's defaults on a 300-image subset; the CLI's defaults give the rest (Adam 0.001, 256-128, 1/12).
    name: 'Adam, constant rate, standardized',
    flags: { optimizer: 'adam', perClass: 30, batchSize: 16, epochs: 10, backend: 'cpu' },
    settings: { ...DEFAULT_SETTINGS, perClass: 30, batchSize: 16 },
  },
  {
    name: 'Nesterov SGD, exponential decay, batch normalization, rescaled',
    flags: {
      ...{ optimizer: 'sgd', momentum: 0.9, nesterov: true, learningRate: 0.1, schedule: 'exponential' },
      ...{ decaySteps: 10, decayRate: 0.5, staircase: false, batchNorm: true, normalize: 'rescale' },
      ...{ perClass: 20, batchSize: 32, epochs: 3, seed: 7, backend: 'cpu' },
    },
    settings: {
      ...DEFAULT_SETTINGS,
      ...{ optimizer: 'SGD', momentum: 0.9, nesterov: true, learningRate: 0.1, batchNorm: true },
      schedule: { ...DEFAULT_SETTINGS.schedule, kind: 'exponentialDecay', decaySteps: 10, decayRate: 0.5 },
      ...{ normalize: 'rescale', perClass: 20, batchSize: 32, epochs: 3, seed: 7 },
    },
  },
];

describe('one recipe: the same knobs in `opt train` and in the demo train the same run', () => {
  for (const { name, flags, settings } of CASES) {
    it(name, async () => {
      const config = resolveConfig(inputFromFlags(flags)).config;
      const cli = await prepare(config, 1, () => {});
      const demo = setUpRun((await loadData(config)).data, settings);
      const indices = cli.splits.indices;
      if (indices === null) throw new Error('a new run took the older split');

      expect(demo.data.indices.train).toEqual(indices.train);
      expect(demo.data.indices.validation).toEqual(indices.validation);
      // Split, then subset: perClass of each of the 10 classes, all before the last twelfth of the 60,000.
      expect(indices.train).toHaveLength(10 * (settings.perClass as number));
      expect(Math.max(...indices.train)).toBeLessThan(55_000);
      expect(indices.validation).toEqual(Array.from({ length: 5000 }, (_, i) => 55_000 + i));
      expect([demo.stepsPerEpoch, demo.totalSteps]).toEqual([cli.stepsPerEpoch, cli.totalSteps]);
      for (const step of [0, 1, 5, 10, 25]) expect(demo.schedule?.(step)).toBe(cli.schedule?.(step));

      const [cliBatch, demoBatch] = [await firstBatch(cli.source), await firstBatch(demo.source)];
      expect(demoBatch.shape).toEqual(cliBatch.shape);
      expect(maxDifference([demoBatch.x, demoBatch.y], [cliBatch.x, cliBatch.y])).toBe(0);
      const a = await oneStep(buildModel(config), cli.optimizer, cliBatch);
      const b = await oneStep(demo.model, demo.optimizer, demoBatch);
      // A 10-class softmax starts near ln 10 = 2.30: a real step, not an empty one.
      expect(a.loss).toBeGreaterThan(1);
      expect(b.loss).toBe(a.loss);
      expect(maxDifference(b.weights, a.weights)).toBe(0);
    });
  }
});
