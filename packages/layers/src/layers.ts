/**
 * The handbook's layers with Keras 3's names, defaults and arithmetic.
 *
 * Each layer has a forward pass that returns what its backward pass needs, and
 * a hand-written backward pass: the fit loop chains them directly (no autodiff
 * tape, no transposed matMuls), and `apply` wraps them in `tf.customGrad` so
 * that `tf.grad` through a layer uses the same gradients.
 */
import { type Initializer, type InitializerName, initialize, Random, type RandomState, tf } from '@opt/tensor';
import { type ActivationName, activate, activationGrad, checkActivation, fusable } from './activations.js';
import { transposesAreSlow } from './backend-traits.js';
import { PackedForms } from './packed-forms.js';
import { softmax } from './softmax-webgl.js';
import { boolean, inRange, knownOptions, positiveInteger, show } from './validate.js';

export interface ApplyOptions {
  /** Training mode: batch statistics in BatchNormalization, masks in Dropout. Default false. */
  readonly training?: boolean;
}

/** A weight of a layer: its stable Keras-style path (for checkpoints) and its tf.Variable. */
export interface LayerWeight {
  /** e.g. 'dense/kernel', 'batch_normalization/moving_mean'. */
  readonly name: string;
  readonly variable: tf.Variable;
  readonly trainable: boolean;
}

/** What a layer's forward pass keeps for its backward pass. */
export interface ForwardResult {
  readonly y: tf.Tensor;
  readonly cache: unknown;
}

/** A layer's backward pass: dL/dx (null when not asked for) and dL/dw for each trainable weight, in order. */
export interface BackwardResult {
  readonly dx: tf.Tensor | null;
  readonly grads: tf.Tensor[];
}

export interface LayerConfig {
  readonly className: string;
  readonly config: Record<string, unknown>;
}

const nameCounts = new Map<string, number>();
let variableCounter = 0;

/** Keras's automatic names: dense, dense_1, dense_2, ... per base name, per process. */
function autoName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** Base class: naming, weights, build, and `apply` through the hand-written gradient. */
export abstract class Layer {
  readonly name: string;
  /** Input shape without the batch axis; set by build. */
  inputShape: number[] | null = null;
  protected readonly weightList: LayerWeight[] = [];
  /** Batch sums and the relu mask in the backend's fast form (their kept constants are freed with the layer). */
  protected readonly packed = new PackedForms();
  protected readonly reluMask = (y: tf.Tensor): tf.Tensor => this.packed.reluMask(y);

  constructor(baseName: string, name?: unknown) {
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new TypeError(`${baseName}: \`name\` must be a non-empty string, got ${show(name)}.`);
    }
    this.name = name ?? autoName(baseName);
  }

  abstract get className(): string;

  /**
   * Whether the output is `softmax(z)` of a pre-activation `z` this layer keeps, so that a crossentropy can start
   * the backward pass at `z` ({@link backwardFromLogits}) instead of chaining through the softmax. Layers declare
   * what they support, as Keras layers do; the fit loop asks, it does not test classes.
   */
  get outputsSoftmax(): boolean {
    return false;
  }

  /** The backward pass from dL/dz, where the output is softmax(z); only for layers whose `outputsSoftmax` is true. */
  backwardFromLogits(_dz: tf.Tensor, _cache: unknown, _needDx: boolean): BackwardResult {
    throw new Error(
      `Layer "${this.name}" (${this.className}) does not output a softmax: start its backward pass at dL/dy.`,
    );
  }

  /** The fewest samples a training batch may hold (BatchNormalization needs two for a batch variance). */
  get minTrainingBatchSize(): number {
    return 1;
  }

  get built(): boolean {
    return this.inputShape !== null;
  }

  /** Creates the weights for inputs of `inputShape` (batch axis excluded), drawing initial values from `random`. */
  build(inputShape: readonly number[], _random: Random): void {
    this.inputShape = inputShape.slice();
  }

  /** Output shape without the batch axis. */
  computeOutputShape(inputShape: readonly number[]): number[] {
    return inputShape.slice();
  }

  get trainableWeights(): LayerWeight[] {
    return this.weightList.filter((w) => w.trainable);
  }

  get nonTrainableWeights(): LayerWeight[] {
    return this.weightList.filter((w) => !w.trainable);
  }

  /** All weights, trainable first as Keras lists them. */
  get weights(): LayerWeight[] {
    return [...this.trainableWeights, ...this.nonTrainableWeights];
  }

  abstract getConfig(): Record<string, unknown>;

  /** Forward pass; in training mode it may update state (moving statistics, the dropout stream). */
  abstract forward(x: tf.Tensor, training: boolean): ForwardResult;

  /** Backward pass for a forward in training mode; `needDx` false skips dL/dx (first layer). */
  abstract backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult;

  /** Random streams this layer owns (Dropout), for exact resumption. */
  getRandomState(): RandomState | null {
    return null;
  }

  setRandomState(_state: RandomState): void {}

  /**
   * Calls the layer. Gradients through it (tf.grad, tf.variableGrads) are the
   * layer's hand-written ones, taken with respect to the input and the
   * trainable weights.
   */
  apply(x: tf.Tensor, options: ApplyOptions = {}): tf.Tensor {
    if (!(x instanceof tf.Tensor)) {
      throw new TypeError(`${this.name}: apply(x) needs a tf.Tensor, got ${typeof x}.`);
    }
    if (!this.built) this.build(x.shape.slice(1), new Random(0));
    this.checkInput(x);
    const training = options.training === true;
    const vars = this.trainableWeights.map((w) => w.variable);
    if (!training && vars.length === 0) return this.forward(x, false).y;
    const run = tf.customGrad((...args: unknown[]) => {
      const input = args[0] as tf.Tensor;
      const save = args[args.length - 1] as (tensors: tf.Tensor[]) => void;
      const { y, cache } = this.forward(input, training);
      // customGrad frees intermediates after the forward pass: save them and rebuild the cache from the copies.
      const leaves: tf.Tensor[] = [];
      mapTensors(cache, (t) => {
        leaves.push(t);
        return t;
      });
      save(leaves);
      return {
        // An identity forward (linear, Dropout off) returns its input: a copy, or tf.grad would count the
        // path twice (through this node and straight from the input), doubling dL/dx.
        value: y === input ? tf.clone(y) : y,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          let i = 0;
          const restored = mapTensors(cache, () => saved[i++] as tf.Tensor);
          const { dx, grads } = this.backward(dy as tf.Tensor, restored, true);
          return [dx ?? tf.zerosLike(input), ...grads];
        },
      };
    });
    return run(x, ...vars) as tf.Tensor;
  }

  protected checkInput(x: tf.Tensor): void {
    const expected = this.inputShape;
    if (expected === null) return;
    const got = x.shape.slice(1);
    if (got.length !== expected.length || got.some((d, i) => d !== expected[i])) {
      throw new Error(
        `Layer "${this.name}" expects inputs of shape [null, ${expected.join(', ')}] (batch first), got [${x.shape.join(', ')}].`,
      );
    }
  }

  protected addWeight(
    localName: string,
    shape: readonly number[],
    init: Initializer | InitializerName,
    random: Random,
    trainable: boolean,
  ): tf.Variable {
    const values = initialize(init, shape, random);
    variableCounter += 1;
    // tf variable names are global in the engine: unique internally, stable path outside.
    const variable = tf.variable(values, trainable, `${this.name}/${localName}__${variableCounter}`);
    values.dispose();
    this.weightList.push({ name: `${this.name}/${localName}`, variable, trainable });
    return variable;
  }

  /** Frees the layer's variables. */
  dispose(): void {
    for (const w of this.weightList) w.variable.dispose();
    this.weightList.length = 0;
    this.packed.dispose();
  }
}

/** Rebuilds a cache (tensors inside plain objects and arrays) with each tensor replaced by `fn(tensor)`. */
function mapTensors(value: unknown, fn: (t: tf.Tensor) => tf.Tensor): unknown {
  if (value instanceof tf.Tensor) return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapTensors(v, fn));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapTensors(v, fn)]));
  }
  return value;
}

function flatSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Keras's habit of passing the input shape to the first layer; here the model takes it. */
const INPUT_SHAPE_HINT = {
  inputShape: 'the input shape belongs to the model: new Sequential(layers, { inputShape })',
  input_shape: 'the input shape belongs to the model: new Sequential(layers, { inputShape })',
};

const DENSE_OPTIONS = ['units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'name'];

export interface DenseOptions {
  readonly units: number;
  readonly activation?: ActivationName;
  readonly useBias?: boolean;
  readonly kernelInitializer?: InitializerName | Initializer;
  readonly biasInitializer?: InitializerName | Initializer;
  readonly name?: string;
}

/**
 * Densely connected layer: `y = activation(x W + b)`, W of shape [inputs, units].
 *
 * Backward (z = x W + b): `dz = activation'(dy)`, `dW = x^T dz`, `db = sum_batch dz`,
 * `dx = dz W^T`, with the transposes taken explicitly so that every matMul is a
 * plain one (wasm's transposed matMul is about 10x slower).
 */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName | Initializer;
  readonly biasInitializer: InitializerName | Initializer;
  kernel: tf.Variable | null = null;
  bias: tf.Variable | null = null;

  constructor(options: DenseOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('Dense needs options { units }.');
    knownOptions('Dense', options, DENSE_OPTIONS, INPUT_SHAPE_HINT);
    super('dense', options.name);
    this.units = positiveInteger('Dense', 'units', options.units);
    this.activation = checkActivation(options.activation, 'Dense');
    this.useBias = boolean('Dense', 'useBias', options.useBias ?? true);
    this.kernelInitializer = options.kernelInitializer ?? 'glorotUniform';
    this.biasInitializer = options.biasInitializer ?? 'zeros';
  }

  get className(): string {
    return 'Dense';
  }

  override get outputsSoftmax(): boolean {
    return this.activation === 'softmax';
  }

  override build(inputShape: readonly number[], random: Random): void {
    if (inputShape.length !== 1) {
      throw new Error(
        `Layer "${this.name}" (Dense) takes inputs of rank 2 [batch, features], got input shape [null, ${inputShape.join(', ')}]. Put a Flatten layer before it.`,
      );
    }
    super.build(inputShape, random);
    this.kernel = this.addWeight('kernel', [inputShape[0] as number, this.units], this.kernelInitializer, random, true);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.biasInitializer, random, true);
  }

  override computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape.slice(0, -1), this.units];
  }

  forward(x: tf.Tensor, _training: boolean): ForwardResult {
    // One kernel for x W + b and the activation when tfjs can fuse it; softmax and tanh follow the fused x W + b.
    const fusedActivation = fusable(this.activation);
    const z = tf.fused.matMul({
      a: x as tf.Tensor2D,
      b: this.kernel as tf.Tensor2D,
      bias: this.bias ?? undefined,
      activation: fusedActivation ?? 'linear',
    });
    const y = fusedActivation === null ? activate(this.activation, z) : z;
    return { y, cache: { x, y } };
  }

  backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    const { y } = cache as { y: tf.Tensor };
    return this.backwardFromZ(activationGrad(this.activation, dy, y, this.reluMask), cache, needDx);
  }

  override backwardFromLogits(dz: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    if (!this.outputsSoftmax) return super.backwardFromLogits(dz, cache, needDx);
    return this.backwardFromZ(dz, cache, needDx);
  }

  /**
   * The backward pass given dL/dz, z = x W + b: `dW = x^T dz`, `db = sum_batch dz`, `dx = dz W^T`. On wasm the
   * transposes are explicit kernels (its transposed matMul is about 10x slower than a plain one); WebGL and cpu
   * read a transposed operand at no cost, so there the matMul takes the transpose flags.
   */
  private backwardFromZ(dzIn: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    const { x } = cache as { x: tf.Tensor2D };
    const dz = dzIn as tf.Tensor2D;
    const kernel = this.kernel as tf.Tensor2D;
    const explicit = transposesAreSlow();
    const grads: tf.Tensor[] = [explicit ? tf.matMul(tf.transpose(x), dz) : tf.matMul(x, dz, true, false)];
    if (this.bias !== null) grads.push(this.packed.batchSum(dz));
    let dx: tf.Tensor | null = null;
    if (needDx) dx = explicit ? tf.matMul(dz, tf.transpose(kernel)) : tf.matMul(dz, kernel, false, true);
    return { dx, grads };
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer:
        typeof this.kernelInitializer === 'string' ? this.kernelInitializer : this.kernelInitializer.name,
      biasInitializer: typeof this.biasInitializer === 'string' ? this.biasInitializer : this.biasInitializer.name,
    };
  }
}

export interface BatchNormalizationOptions {
  readonly momentum?: number;
  readonly epsilon?: number;
  readonly center?: boolean;
  readonly scale?: boolean;
  readonly name?: string;
}

/**
 * Batch normalization over the last axis (Keras 3, axis = -1).
 *
 * Training: `xhat = (x - mean_B) / sqrt(var_B + epsilon)` with the batch mean and the
 * biased batch variance `var_B = mean((x - mean_B)^2)`, `y = gamma * xhat + beta`, then
 * `movingMean = movingMean * momentum + mean_B * (1 - momentum)` (same for the variance).
 * Inference: the same with `movingMean` and `movingVariance`.
 *
 * Backward (N rows): `dbeta = sum dy`, `dgamma = sum dy * xhat`,
 * `dx = gamma / sqrt(var_B + epsilon) * (dy - (dbeta + xhat * dgamma) / N)`.
 *
 * PyTorch's BatchNorm1d writes momentum the other way round: its 0.1 is Keras's 0.9,
 * and it updates the running variance with the unbiased batch variance.
 */
export class BatchNormalization extends Layer {
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma: tf.Variable | null = null;
  beta: tf.Variable | null = null;
  movingMean: tf.Variable | null = null;
  movingVariance: tf.Variable | null = null;

  constructor(options: BatchNormalizationOptions = {}) {
    knownOptions('BatchNormalization', options, ['momentum', 'epsilon', 'center', 'scale', 'name'], {
      ...INPUT_SHAPE_HINT,
      eps: 'epsilon',
    });
    super('batch_normalization', options.name);
    this.momentum = inRange('BatchNormalization', 'momentum', options.momentum ?? 0.99, 0, 1, false);
    this.epsilon = inRange('BatchNormalization', 'epsilon', options.epsilon ?? 1e-3, 0, Number.MAX_VALUE, false);
    if (!(this.epsilon > 0)) throw new RangeError('BatchNormalization: `epsilon` must be > 0, got 0.');
    this.center = boolean('BatchNormalization', 'center', options.center ?? true);
    this.scale = boolean('BatchNormalization', 'scale', options.scale ?? true);
  }

  get className(): string {
    return 'BatchNormalization';
  }

  /** 2 when the statistics are taken over the batch axis alone ([batch, features] inputs), else 1. */
  override get minTrainingBatchSize(): number {
    const shape = this.inputShape;
    return shape === null || flatSize(shape.slice(0, -1)) === 1 ? 2 : 1;
  }

  override build(inputShape: readonly number[], random: Random): void {
    if (inputShape.length < 1) throw new Error(`Layer "${this.name}" (BatchNormalization) needs inputs of rank >= 2.`);
    super.build(inputShape, random);
    const c = [inputShape[inputShape.length - 1] as number];
    if (this.scale) this.gamma = this.addWeight('gamma', c, 'ones', random, true);
    if (this.center) this.beta = this.addWeight('beta', c, 'zeros', random, true);
    this.movingMean = this.addWeight('moving_mean', c, 'zeros', random, false);
    this.movingVariance = this.addWeight('moving_variance', c, 'ones', random, false);
  }

  /** `gamma * (x - mean) / sqrt(variance + epsilon) + beta` in one kernel (tfjs's FusedBatchNorm). */
  private normalize(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor): tf.Tensor {
    return tf.batchNorm(
      x as tf.Tensor2D,
      mean as tf.Tensor1D,
      variance as tf.Tensor1D,
      (this.beta ?? undefined) as tf.Tensor1D | undefined,
      (this.gamma ?? undefined) as tf.Tensor1D | undefined,
      this.epsilon,
    );
  }

  forward(x: tf.Tensor, training: boolean): ForwardResult {
    const shape = x.shape;
    const c = shape[shape.length - 1] as number;
    const x2 = shape.length === 2 ? x : tf.reshape(x, [-1, c]);
    if (!training) {
      const y = this.normalize(x2, this.movingMean as tf.Tensor, this.movingVariance as tf.Tensor);
      return { y: shape.length === 2 ? y : tf.reshape(y, shape), cache: null };
    }
    const n = x2.shape[0] as number;
    if (n < 2) {
      // PyTorch refuses this too ("Expected more than 1 value per channel when training").
      throw new Error(
        `Layer "${this.name}" (BatchNormalization) got a training batch of 1 sample: the batch variance of one sample is 0, ` +
          'so every output would be beta (zeros at the start) whatever the input, and the layers before it would learn nothing. ' +
          'Train with batches of at least 2 samples (and no single-sample last batch: dropRemainder or another batchSize).',
      );
    }
    const mean = this.packed.batchMean(x2);
    const centered = tf.sub(x2, mean);
    const variance = this.packed.batchMean(tf.square(centered));
    const y = this.normalize(x2, mean, variance);
    const m = this.momentum;
    const mm = this.movingMean as tf.Variable;
    const mv = this.movingVariance as tf.Variable;
    mm.assign(tf.add(tf.mul(mm, m), tf.mul(mean, 1 - m)));
    mv.assign(tf.add(tf.mul(mv, m), tf.mul(variance, 1 - m)));
    return { y: shape.length === 2 ? y : tf.reshape(y, shape), cache: { centered, variance, n, shape } };
  }

  /**
   * With `c = x - mean_B` and `s = 1 / sqrt(var_B + epsilon)` (so `xhat = c s`): `dgamma = s sum(dy c)`, and
   * `dx = gamma s (dy - dbeta / N - c (s dgamma / N))`, which is one FusedBatchNorm of `dy - c (s dgamma / N)`
   * with mean `dbeta / N`: four kernels over the batch instead of six.
   */
  backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    if (cache === null) throw new Error(`${this.name}: backward needs a forward pass in training mode.`);
    const { centered, variance, n, shape } = cache as {
      centered: tf.Tensor;
      variance: tf.Tensor;
      n: number;
      shape: number[];
    };
    const c = shape[shape.length - 1] as number;
    const dy2 = shape.length === 2 ? dy : tf.reshape(dy, [-1, c]);
    const invStd = tf.rsqrt(tf.add(variance, this.epsilon));
    const dbeta = this.packed.batchSum(dy2);
    const dgamma = tf.mul(this.packed.batchSum(tf.mul(dy2, centered)), invStd);
    const grads: tf.Tensor[] = [];
    if (this.gamma !== null) grads.push(dgamma);
    if (this.beta !== null) grads.push(dbeta);
    if (!needDx) return { dx: null, grads };
    const inner = tf.sub(dy2, tf.mul(centered, tf.mul(dgamma, tf.mul(invStd, 1 / n))));
    const dx = tf.batchNorm(
      inner as tf.Tensor2D,
      tf.mul(dbeta, 1 / n) as tf.Tensor1D,
      variance as tf.Tensor1D,
      undefined,
      (this.gamma ?? undefined) as tf.Tensor1D | undefined,
      this.epsilon,
    );
    return { dx: shape.length === 2 ? dx : tf.reshape(dx, shape), grads };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}

/** Rectified linear unit: `max(x, 0)`. */
export class ReLU extends Layer {
  constructor(options: { name?: string } = {}) {
    knownOptions('ReLU', options, ['name'], INPUT_SHAPE_HINT);
    super('re_lu', options.name);
  }
  get className(): string {
    return 'ReLU';
  }
  forward(x: tf.Tensor): ForwardResult {
    const y = tf.relu(x);
    return { y, cache: y };
  }
  backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    return { dx: needDx ? activationGrad('relu', dy, cache as tf.Tensor, this.reluMask) : null, grads: [] };
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

/** Softmax over the last axis: `exp(x_i) / sum_j exp(x_j)`. */
export class Softmax extends Layer {
  constructor(options: { name?: string } = {}) {
    knownOptions('Softmax', options, ['name'], { ...INPUT_SHAPE_HINT, dim: 'softmax is over the last axis' });
    super('softmax', options.name);
  }
  get className(): string {
    return 'Softmax';
  }
  override get outputsSoftmax(): boolean {
    return true;
  }
  override backwardFromLogits(dz: tf.Tensor, _cache: unknown, needDx: boolean): BackwardResult {
    return { dx: needDx ? dz : null, grads: [] };
  }
  forward(x: tf.Tensor): ForwardResult {
    const y = softmax(x);
    return { y, cache: y };
  }
  backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    return { dx: needDx ? activationGrad('softmax', dy, cache as tf.Tensor) : null, grads: [] };
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

/** Applies a named activation (Keras `Activation('relu')`). */
export class Activation extends Layer {
  readonly activation: ActivationName;
  constructor(activation: ActivationName | { activation: ActivationName; name?: string }) {
    const opts = typeof activation === 'string' ? { activation } : activation;
    if (opts === null || typeof opts !== 'object') {
      throw new TypeError(`Activation needs an activation name or { activation }, got ${show(activation)}.`);
    }
    knownOptions('Activation', opts, ['activation', 'name'], INPUT_SHAPE_HINT);
    super('activation', opts.name);
    this.activation = checkActivation(opts.activation ?? '(missing)', 'Activation');
  }
  get className(): string {
    return 'Activation';
  }
  override get outputsSoftmax(): boolean {
    return this.activation === 'softmax';
  }
  override backwardFromLogits(dz: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    if (!this.outputsSoftmax) return super.backwardFromLogits(dz, cache, needDx);
    return { dx: needDx ? dz : null, grads: [] };
  }
  forward(x: tf.Tensor): ForwardResult {
    const y = activate(this.activation, x);
    return { y, cache: y };
  }
  backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    return { dx: needDx ? activationGrad(this.activation, dy, cache as tf.Tensor, this.reluMask) : null, grads: [] };
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, activation: this.activation };
  }
}

export interface DropoutOptions {
  /** Fraction of the inputs to drop, in [0, 1). */
  readonly rate: number;
  /** Seed of the mask stream; without it the model's seed decides. */
  readonly seed?: number;
  readonly name?: string;
}

/**
 * Inverted dropout (Keras): in training each input is kept with probability
 * `1 - rate` and scaled by `1 / (1 - rate)`; in inference it is the identity.
 * Masks are drawn by a seeded {@link Random} in JavaScript, so they are the same
 * on every backend.
 */
export class Dropout extends Layer {
  readonly rate: number;
  readonly seed: number | null;
  private random: Random | null = null;

  constructor(options: DropoutOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('Dropout needs options { rate }.');
    knownOptions('Dropout', options, ['rate', 'seed', 'name'], { ...INPUT_SHAPE_HINT, p: 'rate' });
    super('dropout', options.name);
    this.rate = inRange('Dropout', 'rate', options.rate, 0, 1, true);
    this.seed = options.seed ?? null;
    if (this.seed !== null) this.random = new Random(this.seed);
  }
  get className(): string {
    return 'Dropout';
  }
  override build(inputShape: readonly number[], random: Random): void {
    super.build(inputShape, random);
    // Always fork so that other layers' streams do not depend on whether a seed was given.
    const forked = random.fork();
    if (this.random === null) this.random = forked;
  }
  override getRandomState(): RandomState | null {
    return this.random?.getState() ?? null;
  }
  override setRandomState(state: RandomState): void {
    this.random = Random.fromState(state);
  }
  forward(x: tf.Tensor, training: boolean): ForwardResult {
    if (!training || this.rate === 0) return { y: x, cache: null };
    const random = this.random ?? new Random(0);
    const count = flatSize(x.shape);
    const keepScale = 1 / (1 - this.rate);
    const mask = new Float32Array(count);
    for (let i = 0; i < count; i++) mask[i] = random.nextFloat() >= this.rate ? keepScale : 0;
    const maskT = tf.tensor(mask, x.shape, 'float32');
    return { y: tf.mul(x, maskT), cache: maskT };
  }
  backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    if (!needDx) return { dx: null, grads: [] };
    return { dx: cache === null ? dy : tf.mul(dy, cache as tf.Tensor), grads: [] };
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, rate: this.rate, seed: this.seed };
  }
}

/** Flattens every axis but the batch axis. */
export class Flatten extends Layer {
  constructor(options: { name?: string } = {}) {
    knownOptions('Flatten', options, ['name'], INPUT_SHAPE_HINT);
    super('flatten', options.name);
  }
  get className(): string {
    return 'Flatten';
  }
  override computeOutputShape(inputShape: readonly number[]): number[] {
    return [flatSize(inputShape)];
  }
  forward(x: tf.Tensor): ForwardResult {
    return { y: tf.reshape(x, [x.shape[0] as number, -1]), cache: x.shape };
  }
  backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    return { dx: needDx ? tf.reshape(dy, cache as number[]) : null, grads: [] };
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

/** `y = x * scale + offset`, e.g. `new Rescaling({ scale: 1 / 255 })` for pixels. */
export class Rescaling extends Layer {
  readonly scale: number;
  readonly offset: number;
  constructor(options: { scale: number; offset?: number; name?: string }) {
    if (options === null || typeof options !== 'object') throw new TypeError('Rescaling needs options { scale }.');
    knownOptions('Rescaling', options, ['scale', 'offset', 'name'], INPUT_SHAPE_HINT);
    super('rescaling', options.name);
    for (const key of ['scale', 'offset'] as const) {
      const value = options[key] ?? (key === 'offset' ? 0 : undefined);
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new RangeError(`Rescaling: \`${key}\` must be a finite number, got ${show(value)}.`);
      }
    }
    this.scale = options.scale;
    this.offset = options.offset ?? 0;
  }
  get className(): string {
    return 'Rescaling';
  }
  forward(x: tf.Tensor): ForwardResult {
    const y = tf.mul(x, this.scale);
    return { y: this.offset === 0 ? y : tf.add(y, this.offset), cache: null };
  }
  backward(dy: tf.Tensor, _cache: unknown, needDx: boolean): BackwardResult {
    return { dx: needDx ? tf.mul(dy, this.scale) : null, grads: [] };
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, scale: this.scale, offset: this.offset };
  }
}

/** Keras's backend epsilon: the floor of Normalization's standard deviation. */
const KERAS_EPSILON = 1e-7;

/**
 * Feature-wise standardization (Keras 3 `Normalization(axis=-1)`):
 * `y = (x - mean) / max(sqrt(variance), 1e-7)`, with `mean` and `variance` the
 * population statistics of the data given to {@link adapt}, per feature on the
 * last axis. Fit it on the training split only: statistics of validation or test
 * data would leak them into training and make the held-out score optimistic.
 */
export class Normalization extends Layer {
  readonly axis: number;
  mean: tf.Variable | null = null;
  variance: tf.Variable | null = null;
  private adapted = false;

  constructor(options: { axis?: number; name?: string } = {}) {
    knownOptions('Normalization', options, ['axis', 'name'], INPUT_SHAPE_HINT);
    super('normalization', options.name);
    this.axis = options.axis ?? -1;
    if (this.axis !== -1) {
      throw new RangeError(
        `Normalization: only axis = -1 (per feature on the last axis) is supported, got ${this.axis}.`,
      );
    }
  }
  get className(): string {
    return 'Normalization';
  }
  override build(inputShape: readonly number[], random: Random): void {
    if (this.built) return;
    super.build(inputShape, random);
    const c = [inputShape[inputShape.length - 1] as number];
    this.mean = this.addWeight('mean', c, 'zeros', random, false);
    this.variance = this.addWeight('variance', c, 'ones', random, false);
  }
  /**
   * Computes the per-feature population mean and variance (divisor N, not N - 1)
   * of `data` in float64 and stores them in the layer.
   */
  adapt(data: tf.Tensor): void {
    if (!(data instanceof tf.Tensor) || data.rank < 2) {
      throw new TypeError('Normalization.adapt(data) needs a tf.Tensor of rank >= 2 (samples first).');
    }
    const c = data.shape[data.rank - 1] as number;
    if (!this.built) this.build(data.shape.slice(1), new Random(0));
    else if ((this.inputShape as number[])[(this.inputShape as number[]).length - 1] !== c) {
      throw new Error(
        `${this.name}: adapt data has ${c} features, the layer was built for ${String(this.inputShape)}.`,
      );
    }
    const values = data.dataSync();
    const rows = values.length / c;
    const sum = new Float64Array(c);
    for (let i = 0; i < values.length; i++) {
      const j = i % c;
      sum[j] = (sum[j] as number) + (values[i] as number);
    }
    const mean = sum.map((s) => s / rows);
    const sq = new Float64Array(c);
    for (let i = 0; i < values.length; i++) {
      const d = (values[i] as number) - (mean[i % c] as number);
      sq[i % c] = (sq[i % c] as number) + d * d;
    }
    if (!Array.from(mean).every(Number.isFinite)) {
      throw new Error(`${this.name}: adapt data holds NaN or infinite values; clean the data first.`);
    }
    (this.mean as tf.Variable).assign(tf.tensor1d(Float32Array.from(mean)));
    (this.variance as tf.Variable).assign(tf.tensor1d(Float32Array.from(sq.map((s) => s / rows))));
    this.adapted = true;
  }
  get isAdapted(): boolean {
    return this.adapted;
  }
  forward(x: tf.Tensor): ForwardResult {
    const denom = tf.maximum(tf.sqrt(this.variance as tf.Tensor), KERAS_EPSILON);
    return { y: tf.div(tf.sub(x, this.mean as tf.Tensor), denom), cache: denom };
  }
  backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    return { dx: needDx ? tf.div(dy, cache as tf.Tensor) : null, grads: [] };
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, axis: this.axis };
  }
}

/** Rebuilds a layer from `{ className, config }` (checkpoints). */
export function layerFromConfig(spec: LayerConfig): Layer {
  const c = spec.config as never;
  switch (spec.className) {
    case 'Dense':
      return new Dense(c);
    case 'BatchNormalization':
      return new BatchNormalization(c);
    case 'ReLU':
      return new ReLU(c);
    case 'Softmax':
      return new Softmax(c);
    case 'Activation':
      return new Activation(c);
    case 'Dropout':
      return new Dropout({
        ...(c as object),
        seed: (spec.config.seed as number | null) ?? undefined,
      } as DropoutOptions);
    case 'Flatten':
      return new Flatten(c);
    case 'Rescaling':
      return new Rescaling(c);
    case 'Normalization':
      return new Normalization(c);
    default:
      throw new Error(`Unknown layer class "${spec.className}" in a saved model.`);
  }
}
