/**
 * How a classifier's mistakes spread over the classes: the confusion matrix and each class's accuracy, on the
 * device (read them with `.array()`). Keras has neither built in; the formula is TensorFlow.js's
 * `tf.math.confusionMatrix`, computed in float32 because the wasm backend has no integer matrix product.
 */
import { tf } from '@opt/tensor';
import { show } from './validate.js';

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /**
   * The number of classes K. Default: the last axis of `yPred` when it holds scores, else of one-hot `yTrue`;
   * required when both are class indices.
   */
  readonly numClasses?: number;
}

function checkRank(where: string, name: string, t: tf.Tensor): void {
  if (t.rank !== 1 && t.rank !== 2) {
    throw new RangeError(
      `${where}: \`${name}\` must be class indices [N] or [N, 1], or one row per sample [N, K], got shape [${t.shape.join(', ')}].`,
    );
  }
}

/** Class indices [N] from labels or scores: [N] or [N, 1] as they are, [N, K] (one-hot or scores) by argmax. */
function classIndices(t: tf.Tensor): tf.Tensor1D {
  if (t.rank === 1) return tf.cast(t, 'int32') as tf.Tensor1D;
  if (t.shape[1] === 1) return tf.cast(tf.reshape(t, [-1]), 'int32') as tf.Tensor1D;
  return tf.argMax(t, -1) as tf.Tensor1D;
}

/** K from the option, or from whichever of the two has a class axis; an error when they disagree or say nothing. */
function classCount(where: string, yTrue: tf.Tensor, yPred: tf.Tensor, numClasses: unknown): number {
  const axis = (t: tf.Tensor) => (t.rank === 2 && (t.shape[1] as number) > 1 ? (t.shape[1] as number) : null);
  const fromShapes = [axis(yPred), axis(yTrue)].filter((k): k is number => k !== null);
  if (fromShapes.length === 2 && fromShapes[0] !== fromShapes[1]) {
    throw new RangeError(
      `${where}: \`yPred\` has ${fromShapes[0]} classes (shape [${yPred.shape.join(', ')}]) but \`yTrue\` has ${fromShapes[1]} (shape [${yTrue.shape.join(', ')}]).`,
    );
  }
  if (numClasses === undefined) {
    if (fromShapes[0] === undefined) {
      throw new RangeError(
        `${where}: \`yTrue\` and \`yPred\` are both class indices, so the number of classes is unknown: pass { numClasses }.`,
      );
    }
    return fromShapes[0];
  }
  if (typeof numClasses !== 'number' || !Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`${where}: \`numClasses\` must be an integer >= 1, got ${show(numClasses)}.`);
  }
  if (fromShapes[0] !== undefined && fromShapes[0] !== numClasses) {
    throw new RangeError(
      `${where}: \`numClasses\` is ${numClasses} but the scores or one-hot labels have ${fromShapes[0]} classes.`,
    );
  }
  return numClasses;
}

/**
 * The confusion matrix `C = oneHot(yTrue)^T oneHot(yPred)` [K, K] (int32): `C[t][p]` counts the samples of true
 * class `t` that were predicted as class `p`, so rows are true classes and columns predictions
 * (tf.math.confusionMatrix's and scikit-learn's convention), the diagonal holds the correct ones, and each row
 * sums to the samples of its class.
 *
 * `yTrue`: class indices [N] or [N, 1], or one-hot rows [N, K]. `yPred`: scores [N, K] (probabilities or
 * logits: the predicted class is the argmax, as for accuracy) or class indices [N], e.g.
 * `confusionMatrix(y, model.predict(x))`. Indices outside `[0, K)` are not counted.
 */
export function confusionMatrix(yTrue: tf.Tensor, yPred: tf.Tensor, options: ConfusionMatrixOptions = {}): tf.Tensor2D {
  const where = 'confusionMatrix';
  checkRank(where, 'yTrue', yTrue);
  checkRank(where, 'yPred', yPred);
  const numClasses = classCount(where, yTrue, yPred, options.numClasses);
  if (yTrue.shape[0] !== yPred.shape[0]) {
    throw new RangeError(
      `${where}: \`yTrue\` has ${yTrue.shape[0]} samples (shape [${yTrue.shape.join(', ')}]) but \`yPred\` has ${yPred.shape[0]} (shape [${yPred.shape.join(', ')}]).`,
    );
  }
  // tf.math.confusionMatrix's formula, oneHot(yTrue)^T oneHot(yPred), in float32: its int32 matMul throws on wasm.
  // Counts up to 2^24 per cell are exact in float32.
  return tf.tidy(() => {
    const truth = tf.cast(tf.oneHot(classIndices(yTrue), numClasses), 'float32');
    const predicted = tf.cast(tf.oneHot(classIndices(yPred), numClasses), 'float32');
    return tf.cast(tf.matMul(truth, predicted, true, false), 'int32') as tf.Tensor2D;
  });
}

/**
 * Each class's accuracy [K] (float32) from a {@link confusionMatrix}: `C[k][k] / sum_p C[k][p]`, the share of
 * class `k`'s samples predicted as `k` (Keras's `Recall(class_id=k)`, scikit-learn's per-class recall). NaN
 * for a class without samples.
 */
export function perClassAccuracy(confusion: tf.Tensor2D): tf.Tensor1D {
  if (confusion.rank !== 2 || confusion.shape[0] !== confusion.shape[1]) {
    throw new RangeError(
      `perClassAccuracy: expected a square confusion matrix [K, K], got shape [${confusion.shape.join(', ')}].`,
    );
  }
  return tf.tidy(() => {
    const counts = tf.cast(confusion, 'float32');
    const correct = tf.sum(tf.mul(counts, tf.eye(confusion.shape[0])), 1);
    return tf.div(correct, tf.sum(counts, 1)) as tf.Tensor1D;
  });
}
