/**
 * A stack of layers with Keras's compile / fit / evaluate / predict.
 *
 * The training step chains the layers' hand-written forward and backward
 * passes inside one `tf.tidy` (no autodiff tape), hands the gradients to the
 * optimizer, and keeps the epoch's loss and metric sums on the device: nothing
 * is read back per batch unless a callback asks for it.
 */
import type { Callback, CallbackModel, Logs } from '@opt/schedules';
import { Random, type RandomState, tf } from '@opt/tensor';
import { type CheckpointTarget, type LoadInfo, loadWeights, saveModel } from './checkpoint.js';
import {
  type ApplyOptions,
  Dense,
  type Layer,
  type LayerConfig,
  type LayerWeight,
  layerFromConfig,
  Softmax,
} from './layers.js';
import { checkMetric, correctCount, getLoss, type Loss, type LossSpec, type MetricName, metricKey } from './losses.js';
import { gatherRows, sliceRows } from './rows.js';
import { type BatchSource, isBatchSource, type TrainingOptimizer } from './types.js';

export interface SequentialOptions {
  /** Input shape without the batch axis, e.g. [784]. Without it the model is built on its first input. */
  readonly inputShape?: readonly number[];
  /** Seed of the initial weights and of the default shuffling and dropout streams. Default: random. */
  readonly seed?: number;
  readonly name?: string;
}

export interface CompileOptions {
  readonly optimizer: TrainingOptimizer;
  readonly loss: LossSpec;
  readonly metrics?: readonly MetricName[];
}

export interface FitOptions {
  /** Samples per gradient step: N (all) is batch gradient descent, 1 is stochastic, B is mini-batch. Default 32. */
  readonly batchSize?: number;
  /** Train until this epoch (0-based count, Keras semantics with initialEpoch). Default 1. */
  readonly epochs?: number;
  /** Epoch to start from (resuming). Default 0. */
  readonly initialEpoch?: number;
  /** Held-out data evaluated after each epoch. */
  readonly validationData?: readonly [tf.Tensor, tf.Tensor] | BatchSource;
  /** Fraction of x/y held out, taken from the END of the data before shuffling (Keras). */
  readonly validationSplit?: number;
  /** Reshuffle the training samples every epoch. Default true. */
  readonly shuffle?: boolean;
  /** Seed of the shuffling; default the model's seed. Epoch e's order depends only on (seed, e). */
  readonly seed?: number;
  readonly callbacks?: readonly Callback[];
  /** 0 silent, 1 or 2: one line per epoch. Default 0 (a library should not print unasked). */
  readonly verbose?: 0 | 1 | 2;
  /** Where verbose lines go. Default console.log. */
  readonly log?: (line: string) => void;
}

export interface EvaluateOptions {
  readonly batchSize?: number;
}

/** Keras's History: the epochs run and, per log key, one value per epoch. */
export class History implements Callback {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};
  onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) {
      const series = this.history[key] ?? [];
      series.push(value);
      this.history[key] = series;
    }
  }
}

/** A callback that wants the loss of every batch read back (costs one device read per batch). */
export interface BatchLossCallback extends Callback {
  readonly wantsBatchLoss?: boolean;
}

/** Where the training state of a model lives: epoch, seeds, random streams. */
export interface TrainingState {
  /** Epochs completed (the next fit resumes at this epoch). */
  epoch: number;
  /** The seed that orders the shuffles. */
  shuffleSeed: number;
}

interface DataSplit {
  x: tf.Tensor;
  y: tf.Tensor;
  start: number;
  end: number;
}

function positiveInteger(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${where}: \`${name}\` must be an integer >= 1, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function shapeText(shape: ReadonlyArray<number | null>): string {
  return `[${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}]`;
}

/** The order of the training samples in epoch `epoch`: a function of (seed, epoch) only, so a resumed run repeats it. */
export function epochPermutation(seed: number, epoch: number, n: number): Int32Array {
  const base = new Random(seed);
  for (let e = 0; e < epoch; e++) base.fork();
  return base.fork().permutation(n);
}

export class Sequential implements CallbackModel {
  readonly layers: Layer[];
  readonly name: string;
  readonly seed: number;
  stopTraining = false;
  private optimizerBuilt = false;
  /** The callbacks of the fit in progress (checkpoints save the state of those that have getState). */
  private activeCallbacks: Callback[] | null = null;
  /** Callback states read from a checkpoint, applied at the start of the next fit. */
  private pendingCallbackStates: Record<string, unknown> | null = null;
  inputShape: number[] | null = null;
  readonly trainingState: TrainingState;
  private compiled: {
    optimizer: TrainingOptimizer;
    loss: Loss;
    lossSpec: LossSpec;
    metrics: MetricName[];
  } | null = null;

  constructor(layers: readonly Layer[] = [], options: SequentialOptions = {}) {
    if (!Array.isArray(layers))
      throw new TypeError('Sequential(layers, options): `layers` must be an array of layers.');
    this.layers = [];
    this.name = options.name ?? 'sequential';
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    new Random(this.seed); // validates the seed with Random's message
    this.trainingState = { epoch: 0, shuffleSeed: this.seed };
    for (const layer of layers) this.add(layer);
    if (options.inputShape !== undefined) this.build(options.inputShape);
  }

  add(layer: Layer): void {
    if (this.inputShape !== null) throw new Error('Sequential.add: the model is already built; add layers before.');
    if (typeof (layer as Partial<Layer>)?.forward !== 'function') {
      throw new TypeError(`Sequential: layer #${this.layers.length} is not a layer (got ${typeof layer}).`);
    }
    this.layers.push(layer);
  }

  get built(): boolean {
    return this.inputShape !== null;
  }

  /** Builds every layer for inputs of `inputShape` (batch axis excluded); initial weights come from the model's seed. */
  build(inputShape: readonly number[]): void {
    if (this.built) return;
    if (!Array.isArray(inputShape) || !inputShape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new RangeError(
        `Sequential: \`inputShape\` must be positive integers without the batch axis, e.g. [784]; got ${JSON.stringify(inputShape)}.`,
      );
    }
    const random = new Random(this.seed);
    let shape = inputShape.slice();
    for (const layer of this.layers) {
      // One forked stream per layer: adding a layer does not change the others' initial weights.
      const layerRandom = random.fork();
      if (!layer.built) layer.build(shape, layerRandom);
      shape = layer.computeOutputShape(shape);
    }
    this.inputShape = inputShape.slice();
  }

  /** Output shape without the batch axis. */
  get outputShape(): number[] {
    let shape = this.requireBuilt('outputShape');
    for (const layer of this.layers) shape = layer.computeOutputShape(shape);
    return shape;
  }

  get trainableWeights(): LayerWeight[] {
    return this.layers.flatMap((l) => l.trainableWeights);
  }

  get nonTrainableWeights(): LayerWeight[] {
    return this.layers.flatMap((l) => l.nonTrainableWeights);
  }

  /** Every weight, layer by layer (Keras's order: each layer's trainable weights, then its non-trainable ones). */
  get weights(): LayerWeight[] {
    return this.layers.flatMap((l) => l.weights);
  }

  /**
   * Keras's optimizer.build(trainableVariables), once per compile: fixes the
   * order of the optimizer's slots (the order checkpoints store them in).
   */
  buildOptimizer(): void {
    if (this.optimizerBuilt || this.compiled === null || !this.built) return;
    this.compiled.optimizer.build(this.trainableWeights.map((w) => w.variable));
    this.optimizerBuilt = true;
  }

  /** The compiled optimizer (CallbackModel). */
  get optimizer(): TrainingOptimizer {
    if (this.compiled === null)
      throw new Error('The model has no optimizer yet: call model.compile({ optimizer, loss }) first.');
    return this.compiled.optimizer;
  }

  get isCompiled(): boolean {
    return this.compiled !== null;
  }

  get loss(): Loss | null {
    return this.compiled?.loss ?? null;
  }

  compile(options: CompileOptions): void {
    if (options === null || typeof options !== 'object')
      throw new TypeError('compile({ optimizer, loss, metrics }) needs an options object.');
    const { optimizer } = options;
    if (optimizer === null || typeof optimizer !== 'object' || typeof optimizer.applyGradients !== 'function') {
      throw new TypeError('compile: `optimizer` must be an optimizer such as new Adam() from @opt/optimizers.');
    }
    const loss = getLoss(options.loss);
    const metrics = (options.metrics ?? []).map(checkMetric);
    this.compiled = { optimizer, loss, lossSpec: options.loss, metrics };
    this.optimizerBuilt = false;
    if (this.built) this.buildOptimizer();
  }

  getConfig(): { name: string; seed: number; inputShape: number[] | null; layers: LayerConfig[] } {
    return {
      name: this.name,
      seed: this.seed,
      inputShape: this.inputShape,
      layers: this.layers.map((l) => ({ className: l.className, config: l.getConfig() })),
    };
  }

  /** Compile settings as JSON (loss name and flags, metrics, optimizer config). */
  getCompileConfig(): Record<string, unknown> | null {
    if (this.compiled === null) return null;
    const { loss, metrics, optimizer } = this.compiled;
    return { loss: { name: loss.name, fromLogits: loss.fromLogits }, metrics, optimizer: optimizer.getConfig() };
  }

  /** Rebuilds a model from {@link getConfig}'s output (weights are fresh; load a checkpoint for trained ones). */
  static fromConfig(config: ReturnType<Sequential['getConfig']>): Sequential {
    const layers = config.layers.map(layerFromConfig);
    return new Sequential(layers, {
      name: config.name,
      seed: config.seed,
      ...(config.inputShape === null ? {} : { inputShape: config.inputShape }),
    });
  }

  /** Calls the model (differentiable through the layers' own gradients). */
  apply(x: tf.Tensor, options: ApplyOptions = {}): tf.Tensor {
    this.ensureBuilt(x);
    this.checkInputShape(x, 'x');
    return tf.tidy(() => {
      let h = x;
      for (const layer of this.layers) h = layer.apply(h, options);
      return h;
    });
  }

  /** Inference on `x`, batch by batch; returns the outputs for every sample. */
  predict(x: tf.Tensor, options: EvaluateOptions = {}): tf.Tensor {
    this.ensureBuilt(x);
    this.checkInputShape(x, 'x');
    const batchSize = positiveInteger('predict', 'batchSize', options.batchSize ?? 32);
    const n = x.shape[0] as number;
    if (n <= batchSize) return tf.tidy(() => this.forwardInference(x));
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      parts.push(tf.tidy(() => this.forwardInference(sliceRows(x, start, size))));
    }
    const out = tf.concat(parts, 0);
    for (const p of parts) p.dispose();
    return out;
  }

  /** Mean loss and metrics over `x`, `y` in inference mode (Keras's evaluate). */
  async evaluate(x: tf.Tensor, y: tf.Tensor, options: EvaluateOptions = {}): Promise<Logs> {
    const compiled = this.requireCompiled('evaluate');
    this.ensureBuilt(x);
    await this.checkData(x, y, 'evaluate');
    const batchSize = positiveInteger('evaluate', 'batchSize', options.batchSize ?? 32);
    return this.evaluateSplit({ x, y, start: 0, end: x.shape[0] as number }, batchSize, compiled, '');
  }

  /**
   * Trains the model. Accepts tensors `fit(x, y, options)` or a streaming
   * `fit(source, options)` ({@link BatchSource}). Returns Keras's History.
   */
  async fit(x: tf.Tensor | BatchSource, y?: tf.Tensor | FitOptions, maybeOptions?: FitOptions): Promise<History> {
    const compiled = this.requireCompiled('fit');
    const source = isBatchSource(x) ? x : null;
    const options: FitOptions = (source !== null ? (y as FitOptions | undefined) : maybeOptions) ?? {};
    const batchSize = positiveInteger('fit', 'batchSize', options.batchSize ?? 32);
    const epochs = positiveInteger('fit', 'epochs', options.epochs ?? 1);
    const initialEpoch = options.initialEpoch ?? 0;
    if (!Number.isSafeInteger(initialEpoch) || initialEpoch < 0) {
      throw new RangeError(`fit: \`initialEpoch\` must be an integer >= 0, got ${JSON.stringify(initialEpoch)}.`);
    }
    const shuffle = options.shuffle ?? true;
    if (options.seed !== undefined) {
      new Random(options.seed);
      this.trainingState.shuffleSeed = options.seed;
    }
    let train: DataSplit | null = null;
    let validation: DataSplit | BatchSource | null = null;
    if (source === null) {
      if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor)) {
        throw new TypeError(
          'fit(x, y, options) needs x and y as tf.Tensors (or fit(source, options) with a BatchSource).',
        );
      }
      this.ensureBuilt(x);
      await this.checkData(x, y, 'fit');
      const n = x.shape[0] as number;
      let trainEnd = n;
      if (options.validationSplit !== undefined && options.validationData === undefined) {
        const split = options.validationSplit;
        if (typeof split !== 'number' || !(split >= 0 && split < 1)) {
          throw new RangeError(`fit: \`validationSplit\` must be a number in [0, 1), got ${JSON.stringify(split)}.`);
        }
        // Keras: split_at = ceil(n * (1 - split)); the last samples are held out, before any shuffling.
        trainEnd = Math.ceil(n * (1 - split));
        if (split > 0 && (trainEnd === n || trainEnd === 0)) {
          throw new RangeError(
            `fit: validationSplit ${split} of ${n} samples leaves an empty training or validation set.`,
          );
        }
        if (trainEnd < n) validation = { x, y, start: trainEnd, end: n };
      }
      train = { x, y, start: 0, end: trainEnd };
    } else {
      positiveInteger('fit', 'source.batchesPerEpoch', source.batchesPerEpoch);
      if (options.validationSplit !== undefined) {
        throw new Error('fit: validationSplit needs tensors; with a BatchSource pass validationData instead.');
      }
    }
    if (options.validationData !== undefined) {
      const vd = options.validationData;
      if (isBatchSource(vd)) validation = vd;
      else if (Array.isArray(vd) && vd.length === 2) {
        const [vx, vy] = vd as [tf.Tensor, tf.Tensor];
        await this.checkData(vx, vy, 'fit (validationData)');
        validation = { x: vx, y: vy, start: 0, end: vx.shape[0] as number };
      } else throw new TypeError('fit: `validationData` must be [xVal, yVal] tensors or a BatchSource.');
    }
    if (!this.built) throw new Error('fit with a BatchSource needs a built model: pass inputShape to Sequential.');
    this.buildOptimizer();

    const history = new History();
    const callbacks: Callback[] = [...(options.callbacks ?? []), history];
    const batchHooks = callbacks.some((c) => c.onBatchBegin !== undefined || c.onBatchEnd !== undefined);
    const wantsBatchLoss = callbacks.some((c) => (c as BatchLossCallback).wantsBatchLoss === true);
    const log = options.log ?? ((line: string) => console.log(line));
    const verbose = options.verbose ?? 0;
    this.stopTraining = false;
    for (const cb of callbacks) cb.setModel?.(this);
    for (const cb of callbacks) await cb.onTrainBegin?.({});
    this.activeCallbacks = callbacks;
    this.restoreCallbackStates(callbacks);

    const stepsPerEpoch =
      source !== null
        ? source.batchesPerEpoch
        : Math.ceil(((train as DataSplit).end - (train as DataSplit).start) / batchSize);
    for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
      let lossSum: tf.Scalar = tf.keep(tf.scalar(0));
      let correctSums: tf.Scalar[] = compiled.metrics.map(() => tf.keep(tf.scalar(0)));
      let seen = 0;
      const step = async (batch: number, xb: tf.Tensor, yb: tf.Tensor) => {
        const size = xb.shape[0] as number;
        if (batchHooks) for (const cb of callbacks) await cb.onBatchBegin?.(batch, { batch, size });
        const out = this.trainStep(xb, yb, compiled);
        const nextLoss = tf.tidy(() => tf.add(lossSum, tf.mul(out.loss, size)) as tf.Scalar);
        lossSum.dispose();
        lossSum = tf.keep(nextLoss);
        const nextCorrect = correctSums.map((s, i) => tf.keep(tf.add(s, out.correct[i] as tf.Scalar) as tf.Scalar));
        for (const s of correctSums) s.dispose();
        correctSums = nextCorrect;
        seen += size;
        if (batchHooks) {
          const logs: Logs = { batch, size };
          if (wantsBatchLoss) logs.loss = (await out.loss.data())[0] as number;
          else {
            const lossTensor = out.loss;
            // Read back only if a callback looks at it.
            Object.defineProperty(logs, 'loss', {
              enumerable: true,
              configurable: true,
              get: () => {
                const value = lossTensor.isDisposed ? Number.NaN : (lossTensor.dataSync()[0] as number);
                Object.defineProperty(logs, 'loss', { value, enumerable: true, writable: true });
                return value;
              },
            });
          }
          for (const cb of callbacks) await cb.onBatchEnd?.(batch, logs);
        }
        out.loss.dispose();
        for (const c of out.correct) c.dispose();
      };
      if (source !== null) {
        let batch = 0;
        for await (const b of source.batches(epoch)) {
          try {
            if (batch === 0) this.checkBatchShapes(b.x, b.y);
            await step(batch, b.x, b.y);
          } finally {
            b.x.dispose();
            b.y.dispose();
          }
          batch++;
          if (this.stopTraining) break;
        }
      } else {
        const t = train as DataSplit;
        const n = t.end - t.start;
        const order = shuffle ? epochPermutation(this.trainingState.shuffleSeed, epoch, n) : null;
        for (let batch = 0; batch < stepsPerEpoch; batch++) {
          const start = batch * batchSize;
          const size = Math.min(batchSize, n - start);
          // Gather this batch's rows: the dataset itself is never copied.
          let idx: Int32Array;
          if (order === null) {
            idx = new Int32Array(size);
            for (let i = 0; i < size; i++) idx[i] = t.start + start + i;
          } else idx = order.subarray(start, start + size).map((i) => i + t.start);
          const xb = gatherRows(t.x, idx);
          const yb = gatherRows(t.y, idx);
          try {
            await step(batch, xb, yb);
          } finally {
            xb.dispose();
            yb.dispose();
          }
          if (this.stopTraining) break;
        }
      }
      const sums = await Promise.all([lossSum.data(), ...correctSums.map((s) => s.data())]);
      lossSum.dispose();
      for (const s of correctSums) s.dispose();
      const logs: Logs = {};
      const denominator = Math.max(seen, 1);
      logs.loss = (sums[0]?.[0] as number) / denominator;
      compiled.metrics.forEach((m, i) => {
        logs[metricKey(m)] = (sums[i + 1]?.[0] as number) / denominator;
      });
      if (validation !== null) {
        const v = isBatchSource(validation)
          ? await this.evaluateSource(validation, epoch, compiled)
          : await this.evaluateSplit(validation, batchSize, compiled, 'val_');
        Object.assign(logs, v);
      }
      logs.learning_rate = compiled.optimizer.learningRate;
      this.trainingState.epoch = epoch + 1;
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
      if (verbose > 0) {
        const parts = Object.entries(logs).map(([k, v]) => `${k}: ${v.toPrecision(4)}`);
        log(`Epoch ${epoch + 1}/${epochs} - ${stepsPerEpoch} steps - ${parts.join(' - ')}`);
      }
    }
    this.activeCallbacks = null;
    for (const cb of callbacks) await cb.onTrainEnd?.({});
    return history;
  }

  /** One optimizer step on a batch; returns the batch's mean loss and correct counts (kept tensors). */
  private trainStep(
    xb: tf.Tensor,
    yb: tf.Tensor,
    compiled: NonNullable<Sequential['compiled']>,
  ): { loss: tf.Scalar; correct: tf.Scalar[] } {
    const layers = this.layers;
    const firstTrainable = layers.findIndex((l) => l.trainableWeights.length > 0);
    return tf.tidy(() => {
      const caches: unknown[] = [];
      let h = xb;
      for (const layer of layers) {
        const r = layer.forward(h, true);
        caches.push(r.cache);
        h = r.y;
      }
      const last = layers[layers.length - 1];
      const shortcut = compiled.loss.softmaxValueAndLogitGrad;
      // Model ends in a softmax and the loss is a crossentropy: start the backward pass at the logits.
      const fused =
        shortcut !== undefined && (last instanceof Softmax || (last instanceof Dense && last.activation === 'softmax'));
      const { value, grad } = fused ? shortcut(yb, h) : compiled.loss.valueAndGrad(yb, h);
      const correct = compiled.metrics.map((m) => correctCount(m, yb, h));
      const pairs: Array<[tf.Tensor, tf.Variable]> = [];
      let dy: tf.Tensor | null = grad;
      for (let i = layers.length - 1; i >= firstTrainable && i >= 0 && dy !== null; i--) {
        const layer = layers[i] as Layer;
        const needDx = i > firstTrainable;
        let r: { dx: tf.Tensor | null; grads: tf.Tensor[] };
        if (fused && i === layers.length - 1) {
          r = layer instanceof Dense ? layer.backwardFromPreActivation(dy, caches[i], needDx) : { dx: dy, grads: [] };
        } else r = layer.backward(dy, caches[i], needDx);
        const trainable = layer.trainableWeights;
        for (let k = trainable.length - 1; k >= 0; k--) {
          pairs.push([r.grads[k] as tf.Tensor, (trainable[k] as LayerWeight).variable]);
        }
        dy = r.dx;
      }
      pairs.reverse();
      compiled.optimizer.applyGradients(pairs);
      return { loss: value, correct };
    });
  }

  private forwardInference(x: tf.Tensor): tf.Tensor {
    let h = x;
    for (const layer of this.layers) h = layer.forward(h, false).y;
    return h;
  }

  private async evaluateSplit(
    split: DataSplit,
    batchSize: number,
    compiled: NonNullable<Sequential['compiled']>,
    prefix: string,
  ): Promise<Logs> {
    let lossSum: tf.Scalar = tf.keep(tf.scalar(0));
    let correctSums: tf.Scalar[] = compiled.metrics.map(() => tf.keep(tf.scalar(0)));
    const n = split.end - split.start;
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const next = tf.tidy(() => {
        const xb = sliceRows(split.x, split.start + start, size);
        const yb = sliceRows(split.y, split.start + start, size);
        const out = this.forwardInference(xb);
        return [
          tf.add(lossSum, tf.mul(compiled.loss.value(yb, out), size)) as tf.Scalar,
          ...compiled.metrics.map((m, i) => tf.add(correctSums[i] as tf.Scalar, correctCount(m, yb, out)) as tf.Scalar),
        ];
      });
      lossSum.dispose();
      for (const s of correctSums) s.dispose();
      lossSum = next[0] as tf.Scalar;
      correctSums = next.slice(1);
    }
    return this.readSums(lossSum, correctSums, n, compiled, prefix);
  }

  private async evaluateSource(
    source: BatchSource,
    epoch: number,
    compiled: NonNullable<Sequential['compiled']>,
  ): Promise<Logs> {
    let lossSum: tf.Scalar = tf.keep(tf.scalar(0));
    let correctSums: tf.Scalar[] = compiled.metrics.map(() => tf.keep(tf.scalar(0)));
    let n = 0;
    for await (const b of source.batches(epoch)) {
      const size = b.x.shape[0] as number;
      const next = tf.tidy(() => {
        const out = this.forwardInference(b.x);
        return [
          tf.add(lossSum, tf.mul(compiled.loss.value(b.y, out), size)) as tf.Scalar,
          ...compiled.metrics.map(
            (m, i) => tf.add(correctSums[i] as tf.Scalar, correctCount(m, b.y, out)) as tf.Scalar,
          ),
        ];
      });
      b.x.dispose();
      b.y.dispose();
      lossSum.dispose();
      for (const s of correctSums) s.dispose();
      lossSum = next[0] as tf.Scalar;
      correctSums = next.slice(1);
      n += size;
    }
    return this.readSums(lossSum, correctSums, n, compiled, 'val_');
  }

  private async readSums(
    lossSum: tf.Scalar,
    correctSums: tf.Scalar[],
    n: number,
    compiled: NonNullable<Sequential['compiled']>,
    prefix: string,
  ): Promise<Logs> {
    const sums = await Promise.all([lossSum.data(), ...correctSums.map((s) => s.data())]);
    lossSum.dispose();
    for (const s of correctSums) s.dispose();
    const logs: Logs = {};
    const d = Math.max(n, 1);
    logs[`${prefix}loss`] = (sums[0]?.[0] as number) / d;
    compiled.metrics.forEach((m, i) => {
      logs[`${prefix}${metricKey(m)}`] = (sums[i + 1]?.[0] as number) / d;
    });
    return logs;
  }

  /** Copies of every weight's value, in {@link weights} order (for EarlyStopping's restoreBestWeights). */
  getWeights(): tf.Tensor[] {
    return this.weights.map((w) => tf.clone(w.variable));
  }

  /** Assigns values in {@link weights} order; shapes must match. */
  setWeights(values: readonly tf.Tensor[]): void {
    const weights = this.weights;
    if (values.length !== weights.length) {
      throw new Error(`setWeights: the model has ${weights.length} weights, got ${values.length} values.`);
    }
    weights.forEach((w, i) => {
      const v = values[i] as tf.Tensor;
      if (!tf.util.arraysEqual(v.shape, w.variable.shape)) {
        throw new Error(
          `setWeights: weight "${w.name}" has shape ${shapeText(w.variable.shape)}, got ${shapeText(v.shape)}.`,
        );
      }
      w.variable.assign(v);
    });
  }

  /**
   * States of the running fit's callbacks that have `getState()` (ReduceLROnPlateau, EarlyStopping,
   * ModelCheckpoint), keyed by position and class, e.g. '0:ReduceLROnPlateau'.
   */
  getCallbackStates(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    (this.activeCallbacks ?? []).forEach((cb, i) => {
      const withState = cb as Callback & { getState?: () => unknown };
      if (typeof withState.getState === 'function') out[`${i}:${cb.constructor.name}`] = withState.getState();
    });
    return out;
  }

  /** Callback states to hand to the callbacks of the next fit (after their onTrainBegin), by position and class. */
  setPendingCallbackStates(states: Record<string, unknown> | null): void {
    this.pendingCallbackStates = states;
  }

  private restoreCallbackStates(callbacks: Callback[]): void {
    const states = this.pendingCallbackStates;
    if (states === null) return;
    this.pendingCallbackStates = null;
    callbacks.forEach((cb, i) => {
      const state = states[`${i}:${cb.constructor.name}`];
      const withState = cb as Callback & { setState?: (s: unknown) => void };
      if (state !== undefined && typeof withState.setState === 'function') withState.setState(state);
    });
  }

  /** Random streams of the layers (Dropout), by layer position. */
  getRandomStates(): Record<string, RandomState> {
    const out: Record<string, RandomState> = {};
    // Keyed by position: auto names (dropout_3) differ between processes, positions do not.
    this.layers.forEach((layer, i) => {
      const s = layer.getRandomState();
      if (s !== null) out[String(i)] = s;
    });
    return out;
  }

  setRandomStates(states: Record<string, RandomState>): void {
    this.layers.forEach((layer, i) => {
      const s = states[String(i)];
      if (s !== undefined) layer.setRandomState(s);
    });
  }

  /**
   * Saves weights, optimizer state, model and compile config, epoch and random
   * streams to a directory (Node) or a {@link CheckpointStore}, atomically.
   */
  save(target: CheckpointTarget): Promise<void> {
    return saveModel(this, target);
  }

  /** Restores {@link save}'s checkpoint into this model; resume with `fit(..., { initialEpoch: info.epoch })`. */
  loadWeights(target: CheckpointTarget): Promise<LoadInfo> {
    return loadWeights(this, target);
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }

  private requireCompiled(where: string): NonNullable<Sequential['compiled']> {
    if (this.compiled === null) {
      throw new Error(
        `${where}: the model is not compiled. Call model.compile({ optimizer, loss, metrics }) before model.${where}().`,
      );
    }
    return this.compiled;
  }

  private requireBuilt(where: string): number[] {
    if (this.inputShape === null)
      throw new Error(`${where}: the model is not built; pass inputShape to Sequential or call it on data first.`);
    return this.inputShape;
  }

  private ensureBuilt(x: tf.Tensor): void {
    if (!(x instanceof tf.Tensor)) throw new TypeError(`Expected a tf.Tensor as model input, got ${typeof x}.`);
    if (!this.built) {
      this.build(x.shape.slice(1));
      if (this.compiled !== null) this.buildOptimizer();
    }
  }

  private checkInputShape(x: tf.Tensor, what: string): void {
    const expected = this.requireBuilt(what);
    const got = x.shape.slice(1);
    if (got.length !== expected.length || got.some((d, i) => d !== expected[i])) {
      throw new Error(
        `${what} has shape ${shapeText(x.shape)} but the model expects input shape ${shapeText([null, ...expected])} (batch first). Reshape the data or build the model with inputShape ${shapeText(got)}.`,
      );
    }
  }

  private checkBatchShapes(x: tf.Tensor, y: tf.Tensor): void {
    this.checkInputShape(x, 'batch x');
    if (x.shape[0] !== y.shape[0]) {
      throw new Error(`A batch has ${x.shape[0]} samples in x but ${y.shape[0]} labels in y.`);
    }
  }

  /** Validates tensors handed to fit/evaluate once, up front: counts, shapes, label range, NaN (one read-back each). */
  private async checkData(x: tf.Tensor, y: tf.Tensor, where: string): Promise<void> {
    if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor)) {
      throw new TypeError(`${where}: x and y must be tf.Tensors.`);
    }
    this.checkInputShape(x, `${where}: x`);
    const n = x.shape[0] as number;
    if (y.shape[0] !== n) {
      throw new Error(`${where}: x has ${n} samples but y has ${y.shape[0]}; give exactly one label (row) per sample.`);
    }
    if (n === 0) throw new Error(`${where}: x and y hold no samples.`);
    const loss = this.compiled?.loss;
    const out = this.outputShape;
    const units = out[out.length - 1] as number;
    if (loss?.sparse === true) {
      if (!(y.rank === 1 || (y.rank === 2 && y.shape[1] === 1))) {
        throw new Error(
          `${where}: ${loss.name} takes integer class labels of shape [${n}] or [${n}, 1], got y of shape ${shapeText(y.shape)}. For one-hot labels use categoricalCrossentropy.`,
        );
      }
      const checked = labelsChecked.get(y);
      const labels = checked?.has(units) === true ? [] : await y.data();
      for (let i = 0; i < labels.length; i++) {
        const l = labels[i] as number;
        if (!Number.isInteger(l) || l < 0 || l >= units) {
          throw new RangeError(
            `${where}: label y[${i}] = ${l} is out of range: ${loss.name} needs integers in [0, ${units - 1}] for a model with ${units} outputs.`,
          );
        }
      }
      labelsChecked.set(y, (checked ?? new Set<number>()).add(units));
    } else if (loss !== undefined) {
      const expected = [n, ...out];
      if (!tf.util.arraysEqual(y.shape, expected)) {
        throw new Error(
          `${where}: y has shape ${shapeText(y.shape)} but ${loss.name} on this model needs ${shapeText(expected)}` +
            (loss.name === 'categoricalCrossentropy' && y.rank === 1
              ? '; these look like integer labels: use sparseCategoricalCrossentropy or one-hot encode them.'
              : '.'),
        );
      }
    }
    for (const [what, t] of [
      ['x', x],
      ['y', y],
    ] as const) {
      if (finiteChecked.has(t)) continue;
      // One streaming pass without a mask the size of the data: any NaN makes the sum NaN and any
      // infinity makes it infinite, so a finite sum proves the data clean. Only then count.
      const total = tf.tidy(() => tf.sum(t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
      const sum = (await total.data())[0] as number;
      total.dispose();
      if (!Number.isFinite(sum)) {
        const bad = tf.tidy(() => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(tf.cast(t, 'float32'))), 'int32')));
        const count = (await bad.data())[0] as number;
        bad.dispose();
        if (count > 0) {
          throw new Error(
            `${where}: ${what} contains ${count} NaN or infinite value(s); clean or impute the data before training.`,
          );
        }
      }
      finiteChecked.add(t);
    }
  }
}

/** Tensors already checked for NaN (tensors are immutable, so a verdict holds for their lifetime). */
const finiteChecked = new WeakSet<tf.Tensor>();
/** Label tensors already checked against a number of classes. */
const labelsChecked = new WeakMap<tf.Tensor, Set<number>>();
