/**
 * Keras's `Model.fit` epoch loop, over a {@link BatchSource} (tensors go through the data adapter first):
 * callbacks around every epoch and batch, one train step per batch, the epoch's sums kept on the device and
 * read back once, then validation, the learning rate, and the epoch count the checkpoints resume from.
 *
 * Beyond Keras: an AbortSignal ends the loop after the step in progress (the epoch is left unfinished, and
 * where it stopped is recorded so that a checkpoint or the next fit continues it), `initialStep` continues an
 * epoch after its first steps, and the loop gives the event loop a turn now and then (`yieldEvery`).
 */
import type { Optimizer } from '@opt/optimizers';
import type { Callback, CallbackModel, Logs } from '@opt/schedules';
import type { tf } from '@opt/tensor';
import { History } from './callbacks.js';
import type { BatchSource } from './data-adapter.js';
import type { MetricName } from './losses.js';
import { type BatchResult, MetricSums } from './metric-sums.js';
import type { FitStop, TrainEnd, TrainingProgress } from './training-progress.js';
import { type YieldEvery, Yielder } from './yielder.js';

export type { FitStop, TrainEnd } from './training-progress.js';

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

/**
 * A callback as fit drives it: Keras's hooks, with fit's batch logs, and optionally a state for checkpoints.
 * `onEpochBegin` of an epoch a fit continues after its first steps (`initialStep`) gets `logs.initialStep`;
 * `onTrainEnd` gets {@link TrainEnd} after the logs.
 */
export interface FitCallback extends Omit<Callback, 'onBatchEnd' | 'onTrainEnd'> {
  /**
   * For Keras-shaped callbacks that read `logs.loss`: read every batch's loss into it before `onBatchEnd`
   * (one read-back per batch). A callback written for fit calls `await logs.readLoss()` instead.
   */
  readonly wantsBatchLoss?: boolean;
  /** Called after each batch; `logs.loss` is set only with {@link wantsBatchLoss}, else `await logs.readLoss()`. */
  onBatchEnd?(batch: number, logs: BatchLogs): void | Promise<void>;
  /**
   * Keras's `on_train_end`, after every fit, and with `end.stopped` set when the fit stopped on its signal:
   * training is paused then, not over (EarlyStopping does not put its best weights back).
   */
  onTrainEnd?(logs?: Logs, end?: TrainEnd): void | Promise<void>;
  /**
   * The name this callback's `getState()` is kept under in the checkpoints written during fit, and looked up
   * by on resume: required with `getState`, unique among one fit's callbacks. Not the class name, which
   * minifiers change from one build to the next.
   */
  readonly stateKey?: string;
  /** JSON-serializable progress that a resumed fit hands back to `setState` (after `onTrainBegin`). */
  getState?(): unknown;
  /** Receives on resume what `getState` returned when the checkpoint was written. */
  setState?(state: unknown): void;
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
  /** Steps of `initialEpoch` already done (their batches are drawn and dropped); undefined: not given. */
  readonly initialStep: number | undefined;
  readonly epochs: number;
  /** Ends the loop after the step in progress when aborted. */
  readonly signal: AbortSignal | undefined;
  readonly yieldEvery: YieldEvery;
  readonly verbose: 0 | 1 | 2;
  readonly log: (line: string) => void;
  /** One train step on a batch (the batch stays the caller's). */
  step(x: tf.Tensor, y: tf.Tensor): BatchResult;
  /** Throws a clear error for a batch that does not fit the model (asked of each epoch's first batch). */
  checkBatch(x: tf.Tensor, y: tf.Tensor): void;
  /** Mean loss and metrics over a source in inference mode, with keys prefixed `val_`. */
  evaluate(source: BatchSource, epoch: number): Promise<Logs>;
}

/** What the loop over one epoch's batches needs besides the {@link FitLoop}. */
interface Hooks {
  readonly callbacks: readonly FitCallback[];
  /** Some callback has onBatchBegin or onBatchEnd. */
  readonly batchHooks: boolean;
  readonly wantsBatchLoss: boolean;
  readonly yielder: Yielder;
}

/**
 * The steps of epoch `epoch` from step `first` (the batches before it are drawn and dropped), each added to
 * `sums`. Returns where the signal stopped it, or null when the batches ran out or `stopTraining` was set.
 */
async function trainBatches(
  loop: FitLoop,
  hooks: Hooks,
  epoch: number,
  first: number,
  sums: MetricSums,
): Promise<FitStop | null> {
  const { callbacks, batchHooks, wantsBatchLoss, yielder } = hooks;
  // An epoch continued at its last step has no batch left to draw.
  if (first >= loop.train.batchesPerEpoch) return null;
  let batch = 0;
  for await (const { x, y } of loop.train.batches(epoch)) {
    if (batch < first) {
      // Drawn and dropped rather than not drawn: a source with its own per-batch state stays in step.
      x.dispose();
      y.dispose();
      batch++;
      continue;
    }
    try {
      if (batch === first) loop.checkBatch(x, y);
      const size = x.shape[0] as number;
      if (batchHooks) for (const cb of callbacks) await cb.onBatchBegin?.(batch, { batch, size });
      const result = loop.step(x, y);
      sums.add(result, size);
      loop.progress.step = batch + 1;
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
    if (loop.model.stopTraining) return null;
    await yielder.afterBatch();
    if (loop.signal?.aborted === true) return { epoch, step: batch };
  }
  return null;
}

/**
 * The epochs from `initialEpoch` (from its step `initialStep`) to `epochs`. Ends early when a callback sets
 * `stopTraining` (Keras: the epoch is finished, validated and logged first) or when `signal` aborts (the
 * epoch is left after the step in progress; `History.stopped` says where).
 */
export async function runFit(loop: FitLoop): Promise<History> {
  const { model, train, signal } = loop;
  const history = new History();
  const callbacks: FitCallback[] = [...loop.callbacks, history];
  const hooks: Hooks = {
    callbacks,
    batchHooks: callbacks.some((c) => c.onBatchBegin !== undefined || c.onBatchEnd !== undefined),
    wantsBatchLoss: callbacks.some((c) => c.wantsBatchLoss === true),
    yielder: new Yielder(loop.yieldEvery),
  };
  const initialStep = loop.initialStep ?? 0;
  if (initialStep > train.batchesPerEpoch) {
    throw new RangeError(
      `fit: \`initialStep\` ${initialStep} is more than the ${train.batchesPerEpoch} steps of an epoch of this data.`,
    );
  }
  // Before any callback runs: continuing inside an epoch needs that epoch's sums.
  const carried = loop.progress.resumeSums(loop.initialEpoch, loop.initialStep, loop.metrics.length);
  let stopped: FitStop | null = null;
  loop.progress.startFit(callbacks); // checks the callbacks' state keys before any of them runs
  try {
    model.stopTraining = false;
    for (const cb of callbacks) cb.setModel?.(model);
    for (const cb of callbacks) await cb.onTrainBegin?.({});
    loop.progress.restoreCallbackStates(); // after onTrainBegin, which resets them
    loop.progress.startAt(loop.initialEpoch, initialStep);
    if (signal?.aborted === true && loop.initialEpoch < loop.epochs) {
      stopped = { epoch: loop.initialEpoch, step: initialStep };
    }
    for (let epoch = loop.initialEpoch; epoch < loop.epochs && !model.stopTraining && stopped === null; epoch++) {
      const first = epoch === loop.initialEpoch ? initialStep : 0;
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, first > 0 ? { initialStep: first } : {});
      const sums = new MetricSums(loop.metrics, first > 0 ? (carried ?? undefined) : undefined);
      loop.progress.enterEpoch(epoch, first, sums);
      try {
        stopped = await trainBatches(loop, hooks, epoch, first, sums);
        if (stopped !== null) {
          await loop.progress.stopInEpoch();
          break;
        }
        const logs = await sums.read();
        loop.progress.completeEpoch(epoch);
        if (loop.validation !== null) Object.assign(logs, await loop.evaluate(loop.validation, epoch));
        logs.learning_rate = loop.optimizer.learningRate;
        for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
        if (loop.verbose > 0) {
          const parts = Object.entries(logs).map(([k, v]) => `${k}: ${v.toPrecision(4)}`);
          loop.log(`Epoch ${epoch + 1}/${loop.epochs} - ${train.batchesPerEpoch} steps - ${parts.join(' - ')}`);
        }
        await hooks.yielder.afterEpoch();
        // Asked for during the epoch's end: stop before the next epoch.
        if (signal?.aborted === true && !model.stopTraining && epoch + 1 < loop.epochs) {
          stopped = { epoch: epoch + 1, step: 0 };
        }
      } finally {
        sums.dispose();
      }
    }
  } finally {
    loop.progress.endFit(stopped);
  }
  for (const cb of callbacks) await cb.onTrainEnd?.({}, { stopped });
  return history;
}
