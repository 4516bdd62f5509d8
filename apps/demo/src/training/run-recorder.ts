/**
 * What the worker keeps of a run while `fit` trains it: the pause gate, the recorder that reports every step
 * and epoch to the page (its state is the run's record), and the checkpoint written after each epoch.
 */
import { type BatchLogs, type FitCallback, type IndexedDbStore, ModelCheckpoint, type Sequential } from '@opt/layers';
import type { CallbackModel, Logs } from '@opt/schedules';
import { RUN_RECORD_FORMAT, type RunRecord, type TrainingEvent } from './protocol.js';

/** The key under which checkpoints keep the run's record (the recorder's state). */
export const RUN_STATE_KEY = 'opt-demo.run';
/** Steps whose times the step-time figure averages. */
const TIMING_WINDOW = 20;

export function isRunRecord(value: unknown): value is RunRecord {
  return typeof value === 'object' && value !== null && (value as RunRecord).format === RUN_RECORD_FORMAT;
}

/** The validation pass after each epoch: one forward pass gives the metrics and the confusion matrix. */
export interface Evaluation {
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly confusion: number[];
  readonly perClassAccuracy: number[];
  readonly predictions: number[];
}

/**
 * A macrotask turn, so that the page's messages (pause, stop) are handled between steps: on the cpu and
 * wasm backends a step never waits for anything but microtasks. A MessageChannel, unlike setTimeout, is not
 * clamped to 4 ms.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** Resolves while not paused; `stop` releases it too. */
export class PauseGate {
  private waiting: Promise<void> | null = null;
  private release: (() => void) | null = null;
  get paused(): boolean {
    return this.waiting !== null;
  }
  pause(): void {
    this.waiting ??= new Promise((resolve) => {
      this.release = resolve;
    });
  }
  resume(): void {
    this.release?.();
    this.waiting = null;
    this.release = null;
  }
  wait(): Promise<void> {
    return this.waiting ?? Promise.resolve();
  }
}

/**
 * Records the run (steps, epochs, confusion matrix, grid predictions) and reports it. Its state is the
 * record, which ModelCheckpoint stores in the checkpoint with the weights, under {@link RUN_STATE_KEY}: one
 * atomic write.
 */
export class RunRecorder implements FitCallback {
  readonly stateKey = RUN_STATE_KEY;
  stopping = false;
  private model: Sequential | null = null;
  private epoch = 0;
  private learningRate = 0;
  private last = 0;
  private warm = false;
  private readonly times: number[] = [];

  constructor(
    readonly record: RunRecord,
    private readonly gate: PauseGate,
    private readonly emit: (event: TrainingEvent) => void,
    private readonly evaluate: () => Promise<Evaluation>,
  ) {}

  setModel(model: CallbackModel): void {
    this.model = model as Sequential;
  }

  getState(): RunRecord {
    return this.record;
  }

  setState(state: unknown): void {
    // The page restored this record before fit started; a checkpoint of another shape is ignored.
    if (!isRunRecord(state)) return;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
    this.last = performance.now();
  }

  onBatchBegin(): void {
    this.learningRate = (this.model as Sequential).optimizer.learningRate;
  }

  async onBatchEnd(_batch: number, logs: BatchLogs): Promise<void> {
    // The batch loss, read back every step for the live curve.
    const loss = await logs.readLoss();
    const now = performance.now();
    // The first step of a (re)start compiles the WebGL shaders: not a step time.
    if (this.warm) {
      this.times.push(now - this.last);
      if (this.times.length > TIMING_WINDOW) this.times.shift();
    }
    this.warm = true;
    const step = (this.model as Sequential).optimizer.iterations;
    this.record.steps.step.push(step);
    this.record.steps.loss.push(loss);
    this.record.steps.learningRate.push(this.learningRate);
    const msPerStep = this.times.length === 0 ? Number.NaN : this.times.reduce((a, b) => a + b, 0) / this.times.length;
    this.emit({ kind: 'step', step, epoch: this.epoch, loss, learningRate: this.learningRate, msPerStep });
    await yieldToEventLoop();
    if (this.gate.paused && !this.stopping) {
      this.emit({ kind: 'state', state: 'paused' });
      await this.gate.wait();
      if (!this.stopping) this.emit({ kind: 'state', state: 'running' });
      this.warm = false;
    }
    this.last = performance.now();
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (this.stopping) return;
    const { valLoss, valAccuracy, confusion, perClassAccuracy, predictions } = await this.evaluate();
    // Keras's keys, in the logs every later callback (the checkpoint, History) sees.
    logs.val_loss = valLoss;
    logs.val_accuracy = valAccuracy;
    const step = (this.model as Sequential).optimizer.iterations;
    this.record.epochs.push({ epoch, step, logs: { ...logs } });
    this.record.confusion = confusion;
    this.record.perClassAccuracy = perClassAccuracy;
    this.record.predictions = predictions;
    this.emit({ kind: 'epoch', epoch, step, logs: { ...logs }, confusion, perClassAccuracy, predictions });
    this.warm = false;
  }
}

/** ModelCheckpoint that skips the partial epoch a stop leaves (it would record it as complete). */
export class EpochCheckpoint extends ModelCheckpoint {
  constructor(
    store: IndexedDbStore,
    private readonly recorder: RunRecorder,
    private readonly emit: (event: TrainingEvent) => void,
  ) {
    super(store);
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (this.recorder.stopping) return;
    await super.onEpochEnd(epoch, logs);
    const step = this.recorder.record.steps.step.at(-1) ?? 0;
    this.emit({ kind: 'saved', epoch: epoch + 1, step });
  }
}
