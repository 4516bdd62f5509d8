/**
 * `minimize`'s body after its arguments are read, with Keras's loss scaling: one for {@link GradientTransformationOptimizer}
 * (its `lossScaleFactor`) and `LossScaleOptimizer` (its dynamic scale).
 */
import { tf } from '@opt/tensor';
import { gradientPairs } from './pairs.js';

/** Keras's `scale_loss`: `loss * factor`, or `loss` itself (the same tensor) when `factor` is null. */
export function scaleLoss(loss: tf.Scalar, factor: number | null): tf.Scalar {
  return factor === null ? loss : (tf.mul(loss, tf.scalar(factor)) as tf.Scalar);
}

/**
 * Gradients of `lossFn() * factor` with `tf.variableGrads` (Keras's `scale_loss`), and the loss `lossFn` gave,
 * unscaled; with `factor` null, the gradients of `lossFn()` itself. The caller owns `loss` and `grads`.
 */
export function scaledLossGradients(
  lossFn: () => tf.Scalar,
  factor: number | null,
  varList: tf.Variable[] | undefined,
): { loss: tf.Scalar; grads: tf.NamedTensorMap } {
  if (factor === null) {
    const { value, grads } = tf.variableGrads(lossFn, varList);
    return { loss: value, grads };
  }
  const kept: { loss: tf.Scalar | null } = { loss: null };
  try {
    const { value, grads } = tf.variableGrads(() => {
      const loss = lossFn();
      kept.loss = tf.keep(tf.clone(loss));
      return scaleLoss(loss, factor);
    }, varList);
    value.dispose();
    return { loss: kept.loss as unknown as tf.Scalar, grads };
  } catch (e) {
    kept.loss?.dispose();
    throw e;
  }
}

/**
 * Takes {@link scaledLossGradients}, hands them to `applyGradients` as `[gradient, variable]` pairs (in `varList`'s
 * order) and frees them; returns the unscaled loss when `returnCost`, else frees it and returns null. A throwing
 * `applyGradients` frees the loss too.
 */
export function minimizeScaled(
  where: string,
  lossFn: () => tf.Scalar,
  { returnCost, varList }: { returnCost: boolean; varList: tf.Variable[] | undefined },
  factor: number | null,
  applyGradients: (pairs: Array<[tf.Tensor, tf.Variable]>) => void,
): tf.Scalar | null {
  const { loss, grads } = scaledLossGradients(lossFn, factor, varList);
  try {
    applyGradients(gradientPairs(where, grads, varList));
  } catch (e) {
    loss.dispose();
    throw e;
  } finally {
    tf.dispose(Object.values(grads));
  }
  if (returnCost) return loss;
  loss.dispose();
  return null;
}
