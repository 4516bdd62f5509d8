/**
 * Keras's `Model.fit` epoch loop, over a {@link BatchSource} (tensors go through the data adapter first):
 * callbacks around every epoch and batch, one train step per batch, the epoch's sums kept on the device and
 * read back once, then validation, the learning rate, and the epoch count the checkpoints resume from.
 */
import type { Optimizer } from '@opt/optimizers';
import type { Callback, CallbackModel, Logs } from '@opt/schedules';
import type { tf } from '@opt/tensor';
import { History } from './callbacks.js';
import type { BatchSource } from './data-adapter.js';
import type { MetricName } from './losses.js';
import { type BatchResult, MetricSums } from './metric-sums.js';
import type { TrainingProgress } from './training-progress.js';

/**
 * What `onBatchEnd` gets from fit: Keras's logs (`batch`, `size`, and `loss` only when a callback declares
 * `wantsBatchLoss`) and `readLoss()`. The batch loss stays on the device unless a callback asks for it. It is a
 * `Logs` too, so callbacks typed with @opt/schedules' `Callback` fit where a `FitCallback` is expected.
 */
export type BatchLogs = Logs & {
  readonly batch: number;
  /** Samples in this batch. */
  readonly size: number;
  /** The batch's mean loss, present only when a callback declares `wantsBatchLoss` (read once for all of them). */
  readonly loss?: number;
  /**
   * Reads the batch's mean loss from the device: one read-back per batch, shared by every callback that asks.
   * Call it (and await it) inside `onBatchEnd`: the loss is freed after the batch's callbacks return.
   */
  readLoss(): Promise<number>;
};

/** A callback as fit drives it: Keras's hooks, with fit's batch logs. */
export interface FitCallback extends Omit<Callback, 'onBatchEnd'> {
  /** Read every batch's loss into `logs.loss` before `onBatchEnd` (costs one read-back per batch). */
  readonly wantsBatchLoss?: boolean;
  onBatchEnd?(batch: number, logs: BatchLogs): void | Promise<void>;
}

/** A batch's logs around its loss tensor, and a way to let a read in flight finish before the loss is freed. */
function batchLogs(batch: number, size: number, loss: tf.Scalar): { logs: BatchLogs; settle(): Promise<void> } {
  let reading: Promise<number> | null = null;
  const readLoss = (): Promise<number> => {
    if (reading === null) {
      if (loss.isDisposed)
        return Promise.reject(new Error('logs.readLoss(): the batch is over; call it inside onBatchEnd.'));
      reading = loss.data().then((d) => d[0] as number);
    }
    return reading;
  };
  const logs = { batch, size } as Logs;
  // Not enumerable: a callback that copies the logs' entries sees numbers only.
  Object.defineProperty(logs, 'readLoss', { value: readLoss, enumerable: false });
  return { logs: logs as BatchLogs, settle: async () => void (await reading?.catch(() => {})) };
}

export interface FitLoop {
  /** The model callbacks see (`setModel`), whose `stopTraining` ends the loop. */
  readonly model: CallbackModel;
  readonly optimizer: Optimizer;
  readonly metrics: readonly MetricName[];
  readonly progress: TrainingProgress;
  readonly train: BatchSource;
  readonly validation: BatchSource | null;
  readonly callbacks: readonly FitCallback[];
  readonly initialEpoch: number;
  readonly epochs: number;
  readonly verbose: 0 | 1 | 2;
  readonly log: (line: string) => void;
  /** One train step on a batch (the batch stays the caller's). */
  step(x: tf.Tensor, y: tf.Tensor): BatchResult;
  /** Throws a clear error for a batch that does not fit the model (asked of each epoch's first batch). */
  checkBatch(x: tf.Tensor, y: tf.Tensor): void;
  /** Mean loss and metrics over a source in inference mode, with keys prefixed `val_`. */
  evaluate(source: BatchSource, epoch: number): Promise<Logs>;
}

export async function runFit(loop: FitLoop): Promise<History> {
  const { model, train } = loop;
  const history = new History();
  const callbacks: FitCallback[] = [...loop.callbacks, history];
  const batchHooks = callbacks.some((c) => c.onBatchBegin !== undefined || c.onBatchEnd !== undefined);
  const wantsBatchLoss = callbacks.some((c) => c.wantsBatchLoss === true);
  model.stopTraining = false;
  for (const cb of callbacks) cb.setModel?.(model);
  for (const cb of callbacks) await cb.onTrainBegin?.({});
  loop.progress.startFit(callbacks);
  try {
    for (let epoch = loop.initialEpoch; epoch < loop.epochs && !model.stopTraining; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
      const sums = new MetricSums(loop.metrics);
      try {
        let batch = 0;
        for await (const { x, y } of train.batches(epoch)) {
          try {
            if (batch === 0) loop.checkBatch(x, y);
            const size = x.shape[0] as number;
            if (batchHooks) for (const cb of callbacks) await cb.onBatchBegin?.(batch, { batch, size });
            const result = loop.step(x, y);
            sums.add(result, size);
            if (batchHooks) {
              const { logs, settle } = batchLogs(batch, size, result.loss);
              if (wantsBatchLoss) (logs as Logs).loss = await logs.readLoss();
              try {
                for (const cb of callbacks) await cb.onBatchEnd?.(batch, logs);
              } finally {
                await settle();
              }
            }
            result.loss.dispose();
            for (const c of result.correct) c.dispose();
          } finally {
            x.dispose();
            y.dispose();
          }
          batch++;
          if (model.stopTraining) break;
        }
        const logs = await sums.read();
        if (loop.validation !== null) Object.assign(logs, await loop.evaluate(loop.validation, epoch));
        logs.learning_rate = loop.optimizer.learningRate;
        loop.progress.epoch = epoch + 1;
        for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
        if (loop.verbose > 0) {
          const parts = Object.entries(logs).map(([k, v]) => `${k}: ${v.toPrecision(4)}`);
          loop.log(`Epoch ${epoch + 1}/${loop.epochs} - ${train.batchesPerEpoch} steps - ${parts.join(' - ')}`);
        }
      } finally {
        sums.dispose();
      }
    }
  } finally {
    loop.progress.endFit();
  }
  for (const cb of callbacks) await cb.onTrainEnd?.({});
  return history;
}
