import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SGD } from '@opt/optimizers';
import { ReduceLROnPlateau } from '@opt/schedules';
import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, EarlyStopping, ModelCheckpoint, Sequential, TerminateOnNaN } from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'opt-layers-cb-'));
beforeAll(async () => {
  await useTestBackend();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function tiny(): Sequential {
  const m = new Sequential([new Dense({ units: 2 })], { inputShape: [3], seed: 1 });
  m.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: 'meanSquaredError' });
  return m;
}

function setKernel(m: Sequential, value: number): void {
  const k = m.weights[0]?.variable as tf.Variable;
  k.assign(tf.fill(k.shape, value));
}

describe('EarlyStopping (Keras 3 semantics)', () => {
  it('stops after `patience` epochs without improvement and restores the best weights', () => {
    const m = tiny();
    const es = new EarlyStopping({ patience: 2, restoreBestWeights: true, log: () => {} });
    es.setModel(m);
    es.onTrainBegin();
    const losses = [1, 0.9, 0.95, 0.96, 0.5];
    let stoppedAt = -1;
    for (let epoch = 0; epoch < losses.length && stoppedAt < 0; epoch++) {
      setKernel(m, epoch);
      es.onEpochEnd(epoch, { val_loss: losses[epoch] as number });
      if (m.stopTraining) stoppedAt = epoch;
    }
    expect(stoppedAt).toBe(3);
    expect(es.bestEpoch).toBe(1);
    expect(es.best).toBe(0.9);
    expect(Array.from(m.weights[0]?.variable.dataSync() ?? [])).toEqual([1, 1, 1, 1, 1, 1]);
    es.onTrainEnd();
  });

  it('minDelta, max mode for accuracy, startFromEpoch and baseline', () => {
    const m = tiny();
    const es = new EarlyStopping({ monitor: 'val_accuracy', minDelta: 0.05, patience: 1, log: () => {} });
    expect(es.mode).toBe('max');
    es.setModel(m);
    es.onTrainBegin();
    es.onEpochEnd(0, { val_accuracy: 0.5 });
    es.onEpochEnd(1, { val_accuracy: 0.53 }); // +0.03 < minDelta: no improvement
    expect(m.stopTraining).toBe(true);

    const m2 = tiny();
    const warm = new EarlyStopping({ patience: 0, startFromEpoch: 2, log: () => {} });
    warm.setModel(m2);
    warm.onTrainBegin();
    warm.onEpochEnd(0, { val_loss: 1 });
    warm.onEpochEnd(1, { val_loss: 2 });
    expect(m2.stopTraining).toBe(false);
    warm.onEpochEnd(2, { val_loss: 3 });
    expect(m2.stopTraining).toBe(false); // first counted epoch sets best
    warm.onEpochEnd(3, { val_loss: 4 });
    expect(m2.stopTraining).toBe(true);

    const m3 = tiny();
    const base = new EarlyStopping({ patience: 2, baseline: 0.5, log: () => {} });
    base.setModel(m3);
    base.onTrainBegin();
    base.onEpochEnd(0, { val_loss: 0.9 });
    base.onEpochEnd(1, { val_loss: 0.8 }); // improves but not past the baseline: wait keeps counting
    expect(m3.stopTraining).toBe(false); // Keras returns after an improvement without checking patience
    base.onEpochEnd(2, { val_loss: 0.85 }); // wait = 3 >= patience
    expect(m3.stopTraining).toBe(true);
    expect(() => new EarlyStopping({ mode: 'up' as never })).toThrow(/mode/);
  });

  it('stops a real fit and History ends there', async () => {
    const m = tiny();
    const x = tf.ones([8, 3]);
    const y = tf.ones([8, 2]);
    // Validation targets the model cannot approach while training pulls the other way.
    const h = await m.fit(x, y, {
      epochs: 20,
      batchSize: 8,
      validationData: [x, tf.fill([8, 2], -50)],
      callbacks: [new EarlyStopping({ patience: 1, log: () => {} })],
    });
    expect(h.epoch).toEqual([0, 1]);
  });
});

describe('TerminateOnNaN', () => {
  it('stops on a diverging loss with a message naming a 10x lower learning rate', async () => {
    const m = new Sequential([new Dense({ units: 1 })], { inputShape: [2], seed: 1 });
    const sgd = new SGD({ learningRate: 1e6, nonFiniteGradients: 'unchecked' }); // Keras: NaN reaches the loss
    m.compile({ optimizer: sgd, loss: 'meanSquaredError' });
    const lines: string[] = [];
    const cb = new TerminateOnNaN({ log: (l) => lines.push(l) });
    const r = new Random(1);
    const h = await m.fit(tf.tensor2d(r.normal(400, 0, 100), [200, 2]), tf.zeros([200, 1]), {
      epochs: 5,
      batchSize: 10,
      shuffle: false,
      callbacks: [cb],
    });
    expect(cb.message).toMatch(
      /invalid loss (NaN|Infinity).*10x lower than the current 1000000, i\.e\. learningRate: 100000/,
    );
    expect(lines).toHaveLength(1);
    expect(h.epoch).toEqual([0]);
    expect(sgd.iterations).toBeLessThan(20);
  });
});

describe('ModelCheckpoint and batch hooks', () => {
  it('saves every epoch, or only on improvement with saveBestOnly', async () => {
    const m = tiny();
    const x = tf.ones([4, 3]);
    const y = tf.ones([4, 2]);
    const every = new ModelCheckpoint(join(scratch, 'every-{epoch:02d}'));
    const best = new ModelCheckpoint(join(scratch, 'best-{epoch}'), { saveBestOnly: true, monitor: 'loss' });
    await m.fit(x, y, { epochs: 3, batchSize: 4, callbacks: [every, best] });
    expect(['01', '02', '03'].every((e) => existsSync(join(scratch, `every-${e}`, 'model.json')))).toBe(true);
    expect(existsSync(join(scratch, 'best-1'))).toBe(true); // the loss decreases every epoch here
    expect(existsSync(join(scratch, 'best-3'))).toBe(true);
    const worse = new ModelCheckpoint(join(scratch, 'never-{epoch}'), {
      saveBestOnly: true,
      initialValueThreshold: -1,
      monitor: 'loss',
    });
    await m.fit(x, y, { epochs: 1, batchSize: 4, callbacks: [worse] });
    expect(existsSync(join(scratch, 'never-1'))).toBe(false);
  });

  it('onBatchEnd runs per batch; the loss is read back only when a callback reads it or sets wantsBatchLoss', async () => {
    const m = tiny();
    const x = tf.ones([16, 3]);
    const y = tf.ones([16, 2]);
    const proto = tf.Tensor.prototype as unknown as { dataSync: () => unknown; data: () => unknown };
    const original = { dataSync: proto.dataSync, data: proto.data };
    let reads = 0;
    proto.dataSync = function (this: unknown) {
      reads++;
      return original.dataSync.call(this);
    };
    proto.data = function (this: unknown) {
      reads++;
      return original.data.call(this);
    };
    const count = async (callbacks: object[]) => {
      reads = 0;
      await m.fit(x, y, { epochs: 1, batchSize: 4, callbacks, shuffle: false });
      return reads;
    };
    try {
      const batches: number[] = [];
      await count([]); // the first fit also validates x and y (read back once, then remembered)
      const base = await count([]);
      expect(base).toBe(1); // the epoch's loss sum: one read per epoch
      expect(await count([{ onBatchEnd: (b: number) => batches.push(b) }])).toBe(base);
      expect(batches).toEqual([0, 1, 2, 3]);
      const seen: number[] = [];
      expect(await count([{ onBatchEnd: (_b: number, logs: { loss: number }) => seen.push(logs.loss) }])).toBe(
        base + 4,
      );
      expect(seen.every(Number.isFinite)).toBe(true);
      expect(await count([{ wantsBatchLoss: true, onBatchEnd: () => {} }])).toBe(base + 4);
    } finally {
      proto.dataSync = original.dataSync;
      proto.data = original.data;
    }
  });

  it("drives @opt/schedules' ReduceLROnPlateau", async () => {
    const m = tiny();
    const x = tf.ones([4, 3]);
    const h = await m.fit(x, tf.ones([4, 2]), {
      epochs: 4,
      batchSize: 4,
      validationData: [x, tf.fill([4, 2], -50)],
      callbacks: [new ReduceLROnPlateau({ patience: 1, factor: 0.5, verbose: 0 })],
    });
    const lrs = h.history.learning_rate ?? [];
    expect(lrs[0]).toBe(0.1);
    expect(lrs.at(-1)).toBeLessThan(0.1);
  });
});
