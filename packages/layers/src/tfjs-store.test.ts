/**
 * Checkpoints through a tfjs `IOHandler` (the browser's `indexeddb://` and `localstorage://` are in
 * checkpoint.browser.test.ts): `save(handler)` then `loadModel(handler)` continues to the same weights as the model
 * that was saved, and tfjs-layers' own `loadLayersModel` opens the same artifacts for inference.
 */
import { Adam } from '@opt/optimizers';
import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BatchNormalization,
  Dense,
  deleteCheckpoint,
  exportLayersModel,
  loadModel,
  Normalization,
  ReLU,
  readCheckpointInfo,
  Sequential,
} from './index.js';

beforeAll(async () => {
  await useTestBackend();
});

/** A tfjs IOHandler that keeps the last artifacts it was given, as tfjs's own stores do. */
function memoryHandler(): tf.io.IOHandler & { artifacts: tf.io.ModelArtifacts | null } {
  const handler = {
    artifacts: null as tf.io.ModelArtifacts | null,
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      handler.artifacts = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      if (handler.artifacts === null) throw new Error('nothing saved here');
      return handler.artifacts;
    },
  };
  return handler;
}

function data(): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const r = new Random(4);
  return {
    x: tf.tensor2d(r.normal(64 * 5, 0, 1), [64, 5]),
    y: tf.tensor1d(
      Array.from({ length: 64 }, () => r.nextInt(3)),
      'float32',
    ),
  };
}

function model(seed: number): Sequential {
  return new Sequential(
    [
      new Dense({ units: 8, useBias: false }),
      new BatchNormalization(),
      new ReLU(),
      new Dense({ units: 3, activation: 'softmax' }),
    ],
    { inputShape: [5], seed },
  );
}

const values = (m: Sequential) => Promise.all(m.weights.map((w) => w.variable.data()));

describe('checkpoints through a tf.io.IOHandler', () => {
  it('save(handler) then loadModel(handler) continues identically; tf.loadLayersModel opens the same artifacts', async () => {
    const { x, y } = data();
    const a = model(1);
    a.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy' });
    await a.fit(x, y, { epochs: 2, batchSize: 16, seed: 3 });
    const handler = memoryHandler();
    await a.save(handler);
    const info = await readCheckpointInfo(handler);
    expect(info?.epochsCompleted).toBe(2);
    expect(info?.optimizer?.iterations).toBe(8);

    const b = await loadModel(handler);
    expect(await values(b)).toEqual(await values(a));
    await a.fit(x, y, { epochs: 4, initialEpoch: 2, batchSize: 16 });
    await b.fit(x, y, { epochs: 4, initialEpoch: b.epochsCompleted, batchSize: 16 });
    expect(await values(b)).toEqual(await values(a));

    // The optimizer's slots are tfjs's `group: 'optimizer'` weights, which a model without an optimizer sets aside.
    const specs = handler.artifacts?.weightSpecs ?? [];
    expect(specs.filter((s) => s.group === 'optimizer').length).toBeGreaterThan(0);
    const served = await tfl.loadLayersModel(tf.io.fromMemory(handler.artifacts as tf.io.ModelArtifacts));
    const ours = b.predict(x);
    const theirs = served.predict(x) as tf.Tensor;
    expect(ours.shape).toEqual([64, 3]);
    // `served` has the weights of the save (epoch 2), `b` has trained on: compare with a model loaded at the save.
    const atSave = await loadModel(handler, { compile: false });
    const expected = atSave.predict(x);
    expect(tf.max(tf.abs(tf.sub(expected, theirs))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([x, y, ours, theirs, expected]);
    for (const m of [a, b, atSave]) m.dispose();
    served.dispose();
  });

  it('keeps a model tfjs-layers cannot express (Normalization) loadable by loadModel', async () => {
    const norm = new Normalization();
    norm.adapt(tf.tensor2d([1, 2, 3, 5, 8, 13], [3, 2]));
    const a = new Sequential([norm, new Dense({ units: 2 })], { inputShape: [2], seed: 2 });
    const handler = memoryHandler();
    await a.save(handler);
    expect(handler.artifacts?.modelTopology).toHaveProperty('optLayersModel');
    const b = await loadModel(handler, { compile: false });
    expect(await values(b)).toEqual(await values(a));
    a.dispose();
    b.dispose();
  });

  it('refuses a tfjs URL with no handler here, and a tfjs model that is not a checkpoint, saying what to do', async () => {
    const m = model(3);
    await expect(m.save('indexeddb://never')).rejects.toThrow(
      /No TensorFlow\.js save or load handler for "indexeddb:\/\/never": indexeddb:\/\/ and localstorage:\/\/ work in a browser; in Node pass a directory path/,
    );
    const exported = memoryHandler();
    await exportLayersModel(m, exported);
    await expect(loadModel(exported)).rejects.toThrow(
      /holds a TensorFlow\.js model but no @opt\/layers checkpoint.*load it with tf\.loadLayersModel/,
    );
    await expect(deleteCheckpoint(exported)).rejects.toThrow(
      /a tf\.io\.IOHandler cannot delete; delete where it writes/,
    );
    // A save-only handler (tf.io.withSaveHandler) takes a save; reading from it says it cannot load.
    const saveOnly = tf.io.withSaveHandler(async (artifacts) => ({
      modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts),
    }));
    await m.save(saveOnly);
    await expect(loadModel(saveOnly)).rejects.toThrow(/a tf\.io\.IOHandler cannot load/);
    m.dispose();
  });
});
