/** Keras's Dropout layer. */
import { Random, type RandomState, tf } from '@opt/tensor';
import { inRange, knownOptions } from '../validate.js';
import { type BackwardResult, type ForwardResult, flatSize, INPUT_SHAPE_HINT, Layer } from './layer.js';

/** Options of {@link Dropout}: Keras's arguments in camelCase. */
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
 * Masks are drawn by a seeded `Random` (@opt/tensor) in JavaScript, so they are the same
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
