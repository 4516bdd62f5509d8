import { Random, tf, useBackend } from '@opt/tensor';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BatchNormalization,
  Dense,
  DirectoryStore,
  deleteCheckpoint,
  IndexedDbStore,
  loadModel,
  ModelCheckpoint,
  ReLU,
  readCheckpointInfo,
  Sequential,
} from './index.js';

beforeAll(async () => {
  tf.enableProdMode();
  await useBackend('cpu');
});

function model(seed: number): Sequential {
  return new Sequential(
    [new Dense({ units: 4, useBias: false }), new BatchNormalization(), new ReLU(), new Dense({ units: 2 })],
    {
      inputShape: [3],
      seed,
    },
  );
}

describe('IndexedDbStore (real Chromium IndexedDB)', () => {
  it('saves and loads a checkpoint; a second save replaces the first; an absent key is a clear error', async () => {
    const store = new IndexedDbStore(`ckpt-${Date.now()}`);
    expect(await store.read()).toBeNull();
    const a = model(1);
    const bn = a.layers[1] as BatchNormalization;
    bn.movingMean?.assign(tf.tensor1d(new Random(2).normal(4)));
    await a.save(store);
    const b = model(2);
    const info = await b.loadWeights(store);
    expect(info.epoch).toBe(0);
    for (let i = 0; i < a.weights.length; i++) {
      expect(Array.from(b.weights[i]?.variable.dataSync() ?? [])).toEqual(
        Array.from(a.weights[i]?.variable.dataSync() ?? []),
      );
    }
    const c = model(3);
    await c.save(store);
    const d = await loadModel(store);
    expect(Array.from(d.weights[0]?.variable.dataSync() ?? [])).toEqual(
      Array.from(c.weights[0]?.variable.dataSync() ?? []),
    );
    await expect(model(1).loadWeights(new IndexedDbStore('never-written'))).rejects.toThrow(
      /No checkpoint at indexeddb:\/\/opt-layers\/never-written/,
    );
  });

  it('deletes one checkpoint in one transaction, says whether there was one, and leaves the other keys alone', async () => {
    const database = `delete-${Date.now()}`;
    const store = new IndexedDbStore('run', database);
    const other = new IndexedDbStore('other-run', database);
    expect(await store.delete()).toBe(false);
    await model(1).save(store);
    await model(2).save(other);
    expect(await readCheckpointInfo(store)).toMatchObject({
      location: `indexeddb://${database}/run`,
      epochsCompleted: 0,
    });
    expect(await deleteCheckpoint(store)).toBe(true);
    expect(await store.read()).toBeNull();
    expect(await readCheckpointInfo(store)).toBeNull();
    await expect(model(1).loadWeights(store)).rejects.toThrow(`No checkpoint at indexeddb://${database}/run.`);
    expect(await store.delete()).toBe(false);
    expect(await readCheckpointInfo(other)).not.toBeNull();
    // The database still works after a delete: the next save goes in.
    await model(3).save(store);
    expect(await readCheckpointInfo(store)).not.toBeNull();
  });

  it("readCheckpointInfo reads fit's checkpoint (epochs, optimizer, callback states) from IndexedDB", async () => {
    const store = new IndexedDbStore(`info-${Date.now()}`);
    const m = model(1);
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const x = tf.tensor2d(new Random(1).normal(8 * 3), [8, 3]);
    await m.fit(x, tf.zeros([8, 2]), { epochs: 2, batchSize: 4, callbacks: [new ModelCheckpoint(store)] });
    expect(await readCheckpointInfo(store)).toMatchObject({
      epochsCompleted: 2,
      optimizer: { className: 'Adam', iterations: 4 },
      callbackStates: { ModelCheckpoint: { best: null } },
    });
  });

  it.each(['indexeddb', 'localstorage'])(
    '%s:// URLs: save, loadModel, ModelCheckpoint, delete; tf.loadLayersModel opens the same entry',
    async (scheme) => {
      const url = `${scheme}://ckpt-${Date.now()}`;
      expect(await readCheckpointInfo(url)).toBeNull();
      const a = model(1);
      (a.layers[1] as BatchNormalization).movingMean?.assign(tf.tensor1d(new Random(2).normal(4)));
      a.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const x = tf.tensor2d(new Random(1).normal(8 * 3), [8, 3]);
      await a.fit(x, tf.zeros([8, 2]), { epochs: 2, batchSize: 4, callbacks: [new ModelCheckpoint(url)] });
      expect(await readCheckpointInfo(url)).toMatchObject({ epochsCompleted: 2, optimizer: { iterations: 4 } });
      const b = await loadModel(url);
      expect(b.optimizer.iterations).toBe(4);
      for (let i = 0; i < a.weights.length; i++) {
        expect(Array.from(b.weights[i]?.variable.dataSync() ?? [])).toEqual(
          Array.from(a.weights[i]?.variable.dataSync() ?? []),
        );
      }
      const served = await tfl.loadLayersModel(url);
      const diff = tf.max(tf.abs(tf.sub(a.predict(x), served.predict(x) as tf.Tensor))).dataSync()[0] as number;
      expect(diff).toBeLessThan(1e-6);
      expect(await deleteCheckpoint(url)).toBe(true);
      expect(await readCheckpointInfo(url)).toBeNull();
      expect(await deleteCheckpoint(url)).toBe(false);
    },
  );

  it('a directory path in a browser is an error that says to use an IndexedDbStore', async () => {
    const message =
      /checkpoints in directories need Node\.js's file system, which a browser does not have\. Use an IndexedDbStore instead/;
    expect(() => new DirectoryStore('checkpoints/mlp')).toThrow(message);
    await expect(model(1).save('checkpoints/mlp')).rejects.toThrow(message);
    await expect(loadModel('checkpoints/mlp')).rejects.toThrow(message);
    expect(() => new ModelCheckpoint('checkpoints/{epoch}')).toThrow(message);
  });
});
