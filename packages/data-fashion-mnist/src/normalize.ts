/**
 * The chapter's input normalization (Keras's `Rescaling(1/255)` and `Normalization`), its statistics, and
 * one-hot labels. Platform-neutral; bytes in, float32 out.
 */
import { tf } from '@opt/tensor';
import { type FashionMnistSplit, IMAGE_SIZE, NUM_CLASSES } from './idx.js';
import { checkSplit } from './split.js';

/**
 * Standardization statistics, in rescaled units (pixel / 255). `mean` and `std`
 * have one value (`global`) or 784 (`pixel`).
 */
export interface Statistics {
  readonly axis: 'global' | 'pixel';
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/**
 * Mean and population standard deviation of the pixels of `data` (pass the
 * training split only), in units of pixel / 255:
 *
 *   mean = Σ x / (N·255),  std = sqrt(Σ x² / (N·255²) − mean²)
 *
 * over all pixels (`axis: 'global'`, the default: like Keras's
 * `Normalization(axis=None).adapt` on the rescaled images) or per pixel position
 * (`axis: 'pixel'`: like `Normalization()` adapted on flattened [N, 784] images).
 * Sums of bytes are exact integers in float64.
 */
export function computeStatistics(data: FashionMnistSplit, options: { axis?: 'global' | 'pixel' } = {}): Statistics {
  checkSplit(data, 'computeStatistics');
  const axis = options.axis ?? 'global';
  if (axis !== 'global' && axis !== 'pixel') {
    throw new RangeError(`computeStatistics: axis must be 'global' or 'pixel', got ${JSON.stringify(axis)}.`);
  }
  if (data.count === 0) throw new RangeError('computeStatistics: data has no examples.');
  const sum = new Float64Array(IMAGE_SIZE);
  const sumSq = new Float64Array(IMAGE_SIZE);
  const { images } = data;
  for (let i = 0; i < data.count; i++) {
    const base = i * IMAGE_SIZE;
    for (let p = 0; p < IMAGE_SIZE; p++) {
      const x = images[base + p] as number;
      sum[p] = (sum[p] as number) + x;
      sumSq[p] = (sumSq[p] as number) + x * x;
    }
  }
  const moments = (s: number, s2: number, n: number) => {
    const mean = s / (n * 255);
    return [mean, Math.sqrt(Math.max(0, s2 / (n * 255 * 255) - mean * mean))] as const;
  };
  if (axis === 'global') {
    const [m, sd] = moments(
      sum.reduce((a, b) => a + b, 0),
      sumSq.reduce((a, b) => a + b, 0),
      data.count * IMAGE_SIZE,
    );
    return { axis, mean: Float64Array.of(m), std: Float64Array.of(sd) };
  }
  const mean = new Float64Array(IMAGE_SIZE);
  const std = new Float64Array(IMAGE_SIZE);
  for (let p = 0; p < IMAGE_SIZE; p++) [mean[p], std[p]] = moments(sum[p] as number, sumSq[p] as number, data.count);
  return { axis, mean, std };
}

/** Keras's floor on the standard deviation in `Normalization` (`backend.epsilon()`). */
export const STD_EPSILON = 1e-7;

/** How batches are normalized: `none` (0..255), `rescale` (x / 255) or `standardize` ((x / 255 − mean) / std). */
export type NormalizeMode = 'none' | 'rescale' | 'standardize';

/**
 * Converts images (bytes, 784 per image) to float32 with `mode`:
 * `rescale` is Keras's `Rescaling(1/255)`; `standardize` is
 * `(x/255 − mean) / max(std, 1e-7)` as Keras's `Normalization`.
 */
export function normalizeImages(
  images: Uint8Array,
  mode: NormalizeMode,
  statistics?: Statistics,
  out = new Float32Array(images.length),
): Float32Array {
  if (mode === 'none') {
    for (let i = 0; i < images.length; i++) out[i] = images[i] as number;
    return out;
  }
  if (mode === 'rescale') {
    for (let i = 0; i < images.length; i++) out[i] = (images[i] as number) / 255;
    return out;
  }
  if (mode !== 'standardize') {
    throw new RangeError(`normalize must be 'none', 'rescale' or 'standardize', got ${JSON.stringify(mode)}.`);
  }
  if (statistics === undefined) {
    throw new TypeError("normalize: 'standardize' needs statistics: pass computeStatistics(trainSplit).");
  }
  // Per-pixel affine maps x -> x * scale + shift, folded once.
  const n = statistics.mean.length;
  const scale = new Float64Array(n);
  const shift = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const s = Math.max(statistics.std[p] as number, STD_EPSILON);
    scale[p] = 1 / (255 * s);
    shift[p] = -(statistics.mean[p] as number) / s;
  }
  if (n === 1) {
    const a = scale[0] as number;
    const b = shift[0] as number;
    for (let i = 0; i < images.length; i++) out[i] = (images[i] as number) * a + b;
  } else {
    for (let i = 0; i < images.length; i++) {
      const p = i % IMAGE_SIZE;
      out[i] = (images[i] as number) * (scale[p] as number) + (shift[p] as number);
    }
  }
  return out;
}

/** One-hot float32 labels `[n, numClasses]` (Keras's `to_categorical`). */
export function oneHot(labels: ArrayLike<number>, numClasses = NUM_CLASSES): tf.Tensor2D {
  const n = labels.length;
  const out = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const c = labels[i] as number;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new RangeError(`oneHot: label ${c} at index ${i} is not in [0, ${numClasses - 1}].`);
    }
    out[i * numClasses + c] = 1;
  }
  return tf.tensor2d(out, [n, numClasses], 'float32');
}
