import { Random, tf, useBackend } from '@opt/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNormalization, Dense, IndexedDbStore, loadModel, ReLU, Sequential } from './index.js';

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
});
