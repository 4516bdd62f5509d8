/**
 * Losses with Keras 3's arithmetic, each with its gradient with respect to the
 * model's output written by hand (the fit loop has no autodiff tape). The
 * reduction is Keras's `sum_over_batch_size`: the mean over the samples.
 */
import { tf } from '@opt/tensor';
import { correctCount as countCorrect, softmaxCrossentropy } from './ops/index.js';

/** Keras's fuzz factor: probabilities are clipped to [1e-7, 1 - 1e-7] before the log. */
export const EPSILON = 1e-7;

/** The losses `compile` accepts by name (Keras's names in camelCase). */
export type LossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'meanSquaredError';
/** Every {@link LossName}. */
export const LOSS_NAMES: readonly LossName[] = [
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'meanSquaredError',
];

/** Options of the loss classes (Keras's `from_logits`, `label_smoothing`, ... in camelCase). */
export interface LossOptions {
  /** The model outputs logits (no softmax): the loss uses a stable log-softmax. Default false. */
  readonly fromLogits?: boolean;
}

/** A loss: its mean value over the batch and its gradient with respect to `yPred`. */
export interface Loss {
  readonly name: LossName;
  readonly fromLogits: boolean;
  /** Mean loss over the batch (a scalar). */
  value(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar;
  /** The mean loss and d(mean loss)/d(yPred), computed together. */
  valueAndGrad(yTrue: tf.Tensor, yPred: tf.Tensor): { value: tf.Scalar; grad: tf.Tensor };
  /** Whether labels are class indices (sparse) rather than one-hot rows. */
  readonly sparse: boolean;
  /**
   * For `yPred = softmax(z)`: the mean loss and d(mean loss)/dz in one step,
   * skipping the softmax's own backward pass (the fit loop uses it when the
   * model ends in a softmax). Absent for losses without such a shortcut.
   */
  softmaxValueAndLogitGrad?(yTrue: tf.Tensor, p: tf.Tensor): { value: tf.Scalar; grad: tf.Tensor };
}

/** `t` as int32, without a Cast kernel when it is int32 already. */
function asInt32(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'int32' ? t : tf.cast(t, 'int32');
}

/** Sparse labels of shape [N] or [N, 1] as one-hot rows of width `classes`. */
export function oneHotLabels(yTrue: tf.Tensor, classes: number): tf.Tensor {
  const flat = yTrue.rank === 2 ? tf.reshape(yTrue, [-1]) : yTrue;
  return tf.oneHot(asInt32(flat) as tf.Tensor1D, classes);
}

/**
 * Categorical cross-entropy `-sum_k y_k log p_k`, averaged over the batch.
 * From probabilities (Keras): `p = clip(yPred / sum(yPred), 1e-7, 1 - 1e-7)`;
 * gradient `-y / (p * sum(yPred))` where unclipped, corrected for the normalization.
 * From logits: `log p = z - logsumexp(z)` (stable for any magnitude);
 * gradient `(softmax(z) - y) / N`.
 */
function crossentropy(name: LossName, sparse: boolean, fromLogits: boolean): Loss {
  const target = (yTrue: tf.Tensor, yPred: tf.Tensor) =>
    sparse ? oneHotLabels(yTrue, yPred.shape[yPred.rank - 1] as number) : yTrue;
  const n = (yPred: tf.Tensor) => (yPred.size / (yPred.shape[yPred.rank - 1] as number)) as number;
  const logitsValue = (y: tf.Tensor, z: tf.Tensor) => {
    const logP = tf.logSoftmax(z, -1);
    return { logP, value: tf.mul(tf.sum(tf.mul(y, logP)), -1 / n(z)) as tf.Scalar };
  };
  // -mean_batch(sum_k y_k log q_k) as one sum over the batch times -1/N (a scalar), fewer kernels than sum, mean, neg.
  const probsValue = (y: tf.Tensor, p: tf.Tensor) => {
    const total = tf.sum(p, -1, true);
    const normalized = tf.div(p, total);
    const clipped = tf.clipByValue(normalized, EPSILON, 1 - EPSILON);
    const value = tf.mul(tf.sum(tf.mul(y, tf.log(clipped))), -1 / n(p)) as tf.Scalar;
    return { total, normalized, clipped, value };
  };
  return {
    name,
    fromLogits,
    sparse,
    value(yTrue, yPred) {
      return tf.tidy(() => {
        const y = target(yTrue, yPred);
        return fromLogits ? logitsValue(y, yPred).value : probsValue(y, yPred).value;
      });
    },
    valueAndGrad(yTrue, yPred) {
      const y = target(yTrue, yPred);
      const scale = 1 / n(yPred);
      if (fromLogits) {
        const { logP, value } = logitsValue(y, yPred);
        return { value, grad: tf.mul(tf.sub(tf.exp(logP), y), scale) };
      }
      const { total, normalized, clipped, value } = probsValue(y, yPred);
      // dL/dq_k for q = yPred / total: -y_k / q_k inside the clip range (where the clip leaves q), 0 outside.
      const inside = tf.equal(clipped, normalized);
      const dq = tf.where(inside, tf.neg(tf.div(y, normalized)), tf.zerosLike(normalized));
      // Through the normalization q = p / sum(p): dL/dp = (dq - sum(dq * q)) / sum(p).
      const dp = tf.div(tf.sub(dq, tf.sum(tf.mul(dq, normalized), -1, true)), total);
      return { value, grad: tf.mul(dp, scale) };
    },
    // For p = softmax(z) the gradient at z skips the softmax's own backward pass (the train step's fused start).
    ...(fromLogits
      ? {}
      : {
          softmaxValueAndLogitGrad(yTrue: tf.Tensor, p: tf.Tensor) {
            return softmaxCrossentropy(target(yTrue, p), p, { clipMin: EPSILON, clipMax: 1 - EPSILON });
          },
        }),
  };
}

/** Keras `categorical_crossentropy`: one-hot labels. */
export function categoricalCrossentropy(options: LossOptions = {}): Loss {
  return crossentropy('categoricalCrossentropy', false, options.fromLogits === true);
}

/** Keras `sparse_categorical_crossentropy`: integer class labels of shape [N] or [N, 1]. */
export function sparseCategoricalCrossentropy(options: LossOptions = {}): Loss {
  return crossentropy('sparseCategoricalCrossentropy', true, options.fromLogits === true);
}

/** Keras `mean_squared_error`: `mean_batch(mean_k (yPred - yTrue)^2)`; gradient `2 (yPred - yTrue) / size`. */
export function meanSquaredError(): Loss {
  return {
    name: 'meanSquaredError',
    fromLogits: false,
    sparse: false,
    value(yTrue, yPred) {
      return tf.tidy(() => tf.mean(tf.squaredDifference(yPred, yTrue)) as tf.Scalar);
    },
    valueAndGrad(yTrue, yPred) {
      const diff = tf.sub(yPred, yTrue);
      return { value: tf.mean(tf.square(diff)) as tf.Scalar, grad: tf.mul(diff, 2 / yPred.size) };
    },
  };
}

/** A loss for `compile`: a {@link LossName} or a {@link Loss} instance. */
export type LossSpec = LossName | Loss;

/** The {@link Loss} a {@link LossSpec} names (an instance is returned as it is); an unknown name is an error listing the known ones. */
export function getLoss(spec: LossSpec): Loss {
  if (typeof spec === 'object' && spec !== null && typeof spec.valueAndGrad === 'function') return spec;
  switch (spec) {
    case 'categoricalCrossentropy':
      return categoricalCrossentropy();
    case 'sparseCategoricalCrossentropy':
      return sparseCategoricalCrossentropy();
    case 'meanSquaredError':
      return meanSquaredError();
    default:
      throw new RangeError(
        `compile: unknown loss ${JSON.stringify(spec)}. Choose one of: ${LOSS_NAMES.join(', ')}, or pass a loss object such as categoricalCrossentropy({ fromLogits: true }).`,
      );
  }
}

/**
 * The metrics `compile` accepts: `accuracy` picks categorical or sparse categorical accuracy from the loss, as
 * Keras's `'accuracy'` string does.
 */
export type MetricName = 'accuracy' | 'categoricalAccuracy' | 'sparseCategoricalAccuracy';
/** Every {@link MetricName}. */
export const METRIC_NAMES: readonly MetricName[] = ['accuracy', 'categoricalAccuracy', 'sparseCategoricalAccuracy'];

/** The log key Keras writes for a metric. */
export function metricKey(name: MetricName): string {
  return name === 'accuracy'
    ? 'accuracy'
    : name === 'categoricalAccuracy'
      ? 'categorical_accuracy'
      : 'sparse_categorical_accuracy';
}

/**
 * Number of correct predictions in a batch (a scalar tensor; no read-back).
 * `categoricalAccuracy`: argmax(yPred) = argmax(yTrue); `sparseCategoricalAccuracy`:
 * argmax(yPred) = yTrue; `accuracy` picks one of them as Keras 3 does from the
 * shapes (sparse when the labels have one axis fewer or a last axis of 1), or
 * binary accuracy (yPred > 0.5 equals yTrue) when the model has one output.
 */
export function correctCount(name: MetricName, yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  const classes = yPred.shape[yPred.rank - 1] as number;
  let kind: 'categorical' | 'sparse' | 'binary' =
    name === 'categoricalAccuracy' ? 'categorical' : name === 'sparseCategoricalAccuracy' ? 'sparse' : 'categorical';
  if (name === 'accuracy') {
    if (classes === 1) kind = 'binary';
    else if (yTrue.rank < yPred.rank || yTrue.shape[yTrue.rank - 1] === 1) kind = 'sparse';
  }
  if (kind === 'binary') {
    const predicted = tf.cast(tf.greater(yPred, 0.5), 'float32');
    return tf.sum(tf.cast(tf.equal(predicted, tf.reshape(yTrue, yPred.shape)), 'float32')) as tf.Scalar;
  }
  return countCorrect(yTrue, yPred, kind === 'sparse');
}

export function checkMetric(name: unknown): MetricName {
  if (typeof name !== 'string' || !METRIC_NAMES.includes(name as MetricName)) {
    throw new RangeError(`compile: unknown metric ${JSON.stringify(name)}. Choose from: ${METRIC_NAMES.join(', ')}.`);
  }
  return name as MetricName;
}
