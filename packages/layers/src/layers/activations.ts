/** The activation layers: ReLU, Softmax and Activation(name). */
import { tf } from '@opt/tensor';
import { type ActivationName, activate, activationGrad, checkActivation } from '../activations.js';
import { softmax } from '../softmax-webgl.js';
import { knownOptions, show } from '../validate.js';
import { type BackwardResult, type ForwardResult, INPUT_SHAPE_HINT, Layer } from './layer.js';

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
