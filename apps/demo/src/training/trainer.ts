/**
 * The training worker's side: loads Fashion-MNIST, builds the chapter's MLP
 * with @opt/layers, trains it with `fit` and an @opt/optimizers preset, and
 * reports every step to the page. A checkpoint goes to IndexedDB after every
 * epoch (@opt/layers' ModelCheckpoint with an IndexedDbStore), with the run's
 * curves inside it, so a reload can continue.
 */
import {
  balancedSubset,
  batches,
  CLASS_NAMES,
  computeStatistics,
  type FashionMnistData,
  type FashionMnistSplit,
  IMAGE_SIZE,
  type LoadProgress,
  loadFashionMnistFromUrl,
  type Statistics,
  selectExamples,
  toTensors,
  trainValidationSplit,
} from '@opt/data-fashion-mnist';
import {
  BatchNormalization,
  CHECKPOINT_FORMAT,
  correctCount,
  Dense,
  IndexedDbStore,
  type Layer,
  ModelCheckpoint,
  ReLU,
  Sequential,
  sparseCategoricalCrossentropy,
} from '@opt/layers';
import { Adam, type Optimizer, RMSprop, SGD } from '@opt/optimizers';
import type { Callback, CallbackModel, Logs } from '@opt/schedules';
import { type BackendName, type BackendRequest, readWeights, tf, useBackend } from '@opt/tensor';
import { chooseBackend } from '../backend-choice.js';
import { learningRateOf } from '../schedule-choice.js';
import {
  type DataSummary,
  GRID_IMAGES,
  type ParityResult,
  type RunRecord,
  type SavedRun,
  type TrainingEvent,
  type TrainingSettings,
  VALIDATION_COUNT,
  type WorkerBackend,
} from './protocol.js';

const STORE = { database: 'opt-demo', key: 'fashion-mnist-run' } as const;
const HIDDEN_UNITS = [256, 128] as const;
/** Steps whose times the step-time figure averages. */
const TIMING_WINDOW = 20;

/** The chapter's MLP: 784-256-128-10, with Dense(useBias: false) -> BatchNormalization -> ReLU blocks when asked. */
export function buildModel(s: TrainingSettings): Sequential {
  const layers: Layer[] = [];
  for (const units of HIDDEN_UNITS) {
    if (s.batchNorm) layers.push(new Dense({ units, useBias: false }), new BatchNormalization(), new ReLU());
    else layers.push(new Dense({ units, activation: 'relu' }));
  }
  layers.push(new Dense({ units: 10, activation: 'softmax' }));
  return new Sequential(layers, { inputShape: [IMAGE_SIZE], seed: s.seed });
}

/** The preset with the run's knobs; its constructor's RangeError names a bad one. */
export function buildOptimizer(s: TrainingSettings): Optimizer {
  const learningRate = learningRateOf(s.learningRate, s.schedule);
  switch (s.optimizer) {
    case 'SGD':
      return new SGD({ learningRate, momentum: s.momentum, nesterov: s.nesterov });
    case 'RMSprop':
      return new RMSprop({ learningRate, rho: s.rho, momentum: s.momentum, epsilon: s.epsilon });
    case 'Adam':
      return new Adam({ learningRate, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon });
  }
}

/** The splits of one run: training pool, validation, normalization statistics (training pool only). */
interface Prepared {
  readonly pool: FashionMnistSplit;
  readonly validation: FashionMnistSplit;
  readonly statistics: Statistics | undefined;
}

function prepare(data: FashionMnistData, s: TrainingSettings): Prepared {
  // The validation images depend on the seed only, so runs with other knobs are judged on the same images.
  const { train, validation } = trainValidationSplit(data.train, {
    validationCount: VALIDATION_COUNT,
    seed: s.seed,
    stratified: true,
  });
  const pool = s.perClass === null ? train : balancedSubset(train, s.perClass, s.seed);
  // Standardization statistics from the training images only: validation and test stay unseen.
  return { pool, validation, statistics: s.normalize === 'standardize' ? computeStatistics(pool) : undefined };
}

function normalization(p: Prepared, s: TrainingSettings) {
  return { normalize: s.normalize, ...(p.statistics !== undefined ? { statistics: p.statistics } : {}) };
}

function isRunRecord(value: unknown): value is RunRecord {
  return typeof value === 'object' && value !== null && (value as RunRecord).format === 'opt-demo.run.v1';
}

/** The validation pass after each epoch: one forward pass gives the metrics and the confusion matrix. */
interface Evaluation {
  readonly valLoss: number;
  readonly valAccuracy: number;
  readonly confusion: number[];
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
class PauseGate {
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
 * record, which ModelCheckpoint stores in the checkpoint with the weights: one atomic write.
 */
class RunRecorder implements Callback {
  /** The batch loss is read back every step for the live curve. */
  readonly wantsBatchLoss = true;
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

  async onBatchEnd(_batch: number, logs: Logs = {}): Promise<void> {
    const now = performance.now();
    // The first step of a (re)start compiles the WebGL shaders: not a step time.
    if (this.warm) {
      this.times.push(now - this.last);
      if (this.times.length > TIMING_WINDOW) this.times.shift();
    }
    this.warm = true;
    const step = (this.model as Sequential).optimizer.iterations;
    const loss = logs.loss ?? Number.NaN;
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
    const { valLoss, valAccuracy, confusion, predictions } = await this.evaluate();
    // Keras's keys, in the logs every later callback (the checkpoint, History) sees.
    logs.val_loss = valLoss;
    logs.val_accuracy = valAccuracy;
    const step = (this.model as Sequential).optimizer.iterations;
    this.record.epochs.push({ epoch, step, logs: { ...logs } });
    this.record.confusion = confusion;
    this.record.predictions = predictions;
    this.emit({ kind: 'epoch', epoch, step, logs: { ...logs }, confusion, predictions });
    this.warm = false;
  }
}

/** ModelCheckpoint that skips the partial epoch a stop leaves (it would record it as complete). */
class EpochCheckpoint extends ModelCheckpoint {
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

export class Trainer {
  private data: FashionMnistData | null = null;
  private active: { recorder: RunRecorder; gate: PauseGate; model: Sequential } | null = null;
  private wasmPaths = '';

  async start(request: BackendRequest, wasmPaths: string): Promise<WorkerBackend> {
    this.wasmPaths = wasmPaths;
    return chooseBackend(request, wasmPaths);
  }

  /** Loads and verifies the dataset from `url` (the data package's browser loader). */
  async loadData(url: string, onProgress?: (p: LoadProgress) => void): Promise<DataSummary> {
    this.data ??= await loadFashionMnistFromUrl(url, onProgress === undefined ? {} : { onProgress });
    const indices = Array.from({ length: GRID_IMAGES }, (_, i) => i);
    const grid = selectExamples(this.data.test, indices);
    return {
      trainCount: this.data.train.count,
      testCount: this.data.test.count,
      classNames: [...CLASS_NAMES],
      gridImages: grid.images,
      gridLabels: Array.from(grid.labels),
    };
  }

  private requireData(): FashionMnistData {
    if (this.data === null) throw new Error('The Fashion-MNIST data is not loaded yet.');
    return this.data;
  }

  /** Checks the knobs (the packages' own argument checks) without training. */
  check(settings: TrainingSettings): void {
    buildOptimizer(settings).dispose();
    const data = this.data;
    if (data !== null) prepare(data, settings);
  }

  /**
   * Trains until `settings.epochs` or a stop. `continueSaved` resumes the run saved in IndexedDB (its
   * settings replace `settings`); otherwise the saved run is discarded first.
   */
  async train(settings: TrainingSettings, emit: (event: TrainingEvent) => void, continueSaved = false): Promise<void> {
    if (this.active !== null) throw new Error('A run is already in progress: pause or reset it first.');
    const data = this.requireData();
    const saved = continueSaved ? await this.saved() : null;
    if (continueSaved && saved === null) throw new Error('There is no saved run to continue.');
    const s = saved?.record.settings ?? settings;
    emit({ kind: 'state', state: 'preparing' });
    const optimizer = buildOptimizer(s);
    const prepared = prepare(data, s);
    const norm = normalization(prepared, s);
    const source = batches(prepared.pool, { batchSize: s.batchSize, seed: s.seed, ...norm });
    const store = new IndexedDbStore(STORE.key, STORE.database);
    const model = buildModel(s);
    const loss = sparseCategoricalCrossentropy();
    model.compile({ optimizer, loss, metrics: ['accuracy'] });
    let initialEpoch = 0;
    if (saved !== null) initialEpoch = (await model.loadWeights(store)).epoch;
    else await this.discardSaved();
    const val = toTensors(prepared.validation, norm);
    const grid = toTensors(
      selectExamples(
        data.test,
        Array.from({ length: GRID_IMAGES }, (_, i) => i),
      ),
      norm,
    );
    const record: RunRecord = saved?.record ?? {
      format: 'opt-demo.run.v1',
      settings: s,
      stepsPerEpoch: source.batchesPerEpoch,
      steps: { step: [], loss: [], learningRate: [] },
      epochs: [],
      confusion: null,
      predictions: null,
    };
    // Validation by hand rather than fit's validationData: the same forward pass also gives the confusion
    // matrix, and on a software WebGL a second pass over the validation images costs seconds per epoch.
    const evaluate = async (): Promise<Evaluation> => {
      const n = prepared.validation.count;
      const out = tf.tidy(() => {
        const probabilities = model.predict(val.x, { batchSize: 500 });
        const predicted = tf.argMax(probabilities, 1) as tf.Tensor1D;
        return [
          loss.value(val.y, probabilities),
          correctCount('accuracy', val.y, probabilities),
          tf.math.confusionMatrix(val.y as tf.Tensor1D, predicted, 10),
          tf.argMax(model.predict(grid.x), 1),
        ];
      });
      const [lossValue, correct, confusion, predictions] = await Promise.all(out.map((t) => t.data()));
      tf.dispose(out);
      return {
        valLoss: lossValue?.[0] as number,
        valAccuracy: (correct?.[0] as number) / n,
        confusion: Array.from(confusion ?? [], Number),
        predictions: Array.from(predictions ?? [], Number),
      };
    };
    const gate = new PauseGate();
    const recorder = new RunRecorder(record, gate, emit, evaluate);
    const checkpoint = new EpochCheckpoint(store, recorder, emit);
    this.active = { recorder, gate, model };
    emit({ kind: 'started', record });
    emit({ kind: 'state', state: 'running' });
    try {
      await model.fit(source, {
        epochs: s.epochs,
        initialEpoch,
        // The recorder first: ModelCheckpoint, last, saves what the others have recorded for the epoch.
        callbacks: [recorder, checkpoint],
      });
      emit({ kind: 'state', state: recorder.stopping ? 'idle' : 'finished' });
    } catch (error) {
      emit({ kind: 'state', state: 'failed', message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      this.active = null;
      tf.dispose([val.x, val.y, grid.x, grid.y]);
      model.dispose();
      optimizer.dispose();
    }
  }

  pause(): void {
    this.active?.gate.pause();
  }

  resume(): void {
    this.active?.gate.resume();
  }

  /** Stops the run after its current step; the run's checkpoint stays unless discarded. */
  stop(): void {
    const run = this.active;
    if (run === null) return;
    run.recorder.stopping = true;
    run.model.stopTraining = true;
    run.gate.resume();
  }

  /** The run saved in IndexedDB, or null. Reads the checkpoint's JSON part only. */
  async saved(): Promise<SavedRun | null> {
    const files = await new IndexedDbStore(STORE.key, STORE.database).read();
    if (files === null) return null;
    const json = JSON.parse(files.modelJson) as {
      format?: string;
      training?: { epoch?: number; callbacks?: Record<string, unknown> };
      optimizer?: { iterations?: number } | null;
    };
    if (json.format !== CHECKPOINT_FORMAT) return null;
    const record = Object.values(json.training?.callbacks ?? {}).find(isRunRecord);
    if (record === undefined) return null;
    return { record, epoch: json.training?.epoch ?? 0, step: json.optimizer?.iterations ?? 0 };
  }

  async discardSaved(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(STORE.database);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      // Another connection still open: the deletion completes when it closes.
      request.onblocked = () => resolve();
    });
  }

  /**
   * One training step of the configured model on the first mini-batch, here and on the cpu backend, with
   * SGD (learning rate 0.1): Adam's first step is about lr * sign(g), which would turn float rounding of
   * near-zero gradients into differences of 2 lr.
   */
  async parity(settings: TrainingSettings): Promise<ParityResult> {
    if (this.active !== null) throw new Error('Pause is not enough: reset the run before checking the backends.');
    const data = this.requireData();
    const here = tf.getBackend() as BackendName;
    const prepared = prepare(data, settings);
    const first = batches(prepared.pool, {
      batchSize: settings.batchSize,
      seed: settings.seed,
      ...normalization(prepared, settings),
    });
    const batch = first.batches(0)[Symbol.iterator]().next().value;
    if (batch === undefined) throw new Error('The training set is empty.');
    const xs = (await batch.x.data()) as Float32Array;
    const ys = (await batch.y.data()) as Int32Array;
    const shape = batch.x.shape;
    tf.dispose([batch.x, batch.y]);
    const oneStep = async () => {
      const model = buildModel(settings);
      const optimizer = new SGD({ learningRate: 0.1 });
      model.compile({ optimizer, loss: 'sparseCategoricalCrossentropy' });
      const source = {
        batchesPerEpoch: 1,
        batches: () => [{ x: tf.tensor2d(xs, shape), y: tf.tensor1d(ys, 'int32') }],
      };
      const history = await model.fit(source, { epochs: 1 });
      const weights = await readWeights(model.weights.map((w) => ({ name: w.name, tensor: w.variable })));
      model.dispose();
      optimizer.dispose();
      return { loss: history.history.loss?.[0] ?? Number.NaN, weights };
    };
    const a = await oneStep();
    await useBackend('cpu');
    let b: Awaited<ReturnType<typeof oneStep>>;
    try {
      b = await oneStep();
    } finally {
      await useBackend(here, { wasmPaths: this.wasmPaths });
    }
    let max = 0;
    let count = 0;
    a.weights.forEach((w, i) => {
      const other = b.weights[i]?.values as Float32Array;
      for (let j = 0; j < w.values.length; j++) {
        max = Math.max(max, Math.abs((w.values[j] as number) - (other[j] as number)));
      }
      count += w.values.length;
    });
    return { backend: here, loss: { here: a.loss, cpu: b.loss }, maxWeightDifference: max, weightCount: count };
  }
}
