/**
 * `exportLayersModel`: what it writes, `tf.loadLayersModel` of tfjs-layers itself loads (strict: every weight
 * named as tfjs-layers names it, none left over) and predicts the same probabilities as our model, moving
 * statistics of BatchNormalization included.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Activation,
  BatchNormalization,
  Dense,
  Dropout,
  exportLayersModel,
  Flatten,
  Normalization,
  ReLU,
  Rescaling,
  Sequential,
  Softmax,
} from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'opt-layers-tfjs-export-'));

beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Pixel-like inputs, integers 0..255, with labels from a fixed random linear rule (so training moves the weights). */
function pixels(n: number, features: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const r = new Random(seed);
  const values = Float32Array.from({ length: n * features }, () => r.nextInt(256));
  const w = r.normal(features * 10, 0, 1);
  const labels = Array.from({ length: n }, (_, i) => {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < 10; c++) {
      let s = 0;
      for (let j = 0; j < features; j++) s += (values[i * features + j] as number) * (w[j * 10 + c] as number);
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    return best;
  });
  return { x: tf.tensor2d(values, [n, features]), y: tf.tensor1d(labels, 'float32') };
}

/** The exported files read back as tfjs's own `fromMemory` handler sees a model.json with its weights. */
function readExport(directory: string): tf.io.IOHandler {
  const json = JSON.parse(readFileSync(join(directory, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const bin = readFileSync(join(directory, json.weightsManifest[0]?.paths[0] as string));
  return tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
  });
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
}

describe('exportLayersModel', () => {
  it('writes model.json + weights.bin that tf.loadLayersModel loads and that predicts our probabilities', async () => {
    const { x, y } = pixels(96, 64, 1);
    const model = new Sequential(
      [
        new Rescaling({ scale: 1 / 255 }),
        new Dense({ units: 32, useBias: false }),
        new BatchNormalization(),
        new ReLU(),
        new Dropout({ rate: 0.2 }),
        new Dense({ units: 16, activation: 'tanh' }),
        new BatchNormalization({ momentum: 0.9, epsilon: 1e-2, scale: false }),
        new Dense({ units: 10, activation: 'softmax' }),
      ],
      { inputShape: [64], seed: 3 },
    );
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    await model.fit(x, y, { batchSize: 16, epochs: 2, seed: 5, verbose: 0 });
    const movingMean = model.weights.find((w) => w.name.endsWith('moving_mean'))?.variable as tf.Variable;
    // The moving statistics have left their initial zeros, so the comparison below covers them.
    expect(Math.max(...(await movingMean.data()).map(Math.abs))).toBeGreaterThan(1e-3);

    const directory = join(scratch, 'mlp');
    const result = await exportLayersModel(model, directory);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(model.weights.reduce((n, w) => n + w.variable.size * 4, 0));
    const json = JSON.parse(readFileSync(join(directory, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.class_name).toBe('Sequential');
    expect(json.modelTopology.config.layers[0].config.batch_input_shape).toEqual([null, 64]);
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual(
      model.weights.map((w) => w.name),
    );

    const loaded = await tfl.loadLayersModel(readExport(directory));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.className));
    for (const w of model.weights) {
      const theirs = loaded.weights.find((v) => v.originalName === w.name);
      expect(theirs, w.name).toBeDefined();
      expect(maxAbsDiff(theirs?.read() as tf.Tensor, w.variable), w.name).toBe(0);
    }
    const test = pixels(200, 64, 2).x;
    const ours = model.predict(test);
    const theirs = loaded.predict(test) as tf.Tensor;
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-6);
    expect(maxAbsDiff(tf.sum(theirs, -1), tf.ones([200]))).toBeLessThan(1e-5);
    tf.dispose([x, y, test, ours, theirs]);
    loaded.dispose();
    model.dispose();
  });

  it('goes through a tfjs IO handler, with Flatten, Softmax and Activation layers', async () => {
    const model = new Sequential(
      [
        new Flatten(),
        new Dense({ units: 8, kernelInitializer: 'heNormal', biasInitializer: 'ones' }),
        new Activation('sigmoid'),
        new Dense({ units: 5 }),
        new Softmax(),
      ],
      { inputShape: [3, 4], seed: 7 },
    );
    let saved: tf.io.ModelArtifacts | null = null;
    const result = await exportLayersModel(
      model,
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
    expect(result.modelArtifactsInfo.weightDataBytes).toBe((12 * 8 + 8 + 8 * 5 + 5) * 4);
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved as unknown as tf.io.ModelArtifacts));
    const x = tf.randomNormal([6, 3, 4], 0, 2, 'float32', 11);
    const ours = model.predict(x);
    const theirs = loaded.predict(x) as tf.Tensor;
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-6);
    tf.dispose([x, ours, theirs]);
    loaded.dispose();
    model.dispose();
  });

  it('refuses a layer tfjs-layers has no class for, an unbuilt model and a target it cannot write', async () => {
    const normalized = new Sequential([new Normalization(), new Dense({ units: 2 })], { inputShape: [3] });
    await expect(exportLayersModel(normalized, join(scratch, 'never'))).rejects.toThrow(
      /layer "normalization(_\d+)?" \(Normalization\) has no equivalent in tfjs-layers.*Normalize the inputs before/,
    );
    await expect(exportLayersModel(new Sequential([new Dense({ units: 2 })]), join(scratch, 'never'))).rejects.toThrow(
      /not built; pass inputShape/,
    );
    const built = new Sequential([new Dense({ units: 2 })], { inputShape: [3] });
    await expect(exportLayersModel(built, 'localstorage://m')).rejects.toThrow(
      /no TensorFlow\.js save handler for "localstorage:\/\/m".*directory path/,
    );
    await expect(exportLayersModel(built, 42 as never)).rejects.toThrow(/`target` must be a directory path/);
    normalized.dispose();
    built.dispose();
  });
});
