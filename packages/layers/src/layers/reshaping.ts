/** Keras's Flatten layer. */
import { tf } from '@opt/tensor';
import { knownOptions } from '../validate.js';
import { type BackwardResult, type ForwardResult, flatSize, INPUT_SHAPE_HINT, Layer } from './layer.js';

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
