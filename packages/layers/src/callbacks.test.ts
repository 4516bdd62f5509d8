import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SGD } from '@opt/optimizers';
import { ReduceLROnPlateau } from '@opt/schedules';
import { Random, tf } from '@opt/tensor';
import { useTestBackend } from '@opt/tensor/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BatchLogs,
  Dense,
  EarlyStopping,
  type FitCallback,
  ModelCheckpoint,
  readCheckpointInfo,
  Sequential,
  TerminateOnNaN,
} from './index.js';

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
    expect(Array.from(m.weights[0]?.variable.dataSync() ?? [])).toEqual([3, 3, 3, 3, 3, 3]);
    es.onTrainEnd(); // Keras 3 puts the best weights back when training ends
    expect(Array.from(m.weights[0]?.variable.dataSync() ?? [])).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("restores the best weights at the end of training even without stopping early (Keras 3's on_train_end)", () => {
    const m = tiny();
    const es = new EarlyStopping({ patience: 5, restoreBestWeights: true, log: () => {} });
    es.setModel(m);
    es.onTrainBegin();
    [0.5, 0.2, 0.4].forEach((loss, epoch) => {
      setKernel(m, epoch + 10);
      es.onEpochEnd(epoch, { val_loss: loss });
    });
    expect(m.stopTraining).toBe(false);
    es.onTrainEnd();
    expect(Array.from(m.weights[0]?.variable.dataSync() ?? [])).toEqual([11, 11, 11, 11, 11, 11]);
  });

  it("minDelta in 'min' mode: an epoch improves only when current + minDelta < best (Keras's arithmetic)", () => {
    // Keras 3: _is_improvement = monitor_op(current - min_delta, best) with monitor_op = less and min_delta
    // negated in min mode, i.e. current + |minDelta| < best. The loss must fall by MORE than minDelta.
    const run = (losses: number[]) => {
      const m = tiny();
      const es = new EarlyStopping({ monitor: 'loss', mode: 'min', minDelta: 0.1, patience: 1, log: () => {} });
      es.setModel(m);
      es.onTrainBegin();
      losses.forEach((loss, epoch) => {
        if (!m.stopTraining) es.onEpochEnd(epoch, { loss });
      });
      return { stopped: m.stopTraining, best: es.best };
    };
    // 1.0 -> 0.95: a fall of 0.05 < minDelta is no improvement (0.95 + 0.1 = 1.05 is not < 1.0). With the
    // opposite sign (0.95 - 0.1 = 0.85 < 1.0) it would count and training would go on.
    expect(run([1.0, 0.95])).toEqual({ stopped: true, best: 1.0 });
    // 1.0 -> 0.85: a fall of 0.15 > minDelta improves (0.95 < 1.0).
    expect(run([1.0, 0.85])).toEqual({ stopped: false, best: 0.85 });
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
    expect(h.stopped).toBeNull(); // stopTraining ends training, Keras's way: not a stop to continue from
  });

  it('a fit stopped by its signal is paused, not over: restoreBestWeights leaves the weights as that step left them', async () => {
    const x = tf.ones([8, 3]);
    const y = tf.ones([8, 2]);
    const stoppedAt = async (withEarlyStopping: boolean) => {
      const m = tiny();
      const controller = new AbortController();
      let epoch = 0;
      const callbacks: FitCallback[] = [
        {
          onEpochBegin: (e) => {
            epoch = e;
          },
          onBatchEnd: (b) => void (epoch === 3 && b === 0 && controller.abort()),
        },
      ];
      if (withEarlyStopping)
        callbacks.unshift(new EarlyStopping({ patience: 10, restoreBestWeights: true, log: () => {} }));
      const h = await m.fit(x, y, {
        epochs: 20,
        batchSize: 4,
        validationData: [x, tf.fill([8, 2], -50)], // the best epoch is the first
        callbacks,
        signal: controller.signal,
      });
      const kernel = (m.weights[0] as { variable: tf.Variable }).variable;
      return { stopped: h.stopped, weights: Array.from(await kernel.data()) };
    };
    const plain = await stoppedAt(false);
    const early = await stoppedAt(true);
    expect(early.stopped).toEqual({ epoch: 3, step: 1 });
    expect(early).toEqual(plain);
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
    const best = new ModelCheckpoint(join(scratch, 'best-{epoch}'), {
      saveBestOnly: true,
      monitor: 'loss',
      stateKey: 'bestCheckpoint', // two ModelCheckpoints in one fit: each keeps its state under its own key
    });
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

  it('onSave runs each save: it wraps the write, and a save it skips leaves best where it was', async () => {
    const m = tiny();
    const x = tf.ones([4, 3]);
    const y = tf.ones([4, 2]);
    const seen: string[] = [];
    const best = new ModelCheckpoint(join(scratch, 'hooked-{epoch}'), {
      saveBestOnly: true,
      monitor: 'loss',
      // Epoch 2 (0-based 1) is skipped, as a run that diverged skips its saves.
      onSave: async (write, epoch, logs) => {
        if (epoch === 1) return;
        await write();
        seen.push(`${epoch}:${Number.isFinite(logs.loss)}`);
      },
    });
    const bests: number[] = [];
    await m.fit(x, y, { epochs: 3, batchSize: 4, callbacks: [best, { onEpochEnd: () => void bests.push(best.best) }] });
    expect(seen).toEqual(['0:true', '2:true']);
    expect(existsSync(join(scratch, 'hooked-2'))).toBe(false);
    expect(existsSync(join(scratch, 'hooked-3'))).toBe(true);
    expect(bests[1]).toBe(bests[0]); // the skipped epoch's better loss did not become the best
    expect(bests[2]).toBeLessThan(bests[0] as number);
    const info = await readCheckpointInfo(join(scratch, 'hooked-3'));
    expect(info?.callbackStates.ModelCheckpoint).toEqual({ best: bests[2] }); // the new best is in its own save
    expect(() => new ModelCheckpoint(join(scratch, 'x'), { onSave: 1 as never })).toThrow(
      /`onSave` must be a function/,
    );
  });

  it('onBatchEnd runs per batch; the loss is read back only on logs.readLoss() or with wantsBatchLoss', async () => {
    const m = tiny();
    // The optimizer's non-finite guard reads one verdict per step; this test counts only the logs' reads.
    m.compile({ optimizer: new SGD({ learningRate: 0.1, nonFiniteGradients: 'unchecked' }), loss: 'meanSquaredError' });
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
      // logs.loss is not a hidden read-back: without wantsBatchLoss it is absent and nothing is read.
      const peeked: unknown[] = [];
      expect(await count([{ onBatchEnd: (_b: number, logs: BatchLogs) => peeked.push(logs.loss) }])).toBe(base);
      expect(peeked).toEqual([undefined, undefined, undefined, undefined]);
      // Reading is an explicit call, one read-back per batch however many callbacks ask.
      const seen: number[] = [];
      const reader: FitCallback = { onBatchEnd: async (_b, logs) => void seen.push(await logs.readLoss()) };
      expect(await count([reader, reader])).toBe(base + 4);
      expect(seen).toHaveLength(8);
      expect(seen.every(Number.isFinite)).toBe(true);
      const eager: number[] = [];
      const wants: FitCallback = {
        wantsBatchLoss: true,
        onBatchEnd: (_b, logs) => void eager.push(logs.loss as number),
      };
      expect(await count([wants])).toBe(base + 4);
      expect(eager.every(Number.isFinite)).toBe(true);
      // After its batch the loss is gone: a late read is an error that says so.
      const kept: BatchLogs[] = [];
      await count([{ onBatchEnd: (_b: number, logs: BatchLogs) => void kept.push(logs) }]);
      await expect((kept[0] as BatchLogs).readLoss()).rejects.toThrow(/call it inside onBatchEnd/);
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
