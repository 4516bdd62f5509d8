/** The preprocessing layers: Rescaling and Normalization with adapt. */
import { Random, tf } from '@opt/tensor';
import { knownOptions, show } from '../validate.js';
import { type BackwardResult, type ForwardResult, INPUT_SHAPE_HINT, Layer } from './layer.js';

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
  /** True once `adapt` has computed the mean and variance (or they were given to the constructor). */
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
