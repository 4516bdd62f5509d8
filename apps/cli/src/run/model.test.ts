/**
 * The optimizer a config builds, wrappers included, through a checkpoint: what `opt train --resume` does
 * (save after some epochs, load into a fresh model and optimizer, train on) ends with the weights of an
 * uninterrupted run, and the optimizer's iterations are Keras's floor(calls / gradientAccumulationSteps).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sequential } from '@opt/layers';
import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputFromFlags, resolveConfig } from '../config/resolve.js';
import { buildModel, buildOptimizer } from './model.js';
import { appliedSteps } from './train-run.js';

const scratch = mkdtempSync(join(tmpdir(), 'opt-model-test-'));
beforeAll(() => useTestBackend());
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** 60 random images of 784 pixels with labels 0..9: 4 steps of 16 per epoch. */
function data(): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const r = new Random(5);
  return {
    x: tf.tensor2d(r.normal(60 * 784), [60, 784]),
    y: tf.tensor1d(
      Int32Array.from({ length: 60 }, () => r.nextInt(10)),
      'int32',
    ),
  };
}

const weights = (m: Sequential) => Promise.all(m.weights.map(async (w) => Array.from(await w.variable.data())));

describe('the optimizer of a config through a checkpoint', () => {
  for (const given of [
    { optimizer: 'sgd', momentum: '0.9', lookahead: true, lookaheadSyncPeriod: '3', lossScale: true },
    { optimizer: 'adam', gradientAccumulationSteps: '3', lossScaleFactor: '64' },
  ]) {
    it(`resumes to the uninterrupted weights: ${JSON.stringify(given)}`, async () => {
      const { config } = resolveConfig(inputFromFlags({ ...given, hidden: '8', seed: '3' }));
      const { x, y } = data();
      const compiled = () => {
        const model = buildModel(config);
        model.compile({ optimizer: buildOptimizer(config, null), loss: 'sparseCategoricalCrossentropy' });
        return model;
      };
      const dir = join(scratch, String(config.optimizer));
      const a = compiled();
      await a.fit(x, y, { epochs: 2, batchSize: 16, seed: 4 });
      await a.save(dir);
      // 2 epochs of 4 steps: floor(8 / n) applied steps
      expect(a.optimizer.iterations).toBe(appliedSteps(config, 8));
      expect(a.optimizer.iterations).toBe(config.gradientAccumulationSteps === 3 ? 2 : 8);
      const b = compiled();
      const info = await b.loadWeights(dir);
      expect(info).toMatchObject({ epoch: 2, step: 0, optimizerRestored: true });
      expect(b.optimizer.iterations).toBe(a.optimizer.iterations);
      await a.fit(x, y, { epochs: 3, initialEpoch: 2, batchSize: 16 });
      await b.fit(x, y, { epochs: 3, initialEpoch: 2, batchSize: 16 });
      expect(await weights(b)).toEqual(await weights(a));
      expect(b.optimizer.iterations).toBe(appliedSteps(config, 12));
      for (const m of [a, b]) {
        m.optimizer.dispose();
        m.dispose();
      }
      tf.dispose([x, y]);
    });
  }
});
