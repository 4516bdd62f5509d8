/**
 * The layers that end in an activation (`ActivatedLayer`: Dense and the activation layers), and the activation
 * layers themselves: ReLU, Softmax and Activation(name).
 */
import type { tf } from '@opt/tensor';
import { type ActivationName, activate, activationGrad, checkActivation } from '../activations.js';
import { knownOptions, show } from '../validate.js';
import { type BackwardResult, type ForwardResult, INPUT_SHAPE_HINT, Layer } from './layer.js';

/**
 * A layer whose output is `y = activation(z)` of a pre-activation `z` it computes (Dense: `z = x W + b`; the
 * activation layers: `z = x`), with `y` in its forward cache. Its backward pass is the one from dL/dz after the
 * activation's gradient; a softmax output also takes dL/dz from a crossentropy directly (the fused
 * softmax-crossentropy start, which the train step asks for through {@link Layer.outputsSoftmax}).
 */
export abstract class ActivatedLayer extends Layer {
  abstract readonly activation: ActivationName;

  /** The backward pass from dL/dz, the gradient at the activation's input. */
  protected abstract backwardFromPreActivation(dz: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult;

  override get outputsSoftmax(): boolean {
    return this.activation === 'softmax';
  }

  override backwardFromLogits(dz: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    if (!this.outputsSoftmax) return super.backwardFromLogits(dz, cache, needDx);
    return this.backwardFromPreActivation(dz, cache, needDx);
  }

  backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    if (!needDx && this.trainableWeights.length === 0) return { dx: null, grads: [] };
    const { y } = cache as { y: tf.Tensor };
    return this.backwardFromPreActivation(activationGrad(this.activation, dy, y), cache, needDx);
  }
}

/** A layer that applies its activation and nothing else: `y = activation(x)`, so `dL/dx = dL/dz`. */
export abstract class ActivationOnly extends ActivatedLayer {
  forward(x: tf.Tensor): ForwardResult {
    const y = activate(this.activation, x);
    return { y, cache: { y } };
  }

  protected backwardFromPreActivation(dz: tf.Tensor, _cache: unknown, needDx: boolean): BackwardResult {
    return { dx: needDx ? dz : null, grads: [] };
  }
}

/** Rectified linear unit: `max(x, 0)`. */
export class ReLU extends ActivationOnly {
  readonly activation: ActivationName = 'relu';
  constructor(options: { name?: string } = {}) {
    knownOptions('ReLU', options, ['name'], INPUT_SHAPE_HINT);
    super('re_lu', options.name);
  }
  get className(): string {
    return 'ReLU';
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

/** Softmax over the last axis: `exp(x_i) / sum_j exp(x_j)`. */
export class Softmax extends ActivationOnly {
  readonly activation: ActivationName = 'softmax';
  constructor(options: { name?: string } = {}) {
    knownOptions('Softmax', options, ['name'], { ...INPUT_SHAPE_HINT, dim: 'softmax is over the last axis' });
    super('softmax', options.name);
  }
  get className(): string {
    return 'Softmax';
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}

/** Applies a named activation (Keras `Activation('relu')`). */
export class Activation extends ActivationOnly {
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
  getConfig(): Record<string, unknown> {
    return { name: this.name, activation: this.activation };
  }
}
