/** Keras's Dense layer. */
import type { Initializer, InitializerName, Random, tf } from '@opt/tensor';
import { type ActivationName, activate, checkActivation, fusable } from '../activations.js';
import { batchSum, denseForward, matMulTransposeA, matMulTransposeB } from '../ops/index.js';
import { boolean, knownOptions, positiveInteger } from '../validate.js';
import { ActivatedLayer } from './activations.js';
import { type BackwardResult, type ForwardResult, INPUT_SHAPE_HINT } from './layer.js';

const DENSE_OPTIONS = ['units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'name'];

/** Options of {@link Dense}: Keras's arguments in camelCase, with Keras's defaults. */
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
 * Backward (z = x W + b): `dz = activation'(dy)`, `dW = x^T dz`, `db = sum_batch dz`, `dx = dz W^T`.
 */
export class Dense extends ActivatedLayer {
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
    // One kernel for x W + b and the activation when it can be fused; softmax and tanh follow the fused x W + b.
    const fusedActivation = fusable(this.activation);
    const z = denseForward(x as tf.Tensor2D, this.kernel as tf.Tensor2D, this.bias, fusedActivation ?? 'linear');
    const y = fusedActivation === null ? activate(this.activation, z) : z;
    return { y, cache: { x, y } };
  }

  /** For `z = x W + b`: `dW = x^T dz`, `db = sum_batch dz`, `dx = dz W^T`. */
  protected backwardFromPreActivation(dzIn: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    const { x } = cache as { x: tf.Tensor2D };
    const dz = dzIn as tf.Tensor2D;
    const grads: tf.Tensor[] = [matMulTransposeA(x, dz)];
    if (this.bias !== null) grads.push(batchSum(dz));
    return { dx: needDx ? matMulTransposeB(dz, this.kernel as tf.Tensor2D) : null, grads };
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
