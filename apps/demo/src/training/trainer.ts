/**
 * The training worker's side: loads Fashion-MNIST, builds the chapter's MLP
 * with @opt/layers, trains it with `fit` and an @opt/optimizers preset, and
 * reports every step to the page. A checkpoint goes to IndexedDB after every
 * epoch (@opt/layers' ModelCheckpoint with an IndexedDbStore), with the run's
 * curves inside it, so a reload can continue.
 */
import {
  CLASS_NAMES,
  type FashionMnistData,
  type LoadProgress,
  loadFashionMnistFromUrl,
  selectExamples,
  toTensors,
} from '@opt/data-fashion-mnist';
import {
  confusionMatrix,
  correctCount,
  deleteCheckpoint,
  IndexedDbStore,
  perClassAccuracy,
  readCheckpointInfo,
  type Sequential,
  sparseCategoricalCrossentropy,
} from '@opt/layers';
import { SGD } from '@opt/optimizers';
import {
  buildRecipe,
  buildSchedule,
  type Recipe,
  type RunData,
  type RunOptimizer,
  buildModel as recipeModel,
  buildOptimizer as recipeOptimizer,
  splitData,
  trainingBatches,
} from '@opt/recipe';
import { type BackendName, type BackendRequest, readWeights, tf, useBackend } from '@opt/tensor';
import { chooseBackend } from '../backend-choice.js';
import {
  type DataSummary,
  GRID_IMAGES,
  type ParityResult,
  RUN_RECORD_FORMAT,
  type RunRecord,
  type SavedRun,
  type TrainingEvent,
  type TrainingSettings,
  type WorkerBackend,
} from './protocol.js';
import { recipeConfigOf } from './recipe-config.js';
import {
  EpochCheckpoint,
  type Evaluation,
  isRunRecord,
  PauseGate,
  RUN_STATE_KEY,
  RunRecorder,
} from './run-recorder.js';

const STORE = { database: 'opt-demo', key: 'fashion-mnist-run' } as const;
/** The chapter's MLP of the run's knobs, through the recipe `opt train` uses. */
export function buildModel(s: TrainingSettings): Sequential {
  return recipeModel(recipeConfigOf(s));
}

/** The preset with the run's knobs and schedule, through the recipe; its constructor's RangeError names a bad one. */
export function buildOptimizer(s: TrainingSettings): RunOptimizer {
  const config = recipeConfigOf(s);
  return recipeOptimizer(config, buildSchedule(config));
}

/**
 * The recipe's split of a run: the last twelfth of the training images validates, then the `perClass` subset of
 * the rest trains; standardization statistics from the training images only.
 */
export function prepare(data: FashionMnistData, s: TrainingSettings): RunData {
  return splitData(data, recipeConfigOf(s));
}

/** Everything a run trains with (data, batches, model, optimizer, schedule): the recipe of its knobs. */
export function setUpRun(data: FashionMnistData, s: TrainingSettings): Recipe {
  return buildRecipe(data, recipeConfigOf(s));
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
    const { data: prepared, source, model, optimizer } = setUpRun(data, s);
    const norm = prepared.normalization;
    const store = new IndexedDbStore(STORE.key, STORE.database);
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
      format: RUN_RECORD_FORMAT,
      settings: s,
      stepsPerEpoch: source.batchesPerEpoch,
      steps: { step: [], loss: [], learningRate: [] },
      epochs: [],
      confusion: null,
      perClassAccuracy: null,
      predictions: null,
    };
    // Validation by hand rather than fit's validationData: the same forward pass also gives the confusion
    // matrix, and on a software WebGL a second pass over the validation images costs seconds per epoch.
    const evaluate = async (): Promise<Evaluation> => {
      const n = prepared.validation.count;
      const out = tf.tidy(() => {
        const probabilities = model.predict(val.x, { batchSize: 500 });
        const confusion = confusionMatrix(val.y, probabilities);
        return [
          loss.value(val.y, probabilities),
          correctCount('accuracy', val.y, probabilities),
          confusion,
          perClassAccuracy(confusion),
          tf.argMax(model.predict(grid.x), 1),
        ];
      });
      const [lossValue, correct, confusion, perClass, predictions] = await Promise.all(out.map((t) => t.data()));
      tf.dispose(out);
      return {
        valLoss: lossValue?.[0] as number,
        valAccuracy: (correct?.[0] as number) / n,
        confusion: Array.from(confusion ?? [], Number),
        perClassAccuracy: Array.from(perClass ?? [], Number),
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

  /**
   * The run saved in IndexedDB, or null when there is none. A damaged checkpoint, or one whose record this
   * version of the demo cannot show, is an error that says so (the page offers to discard it).
   */
  async saved(): Promise<SavedRun | null> {
    const info = await readCheckpointInfo(new IndexedDbStore(STORE.key, STORE.database));
    if (info === null) return null;
    const record = info.callbackStates[RUN_STATE_KEY];
    if (!isRunRecord(record)) {
      throw new Error(
        `The checkpoint saved in this browser (${info.location}) holds no run record of this demo's version (${RUN_RECORD_FORMAT}).`,
      );
    }
    return { record, epoch: info.epochsCompleted, step: info.optimizer?.iterations ?? 0 };
  }

  async discardSaved(): Promise<void> {
    await deleteCheckpoint(new IndexedDbStore(STORE.key, STORE.database));
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
    const first = trainingBatches(prepared, settings);
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
