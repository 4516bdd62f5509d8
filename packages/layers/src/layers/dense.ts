/** Keras's Dense layer. */
import { type Initializer, type InitializerName, type Random, tf } from '@opt/tensor';
import { type ActivationName, activate, activationGrad, checkActivation, fusable } from '../activations.js';
import { transposesAreSlow } from '../backend-traits.js';
import { boolean, knownOptions, positiveInteger } from '../validate.js';
import { type BackwardResult, type ForwardResult, INPUT_SHAPE_HINT, Layer } from './layer.js';

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
