/**
 * A stack of layers with Keras's compile / fit / evaluate / predict. The model holds the layers, the compile
 * settings and where its training stands; the loops, the steps, the data checks and the checkpoints live in
 * files of their own.
 */
import { getOptimizer, type Optimizer } from '@opt/optimizers';
import type { CallbackModel, Logs } from '@opt/schedules';
import { Random, tf } from '@opt/tensor';
import type { History } from './callbacks.js';
import { type LoadInfo, loadWeights, saveModel } from './checkpoint.js';
import type { CheckpointTarget } from './checkpoint-target.js';
import { type Checkpointable, type CompileConfig, type SequentialConfig, trainingProgress } from './checkpointable.js';
import { type BatchSource, checkBatchSource, isBatchSource, splitBatches, tensorBatches } from './data-adapter.js';
import { checkBatch, checkData, checkInputShape, checkTrainingBatchSizes, checkWeightValues } from './data-checks.js';
import { runEvaluate } from './evaluate-loop.js';
import { runFit } from './fit-loop.js';
import {
  type EvaluateOptions,
  type FitOptions,
  type ParsedFitOptions,
  parseBatchSize,
  parseFitOptions,
  type SourceFitOptions,
} from './fit-options.js';
import { type ApplyOptions, type Layer, type LayerWeight, layerFromConfig } from './layers/index.js';
import { checkMetric, getLoss, type Loss } from './losses.js';
import { sliceRows } from './ops/index.js';
import type { Compiled, CompileOptions, SequentialOptions } from './sequential-options.js';
import { forwardInference, testStep, trainStep } from './train-step.js';
import { TrainingProgress } from './training-progress.js';
import { knownOptions, show } from './validate.js';

/**
 * Keras's `Sequential`: layers applied in order, compiled with an optimizer and a loss, trained by {@link fit}
 * (one data path for tensors and batch sources, callbacks, validation, exact stop and resume), and saved to and
 * loaded from checkpoints. Unlike a tfjs-layers `LayersModel`, each layer computes its own backward pass (no
 * tape), which is what makes its fit fast; {@link exportLayersModel} writes it as a tfjs-layers model.
 */
export class Sequential implements CallbackModel, Checkpointable {
  readonly layers: Layer[];
  readonly name: string;
  readonly seed: number;
  stopTraining = false;
  inputShape: number[] | null = null;
  /**
   * Epochs completed, the shuffle seed, random streams and callback states, for checkpoints.
   * @internal
   */
  readonly [trainingProgress]: TrainingProgress;
  private compiled: Compiled | null = null;

  constructor(layers: readonly Layer[] = [], options: SequentialOptions = {}) {
    if (!Array.isArray(layers))
      throw new TypeError('Sequential(layers, options): `layers` must be an array of layers.');
    knownOptions('Sequential', options, ['inputShape', 'seed', 'name']);
    this.layers = [];
    this.name = options.name ?? 'sequential';
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    new Random(this.seed); // validates the seed with Random's message
    this[trainingProgress] = new TrainingProgress(this.layers, this.seed);
    for (const layer of layers) this.add(layer);
    if (options.inputShape !== undefined) this.build(options.inputShape);
  }

  /** Appends a layer; only before the model is built. */
  add(layer: Layer): void {
    if (this.inputShape !== null) throw new Error('Sequential.add: the model is already built; add layers before.');
    if (typeof (layer as Partial<Layer>)?.forward !== 'function') {
      throw new TypeError(`Sequential: layer #${this.layers.length} is not a layer (got ${show(layer)}).`);
    }
    this.layers.push(layer);
  }

  /** True once every layer has its weights (after `inputShape` or the first input). */
  get built(): boolean {
    return this.inputShape !== null;
  }

  /**
   * Builds every layer for inputs of `inputShape` (batch axis excluded); initial weights come from the model's
   * seed. A compiled model's optimizer is built with the weights (Keras's optimizer.build, which fixes the order
   * of its slots).
   */
  build(inputShape: readonly number[]): void {
    if (this.built) return;
    if (!Array.isArray(inputShape) || !inputShape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw new RangeError(
        `Sequential: \`inputShape\` must be positive integers without the batch axis, e.g. [784]; got ${show(inputShape)}.`,
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
    this.compiled?.optimizer.build(this.trainableWeights.map((w) => w.variable));
  }

  /** Output shape without the batch axis. */
  get outputShape(): number[] {
    let shape = this.requireBuilt('outputShape');
    for (const layer of this.layers) shape = layer.computeOutputShape(shape);
    return shape;
  }

  /** Every layer's trainable weights, in layer order. */
  get trainableWeights(): LayerWeight[] {
    return this.layers.flatMap((l) => l.trainableWeights);
  }

  /** Every layer's non-trainable weights (moving statistics), in layer order. */
  get nonTrainableWeights(): LayerWeight[] {
    return this.layers.flatMap((l) => l.nonTrainableWeights);
  }

  /** Every weight, layer by layer (Keras's order: each layer's trainable weights, then its non-trainable ones). */
  get weights(): LayerWeight[] {
    return this.layers.flatMap((l) => l.weights);
  }

  /** The compiled optimizer (CallbackModel). */
  get optimizer(): Optimizer {
    if (this.compiled === null)
      throw new Error('The model has no optimizer yet: call model.compile({ optimizer, loss }) first.');
    return this.compiled.optimizer;
  }

  /** True after {@link compile}. */
  get isCompiled(): boolean {
    return this.compiled !== null;
  }

  /** The compiled loss, or null before {@link compile}. */
  get loss(): Loss | null {
    return this.compiled?.loss ?? null;
  }

  /** Epochs completed by fit, or restored from a checkpoint: pass it as `initialEpoch` to resume. */
  get epochsCompleted(): number {
    return this[trainingProgress].epoch;
  }

  /**
   * Steps done of the epoch after {@link epochsCompleted}: 0 at an epoch's end; more after a fit stopped by its
   * signal, or a checkpoint written inside an epoch. Pass it as `initialStep` to continue that epoch.
   */
  get stepsInEpoch(): number {
    return this[trainingProgress].step;
  }

  /**
   * Keras's compile: the optimizer (an instance, or a name such as 'adam' for the preset with Keras's defaults,
   * through @opt/optimizers' getOptimizer), the loss and the metrics.
   */
  compile(options: CompileOptions): void {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('compile({ optimizer, loss, metrics }) needs an options object.');
    }
    knownOptions('compile', options, ['optimizer', 'loss', 'metrics'], {
      lossWeights: 'a single output has one loss',
      weightedMetrics: 'not supported',
    });
    const { optimizer } = options;
    if (typeof optimizer !== 'string' && (optimizer === null || typeof optimizer !== 'object')) {
      throw new TypeError(
        `compile: \`optimizer\` must be an optimizer such as new Adam() from @opt/optimizers, or a name such as 'adam'; got ${show(optimizer)}.`,
      );
    }
    const loss = getLoss(options.loss);
    const metrics = (options.metrics ?? []).map(checkMetric);
    this.compiled = { optimizer: getOptimizer(optimizer), layers: this.layers, loss, metrics };
    if (this.built) this.compiled.optimizer.build(this.trainableWeights.map((w) => w.variable));
  }

  /** The architecture as JSON: name, input shape and each layer's {@link LayerConfig} (Keras's `get_config`). */
  getConfig(): SequentialConfig {
    return {
      name: this.name,
      seed: this.seed,
      inputShape: this.inputShape,
      layers: this.layers.map((l) => ({ className: l.className, config: l.getConfig() })),
    };
  }

  /** Compile settings as JSON (loss name and flags, metrics, optimizer config), Keras's get_compile_config. */
  getCompileConfig(): CompileConfig | null {
    if (this.compiled === null) return null;
    const { loss, metrics, optimizer } = this.compiled;
    return { loss: { name: loss.name, fromLogits: loss.fromLogits }, metrics, optimizer: optimizer.getConfig() };
  }

  /** Rebuilds a model from {@link getConfig}'s output (weights are fresh; load a checkpoint for trained ones). */
  static fromConfig(config: SequentialConfig): Sequential {
    return new Sequential(config.layers.map(layerFromConfig), {
      name: config.name,
      seed: config.seed,
      ...(config.inputShape === null ? {} : { inputShape: config.inputShape }),
    });
  }

  /** Calls the model (differentiable through the layers' own gradients). */
  apply(x: tf.Tensor, options: ApplyOptions = {}): tf.Tensor {
    this.ensureBuilt(x, 'x');
    return tf.tidy(() => {
      let h = x;
      for (const layer of this.layers) h = layer.apply(h, options);
      return h;
    });
  }

  /** Inference on `x`, batch by batch; returns the outputs for every sample. */
  predict(x: tf.Tensor, options: EvaluateOptions = {}): tf.Tensor {
    this.ensureBuilt(x, 'x');
    const batchSize = parseBatchSize('predict', options);
    const n = x.shape[0] as number;
    if (n <= batchSize) return tf.tidy(() => forwardInference(this.layers, x));
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      parts.push(tf.tidy(() => forwardInference(this.layers, sliceRows(x, start, size, { forMatMul: true }))));
    }
    const out = tf.concat(parts, 0);
    for (const p of parts) p.dispose();
    return out;
  }

  /** Mean loss and metrics in inference mode (Keras's evaluate), over tensors or a {@link BatchSource}. */
  evaluate(x: tf.Tensor, y: tf.Tensor, options?: EvaluateOptions): Promise<Logs>;
  evaluate(source: BatchSource): Promise<Logs>;
  async evaluate(x: tf.Tensor | BatchSource, y?: tf.Tensor, options?: EvaluateOptions): Promise<Logs> {
    const compiled = this.requireCompiled('evaluate');
    if (isBatchSource(x)) return runEvaluate(this.evaluateLoop(compiled), x, 0, '');
    const batchSize = parseBatchSize('evaluate', options);
    this.ensureBuilt(x, 'evaluate: x');
    await this.checkData(x, y, 'evaluate');
    return runEvaluate(this.evaluateLoop(compiled), tensorBatches(x, y as tf.Tensor, { batchSize }), 0, '');
  }

  /**
   * Trains the model (Keras's fit) on tensors `fit(x, y, options)` or on a streaming
   * `fit(source, options)` ({@link BatchSource}). Returns Keras's History.
   */
  fit(x: tf.Tensor, y: tf.Tensor, options?: FitOptions): Promise<History>;
  fit(source: BatchSource, options?: SourceFitOptions): Promise<History>;
  async fit(x: tf.Tensor | BatchSource, y?: tf.Tensor | SourceFitOptions, maybeOptions?: FitOptions): Promise<History> {
    const compiled = this.requireCompiled('fit');
    const fromSource = isBatchSource(x);
    const options = parseFitOptions((fromSource ? y : maybeOptions) as FitOptions | undefined, fromSource);
    const progress = this[trainingProgress];
    if (options.seed !== undefined) progress.shuffleSeed = options.seed;
    const data = fromSource ? this.sourceData(x) : await this.tensorData(x, y, options);
    const validation =
      options.validationData === undefined
        ? data.validation
        : await this.validationData(options.validationData, fromSource ? 32 : options.batchSize);
    const evaluate = this.evaluateLoop(compiled);
    return runFit({
      model: this,
      optimizer: compiled.optimizer,
      metrics: compiled.metrics,
      progress,
      train: data.train,
      validation,
      callbacks: options.callbacks,
      initialEpoch: options.initialEpoch,
      initialStep: options.initialStep,
      epochs: options.epochs,
      signal: options.signal,
      yieldEvery: options.yieldEvery,
      verbose: options.verbose,
      log: options.log,
      step: (xb, yb) => trainStep(compiled, compiled.optimizer, xb, yb),
      checkBatch: (xb, yb) => checkBatch(this.requireBuilt('fit'), xb, yb),
      evaluate: (source, epoch) => runEvaluate(evaluate, source, epoch, 'val_'),
    });
  }

  /** Copies of every weight's value, in {@link weights} order (for EarlyStopping's restoreBestWeights). */
  getWeights(): tf.Tensor[] {
    return this.weights.map((w) => tf.clone(w.variable));
  }

  /** Assigns values in {@link weights} order; shapes must match. */
  setWeights(values: readonly tf.Tensor[]): void {
    const weights = this.weights;
    checkWeightValues(weights, values);
    for (const [i, w] of weights.entries()) w.variable.assign(values[i] as tf.Tensor);
  }

  /**
   * Saves weights, optimizer state, model and compile config and training progress to a directory (Node) or a
   * {@link CheckpointStore}, atomically.
   */
  save(target: CheckpointTarget): Promise<void> {
    return saveModel(this, target);
  }

  /**
   * Restores {@link save}'s checkpoint into this model; resume with
   * `fit(..., { initialEpoch: info.epoch, initialStep: info.step })`.
   */
  loadWeights(target: CheckpointTarget): Promise<LoadInfo> {
    return loadWeights(this, target);
  }

  /** Frees every layer's variables; the model is unusable afterwards. */
  dispose(): void {
    for (const layer of this.layers) layer.dispose();
  }

  /** fit(source): the source is the training data. */
  private sourceData(source: BatchSource): { train: BatchSource; validation: null } {
    checkBatchSource(source);
    if (!this.built) throw new Error('fit with a BatchSource needs a built model: pass inputShape to Sequential.');
    return { train: source, validation: null };
  }

  /** fit(x, y): the data checked once, then split into training and validation sources. */
  private async tensorData(
    x: tf.Tensor,
    y: unknown,
    options: ParsedFitOptions,
  ): Promise<{ train: BatchSource; validation: BatchSource | null }> {
    if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor)) {
      throw new TypeError(
        `fit(x, y, options) needs x and y as tf.Tensors (or fit(source, options) with a BatchSource); got y = ${show(y)}.`,
      );
    }
    this.ensureBuilt(x, 'fit: x');
    await this.checkData(x, y, 'fit');
    const split = options.validationData === undefined ? (options.validationSplit ?? 0) : 0;
    const { batchSize, shuffle } = options;
    const data = splitBatches(x, y, {
      batchSize,
      validationSplit: split,
      shuffle,
      seed: this[trainingProgress].shuffleSeed,
    });
    checkTrainingBatchSizes(this.layers, data.trainRows, batchSize);
    return data;
  }

  /** fit's validationData as a source (tensors checked once). */
  private async validationData(
    data: NonNullable<FitOptions['validationData']>,
    batchSize: number,
  ): Promise<BatchSource> {
    if (isBatchSource(data)) return data;
    const [x, y] = data;
    await this.checkData(x, y, 'fit (validationData)');
    return tensorBatches(x, y, { batchSize });
  }

  private evaluateLoop(compiled: Compiled) {
    return {
      metrics: compiled.metrics,
      step: (xb: tf.Tensor, yb: tf.Tensor) => testStep(compiled, xb, yb),
      checkBatch: (xb: tf.Tensor, yb: tf.Tensor) => checkBatch(this.requireBuilt('evaluate'), xb, yb),
    };
  }

  private checkData(x: unknown, y: unknown, where: string): Promise<void> {
    const compiled = this.requireCompiled(where);
    return checkData(
      x,
      y,
      { inputShape: this.requireBuilt(where), outputShape: this.outputShape, loss: compiled.loss },
      where,
    );
  }

  private requireCompiled(where: string): Compiled {
    if (this.compiled === null) {
      throw new Error(
        `${where}: the model is not compiled. Call model.compile({ optimizer, loss, metrics }) before model.${where}().`,
      );
    }
    return this.compiled;
  }

  private requireBuilt(where: string): number[] {
    if (this.inputShape === null) {
      throw new Error(`${where}: the model is not built; pass inputShape to Sequential or call it on data first.`);
    }
    return this.inputShape;
  }

  /** Builds the model on its first input, then checks that `x` has the model's input shape. */
  private ensureBuilt(x: unknown, what: string): void {
    if (!(x instanceof tf.Tensor)) throw new TypeError(`${what} must be a tf.Tensor, got ${show(x)}.`);
    if (!this.built) this.build(x.shape.slice(1));
    checkInputShape(this.requireBuilt(what), x, what);
  }
}
