/**
 * The base class of the handbook's layers (Keras 3's names, defaults and arithmetic).
 *
 * Each layer has a forward pass that returns what its backward pass needs, and a hand-written backward pass: the
 * train step chains them directly (no autodiff tape), and `apply` wraps them in `tf.customGrad` so that `tf.grad`
 * through a layer uses the same gradients.
 */
import { type Initializer, type InitializerName, initialize, Random, type RandomState, tf } from '@opt/tensor';
import { show } from '../validate.js';

/** Options of a layer's and a model's `apply` / `predict`. */
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

/** A layer as JSON: Keras's class name and the constructor's options. */
export interface LayerConfig {
  /** The layer's {@link Layer.className}. */
  readonly className: string;
  /** The layer's {@link Layer.getConfig}. */
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

  constructor(baseName: string, name?: unknown) {
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw new TypeError(`${baseName}: \`name\` must be a non-empty string, got ${show(name)}.`);
    }
    this.name = name ?? autoName(baseName);
  }

  /** Keras's class name ('Dense', 'BatchNormalization', ...), as configs and checkpoints record it. */
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

  /** True once {@link build} has created the weights for an input shape. */
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

  /** The weights the optimizer updates (Keras: `trainable_weights`). */
  get trainableWeights(): LayerWeight[] {
    return this.weightList.filter((w) => w.trainable);
  }

  /** The weights training changes without the optimizer, e.g. BatchNormalization's moving statistics. */
  get nonTrainableWeights(): LayerWeight[] {
    return this.weightList.filter((w) => !w.trainable);
  }

  /** All weights, trainable first as Keras lists them. */
  get weights(): LayerWeight[] {
    return [...this.trainableWeights, ...this.nonTrainableWeights];
  }

  /** The constructor's options, JSON-serializable: `new Class(getConfig())` rebuilds the layer (Keras's `get_config`). */
  abstract getConfig(): Record<string, unknown>;

  /** Forward pass; in training mode it may update state (moving statistics, the dropout stream). */
  abstract forward(x: tf.Tensor, training: boolean): ForwardResult;

  /** Backward pass for a forward in training mode; `needDx` false skips dL/dx (first layer). */
  abstract backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult;

  /** Random streams this layer owns (Dropout), for exact resumption. */
  getRandomState(): RandomState | null {
    return null;
  }

  /** Restores what {@link getRandomState} returned, so a resumed run draws the same numbers. */
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

  /** Throws, naming the layer and both shapes, when `x` (batch first) does not match the built input shape. */
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

  /** Creates a weight named `<layer name>/<localName>` with initial values drawn by `init` from `random`. */
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

export function flatSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Keras's habit of passing the input shape to the first layer; here the model takes it. */
export const INPUT_SHAPE_HINT = {
  inputShape: 'the input shape belongs to the model: new Sequential(layers, { inputShape })',
  input_shape: 'the input shape belongs to the model: new Sequential(layers, { inputShape })',
};
